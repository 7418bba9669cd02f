/*
 * charge: failed automatic payments (issue #7, docs/charges.md).
 *
 * A tenant that collects by card on file or SEPA direct debit through a
 * payment provider (Stripe, Mollie) tells dunwell when a charge failed:
 * through the API (POST /v1/charges/failed) or through the provider's own
 * notification (Stripe payment_intent.payment_failed, a Mollie recurring
 * payment's webhook). dunwell then
 *
 *   - records the charge once, by the provider's payment id;
 *   - makes sure the invoice it was for is open, runs the engine for the
 *     customer (an invoice past due opens a case, as every day) and writes
 *     the case event charge.failed;
 *   - classifies the decline (retry.h): a hard decline (stolen card,
 *     closed account, revoked mandate) is never retried; a soft one is
 *     retried on the days of retry_schedule (8 tries within 14 days by
 *     default, business days of the customer's country) by the daily
 *     pass, charge_run.h;
 *   - turns a retry that succeeds into a payment through pay_receive,
 *     once, keyed by the provider's id (the case resolves, the thank-you
 *     and the tenant's webhooks follow as for every payment);
 *   - gives up after the last try (case event charge.given_up): dunning
 *     goes on by the case's strategy.
 *
 * While retries run, the customer's page offers to update the payment
 * method (charge_failing, charge_setup_start); a new card or mandate makes
 * the next business day a retry day.
 *
 * This module never decides what a payment means for a case (that is
 * pay.c) and never prints. charge_decide is pure; the other functions
 * work inside the caller's transaction unless they say otherwise.
 */
#ifndef DUNWELL_CHARGE_H
#define DUNWELL_CHARGE_H

#include <stddef.h>
#include <stdint.h>

#include "cal.h"
#include "date.h"
#include "err.h"
#include "psp.h"
#include "store.h"

/* charge_webhook: the notification is not about a charge; read it with
 * psp_webhook as before. */
#define CHARGE_PASS 2

/* How many retries, within how many days (retry.h's defaults). */
struct charge_policy {
	int tries;        /* 1..RETRY_MAX_TRIES */
	int window_days;  /* 1..60 */
};

/* The default policy: RETRY_DEFAULT_TRIES within RETRY_DEFAULT_DAYS. */
void charge_policy_default(struct charge_policy *p);

/* What charge_decide did to a charge. */
enum charge_change {
	CHARGE_NONE = 0,   /* nothing (an outcome still pending) */
	CHARGE_RETRY,      /* soft decline: retried on next_attempt_on */
	CHARGE_SUCCEEDED,  /* paid */
	CHARGE_GIVEN_UP,   /* soft decline, but no try is left */
	CHARGE_HARD,       /* hard decline: never retried */
};

/* The name of a change for events and logs ("retry", "given_up"...). */
const char *charge_change_name(enum charge_change c);

/*
 * The state machine, pure. Apply the outcome of the charge's latest try
 * (the first charge, attempts 0, or retry number `attempts`) on the
 * customer's local date `today`:
 *   PSP_PAID     succeeded; nothing planned any more;
 *   PSP_PENDING  nothing changes but that the outcome is awaited;
 *   PSP_FAILED   `code` (may be NULL) is classified by retry_classify: a
 *                hard decline is hard_declined; a soft one is retried on
 *                the first day of retry_schedule(failed_on, policy, cal)
 *                after `today` that is not used by a try made already
 *                (index >= attempts); when there is none, given_up.
 * Sets status, failure_code (when code is given), decline_class,
 * next_attempt_on and awaiting; *ret_change says what happened.
 */
int charge_decide(struct charge_rec *c, enum psp_status outcome,
		  const char *code, date_t today, const struct cal *cal,
		  const struct charge_policy *pol,
		  enum charge_change *ret_change, struct err *e);

/* A failed charge as the tenant's billing system or a provider reports
 * it. Strings are borrowed. */
struct charge_failure {
	const char *customer;      /* the tenant's customer id */
	const char *invoice;       /* the invoice: its id, number or payment
				      reference */
	int64_t amount_minor;      /* > 0 */
	const char *currency;      /* ISO 4217, the invoice's */
	const char *provider;      /* "stripe" | "mollie" */
	const char *payment_id;    /* the provider's id: pi_... / tr_... */
	const char *customer_ref;  /* the provider's customer, NULL unknown */
	const char *mandate_ref;   /* payment method / mandate, NULL unknown */
	const char *failure_code;  /* decline or return reason, NULL none */
	const char *attempt_id;    /* the provider's id of the try (ch_...),
				      NULL: none (a replay guard) */
	instant_t failed_at;       /* when it failed; 0: now */
};

/*
 * Record a failed charge (inside the caller's transaction): once per
 * (provider, payment_id); a known one changes nothing and *ret_created
 * is 0. Otherwise the invoice is made open (when nothing was open on it:
 * the charge's amount, at most the invoice's), the schedule starts
 * (charge_decide), the engine runs for the customer and, when the
 * customer has an open case in the currency, the charge joins it with
 * the event charge.failed (else the daily pass does that once a case
 * opens). -ERR_NOTFOUND naming "customer" or "invoice"; -ERR_INVALID
 * naming "invoice" (another customer's), "currency", "provider" or
 * "payment_id". *ret (owned, charge_rec_clear) is the charge as stored.
 */
int charge_record_failure(struct store *s, const struct tenant_rec *t,
			  const struct charge_failure *f, instant_t now,
			  struct charge_rec *ret, int *ret_created,
			  struct err *e);

/*
 * The provider's notification (a POST to /v1/psp/{tenant}/{provider}),
 * verified by the adapter, applied in its own transaction:
 *   CHARGE_PASS   not about a charge: hand it to psp_webhook as before;
 *   0             applied, or a replay that changed nothing;
 *   PSP_IGNORED   authentic, but about no charge dunwell knows or may
 *                 learn (no metadata naming the customer and invoice,
 *                 another tenant's): answer 200 so it is not resent;
 *   < 0           psp_webhook's errors (-ERR_INVALID: refuse with 400
 *                 and log; -ERR_NOTFOUND 404; -ERR_IO and the store's:
 *                 500 so the provider sends it again).
 * A failed try of a charge dunwell is waiting on moves its schedule; a
 * paid one becomes a payment (pay_receive, once by the provider's id); a
 * new payment method (the update flow) makes the customer's stopped or
 * waiting charges retry on the next business day. A notification whose
 * try was applied already changes nothing.
 */
int charge_webhook(struct store *s, const struct tenant_rec *t,
		   struct psp *psp, const struct psp_webhook_req *in,
		   instant_t now, struct err *e);

/* The failing charge of a case, for the customer's page. */
struct charge_notice {
	int64_t charge_id;       /* the charge */
	int64_t amount_minor;    /* what the charge asked */
	char currency[4];        /* its currency */
	char provider[16];       /* stripe | mollie */
	char status[16];         /* retrying | hard_declined | given_up */
	int hard;                /* the card or account cannot be used
				    again: ask for another */
	date_t failed_on;        /* the first failure */
	date_t next_attempt_on;  /* the next try, DATE_NONE when none */
	int attempts;            /* retries made */
	int can_update;          /* the provider's customer is known: the
				    update flow (charge_setup_start) works */
};

/* Whether case `case_id` has a charge that failed and is not settled
 * (retrying, hard_declined or given_up, its invoice still open):
 * *ret_found 1 and *ret the newest such charge, else *ret_found 0. */
int charge_failing(struct store *s, int64_t tenant_id, int64_t case_id,
		   struct charge_notice *ret, int *ret_found, struct err *e);

/*
 * Start the provider's "update payment method" page for the failing
 * charge of case `case_id` (Stripe: Checkout in mode=setup; Mollie: a
 * first payment of the currency's smallest unit that creates a mandate),
 * using the tenant's `checkout` setting. `return_url` is where the
 * provider sends the customer back (the case's page). *ret_url (cap
 * bytes) is the page to redirect to. -ERR_NOTFOUND when the case has no
 * failing charge or the provider's customer is unknown; the adapter's
 * errors otherwise. Makes a network call: not inside a transaction.
 */
int charge_setup_start(struct store *s, const struct tenant_rec *t,
		       int64_t case_id, const char *locale,
		       const char *return_url, instant_t now, char *ret_url,
		       size_t cap, struct err *e);

/* ---- for charge_run ------------------------------------------------------ */

/* The customer's local date at `now` and the calendar of their country
 * (NULL when dunwell has none: weekends only; free with cal_free). */
int charge_customer_day(struct store *s, const struct tenant_rec *t,
			int64_t customer_id, instant_t now, date_t *ret_today,
			struct cal **ret_cal, struct err *e);

/* Apply a try's outcome to charge `c` (as charge_webhook does for a
 * notification), inside the caller's transaction: nothing when
 * `attempt_id` was applied already; else success (pay_receive), failure
 * (charge_decide) or pending, the case events, and the charge written.
 * `payment_id` is the provider's id of the paying payment (Mollie: the
 * retry's own tr_), `at` when it happened (0: now). *ret_change (may be
 * NULL) says what happened. */
int charge_apply(struct store *s, const struct tenant_rec *t,
		 struct charge_rec *c, enum psp_status outcome,
		 const char *code, const char *payment_id,
		 const char *attempt_id, int64_t amount_minor, instant_t at,
		 instant_t now, enum charge_change *ret_change,
		 struct err *e);

/* Put a charge without a case on the customer's open case in its
 * currency, if there is one now, with the event charge.failed. */
int charge_attach_case(struct store *s, struct charge_rec *c, instant_t now,
		       struct err *e);

#endif
