/*
 * statement: importing a bank statement (camt.053, camt.054) into the
 * store: `dunwell import statement FILE` (issue #7, docs/statements.md).
 *
 * The whole file is one transaction: any parse error, anywhere, and
 * nothing is written (the message names file:line). The matcher's index
 * (match.h) is built once from the store; then every entry, in document
 * order, is recorded once by its bank reference and status (an entry
 * already recorded is a duplicate and changes nothing) with what it did:
 *   - a booked credit that matches a case or an invoice is a payment
 *     (pay_receive, external id "bank:<bank_ref>"), and the payer's
 *     account is remembered for the customer;
 *   - one that is ambiguous or matches nothing goes to the review queue
 *     with the candidates and the reason: never guessed;
 *   - a reversal (RvslInd) or a returned direct debit undoes the payment
 *     it names (by end-to-end id, else the one payment of the same amount
 *     in the same statement), else goes to review;
 *   - debits and entries not booked are recorded as ignored.
 * The module decides; the store only stores. It never prints.
 */
#ifndef DUNWELL_STATEMENT_H
#define DUNWELL_STATEMENT_H

#include <stdint.h>

#include "date.h"
#include "err.h"
#include "store.h"

/* What an import did. */
struct statement_stats {
	long entries;      /* entries read (one per transaction of a batch) */
	long payments;     /* recorded as payments */
	int64_t amount;    /* their total, minor units of `currency` */
	char currency[4];  /* the payments' currency; "" when none or mixed */
	int mixed;         /* payments in more than one currency (amount is
			      then a plain sum of minor units) */
	long review;       /* sent to review: ambiguous, or a reversal of
			      nothing known */
	long unmatched;    /* nothing pointed anywhere (also in review) */
	long duplicates;   /* recorded by an earlier import: unchanged */
	long reversals;    /* payments undone */
	long ignored;      /* debits, entries not booked */
	long customers_run;/* customers the engine ran for after reversals */
};

/* Import the statement at `path` for tenant `t` at instant `now`, in one
 * transaction of its own. On failure nothing is written, *ret is
 * untouched and `e` names the file and line where it can. */
int statement_import(struct store *s, const struct tenant_rec *t,
		     const char *path, instant_t now,
		     struct statement_stats *ret, struct err *e);

#endif
