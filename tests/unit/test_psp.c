/*
 * test_psp: the payment-provider adapters (Mollie Payments API v2, Stripe
 * Checkout) against tests/tools/fake_psp.py on a free loopback port.
 *
 * The fake checks each request the way the provider does (path, auth,
 * content type, fields) and records it; these tests read what arrived
 * (the exact JSON or form body, the auth and idempotency headers), the
 * payment id and checkout URL the adapters return, and the providers'
 * error answers (401, Mollie's 422, Stripe's error JSON) turned into
 * errors. Webhooks are the fake's: it changes a payment and POSTs the
 * provider's real notification (Mollie: "id=tr_..."; Stripe: an event
 * signed in Python with the whsec secret) to its own /_sink, and the test
 * hands that request to the adapter: Mollie's fetch, Stripe's signature
 * (valid, tampered body, wrong secret, stale timestamp, several v1
 * values), event types, and malformed events signed here.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "http_client.h"
#include "psp.h"
#include "psp_mollie.h"
#include "psp_stripe.h"
#include "token.h"

#define FAKE "tests/tools/fake_psp.py"
#define MOLLIE_KEY "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
#define STRIPE_KEY "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
#define WHSEC "whsec_testsecret0123456789abcdef"
#define WHSEC_OTHER "whsec_othersecret0123456789abcd"

#define CHECK_MSG(e, needle)                                                \
	do {                                                                \
		if (!strstr((e).msg, (needle))) {                           \
			printf("  %s:%d: message \"%s\" lacks \"%s\"\n",    \
			       __FILE__, __LINE__, (e).msg, (needle));      \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

static struct {
	pid_t pid;        /* the python process, 0 when not running */
	int in_fd;        /* its stdin: closing it ends it */
	int port;         /* where it listens */
	char record[256]; /* the JSON-lines file it writes */
} fake;

static char mollie_cfg[512], stripe_cfg[512], sink[128];

static int fake_start(void)
{
	int in[2], out[2];
	const char *tmp = getenv("TMPDIR");
	char line[64] = "";
	FILE *f;
	int fd;

	snprintf(fake.record, sizeof(fake.record), "%s/dunwell-psp-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(fake.record);
	if (fd < 0)
		return -1;
	close(fd);
	if (pipe(in) < 0 || pipe(out) < 0)
		return -1;
	fake.pid = fork();
	if (fake.pid < 0)
		return -1;
	if (fake.pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execlp("python3", "python3", FAKE, "--record", fake.record,
		       "--mollie-key", MOLLIE_KEY, "--stripe-key", STRIPE_KEY,
		       "--stripe-secret", WHSEC, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	fake.in_fd = in[1];
	f = fdopen(out[0], "r");
	if (!f || !fgets(line, sizeof(line), f) ||
	    strncmp(line, "PORT ", 5) != 0) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	fake.port = (int)strtol(line + 5, NULL, 10);
	return fake.port > 0 ? 0 : -1;
}

static void fake_stop(void)
{
	if (fake.pid > 0) {
		close(fake.in_fd);
		kill(fake.pid, SIGTERM);
		waitpid(fake.pid, NULL, 0);
		fake.pid = 0;
	}
	unlink(fake.record);
}

/* The last recorded request of provider (and method, when not NULL); a
 * new reference or NULL. */
static json_t *last_record(const char *provider, const char *method)
{
	static char line[512 * 1024];
	json_t *found = NULL;
	FILE *f = fopen(fake.record, "r");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *p = json_string_value(json_object_get(j, "provider"));
		const char *m = json_string_value(json_object_get(j, "method"));
		if (p && !strcmp(p, provider) && (!method || (m && !strcmp(m,
								   method)))) {
			json_decref(found);
			found = j;
		} else {
			json_decref(j);
		}
	}
	fclose(f);
	return found;
}

/* Recorded requests so far (a mark to compare against). */
static size_t n_records(void)
{
	static char line[512 * 1024];
	size_t n = 0;
	FILE *f = fopen(fake.record, "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

static const char *jpath(json_t *j, const char *k1, const char *k2)
{
	json_t *v = json_object_get(j, k1);
	if (k2)
		v = json_object_get(v, k2);
	return json_string_value(v);
}

/* POST a control request to the fake; its answer (new reference). */
static json_t *control(const char *id, const char *json)
{
	struct http_client *c = http_client_new(10, 1);
	char url[256];
	struct http_client_req r = { 0 };
	struct http_client_resp resp;
	struct err e = { "" };
	json_t *j = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_control/payments/%s",
		 fake.port, id);
	r.url = url;
	r.content_type = "application/json";
	r.body = json;
	r.body_len = strlen(json);
	http_client_post_many(c, &r, 1, 0, &resp, &e);
	if (resp.status == 200)
		j = json_loadb(resp.body.data, resp.body.len, 0, NULL);
	else
		printf("  control %s: HTTP %ld %s\n", id, resp.status,
		       buf_cstr(&resp.body));
	http_client_resp_free(&resp, 1);
	http_client_free(c);
	return j;
}

/* The webhook the fake sent to its sink last, handed to the adapter. */
static int deliver_sink(struct psp *p, instant_t now, struct psp_event *ev,
			struct err *e)
{
	json_t *r = last_record("sink", NULL);
	struct psp_header h[2];
	struct psp_webhook_req in;
	int rc;

	if (!r)
		return -100;
	h[0].name = "Content-Type";
	h[0].value = jpath(r, "headers", "content-type");
	h[1].name = "Stripe-Signature";
	h[1].value = jpath(r, "headers", "stripe-signature");
	in.headers = h;
	in.n_headers = h[1].value ? 2 : 1;
	in.body = jpath(r, "body", NULL);
	in.body_len = strlen(in.body);
	rc = psp_webhook(p, &in, now, ev, e);
	json_decref(r);
	return rc;
}

static struct psp *open_ok(const char *cfg)
{
	struct psp *p = NULL;
	struct err e = { "" };
	int rc = psp_open(cfg, &p, &e);

	if (rc != 0)
		printf("  psp_open: %s\n", e.msg);
	CHECK_INT(rc, 0);
	return p;
}

/* The checkout request most tests use. */
static struct psp_checkout_req req_base(const char *key)
{
	struct psp_checkout_req r = {
		.tenant = "acme",
		.case_id = 42,
		.amount = 1234,
		.currency = "EUR",
		.description = "Invoice 2026-001 & fees",
		.reference = "RF18539007547034",
		.locale = "nl-NL",
		.method = "ideal",
		.redirect_url = "https://pay.example/p/Ab3dE?done=1",
		.webhook_url = "https://dunwell.example/hooks/mollie",
		.idempotency_key = key,
	};
	return r;
}

/* ---- settings and request checks ----------------------------------------- */

TEST(test_config)
{
	struct psp *p = NULL;
	struct err e = { "" };

	CHECK_INT(psp_open("paypal:?key=x", &p, &e), -ERR_NOTFOUND);
	CHECK_MSG(e, "unknown scheme paypal (known: mollie, stripe)");
	CHECK(psp_backend_find("mollie:?key=x") == &psp_mollie);
	CHECK(psp_backend_find("stripe:") == &psp_stripe);
	CHECK(psp_backend_find("stripe") == NULL);
	CHECK_INT(psp_open("mollie:", &p, &e), -ERR_INVALID);
	CHECK_MSG(e, "mollie: key= missing");
	CHECK_INT(psp_open("mollie:?key=secret_sauce_12345678901234567890",
			   &p, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "key=: expected an API key");
	CHECK(!strstr(e.msg, "secret_sauce"));
	CHECK_INT(psp_open("mollie:http://api.mollie.com?key=" MOLLIE_KEY, &p,
			   &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "only allowed to a loopback host");
	CHECK_INT(psp_open("mollie:?key=" MOLLIE_KEY "&colour=red", &p, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "unknown parameter colour");
	CHECK_INT(psp_open("stripe:?key=" STRIPE_KEY, &p, &e), -ERR_INVALID);
	CHECK_MSG(e, "webhook_secret= missing");
	CHECK_INT(psp_open("stripe:?key=pk_test_abcdefgh12345&webhook_secret="
			   WHSEC, &p, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "key=: expected a secret or restricted key");
	CHECK_INT(psp_open("stripe:?key=" STRIPE_KEY "&webhook_secret=nope",
			   &p, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "webhook_secret=: expected whsec_");
	CHECK_INT(psp_open("stripe:?key=" STRIPE_KEY "&webhook_secret=" WHSEC
			   "&tolerance=0", &p, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "tolerance=0: expected a whole number from 1 to 3600");
	CHECK(p == NULL);
	p = open_ok("stripe:?key=" STRIPE_KEY "&webhook_secret=" WHSEC
		    "&version=2024-06-20&timeout=5");
	CHECK_STR(psp_scheme(p), "stripe");
	psp_close(p);
	psp_close(NULL);
	CHECK_STR(psp_status_name(PSP_REFUNDED), "refunded");
}

TEST(test_request_checks)
{
	struct psp *p = open_ok(mollie_cfg);
	struct psp_checkout out = { "keep", "" };
	struct err e = { "" };
	size_t before = n_records();
	struct psp_checkout_req r;

#define BAD(field_set, code, needle)                                      \
	do {                                                              \
		r = req_base("k-bad");                                    \
		field_set;                                                \
		CHECK_INT(psp_checkout(p, &r, 0, &out, &e), code);        \
		CHECK_MSG(e, needle);                                     \
	} while (0)
	BAD(r.amount = 0, -ERR_RANGE, "mollie checkout: amount: expected "
					"more than 0");
	BAD(r.amount = -5, -ERR_RANGE, "amount");
	BAD(r.currency = "XYZ", -ERR_INVALID, "currency: XYZ is not an ISO");
	BAD(r.currency = NULL, -ERR_INVALID, "currency");
	BAD(r.case_id = 0, -ERR_RANGE, "case_id");
	BAD(r.tenant = "Acme Corp", -ERR_INVALID, "tenant");
	BAD(r.description = "", -ERR_INVALID, "description");
	BAD(r.description = "a\nb", -ERR_INVALID, "description");
	BAD(r.reference = "rf18 5390", -ERR_INVALID, "reference");
	BAD(r.locale = "dutch", -ERR_INVALID, "locale: expected");
	BAD(r.method = "paypal", -ERR_INVALID, "method: paypal is not one");
	BAD(r.redirect_url = "ftp://x", -ERR_INVALID, "redirect_url");
	BAD(r.redirect_url = "http://pay.example/", -ERR_INVALID,
	    "redirect_url: http:// is only allowed to a loopback host");
	BAD(r.webhook_url = "javascript:x", -ERR_INVALID, "webhook_url");
	BAD(r.idempotency_key = "", -ERR_INVALID, "idempotency_key");
	BAD(r.idempotency_key = "a\r\nX-Evil: 1", -ERR_INVALID,
	    "idempotency_key");
	BAD(r.webhook_url = NULL, -ERR_INVALID, "webhook_url: missing");
#undef BAD
	CHECK_STR(out.id, "keep"); /* untouched on failure */
	CHECK_INT(n_records(), before); /* nothing was sent */
	psp_close(p);
}

/* ---- Mollie -------------------------------------------------------------- */

TEST(test_mollie_checkout)
{
	struct psp *p = open_ok(mollie_cfg);
	struct psp_checkout out;
	struct psp_checkout_req r = req_base("case-42-try-1");
	struct err e = { "" };
	char want[256];
	json_t *rec;

	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	rec = last_record("mollie", "POST");
	CHECK_STR(jpath(rec, "path", NULL), "/v2/payments");
	CHECK_STR(jpath(rec, "body", NULL),
		  "{\"amount\":{\"currency\":\"EUR\",\"value\":\"12.34\"},"
		  "\"description\":\"Invoice 2026-001 & fees\","
		  "\"redirectUrl\":\"https://pay.example/p/Ab3dE?done=1\","
		  "\"webhookUrl\":\"https://dunwell.example/hooks/mollie\","
		  "\"locale\":\"nl_NL\",\"method\":\"ideal\","
		  "\"metadata\":{\"tenant\":\"acme\",\"case_id\":\"42\","
		  "\"reference\":\"RF18539007547034\"}}");
	CHECK_STR(jpath(rec, "headers", "authorization"),
		  "Bearer " MOLLIE_KEY);
	CHECK_STR(jpath(rec, "headers", "idempotency-key"), "case-42-try-1");
	CHECK_STR(jpath(rec, "headers", "content-type"), "application/json");
	{
		const char *rid = jpath(json_object_get(rec, "response"), "id",
					NULL);
		CHECK(rid && strcmp(out.id, rid) == 0);
	}
	CHECK(psp_id_shape(out.id, "tr_", 64));
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/checkout/%s",
		 fake.port, out.id);
	CHECK_STR(out.url, want);
	json_decref(rec);

	/* card is creditcard; JPY has no decimals; a bare language gets its
	 * region; no method, no reference, a cancel URL */
	r = req_base("case-43");
	r.amount = 5000;
	r.currency = "JPY";
	r.method = "card";
	r.locale = "de";
	r.reference = NULL;
	r.cancel_url = "https://pay.example/p/Ab3dE?cancel=1";
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	rec = last_record("mollie", "POST");
	CHECK_STR(jpath(rec, "body", NULL),
		  "{\"amount\":{\"currency\":\"JPY\",\"value\":\"5000\"},"
		  "\"description\":\"Invoice 2026-001 & fees\","
		  "\"redirectUrl\":\"https://pay.example/p/Ab3dE?done=1\","
		  "\"cancelUrl\":\"https://pay.example/p/Ab3dE?cancel=1\","
		  "\"webhookUrl\":\"https://dunwell.example/hooks/mollie\","
		  "\"locale\":\"de_DE\",\"method\":\"creditcard\","
		  "\"metadata\":{\"tenant\":\"acme\",\"case_id\":\"42\"}}");
	json_decref(rec);

	/* a locale Mollie does not know and no method: both left out */
	r = req_base("case-44");
	r.locale = "ja-JP";
	r.method = "";
	r.amount = 100000;
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	rec = last_record("mollie", "POST");
	CHECK(strstr(jpath(rec, "body", NULL), "locale") == NULL);
	CHECK(strstr(jpath(rec, "body", NULL), "method") == NULL);
	CHECK(strstr(jpath(rec, "body", NULL), "\"value\":\"1000.00\""));
	json_decref(rec);
	psp_close(p);
}

TEST(test_mollie_errors)
{
	struct psp *p = open_ok(mollie_cfg), *bad;
	struct psp_checkout out;
	struct psp_checkout_req r = req_base("case-45");
	struct err e = { "" };
	char cfg[256];

	/* 422 with Mollie's error JSON: the field is named */
	r.currency = "USD";
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "mollie checkout: HTTP 422 Unprocessable Entity: The "
		     "payment method is not available for this currency "
		     "(field method)");
	/* the same idempotency key with another body */
	r = req_base("case-42-try-1");
	r.amount = 999;
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "idempotency key is already used");
	psp_close(p);

	/* 401: a key the provider does not know */
	snprintf(cfg, sizeof(cfg),
		 "mollie:http://127.0.0.1:%d?key=test_wrongwrongwrongwrongwrong",
		 fake.port);
	bad = open_ok(cfg);
	r = req_base("case-46");
	CHECK_INT(psp_checkout(bad, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "HTTP 401 Unauthorized Request: Missing authentication");
	CHECK_MSG(e, "(check key=)");
	CHECK(!strstr(e.msg, "wrongwrong"));
	psp_close(bad);

	/* nobody listening: try again later */
	bad = open_ok("mollie:http://127.0.0.1:1?key=" MOLLIE_KEY
		      "&timeout=2");
	CHECK_INT(psp_checkout(bad, &r, 0, &out, &e), -ERR_IO);
	CHECK_MSG(e, "no answer");
	psp_close(bad);
}

TEST(test_mollie_webhook)
{
	struct psp *p = open_ok(mollie_cfg);
	struct psp_checkout out;
	struct psp_checkout_req r = req_base("case-50");
	struct psp_event ev;
	struct err e = { "" };
	char ctl[256], id[PSP_ID_MAX], want[PSP_ID_MAX + 16];
	json_t *j;

	r.webhook_url = sink;
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	memcpy(id, out.id, sizeof(id));

	/* still open: pending */
	j = control(id, "{\"status\": \"open\", \"notify\": true}");
	CHECK(j != NULL);
	json_decref(j);
	CHECK_INT(deliver_sink(p, 0, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_PENDING);
	CHECK_INT(ev.paid_at, 0);

	/* paid: the fetch is the verification */
	j = control(id, "{\"status\": \"paid\", \"method\": \"ideal\", "
			"\"notify\": true}");
	CHECK_INT(json_integer_value(json_object_get(j, "delivered")), 200);
	json_decref(j);
	CHECK_INT(deliver_sink(p, 0, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_PAID);
	CHECK_STR(ev.payment_id, id);
	CHECK_INT(ev.amount, 1234);
	CHECK_STR(ev.currency, "EUR");
	CHECK_INT(ev.refunded, 0);
	CHECK_STR(ev.tenant, "acme");
	CHECK_INT(ev.case_id, 42);
	CHECK_STR(ev.reference, "RF18539007547034");
	CHECK_STR(ev.method, "ideal");
	CHECK(ev.paid_at > 1700000000);
	CHECK_INT(ev.livemode, 0);
	snprintf(want, sizeof(want), "%s:paid", id);
	CHECK_STR(ev.event_id, want);
	{
		json_t *g = last_record("mollie", "GET");
		char path[PSP_ID_MAX + 16];
		snprintf(path, sizeof(path), "/v2/payments/%s", id);
		CHECK_STR(jpath(g, "path", NULL), path);
		CHECK_STR(jpath(g, "headers", "authorization"),
			  "Bearer " MOLLIE_KEY);
		json_decref(g);
	}

	/* a partial refund */
	j = control(id, "{\"status\": \"refunded\", \"refund\": 500, "
			"\"notify\": true}");
	json_decref(j);
	CHECK_INT(deliver_sink(p, 0, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_REFUNDED);
	CHECK_INT(ev.refunded, 500);
	CHECK_INT(ev.amount, 1234);
	snprintf(want, sizeof(want), "%s:refunded:500", id);
	CHECK_STR(ev.event_id, want);

	/* another payment expires */
	r = req_base("case-51");
	r.webhook_url = sink;
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"expired\", \"notify\": "
		 "true}");
	json_decref(control(out.id, ctl));
	CHECK_INT(deliver_sink(p, 0, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_EXPIRED);
	psp_close(p);
}

TEST(test_mollie_webhook_bad)
{
	struct psp *p = open_ok(mollie_cfg);
	struct psp_event ev = { .case_id = 7 };
	struct err e = { "" };
	struct psp_header h = { "content-type",
				"application/x-www-form-urlencoded" };
	struct psp_webhook_req in = { &h, 1, NULL, 0 };
	size_t before = n_records();

#define HOOK(text, code, needle)                                        \
	do {                                                            \
		in.body = (text);                                       \
		in.body_len = strlen(text);                             \
		CHECK_INT(psp_webhook(p, &in, 0, &ev, &e), code);      \
		CHECK_MSG(e, needle);                                   \
	} while (0)
	HOOK("", -ERR_INVALID, "form field id: missing");
	HOOK("foo=bar", -ERR_INVALID, "form field id: missing");
	HOOK("id=..%2F..%2Fv2%2Fpayments", -ERR_INVALID,
	     "not a Mollie payment id");
	HOOK("id=tr_", -ERR_INVALID, "not a Mollie payment id");
	HOOK("id=ord_abc123", -ERR_INVALID, "not a Mollie payment id");
	HOOK("id=tr_abc%00", -ERR_INVALID, "bad %-escape");
	CHECK_INT(n_records(), before); /* nothing fetched */
	HOOK("id=tr_unknown123", -ERR_NOTFOUND,
	     "HTTP 404 Not Found: No payment exists with token "
	     "tr_unknown123.");
	h.value = "application/json";
	HOOK("{\"id\":\"tr_x\"}", -ERR_INVALID,
	     "expected application/x-www-form-urlencoded");
#undef HOOK
	CHECK_INT(ev.case_id, 7); /* untouched */
	psp_close(p);
}

/* ---- Stripe -------------------------------------------------------------- */

TEST(test_stripe_checkout)
{
	struct psp *p = open_ok(stripe_cfg);
	struct psp_checkout out, again;
	struct psp_checkout_req r = req_base("case-60");
	struct err e = { "" };
	char want[512];
	json_t *rec;

	r.cancel_url = "https://pay.example/p/Ab3dE?cancel=1";
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	rec = last_record("stripe", "POST");
	CHECK_STR(jpath(rec, "path", NULL), "/v1/checkout/sessions");
	CHECK_STR(jpath(rec, "body", NULL),
		  "mode=payment"
		  "&line_items%5B0%5D%5Bprice_data%5D%5Bcurrency%5D=eur"
		  "&line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=1234"
		  "&line_items%5B0%5D%5Bprice_data%5D%5Bproduct_data%5D%5Bname"
		  "%5D=Invoice%202026-001%20%26%20fees"
		  "&line_items%5B0%5D%5Bquantity%5D=1"
		  "&success_url=https%3A%2F%2Fpay.example%2Fp%2FAb3dE%3Fdone%3D1"
		  "&cancel_url=https%3A%2F%2Fpay.example%2Fp%2FAb3dE%3Fcancel"
		  "%3D1"
		  "&client_reference_id=42"
		  "&metadata%5Btenant%5D=acme&metadata%5Bcase_id%5D=42"
		  "&metadata%5Breference%5D=RF18539007547034"
		  "&payment_method_types%5B0%5D=ideal&locale=nl");
	CHECK_STR(jpath(rec, "form", "line_items[0][price_data][currency]"),
		  "eur");
	CHECK_STR(jpath(rec, "headers", "authorization"),
		  "Bearer " STRIPE_KEY);
	CHECK_STR(jpath(rec, "headers", "idempotency-key"), "case-60");
	CHECK_STR(jpath(rec, "headers", "stripe-version"), "2024-06-20");
	CHECK_STR(jpath(rec, "headers", "content-type"),
		  "application/x-www-form-urlencoded");
	CHECK(psp_id_shape(out.id, "cs_test_", 200));
	snprintf(want, sizeof(want), "http://127.0.0.1:%d/checkout/%s",
		 fake.port, out.id);
	CHECK_STR(out.url, want);
	json_decref(rec);

	/* the same key and body: the same session (Stripe replays) */
	CHECK_INT(psp_checkout(p, &r, 0, &again, &e), 0);
	CHECK_STR(again.id, out.id);

	/* przelewy24 is p24; en-GB keeps its region; no cancel URL: the
	 * redirect URL; no locale Stripe knows: left out */
	r = req_base("case-61");
	r.method = "przelewy24";
	r.currency = "PLN";
	r.locale = "en-GB";
	r.reference = "";
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	rec = last_record("stripe", "POST");
	CHECK_STR(jpath(rec, "form", "payment_method_types[0]"), "p24");
	CHECK_STR(jpath(rec, "form", "locale"), "en-GB");
	CHECK_STR(jpath(rec, "form", "cancel_url"),
		  "https://pay.example/p/Ab3dE?done=1");
	CHECK(json_object_get(json_object_get(rec, "form"),
			      "metadata[reference]") == NULL);
	json_decref(rec);
	r = req_base("case-62");
	r.locale = "xx";
	r.method = NULL;
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	rec = last_record("stripe", "POST");
	CHECK(json_object_get(json_object_get(rec, "form"), "locale") == NULL);
	CHECK(json_object_get(json_object_get(rec, "form"),
			      "payment_method_types[0]") == NULL);
	json_decref(rec);

	/* KWD: Stripe takes multiples of 10 */
	r = req_base("case-63");
	r.currency = "KWD";
	r.method = "card";
	r.amount = 12345;
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "multiples of 10");
	psp_close(p);
}

TEST(test_stripe_errors)
{
	struct psp *p = open_ok(stripe_cfg), *bad;
	struct psp_checkout out;
	struct psp_checkout_req r = req_base("case-70");
	struct err e = { "" };
	char cfg[256];

	r.currency = "USD"; /* iDEAL takes euros only */
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "stripe checkout: HTTP 400 invalid_request_error/"
		     "payment_method_unactivated: The payment method `ideal` "
		     "does not support the currency `usd`. (param "
		     "payment_method_types)");
	r = req_base("case-60"); /* used above with another body */
	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "HTTP 400 idempotency_error: Keys for idempotent");
	psp_close(p);

	snprintf(cfg, sizeof(cfg),
		 "stripe:http://127.0.0.1:%d?key=sk_test_wrongwrongwrong"
		 "&webhook_secret=" WHSEC, fake.port);
	bad = open_ok(cfg);
	r = req_base("case-71");
	CHECK_INT(psp_checkout(bad, &r, 0, &out, &e), -ERR_INVALID);
	CHECK_MSG(e, "HTTP 401 invalid_request_error: Invalid API Key "
		     "provided");
	CHECK_MSG(e, "(check key=)");
	psp_close(bad);
}

/* Create a session and return its id (into id). */
static void stripe_session(struct psp *p, const char *key, char *id)
{
	struct psp_checkout out;
	struct psp_checkout_req r = req_base(key);
	struct err e = { "" };

	CHECK_INT(psp_checkout(p, &r, 0, &out, &e), 0);
	memcpy(id, out.id, PSP_ID_MAX);
}

TEST(test_stripe_webhook)
{
	struct psp *p = open_ok(stripe_cfg), *other;
	struct psp_event ev;
	struct err e = { "" };
	char id[PSP_ID_MAX], ctl[512];
	instant_t now = (instant_t)time(NULL);
	json_t *j;

	stripe_session(p, "case-80", id);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"paid\", \"notify\": \"%s\"}",
		 sink);
	j = control(id, ctl);
	CHECK_INT(json_integer_value(json_object_get(j, "delivered")), 200);
	json_decref(j);
	CHECK_INT(deliver_sink(p, now, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_PAID);
	CHECK_STR(ev.payment_id, id);
	CHECK(psp_id_shape(ev.event_id, "evt_", 200));
	CHECK_INT(ev.amount, 1234);
	CHECK_STR(ev.currency, "EUR");
	CHECK_STR(ev.tenant, "acme");
	CHECK_INT(ev.case_id, 42);
	CHECK_STR(ev.reference, "RF18539007547034");
	CHECK_STR(ev.method, "ideal");
	CHECK(ev.paid_at >= now - 5 && ev.paid_at <= now + 5);

	/* the same request later than the tolerance: refused */
	CHECK_INT(deliver_sink(p, now + 301, &ev, &e), -ERR_INVALID);
	CHECK_MSG(e, "(tolerance 300 s): stale or replayed");
	/* ahead of us by more than the tolerance too */
	CHECK_INT(deliver_sink(p, now - 301, &ev, &e), -ERR_INVALID);
	CHECK_MSG(e, "tolerance");

	/* another endpoint's secret */
	{
		char cfg[256];
		snprintf(cfg, sizeof(cfg),
			 "stripe:http://127.0.0.1:%d?key=" STRIPE_KEY
			 "&webhook_secret=" WHSEC_OTHER, fake.port);
		other = open_ok(cfg);
		CHECK_INT(deliver_sink(other, now, &ev, &e), -ERR_INVALID);
		CHECK_MSG(e, "no v1 signature matches");
		psp_close(other);
	}

	/* several v1 values (a secret being rolled): any one will do */
	stripe_session(p, "case-81", id);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"paid\", \"notify\": \"%s\", "
		 "\"secrets\": [\"" WHSEC_OTHER "\", \"" WHSEC "\"]}", sink);
	json_decref(control(id, ctl));
	{
		json_t *s = last_record("sink", NULL);
		const char *sig = jpath(s, "headers", "stripe-signature");
		CHECK(sig && strstr(sig, ",v1=") && strstr(strstr(sig, ",v1=") + 1,
							   ",v1="));
		json_decref(s);
	}
	CHECK_INT(deliver_sink(p, now, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_PAID);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"paid\", \"notify\": \"%s\", "
		 "\"secrets\": [\"" WHSEC_OTHER "\", \"whsec_third\"]}", sink);
	json_decref(control(id, ctl));
	CHECK_INT(deliver_sink(p, now, &ev, &e), -ERR_INVALID);
	CHECK_MSG(e, "no v1 signature matches");

	/* an old timestamp signed correctly */
	snprintf(ctl, sizeof(ctl), "{\"status\": \"paid\", \"notify\": \"%s\", "
		 "\"timestamp\": %lld}", sink, (long long)now - 600);
	json_decref(control(id, ctl));
	CHECK_INT(deliver_sink(p, now, &ev, &e), -ERR_INVALID);
	CHECK_MSG(e, "is 600 s from now");

	/* asynchronous: completed unpaid, then succeeded; failed; expired;
	 * a refund (charge.refunded) is ignored */
	stripe_session(p, "case-82", id);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"pending\", \"notify\": "
		 "\"%s\"}", sink);
	json_decref(control(id, ctl));
	CHECK_INT(deliver_sink(p, now, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_PENDING);
	CHECK_INT(ev.paid_at, 0);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"paid\", \"notify\": \"%s\"}",
		 sink);
	json_decref(control(id, ctl));
	{
		json_t *s = last_record("sink", NULL);
		CHECK(strstr(jpath(s, "body", NULL),
			     "checkout.session.async_payment_succeeded"));
		json_decref(s);
	}
	CHECK_INT(deliver_sink(p, now, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_PAID);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"refunded\", \"notify\": "
		 "\"%s\"}", sink);
	json_decref(control(id, ctl));
	memset(&ev, 0x55, sizeof(ev));
	CHECK_INT(deliver_sink(p, now, &ev, &e), PSP_IGNORED);
	CHECK_MSG(e, "of type charge.refunded: not one dunwell acts on");
	CHECK(psp_id_shape(ev.event_id, "evt_", 200));
	CHECK_INT(ev.amount, 0);

	stripe_session(p, "case-83", id);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"failed\", \"notify\": "
		 "\"%s\"}", sink);
	json_decref(control(id, ctl));
	CHECK_INT(deliver_sink(p, now, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_FAILED);
	stripe_session(p, "case-84", id);
	snprintf(ctl, sizeof(ctl), "{\"status\": \"expired\", \"notify\": "
		 "\"%s\"}", sink);
	json_decref(control(id, ctl));
	CHECK_INT(deliver_sink(p, now, &ev, &e), 0);
	CHECK_INT(ev.status, PSP_EXPIRED);
	psp_close(p);
}

/* Sign body as Stripe does at time t with WHSEC and hand it over. */
static int stripe_hook(struct psp *p, const char *body, long long t,
		       const char *extra, struct psp_event *ev, struct err *e)
{
	char msg[8192], mac[65], sig[256];
	struct psp_header h = { "stripe-signature", sig };
	struct psp_webhook_req in = { &h, 1, body, strlen(body) };

	snprintf(msg, sizeof(msg), "%lld.%s", t, body);
	hmac_sha256_hex(WHSEC, strlen(WHSEC), msg, strlen(msg), mac);
	snprintf(sig, sizeof(sig), "t=%lld,%sv1=%s,v0=abc", t, extra ? extra
								     : "",
		 mac);
	return psp_webhook(p, &in, (instant_t)t + 10, ev, e);
}

#define EVT_HEAD                                                            \
	"{\"id\":\"evt_1Nabc\",\"object\":\"event\",\"created\":1795773600,"  \
	"\"livemode\":false,\"type\":\"checkout.session.completed\","       \
	"\"data\":{\"object\":{\"id\":\"cs_test_a1\",\"object\":"           \
	"\"checkout.session\","
#define EVT_META                                                            \
	"\"metadata\":{\"tenant\":\"acme\",\"case_id\":\"42\"},"

TEST(test_stripe_webhook_bad)
{
	struct psp *p = open_ok(stripe_cfg);
	struct psp_event ev = { .case_id = 9 };
	struct err e = { "" };
	const long long t = 1795773600;

	/* a well-formed event made here: accepted */
	CHECK_INT(stripe_hook(p, EVT_HEAD EVT_META "\"amount_total\":500,"
			      "\"currency\":\"eur\",\"payment_status\":"
			      "\"paid\",\"client_reference_id\":\"42\"}}}",
			      t, NULL, &ev, &e),
		  0);
	CHECK_INT(ev.status, PSP_PAID);
	CHECK_INT(ev.amount, 500);
	CHECK_INT(ev.paid_at, 1795773600);
	CHECK_STR(ev.method, "");
	CHECK_STR(ev.reference, "");
	ev.case_id = 9;

#define BAD(body, code, needle)                                           \
	do {                                                              \
		CHECK_INT(stripe_hook(p, body, t, NULL, &ev, &e), code);  \
		CHECK_MSG(e, needle);                                     \
	} while (0)
	BAD("{\"id\":", -ERR_INVALID, "stripe webhook: bad JSON");
	BAD("[1]", -ERR_INVALID, "not a JSON object");
	BAD("{\"id\":\"x\"}", -ERR_INVALID, "id: not an event id");
	BAD("{\"id\":\"evt_1\",\"type\":5}", -ERR_INVALID,
	    "stripe webhook: type: expected a string");
	BAD("{\"id\":\"evt_1\",\"type\":\"x\",\"livemode\":true}", -ERR_INVALID,
	    "livemode: a live event, but the key is a test key");
	BAD(EVT_HEAD EVT_META "\"currency\":\"eur\",\"payment_status\":"
			      "\"paid\"}}}",
	    -ERR_INVALID, "data.object.amount_total: missing");
	BAD(EVT_HEAD EVT_META "\"amount_total\":\"500\",\"currency\":\"eur\","
			      "\"payment_status\":\"paid\"}}}",
	    -ERR_INVALID, "data.object.amount_total: expected a whole number");
	BAD(EVT_HEAD EVT_META "\"amount_total\":-500,\"currency\":\"eur\","
			      "\"payment_status\":\"paid\"}}}",
	    -ERR_RANGE, "data.object.amount_total: -500 is negative");
	BAD(EVT_HEAD EVT_META "\"amount_total\":99999999999999999999,"
			      "\"currency\":\"eur\",\"payment_status\":"
			      "\"paid\"}}}",
	    -ERR_INVALID, "bad JSON");
	BAD(EVT_HEAD EVT_META "\"amount_total\":0,\"currency\":\"eur\","
			      "\"payment_status\":\"paid\"}}}",
	    -ERR_RANGE, "amount_total: expected more than 0");
	BAD(EVT_HEAD EVT_META "\"amount_total\":500,\"currency\":\"EUR\","
			      "\"payment_status\":\"paid\"}}}",
	    -ERR_INVALID, "data.object.currency: EUR: expected a lower-case");
	BAD(EVT_HEAD EVT_META "\"amount_total\":500,\"currency\":\"xyz\","
			      "\"payment_status\":\"paid\"}}}",
	    -ERR_INVALID, "xyz is not an ISO 4217 code");
	BAD(EVT_HEAD EVT_META "\"amount_total\":500,\"currency\":\"eur\","
			      "\"payment_status\":\"no_payment_required\"}}}",
	    -ERR_INVALID, "payment_status: no_payment_required");
	BAD(EVT_HEAD EVT_META "\"amount_total\":500,\"currency\":\"eur\"}}}",
	    -ERR_INVALID, "data.object.payment_status: missing");
	BAD(EVT_HEAD "\"metadata\":{\"tenant\":\"acme\",\"case_id\":\"04\"},"
		     "\"amount_total\":500,\"currency\":\"eur\","
		     "\"payment_status\":\"paid\"}}}",
	    -ERR_INVALID, "metadata.case_id: expected a case id");
	BAD(EVT_HEAD "\"metadata\":{\"case_id\":\"4\"},\"amount_total\":500,"
		     "\"currency\":\"eur\",\"payment_status\":\"paid\"}}}",
	    -ERR_INVALID, "data.object.metadata.tenant: missing");
	BAD(EVT_HEAD EVT_META "\"client_reference_id\":\"43\","
			      "\"amount_total\":500,\"currency\":\"eur\","
			      "\"payment_status\":\"paid\"}}}",
	    -ERR_INVALID, "client_reference_id: not the case id");
	BAD("{\"id\":\"evt_1\",\"created\":1,\"livemode\":false,\"type\":"
	    "\"checkout.session.completed\",\"data\":{\"object\":{\"id\":"
	    "\"pi_1\",\"object\":\"payment_intent\"}}}",
	    -ERR_INVALID, "data.object.object: expected checkout.session");
	BAD("{\"id\":\"evt_1\",\"created\":1,\"livemode\":false,\"type\":"
	    "\"checkout.session.completed\"}",
	    -ERR_INVALID, "stripe webhook: data: missing");
#undef BAD
	CHECK_INT(ev.case_id, 9); /* untouched by every failure */

	/* not dunwell's session: ignored, not an error */
	CHECK_INT(stripe_hook(p, EVT_HEAD "\"amount_total\":500,\"currency\":"
				 "\"eur\",\"payment_status\":\"paid\"}}}",
			      t, NULL, &ev, &e),
		  PSP_IGNORED);
	CHECK_MSG(e, "no dunwell metadata");
	CHECK_STR(ev.event_id, "evt_1Nabc");

	/* headers: missing, no t, no v1, two t's, garbage */
	{
		static const char body[] = "{}";
		struct psp_header h = { "Stripe-Signature", NULL };
		struct psp_webhook_req in = { &h, 1, body, 2 };
		static const struct {
			const char *sig, *needle;
		} cases[] = {
			{ "v1=00", "no timestamp t=" },
			{ "t=1795773600", "no v1 signature" },
			{ "t=1795773600,v0=abc", "no v1 signature" },
			{ "t=1,t=2,v1=00", "t: expected one Unix time" },
			{ "t=-5,v1=00", "t: expected one Unix time" },
			{ "t=1795773600,garbage", "an item without '='" },
			{ "t=1795773600,v1=zz", "no v1 signature matches" },
		};
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			h.value = cases[i].sig;
			CHECK_INT(psp_webhook(p, &in, t, &ev, &e),
				  -ERR_INVALID);
			CHECK_MSG(e, cases[i].needle);
		}
		in.n_headers = 0;
		CHECK_INT(psp_webhook(p, &in, t, &ev, &e), -ERR_INVALID);
		CHECK_MSG(e, "no Stripe-Signature header");
	}
	/* a tampered body: signed, then one byte changed */
	{
		char body[] = EVT_HEAD EVT_META "\"amount_total\":500,"
			      "\"currency\":\"eur\",\"payment_status\":"
			      "\"paid\"}}}";
		char msg[4096], mac[65], sig[128];
		struct psp_header h = { "Stripe-Signature", sig };
		struct psp_webhook_req in = { &h, 1, body, strlen(body) };
		snprintf(msg, sizeof(msg), "%lld.%s", t, body);
		hmac_sha256_hex(WHSEC, strlen(WHSEC), msg, strlen(msg), mac);
		snprintf(sig, sizeof(sig), "t=%lld,v1=%s", t, mac);
		CHECK_INT(psp_webhook(p, &in, t, &ev, &e), 0);
		*strstr(body, "500") = '9';
		CHECK_INT(psp_webhook(p, &in, t, &ev, &e), -ERR_INVALID);
		CHECK_MSG(e, "no v1 signature matches");
	}
	/* oversized */
	{
		static char big[PSP_WEBHOOK_BODY_MAX + 2];
		struct psp_webhook_req in = { NULL, 0, big, sizeof(big) - 1 };
		memset(big, ' ', sizeof(big) - 1);
		CHECK_INT(psp_webhook(p, &in, t, &ev, &e), -ERR_TOOBIG);
	}
	psp_close(p);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_config);
	if (fake_start() < 0) {
		printf("FAIL fake_psp: could not start %s (%s)\n", FAKE,
		       strerror(errno));
		fake_stop();
		return 1;
	}
	snprintf(mollie_cfg, sizeof(mollie_cfg),
		 "mollie:http://127.0.0.1:%d/?key=" MOLLIE_KEY, fake.port);
	snprintf(stripe_cfg, sizeof(stripe_cfg),
		 "stripe:http://127.0.0.1:%d?key=" STRIPE_KEY
		 "&webhook_secret=" WHSEC "&version=2024-06-20", fake.port);
	snprintf(sink, sizeof(sink), "http://127.0.0.1:%d/_sink/hook",
		 fake.port);
	RUN(test_request_checks);
	RUN(test_mollie_checkout);
	RUN(test_mollie_errors);
	RUN(test_mollie_webhook);
	RUN(test_mollie_webhook_bad);
	RUN(test_stripe_checkout);
	RUN(test_stripe_errors);
	RUN(test_stripe_webhook);
	RUN(test_stripe_webhook_bad);
	fake_stop();
	return CHECK_DONE();
}
