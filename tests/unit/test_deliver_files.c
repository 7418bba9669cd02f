/*
 * test_deliver_files: the folder-based delivery adapters (letters, voice,
 * file) and their atomic-write helper (fsutil), read back the way their
 * consumers read them.
 *
 * Letters: real PDFs from render_letter_pdf, the day's folder, the manifest
 * parsed with the project's RFC 4180 reader (src/csv.h), each row's SHA-256
 * recomputed from the file on disk and its page count compared with
 * poppler's pdfinfo, the READY marker; idempotency (a key in a closed batch
 * is SENT without touching the file, in an open batch replaced in place, a
 * new letter after closing goes to the day's next batch); HARD_FAIL for a
 * non-PDF, a cut-off PDF, an empty address and an unsafe key; RETRY with
 * the system's error text for a folder that cannot be created; crash
 * leftovers (a temporary file, a PDF without its manifest line) removed by
 * the next flush and never listed. Voice: the task JSON read back with
 * jansson, the WAV byte for byte. File: one file per channel and the
 * sent.log lines. Everything happens in a temporary directory, removed at
 * the end (KEEP=1 keeps it).
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "csv.h"
#include "deliver_file.h"
#include "deliver_letters.h"
#include "deliver_voice.h"
#include "fsutil.h"
#include "mem.h"
#include "render_letter.h"

#define PDF_MAX (4 * 1024 * 1024)
#define T0 1795773600 /* 2026-11-27T10:00:00Z */
#define DAY 86400

static char tmpdir[64];

/* ---- helpers ---- */

/* tmpdir/rel into out. */
static const char *tpath(char out[512], const char *rel)
{
	snprintf(out, 512, "%s/%s", tmpdir, rel);
	return out;
}

/* The whole file, or NULL; *len set. */
static char *slurp(const char *path, size_t *len)
{
	char *d = NULL;
	size_t n = 0;
	struct err e;

	if (fs_read_file(path, 64u << 20, &d, &n, &e) < 0)
		return NULL;
	if (len)
		*len = n;
	return d;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static ino_t inode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void sha256_hex(const void *d, size_t n, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, d, n);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* Names in a directory ending in `suffix`, and whether any is hidden. */
static int count_names(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t sl = strlen(suffix);
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' && (!strcmp(de->d_name, ".") ||
					     !strcmp(de->d_name, "..")))
			continue;
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* A letter as the print house would get it; `paras` body paragraphs make
 * it longer (about 25 make two pages). */
static int make_pdf(const char *name, int paras, instant_t created,
		    struct buf *out)
{
	const char *to[] = { name, "Keizersgracht 1", "1015 CJ Amsterdam" };
	struct buf body;
	struct letter l;
	struct err e = { "" };
	int i, rc;

	buf_init(&body, 256 * 1024);
	(void)buf_puts(&body, "Dear customer,\n\nYour invoice INV-1042 is open.");
	for (i = 0; i < paras; i++)
		(void)buf_printf(&body, "\n\nParagraph %d: we are here to help if "
				 "paying is hard right now. Choose a later date, "
				 "a plan, or call us; we will find a way together.",
				 i + 1);
	memset(&l, 0, sizeof(l));
	l.recipient_lines = to;
	l.n_recipient = 3;
	l.subject = "Reminder";
	l.body = buf_cstr(&body);
	l.lang = "en";
	l.created = created;
	buf_init(out, PDF_MAX);
	rc = render_letter_pdf(&l, PDF_MAX, out, &e);
	if (rc)
		printf("  render_letter_pdf: %s\n", e.msg);
	buf_free(&body);
	return rc;
}

/* Page count according to poppler's pdfinfo, -1 when it cannot be run. */
static int pdfinfo_pages(const char *path)
{
	char cmd[700], line[256];
	FILE *p;
	int pages = -1;

	snprintf(cmd, sizeof(cmd), "pdfinfo '%s' 2>/dev/null", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (strncmp(line, "Pages:", 6) == 0)
			pages = (int)strtol(line + 6, NULL, 10);
	if (pclose(p) != 0)
		return -1;
	return pages;
}

static void msg_init(struct deliver_msg *m, const char *key, enum channel ch,
		     const char *to, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->id = 1;
	m->idempotency_key = key;
	m->channel = ch;
	m->to = to;
	m->to_name = name;
	m->tenant = "acme";
	m->locale = "en";
	m->subject = "";
	m->text = "";
	m->now = T0;
}

static void msg_doc(struct deliver_msg *m, const struct buf *b)
{
	m->document = (const unsigned char *)b->data;
	m->document_len = b->len;
}

static void *open_ok(const struct deliver_backend *be, const char *config)
{
	void *h = NULL;
	struct err e = { "" };
	int rc = be->open(config, &h, &e);

	CHECK_INT(rc, 0);
	if (rc)
		printf("  open %s: %s\n", config, e.msg);
	return h;
}

static int send1(const struct deliver_backend *be, void *h,
		 const struct deliver_msg *m, struct deliver_result *res)
{
	struct err e = { "" };
	int rc = be->send(h, m, 1, res, &e);

	CHECK_INT(rc, 0);
	return rc;
}

/* A minimal WAV: 44-byte header, 8 samples of silence (8 kHz mono). */
static void make_wav(unsigned char wav[60])
{
	static const unsigned char head[44] = {
		'R', 'I', 'F', 'F', 52, 0, 0, 0, 'W', 'A', 'V', 'E',
		'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0,
		0x40, 0x1f, 0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0,
		'd', 'a', 't', 'a', 16, 0, 0, 0,
	};
	memcpy(wav, head, 44);
	memset(wav + 44, 0, 16);
}

/* ---- fsutil ---- */

TEST(test_fs_names)
{
	struct err e = { "" };
	char p[512], q[512];
	char *d;
	size_t n;

	CHECK_INT(fs_name_check("msg-42_a.B", 96, "key", &e), 0);
	CHECK_INT(fs_name_check("", 96, "key", &e), -ERR_INVALID);
	CHECK_INT(fs_name_check("../etc", 96, "key", &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "starts with '.'") != NULL);
	CHECK_INT(fs_name_check("a/b", 96, "key", &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "character 2") != NULL);
	CHECK_INT(fs_name_check("a b", 96, "key", &e), -ERR_INVALID);
	CHECK_INT(fs_name_check("caf\xc3\xa9", 96, "key", &e), -ERR_INVALID);
	CHECK_INT(fs_name_check("abcdef", 5, "key", &e), -ERR_TOOBIG);
	CHECK_INT(fs_is_temp(".k.pdf.tmp.Ab12Cd"), 1);
	CHECK_INT(fs_is_temp("k.pdf"), 0);
	CHECK_INT(fs_is_temp(".k.pdf.tmp.Ab1"), 0);
	CHECK_INT(fs_is_temp(".rows"), 0);

	/* Nested folders, then replace a file atomically. */
	CHECK_INT(fs_mkdir_p(tpath(p, "fs/a/b/c"), &e), 0);
	CHECK_INT(fs_mkdir_p(p, &e), 0); /* existing: fine */
	CHECK_INT(fs_write_atomic(p, "x.txt", "one", 3, &e), 0);
	CHECK_INT(fs_write_atomic(p, "x.txt", "second", 6, &e), 0);
	d = slurp(tpath(q, "fs/a/b/c/x.txt"), &n);
	CHECK(d && n == 6 && memcmp(d, "second", 6) == 0);
	free(d);
	CHECK_INT(count_names(p, ""), 1); /* no temporary file left */

	/* A file where a folder should be. */
	CHECK_INT(fs_mkdir_p(tpath(p, "fs/a/b/c/x.txt/sub"), &e), -ERR_IO);
	CHECK(strstr(e.msg, "Not a directory") != NULL);
	CHECK_INT(fs_write_atomic(p, "y", "z", 1, &e), -ERR_IO);
	CHECK(strstr(e.msg, "fs/a/b/c/x.txt/sub/.y.tmp.") != NULL);
}

/* ---- page counting ---- */

TEST(test_pdf_pages)
{
	static const char flat[] =
		"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
		"2 0 obj\n<< /Type /Pages\n   /Kids [ 3 0 R 4 0 R 5 0 R ]\n"
		"   /Count 3\n>>\nendobj\n"
		"3 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n"
		"4 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n"
		"5 0 obj\n<< /Type /Page /Parent 2 0 R >>\nendobj\n%%EOF\n";
	/* A tree: the root counts 7, inner nodes 4 and 3; /Count first. */
	static const char tree[] =
		"%PDF-1.7\n1 0 obj<</Count 7/Kids[2 0 R 3 0 R]/Type/Pages>>endobj\n"
		"2 0 obj<</Type/Pages/Parent 1 0 R/Count 4/Kids[]>>endobj\n"
		"3 0 obj<</Type/Pages/Parent 1 0 R/Count 3/Kids[]>>endobj\n"
		"9 0 obj<</Type/Outlines/Count 12>>endobj\n%%EOF";
	/* No /Pages node readable: count the /Page objects. */
	static const char leaves[] =
		"%PDF-1.4\n3 0 obj<</Type /Page>>endobj 4 0 obj<</Type /Page>>endobj"
		" 5 0 obj<</Type /Pagesque>>endobj\n%%EOF";
	static const char none[] = "%PDF-1.5\n1 0 obj<</Type/ObjStm/N 4>>stream\n"
				   "x\x9c garbage\nendstream endobj\n%%EOF";
	struct buf pdf;
	char p[512];
	int pi;

	CHECK_INT(letters_pdf_pages((const unsigned char *)flat, sizeof(flat) - 1), 3);
	CHECK_INT(letters_pdf_pages((const unsigned char *)tree, sizeof(tree) - 1), 7);
	CHECK_INT(letters_pdf_pages((const unsigned char *)leaves, sizeof(leaves) - 1), 2);
	CHECK_INT(letters_pdf_pages((const unsigned char *)none, sizeof(none) - 1), 0);
	CHECK_INT(letters_pdf_pages((const unsigned char *)"", 0), 0);

	/* cairo's output, against poppler. */
	if (make_pdf("Ann Smith", 30, T0, &pdf) == 0) {
		struct err e = { "" };
		long n = letters_pdf_pages((unsigned char *)pdf.data, pdf.len);
		CHECK(n >= 2);
		CHECK_INT(fs_mkdir_p(tpath(p, "pages"), &e), 0);
		CHECK_INT(fs_write_atomic(p, "long.pdf", pdf.data, pdf.len, &e), 0);
		pi = pdfinfo_pages(tpath(p, "pages/long.pdf"));
		if (pi >= 0)
			CHECK_INT(n, pi);
		else
			printf("  (pdfinfo not available: count not cross-checked)\n");
	}
	buf_free(&pdf);
}

/* ---- letters ---- */

TEST(test_letters_config)
{
	static const struct {
		const char *config;
		const char *msg; /* part of the error; NULL = opens */
	} cases[] = {
		{ "letters:/tmp/x", NULL },
		{ "letters:/tmp/x?batch=daily", NULL },
		{ "letters:", "folder is empty" },
		{ "letters:?batch=daily", "folder is empty" },
		{ "letters:/tmp/x?batch=weekly", "option \"batch=weekly\"" },
		{ "letters:/tmp/x?format=zip", "option \"format=zip\"" },
		{ "letters:/tmp/x?", "expected batch=daily" },
		{ "voice:/tmp/x", "does not start with \"letters:\"" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		void *h = NULL;
		struct err e = { "" };
		int rc = deliver_letters.open(cases[i].config, &h, &e);

		if (!cases[i].msg) {
			CHECK_INT(rc, 0);
			deliver_letters.close(h);
			continue;
		}
		CHECK(rc < 0);
		if (!strstr(e.msg, cases[i].msg))
			printf("  %s: \"%s\", want \"%s\"\n", cases[i].config,
			       e.msg, cases[i].msg);
		CHECK(strstr(e.msg, cases[i].msg) != NULL);
	}
	CHECK_STR(deliver_letters.scheme, "letters");
	CHECK_INT(deliver_letters.channel, CHANNEL_LETTER);
}

/* One parsed manifest row. */
struct mrow {
	char file[128], pages[16], name[128], address[256], country[8];
	char key[128], sha[72];
};

/* Read manifest.csv: the header, then up to max rows; the row count or -1. */
static int read_manifest(const char *path, struct mrow *rows, int max)
{
	static const char *const head[] = {
		"file", "pages", "recipient_name", "address", "country",
		"idempotency_key", "sha256",
	};
	FILE *f = fopen(path, "rb");
	struct csv *c;
	struct err e = { "" };
	int n = 0, rc;
	size_t i;

	if (!f)
		return -1;
	c = csv_open(f, "manifest.csv");
	rc = csv_next(c, &e);
	CHECK_INT(rc, 1);
	CHECK_INT(csv_nfields(c), 7);
	for (i = 0; i < 7; i++)
		CHECK_STR(csv_field(c, i), head[i]);
	while ((rc = csv_next(c, &e)) == 1 && n < max) {
		struct mrow *r = &rows[n++];
		CHECK_INT(csv_nfields(c), 7);
		snprintf(r->file, sizeof(r->file), "%s", csv_field(c, 0));
		snprintf(r->pages, sizeof(r->pages), "%s", csv_field(c, 1));
		snprintf(r->name, sizeof(r->name), "%s", csv_field(c, 2));
		snprintf(r->address, sizeof(r->address), "%s", csv_field(c, 3));
		snprintf(r->country, sizeof(r->country), "%s", csv_field(c, 4));
		snprintf(r->key, sizeof(r->key), "%s", csv_field(c, 5));
		snprintf(r->sha, sizeof(r->sha), "%s", csv_field(c, 6));
	}
	if (rc < 0)
		printf("  %s\n", e.msg);
	CHECK_INT(rc, 0);
	csv_free(c);
	fclose(f);
	return n;
}

static const struct mrow *find_row(const struct mrow *rows, int n,
				   const char *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].key, key) == 0)
			return &rows[i];
	return NULL;
}

TEST(test_letters_batch)
{
	static const char *const keys[3] = { "msg-1", "msg-2", "msg-3" };
	static const char *const names[3] = {
		"Ann Smith", "Bakker, \"De Tuin\" B.V.", "Søren Ørsted",
	};
	static const char *const tos[3] = {
		"Keizersgracht 1\n1015 CJ Amsterdam",
		"Attn. accounts\r\nDorpsstraat 2, unit 3\n\n1234 AB Ergens\n",
		"Østergade 1\n1100 København K\nDenmark",
	};
	static const char *const addrs[3] = {
		"Keizersgracht 1 | 1015 CJ Amsterdam",
		"Attn. accounts | Dorpsstraat 2, unit 3 | 1234 AB Ergens",
		"Østergade 1 | 1100 København K | Denmark",
	};
	struct deliver_msg m[3];
	struct deliver_result res[3];
	struct buf pdf[3];
	struct mrow rows[8];
	struct err e = { "" };
	char config[600], p[512], want[64], hex[65];
	void *h;
	int i, n;

	snprintf(config, sizeof(config), "letters:%s/out?batch=daily", tmpdir);
	for (i = 0; i < 3; i++) {
		if (make_pdf(names[i], i == 2 ? 30 : 0, T0, &pdf[i]) != 0) {
			CHECK(0);
			goto out_free;
		}
		msg_init(&m[i], keys[i], CHANNEL_LETTER, tos[i], names[i]);
		msg_doc(&m[i], &pdf[i]);
	}
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out_free;
	CHECK_INT(deliver_letters.send(h, m, 3, res, &e), 0);
	for (i = 0; i < 3; i++) {
		char *d;
		size_t len = 0;

		CHECK_INT(res[i].status, DELIVER_SENT);
		CHECK_STR(res[i].error, "");
		snprintf(want, sizeof(want), "2026-11-27/%s.pdf", keys[i]);
		CHECK_STR(res[i].provider_id, want);
		snprintf(want, sizeof(want), "out/2026-11-27/%s.pdf", keys[i]);
		d = slurp(tpath(p, want), &len);
		CHECK(d && len == pdf[i].len && memcmp(d, pdf[i].data, len) == 0);
		free(d);
	}
	/* Not closed before the flush. */
	CHECK(!exists(tpath(p, "out/2026-11-27/manifest.csv")));
	CHECK(!exists(tpath(p, "out/2026-11-27/READY")));
	CHECK_INT(deliver_letters.flush(h, T0 + 3600, &e), 0);
	CHECK(exists(tpath(p, "out/2026-11-27/READY")));
	n = read_manifest(tpath(p, "out/2026-11-27/manifest.csv"), rows, 8);
	CHECK_INT(n, 3);
	for (i = 0; i < 3 && n == 3; i++) {
		const struct mrow *r = find_row(rows, n, keys[i]);
		char *d;
		size_t len = 0;
		int pi;

		CHECK(r != NULL);
		if (!r)
			continue;
		snprintf(want, sizeof(want), "%s.pdf", keys[i]);
		CHECK_STR(r->file, want);
		CHECK_STR(r->name, names[i]);
		CHECK_STR(r->address, addrs[i]);
		CHECK_STR(r->country, "");
		snprintf(want, sizeof(want), "out/2026-11-27/%s.pdf", keys[i]);
		d = slurp(tpath(p, want), &len);
		CHECK(d != NULL);
		if (d) {
			sha256_hex(d, len, hex);
			CHECK_STR(r->sha, hex);
		}
		free(d);
		pi = pdfinfo_pages(p);
		if (pi >= 0)
			CHECK_INT(strtol(r->pages, NULL, 10), pi);
		if (i == 2)
			CHECK(strtol(r->pages, NULL, 10) >= 2);
		else
			CHECK_STR(r->pages, "1");
	}
	/* READY names the count and the manifest's checksum. */
	{
		char *ready = slurp(tpath(p, "out/2026-11-27/READY"), NULL);
		char *man;
		size_t ml = 0;
		char line[128];

		man = slurp(tpath(p, "out/2026-11-27/manifest.csv"), &ml);
		CHECK(ready && man);
		if (ready && man) {
			sha256_hex(man, ml, hex);
			snprintf(line, sizeof(line), "letters 3\nmanifest.csv sha256 %s\n",
				 hex);
			CHECK_STR(ready, line);
			CHECK(strstr(man, "\r\n") != NULL); /* RFC 4180 line ends */
		}
		free(ready);
		free(man);
	}
	/* A second flush changes nothing. */
	{
		ino_t before = inode(tpath(p, "out/2026-11-27/manifest.csv"));
		CHECK_INT(deliver_letters.flush(h, T0 + 7200, &e), 0);
		CHECK(before == inode(p));
	}
	deliver_letters.close(h);
out_free:
	for (i = 0; i < 3; i++)
		buf_free(&pdf[i]);
}

TEST(test_letters_idempotent)
{
	struct deliver_msg m;
	struct deliver_result r;
	struct buf a, b;
	struct mrow rows[8];
	struct err e = { "" };
	char config[600], p[512], *d;
	size_t len = 0;
	ino_t ino;
	void *h;
	int n;

	snprintf(config, sizeof(config), "letters:%s/idem", tmpdir);
	if (make_pdf("Ann Smith", 0, T0, &a) || make_pdf("Ann Smith", 1, T0, &b)) {
		CHECK(0);
		goto out;
	}
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out;
	msg_init(&m, "k1", CHANNEL_LETTER, "Street 1\nTown", "Ann Smith");
	msg_doc(&m, &a);
	send1(&deliver_letters, h, &m, &r);
	CHECK_INT(r.status, DELIVER_SENT);
	/* A retry in the open batch replaces the same file, one row. */
	msg_doc(&m, &b);
	send1(&deliver_letters, h, &m, &r);
	CHECK_INT(r.status, DELIVER_SENT);
	CHECK_STR(r.provider_id, "2026-11-27/k1.pdf");
	d = slurp(tpath(p, "idem/2026-11-27/k1.pdf"), &len);
	CHECK(d && len == b.len && memcmp(d, b.data, len) == 0);
	free(d);
	CHECK_INT(deliver_letters.flush(h, T0, &e), 0);
	n = read_manifest(tpath(p, "idem/2026-11-27/manifest.csv"), rows, 8);
	CHECK_INT(n, 1);

	/* Closed: the same key again is SENT, nothing is rewritten, also on
	 * a later day (a retry across midnight) and from a new handle. */
	ino = inode(tpath(p, "idem/2026-11-27/k1.pdf"));
	deliver_letters.close(h);
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out;
	msg_doc(&m, &a);
	m.now = T0 + 600;
	send1(&deliver_letters, h, &m, &r);
	CHECK_INT(r.status, DELIVER_SENT);
	CHECK_STR(r.provider_id, "2026-11-27/k1.pdf");
	m.now = T0 + 2 * DAY;
	send1(&deliver_letters, h, &m, &r);
	CHECK_INT(r.status, DELIVER_SENT);
	CHECK_STR(r.provider_id, "2026-11-27/k1.pdf");
	CHECK(inode(tpath(p, "idem/2026-11-27/k1.pdf")) == ino);
	d = slurp(p, &len);
	CHECK(d && len == b.len && memcmp(d, b.data, len) == 0);
	free(d);
	CHECK(!exists(tpath(p, "idem/2026-11-29")));

	/* A new letter the same day goes to the day's second batch. */
	msg_init(&m, "k2", CHANNEL_LETTER, "Street 2\nTown", "Bob");
	msg_doc(&m, &a);
	m.now = T0 + 900;
	send1(&deliver_letters, h, &m, &r);
	CHECK_INT(r.status, DELIVER_SENT);
	CHECK_STR(r.provider_id, "2026-11-27-2/k2.pdf");
	CHECK(exists(tpath(p, "idem/2026-11-27-2/k2.pdf")));
	/* A flush at an earlier day's clock leaves it open. */
	CHECK_INT(deliver_letters.flush(h, T0 - DAY, &e), 0);
	CHECK(!exists(tpath(p, "idem/2026-11-27-2/READY")));
	CHECK_INT(deliver_letters.flush(h, T0 + 1000, &e), 0);
	CHECK(exists(tpath(p, "idem/2026-11-27-2/READY")));
	n = read_manifest(tpath(p, "idem/2026-11-27-2/manifest.csv"), rows, 8);
	CHECK_INT(n, 1);
	CHECK(n == 1 && strcmp(rows[0].key, "k2") == 0);
	/* The first batch's manifest is untouched. */
	n = read_manifest(tpath(p, "idem/2026-11-27/manifest.csv"), rows, 8);
	CHECK_INT(n, 1);
	deliver_letters.close(h);
out:
	buf_free(&a);
	buf_free(&b);
}

TEST(test_letters_failures)
{
	static const unsigned char not_pdf[] = "<html>not a letter</html>";
	struct deliver_msg m[5];
	struct deliver_result r[5];
	struct buf pdf, cut;
	struct err e = { "" };
	char config[600], p[512];
	void *h;
	int i;

	if (make_pdf("Ann Smith", 0, T0, &pdf)) {
		CHECK(0);
		buf_free(&pdf);
		return;
	}
	buf_init(&cut, PDF_MAX);
	(void)buf_append(&cut, pdf.data, pdf.len / 2); /* no %%EOF */
	snprintf(config, sizeof(config), "letters:%s/fail", tmpdir);
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out;
	msg_init(&m[0], "bad-doc", CHANNEL_LETTER, "Street 1\nTown", "A");
	m[0].document = not_pdf;
	m[0].document_len = sizeof(not_pdf) - 1;
	msg_init(&m[1], "cut-doc", CHANNEL_LETTER, "Street 1\nTown", "A");
	msg_doc(&m[1], &cut);
	msg_init(&m[2], "no-address", CHANNEL_LETTER, " \n\t\n", "A");
	msg_doc(&m[2], &pdf);
	msg_init(&m[3], "../escape", CHANNEL_LETTER, "Street 1\nTown", "A");
	msg_doc(&m[3], &pdf);
	msg_init(&m[4], "no-doc", CHANNEL_LETTER, "Street 1\nTown", "A");
	CHECK_INT(deliver_letters.send(h, m, 5, r, &e), 0);
	for (i = 0; i < 5; i++) {
		CHECK_INT(r[i].status, DELIVER_HARD_FAIL);
		CHECK_STR(r[i].provider_id, "");
	}
	CHECK(strstr(r[0].error, "not a PDF") != NULL);
	CHECK(strstr(r[1].error, "not a PDF") != NULL);
	CHECK_STR(r[2].error, "address is empty");
	CHECK(strstr(r[3].error, "idempotency key") != NULL);
	CHECK(strstr(r[4].error, "no document") != NULL);
	CHECK(!exists(tpath(p, "fail/2026-11-27"))); /* nothing filed */
	deliver_letters.close(h);

	/* A folder that cannot be created: RETRY with the system's words. */
	CHECK_INT(fs_write_atomic(tmpdir, "plainfile", "x", 1, &e), 0);
	snprintf(config, sizeof(config), "letters:%s/plainfile/out", tmpdir);
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out;
	msg_init(&m[0], "k1", CHANNEL_LETTER, "Street 1\nTown", "A");
	msg_doc(&m[0], &pdf);
	send1(&deliver_letters, h, &m[0], &r[0]);
	CHECK_INT(r[0].status, DELIVER_RETRY);
	CHECK(strstr(r[0].error, "Not a directory") != NULL);
	CHECK(strstr(r[0].error, "plainfile") != NULL);
	CHECK_INT(deliver_letters.flush(h, T0, &e), 0); /* nothing to close */
	deliver_letters.close(h);

	/* The disk fills up half-way through the PDF (a file size limit
	 * stands in for a full disk: write fails the same way): RETRY with
	 * the system's words, and neither a PDF nor a temporary file stays. */
	{
		struct rlimit old, small;
		void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);

		snprintf(config, sizeof(config), "letters:%s/full", tmpdir);
		h = open_ok(&deliver_letters, config);
		CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
		small = old;
		small.rlim_cur = 4096; /* the PDF is larger */
		CHECK_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
		msg_init(&m[0], "k-full", CHANNEL_LETTER, "Street 1\nTown", "A");
		msg_doc(&m[0], &pdf);
		if (h)
			send1(&deliver_letters, h, &m[0], &r[0]);
		CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
		signal(SIGXFSZ, prev);
		CHECK_INT(r[0].status, DELIVER_RETRY);
		CHECK(strstr(r[0].error, "write: File too large") != NULL);
		CHECK(!exists(tpath(p, "full/2026-11-27/k-full.pdf")));
		CHECK_INT(count_names(tpath(p, "full/2026-11-27"), ""), 1); /* .rows */
		CHECK_INT(count_names(tpath(p, "full/2026-11-27/.rows"), ""), 0);
		/* Room again: the retry goes through. */
		if (h) {
			send1(&deliver_letters, h, &m[0], &r[0]);
			CHECK_INT(r[0].status, DELIVER_SENT);
			CHECK(exists(tpath(p, "full/2026-11-27/k-full.pdf")));
			deliver_letters.close(h);
		}
	}

	/* Permissions (only meaningful when not running as root). */
	if (geteuid() != 0) {
		CHECK_INT(fs_mkdir_p(tpath(p, "ro"), &e), 0);
		CHECK_INT(chmod(p, 0500), 0);
		snprintf(config, sizeof(config), "letters:%s/ro/out", tmpdir);
		h = open_ok(&deliver_letters, config);
		if (h) {
			send1(&deliver_letters, h, &m[0], &r[0]);
			CHECK_INT(r[0].status, DELIVER_RETRY);
			CHECK(strstr(r[0].error, "Permission denied") != NULL);
			deliver_letters.close(h);
		}
		(void)chmod(p, 0700);
	}
out:
	buf_free(&pdf);
	buf_free(&cut);
}

TEST(test_letters_crash)
{
	struct deliver_msg m[2];
	struct deliver_result r[2];
	struct buf pdf;
	struct mrow rows[8];
	struct err e = { "" };
	char config[600], p[512], q[512], bdir[512];
	void *h;
	int n;

	if (make_pdf("Ann Smith", 0, T0, &pdf)) {
		CHECK(0);
		buf_free(&pdf);
		return;
	}
	snprintf(config, sizeof(config), "letters:%s/crash", tmpdir);
	/* A run files two letters and dies before it flushes. */
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out;
	msg_init(&m[0], "a1", CHANNEL_LETTER, "Street 1\nTown", "A");
	msg_init(&m[1], "a2", CHANNEL_LETTER, "Street 2\nTown", "B");
	msg_doc(&m[0], &pdf);
	msg_doc(&m[1], &pdf);
	CHECK_INT(deliver_letters.send(h, m, 2, r, &e), 0);
	CHECK(r[0].status == DELIVER_SENT && r[1].status == DELIVER_SENT);
	deliver_letters.close(h);
	/* What it was doing when it died: half of a third PDF in a temporary
	 * file, a fourth PDF complete but not yet in the manifest index, and
	 * half an index line. */
	tpath(bdir, "crash/2026-11-27");
	CHECK_INT(fs_write_atomic(bdir, "x.tmp", pdf.data, pdf.len / 2, &e), 0);
	CHECK_INT(rename(tpath(p, "crash/2026-11-27/x.tmp"),
			 tpath(q, "crash/2026-11-27/.a3.pdf.tmp.Zq81xY")), 0);
	CHECK_INT(fs_write_atomic(bdir, "a4.pdf", pdf.data, pdf.len, &e), 0);
	CHECK_INT(fs_write_atomic(tpath(p, "crash/2026-11-27/.rows"),
				  "x.tmp", "a5.pdf,1,", 9, &e), 0);
	CHECK_INT(rename(tpath(p, "crash/2026-11-27/.rows/x.tmp"),
			 tpath(q, "crash/2026-11-27/.rows/.a5.csv.tmp.AbCdEf")), 0);
	CHECK_INT(count_names(tpath(p, "crash/2026-11-27"), ".pdf"), 2 + 1);

	/* The next run's flush closes the batch with what was handed over. */
	h = open_ok(&deliver_letters, config);
	if (!h)
		goto out;
	CHECK_INT(deliver_letters.flush(h, T0 + DAY, &e), 0);
	n = read_manifest(tpath(p, "crash/2026-11-27/manifest.csv"), rows, 8);
	CHECK_INT(n, 2);
	CHECK(find_row(rows, n, "a1") && find_row(rows, n, "a2"));
	CHECK(!find_row(rows, n, "a3") && !find_row(rows, n, "a4"));
	CHECK(!find_row(rows, n, "a5"));
	CHECK(!exists(tpath(p, "crash/2026-11-27/.a3.pdf.tmp.Zq81xY")));
	CHECK(!exists(tpath(p, "crash/2026-11-27/.rows/.a5.csv.tmp.AbCdEf")));
	CHECK(!exists(tpath(p, "crash/2026-11-27/a3.pdf")));
	CHECK(!exists(tpath(p, "crash/2026-11-27/a4.pdf")));
	CHECK_INT(count_names(tpath(p, "crash/2026-11-27"), ".pdf"), 2);
	CHECK_INT(count_names(p, ".tmp.Zq81xY"), 0);
	CHECK(exists(tpath(p, "crash/2026-11-27/READY")));

	/* The letter that was not reported sent is retried: it goes out in
	 * the day's next batch, whole. */
	msg_init(&m[0], "a4", CHANNEL_LETTER, "Street 4\nTown", "D");
	msg_doc(&m[0], &pdf);
	m[0].now = T0 + DAY;
	send1(&deliver_letters, h, &m[0], &r[0]);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK_STR(r[0].provider_id, "2026-11-28/a4.pdf");
	deliver_letters.close(h);
out:
	buf_free(&pdf);
}

/* ---- voice ---- */

TEST(test_voice)
{
	unsigned char wav[60];
	struct deliver_msg m[5];
	struct deliver_result r[5];
	struct err e = { "" };
	char config[600], p[512], q[512], *d;
	size_t len = 0;
	json_t *j;
	json_error_t je;
	void *h;
	int i;

	make_wav(wav);
	snprintf(config, sizeof(config), "voice:%s/calls", tmpdir);
	h = open_ok(&deliver_voice, config);
	if (!h)
		return;
	msg_init(&m[0], "call-1", CHANNEL_VOICE, "+31612345678", "Søren Ørsted");
	m[0].locale = "nl";
	m[0].text = "Goedemiddag, u spreekt met Acme.\n\"Uw factuur\" staat open.";
	m[0].document = wav;
	m[0].document_len = sizeof(wav);
	m[0].id = 4242;
	msg_init(&m[1], "call-2", CHANNEL_VOICE, "+4915112345678", "Bob");
	m[1].text = "Hello Bob.";
	CHECK_INT(deliver_voice.send(h, m, 2, r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK_STR(r[0].provider_id, "call-1.json");
	CHECK_INT(r[1].status, DELIVER_SENT);
	CHECK_STR(r[1].provider_id, "call-2.json");

	j = json_load_file(tpath(p, "calls/call-1.json"), 0, &je);
	CHECK(j != NULL);
	if (j) {
		CHECK_STR(json_string_value(json_object_get(j, "customer_name")),
			  "Søren Ørsted");
		CHECK_STR(json_string_value(json_object_get(j, "phone")),
			  "+31612345678");
		CHECK_STR(json_string_value(json_object_get(j, "locale")), "nl");
		CHECK_STR(json_string_value(json_object_get(j, "script")), m[0].text);
		CHECK_STR(json_string_value(json_object_get(j, "audio")), "call-1.wav");
		CHECK_STR(json_string_value(json_object_get(j, "created")),
			  "2026-11-27T10:00:00Z");
		CHECK_STR(json_string_value(json_object_get(j, "idempotency_key")),
			  "call-1");
		CHECK_STR(json_string_value(json_object_get(j, "tenant")), "acme");
		CHECK_INT(json_integer_value(json_object_get(j, "outbox_id")), 4242);
		json_decref(j);
	}
	d = slurp(tpath(p, "calls/call-1.wav"), &len);
	CHECK(d && len == sizeof(wav) && memcmp(d, wav, len) == 0);
	free(d);
	/* No audio: the task says so and no WAV is written. */
	j = json_load_file(tpath(p, "calls/call-2.json"), 0, &je);
	CHECK(j && json_is_null(json_object_get(j, "audio")));
	json_decref(j);
	CHECK(!exists(tpath(p, "calls/call-2.wav")));

	/* Retry: the same two files, replaced. */
	m[0].text = "Second try.";
	send1(&deliver_voice, h, &m[0], &r[0]);
	CHECK_INT(r[0].status, DELIVER_SENT);
	j = json_load_file(tpath(p, "calls/call-1.json"), 0, &je);
	CHECK(j && strcmp(json_string_value(json_object_get(j, "script")),
			  "Second try.") == 0);
	json_decref(j);
	CHECK_INT(count_names(tpath(p, "calls"), ".json"), 2);
	CHECK_INT(count_names(p, ".wav"), 1);

	/* Permanent failures. */
	msg_init(&m[0], "v-bad-number", CHANNEL_VOICE, "0612345678", "A");
	m[0].text = "Hi";
	msg_init(&m[1], "v-bad-audio", CHANNEL_VOICE, "+31612345678", "A");
	m[1].text = "Hi";
	m[1].document = (const unsigned char *)"ID3\x04 mp3 data here";
	m[1].document_len = 18;
	msg_init(&m[2], "v-no-script", CHANNEL_VOICE, "+31612345678", "A");
	m[2].text = " \n ";
	msg_init(&m[3], "v-bad-utf8", CHANNEL_VOICE, "+31612345678", "B\xff\xfe");
	m[3].text = "Hi";
	msg_init(&m[4], "v/slash", CHANNEL_VOICE, "+31612345678", "A");
	m[4].text = "Hi";
	CHECK_INT(deliver_voice.send(h, m, 5, r, &e), 0);
	for (i = 0; i < 5; i++)
		CHECK_INT(r[i].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[0].error, "E.164") != NULL);
	CHECK(strstr(r[1].error, "not a WAV") != NULL);
	CHECK(strstr(r[2].error, "script is empty") != NULL);
	CHECK(strstr(r[3].error, "customer_name is not valid UTF-8") != NULL);
	CHECK(strstr(r[4].error, "idempotency key") != NULL);
	CHECK_INT(count_names(p, ".json"), 2);

	/* A half-written task from a crash is no task. */
	CHECK_INT(fs_write_atomic(p, "x", "{\"phone\":", 9, &e), 0);
	CHECK_INT(rename(tpath(p, "calls/x"), tpath(q, "calls/.call-9.json.tmp.Qw12Er")), 0);
	CHECK_INT(count_names(tpath(p, "calls"), ".json"), 2);
	deliver_voice.close(h);

	/* Cannot write: RETRY. */
	snprintf(config, sizeof(config), "voice:%s/plainfile/calls", tmpdir);
	h = open_ok(&deliver_voice, config);
	if (h) {
		msg_init(&m[0], "call-1", CHANNEL_VOICE, "+31612345678", "A");
		m[0].text = "Hi";
		send1(&deliver_voice, h, &m[0], &r[0]);
		CHECK_INT(r[0].status, DELIVER_RETRY);
		CHECK(strstr(r[0].error, "Not a directory") != NULL);
		deliver_voice.close(h);
	}
	CHECK(deliver_voice.open("voice:", &h, &e) < 0);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_STR(deliver_voice.scheme, "voice");
	CHECK(deliver_voice.flush == NULL);
}

/* ---- file ---- */

/* Split a sent.log line into its 5 tab-separated fields. */
static int split_tabs(char *line, char *f[5])
{
	int n = 0;
	char *s = line;

	while (n < 5) {
		f[n++] = s;
		s = strchr(s, '\t');
		if (!s)
			break;
		*s++ = '\0';
	}
	return s ? -1 : n; /* a sixth field: -1 */
}

TEST(test_file)
{
	static const char eml[] = "From: a@example.org\r\nTo: b@example.org\r\n"
				  "Subject: Hi\r\n\r\nBody\r\n";
	/* 70 characters, some of them two bytes long. */
	static const char long_text[] =
		"Héllo Ann, your invoice INV-1042 of €12.50 is open; pay here: "
		"https://x";
	unsigned char wav[60];
	struct deliver_msg m[6];
	struct deliver_result r[6];
	struct buf pdf;
	struct err e = { "" };
	char config[600], p[512], *d, *line, *save = NULL;
	char *f[5];
	size_t len = 0;
	int i, lines = 0;
	void *h;
	static const char *const ids[6] = {
		"email/m-email.eml", "sms/m-sms.txt", "letter/m-letter.pdf",
		"voice/m-voice.wav", "whatsapp/m-wa.txt", "push/m-push.txt",
	};

	make_wav(wav);
	if (make_pdf("Ann", 0, T0, &pdf)) {
		CHECK(0);
		buf_free(&pdf);
		return;
	}
	snprintf(config, sizeof(config), "file:%s/sent", tmpdir);
	h = open_ok(&deliver_file, config);
	if (!h)
		goto out;
	msg_init(&m[0], "m-email", CHANNEL_EMAIL, "ann@example.org", "Ann");
	m[0].subject = "Your invoice\tINV-1042";
	m[0].text = "Body";
	m[0].document = (const unsigned char *)eml;
	m[0].document_len = sizeof(eml) - 1;
	msg_init(&m[1], "m-sms", CHANNEL_SMS, "+31612345678", "Ann");
	m[1].text = long_text;
	msg_init(&m[2], "m-letter", CHANNEL_LETTER, "Street 1\nTown", "Ann");
	m[2].subject = "Reminder";
	msg_doc(&m[2], &pdf);
	msg_init(&m[3], "m-voice", CHANNEL_VOICE, "+31612345678", "Ann");
	m[3].text = "Hello Ann.";
	m[3].document = wav;
	m[3].document_len = sizeof(wav);
	msg_init(&m[4], "m-wa", CHANNEL_WHATSAPP, "+31612345678", "Ann");
	m[4].text = "Line one\nline two";
	msg_init(&m[5], "m-push", CHANNEL_PUSH, "device-token-1", "Ann");
	m[5].text = "Tap to pay";
	m[5].link = "https://pay.example/t";
	CHECK_INT(deliver_file.send(h, m, 6, r, &e), 0);
	for (i = 0; i < 6; i++) {
		CHECK_INT(r[i].status, DELIVER_SENT);
		CHECK_STR(r[i].provider_id, ids[i]);
		snprintf(p, sizeof(p), "%s/sent/%s", tmpdir, ids[i]);
		CHECK(exists(p));
	}
	d = slurp(tpath(p, "sent/email/m-email.eml"), &len);
	CHECK(d && len == sizeof(eml) - 1 && memcmp(d, eml, len) == 0);
	free(d);
	d = slurp(tpath(p, "sent/letter/m-letter.pdf"), &len);
	CHECK(d && len == pdf.len && memcmp(d, pdf.data, len) == 0);
	free(d);
	d = slurp(tpath(p, "sent/voice/m-voice.wav"), &len);
	CHECK(d && len == sizeof(wav) && memcmp(d, wav, len) == 0);
	free(d);
	d = slurp(tpath(p, "sent/sms/m-sms.txt"), NULL);
	CHECK(d && strncmp(d, "To: +31612345678\n\n", 18) == 0 &&
	      strcmp(d + 18, long_text) == 0);
	free(d);
	d = slurp(tpath(p, "sent/whatsapp/m-wa.txt"), NULL);
	CHECK_STR(d, "To: +31612345678\n\nLine one\nline two");
	free(d);
	d = slurp(tpath(p, "sent/push/m-push.txt"), NULL);
	CHECK_STR(d, "To: device-token-1\n\nTap to pay");
	free(d);

	/* The log: one line per message, five fields. */
	d = slurp(tpath(p, "sent/sent.log"), NULL);
	CHECK(d != NULL);
	for (line = d ? strtok_r(d, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save), lines++) {
		CHECK_INT(split_tabs(line, f), 5);
		if (lines >= 6)
			continue;
		CHECK_STR(f[0], "2026-11-27T10:00:00Z");
		CHECK_STR(f[1], channel_name(m[lines].channel));
		CHECK_STR(f[3], m[lines].idempotency_key);
		switch (lines) {
		case 0:
			CHECK_STR(f[2], "ann@example.org");
			CHECK_STR(f[4], "Your invoice INV-1042");
			break;
		case 1:
			/* the first 60 characters (62 bytes: é and €) */
			CHECK_INT(strlen(f[4]), 60 + 1 + 2);
			CHECK(strncmp(f[4], long_text, strlen(f[4])) == 0);
			break;
		case 2:
			CHECK_STR(f[2], "Street 1 | Town");
			CHECK_STR(f[4], "Reminder");
			break;
		case 4:
			CHECK_STR(f[4], "Line one line two");
			break;
		default:
			break;
		}
	}
	CHECK_INT(lines, 6);
	free(d);

	/* A retry replaces the file and logs again; a bad key writes nothing. */
	send1(&deliver_file, h, &m[1], &r[1]);
	CHECK_INT(r[1].status, DELIVER_SENT);
	CHECK_INT(count_names(tpath(p, "sent/sms"), ".txt"), 1);
	msg_init(&m[0], "bad key", CHANNEL_SMS, "+31612345678", "Ann");
	m[0].text = "x";
	send1(&deliver_file, h, &m[0], &r[0]);
	CHECK_INT(r[0].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[0].error, "idempotency key \"bad key\"") != NULL);
	d = slurp(tpath(p, "sent/sent.log"), NULL);
	for (lines = 0, line = d; line && *line; lines++) {
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	CHECK_INT(lines, 7);
	free(d);
	deliver_file.close(h);

	/* Cannot write: RETRY. */
	snprintf(config, sizeof(config), "file:%s/plainfile/x", tmpdir);
	h = open_ok(&deliver_file, config);
	if (h) {
		send1(&deliver_file, h, &m[1], &r[1]);
		CHECK_INT(r[1].status, DELIVER_RETRY);
		CHECK(strstr(r[1].error, "Not a directory") != NULL);
		deliver_file.close(h);
	}
	CHECK(deliver_file.open("file:", &h, &e) < 0);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_INT(deliver_file.channel, CHANNEL_COUNT);
out:
	buf_free(&pdf);
}

int main(void)
{
	char cmd[128];
	int rc;

	if (sodium_init() < 0)
		return 2;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_deliver_files.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_fs_names);
	RUN(test_pdf_pages);
	RUN(test_letters_config);
	RUN(test_letters_batch);
	RUN(test_letters_idempotent);
	RUN(test_letters_failures);
	RUN(test_letters_crash);
	RUN(test_voice);
	RUN(test_file);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (!getenv("KEEP")) {
		rc = system(cmd);
		(void)rc;
	} else {
		printf("kept %s\n", tmpdir);
	}
	render_letter_shutdown(); /* else LSan reports fontconfig's caches */
	return CHECK_DONE();
}
