/*
 * test_charge: failed automatic payments (charge.c).
 *
 * The state machine (charge_decide) against retry.c's schedule: a soft
 * decline is retried on exactly the days retry_schedule gives (business
 * days of the customer's country), one after another, and given up after
 * the last; a hard decline (card or SEPA) never; a success or a pending
 * outcome stops the schedule. Then the store path on SQLite (a fresh file
 * in a temporary folder; charges.sh runs both backends end to end): a
 * recorded failure opens the customer's case with one charge.failed
 * event, a second report of the same payment id changes nothing, a
 * failed retry moves the schedule once (its replay changes nothing), a
 * paid retry becomes one payment that resolves the case, the daily
 * pass's list (store_charge_due) holds exactly the charges due, and the
 * customer's page sees the failing charge (charge_failing). Last, the
 * adapters' new calls against tests/tools/fake_psp.py: the update-payment-
 * method page (Stripe setup session, Mollie first payment), a Mollie
 * retry paid and declined (with the SEPA reason), the new mandate read
 * from Mollie's notification, and Stripe's signed payment_intent events
 * read (decline code, latest charge, metadata) while a checkout's event
 * is left to psp_webhook.
 */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cal.h"
#include "charge.h"
#include "check.h"
#include "date.h"
#include "err.h"
#include "retry.h"
#include "store.h"
#include "token.h"

#define CHECK_RC(call, want)                                              \
	do {                                                              \
		int rc_ = (call);                                         \
		if (rc_ != (want))                                        \
			printf("  %s:%d: %s\n", __FILE__, __LINE__, e.msg); \
		CHECK_INT(rc_, want);                                     \
	} while (0)

static date_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* A charge as charge_record_failure makes it, failed on `day`. */
static void fresh(struct charge_rec *c, date_t day)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->provider, sizeof(c->provider), "stripe");
	c->payment_id = strdup("pi_test1");
	c->customer_ref = strdup("");
	c->mandate_ref = strdup("");
	c->failure_code = strdup("");
	c->attempt_id = strdup("");
	c->attempt_refs = strdup("");
	c->amount_minor = 4200;
	memcpy(c->currency, "EUR", 4);
	c->failed_on = day;
	c->next_attempt_on = DATE_NONE;
}

/* ---- the state machine ---- */

TEST(test_soft_retried_on_schedule_days)
{
	struct charge_policy pol;
	struct charge_rec c;
	struct cal *nl = NULL;
	struct err e = { "" };
	date_t days[RETRY_MAX_TRIES], failed = ymd(2026, 11, 20); /* Friday */
	enum charge_change ch;
	int n = 0;

	charge_policy_default(&pol);
	CHECK_INT(pol.tries, 8);
	CHECK_INT(pol.window_days, 14);
	CHECK_RC(cal_builtin("NL", &nl, &e), 0);
	CHECK_RC(retry_schedule(failed, 8, 14, nl, days, &n, &e), 0);
	CHECK(n >= 6);
	fresh(&c, failed);
	CHECK_RC(charge_decide(&c, PSP_FAILED, "insufficient_funds", failed,
			       nl, &pol, &ch, &e), 0);
	CHECK_INT(ch, CHARGE_RETRY);
	CHECK_STR(c.status, "retrying");
	CHECK_STR(c.decline_class, "soft");
	CHECK_STR(c.failure_code, "insufficient_funds");
	CHECK_INT(c.next_attempt_on, days[0]);
	CHECK_INT(c.next_attempt_on, ymd(2026, 11, 23)); /* not the weekend */
	/* Each retry made on its day and declined: the next day of the
	 * schedule, never a weekend; after the last, given up. */
	for (int k = 1; k <= n; k++) {
		date_t today = c.next_attempt_on;
		CHECK_INT(today, days[k - 1]);
		CHECK(date_weekday(today) <= 5);
		CHECK(cal_is_business_day(nl, today));
		c.attempts = k;
		c.awaiting = 1;
		CHECK_RC(charge_decide(&c, PSP_FAILED, "do_not_honor", today, nl,
				       &pol, &ch, &e), 0);
		CHECK_INT(c.awaiting, 0);
		if (k < n) {
			CHECK_INT(ch, CHARGE_RETRY);
			CHECK_INT(c.next_attempt_on, days[k]);
		} else {
			CHECK_INT(ch, CHARGE_GIVEN_UP);
			CHECK_STR(c.status, "given_up");
			CHECK_INT(c.next_attempt_on, DATE_NONE);
		}
	}
	CHECK(days[n - 1] <= failed + 14);
	charge_rec_clear(&c);
	cal_free(nl);
}

TEST(test_missed_day_takes_next_one)
{
	struct charge_policy pol;
	struct charge_rec c;
	struct err e = { "" };
	date_t days[RETRY_MAX_TRIES], failed = ymd(2026, 11, 20);
	enum charge_change ch;
	int n = 0;

	charge_policy_default(&pol);
	CHECK_RC(retry_schedule(failed, 8, 14, NULL, days, &n, &e), 0);
	fresh(&c, failed);
	/* The first retry is made three days late: the next try is the
	 * first planned day after it, not one in the past. */
	c.attempts = 1;
	c.awaiting = 1;
	snprintf(c.status, sizeof(c.status), "retrying");
	CHECK_RC(charge_decide(&c, PSP_FAILED, NULL, days[2], NULL, &pol, &ch,
			       &e), 0);
	CHECK_INT(ch, CHARGE_RETRY);
	CHECK_INT(c.next_attempt_on, days[3]);
	CHECK_STR(c.failure_code, ""); /* no code: soft (unknown codes are) */
	charge_rec_clear(&c);
}

TEST(test_hard_never_retried)
{
	static const char *const hard[] = { "stolen_card", "lost_card",
					    "expired_card", "AC04", "MD01" };
	struct charge_policy pol;
	struct charge_rec c;
	struct err e = { "" };
	enum charge_change ch;

	charge_policy_default(&pol);
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++) {
		fresh(&c, ymd(2026, 11, 20));
		CHECK_RC(charge_decide(&c, PSP_FAILED, hard[i], ymd(2026, 11, 20),
				       NULL, &pol, &ch, &e), 0);
		CHECK_INT(ch, CHARGE_HARD);
		CHECK_STR(c.status, "hard_declined");
		CHECK_STR(c.decline_class, "hard");
		CHECK_INT(c.next_attempt_on, DATE_NONE);
		charge_rec_clear(&c);
	}
	/* A soft SEPA return is retried. */
	fresh(&c, ymd(2026, 11, 20));
	CHECK_RC(charge_decide(&c, PSP_FAILED, "AM04", ymd(2026, 11, 20), NULL,
			       &pol, &ch, &e), 0);
	CHECK_INT(ch, CHARGE_RETRY);
	charge_rec_clear(&c);
}

TEST(test_success_and_pending_stop)
{
	struct charge_policy pol;
	struct charge_rec c;
	struct err e = { "" };
	enum charge_change ch;

	charge_policy_default(&pol);
	fresh(&c, ymd(2026, 11, 20));
	CHECK_RC(charge_decide(&c, PSP_FAILED, "insufficient_funds",
			       ymd(2026, 11, 20), NULL, &pol, &ch, &e), 0);
	CHECK(c.next_attempt_on != DATE_NONE);
	c.attempts = 1;
	CHECK_RC(charge_decide(&c, PSP_PENDING, NULL, ymd(2026, 11, 23), NULL,
			       &pol, &ch, &e), 0);
	CHECK_INT(ch, CHARGE_NONE);
	CHECK_INT(c.awaiting, 1);
	CHECK_INT(c.next_attempt_on, DATE_NONE);
	CHECK_STR(c.status, "retrying");
	CHECK_RC(charge_decide(&c, PSP_PAID, NULL, ymd(2026, 11, 24), NULL,
			       &pol, &ch, &e), 0);
	CHECK_INT(ch, CHARGE_SUCCEEDED);
	CHECK_STR(c.status, "succeeded");
	CHECK_INT(c.next_attempt_on, DATE_NONE);
	CHECK_INT(c.awaiting, 0);
	CHECK_INT(charge_decide(&c, PSP_REFUNDED, NULL, ymd(2026, 11, 24), NULL,
				&pol, &ch, &e), -ERR_INVALID);
	CHECK_STR(charge_change_name(CHARGE_GIVEN_UP), "given_up");
	charge_rec_clear(&c);
}

/* ---- through the store (SQLite) ---- */

static char target[600];

/* A store with tenant acme (basic strategy), customer C1 in NL and an
 * invoice INV-1 of EUR 42.00 due 2026-11-10. */
static struct store *fixture(struct tenant_rec *t)
{
	struct customer_rec c = {
		.external_id = (char *)"C1",
		.name = (char *)"Anna",
		.locale = (char *)"nl-NL",
		.timezone = (char *)"Europe/Amsterdam",
		.country = (char *)"NL",
		.segments = (char *)"",
		.moratorium_until = DATE_NONE,
		.customer_since = DATE_NONE,
	};
	struct invoice_rec inv = {
		.external_id = (char *)"INV-1",
		.number = (char *)"2026-0001",
		.issue_date = ymd(2026, 10, 27),
		.due_date = ymd(2026, 11, 10),
		.amount_minor = 4200,
		.open_minor = 4200,
		.currency = "EUR",
		.payment_reference = (char *)"",
		.document_url = (char *)"",
	};
	struct store *s = NULL;
	struct err e = { "" };
	char *yaml = NULL;
	size_t len = 0;
	int64_t id = 0;
	int ver = 0;
	FILE *f;

	if (store_open(target, &s, &e) < 0) {
		printf("  %s\n", e.msg);
		CHECK(!"store opens");
		return NULL;
	}
	f = fopen("tests/engine/strategies/basic.yaml", "r");
	CHECK(f != NULL);
	if (f) {
		yaml = calloc(1, 65536);
		len = fread(yaml, 1, 65535, f);
		fclose(f);
	}
	CHECK(len > 0);
	CHECK_RC(store_tenant_ensure(s, "acme", "Acme Energy",
				     "Europe/Amsterdam", "nl", &id, &e), 0);
	CHECK_RC(store_tenant_get(s, "acme", t, &e), 0);
	CHECK_RC(store_strategy_add(s, id, "basic.yaml", yaml ? yaml : "", 1,
				    &ver, &e), 0);
	free(yaml);
	c.tenant_id = id;
	CHECK_RC(store_customer_upsert(s, &c, &c.id, &e), 0);
	inv.tenant_id = id;
	inv.customer_id = c.id;
	CHECK_RC(store_invoice_upsert(s, &inv, &inv.id, &e), 0);
	return s;
}

static int64_t events(struct store *s, int64_t tenant, int64_t kase,
		      const char *kind)
{
	struct err e = { "" };
	int64_t n = -1;
	CHECK_RC(store_event_count(s, tenant, kase, kind, &n, &e), 0);
	return n;
}

TEST(test_store_failure_retry_success)
{
	struct tenant_rec t = { 0 };
	struct store *s = fixture(&t);
	struct charge_failure f = {
		.customer = "C1", .invoice = "2026-0001", .amount_minor = 4200,
		.currency = "EUR", .provider = "stripe",
		.payment_id = "pi_3Abc", .customer_ref = "cus_Anna",
		.mandate_ref = "pm_card1", .failure_code = "insufficient_funds",
		.attempt_id = "ch_first",
	};
	instant_t now = instant_from_date(ymd(2026, 11, 20)) + 10 * 3600;
	struct charge_rec c = { 0 }, c2 = { 0 };
	struct charge_notice cn;
	struct case_rec k = { 0 };
	enum charge_change ch;
	struct err e = { "" };
	int64_t *ids = NULL, kase;
	size_t n = 0;
	int created = -1, found = 0;

	if (!s)
		return;
	/* wrong things named */
	f.customer = "C9";
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(charge_record_failure(s, &t, &f, now, &c, &created, &e),
		 -ERR_NOTFOUND);
	CHECK_STR(e.msg, "customer: no such customer");
	f.customer = "C1";
	f.currency = "USD";
	CHECK_RC(charge_record_failure(s, &t, &f, now, &c, &created, &e),
		 -ERR_INVALID);
	CHECK(strncmp(e.msg, "currency:", 9) == 0);
	f.currency = "EUR";
	f.payment_id = "tr_wrongProvider";
	CHECK_RC(charge_record_failure(s, &t, &f, now, &c, &created, &e),
		 -ERR_INVALID);
	CHECK(strncmp(e.msg, "payment_id:", 11) == 0);
	f.payment_id = "pi_3Abc";

	/* the failure: recorded, a case opened, charge.failed once */
	CHECK_RC(charge_record_failure(s, &t, &f, now, &c, &created, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(created, 1);
	CHECK_STR(c.status, "retrying");
	CHECK_INT(c.next_attempt_on, ymd(2026, 11, 23));
	CHECK(c.case_id > 0);
	kase = c.case_id;
	CHECK_INT(events(s, t.id, kase, "charge.failed"), 1);
	CHECK_RC(store_case_get(s, t.id, kase, &k, &e), 0);
	CHECK_INT(k.st.status, CASE_OPEN);
	free(k.strategy);
	charge_rec_clear(&c);

	/* reported again: nothing changes */
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(charge_record_failure(s, &t, &f, now + 60, &c, &created, &e),
		 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(created, 0);
	CHECK_INT(events(s, t.id, kase, "charge.failed"), 1);

	/* the customer's page sees it */
	CHECK_RC(charge_failing(s, t.id, kase, &cn, &found, &e), 0);
	CHECK_INT(found, 1);
	CHECK_STR(cn.status, "retrying");
	CHECK_INT(cn.next_attempt_on, ymd(2026, 11, 23));
	CHECK_INT(cn.can_update, 1);
	CHECK_INT(cn.hard, 0);

	/* due on Monday the 23rd, not on the Friday before */
	CHECK_RC(store_charge_due(s, t.id, ymd(2026, 11, 22), &ids, &n, &e), 0);
	CHECK_INT(n, 0);
	free(ids);
	CHECK_RC(store_charge_due(s, t.id, ymd(2026, 11, 23), &ids, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_INT(n ? ids[0] : 0, c.id);
	free(ids);

	/* the first retry declined (the run's try, awaited) */
	now = instant_from_date(ymd(2026, 11, 23)) + 8 * 3600;
	c.attempts = 1;
	c.awaiting = 1;
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(store_charge_update(s, &c, &e), 0);
	CHECK_RC(charge_apply(s, &t, &c, PSP_FAILED, "insufficient_funds",
			      "pi_3Abc", "ch_retry1", 4200, 0, now, &ch, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(ch, CHARGE_RETRY);
	CHECK_INT(c.next_attempt_on, ymd(2026, 11, 24));
	CHECK_INT(events(s, t.id, kase, "charge.retry_failed"), 1);
	/* its notification replayed: nothing */
	CHECK_RC(store_charge_get(s, t.id, c.id, &c2, &e), 0);
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(charge_apply(s, &t, &c2, PSP_FAILED, "insufficient_funds",
			      "pi_3Abc", "ch_retry1", 4200, 0, now, &ch, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(ch, CHARGE_NONE);
	CHECK_INT(events(s, t.id, kase, "charge.retry_failed"), 1);
	charge_rec_clear(&c2);

	/* the second retry paid: one payment, the case resolved */
	now += 86400;
	c.attempts = 2;
	c.awaiting = 1;
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(store_charge_update(s, &c, &e), 0);
	CHECK_RC(charge_apply(s, &t, &c, PSP_PAID, NULL, "pi_3Abc",
			      "ch_retry2", 4200, 0, now, &ch, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(ch, CHARGE_SUCCEEDED);
	CHECK_STR(c.status, "succeeded");
	CHECK_RC(store_case_get(s, t.id, kase, &k, &e), 0);
	CHECK_INT(k.st.status, CASE_RESOLVED);
	free(k.strategy);
	CHECK_INT(events(s, t.id, kase, "invoice.paid"), 1);
	CHECK_INT(events(s, t.id, kase, "charge.succeeded"), 1);
	/* paid again (a replay): nothing */
	CHECK_RC(store_charge_get(s, t.id, c.id, &c2, &e), 0);
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(charge_apply(s, &t, &c2, PSP_PAID, NULL, "pi_3Abc",
			      "ch_retry2", 4200, 0, now, &ch, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(events(s, t.id, kase, "invoice.paid"), 1);
	CHECK_INT(events(s, t.id, kase, "payment.received"), 1);
	charge_rec_clear(&c2);
	CHECK_RC(store_charge_due(s, t.id, ymd(2026, 12, 31), &ids, &n, &e), 0);
	CHECK_INT(n, 0);
	free(ids);
	CHECK_RC(charge_failing(s, t.id, kase, &cn, &found, &e), 0);
	CHECK_INT(found, 0);

	charge_rec_clear(&c);
	tenant_rec_clear(&t);
	store_close(s);
}

TEST(test_store_hard_decline)
{
	struct tenant_rec t = { 0 };
	struct store *s = fixture(&t);
	struct invoice_rec inv = {
		.external_id = (char *)"INV-2", .number = (char *)"2026-0002",
		.issue_date = ymd(2026, 11, 1), .due_date = ymd(2026, 11, 15),
		.amount_minor = 1500, .open_minor = 0, .currency = "EUR",
		.payment_reference = (char *)"", .document_url = (char *)"",
	};
	struct charge_failure f = {
		.customer = "C1", .invoice = "INV-2", .amount_minor = 1500,
		.currency = "EUR", .provider = "mollie",
		.payment_id = "tr_hard1", .failure_code = "AC04",
	};
	instant_t now = instant_from_date(ymd(2026, 11, 20)) + 10 * 3600;
	struct charge_rec c = { 0 };
	struct invoice_rec got = { 0 };
	struct err e = { "" };
	int64_t *ids = NULL;
	size_t n = 0;
	int created = 0;

	if (!s)
		return;
	/* the billing system had marked INV-2 paid when it charged */
	CHECK_RC(store_customer_id(s, t.id, "C1", &inv.customer_id, &e), 0);
	inv.tenant_id = t.id;
	CHECK_RC(store_invoice_upsert(s, &inv, &inv.id, &e), 0);
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(charge_record_failure(s, &t, &f, now, &c, &created, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	CHECK_INT(created, 1);
	CHECK_STR(c.status, "hard_declined");
	CHECK_STR(c.decline_class, "hard");
	CHECK_INT(c.next_attempt_on, DATE_NONE);
	CHECK_RC(store_invoice_get(s, t.id, "INV-2", &got, &e), 0);
	CHECK_INT(got.open_minor, 1500); /* open again */
	invoice_rec_clear(&got);
	CHECK_RC(store_charge_due(s, t.id, ymd(2026, 12, 31), &ids, &n, &e), 0);
	for (size_t i = 0; i < n; i++)
		CHECK(ids[i] != c.id);
	free(ids);
	charge_rec_clear(&c);
	tenant_rec_clear(&t);
	store_close(s);
}

/* ---- the adapters, against the fake provider ---- */

#define FAKE "tests/tools/fake_psp.py"
#define MOLLIE_KEY "test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM"
#define STRIPE_KEY "sk_test_4eC39HqLyjWDarjtT1zdp7dc"
#define WHSEC "whsec_testsecret0123456789abcdef"

static struct {
	pid_t pid;        /* the python process, 0 when not running */
	int in_fd;        /* its stdin: closing it ends it */
	int port;         /* where it listens */
	char record[256]; /* the JSON-lines file it writes */
} fake;

static int fake_start(void)
{
	const char *tmp = getenv("TMPDIR");
	char line[64] = "";
	int in[2], out[2], fd;
	FILE *f;

	snprintf(fake.record, sizeof(fake.record), "%s/dunwell-chg-XXXXXX",
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

/* The last recorded request of `provider` with `method` (new ref). */
static json_t *last_record(const char *provider, const char *method)
{
	static char line[256 * 1024];
	json_t *found = NULL;
	FILE *f = fopen(fake.record, "r");

	if (!f)
		return NULL;
	while (fgets(line, sizeof(line), f)) {
		json_t *j = json_loads(line, 0, NULL);
		const char *p = json_string_value(json_object_get(j, "provider"));
		const char *m = json_string_value(json_object_get(j, "method"));
		if (p && !strcmp(p, provider) && m && !strcmp(m, method)) {
			json_decref(found);
			found = j;
		} else {
			json_decref(j);
		}
	}
	fclose(f);
	return found;
}

static const char *form_of(json_t *r, const char *k)
{
	return json_string_value(json_object_get(json_object_get(r, "form"),
						 k));
}

/* POST a JSON control request to the fake; its answer (new ref). */
static json_t *control(const char *path, const char *body)
{
	struct http_client *c = http_client_new(10, 1);
	struct http_client_req rq;
	struct psp_http_resp resp;
	char url[256];
	json_t *j;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", fake.port, path);
	memset(&rq, 0, sizeof(rq));
	rq.url = url;
	rq.content_type = "application/json";
	rq.body = body;
	rq.body_len = strlen(body);
	memset(&resp, 0, sizeof(resp));
	psp_http_post(c, &rq, 0, &resp);
	j = resp.body.len ? json_loadb(resp.body.data, resp.body.len, 0, NULL)
			  : NULL;
	psp_http_resp_free(&resp);
	http_client_free(c);
	return j;
}

/* Read `body`, signed as Stripe signs it at `now`, with psp_charge_event
 * at `now` + `late` seconds. */
static int stripe_event(struct psp *p, const char *body, instant_t now,
			int late, struct psp_charge_event *ev, struct err *e)
{
	char msg[8192], hex[65], sig[128];
	struct psp_header h[2] = { { "Content-Type", "application/json" },
				   { "Stripe-Signature", sig } };
	struct psp_webhook_req in = { h, 2, body, strlen(body) };
	int n = snprintf(msg, sizeof(msg), "%lld.%s", (long long)now, body);

	if (n < 0 || (size_t)n >= sizeof(msg) ||
	    hmac_sha256_hex(WHSEC, strlen(WHSEC), msg, (size_t)n, hex) < 0)
		return -100;
	snprintf(sig, sizeof(sig), "t=%lld,v1=%s", (long long)now, hex);
	return psp_charge_event(p, &in, now + late, ev, e);
}

TEST(test_adapters)
{
	char cfg[512], body[4096], hook[128];
	struct psp *p = NULL;
	struct psp_checkout out;
	struct psp_recharge rc;
	struct psp_charge_event ev;
	struct err e = { "" };
	instant_t now = 1795000000; /* 2026-11-18 */
	const char *cst, *mdt;
	json_t *r, *cu;

	if (fake_start() < 0) {
		CHECK(!"the fake provider starts");
		return;
	}
	snprintf(hook, sizeof(hook), "http://127.0.0.1:%d/_sink/hook",
		 fake.port);
	/* Stripe: the update page is a setup session for the customer. */
	snprintf(cfg, sizeof(cfg), "stripe:http://127.0.0.1:%d?key="
		 STRIPE_KEY "&webhook_secret=" WHSEC, fake.port);
	CHECK_RC(psp_open(cfg, &p, &e), 0);
	struct psp_setup_req su = {
		.tenant = "acme", .case_id = 42, .customer_ref = "cus_Anna",
		.currency = "EUR", .description = "Acme: payment method",
		.locale = "nl-NL", .redirect_url = "http://127.0.0.1/p/x",
		.webhook_url = hook, .idempotency_key = "dw-setup-1",
	};
	CHECK_RC(psp_setup(p, &su, now, &out, &e), 0);
	CHECK(strncmp(out.id, "cs_test_", 8) == 0);
	CHECK(strstr(out.url, "/checkout/cs_test_") != NULL);
	r = last_record("stripe", "POST");
	CHECK_STR(form_of(r, "mode"), "setup");
	CHECK_STR(form_of(r, "customer"), "cus_Anna");
	CHECK_STR(form_of(r, "currency"), "eur");
	CHECK_STR(form_of(r, "metadata[case_id]"), "42");
	CHECK_STR(form_of(r, "metadata[purpose]"), "payment_method");
	json_decref(r);
	su.customer_ref = "cus_bad/../x";
	CHECK_INT(psp_setup(p, &su, now, &out, &e), -ERR_INVALID);
	/* Stripe's signed payment_intent.payment_failed, read. */
	snprintf(body, sizeof(body),
		 "{\"id\": \"evt_1\", \"object\": \"event\", \"type\": "
		 "\"payment_intent.payment_failed\", \"livemode\": false, "
		 "\"created\": %lld, \"data\": {\"object\": {\"id\": "
		 "\"pi_3Abc\", \"object\": \"payment_intent\", \"amount\": "
		 "7995, \"currency\": \"eur\", \"customer\": \"cus_Anna\", "
		 "\"payment_method\": \"pm_1\", \"status\": "
		 "\"requires_payment_method\", \"latest_charge\": \"ch_9\", "
		 "\"last_payment_error\": {\"type\": \"card_error\", \"code\": "
		 "\"card_declined\", \"decline_code\": \"insufficient_funds\"}, "
		 "\"metadata\": {\"tenant\": \"acme\", \"customer\": \"C1\", "
		 "\"invoice\": \"INV-A\"}}}}", (long long)now);
	CHECK_RC(stripe_event(p, body, now, 0, &ev, &e), 0);
	CHECK_INT(ev.kind, PSP_CHARGE_ATTEMPT);
	CHECK_INT(ev.status, PSP_FAILED);
	CHECK_STR(ev.payment_id, "pi_3Abc");
	CHECK_STR(ev.attempt_id, "ch_9");
	CHECK_STR(ev.failure_code, "insufficient_funds");
	CHECK_STR(ev.customer_ref, "cus_Anna");
	CHECK_STR(ev.mandate_ref, "pm_1");
	CHECK_STR(ev.customer, "C1");
	CHECK_STR(ev.invoice, "INV-A");
	CHECK_INT(ev.amount, 7995);
	CHECK_STR(ev.currency, "EUR");
	/* a checkout's event is not a charge's: left to psp_webhook */
	snprintf(body, sizeof(body),
		 "{\"id\": \"evt_2\", \"type\": \"checkout.session.completed\","
		 " \"livemode\": false, \"created\": %lld, \"data\": {\"object\":"
		 " {\"id\": \"cs_test_1\", \"mode\": \"payment\"}}}",
		 (long long)now);
	CHECK_INT(stripe_event(p, body, now, 0, &ev, &e), PSP_IGNORED);
	/* a stale signature is refused */
	CHECK_INT(stripe_event(p, body, now, 3600, &ev, &e), -ERR_INVALID);
	psp_close(p);
	p = NULL;

	/* Mollie: a customer with a direct-debit mandate. */
	cu = control("/_control/mollie_customers",
		     "{\"method\": \"directdebit\"}");
	cst = json_string_value(json_object_get(cu, "customer"));
	mdt = json_string_value(json_object_get(cu, "mandate"));
	CHECK(cst && mdt);
	snprintf(cfg, sizeof(cfg), "mollie:http://127.0.0.1:%d?key="
		 MOLLIE_KEY, fake.port);
	CHECK_RC(psp_open(cfg, &p, &e), 0);
	struct psp_recharge_req rq = {
		.tenant = "acme", .case_id = 42, .charge_id = 7,
		.customer_ref = cst, .mandate_ref = mdt, .amount = 12000,
		.currency = "EUR", .description = "Acme 2026-1002",
		.webhook_url = hook, .idempotency_key = "dw-charge-acme-7-1",
	};
	CHECK_RC(psp_recharge(p, &rq, now, &rc, &e), 0);
	CHECK_INT(rc.status, PSP_PAID);
	CHECK(strncmp(rc.payment_id, "tr_", 3) == 0);
	CHECK_STR(rc.attempt_id, rc.payment_id);
	r = last_record("mollie", "POST");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "json"),
						    "sequenceType")),
		  "recurring");
	json_decref(r);
	snprintf(body, sizeof(body), "{\"customer\": \"%s\", \"times\": 1, "
		 "\"code\": \"AM04\"}", cst ? cst : "");
	json_decref(control("/_control/fail", body));
	rq.idempotency_key = "dw-charge-acme-7-2";
	CHECK_RC(psp_recharge(p, &rq, now, &rc, &e), 0);
	CHECK_INT(rc.status, PSP_FAILED);
	CHECK_STR(rc.failure_code, "AM04");
	/* the update page: a first payment of one cent */
	su.customer_ref = cst;
	su.idempotency_key = "dw-setup-2";
	CHECK_RC(psp_setup(p, &su, now, &out, &e), 0);
	CHECK(strncmp(out.id, "tr_", 3) == 0);
	r = last_record("mollie", "POST");
	CHECK_STR(json_string_value(json_object_get(json_object_get(json_object_get(
				r, "json"), "amount"), "value")),
		  "0.01");
	CHECK_STR(json_string_value(json_object_get(json_object_get(r, "json"),
						    "sequenceType")),
		  "first");
	json_decref(r);
	/* paid: Mollie's notification names the new mandate */
	snprintf(body, sizeof(body), "/_control/payments/%s", out.id);
	json_decref(control(body, "{\"status\": \"paid\"}"));
	{
		char form[PSP_ID_MAX + 8];
		struct psp_header h = { "Content-Type",
					"application/x-www-form-urlencoded" };
		struct psp_webhook_req in = { &h, 1, form, 0 };
		snprintf(form, sizeof(form), "id=%s", out.id);
		in.body_len = strlen(form);
		CHECK_RC(psp_charge_event(p, &in, now, &ev, &e), 0);
		CHECK_INT(ev.kind, PSP_CHARGE_MANDATE);
		CHECK_INT(ev.status, PSP_PAID);
		CHECK(strncmp(ev.mandate_ref, "mdt_", 4) == 0);
		CHECK(strcmp(ev.mandate_ref, mdt ? mdt : "") != 0);
		CHECK_INT(ev.case_id, 42);
		CHECK_STR(ev.tenant, "acme");
	}
	json_decref(cu);
	psp_close(p);
	fake_stop();
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512];

	unsetenv("DUNWELL_FAULT_STORE");
	RUN(test_soft_retried_on_schedule_days);
	RUN(test_missed_day_takes_next_one);
	RUN(test_hard_never_retried);
	RUN(test_success_and_pending_stop);
	snprintf(dir, sizeof(dir), "%s/dunwell-charge.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(target, sizeof(target), "%s/store.db", dir);
	RUN(test_store_failure_retry_success);
	RUN(test_store_hard_decline);
	RUN(test_adapters);
	for (size_t i = 0; i < 3; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char path[700];
		snprintf(path, sizeof(path), "%s%s", target, sfx[i]);
		unlink(path);
	}
	rmdir(dir);
	return CHECK_DONE();
}
