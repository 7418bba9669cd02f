/*
 * api: the handlers of the JSON API v1 (see api.h and docs/api.md).
 *
 * Each handler authenticates first (api_auth), then reads its query or
 * JSON body, validates every field before anything is written (the
 * customer rules are import.c's), and answers with JSON built by jansson.
 * POST handlers run behind idempotent(): a request with an
 * Idempotency-Key is recorded before it is handled and its answer stored,
 * so a retry gets the same answer instead of doing it twice.
 */
#include "api.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <sodium.h>

#include "embed.h"
#include "import.h"
#include "mem.h"
#include "money.h"
#include "serve.h"
#include "store.h"
#include "tz.h"

#define API_PARAM_MAX 64   /* bytes of a "param" such as invoices[3].due_date */
#define API_MSG_MAX 256    /* bytes of an error message */

/* Who is asking: from the API key. */
struct api_auth {
	int64_t tenant_id; /* every store call is scoped to it */
	unsigned scopes;   /* API_SCOPE_* */
};

/* A POST handler after authentication (run by idempotent()). */
typedef void (*api_post_fn)(const struct http_request *req,
			    struct http_response *resp,
			    const struct api_auth *a);

/* ---- keys and hashes ---------------------------------------------------- */

void api_sha256_hex(const void *p, size_t n, char ret_hex[TOKEN_HASH_BUF])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, p, n);
	sodium_bin2hex(ret_hex, TOKEN_HASH_BUF, h, sizeof(h));
}

int api_scopes_parse(const char *s, unsigned *ret_bits, char ret_text[32],
		     struct err *e)
{
	static const char *const names[] = { "read", "write", "admin" };
	unsigned bits = 0;
	size_t len = 0;

	if (!s || !*s)
		s = "read,write";
	while (*s) {
		size_t n = strcspn(s, ", ");
		int found = 0;
		for (int i = 0; i < 3 && n; i++) {
			if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0) {
				bits |= 1u << i;
				found = 1;
			}
		}
		if (n && !found)
			return err_set(e, ERR_INVALID, "--scopes: unknown scope "
				       "'%.*s'; expected read, write, admin",
				       (int)(n > 32 ? 32 : n), s);
		s += n;
		while (*s == ',' || *s == ' ')
			s++;
	}
	if (!bits)
		return err_set(e, ERR_INVALID, "--scopes: no scope given");
	ret_text[0] = '\0';
	for (int i = 0; i < 3; i++) {
		if (!(bits & (1u << i)))
			continue;
		len += (size_t)snprintf(ret_text + len, 32 - len, "%s%s",
					len ? " " : "", names[i]);
	}
	*ret_bits = bits;
	return 0;
}

int api_key_new(char ret_key[API_KEY_BUF],
		char ret_prefix[API_KEY_SHOWN + 1],
		char ret_hash[TOKEN_HASH_BUF], struct err *e)
{
	char tok[TOKEN_BUF];
	int r = token_new(tok, e);

	if (r < 0)
		return r;
	memcpy(ret_key, API_KEY_PREFIX, 8);
	memcpy(ret_key + 8, tok, TOKEN_BUF);
	memcpy(ret_prefix, tok, API_KEY_SHOWN);
	ret_prefix[API_KEY_SHOWN] = '\0';
	api_sha256_hex(ret_key, API_KEY_LEN, ret_hash);
	sodium_memzero(tok, sizeof(tok));
	return 0;
}

/* ---- answers ------------------------------------------------------------ */

/* Put v (stolen) as the body with `status`. */
static void send_json(struct http_response *resp, int status, json_t *v)
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
static void api_error(struct http_response *resp, int status,
		      const char *type, const char *code, const char *message,
		      const char *param)
{
	json_t *err = json_pack("{s:s, s:s, s:s}", "type", type, "code", code,
				"message", message);

	if (param)
		json_object_set_new(err, "param", json_string(param));
	send_json(resp, status, json_pack("{s:o}", "error", err));
}

static void bad_request(struct http_response *resp, const char *code,
			const char *message, const char *param)
{
	api_error(resp, 400, "invalid_request_error", code, message, param);
}

static void missing(struct http_response *resp, const char *what,
		    const char *param)
{
	char msg[API_MSG_MAX];

	snprintf(msg, sizeof(msg), "No such %s.", what);
	api_error(resp, 404, "invalid_request_error", "resource_missing", msg,
		  param);
}

/* A store failure: logged (the message names places and ids, never a
 * person) and answered 500. */
static void fail(const struct http_request *req, struct http_response *resp,
		 const char *what, const struct err *e)
{
	char msg[API_MSG_MAX + ERR_MSG_MAX];

	snprintf(msg, sizeof(msg), "api: %s: %s", what,
		 e && e->msg[0] ? e->msg : "failed");
	http_log(req, "error", msg);
	api_error(resp, 500, "api_error", "internal_error",
		  "Something went wrong on our side; try again later.", NULL);
}

/* ---- authentication ----------------------------------------------------- */

/*
 * The tenant and scopes of the request's key; answers 401 (no key, a
 * malformed, unknown or revoked one) or 403 (the key lacks `need`) itself
 * and returns < 0 then. The key is looked up by its SHA-256, so the
 * comparison a lookup makes is of hashes, never of the key itself.
 */
static int api_auth(const struct http_request *req,
		    struct http_response *resp, unsigned need,
		    struct api_auth *ret)
{
	const char *h = http_header(req, "Authorization");
	char tok[TOKEN_BUF], hash[TOKEN_HASH_BUF];
	struct apikey_rec k;
	struct err e;
	unsigned bits = 0;
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
	r = store_apikey_find(serve_store(req), hash, &k, &e);
	if (r == -ERR_NOTFOUND || (r == 0 && k.revoked_at != 0)) {
		if (r == 0)
			apikey_rec_clear(&k);
		api_error(resp, 401, "authentication_error", "invalid_api_key",
			  "The API key is unknown or revoked.", NULL);
		return -ERR_INVALID;
	}
	if (r < 0) {
		fail(req, resp, "reading an API key", &e);
		return r;
	}
	if (api_scopes_parse(k.scopes, &bits, scopes, NULL) < 0)
		bits = 0;
	if (bits & API_SCOPE_ADMIN)
		bits |= API_SCOPE_READ | API_SCOPE_WRITE;
	ret->tenant_id = k.tenant_id;
	ret->scopes = bits;
	apikey_rec_clear(&k);
	if ((bits & need) != need) {
		api_error(resp, 403, "permission_error", "missing_scope",
			  need & API_SCOPE_WRITE
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
static void idempotent(const struct http_request *req,
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
		bad_request(resp, "invalid_idempotency_key",
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
			fail(req, resp, "recording an idempotency key", &e);
			return;
		}
		if (claimed)
			break;
		r = store_idem_get(s, a->tenant_id, key, &rec, &e);
		if (r == -ERR_NOTFOUND)
			continue; /* forgotten meanwhile: claim again */
		if (r < 0) {
			fail(req, resp, "reading an idempotency key", &e);
			return;
		}
		if (rec.created_at + API_IDEM_SECONDS <= req->now) {
			/* its 24 hours are over: a new request */
			idem_rec_clear(&rec);
			if (store_idem_delete(s, a->tenant_id, key, &e) < 0) {
				fail(req, resp, "forgetting an idempotency key",
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
static json_t *json_body(const struct http_request *req,
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
		bad_request(resp, "invalid_json",
			    "The body is not a JSON object.", NULL);
		return NULL;
	}
	return v;
}

/* `limit` and `starting_after`; answers 400 itself (< 0). */
static int page_params(const struct http_request *req,
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
			bad_request(resp, "parameter_invalid",
				    "limit must be a whole number from 1 to "
				    "100.", "limit");
			return -ERR_INVALID;
		}
	} else {
		n = API_LIST_DEFAULT;
	}
	if (after && strlen(after) > STORE_ID_MAX) {
		bad_request(resp, "parameter_invalid",
			    "starting_after is longer than any id.",
			    "starting_after");
		return -ERR_INVALID;
	}
	*ret_limit = (int)n;
	*ret_after = after ? after : "";
	return 0;
}

/* ---- objects ------------------------------------------------------------ */

static json_t *customer_json(const struct customer_rec *c)
{
	const char *email = NULL, *phone = NULL;
	json_t *o;

	for (size_t i = 0; i < c->n_contacts; i++) {
		if (c->contacts[i].channel == CHANNEL_EMAIL && !email)
			email = c->contacts[i].address;
		if (c->contacts[i].channel == CHANNEL_SMS && !phone)
			phone = c->contacts[i].address;
	}
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "object", "customer",
		      "id", c->external_id, "name", c->name ? c->name : "",
		      "locale", c->locale ? c->locale : "", "timezone",
		      c->timezone ? c->timezone : "", "country",
		      c->country ? c->country : "");
	json_object_set_new(o, "email", email ? json_string(email) : json_null());
	json_object_set_new(o, "phone", phone ? json_string(phone) : json_null());
	return o;
}

static json_t *invoice_json(const struct invoice_rec *inv,
			    const char *customer)
{
	char issue[DATE_FMT_MAX], due[DATE_FMT_MAX];

	date_format(inv->issue_date, issue);
	date_format(inv->due_date, due);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s,"
			 " s:b}",
			 "object", "invoice", "id", inv->external_id,
			 "customer", customer, "number",
			 inv->number ? inv->number : "", "issue_date", issue,
			 "due_date", due, "amount", (json_int_t)inv->amount_minor,
			 "amount_open", (json_int_t)inv->open_minor, "currency",
			 inv->currency, "payment_reference",
			 inv->payment_reference ? inv->payment_reference : "",
			 "disputed", inv->disputed);
}

/* ---- the OpenAPI document ----------------------------------------------- */

void api_openapi(const struct http_request *req, struct http_response *resp)
{
	const struct embedded_file *f = embed_find("docs/openapi.json");

	if (!f) {
		fail(req, resp, "the OpenAPI document is not built in", NULL);
		return;
	}
	if (buf_append(&resp->body, f->data, f->len) < 0) {
		resp->status = 0;
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
}

/* ---- customers ---------------------------------------------------------- */

void api_customers_list(const struct http_request *req,
			struct http_response *resp)
{
	struct store *s = serve_store(req);
	struct api_auth a;
	const char *after;
	char **ids = NULL;
	size_t n = 0;
	struct err e;
	json_t *data;
	int limit;

	err_clear(&e);
	if (api_auth(req, resp, API_SCOPE_READ, &a) < 0 ||
	    page_params(req, resp, &limit, &after) < 0)
		return;
	if (store_customer_list(s, a.tenant_id, after, limit + 1, &ids, &n,
				&e) < 0) {
		fail(req, resp, "listing customers", &e);
		return;
	}
	data = json_array();
	for (size_t i = 0; i < n && i < (size_t)limit; i++) {
		struct customer_rec c;
		memset(&c, 0, sizeof(c));
		if (store_customer_get(s, a.tenant_id, ids[i], &c, &e) < 0) {
			json_decref(data);
			store_strings_free(ids, n);
			fail(req, resp, "reading a customer", &e);
			return;
		}
		json_array_append_new(data, customer_json(&c));
		customer_rec_clear(&c);
	}
	send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
				       "data", data, "has_more",
				       n > (size_t)limit));
	store_strings_free(ids, n);
}

void api_customer_get(const struct http_request *req,
		      struct http_response *resp)
{
	const char *id = http_param(req, "id");
	struct customer_rec c;
	struct api_auth a;
	struct err e;
	int r;

	err_clear(&e);
	memset(&c, 0, sizeof(c));
	if (api_auth(req, resp, API_SCOPE_READ, &a) < 0)
		return;
	if (!id || strlen(id) > STORE_ID_MAX) {
		missing(resp, "customer", "id");
		return;
	}
	r = store_customer_get(serve_store(req), a.tenant_id, id, &c, &e);
	if (r == -ERR_NOTFOUND) {
		missing(resp, "customer", "id");
		return;
	}
	if (r < 0) {
		fail(req, resp, "reading a customer", &e);
		return;
	}
	send_json(resp, 200, customer_json(&c));
	customer_rec_clear(&c);
}

/* A string member: NULL when absent or null; answers 400 (and sets *bad)
 * when it is there but no string, or longer than max. */
static const char *str_field(struct http_response *resp, json_t *o,
			     const char *name, const char *prefix, size_t max,
			     int required, int *bad)
{
	json_t *v = json_object_get(o, name);
	char param[API_PARAM_MAX], msg[API_MSG_MAX];

	if (*bad)
		return NULL;
	snprintf(param, sizeof(param), "%s%s", prefix, name);
	if (!v || json_is_null(v)) {
		if (required) {
			snprintf(msg, sizeof(msg), "%s is required.", name);
			bad_request(resp, "parameter_missing", msg, param);
			*bad = 1;
		}
		return NULL;
	}
	if (!json_is_string(v) || strlen(json_string_value(v)) > max ||
	    (required && !*json_string_value(v))) {
		snprintf(msg, sizeof(msg),
			 "%s must be a non-empty string of at most %zu bytes.",
			 name, max);
		bad_request(resp, "parameter_invalid", msg, param);
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

static void invalid(struct http_response *resp, const char *param,
		    const char *why, int *bad)
{
	bad_request(resp, "parameter_invalid", why, param);
	*bad = 1;
}

static void customer_post(const struct http_request *req,
			  struct http_response *resp,
			  const struct api_auth *a)
{
	struct store *s = serve_store(req);
	struct customer_rec old, c;
	struct tenant_rec *tenants = NULL;
	size_t n_tenants = 0;
	const char *id, *name, *locale, *zone, *country, *email, *phone;
	int bad = 0, exists, r;
	struct tz *z = NULL;
	int64_t cid;
	struct err e;
	json_t *o = json_body(req, resp);

	if (!o)
		return;
	err_clear(&e);
	memset(&old, 0, sizeof(old));
	id = str_field(resp, o, "id", "", STORE_ID_MAX, 1, &bad);
	name = str_field(resp, o, "name", "", STORE_TEXT_MAX, 0, &bad);
	locale = str_field(resp, o, "locale", "", 35, 0, &bad);
	zone = str_field(resp, o, "timezone", "", 64, 0, &bad);
	country = str_field(resp, o, "country", "", 2, 0, &bad);
	email = str_field(resp, o, "email", "", STORE_TEXT_MAX, 0, &bad);
	phone = str_field(resp, o, "phone", "", STORE_TEXT_MAX, 0, &bad);
	if (bad)
		goto out;
	r = store_customer_get(s, a->tenant_id, id, &old, &e);
	if (r < 0 && r != -ERR_NOTFOUND) {
		fail(req, resp, "reading a customer", &e);
		goto out;
	}
	exists = r == 0;
	/* Absent fields keep what the customer has (or the defaults). */
	if (!name && !exists) {
		bad_request(resp, "parameter_missing", "name is required.",
			    "name");
		goto out;
	}
	if (locale && import_locale_problem(locale))
		invalid(resp, "locale", import_locale_problem(locale), &bad);
	else if (country && import_country_problem(country))
		invalid(resp, "country", import_country_problem(country), &bad);
	else if (zone && tz_load(zone, &z, NULL) < 0)
		invalid(resp, "timezone",
			"expected an IANA time zone such as Europe/Amsterdam",
			&bad);
	else if (email && *email &&
		 import_address_problem(CHANNEL_EMAIL, email))
		invalid(resp, "email",
			import_address_problem(CHANNEL_EMAIL, email), &bad);
	else if (phone && *phone &&
		 import_address_problem(CHANNEL_SMS, phone))
		invalid(resp, "phone",
			import_address_problem(CHANNEL_SMS, phone), &bad);
	tz_free(z);
	if (bad)
		goto out;

	c = exists ? old : (struct customer_rec){ 0 };
	if (!exists) {
		/* A new customer takes the tenant's locale and zone unless
		 * given, as on import. */
		if (store_tenant_list(s, &tenants, &n_tenants, &e) < 0) {
			fail(req, resp, "reading the tenant", &e);
			goto out;
		}
		c.locale = "en";
		c.timezone = "UTC";
		for (size_t i = 0; i < n_tenants; i++) {
			if (tenants[i].id == a->tenant_id) {
				c.locale = tenants[i].locale;
				c.timezone = tenants[i].timezone;
			}
		}
		c.moratorium_until = DATE_NONE;
		c.customer_since = DATE_NONE;
	}
	c.tenant_id = a->tenant_id;
	c.external_id = (char *)id;
	if (name)
		c.name = (char *)name;
	if (locale && *locale)
		c.locale = (char *)locale;
	if (zone && *zone)
		c.timezone = (char *)zone;
	if (country)
		c.country = (char *)country;
	if (!c.country)
		c.country = "";
	if (!c.segments)
		c.segments = "";
	/* email and phone replace the e-mail and SMS contacts; other
	 * channels (from an import) are kept. */
	if (email || phone) {
		size_t n = 0;
		struct contact_rec *list;
		const char *old_email = NULL, *old_phone = NULL;
		for (size_t i = 0; i < old.n_contacts; i++) {
			if (old.contacts[i].channel == CHANNEL_EMAIL)
				old_email = old.contacts[i].address;
			if (old.contacts[i].channel == CHANNEL_SMS)
				old_phone = old.contacts[i].address;
		}
		if (!email)
			email = old_email;
		if (!phone)
			phone = old_phone;
		list = arena_alloc(req->arena, (old.n_contacts + 2) *
						       sizeof(*list));
		for (size_t i = 0; i < old.n_contacts; i++)
			if (old.contacts[i].channel != CHANNEL_EMAIL &&
			    old.contacts[i].channel != CHANNEL_SMS)
				list[n++] = old.contacts[i];
		if (email && *email) {
			list[n] = (struct contact_rec){ CHANNEL_EMAIL,
							(char *)email, 1, 0 };
			n++;
		}
		if (phone && *phone) {
			list[n] = (struct contact_rec){ CHANNEL_SMS,
							(char *)phone, 1, 0 };
			n++;
		}
		for (size_t i = 0; i < n; i++)
			list[i].preference = (int)i + 1;
		c.contacts = list;
		c.n_contacts = n;
	}
	r = store_customer_upsert(s, &c, &cid, &e);
	if (r < 0) {
		fail(req, resp, "saving a customer", &e);
		goto out;
	}
	send_json(resp, exists ? 200 : 201, customer_json(&c));
out:
	tenant_list_free(tenants, n_tenants);
	customer_rec_clear(&old);
	json_decref(o);
}

void api_customer_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_auth(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	idempotent(req, resp, &a, customer_post);
}

/* ---- invoices ----------------------------------------------------------- */

void api_invoices_list(const struct http_request *req,
		       struct http_response *resp)
{
	struct store *s = serve_store(req);
	const char *cust = http_query(req, "customer"), *after;
	struct invoice_rec *list = NULL;
	struct api_auth a;
	size_t n = 0;
	int64_t cid;
	struct err e;
	json_t *data;
	int limit, r;

	err_clear(&e);
	if (api_auth(req, resp, API_SCOPE_READ, &a) < 0 ||
	    page_params(req, resp, &limit, &after) < 0)
		return;
	if (!cust || !*cust || strlen(cust) > STORE_ID_MAX) {
		bad_request(resp, "parameter_missing",
			    "customer (the customer's id) is required.",
			    "customer");
		return;
	}
	r = store_customer_id(s, a.tenant_id, cust, &cid, &e);
	if (r == -ERR_NOTFOUND) {
		missing(resp, "customer", "customer");
		return;
	}
	if (r < 0 || store_invoice_list(s, a.tenant_id, cid, after, limit + 1,
					&list, &n, &e) < 0) {
		fail(req, resp, "listing invoices", &e);
		return;
	}
	data = json_array();
	for (size_t i = 0; i < n && i < (size_t)limit; i++)
		json_array_append_new(data, invoice_json(&list[i], cust));
	send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
				       "data", data, "has_more",
				       n > (size_t)limit));
	invoice_list_free(list, n);
}

/* A date: YYYY-MM-DD, or an RFC 3339 instant (its UTC date). */
static int parse_when(const char *s, date_t *ret)
{
	instant_t t;

	if (strlen(s) == 10)
		return date_parse(s, ret, NULL);
	if (instant_parse(s, &t, NULL) < 0)
		return -ERR_INVALID;
	*ret = instant_date(t);
	return 0;
}

/* One invoice of a request, checked; answers 400 naming
 * `prefix`+field (and returns < 0) on the first problem. Strings point
 * into o. */
static int invoice_read(const struct http_request *req,
			struct http_response *resp, const struct api_auth *a,
			json_t *o, const char *prefix, struct invoice_rec *ret,
			const char **ret_customer)
{
	const char *id, *cust, *number, *ref, *issue, *due, *cur_code;
	const struct currency *cur;
	char param[API_PARAM_MAX];
	json_t *amount, *open, *disputed;
	struct err e;
	int bad = 0, r;

	err_clear(&e);
	memset(ret, 0, sizeof(*ret));
	if (!json_is_object(o)) {
		snprintf(param, sizeof(param), "%.*s", (int)strlen(prefix) -
			 (*prefix ? 1 : 0), prefix);
		bad_request(resp, "parameter_invalid",
			    "an invoice must be a JSON object.", param);
		return -ERR_INVALID;
	}
	id = str_field(resp, o, "id", prefix, STORE_ID_MAX, 1, &bad);
	cust = str_field(resp, o, "customer", prefix, STORE_ID_MAX, 1, &bad);
	number = str_field(resp, o, "number", prefix, STORE_ID_MAX, 0, &bad);
	ref = str_field(resp, o, "payment_reference", prefix, STORE_ID_MAX, 0,
			&bad);
	issue = str_field(resp, o, "issue_date", prefix, 40, 1, &bad);
	due = str_field(resp, o, "due_date", prefix, 40, 1, &bad);
	cur_code = str_field(resp, o, "currency", prefix, 3, 1, &bad);
	if (bad)
		return -ERR_INVALID;
#define BAD(field, msg)                                                   \
	do {                                                              \
		snprintf(param, sizeof(param), "%s%s", prefix, field);    \
		bad_request(resp, "parameter_invalid", msg, param);       \
		return -ERR_INVALID;                                      \
	} while (0)
	if (parse_when(issue, &ret->issue_date) < 0)
		BAD("issue_date", "expected a date, YYYY-MM-DD or RFC 3339.");
	if (parse_when(due, &ret->due_date) < 0)
		BAD("due_date", "expected a date, YYYY-MM-DD or RFC 3339.");
	if (ret->due_date < ret->issue_date)
		BAD("due_date", "is before issue_date.");
	cur = currency_find(cur_code);
	if (!cur)
		BAD("currency", "expected an ISO 4217 code such as EUR.");
	amount = json_object_get(o, "amount");
	if (!json_is_integer(amount) || json_integer_value(amount) < 0)
		BAD("amount", "expected a whole number of minor units (cents),"
			      " 0 or more.");
	ret->amount_minor = json_integer_value(amount);
	open = json_object_get(o, "amount_open");
	if (open && !json_is_null(open)) {
		if (!json_is_integer(open) || json_integer_value(open) < 0 ||
		    json_integer_value(open) > ret->amount_minor)
			BAD("amount_open", "expected minor units from 0 to "
					   "amount.");
		ret->open_minor = json_integer_value(open);
	} else {
		ret->open_minor = ret->amount_minor;
	}
	disputed = json_object_get(o, "disputed");
	if (disputed && !json_is_null(disputed)) {
		if (!json_is_boolean(disputed))
			BAD("disputed", "expected true or false.");
		ret->disputed = json_is_true(disputed);
	}
	r = store_customer_id(serve_store(req), a->tenant_id, cust,
			      &ret->customer_id, &e);
	if (r == -ERR_NOTFOUND) {
		snprintf(param, sizeof(param), "%scustomer", prefix);
		missing(resp, "customer", param);
		return r;
	}
	if (r < 0) {
		fail(req, resp, "reading a customer", &e);
		return r;
	}
#undef BAD
	ret->tenant_id = a->tenant_id;
	ret->external_id = (char *)id;
	ret->number = (char *)(number && *number ? number : id);
	ret->payment_reference = (char *)(ref ? ref : "");
	memcpy(ret->currency, cur->code, 4);
	*ret_customer = cust;
	return 0;
}

static void invoice_post(const struct http_request *req,
			 struct http_response *resp, const struct api_auth *a)
{
	struct store *s = serve_store(req);
	struct invoice_rec inv, old;
	const char *cust;
	int64_t id;
	struct err e;
	int exists;
	json_t *o = json_body(req, resp);

	if (!o)
		return;
	err_clear(&e);
	if (invoice_read(req, resp, a, o, "", &inv, &cust) < 0)
		goto out;
	memset(&old, 0, sizeof(old));
	exists = store_invoice_get(s, a->tenant_id, inv.external_id, &old,
				   &e) == 0;
	if (exists)
		invoice_rec_clear(&old);
	err_clear(&e);
	if (store_invoice_upsert(s, &inv, &id, &e) < 0) {
		fail(req, resp, "saving an invoice", &e);
		goto out;
	}
	send_json(resp, exists ? 200 : 201, invoice_json(&inv, cust));
out:
	json_decref(o);
}

void api_invoice_post(const struct http_request *req,
		      struct http_response *resp)
{
	struct api_auth a;

	if (api_auth(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	idempotent(req, resp, &a, invoice_post);
}

/* All the invoices or none: every one is checked before the first is
 * written, and they are written in one transaction. */
static void invoices_bulk(const struct http_request *req,
			  struct http_response *resp,
			  const struct api_auth *a)
{
	struct store *s = serve_store(req);
	struct invoice_rec *invs;
	const char **custs;
	json_t *arr, *data, *o = json_body(req, resp);
	char prefix[API_PARAM_MAX];
	size_t n;
	int64_t id;
	struct err e;

	if (!o)
		return;
	err_clear(&e);
	arr = json_object_get(o, "invoices");
	if (!json_is_array(arr) || json_array_size(arr) == 0 ||
	    json_array_size(arr) > API_BULK_MAX) {
		bad_request(resp, "parameter_invalid",
			    "invoices must be a list of 1 to 1000 invoices.",
			    "invoices");
		goto out;
	}
	n = json_array_size(arr);
	invs = arena_alloc(req->arena, n * sizeof(*invs));
	custs = arena_alloc(req->arena, n * sizeof(*custs));
	for (size_t i = 0; i < n; i++) {
		snprintf(prefix, sizeof(prefix), "invoices[%zu].", i);
		if (invoice_read(req, resp, a, json_array_get(arr, i), prefix,
				 &invs[i], &custs[i]) < 0)
			goto out;
	}
	if (store_begin(s, &e) < 0) {
		fail(req, resp, "starting a transaction", &e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (store_invoice_upsert(s, &invs[i], &id, &e) < 0) {
			store_rollback(s);
			fail(req, resp, "saving invoices", &e);
			goto out;
		}
	}
	if (store_commit(s, &e) < 0) {
		store_rollback(s);
		fail(req, resp, "saving invoices", &e);
		goto out;
	}
	data = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(data, invoice_json(&invs[i], custs[i]));
	send_json(resp, 201, json_pack("{s:s, s:o, s:b}", "object", "list",
				       "data", data, "has_more", 0));
out:
	json_decref(o);
}

void api_invoices_bulk(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_auth(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	idempotent(req, resp, &a, invoices_bulk);
}
