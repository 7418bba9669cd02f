/*
 * csv: a streaming RFC 4180 reader (see csv.h).
 *
 * Input is read through one fixed 64 KiB buffer; a record's fields are
 * unescaped into one fixed record buffer, NUL-terminated one after another,
 * so reading a file costs two allocations however long it is. Unquoted
 * fields (the common case) are copied a run at a time, up to the next byte
 * that means something (comma, quote, line end, NUL).
 *
 * Line numbers are physical lines: LF, CRLF and a lone CR each end one, also
 * inside a quoted field, so the record after a multi-line field is reported
 * on the line an editor shows. After an error the reader stops: every later
 * csv_next returns the same error.
 */
#include "csv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define CSV_READ_BUF (64 * 1024) /* bytes read from the file at a time */

struct csv {
	FILE *f;                    /* input; not ours to close */
	char *name;                 /* for messages */
	char *in;                   /* read buffer, CSV_READ_BUF bytes */
	size_t in_pos;              /* next unread byte in `in` */
	size_t in_len;              /* bytes in `in` */
	int eof;                    /* the file has no more bytes */
	int started;                /* the byte-order mark check is done */

	char *rec;                  /* the record's fields, each NUL-ended */
	size_t rec_len;             /* bytes used in `rec` */
	size_t raw;                 /* bytes of input in this record so far */
	size_t off[CSV_MAX_FIELDS]; /* where each field starts in `rec` */
	size_t nfields;             /* fields in the current record */
	long line;                  /* physical line of the next input byte */
	long rec_line;              /* line the current record started on */

	int failed;                 /* 0, or the error every call returns */
	struct err failure;         /* its message */

	char *hdr;                  /* header names, trimmed, NUL-ended */
	size_t hdr_off[CSV_MAX_FIELDS]; /* where each name starts in `hdr` */
	size_t n_hdr;               /* names in the header; 0 = none taken */
};

/* Room for a record of CSV_MAX_RECORD input bytes: its content is never
 * longer than its input, and each field's NUL stands for a comma, except
 * the last one's. */
#define REC_CAP (CSV_MAX_RECORD + 1)

enum { END = -1, READ_ERROR = -2 };

/* Bytes that end a run of unquoted field content. */
static const unsigned char special[256] = {
	[','] = 1, ['"'] = 1, ['\n'] = 1, ['\r'] = 1, ['\0'] = 1,
};

struct csv *csv_open(FILE *f, const char *name)
{
	struct csv *c = xcalloc(1, sizeof(*c));

	c->f = f;
	c->name = xstrdup(name ? name : "input");
	c->in = xmalloc(CSV_READ_BUF);
	c->rec = xmalloc(REC_CAP);
	c->line = 1;
	return c;
}

void csv_free(struct csv *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->in);
	free(c->rec);
	free(c->hdr);
	free(c);
}

/* Make at least `want` unread bytes available unless the file ends first.
 * Returns how many are available, or READ_ERROR. */
static long fill(struct csv *c, size_t want)
{
	size_t avail = c->in_len - c->in_pos;

	while (avail < want && !c->eof) {
		size_t got;

		memmove(c->in, c->in + c->in_pos, avail);
		c->in_pos = 0;
		c->in_len = avail;
		got = fread(c->in + avail, 1, CSV_READ_BUF - avail, c->f);
		if (got == 0) {
			if (ferror(c->f))
				return READ_ERROR;
			c->eof = 1;
		}
		c->in_len += got;
		avail += got;
	}
	return (long)avail;
}

/* The next input byte, END or READ_ERROR. */
static inline int next_byte(struct csv *c)
{
	if (c->in_pos == c->in_len) {
		long n = fill(c, 1);
		if (n < 0)
			return READ_ERROR;
		if (n == 0)
			return END;
	}
	return (unsigned char)c->in[c->in_pos++];
}

/* The next input byte without taking it; END or READ_ERROR. */
static inline int peek_byte(struct csv *c)
{
	if (c->in_pos == c->in_len) {
		long n = fill(c, 1);
		if (n < 0)
			return READ_ERROR;
		if (n == 0)
			return END;
	}
	return (unsigned char)c->in[c->in_pos];
}

/* Record an error; every later call returns it too. */
static int __attribute__((format(printf, 4, 5)))
fail(struct csv *c, struct err *e, int code, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->failed = -code;
	err_set(&c->failure, code, "%s", msg);
	c->nfields = 0;
	return err_set(e, code, "%s", msg);
}

static int read_error(struct csv *c, struct err *e)
{
	char ebuf[128];

	return fail(c, e, ERR_IO, "%s:%ld: read error: %s", c->name, c->line,
		    strerror_r(errno, ebuf, sizeof(ebuf)));
}

static int too_long(struct csv *c, struct err *e)
{
	return fail(c, e, ERR_TOOBIG, "%s:%ld: record longer than %d bytes",
		    c->name, c->rec_line, CSV_MAX_RECORD);
}

/* After a CR: a following LF belongs to it. Either way one line ends. */
static int end_cr(struct csv *c)
{
	int ch = peek_byte(c);

	if (ch == READ_ERROR)
		return READ_ERROR;
	if (ch == '\n')
		c->in_pos++;
	c->line++;
	return 0;
}

/* Skip a UTF-8 byte-order mark at the very start of the input. */
static int skip_bom(struct csv *c)
{
	long n = fill(c, 3);

	if (n < 0)
		return READ_ERROR;
	if (n >= 3 && memcmp(c->in + c->in_pos, "\xef\xbb\xbf", 3) == 0)
		c->in_pos += 3;
	c->started = 1;
	return 0;
}

/* Copy unquoted content up to the next special byte; returns that byte
 * (taken from the input), END or READ_ERROR. Fails with -ERR_TOOBIG via
 * *ret_toobig when the record grows past its bound. */
static int copy_run(struct csv *c, int *ret_toobig)
{
	for (;;) {
		const unsigned char *p, *start, *limit;
		size_t n;

		if (c->in_pos == c->in_len) {
			long got = fill(c, 1);
			if (got < 0)
				return READ_ERROR;
			if (got == 0)
				return END;
		}
		start = (const unsigned char *)c->in + c->in_pos;
		limit = (const unsigned char *)c->in + c->in_len;
		for (p = start; p < limit && !special[*p]; p++)
			;
		n = (size_t)(p - start);
		if (n > CSV_MAX_RECORD - c->raw) {
			*ret_toobig = 1;
			return END;
		}
		memcpy(c->rec + c->rec_len, start, n);
		c->rec_len += n;
		c->raw += n;
		c->in_pos += n;
		if (p < limit) {
			c->in_pos++;
			return *p;
		}
	}
}

/* Count one more input byte of the record against its bound. */
static inline int count_byte(struct csv *c)
{
	return ++c->raw > CSV_MAX_RECORD ? -1 : 0;
}

/* A quoted field whose opening quote has been taken: its content goes to
 * the record buffer. Returns 0 with *ret_ch set to what follows the closing
 * quote (',', '\n', '\r' or END, already taken), or a negative error. */
static int read_quoted(struct csv *c, struct err *e, int *ret_ch)
{
	long start_line = c->line;
	size_t field = c->nfields + 1;
	int ch;

	for (;;) {
		ch = next_byte(c);
		if (ch == READ_ERROR)
			return read_error(c, e);
		if (ch == END)
			return fail(c, e, ERR_INVALID,
				    "%s:%ld: unterminated quoted field starting on this line",
				    c->name, start_line);
		if (count_byte(c) < 0)
			return too_long(c, e);
		if (ch == '"') {
			ch = peek_byte(c);
			if (ch == READ_ERROR)
				return read_error(c, e);
			if (ch != '"')
				break; /* the closing quote */
			c->in_pos++; /* "" is one quote */
			if (count_byte(c) < 0)
				return too_long(c, e);
		} else if (ch == '\0') {
			return fail(c, e, ERR_INVALID,
				    "%s:%ld: NUL byte in field %zu", c->name,
				    c->line, field);
		} else if (ch == '\n') {
			c->line++;
		} else if (ch == '\r') {
			int nx = peek_byte(c);
			if (nx == READ_ERROR)
				return read_error(c, e);
			if (nx != '\n')
				c->line++; /* a lone CR ends a line too */
		}
		c->rec[c->rec_len++] = (char)ch;
	}
	/* After the closing quote only a comma or the end of the record. */
	ch = next_byte(c);
	if (ch == READ_ERROR)
		return read_error(c, e);
	if (ch != ',' && ch != '\n' && ch != '\r' && ch != END)
		return fail(c, e, ERR_INVALID,
			    "%s:%ld: text after the closing quote of field %zu; expected a comma or the end of the line",
			    c->name, c->line, field);
	*ret_ch = ch;
	return 0;
}

int csv_next(struct csv *c, struct err *e)
{
	int ch, rc;

	if (c->failed) {
		if (e)
			*e = c->failure;
		return c->failed;
	}
	if (!c->started && skip_bom(c) < 0)
		return read_error(c, e);
	c->nfields = 0;
	c->rec_len = 0;
	c->raw = 0;
	/* Blank lines are skipped. */
	for (;;) {
		c->rec_line = c->line;
		ch = next_byte(c);
		if (ch == '\n') {
			c->line++;
		} else if (ch == '\r') {
			if (end_cr(c) < 0)
				return read_error(c, e);
		} else {
			break;
		}
	}
	if (ch == READ_ERROR)
		return read_error(c, e);
	if (ch == END)
		return 0;
	for (;;) {
		if (c->nfields == CSV_MAX_FIELDS)
			return fail(c, e, ERR_TOOBIG,
				    "%s:%ld: more than %d fields", c->name,
				    c->rec_line, CSV_MAX_FIELDS);
		c->off[c->nfields] = c->rec_len;
		if (ch == '"') {
			if (count_byte(c) < 0)
				return too_long(c, e);
			rc = read_quoted(c, e, &ch);
			if (rc < 0)
				return rc;
		} else if (ch != ',' && ch != '\n' && ch != '\r' &&
			   ch != END) {
			int toobig = 0;

			/* ch is the field's first byte (not a quote: that
			 * would be a quoted field); the run copies the rest. */
			if (ch != '\0') {
				if (count_byte(c) < 0)
					return too_long(c, e);
				c->rec[c->rec_len++] = (char)ch;
				ch = copy_run(c, &toobig);
			}
			if (toobig)
				return too_long(c, e);
			if (ch == READ_ERROR)
				return read_error(c, e);
			if (ch == '"')
				return fail(c, e, ERR_INVALID,
					    "%s:%ld: stray quote in unquoted field %zu",
					    c->name, c->line, c->nfields + 1);
			if (ch == '\0')
				return fail(c, e, ERR_INVALID,
					    "%s:%ld: NUL byte in field %zu",
					    c->name, c->line, c->nfields + 1);
		}
		c->rec[c->rec_len++] = '\0';
		c->nfields++;
		if (ch == ',') {
			if (count_byte(c) < 0)
				return too_long(c, e);
			ch = next_byte(c);
			if (ch == READ_ERROR)
				return read_error(c, e);
			continue;
		}
		if (ch == '\n') {
			c->line++;
		} else if (ch == '\r') {
			if (end_cr(c) < 0)
				return read_error(c, e);
		}
		return 1; /* '\n', '\r' or END */
	}
}

size_t csv_nfields(const struct csv *c)
{
	return c->nfields;
}

const char *csv_field(const struct csv *c, size_t i)
{
	if (i >= c->nfields)
		return "";
	return c->rec + c->off[i];
}

long csv_line(const struct csv *c)
{
	return c->rec_line;
}

const char *csv_name(const struct csv *c)
{
	return c->name;
}

/* The bounds of s without leading and trailing spaces and tabs. */
static void trim(const char *s, const char **ret_start, size_t *ret_len)
{
	size_t len = strlen(s);

	while (len && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	*ret_start = s;
	*ret_len = len;
}

void csv_take_header(struct csv *c)
{
	size_t used = 0;

	free(c->hdr);
	/* Trimmed names are never longer than the record. */
	c->hdr = xmalloc(c->rec_len + 1);
	c->n_hdr = 0;
	for (size_t i = 0; i < c->nfields; i++) {
		const char *s;
		size_t len;

		trim(csv_field(c, i), &s, &len);
		memcpy(c->hdr + used, s, len);
		c->hdr[used + len] = '\0';
		c->hdr_off[i] = used;
		used += len + 1;
	}
	c->n_hdr = c->nfields;
}

int csv_column(const struct csv *c, const char *header_name)
{
	const char *s;
	size_t len;

	trim(header_name, &s, &len);
	for (size_t i = 0; i < c->n_hdr; i++) {
		const char *h = c->hdr + c->hdr_off[i];
		if (strlen(h) == len && memcmp(h, s, len) == 0)
			return (int)i;
	}
	return -1;
}
