/*
 * match: which open invoice or case a received payment pays, by the rules
 * of issue #7, as a pure function over an index the caller builds from the
 * store (open invoices, open cases, payer accounts and names seen before).
 *
 * Rules, in order; the first that finds something decides:
 *   rf             a valid ISO 11649 RF reference in the structured
 *                  reference (else anywhere in the unstructured text) whose
 *                  body is the id of an open case (compose makes the case
 *                  reference with rf_make("<case id>"));
 *   nl_ref         a Dutch 16-digit payment reference (betalingskenmerk,
 *                  weighted mod-11 check digit first) in the structured
 *                  reference equal to an invoice's payment reference;
 *   invoice_number an invoice number as a whole token (or run of tokens) of
 *                  the unstructured text, longest match first;
 *   amount_iban    the amount equals the open amount of exactly one open
 *                  invoice or case of the customer(s) the debtor IBAN was
 *                  seen paying for before;
 *   amount_name    the same for the customer(s) of the debtor's name
 *                  (case-folded, spaces collapsed), when the IBAN is unknown.
 * Several candidates, a currency other than the payment's, or a reference
 * that names something not open go to review with the candidates and a
 * reason: the module never guesses. Every lookup is a hash probe; the
 * unstructured text is scanned once, token by token. The module never
 * touches the store and never prints.
 */
#ifndef DUNWELL_MATCH_H
#define DUNWELL_MATCH_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "err.h"

/* Longest invoice number, payment reference, IBAN or name key (bytes). */
#define MATCH_KEY_MAX 256
/* Candidates kept in a result (more are counted, not kept). */
#define MATCH_CANDIDATES_MAX 8
#define MATCH_REASON_MAX 256

struct match_index; /* opaque */

/* An open invoice as the index needs it. */
struct match_invoice {
	int64_t id;                    /* invoice id */
	int64_t customer_id;           /* its customer */
	int64_t case_id;               /* the open case holding it, 0 if none */
	const char *number;            /* the tenant's invoice number */
	const char *payment_reference; /* NULL or "" when none */
	int64_t open_amount;           /* minor units still owed */
	const char *currency;          /* ISO 4217 code */
	date_t due_date;               /* DATE_NONE if unknown */
};

/* An open case (one customer, one currency). */
struct match_case {
	int64_t id;          /* case id: the body of its RF reference */
	int64_t customer_id; /* its customer */
	const char *currency;/* ISO 4217 code */
	int64_t open_total;  /* minor units still owed on the case */
};

/* A received payment, as read from a statement or any other source. Text
 * fields may be NULL. */
struct match_payment {
	int64_t amount;          /* minor units received (> 0) */
	const char *currency;    /* ISO 4217 code */
	const char *ref_strd;    /* structured creditor reference */
	const char *ustrd;       /* unstructured remittance text */
	const char *debtor_iban; /* payer's account */
	const char *debtor_name; /* payer's name */
};

enum match_kind {
	MATCH_NONE = 0, /* nothing points anywhere */
	MATCH_CASE,     /* pays the case case_id */
	MATCH_INVOICE,  /* pays the invoice invoice_id (and its customer's others) */
	MATCH_REVIEW,   /* a person decides: see candidates and reason */
};

enum match_target {
	MATCH_TARGET_INVOICE = 1, /* a candidate invoice */
	MATCH_TARGET_CASE,        /* a candidate case */
};

struct match_candidate {
	enum match_target target; /* invoice or case */
	int64_t id;               /* its id */
	int64_t customer_id;      /* its customer */
	int64_t case_id;          /* an invoice's open case (0 if none); a case's own id */
	int64_t open_amount;      /* its open amount (minor units) */
	char currency[4];         /* its currency */
	date_t due_date;          /* an invoice's due date; DATE_NONE for a case */
};

struct match_result {
	enum match_kind kind;   /* the outcome */
	const char *rule;       /* "rf", "nl_ref", "invoice_number", "amount_iban",
				   "amount_name"; NULL when no rule found anything */
	int64_t customer_id;    /* the customer, 0 when unknown or several */
	int64_t invoice_id;     /* MATCH_INVOICE: the invoice; else 0 */
	int64_t case_id;        /* MATCH_CASE: the case; else 0 */
	struct match_candidate candidates[MATCH_CANDIDATES_MAX]; /* for review; for
				   MATCH_INVOICE by invoice number every invoice named */
	size_t ncandidates;     /* entries used in candidates */
	size_t ncandidates_all; /* candidates found (may exceed the array) */
	char reason[MATCH_REASON_MAX]; /* why, for people ("" on a clean match) */
};

struct match_index *match_index_new(void);
void match_index_free(struct match_index *idx); /* NULL is fine */

/* Add to the index. -ERR_INVALID for a bad currency or empty number,
 * -ERR_TOOBIG for a key over MATCH_KEY_MAX, -ERR_CONFLICT for a case id
 * added twice. Strings are copied. */
int match_index_add_invoice(struct match_index *idx,
			    const struct match_invoice *inv, struct err *e);
int match_index_add_case(struct match_index *idx, const struct match_case *c,
			 struct err *e);
/* A payer account or name seen paying for a customer before (adding the
 * same pair twice is harmless). Invalid or empty keys are ignored. */
int match_index_add_payer_iban(struct match_index *idx, const char *iban,
			       int64_t customer_id, struct err *e);
int match_index_add_payer_name(struct match_index *idx, const char *name,
			       int64_t customer_id, struct err *e);

/* Match one payment. Always fills *ret (MATCH_NONE at worst); returns 0, or
 * -ERR_INVALID for a payment without a currency. */
int match_payment(const struct match_index *idx, const struct match_payment *p,
		  struct match_result *ret, struct err *e);

/* ---- Dutch payment reference (betalingskenmerk) ----------------------- */

/* The check digit of 15 digits d (weights 2,4,8,5,10,9,7,3,6,1 repeated
 * from the right; 11 - sum mod 11, 10 -> 1, 11 -> 0); -1 if d is not 15
 * digits. */
int match_nl_check_digit(const char *d);
/* 1 when s is a valid 16-digit reference (spaces between digits allowed). */
int match_nl_ref_valid(const char *s);

#endif
