/*
 * plan_run: the daily pass over a tenant's instalment plans (part of
 * `dunwell run`, after the engine).
 *
 * For every active plan, on the customer's local date: a reminder of the
 * next instalment a few days before it is due (a confirmation message
 * "confirm.instalment.<plan>-<n>", template instalment_due, queued once:
 * the action's unique key), and the plan's end — completed when all is
 * paid, broken once an instalment stayed unpaid past its grace period.
 * The engine itself lifts the case's plan hold on that day and records
 * plan.broken; this pass keeps the plan's own row true to it.
 */
#ifndef DUNWELL_PLAN_RUN_H
#define DUNWELL_PLAN_RUN_H

#include "date.h"
#include "err.h"
#include "store.h"

struct plan_run_stats {
	long plans;       /* active plans looked at */
	long reminded;    /* instalment reminders queued */
	long completed;   /* plans paid in full */
	long broken;      /* plans broken */
};

/* One transaction for the whole pass. */
int plan_run_tenant(struct store *s, const struct tenant_rec *t,
		    instant_t now, struct plan_run_stats *ret, struct err *e);

#endif
