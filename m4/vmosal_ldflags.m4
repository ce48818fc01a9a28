# VMOSAL_CHECK_PLUGIN_LDFLAGS
# Sets PLUGIN_NO_UNDEFINED to the linker's own check that a shared object
# has no undefined symbols: libtool's -no-undefined only changes what it
# builds on Windows, and a plugin must never resolve a symbol from
# libvmosal at run time (a Windows DLL cannot).
AC_DEFUN([VMOSAL_CHECK_PLUGIN_LDFLAGS], [
  AC_CACHE_CHECK([for the linker flag that refuses undefined symbols],
    [vmosal_cv_no_undefined], [
    vmosal_cv_no_undefined=none
    vmosal_save_LDFLAGS=$LDFLAGS
    vmosal_save_CFLAGS=$CFLAGS
    for flag in -Wl,-z,defs -Wl,--no-undefined; do
      LDFLAGS="$vmosal_save_LDFLAGS -shared $flag"
      CFLAGS="$vmosal_save_CFLAGS -fPIC"
      dnl A load and an addition, so an instrumented build (sanitizers)
      dnl refers to its runtime as real code does: clang does not link
      dnl that runtime into shared objects, which then need the program's.
      AC_LINK_IFELSE([AC_LANG_SOURCE([[int vmosal_probe(int *p, int n);
int vmosal_probe(int *p, int n) { return *p + n; }]])],
                     [vmosal_cv_no_undefined=$flag; break])
    done
    LDFLAGS=$vmosal_save_LDFLAGS
    CFLAGS=$vmosal_save_CFLAGS])
  PLUGIN_NO_UNDEFINED=
  AS_IF([test "x$vmosal_cv_no_undefined" != xnone],
        [PLUGIN_NO_UNDEFINED=$vmosal_cv_no_undefined])
  AC_SUBST([PLUGIN_NO_UNDEFINED])
])
