/*
 * psp: the registry of payment-provider adapters, the wrappers every call
 * goes through (one place that checks a checkout request, bounds a
 * webhook body, and makes errors name the provider), and the helpers the
 * adapters share (see psp.h).
 *
 * Never prints, never stores, never decides what a payment means.
 */
#include "psp.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mem.h"
#include "money.h"
#include "psp_mollie.h"
#include "psp_stripe.h"

/* Every adapter, found by its scheme. */
static const struct psp_backend *const psp_backends[] = {
	&psp_mollie,
	&psp_stripe,
};
#define PSP_KNOWN "mollie, stripe"

struct psp {
	const struct psp_backend *be; /* the adapter */
	void *h;                      /* its handle */
};

const char *psp_status_name(enum psp_status s)
{
	switch (s) {
	case PSP_PENDING:
		return "pending";
	case PSP_PAID:
		return "paid";
	case PSP_FAILED:
		return "failed";
	case PSP_CANCELED:
		return "canceled";
	case PSP_EXPIRED:
		return "expired";
	case PSP_REFUNDED:
		return "refunded";
	}
	return "unknown";
}

const struct psp_backend *psp_backend_find(const char *config)
{
	size_t n;

	if (!config)
		return NULL;
	n = strcspn(config, ":");
	if (config[n] != ':')
		return NULL;
	for (size_t i = 0; i < sizeof(psp_backends) / sizeof(psp_backends[0]);
	     i++)
		if (strlen(psp_backends[i]->scheme) == n &&
		    strncmp(psp_backends[i]->scheme, config, n) == 0)
			return psp_backends[i];
	return NULL;
}

int psp_open(const char *config, struct psp **ret, struct err *e)
{
	const struct psp_backend *be = psp_backend_find(config);
	void *h = NULL;
	struct psp *p;
	int rc;

	if (!be) {
		char sq[ERR_QUOTE_BUF], scheme[32];
		size_t n = config ? strcspn(config, ":") : 0;
		if (n >= sizeof(scheme))
			n = sizeof(scheme) - 1;
		memcpy(scheme, config ? config : "", n);
		scheme[n] = '\0';
		return err_set(e, ERR_NOTFOUND, "payment provider: unknown "
			       "scheme %s (known: " PSP_KNOWN ")",
			       err_quote(scheme, sq));
	}
	rc = be->open(config, &h, e);
	if (rc < 0)
		return rc;
	p = xcalloc(1, sizeof(*p));
	p->be = be;
	p->h = h;
	*ret = p;
	return 0;
}

void psp_close(struct psp *p)
{
	if (!p)
		return;
	p->be->close(p->h);
	free(p);
}

const char *psp_scheme(const struct psp *p)
{
	return p->be->scheme;
}

/* 1 when s holds no control byte (a header, a metadata value). */
static int psp_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Methods an adapter may be asked for (each maps them to its names). */
static int psp_method_known(const char *m)
{
	static const char *const known[] = { "ideal", "bancontact", "card",
					     "eps", "przelewy24" };

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(m, known[i]) == 0)
			return 1;
	return 0;
}

/* Check what every adapter relies on, naming the field at fault. */
static int psp_check_req(const struct psp_checkout_req *r, struct err *e)
{
	char q[ERR_QUOTE_BUF], lang[3], region[3];
	const struct currency *cur;
	int rc;

	if (!r->tenant || !*r->tenant || strlen(r->tenant) >= PSP_TENANT_MAX ||
	    strspn(r->tenant, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(r->tenant))
		return err_set(e, ERR_INVALID, "tenant: expected a slug of "
			       "1 to %d letters, digits, '-' or '_'",
			       PSP_TENANT_MAX - 1);
	if (r->case_id <= 0)
		return err_set(e, ERR_RANGE, "case_id: expected a positive "
			       "number, got %lld", (long long)r->case_id);
	cur = r->currency ? currency_find(r->currency) : NULL;
	if (!cur)
		return err_set(e, ERR_INVALID, "currency: %s is not an ISO "
			       "4217 code", err_quote(r->currency ? r->currency
							     : "(none)", q));
	if (r->amount <= 0)
		return err_set(e, ERR_RANGE, "amount: expected more than 0, "
			       "got %lld minor units", (long long)r->amount);
	if (!r->description || !*r->description ||
	    strlen(r->description) > PSP_DESC_MAX ||
	    !psp_printable(r->description))
		return err_set(e, ERR_INVALID, "description: expected 1 to %d "
			       "bytes without control characters",
			       PSP_DESC_MAX);
	if (r->reference && (strlen(r->reference) >= PSP_REF_MAX ||
			     strspn(r->reference, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						  "0123456789") !=
				     strlen(r->reference)))
		return err_set(e, ERR_INVALID, "reference: expected an RF "
			       "reference (upper-case letters and digits, at "
			       "most %d)", PSP_REF_MAX - 1);
	if (r->locale && *r->locale &&
	    (rc = psp_locale_split(r->locale, lang, region, e)) < 0)
		return rc;
	if (r->method && *r->method && !psp_method_known(r->method))
		return err_set(e, ERR_INVALID, "method: %s is not one of "
			       "ideal, bancontact, card, eps, przelewy24",
			       err_quote(r->method, q));
	if (!r->redirect_url)
		return err_set(e, ERR_INVALID, "redirect_url: missing");
	if ((rc = http_client_check_url(r->redirect_url, "redirect_url",
					e)) < 0)
		return rc;
	if (r->cancel_url &&
	    (rc = http_client_check_url(r->cancel_url, "cancel_url", e)) < 0)
		return rc;
	if (r->webhook_url &&
	    (rc = http_client_check_url(r->webhook_url, "webhook_url", e)) < 0)
		return rc;
	if (!r->idempotency_key || !*r->idempotency_key ||
	    strlen(r->idempotency_key) > PSP_KEY_MAX ||
	    !psp_printable(r->idempotency_key))
		return err_set(e, ERR_INVALID, "idempotency_key: expected 1 to "
			       "%d printable bytes", PSP_KEY_MAX);
	return 0;
}

int psp_checkout(struct psp *p, const struct psp_checkout_req *req,
		 instant_t now, struct psp_checkout *ret, struct err *e)
{
	struct psp_checkout out;
	int rc = psp_check_req(req, e);

	if (rc < 0) {
		err_prefix(e, "%s checkout: ", p->be->scheme);
		return rc;
	}
	memset(&out, 0, sizeof(out));
	rc = p->be->checkout(p->h, req, now, &out, e);
	if (rc < 0)
		return rc;
	*ret = out;
	return 0;
}

int psp_webhook(struct psp *p, const struct psp_webhook_req *in,
		instant_t now, struct psp_event *ret, struct err *e)
{
	struct psp_event ev;
	int rc;

	if (in->body_len > PSP_WEBHOOK_BODY_MAX)
		return err_set(e, ERR_TOOBIG, "%s webhook: body longer than "
			       "%d bytes", p->be->scheme, PSP_WEBHOOK_BODY_MAX);
	if (!in->body && in->body_len)
		return err_set(e, ERR_INVALID, "%s webhook: no body",
			       p->be->scheme);
	memset(&ev, 0, sizeof(ev));
	rc = p->be->webhook(p->h, in, now, &ev, e);
	if (rc < 0)
		return rc;
	if (rc == PSP_IGNORED) {
		struct psp_event ign;
		memset(&ign, 0, sizeof(ign));
		memcpy(ign.event_id, ev.event_id, sizeof(ign.event_id));
		memcpy(ign.payment_id, ev.payment_id, sizeof(ign.payment_id));
		*ret = ign;
		return PSP_IGNORED;
	}
	*ret = ev;
	return 0;
}

/* ---- automatic charges (issue #7) ------------------------------------------ */

/* An optional provider id: NULL, "", or letters, digits and '_' only (it
 * goes into a URL path or a form). */
static int psp_ref_ok(const char *s)
{
	size_t n;

	if (!s || !*s)
		return 1;
	n = strlen(s);
	return n < PSP_ID_MAX &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789_") == n;
}

/* What every recharge and setup relies on. */
static int psp_check_common(const char *tenant, const char *currency,
			    const char *key, struct err *e)
{
	char q[ERR_QUOTE_BUF];

	if (!tenant || !*tenant || strlen(tenant) >= PSP_TENANT_MAX ||
	    strspn(tenant, "abcdefghijklmnopqrstuvwxyz0123456789-_") !=
		    strlen(tenant))
		return err_set(e, ERR_INVALID, "tenant: expected a slug of "
			       "1 to %d letters, digits, '-' or '_'",
			       PSP_TENANT_MAX - 1);
	if (currency && !currency_find(currency))
		return err_set(e, ERR_INVALID, "currency: %s is not an ISO "
			       "4217 code", err_quote(currency, q));
	if (!key || !*key || strlen(key) > PSP_KEY_MAX || !psp_printable(key))
		return err_set(e, ERR_INVALID, "idempotency_key: expected 1 to "
			       "%d printable bytes", PSP_KEY_MAX);
	return 0;
}

int psp_charge_event(struct psp *p, const struct psp_webhook_req *in,
		     instant_t now, struct psp_charge_event *ret,
		     struct err *e)
{
	struct psp_charge_event ev;
	int rc;

	if (!p->be->charge_event)
		return PSP_IGNORED;
	if (in->body_len > PSP_WEBHOOK_BODY_MAX)
		return err_set(e, ERR_TOOBIG, "%s webhook: body longer than "
			       "%d bytes", p->be->scheme, PSP_WEBHOOK_BODY_MAX);
	if (!in->body && in->body_len)
		return err_set(e, ERR_INVALID, "%s webhook: no body",
			       p->be->scheme);
	memset(&ev, 0, sizeof(ev));
	rc = p->be->charge_event(p->h, in, now, &ev, e);
	if (rc == 0)
		*ret = ev;
	return rc;
}

int psp_recharge(struct psp *p, const struct psp_recharge_req *req,
		 instant_t now, struct psp_recharge *ret, struct err *e)
{
	struct psp_recharge out;
	int rc;

	if (!p->be->recharge)
		return err_set(e, ERR_NOTFOUND, "%s: retrying a charge is not "
			       "supported", p->be->scheme);
	rc = psp_check_common(req->tenant, req->currency,
			      req->idempotency_key, e);
	if (rc == 0 && req->charge_id <= 0)
		rc = err_set(e, ERR_RANGE, "charge_id: expected a positive "
			     "number");
	if (rc == 0 && req->case_id < 0)
		rc = err_set(e, ERR_RANGE, "case_id: negative");
	if (rc == 0 && (!psp_ref_ok(req->payment_id) ||
			!psp_ref_ok(req->customer_ref) ||
			!psp_ref_ok(req->mandate_ref)))
		rc = err_set(e, ERR_INVALID, "payment_id, customer_ref, "
			     "mandate_ref: expected provider ids (letters, "
			     "digits, '_')");
	if (rc == 0 && req->description &&
	    (!*req->description || strlen(req->description) > PSP_DESC_MAX ||
	     !psp_printable(req->description)))
		rc = err_set(e, ERR_INVALID, "description: expected 1 to %d "
			     "bytes without control characters", PSP_DESC_MAX);
	if (rc == 0 && req->webhook_url)
		rc = http_client_check_url(req->webhook_url, "webhook_url", e);
	if (rc < 0) {
		err_prefix(e, "%s recharge: ", p->be->scheme);
		return rc;
	}
	memset(&out, 0, sizeof(out));
	rc = p->be->recharge(p->h, req, now, &out, e);
	if (rc == 0)
		*ret = out;
	return rc;
}

int psp_setup(struct psp *p, const struct psp_setup_req *req, instant_t now,
	      struct psp_checkout *ret, struct err *e)
{
	struct psp_checkout out;
	int rc;

	if (!p->be->setup)
		return err_set(e, ERR_NOTFOUND, "%s: updating a payment method "
			       "is not supported", p->be->scheme);
	rc = psp_check_common(req->tenant, req->currency,
			      req->idempotency_key, e);
	if (rc == 0 && req->case_id <= 0)
		rc = err_set(e, ERR_RANGE, "case_id: expected a positive "
			     "number");
	if (rc == 0 && (!req->currency || !req->customer_ref ||
			!*req->customer_ref || !psp_ref_ok(req->customer_ref)))
		rc = err_set(e, ERR_INVALID, "customer_ref, currency: "
			     "required (the provider's customer id)");
	if (rc == 0 && (!req->description || !*req->description ||
			strlen(req->description) > PSP_DESC_MAX ||
			!psp_printable(req->description)))
		rc = err_set(e, ERR_INVALID, "description: expected 1 to %d "
			     "bytes without control characters", PSP_DESC_MAX);
	if (rc == 0 && !req->redirect_url)
		rc = err_set(e, ERR_INVALID, "redirect_url: missing");
	if (rc == 0)
		rc = http_client_check_url(req->redirect_url, "redirect_url",
					   e);
	if (rc == 0 && req->cancel_url)
		rc = http_client_check_url(req->cancel_url, "cancel_url", e);
	if (rc == 0 && req->webhook_url)
		rc = http_client_check_url(req->webhook_url, "webhook_url", e);
	if (rc < 0) {
		err_prefix(e, "%s setup: ", p->be->scheme);
		return rc;
	}
	memset(&out, 0, sizeof(out));
	rc = p->be->setup(p->h, req, now, &out, e);
	if (rc == 0)
		*ret = out;
	return rc;
}

/* ---- helpers ------------------------------------------------------------- */

const char *psp_header_get(const struct psp_webhook_req *in, const char *name)
{
	for (size_t i = 0; i < in->n_headers; i++)
		if (in->headers[i].name &&
		    strcasecmp(in->headers[i].name, name) == 0)
			return in->headers[i].value;
	return NULL;
}

int psp_copy(char *dst, size_t cap, const char *s, const char *what,
	     struct err *e)
{
	size_t n = strlen(s);

	if (n >= cap)
		return err_set(e, ERR_TOOBIG, "%s: longer than %zu bytes", what,
			       cap ? cap - 1 : 0);
	memcpy(dst, s, n + 1);
	return 0;
}

int psp_id_shape(const char *s, const char *prefix, size_t max_tail)
{
	size_t p = strlen(prefix), n;

	if (!s || strncmp(s, prefix, p) != 0)
		return 0;
	n = strspn(s + p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789_");
	return n > 0 && n <= max_tail && s[p + n] == '\0';
}

int psp_parse_case_id(const char *s, const char *what, int64_t *ret,
		      struct err *e)
{
	char q[ERR_QUOTE_BUF];
	long long v;
	char *end;

	if (!s || s[0] < '1' || s[0] > '9' ||
	    strspn(s, "0123456789") != strlen(s))
		return err_set(e, ERR_INVALID, "%s: expected a case id "
			       "(digits), got %s", what,
			       err_quote(s ? s : "(none)", q));
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end)
		return err_set(e, ERR_RANGE, "%s: case id %s out of range",
			       what, err_quote(s, q));
	*ret = (int64_t)v;
	return 0;
}

int psp_locale_split(const char *locale, char ret_lang[3],
		     char ret_region[3], struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *l = locale;
	size_t n = strlen(l);
	int ok;

	ok = (n == 2 || (n == 5 && (l[2] == '-' || l[2] == '_'))) &&
	     l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z';
	if (ok && n == 5)
		ok = l[3] >= 'A' && l[3] <= 'Z' && l[4] >= 'A' && l[4] <= 'Z';
	if (!ok)
		return err_set(e, ERR_INVALID, "locale: expected \"nl\" or "
			       "\"nl-NL\", got %s", err_quote(l, q));
	ret_lang[0] = l[0];
	ret_lang[1] = l[1];
	ret_lang[2] = '\0';
	ret_region[0] = n == 5 ? l[3] : '\0';
	ret_region[1] = n == 5 ? l[4] : '\0';
	ret_region[2] = '\0';
	return 0;
}

int psp_header_line(char line[HTTP_CLIENT_LINE_MAX], const char *name,
		    const char *value, const char *what, struct err *e)
{
	size_t nl = strlen(name), vl = strlen(value);

	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(e, ERR_INVALID, "%s: a control "
				       "character cannot go in a header",
				       what);
	if (nl + 2 + vl >= HTTP_CLIENT_LINE_MAX)
		return err_set(e, ERR_INVALID, "%s: longer than a header line "
			       "allows (%d bytes)", what,
			       HTTP_CLIENT_LINE_MAX - 1);
	memcpy(line, name, nl);
	memcpy(line + nl, ": ", 2);
	memcpy(line + nl + 2, value, vl + 1);
	return 0;
}

void psp_http_resp_free(struct psp_http_resp *r)
{
	if (!r)
		return;
	buf_free(&r->body);
}

void psp_http_post(struct http_client *c, const struct http_client_req *req,
		   instant_t now, struct psp_http_resp *ret)
{
	struct http_client_resp resp;
	struct err e = { "" };

	memset(ret, 0, sizeof(*ret));
	if (http_client_post_many(c, req, 1, now, &resp, &e) < 0 &&
	    resp.status == 0 && !resp.error[0])
		http_client_text(resp.error, sizeof(resp.error), "%s", e.msg);
	ret->status = resp.status;
	ret->body = resp.body; /* hands the buffer over */
	ret->truncated = resp.truncated;
	memcpy(ret->error, resp.error, sizeof(ret->error));
}

/* Keep what fits of a GET's body; the transfer goes on past the bound. */
static size_t psp_http_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct psp_http_resp *r = ud;
	size_t n = size * nmemb, room = r->body.max - r->body.len;
	size_t take = n < room ? n : room;

	if (take && buf_append(&r->body, p, take) < 0)
		take = 0;
	if (take < n)
		r->truncated = 1;
	return n;
}

void psp_http_get(const char *url, int timeout_s,
		  const char *const headers[HTTP_CLIENT_HEADERS_MAX],
		  struct psp_http_resp *ret)
{
	struct curl_slist *h = NULL, *t;
	CURL *easy;
	CURLcode rc;

	memset(ret, 0, sizeof(*ret));
	buf_init(&ret->body, HTTP_CLIENT_BODY_MAX);
	/* http_client_new has run curl_global_init for the adapter's handle
	 * before any GET (every adapter opens one). */
	easy = curl_easy_init();
	if (!easy) {
		http_client_text(ret->error, sizeof(ret->error),
				 "curl could not start a transfer");
		return;
	}
	h = curl_slist_append(h, "Accept: application/json");
	for (int i = 0; h && i < HTTP_CLIENT_HEADERS_MAX; i++) {
		if (!headers[i])
			continue;
		t = curl_slist_append(h, headers[i]);
		if (!t) {
			curl_slist_free_all(h);
			h = NULL;
		} else {
			h = t;
		}
	}
	if (!h) {
		curl_easy_cleanup(easy);
		http_client_text(ret->error, sizeof(ret->error),
				 "out of memory for request headers");
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, psp_http_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, ret);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long)timeout_s);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, (long)timeout_s);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "dunwell");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	rc = curl_easy_perform(easy);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &ret->status);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		http_client_text(ret->error, sizeof(ret->error),
				 "no answer: timed out after %d s", timeout_s);
	} else {
		http_client_text(ret->error, sizeof(ret->error),
				 "no answer: %s", curl_easy_strerror(rc));
	}
	curl_easy_cleanup(easy);
	curl_slist_free_all(h);
}

/* ---- JSON fields --------------------------------------------------------- */

static const char *psp_json_type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "a whole number";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "true or false";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

int psp_json_field(json_t *o, const char *ctx, const char *key,
		   json_type type, int optional, json_t **ret, struct err *e)
{
	const char *dot = ctx && *ctx ? "." : "";
	json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
	int match;

	if (!ctx)
		ctx = "";
	if (!v || json_is_null(v)) {
		if (optional) {
			*ret = NULL;
			return 0;
		}
		return err_set(e, ERR_INVALID, "%s%s%s: missing", ctx, dot,
			       key);
	}
	match = type == JSON_TRUE || type == JSON_FALSE ? json_is_boolean(v)
							: json_typeof(v) == type;
	if (!match)
		return err_set(e, ERR_INVALID, "%s%s%s: expected %s", ctx, dot,
			       key, psp_json_type_name(type));
	*ret = v;
	return 0;
}

int psp_json_str(json_t *o, const char *ctx, const char *key, int optional,
		 const char **ret, struct err *e)
{
	json_t *v;
	int rc = psp_json_field(o, ctx, key, JSON_STRING, optional, &v, e);

	if (rc < 0)
		return rc;
	*ret = v ? json_string_value(v) : NULL;
	return 0;
}
