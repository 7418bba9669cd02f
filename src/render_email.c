/*
 * render_email: one complete RFC 5322 / MIME message (see render_email.h).
 *
 * Why own code and not GMime: dunwell emits exactly three MIME shapes (a
 * text/plain part; multipart/alternative; alternative with a nested
 * multipart/related holding inline images) with exactly three encodings
 * (quoted-printable bodies, base64 images, RFC 2047 header words). The
 * encoders for those are a few hundred lines, every rule below is tested
 * against Python's standards-conforming `email` parser, and dunwell avoids
 * one more library (and its GLib dependency) in the sending path. Anything
 * beyond these forms (parsing mail, attachments with RFC 2231 names, S/MIME)
 * should use GMime rather than grow this file.
 *
 * The rules applied, by RFC:
 *  - 5322: CRLF line ends; header lines folded at whitespace to at most 78
 *    characters (never more than 998); Date in "+0000"; strict addr-spec
 *    and msg-id checks; display names as atoms, quoted strings or encoded
 *    words.
 *  - 2047: encoded words "=?UTF-8?Q?...?=" when at most one byte in six
 *    needs escaping (Q is then no longer than B), "=?UTF-8?B?...?=" otherwise;
 *    each word at most 75 characters and never splitting a UTF-8 sequence;
 *    Q uses only the characters allowed inside a phrase (5.3), so the same
 *    encoder serves Subject and display names.
 *  - 2045: quoted-printable lines at most 76 characters with "=" soft
 *    breaks; "=", trailing whitespace, control and non-ASCII bytes escaped;
 *    a line starting with "." or "From " has its first byte escaped so SMTP
 *    dot-stuffing and mbox "From " quoting cannot alter it; base64 in lines
 *    of 76.
 *  - 2046: boundaries "=_dw.a.<hash>" / "=_dw.r.<hash>" from the message id:
 *    "=_" can never appear in quoted-printable ("=" is always followed by
 *    a hex digit or a line end) nor in base64, so no body can contain one.
 *
 * This module never prints and never reads the clock: the Date comes in.
 */
#include "render_email.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HDR_LINE_MAX 78  /* RFC 5322 2.1.1: header lines SHOULD be <= 78 */
#define QP_LINE_MAX 76   /* RFC 2045 6.7 rule 5 */
#define B64_LINE_MAX 76  /* RFC 2045 6.8 */
#define EW_MAX 75        /* RFC 2047 2: encoded word length limit */
#define EW_OVERHEAD 12   /* strlen("=?UTF-8?Q?") + strlen("?=") */
#define ADDR_MAX 254     /* RFC 5321 4.5.3.1.3: path limit less <> */
#define LOCAL_MAX 64     /* RFC 5321 4.5.3.1.1 */
#define DOMAIN_MAX 253   /* RFC 1035, textual form */
#define LABEL_MAX 63     /* RFC 1035 */
#define MSGID_MAX 250    /* keeps "Message-ID: <...>" well under 998 */
#define LANG_MAX 35      /* RFC 5646 4.4.1: tags of 35 characters suffice */
#define FILENAME_MAX_LEN 64  /* keeps " filename=\"...\"" within 78 */
#define CTYPE_MAX 60     /* keeps the Content-Type line within 78 */

/* The message under construction: bounded output and header folding. */
struct mail {
	struct buf b;  /* the message so far, bounded by the caller's max */
	int rc;        /* first append failure (sticky); 0 when none */
	size_t col;    /* characters on the current header line */
	int tokens;    /* tokens written on the header field so far */
};

/* ---- output ---------------------------------------------------------- */

static void put(struct mail *o, const char *s, size_t n)
{
	if (o->rc == 0)
		o->rc = buf_append(&o->b, s, n);
}

static void puts_(struct mail *o, const char *s)
{
	put(o, s, strlen(s));
}

/* ---- character classes ----------------------------------------------- */

/* RFC 5322 3.2.3 atext. */
static int is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Printable ASCII, space excluded. */
static int is_vchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

/* Characters an RFC 2047 Q word may carry literally, even in a phrase. */
static int q_literal(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '!' || c == '*' || c == '+' ||
	       c == '-' || c == '/';
}

static const char hex_upper[] = "0123456789ABCDEF";

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 when it is
 * not one (overlong forms, surrogates and values past U+10FFFF are
 * rejected, RFC 3629). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/* 0 when s is valid UTF-8; otherwise the error, naming the field. */
static int check_utf8(const char *field, const char *s, struct err *e)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		size_t k = utf8_seq(p + i, n - i);
		if (k == 0)
			return err_set(e, ERR_INVALID,
				       "email: %s: invalid UTF-8 at byte %zu",
				       field, i);
		i += k;
	}
	return 0;
}

/* 0 unless s holds CR or LF (header injection: a value that would start a
 * new header field or end the header). */
static int check_no_crlf(const char *field, const char *s, struct err *e)
{
	char q[ERR_QUOTE_BUF];

	if (strpbrk(s, "\r\n"))
		return err_set(e, ERR_INVALID,
			       "email: %s '%s': CR or LF in a header value "
			       "(header injection)",
			       field, err_quote(s, q));
	return 0;
}

/* RFC 5322 dot-atom-text of n bytes: atext runs joined by single dots. */
static int is_dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* A DNS host name of n bytes with at least two labels: letters, digits
 * and inner hyphens, labels of 1..63. */
static int is_hostname(const char *s, size_t n)
{
	size_t label = 0, dots = 0;

	if (n == 0 || n > DOMAIN_MAX)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';
		if (c == '.') {
			if (label == 0 || label > LABEL_MAX || s[i - 1] == '-')
				return 0;
			label = 0;
			dots += i < n;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
		if (label == 0 && c == '-')
			return 0;
		label++;
	}
	return dots >= 1;
}

/*
 * The strict address check: local-part "@" domain, where the local part is
 * a dot-atom of at most 64 bytes (no quoted local parts, no comments) and
 * the domain a host name with a dot (no address literals, no single-label
 * names: a dunning mail to "jan@gmailcom" is a typo to catch, not to
 * send). ASCII only: SMTPUTF8 addresses are not supported.
 */
static int check_addr(const char *field, const char *s, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *at;
	size_t n;
	int rc;

	if (!s || !*s)
		return err_set(e, ERR_INVALID, "email: %s: address missing",
			       field);
	rc = check_no_crlf(field, s, e);
	if (rc)
		return rc;
	n = strlen(s);
	at = strrchr(s, '@');
	if (n > ADDR_MAX || !at || (size_t)(at - s) > LOCAL_MAX ||
	    !is_dot_atom(s, (size_t)(at - s)) ||
	    !is_hostname(at + 1, n - (size_t)(at - s) - 1))
		return err_set(e, ERR_INVALID,
			       "email: %s '%s': not a valid address "
			       "(expected local@domain.tld)",
			       field, err_quote(s, q));
	return 0;
}

/* A msg-id body (RFC 5322 3.6.4, without <>): dot-atom "@" dot-atom. Used
 * for Message-ID and for image Content-IDs (RFC 2392). */
static int check_msgid(const char *field, const char *s, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *at;
	size_t n;
	int rc;

	if (!s || !*s)
		return err_set(e, ERR_INVALID, "email: %s missing", field);
	rc = check_no_crlf(field, s, e);
	if (rc)
		return rc;
	n = strlen(s);
	at = strchr(s, '@');
	if (n > MSGID_MAX || !at || !is_dot_atom(s, (size_t)(at - s)) ||
	    !is_dot_atom(at + 1, n - (size_t)(at - s) - 1))
		return err_set(e, ERR_INVALID,
			       "email: %s '%s': expected id@domain "
			       "(dot-atoms, no <>)",
			       field, err_quote(s, q));
	return 0;
}

/* Display names and the subject: UTF-8, no CR/LF, no other control
 * character but tab (a parser would flag it, a reader could not see it). */
static int check_text_field(const char *field, const char *s, struct err *e)
{
	int rc = check_no_crlf(field, s, e);

	if (rc)
		return rc;
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return err_set(e, ERR_INVALID,
				       "email: %s: control character 0x%02x at "
				       "byte %zu",
				       field, c, i);
	}
	return check_utf8(field, s, e);
}

/* ---- header fields ----------------------------------------------------- */

static void hdr_begin(struct mail *o, const char *name)
{
	puts_(o, name);
	put(o, ":", 1);
	o->col = strlen(name) + 1;
	o->tokens = 0;
}

static void hdr_end(struct mail *o)
{
	put(o, "\r\n", 2);
}

/* The space before a token of `len` characters, folding the line first
 * when the token would not fit (never before the first token, so a field
 * name is never left alone on its line). */
static void hdr_space(struct mail *o, size_t len)
{
	if (o->tokens > 0 && o->col + 1 + len > HDR_LINE_MAX) {
		put(o, "\r\n", 2);
		o->col = 0;
	}
	put(o, " ", 1);
	o->col++;
}

/* A token written as is, preceded by (folding) whitespace. */
static void hdr_token(struct mail *o, const char *s, size_t n)
{
	hdr_space(o, n);
	put(o, s, n);
	o->col += n;
	o->tokens++;
}

/* Whether Q or B is the shorter encoding of s (Q when at most one byte in
 * six needs escaping). */
static int ew_use_q(const unsigned char *s, size_t n)
{
	size_t escaped = 0;

	for (size_t i = 0; i < n; i++)
		if (!q_literal(s[i]) && s[i] != ' ')
			escaped++;
	return n + 2 * escaped <= (n + 2) / 3 * 4;
}

/* Characters the Q form of the UTF-8 sequence s[0..k) takes. */
static size_t q_len(const unsigned char *s, size_t k)
{
	size_t len = 0;

	for (size_t i = 0; i < k; i++)
		len += (q_literal(s[i]) || s[i] == ' ') ? 1 : 3;
	return len;
}

static void q_put(struct mail *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char t[3];
		if (q_literal(s[i])) {
			put(o, (const char *)s + i, 1);
		} else if (s[i] == ' ') {
			put(o, "_", 1);
		} else {
			t[0] = '=';
			t[1] = hex_upper[s[i] >> 4];
			t[2] = hex_upper[s[i] & 15];
			put(o, t, 3);
		}
	}
}

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of s[0..n), unbroken (the caller breaks lines). */
static void b64_put(struct mail *o, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		size_t k = n - i < 3 ? n - i : 3;
		uint32_t v = (uint32_t)s[i] << 16;
		char t[4];

		if (k > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (k > 2)
			v |= s[i + 2];
		t[0] = b64_alphabet[(v >> 18) & 63];
		t[1] = b64_alphabet[(v >> 12) & 63];
		t[2] = k > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		t[3] = k > 2 ? b64_alphabet[v & 63] : '=';
		put(o, t, 4);
	}
}

/* Characters the encoded form (Q or B) of s[0..n) takes. */
static size_t ew_len(int q, const unsigned char *s, size_t n)
{
	return q ? q_len(s, n) : (n + 2) / 3 * 4;
}

/*
 * s[0..n) (valid UTF-8) as a run of encoded words. Each word is at most 75
 * characters and takes whole UTF-8 sequences only; decoders drop the
 * folding whitespace between adjacent encoded words (RFC 2047 6.2). A
 * word fills the room left on the line, but what fits in one word is
 * never split (the line is folded first), and a split falls after a space
 * where one is near, so even a decoder that wrongly keeps the whitespace
 * between words shows whole words.
 */
static void hdr_encoded(struct mail *o, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	int q = ew_use_q(s, n);
	size_t i = 0;

	while (i < n) {
		size_t room = HDR_LINE_MAX > o->col + 1 ?
				      HDR_LINE_MAX - o->col - 1 : 0;
		size_t first = utf8_seq(s + i, n - i);
		size_t rest = EW_OVERHEAD + ew_len(q, s + i, n - i);
		size_t j = i, enc = 0, brk = i, brk_enc = 0;

		if (room > EW_MAX)
			room = EW_MAX;
		/* Too little room for one sequence, or the rest fits one
		 * word on a line of its own: hdr_space folds. */
		if (o->tokens > 0 &&
		    (room < EW_OVERHEAD + ew_len(q, s + i, first) ||
		     (rest <= EW_MAX && rest > room)))
			room = EW_MAX;
		/* Take whole sequences while the word stays within room. */
		while (j < n) {
			size_t k = utf8_seq(s + j, n - j);
			size_t next = ew_len(q, s + i, j + k - i);
			if (EW_OVERHEAD + next > room)
				break;
			enc = next;
			j += k;
			if (s[j - 1] == ' ') {
				brk = j;
				brk_enc = enc;
			}
		}
		if (j < n && brk > i && brk_enc * 2 >= enc) {
			j = brk;
			enc = brk_enc;
		}
		hdr_space(o, EW_OVERHEAD + enc);
		puts_(o, q ? "=?UTF-8?Q?" : "=?UTF-8?B?");
		if (q)
			q_put(o, s + i, j - i);
		else
			b64_put(o, s + i, j - i);
		put(o, "?=", 2);
		o->col += EW_OVERHEAD + enc;
		o->tokens++;
		i = j;
	}
}

/* Whether s can be written as plain words: printable ASCII words joined
 * by single spaces, none looking like an encoded word, each short enough
 * to fit a line of its own. `atoms` further requires every word to be
 * atext (a display name that needs no quoting). */
static int plain_words(const char *s, int atoms)
{
	size_t word = 0;

	if (*s == ' ')
		return 0;
	if (strstr(s, "=?"))
		return 0;
	for (const char *p = s;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '\0') {
			if (word == 0 || word + 1 > HDR_LINE_MAX - 12)
				return 0; /* empty word: double, trailing space */
			word = 0;
			if (c == '\0')
				return 1;
			continue;
		}
		if (!is_vchar(c) || (atoms && !is_atext(c)))
			return 0;
		word++;
	}
}

/* Write s as words (plain_words(s) holds). */
static void hdr_words(struct mail *o, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, " ");
		hdr_token(o, s, n);
		s += n;
		if (*s == ' ')
			s++;
	}
}

/* A word of a phrase that can stay as it is: atext that does not look
 * like an encoded word and fits a line. */
static int is_atom_word(const char *s, size_t n)
{
	if (n == 0 || n > HDR_LINE_MAX - 12)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_atext((unsigned char)s[i]) ||
		    (s[i] == '=' && i + 1 < n && s[i + 1] == '?'))
			return 0;
	return 1;
}

/*
 * A display name. Atoms only: as they are. Other printable ASCII: one
 * quoted string. Otherwise word by word: atoms as they are, each run of
 * other words as encoded words (the spaces inside a run encoded with it),
 * so a name splits into several encoded words only when one run is too
 * long for one word. (That also keeps names whole in decoders that wrongly
 * keep the whitespace between adjacent encoded words in a phrase, as
 * Python before gh-128110 does.) A name with spaces at its ends, doubled
 * spaces or control characters is encoded whole.
 */
static void hdr_display_name(struct mail *o, const char *name)
{
	size_t n = strlen(name), qlen = 2;
	int ascii = strstr(name, "=?") == NULL;
	int simple = name[0] != ' ' && name[n - 1] != ' ' &&
		     strstr(name, "  ") == NULL;
	const char *p = name;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c != ' ' && !is_vchar(c)) {
			ascii = 0;
			if (c < 0x80)
				simple = 0; /* a control character */
		}
		qlen += (c == '"' || c == '\\') ? 2 : 1;
	}
	if (plain_words(name, 1)) {
		hdr_words(o, name);
		return;
	}
	if (ascii && qlen <= HDR_LINE_MAX - 12) {
		hdr_space(o, qlen);
		put(o, "\"", 1);
		for (size_t i = 0; i < n; i++) {
			if (name[i] == '"' || name[i] == '\\')
				put(o, "\\", 1);
			put(o, name + i, 1);
		}
		put(o, "\"", 1);
		o->col += qlen;
		o->tokens++;
		return;
	}
	if (!simple) {
		hdr_encoded(o, name, n);
		return;
	}
	while (*p) {
		size_t len = strcspn(p, " ");
		const char *run = p, *end;

		if (is_atom_word(p, len)) {
			hdr_token(o, p, len);
			p += len + (p[len] == ' ');
			continue;
		}
		end = p + len;
		while (*end == ' ') {
			size_t next = strcspn(end + 1, " ");
			if (is_atom_word(end + 1, next))
				break;
			end += 1 + next;
		}
		hdr_encoded(o, run, (size_t)(end - run));
		p = end + (*end == ' ');
	}
}

/* "Name: display name <addr>" or "Name: addr". */
static void hdr_mailbox(struct mail *o, const char *field, const char *name,
			const char *addr)
{
	char angle[ADDR_MAX + 3];
	size_t n = strlen(addr);

	hdr_begin(o, field);
	if (name && *name) {
		hdr_display_name(o, name);
		angle[0] = '<';
		memcpy(angle + 1, addr, n);
		angle[n + 1] = '>';
		hdr_token(o, angle, n + 2);
	} else {
		hdr_token(o, addr, n);
	}
	hdr_end(o);
}

static void hdr_subject(struct mail *o, const char *subject)
{
	hdr_begin(o, "Subject");
	if (plain_words(subject, 0))
		hdr_words(o, subject);
	else
		hdr_encoded(o, subject, strlen(subject));
	hdr_end(o);
}

/* "Date: Fri, 27 Nov 2026 10:00:00 +0000" (RFC 5322 3.3). */
static int hdr_date(struct mail *o, instant_t t, struct err *e)
{
	static const char *const days[7] = { "Mon", "Tue", "Wed", "Thu",
					     "Fri", "Sat", "Sun" };
	static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr",
						"May", "Jun", "Jul", "Aug",
						"Sep", "Oct", "Nov", "Dec" };
	date_t d;
	int64_t secs;
	int y, mo, dd;

	/* RFC 5322 wants years from 1900; date.h formats up to 9999. */
	if (t < -2208988800LL || t > 253402300799LL)
		return err_set(e, ERR_INVALID,
			       "email: Date: instant %lld out of range "
			       "(1900-9999)",
			       (long long)t);
	d = instant_date(t);
	secs = t - instant_from_date(d);
	date_to_ymd(d, &y, &mo, &dd);
	if (o->rc == 0)
		o->rc = buf_printf(&o->b,
				   "Date: %s, %02d %s %04d %02d:%02d:%02d "
				   "+0000\r\n",
				   days[date_weekday(d) - 1], dd,
				   months[mo - 1], y, (int)(secs / 3600),
				   (int)(secs / 60 % 60), (int)(secs % 60));
	return 0;
}

/* Field names render_email writes itself; an extra header may not repeat
 * them (nor any Content-* field, which belongs to the MIME structure). */
static int reserved_name(const char *name)
{
	static const char *const names[] = {
		"Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc",
		"Subject", "Message-ID", "MIME-Version",
	};

	if (strncasecmp(name, "Content-", 8) == 0)
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static int check_extra_header(const struct email_header *h, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	size_t n;

	if (!h->name || !*h->name || !h->value)
		return err_set(e, ERR_INVALID,
			       "email: extra header with no name or value");
	for (const char *p = h->name; *p; p++)
		if (!is_vchar((unsigned char)*p) || *p == ':')
			return err_set(e, ERR_INVALID,
				       "email: header name '%s': only printable "
				       "ASCII without ':' allowed",
				       err_quote(h->name, q));
	if (strlen(h->name) > 76)
		return err_set(e, ERR_INVALID,
			       "email: header name '%s': too long",
			       err_quote(h->name, q));
	if (reserved_name(h->name))
		return err_set(e, ERR_INVALID,
			       "email: header '%s' is written by the renderer "
			       "and cannot be given as an extra header",
			       h->name);
	if (strpbrk(h->value, "\r\n"))
		return err_set(e, ERR_INVALID,
			       "email: header '%s': CR or LF in the value "
			       "(header injection)",
			       h->name);
	n = strlen(h->value);
	if (n > EMAIL_HEADER_VALUE_MAX)
		return err_set(e, ERR_INVALID,
			       "email: header '%s': value longer than %d bytes",
			       h->name, EMAIL_HEADER_VALUE_MAX);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h->value[i];
		if (!is_vchar(c) && c != ' ' && c != '\t')
			return err_set(e, ERR_INVALID,
				       "email: header '%s': byte 0x%02x at %zu "
				       "(only printable ASCII allowed)",
				       h->name, c, i);
	}
	return 0;
}

/* An extra header, folded at single spaces where the value allows it. */
static void hdr_extra(struct mail *o, const struct email_header *h)
{
	const char *v = h->value;
	int simple = *v != ' ' && strchr(v, '\t') == NULL &&
		     strstr(v, "  ") == NULL &&
		     (*v == '\0' || v[strlen(v) - 1] != ' ');

	hdr_begin(o, h->name);
	if (simple) {
		hdr_words(o, v);
	} else {
		put(o, " ", 1);
		puts_(o, v);
	}
	hdr_end(o);
}

/* ---- bodies ------------------------------------------------------------ */

/*
 * s[0..n) as quoted-printable (RFC 2045 6.7). '\n' (or "\r\n") ends a line
 * and becomes CRLF; a lone CR is escaped. When s does not end with a line
 * end, the last line ends without CRLF, or with a soft break when
 * `end_soft` is set (a single-part body that must still end in CRLF).
 */
static void qp_put(struct mail *o, const char *str, size_t n, int end_soft)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		int crlf = c == '\r' && i + 1 < n && s[i + 1] == '\n';
		size_t eol;
		int last, hard, lit;

		if (c == '\n' || crlf) {
			put(o, "\r\n", 2);
			col = 0;
			i += (size_t)crlf;
			continue;
		}
		/* Is this the last byte of its line, and does a CRLF follow? */
		eol = i + 1;
		last = eol == n || s[eol] == '\n' ||
		       (s[eol] == '\r' && eol + 1 < n && s[eol + 1] == '\n');
		hard = last && eol < n;
		for (;;) {
			size_t len, limit;
			lit = (is_vchar(c) && c != '=') ||
			      ((c == ' ' || c == '\t') && !last);
			/* A physical line starting with "." or "From ". */
			if (col == 0 && (c == '.' || (c == 'F' && n - i >= 5 &&
						     memcmp(s + i, "From ", 5) == 0)))
				lit = 0;
			len = lit ? 1 : 3;
			limit = hard ? QP_LINE_MAX : QP_LINE_MAX - 1;
			if (col + len <= limit)
				break;
			put(o, "=\r\n", 3);
			col = 0;
		}
		if (lit) {
			put(o, (const char *)s + i, 1);
			col++;
		} else {
			char t[3] = { '=', hex_upper[c >> 4], hex_upper[c & 15] };
			put(o, t, 3);
			col += 3;
		}
	}
	if (end_soft && n > 0 && s[n - 1] != '\n')
		put(o, "=\r\n", 3);
}

/* data as base64 in lines of 76, without a CRLF after the last line. */
static void b64_lines(struct mail *o, const unsigned char *data, size_t len)
{
	const size_t per_line = B64_LINE_MAX / 4 * 3;

	for (size_t i = 0; i < len; i += per_line) {
		if (i > 0)
			put(o, "\r\n", 2);
		b64_put(o, data + i, len - i < per_line ? len - i : per_line);
	}
}

static void text_part(struct mail *o, const char *subtype, const char *body)
{
	puts_(o, "Content-Type: text/");
	puts_(o, subtype);
	puts_(o, "; charset=utf-8\r\n"
		 "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_put(o, body, strlen(body), 0);
}

static void image_part(struct mail *o, const struct email_image *im)
{
	puts_(o, "Content-Type: ");
	puts_(o, im->content_type);
	if (im->filename) {
		puts_(o, ";\r\n name=\"");
		puts_(o, im->filename);
		puts_(o, "\"");
	}
	puts_(o, "\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <");
	puts_(o, im->cid);
	puts_(o, ">\r\nContent-Disposition: inline");
	if (im->filename) {
		puts_(o, ";\r\n filename=\"");
		puts_(o, im->filename);
		puts_(o, "\"");
	}
	puts_(o, "\r\n\r\n");
	b64_lines(o, im->data, im->len);
}

/* The delimiter before a part ("--B") or after the last ("--B--"); the
 * CRLF in front belongs to the delimiter (RFC 2046 5.1.1). */
static void delimiter(struct mail *o, const char *boundary, int first,
		      int close)
{
	if (!first)
		put(o, "\r\n", 2);
	put(o, "--", 2);
	puts_(o, boundary);
	puts_(o, close ? "--" : "\r\n");
}

/* ---- validation and assembly ------------------------------------------- */

static int check_image(size_t k, const struct email_image *im,
		       struct err *e)
{
	char field[48], q[ERR_QUOTE_BUF];
	const char *slash;
	int rc;

	snprintf(field, sizeof(field), "image %zu Content-ID", k + 1);
	rc = check_msgid(field, im->cid, e);
	if (rc)
		return rc;
	if (!im->content_type)
		return err_set(e, ERR_INVALID,
			       "email: image %zu: content type missing", k + 1);
	rc = check_no_crlf("image content type", im->content_type, e);
	if (rc)
		return rc;
	slash = strchr(im->content_type, '/');
	if (strncmp(im->content_type, "image/", 6) != 0 ||
	    strlen(im->content_type) > CTYPE_MAX || slash[1] == '\0')
		return err_set(e, ERR_INVALID,
			       "email: image %zu: content type '%s' is not "
			       "image/<subtype>",
			       k + 1, err_quote(im->content_type, q));
	for (const char *p = slash + 1; *p; p++)
		if (!is_atext((unsigned char)*p) && *p != '.')
			return err_set(e, ERR_INVALID,
				       "email: image %zu: content type '%s' "
				       "has a character outside a token",
				       k + 1, err_quote(im->content_type, q));
	if (im->filename) {
		rc = check_no_crlf("image filename", im->filename, e);
		if (rc)
			return rc;
		if (!*im->filename || strlen(im->filename) > FILENAME_MAX_LEN)
			return err_set(e, ERR_INVALID,
				       "email: image %zu: filename empty or "
				       "too long",
				       k + 1);
		for (const char *p = im->filename; *p; p++)
			if ((!is_vchar((unsigned char)*p) && *p != ' ') ||
			    *p == '"' || *p == '\\')
				return err_set(e, ERR_INVALID,
					       "email: image %zu: filename '%s': "
					       "only printable ASCII without "
					       "'\"' or '\\' allowed",
					       k + 1, err_quote(im->filename, q));
	}
	if (!im->data || im->len == 0)
		return err_set(e, ERR_INVALID, "email: image %zu (%s): no data",
			       k + 1, im->cid);
	return 0;
}

static int check_msg(const struct email_msg *m, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	int rc;

	if ((rc = check_addr("From", m->from_addr, e)) ||
	    (rc = check_addr("To", m->to_addr, e)))
		return rc;
	if (m->reply_to_addr && (rc = check_addr("Reply-To", m->reply_to_addr, e)))
		return rc;
	if (m->from_name && (rc = check_text_field("From name", m->from_name, e)))
		return rc;
	if (m->to_name && (rc = check_text_field("To name", m->to_name, e)))
		return rc;
	if (!m->subject)
		return err_set(e, ERR_INVALID, "email: Subject missing");
	if ((rc = check_text_field("Subject", m->subject, e)))
		return rc;
	if ((rc = check_msgid("Message-ID", m->message_id, e)))
		return rc;
	if (m->lang) {
		size_t n = strlen(m->lang);
		if ((rc = check_no_crlf("Content-Language", m->lang, e)))
			return rc;
		int ok = n > 0 && n <= LANG_MAX && m->lang[0] != '-' &&
			 m->lang[n - 1] != '-';
		for (size_t i = 0; ok && i < n; i++) {
			char c = m->lang[i];
			ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-';
		}
		if (!ok)
			return err_set(e, ERR_INVALID,
				       "email: Content-Language '%s': expected "
				       "a language tag such as nl or nl-BE",
				       err_quote(m->lang, q));
	}
	if (!m->text)
		return err_set(e, ERR_INVALID, "email: text part missing");
	if ((rc = check_utf8("text part", m->text, e)))
		return rc;
	if (m->html && (rc = check_utf8("html part", m->html, e)))
		return rc;
	if (m->n_images > 0 && !m->html)
		return err_set(e, ERR_INVALID,
			       "email: inline images need an html part");
	if (m->n_images > 0 && !m->images)
		return err_set(e, ERR_INVALID, "email: images missing");
	for (size_t k = 0; k < m->n_images; k++)
		if ((rc = check_image(k, &m->images[k], e)))
			return rc;
	if (m->n_headers > 0 && !m->headers)
		return err_set(e, ERR_INVALID, "email: extra headers missing");
	for (size_t k = 0; k < m->n_headers; k++)
		if ((rc = check_extra_header(&m->headers[k], e)))
			return rc;
	return 0;
}

/* "=_dw.<kind>.<16 hex digits of FNV-1a 64 of the message id>". */
static void boundary_make(const char *message_id, char kind,
			  char out[24])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)message_id; *p;
	     p++) {
		h ^= *p;
		h *= 0x100000001b3ULL;
	}
	memcpy(out, "=_dw.", 5);
	out[5] = kind;
	out[6] = '.';
	for (int i = 0; i < 16; i++)
		out[7 + i] = "0123456789abcdef"[(h >> (60 - 4 * i)) & 15];
	out[23] = '\0';
}

int email_render(const struct email_msg *m, size_t max, struct buf *ret_out,
		 struct err *e)
{
	struct mail o = { .rc = 0 };
	char alt[24], rel[24];
	int rc;

	rc = check_msg(m, e);
	if (rc)
		return rc;
	buf_init(&o.b, max);

	rc = hdr_date(&o, m->date, e);
	if (rc)
		goto out_free;
	hdr_mailbox(&o, "From", m->from_name, m->from_addr);
	if (m->reply_to_addr)
		hdr_mailbox(&o, "Reply-To", NULL, m->reply_to_addr);
	hdr_mailbox(&o, "To", m->to_name, m->to_addr);
	hdr_subject(&o, m->subject);
	puts_(&o, "Message-ID: <");
	puts_(&o, m->message_id);
	puts_(&o, ">\r\n");
	if (m->lang) {
		puts_(&o, "Content-Language: ");
		puts_(&o, m->lang);
		puts_(&o, "\r\n");
	}
	for (size_t k = 0; k < m->n_headers; k++)
		hdr_extra(&o, &m->headers[k]);
	puts_(&o, "MIME-Version: 1.0\r\n");

	if (!m->html) {
		puts_(&o, "Content-Type: text/plain; charset=utf-8\r\n"
			  "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		qp_put(&o, m->text, strlen(m->text), 1);
		goto out_done;
	}

	boundary_make(m->message_id, 'a', alt);
	boundary_make(m->message_id, 'r', rel);
	puts_(&o, "Content-Type: multipart/alternative;\r\n boundary=\"");
	puts_(&o, alt);
	puts_(&o, "\"\r\n\r\n");
	delimiter(&o, alt, 1, 0);
	text_part(&o, "plain", m->text);
	delimiter(&o, alt, 0, 0);
	if (m->n_images == 0) {
		text_part(&o, "html", m->html);
	} else {
		puts_(&o, "Content-Type: multipart/related; type=\"text/html\";"
			  "\r\n boundary=\"");
		puts_(&o, rel);
		puts_(&o, "\"\r\n\r\n");
		delimiter(&o, rel, 1, 0);
		text_part(&o, "html", m->html);
		for (size_t k = 0; k < m->n_images; k++) {
			delimiter(&o, rel, 0, 0);
			image_part(&o, &m->images[k]);
		}
		delimiter(&o, rel, 0, 1);
	}
	delimiter(&o, alt, 0, 1);
	put(&o, "\r\n", 2);

out_done:
	if (o.rc) {
		rc = err_set(e, ERR_TOOBIG,
			     "email: message larger than %zu bytes", max);
		goto out_free;
	}
	*ret_out = o.b;
	return 0;

out_free:
	buf_free(&o.b);
	return rc;
}
