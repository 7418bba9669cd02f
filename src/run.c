/*
 * run: the engine over the store (see run.h).
 */
#include "run.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "engine.h"
#include "mem.h"
#include "tz.h"

#define RUN_DEFAULT_BATCH 20000
/* How far back recent contacts are loaded for the contact policy: the
 * longest gap a strategy may ask for (which is more than the rolling
 * week), plus slack for time zones. */
#define RUN_HISTORY_DAYS (STRATEGY_GAP_DAYS_MAX + 2)
#define SIM_MAX_DAYS 3660
/* run_customers: ids at most this far apart are loaded as one range (a
 * load costs far more than a customer in it: bench/statement.sh, 33,333
 * customers paid, took 105 s loading one id at a time, 6 s in ranges). */
#define RUN_CUSTOMERS_GAP 64


/* Strategy sets by version, parsed once per run. A set is either the
 * run's own (owned) or borrowed from the process-wide cache below. */
struct set_cache {
	int versions[64];
	struct strategy_set *sets[64];
	int owned[64];              /* 1: freed with the run */
	int n;
};

/*
 * Parsed strategy sets shared by every run of the process: a payment from
 * the portal or the API runs the engine for one customer, and parsing the
 * YAML again for each (libfyaml) cost more than the rest of the payment.
 * An entry is keyed by the exact source name and YAML text read from the
 * store, so it can never stand for anything but what the store holds now
 * (a new version, or another database with the same ids, has another text
 * or misses). Sets are read-only once parsed (the engine takes them
 * const), so runs on several threads share one. Entries live until the
 * process ends; when the cache is full, a run parses its own as before.
 */
#define RUN_SHARED_SETS 16
static struct {
	pthread_mutex_t lock;
	char *source[RUN_SHARED_SETS];  /* the name the set was parsed as */
	char *yaml[RUN_SHARED_SETS];    /* the text it was parsed from */
	struct strategy_set *set[RUN_SHARED_SETS]; /* the parsed set */
	int n;                          /* entries used */
} shared_sets = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* The shared set parsed from exactly (source, yaml), or NULL. */
static struct strategy_set *shared_find(const char *source, const char *yaml)
{
	struct strategy_set *set = NULL;
	pthread_mutex_lock(&shared_sets.lock);
	for (int i = 0; i < shared_sets.n && !set; i++)
		if (strcmp(shared_sets.yaml[i], yaml) == 0 &&
		    strcmp(shared_sets.source[i], source) == 0)
			set = shared_sets.set[i];
	pthread_mutex_unlock(&shared_sets.lock);
	return set;
}

/* Offer a freshly parsed set to the shared cache. Returns the set to use
 * (another thread's when it got there first) and sets *ret_shared when
 * the cache owns it; otherwise the caller keeps `set`. */
static struct strategy_set *shared_add(const char *source, const char *yaml,
				       struct strategy_set *set,
				       int *ret_shared)
{
	struct strategy_set *use = set;
	int i;
	*ret_shared = 0;
	pthread_mutex_lock(&shared_sets.lock);
	for (i = 0; i < shared_sets.n; i++)
		if (strcmp(shared_sets.yaml[i], yaml) == 0 &&
		    strcmp(shared_sets.source[i], source) == 0)
			break;
	if (i < shared_sets.n) {
		use = shared_sets.set[i];
		*ret_shared = 1;
	} else if (shared_sets.n < RUN_SHARED_SETS) {
		shared_sets.source[i] = xstrdup(source);
		shared_sets.yaml[i] = xstrdup(yaml);
		shared_sets.set[i] = set;
		shared_sets.n++;
		*ret_shared = 1;
	}
	pthread_mutex_unlock(&shared_sets.lock);
	if (use != set)
		strategy_set_free(set);
	return use;
}

struct run_ctx {
	struct store *store;          /* where cases are read and written */
	const struct tenant_rec *tenant; /* whose customers */
	instant_t now;                /* the run's instant */
	struct tz_cache *zones;       /* customers' zones, loaded once */
	const struct tz *tenant_zone; /* NULL: UTC */
	struct set_cache sets;        /* strategy sets by version */
	int active_version;           /* 0 when the tenant has none */
	struct run_stats stats;       /* what the run did */
	int64_t restricted_case;      /* the case service.restrict was last
					 recorded for by this run */
};

static void set_cache_clear(struct set_cache *c)
{
	for (int i = 0; i < c->n; i++)
		if (c->owned[i])
			strategy_set_free(c->sets[i]);
	c->n = 0;
}

/* The parsed strategy set of a version (0 = active). */
static int get_set(struct run_ctx *ctx, int version,
		   const struct strategy_set **ret, int *ret_version,
		   struct err *e)
{
	struct strategy_version_rec rec;
	struct strategy_set *set;
	char source[160];
	int r, shared;

	if (version == 0 && ctx->active_version)
		version = ctx->active_version;
	for (int i = 0; version && i < ctx->sets.n; i++) {
		if (ctx->sets.versions[i] == version) {
			*ret = ctx->sets.sets[i];
			*ret_version = version;
			return 0;
		}
	}
	if (ctx->sets.n == 64)
		return err_set(e, ERR_TOOBIG,
			       "more than 64 strategy versions in use at once");
	r = store_strategy_get(ctx->store, ctx->tenant->id, version, &rec, e);
	if (r < 0) {
		err_prefix(e, "tenant '%s': ", ctx->tenant->slug);
		return r;
	}
	snprintf(source, sizeof(source), "%s (version %d)", rec.source,
		 rec.version);
	set = shared_find(source, rec.yaml);
	shared = set != NULL;
	if (!set) {
		r = strategy_set_parse(source, rec.yaml, strlen(rec.yaml),
				       &set, e);
		if (r < 0) {
			strategy_version_rec_clear(&rec);
			return r;
		}
		set = shared_add(source, rec.yaml, set, &shared);
	}
	if (version == 0)
		ctx->active_version = rec.version;
	ctx->sets.versions[ctx->sets.n] = rec.version;
	ctx->sets.owned[ctx->sets.n] = !shared;
	ctx->sets.sets[ctx->sets.n++] = set;
	*ret = set;
	*ret_version = rec.version;
	strategy_version_rec_clear(&rec);
	return 0;
}

/* The customer's local date at the run's instant; an unknown zone falls
 * back to the tenant's, then UTC. */
static date_t local_today(struct run_ctx *ctx, const char *zone_name)
{
	const struct tz *z = NULL;
	if (zone_name && *zone_name &&
	    tz_cache_get(ctx->zones, zone_name, &z, NULL) == 0)
		return tz_local_date(z, ctx->now);
	if (ctx->tenant_zone)
		return tz_local_date(ctx->tenant_zone, ctx->now);
	return instant_date(ctx->now);
}

/* Engine view of a customer: consented channels by preference, tags. */
static void make_customer(struct arena *a, const struct customer_rec *c,
			  date_t today, struct engine_customer *ret)
{
	struct engine_customer *ec = ret;
	unsigned seen = 0;

	memset(ec, 0, sizeof(*ec));
	ec->vulnerable = c->vulnerable;
	ec->do_not_contact = c->do_not_contact;
	ec->deceased = c->deceased;
	ec->moratorium_until = c->moratorium_until;
	ec->country = c->country ? c->country : "";
	ec->tenure_days = c->customer_since == DATE_NONE ?
				  -1 :
				  (int)(today - c->customer_since);
	/* contacts arrive sorted by preference */
	for (size_t i = 0; i < c->n_contacts; i++) {
		const struct contact_rec *cp = &c->contacts[i];
		if (!cp->consent || (seen & (1u << cp->channel)))
			continue;
		seen |= 1u << cp->channel;
		ec->channels[ec->n_channels++] = cp->channel;
	}
	/* segments: space-separated tags */
	const char *p = c->segments ? c->segments : "";
	size_t n = 0;
	for (const char *q = p; *q; q++)
		if (*q != ' ' && (q == p || q[-1] == ' '))
			n++;
	if (n) {
		const char **tags = arena_alloc(a, n * sizeof(*tags));
		size_t k = 0;
		while (*p) {
			while (*p == ' ')
				p++;
			const char *start = p;
			while (*p && *p != ' ')
				p++;
			if (p > start)
				tags[k++] = arena_strndup(a, start,
							  (size_t)(p - start));
		}
		ec->segments = tags;
		ec->n_segments = k;
	}
}

/* Comma-separated channel names. */
static void join_channels(const uint8_t *ch, int n, char *out,
			  size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + len, size - len, "%s%s", i ? "," : "",
				 channel_name(ch[i]));
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
}

/* Record one event. `detail` is a JSON object built by this file from
 * dates, numbers and validated identifiers only. */
static int add_event(struct run_ctx *ctx, int64_t case_id, const char *kind,
		     const char *detail, struct err *e)
{
	struct event_rec ev = {
		.tenant_id = ctx->tenant->id,
		.case_id = case_id,
		.at = ctx->now,
		.kind = kind,
		.detail = detail,
	};
	return store_event_append(ctx->store, &ev, e);
}

/* The engine's state changed in a way the store must see. */
static int state_changed(const struct engine_case *a,
			 const struct engine_case *b)
{
	return a->status != b->status || a->anchor != b->anchor ||
	       a->next_step != b->next_step ||
	       a->last_step_on != b->last_step_on ||
	       a->hold_until != b->hold_until ||
	       a->hold_reason != b->hold_reason ||
	       a->fees_minor != b->fees_minor;
}

/* A pre-due step passed over because the case only opened after the due
 * date is not a decision about the customer: it is noted in the
 * case.opened event instead of as an action of its own. */
static int skipped_at_open(const struct engine_decision *d,
			   const struct engine_action *a)
{
	return d->opened && a->kind == ACTION_SKIP && a->step >= 0 &&
	       a->due_on < d->state.opened_on &&
	       strcmp(a->reason, "due date already passed") == 0;
}

static int write_actions(struct run_ctx *ctx, const struct engine_decision *d,
			 int64_t case_id, int64_t customer_id,
			 const char *currency, date_t today, struct err *e)
{
	for (size_t i = 0; i < d->n_actions; i++) {
		const struct engine_action *a = &d->actions[i];
		char fallbacks[96];
		int r;

		if (skipped_at_open(d, a))
			continue;

		join_channels(a->fallbacks, a->n_fallbacks, fallbacks,
			      sizeof(fallbacks));
		struct action_rec rec = {
			.tenant_id = ctx->tenant->id,
			.case_id = case_id,
			.customer_id = customer_id,
			.step = a->step_id,
			.kind = a->kind,
			.channel = a->kind == ACTION_CONTACT ?
					   channel_name(a->channel) :
					   "",
			.fallbacks = fallbacks,
			.due_on = a->due_on,
			.decided_on = today,
			.decided_at = ctx->now,
			.amount_minor = a->amount_minor,
			.template_id = a->template_id,
			.tone = a->kind == ACTION_CONTACT ? tone_name(a->tone) :
							    "",
			.end_action = a->end != END_NONE ?
					      end_action_name(a->end) :
					      "",
			.reason = a->reason,
			.status = a->kind == ACTION_CONTACT ? "queued" : "done",
		};
		memcpy(rec.currency, currency, 4);
		r = store_action_insert(ctx->store, &rec, e);
		if (r < 0)
			return r;
		/* The end actions the tenant must act on are events too, so
		 * its webhooks hear of them (service.restrict,
		 * case.handed_to_agent). */
		if ((a->kind == ACTION_END || a->kind == ACTION_AGENT) &&
		    (a->end == END_RESTRICT_SERVICE ||
		     a->end == END_HAND_TO_AGENT || a->kind == ACTION_AGENT)) {
			char detail[160];
			snprintf(detail, sizeof(detail), "{\"step\":\"%.64s\"}",
				 a->step_id);
			if (a->end == END_RESTRICT_SERVICE &&
			    a->kind == ACTION_END)
				ctx->restricted_case = case_id;
			r = add_event(ctx, case_id,
				      a->end == END_RESTRICT_SERVICE &&
						      a->kind == ACTION_END ?
					      "service.restrict" :
					      "case.handed_to_agent",
				      detail, e);
			if (r < 0)
				return r;
		}
		switch (a->kind) {
		case ACTION_CONTACT: ctx->stats.contacts++; break;
		case ACTION_FEE: ctx->stats.fees++; break;
		case ACTION_END: ctx->stats.ends++; break;
		case ACTION_SKIP: ctx->stats.skips++; break;
		case ACTION_AGENT: ctx->stats.agents++; break;
		}
	}
	return 0;
}

/* Persist one decision: case row, actions, events. */
static int apply_decision(struct run_ctx *ctx, const struct work_customer *wc,
			  const struct case_rec *old, const char *currency,
			  int version, const struct strategy_set *set,
			  const struct engine_decision *d, date_t today,
			  int restricted, struct err *e)
{
	struct case_rec c;
	char detail[256], da[DATE_FMT_MAX], db[DATE_FMT_MAX];
	int r;

	if (!d->opened && !old)
		return 0; /* nothing open, nothing opened */
	if (old)
		c = *old;
	else
		memset(&c, 0, sizeof(c));
	c.st = d->state;
	c.closed_on = d->closed ? today : DATE_NONE;

	if (d->opened) {
		c.tenant_id = ctx->tenant->id;
		c.customer_id = wc->c.id;
		memcpy(c.currency, currency, 4);
		c.strategy_version = version;
		c.strategy = set->strategies[d->state.strategy].name;
		r = store_case_insert(ctx->store, &c, &c.id, e);
		/* A rule's experiment chose the strategy: keep which
		 * experiment and variant, for the console's comparison. */
		if (r == 0 && d->experiment)
			r = store_case_experiment_add(ctx->store, c.tenant_id,
						      c.id, d->experiment,
						      d->variant, c.strategy,
						      e);
		if (r < 0)
			return r;
		ctx->stats.cases_opened++;
		date_format(d->state.anchor, da);
		struct buf skipped;
		buf_init(&skipped, 128);
		for (size_t i = 0; i < d->n_actions; i++)
			if (skipped_at_open(d, &d->actions[i]))
				buf_printf(&skipped, "%s\"%s\"",
					   skipped.len ? "," : "",
					   d->actions[i].step_id);
		snprintf(detail, sizeof(detail),
			 "{\"strategy\":\"%s\",\"version\":%d,\"anchor\":\"%s\","
			 "\"open_minor\":%lld,\"invoices\":%zu,"
			 "\"skipped\":[%s]}",
			 c.strategy, version, da, (long long)d->open_minor,
			 d->n_case_invoices, buf_cstr(&skipped));
		buf_free(&skipped);
		r = add_event(ctx, c.id, "case.opened", detail, e);
		if (r < 0)
			return r;
		r = write_actions(ctx, d, c.id, wc->c.id, currency, today, e);
		if (r < 0)
			return r;
	} else {
		r = write_actions(ctx, d, c.id, wc->c.id, currency, today, e);
		if (r < 0)
			return r;
		if (state_changed(&old->st, &c.st) || d->closed) {
			r = store_case_update(ctx->store, &c, e);
			if (r < 0)
				return r;
		}
	}
	if (d->reanchored) {
		date_format(d->old_anchor, da);
		date_format(d->state.anchor, db);
		snprintf(detail, sizeof(detail),
			 "{\"from\":\"%s\",\"to\":\"%s\",\"open_minor\":%lld}",
			 da, db, (long long)d->open_minor);
		r = add_event(ctx, c.id, "case.reanchored", detail, e);
		if (r < 0)
			return r;
	}
	if (old && old->st.hold_reason != HOLD_NONE &&
	    d->state.hold_reason == HOLD_NONE && !d->closed) {
		/* A hold ran out without the debt being settled: for a
		 * promise or a later date that is a broken promise, for a
		 * plan a broken plan. */
		const char *kind = old->st.hold_reason == HOLD_PROMISE ||
						   old->st.hold_reason ==
							   HOLD_POSTPONED ?
					   "promise.broken" :
				   old->st.hold_reason == HOLD_PLAN ?
					   "plan.broken" :
					   "hold.ended";
		snprintf(detail, sizeof(detail), "{\"reason\":\"%s\"}",
			 hold_reason_name(old->st.hold_reason));
		r = add_event(ctx, c.id, kind, detail, e);
		if (r < 0)
			return r;
	}
	if (d->closed) {
		ctx->stats.cases_closed++;
		snprintf(detail, sizeof(detail), "{\"fees_minor\":%lld}",
			 (long long)d->state.fees_minor);
		r = add_event(ctx, c.id,
			      d->state.status == CASE_WRITTEN_OFF ?
				      "case.written_off" :
				      "case.resolved",
			      detail, e);
		if (r < 0)
			return r;
		if (d->state.status == CASE_RESOLVED) {
			/* Paid: a service restricted for this case (before
			 * this run: `restricted`; or by this decision) may be
			 * given back at once. */
			if (restricted || ctx->restricted_case == c.id)
				r = add_event(ctx, c.id, "service.restore",
					      "{}", e);
			if (r < 0)
				return r;
		}
	}
	if (d->wait == WAIT_PAUSED)
		ctx->stats.paused++;
	if (d->state.status == CASE_OPEN)
		ctx->stats.cases_open++;
	return 0;
}

/* Engine invoices for one currency from a customer's sorted list. */
static size_t currency_invoices(const struct work_customer *wc,
				const char *currency, struct arena *a,
				struct engine_invoice **ret)
{
	size_t n = 0, k = 0;
	for (size_t i = 0; i < wc->n_invoices; i++)
		if (memcmp(wc->invoices[i].currency, currency, 4) == 0)
			n++;
	struct engine_invoice *list = n ? arena_alloc(a, n * sizeof(*list)) :
					  NULL;
	for (size_t i = 0; i < wc->n_invoices; i++) {
		const struct invoice_rec *inv = &wc->invoices[i];
		if (memcmp(inv->currency, currency, 4) != 0)
			continue;
		list[k].id = inv->id;
		list[k].due = inv->due_date;
		list[k].open_minor = inv->open_minor;
		list[k].disputed = inv->disputed;
		k++;
	}
	*ret = list;
	return n;
}

/* Currencies of a customer: of open invoices and open cases. Returns how
 * many, at most `max`. */
static size_t customer_currencies(const struct work_customer *wc,
				  char (*out)[4], size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < wc->n_invoices + wc->n_cases; i++) {
		const char *cur = i < wc->n_invoices ?
					  wc->invoices[i].currency :
					  wc->cases[i - wc->n_invoices].currency;
		size_t k;
		for (k = 0; k < n; k++)
			if (memcmp(out[k], cur, 4) == 0)
				break;
		if (k == n && n < max)
			memcpy(out[n++], cur, 4);
	}
	return n;
}

/* Everything needed to decide one customer x currency. */
struct case_input {
	struct engine_input in;
	struct engine_customer customer;
	const struct strategy_set *set;
	int version;
	const struct case_rec *old;
};

static int prepare_case(struct run_ctx *ctx, struct arena *a,
			const struct work_customer *wc, const char *currency,
			date_t today, struct case_input *ret, struct err *e)
{
	struct case_input *ci = ret;
	struct engine_invoice *invs;
	int r;

	memset(ci, 0, sizeof(*ci));
	ci->in.currency = currency_find(currency);
	if (!ci->in.currency)
		return err_set(e, ERR_INVALID, "customer '%s': unknown currency"
			       " '%s' in the store", wc->c.external_id, currency);
	for (size_t i = 0; i < wc->n_cases; i++)
		if (memcmp(wc->cases[i].currency, currency, 4) == 0)
			ci->old = &wc->cases[i];
	r = get_set(ctx, ci->old ? (int)ci->old->strategy_version : 0,
		    &ci->set, &ci->version, e);
	if (r < 0)
		return r;
	make_customer(a, &wc->c, today, &ci->customer);
	/* Experiment rules assign by tenant and customer (strategy.h). */
	ci->customer.tenant_id = ctx->tenant->id;
	ci->customer.external_id = wc->c.external_id;
	ci->in.customer = &ci->customer;
	ci->in.n_invoices = currency_invoices(wc, currency, a, &invs);
	ci->in.invoices = invs;
	ci->in.today = today;
	ci->in.state.status = CASE_NONE;
	if (ci->old) {
		long si = strategy_find(ci->set, ci->old->strategy);
		ci->in.state = ci->old->st;
		ci->in.state.strategy =
			si >= 0 ? (size_t)si : ci->set->default_strategy;
	}
	return 0;
}

/* One case decided and waiting to be written. */
struct planned_case {
	const struct work_customer *wc; /* the customer, in the batch's work */
	struct case_input ci;           /* what was decided from */
	struct engine_decision d;       /* what was decided */
	date_t today;                   /* the customer's local date */
	char currency[4];
};

/* A range of customers loaded and decided, ready to be written. Deciding
 * reads nothing but the loaded work, so it can run on another thread than
 * the writing (see run_tenant). Everything lives in work.arena. */
struct batch_plan {
	struct work_set work;
	struct planned_case *plans;
	size_t n_plans;
};

static void batch_plan_clear(struct batch_plan *b)
{
	work_set_clear(&b->work);
	memset(b, 0, sizeof(*b));
}

/* Decide every case of one customer, in currency order. The contact
 * history grows as the customer's cases take steps, so two cases of one
 * customer respect the contact policy together. */
static int decide_customer(struct run_ctx *ctx, struct batch_plan *b,
			   size_t *cap, const struct work_customer *wc,
			   struct err *e)
{
	struct arena *a = b->work.arena;
	char currencies[8][4];
	size_t ncur = customer_currencies(wc, currencies, 8);
	date_t today = local_today(ctx, wc->c.timezone);
	date_t *contacts;
	size_t n_contacts = wc->n_contacts;

	contacts = arena_alloc(a, (wc->n_contacts + ncur + 1) *
					  sizeof(*contacts));
	if (wc->n_contacts)
		memcpy(contacts, wc->contacts,
		       wc->n_contacts * sizeof(*contacts));
	for (size_t k = 0; k < ncur; k++) {
		struct planned_case *p;
		int r;

		b->plans = arena_grow(a, b->plans, cap, b->n_plans + 1,
				      sizeof(*b->plans));
		p = &b->plans[b->n_plans];
		r = prepare_case(ctx, a, wc, currencies[k], today, &p->ci, e);
		if (r < 0)
			return r;
		b->n_plans++;
		p->wc = wc;
		p->today = today;
		memcpy(p->currency, currencies[k], 4);
		p->ci.in.contacts = contacts;
		p->ci.in.n_contacts = n_contacts;
		engine_decide(&p->ci.in, p->ci.set, &p->d);
		for (size_t i = 0; i < p->d.n_actions; i++) {
			if (p->d.actions[i].kind == ACTION_CONTACT) {
				contacts[n_contacts++] = today;
				break; /* one contact per case and day */
			}
		}
	}
	return 0;
}

/* Whether `id` is in the ascending list only[0..n). */
static int id_listed(const int64_t *only, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (only[mid] == id)
			return 1;
		if (only[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Load and decide the customers with ids in [from, to); with `only`
 * (ascending, n_only ids), just those of them that it lists. */
static int plan_batch(struct run_ctx *ctx, int64_t from, int64_t to,
		      date_t since, const int64_t *only, size_t n_only,
		      struct batch_plan *ret, struct err *e)
{
	struct batch_plan b = { 0 };
	size_t cap = 0;
	int r = store_work_load(ctx->store, ctx->tenant->id, from, to, since,
				&b.work, e);
	if (r < 0)
		return r;
	if (only) {
		/* Keep the listed customers (the array stays ascending). */
		size_t k = 0;
		for (size_t i = 0; i < b.work.n_customers; i++)
			if (id_listed(only, n_only, b.work.customers[i].c.id))
				b.work.customers[k++] = b.work.customers[i];
		b.work.n_customers = k;
	}
	/* One plan per customer and currency: size the array once. */
	for (size_t i = 0; i < b.work.n_customers; i++) {
		char cur[8][4];
		cap += customer_currencies(&b.work.customers[i], cur, 8);
	}
	b.plans = arena_alloc(b.work.arena, (cap ? cap : 1) * sizeof(*b.plans));
	for (size_t i = 0; i < b.work.n_customers && r == 0; i++)
		r = decide_customer(ctx, &b, &cap, &b.work.customers[i], e);
	if (r < 0) {
		batch_plan_clear(&b);
		return r;
	}
	/* The plans array moved while it grew: point each input at its own
	 * copy of the customer. */
	for (size_t i = 0; i < b.n_plans; i++)
		b.plans[i].ci.in.customer = &b.plans[i].ci.customer;
	*ret = b;
	return 0;
}

/* Whether the open case of plan p resolves now. */
static int plan_resolves(const struct planned_case *p)
{
	return p->ci.old && p->d.closed &&
	       p->d.state.status == CASE_RESOLVED;
}

/* Write a decided batch: case rows, actions, events, write-offs. */
static int apply_batch(struct run_ctx *ctx, const struct batch_plan *b,
		       struct err *e)
{
	int64_t *resolving = NULL, *restricted = NULL;
	size_t n_resolving = 0, n_restricted = 0;
	int r = 0;

	ctx->stats.customers += (long)b->work.n_customers;
	/* The cases that resolve and had their service restricted: one
	 * query for the batch rather than a count per case. */
	for (size_t k = 0; k < b->n_plans; k++)
		if (plan_resolves(&b->plans[k]))
			n_resolving++;
	if (n_resolving) {
		size_t i = 0;
		resolving = xmalloc(n_resolving * sizeof(*resolving));
		for (size_t k = 0; k < b->n_plans; k++)
			if (plan_resolves(&b->plans[k]))
				resolving[i++] = b->plans[k].ci.old->id;
		r = store_cases_with_event(ctx->store, ctx->tenant->id,
					   resolving, n_resolving,
					   "service.restrict", &restricted,
					   &n_restricted, e);
		free(resolving);
	}
	for (size_t k = 0; r == 0 && k < b->n_plans; k++) {
		const struct planned_case *p = &b->plans[k];
		int was = plan_resolves(p) &&
			  id_listed(restricted, n_restricted, p->ci.old->id);
		r = apply_decision(ctx, p->wc, p->ci.old, p->currency,
				   p->ci.version, p->ci.set, &p->d, p->today,
				   was, e);
		if (r < 0)
			break;
		if (!p->d.closed || p->d.state.status != CASE_WRITTEN_OFF)
			continue;
		/* The invoices given up on are never dunned again. */
		for (size_t i = 0; r == 0 && i < p->ci.in.n_invoices; i++) {
			if (!engine_in_case(&p->ci.in, p->ci.set, &p->d,
					    &p->ci.in.invoices[i]))
				continue;
			r = store_invoice_write_off(ctx->store, ctx->tenant->id,
						    p->ci.in.invoices[i].id, e);
		}
	}
	free(restricted);
	return r;
}

static int ctx_init(struct run_ctx *ctx, struct store *s,
		    const struct tenant_rec *t, instant_t now)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->store = s;
	ctx->tenant = t;
	ctx->now = now;
	ctx->zones = tz_cache_new();
	if (t->timezone && *t->timezone)
		tz_cache_get(ctx->zones, t->timezone, &ctx->tenant_zone, NULL);
	return 0;
}

static void ctx_clear(struct run_ctx *ctx)
{
	set_cache_clear(&ctx->sets);
	tz_cache_free(ctx->zones);
}

/* The next range of customers is loaded and decided on a second
 * connection and thread while this one writes the current range: deciding
 * is pure, so the only shared things are the tenant and the instant. */
struct prefetch {
	pthread_t thread;
	struct run_ctx ctx;    /* the thread's own: zones, strategy sets */
	int64_t from, to;      /* customer id range */
	date_t since;          /* contact history look-back */
	struct batch_plan plan;/* the result */
	int r;                 /* 0 or a negative error */
	struct err err;        /* the error's message */
	int running;           /* a thread was started and not joined */
};

static void *prefetch_main(void *arg)
{
	struct prefetch *p = arg;
	p->r = plan_batch(&p->ctx, p->from, p->to, p->since, NULL, 0,
			  &p->plan, &p->err);
	return NULL;
}

static int prefetch_start(struct prefetch *p, int64_t from, int64_t to)
{
	p->from = from;
	p->to = to;
	p->r = 0;
	memset(&p->plan, 0, sizeof(p->plan));
	if (pthread_create(&p->thread, NULL, prefetch_main, p) != 0)
		return -1;
	p->running = 1;
	return 0;
}

static int prefetch_join(struct prefetch *p, struct batch_plan *ret,
			 struct err *e)
{
	pthread_join(p->thread, NULL);
	p->running = 0;
	if (p->r < 0) {
		if (e)
			*e = p->err;
		return p->r;
	}
	*ret = p->plan;
	return 0;
}

int run_tenant(struct store *s, const struct tenant_rec *t, instant_t now,
	       const struct run_options *opt, struct run_stats *ret,
	       struct err *e)
{
	struct run_ctx ctx;
	const struct strategy_set *set;
	struct prefetch pf;
	struct store *reader = NULL;
	int64_t batch, seen = 0, dv_now;
	date_t since = instant_date(now) - RUN_HISTORY_DAYS;
	int version, r;

	batch = opt && opt->batch_customers > 0 ? opt->batch_customers :
						  RUN_DEFAULT_BATCH;
	memset(&pf, 0, sizeof(pf));
	ctx_init(&ctx, s, t, now);
	/* Fail early, before any write, when there is no usable strategy. */
	r = get_set(&ctx, 0, &set, &version, e);
	if (r < 0)
		goto out;
	/* The customers are cut into ranges that any number of workers
	 * claim one at a time (store_range_claim). */
	r = store_ranges_ensure(s, t->id, batch, e);
	if (r < 0)
		goto out;

	/* Prefetching needs a second connection and a way to tell whether
	 * anyone else committed since the prefetched snapshot was read (then
	 * the range is loaded and decided again inside the write
	 * transaction). Without either, the run is serial. */
	if (store_data_version(s, &seen, NULL) == 0 &&
	    store_open_raw(store_target(s), &reader, NULL) == 0) {
		int64_t from, to;
		int found = 0;
		ctx_init(&pf.ctx, reader, t, now);
		pf.since = since;
		if (store_range_peek(s, t->id, INT64_MIN, now, &from, &to, &found,
				     NULL) < 0 ||
		    (found && prefetch_start(&pf, from, to) < 0)) {
			ctx_clear(&pf.ctx);
			store_close(reader);
			reader = NULL;
		}
	}
	for (;;) {
		struct batch_plan plan = { 0 };
		int64_t from, to, nfrom, nto;
		int have = 0, found = 0;

		if (pf.running) {
			r = prefetch_join(&pf, &plan, e);
			if (r < 0)
				goto out;
			have = 1;
		}
		r = store_begin(s, e);
		if (r == 0)
			r = store_range_claim(s, t->id, now, &from, &to, &found, e);
		if (r < 0 || !found) {
			batch_plan_clear(&plan);
			if (r < 0) {
				store_rollback(s);
				goto out;
			}
			r = store_commit(s, e); /* every range is done */
			goto out;
		}
		if (have && (pf.from != from || pf.to != to ||
			     store_data_version(s, &dv_now, e) < 0 ||
			     dv_now != seen)) {
			/* Another range, or someone committed in between:
			 * the snapshot may be stale, so do the range again
			 * under the lock. */
			batch_plan_clear(&plan);
			have = 0;
			seen = dv_now;
		}
		if (!have) {
			r = plan_batch(&ctx, from, to, since, NULL, 0, &plan,
				       e);
			if (r < 0) {
				store_rollback(s);
				goto out;
			}
		}
		/* While this range is written (under the write lock, so
		 * nobody else commits), load and decide the next one. */
		found = 0;
		if (reader &&
		    (store_range_peek(s, t->id, from, now, &nfrom, &nto, &found,
				      NULL) < 0 ||
		     (found && prefetch_start(&pf, nfrom, nto) < 0))) {
			ctx_clear(&pf.ctx);
			store_close(reader);
			reader = NULL;
		}
		r = apply_batch(&ctx, &plan, e);
		batch_plan_clear(&plan);
		if (r == 0)
			r = store_range_done(s, t->id, from, now, e);
		if (r == 0)
			r = store_commit(s, e);
		if (r < 0) {
			store_rollback(s);
			goto out;
		}
	}
out:
	if (pf.running) {
		struct batch_plan plan;
		if (prefetch_join(&pf, &plan, NULL) == 0)
			batch_plan_clear(&plan);
	}
	if (reader) {
		ctx_clear(&pf.ctx);
		store_close(reader);
	}
	if (r == 0)
		*ret = ctx.stats;
	ctx_clear(&ctx);
	return r;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int run_customers(struct store *s, const struct tenant_rec *t,
		  const int64_t *ids, size_t n, instant_t now, struct err *e)
{
	struct run_ctx ctx;
	const struct strategy_set *set;
	int64_t *sorted;
	size_t m = 0;
	int version, r;

	if (n == 0)
		return 0;
	sorted = xmalloc(n * sizeof(*sorted));
	memcpy(sorted, ids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), id_cmp);
	for (size_t i = 0; i < n; i++)
		if (m == 0 || sorted[i] != sorted[m - 1])
			sorted[m++] = sorted[i];
	ctx_init(&ctx, s, t, now);
	r = get_set(&ctx, 0, &set, &version, e);
	if (r == -ERR_NOTFOUND) {
		/* No active strategy: the tenant has no cases for the engine
		 * to decide on (a payment imported before any strategy was
		 * loaded is recorded and allocated all the same). */
		err_clear(e);
		r = 0;
		m = 0;
	}
	/* Ranges of ids close to each other load in one go; the customers
	 * in a range that were not asked for are loaded but left alone. A
	 * gap of more than RUN_CUSTOMERS_GAP ids starts a new range. */
	for (size_t i = 0; r == 0 && i < m;) {
		struct batch_plan plan = { 0 };
		size_t j = i + 1;
		while (j < m && sorted[j] - sorted[j - 1] <= RUN_CUSTOMERS_GAP &&
		       sorted[j] - sorted[i] < RUN_DEFAULT_BATCH)
			j++;
		r = plan_batch(&ctx, sorted[i], sorted[j - 1] + 1,
			       instant_date(now) - RUN_HISTORY_DAYS,
			       sorted + i, j - i, &plan, e);
		if (r == 0)
			r = apply_batch(&ctx, &plan, e);
		batch_plan_clear(&plan);
		i = j;
	}
	ctx_clear(&ctx);
	free(sorted);
	return r;
}

int run_customer(struct store *s, const struct tenant_rec *t,
		 int64_t customer_id, instant_t now, struct err *e)
{
	return run_customers(s, t, &customer_id, 1, now, e);
}

/* ---- timeline ---- */

static int print_history_row(void *vout, const struct history_rec *h)
{
	FILE *out = vout;
	char at[INSTANT_FMT_MAX];
	instant_format(h->at, at);
	if (strcmp(h->what, "event") == 0) {
		fprintf(out, "    %s  %-22s %s\n", at, h->kind, h->detail);
		return 0;
	}
	const struct currency *cur = currency_find(h->currency);
	char amount[MONEY_FMT_MAX] = "";
	if (cur && h->amount_minor)
		money_format(h->amount_minor, cur, amount);
	fprintf(out, "    %s  %-8s %-14s %-8s %s%s%s %s\n", at, h->kind, h->step,
		h->channel, h->currency, amount[0] ? " " : "", amount,
		h->detail);
	return 0;
}

static void print_action_line(FILE *out, date_t day,
			      const struct engine_action *a,
			      const struct currency *cur)
{
	char ds[DATE_FMT_MAX], amount[MONEY_FMT_MAX] = "";
	date_format(day, ds);
	if (a->amount_minor)
		money_format(a->amount_minor, cur, amount);
	switch (a->kind) {
	case ACTION_CONTACT: {
		char fb[96];
		join_channels(a->fallbacks, a->n_fallbacks, fb, sizeof(fb));
		fprintf(out, "    %s  contact  %-14s %-8s %s %s, %s (%s)%s%s\n",
			ds, a->step_id, channel_name(a->channel), cur->code,
			amount, a->template_id, tone_name(a->tone),
			fb[0] ? ", fallback " : "", fb);
		break;
	}
	case ACTION_FEE:
		fprintf(out, "    %s  fee      %-14s          %s %s\n", ds,
			a->step_id, cur->code, amount);
		break;
	case ACTION_END:
		fprintf(out, "    %s  end      %-14s          %s\n", ds,
			a->step_id, end_action_name(a->end));
		break;
	case ACTION_SKIP:
		fprintf(out, "    %s  skip     %-14s          %s\n", ds,
			a->step_id, a->reason);
		break;
	case ACTION_AGENT:
		fprintf(out, "    %s  agent    %-14s          %s\n", ds,
			a->step_id, a->reason);
		break;
	}
}

/* Forecast one customer x currency from `today`, assuming no payment:
 * repeatedly decide on the next date something can happen. */
static void forecast(const struct case_input *ci0, date_t today,
		     int horizon_days, FILE *out)
{
	struct case_input ci = *ci0;
	date_t contacts[512];
	size_t n_contacts = 0;
	date_t day = today, end = today + horizon_days;
	int printed = 0;

	for (size_t i = 0; i < ci.in.n_contacts && i < 256; i++)
		contacts[n_contacts++] = ci.in.contacts[i];
	while (day <= end) {
		struct engine_decision d;
		ci.in.today = day;
		ci.in.contacts = contacts;
		ci.in.n_contacts = n_contacts;
		engine_decide(&ci.in, ci.set, &d);
		if (d.opened) {
			char ds[DATE_FMT_MAX];
			date_format(day, ds);
			fprintf(out, "    %s  opens    strategy %s\n", ds,
				ci.set->strategies[d.state.strategy].name);
		}
		for (size_t i = 0; i < d.n_actions; i++) {
			print_action_line(out, day, &d.actions[i],
					  ci.in.currency);
			printed++;
			if (d.actions[i].kind == ACTION_CONTACT &&
			    n_contacts < 512 &&
			    (n_contacts == 0 || contacts[n_contacts - 1] != day))
				contacts[n_contacts++] = day;
		}
		ci.in.state = d.state;
		if (d.closed || d.state.status != CASE_OPEN) {
			if (d.wait == WAIT_NOT_DUE)
				fprintf(out, "    nothing due in the next %d"
					     " days\n", horizon_days);
			return;
		}
		if (d.wait == WAIT_PAUSED) {
			date_t until = DATE_NONE;
			const struct engine_customer *c = ci.in.customer;
			if (strcmp(d.pause_reason, "moratorium") == 0)
				until = c->moratorium_until;
			else if (d.state.hold_until != DATE_NONE &&
				 d.state.hold_reason != HOLD_NONE)
				until = d.state.hold_until;
			char ds[DATE_FMT_MAX];
			date_format(day, ds);
			if (until == DATE_NONE) {
				fprintf(out, "    %s  paused (%s): no contact"
					     " until a person lifts it\n",
					ds, d.pause_reason);
				return;
			}
			char us[DATE_FMT_MAX];
			date_format(until, us);
			fprintf(out, "    %s  paused (%s) through %s\n", ds,
				d.pause_reason, us);
			day = until + 1;
			continue;
		}
		if (d.wait == WAIT_DONE) {
			fprintf(out, "    after that: every step is taken; the"
				     " case waits for payment or a person\n");
			return;
		}
		if (d.next_on == DATE_NONE || d.next_on <= day)
			day++;
		else
			day = d.next_on;
	}
	if (!printed)
		fprintf(out, "    nothing in the next %d days\n", horizon_days);
}

int run_timeline(struct store *s, const struct tenant_rec *t,
		 const char *customer_external_id, instant_t now,
		 int horizon_days, FILE *out, struct err *e)
{
	struct run_ctx ctx;
	struct customer_rec c;
	struct case_rec *cases = NULL;
	size_t n_cases = 0;
	struct work_set w = { 0 };
	struct arena *a = NULL;
	date_t today;
	char ds[DATE_FMT_MAX];
	int r;

	r = store_customer_get(s, t->id, customer_external_id, &c, e);
	if (r < 0)
		return r;
	ctx_init(&ctx, s, t, now);
	today = local_today(&ctx, c.timezone);
	date_format(today, ds);
	fprintf(out, "Customer %s: %s\n", c.external_id, c.name);
	fprintf(out, "  locale %s, time zone %s (local date %s), country %s\n",
		c.locale, c.timezone, ds, c.country[0] ? c.country : "-");
	fprintf(out, "  channels:");
	for (size_t i = 0; i < c.n_contacts; i++)
		fprintf(out, " %d.%s%s", c.contacts[i].preference,
			channel_name(c.contacts[i].channel),
			c.contacts[i].consent ? "" : "(no consent)");
	fprintf(out, "%s\n", c.n_contacts ? "" : " none");
	if (c.vulnerable || c.do_not_contact || c.deceased || c.plain_language ||
	    c.moratorium_until != DATE_NONE) {
		char ms[DATE_FMT_MAX] = "";
		if (c.moratorium_until != DATE_NONE)
			date_format(c.moratorium_until, ms);
		fprintf(out, "  flags:%s%s%s%s%s%s\n",
			c.vulnerable ? " vulnerable" : "",
			c.do_not_contact ? " do-not-contact" : "",
			c.deceased ? " deceased" : "",
			c.plain_language ? " plain-language" : "",
			ms[0] ? " moratorium-until-" : "", ms);
	}

	r = store_case_list(s, t->id, c.id, &cases, &n_cases, e);
	if (r < 0)
		goto out;
	fprintf(out, "\nWhat happened\n");
	if (n_cases == 0)
		fprintf(out, "  no cases yet\n");
	for (size_t i = 0; i < n_cases; i++) {
		char as[DATE_FMT_MAX], fees[MONEY_FMT_MAX] = "0";
		const struct currency *cur = currency_find(cases[i].currency);
		date_format(cases[i].st.anchor, as);
		if (cur)
			money_format(cases[i].st.fees_minor, cur, fees);
		fprintf(out, "  case %lld (%s, %s): strategy %s v%lld, anchored"
			     " on %s, next step %d, fees %s\n",
			(long long)cases[i].id, cases[i].currency,
			case_status_name(cases[i].st.status), cases[i].strategy,
			(long long)cases[i].strategy_version, as,
			cases[i].st.next_step + 1, fees);
		r = store_case_history(s, t->id, cases[i].id, print_history_row,
				       out, e);
		if (r < 0)
			goto out;
	}

	fprintf(out, "\nWhat happens next (if nothing is paid)\n");
	r = store_work_load(s, t->id, c.id, c.id + 1,
			    instant_date(now) - RUN_HISTORY_DAYS, &w, e);
	if (r < 0)
		goto out;
	if (w.n_customers == 0) {
		fprintf(out, "  nothing is open\n");
		goto out;
	}
	a = arena_new();
	{
		const struct work_customer *wc = &w.customers[0];
		char currencies[8][4];
		size_t ncur = customer_currencies(wc, currencies, 8);
		for (size_t k = 0; k < ncur; k++) {
			struct case_input ci;
			r = prepare_case(&ctx, a, wc, currencies[k], today, &ci,
					 e);
			if (r < 0)
				goto out;
			ci.in.contacts = wc->contacts;
			ci.in.n_contacts = wc->n_contacts;
			fprintf(out, "  %s:\n", currencies[k]);
			forecast(&ci, today, horizon_days, out);
		}
	}
out:
	arena_free(a);
	work_set_clear(&w);
	case_list_free(cases, n_cases);
	customer_rec_clear(&c);
	ctx_clear(&ctx);
	return r;
}

/* ---- simulate ---- */

/* Per-day counters of a simulation. */
struct sim_day {
	long opened, closed, contacts, fees, ends, skips, agents;
	long by_channel[CHANNEL_COUNT];
};

struct sim_case {
	struct case_input ci;
	date_t contacts[64]; /* the customer's contacts; shared per customer
				would be exact, per case is close enough for
				a what-if count */
	size_t n_contacts;
};

/* run_simulate's counting: every decision into its day's counters. */
struct sim_count {
	struct sim_day *days; /* one per day from `from` */
	date_t from;          /* the first day */
};

static int sim_count(void *arg, date_t day, const struct engine_decision *d)
{
	struct sim_count *c = arg;
	struct sim_day *sd = &c->days[day - c->from];

	sd->opened += d->opened;
	sd->closed += d->closed;
	for (size_t k = 0; k < d->n_actions; k++) {
		const struct engine_action *ac = &d->actions[k];
		switch (ac->kind) {
		case ACTION_CONTACT:
			sd->contacts++;
			sd->by_channel[ac->channel]++;
			break;
		case ACTION_FEE: sd->fees++; break;
		case ACTION_END: sd->ends++; break;
		case ACTION_SKIP: sd->skips++; break;
		case ACTION_AGENT: sd->agents++; break;
		}
	}
	return 0;
}

int run_simulate(struct store *s, const struct tenant_rec *t,
		 const struct strategy_set *set, date_t from, date_t to,
		 FILE *out, struct err *e)
{
	struct sim_count sc;
	struct sim_day *days;
	size_t n_cases = 0;
	int64_t ndays = (int64_t)to - from + 1;
	int r;

	if (ndays <= 0 || ndays > SIM_MAX_DAYS)
		return err_set(e, ERR_RANGE, "simulate: --from must not be after"
			       " --to, and at most %d days apart", SIM_MAX_DAYS);
	days = xcalloc((size_t)ndays, sizeof(*days));
	sc.days = days;
	sc.from = from;
	r = run_simulate_visit(s, t, set, from, to, 0, sim_count, &sc,
			       &n_cases, e);
	if (r == 0) {
		struct sim_day total = { 0 };
		fprintf(out, "%-10s %6s %8s", "date", "opened", "contacts");
		for (int c = 0; c < CHANNEL_COUNT; c++)
			fprintf(out, " %8s", channel_name((enum channel)c));
		fprintf(out, " %5s %5s %5s %5s\n", "fees", "ends", "skips",
			"agent");
		for (int64_t i = 0; i < ndays; i++) {
			struct sim_day *sd = &days[i];
			char ds[DATE_FMT_MAX];
			total.opened += sd->opened;
			total.contacts += sd->contacts;
			total.fees += sd->fees;
			total.ends += sd->ends;
			total.skips += sd->skips;
			total.agents += sd->agents;
			for (int c = 0; c < CHANNEL_COUNT; c++)
				total.by_channel[c] += sd->by_channel[c];
			if (!sd->opened && !sd->contacts && !sd->fees &&
			    !sd->ends && !sd->skips && !sd->agents)
				continue;
			date_format(from + (date_t)i, ds);
			fprintf(out, "%-10s %6ld %8ld", ds, sd->opened,
				sd->contacts);
			for (int c = 0; c < CHANNEL_COUNT; c++)
				fprintf(out, " %8ld", sd->by_channel[c]);
			fprintf(out, " %5ld %5ld %5ld %5ld\n", sd->fees,
				sd->ends, sd->skips, sd->agents);
		}
		fprintf(out, "%-10s %6ld %8ld", "total", total.opened,
			total.contacts);
		for (int c = 0; c < CHANNEL_COUNT; c++)
			fprintf(out, " %8ld", total.by_channel[c]);
		fprintf(out, " %5ld %5ld %5ld %5ld\n", total.fees, total.ends,
			total.skips, total.agents);
		fprintf(out, "%zu cases simulated from the store's open"
			     " invoices, assuming no payments\n", n_cases);
	}
	free(days);
	return r;
}

int run_simulate_visit(struct store *s, const struct tenant_rec *t,
		       const struct strategy_set *set, date_t from, date_t to,
		       size_t max_cases, run_sim_fn visit, void *arg,
		       size_t *ret_cases, struct err *e)
{
	struct run_ctx ctx;
	struct sim_case *cases = NULL;
	size_t n_cases = 0, cap = 0;
	struct work_set *sets = NULL;
	size_t n_sets = 0, sets_cap = 0;
	struct arena *a = arena_new();
	int64_t lo, hi, ndays = (int64_t)to - from + 1;
	int r = 0;

	if (ndays <= 0 || ndays > SIM_MAX_DAYS) {
		arena_free(a);
		return err_set(e, ERR_RANGE, "simulate: --from must not be after"
			       " --to, and at most %d days apart", SIM_MAX_DAYS);
	}
	ctx_init(&ctx, s, t, instant_from_date(from));
	r = store_customer_id_range(s, t->id, &lo, &hi, e);
	if (r < 0)
		goto out;
	for (int64_t f = lo; lo && f <= hi && (!max_cases || n_cases < max_cases);
	     f += RUN_DEFAULT_BATCH) {
		sets = xgrow(sets, &sets_cap, n_sets + 1, sizeof(*sets));
		memset(&sets[n_sets], 0, sizeof(sets[n_sets]));
		r = store_work_load(s, t->id, f, f + RUN_DEFAULT_BATCH,
				    from - RUN_HISTORY_DAYS, &sets[n_sets], e);
		if (r < 0)
			goto out;
		struct work_set *w = &sets[n_sets++];
		for (size_t i = 0; i < w->n_customers; i++) {
			const struct work_customer *wc = &w->customers[i];
			char currencies[8][4];
			size_t ncur = customer_currencies(wc, currencies, 8);
			for (size_t k = 0; k < ncur &&
			     (!max_cases || n_cases < max_cases); k++) {
				struct sim_case *sc;
				cases = xgrow(cases, &cap, n_cases + 1,
					      sizeof(*cases));
				sc = &cases[n_cases];
				memset(sc, 0, sizeof(*sc));
				r = prepare_case(&ctx, a, wc, currencies[k], from,
						 &sc->ci, e);
				if (r < 0)
					goto out;
				/* The strategy under test replaces the
				 * stored one; a case keeps its step when its
				 * strategy exists in the file. */
				sc->ci.set = set;
				if (sc->ci.old) {
					long si = strategy_find(
						set, sc->ci.old->strategy);
					if (si < 0)
						sc->ci.in.state.status =
							CASE_NONE;
					else
						sc->ci.in.state.strategy =
							(size_t)si;
				}
				for (size_t h = 0;
				     h < wc->n_contacts && sc->n_contacts < 64;
				     h++)
					sc->contacts[sc->n_contacts++] =
						wc->contacts[h];
				n_cases++;
			}
		}
	}

	for (size_t i = 0; i < n_cases; i++) {
		struct sim_case *sc = &cases[i];
		date_t day = from;
		/* `cases` moved while it grew: point at this copy's customer */
		sc->ci.in.customer = &sc->ci.customer;
		while (day <= to) {
			struct engine_decision d;
			sc->ci.in.today = day;
			sc->ci.in.contacts = sc->contacts;
			sc->ci.in.n_contacts = sc->n_contacts;
			engine_decide(&sc->ci.in, sc->ci.set, &d);
			r = visit(arg, day, &d);
			if (r < 0)
				goto out;
			for (size_t k = 0; k < d.n_actions; k++) {
				const struct engine_action *ac = &d.actions[k];
				if (ac->kind == ACTION_CONTACT &&
				    (sc->n_contacts == 0 ||
				     sc->contacts[sc->n_contacts - 1] != day)) {
					if (sc->n_contacts == 64) {
						memmove(sc->contacts,
							sc->contacts + 32,
							32 * sizeof(date_t));
						sc->n_contacts = 32;
					}
					sc->contacts[sc->n_contacts++] = day;
				}
			}
			sc->ci.in.state = d.state;
			if (d.state.status != CASE_OPEN ||
			    d.wait == WAIT_DONE)
				break;
			if (d.wait == WAIT_PAUSED) {
				date_t until = DATE_NONE;
				if (strcmp(d.pause_reason, "moratorium") == 0)
					until = sc->ci.in.customer
							->moratorium_until;
				else if (d.state.hold_reason != HOLD_NONE)
					until = d.state.hold_until;
				if (until == DATE_NONE)
					break;
				day = until + 1;
			} else if (d.next_on == DATE_NONE || d.next_on <= day) {
				day++;
			} else {
				day = d.next_on;
			}
		}
	}

	if (ret_cases)
		*ret_cases = n_cases;
out:
	for (size_t i = 0; i < n_sets; i++)
		work_set_clear(&sets[i]);
	free(sets);
	free(cases);
	arena_free(a);
	ctx_clear(&ctx);
	return r;
}
