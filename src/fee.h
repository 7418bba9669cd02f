/*
 * fee: what a dunning step charges, computed exactly in minor units.
 *
 * Four kinds: a fixed amount, a percentage of the open principal (with an
 * optional floor and cap), the Dutch statutory collection costs (WIK, "Besluit
 * vergoeding voor buitengerechtelijke incassokosten"), and statutory interest
 * over a table of reference rates. Figures are checked against the published
 * tables in tests/unit/test_fee.c. A fee spec is currency-free (micros); the
 * case's currency turns it into minor units.
 */
#ifndef DUNWELL_FEE_H
#define DUNWELL_FEE_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "err.h"
#include "money.h"

enum fee_kind {
	FEE_NONE = 0,
	FEE_FIXED,    /* amount_micros */
	FEE_PERCENT,  /* rate_ppm of principal, clamped to [min, max] */
	FEE_WIK,      /* Dutch WIK scale, EUR only, plus optional VAT */
	FEE_INTEREST, /* statutory interest from the due date to the step date */
};

/* One row of a reference-rate table: the annual rate in force from `from`
 * until the next row's `from`. */
struct fee_rate {
	date_t from;      /* first day this rate applies */
	int64_t rate_ppm; /* annual rate in millionths: 8% = 80000 */
};

struct fee_spec {
	enum fee_kind kind;    /* FEE_NONE: the step charges nothing */
	int64_t amount_micros; /* FEE_FIXED: the amount */
	int64_t rate_ppm;      /* FEE_PERCENT: share of principal, 2.5% = 25000 */
	int64_t min_micros;    /* FEE_PERCENT: floor, 0 = none */
	int64_t max_micros;    /* FEE_PERCENT: cap, 0 = none */
	int64_t vat_ppm;       /* FEE_WIK: VAT added on top (21% = 210000), 0 = none */
	struct fee_rate *rates; /* FEE_INTEREST: ascending by `from`; owned */
	size_t n_rates;        /* FEE_INTEREST: rows in `rates` */
	int compound_yearly;   /* FEE_INTEREST: add interest to principal yearly (NL) */
};

/* The fee for a step taken on `on` for a case with `principal_minor` open in
 * `cur`, whose anchor invoice fell due on `due`. Result in minor units of
 * `cur`, never negative. WIK on a non-EUR currency is -ERR_INVALID. */
int fee_compute(const struct fee_spec *spec, const struct currency *cur,
		int64_t principal_minor, date_t due, date_t on,
		int64_t *ret_fee_minor, struct err *e);

/* The WIK amount in euro cents for a principal in euro cents, before VAT:
 * 15% of the first 2,500, 10% of the next 2,500, 5% of the next 5,000, 1% of
 * the next 190,000, 0.5% above; at least 40.00, at most 6,775.00. */
int64_t fee_wik_cents(int64_t principal_cents);

/* Interest on `principal_minor` for the days from `from` (exclusive) to `to`
 * (inclusive) over the rate table, actual/365, optionally compounded at each
 * full year after `from`. 0 when to <= from. */
int fee_interest(const struct fee_rate *rates, size_t n_rates,
		 int compound_yearly, int64_t principal_minor, date_t from,
		 date_t to, int64_t *ret_minor);

void fee_spec_free(struct fee_spec *spec); /* frees `rates`; spec itself not */

#endif
