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
])
