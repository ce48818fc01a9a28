/* What the suite runs under: valgrind, a user-mode emulator, Check's fork
 * mode. */
#include "config.h"

#ifdef HAVE_VALGRIND_VALGRIND_H
#include <valgrind/valgrind.h>
#endif

#include "internal.h"

bool vmosal_test_under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
	if (RUNNING_ON_VALGRIND)
		return true;
#endif
	return getenv("VMOSAL_TEST_VALGRIND") != NULL;
}

const char *vmosal_test_emulator(void)
{
	const char *e = getenv("VMOSAL_TEST_EMULATOR");

	return e != NULL && e[0] != '\0' ? e : NULL;
}

long vmosal_test_rounds(long n, long slow)
{
	return (vmosal_test_under_valgrind() || vmosal_test_emulator() != NULL) && n > slow
		       ? slow
		       : n;
}

bool vmosal_test_forks(void)
{
	const char *f = getenv("CK_FORK");

	return f == NULL || strcmp(f, "no") != 0;
}
