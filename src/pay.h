/*
 * pay: applying a received payment to a customer's open invoices.
 *
 * The one place that decides which invoices a payment settles, used by the
 * CSV import and the demo (and by the payment sources of issue #7): the
 * invoice the payment names first, then the customer's other open invoices
 * in the same currency, oldest due date first. It never records the
 * payment itself; callers insert it (once, by its external id) first.
 */
#ifndef DUNWELL_PAY_H
#define DUNWELL_PAY_H

#include <stdint.h>

#include "date.h"
#include "err.h"
#include "store.h"

/* Lower the open amounts of the customer's invoices by `amount` minor
 * units of `currency`, `first_invoice` (0 = none) first. *ret_left gets
 * what no open invoice took (an overpayment). */
int pay_allocate(struct store *s, int64_t tenant_id, int64_t customer_id,
		 const char *currency, int64_t first_invoice, int64_t amount,
		 int64_t *ret_left, struct err *e);

/* What receiving one payment did. */
struct pay_result {
	int recorded;          /* 0: its id was known already: nothing done */
	int64_t left_minor;    /* what no open invoice took (a credit) */
	int64_t case_id;       /* the open case it went to, 0 when none */
	int invoices_paid;     /* invoices it settled in full */
	int case_resolved;     /* the case is paid and closed now */
};

/*
 * Receive a payment (the API, a provider's webhook, the portal's test
 * provider, a bank statement), inside the caller's transaction: record it
 * once by its external id, allocate it (pay_allocate), and let everything
 * downstream react at once: an event per invoice paid in full
 * (invoice.paid) and for the payment (payment.received) in the case's
 * log, an instalment plan's progress (completed, or held until its next
 * instalment could break it), the engine run for the customer (a paid
 * case resolves: case.resolved and, when the service was restricted,
 * service.restore), and a thank-you queued to the customer. A payment
 * whose id was recorded before changes nothing (ret->recorded = 0).
 */
int pay_receive(struct store *s, const struct tenant_rec *t,
		const struct payment_rec *p, instant_t now,
		struct pay_result *ret, struct err *e);

#endif
