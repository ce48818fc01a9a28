/* Windows memory's record and rules as plain data (win_record.c).
 *
 * win_mem.c keeps a record of every region it made (backends/common/
 * region.h), because Windows can only unmap, protect or decommit what was
 * made as one unit. What the record says about a region, which request
 * fits where, and which protection or advice a piece takes are decided
 * here, with no OS header, so that tests/check_win_record checks them on
 * every host; win_mem.c makes the OS calls and keeps the record in step.
 * Nothing here takes a lock: the caller holds win_mem.c's.
 *
 * A region's pieces cover it whole, reserved parts included. */
#ifndef VMOSAL_BACKEND_WIN_RECORD_H
#define VMOSAL_BACKEND_WIN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h"

/* A piece's state. */
enum win_piece_kind {
	WIN_FREE,   /* reserved: a placeholder, or reserved pages of a MEM_RESERVE region */
	WIN_COMMIT, /* committed into a fallback reservation (private anonymous) */
	WIN_ALLOC,  /* an allocation of its own (VirtualAlloc, or a replaced placeholder) */
	WIN_VIEW    /* a view of a section */
};

/* A piece's flags; its data is win_mem.c's duplicate of the file, for
 * FlushFileBuffers, or NULL. */
#define WIN_PIECE_COW 0x1u   /* PRIVATE view: writes are copied */
#define WIN_PIECE_LARGE 0x2u /* large pages: never decommitted */
#define WIN_PIECE_FILE 0x4u  /* a view of a file rather than of the paging file */

/* A region's flags: its type, and what became of a reservation. */
enum win_region_type { WIN_MAPPING, WIN_RESERVATION, WIN_JIT };
#define WIN_REGION_TYPE 0x3u
#define WIN_REGION_PLACEHOLDER 0x4u /* a reservation of placeholders */
#define WIN_REGION_WHOLE 0x8u       /* fallback: the reservation gave way to one whole mapping */
#define WIN_REGION_LOST 0x10u       /* fallback: another allocator took the range */

/* Windows' page protections, the documented values of winnt.h's PAGE_*
 * (win_mem.c asserts they are the same). */
#define WIN_PAGE_NOACCESS 0x01u
#define WIN_PAGE_READONLY 0x02u
#define WIN_PAGE_READWRITE 0x04u
#define WIN_PAGE_WRITECOPY 0x08u
#define WIN_PAGE_EXECUTE 0x10u
#define WIN_PAGE_EXECUTE_READ 0x20u
#define WIN_PAGE_EXECUTE_READWRITE 0x40u
#define WIN_PAGE_EXECUTE_WRITECOPY 0x80u

/* ---- requests ---- */

/* Whether prot has only VMOSAL_PROT_* bits. */
bool win_record_known_prot(unsigned prot);
/* The PAGE_* value for prot (known bits only); cow: a PRIVATE view, whose
 * writes are copied. */
uint32_t win_record_page_prot(unsigned prot, bool cow);
/* What mem_map and mem_map_reserved refuse of prot and flags before any
 * OS call: VMOSAL_ENOTSUP for unknown bits, FIXED and NORESERVE (the
 * opening comment of win_mem.c says why); else 0. HUGETLB is the OS's to
 * check (win_record_large_size). */
int win_record_check_flags(unsigned prot, unsigned flags);
/* Whether a huge page size of 1 << shift (0: the default) is large, the
 * one size Windows has; large 0: none at all. */
bool win_record_large_size(unsigned shift, size_t large);
/* Checks a reservation of size at alignment (raised to gran, the
 * allocation granularity, in *alignment) with align_offset: VMOSAL_EINVAL
 * unless size and align_offset are granules, align_offset < size and the
 * alignment a power of two. */
int win_record_reserve_args(size_t size, size_t *alignment, size_t align_offset, size_t gran);
/* The first address at or above base where the address plus off is a
 * multiple of alignment (a power of two). */
uintptr_t win_record_align_start(uintptr_t base, size_t alignment, size_t off);

/* ---- regions ---- */

unsigned win_record_type(const struct region *r);
/* Whether r has any of the WIN_REGION_* flags in flag. */
bool win_record_is(const struct region *r, unsigned flag);
/* Makes *r a region of type of one piece, *p, with its piece array
 * allocated. VMOSAL_ENOMEM. */
int win_record_new(struct region *r, unsigned type, const struct region_piece *p);
/* Checks [a, a + size) of r for protect, advice, sync and the like:
 * VMOSAL_EBUSY for a lost reservation, VMOSAL_ENOMEM when a piece it
 * touches is only reserved (as for an unmapped part on POSIX). */
int win_record_range_mapped(const struct region *r, uintptr_t a, size_t size);
/* Private anonymous memory that can be decommitted or discarded. */
bool win_record_private_anon(const struct region_piece *p);
/* Whether advice (enum vmosal_advice) applies to p: VMOSAL_ENOTSUP for
 * DONTNEED on a private copy of a file page or on large pages, for FREE on
 * anything but private anonymous memory, for POPULATE_WRITE on a file
 * view (whose in-page error would raise, not return). */
int win_record_advice_ok(const struct region_piece *p, int advice);
/* Whether mem_discard can give p's memory back: only private anonymous
 * memory; a section keeps its pages until its last view and handle go. */
int win_record_discard_ok(const struct region_piece *p);

/* ---- what unmapping, mapping into and releasing a reservation take ---- */

/* The piece mem_unmap(a, size) takes from r (NULL: none holds it) in *i:
 * exactly one mapped piece, of a mapping or a reservation. VMOSAL_EINVAL
 * otherwise (a JIT view, a part, several pieces, reserved pages),
 * VMOSAL_EBUSY for a lost reservation. */
int win_record_unmap_piece(const struct region *r, uintptr_t a, size_t size, size_t *i);
/* The run of FREE pieces around the FREE piece i: [*lo, *hi]. */
void win_record_free_run(const struct region *r, size_t i, size_t *lo, size_t *hi);
/* The FREE placeholders i..j of r that [a, a + size) lies in, to be
 * merged and split so that the range is a placeholder of its own.
 * VMOSAL_EINVAL when the range does not end on a granule (gran),
 * VMOSAL_EEXIST when any of it is mapped. */
int win_record_placeholder_span(const struct region *r, uintptr_t a, size_t size, size_t gran,
				size_t *i, size_t *j);
/* Whether [a, a + size) of a fallback reservation r is all reserved:
 * VMOSAL_EEXIST when any of it is mapped. */
int win_record_fallback_free(const struct region *r, uintptr_t a, size_t size);
/* Whether [a, a + size) is all of r, unmapped: the only request that a
 * view or large pages can take in a fallback reservation. */
bool win_record_whole(const struct region *r, uintptr_t a, size_t size);
/* Whether r (NULL: none) is a reservation made at exactly addr, size
 * bytes: what mem_release takes. VMOSAL_EINVAL otherwise. */
int win_record_release_check(const struct region *r, uintptr_t addr, size_t size);
/* Whether rwr and rxr (NULL: none) are the two views of one jit_map, at
 * rw and rx, size bytes each. VMOSAL_EINVAL otherwise. */
int win_record_jit_check(const struct region *rwr, const struct region *rxr, uintptr_t rw,
			 uintptr_t rx, size_t size);

#endif
