/*
 * retry: failed automatic payments (issue #7) — which declines may be
 * retried, and when.
 *
 * A tenant that collects by card or direct debit through a payment
 * provider reports a failed charge; dunwell decides whether to try again
 * and on which days: by default 8 tries within 14 days of the failure,
 * spread out (sooner first: most soft declines clear within days, when
 * the next salary or allowance arrives), each on a business day of the
 * customer's country (never on a weekend or public holiday, when card
 * limits reset late and direct debits are not processed). A hard decline
 * (stolen or lost card, closed account, a mandate the customer revoked,
 * fraud) is never retried: the customer is asked for another way to pay.
 * Pure: no store, no clock.
 */
#ifndef DUNWELL_RETRY_H
#define DUNWELL_RETRY_H

#include "cal.h"
#include "date.h"
#include "err.h"

#define RETRY_MAX_TRIES 16      /* tries a schedule may hold */
#define RETRY_DEFAULT_TRIES 8
#define RETRY_DEFAULT_DAYS 14

enum retry_decline {
	RETRY_SOFT = 0,  /* may succeed later (insufficient funds, ...) */
	RETRY_HARD,      /* never retry (stolen card, closed account, ...) */
};

/* Classify a provider's decline code: Stripe's decline_code values
 * ("insufficient_funds", "stolen_card", ...) and SEPA direct-debit
 * return reasons (ISO 20022: "AM04" insufficient funds, "AC04" closed
 * account, "MD01" no mandate, ...). Unknown codes are soft (one more try
 * costs little; a lost customer costs much) unless `unknown_hard`. */
enum retry_decline retry_classify(const char *code, int unknown_hard);

/* The days to try again after a failure on `failed_on`: at most `tries`
 * (1..RETRY_MAX_TRIES) days within `window_days` (1..60) after it, each a
 * business day of `cal` (NULL: Monday to Friday), ascending and distinct,
 * spread so that the gaps grow (day 1, 2, 4, 6, 8, 10, 12, 14 for the
 * defaults, each moved to the next business day, and dropped when that
 * passes the window). *ret_n may be less than `tries` when the window has
 * too few business days. -ERR_RANGE for arguments out of range. */
int retry_schedule(date_t failed_on, int tries, int window_days,
		   const struct cal *cal, date_t ret_days[RETRY_MAX_TRIES],
		   int *ret_n, struct err *e);

#endif
