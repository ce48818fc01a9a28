# VMOSAL_CHECK_LIBATOMIC
# ----------------------
# Some targets compile C11 atomics on bytes into calls into libatomic
# (riscv64 with gcc 12: __atomic_exchange_1). Adds -latomic to LIBS only
# where they do not link without it.
AC_DEFUN([VMOSAL_CHECK_LIBATOMIC], [
m4_pushdef([vmosal_atomic_program], [AC_LANG_PROGRAM([[#include <stdatomic.h>
#include <stdbool.h>
static _Atomic bool flag;
static _Atomic unsigned char byte;]],
	[[return (int)atomic_exchange(&flag, true) + (int)atomic_fetch_add(&byte, 1);]])])
AC_MSG_CHECKING([whether C11 atomics need -latomic])
AC_LINK_IFELSE([vmosal_atomic_program], [AC_MSG_RESULT([no])], [
	LIBS="-latomic $LIBS"
	AC_LINK_IFELSE([vmosal_atomic_program], [AC_MSG_RESULT([yes])],
		[AC_MSG_FAILURE([C11 atomics do not link, with or without -latomic])])])
m4_popdef([vmosal_atomic_program])
])
