/*
 * api_util: the parts every handler of the JSON API v1 shares (api.c,
 * api_resources.c): authentication by API key with its scopes and rate
 * limit, the error object, Idempotency-Key, the JSON body and its fields,
 * pagination parameters and a few JSON values. The names keep the api_
 * prefix of the API's modules, so a handler reads the same in either file.
 *
 * Every answering function fills the response itself (status, JSON body);
 * a function that can fail returns < 0 (or NULL) after answering, and the
 * handler then just returns. Nothing here logs a body, a key or personal
 * data; api_fail logs the store's message, which names places and ids.
 */
#ifndef DUNWELL_API_UTIL_H
#define DUNWELL_API_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "date.h"
#include "err.h"
#include "http.h"

#define API_PARAM_MAX 64   /* bytes of a "param" such as invoices[3].due_date */
#define API_MSG_MAX 256    /* bytes of an error message */

/* Who is asking: from the API key. */
struct api_auth {
	int64_t tenant_id; /* every store call is scoped to it */
	unsigned scopes;   /* API_SCOPE_* (api.h); admin implies read, write */
};

/* A POST handler after authentication (run by api_idempotent()). */
typedef void (*api_post_fn)(const struct http_request *req,
			    struct http_response *resp,
			    const struct api_auth *a);

/* ---- answers ------------------------------------------------------------ */

/* Put v (stolen) as the body with `status`. */
void api_send_json(struct http_response *resp, int status, json_t *v);

/* The error object: {"error": {"type", "code", "message", "param"}};
 * param is left out when NULL. */
void api_error(struct http_response *resp, int status, const char *type,
	       const char *code, const char *message, const char *param);

/* 400 invalid_request_error with `code`. */
void api_bad_request(struct http_response *resp, const char *code,
		     const char *message, const char *param);

/* 404 resource_missing: "No such <what>." naming `param`. */
void api_missing(struct http_response *resp, const char *what,
		 const char *param);

/* A store failure: logged (what and the store's message) and answered 500
 * with a message that says nothing about the inside. */
void api_fail(const struct http_request *req, struct http_response *resp,
	      const char *what, const struct err *e);

/* 400 parameter_invalid naming `param`, and *bad = 1. */
void api_invalid(struct http_response *resp, const char *param,
		 const char *why, int *bad);

/* ---- authentication and idempotency ------------------------------------- */

/*
 * The tenant and scopes of the request's key (Authorization: Bearer
 * dw_live_...), after a token from its rate-limit bucket. Answers 401 (no
 * key, a malformed, unknown or revoked one), 429 (over the key's rate) or
 * 403 (the key lacks a scope of `need`, API_SCOPE_* bits) itself and
 * returns < 0 then.
 */
int api_authenticate(const struct http_request *req,
		     struct http_response *resp, unsigned need,
		     struct api_auth *ret);

/*
 * Run `fn` once per Idempotency-Key (when the request has one): the key is
 * recorded in flight first (a second request while it is: 409), the
 * answer stored after (a retry within 24 hours gets it again with
 * "Idempotent-Replayed: true"; a different request under the same key:
 * 422). A 5xx answer is not stored: the key is forgotten, so a retry runs.
 */
void api_idempotent(const struct http_request *req,
		    struct http_response *resp, const struct api_auth *a,
		    api_post_fn fn);

/* ---- request parts ------------------------------------------------------ */

/* The JSON object of the body (owned by the caller); answers 415/400 itself
 * (NULL then). */
json_t *api_json_body(const struct http_request *req,
		      struct http_response *resp);

/* Answers 400 parameter_unknown naming the first member of `o` that is
 * not in `allowed` (NULL-terminated), `prefix` before its name, and
 * returns -ERR_INVALID; 0 when every member is known. */
int api_fields_known(struct http_response *resp, json_t *o,
		     const char *const *allowed, const char *prefix);

/* A string member: NULL when absent or null; answers 400 (and sets *bad)
 * when it is there but no string, or longer than max, or empty while
 * required. Does nothing once *bad is set. */
const char *api_str_field(struct http_response *resp, json_t *o,
			  const char *name, const char *prefix, size_t max,
			  int required, int *bad);

/* `limit` (1 to API_LIST_MAX, default API_LIST_DEFAULT) and
 * `starting_after` ("" when absent); answers 400 itself (< 0). */
int api_page_params(const struct http_request *req,
		    struct http_response *resp, int *ret_limit,
		    const char **ret_after);

/* A numeric id from the path or a cursor: a positive decimal number of at
 * most 18 digits; -ERR_INVALID otherwise. */
int api_id_parse(const char *s, int64_t *ret);

/* ---- values ------------------------------------------------------------- */

/* A date as JSON: "YYYY-MM-DD", or null for DATE_NONE. */
json_t *api_date_json(date_t d);

/* An instant as JSON: RFC 3339 UTC, or null for 0 (never). */
json_t *api_instant_json(instant_t t);

/* A string, or null for NULL and "". */
json_t *api_str_or_null(const char *s);

#endif
