# VMOSAL_CHECK_SANITIZERS
# --enable-sanitizers=LIST adds -fsanitize=LIST to CFLAGS, CXXFLAGS and
# LDFLAGS, so the library, the backends, the fake plugins and the tests are
# all instrumented: a plugin loaded RTLD_LOCAL finds the runtime in the test
# program. With undefined, a report also fails the run instead of going on.
# Runs before the other compiler checks, so they see the same flags.
AC_DEFUN([VMOSAL_CHECK_SANITIZERS], [
  AC_ARG_ENABLE([sanitizers],
    [AS_HELP_STRING([--enable-sanitizers=LIST],
      [build everything with -fsanitize=LIST, e.g. address,undefined or thread])],
    [], [enable_sanitizers=no])
  AS_CASE([$enable_sanitizers],
    [no], [],
    [yes|""], [AC_MSG_ERROR([--enable-sanitizers needs a list, e.g. address,undefined])],
    [vmosal_sanitize="-fsanitize=$enable_sanitizers -fno-omit-frame-pointer"
     AS_CASE([,$enable_sanitizers,], [*,undefined,*],
             [vmosal_sanitize="$vmosal_sanitize -fno-sanitize-recover=all"])
     AC_MSG_CHECKING([whether $CC builds and links with $vmosal_sanitize])
     vmosal_save_CFLAGS=$CFLAGS
     vmosal_save_LDFLAGS=$LDFLAGS
     CFLAGS="$CFLAGS $vmosal_sanitize"
     LDFLAGS="$LDFLAGS $vmosal_sanitize"
     AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])], [AC_MSG_RESULT([yes])],
       [AC_MSG_RESULT([no])
        AC_MSG_ERROR([$CC cannot build with $vmosal_sanitize: is its runtime installed?])])
     CFLAGS="$vmosal_save_CFLAGS $vmosal_sanitize"
     CXXFLAGS="$CXXFLAGS $vmosal_sanitize"
     LDFLAGS="$vmosal_save_LDFLAGS $vmosal_sanitize"])
])
