/*
 * money: amounts as int64 minor units of an ISO 4217 currency.
 *
 * There is no floating point anywhere in dunwell's money path. Decimal
 * strings are parsed exactly; arithmetic that could overflow is checked and
 * reported; rounding, where a ratio needs it, is half away from zero and
 * happens in exactly one place (money_mul_div).
 *
 * Amounts written in strategy files are not tied to one currency ("5.00"
 * means five units of whatever currency a case is in), so they are kept as
 * micro-units (1 unit = 1,000,000 micros) and converted with money_from_micros
 * once the currency is known.
 */
#ifndef DUNWELL_MONEY_H
#define DUNWELL_MONEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Longest formatted amount: sign, 19 digits, point, NUL, with room to spare. */
#define MONEY_FMT_MAX 32
#define MONEY_MICROS_PER_UNIT 1000000LL

struct currency {
	char code[4];  /* ISO 4217 alphabetic code, e.g. "EUR" */
	int exponent;  /* digits after the decimal point: EUR 2, JPY 0, KWD 3 */
};

/* Look up an ISO 4217 code (exactly three upper-case letters); NULL if it is
 * not a known currency. */
const struct currency *currency_find(const char *code);

/* Parse a decimal amount such as "1234.56", "-0.5", "12" into minor units of
 * `cur`. Strict: optional leading '-', digits, optional '.' followed by at
 * most cur->exponent digits; no spaces, no thousands separators, no '+'.
 * Returns -ERR_INVALID (message says why) or -ERR_RANGE on overflow. */
int money_parse(const char *text, const struct currency *cur,
		int64_t *ret_minor, struct err *e);

/* Format minor units as a plain decimal string ("1234.56", "-0.50", "100"
 * for JPY). `out` must hold MONEY_FMT_MAX bytes. */
void money_format(int64_t minor, const struct currency *cur,
		  char out[MONEY_FMT_MAX]);

/* Parse a currency-free decimal amount ("5", "5.00", "0.125") into micros.
 * At most 6 decimals. */
int money_parse_micros(const char *text, int64_t *ret_micros, struct err *e);

/* Micros to minor units of `cur`, rounded half away from zero. */
int money_from_micros(int64_t micros, const struct currency *cur,
		      int64_t *ret_minor);
/* Minor units of `cur` to micros (exact). -ERR_RANGE on overflow. */
int money_to_micros(int64_t minor, const struct currency *cur,
		    int64_t *ret_micros);

/* Overflow-checked arithmetic: 0, or -ERR_RANGE with *ret untouched. */
int money_add(int64_t a, int64_t b, int64_t *ret);
int money_sub(int64_t a, int64_t b, int64_t *ret);
/* a * num / den rounded half away from zero (den > 0); 128-bit intermediate. */
int money_mul_div(int64_t a, int64_t num, int64_t den, int64_t *ret);

#endif
