/*
 * preview: the exact message for a customer's step, written to files.
 *
 * Reads only. The personal link in a preview carries a freshly drawn
 * token that is not stored, so the link in a preview does not open the
 * customer's page: a real link exists only once the dispatcher stores its
 * hash with the message it sends.
 */
#include "preview.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "compose.h"
#include "mem.h"
#include "money.h"
#include "profile.h"
#include "strategy.h"
#include "token.h"
#include "tz.h"

/* The step named by `spec` (an id, or a number from 1), else the case's
 * next step that sends a message (or the last one that did, when none
 * is left). */
static int find_step(const struct strategy *st, const char *spec,
		     int next_step, size_t *ret, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	if (!spec) {
		size_t last = st->n_steps;
		for (size_t i = 0; i < st->n_steps; i++) {
			if (st->steps[i].n_channels == 0)
				continue;
			last = i;
			if ((int)i >= next_step)
				break;
		}
		if (last == st->n_steps)
			return err_set(e, ERR_NOTFOUND, "strategy '%s' sends"
				       " no messages", st->name);
		*ret = last;
		return 0;
	}
	for (size_t i = 0; i < st->n_steps; i++)
		if (strcmp(st->steps[i].id, spec) == 0) {
			*ret = i;
			return 0;
		}
	if (strspn(spec, "0123456789") == strlen(spec) && strlen(spec) <= 3) {
		long n = strtol(spec, NULL, 10);
		if (n >= 1 && (size_t)n <= st->n_steps) {
			*ret = (size_t)n - 1;
			return 0;
		}
	}
	return err_set(e, ERR_NOTFOUND,
		       "--step: strategy '%s' has no step '%s' (an id, or a"
		       " number from 1 to %zu)", st->name, err_quote(spec, q),
		       st->n_steps);
}

static int write_file(const char *path, const void *data, size_t len,
		      struct err *e)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return err_set(e, ERR_IO, "cannot write '%s': %s", path,
			       strerror(errno));
	if (fwrite(data, 1, len, f) != len || fclose(f) != 0) {
		if (f)
			fclose(f);
		return err_set(e, ERR_IO, "writing '%s' failed", path);
	}
	return 0;
}

/* The open case of the customer, else the one opened last. */
static const struct case_rec *pick_case(const struct case_rec *cases,
					size_t n)
{
	const struct case_rec *best = NULL;
	for (size_t i = 0; i < n; i++) {
		if (cases[i].st.status == CASE_OPEN)
			return &cases[i];
		if (!best || cases[i].id > best->id)
			best = &cases[i];
	}
	return best;
}

static const char *extension(enum channel ch)
{
	switch (ch) {
	case CHANNEL_EMAIL:
		return "eml";
	case CHANNEL_LETTER:
		return "pdf";
	case CHANNEL_VOICE:
		return "wav";
	default:
		return "txt";
	}
}

int preview_compose(struct store *s, const struct tenant_rec *t,
		    const struct preview_options *opt, instant_t now,
		    struct compose_output *ret, struct preview_info *info,
		    struct err *e)
{
	struct customer_rec cu;
	struct case_rec *cases = NULL;
	struct invoice_rec *inv = NULL;
	struct strategy_version_rec sv;
	struct strategy_set *set = NULL;
	struct profile pr;
	struct compose *c = NULL;
	struct compose_input in;
	struct compose_terms terms;
	struct tz *zone = NULL;
	const struct case_rec *kase;
	const struct strategy *st;
	const struct currency *cur;
	size_t n_cases = 0, n_inv = 0, step = 0;
	char token[TOKEN_BUF], msgid[128];
	enum channel ch;
	int64_t principal = 0;
	long k;
	int r;

	memset(&cu, 0, sizeof(cu));
	memset(&sv, 0, sizeof(sv));
	memset(&pr, 0, sizeof(pr));
	memset(info, 0, sizeof(*info));
	r = store_customer_get(s, t->id, opt->customer, &cu, e);
	if (r < 0)
		goto out;
	r = store_case_list(s, t->id, cu.id, &cases, &n_cases, e);
	if (r < 0)
		goto out;
	kase = opt->case_id ? NULL : pick_case(cases, n_cases);
	for (size_t i = 0; opt->case_id && i < n_cases; i++)
		if (cases[i].id == opt->case_id)
			kase = &cases[i];
	if (!kase) {
		r = err_set(e, ERR_NOTFOUND,
			    "customer '%s' has no case yet: nothing is owed,"
			    " or 'dunwell run' has not run since",
			    opt->customer);
		goto out;
	}
	r = store_strategy_get(s, t->id, (int)kase->strategy_version, &sv, e);
	if (r == 0)
		r = strategy_set_parse(sv.source, sv.yaml, strlen(sv.yaml), &set,
				       e);
	if (r < 0)
		goto out;
	k = strategy_find(set, kase->strategy);
	if (k < 0) {
		r = err_set(e, ERR_NOTFOUND, "the case's strategy '%s' is not"
			    " in version %lld", kase->strategy,
			    (long long)kase->strategy_version);
		goto out;
	}
	st = &set->strategies[k];
	r = find_step(st, opt->step, kase->st.next_step, &step, e);
	if (r < 0)
		goto out;
	if (st->steps[step].n_channels == 0) {
		r = err_set(e, ERR_INVALID, "step '%s' sends no message (it"
			    " only ends the strategy)", st->steps[step].id);
		goto out;
	}
	ch = st->steps[step].channels[0];
	if (opt->channel && channel_parse(opt->channel, &ch) < 0) {
		r = err_set(e, ERR_INVALID, "--channel: unknown channel '%s';"
			    " expected one of %s", opt->channel,
			    channel_list());
		goto out;
	}
	cur = currency_find(kase->currency);
	r = store_invoices_open(s, t->id, cu.id, kase->currency, &inv, &n_inv,
				e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_inv; i++)
		principal += inv[i].open_minor;
	r = tz_load(*cu.timezone ? cu.timezone : t->timezone, &zone, e);
	if (r == 0)
		r = profile_load(s, t->id, t->name, &pr, e);
	if (r < 0)
		goto out;
	memset(&in, 0, sizeof(in));
	in.today = tz_local_date(zone, now);
	r = compose_step_terms(st, step, cur, principal, kase->st.anchor,
			       in.today, &terms, e);
	if (r == 0)
		r = token_new(token, e);
	if (r < 0)
		goto out;
	snprintf(msgid, sizeof(msgid), "preview-%lld-%s@dunwell",
		 (long long)kase->id, st->steps[step].id);

	in.tenant = t;
	in.profile = &pr;
	in.customer = &cu;
	in.case_id = kase->id;
	in.currency = kase->currency;
	in.fees_minor = kase->st.fees_minor;
	in.invoices = inv;
	in.n_invoices = n_inv;
	in.template_id = st->steps[step].template_id;
	in.tone = st->steps[step].tone;
	in.channel = ch;
	in.pay_by = terms.pay_by;
	in.fee_new_minor = terms.fee_new_minor;
	in.next_fee_date = terms.next_fee_date;
	in.link_token = token;
	in.locale = opt->locale;
	in.message_id = msgid;
	in.now = now;

	c = compose_new(s);
	r = compose_message(c, &in, ret, e);
	if (r < 0)
		goto out;
	info->case_id = kase->id;
	info->channel = ch;
	info->step_index = step;
	info->n_steps = st->n_steps;
	snprintf(info->strategy, sizeof(info->strategy), "%s", st->name);
	snprintf(info->step, sizeof(info->step), "%s", st->steps[step].id);
out:
	sodium_memzero(token, sizeof(token));
	compose_free(c);
	tz_free(zone);
	profile_clear(&pr);
	strategy_set_free(set);
	strategy_version_rec_clear(&sv);
	invoice_list_free(inv, n_inv);
	case_list_free(cases, n_cases);
	customer_rec_clear(&cu);
	return r;
}

int preview_run(struct store *s, const struct tenant_rec *t,
		const struct preview_options *opt, instant_t now, FILE *out,
		struct err *e)
{
	struct compose_output o;
	struct preview_info info;
	char path[4096];
	enum channel ch;
	int r;

	compose_output_init(&o);
	r = preview_compose(s, t, opt, now, &o, &info, e);
	if (r < 0)
		goto out;
	ch = info.channel;
	snprintf(path, sizeof(path), "%s/%s-%s-%s.%s",
		 opt->out_dir ? opt->out_dir : ".", opt->customer, info.step,
		 channel_name(ch), extension(ch));
	if (o.document.len)
		r = write_file(path, o.document.data, o.document.len, e);
	else
		r = write_file(path, o.text.data, o.text.len, e);
	if (r < 0)
		goto out;

	fprintf(out, "customer %s, case %lld, strategy %s, step %s (%zu of"
		" %zu), %s\n", opt->customer, (long long)info.case_id,
		info.strategy, info.step, info.step_index + 1, info.n_steps,
		channel_name(ch));
	fprintf(out, "template %s (%s%s)\n", o.source, o.locale,
		o.plain ? ", plain language" : "");
	if (o.subject.len)
		fprintf(out, "subject: %s\n", buf_cstr(&o.subject));
	if (ch == CHANNEL_SMS)
		fprintf(out, "sms: %s, %d segment%s, %zu characters\n%s\n",
			o.sms.encoding == SMS_GSM7 ? "GSM-7" : "UCS-2",
			o.sms.segments, o.sms.segments == 1 ? "" : "s",
			o.sms.chars, buf_cstr(&o.text));
	else if (ch == CHANNEL_WHATSAPP || ch == CHANNEL_PUSH ||
		 ch == CHANNEL_VOICE)
		fprintf(out, "%s\n", buf_cstr(&o.text));
	fprintf(out, "written to %s (%zu bytes); nothing was sent, and the"
		" link in it is a preview link that opens nothing\n", path,
		o.document.len ? o.document.len : o.text.len);
out:
	compose_output_free(&o);
	return r;
}
