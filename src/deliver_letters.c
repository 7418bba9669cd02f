/*
 * deliver_letters: daily folders of PDF letters with a manifest and a
 * READY marker for a print-and-mail house (see deliver_letters.h for the
 * layout and the guarantees).
 *
 * Only carries: the PDF arrives rendered (compose/render_letter); this
 * module checks it is a PDF, files it, and closes the day's batch when the
 * dispatcher flushes. It never decides whether a letter goes, never prints.
 * One handle per thread (the flock is held through the handle's own file
 * descriptor).
 */
#include "deliver_letters.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "mem.h"

#define LETTERS_SCHEME "letters"
#define LETTERS_ROWS ".rows"      /* per-batch index of manifest lines */
#define LETTERS_READY "READY"     /* the marker print houses poll for */
#define LETTERS_MANIFEST "manifest.csv"
#define LETTERS_LOCK ".lock"
#define LETTERS_BATCH_NAME 24     /* "YYYY-MM-DD-99" + NUL, with room */
#define LETTERS_PDF_TAIL 1024     /* %%EOF must be within the last bytes */
#define LETTERS_PAGES_MAX 1000000 /* larger /Count values are not believed */
#define LETTERS_OBJ_SPAN (64 * 1024) /* bytes searched around /Type /Pages */
#define LETTERS_MANIFEST_HEAD \
	"file,pages,recipient_name,address,country,idempotency_key,sha256\r\n"

/* One open adapter. */
struct letters {
	char dir[LETTERS_DIR_MAX]; /* the outbound folder from the setting */
	int lock_fd;               /* <dir>/.lock once opened, else -1 */
};

/* ---- The setting ---------------------------------------------------- */

static int letters_open(const char *config, void **ret_handle, struct err *e)
{
	char dir[LETTERS_DIR_MAX];
	const char *q;
	struct letters *h;
	char qbuf[ERR_QUOTE_BUF];
	int rc;

	rc = fs_config_dir(config, LETTERS_SCHEME, "folder",
			   "/path/to/outbound", sizeof(dir), dir, &q, e);
	if (rc < 0)
		return rc;
	if (q) {
		/* Options "k=v&k=v"; the only one is batch=daily. */
		const char *opt = q;
		for (;;) {
			size_t n = strcspn(opt, "&");
			char one[64];
			if (n >= sizeof(one) || n == 0) {
				fs_copy_text(one, sizeof(one), opt);
				return err_set(e, ERR_INVALID,
					       "letters: option \"%s\": expected batch=daily",
					       err_quote(one, qbuf));
			}
			memcpy(one, opt, n);
			one[n] = '\0';
			if (strcmp(one, "batch=daily") != 0)
				return err_set(e, ERR_INVALID,
					       "letters: option \"%s\": expected batch=daily",
					       err_quote(one, qbuf));
			if (!opt[n])
				break;
			opt += n + 1;
		}
	}
	if (sodium_init() < 0)
		return err_set(e, ERR_IO, "letters: libsodium failed to start");
	h = xcalloc(1, sizeof(*h));
	memcpy(h->dir, dir, strlen(dir) + 1);
	h->lock_fd = -1;
	*ret_handle = h;
	return 0;
}

static void letters_close_handle(void *hv)
{
	struct letters *h = hv;

	if (!h)
		return;
	if (h->lock_fd >= 0)
		close(h->lock_fd);
	free(h);
}

/* Create the folder and take the send (LOCK_SH) or flush (LOCK_EX) lock. */
static int letters_lock(struct letters *h, int op, struct err *e)
{
	char path[FS_PATH_MAX];
	int r = fs_join(path, sizeof(path), h->dir, LETTERS_LOCK, e);

	if (r < 0)
		return r;
	if (h->lock_fd < 0) {
		r = fs_mkdir_p(h->dir, e);
		if (r < 0)
			return r;
		h->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, FS_FILE_MODE);
		if (h->lock_fd < 0)
			return fs_error(e, path, "open", errno);
	}
	while (flock(h->lock_fd, op) < 0) {
		if (errno != EINTR)
			return fs_error(e, path, "flock", errno);
	}
	return 0;
}

static void letters_unlock(struct letters *h)
{
	if (h->lock_fd >= 0)
		(void)flock(h->lock_fd, LOCK_UN);
}

/* ---- PDF checks ----------------------------------------------------- */

/* PDF white space and delimiters end a name or a number. */
static int pdf_is_delim(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\0' || c == '(' || c == ')' || c == '<' || c == '>' ||
	       c == '[' || c == ']' || c == '{' || c == '}' || c == '/' ||
	       c == '%';
}

static int pdf_is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\0';
}

/* 1 when p[0..end) starts with the PDF name `name` (ending there). */
static int pdf_name_at(const unsigned char *p, const unsigned char *end,
		       const char *name)
{
	size_t n = strlen(name);

	return (size_t)(end - p) >= n && memcmp(p, name, n) == 0 &&
	       (p + n == end || pdf_is_delim(p[n]));
}

/* The largest /Count in the object around pdf[at] (a /Type /Pages), or 0:
 * from the last "obj" before it (its own, or the previous "endobj") to the
 * next "endobj", at most LETTERS_OBJ_SPAN bytes either way. */
static long pdf_node_count(const unsigned char *pdf, size_t len, size_t at)
{
	size_t lo = at > LETTERS_OBJ_SPAN ? at - LETTERS_OBJ_SPAN : 0;
	size_t hi = len - at > LETTERS_OBJ_SPAN ? at + LETTERS_OBJ_SPAN : len;
	size_t start = lo, i;
	const unsigned char *x;
	long best = 0;

	for (i = at; i >= lo + 3; i--) {
		if (memcmp(pdf + i - 3, "obj", 3) == 0) {
			start = i;
			break;
		}
	}
	x = memmem(pdf + at, hi - at, "endobj", 6);
	if (x)
		hi = (size_t)(x - pdf);
	for (i = start; i < hi; i++) {
		size_t j;
		long v = 0;
		int digits = 0;

		if (pdf[i] != '/' || !pdf_name_at(pdf + i, pdf + hi, "/Count"))
			continue;
		for (j = i + 6; j < hi && pdf_is_space(pdf[j]); j++)
			;
		for (; j < hi && pdf[j] >= '0' && pdf[j] <= '9' && digits < 8; j++) {
			v = v * 10 + (pdf[j] - '0');
			digits++;
		}
		if (digits > 0 && digits < 8 && (j == hi || pdf_is_delim(pdf[j])) &&
		    v <= LETTERS_PAGES_MAX && v > best)
			best = v;
		i = j - 1;
	}
	return best;
}

long letters_pdf_pages(const unsigned char *pdf, size_t len)
{
	const unsigned char *end = pdf + len, *p = pdf;
	long root = 0, leaves = 0;

	if (!pdf)
		return 0;
	for (;;) {
		const unsigned char *q;

		p = memmem(p, (size_t)(end - p), "/Type", 5);
		if (!p)
			break;
		q = p + 5;
		if (q < end && !pdf_is_delim(*q)) {
			p = q; /* "/Types" */
			continue;
		}
		while (q < end && pdf_is_space(*q))
			q++;
		if (pdf_name_at(q, end, "/Pages")) {
			long c = pdf_node_count(pdf, len, (size_t)(p - pdf));
			if (c > root)
				root = c;
		} else if (pdf_name_at(q, end, "/Page")) {
			if (leaves < LETTERS_PAGES_MAX)
				leaves++;
		}
		p = q;
	}
	return root > 0 ? root : leaves;
}

/* 1 when the bytes look like a whole PDF: the header, and the end-of-file
 * marker near the end (a cut-off file has none). */
static int letters_is_pdf(const unsigned char *d, size_t len)
{
	size_t tail = len < LETTERS_PDF_TAIL ? len : LETTERS_PDF_TAIL;

	return d && len >= 8 && memcmp(d, "%PDF-", 5) == 0 &&
	       memmem(d + len - tail, tail, "%%EOF", 5) != NULL;
}

/* ---- Manifest lines ------------------------------------------------- */

/* One RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
static int csv_put(struct buf *b, const char *s, int last)
{
	int r = 0;

	if (strpbrk(s, ",\"\r\n")) {
		r |= buf_putc(b, '"');
		for (; *s; s++) {
			if (*s == '"')
				r |= buf_putc(b, '"');
			r |= buf_putc(b, *s);
		}
		r |= buf_putc(b, '"');
	} else {
		r |= buf_puts(b, s);
	}
	r |= last ? buf_puts(b, "\r\n") : buf_putc(b, ',');
	return r ? -ERR_TOOBIG : 0;
}

/* Text for one manifest field: control characters become spaces, outer
 * spaces go. Appends to *b. */
static int letters_clean(struct buf *b, const char *s, size_t n)
{
	while (n > 0 && (unsigned char)*s <= ' ')
		s++, n--;
	while (n > 0 && (unsigned char)s[n - 1] <= ' ')
		n--;
	for (; n > 0; s++, n--) {
		unsigned char c = (unsigned char)*s;
		if (buf_putc(b, (c < 0x20 || c == 0x7f) ? ' ' : (char)c) < 0)
			return -ERR_TOOBIG;
	}
	return 0;
}

/* The address lines of `to` joined by " | ", blank lines left out. */
static int letters_address(const char *to, struct buf *ret)
{
	const char *p = to ? to : "";
	struct buf line;
	int r = 0;

	buf_init(&line, ret->max);
	while (*p && r == 0) {
		size_t n = strcspn(p, "\n");

		buf_reset(&line);
		r = letters_clean(&line, p, n);
		if (r == 0 && line.len > 0) {
			if (ret->len > 0)
				r = buf_puts(ret, " | ");
			if (r == 0)
				r = buf_puts(ret, buf_cstr(&line));
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	buf_free(&line);
	return r < 0 ? -ERR_TOOBIG : 0;
}

static void letters_sha256_hex(const unsigned char *d, size_t len,
			       char hex[crypto_hash_sha256_BYTES * 2 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, d, len);
	sodium_bin2hex(hex, crypto_hash_sha256_BYTES * 2 + 1, h, sizeof(h));
}

/* ---- Batches -------------------------------------------------------- */

static void letters_batch_name(date_t d, int seq, char out[LETTERS_BATCH_NAME])
{
	char ds[DATE_FMT_MAX];

	date_format(d, ds);
	if (seq <= 1)
		snprintf(out, LETTERS_BATCH_NAME, "%s", ds);
	else
		snprintf(out, LETTERS_BATCH_NAME, "%s-%d", ds, seq);
}

/* The date of a batch folder's name ("YYYY-MM-DD" or "YYYY-MM-DD-N"), or
 * DATE_NONE for any other name. */
static date_t letters_batch_date(const char *name)
{
	char ds[DATE_FMT_MAX];
	struct err e;
	date_t d;
	size_t n = strlen(name);

	if (n < 10)
		return DATE_NONE;
	if (n > 10) {
		const char *s = name + 10;
		int seq = 0;
		if (s[0] != '-' || s[1] < '2' || s[1] > '9')
			return DATE_NONE;
		for (s++; *s; s++) {
			if (*s < '0' || *s > '9' || seq > LETTERS_BATCHES_PER_DAY)
				return DATE_NONE;
			seq = seq * 10 + (*s - '0');
		}
		if (seq > LETTERS_BATCHES_PER_DAY)
			return DATE_NONE;
	}
	memcpy(ds, name, 10);
	ds[10] = '\0';
	if (date_parse(ds, &d, &e) < 0)
		return DATE_NONE;
	return d;
}

/* <dir>/<batch>[/<name>] into out. */
static int letters_path(const struct letters *h, const char *batch,
			const char *name, char out[FS_PATH_MAX], struct err *e)
{
	int n;

	if (name)
		n = snprintf(out, FS_PATH_MAX, "%s/%s/%s", h->dir, batch, name);
	else
		n = snprintf(out, FS_PATH_MAX, "%s/%s", h->dir, batch);
	if (n < 0 || n >= FS_PATH_MAX)
		return err_set(e, ERR_TOOBIG, "%s/%s: path longer than %d bytes",
			       h->dir, batch, FS_PATH_MAX - 1);
	return 0;
}

/* Find the batch holding `key` (its row), today back to LOOKBACK days.
 * 1 and *ret_closed set when found, 0 when not, negative on error. */
static int letters_find(const struct letters *h, const char *key,
			date_t today, char ret_batch[LETTERS_BATCH_NAME],
			int *ret_closed, struct err *e)
{
	char row[FS_NAME_MAX], path[FS_PATH_MAX], batch[LETTERS_BATCH_NAME];
	int k, seq, r;

	snprintf(row, sizeof(row), "%s/%s.csv", LETTERS_ROWS, key);
	for (k = 0; k <= LETTERS_LOOKBACK_DAYS; k++) {
		for (seq = 1; seq <= LETTERS_BATCHES_PER_DAY; seq++) {
			letters_batch_name(today - k, seq, batch);
			if ((r = letters_path(h, batch, NULL, path, e)) < 0)
				return r;
			if ((r = fs_exists(path, e)) <= 0) {
				if (r < 0)
					return r;
				break; /* batches of a day are numbered 1, 2, ... */
			}
			if ((r = letters_path(h, batch, row, path, e)) < 0)
				return r;
			if ((r = fs_exists(path, e)) < 0)
				return r;
			if (r == 0)
				continue;
			if ((r = letters_path(h, batch, LETTERS_READY, path, e)) < 0)
				return r;
			if ((r = fs_exists(path, e)) < 0)
				return r;
			memcpy(ret_batch, batch, sizeof(batch));
			*ret_closed = r;
			return 1;
		}
	}
	return 0;
}

/* The open batch of a day: the first one without READY (maybe new). */
static int letters_current(const struct letters *h, date_t day,
			   char ret_batch[LETTERS_BATCH_NAME], struct err *e)
{
	char path[FS_PATH_MAX], batch[LETTERS_BATCH_NAME], ds[DATE_FMT_MAX];
	int seq, r;

	for (seq = 1; seq <= LETTERS_BATCHES_PER_DAY; seq++) {
		letters_batch_name(day, seq, batch);
		if ((r = letters_path(h, batch, LETTERS_READY, path, e)) < 0)
			return r;
		if ((r = fs_exists(path, e)) < 0)
			return r;
		if (r == 0) {
			memcpy(ret_batch, batch, sizeof(batch));
			return 0;
		}
	}
	date_format(day, ds);
	return err_set(e, ERR_RANGE, "%s: %d batches of %s are closed already",
		       h->dir, LETTERS_BATCHES_PER_DAY, ds);
}

/* ---- Sending -------------------------------------------------------- */

/* Checks that do not depend on the disk: HARD_FAIL with the reason. */
static int letters_check(const struct deliver_msg *m, struct err *e)
{
	int r = fs_name_check(m->idempotency_key, LETTERS_KEY_MAX,
			      "idempotency key", e);

	if (r < 0)
		return r;
	if (!m->document || m->document_len == 0)
		return err_set(e, ERR_INVALID, "letter has no document");
	if (m->document_len > LETTERS_PDF_MAX)
		return err_set(e, ERR_TOOBIG, "letter is larger than %u bytes",
			       LETTERS_PDF_MAX);
	if (!letters_is_pdf(m->document, m->document_len))
		return err_set(e, ERR_INVALID,
			       "document is not a PDF (no %%PDF- header or %%%%EOF)");
	if (m->to_name && strnlen(m->to_name, LETTERS_NAME_MAX) >= LETTERS_NAME_MAX)
		return err_set(e, ERR_TOOBIG, "recipient name is longer than %d bytes",
			       LETTERS_NAME_MAX - 1);
	if (m->to && strnlen(m->to, LETTERS_ADDRESS_MAX) >= LETTERS_ADDRESS_MAX)
		return err_set(e, ERR_TOOBIG, "address is longer than %d bytes",
			       LETTERS_ADDRESS_MAX - 1);
	return 0;
}

/* The manifest line of one letter into *row. */
static int letters_row(const struct deliver_msg *m, const char *address,
		       struct buf *row, struct err *e)
{
	char file[FS_NAME_MAX], pages[24], hex[crypto_hash_sha256_BYTES * 2 + 1];
	struct buf name;
	long np = letters_pdf_pages(m->document, m->document_len);
	int r = 0;

	snprintf(file, sizeof(file), "%s.pdf", m->idempotency_key);
	if (np > 0)
		snprintf(pages, sizeof(pages), "%ld", np);
	else
		pages[0] = '\0';
	letters_sha256_hex(m->document, m->document_len, hex);
	buf_init(&name, LETTERS_NAME_MAX);
	if (m->to_name)
		r = letters_clean(&name, m->to_name, strlen(m->to_name));
	if (r == 0)
		r = csv_put(row, file, 0);
	if (r == 0)
		r = csv_put(row, pages, 0);
	if (r == 0)
		r = csv_put(row, buf_cstr(&name), 0);
	if (r == 0)
		r = csv_put(row, address, 0);
	if (r == 0)
		r = csv_put(row, "", 0); /* country: not in deliver_msg yet */
	if (r == 0)
		r = csv_put(row, m->idempotency_key, 0);
	if (r == 0)
		r = csv_put(row, hex, 1);
	buf_free(&name);
	if (r < 0)
		return err_set(e, ERR_TOOBIG, "manifest line longer than %d bytes",
			       LETTERS_ROW_MAX);
	return 0;
}

/* File one checked letter (the send lock held). */
static void letters_one(struct letters *h, const struct deliver_msg *m,
			const char *address, struct deliver_result *res)
{
	char batch[LETTERS_BATCH_NAME], bdir[FS_PATH_MAX], rows[FS_PATH_MAX];
	char name[FS_NAME_MAX], id[DELIVER_ID_MAX];
	struct err e = { "" };
	struct buf row;
	int closed = 0, r;

	buf_init(&row, LETTERS_ROW_MAX);
	r = letters_find(h, m->idempotency_key, instant_date(m->now), batch,
			 &closed, &e);
	if (r == 0)
		r = letters_current(h, instant_date(m->now), batch, &e);
	if (r < 0)
		goto retry;
	snprintf(id, sizeof(id), "%s/%s.pdf", batch, m->idempotency_key);
	if (closed) {
		/* Already in a batch the print house may have taken. */
		fs_result(res, DELIVER_SENT, id, NULL);
		goto out;
	}
	r = letters_row(m, address, &row, &e);
	if (r < 0) {
		fs_result(res, DELIVER_HARD_FAIL, NULL, e.msg);
		goto out;
	}
	snprintf(name, sizeof(name), "%s.pdf", m->idempotency_key);
	if ((r = letters_path(h, batch, NULL, bdir, &e)) < 0 ||
	    (r = letters_path(h, batch, LETTERS_ROWS, rows, &e)) < 0 ||
	    (r = fs_mkdir_p(rows, &e)) < 0 ||
	    (r = fs_write_atomic(bdir, name, m->document, m->document_len,
				 &e)) < 0)
		goto retry;
	/* The row last: from now on the letter is part of the batch. */
	snprintf(name, sizeof(name), "%s.csv", m->idempotency_key);
	r = fs_write_atomic(rows, name, row.data, row.len, &e);
	if (r < 0)
		goto retry;
	fs_result(res, DELIVER_SENT, id, NULL);
	goto out;
retry:
	fs_result(res, DELIVER_RETRY, NULL, e.msg);
out:
	buf_free(&row);
}

static int letters_send(void *hv, const struct deliver_msg *msgs, size_t n,
			struct deliver_result *results, struct err *e)
{
	struct letters *h = hv;
	struct err lock_err = { "" };
	struct buf addr;
	int locked = 0, lock_rc = 1;
	size_t i;

	if (n > DELIVER_BATCH_MAX)
		return err_set(e, ERR_TOOBIG, "letters: %zu messages in one call (at most %d)",
			       n, DELIVER_BATCH_MAX);
	buf_init(&addr, LETTERS_ADDRESS_MAX);
	for (i = 0; i < n; i++) {
		const struct deliver_msg *m = &msgs[i];
		struct err me = { "" };

		buf_reset(&addr);
		if (letters_check(m, &me) < 0) {
			fs_result(&results[i], DELIVER_HARD_FAIL, NULL, me.msg);
			continue;
		}
		if (letters_address(m->to, &addr) < 0) {
			fs_result(&results[i], DELIVER_HARD_FAIL, NULL,
				  "address is too long");
			continue;
		}
		if (addr.len == 0) {
			fs_result(&results[i], DELIVER_HARD_FAIL, NULL,
				  "address is empty");
			continue;
		}
		if (lock_rc > 0) {
			lock_rc = letters_lock(h, LOCK_SH, &lock_err);
			locked = lock_rc == 0;
		}
		if (lock_rc < 0) {
			fs_result(&results[i], DELIVER_RETRY, NULL,
				  lock_err.msg);
			continue;
		}
		letters_one(h, m, buf_cstr(&addr), &results[i]);
	}
	if (locked)
		letters_unlock(h);
	buf_free(&addr);
	return 0;
}

/* ---- Closing batches ------------------------------------------------ */

/* Delete PDFs without a row: a crash came between the two writes, and
 * the message was not reported sent, so it is retried elsewhere. */
static int letters_drop_orphans(const struct letters *h, const char *batch,
				struct err *e)
{
	char bdir[FS_PATH_MAX], row[FS_PATH_MAX];
	DIR *d;
	struct dirent *de;
	int r;

	if ((r = letters_path(h, batch, NULL, bdir, e)) < 0)
		return r;
	d = opendir(bdir);
	if (!d)
		return fs_error(e, bdir, "opendir", errno);
	r = 0;
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char rname[FS_NAME_MAX];

		if (n <= 4 || n - 4 >= FS_NAME_MAX - 16 ||
		    strcmp(de->d_name + n - 4, ".pdf") != 0 || de->d_name[0] == '.')
			continue;
		snprintf(rname, sizeof(rname), "%s/%.*s.csv", LETTERS_ROWS,
			 (int)(n - 4), de->d_name);
		if ((r = letters_path(h, batch, rname, row, e)) < 0)
			break;
		if ((r = fs_exists(row, e)) < 0)
			break;
		if (r == 1) {
			r = 0;
			continue;
		}
		if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != ENOENT) {
			int errnum = errno;
			char pdf[FS_PATH_MAX];
			if ((r = fs_join(pdf, sizeof(pdf), bdir, de->d_name, e)) == 0)
				r = fs_error(e, pdf, "unlink", errnum);
			break;
		}
	}
	closedir(d);
	return r;
}

/* Write manifest.csv and READY for one open batch with letters in it. */
static int letters_close_batch(const struct letters *h, const char *batch,
			       struct err *e)
{
	char bdir[FS_PATH_MAX], rows[FS_PATH_MAX], pdf[FS_PATH_MAX];
	char hex[crypto_hash_sha256_BYTES * 2 + 1], ready[256];
	unsigned char sum[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	struct fs_atomic man = { .fd = -1 };
	struct dirent *de;
	DIR *d = NULL;
	long count = 0;
	int r;

	if ((r = letters_path(h, batch, NULL, bdir, e)) < 0 ||
	    (r = letters_path(h, batch, LETTERS_ROWS, rows, e)) < 0)
		return r;
	if ((r = fs_remove_temps(bdir, NULL, e)) < 0)
		return r;
	if ((r = fs_exists(rows, e)) <= 0)
		return r; /* no letter was completed in it: nothing to close */
	if ((r = fs_remove_temps(rows, NULL, e)) < 0 ||
	    (r = letters_drop_orphans(h, batch, e)) < 0)
		return r;
	d = opendir(rows);
	if (!d)
		return fs_error(e, rows, "opendir", errno);
	crypto_hash_sha256_init(&st);
	r = fs_atomic_begin(&man, bdir, LETTERS_MANIFEST, e);
	if (r < 0)
		goto out;
	crypto_hash_sha256_update(&st, (const unsigned char *)LETTERS_MANIFEST_HEAD,
				  sizeof(LETTERS_MANIFEST_HEAD) - 1);
	r = fs_atomic_write(&man, LETTERS_MANIFEST_HEAD,
			    sizeof(LETTERS_MANIFEST_HEAD) - 1, e);
	while (r == 0 && (de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name), len;
		char rpath[FS_PATH_MAX], pname[FS_NAME_MAX];
		char *data;

		if (de->d_name[0] == '.' || n <= 4 || n >= FS_NAME_MAX ||
		    strcmp(de->d_name + n - 4, ".csv") != 0)
			continue;
		snprintf(pname, sizeof(pname), "%.*s.pdf", (int)(n - 4),
			 de->d_name);
		if ((r = fs_join(pdf, sizeof(pdf), bdir, pname, e)) < 0 ||
		    (r = fs_join(rpath, sizeof(rpath), rows, de->d_name, e)) < 0)
			break;
		if ((r = fs_exists(pdf, e)) <= 0) {
			if (r == 0)
				r = err_set(e, ERR_IO,
					    "%s: listed in %s but missing", pdf, rows);
			break;
		}
		r = fs_read_file(rpath, LETTERS_ROW_MAX, &data, &len, e);
		if (r < 0)
			break;
		crypto_hash_sha256_update(&st, (unsigned char *)data, len);
		r = fs_atomic_write(&man, data, len, e);
		free(data);
		count++;
	}
	if (r < 0)
		goto out;
	if (count == 0) {
		fs_atomic_abort(&man);
		goto out;
	}
	if ((r = fs_atomic_commit(&man, e)) < 0)
		goto out;
	crypto_hash_sha256_final(&st, sum);
	sodium_bin2hex(hex, sizeof(hex), sum, sizeof(sum));
	snprintf(ready, sizeof(ready), "letters %ld\n" LETTERS_MANIFEST " sha256 %s\n",
		 count, hex);
	r = fs_write_atomic(bdir, LETTERS_READY, ready, strlen(ready), e);
out:
	fs_atomic_abort(&man);
	closedir(d);
	return r;
}

/* Close every open batch of a day up to `now`'s (UTC), also those a
 * crashed run left open. */
static int letters_flush(void *hv, instant_t now, struct err *e)
{
	struct letters *h = hv;
	date_t today = instant_date(now);
	DIR *d;
	struct dirent *de;
	int r, first = 0;

	if ((r = fs_exists(h->dir, e)) <= 0) {
		if (r == 0)
			return 0; /* nothing was ever sent */
		goto fail;
	}
	if ((r = letters_lock(h, LOCK_EX, e)) < 0)
		goto fail;
	d = opendir(h->dir);
	if (!d) {
		r = fs_error(e, h->dir, "opendir", errno);
		letters_unlock(h);
		goto fail;
	}
	while ((de = readdir(d)) != NULL) {
		char ready[FS_PATH_MAX], bdir[FS_PATH_MAX];
		struct err be = { "" };
		struct stat sb;
		date_t day = letters_batch_date(de->d_name);

		if (day == DATE_NONE || day > today)
			continue;
		if (letters_path(h, de->d_name, NULL, bdir, &be) < 0 ||
		    stat(bdir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			continue;
		r = letters_path(h, de->d_name, LETTERS_READY, ready, &be);
		if (r == 0)
			r = fs_exists(ready, &be);
		if (r == 0)
			r = letters_close_batch(h, de->d_name, &be);
		if (r < 0 && first == 0) {
			first = r; /* report the first; close the others */
			err_set(e, -r, "%s", be.msg);
		}
	}
	closedir(d);
	letters_unlock(h);
	if (first < 0) {
		err_prefix(e, "letters: ");
		return first;
	}
	return 0;
fail:
	err_prefix(e, "letters: ");
	return r;
}

const struct deliver_backend deliver_letters = {
	.scheme = "letters",
	.channel = CHANNEL_LETTER,
	.open = letters_open,
	.send = letters_send,
	.flush = letters_flush,
	.close = letters_close_handle,
};
