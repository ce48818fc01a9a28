/* Fuzzes the memory calls: each input is a sequence of vmosal_mmap,
 * munmap, mprotect, madvise, mlock, msync and mem_map_reserved calls, all
 * inside one private reservation, mixed with calls whose arguments break a
 * rule of memory.h. Those the core must refuse before any system call, so
 * they may carry any address; every call that can reach the OS stays
 * inside the reservation (or, without FIXED, maps only where the kernel
 * finds free space). The harness keeps its own list of the pieces mapped
 * into the reservation and holds every answer to memory.h's rules for
 * them: FIXED over the reservation and an unmap of anything but one whole
 * piece are refused, a piece is never mapped over, and a piece's data
 * survives every refused call. After each call the reservation must still
 * cover every one of its pages. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "vmosal.h"

/* Two huge pages of 2 MiB, so that HUGETLB calls fit whole (map_args). */
#define RES_BYTES ((size_t)4 << 20)
#define HUGE_2MB ((size_t)2 << 20)
#define MAX_RANGE_PAGES 64
#define MAX_CALLS 64
/* Above any RLIMIT_NOFILE: a handle that looks valid but names nothing. */
#define CLOSED_FD (1 << 24)
/* errno while a call runs; a call refused before the OS leaves it alone. */
#define ERRNO_SENTINEL 7777

static size_t page, res_pages;
/* HUGETLB with the default size is tried only where that is 2 MiB. */
static bool default_huge_2mb;
/* The pieces mapped into the reservation, in pages from its base. A piece
 * of private or shared anonymous memory, readable and writable, carries a
 * byte of its own at its start until a call that may change it
 * (mprotect, madvise) touches it. */
struct piece {
	size_t first, npages;
	bool marked;
	uint8_t mark;
};
static struct piece pieces[MAX_CALLS];
static size_t npieces;
static vmosal_handle_t shm_rw = VMOSAL_NO_HANDLE, shm_ro = VMOSAL_NO_HANDLE;

/* One fuzzed call's arguments. */
struct call {
	char *addr;
	size_t size;
	unsigned prot;
	unsigned flags;
	vmosal_handle_t handle;
	int64_t offset;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[64];
	int rc;

	(void)argc;
	(void)argv;
	setenv("VMOSAL_BACKEND_PATH", FUZZ_BACKEND_DIR, 0);
	rc = vmosal_init();
	if (rc != 0) {
		char why[4096];
		vmosal_backend_error(why, sizeof why);
		FUZZ_FAIL("vmosal_init: %s\n%s", vmosal_strerror(rc), why);
	}
	page = vmosal_page_size();
	res_pages = RES_BYTES / page;
	{
		struct vmosal_huge_page_sizes ps = VMOSAL_STRUCT_INIT(struct vmosal_huge_page_sizes);
		default_huge_2mb = vmosal_huge_page_sizes(&ps) == 0 && ps.huge_default == HUGE_2MB;
	}
	rc = vmosal_shm_create("fuzz_memory", RES_BYTES, 0, 0, &shm_rw);
	FUZZ_ASSERT(rc == 0, "vmosal_shm_create");
	/* The same object opened read-only, for the EACCES paths. */
	snprintf(path, sizeof path, "/proc/self/fd/%d", shm_rw);
	shm_ro = open(path, O_RDONLY | O_CLOEXEC);
	FUZZ_ASSERT(shm_ro >= 0, "open read-only");
	return 0;
}

/* True when every page of [addr, addr + size) is mapped: mincore fails
 * with ENOMEM on a hole. */
static bool all_mapped(char *addr, size_t size)
{
	static unsigned char vec[RES_BYTES / 4096];

	return mincore(addr, size, vec) == 0;
}

static void check_reservation(char *base, const char *after)
{
	if (!all_mapped(base, RES_BYTES))
		FUZZ_FAIL("reservation %p has a hole after %s (errno %d)", (void *)base, after,
			  errno);
	for (size_t i = 0; i < npieces; i++) {
		const volatile uint8_t *at = (uint8_t *)base + pieces[i].first * page;
		if (pieces[i].marked && *at != pieces[i].mark)
			FUZZ_FAIL("piece %p+%zu pages lost its data after %s", (void *)at,
				  pieces[i].npages, after);
	}
}

/* The pages [first, first + n) of a range given as address and size. */
static void range_pages(const char *base, const char *addr, size_t size, size_t *first,
			size_t *n)
{
	*first = (size_t)(addr - base) / page;
	*n = (size + page - 1) / page;
}

/* The piece that overlaps pages [first, first + n), or -1. */
static int piece_overlapping(size_t first, size_t n)
{
	for (size_t i = 0; i < npieces; i++)
		if (first < pieces[i].first + pieces[i].npages && pieces[i].first < first + n)
			return (int)i;
	return -1;
}

/* Pieces whose data a call on pages [first, first + n) may change. */
static void unmark(size_t first, size_t n)
{
	for (size_t i = 0; i < npieces; i++)
		if (first < pieces[i].first + pieces[i].npages && pieces[i].first < first + n)
			pieces[i].marked = false;
}

/* A range inside the reservation, at most MAX_RANGE_PAGES or all of it;
 * its size may end inside its last page. */
static void pick_range(struct fuzz_in *in, char *base, struct call *c)
{
	size_t first = fuzz_u16(in) % res_pages;
	uint8_t len = fuzz_u8(in);
	size_t npages = 1 + len % MAX_RANGE_PAGES;
	size_t cut = fuzz_u16(in) % page;

	if (len == 0xff) {
		first = 0;
		npages = res_pages;
	} else if (npages > res_pages - first) {
		npages = res_pages - first;
	}

	c->addr = base + first * page;
	c->size = npages * page - cut;
}

/* Valid prot, sharing, and a handle that matches ANONYMOUS; the handle may
 * still be one the OS refuses (read-only for a shared writable map,
 * closed). With HUGETLB the range becomes one whole 2 MiB page: the kernel
 * rounds a huge page mapping's length up to whole huge pages and, with
 * FIXED, maps past the range asked for, which neither the core nor the
 * backend refuses yet. */
static void pick_map_args(struct fuzz_in *in, char *base, struct call *c)
{
	uint8_t b = fuzz_u8(in), h = fuzz_u8(in);

	c->prot = b & 7u;
	c->flags = (b & 0x08) ? VMOSAL_MAP_SHARED : VMOSAL_MAP_PRIVATE;
	if (b & 0x10)
		c->flags |= VMOSAL_MAP_NORESERVE;
	if (b & 0x20)
		c->flags |= VMOSAL_MAP_POPULATE;
	if (h & 0x80) {
		c->flags |= VMOSAL_MAP_ANONYMOUS;
		c->handle = VMOSAL_NO_HANDLE;
		c->offset = 0;
		if (b & 0x40) {
			uint8_t which = fuzz_u8(in);
			if ((which & 1) || default_huge_2mb) {
				c->flags |= VMOSAL_MAP_HUGETLB |
					    ((which & 1) ? VMOSAL_MAP_HUGE_2MB : 0);
				c->addr = base + (which & 2 ? HUGE_2MB : 0);
				c->size = HUGE_2MB;
			}
		}
	} else {
		static const vmosal_handle_t *const handles[] = {&shm_rw, &shm_rw, &shm_ro};
		c->handle = (h & 3) == 3 ? CLOSED_FD : *handles[h & 3];
		/* Past the end of the object is allowed: nothing touches it. */
		c->offset = (int64_t)(fuzz_u16(in) % (2 * res_pages)) * (int64_t)page;
	}
}

/* ---- calls with valid arguments, inside the reservation ---- */

/* FIXED anywhere in the reservation would replace it, pieces and all:
 * refused, and nothing there changes (check_reservation). */
static void map_fixed(struct fuzz_in *in, char *base)
{
	struct call c;
	void *out = NULL;
	int rc;

	pick_range(in, base, &c);
	pick_map_args(in, base, &c);
	rc = vmosal_mmap(c.addr, c.size, c.prot, c.flags | VMOSAL_MAP_FIXED, c.handle, c.offset,
			 &out);
	FUZZ_ASSERT(rc == VMOSAL_EINVAL, "vmosal_mmap FIXED over the reservation");
	FUZZ_ASSERT(out == NULL, "refused vmosal_mmap wrote *out");
}

static void map_noreplace(struct fuzz_in *in, char *base)
{
	struct call c;
	void *out = NULL;
	int rc;

	pick_range(in, base, &c);
	pick_map_args(in, base, &c);
	rc = vmosal_mmap(c.addr, c.size, c.prot, c.flags | VMOSAL_MAP_FIXED_NOREPLACE, c.handle,
			 c.offset, &out);
	/* Every page there is taken by the reservation. */
	FUZZ_ASSERT(rc != 0, "vmosal_mmap FIXED_NOREPLACE over the reservation");
}

/* No FIXED: the kernel picks free space, never the reservation's pages;
 * the harness unmaps the result at once. */
static void map_hint(struct fuzz_in *in, char *base)
{
	struct call c;
	void *out = NULL;
	uint8_t where = fuzz_u8(in);
	uint64_t raw = fuzz_u64(in);
	int rc;

	pick_range(in, base, &c);
	pick_map_args(in, base, &c);
	/* Without FIXED a huge page mapping's length rounds up to a huge
	 * page, which the plain munmap below would not cover. */
	c.flags &= ~(VMOSAL_MAP_HUGETLB | (VMOSAL_MAP_HUGE_MASK << VMOSAL_MAP_HUGE_SHIFT));
	if (where % 3 == 0)
		c.addr = NULL;
	else if (where % 3 == 1)
		c.addr = (char *)(uintptr_t)(raw & ~(uint64_t)(page - 1) & ((1ull << 47) - 1));
	rc = vmosal_mmap(c.addr, c.size, c.prot, c.flags, c.handle, c.offset, &out);
	if (rc != 0)
		return;
	FUZZ_ASSERT(out != NULL, "vmosal_mmap");
	if ((char *)out + c.size > base && (char *)out < base + RES_BYTES)
		FUZZ_FAIL("vmosal_mmap without FIXED returned %p, inside the reservation %p", out,
			  (void *)base);
	rc = vmosal_munmap(out, c.size);
	FUZZ_ASSERT(rc == 0, "vmosal_munmap of a fresh mapping");
}

/* Exactly one whole piece becomes reserved again; any other range in the
 * reservation is refused. Half the time the range is a piece's own. */
static void unmap(struct fuzz_in *in, char *base)
{
	struct call c;
	size_t first, n;
	int hit, rc;

	pick_range(in, base, &c);
	if (npieces > 0 && (fuzz_u8(in) & 1)) {
		const struct piece *p = &pieces[fuzz_u8(in) % npieces];
		c.addr = base + p->first * page;
		c.size = p->npages * page - fuzz_u16(in) % page;
	}
	range_pages(base, c.addr, c.size, &first, &n);
	hit = piece_overlapping(first, n);
	if (hit >= 0 && (pieces[hit].first != first || pieces[hit].npages != n))
		hit = -1;
	rc = vmosal_munmap(c.addr, c.size);
	if (hit < 0) {
		FUZZ_ASSERT(rc == VMOSAL_EINVAL, "vmosal_munmap of no one piece in a reservation");
		return;
	}
	FUZZ_ASSERT(rc == 0, "vmosal_munmap of a piece");
	pieces[hit] = pieces[--npieces];
}

static void protect(struct fuzz_in *in, char *base)
{
	struct call c;

	pick_range(in, base, &c);
	unmark((size_t)(c.addr - base) / page, (c.size + page - 1) / page);
	(void)vmosal_mprotect(c.addr, c.size, fuzz_u8(in) & 7u);
}

static void advise(struct fuzz_in *in, char *base)
{
	struct call c;

	pick_range(in, base, &c);
	unmark((size_t)(c.addr - base) / page, (c.size + page - 1) / page);
	(void)vmosal_mem_advise(c.addr, c.size, (enum vmosal_advice)(fuzz_u8(in) % VMOSAL_MADV_COUNT));
}

static void lock(struct fuzz_in *in, char *base)
{
	struct call c;
	bool unlock = fuzz_u8(in) & 1;

	pick_range(in, base, &c);
	(void)(unlock ? vmosal_mem_unlock(c.addr, c.size) : vmosal_mem_lock(c.addr, c.size));
}

static void sync_range(struct fuzz_in *in, char *base)
{
	static const unsigned modes[] = {
		VMOSAL_MS_ASYNC, VMOSAL_MS_SYNC, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE,
		VMOSAL_MS_SYNC | VMOSAL_MS_INVALIDATE,
	};
	struct call c;

	pick_range(in, base, &c);
	(void)vmosal_mem_sync(c.addr, c.size, modes[fuzz_u8(in) % 4]);
}

/* Into free pages of the reservation it may work (the OS may still refuse
 * the handle or the huge pages); over a piece it is VMOSAL_EEXIST, the
 * piece kept. On failure the range must stay reserved: check_reservation. */
static void map_reserved(struct fuzz_in *in, char *base)
{
	struct call c;
	struct piece p = {0};
	int rc;

	pick_range(in, base, &c);
	pick_map_args(in, base, &c);
	range_pages(base, c.addr, c.size, &p.first, &p.npages);
	rc = vmosal_mem_map_reserved(c.addr, c.size, c.prot, c.flags, c.handle, c.offset);
	if (piece_overlapping(p.first, p.npages) >= 0) {
		FUZZ_ASSERT(rc == VMOSAL_EEXIST, "vmosal_mem_map_reserved over a piece");
		return;
	}
	FUZZ_ASSERT(rc != VMOSAL_EEXIST, "vmosal_mem_map_reserved into free pages");
	if (rc != 0)
		return;
	if ((c.flags & VMOSAL_MAP_ANONYMOUS) && !(c.flags & VMOSAL_MAP_HUGETLB) &&
	    (c.prot & (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE)) ==
		    (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE)) {
		p.marked = true;
		p.mark = (uint8_t)(1 + npieces);
		*(volatile uint8_t *)(base + p.first * page) = p.mark;
	}
	FUZZ_ASSERT(npieces < MAX_CALLS, "piece list");
	pieces[npieces++] = p;
}

/* A second reservation, aligned as asked, released at once. */
static void reserve_other(struct fuzz_in *in)
{
	size_t size = (1 + fuzz_u8(in) % MAX_RANGE_PAGES) * page;
	size_t alignment = fuzz_u8(in) & 1 ? 0 : page << (fuzz_u8(in) % 13);
	void *p = NULL;
	int rc;

	rc = vmosal_mem_reserve(size, alignment, &p);
	if (rc != 0)
		return;
	FUZZ_ASSERT(alignment == 0 || (uintptr_t)p % alignment == 0, "vmosal_mem_reserve");
	rc = vmosal_mem_release(p, size);
	FUZZ_ASSERT(rc == 0, "vmosal_mem_release");
}

/* ---- calls that break one rule: refused before the OS ---- */

enum fault {
	FAULT_UNALIGNED,
	FAULT_NULL,
	FAULT_ZERO_SIZE,
	FAULT_WRAP,
	FAULT_PROT,
	FAULT_FLAGS,
	FAULT_COUNT
};

/* Breaks the range rule `fault` names in c (made valid by pick_range);
 * returns the code memory.h gives for it. */
static int break_range(struct fuzz_in *in, enum fault fault, struct call *c)
{
	uintptr_t top = UINTPTR_MAX & ~(uintptr_t)(page - 1);
	size_t k = fuzz_u8(in) % 4;

	switch (fault) {
	case FAULT_UNALIGNED:
		c->addr += 1 + fuzz_u16(in) % (page - 1);
		return VMOSAL_EINVAL;
	case FAULT_NULL:
		c->addr = NULL;
		return VMOSAL_EINVAL;
	case FAULT_ZERO_SIZE:
		c->size = 0;
		return VMOSAL_EINVAL;
	default:
		/* One of the top pages of the address space, and a size whose
		 * whole pages run past its end. */
		c->addr = (char *)(top - k * page);
		c->size = k * page + 1 + (size_t)(fuzz_u64(in) % (SIZE_MAX - k * page));
		return VMOSAL_EOVERFLOW;
	}
}

/* The fuzzed call must fail with `want`, without a system call. */
static void expect_refused(int rc, int want, const char *call, enum fault fault, int variant)
{
	if (rc != want || errno != ERRNO_SENTINEL)
		FUZZ_FAIL("%s (fault %d, variant %d): got %s, errno %d; want %s before any "
			  "system call",
			  call, (int)fault, variant, vmosal_err_name(rc), errno,
			  vmosal_err_name(want));
}

/* A VMOSAL_MAP_* bit no version defines: between HUGETLB and the huge
 * page size field. */
static unsigned unknown_map_bit(struct fuzz_in *in)
{
	return 1u << (8 + fuzz_u8(in) % (VMOSAL_MAP_HUGE_SHIFT - 8));
}

/* An unknown bit of an unsigned set of flags, above `known`. */
static unsigned unknown_bit(struct fuzz_in *in, unsigned known)
{
	unsigned shift = 32 - (unsigned)__builtin_clz(known);

	return 1u << (shift + fuzz_u8(in) % (32 - shift));
}

static void map_refused(struct fuzz_in *in, char *base, enum fault fault)
{
	uint8_t variant = fuzz_u8(in);
	bool reserved = variant & 0x80;
	struct call c;
	void *out = NULL;
	int want = VMOSAL_EINVAL, rc;

	pick_range(in, base, &c);
	pick_map_args(in, base, &c);
	if (!reserved)
		c.flags |= VMOSAL_MAP_FIXED;
	variant &= 0x7f;
	if (fault < FAULT_PROT && fault != FAULT_NULL) {
		want = break_range(in, fault, &c);
	} else if (fault == FAULT_NULL) {
		c.addr = NULL; /* FIXED needs an address; so does a reservation */
	} else if (fault == FAULT_PROT) {
		c.prot |= unknown_bit(in, 7u);
	} else {
		switch (variant % 12) {
		case 0:
			c.flags |= unknown_map_bit(in);
			break;
		case 1:
			c.flags &= ~(VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE);
			break;
		case 2:
			c.flags |= VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE;
			break;
		case 3:
			c.flags |= VMOSAL_MAP_FIXED | VMOSAL_MAP_FIXED_NOREPLACE;
			break;
		case 4: /* a huge page size without HUGETLB */
			c.flags &= ~VMOSAL_MAP_HUGETLB;
			c.flags |= VMOSAL_MAP_HUGE_SIZE(1 + fuzz_u8(in) % VMOSAL_MAP_HUGE_MASK);
			break;
		case 5: /* anonymous with a handle */
			c.flags |= VMOSAL_MAP_ANONYMOUS;
			c.handle = shm_rw;
			c.offset = 0;
			break;
		case 6: /* anonymous at an offset */
			c.flags |= VMOSAL_MAP_ANONYMOUS;
			c.handle = VMOSAL_NO_HANDLE;
			c.offset = (int64_t)(1 + fuzz_u8(in)) * (int64_t)page;
			break;
		case 7: /* huge pages of a file */
			c.flags &= ~VMOSAL_MAP_ANONYMOUS;
			c.flags |= VMOSAL_MAP_HUGETLB;
			c.handle = shm_rw;
			break;
		case 8: /* a file with no handle */
			c.flags &= ~(VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_HUGETLB |
				     (VMOSAL_MAP_HUGE_MASK << VMOSAL_MAP_HUGE_SHIFT));
			c.handle = -1 - (int)(fuzz_u8(in) & 0x7f);
			want = VMOSAL_EBADF;
			break;
		case 9: /* a file at a negative or unaligned offset */
			c.flags &= ~(VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_HUGETLB |
				     (VMOSAL_MAP_HUGE_MASK << VMOSAL_MAP_HUGE_SHIFT));
			c.handle = shm_rw;
			c.offset = fuzz_u8(in) & 1 ? -1 - (int64_t)fuzz_u32(in)
						   : (int64_t)page * fuzz_u8(in) +
						     1 + fuzz_u16(in) % (page - 1);
			break;
		case 10: /* FIXED into a reservation, which implies it */
			if (reserved)
				c.flags |= fuzz_u8(in) & 1 ? VMOSAL_MAP_FIXED
							  : VMOSAL_MAP_FIXED_NOREPLACE;
			else
				c.flags |= unknown_map_bit(in);
			break;
		default:
			c.flags |= unknown_map_bit(in);
			break;
		}
	}
	errno = ERRNO_SENTINEL;
	if (reserved) {
		rc = vmosal_mem_map_reserved(c.addr, c.size, c.prot, c.flags, c.handle, c.offset);
		expect_refused(rc, want, "vmosal_mem_map_reserved", fault, variant);
	} else {
		/* Out NULL is refused first, whatever else is wrong. */
		bool no_out = variant == 11 && fault != FAULT_FLAGS;
		if (no_out)
			want = VMOSAL_EINVAL;
		rc = vmosal_mmap(c.addr, c.size, c.prot, c.flags, c.handle, c.offset,
				 no_out ? NULL : &out);
		expect_refused(rc, want, "vmosal_mmap", fault, variant);
		FUZZ_ASSERT(out == NULL, "refused vmosal_mmap wrote *out");
	}
}

/* The range calls, given a broken range, unknown prot, advice or flags. */
static void range_refused(struct fuzz_in *in, char *base, enum fault fault)
{
	uint8_t which = fuzz_u8(in) % 8;
	struct call c;
	unsigned prot = fuzz_u8(in) & 7u;
	int advice = (int)(fuzz_u8(in) % VMOSAL_MADV_COUNT);
	unsigned ms = VMOSAL_MS_ASYNC;
	int want = VMOSAL_EINVAL, rc;
	const char *name;

	pick_range(in, base, &c);
	if (fault < FAULT_PROT) {
		want = break_range(in, fault, &c);
	} else if (fault == FAULT_PROT) {
		which = 1; /* only mprotect takes prot */
		prot |= unknown_bit(in, 7u);
	} else {
		switch (fuzz_u8(in) % 5) {
		case 0:
			advice = VMOSAL_MADV_COUNT + (int)(fuzz_u32(in) % 0x7fffff00u);
			which = 2;
			break;
		case 1:
			advice = -1 - (int)(fuzz_u32(in) & 0x7fffffff);
			which = 2;
			break;
		case 2:
			ms = 0;
			which = 5;
			break;
		case 3:
			ms = VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC;
			which = 5;
			break;
		default:
			ms |= unknown_bit(in, VMOSAL_MS_INVALIDATE | VMOSAL_MS_SYNC);
			which = 5;
			break;
		}
	}
	errno = ERRNO_SENTINEL;
	switch (which) {
	case 0:
		name = "vmosal_munmap";
		rc = vmosal_munmap(c.addr, c.size);
		break;
	case 1:
		name = "vmosal_mprotect";
		rc = vmosal_mprotect(c.addr, c.size, prot);
		break;
	case 2:
		name = "vmosal_mem_advise";
		rc = vmosal_mem_advise(c.addr, c.size, (enum vmosal_advice)advice);
		break;
	case 3:
		name = "vmosal_mem_lock";
		rc = vmosal_mem_lock(c.addr, c.size);
		break;
	case 4:
		name = "vmosal_mem_unlock";
		rc = vmosal_mem_unlock(c.addr, c.size);
		break;
	case 5:
		name = "vmosal_mem_sync";
		rc = vmosal_mem_sync(c.addr, c.size, ms);
		break;
	default:
		name = "vmosal_mem_release";
		rc = vmosal_mem_release(c.addr, c.size);
		break;
	}
	expect_refused(rc, want, name, fault, which);
}

static void reserve_refused(struct fuzz_in *in)
{
	size_t size = (1 + fuzz_u8(in) % MAX_RANGE_PAGES) * page;
	size_t alignment = page << (fuzz_u8(in) % 13);
	uint8_t variant = fuzz_u8(in) % 5;
	void *p = NULL;
	int want = VMOSAL_EINVAL, rc;

	switch (variant) {
	case 0: /* not a power of two */
		alignment |= alignment >> (1 + fuzz_u8(in) % 4) | 1u;
		break;
	case 1:
		size = 0;
		break;
	case 2: /* not a whole number of pages */
		size += 1 + fuzz_u16(in) % (page - 1);
		break;
	case 3: /* aligning it could not fit the address space */
		alignment = (size_t)1 << (63 - fuzz_u8(in) % 8);
		size = SIZE_MAX / page * page - fuzz_u8(in) % 64 * page;
		want = VMOSAL_EOVERFLOW;
		break;
	default:
		break;
	}
	errno = ERRNO_SENTINEL;
	rc = vmosal_mem_reserve(size, alignment, variant == 4 ? NULL : &p);
	expect_refused(rc, want, "vmosal_mem_reserve", FAULT_COUNT, variant);
	FUZZ_ASSERT(p == NULL, "refused vmosal_mem_reserve wrote *out");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	void *res = NULL;
	char *base;
	int rc;

	npieces = 0;
	rc = vmosal_mem_reserve(RES_BYTES, HUGE_2MB, &res);
	FUZZ_ASSERT(rc == 0, "vmosal_mem_reserve");
	base = res;
	FUZZ_ASSERT((uintptr_t)base % HUGE_2MB == 0, "reservation alignment");
	check_reservation(base, "vmosal_mem_reserve");
	for (int i = 0; i < MAX_CALLS && in.n > 0; i++) {
		uint8_t op = fuzz_u8(&in);
		static const char *const names[] = {
			"map_fixed", "map_noreplace", "map_hint", "unmap", "protect", "advise",
			"lock", "sync", "map_reserved", "reserve_other", "refused",
		};

		switch (op % 11) {
		case 0:
			map_fixed(&in, base);
			break;
		case 1:
			map_noreplace(&in, base);
			break;
		case 2:
			map_hint(&in, base);
			break;
		case 3:
			unmap(&in, base);
			break;
		case 4:
			protect(&in, base);
			break;
		case 5:
			advise(&in, base);
			break;
		case 6:
			lock(&in, base);
			break;
		case 7:
			sync_range(&in, base);
			break;
		case 8:
			map_reserved(&in, base);
			break;
		case 9:
			reserve_other(&in);
			break;
		default: {
			enum fault fault = (enum fault)(fuzz_u8(&in) % (FAULT_COUNT + 1));
			if (fault == FAULT_COUNT)
				reserve_refused(&in);
			else if (op & 0x80)
				map_refused(&in, base, fault);
			else
				range_refused(&in, base, fault);
			break;
		}
		}
		check_reservation(base, names[op % 11]);
	}
	rc = vmosal_mem_release(base, RES_BYTES);
	FUZZ_ASSERT(rc == 0, "vmosal_mem_release");
	return 0;
}
