/*
 * fsutil: files that appear whole or not at all, for the folder-based
 * delivery adapters (letters for a print house, call tasks for the agents,
 * the file adapter of the demo and dry runs).
 *
 * Another program polls those folders, so a file must never be seen half
 * written, also not after a crash or a full disk: every file is written to
 * a temporary name in the same directory (".<name>.tmp.XXXXXX"), flushed
 * to disk (fsync), renamed over the final name and the directory is synced.
 * A crash leaves at worst such a temporary file, which no reader mistakes
 * for a real one (it starts with '.' and does not end in the real name's
 * extension) and which fs_remove_temps() deletes when no writer is active.
 *
 * Names that come from messages (idempotency keys) go through
 * fs_name_check, which refuses rather than rewrites anything that is not a
 * plain file name, so two keys never map to one file.
 *
 * Files get mode FS_FILE_MODE, new directories FS_DIR_MODE (limited by the
 * umask): letters and call scripts hold personal data, so the world never
 * reads them; the group is for the print house's or agents' transfer job. Error messages hold the path and the
 * system's error text (strerror), never anything else. This module never
 * prints and never decides what to write.
 *
 * It also holds the little those three adapters share besides files: the
 * parsing of their "scheme:/folder" setting and the filling of a
 * `struct deliver_result`.
 */
#ifndef DUNWELL_FSUTIL_H
#define DUNWELL_FSUTIL_H

#include <stddef.h>

#include "deliver.h"
#include "err.h"

#define FS_PATH_MAX 1024  /* bytes of any path built here, with NUL */
#define FS_NAME_MAX 200   /* bytes of one file name, with NUL */
#define FS_FILE_MODE 0640 /* new files: owner writes, group reads */
#define FS_DIR_MODE 0750  /* new directories */

/* -ERR_IO with "path: op: <the system's text for errnum>" (strerror_r,
 * safe in threads). */
int fs_error(struct err *e, const char *path, const char *op, int errnum);

/* Check that `name` is a safe file name component: 1..max bytes, only
 * [A-Za-z0-9._-], not starting with '.' (no hidden names, no "." or "..").
 * `what` names it in the message ("idempotency key"). -ERR_INVALID or
 * -ERR_TOOBIG. */
int fs_name_check(const char *name, size_t max, const char *what,
		  struct err *e);

/* Join "a/b" into out[cap]; -ERR_TOOBIG when it does not fit. */
int fs_join(char *out, size_t cap, const char *a, const char *b,
	    struct err *e);

/* Create a directory and its missing parents (like mkdir -p); each new
 * directory's entry is synced in its parent. An existing directory is
 * fine; an existing non-directory is -ERR_IO. */
int fs_mkdir_p(const char *path, struct err *e);

/* Atomically create or replace dir/name with len bytes of data. */
int fs_write_atomic(const char *dir, const char *name, const void *data,
		    size_t len, struct err *e);

/* The same, streamed: begin, write any number of times, then commit (or
 * abort, which removes the temporary file). After a failed write the
 * caller must abort. */
struct fs_atomic {
	int fd;                   /* the temporary file, -1 when none */
	char dir[FS_PATH_MAX];    /* the directory it goes into */
	char name[FS_NAME_MAX];   /* the final name */
	char tmp[FS_PATH_MAX];    /* the temporary file's path */
};

int fs_atomic_begin(struct fs_atomic *a, const char *dir, const char *name,
		    struct err *e);
int fs_atomic_write(struct fs_atomic *a, const void *data, size_t len,
		    struct err *e);
int fs_atomic_commit(struct fs_atomic *a, struct err *e);
void fs_atomic_abort(struct fs_atomic *a); /* fine after commit or abort */

/* Append len bytes to `path` (created if missing) in one write with
 * O_APPEND, then fsync: one record per call, so lines written by several
 * processes do not interleave on a local file system. */
int fs_append(const char *path, const void *data, size_t len, struct err *e);

/* Read a whole file of at most max bytes into a malloc'd, NUL-terminated
 * buffer. -ERR_NOTFOUND when it does not exist, -ERR_TOOBIG when larger. */
int fs_read_file(const char *path, size_t max, char **ret_data,
		 size_t *ret_len, struct err *e);

/* 1 when path exists (any type), 0 when not; -ERR_IO when it cannot be
 * told (permission, I/O error). */
int fs_exists(const char *path, struct err *e);

/* 1 when `name` is one of the temporary names fs_atomic_begin makes. */
int fs_is_temp(const char *name);

/* Delete the temporary files a crash left in dir (only call when no writer
 * can be active there). *ret_n (may be NULL) counts them. */
int fs_remove_temps(const char *dir, int *ret_n, struct err *e);

/* ---- for the folder-based delivery adapters ------------------------------ */

/* Parse a folder adapter's setting "<scheme>:<folder>" into ret_dir
 * (dir_cap bytes, NUL added). With ret_query NULL everything after the
 * colon is the folder; otherwise the folder ends at the first '?' and
 * *ret_query points just past it into config (NULL when there is none).
 * `what` ("folder", "queue folder") and `example` ("/path/to/dir") word
 * the messages: "<scheme>: setting does not start with \"<scheme>:\"",
 * "<scheme>: the <what> is empty (<scheme>:<example>)" (-ERR_INVALID),
 * "<scheme>: the <what> is longer than <dir_cap - 1> bytes" (-ERR_TOOBIG).
 * ret_dir and *ret_query are untouched on failure. */
int fs_config_dir(const char *config, const char *scheme, const char *what,
		  const char *example, size_t dir_cap, char *ret_dir,
		  const char **ret_query, struct err *e);

/* Copy at most cap-1 bytes of src into dst (cap > 0) with a NUL, not
 * cutting a UTF-8 sequence. */
void fs_copy_text(char *dst, size_t cap, const char *src);

/* Set a delivery result: status, provider id and error text (NULL for
 * "", both cut to fit as fs_copy_text does), no retry_after. */
void fs_result(struct deliver_result *r, enum deliver_status st,
	       const char *id, const char *error);

#endif
