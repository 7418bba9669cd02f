/*
 * test_store_portal: the store functions of the customer's page (migration
 * 0009), through the public store_* wrappers only, on every backend.
 *
 * Each test runs once on SQLite (a fresh file in a temporary folder) and,
 * when DUNWELL_PG_URL names a PostgreSQL server (tests/pg_cluster.sh
 * exports it), once more on PostgreSQL in a database of its own
 * (dunwell_portal_<pid>, created here and dropped at the end). Without
 * DUNWELL_PG_URL the PostgreSQL tests are skipped, and a line says so.
 *
 * The tests share one database per backend; each works in a tenant of its
 * own, with a customer, an invoice, an open case and a closed case made
 * with the existing store functions (fixture_open).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "date.h"
#include "err.h"
#include "store.h"

/* The backend under test. */
struct backend_env {
	const char *name;   /* "sqlite" or "pg", for messages */
	char target[1024];  /* what store_open is given */
};

static struct backend_env sqlite_env = { .name = "sqlite" };
static struct backend_env pg_env = { .name = "pg" };

/* What every test starts from: a tenant of its own and its rows. */
struct fixture {
	struct store *s;       /* the open store */
	int64_t tenant;        /* the test's tenant */
	int64_t customer;      /* customer "C1" */
	int64_t invoice;       /* invoice "INV-1" of C1, EUR, open */
	int64_t kase;          /* C1's open EUR case */
	int64_t closed;        /* C1's resolved USD case */
};

static date_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* y-m-d at h:mi:00 UTC. */
static instant_t at(int y, int m, int d, int h, int mi)
{
	return instant_from_date(ymd(y, m, d)) + h * 3600 + mi * 60;
}

/* Print the store's message when a call did not return `want`. */
#define CHECK_RC(call, want)                                              \
	do {                                                              \
		int rc_ = (call);                                         \
		if (rc_ != (want))                                        \
			printf("  %s:%d: %s\n", __FILE__, __LINE__, e.msg); \
		CHECK_INT(rc_, want);                                     \
	} while (0)

/* Free what store_case_get gave (the record itself is the caller's). */
static void case_clear(struct case_rec *c)
{
	free(c->strategy);
	c->strategy = NULL;
}

static int64_t add_case(struct fixture *f, const char *currency,
			enum case_status status)
{
	struct case_rec c = {
		.tenant_id = f->tenant,
		.customer_id = f->customer,
		.strategy_version = 2,
		.strategy = (char *)"standard",
		.st = {
			.status = status,
			.anchor = ymd(2026, 10, 1),
			.next_step = 1,
			.opened_on = ymd(2026, 10, 20),
			.last_step_on = ymd(2026, 10, 21),
			.hold_until = DATE_NONE,
			.hold_reason = HOLD_NONE,
			.fees_minor = 500,
		},
		.closed_on = status == CASE_OPEN ? DATE_NONE : ymd(2026, 11, 6),
	};
	struct err e = { "" };
	int64_t id = 0;
	memcpy(c.currency, currency, 4);
	CHECK_RC(store_case_insert(f->s, &c, &id, &e), 0);
	return id;
}

/* Open the store and make the fixture's rows in tenant `slug`; -1 (and a
 * failed check) when that cannot be done. */
static int fixture_open(const struct backend_env *env, const char *slug,
			struct fixture *f)
{
	struct customer_rec c = {
		.external_id = (char *)"C1",
		.name = (char *)"Customer One",
		.locale = (char *)"nl-NL",
		.timezone = (char *)"Europe/Amsterdam",
		.country = (char *)"NL",
		.segments = (char *)"consumer",
		.moratorium_until = DATE_NONE,
		.customer_since = DATE_NONE,
	};
	struct invoice_rec inv = {
		.external_id = (char *)"INV-1",
		.number = (char *)"INV-1",
		.issue_date = ymd(2026, 9, 1),
		.due_date = ymd(2026, 10, 1),
		.amount_minor = 12000,
		.open_minor = 12000,
		.currency = "EUR",
		.payment_reference = (char *)"",
	};
	struct case_rec got = { 0 };
	struct err e = { "" };

	memset(f, 0, sizeof(*f));
	if (store_open(env->target, &f->s, &e) < 0) {
		printf("  %s: %s\n", env->name, e.msg);
		CHECK(!"store opens");
		return -1;
	}
	CHECK_RC(store_tenant_ensure(f->s, slug, slug, "Europe/Amsterdam", "nl",
				     &f->tenant, &e), 0);
	c.tenant_id = f->tenant;
	CHECK_RC(store_customer_upsert(f->s, &c, &f->customer, &e), 0);
	inv.tenant_id = f->tenant;
	inv.customer_id = f->customer;
	CHECK_RC(store_invoice_upsert(f->s, &inv, &f->invoice, &e), 0);
	CHECK_RC(store_begin(f->s, &e), 0);
	f->kase = add_case(f, "EUR", CASE_OPEN);
	f->closed = add_case(f, "USD", CASE_RESOLVED);
	/* still waiting in the connection: case_get writes it first */
	CHECK_RC(store_case_get(f->s, f->tenant, f->kase, &got, &e), 0);
	CHECK_INT(got.id, f->kase);
	case_clear(&got);
	CHECK_RC(store_commit(f->s, &e), 0);
	if (check_failed_here) {
		store_close(f->s);
		f->s = NULL;
		return -1;
	}
	return 0;
}

static void fixture_close(struct fixture *f)
{
	store_close(f->s);
}

/* ---- links ---- */

static void links(const struct backend_env *env)
{
	static const char hash[] = "aa11";  /* the fixture case's links */
	static const char hash2[] = "aa22";
	static const char other[] = "bb11"; /* the closed case's link */
	static const char key1[] =
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	static const char key2[] =
		"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
	instant_t created = at(2026, 11, 1, 9, 0);
	instant_t expires = at(2026, 12, 1, 9, 0);
	instant_t revoked = at(2026, 11, 10, 14, 30);
	struct fixture f;
	struct link_rec l;
	struct err e = { "" };
	int set = -1;

	if (fixture_open(env, "t_links", &f) < 0)
		return;
	CHECK_INT(store_link_find(f.s, "nothing", &l, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "no such link");

	CHECK_RC(store_link_insert(f.s, f.tenant, hash, f.kase, f.customer,
				   created, expires, &e), 0);
	CHECK_RC(store_link_insert(f.s, f.tenant, hash2, f.kase, f.customer,
				   created + 60, expires + 60, &e), 0);
	CHECK_RC(store_link_insert(f.s, f.tenant, other, f.closed, f.customer,
				   created, expires, &e), 0);
	memset(&l, 0x5a, sizeof(l));
	CHECK_RC(store_link_find(f.s, hash, &l, &e), 0);
	CHECK_INT(l.tenant_id, f.tenant);
	CHECK_INT(l.case_id, f.kase);
	CHECK_INT(l.customer_id, f.customer);
	CHECK_INT(l.created_at, created);
	CHECK_INT(l.expires_at, expires);
	CHECK_INT(l.revoked_at, 0);
	CHECK_STR(l.csrf_key, "");

	/* the first key sticks */
	CHECK_RC(store_link_set_csrf(f.s, hash, key1, &set, &e), 0);
	CHECK_INT(set, 1);
	CHECK_RC(store_link_find(f.s, hash, &l, &e), 0);
	CHECK_STR(l.csrf_key, key1);
	set = -1;
	CHECK_RC(store_link_set_csrf(f.s, hash, key2, &set, &e), 0);
	CHECK_INT(set, 0);
	CHECK_RC(store_link_find(f.s, hash, &l, &e), 0);
	CHECK_STR(l.csrf_key, key1);
	set = -1;
	CHECK_RC(store_link_set_csrf(f.s, "nothing", key2, &set, &e), 0);
	CHECK_INT(set, 0);
	CHECK_RC(store_link_find(f.s, hash2, &l, &e), 0);
	CHECK_STR(l.csrf_key, "");

	/* revoking the case's links leaves other cases' alone, and a
	 * revoked link keeps its first revocation time */
	CHECK_RC(store_link_revoke_case(f.s, f.tenant, f.kase, revoked, &e), 0);
	CHECK_RC(store_link_find(f.s, hash, &l, &e), 0);
	CHECK_INT(l.revoked_at, revoked);
	CHECK_INT(l.expires_at, expires);
	CHECK_STR(l.csrf_key, key1);
	CHECK_RC(store_link_find(f.s, hash2, &l, &e), 0);
	CHECK_INT(l.revoked_at, revoked);
	CHECK_INT(l.created_at, created + 60);
	CHECK_RC(store_link_find(f.s, other, &l, &e), 0);
	CHECK_INT(l.revoked_at, 0);
	CHECK_RC(store_link_revoke_case(f.s, f.tenant, f.kase, revoked + 3600,
					&e), 0);
	CHECK_RC(store_link_find(f.s, hash, &l, &e), 0);
	CHECK_INT(l.revoked_at, revoked);
	/* another tenant's id reaches nothing */
	CHECK_RC(store_link_revoke_case(f.s, f.tenant + 1000, f.closed,
					revoked, &e), 0);
	CHECK_RC(store_link_find(f.s, other, &l, &e), 0);
	CHECK_INT(l.revoked_at, 0);
	fixture_close(&f);
}

/* ---- cases ---- */

static void case_get_hold(const struct backend_env *env)
{
	struct fixture f;
	struct case_rec c = { 0 };
	struct err e = { "" };
	int found = -1;

	if (fixture_open(env, "t_case_hold", &f) < 0)
		return;
	CHECK_RC(store_case_get(f.s, f.tenant, f.kase, &c, &e), 0);
	CHECK_INT(c.id, f.kase);
	CHECK_INT(c.tenant_id, f.tenant);
	CHECK_INT(c.customer_id, f.customer);
	CHECK_STR(c.currency, "EUR");
	CHECK_INT(c.strategy_version, 2);
	CHECK_STR(c.strategy, "standard");
	CHECK_INT(c.st.status, CASE_OPEN);
	CHECK_INT(c.st.anchor, ymd(2026, 10, 1));
	CHECK_INT(c.st.next_step, 1);
	CHECK_INT(c.st.opened_on, ymd(2026, 10, 20));
	CHECK_INT(c.st.last_step_on, ymd(2026, 10, 21));
	CHECK_INT(c.closed_on, DATE_NONE);
	CHECK_INT(c.st.hold_reason, HOLD_NONE);
	CHECK_INT(c.st.hold_until, DATE_NONE);
	CHECK_INT(c.st.fees_minor, 500);
	case_clear(&c);
	CHECK_RC(store_case_get(f.s, f.tenant, f.closed, &c, &e), 0);
	CHECK_INT(c.st.status, CASE_RESOLVED);
	CHECK_STR(c.currency, "USD");
	CHECK_INT(c.closed_on, ymd(2026, 11, 6));
	case_clear(&c);

	CHECK_INT(store_case_get(f.s, f.tenant, f.kase + 1000, &c, &e),
		  -ERR_NOTFOUND);
	CHECK(strstr(e.msg, "no case") != NULL);
	CHECK_INT(store_case_get(f.s, f.tenant + 1000, f.kase, &c, &e),
		  -ERR_NOTFOUND);

	/* a hold, and nothing else changes */
	CHECK_RC(store_case_hold(f.s, f.tenant, f.kase, HOLD_PLAN,
				 ymd(2027, 1, 15), &found, &e), 0);
	CHECK_INT(found, 1);
	CHECK_RC(store_case_get(f.s, f.tenant, f.kase, &c, &e), 0);
	CHECK_INT(c.st.hold_reason, HOLD_PLAN);
	CHECK_INT(c.st.hold_until, ymd(2027, 1, 15));
	CHECK_INT(c.st.status, CASE_OPEN);
	CHECK_INT(c.st.next_step, 1);
	CHECK_INT(c.st.anchor, ymd(2026, 10, 1));
	CHECK_INT(c.st.fees_minor, 500);
	case_clear(&c);

	/* lifted */
	found = -1;
	CHECK_RC(store_case_hold(f.s, f.tenant, f.kase, HOLD_NONE, DATE_NONE,
				 &found, &e), 0);
	CHECK_INT(found, 1);
	CHECK_RC(store_case_get(f.s, f.tenant, f.kase, &c, &e), 0);
	CHECK_INT(c.st.hold_reason, HOLD_NONE);
	CHECK_INT(c.st.hold_until, DATE_NONE);
	case_clear(&c);

	/* a closed case, a missing case, another tenant: not held */
	found = -1;
	CHECK_RC(store_case_hold(f.s, f.tenant, f.closed, HOLD_DISPUTE,
				 ymd(2027, 1, 1), &found, &e), 0);
	CHECK_INT(found, 0);
	CHECK_RC(store_case_get(f.s, f.tenant, f.closed, &c, &e), 0);
	CHECK_INT(c.st.hold_reason, HOLD_NONE);
	CHECK_INT(c.st.hold_until, DATE_NONE);
	case_clear(&c);
	found = -1;
	CHECK_RC(store_case_hold(f.s, f.tenant, f.kase + 1000, HOLD_DISPUTE,
				 ymd(2027, 1, 1), &found, &e), 0);
	CHECK_INT(found, 0);
	found = -1;
	CHECK_RC(store_case_hold(f.s, f.tenant + 1000, f.kase, HOLD_DISPUTE,
				 ymd(2027, 1, 1), &found, &e), 0);
	CHECK_INT(found, 0);

	/* inside a transaction, after a change of the case the backend may
	 * still hold back: the change lands first, the hold on top of it */
	CHECK_RC(store_case_get(f.s, f.tenant, f.kase, &c, &e), 0);
	CHECK_RC(store_begin(f.s, &e), 0);
	c.st.next_step = 2;
	c.st.last_step_on = ymd(2026, 11, 3);
	CHECK_RC(store_case_update(f.s, &c, &e), 0);
	found = -1;
	CHECK_RC(store_case_hold(f.s, f.tenant, f.kase, HOLD_DISPUTE,
				 ymd(2026, 12, 31), &found, &e), 0);
	CHECK_INT(found, 1);
	CHECK_RC(store_commit(f.s, &e), 0);
	case_clear(&c);
	CHECK_RC(store_case_get(f.s, f.tenant, f.kase, &c, &e), 0);
	CHECK_INT(c.st.next_step, 2);
	CHECK_INT(c.st.last_step_on, ymd(2026, 11, 3));
	CHECK_INT(c.st.hold_reason, HOLD_DISPUTE);
	CHECK_INT(c.st.hold_until, ymd(2026, 12, 31));
	case_clear(&c);
	fixture_close(&f);
}

/* ---- messages, payments, events, disputes ---- */

static void add_message(struct fixture *f, int64_t case_id, const char *step,
			const char *channel, instant_t not_before,
			instant_t now)
{
	struct message_rec m = {
		.tenant_id = f->tenant,
		.case_id = case_id,
		.customer_id = f->customer,
		.step = (char *)step,
		.channel = (char *)channel,
		.fallbacks = (char *)"",
		.template_id = (char *)"reminder",
		.tone = (char *)"friendly",
		.status = (char *)"queued",
		.not_before = not_before,
	};
	char key[64];
	struct err e = { "" };
	snprintf(key, sizeof(key), "dw-%lld-%s-%s", (long long)case_id, step,
		 channel);
	m.idempotency_key = key;
	CHECK_RC(store_outbox_insert(f->s, &m, now, &e), 0);
}

static void case_messages(const struct backend_env *env)
{
	struct fixture f;
	struct message_rec *list = NULL;
	size_t n = 99;
	struct err e = { "" };
	char key[64];

	if (fixture_open(env, "t_messages", &f) < 0)
		return;
	CHECK_RC(store_case_messages(f.s, f.tenant, f.kase, &list, &n, &e), 0);
	CHECK_INT(n, 0);
	message_list_free(list, n);

	add_message(&f, f.kase, "first", "email", at(2026, 11, 2, 9, 0),
		    at(2026, 11, 1, 8, 0));
	add_message(&f, f.closed, "first", "sms", at(2026, 11, 2, 9, 0),
		    at(2026, 11, 1, 8, 0));
	add_message(&f, f.kase, "second", "sms", at(2026, 11, 9, 9, 0),
		    at(2026, 11, 8, 8, 0));
	CHECK_RC(store_case_messages(f.s, f.tenant, f.kase, &list, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK(list[0].id < list[1].id);
		CHECK_INT(list[0].tenant_id, f.tenant);
		CHECK_INT(list[0].case_id, f.kase);
		CHECK_INT(list[0].customer_id, f.customer);
		CHECK_STR(list[0].step, "first");
		CHECK_STR(list[0].channel, "email");
		CHECK_STR(list[0].template_id, "reminder");
		CHECK_STR(list[0].tone, "friendly");
		CHECK_STR(list[0].status, "queued");
		CHECK_INT(list[0].not_before, at(2026, 11, 2, 9, 0));
		CHECK_INT(list[0].created_at, at(2026, 11, 1, 8, 0));
		CHECK_INT(list[0].sent_at, 0);
		CHECK_INT(list[0].attempts, 0);
		snprintf(key, sizeof(key), "dw-%lld-first-email",
			 (long long)f.kase);
		CHECK_STR(list[0].idempotency_key, key);
		CHECK_STR(list[1].step, "second");
		CHECK_STR(list[1].channel, "sms");
		CHECK_INT(list[1].not_before, at(2026, 11, 9, 9, 0));
		CHECK_INT(list[1].created_at, at(2026, 11, 8, 8, 0));
	}
	message_list_free(list, n);
	CHECK_RC(store_case_messages(f.s, f.tenant + 1000, f.kase, &list, &n,
				     &e), 0);
	CHECK_INT(n, 0);
	message_list_free(list, n);
	fixture_close(&f);
}

static void add_payment(struct fixture *f, int64_t customer,
			const char *external_id, int64_t invoice_id,
			int64_t amount, const char *currency, date_t on,
			const char *method)
{
	struct payment_rec p = {
		.tenant_id = f->tenant,
		.external_id = (char *)external_id,
		.customer_id = customer,
		.invoice_id = invoice_id,
		.amount_minor = amount,
		.paid_on = on,
		.method = (char *)method,
	};
	struct err e = { "" };
	int inserted = 0;
	memcpy(p.currency, currency, 4);
	CHECK_RC(store_payment_insert(f->s, &p, &inserted, &e), 0);
	CHECK_INT(inserted, 1);
}

static void payments(const struct backend_env *env)
{
	struct customer_rec c2 = {
		.external_id = (char *)"C2",
		.name = (char *)"Customer Two",
		.locale = (char *)"nl-NL",
		.timezone = (char *)"Europe/Amsterdam",
		.country = (char *)"NL",
		.segments = (char *)"",
		.moratorium_until = DATE_NONE,
		.customer_since = DATE_NONE,
	};
	struct fixture f;
	struct payment_rec *list = NULL;
	size_t n = 99;
	int64_t other = 0;
	struct err e = { "" };

	if (fixture_open(env, "t_payments", &f) < 0)
		return;
	c2.tenant_id = f.tenant;
	CHECK_RC(store_customer_upsert(f.s, &c2, &other, &e), 0);
	/* written out of date order: the list is by date */
	add_payment(&f, f.customer, "P-LATE", f.invoice, 2000, "EUR",
		    ymd(2026, 10, 20), "card");
	add_payment(&f, f.customer, "P-EARLY", 0, 1000, "EUR",
		    ymd(2026, 10, 5), "bank_transfer");
	add_payment(&f, f.customer, "P-BEFORE", 0, 500, "EUR",
		    ymd(2026, 9, 30), "card");
	add_payment(&f, f.customer, "P-USD", 0, 3000, "USD",
		    ymd(2026, 10, 25), "card");
	add_payment(&f, other, "P-OTHER", 0, 4000, "EUR", ymd(2026, 10, 10),
		    "card");

	CHECK_RC(store_payment_list(f.s, f.tenant, f.customer, "EUR",
				    ymd(2026, 10, 1), &list, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(list[0].external_id, "P-EARLY");
		CHECK_INT(list[0].tenant_id, f.tenant);
		CHECK_INT(list[0].customer_id, f.customer);
		CHECK_INT(list[0].invoice_id, 0);
		CHECK_INT(list[0].amount_minor, 1000);
		CHECK_STR(list[0].currency, "EUR");
		CHECK_INT(list[0].paid_on, ymd(2026, 10, 5));
		CHECK_STR(list[0].method, "bank_transfer");
		CHECK(list[0].id > 0);
		CHECK_STR(list[1].external_id, "P-LATE");
		CHECK_INT(list[1].invoice_id, f.invoice);
		CHECK_INT(list[1].amount_minor, 2000);
		CHECK_INT(list[1].paid_on, ymd(2026, 10, 20));
		CHECK_STR(list[1].method, "card");
	}
	payment_list_free(list, n);

	/* `since` is inclusive */
	CHECK_RC(store_payment_list(f.s, f.tenant, f.customer, "EUR",
				    ymd(2026, 10, 20), &list, &n, &e), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(list[0].external_id, "P-LATE");
	payment_list_free(list, n);
	CHECK_RC(store_payment_list(f.s, f.tenant, f.customer, "USD",
				    ymd(2026, 10, 1), &list, &n, &e), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(list[0].external_id, "P-USD");
		CHECK_STR(list[0].currency, "USD");
		CHECK_INT(list[0].amount_minor, 3000);
	}
	payment_list_free(list, n);
	CHECK_RC(store_payment_list(f.s, f.tenant, f.customer, "EUR",
				    ymd(2026, 10, 21), &list, &n, &e), 0);
	CHECK_INT(n, 0);
	payment_list_free(list, n);
	CHECK_RC(store_payment_list(f.s, f.tenant, f.customer, "GBP",
				    ymd(2000, 1, 1), &list, &n, &e), 0);
	CHECK_INT(n, 0);
	payment_list_free(list, n);
	fixture_close(&f);
}

static void add_event(struct fixture *f, int64_t case_id, const char *kind,
		      instant_t when)
{
	struct event_rec ev = {
		.tenant_id = f->tenant,
		.case_id = case_id,
		.at = when,
		.kind = kind,
		.detail = "{}",
	};
	struct err e = { "" };
	CHECK_RC(store_event_append(f->s, &ev, &e), 0);
}

static void events(const struct backend_env *env)
{
	struct fixture f;
	struct err e = { "" };
	int64_t n = -1;

	if (fixture_open(env, "t_events", &f) < 0)
		return;
	CHECK_RC(store_event_count(f.s, f.tenant, f.kase, "portal.visit", &n,
				   &e), 0);
	CHECK_INT(n, 0);
	CHECK_RC(store_begin(f.s, &e), 0);
	add_event(&f, f.kase, "portal.visit", at(2026, 11, 1, 10, 0));
	add_event(&f, f.kase, "plan.created", at(2026, 11, 1, 10, 5));
	add_event(&f, f.kase, "portal.visit", at(2026, 11, 2, 10, 0));
	add_event(&f, f.closed, "portal.visit", at(2026, 11, 2, 11, 0));
	/* the events may still wait in the connection: counted all the same */
	n = -1;
	CHECK_RC(store_event_count(f.s, f.tenant, f.kase, "portal.visit", &n,
				   &e), 0);
	CHECK_INT(n, 2);
	CHECK_RC(store_commit(f.s, &e), 0);
	n = -1;
	CHECK_RC(store_event_count(f.s, f.tenant, f.kase, "portal.visit", &n,
				   &e), 0);
	CHECK_INT(n, 2);
	n = -1;
	CHECK_RC(store_event_count(f.s, f.tenant, f.kase, "plan.created", &n,
				   &e), 0);
	CHECK_INT(n, 1);
	n = -1;
	CHECK_RC(store_event_count(f.s, f.tenant, f.closed, "portal.visit", &n,
				   &e), 0);
	CHECK_INT(n, 1);
	n = -1;
	CHECK_RC(store_event_count(f.s, f.tenant, f.kase, "case.opened", &n,
				   &e), 0);
	CHECK_INT(n, 0);
	n = -1;
	CHECK_RC(store_event_count(f.s, f.tenant + 1000, f.kase,
				   "portal.visit", &n, &e), 0);
	CHECK_INT(n, 0);
	fixture_close(&f);
}

static void disputed(const struct backend_env *env)
{
	struct fixture f;
	struct invoice_rec inv;
	struct err e = { "" };

	if (fixture_open(env, "t_disputed", &f) < 0)
		return;
	CHECK_RC(store_invoice_get(f.s, f.tenant, "INV-1", &inv, &e), 0);
	CHECK_INT(inv.disputed, 0);
	invoice_rec_clear(&inv);
	CHECK_RC(store_invoice_set_disputed(f.s, f.tenant, f.invoice, 1, &e), 0);
	CHECK_RC(store_invoice_get(f.s, f.tenant, "INV-1", &inv, &e), 0);
	CHECK_INT(inv.disputed, 1);
	CHECK_INT(inv.open_minor, 12000);
	CHECK_INT(inv.amount_minor, 12000);
	invoice_rec_clear(&inv);
	/* another tenant's id reaches nothing */
	CHECK_RC(store_invoice_set_disputed(f.s, f.tenant + 1000, f.invoice, 0,
					    &e), 0);
	CHECK_RC(store_invoice_get(f.s, f.tenant, "INV-1", &inv, &e), 0);
	CHECK_INT(inv.disputed, 1);
	invoice_rec_clear(&inv);
	CHECK_RC(store_invoice_set_disputed(f.s, f.tenant, f.invoice, 0, &e), 0);
	CHECK_RC(store_invoice_get(f.s, f.tenant, "INV-1", &inv, &e), 0);
	CHECK_INT(inv.disputed, 0);
	invoice_rec_clear(&inv);
	fixture_close(&f);
}

/* ---- plans ---- */

static void plans(const struct backend_env *env)
{
	/* given out of order: they come back by n */
	struct plan_instalment_rec ins[3] = {
		{ .n = 3, .due_on = 0, .amount_minor = 4000 },
		{ .n = 1, .due_on = 0, .amount_minor = 4000 },
		{ .n = 2, .due_on = 0, .amount_minor = 4000 },
	};
	struct plan_rec p = {
		.currency = "EUR",
		.total_minor = 12000,
		.months = 3,
		.day_of_month = 15,
		.paid_minor = 0,
		.status = "active",
		.source = "portal",
		.created_at = 0,
		.instalments = ins,
		.n_instalments = 3,
	};
	struct fixture f;
	struct plan_rec got;
	struct err e = { "" };
	int64_t id = 0, id2 = 0, id3 = 0;

	ins[0].due_on = ymd(2027, 1, 15);
	ins[1].due_on = ymd(2026, 11, 15);
	ins[2].due_on = ymd(2026, 12, 15);
	p.created_at = at(2026, 11, 1, 10, 0);
	if (fixture_open(env, "t_plans", &f) < 0)
		return;
	p.tenant_id = f.tenant;
	p.case_id = f.kase;
	p.customer_id = f.customer;

	CHECK_INT(store_plan_active(f.s, f.tenant, f.kase, &got, &e),
		  -ERR_NOTFOUND);
	CHECK(strstr(e.msg, "has no active plan") != NULL);

	CHECK_RC(store_plan_insert(f.s, &p, &id, &e), 0);
	CHECK(id > 0);
	memset(&got, 0x5a, sizeof(got));
	CHECK_RC(store_plan_active(f.s, f.tenant, f.kase, &got, &e), 0);
	CHECK_INT(got.id, id);
	CHECK_INT(got.tenant_id, f.tenant);
	CHECK_INT(got.case_id, f.kase);
	CHECK_INT(got.customer_id, f.customer);
	CHECK_STR(got.currency, "EUR");
	CHECK_INT(got.total_minor, 12000);
	CHECK_INT(got.months, 3);
	CHECK_INT(got.day_of_month, 15);
	CHECK_INT(got.paid_minor, 0);
	CHECK_STR(got.status, "active");
	CHECK_STR(got.source, "portal");
	CHECK_INT(got.created_at, at(2026, 11, 1, 10, 0));
	CHECK_INT(got.ended_at, 0);
	CHECK_INT(got.n_instalments, 3);
	if (got.n_instalments == 3) {
		CHECK_INT(got.instalments[0].n, 1);
		CHECK_INT(got.instalments[0].due_on, ymd(2026, 11, 15));
		CHECK_INT(got.instalments[0].amount_minor, 4000);
		CHECK_INT(got.instalments[1].n, 2);
		CHECK_INT(got.instalments[1].due_on, ymd(2026, 12, 15));
		CHECK_INT(got.instalments[2].n, 3);
		CHECK_INT(got.instalments[2].due_on, ymd(2027, 1, 15));
		CHECK_INT(got.instalments[2].amount_minor, 4000);
	}
	plan_rec_clear(&got);
	CHECK(got.instalments == NULL);

	/* a second active plan is refused; the transaction it was tried in
	 * goes on (on both backends) */
	CHECK_RC(store_begin(f.s, &e), 0);
	memcpy(p.source, "agent", 6);
	CHECK_INT(store_plan_insert(f.s, &p, &id2, &e), -ERR_CONFLICT);
	CHECK(strstr(e.msg, "has a plan already") != NULL);
	CHECK_INT(id2, 0);
	CHECK_RC(store_plan_active(f.s, f.tenant, f.kase, &got, &e), 0);
	CHECK_INT(got.id, id);
	CHECK_STR(got.source, "portal");
	plan_rec_clear(&got);
	CHECK_RC(store_commit(f.s, &e), 0);
	/* ... and outside one */
	CHECK_INT(store_plan_insert(f.s, &p, &id2, &e), -ERR_CONFLICT);
	CHECK_INT(id2, 0);

	/* another case may have one at the same time */
	p.case_id = f.closed;
	p.n_instalments = 1;
	CHECK_RC(store_plan_insert(f.s, &p, &id3, &e), 0);
	CHECK(id3 != id && id3 > 0);
	CHECK_RC(store_plan_active(f.s, f.tenant, f.closed, &got, &e), 0);
	CHECK_INT(got.id, id3);
	CHECK_STR(got.source, "agent");
	CHECK_INT(got.n_instalments, 1);
	if (got.n_instalments == 1) {
		CHECK_INT(got.instalments[0].n, 3);
		CHECK_INT(got.instalments[0].due_on, ymd(2027, 1, 15));
	}
	plan_rec_clear(&got);

	/* completed: no active plan any more, and a new one may start */
	memset(&got, 0, sizeof(got));
	got.tenant_id = f.tenant;
	got.id = id;
	got.paid_minor = 12000;
	memcpy(got.status, "completed", 10);
	got.ended_at = at(2027, 1, 15, 8, 0);
	CHECK_RC(store_plan_update(f.s, &got, &e), 0);
	CHECK_INT(store_plan_active(f.s, f.tenant, f.kase, &got, &e),
		  -ERR_NOTFOUND);
	p.case_id = f.kase;
	p.n_instalments = 3;
	p.created_at = at(2027, 2, 1, 10, 0);
	CHECK_RC(store_plan_insert(f.s, &p, &id2, &e), 0);
	CHECK(id2 != id && id2 != id3 && id2 > 0);

	/* an update of paid_minor read back; ended_at 0 stays none */
	memset(&got, 0, sizeof(got));
	got.tenant_id = f.tenant;
	got.id = id2;
	got.paid_minor = 4000;
	memcpy(got.status, "active", 7);
	CHECK_RC(store_plan_update(f.s, &got, &e), 0);
	CHECK_RC(store_plan_active(f.s, f.tenant, f.kase, &got, &e), 0);
	CHECK_INT(got.id, id2);
	CHECK_INT(got.paid_minor, 4000);
	CHECK_STR(got.status, "active");
	CHECK_INT(got.ended_at, 0);
	CHECK_INT(got.created_at, at(2027, 2, 1, 10, 0));
	CHECK_INT(got.n_instalments, 3);
	plan_rec_clear(&got);
	CHECK_INT(store_plan_active(f.s, f.tenant + 1000, f.kase, &got, &e),
		  -ERR_NOTFOUND);
	fixture_close(&f);
}

/* ---- requests ---- */

static void requests(const struct backend_env *env)
{
	struct request_rec help = {
		.kind = "help",
		.reason = (char *)"income_drop",
		.message = (char *)"Lost my job in October",
		.contact_via = (char *)"email",
		.created_at = 0,
	};
	struct request_rec call = {
		.kind = "callback",
		.reason = NULL,   /* stored as "" */
		.message = NULL,
		.contact_via = (char *)"phone",
	};
	struct request_rec dispute = {
		.kind = "dispute",
		.reason = (char *)"not_received",
		.message = (char *)"Never got \"it\"; \xc3\xa9\xc3\xa9n",
		.contact_via = NULL,
	};
	struct fixture f;
	struct request_rec *list = NULL;
	size_t n = 99;
	struct err e = { "" };
	int64_t id_help = 0, id_call = 0, id_dispute = 0;

	if (fixture_open(env, "t_requests", &f) < 0)
		return;
	help.tenant_id = call.tenant_id = dispute.tenant_id = f.tenant;
	help.case_id = call.case_id = dispute.case_id = f.kase;
	help.customer_id = call.customer_id = dispute.customer_id = f.customer;
	help.created_at = at(2026, 11, 1, 10, 0);
	call.callback_at = at(2026, 11, 3, 14, 30);
	call.created_at = at(2026, 11, 1, 10, 1);
	dispute.invoice_id = f.invoice;
	dispute.created_at = at(2026, 11, 1, 10, 2);

	CHECK_RC(store_request_list(f.s, f.tenant, f.kase, &list, &n, &e), 0);
	CHECK_INT(n, 0);
	request_list_free(list, n);

	CHECK_RC(store_request_insert(f.s, &help, &id_help, &e), 0);
	CHECK_RC(store_request_insert(f.s, &call, &id_call, &e), 0);
	CHECK_RC(store_request_insert(f.s, &dispute, &id_dispute, &e), 0);
	CHECK(id_help > 0 && id_call > id_help && id_dispute > id_call);

	CHECK_RC(store_request_list(f.s, f.tenant, f.kase, &list, &n, &e), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		const struct request_rec *d = &list[0], *c = &list[1],
					 *h = &list[2];
		CHECK_INT(d->id, id_dispute);
		CHECK_INT(d->tenant_id, f.tenant);
		CHECK_INT(d->case_id, f.kase);
		CHECK_INT(d->customer_id, f.customer);
		CHECK_STR(d->kind, "dispute");
		CHECK_STR(d->reason, "not_received");
		CHECK_STR(d->message, "Never got \"it\"; \xc3\xa9\xc3\xa9n");
		CHECK_STR(d->contact_via, "");
		CHECK_INT(d->callback_at, 0);
		CHECK_INT(d->invoice_id, f.invoice);
		CHECK_STR(d->status, "open");
		CHECK_INT(d->created_at, at(2026, 11, 1, 10, 2));

		CHECK_INT(c->id, id_call);
		CHECK_STR(c->kind, "callback");
		CHECK_STR(c->reason, "");
		CHECK_STR(c->message, "");
		CHECK_STR(c->contact_via, "phone");
		CHECK_INT(c->callback_at, at(2026, 11, 3, 14, 30));
		CHECK_INT(c->invoice_id, 0);
		CHECK_STR(c->status, "open");
		CHECK_INT(c->created_at, at(2026, 11, 1, 10, 1));

		CHECK_INT(h->id, id_help);
		CHECK_STR(h->kind, "help");
		CHECK_STR(h->reason, "income_drop");
		CHECK_STR(h->message, "Lost my job in October");
		CHECK_STR(h->contact_via, "email");
		CHECK_INT(h->callback_at, 0);
		CHECK_INT(h->invoice_id, 0);
		CHECK_STR(h->status, "open");
		CHECK_INT(h->created_at, at(2026, 11, 1, 10, 0));
	}
	request_list_free(list, n);
	CHECK_RC(store_request_list(f.s, f.tenant, f.closed, &list, &n, &e), 0);
	CHECK_INT(n, 0);
	request_list_free(list, n);
	CHECK_RC(store_request_list(f.s, f.tenant + 1000, f.kase, &list, &n,
				    &e), 0);
	CHECK_INT(n, 0);
	request_list_free(list, n);
	fixture_close(&f);
}

/* ---- checkouts ---- */

static void checkouts(const struct backend_env *env)
{
	struct checkout_rec c = {
		.provider = "mollie",
		.provider_id = (char *)"tr_WDqYK6vllg",
		.amount_minor = 12000,
		.currency = "EUR",
		.status = "open",
	};
	struct fixture f;
	struct checkout_rec got;
	struct err e = { "" };
	int64_t id = 0, id2 = 0;

	c.created_at = at(2026, 11, 1, 10, 0);
	if (fixture_open(env, "t_checkouts", &f) < 0)
		return;
	c.tenant_id = f.tenant;
	c.case_id = f.kase;
	CHECK_INT(store_checkout_find(f.s, f.tenant, "mollie", "tr_WDqYK6vllg",
				      &got, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "no such checkout");

	CHECK_RC(store_checkout_insert(f.s, &c, &id, &e), 0);
	CHECK(id > 0);
	memcpy(c.provider, "test", 5);
	c.amount_minor = 500;
	CHECK_RC(store_checkout_insert(f.s, &c, &id2, &e), 0);
	CHECK(id2 > id);

	memset(&got, 0x5a, sizeof(got));
	CHECK_RC(store_checkout_find(f.s, f.tenant, "mollie", "tr_WDqYK6vllg",
				     &got, &e), 0);
	CHECK_INT(got.id, id);
	CHECK_INT(got.tenant_id, f.tenant);
	CHECK_INT(got.case_id, f.kase);
	CHECK_STR(got.provider, "mollie");
	CHECK_STR(got.provider_id, "tr_WDqYK6vllg");
	CHECK_INT(got.amount_minor, 12000);
	CHECK_STR(got.currency, "EUR");
	CHECK_STR(got.status, "open");
	CHECK_INT(got.created_at, at(2026, 11, 1, 10, 0));
	CHECK_INT(got.updated_at, at(2026, 11, 1, 10, 0));
	checkout_rec_clear(&got);
	CHECK(got.provider_id == NULL);

	CHECK_RC(store_checkout_set_status(f.s, f.tenant, id, "paid",
					   at(2026, 11, 1, 10, 7), &e), 0);
	CHECK_RC(store_checkout_find(f.s, f.tenant, "mollie", "tr_WDqYK6vllg",
				     &got, &e), 0);
	CHECK_STR(got.status, "paid");
	CHECK_INT(got.created_at, at(2026, 11, 1, 10, 0));
	CHECK_INT(got.updated_at, at(2026, 11, 1, 10, 7));
	CHECK_INT(got.amount_minor, 12000);
	checkout_rec_clear(&got);
	/* the other provider's checkout of the same id is untouched */
	CHECK_RC(store_checkout_find(f.s, f.tenant, "test", "tr_WDqYK6vllg",
				     &got, &e), 0);
	CHECK_INT(got.id, id2);
	CHECK_STR(got.status, "open");
	CHECK_INT(got.amount_minor, 500);
	CHECK_INT(got.updated_at, at(2026, 11, 1, 10, 0));
	checkout_rec_clear(&got);
	/* another tenant's id changes nothing and finds nothing */
	CHECK_RC(store_checkout_set_status(f.s, f.tenant + 1000, id2, "failed",
					   at(2026, 11, 1, 11, 0), &e), 0);
	CHECK_RC(store_checkout_find(f.s, f.tenant, "test", "tr_WDqYK6vllg",
				     &got, &e), 0);
	CHECK_STR(got.status, "open");
	checkout_rec_clear(&got);
	CHECK_INT(store_checkout_find(f.s, f.tenant + 1000, "mollie",
				      "tr_WDqYK6vllg", &got, &e),
		  -ERR_NOTFOUND);
	CHECK_INT(store_checkout_find(f.s, f.tenant, "stripe", "tr_WDqYK6vllg",
				      &got, &e), -ERR_NOTFOUND);
	fixture_close(&f);
}

/* Every test, in order. */
#define PORTAL_TESTS(X)   \
	X(links)          \
	X(case_get_hold)  \
	X(case_messages)  \
	X(payments)       \
	X(events)         \
	X(disputed)       \
	X(plans)          \
	X(requests)       \
	X(checkouts)

/* sqlite_<test> and pg_<test>, so that RUN names both. */
#define BACKEND_TESTS(name)                            \
	TEST(sqlite_##name) { name(&sqlite_env); }     \
	TEST(pg_##name) { name(&pg_env); }
PORTAL_TESTS(BACKEND_TESTS)

/* The URL of database `db` on the server of `url` (its path replaced). */
static int url_with_db(const char *url, const char *db, char *out,
		       size_t size)
{
	const char *auth = strstr(url, "://");
	const char *path, *query;
	int n;

	if (!auth)
		return -1;
	auth += 3;
	path = auth + strcspn(auth, "/?");
	query = strchr(path, '?');
	n = snprintf(out, size, "%.*s/%s%s", (int)(path - url), url, db,
		     query ? query : "");
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* The server's notices (DROP ... IF EXISTS) are not test output. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Run one statement without parameters (CREATE/DROP DATABASE take none). */
static int admin_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		printf("  %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

int main(void)
{
	const char *pg_url = getenv("DUNWELL_PG_URL");
	const char *tmp = getenv("TMPDIR");
	char dir[512], db[64], sql[128];
	PGconn *admin = NULL;

	unsetenv("DUNWELL_FAULT_STORE");
	snprintf(dir, sizeof(dir), "%s/dunwell-portal.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sqlite_env.target, sizeof(sqlite_env.target), "%s/store.db",
		 dir);
#define RUN_SQLITE(name) RUN(sqlite_##name);
	PORTAL_TESTS(RUN_SQLITE)
	for (size_t i = 0; i < 3; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char path[1100];
		snprintf(path, sizeof(path), "%s%s", sqlite_env.target, sfx[i]);
		unlink(path);
	}
	rmdir(dir);

	if (!pg_url || !*pg_url) {
		printf("SKIP pg_*: DUNWELL_PG_URL is not set\n");
		return CHECK_DONE();
	}
	snprintf(db, sizeof(db), "dunwell_portal_%ld", (long)getpid());
	admin = PQconnectdb(pg_url);
	if (PQstatus(admin) != CONNECTION_OK) {
		printf("FAIL pg_server: %s", PQerrorMessage(admin));
		PQfinish(admin);
		return 1;
	}
	PQsetNoticeProcessor(admin, quiet, NULL);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
	admin_exec(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	if (admin_exec(admin, sql) < 0 ||
	    url_with_db(pg_url, db, pg_env.target, sizeof(pg_env.target)) < 0) {
		printf("FAIL pg_create_database\n");
		PQfinish(admin);
		return 1;
	}
#define RUN_PG(name) RUN(pg_##name);
	PORTAL_TESTS(RUN_PG)
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", db);
	admin_exec(admin, sql);
	PQfinish(admin);
	return CHECK_DONE();
}
