/* Public thread API: validation, the per-thread tid cache, the start
 * trampoline, and the hwloc fallback for affinity. */
#include "config.h"

#include <hwloc.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* state: START_NONE until the new thread has applied its options (err
 * says how), START_WAITING while someone blocks for that, START_DONE. */
enum { START_NONE, START_WAITING, START_DONE };

struct vmosal_thread {
	void *handle;
	void *(*fn)(void *);
	void *arg;
	_Atomic uint64_t tid;
	int err;
	_Atomic uint32_t state;
	/* VMOSAL_THREAD_NOT_* bits: options to apply (fixed before the thread
	 * starts), those a best-effort creation left out before it started,
	 * and those the thread itself left out. */
	uint32_t todo, not_applied, dropped;
	struct vmosal_thread_opts opts;
	/* What the backend applies before the thread runs; its applied bits
	 * are set before the thread starts. */
	struct vmosal_backend_thread_attr attr;
	size_t *cpus;
	char *name;
};

static _Thread_local vmosal_tid_t self_tid;

/* The caller's tid, asking the backend once per thread; 0 on failure. */
static vmosal_tid_t self_tid_of(const struct vmosal__state *s)
{
	uint64_t tid = 0;

	if (VMOSAL__LIKELY(self_tid != 0))
		return self_tid;
	if (s->ops->thread_self(&tid) != 0 || tid == 0)
		return 0;
	self_tid = tid;
	return tid;
}

int vmosal_thread_self(vmosal_tid_t *out)
{
	const struct vmosal__state *s;
	int rc;
	vmosal_tid_t tid;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if (VMOSAL__LIKELY(self_tid != 0)) {
		*out = self_tid;
		return 0;
	}
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	tid = self_tid_of(s);
	if (tid == 0)
		return VMOSAL_EUNKNOWN;
	*out = tid;
	return 0;
}

/* ---- threads known to be ours ----
 * Tids of the threads vmosal_thread_create started, while their function
 * runs: a backend skips its "is this tid ours" system call for them (core
 * service tid_known). Open addressing with a short probe: a tid that finds
 * no room is simply not recorded, and a lookup never scans far. */

#define KNOWN_SLOTS 4096
#define KNOWN_PROBES 16
#define KNOWN_GONE UINT64_MAX

static _Atomic uint64_t known_tids[KNOWN_SLOTS];
static atomic_bool known_ever;

static size_t known_hash(uint64_t tid)
{
	return (size_t)((tid * 0x9e3779b97f4a7c15ull) >> 52) % KNOWN_SLOTS;
}

static _Atomic uint64_t *known_add(uint64_t tid)
{
	size_t start = known_hash(tid);

	atomic_store(&known_ever, true);
	for (size_t i = 0; i < KNOWN_PROBES; i++) {
		_Atomic uint64_t *k = &known_tids[(start + i) % KNOWN_SLOTS];
		uint64_t seen = atomic_load(k);
		if ((seen == 0 || seen == KNOWN_GONE) && atomic_compare_exchange_strong(k, &seen, tid))
			return k;
	}
	return NULL;
}

bool vmosal__tid_known(uint64_t tid)
{
	size_t start = known_hash(tid);

	if (tid == 0 || tid == KNOWN_GONE)
		return false;
	for (size_t i = 0; i < KNOWN_PROBES; i++) {
		uint64_t t = atomic_load_explicit(&known_tids[(start + i) % KNOWN_SLOTS],
						  memory_order_acquire);
		if (t == tid)
			return true;
		if (t == 0)
			break;
	}
	return vmosal__kick_known(tid);
}

void vmosal__thread_forget_self(void)
{
	self_tid = 0;
	/* A forked child's one thread is none of those recorded. */
	if (atomic_load(&known_ever))
		memset(known_tids, 0, sizeof known_tids);
}

/* The calling thread's own id becomes 0, which every slot takes as "self"
 * without a check that the thread belongs to this process. 0 is tested
 * first so that the common call reads no thread-local storage. */
static inline uint64_t resolve_tid(vmosal_tid_t tid)
{
	return tid == 0 || tid == self_tid ? 0 : tid;
}

/* ---- affinity ---- */

/* The cgroup/cpuset allowed set, as hwloc reads it; NULL when unknown (no
 * topology, or one loaded from XML that describes another machine). */
static hwloc_const_cpuset_t allowed_cpus(void)
{
	hwloc_topology_t topo = vmosal__topology(NULL);

	if (topo == NULL || !hwloc_topology_is_thissystem(topo))
		return NULL;
	return hwloc_topology_get_allowed_cpuset(topo);
}

static int check_cpus(const struct vmosal__state *s, const size_t *cpus, size_t ncpus)
{
	hwloc_const_cpuset_t allowed;

	if (cpus == NULL || ncpus == 0)
		return VMOSAL_EINVAL;
	for (size_t i = 0; i < ncpus; i++)
		if (cpus[i] >= s->host.cpus_possible || cpus[i] > (size_t)INT_MAX)
			return VMOSAL_ERANGE;
	allowed = allowed_cpus();
	if (allowed != NULL)
		for (size_t i = 0; i < ncpus; i++)
			if (!hwloc_bitmap_isset(allowed, (unsigned)cpus[i]))
				return VMOSAL_EACCES;
	return 0;
}

/* hwloc binds only the calling thread portably (thread ids differ in kind
 * between OSes), so the fallback refuses other threads. */
static int hwloc_set_affinity(uint64_t tid, const size_t *cpus, size_t ncpus)
{
	hwloc_topology_t topo;
	hwloc_bitmap_t set;
	int rc = 0;

	if (tid != 0)
		return VMOSAL_ENOTSUP;
	topo = vmosal__topology(&rc);
	if (topo == NULL)
		return rc;
	if (!hwloc_topology_get_support(topo)->cpubind->set_thisthread_cpubind)
		return VMOSAL_ENOTSUP;
	set = vmosal__cpuset_of(cpus, ncpus);
	if (set == NULL)
		return VMOSAL_ENOMEM;
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0)
		rc = VMOSAL_EACCES;
	hwloc_bitmap_free(set);
	return rc;
}

static int hwloc_get_affinity(uint64_t tid, size_t *cpus, size_t capacity, size_t *ncpus)
{
	hwloc_topology_t topo;
	hwloc_bitmap_t set;
	size_t n = 0;
	int cpu, count, rc = 0;

	if (tid != 0)
		return VMOSAL_ENOTSUP;
	topo = vmosal__topology(&rc);
	if (topo == NULL)
		return rc;
	if (!hwloc_topology_get_support(topo)->cpubind->get_thisthread_cpubind)
		return VMOSAL_ENOTSUP;
	set = hwloc_bitmap_alloc();
	if (set == NULL)
		return VMOSAL_ENOMEM;
	if (hwloc_get_cpubind(topo, set, HWLOC_CPUBIND_THREAD) != 0) {
		hwloc_bitmap_free(set);
		return VMOSAL_EUNKNOWN;
	}
	count = hwloc_bitmap_weight(set);
	if (count < 0 || (size_t)count > capacity) {
		rc = VMOSAL_ERANGE;
		n = count < 0 ? 0 : (size_t)count;
	} else {
		hwloc_bitmap_foreach_begin(cpu, set)
			cpus[n++] = (size_t)cpu;
		hwloc_bitmap_foreach_end();
	}
	hwloc_bitmap_free(set);
	*ncpus = n;
	return rc;
}

static int set_affinity(const struct vmosal__state *s, uint64_t tid, const size_t *cpus,
			size_t ncpus)
{
	int (*op)(uint64_t, const size_t *, size_t) = s->ops->thread_set_affinity;
	int rc = check_cpus(s, cpus, ncpus);

	if (rc != 0)
		return rc;
	if (op == NULL)
		return hwloc_set_affinity(tid, cpus, ncpus);
	if (s->caps.affinity == VMOSAL_AFFINITY_UNSUPPORTED ||
	    (tid != 0 && !(s->caps.flags & VMOSAL_BACKEND_CAP_AFFINITY_OTHER_THREADS)))
		return VMOSAL_ENOTSUP;
	return op(tid, cpus, ncpus);
}

int vmosal_thread_set_affinity(vmosal_tid_t tid, const size_t *cpus, size_t ncpus)
{
	const struct vmosal__state *s = vmosal__get();

	if (s == NULL)
		return VMOSAL_EBACKEND;
	return set_affinity(s, resolve_tid(tid), cpus, ncpus);
}

int vmosal_thread_get_affinity(vmosal_tid_t tid, size_t *cpus, size_t capacity, size_t *ncpus)
{
	const struct vmosal__state *s;
	int rc;
	int (*op)(uint64_t, size_t *, size_t, size_t *);

	if (ncpus == NULL || (cpus == NULL && capacity > 0))
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->thread_get_affinity;
	tid = resolve_tid(tid);
	return op != NULL ? op(tid, cpus, capacity, ncpus)
			  : hwloc_get_affinity(tid, cpus, capacity, ncpus);
}

uint32_t vmosal__affinity_kind(const struct vmosal__state *s)
{
	hwloc_topology_t topo;

	if (s->ops->thread_set_affinity != NULL)
		return s->caps.affinity;
	topo = vmosal__topology(NULL);
	return topo != NULL && hwloc_topology_get_support(topo)->cpubind->set_thisthread_cpubind
		       ? VMOSAL_AFFINITY_HARD
		       : VMOSAL_AFFINITY_UNSUPPORTED;
}

/* ---- priority ---- */

static int check_priority(const struct vmosal__state *s, enum vmosal_priority prio)
{
	if ((int)prio < (int)VMOSAL_PRIORITY_LOW || (int)prio > (int)VMOSAL_PRIORITY_REALTIME)
		return VMOSAL_EINVAL;
	if (prio == VMOSAL_PRIORITY_REALTIME && !(s->caps.flags & VMOSAL_BACKEND_CAP_REALTIME))
		return VMOSAL_ENOTSUP;
	return s->ops->thread_set_priority != NULL ? 0 : VMOSAL_ENOTSUP;
}

int vmosal_thread_set_priority(vmosal_tid_t tid, enum vmosal_priority prio)
{
	const struct vmosal__state *s = vmosal__get();
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	rc = check_priority(s, prio);
	if (rc != 0)
		return rc;
	return s->ops->thread_set_priority(resolve_tid(tid), (int)prio);
}

/* policy and level of a realtime request (level 0: 1). */
static int check_realtime(const struct vmosal__state *s, int policy, int level)
{
	if ((policy != VMOSAL_RT_FIFO && policy != VMOSAL_RT_RR) || level < 0 ||
	    level > VMOSAL_RT_LEVEL_MAX)
		return VMOSAL_EINVAL;
	if (!(s->caps.flags & VMOSAL_BACKEND_CAP_REALTIME))
		return VMOSAL_ENOTSUP;
	/* Without the slot, only what REALTIME always meant is possible. */
	if (s->ops->thread_set_realtime == NULL && (policy != VMOSAL_RT_FIFO || level > 1))
		return VMOSAL_ENOTSUP;
	return s->ops->thread_set_priority != NULL ? 0 : VMOSAL_ENOTSUP;
}

/* Applies a checked realtime request to tid. */
static int apply_realtime(const struct vmosal__state *s, uint64_t tid, int policy, int level)
{
	int (*op)(uint64_t, int, int) = s->ops->thread_set_realtime;

	if (level == 0)
		level = 1;
	if (op != NULL)
		return op(tid, policy, level);
	return s->ops->thread_set_priority(tid, VMOSAL_PRIORITY_REALTIME);
}

int vmosal_thread_set_realtime(vmosal_tid_t tid, enum vmosal_rt_policy policy, int level)
{
	const struct vmosal__state *s = vmosal__get();
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if (level < 1)
		return VMOSAL_EINVAL;
	rc = check_realtime(s, (int)policy, level);
	if (rc != 0)
		return rc;
	return apply_realtime(s, resolve_tid(tid), (int)policy, level);
}

int vmosal_thread_get_priority(vmosal_tid_t tid, enum vmosal_priority *out)
{
	const struct vmosal__state *s;
	int (*op)(uint64_t, int *);
	int prio, rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->thread_get_priority;
	if (op == NULL)
		return VMOSAL_ENOTSUP;
	rc = op(resolve_tid(tid), &prio);
	if (rc == 0)
		*out = (enum vmosal_priority)prio;
	return rc;
}

/* ---- names and CPU ---- */

size_t vmosal_thread_name_max(void)
{
	const struct vmosal__state *s = vmosal__get();
	return s != NULL ? s->caps.thread_name_max : 0;
}

static int check_name(const struct vmosal__state *s, const char *name)
{
	size_t len;

	if (name == NULL || name[0] == '\0')
		return VMOSAL_EINVAL;
	if (s->ops->thread_set_name == NULL)
		return VMOSAL_ENOTSUP;
	len = strlen(name);
	return len > s->caps.thread_name_max ? VMOSAL_ERANGE : 0;
}

int vmosal_thread_set_name(vmosal_tid_t tid, const char *name)
{
	const struct vmosal__state *s = vmosal__get();
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	rc = check_name(s, name);
	if (rc != 0)
		return rc;
	return s->ops->thread_set_name(resolve_tid(tid), name);
}

int vmosal_thread_get_name(vmosal_tid_t tid, char *buf, size_t len)
{
	const struct vmosal__state *s;
	int rc;

	if (buf == NULL || len == 0)
		return VMOSAL_EINVAL;
	if ((rc = VMOSAL__READY_SLOT(&s, thread_get_name)) != 0)
		return rc;
	return s->ops->thread_get_name(resolve_tid(tid), buf, len);
}

int vmosal_thread_current_cpu(size_t *cpu)
{
	const struct vmosal__state *s;
	int rc;

	if (cpu == NULL)
		return VMOSAL_EINVAL;
	if ((rc = VMOSAL__READY_SLOT(&s, thread_current_cpu)) != 0)
		return rc;
	return s->ops->thread_current_cpu(cpu);
}

/* ---- creation ---- */

/* Applies the priority options to the calling thread. */
static int apply_priority(const struct vmosal__state *s, const struct vmosal_thread_opts *o)
{
	if (o->priority == VMOSAL_PRIORITY_REALTIME)
		return apply_realtime(s, 0, (int)o->rt_policy, o->rt_level);
	return s->ops->thread_set_priority(0, (int)o->priority);
}

/* An error a best-effort creation drops the option for: the OS refused it,
 * as opposed to an option wrong in itself. */
static bool refused(const struct vmosal_thread *t, int rc)
{
	return (t->opts.flags & VMOSAL_THREAD_BEST_EFFORT) &&
	       (rc == VMOSAL_EPERM || rc == VMOSAL_EACCES || rc == VMOSAL_ENOTSUP);
}

/* rc from applying option `bit`: 0 to go on (with the option dropped, when
 * the creation is best effort), else the error. */
static int option_result(struct vmosal_thread *t, uint32_t bit, int rc)
{
	if (rc != 0 && refused(t, rc)) {
		t->dropped |= bit;
		return 0;
	}
	return rc;
}

/* The options the new thread applies itself. */
static uint32_t in_thread(const struct vmosal_thread *t)
{
	uint32_t todo = t->todo;

	if (t->attr.ncpus > 0 && (t->attr.applied & VMOSAL_BACKEND_THREAD_AFFINITY))
		todo &= ~VMOSAL_THREAD_NOT_AFFINITY;
	if (t->attr.realtime && (t->attr.applied & VMOSAL_BACKEND_THREAD_REALTIME))
		todo &= ~VMOSAL_THREAD_NOT_PRIORITY;
	return todo;
}

/* Runs in the new thread: applies what the OS did not apply before it ran,
 * and only then runs user code, so there is no window where it runs
 * unpinned. Blocks nobody: the creator waits (START_WAITING) only for an
 * option the OS may refuse here. */
static void *trampoline(void *p)
{
	struct vmosal_thread *t = p;
	const struct vmosal__state *s = vmosal__get();
	void *(*fn)(void *) = t->fn;
	void *arg = t->arg, *ret;
	_Atomic uint64_t *known = NULL;
	uint64_t tid = self_tid_of(s);
	uint32_t todo = in_thread(t);
	int rc = 0;

	if (tid == 0)
		rc = VMOSAL_EUNKNOWN;
	else
		known = known_add(tid);
	atomic_store_explicit(&t->tid, tid, memory_order_release);
	if (rc == 0 && (todo & VMOSAL_THREAD_NOT_NAME))
		rc = option_result(t, VMOSAL_THREAD_NOT_NAME, s->ops->thread_set_name(0, t->name));
	if (rc == 0 && (todo & VMOSAL_THREAD_NOT_AFFINITY))
		rc = option_result(t, VMOSAL_THREAD_NOT_AFFINITY,
				   set_affinity(s, 0, t->cpus, t->opts.ncpus));
	if (rc == 0 && (todo & VMOSAL_THREAD_NOT_PRIORITY))
		rc = option_result(t, VMOSAL_THREAD_NOT_PRIORITY, apply_priority(s, &t->opts));
	t->err = rc;
	/* t stays allocated: whoever holds it joins before freeing it. */
	if (atomic_exchange_explicit(&t->state, START_DONE, memory_order_acq_rel) ==
	    START_WAITING)
		vmosal__wake(s, &t->state, true);
	if (rc == 0)
		ret = fn(arg);
	else
		ret = NULL;
	/* A kick slot or a known tid left with this thread's tid would
	 * outlive it: the OS may give the tid to another thread. */
	vmosal__kick_forget_self();
	if (known != NULL)
		atomic_store(known, KNOWN_GONE);
	return ret;
}

/* Blocks, never spins, until t has applied its options: a spinning waiter
 * that outranks the new thread on its CPU (SCHED_FIFO, both pinned there)
 * would starve it. */
static void wait_started(const struct vmosal__state *s, struct vmosal_thread *t)
{
	uint32_t state = atomic_load_explicit(&t->state, memory_order_acquire);

	while (state != START_DONE) {
		if (state == START_NONE &&
		    !atomic_compare_exchange_strong(&t->state, &state, START_WAITING))
			continue;
		vmosal__wait(s, &t->state, START_WAITING);
		state = atomic_load_explicit(&t->state, memory_order_acquire);
	}
}

static void thread_free(struct vmosal_thread *t)
{
	free(t->cpus);
	free(t->name);
	free(t);
}

/* Checks the options and copies what they point to, so the caller's may go
 * away; a best-effort creation drops what the checks say the OS refuses. */
static int thread_prepare(const struct vmosal__state *s, struct vmosal_thread *t)
{
	struct vmosal_thread_opts *o = &t->opts;
	int rc;

	if (o->flags & ~VMOSAL_THREAD_BEST_EFFORT)
		return VMOSAL_EINVAL;
	if (o->not_applied != NULL && !(o->flags & VMOSAL_THREAD_BEST_EFFORT))
		return VMOSAL_EINVAL;
	if ((o->rt_policy != 0 || o->rt_level != 0) &&
	    (!o->set_priority || o->priority != VMOSAL_PRIORITY_REALTIME))
		return VMOSAL_EINVAL;
	if (o->name != NULL) {
		size_t len;

		if ((rc = check_name(s, o->name)) != 0) {
			if (!refused(t, rc))
				return rc;
			t->not_applied |= VMOSAL_THREAD_NOT_NAME;
		} else {
			len = strlen(o->name) + 1;
			t->name = malloc(len);
			if (t->name == NULL)
				return VMOSAL_ENOMEM;
			memcpy(t->name, o->name, len);
			t->todo |= VMOSAL_THREAD_NOT_NAME;
		}
	}
	if (o->ncpus > 0) {
		if ((rc = check_cpus(s, o->cpus, o->ncpus)) != 0) {
			if (!refused(t, rc))
				return rc;
			t->not_applied |= VMOSAL_THREAD_NOT_AFFINITY;
		} else {
			if (o->ncpus > SIZE_MAX / sizeof *t->cpus)
				return VMOSAL_EOVERFLOW;
			t->cpus = malloc(o->ncpus * sizeof *t->cpus);
			if (t->cpus == NULL)
				return VMOSAL_ENOMEM;
			memcpy(t->cpus, o->cpus, o->ncpus * sizeof *t->cpus);
			t->todo |= VMOSAL_THREAD_NOT_AFFINITY;
		}
	}
	if (o->set_priority) {
		rc = check_priority(s, o->priority);
		if (rc == 0 && o->priority == VMOSAL_PRIORITY_REALTIME)
			rc = check_realtime(s, (int)o->rt_policy, o->rt_level);
		if (rc == 0)
			t->todo |= VMOSAL_THREAD_NOT_PRIORITY;
		else if (refused(t, rc))
			t->not_applied |= VMOSAL_THREAD_NOT_PRIORITY;
		else
			return rc;
	}
	return 0;
}

/* Starts the OS thread, giving the backend what it can apply before the
 * thread runs. A best-effort creation whose option the OS refuses drops
 * that option and tries again (a failed try ran nothing). */
static int thread_start(const struct vmosal__state *s, struct vmosal_thread *t)
{
	int (*op)(void *(*)(void *), void *, struct vmosal_backend_thread_attr *, void **) =
		s->ops->thread_create_attr;
	struct vmosal_backend_thread_attr *attr = &t->attr;
	int rc;

	if (op == NULL)
		return s->ops->thread_create(trampoline, t, t->opts.stack_size, &t->handle);
	for (;;) {
		memset(attr, 0, sizeof *attr);
		attr->struct_size = sizeof *attr;
		attr->stack_size = t->opts.stack_size;
		if (t->todo & VMOSAL_THREAD_NOT_AFFINITY) {
			attr->cpus = t->cpus;
			attr->ncpus = t->opts.ncpus;
		}
		if ((t->todo & VMOSAL_THREAD_NOT_PRIORITY) &&
		    t->opts.priority == VMOSAL_PRIORITY_REALTIME) {
			attr->realtime = 1;
			attr->rt_policy = (int32_t)t->opts.rt_policy;
			attr->rt_level = t->opts.rt_level != 0 ? t->opts.rt_level : 1;
		}
		rc = op(trampoline, t, attr, &t->handle);
		if (rc == 0 || !refused(t, rc))
			return rc;
		/* Which option the OS refused: EPERM is the realtime class,
		 * EACCES the CPUs; ENOTSUP either (realtime first). */
		if (attr->realtime && rc != VMOSAL_EACCES) {
			t->todo &= ~VMOSAL_THREAD_NOT_PRIORITY;
			t->not_applied |= VMOSAL_THREAD_NOT_PRIORITY;
		} else if (attr->ncpus > 0 && rc != VMOSAL_EPERM) {
			t->todo &= ~VMOSAL_THREAD_NOT_AFFINITY;
			t->not_applied |= VMOSAL_THREAD_NOT_AFFINITY;
		} else {
			return rc;
		}
	}
}

int vmosal_thread_create(const struct vmosal_thread_opts *opts, void *(*fn)(void *), void *arg,
			 vmosal_thread_t **out)
{
	const struct vmosal__state *s;
	struct vmosal_thread *t;
	bool wait;
	int rc;

	if (out == NULL || fn == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		return VMOSAL_ENOMEM;
	t->fn = fn;
	t->arg = arg;
	rc = vmosal__struct_in(&t->opts, sizeof t->opts, opts, VMOSAL__MIN_THREAD_OPTS);
	if (rc == 0)
		rc = thread_prepare(s, t);
	if (rc == 0)
		rc = thread_start(s, t);
	if (rc != 0) {
		thread_free(t);
		return rc;
	}
	/* The creator waits only for what the OS may refuse the new thread: a
	 * nice level, what the backend could not apply before the thread ran,
	 * and a name unless the backend vouches for it. */
	wait = (in_thread(t) & (VMOSAL_THREAD_NOT_AFFINITY | VMOSAL_THREAD_NOT_PRIORITY)) != 0 ||
	       ((t->todo & VMOSAL_THREAD_NOT_NAME) &&
		!(t->attr.applied & VMOSAL_BACKEND_THREAD_NAME));
	if (wait) {
		wait_started(s, t);
		if (t->err != 0) {
			rc = t->err;
			s->ops->thread_join(t->handle, NULL);
			thread_free(t);
			return rc;
		}
	}
	if (t->opts.not_applied != NULL)
		*t->opts.not_applied = t->not_applied | (wait ? t->dropped : 0);
	*out = t;
	return 0;
}

int vmosal_thread_join(vmosal_thread_t *t, void **result)
{
	const struct vmosal__state *s;
	int rc;

	if (t == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	/* 0 until the thread starts: then it cannot be the caller. */
	if (atomic_load_explicit(&t->tid, memory_order_acquire) == self_tid_of(s))
		return VMOSAL_EBUSY;
	rc = s->ops->thread_join(t->handle, result);
	if (rc != 0)
		return rc;
	/* The thread failed to set itself up after create had returned. */
	rc = t->err;
	thread_free(t);
	return rc;
}

int vmosal_thread_tid(const vmosal_thread_t *t, vmosal_tid_t *out)
{
	const struct vmosal__state *s;
	uint64_t tid;

	if (t == NULL || out == NULL)
		return VMOSAL_EINVAL;
	tid = atomic_load_explicit(&t->tid, memory_order_acquire);
	if (tid == 0) {
		s = vmosal__get();
		if (s == NULL)
			return VMOSAL_EBACKEND;
		/* t was allocated writable by create; the wait writes only
		 * its state word. */
		wait_started(s, (struct vmosal_thread *)(uintptr_t)t);
		tid = atomic_load_explicit(&t->tid, memory_order_acquire);
	}
	if (tid == 0)
		return VMOSAL_EUNKNOWN;
	*out = tid;
	return 0;
}
