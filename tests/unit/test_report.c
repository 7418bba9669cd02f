/*
 * test_report: the reports' figures.
 *
 *  - from rows made by hand: cure rates, currency order, portal counts,
 *    DSO, cohort curves (cumulative, shown only once the month reached a
 *    point), and the CSV exports byte for byte (RFC 4180 quoting, the
 *    formula guard);
 *  - through the SQLite store: a small tenant written with SQL, refreshed
 *    (report_refresh), read back (report_load), every figure checked
 *    against numbers worked out by hand in the comments below; a portal
 *    visit recorded twice the same day counts once; a second refresh
 *    gives the same rows. (The PostgreSQL refresh is checked against the
 *    same kind of data in tests/integration/report.sh.)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "store.h"

static struct report_row row(const char *report, const char *key,
			     const char *cur, int bucket, int64_t cases,
			     int64_t cured, int64_t amount)
{
	struct report_row r;
	memset(&r, 0, sizeof(r));
	snprintf(r.report, sizeof(r.report), "%s", report);
	r.key = strdup(key);
	snprintf(r.currency, sizeof(r.currency), "%s", cur);
	r.bucket = bucket;
	r.cases = cases;
	r.cured = cured;
	r.amount_minor = amount;
	return r;
}

static struct report *hand_made(void)
{
	struct report_info info = { date_from_ymd(2026, 11, 21),
				    1795000000 };
	struct report_row rows[] = {
		row("step", "final", "EUR", 0, 3, 2, 10000),
		row("step", "", "EUR", 0, 5, 0, 0),
		row("step", "=HYPERLINK(\"x\")", "EUR", 0, 1, 0, 1),
		row("step", "a,b", "GBP", 0, 2, 1, 250),
		row("strategy", "standard", "EUR", 0, 9, 2, 10001),
		row("strategy", "standard", "GBP", 0, 2, 1, 250),
		row("portal", "visited", "", 0, 4, 0, 0),
		row("portal", "visit_days", "", 0, 7, 0, 0),
		row("portal", "paid", "", 0, 1, 0, 0),
		row("portal", "plan", "", 0, 2, 0, 0),
		row("portal", "postponed", "", 0, 0, 0, 0),
		row("portal", "help", "", 0, 3, 0, 0),
		row("dso", "open", "EUR", 0, 3, 0, 49000),
		row("dso", "sales90", "EUR", 0, 4, 0, 64000),
		row("dso", "open", "GBP", 0, 1, 0, 500),
		row("aging", "", "EUR", 1, 1, 0, 30000),
		row("aging", "", "EUR", 2, 1, 0, 15000),
		row("cohort", "2026-10", "EUR", -1, 3, 0, 60000),
		row("cohort", "2026-10", "EUR", 0, 0, 0, 6000),
		row("cohort", "2026-10", "EUR", 7, 0, 0, 6000),
		row("cohort", "2026-10", "EUR", 21, 0, 0, 4000),
		row("cohort", "2026-10", "EUR", 90, 0, 0, 9000),
		row("cohort", "2026-09", "EUR", -1, 1, 0, 0),
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	struct report_row *heap = malloc(sizeof(rows));
	struct report *r = NULL;
	struct err e;
	memcpy(heap, rows, sizeof(rows));
	CHECK_INT(report_build(&info, heap, n, &r, &e), 0);
	return r;
}

TEST(figures_from_rows)
{
	struct report *r = hand_made();
	if (!r)
		return;
	/* EUR has most cases (9 by strategy), then GBP. */
	CHECK_INT(r->n_currencies, 2);
	CHECK_STR(r->currencies[0], "EUR");
	CHECK_STR(r->currencies[1], "GBP");
	/* by currency, then most cases first */
	CHECK_INT(r->n_groups[REPORT_STEP], 4);
	CHECK_STR(r->groups[REPORT_STEP][0].key, "");
	CHECK_INT(r->groups[REPORT_STEP][0].cure_permille, 0);
	CHECK_STR(r->groups[REPORT_STEP][1].key, "final");
	CHECK_INT(r->groups[REPORT_STEP][1].cure_permille, 667);
	CHECK_STR(r->groups[REPORT_STEP][3].currency, "GBP");
	CHECK_INT(r->groups[REPORT_STEP][3].cure_permille, 500);
	CHECK_INT(r->n_groups[REPORT_TONE], 0);
	CHECK_INT(r->portal.visited, 4);
	CHECK_INT(r->portal.visit_days, 7);
	CHECK_INT(r->portal.plan, 2);
	CHECK_INT(r->portal.help, 3);
	/* DSO = 49000 / 64000 x 90 = 68.9 days; none for GBP (no sales). */
	CHECK_INT(r->n_dso, 2);
	CHECK_STR(r->dso[0].currency, "EUR");
	CHECK_INT(r->dso[0].dso_tenths, 689);
	CHECK_INT(r->dso[0].band_minor[1], 30000);
	CHECK_INT(r->dso[0].band_minor[2], 15000);
	CHECK_INT(r->dso[0].band_minor[0], 0);
	CHECK_INT(r->dso[1].dso_tenths, -1);
	/* Cohorts by month; October 2026 reached day 21 on 21 November. */
	CHECK_INT(r->n_cohorts, 2);
	CHECK_STR(r->cohorts[0].month, "2026-09");
	CHECK_INT(r->cohorts[0].share_permille[0], -1); /* nothing due */
	CHECK_STR(r->cohorts[1].month, "2026-10");
	CHECK_INT(r->cohorts[1].paid_minor[0], 6000);
	CHECK_INT(r->cohorts[1].share_permille[0], 100);
	CHECK_INT(r->cohorts[1].share_permille[1], 200);
	CHECK_INT(r->cohorts[1].share_permille[2], 200);
	CHECK_INT(r->cohorts[1].share_permille[3], 267);
	CHECK_INT(r->cohorts[1].share_permille[4], -1);
	CHECK_INT(r->cohorts[1].paid_minor[13], -1);
	report_free(r);
}

TEST(csv_exports)
{
	struct report *r = hand_made();
	struct buf b;
	struct err e;
	if (!r)
		return;
	buf_init(&b, REPORT_CSV_MAX);
	CHECK_INT(report_csv(r, "step", &b, &e), 0);
	CHECK_STR(buf_cstr(&b),
		  "step,currency,cases,cured,cure_rate_percent,recovered\r\n"
		  ",EUR,5,0,0.0,0.00\r\n"
		  "final,EUR,3,2,66.7,100.00\r\n"
		  "\"'=HYPERLINK(\"\"x\"\")\",EUR,1,0,0.0,0.01\r\n"
		  "\"a,b\",GBP,2,1,50.0,2.50\r\n");
	buf_reset(&b);
	CHECK_INT(report_csv(r, "portal", &b, &e), 0);
	CHECK_STR(buf_cstr(&b),
		  "measure,cases,percent_of_visited\r\n"
		  "visited,4,100.0\r\npaid,1,25.0\r\nplan,2,50.0\r\n"
		  "postponed,0,0.0\r\nhelp,3,75.0\r\nvisit_days,7,\r\n");
	buf_reset(&b);
	CHECK_INT(report_csv(r, "dso", &b, &e), 0);
	CHECK_STR(buf_cstr(&b),
		  "currency,open_receivables,open_invoices,"
		  "credit_sales_90_days,dso_days\r\n"
		  "EUR,490.00,3,640.00,68.9\r\nGBP,5.00,1,0.00,\r\n");
	buf_reset(&b);
	CHECK_INT(report_csv(r, "cohort", &b, &e), 0);
	CHECK(strstr(buf_cstr(&b), "due_month,currency,invoices,amount_due,"
				   "paid_percent_day_0,") == buf_cstr(&b));
	CHECK(strstr(buf_cstr(&b), "\r\n2026-10,EUR,3,600.00,10.0,20.0,20.0,"
				   "26.7,,,,,,,,,,\r\n") != NULL);
	buf_reset(&b);
	CHECK_INT(report_csv(r, "aging", &b, &e), 0);
	CHECK(strstr(buf_cstr(&b), "EUR,31-60 days,1,150.00\r\n") != NULL);
	CHECK_INT(report_csv(r, "nope", &b, &e), -ERR_NOTFOUND);
	CHECK_INT(report_csv(r, NULL, &b, &e), -ERR_NOTFOUND);
	buf_free(&b);
	/* Too big for its bound: an error, not a cut file. */
	buf_init(&b, 40);
	CHECK_INT(report_csv(r, "step", &b, &e), -ERR_TOOBIG);
	buf_free(&b);
	report_free(r);
}

TEST(csv_text_guard)
{
	struct buf b;
	buf_init(&b, 256);
	CHECK_INT(report_csv_text(&b, "+1"), 0);
	buf_putc(&b, '|');
	report_csv_text(&b, "@SUM(A1)");
	buf_putc(&b, '|');
	report_csv_text(&b, "-2");
	buf_putc(&b, '|');
	report_csv_text(&b, "plain");
	buf_putc(&b, '|');
	report_csv_text(&b, "two\nlines");
	buf_putc(&b, '|');
	report_csv_text(&b, "\tx");
	CHECK_STR(buf_cstr(&b), "\"'+1\"|\"'@SUM(A1)\"|\"'-2\"|plain|"
				"\"two\nlines\"|\"'\tx\"");
	buf_free(&b);
}

/* ---- through the SQLite store ------------------------------------------ */

/*
 * Tenant "rep", as of 2026-11-21:
 *  customers 1 "consumer vip", 2 (none), 3 "consumer";
 *  case 1 (cust 1) resolved, standard, 10-05..10-20: contacts reminder
 *    (email, friendly) then final (sms, firm); paid 6000 on 10-08 and
 *    4000 on 10-20 -> recovered 10000;
 *  case 2 (cust 2) open, standard, from 10-09: contact reminder (email,
 *    friendly) and a fee (not a contact); paid 5000 on 10-09 -> 5000
 *    (700 more on 11-25, after the date of the figures: not counted);
 *  case 3 (cust 3) open, gentle, from 11-01: no contact; paid 1000 on
 *    09-15, before it opened: recovered 0.
 */
static const char fixture_sql[] =
	"INSERT INTO customers (id, tenant_id, external_id, name, locale,"
	" timezone, segments, updated_at) VALUES"
	" (1, :t, 'C1', 'One', 'en', 'UTC', 'consumer vip', '2026-01-01T00:00:00Z'),"
	" (2, :t, 'C2', 'Two', 'en', 'UTC', '', '2026-01-01T00:00:00Z'),"
	" (3, :t, 'C3', 'Three', 'en', 'UTC', 'consumer', '2026-01-01T00:00:00Z');"
	"INSERT INTO cases (id, tenant_id, customer_id, currency, status,"
	" strategy_version, strategy, anchor_date, opened_on, closed_on) VALUES"
	" (1, :t, 1, 'EUR', 'resolved', 1, 'standard', '2026-10-04', '2026-10-05', '2026-10-20'),"
	" (2, :t, 2, 'EUR', 'open', 1, 'standard', '2026-10-09', '2026-10-09', NULL),"
	" (3, :t, 3, 'EUR', 'open', 1, 'gentle', '2026-10-31', '2026-11-01', NULL);"
	"INSERT INTO actions (tenant_id, case_id, customer_id, step, kind,"
	" channel, due_on, decided_on, decided_at, currency, tone, status) VALUES"
	" (:t, 1, 1, 'reminder', 'contact', 'email', '2026-10-06', '2026-10-06', '2026-10-06T08:00:00Z', 'EUR', 'friendly', 'done'),"
	" (:t, 1, 1, 'final', 'contact', 'sms', '2026-10-15', '2026-10-15', '2026-10-15T08:00:00Z', 'EUR', 'firm', 'done'),"
	" (:t, 2, 2, 'reminder', 'contact', 'email', '2026-10-11', '2026-10-11', '2026-10-11T08:00:00Z', 'EUR', 'friendly', 'done'),"
	" (:t, 2, 2, 'zfee', 'fee', '', '2026-10-20', '2026-10-20', '2026-10-20T08:00:00Z', 'EUR', '', 'done');"
	"INSERT INTO invoices (id, tenant_id, customer_id, external_id, number,"
	" issue_date, due_date, amount_minor, open_minor, currency, updated_at) VALUES"
	" (1, :t, 1, 'I1', 'I1', '2026-09-05', '2026-10-04', 10000, 0, 'EUR', '2026-01-01T00:00:00Z'),"
	" (2, :t, 2, 'I2', 'I2', '2026-09-10', '2026-10-09', 20000, 15000, 'EUR', '2026-01-01T00:00:00Z'),"
	" (3, :t, 3, 'I3', 'I3', '2026-10-01', '2026-10-31', 30000, 30000, 'EUR', '2026-01-01T00:00:00Z'),"
	" (4, :t, 1, 'I4', 'I4', '2026-11-10', '2026-12-10', 4000, 4000, 'EUR', '2026-01-01T00:00:00Z');"
	"INSERT INTO payments (id, tenant_id, external_id, customer_id,"
	" amount_minor, currency, paid_on, created_at) VALUES"
	" (1, :t, 'P1', 1, 6000, 'EUR', '2026-10-08', '2026-01-01T00:00:00Z'),"
	" (2, :t, 'P2', 1, 4000, 'EUR', '2026-10-20', '2026-01-01T00:00:00Z'),"
	" (3, :t, 'P3', 2, 5000, 'EUR', '2026-10-09', '2026-01-01T00:00:00Z'),"
	" (4, :t, 'P4', 3, 1000, 'EUR', '2026-09-15', '2026-01-01T00:00:00Z'),"
	" (5, :t, 'P5', 2, 700, 'EUR', '2026-11-25', '2026-01-01T00:00:00Z');"
	"INSERT INTO case_events (tenant_id, case_id, at, kind) VALUES"
	" (:t, 2, '2026-10-09T10:00:00Z', 'payment.received'),"
	" (:t, 2, '2026-10-12T08:00:00Z', 'promise.made'),"
	" (:t, 3, '2026-11-04T08:00:00Z', 'help.requested'),"
	" (:t, 3, '2026-11-05T09:00:00Z', 'plan.created');";

static int write_fixture(const char *path, int64_t tenant)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *s = fixture_sql;
	int ok = sqlite3_open(path, &db) == SQLITE_OK;

	while (ok && *s) {
		const char *tail = NULL;
		ok = sqlite3_prepare_v2(db, s, -1, &st, &tail) == SQLITE_OK;
		if (!ok) {
			printf("  fixture: %s\n", sqlite3_errmsg(db));
			break;
		}
		s = tail;
		if (!st)
			continue;
		sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":t"),
				   tenant);
		ok = sqlite3_step(st) == SQLITE_DONE;
		if (!ok)
			printf("  fixture: %s\n", sqlite3_errmsg(db));
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return ok ? 0 : -1;
}

static const struct report_group *group(const struct report *r,
					enum report_dim d, const char *key)
{
	for (size_t i = 0; i < r->n_groups[d]; i++)
		if (strcmp(r->groups[d][i].key, key) == 0)
			return &r->groups[d][i];
	return NULL;
}

#define CHECK_GROUP(r, d, key, cases_, cured_, amount_)                   \
	do {                                                              \
		const struct report_group *grp_ = group(r, d, key);         \
		CHECK(grp_ != NULL);                                      \
		if (grp_) {                                               \
			CHECK_INT(grp_->cases, cases_);                     \
			CHECK_INT(grp_->cured, cured_);                     \
			CHECK_INT(grp_->recovered_minor, amount_);          \
		}                                                         \
	} while (0)

TEST(refresh_on_sqlite)
{
	const char *tmp = getenv("TMPDIR");
	char dir[512], path[600];
	struct store *s = NULL;
	struct report *r = NULL, *again = NULL;
	struct buf b1, b2;
	int64_t t = 0;
	struct err e = { "" };
	instant_t now = instant_from_date(date_from_ymd(2026, 11, 21)) + 3600;

	snprintf(dir, sizeof(dir), "%s/dunwell-report.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/store.db", dir);
	if (store_open(path, &s, &e) < 0) {
		printf("  %s\n", e.msg);
		CHECK(!"store opens");
		goto out;
	}
	CHECK_INT(store_tenant_ensure(s, "rep", "Rep", "UTC", "en", &t, &e), 0);
	/* Never refreshed: no figures, and says so. */
	CHECK_INT(report_load(s, t, &r, &e), 0);
	if (r) {
		CHECK_INT(r->info.refreshed_at, 0);
		CHECK_INT(r->n_rows, 0);
		report_free(r);
		r = NULL;
	}
	if (write_fixture(path, t) < 0) {
		CHECK(!"fixture written");
		goto out;
	}
	/* Visits: case 2 on 10-09 and twice on 10-12, case 3 on 11-05. */
	CHECK_INT(store_portal_visit(s, t, 2, date_from_ymd(2026, 10, 9), &e), 0);
	CHECK_INT(store_portal_visit(s, t, 2, date_from_ymd(2026, 10, 12), &e), 0);
	CHECK_INT(store_portal_visit(s, t, 2, date_from_ymd(2026, 10, 12), &e), 0);
	CHECK_INT(store_portal_visit(s, t, 3, date_from_ymd(2026, 11, 5), &e), 0);
	CHECK_INT(store_portal_visit(s, t, 3, DATE_NONE, &e), -ERR_INVALID);

	err_clear(&e);
	CHECK_INT(report_refresh(s, t, now, &e), 0);
	if (e.msg[0])
		printf("  %s\n", e.msg);
	CHECK_INT(report_load(s, t, &r, &e), 0);
	if (!r)
		goto out;
	CHECK_INT(r->info.as_of, date_from_ymd(2026, 11, 21));
	CHECK_INT(r->info.refreshed_at, now);
	/* Case 2 opened 10-09, so P3 (10-09) is recovered on it; P5 comes
	 * after the date of the figures; P4 came before case 3 opened. */
	CHECK_GROUP(r, REPORT_STEP, "final", 1, 1, 10000);
	CHECK_GROUP(r, REPORT_STEP, "reminder", 1, 0, 5000);
	CHECK_GROUP(r, REPORT_STEP, "", 1, 0, 0);
	CHECK_INT(r->n_groups[REPORT_STEP], 3);
	CHECK_GROUP(r, REPORT_CHANNEL, "sms", 1, 1, 10000);
	CHECK_GROUP(r, REPORT_CHANNEL, "email", 1, 0, 5000);
	CHECK_GROUP(r, REPORT_TONE, "firm", 1, 1, 10000);
	CHECK_GROUP(r, REPORT_TONE, "friendly", 1, 0, 5000);
	CHECK_GROUP(r, REPORT_STRATEGY, "standard", 2, 1, 15000);
	CHECK_GROUP(r, REPORT_STRATEGY, "gentle", 1, 0, 0);
	CHECK_GROUP(r, REPORT_SEGMENT, "consumer", 2, 1, 10000);
	CHECK_GROUP(r, REPORT_SEGMENT, "vip", 1, 1, 10000);
	CHECK_GROUP(r, REPORT_SEGMENT, "", 1, 0, 5000);
	CHECK_INT(r->n_groups[REPORT_SEGMENT], 3);
	/* Portal: 2 cases visited on 3 days; case 2 paid and chose a later
	 * date after its first visit; case 3 made a plan after its visit,
	 * but asked for help the day before it. */
	CHECK_INT(r->portal.visited, 2);
	CHECK_INT(r->portal.visit_days, 3);
	CHECK_INT(r->portal.paid, 1);
	CHECK_INT(r->portal.plan, 1);
	CHECK_INT(r->portal.postponed, 1);
	CHECK_INT(r->portal.help, 0);
	/* DSO: open 15000 + 30000 + 4000; invoiced since 08-23: all four. */
	CHECK_INT(r->n_dso, 1);
	CHECK_INT(r->dso[0].open_minor, 49000);
	CHECK_INT(r->dso[0].open_invoices, 3);
	CHECK_INT(r->dso[0].sales90_minor, 64000);
	CHECK_INT(r->dso[0].dso_tenths, 689);
	CHECK_INT(r->dso[0].band_minor[0], 4000);   /* due 12-10 */
	CHECK_INT(r->dso[0].band_minor[1], 30000);  /* 21 days */
	CHECK_INT(r->dso[0].band_minor[2], 15000);  /* 43 days */
	CHECK_INT(r->dso[0].band_minor[3] + r->dso[0].band_minor[4], 0);
	/* Cohort 2026-10 (I1, I2, I3: 60000): by day 0 P3 on I2 (5000) and
	 * P4 on I3 (1000, early); by 7 P1 on I1 (6000, day 4); by 21 P2 on
	 * I1 (4000, day 16); day 28 not reached by 11-21. I4 falls due in
	 * December: no cohort yet. */
	CHECK_INT(r->n_cohorts, 1);
	if (r->n_cohorts == 1) {
		const struct report_cohort *c = &r->cohorts[0];
		CHECK_STR(c->month, "2026-10");
		CHECK_INT(c->invoices, 3);
		CHECK_INT(c->due_minor, 60000);
		CHECK_INT(c->paid_minor[0], 6000);
		CHECK_INT(c->paid_minor[1], 12000);
		CHECK_INT(c->paid_minor[2], 12000);
		CHECK_INT(c->paid_minor[3], 16000);
		CHECK_INT(c->share_permille[3], 267);
		CHECK_INT(c->share_permille[4], -1);
	}
	/* Refreshing again gives the same figures, not twice as many. */
	CHECK_INT(report_refresh(s, t, now, &e), 0);
	CHECK_INT(report_load(s, t, &again, &e), 0);
	buf_init(&b1, REPORT_CSV_MAX);
	buf_init(&b2, REPORT_CSV_MAX);
	for (const char *const *k = report_csv_names; *k && again; k++) {
		buf_reset(&b1);
		buf_reset(&b2);
		CHECK_INT(report_csv(r, *k, &b1, &e), 0);
		CHECK_INT(report_csv(again, *k, &b2, &e), 0);
		CHECK_STR(buf_cstr(&b2), buf_cstr(&b1));
	}
	buf_free(&b1);
	buf_free(&b2);
	/* `dunwell report refresh` and its usage. */
	{
		struct tenant_rec tr = { .id = t, .slug = (char *)"rep" };
		const char *words[] = { "refresh" }, *bad[] = { "rebuild" };
		size_t nrows = 0;
		CHECK_INT(report_command(s, &tr, 1, words, now, &nrows, &e), 0);
		CHECK_INT(nrows, r->n_rows);
		CHECK(nrows > 20);
		CHECK_INT(report_command(s, &tr, 1, bad, now, &nrows, &e),
			  -ERR_INVALID);
		CHECK(strstr(e.msg, "usage: dunwell report refresh") != NULL);
		CHECK_INT(report_command(s, &tr, 0, NULL, now, &nrows, &e),
			  -ERR_INVALID);
	}
out:
	report_free(r);
	report_free(again);
	store_close(s);
	for (size_t i = 0; i < 3; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char p[700];
		snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	unsetenv("DUNWELL_FAULT_STORE");
	RUN(figures_from_rows);
	RUN(csv_exports);
	RUN(csv_text_guard);
	RUN(refresh_on_sqlite);
	return CHECK_DONE();
}
