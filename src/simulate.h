/*
 * simulate: what a strategy would send — the console's preview (issue #9)
 * of a strategy being edited, before it is saved.
 *
 * The same simulation as `dunwell simulate` (run_simulate_visit in run.c:
 * every customer x currency with something open now, decided day by day
 * with the strategy under test, assuming no payment arrives), counted as
 * a table: for each day, how many messages of each kind would go out, a
 * kind being a channel, a step and its tone ("email, reminder,
 * friendly"). Bounded: at most `max_cases` cases (the first by customer
 * id) and SIMULATE_KINDS_MAX kinds (the rest counted as "other"), so a
 * page can afford it. Never writes to the store.
 */
#ifndef DUNWELL_SIMULATE_H
#define DUNWELL_SIMULATE_H

#include <stddef.h>

#include "date.h"
#include "err.h"
#include "store.h"
#include "strategy.h"

#define SIMULATE_DAYS_MAX 366        /* days one table may cover */
#define SIMULATE_KINDS_MAX 32        /* kinds of message kept apart */

/* A kind of message: a step's message on a channel. */
struct simulate_kind {
	char channel[16];            /* "email", "sms", ... */
	char step[65];               /* the step's id */
	char tone[16];               /* friendly | formal | final */
};

/* Messages per day and kind. */
struct simulate_table {
	date_t from;                 /* the first day */
	int n_days;                  /* days from `from` */
	struct simulate_kind kinds[SIMULATE_KINDS_MAX]; /* by first use */
	size_t n_kinds;              /* kinds in use */
	long *counts;                /* n_days x (SIMULATE_KINDS_MAX + 1):
					counts[day * (SIMULATE_KINDS_MAX + 1)
					+ kind], the last column "other" */
	long *opened;                /* per day: cases the strategy opens */
	size_t cases;                /* cases simulated */
	int capped;                  /* 1: max_cases was reached */
};

/* Simulate `set` for tenant `t` over `n_days` days from `from` (the
 * tenant's open cases and invoices as the store holds them now). */
int simulate_messages(struct store *s, const struct tenant_rec *t,
		      const struct strategy_set *set, date_t from, int n_days,
		      size_t max_cases, struct simulate_table *ret,
		      struct err *e);

/* Messages of kind `k` (SIMULATE_KINDS_MAX = other) on day `day`. */
long simulate_count(const struct simulate_table *tb, int day, size_t k);
/* Messages on day `day`, all kinds. */
long simulate_day_total(const struct simulate_table *tb, int day);

void simulate_table_free(struct simulate_table *tb);

#endif
