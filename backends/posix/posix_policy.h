/* Decisions of the shared POSIX code that need no OS header: facts about
 * each OS's signals, compiled on every host so that
 * tests/check_posix_policy.c checks the Darwin cases on Linux too. */
#ifndef VMOSAL_BACKEND_POSIX_POLICY_H
#define VMOSAL_BACKEND_POSIX_POLICY_H

#include <stdbool.h>
#include <stdint.h>

/* Whose siginfo conventions apply. */
enum posix_os {
	POSIX_OS_LINUX,  /* Linux, Android */
	POSIX_OS_DARWIN, /* macOS, iOS */
	POSIX_OS_OTHER,  /* any other: only what POSIX says */
};

/* What a SIGSEGV, SIGBUS, SIGILL or SIGFPE delivery is. */
enum posix_fault_kind {
	/* Sent (kill, sigqueue, pthread_kill), not raised by an instruction. */
	POSIX_FAULT_SENT,
	/* Raised by the instruction that touched si_addr. */
	POSIX_FAULT_AT_ADDR,
	/* Raised by an instruction, with no address: x86's general
	 * protection fault (a non-canonical pointer), whose si_addr is 0. */
	POSIX_FAULT_NO_ADDR,
};

/* The kind of a delivery of sig (enum vmosal_signal) with si_code, on os.
 * Signals other than SEGV, BUS, ILL and FPE are always SENT.
 *   Linux: si_code > 0 is the kernel's; SI_KERNEL (0x80) is the one with
 *     no address (x86 #GP); 0 (SI_USER) and negative codes (SI_QUEUE,
 *     SI_TKILL...) are sent.
 *   Darwin: sent codes are SI_USER..SI_MESGQ (0x10001..0x10005). XNU
 *     fills a SEGV's or BUS's si_code from the thread's last exception
 *     whoever sent it: a protection fault is SIGBUS BUS_ADRERR (PROT_NONE,
 *     read-only, non-executable), an unmapped page SIGSEGV SEGV_MAPERR,
 *     and Intel's #GP SIGSEGV with si_code 0 and si_addr 0. So SEGV with
 *     0 is NO_ADDR, and a kill() of SEGV or BUS cannot be told from a
 *     fault there.
 *   Other: 0 < si_code < 0x10000 is the kernel's (the BSDs number sent
 *     codes from 0x10001, as Darwin). */
enum posix_fault_kind posix_fault_kind(enum posix_os os, int sig, int si_code);

/* Whether the fault guard takes a SEGV or BUS of that kind at addr: a
 * fault at addr of at least min_addr (below it: fn's own NULL
 * dereference), or one with no address; never a sent one. */
bool posix_guard_takes(enum posix_fault_kind kind, uintptr_t addr, uintptr_t min_addr);

#endif
