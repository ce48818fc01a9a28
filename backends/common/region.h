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

/* A range mapped into a reservation; state is the caller's (e.g. mapped,
 * being mapped, being unmapped). */
struct region_piece {
	uintptr_t start;
	size_t size;
	unsigned state;
};

/* A reservation and its pieces, sorted by start, never overlapping. */
struct region {
	uintptr_t base;
	size_t size;
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

/* True when every piece of r is in state. */
bool region_pieces_all(const struct region *r, unsigned state);

#endif
