/* Memory mapping, advice, page sizes, shared memory and W^X code buffers:
 * every argument is checked here, once, before the backend is asked. */
#include "config.h"

#include <string.h>

#include "internal.h"

#define KNOWN_PROT (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE | VMOSAL_PROT_EXEC)
#define KNOWN_FLAGS                                                                   \
	(VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_FIXED | \
	 VMOSAL_MAP_NORESERVE | VMOSAL_MAP_POPULATE | VMOSAL_MAP_FIXED_NOREPLACE |          \
	 VMOSAL_MAP_HUGETLB | (VMOSAL_MAP_HUGE_MASK << VMOSAL_MAP_HUGE_SHIFT))

/* Alignment of mapping addresses and offsets: the page size, or more where
 * the OS wants it (Windows' 64 KiB allocation granularity). */
uint64_t vmosal__map_align(const struct vmosal__state *s)
{
	uint64_t g = s->caps.map_granularity;
	return g > s->host.page_size ? g : s->host.page_size;
}

int vmosal__check_range(const struct vmosal__state *s, const void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr, end;
	uint64_t page = s->host.page_size;

	if (addr == NULL || size == 0 || a % page != 0)
		return VMOSAL_EINVAL;
	/* Rounded up to whole pages, the range must not wrap. */
	if (size > UINTPTR_MAX - a)
		return VMOSAL_EOVERFLOW;
	end = a + size;
	if (end % page != 0 && page - end % page > UINTPTR_MAX - end)
		return VMOSAL_EOVERFLOW;
	return 0;
}

/* The checks vmosal_mmap and vmosal_mem_map_reserved share: prot, flags,
 * and the handle/offset pair, before the backend is needed. */
static int check_map_args(unsigned prot, unsigned flags, vmosal_handle_t handle, int64_t offset)
{
	unsigned share = flags & (VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE);

	if ((prot & ~KNOWN_PROT) != 0 || (flags & ~KNOWN_FLAGS) != 0)
		return VMOSAL_EINVAL;
	if (share == 0 || share == (VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE))
		return VMOSAL_EINVAL;
	if ((flags & VMOSAL_MAP_FIXED) && (flags & VMOSAL_MAP_FIXED_NOREPLACE))
		return VMOSAL_EINVAL;
	if ((flags >> VMOSAL_MAP_HUGE_SHIFT) != 0 && !(flags & VMOSAL_MAP_HUGETLB))
		return VMOSAL_EINVAL;
	if (flags & VMOSAL_MAP_ANONYMOUS) {
		if (handle != VMOSAL_NO_HANDLE || offset != 0)
			return VMOSAL_EINVAL;
	} else {
		if (flags & VMOSAL_MAP_HUGETLB)
			return VMOSAL_EINVAL;
		if (!VMOSAL_HANDLE_VALID(handle))
			return VMOSAL_EBADF;
		if (offset < 0)
			return VMOSAL_EINVAL;
	}
	return 0;
}

/* A hugetlb mapping is made of whole huge pages: the kernel rounds the
 * length up, which would map past the range asked for (over a neighbour,
 * with FIXED). So address and size must be multiples of the size in the
 * flags, or of the default; a size the host has no pool of is ENOTSUP. */
static int check_hugetlb(const struct vmosal__state *s, unsigned flags, const void *addr,
			 size_t size)
{
	struct vmosal_backend_huge_page_sizes ps;
	unsigned shift = (flags >> VMOSAL_MAP_HUGE_SHIFT) & VMOSAL_MAP_HUGE_MASK;
	uint64_t huge;
	bool offered = false;
	int rc;

	if (!(flags & VMOSAL_MAP_HUGETLB))
		return 0;
	if ((rc = vmosal__huge_page_sizes(s, &ps)) != 0)
		return rc;
	huge = shift != 0 ? (uint64_t)1 << shift : ps.huge_default;
	for (uint32_t i = 0; i < ps.huge_count; i++)
		offered |= ps.huge[i].page_size == huge;
	if (huge == 0 || !offered)
		return VMOSAL_ENOTSUP;
	return size % huge == 0 && (uintptr_t)addr % huge == 0 ? 0 : VMOSAL_EINVAL;
}

int vmosal_mmap(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t handle,
		int64_t offset, void **out)
{
	const struct vmosal__state *s;
	uint64_t align;
	int rc;

	if (out == NULL || size == 0)
		return VMOSAL_EINVAL;
	if ((rc = check_map_args(prot, flags, handle, offset)) != 0)
		return rc;
	if ((flags & (VMOSAL_MAP_FIXED | VMOSAL_MAP_FIXED_NOREPLACE)) != 0 && addr == NULL)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	align = vmosal__map_align(s);
	if ((uint64_t)offset % align != 0 || (uintptr_t)addr % align != 0)
		return VMOSAL_EINVAL;
	if (addr != NULL && (rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	if (addr == NULL && size > UINTPTR_MAX - s->host.page_size)
		return VMOSAL_EOVERFLOW;
	if ((rc = check_hugetlb(s, flags, addr, size)) != 0)
		return rc;
	return s->ops->mem_map(addr, size, prot, flags, handle, offset, out);
}

/* A size that is a whole number of map granules and fits the address
 * space once aligned. */
static int check_granular_size(const struct vmosal__state *s, size_t size, size_t alignment)
{
	uint64_t align = vmosal__map_align(s);

	if (size == 0 || size % align != 0)
		return VMOSAL_EINVAL;
	if (alignment > SIZE_MAX - size)
		return VMOSAL_EOVERFLOW;
	return 0;
}

int vmosal__reserve(const struct vmosal__state *s, size_t size, size_t alignment,
		    size_t align_offset, void **out)
{
	uint64_t align = vmosal__map_align(s);

	if (alignment < align)
		alignment = (size_t)align;
	return s->ops->mem_reserve(size, alignment, align_offset, out);
}

int vmosal_mem_reserve(size_t size, size_t alignment, void **out)
{
	const struct vmosal__state *s;
	int rc;

	if (out == NULL || (alignment & (alignment - 1)) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if ((rc = check_granular_size(s, size, alignment)) != 0)
		return rc;
	return vmosal__reserve(s, size, alignment, 0, out);
}

int vmosal_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
			    vmosal_handle_t handle, int64_t offset)
{
	const struct vmosal__state *s;
	uint64_t align;
	int rc;

	if ((rc = check_map_args(prot, flags, handle, offset)) != 0)
		return rc;
	if (flags & (VMOSAL_MAP_FIXED | VMOSAL_MAP_FIXED_NOREPLACE))
		return VMOSAL_EINVAL;
	s = vmosal__get();
	if (s == NULL)
		return VMOSAL_EBACKEND;
	align = vmosal__map_align(s);
	if ((uint64_t)offset % align != 0 || (uintptr_t)addr % align != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__check_range(s, addr, size)) != 0 ||
	    (rc = check_hugetlb(s, flags, addr, size)) != 0)
		return rc;
	return s->ops->mem_map_reserved(addr, size, prot, flags, handle, offset);
}

int vmosal_mem_release(void *addr, size_t size)
{
	const struct vmosal__state *s = vmosal__get();
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	return s->ops->mem_release(addr, size);
}

int vmosal_munmap(void *addr, size_t size)
{
	const struct vmosal__state *s = vmosal__get();
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	return s->ops->mem_unmap(addr, size);
}

int vmosal_mprotect(void *addr, size_t size, unsigned prot)
{
	const struct vmosal__state *s = vmosal__get();
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((prot & ~KNOWN_PROT) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	return s->ops->mem_protect(addr, size, prot);
}

int vmosal_mem_advise(void *addr, size_t size, enum vmosal_advice advice)
{
	const struct vmosal__state *s = vmosal__get();
	int (*op)(void *, size_t, int);
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((unsigned)advice >= VMOSAL_MADV_COUNT)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	op = s->ops->mem_advise;
	return op != NULL ? op(addr, size, (int)advice) : VMOSAL_ENOTSUP;
}

int vmosal_mem_lock(void *addr, size_t size)
{
	const struct vmosal__state *s = vmosal__get();
	int (*op)(void *, size_t);
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	op = s->ops->mem_lock;
	return op != NULL ? op(addr, size) : VMOSAL_ENOTSUP;
}

int vmosal_mem_unlock(void *addr, size_t size)
{
	const struct vmosal__state *s = vmosal__get();
	int (*op)(void *, size_t);
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	op = s->ops->mem_unlock;
	return op != NULL ? op(addr, size) : VMOSAL_ENOTSUP;
}

int vmosal_mem_sync(void *addr, size_t size, unsigned flags)
{
	const struct vmosal__state *s = vmosal__get();
	unsigned mode = flags & (VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC);
	int (*op)(void *, size_t, unsigned);
	int rc;

	if (s == NULL)
		return VMOSAL_EBACKEND;
	if ((flags & ~(VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC | VMOSAL_MS_INVALIDATE)) != 0 ||
	    mode == 0 || mode == (VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC))
		return VMOSAL_EINVAL;
	if ((rc = vmosal__check_range(s, addr, size)) != 0)
		return rc;
	op = s->ops->mem_sync;
	return op != NULL ? op(addr, size, flags) : VMOSAL_ENOTSUP;
}

static bool is_pow2(uint64_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int vmosal__huge_page_sizes(const struct vmosal__state *s, struct vmosal_backend_huge_page_sizes *out)
{
	int (*op)(struct vmosal_backend_huge_page_sizes *) = s->ops->huge_page_sizes;
	int rc;

	memset(out, 0, sizeof *out);
	out->struct_size = sizeof *out;
	if (op == NULL)
		return 0;
	rc = op(out);
	if (rc != 0) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	if (out->huge_count > VMOSAL_BACKEND_MAX_HUGE_SIZES)
		out->huge_count = VMOSAL_BACKEND_MAX_HUGE_SIZES;
	if (out->thp_mode > VMOSAL_THP_ALWAYS)
		out->thp_mode = VMOSAL_THP_UNAVAILABLE;
	/* Sizes come from host files; callers divide by them and align to
	 * them, so one that is not a power of two (0 included) is dropped. */
	if (!is_pow2(out->thp_size))
		out->thp_size = 0;
	if (!is_pow2(out->huge_default))
		out->huge_default = 0;
	{
		uint32_t kept = 0;
		for (uint32_t i = 0; i < out->huge_count; i++)
			if (is_pow2(out->huge[i].page_size))
				out->huge[kept++] = out->huge[i];
		out->huge_count = kept;
	}
	/* Smallest first, whatever order the backend found them in. */
	for (uint32_t i = 1; i < out->huge_count; i++)
		for (uint32_t k = i; k > 0 && out->huge[k - 1].page_size > out->huge[k].page_size;
		     k--) {
			struct vmosal_backend_huge_pool tmp = out->huge[k];
			out->huge[k] = out->huge[k - 1];
			out->huge[k - 1] = tmp;
		}
	return 0;
}

/* What both public page-size queries start with: their out struct
 * checked, the backend loaded, the page sizes read. */
static int page_sizes_for(const void *out, size_t min_size, const struct vmosal__state **s,
			  struct vmosal_backend_huge_page_sizes *bps)
{
	int rc;

	if (vmosal__struct_out_check(out, min_size) != 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(s, 0)) != 0)
		return rc;
	return vmosal__huge_page_sizes(*s, bps);
}

int vmosal_huge_page_sizes(struct vmosal_huge_page_sizes *out)
{
	const struct vmosal__state *s;
	struct vmosal_backend_huge_page_sizes bps;
	int rc;

	if ((rc = page_sizes_for(out, VMOSAL__MIN_HUGE_PAGE_SIZES, &s, &bps)) != 0)
		return rc;
	{
		struct vmosal_huge_page_sizes ps = {
			.struct_size = sizeof ps,
			.thp_mode = bps.thp_mode,
			.base = s->host.page_size,
			.thp_size = bps.thp_size,
			.huge_default = bps.huge_default,
			.huge_count = bps.huge_count,
		};
		vmosal__struct_out(out, &ps, sizeof ps);
	}
	return 0;
}

int vmosal_huge_page_pool(size_t index, struct vmosal_huge_page_pool *out)
{
	const struct vmosal__state *s;
	struct vmosal_backend_huge_page_sizes bps;
	int rc;

	if ((rc = page_sizes_for(out, VMOSAL__MIN_HUGE_PAGE_POOL, &s, &bps)) != 0)
		return rc;
	if (index >= bps.huge_count)
		return VMOSAL_ERANGE;
	{
		struct vmosal_huge_page_pool pool = {
			.struct_size = sizeof pool,
			.page_size = bps.huge[index].page_size,
			.total = bps.huge[index].total,
			.free = bps.huge[index].free,
		};
		vmosal__struct_out(out, &pool, sizeof pool);
	}
	return 0;
}

unsigned vmosal__log2(uint64_t v)
{
	unsigned n = 0;

	while (v > 1) {
		v >>= 1;
		n++;
	}
	return n;
}

int vmosal_shm_create(const char *name, uint64_t size, unsigned flags, uint64_t huge_page_size,
		      vmosal_handle_t *out)
{
	const struct vmosal__state *s;
	int (*op)(const char *, uint64_t, unsigned, unsigned, vmosal_handle_t *);
	int rc;

	if (out == NULL || size == 0 || (flags & ~(VMOSAL_SHM_HUGETLB | VMOSAL_SHM_SEAL)) != 0)
		return VMOSAL_EINVAL;
	if (huge_page_size != 0 &&
	    (!(flags & VMOSAL_SHM_HUGETLB) || (huge_page_size & (huge_page_size - 1)) != 0))
		return VMOSAL_EINVAL;
	if (size > INT64_MAX)
		return VMOSAL_EOVERFLOW;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if (size % s->host.page_size != 0 || (huge_page_size != 0 && size % huge_page_size != 0))
		return VMOSAL_EINVAL;
	if ((s->groups & VMOSAL_SLOT_SHM) == 0)
		return VMOSAL_ENOTSUP;
	op = s->ops->shm_create;
	if (flags & VMOSAL_SHM_HUGETLB) {
		/* Checked here, not left to the OS: a size the host has no
		 * pool of is ENOTSUP, the default size is resolved so that
		 * `size` is checked against it too. */
		struct vmosal_backend_huge_page_sizes ps;
		bool offered = false;

		if ((rc = vmosal__huge_page_sizes(s, &ps)) != 0)
			return rc;
		if (huge_page_size == 0)
			huge_page_size = ps.huge_default;
		for (uint32_t i = 0; i < ps.huge_count; i++)
			offered |= ps.huge[i].page_size == huge_page_size;
		if (huge_page_size == 0 || !offered)
			return VMOSAL_ENOTSUP;
		if (size % huge_page_size != 0)
			return VMOSAL_EINVAL;
	}
	return op(name != NULL ? name : "vmosal", size, flags, vmosal__log2(huge_page_size), out);
}

int vmosal_jit_create(size_t size, struct vmosal_jit *out)
{
	const struct vmosal__state *s;
	int (*op)(size_t, void **, void **);
	void *rw, *rx;
	size_t page;
	int rc;

	if (vmosal__struct_out_check(out, VMOSAL__MIN_JIT) != 0 || size == 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	page = (size_t)s->host.page_size;
	if (size > SIZE_MAX - page)
		return VMOSAL_EOVERFLOW;
	size = (size + page - 1) / page * page;
	op = s->ops->jit_map;
	if ((s->groups & VMOSAL_SLOT_JIT) == 0)
		return VMOSAL_ENOTSUP;
	rc = op(size, &rw, &rx);
	if (rc != 0)
		return rc;
	{
		struct vmosal_jit jit = {.struct_size = sizeof jit, .rw = rw, .rx = rx, .size = size};
		vmosal__struct_out(out, &jit, sizeof jit);
	}
	return 0;
}

int vmosal_jit_flush(const struct vmosal_jit *jit, size_t offset, size_t len)
{
	const struct vmosal__state *s;
	int rc;
	int (*op)(void *, size_t);
	char *start;

	if (vmosal__struct_out_check(jit, VMOSAL__MIN_JIT) != 0 || jit->rx == NULL || len == 0 ||
	    offset > jit->size ||
	    len > jit->size - offset)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	start = (char *)jit->rx + offset;
	op = s->ops->icache_flush;
	if (op != NULL)
		return op(start, len);
#if defined(__GNUC__)
	__builtin___clear_cache(start, start + len);
	return 0;
#else
	return VMOSAL_ENOTSUP;
#endif
}

/* Write windows the calling thread has open (vmosal_jit_write_begin). */
static _Thread_local uint32_t jit_windows;

/* A jit struct that can name a live buffer. */
static bool jit_valid(const struct vmosal_jit *jit)
{
	return vmosal__struct_out_check(jit, VMOSAL__MIN_JIT) == 0 && jit->rw != NULL &&
	       jit->rx != NULL && jit->size != 0;
}

int vmosal_jit_write_begin(const struct vmosal_jit *jit)
{
	const struct vmosal__state *s;
	int (*op)(void *, void *, size_t);
	int rc;

	if (!jit_valid(jit))
		return VMOSAL_EINVAL;
	if (jit_windows == UINT32_MAX)
		return VMOSAL_EOVERFLOW;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if (jit_windows == 0) {
		op = (s->groups & VMOSAL_SLOT_JIT_WINDOW) != 0 ? s->ops->jit_write_begin : NULL;
		/* A backend of ABI 2.2 or older: two views need nothing, one
		 * view cannot be opened from here. */
		if (op != NULL)
			rc = op(jit->rw, jit->rx, jit->size);
		else
			rc = jit->rw != jit->rx ? 0 : VMOSAL_ENOTSUP;
		if (rc != 0)
			return rc;
	}
	jit_windows++;
	return 0;
}

int vmosal_jit_write_end(const struct vmosal_jit *jit)
{
	const struct vmosal__state *s;
	int (*op)(void *, void *, size_t);
	int rc = 0;

	if (!jit_valid(jit) || jit_windows == 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	if (jit_windows == 1 && (s->groups & VMOSAL_SLOT_JIT_WINDOW) != 0 &&
	    (op = s->ops->jit_write_end) != NULL)
		rc = op(jit->rw, jit->rx, jit->size);
	/* Refused (views the backend cannot have made): still open. */
	if (rc != 0)
		return rc;
	jit_windows--;
	return 0;
}

int vmosal_jit_destroy(struct vmosal_jit *jit)
{
	const struct vmosal__state *s;
	int (*op)(void *, void *, size_t);
	int rc;

	if (vmosal__struct_out_check(jit, VMOSAL__MIN_JIT) != 0 || jit->rw == NULL ||
	    jit->rx == NULL || jit->size == 0)
		return VMOSAL_EINVAL;
	if ((rc = vmosal__ready(&s, 0)) != 0)
		return rc;
	op = s->ops->jit_unmap;
	if (op == NULL)
		return VMOSAL_ENOTSUP;
	rc = op(jit->rw, jit->rx, jit->size);
	if (rc == 0) {
		jit->rw = NULL;
		jit->rx = NULL;
		jit->size = 0;
	}
	return rc;
}
