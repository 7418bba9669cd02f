/*
 * i18n: locale-aware formatting of money, numbers, dates and plural
 * categories (ICU's C API), and the fallback chain of a BCP 47 tag.
 *
 * Money is formatted from its exact decimal string (int64 minor units and
 * the ISO 4217 exponent of src/money.h), never through a double. The
 * currency is shown by its ISO code ("EUR 1.234,56" in nl, "1 234,56 EUR"
 * in fr), with exactly the ISO 4217 number of decimals even where CLDR's
 * display digits differ (IQD: ISO 3, CLDR 0), so no amount is ever rounded.
 *
 * Output is UTF-8 exactly as ICU produces it. That includes non-ASCII
 * spaces: nl, en and de put U+00A0 NO-BREAK SPACE between the currency code
 * and the number; fr groups thousands with U+202F NARROW NO-BREAK SPACE and
 * puts U+00A0 before the code ("1\u202f234,56\u00a0EUR"). Callers that need
 * plain text for an SMS run it through sms_prepare, which maps them to ' '.
 *
 * Locale fallback: a tag ICU has no exact data for uses its nearest parent
 * with data, as ICU does ("nl-XX" formats as "nl", "de-AT-x-foo" as
 * "de-AT"). A language ICU has no data for at all ("jbo", "xx") would make
 * ICU use the process's default locale (from LANG/LC_ALL), so the output
 * would depend on the machine; dunwell uses ICU's root locale instead
 * ("EUR 1,234.56", "2026-11-27" short), the same on every machine.
 *
 * Locale arguments are BCP 47 tags ("nl-BE", "sr-Latn-RS", "de-DE-u-nu-latn");
 * ICU's own "nl_BE" form is rejected, with an error naming the value.
 *
 * A struct i18n caches opened ICU formatters (opening one costs far more
 * than formatting with it) in a small fixed-size table keyed by kind,
 * locale and currency, least recently used out. It is not thread-safe: one
 * per thread.
 */
#ifndef DUNWELL_I18N_H
#define DUNWELL_I18N_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "err.h"

/* Longest BCP 47 tag accepted, including the NUL. */
#define I18N_TAG_MAX 64

/* Longest output of any formatter below, in bytes with the NUL: ICU text
 * that would not fit is refused (-ERR_TOOBIG), so a buffer of this size is
 * never too small. */
#define I18N_OUT_MAX 256

enum i18n_date_style {
	I18N_DATE_LONG,  /* month spelled out: "27 november 2026", "November 27, 2026" */
	I18N_DATE_SHORT, /* numeric: "27-11-2026", "11/27/26", "27.11.26" */
};

struct i18n; /* opaque: the formatter cache */

struct i18n *i18n_new(void);
void i18n_free(struct i18n *t); /* NULL is fine */

/*
 * The functions below write NUL-terminated UTF-8 into buf (cap bytes) and
 * return 0, or a negative code with the message naming the locale and value:
 * -ERR_INVALID for a malformed tag or unknown currency, -ERR_RANGE for a
 * date outside years 1..9999, -ERR_TOOBIG when cap is too small (buf is then
 * left untouched), -ERR_IO when ICU itself fails.
 */

/* Money: `minor` units of `currency` (an ISO 4217 code of money.h's table)
 * in the locale's ISO-code currency style: nl "EUR 1.234,56",
 * en "-EUR 1,234.56", de "1.234,56 EUR"; JPY 1234 in en "JPY 1,234". */
int i18n_money(struct i18n *t, const char *locale, int64_t minor,
	       const char *currency, char *buf, size_t cap, struct err *e);

/* An integer with the locale's grouping: nl "1.234.567", en "1,234,567". */
int i18n_number(struct i18n *t, const char *locale, int64_t n, char *buf,
		size_t cap, struct err *e);

/* A civil date, formatted in UTC so no time zone can move it to another
 * day, on the proleptic Gregorian calendar (as date.h) unless the locale
 * asks for another calendar (th: Buddhist years, "-u-ca-japanese"). */
int i18n_date(struct i18n *t, const char *locale, date_t d,
	      enum i18n_date_style style, char *buf, size_t cap,
	      struct err *e);

/* The CLDR plural category of the integer n: "zero", "one", "two", "few",
 * "many" or "other" (a static string). en: 1 "one", 0 "other"; fr: 0 and 1
 * "one", 1000000 "many". ICU evaluates the rules on a double: exact for
 * |n| up to 2^53, far beyond any count a message shows. */
int i18n_plural(struct i18n *t, const char *locale, int64_t n,
		const char **ret_category, struct err *e);

/*
 * The lookup chain of a BCP 47 tag (RFC 4647 section 3.4): the tag, then
 * the tag with its last subtag removed (and a singleton left last removed
 * with it), and so on, then `dflt` (may be NULL: none); duplicates are left
 * out. "nl-BE", "en" -> {"nl-BE", "nl", "en"}; "sr-Latn-RS" -> {"sr-Latn-RS",
 * "sr-Latn", "sr", ...}. Entries are in canonical case ("NL-be" -> "nl-BE").
 * Both tags are checked for BCP 47 syntax (-ERR_INVALID naming the value);
 * more than `max` entries is -ERR_TOOBIG. On failure chain and *ret_n are
 * untouched.
 */
int i18n_chain(const char *tag, const char *dflt, char chain[][I18N_TAG_MAX],
	       size_t max, size_t *ret_n, struct err *e);

#endif
