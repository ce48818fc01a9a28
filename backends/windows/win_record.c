/* Windows memory's record and rules, with no OS header (win_record.h). */
#include "config.h"

#include <string.h>

#include "vmosal/error.h"
#include "vmosal/memory.h"
#include "win_record.h"

bool win_record_known_prot(unsigned prot)
{
	return (prot & ~(unsigned)(VMOSAL_PROT_READ | VMOSAL_PROT_WRITE | VMOSAL_PROT_EXEC)) == 0;
}

uint32_t win_record_page_prot(unsigned prot, bool cow)
{
	bool r = prot & VMOSAL_PROT_READ, w = prot & VMOSAL_PROT_WRITE;
	bool x = prot & VMOSAL_PROT_EXEC;

	/* Windows has no write-only page: writable pages are readable. */
	if (w)
		return x ? (cow ? WIN_PAGE_EXECUTE_WRITECOPY : WIN_PAGE_EXECUTE_READWRITE)
			 : (cow ? WIN_PAGE_WRITECOPY : WIN_PAGE_READWRITE);
	if (x)
		return r ? WIN_PAGE_EXECUTE_READ : WIN_PAGE_EXECUTE;
	return r ? WIN_PAGE_READONLY : WIN_PAGE_NOACCESS;
}

int win_record_check_flags(unsigned prot, unsigned flags)
{
	const unsigned known = VMOSAL_MAP_SHARED | VMOSAL_MAP_PRIVATE | VMOSAL_MAP_ANONYMOUS |
			       VMOSAL_MAP_FIXED | VMOSAL_MAP_NORESERVE | VMOSAL_MAP_POPULATE |
			       VMOSAL_MAP_FIXED_NOREPLACE | VMOSAL_MAP_HUGETLB |
			       (VMOSAL_MAP_HUGE_MASK << VMOSAL_MAP_HUGE_SHIFT);

	if (!win_record_known_prot(prot) || (flags & ~known) != 0)
		return VMOSAL_ENOTSUP;
	/* FIXED would replace what is mapped, which Windows cannot do in
	 * place; nothing is charged lazily. */
	if (flags & (VMOSAL_MAP_FIXED | VMOSAL_MAP_NORESERVE))
		return VMOSAL_ENOTSUP;
	return 0;
}

bool win_record_large_size(unsigned shift, size_t large)
{
	if (large == 0)
		return false;
	return shift == 0 || (shift < sizeof(size_t) * 8 && ((size_t)1 << shift) == large);
}

int win_record_reserve_args(size_t size, size_t *alignment, size_t align_offset, size_t gran)
{
	if (*alignment < gran)
		*alignment = gran;
	/* Windows allocates on granule boundaries only. */
	if (size == 0 || size % gran != 0 || (*alignment & (*alignment - 1)) != 0 ||
	    align_offset % gran != 0 || align_offset >= size)
		return VMOSAL_EINVAL;
	return 0;
}

uintptr_t win_record_align_start(uintptr_t base, size_t alignment, size_t off)
{
	return ((base + off + alignment - 1) & ~((uintptr_t)alignment - 1)) - off;
}

unsigned win_record_type(const struct region *r)
{
	return r->flags & WIN_REGION_TYPE;
}

bool win_record_is(const struct region *r, unsigned flag)
{
	return (r->flags & flag) != 0;
}

int win_record_new(struct region *r, unsigned type, const struct region_piece *p)
{
	memset(r, 0, sizeof *r);
	r->flags = type;
	r->base = p->start;
	r->size = p->size;
	if (region_piece_room(r, 1) != 0)
		return VMOSAL_ENOMEM;
	r->pieces[0] = *p;
	r->n = 1;
	return 0;
}

int win_record_range_mapped(const struct region *r, uintptr_t a, size_t size)
{
	if (win_record_is(r, WIN_REGION_LOST))
		return VMOSAL_EBUSY;
	for (size_t i = region_piece_index(r, a); i < r->n && r->pieces[i].start < a + size; i++)
		if (r->pieces[i].state == WIN_FREE)
			return VMOSAL_ENOMEM;
	return 0;
}

bool win_record_private_anon(const struct region_piece *p)
{
	return (p->state == WIN_ALLOC || p->state == WIN_COMMIT) && !(p->flags & WIN_PIECE_LARGE);
}

int win_record_advice_ok(const struct region_piece *p, int advice)
{
	switch (advice) {
	case VMOSAL_MADV_DONTNEED:
		/* A private copy of a file page cannot be dropped for the
		 * file's page again; large pages cannot be decommitted. */
		return win_record_private_anon(p) ||
				       (p->state == WIN_VIEW && !(p->flags & WIN_PIECE_COW))
			       ? 0
			       : VMOSAL_ENOTSUP;
	case VMOSAL_MADV_FREE:
		return win_record_private_anon(p) ? 0 : VMOSAL_ENOTSUP;
	case VMOSAL_MADV_POPULATE_WRITE:
		return (p->flags & WIN_PIECE_FILE) ? VMOSAL_ENOTSUP : 0;
	default:
		return 0;
	}
}

int win_record_discard_ok(const struct region_piece *p)
{
	return win_record_private_anon(p) ? 0 : VMOSAL_ENOTSUP;
}

int win_record_unmap_piece(const struct region *r, uintptr_t a, size_t size, size_t *i)
{
	const struct region_piece *p;

	if (r == NULL || win_record_type(r) == WIN_JIT)
		return VMOSAL_EINVAL;
	if (win_record_is(r, WIN_REGION_LOST))
		return VMOSAL_EBUSY;
	*i = region_piece_index(r, a);
	if (*i >= r->n)
		return VMOSAL_EINVAL;
	p = &r->pieces[*i];
	if (p->start != a || p->size != size || p->state == WIN_FREE)
		return VMOSAL_EINVAL;
	return 0;
}

void win_record_free_run(const struct region *r, size_t i, size_t *lo, size_t *hi)
{
	*lo = *hi = i;
	while (*lo > 0 && r->pieces[*lo - 1].state == WIN_FREE)
		(*lo)--;
	while (*hi + 1 < r->n && r->pieces[*hi + 1].state == WIN_FREE)
		(*hi)++;
}

int win_record_placeholder_span(const struct region *r, uintptr_t a, size_t size, size_t gran,
				size_t *i, size_t *j)
{
	/* Pieces are granules: the next one must start on one. */
	if ((a + size) % gran != 0)
		return VMOSAL_EINVAL;
	*i = *j = region_piece_index(r, a);
	while (*j < r->n && r->pieces[*j].state == WIN_FREE &&
	       r->pieces[*j].start + r->pieces[*j].size < a + size)
		(*j)++;
	if (*j >= r->n || r->pieces[*j].state != WIN_FREE || r->pieces[*i].state != WIN_FREE)
		return VMOSAL_EEXIST;
	return 0;
}

int win_record_fallback_free(const struct region *r, uintptr_t a, size_t size)
{
	for (size_t k = region_piece_index(r, a); k < r->n && r->pieces[k].start < a + size; k++)
		if (r->pieces[k].state != WIN_FREE)
			return VMOSAL_EEXIST;
	return 0;
}

bool win_record_whole(const struct region *r, uintptr_t a, size_t size)
{
	return a == r->base && size == r->size && r->n == 1 && r->pieces[0].state == WIN_FREE;
}

int win_record_release_check(const struct region *r, uintptr_t addr, size_t size)
{
	if (r == NULL || win_record_type(r) != WIN_RESERVATION || r->base != addr ||
	    r->size != size)
		return VMOSAL_EINVAL;
	return 0;
}

int win_record_jit_check(const struct region *rwr, const struct region *rxr, uintptr_t rw,
			 uintptr_t rx, size_t size)
{
	if (rwr == NULL || rxr == NULL || rwr == rxr || win_record_type(rwr) != WIN_JIT ||
	    win_record_type(rxr) != WIN_JIT || rwr->base != rw || rxr->base != rx ||
	    rwr->size != size || rxr->size != size)
		return VMOSAL_EINVAL;
	return 0;
}
