/*
 * i18n: ICU formatting behind a per-thread formatter cache, and BCP 47
 * fallback chains (see i18n.h).
 *
 * Every formatter ICU opens is kept in a fixed table of slots keyed by
 * (kind, locale tag as passed, currency); a miss validates the tag, opens
 * the formatter and evicts the least recently used slot. A hit costs one
 * scan of the table and string compare, so rendering many messages in a few
 * locales never reopens anything.
 *
 * Nothing here may format money through a double: amounts go to ICU as the
 * exact decimal string money_format builds from the int64.
 */
#include "i18n.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/udat.h>
#include <unicode/uloc.h>
#include <unicode/unum.h>
#include <unicode/upluralrules.h>
#include <unicode/ustring.h>

#include "mem.h"
#include "money.h"

/* Formatters kept per struct i18n: enough for every kind in a handful of
 * locales and currencies at once. */
#define I18N_SLOTS 32
/* UTF-16 units of ICU output: each becomes at most 3 UTF-8 bytes, so the
 * UTF-8 text (plus NUL) always fits in I18N_OUT_MAX. */
#define I18N_UOUT_MAX ((I18N_OUT_MAX - 1) / 3)
/* At most one subtag per two bytes of a tag. */
#define I18N_SUBTAGS_MAX (I18N_TAG_MAX / 2)
/* Dates a date slot remembers the text of, and the longest text kept. */
#define I18N_MEMO 8
#define I18N_MEMO_LEN 48
/* Longest plural keyword ICU returns ("other") with room to spare. */
#define I18N_KEYWORD_MAX 16

/* What a cache slot holds. */
enum i18n_kind {
	I18N_KIND_FREE,       /* nothing: the slot is empty */
	I18N_KIND_MONEY,      /* a currency formatter for one currency */
	I18N_KIND_NUMBER,     /* an integer formatter */
	I18N_KIND_DATE_LONG,  /* a date formatter, I18N_DATE_LONG */
	I18N_KIND_DATE_SHORT, /* a date formatter, I18N_DATE_SHORT */
	I18N_KIND_PLURAL,     /* cardinal plural rules */
};

struct i18n_slot {
	enum i18n_kind kind;     /* what the slot holds (part of the key) */
	char tag[I18N_TAG_MAX];  /* the locale exactly as passed (the key) */
	char currency[4];        /* MONEY: the ISO 4217 code (the key); "" else */
	unsigned long long used; /* i18n.clock at the last use: LRU eviction */
	UNumberFormat *num;      /* MONEY, NUMBER: the formatter */
	UDateFormat *date;       /* DATE_*: the formatter (UTC, proleptic) */
	UPluralRules *rules;     /* PLURAL: the locale's cardinal rules */
	date_t memo_day[I18N_MEMO]; /* DATE_*: days formatted lately, by
				     * day % I18N_MEMO; DATE_NONE: empty */
	char memo_text[I18N_MEMO][I18N_MEMO_LEN]; /* DATE_*: their text */
};

struct i18n {
	struct i18n_slot slots[I18N_SLOTS]; /* the cache */
	unsigned long long clock;           /* counts lookups, for LRU */
};

/* A tag checked against the BCP 47 grammar (RFC 5646 section 2.1). */
struct i18n_tag {
	char canon[I18N_TAG_MAX];         /* the tag in canonical case */
	size_t len;                       /* bytes in canon */
	size_t n;                         /* subtags */
	size_t ends[I18N_SUBTAGS_MAX];    /* byte offset just past each subtag */
	unsigned char single[I18N_SUBTAGS_MAX]; /* subtag is a singleton */
};

/* Where a subtag may be in a langtag; each state only moves forward. */
enum tag_state {
	TAG_LANGUAGE, /* after the primary language */
	TAG_EXTLANG,  /* after an extended language subtag */
	TAG_SCRIPT,   /* after the script */
	TAG_REGION,   /* after the region */
	TAG_VARIANT,  /* after a variant */
	TAG_EXTENSION, /* inside an extension (singleton other than x) */
	TAG_PRIVATE,  /* inside the private-use part (after x) */
};

static const UChar utc_id[] = { 'U', 'T', 'C', 0 };

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static char to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int all_alpha(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_alpha(s[i]))
			return 0;
	return 1;
}

static int all_digit(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

static int bad_tag(struct err *e, const char *tag, const char *why)
{
	char q[ERR_QUOTE_BUF];

	return err_set(e, ERR_INVALID,
		       "locale \"%s\": not a BCP 47 language tag: %s",
		       err_quote(tag, q), why);
}

/*
 * Check `tag` against the langtag production of RFC 5646 (language,
 * extlang, script, region, variants, extensions, private use) and write it
 * in canonical case: lower case except two-letter (region) subtags upper
 * and four-letter (script) subtags title case, outside extensions. Tags
 * that are only private use ("x-foo") or irregular grandfathered tags
 * ("i-klingon") are rejected: ICU cannot format for them.
 */
static int tag_parse(const char *tag, struct i18n_tag *ret, struct err *e)
{
	enum tag_state state = TAG_LANGUAGE;
	unsigned long seen_singletons = 0; /* bit per letter a..z */
	size_t extlangs = 0, in_part = 0, start = 0, lang_len = 0;
	char why[96];
	size_t len;

	if (!tag)
		return err_set(e, ERR_INVALID, "locale missing");
	len = strnlen(tag, I18N_TAG_MAX);
	if (len == 0)
		return bad_tag(e, tag, "empty");
	if (len >= I18N_TAG_MAX) {
		snprintf(why, sizeof(why), "longer than %d bytes",
			 I18N_TAG_MAX - 1);
		return bad_tag(e, tag, why);
	}
	ret->n = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = tag[i];
		const char *s;
		size_t n;

		if (c != '-' && c != '\0') {
			if (!is_alpha(c) && !is_digit(c)) {
				if (c > 0x20 && c < 0x7f)
					snprintf(why, sizeof(why),
						 "'%c' at byte %zu (only letters, digits and '-')",
						 c, i);
				else
					snprintf(why, sizeof(why),
						 "byte 0x%02x at byte %zu (only letters, digits and '-')",
						 (unsigned char)c, i);
				return bad_tag(e, tag, why);
			}
			ret->canon[i] = to_lower(c);
			continue;
		}
		/* A subtag ends at [start, i). */
		ret->canon[i] = c;
		s = tag + start;
		n = i - start;
		if (n == 0) {
			snprintf(why, sizeof(why), "empty subtag at byte %zu", i);
			return bad_tag(e, tag, why);
		}
		if (n > 8) {
			snprintf(why, sizeof(why),
				 "subtag at byte %zu is longer than 8 characters",
				 start);
			return bad_tag(e, tag, why);
		}
		ret->single[ret->n] = 0;
		if (ret->n == 0) {
			if (n == 1)
				return bad_tag(e, tag,
					       "private-use and irregular tags are not supported");
			if (!all_alpha(s, n))
				return bad_tag(e, tag,
					       "the language subtag must be letters");
			lang_len = n;
		} else if (n == 1 && state != TAG_PRIVATE) {
			/* A singleton opens an extension, or with 'x' the
			 * private-use part; the previous one needs content. */
			char lc = to_lower(s[0]);
			unsigned long bit = is_alpha(lc) ? 1UL << (lc - 'a') : 0;

			if (state == TAG_EXTENSION && in_part == 0) {
				snprintf(why, sizeof(why),
					 "the singleton before byte %zu has no subtags",
					 start);
				return bad_tag(e, tag, why);
			}
			if (bit && (seen_singletons & bit)) {
				snprintf(why, sizeof(why),
					 "singleton '%c' repeated at byte %zu",
					 lc, start);
				return bad_tag(e, tag, why);
			}
			seen_singletons |= bit;
			ret->single[ret->n] = 1;
			state = lc == 'x' ? TAG_PRIVATE : TAG_EXTENSION;
			in_part = 0;
		} else if (state >= TAG_EXTENSION) {
			in_part++; /* 2..8 (extension) or 1..8 (private) */
		} else if (state <= TAG_EXTLANG && lang_len <= 3 && extlangs < 3 &&
			   n == 3 && all_alpha(s, n)) {
			extlangs++;
			state = TAG_EXTLANG;
		} else if (state < TAG_SCRIPT && n == 4 && all_alpha(s, n)) {
			ret->canon[start] = to_upper(ret->canon[start]);
			state = TAG_SCRIPT;
		} else if (state < TAG_REGION &&
			   ((n == 2 && all_alpha(s, n)) ||
			    (n == 3 && all_digit(s, n)))) {
			ret->canon[start] = to_upper(ret->canon[start]);
			ret->canon[start + 1] = to_upper(ret->canon[start + 1]);
			state = TAG_REGION;
		} else if (n >= 5 || (n == 4 && is_digit(s[0]))) {
			state = TAG_VARIANT;
		} else {
			snprintf(why, sizeof(why),
				 "subtag \"%.*s\" at byte %zu is out of place",
				 (int)n, s, start);
			return bad_tag(e, tag, why);
		}
		ret->ends[ret->n++] = i;
		start = i + 1;
	}
	if ((state == TAG_EXTENSION || state == TAG_PRIVATE) && in_part == 0)
		return bad_tag(e, tag, "the last singleton has no subtags");
	ret->canon[len] = '\0';
	ret->len = len;
	return 0;
}

/* The ICU locale ID of a checked tag ("nl-BE" -> "nl_BE",
 * "de-u-nu-arab" -> "de@numbers=arab"). */
static int icu_id(const char *tag, const struct i18n_tag *t,
		  char id[ULOC_FULLNAME_CAPACITY], struct err *e)
{
	UErrorCode st = U_ZERO_ERROR;
	int32_t parsed = 0;
	char q[ERR_QUOTE_BUF];

	uloc_forLanguageTag(t->canon, id, ULOC_FULLNAME_CAPACITY, &parsed, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING ||
	    parsed != (int32_t)t->len)
		return err_set(e, ERR_INVALID,
			       "locale \"%s\": ICU cannot read this tag (%s)",
			       err_quote(tag, q), u_errorName(st));
	return 0;
}

/*
 * 1 when ICU, having no data for the language of `id`, fell back to the
 * process's default locale (LANG/LC_ALL) and produced `valid`: the caller
 * then uses root instead, so output never depends on the machine.
 */
static int fell_to_default(const char *id, const char *valid)
{
	char canon[ULOC_FULLNAME_CAPACITY];
	char want[ULOC_LANG_CAPACITY], got[ULOC_LANG_CAPACITY];
	char dflt[ULOC_LANG_CAPACITY];
	UErrorCode st = U_ZERO_ERROR;

	if (!valid)
		return 0;
	/* Canonical first, so that an alias ICU resolves ("iw" -> "he")
	 * compares equal to its target. */
	uloc_canonicalize(id, canon, sizeof(canon), &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
		memcpy(canon, id, strlen(id) + 1); /* both ULOC_FULLNAME_CAPACITY */
	st = U_ZERO_ERROR;
	uloc_getLanguage(canon, want, sizeof(want), &st);
	if (U_FAILURE(st) || want[0] == '\0')
		return 0;
	st = U_ZERO_ERROR;
	uloc_getLanguage(valid, got, sizeof(got), &st);
	uloc_getLanguage(uloc_getDefault(), dflt, sizeof(dflt), &st);
	if (U_FAILURE(st))
		return 0;
	return strcmp(want, got) != 0 && strcmp(got, dflt) == 0;
}

static void slot_close(struct i18n_slot *s)
{
	if (s->num)
		unum_close(s->num);
	if (s->date)
		udat_close(s->date);
	if (s->rules)
		uplrules_close(s->rules);
	memset(s, 0, sizeof(*s));
	s->kind = I18N_KIND_FREE;
}

/* Open the number formatter of a MONEY or NUMBER slot for ICU locale `id`.
 * A failure is returned as an ICU status. */
static UErrorCode open_number(struct i18n_slot *s, const char *id,
			      const struct currency *cur)
{
	UErrorCode st = U_ZERO_ERROR;

	s->num = unum_open(cur ? UNUM_CURRENCY_ISO : UNUM_DECIMAL, NULL, 0, id,
			   NULL, &st);
	if (U_FAILURE(st))
		return st;
	if (cur) {
		UChar code[3] = { (UChar)cur->code[0], (UChar)cur->code[1],
				  (UChar)cur->code[2] };

		unum_setTextAttribute(s->num, UNUM_CURRENCY_CODE, code, 3, &st);
		if (U_FAILURE(st))
			return st;
		/* After the currency, which resets them to CLDR's digits:
		 * show exactly the ISO 4217 minor unit, and let ICU refuse
		 * (U_FORMAT_INEXACT_ERROR) rather than round if that ever
		 * mismatches the amount. */
		unum_setAttribute(s->num, UNUM_MIN_FRACTION_DIGITS, cur->exponent);
		unum_setAttribute(s->num, UNUM_MAX_FRACTION_DIGITS, cur->exponent);
		unum_setAttribute(s->num, UNUM_ROUNDING_MODE,
				  UNUM_ROUND_UNNECESSARY);
	} else {
		unum_setAttribute(s->num, UNUM_MAX_FRACTION_DIGITS, 0);
	}
	return st;
}

static UErrorCode open_date(struct i18n_slot *s, const char *id,
			    UDateFormatStyle style)
{
	UErrorCode st = U_ZERO_ERROR, cst = U_ZERO_ERROR;
	UCalendar *cal;

	for (size_t i = 0; i < I18N_MEMO; i++)
		s->memo_day[i] = DATE_NONE;
	s->date = udat_open(UDAT_NONE, style, id, utc_id, -1, NULL, 0, &st);
	if (U_FAILURE(st))
		return st;
	/* Proleptic Gregorian, as date.h counts days: without this ICU
	 * switches to the Julian calendar before 1582-10-15. Calendars that
	 * are not Gregorian-based refuse the change, which is right. */
	cal = ucal_clone(udat_getCalendar(s->date), &cst);
	if (U_SUCCESS(cst))
		ucal_setGregorianChange(cal, U_DATE_MIN, &cst);
	if (U_SUCCESS(cst))
		udat_setCalendar(s->date, cal);
	if (cal)
		ucal_close(cal);
	return st;
}

static UErrorCode open_plural(struct i18n_slot *s, const char *id)
{
	UErrorCode st = U_ZERO_ERROR;

	s->rules = uplrules_open(id, &st);
	return st;
}

/* Open what slot `s` (kind already set) needs for ICU locale `id`. */
static UErrorCode slot_open(struct i18n_slot *s, const char *id,
			    const struct currency *cur)
{
	switch (s->kind) {
	case I18N_KIND_MONEY:
		return open_number(s, id, cur);
	case I18N_KIND_NUMBER:
		return open_number(s, id, NULL);
	case I18N_KIND_DATE_LONG:
		return open_date(s, id, UDAT_LONG);
	case I18N_KIND_DATE_SHORT:
		return open_date(s, id, UDAT_SHORT);
	case I18N_KIND_PLURAL:
		/* Plural rules never use the default locale: an unknown
		 * language gets CLDR's root rules ("other"). */
		return open_plural(s, id);
	case I18N_KIND_FREE:
		break;
	}
	return U_ILLEGAL_ARGUMENT_ERROR;
}

/* The locale ICU actually used for slot `s`, or NULL when it has none. */
static const char *slot_valid_locale(const struct i18n_slot *s)
{
	UErrorCode st = U_ZERO_ERROR;
	const char *v = NULL;

	if (s->num)
		v = unum_getLocaleByType(s->num, ULOC_VALID_LOCALE, &st);
	else if (s->date)
		v = udat_getLocaleByType(s->date, ULOC_VALID_LOCALE, &st);
	return U_SUCCESS(st) ? v : NULL;
}

static const char *kind_name(enum i18n_kind kind)
{
	switch (kind) {
	case I18N_KIND_MONEY:
		return "currency formatter";
	case I18N_KIND_NUMBER:
		return "number formatter";
	case I18N_KIND_DATE_LONG:
	case I18N_KIND_DATE_SHORT:
		return "date formatter";
	case I18N_KIND_PLURAL:
		return "plural rules";
	case I18N_KIND_FREE:
		break;
	}
	return "formatter";
}

/*
 * The slot for (kind, locale, currency): from the cache, or opened into the
 * least recently used slot. `cur` is NULL except for MONEY.
 */
static int slot_get(struct i18n *t, enum i18n_kind kind, const char *locale,
		    const struct currency *cur, struct i18n_slot **ret,
		    struct err *e)
{
	const char *code = cur ? cur->code : "";
	struct i18n_slot *s, *victim = NULL;
	char id[ULOC_FULLNAME_CAPACITY];
	char q[ERR_QUOTE_BUF];
	struct i18n_tag tag;
	UErrorCode st;
	int rc;

	t->clock++;
	if (locale) {
		for (size_t i = 0; i < I18N_SLOTS; i++) {
			s = &t->slots[i];
			if (s->kind == kind && strcmp(s->currency, code) == 0 &&
			    strcmp(s->tag, locale) == 0) {
				s->used = t->clock;
				*ret = s;
				return 0;
			}
		}
	}
	rc = tag_parse(locale, &tag, e);
	if (rc < 0)
		return rc;
	rc = icu_id(locale, &tag, id, e);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < I18N_SLOTS; i++) {
		s = &t->slots[i];
		if (!victim || s->kind == I18N_KIND_FREE ||
		    (victim->kind != I18N_KIND_FREE && s->used < victim->used))
			victim = s;
		if (victim->kind == I18N_KIND_FREE)
			break;
	}
	s = victim;
	slot_close(s);
	s->kind = kind;
	st = slot_open(s, id, cur);
	if (U_SUCCESS(st) && fell_to_default(id, slot_valid_locale(s))) {
		slot_close(s);
		s->kind = kind;
		st = slot_open(s, "root", cur);
	}
	if (U_FAILURE(st)) {
		slot_close(s);
		return err_set(e, ERR_IO,
			       "locale \"%s\": ICU could not open the %s: %s",
			       err_quote(locale, q), kind_name(kind),
			       u_errorName(st));
	}
	/* Both fit: the tag was checked shorter than I18N_TAG_MAX. */
	memcpy(s->tag, locale, tag.len + 1);
	memcpy(s->currency, code, strlen(code) + 1);
	s->used = t->clock;
	*ret = s;
	return 0;
}

/*
 * The value being formatted, turned into text for an error message only
 * when there is one: building it on every call would cost more than some
 * of the formatting.
 */
struct i18n_value {
	const struct currency *cur; /* money: its currency; NULL otherwise */
	const char *dec;            /* money: the exact decimal string */
	int64_t n;                  /* number: the integer */
	date_t d;                   /* date: the day; DATE_NONE otherwise */
};

static const char *describe(const struct i18n_value *v, char out[64])
{
	if (v->cur)
		snprintf(out, 64, "%s %s", v->cur->code, v->dec);
	else if (v->d != DATE_NONE)
		date_format(v->d, out); /* DATE_FMT_MAX <= 64 */
	else
		snprintf(out, 64, "%lld", (long long)v->n);
	return out;
}

/*
 * Finish one format call: ICU's status and UTF-16 output become UTF-8 in
 * buf (cap bytes), or an error naming the locale and the value; buf is
 * untouched on failure.
 */
static int finish(UErrorCode st, const UChar *u, int32_t ulen, char *buf,
		  size_t cap, const char *locale, const struct i18n_value *v,
		  struct err *e)
{
	char tmp[I18N_OUT_MAX], q[ERR_QUOTE_BUF], what[64];
	int32_t n = 0;

	/* U_STRING_NOT_TERMINATED_WARNING: u is full but complete. */
	if (st == U_BUFFER_OVERFLOW_ERROR)
		return err_set(e, ERR_TOOBIG,
			       "locale \"%s\": %s formats to more than %d bytes",
			       err_quote(locale, q), describe(v, what),
			       I18N_OUT_MAX - 1);
	if (U_FAILURE(st))
		return err_set(e, ERR_IO,
			       "locale \"%s\": ICU could not format %s: %s",
			       err_quote(locale, q), describe(v, what),
			       u_errorName(st));
	u_strToUTF8(tmp, (int32_t)sizeof(tmp), &n, u, ulen, &st);
	if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING)
		return err_set(e, ERR_IO,
			       "locale \"%s\": %s: ICU output does not convert to UTF-8 (%s)",
			       err_quote(locale, q), describe(v, what),
			       u_errorName(st));
	if (!buf || (size_t)n + 1 > cap)
		return err_set(e, ERR_TOOBIG,
			       "locale \"%s\": %s formats to %d bytes, the buffer holds %zu",
			       err_quote(locale, q), describe(v, what),
			       (int)n + 1, buf ? cap : 0);
	memcpy(buf, tmp, (size_t)n + 1);
	return 0;
}

struct i18n *i18n_new(void)
{
	struct i18n *t = xcalloc(1, sizeof(*t));

	for (size_t i = 0; i < I18N_SLOTS; i++)
		t->slots[i].kind = I18N_KIND_FREE;
	return t;
}

void i18n_free(struct i18n *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < I18N_SLOTS; i++)
		slot_close(&t->slots[i]);
	free(t);
}

int i18n_money(struct i18n *t, const char *locale, int64_t minor,
	       const char *currency, char *buf, size_t cap, struct err *e)
{
	const struct currency *cur = currency_find(currency);
	struct i18n_value v = { cur, NULL, 0, DATE_NONE };
	char dec[MONEY_FMT_MAX];
	UChar u[I18N_UOUT_MAX];
	UErrorCode st = U_ZERO_ERROR;
	struct i18n_slot *s;
	int32_t n;
	int rc;

	if (!cur) {
		char q[ERR_QUOTE_BUF];

		return err_set(e, ERR_INVALID,
			       "currency \"%s\": not an ISO 4217 code dunwell knows",
			       currency ? err_quote(currency, q) : "");
	}
	rc = slot_get(t, I18N_KIND_MONEY, locale, cur, &s, e);
	if (rc < 0)
		return rc;
	money_format(minor, cur, dec);
	v.dec = dec;
	n = unum_formatDecimal(s->num, dec, -1, u, I18N_UOUT_MAX, NULL, &st);
	return finish(st, u, n, buf, cap, locale, &v, e);
}

int i18n_number(struct i18n *t, const char *locale, int64_t num, char *buf,
		size_t cap, struct err *e)
{
	struct i18n_value v = { NULL, NULL, num, DATE_NONE };
	UChar u[I18N_UOUT_MAX];
	UErrorCode st = U_ZERO_ERROR;
	struct i18n_slot *s;
	int32_t n;
	int rc;

	rc = slot_get(t, I18N_KIND_NUMBER, locale, NULL, &s, e);
	if (rc < 0)
		return rc;
	n = unum_formatInt64(s->num, num, u, I18N_UOUT_MAX, NULL, &st);
	return finish(st, u, n, buf, cap, locale, &v, e);
}

int i18n_date(struct i18n *t, const char *locale, date_t d,
	      enum i18n_date_style style, char *buf, size_t cap,
	      struct err *e)
{
	struct i18n_value v = { NULL, NULL, 0, d };
	size_t m = (size_t)((uint32_t)d % I18N_MEMO);
	enum i18n_kind kind;
	UChar u[I18N_UOUT_MAX];
	UErrorCode st = U_ZERO_ERROR;
	struct i18n_slot *s;
	size_t len;
	int32_t n;
	int rc;

	if (d == DATE_NONE || d < date_from_ymd(1, 1, 1) ||
	    d > date_from_ymd(9999, 12, 31))
		return err_set(e, ERR_RANGE,
			       "date (day number %ld) outside years 1..9999",
			       (long)d);
	switch (style) {
	case I18N_DATE_LONG:
		kind = I18N_KIND_DATE_LONG;
		break;
	case I18N_DATE_SHORT:
		kind = I18N_KIND_DATE_SHORT;
		break;
	default:
		return err_set(e, ERR_INVALID, "date style %d unknown",
			       (int)style);
	}
	rc = slot_get(t, kind, locale, NULL, &s, e);
	if (rc < 0)
		return rc;
	if (s->memo_day[m] == d) {
		/* A batch shows few distinct dates: no ICU call at all. */
		len = strlen(s->memo_text[m]);
		if (!buf || len + 1 > cap) {
			char q[ERR_QUOTE_BUF], what[64];

			return err_set(e, ERR_TOOBIG,
				       "locale \"%s\": %s formats to %zu bytes, the buffer holds %zu",
				       err_quote(locale, q), describe(&v, what),
				       len + 1, buf ? cap : 0);
		}
		memcpy(buf, s->memo_text[m], len + 1);
		return 0;
	}
	/* Midnight UTC of the day, formatted in UTC: exact in a double. */
	n = udat_format(s->date, (UDate)d * (UDate)U_MILLIS_PER_DAY, u,
			I18N_UOUT_MAX, NULL, &st);
	rc = finish(st, u, n, buf, cap, locale, &v, e);
	if (rc == 0 && (len = strlen(buf)) < I18N_MEMO_LEN) {
		memcpy(s->memo_text[m], buf, len + 1);
		s->memo_day[m] = d;
	}
	return rc;
}

int i18n_plural(struct i18n *t, const char *locale, int64_t num,
		const char **ret_category, struct err *e)
{
	static const char *const categories[] = {
		"zero", "one", "two", "few", "many", "other",
	};
	UChar kw[I18N_KEYWORD_MAX];
	char kw8[I18N_KEYWORD_MAX];
	UErrorCode st = U_ZERO_ERROR;
	char q[ERR_QUOTE_BUF], qk[ERR_QUOTE_BUF];
	struct i18n_slot *s;
	int32_t n;
	int rc;

	rc = slot_get(t, I18N_KIND_PLURAL, locale, NULL, &s, e);
	if (rc < 0)
		return rc;
	/* ICU evaluates plural rules on doubles (even from a formatted
	 * number), so this is exact up to 2^53 and ICU's answer beyond. */
	n = uplrules_select(s->rules, (double)num, kw, I18N_KEYWORD_MAX, &st);
	if (U_FAILURE(st) || n >= I18N_KEYWORD_MAX)
		return err_set(e, ERR_IO,
			       "locale \"%s\": ICU could not choose the plural of %lld: %s",
			       err_quote(locale, q), (long long)num,
			       u_errorName(U_FAILURE(st) ? st :
					   U_BUFFER_OVERFLOW_ERROR));
	u_UCharsToChars(kw, kw8, n);
	kw8[n] = '\0';
	for (size_t i = 0; i < sizeof(categories) / sizeof(categories[0]); i++) {
		if (strcmp(kw8, categories[i]) == 0) {
			*ret_category = categories[i];
			return 0;
		}
	}
	return err_set(e, ERR_IO,
		       "locale \"%s\": ICU returned plural category \"%s\" for %lld",
		       err_quote(locale, q), err_quote(kw8, qk), (long long)num);
}

int i18n_chain(const char *tag, const char *dflt, char chain[][I18N_TAG_MAX],
	       size_t max, size_t *ret_n, struct err *e)
{
	struct i18n_tag main_tag, dflt_tag;
	char q[ERR_QUOTE_BUF];
	size_t count = 0, k;
	int dflt_new = 0;
	int rc;

	rc = tag_parse(tag, &main_tag, e);
	if (rc < 0)
		return rc;
	if (dflt) {
		rc = tag_parse(dflt, &dflt_tag, e);
		if (rc < 0) {
			err_prefix(e, "default ");
			return rc;
		}
	}
	for (k = 0; k < main_tag.n; k++)
		count += !main_tag.single[k];
	if (dflt) {
		/* The default is new unless it is one of the tag's prefixes:
		 * a prefix ending where a (non-singleton) subtag ends. */
		dflt_new = 1;
		if (dflt_tag.len <= main_tag.len &&
		    memcmp(dflt_tag.canon, main_tag.canon, dflt_tag.len) == 0) {
			for (k = 0; k < main_tag.n; k++)
				if (!main_tag.single[k] &&
				    main_tag.ends[k] == dflt_tag.len)
					dflt_new = 0;
		}
		count += (size_t)dflt_new;
	}
	if (count > max)
		return err_set(e, ERR_TOOBIG,
			       "locale \"%s\": the fallback chain has %zu entries, room for %zu",
			       err_quote(tag, q), count, max);
	count = 0;
	for (k = main_tag.n; k-- > 0;) {
		size_t end = main_tag.ends[k];

		if (main_tag.single[k])
			continue; /* RFC 4647: never end on a singleton */
		memcpy(chain[count], main_tag.canon, end);
		chain[count][end] = '\0';
		count++;
	}
	if (dflt_new) {
		memcpy(chain[count], dflt_tag.canon, dflt_tag.len + 1);
		count++;
	}
	*ret_n = count;
	return 0;
}
