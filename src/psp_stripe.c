/*
 * psp_stripe: Stripe Checkout Sessions and Stripe's signed webhooks (see
 * psp_stripe.h for the setting, the request and the event mapping).
 *
 * Stripe's answers are JSON: the Checkout Session on success, an error
 * object otherwise ({"error": {"type": "invalid_request_error", "code":
 * "parameter_missing", "message": "...", "param": "..."}}). A webhook is
 * believed only after its signature matches and its timestamp is recent;
 * everything else in it is then checked as strictly as any input.
 */
#include "psp_stripe.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "money.h"
#include "token.h"

#define STRIPE_BASE "https://api.stripe.com"
#define STRIPE_KEYS "key, webhook_secret, tolerance, version, timeout"
#define STRIPE_TOLERANCE_S 300 /* Stripe's libraries' default */
#define STRIPE_ID_TAIL 200     /* characters after cs_/evt_ we accept */
#define STRIPE_SIGS_MAX 8      /* v1 values read from one header */

struct stripe {
	struct http_client *http; /* connections, kept between calls */
	char *url;                /* {base}/v1/checkout/sessions */
	char *base;               /* {base}, for the charge calls */
	int timeout;              /* seconds per request (GETs) */
	char *key;                /* the API key (Bearer) */
	char *secret;             /* the webhook signing secret, whsec_... */
	char *version;            /* Stripe-Version, or NULL */
	int live;                 /* 1 for a live key, 0 for a test key */
	int tolerance;            /* seconds a signature may be off */
};

static void stripe_close(void *h)
{
	struct stripe *s = h;

	if (!s)
		return;
	http_client_free(s->http);
	if (s->key)
		explicit_bzero(s->key, strlen(s->key));
	if (s->secret)
		explicit_bzero(s->secret, strlen(s->secret));
	free(s->key);
	free(s->secret);
	free(s->url);
	free(s->base);
	free(s->version);
	free(s);
}

/* sk_/rk_ then test_/live_ then letters and digits. */
static int stripe_key_shape(const char *k, int *ret_live)
{
	const char *tail;
	size_t n;

	if (strncmp(k, "sk_", 3) != 0 && strncmp(k, "rk_", 3) != 0)
		return 0;
	if (strncmp(k + 3, "test_", 5) == 0)
		*ret_live = 0;
	else if (strncmp(k + 3, "live_", 5) == 0)
		*ret_live = 1;
	else
		return 0;
	tail = k + 8;
	n = strspn(tail, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789");
	return n >= 8 && tail[n] == '\0';
}

static int stripe_open(const char *config, void **ret_handle, struct err *e)
{
	struct http_client_config c;
	struct stripe *s = NULL;
	const char *base, *key, *secret, *version;
	struct buf url;
	size_t blen;
	int rc, live = 0, timeout, tolerance;

	rc = http_client_config_parse(config, "stripe", &c, e);
	if (rc < 0)
		return rc;
	key = http_client_config_get(&c, "key");
	secret = http_client_config_get(&c, "webhook_secret");
	version = http_client_config_get(&c, "version");
	rc = http_client_config_base(&c, "stripe", STRIPE_BASE, &base, &blen,
				     e);
	if (rc < 0)
		goto out;
	if (!key || !*key) {
		rc = err_set(e, ERR_INVALID, "stripe: key= missing (the secret "
			     "key, sk_test_... or sk_live_...)");
		goto out;
	}
	if (!stripe_key_shape(key, &live)) {
		rc = err_set(e, ERR_INVALID, "stripe: key=: expected a secret "
			     "or restricted key (sk_ or rk_, then test_ or "
			     "live_, then letters and digits)");
		goto out;
	}
	if (!secret || !*secret) {
		rc = err_set(e, ERR_INVALID, "stripe: webhook_secret= missing "
			     "(the endpoint's signing secret, whsec_...)");
		goto out;
	}
	if (strncmp(secret, "whsec_", 6) != 0 || strlen(secret) < 16 ||
	    strspn(secret + 6, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqr"
			       "stuvwxyz0123456789") != strlen(secret) - 6) {
		rc = err_set(e, ERR_INVALID, "stripe: webhook_secret=: "
			     "expected whsec_ and at least 10 letters or "
			     "digits");
		goto out;
	}
	if (version && (strlen(version) < 10 || strlen(version) > 40 ||
			strspn(version, "0123456789-.abcdefghijklmnopqrstuvw"
					"xyz") != strlen(version))) {
		rc = err_set(e, ERR_INVALID, "stripe: version=: expected an "
			     "API version such as 2024-06-20");
		goto out;
	}
	rc = http_client_config_int(&c, "stripe", "tolerance", 1, 3600,
				    STRIPE_TOLERANCE_S, &tolerance, e);
	if (rc == 0)
		rc = http_client_config_int(&c, "stripe", "timeout", 1, 120,
					    PSP_TIMEOUT_S, &timeout, e);
	if (rc == 0)
		rc = http_client_config_unused(&c, "stripe", STRIPE_KEYS, e);
	if (rc < 0)
		goto out;
	s = xcalloc(1, sizeof(*s));
	buf_init(&url, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_append(&url, base, blen);
	buf_puts(&url, "/v1/checkout/sessions");
	s->url = buf_detach(&url);
	s->base = xstrndup(base, blen);
	s->timeout = timeout;
	s->key = xstrdup(key);
	s->secret = xstrdup(secret);
	s->version = version ? xstrdup(version) : NULL;
	s->live = live;
	s->tolerance = tolerance;
	s->http = http_client_new(timeout, HTTP_CLIENT_CONNS);
	*ret_handle = s;
out:
	http_client_config_free(&c);
	return rc;
}

/* Stripe's locale for a customer's, or NULL to let Stripe choose. */
static const char *stripe_locale(const char *locale, char out[3])
{
	static const char *const langs[] = {
		"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr",
		"hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt",
		"nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "th",
		"tr", "vi", "zh",
	};
	static const char *const regional[] = { "en-GB", "fr-CA", "pt-BR" };
	char lang[3], region[3];

	if (!locale || !*locale ||
	    psp_locale_split(locale, lang, region, NULL) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof(regional) / sizeof(regional[0]); i++)
		if (!strncmp(regional[i], lang, 2) &&
		    !strcmp(regional[i] + 3, region))
			return regional[i];
	for (size_t i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (!strcmp(langs[i], lang)) {
			memcpy(out, lang, 3);
			return out;
		}
	return NULL;
}

/* Stripe's payment method type for ours (psp.c checked it is known). */
static const char *stripe_method(const char *m)
{
	return strcmp(m, "przelewy24") == 0 ? "p24" : m;
}

/* Turn an answer that is not a success into an error. */
static int stripe_fail(const struct psp_http_resp *r, struct err *e)
{
	json_t *j = NULL, *err;
	const char *type, *code, *param, *msg;
	char tq[ERR_QUOTE_BUF], cq[ERR_QUOTE_BUF], pq[ERR_QUOTE_BUF], mq[200];
	int rc;

	if (r->status == 0)
		return err_set(e, ERR_IO, "stripe checkout: %s", r->error);
	if (r->body.len)
		j = json_loadb(r->body.data, r->body.len, 0, NULL);
	err = json_object_get(j, "error");
	type = json_string_value(json_object_get(err, "type"));
	code = json_string_value(json_object_get(err, "code"));
	param = json_string_value(json_object_get(err, "param"));
	msg = json_string_value(json_object_get(err, "message"));
	http_client_text(mq, sizeof(mq), "%s",
			 msg ? msg : j ? "" : "(not JSON)");
	rc = r->status == 429 || r->status == 409 || r->status >= 500
		     ? ERR_IO
		     : ERR_INVALID;
	err_set(e, rc, "stripe checkout: HTTP %ld%s%s%s%s: %s%s%s%s%s",
		r->status, type ? " " : "", type ? err_quote(type, tq) : "",
		code ? "/" : "", code ? err_quote(code, cq) : "", mq,
		param ? " (param " : "", param ? err_quote(param, pq) : "",
		param ? ")" : "",
		r->status == 401 || r->status == 403 ? " (check key=)"
		: r->status >= 300 && r->status < 400
			? " (a redirect: check the base URL)"
			: "");
	json_decref(j);
	return -rc;
}

/* The form body of a checkout; -ERR_TOOBIG past the bound. */
static int stripe_body(const struct psp_checkout_req *r,
		       const struct currency *cur, struct buf *b)
{
	char lower[4], amount[24], case_id[24], lang[3];
	const char *locale = stripe_locale(r->locale, lang);
	int rc = 0;

	for (int i = 0; i < 4; i++)
		lower[i] = (char)(cur->code[i] >= 'A' && cur->code[i] <= 'Z'
					  ? cur->code[i] - 'A' + 'a'
					  : cur->code[i]);
	snprintf(amount, sizeof(amount), "%lld", (long long)r->amount);
	snprintf(case_id, sizeof(case_id), "%lld", (long long)r->case_id);
#define ADD(k, v)                                              \
	do {                                                   \
		if (rc == 0)                                   \
			rc = http_client_form_add(b, (k), (v)); \
	} while (0)
	ADD("mode", "payment");
	ADD("line_items[0][price_data][currency]", lower);
	ADD("line_items[0][price_data][unit_amount]", amount);
	ADD("line_items[0][price_data][product_data][name]", r->description);
	ADD("line_items[0][quantity]", "1");
	ADD("success_url", r->redirect_url);
	ADD("cancel_url", r->cancel_url ? r->cancel_url : r->redirect_url);
	ADD("client_reference_id", case_id);
	ADD("metadata[tenant]", r->tenant);
	ADD("metadata[case_id]", case_id);
	if (r->reference && *r->reference)
		ADD("metadata[reference]", r->reference);
	if (r->method && *r->method)
		ADD("payment_method_types[0]", stripe_method(r->method));
	if (locale)
		ADD("locale", locale);
#undef ADD
	return rc;
}

/* A lower-case ISO 4217 code as Stripe writes it, into ret (upper). */
static int stripe_currency(const char *s, const char *what, char ret[4],
			   struct err *e)
{
	char q[ERR_QUOTE_BUF], up[4];

	if (strlen(s) != 3 || strspn(s, "abcdefghijklmnopqrstuvwxyz") != 3)
		return err_set(e, ERR_INVALID, "%s: %s: expected a lower-case "
			       "ISO 4217 code", what, err_quote(s, q));
	for (int i = 0; i < 3; i++)
		up[i] = (char)(s[i] - 'a' + 'A');
	up[3] = '\0';
	if (!currency_find(up))
		return err_set(e, ERR_INVALID, "%s: %s is not an ISO 4217 code",
			       what, err_quote(s, q));
	memcpy(ret, up, 4);
	return 0;
}

/* A non-negative whole amount of minor units at ctx.key. */
static int stripe_amount(json_t *o, const char *ctx, const char *key,
			 int64_t *ret, struct err *e)
{
	json_t *v;
	int rc = psp_json_field(o, ctx, key, JSON_INTEGER, 0, &v, e);

	if (rc < 0)
		return rc;
	if (json_integer_value(v) < 0)
		return err_set(e, ERR_RANGE, "%s.%s: %lld is negative", ctx, key,
			       (long long)json_integer_value(v));
	*ret = (int64_t)json_integer_value(v);
	return 0;
}

static int stripe_checkout(void *h, const struct psp_checkout_req *req,
			   instant_t now, struct psp_checkout *ret,
			   struct err *e)
{
	struct stripe *s = h;
	const struct currency *cur = currency_find(req->currency);
	char auth[HTTP_CLIENT_LINE_MAX], idem[HTTP_CLIENT_LINE_MAX];
	char ver[HTTP_CLIENT_LINE_MAX], v[HTTP_CLIENT_LINE_MAX], got_cur[4];
	struct http_client_req hr;
	struct psp_http_resp resp;
	struct buf body;
	const char *id, *url, *c;
	json_t *j = NULL;
	int64_t total;
	int rc;

	memset(&resp, 0, sizeof(resp));
	buf_init(&body, PSP_REQ_BODY_MAX);
	auth[0] = '\0';
	if (cur->exponent == 3 && req->amount % 10 != 0) {
		rc = err_set(e, ERR_INVALID, "stripe checkout: amount: Stripe "
			     "takes %s amounts in multiples of 10 minor units",
			     cur->code);
		goto out;
	}
	if (strlen(s->key) + 8 >= sizeof(v)) {
		rc = err_set(e, ERR_INVALID, "stripe: key= too long");
		goto out;
	}
	memcpy(v, "Bearer ", 7);
	memcpy(v + 7, s->key, strlen(s->key) + 1);
	rc = psp_header_line(auth, "Authorization", v, "stripe: key=", e);
	explicit_bzero(v, sizeof(v));
	if (rc == 0)
		rc = psp_header_line(idem, "Idempotency-Key",
				     req->idempotency_key,
				     "stripe checkout: idempotency_key", e);
	if (rc == 0 && s->version)
		rc = psp_header_line(ver, "Stripe-Version", s->version,
				     "stripe: version=", e);
	if (rc < 0)
		goto out;
	if (stripe_body(req, cur, &body) < 0) {
		rc = err_set(e, ERR_TOOBIG, "stripe checkout: the request is "
			     "longer than %d bytes", PSP_REQ_BODY_MAX);
		goto out;
	}
	memset(&hr, 0, sizeof(hr));
	hr.url = s->url;
	hr.content_type = "application/x-www-form-urlencoded";
	hr.body = buf_cstr(&body);
	hr.body_len = body.len;
	hr.headers[0] = auth;
	hr.headers[1] = idem;
	hr.headers[2] = s->version ? ver : NULL;
	psp_http_post(s->http, &hr, now, &resp);
	if (resp.status != 200) {
		rc = stripe_fail(&resp, e);
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "stripe checkout: HTTP 200: the "
			     "answer is not a JSON object");
		goto out;
	}
	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0 ||
	    (rc = psp_json_str(j, "", "url", 0, &url, e)) < 0 ||
	    (rc = stripe_amount(j, "session", "amount_total", &total, e)) < 0 ||
	    (rc = psp_json_str(j, "", "currency", 0, &c, e)) < 0 ||
	    (rc = stripe_currency(c, "currency", got_cur, e)) < 0)
		goto out_prefix;
	if (!psp_id_shape(id, "cs_", STRIPE_ID_TAIL)) {
		rc = err_set(e, ERR_INVALID, "id: not a Checkout Session id "
			     "(cs_...)");
		goto out_prefix;
	}
	if ((rc = http_client_check_url(url, "url", e)) < 0)
		goto out_prefix;
	if (total != req->amount || strcmp(got_cur, cur->code) != 0) {
		rc = err_set(e, ERR_INVALID, "amount_total: Stripe created a "
			     "session of another amount or currency than "
			     "asked");
		goto out_prefix;
	}
	if ((rc = psp_copy(ret->id, sizeof(ret->id), id, "id", e)) < 0 ||
	    (rc = psp_copy(ret->url, sizeof(ret->url), url, "url", e)) < 0)
		goto out_prefix;
	goto out;
out_prefix:
	err_prefix(e, "stripe checkout: answer: ");
out:
	explicit_bzero(auth, sizeof(auth));
	if (body.data)
		explicit_bzero(body.data, body.len);
	buf_free(&body);
	json_decref(j);
	psp_http_resp_free(&resp);
	return rc;
}

/* ---- webhooks ------------------------------------------------------------ */

/* Check the Stripe-Signature header against the body. */
static int stripe_verify(const struct stripe *s, const char *header,
			 const char *body, size_t len, instant_t now,
			 struct err *e)
{
	const char *sigs[STRIPE_SIGS_MAX];
	size_t lens[STRIPE_SIGS_MAX], nsig = 0;
	const char *p = header;
	long long t = -1;
	char want[65], ts[24];
	struct buf msg;
	int ok = 0, rc;

	while (*p) {
		size_t n = strcspn(p, ","), klen = strcspn(p, "=,");
		const char *v = p + klen + 1;
		size_t vlen = klen < n ? n - klen - 1 : 0;
		if (klen >= n) {
			/* no '=' in this item */
			return err_set(e, ERR_INVALID, "stripe webhook: "
				       "Stripe-Signature: an item without "
				       "'='");
		}
		if (klen == 1 && p[0] == 't') {
			if (t >= 0 || vlen == 0 || vlen > 12 ||
			    strspn(v, "0123456789") < vlen)
				return err_set(e, ERR_INVALID, "stripe "
					       "webhook: Stripe-Signature: t: "
					       "expected one Unix time");
			t = 0;
			for (size_t i = 0; i < vlen; i++)
				t = t * 10 + (v[i] - '0');
		} else if (klen == 2 && p[0] == 'v' && p[1] == '1') {
			if (nsig == STRIPE_SIGS_MAX)
				return err_set(e, ERR_INVALID, "stripe "
					       "webhook: Stripe-Signature: "
					       "more than %d v1 values",
					       STRIPE_SIGS_MAX);
			sigs[nsig] = v;
			lens[nsig++] = vlen;
		}
		/* v0 (a test scheme) and unknown schemes: ignored */
		p += n;
		if (*p == ',')
			p++;
	}
	if (t < 0)
		return err_set(e, ERR_INVALID, "stripe webhook: "
			       "Stripe-Signature: no timestamp t=");
	if (nsig == 0)
		return err_set(e, ERR_INVALID, "stripe webhook: "
			       "Stripe-Signature: no v1 signature");
	if (t < now - s->tolerance || t > now + s->tolerance)
		return err_set(e, ERR_INVALID, "stripe webhook: "
			       "Stripe-Signature: timestamp %lld is %lld s "
			       "from now (tolerance %d s): stale or replayed",
			       t, (long long)(t > now ? t - now : now - t),
			       s->tolerance);
	snprintf(ts, sizeof(ts), "%lld.", t);
	buf_init(&msg, PSP_WEBHOOK_BODY_MAX + sizeof(ts));
	rc = buf_puts(&msg, ts);
	if (rc == 0 && len)
		rc = buf_append(&msg, body, len);
	if (rc == 0)
		rc = hmac_sha256_hex(s->secret, strlen(s->secret),
				     buf_cstr(&msg), msg.len, want);
	buf_free(&msg);
	if (rc < 0)
		return err_set(e, ERR_INVALID, "stripe webhook: the body is "
			       "too long to verify");
	for (size_t i = 0; i < nsig; i++)
		if (lens[i] == 64 && sodium_memcmp(sigs[i], want, 64) == 0)
			ok = 1;
	sodium_memzero(want, sizeof(want));
	if (!ok)
		return err_set(e, ERR_INVALID, "stripe webhook: "
			       "Stripe-Signature: no v1 signature matches "
			       "(wrong webhook_secret, or the body was "
			       "changed)");
	return 0;
}

/* Read the Checkout Session of an event into ev; PSP_IGNORED when it is
 * not one of dunwell's. */
static int stripe_session(json_t *o, struct psp_event *ev, struct err *e)
{
	const char *object, *id, *tenant, *case_id, *ref, *c, *crid;
	json_t *meta, *types;
	int rc;

	if ((rc = psp_json_str(o, "data.object", "object", 0, &object, e)) < 0)
		return rc;
	if (strcmp(object, "checkout.session") != 0)
		return err_set(e, ERR_INVALID, "data.object.object: expected "
			       "checkout.session");
	if ((rc = psp_json_str(o, "data.object", "id", 0, &id, e)) < 0)
		return rc;
	if (!psp_id_shape(id, "cs_", STRIPE_ID_TAIL))
		return err_set(e, ERR_INVALID, "data.object.id: not a Checkout "
			       "Session id (cs_...)");
	memcpy(ev->payment_id, id, strlen(id) + 1);
	if ((rc = psp_json_field(o, "data.object", "metadata", JSON_OBJECT, 1,
				 &meta, e)) < 0)
		return rc;
	if (!meta || (!json_object_get(meta, "tenant") &&
		      !json_object_get(meta, "case_id"))) {
		err_set(e, 0, "stripe webhook: session %s has no dunwell "
			"metadata (tenant, case_id): not ours", id);
		return PSP_IGNORED;
	}
	if ((rc = psp_json_str(meta, "data.object.metadata", "tenant", 0,
			       &tenant, e)) < 0 ||
	    (rc = psp_json_str(meta, "data.object.metadata", "case_id", 0,
			       &case_id, e)) < 0 ||
	    (rc = psp_json_str(meta, "data.object.metadata", "reference", 1,
			       &ref, e)) < 0 ||
	    (rc = psp_copy(ev->tenant, sizeof(ev->tenant), tenant,
			   "data.object.metadata.tenant", e)) < 0 ||
	    (rc = psp_parse_case_id(case_id, "data.object.metadata.case_id",
				    &ev->case_id, e)) < 0 ||
	    (ref && (rc = psp_copy(ev->reference, sizeof(ev->reference), ref,
				   "data.object.metadata.reference", e)) < 0))
		return rc;
	if ((rc = psp_json_str(o, "data.object", "client_reference_id", 1,
			       &crid, e)) < 0)
		return rc;
	if (crid && strcmp(crid, case_id) != 0)
		return err_set(e, ERR_INVALID, "data.object.client_reference_"
			       "id: not the case id of metadata.case_id");
	if ((rc = stripe_amount(o, "data.object", "amount_total", &ev->amount,
				e)) < 0 ||
	    (rc = psp_json_str(o, "data.object", "currency", 0, &c, e)) < 0 ||
	    (rc = stripe_currency(c, "data.object.currency", ev->currency,
				  e)) < 0)
		return rc;
	if ((rc = psp_json_field(o, "data.object", "payment_method_types",
				 JSON_ARRAY, 1, &types, e)) < 0)
		return rc;
	if (types && json_array_size(types) == 1 &&
	    json_is_string(json_array_get(types, 0)) &&
	    (rc = psp_copy(ev->method, sizeof(ev->method),
			   json_string_value(json_array_get(types, 0)),
			   "data.object.payment_method_types[0]", e)) < 0)
		return rc;
	return 0;
}

static int stripe_webhook(void *h, const struct psp_webhook_req *in,
			  instant_t now, struct psp_event *ret, struct err *e)
{
	struct stripe *s = h;
	const char *sig = psp_header_get(in, "Stripe-Signature");
	const char *id, *type, *pstatus;
	char q[ERR_QUOTE_BUF];
	json_t *j = NULL, *jv, *data, *obj;
	json_error_t je;
	int rc;

	if (!sig)
		return err_set(e, ERR_INVALID, "stripe webhook: no "
			       "Stripe-Signature header");
	rc = stripe_verify(s, sig, in->body, in->body_len, now, e);
	if (rc < 0)
		return rc;
	j = json_loadb(in->body ? in->body : "", in->body_len, 0, &je);
	if (!j) {
		rc = err_set(e, ERR_INVALID, "stripe webhook: bad JSON at "
			     "line %d column %d: %s", je.line, je.column,
			     je.text);
		goto out;
	}
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "stripe webhook: the event is "
			     "not a JSON object");
		goto out;
	}
	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0)
		goto out_prefix;
	if (!psp_id_shape(id, "evt_", STRIPE_ID_TAIL)) {
		rc = err_set(e, ERR_INVALID, "id: not an event id (evt_...)");
		goto out_prefix;
	}
	memcpy(ret->event_id, id, strlen(id) + 1);
	if ((rc = psp_json_str(j, "", "type", 0, &type, e)) < 0 ||
	    (rc = psp_json_field(j, "", "livemode", JSON_TRUE, 0, &jv, e)) < 0)
		goto out_prefix;
	if (json_is_true(jv) != s->live) {
		rc = err_set(e, ERR_INVALID, "livemode: a %s event, but the "
			     "key is a %s key", json_is_true(jv) ? "live"
							       : "test",
			     s->live ? "live" : "test");
		goto out_prefix;
	}
	ret->livemode = s->live;
	if (strcmp(type, "checkout.session.completed") != 0 &&
	    strcmp(type, "checkout.session.async_payment_succeeded") != 0 &&
	    strcmp(type, "checkout.session.async_payment_failed") != 0 &&
	    strcmp(type, "checkout.session.expired") != 0) {
		err_set(e, 0, "stripe webhook: event %s of type %s: not one "
			"dunwell acts on", id, err_quote(type, q));
		rc = PSP_IGNORED;
		goto out;
	}
	if ((rc = psp_json_field(j, "", "created", JSON_INTEGER, 0, &jv,
				 e)) < 0 ||
	    (rc = psp_json_field(j, "", "data", JSON_OBJECT, 0, &data, e)) < 0 ||
	    (rc = psp_json_field(data, "data", "object", JSON_OBJECT, 0, &obj,
				 e)) < 0)
		goto out_prefix;
	if (json_integer_value(jv) <= 0) {
		rc = err_set(e, ERR_RANGE, "created: expected a Unix time");
		goto out_prefix;
	}
	rc = stripe_session(obj, ret, e);
	if (rc == PSP_IGNORED)
		goto out;
	if (rc < 0)
		goto out_prefix;
	if ((rc = psp_json_str(obj, "data.object", "payment_status", 0,
			       &pstatus, e)) < 0)
		goto out_prefix;
	if (strcmp(pstatus, "paid") != 0 && strcmp(pstatus, "unpaid") != 0) {
		rc = err_set(e, ERR_INVALID, "data.object.payment_status: %s: "
			     "expected paid or unpaid (dunwell never asks "
			     "for nothing)", err_quote(pstatus, q));
		goto out_prefix;
	}
	if (!strcmp(type, "checkout.session.completed")) {
		ret->status = !strcmp(pstatus, "paid") ? PSP_PAID : PSP_PENDING;
	} else if (!strcmp(type, "checkout.session.async_payment_succeeded")) {
		if (strcmp(pstatus, "paid") != 0) {
			rc = err_set(e, ERR_INVALID, "data.object.payment_"
				     "status: %s in a payment_succeeded "
				     "event", err_quote(pstatus, q));
			goto out_prefix;
		}
		ret->status = PSP_PAID;
	} else if (!strcmp(type, "checkout.session.async_payment_failed")) {
		ret->status = PSP_FAILED;
	} else {
		ret->status = PSP_EXPIRED;
	}
	if (ret->status == PSP_PAID) {
		if (ret->amount <= 0) {
			rc = err_set(e, ERR_RANGE, "data.object.amount_total: "
				     "expected more than 0 for a payment");
			goto out_prefix;
		}
		ret->paid_at = (instant_t)json_integer_value(jv);
	}
	rc = 0;
	goto out;
out_prefix:
	err_prefix(e, "stripe webhook: ");
out:
	json_decref(j);
	return rc;
}

/* ---- automatic charges (issue #7) ----------------------------------------- */

/* The Authorization, Idempotency-Key (when key) and Stripe-Version lines
 * of a request into hr's headers (lines are the caller's). */
static int stripe_headers(const struct stripe *s, const char *key,
			  char auth[HTTP_CLIENT_LINE_MAX],
			  char idem[HTTP_CLIENT_LINE_MAX],
			  char ver[HTTP_CLIENT_LINE_MAX],
			  const char *ret[HTTP_CLIENT_HEADERS_MAX],
			  struct err *e)
{
	char v[HTTP_CLIENT_LINE_MAX];
	int rc, n = 0;

	if (strlen(s->key) + 8 >= sizeof(v))
		return err_set(e, ERR_INVALID, "stripe: key= too long");
	memcpy(v, "Bearer ", 7);
	memcpy(v + 7, s->key, strlen(s->key) + 1);
	rc = psp_header_line(auth, "Authorization", v, "stripe: key=", e);
	explicit_bzero(v, sizeof(v));
	if (rc < 0)
		return rc;
	ret[n++] = auth;
	if (key) {
		if ((rc = psp_header_line(idem, "Idempotency-Key", key,
					  "stripe: idempotency_key", e)) < 0)
			return rc;
		ret[n++] = idem;
	}
	if (s->version) {
		if ((rc = psp_header_line(ver, "Stripe-Version", s->version,
					  "stripe: version=", e)) < 0)
			return rc;
		ret[n++] = ver;
	}
	for (; n < HTTP_CLIENT_HEADERS_MAX; n++)
		ret[n] = NULL;
	return 0;
}

/* POST a form to {base}{path}; the answer into resp. */
static int stripe_post_form(struct stripe *s, const char *path,
			    const struct buf *form, const char *key,
			    instant_t now, struct psp_http_resp *resp,
			    struct err *e)
{
	char auth[HTTP_CLIENT_LINE_MAX], idem[HTTP_CLIENT_LINE_MAX];
	char ver[HTTP_CLIENT_LINE_MAX], url[PSP_URL_MAX];
	struct http_client_req hr;
	int rc;

	memset(&hr, 0, sizeof(hr));
	rc = stripe_headers(s, key, auth, idem, ver, hr.headers, e);
	if (rc < 0)
		goto out;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", s->base, path) >=
	    sizeof(url)) {
		rc = err_set(e, ERR_TOOBIG, "stripe: the URL is too long");
		goto out;
	}
	hr.url = url;
	hr.content_type = "application/x-www-form-urlencoded";
	hr.body = buf_cstr(form);
	hr.body_len = form->len;
	psp_http_post(s->http, &hr, now, resp);
out:
	explicit_bzero(auth, sizeof(auth));
	return rc;
}

/* Copy an optional string member into dst ("" when absent or null). */
static int stripe_opt(json_t *o, const char *ctx, const char *key, char *dst,
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

/* A reference that may be a string id or an expanded object {"id"}. */
static int stripe_ref(json_t *o, const char *ctx, const char *key, char *dst,
		      size_t cap, struct err *e)
{
	json_t *v = json_object_get(o, key);

	if (json_is_object(v)) {
		char sub[96];
		snprintf(sub, sizeof(sub), "%s%s%s", ctx, *ctx ? "." : "",
			 key);
		return stripe_opt(v, sub, "id", dst, cap, e);
	}
	return stripe_opt(o, ctx, key, dst, cap, e);
}

/* The decline of a last_payment_error or an error object: decline_code,
 * else code. */
static int stripe_decline(json_t *err, const char *ctx, char *dst,
			  size_t cap, struct err *e)
{
	int rc;

	dst[0] = '\0';
	if (!json_is_object(err))
		return 0;
	rc = stripe_opt(err, ctx, "decline_code", dst, cap, e);
	if (rc == 0 && !*dst)
		rc = stripe_opt(err, ctx, "code", dst, cap, e);
	return rc;
}

/* Read a PaymentIntent (ctx names it in errors) into ev. */
static int stripe_intent(json_t *pi, const char *ctx,
			 struct psp_charge_event *ev, struct err *e)
{
	char q[ERR_QUOTE_BUF], sub[96];
	const char *object, *id, *c, *status;
	json_t *meta, *lpe;
	int rc;

	if ((rc = psp_json_str(pi, ctx, "object", 0, &object, e)) < 0)
		return rc;
	if (strcmp(object, "payment_intent") != 0)
		return err_set(e, ERR_INVALID, "%s.object: expected "
			       "payment_intent", ctx);
	if ((rc = psp_json_str(pi, ctx, "id", 0, &id, e)) < 0)
		return rc;
	if (!psp_id_shape(id, "pi_", STRIPE_ID_TAIL))
		return err_set(e, ERR_INVALID, "%s.id: not a PaymentIntent id "
			       "(pi_...)", ctx);
	memcpy(ev->payment_id, id, strlen(id) + 1);
	if ((rc = stripe_amount(pi, ctx, "amount", &ev->amount, e)) < 0 ||
	    (rc = psp_json_str(pi, ctx, "currency", 0, &c, e)) < 0 ||
	    (rc = stripe_currency(c, "currency", ev->currency, e)) < 0 ||
	    (rc = psp_json_str(pi, ctx, "status", 0, &status, e)) < 0 ||
	    (rc = stripe_ref(pi, ctx, "customer", ev->customer_ref,
			     sizeof(ev->customer_ref), e)) < 0 ||
	    (rc = stripe_ref(pi, ctx, "payment_method", ev->mandate_ref,
			     sizeof(ev->mandate_ref), e)) < 0 ||
	    (rc = stripe_ref(pi, ctx, "latest_charge", ev->attempt_id,
			     sizeof(ev->attempt_id), e)) < 0)
		return rc;
	if (!strcmp(status, "succeeded"))
		ev->status = PSP_PAID;
	else if (!strcmp(status, "processing") ||
		 !strcmp(status, "requires_action") ||
		 !strcmp(status, "requires_confirmation") ||
		 !strcmp(status, "requires_capture"))
		ev->status = PSP_PENDING;
	else if (!strcmp(status, "requires_payment_method") ||
		 !strcmp(status, "canceled"))
		ev->status = PSP_FAILED;
	else
		return err_set(e, ERR_INVALID, "%s.status: unknown value %s",
			       ctx, err_quote(status, q));
	lpe = json_object_get(pi, "last_payment_error");
	snprintf(sub, sizeof(sub), "%s.last_payment_error", ctx);
	if (json_is_object(lpe)) {
		if ((rc = stripe_decline(lpe, sub, ev->failure_code,
					 sizeof(ev->failure_code), e)) < 0)
			return rc;
		if (!*ev->attempt_id &&
		    (rc = stripe_opt(lpe, sub, "charge", ev->attempt_id,
				     sizeof(ev->attempt_id), e)) < 0)
			return rc;
		if (!*ev->mandate_ref &&
		    (rc = stripe_ref(lpe, sub, "payment_method",
				     ev->mandate_ref, sizeof(ev->mandate_ref),
				     e)) < 0)
			return rc;
	}
	if (!*ev->attempt_id)
		memcpy(ev->attempt_id, ev->payment_id, sizeof(ev->payment_id));
	meta = json_object_get(pi, "metadata");
	snprintf(sub, sizeof(sub), "%s.metadata", ctx);
	if (json_is_object(meta)) {
		const char *v;
		if ((rc = stripe_opt(meta, sub, "tenant", ev->tenant,
				     sizeof(ev->tenant), e)) < 0 ||
		    (rc = stripe_opt(meta, sub, "customer", ev->customer,
				     sizeof(ev->customer), e)) < 0 ||
		    (rc = stripe_opt(meta, sub, "invoice", ev->invoice,
				     sizeof(ev->invoice), e)) < 0)
			return rc;
		if ((rc = psp_json_str(meta, sub, "case_id", 1, &v, e)) < 0 ||
		    (v && (rc = psp_parse_case_id(v, "metadata.case_id",
						  &ev->case_id, e)) < 0))
			return rc;
		if ((rc = psp_json_str(meta, sub, "charge_id", 1, &v, e)) < 0 ||
		    (v && (rc = psp_parse_case_id(v, "metadata.charge_id",
						  &ev->charge_id, e)) < 0))
			return rc;
	}
	return 0;
}

/* A setup session's new payment method: GET the SetupIntent. */
static int stripe_setup_intent(struct stripe *s, const char *seti,
			       struct psp_charge_event *ev, struct err *e)
{
	char auth[HTTP_CLIENT_LINE_MAX], idem[HTTP_CLIENT_LINE_MAX];
	char ver[HTTP_CLIENT_LINE_MAX], url[PSP_URL_MAX];
	const char *headers[HTTP_CLIENT_HEADERS_MAX];
	struct psp_http_resp resp;
	json_t *j = NULL;
	int rc;

	memset(&resp, 0, sizeof(resp));
	if (!psp_id_shape(seti, "seti_", STRIPE_ID_TAIL))
		return err_set(e, ERR_INVALID, "data.object.setup_intent: not "
			       "a SetupIntent id (seti_...)");
	rc = stripe_headers(s, NULL, auth, idem, ver, headers, e);
	if (rc < 0)
		return rc;
	snprintf(url, sizeof(url), "%s/v1/setup_intents/%s", s->base, seti);
	psp_http_get(url, s->timeout, headers, &resp);
	explicit_bzero(auth, sizeof(auth));
	if (resp.status != 200) {
		rc = stripe_fail(&resp, e);
		err_prefix(e, "fetching the SetupIntent: ");
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "setup_intent: the answer is not "
			     "a JSON object");
		goto out;
	}
	if ((rc = stripe_ref(j, "setup_intent", "payment_method",
			     ev->mandate_ref, sizeof(ev->mandate_ref), e)) < 0)
		goto out;
	if (!*ev->mandate_ref)
		rc = err_set(e, ERR_INVALID, "setup_intent.payment_method: "
			     "missing");
out:
	json_decref(j);
	psp_http_resp_free(&resp);
	return rc;
}

static int stripe_charge_event(void *h, const struct psp_webhook_req *in,
			       instant_t now, struct psp_charge_event *ret,
			       struct err *e)
{
	struct stripe *s = h;
	const char *sig = psp_header_get(in, "Stripe-Signature");
	const char *id, *type, *mode;
	json_t *j = NULL, *jv, *data, *obj;
	json_error_t je;
	int rc;

	if (!sig)
		return err_set(e, ERR_INVALID, "stripe webhook: no "
			       "Stripe-Signature header");
	rc = stripe_verify(s, sig, in->body, in->body_len, now, e);
	if (rc < 0)
		return rc;
	j = json_loadb(in->body ? in->body : "", in->body_len, 0, &je);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "stripe webhook: the event is "
			     "not a JSON object");
		goto out;
	}
	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0 ||
	    (rc = psp_json_str(j, "", "type", 0, &type, e)) < 0)
		goto out_prefix;
	mode = json_string_value(json_object_get(
		json_object_get(json_object_get(j, "data"), "object"), "mode"));
	if (strncmp(type, "payment_intent.", 15) != 0 &&
	    !(strcmp(type, "checkout.session.completed") == 0 && mode &&
	      strcmp(mode, "setup") == 0)) {
		rc = PSP_IGNORED; /* a checkout's: psp_webhook reads it */
		goto out;
	}
	if (!psp_id_shape(id, "evt_", STRIPE_ID_TAIL)) {
		rc = err_set(e, ERR_INVALID, "id: not an event id (evt_...)");
		goto out_prefix;
	}
	memcpy(ret->event_id, id, strlen(id) + 1);
	if ((rc = psp_json_field(j, "", "livemode", JSON_TRUE, 0, &jv, e)) < 0)
		goto out_prefix;
	if (json_is_true(jv) != s->live) {
		rc = err_set(e, ERR_INVALID, "livemode: not the key's mode");
		goto out_prefix;
	}
	ret->livemode = s->live;
	if ((rc = psp_json_field(j, "", "created", JSON_INTEGER, 0, &jv,
				 e)) < 0 ||
	    (rc = psp_json_field(j, "", "data", JSON_OBJECT, 0, &data, e)) < 0 ||
	    (rc = psp_json_field(data, "data", "object", JSON_OBJECT, 0, &obj,
				 e)) < 0)
		goto out_prefix;
	ret->at = (instant_t)json_integer_value(jv);
	if (strncmp(type, "payment_intent.", 15) == 0) {
		ret->kind = PSP_CHARGE_ATTEMPT;
		if (strcmp(type, "payment_intent.payment_failed") != 0 &&
		    strcmp(type, "payment_intent.succeeded") != 0 &&
		    strcmp(type, "payment_intent.processing") != 0) {
			rc = PSP_IGNORED;
			goto out;
		}
		rc = stripe_intent(obj, "data.object", ret, e);
		if (rc < 0)
			goto out_prefix;
		/* The event says what happened; the object may have moved
		 * on since (a later try). */
		ret->status = !strcmp(type, "payment_intent.succeeded")
				      ? PSP_PAID
			      : !strcmp(type, "payment_intent.processing")
				      ? PSP_PENDING
				      : PSP_FAILED;
		goto out;
	}
	/* A setup session completed: the customer's new payment method. */
	{
		const char *sid, *seti, *v;
		json_t *meta = json_object_get(obj, "metadata");
		ret->kind = PSP_CHARGE_MANDATE;
		ret->status = PSP_PAID;
		if ((rc = psp_json_str(obj, "data.object", "id", 0, &sid,
				       e)) < 0)
			goto out_prefix;
		if (!psp_id_shape(sid, "cs_", STRIPE_ID_TAIL)) {
			rc = err_set(e, ERR_INVALID, "data.object.id: not a "
				     "Checkout Session id (cs_...)");
			goto out_prefix;
		}
		memcpy(ret->payment_id, sid, strlen(sid) + 1);
		memcpy(ret->attempt_id, sid, strlen(sid) + 1);
		if ((rc = stripe_ref(obj, "data.object", "customer",
				     ret->customer_ref,
				     sizeof(ret->customer_ref), e)) < 0)
			goto out_prefix;
		if (json_is_object(meta)) {
			if ((rc = stripe_opt(meta, "data.object.metadata",
					     "tenant", ret->tenant,
					     sizeof(ret->tenant), e)) < 0 ||
			    (rc = psp_json_str(meta, "data.object.metadata",
					       "case_id", 1, &v, e)) < 0 ||
			    (v && (rc = psp_parse_case_id(
					   v, "data.object.metadata.case_id",
					   &ret->case_id, e)) < 0))
				goto out_prefix;
		}
		if (!*ret->tenant || !ret->case_id) {
			err_set(e, 0, "stripe webhook: setup session %s has "
				"no dunwell metadata: not ours", sid);
			rc = PSP_IGNORED;
			goto out;
		}
		if ((rc = psp_json_str(obj, "data.object", "setup_intent", 0,
				       &seti, e)) < 0)
			goto out_prefix;
		rc = stripe_setup_intent(s, seti, ret, e);
		if (rc < 0)
			goto out_prefix;
	}
	goto out;
out_prefix:
	err_prefix(e, "stripe webhook: ");
out:
	json_decref(j);
	return rc;
}

static int stripe_recharge(void *h, const struct psp_recharge_req *req,
			   instant_t now, struct psp_recharge *ret,
			   struct err *e)
{
	struct stripe *s = h;
	struct psp_charge_event ev;
	struct psp_http_resp resp;
	struct buf form;
	char path[PSP_ID_MAX + 64];
	json_t *j = NULL, *err, *pi;
	int rc = 0;

	memset(&resp, 0, sizeof(resp));
	memset(&ev, 0, sizeof(ev));
	if (!psp_id_shape(req->payment_id, "pi_", STRIPE_ID_TAIL))
		return err_set(e, ERR_INVALID, "stripe recharge: payment_id: "
			       "expected a PaymentIntent id (pi_...)");
	buf_init(&form, PSP_REQ_BODY_MAX);
	if (req->mandate_ref && *req->mandate_ref)
		rc = http_client_form_add(&form, "payment_method",
					  req->mandate_ref);
	if (rc == 0)
		rc = http_client_form_add(&form, "off_session", "true");
	if (rc < 0) {
		rc = err_set(e, ERR_TOOBIG, "stripe recharge: the request is "
			     "too long");
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/payment_intents/%s/confirm",
		 req->payment_id);
	rc = stripe_post_form(s, path, &form, req->idempotency_key, now, &resp,
			      e);
	if (rc < 0)
		goto out;
	if (resp.status == 402) {
		/* A decline: an outcome, not an error. */
		j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
		err = json_object_get(j, "error");
		pi = json_object_get(err, "payment_intent");
		if (!json_is_object(err)) {
			rc = stripe_fail(&resp, e);
			goto out;
		}
		if (json_is_object(pi) &&
		    (rc = stripe_intent(pi, "error.payment_intent", &ev, e)) < 0)
			goto out_prefix;
		ret->status = PSP_FAILED;
		if ((rc = stripe_decline(err, "error", ret->failure_code,
					 sizeof(ret->failure_code), e)) < 0 ||
		    (rc = stripe_opt(err, "error", "charge", ret->attempt_id,
				     sizeof(ret->attempt_id), e)) < 0)
			goto out_prefix;
		if (!*ret->attempt_id)
			memcpy(ret->attempt_id, ev.attempt_id,
			       sizeof(ret->attempt_id));
		memcpy(ret->payment_id, req->payment_id,
		       strlen(req->payment_id) + 1);
		goto out;
	}
	if (resp.status != 200) {
		rc = stripe_fail(&resp, e);
		err_prefix(e, "stripe recharge: ");
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "stripe recharge: HTTP 200: the "
			     "answer is not a JSON object");
		goto out;
	}
	if ((rc = stripe_intent(j, "payment_intent", &ev, e)) < 0)
		goto out_prefix;
	if (strcmp(ev.payment_id, req->payment_id) != 0) {
		rc = err_set(e, ERR_INVALID, "id: another PaymentIntent");
		goto out_prefix;
	}
	memcpy(ret->payment_id, ev.payment_id, sizeof(ret->payment_id));
	memcpy(ret->attempt_id, ev.attempt_id, sizeof(ret->attempt_id));
	memcpy(ret->failure_code, ev.failure_code, sizeof(ret->failure_code));
	ret->status = ev.status;
	goto out;
out_prefix:
	err_prefix(e, "stripe recharge: answer: ");
out:
	buf_free(&form);
	json_decref(j);
	psp_http_resp_free(&resp);
	return rc;
}

static int stripe_setup(void *h, const struct psp_setup_req *req,
			instant_t now, struct psp_checkout *ret,
			struct err *e)
{
	struct stripe *s = h;
	const struct currency *cur = currency_find(req->currency);
	char lower[4], case_id[24], lang[3];
	const char *locale = stripe_locale(req->locale, lang);
	const char *id, *url;
	struct psp_http_resp resp;
	struct buf form;
	json_t *j = NULL;
	int rc = 0;

	memset(&resp, 0, sizeof(resp));
	for (int i = 0; i < 4; i++)
		lower[i] = (char)(cur->code[i] >= 'A' && cur->code[i] <= 'Z'
					  ? cur->code[i] - 'A' + 'a'
					  : cur->code[i]);
	snprintf(case_id, sizeof(case_id), "%lld", (long long)req->case_id);
	buf_init(&form, PSP_REQ_BODY_MAX);
#define ADD(k, v)                                                 \
	do {                                                      \
		if (rc == 0)                                      \
			rc = http_client_form_add(&form, (k), (v)); \
	} while (0)
	ADD("mode", "setup");
	ADD("customer", req->customer_ref);
	ADD("currency", lower);
	ADD("success_url", req->redirect_url);
	ADD("cancel_url", req->cancel_url ? req->cancel_url
					  : req->redirect_url);
	ADD("client_reference_id", case_id);
	ADD("metadata[tenant]", req->tenant);
	ADD("metadata[case_id]", case_id);
	ADD("metadata[purpose]", "payment_method");
	if (locale)
		ADD("locale", locale);
#undef ADD
	if (rc < 0) {
		rc = err_set(e, ERR_TOOBIG, "stripe setup: the request is too "
			     "long");
		goto out;
	}
	rc = stripe_post_form(s, "/v1/checkout/sessions", &form,
			      req->idempotency_key, now, &resp, e);
	if (rc < 0)
		goto out;
	if (resp.status != 200) {
		rc = stripe_fail(&resp, e);
		err_prefix(e, "stripe setup: ");
		goto out;
	}
	j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	if (!json_is_object(j)) {
		rc = err_set(e, ERR_INVALID, "stripe setup: HTTP 200: the "
			     "answer is not a JSON object");
		goto out;
	}
	if ((rc = psp_json_str(j, "", "id", 0, &id, e)) < 0 ||
	    (rc = psp_json_str(j, "", "url", 0, &url, e)) < 0)
		goto out_prefix;
	if (!psp_id_shape(id, "cs_", STRIPE_ID_TAIL)) {
		rc = err_set(e, ERR_INVALID, "id: not a Checkout Session id "
			     "(cs_...)");
		goto out_prefix;
	}
	if ((rc = http_client_check_url(url, "url", e)) < 0 ||
	    (rc = psp_copy(ret->id, sizeof(ret->id), id, "id", e)) < 0 ||
	    (rc = psp_copy(ret->url, sizeof(ret->url), url, "url", e)) < 0)
		goto out_prefix;
	goto out;
out_prefix:
	err_prefix(e, "stripe setup: answer: ");
out:
	buf_free(&form);
	json_decref(j);
	psp_http_resp_free(&resp);
	return rc;
}

const struct psp_backend psp_stripe = {
	.scheme = "stripe",
	.open = stripe_open,
	.checkout = stripe_checkout,
	.webhook = stripe_webhook,
	.close = stripe_close,
	.charge_event = stripe_charge_event,
	.recharge = stripe_recharge,
	.setup = stripe_setup,
};
