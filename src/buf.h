/*
 * buf: a growable byte buffer with an explicit maximum size.
 *
 * Every piece of output dunwell builds from data it does not control
 * (rendered text, SQL-free reports, CSV lines) goes through a buf, so an
 * oversized input produces -ERR_TOOBIG instead of unbounded memory use
 * (curl's dynbuf "toobig"). The content is always NUL-terminated.
 */
#ifndef DUNWELL_BUF_H
#define DUNWELL_BUF_H

#include <stddef.h>

struct buf {
	char *data;  /* content, NUL-terminated; NULL until the first append */
	size_t len;  /* bytes used, excluding the terminating NUL */
	size_t cap;  /* bytes allocated */
	size_t max;  /* largest len allowed; appends beyond fail */
};

void buf_init(struct buf *b, size_t max);
/* Append n bytes; -ERR_TOOBIG (and b unchanged) if len would exceed max. */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The content as a C string ("" when empty; never NULL). */
const char *buf_cstr(const struct buf *b);
void buf_reset(struct buf *b);
/* Hand the allocation to the caller (NUL-terminated, never NULL) and reset. */
char *buf_detach(struct buf *b);
void buf_free(struct buf *b);

#endif
