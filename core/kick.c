/* The vCPU kick: registration of each vCPU thread's target, the kick
 * itself and the pending flag. The OS work (the signal or APC that
 * interrupts the thread) is the backend's. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "kick_table.h"

/* Each registered vCPU thread has a slot in a fixed table that is never
 * freed, found by its tid; a kick reads it from another thread while the
 * owner may be leaving, so every field is atomic. */

#define KICK_SLOTS VMOSAL__KICK_SLOTS
#define KICK_FREED VMOSAL__KICK_FREED

struct kick_slot {
	_Atomic uint64_t tid;
	_Atomic(volatile uint8_t *) immediate_exit;
	_Atomic(void (*)(void *)) cancel;
	_Atomic(void *) cancel_ctx;
	_Atomic(_Atomic uint32_t *) pending; /* the owner's kick_flag */
	_Atomic(_Atomic uint32_t *) sent;    /* the owner's kick_sent */
	_Atomic uint32_t busy;               /* kick_table.h */
};

static struct kick_slot kick_slots[KICK_SLOTS];
static atomic_bool kick_ever_registered;
static atomic_int kick_os_signal = -1; /* -1: not set up yet */
/* Both read by the kick handler, in signal context. */
static VMOSAL__SIGNAL_TLS struct kick_slot *my_kick;
/* The calling thread's pending kick: set before the signal by the kicker
 * of a registered thread, by the handler in a thread that is not, and by
 * a kick of oneself; cleared only by vmosal_thread_kick_pending. Every
 * blocking wait looks at it (vmosal.h). */
static VMOSAL__SIGNAL_TLS _Atomic uint32_t kick_flag;
/* 1 while a kick's signal (or APC) is on its way to the calling thread:
 * set by the kicker that sends it, cleared by the handler. A kick that
 * finds it set sends none: kick signals are realtime signals, which
 * queue, and a thread that keeps the signal blocked would otherwise
 * collect one per kick until the user's queue limit made kicks fail. */
static VMOSAL__SIGNAL_TLS _Atomic uint32_t kick_sent;

/* Called by the backend in the kicked thread (signal context). A
 * registered thread's kicker set the flag (and the byte) before it sent
 * the signal, so they are seen however late the signal arrives; setting
 * the flag again here would turn one kick into two when the thread had
 * already taken the first. Another thread has no slot the kicker could
 * reach: the handler records the kick for it. */
void vmosal__kick_received(void)
{
	/* Whatever a kick that sent nothing because of this signal had set
	 * is seen by the thread once this returns (the exchange pairs with
	 * that kick's). */
	atomic_exchange(&kick_sent, 0);
	if (my_kick == NULL)
		atomic_store_explicit(&kick_flag, 1, memory_order_relaxed);
}

_Atomic uint32_t *vmosal__kick_flag(void)
{
	return &kick_flag;
}

static int kick_setup(const struct vmosal__state *s)
{
	int (*op)(int *) = s->ops->kick_setup;
	int rc = 0, sig = 0;

	if (atomic_load_explicit(&kick_os_signal, memory_order_acquire) >= 0)
		return 0;
	if ((s->groups & VMOSAL_SLOT_KICK) == 0)
		return VMOSAL_ENOTSUP;
	vmosal__registry_lock();
	if (atomic_load_explicit(&kick_os_signal, memory_order_relaxed) < 0 &&
	    (rc = op(&sig)) == 0)
		atomic_store_explicit(&kick_os_signal, sig, memory_order_release);
	vmosal__registry_unlock();
	return rc;
}

/* Open addressing from the tid's hash: a search ends at a never-used slot,
 * so a freed one stays marked and can be taken again by a registration. */
static struct kick_slot *kick_find(uint64_t tid)
{
	size_t start = vmosal__kick_hash(tid);

	/* 0, KICK_LEAVING and KICK_FREED mark slots, never a thread. */
	if (!vmosal__kick_tid_valid(tid))
		return NULL;
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

/* Returns once no kick uses k's fields any more: one that found the slot
 * before it changed finishes first (kick_table.h). Only k's owner calls
 * it, so there is one waiter at most. */
static void kick_quiesce(const struct vmosal__state *s, struct kick_slot *k)
{
	uint32_t busy = vmosal__kick_busy_claim(&k->busy);

	while (vmosal__kick_busy_count(busy) != 0) {
		vmosal__wait(s, &k->busy, busy);
		busy = atomic_load(&k->busy);
	}
	vmosal__kick_busy_release(&k->busy);
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
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if ((rc = kick_setup(s)) != 0 || (rc = vmosal_thread_self(&self)) != 0)
		return rc;
	if (!vmosal__kick_tid_valid(self))
		return VMOSAL_ENOTSUP;
	if (k != NULL) {
		/* Replacing: a kick that read the old target is done with it
		 * before this returns, so the caller may free it. */
		atomic_store(&k->immediate_exit, NULL);
		atomic_store(&k->cancel, NULL);
		kick_quiesce(s, k);
	} else {
		size_t start = vmosal__kick_hash(self);
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
	/* A kick that finds the slot before these are set sends its signal
	 * all the same, and the handler records it (my_kick is not set). */
	atomic_store(&k->pending, &kick_flag);
	atomic_store(&k->sent, &kick_sent);
	atomic_store(&k->cancel_ctx, t.cancel_ctx);
	atomic_store(&k->cancel, t.cancel);
	atomic_store(&k->immediate_exit, t.immediate_exit);
	my_kick = k;
	atomic_store(&kick_ever_registered, true);
	return 0;
}

int vmosal_thread_kick_unregister(void)
{
	const struct vmosal__state *s =
		atomic_load_explicit(&vmosal__loaded, memory_order_acquire);
	struct kick_slot *k = my_kick;

	if (k == NULL || s == NULL)
		return VMOSAL_ENOENT;
	my_kick = NULL;
	/* No new kick finds the slot, and no registration takes it, until
	 * it is clean; a kick already using it finishes before this
	 * returns, so the caller may free what the target pointed to
	 * (kvm_run) as soon as it does. */
	atomic_store(&k->tid, VMOSAL__KICK_LEAVING);
	kick_quiesce(s, k);
	atomic_store(&k->immediate_exit, NULL);
	atomic_store(&k->cancel, NULL);
	atomic_store(&k->pending, NULL);
	atomic_store(&k->sent, NULL);
	atomic_store(&k->tid, KICK_FREED);
	return 0;
}

void vmosal__kick_after_fork(void)
{
	/* The child's one thread has a new tid and the others are gone: no
	 * registration is true any more, nor a kick meant for the parent.
	 * Cleared only where there were any, so most forks touch none of
	 * the table's pages. */
	my_kick = NULL;
	atomic_store(&kick_flag, 0);
	atomic_store(&kick_sent, 0);
	if (atomic_load(&kick_ever_registered))
		memset(kick_slots, 0, sizeof kick_slots);
}

/* A tid registered for kicks is a thread of this process: the backend
 * may skip asking the OS. kick_find refuses the marker values. */
bool vmosal__kick_known(uint64_t tid)
{
	return atomic_load(&kick_ever_registered) && kick_find(tid) != NULL;
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

/* Sends the kick's signal unless one is still on its way to the thread
 * (*sent set); a send that failed leaves none on its way. */
static int kick_send(const struct vmosal__state *s, uint64_t tid, _Atomic uint32_t *sent)
{
	int rc;

	if (atomic_exchange(sent, 1) != 0)
		return 0;
	if ((rc = s->ops->thread_kick(tid)) != 0)
		atomic_store(sent, 0);
	return rc;
}

int vmosal_thread_kick(vmosal_tid_t tid)
{
	const struct vmosal__state *s = vmosal__get();
	struct kick_slot *k;
	vmosal_tid_t self = 0;
	bool sent_here = false;
	int rc = 0;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if (VMOSAL__UNLIKELY(atomic_load_explicit(&kick_os_signal, memory_order_acquire) < 0) &&
	    (rc = kick_setup(s)) != 0)
		return rc;
	if (tid == 0 && (self = kick_self_tid()) != 0)
		tid = self;
	k = kick_find(tid);
	if (k != NULL) {
		vmosal__kick_busy_enter(&k->busy);
		/* Still the same thread's slot once we hold it busy: an
		 * unregistration waits for us from here on, so the target and
		 * the thread's flags stay valid until we leave. */
		if (atomic_load(&k->tid) == tid) {
			volatile uint8_t *exit_byte = atomic_load(&k->immediate_exit);
			void (*cancel)(void *) = atomic_load(&k->cancel);
			_Atomic uint32_t *flag = atomic_load(&k->pending);
			_Atomic uint32_t *sent = atomic_load(&k->sent);

			/* All before the signal: a vCPU about to enter
			 * KVM_RUN or a wait returns at once even if the signal
			 * lands before it is inside. Atomic: the vCPU thread
			 * clears the byte meanwhile. */
			if (exit_byte != NULL)
				vmosal__store_byte(exit_byte, 1);
			if (cancel != NULL)
				cancel(atomic_load(&k->cancel_ctx));
			if (flag != NULL)
				atomic_store(flag, 1);
			if (sent != NULL) {
				rc = kick_send(s, tid == self && self != 0 ? 0 : tid, sent);
				sent_here = true;
			}
		}
		if (vmosal__kick_busy_leave(&k->busy))
			vmosal__wake(s, &k->busy, true);
		if (sent_here)
			return rc;
	} else if (self != 0) {
		/* A thread without a target kicking itself. */
		atomic_store(&kick_flag, 1);
		return kick_send(s, 0, &kick_sent);
	}
	return s->ops->thread_kick(tid == self && self != 0 ? 0 : tid);
}

int vmosal_thread_kick_pending(bool clear, bool *out)
{
	if (out == NULL)
		return VMOSAL_EINVAL;
	*out = (clear ? atomic_exchange(&kick_flag, 0) : atomic_load(&kick_flag)) != 0;
	return 0;
}

int vmosal_thread_kick_signal(int *os_signal)
{
	const struct vmosal__state *s;
	int rc;

	if (os_signal == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if ((rc = kick_setup(s)) != 0)
		return rc;
	*os_signal = atomic_load(&kick_os_signal);
	return 0;
}
