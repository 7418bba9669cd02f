/*
 * plan: instalment schedules, plan standing and postponement rules (see
 * plan.h).
 *
 * Pure and exact: dates are day numbers, money is int64 minor units, no
 * floating point and no clock. Every refusal says which field the customer
 * should change and what would be accepted instead, because the portal shows
 * these messages next to the field as they are.
 */
#include "plan.h"

#include <stdio.h>
#include <string.h>

/* Longest value a tenant may set for a day count (ten years): keeps date
 * arithmetic far inside date_t. */
#define PLAN_DAYS_MAX 3660

static const char *const state_names[PLAN_STATE_COUNT] = {
	[PLAN_GOOD] = "good",
	[PLAN_COMPLETED] = "completed",
	[PLAN_BROKEN] = "broken",
};

void plan_rules_default(const struct currency *cur, struct plan_rules *ret)
{
	int64_t unit = 1;

	for (int i = 0; cur && i < cur->exponent; i++)
		unit *= 10;
	memset(ret, 0, sizeof(*ret));
	ret->min_months = PLAN_DEFAULT_MIN_MONTHS;
	ret->max_months = PLAN_DEFAULT_MAX_MONTHS;
	ret->min_instalment_minor = PLAN_DEFAULT_MIN_INSTALMENT_UNITS * unit;
	ret->first_due_min_days = PLAN_DEFAULT_FIRST_DUE_MIN_DAYS;
	ret->grace_days = PLAN_DEFAULT_GRACE_DAYS;
	ret->remind_days_before = PLAN_DEFAULT_REMIND_DAYS_BEFORE;
	ret->max_postpone_days = PLAN_DEFAULT_MAX_POSTPONE_DAYS;
	ret->postpone_once = 1;
}

/* A day count of the rules: 0..PLAN_DAYS_MAX. */
static int check_days(const char *field, int v, struct err *e)
{
	if (v < 0 || v > PLAN_DAYS_MAX)
		return err_set(e, ERR_RANGE,
			       "%s: %d is not a number of days from 0 to %d",
			       field, v, PLAN_DAYS_MAX);
	return 0;
}

int plan_rules_check(const struct plan_rules *r, struct err *e)
{
	int rc;

	if (r->min_months < 1)
		return err_set(e, ERR_RANGE,
			       "min_months: %d is fewer than 1", r->min_months);
	if (r->max_months > PLAN_MAX_INSTALMENTS)
		return err_set(e, ERR_RANGE,
			       "max_months: %d is more than the %d allowed",
			       r->max_months, PLAN_MAX_INSTALMENTS);
	if (r->max_months < r->min_months)
		return err_set(e, ERR_RANGE,
			       "max_months: %d is fewer than min_months (%d)",
			       r->max_months, r->min_months);
	if (r->min_instalment_minor < 0)
		return err_set(e, ERR_RANGE,
			       "min_instalment: %lld is negative",
			       (long long)r->min_instalment_minor);
	if ((rc = check_days("first_due_min_days", r->first_due_min_days, e)) < 0 ||
	    (rc = check_days("grace_days", r->grace_days, e)) < 0 ||
	    (rc = check_days("remind_days_before", r->remind_days_before, e)) < 0 ||
	    (rc = check_days("max_postpone_days", r->max_postpone_days, e)) < 0)
		return rc;
	if (r->postpone_once != 0 && r->postpone_once != 1)
		return err_set(e, ERR_INVALID,
			       "postpone_once: %d is neither 0 nor 1",
			       r->postpone_once);
	return 0;
}

/* "EUR 10.00": the currency code, then the plain amount. */
static void fmt_amount(int64_t minor, const struct currency *cur,
		       char out[MONEY_FMT_MAX + 8])
{
	char num[MONEY_FMT_MAX];

	money_format(minor, cur, num);
	snprintf(out, MONEY_FMT_MAX + 8, "%s %s", cur->code, num);
}

int plan_max_months(int64_t total_minor, const struct plan_rules *rules)
{
	int64_t floor_minor = rules->min_instalment_minor > 0 ?
				      rules->min_instalment_minor : 1;
	int64_t most;

	if (total_minor <= 0)
		return 0;
	/* The regular instalment is total / months (rounded down), so it is at
	 * least the floor exactly when months <= total / floor. */
	most = total_minor / floor_minor;
	if (most > rules->max_months)
		most = rules->max_months;
	if (most > PLAN_MAX_INSTALMENTS)
		most = PLAN_MAX_INSTALMENTS;
	if (most < rules->min_months)
		return 0;
	return (int)most;
}

/* The day `day_of_month` of (year, month), or the month's last day. */
static date_t clamped_day(int year, int month, int day_of_month)
{
	int dim = date_days_in_month(year, month);

	return date_from_ymd(year, month, day_of_month < dim ? day_of_month : dim);
}

/* (year, month) moved on by `k` months. */
static void month_add(int year, int month, int k, int *ret_y, int *ret_m)
{
	int idx = year * 12 + (month - 1) + k;

	*ret_y = idx / 12;
	*ret_m = idx % 12 + 1;
}

int plan_schedule(int64_t total_minor, const struct currency *cur, int months,
		  int day_of_month, date_t today,
		  const struct plan_rules *rules,
		  struct plan_instalment ret_instalments[PLAN_MAX_INSTALMENTS],
		  int *ret_n, struct err *e)
{
	char amount[MONEY_FMT_MAX + 8], minimum[MONEY_FMT_MAX + 8];
	char total_s[MONEY_FMT_MAX + 8];
	int64_t regular;
	int y, m, d, most, rc;
	date_t earliest, first;

	if ((rc = plan_rules_check(rules, e)) < 0)
		return rc;
	if (total_minor <= 0) {
		fmt_amount(total_minor, cur, total_s);
		return err_set(e, ERR_RANGE,
			       "total: %s is nothing to spread over a plan",
			       total_s);
	}
	if (months > rules->max_months)
		return err_set(e, ERR_RANGE, "months: %d is more than the %d allowed",
			       months, rules->max_months);
	if (months < rules->min_months)
		return err_set(e, ERR_RANGE,
			       "months: %d is fewer than the %d required", months,
			       rules->min_months);
	if (day_of_month < 1 || day_of_month > 31)
		return err_set(e, ERR_RANGE,
			       "day_of_month: %d is not a day of the month (1 to 31)",
			       day_of_month);

	regular = total_minor / months;
	if (regular < rules->min_instalment_minor || regular < 1) {
		int64_t floor_minor = rules->min_instalment_minor > 0 ?
					      rules->min_instalment_minor : 1;
		int64_t needed;

		fmt_amount(regular, cur, amount);
		fmt_amount(floor_minor, cur, minimum);
		most = plan_max_months(total_minor, rules);
		if (most > 0)
			return err_set(e, ERR_RANGE,
				       "months: %d instalments of %s would be "
				       "below the minimum of %s; at most %d %s",
				       months, amount, minimum, most,
				       most == 1 ? "month" : "months");
		/* No plan at all: say what total would allow one. */
		if (__builtin_mul_overflow(floor_minor,
					   (int64_t)rules->min_months, &needed))
			return err_set(e, ERR_RANGE,
				       "months: %d instalments of %s would be "
				       "below the minimum of %s", months,
				       amount, minimum);
		fmt_amount(needed, cur, total_s);
		return err_set(e, ERR_RANGE,
			       "months: %d instalments of %s would be below the "
			       "minimum of %s; a plan needs a total of at least %s",
			       months, amount, minimum, total_s);
	}

	/* The first due date: the chosen day in the month of the earliest
	 * allowed date, or in the month after when that has gone by. */
	earliest = today + rules->first_due_min_days;
	date_to_ymd(earliest, &y, &m, &d);
	first = clamped_day(y, m, day_of_month);
	if (first < earliest) {
		month_add(y, m, 1, &y, &m);
		first = clamped_day(y, m, day_of_month);
	}

	for (int i = 0; i < months; i++) {
		int iy, im;

		/* Each month from the first one's (year, month), clamped on its
		 * own: never from the previous date, which would drift to the
		 * 28th after February. */
		month_add(y, m, i, &iy, &im);
		ret_instalments[i].due = clamped_day(iy, im, day_of_month);
		ret_instalments[i].amount_minor = regular;
	}
	ret_instalments[0].amount_minor += total_minor % months;
	*ret_n = months;
	return 0;
}

int plan_evaluate(const struct plan_instalment *inst, int n,
		  int64_t paid_minor, date_t today,
		  const struct plan_rules *rules, struct plan_status *ret,
		  struct err *e)
{
	struct plan_status st;
	int64_t left = paid_minor, total = 0;
	int i, rc;

	if ((rc = plan_rules_check(rules, e)) < 0)
		return rc;
	if (n < 1 || n > PLAN_MAX_INSTALMENTS)
		return err_set(e, ERR_INVALID,
			       "plan: %d instalments, expected 1 to %d", n,
			       PLAN_MAX_INSTALMENTS);
	if (paid_minor < 0)
		return err_set(e, ERR_INVALID, "paid: %lld is negative",
			       (long long)paid_minor);
	for (i = 0; i < n; i++) {
		if (inst[i].amount_minor <= 0)
			return err_set(e, ERR_INVALID,
				       "plan: instalment %d asks %lld, expected "
				       "more than 0",
				       i + 1, (long long)inst[i].amount_minor);
		if (money_add(total, inst[i].amount_minor, &total) < 0)
			return err_set(e, ERR_RANGE,
				       "plan: the instalments add up beyond "
				       "the largest amount");
	}

	memset(&st, 0, sizeof(st));
	/* Settle in order: each instalment takes what it asks while money is
	 * left; the first one that cannot be covered is the next. */
	for (i = 0; i < n && left >= inst[i].amount_minor; i++)
		left -= inst[i].amount_minor;
	st.settled = i;
	st.next = i;
	if (i == n) {
		st.state = PLAN_COMPLETED;
		st.next_due = DATE_NONE;
		st.breaks_on = DATE_NONE;
		st.remind_on = DATE_NONE;
		st.overpaid_minor = left;
	} else {
		st.next_left_minor = inst[i].amount_minor - left;
		st.next_due = inst[i].due;
		st.breaks_on = inst[i].due + rules->grace_days + 1;
		st.remind_on = inst[i].due - rules->remind_days_before;
		st.left_minor = total - paid_minor;
		st.state = today >= st.breaks_on ? PLAN_BROKEN : PLAN_GOOD;
	}
	*ret = st;
	return 0;
}

date_t plan_postpone_latest(date_t today, const struct plan_rules *rules)
{
	return today + rules->max_postpone_days;
}

int plan_postpone_check(date_t today, date_t requested, date_t oldest_due,
			const struct plan_rules *rules, int times_used,
			struct err *e)
{
	char req_s[DATE_FMT_MAX], other_s[DATE_FMT_MAX];
	date_t latest = plan_postpone_latest(today, rules);
	int rc;

	if ((rc = plan_rules_check(rules, e)) < 0)
		return rc;
	if (rules->postpone_once && times_used > 0)
		return err_set(e, ERR_CONFLICT,
			       "date: a later date has already been chosen for "
			       "this case once");
	date_format(requested, req_s);
	if (requested <= today) {
		date_format(today, other_s);
		return err_set(e, ERR_RANGE, "date: %s is not after today (%s)",
			       req_s, other_s);
	}
	if (oldest_due != DATE_NONE && oldest_due > today &&
	    requested <= oldest_due) {
		date_format(oldest_due, other_s);
		return err_set(e, ERR_RANGE,
			       "date: %s is not after the due date (%s)", req_s,
			       other_s);
	}
	if (requested > latest) {
		date_format(latest, other_s);
		return err_set(e, ERR_RANGE,
			       "date: %s is more than %d days away; the latest "
			       "is %s",
			       req_s, rules->max_postpone_days, other_s);
	}
	return 0;
}

const char *plan_state_name(enum plan_state s)
{
	if ((unsigned)s >= PLAN_STATE_COUNT)
		return "?";
	return state_names[s];
}

int plan_state_parse(const char *name, enum plan_state *ret)
{
	for (int i = 0; i < PLAN_STATE_COUNT; i++) {
		if (strcmp(name, state_names[i]) == 0) {
			*ret = (enum plan_state)i;
			return 0;
		}
	}
	return -ERR_INVALID;
}
