/*
 * engine: the pure dunning decision (see engine.h for the rules).
 *
 * Nothing here reads a clock, a file or the store, and nothing allocates:
 * the decision is a function of its arguments, which is what lets the run,
 * the timeline, simulate and the tests share it.
 */
#include "engine.h"

#include <stddef.h>
#include <string.h>

#include "fee.h"

/* Which invoices form the case on `today`: open, undisputed, and due no
 * later than today + lead. Returns how many; sets *ret_anchor (oldest due
 * date) and *ret_open (their total; saturates rather than overflows). */
static size_t case_invoices(const struct engine_input *in, int lead_days,
			    date_t *ret_anchor, int64_t *ret_open,
			    size_t *ret_disputed)
{
	date_t anchor = DATE_NONE;
	int64_t open = 0;
	size_t n = 0, disputed = 0;

	for (size_t i = 0; i < in->n_invoices; i++) {
		const struct engine_invoice *inv = &in->invoices[i];
		if (inv->open_minor <= 0 || inv->written_off)
			continue;
		if ((int64_t)inv->due > (int64_t)in->today + lead_days)
			continue;
		if (inv->disputed) {
			disputed++;
			continue;
		}
		if (money_add(open, inv->open_minor, &open) < 0)
			open = INT64_MAX;
		if (anchor == DATE_NONE || inv->due < anchor)
			anchor = inv->due;
		n++;
	}
	*ret_anchor = anchor;
	*ret_open = open;
	*ret_disputed = disputed;
	return n;
}

static int64_t minor_to_micros(int64_t minor, const struct currency *cur)
{
	int64_t micros;
	if (money_to_micros(minor, cur, &micros) < 0)
		return minor < 0 ? INT64_MIN : INT64_MAX;
	return micros;
}

/* The strategy the rules choose; when the matching rule is an
 * experiment, which one and the customer's (stable) variant go into the
 * decision, for the run to record on the case it opens. */
static size_t choose_strategy(const struct engine_input *in,
			      const struct strategy_set *set, int64_t open,
			      struct engine_decision *d)
{
	const struct engine_customer *c = in->customer;
	struct rule_facts facts = {
		.segments = c->segments,
		.n_segments = c->n_segments,
		.country = c->country ? c->country : "",
		.currency = in->currency->code,
		.open_micros = minor_to_micros(open, in->currency),
		.vulnerable = c->vulnerable ? 1 : 0,
		.tenure_days = c->tenure_days,
		.tenant_id = c->tenant_id,
		.customer = c->external_id,
	};
	struct rule_choice rc;

	strategy_choose_variant(set, &facts, &rc);
	d->experiment = rc.experiment;
	d->variant = rc.variant;
	return rc.strategy;
}

/* The largest lead time over all strategies: how far ahead of a due date
 * any case could open. Used before a strategy is chosen. */
static int max_lead_days(const struct strategy_set *set)
{
	int lead = 0;
	for (size_t i = 0; i < set->n_strategies; i++) {
		int l = strategy_lead_days(&set->strategies[i]);
		if (l > lead)
			lead = l;
	}
	return lead;
}

/* Why contact is paused today, or NULL. */
static const char *pause_reason(const struct engine_input *in,
				const struct engine_case *st)
{
	const struct engine_customer *c = in->customer;
	if (c->deceased)
		return "deceased";
	if (c->do_not_contact)
		return "do-not-contact";
	if (c->moratorium_until != DATE_NONE && in->today <= c->moratorium_until)
		return "moratorium";
	if (st->hold_reason != HOLD_NONE && st->hold_until != DATE_NONE &&
	    in->today <= st->hold_until)
		return hold_reason_name(st->hold_reason);
	return NULL;
}

/* The first date on or after `today` when the contact policy allows the
 * next contact. */
static date_t policy_next(const struct engine_input *in,
			  const struct contact_policy *p)
{
	date_t next = in->today;
	size_t n = in->n_contacts;

	if (n == 0)
		return next;
	if (p->min_days_between > 0) {
		date_t last = in->contacts[n - 1];
		if (last + p->min_days_between > next)
			next = last + p->min_days_between;
	}
	if (p->max_per_7_days > 0) {
		/* Contacts within the 7 days ending today. */
		size_t first = n;
		while (first > 0 && in->contacts[first - 1] > in->today - 7)
			first--;
		size_t in_window = n - first;
		if (in_window >= (size_t)p->max_per_7_days) {
			/* Wait until enough of them have left the window. */
			date_t d = in->contacts[first + in_window -
						(size_t)p->max_per_7_days] + 7;
			if (d > next)
				next = d;
		}
	}
	return next;
}

static struct engine_action *add_action(struct engine_decision *d,
					enum action_kind kind, int step,
					const char *step_id, date_t due_on)
{
	struct engine_action *a;

	if (d->n_actions >= ENGINE_MAX_ACTIONS)
		return NULL; /* cannot happen: bounded by channels + 2 */
	a = &d->actions[d->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = (uint8_t)kind;
	a->step = (int16_t)step;
	a->step_id = step_id;
	a->due_on = due_on;
	return a;
}

/* Reachable step channels, in the customer's order of preference (ties in
 * the step's order). Returns how many. */
static int step_channels(const struct step *s, const struct engine_customer *c,
			 enum channel out[CHANNEL_COUNT])
{
	int n = 0;
	for (int i = 0; i < c->n_channels; i++) {
		for (int j = 0; j < s->n_channels; j++) {
			if (s->channels[j] == c->channels[i]) {
				out[n++] = c->channels[i];
				break;
			}
		}
	}
	return n;
}

/* Take step `i`: contact actions, fee, end action. */
static void take_step(const struct engine_input *in, const struct step *s,
		      int i, date_t due_on, int64_t open,
		      struct engine_decision *d)
{
	enum channel ch[CHANNEL_COUNT];
	int n = step_channels(s, in->customer, ch);
	struct engine_action *a;

	if (s->n_channels > 0 && n == 0) {
		/* Nobody to tell: charging a fee the customer never hears of
		 * would be unfair, so the whole step is passed over. */
		a = add_action(d, ACTION_SKIP, i, s->id, due_on);
		if (a)
			a->reason = "no reachable channel";
		return;
	}
	for (int k = 0; k < n; k++) {
		a = add_action(d, ACTION_CONTACT, i, s->id, due_on);
		if (!a)
			break;
		a->channel = ch[k];
		a->amount_minor = open;
		a->template_id = s->template_id;
		a->tone = s->tone;
		if (s->send == SEND_FIRST) {
			for (int f = 1; f < n; f++)
				a->fallbacks[a->n_fallbacks++] = ch[f];
			break;
		}
	}
	if (s->fee.kind != FEE_NONE) {
		int64_t fee = 0;
		int r = fee_compute(&s->fee, in->currency, open, d->state.anchor,
				    in->today, &fee, NULL);
		if (r < 0) {
			a = add_action(d, ACTION_SKIP, i, s->id, due_on);
			if (a)
				a->reason = s->fee.kind == FEE_WIK &&
							    strcmp(in->currency->code,
								   "EUR") != 0 ?
						    "the WIK scale applies to EUR only" :
						    "the fee could not be computed";
		} else if (fee > 0) {
			a = add_action(d, ACTION_FEE, i, s->id, due_on);
			if (a)
				a->amount_minor = fee;
			if (money_add(d->state.fees_minor, fee,
				      &d->state.fees_minor) < 0)
				d->state.fees_minor = INT64_MAX;
		}
	}
	if (s->end != END_NONE) {
		a = add_action(d, ACTION_END, i, s->id, due_on);
		if (a)
			a->end = s->end;
		if (s->end == END_WRITE_OFF) {
			d->state.status = CASE_WRITTEN_OFF;
			d->closed = 1;
		}
	}
	d->state.last_step_on = in->today;
}

/* The date step `i` may be taken: its own date (anchor + offset), but
 * never sooner after the previous step than the strategy spaces them, so
 * a case that starts late, or resumes after a pause, still gets each
 * escalation's intended time to respond. */
static date_t step_date(const struct strategy *st, const struct engine_case *s,
			int i)
{
	date_t d = s->anchor + st->steps[i].offset_days;
	if (i > 0 && s->last_step_on != DATE_NONE) {
		date_t paced = s->last_step_on + (st->steps[i].offset_days -
						  st->steps[i - 1].offset_days);
		if (paced > d)
			d = paced;
	}
	return d;
}

/* Walk the steps from state.next_step as far as today allows: any number
 * of skips and non-contact steps, and at most one contact step. */
static void advance(const struct engine_input *in,
		    const struct strategy *st, const struct contact_policy *p,
		    int64_t open, struct engine_decision *d)
{
	struct engine_case *s = &d->state;
	int contacted = 0;

	while (s->next_step < (int)st->n_steps) {
		const struct step *step = &st->steps[s->next_step];
		int i = s->next_step;
		date_t due_on = s->anchor + step->offset_days;
		date_t when = step_date(st, s, i);
		struct engine_action *a;

		if (d->n_actions + ENGINE_STEP_ACTIONS > ENGINE_MAX_ACTIONS) {
			/* No room to record another step today: the rest
			 * follows tomorrow rather than unrecorded. */
			d->wait = WAIT_STEP_DATE;
			d->next_on = in->today + 1;
			return;
		}

		if (step->offset_days < 0 && in->today >= s->anchor) {
			a = add_action(d, ACTION_SKIP, i, step->id, due_on);
			if (a)
				a->reason = "due date already passed";
			s->next_step++;
			continue;
		}
		if (in->today < when) {
			d->wait = WAIT_STEP_DATE;
			d->next_on = when;
			return;
		}
		if (step->min_open_micros > 0 &&
		    minor_to_micros(open, in->currency) < step->min_open_micros) {
			a = add_action(d, ACTION_SKIP, i, step->id, due_on);
			if (a)
				a->reason = "open amount below the step's minimum";
			s->next_step++;
			continue;
		}
		if (step->n_channels > 0) {
			date_t allowed = contacted ? in->today + 1 :
						     policy_next(in, p);
			if (allowed > in->today) {
				d->wait = WAIT_POLICY;
				d->next_on = allowed;
				return;
			}
		}
		size_t before = d->n_actions;
		take_step(in, step, i, due_on, open, d);
		for (size_t k = before; k < d->n_actions; k++)
			if (d->actions[k].kind == ACTION_CONTACT)
				contacted = 1;
		s->next_step++;
		if (d->closed)
			return;
	}
	d->wait = WAIT_DONE;
	d->next_on = DATE_NONE;
}

void engine_decide(const struct engine_input *in,
		   const struct strategy_set *set,
		   struct engine_decision *ret)
{
	struct engine_decision *d = ret;
	const struct strategy *st;
	date_t anchor;
	int64_t open;
	size_t n, disputed;
	const char *why;

	/* Everything but the action slots, which add_action clears one by
	 * one: the run decides millions of cases. */
	memset(d, 0, offsetof(struct engine_decision, actions));
	d->state = in->state;
	d->next_on = DATE_NONE;
	d->old_anchor = DATE_NONE;
	if (d->state.status != CASE_OPEN) {
		/* A closed case is history; a new one may open. */
		memset(&d->state, 0, sizeof(d->state));
		d->state.anchor = DATE_NONE;
		d->state.opened_on = DATE_NONE;
		d->state.last_step_on = DATE_NONE;
		d->state.hold_until = DATE_NONE;
	}

	if (d->state.status == CASE_OPEN) {
		st = &set->strategies[d->state.strategy];
		n = case_invoices(in, strategy_lead_days(st), &anchor, &open,
				  &disputed);
		d->open_minor = open;
		d->n_case_invoices = n;
		if (n == 0 && disputed == 0) {
			d->state.status = CASE_RESOLVED;
			d->closed = 1;
			d->wait = WAIT_NONE;
			return;
		}
		if (n == 0) {
			d->wait = WAIT_PAUSED;
			d->pause_reason = "dispute";
			return;
		}
		if (anchor != d->state.anchor) {
			d->reanchored = 1;
			d->old_anchor = d->state.anchor;
			d->state.anchor = anchor;
		}
	} else {
		/* Would a case open today? Look with the widest lead first,
		 * then with the chosen strategy's own. */
		n = case_invoices(in, max_lead_days(set), &anchor, &open,
				  &disputed);
		if (n == 0) {
			d->wait = WAIT_NOT_DUE;
			return;
		}
		size_t si = choose_strategy(in, set, open, d);
		st = &set->strategies[si];
		n = case_invoices(in, strategy_lead_days(st), &anchor, &open,
				  &disputed);
		d->open_minor = open;
		d->n_case_invoices = n;
		if (n == 0) {
			d->wait = WAIT_NOT_DUE;
			return;
		}
		d->state.status = CASE_OPEN;
		d->state.strategy = si;
		d->state.anchor = anchor;
		d->state.next_step = 0;
		d->state.opened_on = in->today;
		d->opened = 1;
		if (in->customer->vulnerable || in->customer->deceased ||
		    st->agent_on_open) {
			struct engine_action *a =
				add_action(d, ACTION_AGENT, -1, "open", in->today);
			if (a) {
				a->end = END_HAND_TO_AGENT;
				a->reason = in->customer->deceased ? "deceased" :
					    in->customer->vulnerable ?
									  "vulnerable customer" :
									  "strategy hands new cases to a person";
			}
		}
	}

	why = pause_reason(in, &d->state);
	if (why) {
		d->wait = WAIT_PAUSED;
		d->pause_reason = why;
		return;
	}
	if (d->state.hold_reason != HOLD_NONE) {
		/* The hold has run out: dunning resumes where it was. */
		d->state.hold_reason = HOLD_NONE;
		d->state.hold_until = DATE_NONE;
	}
	advance(in, st, &set->policy, open, d);
}

int engine_in_case(const struct engine_input *in,
		   const struct strategy_set *set,
		   const struct engine_decision *d,
		   const struct engine_invoice *inv)
{
	const struct strategy *st = &set->strategies[d->state.strategy];
	return inv->open_minor > 0 && !inv->written_off && !inv->disputed &&
	       (int64_t)inv->due <=
		       (int64_t)in->today + strategy_lead_days(st);
}

const char *action_kind_name(enum action_kind k)
{
	switch (k) {
	case ACTION_CONTACT: return "contact";
	case ACTION_FEE: return "fee";
	case ACTION_END: return "end";
	case ACTION_SKIP: return "skip";
	case ACTION_AGENT: return "agent";
	}
	return "?";
}

static const char *const status_names[] = {
	[CASE_NONE] = "none",
	[CASE_OPEN] = "open",
	[CASE_RESOLVED] = "resolved",
	[CASE_WRITTEN_OFF] = "written_off",
};

const char *case_status_name(enum case_status s)
{
	if ((unsigned)s >= sizeof(status_names) / sizeof(status_names[0]))
		return "?";
	return status_names[s];
}

int case_status_parse(const char *s, enum case_status *ret)
{
	for (size_t i = 0; i < sizeof(status_names) / sizeof(status_names[0]);
	     i++) {
		if (strcmp(s, status_names[i]) == 0) {
			*ret = (enum case_status)i;
			return 0;
		}
	}
	return -1;
}

static const char *const hold_names[] = {
	[HOLD_NONE] = "none",
	[HOLD_PROMISE] = "promise",
	[HOLD_POSTPONED] = "postponed",
	[HOLD_PLAN] = "plan",
	[HOLD_DISPUTE] = "dispute",
	[HOLD_AGENT] = "agent",
};

const char *hold_reason_name(enum hold_reason h)
{
	if ((unsigned)h >= sizeof(hold_names) / sizeof(hold_names[0]))
		return "?";
	return hold_names[h];
}

int hold_reason_parse(const char *s, enum hold_reason *ret)
{
	for (size_t i = 0; i < sizeof(hold_names) / sizeof(hold_names[0]); i++) {
		if (strcmp(s, hold_names[i]) == 0) {
			*ret = (enum hold_reason)i;
			return 0;
		}
	}
	return -1;
}

const char *engine_wait_name(enum engine_wait w)
{
	switch (w) {
	case WAIT_NONE: return "none";
	case WAIT_STEP_DATE: return "step date";
	case WAIT_POLICY: return "contact policy";
	case WAIT_PAUSED: return "paused";
	case WAIT_DONE: return "all steps taken";
	case WAIT_NOT_DUE: return "nothing due";
	}
	return "?";
}
