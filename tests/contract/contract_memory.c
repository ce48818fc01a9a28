/* memory.h's contract: mappings, reservations, huge pages, shared
 * memory, JIT buffers and guest RAM. */
#include "config.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contract.h"

/* ==== memory.h ============================================================== */

/* What vmosal_mmap and vmosal_mem_map_reserved both refuse. */
struct map_case {
	const char *what;
	unsigned prot, flags;
	vmosal_handle_t handle;
	int64_t offset;
	int expected;
};

static const struct map_case bad_map_args[] = {
	{"unknown prot bit", 8, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, VMOSAL_EINVAL},
	{"unknown flag bit", RW, ANON_PRIVATE | 0x100, VMOSAL_NO_HANDLE, 0, VMOSAL_EINVAL},
	{"neither shared nor private", RW, VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0,
	 VMOSAL_EINVAL},
	{"shared and private", RW, ANON_PRIVATE | VMOSAL_MAP_SHARED, VMOSAL_NO_HANDLE, 0,
	 VMOSAL_EINVAL},
	{"huge size without HUGETLB", RW, ANON_PRIVATE | VMOSAL_MAP_HUGE_2MB, VMOSAL_NO_HANDLE,
	 0, VMOSAL_EINVAL},
	{"HUGETLB on a file", RW, VMOSAL_MAP_SHARED | VMOSAL_MAP_HUGETLB,
	 VMOSAL_FAKE_SHM_HANDLE, 0, VMOSAL_EINVAL},
	{"anonymous with a handle", RW, ANON_PRIVATE, VMOSAL_FAKE_SHM_HANDLE, 0, VMOSAL_EINVAL},
	{"anonymous with an offset", RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, (int64_t)PAGE,
	 VMOSAL_EINVAL},
	{"file mapping without a handle", RW, VMOSAL_MAP_SHARED, VMOSAL_NO_HANDLE, 0,
	 VMOSAL_EBADF},
	{"negative offset", RW, VMOSAL_MAP_SHARED, VMOSAL_FAKE_SHM_HANDLE, -(int64_t)PAGE,
	 VMOSAL_EINVAL},
	{"unaligned offset", RW, VMOSAL_MAP_SHARED, VMOSAL_FAKE_SHM_HANDLE, 100, VMOSAL_EINVAL},
};

#define N_BAD_MAP_ARGS (sizeof bad_map_args / sizeof bad_map_args[0])

START_TEST(test_mmap_arguments)
{
	void *out = NULL;

	for (size_t i = 0; i < N_BAD_MAP_ARGS; i++) {
		const struct map_case *m = &bad_map_args[i];
		size_t before = fake.count();

		ck_assert_msg(vmosal_mmap(NULL, PAGE, m->prot, m->flags, m->handle, m->offset,
					  &out) == m->expected,
			      "vmosal_mmap, %s: not %s", m->what, vmosal_err_name(m->expected));
		ck_assert_msg(fake.count() == before, "vmosal_mmap, %s: backend asked", m->what);
	}
	ASSERT_NO_CALL(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, NULL),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(NULL, 0, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(SOME_ADDRESS, PAGE, RW,
				   ANON_PRIVATE | VMOSAL_MAP_FIXED | VMOSAL_MAP_FIXED_NOREPLACE,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap((char *)SOME_ADDRESS + 1, PAGE, RW, ANON_PRIVATE,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mmap(LAST_PAGE, 2 * PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
				   VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EOVERFLOW);
	ASSERT_NO_CALL(vmosal_mmap(NULL, SIZE_MAX, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &out),
		       VMOSAL_EOVERFLOW);
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_mmap_dispatch)
{
	void *out = NULL;
	struct vmosal_fake_call c;

	/* Sizes are passed as given: the backend rounds them up. */
	ASSERT_CALLS(vmosal_mmap(NULL, 100, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &out),
		     0, "mem_map");
	c = call_at(0);
	EXPECT_ARGS(c, 0, 100, RW, ANON_PRIVATE, NO_HANDLE_ARG, 0);
	ck_assert_ptr_nonnull(out);

	ASSERT_CALLS(vmosal_mmap(SOME_ADDRESS, 2 * PAGE, VMOSAL_PROT_READ,
				 VMOSAL_MAP_SHARED | VMOSAL_MAP_FIXED_NOREPLACE,
				 VMOSAL_FAKE_SHM_HANDLE, (int64_t)(4 * PAGE), &out),
		     0, "mem_map");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(SOME_ADDRESS), 2 * PAGE, VMOSAL_PROT_READ,
		    VMOSAL_MAP_SHARED | VMOSAL_MAP_FIXED_NOREPLACE,
		    HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), 4 * PAGE);
	ck_assert_ptr_eq(out, SOME_ADDRESS);

	/* Huge pages: checked against the host's pools first. */
	ASSERT_CALLS(vmosal_mmap(NULL, TWO_MIB, RW,
				 ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_2MB,
				 VMOSAL_NO_HANDLE, 0, &out),
		     0, "huge_page_sizes", "mem_map");
	c = call_at(1);
	EXPECT_ARGS(c, 0, TWO_MIB, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_2MB);
	/* Less than a huge page would be rounded up past the range. */
	ASSERT_CALLS(vmosal_mmap(NULL, PAGE, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB,
				 VMOSAL_NO_HANDLE, 0, &out),
		     VMOSAL_EINVAL, "huge_page_sizes");
	ASSERT_CALLS(vmosal_mmap((char *)SOME_ADDRESS + PAGE, TWO_MIB, RW,
				 ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_FIXED,
				 VMOSAL_NO_HANDLE, 0, &out),
		     VMOSAL_EINVAL, "huge_page_sizes");
	ASSERT_CALLS(vmosal_mmap(NULL, (size_t)1 << 30, RW,
				 ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_1GB,
				 VMOSAL_NO_HANDLE, 0, &out),
		     VMOSAL_ENOTSUP, "huge_page_sizes");

	out = NULL;
	fail_slot("mem_map", VMOSAL_EEXIST);
	ASSERT_CALLS(vmosal_mmap(SOME_ADDRESS, PAGE, RW,
				 ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE, VMOSAL_NO_HANDLE,
				 0, &out),
		     VMOSAL_EEXIST, "mem_map");
	ck_assert_ptr_null(out);
}
END_TEST

/* The range rules of memory.h, shared by every call below. */
static int range_munmap(void *addr, size_t size)
{
	return vmosal_munmap(addr, size);
}

static int range_mem_release(void *addr, size_t size)
{
	return vmosal_mem_release(addr, size);
}

static int range_mprotect(void *addr, size_t size)
{
	return vmosal_mprotect(addr, size, VMOSAL_PROT_READ);
}

static int range_madvise(void *addr, size_t size)
{
	return vmosal_mem_advise(addr, size, VMOSAL_MADV_DONTNEED);
}

static int range_mlock(void *addr, size_t size)
{
	return vmosal_mem_lock(addr, size);
}

static int range_munlock(void *addr, size_t size)
{
	return vmosal_mem_unlock(addr, size);
}

static int range_msync(void *addr, size_t size)
{
	return vmosal_mem_sync(addr, size, VMOSAL_MS_SYNC);
}

static int range_map_reserved(void *addr, size_t size)
{
	return vmosal_mem_map_reserved(addr, size, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0);
}

static const struct {
	const char *name;
	const char *slot;
	int (*call)(void *addr, size_t size);
	uint64_t third_arg; /* what the slot gets after addr and size */
} range_calls[] = {
	{"vmosal_munmap", "mem_unmap", range_munmap, 0},
	{"vmosal_mem_release", "mem_release", range_mem_release, 0},
	{"vmosal_mprotect", "mem_protect", range_mprotect, VMOSAL_PROT_READ},
	{"vmosal_mem_advise", "mem_advise", range_madvise, VMOSAL_MADV_DONTNEED},
	{"vmosal_mem_lock", "mem_lock", range_mlock, 0},
	{"vmosal_mem_unlock", "mem_unlock", range_munlock, 0},
	{"vmosal_mem_sync", "mem_sync", range_msync, VMOSAL_MS_SYNC},
	{"vmosal_mem_map_reserved", "mem_map_reserved", range_map_reserved, RW},
};

#define N_RANGE_CALLS (sizeof range_calls / sizeof range_calls[0])

START_TEST(test_range_rules)
{
	const struct {
		const char *what;
		void *addr;
		size_t size;
		int expected;
	} bad[] = {
		{"NULL address", NULL, PAGE, VMOSAL_EINVAL},
		{"size 0", SOME_ADDRESS, 0, VMOSAL_EINVAL},
		{"unaligned address", (char *)SOME_ADDRESS + 1, PAGE, VMOSAL_EINVAL},
		{"range past the end of the address space", LAST_PAGE, PAGE, VMOSAL_EOVERFLOW},
		{"range that wraps once rounded to pages", LAST_PAGE, 1, VMOSAL_EOVERFLOW},
	};

	for (size_t f = 0; f < N_RANGE_CALLS; f++)
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			size_t before = fake.count();
			int rc = range_calls[f].call(bad[i].addr, bad[i].size);

			ck_assert_msg(rc == bad[i].expected, "%s, %s: %s, not %s",
				      range_calls[f].name, bad[i].what, vmosal_err_name(rc),
				      vmosal_err_name(bad[i].expected));
			ck_assert_msg(fake.count() == before, "%s, %s: backend asked",
				      range_calls[f].name, bad[i].what);
		}
}
END_TEST

START_TEST(test_range_dispatch)
{
	for (size_t f = 0; f < N_RANGE_CALLS; f++) {
		struct vmosal_fake_call c;

		/* Sizes are passed as given, in whole pages or not. */
		fake.reset();
		begin_calls();
		ck_assert_int_eq(range_calls[f].call(SOME_ADDRESS, 3 * PAGE + 5), 0);
		expect_calls(range_calls[f].slot, NULL);
		c = call_at(0);
		EXPECT_ARGS(c, ADDR(SOME_ADDRESS), 3 * PAGE + 5, range_calls[f].third_arg);

		fail_slot(range_calls[f].slot, VMOSAL_ENOMEM);
		begin_calls();
		ck_assert_msg(range_calls[f].call(SOME_ADDRESS, PAGE) == VMOSAL_ENOMEM,
			      "%s: the backend's error did not come back", range_calls[f].name);
		expect_calls(range_calls[f].slot, NULL);
	}
}
END_TEST

START_TEST(test_prot_advice_and_sync_values)
{
	ASSERT_NO_CALL(vmosal_mprotect(SOME_ADDRESS, PAGE, 8), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mprotect(SOME_ADDRESS, PAGE, RW | 0x10), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_advise(SOME_ADDRESS, PAGE, VMOSAL_MADV_COUNT), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_advise(SOME_ADDRESS, PAGE, (enum vmosal_advice)-1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_INVALIDATE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_SYNC | 8), VMOSAL_EINVAL);

	/* Every advice the header knows reaches the backend as its number. */
	for (int a = 0; a < VMOSAL_MADV_COUNT; a++) {
		struct vmosal_fake_call c;

		ASSERT_CALLS(vmosal_mem_advise(SOME_ADDRESS, PAGE, (enum vmosal_advice)a), 0,
			     "mem_advise");
		c = call_at(0);
		EXPECT_ARGS(c, ADDR(SOME_ADDRESS), PAGE, (uint64_t)a);
	}
	ASSERT_CALLS(vmosal_mem_sync(SOME_ADDRESS, PAGE, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE), 0,
		     "mem_sync");
	{
		struct vmosal_fake_call c = call_at(0);
		EXPECT_ARGS(c, ADDR(SOME_ADDRESS), PAGE, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE);
	}
	/* A backend may still refuse advice its host cannot take. */
	fail_slot("mem_advise", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_mem_advise(SOME_ADDRESS, PAGE, VMOSAL_MADV_MERGEABLE),
		     VMOSAL_ENOTSUP, "mem_advise");
}
END_TEST

START_TEST(test_mem_reserve)
{
	void *out = NULL;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE, 3, &out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE, 3 * PAGE, &out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(0, 0, &out), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_reserve(PAGE + 1, 0, &out), VMOSAL_EINVAL);
	/* Aligning would take it past the end of the address space. */
	ASSERT_NO_CALL(vmosal_mem_reserve(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, &out),
		       VMOSAL_EOVERFLOW);
	ck_assert_ptr_null(out);

	/* Alignment 0, or below the granularity, is the granularity. */
	ASSERT_CALLS(vmosal_mem_reserve(8 * PAGE, 0, &out), 0, "mem_reserve");
	c = call_at(0);
	EXPECT_ARGS(c, 8 * PAGE, PAGE, 0);
	ck_assert_ptr_nonnull(out);
	ASSERT_CALLS(vmosal_mem_reserve(PAGE, 1024, &out), 0, "mem_reserve");
	c = call_at(0);
	EXPECT_ARGS(c, PAGE, PAGE, 0);
	ASSERT_CALLS(vmosal_mem_reserve(TWO_MIB, TWO_MIB, &out), 0, "mem_reserve");
	c = call_at(0);
	EXPECT_ARGS(c, TWO_MIB, TWO_MIB, 0);
	ck_assert_uint_eq((uintptr_t)out % TWO_MIB, 0);

	out = NULL;
	fail_slot("mem_reserve", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_mem_reserve(PAGE, 0, &out), VMOSAL_ENOMEM, "mem_reserve");
	ck_assert_ptr_null(out);
}
END_TEST

START_TEST(test_mem_map_reserved)
{
	struct vmosal_fake_call c;

	for (size_t i = 0; i < N_BAD_MAP_ARGS; i++) {
		const struct map_case *m = &bad_map_args[i];
		size_t before = fake.count();

		ck_assert_msg(vmosal_mem_map_reserved(SOME_ADDRESS, PAGE, m->prot, m->flags,
						      m->handle, m->offset) == m->expected,
			      "vmosal_mem_map_reserved, %s: not %s", m->what,
			      vmosal_err_name(m->expected));
		ck_assert_msg(fake.count() == before, "vmosal_mem_map_reserved, %s: backend asked",
			      m->what);
	}
	/* FIXED and FIXED_NOREPLACE are implied, never given. */
	ASSERT_NO_CALL(vmosal_mem_map_reserved(SOME_ADDRESS, PAGE, RW,
					       ANON_PRIVATE | VMOSAL_MAP_FIXED,
					       VMOSAL_NO_HANDLE, 0),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_mem_map_reserved(SOME_ADDRESS, PAGE, RW,
					       ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE,
					       VMOSAL_NO_HANDLE, 0),
		       VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_mem_map_reserved(SOME_ADDRESS, 2 * PAGE, VMOSAL_PROT_READ,
					     VMOSAL_MAP_SHARED | VMOSAL_MAP_NORESERVE,
					     VMOSAL_FAKE_SHM_HANDLE, (int64_t)PAGE),
		     0, "mem_map_reserved");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(SOME_ADDRESS), 2 * PAGE, VMOSAL_PROT_READ,
		    VMOSAL_MAP_SHARED | VMOSAL_MAP_NORESERVE, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE),
		    PAGE);
}
END_TEST

START_TEST(test_huge_page_sizes)
{
	struct vmosal_huge_page_sizes ps = {.struct_size = sizeof ps - 1};
	NEWER(struct vmosal_huge_page_sizes) newer;

	ASSERT_NO_CALL(vmosal_huge_page_sizes(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_huge_page_sizes(&ps), VMOSAL_EINVAL);

	FILL_NEWER(newer, struct vmosal_huge_page_sizes, 0xaa);
	ASSERT_CALLS(vmosal_huge_page_sizes(&newer.known), 0, "huge_page_sizes");
	ck_assert_uint_eq(newer.known.thp_mode, VMOSAL_THP_MADVISE);
	ck_assert_uint_eq(newer.known.base, PAGE);
	ck_assert_uint_eq(newer.known.thp_size, TWO_MIB);
	ck_assert_uint_eq(newer.known.huge_default, TWO_MIB);
	ck_assert_uint_eq(newer.known.huge_count, 1);
	EXPECT_ZERO_TAIL(newer, struct vmosal_huge_page_sizes);

	ps.struct_size = sizeof ps;
	ps.thp_size = 77;
	fail_slot("huge_page_sizes", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_huge_page_sizes(&ps), VMOSAL_EIO, "huge_page_sizes");
	ck_assert_uint_eq(ps.thp_size, 77);
}
END_TEST

START_TEST(test_huge_page_pool)
{
	struct vmosal_huge_page_pool pool = {.struct_size = sizeof pool - 1};
	NEWER(struct vmosal_huge_page_pool) newer;

	ASSERT_NO_CALL(vmosal_huge_page_pool(0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_huge_page_pool(0, &pool), VMOSAL_EINVAL);
	pool.struct_size = sizeof pool;
	/* How many pools there are is the host's answer, read now. */
	ASSERT_CALLS(vmosal_huge_page_pool(1, &pool), VMOSAL_ERANGE, "huge_page_sizes");

	FILL_NEWER(newer, struct vmosal_huge_page_pool, 0xaa);
	ASSERT_CALLS(vmosal_huge_page_pool(0, &newer.known), 0, "huge_page_sizes");
	ck_assert_uint_eq(newer.known.page_size, TWO_MIB);
	ck_assert_uint_eq(newer.known.total, VMOSAL_FAKE_HUGE_TOTAL);
	ck_assert_uint_eq(newer.known.free, VMOSAL_FAKE_HUGE_FREE);
	EXPECT_ZERO_TAIL(newer, struct vmosal_huge_page_pool);

	fail_slot("huge_page_sizes", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_huge_page_pool(0, &pool), VMOSAL_EIO, "huge_page_sizes");
}
END_TEST

START_TEST(test_shm_create_arguments)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;

	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 0, 0, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, 0, 0, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, 4, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, TWO_MIB, 0, TWO_MIB, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, 6 * TWO_MIB, VMOSAL_SHM_HUGETLB, 3 * TWO_MIB, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE + 1, 0, 0, &h), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, PAGE, VMOSAL_SHM_HUGETLB, TWO_MIB, &h),
		       VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_shm_create(NULL, (uint64_t)1 << 63, 0, 0, &h), VMOSAL_EOVERFLOW);
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_shm_create_dispatch)
{
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	struct vmosal_fake_call c;

	ASSERT_CALLS(vmosal_shm_create(NULL, 4 * PAGE, VMOSAL_SHM_SEAL, 0, &h), 0,
		     "shm_create");
	c = call_at(0);
	ck_assert_str_eq(c.text, "vmosal");
	EXPECT_ARGS(c, ANY_ARG, 4 * PAGE, VMOSAL_SHM_SEAL, 0);
	ck_assert(h == VMOSAL_FAKE_SHM_HANDLE);

	/* The huge page size is checked against the host's pools and
	 * travels as its log2; the default size is resolved first. */
	ASSERT_CALLS(vmosal_shm_create("guest", 2 * TWO_MIB, VMOSAL_SHM_HUGETLB, TWO_MIB,
				       &h),
		     0, "huge_page_sizes", "shm_create");
	c = call_at(1);
	ck_assert_str_eq(c.text, "guest");
	EXPECT_ARGS(c, ANY_ARG, 2 * TWO_MIB, VMOSAL_SHM_HUGETLB, 21);
	ASSERT_CALLS(vmosal_shm_create("guest", TWO_MIB, VMOSAL_SHM_HUGETLB, 0, &h), 0,
		     "huge_page_sizes", "shm_create");
	c = call_at(1);
	EXPECT_ARGS(c, ANY_ARG, TWO_MIB, VMOSAL_SHM_HUGETLB, 21);
	/* The size must be a multiple of the default size as well. */
	ASSERT_CALLS(vmosal_shm_create(NULL, 4 * PAGE, VMOSAL_SHM_HUGETLB, 0, &h), VMOSAL_EINVAL,
		     "huge_page_sizes");
	/* A size the host has no pool of. */
	ASSERT_CALLS(vmosal_shm_create(NULL, (uint64_t)1 << 30, VMOSAL_SHM_HUGETLB,
				       (uint64_t)1 << 30, &h),
		     VMOSAL_ENOTSUP, "huge_page_sizes");

	h = VMOSAL_NO_HANDLE;
	fail_slot("shm_create", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_shm_create(NULL, PAGE, 0, 0, &h), VMOSAL_ENOSPC,
		     "shm_create");
	ck_assert(h == VMOSAL_NO_HANDLE);
}
END_TEST

/* Member by member: padding is no one's to compare. */
static void expect_same_jit(const struct vmosal_jit *a, const struct vmosal_jit *b)
{
	ck_assert_uint_eq(a->struct_size, b->struct_size);
	ck_assert_ptr_eq(a->rw, b->rw);
	ck_assert_ptr_eq(a->rx, b->rx);
	ck_assert_uint_eq(a->size, b->size);
}

START_TEST(test_jit_create)
{
	struct vmosal_jit jit = {.struct_size = sizeof jit - 1};
	NEWER(struct vmosal_jit) newer;
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_jit_create(PAGE, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_EINVAL);
	jit.struct_size = 0;
	ASSERT_NO_CALL(vmosal_jit_create(PAGE, &jit), VMOSAL_EINVAL);
	jit.struct_size = sizeof jit;
	ASSERT_NO_CALL(vmosal_jit_create(0, &jit), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_create(SIZE_MAX, &jit), VMOSAL_EOVERFLOW);

	/* Rounded up to whole pages before the backend sees it. */
	FILL_NEWER(newer, struct vmosal_jit, 0xaa);
	ASSERT_CALLS(vmosal_jit_create(100, &newer.known), 0, "jit_map");
	c = call_at(0);
	EXPECT_ARGS(c, PAGE);
	ck_assert_ptr_nonnull(newer.known.rw);
	ck_assert_ptr_nonnull(newer.known.rx);
	ck_assert_ptr_ne(newer.known.rw, newer.known.rx);
	ck_assert_uint_eq(newer.known.size, PAGE);
	EXPECT_ZERO_TAIL(newer, struct vmosal_jit);

	fail_slot("jit_map", VMOSAL_EACCES);
	ASSERT_CALLS(vmosal_jit_create(PAGE, &jit), VMOSAL_EACCES, "jit_map");
	ck_assert_ptr_null(jit.rw);
	ck_assert_uint_eq(jit.size, 0);
}
END_TEST

START_TEST(test_jit_flush)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	struct vmosal_jit small = {.struct_size = sizeof small - 1};
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	small.rw = jit.rw;
	small.rx = jit.rx;
	small.size = jit.size;
	ASSERT_NO_CALL(vmosal_jit_flush(NULL, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&small, 0, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 0, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, PAGE + 1, 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, PAGE - 1, 2), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_flush(&jit, 1, SIZE_MAX), VMOSAL_EINVAL);
	small = jit;
	small.rx = NULL;
	ASSERT_NO_CALL(vmosal_jit_flush(&small, 0, 1), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_jit_flush(&jit, 16, 32), 0, "icache_flush");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(jit.rx) + 16, 32);
	ASSERT_CALLS(vmosal_jit_flush(&jit, 0, PAGE), 0, "icache_flush");
	fail_slot("icache_flush", VMOSAL_EFAULT);
	ASSERT_CALLS(vmosal_jit_flush(&jit, 0, 1), VMOSAL_EFAULT, "icache_flush");
}
END_TEST

START_TEST(test_jit_destroy)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit), copy, bad;
	NEWER(struct vmosal_jit) newer;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	ASSERT_NO_CALL(vmosal_jit_destroy(NULL), VMOSAL_EINVAL);
	bad = jit;
	bad.struct_size = sizeof bad - 1;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rw = NULL;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rx = NULL;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.size = 0;
	ASSERT_NO_CALL(vmosal_jit_destroy(&bad), VMOSAL_EINVAL);

	copy = jit;
	fail_slot("jit_unmap", VMOSAL_EBUSY);
	ASSERT_CALLS(vmosal_jit_destroy(&jit), VMOSAL_EBUSY, "jit_unmap");
	expect_same_jit(&jit, &copy);
	fail_slot("jit_unmap", 0);

	ASSERT_CALLS(vmosal_jit_destroy(&jit), 0, "jit_unmap");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(copy.rw), ADDR(copy.rx), PAGE);
	ck_assert_uint_eq(jit.struct_size, sizeof jit);
	ck_assert_ptr_null(jit.rw);
	ck_assert_ptr_null(jit.rx);
	ck_assert_uint_eq(jit.size, 0);

	/* A newer caller's struct: the tail stays as it was. */
	FILL_NEWER(newer, struct vmosal_jit, 0);
	ck_assert_int_eq(vmosal_jit_create(PAGE, &newer.known), 0);
	ck_assert_int_eq(vmosal_jit_destroy(&newer.known), 0);
	EXPECT_ZERO_TAIL(newer, struct vmosal_jit);
}
END_TEST

/* The write window: checked by the core, counted per thread, and the
 * backend asked only for the outermost window. */
START_TEST(test_jit_write_window)
{
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit), bad;
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_jit_create(PAGE, &jit), 0);
	ASSERT_NO_CALL(vmosal_jit_write_begin(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_jit_write_end(NULL), VMOSAL_EINVAL);
	bad = jit;
	bad.struct_size = sizeof bad - 1;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rw = NULL;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.rx = NULL;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	bad = jit;
	bad.size = 0;
	ASSERT_NO_CALL(vmosal_jit_write_begin(&bad), VMOSAL_EINVAL);
	/* No window open. */
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_jit_write_begin(&jit), 0, "jit_write_begin");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(jit.rw), ADDR(jit.rx), PAGE);
	/* Nested: counted, not asked again. */
	ASSERT_NO_CALL(vmosal_jit_write_begin(&jit), 0);
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), 0);
	bad = jit;
	bad.rw = NULL;
	ASSERT_NO_CALL(vmosal_jit_write_end(&bad), VMOSAL_EINVAL);
	/* A refused end leaves the window open. */
	fail_slot("jit_write_end", VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_jit_write_end(&jit), VMOSAL_EINVAL, "jit_write_end");
	fail_slot("jit_write_end", 0);
	ASSERT_CALLS(vmosal_jit_write_end(&jit), 0, "jit_write_end");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(jit.rw), ADDR(jit.rx), PAGE);
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);

	/* A refused begin opens nothing. */
	fail_slot("jit_write_begin", VMOSAL_EINVAL);
	ASSERT_CALLS(vmosal_jit_write_begin(&jit), VMOSAL_EINVAL, "jit_write_begin");
	ASSERT_NO_CALL(vmosal_jit_write_end(&jit), VMOSAL_EINVAL);
}
END_TEST

/* ---- guest RAM ---- */

#define GUEST_SIZE ((size_t)4 << 20)

static struct vmosal_guest_ram_options guest_options(void)
{
	struct vmosal_guest_ram_options o = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram_options);
	return o;
}

/* A guest RAM struct no call may touch: any change shows. */
static struct vmosal_guest_ram untouched_ram(void)
{
	struct vmosal_guest_ram ram;

	memset(&ram, 0x5a, sizeof ram);
	ram.struct_size = sizeof ram;
	return ram;
}

static void expect_same_ram(const struct vmosal_guest_ram *a, const struct vmosal_guest_ram *b)
{
	ck_assert_uint_eq(a->struct_size, b->struct_size);
	ck_assert_ptr_eq(a->addr, b->addr);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert(a->handle == b->handle);
	ck_assert_ptr_eq(a->map_base, b->map_base);
	ck_assert_uint_eq(a->map_size, b->map_size);
}

START_TEST(test_guest_ram_alloc_arguments)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram small = {.struct_size = sizeof small - 1};
	struct vmosal_guest_ram_options o = guest_options();
	NEWER(struct vmosal_guest_ram_options) newer;

	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, NULL, NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, NULL, &small), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_create(0, NULL, &ram), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE + 1, NULL, &ram), VMOSAL_EINVAL);
	o.struct_size = sizeof o - 1;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	FILL_NEWER(newer, struct vmosal_guest_ram_options, 0x01);
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &newer.known, &ram), VMOSAL_ENOTSUP);

	o = guest_options();
	o.flags = 0x40;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.pages = VMOSAL_PAGES_HUGETLB + 1;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.huge_page_size = TWO_MIB;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.alignment = 3 * PAGE;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o.alignment = PAGE / 4;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o = guest_options();
	o.guard_size = PAGE + 1;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	expect_same_ram(&ram, &copy);
}
END_TEST

/* What depends on the host's page sizes is found after reading them, and
 * before anything is reserved. */
START_TEST(test_guest_ram_alloc_host_checks)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();

	o.pages = VMOSAL_PAGES_HUGETLB;
	o.huge_page_size = (uint64_t)1 << 30;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOTSUP,
		     "huge_page_sizes");
	o.huge_page_size = 0;
	ASSERT_CALLS(vmosal_guest_ram_create(TWO_MIB + PAGE, &o, &ram), VMOSAL_EINVAL,
		     "huge_page_sizes");
	o = guest_options();
	o.guard_size = (SIZE_MAX / 2) & ~(PAGE - 1);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EOVERFLOW,
		     "huge_page_sizes");
	o = guest_options();
	o.flags = VMOSAL_GUEST_NUMA;
	o.numa_node = 999;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOENT,
		     "huge_page_sizes");
	expect_same_ram(&ram, &copy);
}
END_TEST

START_TEST(test_guest_ram_alloc_default)
{
	struct vmosal_guest_ram ram = untouched_ram();
	NEWER(struct vmosal_guest_ram) newer;
	NEWER(struct vmosal_guest_ram_options) newer_options;
	struct vmosal_fake_call c;

	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, NULL, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, GUEST_SIZE, TWO_MIB, 0);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW, ANON_PRIVATE, NO_HANDLE_ARG, 0);
	c = call_at(3);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, VMOSAL_MADV_HUGEPAGE);
	ck_assert_uint_eq((uintptr_t)ram.addr % TWO_MIB, 0);
	ck_assert_uint_eq(ram.size, GUEST_SIZE);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
	ck_assert_ptr_eq(ram.map_base, ram.addr);
	ck_assert_uint_eq(ram.map_size, GUEST_SIZE);

	/* Newer callers: the options' zero tail is accepted, the result's
	 * tail zero-filled. */
	FILL_NEWER(newer, struct vmosal_guest_ram, 0xaa);
	FILL_NEWER(newer_options, struct vmosal_guest_ram_options, 0);
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &newer_options.known, &newer.known),
			 0);
	EXPECT_ZERO_TAIL(newer, struct vmosal_guest_ram);
}
END_TEST

/* One reservation of guard, RAM, guard, aligned at the RAM's start. */
START_TEST(test_guest_ram_alloc_guards_and_alignment)
{
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	size_t guard = 16 * PAGE, align = (size_t)1 << 20;
	struct vmosal_fake_call c;

	o.guard_size = guard;
	o.alignment = align;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, GUEST_SIZE + 2 * guard, align, guard);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.map_base) + guard, GUEST_SIZE, RW, ANON_PRIVATE, NO_HANDLE_ARG, 0);
	ck_assert_ptr_eq(ram.addr, (char *)ram.map_base + guard);
	ck_assert_uint_eq(ram.map_size, GUEST_SIZE + 2 * guard);
	ck_assert_uint_eq((uintptr_t)ram.addr % align, 0);
}
END_TEST

/* Sizes and guards are multiples of the host's granule, refused by the
 * core before any backend call: the same answer on every OS. */
START_TEST(test_guest_ram_alloc_granule)
{
	const size_t granule = 16 * PAGE;
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();

	fake.granularity(granule);
	ASSERT_NO_CALL(vmosal_guest_ram_create(granule + PAGE, &o, &ram), VMOSAL_EINVAL);
	o.guard_size = PAGE;
	ASSERT_NO_CALL(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL);
	o.guard_size = granule;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(granule, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", NULL);
	fake.granularity(0);
}
END_TEST

START_TEST(test_guest_ram_alloc_flags)
{
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	o.pages = VMOSAL_PAGES_BASE;
	o.flags = VMOSAL_GUEST_SHARED | VMOSAL_GUEST_NORESERVE | VMOSAL_GUEST_DONTDUMP;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise", "mem_advise",
		     NULL);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW,
		    VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_SHARED | VMOSAL_MAP_NORESERVE, NO_HANDLE_ARG);
	c = call_at(3);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, VMOSAL_MADV_NOHUGEPAGE);
	c = call_at(4);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, VMOSAL_MADV_DONTDUMP);

	/* Huge pages of the default size, asked for by the mapping. */
	o = guest_options();
	o.pages = VMOSAL_PAGES_HUGETLB;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "mem_reserve", "mem_map_reserved", NULL);
	c = call_at(1);
	EXPECT_ARGS(c, GUEST_SIZE, TWO_MIB, 0);
	c = call_at(2);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW,
		    ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_SIZE(21), NO_HANDLE_ARG);
}
END_TEST

START_TEST(test_guest_ram_alloc_fd)
{
	struct vmosal_guest_ram ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	o.flags = VMOSAL_GUEST_FD;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	expect_calls("huge_page_sizes", "shm_create", "mem_reserve", "mem_map_reserved", "mem_advise",
		     NULL);
	/* Sealed, so that no holder of the handle can resize the RAM. */
	c = call_at(1);
	EXPECT_ARGS(c, ANY_ARG, GUEST_SIZE, VMOSAL_SHM_SEAL, 0);
	c = call_at(3);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW, VMOSAL_MAP_SHARED,
		    HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), 0);
	ck_assert(ram.handle == VMOSAL_FAKE_SHM_HANDLE);

	o.pages = VMOSAL_PAGES_HUGETLB;
	o.huge_page_size = TWO_MIB;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	/* shm_create checks the huge size against the pools itself. */
	expect_calls("huge_page_sizes", "huge_page_sizes", "shm_create", "mem_reserve", "mem_map_reserved",
		     NULL);
	c = call_at(2);
	EXPECT_ARGS(c, ANY_ARG, GUEST_SIZE, VMOSAL_SHM_SEAL | VMOSAL_SHM_HUGETLB, 21);
	c = call_at(4);
	EXPECT_ARGS(c, ADDR(ram.addr), GUEST_SIZE, RW, VMOSAL_MAP_SHARED,
		    HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), 0);
}
END_TEST

/* On any failure the whole reservation goes, and *out stays as it was. */
START_TEST(test_guest_ram_alloc_failures_undo_everything)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call reserve, map, release, close;

	fail_slot("mem_map_reserved", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, NULL, &ram), VMOSAL_ENOMEM, "huge_page_sizes",
	     "mem_reserve", "mem_map_reserved", "mem_release");
	map = call_at(2);
	release = call_at(3);
	EXPECT_ARGS(release, map.args[0], GUEST_SIZE);
	expect_same_ram(&ram, &copy);

	/* With guards and a shared memory object: the reservation from its
	 * start, guards included, then the object. */
	o.flags = VMOSAL_GUEST_FD;
	o.guard_size = PAGE;
	fail_slot("mem_map_reserved", VMOSAL_EACCES);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EACCES, "huge_page_sizes",
	     "shm_create", "mem_reserve", "mem_map_reserved", "mem_release", "handle_close");
	reserve = call_at(2);
	map = call_at(3);
	release = call_at(4);
	close = call_at(5);
	EXPECT_ARGS(reserve, GUEST_SIZE + 2 * PAGE, TWO_MIB, PAGE);
	EXPECT_ARGS(release, map.args[0] - PAGE, GUEST_SIZE + 2 * PAGE);
	EXPECT_ARGS(close, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE));
	expect_same_ram(&ram, &copy);

	fake.reset();
	fail_slot("mem_reserve", VMOSAL_ENOMEM);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOMEM, "huge_page_sizes",
	     "shm_create", "mem_reserve", "handle_close");
	fake.reset();
	fail_slot("shm_create", VMOSAL_ENOSPC);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOSPC, "huge_page_sizes",
	     "shm_create");
	fake.reset();
	fail_slot("huge_page_sizes", VMOSAL_EIO);
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EIO, "huge_page_sizes");
	expect_same_ram(&ram, &copy);
}
END_TEST

/* THP asked for by name must be there; by default it is only tried. */
START_TEST(test_guest_ram_alloc_thp_advice)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();

	fail_slot("mem_advise", VMOSAL_EINVAL);
	o.pages = VMOSAL_PAGES_THP;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_EINVAL,
		     "huge_page_sizes", "mem_reserve", "mem_map_reserved", "mem_advise",
		     "mem_release");
	expect_same_ram(&ram, &copy);
	o.pages = VMOSAL_PAGES_DEFAULT;
	ASSERT_CALLS(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0, "huge_page_sizes",
		     "mem_reserve", "mem_map_reserved", "mem_advise");
}
END_TEST

/* What prealloc reported; the callback may run on a worker thread, so the
 * assertions wait for the suite's own thread. */
static uint64_t progress_done, progress_total;
static unsigned progress_calls;
static bool progress_went_back;

static void note_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	progress_went_back |= done < progress_done;
	progress_done = done;
	progress_total = total;
	progress_calls++;
}

START_TEST(test_guest_ram_prealloc)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy = ram;
	struct vmosal_guest_ram_options o = guest_options();
	uint64_t populated = 0;

	o.flags = VMOSAL_GUEST_PREALLOC;
	o.threads = 2;
	o.progress = note_progress;
	progress_done = progress_total = 0;
	progress_calls = 0;
	progress_went_back = false;
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	/* Every page faulted in once, by at most `threads` workers. */
	for (size_t i = 0; i < fake.count() - mark; i++) {
		struct vmosal_fake_call c = call_at(i);

		if (strcmp(c.slot, "mem_populate") != 0)
			continue;
		ck_assert_uint_ge(c.args[0], ADDR(ram.addr));
		ck_assert_uint_le(c.args[0] + c.args[1], ADDR(ram.addr) + GUEST_SIZE);
		populated += c.args[1];
	}
	ck_assert_uint_eq(populated, GUEST_SIZE);
	ck_assert_uint_ge(count_calls("thread_create"), 1);
	ck_assert_uint_le(count_calls("thread_create"), 2);
	ck_assert_uint_eq(count_calls("thread_join"), count_calls("thread_create"));
	ck_assert_uint_ge(progress_calls, 1);
	ck_assert(!progress_went_back);
	ck_assert_uint_eq(progress_done, GUEST_SIZE);
	ck_assert_uint_eq(progress_total, GUEST_SIZE);

	/* Out of memory while faulting in: an error, never a signal, and
	 * every worker joined before the reservation goes. */
	ram = copy;
	fail_slot("mem_populate", VMOSAL_ENOMEM);
	begin_calls();
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), VMOSAL_ENOMEM);
	ck_assert_uint_ge(count_calls("mem_populate"), 1);
	ck_assert_uint_eq(count_calls("thread_join"), count_calls("thread_create"));
	ck_assert_str_eq(call_at(fake.count() - mark - 1).slot, "mem_release");
	expect_same_ram(&ram, &copy);
}
END_TEST

START_TEST(test_guest_ram_free)
{
	struct vmosal_guest_ram ram = untouched_ram(), copy;
	struct vmosal_guest_ram small = {.struct_size = sizeof small - 1};
	struct vmosal_guest_ram cleared = VMOSAL_STRUCT_INIT(struct vmosal_guest_ram);
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	ASSERT_NO_CALL(vmosal_guest_ram_destroy(NULL), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&small), VMOSAL_EINVAL);
	/* Half cleared is neither allocated nor freed. */
	cleared.addr = SOME_ADDRESS;
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&cleared), VMOSAL_EINVAL);
	cleared.addr = NULL;
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&cleared), 0);
	ck_assert(cleared.handle == VMOSAL_NO_HANDLE);
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&cleared), 0);

	o.guard_size = PAGE;
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	copy = ram;
	fail_slot("mem_release", VMOSAL_EBUSY);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), VMOSAL_EBUSY, "mem_release");
	expect_same_ram(&ram, &copy);

	fail_slot("mem_release", 0);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), 0, "mem_release");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(copy.map_base), GUEST_SIZE + 2 * PAGE);
	ck_assert_uint_eq(ram.struct_size, sizeof ram);
	ck_assert_ptr_null(ram.addr);
	ck_assert_uint_eq(ram.size, 0);
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
	ck_assert_ptr_null(ram.map_base);
	ck_assert_uint_eq(ram.map_size, 0);
	/* Freed twice: accepted, nothing asked. */
	ASSERT_NO_CALL(vmosal_guest_ram_destroy(&ram), 0);

	o.flags = VMOSAL_GUEST_FD;
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &ram), 0);
	ASSERT_CALLS(vmosal_guest_ram_destroy(&ram), 0, "mem_release", "handle_close");
	c = call_at(1);
	EXPECT_ARGS(c, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE));
	ck_assert(ram.handle == VMOSAL_NO_HANDLE);
}
END_TEST

START_TEST(test_guest_ram_discard)
{
	struct vmosal_guest_ram ram = untouched_ram(), small, fd_ram = untouched_ram();
	struct vmosal_guest_ram_options o = guest_options();
	struct vmosal_fake_call c;

	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, NULL, &ram), 0);
	small = ram;
	small.struct_size = sizeof small - 1;
	ASSERT_NO_CALL(vmosal_guest_ram_discard(NULL, 0, PAGE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&small, 0, PAGE), VMOSAL_EINVAL);
	small = ram;
	small.addr = NULL;
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&small, 0, PAGE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, 0, 0), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, GUEST_SIZE + PAGE, PAGE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, GUEST_SIZE - PAGE, 2 * PAGE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, PAGE, SIZE_MAX - PAGE + 1), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, 1, PAGE), VMOSAL_EINVAL);
	ASSERT_NO_CALL(vmosal_guest_ram_discard(&ram, 0, PAGE + 1), VMOSAL_EINVAL);

	ASSERT_CALLS(vmosal_guest_ram_discard(&ram, 2 * PAGE, 3 * PAGE), 0, "mem_discard");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(ram.addr) + 2 * PAGE, 3 * PAGE, NO_HANDLE_ARG, 2 * PAGE);
	ASSERT_CALLS(vmosal_guest_ram_discard(&ram, GUEST_SIZE - PAGE, PAGE), 0, "mem_discard");

	/* RAM with a handle: the object and the offset in it. */
	o.flags = VMOSAL_GUEST_FD;
	ck_assert_int_eq(vmosal_guest_ram_create(GUEST_SIZE, &o, &fd_ram), 0);
	ASSERT_CALLS(vmosal_guest_ram_discard(&fd_ram, PAGE, PAGE), 0, "mem_discard");
	c = call_at(0);
	EXPECT_ARGS(c, ADDR(fd_ram.addr) + PAGE, PAGE, HANDLE_ARG(VMOSAL_FAKE_SHM_HANDLE), PAGE);

	fail_slot("mem_discard", VMOSAL_ENOTSUP);
	ASSERT_CALLS(vmosal_guest_ram_discard(&ram, 0, PAGE), VMOSAL_ENOTSUP, "mem_discard");
}
END_TEST

/* ==== memory.h, the reservation contract: on a real backend ================== */

/* A granule every OS maps at: the page size, or Windows' 64 KiB. */
static size_t granule;

static void find_granule(void)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);

	ck_assert_int_eq(vmosal_host_caps(&caps), 0);
	granule = vmosal_page_size();
	if (caps.map_granularity > granule)
		granule = (size_t)caps.map_granularity;
}

static char *reserve(size_t granules)
{
	void *p = NULL;

	ck_assert_int_eq(vmosal_mem_reserve(granules * granule, 0, &p), 0);
	return p;
}

static int map_into(char *addr, size_t granules)
{
	return vmosal_mem_map_reserved(addr, granules * granule, RW, ANON_PRIVATE,
				       VMOSAL_NO_HANDLE, 0);
}

/* Mapping where no reservation is fails, and leaves what is there. */
START_TEST(test_map_reserved_outside_a_reservation)
{
	char *plain = NULL, *r;

	ck_assert_int_eq(vmosal_mmap(NULL, 2 * granule, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0,
				     (void **)&plain),
			 0);
	plain[0] = 42;
	ck_assert_int_eq(map_into(plain, 1), VMOSAL_EINVAL);
	ck_assert_int_eq(plain[0], 42);
	ck_assert_int_eq(vmosal_munmap(plain, 2 * granule), 0);

	/* Across a reservation's end, or past it. */
	r = reserve(4);
	ck_assert_int_eq(map_into(r + 3 * granule, 2), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r - granule, 2), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r + 4 * granule, 1), VMOSAL_EINVAL);
	/* Still whole: all of it can be mapped. */
	ck_assert_int_eq(map_into(r, 4), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), 0);
	/* Released: no reservation there any more. */
	ck_assert_int_eq(map_into(r, 1), VMOSAL_EINVAL);
}
END_TEST

/* Mapping over a piece already mapped is VMOSAL_EEXIST and keeps its data;
 * next to it is fine. */
START_TEST(test_map_reserved_over_a_mapped_piece)
{
	char *r = reserve(8);

	ck_assert_int_eq(map_into(r + 2 * granule, 2), 0);
	r[2 * granule] = 42;
	r[4 * granule - 1] = 43;
	ck_assert_int_eq(map_into(r + 2 * granule, 2), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + 2 * granule, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + 3 * granule, 1), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + granule, 2), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r, 8), VMOSAL_EEXIST);
	ck_assert_int_eq(r[2 * granule], 42);
	ck_assert_int_eq(r[4 * granule - 1], 43);
	ck_assert_int_eq(map_into(r + 4 * granule, 1), 0);
	ck_assert_int_eq(map_into(r + granule, 1), 0);
	ck_assert_int_eq(r[2 * granule], 42);
	ck_assert_int_eq(vmosal_mem_release(r, 8 * granule), 0);
}
END_TEST

/* A reservation is released once, whole, with what is mapped in it. */
START_TEST(test_release_once_and_whole)
{
	char *r = reserve(4);

	ck_assert_int_eq(vmosal_mem_release(r, 2 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_mem_release(r + granule, 3 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r, 1), 0);
	ck_assert_int_eq(map_into(r + 2 * granule, 2), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r, 1), VMOSAL_EINVAL);
}
END_TEST

/* Unmapping inside a reservation takes exactly one mapped piece, which is
 * reserved again (mappable again); any other range touching it is
 * VMOSAL_EINVAL. */
START_TEST(test_unmap_a_reserved_piece)
{
	char *r = reserve(8);

	ck_assert_int_eq(map_into(r, 2), 0);
	ck_assert_int_eq(map_into(r + 2 * granule, 2), 0);
	r[0] = 42;
	ck_assert_int_eq(vmosal_munmap(r, granule), VMOSAL_EINVAL);          /* part of one */
	ck_assert_int_eq(vmosal_munmap(r, 4 * granule), VMOSAL_EINVAL);      /* two */
	ck_assert_int_eq(vmosal_munmap(r + 4 * granule, granule), VMOSAL_EINVAL); /* reserved */
	ck_assert_int_eq(vmosal_munmap(r, 8 * granule), VMOSAL_EINVAL);      /* all of it */
	ck_assert_int_eq(vmosal_munmap(r - granule, 3 * granule), VMOSAL_EINVAL); /* its edge */
	ck_assert_int_eq(r[0], 42);
	ck_assert_int_eq(vmosal_munmap(r + 2 * granule, 2 * granule), 0);
	ck_assert_int_eq(vmosal_munmap(r + 2 * granule, 2 * granule), VMOSAL_EINVAL);
	ck_assert_int_eq(map_into(r + granule, 2), VMOSAL_EEXIST);
	ck_assert_int_eq(map_into(r + 2 * granule, 6), 0);
	r[2 * granule] = 1;
	ck_assert_int_eq(r[0], 42);
	ck_assert_int_eq(vmosal_mem_release(r, 8 * granule), 0);
}
END_TEST

/* FIXED over a reservation would replace it behind the record: refused
 * (Windows has no FIXED at all). */
START_TEST(test_fixed_over_a_reservation)
{
	char *r = reserve(4);
	void *out = NULL;
	int rc;

	ck_assert_int_eq(map_into(r, 1), 0);
	r[0] = 42;
	rc = vmosal_mmap(r, granule, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED, VMOSAL_NO_HANDLE, 0,
			 &out);
	ck_assert_msg(rc == VMOSAL_EINVAL || rc == VMOSAL_ENOTSUP, "FIXED over a piece: %s",
		      vmosal_err_name(rc));
	rc = vmosal_mmap(r + 2 * granule, granule, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
			 VMOSAL_NO_HANDLE, 0, &out);
	ck_assert_msg(rc == VMOSAL_EINVAL || rc == VMOSAL_ENOTSUP, "FIXED over reserved: %s",
		      vmosal_err_name(rc));
	ck_assert_int_eq(r[0], 42);
	ck_assert_int_eq(map_into(r + 2 * granule, 1), 0);
	ck_assert_int_eq(vmosal_mem_release(r, 4 * granule), 0);
}
END_TEST

/* Two threads map the same piece at once, with no step between them: one
 * wins, the other is told EEXIST, never both OK. Bounded by rounds. */
struct map_race {
	char *addr;
	_Atomic int go;
	int rc;
};

static void *race_map(void *arg)
{
	struct map_race *m = arg;

	while (atomic_load(&m->go) == 0)
		;
	m->rc = map_into(m->addr, 1);
	return NULL;
}

START_TEST(test_map_reserved_race)
{
	for (int round = 0; round < 200; round++) {
		char *r = reserve(2);
		struct map_race m = {.addr = r + granule};
		vmosal_thread_t *t;
		int mine;

		atomic_init(&m.go, 0);
		ck_assert_int_eq(vmosal_thread_create(NULL, race_map, &m, &t), 0);
		atomic_store(&m.go, 1);
		mine = map_into(r + granule, 1);
		ck_assert_int_eq(vmosal_thread_join(t, NULL), 0);
		ck_assert_msg((mine == 0) != (m.rc == 0), "round %d: %s and %s", round,
			      vmosal_err_name(mine), vmosal_err_name(m.rc));
		ck_assert_int_eq(mine != 0 ? mine : m.rc, VMOSAL_EEXIST);
		ck_assert_int_eq(vmosal_mem_release(r, 2 * granule), 0);
	}
}
END_TEST

void contract_memory(Suite *s)
{
	TCase *tc = tcase_create("memory");

	tcase_add_checked_fixture(tc, fresh_record, NULL);
	tcase_add_test(tc, test_mmap_arguments);
	tcase_add_test(tc, test_mmap_dispatch);
	tcase_add_test(tc, test_range_rules);
	tcase_add_test(tc, test_range_dispatch);
	tcase_add_test(tc, test_prot_advice_and_sync_values);
	tcase_add_test(tc, test_mem_reserve);
	tcase_add_test(tc, test_mem_map_reserved);
	tcase_add_test(tc, test_huge_page_sizes);
	tcase_add_test(tc, test_huge_page_pool);
	tcase_add_test(tc, test_shm_create_arguments);
	tcase_add_test(tc, test_shm_create_dispatch);
	tcase_add_test(tc, test_jit_create);
	tcase_add_test(tc, test_jit_flush);
	tcase_add_test(tc, test_jit_destroy);
	tcase_add_test(tc, test_jit_write_window);
	tcase_add_test(tc, test_guest_ram_alloc_arguments);
	tcase_add_test(tc, test_guest_ram_alloc_host_checks);
	tcase_add_test(tc, test_guest_ram_alloc_default);
	tcase_add_test(tc, test_guest_ram_alloc_guards_and_alignment);
	tcase_add_test(tc, test_guest_ram_alloc_granule);
	tcase_add_test(tc, test_guest_ram_alloc_flags);
	tcase_add_test(tc, test_guest_ram_alloc_fd);
	tcase_add_test(tc, test_guest_ram_alloc_failures_undo_everything);
	tcase_add_test(tc, test_guest_ram_alloc_thp_advice);
	tcase_add_test(tc, test_guest_ram_prealloc);
	tcase_add_test(tc, test_guest_ram_free);
	tcase_add_test(tc, test_guest_ram_discard);
	suite_add_tcase(s, tc);
}

void contract_memory_on_backend(Suite *s)
{
	TCase *tc = tcase_create("reservations");

	tcase_add_checked_fixture(tc, find_granule, NULL);
	tcase_add_test(tc, test_map_reserved_outside_a_reservation);
	tcase_add_test(tc, test_map_reserved_over_a_mapped_piece);
	tcase_add_test(tc, test_release_once_and_whole);
	tcase_add_test(tc, test_unmap_a_reserved_piece);
	tcase_add_test(tc, test_fixed_over_a_reservation);
	tcase_add_test(tc, test_map_reserved_race);
	suite_add_tcase(s, tc);
}
