/*
 * mem: the project-wide out-of-memory policy.
 *
 * dunwell cannot do anything useful once malloc fails, and half-handled
 * allocation failures are a classic source of bugs, so every allocation goes
 * through these wrappers, which abort with a message instead of returning
 * NULL (the Redis zmalloc policy). They never return NULL.
 */
#ifndef DUNWELL_MEM_H
#define DUNWELL_MEM_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array to hold at least `need` elements of `elem` bytes each;
 * *cap is doubled as needed. Aborts on overflow. */
void *xgrow(void *ptr, size_t *cap, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
