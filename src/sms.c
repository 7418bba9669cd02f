/*
 * sms: transliteration, GSM-7/UCS-2 choice and segment counting (see
 * sms.h).
 *
 * One pass checks the UTF-8 and notes whether NFC could change anything
 * (only then is ICU's normalizer run); a second pass transliterates into
 * the output and counts, for both alphabets at once, septets and UTF-16
 * units. Only a long text holding 2-unit characters (extension pairs,
 * surrogate pairs) needs a third pass to pack it into parts. Nothing here
 * changes a letter: the table below only maps typography.
 */
#include "sms.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

#include "mem.h"

/* Septets of each ASCII character in GSM 03.38: 1 in the default
 * alphabet, 2 in the extension table (escape + character), 0 when GSM-7
 * has no such character (controls other than LF and CR; '`' is
 * transliterated before it is counted). */
static const unsigned char ascii_septets[128] = {
	['\n'] = 1, ['\r'] = 1, ['\f'] = 2,
	[' '] = 1, ['!'] = 1, ['"'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1,
	['&'] = 1, ['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1,
	[','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1,
	['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	[':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
	['@'] = 1,
	['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1,
	['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1,
	['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1,
	['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
	['Y'] = 1, ['Z'] = 1,
	['['] = 2, ['\\'] = 2, [']'] = 2, ['^'] = 2, ['_'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1,
	['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1,
	['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
	['{'] = 2, ['|'] = 2, ['}'] = 2, ['~'] = 2,
};

/* Septets of a character in GSM 03.38 (1 or 2), or 0 when it has none. */
static int gsm7_septets(uint32_t cp)
{
	if (cp < 0x80)
		return ascii_septets[cp];
	switch (cp) {
	case 0x00A1: /* ¡ */
	case 0x00A3: /* £ */
	case 0x00A4: /* ¤ */
	case 0x00A5: /* ¥ */
	case 0x00A7: /* § */
	case 0x00BF: /* ¿ */
	case 0x00C4: /* Ä */
	case 0x00C5: /* Å */
	case 0x00C6: /* Æ */
	case 0x00C7: /* Ç */
	case 0x00C9: /* É */
	case 0x00D1: /* Ñ */
	case 0x00D6: /* Ö */
	case 0x00D8: /* Ø */
	case 0x00DC: /* Ü */
	case 0x00DF: /* ß */
	case 0x00E0: /* à */
	case 0x00E4: /* ä */
	case 0x00E5: /* å */
	case 0x00E6: /* æ */
	case 0x00E8: /* è */
	case 0x00E9: /* é */
	case 0x00EC: /* ì */
	case 0x00F1: /* ñ */
	case 0x00F2: /* ò */
	case 0x00F6: /* ö */
	case 0x00F8: /* ø */
	case 0x00F9: /* ù */
	case 0x00FC: /* ü */
	case 0x0393: /* Γ */
	case 0x0394: /* Δ */
	case 0x0398: /* Θ */
	case 0x039B: /* Λ */
	case 0x039E: /* Ξ */
	case 0x03A0: /* Π */
	case 0x03A3: /* Σ */
	case 0x03A6: /* Φ */
	case 0x03A8: /* Ψ */
	case 0x03A9: /* Ω */
		return 1;
	case 0x20AC: /* € (extension table) */
		return 2;
	}
	return 0;
}

/* Typography mapped to GSM-7 text, sorted by code point. An empty
 * replacement removes an invisible character. */
static const struct translit {
	uint32_t cp;    /* the character replaced */
	const char *to; /* its replacement (ASCII) */
} translit[] = {
	{ 0x0009, " " },    /* tab */
	{ 0x0060, "'" },    /* ` grave accent (not in GSM-7) */
	{ 0x00A0, " " },    /* no-break space */
	{ 0x00AB, "\"" },   /* « */
	{ 0x00AD, "" },     /* soft hyphen (invisible) */
	{ 0x00B4, "'" },    /* ´ acute accent used as an apostrophe */
	{ 0x00BB, "\"" },   /* » */
	{ 0x02BC, "'" },    /* ʼ modifier letter apostrophe */
	{ 0x2000, " " },    /* en quad */
	{ 0x2001, " " },    /* em quad */
	{ 0x2002, " " },    /* en space */
	{ 0x2003, " " },    /* em space */
	{ 0x2004, " " },    /* three-per-em space */
	{ 0x2005, " " },    /* four-per-em space */
	{ 0x2006, " " },    /* six-per-em space */
	{ 0x2007, " " },    /* figure space */
	{ 0x2008, " " },    /* punctuation space */
	{ 0x2009, " " },    /* thin space */
	{ 0x200A, " " },    /* hair space */
	{ 0x200B, "" },     /* zero width space */
	{ 0x2010, "-" },    /* hyphen */
	{ 0x2011, "-" },    /* non-breaking hyphen */
	{ 0x2012, "-" },    /* ‒ figure dash */
	{ 0x2013, "-" },    /* – en dash */
	{ 0x2014, "-" },    /* — em dash */
	{ 0x2015, "-" },    /* ― horizontal bar */
	{ 0x2018, "'" },    /* ‘ */
	{ 0x2019, "'" },    /* ’ (also the typographic apostrophe) */
	{ 0x201A, "'" },    /* ‚ */
	{ 0x201B, "'" },    /* ‛ */
	{ 0x201C, "\"" },   /* “ */
	{ 0x201D, "\"" },   /* ” */
	{ 0x201E, "\"" },   /* „ */
	{ 0x201F, "\"" },   /* ‟ */
	{ 0x2022, "-" },    /* • bullet */
	{ 0x2023, "-" },    /* ‣ triangular bullet */
	{ 0x2024, "." },    /* one dot leader */
	{ 0x2026, "..." },  /* … */
	{ 0x2028, "\n" },   /* line separator */
	{ 0x2029, "\n" },   /* paragraph separator */
	{ 0x202F, " " },    /* narrow no-break space (fr amounts from ICU) */
	{ 0x2032, "'" },    /* ′ prime */
	{ 0x2033, "\"" },   /* ″ double prime */
	{ 0x2039, "'" },    /* ‹ */
	{ 0x203A, "'" },    /* › */
	{ 0x2043, "-" },    /* ⁃ hyphen bullet */
	{ 0x2044, "/" },    /* ⁄ fraction slash */
	{ 0x205F, " " },    /* medium mathematical space */
	{ 0x2060, "" },     /* word joiner (invisible) */
	{ 0x2212, "-" },    /* − minus sign */
	{ 0x2215, "/" },    /* ∕ division slash */
	{ 0xFEFF, "" },     /* byte order mark / zero width no-break space */
};

#define N_TRANSLIT (sizeof(translit) / sizeof(translit[0]))

/* The replacement of cp, or NULL when it stays as it is. */
static const char *translit_find(uint32_t cp)
{
	size_t lo = 0, hi = N_TRANSLIT;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (translit[mid].cp == cp)
			return translit[mid].to;
		if (translit[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * Decode the character at s[*i] (n bytes in all) into *ret_cp and advance
 * *i. Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
 * above U+10FFFF. Returns -1 on a bad sequence (*i unchanged).
 */
static int utf8_next(const unsigned char *s, size_t n, size_t *i,
		     uint32_t *ret_cp)
{
	size_t k = *i;
	uint32_t c = s[k], min;
	int more;

	if (c < 0x80) {
		*ret_cp = c;
		*i = k + 1;
		return 0;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		more = 1;
		c &= 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		more = 2;
		c &= 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		more = 3;
		c &= 0x07;
		min = 0x10000;
	} else {
		return -1; /* continuation byte, C0/C1 overlong lead, F5..FF */
	}
	if ((size_t)more > n - k - 1)
		return -1; /* truncated at the end */
	for (int j = 1; j <= more; j++) {
		unsigned char b = s[k + (size_t)j];

		if ((b & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (b & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return -1;
	*ret_cp = c;
	*i = k + 1 + (size_t)more;
	return 0;
}

/* Control characters an SMS cannot carry: all C0 but tab (transliterated),
 * LF, FF and CR; DEL; all C1. */
static int is_bad_control(uint32_t cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n' && cp != '\f' && cp != '\r';
	return cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/*
 * Check that text is UTF-8 without bad control characters, and tell
 * whether NFC might change it: a character that is not NFC_QC=Yes, or a
 * combining mark (which may need reordering).
 */
static int check_text(const char *text, size_t len, int *ret_need_nfc,
		      struct err *e)
{
	const unsigned char *s = (const unsigned char *)text;
	int need_nfc = 0;
	size_t i = 0;

	while (i < len) {
		size_t at = i;
		uint32_t cp;

		if (s[i] < 0x80 && !is_bad_control(s[i])) {
			i++;
			continue;
		}
		if (utf8_next(s, len, &i, &cp) < 0)
			return err_set(e, ERR_INVALID,
				       "invalid UTF-8 at byte offset %zu (byte 0x%02x)",
				       at, s[at]);
		if (is_bad_control(cp))
			return err_set(e, ERR_INVALID,
				       "control character U+%04X at byte offset %zu",
				       (unsigned)cp, at);
		if (!need_nfc && cp >= 0x300 &&
		    (u_getIntPropertyValue((UChar32)cp, UCHAR_NFC_QUICK_CHECK) !=
			     UNORM_YES ||
		     u_getCombiningClass((UChar32)cp) != 0))
			need_nfc = 1;
	}
	*ret_need_nfc = need_nfc;
	return 0;
}

/* text (valid UTF-8) in NFC, as a new UTF-8 string (free it). Only for
 * text that needs it: three conversions through ICU's UTF-16. */
static int to_nfc(const char *text, size_t len, char **ret, size_t *ret_len,
		  struct err *e)
{
	UErrorCode st = U_ZERO_ERROR;
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	UChar *u16 = NULL, *norm = NULL;
	char *u8 = NULL;
	int32_t n16 = 0, nnorm = 0, n8 = 0;
	int rc = 0;

	if (len > INT32_MAX / 4)
		return err_set(e, ERR_TOOBIG,
			       "SMS text of %zu bytes is too long to normalize",
			       len);
	if (U_FAILURE(st))
		goto fail;
	u_strFromUTF8(NULL, 0, &n16, text, (int32_t)len, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		goto fail;
	st = U_ZERO_ERROR;
	u16 = xmalloc(((size_t)n16 + 1) * sizeof(UChar));
	u_strFromUTF8(u16, n16 + 1, &n16, text, (int32_t)len, &st);
	if (U_FAILURE(st))
		goto fail;
	nnorm = unorm2_normalize(nfc, u16, n16, NULL, 0, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		goto fail;
	st = U_ZERO_ERROR;
	norm = xmalloc(((size_t)nnorm + 1) * sizeof(UChar));
	nnorm = unorm2_normalize(nfc, u16, n16, norm, nnorm + 1, &st);
	if (U_FAILURE(st))
		goto fail;
	u_strToUTF8(NULL, 0, &n8, norm, nnorm, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		goto fail;
	st = U_ZERO_ERROR;
	u8 = xmalloc((size_t)n8 + 1);
	u_strToUTF8(u8, n8 + 1, &n8, norm, nnorm, &st);
	if (U_FAILURE(st))
		goto fail;
	*ret = u8;
	*ret_len = (size_t)n8;
	u8 = NULL;
	goto out;
fail:
	rc = err_set(e, ERR_INVALID, "SMS text: Unicode normalization failed: %s",
		     u_errorName(st));
out:
	free(u8);
	free(norm);
	free(u16);
	return rc;
}

/* Running counts of the prepared text, for both alphabets at once. */
struct sms_count {
	size_t chars;   /* code points */
	size_t septets; /* GSM-7 septets (meaningful while gsm is set) */
	size_t utf16;   /* UTF-16 units */
	int gsm;        /* every character so far is in GSM-7 */
	int wide7;      /* some character is an extension pair (2 septets) */
	int wide16;     /* some character is a surrogate pair (2 units) */
};

/* Count one character that is not ASCII. */
static void count_cp(struct sms_count *c, uint32_t cp)
{
	c->chars++;
	if (cp >= 0x10000) {
		c->utf16 += 2;
		c->wide16 = 1;
	} else {
		c->utf16++;
	}
	if (c->gsm) {
		int w7 = gsm7_septets(cp);

		c->gsm = w7 != 0;
		c->septets += (size_t)w7;
		c->wide7 |= w7 == 2;
	}
}

/* Count an ASCII string (checked: no control but LF, CR, FF). */
static void count_ascii(struct sms_count *c, const unsigned char *s,
			size_t n)
{
	size_t septets = 0;
	int wide7 = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned w7 = ascii_septets[s[i]];

		septets += w7;
		wide7 |= w7 == 2;
	}
	c->chars += n;
	c->utf16 += n;
	c->septets += septets;
	c->wide7 |= wide7;
}

/*
 * Parts of `part` units needed for the prepared UTF-8 text when some
 * characters take 2 units and must not be split: a part that cannot take
 * such a character whole is closed early.
 */
static int pack_parts(const char *text, size_t len, enum sms_encoding enc,
		      size_t part)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, fill = 0;
	int parts = 1;

	while (i < len) {
		uint32_t cp;
		size_t w;

		if (utf8_next(s, len, &i, &cp) < 0)
			break; /* cannot happen: we wrote it */
		if (enc == SMS_GSM7)
			w = (size_t)gsm7_septets(cp);
		else
			w = cp >= 0x10000 ? 2 : 1;
		if (fill + w > part) {
			parts++;
			fill = 0;
		}
		fill += w;
	}
	return parts;
}

/* Transliterate valid UTF-8 src into out, counting what is written. Runs
 * of unchanged text are copied in one append. */
static int translit_text(const char *src, size_t len, struct buf *out,
			 struct sms_count *c, struct err *e)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, run = 0, ascii = 0;
	int rc;

	while (i < len) {
		size_t at = i;
		const char *to = NULL;
		uint32_t cp;

		if (s[i] < 0x80 && s[i] != '\t' && s[i] != '`') {
			i++;
			continue; /* counted a run at a time below */
		}
		count_ascii(c, s + ascii, at - ascii);
		if (utf8_next(s, len, &i, &cp) < 0) /* checked before */
			return err_set(e, ERR_INVALID,
				       "invalid UTF-8 at byte offset %zu", at);
		ascii = i;
		to = translit_find(cp);
		if (!to) {
			count_cp(c, cp);
			continue;
		}
		count_ascii(c, (const unsigned char *)to, strlen(to));
		rc = buf_append(out, src + run, at - run);
		if (rc == 0)
			rc = buf_puts(out, to);
		if (rc < 0)
			goto toobig;
		run = i;
	}
	count_ascii(c, s + ascii, len - ascii);
	rc = buf_append(out, src + run, len - run);
	if (rc < 0)
		goto toobig;
	return 0;
toobig:
	return err_set(e, ERR_TOOBIG,
		       "SMS text longer than the output bound of %zu bytes",
		       out->max);
}

int sms_prepare(const char *text, size_t len, int max_segments,
		struct buf *out, struct sms_info *ret, struct err *e)
{
	struct sms_count c = { .gsm = 1 };
	struct sms_info info;
	size_t old_len = out->len;
	char *norm = NULL;
	size_t norm_len = 0, single, part;
	int need_nfc = 0;
	int rc;

	if (max_segments < 0)
		return err_set(e, ERR_INVALID,
			       "maximum SMS segments %d is negative",
			       max_segments);
	if (!text && len)
		return err_set(e, ERR_INVALID, "SMS text missing");
	rc = check_text(text, len, &need_nfc, e);
	if (rc < 0)
		return rc;
	if (need_nfc) {
		rc = to_nfc(text, len, &norm, &norm_len, e);
		if (rc < 0)
			return rc;
		text = norm;
		len = norm_len;
	}
	rc = translit_text(text ? text : "", len, out, &c, e);
	if (rc < 0)
		goto out;

	info.encoding = c.gsm ? SMS_GSM7 : SMS_UCS2;
	info.units = c.gsm ? c.septets : c.utf16;
	single = c.gsm ? SMS_GSM7_SINGLE : SMS_UCS2_SINGLE;
	part = c.gsm ? SMS_GSM7_PART : SMS_UCS2_PART;
	if (info.units <= single)
		info.segments = 1;
	else if (c.gsm ? c.wide7 : c.wide16) /* rare: pack it for real */
		info.segments = pack_parts(out->data + old_len,
					   out->len - old_len, info.encoding,
					   part);
	else if ((info.units + part - 1) / part < INT_MAX)
		info.segments = (int)((info.units + part - 1) / part);
	else
		info.segments = INT_MAX;
	info.chars = c.chars;
	if (max_segments > 0 && info.segments > max_segments) {
		rc = err_set(e, ERR_TOOBIG,
			     "SMS needs %d segments (%zu %s, %zu characters), more than the maximum of %d",
			     info.segments, info.units,
			     info.encoding == SMS_GSM7 ? "GSM-7 septets" :
							 "UCS-2 units",
			     info.chars, max_segments);
		goto out;
	}
	*ret = info;
out:
	if (rc < 0) {
		out->len = old_len; /* as it was */
		if (out->data)
			out->data[old_len] = '\0';
	}
	free(norm);
	return rc;
}
