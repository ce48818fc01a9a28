/* The vCPU kick: registration of each vCPU thread's target, the kick
 * itself and the pending flag. The OS work (the signal or APC that
 * interrupts the thread) is the backend's. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "internal.h"

/* ---- kick ----
 * Each registered vCPU thread has a slot in a fixed table that is never
 * freed, found by its tid; a kick reads it from another thread while the
 * owner may be leaving, so every field is atomic. */

#define KICK_SLOTS 4096

#define KICK_FREED UINT64_MAX /* a slot given back; 0: never used */

/* busy: kicks using the slot's fields right now, with KICK_WAITER set while
 * an unregistration waits for them to finish. */
#define KICK_WAITER 0x80000000u

struct kick_slot {
	_Atomic uint64_t tid;
	_Atomic(volatile uint8_t *) immediate_exit;
	_Atomic(void (*)(void *)) cancel;
	_Atomic(void *) cancel_ctx;
	atomic_bool pending;
	_Atomic uint32_t busy;
};

static struct kick_slot kick_slots[KICK_SLOTS];
static _Thread_local struct kick_slot *my_kick;
static atomic_bool kick_ever_registered;
/* Kicks that reached this thread: a wait that a signal interrupted tells
 * a kick from any other signal by it. Read in signal context. */
static VMOSAL__SIGNAL_TLS unsigned kicks_received;
static atomic_int kick_os_signal = -1; /* -1: not set up yet */

/* Called by the backend in the kicked thread (signal context). The byte
 * and the pending flag were set by the kicking thread before it sent the
 * signal, so they are seen however late the signal arrives; setting them
 * again here would turn one kick into two when the thread had already
 * taken the first. The signal's job is only to interrupt. */
void vmosal__kick_received(void)
{
	kicks_received++;
}

unsigned vmosal__kicks_received(void)
{
	return kicks_received;
}

static int kick_setup(const struct vmosal__state *s)
{
	int (*op)(int *) = VMOSAL__OP(s, kick_setup);
	int rc = 0, sig = 0;

	if (atomic_load_explicit(&kick_os_signal, memory_order_acquire) >= 0)
		return 0;
	if (op == NULL || VMOSAL__OP(s, thread_kick) == NULL)
		return VMOSAL_ENOTSUP;
	vmosal__registry_lock();
	if (atomic_load_explicit(&kick_os_signal, memory_order_relaxed) < 0 &&
	    (rc = op(&sig)) == 0)
		atomic_store_explicit(&kick_os_signal, sig, memory_order_release);
	vmosal__registry_unlock();
	return rc;
}

static size_t kick_hash(uint64_t tid)
{
	return (size_t)((tid * 0x9e3779b97f4a7c15ull) >> 52) % KICK_SLOTS;
}

/* Open addressing from the tid's hash: a search ends at a never-used slot,
 * so a freed one stays marked and can be taken again by a registration. */
static struct kick_slot *kick_find(uint64_t tid)
{
	size_t start = kick_hash(tid);

	for (size_t i = 0; i < KICK_SLOTS; i++) {
		struct kick_slot *k = &kick_slots[(start + i) % KICK_SLOTS];
		uint64_t t = atomic_load_explicit(&k->tid, memory_order_acquire);
		if (t == tid)
			return k;
		if (t == 0)
			return NULL;
	}
	return NULL;
}

int vmosal_thread_kick_register(const struct vmosal_kick_target *target)
{
	struct vmosal_kick_target t;
	const struct vmosal__state *s;
	struct kick_slot *k = my_kick;
	vmosal_tid_t self = 0;
	int rc;

	if (target == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__struct_in(&t, sizeof t, target, sizeof t)) != 0)
		return rc;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((rc = kick_setup(s)) != 0 || (rc = vmosal_thread_self(&self)) != 0)
		return rc;
	if (k == NULL) {
		size_t start = kick_hash(self);
		for (size_t i = 0; i < KICK_SLOTS && k == NULL; i++) {
			struct kick_slot *c = &kick_slots[(start + i) % KICK_SLOTS];
			uint64_t seen = atomic_load(&c->tid);
			if ((seen == 0 || seen == KICK_FREED) &&
			    atomic_compare_exchange_strong(&c->tid, &seen, self))
				k = c;
		}
		if (k == NULL)
			return VMOSAL_ENOSPC;
	}
	atomic_store(&k->immediate_exit, t.immediate_exit);
	atomic_store(&k->cancel_ctx, t.cancel_ctx);
	atomic_store(&k->cancel, t.cancel);
	atomic_store(&k->pending, false);
	my_kick = k;
	atomic_store(&kick_ever_registered, true);
	return 0;
}

int vmosal_thread_kick_unregister(void)
{
	const struct vmosal__state *s =
		atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	struct kick_slot *k = my_kick;
	uint32_t busy;

	if (k == NULL || s == NULL)
		return VMOSAL_ENOENT;
	my_kick = NULL;
	/* No new kick will use the slot; one already using it finishes
	 * before this returns, so the caller may free what the target
	 * pointed to (kvm_run) as soon as it does. */
	atomic_store(&k->tid, KICK_FREED);
	busy = atomic_fetch_or(&k->busy, KICK_WAITER) | KICK_WAITER;
	while ((busy & ~KICK_WAITER) != 0) {
		vmosal__wait(s, &k->busy, busy);
		busy = atomic_load(&k->busy);
	}
	atomic_store(&k->immediate_exit, NULL);
	atomic_store(&k->cancel, NULL);
	atomic_store(&k->busy, 0);
	return 0;
}

void vmosal__kick_after_fork(void)
{
	/* The child's one thread has a new tid and the others are gone: no
	 * registration is true any more. Cleared only where there were any,
	 * so most forks touch none of the table's pages. */
	my_kick = NULL;
	if (atomic_load(&kick_ever_registered))
		memset(kick_slots, 0, sizeof kick_slots);
}

void vmosal__kick_forget_self(void)
{
	if (my_kick != NULL)
		vmosal_thread_kick_unregister();
}

/* The caller's tid, 0 if unknown. Out of line, so that vmosal_thread_kick
 * keeps no local whose address is taken and can jump to the backend. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static vmosal_tid_t kick_self_tid(void)
{
	vmosal_tid_t self = 0;

	return vmosal_thread_self(&self) == 0 ? self : 0;
}

int vmosal_thread_kick(vmosal_tid_t tid)
{
	const struct vmosal__state *s = vmosal__get();
	struct kick_slot *k;
	vmosal_tid_t self = 0;
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if (VMOSAL__UNLIKELY(atomic_load_explicit(&kick_os_signal, memory_order_acquire) < 0) &&
	    (rc = kick_setup(s)) != 0)
		return rc;
	if (tid == 0 && (self = kick_self_tid()) != 0)
		tid = self;
	k = kick_find(tid);
	if (k != NULL) {
		atomic_fetch_add(&k->busy, 1);
		/* Still the same thread's slot once we hold it busy: an
		 * unregistration waits for us from here on. */
		if (atomic_load(&k->tid) == tid) {
			volatile uint8_t *exit_byte = atomic_load(&k->immediate_exit);
			void (*cancel)(void *) = atomic_load(&k->cancel);

			/* Before the signal: a vCPU about to enter KVM_RUN
			 * returns at once even if the signal lands before it
			 * is inside. */
			atomic_store_explicit(&k->pending, true, memory_order_relaxed);
			/* Atomic: the vCPU thread clears the byte meanwhile. */
			if (exit_byte != NULL)
				vmosal__store_byte(exit_byte, 1);
			if (cancel != NULL)
				cancel(atomic_load(&k->cancel_ctx));
		}
		if (atomic_fetch_sub(&k->busy, 1) == (KICK_WAITER | 1))
			vmosal__wake(s, &k->busy, true);
	}
	return s->ops->thread_kick(tid == self && self != 0 ? 0 : tid);
}

int vmosal_thread_kick_pending(bool clear, bool *out)
{
	struct kick_slot *k = my_kick;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if (k == NULL) {
		*out = false;
		return 0;
	}
	*out = clear ? atomic_exchange(&k->pending, false) : atomic_load(&k->pending);
	return 0;
}

int vmosal_thread_kick_signal(int *os_signal)
{
	const struct vmosal__state *s;
	int rc;

	if (os_signal == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((rc = kick_setup(s)) != 0)
		return rc;
	*os_signal = atomic_load(&kick_os_signal);
	return 0;
}
