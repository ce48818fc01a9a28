/* POSIX memory mapping shared by the POSIX backends: translation of the
 * portable prot/flags, checks of a file's access mode, the record of
 * reservations, and the SIGBUS guard that turns a failed page fault into
 * VMOSAL_ENOMEM.
 *
 * The record (backends/common/region.c) makes memory.h's reservation
 * contract the one Windows keeps, where POSIX alone would let MAP_FIXED
 * replace anything without a word:
 *   - mem_map_reserved maps only inside one recorded reservation
 *     (VMOSAL_EINVAL elsewhere) and never over a piece mapped there
 *     (VMOSAL_EEXIST);
 *   - mem_unmap of a range that touches a reservation takes exactly one
 *     such piece, which becomes reserved again (VMOSAL_EINVAL otherwise);
 *   - mem_map with FIXED over any part of a reservation is VMOSAL_EINVAL;
 *   - mem_release takes exactly one recorded reservation, pieces and all,
 *     and forgets it: a second release is VMOSAL_EINVAL.
 * The lock is held only around the record, never across an OS call: a
 * piece being mapped or unmapped is marked so meanwhile, and another call
 * over it, or a release of its reservation, sees it as taken (EEXIST,
 * EINVAL, or VMOSAL_EBUSY for the release). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "posix.h"
#include "region.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS MAP_ANON
#endif

/* ---- the record of reservations ---- */

enum { POSIX_PIECE_MAPPED, POSIX_PIECE_MAPPING, POSIX_PIECE_UNMAPPING };

static pthread_mutex_t posix_rec_lock = PTHREAD_MUTEX_INITIALIZER;
static struct region_set posix_rec;

/* Held over fork so that the child's copy is whole and its lock free. */
static void posix_rec_prepare(void)
{
	pthread_mutex_lock(&posix_rec_lock);
}

static void posix_rec_parent(void)
{
	pthread_mutex_unlock(&posix_rec_lock);
}

static void posix_rec_child(void)
{
	/* The threads that were mapping or unmapping pieces are gone; each
	 * such range is now mapped or reserved, and unmapping or releasing
	 * either is right, so it counts as mapped. */
	for (size_t i = 0; i < posix_rec.n; i++)
		for (size_t k = 0; k < posix_rec.v[i].n; k++)
			posix_rec.v[i].pieces[k].state = POSIX_PIECE_MAPPED;
	pthread_mutex_unlock(&posix_rec_lock);
}

__attribute__((constructor)) static void posix_rec_register_fork(void)
{
	pthread_atfork(posix_rec_prepare, posix_rec_parent, posix_rec_child);
}

static size_t posix_page(void)
{
	static atomic_size_t page;
	size_t v = atomic_load_explicit(&page, memory_order_relaxed);
	long p;

	if (v == 0 && (p = sysconf(_SC_PAGESIZE)) > 0)
		atomic_store_explicit(&page, v = (size_t)p, memory_order_relaxed);
	return v != 0 ? v : 4096;
}

/* The core checked that the range does not wrap, rounded up too. */
static size_t posix_round_page(size_t size)
{
	size_t page = posix_page();

	return (size + page - 1) & ~(page - 1);
}

/* Ends a piece's mapping (mapped true: it now holds memory) or unmapping
 * (mapped true: it failed and still does). */
static void posix_rec_settle(uintptr_t a, size_t len, bool mapped)
{
	struct region *r;
	struct region_piece *p;

	pthread_mutex_lock(&posix_rec_lock);
	r = region_holding(&posix_rec, a, len);
	p = r != NULL ? region_piece_exact(r, a, len) : NULL;
	if (p != NULL) {
		if (mapped)
			p->state = POSIX_PIECE_MAPPED;
		else
			region_piece_remove(r, p);
	}
	pthread_mutex_unlock(&posix_rec_lock);
}

static bool posix_rec_overlaps(uintptr_t a, size_t len)
{
	bool hit;

	pthread_mutex_lock(&posix_rec_lock);
	hit = posix_rec.n != 0 && region_overlaps(&posix_rec, a, len);
	pthread_mutex_unlock(&posix_rec_lock);
	return hit;
}

/* ---- translation ---- */

/* False for prot bits this backend does not know (VMOSAL_ENOTSUP). */
static bool posix_known_prot(unsigned prot)
{
	return (prot & ~(VMOSAL_PROT_READ | VMOSAL_PROT_WRITE | VMOSAL_PROT_EXEC)) == 0;
}

/* VMOSAL_PROT_* to PROT_*; unknown bits were refused by posix_known_prot. */
static int posix_prot(unsigned prot)
{
	int p = PROT_NONE;

	if (prot & VMOSAL_PROT_READ)
		p |= PROT_READ;
	if (prot & VMOSAL_PROT_WRITE)
		p |= PROT_WRITE;
	if (prot & VMOSAL_PROT_EXEC)
		p |= PROT_EXEC;
	return p;
}

/* Every mapping of a file needs it open for reading; a shared writable one
 * needs read-write. Checked first so the caller gets EACCES, not a mapping
 * that faults. */
static int posix_check_fd_access(int fd, unsigned prot, unsigned flags)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return posix_last_error();
	if ((fl & O_ACCMODE) == O_WRONLY)
		return VMOSAL_EACCES;
	if ((prot & VMOSAL_PROT_WRITE) && (flags & VMOSAL_MAP_SHARED) && (fl & O_ACCMODE) != O_RDWR)
		return VMOSAL_EACCES;
	return 0;
}

int posix_mmap(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
	       int64_t offset, int native_flags, void **out)
{
	const unsigned generic = VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS |
				 VMOSAL_MAP_FIXED | VMOSAL_MAP_FIXED_NOREPLACE |
				 POSIX_MAP_INTO_RESERVATION;
	int f = native_flags;
	void *p;
	int rc;

	if ((flags & ~generic) != 0 || !posix_known_prot(prot))
		return VMOSAL_ENOTSUP;
	/* Replacing a reservation's pages would break its record. */
	if ((flags & (VMOSAL_MAP_FIXED | POSIX_MAP_INTO_RESERVATION)) == VMOSAL_MAP_FIXED &&
	    posix_rec_overlaps((uintptr_t)addr, posix_round_page(size)))
		return VMOSAL_EINVAL;
	if (!(flags & VMOSAL_MAP_ANONYMOUS) && (rc = posix_check_fd_access(fd, prot, flags)) != 0)
		return rc;
	f |= (flags & VMOSAL_MAP_SHARED) ? MAP_SHARED : MAP_PRIVATE;
	if (flags & VMOSAL_MAP_ANONYMOUS)
		f |= MAP_ANONYMOUS;
	if (flags & VMOSAL_MAP_FIXED)
		f |= MAP_FIXED;
	p = mmap(addr, size, posix_prot(prot), f, (flags & VMOSAL_MAP_ANONYMOUS) ? -1 : fd,
		 (off_t)offset);
	if (p == MAP_FAILED)
		return posix_last_error();
	/* Kernels without a native no-replace flag (or that ignore it) treat
	 * the address as a hint: a different answer means the range was taken. */
	if ((flags & VMOSAL_MAP_FIXED_NOREPLACE) && p != addr) {
		/* Our own fresh mapping: munmap of it fails only on a bug. */
		if (munmap(p, size) != 0)
			return posix_last_error();
		return VMOSAL_EEXIST;
	}
	*out = p;
	return 0;
}

/* Puts [addr, addr + size) back to reserved after a MAP_FIXED mapping into
 * it failed (the kernel may already have dropped the old pages), or when a
 * piece mapped into it is unmapped. */
static int posix_mem_rereserve(void *addr, size_t size)
{
	void *p = mmap(addr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		       -1, 0);
	return p == MAP_FAILED ? posix_last_error() : 0;
}

int posix_mem_unmap(void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr;
	size_t len = posix_round_page(size);
	struct region *r;
	struct region_piece *p = NULL;
	int rc;

	pthread_mutex_lock(&posix_rec_lock);
	if (posix_rec.n == 0 || !region_overlaps(&posix_rec, a, len)) {
		pthread_mutex_unlock(&posix_rec_lock);
		return munmap(addr, size) == 0 ? 0 : posix_last_error();
	}
	/* Inside a reservation: exactly one piece, as Windows can. */
	r = region_holding(&posix_rec, a, len);
	if (r != NULL)
		p = region_piece_exact(r, a, len);
	if (p == NULL || p->state != POSIX_PIECE_MAPPED) {
		pthread_mutex_unlock(&posix_rec_lock);
		return VMOSAL_EINVAL;
	}
	p->state = POSIX_PIECE_UNMAPPING;
	pthread_mutex_unlock(&posix_rec_lock);
	rc = posix_mem_rereserve(addr, len);
	posix_rec_settle(a, len, rc != 0);
	return rc;
}

void posix_unmap_own(void *addr, size_t size)
{
	/* Whole mappings need no split, so this fails only on a bug; say so
	 * rather than hide it. */
	if (munmap(addr, size) != 0 && posix_core != NULL)
		posix_core->debug("memory", "munmap(%p, %zu) of our own mapping failed: %s", addr,
				  size, posix_core->strerror(posix_last_error()));
}

int posix_mem_reserve(size_t size, size_t alignment, size_t align_offset, void **out)
{
	long page = sysconf(_SC_PAGESIZE);
	/* mmap's own alignment serves when the page size is enough. */
	size_t slack = page > 0 && alignment > (size_t)page ? alignment : 0;
	uintptr_t base, start;
	size_t head, tail;
	void *p;
	int rc;

	if (size > SIZE_MAX - slack)
		return VMOSAL_ENOMEM;
	p = mmap(NULL, size + slack, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0);
	if (p == MAP_FAILED)
		return posix_last_error();
	base = (uintptr_t)p;
	/* The first start >= base where start + align_offset is aligned. */
	start = base;
	if (slack != 0)
		start = ((base + align_offset + alignment - 1) & ~((uintptr_t)alignment - 1)) -
			align_offset;
	head = start - base;
	tail = slack - head;
	/* Trimming splits our own mapping, and fails only at the process's
	 * map count limit: then all of it goes back, nothing half-done. */
	if (head > 0 && munmap(p, head) != 0) {
		rc = posix_last_error();
		posix_unmap_own(p, size + slack);
		return rc;
	}
	if (tail > 0 && munmap((void *)(start + size), tail) != 0) {
		rc = posix_last_error();
		posix_unmap_own((void *)start, size + tail);
		return rc;
	}
	pthread_mutex_lock(&posix_rec_lock);
	/* The OS handed out this range, so a reservation recorded over it
	 * was let go behind the record's back (a raw munmap): stale. */
	if (region_forget(&posix_rec, start, size) != 0 && posix_core != NULL)
		posix_core->debug("memory", "%p+%zu: a reservation there was unmapped without "
				  "vmosal_mem_release", (void *)start, size);
	rc = region_add(&posix_rec, start, size);
	pthread_mutex_unlock(&posix_rec_lock);
	if (rc != 0) {
		posix_unmap_own((void *)start, size);
		return rc;
	}
	*out = (void *)start;
	return 0;
}

int posix_map_into_reservation(posix_map_fn map, void *addr, size_t size, unsigned prot,
			       unsigned flags, vmosal_handle_t fd, int64_t offset)
{
	uintptr_t a = (uintptr_t)addr;
	size_t len = posix_round_page(size);
	struct region *r;
	void *p;
	int rc;

	pthread_mutex_lock(&posix_rec_lock);
	r = region_holding(&posix_rec, a, len);
	rc = r == NULL ? VMOSAL_EINVAL : region_piece_add(r, a, len, POSIX_PIECE_MAPPING);
	pthread_mutex_unlock(&posix_rec_lock);
	if (rc != 0)
		return rc;
	rc = map(addr, size, prot, flags | VMOSAL_MAP_FIXED | POSIX_MAP_INTO_RESERVATION, fd,
		 offset, &p);
	if (rc != 0 && posix_mem_rereserve(addr, len) != 0)
		posix_core->debug("memory", "%p+%zu: could not be put back to reserved", addr,
				  size);
	posix_rec_settle(a, len, rc == 0);
	return rc;
}

int posix_mem_release(void *addr, size_t size)
{
	uintptr_t a = (uintptr_t)addr;
	size_t len = posix_round_page(size);
	struct region *r;
	struct region gone;
	int rc = 0;

	pthread_mutex_lock(&posix_rec_lock);
	r = region_holding(&posix_rec, a, len);
	if (r == NULL || r->base != a || r->size != len)
		rc = VMOSAL_EINVAL;
	else if (!region_pieces_all(r, POSIX_PIECE_MAPPED))
		rc = VMOSAL_EBUSY; /* another thread is mapping into it now */
	else
		region_take(&posix_rec, r, &gone);
	pthread_mutex_unlock(&posix_rec_lock);
	if (rc != 0)
		return rc;
	/* Forgotten first: once unmapped, the range may be reserved again
	 * by another thread, whose record must not meet this one. */
	if (munmap(addr, len) != 0) {
		rc = posix_last_error();
		pthread_mutex_lock(&posix_rec_lock);
		if (region_put(&posix_rec, &gone) != 0) {
			region_free(&gone);
			if (posix_core != NULL)
				posix_core->debug("memory", "%p+%zu: not released, and no longer "
						  "recorded", addr, len);
		}
		pthread_mutex_unlock(&posix_rec_lock);
		return rc;
	}
	region_free(&gone);
	return 0;
}

int posix_mem_protect(void *addr, size_t size, unsigned prot)
{
	if (!posix_known_prot(prot))
		return VMOSAL_ENOTSUP;
	return mprotect(addr, size, posix_prot(prot)) == 0 ? 0 : posix_last_error();
}

int posix_mem_lock(void *addr, size_t size)
{
	return mlock(addr, size) == 0 ? 0 : posix_last_error();
}

int posix_mem_unlock(void *addr, size_t size)
{
	return munlock(addr, size) == 0 ? 0 : posix_last_error();
}

int posix_mem_sync(void *addr, size_t size, unsigned flags)
{
	int f = (flags & VMOSAL_MS_SYNC) ? MS_SYNC : MS_ASYNC;

	if ((flags & ~(VMOSAL_MS_ASYNC | VMOSAL_MS_SYNC | VMOSAL_MS_INVALIDATE)) != 0)
		return VMOSAL_ENOTSUP;
	if (flags & VMOSAL_MS_INVALIDATE)
		f |= MS_INVALIDATE;
	return msync(addr, size, f) == 0 ? 0 : posix_last_error();
}

int posix_jit_unmap(void *rw, void *rx, size_t size)
{
	/* Both are tried: one refused view must not leak the other. */
	int rc = posix_mem_unmap(rw, size);
	int rc2 = rx != rw ? posix_mem_unmap(rx, size) : 0;

	return rc != 0 ? rc : rc2;
}

int posix_jit_write_begin(void *rw, void *rx, size_t size)
{
	size_t page = posix_page();

	/* Two views: rw is always writable, so only the views are checked. */
	if (rw == rx || ((uintptr_t)rw | (uintptr_t)rx | size) % page != 0)
		return VMOSAL_EINVAL;
	return 0;
}

int posix_jit_write_end(void *rw, void *rx, size_t size)
{
	return posix_jit_write_begin(rw, rx, size);
}

void posix_shm_name(char *buf, size_t len, long pid, unsigned serial)
{
	/* 7 + 10 + 1 + 10 characters at most: within Darwin's 31. */
	snprintf(buf, len, "/vmosal.%lu.%u", (unsigned long)pid & 0xffffffffu, serial);
}

#ifndef HAVE_SHM_OPEN
/* Android's bionic has no shm_open; its backend (Linux) uses memfd. */
int posix_shm_create_unnamed(uint64_t size, vmosal_handle_t *out)
{
	(void)size;
	(void)out;
	return VMOSAL_ENOTSUP;
}
#else
int posix_shm_create_unnamed(uint64_t size, vmosal_handle_t *out)
{
	static atomic_uint serial;
	char name[POSIX_SHM_NAME_MAX + 1];
	int fd, rc;

	if (size > (uint64_t)INT64_MAX)
		return VMOSAL_EOVERFLOW;
	/* A name another process took (a pid reused, a crashed run) is
	 * skipped; O_EXCL keeps us from opening someone else's object. */
	for (int tries = 0;; tries++) {
		posix_shm_name(name, sizeof name, (long)getpid(), atomic_fetch_add(&serial, 1));
		fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0 || errno != EEXIST || tries == 64)
			break;
	}
	if (fd < 0)
		return errno == ENOSYS ? VMOSAL_ENOTSUP : posix_last_error();
	/* Nameless from here on: only descriptors reach it, as with a memfd. */
	shm_unlink(name);
	/* shm_open sets FD_CLOEXEC by POSIX; said again for older systems. */
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || ftruncate(fd, (off_t)size) != 0) {
		rc = posix_last_error();
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}
#endif

/* Read and write back one byte per step: faults the pages in writable
 * without changing what a file or a peer already put there. A page the OS
 * cannot back raises SIGBUS here; the core runs this inside its fault
 * guard, which turns that into VMOSAL_ENOMEM. */
void posix_touch_pages(void *addr, size_t size, size_t step)
{
	volatile char *p = addr;
	char *end = (char *)addr + size;

	for (; (char *)p < end; p += step)
		*p = *p;
}
