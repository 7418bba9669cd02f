/*
 * offer: a later date or an instalment plan recorded for a case — the one
 * place the customer's own page (portal.c) and an agent acting on their
 * behalf (console.c) both go through, so both hold the case the same way,
 * log the same event (promise.made, plan.created; with the operator when
 * an agent did it) and send the customer the same confirmation.
 *
 * The caller has checked the choice against the tenant's rules (plan.h)
 * and holds the transaction.
 */
#ifndef DUNWELL_OFFER_H
#define DUNWELL_OFFER_H

#include <stdint.h>

#include "date.h"
#include "err.h"
#include "plan.h"
#include "store.h"

struct profile;
struct currency;

/* The tenant's rules for later dates and plans (its settings
 * postpone_days, plan_max_months, plan_min_instalment, plan_grace_days
 * over plan.h's defaults) for a case in `cur`. */
void offer_rules(const struct profile *pr, const struct currency *cur,
		 struct plan_rules *ret);

/* Who recorded it. */
struct offer_by {
	const char *source;   /* "portal" or "agent" */
	int64_t operator_id;  /* the agent; 0 for the customer */
};

/* Hold the open case until `until` (postponed), log promise.made and
 * queue the customer's confirmation. *ret_found = 0 (nothing done) when
 * the case is not open. */
int offer_later(struct store *s, const struct case_rec *kase,
		const struct customer_rec *customer, date_t until,
		int64_t amount_minor, date_t today, instant_t now,
		const struct offer_by *by, int *ret_found, struct err *e);

/* Record a plan of `n` instalments (from plan_schedule) over
 * `total_minor` with the customer's day of the month, hold the case
 * while it is in good standing, log plan.created and queue the
 * confirmation with the schedule. -ERR_CONFLICT when the case has an
 * active plan already. */
int offer_plan(struct store *s, const struct case_rec *kase,
	       const struct customer_rec *customer, int64_t total_minor,
	       int months, int day_of_month,
	       const struct plan_instalment *in, int n,
	       const struct plan_rules *rules, date_t today, instant_t now,
	       const struct offer_by *by, int64_t *ret_plan_id,
	       struct err *e);

#endif
