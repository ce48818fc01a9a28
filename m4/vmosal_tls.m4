# VMOSAL_CHECK_TLS_DESCRIPTORS
# Sets TLSDESC_CFLAGS to -mtls-dialect=gnu2 where the compiler takes it
# (gcc on x86_64; aarch64 uses descriptors already, clang before 19 has
# none). With descriptors, a thread-local read in a dlopen'ed plugin is a
# call that returns an offset instead of __tls_get_addr: the Linux
# backend's priority fast path reads one per call.
AC_DEFUN([VMOSAL_CHECK_TLS_DESCRIPTORS], [
  AC_CACHE_CHECK([whether $CC builds TLS descriptors with -mtls-dialect=gnu2],
    [vmosal_cv_tlsdesc], [
    vmosal_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -fPIC -mtls-dialect=gnu2 -Werror"
    AC_LINK_IFELSE(
      [AC_LANG_PROGRAM([[_Thread_local int vmosal_tls_probe;]],
                       [[return vmosal_tls_probe;]])],
      [vmosal_cv_tlsdesc=yes], [vmosal_cv_tlsdesc=no])
    CFLAGS=$vmosal_save_CFLAGS])
  TLSDESC_CFLAGS=
  AS_IF([test "x$vmosal_cv_tlsdesc" = xyes], [TLSDESC_CFLAGS=-mtls-dialect=gnu2])
  AC_SUBST([TLSDESC_CFLAGS])
])
