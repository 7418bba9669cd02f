/*
 * test_deliver_http: the HTTP delivery adapters (Twilio, MessageBird,
 * WhatsApp Cloud API, the tenant's push webhook) and http_client, against
 * tests/tools/fake_providers.py on a free loopback port.
 *
 * The fake checks each request the way the provider does (path, auth,
 * content type, required fields) and records it; these tests then read
 * what arrived (form fields, JSON fields, auth, idempotency header, the
 * webhook signature as verified in Python with the secret) and check the
 * results the adapters mapped from the providers' real answers: success
 * ids, invalid numbers, unsubscribed, rate limits with Retry-After, 5xx
 * with an HTML body, timeouts, wrong credentials. Requests of one batch
 * must overlap (the fake counts requests in flight). The status-report
 * parsers are fed the providers' documented sample payloads.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "deliver.h"
#include "deliver_sms_bird.h"
#include "deliver_sms_twilio.h"
#include "deliver_webhook.h"
#include "deliver_whatsapp.h"
#include "delivery_event.h"
#include "err.h"
#include "http_client.h"
#include "token.h"

#define FAKE "tests/tools/fake_providers.py"
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define TW_ACCOUNT "AC0123456789abcdef0123456789abcdef"
#define TW_TOKEN "twilio-test-token"
#define BIRD_KEY "bird-test-key"
#define WA_PHONE "106540352242922"
#define WA_TOKEN "wa-test-token"
#define HOOK_SECRET "webhook-test-secret-123"

#define CHECK_MSG(e, needle)                                                \
	do {                                                                \
		if (!strstr((e).msg, (needle))) {                           \
			printf("  %s:%d: message \"%s\" lacks \"%s\"\n",    \
			       __FILE__, __LINE__, (e).msg, (needle));      \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

/* 2026-11-27T10:00:00Z */
static const instant_t when = 1795773600;

/* ---- the fake providers -------------------------------------------------- */

static struct {
	pid_t pid;        /* the python process, 0 when not running */
	int in_fd;        /* its stdin: closing it ends it */
	int port;         /* where it listens */
	char record[256]; /* the JSON-lines file it writes */
} fake;

static int fake_start(void)
{
	int in[2], out[2];
	const char *tmp = getenv("TMPDIR");
	char line[64] = "";
	FILE *f;
	int fd;

	snprintf(fake.record, sizeof(fake.record), "%s/dunwell-fake-XXXXXX",
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
		       "--twilio-account", TW_ACCOUNT, "--twilio-token",
		       TW_TOKEN, "--bird-key", BIRD_KEY, "--wa-phone-id",
		       WA_PHONE, "--wa-token", WA_TOKEN, "--webhook-secret",
		       HOOK_SECRET, (char *)NULL);
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

/* Every recorded request, in order of completion (a JSON array). */
static json_t *records(void)
{
	json_t *all = json_array();
	char line[256 * 1024];
	FILE *f = fopen(fake.record, "r");

	if (!f)
		return all;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		if (j)
			json_array_append_new(all, j);
	}
	fclose(f);
	return all;
}

/* The request of `provider` whose where.key (where: "headers", "json",
 * "form") is value; a new reference, or NULL. */
static json_t *find_record(const char *provider, const char *where,
			   const char *key, const char *value)
{
	json_t *all = records(), *r, *found = NULL;
	size_t i;

	json_array_foreach(all, i, r) {
		const char *p = json_string_value(json_object_get(r, "provider"));
		const char *v = json_string_value(
			json_object_get(json_object_get(r, where), key));
		if (p && v && !strcmp(p, provider) && !strcmp(v, value)) {
			found = json_incref(r);
			break;
		}
	}
	json_decref(all);
	return found;
}

/* How many requests of provider were recorded. */
static size_t count_records(const char *provider)
{
	json_t *all = records(), *r;
	size_t i, n = 0;

	json_array_foreach(all, i, r)
		n += !strcmp(json_string_value(json_object_get(r, "provider")),
			     provider);
	json_decref(all);
	return n;
}

static const char *jstr(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

static const char *jstr2(json_t *j, const char *k1, const char *k2)
{
	return json_string_value(json_object_get(json_object_get(j, k1), k2));
}

/* A message with the fields every adapter reads. */
static struct deliver_msg msg(const char *key, enum channel ch,
			      const char *to, const char *text)
{
	struct deliver_msg m = {
		.id = 1,
		.idempotency_key = key,
		.channel = ch,
		.to = to,
		.to_name = "Anna de Vries",
		.tenant = "acme",
		.locale = "nl-NL",
		.subject = "",
		.text = text,
		.link = "https://pay.example/p/Ab3dE",
		.now = when,
	};
	return m;
}

/* Open a backend; CHECKs success. */
static void *open_ok(const struct deliver_backend *be, const char *config)
{
	struct err e = { "" };
	void *h = NULL;
	int rc = be->open(config, &h, &e);

	if (rc != 0)
		printf("  open(%s): %s\n", be->scheme, e.msg);
	CHECK_INT(rc, 0);
	return h;
}

/* open must fail with a message holding `needle` and never the secret. */
static void open_fails(const struct deliver_backend *be, const char *config,
		       const char *needle, const char *secret)
{
	struct err e = { "" };
	void *h = NULL;

	CHECK(be->open(config, &h, &e) < 0);
	CHECK(h == NULL);
	CHECK_MSG(e, needle);
	if (secret && strstr(e.msg, secret)) {
		printf("  %s:%d: message \"%s\" shows the secret\n", __FILE__,
		       __LINE__, e.msg);
		check_failed_here++;
	}
}

static void print_results(const struct deliver_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printf("    [%zu] status %d id \"%s\" retry %d error \"%s\"\n",
		       i, (int)r[i].status, r[i].provider_id, r[i].retry_after,
		       r[i].error);
}

/* ---- http_client --------------------------------------------------------- */

TEST(test_http_client_config)
{
	struct http_client_config c;
	struct err e = { "" };
	char v[16];
	int x;

	CHECK_INT(http_client_config_parse(
			  "twilio:https://api.example?from=+3197010&token=a%2Bb"
			  "&&callback=https%3A%2F%2Fx.example%2Fcb%3Fa%3D1",
			  "twilio", &c, &e),
		  0);
	CHECK_STR(c.base, "https://api.example");
	CHECK_INT(c.n, 3);
	CHECK_STR(http_client_config_get(&c, "from"), "+3197010"); /* + kept */
	CHECK_STR(http_client_config_get(&c, "token"), "a+b");
	CHECK_STR(http_client_config_get(&c, "callback"),
		  "https://x.example/cb?a=1");
	CHECK(http_client_config_get(&c, "nope") == NULL);
	CHECK_INT(http_client_config_unused(&c, "twilio", "k", &e), 0);
	CHECK_STR(c.raw[1], "token=a%2Bb");
	http_client_config_free(&c);

	/* no base, an unknown key named (not its value), an integer */
	CHECK_INT(http_client_config_parse("bird:?key=s3cr3t&timeout=5&colour=x",
					   "bird", &c, &e),
		  0);
	CHECK_STR(c.base, "");
	CHECK_STR(http_client_config_get(&c, "key"), "s3cr3t");
	CHECK_INT(http_client_config_int(&c, "bird", "timeout", 1, 120, 30, &x,
					 &e),
		  0);
	CHECK_INT(x, 5);
	CHECK_INT(http_client_config_unused(&c, "bird", "key, timeout", &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "unknown parameter colour");
	CHECK_INT(http_client_config_int(&c, "bird", "retries", 1, 9, 3, &x,
					 &e),
		  0);
	CHECK_INT(x, 3);
	http_client_config_free(&c);

	CHECK_INT(http_client_config_parse("bird:?timeout=0", "bird", &c, &e),
		  0);
	CHECK_INT(http_client_config_int(&c, "bird", "timeout", 1, 120, 30, &x,
					 &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "timeout=0: expected a whole number from 1 to 120");
	http_client_config_free(&c);

	CHECK_INT(http_client_config_parse("smtp://x", "twilio", &c, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "must start with \"twilio:\"");
	CHECK_INT(http_client_config_parse("twilio:?a=1&a=2", "twilio", &c, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "parameter a given twice");
	CHECK_INT(http_client_config_parse("twilio:?a=1&b", "twilio", &c, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "parameter 2 has no name=value form");
	CHECK_INT(http_client_config_parse("twilio:?token=%zz", "twilio", &c,
					   &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "token: bad %-escape");

	/* URLs: https anywhere, http only to loopback */
	CHECK_INT(http_client_check_url("https://api.twilio.com", "u", &e), 0);
	CHECK_INT(http_client_check_url("http://127.0.0.1:8080/x", "u", &e), 0);
	CHECK_INT(http_client_check_url("http://localhost", "u", &e), 0);
	CHECK_INT(http_client_check_url("http://[::1]:9/", "u", &e), 0);
	CHECK_INT(http_client_check_url("http://api.twilio.com", "u", &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "only allowed to a loopback host");
	CHECK_INT(http_client_check_url("http://127.0.0.1.evil.example", "u",
					&e),
		  -ERR_INVALID);
	CHECK_INT(http_client_check_url("ftp://x", "u", &e), -ERR_INVALID);
	CHECK_INT(http_client_check_url("https://u:p@x", "u", &e),
		  -ERR_INVALID);
	CHECK_INT(http_client_check_url("https://x/a b", "u", &e),
		  -ERR_INVALID);

	/* form fields: '+' is a space, %XX decoded; bounds */
	{
		static const char f[] = "A=1&To=%2B31+6&Empty=&Big=0123456789"
					"abcdef";
		CHECK_INT(http_client_form_get(f, strlen(f), "To", v, sizeof(v),
					       &e),
			  0);
		CHECK_STR(v, "+31 6");
		CHECK_INT(http_client_form_get(f, strlen(f), "Empty", v,
					       sizeof(v), &e),
			  0);
		CHECK_STR(v, "");
		snprintf(v, sizeof(v), "keep");
		CHECK_INT(http_client_form_get(f, strlen(f), "Big", v,
					       sizeof(v), &e),
			  -ERR_TOOBIG);
		CHECK_STR(v, "keep");
		CHECK_INT(http_client_form_get(f, strlen(f), "B", v, sizeof(v),
					       &e),
			  -ERR_NOTFOUND);
		CHECK_INT(http_client_form_get("x=%4", 4, "x", v, sizeof(v),
					       &e),
			  -ERR_INVALID);
		CHECK_INT(http_client_form_get("x=%00", 5, "x", v, sizeof(v),
					       &e),
			  -ERR_INVALID);
	}
	{
		struct buf b;
		buf_init(&b, 64);
		CHECK_INT(http_client_form_add(&b, "Body", "a b&c=d+é"), 0);
		CHECK_INT(http_client_form_add(&b, "To", "+31"), 0);
		CHECK_STR(buf_cstr(&b), "Body=a%20b%26c%3Dd%2B%C3%A9&To=%2B31");
		CHECK_INT(http_client_form_add(&b, "X", "0123456789012345678901"
							"23456789"),
			  -ERR_TOOBIG);
		CHECK_STR(buf_cstr(&b), "Body=a%20b%26c%3Dd%2B%C3%A9&To=%2B31");
		buf_free(&b);
	}
	CHECK(http_client_is_e164("+31612345678"));
	CHECK(!http_client_is_e164("0612345678"));
	CHECK(!http_client_is_e164("+0612345678"));
	CHECK(!http_client_is_e164("+3161234567890123"));
	CHECK(!http_client_is_e164("+31 612345678"));
	{
		struct deliver_result r;
		/* control characters become spaces; a cut keeps UTF-8 whole */
		http_client_result(&r, DELIVER_RETRY, "id", 3, "a\nb\tc");
		CHECK_STR(r.error, "a b c");
		CHECK_STR(r.provider_id, "id");
		char big[600];
		memset(big, 'x', sizeof(big));
		memcpy(big + 253, "\xc3\xa9\xc3\xa9", 4);
		big[sizeof(big) - 1] = '\0';
		http_client_result(&r, DELIVER_RETRY, NULL, 0, "%s", big);
		CHECK_INT(strlen(r.error), 253);
	}
}

/* A POST to a port nobody listens on: status 0 and a reason. */
TEST(test_http_client_refused)
{
	struct http_client *c = http_client_new(5, 2);
	struct http_client_req req = {
		.url = "http://127.0.0.1:1/x",
		.content_type = "application/json",
		.body = "{}",
		.body_len = 2,
	};
	struct http_client_resp resp;
	struct err e = { "" };

	CHECK_INT(http_client_post_many(c, &req, 1, when, &resp, &e), 0);
	CHECK_INT(resp.status, 0);
	CHECK(strstr(resp.error, "no answer") != NULL);
	http_client_resp_free(&resp, 1);
	http_client_free(c);
}

/* ---- Twilio -------------------------------------------------------------- */

static char tw_config[512];

TEST(test_twilio_open)
{
	const struct deliver_backend *be = &deliver_sms_twilio;
	void *h;

	CHECK_STR(be->scheme, "twilio");
	CHECK_INT(be->channel, CHANNEL_SMS);
	h = open_ok(be, "twilio:?account=" TW_ACCOUNT "&token=SECRET-XYZ"
			"&service=MG0123456789abcdef0123456789abcdef");
	be->close(h);
	open_fails(be, "twilio:https://api.twilio.com?token=SECRET-XYZ&from=x",
		   "account= missing", "SECRET-XYZ");
	open_fails(be, "twilio:?account=AC12&token=SECRET-XYZ&from=x",
		   "account=: expected the Account SID", "SECRET-XYZ");
	open_fails(be, "twilio:?account=" TW_ACCOUNT "&from=x",
		   "token= missing", NULL);
	open_fails(be, "twilio:?account=" TW_ACCOUNT "&token=SECRET-XYZ",
		   "from= or service= needed", "SECRET-XYZ");
	open_fails(be, "twilio:http://api.twilio.com?account=" TW_ACCOUNT
		       "&token=SECRET-XYZ&from=x",
		   "http:// is only allowed to a loopback host", "SECRET-XYZ");
	open_fails(be, "twilio:?account=" TW_ACCOUNT "&token=SECRET-XYZ&from=x"
		       "&colour=red",
		   "unknown parameter colour", "SECRET-XYZ");
	open_fails(be, "twilio:?account=" TW_ACCOUNT "&token=SECRET-XYZ&from=x"
		       "&service=MG1",
		   "service=: expected a Messaging Service SID", "SECRET-XYZ");
	open_fails(be, "twilio:?account=" TW_ACCOUNT "&token=SECRET-XYZ&from=x"
		       "&timeout=999",
		   "timeout=999", "SECRET-XYZ");
	open_fails(be, "twilio:?account=" TW_ACCOUNT "&token=SECRET-XYZ&from=x"
		       "&callback=ftp://x",
		   "callback=", "SECRET-XYZ");
}

TEST(test_twilio_send)
{
	const struct deliver_backend *be = &deliver_sms_twilio;
	struct deliver_msg m[] = {
		msg("tw-ok-1", CHANNEL_SMS, "+31612345678",
		    "Hallo Anna, uw factuur staat open: pay.example/p/Ab3dE"),
		msg("tw-ok-2", CHANNEL_SMS, "+31612345679",
		    "Prijs €84,50 & meer = \"veel\" + 100%\nTot ziens"),
		msg("tw-invalid", CHANNEL_SMS, "+31900000001", "x"),
		msg("tw-unsub", CHANNEL_SMS, "+31910000001", "x"),
		msg("tw-landline", CHANNEL_SMS, "+31920000001", "x"),
		msg("tw-busy", CHANNEL_SMS, "+31990000001", "x"),
		msg("tw-down", CHANNEL_SMS, "+31980000001", "x"),
		msg("tw-local", CHANNEL_SMS, "0612345678", "x"),
		msg("tw-empty", CHANNEL_SMS, "+31612345670", ""),
	};
	struct deliver_result r[N_OF(m)];
	struct err e = { "" };
	void *h = open_ok(be, tw_config);
	json_t *rec;
	char basic[256], b64[128];

	if (!h)
		return;
	memset(r, 0xAA, sizeof(r));
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK_INT(r[1].status, DELIVER_SENT);
	CHECK_STR(r[0].error, "");
	CHECK_INT(strlen(r[0].provider_id), 34);
	CHECK(strncmp(r[0].provider_id, "SM", 2) == 0);
	CHECK(strcmp(r[0].provider_id, r[1].provider_id) != 0);
	CHECK_INT(r[2].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[2].error, "21211") != NULL);
	CHECK(strstr(r[2].error, "is not a valid phone number") != NULL);
	CHECK_INT(r[3].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[3].error, "21610") != NULL);
	CHECK_INT(r[4].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[4].error, "21614") != NULL);
	CHECK_INT(r[5].status, DELIVER_RETRY);
	CHECK_INT(r[5].retry_after, 7);
	CHECK(strstr(r[5].error, "HTTP 429, error 20429") != NULL);
	CHECK_INT(r[6].status, DELIVER_RETRY);
	CHECK(strstr(r[6].error, "HTTP 503") != NULL);
	CHECK(strstr(r[6].error, "(not JSON)") != NULL);
	CHECK_INT(r[7].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[7].error, "E.164") != NULL);
	CHECK_INT(r[8].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[8].error, "no text") != NULL);
	if (check_failed_here)
		print_results(r, N_OF(m));

	/* What Twilio received. */
	snprintf(basic, sizeof(basic), "%s:%s", TW_ACCOUNT, TW_TOKEN);
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)basic,
			  strlen(basic), sodium_base64_VARIANT_ORIGINAL);
	snprintf(basic, sizeof(basic), "Basic %s", b64);
	rec = find_record("twilio", "headers", "i-twilio-idempotency-token",
			  "tw-ok-2");
	CHECK(rec != NULL);
	CHECK_STR(jstr(rec, "path"),
		  "/2010-04-01/Accounts/" TW_ACCOUNT "/Messages.json");
	CHECK_STR(jstr2(rec, "headers", "authorization"), basic);
	CHECK_STR(jstr2(rec, "headers", "content-type"),
		  "application/x-www-form-urlencoded");
	CHECK_STR(jstr2(rec, "form", "To"), "+31612345679");
	CHECK_STR(jstr2(rec, "form", "From"), "+3197010000000");
	CHECK_STR(jstr2(rec, "form", "Body"), m[1].text);
	CHECK_STR(jstr2(rec, "form", "StatusCallback"),
		  "https://dunwell.example/hooks/twilio?t=1");
	CHECK(json_object_get(json_object_get(rec, "form"),
			      "MessagingServiceSid") == NULL);
	CHECK_STR(jstr2(rec, "response", "sid"), r[1].provider_id);
	json_decref(rec);
	/* The two refused locally never left. */
	rec = find_record("twilio", "headers", "i-twilio-idempotency-token",
			  "tw-local");
	CHECK(rec == NULL);
	json_decref(rec);
	be->close(h);
}

/* Wrong credentials: every message waits for the tenant to fix them. */
TEST(test_twilio_auth)
{
	const struct deliver_backend *be = &deliver_sms_twilio;
	struct deliver_msg m[] = {
		msg("tw-auth-1", CHANNEL_SMS, "+31612345678", "x"),
		msg("tw-auth-2", CHANNEL_SMS, "+31612345679", "x"),
	};
	struct deliver_result r[N_OF(m)];
	struct err e = { "" };
	char cfg[512];
	void *h;

	snprintf(cfg, sizeof(cfg),
		 "twilio:http://127.0.0.1:%d?account=%s&token=wrong"
		 "&service=MG0123456789abcdef0123456789abcdef",
		 fake.port, TW_ACCOUNT);
	h = open_ok(be, cfg);
	if (!h)
		return;
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	for (size_t i = 0; i < N_OF(m); i++) {
		CHECK_INT(r[i].status, DELIVER_RETRY);
		CHECK(strstr(r[i].error, "HTTP 401, error 20003") != NULL);
	}
	be->close(h);
}

/* A request must overlap the others; a slow one times out as RETRY. */
TEST(test_twilio_concurrent_and_timeout)
{
	const struct deliver_backend *be = &deliver_sms_twilio;
	struct deliver_msg m[6];
	struct deliver_result r[N_OF(m) + 1];
	char keys[N_OF(m)][16], tos[N_OF(m)][16], cfg[600];
	struct err e = { "" };
	json_t *all, *rec;
	json_int_t most = 0;
	size_t i;
	void *h;

	snprintf(cfg, sizeof(cfg), "%s&timeout=1", tw_config);
	h = open_ok(be, cfg);
	if (!h)
		return;
	for (i = 0; i < N_OF(m); i++) {
		snprintf(keys[i], sizeof(keys[i]), "tw-par-%zu", i);
		snprintf(tos[i], sizeof(tos[i]), "+3196000000%zu", i);
		m[i] = msg(keys[i], CHANNEL_SMS, tos[i], "parallel");
	}
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	for (i = 0; i < N_OF(m); i++)
		CHECK_INT(r[i].status, DELIVER_SENT);
	all = records();
	json_array_foreach(all, i, rec) {
		const char *k = jstr2(rec, "headers",
				      "i-twilio-idempotency-token");
		json_int_t n = json_integer_value(json_object_get(rec,
								  "inflight"));
		if (k && !strncmp(k, "tw-par-", 7) && n > most)
			most = n;
	}
	json_decref(all);
	if (most < 2)
		printf("  at most %lld requests in flight\n", (long long)most);
	CHECK(most >= 2);

	{
		struct deliver_msg slow = msg("tw-slow", CHANNEL_SMS,
					      "+31970000001", "slow");
		CHECK_INT(be->send(h, &slow, 1, r, &e), 0);
		CHECK_INT(r[0].status, DELIVER_RETRY);
		CHECK(strstr(r[0].error, "timed out after 1 s") != NULL);
	}
	/* too many at once is the caller's error */
	CHECK_INT(be->send(h, m, DELIVER_BATCH_MAX + 1, r, &e), -ERR_RANGE);
	be->close(h);
}

TEST(test_twilio_status)
{
	/* Twilio's documented status callback fields. */
	static const char sent[] =
		"SmsSid=SM1342fe1b2c904d1ab04f0fc7a58abca9&SmsStatus=sent"
		"&MessageStatus=sent&To=%2B15558675310"
		"&MessageSid=SM1342fe1b2c904d1ab04f0fc7a58abca9"
		"&AccountSid=AC0123456789abcdef0123456789abcdef"
		"&From=%2B15017250604&ApiVersion=2010-04-01";
	static const char delivered[] =
		"ApiVersion=2010-04-01&MessageStatus=delivered"
		"&SmsSid=SMb7c0a2ce80504485a6f653a7110836f5"
		"&SmsStatus=delivered&To=%2B31612345678&From=Dunwell"
		"&MessageSid=SMb7c0a2ce80504485a6f653a7110836f5"
		"&AccountSid=AC0123456789abcdef0123456789abcdef";
	static const char unknown_handset[] =
		"ErrorCode=30005&MessageSid=SMaaaa&MessageStatus=undelivered"
		"&ErrorMessage=Unknown+destination+handset";
	static const char unreachable[] =
		"ErrorCode=30003&MessageSid=SMbbbb&MessageStatus=undelivered";
	static const char failed[] =
		"MessageSid=SMcccc&MessageStatus=failed&ErrorCode=30008";
	static const char read_[] = "MessageSid=SMdddd&MessageStatus=read";
	static const char queued_old[] = "SmsSid=SMeeee&SmsStatus=queued";
	static const char inbound[] =
		"MessageSid=SMffff&SmsStatus=received&MessageStatus=received"
		"&Body=STOP";
	char id[64];
	enum delivery_event ev = DELIVERY_CLICKED;
	struct err e = { "" };

	CHECK_INT(sms_twilio_parse_status(sent, strlen(sent), id, sizeof(id),
					  &ev, &e),
		  0);
	CHECK_STR(id, "SM1342fe1b2c904d1ab04f0fc7a58abca9");
	CHECK_INT(ev, DELIVERY_SENT);
	CHECK_INT(sms_twilio_parse_status(delivered, strlen(delivered), id,
					  sizeof(id), &ev, &e),
		  0);
	CHECK_STR(id, "SMb7c0a2ce80504485a6f653a7110836f5");
	CHECK_INT(ev, DELIVERY_DELIVERED);
	CHECK_INT(sms_twilio_parse_status(unknown_handset,
					  strlen(unknown_handset), id,
					  sizeof(id), &ev, &e),
		  0);
	CHECK_STR(id, "SMaaaa");
	CHECK_INT(ev, DELIVERY_BOUNCED);
	CHECK_INT(sms_twilio_parse_status(unreachable, strlen(unreachable), id,
					  sizeof(id), &ev, &e),
		  0);
	CHECK_INT(ev, DELIVERY_FAILED);
	CHECK_INT(sms_twilio_parse_status(failed, strlen(failed), id,
					  sizeof(id), &ev, &e),
		  0);
	CHECK_INT(ev, DELIVERY_FAILED);
	CHECK_INT(sms_twilio_parse_status(read_, strlen(read_), id, sizeof(id),
					  &ev, &e),
		  0);
	CHECK_INT(ev, DELIVERY_OPENED);
	CHECK_INT(sms_twilio_parse_status(queued_old, strlen(queued_old), id,
					  sizeof(id), &ev, &e),
		  0);
	CHECK_STR(id, "SMeeee");
	CHECK_INT(ev, DELIVERY_SENT);

	/* failures leave the outputs alone */
	snprintf(id, sizeof(id), "keep");
	ev = DELIVERY_CLICKED;
	CHECK_INT(sms_twilio_parse_status(inbound, strlen(inbound), id,
					  sizeof(id), &ev, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "inbound message");
	CHECK_INT(sms_twilio_parse_status("MessageSid=SM1&MessageStatus=lost",
					  33, id, sizeof(id), &ev, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "unknown MessageStatus lost");
	CHECK_INT(sms_twilio_parse_status("MessageStatus=sent", 18, id,
					  sizeof(id), &ev, &e),
		  -ERR_NOTFOUND);
	CHECK_MSG(e, "SmsSid: missing");
	CHECK_INT(sms_twilio_parse_status(sent, strlen(sent), id, 8, &ev, &e),
		  -ERR_TOOBIG);
	CHECK_STR(id, "keep");
	CHECK_INT(ev, DELIVERY_CLICKED);
}

/* ---- MessageBird --------------------------------------------------------- */

TEST(test_bird_send)
{
	const struct deliver_backend *be = &deliver_sms_bird;
	struct deliver_msg m[] = {
		msg("bird-ok-1", CHANNEL_SMS, "+31612345678",
		    "Hallo Anna, € 84,50 staat open"),
		msg("bird-invalid", CHANNEL_SMS, "+31900000002", "x"),
		msg("bird-bad-rcpt", CHANNEL_SMS, "+31910000002", "x"),
		msg("bird-balance", CHANNEL_SMS, "+31920000002", "x"),
		msg("bird-busy", CHANNEL_SMS, "+31990000002", "x"),
		msg("bird-down", CHANNEL_SMS, "+31980000002", "x"),
	};
	struct deliver_result r[N_OF(m)];
	struct err e = { "" };
	char cfg[512];
	json_t *rec, *j;
	void *h;

	CHECK_STR(be->scheme, "bird");
	open_fails(be, "bird:?from=Dunwell", "key= missing", NULL);
	open_fails(be, "bird:?key=SECRET-XYZ", "from= missing", "SECRET-XYZ");
	open_fails(be, "bird:?key=SECRET-XYZ&from=Far+Too+Long+Name",
		   "from=Far+Too+Long+Name: expected", "SECRET-XYZ");
	open_fails(be, "bird:http://rest.messagebird.com?key=SECRET-XYZ"
		       "&from=Dunwell",
		   "loopback", "SECRET-XYZ");
	snprintf(cfg, sizeof(cfg),
		 "bird:http://127.0.0.1:%d/?key=%s&from=Dunwell"
		 "&report=https://dunwell.example/hooks/bird",
		 fake.port, BIRD_KEY);
	h = open_ok(be, cfg);
	if (!h)
		return;
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK_INT(strlen(r[0].provider_id), 32);
	CHECK_INT(r[1].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[1].error, "error 9 on recipient: no (correct) "
				 "recipients found") != NULL);
	CHECK_INT(r[2].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[2].error, "error 10") != NULL);
	CHECK_INT(r[3].status, DELIVER_RETRY);
	CHECK(strstr(r[3].error, "error 25") != NULL);
	CHECK_INT(r[4].status, DELIVER_RETRY);
	CHECK_INT(r[4].retry_after, 7);
	CHECK_INT(r[5].status, DELIVER_RETRY);
	if (check_failed_here)
		print_results(r, N_OF(m));

	rec = find_record("bird", "json", "reference", "bird-ok-1");
	CHECK(rec != NULL);
	CHECK_STR(jstr2(rec, "headers", "authorization"),
		  "AccessKey " BIRD_KEY);
	CHECK_STR(jstr2(rec, "headers", "content-type"), "application/json");
	CHECK_STR(jstr(rec, "path"), "/messages");
	j = json_object_get(rec, "json");
	CHECK_INT(json_array_size(json_object_get(j, "recipients")), 1);
	CHECK_STR(json_string_value(
			  json_array_get(json_object_get(j, "recipients"), 0)),
		  "31612345678");
	CHECK_STR(jstr(j, "originator"), "Dunwell");
	CHECK_STR(jstr(j, "body"), m[0].text);
	CHECK_STR(jstr(j, "datacoding"), "auto");
	CHECK_STR(jstr(j, "reportUrl"), "https://dunwell.example/hooks/bird");
	CHECK_STR(jstr2(rec, "response", "id"), r[0].provider_id);
	json_decref(rec);

	/* a wrong key: the account's problem, retried */
	be->close(h);
	snprintf(cfg, sizeof(cfg),
		 "bird:http://127.0.0.1:%d?key=wrong&from=Dunwell", fake.port);
	h = open_ok(be, cfg);
	if (!h)
		return;
	CHECK_INT(be->send(h, m, 1, r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_RETRY);
	CHECK(strstr(r[0].error, "HTTP 401, error 2 on access_key: Request "
				 "not allowed (incorrect access_key)") !=
	      NULL);
	be->close(h);
}

TEST(test_bird_report)
{
	/* MessageBird's documented report (a GET query string). */
	static const char delivered[] =
		"id=e8077d803532c0b5937c639b60216938&reference=YouReference123"
		"&recipient=31612345678&status=delivered"
		"&statusDatetime=2016-05-03T08%3A58%3A10%2B00%3A00";
	static const char unknown[] =
		"id=e8077d803532c0b5937c639b60216938&reference=r2"
		"&recipient=31612345678&status=delivery_failed"
		"&statusDatetime=2016-05-03T08%3A58%3A10%2B00%3A00"
		"&statusReason=unknown+subscriber&statusErrorCode=1";
	static const char absent[] =
		"id=abc&status=delivery_failed&statusReason=unavailable"
		"%20subscriber&statusErrorCode=27";
	static const char json[] =
		" {\"id\": \"f1\", \"reference\": \"bird-ok-1\", \"recipient\":"
		" 31612345678, \"status\": \"buffered\", \"statusReason\":"
		" \"pending DLR\"}";
	static const char expired[] = "id=x1&status=expired";
	struct delivery_report d;
	struct err e = { "" };

	CHECK_INT(sms_bird_parse_report(delivered, strlen(delivered), &d, &e),
		  0);
	CHECK_STR(d.provider_id, "e8077d803532c0b5937c639b60216938");
	CHECK_STR(d.reference, "YouReference123");
	CHECK_INT(d.event, DELIVERY_DELIVERED);
	CHECK_STR(d.code, "");
	CHECK_INT(sms_bird_parse_report(unknown, strlen(unknown), &d, &e), 0);
	CHECK_INT(d.event, DELIVERY_BOUNCED);
	CHECK_STR(d.code, "1");
	CHECK_STR(d.reference, "r2");
	CHECK_INT(sms_bird_parse_report(absent, strlen(absent), &d, &e), 0);
	CHECK_INT(d.event, DELIVERY_FAILED);
	CHECK_STR(d.code, "27");
	CHECK_STR(d.reference, "");
	CHECK_INT(sms_bird_parse_report(json, strlen(json), &d, &e), 0);
	CHECK_STR(d.provider_id, "f1");
	CHECK_STR(d.reference, "bird-ok-1");
	CHECK_INT(d.event, DELIVERY_SENT);
	CHECK_INT(sms_bird_parse_report(expired, strlen(expired), &d, &e), 0);
	CHECK_INT(d.event, DELIVERY_FAILED);

	memset(&d, 0x5A, sizeof(d));
	CHECK_INT(sms_bird_parse_report("id=1&status=teleported", 22, &d, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "unknown status teleported");
	CHECK_INT(sms_bird_parse_report("status=sent", 11, &d, &e),
		  -ERR_NOTFOUND);
	CHECK_MSG(e, "bird report: form field id: missing");
	CHECK_INT(sms_bird_parse_report("{\"id\": 1", 8, &d, &e), -ERR_INVALID);
	CHECK_MSG(e, "not a JSON object");
	CHECK_INT((unsigned char)d.provider_id[0], 0x5A);
}

/* ---- WhatsApp ------------------------------------------------------------ */

TEST(test_whatsapp_send)
{
	const struct deliver_backend *be = &deliver_whatsapp;
	struct deliver_msg m[] = {
		msg("wa-ok-1", CHANNEL_WHATSAPP, "+31612345678",
		    "Hallo Anna,\n\nuw factuur: https://pay.example/p/Ab3dE"),
		msg("wa-undeliverable", CHANNEL_WHATSAPP, "+31900000003", "x"),
		msg("wa-window", CHANNEL_WHATSAPP, "+31910000003", "x"),
		msg("wa-pair", CHANNEL_WHATSAPP, "+31920000003", "x"),
		msg("wa-rate", CHANNEL_WHATSAPP, "+31990000003", "x"),
		msg("wa-down", CHANNEL_WHATSAPP, "+31980000003", "x"),
	};
	struct deliver_result r[N_OF(m)];
	struct err e = { "" };
	char cfg[512];
	json_t *rec, *j;
	void *h;

	CHECK_STR(be->scheme, "whatsapp");
	CHECK_INT(be->channel, CHANNEL_WHATSAPP);
	open_fails(be, "whatsapp:?token=SECRET-XYZ", "phone_number_id= missing",
		   "SECRET-XYZ");
	open_fails(be, "whatsapp:?phone_number_id=12a&token=SECRET-XYZ",
		   "phone_number_id=: expected the digits", "SECRET-XYZ");
	open_fails(be, "whatsapp:?phone_number_id=12", "token= missing", NULL);
	open_fails(be, "whatsapp:?phone_number_id=12&token=SECRET-XYZ"
		       "&version=19",
		   "version=19: expected a Graph API version", "SECRET-XYZ");
	open_fails(be, "whatsapp:?phone_number_id=12&token=SECRET-XYZ"
		       "&template=Payment%20Reminder",
		   "template=Payment Reminder: expected", "SECRET-XYZ");
	open_fails(be, "whatsapp:?phone_number_id=12&token=SECRET-XYZ&lang=nl",
		   "lang= is for template= only", "SECRET-XYZ");

	snprintf(cfg, sizeof(cfg),
		 "whatsapp:http://127.0.0.1:%d?phone_number_id=%s&token=%s",
		 fake.port, WA_PHONE, WA_TOKEN);
	h = open_ok(be, cfg);
	if (!h)
		return;
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK(strncmp(r[0].provider_id, "wamid.", 6) == 0);
	CHECK_INT(r[1].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[1].error, "error 131026") != NULL);
	CHECK_INT(r[2].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[2].error, "error 131047") != NULL);
	CHECK(strstr(r[2].error, "24 hours") != NULL);
	CHECK_INT(r[3].status, DELIVER_RETRY);
	CHECK(strstr(r[3].error, "131056") != NULL);
	CHECK_INT(r[4].status, DELIVER_RETRY);
	CHECK(strstr(r[4].error, "HTTP 400, error 130429") != NULL);
	CHECK_INT(r[5].status, DELIVER_RETRY);
	if (check_failed_here)
		print_results(r, N_OF(m));

	rec = find_record("whatsapp", "json", "biz_opaque_callback_data",
			  "wa-ok-1");
	CHECK(rec != NULL);
	CHECK_STR(jstr(rec, "path"), "/v19.0/" WA_PHONE "/messages");
	CHECK_STR(jstr2(rec, "headers", "authorization"), "Bearer " WA_TOKEN);
	CHECK_STR(jstr2(rec, "headers", "content-type"), "application/json");
	j = json_object_get(rec, "json");
	CHECK_STR(jstr(j, "messaging_product"), "whatsapp");
	CHECK_STR(jstr(j, "to"), "+31612345678");
	CHECK_STR(jstr(j, "type"), "text");
	CHECK_STR(jstr2(j, "text", "body"), m[0].text);
	CHECK(json_is_true(json_object_get(json_object_get(j, "text"),
					   "preview_url")));
	CHECK_STR(json_string_value(json_object_get(
			  json_array_get(json_object_get(
						 json_object_get(rec, "response"),
						 "messages"),
					 0),
			  "id")),
		  r[0].provider_id);
	json_decref(rec);
	be->close(h);
}

/* template=NAME: the text goes as the body's first parameter, flattened;
 * the 24-hour window does not apply. */
TEST(test_whatsapp_template)
{
	const struct deliver_backend *be = &deliver_whatsapp;
	struct deliver_msg m[] = {
		msg("wa-tpl-1", CHANNEL_WHATSAPP, "+31612345678",
		    "Hallo Anna,\n\n\tuw factuur:      https://pay.example/p/x  "),
		msg("wa-tpl-2", CHANNEL_WHATSAPP, "+31910000004", "window"),
	};
	struct deliver_result r[N_OF(m)];
	struct err e = { "" };
	char cfg[512];
	json_t *rec, *t, *p0;
	void *h;

	snprintf(cfg, sizeof(cfg),
		 "whatsapp:http://127.0.0.1:%d/?phone_number_id=%s&token=%s"
		 "&version=v20.0&template=payment_reminder_2",
		 fake.port, WA_PHONE, WA_TOKEN);
	h = open_ok(be, cfg);
	if (!h)
		return;
	m[1].locale = NULL;
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK_INT(r[1].status, DELIVER_SENT);
	if (check_failed_here)
		print_results(r, N_OF(m));
	rec = find_record("whatsapp", "json", "biz_opaque_callback_data",
			  "wa-tpl-1");
	CHECK(rec != NULL);
	CHECK_STR(jstr(rec, "path"), "/v20.0/" WA_PHONE "/messages");
	CHECK_STR(jstr2(rec, "json", "type"), "template");
	t = json_object_get(json_object_get(rec, "json"), "template");
	CHECK_STR(jstr(t, "name"), "payment_reminder_2");
	CHECK_STR(jstr2(t, "language", "code"), "nl_NL");
	CHECK_STR(jstr(json_array_get(json_object_get(t, "components"), 0),
		       "type"),
		  "body");
	p0 = json_array_get(json_object_get(json_array_get(
				    json_object_get(t, "components"), 0),
					    "parameters"),
			    0);
	CHECK_STR(jstr(p0, "type"), "text");
	CHECK_STR(jstr(p0, "text"),
		  "Hallo Anna, uw factuur: https://pay.example/p/x");
	CHECK_STR(jstr2(rec, "response", "messaging_product"), "whatsapp");
	json_decref(rec);
	rec = find_record("whatsapp", "json", "biz_opaque_callback_data",
			  "wa-tpl-2");
	CHECK(rec != NULL);
	t = json_object_get(json_object_get(rec, "json"), "template");
	CHECK_STR(jstr2(t, "language", "code"), "en");
	json_decref(rec);
	be->close(h);

	/* lang= wins over the locale */
	snprintf(cfg, sizeof(cfg),
		 "whatsapp:http://127.0.0.1:%d?phone_number_id=%s&token=%s"
		 "&template=payment_reminder_2&lang=en_US&preview=0",
		 fake.port, WA_PHONE, WA_TOKEN);
	h = open_ok(be, cfg);
	if (!h)
		return;
	m[0].idempotency_key = "wa-tpl-3";
	CHECK_INT(be->send(h, m, 1, r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	rec = find_record("whatsapp", "json", "biz_opaque_callback_data",
			  "wa-tpl-3");
	CHECK(rec != NULL);
	t = json_object_get(json_object_get(rec, "json"), "template");
	CHECK_STR(jstr2(t, "language", "code"), "en_US");
	json_decref(rec);
	be->close(h);

	/* a wrong token */
	snprintf(cfg, sizeof(cfg),
		 "whatsapp:http://127.0.0.1:%d?phone_number_id=%s&token=nope",
		 fake.port, WA_PHONE);
	h = open_ok(be, cfg);
	if (!h)
		return;
	m[0].idempotency_key = "wa-bad-token";
	CHECK_INT(be->send(h, m, 1, r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_RETRY);
	CHECK(strstr(r[0].error, "HTTP 401, error 190") != NULL);
	be->close(h);
}

TEST(test_whatsapp_webhook)
{
	/* Meta's documented "messages" webhook with statuses. */
	static const char statuses[] =
		"{\"object\": \"whatsapp_business_account\", \"entry\": [{"
		"\"id\": \"102290129340398\", \"changes\": [{\"value\": {"
		"\"messaging_product\": \"whatsapp\", \"metadata\": {"
		"\"display_phone_number\": \"15550783881\", \"phone_number_id\":"
		" \"106540352242922\"}, \"statuses\": [{"
		"\"id\": \"wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA\","
		" \"status\": \"delivered\", \"timestamp\": \"1750263773\","
		" \"recipient_id\": \"16505551234\", \"conversation\": {\"id\":"
		" \"6ceb9d929c0bdc3da24c1ee5ee3b4b6a\", \"origin\": {\"type\":"
		" \"utility\"}}, \"pricing\": {\"billable\": true,"
		" \"pricing_model\": \"PMP\", \"category\": \"utility\"},"
		" \"biz_opaque_callback_data\": \"wa-ok-1\"},"
		" {\"id\": \"wamid.B\", \"status\": \"read\", \"timestamp\":"
		" \"1750263800\", \"recipient_id\": \"16505551234\"}]},"
		" \"field\": \"messages\"}]}, {\"id\": \"2\", \"changes\": [{"
		"\"value\": {\"messaging_product\": \"whatsapp\", \"statuses\":"
		" [{\"id\": \"wamid.C\", \"status\": \"failed\", \"timestamp\":"
		" \"1750263900\", \"recipient_id\": \"31900000003\", \"errors\":"
		" [{\"code\": 131026, \"title\": \"Message undeliverable\","
		" \"message\": \"Message undeliverable\", \"error_data\": {"
		"\"details\": \"Message Undeliverable.\"}}]}, {\"id\":"
		" \"wamid.D\", \"status\": \"failed\", \"errors\": [{\"code\":"
		" 131049, \"title\": \"This message was not delivered to"
		" maintain healthy ecosystem engagement.\"}]}, {\"id\":"
		" \"wamid.E\", \"status\": \"sent\"}, {\"id\": \"wamid.F\","
		" \"status\": \"deleted\"}]}, \"field\": \"messages\"}]}]}";
	/* An inbound message: no statuses at all. */
	static const char inbound[] =
		"{\"object\": \"whatsapp_business_account\", \"entry\": [{"
		"\"id\": \"1\", \"changes\": [{\"value\": {\"messaging_product\":"
		" \"whatsapp\", \"contacts\": [{\"profile\": {\"name\": \"Anna\"},"
		" \"wa_id\": \"31612345678\"}], \"messages\": [{\"from\":"
		" \"31612345678\", \"id\": \"wamid.IN\", \"timestamp\":"
		" \"1750263999\", \"text\": {\"body\": \"Ik betaal morgen\"},"
		" \"type\": \"text\"}]}, \"field\": \"messages\"}]}]}";
	static const char page[] = "{\"object\": \"page\", \"entry\": []}";
	static const char noid[] =
		"{\"entry\": [{\"changes\": [{\"value\": {\"statuses\":"
		" [{\"status\": \"sent\"}]}}]}]}";
	struct delivery_report d[8];
	size_t n = 99;
	struct err e = { "" };

	CHECK_INT(whatsapp_parse_webhook(statuses, strlen(statuses), d,
					 N_OF(d), &n, &e),
		  0);
	CHECK_INT(n, 5);
	CHECK_STR(d[0].provider_id,
		  "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA");
	CHECK_INT(d[0].event, DELIVERY_DELIVERED);
	CHECK_STR(d[0].reference, "wa-ok-1");
	CHECK_INT(d[1].event, DELIVERY_OPENED);
	CHECK_STR(d[1].reference, "");
	CHECK_STR(d[2].provider_id, "wamid.C");
	CHECK_INT(d[2].event, DELIVERY_BOUNCED);
	CHECK_STR(d[2].code, "131026");
	CHECK_INT(d[3].event, DELIVERY_FAILED);
	CHECK_STR(d[3].code, "131049");
	CHECK_INT(d[4].event, DELIVERY_SENT);
	CHECK_STR(d[4].provider_id, "wamid.E");
	CHECK_STR(delivery_event_name(d[2].event), "bounced");

	CHECK_INT(whatsapp_parse_webhook(inbound, strlen(inbound), d, N_OF(d),
					 &n, &e),
		  0);
	CHECK_INT(n, 0);

	n = 99;
	CHECK_INT(whatsapp_parse_webhook(statuses, strlen(statuses), d, 2, &n,
					 &e),
		  -ERR_TOOBIG);
	CHECK_INT(n, 99);
	CHECK_INT(whatsapp_parse_webhook(page, strlen(page), d, N_OF(d), &n,
					 &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "not a whatsapp_business_account notification");
	CHECK_INT(whatsapp_parse_webhook("[1", 2, d, N_OF(d), &n, &e),
		  -ERR_INVALID);
	CHECK_INT(whatsapp_parse_webhook(noid, strlen(noid), d, N_OF(d), &n,
					 &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "without id");
	CHECK_INT(n, 99);
}

/* ---- the tenant's push webhook ------------------------------------------- */

TEST(test_webhook_send)
{
	const struct deliver_backend *be = &deliver_webhook;
	struct deliver_msg m[] = {
		msg("hook-ok-1", CHANNEL_PUSH, "cust-42",
		    "Your invoice of EUR 84.50 is open"),
		msg("hook-gone", CHANNEL_PUSH, "gone-7", "x"),
		msg("hook-busy", CHANNEL_PUSH, "busy-7", "x"),
		msg("hook-down", CHANNEL_PUSH, "down-7", "x"),
		msg("hook-nobody", CHANNEL_PUSH, "", "x"),
	};
	struct deliver_result r[N_OF(m)];
	struct err e = { "" };
	char cfg[512], want[128], hex[65];
	json_t *rec, *j;
	struct buf s;
	void *h;

	CHECK_STR(be->scheme, "webhook");
	CHECK_INT(be->channel, CHANNEL_PUSH);
	open_fails(be, "webhook:https://app.example/push", "secret= missing",
		   NULL);
	open_fails(be, "webhook:https://app.example/push?secret=SHORT-XYZ",
		   "secret=: at least 16 characters", "SHORT-XYZ");
	open_fails(be, "webhook:?secret=" HOOK_SECRET, "the URL is missing",
		   HOOK_SECRET);
	open_fails(be, "webhook:http://app.example/push?secret=" HOOK_SECRET,
		   "loopback", HOOK_SECRET);

	/* the URL's own query (app=7) stays; secret= does not travel */
	snprintf(cfg, sizeof(cfg),
		 "webhook:http://127.0.0.1:%d/push/v1?app=7&secret=%s&x=a%%20b",
		 fake.port, HOOK_SECRET);
	h = open_ok(be, cfg);
	if (!h)
		return;
	CHECK_INT(be->send(h, m, N_OF(m), r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_SENT);
	CHECK_STR(r[0].error, "");
	CHECK_INT(r[1].status, DELIVER_HARD_FAIL);
	CHECK(strstr(r[1].error, "410") != NULL);
	CHECK_INT(r[2].status, DELIVER_RETRY);
	CHECK_INT(r[2].retry_after, 30);
	CHECK_INT(r[3].status, DELIVER_RETRY);
	CHECK(strstr(r[3].error, "HTTP 500") != NULL);
	CHECK_INT(r[4].status, DELIVER_HARD_FAIL);
	if (check_failed_here)
		print_results(r, N_OF(m));

	rec = find_record("webhook", "headers", "idempotency-key", "hook-ok-1");
	CHECK(rec != NULL);
	CHECK(json_is_true(json_object_get(rec, "signature_ok")));
	CHECK_STR(jstr(rec, "path"), "/push/v1");
	CHECK_STR(jstr(rec, "query"), "app=7&x=a%20b");
	CHECK_STR(jstr2(rec, "headers", "content-type"), "application/json");
	j = json_object_get(rec, "json");
	CHECK_STR(jstr(j, "id"), "hook-ok-1");
	CHECK_STR(jstr(j, "type"), "dunning.message");
	CHECK_STR(jstr(j, "customer"), "cust-42");
	CHECK_STR(jstr(j, "channel"), "push");
	CHECK_STR(jstr(j, "text"), m[0].text);
	CHECK_STR(jstr(j, "link"), "https://pay.example/p/Ab3dE");
	CHECK_STR(jstr(j, "locale"), "nl-NL");
	CHECK_STR(jstr(j, "created"), "2026-11-27T10:00:00Z");
	/* The header: t is the dispatcher's clock; v1 the HMAC of "t.body"
	 * (checked in Python above, and here with the same secret). */
	buf_init(&s, 1 << 20);
	buf_printf(&s, "%lld.%s", (long long)when, jstr(rec, "body"));
	CHECK_INT(hmac_sha256_hex(HOOK_SECRET, strlen(HOOK_SECRET), s.data,
				  s.len, hex),
		  0);
	buf_free(&s);
	snprintf(want, sizeof(want), "t=%lld,v1=%s", (long long)when, hex);
	CHECK_STR(jstr2(rec, "headers", "dunwell-signature"), want);
	json_decref(rec);
	be->close(h);

	/* signed with another secret: the app refuses it (401 -> RETRY) */
	snprintf(cfg, sizeof(cfg),
		 "webhook:http://127.0.0.1:%d/push?secret=another-secret-4567",
		 fake.port);
	h = open_ok(be, cfg);
	if (!h)
		return;
	m[0].idempotency_key = "hook-forged";
	CHECK_INT(be->send(h, m, 1, r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_RETRY);
	CHECK(strstr(r[0].error, "HTTP 401") != NULL);
	rec = find_record("webhook", "headers", "idempotency-key",
			  "hook-forged");
	CHECK(rec != NULL);
	CHECK(json_is_false(json_object_get(rec, "signature_ok")));
	json_decref(rec);

	/* a key that would inject a header is not sent */
	m[0].idempotency_key = "k\r\nX-Evil: 1";
	CHECK_INT(be->send(h, m, 1, r, &e), 0);
	CHECK_INT(r[0].status, DELIVER_HARD_FAIL);
	be->close(h);
}

/* Nothing listens: every message is RETRY, the call itself succeeds. */
TEST(test_provider_unreachable)
{
	static const struct deliver_backend *const bes[] = {
		&deliver_sms_twilio, &deliver_sms_bird, &deliver_whatsapp,
		&deliver_webhook,
	};
	static const char *const cfgs[] = {
		"twilio:http://127.0.0.1:1?account=" TW_ACCOUNT "&token=t&from=x",
		"bird:http://127.0.0.1:1?key=k&from=Dunwell",
		"whatsapp:http://127.0.0.1:1?phone_number_id=1&token=t",
		"webhook:http://127.0.0.1:1/push?secret=" HOOK_SECRET,
	};
	size_t before = count_records("twilio");

	for (size_t i = 0; i < N_OF(bes); i++) {
		struct deliver_msg m = msg("unreach", bes[i]->channel,
					   "+31612345678", "x");
		struct deliver_result r;
		struct err e = { "" };
		void *h = open_ok(bes[i], cfgs[i]);
		if (!h)
			continue;
		CHECK_INT(bes[i]->send(h, &m, 1, &r, &e), 0);
		CHECK_INT(r.status, DELIVER_RETRY);
		CHECK(strstr(r.error, "no answer") != NULL);
		CHECK_INT(bes[i]->send(h, &m, 0, &r, &e), 0);
		bes[i]->close(h);
	}
	CHECK_INT(count_records("twilio"), before);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_http_client_config);
	RUN(test_http_client_refused);
	RUN(test_twilio_status);
	RUN(test_bird_report);
	RUN(test_whatsapp_webhook);
	if (fake_start() < 0) {
		printf("FAIL fake_providers: could not start %s (%s)\n", FAKE,
		       strerror(errno));
		fake_stop();
		return 1;
	}
	snprintf(tw_config, sizeof(tw_config),
		 "twilio:http://127.0.0.1:%d?account=%s&token=%s"
		 "&from=+3197010000000"
		 "&callback=https%%3A%%2F%%2Fdunwell.example%%2Fhooks%%2Ftwilio"
		 "%%3Ft%%3D1",
		 fake.port, TW_ACCOUNT, TW_TOKEN);
	RUN(test_twilio_open);
	RUN(test_twilio_send);
	RUN(test_twilio_auth);
	RUN(test_twilio_concurrent_and_timeout);
	RUN(test_bird_send);
	RUN(test_whatsapp_send);
	RUN(test_whatsapp_template);
	RUN(test_webhook_send);
	RUN(test_provider_unreachable);
	fake_stop();
	return CHECK_DONE();
}
