/*
 * api: the handlers of the JSON API v1 (see api.h and docs/api.md).
 *
 * Each handler authenticates first (api_authenticate, api_util.c), then
 * reads its query or JSON body, validates every field before anything is
 * written (the customer rules are import.c's), and answers with JSON
 * built by jansson.
 * POST handlers run behind api_idempotent(): a request with an
 * Idempotency-Key is recorded before it is handled and its answer stored,
 * so a retry gets the same answer instead of doing it twice. A recognised
 * key then takes a token from its bucket (rate limits, 429) before the
 * handler goes on.
 */
#include "api.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "api_util.h"
#include "dispatch.h"
#include "embed.h"
#include "http_client.h"
#include "api_cache.h"
#include "json_out.h"
#include "import.h"
#include "mem.h"
#include "money.h"
#include "pay.h"
#include "serve.h"
#include "store.h"
#include "tz.h"

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

/* ---- rate limits -------------------------------------------------------- */

int api_rate_parse(const char *s, double *ret, struct err *e)
{
	size_t n;
	long v;

	if (!s || !*s) {
		*ret = API_RATE_DEFAULT;
		return 0;
	}
	n = strlen(s);
	if (n > 7 || strspn(s, "0123456789") != n ||
	    (v = strtol(s, NULL, 10)) < 1 || v > API_RATE_MAX)
		return err_set(e, ERR_INVALID, "%s: expected a whole number of "
			       "requests per second from 1 to %d",
			       API_RATE_ENV, API_RATE_MAX);
	*ret = (double)v;
	return 0;
}

void api_rate_init(struct api_rate *r, double per_second)
{
	memset(r->slot, 0, sizeof(r->slot));
	pthread_mutex_init(&r->lock, NULL);
	r->per_second = per_second > 0 ? per_second : API_RATE_DEFAULT;
	r->burst = r->per_second * API_RATE_BURST_SECONDS;
	if (r->burst < 1)
		r->burst = 1;
}

void api_rate_destroy(struct api_rate *r)
{
	pthread_mutex_destroy(&r->lock);
}

/* The first three hex digits of a hash: its home slot. */
static size_t rate_home(const char *hash)
{
	size_t h = 0;

	for (int i = 0; i < 3 && hash[i]; i++) {
		char c = hash[i];
		h = h * 16 + (size_t)(c >= 'a' ? c - 'a' + 10 :
				      c >= 'A' ? c - 'A' + 10 : c - '0');
	}
	return h % API_RATE_SLOTS;
}

int api_rate_take(struct api_rate *r, const char *key_hash, double now,
		  int *ret_retry_after)
{
	size_t home = rate_home(key_hash), pick = home;
	struct api_rate_bucket *b = NULL;
	int rc = 0;

	pthread_mutex_lock(&r->lock);
	/* The key's bucket among its API_RATE_WAYS slots; else a free one;
	 * else the one used least lately (that key starts afresh). */
	for (size_t i = 0; i < API_RATE_WAYS; i++) {
		struct api_rate_bucket *c = &r->slot[(home + i) % API_RATE_SLOTS];
		if (strcmp(c->key_hash, key_hash) == 0) {
			b = c;
			break;
		}
		if (r->slot[pick].key_hash[0] &&
		    (!c->key_hash[0] || c->at < r->slot[pick].at))
			pick = (home + i) % API_RATE_SLOTS;
	}
	if (!b) {
		b = &r->slot[pick];
		snprintf(b->key_hash, sizeof(b->key_hash), "%s", key_hash);
		b->tokens = r->burst;
		b->at = now;
	}
	if (now > b->at) {
		b->tokens += (now - b->at) * r->per_second;
		if (b->tokens > r->burst)
			b->tokens = r->burst;
		b->at = now;
	}
	if (b->tokens >= 1) {
		b->tokens -= 1;
	} else {
		double wait = ceil((1 - b->tokens) / r->per_second);
		*ret_retry_after = wait < 1 ? 1 : wait > 3600 ? 3600 : (int)wait;
		rc = -ERR_TOOBIG;
	}
	pthread_mutex_unlock(&r->lock);
	return rc;
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

/* An invoice as the API gives it, written straight into b (json_out.h:
 * no jansson tree; a bulk call answers with a thousand). -1 when b is
 * full. */
static int invoice_out(struct buf *b, const struct invoice_rec *inv,
		       const char *customer)
{
	char issue[DATE_FMT_MAX], due[DATE_FMT_MAX];

	date_format(inv->issue_date, issue);
	date_format(inv->due_date, due);
	if (buf_putc(b, '{') < 0 ||
	    json_out_kstr(b, "object", "invoice", 1) < 0 ||
	    json_out_kstr(b, "id", inv->external_id, 0) < 0 ||
	    json_out_kstr(b, "customer", customer, 0) < 0 ||
	    json_out_kstr(b, "number", inv->number ? inv->number : "", 0) < 0 ||
	    json_out_kstr(b, "issue_date", issue, 0) < 0 ||
	    json_out_kstr(b, "due_date", due, 0) < 0 ||
	    json_out_kint(b, "amount", inv->amount_minor, 0) < 0 ||
	    json_out_kint(b, "amount_open", inv->open_minor, 0) < 0 ||
	    json_out_kstr(b, "currency", inv->currency, 0) < 0 ||
	    json_out_kstr(b, "payment_reference",
			  inv->payment_reference ? inv->payment_reference : "",
			  0) < 0 ||
	    json_out_kbool(b, "disputed", inv->disputed, 0) < 0 ||
	    json_out_kstr(b, "document_url",
			  inv->document_url ? inv->document_url : "", 0) < 0)
		return -1;
	return buf_putc(b, '}');
}

/* Answer with one invoice (status 200 or 201). */
static void invoice_send(struct http_response *resp, int status,
			 const struct invoice_rec *inv, const char *customer)
{
	buf_reset(&resp->body);
	if (invoice_out(&resp->body, inv, customer) < 0 ||
	    buf_putc(&resp->body, '\n') < 0) {
		resp->status = 0; /* too big: 500 */
		return;
	}
	resp->status = status;
	resp->content_type = "application/json";
}

/* Answer with a list of n invoices: customers[i] is the i-th one's
 * customer, or every one's `customer` when customers is NULL. */
static void invoice_list_send(struct http_response *resp, int status,
			      const struct invoice_rec *list, size_t n,
			      const char *const *customers,
			      const char *customer, int has_more)
{
	struct buf *b = &resp->body;
	int bad;

	buf_reset(b);
	bad = buf_puts(b, "{\"object\":\"list\",\"data\":[") < 0;
	for (size_t i = 0; !bad && i < n; i++)
		bad = (i && buf_putc(b, ',') < 0) ||
		      invoice_out(b, &list[i],
				  customers ? customers[i] : customer) < 0;
	if (!bad)
		bad = buf_puts(b, has_more ? "],\"has_more\":true}\n"
					   : "],\"has_more\":false}\n") < 0;
	resp->status = bad ? 0 : status; /* too big: 500 */
	resp->content_type = "application/json";
}

/* ---- the OpenAPI document ----------------------------------------------- */

void api_openapi(const struct http_request *req, struct http_response *resp)
{
	const struct embedded_file *f = embed_find("docs/openapi.json");

	if (!f) {
		api_fail(req, resp, "the OpenAPI document is not built in",
			 NULL);
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
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0)
		return;
	if (store_customer_list(s, a.tenant_id, after, limit + 1, &ids, &n,
				&e) < 0) {
		api_fail(req, resp, "listing customers", &e);
		return;
	}
	data = json_array();
	for (size_t i = 0; i < n && i < (size_t)limit; i++) {
		struct customer_rec c;
		memset(&c, 0, sizeof(c));
		if (store_customer_get(s, a.tenant_id, ids[i], &c, &e) < 0) {
			json_decref(data);
			store_strings_free(ids, n);
			api_fail(req, resp, "reading a customer", &e);
			return;
		}
		json_array_append_new(data, customer_json(&c));
		customer_rec_clear(&c);
	}
	api_send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
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
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0)
		return;
	if (!id || strlen(id) > STORE_ID_MAX) {
		api_missing(resp, "customer", "id");
		return;
	}
	r = store_customer_get(serve_store(req), a.tenant_id, id, &c, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "customer", "id");
		return;
	}
	if (r < 0) {
		api_fail(req, resp, "reading a customer", &e);
		return;
	}
	api_send_json(resp, 200, customer_json(&c));
	customer_rec_clear(&c);
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
	json_t *o = api_json_body(req, resp);

	if (!o)
		return;
	err_clear(&e);
	memset(&old, 0, sizeof(old));
	static const char *const fields[] = { "id", "name", "locale",
		"timezone", "country", "email", "phone", NULL };

	if (api_fields_known(resp, o, fields, "") < 0)
		goto out;
	id = api_str_field(resp, o, "id", "", STORE_ID_MAX, 1, &bad);
	name = api_str_field(resp, o, "name", "", STORE_TEXT_MAX, 0, &bad);
	locale = api_str_field(resp, o, "locale", "", 35, 0, &bad);
	zone = api_str_field(resp, o, "timezone", "", 64, 0, &bad);
	country = api_str_field(resp, o, "country", "", 2, 0, &bad);
	email = api_str_field(resp, o, "email", "", STORE_TEXT_MAX, 0, &bad);
	phone = api_str_field(resp, o, "phone", "", STORE_TEXT_MAX, 0, &bad);
	if (bad)
		goto out;
	r = store_customer_get(s, a->tenant_id, id, &old, &e);
	if (r < 0 && r != -ERR_NOTFOUND) {
		api_fail(req, resp, "reading a customer", &e);
		goto out;
	}
	exists = r == 0;
	/* Absent fields keep what the customer has (or the defaults). */
	if (!name && !exists) {
		api_bad_request(resp, "parameter_missing", "name is required.",
				"name");
		goto out;
	}
	if (locale && import_locale_problem(locale))
		api_invalid(resp, "locale", import_locale_problem(locale),
			    &bad);
	else if (country && import_country_problem(country))
		api_invalid(resp, "country", import_country_problem(country),
			    &bad);
	else if (zone && tz_load(zone, &z, NULL) < 0)
		api_invalid(resp, "timezone",
			    "expected an IANA time zone such as Europe/Amsterdam",
			    &bad);
	else if (email && *email &&
		 import_address_problem(CHANNEL_EMAIL, email))
		api_invalid(resp, "email",
			    import_address_problem(CHANNEL_EMAIL, email), &bad);
	else if (phone && *phone &&
		 import_address_problem(CHANNEL_SMS, phone))
		api_invalid(resp, "phone",
			    import_address_problem(CHANNEL_SMS, phone), &bad);
	tz_free(z);
	if (bad)
		goto out;

	c = exists ? old : (struct customer_rec){ 0 };
	if (!exists) {
		/* A new customer takes the tenant's locale and zone unless
		 * given, as on import. */
		if (store_tenant_list(s, &tenants, &n_tenants, &e) < 0) {
			api_fail(req, resp, "reading the tenant", &e);
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
		api_fail(req, resp, "saving a customer", &e);
		goto out;
	}
	api_send_json(resp, exists ? 200 : 201, customer_json(&c));
out:
	tenant_list_free(tenants, n_tenants);
	customer_rec_clear(&old);
	json_decref(o);
}

void api_customer_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	api_idempotent(req, resp, &a, customer_post);
}

/* ---- invoices ----------------------------------------------------------- */

void api_invoice_get(const struct http_request *req,
		     struct http_response *resp)
{
	const char *id = http_param(req, "id");
	struct api_cache *ac = serve_api_cache(req);
	struct invoice_rec inv;
	struct api_auth a;
	char *cust = NULL;
	struct err e;
	int64_t dv = 0;
	long w = 0;
	int cacheable, r;

	err_clear(&e);
	memset(&inv, 0, sizeof(inv));
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0)
		return;
	if (!id || strlen(id) > STORE_ID_MAX) {
		api_missing(resp, "invoice", "id");
		return;
	}
	/* The thread's cache of this answer (api_cache.h): the version is
	 * read before the invoice it will label. */
	buf_reset(&resp->body);
	if (api_cache_get(ac, serve_store(req), a.tenant_id, id,
			  &resp->body)) {
		resp->status = 200;
		resp->content_type = "application/json";
		return;
	}
	cacheable = ac && api_cache_version(ac, serve_store(req), &dv, &w) == 0;
	r = store_invoice_get(serve_store(req), a.tenant_id, id, &inv, &e);
	if (r == 0)
		r = store_customer_external_id(serve_store(req), a.tenant_id,
					       inv.customer_id, &cust, &e);
	if (r == -ERR_NOTFOUND) {
		invoice_rec_clear(&inv);
		api_missing(resp, "invoice", "id");
		return;
	}
	if (r < 0) {
		invoice_rec_clear(&inv);
		api_fail(req, resp, "reading an invoice", &e);
		return;
	}
	/* written straight into the answer (json_out.h): no jansson tree
	 * for the API's most frequent read */
	invoice_send(resp, 200, &inv, cust);
	if (resp->status == 200 && cacheable)
		api_cache_put(ac, a.tenant_id, id, (const char *)resp->body.data,
			      resp->body.len, dv, w);
	free(cust);
	invoice_rec_clear(&inv);
}

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
	int limit, r;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0)
		return;
	if (!cust || !*cust || strlen(cust) > STORE_ID_MAX) {
		api_bad_request(resp, "parameter_missing",
				"customer (the customer's id) is required.",
				"customer");
		return;
	}
	r = store_customer_id(s, a.tenant_id, cust, &cid, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "customer", "customer");
		return;
	}
	if (r < 0 || store_invoice_list(s, a.tenant_id, cid, after, limit + 1,
					&list, &n, &e) < 0) {
		api_fail(req, resp, "listing invoices", &e);
		return;
	}
	invoice_list_send(resp, 200, list, n < (size_t)limit ? n : (size_t)limit,
			  NULL, cust, n > (size_t)limit);
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
	static const char *const fields[] = { "id", "customer", "number",
		"issue_date", "due_date", "amount", "amount_open", "currency",
		"payment_reference", "disputed", "document_url", NULL };
	const char *id, *cust, *number, *ref, *issue, *due, *cur_code, *doc;
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
		api_bad_request(resp, "parameter_invalid",
				"an invoice must be a JSON object.", param);
		return -ERR_INVALID;
	}
	if (api_fields_known(resp, o, fields, prefix) < 0)
		return -ERR_INVALID;
	id = api_str_field(resp, o, "id", prefix, STORE_ID_MAX, 1, &bad);
	cust = api_str_field(resp, o, "customer", prefix, STORE_ID_MAX, 1,
			     &bad);
	number = api_str_field(resp, o, "number", prefix, STORE_ID_MAX, 0,
			       &bad);
	ref = api_str_field(resp, o, "payment_reference", prefix,
			    STORE_ID_MAX, 0, &bad);
	issue = api_str_field(resp, o, "issue_date", prefix, 40, 1, &bad);
	due = api_str_field(resp, o, "due_date", prefix, 40, 1, &bad);
	cur_code = api_str_field(resp, o, "currency", prefix, 3, 1, &bad);
	doc = api_str_field(resp, o, "document_url", prefix, STORE_URL_MAX, 0,
			    &bad);
	if (bad)
		return -ERR_INVALID;
#define BAD(field, msg)                                                   \
	do {                                                              \
		snprintf(param, sizeof(param), "%s%s", prefix, field);    \
		api_bad_request(resp, "parameter_invalid", msg, param);       \
		return -ERR_INVALID;                                      \
	} while (0)
	if (parse_when(issue, &ret->issue_date) < 0)
		BAD("issue_date", "expected a date, YYYY-MM-DD or RFC 3339.");
	if (parse_when(due, &ret->due_date) < 0)
		BAD("due_date", "expected a date, YYYY-MM-DD or RFC 3339.");
	if (ret->due_date < ret->issue_date)
		BAD("due_date", "is before issue_date.");
	if (doc && *doc && http_client_check_url(doc, "document_url", &e) < 0)
		BAD("document_url", "expected a web address, https://host/...");
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
		api_missing(resp, "customer", param);
		return r;
	}
	if (r < 0) {
		api_fail(req, resp, "reading a customer", &e);
		return r;
	}
#undef BAD
	ret->tenant_id = a->tenant_id;
	ret->external_id = (char *)id;
	ret->number = (char *)(number && *number ? number : id);
	ret->payment_reference = (char *)(ref ? ref : "");
	ret->document_url = (char *)(doc ? doc : "");
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
	json_t *o = api_json_body(req, resp);

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
		api_fail(req, resp, "saving an invoice", &e);
		goto out;
	}
	invoice_send(resp, exists ? 200 : 201, &inv, cust);
out:
	json_decref(o);
}

void api_invoice_post(const struct http_request *req,
		      struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	api_idempotent(req, resp, &a, invoice_post);
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
	json_t *arr, *o = api_json_body(req, resp);
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
		api_bad_request(resp, "parameter_invalid",
				"invoices must be a list of 1 to 1000 invoices.",
				"invoices");
		goto out;
	}
	n = json_array_size(arr);
	invs = arena_alloc(req->arena, n * sizeof(*invs));
	custs = arena_alloc(req->arena, n * sizeof(*custs));
	/* One transaction from the first read: the customers looked up are
	 * those the invoices are written for, and a thousand lookups share
	 * one lock instead of taking one each (twice as fast). */
	if (store_begin(s, &e) < 0) {
		api_fail(req, resp, "starting a transaction", &e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		/* "invoices[i]." names the field of an error */
		memcpy(prefix, "invoices[", 9);
		{
			char digits[24];
			size_t k = sizeof(digits), len;
			size_t v = i;
			do {
				digits[--k] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			len = sizeof(digits) - k;
			memcpy(prefix + 9, digits + k, len);
			memcpy(prefix + 9 + len, "].", 3);
		}
		if (invoice_read(req, resp, a, json_array_get(arr, i), prefix,
				 &invs[i], &custs[i]) < 0) {
			store_rollback(s);
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (store_invoice_upsert(s, &invs[i], &id, &e) < 0) {
			store_rollback(s);
			api_fail(req, resp, "saving invoices", &e);
			goto out;
		}
	}
	if (store_commit(s, &e) < 0) {
		store_rollback(s);
		api_fail(req, resp, "saving invoices", &e);
		goto out;
	}
	/* The answer written directly (json_out.h): a jansson tree of a
	 * thousand objects cost a quarter of the call. */
	invoice_list_send(resp, 201, invs, n, custs, NULL, 0);
out:
	json_decref(o);
}

void api_invoices_bulk(const struct http_request *req,
		       struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	api_idempotent(req, resp, &a, invoices_bulk);
}

/* ---- cases -------------------------------------------------------------- */


/* The case as JSON; amount_open is what the customer's open invoices in
 * the case's currency still ask. */
static json_t *case_json(const struct case_rec *c, const char *customer,
			 int64_t amount_open)
{
	char id[24];
	json_t *o;

	snprintf(id, sizeof(id), "%lld", (long long)c->id);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
		      "object", "case", "id", id, "customer", customer,
		      "status", case_status_name(c->st.status), "currency",
		      c->currency, "strategy", c->strategy ? c->strategy : "",
		      "strategy_version", (json_int_t)c->strategy_version,
		      "next_step", (json_int_t)c->st.next_step + 1, "fees",
		      (json_int_t)c->st.fees_minor, "fees_paid",
		      (json_int_t)c->fees_paid_minor, "amount_open",
		      (json_int_t)amount_open);
	json_object_set_new(o, "anchor_date", api_date_json(c->st.anchor));
	json_object_set_new(o, "opened_on", api_date_json(c->st.opened_on));
	json_object_set_new(o, "last_step_on",
			    api_date_json(c->st.last_step_on));
	json_object_set_new(o, "closed_on", api_date_json(c->closed_on));
	if (c->st.hold_reason != HOLD_NONE) {
		json_object_set_new(o, "hold_reason", json_string(
					    hold_reason_name(c->st.hold_reason)));
		json_object_set_new(o, "hold_until",
				    api_date_json(c->st.hold_until));
	} else {
		json_object_set_new(o, "hold_reason", json_null());
		json_object_set_new(o, "hold_until", json_null());
	}
	return o;
}

/* The open amount of a customer's invoices in `currency`. */
static int open_amount(struct store *s, int64_t tenant_id,
		       int64_t customer_id, const char *currency,
		       int64_t *ret, struct err *e)
{
	struct invoice_rec *list = NULL;
	size_t n = 0;
	int64_t sum = 0;
	int r = store_invoices_open(s, tenant_id, customer_id, currency, &list,
				    &n, e);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (!list[i].written_off)
			sum += list[i].open_minor;
	invoice_list_free(list, n);
	*ret = sum;
	return 0;
}


void api_cases_list(const struct http_request *req,
		    struct http_response *resp)
{
	struct store *s = serve_store(req);
	const char *cust = http_query(req, "customer"), *after;
	struct case_rec *list = NULL;
	struct api_auth a;
	size_t n = 0, shown = 0, i;
	int64_t cid, after_id = 0;
	struct err e;
	json_t *data;
	int limit, r;

	err_clear(&e);
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0 ||
	    api_page_params(req, resp, &limit, &after) < 0)
		return;
	if (!cust || !*cust || strlen(cust) > STORE_ID_MAX) {
		api_bad_request(resp, "parameter_missing",
				"customer (the customer's id) is required.",
				"customer");
		return;
	}
	if (*after && api_id_parse(after, &after_id) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"starting_after must be a case id.",
				"starting_after");
		return;
	}
	r = store_customer_id(s, a.tenant_id, cust, &cid, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "customer", "customer");
		return;
	}
	if (r < 0 || store_case_list(s, a.tenant_id, cid, &list, &n, &e) < 0) {
		api_fail(req, resp, "listing cases", &e);
		return;
	}
	/* store_case_list gives them by id: the page follows after_id. */
	data = json_array();
	for (i = 0; i < n && shown < (size_t)limit; i++) {
		int64_t amount = 0;
		if (list[i].id <= after_id)
			continue;
		if (open_amount(s, a.tenant_id, cid, list[i].currency, &amount,
				&e) < 0) {
			json_decref(data);
			case_list_free(list, n);
			api_fail(req, resp, "reading open invoices", &e);
			return;
		}
		json_array_append_new(data, case_json(&list[i], cust, amount));
		shown++;
	}
	api_send_json(resp, 200, json_pack("{s:s, s:o, s:b}", "object", "list",
		      "data", data, "has_more", i < n));
	case_list_free(list, n);
}

/* store_case_history's callback: a timeline row as JSON. */
static int history_row(void *ctx, const struct history_rec *h)
{
	json_t *arr = ctx, *o, *detail = NULL;
	char at[INSTANT_FMT_MAX];
	int event = strcmp(h->what, "event") == 0;

	instant_format(h->at, at);
	o = json_pack("{s:s, s:s, s:s}", "at", at, "type", h->what, "kind",
		      h->kind);
	if (event) {
		/* An event's detail is a small JSON object. */
		detail = json_loads(h->detail ? h->detail : "{}", 0, NULL);
		if (!detail)
			detail = json_string(h->detail ? h->detail : "");
		json_object_set_new(o, "detail", detail);
	} else {
		json_object_set_new(o, "on", api_date_json(h->on));
		json_object_set_new(o, "step", json_string(h->step));
		json_object_set_new(o, "channel",
				    h->channel && *h->channel
					    ? json_string(h->channel)
					    : json_null());
		json_object_set_new(o, "amount",
				    json_integer((json_int_t)h->amount_minor));
		json_object_set_new(o, "currency", json_string(h->currency));
		json_object_set_new(o, "detail",
				    json_string(h->detail ? h->detail : ""));
	}
	json_array_append_new(arr, o);
	return 0;
}

/*
 * The case `case_id` of the tenant, and its customer's external id
 * (*ret_customer, owned by the caller). The store has no lookup of a case
 * by id yet, so the tenant's customers are walked, a page at a time, and
 * their cases listed until it turns up: correct, but slow for a large
 * tenant; store_case_get would make it one query. -ERR_NOTFOUND when the
 * tenant has no such case.
 */
static int case_find(struct store *s, int64_t tenant_id, int64_t case_id,
		     struct case_rec *ret, char **ret_customer, struct err *e)
{
	char after[STORE_ID_MAX + 1] = "";
	int found = 0, r = 0;

	while (!found) {
		char **ids = NULL;
		size_t n = 0;
		r = store_customer_list(s, tenant_id, after, 500, &ids, &n, e);
		if (r < 0)
			return r;
		for (size_t i = 0; i < n && !found && r == 0; i++) {
			struct case_rec *list = NULL;
			size_t nc = 0;
			int64_t cid;
			r = store_customer_id(s, tenant_id, ids[i], &cid, e);
			if (r == 0)
				r = store_case_list(s, tenant_id, cid, &list, &nc,
						    e);
			for (size_t k = 0; r == 0 && k < nc; k++) {
				if (list[k].id != case_id)
					continue;
				*ret = list[k];
				ret->strategy = xstrdup(list[k].strategy
							? list[k].strategy
							: "");
				*ret_customer = xstrdup(ids[i]);
				found = 1;
			}
			case_list_free(list, nc);
		}
		if (n > 0)
			snprintf(after, sizeof(after), "%s", ids[n - 1]);
		store_strings_free(ids, n);
		if (r < 0)
			return r;
		if (n < 500)
			break;
	}
	return found ? 0 : err_set(e, ERR_NOTFOUND, "no case %lld",
				   (long long)case_id);
}

void api_case_get(const struct http_request *req, struct http_response *resp)
{
	struct store *s = serve_store(req);
	struct case_rec c;
	char *cust = NULL;
	struct api_auth a;
	int64_t id, amount = 0;
	json_t *o, *timeline;
	struct err e;
	int r;

	err_clear(&e);
	memset(&c, 0, sizeof(c));
	if (api_authenticate(req, resp, API_SCOPE_READ, &a) < 0)
		return;
	if (api_id_parse(http_param(req, "id"), &id) < 0) {
		api_missing(resp, "case", "id");
		return;
	}
	r = case_find(s, a.tenant_id, id, &c, &cust, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "case", "id");
		return;
	}
	if (r < 0) {
		api_fail(req, resp, "reading a case", &e);
		return;
	}
	timeline = json_array();
	if (open_amount(s, a.tenant_id, c.customer_id, c.currency, &amount,
			&e) < 0 ||
	    store_case_history(s, a.tenant_id, c.id, history_row, timeline,
			       &e) < 0) {
		json_decref(timeline);
		api_fail(req, resp, "reading a case's timeline", &e);
		goto out;
	}
	o = case_json(&c, cust, amount);
	json_object_set_new(o, "timeline", timeline);
	api_send_json(resp, 200, o);
out:
	free(c.strategy);
	free(cust);
}

/* ---- payments ----------------------------------------------------------- */

/* The payment as JSON; `invoice` is NULL when it names none; how it was
 * split is given only when it was recorded now (`res`, else NULL): what
 * went to the case's fees and what no open invoice or fee took (the
 * customer's credit). */
static json_t *payment_json(const struct payment_rec *p, const char *customer,
			    const char *invoice, const struct pay_result *res)
{
	char paid[DATE_FMT_MAX];
	json_t *o;

	date_format(p->paid_on, paid);
	o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "object",
		      "payment", "id", p->external_id, "customer", customer,
		      "amount", (json_int_t)p->amount_minor, "currency",
		      p->currency, "paid_on", paid, "method",
		      p->method ? p->method : "");
	json_object_set_new(o, "invoice",
			    invoice ? json_string(invoice) : json_null());
	if (res && res->left_minor >= 0) {
		json_object_set_new(o, "amount_to_fees",
				    json_integer((json_int_t)res->fees_minor));
		json_object_set_new(o, "amount_unallocated",
				    json_integer((json_int_t)res->left_minor));
	}
	return o;
}

/*
 * Record a payment and allocate it as the CSV import does (import.c's
 * payment rows): the named invoice (by external id, else number or
 * payment reference) first, then the customer's other open invoices in
 * the currency, oldest first, and the case's fees (pay_receive), in one
 * transaction. A payment id already recorded is not applied again: 200.
 */
static void payment_post(const struct http_request *req,
			 struct http_response *resp, const struct api_auth *a)
{
	struct store *s = serve_store(req);
	struct payment_rec p;
	struct invoice_rec inv;
	struct tenant_rec t;
	struct pay_result res;
	const struct currency *cur;
	const char *id, *cust, *invoice, *cur_code, *paid_on, *method;
	json_t *amount, *o = api_json_body(req, resp);
	int bad = 0, inserted = 0, r;
	char msg[API_MSG_MAX];
	struct err e;

	if (!o)
		return;
	err_clear(&e);
	memset(&p, 0, sizeof(p));
	memset(&inv, 0, sizeof(inv));
	memset(&t, 0, sizeof(t));
	memset(&res, 0, sizeof(res));
	static const char *const fields[] = { "id", "customer", "invoice",
		"amount", "currency", "paid_on", "method", NULL };

	if (api_fields_known(resp, o, fields, "") < 0)
		goto out;
	id = api_str_field(resp, o, "id", "", STORE_ID_MAX, 1, &bad);
	cust = api_str_field(resp, o, "customer", "", STORE_ID_MAX, 1, &bad);
	invoice = api_str_field(resp, o, "invoice", "", STORE_ID_MAX, 0, &bad);
	cur_code = api_str_field(resp, o, "currency", "", 3, 1, &bad);
	paid_on = api_str_field(resp, o, "paid_on", "", 40, 1, &bad);
	method = api_str_field(resp, o, "method", "", 64, 0, &bad);
	if (bad)
		goto out;
	if (invoice && !*invoice)
		invoice = NULL;
	cur = currency_find(cur_code);
	if (!cur) {
		api_bad_request(resp, "parameter_invalid",
				"expected an ISO 4217 code such as EUR.",
				"currency");
		goto out;
	}
	amount = json_object_get(o, "amount");
	if (!json_is_integer(amount) || json_integer_value(amount) < 1) {
		api_bad_request(resp, "parameter_invalid",
				"expected a whole number of minor units (cents), "
				"more than 0.", "amount");
		goto out;
	}
	p.amount_minor = json_integer_value(amount);
	if (parse_when(paid_on, &p.paid_on) < 0) {
		api_bad_request(resp, "parameter_invalid",
				"expected a date, YYYY-MM-DD or RFC 3339.",
				"paid_on");
		goto out;
	}
	r = store_customer_id(s, a->tenant_id, cust, &p.customer_id, &e);
	if (r == -ERR_NOTFOUND) {
		api_missing(resp, "customer", "customer");
		goto out;
	}
	if (r < 0) {
		api_fail(req, resp, "reading a customer", &e);
		goto out;
	}
	if (invoice) {
		if (store_invoice_get(s, a->tenant_id, invoice, &inv, NULL) < 0 &&
		    store_invoice_find_ref(s, a->tenant_id, invoice, &inv,
					   NULL) < 0) {
			api_missing(resp, "invoice", "invoice");
			goto out;
		}
		if (inv.customer_id != p.customer_id) {
			api_bad_request(resp, "parameter_invalid",
					"the invoice belongs to another customer.",
					"invoice");
			goto out;
		}
		if (memcmp(inv.currency, cur->code, 4) != 0) {
			snprintf(msg, sizeof(msg),
				 "the payment is in %s, the invoice in %s.",
				 cur->code, inv.currency);
			api_bad_request(resp, "parameter_invalid", msg,
					"currency");
			goto out;
		}
		p.invoice_id = inv.id;
	}
	p.tenant_id = a->tenant_id;
	p.external_id = (char *)id;
	memcpy(p.currency, cur->code, 4);
	p.method = (char *)(method ? method : "");
	if (store_begin(s, &e) < 0) {
		api_fail(req, resp, "starting a transaction", &e);
		goto out;
	}
	/* As every payment: recorded once, allocated, and everything it
	 * sets off (invoice.paid, the case resolving, service.restore, the
	 * thank-you) in the same transaction (src/pay.h). */
	r = store_tenant_by_id(s, a->tenant_id, &t, &e);
	if (r == 0)
		r = pay_receive(s, &t, &p, req->now, &res, &e);
	inserted = res.recorded;
	if (r == 0)
		r = store_commit(s, &e);
	if (r == 0 && inserted)
		dispatch_wake(); /* the webhooks go out now */
	if (r < 0) {
		store_rollback(s);
		api_fail(req, resp, "recording a payment", &e);
		goto out;
	}
	/* Already recorded: nothing applied again. The store cannot read a
	 * payment back yet, so the answer repeats this request's fields. */
	api_send_json(resp, inserted ? 201 : 200,
		      payment_json(&p, cust, invoice, inserted ? &res : NULL));
out:
	tenant_rec_clear(&t);
	invoice_rec_clear(&inv);
	json_decref(o);
}

void api_payment_post(const struct http_request *req,
		      struct http_response *resp)
{
	struct api_auth a;

	if (api_authenticate(req, resp, API_SCOPE_WRITE, &a) < 0)
		return;
	api_idempotent(req, resp, &a, payment_post);
}
