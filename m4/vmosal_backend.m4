# VMOSAL_SELECT_BACKEND
# Picks the host's default backend plugin and which backend trees to build,
# so that core/ never tests the OS itself.
AC_DEFUN([VMOSAL_SELECT_BACKEND], [
  AC_REQUIRE([AC_CANONICAL_HOST])
  AC_MSG_CHECKING([for the default libvmosal backend])
  AS_CASE([$host_os],
    [linux*|*android*], [vmosal_backend=linux],
    [darwin*],          [vmosal_backend=darwin],
    [mingw*|cygwin*|msys*], [vmosal_backend=windows],
    [AC_MSG_ERROR([no libvmosal backend for host OS $host_os])])
  AC_MSG_RESULT([$vmosal_backend])
  AC_DEFINE_UNQUOTED([VMOSAL_DEFAULT_BACKEND], ["$vmosal_backend"],
                     [Backend loaded when neither the caller nor VMOSAL_BACKEND names one])
  AM_CONDITIONAL([BACKEND_LINUX], [test "x$vmosal_backend" = xlinux])
  AM_CONDITIONAL([BACKEND_DARWIN], [test "x$vmosal_backend" = xdarwin])
  AM_CONDITIONAL([BACKEND_WINDOWS], [test "x$vmosal_backend" = xwindows])
  AM_CONDITIONAL([HOST_POSIX], [test "x$vmosal_backend" != xwindows])
  AC_SUBST([VMOSAL_BACKEND], [$vmosal_backend])
  dnl System libraries beyond libc: the core's host layer (the token
  dnl check) and the Windows backend (WaitOnAddress, privileges).
  HOST_LIBS=
  HOST_LDFLAGS=
  WINDOWS_BACKEND_LIBS=
  AS_IF([test "x$vmosal_backend" = xwindows],
        [AC_DEFINE([__USE_MINGW_ANSI_STDIO], [1],
                   [C99 printf formats (%zu, %llu) instead of msvcrt's])
         HOST_LIBS=-ladvapi32
         dnl A DLL that needs libgcc_s_seh-1.dll would need it on PATH
         dnl and, for a plugin, beside it: link that part in.
         HOST_LDFLAGS="-XCClinker -static-libgcc"
         WINDOWS_BACKEND_LIBS="-lsynchronization -ladvapi32"])
  AC_SUBST([HOST_LIBS])
  AC_SUBST([HOST_LDFLAGS])
  AC_SUBST([WINDOWS_BACKEND_LIBS])
  dnl Where Wine finds the gcc runtime and winpthreads DLLs the test
  dnl programs may need ('make check' adds hwloc's bin/ and .libs).
  WINE_DLL_PATH=
  AS_IF([test "x$vmosal_backend" = xwindows], [
    for dll in libgcc_s_seh-1.dll libwinpthread-1.dll; do
      vmosal_dll=`$CC -print-file-name=$dll 2>/dev/null`
      AS_IF([test -f "$vmosal_dll"],
            [WINE_DLL_PATH="$WINE_DLL_PATH;`dirname "$vmosal_dll"`"])
    done])
  AC_SUBST([WINE_DLL_PATH])
])
