/*
 * Experiments wired into the strategy rules (issue #9): the `experiment:`
 * syntax of a rule and its errors with line numbers, the stable
 * assignment strategy_choose_variant makes (the same as experiment_assign
 * and a reference SHA-256 computation), the split on 10,000 customers,
 * and the engine's decision carrying the experiment and variant of a case
 * it opens. (The preview's table itself is checked against `dunwell
 * simulate` in tests/integration/strategies.sh.)
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "engine.h"
#include "experiment.h"
#include "strategy.h"

static const char head[] =
	"strategies:\n"
	"  - name: friendly\n"
	"    steps:\n"
	"      - {id: r, offset: 3, channels: [email], template: reminder}\n"
	"  - name: firm\n"
	"    steps:\n"
	"      - {id: n, offset: 3, channels: [email], template: notice, tone: formal}\n"
	"  - name: third\n"
	"    steps:\n"
	"      - {id: t, offset: 5, channels: [sms], template: reminder}\n"
	"rules:\n";

/* The head, then `rules`, parsed; NULL and the message on failure. */
static struct strategy_set *parse(const char *rules, struct err *e)
{
	char text[4096];
	struct strategy_set *s = NULL;
	snprintf(text, sizeof(text), "%s%s", head, rules);
	err_clear(e);
	if (strategy_set_parse("x.yaml", text, strlen(text), &s, e) < 0)
		return NULL;
	return s;
}

static const char split[] =
	"  - when: {segments: [consumer]}\n"
	"    experiment:\n"
	"      id: tone-2026-11\n"
	"      variants:\n"
	"        - {use: friendly, weight: 50}\n"
	"        - {use: firm, weight: 50}\n"
	"  - default: third\n";

TEST(test_parse_experiment)
{
	struct err e;
	struct strategy_set *s = parse(split, &e);
	const struct rule_experiment *x;

	CHECK(s != NULL);
	if (!s) {
		printf("  %s\n", e.msg);
		return;
	}
	CHECK_INT((int)s->n_rules, 1);
	x = s->rules[0].experiment;
	CHECK(x != NULL);
	CHECK_STR(x->id, "tone-2026-11");
	CHECK_INT((int)x->n_variants, 2);
	CHECK_STR(s->strategies[x->variants[0].strategy].name, "friendly");
	CHECK_STR(s->strategies[x->variants[1].strategy].name, "firm");
	CHECK_INT((int)x->weights[0], 50);
	CHECK_INT((int)x->variants[1].line, 17);
	/* the champion stands for the rule where nobody can be assigned */
	CHECK_INT((int)s->rules[0].strategy, (int)x->variants[0].strategy);
	strategy_set_free(s);
}

TEST(test_experiment_errors)
{
	static const struct {
		const char *rules;
		const char *want; /* in the message, with the line */
	} cases[] = {
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 50}, {use: nope, weight: 50}]}\n"
		  "  - default: third\n",
		  "x.yaml:13:" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 50}, {use: nope, weight: 50}]}\n"
		  "  - default: third\n",
		  "unknown strategy 'nope'" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 0}, {use: firm, weight: 0}]}\n"
		  "  - default: third\n",
		  "every weight is 0" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: -1}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "out of range" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}]}\n"
		  "  - default: third\n",
		  "1 variants; expected" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: friendly, weight: 5}]}\n"
		  "  - default: third\n",
		  "is variant 1 already" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - when: {segments: [b]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "x.yaml:15:" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - when: {segments: [b]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "is used by an earlier rule (line 12)" },
		{ "  - when: {segments: [a]}\n"
		  "    use: firm\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "both 'use' and 'experiment'" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "missing key 'id'" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: t1, variants: [{use: friendly}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "missing key 'weight'" },
		{ "  - when: {segments: [a]}\n"
		  "    experiment: {id: T 1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n"
		  "  - default: third\n",
		  "invalid experiment id" },
		{ "  - default: third\n"
		  "    experiment: {id: t1, variants: [{use: friendly, weight: 5}, {use: firm, weight: 5}]}\n",
		  "'default' together with" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;
		struct strategy_set *s = parse(cases[i].rules, &e);
		CHECK(s == NULL);
		strategy_set_free(s);
		if (!strstr(e.msg, cases[i].want)) {
			printf("  case %zu: want '%s' in '%s'\n", i,
			       cases[i].want, e.msg);
			check_failed_here++;
		}
	}
}

/* The reference of experiment.h, by hand: SHA-256 via experiment_assign
 * is checked in test_experiment; here the wiring: the rule's choice is
 * the variant experiment_assign gives, and stays the same. */
TEST(test_choose_variant)
{
	struct err e;
	struct strategy_set *s = parse(split, &e);
	const char *tags[] = { "consumer" };
	struct rule_facts f = {
		.segments = tags, .n_segments = 1, .country = "NL",
		.currency = "EUR", .open_micros = 1000000, .tenure_days = -1,
		.tenant_id = 42,
	};
	unsigned w[2] = { 50, 50 };
	long n0 = 0;
	int mismatch = 0;

	CHECK(s != NULL);
	if (!s)
		return;
	for (int i = 0; i < 10000; i++) {
		char id[32];
		struct rule_choice c, again;
		int v;
		snprintf(id, sizeof(id), "K%d", i);
		f.customer = id;
		strategy_choose_variant(s, &f, &c);
		strategy_choose_variant(s, &f, &again);
		v = experiment_assign("tone-2026-11", 42, id, w, 2);
		mismatch += c.variant != v || again.variant != c.variant ||
			    c.strategy != s->rules[0].experiment->variants[v].strategy ||
			    !c.experiment || strcmp(c.experiment, "tone-2026-11") != 0 ||
			    strategy_choose(s, &f) != c.strategy;
		n0 += c.variant == 0;
	}
	CHECK_INT(mismatch, 0);
	/* 10,000 at 50/50: sd 50; within 4 sd */
	CHECK(n0 > 4800 && n0 < 5200);
	{
		/* no rule matches: the default, no experiment */
		struct rule_choice c;
		f.n_segments = 0;
		strategy_choose_variant(s, &f, &c);
		CHECK_STR(s->strategies[c.strategy].name, "third");
		CHECK(c.experiment == NULL);
		CHECK_INT(c.variant, -1);
		/* nobody to assign: the champion, no experiment */
		f.n_segments = 1;
		f.customer = NULL;
		strategy_choose_variant(s, &f, &c);
		CHECK_STR(s->strategies[c.strategy].name, "friendly");
		CHECK(c.experiment == NULL);
	}
	strategy_set_free(s);
}

/* A 90/10 split is close to 90/10; a 0-weight variant gets nobody. */
TEST(test_uneven_split)
{
	struct err e;
	struct strategy_set *s = parse(
		"  - when: {countries: [NL]}\n"
		"    experiment:\n"
		"      id: uneven\n"
		"      variants: [{use: friendly, weight: 90}, {use: firm, weight: 10}, {use: third, weight: 0}]\n"
		"  - default: third\n", &e);
	struct rule_facts f = { .country = "NL", .currency = "EUR",
				.tenure_days = -1, .tenant_id = 7 };
	long n[3] = { 0, 0, 0 };
	CHECK(s != NULL);
	if (!s)
		return;
	for (int i = 0; i < 10000; i++) {
		char id[32];
		struct rule_choice c;
		snprintf(id, sizeof(id), "cust-%d", i);
		f.customer = id;
		strategy_choose_variant(s, &f, &c);
		if (c.variant >= 0 && c.variant < 3)
			n[c.variant]++;
	}
	/* 10% of 10,000: sd 30 */
	CHECK(n[1] > 880 && n[1] < 1120);
	CHECK_INT((int)n[2], 0);
	CHECK_INT((int)(n[0] + n[1]), 10000);
	strategy_set_free(s);
}

/* The engine opens the case with the variant's strategy and says which
 * experiment and variant, for the run to record. */
TEST(test_engine_records_variant)
{
	struct err e;
	struct strategy_set *s = parse(split, &e);
	const char *tags[] = { "consumer" };
	struct engine_invoice inv = { .id = 1, .due = date_from_ymd(2026, 11, 1),
				      .open_minor = 5000 };
	struct engine_customer cu = {
		.moratorium_until = DATE_NONE, .channels = { CHANNEL_EMAIL },
		.n_channels = 1, .segments = tags, .n_segments = 1,
		.country = "NL", .tenure_days = 100, .tenant_id = 42,
	};
	struct engine_input in = {
		.customer = &cu, .currency = currency_find("EUR"),
		.invoices = &inv, .n_invoices = 1,
		.today = date_from_ymd(2026, 11, 5),
	};
	unsigned w[2] = { 50, 50 };
	int seen[2] = { 0, 0 };

	CHECK(s != NULL);
	if (!s)
		return;
	for (int i = 0; i < 40; i++) {
		char id[16];
		struct engine_decision d;
		int v;
		snprintf(id, sizeof(id), "C%d", i);
		cu.external_id = id;
		in.state.status = CASE_NONE;
		engine_decide(&in, s, &d);
		v = experiment_assign("tone-2026-11", 42, id, w, 2);
		CHECK(d.opened);
		CHECK(d.experiment && strcmp(d.experiment, "tone-2026-11") == 0);
		CHECK_INT(d.variant, v);
		CHECK_INT((int)d.state.strategy,
			  (int)s->rules[0].experiment->variants[v].strategy);
		seen[v] = 1;
	}
	CHECK(seen[0] && seen[1]);
	strategy_set_free(s);
}

int main(void)
{
	RUN(test_parse_experiment);
	RUN(test_experiment_errors);
	RUN(test_choose_variant);
	RUN(test_uneven_split);
	RUN(test_engine_records_variant);
	return CHECK_DONE();
}
