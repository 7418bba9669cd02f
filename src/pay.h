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
#include "tz.h"

/* Lower the open amounts of the customer's invoices by `amount` minor
 * units of `currency`, `first_invoice` (0 = none) first. *ret_left gets
 * what no open invoice took (an overpayment). */
int pay_allocate(struct store *s, int64_t tenant_id, int64_t customer_id,
		 const char *currency, int64_t first_invoice, int64_t amount,
		 int64_t *ret_left, struct err *e);

/* What receiving one payment did. */
struct pay_result {
	int recorded;          /* 0: its id was known already: nothing done */
	int64_t left_minor;    /* what neither open invoices nor fees took:
				  kept as the customer's credit */
	int64_t fees_minor;    /* what it paid of the case's reminder fees */
	int64_t case_id;       /* the open case it went to, 0 when none */
	int invoices_paid;     /* invoices it settled in full */
	int case_resolved;     /* the case is paid and closed now */
};

/*
 * Receive a payment (the API, a provider's webhook, the portal's test
 * provider, a bank statement), inside the caller's transaction: record it
 * once by its external id, allocate it (pay_allocate) and to the open
 * case's reminder fees (before the invoices when the tenant's profile says
 * fees_first, else after them), keep what is left as the customer's credit
 * (payments.unallocated_minor), and let everything
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

/* One case a payment of a batch went to. */
struct pay_batch_case {
	int64_t case_id;       /* the open case */
	int64_t customer_id;   /* its customer */
	char *external_id;     /* the payment's external id (owned) */
	int64_t amount_minor;  /* the payment's amount */
	int paid_some;         /* the payment lowered an open invoice */
	size_t seq;            /* order of arrival in the batch */
	int resolved;          /* pay_batch_finish: the case resolved */
};

/* What a batch knows of a customer's open case in one currency; valid
 * while the batch lasts, because nothing but the batch's own payments
 * changes cases or plans until pay_batch_finish runs the engine. */
struct pay_batch_open {
	int64_t customer_id;   /* key, with currency; 0: a free slot */
	char currency[4];      /* key */
	int valid;             /* 0: forgotten (pay_batch_touch): look again */
	int found;             /* the customer has an open case in it */
	struct case_rec kase;  /* that case (strategy not kept) */
	int no_plan;           /* the case was seen without an active plan */
};

/*
 * Payments received together (a bank statement): what pay_receive does
 * after allocating — the engine run, the check whether the case resolved
 * and the thank-you — is deferred to pay_batch_finish, which runs the
 * engine once for all the customers touched (run_customers). Zero it with
 * pay_batch_init; free it with pay_batch_clear.
 */
struct pay_batch {
	int64_t *customers;            /* customers to run, repeats allowed */
	size_t n_customers, cap_customers; /* used, allocated */
	struct pay_batch_case *cases;  /* one per payment that went to a case */
	size_t n_cases, cap_cases;     /* used, allocated */
	struct tz_cache *zones;        /* customers' zones, loaded once */
	struct pay_batch_open *open;   /* hash table by customer, currency */
	size_t cap_open, n_open;       /* slots (a power of two), used */
	int policy_loaded;             /* fees_first is read */
	int fees_first;                /* the tenant's payment order */
};

void pay_batch_init(struct pay_batch *b);
void pay_batch_clear(struct pay_batch *b);

/* Have the engine run for `customer_id` at the finish (something other
 * than a payment changed what it owes, e.g. a reversal); what the batch
 * remembered of the customer's cases and plans is read again. */
void pay_batch_touch(struct pay_batch *b, int64_t customer_id);

/* pay_receive without the engine run, the resolved check and the
 * thank-you, which pay_batch_finish does for the whole batch;
 * ret->case_resolved stays 0. Inside the caller's transaction. */
int pay_receive_batch(struct store *s, const struct tenant_rec *t,
		      const struct payment_rec *p, instant_t now,
		      struct pay_batch *b, struct pay_result *ret,
		      struct err *e);

/* Run the engine once for every customer of the batch, then, for each
 * case a payment went to that resolved, queue one thank-you to its
 * customer, keyed by the payment that completed it (the last one that
 * paid something off; the last one when none did). Sets each case's
 * `resolved`. Inside the caller's transaction; clear the batch after. */
int pay_batch_finish(struct store *s, const struct tenant_rec *t,
		     struct pay_batch *b, instant_t now, struct err *e);

#endif
