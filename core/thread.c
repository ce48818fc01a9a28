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
	_Atomic int started; /* 1 once options are applied (err says how) */
	struct vmosal_thread_opts opts;
	size_t *cores;
	char *name;
};

static _Thread_local vmosal_tid_t self_tid;

vmosal_tid_t vmosal_thread_self(void)
{
	const struct vmosal__state *s;
	int (*op)(uint64_t *);
	uint64_t tid = 0;

	if (VMOSAL__LIKELY(self_tid != 0))
		return self_tid;
	s = vmosal__get();
	if (s == NULL || (op = VMOSAL__OP(s, thread_self)) == NULL || op(&tid) != 0)
		return 0;
	self_tid = tid;
	return tid;
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

static int check_cores(const struct vmosal__state *s, const size_t *cores, size_t ncores)
{
	hwloc_const_cpuset_t allowed;

	if (cores == NULL || ncores == 0)
		return VMOSAL_EINVAL;
	for (size_t i = 0; i < ncores; i++)
		if (cores[i] >= s->host.cpus_possible || cores[i] > (size_t)INT_MAX)
			return VMOSAL_ERANGE;
	allowed = allowed_cpus();
	if (allowed != NULL)
		for (size_t i = 0; i < ncores; i++)
			if (!hwloc_bitmap_isset(allowed, (unsigned)cores[i]))
				return VMOSAL_EACCES;
	return 0;
}

/* hwloc binds only the calling thread portably (thread ids differ in kind
 * between OSes), so the fallback refuses other threads. */
static int hwloc_set_affinity(uint64_t tid, const size_t *cores, size_t ncores)
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
	set = vmosal__cpuset_of(cores, ncores);
	if (set == NULL)
		return VMOSAL_ENOMEM;
	if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD | HWLOC_CPUBIND_STRICT) != 0)
		rc = VMOSAL_EACCES;
	hwloc_bitmap_free(set);
	return rc;
}

static int hwloc_get_affinity(uint64_t tid, size_t *cores, size_t capacity, size_t *ncores)
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
			cores[n++] = (size_t)cpu;
		hwloc_bitmap_foreach_end();
	}
	hwloc_bitmap_free(set);
	*ncores = n;
	return rc;
}

static int set_affinity(const struct vmosal__state *s, uint64_t tid, const size_t *cores,
			size_t ncores)
{
	int (*op)(uint64_t, const size_t *, size_t) = VMOSAL__OP(s, thread_set_affinity);
	int rc = check_cores(s, cores, ncores);

	if (rc != 0)
		return rc;
	return op != NULL ? op(tid, cores, ncores) : hwloc_set_affinity(tid, cores, ncores);
}

int vmosal_thread_set_affinity(vmosal_tid_t tid, const size_t *cores, size_t ncores)
{
	const struct vmosal__state *s = vmosal__get();

	if (s == NULL)
		return VMOSAL_EBACKEND;
	return set_affinity(s, resolve_tid(tid), cores, ncores);
}

int vmosal_thread_get_affinity(vmosal_tid_t tid, size_t *cores, size_t capacity, size_t *ncores)
{
	const struct vmosal__state *s;
	int (*op)(uint64_t, size_t *, size_t, size_t *);

	if (ncores == NULL || (cores == NULL && capacity > 0))
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	op = VMOSAL__OP(s, thread_get_affinity);
	tid = resolve_tid(tid);
	return op != NULL ? op(tid, cores, capacity, ncores)
			  : hwloc_get_affinity(tid, cores, capacity, ncores);
}

int vmosal_thread_affinity_kind(enum vmosal_affinity_kind *out)
{
	const struct vmosal__state *s;
	hwloc_topology_t topo;

	if (out == NULL)
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	if (VMOSAL__OP(s, thread_set_affinity) != NULL) {
		*out = (enum vmosal_affinity_kind)s->caps.thread_binding;
		return 0;
	}
	topo = vmosal__topology(NULL);
	*out = topo != NULL && hwloc_topology_get_support(topo)->cpubind->set_thisthread_cpubind
		       ? VMOSAL_AFFINITY_HARD
		       : VMOSAL_AFFINITY_UNSUPPORTED;
	return 0;
}

/* ---- priority ---- */

static int check_priority(const struct vmosal__state *s, enum vmosal_priority prio)
{
	if ((int)prio < (int)VMOSAL_PRIORITY_LOW || (int)prio > (int)VMOSAL_PRIORITY_REALTIME)
		return VMOSAL_EINVAL;
	if (prio == VMOSAL_PRIORITY_REALTIME && !s->caps.realtime_scheduling)
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
	void *arg = t->arg;
	int rc = 0;

	t->tid = vmosal_thread_self();
	if (t->name != NULL)
		rc = s->ops->thread_set_name(0, t->name);
	if (rc == 0 && t->cores != NULL)
		rc = set_affinity(s, 0, t->cores, t->opts.ncores);
	if (rc == 0 && t->opts.set_priority)
		rc = s->ops->thread_set_priority(0, (int)t->opts.priority);
	t->err = rc;
	atomic_store_explicit(&t->started, 1, memory_order_release);
	/* t may be freed by the creator from here on when rc != 0. */
	return rc == 0 ? fn(arg) : NULL;
}

static void thread_free(struct vmosal_thread *t)
{
	free(t->cores);
	free(t->name);
	free(t);
}

int vmosal_thread_create(vmosal_thread_t **out, const struct vmosal_thread_opts *opts,
			 void *(*fn)(void *), void *arg)
{
	const struct vmosal__state *s;
	void (*yield)(void);
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
	if (opts != NULL)
		t->opts = *opts;
	t->fn = fn;
	t->arg = arg;
	rc = 0;
	if (t->opts.name != NULL && (rc = check_name(s, t->opts.name)) == 0) {
		size_t len = strlen(t->opts.name) + 1;
		t->name = malloc(len);
		if (t->name == NULL)
			rc = VMOSAL_ENOMEM;
		else
			memcpy(t->name, t->opts.name, len);
	}
	if (rc == 0 && (t->opts.cores != NULL || t->opts.ncores > 0) &&
	    (rc = check_cores(s, t->opts.cores, t->opts.ncores)) == 0) {
		t->cores = malloc(t->opts.ncores * sizeof *t->cores);
		if (t->cores == NULL)
			rc = VMOSAL_ENOMEM;
		else
			memcpy(t->cores, t->opts.cores, t->opts.ncores * sizeof *t->cores);
	}
	if (rc == 0 && t->opts.set_priority)
		rc = check_priority(s, t->opts.priority);
	if (rc == 0)
		rc = s->ops->thread_create(trampoline, t, t->opts.stack_size, &t->handle);
	if (rc != 0) {
		thread_free(t);
		return rc;
	}
	/* Short wait: the new thread applies a few settings and reports. */
	yield = VMOSAL__OP(s, thread_yield);
	while (atomic_load_explicit(&t->started, memory_order_acquire) == 0)
		if (yield != NULL)
			yield();
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
	if (t->tid == vmosal_thread_self())
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
