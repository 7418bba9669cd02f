/*
 * simulate: the preview's table of messages per day and kind (see
 * simulate.h). The cases and the engine's decisions come from
 * run_simulate_visit, the code behind `dunwell simulate`, so the
 * preview's totals per day and channel are that command's.
 */
#include "simulate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "engine.h"
#include "mem.h"
#include "run.h"

#define COLS (SIMULATE_KINDS_MAX + 1)

/* The column of a contact action's kind, adding the kind when new. */
static size_t kind_of(struct simulate_table *tb, const struct engine_action *a)
{
	const char *ch = channel_name((enum channel)a->channel);
	const char *tone = tone_name((enum tone)a->tone);
	const char *step = a->step_id ? a->step_id : "";

	for (size_t k = 0; k < tb->n_kinds; k++) {
		const struct simulate_kind *x = &tb->kinds[k];
		if (strcmp(x->channel, ch) == 0 && strcmp(x->step, step) == 0 &&
		    strcmp(x->tone, tone) == 0)
			return k;
	}
	if (tb->n_kinds == SIMULATE_KINDS_MAX)
		return SIMULATE_KINDS_MAX; /* other */
	{
		struct simulate_kind *x = &tb->kinds[tb->n_kinds];
		snprintf(x->channel, sizeof(x->channel), "%s", ch);
		snprintf(x->step, sizeof(x->step), "%s", step);
		snprintf(x->tone, sizeof(x->tone), "%s", tone);
	}
	return tb->n_kinds++;
}

static int count_decision(void *arg, date_t day,
			  const struct engine_decision *d)
{
	struct simulate_table *tb = arg;
	int i = (int)(day - tb->from);

	if (i < 0 || i >= tb->n_days)
		return 0;
	tb->opened[i] += d->opened;
	for (size_t k = 0; k < d->n_actions; k++)
		if (d->actions[k].kind == ACTION_CONTACT)
			tb->counts[(size_t)i * COLS +
				   kind_of(tb, &d->actions[k])]++;
	return 0;
}

int simulate_messages(struct store *s, const struct tenant_rec *t,
		      const struct strategy_set *set, date_t from, int n_days,
		      size_t max_cases, struct simulate_table *ret,
		      struct err *e)
{
	struct simulate_table tb;
	int r;

	if (n_days < 1 || n_days > SIMULATE_DAYS_MAX)
		return err_set(e, ERR_RANGE, "simulate: %d days; expected 1 to"
			       " %d", n_days, SIMULATE_DAYS_MAX);
	memset(&tb, 0, sizeof(tb));
	tb.from = from;
	tb.n_days = n_days;
	tb.counts = xcalloc((size_t)n_days * COLS, sizeof(*tb.counts));
	tb.opened = xcalloc((size_t)n_days, sizeof(*tb.opened));
	r = run_simulate_visit(s, t, set, from, from + n_days - 1, max_cases,
			       count_decision, &tb, &tb.cases, e);
	if (r < 0) {
		simulate_table_free(&tb);
		return r;
	}
	tb.capped = max_cases && tb.cases >= max_cases;
	*ret = tb;
	return 0;
}

long simulate_count(const struct simulate_table *tb, int day, size_t k)
{
	if (day < 0 || day >= tb->n_days || k > SIMULATE_KINDS_MAX)
		return 0;
	return tb->counts[(size_t)day * COLS + k];
}

long simulate_day_total(const struct simulate_table *tb, int day)
{
	long n = 0;
	for (size_t k = 0; k <= SIMULATE_KINDS_MAX; k++)
		n += simulate_count(tb, day, k);
	return n;
}

void simulate_table_free(struct simulate_table *tb)
{
	if (!tb)
		return;
	free(tb->counts);
	free(tb->opened);
	tb->counts = NULL;
	tb->opened = NULL;
}
