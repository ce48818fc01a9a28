/* The record of reservations and the pieces mapped into them: plain data
 * and interval arithmetic, with no OS header, so that every backend keeps
 * the same record (backends/posix today) and a test checks it on any host
 * (tests/check_region.c). The caller holds its own lock around every call
 * and does the OS work; nothing here blocks or calls the OS.
 *
 * Ranges are [start, start + size) with size > 0 and no wrap-around (the
 * core has checked both). Functions that can fail return 0 or a negative
 * VMOSAL_E* code and change nothing on failure. A struct region pointer is
 * valid until the next call that adds or removes a region. */
#ifndef VMOSAL_BACKEND_REGION_H
#define VMOSAL_BACKEND_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A range of a reservation; state, flags and data are the caller's (e.g.
 * mapped, being mapped, being unmapped; or, where the pieces cover the
 * whole reservation, reserved or mapped, with the mapping's traits). */
struct region_piece {
	uintptr_t start;
	size_t size;
	unsigned state;
	unsigned flags;
	void *data;
};

/* A reservation and its pieces, sorted by start, never overlapping. A
 * piece pointer is valid until the next call that adds, splits, merges or
 * removes a piece of the same reservation: keep indexes across those. */
struct region {
	uintptr_t base;
	size_t size;
	unsigned flags; /* the caller's */
	size_t n, cap;
	struct region_piece *pieces;
};

/* Every reservation, sorted by base, never overlapping. Zero-initialised
 * is empty. */
struct region_set {
	struct region *v;
	size_t n, cap;
};

/* Records a reservation. VMOSAL_EEXIST when it overlaps one recorded,
 * VMOSAL_ENOMEM when there is no memory for the record. */
int region_add(struct region_set *set, uintptr_t base, size_t size);

/* Makes room for one more reservation, so that the next region_put or
 * region_add can fail only by overlap: ask before the OS call, then
 * recording what the OS did cannot run out of memory. VMOSAL_ENOMEM. */
int region_room(struct region_set *set);

/* The reservation holding all of [a, a + size), or NULL. */
struct region *region_holding(const struct region_set *set, uintptr_t a, size_t size);

/* True when [a, a + size) overlaps any reservation. */
bool region_overlaps(const struct region_set *set, uintptr_t a, size_t size);

/* Takes the reservation r out of the set into *out, pieces and all, which
 * the caller then owns (region_put back, or region_free). */
void region_take(struct region_set *set, struct region *r, struct region *out);

/* Puts back a reservation region_take took. VMOSAL_EEXIST when another
 * overlaps it by now, VMOSAL_ENOMEM; on failure *r is still the caller's. */
int region_put(struct region_set *set, struct region *r);

/* Frees what a taken reservation holds. */
void region_free(struct region *r);

/* Forgets every reservation overlapping [a, a + size); returns how many
 * (a reservation let go behind the record's back, whose address space the
 * OS has handed out again). */
size_t region_forget(struct region_set *set, uintptr_t a, size_t size);

/* Frees the whole record. */
void region_clear(struct region_set *set);

/* Records a piece of r (which must hold [a, a + size)). VMOSAL_EEXIST when
 * it overlaps a piece recorded, VMOSAL_ENOMEM. */
int region_piece_add(struct region *r, uintptr_t a, size_t size, unsigned state);

/* The piece of r that is exactly [a, a + size), or NULL. */
struct region_piece *region_piece_exact(const struct region *r, uintptr_t a, size_t size);

/* Removes a piece of r (a pointer region_piece_exact returned). */
void region_piece_remove(struct region *r, struct region_piece *p);

/* Makes room for extra more pieces of r, so that the next extra calls of
 * region_piece_add or region_piece_split cannot run out of memory.
 * VMOSAL_ENOMEM. */
int region_piece_room(struct region *r, size_t extra);

/* Index of the piece of r holding address a, or r->n when none does. */
size_t region_piece_index(const struct region *r, uintptr_t a);

/* Cuts piece i of r in two at a (start < a < end): piece i keeps
 * [start, a), a copy of it (state, flags, data) becomes piece i + 1 with
 * [a, end). VMOSAL_EINVAL when a is not strictly inside, VMOSAL_ENOMEM. */
int region_piece_split(struct region *r, size_t i, uintptr_t a);

/* Cuts the piece holding all of [a, a + size) into up to three, so that
 * the range is a piece of its own (a copy of the one cut, state, flags and
 * data); stores its index in *at. VMOSAL_EINVAL when no one piece holds
 * the range, VMOSAL_ENOMEM; on failure nothing changed. */
int region_piece_carve(struct region *r, uintptr_t a, size_t size, size_t *at);

/* Merges pieces i..j of r (i <= j < n, each ending where the next starts)
 * into piece i, which keeps its state, flags and data. */
void region_piece_merge(struct region *r, size_t i, size_t j);

/* True when every piece of r is in state. */
bool region_pieces_all(const struct region *r, unsigned state);

#endif
