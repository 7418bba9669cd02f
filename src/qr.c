/*
 * qr: RF references, IBAN/BIC checks, the EPC QR payload and QR symbols as
 * PNG or SVG (see qr.h).
 *
 * The mod-97 arithmetic (ISO 7064 MOD 97-10) is done digit by digit on the
 * text, so no big integers are needed: letters count as two digits (A = 10 ..
 * Z = 35). The QR symbol comes from libqrencode; the PNG (1-bit, zlib)
 * and the SVG are written here, each a few dozen lines.
 */
#include "qr.h"

#include <errno.h>
#include <qrencode.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "mem.h"

/* ---- shared helpers ----------------------------------------------------- */

/* Value of an ASCII letter or digit for mod 97 (0-9, A/a = 10 .. Z/z = 35);
 * -1 for anything else. Locale-free on purpose. */
static int alnum_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return -1;
}

static char upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int is_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Continue a mod-97 remainder `r` over n characters of s (letters and
 * digits only, checked by the caller). */
static unsigned mod97(unsigned r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int v = alnum_value(s[i]);
		r = (r * (v >= 10 ? 100u : 10u) + (unsigned)v) % 97u;
	}
	return r;
}

/* The ISO 7064 check of an identifier laid out as XXcc<body> (IBAN and RF
 * alike): move the first four characters to the end; valid when the number
 * is 1 mod 97. */
static unsigned mod97_rotated(const char *s, size_t n)
{
	return mod97(mod97(0, s + 4, n - 4), s, 4);
}

/* The check digits XXcc<body> should have: 98 - (body XX00 mod 97). */
static unsigned mod97_want(const char *s, size_t n)
{
	unsigned r = mod97(0, s + 4, n - 4);
	r = mod97(r, s, 2);
	r = mod97(r, "00", 2);
	return 98u - r;
}

/* Copy `s` without spaces and upper-cased into out (at most `max`
 * characters, then NUL). Anything but a space, letter or digit is an error
 * naming its 1-based position. `what` names the identifier in messages. */
static int compact(const char *what, const char *s, char *out, size_t max,
		   size_t *ret_len, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	size_t n = 0;

	if (!s)
		return err_set(e, ERR_INVALID, "%s: missing", what);
	for (size_t i = 0; s[i]; i++) {
		if (s[i] == ' ')
			continue;
		if (alnum_value(s[i]) < 0)
			return err_set(e, ERR_INVALID,
				       "%s \"%s\": character %zu is not a "
				       "letter or digit",
				       what, err_quote(s, q), i + 1);
		if (n == max)
			return err_set(e, ERR_INVALID,
				       "%s \"%s\": longer than %zu characters",
				       what, err_quote(s, q), max);
		out[n++] = upper(s[i]);
	}
	out[n] = '\0';
	*ret_len = n;
	return 0;
}

/* Copy a NUL-terminated string of n bytes into buf of cap bytes. */
static int put_out(const char *what, const char *v, size_t n, char *buf,
		   size_t cap, struct err *e)
{
	if (!buf || cap <= n)
		return err_set(e, ERR_TOOBIG,
			       "%s: output needs %zu bytes, have %zu", what,
			       n + 1, buf ? cap : 0);
	memcpy(buf, v, n + 1);
	return 0;
}

/* ---- RF creditor reference ---------------------------------------------- */

int rf_make(const char *base, char *buf, size_t cap, struct err *e)
{
	char body[RF_BASE_MAX + 1], ref[RF_BUF];
	size_t n = 0;
	int r;

	if (!base)
		return err_set(e, ERR_INVALID, "RF base: missing");
	/* Spaces are not allowed in a base: the reference is made from what
	 * the caller stores, and a space there is a mistake, not print form. */
	if (strchr(base, ' ')) {
		char q[ERR_QUOTE_BUF];
		return err_set(e, ERR_INVALID,
			       "RF base \"%s\": character %zu is not a letter "
			       "or digit",
			       err_quote(base, q),
			       (size_t)(strchr(base, ' ') - base) + 1);
	}
	r = compact("RF base", base, body, RF_BASE_MAX, &n, e);
	if (r < 0)
		return r;
	if (n == 0)
		return err_set(e, ERR_INVALID, "RF base: empty");
	memcpy(ref, "RF00", 4);
	memcpy(ref + 4, body, n + 1);
	unsigned want = mod97_want(ref, n + 4);
	ref[2] = (char)('0' + want / 10);
	ref[3] = (char)('0' + want % 10);
	return put_out("RF reference", ref, n + 4, buf, cap, e);
}

/* The ISO 7064 MOD 97-10 check of an RF reference or IBAN in electronic
 * form (x[0..n), check digits at x[2..3]); `what` and the text as given
 * (s) name it in messages. */
static int check_digits(const char *what, const char *s, const char *x,
			size_t n, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	unsigned cd;

	if (!is_digit(x[2]) || !is_digit(x[3]))
		return err_set(e, ERR_INVALID,
			       "%s \"%s\": check digits \"%.2s\" are not digits",
			       what, err_quote(s, q), x + 2);
	cd = (unsigned)(x[2] - '0') * 10u + (unsigned)(x[3] - '0');
	if (cd < 2 || cd > 98)
		return err_set(e, ERR_INVALID,
			       "%s \"%s\": check digits %02u out of range "
			       "02..98", what, err_quote(s, q), cd);
	if (mod97_rotated(x, n) != 1)
		return err_set(e, ERR_INVALID,
			       "%s \"%s\": check digits %02u do not match "
			       "(expected %02u)",
			       what, err_quote(s, q), cd, mod97_want(x, n));
	return 0;
}

/* Validate s and leave its electronic form in ref. */
static int rf_check(const char *s, char ref[RF_BUF], size_t *ret_len,
		    struct err *e)
{
	char q[ERR_QUOTE_BUF];
	size_t n = 0;
	int r = compact("RF reference", s, ref, RF_MAX, &n, e);

	if (r < 0)
		return r;
	if (n < 5)
		return err_set(e, ERR_INVALID,
			       "RF reference \"%s\": too short (RF, 2 check "
			       "digits and 1 to 21 letters or digits)",
			       err_quote(s, q));
	if (ref[0] != 'R' || ref[1] != 'F')
		return err_set(e, ERR_INVALID,
			       "RF reference \"%s\": does not start with RF",
			       err_quote(s, q));
	r = check_digits("RF reference", s, ref, n, e);
	if (r == 0)
		*ret_len = n;
	return r;
}

int rf_valid(const char *s, struct err *e)
{
	char ref[RF_BUF];
	size_t n;
	return rf_check(s, ref, &n, e);
}

int rf_normalize(const char *s, char *buf, size_t cap, struct err *e)
{
	char ref[RF_BUF];
	size_t n;
	int r = rf_check(s, ref, &n, e);
	if (r < 0)
		return r;
	return put_out("RF reference", ref, n, buf, cap, e);
}

int rf_format_print(const char *rf, char *buf, size_t cap, struct err *e)
{
	char ref[RF_BUF], out[RF_PRINT_BUF];
	size_t n, k = 0;
	int r = rf_check(rf, ref, &n, e);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && i % 4 == 0)
			out[k++] = ' ';
		out[k++] = ref[i];
	}
	out[k] = '\0';
	return put_out("RF reference", out, k, buf, cap, e);
}

/* ---- IBAN and BIC ------------------------------------------------------- */

/* IBAN length by country, from the SWIFT IBAN registry: every SEPA country
 * and the other registry countries in common use. Sorted by code. */
static const struct iban_country {
	char code[3]; /* ISO 3166-1 alpha-2 */
	unsigned char len; /* IBAN length in characters */
} iban_countries[] = {
	{ "AD", 24 }, { "AE", 23 }, { "AL", 28 }, { "AT", 20 }, { "AZ", 28 },
	{ "BA", 20 }, { "BE", 16 }, { "BG", 22 }, { "BH", 22 }, { "BR", 29 },
	{ "BY", 28 }, { "CH", 21 }, { "CR", 22 }, { "CY", 28 }, { "CZ", 24 },
	{ "DE", 22 }, { "DK", 18 }, { "DO", 28 }, { "EE", 20 }, { "ES", 24 },
	{ "FI", 18 }, { "FO", 18 }, { "FR", 27 }, { "GB", 22 }, { "GE", 22 },
	{ "GI", 23 }, { "GL", 18 }, { "GR", 27 }, { "GT", 28 }, { "HR", 21 },
	{ "HU", 28 }, { "IE", 22 }, { "IL", 23 }, { "IQ", 23 }, { "IS", 26 },
	{ "IT", 27 }, { "JO", 30 }, { "KW", 30 }, { "KZ", 20 }, { "LB", 28 },
	{ "LC", 32 }, { "LI", 21 }, { "LT", 20 }, { "LU", 20 }, { "LV", 21 },
	{ "MC", 27 }, { "MD", 24 }, { "ME", 22 }, { "MK", 19 }, { "MR", 27 },
	{ "MT", 31 }, { "MU", 30 }, { "NL", 18 }, { "NO", 15 }, { "PK", 24 },
	{ "PL", 28 }, { "PS", 29 }, { "PT", 25 }, { "QA", 29 }, { "RO", 24 },
	{ "RS", 22 }, { "SA", 24 }, { "SC", 31 }, { "SE", 24 }, { "SI", 19 },
	{ "SK", 24 }, { "SM", 27 }, { "ST", 25 }, { "SV", 28 }, { "TL", 23 },
	{ "TN", 24 }, { "TR", 26 }, { "UA", 29 }, { "VA", 22 }, { "VG", 24 },
	{ "XK", 20 },
};

static int iban_country_cmp(const void *key, const void *elem)
{
	const struct iban_country *c = elem;
	return strncmp(key, c->code, 2);
}

static int iban_check(const char *s, char iban[IBAN_BUF], size_t *ret_len,
		      struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const struct iban_country *c;
	size_t n = 0;
	int r = compact("IBAN", s, iban, IBAN_MAX, &n, e);

	if (r < 0)
		return r;
	if (n < 5)
		return err_set(e, ERR_INVALID, "IBAN \"%s\": too short",
			       err_quote(s, q));
	if (!is_upper(iban[0]) || !is_upper(iban[1]))
		return err_set(e, ERR_INVALID,
			       "IBAN \"%s\": does not start with a country "
			       "code",
			       err_quote(s, q));
	c = bsearch(iban, iban_countries,
		    sizeof(iban_countries) / sizeof(iban_countries[0]),
		    sizeof(iban_countries[0]), iban_country_cmp);
	if (!c)
		return err_set(e, ERR_INVALID,
			       "IBAN \"%s\": unknown country code %.2s",
			       err_quote(s, q), iban);
	if (n != c->len)
		return err_set(e, ERR_INVALID,
			       "IBAN \"%s\": %zu characters, an IBAN of %.2s "
			       "has %u",
			       err_quote(s, q), n, iban, (unsigned)c->len);
	r = check_digits("IBAN", s, iban, n, e);
	if (r == 0)
		*ret_len = n;
	return r;
}

int iban_valid(const char *s, struct err *e)
{
	char iban[IBAN_BUF];
	size_t n;
	return iban_check(s, iban, &n, e);
}

int iban_normalize(const char *s, char *buf, size_t cap, struct err *e)
{
	char iban[IBAN_BUF];
	size_t n;
	int r = iban_check(s, iban, &n, e);
	if (r < 0)
		return r;
	return put_out("IBAN", iban, n, buf, cap, e);
}

int bic_valid(const char *s, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	size_t n;

	if (!s)
		return err_set(e, ERR_INVALID, "BIC: missing");
	n = strlen(s);
	if (n != 8 && n != 11)
		return err_set(e, ERR_INVALID,
			       "BIC \"%s\": %zu characters, want 8 or 11",
			       err_quote(s, q), n);
	for (size_t i = 0; i < n; i++) {
		int ok = (i == 4 || i == 5) ? is_upper(s[i]) :
					      is_upper(s[i]) || is_digit(s[i]);
		if (!ok)
			return err_set(e, ERR_INVALID,
				       "BIC \"%s\": character %zu must be %s",
				       err_quote(s, q), i + 1,
				       (i == 4 || i == 5) ?
					       "an upper-case letter (country)" :
					       "an upper-case letter or digit");
	}
	return 0;
}

/* ---- EPC QR payload ----------------------------------------------------- */

/* Count the code points of UTF-8 text, rejecting malformed sequences
 * (overlong forms, surrogates, beyond U+10FFFF) and control characters
 * (C0, DEL, C1): a line break inside a field would shift every later line
 * of the payload. Returns 0, or -1 with *ret_pos = 1-based byte offset of
 * the offending byte and *ret_why. */
static int utf8_count(const char *s, size_t *ret_chars, size_t *ret_pos,
		      const char **ret_why)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, chars = 0;

	while (p[i]) {
		unsigned c = p[i], cp;
		size_t k;
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f) {
				*ret_pos = i + 1;
				*ret_why = "is a control character";
				return -1;
			}
			i++;
			chars++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			k = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			k = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			k = 3;
			cp = c & 0x07;
		} else {
			goto bad;
		}
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				goto bad;
			cp = (cp << 6) | (p[i + j] & 0x3fu);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			goto bad;
		if (cp >= 0x80 && cp <= 0x9f) {
			*ret_pos = i + 1;
			*ret_why = "is a control character";
			return -1;
		}
		i += k + 1;
		chars++;
	}
	*ret_chars = chars;
	return 0;
bad:
	*ret_pos = i + 1;
	*ret_why = "is not valid UTF-8";
	return -1;
}

static int empty(const char *s)
{
	return !s || !*s;
}

/* Check one free-text field of the payload. */
static int epc_text(const char *field, const char *v, size_t max,
		    int required, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *why;
	size_t chars, pos;

	if (empty(v))
		return required ? err_set(e, ERR_INVALID,
					  "epc: %s: required", field) :
				  0;
	if (utf8_count(v, &chars, &pos, &why) < 0)
		return err_set(e, ERR_INVALID, "epc: %s \"%s\": byte %zu %s",
			       field, err_quote(v, q), pos, why);
	if (chars > max)
		return err_set(e, ERR_INVALID,
			       "epc: %s \"%s\": %zu characters, at most %zu",
			       field, err_quote(v, q), chars, max);
	return 0;
}

int epc_payload(const struct epc_fields *f, struct buf *out, struct err *e)
{
	char iban[IBAN_BUF], ref[RF_BUF] = "", amount[32];
	char q[ERR_QUOTE_BUF], q2[ERR_QUOTE_BUF];
	const char *lines[12];
	struct buf b;
	int n_lines, r;

	if (!f || !out)
		return err_set(e, ERR_INVALID, "epc: missing fields");

	/* BIC: optional in version 002 (transfers inside the EEA). */
	if (!empty(f->bic) && (r = bic_valid(f->bic, e)) < 0) {
		err_prefix(e, "epc: bic: ");
		return r;
	}
	if ((r = epc_text("name", f->name, EPC_NAME_MAX, 1, e)) < 0)
		return r;
	if (empty(f->iban))
		return err_set(e, ERR_INVALID, "epc: iban: required");
	if ((r = iban_normalize(f->iban, iban, sizeof(iban), e)) < 0) {
		err_prefix(e, "epc: iban: ");
		return r;
	}
	if (f->amount_minor < EPC_AMOUNT_MIN ||
	    f->amount_minor > EPC_AMOUNT_MAX)
		return err_set(e, ERR_RANGE,
			       "epc: amount %lld cents: out of range EUR "
			       "0.01..999999999.99",
			       (long long)f->amount_minor);
	snprintf(amount, sizeof(amount), "EUR%lld.%02lld",
		 (long long)(f->amount_minor / 100),
		 (long long)(f->amount_minor % 100));
	if (!empty(f->purpose)) {
		int ok = strlen(f->purpose) == 4;
		for (size_t i = 0; ok && i < 4; i++)
			ok = is_upper(f->purpose[i]) || is_digit(f->purpose[i]);
		if (!ok)
			return err_set(e, ERR_INVALID,
				       "epc: purpose \"%s\": want 4 upper-case "
				       "letters or digits",
				       err_quote(f->purpose, q));
	}
	if (!empty(f->reference) && !empty(f->text))
		return err_set(e, ERR_INVALID,
			       "epc: reference \"%s\" and text \"%s\": give "
			       "one or the other, not both",
			       err_quote(f->reference, q),
			       err_quote(f->text, q2));
	if (!empty(f->reference)) {
		/* An RF reference is at most 25 characters, well within the
		 * 35 the guideline allows for a structured reference. */
		if ((r = rf_normalize(f->reference, ref, sizeof(ref), e)) < 0) {
			err_prefix(e, "epc: reference: ");
			return r;
		}
	}
	if ((r = epc_text("text", f->text, EPC_TEXT_MAX, 0, e)) < 0)
		return r;
	if ((r = epc_text("info", f->info, EPC_INFO_MAX, 0, e)) < 0)
		return r;

	lines[0] = "BCD";
	lines[1] = "002";
	lines[2] = "1"; /* UTF-8 */
	lines[3] = "SCT";
	lines[4] = empty(f->bic) ? "" : f->bic;
	lines[5] = f->name;
	lines[6] = iban;
	lines[7] = amount;
	lines[8] = empty(f->purpose) ? "" : f->purpose;
	lines[9] = ref;
	lines[10] = empty(f->text) ? "" : f->text;
	lines[11] = empty(f->info) ? "" : f->info;
	n_lines = 12;
	while (n_lines > 0 && lines[n_lines - 1][0] == '\0')
		n_lines--;

	/* The fields are bounded (at most 4 bytes a character), so this
	 * buffer cannot overflow; the 331-byte rule is checked after. */
	buf_init(&b, 4096);
	for (int i = 0; i < n_lines; i++) {
		if (i > 0)
			buf_putc(&b, '\n');
		buf_puts(&b, lines[i]);
	}
	if (b.len > EPC_PAYLOAD_MAX) {
		r = err_set(e, ERR_TOOBIG,
			    "epc: payload of %zu bytes is longer than %d "
			    "(name \"%s\")",
			    b.len, EPC_PAYLOAD_MAX, err_quote(f->name, q));
		goto out;
	}
	if (buf_append(out, b.data, b.len) < 0)
		r = err_set(e, ERR_TOOBIG,
			    "epc: output buffer full (%zu bytes needed)",
			    b.len);
out:
	buf_free(&b);
	return r;
}

/* ---- QR symbols --------------------------------------------------------- */

static const char ecc_names[] = "LMQH";

int qr_encode(const char *data, size_t len, enum qr_ecc ecc,
	      struct qr_code **ret, struct err *e)
{
	static const QRecLevel levels[] = { QR_ECLEVEL_L, QR_ECLEVEL_M,
					    QR_ECLEVEL_Q, QR_ECLEVEL_H };
	struct qr_code *q;
	QRcode *c;
	size_t n;

	if (!ret || (!data && len))
		return err_set(e, ERR_INVALID, "qr: missing data");
	if ((unsigned)ecc > QR_ECC_H)
		return err_set(e, ERR_INVALID, "qr: unknown error correction "
			       "level %d", (int)ecc);
	if (len == 0)
		return err_set(e, ERR_INVALID, "qr: nothing to encode");
	/* Version 40 at level L holds 2953 bytes: anything longer cannot fit,
	 * and the int that libqrencode takes must not overflow. */
	if (len > 2953)
		return err_set(e, ERR_TOOBIG,
			       "qr: %zu bytes do not fit a QR symbol", len);
	errno = 0;
	c = QRcode_encodeData((int)len, (const unsigned char *)data, 0,
			      levels[ecc]);
	if (!c) {
		if (errno == ENOMEM)
			abort(); /* the project-wide policy (mem.h) */
		if (errno == ERANGE)
			return err_set(e, ERR_TOOBIG,
				       "qr: %zu bytes do not fit a QR symbol "
				       "at level %c",
				       len, ecc_names[ecc]);
		return err_set(e, ERR_INVALID, "qr: encoding %zu bytes failed "
			       "(errno %d)", len, errno);
	}
	n = (size_t)c->width * (size_t)c->width;
	q = xmalloc(sizeof(*q));
	q->version = c->version;
	q->width = c->width;
	q->modules = xmalloc(n);
	/* libqrencode keeps extra flags in the upper bits; bit 0 is dark. */
	for (size_t i = 0; i < n; i++)
		q->modules[i] = c->data[i] & 1u;
	QRcode_free(c);
	*ret = q;
	return 0;
}

void qr_free(struct qr_code *q)
{
	if (!q)
		return;
	free(q->modules);
	free(q);
}

/* Largest PNG side in pixels: a print-quality code for A4 needs far less. */
#define QR_PNG_MAX_SIDE 4096

static int qr_check(const struct qr_code *q, int quiet, struct err *e)
{
	if (!q || !q->modules || q->width < 21 || q->width > 177)
		return err_set(e, ERR_INVALID, "qr: no symbol");
	if (quiet < 0 || quiet > 16)
		return err_set(e, ERR_RANGE,
			       "qr: quiet zone of %d modules, want 0..16",
			       quiet);
	return 0;
}

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* One PNG chunk: length, type, data, CRC-32 of type and data. */
static int png_chunk(struct buf *b, const char type[4],
		     const unsigned char *data, size_t len)
{
	unsigned char head[8], tail[4];
	uLong crc = crc32(0L, (const Bytef *)type, 4);
	if (len)
		crc = crc32(crc, data, (uInt)len);
	put_be32(head, (uint32_t)len);
	memcpy(head + 4, type, 4);
	put_be32(tail, (uint32_t)crc);
	if (buf_append(b, head, 8) < 0 || (len && buf_append(b, data, len) < 0) ||
	    buf_append(b, tail, 4) < 0)
		return -ERR_TOOBIG;
	return 0;
}

/*
 * The symbol as a 1-bit greyscale PNG written directly (signature, IHDR,
 * one zlib-compressed IDAT, IEND): a QR code is black and white, so this is
 * the smallest faithful image, and making it costs tens of microseconds
 * where drawing it with cairo and its 32-bit PNG writer cost about 1.5 ms
 * (bench/render: every e-mail carries one).
 */
int qr_png(const struct qr_code *q, int module_px, int quiet_modules,
	   struct buf *out, struct err *e)
{
	static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G',
					      '\r', '\n', 0x1a, '\n' };
	unsigned char ihdr[13], *raw = NULL, *z = NULL;
	size_t side, row, raw_len;
	uLongf z_len;
	struct buf b;
	int r;

	if ((r = qr_check(q, quiet_modules, e)) < 0)
		return r;
	if (!out)
		return err_set(e, ERR_INVALID, "qr: no output");
	if (module_px < 1 || module_px > 64)
		return err_set(e, ERR_RANGE,
			       "qr: module size %d pixels, want 1..64",
			       module_px);
	side = (size_t)(q->width + 2 * quiet_modules) * (size_t)module_px;
	if (side > QR_PNG_MAX_SIDE)
		return err_set(e, ERR_RANGE,
			       "qr: image of %zu pixels a side, at most %d",
			       side, QR_PNG_MAX_SIDE);

	/* Rows: a filter byte (0, none), then 1 bit a pixel, 1 = white. */
	row = 1 + (side + 7) / 8;
	raw_len = row * side;
	raw = xcalloc(raw_len, 1);
	for (size_t y = 0; y < side; y++) {
		unsigned char *line = raw + y * row;
		long my = (long)(y / (size_t)module_px) - quiet_modules;
		for (size_t x = 0; x < side; x++) {
			long mx = (long)(x / (size_t)module_px) - quiet_modules;
			int dark = my >= 0 && mx >= 0 && my < q->width &&
				   mx < q->width &&
				   q->modules[(size_t)my * (size_t)q->width +
					      (size_t)mx];
			if (!dark)
				line[1 + x / 8] |= (unsigned char)(0x80 >> (x % 8));
		}
	}
	z_len = compressBound((uLong)raw_len);
	z = xmalloc(z_len);
	if (compress2(z, &z_len, raw, (uLong)raw_len, 6) != Z_OK) {
		r = err_set(e, ERR_IO, "qr: compressing the PNG failed");
		goto out;
	}
	put_be32(ihdr, (uint32_t)side);
	put_be32(ihdr + 4, (uint32_t)side);
	ihdr[8] = 1;   /* bit depth */
	ihdr[9] = 0;   /* greyscale */
	ihdr[10] = 0;  /* deflate */
	ihdr[11] = 0;  /* adaptive filtering (each row says "none") */
	ihdr[12] = 0;  /* not interlaced */
	buf_init(&b, out->max - out->len);
	r = buf_append(&b, sig, sizeof(sig));
	if (r == 0)
		r = png_chunk(&b, "IHDR", ihdr, sizeof(ihdr));
	if (r == 0)
		r = png_chunk(&b, "IDAT", z, z_len);
	if (r == 0)
		r = png_chunk(&b, "IEND", NULL, 0);
	if (r < 0)
		r = err_set(e, ERR_TOOBIG, "qr: PNG larger than the %zu bytes "
			    "left in the output", out->max - out->len);
	else
		r = buf_append(out, b.data, b.len); /* fits: b.max allowed it */
	buf_free(&b);
out:
	free(z);
	free(raw);
	return r;
}

/* Append `s` escaped for an XML attribute value. */
static void xml_attr(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			buf_puts(b, "&amp;");
			break;
		case '<':
			buf_puts(b, "&lt;");
			break;
		case '>':
			buf_puts(b, "&gt;");
			break;
		case '"':
			buf_puts(b, "&quot;");
			break;
		case '\'':
			buf_puts(b, "&#39;");
			break;
		default:
			buf_putc(b, *s);
		}
	}
}

int qr_svg(const struct qr_code *q, int quiet_modules, const char *label,
	   struct buf *out, struct err *e)
{
	char qt[ERR_QUOTE_BUF];
	const char *why;
	size_t chars, pos;
	struct buf b;
	int side, r;

	if ((r = qr_check(q, quiet_modules, e)) < 0)
		return r;
	if (!out)
		return err_set(e, ERR_INVALID, "qr: no output");
	if (empty(label))
		return err_set(e, ERR_INVALID,
			       "qr: svg label: required (it is what a screen "
			       "reader says)");
	if (utf8_count(label, &chars, &pos, &why) < 0)
		return err_set(e, ERR_INVALID, "qr: svg label \"%s\": byte %zu "
			       "%s", err_quote(label, qt), pos, why);
	if (chars > 1000)
		return err_set(e, ERR_TOOBIG, "qr: svg label \"%s\": %zu "
			       "characters, at most 1000",
			       err_quote(label, qt), chars);

	side = q->width + 2 * quiet_modules;
	/* Bounded by the symbol: 177² modules at ~16 bytes a run. */
	buf_init(&b, 1 << 20);
	buf_printf(&b,
		   "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
		   "%d %d\" role=\"img\" aria-label=\"",
		   side, side);
	xml_attr(&b, label);
	buf_printf(&b,
		   "\" shape-rendering=\"crispEdges\"><rect width=\"%d\" "
		   "height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
		   side, side);
	for (int y = 0; y < q->width; y++) {
		int x = 0;
		while (x < q->width) {
			int x0;
			if (!q->modules[(size_t)y * (size_t)q->width +
					(size_t)x]) {
				x++;
				continue;
			}
			x0 = x;
			while (x < q->width &&
			       q->modules[(size_t)y * (size_t)q->width +
					  (size_t)x])
				x++;
			buf_printf(&b, "M%d %dh%dv1h-%dz", x0 + quiet_modules,
				   y + quiet_modules, x - x0, x - x0);
		}
	}
	buf_puts(&b, "\"/></svg>");
	if (buf_append(out, b.data, b.len) < 0)
		r = err_set(e, ERR_TOOBIG,
			    "qr: svg of %zu bytes does not fit the output",
			    b.len);
	buf_free(&b);
	return r;
}
