/*
 * psp: payment providers' hosted checkouts, behind one interface.
 *
 * A customer who pays by card or a local method (iDEAL, Bancontact, ...)
 * is sent to the provider's own payment page (PCI DSS SAQ A: no card data
 * ever reaches dunwell). An adapter does two things only:
 *
 *   checkout  ask the provider for a payment of a case's amount and get
 *             back the provider's payment id and the page to redirect to;
 *   webhook   turn the provider's notification into a verified psp_event
 *             (Stripe: the signature is checked; Mollie: the unsigned
 *             notice is verified by fetching the payment from the API).
 *
 * Adapters never touch the store, never decide what a payment means for a
 * case (that is pay/allocation), never print. They are chosen by the
 * scheme of a setting ("mollie:...", "stripe:...", see psp_mollie.h and
 * psp_stripe.h) through psp_open, and called through the thin wrappers
 * below, which check a request once for every adapter.
 *
 * A handle keeps its HTTP connections between calls; like http_client it
 * is used by one thread at a time (open one per event-loop thread).
 */
#ifndef DUNWELL_PSP_H
#define DUNWELL_PSP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "date.h"
#include "err.h"
#include "http_client.h"

#define PSP_ID_MAX 128          /* a provider's id (tr_..., cs_..., evt_...)
				   with NUL */
#define PSP_URL_MAX 2048        /* a checkout URL with NUL */
#define PSP_TENANT_MAX 64       /* tenant slug with NUL */
#define PSP_REF_MAX 40          /* RF creditor reference (ISO 11649: at
				   most 25 characters) with NUL, room kept */
#define PSP_METHOD_MAX 32       /* payment method name with NUL */
#define PSP_DESC_MAX 255        /* bytes of a description (Mollie's limit) */
#define PSP_KEY_MAX 255         /* bytes of an idempotency key (Stripe's) */
#define PSP_WEBHOOK_BODY_MAX (64 * 1024) /* bytes of a webhook body */
#define PSP_REQ_BODY_MAX (16 * 1024)     /* bytes of a request we build */
#define PSP_TIMEOUT_S 15        /* default seconds per provider request */

/* The distinct, non-error answer of psp_webhook: a notification that is
 * authentic but carries nothing dunwell acts on (an event type it does
 * not handle, a checkout that is not dunwell's). Answer the provider 200
 * so it stops resending; e->msg says why it was ignored. */
#define PSP_IGNORED 1

/* Where a payment stands, as the provider last said. */
enum psp_status {
	PSP_PENDING = 0, /* created, open or being processed: not money yet */
	PSP_PAID,        /* the money is the tenant's */
	PSP_FAILED,      /* the attempt failed (declined, async failure) */
	PSP_CANCELED,    /* the customer or the tenant canceled it */
	PSP_EXPIRED,     /* the checkout ran out of time unpaid */
	PSP_REFUNDED,    /* paid, then (partly) refunded or charged back */
};

/* The one-word name of a status ("paid"), for logs and the store. */
const char *psp_status_name(enum psp_status s);

/* A payment to ask for. Everything is borrowed for the call. */
struct psp_checkout_req {
	const char *tenant;          /* tenant slug: metadata, for matching */
	int64_t case_id;             /* the case paid (> 0): metadata */
	int64_t amount;              /* minor units of currency, > 0 */
	const char *currency;        /* ISO 4217 code, "EUR" */
	const char *description;     /* shown on the payment page and the
					statement (1..PSP_DESC_MAX bytes) */
	const char *reference;       /* the case's RF reference: metadata;
					NULL or "" for none */
	const char *locale;          /* the customer's: "nl-NL", "nl_NL",
					"nl"; NULL or "" lets the provider
					choose */
	const char *method;          /* "ideal", "bancontact", "card", "eps",
					"przelewy24"; NULL or "" lets the
					customer choose on the page */
	const char *redirect_url;    /* back to the portal after paying */
	const char *cancel_url;      /* back to the portal when the customer
					gives up; NULL: redirect_url */
	const char *webhook_url;     /* where the provider notifies (Mollie
					needs it; Stripe's endpoint is set
					in its dashboard, so it is unused) */
	const char *idempotency_key; /* the same key for a repeated request
					(1..PSP_KEY_MAX printable bytes) */
};

/* What the provider created. */
struct psp_checkout {
	char id[PSP_ID_MAX];   /* the provider's payment or session id: the
				  key that webhooks name */
	char url[PSP_URL_MAX]; /* the hosted page to redirect the customer to
				  (https://, or http:// to loopback in tests) */
};

/* One HTTP request header of a webhook, as received. */
struct psp_header {
	const char *name;  /* any case: looked up case-insensitively */
	const char *value; /* as received */
};

/* A webhook request, borrowed for the call. */
struct psp_webhook_req {
	const struct psp_header *headers; /* the request's headers */
	size_t n_headers;                 /* entries in headers */
	const char *body;                 /* the raw body, exactly as
					     received (signatures cover it) */
	size_t body_len;                  /* bytes of body */
};

/* A verified notification. */
struct psp_event {
	char payment_id[PSP_ID_MAX];  /* the provider's payment/session id */
	char event_id[PSP_ID_MAX];    /* for de-duplication: Stripe's evt_...;
					 for Mollie (which has no event ids)
					 "tr_...:<status>[:<refunded>]", so
					 the same state seen twice is one
					 event */
	enum psp_status status;       /* where the payment stands */
	int64_t amount;               /* the payment's amount, minor units */
	char currency[4];             /* its ISO 4217 code */
	int64_t refunded;             /* minor units refunded or charged
					 back so far (PSP_REFUNDED when > 0) */
	char tenant[PSP_TENANT_MAX];  /* from metadata: the tenant slug */
	int64_t case_id;              /* from metadata: the case (> 0) */
	char reference[PSP_REF_MAX];  /* from metadata: RF reference, "" if
					 none was given */
	char method[PSP_METHOD_MAX];  /* the provider's method name ("ideal",
					 "creditcard", "card"), "" unknown */
	instant_t paid_at;            /* when it was paid (PSP_PAID and
					 PSP_REFUNDED), else 0 */
	int livemode;                 /* 1 live money, 0 the provider's test
					 mode */
};

/* ---- automatic charges (issue #7, see charge.h) --------------------------- */

#define PSP_CODE_MAX 64 /* a decline or return reason code with NUL */

/* What a charge notification is about. */
enum psp_charge_kind {
	PSP_CHARGE_ATTEMPT = 1, /* an automatic charge's outcome */
	PSP_CHARGE_MANDATE,     /* the customer set up a new payment method
				   (the "update payment method" flow) */
};

/* A verified notification about an automatic charge. */
struct psp_charge_event {
	enum psp_charge_kind kind;       /* what it is about */
	char event_id[PSP_ID_MAX];       /* Stripe's evt_...; Mollie
					    "tr_...:<status>" */
	char payment_id[PSP_ID_MAX];     /* the charge: pi_... / tr_...; for a
					    mandate the setup's cs_/tr_ */
	char attempt_id[PSP_ID_MAX];     /* this try: Stripe's latest charge
					    ch_... (the PaymentIntent's id
					    when it names none), Mollie tr_ */
	enum psp_status status;          /* PSP_FAILED, PSP_PAID, PSP_PENDING
					    (a mandate: PSP_PAID when set up) */
	int64_t amount;                  /* minor units of currency */
	char currency[4];                /* ISO 4217 */
	char customer_ref[PSP_ID_MAX];   /* the provider's customer, cus_... /
					    cst_...; "" when none */
	char mandate_ref[PSP_ID_MAX];    /* payment method pm_... / mandate
					    mdt_...; for PSP_CHARGE_MANDATE
					    the new one; "" when none */
	char failure_code[PSP_CODE_MAX]; /* Stripe decline_code (else code),
					    Mollie bankReasonCode (direct
					    debit) or failureReason (card) */
	char tenant[PSP_TENANT_MAX];     /* metadata.tenant, "" when none */
	char customer[PSP_ID_MAX];       /* metadata.customer: the tenant's
					    customer id, "" when none */
	char invoice[PSP_ID_MAX];        /* metadata.invoice, "" when none */
	int64_t case_id;                 /* metadata.case_id, 0 when none */
	int64_t charge_id;               /* metadata.charge_id (dunwell's
					    retries), 0 when none */
	instant_t at;                    /* when it happened (the event's
					    created, Mollie's paidAt/failedAt),
					    0 unknown */
	int livemode;                    /* 1 live money, 0 test mode */
};

/* A failed charge to try again, off-session (the customer is not there). */
struct psp_recharge_req {
	const char *tenant;          /* tenant slug: metadata */
	int64_t case_id;             /* the case (>= 0; 0: none yet) */
	int64_t charge_id;           /* dunwell's charge id (> 0): metadata */
	const char *payment_id;      /* Stripe: the PaymentIntent to confirm
					again (pi_...); Mollie: unused */
	const char *customer_ref;    /* Mollie: customerId (cst_..., needed);
					Stripe: unused */
	const char *mandate_ref;     /* Stripe: payment_method (pm_...),
					Mollie: mandateId (mdt_...); NULL or
					"": the one on file */
	int64_t amount;              /* Mollie: minor units (> 0); Stripe:
					the PaymentIntent's own */
	const char *currency;        /* Mollie: ISO 4217 */
	const char *description;     /* Mollie: 1..PSP_DESC_MAX bytes */
	const char *webhook_url;     /* Mollie: where it notifies */
	const char *idempotency_key; /* one per try: the same try asked twice
					is one try */
};

/* What the provider made of a retry. */
struct psp_recharge {
	char payment_id[PSP_ID_MAX];     /* Stripe: the same pi_; Mollie: the
					    new recurring payment's tr_ */
	char attempt_id[PSP_ID_MAX];     /* this try (ch_... / tr_...) */
	enum psp_status status;          /* PSP_PAID, PSP_FAILED or
					    PSP_PENDING (direct debit: the
					    answer comes by webhook) */
	char failure_code[PSP_CODE_MAX]; /* when PSP_FAILED, "" unknown */
};

/* The customer's "update payment method" flow: a hosted page where they
 * set up a new card or mandate (Stripe: Checkout in mode=setup; Mollie: a
 * first payment of the smallest amount, sequenceType=first). */
struct psp_setup_req {
	const char *tenant;          /* tenant slug: metadata */
	int64_t case_id;             /* the case (> 0): metadata */
	const char *customer_ref;    /* the provider's customer (cus_/cst_) */
	const char *currency;        /* ISO 4217 (Mollie charges its
					smallest unit of it) */
	const char *description;     /* 1..PSP_DESC_MAX bytes */
	const char *locale;          /* as for a checkout; NULL or "" */
	const char *redirect_url;    /* back to the portal */
	const char *cancel_url;      /* NULL: redirect_url */
	const char *webhook_url;     /* Mollie: where it notifies */
	const char *idempotency_key; /* 1..PSP_KEY_MAX printable bytes */
};

/* An adapter. One static const instance per provider. */
struct psp_backend {
	const char *scheme; /* the setting's prefix: "mollie", "stripe" */
	/* Parse a setting and make a handle; errors name the parameter at
	 * fault, never a secret's value. */
	int (*open)(const char *config, void **ret_handle, struct err *e);
	/* Create a payment (req already checked by psp_checkout). */
	int (*checkout)(void *h, const struct psp_checkout_req *req,
			instant_t now, struct psp_checkout *ret,
			struct err *e);
	/* Verify and read a notification; 0, PSP_IGNORED or an error. */
	int (*webhook)(void *h, const struct psp_webhook_req *in,
		       instant_t now, struct psp_event *ret, struct err *e);
	void (*close)(void *h); /* NULL is fine */
	/* Automatic charges (NULL: not supported). Verify and read a
	 * notification about a charge or a new payment method: 0, or
	 * PSP_IGNORED when it is about neither (the caller then reads it
	 * with webhook), or an error as webhook's. */
	int (*charge_event)(void *h, const struct psp_webhook_req *in,
			    instant_t now, struct psp_charge_event *ret,
			    struct err *e);
	/* Try a failed charge again (req checked by psp_recharge). */
	int (*recharge)(void *h, const struct psp_recharge_req *req,
			instant_t now, struct psp_recharge *ret,
			struct err *e);
	/* Start the update-payment-method flow (req checked by psp_setup). */
	int (*setup)(void *h, const struct psp_setup_req *req, instant_t now,
		     struct psp_checkout *ret, struct err *e);
};

/* The adapter named by a setting's scheme (the text before ':'), or NULL. */
const struct psp_backend *psp_backend_find(const char *config);

/* ---- the handle and its wrappers ----------------------------------------- */

struct psp; /* opaque: a backend and its handle */

/* Open the adapter the setting names. -ERR_NOTFOUND for an unknown scheme
 * (the message lists the known ones); the adapter's errors otherwise. */
int psp_open(const char *config, struct psp **ret, struct err *e);
void psp_close(struct psp *p); /* NULL is fine */
const char *psp_scheme(const struct psp *p);

/*
 * Ask for a payment. The request is checked first (every field named in
 * the error): -ERR_INVALID or -ERR_RANGE, nothing sent. Then:
 *   0              *ret holds the provider's id and the checkout URL;
 *   -ERR_INVALID   the provider refused the request or the credentials
 *                  (4xx: its status, error and field are in the message)
 *                  or answered something unreadable;
 *   -ERR_IO        no answer, 429 or 5xx: try again later (with the same
 *                  idempotency key).
 * *ret is untouched on failure.
 */
int psp_checkout(struct psp *p, const struct psp_checkout_req *req,
		 instant_t now, struct psp_checkout *ret, struct err *e);

/*
 * Verify a notification and read it:
 *   0              *ret is a verified event;
 *   PSP_IGNORED    authentic but nothing to act on (*ret zeroed but for
 *                  event_id and payment_id when known; e says why);
 *   -ERR_INVALID   malformed, badly signed, stale, or inconsistent: answer
 *                  4xx and log (the message names the field);
 *   -ERR_TOOBIG    the body is longer than PSP_WEBHOOK_BODY_MAX;
 *   -ERR_NOTFOUND  (Mollie) the provider does not know the payment;
 *   -ERR_IO        (Mollie) the provider could not be asked: answer 5xx
 *                  so it notifies again later.
 * *ret is untouched on error.
 */
int psp_webhook(struct psp *p, const struct psp_webhook_req *in,
		instant_t now, struct psp_event *ret, struct err *e);

/*
 * Automatic charges (issue #7). psp_charge_event verifies a notification
 * as psp_webhook does and answers 0 for a charge's outcome or a new
 * payment method, PSP_IGNORED for anything else (then read it with
 * psp_webhook), or psp_webhook's errors. psp_recharge tries a failed
 * charge again: 0 with the outcome in *ret (a decline is a PSP_FAILED
 * outcome, not an error), or psp_checkout's errors. psp_setup starts the
 * update-payment-method page: as psp_checkout. -ERR_NOTFOUND when the
 * adapter has no such operation. *ret is untouched on error.
 */
int psp_charge_event(struct psp *p, const struct psp_webhook_req *in,
		     instant_t now, struct psp_charge_event *ret,
		     struct err *e);
int psp_recharge(struct psp *p, const struct psp_recharge_req *req,
		 instant_t now, struct psp_recharge *ret, struct err *e);
int psp_setup(struct psp *p, const struct psp_setup_req *req, instant_t now,
	      struct psp_checkout *ret, struct err *e);

/* ---- helpers shared by the adapters -------------------------------------- */

/* The value of header `name` (any case), or NULL. */
const char *psp_header_get(const struct psp_webhook_req *in,
			   const char *name);

/* Copy s into dst (cap bytes with NUL); -ERR_TOOBIG naming `what` when it
 * does not fit, dst untouched. */
int psp_copy(char *dst, size_t cap, const char *s, const char *what,
	     struct err *e);

/* 1 when s is prefix followed by 1..max_tail ASCII letters, digits or
 * '_' (provider ids such as tr_7UhSN1zuXS, cs_test_a1B2, evt_1Nx...). */
int psp_id_shape(const char *s, const char *prefix, size_t max_tail);

/* A case id written as decimal digits ("42"): 1..INT64_MAX, no sign, no
 * leading zero. -ERR_INVALID naming `what`. */
int psp_parse_case_id(const char *s, const char *what, int64_t *ret,
		      struct err *e);

/* The language (2 lower-case letters) and region (2 upper-case letters,
 * "" when none) of "nl-NL", "nl_NL", "nl"; -ERR_INVALID otherwise. */
int psp_locale_split(const char *locale, char ret_lang[3],
		     char ret_region[3], struct err *e);

/* The member `key` of object o (which may be NULL) as a JSON value of
 * `type`, into *ret (borrowed). Absent or null: -ERR_INVALID "ctx.key:
 * missing", or 0 with *ret = NULL when `optional`; another type:
 * -ERR_INVALID "ctx.key: expected a string" (ctx "" names just key). */
int psp_json_field(json_t *o, const char *ctx, const char *key,
		   json_type type, int optional, json_t **ret, struct err *e);
/* The same for a string, *ret its text (NULL when optional and absent). */
int psp_json_str(json_t *o, const char *ctx, const char *key, int optional,
		 const char **ret, struct err *e);

/* A provider's answer to one request. */
struct psp_http_resp {
	long status;       /* HTTP status, 0 when none arrived */
	struct buf body;   /* the body (at most HTTP_CLIENT_BODY_MAX bytes) */
	int truncated;     /* 1 when the body was cut */
	char error[HTTP_CLIENT_ERROR_MAX]; /* transport failure, "" if none */
};

/* GET url with the header lines (NULL entries skipped), no redirects,
 * http(s) only, answers bounded like http_client's. A failed transfer is
 * status 0 with error set, not an error of the call. ret is set up in
 * every case; release with psp_http_resp_free. (http_client only POSTs;
 * Mollie's verification is a GET.) */
void psp_http_get(const char *url, int timeout_s,
		  const char *const headers[HTTP_CLIENT_HEADERS_MAX],
		  struct psp_http_resp *ret);
/* POST through c (see http_client_post_many), the answer into ret. */
void psp_http_post(struct http_client *c, const struct http_client_req *req,
		   instant_t now, struct psp_http_resp *ret);
void psp_http_resp_free(struct psp_http_resp *r); /* NULL is fine */

/* "Name: value" into line (HTTP_CLIENT_LINE_MAX bytes); -ERR_INVALID for
 * a control character (header injection) or a value too long, naming
 * `what` but not the value (it may be a secret). */
int psp_header_line(char line[HTTP_CLIENT_LINE_MAX], const char *name,
		    const char *value, const char *what, struct err *e);

#endif
