/* Guest RAM: one call that reserves, aligns, guards, backs with huge pages,
 * binds to a NUMA node and preallocates. The OS work goes through backend
 * slots; this file only orchestrates, and undoes everything on failure. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "internal.h"

#define KNOWN_GUEST_FLAGS                                                              \
	(VMOSAL_GUEST_SHARED | VMOSAL_GUEST_FD | VMOSAL_GUEST_NORESERVE | VMOSAL_GUEST_PREALLOC | \
	 VMOSAL_GUEST_NUMA | VMOSAL_GUEST_DONTDUMP)
#define TWO_MIB ((size_t)2 << 20)

/* ---- preallocation ---- */

struct prefault {
	int (*populate)(void *addr, size_t size);
	char *addr;
	size_t size, chunk, nchunks;
	atomic_size_t next;
	atomic_size_t done;
	atomic_int err;
	atomic_flag reporting;
	size_t reported; /* written only while holding `reporting` */
	hwloc_topology_t topo;
	hwloc_const_cpuset_t cpuset; /* NULL: workers stay unbound */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	const struct vmosal__state *s;
	_Atomic uint32_t running; /* workers not yet done with this struct */
};

/* One reporter at a time, reading `done` after it wins, so the values a
 * callback sees never go down; a worker that loses simply skips a report. */
static void prefault_report(struct prefault *pf)
{
	if (pf->progress == NULL || atomic_flag_test_and_set(&pf->reporting))
		return;
	size_t done = atomic_load(&pf->done);
	if (done > pf->reported) {
		pf->reported = done;
		pf->progress(pf->progress_ctx, done, pf->size);
	}
	atomic_flag_clear(&pf->reporting);
}

struct populate_call {
	int (*populate)(void *addr, size_t size);
	void *addr;
	size_t len;
};

static int populate_call(void *arg)
{
	struct populate_call *c = arg;
	return c->populate(c->addr, c->len);
}

/* Faults a chunk in under the fault guard: a page the OS cannot back
 * (huge pages or a memory limit ran out) raises SIGBUS, which becomes
 * VMOSAL_ENOMEM here instead of killing the VMM at boot. A backend
 * without the guard (ABI 2.0) promises never to raise it. */
static int populate_guarded(struct prefault *pf, char *addr, size_t len)
{
	struct populate_call c = {pf->populate, addr, len};
	struct vmosal_siginfo fault;
	int result = 0, rc;

	rc = vmosal__fault_guard(pf->s, populate_call, &c, &fault, &result);
	if (rc == VMOSAL_ENOTSUP)
		return pf->populate(addr, len);
	if (rc == VMOSAL_EFAULT)
		return VMOSAL_ENOMEM;
	return rc != 0 ? rc : result;
}

static void prefault_chunks(struct prefault *pf)
{
	for (;;) {
		size_t i = atomic_fetch_add(&pf->next, 1);
		size_t off, len;
		int rc;

		if (i >= pf->nchunks || atomic_load_explicit(&pf->err, memory_order_relaxed) != 0)
			return;
		off = i * pf->chunk;
		len = pf->size - off < pf->chunk ? pf->size - off : pf->chunk;
		rc = populate_guarded(pf, pf->addr + off, len);
		if (rc != 0) {
			int zero = 0;
			atomic_compare_exchange_strong(&pf->err, &zero, rc);
			return;
		}
		atomic_fetch_add(&pf->done, len);
		prefault_report(pf);
	}
}

static void *prefault_worker(void *arg)
{
	struct prefault *pf = arg;
	const struct vmosal__state *s = pf->s;

	/* Best effort: an unbound worker still fills pages, just not
	 * necessarily next to the node's memory. */
	if (pf->cpuset != NULL)
		hwloc_set_cpubind(pf->topo, pf->cpuset, HWLOC_CPUBIND_THREAD);
	prefault_chunks(pf);
	/* pf lives on the caller's stack: this is the worker's last touch. */
	if (atomic_fetch_sub(&pf->running, 1) == 1)
		vmosal__wake(s, &pf->running, true);
	return NULL;
}

static int prefault(struct prefault *pf, unsigned threads, size_t unit)
{
	void **handles;
	unsigned started = 0;
	bool join_failed = false;
	uint32_t running;

	/* About 8 chunks per thread balances uneven threads; whole huge pages
	 * so no huge page is split between two threads. */
	pf->chunk = (pf->size / unit) / ((size_t)threads * 8) * unit;
	if (pf->chunk < unit)
		pf->chunk = unit;
	if (pf->chunk > ((size_t)256 << 20) && unit <= ((size_t)256 << 20))
		pf->chunk = ((size_t)256 << 20) / unit * unit;
	pf->nchunks = (pf->size + pf->chunk - 1) / pf->chunk;
	if (threads > pf->nchunks)
		threads = (unsigned)pf->nchunks;
	handles = calloc(threads, sizeof *handles);
	if (handles == NULL)
		return VMOSAL_ENOMEM;
	for (unsigned i = 0; i < threads; i++) {
		atomic_fetch_add(&pf->running, 1);
		if (vmosal__thread_start(prefault_worker, pf, &handles[i]) != 0) {
			atomic_fetch_sub(&pf->running, 1);
			break;
		}
		started++;
	}
	if (started == 0)
		prefault_chunks(pf); /* no thread to be had: do it here, unbound */
	for (unsigned i = 0; i < started; i++)
		if (vmosal__thread_join(handles[i], NULL) != 0)
			join_failed = true;
	/* A worker the OS would not join may still be using pf, which lives
	 * on the caller's stack; it only leaks its handle once it is done. */
	if (join_failed) {
		vmosal__debug("memory", "guest RAM: a preallocation thread cannot be joined");
		while ((running = atomic_load(&pf->running)) != 0)
			vmosal__wait(pf->s, &pf->running, running);
	}
	free(handles);
	if (atomic_load(&pf->err) != 0)
		return atomic_load(&pf->err);
	if (pf->progress != NULL && pf->reported < pf->size)
		pf->progress(pf->progress_ctx, pf->size, pf->size);
	return 0;
}

/* ---- allocation ---- */

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* The huge page size to use, checked against what the host offers. */
static int pick_hugetlb_size(uint64_t want, const struct vmosal_backend_huge_page_sizes *ps,
			     uint64_t *out)
{
	if (want == 0)
		want = ps->huge_default;
	for (size_t i = 0; i < ps->huge_count; i++)
		if (ps->huge[i].page_size == want) {
			*out = want;
			return 0;
		}
	return VMOSAL_ENOTSUP;
}

/* Advice guest RAM needs; a backend without the slot cannot take any. */
static int advise(const struct vmosal__state *s, void *addr, size_t size, int advice)
{
	int (*op)(void *, size_t, int) = s->ops->mem_advise;
	return op != NULL ? op(addr, size, advice) : VMOSAL_ENOTSUP;
}

int vmosal_guest_ram_create(size_t size, const struct vmosal_guest_ram_options *options,
			   struct vmosal_guest_ram *out)
{
	const struct vmosal__state *s;
	struct vmosal_guest_ram_options o;
	struct vmosal_backend_huge_page_sizes ps;
	struct vmosal_guest_ram ram = {.struct_size = sizeof ram, .handle = VMOSAL_NO_HANDLE};
	hwloc_topology_t topo = NULL;
	hwloc_obj_t node = NULL;
	int (*populate)(void *, size_t) = NULL;
	uint64_t page, granule, huge = 0;
	size_t align, guard, reserve;
	unsigned flags, map_flags;
	bool thp;
	void *base;
	int rc;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_GUEST_RAM) != 0 || size == 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__struct_in(&o, sizeof o, options, VMOSAL__MIN_GUEST_RAM_OPTIONS)) != 0)
		return rc;
	flags = o.flags;
	if ((flags & ~KNOWN_GUEST_FLAGS) != 0 || o.pages > VMOSAL_PAGES_HUGETLB ||
	    (o.huge_page_size != 0 && o.pages != VMOSAL_PAGES_HUGETLB) ||
	    (o.alignment != 0 && !is_pow2(o.alignment)))
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	page = s->host.page_size;
	/* The host's granule (vmosal_host_caps' map_granularity: the page
	 * size on POSIX, 64 KiB on Windows), checked here so that every OS
	 * refuses the same sizes, before any backend is asked. */
	granule = vmosal__map_align(s);
	guard = o.guard_size;
	if (size % granule != 0 || guard % granule != 0 || (o.alignment != 0 && o.alignment < page))
		return VMOSAL_EINVAL;
	if ((rc = vmosal__huge_page_sizes(s, &ps)) != 0)
		return rc;

	align = o.alignment != 0 ? o.alignment : TWO_MIB;
	thp = false;
	switch (o.pages) {
	case VMOSAL_PAGES_DEFAULT:
		thp = ps.thp_mode == VMOSAL_THP_MADVISE || ps.thp_mode == VMOSAL_THP_ALWAYS;
		break;
	case VMOSAL_PAGES_THP:
		if (ps.thp_mode != VMOSAL_THP_MADVISE && ps.thp_mode != VMOSAL_THP_ALWAYS)
			return VMOSAL_ENOTSUP;
		thp = true;
		break;
	case VMOSAL_PAGES_HUGETLB:
		if ((rc = pick_hugetlb_size(o.huge_page_size, &ps, &huge)) != 0)
			return rc;
		if (size % huge != 0)
			return VMOSAL_EINVAL;
		if (align < huge)
			align = (size_t)huge;
		break;
	}
	if (thp && ps.thp_size > align && o.alignment == 0)
		align = (size_t)ps.thp_size;
	/* One reservation: guard, RAM, guard. */
	if (guard > (SIZE_MAX - size) / 2 || align > SIZE_MAX - size - 2 * guard)
		return VMOSAL_EOVERFLOW;
	reserve = size + 2 * guard;
	if (flags & VMOSAL_GUEST_PREALLOC) {
		populate = s->ops->mem_populate;
		if (populate == NULL)
			return VMOSAL_ENOTSUP;
	}
	if (flags & VMOSAL_GUEST_NUMA) {
		if (o.numa_node < 0)
			return VMOSAL_EINVAL;
		topo = vmosal__topology(&rc);
		if (topo == NULL)
			return rc;
		node = hwloc_get_numanode_obj_by_os_index(topo, (unsigned)o.numa_node);
		if (node == NULL)
			return VMOSAL_ENOENT;
	}
	if (flags & VMOSAL_GUEST_FD) {
		/* Sealed: whoever else holds the handle (a vhost-user peer)
		 * must not be able to shrink the RAM under us, which would
		 * kill the VMM with SIGBUS on its next access. */
		rc = vmosal_shm_create("guest-ram", size,
				       VMOSAL_SHM_SEAL |
					       (o.pages == VMOSAL_PAGES_HUGETLB ? VMOSAL_SHM_HUGETLB : 0),
				       huge, &ram.handle);
		if (rc != 0)
			return rc;
	}

	/* Address space first, with the RAM's start aligned; then the RAM
	 * is mapped into it. What stays reserved around it is the guard. */
	rc = vmosal__reserve(s, reserve, align, guard, &base);
	if (rc != 0)
		goto fail_handle;
	ram.map_base = base;
	ram.map_size = reserve;
	ram.addr = (char *)base + guard;
	ram.size = size;
	if (flags & VMOSAL_GUEST_FD)
		map_flags = VMOSAL_MAP_SHARED;
	else
		map_flags = VMOSAL_MAP_ANONYMOUS |
			    ((flags & VMOSAL_GUEST_SHARED) ? VMOSAL_MAP_SHARED : VMOSAL_MAP_PRIVATE);
	if (flags & VMOSAL_GUEST_NORESERVE)
		map_flags |= VMOSAL_MAP_NORESERVE;
	if (o.pages == VMOSAL_PAGES_HUGETLB && !(flags & VMOSAL_GUEST_FD))
		map_flags |= VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_SIZE(vmosal__log2(huge));
	rc = s->ops->mem_map_reserved(ram.addr, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				      map_flags, ram.handle, 0);
	if (rc != 0)
		goto fail_map;

	if (thp || o.pages == VMOSAL_PAGES_BASE) {
		rc = advise(s, ram.addr, size, thp ? VMOSAL_MADV_HUGEPAGE : VMOSAL_MADV_NOHUGEPAGE);
		/* Only a THP that was asked for by name must be there; the
		 * default falls back to base pages. */
		if (rc != 0 && o.pages == VMOSAL_PAGES_THP)
			goto fail_map;
	}
	if ((flags & VMOSAL_GUEST_DONTDUMP) &&
	    (rc = advise(s, ram.addr, size, VMOSAL_MADV_DONTDUMP)) != 0)
		goto fail_map;
	if (node != NULL &&
	    hwloc_set_area_membind(topo, ram.addr, size, node->nodeset, HWLOC_MEMBIND_BIND,
				   HWLOC_MEMBIND_BYNODESET | HWLOC_MEMBIND_STRICT) != 0) {
		rc = errno == ENOSYS || errno == EXDEV ? VMOSAL_ENOTSUP : VMOSAL_EIO;
		goto fail_map;
	}
	if (flags & VMOSAL_GUEST_PREALLOC) {
		struct prefault pf = {
			.populate = populate,
			.addr = ram.addr,
			.size = size,
			.reporting = ATOMIC_FLAG_INIT,
			.topo = topo,
			.cpuset = node != NULL ? node->cpuset : NULL,
			.progress = o.progress,
			.progress_ctx = o.progress_ctx,
			.s = s,
		};
		unsigned threads = o.threads;
		size_t unit = huge != 0 ? (size_t)huge : (size >= TWO_MIB ? TWO_MIB : (size_t)page);

		atomic_init(&pf.next, 0);
		atomic_init(&pf.done, 0);
		atomic_init(&pf.err, 0);
		atomic_init(&pf.running, 0);
		if (threads == 0) {
			int w = node != NULL ? hwloc_bitmap_weight(node->cpuset) : -1;
			threads = w > 0 ? (unsigned)w : (unsigned)s->host.cpus_usable;
		}
		if (threads == 0)
			threads = 1;
		rc = prefault(&pf, threads, unit);
		if (rc != 0)
			goto fail_map;
	}
	vmosal__struct_out(out, &ram, sizeof ram);
	return 0;

fail_map:
	/* Releasing a reservation of our own cannot fail short of a bug; if
	 * it did, the range would stay reserved, never handed out again. */
	if (s->ops->mem_release(ram.map_base, ram.map_size) != 0)
		vmosal__debug("memory", "guest RAM: releasing %p+%zu failed", ram.map_base,
			      ram.map_size);
fail_handle:
	if (ram.handle != VMOSAL_NO_HANDLE)
		vmosal_handle_close(ram.handle);
	return rc;
}

int vmosal_guest_ram_discard(const struct vmosal_guest_ram *ram, size_t offset, size_t len)
{
	const struct vmosal__state *s;
	int rc;
	int (*op)(void *, size_t, vmosal_handle_t, int64_t);
	uint64_t page;

	if (vmosal__struct_out_check(ram, VMOSAL__MIN_GUEST_RAM) != 0 || ram->addr == NULL ||
	    len == 0 || offset > ram->size || len > ram->size - offset)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	page = s->host.page_size;
	if (offset % page != 0 || len % page != 0)
		return VMOSAL_EINVAL;
	op = s->ops->mem_discard;
	return op != NULL ? op((char *)ram->addr + offset, len, ram->handle, (int64_t)offset)
			  : VMOSAL_ENOTSUP;
}

int vmosal_guest_ram_destroy(struct vmosal_guest_ram *ram)
{
	const struct vmosal__state *s;
	int rc;

	if (vmosal__struct_out_check(ram, VMOSAL__MIN_GUEST_RAM) != 0)
		return VMOSAL_EINVAL;
	if (ram->map_base == NULL) {
		/* Never allocated, or already freed. */
		if (ram->addr != NULL)
			return VMOSAL_EINVAL;
		ram->handle = VMOSAL_NO_HANDLE;
		return 0;
	}
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	rc = s->ops->mem_release(ram->map_base, ram->map_size);
	if (rc != 0)
		return rc;
	/* A close that fails has still let the handle go (as Linux's close
	 * does): *ram is cleared all the same, and the error reported. */
	if (ram->handle != VMOSAL_NO_HANDLE)
		rc = vmosal_handle_close(ram->handle);
	ram->addr = NULL;
	ram->size = 0;
	ram->handle = VMOSAL_NO_HANDLE;
	ram->map_base = NULL;
	ram->map_size = 0;
	return rc;
}
