/* Each inline barrier in a function of its own, as a caller gets it, for
 * tests/barrier-disasm.test to read back with the host's objdump. Built
 * with the library's flags, never run for a result. */
#include "config.h"

#include "vmosal.h"

#define BARRIER_FUNCTION(kind)                                                        \
	__attribute__((noinline)) void barrier_disasm_##kind(void);                  \
	__attribute__((noinline)) void barrier_disasm_##kind(void)                   \
	{                                                                             \
		vmosal_barrier_##kind();                                              \
	}

BARRIER_FUNCTION(acquire)
BARRIER_FUNCTION(release)
BARRIER_FUNCTION(full)
BARRIER_FUNCTION(mandatory)

int main(void)
{
	barrier_disasm_acquire();
	barrier_disasm_release();
	barrier_disasm_full();
	barrier_disasm_mandatory();
	return 0;
}
