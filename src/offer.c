/*
 * offer: a later date or a plan for a case (see offer.h).
 */
#include "offer.h"

#include <stdio.h>
#include <string.h>

#include "money.h"
#include "notify.h"
#include "profile.h"

void offer_rules(const struct profile *pr, const struct currency *cur,
		 struct plan_rules *r)
{
	plan_rules_default(cur, r);
	r->max_postpone_days = pr->postpone_days;
	if (pr->plan_max_months >= 2)
		r->max_months = pr->plan_max_months;
	r->grace_days = pr->plan_grace_days;
	if (cur) {
		int64_t unit = 1;
		for (int i = 0; i < cur->exponent; i++)
			unit *= 10;
		r->min_instalment_minor = (int64_t)pr->plan_min_instalment *
					  unit;
	}
}

/* ",\"source\":\"portal\"" or ",\"source\":\"agent\",\"operator\":7" */
static void by_json(const struct offer_by *by, char *buf, size_t cap)
{
	if (by->operator_id)
		snprintf(buf, cap, ",\"source\":\"%s\",\"operator\":%lld",
			 by->source, (long long)by->operator_id);
	else
		snprintf(buf, cap, ",\"source\":\"%s\"", by->source);
}

int offer_later(struct store *s, const struct case_rec *kase,
		const struct customer_rec *customer, date_t until,
		int64_t amount_minor, date_t today, instant_t now,
		const struct offer_by *by, int *ret_found, struct err *e)
{
	char ds[DATE_FMT_MAX], who[96], detail[192];
	int r;

	date_format(until, ds);
	by_json(by, who, sizeof(who));
	snprintf(detail, sizeof(detail), "{\"until\":\"%s\"%s}", ds, who);
	r = store_case_hold(s, kase->tenant_id, kase->id, HOLD_POSTPONED,
			    until, ret_found, e);
	if (r == 0 && *ret_found)
		r = store_case_event(s, kase->tenant_id, kase->id, now,
				     "promise.made", detail, e);
	if (r == 0 && *ret_found)
		r = notify_confirm(s, kase, customer, "later",
				   "promise_confirmed", ds, amount_minor, today,
				   now, e);
	return r;
}

int offer_plan(struct store *s, const struct case_rec *kase,
	       const struct customer_rec *customer, int64_t total_minor,
	       int months, int day_of_month,
	       const struct plan_instalment *in, int n,
	       const struct plan_rules *rules, date_t today, instant_t now,
	       const struct offer_by *by, int64_t *ret_plan_id,
	       struct err *e)
{
	struct plan_instalment_rec recs[PLAN_MAX_INSTALMENTS];
	struct plan_status st;
	struct plan_rec pl;
	char who[96], detail[256], key[24];
	int64_t id = 0;
	int found = 0, r;

	if (n < 1 || n > PLAN_MAX_INSTALMENTS)
		return err_set(e, ERR_RANGE, "a plan of %d instalments", n);
	r = plan_evaluate(in, n, 0, today, rules, &st, e);
	if (r < 0)
		return r;
	memset(&pl, 0, sizeof(pl));
	pl.tenant_id = kase->tenant_id;
	pl.case_id = kase->id;
	pl.customer_id = kase->customer_id;
	memcpy(pl.currency, kase->currency, 4);
	pl.total_minor = total_minor;
	pl.months = months;
	pl.day_of_month = day_of_month;
	snprintf(pl.status, sizeof(pl.status), "active");
	snprintf(pl.source, sizeof(pl.source), "%s", by->source);
	pl.created_at = now;
	for (int i = 0; i < n; i++) {
		recs[i].n = i + 1;
		recs[i].due_on = in[i].due;
		recs[i].amount_minor = in[i].amount_minor;
	}
	pl.instalments = recs;
	pl.n_instalments = (size_t)n;
	r = store_plan_insert(s, &pl, &id, e);
	/* Held through the day before the first instalment could break it. */
	if (r == 0)
		r = store_case_hold(s, kase->tenant_id, kase->id, HOLD_PLAN,
				    st.breaks_on - 1, &found, e);
	by_json(by, who, sizeof(who));
	snprintf(detail, sizeof(detail),
		 "{\"plan\":%lld,\"months\":%d,\"day\":%d,"
		 "\"total_minor\":%lld%s}",
		 (long long)id, months, day_of_month, (long long)total_minor,
		 who);
	if (r == 0)
		r = store_case_event(s, kase->tenant_id, kase->id, now,
				     "plan.created", detail, e);
	snprintf(key, sizeof(key), "%lld", (long long)id);
	if (r == 0)
		r = notify_confirm(s, kase, customer, "plan", "plan_confirmed",
				   key, in[0].amount_minor, today, now, e);
	if (r == 0 && ret_plan_id)
		*ret_plan_id = id;
	return r;
}
