/*
 * fee: fixed, percentage, Dutch WIK and statutory-interest fees, computed
 * exactly in minor units (see fee.h).
 *
 * Never floating point, never a rounding step that a published table does not
 * have: WIK rounds once to the cent, interest rounds once per compounding
 * period, everything else rounds once in money_mul_div. A fee is never
 * negative; a case with nothing open is charged nothing.
 */
#include "fee.h"

#include <stdlib.h>
#include <string.h>

#define PPM 1000000LL   /* parts per million in one */
#define DAYS_PER_YEAR 365 /* actual/365: every year counts as 365 days */
/* Highest annual rate accepted (1000%): keeps interest sums far inside
 * 128 bits (principal 2^63 x rate 2^30 x days 2^22 < 2^127). */
#define RATE_PPM_MAX (1000 * PPM)

/* WIK scale in euro cents: each band's width and its rate in per mille. */
static const struct {
	int64_t width_cents; /* 0 = the rest */
	int64_t per_mille;   /* share of the band charged */
} wik_bands[] = {
	{ 250000, 150 },  /* 15% of the first 2,500 */
	{ 250000, 100 },  /* 10% of the next 2,500 */
	{ 500000, 50 },   /* 5% of the next 5,000 */
	{ 19000000, 10 }, /* 1% of the next 190,000 */
	{ 0, 5 },         /* 0.5% of the rest */
};

#define WIK_MIN_CENTS 4000   /* EUR 40.00 */
#define WIK_MAX_CENTS 677500 /* EUR 6,775.00 */
/* The cap is reached at EUR 1,000,000; anything above it changes nothing,
 * and clamping keeps the products below well inside int64. */
#define WIK_PRINCIPAL_CLAMP 100000000LL

int64_t fee_wik_cents(int64_t principal_cents)
{
	int64_t rest, milli = 0, cents;

	if (principal_cents <= 0)
		return 0; /* nothing claimed, no collection costs */
	rest = principal_cents < WIK_PRINCIPAL_CLAMP ? principal_cents
						     : WIK_PRINCIPAL_CLAMP;
	for (size_t i = 0; i < sizeof(wik_bands) / sizeof(wik_bands[0]); i++) {
		int64_t w = wik_bands[i].width_cents;
		int64_t part = (w == 0 || rest < w) ? rest : w;
		milli += part * wik_bands[i].per_mille;
		rest -= part;
	}
	cents = (milli + 500) / 1000; /* half up to the cent, exactly once */
	if (cents < WIK_MIN_CENTS)
		cents = WIK_MIN_CENTS;
	if (cents > WIK_MAX_CENTS)
		cents = WIK_MAX_CENTS;
	return cents;
}

/* Index of the rate row in force on day `d`, or -1 before the first row. */
static long rate_index(const struct fee_rate *rates, size_t n, date_t d)
{
	long i = -1;

	for (size_t k = 0; k < n && rates[k].from <= d; k++)
		i = (long)k;
	return i;
}

/* Check a rate table: rows ascending by date, rates within 0..1000%.
 * Returns 0 or -ERR_INVALID with the offending row in *ret_row. */
static int rates_check(const struct fee_rate *rates, size_t n,
		       size_t *ret_row)
{
	for (size_t k = 0; k < n; k++) {
		if (rates[k].rate_ppm < 0 || rates[k].rate_ppm > RATE_PPM_MAX ||
		    rates[k].from == DATE_NONE ||
		    (k > 0 && rates[k].from <= rates[k - 1].from)) {
			*ret_row = k;
			return -ERR_INVALID;
		}
	}
	return 0;
}

/* numerator / (365 * PPM), rounded half away from zero (numerator >= 0). */
static int interest_round(__int128 numerator, int64_t *ret)
{
	const __int128 den = (__int128)DAYS_PER_YEAR * PPM;
	__int128 q = numerator / den;

	if (2 * (numerator % den) >= den)
		q++;
	if (q > INT64_MAX)
		return -ERR_RANGE;
	*ret = (int64_t)q;
	return 0;
}

/*
 * Interest numerator (minor units x ppm x days) on `principal` for the days
 * after `start` through `end`, split wherever a new rate row starts.
 * -ERR_RANGE if a day has no rate in force.
 */
static int period_numerator(const struct fee_rate *rates, size_t n,
			    int64_t principal, date_t start, date_t end,
			    __int128 *ret)
{
	__int128 sum = 0;
	int64_t day = (int64_t)start + 1; /* first day counted */

	while (day <= end) {
		long i = rate_index(rates, n, (date_t)day);
		int64_t last = end;

		if (i < 0)
			return -ERR_RANGE;
		if ((size_t)i + 1 < n && (int64_t)rates[i + 1].from - 1 < last)
			last = (int64_t)rates[i + 1].from - 1;
		sum += (__int128)principal * rates[i].rate_ppm *
		       (last - day + 1);
		day = last + 1;
	}
	*ret = sum;
	return 0;
}

int fee_interest(const struct fee_rate *rates, size_t n_rates,
		 int compound_yearly, int64_t principal_minor, date_t from,
		 date_t to, int64_t *ret_minor)
{
	int64_t principal = principal_minor, total = 0;
	date_t start = from;
	size_t bad_row;
	int r;

	if (from < date_from_ymd(1, 1, 1) || to > date_from_ymd(9999, 12, 31))
		return -ERR_INVALID; /* also catches DATE_NONE */
	if (principal <= 0 || to <= from) {
		*ret_minor = 0;
		return 0;
	}
	if (!rates || n_rates == 0 || rates_check(rates, n_rates, &bad_row))
		return -ERR_INVALID;

	/* Year k runs from the (k-1)-th anniversary of `from` (exclusive) to
	 * the k-th (inclusive). Anniversaries are counted from `from` itself
	 * so that 29 February does not drift to the 28th for good. */
	for (int year = 1; start < to; year++) {
		date_t end = to;
		__int128 num;
		int64_t interest;

		if (compound_yearly) {
			date_t anniversary = date_add_months(from, 12 * year);
			if (anniversary < end)
				end = anniversary;
		}
		r = period_numerator(rates, n_rates, principal, start, end,
				     &num);
		if (r < 0)
			return r;
		r = interest_round(num, &interest);
		if (r < 0)
			return r;
		if (money_add(total, interest, &total) < 0)
			return -ERR_RANGE;
		/* Compounding: the year's interest bears interest from now on. */
		if (compound_yearly &&
		    money_add(principal, interest, &principal) < 0)
			return -ERR_RANGE;
		start = end;
	}
	*ret_minor = total;
	return 0;
}

/* A micros amount of a fee spec, checked and converted to minor units. */
static int spec_amount(int64_t micros, const char *what,
		       const struct currency *cur, int64_t *ret, struct err *e)
{
	if (micros < 0)
		return err_set(e, ERR_INVALID, "fee %s must not be negative",
			       what);
	if (money_from_micros(micros, cur, ret) < 0)
		return err_set(e, ERR_RANGE, "fee %s is out of range", what);
	return 0;
}

static int fee_percent(const struct fee_spec *spec, const struct currency *cur,
		       int64_t principal, int64_t *ret, struct err *e)
{
	int64_t fee, floor_minor = 0, cap_minor = 0;
	int r;

	if (spec->rate_ppm < 0)
		return err_set(e, ERR_INVALID,
			       "fee rate must not be negative");
	if (money_mul_div(principal, spec->rate_ppm, PPM, &fee) < 0)
		return err_set(e, ERR_RANGE, "percentage fee is out of range");
	r = spec_amount(spec->min_micros, "minimum", cur, &floor_minor, e);
	if (r < 0)
		return r;
	r = spec_amount(spec->max_micros, "maximum", cur, &cap_minor, e);
	if (r < 0)
		return r;
	/* Floor first, then cap: if both are set and cross, the cap wins. */
	if (spec->min_micros > 0 && fee < floor_minor)
		fee = floor_minor;
	if (spec->max_micros > 0 && fee > cap_minor)
		fee = cap_minor;
	*ret = fee;
	return 0;
}

static int fee_wik(const struct fee_spec *spec, const struct currency *cur,
		   int64_t principal, int64_t *ret, struct err *e)
{
	int64_t fee, vat = 0;

	if (strncmp(cur->code, "EUR", sizeof(cur->code)) != 0)
		return err_set(e, ERR_INVALID,
			       "WIK collection costs apply to EUR only, not %s",
			       cur->code);
	if (spec->vat_ppm < 0)
		return err_set(e, ERR_INVALID, "VAT rate must not be negative");
	fee = fee_wik_cents(principal);
	if (spec->vat_ppm > 0 &&
	    money_mul_div(fee, spec->vat_ppm, PPM, &vat) < 0)
		return err_set(e, ERR_RANGE, "VAT on the WIK fee is out of range");
	if (money_add(fee, vat, &fee) < 0)
		return err_set(e, ERR_RANGE, "VAT on the WIK fee is out of range");
	*ret = fee;
	return 0;
}

static int fee_statutory_interest(const struct fee_spec *spec,
				  int64_t principal, date_t due, date_t on,
				  int64_t *ret, struct err *e)
{
	char day[DATE_FMT_MAX], first[DATE_FMT_MAX];
	size_t bad_row;
	int r;

	if (!spec->rates || spec->n_rates == 0)
		return err_set(e, ERR_INVALID, "interest fee without a rate table");
	if (rates_check(spec->rates, spec->n_rates, &bad_row) < 0) {
		const struct fee_rate *row = &spec->rates[bad_row];
		date_format(row->from, day);
		if (row->rate_ppm < 0 || row->rate_ppm > RATE_PPM_MAX)
			return err_set(e, ERR_INVALID,
				       "interest rate from %s: %lld ppm is not within 0..%lld",
				       day, (long long)row->rate_ppm,
				       (long long)RATE_PPM_MAX);
		return err_set(e, ERR_INVALID,
			       "interest rate row %zu (from %s) is not after the row before it",
			       bad_row + 1, day);
	}
	if (due < date_from_ymd(1, 1, 1) || on > date_from_ymd(9999, 12, 31))
		return err_set(e, ERR_INVALID,
			       "interest fee needs a due date and a step date in years 1..9999");
	r = fee_interest(spec->rates, spec->n_rates, spec->compound_yearly,
			 principal, due, on, ret);
	if (r == -ERR_RANGE && (int64_t)due + 1 < spec->rates[0].from) {
		date_format(due + 1, day);
		date_format(spec->rates[0].from, first);
		return err_set(e, ERR_RANGE,
			       "no interest rate in force on %s (the table starts on %s)",
			       day, first);
	}
	if (r < 0)
		return err_set(e, -r, "interest is out of range");
	return 0;
}

int fee_compute(const struct fee_spec *spec, const struct currency *cur,
		int64_t principal_minor, date_t due, date_t on,
		int64_t *ret_fee_minor, struct err *e)
{
	int64_t fee = 0;
	int r = 0;

	if (!spec || !cur)
		return err_set(e, ERR_INVALID, "fee without a spec or currency");
	if (spec->kind == FEE_NONE || principal_minor <= 0) {
		*ret_fee_minor = 0;
		return 0;
	}
	switch (spec->kind) {
	case FEE_FIXED:
		r = spec_amount(spec->amount_micros, "amount", cur, &fee, e);
		break;
	case FEE_PERCENT:
		r = fee_percent(spec, cur, principal_minor, &fee, e);
		break;
	case FEE_WIK:
		r = fee_wik(spec, cur, principal_minor, &fee, e);
		break;
	case FEE_INTEREST:
		r = fee_statutory_interest(spec, principal_minor, due, on, &fee,
					   e);
		break;
	case FEE_NONE:
	default:
		return err_set(e, ERR_INVALID, "unknown fee kind %d",
			       (int)spec->kind);
	}
	if (r < 0)
		return r;
	*ret_fee_minor = fee;
	return 0;
}

void fee_spec_free(struct fee_spec *spec)
{
	if (!spec)
		return;
	free(spec->rates);
	spec->rates = NULL;
	spec->n_rates = 0;
}
