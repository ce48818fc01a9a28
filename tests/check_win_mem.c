/* The Windows backend's memory slots, called directly (no core): built
 * with backends/windows/win_mem.c and run under Windows or Wine.
 *
 * Reservations have two paths. Tests that care run twice (_i): 0 forces
 * the fallback; 1 uses placeholders, the OS's where it has them, else a
 * stand-in below that keeps their documented rules on top of classic
 * VirtualAlloc, so the placeholder code runs under Wine too (whose
 * placeholders fail). Each prints "# <test>: <path>" to the log. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "vmosal.h"
#include "win.h"

#define KIB ((size_t)1 << 10)
#define MIB ((size_t)1 << 20)
#define GRAN ((size_t)64 << 10)

#define RW (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE)
#define ANON_PRIVATE (VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_PRIVATE)
#define ANON_SHARED (VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_SHARED)

/* ---- placeholder stand-in ----
 * Each placeholder is a MEM_RESERVE region of its own, so it can be
 * released and re-reserved alone. Only the forms win_mem.c may use are
 * accepted (splits at a placeholder's start, whole matches for replace and
 * coalesce, 64 KiB granules); anything else fails as Windows would. */

#define FAKE_MAX 256

struct fake_range {
	uintptr_t start;
	size_t size;
};

static struct fake_range fake_ph[FAKE_MAX];   /* placeholders */
static struct fake_range fake_repl[FAKE_MAX]; /* what replaced one */
static size_t fake_nph, fake_nrepl;
static unsigned fake_splits, fake_replaces, fake_coalesces;
static bool fake_os; /* the OS has placeholders: no stand-in */
static bool fake_race; /* take the address of the next plain release */
static void *fake_stolen;
static struct win_mem_api fake_real;

static int fake_find(struct fake_range *t, size_t n, uintptr_t a)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].start <= a && a < t[i].start + t[i].size)
			return (int)i;
	return -1;
}

static void fake_add(struct fake_range *t, size_t *n, uintptr_t a, size_t size)
{
	ck_assert_uint_lt(*n, FAKE_MAX);
	t[(*n)++] = (struct fake_range){a, size};
}

static void fake_del(struct fake_range *t, size_t *n, int i)
{
	t[i] = t[--*n];
}

static bool fake_reserve(uintptr_t a, size_t size)
{
	if (VirtualAlloc((void *)a, size, MEM_RESERVE, PAGE_NOACCESS) == NULL)
		return false;
	fake_add(fake_ph, &fake_nph, a, size);
	return true;
}

static PVOID WINAPI fake_va2(HANDLE proc, PVOID addr, SIZE_T size, ULONG type, ULONG prot,
			     MEM_EXTENDED_PARAMETER *ep, ULONG n)
{
	uintptr_t a = (uintptr_t)addr;
	void *p;
	int i;

	if (type & 0x00040000) { /* MEM_RESERVE_PLACEHOLDER */
		if (type != (MEM_RESERVE | 0x00040000) || prot != PAGE_NOACCESS)
			goto invalid;
		p = fake_real.virtual_alloc2(proc, addr, size, MEM_RESERVE, prot, ep, n);
		if (p != NULL)
			fake_add(fake_ph, &fake_nph, (uintptr_t)p, size);
		return p;
	}
	if (!(type & 0x00004000)) /* not MEM_REPLACE_PLACEHOLDER */
		return fake_real.virtual_alloc2(proc, addr, size, type, prot, ep, n);
	i = fake_find(fake_ph, fake_nph, a);
	if (i < 0 || fake_ph[i].start != a || fake_ph[i].size != size)
		goto invalid;
	VirtualFree(addr, 0, MEM_RELEASE);
	fake_del(fake_ph, &fake_nph, i);
	p = VirtualAlloc(addr, size, type & ~(ULONG)0x00004000, prot);
	if (p == NULL) {
		DWORD err = GetLastError();
		fake_reserve(a, size);
		SetLastError(err);
		return NULL;
	}
	fake_add(fake_repl, &fake_nrepl, a, size);
	fake_replaces++;
	return p;
invalid:
	SetLastError(ERROR_INVALID_PARAMETER);
	return NULL;
}

static PVOID WINAPI fake_map3(HANDLE section, HANDLE proc, PVOID addr, ULONG64 off, SIZE_T size,
			      ULONG type, ULONG prot, MEM_EXTENDED_PARAMETER *ep, ULONG n)
{
	uintptr_t a = (uintptr_t)addr;
	DWORD access;
	void *p;
	int i;

	(void)proc;
	(void)ep;
	(void)n;
	i = fake_find(fake_ph, fake_nph, a);
	if (!(type & 0x00004000) || i < 0 || fake_ph[i].start != a || fake_ph[i].size != size) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return NULL;
	}
	switch (prot) {
	case PAGE_EXECUTE_READWRITE:
		access = FILE_MAP_WRITE | FILE_MAP_EXECUTE;
		break;
	case PAGE_READWRITE:
		access = FILE_MAP_WRITE;
		break;
	case PAGE_EXECUTE_READ:
		access = FILE_MAP_READ | FILE_MAP_EXECUTE;
		break;
	case PAGE_EXECUTE_WRITECOPY:
		access = FILE_MAP_COPY | FILE_MAP_EXECUTE;
		break;
	case PAGE_WRITECOPY:
		access = FILE_MAP_COPY;
		break;
	default:
		access = FILE_MAP_READ;
	}
	VirtualFree(addr, 0, MEM_RELEASE);
	fake_del(fake_ph, &fake_nph, i);
	p = MapViewOfFileEx(section, access, (DWORD)(off >> 32), (DWORD)off, size, addr);
	if (p == NULL) {
		DWORD err = GetLastError();
		fake_reserve(a, size);
		SetLastError(err);
		return NULL;
	}
	fake_add(fake_repl, &fake_nrepl, a, size);
	fake_replaces++;
	return p;
}

static BOOL WINAPI fake_unmap2(HANDLE proc, PVOID addr, ULONG flags)
{
	int i = fake_find(fake_repl, fake_nrepl, (uintptr_t)addr);
	struct fake_range r;

	(void)proc;
	if (i < 0 || fake_repl[i].start != (uintptr_t)addr) {
		SetLastError(ERROR_INVALID_PARAMETER);
		return FALSE;
	}
	r = fake_repl[i];
	if (!UnmapViewOfFile(addr))
		return FALSE;
	fake_del(fake_repl, &fake_nrepl, i);
	return (flags & 2) ? fake_reserve(r.start, r.size) : TRUE;
}

static BOOL WINAPI fake_free(LPVOID addr, SIZE_T size, DWORD type)
{
	uintptr_t a = (uintptr_t)addr;
	int i = fake_find(fake_ph, fake_nph, a), k = fake_find(fake_repl, fake_nrepl, a);
	struct fake_range p;

	if (type == (MEM_RELEASE | 2)) { /* MEM_PRESERVE_PLACEHOLDER */
		if (a % GRAN != 0 || size % GRAN != 0 || size == 0)
			goto invalid;
		if (k >= 0 && fake_repl[k].start == a && fake_repl[k].size == size) {
			VirtualFree(addr, 0, MEM_RELEASE);
			fake_del(fake_repl, &fake_nrepl, k);
			return fake_reserve(a, size);
		}
		if (i < 0 || fake_ph[i].start != a || size >= fake_ph[i].size)
			goto invalid;
		p = fake_ph[i];
		VirtualFree(addr, 0, MEM_RELEASE);
		fake_del(fake_ph, &fake_nph, i);
		ck_assert(fake_reserve(a, size) && fake_reserve(a + size, p.size - size));
		fake_splits++;
		return TRUE;
	}
	if (type == (MEM_RELEASE | 1)) { /* MEM_COALESCE_PLACEHOLDERS */
		size_t covered = 0, parts = 0;
		int j;

		while (covered < size && (j = fake_find(fake_ph, fake_nph, a + covered)) >= 0 &&
		       fake_ph[j].start == a + covered) {
			covered += fake_ph[j].size;
			parts++;
		}
		if (covered != size || parts < 2)
			goto invalid;
		for (covered = 0; covered < size;) {
			j = fake_find(fake_ph, fake_nph, a + covered);
			covered += fake_ph[j].size;
			VirtualFree((void *)fake_ph[j].start, 0, MEM_RELEASE);
			fake_del(fake_ph, &fake_nph, j);
		}
		ck_assert(fake_reserve(a, size));
		fake_coalesces++;
		return TRUE;
	}
	if (type == MEM_RELEASE && size == 0) {
		if (i >= 0 && fake_ph[i].start == a) {
			fake_del(fake_ph, &fake_nph, i);
		} else if (k >= 0 && fake_repl[k].start == a) {
			fake_del(fake_repl, &fake_nrepl, k);
		} else if (fake_race) {
			/* Another allocator takes the range at once. */
			BOOL ok = VirtualFree(addr, 0, MEM_RELEASE);
			fake_race = false;
			fake_stolen = VirtualAlloc(addr, GRAN, MEM_RESERVE, PAGE_NOACCESS);
			return ok;
		}
	}
	return VirtualFree(addr, size, type);
invalid:
	SetLastError(ERROR_INVALID_PARAMETER);
	return FALSE;
}

static void fake_install(void)
{
	static const struct win_mem_api fake = {.virtual_alloc2 = fake_va2,
						.map_view3 = fake_map3,
						.unmap_view2 = fake_unmap2,
						.virtual_free = fake_free};

	win_mem_test_api(&fake);
}

/* Sets the path of iteration i (0: fallback, 1: placeholders) and says
 * which one runs. */
static void use_path(int i)
{
	win_mem_test_api(NULL);
	win_mem_force_fallback(false);
	fake_os = win_mem_placeholders();
	if (i == 0)
		win_mem_force_fallback(true);
	else if (!fake_os)
		fake_install();
	fake_splits = fake_replaces = fake_coalesces = 0;
	ck_assert(win_mem_placeholders() == (i == 1));
	printf("# %s: %s\n", tcase_name(),
	       i == 0 ? "fallback" : fake_os ? "placeholders (the OS's)"
					     : "placeholders (stand-in: the OS has none)");
	fflush(stdout);
}

static void setup(void)
{
	win_mem_init(NULL);
}

/* No test may leave a region in the record, nor a placeholder behind. */
static void teardown(void)
{
	ck_assert_uint_eq(win_mem_regions(), 0);
	ck_assert_uint_eq(fake_nph, 0);
	ck_assert_uint_eq(fake_nrepl, 0);
	win_mem_test_api(NULL);
	win_mem_force_fallback(false);
}

static DWORD state_of(const void *a, DWORD *protect, size_t *region)
{
	MEMORY_BASIC_INFORMATION mbi;

	ck_assert_uint_ne(VirtualQuery(a, &mbi, sizeof mbi), 0);
	if (protect != NULL)
		*protect = mbi.Protect;
	if (region != NULL)
		*region = mbi.RegionSize;
	return mbi.State;
}

static HANDLE shm(size_t size)
{
	vmosal_handle_t h;

	ck_assert_int_eq(win_shm_create("test", size, 0, 0, &h), 0);
	return h;
}

/* ---- tests ---- */

START_TEST(init_caps)
{
	struct vmosal_backend_caps caps = {.struct_size = sizeof caps};

	ck_assert_int_eq(win_mem_init(&caps), 0);
	ck_assert_uint_eq(caps.map_granularity, GRAN);
	printf("# init: this OS %s placeholders\n", win_mem_placeholders() ? "has" : "lacks");
}
END_TEST

START_TEST(reserve_alignment)
{
	static const size_t aligns[] = {GRAN, 1 * MIB, 2 * MIB, 16 * MIB, 256 * MIB};
	static const size_t offs[] = {0, GRAN, 4 * GRAN};

	use_path(_i);
	for (size_t k = 0; k < sizeof aligns / sizeof aligns[0]; k++)
		for (size_t m = 0; m < sizeof offs / sizeof offs[0]; m++) {
			size_t size = 8 * MIB, region;
			void *p = NULL;
			uintptr_t a;

			ck_assert_int_eq(win_mem_reserve(size, aligns[k], offs[m], &p), 0);
			a = (uintptr_t)p;
			ck_assert_uint_eq((a + offs[m]) % aligns[k], 0);
			ck_assert_uint_eq(state_of(p, NULL, &region), MEM_RESERVE);
			/* No slack stays behind on either side. */
			ck_assert_uint_eq(region, size);
			if (_i == 1 && !fake_os)
				ck_assert_uint_eq(fake_nph, 1);
			ck_assert_int_eq(win_mem_release(p, size), 0);
			ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_FREE);
		}
}
END_TEST

START_TEST(reserve_rules)
{
	void *p;

	use_path(_i);
	ck_assert_int_eq(win_mem_reserve(GRAN + 4 * KIB, 0, 0, &p), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_reserve(MIB, MIB, 4 * KIB, &p), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_reserve(MIB, MIB, MIB, &p), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_reserve(MIB, 3 * MIB, 0, &p), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, &p), 0);
	/* Only the whole reservation, exactly. */
	ck_assert_int_eq(win_mem_release(p, MIB / 2), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_release((char *)p + GRAN, MIB - GRAN), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(p, MIB), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_release(p, MIB), 0);
	ck_assert_int_eq(win_mem_release(p, MIB), VMOSAL_EINVAL);
}
END_TEST

START_TEST(map_reserved_anonymous)
{
	size_t size = 4 * MIB;
	char *p, *mid;
	DWORD prot;

	use_path(_i);
	ck_assert_int_eq(win_mem_reserve(size, 2 * MIB, 0, (void **)&p), 0);
	mid = p + MIB;
	ck_assert_int_eq(win_mem_map_reserved(mid, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert_uint_eq(state_of(mid, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READWRITE);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_RESERVE);
	ck_assert_uint_eq(state_of(mid + MIB, NULL, NULL), MEM_RESERVE);
	mid[0] = 1;
	mid[MIB - 1] = 2;
	/* Mapped already, and outside any reservation. */
	ck_assert_int_eq(win_mem_map_reserved(mid, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 VMOSAL_EEXIST);
	ck_assert_int_eq(win_mem_map_reserved(p, 2 * MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 VMOSAL_EEXIST);
	ck_assert_int_eq(win_mem_map_reserved(p + size, GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE,
					      0),
			 VMOSAL_EINVAL);
	/* A second piece next to the first. */
	ck_assert_int_eq(win_mem_map_reserved(p, MIB, VMOSAL_PROT_READ, ANON_PRIVATE,
					      VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_uint_eq(state_of(p, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READONLY);
	/* Unmapping a piece leaves it reserved, and it can be mapped again. */
	ck_assert_int_eq(win_mem_unmap(mid, MIB / 2), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(mid, MIB), 0);
	ck_assert_uint_eq(state_of(mid, NULL, NULL), MEM_RESERVE);
	ck_assert_int_eq(win_mem_map_reserved(mid, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert_int_eq(mid[0], 0);
	ck_assert_int_eq(win_mem_unmap(mid, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(p, MIB), 0);
	/* Pieces merged back: the whole reservation maps as one. */
	ck_assert_int_eq(win_mem_map_reserved(p, size, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0), 0);
	p[size - 1] = 3;
	ck_assert_int_eq(win_mem_release(p, size), 0);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_FREE);
	if (_i == 1 && !fake_os) {
		ck_assert_uint_gt(fake_splits, 0);
		ck_assert_uint_gt(fake_replaces, 0);
		ck_assert_uint_gt(fake_coalesces, 0);
	}
}
END_TEST

START_TEST(map_reserved_section)
{
	size_t size = 2 * MIB;
	HANDLE h = shm(size);
	char *p, *q;
	int rc;

	use_path(_i);
	ck_assert_int_eq(win_mem_map(NULL, size, RW, VMOSAL_MAP_SHARED, h, 0, (void **)&q), 0);
	ck_assert_int_eq(win_mem_reserve(2 * size, 0, 0, (void **)&p), 0);
	/* A part of a reservation: placeholders only. */
	rc = win_mem_map_reserved(p + size, size, RW, VMOSAL_MAP_SHARED, h, 0);
	ck_assert_int_eq(rc, _i == 0 ? VMOSAL_ENOTSUP : 0);
	if (rc == 0) {
		q[5] = 42;
		ck_assert_int_eq(p[size + 5], 42);
		ck_assert_int_eq(win_mem_unmap(p + size, size), 0);
		ck_assert_uint_eq(state_of(p + size, NULL, NULL), MEM_RESERVE);
	}
	/* A view past the object's end is refused, and the range stays
	 * reserved. */
	ck_assert_int_eq(win_mem_map_reserved(p, 2 * size, RW, VMOSAL_MAP_SHARED, h, 0),
			 VMOSAL_EINVAL);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_RESERVE);
	ck_assert_int_eq(win_mem_release(p, 2 * size), 0);

	/* The whole of a reservation works on both paths. */
	ck_assert_int_eq(win_mem_reserve(size, 2 * MIB, 0, (void **)&p), 0);
	ck_assert_int_eq(win_mem_map_reserved(p, size, RW, VMOSAL_MAP_SHARED, h, 0), 0);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_COMMIT);
	p[7] = 7;
	ck_assert_int_eq(q[7], 7);
	ck_assert_int_eq(win_mem_unmap(p, size), 0);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_RESERVE);
	ck_assert_int_eq(win_mem_map_reserved(p, size, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, h, 0),
			 0);
	ck_assert_int_eq(p[7], 7);
	ck_assert_int_eq(win_mem_release(p, size), 0);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_FREE);
	/* Anonymous shared memory is a section of its own. */
	ck_assert_int_eq(win_mem_reserve(size, 0, 0, (void **)&p), 0);
	ck_assert_int_eq(win_mem_map_reserved(p, size, RW, ANON_SHARED, VMOSAL_NO_HANDLE, 0), 0);
	p[0] = 1;
	ck_assert_int_eq(win_mem_release(p, size), 0);
	ck_assert_int_eq(win_mem_unmap(q, size), 0);
	ck_assert_int_eq(win_handle_close(h), 0);
}
END_TEST

START_TEST(fallback_race)
{
	size_t size = 2 * MIB;
	HANDLE h = shm(size);
	char *p;

	/* The stand-in's release plays another thread that allocates at
	 * the address the fallback just gave up. */
	use_path(0);
	fake_install();
	win_mem_force_fallback(true);
	ck_assert_int_eq(win_mem_reserve(size, 0, 0, (void **)&p), 0);
	fake_race = true;
	ck_assert_int_eq(win_mem_map_reserved(p, size, RW, VMOSAL_MAP_SHARED, h, 0), VMOSAL_EBUSY);
	ck_assert_ptr_eq(fake_stolen, p);
	/* Lost: nothing works on it but release, which only forgets it. */
	ck_assert_int_eq(win_mem_map_reserved(p, size, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 VMOSAL_EBUSY);
	ck_assert_int_eq(win_mem_release(p, size), 0);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_RESERVE);
	ck_assert(VirtualFree(fake_stolen, 0, MEM_RELEASE));
	fake_stolen = NULL;
	ck_assert_int_eq(win_handle_close(h), 0);
}
END_TEST

START_TEST(placeholder_granules)
{
	char *p;

	use_path(1);
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, (void **)&p), 0);
	/* Pieces of a placeholder end on a 64 KiB boundary. */
	ck_assert_int_eq(win_mem_map_reserved(p, 4 * KIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_map_reserved(p, GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert_int_eq(win_mem_map_reserved(p + MIB - GRAN, GRAN, RW, ANON_PRIVATE,
					      VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_int_eq(win_mem_release(p, MIB), 0);
	/* The fallback commits pages, so any page range works there. */
	use_path(0);
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, (void **)&p), 0);
	ck_assert_int_eq(win_mem_map_reserved(p + 4 * KIB, 4 * KIB, RW, ANON_PRIVATE,
					      VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_uint_eq(state_of(p, NULL, NULL), MEM_RESERVE);
	ck_assert_int_eq(win_mem_release(p, MIB), 0);
}
END_TEST

START_TEST(protect_record)
{
	char *p, *r;
	DWORD prot;
	void *foreign = VirtualAlloc(NULL, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);

	use_path(_i);
	ck_assert_int_eq(win_mem_map(NULL, 4 * GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0,
				     (void **)&p),
			 0);
	ck_assert_int_eq(win_mem_protect(p + GRAN, GRAN, VMOSAL_PROT_READ), 0);
	ck_assert_uint_eq(state_of(p + GRAN, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READONLY);
	ck_assert_int_eq(win_mem_protect(p, GRAN, VMOSAL_PROT_READ | VMOSAL_PROT_EXEC), 0);
	ck_assert_uint_eq(state_of(p, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_EXECUTE_READ);
	/* Not ours: the OS would do it, the record says no. */
	ck_assert_int_eq(win_mem_protect(foreign, GRAN, VMOSAL_PROT_READ), VMOSAL_EINVAL);
	ck_assert_uint_eq(state_of(foreign, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READWRITE);
	/* Past the end of our mapping. */
	ck_assert_int_eq(win_mem_protect(p + 3 * GRAN, 2 * GRAN, VMOSAL_PROT_READ), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_protect(p, GRAN, 8), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_unmap(p, 4 * GRAN), 0);
	ck_assert_int_eq(win_mem_protect(p, GRAN, VMOSAL_PROT_READ), VMOSAL_EINVAL);

	/* In a reservation: mapped pieces change, reserved pages are
	 * ENOMEM (as unmapped pages are on POSIX). */
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, (void **)&r), 0);
	ck_assert_int_eq(win_mem_map_reserved(r, 2 * GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_int_eq(win_mem_map_reserved(r + 2 * GRAN, 2 * GRAN, RW, ANON_PRIVATE,
					      VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_int_eq(win_mem_protect(r + GRAN, 2 * GRAN, VMOSAL_PROT_READ), 0);
	ck_assert_uint_eq(state_of(r + 2 * GRAN, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READONLY);
	ck_assert_uint_eq(state_of(r, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READWRITE);
	ck_assert_int_eq(win_mem_protect(r, 8 * GRAN, VMOSAL_PROT_READ), VMOSAL_ENOMEM);
	ck_assert_uint_eq(state_of(r, &prot, NULL), MEM_COMMIT);
	ck_assert_uint_eq(prot, PAGE_READWRITE);
	ck_assert_int_eq(win_mem_release(r, MIB), 0);
	VirtualFree(foreign, 0, MEM_RELEASE);
}
END_TEST

START_TEST(partial_unmap)
{
	HANDLE h = shm(4 * GRAN);
	char *v, *a;

	ck_assert_int_eq(win_mem_map(NULL, 4 * GRAN, RW, VMOSAL_MAP_SHARED, h, 0, (void **)&v), 0);
	ck_assert_int_eq(win_mem_map(NULL, 4 * GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0,
				     (void **)&a),
			 0);
	v[0] = 1;
	/* Windows would unmap the whole view given its middle: refused. */
	ck_assert_int_eq(win_mem_unmap(v + GRAN, GRAN), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(v, 2 * GRAN), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(a + 3 * GRAN, GRAN), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(v, 8 * GRAN), VMOSAL_EINVAL);
	ck_assert_uint_eq(state_of(v + GRAN, NULL, NULL), MEM_COMMIT);
	ck_assert_int_eq(v[0], 1);
	/* The size rounds up to whole pages, as on POSIX. */
	ck_assert_int_eq(win_mem_unmap(v, 4 * GRAN - 100), 0);
	ck_assert_uint_eq(state_of(v, NULL, NULL), MEM_FREE);
	ck_assert_int_eq(win_mem_unmap(v, 4 * GRAN), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(a, 4 * GRAN), 0);
	ck_assert_int_eq(win_handle_close(h), 0);
}
END_TEST

START_TEST(map_flags)
{
	void *p, *q;
	char *hint;

	/* Unknown bits, FIXED and NORESERVE: refused, nothing mapped. */
	ck_assert_int_eq(win_mem_map(NULL, GRAN, 8, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &p),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, ANON_PRIVATE | 0x100u, VMOSAL_NO_HANDLE, 0,
				     &p),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, ANON_PRIVATE | VMOSAL_MAP_NORESERVE,
				     VMOSAL_NO_HANDLE, 0, &p),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, (void **)&hint), 0);
	ck_assert_int_eq(win_mem_map(hint, GRAN, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED,
				     VMOSAL_NO_HANDLE, 0, &p),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_map_reserved(hint, GRAN, RW, ANON_PRIVATE | 0x100u,
					      VMOSAL_NO_HANDLE, 0),
			 VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_map_reserved(hint, GRAN, 16, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 VMOSAL_ENOTSUP);
	/* FIXED_NOREPLACE: EEXIST over our reservation, exact when free. */
	ck_assert_int_eq(win_mem_map(hint, GRAN, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE,
				     VMOSAL_NO_HANDLE, 0, &p),
			 VMOSAL_EEXIST);
	ck_assert_int_eq(win_mem_release(hint, MIB), 0);
	ck_assert_int_eq(win_mem_map(hint, GRAN, RW, ANON_PRIVATE | VMOSAL_MAP_FIXED_NOREPLACE,
				     VMOSAL_NO_HANDLE, 0, &p),
			 0);
	ck_assert_ptr_eq(p, hint);
	/* A plain hint over a taken range goes elsewhere. */
	ck_assert_int_eq(win_mem_map(hint, GRAN, RW, ANON_PRIVATE | VMOSAL_MAP_POPULATE,
				     VMOSAL_NO_HANDLE, 0, &q),
			 0);
	ck_assert_ptr_ne(q, hint);
	ck_assert_int_eq(win_mem_unmap(q, GRAN), 0);
	ck_assert_int_eq(win_mem_unmap(p, GRAN), 0);
	/* A handle that is no section or file. */
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, VMOSAL_MAP_SHARED, (HANDLE)(intptr_t)0x1234, 0,
				     &p),
			 VMOSAL_EBADF);
}
END_TEST

START_TEST(shm_shared)
{
	HANDLE h = shm(MIB), ro;
	char *a, *b, *c, *d;
	vmosal_handle_t hh;

	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, VMOSAL_MAP_SHARED, h, 0, (void **)&a), 0);
	ck_assert_int_eq(win_mem_map(NULL, MIB - GRAN, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, h,
				     (int64_t)GRAN, (void **)&b),
			 0);
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, VMOSAL_MAP_PRIVATE, h, 0, (void **)&c), 0);
	ck_assert_ptr_ne(a, b);
	strcpy(a + GRAN, "shared");
	ck_assert_str_eq(b, "shared");
	ck_assert_str_eq(c + GRAN, "shared");
	/* PRIVATE is copy-on-write: the others do not see it. */
	c[GRAN] = 'S';
	ck_assert_int_eq(a[GRAN], 's');
	/* A read-only view can be made writable: the object allows it. */
	ck_assert_int_eq(win_mem_protect(b, GRAN, RW), 0);
	b[1] = 'H';
	ck_assert_int_eq(a[GRAN + 1], 'H');
	/* A handle that only reads: writing views are EACCES. */
	ck_assert(DuplicateHandle(GetCurrentProcess(), h, GetCurrentProcess(), &ro, FILE_MAP_READ,
				  FALSE, 0));
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, VMOSAL_MAP_SHARED, ro, 0, (void **)&d),
			 VMOSAL_EACCES);
	ck_assert_int_eq(win_mem_map(NULL, GRAN, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, ro, 0,
				     (void **)&d),
			 0);
	ck_assert_int_eq(win_mem_protect(d, GRAN, RW), VMOSAL_EACCES);
	/* Not executable: code goes through jit_map. */
	ck_assert_int_eq(win_mem_map(NULL, GRAN, VMOSAL_PROT_READ | VMOSAL_PROT_EXEC,
				     VMOSAL_MAP_SHARED, h, 0, (void **)&d),
			 VMOSAL_EACCES);
	ck_assert_int_eq(win_mem_unmap(d, GRAN), 0);
	ck_assert_int_eq(win_mem_unmap(b, MIB - GRAN), 0);
	ck_assert(CloseHandle(ro));
	ck_assert_int_eq(win_shm_create("x", MIB, 0x80, 0, &hh), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_shm_create("x", MIB, VMOSAL_SHM_SEAL, 0, &hh), 0);
	ck_assert_int_eq(win_handle_close(hh), 0);
	ck_assert_int_eq(win_mem_unmap(a, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(c, MIB), 0);
	ck_assert_int_eq(win_handle_close(h), 0);
}
END_TEST

START_TEST(jit_double_map)
{
	static const unsigned char ret42[] = {0xb8, 0x2a, 0x00, 0x00, 0x00, 0xc3};
	void *rw, *rx;
	DWORD prot;
	int (*fn)(void);

	ck_assert_int_eq(win_jit_map(4 * KIB, &rw, &rx), 0);
	ck_assert_ptr_ne(rw, rx);
	state_of(rw, &prot, NULL);
	ck_assert_uint_eq(prot, PAGE_READWRITE);
	state_of(rx, &prot, NULL);
	ck_assert_uint_eq(prot, PAGE_EXECUTE_READ);
	memcpy(rw, ret42, sizeof ret42);
	ck_assert_int_eq(win_icache_flush(rx, sizeof ret42), 0);
	fn = (int (*)(void))(uintptr_t)rx;
	ck_assert_int_eq(fn(), 42);
	/* rx can never be made writable, nor a view unmapped alone. */
	ck_assert_int_eq(win_mem_protect(rx, 4 * KIB, RW | VMOSAL_PROT_EXEC), VMOSAL_EACCES);
	ck_assert_int_eq(win_mem_unmap(rw, 4 * KIB), VMOSAL_EINVAL);
	ck_assert_int_eq(win_jit_unmap(rw, (char *)rx + 4 * KIB, 4 * KIB), VMOSAL_EINVAL);
	ck_assert_int_eq(win_jit_unmap(rw, rx, 8 * KIB), VMOSAL_EINVAL);
	ck_assert_int_eq(win_jit_unmap(rw, rx, 4 * KIB), 0);
	ck_assert_uint_eq(state_of(rx, NULL, NULL), MEM_FREE);
}
END_TEST

START_TEST(large_pages)
{
	struct vmosal_backend_huge_page_sizes ps = {.struct_size = sizeof ps};
	vmosal_handle_t h;
	void *p;
	char *r;
	int rc;

	use_path(_i);
	ck_assert_int_eq(win_huge_page_sizes(&ps), 0);
	ck_assert_uint_eq(ps.thp_mode, VMOSAL_THP_UNAVAILABLE);
	ck_assert_uint_eq(ps.huge_default, GetLargePageMinimum());
	ck_assert_uint_eq(ps.huge_count, ps.huge_default != 0 ? 1 : 0);
	if (ps.huge_count == 0)
		return;
	ck_assert_uint_eq(ps.huge[0].page_size, ps.huge_default);
	ck_assert_uint_ge(ps.huge[0].total, ps.huge[0].free);
	rc = win_mem_map(NULL, ps.huge_default, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB,
			 VMOSAL_NO_HANDLE, 0, &p);
	printf("# large_pages: map gave %d\n", rc);
	if (rc == 0) {
		ck_assert_int_eq(win_mem_unmap(p, ps.huge_default), 0);
	} else {
		ck_assert(rc == VMOSAL_EPERM || rc == VMOSAL_ENOMEM);
	}
	/* A size that is not the one Windows has. */
	ck_assert_int_eq(win_mem_map(NULL, 1 << 30, RW,
				     ANON_PRIVATE | VMOSAL_MAP_HUGETLB | VMOSAL_MAP_HUGE_1GB,
				     VMOSAL_NO_HANDLE, 0, &p),
			 VMOSAL_ENOTSUP);
	rc = win_shm_create("large", ps.huge_default, VMOSAL_SHM_HUGETLB, 0, &h);
	ck_assert(rc == 0 || rc == VMOSAL_EPERM || rc == VMOSAL_ENOMEM);
	if (rc == 0)
		ck_assert_int_eq(win_handle_close(h), 0);
	ck_assert_int_eq(win_shm_create("large", ps.huge_default, VMOSAL_SHM_HUGETLB, 30, &h),
			 VMOSAL_ENOTSUP);
	/* Into a reservation: refused the same way, still reserved. */
	ck_assert_int_eq(win_mem_reserve(ps.huge_default, ps.huge_default, 0, (void **)&r), 0);
	rc = win_mem_map_reserved(r, ps.huge_default, RW, ANON_PRIVATE | VMOSAL_MAP_HUGETLB,
				  VMOSAL_NO_HANDLE, 0);
	ck_assert(rc == 0 || rc == VMOSAL_EPERM || rc == VMOSAL_ENOMEM);
	if (rc != 0)
		ck_assert_uint_eq(state_of(r, NULL, NULL), MEM_RESERVE);
	ck_assert_int_eq(win_mem_release(r, ps.huge_default), 0);
}
END_TEST

START_TEST(advise)
{
	HANDLE h = shm(MIB);
	char *p, *v, *r;
	void *foreign = VirtualAlloc(NULL, GRAN, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);

	use_path(_i);
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, (void **)&p),
			 0);
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, VMOSAL_MAP_SHARED, h, 0, (void **)&v), 0);
	memset(p, 0x5a, MIB);
	memset(v, 0x5a, MIB);
	ck_assert_int_eq(win_mem_advise(p, MIB, VMOSAL_MADV_WILLNEED), 0);
	/* DONTNEED: private pages read back as zero or as their old data
	 * (never inaccessible: discard_while_touched), shared ones keep it. */
	ck_assert_int_eq(win_mem_advise(p + GRAN, GRAN, VMOSAL_MADV_DONTNEED), 0);
	ck_assert(p[GRAN] == 0 || p[GRAN] == 0x5a);
	ck_assert(p[2 * GRAN - 1] == 0 || p[2 * GRAN - 1] == 0x5a);
	p[GRAN] = 1;
	ck_assert_int_eq(p[GRAN], 1);
	ck_assert_int_eq(p[GRAN - 1], 0x5a);
	ck_assert_int_eq(p[2 * GRAN], 0x5a);
	ck_assert_int_eq(win_mem_advise(v, MIB, VMOSAL_MADV_DONTNEED), 0);
	ck_assert_int_eq(v[100], 0x5a);
	ck_assert_int_eq(win_mem_advise(p, GRAN, VMOSAL_MADV_FREE), 0);
	ck_assert_int_eq(win_mem_advise(v, GRAN, VMOSAL_MADV_FREE), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_advise(p, MIB, VMOSAL_MADV_POPULATE_WRITE), 0);
	ck_assert_int_eq(win_mem_advise(v, MIB, VMOSAL_MADV_POPULATE_WRITE), 0);
	ck_assert_int_eq(v[100], 0x5a);
	ck_assert_int_eq(win_mem_advise(p, MIB, VMOSAL_MADV_DONTFORK), 0);
	for (int a = VMOSAL_MADV_HUGEPAGE; a <= VMOSAL_MADV_DOFORK; a++)
		if (a != VMOSAL_MADV_DONTFORK)
			ck_assert_int_eq(win_mem_advise(p, MIB, a), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_advise(p, MIB, VMOSAL_MADV_COUNT), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_advise(p, MIB, -1), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_advise(foreign, GRAN, VMOSAL_MADV_DONTNEED), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_protect(p, GRAN, VMOSAL_PROT_READ), 0);
	ck_assert_int_eq(win_mem_advise(p, GRAN, VMOSAL_MADV_POPULATE_WRITE), VMOSAL_EACCES);
	/* In a reservation: reserved pages are not mapped. */
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, (void **)&r), 0);
	ck_assert_int_eq(win_mem_map_reserved(r, 2 * GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 0);
	r[0] = 9;
	ck_assert_int_eq(win_mem_advise(r, 2 * GRAN, VMOSAL_MADV_DONTNEED), 0);
	ck_assert(r[0] == 0 || r[0] == 9);
	ck_assert_int_eq(win_mem_advise(r, 4 * GRAN, VMOSAL_MADV_DONTNEED), VMOSAL_ENOMEM);
	ck_assert_int_eq(win_mem_release(r, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(p, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(v, MIB), 0);
	ck_assert_int_eq(win_handle_close(h), 0);
	VirtualFree(foreign, 0, MEM_RELEASE);
}
END_TEST

START_TEST(lock_populate)
{
	char *p;

	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, (void **)&p),
			 0);
	ck_assert_int_eq(win_mem_lock(p, 16 * KIB), 0);
	ck_assert_int_eq(win_mem_unlock(p, 16 * KIB), 0);
	ck_assert_int_eq(win_mem_unlock(p, 16 * KIB), 0);
	p[5] = 5;
	ck_assert_int_eq(win_mem_populate(p, MIB), 0);
	ck_assert_int_eq(p[5], 5);
	ck_assert_int_eq(win_mem_protect(p, MIB, VMOSAL_PROT_READ), 0);
	ck_assert_int_eq(win_mem_populate(p, MIB), VMOSAL_EACCES);
	ck_assert_int_eq(win_mem_populate(p, 2 * MIB), VMOSAL_EINVAL);
	ck_assert_int_eq(win_mem_unmap(p, MIB), 0);
}
END_TEST

START_TEST(sync_file)
{
	WCHAR dir[MAX_PATH], path[MAX_PATH];
	char buf[16] = {0}, *v, *a;
	HANDLE f, ro;
	void *tmp;
	DWORD n;

	ck_assert_uint_ne(GetTempPathW(MAX_PATH, dir), 0);
	ck_assert_uint_ne(GetTempFileNameW(dir, L"vmo", 0, path), 0);
	f = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, FILE_SHARE_READ, NULL, CREATE_ALWAYS,
			FILE_FLAG_DELETE_ON_CLOSE, NULL);
	ck_assert_ptr_ne(f, INVALID_HANDLE_VALUE);
	ck_assert(SetFilePointer(f, (LONG)GRAN, NULL, FILE_BEGIN) == GRAN && SetEndOfFile(f));
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, VMOSAL_MAP_SHARED, f, 0, (void **)&v), 0);
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0,
				     (void **)&a),
			 0);
	strcpy(v, "written back");
	ck_assert_int_eq(win_mem_sync(v, GRAN, VMOSAL_MS_SYNC), 0);
	ck_assert_int_eq(win_mem_sync(v, GRAN, VMOSAL_MS_ASYNC | VMOSAL_MS_INVALIDATE), 0);
	ck_assert(SetFilePointer(f, 0, NULL, FILE_BEGIN) == 0);
	ck_assert(ReadFile(f, buf, sizeof buf - 1, &n, NULL));
	ck_assert_str_eq(buf, "written back");
	ck_assert_int_eq(win_mem_sync(a, GRAN, VMOSAL_MS_SYNC), 0);
	ck_assert_int_eq(win_mem_sync(v, GRAN, 8), VMOSAL_ENOTSUP);
	ck_assert_int_eq(win_mem_sync(v, 2 * GRAN, VMOSAL_MS_SYNC), VMOSAL_EINVAL);
	/* No view past the file's end, none writable through a read-only
	 * handle. */
	ck_assert_int_eq(win_mem_map(NULL, 2 * GRAN, RW, VMOSAL_MAP_SHARED, f, 0, &tmp),
			 VMOSAL_EINVAL);
	ck_assert(DuplicateHandle(GetCurrentProcess(), f, GetCurrentProcess(), &ro, GENERIC_READ,
				  FALSE, 0));
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, VMOSAL_MAP_SHARED, ro, 0, &tmp),
			 VMOSAL_EACCES);
	ck_assert(CloseHandle(ro));
	ck_assert_int_eq(win_mem_unmap(v, GRAN), 0);
	ck_assert_int_eq(win_mem_unmap(a, GRAN), 0);
	ck_assert(CloseHandle(f));
}
END_TEST

START_TEST(discard)
{
	HANDLE h = shm(MIB);
	char *p, *v, *r;

	use_path(_i);
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, (void **)&p),
			 0);
	memset(p, 0x77, MIB);
	ck_assert_int_eq(win_mem_discard(p + GRAN, GRAN, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert(p[GRAN] == 0 || p[GRAN] == 0x77);
	ck_assert(p[2 * GRAN - 1] == 0 || p[2 * GRAN - 1] == 0x77);
	ck_assert_int_eq(p[2 * GRAN], 0x77);
	/* Its protection survives. */
	p[GRAN] = 1;
	/* A section keeps its pages: refused, and nothing changed. */
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, VMOSAL_MAP_SHARED, h, 0, (void **)&v), 0);
	memset(v, 0x77, MIB);
	ck_assert_int_eq(win_mem_discard(v, MIB, h, 0), VMOSAL_ENOTSUP);
	ck_assert_int_eq(v[0], 0x77);
	ck_assert_int_eq(win_mem_discard(v + MIB, GRAN, h, 0), VMOSAL_EINVAL);
	/* Guest RAM's case: private memory in a reservation. */
	ck_assert_int_eq(win_mem_reserve(2 * MIB, 0, 0, (void **)&r), 0);
	ck_assert_int_eq(win_mem_map_reserved(r + MIB, MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 0);
	memset(r + MIB, 0x77, MIB);
	ck_assert_int_eq(win_mem_discard(r + MIB, MIB, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert(r[MIB] == 0 || r[MIB] == 0x77);
	ck_assert(r[2 * MIB - 1] == 0 || r[2 * MIB - 1] == 0x77);
	r[MIB] = 5;
	ck_assert_int_eq(r[MIB], 5);
	ck_assert_int_eq(win_mem_discard(r, 2 * MIB, VMOSAL_NO_HANDLE, 0), VMOSAL_ENOMEM);
	ck_assert_int_eq(win_mem_release(r, 2 * MIB), 0);
	ck_assert_int_eq(win_mem_unmap(p, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(v, MIB), 0);
	ck_assert_int_eq(win_handle_close(h), 0);
}
END_TEST

/* Many private commits that split one reservation: each cut grows the
 * record's piece array, and the old code wrote through a pointer into
 * the array it had just reallocated (from the third commit on). Every
 * commit must stay in the record: mapping over it is refused, and it
 * unmaps alone. */
START_TEST(split_commits)
{
	static const size_t at[] = {3, 9, 1, 13, 6, 11, 15}; /* granules, none adjacent */
	const size_t n = sizeof at / sizeof at[0], size = 16 * GRAN;
	void *fence[16];
	char *r;

	use_path(_i);
	ck_assert_int_eq(win_mem_reserve(size, 0, 0, (void **)&r), 0);
	/* Heap blocks of about the array's size after it, so that growing
	 * it moves it: without a sanitizer, the bug shows only then. */
	for (size_t k = 0; k < 16; k++)
		ck_assert_ptr_nonnull(fence[k] = malloc(160 + 16 * k));
	for (size_t k = 0; k < n; k++) {
		char *a = r + at[k] * GRAN;

		ck_assert_int_eq(win_mem_map_reserved(a, GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
				 0);
		a[0] = (char)(k + 1);
		for (size_t m = 0; m <= k; m++)
			ck_assert_int_eq(win_mem_map_reserved(r + at[m] * GRAN, GRAN, RW, ANON_PRIVATE,
							      VMOSAL_NO_HANDLE, 0),
					 VMOSAL_EEXIST);
	}
	for (size_t k = 0; k < n; k++) {
		char *a = r + at[k] * GRAN;

		ck_assert_uint_eq(state_of(a, NULL, NULL), MEM_COMMIT);
		ck_assert_uint_eq(state_of(a - GRAN, NULL, NULL), MEM_RESERVE);
		ck_assert_int_eq(a[0], (char)(k + 1));
		ck_assert_int_eq(win_mem_protect(a, GRAN, VMOSAL_PROT_READ), 0);
		ck_assert_int_eq(win_mem_protect(a - GRAN, GRAN, VMOSAL_PROT_READ), VMOSAL_ENOMEM);
	}
	for (size_t k = 0; k < n; k++) {
		ck_assert_int_eq(win_mem_unmap(r + at[k] * GRAN, 2 * GRAN), VMOSAL_EINVAL);
		ck_assert_int_eq(win_mem_unmap(r + at[k] * GRAN, GRAN), 0);
		ck_assert_uint_eq(state_of(r + at[k] * GRAN, NULL, NULL), MEM_RESERVE);
	}
	/* All reserved again, in one piece: the whole maps at once. */
	ck_assert_int_eq(win_mem_map_reserved(r, size, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert_int_eq(r[size - 1], 0);
	ck_assert_int_eq(win_mem_release(r, size), 0);
	ck_assert_uint_eq(state_of(r, NULL, NULL), MEM_FREE);
	for (size_t k = 0; k < 16; k++)
		free(fence[k]);
}
END_TEST

#define EXEC_BITS \
	(PAGE_EXECUTE | PAGE_EXECUTE_READ | PAGE_EXECUTE_READWRITE | PAGE_EXECUTE_WRITECOPY)

/* The protection a view or allocation was made with. */
static DWORD made_with(const void *a)
{
	MEMORY_BASIC_INFORMATION mbi;

	ck_assert_uint_ne(VirtualQuery(a, &mbi, sizeof mbi), 0);
	return mbi.AllocationProtect;
}

/* Arbitrary Code Guard refuses executable sections and views: a mapping
 * without EXEC must never ask for one. Wine shows what a view was made
 * with; it has no ACG to refuse. */
START_TEST(exec_only_when_asked)
{
	const unsigned x = VMOSAL_PROT_EXEC;
	WCHAR dir[MAX_PATH], path[MAX_PATH];
	HANDLE h = shm(MIB), f;
	char *a, *b, *c, *d, *e, *r;
	int rc;

	use_path(_i);
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, ANON_SHARED, VMOSAL_NO_HANDLE, 0, (void **)&a),
			 0);
	ck_assert_uint_eq(made_with(a) & EXEC_BITS, 0);
	ck_assert_int_eq(win_mem_map(NULL, MIB, VMOSAL_PROT_READ, ANON_SHARED, VMOSAL_NO_HANDLE, 0,
				     (void **)&b),
			 0);
	ck_assert_uint_eq(made_with(b) & EXEC_BITS, 0);
	ck_assert_int_eq(win_mem_map(NULL, MIB, RW, VMOSAL_MAP_PRIVATE, h, 0, (void **)&c), 0);
	ck_assert_uint_eq(made_with(c) & EXEC_BITS, 0);
	ck_assert_uint_ne(GetTempPathW(MAX_PATH, dir), 0);
	ck_assert_uint_ne(GetTempFileNameW(dir, L"vmo", 0, path), 0);
	f = CreateFileW(path, GENERIC_READ | GENERIC_WRITE | GENERIC_EXECUTE, 0, NULL,
			CREATE_ALWAYS, FILE_FLAG_DELETE_ON_CLOSE, NULL);
	ck_assert_ptr_ne(f, INVALID_HANDLE_VALUE);
	ck_assert(SetFilePointer(f, (LONG)GRAN, NULL, FILE_BEGIN) == GRAN && SetEndOfFile(f));
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW, VMOSAL_MAP_SHARED, f, 0, (void **)&d), 0);
	ck_assert_uint_eq(made_with(d) & EXEC_BITS, 0);
	/* Into a reservation, whole (the fallback's only way for a view). */
	ck_assert_int_eq(win_mem_reserve(MIB, 0, 0, (void **)&r), 0);
	ck_assert_int_eq(win_mem_map_reserved(r, MIB, RW, ANON_SHARED, VMOSAL_NO_HANDLE, 0), 0);
	ck_assert_uint_eq(made_with(r) & EXEC_BITS, 0);
	/* Asked for: executable, and the view can run code. */
	ck_assert_int_eq(win_mem_map(NULL, GRAN, RW | x, ANON_SHARED, VMOSAL_NO_HANDLE, 0,
				     (void **)&e),
			 0);
	ck_assert_uint_ne(made_with(e) & EXEC_BITS, 0);
	/* Made without EXEC, a view cannot gain it (Windows refuses; what
	 * Wine says is only printed). */
	rc = win_mem_protect(a, GRAN, VMOSAL_PROT_READ | x);
	printf("# exec_only_when_asked: protect to EXEC of a view made without: %d\n", rc);
	ck_assert(rc == 0 || rc == VMOSAL_EACCES);
	ck_assert_int_eq(win_mem_release(r, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(e, GRAN), 0);
	ck_assert_int_eq(win_mem_unmap(d, GRAN), 0);
	ck_assert_int_eq(win_mem_unmap(c, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(b, MIB), 0);
	ck_assert_int_eq(win_mem_unmap(a, MIB), 0);
	ck_assert(CloseHandle(f));
	ck_assert_int_eq(win_handle_close(h), 0);
}
END_TEST

struct toucher {
	volatile char *p;
	size_t size;
	volatile LONG stop;
	volatile LONG64 rounds;
};

/* Reads and writes every page of the range until told to stop: an
 * access violation here kills the test. */
static DWORD WINAPI touch_all(LPVOID arg)
{
	struct toucher *t = arg;

	while (!t->stop) {
		for (size_t off = 0; off < t->size; off += 4 * KIB)
			t->p[off] = (char)(t->p[off] + 1);
		InterlockedIncrement64(&t->rounds);
	}
	return 0;
}

/* A balloon discards guest RAM that a vCPU may touch at the same moment:
 * the range must never be inaccessible (decommit then recommit was).
 * Races for 500 discards and 50 rounds of touching (a round refaults
 * every page a discard dropped), or 10 s. */
START_TEST(discard_while_touched)
{
	const size_t size = 2 * MIB;
	struct toucher t = {.size = size};
	ULONGLONG end = GetTickCount64() + 10000;
	unsigned discards = 0;
	HANDLE th;
	char *r;

	use_path(_i);
	ck_assert_int_eq(win_mem_reserve(2 * size, 0, 0, (void **)&r), 0);
	ck_assert_int_eq(win_mem_map_reserved(r + size, size, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0),
			 0);
	t.p = r + size;
	memset(r + size, 0x33, size);
	th = CreateThread(NULL, 0, touch_all, &t, 0, NULL);
	ck_assert_ptr_nonnull(th);
	while ((discards < 500 || t.rounds < 50) && GetTickCount64() < end) {
		if (discards % 2 == 0)
			ck_assert_int_eq(win_mem_discard(r + size, size, VMOSAL_NO_HANDLE, 0), 0);
		else
			ck_assert_int_eq(win_mem_advise(r + size, size, VMOSAL_MADV_DONTNEED), 0);
		discards++;
	}
	t.stop = 1;
	ck_assert_uint_eq(WaitForSingleObject(th, INFINITE), WAIT_OBJECT_0);
	CloseHandle(th);
	printf("# discard_while_touched: %u discards, %lld rounds of touching\n", discards,
	       (long long)t.rounds);
	ck_assert_uint_gt(t.rounds, 0);
	/* Still committed and writable, with its protection. */
	{
		DWORD prot;

		ck_assert_uint_eq(state_of(r + size, &prot, NULL), MEM_COMMIT);
		ck_assert_uint_eq(prot, PAGE_READWRITE);
	}
	memset(r + size, 0x44, size);
	ck_assert_int_eq(r[2 * size - 1], 0x44);
	ck_assert_int_eq(win_mem_release(r, 2 * size), 0);
}
END_TEST

/* A stand-in for the working set: VirtualLock fails past the minimum, as
 * Windows does (Wine locks anything). */
static SIZE_T fake_ws_min, fake_ws_max;
static unsigned fake_ws_grows;
static bool fake_ws_refuse;

static BOOL WINAPI fake_lock(LPVOID addr, SIZE_T size)
{
	if (size + 8 * 4 * KIB > fake_ws_min) {
		SetLastError(ERROR_WORKING_SET_QUOTA);
		return FALSE;
	}
	return VirtualLock(addr, size);
}

static BOOL WINAPI fake_get_ws(HANDLE proc, PSIZE_T min, PSIZE_T max, PDWORD flags)
{
	(void)proc;
	*min = fake_ws_min;
	*max = fake_ws_max;
	*flags = 0;
	return TRUE;
}

static BOOL WINAPI fake_set_ws(HANDLE proc, SIZE_T min, SIZE_T max, DWORD flags)
{
	(void)proc;
	(void)flags;
	if (fake_ws_refuse) {
		SetLastError(ERROR_PRIVILEGE_NOT_HELD);
		return FALSE;
	}
	ck_assert_uint_ge(max, min);
	fake_ws_min = min;
	fake_ws_max = max;
	fake_ws_grows++;
	return TRUE;
}

/* Locking past the minimum working set grows it, then locks. */
START_TEST(lock_grows_working_set)
{
	static const struct win_mem_api api = {.virtual_lock = fake_lock,
					       .get_working_set = fake_get_ws,
					       .set_working_set = fake_set_ws};
	char *p;

	ck_assert_int_eq(win_mem_map(NULL, 4 * MIB, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0,
				     (void **)&p),
			 0);
	win_mem_test_api(&api);
	fake_ws_min = 200 * KIB;
	fake_ws_max = 1380 * KIB;
	fake_ws_grows = 0;
	fake_ws_refuse = false;
	ck_assert_int_eq(win_mem_lock(p, 16 * KIB), 0);
	ck_assert_uint_eq(fake_ws_grows, 0);
	ck_assert_int_eq(win_mem_lock(p, MIB), 0);
	ck_assert_uint_eq(fake_ws_grows, 1);
	ck_assert_uint_ge(fake_ws_min, MIB);
	ck_assert_int_eq(win_mem_unlock(p, MIB), 0);
	/* Not allowed to grow: ENOMEM, as past RLIMIT_MEMLOCK. */
	fake_ws_min = 200 * KIB;
	fake_ws_refuse = true;
	ck_assert_int_eq(win_mem_lock(p, MIB), VMOSAL_ENOMEM);
	win_mem_test_api(NULL);
	ck_assert_int_eq(win_mem_unmap(p, 4 * MIB), 0);
}
END_TEST

static DWORD WINAPI churn(LPVOID arg)
{
	void **last = arg;

	for (int i = 0; i < 200; i++) {
		void *p, *r;

		if (win_mem_map(NULL, GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0, &p) != 0 ||
		    win_mem_reserve(4 * GRAN, 0, 0, &r) != 0 ||
		    win_mem_map_reserved(r, GRAN, RW, ANON_PRIVATE, VMOSAL_NO_HANDLE, 0) != 0)
			return 1;
		*(volatile char *)p = 1;
		*(volatile char *)r = 1;
		if (win_mem_protect(p, GRAN, VMOSAL_PROT_READ) != 0 ||
		    win_mem_unmap(p, GRAN) != 0 || win_mem_release(r, 4 * GRAN) != 0)
			return 2;
		*last = p;
	}
	return 0;
}

START_TEST(threads)
{
	HANDLE t[8];
	void *last[8];

	use_path(_i);
	for (int i = 0; i < 8; i++) {
		t[i] = CreateThread(NULL, 0, churn, &last[i], 0, NULL);
		ck_assert_ptr_nonnull(t[i]);
	}
	for (int i = 0; i < 8; i++) {
		DWORD code;

		ck_assert_uint_eq(WaitForSingleObject(t[i], INFINITE), WAIT_OBJECT_0);
		ck_assert(GetExitCodeThread(t[i], &code));
		ck_assert_uint_eq(code, 0);
		CloseHandle(t[i]);
	}
}
END_TEST

/* ---- through the core ----
 * The public calls, as an application makes them: vmosal_windows.dll,
 * loaded by libvmosal, keeps a record of its own. */

#define CORE_GRANULARITY ((size_t)64 * 1024)

START_TEST(test_map_protect_unmap)
{
	const size_t size = 2 * CORE_GRANULARITY;
	uint8_t *p = NULL;

	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS, VMOSAL_NO_HANDLE, 0,
				     (void **)&p),
			 0);
	ck_assert_uint_eq((uintptr_t)p % CORE_GRANULARITY, 0);
	p[0] = 1;
	p[size - 1] = 2;
	ck_assert_int_eq(vmosal_mprotect(p, size, VMOSAL_PROT_READ), 0);
	/* A range Windows never gave us is refused, not guessed at. */
	ck_assert_int_eq(vmosal_munmap(p + size, CORE_GRANULARITY), VMOSAL_EINVAL);
	ck_assert_int_eq(vmosal_munmap(p, size), 0);
}
END_TEST

static int touch(void *arg)
{
	*(volatile uint8_t *)arg = 7;
	return 0;
}

/* A reservation is aligned, faults until mapped, and maps a section
 * into its middle. */
START_TEST(test_reserve_and_map_reserved)
{
	const size_t two_mib = (size_t)2 << 20, size = 4 * two_mib;
	struct vmosal_siginfo f = VMOSAL_STRUCT_INIT(struct vmosal_siginfo);
	uint8_t *base = NULL;

	ck_assert_int_eq(vmosal_mem_reserve(size, two_mib, (void **)&base), 0);
	ck_assert_uint_eq((uintptr_t)base % two_mib, 0);
	ck_assert_int_eq(vmosal_fault_guard(touch, base + two_mib, &f), VMOSAL_EFAULT);
	ck_assert_ptr_eq(f.fault_addr, base + two_mib);
	ck_assert_uint_eq(f.signal, VMOSAL_SIGSEGV);
	ck_assert_int_eq(vmosal_mem_map_reserved(base + two_mib, two_mib,
						 VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
						 VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS,
						 VMOSAL_NO_HANDLE, 0),
			 0);
	ck_assert_int_eq(vmosal_fault_guard(touch, base + two_mib, NULL), 0);
	ck_assert_uint_eq(base[two_mib], 7);
	ck_assert_int_eq(vmosal_mem_release(base, size), 0);
}
END_TEST

/* Shared memory: one section, two views, one set of pages. */
START_TEST(test_shm_two_views)
{
	const size_t size = CORE_GRANULARITY;
	vmosal_handle_t h = VMOSAL_NO_HANDLE;
	uint8_t *a = NULL, *b = NULL;

	ck_assert_int_eq(vmosal_shm_create("vmosal-check", size, 0, 0, &h), 0);
	ck_assert(VMOSAL_HANDLE_VALID(h));
	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ | VMOSAL_PROT_WRITE,
				     VMOSAL_MAP_SHARED, h, 0, (void **)&a),
			 0);
	ck_assert_int_eq(vmosal_mmap(NULL, size, VMOSAL_PROT_READ, VMOSAL_MAP_SHARED, h, 0,
				     (void **)&b),
			 0);
	ck_assert_ptr_ne(a, b);
	a[100] = 0x5a;
	ck_assert_uint_eq(b[100], 0x5a);
	ck_assert_int_eq(vmosal_munmap(a, size), 0);
	ck_assert_int_eq(vmosal_munmap(b, size), 0);
	ck_assert_int_eq(vmosal_handle_close(h), 0);
}
END_TEST

/* Code written through one view runs through the other. */
START_TEST(test_jit_double_map)
{
	/* mov eax, 42; ret */
	static const uint8_t code[] = {0xb8, 42, 0, 0, 0, 0xc3};
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	int (*fn)(void);

#if !defined(__x86_64__)
	VMOSAL_SKIP("the code bytes are x86-64");
#endif
	ck_assert_int_eq(vmosal_jit_create(4096, &jit), 0);
	ck_assert_ptr_ne(jit.rw, jit.rx);
	ck_assert_int_eq(vmosal_jit_write_begin(&jit), 0);
	memcpy(jit.rw, code, sizeof code);
	ck_assert_int_eq(vmosal_jit_write_end(&jit), 0);
	ck_assert_int_eq(vmosal_jit_flush(&jit, 0, sizeof code), 0);
	memcpy(&fn, &jit.rx, sizeof fn);
	ck_assert_int_eq(fn(), 42);
	ck_assert_int_eq(vmosal_jit_destroy(&jit), 0);
}
END_TEST

static Suite *win_mem_suite(void)
{
	Suite *s = suite_create("win_mem");
	struct {
		const char *name;
		const TTest *test;
		int loops;
	} tests[] = {
		{"init", init_caps, 1},
		{"reserve_alignment", reserve_alignment, 2},
		{"reserve_rules", reserve_rules, 2},
		{"map_reserved_anonymous", map_reserved_anonymous, 2},
		{"map_reserved_section", map_reserved_section, 2},
		{"fallback_race", fallback_race, 1},
		{"placeholder_granules", placeholder_granules, 1},
		{"protect_record", protect_record, 2},
		{"partial_unmap", partial_unmap, 1},
		{"map_flags", map_flags, 1},
		{"shm_shared", shm_shared, 1},
		{"jit_double_map", jit_double_map, 1},
		{"large_pages", large_pages, 2},
		{"advise", advise, 2},
		{"lock_populate", lock_populate, 1},
		{"sync_file", sync_file, 1},
		{"discard", discard, 2},
		{"split_commits", split_commits, 2},
		{"exec_only_when_asked", exec_only_when_asked, 2},
		{"discard_while_touched", discard_while_touched, 2},
		{"lock_grows_working_set", lock_grows_working_set, 1},
		{"threads", threads, 2},
	};

	for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
		TCase *tc = tcase_create(tests[i].name);

		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_loop_test(tc, tests[i].test, 0, tests[i].loops);
		suite_add_tcase(s, tc);
	}
	{
		TCase *tc = tcase_create("through the core");

		tcase_add_test(tc, test_map_protect_unmap);
		tcase_add_test(tc, test_reserve_and_map_reserved);
		tcase_add_test(tc, test_shm_two_views);
		tcase_add_test(tc, test_jit_double_map);
		suite_add_tcase(s, tc);
	}
	return s;
}

int main(void)
{
	fake_real.virtual_alloc2 = (win_virtual_alloc2_fn)(void (*)(void))GetProcAddress(
		GetModuleHandleW(L"kernelbase.dll"), "VirtualAlloc2");
	return vmosal_run_suite(win_mem_suite());
}
