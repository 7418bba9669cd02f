/*
 * secrets: provider credentials kept out of the database.
 *
 * The secrets file is read once, at start, into a small table that is never
 * written again until secrets_reset, so threads may read it without a lock.
 * The file is refused unless only its owner (the current user) may read
 * it: a secret that others can read is not one. No message here ever holds
 * a value: they name the file, the line or the NAME.
 */
#include "secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

/* One NAME=VALUE of the file. */
struct secret {
	char *name;  /* NAME: A-Z, 0-9, _ */
	char *value; /* VALUE as written (rest of the line), wiped on reset */
};

static struct {
	struct secret *list; /* the file's entries, in file order */
	size_t n;            /* entries in list */
	size_t cap;          /* allocated entries */
	int loaded;          /* a file was loaded (once only) */
} table;

static int name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static const struct secret *find(const char *name, size_t n)
{
	for (size_t i = 0; i < table.n; i++)
		if (strlen(table.list[i].name) == n &&
		    memcmp(table.list[i].name, name, n) == 0)
			return &table.list[i];
	return NULL;
}

/* The value of NAME (name[0..n)): the file's, else the environment's;
 * NULL when neither has it. */
static const char *lookup(const char *name, size_t n)
{
	char key[SECRETS_NAME_MAX + 1];
	const struct secret *s = find(name, n);

	if (s)
		return s->value;
	if (n == 0 || n > SECRETS_NAME_MAX)
		return NULL;
	memcpy(key, name, n);
	key[n] = '\0';
	return getenv(key);
}

void secrets_reset(void)
{
	for (size_t i = 0; i < table.n; i++) {
		sodium_memzero(table.list[i].value, strlen(table.list[i].value));
		free(table.list[i].value);
		free(table.list[i].name);
	}
	free(table.list);
	memset(&table, 0, sizeof(table));
}

/* Parse the file's text into the table; on error the table is emptied. */
static int parse(const char *path, const char *text, size_t len,
		 struct err *e)
{
	size_t pos = 0;
	int line = 0;

	while (pos < len) {
		const char *p = text + pos;
		const char *nl = memchr(p, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - p) : len - pos;
		size_t k, skip = 0;

		pos += n + (nl ? 1 : 0);
		line++;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		while (skip < n && (p[skip] == ' ' || p[skip] == '\t'))
			skip++;
		if (skip == n || p[skip] == '#')
			continue;
		p += skip;
		n -= skip;
		for (k = 0; k < n && name_char(p[k]); k++)
			;
		if (k == 0 || k >= n || p[k] != '=')
			return err_set(e, ERR_INVALID,
				       "secrets file %s:%d: expected NAME=VALUE"
				       " (NAME of A-Z, 0-9 and _)", path, line);
		if (k > SECRETS_NAME_MAX)
			return err_set(e, ERR_TOOBIG,
				       "secrets file %s:%d: a NAME longer than"
				       " %d bytes", path, line,
				       SECRETS_NAME_MAX);
		if (find(p, k))
			return err_set(e, ERR_INVALID,
				       "secrets file %s:%d: %.*s given twice",
				       path, line, (int)k, p);
		table.list = xgrow(table.list, &table.cap, table.n + 1,
				   sizeof(*table.list));
		table.list[table.n].name = xstrndup(p, k);
		table.list[table.n].value = xstrndup(p + k + 1, n - k - 1);
		table.n++;
	}
	return 0;
}

int secrets_load(const char *path, struct err *e)
{
	struct stat st;
	char *text;
	size_t len = 0;
	int fd, r;

	if (table.loaded)
		return err_set(e, ERR_INVALID, "secrets file %s: a secrets file"
			       " is already loaded", path);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, ERR_IO, "secrets file %s: %s%s", path,
			       strerror(errno),
			       errno == ELOOP ? " (a symbolic link is not"
						" accepted)" : "");
	if (fstat(fd, &st) < 0) {
		r = err_set(e, ERR_IO, "secrets file %s: %s", path,
			    strerror(errno));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(e, ERR_IO, "secrets file %s is not a regular"
			       " file (mode %04o)", path,
			       (unsigned)(st.st_mode & 07777));
	}
	if (st.st_uid != geteuid()) {
		close(fd);
		return err_set(e, ERR_IO, "secrets file %s (mode %04o) is owned"
			       " by uid %u, not by this user (uid %u)", path,
			       (unsigned)(st.st_mode & 07777),
			       (unsigned)st.st_uid, (unsigned)geteuid());
	}
	if (st.st_mode & 077) {
		close(fd);
		return err_set(e, ERR_IO, "secrets file %s has mode %04o: its"
			       " group or others may read it; refusing to"
			       " start (chmod 600 %s)", path,
			       (unsigned)(st.st_mode & 07777), path);
	}
	text = xmalloc(SECRETS_FILE_MAX + 1);
	for (;;) {
		ssize_t got = read(fd, text + len, SECRETS_FILE_MAX + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = err_set(e, ERR_IO, "secrets file %s: %s", path,
				    strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		len += (size_t)got;
		if (len > SECRETS_FILE_MAX) {
			r = err_set(e, ERR_TOOBIG, "secrets file %s is larger"
				    " than %d bytes", path, SECRETS_FILE_MAX);
			goto out;
		}
	}
	if (memchr(text, '\0', len)) {
		r = err_set(e, ERR_INVALID, "secrets file %s holds a NUL byte",
			    path);
		goto out;
	}
	r = parse(path, text, len, e);
	if (r < 0)
		secrets_reset();
	else
		table.loaded = 1;
out:
	sodium_memzero(text, SECRETS_FILE_MAX + 1);
	free(text);
	close(fd);
	return r;
}

/* Is c left as it is in a URL (RFC 3986 unreserved)? */
static int unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	       c == '~';
}

/* Append v percent-encoded to out at *o; 0, or -1 when it does not fit. */
static int put_encoded(const char *v, char *out, size_t cap, size_t *o)
{
	static const char hexd[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		size_t need = unreserved(*p) ? 1 : 3;
		if (*o + need >= cap)
			return -1;
		if (need == 1) {
			out[(*o)++] = (char)*p;
		} else {
			out[(*o)++] = '%';
			out[(*o)++] = hexd[*p >> 4];
			out[(*o)++] = hexd[*p & 15];
		}
	}
	return 0;
}

/* The placeholder at s ("${NAME}"): NAME's length, or -1 when s does not
 * start one. */
static long placeholder(const char *s)
{
	size_t k = 0;

	if (s[0] != '$' || s[1] != '{')
		return -1;
	while (name_char(s[2 + k]))
		k++;
	return k > 0 && k <= SECRETS_NAME_MAX && s[2 + k] == '}' ? (long)k
								   : -1;
}

int secrets_expand(const char *in, char *out, size_t cap, struct err *e)
{
	size_t o = 0;

	if (cap == 0)
		return err_set(e, ERR_TOOBIG, "no room to expand the setting");
	for (const char *p = in; *p;) {
		long k = placeholder(p);
		if (k < 0 && p[0] == '$' && p[1] == '{') {
			sodium_memzero(out, cap);
			return err_set(e, ERR_INVALID,
				       "'${' without a NAME of A-Z, 0-9 and _"
				       " and a closing '}'");
		}
		if (k < 0) {
			if (o + 1 >= cap)
				goto toobig;
			out[o++] = *p++;
			continue;
		}
		const char *v = lookup(p + 2, (size_t)k);
		if (!v) {
			sodium_memzero(out, cap);
			return err_set(e, ERR_NOTFOUND,
				       "${%.*s} is set neither in the secrets"
				       " file nor in the environment", (int)k,
				       p + 2);
		}
		if (put_encoded(v, out, cap, &o) < 0)
			goto toobig;
		p += k + 3;
	}
	out[o] = '\0';
	return 0;
toobig:
	sodium_memzero(out, cap);
	return err_set(e, ERR_TOOBIG, "the setting is longer than %zu bytes"
		       " once its ${NAME}s are filled in", cap - 1);
}

/* Replace every occurrence of `what` in msg by `with`, within cap. */
static void replace_all(char *msg, size_t cap, const char *what,
			const char *with)
{
	size_t wn = strlen(what), rn = strlen(with);
	char *tmp, *p;
	size_t o = 0;

	if (wn == 0 || !strstr(msg, what))
		return;
	tmp = xmalloc(cap);
	for (p = msg; *p && o + 1 < cap;) {
		if (strncmp(p, what, wn) == 0) {
			size_t n = rn < cap - 1 - o ? rn : cap - 1 - o;
			memcpy(tmp + o, with, n);
			o += n;
			p += wn;
		} else {
			tmp[o++] = *p++;
		}
	}
	tmp[o] = '\0';
	memcpy(msg, tmp, o + 1);
	sodium_memzero(tmp, cap);
	free(tmp);
}

void secrets_scrub(const char *in, char *msg, size_t cap)
{
	char enc[1024], name[SECRETS_NAME_MAX + 4];

	if (!in || !msg || cap == 0)
		return;
	for (const char *p = in; *p; p++) {
		long k = placeholder(p);
		const char *v;
		size_t o = 0;
		if (k < 0)
			continue;
		v = lookup(p + 2, (size_t)k);
		snprintf(name, sizeof(name), "${%.*s}", (int)k, p + 2);
		if (v && *v) {
			if (put_encoded(v, enc, sizeof(enc), &o) == 0) {
				enc[o] = '\0';
				replace_all(msg, cap, enc, name);
			}
			replace_all(msg, cap, v, name);
		}
		p += k + 2;
	}
	sodium_memzero(enc, sizeof(enc));
}
