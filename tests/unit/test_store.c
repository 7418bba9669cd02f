/*
 * test_store: the store's contract, through the public store_* API only,
 * against every backend.
 *
 * Each test runs once on SQLite (a fresh file in a temporary folder) and,
 * when DUNWELL_PG_URL names a PostgreSQL server, once more on PostgreSQL in
 * a database of its own (dunwell_test_<pid>, created here and dropped at
 * the end, so several test programs can share one server). Tests are named
 * after the backend ("sqlite_work_load", "pg_work_load"); without
 * DUNWELL_PG_URL the pg tests are not run and print nothing.
 *
 * The tests share one database per backend: each works in a tenant of its
 * own, as every store operation is scoped by tenant. migrate_twice must
 * come first, while the database is still empty.
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

static date_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* Open the store; NULL (and a failed check) when it cannot be. */
static struct store *open_store(const struct backend_env *env)
{
	struct store *s = NULL;
	struct err e = { "" };
	if (store_open(env->target, &s, &e) < 0) {
		printf("  %s: %s\n", env->name, e.msg);
		CHECK(!"store opens");
		return NULL;
	}
	return s;
}

static int64_t new_tenant(struct store *s, const char *slug)
{
	struct err e = { "" };
	int64_t id = 0;
	int r = store_tenant_ensure(s, slug, slug, "Europe/Amsterdam", "nl",
				    &id, &e);
	if (r < 0)
		printf("  tenant %s: %s\n", slug, e.msg);
	CHECK_INT(r, 0);
	return id;
}

/* A customer with the given contact points; returns its id. */
static int64_t add_customer(struct store *s, int64_t tenant_id,
			    const char *external_id, struct contact_rec *cps,
			    size_t n)
{
	struct customer_rec c = {
		.tenant_id = tenant_id,
		.external_id = (char *)external_id,
		.name = (char *)"Name",
		.locale = (char *)"nl-NL",
		.timezone = (char *)"Europe/Amsterdam",
		.country = (char *)"NL",
		.segments = (char *)"consumer",
		.moratorium_until = DATE_NONE,
		.customer_since = DATE_NONE,
		.contacts = cps,
		.n_contacts = n,
	};
	struct err e = { "" };
	int64_t id = 0;
	int r = store_customer_upsert(s, &c, &id, &e);
	if (r < 0)
		printf("  customer %s: %s\n", external_id, e.msg);
	CHECK_INT(r, 0);
	return id;
}

static int64_t add_invoice(struct store *s, int64_t tenant_id,
			   int64_t customer_id, const char *external_id,
			   const char *currency, date_t due, int64_t amount,
			   int64_t open)
{
	struct invoice_rec inv = {
		.tenant_id = tenant_id,
		.customer_id = customer_id,
		.external_id = (char *)external_id,
		.number = (char *)external_id,
		.issue_date = due - 14,
		.due_date = due,
		.amount_minor = amount,
		.open_minor = open,
		.payment_reference = (char *)"",
	};
	struct err e = { "" };
	int64_t id = 0;
	int r;
	memcpy(inv.currency, currency, 4);
	r = store_invoice_upsert(s, &inv, &id, &e);
	if (r < 0)
		printf("  invoice %s: %s\n", external_id, e.msg);
	CHECK_INT(r, 0);
	return id;
}

/* An open case (inside a transaction the caller holds). */
static int64_t add_case(struct store *s, int64_t tenant_id,
			int64_t customer_id, const char *currency,
			enum case_status status, date_t last_step_on)
{
	struct case_rec c = {
		.tenant_id = tenant_id,
		.customer_id = customer_id,
		.strategy_version = 1,
		.strategy = (char *)"standard",
		.st = {
			.status = status,
			.anchor = ymd(2026, 10, 1),
			.next_step = 1,
			.opened_on = ymd(2026, 10, 20),
			.last_step_on = last_step_on,
			.hold_until = DATE_NONE,
			.hold_reason = HOLD_NONE,
		},
		.closed_on = status == CASE_OPEN ? DATE_NONE : ymd(2026, 11, 6),
	};
	struct err e = { "" };
	int64_t id = 0;
	int r;
	memcpy(c.currency, currency, 4);
	r = store_case_insert(s, &c, &id, &e);
	if (r < 0)
		printf("  case: %s\n", e.msg);
	CHECK_INT(r, 0);
	return id;
}

static struct action_rec action(int64_t tenant_id, int64_t case_id,
				int64_t customer_id, const char *step,
				enum action_kind kind, const char *channel,
				date_t on)
{
	struct action_rec a = {
		.tenant_id = tenant_id,
		.case_id = case_id,
		.customer_id = customer_id,
		.step = step,
		.kind = kind,
		.channel = channel,
		.fallbacks = "",
		.due_on = on,
		.decided_on = on,
		.decided_at = instant_from_date(on) + 9 * 3600,
		.currency = "EUR",
		.template_id = "",
		.tone = "",
		.end_action = "",
		.reason = "",
		.status = kind == ACTION_CONTACT ? "queued" : "done",
	};
	return a;
}

static int add_action(struct store *s, struct action_rec a)
{
	struct err e = { "" };
	int r = store_action_insert(s, &a, &e);
	if (r < 0)
		printf("  action: %s\n", e.msg);
	return r;
}

static int commit(struct store *s)
{
	struct err e = { "" };
	int r = store_commit(s, &e);
	if (r < 0)
		printf("  commit: %s\n", e.msg);
	return r;
}

static struct store_stats stats_of(struct store *s, int64_t tenant_id)
{
	struct store_stats st;
	struct err e = { "" };
	memset(&st, 0, sizeof(st));
	CHECK_INT(store_stats(s, tenant_id, &st, &e), 0);
	return st;
}

/* ---- the tests, each taking the backend ---- */

static void migrate_twice(const struct backend_env *env)
{
	struct store *s = NULL;
	struct err e = { "" };
	int applied = -1, version = -1, again = -1, version2 = -1;

	CHECK_INT(store_open_raw(env->target, &s, &e), 0);
	if (!s)
		return;
	CHECK_INT(store_migrate(s, &applied, &version, &e), 0);
	CHECK(applied >= 1);
	CHECK(version >= 1);
	CHECK_INT(store_migrate(s, &again, &version2, &e), 0);
	CHECK_INT(again, 0);
	CHECK_INT(version2, version);
	store_close(s);
}

static void tenant(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct tenant_rec t = { 0 }, *list = NULL;
	struct err e = { "" };
	int64_t id, id2 = 0;
	size_t n = 0;
	int found = 0;

	if (!s)
		return;
	id = new_tenant(s, "t_tenant");
	CHECK(id > 0);
	CHECK_INT(store_tenant_ensure(s, "t_tenant", "Acme B.V.", "UTC", "en",
				      &id2, &e),
		  0);
	CHECK_INT(id2, id);
	CHECK_INT(store_tenant_get(s, "t_tenant", &t, &e), 0);
	CHECK_INT(t.id, id);
	CHECK_STR(t.slug, "t_tenant");
	CHECK_STR(t.name, "Acme B.V.");
	CHECK_STR(t.timezone, "UTC");
	CHECK_STR(t.locale, "en");
	tenant_rec_clear(&t);
	CHECK_INT(store_tenant_get(s, "t_nobody", &t, &e), -ERR_NOTFOUND);
	CHECK_INT(store_tenant_list(s, &list, &n, &e), 0);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i].slug, "t_tenant") == 0) {
			found++;
			CHECK_INT(list[i].id, id);
		}
		if (i > 0)
			CHECK(list[i - 1].id < list[i].id);
	}
	CHECK_INT(found, 1);
	tenant_list_free(list, n);
	store_close(s);
}

static void customer_upsert(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct contact_rec two[] = {
		{ CHANNEL_EMAIL, (char *)"a@example.nl", 1, 2 },
		{ CHANNEL_SMS, (char *)"+31612345678", 0, 1 },
	};
	struct contact_rec one[] = {
		{ CHANNEL_LETTER, (char *)"Dorpsstraat 1\n1234 AB Ergens", 1, 1 },
	};
	struct customer_rec c = { 0 };
	struct err e = { "" };
	int64_t tid, id, id2, id3 = 0;

	if (!s)
		return;
	tid = new_tenant(s, "t_customer");
	id = add_customer(s, tid, "C1", two, 2);
	CHECK(id > 0);
	CHECK_INT(store_customer_get(s, tid, "C1", &c, &e), 0);
	CHECK_INT(c.id, id);
	CHECK_INT(c.tenant_id, tid);
	CHECK_STR(c.external_id, "C1");
	CHECK_STR(c.name, "Name");
	CHECK_STR(c.locale, "nl-NL");
	CHECK_STR(c.timezone, "Europe/Amsterdam");
	CHECK_STR(c.country, "NL");
	CHECK_STR(c.segments, "consumer");
	CHECK_INT(c.vulnerable, 0);
	CHECK_INT(c.moratorium_until, DATE_NONE);
	CHECK_INT(c.n_contacts, 2);
	if (c.n_contacts == 2) {
		/* by preference */
		CHECK_INT(c.contacts[0].channel, CHANNEL_SMS);
		CHECK_STR(c.contacts[0].address, "+31612345678");
		CHECK_INT(c.contacts[0].consent, 0);
		CHECK_INT(c.contacts[0].preference, 1);
		CHECK_INT(c.contacts[1].channel, CHANNEL_EMAIL);
		CHECK_INT(c.contacts[1].consent, 1);
	}
	customer_rec_clear(&c);

	/* The same external id: the row and its contact points replaced. */
	struct customer_rec again = {
		.tenant_id = tid,
		.external_id = (char *)"C1",
		.name = (char *)"Anna de Vries",
		.locale = (char *)"nl",
		.timezone = (char *)"Europe/Brussels",
		.country = (char *)"BE",
		.segments = (char *)"consumer vip",
		.vulnerable = 1,
		.do_not_contact = 1,
		.deceased = 0,
		.plain_language = 1,
		.moratorium_until = ymd(2026, 12, 31),
		.customer_since = ymd(2020, 2, 29),
		.contacts = one,
		.n_contacts = 1,
	};
	CHECK_INT(store_customer_upsert(s, &again, &id2, &e), 0);
	CHECK_INT(id2, id);
	CHECK_INT(store_customer_get(s, tid, "C1", &c, &e), 0);
	CHECK_STR(c.name, "Anna de Vries");
	CHECK_STR(c.timezone, "Europe/Brussels");
	CHECK_STR(c.segments, "consumer vip");
	CHECK_INT(c.vulnerable, 1);
	CHECK_INT(c.do_not_contact, 1);
	CHECK_INT(c.deceased, 0);
	CHECK_INT(c.plain_language, 1);
	CHECK_INT(c.moratorium_until, ymd(2026, 12, 31));
	CHECK_INT(c.customer_since, ymd(2020, 2, 29));
	CHECK_INT(c.n_contacts, 1);
	if (c.n_contacts == 1) {
		CHECK_INT(c.contacts[0].channel, CHANNEL_LETTER);
		CHECK_STR(c.contacts[0].address, "Dorpsstraat 1\n1234 AB Ergens");
	}
	customer_rec_clear(&c);

	CHECK_INT(store_customer_id(s, tid, "C1", &id3, &e), 0);
	CHECK_INT(id3, id);
	CHECK_INT(store_customer_id(s, tid, "C2", &id3, &e), -ERR_NOTFOUND);
	CHECK_INT(store_customer_get(s, tid, "C2", &c, &e), -ERR_NOTFOUND);
	store_close(s);
}

static void invoice(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct invoice_rec inv = { 0 }, *list = NULL;
	struct err e = { "" };
	int64_t tid, cid, i1, i2, i3, again = 0;
	size_t n = 0;

	if (!s)
		return;
	tid = new_tenant(s, "t_invoice");
	cid = add_customer(s, tid, "C1", NULL, 0);
	i1 = add_invoice(s, tid, cid, "I1", "EUR", ymd(2026, 10, 15), 7995,
			 7995);
	i2 = add_invoice(s, tid, cid, "I2", "EUR", ymd(2026, 10, 1), 1000,
			 500);
	i3 = add_invoice(s, tid, cid, "I3", "USD", ymd(2026, 9, 1), 2000,
			 2000);
	CHECK(i1 > 0 && i2 > 0 && i3 > 0 && i1 != i2);

	/* Upsert by external id: same row, new values. */
	struct invoice_rec up = {
		.tenant_id = tid,
		.customer_id = cid,
		.external_id = (char *)"I1",
		.number = (char *)"2026-0001",
		.issue_date = ymd(2026, 10, 1),
		.due_date = ymd(2026, 10, 15),
		.amount_minor = 8995,
		.open_minor = 8995,
		.currency = "EUR",
		.payment_reference = (char *)"RF18539007547034",
		.disputed = 1,
	};
	CHECK_INT(store_invoice_upsert(s, &up, &again, &e), 0);
	CHECK_INT(again, i1);
	CHECK_INT(store_invoice_get(s, tid, "I1", &inv, &e), 0);
	CHECK_INT(inv.id, i1);
	CHECK_INT(inv.customer_id, cid);
	CHECK_STR(inv.number, "2026-0001");
	CHECK_INT(inv.issue_date, ymd(2026, 10, 1));
	CHECK_INT(inv.due_date, ymd(2026, 10, 15));
	CHECK_INT(inv.amount_minor, 8995);
	CHECK_INT(inv.open_minor, 8995);
	CHECK_STR(inv.currency, "EUR");
	CHECK_STR(inv.payment_reference, "RF18539007547034");
	CHECK_INT(inv.disputed, 1);
	invoice_rec_clear(&inv);
	CHECK_INT(store_invoice_get(s, tid, "I9", &inv, &e), -ERR_NOTFOUND);

	/* More open than the amount breaks the CHECK constraint. */
	up.open_minor = up.amount_minor + 1;
	CHECK(store_invoice_upsert(s, &up, &again, &e) < 0);

	/* By payment reference or printed number. */
	CHECK_INT(store_invoice_find_ref(s, tid, "RF18539007547034", &inv, &e),
		  0);
	CHECK_INT(inv.id, i1);
	invoice_rec_clear(&inv);
	CHECK_INT(store_invoice_find_ref(s, tid, "I2", &inv, &e), 0);
	CHECK_INT(inv.id, i2);
	invoice_rec_clear(&inv);
	CHECK_INT(store_invoice_find_ref(s, tid, "RF00", &inv, &e),
		  -ERR_NOTFOUND);

	/* Open ones in a currency, oldest due first. */
	CHECK_INT(store_invoices_open(s, tid, cid, "EUR", &list, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].id, i2);
		CHECK_INT(list[0].open_minor, 500);
		CHECK_INT(list[1].id, i1);
	}
	invoice_list_free(list, n);
	CHECK_INT(store_invoice_set_open(s, tid, i2, 0, &e), 0);
	CHECK_INT(store_invoices_open(s, tid, cid, "EUR", &list, &n, &e), 0);
	CHECK_INT(n, 1);
	invoice_list_free(list, n);
	CHECK_INT(store_invoice_write_off(s, tid, i1, &e), 0);
	CHECK_INT(store_invoices_open(s, tid, cid, "EUR", &list, &n, &e), 0);
	CHECK_INT(n, 0);
	invoice_list_free(list, n);
	CHECK_INT(store_invoices_open(s, tid, cid, "USD", &list, &n, &e), 0);
	CHECK_INT(n, 1);
	invoice_list_free(list, n);
	store_close(s);
}

static void payment_once(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct err e = { "" };
	int64_t tid, cid, iid;
	int inserted = -1;

	if (!s)
		return;
	tid = new_tenant(s, "t_payment");
	cid = add_customer(s, tid, "C1", NULL, 0);
	iid = add_invoice(s, tid, cid, "I1", "EUR", ymd(2026, 10, 1), 1000,
			  1000);
	struct payment_rec p = {
		.tenant_id = tid,
		.external_id = (char *)"BANK-1",
		.customer_id = cid,
		.invoice_id = iid,
		.amount_minor = 400,
		.currency = "EUR",
		.paid_on = ymd(2026, 10, 5),
		.method = (char *)"bank_transfer",
	};
	CHECK_INT(store_payment_insert(s, &p, &inserted, &e), 0);
	CHECK_INT(inserted, 1);
	CHECK_INT(store_payment_insert(s, &p, &inserted, &e), 0);
	CHECK_INT(inserted, 0);
	p.external_id = (char *)"BANK-2";
	p.invoice_id = 0; /* not allocated to one invoice */
	CHECK_INT(store_payment_insert(s, &p, &inserted, &e), 0);
	CHECK_INT(inserted, 1);
	CHECK_INT(stats_of(s, tid).payments, 2);
	store_close(s);
}

static void strategy_versions(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct strategy_version_rec v = { 0 };
	struct err e = { "" };
	int64_t tid;
	int n = 0;

	if (!s)
		return;
	tid = new_tenant(s, "t_strategy");
	CHECK_INT(store_strategy_get(s, tid, 0, &v, &e), -ERR_NOTFOUND);
	CHECK_INT(store_strategy_add(s, tid, "a.yaml", "a: 1\n", 1, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK_INT(store_strategy_add(s, tid, "b.yaml", "b: 2\n", 0, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK_INT(store_strategy_get(s, tid, 0, &v, &e), 0);
	CHECK_INT(v.version, 1);
	CHECK_STR(v.source, "a.yaml");
	CHECK_INT(v.active, 1);
	strategy_version_rec_clear(&v);
	CHECK_INT(store_begin(s, &e), 0);
	CHECK_INT(store_strategy_add(s, tid, "c.yaml", "c: 3\n", 1, &n, &e), 0);
	CHECK_INT(commit(s), 0);
	CHECK_INT(n, 3);
	CHECK_INT(store_strategy_get(s, tid, 0, &v, &e), 0);
	CHECK_INT(v.version, 3);
	CHECK_STR(v.yaml, "c: 3\n");
	strategy_version_rec_clear(&v);
	CHECK_INT(store_strategy_get(s, tid, 2, &v, &e), 0);
	CHECK_INT(v.version, 2);
	CHECK_STR(v.source, "b.yaml");
	CHECK_STR(v.yaml, "b: 2\n");
	CHECK_INT(v.active, 0);
	strategy_version_rec_clear(&v);
	CHECK_INT(store_strategy_get(s, tid, 1, &v, &e), 0);
	CHECK_INT(v.active, 0); /* one active at a time */
	strategy_version_rec_clear(&v);
	CHECK_INT(store_strategy_get(s, tid, 9, &v, &e), -ERR_NOTFOUND);
	store_close(s);
}

static void cases(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct case_rec *list = NULL;
	struct err e = { "" };
	int64_t tid, cid, k1, k2, ignored;
	size_t n = 0;

	if (!s)
		return;
	tid = new_tenant(s, "t_cases");
	cid = add_customer(s, tid, "C1", NULL, 0);

	/* Only inside a transaction. */
	struct case_rec outside = { .tenant_id = tid, .customer_id = cid,
				    .currency = "EUR",
				    .strategy = (char *)"x" };
	CHECK(store_case_insert(s, &outside, &ignored, &e) < 0);

	CHECK_INT(store_begin(s, &e), 0);
	k1 = add_case(s, tid, cid, "EUR", CASE_OPEN, DATE_NONE);
	k2 = add_case(s, tid, cid, "USD", CASE_OPEN, ymd(2026, 11, 1));
	CHECK_INT(commit(s), 0);
	CHECK(k1 > 0 && k2 > k1);

	CHECK_INT(store_case_list(s, tid, cid, &list, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].id, k1);
		CHECK_STR(list[0].currency, "EUR");
		CHECK_INT(list[0].st.status, CASE_OPEN);
		CHECK_STR(list[0].strategy, "standard");
		CHECK_INT(list[0].strategy_version, 1);
		CHECK_INT(list[0].st.anchor, ymd(2026, 10, 1));
		CHECK_INT(list[0].st.opened_on, ymd(2026, 10, 20));
		CHECK_INT(list[0].st.last_step_on, DATE_NONE);
		CHECK_INT(list[0].closed_on, DATE_NONE);
		CHECK_INT(list[1].id, k2);
		CHECK_INT(list[1].st.last_step_on, ymd(2026, 11, 1));
	}

	/* Update: the whole state. */
	if (n == 2) {
		struct case_rec c = list[0];
		c.st.status = CASE_RESOLVED;
		c.st.next_step = 3;
		c.st.anchor = ymd(2026, 10, 15);
		c.st.last_step_on = ymd(2026, 11, 5);
		c.st.hold_reason = HOLD_PROMISE;
		c.st.hold_until = ymd(2026, 11, 30);
		c.st.fees_minor = 4000;
		c.closed_on = ymd(2026, 11, 6);
		CHECK_INT(store_begin(s, &e), 0);
		CHECK_INT(store_case_update(s, &c, &e), 0);
		CHECK_INT(commit(s), 0);
	}
	case_list_free(list, n);
	CHECK_INT(store_case_list(s, tid, cid, &list, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_INT(list[0].st.status, CASE_RESOLVED);
		CHECK_INT(list[0].st.next_step, 3);
		CHECK_INT(list[0].st.anchor, ymd(2026, 10, 15));
		CHECK_INT(list[0].st.last_step_on, ymd(2026, 11, 5));
		CHECK_INT(list[0].st.hold_reason, HOLD_PROMISE);
		CHECK_INT(list[0].st.hold_until, ymd(2026, 11, 30));
		CHECK_INT(list[0].st.fees_minor, 4000);
		CHECK_INT(list[0].closed_on, ymd(2026, 11, 6));
	}
	case_list_free(list, n);

	/* A second open case in one currency breaks the unique index: the
	 * write fails (at the latest at commit) and nothing is kept. */
	CHECK_INT(store_begin(s, &e), 0);
	{
		struct case_rec dup = { .tenant_id = tid, .customer_id = cid,
					.currency = "USD", .strategy_version = 1,
					.strategy = (char *)"standard",
					.st = { .status = CASE_OPEN,
						.anchor = ymd(2026, 10, 1),
						.opened_on = ymd(2026, 11, 2),
						.last_step_on = DATE_NONE,
						.hold_until = DATE_NONE },
					.closed_on = DATE_NONE };
		int r = store_case_insert(s, &dup, &ignored, &e);
		if (r == 0)
			r = store_commit(s, &e);
		CHECK(r < 0);
		CHECK(strstr(e.msg, "cases") != NULL);
		store_rollback(s);
	}
	CHECK_INT(stats_of(s, tid).cases_open, 1);
	CHECK_INT(stats_of(s, tid).cases_closed, 1);
	store_close(s);
}

static void action_once(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct err e = { "" };
	int64_t tid, cid, k;
	struct action_rec a;

	if (!s)
		return;
	tid = new_tenant(s, "t_action");
	cid = add_customer(s, tid, "C1", NULL, 0);
	CHECK_INT(store_begin(s, &e), 0);
	k = add_case(s, tid, cid, "EUR", CASE_OPEN, DATE_NONE);
	a = action(tid, k, cid, "reminder", ACTION_CONTACT, "email",
		   ymd(2026, 11, 1));
	CHECK_INT(add_action(s, a), 0);
	a.status = "sent"; /* a second decision under the same key */
	CHECK_INT(add_action(s, a), 0);
	CHECK_INT(commit(s), 0);
	/* ... and again in a later transaction */
	CHECK_INT(store_begin(s, &e), 0);
	CHECK_INT(add_action(s, a), 0);
	a.channel = "sms"; /* another channel is another action */
	CHECK_INT(add_action(s, a), 0);
	CHECK_INT(commit(s), 0);
	CHECK_INT(stats_of(s, tid).actions, 2);
	store_close(s);
}

/* Collects a case's history as "what kind step on detail" lines. */
struct hist {
	char lines[16][160];
	instant_t at[16];
	int n;
};

static int hist_cb(void *ctx, const struct history_rec *r)
{
	struct hist *h = ctx;
	char on[DATE_FMT_MAX] = "-";
	if (h->n >= 16)
		return 1;
	if (r->on != DATE_NONE)
		date_format(r->on, on);
	snprintf(h->lines[h->n], sizeof(h->lines[h->n]), "%s %s %s %s %s",
		 r->what, r->kind, r->step[0] ? r->step : "-", on, r->detail);
	h->at[h->n++] = r->at;
	return 0;
}

static void history(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct err e = { "" };
	struct hist h = { .n = 0 };
	int64_t tid, cid, k;
	date_t d1 = ymd(2026, 11, 1), d2 = ymd(2026, 11, 8);
	instant_t t1 = instant_from_date(d1) + 9 * 3600;
	instant_t t2 = instant_from_date(d2) + 9 * 3600;

	if (!s)
		return;
	tid = new_tenant(s, "t_history");
	cid = add_customer(s, tid, "C1", NULL, 0);
	CHECK_INT(store_begin(s, &e), 0);
	k = add_case(s, tid, cid, "EUR", CASE_OPEN, d2);
	struct event_rec opened = { .tenant_id = tid, .case_id = k, .at = t1,
				    .kind = "case.opened", .detail = "{}" };
	struct event_rec note = { .tenant_id = tid, .case_id = k, .at = t2,
				  .kind = "case.reanchored",
				  .detail = "{\"anchor\":\"2026-10-15\"}" };
	/* written out of order: the history sorts */
	CHECK_INT(store_event_append(s, &note, &e), 0);
	struct action_rec fee = action(tid, k, cid, "formal", ACTION_FEE, "", d1);
	fee.amount_minor = 4000;
	CHECK_INT(add_action(s, fee), 0);
	struct action_rec contact = action(tid, k, cid, "formal", ACTION_CONTACT,
					   "email", d1);
	contact.template_id = "formal_reminder";
	contact.tone = "formal";
	CHECK_INT(add_action(s, contact), 0);
	struct action_rec agent = action(tid, k, cid, "", ACTION_AGENT, "", d1);
	agent.reason = "vulnerable";
	CHECK_INT(add_action(s, agent), 0);
	CHECK_INT(store_event_append(s, &opened, &e), 0);
	struct action_rec later = action(tid, k, cid, "final", ACTION_CONTACT,
					 "sms", d2);
	CHECK_INT(add_action(s, later), 0);
	CHECK_INT(commit(s), 0);

	CHECK_INT(store_case_history(s, tid, k, hist_cb, &h, &e), 0);
	CHECK_INT(h.n, 6);
	if (h.n == 6) {
		/* by instant; at one instant events first, then actions by
		 * kind: hand-off, skips, contacts, fees, end actions */
		CHECK_STR(h.lines[0], "event case.opened - - {}");
		CHECK_STR(h.lines[1], "action agent - 2026-11-01 vulnerable");
		CHECK_STR(h.lines[2], "action contact formal 2026-11-01"
				      " formal_reminder (formal)");
		CHECK_STR(h.lines[3], "action fee formal 2026-11-01 done");
		CHECK_STR(h.lines[4], "event case.reanchored - -"
				      " {\"anchor\":\"2026-10-15\"}");
		CHECK_STR(h.lines[5], "action contact final 2026-11-08 queued");
		CHECK_INT(h.at[0], t1);
		CHECK_INT(h.at[3], t1);
		CHECK_INT(h.at[4], t2);
		CHECK_INT(h.at[5], t2);
	}
	CHECK_INT(stats_of(s, tid).events, 2);
	store_close(s);
}

static void work_load(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct err e = { "" };
	struct work_set w = { 0 };
	struct contact_rec cps[] = {
		{ CHANNEL_EMAIL, (char *)"a@example.nl", 1, 2 },
		{ CHANNEL_LETTER, (char *)"Straat 1", 1, 3 },
		{ CHANNEL_SMS, (char *)"+31612345678", 0, 1 },
	};
	int64_t tid, a, b, c, d, f, ka, ka_old, kd, kf;
	date_t since = ymd(2026, 10, 1);

	if (!s)
		return;
	tid = new_tenant(s, "t_work");
	a = add_customer(s, tid, "A", cps, 3);   /* open invoice and case */
	b = add_customer(s, tid, "B", NULL, 0);  /* everything paid */
	c = add_customer(s, tid, "C", NULL, 0);  /* only written off */
	d = add_customer(s, tid, "D", NULL, 0);  /* two currencies */
	f = add_customer(s, tid, "F", NULL, 0);  /* a case, no invoice */
	add_invoice(s, tid, a, "A1", "EUR", ymd(2026, 10, 10), 1000, 1000);
	add_invoice(s, tid, b, "B1", "EUR", ymd(2026, 10, 10), 1000, 0);
	CHECK_INT(store_invoice_write_off(
			  s, tid,
			  add_invoice(s, tid, c, "C1", "EUR", ymd(2026, 9, 1),
				      500, 500),
			  &e),
		  0);
	int64_t d_late = add_invoice(s, tid, d, "D1", "EUR", ymd(2026, 10, 20),
				     300, 300);
	int64_t d_usd = add_invoice(s, tid, d, "D2", "USD", ymd(2026, 10, 1),
				    200, 150);
	int64_t d_early = add_invoice(s, tid, d, "D3", "EUR", ymd(2026, 10, 5),
				      100, 100);

	CHECK_INT(store_begin(s, &e), 0);
	ka_old = add_case(s, tid, a, "EUR", CASE_RESOLVED, ymd(2026, 11, 5));
	ka = add_case(s, tid, a, "EUR", CASE_OPEN, ymd(2026, 11, 10));
	kd = add_case(s, tid, d, "USD", CASE_OPEN, ymd(2026, 9, 15));
	kf = add_case(s, tid, f, "EUR", CASE_OPEN, DATE_NONE);
	/* A's contacts: two through the open case, one through the closed
	 * one; a fee and a contact before `since` do not count */
	add_action(s, action(tid, ka, a, "s1", ACTION_CONTACT, "sms",
			     ymd(2026, 11, 10)));
	add_action(s, action(tid, ka, a, "s0", ACTION_CONTACT, "sms",
			     ymd(2026, 11, 1)));
	add_action(s, action(tid, ka, a, "s1", ACTION_FEE, "",
			     ymd(2026, 11, 10)));
	add_action(s, action(tid, ka, a, "old", ACTION_CONTACT, "sms",
			     ymd(2026, 9, 1)));
	add_action(s, action(tid, ka_old, a, "s2", ACTION_CONTACT, "email",
			     ymd(2026, 11, 5)));
	/* D's case took no step since `since`: its actions are not read */
	add_action(s, action(tid, kd, d, "s0", ACTION_CONTACT, "email",
			     ymd(2026, 10, 2)));
	CHECK_INT(commit(s), 0);
	(void)kf;

	CHECK_INT(store_work_load(s, tid, a, f + 1, since, &w, &e), 0);
	CHECK_INT(w.n_customers, 3);
	if (w.n_customers == 3) {
		struct work_customer *wa = &w.customers[0], *wd = &w.customers[1],
				     *wf = &w.customers[2];
		CHECK_INT(wa->c.id, a);
		CHECK_INT(wd->c.id, d);
		CHECK_INT(wf->c.id, f);
		CHECK_STR(wa->c.external_id, "A");
		CHECK_STR(wa->c.timezone, "Europe/Amsterdam");
		CHECK_STR(wa->c.country, "NL");
		CHECK_STR(wa->c.segments, "consumer");
		CHECK(wa->c.name == NULL);
		CHECK(wa->c.locale == NULL);
		CHECK_INT(wa->c.tenant_id, tid);
		/* contact points by preference, without addresses */
		CHECK_INT(wa->c.n_contacts, 3);
		if (wa->c.n_contacts == 3) {
			CHECK_INT(wa->c.contacts[0].channel, CHANNEL_SMS);
			CHECK_INT(wa->c.contacts[0].consent, 0);
			CHECK_INT(wa->c.contacts[1].channel, CHANNEL_EMAIL);
			CHECK_INT(wa->c.contacts[1].preference, 2);
			CHECK_INT(wa->c.contacts[2].channel, CHANNEL_LETTER);
			CHECK(wa->c.contacts[0].address == NULL);
		}
		CHECK_INT(wa->n_invoices, 1);
		CHECK_INT(wa->n_cases, 1);
		if (wa->n_cases == 1) {
			CHECK_INT(wa->cases[0].id, ka);
			CHECK_INT(wa->cases[0].st.status, CASE_OPEN);
			CHECK_STR(wa->cases[0].strategy, "standard");
		}
		CHECK_INT(wa->n_contacts, 3);
		if (wa->n_contacts == 3) {
			CHECK_INT(wa->contacts[0], ymd(2026, 11, 1));
			CHECK_INT(wa->contacts[1], ymd(2026, 11, 5));
			CHECK_INT(wa->contacts[2], ymd(2026, 11, 10));
		}
		/* invoices by currency, then due date */
		CHECK_INT(wd->n_invoices, 3);
		if (wd->n_invoices == 3) {
			CHECK_INT(wd->invoices[0].id, d_early);
			CHECK_INT(wd->invoices[1].id, d_late);
			CHECK_INT(wd->invoices[2].id, d_usd);
			CHECK_STR(wd->invoices[2].currency, "USD");
			CHECK_INT(wd->invoices[2].open_minor, 150);
			CHECK_INT(wd->invoices[2].amount_minor, 150);
			CHECK_INT(wd->invoices[0].due_date, ymd(2026, 10, 5));
			CHECK_INT(wd->invoices[0].customer_id, d);
		}
		CHECK_INT(wd->n_cases, 1);
		CHECK_INT(wd->n_contacts, 0);
		CHECK_INT(wf->n_invoices, 0);
		CHECK_INT(wf->n_cases, 1);
		CHECK_INT(wf->c.n_contacts, 0);
	}
	work_set_clear(&w);

	/* A range holds only its customers. */
	CHECK_INT(store_work_load(s, tid, d, d + 1, since, &w, &e), 0);
	CHECK_INT(w.n_customers, 1);
	if (w.n_customers == 1)
		CHECK_INT(w.customers[0].c.id, d);
	work_set_clear(&w);
	CHECK_INT(store_work_load(s, tid, b, c + 1, since, &w, &e), 0);
	CHECK_INT(w.n_customers, 0);
	work_set_clear(&w);
	store_close(s);
}

static void customer_id_range(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct err e = { "" };
	int64_t tid, lo = -1, hi = -1, first, last;

	if (!s)
		return;
	tid = new_tenant(s, "t_range");
	CHECK_INT(store_customer_id_range(s, tid, &lo, &hi, &e), 0);
	CHECK_INT(lo, 0);
	CHECK_INT(hi, 0);
	first = add_customer(s, tid, "R1", NULL, 0);
	add_customer(s, tid, "R2", NULL, 0);
	last = add_customer(s, tid, "R3", NULL, 0);
	CHECK_INT(store_customer_id_range(s, tid, &lo, &hi, &e), 0);
	CHECK_INT(lo, first);
	CHECK_INT(hi, last);
	store_close(s);
}

static void stats(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct store_stats st;
	struct err e = { "" };
	int64_t tid, c1, c2, k;

	if (!s)
		return;
	tid = new_tenant(s, "t_stats");
	st = stats_of(s, tid);
	CHECK(st.tenants >= 1);
	CHECK_INT(st.customers, 0);
	c1 = add_customer(s, tid, "S1", NULL, 0);
	c2 = add_customer(s, tid, "S2", NULL, 0);
	add_invoice(s, tid, c1, "I1", "EUR", ymd(2026, 10, 1), 100, 100);
	add_invoice(s, tid, c1, "I2", "EUR", ymd(2026, 10, 2), 100, 0);
	add_invoice(s, tid, c2, "I3", "EUR", ymd(2026, 10, 3), 100, 50);
	CHECK_INT(store_begin(s, &e), 0);
	k = add_case(s, tid, c1, "EUR", CASE_OPEN, DATE_NONE);
	add_case(s, tid, c2, "EUR", CASE_WRITTEN_OFF, DATE_NONE);
	add_action(s, action(tid, k, c1, "s", ACTION_CONTACT, "email",
			     ymd(2026, 11, 1)));
	struct event_rec ev = { .tenant_id = tid, .case_id = k, .at = 1,
				.kind = "case.opened", .detail = NULL };
	CHECK_INT(store_event_append(s, &ev, &e), 0);
	/* buffered rows are counted: stats reads after writing them */
	st = stats_of(s, tid);
	CHECK_INT(commit(s), 0);
	CHECK_INT(st.customers, 2);
	CHECK_INT(st.invoices, 3);
	CHECK_INT(st.open_invoices, 2);
	CHECK_INT(st.payments, 0);
	CHECK_INT(st.cases_open, 1);
	CHECK_INT(st.cases_closed, 1);
	CHECK_INT(st.actions, 1);
	CHECK_INT(st.events, 1);
	store_close(s);
}

static void rollback_drops(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct case_rec *list = NULL;
	struct err e = { "" };
	struct store_stats st;
	int64_t tid, cid, k;
	size_t n = 0;

	if (!s)
		return;
	tid = new_tenant(s, "t_rollback");
	cid = add_customer(s, tid, "C1", NULL, 0);
	CHECK_INT(store_begin(s, &e), 0);
	k = add_case(s, tid, cid, "EUR", CASE_OPEN, DATE_NONE);
	struct event_rec ev = { .tenant_id = tid, .case_id = k, .at = 1,
				.kind = "case.opened", .detail = "{}" };
	CHECK_INT(store_event_append(s, &ev, &e), 0);
	CHECK_INT(add_action(s, action(tid, k, cid, "s", ACTION_CONTACT,
				       "email", ymd(2026, 11, 1))),
		  0);
	CHECK_INT(store_rollback(s), 0);
	CHECK_INT(store_rollback(s), 0); /* and again: harmless */
	st = stats_of(s, tid);
	CHECK_INT(st.cases_open, 0);
	CHECK_INT(st.events, 0);
	CHECK_INT(st.actions, 0);
	CHECK_INT(store_case_list(s, tid, cid, &list, &n, &e), 0);
	CHECK_INT(n, 0);
	case_list_free(list, n);

	/* the connection is fine afterwards */
	CHECK_INT(store_begin(s, &e), 0);
	k = add_case(s, tid, cid, "EUR", CASE_OPEN, DATE_NONE);
	CHECK_INT(add_action(s, action(tid, k, cid, "s", ACTION_CONTACT,
				       "email", ymd(2026, 11, 1))),
		  0);
	CHECK_INT(commit(s), 0);
	st = stats_of(s, tid);
	CHECK_INT(st.cases_open, 1);
	CHECK_INT(st.actions, 1);
	store_close(s);
}

static void fault(const struct backend_env *env)
{
	struct store *s;
	struct customer_rec c = { 0 };
	struct err e = { "" };
	int64_t tid;

	/* writes: 1 tenant, 2 customer, 3 customer (fails), 4 customer */
	setenv("DUNWELL_FAULT_STORE", "3", 1);
	s = open_store(env);
	unsetenv("DUNWELL_FAULT_STORE");
	if (!s)
		return;
	tid = new_tenant(s, "t_fault");
	add_customer(s, tid, "F1", NULL, 0);
	struct customer_rec f2 = { .tenant_id = tid,
				   .external_id = (char *)"F2",
				   .name = (char *)"x", .locale = (char *)"nl",
				   .timezone = (char *)"UTC",
				   .moratorium_until = DATE_NONE,
				   .customer_since = DATE_NONE };
	int64_t id = 0;
	CHECK_INT(store_customer_upsert(s, &f2, &id, &e), -ERR_STORE);
	CHECK(strstr(e.msg, "injected store fault at write 3") != NULL);
	CHECK_INT(store_customer_get(s, tid, "F2", &c, &e), -ERR_NOTFOUND);
	add_customer(s, tid, "F3", NULL, 0);
	CHECK_INT(stats_of(s, tid).customers, 2);
	store_close(s);
}

/* Every test, in order (migrate_twice first: it needs an empty database). */
#define STORE_TESTS(X)          \
	X(migrate_twice)        \
	X(tenant)               \
	X(customer_upsert)      \
	X(invoice)              \
	X(payment_once)         \
	X(strategy_versions)    \
	X(cases)                \
	X(action_once)          \
	X(history)              \
	X(work_load)            \
	X(customer_id_range)    \
	X(stats)                \
	X(rollback_drops)       \
	X(fault)

/* sqlite_<test> and pg_<test>, so that RUN names both. */
#define BACKEND_TESTS(name)                            \
	TEST(sqlite_##name) { name(&sqlite_env); }     \
	TEST(pg_##name) { name(&pg_env); }
STORE_TESTS(BACKEND_TESTS)

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
	snprintf(dir, sizeof(dir), "%s/dunwell-store.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sqlite_env.target, sizeof(sqlite_env.target), "%s/store.db",
		 dir);
#define RUN_SQLITE(name) RUN(sqlite_##name);
	STORE_TESTS(RUN_SQLITE)
	for (size_t i = 0; i < 3; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char path[1100];
		snprintf(path, sizeof(path), "%s%s", sqlite_env.target, sfx[i]);
		unlink(path);
	}
	rmdir(dir);

	if (!pg_url || !*pg_url)
		return CHECK_DONE();
	snprintf(db, sizeof(db), "dunwell_test_%ld", (long)getpid());
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
	STORE_TESTS(RUN_PG)
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", db);
	admin_exec(admin, sql);
	PQfinish(admin);
	return CHECK_DONE();
}
