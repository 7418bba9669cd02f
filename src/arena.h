/*
 * arena: many small allocations freed in one call.
 *
 * The engine run loads a range of customers with their invoices, cases and
 * contacts, decides, writes, and drops the whole lot before the next range;
 * an arena per range makes that one free and keeps allocation cheap.
 * Allocations are 16-byte aligned and never fail (mem.h policy).
 */
#ifndef DUNWELL_ARENA_H
#define DUNWELL_ARENA_H

#include <stddef.h>

struct arena; /* opaque */

struct arena *arena_new(void);
void arena_free(struct arena *a); /* NULL is fine */
void *arena_alloc(struct arena *a, size_t size);  /* zeroed */
/* Forget every allocation but keep one block for reuse (a server thread's
 * arena between requests: no malloc per request). */
void arena_reset(struct arena *a);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* Grow an arena array: returns a new block holding the old contents when
 * `need` exceeds *cap (the old block is simply abandoned to the arena). */
void *arena_grow(struct arena *a, void *ptr, size_t *cap, size_t need,
		 size_t elem);
size_t arena_bytes(const struct arena *a); /* bytes reserved */

#endif
