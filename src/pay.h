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

/* An open invoice as allocation sees it: the batch keeps a customer's in
 * memory, lowers them as payments arrive and writes them back once
 * (pay_batch_sync). */
struct pay_invoice {
	int64_t id;            /* the invoice */
	int64_t amount_minor;  /* its full amount (invoice.paid's detail) */
	int64_t open_minor;    /* still owed; lowered by allocation */
	date_t due_date;       /* allocation order: due date, then id */
	int dirty;             /* open_minor changed since it was read */
};

/* What a batch knows of a customer's money in one currency: the open
 * case and the open invoices; valid while the batch lasts, because
 * nothing but the batch's own payments changes cases, plans or invoices
 * until pay_batch_finish runs the engine (pay_batch_sync and
 * pay_batch_touch around anything else that does). */
struct pay_batch_open {
	int64_t customer_id;   /* key, with currency; 0: a free slot */
	char currency[4];      /* key */
	int valid;             /* 0: forgotten (pay_batch_touch): look again */
	int found;             /* the customer has an open case in it */
	struct case_rec kase;  /* that case (strategy not kept; preloaded:
				  ids, currency and fees only) */
	int no_plan;           /* the case was seen without an active plan */
	struct pay_invoice *inv; /* the open invoices, by due date and id
				    (read with the case, or preloaded) */
	size_t n_inv, cap_inv; /* used, allocated */
	int dirty;             /* some invoice's open amount is unwritten */
};

/*
 * Payments received together (a bank statement): what pay_receive does
 * after allocating — the engine run, the check whether the case resolved
 * and the thank-you — is deferred to pay_batch_finish, which runs the
 * engine once for all the customers touched (run_customers). The new open
 * amounts of invoices are kept in memory and written at the finish (or by
 * pay_batch_sync). Zero it with pay_batch_init; free it with
 * pay_batch_clear.
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
	int preloaded;                 /* pay_batch_preload_done: every open
					  case and invoice is in the table,
					  so a key not there has none */
	int64_t *plan_cases;           /* preloaded: the cases with an
					  active plan, sorted */
	size_t n_plan_cases;           /* their number */
	size_t n_dirty;                /* entries with unwritten invoices */
	int64_t tenant_id;             /* the tenant (set by the first
					  payment; what pay_batch_sync
					  writes belongs to it) */
};

void pay_batch_init(struct pay_batch *b);
void pay_batch_clear(struct pay_batch *b);

/* Have the engine run for `customer_id` at the finish (something other
 * than a payment changed what it owes, e.g. a reversal); what the batch
 * remembered of the customer's cases, plans and invoices is read again.
 * Whatever changed them must have called pay_batch_sync first. */
void pay_batch_touch(struct pay_batch *b, int64_t customer_id);

/* Write the open amounts the batch lowered (before anything else reads
 * or writes invoices inside the batch's transaction). */
int pay_batch_sync(struct store *s, struct pay_batch *b, struct err *e);

/*
 * Preloading (optional): hand the batch every open invoice and open case
 * of the tenant, read inside the batch's transaction, before the first
 * payment (a statement's match index reads them anyway); then
 * pay_batch_preload_done, after which a customer and currency not handed
 * over has no open case and no open invoice. Use it only where the store
 * keeps those rows from changing under the batch until the transaction
 * ends (store_statement_rows_held); else the batch reads (and locks)
 * each customer's at first use.
 */
void pay_batch_preload_invoice(struct pay_batch *b, int64_t customer_id,
			       const char *currency,
			       const struct pay_invoice *inv);
void pay_batch_preload_case(struct pay_batch *b, const struct case_rec *k);
/* Sort what was handed over, and read which cases have an active plan. */
int pay_batch_preload_done(struct store *s, const struct tenant_rec *t,
			   struct pay_batch *b, struct err *e);

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
