/*
 * money: ISO 4217 currencies, exact decimal parsing and formatting, and
 * overflow-checked arithmetic on int64 minor units (see money.h).
 *
 * This file must never use floating point: every amount is an integer, every
 * ratio goes through money_mul_div, which rounds half away from zero with a
 * 128-bit intermediate.
 */
#include "money.h"

#include <string.h>

/*
 * ISO 4217 list one (SIX, published 2026-01-01): every active code with a
 * defined minor unit, sorted by code for binary search. Codes whose minor
 * unit is "N.A." (metals, SDR, bond-market units, XSU, XUA, XTS, XXX) are
 * not money dunwell can collect and are left out. Withdrawn codes (ANG,
 * BGN, CUC, HRK, SLL, ZWL, ...) are left out too.
 */
static const struct currency currencies[] = {
	{ "AED", 2 }, { "AFN", 2 }, { "ALL", 2 }, { "AMD", 2 }, { "AOA", 2 },
	{ "ARS", 2 }, { "AUD", 2 }, { "AWG", 2 }, { "AZN", 2 }, { "BAM", 2 },
	{ "BBD", 2 }, { "BDT", 2 }, { "BHD", 3 }, { "BIF", 0 }, { "BMD", 2 },
	{ "BND", 2 }, { "BOB", 2 }, { "BOV", 2 }, { "BRL", 2 }, { "BSD", 2 },
	{ "BTN", 2 }, { "BWP", 2 }, { "BYN", 2 }, { "BZD", 2 }, { "CAD", 2 },
	{ "CDF", 2 }, { "CHE", 2 }, { "CHF", 2 }, { "CHW", 2 }, { "CLF", 4 },
	{ "CLP", 0 }, { "CNY", 2 }, { "COP", 2 }, { "COU", 2 }, { "CRC", 2 },
	{ "CUP", 2 }, { "CVE", 2 }, { "CZK", 2 }, { "DJF", 0 }, { "DKK", 2 },
	{ "DOP", 2 }, { "DZD", 2 }, { "EGP", 2 }, { "ERN", 2 }, { "ETB", 2 },
	{ "EUR", 2 }, { "FJD", 2 }, { "FKP", 2 }, { "GBP", 2 }, { "GEL", 2 },
	{ "GHS", 2 }, { "GIP", 2 }, { "GMD", 2 }, { "GNF", 0 }, { "GTQ", 2 },
	{ "GYD", 2 }, { "HKD", 2 }, { "HNL", 2 }, { "HTG", 2 }, { "HUF", 2 },
	{ "IDR", 2 }, { "ILS", 2 }, { "INR", 2 }, { "IQD", 3 }, { "IRR", 2 },
	{ "ISK", 0 }, { "JMD", 2 }, { "JOD", 3 }, { "JPY", 0 }, { "KES", 2 },
	{ "KGS", 2 }, { "KHR", 2 }, { "KMF", 0 }, { "KPW", 2 }, { "KRW", 0 },
	{ "KWD", 3 }, { "KYD", 2 }, { "KZT", 2 }, { "LAK", 2 }, { "LBP", 2 },
	{ "LKR", 2 }, { "LRD", 2 }, { "LSL", 2 }, { "LYD", 3 }, { "MAD", 2 },
	{ "MDL", 2 }, { "MGA", 2 }, { "MKD", 2 }, { "MMK", 2 }, { "MNT", 2 },
	{ "MOP", 2 }, { "MRU", 2 }, { "MUR", 2 }, { "MVR", 2 }, { "MWK", 2 },
	{ "MXN", 2 }, { "MXV", 2 }, { "MYR", 2 }, { "MZN", 2 }, { "NAD", 2 },
	{ "NGN", 2 }, { "NIO", 2 }, { "NOK", 2 }, { "NPR", 2 }, { "NZD", 2 },
	{ "OMR", 3 }, { "PAB", 2 }, { "PEN", 2 }, { "PGK", 2 }, { "PHP", 2 },
	{ "PKR", 2 }, { "PLN", 2 }, { "PYG", 0 }, { "QAR", 2 }, { "RON", 2 },
	{ "RSD", 2 }, { "RUB", 2 }, { "RWF", 0 }, { "SAR", 2 }, { "SBD", 2 },
	{ "SCR", 2 }, { "SDG", 2 }, { "SEK", 2 }, { "SGD", 2 }, { "SHP", 2 },
	{ "SLE", 2 }, { "SOS", 2 }, { "SRD", 2 }, { "SSP", 2 }, { "STN", 2 },
	{ "SVC", 2 }, { "SYP", 2 }, { "SZL", 2 }, { "THB", 2 }, { "TJS", 2 },
	{ "TMT", 2 }, { "TND", 3 }, { "TOP", 2 }, { "TRY", 2 }, { "TTD", 2 },
	{ "TWD", 2 }, { "TZS", 2 }, { "UAH", 2 }, { "UGX", 0 }, { "USD", 2 },
	{ "USN", 2 }, { "UYI", 0 }, { "UYU", 2 }, { "UYW", 4 }, { "UZS", 2 },
	{ "VED", 2 }, { "VES", 2 }, { "VND", 0 }, { "VUV", 0 }, { "WST", 2 },
	{ "XAD", 2 }, { "XAF", 0 }, { "XCD", 2 }, { "XCG", 2 }, { "XOF", 0 },
	{ "XPF", 0 }, { "YER", 2 }, { "ZAR", 2 }, { "ZMW", 2 }, { "ZWG", 2 },
};

#define N_CURRENCIES (sizeof(currencies) / sizeof(currencies[0]))

/* Micros carry six decimals; no currency has more (CLF and UYW have 4). */
#define MICROS_DECIMALS 6

/* Bytes of a bad value quoted in an error message (plus "..." and NUL). */

static const int64_t pow10_table[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000,
};

/* A currency from the table has 0..4 decimals; one built by hand must stay
 * within what micros can express, or it would index past pow10_table. */
static int exponent_ok(const struct currency *cur)
{
	return cur && cur->exponent >= 0 && cur->exponent <= MICROS_DECIMALS;
}

const struct currency *currency_find(const char *code)
{
	size_t lo = 0, hi = N_CURRENCIES;

	if (!code)
		return NULL;
	for (int i = 0; i < 3; i++)
		if (code[i] < 'A' || code[i] > 'Z')
			return NULL;
	if (code[3] != '\0')
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(code, currencies[mid].code, 3);
		if (c == 0)
			return &currencies[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Why parse_decimal rejected a string; the callers word the message. */
enum parse_status {
	PARSE_OK = 0,
	PARSE_EMPTY,       /* "" */
	PARSE_SYNTAX,      /* anything but [-]digits[.digits] */
	PARSE_NO_INT,      /* ".5", "-.5": no digit before the point */
	PARSE_NO_FRAC,     /* "1.": a point with no digit after it */
	PARSE_DECIMALS,    /* more decimals than allowed */
	PARSE_TOO_LARGE,   /* positive and beyond INT64_MAX units */
	PARSE_TOO_SMALL,   /* negative and beyond INT64_MIN units */
};

/*
 * The one decimal parser: [-]digits[.digits] with at most `scale` decimals,
 * returned as an integer scaled by 10^scale. The shape is checked before the
 * value, so "1e99999999999999999999" is a syntax error, not an overflow.
 * Leading zeros are accepted ("007.50" is 7.50): they cannot change the
 * value, and exports from spreadsheets and bank files carry them.
 */
static enum parse_status parse_decimal(const char *s, int scale,
				       int64_t *ret)
{
	/* Magnitude limit: INT64_MAX, or one more for a negative amount. */
	uint64_t limit = (uint64_t)INT64_MAX;
	uint64_t v = 0;
	int neg = 0, n_int = 0, n_frac = 0;
	const char *digits, *p;

	if (*s == '\0')
		return PARSE_EMPTY;
	neg = *s == '-';
	digits = s + neg;
	for (p = digits; *p >= '0' && *p <= '9'; p++)
		n_int++;
	if (*p == '.') {
		p++;
		while (p[n_frac] >= '0' && p[n_frac] <= '9')
			n_frac++;
		if (p[n_frac] != '\0')
			return PARSE_SYNTAX;
		if (n_int == 0)
			return n_frac ? PARSE_NO_INT : PARSE_SYNTAX;
		if (n_frac == 0)
			return PARSE_NO_FRAC;
	} else if (*p != '\0' || n_int == 0) {
		return PARSE_SYNTAX;
	}
	if (n_frac > scale)
		return PARSE_DECIMALS;

	if (neg)
		limit += 1;
	for (int i = 0; i < n_int + scale; i++) {
		/* Integer digits, then the decimals, then zeros up to scale. */
		unsigned d = 0;
		if (i < n_int)
			d = (unsigned)(digits[i] - '0');
		else if (i - n_int < n_frac)
			d = (unsigned)(digits[i + 1] - '0');
		if (v > (limit - d) / 10)
			return neg ? PARSE_TOO_SMALL : PARSE_TOO_LARGE;
		v = v * 10 + d;
	}
	/* v <= 2^63 when negative: negate in unsigned, then convert. */
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return PARSE_OK;
}

/* The error for a parse_decimal failure; `cur` is NULL for micros. */
static int parse_error(enum parse_status st, const char *text,
		       const struct currency *cur, int scale, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	char lim[MONEY_FMT_MAX];
	struct currency micros = { "", MICROS_DECIMALS };
	const struct currency *fmt = cur ? cur : &micros;

	err_quote(text, q);
	switch (st) {
	case PARSE_EMPTY:
		return err_set(e, ERR_INVALID, "invalid amount '': empty");
	case PARSE_NO_INT:
		return err_set(e, ERR_INVALID,
			       "invalid amount '%s': expected a digit before '.'",
			       q);
	case PARSE_NO_FRAC:
		return err_set(e, ERR_INVALID,
			       "invalid amount '%s': expected a digit after '.'",
			       q);
	case PARSE_DECIMALS:
		if (cur && scale == 0)
			return err_set(e, ERR_INVALID,
				       "invalid amount '%s' for %s: no decimals allowed",
				       q, cur->code);
		if (cur)
			return err_set(e, ERR_INVALID,
				       "invalid amount '%s' for %s: at most %d decimals",
				       q, cur->code, scale);
		return err_set(e, ERR_INVALID,
			       "invalid amount '%s': at most %d decimals", q,
			       scale);
	case PARSE_TOO_LARGE:
		money_format(INT64_MAX, fmt, lim);
		return err_set(e, ERR_RANGE,
			       "amount '%s' is too large (at most %s%s%s)", q,
			       lim, cur ? " " : "", cur ? cur->code : "");
	case PARSE_TOO_SMALL:
		money_format(INT64_MIN, fmt, lim);
		return err_set(e, ERR_RANGE,
			       "amount '%s' is too small (at least %s%s%s)", q,
			       lim, cur ? " " : "", cur ? cur->code : "");
	case PARSE_OK:
	case PARSE_SYNTAX:
	default:
		break;
	}
	return err_set(e, ERR_INVALID,
		       "invalid amount '%s': expected digits with an optional '.'",
		       q);
}

int money_parse(const char *text, const struct currency *cur,
		int64_t *ret_minor, struct err *e)
{
	enum parse_status st;
	int64_t v;

	if (!exponent_ok(cur))
		return err_set(e, ERR_INVALID, "amount without a valid currency");
	if (!text)
		return err_set(e, ERR_INVALID, "missing amount");
	st = parse_decimal(text, cur->exponent, &v);
	if (st != PARSE_OK)
		return parse_error(st, text, cur, cur->exponent, e);
	*ret_minor = v;
	return 0;
}

int money_parse_micros(const char *text, int64_t *ret_micros, struct err *e)
{
	enum parse_status st;
	int64_t v;

	if (!text)
		return err_set(e, ERR_INVALID, "missing amount");
	st = parse_decimal(text, MICROS_DECIMALS, &v);
	if (st != PARSE_OK)
		return parse_error(st, text, NULL, MICROS_DECIMALS, e);
	*ret_micros = v;
	return 0;
}

void money_format(int64_t minor, const struct currency *cur,
		  char out[MONEY_FMT_MAX])
{
	/* Written backwards from the end: at most 1 + 19 + 1 digits/signs
	 * plus NUL, well inside MONEY_FMT_MAX. */
	char tmp[MONEY_FMT_MAX];
	size_t i = sizeof(tmp);
	/* Magnitude in unsigned so that INT64_MIN needs no special case. */
	uint64_t mag = minor < 0 ? 0 - (uint64_t)minor : (uint64_t)minor;

	if (!exponent_ok(cur)) {
		memcpy(out, "?", 2);
		return;
	}
	tmp[--i] = '\0';
	for (int k = 0; k < cur->exponent; k++) {
		tmp[--i] = (char)('0' + mag % 10);
		mag /= 10;
	}
	if (cur->exponent > 0)
		tmp[--i] = '.';
	do {
		tmp[--i] = (char)('0' + mag % 10);
		mag /= 10;
	} while (mag);
	if (minor < 0)
		tmp[--i] = '-';
	memcpy(out, tmp + i, sizeof(tmp) - i);
}

int money_from_micros(int64_t micros, const struct currency *cur,
		      int64_t *ret_minor)
{
	if (!exponent_ok(cur))
		return -ERR_INVALID;
	return money_mul_div(micros, pow10_table[cur->exponent],
			     MONEY_MICROS_PER_UNIT, ret_minor);
}

int money_to_micros(int64_t minor, const struct currency *cur,
		    int64_t *ret_micros)
{
	int64_t v;

	if (!exponent_ok(cur))
		return -ERR_INVALID;
	if (__builtin_mul_overflow(minor,
				   pow10_table[MICROS_DECIMALS - cur->exponent],
				   &v))
		return -ERR_RANGE;
	*ret_micros = v;
	return 0;
}

int money_add(int64_t a, int64_t b, int64_t *ret)
{
	int64_t v;

	if (__builtin_add_overflow(a, b, &v))
		return -ERR_RANGE;
	*ret = v;
	return 0;
}

int money_sub(int64_t a, int64_t b, int64_t *ret)
{
	int64_t v;

	if (__builtin_sub_overflow(a, b, &v))
		return -ERR_RANGE;
	*ret = v;
	return 0;
}

int money_mul_div(int64_t a, int64_t num, int64_t den, int64_t *ret)
{
	/* |a * num| <= 2^126: the product cannot overflow 128 bits. */
	__int128 p = (__int128)a * num;
	__int128 q, r;

	if (den <= 0)
		return -ERR_INVALID;
	q = p / den; /* truncates toward zero */
	r = p % den; /* same sign as p */
	if (r < 0)
		r = -r;
	if (2 * r >= den) /* half or more: away from zero */
		q += p < 0 ? -1 : 1;
	if (q > INT64_MAX || q < INT64_MIN)
		return -ERR_RANGE;
	*ret = (int64_t)q;
	return 0;
}
