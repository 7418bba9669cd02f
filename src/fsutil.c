/*
 * fsutil: atomic file writes, directories and safe names (see fsutil.h).
 *
 * The sequence for a file that must appear whole: create a unique
 * temporary file next to the target (same file system, so rename is
 * atomic), write everything, fsync it (the data is on disk before the name
 * points at it), rename it over the target, fsync the directory (the new
 * name itself survives a power cut). Every system call's failure becomes
 * -ERR_IO with the path, the call and strerror's text.
 */
#include "fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define FS_TEMP_TAG ".tmp."  /* between the name and mkstemp's suffix */
#define FS_TEMP_RAND 6       /* mkstemp's random characters */

int fs_error(struct err *e, const char *path, const char *op, int errnum)
{
	char text[128];
	const char *s = strerror_r(errnum, text, sizeof(text)); /* GNU form */

	return err_set(e, ERR_IO, "%s: %s: %s", path, op, s);
}

int fs_name_check(const char *name, size_t max, const char *what,
		  struct err *e)
{
	char q[ERR_QUOTE_BUF];
	size_t i, n;

	if (!name || !name[0])
		return err_set(e, ERR_INVALID, "%s is empty", what);
	n = strnlen(name, max + 1);
	if (n > max)
		return err_set(e, ERR_TOOBIG, "%s \"%s\" is longer than %zu bytes",
			       what, err_quote(name, q), max);
	if (name[0] == '.')
		return err_set(e, ERR_INVALID,
			       "%s \"%s\" starts with '.' (not a plain file name)",
			       what, err_quote(name, q));
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		return err_set(e, ERR_INVALID,
			       "%s \"%s\": character %zu is not one of "
			       "A-Z a-z 0-9 . _ -", what, err_quote(name, q),
			       i + 1);
	}
	return 0;
}

int fs_join(char *out, size_t cap, const char *a, const char *b,
	    struct err *e)
{
	int n = snprintf(out, cap, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= cap)
		return err_set(e, ERR_TOOBIG, "%s/%s: path longer than %zu bytes",
			       a, b, cap - 1);
	return 0;
}

/* fsync a directory, so the names created or renamed in it last. */
static int fs_sync_dir(const char *dir, struct err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return fs_error(e, dir, "open", errno);
	if (fsync(fd) < 0) {
		int errnum = errno;
		close(fd);
		return fs_error(e, dir, "fsync", errnum);
	}
	close(fd);
	return 0;
}

/* Sync the directory holding path[0..len) (its parent). */
static int fs_sync_parent(const char *path, size_t len, struct err *e)
{
	char parent[FS_PATH_MAX];
	size_t i = len;

	while (i > 0 && path[i - 1] != '/')
		i--;
	while (i > 1 && path[i - 1] == '/')
		i--; /* "a//b" → "a" */
	if (i == 0)
		return fs_sync_dir(".", e);
	memcpy(parent, path, i);
	parent[i] = '\0';
	return fs_sync_dir(parent, e);
}

int fs_mkdir_p(const char *path, struct err *e)
{
	char p[FS_PATH_MAX];
	size_t n, i;

	if (!path || !path[0])
		return err_set(e, ERR_INVALID, "directory path is empty");
	n = strnlen(path, sizeof(p));
	if (n >= sizeof(p))
		return err_set(e, ERR_TOOBIG, "directory path longer than %zu bytes",
			       sizeof(p) - 1);
	memcpy(p, path, n + 1);
	/* Each prefix ending before a '/' (and the whole path), in order. */
	for (i = 1; i <= n; i++) {
		struct stat st;
		int r;

		if (i < n && p[i] != '/')
			continue;
		if (p[i - 1] == '/')
			continue; /* "//" or a trailing '/' */
		p[i] = '\0';
		if (mkdir(p, FS_DIR_MODE) == 0) {
			r = fs_sync_parent(p, i, e);
			if (r < 0)
				return r;
		} else if (errno == EEXIST) {
			if (stat(p, &st) < 0)
				return fs_error(e, p, "stat", errno);
			if (!S_ISDIR(st.st_mode))
				return fs_error(e, p, "mkdir", ENOTDIR);
		} else {
			return fs_error(e, p, "mkdir", errno);
		}
		if (i < n)
			p[i] = '/';
	}
	return 0;
}

int fs_atomic_begin(struct fs_atomic *a, const char *dir, const char *name,
		    struct err *e)
{
	char tname[FS_NAME_MAX + sizeof(FS_TEMP_TAG) + FS_TEMP_RAND + 1];
	size_t nl;
	int r;

	a->fd = -1;
	a->tmp[0] = '\0';
	nl = strnlen(name, FS_NAME_MAX);
	if (nl == 0 || nl >= FS_NAME_MAX)
		return err_set(e, ERR_TOOBIG, "%s: file name empty or longer than %d bytes",
			       dir, FS_NAME_MAX - 1);
	if (strnlen(dir, FS_PATH_MAX) >= FS_PATH_MAX)
		return err_set(e, ERR_TOOBIG, "directory path longer than %d bytes",
			       FS_PATH_MAX - 1);
	memcpy(a->name, name, nl + 1);
	memcpy(a->dir, dir, strlen(dir) + 1);
	snprintf(tname, sizeof(tname), ".%s" FS_TEMP_TAG "XXXXXX", name);
	r = fs_join(a->tmp, sizeof(a->tmp), dir, tname, e);
	if (r < 0) {
		a->tmp[0] = '\0';
		return r;
	}
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		r = fs_error(e, a->tmp, "create", errno);
		a->tmp[0] = '\0';
		return r;
	}
	if (fchmod(a->fd, FS_FILE_MODE) < 0) {
		r = fs_error(e, a->tmp, "chmod", errno);
		fs_atomic_abort(a);
		return r;
	}
	return 0;
}

int fs_atomic_write(struct fs_atomic *a, const void *data, size_t len,
		    struct err *e)
{
	const char *p = data;

	if (a->fd < 0)
		return err_set(e, ERR_IO, "%s/%s: write after failure", a->dir,
			       a->name);
	while (len > 0) {
		ssize_t w = write(a->fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return fs_error(e, a->tmp, "write", errno);
		}
		if (w == 0)
			return fs_error(e, a->tmp, "write", ENOSPC);
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fs_atomic_commit(struct fs_atomic *a, struct err *e)
{
	char path[FS_PATH_MAX];
	int r, fd = a->fd;

	if (fd < 0)
		return err_set(e, ERR_IO, "%s/%s: commit after failure", a->dir,
			       a->name);
	r = fs_join(path, sizeof(path), a->dir, a->name, e);
	if (r < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = fs_error(e, a->tmp, "fsync", errno);
		goto fail;
	}
	a->fd = -1;
	if (close(fd) < 0) {
		/* The data may not be on disk (NFS reports write errors here). */
		r = fs_error(e, a->tmp, "close", errno);
		goto fail;
	}
	if (rename(a->tmp, path) < 0) {
		r = fs_error(e, path, "rename", errno);
		goto fail;
	}
	a->tmp[0] = '\0';
	return fs_sync_dir(a->dir, e);
fail:
	fs_atomic_abort(a);
	return r;
}

void fs_atomic_abort(struct fs_atomic *a)
{
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
	if (a->tmp[0])
		unlink(a->tmp);
	a->tmp[0] = '\0';
}

int fs_write_atomic(const char *dir, const char *name, const void *data,
		    size_t len, struct err *e)
{
	struct fs_atomic a;
	int r = fs_atomic_begin(&a, dir, name, e);

	if (r < 0)
		return r;
	r = fs_atomic_write(&a, data, len, e);
	if (r < 0) {
		fs_atomic_abort(&a);
		return r;
	}
	return fs_atomic_commit(&a, e);
}

int fs_append(const char *path, const void *data, size_t len, struct err *e)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		      FS_FILE_MODE);
	ssize_t w;
	int r = 0;

	if (fd < 0)
		return fs_error(e, path, "open", errno);
	do {
		w = write(fd, data, len);
	} while (w < 0 && errno == EINTR);
	if (w < 0)
		r = fs_error(e, path, "write", errno);
	else if ((size_t)w != len)
		r = fs_error(e, path, "write", ENOSPC); /* short: disk full */
	else if (fsync(fd) < 0)
		r = fs_error(e, path, "fsync", errno);
	if (close(fd) < 0 && r == 0)
		r = fs_error(e, path, "close", errno);
	return r;
}

int fs_read_file(const char *path, size_t max, char **ret_data,
		 size_t *ret_len, struct err *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *data;
	size_t len = 0;
	int r;

	if (fd < 0) {
		if (errno == ENOENT)
			return err_set(e, ERR_NOTFOUND, "%s: does not exist", path);
		return fs_error(e, path, "open", errno);
	}
	data = xmalloc(max + 1);
	for (;;) {
		ssize_t n = read(fd, data + len, max + 1 - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = fs_error(e, path, "read", errno);
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			r = err_set(e, ERR_TOOBIG, "%s: larger than %zu bytes",
				    path, max);
			goto fail;
		}
	}
	close(fd);
	data[len] = '\0';
	*ret_data = data;
	*ret_len = len;
	return 0;
fail:
	close(fd);
	free(data);
	return r;
}

int fs_exists(const char *path, struct err *e)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return 1;
	if (errno == ENOENT || errno == ENOTDIR)
		return 0;
	return fs_error(e, path, "stat", errno);
}

int fs_is_temp(const char *name)
{
	size_t n = strlen(name), tl = sizeof(FS_TEMP_TAG) - 1, i;

	if (name[0] != '.' || n < 2 + tl + FS_TEMP_RAND)
		return 0;
	if (memcmp(name + n - FS_TEMP_RAND - tl, FS_TEMP_TAG, tl) != 0)
		return 0;
	for (i = n - FS_TEMP_RAND; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9')))
			return 0;
	}
	return 1;
}

int fs_remove_temps(const char *dir, int *ret_n, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0, r = 0;

	if (!d)
		return fs_error(e, dir, "opendir", errno);
	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			if (errno)
				r = fs_error(e, dir, "readdir", errno);
			break;
		}
		if (!fs_is_temp(de->d_name))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			char path[FS_PATH_MAX];
			int errnum = errno;
			if (fs_join(path, sizeof(path), dir, de->d_name, e) == 0)
				r = fs_error(e, path, "unlink", errnum);
			else
				r = -ERR_IO;
			break;
		}
		n++;
	}
	closedir(d);
	if (r == 0 && ret_n)
		*ret_n = n;
	return r;
}

/* ---- for the folder-based delivery adapters ------------------------------ */

int fs_config_dir(const char *config, const char *scheme, const char *what,
		  const char *example, size_t dir_cap, char *ret_dir,
		  const char **ret_query, struct err *e)
{
	size_t slen = strlen(scheme), n;
	const char *path;

	if (!config || strncmp(config, scheme, slen) != 0 || config[slen] != ':')
		return err_set(e, ERR_INVALID,
			       "%s: setting does not start with \"%s:\"",
			       scheme, scheme);
	path = config + slen + 1;
	n = ret_query ? strcspn(path, "?") : strnlen(path, dir_cap);
	if (n == 0)
		return err_set(e, ERR_INVALID, "%s: the %s is empty (%s:%s)",
			       scheme, what, scheme, example);
	if (n >= dir_cap)
		return err_set(e, ERR_TOOBIG,
			       "%s: the %s is longer than %zu bytes", scheme,
			       what, dir_cap - 1);
	memcpy(ret_dir, path, n);
	ret_dir[n] = '\0';
	if (ret_query)
		*ret_query = path[n] == '?' ? path + n + 1 : NULL;
	return 0;
}

void fs_copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = strnlen(src, cap);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void fs_result(struct deliver_result *r, enum deliver_status st,
	       const char *id, const char *error)
{
	memset(r, 0, sizeof(*r));
	r->status = st;
	fs_copy_text(r->provider_id, sizeof(r->provider_id), id ? id : "");
	fs_copy_text(r->error, sizeof(r->error), error ? error : "");
}
