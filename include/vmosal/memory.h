/* libvmosal memory: mappings, advice, page sizes, shared memory objects,
 * W^X code buffers and guest RAM.
 *
 * Every function returns 0 or a negative VMOSAL_E* code. Argument errors are
 * found before the OS is asked, so a call that fails on its arguments has
 * changed nothing. Unless a function says otherwise, ranges follow these
 * rules (the "range rules"):
 *   - addr is not NULL and is a multiple of vmosal_page_size();
 *   - size > 0 (it is rounded up to whole pages);
 *   - addr + size does not wrap around the address space (VMOSAL_EOVERFLOW).
 * Violations return VMOSAL_EINVAL unless stated. */
#ifndef VMOSAL_MEMORY_H
#define VMOSAL_MEMORY_H

#include "common.h"

VMOSAL_BEGIN_DECLS

/* ---- Mapping ----------------------------------------------------------- */

#define VMOSAL_PROT_NONE 0u
#define VMOSAL_PROT_READ 1u
#define VMOSAL_PROT_WRITE 2u
#define VMOSAL_PROT_EXEC 4u

#define VMOSAL_MAP_SHARED 0x01u          /* changes visible to other mappings */
#define VMOSAL_MAP_PRIVATE 0x02u         /* copy-on-write */
#define VMOSAL_MAP_ANONYMOUS 0x04u       /* no object: VMOSAL_NO_HANDLE, offset 0 */
#define VMOSAL_MAP_FIXED 0x08u           /* exactly at addr, replacing what is there (POSIX) */
#define VMOSAL_MAP_NORESERVE 0x10u       /* no swap / commit reservation */
#define VMOSAL_MAP_POPULATE 0x20u        /* prefault the pages now */
#define VMOSAL_MAP_FIXED_NOREPLACE 0x40u /* exactly at addr, VMOSAL_EEXIST if taken */
#define VMOSAL_MAP_HUGETLB 0x80u         /* explicit huge pages (anonymous only) */

/* With VMOSAL_MAP_HUGETLB: which huge page size, as log2 of the size in
 * bits 26..31 (0: the OS default size). */
#define VMOSAL_MAP_HUGE_SHIFT 26
#define VMOSAL_MAP_HUGE_MASK 0x3fu
#define VMOSAL_MAP_HUGE_SIZE(log2) ((unsigned)(log2) << VMOSAL_MAP_HUGE_SHIFT)
#define VMOSAL_MAP_HUGE_2MB VMOSAL_MAP_HUGE_SIZE(21)
#define VMOSAL_MAP_HUGE_1GB VMOSAL_MAP_HUGE_SIZE(30)

/* Maps memory and stores its address in *out. addr NULL means anywhere;
 * otherwise an address aligned to the host's map granularity
 * (vmosal_host_caps; the page size on POSIX, 64 KiB on Windows): with FIXED
 * or FIXED_NOREPLACE where the mapping must go, else a hint. handle is
 * VMOSAL_NO_HANDLE with ANONYMOUS, else an open file or shared memory object
 * whose access mode allows prot (VMOSAL_EACCES otherwise; a SHARED writable
 * mapping needs read-write); VMOSAL_EBADF for an invalid one. offset >= 0
 * and granularity-aligned, 0 when ANONYMOUS. Exactly one of SHARED and
 * PRIVATE. FIXED and FIXED_NOREPLACE need addr and exclude each other.
 * HUGETLB needs ANONYMOUS; a HUGE_SIZE needs HUGETLB; with HUGETLB, addr
 * and size are multiples of that huge page size (or of the default one:
 * the OS would otherwise round the mapping up past the range), and a size
 * the host has no pool of is VMOSAL_ENOTSUP. Unknown prot or flag
 * bits, out NULL, size 0: VMOSAL_EINVAL. Returns VMOSAL_ENOTSUP for a flag
 * this OS cannot honour (Windows: FIXED, which would replace a mapping; map
 * into a reservation instead, below), VMOSAL_EEXIST when FIXED_NOREPLACE
 * finds the range taken, VMOSAL_ENOMEM when the OS is out of memory or huge
 * pages. Where FIXED exists, FIXED over any part of a reservation is
 * VMOSAL_EINVAL: it would replace memory behind the reservation's back
 * (map into it with vmosal_mem_map_reserved). */
VMOSAL_API int vmosal_mmap(void *addr, size_t size, unsigned prot, unsigned flags,
			   vmosal_handle_t handle, int64_t offset, void **out);

/* Unmaps a range (range rules). Windows can only unmap what vmosal_mmap
 * mapped, whole: there, another range is VMOSAL_EINVAL. On every OS, a
 * range that touches a reservation must be exactly one piece that
 * vmosal_mem_map_reserved mapped into it, which becomes reserved again
 * (VMOSAL_EINVAL for anything else: part of a piece, several, reserved
 * pages, a reservation's edge; a whole reservation is vmosal_mem_release). */
VMOSAL_API int vmosal_munmap(void *addr, size_t size);

/* ---- Reservations: address space first, memory later ----------------------
 * The portable way to put memory at an address of your choosing, which
 * every OS can keep (Windows cannot split or replace a mapping, so FIXED
 * over a reservation does not exist there). The backend keeps a record of
 * each reservation and of the pieces mapped into it, and every OS gives
 * the same answers: no call maps outside a reservation, over a mapped
 * piece, or releases one twice. Calls on one reservation from several
 * threads at once are safe. Windows takes them one at a time; POSIX never
 * holds the record across an OS call, so there a call that meets another
 * thread's call in progress on the same piece or reservation is refused
 * as if that call had finished (VMOSAL_EEXIST, VMOSAL_EINVAL, or
 * VMOSAL_EBUSY for a release), never blocked. */

/* Reserves size bytes of address space (range rules for size; a multiple
 * of the map granularity) at an address that is a multiple of alignment (a
 * power of two; 0: the map granularity), inaccessible and with no memory
 * committed, and stores it in *out. Nothing else will be mapped there until
 * vmosal_mem_release. EINVAL: bad size or alignment, out NULL; ENOMEM: no
 * such address range is free. */
VMOSAL_API int vmosal_mem_reserve(size_t size, size_t alignment, void **out);

/* Maps memory into [addr, addr + size), which must lie inside one
 * reservation (VMOSAL_EINVAL otherwise: what is there is left alone) and
 * not overlap a piece mapped there already (VMOSAL_EEXIST, the piece and
 * its data kept). prot, flags, handle and offset as vmosal_mmap, without
 * FIXED or FIXED_NOREPLACE (implied). On failure the range stays
 * reserved. Windows maps into any part of a reservation where it
 * has placeholders (10 1803 and later). Elsewhere (Wine 8 too) private
 * anonymous memory still goes anywhere in it, but a file or shared memory
 * object only over a whole reservation (VMOSAL_ENOTSUP otherwise), which
 * is released and mapped again at its address: VMOSAL_EBUSY if another
 * allocator took the range in between, after which only
 * vmosal_mem_release works on that reservation. */
VMOSAL_API int vmosal_mem_map_reserved(void *addr, size_t size, unsigned prot, unsigned flags,
				       vmosal_handle_t handle, int64_t offset);

/* Releases a whole reservation, with everything mapped into it: addr and
 * size exactly as vmosal_mem_reserve returned them. VMOSAL_EINVAL for a
 * part, or for a reservation already released; POSIX: VMOSAL_EBUSY while
 * another thread is mapping into it or unmapping a piece of it. */
VMOSAL_API int vmosal_mem_release(void *addr, size_t size);

/* Changes the protection of a range (range rules); prot is VMOSAL_PROT_*
 * bits, unknown bits are VMOSAL_EINVAL. VMOSAL_ENOMEM when part of the range
 * is not mapped. Windows: a view of a section (SHARED, or of a file) can be
 * made executable only when it was mapped with EXEC (VMOSAL_EACCES
 * otherwise): executable sections and views are asked for only then, as
 * Arbitrary Code Guard refuses them (an EXEC mapping there: VMOSAL_ENOTSUP). */
VMOSAL_API int vmosal_mprotect(void *addr, size_t size, unsigned prot);

enum vmosal_advice {
	VMOSAL_MADV_WILLNEED,       /* read ahead */
	VMOSAL_MADV_DONTNEED,       /* drop now; anonymous pages read back as zero (Windows:
				     * private ones as zero or their old data, as
				     * vmosal_guest_ram_discard says) */
	VMOSAL_MADV_FREE,           /* may be dropped lazily */
	VMOSAL_MADV_HUGEPAGE,       /* back with transparent huge pages; VMOSAL_ENOTSUP where
				     * the host's THP is off for this memory (Linux: the
				     * "enabled" control for private memory, "shmem_enabled",
				     * often never, for shared memory and shm objects) */
	VMOSAL_MADV_NOHUGEPAGE,
	VMOSAL_MADV_MERGEABLE,      /* candidate for same-page merging (KSM) */
	VMOSAL_MADV_UNMERGEABLE,
	VMOSAL_MADV_DONTDUMP,       /* leave out of core dumps */
	VMOSAL_MADV_DODUMP,
	VMOSAL_MADV_DONTFORK,       /* not inherited by a child process */
	VMOSAL_MADV_DOFORK,
	VMOSAL_MADV_POPULATE_WRITE, /* prefault writable; VMOSAL_ENOMEM, not a signal */
	VMOSAL_MADV_COUNT           /* advice this header knows; later versions add more */
};

/* Gives the OS advice about a range (range rules). Returns VMOSAL_EINVAL for
 * an unknown advice, VMOSAL_ENOTSUP when this host (OS, kernel build or the
 * kind of mapping) cannot take that advice: never a silent no-op. */
VMOSAL_API int vmosal_mem_advise(void *addr, size_t size, enum vmosal_advice advice);

/* Locks a range in RAM / unlocks it (range rules). VMOSAL_ENOMEM or
 * VMOSAL_EPERM when the lock limit forbids it; VMOSAL_ENOTSUP when the OS
 * has no page locking. */
VMOSAL_API int vmosal_mem_lock(void *addr, size_t size);
VMOSAL_API int vmosal_mem_unlock(void *addr, size_t size);

#define VMOSAL_MS_ASYNC 1u      /* start writing back, return at once */
#define VMOSAL_MS_SYNC 2u       /* write back and wait */
#define VMOSAL_MS_INVALIDATE 4u /* drop other cached copies */

/* Writes a shared file mapping back to its file (range rules). flags holds
 * exactly one of ASYNC and SYNC, optionally INVALIDATE. */
VMOSAL_API int vmosal_mem_sync(void *addr, size_t size, unsigned flags);

/* ---- Page sizes -------------------------------------------------------- */

enum vmosal_thp_mode {
	VMOSAL_THP_UNAVAILABLE, /* the OS has no transparent huge pages */
	VMOSAL_THP_NEVER,       /* present but switched off */
	VMOSAL_THP_MADVISE,     /* only where VMOSAL_MADV_HUGEPAGE asks */
	VMOSAL_THP_ALWAYS
};

struct vmosal_huge_page_sizes {
	uint32_t struct_size;  /* common.h */
	uint32_t thp_mode;     /* enum vmosal_thp_mode */
	uint64_t base;         /* vmosal_page_size() */
	uint64_t thp_size;     /* size of a transparent huge page; 0 if none */
	uint64_t huge_default; /* default explicit huge page size; 0 if none */
	uint32_t huge_count;   /* explicit huge page sizes: vmosal_huge_page_pool */
};

/* Reads the page sizes the host offers now (not cached). Returns 0,
 * VMOSAL_EINVAL (NULL, struct_size too small), VMOSAL_EBACKEND, or the
 * error the OS gave when it was read. A host without explicit huge pages
 * gives huge_count 0. */
VMOSAL_API int vmosal_huge_page_sizes(struct vmosal_huge_page_sizes *out);

struct vmosal_huge_page_pool {
	uint32_t struct_size; /* common.h */
	uint64_t page_size;   /* bytes per page */
	uint64_t total;       /* pages in the pool now */
	uint64_t free;        /* pages not yet used or reserved */
};

/* The pool of the index-th explicit huge page size, smallest size first,
 * read now (pools change). VMOSAL_ERANGE: index >= huge_count. */
VMOSAL_API int vmosal_huge_page_pool(size_t index, struct vmosal_huge_page_pool *out);

/* ---- Shared memory objects ------------------------------------------------ */

#define VMOSAL_SHM_HUGETLB 1u /* backed by explicit huge pages */
/* Size sealed: no process can shrink or grow the object, nor change its
 * seals (Linux: F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, with hugetlb
 * from Linux 4.16; Windows and Darwin objects never change size).
 * VMOSAL_ENOTSUP where the OS cannot seal it. */
#define VMOSAL_SHM_SEAL 2u

/* Creates an anonymous shared memory object of `size` bytes and stores its
 * handle in *out, for vmosal_mmap(..., VMOSAL_MAP_SHARED, handle, ...) here
 * or in another process the handle is passed to (vhost-user). Linux: a
 * memfd; Windows: a pagefile-backed section. name (NULL: "vmosal") only
 * labels it for people. size > 0 and page-aligned (with HUGETLB, a multiple
 * of the huge page size). huge_page_size picks the size with HUGETLB (0:
 * default) and must be 0 without it; with HUGETLB, size is checked against
 * the size picked, default or not (VMOSAL_EINVAL). The handle is not
 * inherited by child processes (close-on-exec). Returns VMOSAL_ENOTSUP
 * where the OS has no such objects, or no pool of the huge page size. */
VMOSAL_API int vmosal_shm_create(const char *name, uint64_t size, unsigned flags,
				 uint64_t huge_page_size, vmosal_handle_t *out);

/* ---- W^X code buffers ----------------------------------------------------- */

/* The same pages seen twice: write code through rw, run it through rx;
 * no thread may write and execute them at once. Where the OS gives two
 * views (Linux, Windows, Intel macOS) rw is read-write and never
 * executable, rx read-execute and never writable. On Apple silicon rw ==
 * rx: one MAP_JIT mapping that every thread sees read-execute until it
 * opens a write window (vmosal_jit_write_begin). Portable code writes
 * only inside a window:
 *
 *     vmosal_jit_write_begin(&jit);
 *     memcpy(jit.rw, code, len);
 *     vmosal_jit_write_end(&jit);
 *     vmosal_jit_flush(&jit, 0, len);
 *     ((int (*)(void))jit.rx)();
 */
struct vmosal_jit {
	uint32_t struct_size; /* common.h; set it before vmosal_jit_create */
	void *rw;
	void *rx;
	size_t size; /* rounded up to whole pages */
};

/* Creates a code buffer of at least size bytes (size > 0). out NULL or its
 * struct_size too small: VMOSAL_EINVAL. VMOSAL_ENOTSUP where the OS forbids
 * executable shared memory. */
VMOSAL_API int vmosal_jit_create(size_t size, struct vmosal_jit *out);

/* Makes code written through rw at [offset, offset + len) visible to
 * instruction fetch through rx (instruction-cache flush; nothing to do on
 * x86). The range must lie inside the buffer. It changes no thread's
 * write window: call it inside one or after it. */
VMOSAL_API int vmosal_jit_flush(const struct vmosal_jit *jit, size_t offset, size_t len);

/* Opens the calling thread's write window: until the matching
 * vmosal_jit_write_end, this thread may write through jit->rw. On Apple
 * silicon (rw == rx) this switches the thread's JIT pages, those of every
 * buffer, to writable and NOT executable (pthread_jit_write_protect_np):
 * the thread must not run JIT code, nor return into it, while a window is
 * open; other threads still execute. Where there are two views it only
 * checks its arguments: rw is always writable. Write windows nest per
 * thread (the pages turn executable again when the outermost one ends),
 * whichever buffer each names. A window belongs to the thread that opened
 * it: end it on that thread. jit NULL, its struct_size too small, or rw,
 * rx or size not those of a live buffer (NULL, 0): VMOSAL_EINVAL;
 * 2^32 - 1 windows open on the thread: VMOSAL_EOVERFLOW; an older backend
 * that cannot open one for rw == rx: VMOSAL_ENOTSUP. Cheap (Apple silicon: a
 * register write, no system call); not for signal handlers. */
VMOSAL_API int vmosal_jit_write_begin(const struct vmosal_jit *jit);

/* Closes the innermost write window the calling thread opened; the
 * outermost one makes the JIT pages executable again for this thread.
 * jit as for vmosal_jit_write_begin; no window open on this thread:
 * VMOSAL_EINVAL. Call vmosal_jit_flush, inside the window or after it,
 * before running what was written. */
VMOSAL_API int vmosal_jit_write_end(const struct vmosal_jit *jit);

/* Unmaps both views and clears *jit (struct_size stays). */
VMOSAL_API int vmosal_jit_destroy(struct vmosal_jit *jit);

/* ---- Guest RAM -------------------------------------------------------------- */

enum vmosal_guest_pages {
	VMOSAL_PAGES_DEFAULT, /* THP when the host has it, else base pages */
	VMOSAL_PAGES_BASE,    /* base pages, THP advised against */
	VMOSAL_PAGES_THP,     /* THP, VMOSAL_ENOTSUP if the host has none for this RAM
			       * (VMOSAL_MADV_HUGEPAGE: with SHARED or FD, Linux needs
			       * shmem THP on) */
	VMOSAL_PAGES_HUGETLB  /* explicit huge pages of huge_page_size */
};

#define VMOSAL_GUEST_SHARED 0x01u    /* MAP_SHARED anonymous (seen by forked children) */
#define VMOSAL_GUEST_FD 0x02u        /* backed by a sealed shared memory object: ram->handle */
#define VMOSAL_GUEST_NORESERVE 0x04u /* no commit reservation */
#define VMOSAL_GUEST_PREALLOC 0x08u  /* fault every page in before returning */
#define VMOSAL_GUEST_NUMA 0x10u      /* bind memory (and prealloc threads) to numa_node */
#define VMOSAL_GUEST_DONTDUMP 0x20u  /* leave out of core dumps */

/* Options; NULL, or only struct_size set, means: 2 MiB alignment, THP
 * where available, private, reserved, no guards, no prealloc, no NUMA
 * binding. */
struct vmosal_guest_ram_options {
	uint32_t struct_size;    /* common.h */
	unsigned flags;          /* VMOSAL_GUEST_* */
	uint32_t pages;          /* enum vmosal_guest_pages */
	uint64_t huge_page_size; /* with PAGES_HUGETLB; 0: the host default */
	size_t alignment;        /* power of two >= page size; 0: 2 MiB (or the huge page size) */
	size_t guard_size;       /* inaccessible bytes before and after; granule multiple */
	/* The OS's node number (>= 0) with VMOSAL_GUEST_NUMA; a zeroed struct
	 * must mean "no binding", hence the flag (vmosal.h). */
	int32_t numa_node;
	unsigned threads;        /* prealloc threads; 0: usable CPUs (of the node) */
	/* Called during prealloc with bytes done so far; never concurrently,
	 * done never decreases, and the last call has done == total. It may
	 * run on a worker thread. */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
};

struct vmosal_guest_ram {
	uint32_t struct_size;    /* common.h; set it before vmosal_guest_ram_create */
	void *addr;              /* guest RAM, aligned as asked */
	size_t size;
	vmosal_handle_t handle;  /* with VMOSAL_GUEST_FD, else VMOSAL_NO_HANDLE */
	/* private to libvmosal: the whole reservation, guards included */
	void *map_base;
	size_t map_size;
};

/* Reserves guest RAM of `size` bytes (> 0, a multiple of the granule, or
 * of the huge page size with PAGES_HUGETLB) and fills *out. The granule is
 * one host fact, vmosal_host_caps' map_granularity: the page size on
 * POSIX, the allocation granularity (64 KiB) on Windows, which can map
 * and guard no less. The core checks it before any OS call, so a size or
 * guard gets the same answer on every OS with that granule. With
 * VMOSAL_GUEST_FD the RAM is a shared memory object made with
 * VMOSAL_SHM_SEAL: a process the handle is passed to can map it, but
 * cannot shrink it (which would fault the VMM's next access) or grow it;
 * where the OS cannot seal it, VMOSAL_ENOTSUP. The RAM is
 * mapped into one reservation (vmosal_mem_reserve) whose unmapped edges are
 * the guards, so it works the same on every OS. With PREALLOC
 * every page is faulted in first, by `threads` threads each bound to CPUs
 * of numa_node when NUMA is set; when huge pages or a memory limit run out
 * it returns VMOSAL_ENOMEM rather than let a SIGBUS kill the process. The
 * workers fault pages in under the scoped fault guard (signal.h): SIGBUS
 * and SIGSEGV go through libvmosal's signal registry only while they run,
 * any fault of another thread still reaches the application's handler,
 * and the previous dispositions are back when this returns. On any
 * failure nothing stays mapped and *out is untouched. Returns VMOSAL_EINVAL
 * for bad options (unknown flags, alignment not a power of two or below the
 * page size, size or guard not a granule multiple, huge_page_size without
 * HUGETLB, a negative numa_node with NUMA), VMOSAL_ENOENT for a NUMA node
 * the host lacks, VMOSAL_ENOTSUP for a page kind the host lacks. */
VMOSAL_API int vmosal_guest_ram_create(size_t size, const struct vmosal_guest_ram_options *opts,
				      struct vmosal_guest_ram *out);

/* Gives the memory behind [offset, offset + len) of guest RAM back to the
 * OS, for a balloon or virtio-mem unplug: the range reads back as zero
 * afterwards (Windows private RAM: zero or old data, below). offset and
 * len are page multiples (huge page multiples for hugetlb RAM:
 * VMOSAL_EINVAL from the OS otherwise) and lie inside the RAM.
 * RAM with a handle (VMOSAL_GUEST_FD): a hole is punched in its object, so
 * every process mapping it sees the zeros (fallocate on Linux). Shared
 * RAM: MADV_REMOVE. Private RAM: MADV_DONTNEED. VMOSAL_ENOTSUP where the
 * backing cannot give memory back. The range stays accessible throughout,
 * so a vCPU thread touching it meanwhile never faults. Windows: private
 * RAM is discarded with DiscardVirtualMemory, or MEM_RESET where that is
 * missing; a page then reads back as zero or as its old data until it is
 * written (a balloon's guest does not read what it gave back); a shared
 * section cannot give pages back (VMOSAL_ENOTSUP). */
VMOSAL_API int vmosal_guest_ram_discard(const struct vmosal_guest_ram *ram, size_t offset,
					size_t len);

/* Releases guest RAM (and its guards), closes its handle, and clears *ram
 * (handle VMOSAL_NO_HANDLE, struct_size kept). A cleared or already freed
 * region is accepted: returns 0. If the OS refuses the release, *ram is
 * left as it was and the error returned. If closing the handle fails, the
 * memory is released and *ram cleared all the same (a failed close still
 * frees the handle, as on Linux), and that close error is returned. */
VMOSAL_API int vmosal_guest_ram_destroy(struct vmosal_guest_ram *ram);

VMOSAL_END_DECLS

#endif
