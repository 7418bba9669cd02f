/*
 * api_util: what the JSON API's handlers share (see api_util.h): the
 * answers and the error object, authentication with the per-key rate
 * limit, Idempotency-Key, the JSON body and its fields, pagination
 * parameters. Moved here from api.c unchanged in behaviour (but for the
 * 403 message naming the 'admin' scope), so api.c and api_resources.c
 * answer alike.
 */
#include "api_util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api.h"
#include "serve.h"
#include "store.h"

/* ---- answers ------------------------------------------------------------ */
/* Put v (stolen) as the body with `status`. */
void api_send_json(struct http_response *resp, int status, json_t *v)
{
	char *text = json_dumps(v, JSON_COMPACT);

	json_decref(v);
	if (!text)
		abort(); /* jansson fails only when out of memory */
	buf_reset(&resp->body);
	if (buf_puts(&resp->body, text) < 0 || buf_putc(&resp->body, '\n') < 0) {
		free(text);
		resp->status = 0; /* too big: 500 */
		return;
	}
	free(text);
	resp->status = status;
	resp->content_type = "application/json";
}

/* The error object: {"error": {"type", "code", "message", "param"}};
 * param is left out when NULL. */
void api_error(struct http_response *resp, int status,
	       const char *type, const char *code, const char *message,
	       const char *param)
{
	json_t *err = json_pack("{s:s, s:s, s:s}", "type", type, "code", code,
				"message", message);

	if (param)
		json_object_set_new(err, "param", json_string(param));
	api_send_json(resp, status, json_pack("{s:o}", "error", err));
}

void api_bad_request(struct http_response *resp, const char *code,
		     const char *message, const char *param)
{
	api_error(resp, 400, "invalid_request_error", code, message, param);
}

void api_missing(struct http_response *resp, const char *what,
		 const char *param)
{
	char msg[API_MSG_MAX];

	snprintf(msg, sizeof(msg), "No such %s.", what);
	api_error(resp, 404, "invalid_request_error", "resource_missing", msg,
		  param);
}

/* A store failure: logged (the message names places and ids, never a
 * person) and answered 500. */
void api_fail(const struct http_request *req, struct http_response *resp,
	      const char *what, const struct err *e)
{
	char msg[API_MSG_MAX + ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "api: %s: %s", what,
		 e && e->msg[0] ? e->msg : "failed");
	http_log(req, "error", msg);
	api_error(resp, 500, "api_error", "internal_error",
		  "Something went wrong on our side; try again later.", NULL);
}

/* ---- rate limits -------------------------------------------------------- */

/* The server's buckets, set up by the first request. */
static struct api_rate api_rate_server;
static pthread_once_t api_rate_once = PTHREAD_ONCE_INIT;

static void api_rate_setup(void)
{
	double rate;

	/* An unusable DUNWELL_API_RATE leaves the default. */
	if (api_rate_parse(getenv(API_RATE_ENV), &rate, NULL) < 0)
		rate = API_RATE_DEFAULT;
	api_rate_init(&api_rate_server, rate);
}

static double monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Answers 429 itself (and returns < 0) when the key is over its limit. */
static int rate_check(struct http_response *resp, const char *key_hash)
{
	char after[16];
	int secs = 1;

	pthread_once(&api_rate_once, api_rate_setup);
	if (api_rate_take(&api_rate_server, key_hash, monotonic_seconds(),
			  &secs) == 0)
		return 0;
	snprintf(after, sizeof(after), "%d", secs);
	api_error(resp, 429, "rate_limit_error", "rate_limited",
		  "Too many requests with this API key; retry after the "
		  "seconds in Retry-After.", NULL);
	http_response_header(resp, "Retry-After", after);
	return -ERR_TOOBIG;
}

/* ---- authentication ----------------------------------------------------- */

/*
 * The tenant and scopes of the request's key; answers 401 (no key, a
 * malformed, unknown or revoked one) or 403 (the key lacks `need`) itself
 * and returns < 0 then. The key is looked up by its SHA-256, so the
 * comparison a lookup makes is of hashes, never of the key itself.
 */
/* Keys recently found, per server thread (plain data: nothing to free):
 * a busy client's every request need not read its key from the store.
 * An entry is trusted for API_KEY_CACHE_SECONDS, so a revoked key stops
 * working within that time on every thread. */
#define API_KEY_CACHE_SLOTS 16
#define API_KEY_CACHE_SECONDS 1.0

struct key_cache_entry {
	char hash[TOKEN_HASH_BUF];  /* the key's SHA-256 hex; "" = free */
	int64_t tenant_id;
	char scopes[64];            /* as stored */
	double at;                  /* when read (monotonic seconds) */
};

static _Thread_local struct key_cache_entry key_cache[API_KEY_CACHE_SLOTS];

/* The key of `hash` (working, not revoked), from the cache or the store:
 * 0, -ERR_NOTFOUND (unknown or revoked) or another error. */
static int key_lookup(struct store *s, const char *hash, int64_t *ret_tenant,
		      char *ret_scopes, size_t cap, struct err *e)
{
	struct key_cache_entry *c = &key_cache[(unsigned char)hash[0] %
					       API_KEY_CACHE_SLOTS];
	double now = monotonic_seconds();
	struct apikey_rec k;
	int r;

	if (strcmp(c->hash, hash) == 0 &&
	    now - c->at < API_KEY_CACHE_SECONDS) {
		*ret_tenant = c->tenant_id;
		snprintf(ret_scopes, cap, "%s", c->scopes);
		return 0;
	}
	r = store_apikey_find(s, hash, &k, e);
	if (r == 0 && k.revoked_at != 0) {
		apikey_rec_clear(&k);
		r = -ERR_NOTFOUND;
	}
	if (r < 0) {
		if (strcmp(c->hash, hash) == 0)
			c->hash[0] = '\0';
		return r;
	}
	*ret_tenant = k.tenant_id;
	snprintf(ret_scopes, cap, "%s", k.scopes ? k.scopes : "");
	snprintf(c->hash, sizeof(c->hash), "%s", hash);
	c->tenant_id = k.tenant_id;
	snprintf(c->scopes, sizeof(c->scopes), "%s", k.scopes ? k.scopes : "");
	c->at = now;
	apikey_rec_clear(&k);
	return 0;
}

int api_authenticate(const struct http_request *req,
		     struct http_response *resp, unsigned need,
		     struct api_auth *ret)
{
	const char *h = http_header(req, "Authorization");
	char tok[TOKEN_BUF], hash[TOKEN_HASH_BUF], stored[64];
	struct err e;
	unsigned bits = 0;
	int64_t tenant = 0;
	char scopes[32];
	int r;

	err_clear(&e);
	if (!h || strncmp(h, "Bearer ", 7) != 0 ||
	    strncmp(h + 7, API_KEY_PREFIX, 8) != 0 ||
	    token_parse(h + 15, strlen(h + 15), tok, NULL) < 0) {
		api_error(resp, 401, "authentication_error", "invalid_api_key",
			  "Send a valid API key as 'Authorization: Bearer "
			  "dw_live_...'.", NULL);
		return -ERR_INVALID;
	}
	api_sha256_hex(h + 7, API_KEY_LEN, hash);
	r = key_lookup(serve_store(req), hash, &tenant, stored, sizeof(stored),
		       &e);
	if (r == -ERR_NOTFOUND) {
		api_error(resp, 401, "authentication_error", "invalid_api_key",
			  "The API key is unknown or revoked.", NULL);
		return -ERR_INVALID;
	}
	if (r < 0) {
		api_fail(req, resp, "reading an API key", &e);
		return r;
	}
	if (rate_check(resp, hash) < 0)
		return -ERR_TOOBIG;
	if (api_scopes_parse(stored, &bits, scopes, NULL) < 0)
		bits = 0;
	if (bits & API_SCOPE_ADMIN)
		bits |= API_SCOPE_READ | API_SCOPE_WRITE;
	ret->tenant_id = tenant;
	ret->scopes = bits;
	if ((bits & need) != need) {
		api_error(resp, 403, "permission_error", "missing_scope",
			  need & API_SCOPE_ADMIN
				  ? "This API key lacks the 'admin' scope."
			  : need & API_SCOPE_WRITE
				  ? "This API key lacks the 'write' scope."
				  : "This API key lacks the 'read' scope.",
			  NULL);
		return -ERR_INVALID;
	}
	return 0;
}

/* ---- idempotency -------------------------------------------------------- */

static int idem_key_ok(const char *k)
{
	size_t n = strlen(k);

	if (n == 0 || n > API_IDEM_KEY_MAX)
		return 0;
	for (const char *p = k; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
			return 0;
	return 1;
}

static void replay(const struct http_request *req, struct http_response *resp,
		   const struct idem_rec *rec)
{
	(void)req;
	buf_reset(&resp->body);
	if (buf_puts(&resp->body, rec->response_body) < 0) {
		resp->status = 0;
		return;
	}
	resp->status = rec->status;
	resp->content_type = "application/json";
	http_response_header(resp, "Idempotent-Replayed", "true");
}

/*
 * Run `fn` once per Idempotency-Key (when the request has one): the key is
 * recorded in flight first (a second request while it is: 409), the
 * answer stored after (a retry within 24 hours gets it again with
 * "Idempotent-Replayed: true"; a different request under the same key:
 * 422). A 5xx answer is not stored: the key is forgotten, so a retry runs.
 */
void api_idempotent(const struct http_request *req,
		    struct http_response *resp, const struct api_auth *a,
		    api_post_fn fn)
{
	const char *key = http_header(req, "Idempotency-Key");
	struct store *s = serve_store(req);
	char hash[TOKEN_HASH_BUF];
	struct idem_rec rec;
	struct buf in;
	struct err e;
	int claimed = 0, r;

	if (!key) {
		fn(req, resp, a);
		return;
	}
	err_clear(&e);
	memset(&rec, 0, sizeof(rec));
	if (!idem_key_ok(key)) {
		api_bad_request(resp, "invalid_idempotency_key",
				"Idempotency-Key must be 1 to 255 printable ASCII "
				"characters.", "Idempotency-Key");
		return;
	}
	buf_init(&in, HTTP_BODY_MAX + 4096);
	buf_printf(&in, "%s\n%s\n", req->method, req->path);
	buf_append(&in, req->body, req->body_len);
	api_sha256_hex(in.data, in.len, hash);
	buf_free(&in);

	for (int attempt = 0; attempt < 2; attempt++) {
		r = store_idem_claim(s, a->tenant_id, key, hash, req->now,
				     &claimed, &e);
		if (r < 0) {
			api_fail(req, resp, "recording an idempotency key", &e);
			return;
		}
		if (claimed)
			break;
		r = store_idem_get(s, a->tenant_id, key, &rec, &e);
		if (r == -ERR_NOTFOUND)
			continue; /* forgotten meanwhile: claim again */
		if (r < 0) {
			api_fail(req, resp, "reading an idempotency key", &e);
			return;
		}
		if (rec.created_at + API_IDEM_SECONDS <= req->now) {
			/* its 24 hours are over: a new request */
			idem_rec_clear(&rec);
			if (store_idem_delete(s, a->tenant_id, key, &e) < 0) {
				api_fail(req, resp,
					 "forgetting an idempotency key",
					 &e);
				return;
			}
			continue;
		}
		if (rec.status == 0)
			api_error(resp, 409, "idempotency_error",
				  "idempotency_key_in_use",
				  "A request with this Idempotency-Key is still "
				  "being handled; retry later.",
				  "Idempotency-Key");
		else if (strcmp(rec.request_hash, hash) != 0)
			api_error(resp, 422, "idempotency_error",
				  "idempotency_key_reused",
				  "This Idempotency-Key was used with another "
				  "request.", "Idempotency-Key");
		else
			replay(req, resp, &rec);
		idem_rec_clear(&rec);
		return;
	}
	if (!claimed) {
		api_error(resp, 409, "idempotency_error", "idempotency_key_in_use",
			  "A request with this Idempotency-Key is being handled;"
			  " retry later.", "Idempotency-Key");
		return;
	}
	fn(req, resp, a);
	if (resp->status == 0 || resp->status >= 500)
		r = store_idem_delete(s, a->tenant_id, key, &e);
	else
		r = store_idem_finish(s, a->tenant_id, key, resp->status,
				      resp->body.data ? resp->body.data : "",
				      &e);
	if (r < 0)
		http_log(req, "error", "api: storing an idempotent answer failed");
}

/* ---- request parts ------------------------------------------------------ */

/* The JSON object of the body; answers 415/400 itself (NULL then). */
json_t *api_json_body(const struct http_request *req,
		      struct http_response *resp)
{
	const char *ct = http_header(req, "Content-Type");
	json_error_t je;
	json_t *v;

	if (!ct || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		api_error(resp, 415, "invalid_request_error",
			  "unsupported_media_type",
			  "Send the body as application/json.", NULL);
		return NULL;
	}
	v = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!v || !json_is_object(v)) {
		json_decref(v);
		api_bad_request(resp, "invalid_json",
				"The body is not a JSON object.", NULL);
		return NULL;
	}
	return v;
}

/* `limit` and `starting_after`; answers 400 itself (< 0). */
int api_page_params(const struct http_request *req,
		    struct http_response *resp, int *ret_limit,
		    const char **ret_after)
{
	const char *l = http_query(req, "limit");
	const char *after = http_query(req, "starting_after");
	long n = 0;

	if (l) {
		size_t len = strlen(l);
		if (len == 0 || len > 3 || strspn(l, "0123456789") != len ||
		    (n = strtol(l, NULL, 10)) < 1 || n > API_LIST_MAX) {
			api_bad_request(resp, "parameter_invalid",
					"limit must be a whole number from 1 to "
					"100.", "limit");
			return -ERR_INVALID;
		}
	} else {
		n = API_LIST_DEFAULT;
	}
	if (after && strlen(after) > STORE_ID_MAX) {
		api_bad_request(resp, "parameter_invalid",
				"starting_after is longer than any id.",
				"starting_after");
		return -ERR_INVALID;
	}
	*ret_limit = (int)n;
	*ret_after = after ? after : "";
	return 0;
}

/* A string member: NULL when absent or null; answers 400 (and sets *bad)
 * when it is there but no string, or longer than max. */
const char *api_str_field(struct http_response *resp, json_t *o,
			  const char *name, const char *prefix, size_t max,
			  int required, int *bad)
{
	json_t *v = json_object_get(o, name);
	char param[API_PARAM_MAX], msg[API_MSG_MAX];

	if (*bad)
		return NULL;
	if (!v || json_is_null(v)) {
		if (required) {
			snprintf(param, sizeof(param), "%s%s", prefix, name);
			snprintf(msg, sizeof(msg), "%s is required.", name);
			api_bad_request(resp, "parameter_missing", msg, param);
			*bad = 1;
		}
		return NULL;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) > max ||
	    (required && !*json_string_value(v))) {
		/* the field's name for the error only (a bulk call reads
		 * thousands of fields) */
		snprintf(param, sizeof(param), "%s%s", prefix, name);
		snprintf(msg, sizeof(msg),
			 "%s must be a non-empty string of at most %zu bytes.",
			 name, max);
		api_bad_request(resp, "parameter_invalid", msg, param);
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

void api_invalid(struct http_response *resp, const char *param,
		 const char *why, int *bad)
{
	api_bad_request(resp, "parameter_invalid", why, param);
	*bad = 1;
}

/* A date as JSON: "YYYY-MM-DD", or null for DATE_NONE. */
json_t *api_date_json(date_t d)
{
	char ds[DATE_FMT_MAX];

	if (d == DATE_NONE)
		return json_null();
	date_format(d, ds);
	return json_string(ds);
}

/* A case id from the path or a cursor: a positive decimal number. */
int api_id_parse(const char *s, int64_t *ret)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n)
		return -ERR_INVALID;
	*ret = (int64_t)strtoll(s, NULL, 10);
	return *ret > 0 ? 0 : -ERR_INVALID;
}

int api_fields_known(struct http_response *resp, json_t *o,
		     const char *const *allowed, const char *prefix)
{
	char param[API_PARAM_MAX], msg[API_MSG_MAX];
	const char *name;
	json_t *v;

	json_object_foreach(o, name, v) {
		size_t i;
		for (i = 0; allowed[i]; i++)
			if (strcmp(allowed[i], name) == 0)
				break;
		if (allowed[i])
			continue;
		snprintf(param, sizeof(param), "%s%.40s", prefix, name);
		snprintf(msg, sizeof(msg), "%.40s: unknown field.", name);
		api_bad_request(resp, "parameter_unknown", msg, param);
		return -ERR_INVALID;
	}
	return 0;
}

json_t *api_instant_json(instant_t t)
{
	char at[INSTANT_FMT_MAX];

	if (t == 0)
		return json_null();
	instant_format(t, at);
	return json_string(at);
}

json_t *api_str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}
