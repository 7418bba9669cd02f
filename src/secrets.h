/*
 * secrets: provider credentials kept out of the database.
 *
 * A tenant's delivery setting names its secrets as ${NAME} placeholders;
 * the values come from a secrets file (NAME=VALUE lines, readable by its
 * owner only, loaded once at start) or else from the environment. Error
 * messages name files, lines and NAMEs, never a value.
 *
 * secrets_load is called once, before any thread starts; after that the
 * table is only read, so secrets_expand may be called from any thread.
 */
#ifndef DUNWELL_SECRETS_H
#define DUNWELL_SECRETS_H

#include <stddef.h>

#include "err.h"

#define SECRETS_FILE_MAX (64 * 1024) /* bytes of a secrets file */
#define SECRETS_NAME_MAX 64          /* bytes of one NAME */

/* Read `path`: lines NAME=VALUE (NAME of A-Z, 0-9, _), '#' comments and
 * blank lines. Refused unless it is a regular file owned by the current
 * user with no group or other permission bits: -ERR_IO (naming the file
 * and its mode). -ERR_INVALID for a malformed line (file:line), a NAME
 * given twice, or a second load. */
int secrets_load(const char *path, struct err *e);

/* Copy `in` to `out` (cap bytes) with every ${NAME} replaced by its value
 * from the secrets file, else from the environment, percent-encoded
 * (settings are URLs; their parsers decode it again). -ERR_NOTFOUND
 * naming NAME when neither has it, -ERR_INVALID for a "${" without a
 * NAME and "}", -ERR_TOOBIG when out is too small. */
int secrets_expand(const char *in, char *out, size_t cap, struct err *e);

/* Replace, in msg (a NUL-terminated message of cap bytes), every value
 * that expanding `in` put in (as given and percent-encoded) by its
 * "${NAME}", so a message quoting an expanded setting shows no secret. */
void secrets_scrub(const char *in, char *msg, size_t cap);

/* Forget the loaded file, wiping its values (tests; process end). Not
 * thread-safe. */
void secrets_reset(void);

#endif
