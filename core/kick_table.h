/* The pure parts of the kick table (core/kick.c): where a tid's slot is
 * looked for, and the busy word of a slot. Plain C11 atomics and no OS, so
 * that tests/check_kick.c can drive them step by step. */
#ifndef VMOSAL_CORE_KICK_TABLE_H
#define VMOSAL_CORE_KICK_TABLE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMOSAL__KICK_SLOTS 4096

/* A slot's tid: 0 never used, VMOSAL__KICK_LEAVING while its owner gives
 * it back, VMOSAL__KICK_FREED once it is free for another registration.
 * None is a thread's id, so none may ever be looked up. */
#define VMOSAL__KICK_LEAVING (UINT64_MAX - 1)
#define VMOSAL__KICK_FREED UINT64_MAX

static inline bool vmosal__kick_tid_valid(uint64_t tid)
{
	return tid != 0 && tid < VMOSAL__KICK_LEAVING;
}

/* Where the search for tid's slot starts (open addressing). */
static inline size_t vmosal__kick_hash(uint64_t tid)
{
	return (size_t)((tid * 0x9e3779b97f4a7c15ull) >> 52) % VMOSAL__KICK_SLOTS;
}

/* The busy word: how many kicks are using the slot's fields right now,
 * with VMOSAL__KICK_WAITER set while the slot's owner waits for them to
 * finish (unregistering, or replacing its target). */
#define VMOSAL__KICK_WAITER 0x80000000u

/* A kick starts using the slot (before it checks whose slot it is). */
static inline void vmosal__kick_busy_enter(_Atomic uint32_t *busy)
{
	atomic_fetch_add(busy, 1);
}

/* A kick is done with the slot. True when it was the last kick the owner
 * waits for: the caller then wakes the owner. */
static inline bool vmosal__kick_busy_leave(_Atomic uint32_t *busy)
{
	return atomic_fetch_sub(busy, 1) == (VMOSAL__KICK_WAITER | 1);
}

/* The owner starts waiting; returns the word with the waiter bit set.
 * It waits while vmosal__kick_busy_count() of the word is not 0. */
static inline uint32_t vmosal__kick_busy_claim(_Atomic uint32_t *busy)
{
	return atomic_fetch_or(busy, VMOSAL__KICK_WAITER) | VMOSAL__KICK_WAITER;
}

static inline uint32_t vmosal__kick_busy_count(uint32_t word)
{
	return word & ~VMOSAL__KICK_WAITER;
}

/* The owner is done waiting. It clears its own bit only: a kick that
 * found the slot before it changed may have counted itself in after the
 * owner looked, and counts itself out later. Storing 0 would erase that
 * count, and the kick's count-out would then wrap the word, leaving the
 * next owner of the slot waiting forever. */
static inline void vmosal__kick_busy_release(_Atomic uint32_t *busy)
{
	atomic_fetch_and(busy, ~VMOSAL__KICK_WAITER);
}

#endif
