/*
 * plan_run: the daily pass over instalment plans (see plan_run.h).
 */
#include "plan_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "notify.h"
#include "offer.h"
#include "plan.h"
#include "profile.h"
#include "tz.h"

static int one_plan(struct store *s, const struct tenant_rec *t,
		    const struct profile *pr, struct tz_cache *zones,
		    int64_t case_id, instant_t now, struct plan_run_stats *st,
		    struct err *e)
{
	struct plan_rec p;
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct plan_rules rules;
	struct plan_status ps;
	struct customer_rec cu;
	struct case_rec k;
	const struct tz *zone = NULL;
	char *ext = NULL, key[64];
	size_t n;
	date_t today;
	int r;

	memset(&cu, 0, sizeof(cu));
	memset(&k, 0, sizeof(k));
	r = store_plan_active(s, t->id, case_id, &p, e);
	if (r == -ERR_NOTFOUND)
		return 0;
	if (r < 0)
		return r;
	st->plans++;
	r = store_case_get(s, t->id, case_id, &k, e);
	if (r == 0)
		r = store_customer_external_id(s, t->id, p.customer_id, &ext, e);
	if (r == 0)
		r = store_customer_get(s, t->id, ext, &cu, e);
	free(ext);
	if (r < 0)
		goto out;
	if (tz_cache_get(zones, *cu.timezone ? cu.timezone : t->timezone,
			 &zone, NULL) < 0 &&
	    tz_cache_get(zones, "UTC", &zone, e) < 0) {
		r = -ERR_NOTFOUND;
		goto out;
	}
	today = tz_local_date(zone, now);
	n = p.n_instalments < PLAN_MAX_INSTALMENTS ? p.n_instalments
						   : PLAN_MAX_INSTALMENTS;
	for (size_t i = 0; i < n; i++) {
		in[i].due = p.instalments[i].due_on;
		in[i].amount_minor = p.instalments[i].amount_minor;
	}
	offer_rules(pr, currency_find(p.currency), &rules);
	r = plan_evaluate(in, (int)n, p.paid_minor, today, &rules, &ps, e);
	if (r < 0)
		goto out;
	if (ps.state == PLAN_COMPLETED || ps.state == PLAN_BROKEN) {
		snprintf(p.status, sizeof(p.status), "%s",
			 ps.state == PLAN_COMPLETED ? "completed" : "broken");
		p.ended_at = now;
		r = store_plan_update(s, &p, e);
		if (ps.state == PLAN_COMPLETED)
			st->completed++;
		else
			st->broken++;
		goto out;
	}
	/* In good standing: remind of the next instalment from its
	 * reminder day until it is due (queued once per instalment). */
	if (today >= ps.remind_on && today <= ps.next_due &&
	    k.st.status == CASE_OPEN) {
		snprintf(key, sizeof(key), "%lld-%d", (long long)p.id,
			 ps.next + 1);
		r = notify_confirm(s, &k, &cu, "instalment", "instalment_due",
				   key, ps.next_left_minor, today, now, e);
		if (r == 0)
			st->reminded++;
	}
out:
	plan_rec_clear(&p);
	customer_rec_clear(&cu);
	free(k.strategy);
	return r;
}

int plan_run_tenant(struct store *s, const struct tenant_rec *t,
		    instant_t now, struct plan_run_stats *ret, struct err *e)
{
	struct plan_run_stats st;
	struct profile pr;
	struct tz_cache *zones = NULL;
	int64_t *cases = NULL;
	size_t n = 0;
	int r;

	memset(&st, 0, sizeof(st));
	memset(&pr, 0, sizeof(pr));
	r = store_begin(s, e);
	if (r < 0)
		return r;
	r = profile_load(s, t->id, t->name, &pr, e);
	if (r == 0)
		r = store_plan_cases(s, t->id, &cases, &n, e);
	if (r == 0)
		zones = tz_cache_new();
	for (size_t i = 0; r == 0 && i < n; i++)
		r = one_plan(s, t, &pr, zones, cases[i], now, &st, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0)
		store_rollback(s);
	else
		*ret = st;
	free(cases);
	tz_cache_free(zones);
	profile_clear(&pr);
	return r;
}
