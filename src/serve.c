/*
 * serve: the route table of `dunwell serve` and its handlers (see
 * serve.h). Handlers read the request, call the store and the adapters'
 * parsers, and fill the response; they never see a libevent type and
 * never log a body, a query string or personal data.
 */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "api.h"
#include "api_cache.h"
#include "api_resources.h"
#include "channel.h"
#include "deliver.h"
#include "deliver_sms_bird.h"
#include "deliver_sms_twilio.h"
#include "deliver_whatsapp.h"
#include "delivery_event.h"
#include "dispatch.h"
#include "http.h"
#include "hex.h"
#include "http_client.h"
#include "i18n.h"
#include "mem.h"
#include "console.h"
#include "console_report.h"
#include "console_strategy.h"
#include "console_review.h"
#include "portal.h"
#include "profile.h"
#include "secrets.h"
#include "token.h"

#define SERVE_SLUG_MAX 64          /* longest tenant slug looked up */
#define SERVE_SECRET_MAX 256       /* verify_token, app_secret: bytes */
#define SERVE_CHALLENGE_MAX 128    /* hub.challenge echoed back: bytes */
#define SERVE_WA_EVENTS_MAX 1024   /* statuses in one WhatsApp webhook */
#define SERVE_LOG_MAX 768          /* bytes of a logged message */

/* What each server thread owns. */
struct serve_ctx {
	struct store *store;       /* this thread's own connection */
	struct i18n *i18n;         /* this thread's formatters (portal) */
	struct portal_cache *portal_cache; /* rendered case pages; NULL when
					      the store has no cheap data
					      version (PostgreSQL) */
	struct api_cache *api_cache; /* GET /v1/invoices/{id} answers; NULL
					likewise */
};

static struct store *store_of(const struct http_request *req)
{
	return ((struct serve_ctx *)req->app)->store;
}

struct portal_cache *serve_portal_cache(const struct http_request *req)
{
	return ((struct serve_ctx *)req->app)->portal_cache;
}

struct api_cache *serve_api_cache(const struct http_request *req)
{
	return ((struct serve_ctx *)req->app)->api_cache;
}

struct i18n *serve_i18n(const struct http_request *req)
{
	return ((struct serve_ctx *)req->app)->i18n;
}

struct store *serve_store(const struct http_request *req)
{
	return store_of(req);
}

/* Log a failure (the error text names ids and places, never a person)
 * and answer 500. */
static void fail(const struct http_request *req, struct http_response *resp,
		 const char *what, const struct err *e)
{
	char msg[SERVE_LOG_MAX];

	snprintf(msg, sizeof(msg), "%.60s: %.700s", what,
		 e && e->msg[0] ? e->msg : "failed");
	http_log(req, "error", msg);
	http_error(resp, 500, "internal", "internal_error",
		   "Something went wrong on our side; try again later.");
}

/* ---- health and metrics ------------------------------------------------- */

static void h_healthz(const struct http_request *req,
		      struct http_response *resp)
{
	struct tenant_rec t;
	struct err e;
	int r;

	memset(&t, 0, sizeof(t));
	err_clear(&e);
	/* A lookup of a tenant that cannot exist: any answer, found or not,
	 * shows that this thread's store connection works. */
	r = store_tenant_get(store_of(req), "", &t, &e);
	if (r == 0)
		tenant_rec_clear(&t);
	if (r == 0 || r == -ERR_NOTFOUND) {
		resp->status = 200;
		buf_puts(&resp->body, "{\"status\":\"ok\"}\n");
		return;
	}
	http_log(req, "error", "healthz: the store does not answer");
	http_error(resp, 503, "unavailable", "store_unavailable",
		   "The store does not answer.");
}

static void h_metrics(const struct http_request *req,
		      struct http_response *resp)
{
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	if (http_metrics_write(req->server, &resp->body) < 0) {
		fail(req, resp, "metrics", NULL);
		return;
	}
	resp->status = 200;
}

/* ---- delivery reports --------------------------------------------------- */

/* The tenant named in the path; answers 404/500 itself when there is
 * none (return < 0). */
static int tenant_of(const struct http_request *req,
		     struct http_response *resp, struct tenant_rec *ret)
{
	const char *slug = http_param(req, "tenant");
	struct err e;
	int r;

	err_clear(&e);
	if (!slug || strlen(slug) > SERVE_SLUG_MAX) {
		http_error(resp, 404, "not_found", "unknown_tenant",
			   "There is no such tenant.");
		return -ERR_NOTFOUND;
	}
	r = store_tenant_get(store_of(req), slug, ret, &e);
	if (r == -ERR_NOTFOUND) {
		http_error(resp, 404, "not_found", "unknown_tenant",
			   "There is no such tenant.");
		return r;
	}
	if (r < 0)
		fail(req, resp, "reading the tenant", &e);
	return r;
}

/* Hand one event to dispatch. Returns 0, -ERR_NOTFOUND (no such message;
 * nothing answered yet) or another error (500 answered). */
static int record(const struct http_request *req, struct http_response *resp,
		  const struct tenant_rec *t, const char *provider,
		  const char *provider_id, enum delivery_event ev,
		  const char *code)
{
	struct err e;
	char what[64];
	int r;

	err_clear(&e);
	r = dispatch_report(store_of(req), t, provider, provider_id, ev, code,
			    req->now, &e);
	if (r < 0 && r != -ERR_NOTFOUND) {
		snprintf(what, sizeof(what), "recording a %s report",
			 provider);
		fail(req, resp, what, &e);
	}
	return r;
}

static void unknown_message(struct http_response *resp)
{
	http_error(resp, 404, "not_found", "unknown_message",
		   "No message of this tenant has that id.");
}

/* A report that does not parse: 400 with the parser's reason (about the
 * request the sender itself sent; nothing is logged). */
static void bad_report(struct http_response *resp, const char *provider,
		       const struct err *e)
{
	char msg[SERVE_LOG_MAX];

	snprintf(msg, sizeof(msg), "Not a %.40s report: %.700s", provider,
		 e->msg[0] ? e->msg : "unreadable");
	http_error(resp, 400, "invalid_request", "bad_report", msg);
}

/*
 * Twilio status callback. X-Twilio-Signature is not checked: it is an
 * HMAC-SHA1 and no linked library offers SHA-1 (see serve.h).
 */
static void h_twilio(const struct http_request *req,
		     struct http_response *resp)
{
	struct tenant_rec t;
	char sid[DELIVER_ID_MAX], code[DELIVERY_CODE_MAX] = "";
	enum delivery_event ev;
	struct err e;
	int r;

	memset(&t, 0, sizeof(t));
	err_clear(&e);
	if (tenant_of(req, resp, &t) < 0)
		return;
	r = sms_twilio_parse_status(req->body, req->body_len, sid, sizeof(sid),
				    &ev, &e);
	if (r < 0) {
		bad_report(resp, "Twilio status", &e);
		goto out;
	}
	/* The error code is optional (absent when delivered). */
	if (http_client_form_get(req->body, req->body_len, "ErrorCode", code,
				 sizeof(code), NULL) < 0)
		code[0] = '\0';
	r = record(req, resp, &t, "twilio", sid, ev, code);
	if (r == -ERR_NOTFOUND)
		unknown_message(resp);
	else if (r == 0)
		resp->status = 204;
out:
	tenant_rec_clear(&t);
}

/* MessageBird status report: a query string (GET) or a body (POST). */
static void h_bird(const struct http_request *req, struct http_response *resp)
{
	struct tenant_rec t;
	struct delivery_report rep;
	struct err e;
	const char *src;
	size_t len;
	int r;

	memset(&t, 0, sizeof(t));
	err_clear(&e);
	if (tenant_of(req, resp, &t) < 0)
		return;
	if (strcmp(req->method, "POST") == 0) {
		src = req->body;
		len = req->body_len;
	} else {
		src = req->query_raw;
		len = strlen(src);
	}
	r = sms_bird_parse_report(src, len, &rep, &e);
	if (r < 0) {
		bad_report(resp, "MessageBird status", &e);
		goto out;
	}
	r = record(req, resp, &t, "bird", rep.provider_id, rep.event, rep.code);
	if (r == -ERR_NOTFOUND)
		unknown_message(resp);
	else if (r == 0)
		resp->status = 204;
out:
	tenant_rec_clear(&t);
}

/* The secrets of a tenant's deliver_whatsapp setting ("" when absent). */
struct wa_secrets {
	char verify_token[SERVE_SECRET_MAX]; /* verify_token= */
	char app_secret[SERVE_SECRET_MAX];   /* app_secret= */
};

/* One secret parameter of the setting: its ${NAME} filled in from the
 * secrets file or the environment, into dst ("" when the parameter is
 * absent). Errors name the parameter and NAME, never a value. */
static int wa_secret(struct http_client_config *c, const char *param,
		     char *dst, struct err *e)
{
	const char *v = http_client_config_get(c, param);
	char enc[3 * SERVE_SECRET_MAX + 1];
	int r;

	dst[0] = '\0';
	if (!v || !*v)
		return 0;
	r = secrets_expand(v, enc, sizeof(enc), e);
	if (r == 0 && hex_pct_decode(enc, strlen(enc), 0, dst,
				     SERVE_SECRET_MAX) < 0) {
		dst[0] = '\0';
		r = err_set(e, ERR_TOOBIG, "longer than %d bytes or holding a"
			    " NUL byte", SERVE_SECRET_MAX - 1);
	}
	sodium_memzero(enc, sizeof(enc));
	if (r < 0)
		err_prefix(e, "deliver_whatsapp: %s: ", param);
	return r;
}

static int wa_secrets_load(struct store *s, const struct tenant_rec *t,
			   struct wa_secrets *ret, struct err *e)
{
	struct profile p;
	struct http_client_config c;
	const char *setting;
	int r;

	memset(ret, 0, sizeof(*ret));
	r = profile_load(s, t->id, t->name, &p, e);
	if (r < 0)
		return r;
	setting = p.deliver[CHANNEL_WHATSAPP];
	/* The secrets are ${NAME}s, filled in from the secrets file or the
	 * environment (only these two: serve does not need the sending
	 * token). A setting with one inline, or a NAME set nowhere, is an
	 * error, not "no secret", which would turn the signature check
	 * off. */
	if (setting && strncmp(setting, "whatsapp:", 9) == 0)
		r = profile_inline_secret("deliver_whatsapp", setting, e);
	if (r == 0 && setting && strncmp(setting, "whatsapp:", 9) == 0 &&
	    http_client_config_parse(setting, "whatsapp", &c, NULL) == 0) {
		r = wa_secret(&c, "verify_token", ret->verify_token, e);
		if (r == 0)
			r = wa_secret(&c, "app_secret", ret->app_secret, e);
		http_client_config_free(&c);
	}
	profile_clear(&p);
	if (r < 0)
		sodium_memzero(ret, sizeof(*ret));
	return r;
}

/* Equal secrets, in time that does not depend on where they differ. */
static int secret_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n > 0 && n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* X-Hub-Signature-256: "sha256=" and the hex HMAC-SHA256 of the body. */
static int wa_signature_ok(const struct http_request *req, const char *secret)
{
	const char *sig = http_header(req, "X-Hub-Signature-256");
	char want[65], got[65];
	int ok;

	if (!sig || strlen(sig) != 7 + 64 || strncmp(sig, "sha256=", 7) != 0)
		return 0;
	for (size_t i = 0; i < 64; i++) {
		char c = sig[7 + i];
		got[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	got[64] = '\0';
	if (hmac_sha256_hex(secret, strlen(secret), req->body, req->body_len,
			    want) < 0)
		return 0;
	ok = sodium_memcmp(want, got, 64) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

/* Meta's verification handshake: echo hub.challenge for the right
 * hub.verify_token. */
static void h_whatsapp_verify(const struct http_request *req,
			      struct http_response *resp)
{
	const char *mode = http_query(req, "hub.mode");
	const char *token = http_query(req, "hub.verify_token");
	const char *challenge = http_query(req, "hub.challenge");
	struct tenant_rec t;
	struct wa_secrets ws;
	struct err e;
	size_t clen;

	memset(&t, 0, sizeof(t));
	memset(&ws, 0, sizeof(ws));
	err_clear(&e);
	if (tenant_of(req, resp, &t) < 0)
		return;
	clen = challenge ? strlen(challenge) : 0;
	if (!mode || strcmp(mode, "subscribe") != 0 || !token || clen == 0 ||
	    clen > SERVE_CHALLENGE_MAX ||
	    strspn(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "abcdefghijklmnopqrstuvwxyz0123456789-_.") !=
		    clen) {
		http_error(resp, 400, "invalid_request", "bad_handshake",
			   "Expected hub.mode=subscribe, hub.verify_token and "
			   "a hub.challenge of letters and digits.");
		goto out;
	}
	if (wa_secrets_load(store_of(req), &t, &ws, &e) < 0) {
		fail(req, resp, "reading the WhatsApp setting", &e);
		goto out;
	}
	if (!secret_equal(ws.verify_token, token)) {
		http_error(resp, 403, "forbidden", "bad_verify_token",
			   "The verify token does not match the tenant's "
			   "deliver_whatsapp verify_token.");
		goto out;
	}
	resp->status = 200;
	resp->content_type = "text/plain; charset=utf-8";
	buf_puts(&resp->body, challenge);
out:
	sodium_memzero(&ws, sizeof(ws));
	tenant_rec_clear(&t);
}

/* Meta's webhook: every status in it is recorded. Unknown ids are counted
 * and skipped, so one foreign message (the number may be shared with
 * another sender) does not make Meta resend the others; only a webhook
 * whose every status is unknown answers 404. */
static void h_whatsapp(const struct http_request *req,
		       struct http_response *resp)
{
	struct tenant_rec t;
	struct wa_secrets ws;
	struct delivery_report *reps;
	size_t n = 0, recorded = 0, unknown = 0;
	struct err e;
	int r;

	memset(&t, 0, sizeof(t));
	memset(&ws, 0, sizeof(ws));
	err_clear(&e);
	if (tenant_of(req, resp, &t) < 0)
		return;
	if (wa_secrets_load(store_of(req), &t, &ws, &e) < 0) {
		fail(req, resp, "reading the WhatsApp setting", &e);
		goto out;
	}
	if (ws.app_secret[0] && !wa_signature_ok(req, ws.app_secret)) {
		http_error(resp, 401, "unauthorized", "bad_signature",
			   "X-Hub-Signature-256 is missing or does not match "
			   "the body.");
		goto out;
	}
	reps = arena_alloc(req->arena, SERVE_WA_EVENTS_MAX * sizeof(*reps));
	r = whatsapp_parse_webhook(req->body, req->body_len, reps,
				   SERVE_WA_EVENTS_MAX, &n, &e);
	if (r < 0) {
		bad_report(resp, "WhatsApp webhook", &e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = record(req, resp, &t, "whatsapp", reps[i].provider_id,
			   reps[i].event, reps[i].code);
		if (r == -ERR_NOTFOUND)
			unknown++;
		else if (r < 0)
			goto out; /* 500 answered: Meta sends it again */
		else
			recorded++;
	}
	if (n > 0 && recorded == 0) {
		unknown_message(resp);
		goto out;
	}
	resp->status = 200;
	buf_printf(&resp->body, "{\"recorded\":%zu,\"unknown\":%zu}\n",
		   recorded, unknown);
out:
	sodium_memzero(&ws, sizeof(ws));
	tenant_rec_clear(&t);
}

/* ---- the route table ---------------------------------------------------- */

/* { method, pattern, handler, flags }: see struct route in route.h. */
static const struct route serve_routes[] = {
	{ "GET", "/healthz", h_healthz, 0 },
	{ "GET", "/metrics", h_metrics, 0 },
	{ "POST", "/v1/reports/{tenant}/twilio", h_twilio, ROUTE_BODY_FORM },
	{ "GET", "/v1/reports/{tenant}/bird", h_bird, 0 },
	{ "POST", "/v1/reports/{tenant}/bird", h_bird, 0 },
	{ "GET", "/v1/reports/{tenant}/whatsapp", h_whatsapp_verify, 0 },
	{ "POST", "/v1/reports/{tenant}/whatsapp", h_whatsapp,
	  ROUTE_BODY_JSON },
	/* The JSON API v1 (api.c, docs/api.md): literal routes before the
	 * {id} ones. Bodies are checked for JSON by the handlers, so that a
	 * 415 has the API's error object. */
	{ "GET", "/v1/openapi.json", api_openapi, 0 },
	{ "GET", "/v1/customers", api_customers_list, 0 },
	{ "POST", "/v1/customers", api_customer_post, 0 },
	{ "GET", "/v1/customers/{id}", api_customer_get, 0 },
	{ "GET", "/v1/invoices", api_invoices_list, 0 },
	{ "POST", "/v1/invoices", api_invoice_post, 0 },
	{ "POST", "/v1/invoices/bulk", api_invoices_bulk, 0 },
	{ "GET", "/v1/invoices/{id}", api_invoice_get, 0 },
	{ "GET", "/v1/cases", api_cases_list, 0 },
	{ "GET", "/v1/cases/{id}", api_case_get, 0 },
	{ "GET", "/v1/cases/{id}/actions", api_case_actions, 0 },
	{ "GET", "/v1/cases/{id}/messages", api_case_messages, 0 },
	{ "GET", "/v1/cases/{id}/events", api_case_events, 0 },
	{ "POST", "/v1/payments", api_payment_post, 0 },
	{ "POST", "/v1/charges/failed", api_charge_failed_post, 0 },
	/* api_resources.c: configuration writes need the admin scope. */
	{ "GET", "/v1/strategies", api_strategies_list, 0 },
	{ "POST", "/v1/strategies", api_strategy_post, 0 },
	{ "GET", "/v1/strategies/{version}", api_strategy_get, 0 },
	{ "POST", "/v1/strategies/{version}/activate", api_strategy_activate,
	  0 },
	{ "POST", "/v1/templates", api_template_post, 0 },
	{ "GET", "/v1/templates/{locale}/{id}", api_template_get, 0 },
	{ "GET", "/v1/branding", api_branding_get, 0 },
	{ "POST", "/v1/branding", api_branding_post, 0 },
	{ "GET", "/v1/webhook_endpoints", api_webhook_endpoints_list, 0 },
	{ "POST", "/v1/webhook_endpoints", api_webhook_endpoint_post, 0 },
	/* The customer's personal page (portal.c): the token is the only
	 * credential, so it never reaches the access log. */
	{ "GET", "/assets/portal.css", portal_css, 0 },
	{ "GET", "/brand/{file}", portal_brand_css, 0 },
	{ "GET", "/p/{token}", portal_case, ROUTE_SECRET_PATH },
	{ "GET", "/p/{token}/pay", portal_pay, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/pay", portal_pay_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/paid", portal_paid, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/method", portal_method_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/method/done", portal_method_done,
	  ROUTE_SECRET_PATH },
	{ "GET", "/p/{token}/later", portal_later, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/later", portal_later_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/plan", portal_plan, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/plan", portal_plan_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/help", portal_help, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/help", portal_help_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/callback", portal_callback, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/callback", portal_callback_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/dispute", portal_dispute, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/dispute", portal_dispute_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/preferences", portal_prefs, ROUTE_SECRET_PATH },
	{ "POST", "/p/{token}/preferences", portal_prefs_post,
	  ROUTE_SECRET_PATH | ROUTE_BODY_FORM },
	{ "GET", "/p/{token}/done", portal_done, ROUTE_SECRET_PATH },
	{ "GET", "/p/{token}/listen", portal_listen, ROUTE_SECRET_PATH },
	{ "POST", "/v1/psp/{tenant}/{provider}", portal_psp_webhook, 0 },
	/* The team's console (console.c). */
	{ "GET", "/console/{tenant}", console_queue, 0 },
	{ "GET", "/console/{tenant}/login", console_login, 0 },
	{ "POST", "/console/{tenant}/login", console_login_post,
	  ROUTE_BODY_FORM },
	{ "POST", "/console/{tenant}/logout", console_logout, ROUTE_BODY_FORM },
	{ "GET", "/console/{tenant}/cases/{id}", console_case, 0 },
	{ "POST", "/console/{tenant}/cases/{id}", console_case_post,
	  ROUTE_BODY_FORM },
	/* The console's reports (console_report.c). */
	{ "GET", "/console/{tenant}/reports", console_reports, 0 },
	{ "POST", "/console/{tenant}/reports", console_reports_refresh,
	  ROUTE_BODY_FORM },
	{ "GET", "/console/{tenant}/reports/{file}", console_report_csv, 0 },
	/* Strategies and experiments (console_strategy.c). */
	{ "GET", "/console/{tenant}/strategies", console_strategies, 0 },
	{ "GET", "/console/{tenant}/strategies/{version}", console_strategy,
	  0 },
	{ "POST", "/console/{tenant}/strategies/{version}",
	  console_strategy_post, ROUTE_BODY_FORM },
	{ "GET", "/console/{tenant}/experiments", console_experiments, 0 },
	/* The payment review page (console_review.c). */
	{ "GET", "/console/{tenant}/review/{id}", console_review, 0 },
	{ "POST", "/console/{tenant}/review/{id}", console_review_post,
	  ROUTE_BODY_FORM },
	{ "GET", "/checkout/test/{tenant}/{id}", portal_test_checkout, 0 },
	{ "POST", "/checkout/test/{tenant}/{id}", portal_test_checkout_post,
	  ROUTE_BODY_FORM },
};

const struct route *serve_route_table(size_t *ret_n)
{
	*ret_n = sizeof(serve_routes) / sizeof(serve_routes[0]);
	return serve_routes;
}

/* ---- threads ------------------------------------------------------------ */

static int serve_thread_init(void *arg, int index, void **ret_app,
			     struct err *e)
{
	struct serve_ctx *x = xcalloc(1, sizeof(*x));
	/* The caller's store is already migrated: no thread migrates. */
	int r = store_open_raw(arg, &x->store, e);

	if (r < 0) {
		err_prefix(e, "serve: thread %d: ", index);
		free(x);
		return r;
	}
	x->i18n = i18n_new();
	{
		int64_t dv;
		if (store_data_version(x->store, &dv, NULL) == 0)
			x->portal_cache = portal_cache_new();
	}
	x->api_cache = api_cache_new(x->store);
	*ret_app = x;
	return 0;
}

static void serve_thread_free(void *app)
{
	struct serve_ctx *x = app;

	if (!x)
		return;
	store_close(x->store);
	i18n_free(x->i18n);
	portal_cache_free(x->portal_cache);
	api_cache_free(x->api_cache);
	free(x);
}

int serve_run(struct store *s, const struct serve_options *o, struct err *e)
{
	struct http_config c;

	memset(&c, 0, sizeof(c));
	c.listen = o->listen ? o->listen : SERVE_LISTEN_DEFAULT;
	c.threads = o->threads;
	c.routes = serve_routes;
	c.n_routes = sizeof(serve_routes) / sizeof(serve_routes[0]);
	c.thread_init = serve_thread_init;
	c.thread_free = serve_thread_free;
	c.arg = (void *)store_target(s);
	c.clock = o->clock;
	c.clock_arg = o->clock_arg;
	c.log = o->log;
	if (portal_init(e) < 0)
		return -ERR_INVALID;
	{
		int r = http_run(&c, e);
		portal_shutdown();
		return r;
	}
}
