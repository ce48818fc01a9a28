/* Public thread API: validation, the per-thread tid cache, the start
 * trampoline, and the hwloc fallback for affinity. */
#include "config.h"

#include <hwloc.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct vmosal_thread {
	void *handle;
	void *(*fn)(void *);
	void *arg;
	vmosal_tid_t tid;
	int err;
	_Atomic uint32_t started; /* 1 once options are applied (err says how) */
	struct vmosal_thread_opts opts;
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
	vmosal_tid_t tid;

	if (out == NULL)
		return VMOSAL_EINVAL;
	if (VMOSAL__LIKELY(self_tid != 0)) {
		*out = self_tid;
		return 0;
	}
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	tid = self_tid_of(s);
	if (tid == 0)
		return VMOSAL_EUNKNOWN;
	*out = tid;
	return 0;
}

void vmosal__thread_forget_self(void)
{
	self_tid = 0;
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
	int (*op)(uint64_t, const size_t *, size_t) = VMOSAL__OP(s, thread_set_affinity);
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
	int (*op)(uint64_t, size_t *, size_t, size_t *);

	if (ncpus == NULL || (cpus == NULL && capacity > 0))
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	op = VMOSAL__OP(s, thread_get_affinity);
	tid = resolve_tid(tid);
	return op != NULL ? op(tid, cpus, capacity, ncpus)
			  : hwloc_get_affinity(tid, cpus, capacity, ncpus);
}

uint32_t vmosal__affinity_kind(const struct vmosal__state *s)
{
	hwloc_topology_t topo;

	if (VMOSAL__OP(s, thread_set_affinity) != NULL)
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
	return VMOSAL__OP(s, thread_set_priority) != NULL ? 0 : VMOSAL_ENOTSUP;
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

int vmosal_thread_get_priority(vmosal_tid_t tid, enum vmosal_priority *out)
{
	const struct vmosal__state *s;
	int (*op)(uint64_t, int *);
	int prio, rc;

	if (out == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	op = VMOSAL__OP(s, thread_get_priority);
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
	if (VMOSAL__OP(s, thread_set_name) == NULL)
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
	int (*op)(uint64_t, char *, size_t);

	if (buf == NULL || len == 0)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	op = VMOSAL__OP(s, thread_get_name);
	return op != NULL ? op(resolve_tid(tid), buf, len) : VMOSAL_ENOTSUP;
}

int vmosal_thread_current_cpu(size_t *cpu)
{
	const struct vmosal__state *s;
	int (*op)(size_t *);

	if (cpu == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	op = VMOSAL__OP(s, thread_current_cpu);
	return op != NULL ? op(cpu) : VMOSAL_ENOTSUP;
}

/* ---- creation ---- */

/* Runs in the new thread: applies the options to itself, reports, and only
 * then runs user code, so there is no window where it runs unpinned. */
static void *trampoline(void *p)
{
	struct vmosal_thread *t = p;
	const struct vmosal__state *s = vmosal__get();
	void *(*fn)(void *) = t->fn;
	void *arg = t->arg, *ret;
	int rc = 0;

	t->tid = self_tid_of(s);
	if (t->tid == 0)
		rc = VMOSAL_EUNKNOWN;
	if (rc == 0 && t->name != NULL)
		rc = s->ops->thread_set_name(0, t->name);
	if (rc == 0 && t->cpus != NULL)
		rc = set_affinity(s, 0, t->cpus, t->opts.ncpus);
	if (rc == 0 && t->opts.set_priority)
		rc = s->ops->thread_set_priority(0, (int)t->opts.priority);
	t->err = rc;
	atomic_store_explicit(&t->started, 1, memory_order_release);
	/* t stays allocated: on failure the creator joins before freeing. */
	vmosal__wake(s, &t->started, false);
	if (rc != 0)
		return NULL;
	ret = fn(arg);
	/* A kick slot left with this thread's tid would outlive it. */
	vmosal__kick_forget_self();
	return ret;
}

static void thread_free(struct vmosal_thread *t)
{
	free(t->cpus);
	free(t->name);
	free(t);
}

/* Copies what the options point to, so the caller's may go away. */
static int thread_prepare(const struct vmosal__state *s, struct vmosal_thread *t)
{
	int rc;

	if (t->opts.name != NULL) {
		size_t len;

		if ((rc = check_name(s, t->opts.name)) != 0)
			return rc;
		len = strlen(t->opts.name) + 1;
		t->name = malloc(len);
		if (t->name == NULL)
			return VMOSAL_ENOMEM;
		memcpy(t->name, t->opts.name, len);
	}
	if (t->opts.ncpus > 0) {
		if ((rc = check_cpus(s, t->opts.cpus, t->opts.ncpus)) != 0)
			return rc;
		if (t->opts.ncpus > SIZE_MAX / sizeof *t->cpus)
			return VMOSAL_EOVERFLOW;
		t->cpus = malloc(t->opts.ncpus * sizeof *t->cpus);
		if (t->cpus == NULL)
			return VMOSAL_ENOMEM;
		memcpy(t->cpus, t->opts.cpus, t->opts.ncpus * sizeof *t->cpus);
	}
	if (t->opts.set_priority)
		return check_priority(s, t->opts.priority);
	return 0;
}

int vmosal_thread_create(const struct vmosal_thread_opts *opts, void *(*fn)(void *), void *arg,
			 vmosal_thread_t **out)
{
	const struct vmosal__state *s;
	struct vmosal_thread *t;
	int rc;

	if (out == NULL || fn == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	t = calloc(1, sizeof *t);
	if (t == NULL)
		return VMOSAL_ENOMEM;
	t->fn = fn;
	t->arg = arg;
	rc = vmosal__struct_in(&t->opts, sizeof t->opts, opts, VMOSAL__MIN_THREAD_OPTS);
	if (rc == 0)
		rc = thread_prepare(s, t);
	if (rc == 0)
		rc = s->ops->thread_create(trampoline, t, t->opts.stack_size, &t->handle);
	if (rc != 0) {
		thread_free(t);
		return rc;
	}
	/* Block, never spin: a spinning creator that outranks the new thread
	 * on its CPU (SCHED_FIFO, both pinned there) would starve it. */
	while (atomic_load_explicit(&t->started, memory_order_acquire) == 0)
		vmosal__wait(s, &t->started, 0);
	if (t->err != 0) {
		rc = t->err;
		s->ops->thread_join(t->handle, NULL);
		thread_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

int vmosal_thread_join(vmosal_thread_t *t, void **result)
{
	const struct vmosal__state *s;
	int rc;

	if (t == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	if (t->tid == self_tid_of(s))
		return VMOSAL_EBUSY;
	rc = s->ops->thread_join(t->handle, result);
	if (rc == 0)
		thread_free(t);
	return rc;
}

int vmosal_thread_tid(const vmosal_thread_t *t, vmosal_tid_t *out)
{
	if (t == NULL || out == NULL)
		return VMOSAL_EINVAL;
	*out = t->tid;
	return 0;
}
