/*
 * psp_mollie: Mollie's Payments API v2 (see psp_mollie.h for the setting,
 * the request and the status mapping).
 *
 * Mollie's answers are JSON (application/hal+json): the payment resource
 * on success, an error otherwise ({"status": 422, "title": "Unprocessable
 * Entity", "detail": "...", "field": "amount", "_links": {...}}). The
 * webhook carries only an id, so everything the event says comes from a
 * fresh GET of the payment with our own key: a forged notification can at
 * most make us look at a real payment.
 */
#include "psp_mollie.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "money.h"

#define MOLLIE_BASE "https://api.mollie.com"
#define MOLLIE_KEYS "key, timeout"
#define MOLLIE_ID_TAIL 64 /* characters after "tr_" we accept */

struct mollie {
	struct http_client *http; /* connections, kept between calls */
	char *base;               /* base URL without trailing '/' */
	char *key;                /* the API key (Bearer) */
	int live;                 /* 1 for a live_ key, 0 for test_ */
	int timeout;              /* seconds per request */
};

static void mollie_close(void *h)
{
	struct mollie *m = h;

	if (!m)
		return;
	http_client_free(m->http);
	if (m->key)
		explicit_bzero(m->key, strlen(m->key));
	free(m->key);
	free(m->base);
	free(m);
}

/* test_ or live_ followed by at least 20 letters and digits. */
static int mollie_key_shape(const char *k, int *ret_live)
{
	const char *tail;
	size_t n;

	if (strncmp(k, "test_", 5) == 0)
		*ret_live = 0;
	else if (strncmp(k, "live_", 5) == 0)
		*ret_live = 1;
	else
		return 0;
	tail = k + 5;
	n = strspn(tail, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789");
	return n >= 20 && tail[n] == '\0';
}

static int mollie_open(const char *config, void **ret_handle, struct err *e)
{
	struct http_client_config c;
	struct mollie *m = NULL;
	const char *base, *key;
	size_t blen;
	int rc, live = 0, timeout;

	rc = http_client_config_parse(config, "mollie", &c, e);
	if (rc < 0)
		return rc;
	key = http_client_config_get(&c, "key");
	rc = http_client_config_base(&c, "mollie", MOLLIE_BASE, &base, &blen,
				     e);
	if (rc < 0)
		goto out;
	if (!key || !*key) {
		rc = err_set(e, ERR_INVALID, "mollie: key= missing (the API "
			     "key, test_... or live_...)");
		goto out;
	}
	if (!mollie_key_shape(key, &live)) {
		rc = err_set(e, ERR_INVALID, "mollie: key=: expected an API "
			     "key (test_ or live_ and at least 20 letters or "
			     "digits)");
		goto out;
	}
	rc = http_client_config_int(&c, "mollie", "timeout", 1, 120,
				    PSP_TIMEOUT_S, &timeout, e);
	if (rc < 0)
		goto out;
	rc = http_client_config_unused(&c, "mollie", MOLLIE_KEYS, e);
	if (rc < 0)
		goto out;
	m = xcalloc(1, sizeof(*m));
	m->base = xstrndup(base, blen);
	m->key = xstrdup(key);
	m->live = live;
	m->timeout = timeout;
	m->http = http_client_new(timeout, HTTP_CLIENT_CONNS);
	*ret_handle = m;
out:
	http_client_config_free(&c);
	return rc;
}

/* Mollie's locale for a customer's, or NULL to let Mollie choose. The
 * first entry of a language is its region when none is given. */
static const char *mollie_locale(const char *locale)
{
	static const char *const known[] = {
		"nl_NL", "nl_BE", "en_US", "en_GB", "de_DE", "de_AT", "de_CH",
		"fr_FR", "fr_BE", "es_ES", "ca_ES", "pt_PT", "it_IT", "nb_NO",
		"sv_SE", "fi_FI", "da_DK", "is_IS", "hu_HU", "pl_PL", "lv_LV",
		"lt_LT",
	};
	char lang[3], region[3];
	size_t i;

	if (!locale || !*locale || psp_locale_split(locale, lang, region,
						    NULL) < 0)
		return NULL;
	for (i = 0; region[0] && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strncmp(known[i], lang, 2) && !strcmp(known[i] + 3, region))
			return known[i];
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strncmp(known[i], lang, 2))
			return known[i];
	return NULL;
}

/* Mollie's name of a method (psp.c has checked it is one we know). */
static const char *mollie_method(const char *m)
{
	return strcmp(m, "card") == 0 ? "creditcard" : m;
}

/* An amount object {"currency": "EUR", "value": "12.34"} at ctx: the
 * value must have exactly the currency's decimals and be >= 0. */
static int mollie_amount(json_t *o, const char *ctx, int64_t *ret_minor,
			 char ret_cur[4], struct err *e)
{
	char q[ERR_QUOTE_BUF], path[64];
	const struct currency *cur;
	const char *code, *value, *dot;
	int64_t minor;
	size_t decimals;
	int rc;

	if ((rc = psp_json_str(o, ctx, "currency", 0, &code, e)) < 0 ||
	    (rc = psp_json_str(o, ctx, "value", 0, &value, e)) < 0)
		return rc;
	cur = currency_find(code);
	if (!cur)
		return err_set(e, ERR_INVALID, "%s.currency: %s is not an ISO "
			       "4217 code", ctx, err_quote(code, q));
	dot = strchr(value, '.');
	decimals = dot ? strlen(dot + 1) : 0;
	if (decimals != (size_t)cur->exponent || (dot && cur->exponent == 0))
		return err_set(e, ERR_INVALID, "%s.value: %s does not have the "
			       "%d decimals of %s", ctx, err_quote(value, q),
			       cur->exponent, cur->code);
	rc = money_parse(value, cur, &minor, e);
	if (rc < 0) {
		snprintf(path, sizeof(path), "%s.value: ", ctx);
		err_prefix(e, "%s", path);
		return rc;
	}
	if (minor < 0)
		return err_set(e, ERR_RANGE, "%s.value: %s is negative", ctx,
			       err_quote(value, q));
	*ret_minor = minor;
	memcpy(ret_cur, cur->code, 4);
	return 0;
}

/* Turn an answer that is not a success into an error. */
static int mollie_fail(const struct psp_http_resp *r, const char *what,
		       struct err *e)
{
	json_t *j = NULL;
	const char *title = NULL, *detail = NULL, *field = NULL;
	char tq[ERR_QUOTE_BUF], dq[160], fq[ERR_QUOTE_BUF];
	int code;

	if (r->status == 0)
		return err_set(e, ERR_IO, "mollie %s: %s", what, r->error);
	if (r->body.len)
		j = json_loadb(r->body.data, r->body.len, 0, NULL);
	title = json_string_value(json_object_get(j, "title"));
	detail = json_string_value(json_object_get(j, "detail"));
	field = json_string_value(json_object_get(j, "field"));
	http_client_text(dq, sizeof(dq), "%s",
			 detail ? detail : j ? "" : "(not JSON)");
	code = r->status == 429 || r->status >= 500 ? ERR_IO
	       : r->status == 404			? ERR_NOTFOUND
							: ERR_INVALID;
	err_set(e, code, "mollie %s: HTTP %ld%s%s: %s%s%s%s%s", what,
		r->status, title ? " " : "", title ? err_quote(title, tq) : "",
		dq, field ? " (field " : "", field ? err_quote(field, fq) : "",
		field ? ")" : "",
		r->status == 401 || r->status == 403 ? " (check key=)"
		: r->status >= 300 && r->status < 400
			? " (a redirect: check the base URL)"
			: "");
	json_decref(j);
	return -code;
}

/* "Authorization: Bearer KEY" into line. */
static int mollie_auth(const struct mollie *m,
		       char line[HTTP_CLIENT_LINE_MAX], struct err *e)
{
	char v[HTTP_CLIENT_LINE_MAX];
	int rc;

	if (strlen(m->key) + 8 >= sizeof(v))
		return err_set(e, ERR_INVALID, "mollie: key= too long");
	memcpy(v, "Bearer ", 7);
	memcpy(v + 7, m->key, strlen(m->key) + 1);
	rc = psp_header_line(line, "Authorization", v, "mollie: key=", e);
	explicit_bzero(v, sizeof(v));
	return rc;
}

/* The request body of a checkout. */
static json_t *mollie_body(const struct psp_checkout_req *r)
{
	const struct currency *cur = currency_find(r->currency);
	char value[MONEY_FMT_MAX], case_id[24];
	const char *locale = mollie_locale(r->locale);
	json_t *b, *meta;

	money_format(r->amount, cur, value);
	snprintf(case_id, sizeof(case_id), "%lld", (long long)r->case_id);
	b = json_object();
	json_object_set_new(b, "amount",
			    json_pack("{s:s, s:s}", "currency", cur->code,
				      "value", value));
	json_object_set_new(b, "description", json_string(r->description));
	json_object_set_new(b, "redirectUrl", json_string(r->redirect_url));
	if (r->cancel_url)
		json_object_set_new(b, "cancelUrl", json_string(r->cancel_url));
	json_object_set_new(b, "webhookUrl", json_string(r->webhook_url));
	if (locale)
		json_object_set_new(b, "locale", json_string(locale));
	if (r->method && *r->method)
		json_object_set_new(b, "method",
				    json_string(mollie_method(r->method)));
	meta = json_pack("{s:s, s:s}", "tenant", r->tenant, "case_id", case_id);
	if (r->reference && *r->reference)
		json_object_set_new(meta, "reference",
				    json_string(r->reference));
	json_object_set_new(b, "metadata", meta);
	return b;
}

static int mollie_checkout(void *h, const struct psp_checkout_req *req,
			   instant_t now, struct psp_checkout *ret,
			   struct err *e)
{
	struct mollie *m = h;
	char auth[HTTP_CLIENT_LINE_MAX], idem[HTTP_CLIENT_LINE_MAX];
	char url[PSP_URL_MAX], cur[4];
	struct http_client_req hr;
	struct psp_http_resp resp;
	json_t *body, *j = NULL, *links;
	const char *id, *href;
	char *text;
	int64_t amount;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (!req->webhook_url)
		return err_set(e, ERR_INVALID, "mollie checkout: webhook_url: "
			       "missing (Mollie notifies only there)");
	if ((rc = mollie_auth(m, auth, e)) < 0)
		return rc;
	rc = psp_header_line(idem, "Idempotency-Key", req->idempotency_key,
			     "mollie checkout: idempotency_key", e);
	if (rc < 0)
		goto out;
	body = mollie_body(req);
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		abort(); /* only out of memory: mem.h policy */
	snprintf(url, sizeof(url), "%s/v2/payments", m->base);
	memset(&hr, 0, sizeof(hr));
	hr.url = url;
	hr.content_type = "application/json";
	hr.body = text;
	hr.body_len = strlen(text);
	hr.headers[0] = auth;
	hr.headers[1] = idem;
	psp_http_post(m->http, &hr, now, &resp);
	free(text);
	if (resp.status != 201 && resp.status != 200) {
		rc = mollie_fail(&resp, "checkout", e);
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "mollie checkout: HTTP %ld: the "
			     "answer is not a JSON object", resp.status);
		goto out;
	}
	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0 ||
	    (rc = psp_json_field(j, "", "_links", JSON_OBJECT, 0, &links,
				 e)) < 0 ||
	    (rc = psp_json_field(links, "_links", "checkout", JSON_OBJECT, 0,
				 &links, e)) < 0 ||
	    (rc = psp_json_str(links, "_links.checkout", "href", 0, &href,
			       e)) < 0 ||
	    (rc = mollie_amount(json_object_get(j, "amount"), "amount", &amount,
				cur, e)) < 0)
		goto out_prefix;
	if (!psp_id_shape(id, "tr_", MOLLIE_ID_TAIL)) {
		rc = err_set(e, ERR_INVALID, "id: not a Mollie payment id "
			     "(tr_...)");
		goto out_prefix;
	}
	if ((rc = http_client_check_url(href, "_links.checkout.href", e)) < 0)
		goto out_prefix;
	if (amount != req->amount || strcmp(cur, req->currency) != 0) {
		rc = err_set(e, ERR_INVALID, "amount: Mollie created a payment "
			     "of another amount or currency than asked");
		goto out_prefix;
	}
	if ((rc = psp_copy(ret->id, sizeof(ret->id), id, "id", e)) < 0 ||
	    (rc = psp_copy(ret->url, sizeof(ret->url), href,
			   "_links.checkout.href", e)) < 0)
		goto out_prefix;
	goto out;
out_prefix:
	err_prefix(e, "mollie checkout: answer: ");
out:
	explicit_bzero(auth, sizeof(auth));
	json_decref(j);
	psp_http_resp_free(&resp);
	return rc;
}

/* Read our metadata; PSP_IGNORED when the payment has none of it. */
static int mollie_metadata(json_t *j, struct psp_event *ev, struct err *e)
{
	json_t *meta = json_object_get(j, "metadata");
	const char *tenant, *case_id, *ref;
	int rc;

	if (!json_is_object(meta) || (!json_object_get(meta, "tenant") &&
				      !json_object_get(meta, "case_id"))) {
		err_set(e, 0, "mollie webhook: payment %s has no dunwell "
			"metadata (tenant, case_id): not ours", ev->payment_id);
		return PSP_IGNORED;
	}
	if ((rc = psp_json_str(meta, "metadata", "tenant", 0, &tenant, e)) < 0 ||
	    (rc = psp_json_str(meta, "metadata", "case_id", 0, &case_id,
			       e)) < 0 ||
	    (rc = psp_json_str(meta, "metadata", "reference", 1, &ref, e)) < 0 ||
	    (rc = psp_copy(ev->tenant, sizeof(ev->tenant), tenant,
			   "metadata.tenant", e)) < 0 ||
	    (rc = psp_parse_case_id(case_id, "metadata.case_id", &ev->case_id,
				    e)) < 0 ||
	    (ref && (rc = psp_copy(ev->reference, sizeof(ev->reference), ref,
				   "metadata.reference", e)) < 0))
		return rc;
	return 0;
}

/* Add an optional amount (amountRefunded, amountChargedBack) of the
 * payment's currency to ev->refunded. */
static int mollie_refund(json_t *j, const char *key, struct psp_event *ev,
			 struct err *e)
{
	json_t *o;
	char cur[4];
	int64_t v;
	int rc;

	if ((rc = psp_json_field(j, "", key, JSON_OBJECT, 1, &o, e)) < 0)
		return rc;
	if (!o)
		return 0;
	if ((rc = mollie_amount(o, key, &v, cur, e)) < 0)
		return rc;
	if (strcmp(cur, ev->currency) != 0)
		return err_set(e, ERR_INVALID, "%s.currency: %s, but the "
			       "payment is in %s", key, cur, ev->currency);
	if (money_add(ev->refunded, v, &ev->refunded) < 0 ||
	    ev->refunded > ev->amount)
		return err_set(e, ERR_RANGE, "%s: more than the payment's "
			       "amount went back", key);
	return 0;
}

/* Read a fetched payment into ev. */
static int mollie_payment(const struct mollie *m, json_t *j,
			  struct psp_event *ev, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *id, *status, *mode, *method = NULL, *paid_at;
	json_t *jm;
	int rc, n;

	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0)
		return rc;
	if (strcmp(id, ev->payment_id) != 0)
		return err_set(e, ERR_INVALID, "id: the answer is about "
			       "another payment");
	if ((rc = psp_json_str(j, "", "mode", 0, &mode, e)) < 0)
		return rc;
	if (strcmp(mode, m->live ? "live" : "test") != 0)
		return err_set(e, ERR_INVALID, "mode: %s, but the key is a %s "
			       "key", err_quote(mode, q),
			       m->live ? "live" : "test");
	ev->livemode = m->live;
	if ((rc = mollie_amount(json_object_get(j, "amount"), "amount",
				&ev->amount, ev->currency, e)) < 0)
		return rc;
	if (ev->amount <= 0)
		return err_set(e, ERR_RANGE, "amount.value: expected more than "
			       "0");
	if ((rc = mollie_refund(j, "amountRefunded", ev, e)) < 0 ||
	    (rc = mollie_refund(j, "amountChargedBack", ev, e)) < 0)
		return rc;
	if ((rc = psp_json_field(j, "", "method", JSON_STRING, 1, &jm, e)) < 0)
		return rc;
	method = jm ? json_string_value(jm) : NULL;
	if (method && (rc = psp_copy(ev->method, sizeof(ev->method), method,
				     "method", e)) < 0)
		return rc;
	if ((rc = psp_json_str(j, "", "status", 0, &status, e)) < 0)
		return rc;
	if (!strcmp(status, "open") || !strcmp(status, "pending") ||
	    !strcmp(status, "authorized"))
		ev->status = PSP_PENDING;
	else if (!strcmp(status, "paid"))
		ev->status = ev->refunded > 0 ? PSP_REFUNDED : PSP_PAID;
	else if (!strcmp(status, "canceled"))
		ev->status = PSP_CANCELED;
	else if (!strcmp(status, "expired"))
		ev->status = PSP_EXPIRED;
	else if (!strcmp(status, "failed"))
		ev->status = PSP_FAILED;
	else
		return err_set(e, ERR_INVALID, "status: unknown value %s",
			       err_quote(status, q));
	if (ev->status == PSP_PAID || ev->status == PSP_REFUNDED) {
		if ((rc = psp_json_str(j, "", "paidAt", 0, &paid_at, e)) < 0)
			return rc;
		if ((rc = instant_parse(paid_at, &ev->paid_at, e)) < 0) {
			err_prefix(e, "paidAt: ");
			return rc;
		}
	}
	if (ev->status == PSP_REFUNDED)
		n = snprintf(ev->event_id, sizeof(ev->event_id),
			     "%s:refunded:%lld", ev->payment_id,
			     (long long)ev->refunded);
	else
		n = snprintf(ev->event_id, sizeof(ev->event_id), "%s:%s",
			     ev->payment_id, psp_status_name(ev->status));
	if (n < 0 || (size_t)n >= sizeof(ev->event_id))
		return err_set(e, ERR_TOOBIG, "id: too long for an event id");
	return 0;
}

static int mollie_webhook(void *h, const struct psp_webhook_req *in,
			  instant_t now, struct psp_event *ret, struct err *e)
{
	struct mollie *m = h;
	const char *ctype = psp_header_get(in, "Content-Type");
	char id[PSP_ID_MAX], q[ERR_QUOTE_BUF], url[PSP_URL_MAX];
	char auth[HTTP_CLIENT_LINE_MAX];
	const char *headers[HTTP_CLIENT_HEADERS_MAX] = { NULL };
	struct psp_http_resp resp;
	json_t *j = NULL;
	int rc;

	(void)now;
	memset(&resp, 0, sizeof(resp));
	if (ctype && strncmp(ctype, "application/x-www-form-urlencoded",
			     33) != 0)
		return err_set(e, ERR_INVALID, "mollie webhook: Content-Type "
			       "%s: expected application/"
			       "x-www-form-urlencoded", err_quote(ctype, q));
	rc = http_client_form_get(in->body ? in->body : "", in->body_len, "id",
				  id, sizeof(id), e);
	if (rc < 0) {
		err_prefix(e, "mollie webhook: ");
		return rc == -ERR_TOOBIG ? -ERR_INVALID : rc == -ERR_NOTFOUND
			       ? -ERR_INVALID : rc;
	}
	if (!psp_id_shape(id, "tr_", MOLLIE_ID_TAIL))
		return err_set(e, ERR_INVALID, "mollie webhook: id %s: not a "
			       "Mollie payment id (tr_ and letters or digits)",
			       err_quote(id, q));
	memcpy(ret->payment_id, id, strlen(id) + 1);
	if ((rc = mollie_auth(m, auth, e)) < 0)
		return rc;
	headers[0] = auth;
	snprintf(url, sizeof(url), "%s/v2/payments/%s", m->base, id);
	psp_http_get(url, m->timeout, headers, &resp);
	explicit_bzero(auth, sizeof(auth));
	if (resp.status != 200) {
		rc = mollie_fail(&resp, "webhook: fetching the payment", e);
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "mollie webhook: payment %s: the "
			     "answer is not a JSON object", id);
		goto out;
	}
	rc = mollie_payment(m, j, ret, e);
	if (rc < 0) {
		err_prefix(e, "mollie webhook: payment %s: ", id);
		goto out;
	}
	rc = mollie_metadata(j, ret, e);
	if (rc < 0)
		err_prefix(e, "mollie webhook: payment %s: ", id);
out:
	json_decref(j);
	psp_http_resp_free(&resp);
	return rc;
}

/* ---- automatic charges (issue #7) ----------------------------------------- */

/* GET {base}/v2/payments/{id} into *ret (the caller frees it). */
static int mollie_get_payment(const struct mollie *m, const char *id,
			      json_t **ret, struct err *e)
{
	char auth[HTTP_CLIENT_LINE_MAX], url[PSP_URL_MAX];
	const char *headers[HTTP_CLIENT_HEADERS_MAX] = { NULL };
	struct psp_http_resp resp;
	json_t *j;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if ((rc = mollie_auth(m, auth, e)) < 0)
		return rc;
	headers[0] = auth;
	snprintf(url, sizeof(url), "%s/v2/payments/%s", m->base, id);
	psp_http_get(url, m->timeout, headers, &resp);
	explicit_bzero(auth, sizeof(auth));
	if (resp.status != 200) {
		rc = mollie_fail(&resp, "webhook: fetching the payment", e);
		psp_http_resp_free(&resp);
		return rc;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	psp_http_resp_free(&resp);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(e, ERR_INVALID, "mollie webhook: payment %s: "
			       "the answer is not a JSON object", id);
	}
	*ret = j;
	return 0;
}

/* Copy an optional string member into dst ("" when absent or null). */
static int mollie_opt(json_t *o, const char *ctx, const char *key, char *dst,
		      size_t cap, struct err *e)
{
	const char *v;
	char what[96];
	int rc = psp_json_str(o, ctx, key, 1, &v, e);

	if (rc < 0)
		return rc;
	dst[0] = '\0';
	if (!v)
		return 0;
	snprintf(what, sizeof(what), "%s%s%s", ctx, *ctx ? "." : "", key);
	return psp_copy(dst, cap, v, what, e);
}

/* A recurring or first payment into ev (id, status, amount, customer,
 * mandate, the reason of a failure, metadata). */
static int mollie_charge_payment(const struct mollie *m, json_t *j,
				 struct psp_charge_event *ev, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *id, *mode, *status, *v;
	json_t *meta, *details;
	int rc;

	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0)
		return rc;
	if (!psp_id_shape(id, "tr_", MOLLIE_ID_TAIL))
		return err_set(e, ERR_INVALID, "id: not a Mollie payment id");
	memcpy(ev->payment_id, id, strlen(id) + 1);
	memcpy(ev->attempt_id, id, strlen(id) + 1);
	if ((rc = psp_json_str(j, "", "mode", 0, &mode, e)) < 0)
		return rc;
	if (strcmp(mode, m->live ? "live" : "test") != 0)
		return err_set(e, ERR_INVALID, "mode: %s, but the key is a %s "
			       "key", err_quote(mode, q),
			       m->live ? "live" : "test");
	ev->livemode = m->live;
	if ((rc = mollie_amount(json_object_get(j, "amount"), "amount",
				&ev->amount, ev->currency, e)) < 0 ||
	    (rc = mollie_opt(j, "", "customerId", ev->customer_ref,
			     sizeof(ev->customer_ref), e)) < 0 ||
	    (rc = mollie_opt(j, "", "mandateId", ev->mandate_ref,
			     sizeof(ev->mandate_ref), e)) < 0 ||
	    (rc = psp_json_str(j, "", "status", 0, &status, e)) < 0)
		return rc;
	if (!strcmp(status, "paid"))
		ev->status = PSP_PAID;
	else if (!strcmp(status, "failed") || !strcmp(status, "canceled") ||
		 !strcmp(status, "expired"))
		ev->status = PSP_FAILED;
	else if (!strcmp(status, "open") || !strcmp(status, "pending") ||
		 !strcmp(status, "authorized"))
		ev->status = PSP_PENDING;
	else
		return err_set(e, ERR_INVALID, "status: unknown value %s",
			       err_quote(status, q));
	details = json_object_get(j, "details");
	if (json_is_object(details)) {
		/* direct debit: the bank's reason; card: Mollie's */
		if ((rc = mollie_opt(details, "details", "bankReasonCode",
				     ev->failure_code,
				     sizeof(ev->failure_code), e)) < 0)
			return rc;
		if (!*ev->failure_code &&
		    (rc = mollie_opt(details, "details", "failureReason",
				     ev->failure_code,
				     sizeof(ev->failure_code), e)) < 0)
			return rc;
	}
	v = json_string_value(json_object_get(
		j, ev->status == PSP_PAID ? "paidAt" : "failedAt"));
	if (!v)
		v = json_string_value(json_object_get(j, "createdAt"));
	if (v && instant_parse(v, &ev->at, NULL) < 0)
		ev->at = 0;
	meta = json_object_get(j, "metadata");
	if (json_is_object(meta)) {
		if ((rc = mollie_opt(meta, "metadata", "tenant", ev->tenant,
				     sizeof(ev->tenant), e)) < 0 ||
		    (rc = mollie_opt(meta, "metadata", "customer",
				     ev->customer, sizeof(ev->customer),
				     e)) < 0 ||
		    (rc = mollie_opt(meta, "metadata", "invoice", ev->invoice,
				     sizeof(ev->invoice), e)) < 0)
			return rc;
		if ((rc = psp_json_str(meta, "metadata", "case_id", 1, &v,
				       e)) < 0 ||
		    (v && (rc = psp_parse_case_id(v, "metadata.case_id",
						  &ev->case_id, e)) < 0))
			return rc;
		if ((rc = psp_json_str(meta, "metadata", "charge_id", 1, &v,
				       e)) < 0 ||
		    (v && (rc = psp_parse_case_id(v, "metadata.charge_id",
						  &ev->charge_id, e)) < 0))
			return rc;
	}
	if ((size_t)snprintf(ev->event_id, sizeof(ev->event_id), "%s:%s", id,
			     psp_status_name(ev->status)) >=
	    sizeof(ev->event_id))
		return err_set(e, ERR_TOOBIG, "id: too long for an event id");
	return 0;
}

static int mollie_charge_event(void *h, const struct psp_webhook_req *in,
			       instant_t now, struct psp_charge_event *ret,
			       struct err *e)
{
	struct mollie *m = h;
	const char *ctype = psp_header_get(in, "Content-Type");
	const char *seq, *purpose;
	char id[PSP_ID_MAX], q[ERR_QUOTE_BUF];
	json_t *j = NULL;
	int rc;

	(void)now;
	if (ctype && strncmp(ctype, "application/x-www-form-urlencoded",
			     33) != 0)
		return err_set(e, ERR_INVALID, "mollie webhook: Content-Type "
			       "%s: expected application/"
			       "x-www-form-urlencoded", err_quote(ctype, q));
	rc = http_client_form_get(in->body ? in->body : "", in->body_len, "id",
				  id, sizeof(id), e);
	if (rc < 0) {
		err_prefix(e, "mollie webhook: ");
		return rc == -ERR_TOOBIG || rc == -ERR_NOTFOUND ? -ERR_INVALID
								: rc;
	}
	if (!psp_id_shape(id, "tr_", MOLLIE_ID_TAIL))
		return err_set(e, ERR_INVALID, "mollie webhook: id %s: not a "
			       "Mollie payment id (tr_ and letters or digits)",
			       err_quote(id, q));
	rc = mollie_get_payment(m, id, &j, e);
	if (rc < 0)
		return rc;
	seq = json_string_value(json_object_get(j, "sequenceType"));
	purpose = json_string_value(json_object_get(
		json_object_get(j, "metadata"), "purpose"));
	if (seq && !strcmp(seq, "recurring")) {
		ret->kind = PSP_CHARGE_ATTEMPT;
	} else if (seq && !strcmp(seq, "first") && purpose &&
		   !strcmp(purpose, "payment_method")) {
		ret->kind = PSP_CHARGE_MANDATE;
	} else {
		rc = PSP_IGNORED; /* a checkout's: psp_webhook reads it */
		goto out;
	}
	rc = mollie_charge_payment(m, j, ret, e);
	if (rc < 0)
		err_prefix(e, "mollie webhook: payment %s: ", id);
out:
	json_decref(j);
	return rc;
}

/* POST {base}/v2/payments with body b (stolen); the payment into *ret. */
static int mollie_create(struct mollie *m, json_t *b, const char *key,
			 instant_t now, const char *what, json_t **ret,
			 struct err *e)
{
	char auth[HTTP_CLIENT_LINE_MAX], idem[HTTP_CLIENT_LINE_MAX];
	char url[PSP_URL_MAX];
	struct http_client_req hr;
	struct psp_http_resp resp;
	char *text = json_dumps(b, JSON_COMPACT);
	json_t *j;
	int rc;

	json_decref(b);
	if (!text)
		abort(); /* only out of memory: mem.h policy */
	memset(&resp, 0, sizeof(resp));
	if ((rc = mollie_auth(m, auth, e)) < 0)
		goto out;
	if ((rc = psp_header_line(idem, "Idempotency-Key", key,
				  "mollie: idempotency_key", e)) < 0)
		goto out;
	snprintf(url, sizeof(url), "%s/v2/payments", m->base);
	memset(&hr, 0, sizeof(hr));
	hr.url = url;
	hr.content_type = "application/json";
	hr.body = text;
	hr.body_len = strlen(text);
	hr.headers[0] = auth;
	hr.headers[1] = idem;
	psp_http_post(m->http, &hr, now, &resp);
	if (resp.status != 201 && resp.status != 200) {
		rc = mollie_fail(&resp, what, e);
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		rc = err_set(e, ERR_INVALID, "mollie %s: HTTP %ld: the answer "
			     "is not a JSON object", what, resp.status);
		goto out;
	}
	*ret = j;
out:
	explicit_bzero(auth, sizeof(auth));
	free(text);
	psp_http_resp_free(&resp);
	return rc;
}

static int mollie_recharge(void *h, const struct psp_recharge_req *req,
			   instant_t now, struct psp_recharge *ret,
			   struct err *e)
{
	struct mollie *m = h;
	const struct currency *cur =
		req->currency ? currency_find(req->currency) : NULL;
	struct psp_charge_event ev;
	char value[MONEY_FMT_MAX], case_id[24], charge_id[24];
	json_t *b, *meta, *j = NULL;
	int rc;

	if (!cur || req->amount <= 0 || !req->description || !req->webhook_url ||
	    !req->customer_ref || !psp_id_shape(req->customer_ref, "cst_",
						MOLLIE_ID_TAIL))
		return err_set(e, ERR_INVALID, "mollie recharge: amount, "
			       "currency, description, webhook_url and "
			       "customer_ref (cst_...) are required");
	money_format(req->amount, cur, value);
	snprintf(case_id, sizeof(case_id), "%lld", (long long)req->case_id);
	snprintf(charge_id, sizeof(charge_id), "%lld",
		 (long long)req->charge_id);
	b = json_object();
	json_object_set_new(b, "amount", json_pack("{s:s, s:s}", "currency",
						   cur->code, "value", value));
	json_object_set_new(b, "description", json_string(req->description));
	json_object_set_new(b, "sequenceType", json_string("recurring"));
	json_object_set_new(b, "customerId", json_string(req->customer_ref));
	if (req->mandate_ref && *req->mandate_ref)
		json_object_set_new(b, "mandateId",
				    json_string(req->mandate_ref));
	json_object_set_new(b, "webhookUrl", json_string(req->webhook_url));
	meta = json_pack("{s:s, s:s}", "tenant", req->tenant, "charge_id",
			 charge_id);
	if (req->case_id > 0)
		json_object_set_new(meta, "case_id", json_string(case_id));
	json_object_set_new(b, "metadata", meta);
	rc = mollie_create(m, b, req->idempotency_key, now, "recharge", &j, e);
	if (rc < 0)
		return rc;
	memset(&ev, 0, sizeof(ev));
	rc = mollie_charge_payment(m, j, &ev, e);
	if (rc < 0) {
		err_prefix(e, "mollie recharge: answer: ");
		goto out;
	}
	if (ev.amount != req->amount || strcmp(ev.currency, cur->code) != 0) {
		rc = err_set(e, ERR_INVALID, "mollie recharge: answer: amount: "
			     "another amount or currency than asked");
		goto out;
	}
	memcpy(ret->payment_id, ev.payment_id, sizeof(ret->payment_id));
	memcpy(ret->attempt_id, ev.attempt_id, sizeof(ret->attempt_id));
	memcpy(ret->failure_code, ev.failure_code, sizeof(ret->failure_code));
	ret->status = ev.status;
out:
	json_decref(j);
	return rc;
}

static int mollie_setup(void *h, const struct psp_setup_req *req,
			instant_t now, struct psp_checkout *ret,
			struct err *e)
{
	struct mollie *m = h;
	const struct currency *cur = currency_find(req->currency);
	const char *locale = mollie_locale(req->locale), *id, *href;
	char value[MONEY_FMT_MAX], case_id[24];
	json_t *b, *j = NULL, *links;
	int rc;

	if (!req->webhook_url)
		return err_set(e, ERR_INVALID, "mollie setup: webhook_url: "
			       "missing (Mollie notifies only there)");
	if (!psp_id_shape(req->customer_ref, "cst_", MOLLIE_ID_TAIL))
		return err_set(e, ERR_INVALID, "mollie setup: customer_ref: "
			       "expected a Mollie customer id (cst_...)");
	/* The smallest amount the currency has: the first payment only
	 * proves the account and makes the mandate. */
	money_format(1, cur, value);
	snprintf(case_id, sizeof(case_id), "%lld", (long long)req->case_id);
	b = json_object();
	json_object_set_new(b, "amount", json_pack("{s:s, s:s}", "currency",
						   cur->code, "value", value));
	json_object_set_new(b, "description", json_string(req->description));
	json_object_set_new(b, "sequenceType", json_string("first"));
	json_object_set_new(b, "customerId", json_string(req->customer_ref));
	json_object_set_new(b, "redirectUrl", json_string(req->redirect_url));
	if (req->cancel_url)
		json_object_set_new(b, "cancelUrl",
				    json_string(req->cancel_url));
	json_object_set_new(b, "webhookUrl", json_string(req->webhook_url));
	if (locale)
		json_object_set_new(b, "locale", json_string(locale));
	json_object_set_new(b, "metadata",
			    json_pack("{s:s, s:s, s:s}", "tenant", req->tenant,
				      "case_id", case_id, "purpose",
				      "payment_method"));
	rc = mollie_create(m, b, req->idempotency_key, now, "setup", &j, e);
	if (rc < 0)
		return rc;
	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0 ||
	    (rc = psp_json_field(j, "", "_links", JSON_OBJECT, 0, &links,
				 e)) < 0 ||
	    (rc = psp_json_field(links, "_links", "checkout", JSON_OBJECT, 0,
				 &links, e)) < 0 ||
	    (rc = psp_json_str(links, "_links.checkout", "href", 0, &href,
			       e)) < 0)
		goto out_prefix;
	if (!psp_id_shape(id, "tr_", MOLLIE_ID_TAIL)) {
		rc = err_set(e, ERR_INVALID, "id: not a Mollie payment id");
		goto out_prefix;
	}
	if ((rc = http_client_check_url(href, "_links.checkout.href", e)) < 0 ||
	    (rc = psp_copy(ret->id, sizeof(ret->id), id, "id", e)) < 0 ||
	    (rc = psp_copy(ret->url, sizeof(ret->url), href,
			   "_links.checkout.href", e)) < 0)
		goto out_prefix;
	goto out;
out_prefix:
	err_prefix(e, "mollie setup: answer: ");
out:
	json_decref(j);
	return rc;
}

const struct psp_backend psp_mollie = {
	.scheme = "mollie",
	.open = mollie_open,
	.checkout = mollie_checkout,
	.webhook = mollie_webhook,
	.close = mollie_close,
	.charge_event = mollie_charge_event,
	.recharge = mollie_recharge,
	.setup = mollie_setup,
};
