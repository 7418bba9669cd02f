/*
 * pay: payment allocation (see pay.h).
 */
#include "pay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "money.h"
#include "notify.h"
#include "offer.h"
#include "plan.h"
#include "profile.h"
#include "run.h"
#include "tz.h"

/*
 * The allocation rule, the one place it is written: `amount` goes first to
 * the invoice the payment names (`first_invoice`, 0 = none), then to the
 * other open invoices oldest due first (`list` is in that order: due date,
 * then id). Lowers their open amounts (marking them dirty), returns what
 * none took, and lists in paid[] (room for n) the indexes of the invoices
 * it settled in full, in the order it settled them.
 */
static int64_t allocate_rule(struct pay_invoice *list, size_t n,
			     int64_t first_invoice, int64_t amount,
			     size_t *paid, size_t *ret_n_paid)
{
	size_t n_paid = 0;

	/* Pass 0 takes the named invoice, pass 1 the rest, oldest first. */
	for (int pass = 0; pass < 2 && amount > 0; pass++) {
		for (size_t i = 0; i < n && amount > 0; i++) {
			struct pay_invoice *inv = &list[i];
			int64_t take;
			if ((pass == 0) != (inv->id == first_invoice))
				continue;
			if (inv->open_minor <= 0)
				continue;
			take = amount < inv->open_minor ? amount :
							  inv->open_minor;
			inv->open_minor -= take;
			inv->dirty = 1;
			amount -= take;
			if (inv->open_minor == 0)
				paid[n_paid++] = i;
		}
	}
	*ret_n_paid = n_paid;
	return amount;
}

/* The customer's open invoices in `currency` from the store (by due date
 * and id: store_invoices_open's order), appended to *list. */
static int read_invoices(struct store *s, int64_t tenant_id,
			 int64_t customer_id, const char *currency,
			 struct pay_invoice **list, size_t *n, size_t *cap,
			 struct err *e)
{
	struct invoice_rec *rows = NULL;
	size_t m = 0;
	int r = store_invoices_open(s, tenant_id, customer_id, currency, &rows,
				    &m, e);
	if (r < 0)
		return r;
	if (m)
		*list = xgrow(*list, cap, *n + m, sizeof(**list));
	for (size_t i = 0; i < m; i++) {
		struct pay_invoice *pi = &(*list)[(*n)++];
		pi->id = rows[i].id;
		pi->amount_minor = rows[i].amount_minor;
		pi->open_minor = rows[i].open_minor;
		pi->due_date = rows[i].due_date;
		pi->dirty = 0;
	}
	invoice_list_free(rows, m);
	return 0;
}

/* Write the open amounts allocate_rule changed. */
static int write_invoices(struct store *s, int64_t tenant_id,
			  struct pay_invoice *list, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		if (!list[i].dirty)
			continue;
		int r = store_invoice_set_open(s, tenant_id, list[i].id,
					       list[i].open_minor, e);
		if (r < 0)
			return r;
		list[i].dirty = 0;
	}
	return 0;
}

int pay_allocate(struct store *s, int64_t tenant_id, int64_t customer_id,
		 const char *currency, int64_t first_invoice, int64_t amount,
		 int64_t *ret_left, struct err *e)
{
	struct pay_invoice *list = NULL;
	size_t n = 0, cap = 0, n_paid = 0, *paid;
	int64_t left;
	int r = read_invoices(s, tenant_id, customer_id, currency, &list, &n,
			      &cap, e);

	if (r < 0)
		return r;
	paid = xmalloc((n ? n : 1) * sizeof(*paid));
	left = allocate_rule(list, n, first_invoice, amount, paid, &n_paid);
	r = write_invoices(s, tenant_id, list, n, e);
	if (r == 0)
		*ret_left = left;
	free(paid);
	free(list);
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

/* A customer and their local date at `now` (an unknown zone falls back to
 * the tenant's, then UTC), read when first needed. */
struct payer {
	int loaded;              /* cu and today are set */
	struct customer_rec cu;  /* the customer */
	date_t today;            /* their local date at `now` */
};

static int payer_load(struct store *s, const struct tenant_rec *t,
		      int64_t customer_id, struct tz_cache *zones,
		      instant_t now, struct payer *py, struct err *e)
{
	const struct tz *z = NULL;
	const char *name;
	char *ext = NULL;
	int r;

	if (py->loaded)
		return 0;
	r = store_customer_external_id(s, t->id, customer_id, &ext, e);
	if (r == 0)
		r = store_customer_get(s, t->id, ext, &py->cu, e);
	free(ext);
	if (r < 0)
		return r;
	py->loaded = 1;
	name = py->cu.timezone && *py->cu.timezone ? py->cu.timezone
						   : t->timezone;
	if (name && *name && tz_cache_get(zones, name, &z, NULL) == 0)
		py->today = tz_local_date(z, now);
	else
		py->today = instant_date(now);
	return 0;
}

static void payer_clear(struct payer *py)
{
	if (py->loaded)
		customer_rec_clear(&py->cu);
	memset(py, 0, sizeof(*py));
}

/* Apply the payment to the case's active plan, if any: a completed plan
 * ends; one in good standing holds the case until its next instalment
 * would break it. The customer's date is read only when there is a plan;
 * *ret_none is set when there is none. */
static int plan_progress(struct store *s, const struct tenant_rec *t,
			 const struct case_rec *k, int64_t amount,
			 struct tz_cache *zones, instant_t now,
			 struct payer *py, int *ret_none, struct err *e)
{
	struct plan_rec p;
	struct plan_instalment inst[PLAN_MAX_INSTALMENTS];
	struct plan_rules rules;
	struct plan_status st;
	char detail[160];
	int found = 0, r;

	r = store_plan_active(s, k->tenant_id, k->id, &p, e);
	if (r == -ERR_NOTFOUND) {
		*ret_none = 1;
		return 0;
	}
	if (r < 0)
		return r;
	r = payer_load(s, t, k->customer_id, zones, now, py, e);
	if (r < 0) {
		plan_rec_clear(&p);
		return r;
	}
	if (money_add(p.paid_minor, amount, &p.paid_minor) < 0)
		p.paid_minor = INT64_MAX;
	{
		/* The tenant's rules (its grace days), as the page and the
		 * daily pass over plans use them. */
		struct profile pr;
		memset(&pr, 0, sizeof(pr));
		r = profile_load(s, t->id, t->name, &pr, e);
		if (r < 0) {
			plan_rec_clear(&p);
			return r;
		}
		offer_rules(&pr, currency_find(p.currency), &rules);
		profile_clear(&pr);
	}
	for (size_t i = 0; i < p.n_instalments && i < PLAN_MAX_INSTALMENTS;
	     i++) {
		inst[i].due = p.instalments[i].due_on;
		inst[i].amount_minor = p.instalments[i].amount_minor;
	}
	r = plan_evaluate(inst, (int)p.n_instalments, p.paid_minor, py->today,
			  &rules, &st, e);
	if (r == 0 && st.state == PLAN_COMPLETED) {
		snprintf(p.status, sizeof(p.status), "completed");
		p.ended_at = now;
		snprintf(detail, sizeof(detail), "{\"plan\":%lld}",
			 (long long)p.id);
		r = store_case_event(s, k->tenant_id, k->id, now,
				     "plan.completed", detail, e);
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

/* The slot of (customer, currency): its entry, or the free slot where it
 * goes. The table is never full (it grows at half). */
static size_t open_hash(int64_t customer_id)
{
	return (size_t)((uint64_t)customer_id * 0x9E3779B97F4A7C15u);
}

static struct pay_batch_open *open_slot(struct pay_batch *b,
					int64_t customer_id,
					const char *currency)
{
	size_t mask = b->cap_open - 1;
	size_t i = open_hash(customer_id) & mask;
	for (;; i = (i + 1) & mask) {
		struct pay_batch_open *o = &b->open[i];
		if (o->customer_id == 0 ||
		    (o->customer_id == customer_id &&
		     memcmp(o->currency, currency, 3) == 0))
			return o;
	}
}

/* Make room for one more entry. */
static void open_reserve(struct pay_batch *b)
{
	struct pay_batch_open *old = b->open;
	size_t old_cap = b->cap_open;

	if (b->cap_open && (b->n_open + 1) * 2 <= b->cap_open)
		return;
	b->cap_open = old_cap ? old_cap * 2 : 64;
	b->open = xcalloc(b->cap_open, sizeof(*b->open));
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].customer_id == 0)
			continue;
		*open_slot(b, old[i].customer_id, old[i].currency) = old[i];
	}
	free(old);
}

/* The entry of (customer, currency); a new one (invalid) when the batch
 * had none, and then *ret_new is set. */
static struct pay_batch_open *open_entry(struct pay_batch *b,
					 int64_t customer_id,
					 const char *currency, int *ret_new)
{
	struct pay_batch_open *o;

	open_reserve(b);
	o = open_slot(b, customer_id, currency);
	*ret_new = o->customer_id == 0;
	if (*ret_new) {
		o->customer_id = customer_id;
		memcpy(o->currency, currency, 3);
		o->currency[3] = '\0';
		b->n_open++;
	}
	return o;
}

static int id_cmp(const void *va, const void *vb)
{
	int64_t x = *(const int64_t *)va, y = *(const int64_t *)vb;
	return x < y ? -1 : x > y;
}

/* The customer's open case and open invoices in `currency`, from the
 * batch when it knows them, else from the store; *ret_o is the batch's
 * entry. */
static int batch_open_case(struct store *s, struct pay_batch *b,
			   int64_t tenant_id, int64_t customer_id,
			   const char *currency, struct pay_batch_open **ret_o,
			   struct err *e)
{
	int fresh;
	struct pay_batch_open *o = open_entry(b, customer_id, currency,
					      &fresh);
	int r;

	if (o->valid) {
		*ret_o = o;
		return 0;
	}
	if (fresh && b->preloaded) {
		/* preloaded and not handed over: nothing open */
		o->valid = 1;
		*ret_o = o;
		return 0;
	}
	if (o->dirty) {
		/* forgotten before its amounts were written: write them
		 * now, so that the store's are current */
		r = write_invoices(s, tenant_id, o->inv, o->n_inv, e);
		if (r < 0)
			return r;
		o->dirty = 0;
		b->n_dirty--;
	}
	free(o->kase.strategy);
	memset(&o->kase, 0, sizeof(o->kase));
	o->found = 0;
	o->no_plan = 0;
	o->n_inv = 0;
	r = open_case(s, tenant_id, customer_id, currency, &o->kase,
		      &o->found, e);
	free(o->kase.strategy); /* not needed: events and plans use ids */
	o->kase.strategy = NULL;
	if (r == 0)
		r = read_invoices(s, tenant_id, customer_id, currency, &o->inv,
				  &o->n_inv, &o->cap_inv, e);
	if (r < 0)
		return r;
	o->valid = 1;
	*ret_o = o;
	return 0;
}

/* The tenant's payment order, read once per batch. */
static int load_policy(struct store *s, const struct tenant_rec *t,
		       struct pay_batch *b, struct err *e)
{
	struct profile pr;
	int r;

	memset(&pr, 0, sizeof(pr));
	r = profile_load(s, t->id, t->name, &pr, e);
	if (r < 0)
		return r;
	b->fees_first = pr.fees_first;
	b->policy_loaded = 1;
	profile_clear(&pr);
	return 0;
}

/*
 * Allocate payment p, in memory: to the open case's fees first when the
 * tenant says fees_first, then to the invoices (allocate_rule over the
 * batch's copy of them), then (invoices first) to the fees; what is left
 * is the customer's credit. o is the batch's entry of the customer and
 * currency; have_case says it has an open case (else there are no fees to
 * pay). A negative payment pays nothing: its whole amount is "left", and
 * it is not credit. Sets ret->fees_minor (for the caller to write, once
 * the payment is recorded) and ret->left_minor; the invoices settled in
 * full are listed in paid[] (room for o->n_inv), as indexes into o->inv.
 */
static void allocate_with_fees(struct pay_batch *b,
			       const struct payment_rec *p,
			       struct pay_batch_open *o, int have_case,
			       struct pay_result *ret, size_t *paid,
			       size_t *ret_n_paid)
{
	int64_t amount = p->amount_minor, fees = 0, more = 0, left;
	int64_t open = have_case ? case_fees_open(&o->kase) : 0;

	if (have_case && amount > 0 && b->fees_first)
		fees = amount < open ? amount : open;
	left = allocate_rule(o->inv, o->n_inv, p->invoice_id, amount - fees,
			     paid, ret_n_paid);
	if (*ret_n_paid || left != amount - fees) {
		if (!o->dirty)
			b->n_dirty++;
		o->dirty = 1;
	}
	if (have_case && left > 0 && !b->fees_first)
		more = left < open ? left : open;
	left -= more;
	ret->fees_minor = fees + more;
	ret->left_minor = left;
}

void pay_batch_init(struct pay_batch *b)
{
	memset(b, 0, sizeof(*b));
	b->zones = tz_cache_new();
}

void pay_batch_clear(struct pay_batch *b)
{
	for (size_t i = 0; i < b->n_cases; i++)
		free(b->cases[i].external_id);
	free(b->cases);
	free(b->customers);
	for (size_t i = 0; i < b->cap_open; i++) {
		free(b->open[i].kase.strategy);
		free(b->open[i].inv);
	}
	free(b->open);
	free(b->plan_cases);
	tz_cache_free(b->zones);
	memset(b, 0, sizeof(*b));
}

/* Run the engine for the customer at the finish. */
static void batch_add_customer(struct pay_batch *b, int64_t customer_id)
{
	b->customers = xgrow(b->customers, &b->cap_customers,
			     b->n_customers + 1, sizeof(*b->customers));
	b->customers[b->n_customers++] = customer_id;
}

void pay_batch_touch(struct pay_batch *b, int64_t customer_id)
{
	size_t mask = b->cap_open - 1, i;

	batch_add_customer(b, customer_id);
	if (!b->cap_open)
		return;
	/* Every currency of a customer is on the same probe chain (the
	 * hash is the customer's). */
	i = open_hash(customer_id) & mask;
	for (; b->open[i].customer_id; i = (i + 1) & mask)
		if (b->open[i].customer_id == customer_id)
			b->open[i].valid = 0;
}

int pay_batch_sync(struct store *s, struct pay_batch *b, struct err *e)
{
	for (size_t i = 0; b->n_dirty && i < b->cap_open; i++) {
		struct pay_batch_open *o = &b->open[i];
		if (!o->customer_id || !o->dirty)
			continue;
		int r = write_invoices(s, b->tenant_id, o->inv, o->n_inv, e);
		if (r < 0)
			return r;
		o->dirty = 0;
		b->n_dirty--;
	}
	return 0;
}

void pay_batch_preload_invoice(struct pay_batch *b, int64_t customer_id,
			       const char *currency,
			       const struct pay_invoice *inv)
{
	int fresh;
	struct pay_batch_open *o = open_entry(b, customer_id, currency,
					      &fresh);

	o->valid = 1;
	o->inv = xgrow(o->inv, &o->cap_inv, o->n_inv + 1, sizeof(*o->inv));
	o->inv[o->n_inv] = *inv;
	o->inv[o->n_inv++].dirty = 0;
}

void pay_batch_preload_case(struct pay_batch *b, const struct case_rec *k)
{
	int fresh;
	struct pay_batch_open *o = open_entry(b, k->customer_id, k->currency,
					      &fresh);

	o->valid = 1;
	free(o->kase.strategy);
	o->kase = *k;
	o->kase.strategy = NULL;
	o->found = 1;
}

/* By due date, then id: store_invoices_open's order. */
static int pay_invoice_cmp(const void *va, const void *vb)
{
	const struct pay_invoice *a = va, *b = vb;
	if (a->due_date != b->due_date)
		return a->due_date < b->due_date ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

int pay_batch_preload_done(struct store *s, const struct tenant_rec *t,
			   struct pay_batch *b, struct err *e)
{
	int r;

	for (size_t i = 0; i < b->cap_open; i++)
		if (b->open[i].customer_id && b->open[i].n_inv > 1)
			qsort(b->open[i].inv, b->open[i].n_inv,
			      sizeof(*b->open[i].inv), pay_invoice_cmp);
	free(b->plan_cases);
	b->plan_cases = NULL;
	b->n_plan_cases = 0;
	r = store_plan_cases(s, t->id, &b->plan_cases, &b->n_plan_cases, e);
	if (r < 0)
		return r;
	if (b->n_plan_cases > 1)
		qsort(b->plan_cases, b->n_plan_cases, sizeof(*b->plan_cases),
		      id_cmp);
	/* A preloaded case with no active plan has none for the batch. */
	for (size_t i = 0; i < b->cap_open; i++) {
		struct pay_batch_open *o = &b->open[i];
		if (o->customer_id && o->found &&
		    (b->n_plan_cases == 0 ||
		     !bsearch(&o->kase.id, b->plan_cases, b->n_plan_cases,
			      sizeof(*b->plan_cases), id_cmp)))
			o->no_plan = 1;
	}
	b->preloaded = 1;
	return 0;
}

int pay_receive_batch(struct store *s, const struct tenant_rec *t,
		      const struct payment_rec *p, instant_t now,
		      struct pay_batch *b, struct pay_result *ret,
		      struct err *e)
{
	size_t n_paid = 0, *paid = NULL;
	struct pay_invoice *saved = NULL; /* o->inv before allocating */
	struct pay_batch_open *o = NULL;
	struct case_rec k;
	struct payer py;
	char detail[512];
	int inserted = 0, have_case = 0, was_dirty = 0, r;

	memset(ret, 0, sizeof(*ret));
	memset(&k, 0, sizeof(k));
	memset(&py, 0, sizeof(py));
	b->tenant_id = t->id;
	r = batch_open_case(s, b, t->id, p->customer_id, p->currency, &o, e);
	if (r == 0 && o->found) {
		k = o->kase;
		have_case = 1;
	}
	if (r == 0 && !b->policy_loaded)
		r = load_policy(s, t, b, e);
	if (r < 0)
		goto out;
	/* Allocated in memory first, so that the payment is recorded with
	 * its credit in one statement; undone when its id was known. */
	paid = xmalloc((o->n_inv ? o->n_inv : 1) * sizeof(*paid));
	saved = xmalloc((o->n_inv ? o->n_inv : 1) * sizeof(*saved));
	if (o->n_inv)
		memcpy(saved, o->inv, o->n_inv * sizeof(*saved));
	was_dirty = o->dirty;
	allocate_with_fees(b, p, o, have_case, ret, paid, &n_paid);
	r = store_payment_insert_credit(s, p, ret->left_minor > 0 ?
						      ret->left_minor : 0,
					&inserted, e);
	if (r == 0 && !inserted) {
		if (o->n_inv)
			memcpy(o->inv, saved, o->n_inv * sizeof(*saved));
		if (o->dirty && !was_dirty)
			b->n_dirty--;
		o->dirty = was_dirty;
		memset(ret, 0, sizeof(*ret));
		goto out;
	}
	if (r == 0 && ret->fees_minor > 0) {
		r = store_case_fees_pay(s, o->kase.tenant_id, o->kase.id,
					ret->fees_minor, e);
		if (r == 0)
			o->kase.fees_paid_minor += ret->fees_minor;
	}
	if (r < 0)
		goto out;
	ret->recorded = 1;
	ret->case_id = have_case ? k.id : 0;
	ret->invoices_paid = (int)n_paid;
	for (size_t i = 0; have_case && i < n_paid; i++) {
		const struct pay_invoice *inv = &o->inv[paid[i]];
		snprintf(detail, sizeof(detail),
			 "{\"invoice\":%lld,\"amount_minor\":%lld,"
			 "\"currency\":\"%s\"}",
			 (long long)inv->id, (long long)inv->amount_minor,
			 p->currency);
		r = store_case_event(s, k.tenant_id, k.id, now, "invoice.paid",
				     detail, e);
		if (r < 0)
			goto out;
	}
	if (have_case) {
		snprintf(detail, sizeof(detail),
			 "{\"amount_minor\":%lld,\"currency\":\"%s\","
			 "\"fees_minor\":%lld,\"left_minor\":%lld}",
			 (long long)p->amount_minor, p->currency,
			 (long long)ret->fees_minor,
			 (long long)ret->left_minor);
		r = store_case_event(s, k.tenant_id, k.id, now,
				     "payment.received", detail, e);
		/* Payments make no plan: a case seen without one has none
		 * for the rest of the batch. */
		if (r == 0 && !o->no_plan)
			r = plan_progress(s, t, &k, p->amount_minor, b->zones,
					  now, &py, &o->no_plan, e);
	}
	if (r < 0)
		goto out;
	batch_add_customer(b, p->customer_id);
	if (have_case) {
		struct pay_batch_case *bc;
		b->cases = xgrow(b->cases, &b->cap_cases, b->n_cases + 1,
				 sizeof(*b->cases));
		bc = &b->cases[b->n_cases];
		memset(bc, 0, sizeof(*bc));
		bc->case_id = k.id;
		bc->customer_id = p->customer_id;
		bc->external_id = xstrdup(p->external_id);
		bc->amount_minor = p->amount_minor;
		bc->paid_some = ret->left_minor < p->amount_minor;
		bc->seq = b->n_cases++;
	}
out:
	free(paid);
	free(saved);
	payer_clear(&py);
	return r;
}

/* By case, then order of arrival. */
static int case_cmp(const void *va, const void *vb)
{
	const struct pay_batch_case *a = va, *b = vb;
	if (a->case_id != b->case_id)
		return a->case_id < b->case_id ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int pay_batch_finish(struct store *s, const struct tenant_rec *t,
		     struct pay_batch *b, instant_t now, struct err *e)
{
	int r = pay_batch_sync(s, b, e);

	if (r == 0)
		r = run_customers(s, t, b->customers, b->n_customers, now, e);

	if (r < 0)
		return r;
	if (b->n_cases)
		qsort(b->cases, b->n_cases, sizeof(*b->cases), case_cmp);
	for (size_t i = 0; r == 0 && i < b->n_cases;) {
		size_t j = i, pick;
		struct case_rec k;
		struct payer py;

		while (j < b->n_cases && b->cases[j].case_id == b->cases[i].case_id)
			j++;
		/* The payment that completed the case: the last one that
		 * paid something off, else the last one. */
		pick = j - 1;
		for (size_t x = j; x-- > i;) {
			if (b->cases[x].paid_some) {
				pick = x;
				break;
			}
		}
		memset(&py, 0, sizeof(py));
		r = store_case_get(s, t->id, b->cases[i].case_id, &k, e);
		if (r < 0)
			break;
		if (k.st.status == CASE_RESOLVED) {
			for (size_t x = i; x < j; x++)
				b->cases[x].resolved = 1;
			r = payer_load(s, t, k.customer_id, b->zones, now, &py,
				       e);
			if (r == 0)
				r = notify_confirm(s, &k, &py.cu, "thank_you",
						   "thank_you",
						   b->cases[pick].external_id,
						   b->cases[pick].amount_minor,
						   py.today, now, e);
		}
		payer_clear(&py);
		free(k.strategy);
		i = j;
	}
	return r;
}

int pay_receive(struct store *s, const struct tenant_rec *t,
		const struct payment_rec *p, instant_t now,
		struct pay_result *ret, struct err *e)
{
	struct pay_batch b;
	int r;

	pay_batch_init(&b);
	r = pay_receive_batch(s, t, p, now, &b, ret, e);
	if (r == 0 && ret->recorded)
		r = pay_batch_finish(s, t, &b, now, e);
	if (r == 0 && b.n_cases)
		ret->case_resolved = b.cases[0].resolved;
	pay_batch_clear(&b);
	return r;
}
