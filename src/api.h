/*
 * api: the JSON API v1 (issue #5): API keys, the error object,
 * Idempotency-Key, cursor pagination, customers and invoices. The route
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
void api_invoices_list(const struct http_request *req,
		       struct http_response *resp);
void api_invoice_post(const struct http_request *req,
		      struct http_response *resp);
void api_invoices_bulk(const struct http_request *req,
		       struct http_response *resp);

#endif
