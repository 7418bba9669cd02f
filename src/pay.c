/*
 * pay: payment allocation (see pay.h).
 */
#include "pay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "notify.h"
#include "plan.h"
#include "run.h"
#include "tz.h"

int pay_allocate(struct store *s, int64_t tenant_id, int64_t customer_id,
		 const char *currency, int64_t first_invoice, int64_t amount,
		 int64_t *ret_left, struct err *e)
{
	struct invoice_rec *list = NULL;
	size_t n = 0;
	int r = store_invoices_open(s, tenant_id, customer_id, currency, &list,
				    &n, e);
	if (r < 0)
		return r;
	/* Pass 0 takes the named invoice, pass 1 the rest, oldest first
	 * (store_invoices_open returns them by due date). */
	for (int pass = 0; pass < 2 && amount > 0; pass++) {
		for (size_t i = 0; i < n && amount > 0; i++) {
			struct invoice_rec *inv = &list[i];
			int64_t take;
			if ((pass == 0) != (inv->id == first_invoice))
				continue;
			if (inv->open_minor <= 0)
				continue;
			take = amount < inv->open_minor ? amount :
							  inv->open_minor;
			inv->open_minor -= take;
			amount -= take;
			r = store_invoice_set_open(s, tenant_id, inv->id,
						   inv->open_minor, e);
			if (r < 0)
				goto out;
		}
	}
	*ret_left = amount;
out:
	invoice_list_free(list, n);
	return r;
}

/* The customer's open case in `currency`; *ret_found = 0 when none. */
static int open_case(struct store *s, int64_t tenant_id, int64_t customer_id,
		     const char *currency, struct case_rec *ret,
		     int *ret_found, struct err *e)
{
	struct case_rec *list = NULL;
	size_t n = 0;
	int r = store_case_list(s, tenant_id, customer_id, &list, &n, e);

	*ret_found = 0;
	for (size_t i = 0; r == 0 && i < n; i++) {
		if (list[i].st.status != CASE_OPEN ||
		    strcmp(list[i].currency, currency) != 0)
			continue;
		*ret = list[i];
		list[i].strategy = NULL; /* moved to *ret */
		*ret_found = 1;
		break;
	}
	case_list_free(list, n);
	return r;
}

/* The customer's local date at `now`. */
static date_t local_today(const struct customer_rec *c,
			  const struct tenant_rec *t, instant_t now)
{
	struct tz *z = NULL;
	date_t d;
	const char *name = c && c->timezone && *c->timezone ? c->timezone
							    : t->timezone;
	if (!name || tz_load(name, &z, NULL) < 0)
		return instant_date(now);
	d = tz_local_date(z, now);
	tz_free(z);
	return d;
}

static int event(struct store *s, const struct case_rec *k, instant_t now,
		 const char *kind, const char *detail, struct err *e)
{
	struct event_rec ev = {
		.tenant_id = k->tenant_id,
		.case_id = k->id,
		.at = now,
		.kind = kind,
		.detail = detail,
	};
	return store_event_append(s, &ev, e);
}

/* Apply the payment to the case's active plan, if any: a completed plan
 * ends; one in good standing holds the case until its next instalment
 * would break it. */
static int plan_progress(struct store *s, const struct case_rec *k,
			 int64_t amount, date_t today, instant_t now,
			 struct err *e)
{
	struct plan_rec p;
	struct plan_instalment inst[PLAN_MAX_INSTALMENTS];
	struct plan_rules rules;
	struct plan_status st;
	char detail[160];
	int found = 0, r;

	r = store_plan_active(s, k->tenant_id, k->id, &p, e);
	if (r == -ERR_NOTFOUND)
		return 0;
	if (r < 0)
		return r;
	if (money_add(p.paid_minor, amount, &p.paid_minor) < 0)
		p.paid_minor = INT64_MAX;
	plan_rules_default(currency_find(p.currency), &rules);
	for (size_t i = 0; i < p.n_instalments && i < PLAN_MAX_INSTALMENTS;
	     i++) {
		inst[i].due = p.instalments[i].due_on;
		inst[i].amount_minor = p.instalments[i].amount_minor;
	}
	r = plan_evaluate(inst, (int)p.n_instalments, p.paid_minor, today,
			  &rules, &st, e);
	if (r == 0 && st.state == PLAN_COMPLETED) {
		snprintf(p.status, sizeof(p.status), "completed");
		p.ended_at = now;
		snprintf(detail, sizeof(detail), "{\"plan\":%lld}",
			 (long long)p.id);
		r = event(s, k, now, "plan.completed", detail, e);
		if (r == 0)
			r = store_case_hold(s, k->tenant_id, k->id, HOLD_NONE,
					    DATE_NONE, &found, e);
	} else if (r == 0 && st.state == PLAN_GOOD) {
		r = store_case_hold(s, k->tenant_id, k->id, HOLD_PLAN,
				    st.breaks_on - 1, &found, e);
	}
	if (r == 0)
		r = store_plan_update(s, &p, e);
	plan_rec_clear(&p);
	return r;
}

int pay_receive(struct store *s, const struct tenant_rec *t,
		const struct payment_rec *p, instant_t now,
		struct pay_result *ret, struct err *e)
{
	struct invoice_rec *before = NULL, *after = NULL;
	size_t n_before = 0, n_after = 0;
	struct case_rec k;
	struct customer_rec cu;
	char *ext = NULL, detail[512];
	int inserted = 0, have_case = 0, r;
	date_t today;

	memset(ret, 0, sizeof(*ret));
	memset(&k, 0, sizeof(k));
	memset(&cu, 0, sizeof(cu));
	r = store_payment_insert(s, p, &inserted, e);
	if (r < 0 || !inserted)
		return r;
	ret->recorded = 1;
	r = store_customer_external_id(s, t->id, p->customer_id, &ext, e);
	if (r == 0)
		r = store_customer_get(s, t->id, ext, &cu, e);
	free(ext);
	if (r < 0)
		return r;
	today = local_today(&cu, t, now);
	r = open_case(s, t->id, p->customer_id, p->currency, &k, &have_case,
		      e);
	if (r == 0)
		r = store_invoices_open(s, t->id, p->customer_id, p->currency,
					&before, &n_before, e);
	if (r == 0)
		r = pay_allocate(s, t->id, p->customer_id, p->currency,
				 p->invoice_id, p->amount_minor,
				 &ret->left_minor, e);
	if (r == 0)
		r = store_invoices_open(s, t->id, p->customer_id, p->currency,
					&after, &n_after, e);
	if (r < 0)
		goto out;
	ret->case_id = have_case ? k.id : 0;
	/* Invoices open before and not after (or at zero) are paid. */
	for (size_t i = 0; i < n_before; i++) {
		int still = 0;
		if (before[i].open_minor <= 0)
			continue;
		for (size_t j = 0; j < n_after; j++)
			if (after[j].id == before[i].id)
				still = after[j].open_minor > 0;
		if (still)
			continue;
		ret->invoices_paid++;
		if (!have_case)
			continue;
		snprintf(detail, sizeof(detail),
			 "{\"invoice\":%lld,\"amount_minor\":%lld,"
			 "\"currency\":\"%s\"}",
			 (long long)before[i].id,
			 (long long)before[i].amount_minor, p->currency);
		r = event(s, &k, now, "invoice.paid", detail, e);
		if (r < 0)
			goto out;
	}
	if (have_case) {
		snprintf(detail, sizeof(detail),
			 "{\"amount_minor\":%lld,"
			 "\"currency\":\"%s\",\"left_minor\":%lld}",
			 (long long)p->amount_minor,
			 p->currency, (long long)ret->left_minor);
		r = event(s, &k, now, "payment.received", detail, e);
		if (r == 0)
			r = plan_progress(s, &k, p->amount_minor, today, now, e);
	}
	if (r == 0)
		r = run_customer(s, t, p->customer_id, now, e);
	if (r == 0 && have_case) {
		struct case_rec after_case;
		r = store_case_get(s, t->id, k.id, &after_case, e);
		if (r == 0) {
			ret->case_resolved = after_case.st.status ==
					     CASE_RESOLVED;
			free(after_case.strategy);
		}
	}
	if (r == 0 && have_case && ret->case_resolved)
		r = notify_confirm(s, &k, &cu, "thank_you", "thank_you",
				   p->external_id, p->amount_minor, today, now,
				   e);
out:
	invoice_list_free(before, n_before);
	invoice_list_free(after, n_after);
	customer_rec_clear(&cu);
	free(k.strategy);
	return r;
}
