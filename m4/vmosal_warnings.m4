# VMOSAL_CHECK_WARNINGS
# Sets WARN_CFLAGS to the warnings the tree must build clean with, keeping
# only those the compiler accepts, and adds -fvisibility=hidden when it works.
AC_DEFUN([VMOSAL_CHECK_WARNINGS], [
  AC_ARG_ENABLE([werror],
    [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors])],
    [], [enable_werror=no])
  WARN_CFLAGS=
  VMOSAL_CC_FLAG([-std=c11], [WARN_CFLAGS=-std=c11])
  for flag in -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
              -Wmissing-prototypes; do
    VMOSAL_CC_FLAG([$flag], [WARN_CFLAGS="$WARN_CFLAGS $flag"])
  done
  AS_IF([test "x$enable_werror" = xyes], [WARN_CFLAGS="$WARN_CFLAGS -Werror"])
  AC_SUBST([WARN_CFLAGS])
  VISIBILITY_CFLAGS=
  VMOSAL_CC_FLAG([-fvisibility=hidden], [VISIBILITY_CFLAGS=-fvisibility=hidden])
  AC_SUBST([VISIBILITY_CFLAGS])
])

# VMOSAL_CC_FLAG(FLAG, ACTION-IF-ACCEPTED)
AC_DEFUN([VMOSAL_CC_FLAG], [
  AC_MSG_CHECKING([whether $CC accepts $1])
  vmosal_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS $1 -Werror"
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [])],
    [AC_MSG_RESULT([yes]); $2], [AC_MSG_RESULT([no])])
  CFLAGS=$vmosal_save_CFLAGS
])
