/*
 * test_plan: instalment schedules (amounts, the remainder rule, day-of-month
 * clamping across short months and leap years), the tenant's limits and
 * their messages, plan standing on each side of the grace boundary, and the
 * "choose a later date" rules of src/plan.c. Expected dates are worked out by
 * hand from a calendar; each case says why.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "date.h"
#include "money.h"
#include "plan.h"

static date_t D(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static const struct currency *eur(void)
{
	return currency_find("EUR");
}

static struct plan_rules defaults(void)
{
	struct plan_rules r;

	plan_rules_default(eur(), &r);
	return r;
}

/* Check the dates of a schedule against y/m/d triples. */
static void check_dates(const struct plan_instalment *in, int n,
			const int (*want)[3], int n_want)
{
	CHECK_INT(n, n_want);
	for (int i = 0; i < n && i < n_want; i++) {
		char got[DATE_FMT_MAX], exp[DATE_FMT_MAX];

		date_format(in[i].due, got);
		date_format(D(want[i][0], want[i][1], want[i][2]), exp);
		CHECK_STR(got, exp);
	}
}

TEST(test_rules_default)
{
	struct plan_rules r;
	struct err e = { "" };

	plan_rules_default(eur(), &r);
	CHECK_INT(r.min_months, 2);
	CHECK_INT(r.max_months, 12);
	CHECK_INT(r.min_instalment_minor, 1000); /* EUR 10.00 */
	CHECK_INT(r.first_due_min_days, 3);
	CHECK_INT(r.grace_days, 7);
	CHECK_INT(r.remind_days_before, 3);
	CHECK_INT(r.max_postpone_days, 30);
	CHECK_INT(r.postpone_once, 1);
	CHECK_INT(plan_rules_check(&r, &e), 0);

	plan_rules_default(currency_find("JPY"), &r);
	CHECK_INT(r.min_instalment_minor, 10); /* JPY 10, no minor unit */
	plan_rules_default(currency_find("KWD"), &r);
	CHECK_INT(r.min_instalment_minor, 10000); /* KWD 10.000 */
}

TEST(test_rules_check)
{
	struct plan_rules r = defaults();
	struct err e = { "" };

	r.max_months = 61;
	CHECK_INT(plan_rules_check(&r, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "max_months: 61 is more than the 60 allowed");
	r = defaults();
	r.min_months = 6;
	r.max_months = 3;
	CHECK_INT(plan_rules_check(&r, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "max_months: 3 is fewer than min_months (6)");
	r = defaults();
	r.min_months = 0;
	CHECK_INT(plan_rules_check(&r, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "min_months: 0 is fewer than 1");
	r = defaults();
	r.grace_days = -1;
	CHECK_INT(plan_rules_check(&r, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "grace_days: -1 is not a number of days from 0 to 3660");
	r = defaults();
	r.postpone_once = 2;
	CHECK_INT(plan_rules_check(&r, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "postpone_once: 2 is neither 0 nor 1");
}

TEST(test_schedule_amounts)
{
	struct plan_rules r = defaults();
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct err e = { "" };
	int n = -1;
	int64_t sum = 0;

	/* 100.00 / 3 = 33.33 rest 0.01: the cent goes on the first. */
	CHECK_INT(plan_schedule(10000, eur(), 3, 15, D(2026, 3, 10), &r, in, &n, &e), 0);
	CHECK_INT(n, 3);
	CHECK_INT(in[0].amount_minor, 3334);
	CHECK_INT(in[1].amount_minor, 3333);
	CHECK_INT(in[2].amount_minor, 3333);

	/* 1000.00 / 12 = 83.33 rest 0.04: first 83.37, eleven of 83.33. */
	CHECK_INT(plan_schedule(100000, eur(), 12, 1, D(2026, 3, 10), &r, in, &n, &e), 0);
	CHECK_INT(n, 12);
	CHECK_INT(in[0].amount_minor, 8337);
	for (int i = 1; i < n; i++)
		CHECK_INT(in[i].amount_minor, 8333);
	for (int i = 0; i < n; i++)
		sum += in[i].amount_minor;
	CHECK_INT(sum, 100000);

	/* Exactly divisible: all equal. */
	CHECK_INT(plan_schedule(12000, eur(), 4, 1, D(2026, 3, 10), &r, in, &n, &e), 0);
	for (int i = 0; i < 4; i++)
		CHECK_INT(in[i].amount_minor, 3000);

	/* JPY has no minor unit: 10000 yen in 3 = 3334 + 3333 + 3333. */
	plan_rules_default(currency_find("JPY"), &r);
	CHECK_INT(plan_schedule(10000, currency_find("JPY"), 3, 1, D(2026, 3, 10), &r, in, &n, &e), 0);
	CHECK_INT(in[0].amount_minor, 3334);
	CHECK_INT(in[2].amount_minor, 3333);

	/* The minimum instalment, exactly met: 20.00 in 2 of 10.00. */
	r = defaults();
	CHECK_INT(plan_schedule(2000, eur(), 2, 1, D(2026, 3, 10), &r, in, &n, &e), 0);
	CHECK_INT(in[0].amount_minor, 1000);
	CHECK_INT(in[1].amount_minor, 1000);
}

TEST(test_schedule_dates)
{
	struct plan_rules r = defaults();
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct err e = { "" };
	int n = 0;

	/* Today 10 March + 3 days = 13 March; the 15th is after it. */
	static const int mar15[][3] = { { 2026, 3, 15 }, { 2026, 4, 15 }, { 2026, 5, 15 } };
	CHECK_INT(plan_schedule(10000, eur(), 3, 15, D(2026, 3, 10), &r, in, &n, &e), 0);
	check_dates(in, n, mar15, 3);
	/* Today 12 March + 3 = 15 March: the 15th itself counts. */
	CHECK_INT(plan_schedule(10000, eur(), 3, 15, D(2026, 3, 12), &r, in, &n, &e), 0);
	check_dates(in, n, mar15, 3);
	/* Today 13 March + 3 = 16 March: the 15th has gone, so April. */
	static const int apr15[][3] = { { 2026, 4, 15 }, { 2026, 5, 15 }, { 2026, 6, 15 } };
	CHECK_INT(plan_schedule(10000, eur(), 3, 15, D(2026, 3, 13), &r, in, &n, &e), 0);
	check_dates(in, n, apr15, 3);

	/* Day 31 from January in 2026 (not a leap year): 28 February, then
	 * back to 31 March, 30 April: clamped each month, never drifting. */
	static const int d31[][3] = { { 2026, 1, 31 }, { 2026, 2, 28 }, { 2026, 3, 31 },
				      { 2026, 4, 30 }, { 2026, 5, 31 } };
	CHECK_INT(plan_schedule(50000, eur(), 5, 31, D(2026, 1, 5), &r, in, &n, &e), 0);
	check_dates(in, n, d31, 5);
	/* The same in 2028, a leap year: 29 February. */
	static const int d31leap[][3] = { { 2028, 1, 31 }, { 2028, 2, 29 }, { 2028, 3, 31 } };
	CHECK_INT(plan_schedule(30000, eur(), 3, 31, D(2028, 1, 20), &r, in, &n, &e), 0);
	check_dates(in, n, d31leap, 3);
	/* 2100 is not a leap year (divisible by 100, not by 400). */
	static const int d31y2100[][3] = { { 2100, 2, 28 }, { 2100, 3, 31 } };
	CHECK_INT(plan_schedule(20000, eur(), 2, 31, D(2100, 2, 1), &r, in, &n, &e), 0);
	check_dates(in, n, d31y2100, 2);

	/* Today 29 January + 3 = 1 February: day 30 of February is its last
	 * day, 28 February, which is after the 1st; then 30 March. */
	static const int d30[][3] = { { 2026, 2, 28 }, { 2026, 3, 30 }, { 2026, 4, 30 } };
	CHECK_INT(plan_schedule(30000, eur(), 3, 30, D(2026, 1, 29), &r, in, &n, &e), 0);
	check_dates(in, n, d30, 3);

	/* Across the year: today 20 November + 3 = 23rd; the 1st has gone. */
	static const int newyear[][3] = { { 2026, 12, 1 }, { 2027, 1, 1 }, { 2027, 2, 1 } };
	CHECK_INT(plan_schedule(30000, eur(), 3, 1, D(2026, 11, 20), &r, in, &n, &e), 0);
	check_dates(in, n, newyear, 3);

	/* first_due_min_days 0: today itself may be the first due date. */
	r.first_due_min_days = 0;
	static const int today[][3] = { { 2026, 3, 10 }, { 2026, 4, 10 } };
	CHECK_INT(plan_schedule(3000, eur(), 2, 10, D(2026, 3, 10), &r, in, &n, &e), 0);
	check_dates(in, n, today, 2);
}

TEST(test_schedule_errors)
{
	struct plan_rules r = defaults();
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct err e = { "" };
	int n = -7;
	date_t t = D(2026, 3, 10);

	in[0].amount_minor = -9;
	CHECK_INT(plan_schedule(100000, eur(), 13, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 13 is more than the 12 allowed");
	CHECK_INT(plan_schedule(100000, eur(), 1, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 1 is fewer than the 2 required");
	CHECK_INT(plan_schedule(100000, eur(), 3, 0, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "day_of_month: 0 is not a day of the month (1 to 31)");
	CHECK_INT(plan_schedule(100000, eur(), 3, 32, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "day_of_month: 32 is not a day of the month (1 to 31)");
	CHECK_INT(plan_schedule(0, eur(), 3, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "total: EUR 0.00 is nothing to spread over a plan");

	/* Below the minimum instalment: the message says the most months. */
	CHECK_INT(plan_schedule(2400, eur(), 6, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 6 instalments of EUR 4.00 would be below the "
			 "minimum of EUR 10.00; at most 2 months");
	CHECK_INT(plan_schedule(3000, eur(), 6, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 6 instalments of EUR 5.00 would be below the "
			 "minimum of EUR 10.00; at most 3 months");
	/* 29.99 in 3: the regular instalment 9.99 is below, although the
	 * first (10.01) is not. */
	CHECK_INT(plan_schedule(2999, eur(), 3, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 3 instalments of EUR 9.99 would be below the "
			 "minimum of EUR 10.00; at most 2 months");
	/* Too small for any plan. */
	CHECK_INT(plan_schedule(1500, eur(), 2, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 2 instalments of EUR 7.50 would be below the "
			 "minimum of EUR 10.00; a plan needs a total of at least "
			 "EUR 20.00");
	/* One month allowed: singular. */
	r.min_months = 1;
	CHECK_INT(plan_schedule(1500, eur(), 2, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "months: 2 instalments of EUR 7.50 would be below the "
			 "minimum of EUR 10.00; at most 1 month");
	/* Bad rules are refused before anything else. */
	r = defaults();
	r.max_months = 100;
	CHECK_INT(plan_schedule(100000, eur(), 3, 1, t, &r, in, &n, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "max_months: 100 is more than the 60 allowed");

	/* Outputs untouched on every failure. */
	CHECK_INT(n, -7);
	CHECK_INT(in[0].amount_minor, -9);
}

TEST(test_max_months)
{
	struct plan_rules r = defaults();

	CHECK_INT(plan_max_months(2400, &r), 2);   /* 12.00 each */
	CHECK_INT(plan_max_months(3000, &r), 3);   /* 10.00 each */
	CHECK_INT(plan_max_months(2999, &r), 2);   /* 9.99 would be below */
	CHECK_INT(plan_max_months(2000, &r), 2);   /* exactly the minimum */
	CHECK_INT(plan_max_months(1999, &r), 0);   /* no plan */
	CHECK_INT(plan_max_months(100000, &r), 12); /* capped by max_months */
	CHECK_INT(plan_max_months(0, &r), 0);
	CHECK_INT(plan_max_months(-500, &r), 0);
	CHECK_INT(plan_max_months(INT64_MAX, &r), 12);
	/* No minimum: at least one minor unit per instalment. */
	r.min_instalment_minor = 0;
	CHECK_INT(plan_max_months(5, &r), 5);
	CHECK_INT(plan_max_months(1, &r), 0);
	/* Every month plan_max_months offers is accepted by plan_schedule,
	 * and one more is not. */
	r = defaults();
	for (int64_t total = 1990; total <= 13000; total += 7) {
		struct plan_instalment in[PLAN_MAX_INSTALMENTS];
		struct err e = { "" };
		int n, most = plan_max_months(total, &r);

		if (most == 0) {
			CHECK(plan_schedule(total, eur(), r.min_months, 1, D(2026, 1, 1), &r, in, &n, &e) < 0);
			continue;
		}
		CHECK_INT(plan_schedule(total, eur(), most, 1, D(2026, 1, 1), &r, in, &n, &e), 0);
		if (most < r.max_months)
			CHECK(plan_schedule(total, eur(), most + 1, 1, D(2026, 1, 1), &r, in, &n, &e) < 0);
	}
}

/* The plan of the evaluate tests: 100.00 in 3 on the 15th from March
 * 2026: 33.34 on 15 March, 33.33 on 15 April, 33.33 on 15 May. */
static int three(struct plan_instalment in[PLAN_MAX_INSTALMENTS])
{
	struct plan_rules r = defaults();
	struct err e = { "" };
	int n = 0;

	CHECK_INT(plan_schedule(10000, eur(), 3, 15, D(2026, 3, 10), &r, in, &n, &e), 0);
	return n;
}

TEST(test_evaluate_on_time)
{
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct plan_rules r = defaults();
	struct plan_status st;
	struct err e = { "" };
	int n = three(in);

	/* Nothing paid before the first due date. */
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 10), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(st.settled, 0);
	CHECK_INT(st.next, 0);
	CHECK_INT(st.next_left_minor, 3334);
	CHECK_INT(st.next_due, D(2026, 3, 15));
	CHECK_INT(st.breaks_on, D(2026, 3, 23)); /* 15 + 7 days grace + 1 */
	CHECK_INT(st.remind_on, D(2026, 3, 12)); /* 3 days before */
	CHECK_INT(st.left_minor, 10000);
	CHECK_INT(st.overpaid_minor, 0);

	/* The first paid exactly: the second is next. */
	CHECK_INT(plan_evaluate(in, n, 3334, D(2026, 3, 15), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(st.settled, 1);
	CHECK_INT(st.next, 1);
	CHECK_INT(st.next_left_minor, 3333);
	CHECK_INT(st.next_due, D(2026, 4, 15));
	CHECK_INT(st.breaks_on, D(2026, 4, 23));
	CHECK_INT(st.remind_on, D(2026, 4, 12));
	CHECK_INT(st.left_minor, 6666);

	/* Overpaying the first partly settles the second: 50.00 paid =
	 * 33.34 + 16.66, so 16.67 is left on the second. */
	CHECK_INT(plan_evaluate(in, n, 5000, D(2026, 4, 1), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(st.settled, 1);
	CHECK_INT(st.next, 1);
	CHECK_INT(st.next_left_minor, 1667);
	CHECK_INT(st.left_minor, 5000);
	/* ... and the part-paid second still breaks after its grace. */
	CHECK_INT(plan_evaluate(in, n, 5000, D(2026, 4, 22), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(plan_evaluate(in, n, 5000, D(2026, 4, 23), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_BROKEN);

	/* Two at once. */
	CHECK_INT(plan_evaluate(in, n, 6667, D(2026, 4, 30), &r, &st, &e), 0);
	CHECK_INT(st.settled, 2);
	CHECK_INT(st.next, 2);
	CHECK_INT(st.next_due, D(2026, 5, 15));
	CHECK_INT(st.state, PLAN_GOOD);
}

TEST(test_evaluate_grace_boundary)
{
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct plan_rules r = defaults();
	struct plan_status st;
	struct err e = { "" };
	int n = three(in);

	/* Unpaid: the due date and the 7 days after it are fine; 22 March is
	 * the last day of grace, 23 March the first day broken. */
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 15), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 22), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 23), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_BROKEN);
	CHECK_INT(st.next, 0);
	CHECK_INT(st.breaks_on, D(2026, 3, 23));
	/* A partial payment does not save it. */
	CHECK_INT(plan_evaluate(in, n, 3333, D(2026, 3, 23), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_BROKEN);
	CHECK_INT(st.next_left_minor, 1);
	/* Paid late, within the grace (counted on its last day): good. */
	CHECK_INT(plan_evaluate(in, n, 3334, D(2026, 3, 22), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(st.next, 1);
	/* No grace: broken the day after the due date. */
	r.grace_days = 0;
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 15), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(st.breaks_on, D(2026, 3, 16));
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 16), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_BROKEN);
	/* The last instalment, too. */
	r = defaults();
	CHECK_INT(plan_evaluate(in, n, 6667, D(2026, 5, 22), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(plan_evaluate(in, n, 6667, D(2026, 5, 23), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_BROKEN);
	/* remind_days_before 0: the reminder is on the due date. */
	r.remind_days_before = 0;
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 1), &r, &st, &e), 0);
	CHECK_INT(st.remind_on, D(2026, 3, 15));
}

TEST(test_evaluate_completed)
{
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct plan_rules r = defaults();
	struct plan_status st;
	struct err e = { "" };
	int n = three(in);

	CHECK_INT(plan_evaluate(in, n, 10000, D(2026, 5, 15), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_COMPLETED);
	CHECK_INT(st.settled, 3);
	CHECK_INT(st.next, 3);
	CHECK_INT(st.next_left_minor, 0);
	CHECK_INT(st.next_due, DATE_NONE);
	CHECK_INT(st.breaks_on, DATE_NONE);
	CHECK_INT(st.remind_on, DATE_NONE);
	CHECK_INT(st.left_minor, 0);
	CHECK_INT(st.overpaid_minor, 0);
	/* Completed wins over lateness; paid too much: the rest is credit. */
	CHECK_INT(plan_evaluate(in, n, 10500, D(2027, 1, 1), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_COMPLETED);
	CHECK_INT(st.overpaid_minor, 500);
	/* Everything at once, before the first due date. */
	CHECK_INT(plan_evaluate(in, n, 10000, D(2026, 3, 10), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_COMPLETED);
	/* One cent short: the last one is still open. */
	CHECK_INT(plan_evaluate(in, n, 9999, D(2026, 5, 15), &r, &st, &e), 0);
	CHECK_INT(st.state, PLAN_GOOD);
	CHECK_INT(st.settled, 2);
	CHECK_INT(st.next_left_minor, 1);
	CHECK_INT(st.left_minor, 1);
}

TEST(test_evaluate_errors)
{
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct plan_rules r = defaults();
	struct plan_status st;
	struct err e = { "" };
	int n = three(in);

	memset(&st, 0, sizeof(st));
	st.settled = 42;
	CHECK_INT(plan_evaluate(in, 0, 0, D(2026, 3, 10), &r, &st, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "plan: 0 instalments, expected 1 to 60");
	CHECK_INT(plan_evaluate(in, n, -1, D(2026, 3, 10), &r, &st, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "paid: -1 is negative");
	in[1].amount_minor = 0;
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 10), &r, &st, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "plan: instalment 2 asks 0, expected more than 0");
	in[1].amount_minor = INT64_MAX;
	CHECK_INT(plan_evaluate(in, n, 0, D(2026, 3, 10), &r, &st, &e), -ERR_RANGE);
	CHECK_INT(st.settled, 42);
}

TEST(test_postpone)
{
	struct plan_rules r = defaults();
	struct err e = { "" };
	date_t t = D(2026, 3, 10);

	CHECK_INT(plan_postpone_latest(t, &r), D(2026, 4, 9));
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 11), DATE_NONE, &r, 0, &e), 0);
	CHECK_INT(plan_postpone_check(t, D(2026, 4, 9), D(2026, 2, 1), &r, 0, &e), 0);
	CHECK_INT(plan_postpone_check(t, D(2026, 4, 10), DATE_NONE, &r, 0, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "date: 2026-04-10 is more than 30 days away; the latest is 2026-04-09");
	CHECK_INT(plan_postpone_check(t, t, DATE_NONE, &r, 0, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "date: 2026-03-10 is not after today (2026-03-10)");
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 1), DATE_NONE, &r, 0, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "date: 2026-03-01 is not after today (2026-03-10)");
	/* Once per case. */
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 20), DATE_NONE, &r, 1, &e), -ERR_CONFLICT);
	CHECK_STR(e.msg, "date: a later date has already been chosen for this case once");
	r.postpone_once = 0;
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 20), DATE_NONE, &r, 3, &e), 0);
	/* Not yet overdue: a later date must be after the due date. */
	r = defaults();
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 20), D(2026, 3, 20), &r, 0, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "date: 2026-03-20 is not after the due date (2026-03-20)");
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 21), D(2026, 3, 20), &r, 0, &e), 0);
	/* A shorter tenant limit. */
	r.max_postpone_days = 14;
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 24), DATE_NONE, &r, 0, &e), 0);
	CHECK_INT(plan_postpone_check(t, D(2026, 3, 25), DATE_NONE, &r, 0, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "date: 2026-03-25 is more than 14 days away; the latest is 2026-03-24");
}

TEST(test_state_names)
{
	enum plan_state s = PLAN_GOOD;

	CHECK_STR(plan_state_name(PLAN_GOOD), "good");
	CHECK_STR(plan_state_name(PLAN_COMPLETED), "completed");
	CHECK_STR(plan_state_name(PLAN_BROKEN), "broken");
	CHECK_STR(plan_state_name((enum plan_state)99), "?");
	for (int i = 0; i < PLAN_STATE_COUNT; i++) {
		CHECK_INT(plan_state_parse(plan_state_name((enum plan_state)i), &s), 0);
		CHECK_INT(s, i);
	}
	s = PLAN_BROKEN;
	CHECK_INT(plan_state_parse("Good", &s), -ERR_INVALID);
	CHECK_INT(plan_state_parse("", &s), -ERR_INVALID);
	CHECK_INT(s, PLAN_BROKEN);
}

int main(void)
{
	RUN(test_rules_default);
	RUN(test_rules_check);
	RUN(test_schedule_amounts);
	RUN(test_schedule_dates);
	RUN(test_schedule_errors);
	RUN(test_max_months);
	RUN(test_evaluate_on_time);
	RUN(test_evaluate_grace_boundary);
	RUN(test_evaluate_completed);
	RUN(test_evaluate_errors);
	RUN(test_postpone);
	RUN(test_state_names);
	return CHECK_DONE();
}
