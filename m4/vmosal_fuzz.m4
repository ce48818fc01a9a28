# VMOSAL_ENABLE_FUZZING
# --enable-fuzzing builds the library, the backends and the libFuzzer
# harnesses in tests/fuzz with AddressSanitizer, UndefinedBehaviorSanitizer
# and libFuzzer's coverage, so a harness finds faults inside the library
# too. Needs clang: gcc has no libFuzzer. Call it after the other checks, so
# that those do not run with the sanitizers.
AC_DEFUN([VMOSAL_ENABLE_FUZZING], [
  AC_ARG_ENABLE([fuzzing],
    [AS_HELP_STRING([--enable-fuzzing],
                    [build with sanitizers and the libFuzzer harnesses (needs clang)])],
    [], [enable_fuzzing=no])
  AS_IF([test "x$enable_fuzzing" = xyes], [
    AC_MSG_CHECKING([whether $CC is clang])
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([], [[
#ifndef __clang__
#error libFuzzer comes with clang
#endif
]])], [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([--enable-fuzzing needs clang: run configure with CC=clang])])
    AC_MSG_CHECKING([whether $CC links a libFuzzer harness])
    vmosal_save_CFLAGS=$CFLAGS
    CFLAGS="$CFLAGS -fsanitize=fuzzer,address,undefined"
    AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return data != NULL && size > 0 ? 0 : 0;
}
]])], [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       AC_MSG_ERROR([$CC cannot link -fsanitize=fuzzer; Debian has libFuzzer in
                     libclang-rt-N-dev, N the version of clang])])
    CFLAGS=$vmosal_save_CFLAGS
    dnl Undefined behaviour stops the run like a memory error, so that the
    dnl harness reports it instead of printing and going on.
    VMOSAL_FUZZ_CFLAGS="-fsanitize=fuzzer-no-link,address,undefined"
    VMOSAL_FUZZ_CFLAGS="$VMOSAL_FUZZ_CFLAGS -fno-sanitize-recover=undefined"
    VMOSAL_FUZZ_CFLAGS="$VMOSAL_FUZZ_CFLAGS -fno-omit-frame-pointer -g"
    CFLAGS="$CFLAGS $VMOSAL_FUZZ_CFLAGS"
    CXXFLAGS="$CXXFLAGS $VMOSAL_FUZZ_CFLAGS"
    dnl The sanitizer runtimes live in the executable, so plugins built
    dnl with them have undefined symbols the linker's check would refuse.
    PLUGIN_NO_UNDEFINED=
  ])
  AM_CONDITIONAL([ENABLE_FUZZING], [test "x$enable_fuzzing" = xyes])
])
