/*
 * charge_run: the daily pass over failed automatic charges (see
 * charge_run.h).
 */
#include "charge_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal.h"
#include "charge.h"
#include "profile.h"
#include "psp.h"
#include "secrets.h"

/* What the pass shares between charges. */
struct charge_run_ctx {
	struct store *s;             /* the store */
	const struct tenant_rec *t;  /* the tenant */
	struct profile pr;           /* its settings (checkout, public_url) */
	struct psp *psp;             /* the provider, opened on first need */
	int psp_failed;              /* opening it failed: do not try again */
	instant_t now;               /* the pass's instant */
	struct charge_run_stats st;  /* counts so far */
};

static void note_error(struct charge_run_ctx *x, const struct err *e)
{
	x->st.errors++;
	snprintf(x->st.last_error, sizeof(x->st.last_error), "%.255s", e->msg);
}

/* The tenant's provider when it is `provider`; NULL (with e set) when the
 * checkout setting names another or cannot be opened. */
static struct psp *provider_of(struct charge_run_ctx *x, const char *provider,
			       struct err *e)
{
	char config[PROFILE_VALUE_MAX * 2];
	size_t n = strlen(provider);

	if (!x->psp && !x->psp_failed) {
		int r = profile_inline_secret("checkout", x->pr.checkout, e);
		if (r == 0)
			r = secrets_expand(x->pr.checkout, config,
					   sizeof(config), e);
		if (r < 0)
			secrets_scrub(x->pr.checkout, e->msg, sizeof(e->msg));
		else
			r = psp_open(config, &x->psp, e);
		explicit_bzero(config, sizeof(config));
		if (r < 0) {
			x->psp_failed = 1;
			return NULL;
		}
	}
	if (!x->psp)
		return NULL;
	if (strncmp(x->pr.checkout, provider, n) != 0 ||
	    x->pr.checkout[n] != ':') {
		err_set(e, ERR_NOTFOUND, "charge of %s, but the tenant's "
			"checkout setting is another provider", provider);
		return NULL;
	}
	return x->psp;
}

/* The charge's invoice as it is owed now: 1 in *ret_ok when it is open
 * for at least the charge's amount; its number into num. */
static int still_owed(struct store *s, const struct charge_rec *c,
		      int *ret_ok, char *num, size_t cap, struct err *e)
{
	struct invoice_rec *list = NULL;
	size_t n = 0;
	int r;

	*ret_ok = 0;
	r = store_invoices_open(s, c->tenant_id, c->customer_id, c->currency,
				&list, &n, e);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (list[i].id == c->invoice_id) {
			*ret_ok = list[i].open_minor >= c->amount_minor &&
				  !list[i].disputed;
			snprintf(num, cap, "%s",
				 list[i].number ? list[i].number : "");
		}
	invoice_list_free(list, n);
	return r;
}

/* Mark the try (first transaction): 1 in *ret_due when the provider is to
 * be asked now. */
static int mark_try(struct charge_run_ctx *x, int64_t id,
		    struct charge_rec *ret, char *num, size_t cap,
		    int *ret_due, struct err *e)
{
	struct store *s = x->s;
	struct charge_rec c;
	struct cal *cal = NULL;
	date_t today;
	int owed = 0, r;

	*ret_due = 0;
	memset(&c, 0, sizeof(c));
	r = store_begin(s, e);
	if (r < 0)
		return r;
	r = store_charge_get(s, x->t->id, id, &c, e);
	if (r == 0 && (!strcmp(c.status, "failed") ||
		       !strcmp(c.status, "retrying")))
		r = charge_attach_case(s, &c, x->now, e);
	if (r < 0 || strcmp(c.status, "retrying") != 0 ||
	    c.next_attempt_on == DATE_NONE)
		goto out;
	r = charge_customer_day(s, x->t, c.customer_id, x->now, &today, &cal,
				e);
	if (r < 0 || c.next_attempt_on > today)
		goto out;
	x->st.looked++;
	r = still_owed(s, &c, &owed, num, cap, e);
	if (r < 0)
		goto out;
	if (!owed) {
		/* Paid, lowered or disputed another way: charging now could
		 * take money that is not owed. */
		char d[160];
		snprintf(c.status, sizeof(c.status), "given_up");
		c.next_attempt_on = DATE_NONE;
		c.awaiting = 0;
		c.updated_at = x->now;
		r = store_charge_update(s, &c, e);
		snprintf(d, sizeof(d), "{\"charge\":%lld,\"reason\":"
			 "\"invoice_not_owed\"}", (long long)c.id);
		if (r == 0 && c.case_id)
			r = store_case_event(s, x->t->id, c.case_id, x->now,
					     "charge.given_up", d, e);
		if (r == 0)
			x->st.given_up++;
		goto out;
	}
	/* A try asked before and not answered is asked again under the
	 * same number (and so the same idempotency key). */
	if (!c.awaiting)
		c.attempts++;
	c.awaiting = 1;
	c.updated_at = x->now;
	r = store_charge_update(s, &c, e);
	if (r == 0)
		*ret_due = 1;
out:
	cal_free(cal);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		charge_rec_clear(&c);
		*ret_due = 0;
		return r;
	}
	*ret = c;
	return 0;
}

static int one_charge(struct charge_run_ctx *x, int64_t id, struct err *e)
{
	struct store *s = x->s;
	struct charge_rec c, fresh;
	struct psp_recharge_req rq;
	struct psp_recharge out;
	struct psp *psp;
	enum charge_change ch = CHARGE_NONE;
	char num[STORE_TEXT_MAX], desc[PSP_DESC_MAX + 1], key[160], hook[600];
	struct err pe;
	int due = 0, r;

	memset(&c, 0, sizeof(c));
	memset(&fresh, 0, sizeof(fresh));
	num[0] = '\0';
	r = mark_try(x, id, &c, num, sizeof(num), &due, e);
	if (r < 0 || !due)
		goto out;
	err_clear(&pe);
	psp = provider_of(x, c.provider, &pe);
	if (!psp) {
		note_error(x, &pe);
		goto out;
	}
	snprintf(desc, sizeof(desc), "%.150s %.80s", x->t->name,
		 *num ? num : c.payment_id);
	snprintf(key, sizeof(key), "dw-charge-%s-%lld-%d", x->t->slug,
		 (long long)c.id, c.attempts);
	snprintf(hook, sizeof(hook), "%s/v1/psp/%s/%s", x->pr.public_url,
		 x->t->slug, c.provider);
	memset(&rq, 0, sizeof(rq));
	rq.tenant = x->t->slug;
	rq.case_id = c.case_id;
	rq.charge_id = c.id;
	rq.payment_id = c.payment_id;
	rq.customer_ref = c.customer_ref;
	rq.mandate_ref = c.mandate_ref;
	rq.amount = c.amount_minor;
	rq.currency = c.currency;
	rq.description = desc;
	rq.webhook_url = *x->pr.public_url ? hook : NULL;
	rq.idempotency_key = key;
	memset(&out, 0, sizeof(out));
	if (psp_recharge(psp, &rq, x->now, &out, &pe) < 0) {
		/* Left awaiting: the next pass asks again, same key. */
		note_error(x, &pe);
		goto out;
	}
	x->st.retried++;
	r = store_begin(s, e);
	if (r < 0)
		goto out;
	r = store_charge_get(s, x->t->id, id, &fresh, e);
	if (r == 0)
		r = charge_apply(s, x->t, &fresh, out.status, out.failure_code,
				 out.payment_id, out.attempt_id,
				 fresh.amount_minor, 0, x->now, &ch, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		goto out;
	}
	if (out.status == PSP_PAID)
		x->st.succeeded++;
	else if (out.status == PSP_FAILED)
		x->st.failed++;
	else
		x->st.pending++;
	if (ch == CHARGE_GIVEN_UP || ch == CHARGE_HARD)
		x->st.given_up++;
out:
	charge_rec_clear(&c);
	charge_rec_clear(&fresh);
	return r;
}

int charge_run_tenant(struct store *s, const struct tenant_rec *t,
		      instant_t now, struct charge_run_stats *ret,
		      struct err *e)
{
	struct charge_run_ctx x;
	int64_t *ids = NULL;
	size_t n = 0;
	int r;

	memset(&x, 0, sizeof(x));
	x.s = s;
	x.t = t;
	x.now = now;
	r = profile_load(s, t->id, t->name, &x.pr, e);
	/* Every zone's date is at most a day past UTC's. */
	if (r == 0)
		r = store_charge_due(s, t->id, instant_date(now) + 1, &ids, &n,
				     e);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = one_charge(&x, ids[i], e);
	if (r == 0)
		*ret = x.st;
	free(ids);
	psp_close(x.psp);
	profile_clear(&x.pr);
	return r;
}
