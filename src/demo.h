/*
 * demo: a sample tenant with customers of every kind, a month and a half of
 * daily engine runs, and what it led to — the newcomer's first look at
 * dunwell (`dunwell demo`, run by scripts/demo).
 */
#ifndef DUNWELL_DEMO_H
#define DUNWELL_DEMO_H

#include <stdio.h>

#include "date.h"
#include "err.h"
#include "store.h"

/* Fill the store with the demo tenant "demo" and run the engine once a day
 * from 45 days before `now` up to `now`; print what happened. */
int demo_run(struct store *s, const char *db_name, instant_t now, FILE *out,
	     struct err *e);

#endif
