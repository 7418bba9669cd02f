/*
 * test_fee: fixed, percentage, WIK and statutory-interest fees of src/fee.c,
 * checked against the published WIK figures and against interest worked out
 * by hand (each expected figure has its arithmetic next to it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "date.h"
#include "fee.h"
#include "money.h"

#define RATES(...) ((struct fee_rate[]){ __VA_ARGS__ })

static date_t D(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* Minor units of an amount written as text, e.g. A("EUR", "1000.00"). */
static int64_t A(const char *code, const char *text)
{
	int64_t v = 0;
	struct err e = { "" };

	if (money_parse(text, currency_find(code), &v, &e) < 0) {
		printf("  bad test amount: %s\n", e.msg);
		check_failed_here++;
	}
	return v;
}

/* Micros of a currency-free amount, e.g. M("5.00"). */
static int64_t M(const char *text)
{
	int64_t v = 0;
	struct err e = { "" };

	if (money_parse_micros(text, &v, &e) < 0) {
		printf("  bad test amount: %s\n", e.msg);
		check_failed_here++;
	}
	return v;
}

/* fee_compute with the dates that do not matter for non-interest fees. */
static int compute(const struct fee_spec *spec, const char *code,
		   int64_t principal, int64_t *ret, struct err *e)
{
	return fee_compute(spec, currency_find(code), principal,
			   D(2025, 1, 1), D(2025, 3, 1), ret, e);
}

static void test_wik_published(void)
{
	/* The WIK scale as published, principal -> costs (before VAT). */
	static const struct {
		const char *principal;
		const char *want;
	} cases[] = {
		{ "0.01", "40.00" },        /* minimum */
		{ "100.00", "40.00" },      /* minimum */
		{ "266.67", "40.00" },      /* 15% = 40.0005 */
		{ "1000.00", "150.00" },
		{ "2500.00", "375.00" },
		{ "3000.00", "425.00" },    /* 375 + 10% of 500 */
		{ "5000.00", "625.00" },
		{ "10000.00", "875.00" },   /* 625 + 5% of 5,000 */
		{ "200000.00", "2775.00" }, /* 875 + 1% of 190,000 */
		{ "1000000.00", "6775.00" },/* 2,775 + 0.5% of 800,000 */
		{ "2000000.00", "6775.00" },/* maximum */
		{ "92233720368547758.07", "6775.00" },
		/* rounding to the cent, half up, once */
		{ "266.70", "40.01" },      /* 40.005 -> 40.01 */
		{ "1000.09", "150.01" },    /* 150.0135 */
		{ "1000.10", "150.02" },    /* 150.015 -> 150.02 */
		{ "10000.49", "875.00" },   /* 875.0049 */
		{ "10000.50", "875.01" },   /* 875.005 -> 875.01 */
		{ "200000.10", "2775.00" }, /* 2775.0005 */
		{ "200001.00", "2775.01" }, /* 2775.005 -> 2775.01 */
		{ "999999.99", "6775.00" }, /* 6774.99995 -> 6775.00 */
	};
	const struct fee_spec wik = { .kind = FEE_WIK };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t p = A("EUR", cases[i].principal);
		int64_t want = A("EUR", cases[i].want), got = -1;
		struct err e = { "" };

		if (fee_wik_cents(p) != want) {
			printf("  WIK(%s) = %lld cents, want %s\n",
			       cases[i].principal, (long long)fee_wik_cents(p),
			       cases[i].want);
			check_failed_here++;
		}
		CHECK_INT(compute(&wik, "EUR", p, &got, &e), 0);
		CHECK_INT(got, want);
	}
	CHECK_INT(fee_wik_cents(0), 0);
	CHECK_INT(fee_wik_cents(-100000), 0);
}

static void test_wik_vat(void)
{
	struct fee_spec wik = { .kind = FEE_WIK, .vat_ppm = 210000 };
	struct err e = { "" };
	int64_t got = -1;

	CHECK_INT(compute(&wik, "EUR", A("EUR", "1000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "181.50"));   /* 150.00 + 31.50 */
	CHECK_INT(compute(&wik, "EUR", A("EUR", "100.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "48.40"));    /* 40.00 + 8.40 */
	CHECK_INT(compute(&wik, "EUR", A("EUR", "2500.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "453.75"));   /* 375.00 + 78.75 */
	CHECK_INT(compute(&wik, "EUR", A("EUR", "5000000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "8197.75"));  /* 6,775.00 + 1,422.75 */
	/* VAT rounds half away from zero: 150.02 x 21% = 31.5042 */
	CHECK_INT(compute(&wik, "EUR", A("EUR", "1000.10"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "181.52"));
	/* 9% VAT on 40.01: 3.6009 -> 3.60 */
	wik.vat_ppm = 90000;
	CHECK_INT(compute(&wik, "EUR", A("EUR", "266.70"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "43.61"));
	/* 0.5 cent of VAT rounds up: 40.00 x 0.0125% = 0.005 */
	wik.vat_ppm = 125;
	CHECK_INT(compute(&wik, "EUR", A("EUR", "100.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "40.01"));

	wik.vat_ppm = -1;
	got = 7;
	CHECK_INT(compute(&wik, "EUR", A("EUR", "100.00"), &got, &e),
		  -ERR_INVALID);
	CHECK(strstr(e.msg, "VAT") != NULL);
	CHECK_INT(got, 7);
}

static void test_wik_not_eur(void)
{
	const struct fee_spec wik = { .kind = FEE_WIK };
	struct err e = { "" };
	int64_t got = 7;

	CHECK_INT(compute(&wik, "USD", 100000, &got, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "WIK collection costs apply to EUR only, not USD");
	CHECK_INT(compute(&wik, "JPY", 100000, &got, NULL), -ERR_INVALID);
	CHECK_INT(got, 7);
}

static void test_percent(void)
{
	struct fee_spec pct = { .kind = FEE_PERCENT, .rate_ppm = 25000 };
	struct err e = { "" };
	int64_t got = -1;

	/* 2.5% of 1,000.00, no clamps */
	CHECK_INT(compute(&pct, "EUR", A("EUR", "1000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "25.00"));
	/* 2.5% of 123.45 = 3.08625 -> 3.09; of 123.40 = 3.085 -> 3.09 */
	CHECK_INT(compute(&pct, "EUR", A("EUR", "123.45"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "3.09"));
	CHECK_INT(compute(&pct, "EUR", A("EUR", "123.40"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "3.09"));
	CHECK_INT(compute(&pct, "EUR", A("EUR", "123.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "3.08")); /* 3.075 -> 3.08 */

	/* floor */
	pct.min_micros = M("40");
	CHECK_INT(compute(&pct, "EUR", A("EUR", "1000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "40.00"));
	CHECK_INT(compute(&pct, "EUR", A("EUR", "2000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "50.00"));
	/* cap */
	pct.max_micros = M("75.5");
	CHECK_INT(compute(&pct, "EUR", A("EUR", "10000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "75.50"));
	CHECK_INT(compute(&pct, "EUR", A("EUR", "3020.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "75.50"));
	CHECK_INT(compute(&pct, "EUR", A("EUR", "3000.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "75.00"));
	/* crossed clamps: the cap wins */
	pct.min_micros = M("100");
	CHECK_INT(compute(&pct, "EUR", A("EUR", "1.00"), &got, &e), 0);
	CHECK_INT(got, A("EUR", "75.50"));

	/* JPY: 2.5% of 1,234 = 30.85 -> 31; floor 500 */
	pct.min_micros = 0;
	pct.max_micros = 0;
	CHECK_INT(compute(&pct, "JPY", 1234, &got, &e), 0);
	CHECK_INT(got, 31);
	pct.min_micros = M("500");
	CHECK_INT(compute(&pct, "JPY", 1234, &got, &e), 0);
	CHECK_INT(got, 500);
	/* KWD: 2.5% of 10.001 = 0.250025 -> 0.250; cap 0.1255 -> 0.126 */
	pct.min_micros = 0;
	CHECK_INT(compute(&pct, "KWD", 10001, &got, &e), 0);
	CHECK_INT(got, 250);
	pct.max_micros = M("0.1255");
	CHECK_INT(compute(&pct, "KWD", 10001, &got, &e), 0);
	CHECK_INT(got, 126);

	/* a huge principal overflows: reported, not wrapped */
	pct.max_micros = 0;
	pct.rate_ppm = 2000000; /* 200% */
	got = 7;
	CHECK_INT(compute(&pct, "EUR", INT64_MAX, &got, &e), -ERR_RANGE);
	CHECK_INT(got, 7);

	pct.rate_ppm = -1;
	CHECK_INT(compute(&pct, "EUR", 100, &got, &e), -ERR_INVALID);
	pct.rate_ppm = 25000;
	pct.min_micros = -1;
	CHECK_INT(compute(&pct, "EUR", 100, &got, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "minimum") != NULL);
	CHECK_INT(got, 7);
}

static void test_fixed(void)
{
	struct fee_spec fixed = { .kind = FEE_FIXED, .amount_micros = M("500") };
	struct err e = { "" };
	int64_t got = -1;

	CHECK_INT(compute(&fixed, "JPY", 100, &got, &e), 0);
	CHECK_INT(got, 500);
	fixed.amount_micros = M("1.5");
	CHECK_INT(compute(&fixed, "KWD", 100, &got, &e), 0);
	CHECK_INT(got, 1500);
	fixed.amount_micros = M("5.00");
	CHECK_INT(compute(&fixed, "EUR", 100, &got, &e), 0);
	CHECK_INT(got, 500);
	/* a spec with more decimals than the currency rounds half away */
	fixed.amount_micros = M("0.125");
	CHECK_INT(compute(&fixed, "EUR", 100, &got, &e), 0);
	CHECK_INT(got, 13);
	fixed.amount_micros = M("12.5");
	CHECK_INT(compute(&fixed, "JPY", 100, &got, &e), 0);
	CHECK_INT(got, 13);
	fixed.amount_micros = M("0.0005");
	CHECK_INT(compute(&fixed, "KWD", 100, &got, &e), 0);
	CHECK_INT(got, 1);

	fixed.amount_micros = -1;
	got = 7;
	CHECK_INT(compute(&fixed, "EUR", 100, &got, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "fee amount must not be negative");
	CHECK_INT(got, 7);
}

static void test_nothing_open(void)
{
	const struct fee_spec specs[] = {
		{ .kind = FEE_NONE },
		{ .kind = FEE_FIXED, .amount_micros = 5000000 },
		{ .kind = FEE_PERCENT, .rate_ppm = 25000, .min_micros = 1 },
		{ .kind = FEE_WIK },
		{ .kind = FEE_INTEREST, .rates = RATES({ 0, 80000 }),
		  .n_rates = 1 },
	};
	struct err e = { "" };

	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		int64_t got = 7;
		CHECK_INT(compute(&specs[i], "EUR", 0, &got, &e), 0);
		CHECK_INT(got, 0);
		got = 7;
		CHECK_INT(compute(&specs[i], "EUR", -5000, &got, &e), 0);
		CHECK_INT(got, 0);
	}
	/* FEE_NONE charges nothing even with something open. */
	{
		int64_t got = 7;
		CHECK_INT(compute(&specs[0], "EUR", 100000, &got, &e), 0);
		CHECK_INT(got, 0);
	}
}

/* Interest through fee_compute: `due` exclusive, `on` inclusive. */
static int64_t interest(const struct fee_rate *rates, size_t n,
			int compound, const char *code, const char *principal,
			date_t due, date_t on)
{
	struct fee_spec spec = {
		.kind = FEE_INTEREST,
		.rates = (struct fee_rate *)rates,
		.n_rates = n,
		.compound_yearly = compound,
	};
	struct err e = { "" };
	int64_t got = -1, direct = -2;

	if (fee_compute(&spec, currency_find(code), A(code, principal), due,
			on, &got, &e) < 0) {
		printf("  interest failed: %s\n", e.msg);
		check_failed_here++;
	}
	/* fee_interest agrees with fee_compute. */
	CHECK_INT(fee_interest(rates, n, compound, A(code, principal), due, on,
			       &direct), 0);
	CHECK_INT(direct, got);
	return got;
}

static void test_interest_simple(void)
{
	const struct fee_rate r8[] = { { D(2000, 1, 1), 80000 } };

	/* 1,000.00 at 8% for 365 days (2023 is not a leap year) */
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2023, 1, 1),
			   D(2024, 1, 1)), A("EUR", "80.00"));
	CHECK_INT(interest(r8, 1, 1, "EUR", "1000.00", D(2023, 1, 1),
			   D(2024, 1, 1)), A("EUR", "80.00"));
	/* 30 days: 1000 x 8% x 30/365 = 6.5753 -> 6.58 */
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2023, 1, 1),
			   D(2023, 1, 31)), A("EUR", "6.58"));
	/* one day: 0.2192 -> 0.22 */
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2023, 1, 1),
			   D(2023, 1, 2)), A("EUR", "0.22"));
	/* a leap year counts 366 days over 365: 80.2192 -> 80.22 */
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2024, 1, 1),
			   D(2025, 1, 1)), A("EUR", "80.22"));
	/* nothing for no days, or a step before the due date */
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2023, 1, 1),
			   D(2023, 1, 1)), 0);
	CHECK_INT(interest(r8, 1, 1, "EUR", "1000.00", D(2023, 1, 1),
			   D(2022, 6, 1)), 0);
	/* JPY and KWD round to their own minor units:
	 * 100,000 JPY x 8% x 30/365 = 657.53 -> 658
	 * 1,000.000 KWD x 8% x 30/365 = 6.57534 -> 6.575 */
	CHECK_INT(interest(r8, 1, 0, "JPY", "100000", D(2023, 1, 1),
			   D(2023, 1, 31)), 658);
	CHECK_INT(interest(r8, 1, 0, "KWD", "1000.000", D(2023, 1, 1),
			   D(2023, 1, 31)), A("KWD", "6.575"));
	/* 1 JPY for a year at 8% = 0.08 -> 0 */
	CHECK_INT(interest(r8, 1, 0, "JPY", "1", D(2023, 1, 1),
			   D(2024, 1, 1)), 0);
	/* A tie rounds up: 36.50 x 1% x 5/365 = 0.005 exactly -> 0.01;
	 * 36.49 gives 0.0049986 -> 0.00 */
	{
		const struct fee_rate r1[] = { { D(2000, 1, 1), 10000 } };
		CHECK_INT(interest(r1, 1, 0, "EUR", "36.50", D(2023, 1, 1),
				   D(2023, 1, 6)), 1);
		CHECK_INT(interest(r1, 1, 0, "EUR", "36.49", D(2023, 1, 1),
				   D(2023, 1, 6)), 0);
	}
}

static void test_interest_rate_change(void)
{
	const struct fee_rate r[] = {
		{ D(2000, 1, 1), 60000 },
		{ D(2023, 7, 1), 80000 },
	};

	/* 15 days (16-30 June) at 6% and 15 days (1-15 July) at 8%:
	 * 1000 x (0.06 x 15 + 0.08 x 15) / 365 = 5.7534 -> 5.75
	 * (all at 6% would be 4.93, all at 8% 6.58) */
	CHECK_INT(interest(r, 2, 0, "EUR", "1000.00", D(2023, 6, 15),
			   D(2023, 7, 15)), A("EUR", "5.75"));
	/* The new rate applies from its first day, which is counted... */
	CHECK_INT(interest(r, 2, 0, "EUR", "1000.00", D(2023, 6, 30),
			   D(2023, 7, 1)), A("EUR", "0.22"));
	/* ...and the due date itself is not: 30 June at 6% = 0.1644 */
	CHECK_INT(interest(r, 2, 0, "EUR", "1000.00", D(2023, 6, 29),
			   D(2023, 6, 30)), A("EUR", "0.16"));
	/* Entirely after the change. */
	CHECK_INT(interest(r, 2, 0, "EUR", "1000.00", D(2023, 7, 1),
			   D(2023, 7, 31)), A("EUR", "6.58"));
	/* Rows after the period do not matter. */
	{
		const struct fee_rate r3[] = {
			{ D(2000, 1, 1), 80000 },
			{ D(2030, 1, 1), 10000 },
		};
		CHECK_INT(interest(r3, 2, 0, "EUR", "1000.00",
				   D(2023, 1, 1), D(2023, 1, 31)),
			  A("EUR", "6.58"));
	}
}

static void test_interest_compound(void)
{
	const struct fee_rate r8[] = { { D(2000, 1, 1), 80000 } };
	/* The Dutch statutory rates of 2023-2024 (art. 6:119 BW). */
	const struct fee_rate nl[] = {
		{ D(2015, 7, 1), 20000 },
		{ D(2023, 1, 1), 40000 },
		{ D(2023, 7, 1), 60000 },
		{ D(2024, 1, 1), 70000 },
	};

	/* Two years at 8%: 80.00, then 8% of 1,080.00 = 86.40 */
	CHECK_INT(interest(r8, 1, 1, "EUR", "1000.00", D(2021, 1, 1),
			   D(2023, 1, 1)), A("EUR", "166.40"));
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2021, 1, 1),
			   D(2023, 1, 1)), A("EUR", "160.00"));
	/* A partial second year: 80.00, then 1080 x 8% x 182/365 = 43.0816
	 * -> 43.08; simple interest over 547 days is 119.89 */
	CHECK_INT(interest(r8, 1, 1, "EUR", "1000.00", D(2021, 1, 1),
			   D(2022, 7, 2)), A("EUR", "123.08"));
	CHECK_INT(interest(r8, 1, 0, "EUR", "1000.00", D(2021, 1, 1),
			   D(2022, 7, 2)), A("EUR", "119.89"));
	/* A year holding 29 February has 366 days: 80.2192 -> 80.22, then
	 * 8% of 1,080.22 = 86.4176 -> 86.42 */
	CHECK_INT(interest(r8, 1, 1, "EUR", "1000.00", D(2023, 3, 1),
			   D(2025, 3, 1)), A("EUR", "166.64"));
	/* From 29 February the anniversaries fall on 28 February:
	 * 80.00 + 86.40 + 1 day on 1,166.40 (0.2556 -> 0.26) */
	CHECK_INT(interest(r8, 1, 1, "EUR", "1000.00", D(2024, 2, 29),
			   D(2026, 3, 1)), A("EUR", "166.66"));
	/* Rates that change inside the compounding years:
	 * year 1 (2023-03-16 .. 2024-03-15): 107 days at 4%, 184 at 6%,
	 *   75 at 7%: 1000 x 20.57 / 365 = 56.3562 -> 56.36
	 * year 2 part (2024-03-16 .. 2024-09-15): 184 days at 7% on
	 *   1,056.36: 37.2763 -> 37.28 */
	CHECK_INT(interest(nl, 4, 1, "EUR", "1000.00", D(2023, 3, 15),
			   D(2024, 9, 15)), A("EUR", "93.64"));
	CHECK_INT(interest(nl, 4, 0, "EUR", "1000.00", D(2023, 3, 15),
			   D(2024, 9, 15)), A("EUR", "91.64"));
	/* JPY compounding rounds each year to the yen:
	 * 8,000 + 8% of 108,000 = 8,640 */
	CHECK_INT(interest(r8, 1, 1, "JPY", "100000", D(2021, 1, 1),
			   D(2023, 1, 1)), 16640);
}

static void test_interest_errors(void)
{
	const struct fee_rate late[] = { { D(2023, 1, 1), 80000 } };
	const struct fee_rate unsorted[] = {
		{ D(2023, 1, 1), 80000 },
		{ D(2022, 1, 1), 40000 },
	};
	const struct fee_rate negative[] = { { D(2023, 1, 1), -1 } };
	struct fee_spec spec = { .kind = FEE_INTEREST };
	const struct currency *eur = currency_find("EUR");
	struct err e = { "" };
	int64_t got = 7;

	/* no table */
	CHECK_INT(fee_compute(&spec, eur, 100000, D(2023, 1, 1),
			      D(2023, 2, 1), &got, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "rate table") != NULL);
	CHECK_INT(fee_interest(NULL, 0, 0, 100000, D(2023, 1, 1),
			       D(2023, 2, 1), &got), -ERR_INVALID);

	/* days before the table's first row */
	spec.rates = (struct fee_rate *)late;
	spec.n_rates = 1;
	CHECK_INT(fee_compute(&spec, eur, 100000, D(2022, 12, 1),
			      D(2023, 2, 1), &got, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "no interest rate in force on 2022-12-02 "
			 "(the table starts on 2023-01-01)");
	CHECK_INT(fee_interest(late, 1, 0, 100000, D(2022, 12, 1),
			       D(2023, 2, 1), &got), -ERR_RANGE);
	/* due the day before the first row: every counted day has a rate */
	CHECK_INT(fee_compute(&spec, eur, 100000, D(2022, 12, 31),
			      D(2023, 1, 30), &got, &e), 0);
	CHECK_INT(got, A("EUR", "6.58"));
	got = 7;

	/* rows out of order */
	spec.rates = (struct fee_rate *)unsorted;
	spec.n_rates = 2;
	CHECK_INT(fee_compute(&spec, eur, 100000, D(2023, 1, 1),
			      D(2023, 2, 1), &got, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "interest rate row 2 (from 2022-01-01) is not after "
			 "the row before it");

	/* a negative rate */
	spec.rates = (struct fee_rate *)negative;
	spec.n_rates = 1;
	CHECK_INT(fee_compute(&spec, eur, 100000, D(2023, 1, 1),
			      D(2023, 2, 1), &got, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "-1 ppm") != NULL);

	/* no due date */
	spec.rates = (struct fee_rate *)late;
	CHECK_INT(fee_compute(&spec, eur, 100000, DATE_NONE, D(2023, 2, 1),
			      &got, &e), -ERR_INVALID);
	CHECK_INT(got, 7);

	/* overflow: compounding a huge principal for decades */
	{
		const struct fee_rate high[] = { { D(1900, 1, 1), 500000 } };
		CHECK_INT(fee_interest(high, 1, 1, INT64_MAX / 4,
				       D(1900, 1, 1), D(2000, 1, 1), &got),
			  -ERR_RANGE);
		CHECK_INT(got, 7);
	}
}

static void test_spec_free(void)
{
	struct fee_spec spec = { .kind = FEE_INTEREST };

	spec.rates = calloc(2, sizeof(*spec.rates));
	spec.n_rates = 2;
	fee_spec_free(&spec);
	CHECK(spec.rates == NULL);
	CHECK_INT(spec.n_rates, 0);
	fee_spec_free(&spec); /* twice is fine */
	fee_spec_free(NULL);
}

int main(void)
{
	RUN(test_wik_published);
	RUN(test_wik_vat);
	RUN(test_wik_not_eur);
	RUN(test_percent);
	RUN(test_fixed);
	RUN(test_nothing_open);
	RUN(test_interest_simple);
	RUN(test_interest_rate_change);
	RUN(test_interest_compound);
	RUN(test_interest_errors);
	RUN(test_spec_free);
	return CHECK_DONE();
}
