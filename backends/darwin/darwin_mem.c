/* Darwin memory: the map flags Darwin has, its advice, prefaulting by
 * touch, POSIX shared memory, and MAP_JIT code buffers. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>
#include <libkern/OSCacheControl.h>
#include <mach/mach.h>
#include <TargetConditionals.h>
#if TARGET_OS_OSX
/* The iOS SDK withholds mach_vm.h; only macOS builds the double map. */
#include <mach/mach_vm.h>
#endif

#include "darwin.h"

int darwin_mem_map(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
		   int64_t offset, void **out)
{
	/* Darwin commits nothing up front, so NORESERVE is what it does
	 * anyway. POPULATE and HUGETLB stay in flags: posix_mmap answers
	 * VMOSAL_ENOTSUP, never a mapping without them. FIXED_NOREPLACE is
	 * a hint checked after the call. */
	flags &= ~VMOSAL_MAP_NORESERVE;
	return posix_mmap(addr, size, prot, flags, fd, offset, 0, out);
}

int darwin_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
			    vmosal_handle_t fd, int64_t offset)
{
	return posix_map_into_reservation(darwin_mem_map, addr, size, prot, flags, fd, offset);
}

int darwin_mem_advise(void *addr, size_t size, int advice)
{
	int native;

	switch (advice) {
	case VMOSAL_MADV_WILLNEED:
		native = MADV_WILLNEED;
		break;
	case VMOSAL_MADV_FREE:
		native = MADV_FREE;
		break;
	default:
		/* Darwin's MADV_DONTNEED leaves the contents (no zeroes), and
		 * there is no THP, KSM, dump or fork advice: refused, never
		 * a silent no-op. */
		return VMOSAL_ENOTSUP;
	}
	if (madvise(addr, size, native) == 0)
		return 0;
	return errno == EINVAL ? VMOSAL_ENOTSUP : posix_last_error();
}

int darwin_mem_populate(void *addr, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);

	/* No MADV_POPULATE_WRITE: touch every page, inside the core's
	 * fault guard, which turns a SIGBUS into VMOSAL_ENOMEM. */
	posix_touch_pages(addr, size, page > 0 ? (size_t)page : 16384);
	return 0;
}

int darwin_shm_create(const char *name, uint64_t size, unsigned flags,
		      unsigned huge_page_shift, vmosal_handle_t *out)
{
	/* No huge pages for POSIX shared memory here. SEAL needs nothing
	 * more: Darwin sizes a shm_open object once, and refuses every later
	 * ftruncate (EINVAL), so no process can shrink or grow it. The
	 * label has nowhere to go: the object is unlinked at once. */
	(void)name;
	(void)huge_page_shift;
	if ((flags & ~VMOSAL_SHM_SEAL) != 0)
		return VMOSAL_ENOTSUP;
	return posix_shm_create_unnamed(size, out);
}

/* ---- W^X code buffers ---- */

#if TARGET_OS_OSX

/* Apple silicon: one MAP_JIT mapping whose writability is switched per
 * thread (pthread_jit_write_protect_np). The page is never writable and
 * executable for one thread at once, but both views are one address. */
static int darwin_jit_map_toggled(size_t size, void **rw, void **rx)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANON | MAP_JIT, -1, 0);

	if (p == MAP_FAILED)
		/* Hardened runtime without com.apple.security.cs.allow-jit. */
		return errno == EPERM || errno == EACCES ? VMOSAL_ENOTSUP : posix_last_error();
	*rw = p;
	*rx = p;
	return 0;
}

/* Intel: MAP_JIT (what the hardened runtime allows to be executable) seen
 * a second time through mach_vm_remap; each view then loses the right it
 * must not have. */
static int darwin_jit_map_double(size_t size, void **rw, void **rx)
{
	mach_vm_address_t alias = 0;
	vm_prot_t cur = VM_PROT_NONE, max = VM_PROT_NONE;
	kern_return_t kr;
	void *x = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
		       MAP_PRIVATE | MAP_ANON | MAP_JIT, -1, 0);
	int rc;

	if (x == MAP_FAILED)
		return errno == EPERM || errno == EACCES ? VMOSAL_ENOTSUP : posix_last_error();
	/* copy FALSE: the alias shares the pages, it is not a snapshot. */
	kr = mach_vm_remap(mach_task_self(), &alias, size, 0, VM_FLAGS_ANYWHERE, mach_task_self(),
			   (mach_vm_address_t)(uintptr_t)x, FALSE, &cur, &max, VM_INHERIT_NONE);
	if (kr != KERN_SUCCESS) {
		posix_unmap_own(x, size);
		return kr == KERN_RESOURCE_SHORTAGE || kr == KERN_NO_SPACE ? VMOSAL_ENOMEM
									  : VMOSAL_ENOTSUP;
	}
	if (mprotect((void *)(uintptr_t)alias, size, PROT_READ | PROT_WRITE) != 0 ||
	    mprotect(x, size, PROT_READ | PROT_EXEC) != 0) {
		rc = posix_last_error();
		posix_unmap_own((void *)(uintptr_t)alias, size);
		posix_unmap_own(x, size);
		return rc;
	}
	*rw = (void *)(uintptr_t)alias;
	*rx = x;
	return 0;
}

int darwin_jit_map(size_t size, void **rw, void **rx)
{
	if (pthread_jit_write_protect_supported_np())
		return darwin_jit_map_toggled(size, rw, rx);
	return darwin_jit_map_double(size, rw, rx);
}

int darwin_icache_flush(void *addr, size_t size)
{
	/* Leaves the thread's write window alone: vmosal_jit_write_end
	 * closes it, and a flush inside a window must not end it under the
	 * writer. */
	sys_icache_invalidate(addr, size);
	return 0;
}

/* A one-view buffer (rw == rx) exists only where the switch does; its
 * pages are whole. */
static int darwin_jit_one_view(void *rw, size_t size)
{
	size_t page = (size_t)getpagesize();

	if (!pthread_jit_write_protect_supported_np() || ((uintptr_t)rw | size) % page != 0)
		return VMOSAL_EINVAL;
	return 0;
}

/* pthread_jit_write_protect_np(3), macOS 11: 0 makes every MAP_JIT page
 * of this task writable and not executable for the calling thread only
 * (other threads keep executing), 1 executable again and not writable. A
 * register write, not a system call. Two views need no switch. */
static int darwin_jit_window(void *rw, void *rx, size_t size, int protect)
{
	int rc;

	if (rw != rx)
		return posix_jit_write_begin(rw, rx, size); /* checks the views only */
	if ((rc = darwin_jit_one_view(rw, size)) != 0)
		return rc;
	pthread_jit_write_protect_np(protect);
	return 0;
}

int darwin_jit_write_begin(void *rw, void *rx, size_t size)
{
	return darwin_jit_window(rw, rx, size, 0);
}

int darwin_jit_write_end(void *rw, void *rx, size_t size)
{
	return darwin_jit_window(rw, rx, size, 1);
}
#else
int darwin_jit_map(size_t size, void **rw, void **rx)
{
	/* iOS gives MAP_JIT only to processes with Apple's own
	 * dynamic-codesigning entitlement. */
	(void)size;
	(void)rw;
	(void)rx;
	return VMOSAL_ENOTSUP;
}

int darwin_icache_flush(void *addr, size_t size)
{
	sys_icache_invalidate(addr, size);
	return 0;
}

/* No buffer can exist, so no window can name one. */
int darwin_jit_write_begin(void *rw, void *rx, size_t size)
{
	(void)rw;
	(void)rx;
	(void)size;
	return VMOSAL_EINVAL;
}

int darwin_jit_write_end(void *rw, void *rx, size_t size)
{
	(void)rw;
	(void)rx;
	(void)size;
	return VMOSAL_EINVAL;
}
#endif
