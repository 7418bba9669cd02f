/*
 * store: the single source of truth, behind one interface.
 *
 * A `struct store_backend` is a table of function pointers, one per
 * operation; store_sqlite.c implements it today and store_pg.c will
 * implement the same table. The backend is chosen by the target's name at
 * start-up (a path means SQLite, "postgres://..." PostgreSQL). Callers use
 * the store_* wrappers below, never the table directly: the wrappers are the
 * one place for tracing, counting and fault injection (DUNWELL_FAULT_STORE=N
 * fails the Nth write, which the crash tests use).
 *
 * All SQL lives in the backends. Backends store and fetch; they never
 * decide. Every row carries its tenant; every query is scoped by tenant.
 * Records passed in are borrowed; records handed out own their strings,
 * freed by the matching *_free or by the arena they were loaded into.
 */
#ifndef DUNWELL_STORE_H
#define DUNWELL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "channel.h"
#include "date.h"
#include "engine.h"
#include "err.h"

#define STORE_ID_MAX 128   /* external ids: bytes */
#define STORE_TEXT_MAX 512 /* names, addresses, references: bytes */
#define STORE_URL_MAX 1024 /* web addresses (an invoice's copy): bytes */

struct store; /* an open store: backend + connection */

struct tenant_rec {
	int64_t id;
	char *slug;        /* short unique name used on the command line */
	char *name;        /* display name */
	char *timezone;    /* default for customers without one */
	char *locale;      /* default for customers without one */
};

/* One way to reach a customer. */
struct contact_rec {
	enum channel channel;
	char *address;     /* e-mail address, phone number, postal address... */
	int consent;       /* the customer agreed to be contacted this way */
	int preference;    /* 1 = most preferred */
};

struct customer_rec {
	int64_t id;
	int64_t tenant_id;
	char *external_id;     /* the tenant's id for the customer */
	char *name;
	char *locale;          /* BCP 47, e.g. "nl-BE" */
	char *timezone;        /* IANA zone */
	char *country;         /* ISO 3166 alpha-2 or "" */
	char *segments;        /* space-separated tags */
	int vulnerable;
	int do_not_contact;
	int deceased;
	int plain_language;    /* short sentences, everyday words */
	date_t moratorium_until; /* DATE_NONE when none */
	date_t customer_since;   /* DATE_NONE when unknown */
	struct contact_rec *contacts; /* owned */
	size_t n_contacts;
};

struct invoice_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t customer_id;
	char *external_id;
	char *number;          /* as printed on the invoice */
	date_t issue_date;
	date_t due_date;
	int64_t amount_minor;
	int64_t open_minor;
	char currency[4];
	char *payment_reference; /* structured reference, "" when none */
	int disputed;
	int written_off;       /* dunning gave up on it */
	char *document_url;    /* a copy of the invoice (https://), "" when
				  the tenant gives none */
};

struct payment_rec {
	int64_t id;
	int64_t tenant_id;
	char *external_id;     /* the payment's own id (bank reference, PSP id) */
	int64_t customer_id;
	int64_t invoice_id;    /* 0 when not allocated to one invoice */
	int64_t amount_minor;
	char currency[4];
	date_t paid_on;
	char *method;          /* "bank_transfer", "card", ... */
};

struct case_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t customer_id;
	char currency[4];
	int64_t strategy_version; /* the strategy set version the case keeps */
	char *strategy;           /* the strategy's name within that version */
	struct engine_case st;    /* status, anchor, step, hold, fees */
	date_t closed_on;         /* DATE_NONE while open */
	int64_t fees_paid_minor;  /* what payments paid of st.fees_minor */
};

/* The fees a case still asks for: charged less paid (never below 0). */
static inline int64_t case_fees_open(const struct case_rec *k)
{
	return k->st.fees_minor > k->fees_paid_minor ?
		       k->st.fees_minor - k->fees_paid_minor : 0;
}

/* An action is identified by (tenant, case, step, kind, channel). */
struct action_rec {
	int64_t tenant_id;
	int64_t case_id;
	int64_t customer_id;
	const char *step;         /* step id */
	enum action_kind kind;
	const char *channel;      /* channel name; "" for non-contact kinds */
	const char *fallbacks;    /* comma-separated channel names or "" */
	date_t due_on;            /* the step's date */
	date_t decided_on;        /* the customer's local date of the decision */
	instant_t decided_at;     /* the run's instant */
	int64_t amount_minor;
	char currency[4];
	const char *template_id;  /* "" when none */
	const char *tone;         /* "" when none */
	const char *end_action;   /* "" when none */
	const char *reason;       /* "" when none */
	const char *status;       /* "queued" for contacts, "done" otherwise */
};

struct event_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t case_id;
	instant_t at;
	const char *kind;         /* "case.opened", "case.resolved", ... */
	const char *detail;       /* short JSON object, "{}" when none */
};

struct strategy_version_rec {
	int64_t id;
	int64_t tenant_id;
	int version;              /* 1, 2, ... per tenant */
	char *source;             /* the file name it came from */
	char *yaml;               /* the full text */
	int active;
	instant_t created_at;
};

/* What the engine needs for a range of customers, loaded in one go. */
struct work_customer {
	struct customer_rec c;     /* contacts sorted by preference; name and
				      locale are not loaded (NULL) */
	struct invoice_rec *invoices; /* open invoices, by currency then due */
	size_t n_invoices;
	struct case_rec *cases;    /* open cases */
	size_t n_cases;
	date_t *contacts;          /* recent contact dates, ascending */
	size_t n_contacts;
};

struct work_set {
	struct arena *arena;       /* owns everything below */
	struct work_customer *customers; /* ascending id */
	size_t n_customers;
};

/* A row of a case's timeline, in order of time. */
struct history_rec {
	instant_t at;
	date_t on;                 /* the local date it concerns */
	const char *what;          /* "event" or "action" */
	const char *kind;
	const char *step;
	const char *channel;
	int64_t amount_minor;
	const char *currency;
	const char *detail;        /* event detail or action reason/status */
};

/* A message in the outbox (migration 0005): one action on one channel. */
struct message_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t case_id;
	int64_t customer_id;
	char *step;            /* the action's step id */
	char *channel;         /* channel name */
	char *fallbacks;       /* channels left to try, comma-separated */
	char *template_id;
	char *tone;
	char *status;          /* queued|sent|delivered|failed|bounced|
				  cancelled|dead */
	instant_t not_before;  /* not handed over before this instant */
	int attempts;          /* hand-overs tried */
	instant_t lease_until; /* 0 when nobody holds it */
	char *lease_owner;     /* who holds it, "" when nobody */
	char *idempotency_key; /* given to the provider on every try */
	char *provider;        /* adapter scheme that carried it */
	char *provider_id;     /* the provider's id for it, "" when none */
	char *last_error;
	char *link_hash;       /* SHA-256 hex of the link token it carried */
	instant_t created_at;
	instant_t sent_at;     /* 0 until handed over */
};

/* A message sent to a customer lately (contact policy at send time). */
struct sent_rec {
	instant_t sent_at;
	int64_t case_id;
	char *step;
};

/* One of a tenant's settings (src/profile.c knows the keys). */
struct setting_rec {
	char *key;
	char *value;
};

/* An API key (migration 0006) as listed: never the key, nor its hash. */
struct apikey_rec {
	int64_t id;
	int64_t tenant_id;     /* the only tenant the key reaches */
	char *prefix;          /* 8 characters of the token, shown to tell
				  keys apart */
	char *scopes;          /* space-separated: "read write admin" */
	instant_t created_at;
	instant_t revoked_at;  /* 0 while the key works */
};

/* The record of one Idempotency-Key (migration 0006). */
struct idem_rec {
	char *request_hash;    /* SHA-256 hex of method, path and body */
	int status;            /* the stored answer's status; 0 in flight */
	char *response_body;   /* the stored answer's body ("" in flight) */
	instant_t created_at;  /* when the first request came */
};

/* A webhook endpoint of the tenant (migration 0007). */
struct webhook_endpoint_rec {
	int64_t id;
	int64_t tenant_id;
	char *url;             /* where events are POSTed */
	char *secret;          /* the HMAC key ("whsec_...") */
	char *events;          /* space-separated event names, or "*" */
	int active;            /* 0: nothing new is queued for it */
	int64_t cursor;        /* last case_events id turned into deliveries */
	int64_t cursor_order;  /* ... and its commit order (webhook_event_rec) */
	instant_t created_at;
};

/* A case event as a webhook needs it (migration 0007). */
struct webhook_event_rec {
	int64_t id;            /* the case_events id */
	int64_t order;         /* its commit order: the writing transaction
				  on PostgreSQL, the id on SQLite (events are
				  read by (order, id)) */
	int64_t case_id;
	instant_t at;
	char *kind;            /* our kind: "case.opened", "message.sent" */
	char *detail;          /* its JSON detail */
	char *customer;        /* the tenant's external id of the customer */
};

/* One event on its way to one endpoint (migration 0007). */
struct webhook_delivery_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t endpoint_id;
	int64_t event_id;      /* the case_events row */
	char *kind;            /* the event name sent */
	char *payload;         /* the JSON body, exactly as sent */
	char *status;          /* queued|delivered|failed|dead */
	int attempts;          /* POSTs tried */
	instant_t not_before;  /* not POSTed before this instant */
	char *last_error;      /* "" when none */
	int response_status;   /* last HTTP status, 0 when none */
	instant_t created_at;
	instant_t delivered_at; /* 0 until delivered */
	char *url;             /* claim only: the endpoint's URL */
	char *secret;          /* claim only: the endpoint's secret */
};

/* A personal link (migrations 0005, 0009): the customer's only credential
 * for their page. */
struct link_rec {
	int64_t tenant_id;
	int64_t case_id;
	int64_t customer_id;
	instant_t created_at;
	instant_t expires_at;  /* the link stops working then */
	instant_t revoked_at;  /* 0 while it works */
	char csrf_key[65];     /* hex key of the page's form tokens; "" until
				  the first visit makes one */
};

/* One instalment of a plan (migration 0009). */
struct plan_instalment_rec {
	int n;                 /* 1, 2, ... */
	date_t due_on;
	int64_t amount_minor;
};

/* An instalment plan (migration 0009). */
struct plan_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t case_id;
	int64_t customer_id;
	char currency[4];
	int64_t total_minor;   /* the debt the plan spreads */
	int months;            /* instalments */
	int day_of_month;      /* the customer's day (31 = the month's last) */
	int64_t paid_minor;    /* paid towards the plan so far */
	char status[16];       /* active | completed | broken | cancelled */
	char source[16];       /* portal | agent | api */
	instant_t created_at;
	instant_t ended_at;    /* 0 while active */
	struct plan_instalment_rec *instalments; /* owned; by n */
	size_t n_instalments;
};

/* A customer's request for a person (migration 0009): help, a call back,
 * a dispute. */
struct request_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t case_id;
	int64_t customer_id;
	char kind[16];         /* help | callback | dispute */
	char *reason;          /* a category, "" when none */
	char *message;         /* the customer's own words, "" when none */
	char *contact_via;     /* how they want to be reached, "" = any */
	instant_t callback_at; /* callback: when; 0 otherwise */
	int64_t invoice_id;    /* dispute: the invoice; 0 otherwise */
	char status[8];        /* open | done */
	instant_t created_at;
};

/* A payment started at a provider's hosted checkout (migration 0009). */
struct checkout_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t case_id;
	char provider[16];     /* test | mollie | stripe */
	char *provider_id;     /* the provider's payment or session id */
	int64_t amount_minor;
	char currency[4];
	char status[16];       /* open | paid | failed | canceled | expired */
	instant_t created_at;
	instant_t updated_at;
};

/* ---- bank statements (migration 0010) ---- */

/* An open invoice as the statement matcher needs it (borrowed for the
 * callback only). */
struct stmt_invoice_row {
	int64_t id;
	int64_t customer_id;
	int64_t case_id;           /* the open case of its customer and
				      currency; 0 when none */
	const char *number;        /* the tenant's invoice number */
	const char *payment_reference; /* "" when none */
	int64_t open_minor;        /* still owed */
	char currency[4];
	date_t due_date;
	int64_t amount_minor;      /* its full amount */
};

/* An open case as the matcher needs it. */
struct stmt_case_row {
	int64_t id;
	int64_t customer_id;
	char currency[4];
	int64_t open_minor;        /* its open invoices plus its fees: what
				      the customer was asked to pay */
	int64_t fees_minor;        /* its fees charged */
	int64_t fees_paid_minor;   /* of which paid */
};

/* An account seen paying for a customer (borrowed for the callback). */
struct stmt_payer_row {
	int64_t customer_id;
	const char *iban;
	const char *name;          /* "" when none */
};

/* What store_statement_index hands over, row by row; each returns 0 to go
 * on or a negative code (with e set) to stop the load with it. */
struct stmt_index_cb {
	int (*invoice)(void *ctx, const struct stmt_invoice_row *r,
		       struct err *e);
	int (*kase)(void *ctx, const struct stmt_case_row *r, struct err *e);
	int (*payer)(void *ctx, const struct stmt_payer_row *r,
		     struct err *e);
	void *ctx;                 /* passed to each */
};

/* One statement entry as recorded (strings borrowed; NULL reads as ""). */
struct statement_entry_rec {
	int64_t tenant_id;
	const char *bank_ref;      /* the import key, with status */
	const char *status;        /* "BOOK", "PDNG", ... */
	const char *statement_id;  /* Stmt/Id or Ntfctn/Id */
	date_t booked_on;          /* DATE_NONE when none */
	int64_t amount_minor;      /* >= 0 */
	char currency[4];
	int credit;                /* 1 money in, 0 money out */
	int reversal;              /* RvslInd */
	int returned;              /* a returned payment (RtrInf) */
	const char *return_reason; /* "MD06", ... */
	const char *debtor_name;
	const char *debtor_iban;
	const char *reference;     /* structured creditor reference */
	const char *unstructured;  /* at most 2240 bytes */
	const char *end_to_end_id;
	const char *outcome;       /* payment|review|unmatched|reversal|ignored */
	const char *payment_external_id; /* NULL when no payment was written */
	int64_t case_id;           /* 0 for NULL, as the ids below */
	int64_t invoice_id;
	int64_t customer_id;
	int64_t reverses_id;       /* a reversal: the entry undone */
	int64_t credit_minor;      /* a payment's unallocated part */
	const char *rule;          /* the match rule, "" when none */
	const char *reason;        /* for people, "" when none */
	instant_t created_at;
};

/* A payment entry that a reversal or a return may undo. */
struct stmt_paid_rec {
	int64_t id;                /* the entry */
	int64_t customer_id;
	int64_t case_id;           /* 0 when none */
	int64_t invoice_id;        /* the invoice it named, 0 when none */
	int64_t amount_minor;
	int64_t credit_minor;      /* what it left unallocated */
	char currency[4];
	date_t booked_on;
};

/* ---- the team's console (migration 0011) ---- */

#define STORE_NOTE_MAX 4000     /* a case note's body: bytes */

/* An operator: one of the company's people using the console. */
struct operator_rec {
	int64_t id;
	int64_t tenant_id;
	char *email;           /* lower-case; the login name */
	char *name;            /* shown to colleagues */
	char role[16];         /* agent | manager | admin */
	int disabled;          /* 1: cannot log in, sessions refused */
	instant_t created_at;
};

/* A logged-in browser (the token itself is only ever in its cookie). */
struct operator_session_rec {
	char token_hash[65];   /* SHA-256 hex of the session token */
	int64_t tenant_id;
	int64_t operator_id;
	char csrf_key[65];     /* hex key of the session's form tokens */
	instant_t created_at;
	instant_t last_seen;   /* the last request, to the minute */
	instant_t expires_at;  /* absolute end */
};

/* A note an operator wrote on a case. */
struct case_note_rec {
	int64_t id;            /* set by the store */
	int64_t tenant_id;
	int64_t case_id;
	int64_t operator_id;   /* the author */
	char *body;            /* at most STORE_NOTE_MAX bytes */
	instant_t created_at;
	char *author;          /* read only: the author's name ("" when
				  unknown); ignored when adding */
};

/* One thing in the agents' queue that needs a person (store_queue). */
struct queue_item {
	int rank;              /* urgency, 1 = most urgent (see store_queue) */
	char kind[16];         /* help | callback | dispute | vulnerable |
				  broken_plan | payment_review |
				  handed_to_agent */
	int64_t case_id;       /* 0 for payment_review (no case yet) */
	int64_t customer_id;   /* 0 when not known (payment_review) */
	char *customer;        /* the tenant's external id, "" when none */
	char *customer_name;   /* the customer's name; for payment_review
				  the payer's name on the bank entry */
	instant_t since;       /* when it started needing a person: the
				  request, the case's opening, the plan's
				  break, the review item, the hand-over */
	instant_t callback_at; /* callback: the time asked for; else 0 */
	int64_t open_minor;    /* the customer's open invoices in the
				  case's currency; payment_review: the
				  entry's amount */
	char currency[4];      /* "" when unknown */
	int64_t request_id;    /* help, callback, dispute: the request */
	int64_t review_id;     /* payment_review: the review item */
};

/* ---- reports (migration 0014) ---- */

/* One rolled-up figure of a tenant's reports (report_rows). What the
 * numbers mean depends on `report`:
 *   step, channel, tone  cases grouped by the last contact decided for
 *                        them (key "" = none yet): cases, cured
 *                        (resolved), amount recovered on them
 *   segment, strategy    the same, by the customer's segment tags (a
 *                        case counts once per tag) or the case's strategy
 *   portal               key visited | visit_days | paid | plan |
 *                        postponed | help: cases (visit days) counted
 *   dso                  key open (open receivables) | sales90 (invoiced
 *                        in the 90 days up to as_of): amount, cases =
 *                        invoices
 *   aging                open invoices by days past due, bucket 0..4 =
 *                        not due, 1-30, 31-60, 61-90, over 90: amount
 *                        open, cases = invoices
 *   cohort               key 'YYYY-MM' (the month invoices fell due):
 *                        bucket -1 the cohort's amount due (cases =
 *                        invoices); bucket 0, 7, ..., 84, 90: amount
 *                        paid on them by then since the previous bucket
 */
struct report_row {
	char report[16];       /* which figure (above) */
	char *key;             /* the group (owned) */
	char currency[4];      /* "" for plain counts */
	int bucket;            /* aging band, cohort days; else 0 */
	int64_t cases;         /* cases (or invoices, visit days) */
	int64_t cured;         /* of them resolved */
	int64_t amount_minor;  /* amount in `currency` */
};

/* When a tenant's report rows were last rebuilt. */
struct report_info {
	date_t as_of;          /* the date the figures are for; DATE_NONE
				  when never refreshed */
	instant_t refreshed_at; /* when; 0 when never */
};

/* ---- automatic charges (migration 0013) ---- */

/* A failed automatic charge at a payment provider and its retries (see
 * charge.h). Strings are owned when handed out by the store. */
struct charge_rec {
	int64_t id;
	int64_t tenant_id;
	int64_t customer_id;
	int64_t invoice_id;    /* the invoice the charge was for */
	int64_t case_id;       /* the case holding it, 0 until one does */
	char provider[16];     /* stripe | mollie */
	char *payment_id;      /* the provider's charge: pi_... / tr_... */
	char *customer_ref;    /* the provider's customer, "" unknown */
	char *mandate_ref;     /* payment method / mandate, "" unknown */
	int64_t amount_minor;
	char currency[4];
	char status[16];       /* failed | retrying | succeeded | given_up |
				  hard_declined */
	char *failure_code;    /* the provider's decline code, "" none */
	char decline_class[8]; /* soft | hard */
	int attempts;          /* retries made so far */
	date_t failed_on;      /* the first failure: the schedule's anchor */
	date_t next_attempt_on; /* the next retry, DATE_NONE when none */
	char *attempt_id;      /* the latest retry's provider id, "" none */
	char *attempt_refs;    /* provider ids of the tries applied,
				  space-separated (replays change nothing) */
	int awaiting;          /* a retry was sent, its outcome unknown */
	instant_t created_at;
	instant_t updated_at;
};

/* ---- experiments (migration 0015) ---- */

/* One variant of one experiment in one currency, aggregated over its
 * cases (store_experiment_stats). Amounts are minor units of `currency`;
 * sums of squares are doubles (they outgrow int64). */
struct experiment_stat_rec {
	char *experiment_id;   /* the rule's experiment id */
	int variant;           /* index in the rule's variants, 0 = champion */
	char *strategy;        /* the variant's strategy */
	char currency[4];      /* the cases' currency */
	int64_t cases;         /* cases put in this variant */
	int64_t resolved;      /* of which resolved (paid) */
	int64_t amount_sum;    /* payments while the cases were open */
	double amount_sumsq;   /* sum over cases of (paid in the case)^2 */
	double days_sum;       /* resolved cases: days from opening to close */
	double days_sumsq;     /* ... squared, summed */
	int64_t messages;      /* messages that went out (sent_at set) */
	int64_t opt_outs;      /* cases whose customer is do-not-contact now */
	int64_t help;          /* cases with a help or call-back request */
};

/* A strategy version saved or activated in the console. */
struct strategy_change_rec {
	int version;           /* strategy_versions.version */
	char action[16];       /* saved | activated */
	int64_t operator_id;   /* who */
	char *operator_name;   /* their name ("" when unknown) */
	instant_t at;          /* when */
};

/* ---- payment review (console) ---- */

/* A review item of the payment review page, with its statement entry
 * (store_review_get). Strings are owned (review_rec_clear). */
struct review_rec {
	int64_t id;            /* the review item */
	int64_t entry_id;      /* its statement entry */
	char *reason;          /* why a person decides */
	char *candidates;      /* JSON array (0010_statements.sql) */
	char status[8];        /* open | done */
	instant_t created_at;  /* when it was queued */
	instant_t resolved_at; /* when it was done, 0 while open */
	char *bank_ref;        /* the entry's import key */
	char *statement_id;    /* the statement it came in */
	date_t booked_on;      /* DATE_NONE when none */
	int64_t amount_minor;  /* the entry's amount (>= 0) */
	char currency[4];      /* its currency */
	int credit;            /* 1 money in, 0 money out */
	int undoes;            /* a reversal or a returned payment */
	char *debtor_name;     /* "" when none */
	char *debtor_iban;     /* "" when none */
	char *reference;       /* structured creditor reference, "" */
	char *unstructured;    /* remittance text, "" */
	char *outcome;         /* review | unmatched | payment | ignored ... */
	int64_t customer_id;   /* the customer the matcher found, 0 */
};

/* Where a payment under review might go (store_review_target): an invoice
 * or a case as it is now, with its customer. Strings are owned
 * (review_target_clear). */
struct review_target {
	int64_t invoice_id;    /* the invoice; 0 for a case */
	int64_t case_id;       /* the case, or the invoice's open case (0) */
	int64_t customer_id;   /* its customer */
	char *customer;        /* the customer's external id */
	char *customer_name;   /* the customer's name */
	char *number;          /* the invoice's number, "" for a case */
	int64_t open_minor;    /* still owed now: the invoice's open amount;
				  a case's open invoices plus its open fees */
	char currency[4];      /* the invoice's or case's currency */
	date_t due_date;       /* the invoice's due date; a case's oldest
				  open invoice's (DATE_NONE when none) */
	int open;              /* 1: still open (invoice: open, not written
				  off; case: status open) */
};

struct store_stats {
	int64_t tenants, customers, invoices, open_invoices, payments,
		cases_open, cases_closed, actions, events;
};

/* Callback for listing: return non-zero to stop. */
typedef int (*store_history_cb)(void *ctx, const struct history_rec *r);

/* One row of a table as text, for copying a whole store into another
 * (`dunwell migrate --to`). values[i] is NULL for SQL NULL; dates, instants
 * and flags are in the forms the backends exchange ('YYYY-MM-DD',
 * 'YYYY-MM-DDTHH:MM:SSZ', '0'/'1'). Return non-zero to stop. */
typedef int (*store_row_cb)(void *ctx, int ncols, const char *const *names,
			    const char *const *values, struct err *e);

struct store_backend {
	const char *name;  /* "sqlite" */
	/* Does this backend serve the target string? */
	int (*accepts)(const char *target);
	int (*open)(const char *target, void **ret_handle, struct err *e);
	void (*close)(void *h);
	/* Apply pending migrations; *ret_applied counts them. */
	int (*migrate)(void *h, int *ret_applied, int *ret_version,
		       struct err *e);
	int (*begin)(void *h, struct err *e);
	int (*commit)(void *h, struct err *e);
	int (*rollback)(void *h);

	int (*tenant_ensure)(void *h, const char *slug, const char *name,
			     const char *timezone, const char *locale,
			     int64_t *ret_id, struct err *e);
	int (*tenant_get)(void *h, const char *slug, struct tenant_rec *ret,
			  struct err *e);
	int (*tenant_list)(void *h, struct tenant_rec **ret, size_t *ret_n,
			   struct err *e);

	int (*customer_upsert)(void *h, const struct customer_rec *c,
			       int64_t *ret_id, struct err *e);
	int (*customer_get)(void *h, int64_t tenant_id, const char *external_id,
			    struct customer_rec *ret, struct err *e);
	int (*customer_id)(void *h, int64_t tenant_id, const char *external_id,
			   int64_t *ret_id, struct err *e);
	int (*invoice_upsert)(void *h, const struct invoice_rec *inv,
			      int64_t *ret_id, struct err *e);
	int (*invoice_get)(void *h, int64_t tenant_id, const char *external_id,
			   struct invoice_rec *ret, struct err *e);
	int (*invoice_find_ref)(void *h, int64_t tenant_id, const char *ref,
				struct invoice_rec *ret, struct err *e);
	/* Open invoices of a customer in a currency, oldest due first. */
	int (*invoices_open)(void *h, int64_t tenant_id, int64_t customer_id,
			     const char *currency, struct invoice_rec **ret,
			     size_t *ret_n, struct err *e);
	int (*invoice_set_open)(void *h, int64_t tenant_id, int64_t invoice_id,
				int64_t open_minor, struct err *e);
	int (*invoice_write_off)(void *h, int64_t tenant_id, int64_t invoice_id,
				 struct err *e);
	/* Insert a payment unless its external id exists: *ret_inserted. */
	int (*payment_insert)(void *h, const struct payment_rec *p,
			      int *ret_inserted, struct err *e);

	int (*strategy_add)(void *h, int64_t tenant_id, const char *source,
			    const char *yaml, int activate, int *ret_version,
			    struct err *e);
	/* version 0 = the active one; -ERR_NOTFOUND when there is none. */
	int (*strategy_get)(void *h, int64_t tenant_id, int version,
			    struct strategy_version_rec *ret, struct err *e);

	int (*work_load)(void *h, int64_t tenant_id, int64_t customer_from,
			 int64_t customer_to, date_t contacts_since,
			 struct work_set *ret, struct err *e);
	int (*customer_id_range)(void *h, int64_t tenant_id, int64_t *ret_min,
				 int64_t *ret_max, struct err *e);

	int (*case_insert)(void *h, const struct case_rec *c, int64_t *ret_id,
			   struct err *e);
	/* Write a case's new state. Like action_insert, a backend may defer
	 * the write until commit or its next read (PostgreSQL batches them
	 * into one UPDATE), so its errors may show there. */
	int (*case_update)(void *h, const struct case_rec *c, struct err *e);
	int (*case_list)(void *h, int64_t tenant_id, int64_t customer_id,
			 struct case_rec **ret, size_t *ret_n, struct err *e);
	/* Record an action; one already recorded under the same unique key
	 * (tenant, case, step, kind, channel) is silently kept as it was. A
	 * backend may defer the write until commit or its next read. */
	int (*action_insert)(void *h, const struct action_rec *a,
			     struct err *e);
	int (*event_append)(void *h, const struct event_rec *ev, struct err *e);
	int (*case_history)(void *h, int64_t tenant_id, int64_t case_id,
			    store_history_cb cb, void *ctx, struct err *e);
	int (*stats)(void *h, int64_t tenant_id, struct store_stats *ret,
		     struct err *e);
	/* A number that changes whenever another connection commits (SQLite's
	 * PRAGMA data_version); NULL when the backend has none. */
	int (*data_version)(void *h, int64_t *ret, struct err *e);

	/* Work sharing for `dunwell run` (migrations NNNN_run_ranges): make
	 * sure ranges of `size` customer ids cover every customer (existing
	 * ranges are kept, new ones appended; in its own transaction). */
	int (*ranges_ensure)(void *h, int64_t tenant_id, int64_t size,
			     struct err *e);
	/* Inside a transaction: claim the first range not yet run at
	 * `as_of` that no other worker holds, until commit or rollback;
	 * *ret_found = 0 when none is left. */
	int (*range_claim)(void *h, int64_t tenant_id, instant_t as_of,
			   int64_t *ret_from, int64_t *ret_to, int *ret_found,
			   struct err *e);
	/* Without claiming: the first range after `after` not yet run at
	 * `as_of` (what a worker is likely to claim next). */
	int (*range_peek)(void *h, int64_t tenant_id, int64_t after,
			  instant_t as_of, int64_t *ret_from, int64_t *ret_to,
			  int *ret_found, struct err *e);
	/* Record that the claimed range was run at `as_of`. */
	int (*range_done)(void *h, int64_t tenant_id, int64_t from,
			  instant_t as_of, struct err *e);

	/* Copying: every row of `table` (one of store_tables()), in key
	 * order; and writing one such row as it is, ids included. */
	int (*rows_read)(void *h, const char *table, store_row_cb cb,
			 void *ctx, struct err *e);
	int (*rows_write)(void *h, const char *table, int ncols,
			  const char *const *names, const char *const *values,
			  struct err *e);
	/* After a copy: bring id generators past the copied ids. */
	int (*copy_finish)(void *h, struct err *e);
	/* Rows in `table`. */
	int (*rows_count)(void *h, const char *table, int64_t *ret,
			  struct err *e);

	/* A tenant's settings (migration 0003): every key/value, by key. */
	int (*settings_get)(void *h, int64_t tenant_id,
			    struct setting_rec **ret, size_t *ret_n,
			    struct err *e);
	/* Set one; value NULL removes it. */
	int (*setting_put)(void *h, int64_t tenant_id, const char *key,
			   const char *value, struct err *e);
	/* A tenant's own template file; -ERR_NOTFOUND when there is none. */
	int (*template_get)(void *h, int64_t tenant_id, const char *locale,
			    const char *template_id, const char *variant,
			    char **ret_source, struct err *e);
	/* Store one (replacing the previous); source NULL removes it. */
	int (*template_put)(void *h, int64_t tenant_id, const char *locale,
			    const char *template_id, const char *variant,
			    const char *source, struct err *e);

	/* The outbox (migration 0005). Move at most `limit` queued contact
	 * actions into messages (once: the message key is unique) and mark
	 * them 'outbox'; *ret_n counts the moved ones. */
	int (*outbox_fill)(void *h, int64_t tenant_id, instant_t now,
			   int limit, int *ret_n, struct err *e);
	/* Lease at most `limit` queued messages due at `now` whose lease is
	 * free or ran out, to `owner` until `lease_until`; committed by the
	 * caller before any is sent. Records are owned by *ret. */
	int (*outbox_claim)(void *h, int64_t tenant_id, instant_t now,
			    instant_t lease_until, const char *owner, int limit,
			    struct message_rec **ret, size_t *ret_n,
			    struct err *e);
	/* Write a claimed message's new state and free its lease, only while
	 * `owner` still holds it (-ERR_CONFLICT when the lease was taken
	 * over). */
	int (*outbox_update)(void *h, const struct message_rec *m,
			     const char *owner, instant_t now, struct err *e);
	/* Add a message (a fallback channel); an existing key is kept. */
	int (*outbox_insert)(void *h, const struct message_rec *m,
			     instant_t now, struct err *e);
	/* Messages handed over to a customer since `since`. */
	int (*outbox_sent_since)(void *h, int64_t tenant_id,
				 int64_t customer_id, instant_t since,
				 struct sent_rec **ret, size_t *ret_n,
				 struct err *e);
	/* The tenant's external id of customer `id`. */
	int (*customer_external_id)(void *h, int64_t tenant_id, int64_t id,
				    char **ret, struct err *e);
	/* The message a provider knows by `provider_id`; -ERR_NOTFOUND when
	 * there is none. */
	int (*outbox_find_provider)(void *h, int64_t tenant_id,
				    const char *provider,
				    const char *provider_id,
				    struct message_rec *ret, struct err *e);
	/* Set a message's status after a delivery report (no lease: reports
	 * only ever concern messages already handed over). */
	int (*outbox_set_status)(void *h, int64_t tenant_id, int64_t id,
				 const char *status, const char *error,
				 instant_t now, struct err *e);
	/* Record a personal link's token hash. */
	int (*link_insert)(void *h, int64_t tenant_id, const char *token_hash,
			   int64_t case_id, int64_t customer_id,
			   instant_t created, instant_t expires, struct err *e);

	/* The JSON API (migration 0006). Record a key by its hash. */
	int (*apikey_insert)(void *h, int64_t tenant_id, const char *prefix,
			     const char *hash, const char *scopes,
			     instant_t now, struct err *e);
	/* The key whose SHA-256 hex is `hash`, whatever its tenant (this is
	 * how a request finds its tenant); -ERR_NOTFOUND when none. */
	int (*apikey_find)(void *h, const char *hash, struct apikey_rec *ret,
			   struct err *e);
	/* A tenant's keys, oldest first. */
	int (*apikey_list)(void *h, int64_t tenant_id, struct apikey_rec **ret,
			   size_t *ret_n, struct err *e);
	/* Revoke the tenant's key with `prefix` (once); *ret_found = 0 when
	 * the tenant has no such working key. */
	int (*apikey_revoke)(void *h, int64_t tenant_id, const char *prefix,
			     instant_t now, int *ret_found, struct err *e);
	/* At most `limit` external ids of the tenant's customers, in byte
	 * order, after `after` ("" = from the first). */
	int (*customer_list)(void *h, int64_t tenant_id, const char *after,
			     int limit, char ***ret, size_t *ret_n,
			     struct err *e);
	/* At most `limit` invoices of a customer (any state), by external id,
	 * after `after` ("" = from the first). */
	int (*invoice_list)(void *h, int64_t tenant_id, int64_t customer_id,
			    const char *after, int limit,
			    struct invoice_rec **ret, size_t *ret_n,
			    struct err *e);
	/* Record an Idempotency-Key in flight unless the tenant has it
	 * already: *ret_claimed = 1 when this call recorded it. */
	int (*idem_claim)(void *h, int64_t tenant_id, const char *key,
			  const char *request_hash, instant_t now,
			  int *ret_claimed, struct err *e);
	/* The record of a key; -ERR_NOTFOUND when none. */
	int (*idem_get)(void *h, int64_t tenant_id, const char *key,
			struct idem_rec *ret, struct err *e);
	/* Store the answer of a key in flight. */
	int (*idem_finish)(void *h, int64_t tenant_id, const char *key,
			   int status, const char *body, struct err *e);
	/* Forget a key (its request failed, or its 24 hours are over). */
	int (*idem_delete)(void *h, int64_t tenant_id, const char *key,
			   struct err *e);

	/* Webhooks to the tenant (migration 0007). Add an endpoint whose
	 * cursor starts at the tenant's latest case event (it receives what
	 * happens from now on). */
	int (*webhook_endpoint_add)(void *h, int64_t tenant_id,
				    const char *url, const char *secret,
				    const char *events, instant_t now,
				    int64_t *ret_id, struct err *e);
	/* The tenant's endpoints, oldest first, secrets included. */
	int (*webhook_endpoint_list)(void *h, int64_t tenant_id,
				     struct webhook_endpoint_rec **ret,
				     size_t *ret_n, struct err *e);
	/* At most `limit` committed case events of the tenant after
	 * (after_order, after_id), in (order, id) order, each with its
	 * customer's external id; only events no later commit can precede
	 * (so a cursor never passes over one that appears later). */
	int (*webhook_events)(void *h, int64_t tenant_id, int64_t after_order,
			      int64_t after_id, int limit,
			      struct webhook_event_rec **ret, size_t *ret_n,
			      struct err *e);
	/* Queue a delivery (status, not_before, kind, payload from d); one
	 * already there for the same endpoint and event is kept as it is. */
	int (*webhook_delivery_add)(void *h,
				    const struct webhook_delivery_rec *d,
				    instant_t now, struct err *e);
	/* Move an endpoint's cursor forward (never back: two fillers at once
	 * may finish in either order). */
	int (*webhook_cursor_set)(void *h, int64_t tenant_id,
				  int64_t endpoint_id, int64_t order,
				  int64_t cursor, struct err *e);
	/* Lease at most `limit` queued deliveries due at `now` whose lease is
	 * free or ran out, to `owner` until `lease_until`, with their
	 * endpoint's url and secret; committed by the caller before any is
	 * sent. */
	int (*webhook_claim)(void *h, int64_t tenant_id, instant_t now,
			     instant_t lease_until, const char *owner,
			     int limit, struct webhook_delivery_rec **ret,
			     size_t *ret_n, struct err *e);
	/* Write a claimed delivery's status, attempts, not_before,
	 * last_error, response_status and delivered_at and free its lease,
	 * only while `owner` holds it (-ERR_CONFLICT otherwise). */
	int (*webhook_update)(void *h, const struct webhook_delivery_rec *d,
			      const char *owner, struct err *e);

	/* The customer's page (migration 0009). The link whose token hash is
	 * `token_hash`, whatever its state; -ERR_NOTFOUND when none. */
	int (*link_find)(void *h, const char *token_hash, struct link_rec *ret,
			 struct err *e);
	/* Give a link its CSRF key unless it has one (then *ret_set = 0 and
	 * the caller reads the one there). */
	int (*link_set_csrf)(void *h, const char *token_hash, const char *key,
			     int *ret_set, struct err *e);
	/* Revoke every working link of a case. */
	int (*link_revoke_case)(void *h, int64_t tenant_id, int64_t case_id,
				instant_t now, struct err *e);
	/* One case by id; -ERR_NOTFOUND when the tenant has none. */
	int (*case_get)(void *h, int64_t tenant_id, int64_t case_id,
			struct case_rec *ret, struct err *e);
	/* Set an open case's hold (HOLD_NONE and DATE_NONE lift it) without
	 * touching the rest of its state; *ret_found = 0 when the case is
	 * not open. */
	int (*case_hold)(void *h, int64_t tenant_id, int64_t case_id,
			 enum hold_reason reason, date_t until,
			 int *ret_found, struct err *e);
	/* ---- fees paid and credit (migration 0012) ---- */
	/* What payments have paid of a case's fees (cases.fees_paid_minor). */
	int (*case_fees_paid)(void *h, int64_t tenant_id, int64_t case_id,
			      int64_t *ret, struct err *e);
	/* Add `amount` to it (an increment in SQL: never a lost update). */
	int (*case_fees_pay)(void *h, int64_t tenant_id, int64_t case_id,
			     int64_t amount, struct err *e);
	/* Record what a payment left over, kept as the customer's credit. */
	int (*payment_set_credit)(void *h, int64_t tenant_id,
				  const char *external_id, int64_t credit,
				  struct err *e);
	/* The customer's credit in `currency`: the sum of that. */
	int (*customer_credit)(void *h, int64_t tenant_id, int64_t customer_id,
			       const char *currency, int64_t *ret,
			       struct err *e);
	/* The messages of a case, oldest first. */
	int (*case_messages)(void *h, int64_t tenant_id, int64_t case_id,
			     struct message_rec **ret, size_t *ret_n,
			     struct err *e);
	/* The customer's payments in `currency` made on or after `since`,
	 * oldest first. */
	int (*payment_list)(void *h, int64_t tenant_id, int64_t customer_id,
			    const char *currency, date_t since,
			    struct payment_rec **ret, size_t *ret_n,
			    struct err *e);
	/* How many events of `kind` the case has. */
	int (*event_count)(void *h, int64_t tenant_id, int64_t case_id,
			   const char *kind, int64_t *ret, struct err *e);
	/* Mark an invoice disputed (1) or not (0). */
	int (*invoice_set_disputed)(void *h, int64_t tenant_id,
				    int64_t invoice_id, int disputed,
				    struct err *e);
	/* Record a plan and its instalments (status "active"; -ERR_CONFLICT
	 * when the case has an active plan already). */
	int (*plan_insert)(void *h, const struct plan_rec *p, int64_t *ret_id,
			   struct err *e);
	/* The case's active plan with its instalments; -ERR_NOTFOUND. */
	int (*plan_active)(void *h, int64_t tenant_id, int64_t case_id,
			   struct plan_rec *ret, struct err *e);
	/* Write a plan's paid_minor, status and ended_at. */
	int (*plan_update)(void *h, const struct plan_rec *p, struct err *e);
	/* The cases of the tenant with an active plan, ascending. */
	int (*plan_cases)(void *h, int64_t tenant_id, int64_t **ret,
			  size_t *ret_n, struct err *e);
	/* Record a request (status "open"). */
	int (*request_insert)(void *h, const struct request_rec *r,
			      int64_t *ret_id, struct err *e);
	/* Mark the case's open request `id` done (*ret_found = 0 when the
	 * case has no such open request). */
	int (*request_done)(void *h, int64_t tenant_id, int64_t case_id,
			    int64_t id, instant_t now, int *ret_found,
			    struct err *e);
	/* The case's requests, newest first. */
	int (*request_list)(void *h, int64_t tenant_id, int64_t case_id,
			    struct request_rec **ret, size_t *ret_n,
			    struct err *e);
	/* Record a checkout started at a provider. */
	int (*checkout_insert)(void *h, const struct checkout_rec *c,
			       int64_t *ret_id, struct err *e);
	/* The checkout a provider knows by `provider_id`; -ERR_NOTFOUND. */
	int (*checkout_find)(void *h, int64_t tenant_id, const char *provider,
			     const char *provider_id, struct checkout_rec *ret,
			     struct err *e);
	/* Set a checkout's status. */
	int (*checkout_set_status)(void *h, int64_t tenant_id, int64_t id,
				   const char *status, instant_t now,
				   struct err *e);

	/* Bank statements (migration 0010). Everything the matcher's index
	 * needs, in three passes of one query each: the tenant's open
	 * invoices (with their open case), open cases (with their total),
	 * and payer accounts. */
	int (*statement_index)(void *h, int64_t tenant_id,
			       const struct stmt_index_cb *cb, struct err *e);
	/* Is an entry with this bank reference and status recorded? */
	int (*statement_entry_known)(void *h, int64_t tenant_id,
				     const char *bank_ref, const char *status,
				     int *ret_known, struct err *e);
	/* Record an entry unless its (bank_ref, status) is there already:
	 * *ret_id = 0 then. */
	int (*statement_entry_insert)(void *h,
				      const struct statement_entry_rec *en,
				      int64_t *ret_id, struct err *e);
	/* Put an entry in the review queue (status "open"). */
	int (*review_insert)(void *h, int64_t tenant_id, int64_t entry_id,
			     const char *reason, const char *candidates,
			     instant_t now, int64_t *ret_id, struct err *e);
	/* Remember that `iban` (held by `name`) paid for the customer on
	 * `seen`; a later date moves last_seen and the name. */
	int (*payer_upsert)(void *h, int64_t tenant_id, int64_t customer_id,
			    const char *iban, const char *name, date_t seen,
			    struct err *e);
	/* The payment entries not yet undone that a reversal or return may
	 * undo: those with end-to-end id `e2e` when it is not "", else those
	 * of statement `statement_id` crediting exactly `amount` `currency`;
	 * newest first, at most `limit`. */
	int (*statement_paid_find)(void *h, int64_t tenant_id, const char *e2e,
				   const char *statement_id, int64_t amount,
				   const char *currency, int limit,
				   struct stmt_paid_rec **ret, size_t *ret_n,
				   struct err *e);
	/* The customer's invoices in `currency` paid in part or in full (not
	 * written off), newest due first: what undoing a payment re-opens. */
	int (*invoices_paid)(void *h, int64_t tenant_id, int64_t customer_id,
			     const char *currency, struct invoice_rec **ret,
			     size_t *ret_n, struct err *e);
	/* ---- statement batch ----
	 * Do the open invoices and cases that statement_index read stay as
	 * read until the transaction ends, but for this connection's own
	 * writes? 1 for SQLite (BEGIN IMMEDIATE holds the only write lock),
	 * 0 for PostgreSQL (another process may allocate a payment
	 * meanwhile: the batch reads and locks each customer's invoices at
	 * first use instead, see pay_batch_preload_done). */
	int (*statement_rows_held)(void *h);
	/* Of the cases `ids` (n, any order), those with at least one event
	 * of `kind`, ascending (malloc'd; NULL when none): the finish of a
	 * batch asks once for the cases that resolve instead of counting
	 * each case's events. */
	int (*cases_with_event)(void *h, int64_t tenant_id,
				const int64_t *ids, size_t n, const char *kind,
				int64_t **ret, size_t *ret_n, struct err *e);
	/* statement_entry_insert of en[0..n), in that order, in fewer
	 * statements: ret_ids[i] is what it would set for en[i]. */
	int (*statement_entries_insert)(void *h,
					const struct statement_entry_rec *en,
					size_t n, int64_t *ret_ids,
					struct err *e);
	/* payment_insert with the payment's credit (payments.
	 * unallocated_minor) set at once, not by a later
	 * payment_set_credit. */
	int (*payment_insert_credit)(void *h, const struct payment_rec *p,
				     int64_t credit_minor, int *ret_inserted,
				     struct err *e);

	/* The team's console (migration 0011). Record an operator (the
	 * email lower-case already); -ERR_CONFLICT when the tenant has the
	 * address already (nothing written). */
	int (*operator_insert)(void *h, const struct operator_rec *o,
			       const char *password_hash, int64_t *ret_id,
			       struct err *e);
	/* The tenant's operator with `email` (lower-case) and its password
	 * hash (owned, may be NULL to skip); -ERR_NOTFOUND when none. */
	int (*operator_find)(void *h, int64_t tenant_id, const char *email,
			     struct operator_rec *ret, char **ret_hash,
			     struct err *e);
	/* The tenant's operators, by email. */
	int (*operator_list)(void *h, int64_t tenant_id,
			     struct operator_rec **ret, size_t *ret_n,
			     struct err *e);
	/* Set an operator's disabled flag; *ret_found = 0 when the tenant
	 * has no operator with `email`. */
	int (*operator_set_disabled)(void *h, int64_t tenant_id,
				     const char *email, int disabled,
				     int *ret_found, struct err *e);
	/* Record a session. */
	int (*session_insert)(void *h, const struct operator_session_rec *ses,
			      struct err *e);
	/* The session with `token_hash`, whatever its state or tenant, with
	 * its operator; -ERR_NOTFOUND when none. */
	int (*session_find)(void *h, const char *token_hash,
			    struct operator_session_rec *ret,
			    struct operator_rec *ret_operator, struct err *e);
	/* Move a session's last_seen. */
	int (*session_touch)(void *h, const char *token_hash,
			     instant_t last_seen, struct err *e);
	/* End one session (none is fine). */
	int (*session_delete)(void *h, const char *token_hash, struct err *e);
	/* End an operator's sessions: all of them (`before` 0), or those
	 * expired by `before` (absolute end, or idle since before - idle). */
	int (*sessions_end)(void *h, int64_t tenant_id, int64_t operator_id,
			    instant_t before, int idle_seconds, struct err *e);
	/* Record a failed login. */
	int (*login_failure_add)(void *h, int64_t tenant_id, const char *email,
				 const char *remote, instant_t at,
				 struct err *e);
	/* Failed logins since `since` for `email` and from `remote`: how
	 * many, and the oldest of each (0 when none). */
	int (*login_failures_count)(void *h, int64_t tenant_id,
				    const char *email, const char *remote,
				    instant_t since, int64_t *ret_by_email,
				    instant_t *ret_oldest_email,
				    int64_t *ret_by_remote,
				    instant_t *ret_oldest_remote,
				    struct err *e);
	/* Forget the tenant's failed logins before `before`. */
	int (*login_failures_prune)(void *h, int64_t tenant_id,
				    instant_t before, struct err *e);
	/* A case's notes, oldest first, with their authors' names. */
	int (*case_notes)(void *h, int64_t tenant_id, int64_t case_id,
			  struct case_note_rec **ret, size_t *ret_n,
			  struct err *e);
	/* Record a note. */
	int (*case_note_add)(void *h, const struct case_note_rec *n,
			     int64_t *ret_id, struct err *e);
	/* The agents' queue: at most `limit` items, most urgent first (see
	 * store_queue). */
	int (*queue)(void *h, int64_t tenant_id, int limit,
		     struct queue_item **ret, size_t *ret_n, struct err *e);

	/* Reports (migration 0014). Outside any transaction (it takes its
	 * own: on SQLite it reads without the write lock, then swaps the
	 * rows in a short write): rebuild every report row of the tenant
	 * from its data, set-based, for the date `as_of`, and record `now`
	 * as the time of the refresh. */
	int (*report_refresh)(void *h, int64_t tenant_id, date_t as_of,
			      instant_t now, struct err *e);
	/* The tenant's report rows (by report, key, currency, bucket) and
	 * when they were made (ret_info->refreshed_at 0 when never). */
	int (*report_rows)(void *h, int64_t tenant_id,
			   struct report_info *ret_info,
			   struct report_row **ret, size_t *ret_n,
			   struct err *e);
	/* Record that the case's personal page was visited on `day`; a
	 * second visit the same day changes nothing. */
	int (*portal_visit)(void *h, int64_t tenant_id, int64_t case_id,
			    date_t day, struct err *e);

	/* Automatic charges (migration 0013). Record a charge unless the
	 * tenant has one with its (provider, payment_id): then *ret_id is
	 * that one's and *ret_inserted 0. */
	int (*charge_insert)(void *h, const struct charge_rec *c,
			     int64_t *ret_id, int *ret_inserted,
			     struct err *e);
	/* One charge by id, or by the provider's payment id (either may
	 * match: payment_id or the latest attempt_id); -ERR_NOTFOUND. */
	int (*charge_get)(void *h, int64_t tenant_id, int64_t id,
			  struct charge_rec *ret, struct err *e);
	int (*charge_find)(void *h, int64_t tenant_id, const char *provider,
			   const char *provider_id, struct charge_rec *ret,
			   struct err *e);
	/* Write a charge's case_id, mandate_ref, status, failure_code,
	 * decline_class, attempts, next_attempt_on, attempt_id,
	 * attempt_refs, awaiting and updated_at. */
	int (*charge_update)(void *h, const struct charge_rec *c,
			     struct err *e);
	/* The ids of the tenant's charges that need the daily pass: due a
	 * retry by `until` (status retrying), or not yet on a case
	 * (status failed or retrying); ascending. */
	int (*charge_due)(void *h, int64_t tenant_id, date_t until,
			  int64_t **ret, size_t *ret_n, struct err *e);
	/* The customer's charges, newest first. */
	int (*charge_list)(void *h, int64_t tenant_id, int64_t customer_id,
			   struct charge_rec **ret, size_t *ret_n,
			   struct err *e);

	/* ---- experiments (migration 0015) ---- */
	/* Record the experiment and variant of a case the run opened. */
	int (*case_experiment_add)(void *h, int64_t tenant_id,
				   int64_t case_id, const char *experiment_id,
				   int variant, const char *strategy,
				   struct err *e);
	/* Every experiment's variants, aggregated: ordered by experiment,
	 * currency, variant. */
	int (*experiment_stats)(void *h, int64_t tenant_id,
				struct experiment_stat_rec **ret,
				size_t *ret_n, struct err *e);
	/* Make `version` the tenant's only active one; *ret_found = 0 (and
	 * nothing changed) when there is no such version. */
	int (*strategy_activate)(void *h, int64_t tenant_id, int version,
				 int *ret_found, struct err *e);
	/* Record who saved or activated a version. */
	int (*strategy_change_add)(void *h, int64_t tenant_id, int version,
				   const char *action, int64_t operator_id,
				   instant_t at, struct err *e);
	/* The tenant's latest `limit` changes, newest first. */
	int (*strategy_changes)(void *h, int64_t tenant_id, int limit,
				struct strategy_change_rec **ret,
				size_t *ret_n, struct err *e);

	/* ---- payment review (console) ---- */
	/* A review item with its statement entry; -ERR_NOTFOUND. */
	int (*review_get)(void *h, int64_t tenant_id, int64_t review_id,
			  struct review_rec *ret, struct err *e);
	/* An invoice (is_case 0) or a case (1) as a review target;
	 * -ERR_NOTFOUND. */
	int (*review_target)(void *h, int64_t tenant_id, int is_case,
			     int64_t id, struct review_target *ret,
			     struct err *e);
	/* Customers whose external id is `query` or whose name contains it
	 * (case-folded for ASCII), each with each of their open cases (one
	 * row per case; a customer without one: one row, case_id 0), the
	 * exact external id first, then by name; at most `limit` rows. */
	int (*review_customers)(void *h, int64_t tenant_id, const char *query,
				int limit, struct review_target **ret,
				size_t *ret_n, struct err *e);
	/* Mark an open review item done at `now`; *ret_found = 0 (nothing
	 * changed) when it is not open (someone else decided first). */
	int (*review_done)(void *h, int64_t tenant_id, int64_t review_id,
			   instant_t now, int *ret_found, struct err *e);
	/* Write a statement entry's decision: outcome,
	 * payment_external_id (NULL: none), case_id, invoice_id,
	 * customer_id (0: NULL), credit_minor, rule and reason of `rec`. */
	int (*review_entry_decide)(void *h, int64_t tenant_id,
				   int64_t entry_id,
				   const struct statement_entry_rec *rec,
				   struct err *e);
	/* Cancel the case's queued messages that no worker holds (leased
	 * ones are being handed over), with `reason` as their last error;
	 * *ret_n gets how many. */
	int (*case_messages_cancel)(void *h, int64_t tenant_id,
				    int64_t case_id, const char *reason,
				    instant_t now, long *ret_n, struct err *e);
};

/* Open the store named by `target` (a path, or a URL for backends that take
 * one) and apply pending migrations. */
int store_open(const char *target, struct store **ret, struct err *e);
/* Open without migrating (for `dunwell migrate` itself). */
int store_open_raw(const char *target, struct store **ret, struct err *e);
void store_close(struct store *s);
const char *store_backend_name(const struct store *s);
/* The target the store was opened with (to open a second connection). */
const char *store_target(const struct store *s);
/* See store_backend.data_version; -ERR_NOTFOUND when unsupported. */
int store_data_version(struct store *s, int64_t *ret, struct err *e);
/* Write operations made through any connection of this process so far
 * (with store_data_version, which sees only other connections' commits:
 * whether anything may have changed since a page was rendered). */
long store_write_count(const struct store *s);

int store_migrate(struct store *s, int *ret_applied, int *ret_version,
		  struct err *e);
int store_begin(struct store *s, struct err *e);
int store_commit(struct store *s, struct err *e);
int store_rollback(struct store *s);

int store_tenant_ensure(struct store *s, const char *slug, const char *name,
			const char *timezone, const char *locale,
			int64_t *ret_id, struct err *e);
int store_tenant_get(struct store *s, const char *slug, struct tenant_rec *ret,
		     struct err *e);
int store_tenant_list(struct store *s, struct tenant_rec **ret, size_t *ret_n,
		      struct err *e);

int store_settings_get(struct store *s, int64_t tenant_id,
		       struct setting_rec **ret, size_t *ret_n, struct err *e);
int store_setting_put(struct store *s, int64_t tenant_id, const char *key,
		      const char *value, struct err *e);
void setting_list_free(struct setting_rec *list, size_t n);

int store_outbox_fill(struct store *s, int64_t tenant_id, instant_t now,
		      int limit, int *ret_n, struct err *e);
int store_outbox_claim(struct store *s, int64_t tenant_id, instant_t now,
		       instant_t lease_until, const char *owner, int limit,
		       struct message_rec **ret, size_t *ret_n, struct err *e);
int store_outbox_update(struct store *s, const struct message_rec *m,
			const char *owner, instant_t now, struct err *e);
int store_outbox_insert(struct store *s, const struct message_rec *m,
			instant_t now, struct err *e);
int store_outbox_sent_since(struct store *s, int64_t tenant_id,
			    int64_t customer_id, instant_t since,
			    struct sent_rec **ret, size_t *ret_n,
			    struct err *e);
int store_customer_external_id(struct store *s, int64_t tenant_id, int64_t id,
			       char **ret, struct err *e);
int store_outbox_find_provider(struct store *s, int64_t tenant_id,
			       const char *provider, const char *provider_id,
			       struct message_rec *ret, struct err *e);
int store_outbox_set_status(struct store *s, int64_t tenant_id, int64_t id,
			    const char *status, const char *error,
			    instant_t now, struct err *e);
int store_link_insert(struct store *s, int64_t tenant_id,
		      const char *token_hash, int64_t case_id,
		      int64_t customer_id, instant_t created,
		      instant_t expires, struct err *e);
int store_apikey_insert(struct store *s, int64_t tenant_id,
			const char *prefix, const char *hash,
			const char *scopes, instant_t now, struct err *e);
int store_apikey_find(struct store *s, const char *hash,
		      struct apikey_rec *ret, struct err *e);
int store_apikey_list(struct store *s, int64_t tenant_id,
		      struct apikey_rec **ret, size_t *ret_n, struct err *e);
int store_apikey_revoke(struct store *s, int64_t tenant_id,
			const char *prefix, instant_t now, int *ret_found,
			struct err *e);
void apikey_rec_clear(struct apikey_rec *k);
void apikey_list_free(struct apikey_rec *list, size_t n);
int store_customer_list(struct store *s, int64_t tenant_id,
			const char *after, int limit, char ***ret,
			size_t *ret_n, struct err *e);
/* Free a list of strings (customer_list). */
void store_strings_free(char **list, size_t n);
int store_invoice_list(struct store *s, int64_t tenant_id,
		       int64_t customer_id, const char *after, int limit,
		       struct invoice_rec **ret, size_t *ret_n,
		       struct err *e);
int store_idem_claim(struct store *s, int64_t tenant_id, const char *key,
		     const char *request_hash, instant_t now,
		     int *ret_claimed, struct err *e);
int store_idem_get(struct store *s, int64_t tenant_id, const char *key,
		   struct idem_rec *ret, struct err *e);
int store_idem_finish(struct store *s, int64_t tenant_id, const char *key,
		      int status, const char *body, struct err *e);
int store_idem_delete(struct store *s, int64_t tenant_id, const char *key,
		      struct err *e);
void idem_rec_clear(struct idem_rec *r);
int store_webhook_endpoint_add(struct store *s, int64_t tenant_id,
			       const char *url, const char *secret,
			       const char *events, instant_t now,
			       int64_t *ret_id, struct err *e);
int store_webhook_endpoint_list(struct store *s, int64_t tenant_id,
				struct webhook_endpoint_rec **ret,
				size_t *ret_n, struct err *e);
int store_webhook_events(struct store *s, int64_t tenant_id,
			 int64_t after_order, int64_t after, int limit,
			 struct webhook_event_rec **ret,
			 size_t *ret_n, struct err *e);
int store_webhook_delivery_add(struct store *s,
			       const struct webhook_delivery_rec *d,
			       instant_t now, struct err *e);
int store_webhook_cursor_set(struct store *s, int64_t tenant_id,
			     int64_t endpoint_id, int64_t order, int64_t cursor,
			     struct err *e);
int store_webhook_claim(struct store *s, int64_t tenant_id, instant_t now,
			instant_t lease_until, const char *owner, int limit,
			struct webhook_delivery_rec **ret, size_t *ret_n,
			struct err *e);
int store_webhook_update(struct store *s,
			 const struct webhook_delivery_rec *d,
			 const char *owner, struct err *e);
void webhook_endpoint_list_free(struct webhook_endpoint_rec *list, size_t n);
void webhook_event_list_free(struct webhook_event_rec *list, size_t n);
void webhook_delivery_list_free(struct webhook_delivery_rec *list, size_t n);
void message_rec_clear(struct message_rec *m);
void message_list_free(struct message_rec *list, size_t n);
void sent_list_free(struct sent_rec *list, size_t n);
int store_template_get(struct store *s, int64_t tenant_id, const char *locale,
		       const char *template_id, const char *variant,
		       char **ret_source, struct err *e);
int store_template_put(struct store *s, int64_t tenant_id, const char *locale,
		       const char *template_id, const char *variant,
		       const char *source, struct err *e);
/* The customer's page (migration 0009): see struct store_backend. */
int store_link_find(struct store *s, const char *token_hash,
		    struct link_rec *ret, struct err *e);
int store_link_set_csrf(struct store *s, const char *token_hash,
			const char *key, int *ret_set, struct err *e);
int store_link_revoke_case(struct store *s, int64_t tenant_id, int64_t case_id,
			   instant_t now, struct err *e);
int store_case_get(struct store *s, int64_t tenant_id, int64_t case_id,
		   struct case_rec *ret, struct err *e);
int store_case_hold(struct store *s, int64_t tenant_id, int64_t case_id,
		    enum hold_reason reason, date_t until, int *ret_found,
		    struct err *e);
/* Fees paid and credit (migration 0012): see struct store_backend. */
int store_case_fees_paid(struct store *s, int64_t tenant_id, int64_t case_id,
			 int64_t *ret, struct err *e);
int store_case_fees_pay(struct store *s, int64_t tenant_id, int64_t case_id,
			int64_t amount, struct err *e);
int store_payment_set_credit(struct store *s, int64_t tenant_id,
			     const char *external_id, int64_t credit,
			     struct err *e);
int store_customer_credit(struct store *s, int64_t tenant_id,
			  int64_t customer_id, const char *currency,
			  int64_t *ret, struct err *e);
int store_case_messages(struct store *s, int64_t tenant_id, int64_t case_id,
			struct message_rec **ret, size_t *ret_n,
			struct err *e);
int store_payment_list(struct store *s, int64_t tenant_id, int64_t customer_id,
		       const char *currency, date_t since,
		       struct payment_rec **ret, size_t *ret_n,
		       struct err *e);
int store_event_count(struct store *s, int64_t tenant_id, int64_t case_id,
		      const char *kind, int64_t *ret, struct err *e);
int store_invoice_set_disputed(struct store *s, int64_t tenant_id,
			       int64_t invoice_id, int disputed,
			       struct err *e);
int store_plan_insert(struct store *s, const struct plan_rec *p,
		      int64_t *ret_id, struct err *e);
int store_plan_active(struct store *s, int64_t tenant_id, int64_t case_id,
		      struct plan_rec *ret, struct err *e);
int store_plan_update(struct store *s, const struct plan_rec *p,
		      struct err *e);
int store_plan_cases(struct store *s, int64_t tenant_id, int64_t **ret,
		     size_t *ret_n, struct err *e);
int store_request_insert(struct store *s, const struct request_rec *r,
			 int64_t *ret_id, struct err *e);
int store_request_done(struct store *s, int64_t tenant_id, int64_t case_id,
		       int64_t id, instant_t now, int *ret_found,
		       struct err *e);
/* The tenant with this id (a lookup through the tenant list: tenants are
 * few); -ERR_NOTFOUND when none. */
int store_tenant_by_id(struct store *s, int64_t id, struct tenant_rec *ret,
		       struct err *e);
int store_request_list(struct store *s, int64_t tenant_id, int64_t case_id,
		       struct request_rec **ret, size_t *ret_n,
		       struct err *e);
int store_checkout_insert(struct store *s, const struct checkout_rec *c,
			  int64_t *ret_id, struct err *e);
int store_checkout_find(struct store *s, int64_t tenant_id,
			const char *provider, const char *provider_id,
			struct checkout_rec *ret, struct err *e);
int store_checkout_set_status(struct store *s, int64_t tenant_id, int64_t id,
			      const char *status, instant_t now,
			      struct err *e);
void payment_list_free(struct payment_rec *list, size_t n);
void plan_rec_clear(struct plan_rec *p);
void request_rec_clear(struct request_rec *r);
void request_list_free(struct request_rec *list, size_t n);
void checkout_rec_clear(struct checkout_rec *c);
/* Bank statements (migration 0010): see struct store_backend. */
int store_statement_index(struct store *s, int64_t tenant_id,
			  const struct stmt_index_cb *cb, struct err *e);
int store_statement_entry_known(struct store *s, int64_t tenant_id,
				const char *bank_ref, const char *status,
				int *ret_known, struct err *e);
int store_statement_entry_insert(struct store *s,
				 const struct statement_entry_rec *en,
				 int64_t *ret_id, struct err *e);
int store_review_insert(struct store *s, int64_t tenant_id, int64_t entry_id,
			const char *reason, const char *candidates,
			instant_t now, int64_t *ret_id, struct err *e);
int store_payer_upsert(struct store *s, int64_t tenant_id, int64_t customer_id,
		       const char *iban, const char *name, date_t seen,
		       struct err *e);
int store_statement_paid_find(struct store *s, int64_t tenant_id,
			      const char *e2e, const char *statement_id,
			      int64_t amount, const char *currency, int limit,
			      struct stmt_paid_rec **ret, size_t *ret_n,
			      struct err *e);
int store_invoices_paid(struct store *s, int64_t tenant_id,
			int64_t customer_id, const char *currency,
			struct invoice_rec **ret, size_t *ret_n,
			struct err *e);
/* ---- statement batch ---- */
int store_statement_rows_held(struct store *s);
int store_cases_with_event(struct store *s, int64_t tenant_id,
			   const int64_t *ids, size_t n, const char *kind,
			   int64_t **ret, size_t *ret_n, struct err *e);
int store_statement_entries_insert(struct store *s,
				   const struct statement_entry_rec *en,
				   size_t n, int64_t *ret_ids, struct err *e);
int store_payment_insert_credit(struct store *s, const struct payment_rec *p,
				int64_t credit_minor, int *ret_inserted,
				struct err *e);

void tenant_rec_clear(struct tenant_rec *t);
void tenant_list_free(struct tenant_rec *t, size_t n);

int store_customer_upsert(struct store *s, const struct customer_rec *c,
			  int64_t *ret_id, struct err *e);
int store_customer_get(struct store *s, int64_t tenant_id,
		       const char *external_id, struct customer_rec *ret,
		       struct err *e);
int store_customer_id(struct store *s, int64_t tenant_id,
		      const char *external_id, int64_t *ret_id, struct err *e);
void customer_rec_clear(struct customer_rec *c);

int store_invoice_upsert(struct store *s, const struct invoice_rec *inv,
			 int64_t *ret_id, struct err *e);
int store_invoice_get(struct store *s, int64_t tenant_id,
		      const char *external_id, struct invoice_rec *ret,
		      struct err *e);
int store_invoice_find_ref(struct store *s, int64_t tenant_id,
			   const char *ref, struct invoice_rec *ret,
			   struct err *e);
int store_invoices_open(struct store *s, int64_t tenant_id,
			int64_t customer_id, const char *currency,
			struct invoice_rec **ret, size_t *ret_n, struct err *e);
int store_invoice_set_open(struct store *s, int64_t tenant_id,
			   int64_t invoice_id, int64_t open_minor,
			   struct err *e);
int store_invoice_write_off(struct store *s, int64_t tenant_id,
			    int64_t invoice_id, struct err *e);
void invoice_rec_clear(struct invoice_rec *inv);
void invoice_list_free(struct invoice_rec *inv, size_t n);
int store_payment_insert(struct store *s, const struct payment_rec *p,
			 int *ret_inserted, struct err *e);

int store_strategy_add(struct store *s, int64_t tenant_id, const char *source,
		       const char *yaml, int activate, int *ret_version,
		       struct err *e);
int store_strategy_get(struct store *s, int64_t tenant_id, int version,
		       struct strategy_version_rec *ret, struct err *e);
void strategy_version_rec_clear(struct strategy_version_rec *r);

int store_work_load(struct store *s, int64_t tenant_id, int64_t customer_from,
		    int64_t customer_to, date_t contacts_since,
		    struct work_set *ret, struct err *e);
/* Free the work, arena included. */
void work_set_clear(struct work_set *w);
int store_customer_id_range(struct store *s, int64_t tenant_id,
			    int64_t *ret_min, int64_t *ret_max, struct err *e);

int store_case_insert(struct store *s, const struct case_rec *c,
		      int64_t *ret_id, struct err *e);
int store_case_update(struct store *s, const struct case_rec *c,
		      struct err *e);
int store_case_list(struct store *s, int64_t tenant_id, int64_t customer_id,
		    struct case_rec **ret, size_t *ret_n, struct err *e);
void case_list_free(struct case_rec *c, size_t n);
int store_action_insert(struct store *s, const struct action_rec *a,
			struct err *e);
int store_event_append(struct store *s, const struct event_rec *ev,
		       struct err *e);
/* Append one event to a case's log (store_event_append with its record
 * filled in). */
int store_case_event(struct store *s, int64_t tenant_id, int64_t case_id,
		     instant_t at, const char *kind, const char *detail,
		     struct err *e);
int store_case_history(struct store *s, int64_t tenant_id, int64_t case_id,
		       store_history_cb cb, void *ctx, struct err *e);
int store_stats(struct store *s, int64_t tenant_id, struct store_stats *ret,
		struct err *e);

/* The tables of the store, parents first, NULL-terminated. */
const char *const *store_tables(void);
/* For backends building copy SQL: 0 when `table` is one of store_tables(),
 * else -ERR_INVALID with a message; and whether a column name from another
 * backend is a plain identifier ([a-z_], at most 63 bytes) fit to be put
 * into SQL text. */
int store_table_check(const char *table, struct err *e);
int store_identifier_ok(const char *name);
/* Copy every row of `src` into `dst` (migrated, empty) in one transaction
 * of `dst`; `progress` (may be NULL) gets a line per table. */
int store_copy_all(struct store *src, struct store *dst, FILE *progress,
		   struct err *e);

int store_ranges_ensure(struct store *s, int64_t tenant_id, int64_t size,
			struct err *e);
int store_range_claim(struct store *s, int64_t tenant_id, instant_t as_of,
		      int64_t *ret_from, int64_t *ret_to, int *ret_found,
		      struct err *e);
int store_range_peek(struct store *s, int64_t tenant_id, int64_t after,
		     instant_t as_of, int64_t *ret_from, int64_t *ret_to,
		     int *ret_found, struct err *e);
int store_range_done(struct store *s, int64_t tenant_id, int64_t from,
		     instant_t as_of, struct err *e);

/*
 * The team's console (migration 0011): see struct store_backend. The
 * operator functions behind these are in operator.c; nothing here hashes
 * or checks a password.
 *
 * store_queue: the agents' queue, one item per thing needing a person,
 * most urgent first: by rank, then by time within a rank, at most `limit`
 * items (1..STORE_QUEUE_MAX) of the tenant:
 *   1 help             open help requests, oldest first
 *   2 callback         open call-back requests, by the time asked for
 *   3 dispute          open disputes, oldest first
 *   4 vulnerable       open cases of vulnerable customers without a note,
 *                      oldest case first
 *   5 broken_plan      open cases whose latest plan broke, by when
 *   6 payment_review   open review items of bank statements (no case:
 *                      case_id 0), oldest first
 *   7 handed_to_agent  open cases with a case.handed_to_agent event and
 *                      no note since the latest one, by that event
 * A case may appear under more than one kind. Requests are shown whatever
 * their case's state; the other case kinds only while it is open.
 */
#define STORE_QUEUE_MAX 1000
int store_operator_insert(struct store *s, const struct operator_rec *o,
			  const char *password_hash, int64_t *ret_id,
			  struct err *e);
int store_operator_find(struct store *s, int64_t tenant_id, const char *email,
			struct operator_rec *ret, char **ret_hash,
			struct err *e);
int store_operator_list(struct store *s, int64_t tenant_id,
			struct operator_rec **ret, size_t *ret_n,
			struct err *e);
int store_operator_set_disabled(struct store *s, int64_t tenant_id,
				const char *email, int disabled,
				int *ret_found, struct err *e);
int store_session_insert(struct store *s,
			 const struct operator_session_rec *ses,
			 struct err *e);
int store_session_find(struct store *s, const char *token_hash,
		       struct operator_session_rec *ret,
		       struct operator_rec *ret_operator, struct err *e);
int store_session_touch(struct store *s, const char *token_hash,
			instant_t last_seen, struct err *e);
int store_session_delete(struct store *s, const char *token_hash,
			 struct err *e);
int store_sessions_end(struct store *s, int64_t tenant_id,
		       int64_t operator_id, instant_t before, int idle_seconds,
		       struct err *e);
int store_login_failure_add(struct store *s, int64_t tenant_id,
			    const char *email, const char *remote,
			    instant_t at, struct err *e);
int store_login_failures_count(struct store *s, int64_t tenant_id,
			       const char *email, const char *remote,
			       instant_t since, int64_t *ret_by_email,
			       instant_t *ret_oldest_email,
			       int64_t *ret_by_remote,
			       instant_t *ret_oldest_remote, struct err *e);
int store_login_failures_prune(struct store *s, int64_t tenant_id,
			       instant_t before, struct err *e);
int store_case_notes(struct store *s, int64_t tenant_id, int64_t case_id,
		     struct case_note_rec **ret, size_t *ret_n, struct err *e);
/* -ERR_INVALID for an empty body, -ERR_TOOBIG over STORE_NOTE_MAX. */
int store_case_note_add(struct store *s, const struct case_note_rec *n,
			int64_t *ret_id, struct err *e);
int store_queue(struct store *s, int64_t tenant_id, int limit,
		struct queue_item **ret, size_t *ret_n, struct err *e);
void operator_rec_clear(struct operator_rec *o);
void operator_list_free(struct operator_rec *list, size_t n);
void case_note_list_free(struct case_note_rec *list, size_t n);
void queue_list_free(struct queue_item *list, size_t n);

/* Reports (migration 0014): see struct store_backend and struct
 * report_row. store_portal_visit is what the portal calls on every view
 * of a personal page (at most one row per case and day). */
int store_report_refresh(struct store *s, int64_t tenant_id, date_t as_of,
			 instant_t now, struct err *e);
int store_report_rows(struct store *s, int64_t tenant_id,
		      struct report_info *ret_info, struct report_row **ret,
		      size_t *ret_n, struct err *e);
int store_portal_visit(struct store *s, int64_t tenant_id, int64_t case_id,
		       date_t day, struct err *e);
void report_row_list_free(struct report_row *list, size_t n);

/* Automatic charges (migration 0013): see struct store_backend and struct
 * charge_rec. */
int store_charge_insert(struct store *s, const struct charge_rec *c,
			int64_t *ret_id, int *ret_inserted, struct err *e);
int store_charge_get(struct store *s, int64_t tenant_id, int64_t id,
		     struct charge_rec *ret, struct err *e);
int store_charge_find(struct store *s, int64_t tenant_id,
		      const char *provider, const char *provider_id,
		      struct charge_rec *ret, struct err *e);
int store_charge_update(struct store *s, const struct charge_rec *c,
			struct err *e);
int store_charge_due(struct store *s, int64_t tenant_id, date_t until,
		     int64_t **ret, size_t *ret_n, struct err *e);
int store_charge_list(struct store *s, int64_t tenant_id, int64_t customer_id,
		      struct charge_rec **ret, size_t *ret_n, struct err *e);
void charge_rec_clear(struct charge_rec *c);
void charge_list_free(struct charge_rec *list, size_t n);

/*
 * ---- experiments (migration 0015) ----: see struct store_backend.
 * store_experiment_stats counts, per experiment, currency and variant:
 * the cases, those resolved, the payments of each case's customer in its
 * currency from the day it opened to the day it closed (still open: to
 * now), days from opening to closing of the resolved ones, the messages
 * sent, customers now do-not-contact (opt-outs) and cases with a help or
 * call-back request. One query, aggregated in SQL.
 */
int store_case_experiment_add(struct store *s, int64_t tenant_id,
			      int64_t case_id, const char *experiment_id,
			      int variant, const char *strategy,
			      struct err *e);
int store_experiment_stats(struct store *s, int64_t tenant_id,
			   struct experiment_stat_rec **ret, size_t *ret_n,
			   struct err *e);
int store_strategy_activate(struct store *s, int64_t tenant_id, int version,
			    int *ret_found, struct err *e);
int store_strategy_change_add(struct store *s, int64_t tenant_id,
			      int version, const char *action,
			      int64_t operator_id, instant_t at,
			      struct err *e);
int store_strategy_changes(struct store *s, int64_t tenant_id, int limit,
			   struct strategy_change_rec **ret, size_t *ret_n,
			   struct err *e);
void experiment_stat_list_free(struct experiment_stat_rec *list, size_t n);
void strategy_change_list_free(struct strategy_change_rec *list, size_t n);

/*
 * ---- payment review (console) ----: see struct store_backend. The
 * console's payment review page (console_review.c) reads a review item
 * and the invoices, cases and customers it might go to, and records a
 * person's decision: the item done, the entry's outcome. Writing off or
 * closing a case from the console cancels its queued messages.
 */
int store_review_get(struct store *s, int64_t tenant_id, int64_t review_id,
		     struct review_rec *ret, struct err *e);
int store_review_target(struct store *s, int64_t tenant_id, int is_case,
			int64_t id, struct review_target *ret, struct err *e);
int store_review_customers(struct store *s, int64_t tenant_id,
			   const char *query, int limit,
			   struct review_target **ret, size_t *ret_n,
			   struct err *e);
int store_review_done(struct store *s, int64_t tenant_id, int64_t review_id,
		      instant_t now, int *ret_found, struct err *e);
int store_review_entry_decide(struct store *s, int64_t tenant_id,
			      int64_t entry_id,
			      const struct statement_entry_rec *rec,
			      struct err *e);
int store_case_messages_cancel(struct store *s, int64_t tenant_id,
			       int64_t case_id, const char *reason,
			       instant_t now, long *ret_n, struct err *e);
void review_rec_clear(struct review_rec *r);
void review_target_clear(struct review_target *t);
void review_target_list_free(struct review_target *list, size_t n);

#endif
