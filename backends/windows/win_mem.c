/* Windows memory: mappings, reservations, shared memory sections, large
 * pages and the W^X double map, over VirtualAlloc and file mapping views.
 *
 * Windows can only unmap, protect or decommit what was allocated or mapped
 * as one unit, and it unmaps a whole view given any address inside it. So
 * this file keeps its own record of every region it made (an SRWLOCK
 * guards it), and a range outside the record is VMOSAL_EINVAL, as
 * backend.h asks. What the POSIX words mean here:
 *
 *   - FIXED is VMOSAL_ENOTSUP everywhere, over our own ranges or anyone
 *     else's: it promises to replace what is mapped, and Windows can replace
 *     neither a view nor an allocation in place. Memory at a chosen address
 *     is mem_reserve + mem_map_reserved, or FIXED_NOREPLACE over free
 *     address space (VMOSAL_EEXIST when anything is there).
 *   - Unmapping takes exactly one region from mem_map, or exactly one piece
 *     that mem_map_reserved put into a reservation (which becomes reserved
 *     again). A part of one, several at once, a reservation (that is
 *     mem_release) or a jit_map view is VMOSAL_EINVAL.
 *   - NORESERVE is VMOSAL_ENOTSUP: Windows charges commit for every page it
 *     can back, and has no lazily charged memory.
 *
 * Reservations come in two kinds, chosen when made:
 *   - Placeholders (Windows 10 1803 and later): VirtualAlloc2 reserves a
 *     placeholder, VirtualFree(MEM_PRESERVE_PLACEHOLDER) splits it, and
 *     VirtualAlloc2/MapViewOfFile3 with MEM_REPLACE_PLACEHOLDER map into a
 *     piece. Any 64 KiB-granular sub-range can be mapped, and nothing else
 *     in the process can take the address space meanwhile.
 *   - The fallback (older Windows, and Wine, whose placeholders fail with
 *     ERROR_INVALID_PARAMETER): a MEM_RESERVE region. Private anonymous
 *     memory is committed into any page range of it, which is race-free.
 *     Anything else (a view, large pages) needs the whole reservation: it is
 *     released and the mapping made at its address at once. Another thread
 *     of the process allocating in between would take the range; that is
 *     detected (Windows never maps over anything), reported as
 *     VMOSAL_EBUSY, and the reservation is then marked lost: only
 *     mem_release, which forgets it, works on it afterwards.
 *
 * Large pages need SeLockMemoryPrivilege, enabled here when the token holds
 * it: VMOSAL_EPERM when it does not, VMOSAL_ENOMEM when no physically
 * contiguous memory is left. They are committed and locked at once and
 * cannot be decommitted. Where Windows refuses them in place of a
 * placeholder, a mapping of a whole placeholder reservation takes the
 * fallback's way (win_map_whole); a part of one gets the error.
 *
 * mem_discard, DONTNEED and FREE give private anonymous memory back with
 * DiscardVirtualMemory or MEM_RESET, which never make it inaccessible: it
 * reads back as old data or zero (win_discard_private). Pages of a section
 * (shm objects, shared anonymous memory, files) stay committed until every
 * view and handle is gone; nothing can punch a hole in one, so discarding
 * them is VMOSAL_ENOTSUP.
 *
 * Executable sections and views are asked for only when prot has EXEC:
 * under Arbitrary Code Guard they fail with ERROR_DYNAMIC_CODE_BLOCKED
 * (VMOSAL_ENOTSUP), so a view made without EXEC never becomes executable. */
#include "config.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "region.h"
#include "win.h"
#include "win_record.h"

/* Newer than some SDK headers that mingw-w64 ships. */
#ifndef MEM_RESERVE_PLACEHOLDER
#define MEM_RESERVE_PLACEHOLDER 0x00040000
#endif
#ifndef MEM_REPLACE_PLACEHOLDER
#define MEM_REPLACE_PLACEHOLDER 0x00004000
#endif
#ifndef MEM_PRESERVE_PLACEHOLDER
#define MEM_PRESERVE_PLACEHOLDER 0x00000002
#endif
#ifndef MEM_COALESCE_PLACEHOLDERS
#define MEM_COALESCE_PLACEHOLDERS 0x00000001
#endif
#ifndef ERROR_DYNAMIC_CODE_BLOCKED
#define ERROR_DYNAMIC_CODE_BLOCKED 1655L
#endif
#ifndef SEC_FILE
#define SEC_FILE 0x800000
#endif

/* How many times the fallback reserve retries when another thread takes
 * the aligned range between release and re-reserve. */
#define WIN_RESERVE_TRIES 64

/* The record's kinds and flags are win_record.h's, and so is every
 * decision made on it alone. */
_Static_assert(WIN_PAGE_NOACCESS == PAGE_NOACCESS && WIN_PAGE_READONLY == PAGE_READONLY &&
		       WIN_PAGE_READWRITE == PAGE_READWRITE &&
		       WIN_PAGE_WRITECOPY == PAGE_WRITECOPY && WIN_PAGE_EXECUTE == PAGE_EXECUTE &&
		       WIN_PAGE_EXECUTE_READ == PAGE_EXECUTE_READ &&
		       WIN_PAGE_EXECUTE_READWRITE == PAGE_EXECUTE_READWRITE &&
		       WIN_PAGE_EXECUTE_WRITECOPY == PAGE_EXECUTE_WRITECOPY,
	       "win_record.h's page protections are winnt.h's");

static SRWLOCK win_rec_lock = SRWLOCK_INIT;
static struct region_set win_rec;

static INIT_ONCE win_mem_once = INIT_ONCE_STATIC_INIT;
static size_t win_page = 4096, win_gran = 65536;
static struct win_mem_api win_os_api, win_api;
static bool win_have_placeholders;
static atomic_bool win_fallback_forced;
static atomic_bool win_large_enabled;

typedef BOOL(WINAPI *win_prefetch_fn)(HANDLE, ULONG_PTR, PWIN32_MEMORY_RANGE_ENTRY, ULONG);
typedef DWORD(WINAPI *win_discard_fn)(PVOID, SIZE_T);
typedef LONG(NTAPI *win_query_object_fn)(HANDLE, int, PVOID, ULONG, PULONG);
typedef LONG(NTAPI *win_query_section_fn)(HANDLE, int, PVOID, SIZE_T, PSIZE_T);
static win_prefetch_fn win_prefetch;
static win_discard_fn win_discard_vm;
static win_query_object_fn win_query_object;
static win_query_section_fn win_query_section;

/* ---- set-up ---- */

static BOOL WINAPI win_os_virtual_free(LPVOID addr, SIZE_T size, DWORD type)
{
	return VirtualFree(addr, size, type);
}

static BOOL WINAPI win_os_virtual_lock(LPVOID addr, SIZE_T size)
{
	return VirtualLock(addr, size);
}

static BOOL WINAPI win_os_get_ws(HANDLE proc, PSIZE_T min, PSIZE_T max, PDWORD flags)
{
	return GetProcessWorkingSetSizeEx(proc, min, max, flags);
}

static BOOL WINAPI win_os_set_ws(HANDLE proc, SIZE_T min, SIZE_T max, DWORD flags)
{
	return SetProcessWorkingSetSizeEx(proc, min, max, flags);
}

/* Asks the OS for a placeholder once: the functions exist on Wine, but the
 * placeholder flag is refused there. */
static bool win_probe_placeholders(const struct win_mem_api *api)
{
	void *p;

	if (api->virtual_alloc2 == NULL || api->map_view3 == NULL || api->unmap_view2 == NULL)
		return false;
	p = api->virtual_alloc2(NULL, NULL, win_gran, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
				PAGE_NOACCESS, NULL, 0);
	if (p == NULL)
		return false;
	api->virtual_free(p, 0, MEM_RELEASE);
	return true;
}

static BOOL CALLBACK win_mem_setup(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	SYSTEM_INFO si;

	(void)once;
	(void)param;
	(void)ctx;
	GetSystemInfo(&si);
	win_page = si.dwPageSize;
	win_gran = si.dwAllocationGranularity;
	win_os_api.virtual_alloc2 = (win_virtual_alloc2_fn)win_kernel_proc("VirtualAlloc2");
	win_os_api.map_view3 = (win_map_view3_fn)win_kernel_proc("MapViewOfFile3");
	win_os_api.unmap_view2 = (win_unmap_view2_fn)win_kernel_proc("UnmapViewOfFile2");
	win_os_api.virtual_free = win_os_virtual_free;
	win_os_api.virtual_lock = win_os_virtual_lock;
	win_os_api.get_working_set = win_os_get_ws;
	win_os_api.set_working_set = win_os_set_ws;
	win_api = win_os_api;
	win_have_placeholders = win_probe_placeholders(&win_api);
	win_prefetch = (win_prefetch_fn)win_kernel_proc("PrefetchVirtualMemory");
	win_discard_vm = (win_discard_fn)win_kernel_proc("DiscardVirtualMemory");
	win_query_object = (win_query_object_fn)win_system_proc(L"ntdll.dll", "NtQueryObject");
	win_query_section = (win_query_section_fn)win_system_proc(L"ntdll.dll", "NtQuerySection");
	return TRUE;
}

static void win_mem_ready(void)
{
	InitOnceExecuteOnce(&win_mem_once, win_mem_setup, NULL, NULL);
}

int win_mem_init(struct vmosal_backend_caps *caps)
{
	const char *env;

	win_mem_ready();
	/* Lets a user (and the tests) take the fallback path on a Windows
	 * that has placeholders. */
	if (win_core != NULL && win_core->secure_getenv != NULL) {
		env = win_core->secure_getenv("VMOSAL_WIN_NO_PLACEHOLDERS");
		if (env != NULL && env[0] != '\0' && strcmp(env, "0") != 0)
			atomic_store(&win_fallback_forced, true);
	}
	if (caps != NULL)
		caps->map_granularity = win_gran;
	if (win_core != NULL && win_core->debug != NULL)
		win_core->debug("memory", "reservations use %s",
				win_mem_placeholders() ? "placeholders" : "the fallback");
	return 0;
}

void win_mem_force_fallback(bool on)
{
	atomic_store(&win_fallback_forced, on);
}

bool win_mem_placeholders(void)
{
	bool on;

	win_mem_ready();
	AcquireSRWLockShared(&win_rec_lock);
	on = win_have_placeholders && !atomic_load(&win_fallback_forced);
	ReleaseSRWLockShared(&win_rec_lock);
	return on;
}

void win_mem_test_api(const struct win_mem_api *api)
{
	win_mem_ready();
	AcquireSRWLockExclusive(&win_rec_lock);
	win_api = api != NULL ? *api : win_os_api;
	if (win_api.virtual_free == NULL)
		win_api.virtual_free = win_os_api.virtual_free;
	if (win_api.virtual_lock == NULL)
		win_api.virtual_lock = win_os_api.virtual_lock;
	if (win_api.get_working_set == NULL)
		win_api.get_working_set = win_os_api.get_working_set;
	if (win_api.set_working_set == NULL)
		win_api.set_working_set = win_os_api.set_working_set;
	win_have_placeholders = win_probe_placeholders(&win_api);
	ReleaseSRWLockExclusive(&win_rec_lock);
}

/* ---- small helpers ---- */

static size_t win_round_page(size_t size)
{
	return (size + win_page - 1) & ~(win_page - 1);
}

/* Unknown bits were refused by the callers. */
static DWORD win_page_prot(unsigned prot, bool cow)
{
	return win_record_page_prot(prot, cow);
}

/* Errors of a mapping call, where a refused access is the caller's object
 * not allowing prot (EACCES), not a missing privilege. */
static int win_map_error(DWORD err)
{
	switch (err) {
	case ERROR_ACCESS_DENIED:
		return VMOSAL_EACCES;
	case ERROR_DYNAMIC_CODE_BLOCKED:
		/* Arbitrary Code Guard: no executable memory but images. */
		return VMOSAL_ENOTSUP;
	case ERROR_COMMITMENT_LIMIT:
	case ERROR_NO_SYSTEM_RESOURCES:
	case ERROR_NOT_ENOUGH_MEMORY:
		return VMOSAL_ENOMEM;
	default:
		return win_error_from(err);
	}
}

/* Reads and writes back one byte per page: faults pages in, writable where
 * write is set, without changing their contents. */
static void win_touch(void *addr, size_t size, bool write)
{
	volatile char *p = addr;
	char *end = (char *)addr + size;

	for (; (char *)p < end; p += win_page) {
		char c = *p;
		if (write)
			*p = c;
	}
}

/* Enables SeLockMemoryPrivilege in the process token, which large pages
 * need; the token must hold it (granted by policy, "Lock pages in memory"). */
static int win_large_page_privilege(void)
{
	TOKEN_PRIVILEGES tp;
	HANDLE token;
	DWORD err;
	BOOL ok;

	if (atomic_load(&win_large_enabled))
		return 0;
	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY, &token))
		return win_last_error();
	tp.PrivilegeCount = 1;
	tp.Privileges[0].Attributes = SE_PRIVILEGE_ENABLED;
	ok = LookupPrivilegeValueW(NULL, L"SeLockMemoryPrivilege", &tp.Privileges[0].Luid) &&
	     AdjustTokenPrivileges(token, FALSE, &tp, 0, NULL, NULL);
	err = GetLastError();
	CloseHandle(token);
	if (!ok)
		return win_error_from(err);
	/* AdjustTokenPrivileges succeeds even when the token lacks it. */
	if (err == ERROR_NOT_ALL_ASSIGNED)
		return VMOSAL_EPERM;
	atomic_store(&win_large_enabled, true);
	return 0;
}

/* Checks a large page request: the size picked by the flags must be the
 * one Windows has, and the privilege must be there. */
static int win_large_check(unsigned flags)
{
	unsigned shift = (flags >> VMOSAL_MAP_HUGE_SHIFT) & VMOSAL_MAP_HUGE_MASK;

	if (!win_record_large_size(shift, GetLargePageMinimum()))
		return VMOSAL_ENOTSUP;
	return win_large_page_privilege();
}

/* ---- the record ---- */

/* The region holding all of [a, a + size), or NULL. */
static struct region *win_region_at(uintptr_t a, size_t size)
{
	return region_holding(&win_rec, a, size);
}

static void win_piece_forget(struct region_piece *p)
{
	if (p->data != NULL)
		CloseHandle(p->data);
	p->data = NULL;
}

static void win_region_drop(struct region *r)
{
	struct region gone;

	for (size_t k = 0; k < r->n; k++)
		win_piece_forget(&r->pieces[k]);
	region_take(&win_rec, r, &gone);
	region_free(&gone);
	if (win_rec.n == 0)
		region_clear(&win_rec);
}

/* Records r, for which region_room made room before the OS was asked, so
 * this cannot run out of memory. The OS hands out only free address
 * space: what r can overlap is a lost fallback reservation, whose range
 * went to someone else, and which is forgotten. */
static void win_region_add(struct region *r)
{
	if (region_put(&win_rec, r) == 0)
		return;
	if (win_core != NULL && win_core->debug != NULL)
		win_core->debug("memory", "forgot %zu lost reservations at %p",
				region_forget(&win_rec, r->base, r->size), (void *)r->base);
	else
		region_forget(&win_rec, r->base, r->size);
	region_put(&win_rec, r);
}

/* ---- objects and views ---- */

struct win_req {
	size_t size; /* whole pages */
	unsigned prot, flags;
	HANDLE h;
	int64_t offset;
};

/* What a request maps: a section (NULL for private anonymous memory). */
struct win_obj {
	HANDLE section;
	bool own;  /* created here, closed once mapped */
	bool file; /* backed by a file, not the paging file */
	HANDLE fh; /* duplicate of the caller's file handle, or NULL */
};

struct win_type_info {
	USHORT length, maximum;
	PWSTR name;
};

/* "Section", "File" or another kernel object type. GetFileType cannot
 * tell: Wine answers FILE_TYPE_DISK for a section. */
static int win_handle_type(HANDLE h, bool *section, bool *file)
{
	union {
		struct win_type_info info;
		char bytes[512];
	} buf;
	ULONG len = 0;
	LONG st;

	*section = true;
	*file = false;
	if (win_query_object == NULL)
		return 0;
	st = win_query_object(h, 2 /* ObjectTypeInformation */, &buf, sizeof buf, &len);
	if (st < 0)
		return VMOSAL_EBADF;
	*section = buf.info.length == 14 && memcmp(buf.info.name, L"Section", 14) == 0;
	*file = buf.info.length == 8 && memcmp(buf.info.name, L"File", 8) == 0;
	return *section || *file ? 0 : VMOSAL_EBADF;
}

struct win_section_info {
	PVOID base;
	ULONG attributes;
	LARGE_INTEGER size;
};

/* A view past a section's end is refused by Windows as access denied;
 * said as EINVAL here, which is what it is. */
static int win_section_check(struct win_obj *o, const struct win_req *rq)
{
	struct win_section_info si;
	SIZE_T len = 0;

	/* Unknown until asked: treated as a file, which takes no shortcuts. */
	o->file = true;
	/* Class 0 is SectionBasicInformation. */
	if (win_query_section == NULL ||
	    win_query_section(o->section, 0, &si, sizeof si, &len) < 0)
		return 0;
	o->file = (si.attributes & SEC_FILE) != 0;
	if ((uint64_t)rq->offset > (uint64_t)si.size.QuadPart ||
	    rq->size > (uint64_t)si.size.QuadPart - (uint64_t)rq->offset)
		return VMOSAL_EINVAL;
	return 0;
}

static HANDLE win_create_section(HANDLE file, DWORD prot, uint64_t size)
{
	return CreateFileMappingW(file, NULL, prot, (DWORD)(size >> 32), (DWORD)size, NULL);
}

static void win_obj_close(struct win_obj *o, bool keep_fh)
{
	if (o->own && o->section != NULL)
		CloseHandle(o->section);
	o->section = NULL;
	if (!keep_fh && o->fh != NULL)
		CloseHandle(o->fh);
	o->fh = NULL;
}

static int win_obj_open(const struct win_req *rq, struct win_obj *o)
{
	bool shared = rq->flags & VMOSAL_MAP_SHARED, large = rq->flags & VMOSAL_MAP_HUGETLB;
	bool section, file;
	DWORD err;
	int rc;

	memset(o, 0, sizeof *o);
	if (rq->flags & VMOSAL_MAP_ANONYMOUS) {
		if (!shared)
			return 0;
		/* Executable only when asked: under Arbitrary Code Guard any
		 * executable section fails (ERROR_DYNAMIC_CODE_BLOCKED). So
		 * a mapping made without EXEC cannot be protected to it. */
		o->own = true;
		o->section = win_create_section(
			INVALID_HANDLE_VALUE,
			((rq->prot & VMOSAL_PROT_EXEC) ? PAGE_EXECUTE_READWRITE : PAGE_READWRITE) |
				SEC_COMMIT | (large ? SEC_LARGE_PAGES : 0),
			rq->size);
		return o->section != NULL ? 0 : win_map_error(GetLastError());
	}
	if ((rc = win_handle_type(rq->h, &section, &file)) != 0)
		return rc;
	if (section) {
		o->section = rq->h;
		return win_section_check(o, rq);
	}
	/* A file: a section of it, as wide as the file's access allows, so
	 * that protect can later widen a view as far as mprotect could;
	 * executable only when asked (Arbitrary Code Guard, above). */
	{
		static const DWORD prots[] = {PAGE_EXECUTE_READWRITE, PAGE_READWRITE,
					      PAGE_EXECUTE_READ, PAGE_READONLY};
		bool need_w = shared && (rq->prot & VMOSAL_PROT_WRITE);
		bool need_x = rq->prot & VMOSAL_PROT_EXEC;

		err = ERROR_ACCESS_DENIED;
		for (size_t i = 0; i < sizeof prots / sizeof prots[0] && o->section == NULL; i++) {
			DWORD pr = prots[i];
			bool w = pr == PAGE_EXECUTE_READWRITE || pr == PAGE_READWRITE;
			bool x = pr == PAGE_EXECUTE_READWRITE || pr == PAGE_EXECUTE_READ;

			if ((need_w && !w) || need_x != x)
				continue;
			o->section = win_create_section(rq->h, prots[i], 0);
			if (o->section == NULL && (err = GetLastError()) != ERROR_ACCESS_DENIED)
				break;
		}
	}
	if (o->section == NULL)
		return win_map_error(err);
	o->own = true;
	if ((rc = win_section_check(o, rq)) != 0) {
		win_obj_close(o, false);
		return rc;
	}
	o->file = true;
	if (!DuplicateHandle(GetCurrentProcess(), rq->h, GetCurrentProcess(), &o->fh, 0, FALSE,
			     DUPLICATE_SAME_ACCESS)) {
		rc = win_last_error();
		win_obj_close(o, false);
		return rc;
	}
	return 0;
}

/* View access, widest first: a view mapped as wide as the object allows
 * can later be protected up to that, as mprotect can on POSIX. Executable
 * modes only for an EXEC request: Arbitrary Code Guard refuses them with
 * ERROR_DYNAMIC_CODE_BLOCKED, which would end the search. */
static const struct {
	DWORD access, page;
	bool w, x, cow;
} win_view_modes[] = {
	{FILE_MAP_WRITE | FILE_MAP_EXECUTE, PAGE_EXECUTE_READWRITE, true, true, false},
	{FILE_MAP_WRITE, PAGE_READWRITE, true, false, false},
	{FILE_MAP_READ | FILE_MAP_EXECUTE, PAGE_EXECUTE_READ, false, true, false},
	{FILE_MAP_READ, PAGE_READONLY, false, false, false},
	{FILE_MAP_COPY | FILE_MAP_EXECUTE, PAGE_EXECUTE_WRITECOPY, true, true, true},
	{FILE_MAP_COPY, PAGE_WRITECOPY, true, false, true},
};

/* Maps a view of o at addr (NULL: anywhere); replace maps into the
 * placeholder there. */
static void *win_view(const struct win_obj *o, const struct win_req *rq, void *addr, bool replace,
		      DWORD *err)
{
	bool cow = rq->flags & VMOSAL_MAP_PRIVATE, large = rq->flags & VMOSAL_MAP_HUGETLB;
	bool need_w = rq->prot & VMOSAL_PROT_WRITE, need_x = rq->prot & VMOSAL_PROT_EXEC;
	uint64_t off = (uint64_t)rq->offset;
	DWORD type = MEM_REPLACE_PLACEHOLDER | (large ? MEM_LARGE_PAGES : 0);
	DWORD big = large ? FILE_MAP_LARGE_PAGES : 0;
	void *v = NULL;

	*err = ERROR_ACCESS_DENIED;
	for (size_t i = 0; i < sizeof win_view_modes / sizeof win_view_modes[0]; i++) {
		if (win_view_modes[i].cow != cow || (need_w && !win_view_modes[i].w) ||
		    need_x != win_view_modes[i].x)
			continue;
		if (replace)
			v = win_api.map_view3(o->section, GetCurrentProcess(), addr, off, rq->size,
					      type, win_view_modes[i].page, NULL, 0);
		else
			v = MapViewOfFileEx(o->section, win_view_modes[i].access | big,
					    (DWORD)(off >> 32), (DWORD)off, rq->size, addr);
		if (v != NULL || (*err = GetLastError()) != ERROR_ACCESS_DENIED)
			break;
	}
	return v;
}

enum win_place { WIN_ANYWHERE, WIN_HINT, WIN_EXACT, WIN_REPLACE };

/* Maps rq at addr as place says and fills *p. The memory is mapped with
 * rq->prot and nothing else of the process is touched. */
static int win_map_raw(const struct win_req *rq, void *addr, enum win_place place,
		       struct region_piece *p)
{
	bool large = rq->flags & VMOSAL_MAP_HUGETLB, cow = rq->flags & VMOSAL_MAP_PRIVATE;
	DWORD prot = win_page_prot(rq->prot, false), err = 0, old;
	struct win_obj o;
	void *v;
	int rc;

	if ((rc = win_obj_open(rq, &o)) != 0)
		return rc;
	memset(p, 0, sizeof *p);
	if (o.section == NULL) {
		DWORD type = MEM_RESERVE | MEM_COMMIT | (large ? MEM_LARGE_PAGES : 0);

		if (place == WIN_REPLACE)
			v = win_api.virtual_alloc2(NULL, addr, rq->size,
						   type | MEM_REPLACE_PLACEHOLDER, prot, NULL, 0);
		else
			v = VirtualAlloc(addr, rq->size, type, prot);
		if (v == NULL && place == WIN_HINT)
			v = VirtualAlloc(NULL, rq->size, type, prot);
		if (v == NULL)
			err = GetLastError();
		p->state = WIN_ALLOC;
	} else {
		v = win_view(&o, rq, addr, place == WIN_REPLACE, &err);
		if (v == NULL && place == WIN_HINT)
			v = win_view(&o, rq, NULL, false, &err);
		if (v != NULL &&
		    !VirtualProtect(v, rq->size, win_page_prot(rq->prot, cow), &old)) {
			err = GetLastError();
			/* Our fresh view, which keeps its placeholder when it
			 * replaced one, so the caller can coalesce it back. */
			if (place == WIN_REPLACE)
				win_api.unmap_view2(GetCurrentProcess(), v,
						    MEM_PRESERVE_PLACEHOLDER);
			else
				UnmapViewOfFile(v);
			v = NULL;
		}
		p->state = WIN_VIEW;
		p->flags = (cow ? WIN_PIECE_COW : 0) | (o.file ? WIN_PIECE_FILE : 0);
	}
	if (v == NULL) {
		win_obj_close(&o, false);
		/* Windows never maps over anything: at an exact address,
		 * this means the range is taken. */
		if (place == WIN_EXACT && err == ERROR_INVALID_ADDRESS)
			return VMOSAL_EEXIST;
		return win_map_error(err);
	}
	win_obj_close(&o, true);
	p->start = (uintptr_t)v;
	p->size = rq->size;
	if (large)
		p->flags |= WIN_PIECE_LARGE;
	p->data = o.fh;
	return 0;
}

/* Takes a mapped piece out of the address space; keep leaves a placeholder
 * (placeholder reservations) or reserved pages (fallback commits). ph: the
 * piece replaced a placeholder, so the placeholder calls free it. */
static bool win_unmap_raw(struct region_piece *p, bool ph, bool keep)
{
	void *a = (void *)p->start;
	bool ok;

	switch (p->state) {
	case WIN_VIEW:
		if (ph)
			ok = win_api.unmap_view2(GetCurrentProcess(), a,
						 keep ? MEM_PRESERVE_PLACEHOLDER : 0);
		else
			ok = UnmapViewOfFile(a);
		break;
	case WIN_ALLOC:
		if (ph && keep)
			ok = win_api.virtual_free(a, p->size,
						  MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER);
		else if (ph)
			ok = win_api.virtual_free(a, 0, MEM_RELEASE);
		else
			ok = VirtualFree(a, 0, MEM_RELEASE);
		break;
	case WIN_COMMIT:
		ok = VirtualFree(a, p->size, MEM_DECOMMIT);
		break;
	default:
		ok = true;
	}
	if (ok)
		win_piece_forget(p);
	return ok;
}

/* Populates a fresh mapping for MAP_POPULATE, outside the lock: a view of
 * a file prefetches (a touch could raise an in-page error), memory of our
 * own is touched. */
static void win_populate_fresh(const struct region_piece *p, unsigned prot)
{
	if (p->flags & WIN_PIECE_FILE) {
		WIN32_MEMORY_RANGE_ENTRY e = {(PVOID)p->start, p->size};

		if (win_prefetch != NULL)
			win_prefetch(GetCurrentProcess(), 1, &e, 0);
		return;
	}
	if (prot & (VMOSAL_PROT_READ | VMOSAL_PROT_WRITE))
		win_touch((void *)p->start, p->size, (prot & VMOSAL_PROT_WRITE) != 0);
}

/* What mem_map and mem_map_reserved accept of flags. */
static int win_check_flags(unsigned prot, unsigned flags)
{
	int rc = win_record_check_flags(prot, flags);

	if (rc != 0)
		return rc;
	if (flags & VMOSAL_MAP_HUGETLB)
		return win_large_check(flags);
	return 0;
}

/* ---- mapping ---- */

int win_mem_map(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t h,
		int64_t offset, void **out)
{
	struct win_req rq = {win_round_page(size), prot, flags, h, offset};
	enum win_place place = WIN_ANYWHERE;
	struct region r;
	struct region_piece p;
	int rc;

	win_mem_ready();
	if ((rc = win_check_flags(prot, flags)) != 0)
		return rc;
	if (flags & VMOSAL_MAP_FIXED_NOREPLACE)
		place = WIN_EXACT;
	else if (addr != NULL)
		place = WIN_HINT;
	AcquireSRWLockExclusive(&win_rec_lock);
	if ((rc = region_room(&win_rec)) == 0 && (rc = win_map_raw(&rq, addr, place, &p)) == 0) {
		if (win_record_new(&r, WIN_MAPPING, &p) == 0) {
			win_region_add(&r);
		} else {
			win_unmap_raw(&p, false, false);
			rc = VMOSAL_ENOMEM;
		}
	}
	ReleaseSRWLockExclusive(&win_rec_lock);
	if (rc != 0)
		return rc;
	if (flags & VMOSAL_MAP_POPULATE)
		win_populate_fresh(&p, prot);
	*out = (void *)p.start;
	return 0;
}

/* Fallback: puts the MEM_RESERVE region of r back after its whole mapping
 * went away or failed; another allocator may have taken it meanwhile. */
static int win_rereserve(struct region *r)
{
	struct region_piece p = {.start = r->base, .size = r->size, .state = WIN_FREE};

	r->flags &= ~WIN_REGION_WHOLE;
	if (VirtualAlloc((void *)r->base, r->size, MEM_RESERVE, PAGE_NOACCESS) == NULL) {
		r->flags |= WIN_REGION_LOST;
		r->n = 0;
		return VMOSAL_EBUSY;
	}
	r->pieces[0] = p;
	r->n = 1;
	return 0;
}

/* Gives the whole reservation r up for one mapping at its address, made
 * at once: the only way a view or large pages go into a MEM_RESERVE
 * region. Another thread of the process allocating in between would take
 * the range (Windows never maps over anything): VMOSAL_EBUSY, and r is
 * lost if its range cannot even be reserved again. Afterwards r is a
 * fallback reservation, whatever it was. */
static int win_map_whole(struct region *r, const struct win_req *rq)
{
	struct region_piece m;
	int rc;

	/* Through win_api, so that a test can play the other thread. */
	if (!win_api.virtual_free((void *)r->base, 0, MEM_RELEASE))
		return win_last_error();
	r->flags = (r->flags & ~WIN_REGION_PLACEHOLDER) | WIN_REGION_WHOLE;
	rc = win_map_raw(rq, (void *)r->base, WIN_EXACT, &m);
	if (rc == 0) {
		r->pieces[0] = m;
		r->n = 1;
		return 0;
	}
	/* EEXIST here is the race: someone mapped into the gap. */
	if (win_rereserve(r) != 0 || rc == VMOSAL_EEXIST)
		return VMOSAL_EBUSY;
	return rc;
}

/* Merges the FREE placeholders i..j of r into one. On failure they stay
 * apart, still reserved, and the record says so. */
static int win_ph_coalesce(struct region *r, size_t i, size_t j)
{
	uintptr_t start = r->pieces[i].start;
	size_t size = r->pieces[j].start + r->pieces[j].size - start;

	if (i == j)
		return 0;
	if (!win_api.virtual_free((void *)start, size, MEM_RELEASE | MEM_COALESCE_PLACEHOLDERS))
		return win_last_error();
	region_piece_merge(r, i, j);
	return 0;
}

/* Merges the FREE piece i with FREE neighbours, best effort: a split left
 * behind still works, it only takes more pieces. */
static void win_ph_tidy(struct region *r, size_t i)
{
	size_t lo, hi;

	win_record_free_run(r, i, &lo, &hi);
	win_ph_coalesce(r, lo, hi);
}

/* Splits the placeholder piece i of r so that [a, a + size) is a piece of
 * its own; returns its index in *at. Room for two pieces was made, so the
 * record follows each OS split; only indexes are kept across them. */
static int win_ph_split(struct region *r, size_t i, uintptr_t a, size_t size, size_t *at)
{
	uintptr_t start = r->pieces[i].start;

	if (a > start) {
		if (!win_api.virtual_free((void *)start, a - start,
					  MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER))
			return win_last_error();
		region_piece_split(r, i++, a);
	}
	if (size < r->pieces[i].size) {
		if (!win_api.virtual_free((void *)a, size, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER))
			return win_last_error();
		region_piece_split(r, i, a + size);
	}
	*at = i;
	return 0;
}

static int win_map_into_placeholder(struct region *r, const struct win_req *rq, uintptr_t a)
{
	size_t i, j, at = 0;
	struct region_piece p;
	int rc;

	if ((rc = win_record_placeholder_span(r, a, rq->size, win_gran, &i, &j)) != 0 ||
	    (rc = region_piece_room(r, 2)) != 0 || (rc = win_ph_coalesce(r, i, j)) != 0)
		return rc;
	if ((rc = win_ph_split(r, i, a, rq->size, &at)) != 0)
		goto fail;
	if ((rc = win_map_raw(rq, (void *)a, WIN_REPLACE, &p)) != 0) {
		win_ph_tidy(r, region_piece_index(r, a));
		/* Large pages in place of a placeholder may be refused (the
		 * documentation of VirtualAlloc2 and MapViewOfFile3 does not
		 * say they are allowed with MEM_REPLACE_PLACEHOLDER; Wine has
		 * neither to try). For the whole reservation there is the
		 * fallback's way; for a part of it, the error stands. */
		if ((rq->flags & VMOSAL_MAP_HUGETLB) && rc != VMOSAL_EPERM && rc != VMOSAL_ENOMEM &&
		    win_record_whole(r, a, rq->size))
			return win_map_whole(r, rq);
		return rc;
	}
	r->pieces[at] = p;
	return 0;
fail:
	win_ph_tidy(r, region_piece_index(r, a));
	return rc;
}

static int win_map_into_fallback(struct region *r, const struct win_req *rq, uintptr_t a)
{
	const unsigned anon = VMOSAL_MAP_ANONYMOUS | VMOSAL_MAP_PRIVATE;
	bool private_anon = (rq->flags & (anon | VMOSAL_MAP_HUGETLB)) == anon;
	int rc;

	if ((rc = win_record_fallback_free(r, a, rq->size)) != 0)
		return rc;
	if (private_anon) {
		/* Committing pages of a reservation needs no release. */
		struct region_piece c = {.start = a, .size = rq->size, .state = WIN_COMMIT};
		size_t at;

		/* Room before the OS call: the record's update cannot fail
		 * after it. */
		if ((rc = region_piece_room(r, 2)) != 0)
			return rc;
		if (VirtualAlloc((void *)a, rq->size, MEM_COMMIT, win_page_prot(rq->prot, false)) ==
		    NULL)
			return win_map_error(GetLastError());
		/* One FREE piece holds the range (FREE neighbours are always
		 * merged): cut it in up to three. */
		if ((rc = region_piece_carve(r, a, rq->size, &at)) != 0) {
			VirtualFree((void *)a, rq->size, MEM_DECOMMIT);
			return rc;
		}
		r->pieces[at] = c;
		return 0;
	}
	/* A view or large pages cannot go into a MEM_RESERVE region: only a
	 * whole reservation can be given up for one. */
	if (!win_record_whole(r, a, rq->size))
		return VMOSAL_ENOTSUP;
	return win_map_whole(r, rq);
}

int win_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
			 vmosal_handle_t h, int64_t offset)
{
	struct win_req rq = {win_round_page(size), prot, flags, h, offset};
	uintptr_t a = (uintptr_t)addr;
	struct region *r;
	int rc;

	win_mem_ready();
	if ((rc = win_check_flags(prot, flags)) != 0)
		return rc;
	if (flags & VMOSAL_MAP_FIXED_NOREPLACE)
		return VMOSAL_EINVAL;
	AcquireSRWLockExclusive(&win_rec_lock);
	r = win_region_at(a, rq.size);
	if (r == NULL || win_record_type(r) != WIN_RESERVATION)
		rc = VMOSAL_EINVAL;
	else if (win_record_is(r, WIN_REGION_LOST))
		rc = VMOSAL_EBUSY;
	else if (win_record_is(r, WIN_REGION_PLACEHOLDER))
		rc = win_map_into_placeholder(r, &rq, a);
	else
		rc = win_map_into_fallback(r, &rq, a);
	ReleaseSRWLockExclusive(&win_rec_lock);
	if (rc == 0 && (flags & VMOSAL_MAP_POPULATE)) {
		struct region_piece p = {.start = a, .size = rq.size,
				      .flags = (flags & VMOSAL_MAP_ANONYMOUS) ? 0 : WIN_PIECE_FILE};
		win_populate_fresh(&p, prot);
	}
	return rc;
}

int win_mem_unmap(void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr;
	struct region *r;
	struct region_piece *p;
	size_t i;
	int rc = 0;

	win_mem_ready();
	size = win_round_page(size);
	AcquireSRWLockExclusive(&win_rec_lock);
	r = win_region_at(a, size);
	if ((rc = win_record_unmap_piece(r, a, size, &i)) != 0)
		goto out;
	p = &r->pieces[i];
	if (win_record_type(r) == WIN_MAPPING) {
		if (!win_unmap_raw(p, false, false))
			rc = win_last_error();
		else
			win_region_drop(r);
	} else if (win_record_is(r, WIN_REGION_PLACEHOLDER)) {
		if (!win_unmap_raw(p, true, true)) {
			rc = win_last_error();
		} else {
			p->state = WIN_FREE;
			p->flags = 0;
			win_ph_tidy(r, i);
		}
	} else if (win_record_is(r, WIN_REGION_WHOLE)) {
		/* Back to reserved: the same race as mapping it. */
		if (!win_unmap_raw(p, false, false))
			rc = win_last_error();
		else
			rc = win_rereserve(r);
	} else {
		if (!win_unmap_raw(p, false, true)) {
			rc = win_last_error();
		} else {
			/* Merge with FREE neighbours; no OS call needed. */
			size_t lo, hi;

			p->state = WIN_FREE;
			p->flags = 0;
			win_record_free_run(r, i, &lo, &hi);
			region_piece_merge(r, lo, hi);
		}
	}
out:
	ReleaseSRWLockExclusive(&win_rec_lock);
	return rc;
}

int win_mem_protect(void *addr, size_t size, unsigned prot)
{
	uintptr_t a = (uintptr_t)addr, end;
	struct region *r;
	DWORD old;
	int rc;

	if (!win_record_known_prot(prot))
		return VMOSAL_ENOTSUP;
	win_mem_ready();
	size = win_round_page(size);
	end = a + size;
	AcquireSRWLockShared(&win_rec_lock);
	r = win_region_at(a, size);
	rc = r == NULL ? VMOSAL_EINVAL : win_record_range_mapped(r, a, size);
	/* One VirtualProtect per piece: Windows changes one allocation or
	 * view per call. */
	for (size_t i = rc == 0 ? region_piece_index(r, a) : SIZE_MAX;
	     rc == 0 && i < r->n && r->pieces[i].start < end; i++) {
		const struct region_piece *p = &r->pieces[i];
		uintptr_t s = p->start > a ? p->start : a;
		uintptr_t e = p->start + p->size < end ? p->start + p->size : end;

		bool cow = p->flags & WIN_PIECE_COW;

		if (!VirtualProtect((void *)s, e - s, win_page_prot(prot, cow), &old)) {
			DWORD err = GetLastError();

			/* The range is ours and prot valid: a view refusing it
			 * means its access does not allow prot (Windows says
			 * invalid parameter or access denied). */
			rc = p->state == WIN_VIEW && (err == ERROR_INVALID_PARAMETER ||
						     err == ERROR_ACCESS_DENIED)
				     ? VMOSAL_EACCES
				     : win_map_error(err);
		}
	}
	ReleaseSRWLockShared(&win_rec_lock);
	return rc;
}

/* ---- reservations ---- */

static int win_reserve_placeholder(size_t size, size_t alignment, size_t off, uintptr_t *out)
{
	MEM_ADDRESS_REQUIREMENTS req = {.Alignment = alignment};
	MEM_EXTENDED_PARAMETER param = {.Type = MemExtendedParameterAddressRequirements,
					.Pointer = &req};
	uintptr_t base, start;
	size_t head, tail;
	void *p;
	int rc;

	if (off == 0) {
		p = win_api.virtual_alloc2(NULL, NULL, size, MEM_RESERVE | MEM_RESERVE_PLACEHOLDER,
					   PAGE_NOACCESS, alignment > win_gran ? &param : NULL,
					   alignment > win_gran ? 1 : 0);
		if (p != NULL) {
			*out = (uintptr_t)p;
			return 0;
		}
	}
	/* Over-reserve, then split the slack off and release it: the
	 * placeholder holds the range all along, so no one can race us. */
	if (size > SIZE_MAX - alignment)
		return VMOSAL_ENOMEM;
	p = win_api.virtual_alloc2(NULL, NULL, size + alignment,
				   MEM_RESERVE | MEM_RESERVE_PLACEHOLDER, PAGE_NOACCESS, NULL, 0);
	if (p == NULL)
		return win_map_error(GetLastError());
	base = (uintptr_t)p;
	start = win_record_align_start(base, alignment, off);
	head = start - base;
	tail = alignment - head;
	if (head > 0) {
		if (!win_api.virtual_free(p, head, MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)) {
			rc = win_last_error();
			win_api.virtual_free(p, 0, MEM_RELEASE);
			return rc;
		}
		win_api.virtual_free(p, 0, MEM_RELEASE);
	}
	if (tail > 0) {
		if (!win_api.virtual_free((void *)start, size,
					  MEM_RELEASE | MEM_PRESERVE_PLACEHOLDER)) {
			rc = win_last_error();
			win_api.virtual_free((void *)start, 0, MEM_RELEASE);
			return rc;
		}
		win_api.virtual_free((void *)(start + size), 0, MEM_RELEASE);
	}
	*out = start;
	return 0;
}

static int win_reserve_fallback(size_t size, size_t alignment, size_t off, uintptr_t *out)
{
	void *p;

	/* Wine and Windows 10 1803+ align for us, race-free. */
	if (off == 0 && win_os_api.virtual_alloc2 != NULL) {
		MEM_ADDRESS_REQUIREMENTS req = {.Alignment = alignment};
		MEM_EXTENDED_PARAMETER param = {.Type = MemExtendedParameterAddressRequirements,
						.Pointer = &req};

		p = win_os_api.virtual_alloc2(NULL, NULL, size, MEM_RESERVE, PAGE_NOACCESS,
					      alignment > win_gran ? &param : NULL,
					      alignment > win_gran ? 1 : 0);
		if (p != NULL) {
			*out = (uintptr_t)p;
			return 0;
		}
	}
	if (size > SIZE_MAX - alignment)
		return VMOSAL_ENOMEM;
	/* Find an aligned range, give it back and take it again; another
	 * thread may take it in between, so try again then. */
	for (int tries = 0; tries < WIN_RESERVE_TRIES; tries++) {
		uintptr_t start;

		p = VirtualAlloc(NULL, size + alignment, MEM_RESERVE, PAGE_NOACCESS);
		if (p == NULL)
			return win_map_error(GetLastError());
		start = win_record_align_start((uintptr_t)p, alignment, off);
		VirtualFree(p, 0, MEM_RELEASE);
		if (VirtualAlloc((void *)start, size, MEM_RESERVE, PAGE_NOACCESS) != NULL) {
			*out = start;
			return 0;
		}
	}
	return VMOSAL_ENOMEM;
}

int win_mem_reserve(size_t size, size_t alignment, size_t align_offset, void **out)
{
	struct region_piece whole = {.state = WIN_FREE};
	struct region r;
	bool ph;
	int rc;

	win_mem_ready();
	if ((rc = win_record_reserve_args(size, &alignment, align_offset, win_gran)) != 0)
		return rc;
	AcquireSRWLockExclusive(&win_rec_lock);
	ph = win_have_placeholders && !atomic_load(&win_fallback_forced);
	if ((rc = region_room(&win_rec)) != 0)
		goto out;
	rc = ph ? win_reserve_placeholder(size, alignment, align_offset, &whole.start)
		: win_reserve_fallback(size, alignment, align_offset, &whole.start);
	if (rc != 0)
		goto out;
	whole.size = size;
	if (win_record_new(&r, WIN_RESERVATION, &whole) != 0) {
		if (ph)
			win_api.virtual_free((void *)whole.start, 0, MEM_RELEASE);
		else
			VirtualFree((void *)whole.start, 0, MEM_RELEASE);
		rc = VMOSAL_ENOMEM;
		goto out;
	}
	if (ph)
		r.flags |= WIN_REGION_PLACEHOLDER;
	win_region_add(&r);
	*out = (void *)whole.start;
out:
	ReleaseSRWLockExclusive(&win_rec_lock);
	return rc;
}

int win_mem_release(void *addr, size_t size)
{
	struct region *r;
	int rc = 0;
	size_t i;

	win_mem_ready();
	AcquireSRWLockExclusive(&win_rec_lock);
	r = win_region_at((uintptr_t)addr, 1);
	if ((rc = win_record_release_check(r, (uintptr_t)addr, win_round_page(size))) != 0)
		goto out;
	/* Whatever was let go is forgotten, so a failure (only a bug) leaves
	 * a record that still matches the address space. */
	for (i = 0; i < r->n; i++) {
		struct region_piece *p = &r->pieces[i];
		bool ok;

		if (win_record_is(r, WIN_REGION_PLACEHOLDER) && p->state == WIN_FREE)
			ok = win_api.virtual_free((void *)p->start, 0, MEM_RELEASE);
		else if (win_record_is(r, WIN_REGION_PLACEHOLDER | WIN_REGION_WHOLE))
			ok = win_unmap_raw(p, win_record_is(r, WIN_REGION_PLACEHOLDER), false);
		else
			ok = true; /* released with the region below */
		if (!ok) {
			rc = win_last_error();
			break;
		}
	}
	if (rc == 0 &&
	    !win_record_is(r, WIN_REGION_PLACEHOLDER | WIN_REGION_WHOLE | WIN_REGION_LOST) &&
	    !VirtualFree((void *)r->base, 0, MEM_RELEASE))
		rc = win_last_error();
	if (rc == 0)
		win_region_drop(r);
	else
		while (i-- > 0)
			region_piece_remove(r, &r->pieces[0]);
out:
	ReleaseSRWLockExclusive(&win_rec_lock);
	return rc;
}

/* ---- advice, locking, writing back ---- */

/* Gives the memory of private pages back to the OS without ever making
 * them inaccessible: a vCPU thread may touch them meanwhile (decommit and
 * recommit would fault it, and a failed recommit would leave a hole).
 * DiscardVirtualMemory (Windows 8.1 Update; resolved at run time) drops
 * them at once; else MEM_RESET says their data is not wanted, and the OS
 * takes the pages when it needs them. Either way a page reads back as its
 * old data or as zero until written, and a write keeps what it wrote. We
 * never call MEM_RESET_UNDO: it would ask for the old data back, and
 * fails once the OS took a page. */
static int win_discard_private(uintptr_t a, size_t size)
{
	if (win_discard_vm != NULL && win_discard_vm((void *)a, size) == ERROR_SUCCESS)
		return 0;
	/* MEM_RESET ignores the protection, but it must be a valid one. */
	if (VirtualAlloc((void *)a, size, MEM_RESET, PAGE_NOACCESS) == NULL)
		return win_map_error(GetLastError());
	return 0;
}

/* Calls fn on each piece's part of [a, a + size) after ok accepted every
 * piece (so a refusal changes nothing). Runs under the shared lock. */
static int win_each_piece(uintptr_t a, size_t size, int (*ok)(const struct region_piece *, int),
			  int (*fn)(const struct region_piece *, uintptr_t, size_t, int), int arg)
{
	uintptr_t end = a + size;
	struct region *r = win_region_at(a, size);
	size_t first;
	int rc;

	if (r == NULL)
		return VMOSAL_EINVAL;
	if ((rc = win_record_range_mapped(r, a, size)) != 0)
		return rc;
	first = region_piece_index(r, a);
	for (size_t i = first; i < r->n && r->pieces[i].start < end; i++)
		if ((rc = ok(&r->pieces[i], arg)) != 0)
			return rc;
	for (size_t i = first; fn != NULL && i < r->n && r->pieces[i].start < end; i++) {
		const struct region_piece *p = &r->pieces[i];
		uintptr_t s = p->start > a ? p->start : a;
		uintptr_t e = p->start + p->size < end ? p->start + p->size : end;

		if ((rc = fn(p, s, e - s, arg)) != 0)
			return rc;
	}
	return 0;
}

static int win_advice_do(const struct region_piece *p, uintptr_t a, size_t size, int advice)
{
	if (advice == VMOSAL_MADV_DONTNEED) {
		if (win_record_private_anon(p))
			return win_discard_private(a, size);
		/* Shared pages keep their data: this drops them from the
		 * working set, which unlocking pages that are not locked does.
		 * Pages that were locked are locked again. */
		if (VirtualUnlock((void *)a, size))
			return VirtualLock((void *)a, size) ? 0 : win_last_error();
		return GetLastError() == ERROR_NOT_LOCKED ? 0 : win_last_error();
	}
	if (advice == VMOSAL_MADV_FREE)
		return win_discard_private(a, size);
	return 0;
}

/* True when every page of [a, a + size) is committed and writable. */
static bool win_writable(uintptr_t a, size_t size)
{
	const DWORD w = PAGE_READWRITE | PAGE_WRITECOPY | PAGE_EXECUTE_READWRITE |
			PAGE_EXECUTE_WRITECOPY;
	uintptr_t end = a + size;

	while (a < end) {
		MEMORY_BASIC_INFORMATION mbi;

		if (VirtualQuery((void *)a, &mbi, sizeof mbi) == 0 || mbi.State != MEM_COMMIT ||
		    (mbi.Protect & w) == 0 || (mbi.Protect & PAGE_GUARD) != 0)
			return false;
		a = (uintptr_t)mbi.BaseAddress + mbi.RegionSize;
	}
	return true;
}

int win_mem_advise(void *addr, size_t size, int advice)
{
	uintptr_t a = (uintptr_t)addr;
	int rc;

	win_mem_ready();
	size = win_round_page(size);
	switch (advice) {
	case VMOSAL_MADV_WILLNEED:
	case VMOSAL_MADV_DONTNEED:
	case VMOSAL_MADV_FREE:
	case VMOSAL_MADV_POPULATE_WRITE:
	/* A child process never shares our pages: there is no fork. */
	case VMOSAL_MADV_DONTFORK:
		break;
	default:
		/* No transparent huge pages, no merging control, no core dump
		 * filter, no fork on Windows; and advice unknown to us. */
		return VMOSAL_ENOTSUP;
	}
	if (advice == VMOSAL_MADV_WILLNEED && win_prefetch == NULL)
		return VMOSAL_ENOTSUP;
	AcquireSRWLockShared(&win_rec_lock);
	rc = win_each_piece(a, size, win_record_advice_ok, win_advice_do, advice);
	if (rc == 0 && advice == VMOSAL_MADV_POPULATE_WRITE && !win_writable(a, size))
		rc = VMOSAL_EACCES;
	ReleaseSRWLockShared(&win_rec_lock);
	if (rc != 0)
		return rc;
	if (advice == VMOSAL_MADV_WILLNEED) {
		WIN32_MEMORY_RANGE_ENTRY e = {addr, size};

		return win_prefetch(GetCurrentProcess(), 1, &e, 0) ? 0 : win_last_error();
	}
	/* Committed memory is backed already: touching cannot run out. */
	if (advice == VMOSAL_MADV_POPULATE_WRITE)
		win_touch(addr, size, true);
	return 0;
}

static int win_lock_error(void)
{
	DWORD err = GetLastError();

	return err == ERROR_WORKING_SET_QUOTA ? VMOSAL_ENOMEM : win_error_from(err);
}

/* Windows locks no more pages than the process's minimum working set
 * holds (less a few of its own), 1-2 MB by default: past that VirtualLock
 * fails with ERROR_WORKING_SET_QUOTA. Grows the minimum and maximum by the
 * range, then tries again; they stay grown, as a VMM locks for its life. */
int win_mem_lock(void *addr, size_t size)
{
	HANDLE self = GetCurrentProcess();
	SIZE_T min, max, more;
	DWORD flags;

	win_mem_ready();
	if (win_api.virtual_lock(addr, size))
		return 0;
	if (GetLastError() != ERROR_WORKING_SET_QUOTA)
		return win_lock_error();
	/* The pages the range touches, one more where it straddles. */
	more = win_round_page(size) + win_page;
	if (more < size || !win_api.get_working_set(self, &min, &max, &flags) ||
	    more > SIZE_MAX - max)
		return VMOSAL_ENOMEM;
	if (!win_api.set_working_set(self, min + more, max + more, flags))
		return VMOSAL_ENOMEM;
	return win_api.virtual_lock(addr, size) ? 0 : win_lock_error();
}

int win_mem_unlock(void *addr, size_t size)
{
	/* Unlocking pages that are not locked is no error on POSIX. */
	if (VirtualUnlock(addr, size) || GetLastError() == ERROR_NOT_LOCKED)
		return 0;
	return win_lock_error();
}

static int win_sync_ok(const struct region_piece *p, int flags)
{
	(void)p;
	(void)flags;
	return 0;
}

static int win_sync_do(const struct region_piece *p, uintptr_t a, size_t size, int flags)
{
	/* Private memory has nothing to write back (msync succeeds on it). */
	if (p->state != WIN_VIEW)
		return 0;
	if (!FlushViewOfFile((void *)a, size))
		return win_last_error();
	if ((flags & VMOSAL_MS_SYNC) && p->data != NULL && !FlushFileBuffers(p->data))
		return win_last_error();
	return 0;
}

int win_mem_sync(void *addr, size_t size, unsigned flags)
{
	int rc;

	/* INVALIDATE needs nothing: all views of a section share its pages. */
	if ((flags & ~(VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC | VMOSAL_MS_INVALIDATE)) != 0)
		return VMOSAL_ENOTSUP;
	win_mem_ready();
	AcquireSRWLockShared(&win_rec_lock);
	rc = win_each_piece((uintptr_t)addr, win_round_page(size), win_sync_ok, win_sync_do,
			    (int)flags);
	ReleaseSRWLockShared(&win_rec_lock);
	return rc;
}

int win_huge_page_sizes(struct vmosal_backend_huge_page_sizes *out)
{
	size_t large = GetLargePageMinimum();
	MEMORYSTATUSEX ms = {.dwLength = sizeof ms};

	out->thp_mode = VMOSAL_THP_UNAVAILABLE;
	out->thp_size = 0;
	if (large == 0)
		return 0;
	if (!GlobalMemoryStatusEx(&ms))
		return win_last_error();
	/* Windows keeps no pool: large pages come from free physical memory
	 * when asked for, so these are upper bounds (fragmentation may leave
	 * fewer contiguous ones). */
	out->huge_default = large;
	out->huge_count = 1;
	out->huge[0].page_size = large;
	out->huge[0].total = ms.ullTotalPhys / large;
	out->huge[0].free = ms.ullAvailPhys / large;
	return 0;
}

static int win_populate_ok(const struct region_piece *p, int unused)
{
	(void)p;
	(void)unused;
	return 0;
}

int win_mem_populate(void *addr, size_t size)
{
	int rc;

	win_mem_ready();
	size = win_round_page(size);
	AcquireSRWLockShared(&win_rec_lock);
	rc = win_each_piece((uintptr_t)addr, size, win_populate_ok, NULL, 0);
	if (rc == 0 && !win_writable((uintptr_t)addr, size))
		rc = VMOSAL_EACCES;
	ReleaseSRWLockShared(&win_rec_lock);
	/* Outside the lock: the core runs this under its fault guard, which
	 * may leave by a jump that would leave the lock held. */
	if (rc == 0)
		win_touch(addr, size, true);
	return rc;
}

/* ---- shared memory and code buffers ---- */

int win_shm_create(const char *name, uint64_t size, unsigned flags, unsigned huge_page_shift,
		   vmosal_handle_t *out)
{
	SECURITY_ATTRIBUTES sa = {.nLength = sizeof sa, .bInheritHandle = FALSE};
	DWORD prot = PAGE_READWRITE | SEC_COMMIT;
	HANDLE h;
	int rc;

	/* A named section would sit in a namespace other processes can open
	 * and collide in; the name only labels the object for people. */
	(void)name;
	if ((flags & ~(VMOSAL_SHM_HUGETLB | VMOSAL_SHM_SEAL)) != 0)
		return VMOSAL_ENOTSUP;
	if (flags & VMOSAL_SHM_HUGETLB) {
		size_t large = GetLargePageMinimum();

		if (!win_record_large_size(huge_page_shift, large))
			return VMOSAL_ENOTSUP;
		if (size % large != 0)
			return VMOSAL_EINVAL;
		if ((rc = win_large_page_privilege()) != 0)
			return rc;
		prot |= SEC_LARGE_PAGES;
	}
	/* SEAL needs nothing more: a paging-file section never changes size.
	 * It is not executable: code goes through jit_map. */
	h = CreateFileMappingW(INVALID_HANDLE_VALUE, &sa, prot, (DWORD)(size >> 32), (DWORD)size,
			       NULL);
	if (h == NULL)
		return win_map_error(GetLastError());
	*out = h;
	return 0;
}

static int win_jit_error(DWORD err)
{
	/* Arbitrary Code Guard forbids executable memory not from images. */
	return err == ERROR_DYNAMIC_CODE_BLOCKED ? VMOSAL_ENOTSUP : win_map_error(err);
}

int win_jit_map(size_t size, void **rw, void **rx)
{
	struct region rr, rxr;
	struct region_piece p = {.state = WIN_VIEW};
	void *w = NULL, *x = NULL;
	HANDLE s;
	int rc;

	win_mem_ready();
	size = win_round_page(size);
	s = CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_EXECUTE_READWRITE | SEC_COMMIT,
			       (DWORD)((uint64_t)size >> 32), (DWORD)size, NULL);
	if (s == NULL)
		return win_jit_error(GetLastError());
	w = MapViewOfFile(s, FILE_MAP_WRITE, 0, 0, size);
	/* The view's own access forbids writing through rx, whatever
	 * VirtualProtect is asked later. */
	x = w != NULL ? MapViewOfFile(s, FILE_MAP_READ | FILE_MAP_EXECUTE, 0, 0, size) : NULL;
	rc = x != NULL ? 0 : win_jit_error(GetLastError());
	CloseHandle(s);
	AcquireSRWLockExclusive(&win_rec_lock);
	if (rc == 0 && (rc = region_room(&win_rec)) == 0) {
		p.start = (uintptr_t)w;
		p.size = size;
		if (win_record_new(&rr, WIN_JIT, &p) != 0) {
			rc = VMOSAL_ENOMEM;
		} else {
			win_region_add(&rr);
			p.start = (uintptr_t)x;
			if (region_room(&win_rec) != 0 || win_record_new(&rxr, WIN_JIT, &p) != 0) {
				win_region_drop(win_region_at((uintptr_t)w, size));
				rc = VMOSAL_ENOMEM;
			} else {
				win_region_add(&rxr);
			}
		}
	}
	ReleaseSRWLockExclusive(&win_rec_lock);
	if (rc != 0) {
		if (x != NULL)
			UnmapViewOfFile(x);
		if (w != NULL)
			UnmapViewOfFile(w);
		return rc;
	}
	*rw = w;
	*rx = x;
	return 0;
}

int win_jit_unmap(void *rw, void *rx, size_t size)
{
	struct region *r, *x;
	int rc = 0;

	win_mem_ready();
	size = win_round_page(size);
	AcquireSRWLockExclusive(&win_rec_lock);
	r = win_region_at((uintptr_t)rw, size);
	x = win_region_at((uintptr_t)rx, size);
	if ((rc = win_record_jit_check(r, x, (uintptr_t)rw, (uintptr_t)rx, size)) != 0)
		goto out;
	if (!UnmapViewOfFile(rw)) {
		rc = win_last_error();
		goto out;
	}
	win_region_drop(r);
	/* Dropping r moved the array: look rx up again. */
	x = win_region_at((uintptr_t)rx, size);
	if (!UnmapViewOfFile(rx))
		rc = win_last_error();
	else
		win_region_drop(x);
out:
	ReleaseSRWLockExclusive(&win_rec_lock);
	return rc;
}

/* win_jit_map always makes two views (a section mapped twice), rw always
 * writable, so a write window only checks them: distinct, page-aligned,
 * whole pages. */
static int win_jit_views(void *rw, void *rx, size_t size)
{
	if (rw == rx || ((uintptr_t)rw | (uintptr_t)rx | size) % 4096u != 0)
		return VMOSAL_EINVAL;
	return 0;
}

int win_jit_write_begin(void *rw, void *rx, size_t size)
{
	return win_jit_views(rw, rx, size);
}

int win_jit_write_end(void *rw, void *rx, size_t size)
{
	return win_jit_views(rw, rx, size);
}

int win_icache_flush(void *addr, size_t size)
{
	return FlushInstructionCache(GetCurrentProcess(), addr, size) ? 0 : win_last_error();
}

static int win_discard_ok(const struct region_piece *p, int unused)
{
	(void)unused;
	return win_record_discard_ok(p);
}

static int win_discard_do(const struct region_piece *p, uintptr_t a, size_t size, int unused)
{
	(void)p;
	(void)unused;
	return win_discard_private(a, size);
}

int win_mem_discard(void *addr, size_t size, vmosal_handle_t h, int64_t offset)
{
	int rc;

	/* The record knows the backing; the object adds nothing here. */
	(void)h;
	(void)offset;
	win_mem_ready();
	AcquireSRWLockShared(&win_rec_lock);
	rc = win_each_piece((uintptr_t)addr, win_round_page(size), win_discard_ok, win_discard_do,
			    0);
	ReleaseSRWLockShared(&win_rec_lock);
	return rc;
}

size_t win_mem_regions(void)
{
	size_t n;

	AcquireSRWLockShared(&win_rec_lock);
	n = win_rec.n;
	ReleaseSRWLockShared(&win_rec_lock);
	return n;
}
