/* The record of reservations and their pieces (region.h): sorted arrays
 * searched by bisection, so a lookup costs a few compares however many
 * reservations a VMM holds. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "vmosal/error.h"

#include "region.h"

/* The last byte of a range: with it, no comparison can wrap. */
static uintptr_t last_of(uintptr_t a, size_t size)
{
	return a + (size - 1);
}

static bool ranges_overlap(uintptr_t a, size_t as, uintptr_t b, size_t bs)
{
	return a <= last_of(b, bs) && b <= last_of(a, as);
}

/* Number of reservations whose base is at or below a. */
static size_t region_rank(const struct region_set *set, uintptr_t a)
{
	size_t lo = 0, hi = set->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (set->v[mid].base <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Number of pieces of r whose start is at or below a. */
static size_t piece_rank(const struct region *r, uintptr_t a)
{
	size_t lo = 0, hi = r->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->pieces[mid].start <= a)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Whether [a, a + size) overlaps the neighbours of rank i (the entries
 * before and from i), given the entries never overlap each other. */
static bool set_clash(const struct region_set *set, size_t i, uintptr_t a, size_t size)
{
	return (i > 0 && ranges_overlap(set->v[i - 1].base, set->v[i - 1].size, a, size)) ||
	       (i < set->n && ranges_overlap(set->v[i].base, set->v[i].size, a, size));
}

static int set_room(struct region_set *set)
{
	struct region *v;
	size_t cap;

	if (set->n < set->cap)
		return 0;
	cap = set->cap != 0 ? set->cap * 2 : 16;
	if (cap > SIZE_MAX / sizeof *v)
		return VMOSAL_ENOMEM;
	v = realloc(set->v, cap * sizeof *v);
	if (v == NULL)
		return VMOSAL_ENOMEM;
	set->v = v;
	set->cap = cap;
	return 0;
}

int region_put(struct region_set *set, struct region *r)
{
	size_t i = region_rank(set, r->base);
	int rc;

	if (set_clash(set, i, r->base, r->size))
		return VMOSAL_EEXIST;
	if ((rc = set_room(set)) != 0)
		return rc;
	memmove(&set->v[i + 1], &set->v[i], (set->n - i) * sizeof *set->v);
	set->v[i] = *r;
	set->n++;
	return 0;
}

int region_room(struct region_set *set)
{
	return set_room(set);
}

int region_add(struct region_set *set, uintptr_t base, size_t size)
{
	struct region r = {.base = base, .size = size};

	return region_put(set, &r);
}

struct region *region_holding(const struct region_set *set, uintptr_t a, size_t size)
{
	size_t i = region_rank(set, a);
	struct region *r;

	if (i == 0)
		return NULL;
	r = &set->v[i - 1];
	if (a - r->base >= r->size || size > r->size - (a - r->base))
		return NULL;
	return r;
}

bool region_overlaps(const struct region_set *set, uintptr_t a, size_t size)
{
	/* Only the last reservation starting at or before the range's last
	 * byte can overlap it: those before it end before it starts. */
	size_t i = region_rank(set, last_of(a, size));

	return i > 0 && ranges_overlap(set->v[i - 1].base, set->v[i - 1].size, a, size);
}

void region_take(struct region_set *set, struct region *r, struct region *out)
{
	size_t i = (size_t)(r - set->v);

	*out = *r;
	memmove(&set->v[i], &set->v[i + 1], (set->n - i - 1) * sizeof *set->v);
	set->n--;
}

void region_free(struct region *r)
{
	free(r->pieces);
	r->pieces = NULL;
	r->n = r->cap = 0;
}

size_t region_forget(struct region_set *set, uintptr_t a, size_t size)
{
	size_t count = 0;
	size_t i;

	while ((i = region_rank(set, last_of(a, size))) > 0 &&
	       ranges_overlap(set->v[i - 1].base, set->v[i - 1].size, a, size)) {
		struct region gone;

		region_take(set, &set->v[i - 1], &gone);
		region_free(&gone);
		count++;
	}
	return count;
}

void region_clear(struct region_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		region_free(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = set->cap = 0;
}

int region_piece_room(struct region *r, size_t extra)
{
	size_t cap = r->cap != 0 ? r->cap : 4;
	struct region_piece *v;

	if (extra <= r->cap - r->n)
		return 0;
	if (extra > SIZE_MAX / sizeof *v - r->n)
		return VMOSAL_ENOMEM;
	while (cap - r->n < extra)
		cap = cap <= SIZE_MAX / sizeof *v / 2 ? cap * 2 : r->n + extra;
	v = realloc(r->pieces, cap * sizeof *v);
	if (v == NULL)
		return VMOSAL_ENOMEM;
	r->pieces = v;
	r->cap = cap;
	return 0;
}

int region_piece_add(struct region *r, uintptr_t a, size_t size, unsigned state)
{
	size_t i = piece_rank(r, a);
	struct region_piece p = {.start = a, .size = size, .state = state};
	int rc;

	if ((i > 0 && ranges_overlap(r->pieces[i - 1].start, r->pieces[i - 1].size, a, size)) ||
	    (i < r->n && ranges_overlap(r->pieces[i].start, r->pieces[i].size, a, size)))
		return VMOSAL_EEXIST;
	if ((rc = region_piece_room(r, 1)) != 0)
		return rc;
	memmove(&r->pieces[i + 1], &r->pieces[i], (r->n - i) * sizeof p);
	r->pieces[i] = p;
	r->n++;
	return 0;
}

struct region_piece *region_piece_exact(const struct region *r, uintptr_t a, size_t size)
{
	size_t i = piece_rank(r, a);

	if (i == 0 || r->pieces[i - 1].start != a || r->pieces[i - 1].size != size)
		return NULL;
	return &r->pieces[i - 1];
}

void region_piece_remove(struct region *r, struct region_piece *p)
{
	size_t i = (size_t)(p - r->pieces);

	memmove(&r->pieces[i], &r->pieces[i + 1], (r->n - i - 1) * sizeof *p);
	r->n--;
}

size_t region_piece_index(const struct region *r, uintptr_t a)
{
	size_t i = piece_rank(r, a);

	if (i == 0 || a - r->pieces[i - 1].start >= r->pieces[i - 1].size)
		return r->n;
	return i - 1;
}

int region_piece_split(struct region *r, size_t i, uintptr_t a)
{
	struct region_piece tail;
	int rc;

	if (i >= r->n || a <= r->pieces[i].start || a - r->pieces[i].start >= r->pieces[i].size)
		return VMOSAL_EINVAL;
	/* Room first: r->pieces may move, so only indexes are used after. */
	if ((rc = region_piece_room(r, 1)) != 0)
		return rc;
	tail = r->pieces[i];
	tail.start = a;
	tail.size = r->pieces[i].start + r->pieces[i].size - a;
	r->pieces[i].size = a - r->pieces[i].start;
	memmove(&r->pieces[i + 2], &r->pieces[i + 1], (r->n - i - 1) * sizeof tail);
	r->pieces[i + 1] = tail;
	r->n++;
	return 0;
}

int region_piece_carve(struct region *r, uintptr_t a, size_t size, size_t *at)
{
	size_t i = region_piece_index(r, a);
	int rc;

	if (i == r->n || size > r->pieces[i].size - (a - r->pieces[i].start))
		return VMOSAL_EINVAL;
	/* Both cuts' room first, so that the second cannot fail after the
	 * first changed the record. */
	if ((rc = region_piece_room(r, 2)) != 0)
		return rc;
	if (a > r->pieces[i].start)
		region_piece_split(r, i++, a);
	if (size < r->pieces[i].size)
		region_piece_split(r, i, a + size);
	*at = i;
	return 0;
}

void region_piece_merge(struct region *r, size_t i, size_t j)
{
	if (j <= i)
		return;
	r->pieces[i].size = r->pieces[j].start + r->pieces[j].size - r->pieces[i].start;
	memmove(&r->pieces[i + 1], &r->pieces[j + 1], (r->n - j - 1) * sizeof *r->pieces);
	r->n -= j - i;
}

bool region_pieces_all(const struct region *r, unsigned state)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->pieces[i].state != state)
			return false;
	return true;
}
