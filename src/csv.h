/*
 * csv: a streaming RFC 4180 reader that knows where it is.
 *
 * Imports must name the exact place of every problem, so the reader tracks
 * the physical line each record starts on (quoted fields may span lines).
 * Every record and field has a bound; malformed quoting, a stray quote, a
 * record that is too long or a NUL byte is an error that names file:line.
 * A UTF-8 byte-order mark at the start is skipped; CRLF and LF both end
 * records.
 */
#ifndef DUNWELL_CSV_H
#define DUNWELL_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define CSV_MAX_FIELDS 64        /* columns per record */
#define CSV_MAX_RECORD (64 * 1024) /* bytes per record */

struct csv; /* opaque reader */

/* Read from `f` (not closed by csv_free); `name` appears in messages. */
struct csv *csv_open(FILE *f, const char *name);
void csv_free(struct csv *c);

/* Read the next record. Returns 1 with fields available, 0 at end of file,
 * or a negative error (message "name:line: ..."). Fields stay valid until
 * the next call. */
int csv_next(struct csv *c, struct err *e);
size_t csv_nfields(const struct csv *c);
const char *csv_field(const struct csv *c, size_t i); /* "" when i >= n */
/* The line number the current record started on (1-based). */
long csv_line(const struct csv *c);
const char *csv_name(const struct csv *c);

/* Map header names to column indexes: after reading the header record, look
 * up a column by name (exact match after trimming spaces); -1 if absent. */
int csv_column(const struct csv *c, const char *header_name);
/* Remember the current record as the header (copies it). */
void csv_take_header(struct csv *c);

#endif
