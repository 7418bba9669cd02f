/*
 * api: the JSON API v1 (issue #5): API keys, the error object,
 * Idempotency-Key, cursor pagination, customers, invoices, cases with
 * their timeline, payments and per-key rate limits. The route
 * table lives in serve.c; these are its handlers. docs/api.md describes
 * the contract, docs/openapi.json the routes (served at
 * GET /v1/openapi.json).
 *
 * Every request but the OpenAPI document carries
 * "Authorization: Bearer dw_live_<43 base64url characters>"; the key's
 * SHA-256 finds its tenant and scopes, and every store call of the request
 * is scoped to that tenant, so one tenant's key never reaches another's
 * data (a foreign id answers 404, as a missing one does). Errors are
 * {"error": {"type", "code", "message", "param"}}. Handlers never log a
 * body, a key or personal data.
 */
#ifndef DUNWELL_API_H
#define DUNWELL_API_H

#include <pthread.h>
#include <stdint.h>

#include "err.h"
#include "http.h"
#include "token.h"

#define API_KEY_PREFIX "dw_live_"      /* every key starts with it */
#define API_KEY_LEN (8 + TOKEN_LEN)    /* "dw_live_" and a token */
#define API_KEY_BUF (API_KEY_LEN + 1)
#define API_KEY_SHOWN 8                /* token characters kept as prefix */
#define API_IDEM_SECONDS (24 * 3600)   /* an answer is replayed this long */
#define API_IDEM_KEY_MAX 255           /* bytes of an Idempotency-Key */
#define API_LIST_MAX 100               /* `limit` at most */
#define API_LIST_DEFAULT 10            /* `limit` when absent */
#define API_BULK_MAX 1000              /* invoices in one bulk request */

/* Rate limits: a token bucket per API key per server. A key may make
 * API_RATE_DEFAULT requests a second on average and API_RATE_BURST_SECONDS
 * seconds' worth (200) at once; DUNWELL_API_RATE (read once, when the
 * first request comes) sets another rate per second, the burst following
 * it. Over the limit: 429 with Retry-After. */
#define API_RATE_DEFAULT 100           /* requests per second per key */
#define API_RATE_BURST_SECONDS 2       /* a full bucket: this many seconds */
#define API_RATE_MAX 1000000           /* the highest DUNWELL_API_RATE */
#define API_RATE_SLOTS 4096            /* keys a server keeps a bucket for */
#define API_RATE_WAYS 8                /* slots a key may take (the least
					  recently used of them is reused) */
#define API_RATE_ENV "DUNWELL_API_RATE"

/* One key's bucket. */
struct api_rate_bucket {
	char key_hash[TOKEN_HASH_BUF]; /* the key's SHA-256 hex; "" when free */
	double tokens;                 /* requests it may make now */
	double at;                     /* when tokens was computed (seconds) */
};

/* The buckets of a server; safe to share between its threads. */
struct api_rate {
	pthread_mutex_t lock;          /* guards everything below */
	double per_second;             /* refill rate */
	double burst;                  /* a bucket's size */
	struct api_rate_bucket slot[API_RATE_SLOTS]; /* by the hash's first
							hex digits */
};

/* Ready `r` for `per_second` requests a second (burst
 * API_RATE_BURST_SECONDS times that, at least 1). */
void api_rate_init(struct api_rate *r, double per_second);
void api_rate_destroy(struct api_rate *r);

/* Take a token for the key whose SHA-256 hex is key_hash at `now`
 * (seconds on a monotonic clock): 0 when the request may go ahead,
 * -ERR_TOOBIG when over the limit, *ret_retry_after then the whole seconds
 * (at least 1) until it could. */
int api_rate_take(struct api_rate *r, const char *key_hash, double now,
		  int *ret_retry_after);

/* The rate per second in DUNWELL_API_RATE's text `s` (NULL or "":
 * API_RATE_DEFAULT); -ERR_INVALID unless a whole number 1..API_RATE_MAX. */
int api_rate_parse(const char *s, double *ret, struct err *e);

/* Scopes, as bits. admin includes read and write. */
enum {
	API_SCOPE_READ = 1 << 0,
	API_SCOPE_WRITE = 1 << 1,
	API_SCOPE_ADMIN = 1 << 2,
};

/* Parse "read,write" (',' or ' ' separated, any of read write admin) into
 * bits and their canonical space-separated text ("read write"); "" or
 * NULL means "read write". -ERR_INVALID naming the word otherwise. */
int api_scopes_parse(const char *s, unsigned *ret_bits, char ret_text[32],
		     struct err *e);

/* A new key: API_KEY_PREFIX + token_new(), its shown prefix (the token's
 * first API_KEY_SHOWN characters) and its SHA-256 hex. */
int api_key_new(char ret_key[API_KEY_BUF],
		char ret_prefix[API_KEY_SHOWN + 1],
		char ret_hash[TOKEN_HASH_BUF], struct err *e);

/* SHA-256 hex of n bytes. */
void api_sha256_hex(const void *p, size_t n, char ret_hex[TOKEN_HASH_BUF]);

/* The handlers (see the route table in serve.c). */
void api_openapi(const struct http_request *req, struct http_response *resp);
void api_customers_list(const struct http_request *req,
			struct http_response *resp);
void api_customer_get(const struct http_request *req,
		      struct http_response *resp);
void api_customer_post(const struct http_request *req,
		       struct http_response *resp);
/* GET /v1/invoices/{id}: one invoice by the tenant's id (404 when the
 * tenant has none). */
void api_invoice_get(const struct http_request *req,
		     struct http_response *resp);
void api_invoices_list(const struct http_request *req,
		       struct http_response *resp);
void api_invoice_post(const struct http_request *req,
		      struct http_response *resp);
void api_invoices_bulk(const struct http_request *req,
		       struct http_response *resp);
void api_cases_list(const struct http_request *req,
		    struct http_response *resp);
void api_case_get(const struct http_request *req, struct http_response *resp);
void api_payment_post(const struct http_request *req,
		      struct http_response *resp);

#endif
