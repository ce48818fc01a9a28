/* Signals: the one registry through which libvmosal owns every signal it
 * uses, and the scoped fault guard built on it (the vCPU kick, which uses
 * the registry, is kick.c's). The OS work (installing handlers, masks, the
 * non-local exit of a guard) is the backend's; what is decided here is the
 * same on every OS. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* The siginfo of 0.2, before syscall and syscall_arch: callers built
 * against it still pass its size. */
#define SIGINFO_MIN_SIZE offsetof(struct vmosal_siginfo, syscall)
/* What a backend of ABI 2.5 or later fills; an older one's record ends
 * before syscall. */
#define SIGINFO_SYSCALL_END (offsetof(struct vmosal_siginfo, syscall_arch) + sizeof(uint32_t))

/* A record to hand a backend: the members an older backend does not know
 * already say "no system call". */
static void siginfo_blank(struct vmosal_siginfo *bi)
{
	bi->struct_size = sizeof *bi;
	bi->syscall = -1;
	bi->syscall_arch = 0;
}

#define HANDLERS_PER_SIGNAL 8
#define HANDLER_SLOTS (VMOSAL_SIGNAL_COUNT * HANDLERS_PER_SIGNAL)

/* running: dispatches inside the slot's fn right now, with HANDLER_WAITER
 * set while an unhandle waits for them to finish. */
#define HANDLER_WAITER 0x80000000u

/* Static storage, never freed: a signal arriving on another thread reads a
 * slot while it is being removed. A slot stays reserved until the
 * unhandle that freed it has seen its last running call end. */
struct handler_slot {
	_Atomic(vmosal_signal_fn) fn;
	_Atomic(void *) ctx;
	_Atomic uint32_t running;
	uint32_t gen;  /* bumped at each unhandle: older handles stop matching */
	bool reserved; /* registered, or still draining; under the lock */
};

static struct handler_slot handlers[VMOSAL_SIGNAL_COUNT][HANDLERS_PER_SIGNAL];
/* Users of each signal's installation: registered handlers, plus one for
 * good on SEGV and BUS once a fault guard ran. Under the registry lock. */
static unsigned users[VMOSAL_SIGNAL_COUNT];

/* A handle is no pointer to anything: it is the slot's index and its
 * generation, tagged with a low bit no real object pointer has, so that a
 * stale or made-up handle is refused without being dereferenced. */
#define HANDLE_INDEX_BITS 8
#define HANDLE_GEN_MASK ((uint32_t)((UINTPTR_MAX >> (HANDLE_INDEX_BITS + 1)) & UINT32_MAX))

static vmosal_signal_handler_t *handle_make(unsigned index, uint32_t gen)
{
	uintptr_t v = ((uintptr_t)(gen & HANDLE_GEN_MASK) << HANDLE_INDEX_BITS) | index;

	return (vmosal_signal_handler_t *)((v << 1) | 1u);
}

/* The slot a handle names and the generation it was given for, or NULL. */
static struct handler_slot *handle_slot(const vmosal_signal_handler_t *h, int *sig,
					uint32_t *gen)
{
	uintptr_t v = (uintptr_t)h;
	unsigned index;

	if ((v & 1u) == 0)
		return NULL;
	v >>= 1;
	index = (unsigned)(v & ((1u << HANDLE_INDEX_BITS) - 1));
	if (index < HANDLERS_PER_SIGNAL || index >= HANDLER_SLOTS)
		return NULL;
	*sig = (int)(index / HANDLERS_PER_SIGNAL);
	*gen = (uint32_t)(v >> HANDLE_INDEX_BITS) & HANDLE_GEN_MASK;
	return &handlers[*sig][index % HANDLERS_PER_SIGNAL];
}

static bool known_signal(int sig)
{
	return sig >= VMOSAL_SIGINT && sig < VMOSAL_SIGNAL_COUNT;
}

static bool is_fault(int sig)
{
	return sig == VMOSAL_SIGSEGV || sig == VMOSAL_SIGBUS || sig == VMOSAL_SIGILL ||
	       sig == VMOSAL_SIGFPE;
}

/* The signal slots exist as a block (ABI 2.1): one check for all. */
static bool has_signals(const struct vmosal__state *s)
{
	return (s->groups & VMOSAL_SLOT_SIGNAL) != 0;
}

/* Takes one more user of sig, installing the backend's handler for the
 * first. Under the registry lock. */
static int signal_use(const struct vmosal__state *s, int sig)
{
	int rc;

	if (users[sig] == 0 && (rc = s->ops->signal_install(sig)) != 0)
		return rc;
	users[sig]++;
	return 0;
}

/* Drops a user; the last one puts the previous disposition back. When
 * that fails, nothing changes and the user stays. */
static int signal_unuse(const struct vmosal__state *s, int sig)
{
	int rc;

	if (users[sig] == 1 && (rc = s->ops->signal_restore(sig)) != 0) {
		vmosal__debug("signal", "restoring signal %d failed: %s", sig,
			      vmosal_strerror(rc));
		return rc;
	}
	users[sig]--;
	return 0;
}

/* Called by the backend's handler, in signal context: async-signal-safe
 * from here on. */
void vmosal__signal_dispatch(const struct vmosal_siginfo *bi, void *os_context)
{
	const struct vmosal__state *s =
		atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	struct vmosal_siginfo info;

	if (s == NULL)
		return;
	if (known_signal((int)bi->signal)) {
		memset(&info, 0, sizeof info);
		info.struct_size = sizeof info;
		info.signal = bi->signal;
		info.os_signal = bi->os_signal;
		info.os_code = bi->os_code;
		info.fault_addr = bi->fault_addr;
		/* An older backend's record ends before these. */
		if (bi->struct_size >= SIGINFO_SYSCALL_END) {
			info.syscall = bi->syscall;
			info.syscall_arch = bi->syscall_arch;
		} else {
			info.syscall = -1;
			info.syscall_arch = 0;
		}
		for (int i = 0; i < HANDLERS_PER_SIGNAL; i++) {
			struct handler_slot *h = &handlers[bi->signal][i];
			vmosal_signal_fn fn;
			bool taken = false;

			/* Counted before fn is read: an unhandle that cleared
			 * fn either sees this call running and waits for it,
			 * or this call sees fn cleared. */
			atomic_fetch_add(&h->running, 1);
			fn = atomic_load(&h->fn);
			if (fn != NULL)
				taken = fn(&info, atomic_load_explicit(&h->ctx, memory_order_relaxed));
			if (atomic_fetch_sub(&h->running, 1) == (HANDLER_WAITER | 1))
				vmosal__wake(s, &h->running, true);
			if (taken)
				return;
		}
	}
	s->ops->signal_chain(bi, os_context);
}

int vmosal_signal_add_handler(enum vmosal_signal sig, vmosal_signal_fn fn, void *ctx,
			 vmosal_signal_handler_t **out)
{
	const struct vmosal__state *s;
	int rc, slot = -1;

	if (!known_signal((int)sig) || fn == NULL || out == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if (!has_signals(s))
		return VMOSAL_ENOTSUP;
	vmosal__registry_lock();
	for (int i = 0; i < HANDLERS_PER_SIGNAL && slot < 0; i++)
		if (!handlers[sig][i].reserved)
			slot = i;
	rc = slot < 0 ? VMOSAL_EBUSY : signal_use(s, (int)sig);
	if (rc == 0) {
		struct handler_slot *h = &handlers[sig][slot];

		h->reserved = true;
		atomic_store_explicit(&h->ctx, ctx, memory_order_relaxed);
		atomic_store(&h->fn, fn);
		*out = handle_make((unsigned)sig * HANDLERS_PER_SIGNAL + (unsigned)slot, h->gen);
	}
	vmosal__registry_unlock();
	return rc;
}

int vmosal_signal_remove_handler(vmosal_signal_handler_t *h)
{
	const struct vmosal__state *s;
	struct handler_slot *slot;
	uint32_t gen = 0, running;
	int sig = 0, rc;

	/* Decoded, never dereferenced: a stale handle names a slot whose
	 * generation has moved on. */
	slot = handle_slot(h, &sig, &gen);
	if (slot == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	vmosal__registry_lock();
	if (atomic_load(&slot->fn) == NULL || (slot->gen & HANDLE_GEN_MASK) != gen) {
		rc = VMOSAL_EINVAL; /* removed already, and maybe reused */
	} else if ((rc = signal_unuse(s, sig)) == 0) {
		atomic_store(&slot->fn, NULL);
		slot->gen++;
	}
	vmosal__registry_unlock();
	if (rc != 0)
		return rc;
	/* No new call starts fn; one already in it finishes before this
	 * returns, so the caller may free ctx. Outside the lock: fn may
	 * block, and other signals' registrations must not wait for it. */
	running = atomic_fetch_or(&slot->running, HANDLER_WAITER) | HANDLER_WAITER;
	while ((running & ~HANDLER_WAITER) != 0) {
		vmosal__wait(s, &slot->running, running);
		running = atomic_load(&slot->running);
	}
	atomic_fetch_and(&slot->running, ~HANDLER_WAITER);
	vmosal__registry_lock();
	slot->reserved = false;
	vmosal__registry_unlock();
	return 0;
}

/* The ignore is the backend's to keep: under the registry lock, as
 * installs and restores are, since while sig is ignored those work on the
 * disposition kept beneath the ignore (a handler added then is not called
 * until the ignore is taken back; the last one removed then does not take
 * it back). */
int vmosal_signal_set_ignored(enum vmosal_signal sig, bool ignored)
{
	const struct vmosal__state *s;
	int rc;

	/* A fault or a seccomp trap ignored would run the faulting
	 * instruction again for ever. */
	if (!known_signal((int)sig) || is_fault((int)sig) || sig == VMOSAL_SIGSYS)
		return VMOSAL_EINVAL;
	if ((rc = VMOSAL__READY_SLOT(&s, signal_ignore)) != 0)
		return rc;
	if (!has_signals(s))
		return VMOSAL_ENOTSUP;
	vmosal__registry_lock();
	rc = s->ops->signal_ignore((int)sig, ignored);
	vmosal__registry_unlock();
	return rc;
}

/* Checks a caller's signal list and copies it as the ints slots take
 * (still enum vmosal_signal: the backend translates); faults may not be
 * blocked or waited for. */
static int check_set(const enum vmosal_signal *sigs, size_t n, int *slot_list)
{
	if (sigs == NULL || n == 0 || n > VMOSAL_SIGNAL_COUNT)
		return VMOSAL_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!known_signal((int)sigs[i]) || is_fault((int)sigs[i]))
			return VMOSAL_EINVAL;
		slot_list[i] = (int)sigs[i];
	}
	return 0;
}

static int set_mask(const enum vmosal_signal *sigs, size_t n, bool block)
{
	int list[VMOSAL_SIGNAL_COUNT];
	const struct vmosal__state *s;
	int rc = check_set(sigs, n, list);

	if (rc != 0)
		return rc;
	if ((rc = VMOSAL__READY_SLOT(&s, signal_mask)) != 0)
		return rc;
	return s->ops->signal_mask(block, list, n);
}

int vmosal_signal_block(const enum vmosal_signal *sigs, size_t n)
{
	return set_mask(sigs, n, true);
}

int vmosal_signal_unblock(const enum vmosal_signal *sigs, size_t n)
{
	return set_mask(sigs, n, false);
}

int vmosal_signal_wait(const enum vmosal_signal *sigs, size_t n, int64_t timeout_ns,
		       struct vmosal_siginfo *out)
{
	int list[VMOSAL_SIGNAL_COUNT];
	struct vmosal_siginfo bi;
	const struct vmosal__state *s;
	int (*op)(const int *, size_t, int64_t, struct vmosal_siginfo *);
	int rc = check_set(sigs, n, list);

	if (rc != 0 || (rc = vmosal__struct_out_check(out, SIGINFO_MIN_SIZE)) != 0)
		return rc;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->signal_wait;
	if (op == NULL)
		return VMOSAL_ENOTSUP;
	siginfo_blank(&bi);
	rc = op(list, n, timeout_ns, &bi);
	if (rc == 0)
		vmosal__struct_out(out, &bi, sizeof bi);
	return rc;
}

int vmosal_signal_fd_create(const enum vmosal_signal *sigs, size_t n, vmosal_handle_t *out)
{
	int list[VMOSAL_SIGNAL_COUNT];
	const struct vmosal__state *s;
	int (*op)(const int *, size_t, vmosal_handle_t *);
	int rc = check_set(sigs, n, list);

	if (rc != 0 || out == NULL)
		return rc != 0 ? rc : VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->signal_fd_create;
	return (s->groups & VMOSAL_SLOT_SIGNAL_FD) != 0 ? op(list, n, out) : VMOSAL_ENOTSUP;
}

int vmosal_signal_fd_read(vmosal_handle_t h, struct vmosal_siginfo *out)
{
	struct vmosal_siginfo bi;
	const struct vmosal__state *s;
	int (*op)(vmosal_handle_t, struct vmosal_siginfo *);
	int rc;

	if (!VMOSAL_HANDLE_VALID(h))
		return VMOSAL_EBADF;
	if (vmosal__struct_out_check(out, SIGINFO_MIN_SIZE) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->signal_fd_read;
	if (op == NULL)
		return VMOSAL_ENOTSUP;
	siginfo_blank(&bi);
	rc = op(h, &bi);
	if (rc == 0)
		vmosal__struct_out(out, &bi, sizeof bi);
	return rc;
}



/* ---- fault guard ---- */

typedef int (*guard_op_fn)(int (*)(void *), void *, struct vmosal_siginfo *, int *);

/* The backend's guard, once SEGV and BUS are installed for it; NULL
 * before. Read without a lock: a guard's fast path takes none, so that it
 * may run in a signal handler. */
static _Atomic(guard_op_fn) guard_op;

/* Installs SEGV and BUS for the guard, once: they stay for the life of the
 * process. Removing them again would race faults on other threads and cost
 * every guard two system calls. */
static int guard_setup(const struct vmosal__state *s)
{
	guard_op_fn op = s->ops->fault_guard;
	int rc = 0;

	if ((s->groups & VMOSAL_SLOT_FAULT) == 0)
		return VMOSAL_ENOTSUP;
	vmosal__registry_lock();
	if (atomic_load_explicit(&guard_op, memory_order_relaxed) == NULL) {
		rc = signal_use(s, VMOSAL_SIGSEGV);
		if (rc == 0 && (rc = signal_use(s, VMOSAL_SIGBUS)) != 0)
			signal_unuse(s, VMOSAL_SIGSEGV);
		if (rc == 0)
			atomic_store_explicit(&guard_op, op, memory_order_release);
	}
	vmosal__registry_unlock();
	return rc;
}

/* The fast path: one load, one call. */
static inline int guard_run(const struct vmosal__state *s, int (*fn)(void *), void *arg,
			    struct vmosal_siginfo *fault, int *fn_result)
{
	guard_op_fn op = atomic_load_explicit(&guard_op, memory_order_acquire);
	int rc;

	if (VMOSAL__UNLIKELY(op == NULL)) {
		if ((rc = guard_setup(s)) != 0)
			return rc;
		op = atomic_load_explicit(&guard_op, memory_order_acquire);
	}
	siginfo_blank(fault);
	return op(fn, arg, fault, fn_result);
}

int vmosal__fault_guard(const struct vmosal__state *s, int (*fn)(void *), void *arg,
			struct vmosal_siginfo *fault, int *fn_result)
{
	return guard_run(s, fn, arg, fault, fn_result);
}

/* A guard that did not return fn's value: the fault, if it was one. */
static int guard_failed(int rc, const struct vmosal_siginfo *bi, struct vmosal_siginfo *fault)
{
	if (rc == VMOSAL_EFAULT && fault != NULL)
		vmosal__struct_out(fault, bi, sizeof *bi);
	return rc;
}

/* Everything but the fast path: the first guard, and bad arguments. */
static int guard_slow(int (*fn)(void *), void *arg, struct vmosal_siginfo *fault)
{
	struct vmosal_siginfo bi;
	const struct vmosal__state *s;
	int rc, result = 0;

	if (fn == NULL || (fault != NULL && vmosal__struct_out_check(fault, SIGINFO_MIN_SIZE) != 0))
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	rc = guard_run(s, fn, arg, &bi, &result);
	return rc != 0 ? guard_failed(rc, &bi, fault) : result;
}

int vmosal_fault_guard(int (*fn)(void *), void *arg, struct vmosal_siginfo *fault)
{
	/* Set only once a backend is loaded and the handlers are in. */
	guard_op_fn op = atomic_load_explicit(&guard_op, memory_order_acquire);
	struct vmosal_siginfo bi;
	int result;

	int rc;

	/* A caller's struct of this library's size, or of 0.2's, needs no
	 * further look; anything else takes the slow path. */
	if (VMOSAL__LIKELY(op != NULL && fn != NULL &&
			   (fault == NULL || fault->struct_size == sizeof *fault ||
			    fault->struct_size == SIGINFO_MIN_SIZE))) {
		siginfo_blank(&bi);
		rc = op(fn, arg, &bi, &result);
		return VMOSAL__LIKELY(rc == 0) ? result : guard_failed(rc, &bi, fault);
	}
	return guard_slow(fn, arg, fault);
}
