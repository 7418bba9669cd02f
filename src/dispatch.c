/*
 * dispatch: queued messages → channels, with the send-time checks.
 *
 * One batch goes through three phases: claim (one short transaction that
 * leases the rows), work (load each message's case and customer, decide,
 * compose, hand over — no transaction is open while providers are
 * talked to), and record (one transaction writing every outcome, its case
 * event, the link hash of a sent message, and the fallback message of a
 * failed one). An outcome is only written while this dispatcher still
 * holds the lease, so a dispatcher that stalled past its lease cannot
 * overwrite what the one that took over recorded.
 */
#include "dispatch.h"

#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cal.h"
#include "compose.h"
#include "deliver.h"
#include "mem.h"
#include "money.h"
#include "outbox.h"
#include "profile.h"
#include "secrets.h"
#include "strategy.h"
#include "token.h"
#include "tz.h"
#include "webhook.h"

#define FILL_CHUNK 1000
#define DISPATCH_SETTING_MAX 8192 /* a delivery setting, ${NAME}s filled in */
#define VERSIONS_CACHED 8

/* What the work phase decided for one message. */
enum verdict {
	V_SEND,      /* composed; handed over, outcome in `res` */
	V_DELAY,     /* not yet: not_before moves to `until` */
	V_CANCEL,    /* no longer applies */
	V_FAIL,      /* cannot go on this channel: the next one, if any */
	V_RETRY,     /* could not try now (compose or adapter error) */
	V_DEAD,      /* too old: given up */
};

struct job {
	struct message_rec *m;
	enum channel ch;
	enum verdict verdict;
	char reason[DELIVER_ERROR_MAX];
	instant_t until;                 /* V_DELAY */
	struct customer_rec cu;          /* loaded for the checks */
	char *address;                   /* the channel's address (borrowed
					    from cu) */
	struct compose_output out;
	char token[TOKEN_BUF];
	char hash[TOKEN_HASH_BUF];
	char message_id[320];            /* "<idempotency key>@<domain>" */
	struct deliver_result res;
};

struct parsed_version {
	int version;
	struct strategy_set *set;
};

struct dctx {
	struct store *s;
	const struct tenant_rec *t;
	instant_t now;
	const struct dispatch_options *opt;
	char owner[128];
	struct profile pr;
	struct compose *compose;
	struct tz_cache *zones;
	struct cal *cals[8];             /* holiday calendars by country */
	char cal_country[8][3];
	size_t n_cals;
	struct parsed_version versions[VERSIONS_CACHED];
	size_t n_versions;
	void *adapters[CHANNEL_COUNT];   /* opened on first use */
	const struct deliver_backend *backends[CHANNEL_COUNT];
	int adapter_failed[CHANNEL_COUNT];
	char adapter_error[CHANNEL_COUNT][ERR_MSG_MAX];
	struct dispatch_stats st;
};

/* ---- context ----------------------------------------------------------- */

static const struct cal *holidays(struct dctx *d, const char *country)
{
	struct cal *c = NULL;
	for (size_t i = 0; i < d->n_cals; i++)
		if (strcmp(d->cal_country[i], country) == 0)
			return d->cals[i];
	if (!*country || strlen(country) != 2 ||
	    d->n_cals >= sizeof(d->cals) / sizeof(d->cals[0]))
		return NULL;
	if (cal_builtin(country, &c, NULL) < 0)
		c = NULL; /* no calendar for the country: weekends only */
	memcpy(d->cal_country[d->n_cals], country, 3);
	d->cals[d->n_cals++] = c;
	return c;
}

static int strategy_for(struct dctx *d, int version,
			const struct strategy_set **ret, struct err *e)
{
	struct strategy_version_rec sv;
	struct strategy_set *set;
	int r;
	for (size_t i = 0; i < d->n_versions; i++)
		if (d->versions[i].version == version) {
			*ret = d->versions[i].set;
			return 0;
		}
	memset(&sv, 0, sizeof(sv));
	r = store_strategy_get(d->s, d->t->id, version, &sv, e);
	if (r == 0)
		r = strategy_set_parse(sv.source, sv.yaml, strlen(sv.yaml), &set,
				       e);
	strategy_version_rec_clear(&sv);
	if (r < 0)
		return r;
	if (d->n_versions == VERSIONS_CACHED) {
		strategy_set_free(d->versions[0].set);
		memmove(&d->versions[0], &d->versions[1],
			sizeof(d->versions[0]) * (VERSIONS_CACHED - 1));
		d->n_versions--;
	}
	d->versions[d->n_versions].version = version;
	d->versions[d->n_versions++].set = set;
	*ret = set;
	return 0;
}

/* The adapter for a channel, opened on first use. NULL (and why in
 * d->adapter_error) when the tenant configured none or it failed. */
static void *adapter_for(struct dctx *d, enum channel ch)
{
	const char *config;
	char dir[4200];
	char expanded[DISPATCH_SETTING_MAX]; /* config, ${NAME}s filled in */
	char key[32];                         /* "deliver_<channel>" */
	struct err e;
	int r;

	if (d->adapters[ch] || d->adapter_failed[ch])
		return d->adapters[ch];
	config = d->pr.deliver[ch];
	if (d->opt && d->opt->file_dir) {
		snprintf(dir, sizeof(dir), "file:%s", d->opt->file_dir);
		config = dir;
	}
	d->adapter_failed[ch] = 1;
	if (!config || !*config) {
		snprintf(d->adapter_error[ch], sizeof(d->adapter_error[ch]),
			 "no delivery configured for %s (dunwell tenant set"
			 " deliver_%s ...)", channel_name(ch), channel_name(ch));
		return NULL;
	}
	d->backends[ch] = deliver_find(config);
	if (!d->backends[ch]) {
		snprintf(d->adapter_error[ch], sizeof(d->adapter_error[ch]),
			 "deliver_%s names no adapter", channel_name(ch));
		return NULL;
	}
	snprintf(key, sizeof(key), "deliver_%s", channel_name(ch));
	/* Secrets come from the environment or the secrets file only: a
	 * setting stored with one inline (before that was refused at
	 * `tenant set`) is not used. */
	if (config == dir) {
		snprintf(expanded, sizeof(expanded), "%s", dir);
	} else if (profile_inline_secret(key, config, &e) < 0) {
		snprintf(d->adapter_error[ch], sizeof(d->adapter_error[ch]),
			 "%.900s", e.msg);
		return NULL;
	} else if (secrets_expand(config, expanded, sizeof(expanded), &e) <
		   0) {
		snprintf(d->adapter_error[ch], sizeof(d->adapter_error[ch]),
			 "%s: %.900s", key, e.msg);
		return NULL;
	}
	r = d->backends[ch]->open(expanded, &d->adapters[ch], &e);
	sodium_memzero(expanded, sizeof(expanded));
	if (r < 0) {
		/* an adapter may quote part of the setting it was given */
		secrets_scrub(config, e.msg, sizeof(e.msg));
		snprintf(d->adapter_error[ch], sizeof(d->adapter_error[ch]),
			 "%s: %.900s", key, e.msg);
		d->adapters[ch] = NULL;
		return NULL;
	}
	d->adapter_failed[ch] = 0;
	return d->adapters[ch];
}

/* ---- deciding one message ---------------------------------------------- */

static int tone_of(const char *s)
{
	if (strcmp(s, "formal") == 0)
		return TONE_FORMAL;
	if (strcmp(s, "final") == 0)
		return TONE_FINAL;
	return TONE_FRIENDLY;
}

static void verdict(struct job *j, enum verdict v, const char *reason)
{
	size_t n = strlen(reason);
	if (n >= sizeof(j->reason))
		n = sizeof(j->reason) - 1; /* a long provider error, cut */
	j->verdict = v;
	memcpy(j->reason, reason, n);
	j->reason[n] = '\0';
}

/* The checks of DESIGN.md's rules at send time, then compose. Errors that
 * concern only this message become its verdict; a negative return is a
 * store failure that stops the batch. */
static int work_one(struct dctx *d, struct job *j, struct err *e)
{
	struct message_rec *m = j->m;
	struct case_rec *cases = NULL, *kase = NULL;
	struct invoice_rec *inv = NULL;
	struct sent_rec *sent = NULL;
	const struct strategy_set *set;
	const struct strategy *st = NULL;
	const struct tz *zone = NULL;
	const struct contact_rec *cp = NULL;
	struct compose_input in;
	struct compose_terms terms;
	struct quiet_rules q;
	instant_t when, times[64];
	struct plan_rec plan;
	struct compose_instalment *inst = NULL;
	int confirmation, have_plan = 0;
	size_t n_cases = 0, n_inv = 0, n_sent = 0, n_times = 0, step = 0;
	char *ext = NULL;
	date_t today;
	struct err ce;
	int r;

	r = store_customer_external_id(d->s, d->t->id, m->customer_id, &ext, e);
	if (r == 0)
		r = store_customer_get(d->s, d->t->id, ext, &j->cu, e);
	free(ext);
	if (r == 0)
		r = store_case_list(d->s, d->t->id, m->customer_id, &cases,
				    &n_cases, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_cases; i++)
		if (cases[i].id == m->case_id)
			kase = &cases[i];
	if (tz_cache_get(d->zones, *j->cu.timezone ? j->cu.timezone
						    : d->t->timezone,
			 &zone, &ce) < 0 &&
	    tz_cache_get(d->zones, "UTC", &zone, e) < 0) {
		r = -ERR_NOTFOUND;
		goto out;
	}
	today = tz_local_date(zone, d->now);

	/* Stop rules: queued mail is cancelled like everything else. A
	 * confirmation of what the customer did (a thank-you for a payment,
	 * a confirmed later date or plan: steps "confirm.*") answers the
	 * customer, so it goes even though the case is closed or on hold. */
	confirmation = strncmp(m->step, DISPATCH_CONFIRM_PREFIX,
			       strlen(DISPATCH_CONFIRM_PREFIX)) == 0;
	if (!kase || (kase->st.status != CASE_OPEN && !confirmation)) {
		/* a case resolves when it is paid */
		verdict(j, V_CANCEL, kase && kase->st.status == CASE_RESOLVED ?
					     "paid" : "the case is closed");
		goto out;
	}
	if (j->cu.do_not_contact || j->cu.deceased) {
		verdict(j, V_CANCEL, j->cu.deceased ? "the customer died"
						    : "do not contact");
		goto out;
	}
	if (j->cu.moratorium_until != DATE_NONE &&
	    j->cu.moratorium_until >= today) {
		verdict(j, V_CANCEL, "moratorium");
		goto out;
	}
	if (kase->st.hold_reason != HOLD_NONE && !confirmation &&
	    (kase->st.hold_until == DATE_NONE ||
	     kase->st.hold_until >= today)) {
		verdict(j, V_CANCEL, hold_reason_name(kase->st.hold_reason));
		goto out;
	}
	r = store_invoices_open(d->s, d->t->id, m->customer_id, kase->currency,
				&inv, &n_inv, e);
	if (r < 0)
		goto out;
	r = strategy_for(d, (int)kase->strategy_version, &set, e);
	if (r < 0)
		goto out;
	{
		long k = strategy_find(set, kase->strategy);
		st = k >= 0 ? &set->strategies[k] : NULL;
		for (size_t i = 0; st && i < st->n_steps; i++)
			if (strcmp(st->steps[i].id, m->step) == 0)
				step = i;
	}
	{
		/* Paid: nothing is open that the case reminds of (invoices
		 * due by now, or within the strategy's pre-due window). */
		date_t horizon = today + (st ? strategy_lead_days(st) : 0);
		size_t owed = 0;
		for (size_t i = 0; i < n_inv; i++)
			owed += inv[i].due_date <= horizon;
		if (owed == 0 && !confirmation) {
			verdict(j, V_CANCEL, "paid");
			goto out;
		}
	}
	if (d->now - m->created_at > (instant_t)d->pr.max_age_hours * 3600) {
		verdict(j, V_DEAD, "not sent within max_age_hours");
		goto out;
	}
	for (size_t i = 0; i < j->cu.n_contacts; i++)
		if (j->cu.contacts[i].channel == j->ch)
			cp = &j->cu.contacts[i];
	if (!cp) {
		verdict(j, V_FAIL, "no address for this channel");
		goto out;
	}
	if (!cp->consent) {
		verdict(j, V_FAIL, "no consent for this channel");
		goto out;
	}
	j->address = cp->address;

	/* When: quiet hours, then the contact policy (other steps only). */
	q.start_min = d->pr.quiet_start_min;
	q.end_min = d->pr.quiet_end_min;
	q.sundays = d->pr.quiet_sundays;
	q.holidays = d->pr.quiet_holidays;
	r = store_outbox_sent_since(d->s, d->t->id, m->customer_id,
				    d->now - 8 * 86400, &sent, &n_sent, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_sent && n_times < 64; i++)
		if (!(sent[i].case_id == m->case_id &&
		      strcmp(sent[i].step, m->step) == 0))
			times[n_times++] = sent[i].sent_at;
	when = d->now;
	for (int k = 0; k < 4; k++) {
		instant_t w = outbox_next_allowed(&q, zone,
						  holidays(d, j->cu.country),
						  when);
		if (!confirmation)
			w = outbox_policy_next(set->policy.min_days_between,
					       set->policy.max_per_7_days, zone,
					       times, n_times, w);
		if (w == when)
			break;
		when = w;
	}
	if (when > d->now) {
		j->verdict = V_DELAY;
		j->until = when;
		snprintf(j->reason, sizeof(j->reason), "quiet hours or contact"
			 " policy");
		goto out;
	}

	/* Compose. */
	memset(&terms, 0, sizeof(terms));
	terms.pay_by = DATE_NONE;
	terms.next_fee_date = DATE_NONE;
	if (st && !confirmation) {
		int64_t principal = 0;
		for (size_t i = 0; i < n_inv; i++)
			principal += inv[i].open_minor;
		if (compose_step_terms(st, step, currency_find(kase->currency),
				       principal, kase->st.anchor, today, &terms,
				       &ce) < 0) {
			terms.pay_by = DATE_NONE;
			terms.fee_new_minor = 0;
			terms.next_fee_date = DATE_NONE;
		}
	}
	r = token_new(j->token, e);
	if (r == 0)
		r = token_hash(j->token, j->hash, e);
	if (r < 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.tenant = d->t;
	in.profile = &d->pr;
	in.customer = &j->cu;
	in.case_id = kase->id;
	in.currency = kase->currency;
	in.fees_minor = case_fees_open(kase); /* charged less paid */
	in.invoices = inv;
	in.n_invoices = n_inv;
	in.template_id = *m->template_id ? m->template_id : NULL;
	in.tone = (enum tone)tone_of(m->tone);
	in.channel = j->ch;
	in.today = today;
	in.pay_by = terms.pay_by;
	in.fee_new_minor = terms.fee_new_minor;
	in.next_fee_date = terms.next_fee_date;
	in.promise_date = kase->st.hold_reason == HOLD_POSTPONED ||
				  kase->st.hold_reason == HOLD_PROMISE ?
			  kase->st.hold_until :
			  DATE_NONE;
	in.link_token = j->token;
	/* A plan's confirmation and its instalment reminders show the
	 * instalments still to pay (the next one first). */
	if (confirmation &&
	    store_plan_active(d->s, d->t->id, kase->id, &plan, NULL) == 0) {
		int64_t paid = plan.paid_minor;
		size_t k = 0;
		have_plan = 1;
		inst = calloc(plan.n_instalments ? plan.n_instalments : 1,
			      sizeof(*inst));
		for (size_t i = 0; inst && i < plan.n_instalments; i++) {
			const struct plan_instalment_rec *pi =
				&plan.instalments[i];
			if (paid >= pi->amount_minor) {
				paid -= pi->amount_minor;
				continue;
			}
			inst[k].due = pi->due_on;
			inst[k].amount_minor = pi->amount_minor - paid;
			paid = 0;
			k++;
		}
		in.plan = inst;
		in.n_plan = k;
	}
	{
		/* a Message-ID in the tenant's own mail domain */
		const char *at = strchr(d->pr.email_from, '@');
		if (!at)
			at = strchr(d->pr.email, '@');
		snprintf(j->message_id, sizeof(j->message_id), "%.200s@%.100s",
			 m->idempotency_key, at ? at + 1 : "dunwell.invalid");
	}
	in.message_id = j->message_id;
	in.now = d->now;
	compose_output_init(&j->out);
	if (compose_message(d->compose, &in, &j->out, &ce) < 0) {
		verdict(j, V_RETRY, ce.msg);
		goto out;
	}
	j->verdict = V_SEND;
out:
	if (have_plan)
		plan_rec_clear(&plan);
	free(inst);
	sent_list_free(sent, n_sent);
	invoice_list_free(inv, n_inv);
	case_list_free(cases, n_cases);
	return r;
}

/* ---- handing over ------------------------------------------------------ */

/* Send every V_SEND job of channel `ch` through its adapter in batches. */
static void hand_over(struct dctx *d, struct job *jobs, size_t n,
		      enum channel ch)
{
	struct deliver_msg msgs[DELIVER_BATCH_MAX];
	struct deliver_result res[DELIVER_BATCH_MAX];
	struct job *which[DELIVER_BATCH_MAX];
	void *h = NULL;
	size_t k = 0;
	int any = 0;
	struct err e;

	for (size_t i = 0; i < n; i++)
		any |= jobs[i].verdict == V_SEND && jobs[i].ch == ch;
	if (!any)
		return;
	h = adapter_for(d, ch);
	for (size_t i = 0; i <= n; i++) {
		if (i < n && (jobs[i].verdict != V_SEND || jobs[i].ch != ch))
			continue;
		if (i < n && !h) {
			/* nothing can carry this channel: like a hard
			 * failure, the next channel is tried */
			verdict(&jobs[i], V_FAIL, d->adapter_error[ch]);
			continue;
		}
		if (i < n) {
			struct job *j = &jobs[i];
			struct deliver_msg *dm = &msgs[k];
			memset(dm, 0, sizeof(*dm));
			dm->id = j->m->id;
			dm->idempotency_key = j->m->idempotency_key;
			dm->channel = ch;
			dm->to = j->address;
			dm->to_name = j->cu.name;
			dm->tenant = d->t->slug;
			dm->locale = j->out.locale;
			dm->subject = buf_cstr(&j->out.subject);
			dm->text = buf_cstr(&j->out.text);
			if (j->out.document.len) {
				dm->document = (const unsigned char *)
						       j->out.document.data;
				dm->document_len = j->out.document.len;
			}
			dm->now = d->now;
			which[k++] = j;
		}
		if (k == DELIVER_BATCH_MAX || (i == n && k > 0)) {
			memset(res, 0, sizeof(res));
			if (d->backends[ch]->send(h, msgs, k, res, &e) < 0) {
				for (size_t x = 0; x < k; x++)
					verdict(which[x], V_RETRY, e.msg);
			} else {
				for (size_t x = 0; x < k; x++)
					which[x]->res = res[x];
			}
			k = 0;
		}
	}
}

/* ---- recording --------------------------------------------------------- */

static int event(struct dctx *d, const struct message_rec *m, const char *kind,
		 const char *provider, const char *provider_id,
		 const char *reason, struct err *e)
{
	json_t *o = json_pack("{s:s, s:s, s:I}", "step", m->step, "channel",
			      m->channel, "message", (json_int_t)m->id);
	struct event_rec ev;
	char *text;
	int r;

	if (!o)
		return err_set(e, ERR_INVALID, "building an event failed");
	if (provider && *provider)
		json_object_set_new(o, "provider", json_string(provider));
	if (provider_id && *provider_id)
		json_object_set_new(o, "provider_id", json_string(provider_id));
	if (reason && *reason)
		json_object_set_new(o, "reason", json_string(reason));
	text = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return err_set(e, ERR_INVALID, "building an event failed");
	memset(&ev, 0, sizeof(ev));
	ev.tenant_id = d->t->id;
	ev.case_id = m->case_id;
	ev.at = d->now;
	ev.kind = kind;
	ev.detail = text;
	r = store_event_append(d->s, &ev, e);
	free(text);
	return r;
}

/* "sms,letter" → the first channel, and the rest. */
static int next_channel(const char *fallbacks, enum channel *ret,
			const char **ret_rest)
{
	char name[32];
	size_t n = strcspn(fallbacks, ",");
	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, fallbacks, n);
	name[n] = '\0';
	if (channel_parse(name, ret) < 0)
		return 0;
	*ret_rest = fallbacks[n] ? fallbacks + n + 1 : "";
	return 1;
}

/* The step's next channel after a hard failure of message m: a message of
 * its own, queued now under that channel's key (kept as it is when one
 * exists). *ret_queued is 1 when m had a channel left. */
static int queue_fallback(struct store *s, const struct message_rec *m,
			  instant_t now, int *ret_queued, struct err *e)
{
	struct message_rec f = *m;
	enum channel next;
	const char *rest;
	char key[256];

	*ret_queued = 0;
	if (!next_channel(m->fallbacks, &next, &rest))
		return 0;
	f.channel = (char *)channel_name(next);
	f.fallbacks = (char *)rest;
	f.status = "queued";
	f.not_before = now;
	snprintf(key, sizeof(key), "dw-%lld-%lld-%s-%s",
		 (long long)m->tenant_id, (long long)m->case_id, m->step,
		 f.channel);
	f.idempotency_key = key;
	*ret_queued = 1;
	return store_outbox_insert(s, &f, now, e);
}

static void set_str(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v ? v : "");
}

static int record_one(struct dctx *d, struct job *j, struct err *e)
{
	struct message_rec *m = j->m;
	const char *provider = d->backends[j->ch] ? d->backends[j->ch]->scheme
						  : "";
	const char *kind = NULL;
	int r = 0;

	if (j->verdict == V_SEND) {
		if (j->res.status == DELIVER_SENT) {
			set_str(&m->status, "sent");
			set_str(&m->provider, provider);
			set_str(&m->provider_id, j->res.provider_id);
			set_str(&m->last_error, "");
			set_str(&m->link_hash, j->hash);
			m->attempts++;
			m->sent_at = d->now;
			r = store_link_insert(d->s, d->t->id, j->hash, m->case_id,
					      m->customer_id, d->now,
					      d->now + (instant_t)d->pr.link_days *
							       86400,
					      e);
			kind = "message.sent";
			d->st.sent++;
		} else if (j->res.status == DELIVER_HARD_FAIL) {
			verdict(j, V_FAIL, j->res.error);
		} else {
			verdict(j, V_RETRY, j->res.error);
		}
	}
	if (r < 0)
		return r;
	switch (j->verdict) {
	case V_SEND:
		break;
	case V_DELAY:
		m->not_before = j->until;
		d->st.delayed++;
		break;
	case V_CANCEL:
		set_str(&m->status, "cancelled");
		set_str(&m->last_error, j->reason);
		kind = "message.cancelled";
		d->st.cancelled++;
		break;
	case V_DEAD:
		set_str(&m->status, "dead");
		set_str(&m->last_error, j->reason);
		kind = "message.dead";
		d->st.dead++;
		break;
	case V_RETRY:
		m->attempts++;
		set_str(&m->last_error, j->reason);
		if (m->attempts >= d->pr.max_attempts) {
			set_str(&m->status, "dead");
			kind = "message.dead";
			d->st.dead++;
		} else {
			int64_t wait = outbox_backoff(m->attempts,
						      m->idempotency_key);
			if (j->res.retry_after > wait)
				wait = j->res.retry_after;
			m->not_before = d->now + wait;
			kind = "message.retry";
			d->st.retried++;
		}
		break;
	case V_FAIL: {
		int queued = 0;
		m->attempts += j->res.status == DELIVER_HARD_FAIL;
		set_str(&m->status, j->res.status == DELIVER_HARD_FAIL
					    ? "bounced"
					    : "failed");
		set_str(&m->provider, provider);
		set_str(&m->last_error, j->reason);
		kind = j->res.status == DELIVER_HARD_FAIL ? "message.bounced"
							   : "message.failed";
		d->st.failed++;
		r = queue_fallback(d->s, m, d->now, &queued, e);
		d->st.fallbacks += queued;
		break;
	}
	}
	if (r == 0)
		r = store_outbox_update(d->s, m, d->owner, d->now, e);
	if (r == -ERR_CONFLICT)
		return r;
	if (r == 0 && kind)
		r = event(d, m, kind, j->verdict == V_SEND ? provider : NULL,
			  j->verdict == V_SEND ? j->res.provider_id : NULL,
			  j->verdict == V_SEND ? NULL : j->reason, e);
	return r;
}

/* ---- the loop ---------------------------------------------------------- */

static int one_batch(struct dctx *d, int *ret_claimed, struct err *e)
{
	struct message_rec *list = NULL;
	struct job *jobs = NULL;
	size_t n = 0;
	int batch = d->opt && d->opt->batch > 0 ? d->opt->batch : 100;
	int lease = d->opt && d->opt->lease_seconds > 0 ? d->opt->lease_seconds
							: 300;
	int r;

	r = store_begin(d->s, e);
	if (r == 0)
		r = store_outbox_claim(d->s, d->t->id, d->now, d->now + lease,
				       d->owner, batch, &list, &n, e);
	if (r == 0)
		r = store_commit(d->s, e);
	if (r < 0) {
		store_rollback(d->s);
		return r;
	}
	*ret_claimed = (int)n;
	d->st.claimed += (long)n;
	if (n == 0)
		return 0;

	jobs = xcalloc(n, sizeof(*jobs));
	for (size_t i = 0; i < n && r == 0; i++) {
		jobs[i].m = &list[i];
		compose_output_init(&jobs[i].out);
		if (channel_parse(list[i].channel, &jobs[i].ch) < 0) {
			verdict(&jobs[i], V_DEAD, "unknown channel");
			continue;
		}
		r = work_one(d, &jobs[i], e);
	}
	for (int ch = 0; r == 0 && ch < CHANNEL_COUNT; ch++)
		hand_over(d, jobs, n, (enum channel)ch);

	if (r == 0)
		r = store_begin(d->s, e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		r = record_one(d, &jobs[i], e);
		if (r == -ERR_CONFLICT) /* taken over: theirs now */
			r = 0;
	}
	if (r == 0)
		r = store_commit(d->s, e);
	else
		store_rollback(d->s);
	for (size_t i = 0; i < n; i++) {
		compose_output_free(&jobs[i].out);
		customer_rec_clear(&jobs[i].cu);
	}
	free(jobs);
	message_list_free(list, n);
	return r;
}

int dispatch_tenant(struct store *s, const struct tenant_rec *t, instant_t now,
		    const struct dispatch_options *opt,
		    struct dispatch_stats *ret, struct err *e)
{
	struct dctx d;
	int r, moved, claimed = 0, batches = 0;
	char host[64];

	memset(&d, 0, sizeof(d));
	d.s = s;
	d.t = t;
	d.now = now;
	d.opt = opt;
	if (opt && opt->owner)
		snprintf(d.owner, sizeof(d.owner), "%s", opt->owner);
	else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "host");
		host[sizeof(host) - 1] = '\0';
		snprintf(d.owner, sizeof(d.owner), "%s:%ld", host,
			 (long)getpid());
	}
	r = profile_load(s, t->id, t->name, &d.pr, e);
	if (r < 0)
		return r;
	d.compose = compose_new(s);
	d.zones = tz_cache_new();

	/* The run's queued contacts into the outbox, a chunk at a time. */
	do {
		moved = 0;
		r = store_begin(s, e);
		if (r == 0)
			r = store_outbox_fill(s, t->id, now, FILL_CHUNK, &moved,
					      e);
		if (r == 0)
			r = store_commit(s, e);
		else
			store_rollback(s);
		d.st.moved += moved;
	} while (r == 0 && moved == FILL_CHUNK);

	while (r == 0) {
		r = one_batch(&d, &claimed, e);
		if (r < 0 || claimed == 0)
			break;
		if (opt && opt->max_batches && ++batches >= opt->max_batches)
			break;
	}
	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		if (!d.adapters[ch])
			continue;
		if (r == 0 && d.backends[ch]->flush)
			r = d.backends[ch]->flush(d.adapters[ch], now, e);
		d.backends[ch]->close(d.adapters[ch]);
		/* the same adapter may serve several channels (file) */
		for (int k = ch + 1; k < CHANNEL_COUNT; k++)
			if (d.adapters[k] == d.adapters[ch])
				d.adapters[k] = NULL;
	}
	for (size_t i = 0; i < d.n_versions; i++)
		strategy_set_free(d.versions[i].set);
	for (size_t i = 0; i < d.n_cals; i++)
		cal_free(d.cals[i]);
	tz_cache_free(d.zones);
	compose_free(d.compose);
	profile_clear(&d.pr);
	if (r == 0)
		*ret = d.st;
	return r;
}

/* ---- delivery reports -------------------------------------------------- */

int dispatch_report(struct store *s, const struct tenant_rec *t,
		    const char *provider, const char *provider_id,
		    enum delivery_event ev, const char *code, instant_t now,
		    struct err *e)
{
	struct message_rec m;
	struct dctx d;
	const char *status = NULL;
	char kind[40];
	int r;

	memset(&m, 0, sizeof(m));
	memset(&d, 0, sizeof(d));
	d.s = s;
	d.t = t;
	d.now = now;
	r = store_begin(s, e);
	if (r == 0)
		r = store_outbox_find_provider(s, t->id, provider, provider_id,
					       &m, e);
	if (r == -ERR_NOTFOUND)
		err_set(e, ERR_NOTFOUND, "no message with %s id '%.128s'",
			provider, provider_id);
	if (r < 0)
		goto fail;
	switch (ev) {
	case DELIVERY_DELIVERED:
		/* a late "delivered" never undoes a failure */
		if (strcmp(m.status, "sent") == 0)
			status = "delivered";
		break;
	case DELIVERY_FAILED:
		if (strcmp(m.status, "sent") == 0 ||
		    strcmp(m.status, "delivered") == 0)
			status = "failed";
		break;
	case DELIVERY_BOUNCED:
		if (strcmp(m.status, "sent") == 0 ||
		    strcmp(m.status, "delivered") == 0)
			status = "bounced";
		break;
	case DELIVERY_SENT:
	case DELIVERY_OPENED:
	case DELIVERY_CLICKED:
		break;
	}
	if (status)
		r = store_outbox_set_status(s, t->id, m.id, status,
					    code ? code : "", now, e);
	/* A message that bounced after it was handed over goes on to the
	 * step's next channel, as a hard failure at hand-over does. */
	if (r == 0 && status && strcmp(status, "bounced") == 0) {
		int queued;
		r = queue_fallback(s, &m, now, &queued, e);
	}
	snprintf(kind, sizeof(kind), "message.%s", delivery_event_name(ev));
	if (r == 0 && ev != DELIVERY_SENT)
		r = event(&d, &m, kind, provider, provider_id, code, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0)
		goto fail;
	message_rec_clear(&m);
	return 0;
fail:
	store_rollback(s);
	message_rec_clear(&m);
	return r;
}

/* ---- inside serve ------------------------------------------------------ */

/* Wakes the loop before its next scheduled pass (dispatch_wake): a
 * payment's events (invoice.paid, service.restore) and thank-you go out
 * at once instead of up to --dispatch-every seconds later. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static int wake_pending;

void dispatch_wake(void)
{
	pthread_mutex_lock(&wake_lock);
	wake_pending = 1;
	pthread_cond_broadcast(&wake_cond);
	pthread_mutex_unlock(&wake_lock);
}

/* Wait up to `seconds`, or until woken or asked to stop. */
static void loop_wait(struct dispatch_loop *l, int seconds)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += seconds;
	pthread_mutex_lock(&wake_lock);
	while (!wake_pending && !__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE))
		if (pthread_cond_timedwait(&wake_cond, &wake_lock, &until) != 0)
			break; /* timed out: the scheduled pass */
	wake_pending = 0;
	pthread_mutex_unlock(&wake_lock);
}

static void *loop_main(void *arg)
{
	struct dispatch_loop *l = arg;
	struct store *s = NULL;
	struct err e;

	while (!__atomic_load_n(&l->stop, __ATOMIC_ACQUIRE)) {
		struct tenant_rec *list = NULL;
		size_t n = 0;
		if (!s && store_open_raw(l->target, &s, &e) < 0) {
			fprintf(l->log, "{\"dispatch\":\"error\",\"message\":"
				"\"opening the store failed\"}\n");
			s = NULL;
		}
		if (s && store_tenant_list(s, &list, &n, &e) == 0) {
			for (size_t i = 0; i < n; i++) {
				struct dispatch_stats st;
				if (dispatch_tenant(s, &list[i],
						    l->clock(l->clock_arg), NULL,
						    &st, &e) < 0) {
					fprintf(l->log, "{\"dispatch\":\"error\","
						"\"tenant\":\"%s\"}\n",
						list[i].slug);
					continue;
				}
				if (st.claimed || st.moved)
					fprintf(l->log,
						"{\"dispatch\":\"pass\",\"tenant\":"
						"\"%s\",\"queued\":%ld,\"sent\":%ld,"
						"\"waiting\":%ld,\"retry\":%ld,"
						"\"failed\":%ld,\"cancelled\":%ld,"
						"\"dead\":%ld}\n",
						list[i].slug, st.moved, st.sent,
						st.delayed, st.retried, st.failed,
						st.cancelled, st.dead);
				/* ---- webhooks to the tenant (issue #5):
				 * new case events → signed POSTs, due
				 * retries included ---- */
				{
					struct webhook_stats ws;
					if (webhook_tenant(s, &list[i],
							   l->clock(l->clock_arg),
							   NULL, &ws, &e) < 0)
						fprintf(l->log, "{\"webhook\":"
							"\"error\",\"tenant\":"
							"\"%s\"}\n",
							list[i].slug);
					else if (ws.claimed || ws.queued)
						fprintf(l->log, "{\"webhook\":"
							"\"pass\",\"tenant\":"
							"\"%s\",\"queued\":%ld,"
							"\"delivered\":%ld,"
							"\"retry\":%ld,"
							"\"failed\":%ld,"
							"\"dead\":%ld}\n",
							list[i].slug, ws.queued,
							ws.delivered, ws.retried,
							ws.failed, ws.dead);
				}
			}
			tenant_list_free(list, n);
			fflush(l->log);
		}
		loop_wait(l, l->every);
	}
	store_close(s);
	return NULL;
}

int dispatch_loop_start(struct dispatch_loop *l, struct err *e)
{
	pthread_t t;
	_Static_assert(sizeof(pthread_t) <= sizeof(l->thread),
		       "pthread_t fits");
	if (l->every < 1)
		return err_set(e, ERR_RANGE, "--dispatch-every: at least 1"
			       " second");
	l->stop = 0;
	if (pthread_create(&t, NULL, loop_main, l) != 0)
		return err_set(e, ERR_IO, "starting the dispatch thread failed");
	memcpy(&l->thread, &t, sizeof(t));
	l->started = 1;
	return 0;
}

void dispatch_loop_stop(struct dispatch_loop *l)
{
	pthread_t t;
	if (!l->started)
		return;
	__atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
	dispatch_wake(); /* out of its wait at once */
	memcpy(&t, &l->thread, sizeof(t));
	pthread_join(t, NULL);
	l->started = 0;
}
