/*
 * test_money: the ISO 4217 table, the strict amount parsers, formatting and
 * the overflow-checked, half-away-from-zero arithmetic of src/money.c.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "money.h"

/* Every code of ISO 4217 list one (2026-01-01) with a minor unit, and it. */
static const struct {
	const char *code;
	int exponent;
} iso_codes[] = {
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

static const struct currency *cur(const char *code)
{
	const struct currency *c = currency_find(code);
	CHECK(c != NULL);
	return c;
}

static void test_currency_find(void)
{
	static const char *const unknown[] = {
		"", "E", "EU", "EURO", "eur", "Eur", "EUr", " EUR", "EUR ",
		"XAU", /* gold: no minor unit */
		"XXX", /* no currency */
		"ANG", /* withdrawn 2025, replaced by XCG */
		"AAA", "ZZZ", "E1R",
	};

	for (size_t i = 0; i < sizeof(iso_codes) / sizeof(iso_codes[0]); i++) {
		const struct currency *c = currency_find(iso_codes[i].code);
		if (!c) {
			printf("  %s not found\n", iso_codes[i].code);
			check_failed_here++;
			continue;
		}
		CHECK_STR(c->code, iso_codes[i].code);
		CHECK_INT(c->exponent, iso_codes[i].exponent);
	}
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		if (currency_find(unknown[i])) {
			printf("  '%s' found, want NULL\n", unknown[i]);
			check_failed_here++;
		}
	}
	CHECK(currency_find(NULL) == NULL);
	/* Lookups return the table's own entry, not a copy. */
	CHECK(currency_find("EUR") == currency_find("EUR"));
}

/* One money_parse case: `err` NULL means success with `want`; otherwise the
 * return code and a substring the message must contain. */
struct parse_case {
	const char *code;
	const char *text;
	int64_t want;
	int rc;
	const char *err;
};

static const struct parse_case parse_cases[] = {
	/* valid */
	{ "EUR", "0", 0, 0, NULL },
	{ "EUR", "12", 1200, 0, NULL },
	{ "EUR", "12.3", 1230, 0, NULL },
	{ "EUR", "12.34", 1234, 0, NULL },
	{ "EUR", "1234.56", 123456, 0, NULL },
	{ "EUR", "-0.5", -50, 0, NULL },
	{ "EUR", "-12.34", -1234, 0, NULL },
	{ "EUR", "-0", 0, 0, NULL },
	{ "EUR", "-0.00", 0, 0, NULL },
	{ "EUR", "007.50", 750, 0, NULL },    /* leading zeros: accepted */
	{ "EUR", "0.01", 1, 0, NULL },
	{ "JPY", "100", 100, 0, NULL },
	{ "JPY", "-7", -7, 0, NULL },
	{ "KWD", "1.5", 1500, 0, NULL },
	{ "KWD", "1.234", 1234, 0, NULL },
	{ "KWD", "0.001", 1, 0, NULL },
	{ "CLF", "1.2345", 12345, 0, NULL },
	/* limits: exactly INT64_MAX and INT64_MIN minor units */
	{ "EUR", "92233720368547758.07", INT64_MAX, 0, NULL },
	{ "EUR", "-92233720368547758.08", INT64_MIN, 0, NULL },
	{ "JPY", "9223372036854775807", INT64_MAX, 0, NULL },
	{ "JPY", "-9223372036854775808", INT64_MIN, 0, NULL },
	{ "JPY", "0009223372036854775807", INT64_MAX, 0, NULL },
	/* shape */
	{ "EUR", "", 0, -ERR_INVALID, "invalid amount '': empty" },
	{ "EUR", "1,00", 0, -ERR_INVALID,
	  "invalid amount '1,00': expected digits with an optional '.'" },
	{ "EUR", "1.000,00", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "1 000", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", " 1", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "1 ", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "+1", 0, -ERR_INVALID, "invalid amount '+1'" },
	{ "EUR", "--1", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "-", 0, -ERR_INVALID, "invalid amount '-'" },
	{ "EUR", ".", 0, -ERR_INVALID, "invalid amount '.': expected digits" },
	{ "EUR", "1.", 0, -ERR_INVALID,
	  "invalid amount '1.': expected a digit after '.'" },
	{ "EUR", ".5", 0, -ERR_INVALID,
	  "invalid amount '.5': expected a digit before '.'" },
	{ "EUR", "-.5", 0, -ERR_INVALID, "expected a digit before '.'" },
	{ "EUR", "1.2.3", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "1e3", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "0x10", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "12.34EUR", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "\xe2\x82\xac" "5", 0, -ERR_INVALID, "invalid amount '???5'" },
	{ "EUR", "1\n", 0, -ERR_INVALID, "invalid amount '1?'" },
	/* decimals */
	{ "EUR", "12.345", 0, -ERR_INVALID,
	  "invalid amount '12.345' for EUR: at most 2 decimals" },
	{ "EUR", "12.340", 0, -ERR_INVALID, "at most 2 decimals" },
	{ "JPY", "100.0", 0, -ERR_INVALID,
	  "invalid amount '100.0' for JPY: no decimals allowed" },
	{ "JPY", "1.5", 0, -ERR_INVALID, "for JPY: no decimals allowed" },
	{ "KWD", "1.2345", 0, -ERR_INVALID, "for KWD: at most 3 decimals" },
	/* shape is judged before decimals, decimals before range */
	{ "EUR", "1.234x", 0, -ERR_INVALID, "expected digits" },
	{ "EUR", "99999999999999999999.999", 0, -ERR_INVALID,
	  "at most 2 decimals" },
	{ "EUR", "99999999999999999999x", 0, -ERR_INVALID, "expected digits" },
	/* range */
	{ "EUR", "99999999999999999999", 0, -ERR_RANGE,
	  "amount '99999999999999999999' is too large" },
	{ "EUR", "92233720368547758.08", 0, -ERR_RANGE,
	  "is too large (at most 92233720368547758.07 EUR)" },
	{ "EUR", "92233720368547759", 0, -ERR_RANGE, "too large" },
	{ "EUR", "-92233720368547758.09", 0, -ERR_RANGE,
	  "is too small (at least -92233720368547758.08 EUR)" },
	{ "JPY", "9223372036854775808", 0, -ERR_RANGE, "too large" },
	{ "JPY", "-9223372036854775809", 0, -ERR_RANGE, "too small" },
	{ "JPY", "18446744073709551616", 0, -ERR_RANGE, "too large" },
};

static void test_parse_table(void)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]);
	     i++) {
		const struct parse_case *c = &parse_cases[i];
		struct err e = { "" };
		int64_t got = 424242;
		int rc = money_parse(c->text, cur(c->code), &got, &e);

		if (rc != c->rc) {
			printf("  case %zu '%s' %s: rc %d, want %d (%s)\n", i,
			       c->text, c->code, rc, c->rc, e.msg);
			check_failed_here++;
			continue;
		}
		if (!c->err && got != c->want) {
			printf("  case %zu '%s' %s: %lld, want %lld\n", i,
			       c->text, c->code, (long long)got,
			       (long long)c->want);
			check_failed_here++;
		}
		if (c->err && got != 424242) {
			printf("  case %zu '%s': output written on failure\n",
			       i, c->text);
			check_failed_here++;
		}
		if (c->err && !strstr(e.msg, c->err)) {
			printf("  case %zu '%s': message \"%s\" lacks \"%s\"\n",
			       i, c->text, e.msg, c->err);
			check_failed_here++;
		}
	}
}

static void test_parse_misc(void)
{
	struct err e = { "" };
	int64_t v = 7;
	char longer[200];

	CHECK_INT(money_parse(NULL, cur("EUR"), &v, &e), -ERR_INVALID);
	CHECK_INT(money_parse("1", NULL, &v, &e), -ERR_INVALID);
	CHECK_INT(v, 7);
	/* A NULL struct err is allowed. */
	CHECK_INT(money_parse("x", cur("EUR"), &v, NULL), -ERR_INVALID);
	/* A long bad value is quoted, bounded, with "..." */
	memset(longer, '9', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CHECK_INT(money_parse(longer, cur("EUR"), &v, &e), -ERR_RANGE);
	CHECK(strstr(e.msg, "...' is too large") != NULL);
	CHECK(strlen(e.msg) < 160);
}

static void test_parse_micros(void)
{
	static const struct {
		const char *text;
		int64_t want;
		int rc;
		const char *err;
	} cases[] = {
		{ "5", 5000000, 0, NULL },
		{ "5.00", 5000000, 0, NULL },
		{ "0.125", 125000, 0, NULL },
		{ "0.000001", 1, 0, NULL },
		{ "-1.5", -1500000, 0, NULL },
		{ "9223372036854.775807", INT64_MAX, 0, NULL },
		{ "-9223372036854.775808", INT64_MIN, 0, NULL },
		{ "0.0000001", 0, -ERR_INVALID,
		  "invalid amount '0.0000001': at most 6 decimals" },
		{ "9223372036854.775808", 0, -ERR_RANGE,
		  "amount '9223372036854.775808' is too large (at most 9223372036854.775807)" },
		{ "-9223372036855", 0, -ERR_RANGE, "too small" },
		{ "5,00", 0, -ERR_INVALID, "expected digits with an optional '.'" },
		{ "", 0, -ERR_INVALID, "empty" },
		{ "1.", 0, -ERR_INVALID, "expected a digit after '.'" },
		{ ".5", 0, -ERR_INVALID, "expected a digit before '.'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e = { "" };
		int64_t got = 424242;
		int rc = money_parse_micros(cases[i].text, &got, &e);

		CHECK_INT(rc, cases[i].rc);
		if (!cases[i].err)
			CHECK_INT(got, cases[i].want);
		else if (!strstr(e.msg, cases[i].err) || got != 424242) {
			printf("  '%s': \"%s\" lacks \"%s\" or wrote output\n",
			       cases[i].text, e.msg, cases[i].err);
			check_failed_here++;
		}
	}
}

static void test_format(void)
{
	static const struct {
		const char *code;
		int64_t minor;
		const char *want;
	} cases[] = {
		{ "EUR", 0, "0.00" },
		{ "EUR", 1, "0.01" },
		{ "EUR", 50, "0.50" },
		{ "EUR", -50, "-0.50" },
		{ "EUR", -1, "-0.01" },
		{ "EUR", 123456, "1234.56" },
		{ "EUR", -123456, "-1234.56" },
		{ "EUR", INT64_MAX, "92233720368547758.07" },
		{ "EUR", INT64_MIN, "-92233720368547758.08" },
		{ "JPY", 100, "100" },
		{ "JPY", -100, "-100" },
		{ "JPY", 0, "0" },
		{ "JPY", INT64_MIN, "-9223372036854775808" },
		{ "KWD", 1500, "1.500" },
		{ "KWD", 1, "0.001" },
		{ "CLF", 12345, "1.2345" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct currency *c = cur(cases[i].code);
		char out[MONEY_FMT_MAX];
		int64_t back = 0;

		money_format(cases[i].minor, c, out);
		CHECK_STR(out, cases[i].want);
		/* Round trip: what we format, we parse to the same value. */
		CHECK_INT(money_parse(out, c, &back, NULL), 0);
		CHECK_INT(back, cases[i].minor);
	}
}

static void test_micros_conversion(void)
{
	const struct currency *eur = cur("EUR"), *jpy = cur("JPY");
	const struct currency *kwd = cur("KWD");
	int64_t v = 99;

	/* micros -> minor, half away from zero */
	CHECK_INT(money_from_micros(5000000, eur, &v), 0);
	CHECK_INT(v, 500);
	CHECK_INT(money_from_micros(1234999, eur, &v), 0);
	CHECK_INT(v, 123);
	CHECK_INT(money_from_micros(1235000, eur, &v), 0);
	CHECK_INT(v, 124);
	CHECK_INT(money_from_micros(-1235000, eur, &v), 0);
	CHECK_INT(v, -124);
	CHECK_INT(money_from_micros(-1234999, eur, &v), 0);
	CHECK_INT(v, -123);
	CHECK_INT(money_from_micros(500000, jpy, &v), 0);
	CHECK_INT(v, 1);
	CHECK_INT(money_from_micros(499999, jpy, &v), 0);
	CHECK_INT(v, 0);
	CHECK_INT(money_from_micros(-500000, jpy, &v), 0);
	CHECK_INT(v, -1);
	CHECK_INT(money_from_micros(1500000, kwd, &v), 0);
	CHECK_INT(v, 1500);
	CHECK_INT(money_from_micros(INT64_MAX, eur, &v), 0);
	CHECK_INT(v, 922337203685478);
	CHECK_INT(money_from_micros(INT64_MIN, eur, &v), 0);
	CHECK_INT(v, -922337203685478);

	/* minor -> micros, exact or -ERR_RANGE */
	CHECK_INT(money_to_micros(123, eur, &v), 0);
	CHECK_INT(v, 1230000);
	CHECK_INT(money_to_micros(-7, jpy, &v), 0);
	CHECK_INT(v, -7000000);
	CHECK_INT(money_to_micros(1500, kwd, &v), 0);
	CHECK_INT(v, 1500000);
	v = 99;
	CHECK_INT(money_to_micros(INT64_MAX, eur, &v), -ERR_RANGE);
	CHECK_INT(money_to_micros(INT64_MIN / 10000 - 1, eur, &v), -ERR_RANGE);
	CHECK_INT(v, 99);
	CHECK_INT(money_to_micros(INT64_MAX / 10000, eur, &v), 0);
	CHECK_INT(v, INT64_MAX / 10000 * 10000);
}

static void test_add_sub(void)
{
	int64_t v = 5;

	CHECK_INT(money_add(INT64_MAX - 1, 1, &v), 0);
	CHECK_INT(v, INT64_MAX);
	v = 5;
	CHECK_INT(money_add(INT64_MAX, 1, &v), -ERR_RANGE);
	CHECK_INT(money_add(INT64_MIN, -1, &v), -ERR_RANGE);
	CHECK_INT(v, 5);
	CHECK_INT(money_add(INT64_MIN, INT64_MAX, &v), 0);
	CHECK_INT(v, -1);
	v = 5;
	CHECK_INT(money_sub(INT64_MIN, 1, &v), -ERR_RANGE);
	CHECK_INT(money_sub(0, INT64_MIN, &v), -ERR_RANGE);
	CHECK_INT(money_sub(INT64_MAX, -1, &v), -ERR_RANGE);
	CHECK_INT(v, 5);
	CHECK_INT(money_sub(-1, INT64_MAX, &v), 0);
	CHECK_INT(v, INT64_MIN);
	CHECK_INT(money_sub(100, 250, &v), 0);
	CHECK_INT(v, -150);
}

static void test_mul_div(void)
{
	static const struct {
		int64_t a, num, den, want;
	} cases[] = {
		{ 10, 1, 4, 3 },     /* 2.5 -> 3 */
		{ -10, 1, 4, -3 },   /* -2.5 -> -3 */
		{ 10, -1, 4, -3 },   /* sign from num */
		{ 9, 1, 4, 2 },      /* 2.25 -> 2 */
		{ -9, 1, 4, -2 },    /* -2.25 -> -2 */
		{ 11, 1, 4, 3 },     /* 2.75 -> 3 */
		{ -11, 1, 4, -3 },
		{ 1, 1, 2, 1 },      /* 0.5 -> 1 */
		{ -1, 1, 2, -1 },    /* -0.5 -> -1 */
		{ 1, 1, 3, 0 },      /* 0.33 -> 0 */
		{ 2, 1, 3, 1 },      /* 0.67 -> 1 */
		{ -2, 1, 3, -1 },
		{ 0, 5, 7, 0 },
		{ 100000, 210000, 1000000, 21000 }, /* 21% of 1,000.00 */
		{ 15000, 210000, 1000000, 3150 },   /* 21% of 150.00 */
		{ 12345, 50000, 1000000, 617 },     /* 5% of 123.45 = 6.1725 */
		{ 12350, 50000, 1000000, 618 },     /* 6.175 -> 6.18 */
		{ -12350, 50000, 1000000, -618 },
		/* 128-bit intermediate: the product overflows int64 */
		{ INT64_MAX, INT64_MAX, INT64_MAX, INT64_MAX },
		{ INT64_MIN, INT64_MAX, INT64_MAX, INT64_MIN },
		{ INT64_MAX, 1000000, 1000000, INT64_MAX },
		{ INT64_MAX, 3, 4, 6917529027641081855 }, /* x.25 -> down */
		{ INT64_MIN, 1, 2, -4611686018427387904 },
		{ INT64_MIN, -1, 2, 4611686018427387904 },
		{ INT64_MAX, 1, 2, 4611686018427387904 }, /* x.5 -> up */
		{ -INT64_MAX, 1, 2, -4611686018427387904 },
	};
	int64_t v;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 424242;
		CHECK_INT(money_mul_div(cases[i].a, cases[i].num, cases[i].den,
					&v), 0);
		if (v != cases[i].want) {
			printf("  %lld * %lld / %lld = %lld, want %lld\n",
			       (long long)cases[i].a, (long long)cases[i].num,
			       (long long)cases[i].den, (long long)v,
			       (long long)cases[i].want);
			check_failed_here++;
		}
	}

	/* Results beyond int64: -ERR_RANGE, output untouched. */
	v = 7;
	CHECK_INT(money_mul_div(INT64_MAX, 2, 1, &v), -ERR_RANGE);
	CHECK_INT(money_mul_div(INT64_MIN, -1, 1, &v), -ERR_RANGE);
	CHECK_INT(money_mul_div(INT64_MIN, INT64_MIN, 1, &v), -ERR_RANGE);
	CHECK_INT(money_mul_div(INT64_MAX, 3, 2, &v), -ERR_RANGE);
	CHECK_INT(v, 7);
	/* The rounding step itself may cross the limit. */
	CHECK_INT(money_mul_div(INT64_MAX, 2, 2, &v), 0);
	CHECK_INT(v, INT64_MAX);
	/* den must be positive */
	CHECK(money_mul_div(1, 1, 0, &v) < 0);
	CHECK(money_mul_div(1, 1, -1, &v) < 0);
	CHECK_INT(v, INT64_MAX);
}

int main(void)
{
	RUN(test_currency_find);
	RUN(test_parse_table);
	RUN(test_parse_misc);
	RUN(test_parse_micros);
	RUN(test_format);
	RUN(test_micros_conversion);
	RUN(test_add_sub);
	RUN(test_mul_div);
	return CHECK_DONE();
}
