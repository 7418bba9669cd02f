/*
 * plan: instalment plans and "choose a later date" (postponement) rules.
 *
 * Pure functions over dates (date.h) and integer minor units (money.h): what
 * a plan's schedule is, whether a customer's choice is within the tenant's
 * rules, and how a plan stands given what has been paid by a given day. The
 * portal uses them to offer only valid choices and to show the schedule
 * before the customer confirms; the daily run uses plan_evaluate to remind,
 * to complete and to break plans. Nothing here reads the clock, the store or
 * prints: the caller injects `today` and records the verdicts.
 */
#ifndef DUNWELL_PLAN_H
#define DUNWELL_PLAN_H

#include <stdint.h>

#include "date.h"
#include "err.h"
#include "money.h"

/* Most instalments any plan may have; rules.max_months may not exceed it.
 * Callers size schedule arrays with it. */
#define PLAN_MAX_INSTALMENTS 60

/* Defaults filled by plan_rules_default. */
#define PLAN_DEFAULT_MIN_MONTHS 2
#define PLAN_DEFAULT_MAX_MONTHS 12
#define PLAN_DEFAULT_MIN_INSTALMENT_UNITS 10 /* 10.00 in the case currency */
#define PLAN_DEFAULT_FIRST_DUE_MIN_DAYS 3
#define PLAN_DEFAULT_GRACE_DAYS 7
#define PLAN_DEFAULT_REMIND_DAYS_BEFORE 3
#define PLAN_DEFAULT_MAX_POSTPONE_DAYS 30

/* A tenant's rules for plans and postponements. */
struct plan_rules {
	int min_months;               /* fewest instalments a plan may have, >= 1 */
	int max_months;               /* most instalments, min_months..PLAN_MAX_INSTALMENTS */
	int64_t min_instalment_minor; /* smallest regular instalment, minor units; 0 = any */
	int first_due_min_days;       /* the first instalment falls due at least
				       * this many days after the day the plan is
				       * made, so a transfer can be arranged and
				       * arrive (default 3: a SEPA transfer takes a
				       * business day, plus a weekend) */
	int grace_days;               /* days after a due date on which a late
				       * payment still keeps the plan (default 7) */
	int remind_days_before;       /* a reminder this many days before each due
				       * date (default 3); 0 = on the due date */
	int max_postpone_days;        /* a later date at most this many days after
				       * the day it is chosen (default 30) */
	int postpone_once;            /* 1: a later date may be chosen once per
				       * case; 0: any number of times */
};

/* One instalment of a schedule. */
struct plan_instalment {
	date_t due;          /* the day it falls due */
	int64_t amount_minor; /* what it asks, minor units of the case currency, > 0 */
};

/* How a plan stands on a given day (plan_evaluate). */
enum plan_state {
	PLAN_GOOD = 0,  /* nothing unpaid beyond its grace period */
	PLAN_COMPLETED, /* everything paid */
	PLAN_BROKEN,    /* an instalment still unpaid after its grace period */
	PLAN_STATE_COUNT
};

struct plan_status {
	enum plan_state state;    /* the verdict on `today` */
	int settled;              /* instalments fully paid, 0..n (in order) */
	int next;                 /* index of the first instalment not fully
				   * paid; n when completed */
	int64_t next_left_minor;  /* what is still owed on `next` (its amount
				   * less a partial payment); 0 when completed */
	date_t next_due;          /* the due date of `next`; DATE_NONE when completed */
	date_t breaks_on;         /* first day on which the plan is broken if
				   * `next` stays unpaid: next_due + grace_days
				   * + 1; DATE_NONE when completed */
	date_t remind_on;         /* the reminder day for `next`: next_due -
				   * remind_days_before, not moved when it has
				   * passed (a fixed date keys the reminder so
				   * it is sent once); DATE_NONE when completed */
	int64_t left_minor;       /* still owed on the whole plan, >= 0 */
	int64_t overpaid_minor;   /* paid beyond the plan's total (a credit), >= 0 */
};

/* Fill `ret` with the defaults above; the minimum instalment is 10 units
 * of `cur` (EUR 10.00, JPY 10). */
void plan_rules_default(const struct currency *cur, struct plan_rules *ret);

/* Check a tenant's rules (from settings): -ERR_INVALID or -ERR_RANGE with a
 * message naming the field ("max_months: 100 is more than the 60 allowed"). */
int plan_rules_check(const struct plan_rules *rules, struct err *e);

/* The schedule of a plan for `total_minor` (> 0) of `cur` in `months`
 * instalments on `day_of_month` (1..31), made on `today`.
 *
 * Amounts: total / months each; the remainder (total mod months) is added to
 * the first instalment, so the regular ones are equal and the customer meets
 * the odd cents at once. Dates: the first is the earliest occurrence of
 * `day_of_month` on or after today + first_due_min_days; each following one
 * is that day in the next month. A day the month does not have means the
 * month's last day (31 -> 30 April, 28 or 29 February), month by month, so
 * the day never drifts (31 Jan, 29 Feb, 31 Mar).
 *
 * Errors name the field the customer chose:
 *   "months: 13 is more than the 12 allowed"
 *   "months: 1 is fewer than the 2 required"
 *   "day_of_month: 32 is not a day of the month (1 to 31)"
 *   "months: 6 instalments of EUR 4.00 would be below the minimum of
 *    EUR 10.00; at most 2 months"
 *   "months: 2 instalments of EUR 7.50 would be below the minimum of
 *    EUR 10.00; a plan needs a total of at least EUR 20.00"
 * and "total: ..." for a total <= 0. ret_instalments must hold
 * PLAN_MAX_INSTALMENTS entries; outputs are untouched on failure. */
int plan_schedule(int64_t total_minor, const struct currency *cur, int months,
		  int day_of_month, date_t today,
		  const struct plan_rules *rules,
		  struct plan_instalment ret_instalments[PLAN_MAX_INSTALMENTS],
		  int *ret_n, struct err *e);

/* The most months a plan for `total_minor` may have under `rules` (every
 * regular instalment at least min_instalment_minor and at least one minor
 * unit); 0 when no plan is possible (the total is too small for min_months
 * instalments, or not positive). The choices to offer are min_months ..
 * plan_max_months(). */
int plan_max_months(int64_t total_minor, const struct plan_rules *rules);

/* How a plan stands on `today` after `paid_minor` (>= 0) has been paid
 * towards it since it was made. Payments settle instalments in order; a
 * partial payment settles part of the next one.
 *
 * Broken, precisely: an instalment due on D that is not fully paid may be
 * paid up to and including D + grace_days (the last day of grace); the plan
 * is PLAN_BROKEN from D + grace_days + 1 on. With grace_days 0 it is broken
 * the day after the due date. A partly paid instalment is unpaid. Completed
 * (everything paid) wins over broken.
 *
 * This sees only the sum paid, not when it arrived: BROKEN is a verdict the
 * caller records the first day it is returned (the daily run); a later
 * payment that catches up does not mend a recorded break by itself.
 *
 * -ERR_INVALID for n outside 1..PLAN_MAX_INSTALMENTS, a negative payment or
 * a non-positive instalment; *ret untouched then. */
int plan_evaluate(const struct plan_instalment *instalments, int n,
		  int64_t paid_minor, date_t today,
		  const struct plan_rules *rules, struct plan_status *ret,
		  struct err *e);

/* The latest date a customer may choose on `today` (for the date picker). */
date_t plan_postpone_latest(date_t today, const struct plan_rules *rules);

/* May a customer who has chosen a later date `times_used` times on this case
 * choose `requested` on `today`? The date must be after today, and after
 * `oldest_due` (the due date of the case's oldest open invoice; DATE_NONE if
 * unknown) when that is still to come, and at most max_postpone_days after
 * today; with postpone_once, only when times_used is 0. Errors name the
 * field "date":
 *   "date: 2026-03-10 is not after today (2026-03-10)"
 *   "date: 2026-04-20 is more than 30 days away; the latest is 2026-04-09"
 *   "date: a later date has already been chosen for this case once"
 * 0 when allowed. */
int plan_postpone_check(date_t today, date_t requested, date_t oldest_due,
			const struct plan_rules *rules, int times_used,
			struct err *e);

/* "good", "completed", "broken" (stored and shown in the API); "?" for
 * anything else. */
const char *plan_state_name(enum plan_state s);
/* 0 and *ret set, or -ERR_INVALID for an unknown name. */
int plan_state_parse(const char *name, enum plan_state *ret);

#endif
