/*
 * arena: bump allocation in chained blocks (see arena.h).
 */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define ARENA_BLOCK (256 * 1024)

struct arena_block {
	struct arena_block *next; /* older block */
	size_t size;              /* usable bytes in data */
	size_t used;              /* bytes handed out */
	_Alignas(16) unsigned char data[];
};

struct arena {
	struct arena_block *head; /* block being filled */
	size_t reserved;          /* total bytes of all blocks */
};

struct arena *arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void arena_free(struct arena *a)
{
	if (!a)
		return;
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need = (size + 15) & ~(size_t)15;

	if (need < size)
		abort();
	if (!b || b->size - b->used < need) {
		size_t bs = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		b = xmalloc(sizeof(*b) + bs);
		b->size = bs;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		a->reserved += bs;
	}
	void *p = b->data + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

void arena_reset(struct arena *a)
{
	struct arena_block *keep = a->head;

	if (!keep)
		return;
	/* Keep the newest block (the one most likely to be large enough
	 * next time); free the older ones. */
	for (struct arena_block *b = keep->next; b;) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	keep->next = NULL;
	keep->used = 0;
	a->reserved = keep->size;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, SIZE_MAX);
}

void *arena_grow(struct arena *a, void *ptr, size_t *cap, size_t need,
		 size_t elem)
{
	size_t c = *cap;
	if (need <= c)
		return ptr;
	if (c < 4)
		c = 4;
	while (c < need)
		c *= 2;
	if (elem && c > SIZE_MAX / elem)
		abort();
	void *p = arena_alloc(a, c * elem);
	if (ptr && *cap)
		memcpy(p, ptr, *cap * elem);
	*cap = c;
	return p;
}

size_t arena_bytes(const struct arena *a)
{
	return a->reserved;
}
