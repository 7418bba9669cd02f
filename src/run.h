/*
 * run: the engine over the store — `dunwell run`, the timeline's forecast
 * and `simulate`.
 *
 * The run walks a tenant's customers in ranges of ids. Each range is one
 * transaction: load what is open (store_work_load), decide every case with
 * engine_decide, write the new case states, actions and events, commit. The
 * store's unique keys make every action happen once, so a run repeated for
 * the same day adds nothing, and a run killed at any point and started again
 * ends exactly where one clean run would.
 *
 * This module turns store records into engine inputs (local dates in the
 * customer's zone, consented channels by preference, segments) and engine
 * decisions into store records. It makes no decision of its own.
 */
#ifndef DUNWELL_RUN_H
#define DUNWELL_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "date.h"
#include "err.h"
#include "store.h"
#include "strategy.h"

struct run_stats {
	long customers;     /* customers looked at */
	long cases_opened;
	long cases_closed;
	long cases_open;    /* open after the run */
	long contacts;      /* contact actions recorded */
	long fees;          /* fee actions recorded */
	long ends;          /* end actions recorded */
	long skips;         /* steps passed over */
	long agents;        /* hand-offs to a person */
	long paused;        /* open cases paused today */
};

struct run_options {
	int64_t batch_customers; /* customer ids per transaction (default
				    20000) */
};

/* Run the engine for one tenant at instant `now`. */
int run_tenant(struct store *s, const struct tenant_rec *t, instant_t now,
	       const struct run_options *opt, struct run_stats *ret,
	       struct err *e);

/* Run the engine for one customer at `now`, inside the caller's
 * transaction: what a payment, a plan or a lifted hold changes shows at
 * once (a paid case resolves, a partial payment re-anchors) instead of at
 * the next daily run. The store's unique keys keep it from doubling
 * anything the daily run does the same day. */
int run_customer(struct store *s, const struct tenant_rec *t,
		 int64_t customer_id, instant_t now, struct err *e);

/* Run the engine for the customers ids[0..n) (in any order, repeats
 * allowed) at `now`, inside the caller's transaction, as run_customer does
 * for one: one strategy set and one zone cache for all, the customers
 * loaded in ranges of nearby ids. Customers in a range that are not listed
 * are left alone. */
int run_customers(struct store *s, const struct tenant_rec *t,
		  const int64_t *ids, size_t n, instant_t now, struct err *e);

/* Print a customer's cases, their history, and the forecast of what comes
 * next (assuming no payment arrives), up to `horizon_days` ahead. */
int run_timeline(struct store *s, const struct tenant_rec *t,
		 const char *customer_external_id, instant_t now,
		 int horizon_days, FILE *out, struct err *e);

/* Replay the days from..to with `set` for every customer of the tenant that
 * has something open now, writing nothing; print per-day counts. */
int run_simulate(struct store *s, const struct tenant_rec *t,
		 const struct strategy_set *set, date_t from, date_t to,
		 FILE *out, struct err *e);

/* What run_simulate_visit calls for every decision of every simulated
 * case, day by day; a negative return stops the simulation with it. */
struct engine_decision;
typedef int (*run_sim_fn)(void *arg, date_t day,
			  const struct engine_decision *d);

/* The simulation behind run_simulate, for other callers (the console's
 * preview, simulate.h): the same cases (every customer x currency with
 * something open, in customer id order, at most `max_cases` of them; 0 =
 * all), each decided day by day with `set` from `from` to `to`, every
 * decision handed to `visit`. *ret_cases: how many were simulated. */
int run_simulate_visit(struct store *s, const struct tenant_rec *t,
		       const struct strategy_set *set, date_t from, date_t to,
		       size_t max_cases, run_sim_fn visit, void *arg,
		       size_t *ret_cases, struct err *e);

#endif
