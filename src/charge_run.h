/*
 * charge_run: the daily pass over a tenant's failed automatic charges
 * (part of `dunwell run`, after the engine and the plans; see charge.h).
 *
 * For every charge due a retry on the customer's local date (retry.c's
 * schedule: business days of the customer's country, never after a hard
 * decline) it asks the provider to charge again: Stripe confirms the
 * PaymentIntent again with the saved payment method (off_session);
 * Mollie creates a recurring payment on the customer's mandate. The
 * outcome is applied at once (a paid retry is a payment through
 * pay_receive; a decline moves the schedule or gives up), or, for a
 * direct debit still processing, when the provider's notification comes.
 * A charge whose invoice was paid or changed another way is not retried
 * (given up, with the reason). A charge that had no case yet joins the
 * customer's case once one is open.
 *
 * Each charge is two short transactions around the provider's call: the
 * try is marked first (attempts, awaiting), then its outcome written. The
 * call's idempotency key is the charge and its try number, so a pass
 * that stops half-way and runs again asks the provider for the same try,
 * never a second one. The provider's own notification of the same try
 * may come first: whichever arrives second changes nothing.
 */
#ifndef DUNWELL_CHARGE_RUN_H
#define DUNWELL_CHARGE_RUN_H

#include "date.h"
#include "err.h"
#include "store.h"

struct charge_run_stats {
	long looked;      /* charges looked at */
	long retried;     /* retries asked of the provider */
	long succeeded;   /* of them paid */
	long failed;      /* of them declined (retried later or given up) */
	long pending;     /* of them waiting for the provider's answer */
	long given_up;    /* charges given up today */
	long errors;      /* retries the provider could not be asked for
			     (tried again at the next pass) */
	char last_error[256]; /* why the last of those failed, "" none */
};

/* The pass for one tenant at `now`. Charges the provider could not be
 * asked about are counted in ret->errors and left for the next pass;
 * other failures (the store's) stop the pass with an error. */
int charge_run_tenant(struct store *s, const struct tenant_rec *t,
		      instant_t now, struct charge_run_stats *ret,
		      struct err *e);

#endif
