/*
 * charge: failed automatic payments (see charge.h and docs/charges.md).
 *
 * The retry days come from retry.c; what a paid retry does to the case
 * comes from pay.c; what opens a case comes from the engine (run.c). This
 * file keeps the charge's own state true and writes its case events:
 *
 *   charge.failed          the charge failed and joined the case (detail:
 *                          the code, its class, the next try)
 *   charge.retry_failed    a retry failed; the next one is planned
 *   charge.succeeded       a retry was paid (pay_receive wrote the rest)
 *   charge.given_up        no try left, or a hard decline, or the
 *                          invoice was settled or changed another way
 *   charge.method_updated  the customer set up a new payment method
 */
#include "charge.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "money.h"
#include "pay.h"
#include "profile.h"
#include "retry.h"
#include "run.h"
#include "secrets.h"
#include "tz.h"

#define CHARGE_REFS_MAX 2048 /* bytes of attempt_refs kept (oldest go) */

void charge_policy_default(struct charge_policy *p)
{
	p->tries = RETRY_DEFAULT_TRIES;
	p->window_days = RETRY_DEFAULT_DAYS;
}

const char *charge_change_name(enum charge_change c)
{
	switch (c) {
	case CHARGE_NONE:
		return "none";
	case CHARGE_RETRY:
		return "retry";
	case CHARGE_SUCCEEDED:
		return "succeeded";
	case CHARGE_GIVEN_UP:
		return "given_up";
	case CHARGE_HARD:
		return "hard_declined";
	}
	return "unknown";
}

/* Replace an owned string. */
static void set_str(char **dst, const char *v)
{
	char *n = xstrdup(v ? v : "");
	free(*dst);
	*dst = n;
}

static void set_status(struct charge_rec *c, const char *status)
{
	snprintf(c->status, sizeof(c->status), "%s", status);
}

int charge_decide(struct charge_rec *c, enum psp_status outcome,
		  const char *code, date_t today, const struct cal *cal,
		  const struct charge_policy *pol,
		  enum charge_change *ret_change, struct err *e)
{
	date_t days[RETRY_MAX_TRIES];
	int n = 0, r;

	switch (outcome) {
	case PSP_PAID:
		set_status(c, "succeeded");
		c->next_attempt_on = DATE_NONE;
		c->awaiting = 0;
		*ret_change = CHARGE_SUCCEEDED;
		return 0;
	case PSP_PENDING:
		c->awaiting = 1;
		c->next_attempt_on = DATE_NONE;
		*ret_change = CHARGE_NONE;
		return 0;
	case PSP_FAILED:
		break;
	default:
		return err_set(e, ERR_INVALID, "outcome: %s is not the outcome "
			       "of a charge", psp_status_name(outcome));
	}
	if (code && *code)
		set_str(&c->failure_code, code);
	c->awaiting = 0;
	c->next_attempt_on = DATE_NONE;
	if (retry_classify(c->failure_code, 0) == RETRY_HARD) {
		snprintf(c->decline_class, sizeof(c->decline_class), "hard");
		set_status(c, "hard_declined");
		*ret_change = CHARGE_HARD;
		return 0;
	}
	snprintf(c->decline_class, sizeof(c->decline_class), "soft");
	r = retry_schedule(c->failed_on, pol->tries, pol->window_days, cal,
			   days, &n, e);
	if (r < 0)
		return r;
	/* The first planned day after today that no try has used yet. */
	for (int k = c->attempts < 0 ? 0 : c->attempts; k < n; k++)
		if (days[k] > today) {
			c->next_attempt_on = days[k];
			break;
		}
	if (c->next_attempt_on == DATE_NONE) {
		set_status(c, "given_up");
		*ret_change = CHARGE_GIVEN_UP;
		return 0;
	}
	set_status(c, "retrying");
	*ret_change = CHARGE_RETRY;
	return 0;
}

/* ---- helpers ------------------------------------------------------------- */

/* 1 when `id` is one of the space-separated words of refs. */
static int ref_seen(const char *refs, const char *id)
{
	size_t n = id ? strlen(id) : 0;
	const char *p = refs;

	if (!n || !refs)
		return 0;
	while ((p = strstr(p, id)) != NULL) {
		if ((p == refs || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return 1;
		p += n;
	}
	return 0;
}

/* Add `id` to the charge's refs (the oldest dropped past the bound). */
static void ref_add(struct charge_rec *c, const char *id)
{
	struct buf b;
	const char *old = c->attempt_refs ? c->attempt_refs : "";

	if (!id || !*id || ref_seen(old, id))
		return;
	while (strlen(old) + strlen(id) + 1 > CHARGE_REFS_MAX && *old) {
		const char *sp = strchr(old, ' ');
		old = sp ? sp + 1 : "";
	}
	buf_init(&b, CHARGE_REFS_MAX + PSP_ID_MAX);
	if (*old) {
		buf_puts(&b, old);
		buf_putc(&b, ' ');
	}
	buf_puts(&b, id);
	free(c->attempt_refs);
	c->attempt_refs = buf_detach(&b);
}

/* The JSON detail of a charge's case event (owned). */
static char *detail(const struct charge_rec *c, const char *reason)
{
	char next[DATE_FMT_MAX];
	json_t *o;
	char *s;

	o = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:i}", "charge",
		      (json_int_t)c->id, "provider", c->provider, "payment_id",
		      c->payment_id ? c->payment_id : "", "amount",
		      (json_int_t)c->amount_minor, "currency", c->currency,
		      "code", c->failure_code ? c->failure_code : "",
		      "decline", c->decline_class, "attempts", c->attempts);
	if (c->next_attempt_on != DATE_NONE) {
		date_format(c->next_attempt_on, next);
		json_object_set_new(o, "next_attempt_on", json_string(next));
	}
	if (reason)
		json_object_set_new(o, "reason", json_string(reason));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (!s)
		abort(); /* only out of memory: mem.h policy */
	return s;
}

/* A case event about the charge, when it is on a case. */
static int charge_event(struct store *s, const struct charge_rec *c,
			const char *kind, const char *reason, instant_t now,
			struct err *e)
{
	char *d;
	int r;

	if (!c->case_id)
		return 0;
	d = detail(c, reason);
	r = store_case_event(s, c->tenant_id, c->case_id, now, kind, d, e);
	free(d);
	return r;
}

int charge_customer_day(struct store *s, const struct tenant_rec *t,
			int64_t customer_id, instant_t now, date_t *ret_today,
			struct cal **ret_cal, struct err *e)
{
	struct customer_rec cu;
	struct tz *zone = NULL;
	struct cal *cal = NULL;
	char *ext = NULL;
	int r;

	memset(&cu, 0, sizeof(cu));
	r = store_customer_external_id(s, t->id, customer_id, &ext, e);
	if (r == 0)
		r = store_customer_get(s, t->id, ext, &cu, e);
	free(ext);
	if (r < 0)
		return r;
	if (tz_load(cu.timezone && *cu.timezone ? cu.timezone : t->timezone,
		    &zone, NULL) < 0 &&
	    (r = tz_load("UTC", &zone, e)) < 0)
		goto out;
	*ret_today = tz_local_date(zone, now);
	if (cu.country && *cu.country && cal_builtin(cu.country, &cal, NULL) < 0)
		cal = NULL; /* no calendar for the country: weekends only */
	*ret_cal = cal;
out:
	tz_free(zone);
	customer_rec_clear(&cu);
	return r;
}

int charge_attach_case(struct store *s, struct charge_rec *c, instant_t now,
		       struct err *e)
{
	struct case_rec *cases = NULL;
	size_t n = 0;
	int r;

	if (c->case_id)
		return 0;
	r = store_case_list(s, c->tenant_id, c->customer_id, &cases, &n, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (cases[i].st.status == CASE_OPEN &&
		    strcmp(cases[i].currency, c->currency) == 0)
			c->case_id = cases[i].id;
	case_list_free(cases, n);
	if (!c->case_id)
		return 0;
	c->updated_at = now;
	r = store_charge_update(s, c, e);
	if (r == 0)
		r = charge_event(s, c, "charge.failed", NULL, now, e);
	return r;
}

/* ---- recording a failure ------------------------------------------------- */

/* The invoice named by id, number or payment reference. */
static int find_invoice(struct store *s, int64_t tenant_id, const char *name,
			struct invoice_rec *ret, struct err *e)
{
	if (store_invoice_get(s, tenant_id, name, ret, NULL) == 0 ||
	    store_invoice_find_ref(s, tenant_id, name, ret, NULL) == 0)
		return 0;
	return err_set(e, ERR_NOTFOUND, "invoice: no such invoice");
}

/* 1 when the provider's id fits the provider. */
static int payment_id_ok(const char *provider, const char *id)
{
	if (!strcmp(provider, "stripe"))
		return psp_id_shape(id, "pi_", 200);
	if (!strcmp(provider, "mollie"))
		return psp_id_shape(id, "tr_", 64);
	return 0;
}

int charge_record_failure(struct store *s, const struct tenant_rec *t,
			  const struct charge_failure *f, instant_t now,
			  struct charge_rec *ret, int *ret_created,
			  struct err *e)
{
	struct invoice_rec inv;
	struct charge_rec c;
	struct charge_policy pol;
	struct cal *cal = NULL;
	enum charge_change ch;
	int64_t customer_id = 0, id = 0;
	int created = 0, r;
	date_t today;

	memset(&inv, 0, sizeof(inv));
	memset(&c, 0, sizeof(c));
	if (!f->customer || !*f->customer)
		return err_set(e, ERR_INVALID, "customer: missing");
	if (!f->invoice || !*f->invoice)
		return err_set(e, ERR_INVALID, "invoice: missing");
	if (!f->provider || (strcmp(f->provider, "stripe") != 0 &&
			     strcmp(f->provider, "mollie") != 0))
		return err_set(e, ERR_INVALID, "provider: expected stripe or "
			       "mollie");
	if (!f->payment_id || !payment_id_ok(f->provider, f->payment_id))
		return err_set(e, ERR_INVALID, "payment_id: expected the "
			       "provider's payment id (%s)",
			       strcmp(f->provider, "stripe") == 0 ? "pi_..."
								 : "tr_...");
	if (f->amount_minor <= 0)
		return err_set(e, ERR_RANGE, "amount: expected more than 0");
	r = store_customer_id(s, t->id, f->customer, &customer_id, e);
	if (r == -ERR_NOTFOUND)
		return err_set(e, ERR_NOTFOUND, "customer: no such customer");
	if (r < 0)
		return r;
	r = find_invoice(s, t->id, f->invoice, &inv, e);
	if (r < 0)
		return r;
	if (inv.customer_id != customer_id) {
		r = err_set(e, ERR_INVALID, "invoice: the invoice belongs to "
			    "another customer");
		goto out;
	}
	if (!f->currency || strcmp(f->currency, inv.currency) != 0) {
		r = err_set(e, ERR_INVALID, "currency: the charge is in %s, the "
			    "invoice in %s", f->currency ? f->currency : "?",
			    inv.currency);
		goto out;
	}
	r = charge_customer_day(s, t, customer_id, f->failed_at ? f->failed_at
								: now,
				&today, &cal, e);
	if (r < 0)
		goto out;
	c.tenant_id = t->id;
	c.customer_id = customer_id;
	c.invoice_id = inv.id;
	snprintf(c.provider, sizeof(c.provider), "%s", f->provider);
	c.payment_id = xstrdup(f->payment_id);
	c.customer_ref = xstrdup(f->customer_ref ? f->customer_ref : "");
	c.mandate_ref = xstrdup(f->mandate_ref ? f->mandate_ref : "");
	c.failure_code = xstrdup("");
	c.attempt_id = xstrdup("");
	c.attempt_refs = xstrdup("");
	c.amount_minor = f->amount_minor;
	memcpy(c.currency, inv.currency, 4);
	c.failed_on = today;
	c.next_attempt_on = DATE_NONE;
	c.created_at = c.updated_at = now;
	ref_add(&c, f->attempt_id);
	charge_policy_default(&pol);
	r = charge_decide(&c, PSP_FAILED, f->failure_code, today, cal, &pol,
			  &ch, e);
	if (r == 0)
		r = store_charge_insert(s, &c, &id, &created, e);
	if (r < 0)
		goto out;
	c.id = id;
	if (created) {
		/* The invoice is open again if the billing system had
		 * settled it in expectation of the charge. */
		if (inv.open_minor == 0 && !inv.written_off) {
			r = store_invoice_set_open(s, t->id, inv.id,
						   f->amount_minor <
							   inv.amount_minor
						   ? f->amount_minor
						   : inv.amount_minor,
						   e);
			if (r < 0)
				goto out;
		}
		/* The day's run for the customer: the past-due invoice opens
		 * a case (or joins the open one). No strategy: no case yet. */
		r = run_customer(s, t, customer_id, now, e);
		if (r == -ERR_NOTFOUND)
			r = 0;
		if (r == 0)
			r = charge_attach_case(s, &c, now, e);
		if (r < 0)
			goto out;
	}
	charge_rec_clear(&c);
	r = store_charge_get(s, t->id, id, &c, e);
	if (r < 0)
		goto out;
	*ret = c;
	memset(&c, 0, sizeof(c));
	*ret_created = created;
out:
	cal_free(cal);
	charge_rec_clear(&c);
	invoice_rec_clear(&inv);
	return r;
}

/* ---- applying an outcome ------------------------------------------------- */

/* A paid try: the payment, once by the provider's id. */
static int charge_paid(struct store *s, const struct tenant_rec *t,
		       struct charge_rec *c, const char *payment_id,
		       int64_t amount, instant_t at, instant_t now,
		       struct err *e)
{
	struct payment_rec pay;
	struct pay_result res;
	char ext[PSP_ID_MAX + 24];

	memset(&pay, 0, sizeof(pay));
	snprintf(ext, sizeof(ext), "%s:%s", c->provider,
		 payment_id && *payment_id ? payment_id : c->payment_id);
	pay.tenant_id = t->id;
	pay.external_id = ext;
	pay.customer_id = c->customer_id;
	pay.invoice_id = c->invoice_id;
	pay.amount_minor = amount > 0 ? amount : c->amount_minor;
	memcpy(pay.currency, c->currency, 4);
	pay.paid_on = instant_date(at ? at : now);
	pay.method = c->provider;
	return pay_receive(s, t, &pay, now, &res, e);
}

int charge_apply(struct store *s, const struct tenant_rec *t,
		 struct charge_rec *c, enum psp_status outcome,
		 const char *code, const char *payment_id,
		 const char *attempt_id, int64_t amount_minor, instant_t at,
		 instant_t now, enum charge_change *ret_change,
		 struct err *e)
{
	struct charge_policy pol;
	enum charge_change ch = CHARGE_NONE;
	struct cal *cal = NULL;
	date_t today;
	int r;

	if (ret_change)
		*ret_change = CHARGE_NONE;
	if (attempt_id && ref_seen(c->attempt_refs, attempt_id))
		return 0; /* applied already: a replay */
	if (outcome == PSP_PENDING) {
		if (!strcmp(c->status, "retrying") && c->awaiting) {
			c->next_attempt_on = DATE_NONE;
			if (attempt_id && *attempt_id)
				set_str(&c->attempt_id, attempt_id);
			c->updated_at = now;
			return store_charge_update(s, c, e);
		}
		return 0;
	}
	if (outcome == PSP_PAID) {
		if (!strcmp(c->status, "succeeded")) {
			ref_add(c, attempt_id);
			c->updated_at = now;
			return store_charge_update(s, c, e);
		}
		r = charge_paid(s, t, c, payment_id, amount_minor, at, now, e);
		if (r < 0)
			return r;
		set_status(c, "succeeded");
		c->next_attempt_on = DATE_NONE;
		c->awaiting = 0;
		ch = CHARGE_SUCCEEDED;
		if (!c->case_id)
			r = charge_attach_case(s, c, now, e);
		if (r == 0)
			r = charge_event(s, c, "charge.succeeded", NULL, now, e);
		goto write;
	}
	if (outcome != PSP_FAILED)
		return err_set(e, ERR_INVALID, "outcome: %s is not the outcome "
			       "of a charge", psp_status_name(outcome));
	r = charge_customer_day(s, t, c->customer_id, at ? at : now, &today,
				&cal, e);
	if (r < 0)
		return r;
	if (c->awaiting && !strcmp(c->status, "retrying")) {
		/* The outcome of our retry: the schedule moves on. */
		charge_policy_default(&pol);
		r = charge_decide(c, PSP_FAILED, code, today, cal, &pol, &ch, e);
		if (r == 0)
			r = charge_event(s, c,
					 ch == CHARGE_RETRY ? "charge.retry_failed"
							    : "charge.given_up",
					 ch == CHARGE_HARD ? "hard_decline"
					 : ch == CHARGE_GIVEN_UP ? "no_try_left"
								 : NULL,
					 now, e);
	} else if (!strcmp(c->status, "retrying") && code &&
		   retry_classify(code, 0) == RETRY_HARD) {
		/* Not a try of ours (the first failure told again, or the
		 * tenant's own), but a hard decline: never retry it. */
		set_str(&c->failure_code, code);
		snprintf(c->decline_class, sizeof(c->decline_class), "hard");
		set_status(c, "hard_declined");
		c->next_attempt_on = DATE_NONE;
		ch = CHARGE_HARD;
		r = charge_event(s, c, "charge.given_up", "hard_decline", now,
				 e);
	}
	cal_free(cal);
write:
	if (r < 0)
		return r;
	ref_add(c, attempt_id);
	if (attempt_id && *attempt_id)
		set_str(&c->attempt_id, attempt_id);
	c->updated_at = now;
	r = store_charge_update(s, c, e);
	if (r == 0 && ret_change)
		*ret_change = ch;
	return r;
}

/* ---- the provider's notifications ---------------------------------------- */

/* A new payment method: the customer's stopped or waiting charges at this
 * provider are tried again on the next business day. */
static int apply_mandate(struct store *s, const struct tenant_rec *t,
			 const char *provider,
			 const struct psp_charge_event *ev, instant_t now,
			 struct err *e)
{
	struct case_rec k;
	struct charge_rec *list = NULL;
	struct cal *cal = NULL;
	size_t n = 0;
	date_t today;
	int r;

	if (ev->status != PSP_PAID || !*ev->mandate_ref)
		return 0; /* not (yet) set up */
	memset(&k, 0, sizeof(k));
	r = store_case_get(s, t->id, ev->case_id, &k, e);
	if (r == -ERR_NOTFOUND) {
		err_set(e, 0, "charge webhook: the new payment method names "
			"no case of ours");
		return PSP_IGNORED;
	}
	if (r < 0)
		return r;
	r = store_charge_list(s, t->id, k.customer_id, &list, &n, e);
	if (r == 0)
		r = charge_customer_day(s, t, k.customer_id, now, &today, &cal,
					e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		struct charge_rec *c = &list[i];
		if (strcmp(c->provider, provider) != 0 ||
		    (strcmp(c->status, "retrying") != 0 &&
		     strcmp(c->status, "hard_declined") != 0 &&
		     strcmp(c->status, "given_up") != 0) ||
		    (*ev->customer_ref && *c->customer_ref &&
		     strcmp(c->customer_ref, ev->customer_ref) != 0) ||
		    strcmp(c->mandate_ref, ev->mandate_ref) == 0)
			continue;
		set_str(&c->mandate_ref, ev->mandate_ref);
		if (*ev->customer_ref)
			set_str(&c->customer_ref, ev->customer_ref);
		set_status(c, "retrying");
		c->awaiting = 0;
		c->next_attempt_on = cal_add_business_days(cal, today, 1);
		c->updated_at = now;
		r = store_charge_update(s, c, e);
		if (r == 0)
			r = charge_event(s, c, "charge.method_updated", NULL, now,
					 e);
	}
	cal_free(cal);
	charge_list_free(list, n);
	free(k.strategy);
	return r;
}

/* A try's outcome: the charge dunwell knows, or a failure it learns of
 * (the provider's metadata naming the customer and invoice). */
static int apply_attempt(struct store *s, const struct tenant_rec *t,
			 const char *provider,
			 const struct psp_charge_event *ev, instant_t now,
			 struct err *e)
{
	struct charge_rec c;
	int r;

	memset(&c, 0, sizeof(c));
	r = store_charge_find(s, t->id, provider, ev->payment_id, &c, e);
	if (r == -ERR_NOTFOUND && ev->charge_id > 0) {
		r = store_charge_get(s, t->id, ev->charge_id, &c, e);
		if (r == 0 && strcmp(c.provider, provider) != 0) {
			charge_rec_clear(&c);
			r = -ERR_NOTFOUND;
		}
	}
	if (r == -ERR_NOTFOUND) {
		struct charge_failure f;
		int created;
		if (ev->status != PSP_FAILED || !*ev->customer ||
		    !*ev->invoice) {
			err_set(e, 0, "charge webhook: %s is no charge of ours",
				ev->payment_id);
			return PSP_IGNORED;
		}
		memset(&f, 0, sizeof(f));
		f.customer = ev->customer;
		f.invoice = ev->invoice;
		f.amount_minor = ev->amount;
		f.currency = ev->currency;
		f.provider = provider;
		f.payment_id = ev->payment_id;
		f.customer_ref = ev->customer_ref;
		f.mandate_ref = ev->mandate_ref;
		f.failure_code = ev->failure_code;
		f.attempt_id = ev->attempt_id;
		f.failed_at = ev->at;
		r = charge_record_failure(s, t, &f, now, &c, &created, e);
		if (r == -ERR_NOTFOUND) {
			/* The metadata names nothing of this tenant's. */
			err_prefix(e, "charge webhook: ");
			return PSP_IGNORED;
		}
		charge_rec_clear(&c);
		return r;
	}
	if (r < 0)
		return r;
	if (!*c.customer_ref && *ev->customer_ref)
		set_str(&c.customer_ref, ev->customer_ref);
	if (!*c.mandate_ref && *ev->mandate_ref)
		set_str(&c.mandate_ref, ev->mandate_ref);
	r = charge_apply(s, t, &c, ev->status, ev->failure_code,
			 ev->payment_id, ev->attempt_id, ev->amount, ev->at, now,
			 NULL, e);
	charge_rec_clear(&c);
	return r;
}

int charge_webhook(struct store *s, const struct tenant_rec *t,
		   struct psp *psp, const struct psp_webhook_req *in,
		   instant_t now, struct err *e)
{
	struct psp_charge_event ev;
	int r = psp_charge_event(psp, in, now, &ev, e);

	if (r == PSP_IGNORED)
		return CHARGE_PASS;
	if (r < 0)
		return r;
	if (*ev.tenant && strcmp(ev.tenant, t->slug) != 0) {
		err_set(e, 0, "charge webhook: %s names another tenant",
			ev.payment_id);
		return PSP_IGNORED;
	}
	r = store_begin(s, e);
	if (r < 0)
		return r;
	if (ev.kind == PSP_CHARGE_MANDATE)
		r = apply_mandate(s, t, psp_scheme(psp), &ev, now, e);
	else
		r = apply_attempt(s, t, psp_scheme(psp), &ev, now, e);
	if (r == 0)
		r = store_commit(s, e);
	else
		store_rollback(s);
	return r;
}

/* ---- the customer's page ------------------------------------------------- */

int charge_failing(struct store *s, int64_t tenant_id, int64_t case_id,
		   struct charge_notice *ret, int *ret_found, struct err *e)
{
	struct case_rec k;
	struct charge_rec *list = NULL;
	size_t n = 0;
	int r;

	memset(&k, 0, sizeof(k));
	*ret_found = 0;
	r = store_case_get(s, tenant_id, case_id, &k, e);
	if (r < 0)
		return r;
	r = store_charge_list(s, tenant_id, k.customer_id, &list, &n, e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct charge_rec *c = &list[i];
		struct invoice_rec *open_list = NULL;
		size_t m = 0;
		int open = 0;
		if (c->case_id != case_id ||
		    (strcmp(c->status, "retrying") != 0 &&
		     strcmp(c->status, "hard_declined") != 0 &&
		     strcmp(c->status, "given_up") != 0))
			continue;
		/* Its invoice still open (not paid another way). */
		r = store_invoices_open(s, tenant_id, c->customer_id,
					c->currency, &open_list, &m, e);
		for (size_t j = 0; r == 0 && j < m; j++)
			if (open_list[j].id == c->invoice_id)
				open = 1;
		invoice_list_free(open_list, m);
		if (r < 0 || !open)
			continue;
		memset(ret, 0, sizeof(*ret));
		ret->charge_id = c->id;
		ret->amount_minor = c->amount_minor;
		memcpy(ret->currency, c->currency, 4);
		snprintf(ret->provider, sizeof(ret->provider), "%s",
			 c->provider);
		snprintf(ret->status, sizeof(ret->status), "%s", c->status);
		ret->hard = strcmp(c->decline_class, "hard") == 0;
		ret->failed_on = c->failed_on;
		ret->next_attempt_on = c->next_attempt_on;
		ret->attempts = c->attempts;
		ret->can_update = *c->customer_ref != '\0';
		*ret_found = 1;
		break;
	}
	charge_list_free(list, n);
	free(k.strategy);
	return r;
}

int charge_setup_start(struct store *s, const struct tenant_rec *t,
		       int64_t case_id, const char *locale,
		       const char *return_url, instant_t now, char *ret_url,
		       size_t cap, struct err *e)
{
	char config[PROFILE_VALUE_MAX * 2], key[128], hook[600], desc[256];
	struct charge_notice cn;
	struct charge_rec c;
	struct profile pr;
	struct psp *psp = NULL;
	struct psp_setup_req rq;
	struct psp_checkout out;
	int found = 0, r;

	memset(&pr, 0, sizeof(pr));
	memset(&c, 0, sizeof(c));
	r = charge_failing(s, t->id, case_id, &cn, &found, e);
	if (r == 0 && !found)
		r = err_set(e, ERR_NOTFOUND, "case %lld has no failing charge",
			    (long long)case_id);
	if (r == 0)
		r = store_charge_get(s, t->id, cn.charge_id, &c, e);
	if (r == 0 && !*c.customer_ref)
		r = err_set(e, ERR_NOTFOUND, "charge %lld: the provider's "
			    "customer is not known", (long long)c.id);
	if (r == 0)
		r = profile_load(s, t->id, t->name, &pr, e);
	if (r < 0)
		goto out;
	if (strncmp(pr.checkout, c.provider, strlen(c.provider)) != 0 ||
	    pr.checkout[strlen(c.provider)] != ':') {
		r = err_set(e, ERR_NOTFOUND, "the tenant's checkout setting is "
			    "not %s", c.provider);
		goto out;
	}
	r = profile_inline_secret("checkout", pr.checkout, e);
	if (r == 0)
		r = secrets_expand(pr.checkout, config, sizeof(config), e);
	if (r < 0) {
		secrets_scrub(pr.checkout, e->msg, sizeof(e->msg));
		r = -ERR_INVALID;
		goto out;
	}
	r = psp_open(config, &psp, e);
	explicit_bzero(config, sizeof(config));
	if (r < 0)
		goto out;
	snprintf(desc, sizeof(desc), "%.200s: payment method", t->name);
	snprintf(key, sizeof(key), "dw-setup-%s-%lld-%lld-%d", t->slug,
		 (long long)case_id, (long long)c.id, (int)instant_date(now));
	snprintf(hook, sizeof(hook), "%s/v1/psp/%s/%s", pr.public_url, t->slug,
		 c.provider);
	memset(&rq, 0, sizeof(rq));
	rq.tenant = t->slug;
	rq.case_id = case_id;
	rq.customer_ref = c.customer_ref;
	rq.currency = c.currency;
	rq.description = desc;
	rq.locale = locale;
	rq.redirect_url = return_url;
	rq.webhook_url = hook;
	rq.idempotency_key = key;
	r = psp_setup(psp, &rq, now, &out, e);
	if (r < 0)
		goto out;
	if (strlen(out.url) >= cap) {
		r = err_set(e, ERR_TOOBIG, "the provider's URL is too long");
		goto out;
	}
	memcpy(ret_url, out.url, strlen(out.url) + 1);
out:
	psp_close(psp);
	profile_clear(&pr);
	charge_rec_clear(&c);
	return r;
}
