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

#include "err.h"
#include "store.h"

/* Lower the open amounts of the customer's invoices by `amount` minor
 * units of `currency`, `first_invoice` (0 = none) first. *ret_left gets
 * what no open invoice took (an overpayment). */
int pay_allocate(struct store *s, int64_t tenant_id, int64_t customer_id,
		 const char *currency, int64_t first_invoice, int64_t amount,
		 int64_t *ret_left, struct err *e);

#endif
