/*
 * err: an error message produced where the failure is understood, carried
 * up to the one place that prints it.
 *
 * Library code never prints: it fills a struct err with the context a user
 * needs (file:line:column, field, value, what was expected) and returns a
 * negative code. The message is bounded; longer messages are truncated.
 */
#ifndef DUNWELL_ERR_H
#define DUNWELL_ERR_H

#include <stddef.h>

#define ERR_MSG_MAX 1024

/* Error codes returned (negated) by dunwell functions. */
enum {
	ERR_INVALID = 1,  /* malformed input */
	ERR_RANGE = 2,    /* value out of range or overflow */
	ERR_NOTFOUND = 3, /* a named thing does not exist */
	ERR_IO = 4,       /* file or system call failed */
	ERR_STORE = 5,    /* the database reported an error */
	ERR_CONFLICT = 6, /* a uniqueness or state conflict */
	ERR_TOOBIG = 7,   /* a bound was exceeded */
};

struct err {
	char msg[ERR_MSG_MAX]; /* NUL-terminated message, "" when none */
};

/* Set the message (printf-style); returns -code so callers can write
 * `return err_set(e, ERR_INVALID, "...")`. `e` may be NULL. */
int err_set(struct err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prefix the existing message with printf-style context ("file.csv:3: "). */
void err_prefix(struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void err_clear(struct err *e);

/* A value quoted in a message: at most ERR_QUOTE_MAX bytes (then "..."),
 * control and non-ASCII bytes shown as '?', so a message stays one line
 * whatever the input held. Returns `out`. */
#define ERR_QUOTE_MAX 64
#define ERR_QUOTE_BUF (ERR_QUOTE_MAX + 4)
const char *err_quote(const char *s, char out[ERR_QUOTE_BUF]);

#endif
