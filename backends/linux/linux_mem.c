/* Linux memory: the Linux-only map flags and advice, hugetlb pools from
 * sysfs, MADV_POPULATE_WRITE prefaulting, memfd shared memory, the memfd
 * double map for W^X code, and discarding guest memory. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux.h"

#ifndef MAP_HUGE_SHIFT
#define MAP_HUGE_SHIFT 26
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 0x0001u
#endif
#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002u
#endif
#ifndef MFD_HUGETLB
#define MFD_HUGETLB 0x0004u
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010u
#endif
#ifndef MFD_HUGE_SHIFT
#define MFD_HUGE_SHIFT 26
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_FREE
#define MADV_FREE 8
#endif
#ifndef MADV_REMOVE
#define MADV_REMOVE 9
#endif
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#endif

int linux_mem_map(void *addr, size_t size, unsigned prot, unsigned flags, vmosal_handle_t fd,
		  int64_t offset, void **out)
{
	int native = 0;

	if (flags & VMOSAL_MAP_NORESERVE)
		native |= MAP_NORESERVE;
	if (flags & VMOSAL_MAP_POPULATE)
		native |= MAP_POPULATE;
#ifdef MAP_FIXED_NOREPLACE
	if (flags & VMOSAL_MAP_FIXED_NOREPLACE)
		native |= MAP_FIXED_NOREPLACE;
#endif
	if (flags & VMOSAL_MAP_HUGETLB)
		native |= MAP_HUGETLB |
			  (int)(((flags >> VMOSAL_MAP_HUGE_SHIFT) & VMOSAL_MAP_HUGE_MASK) << MAP_HUGE_SHIFT);
	flags &= ~(VMOSAL_MAP_NORESERVE | VMOSAL_MAP_POPULATE | VMOSAL_MAP_HUGETLB |
		   (VMOSAL_MAP_HUGE_MASK << VMOSAL_MAP_HUGE_SHIFT));
	return posix_mmap(addr, size, prot, flags, fd, offset, native, out);
}

int linux_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
			   vmosal_handle_t fd, int64_t offset)
{
	return posix_map_into_reservation(linux_mem_map, addr, size, prot, flags, fd, offset);
}

/* Sized by what this backend was built to know: advice added to the public
 * enum later is refused by the range check, never read past the table. */
static const int linux_advice[] = {
	[VMOSAL_MADV_WILLNEED] = MADV_WILLNEED,
	[VMOSAL_MADV_DONTNEED] = MADV_DONTNEED,
	[VMOSAL_MADV_FREE] = MADV_FREE,
	[VMOSAL_MADV_HUGEPAGE] = MADV_HUGEPAGE,
	[VMOSAL_MADV_NOHUGEPAGE] = MADV_NOHUGEPAGE,
	[VMOSAL_MADV_MERGEABLE] = MADV_MERGEABLE,
	[VMOSAL_MADV_UNMERGEABLE] = MADV_UNMERGEABLE,
	[VMOSAL_MADV_DONTDUMP] = MADV_DONTDUMP,
	[VMOSAL_MADV_DODUMP] = MADV_DODUMP,
	[VMOSAL_MADV_DONTFORK] = MADV_DONTFORK,
	[VMOSAL_MADV_DOFORK] = MADV_DOFORK,
	[VMOSAL_MADV_POPULATE_WRITE] = MADV_POPULATE_WRITE,
};

/* ---- THP: is it on for this kind of memory? ---- */

#define LINUX_THP_DIR "/sys/kernel/mm/transparent_hugepage/"

/* True when the THP control `name` (enabled, shmem_enabled) lets a
 * PMD-size huge page back memory it governs: the per-size control where
 * the kernel has one (6.8 and later) and it does not say inherit, else the
 * top-level one. never and deny are off; so is a missing control. */
static bool linux_thp_on(const char *name)
{
	char path[4096], file[256], buf[160];
	uint64_t pmd;

	if (posix_read_file(posix_host_path(path, sizeof path, LINUX_THP_DIR "hpage_pmd_size"), buf,
			    sizeof buf) > 0 &&
	    (pmd = strtoull(buf, NULL, 10)) != 0) {
		snprintf(file, sizeof file, LINUX_THP_DIR "hugepages-%llukB/%s",
			 (unsigned long long)(pmd / 1024), name);
		if (posix_read_file(posix_host_path(path, sizeof path, file), buf, sizeof buf) > 0 &&
		    strstr(buf, "[inherit]") == NULL)
			return strstr(buf, "[never]") == NULL && strstr(buf, "[deny]") == NULL;
	}
	snprintf(file, sizeof file, LINUX_THP_DIR "%s", name);
	if (posix_read_file(posix_host_path(path, sizeof path, file), buf, sizeof buf) <= 0)
		return false;
	return strstr(buf, "[never]") == NULL && strstr(buf, "[deny]") == NULL;
}

/* Which kinds of mapping [a, a + size) touches, from /proc/self/maps:
 * shared ones (shmem: memfd, shared anonymous memory, tmpfs; THP there is
 * the shmem control's) and private ones (the anonymous control's). */
static int linux_mapping_kinds(uintptr_t a, size_t size, bool *shared, bool *private)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];

	if (f == NULL)
		return posix_last_error();
	*shared = *private = false;
	while (fgets(line, sizeof line, f) != NULL) {
		unsigned long lo, hi;
		char perms[5];
		size_t len = strlen(line);

		if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo < a + size && hi > a) {
			if (perms[3] == 's')
				*shared = true;
			else
				*private = true;
		}
		/* The rest of an overlong line (a long path) is no new entry. */
		while (len > 0 && line[len - 1] != '\n' && fgets(line, sizeof line, f) != NULL)
			len = strlen(line);
	}
	fclose(f);
	return 0;
}

/* MADV_HUGEPAGE succeeds whatever the THP controls say; where they keep
 * huge pages off for the memory in the range, the advice would be a
 * silent no-op, which memory.h promises never happens. */
static int linux_check_hugepage(void *addr, size_t size)
{
	bool anon_on = linux_thp_on("enabled"), shmem_on = linux_thp_on("shmem_enabled");
	bool shared, private;
	int rc;

	if (anon_on && shmem_on)
		return 0;
	if (!anon_on && !shmem_on)
		return VMOSAL_ENOTSUP;
	/* Only where one control is off does the kind of memory matter. */
	if ((rc = linux_mapping_kinds((uintptr_t)addr, size, &shared, &private)) != 0)
		return rc;
	return (shared && !shmem_on) || (private && !anon_on) ? VMOSAL_ENOTSUP : 0;
}

int linux_mem_advise(void *addr, size_t size, int advice)
{
	int rc;

	if (advice < 0 || (size_t)advice >= sizeof linux_advice / sizeof linux_advice[0])
		return VMOSAL_ENOTSUP;
	if (advice == VMOSAL_MADV_HUGEPAGE && (rc = linux_check_hugepage(addr, size)) != 0)
		return rc;
	if (madvise(addr, size, linux_advice[advice]) == 0)
		return 0;
	/* The core checked the range, so EINVAL means this kernel (or this
	 * kind of mapping) does not take the advice: THP or KSM compiled out,
	 * MADV_FREE on a shared mapping, a kernel older than the advice. */
	if (errno == EINVAL)
		return VMOSAL_ENOTSUP;
	/* POPULATE_WRITE: EFAULT is "a SIGBUS would have been raised". */
	if (advice == VMOSAL_MADV_POPULATE_WRITE && errno == EFAULT)
		return VMOSAL_ENOMEM;
	return posix_last_error();
}

/* ---- page sizes ---- */

static bool linux_read_u64(const char *path, uint64_t *out)
{
	char buf[64];
	char *end;

	if (posix_read_file(path, buf, sizeof buf) <= 0)
		return false;
	*out = strtoull(buf, &end, 10);
	return end != buf;
}

int linux_huge_page_sizes(struct vmosal_backend_huge_page_sizes *out)
{
	char path[4096], file[4096 + 320], buf[128];
	struct dirent *de;
	DIR *dir;

	if (posix_read_file(posix_host_path(path, sizeof path,
					    "/sys/kernel/mm/transparent_hugepage/enabled"),
			    buf, sizeof buf) > 0) {
		if (strstr(buf, "[always]") != NULL)
			out->thp_mode = VMOSAL_THP_ALWAYS;
		else if (strstr(buf, "[madvise]") != NULL)
			out->thp_mode = VMOSAL_THP_MADVISE;
		else
			out->thp_mode = VMOSAL_THP_NEVER;
		if (!linux_read_u64(posix_host_path(path, sizeof path,
						    "/sys/kernel/mm/transparent_hugepage/hpage_pmd_size"),
				    &out->thp_size))
			out->thp_size = 0;
	}
	dir = opendir(posix_host_path(path, sizeof path, "/sys/kernel/mm/hugepages"));
	if (dir == NULL)
		return 0; /* no hugetlb in this kernel */
	while ((de = readdir(dir)) != NULL && out->huge_count < VMOSAL_BACKEND_MAX_HUGE_SIZES) {
		struct vmosal_backend_huge_pool *pool = &out->huge[out->huge_count];
		unsigned long long kb;

		/* A size that wraps when made bytes is no pool the kernel has. */
		if (sscanf(de->d_name, "hugepages-%llukB", &kb) != 1 || kb == 0 ||
		    kb > UINT64_MAX / 1024)
			continue;
		pool->page_size = (uint64_t)kb * 1024;
		snprintf(file, sizeof file, "%s/%s/nr_hugepages", path, de->d_name);
		if (!linux_read_u64(file, &pool->total))
			pool->total = 0;
		snprintf(file, sizeof file, "%s/%s/free_hugepages", path, de->d_name);
		if (!linux_read_u64(file, &pool->free))
			pool->free = 0;
		out->huge_count++;
	}
	closedir(dir);
	/* The default size is the one /proc/meminfo calls Hugepagesize. */
	if (posix_read_file(posix_host_path(path, sizeof path, "/proc/meminfo"), file,
			    sizeof file) > 0) {
		const char *p = strstr(file, "Hugepagesize:");
		if (p != NULL)
			out->huge_default = strtoull(p + strlen("Hugepagesize:"), NULL, 10) * 1024;
	}
	return 0;
}

/* ---- prefaulting ---- */

/* Cleared once the kernel says it has no MADV_POPULATE_WRITE (before 5.14). */
static atomic_bool linux_have_populate = true;

int linux_mem_populate(void *addr, size_t size)
{
	long page = sysconf(_SC_PAGESIZE);

	while (atomic_load_explicit(&linux_have_populate, memory_order_relaxed)) {
		if (madvise(addr, size, MADV_POPULATE_WRITE) == 0)
			return 0;
		switch (errno) {
		case EINTR:
		case EAGAIN:
			continue; /* idempotent: pages done stay done */
		case EINVAL:
			atomic_store_explicit(&linux_have_populate, false, memory_order_relaxed);
			break;
		case EFAULT: /* where a fault would have raised SIGBUS */
		case ENOMEM:
			return VMOSAL_ENOMEM;
#ifdef EHWPOISON
		case EHWPOISON:
			return VMOSAL_EIO;
#endif
		default:
			return posix_last_error();
		}
	}
	posix_touch_pages(addr, size, page > 0 ? (size_t)page : 4096);
	return 0;
}

/* ---- memfd ---- */

static int linux_memfd_create(const char *name, unsigned flags)
{
#ifdef HAVE_MEMFD_CREATE
	return memfd_create(name, flags);
#elif defined(SYS_memfd_create)
	return (int)syscall(SYS_memfd_create, name, flags);
#else
	(void)name;
	(void)flags;
	errno = ENOSYS;
	return -1;
#endif
}

int linux_shm_create(const char *name, uint64_t size, unsigned flags, unsigned huge_page_shift,
		     vmosal_handle_t *fd)
{
	unsigned mfd = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	char label[200];
	int f, rc;

	if ((flags & ~(VMOSAL_SHM_HUGETLB | VMOSAL_SHM_SEAL)) != 0)
		return VMOSAL_ENOTSUP;
	snprintf(label, sizeof label, "%s", name);
	if (flags & VMOSAL_SHM_HUGETLB)
		mfd |= MFD_HUGETLB | (huge_page_shift << MFD_HUGE_SHIFT);
	f = linux_memfd_create(label, mfd);
	/* ENODEV: the kernel has no pool of that huge page size. */
	if (f < 0)
		return errno == ENOSYS ||
				       ((errno == EINVAL || errno == ENODEV) &&
					(flags & VMOSAL_SHM_HUGETLB))
			       ? VMOSAL_ENOTSUP
			       : posix_last_error();
	if (ftruncate(f, (off_t)size) != 0) {
		rc = posix_last_error();
		close(f);
		return rc;
	}
	/* A peer that could shrink the object would make our accesses SIGBUS. */
	if ((flags & VMOSAL_SHM_SEAL) &&
	    fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) != 0) {
		rc = errno == EINVAL ? VMOSAL_ENOTSUP : posix_last_error();
		close(f);
		return rc;
	}
	*fd = f;
	return 0;
}

/* ---- W^X double map ---- */

int linux_jit_map(size_t size, void **rw, void **rx)
{
	void *w, *x;
	int f, rc;

	/* MFD_EXEC keeps the object mappable executable where vm.memfd_noexec
	 * defaults memfds to no-exec; kernels before 6.3 reject the flag. */
	f = linux_memfd_create("vmosal-jit", MFD_CLOEXEC | MFD_EXEC);
	if (f < 0 && errno == EINVAL)
		f = linux_memfd_create("vmosal-jit", MFD_CLOEXEC);
	if (f < 0)
		return errno == ENOSYS ? VMOSAL_ENOTSUP : posix_last_error();
	if (ftruncate(f, (off_t)size) != 0) {
		rc = posix_last_error();
		close(f);
		return rc;
	}
	w = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	if (w == MAP_FAILED) {
		rc = posix_last_error();
		close(f);
		return rc;
	}
	x = mmap(NULL, size, PROT_READ | PROT_EXEC, MAP_SHARED, f, 0);
	if (x == MAP_FAILED) {
		rc = errno == EPERM || errno == EACCES ? VMOSAL_ENOTSUP : posix_last_error();
		posix_unmap_own(w, size);
		close(f);
		return rc;
	}
	close(f); /* the mappings keep the object alive */
	*rw = w;
	*rx = x;
	return 0;
}

int linux_mem_discard(void *addr, size_t size, vmosal_handle_t h, int64_t offset)
{
	/* An object of our own (a memfd): punch the hole in it, which also
	 * empties every mapping of that range, here and in a vhost-user
	 * peer. */
	if (h != VMOSAL_NO_HANDLE) {
		if (fallocate(h, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)offset,
			      (off_t)size) == 0)
			return 0;
		if (errno != EOPNOTSUPP && errno != ENOSYS)
			return posix_last_error();
	}
	/* Shared memory (shmem, hugetlbfs): MADV_REMOVE frees the backing;
	 * private anonymous memory refuses it, and MADV_DONTNEED frees that. */
	if (madvise(addr, size, MADV_REMOVE) == 0)
		return 0;
	if (errno != EINVAL)
		return errno == EOPNOTSUPP ? VMOSAL_ENOTSUP : posix_last_error();
	if (madvise(addr, size, MADV_DONTNEED) == 0)
		return 0;
	return errno == EINVAL ? VMOSAL_ENOTSUP : posix_last_error();
}
