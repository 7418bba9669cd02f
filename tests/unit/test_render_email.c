/*
 * test_render_email: the MIME messages of src/render_email.c, checked two
 * ways. Golden checks in C: exact bytes for small messages (boundaries are
 * deterministic), and line rules for large ones (CRLF only, header lines
 * <= 78, body lines <= 76). Then a real parser: every message is read by
 * Python's `email` package (tests/tools/mime_parse.py, run from the repo
 * root, the working directory tests/run uses) and what it decodes must be
 * what went in, with no defect reported. Errors: header injection, bad
 * addresses, bad ids, invalid UTF-8, the output bound.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "render_email.h"

#define MIME_PARSE "tests/tools/mime_parse.py"
#define MAX (1 << 20)

/* 2026-11-27T10:00:00Z, a Friday. */
static const instant_t when = 1795773600;

/* A minimal valid message; tests change what they exercise. */
static struct email_msg base_msg(void)
{
	struct email_msg m = {
		.from_name = "Dunwell Billing",
		.from_addr = "billing@dunwell.example",
		.to_name = NULL,
		.to_addr = "jan@example.nl",
		.subject = "Your invoice",
		.text = "Hello\n",
		.date = when,
		.message_id = "a1b2@dunwell.example",
	};
	return m;
}

/* Render m; CHECKs success. The message is in *out (buf_free it). */
static void render_ok(const struct email_msg *m, struct buf *out)
{
	struct err e = { "" };
	int rc = email_render(m, MAX, out, &e);

	if (rc != 0) {
		printf("  email_render: %d %s\n", rc, e.msg);
		buf_init(out, 0);
	}
	CHECK_INT(rc, 0);
}

/* ---- the real parser -------------------------------------------------- */

/* The JSON summary mime_parse.py gives of msg, or NULL (CHECK failed). */
static json_t *python_parse(const struct buf *msg)
{
	const char *tmp = getenv("TMPDIR");
	char path[512], cmd[600];
	struct buf outb;
	json_error_t jerr;
	json_t *j = NULL;
	FILE *f, *p;
	int fd, st;
	char chunk[4096];
	size_t n;

	if (access(MIME_PARSE, R_OK) != 0) {
		printf("  %s not found: run from the repository root\n",
		       MIME_PARSE);
		CHECK(0);
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/dunwell-email-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "wb");
	CHECK(f != NULL);
	if (!f) {
		close(fd);
		unlink(path);
		return NULL;
	}
	CHECK_INT(fwrite(msg->data, 1, msg->len, f), msg->len);
	fclose(f);

	snprintf(cmd, sizeof(cmd), "python3 %s '%s'", MIME_PARSE, path);
	p = popen(cmd, "r");
	CHECK(p != NULL);
	if (!p) {
		unlink(path);
		return NULL;
	}
	buf_init(&outb, 16 << 20);
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		CHECK_INT(buf_append(&outb, chunk, n), 0);
	st = pclose(p);
	unlink(path);
	CHECK_INT(st, 0);
	j = json_loadb(buf_cstr(&outb), outb.len, 0, &jerr);
	if (!j)
		printf("  mime_parse output not JSON: %s\n", jerr.text);
	CHECK(j != NULL);
	buf_free(&outb);
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static const char *jstr2(json_t *j, const char *key, const char *key2)
{
	return json_string_value(json_object_get(json_object_get(j, key), key2));
}

/* The parser found nothing wrong. */
static void check_no_defects(json_t *j)
{
	json_t *d = json_object_get(j, "defects");
	size_t i;
	json_t *v;

	CHECK(json_is_array(d));
	json_array_foreach(d, i, v)
		printf("  defect: %s\n", json_string_value(v));
	CHECK_INT(json_array_size(d), 0);
}

/* The value of the first top-level header `name`, or NULL. */
static const char *jheader(json_t *j, const char *name)
{
	json_t *hs = json_object_get(j, "headers"), *h;
	size_t i;

	json_array_foreach(hs, i, h) {
		const char *k = json_string_value(json_array_get(h, 0));
		if (k && strcasecmp(k, name) == 0)
			return json_string_value(json_array_get(h, 1));
	}
	return NULL;
}

/* ---- line rules --------------------------------------------------------- */

/*
 * Every line ends in CRLF (no bare CR or LF), header lines (message and
 * part headers) are at most 78 characters and body lines at most 76. Part
 * headers are recognised as what follows a "--=_dw." delimiter.
 */
static void check_lines(const struct buf *b)
{
	const char *s = buf_cstr(b);
	size_t i = 0, lines = 0;
	int in_header = 1;

	CHECK(b->len >= 2 && memcmp(s + b->len - 2, "\r\n", 2) == 0);
	while (i < b->len) {
		const char *nl = memchr(s + i, '\n', b->len - i);
		size_t len;

		CHECK(nl != NULL);
		if (!nl)
			return;
		len = (size_t)(nl - (s + i));
		CHECK(len > 0 && s[i + len - 1] == '\r'); /* no bare LF */
		if (len == 0)
			return;
		len--; /* without the CR */
		CHECK(memchr(s + i, '\r', len) == NULL); /* no bare CR */
		if (in_header && len > 78)
			printf("  header line %zu is %zu long\n", lines + 1, len);
		if (!in_header && len > 76)
			printf("  body line %zu is %zu long\n", lines + 1, len);
		CHECK(len <= (in_header ? 78u : 76u));
		if (in_header && len == 0)
			in_header = 0;
		else if (len >= 7 && memcmp(s + i, "--=_dw.", 7) == 0)
			in_header = len < 4 || memcmp(s + i + len - 2, "--", 2) != 0;
		i += len + 2;
		lines++;
	}
}

/* ---- golden messages ----------------------------------------------------- */

TEST(test_golden_text_only)
{
	struct email_msg m = base_msg();
	struct buf out;

	m.text = "Dear customer,\n"
		 "a=b  \n"
		 ".\n"
		 "From now on\n"
		 "Bedrag: \xe2\x82\xac 12,50";
	m.lang = "nl";
	render_ok(&m, &out);
	CHECK_STR(buf_cstr(&out),
		  "Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
		  "From: Dunwell Billing <billing@dunwell.example>\r\n"
		  "To: jan@example.nl\r\n"
		  "Subject: Your invoice\r\n"
		  "Message-ID: <a1b2@dunwell.example>\r\n"
		  "Content-Language: nl\r\n"
		  "MIME-Version: 1.0\r\n"
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n"
		  "\r\n"
		  "Dear customer,\r\n"
		  "a=3Db =20\r\n"
		  "=2E\r\n"
		  "=46rom now on\r\n"
		  "Bedrag: =E2=82=AC 12,50=\r\n");
	check_lines(&out);
	buf_free(&out);
}

TEST(test_golden_alternative)
{
	struct email_msg m = base_msg();
	struct email_header extra[] = {
		{ "List-Unsubscribe", "<https://pay.dunwell.example/u/x1>" },
		{ "X-Dunwell-Message", "m-42" },
	};
	struct buf out;

	m.to_name = "Jan Jansen";
	m.reply_to_addr = "help@dunwell.example";
	m.html = "<p>Hello</p>\n";
	m.headers = extra;
	m.n_headers = 2;
	render_ok(&m, &out);
	CHECK_STR(buf_cstr(&out),
		  "Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n"
		  "From: Dunwell Billing <billing@dunwell.example>\r\n"
		  "Reply-To: help@dunwell.example\r\n"
		  "To: Jan Jansen <jan@example.nl>\r\n"
		  "Subject: Your invoice\r\n"
		  "Message-ID: <a1b2@dunwell.example>\r\n"
		  "List-Unsubscribe: <https://pay.dunwell.example/u/x1>\r\n"
		  "X-Dunwell-Message: m-42\r\n"
		  "MIME-Version: 1.0\r\n"
		  "Content-Type: multipart/alternative;\r\n"
		  " boundary=\"=_dw.a.1ce405a6ab7d89f8\"\r\n"
		  "\r\n"
		  "--=_dw.a.1ce405a6ab7d89f8\r\n"
		  "Content-Type: text/plain; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n"
		  "\r\n"
		  "Hello\r\n"
		  "\r\n"
		  "--=_dw.a.1ce405a6ab7d89f8\r\n"
		  "Content-Type: text/html; charset=utf-8\r\n"
		  "Content-Transfer-Encoding: quoted-printable\r\n"
		  "\r\n"
		  "<p>Hello</p>\r\n"
		  "\r\n"
		  "--=_dw.a.1ce405a6ab7d89f8--\r\n");
	check_lines(&out);
	buf_free(&out);
}

/* The same input gives the same bytes; another message id another
 * boundary. */
TEST(test_deterministic)
{
	struct email_msg m = base_msg();
	struct buf a, b, c;

	m.html = "<p>x</p>";
	render_ok(&m, &a);
	render_ok(&m, &b);
	m.message_id = "other@dunwell.example";
	render_ok(&m, &c);
	CHECK_INT(a.len, b.len);
	CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	CHECK(strstr(buf_cstr(&a), "boundary=\"=_dw.a.1ce405a6ab7d89f8\"") != NULL);
	CHECK(strstr(buf_cstr(&c), "=_dw.a.1ce405a6ab7d89f8") == NULL);
	CHECK(strstr(buf_cstr(&c), "boundary=\"=_dw.a.") != NULL);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

/* ---- round trips through the real parser --------------------------------- */

/* Render, parse, and compare the subject; the raw header must use the
 * encoding named by `want_enc` ('Q', 'B' or 0 for plain). */
static void subject_round_trip(const char *subject, char want_enc)
{
	struct email_msg m = base_msg();
	struct buf out;
	json_t *j;
	const char *raw;

	m.subject = subject;
	render_ok(&m, &out);
	check_lines(&out);
	raw = strstr(buf_cstr(&out), "\r\nSubject:");
	CHECK(raw != NULL);
	if (raw && want_enc == 'Q')
		CHECK(strncmp(raw, "\r\nSubject: =?UTF-8?Q?", 21) == 0);
	if (raw && want_enc == 'B')
		CHECK(strncmp(raw, "\r\nSubject: =?UTF-8?B?", 21) == 0);
	if (raw && want_enc == 0)
		CHECK(strncmp(raw, "\r\nSubject: =?", 13) != 0);
	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr(j, "subject"), subject);
		check_no_defects(j);
		json_decref(j);
	}
	buf_free(&out);
}

TEST(test_subjects)
{
	/* Mostly ASCII with accents: Q. */
	subject_round_trip("Herinnering: uw factuur van \xe2\x82\xac 12,50 "
			   "staat nog open \xe2\x80\x94 wij helpen graag",
			   'Q');
	subject_round_trip("Zahlungserinnerung f\xc3\xbcr Rechnung Nr. "
			   "2026-0042: bitte \xc3\xbc" "berweisen Sie bis "
			   "Freitag, sonst Geb\xc3\xbchr",
			   'Q');
	subject_round_trip("Rappel : votre facture \xc3\xa9\x63hue \xe2\x80\x94 "
			   "r\xc3\xa9gularisez \xc3\xa0 votre rythme, "
			   "\xc3\xa7\x61 reste simple",
			   'Q');
	/* Mostly non-ASCII: B. */
	subject_round_trip("\xce\xa5\xcf\x80\xce\xb5\xce\xbd\xce\xb8\xcf\x8d"
			   "\xce\xbc\xce\xb9\xcf\x83\xce\xb7 \xcf\x80\xce\xbb"
			   "\xce\xb7\xcf\x81\xcf\x89\xce\xbc\xce\xae\xcf\x82",
			   'B');
	/* Plain ASCII: as is, folded at spaces when long. */
	subject_round_trip("Your invoice 2026-0042 is due", 0);
	subject_round_trip("A long reminder about invoice 2026-0042 and "
			   "invoice 2026-0043 which are both overdue now, "
			   "with a late fee of EUR 40 from the first of "
			   "December unless you pay or choose a plan first",
			   0);
	/* Long and accented: many encoded words, folded. */
	subject_round_trip("Laatste herinnering v\xc3\xb3\xc3\xb3r "
			   "incasso: factuur 2026-0042, 2026-0043 en "
			   "2026-0044 \xe2\x80\x94 samen \xe2\x82\xac 1.234,56 "
			   "\xe2\x80\x94 betaal v\xc3\xb3\xc3\xb3r vrijdag of "
			   "kies een regeling die bij u past, \xc3\xa9\xc3\xa9n "
			   "klik volstaat",
			   'Q');
	/* Long and non-ASCII: B words of whole UTF-8 sequences (3 bytes
	 * each, so any split at a byte would break one). */
	subject_round_trip("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
			   "\xf0\x9f\x92\xb6\xf0\x9f\x92\xb6\xf0\x9f\x92\xb6",
			   'B');
	/* Looks like an encoded word, has specials, double spaces, a tab: */
	subject_round_trip("Not =?UTF-8?Q?x?= an encoded word", 'B');
	subject_round_trip("Two  spaces and a\ttab", 'Q');
	subject_round_trip("", 0);
}

/* Every encoded word is at most 75 characters and header lines at most
 * 78 (check_lines), for a subject that needs many words. */
TEST(test_encoded_word_length)
{
	struct email_msg m = base_msg();
	struct buf out;
	const char *p;
	int words = 0;

	m.subject = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9 end";
	render_ok(&m, &out);
	check_lines(&out);
	for (p = strstr(buf_cstr(&out), "=?UTF-8?"); p;
	     p = strstr(p + 1, "=?UTF-8?")) {
		const char *end = strstr(p + 10, "?=");
		CHECK(end != NULL);
		if (end)
			CHECK(end + 2 - p <= 75);
		words++;
	}
	CHECK(words >= 2);
	buf_free(&out);
}

/* Display names: encoded, quoted, atoms, none; addresses as given. */
static void names_round_trip(const char *from_name, const char *to_name)
{
	struct email_msg m = base_msg();
	struct buf out;
	json_t *j;

	m.from_name = from_name;
	m.to_name = to_name;
	render_ok(&m, &out);
	check_lines(&out);
	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr2(j, "from", "name"), from_name ? from_name : "");
		CHECK_STR(jstr2(j, "from", "addr"), m.from_addr);
		CHECK_STR(jstr2(j, "to", "name"), to_name ? to_name : "");
		if (to_name && jstr2(j, "to", "name_rfc2047"))
			CHECK_STR(jstr2(j, "to", "name_rfc2047"), to_name);
		CHECK_STR(jstr2(j, "to", "addr"), m.to_addr);
		check_no_defects(j);
		json_decref(j);
	}
	buf_free(&out);
}

TEST(test_display_names)
{
	struct email_msg m = base_msg();
	struct buf out;

	names_round_trip("Dunwell Billing", "Zo\xc3\xab \"the\" M\xc3\xbcller, B.V.");
	names_round_trip("Smith, John \"JJ\" \\o/", "Jan Jansen");
	names_round_trip("Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale de "
			 "Recouvrement et d'Encaissement des Cr\xc3\xa9\x61nces "
			 "Europ\xc3\xa9\x65nnes",
			 NULL);
	names_round_trip(NULL, "M\xc3\xbcller");
	names_round_trip("Looks =?UTF-8?Q?x?= encoded", "O'Brien & Sons");

	/* One run too long for one encoded word: several words in a row,
	 * which RFC 2047 decoders join without the folding whitespace. */
	m.to_name = "\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9"
		    "\xce\xba\xce\xae\xcf\x82\xce\x95\xcf\x84\xce\xb1"
		    "\xce\xb9\xcf\x81\xce\xb5\xce\xaf\xce\xb1\xce\x95"
		    "\xce\xaf\xcf\x83\xcf\x80\xcf\x81\xce\xb1\xce\xbe"
		    "\xce\xb7\xcf\x82\xce\x9f\xcf\x86\xce\xb5\xce\xb9"
		    "\xce\xbb\xcf\x8e\xce\xbd";
	render_ok(&m, &out);
	check_lines(&out);
	{
		json_t *j = python_parse(&out);
		if (j) {
			CHECK_STR(jstr2(j, "to", "name_rfc2047"), m.to_name);
			check_no_defects(j);
			json_decref(j);
		}
	}
	CHECK(strstr(buf_cstr(&out), "?=\r\n =?UTF-8?B?") != NULL);
	buf_free(&out);
	m = base_msg();

	/* The ASCII name with specials is a quoted string in the raw mail. */
	m.from_name = "Smith, John";
	render_ok(&m, &out);
	CHECK(strstr(buf_cstr(&out),
		     "From: \"Smith, John\" <billing@dunwell.example>\r\n") != NULL);
	buf_free(&out);
}

TEST(test_bodies)
{
	struct email_msg m = base_msg();
	struct buf text, out;
	json_t *j;

	buf_init(&text, MAX);
	/* A long line without spaces, one with, trailing spaces and tabs,
	 * "=" everywhere, lines SMTP and mbox could alter, non-ASCII, a
	 * line of exactly 76 characters and one of 77. */
	for (int i = 0; i < 300; i++)
		buf_putc(&text, (char)('a' + i % 26));
	buf_puts(&text, "\n");
	for (int i = 0; i < 40; i++)
		buf_puts(&text, "word ");
	buf_puts(&text, "\ntrailing spaces   \ntrailing tab\t\n");
	buf_puts(&text, "a=b==c=\n=\n.\n..leading dots\nFrom me\nFrom\n");
	buf_puts(&text, "Bedrag \xe2\x82\xac 12,50 \xe2\x80\x94 na\xc3\xaf" "ef\n");
	buf_puts(&text, "\n\n");
	for (int i = 0; i < 76; i++)
		buf_putc(&text, 'x');
	buf_puts(&text, "\n");
	for (int i = 0; i < 77; i++)
		buf_putc(&text, 'y');
	buf_puts(&text, "\n");
	for (int i = 0; i < 74; i++)
		buf_putc(&text, 'z');
	buf_puts(&text, "\xc3\xa9 .end");

	m.text = buf_cstr(&text);
	m.html = "<!doctype html>\n<html lang=\"nl\"><body>\n"
		 "<p style=\"color:#333\">Bedrag: \xe2\x82\xac 12,50</p>  \n"
		 "<p>.</p>\n</body></html>\n";
	render_ok(&m, &out);
	check_lines(&out);
	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr(j, "structure"),
			  "multipart/alternative(text/plain,text/html)");
		CHECK_STR(jstr(j, "text"), m.text);
		CHECK_STR(jstr(j, "html"), m.html);
		CHECK_STR(json_string_value(json_array_get(
				  json_object_get(j, "charsets"), 0)),
			  "utf-8");
		check_no_defects(j);
		json_decref(j);
	}
	buf_free(&out);

	/* Text only: the same text, single part, no trailing newline. */
	m.html = NULL;
	render_ok(&m, &out);
	check_lines(&out);
	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr(j, "structure"), "text/plain");
		CHECK_STR(jstr(j, "text"), m.text);
		check_no_defects(j);
		json_decref(j);
	}
	buf_free(&out);

	/* Empty text and a text of one newline. */
	m.text = "";
	render_ok(&m, &out);
	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr(j, "text"), "");
		check_no_defects(j);
		json_decref(j);
	}
	buf_free(&out);
	m.text = "\n";
	render_ok(&m, &out);
	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr(j, "text"), "\n");
		json_decref(j);
	}
	buf_free(&out);
	buf_free(&text);
}

/* The full shape: alternative [text, related [html, two images]], every
 * header, through the parser. */
TEST(test_images_and_headers)
{
	unsigned char png[1024], gif[3];
	unsigned char sum[crypto_hash_sha256_BYTES];
	char hex[crypto_hash_sha256_BYTES * 2 + 1];
	struct email_image images[2] = {
		{ "logo@dunwell.example", "image/png", "logo.png", png,
		  sizeof(png) },
		{ "dot.1@dunwell.example", "image/gif", NULL, gif, sizeof(gif) },
	};
	struct email_header extra[] = {
		{ "List-Unsubscribe",
		  "<https://pay.dunwell.example/unsubscribe/0123456789abcdef>, "
		  "<mailto:unsubscribe@dunwell.example?subject=stop>" },
		{ "X-Dunwell-Message", "case-17/step-2/email" },
	};
	struct email_msg m = base_msg();
	struct buf out;
	json_t *j, *im;
	uint32_t x = 2463534242u;

	/* A binary image: every byte value, then xorshift noise. */
	for (size_t i = 0; i < sizeof(png); i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		png[i] = i < 256 ? (unsigned char)i : (unsigned char)x;
	}
	gif[0] = 'G';
	gif[1] = 0;
	gif[2] = 0xff;
	m.to_name = "Zo\xc3\xab \"the\" M\xc3\xbcller, B.V.";
	m.reply_to_addr = "help@dunwell.example";
	m.subject = "Herinnering: factuur 2026-0042";
	m.text = "Zie de HTML-versie.\n";
	m.html = "<p><img src=\"cid:logo@dunwell.example\" alt=\"Dunwell\"></p>\n";
	m.images = images;
	m.n_images = 2;
	m.headers = extra;
	m.n_headers = 2;
	m.lang = "nl-BE";
	render_ok(&m, &out);
	check_lines(&out);
	/* Inline, identified, base64 in full lines of 76. */
	CHECK(strstr(buf_cstr(&out), "Content-ID: <logo@dunwell.example>\r\n"
				     "Content-Disposition: inline;\r\n"
				     " filename=\"logo.png\"\r\n\r\n") != NULL);
	CHECK(strstr(buf_cstr(&out), "\r\n\r\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYX"
				     "GBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1"
				     "Njc4\r\nOTo7") != NULL);
	CHECK(strstr(buf_cstr(&out), "Auto-Submitted") == NULL);

	j = python_parse(&out);
	if (j) {
		CHECK_STR(jstr(j, "structure"),
			  "multipart/alternative(text/plain,multipart/related("
			  "text/html,image/png,image/gif))");
		CHECK_STR(jstr(j, "subject"), m.subject);
		CHECK_STR(jstr2(j, "to", "name"), m.to_name);
		CHECK_STR(jstr2(j, "to", "addr"), m.to_addr);
		CHECK_STR(jstr2(j, "from", "name"), m.from_name);
		CHECK_STR(jstr(j, "reply_to"), "help@dunwell.example");
		CHECK_STR(jstr(j, "message_id"), "<a1b2@dunwell.example>");
		CHECK_INT(json_integer_value(json_object_get(j, "date")), when);
		CHECK_STR(jheader(j, "Content-Language"), "nl-BE");
		CHECK_STR(jheader(j, "MIME-Version"), "1.0");
		CHECK_STR(jheader(j, "List-Unsubscribe"), extra[0].value);
		CHECK_STR(jheader(j, "X-Dunwell-Message"), extra[1].value);
		CHECK_STR(jstr(j, "text"), m.text);
		CHECK_STR(jstr(j, "html"), m.html);

		im = json_array_get(json_object_get(j, "images"), 0);
		crypto_hash_sha256(sum, png, sizeof(png));
		sodium_bin2hex(hex, sizeof(hex), sum, sizeof(sum));
		CHECK_STR(jstr(im, "sha256"), hex);
		CHECK_INT(json_integer_value(json_object_get(im, "len")), 1024);
		CHECK_STR(jstr(im, "cid"), "<logo@dunwell.example>");
		CHECK_STR(jstr(im, "content_type"), "image/png");
		CHECK_STR(jstr(im, "filename"), "logo.png");
		CHECK_STR(jstr(im, "disposition"), "inline");

		im = json_array_get(json_object_get(j, "images"), 1);
		crypto_hash_sha256(sum, gif, sizeof(gif));
		sodium_bin2hex(hex, sizeof(hex), sum, sizeof(sum));
		CHECK_STR(jstr(im, "sha256"), hex);
		CHECK_STR(jstr(im, "cid"), "<dot.1@dunwell.example>");
		CHECK(json_is_null(json_object_get(im, "filename")));
		check_no_defects(j);
		json_decref(j);
	}
	buf_free(&out);
}

/* ---- errors --------------------------------------------------------------- */

/* email_render fails with -ERR_INVALID, naming `field` in the message, and
 * leaves the output untouched. */
static void check_rejected(const struct email_msg *m, const char *field)
{
	struct err e = { "" };
	struct buf out = { .data = NULL, .len = 12345 };
	int rc = email_render(m, MAX, &out, &e);

	CHECK_INT(rc, -ERR_INVALID);
	CHECK(out.data == NULL && out.len == 12345);
	if (!strstr(e.msg, field))
		printf("  message \"%s\" does not name \"%s\"\n", e.msg, field);
	CHECK(strstr(e.msg, field) != NULL);
	CHECK(strchr(e.msg, '\n') == NULL && strchr(e.msg, '\r') == NULL);
}

TEST(test_header_injection)
{
	struct email_header bad_value[] = { { "X-Dunwell-Message",
					      "x\r\nBcc: victim@example.com" } };
	struct email_image bad_cid[] = { { "a@b\r\nX: y", "image/png", NULL,
					   (const unsigned char *)"x", 1 } };
	struct email_image bad_file[] = { { "a@b", "image/png", "a\n.png",
					    (const unsigned char *)"x", 1 } };
	struct email_msg m;

	m = base_msg();
	m.subject = "Hello\r\nBcc: victim@example.com";
	check_rejected(&m, "Subject");
	m = base_msg();
	m.subject = "Hello\nthere";
	check_rejected(&m, "Subject");
	m = base_msg();
	m.from_name = "Billing\rX-Evil: 1";
	check_rejected(&m, "From name");
	m = base_msg();
	m.to_name = "Jan\n";
	check_rejected(&m, "To name");
	m = base_msg();
	m.to_addr = "jan@example.nl\r\nBcc: victim@example.com";
	check_rejected(&m, "To");
	m = base_msg();
	m.reply_to_addr = "a@b.nl\n";
	check_rejected(&m, "Reply-To");
	m = base_msg();
	m.message_id = "a@b\r\n";
	check_rejected(&m, "Message-ID");
	m = base_msg();
	m.lang = "nl\r\nX: y";
	check_rejected(&m, "Content-Language");
	m = base_msg();
	m.headers = bad_value;
	m.n_headers = 1;
	check_rejected(&m, "X-Dunwell-Message");
	m = base_msg();
	m.html = "<p>x</p>";
	m.images = bad_cid;
	m.n_images = 1;
	check_rejected(&m, "Content-ID");
	m.images = bad_file;
	check_rejected(&m, "filename");
}

TEST(test_bad_addresses)
{
	static const char *const bad[] = {
		"", "jan", "jan@", "@example.nl", "jan@@example.nl",
		"jan@example", "jan@example.", "jan@.example.nl",
		"jan@exa..mple.nl", "jan@-example.nl", "jan@example-.nl",
		".jan@example.nl", "jan.@example.nl", "j..an@example.nl",
		"jan jansen@example.nl", "\"jan\"@example.nl",
		"jan@[192.0.2.1]", "jan@exam_ple.nl", "Jan <jan@example.nl>",
		"j\xc3\xa1n@example.nl", "jan@example.nl,piet@example.nl",
		"jan(comment)@example.nl",
		"0123456789012345678901234567890123456789012345678901234567890"
		"12345@example.nl", /* local part of 65 */
	};
	static const char *const good[] = {
		"jan@example.nl", "jan.jansen+dunning@mail.example.co.uk",
		"o'brien@example.ie", "x@a-b.example", "{x}!#$%&*=?^_`|~@e.x",
		"0123456789012345678901234567890123456789012345678901234567890"
		"123@example.nl", /* local part of 64 */
	};
	struct email_msg m = base_msg();
	struct buf out;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = base_msg();
		m.to_addr = bad[i];
		check_rejected(&m, "To");
		m = base_msg();
		m.from_addr = bad[i];
		check_rejected(&m, "From");
	}
	m = base_msg();
	m.to_addr = NULL;
	check_rejected(&m, "To");
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		json_t *j;

		m = base_msg();
		m.to_addr = good[i];
		render_ok(&m, &out);
		j = python_parse(&out);
		if (j) {
			CHECK_STR(jstr2(j, "to", "addr"), good[i]);
			check_no_defects(j);
			json_decref(j);
		}
		buf_free(&out);
	}
}

TEST(test_bad_input)
{
	struct email_header reserved[] = { { "subject", "x" } };
	struct email_header content[] = { { "Content-Type", "text/html" } };
	struct email_header badname[] = { { "X Bad", "x" } };
	struct email_header nonascii[] = { { "X-Name", "M\xc3\xbcller" } };
	struct email_image img[] = { { "a@b", "text/plain", NULL,
				       (const unsigned char *)"x", 1 } };
	struct email_image nocid[] = { { "logo", "image/png", NULL,
					 (const unsigned char *)"x", 1 } };
	struct email_image empty[] = { { "a@b", "image/png", NULL,
					 (const unsigned char *)"", 0 } };
	struct email_msg m;

	m = base_msg();
	m.subject = "bad \xc3 utf-8";
	check_rejected(&m, "Subject");
	m = base_msg();
	m.to_name = "overlong \xc0\xaf";
	check_rejected(&m, "To name");
	m = base_msg();
	m.text = "surrogate \xed\xa0\x80";
	check_rejected(&m, "text");
	m = base_msg();
	m.html = "bad \xff";
	check_rejected(&m, "html");
	m = base_msg();
	m.message_id = "<a@b>";
	check_rejected(&m, "Message-ID");
	m = base_msg();
	m.message_id = "no-at-sign";
	check_rejected(&m, "Message-ID");
	m = base_msg();
	m.subject = NULL;
	check_rejected(&m, "Subject");
	m = base_msg();
	m.subject = "bell \a";
	check_rejected(&m, "Subject");
	m = base_msg();
	m.from_name = "del \x7f";
	check_rejected(&m, "From name");
	m = base_msg();
	m.lang = "nl BE";
	check_rejected(&m, "Content-Language");
	m = base_msg();
	m.headers = reserved;
	m.n_headers = 1;
	check_rejected(&m, "subject");
	m.headers = content;
	check_rejected(&m, "Content-Type");
	m.headers = badname;
	check_rejected(&m, "X Bad");
	m.headers = nonascii;
	check_rejected(&m, "X-Name");
	m = base_msg();
	m.images = img;
	m.n_images = 1;
	check_rejected(&m, "html"); /* images need an html part */
	m.html = "<p></p>";
	check_rejected(&m, "image 1");
	m.images = nocid;
	check_rejected(&m, "Content-ID");
	m.images = empty;
	check_rejected(&m, "image 1");
	m = base_msg();
	m.date = -2208988801LL; /* 1899 */
	check_rejected(&m, "Date");
}

/* The bound: a message of n bytes renders with max n, not with n - 1. */
TEST(test_bound)
{
	struct email_msg m = base_msg();
	struct buf out, again;
	struct err e = { "" };
	size_t n;

	m.html = "<p>Hello</p>";
	render_ok(&m, &out);
	n = out.len;
	CHECK(n > 200);
	CHECK_INT(email_render(&m, n, &again, &e), 0);
	CHECK_INT(again.len, n);
	buf_free(&again);
	again.data = NULL;
	CHECK_INT(email_render(&m, n - 1, &again, &e), -ERR_TOOBIG);
	CHECK(again.data == NULL);
	CHECK(strstr(e.msg, "larger than") != NULL);
	CHECK_INT(email_render(&m, 10, &again, &e), -ERR_TOOBIG);
	buf_free(&out);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	RUN(test_golden_text_only);
	RUN(test_golden_alternative);
	RUN(test_deterministic);
	RUN(test_subjects);
	RUN(test_encoded_word_length);
	RUN(test_display_names);
	RUN(test_bodies);
	RUN(test_images_and_headers);
	RUN(test_header_injection);
	RUN(test_bad_addresses);
	RUN(test_bad_input);
	RUN(test_bound);
	return CHECK_DONE();
}
