/* The shared POSIX code's pure decisions (posix_policy.h). */
#include "config.h"

#include "vmosal/signal.h"
#include "posix_policy.h"

/* Darwin's and the BSDs' SI_USER: sent codes start here. */
#define POSIX_BSD_SI_USER 0x10001
/* Linux's SI_KERNEL. */
#define POSIX_LINUX_SI_KERNEL 0x80

enum posix_fault_kind posix_fault_kind(enum posix_os os, int sig, int si_code)
{
	if (sig != VMOSAL_SIGSEGV && sig != VMOSAL_SIGBUS && sig != VMOSAL_SIGILL &&
	    sig != VMOSAL_SIGFPE)
		return POSIX_FAULT_SENT;
	switch (os) {
	case POSIX_OS_LINUX:
		if (si_code <= 0)
			return POSIX_FAULT_SENT;
		return si_code == POSIX_LINUX_SI_KERNEL ? POSIX_FAULT_NO_ADDR
							 : POSIX_FAULT_AT_ADDR;
	case POSIX_OS_DARWIN:
		if (si_code >= POSIX_BSD_SI_USER || si_code < 0)
			return POSIX_FAULT_SENT;
		if (si_code == 0)
			/* XNU's i386 sendsig: "CR2 is meaningless after GP
			 * fault", si_code 0 and si_addr 0. Other signals with
			 * 0 come from a kill() or have no address anyway. */
			return sig == VMOSAL_SIGSEGV ? POSIX_FAULT_NO_ADDR : POSIX_FAULT_SENT;
		return POSIX_FAULT_AT_ADDR;
	case POSIX_OS_OTHER:
		break;
	}
	return si_code > 0 && si_code < POSIX_BSD_SI_USER ? POSIX_FAULT_AT_ADDR
							  : POSIX_FAULT_SENT;
}

bool posix_guard_takes(enum posix_fault_kind kind, uintptr_t addr, uintptr_t min_addr)
{
	switch (kind) {
	case POSIX_FAULT_AT_ADDR:
		return addr >= min_addr;
	case POSIX_FAULT_NO_ADDR:
		return true;
	case POSIX_FAULT_SENT:
		break;
	}
	return false;
}
