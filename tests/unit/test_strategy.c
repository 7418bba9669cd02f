/*
 * test_strategy: loading, validating and querying strategy sets.
 *
 * The error cases are files: every .yaml file in tests/data/strategies is
 * broken in one way and says on its first line which message it must produce
 * ("# expect: LINE:COL: text"), so adding a case needs no C. Run from the
 * repository root, or with DUNWELL_ROOT set (tests/run does both).
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "mem.h"
#include "strategy.h"

#define PATH_LEN 1024
#define EXPECT_TAG "# expect: "

static const char *root(void)
{
	const char *r = getenv("DUNWELL_ROOT");
	return r && *r ? r : ".";
}

static void path_of(char out[PATH_LEN], const char *rel)
{
	snprintf(out, PATH_LEN, "%s/%s", root(), rel);
}

static struct strategy_set *parse_ok(const char *yaml)
{
	struct strategy_set *s = NULL;
	struct err e = { "" };
	int rc = strategy_set_parse("inline.yaml", yaml, strlen(yaml), &s, &e);
	if (rc < 0)
		printf("  unexpected error: %s\n", e.msg);
	CHECK_INT(rc, 0);
	return s;
}

/* Parse text that must fail; returns the message in e. */
static int parse_bad(const char *yaml, size_t len, struct err *e)
{
	struct strategy_set *s = (struct strategy_set *)&s; /* sentinel */
	int rc = strategy_set_parse("inline.yaml", yaml, len, &s, e);
	CHECK(rc < 0);
	CHECK(s == (struct strategy_set *)&s); /* untouched on failure */
	return rc;
}

static const struct strategy *find(const struct strategy_set *s,
				   const char *name)
{
	long i = strategy_find(s, name);
	CHECK(i >= 0);
	return i >= 0 ? &s->strategies[i] : NULL;
}

static void test_example_file(void)
{
	char path[PATH_LEN];
	struct strategy_set *s = NULL;
	struct err e = { "" };
	const struct strategy *st;
	const struct step *sp;

	path_of(path, "examples/strategies/default.yaml");
	CHECK_INT(strategy_set_load(path, &s, &e), 0);
	if (!s) {
		printf("  %s\n", e.msg);
		return;
	}
	CHECK_STR(s->source, path);
	CHECK_INT(s->policy.min_days_between, 3);
	CHECK_INT(s->policy.max_per_7_days, 2);
	CHECK_INT(s->n_strategies, 5);
	CHECK_INT(s->n_rules, 4);
	CHECK_STR(s->strategies[s->default_strategy].name, "standard");

	st = find(s, "standard");
	CHECK_INT(st->agent_on_open, 0);
	CHECK_INT(st->n_steps, 6);
	CHECK_INT(strategy_lead_days(st), 3);
	sp = &st->steps[0];
	CHECK_STR(sp->id, "pre_due_nudge");
	CHECK_INT(sp->offset_days, -3);
	CHECK_INT(sp->n_channels, 2);
	CHECK_INT(sp->channels[0], CHANNEL_EMAIL);
	CHECK_INT(sp->channels[1], CHANNEL_SMS);
	CHECK_INT(sp->send, SEND_FIRST);
	CHECK_STR(sp->template_id, "pre_due");
	CHECK_INT(sp->tone, TONE_FRIENDLY);
	CHECK_INT(sp->fee.kind, FEE_NONE);
	CHECK_INT(sp->end, END_NONE);
	CHECK_INT(sp->line, 23);
	sp = &st->steps[3];
	CHECK_STR(sp->id, "final_notice");
	CHECK_INT(sp->offset_days, 21);
	CHECK_INT(sp->send, SEND_ALL);
	CHECK_INT(sp->tone, TONE_FINAL);
	CHECK_INT(sp->min_open_micros, 5000000);
	CHECK_INT(sp->fee.kind, FEE_FIXED);
	CHECK_INT(sp->fee.amount_micros, 5000000);
	sp = &st->steps[5];
	CHECK_STR(sp->id, "to_agent");
	CHECK_INT(sp->n_channels, 0);
	CHECK(sp->template_id == NULL);
	CHECK_INT(sp->end, END_HAND_TO_AGENT);

	st = find(s, "nl_consumer");
	CHECK_STR(st->steps[3].id, "nl_14_day_letter");
	CHECK_INT(st->steps[3].channels[0], CHANNEL_LETTER);
	CHECK_INT(st->steps[3].fee.kind, FEE_NONE);
	CHECK_STR(st->steps[4].id, "wik_costs");
	CHECK_INT(st->steps[4].fee.kind, FEE_WIK);
	CHECK_INT(st->steps[4].fee.vat_ppm, 0);
	/* WIK costs at least 14 days after the letter, plus delivery. */
	CHECK(st->steps[4].offset_days - st->steps[3].offset_days > 14);

	st = find(s, "business");
	sp = &st->steps[3];
	CHECK_INT(sp->fee.kind, FEE_INTEREST);
	CHECK_INT(sp->fee.compound_yearly, 1);
	CHECK_INT(sp->fee.n_rates, 4);
	CHECK_INT(sp->fee.rates[0].from, 19723); /* 2024-01-01 */
	CHECK_INT(sp->fee.rates[0].rate_ppm, 125000);
	CHECK_INT(sp->fee.rates[1].rate_ppm, 122500);
	CHECK_INT(sp->fee.rates[2].rate_ppm, 111500);
	CHECK_INT(sp->fee.rates[3].from, 20270); /* 2025-07-01 */
	CHECK_INT(sp->fee.rates[3].rate_ppm, 101500);

	st = find(s, "gentle");
	CHECK_INT(st->agent_on_open, 1);
	CHECK_INT(strategy_lead_days(st), 5);
	for (size_t i = 0; i < st->n_steps; i++) {
		CHECK_INT(st->steps[i].tone, TONE_FRIENDLY);
		CHECK_INT(st->steps[i].fee.kind, FEE_NONE);
		CHECK(st->steps[i].end != END_RESTRICT_SERVICE);
	}

	st = find(s, "small_balance");
	CHECK_INT(strategy_lead_days(st), 0);
	CHECK_INT(st->steps[st->n_steps - 1].end, END_WRITE_OFF);
	CHECK_INT(strategy_find(s, "nope"), -1);

	CHECK_INT(s->rules[0].vulnerable, 1);
	CHECK_INT(s->rules[0].line, 199);
	CHECK_STR(s->rules[1].segments[0], "business");
	CHECK_INT(s->rules[2].amount_max_micros, 5000000);
	CHECK_INT(s->rules[2].amount_min_micros, -1);
	CHECK_STR(s->rules[3].countries[0], "NL");
	CHECK_STR(s->rules[3].currencies[0], "EUR");
	strategy_set_free(s);
}

/* Every kind of fee and every optional step key, written inline. */
static void test_fee_kinds(void)
{
	static const char yaml[] =
		"strategies:\n"
		"  - name: s\n"
		"    steps:\n"
		"      - id: pct\n"
		"        offset: -10\n"
		"        channels: [whatsapp, push, voice]\n"
		"        template: t1\n"
		"        tone: formal\n"
		"        fee: {type: percent, rate: \"2.5\", min: \"5.00\", max: 50}\n"
		"      - id: pct2\n"
		"        offset: -10\n"
		"        channels: [email]\n"
		"        template: t2\n"
		"        fee: {type: percent, rate: \"0.0001\"}\n"
		"      - id: wik\n"
		"        offset: 0\n"
		"        channels: [letter]\n"
		"        template: t3\n"
		"        min_open: 0.125\n"
		"        fee: {type: wik, vat: \"21\"}\n"
		"      - id: interest\n"
		"        offset: 42\n"
		"        channels: [email]\n"
		"        template: t4\n"
		"        fee: {type: interest, rates: [{from: 2024-01-01, rate: \"7\"}, {from: 2025-01-01, rate: \"6\"}]}\n"
		"      - id: stop\n"
		"        offset: 3650\n"
		"        end: write_off\n"
		"rules:\n"
		"  - default: s\n";
	struct strategy_set *s = parse_ok(yaml);
	const struct step *sp;

	if (!s)
		return;
	CHECK_INT(s->policy.min_days_between, 0);
	CHECK_INT(s->policy.max_per_7_days, 0);
	CHECK_INT(s->n_rules, 0);
	CHECK_INT(s->default_strategy, 0);
	CHECK_INT(strategy_lead_days(&s->strategies[0]), 10);
	sp = s->strategies[0].steps;
	CHECK_INT(sp[0].n_channels, 3);
	CHECK_INT(sp[0].channels[2], CHANNEL_VOICE);
	CHECK_INT(sp[0].tone, TONE_FORMAL);
	CHECK_INT(sp[0].fee.kind, FEE_PERCENT);
	CHECK_INT(sp[0].fee.rate_ppm, 25000);
	CHECK_INT(sp[0].fee.min_micros, 5000000);
	CHECK_INT(sp[0].fee.max_micros, 50000000);
	CHECK_INT(sp[1].fee.rate_ppm, 1);
	CHECK_INT(sp[1].fee.max_micros, 0);
	CHECK_INT(sp[2].fee.kind, FEE_WIK);
	CHECK_INT(sp[2].fee.vat_ppm, 210000);
	CHECK_INT(sp[2].min_open_micros, 125000);
	CHECK_INT(sp[3].fee.kind, FEE_INTEREST);
	CHECK_INT(sp[3].fee.compound_yearly, 0);
	CHECK_INT(sp[3].fee.n_rates, 2);
	CHECK_INT(sp[3].fee.rates[1].rate_ppm, 60000);
	CHECK_INT(sp[3].fee.rates[1].from, 20089); /* 2025-01-01 */
	CHECK_INT(sp[4].end, END_WRITE_OFF);
	CHECK_INT(sp[4].offset_days, 3650);
	CHECK_INT(sp[4].line, 26);
	strategy_set_free(s);
}

/* Read "# expect: L:C: text" from the first line of a file. */
static int read_expect(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t n;

	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	if (strncmp(line, EXPECT_TAG, strlen(EXPECT_TAG)) != 0)
		return -1;
	n = strcspn(line, "\n");
	line[n] = '\0';
	snprintf(out, cap, "%s", line + strlen(EXPECT_TAG));
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One file of tests/data/strategies: must fail with the message its first
 * line names, at that line:column. */
static void check_broken_file(const char *dir, const char *name)
{
	char path[2 * PATH_LEN], expect[1024], prefix[4 * PATH_LEN];
	struct strategy_set *s = (struct strategy_set *)&s;
	struct err e = { "" };
	const char *text;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (read_expect(path, expect, sizeof(expect)) < 0) {
		printf("  %s: no '%s' first line\n", name, EXPECT_TAG);
		check_failed_here++;
		return;
	}
	/* expect = "L:C: text": the message is "path:L:C: ...text..." */
	text = strstr(expect, ": ");
	if (!text) {
		printf("  %s: expect line lacks 'L:C: '\n", name);
		check_failed_here++;
		return;
	}
	snprintf(prefix, sizeof(prefix), "%s:%.*s: ", path,
		 (int)(text - expect), expect);
	text += 2;
	rc = strategy_set_load(path, &s, &e);
	if (rc >= 0) {
		printf("  %s: loaded without error\n", name);
		check_failed_here++;
		strategy_set_free(s);
		return;
	}
	CHECK(s == (struct strategy_set *)&s);
	if (strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
	    !strstr(e.msg, text)) {
		printf("  %s:\n    got  %s\n    want %s...%s\n", name, e.msg,
		       prefix, text);
		check_failed_here++;
	}
}

static void test_broken_files(void)
{
	char dir[PATH_LEN];
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	path_of(dir, "tests/data/strategies");
	d = opendir(dir);
	CHECK(d != NULL);
	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 5, ".yaml") != 0)
			continue;
		names = xgrow(names, &cap, n + 1, sizeof(*names));
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	CHECK(n >= 40);
	for (size_t i = 0; i < n; i++) {
		check_broken_file(dir, names[i]);
		free(names[i]);
	}
	free(names);
}

/* The library writes nothing to stderr, even for broken input that makes
 * libfyaml complain: run the worst cases with fd 2 pointed at a file. */
static void test_quiet(void)
{
	static const char *const bad[] = {
		"a: [1,\n", "", "# nothing\n", "a: 1\n---\nb: 2\n",
		"\tb: 1\n", "a: \"x\n", "a: *nope\n", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]",
	};
	FILE *tmp = tmpfile();
	int saved;
	long size;

	CHECK(tmp != NULL);
	if (!tmp)
		return;
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { "" };
		parse_bad(bad[i], strlen(bad[i]), &e);
		CHECK(e.msg[0] != '\0');
	}
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(tmp, 0, SEEK_END);
	size = ftell(tmp);
	CHECK_INT(size, 0);
	fclose(tmp);
}

/* Errors that are not about one place in a file. */
static void test_file_level_errors(void)
{
	static const char head[] = "strategies: []\n";
	char path[] = "/tmp/dunwell-strategy-XXXXXX";
	size_t big = 1024 * 1024 + 1;
	char *text = xmalloc(big);
	struct strategy_set *s = (struct strategy_set *)&s;
	struct err e = { "" };
	FILE *f;
	int fd;

	/* 1 MiB + 1 byte, valid YAML (a comment) beyond the first line. */
	memset(text, '#', big);
	memcpy(text, head, strlen(head));
	text[big - 1] = '\n';
	CHECK_INT(parse_bad(text, big, &e), -ERR_TOOBIG);
	CHECK(strstr(e.msg, "inline.yaml: the file is 1048577 bytes; expected at most 1 MiB") != NULL);

	fd = mkstemp(path);
	CHECK(fd >= 0);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (f) {
		fwrite(text, 1, big, f);
		fclose(f);
		CHECK_INT(strategy_set_load(path, &s, &e), -ERR_TOOBIG);
		CHECK(strstr(e.msg, "the file is larger than 1 MiB") != NULL);
		CHECK(strncmp(e.msg, path, strlen(path)) == 0);
		CHECK(s == (struct strategy_set *)&s);
		unlink(path);
	}
	free(text);

	CHECK_INT(strategy_set_load("/nonexistent/strategies.yaml", &s, &e),
		  -ERR_NOTFOUND);
	CHECK_STR(e.msg, "/nonexistent/strategies.yaml: cannot open: No such file or directory");
	CHECK_INT(strategy_set_load("/", &s, &e), -ERR_IO);
	CHECK(strstr(e.msg, "/: cannot read") != NULL);

	parse_bad("", 0, &e);
	CHECK_STR(e.msg, "inline.yaml:1:1: the file is empty; expected a mapping with keys contact_policy, strategies, rules");
	parse_bad(NULL, 0, &e);
	CHECK(strstr(e.msg, "the file is empty") != NULL);
}

/* Values that cannot be written in a test file as easily. */
static void test_odd_values(void)
{
	static const char nul_name[] =
		"strategies:\n  - name: \"a\\0b\"\n    steps: []\n";
	static const char nul_text[] = "strategies: []\0rules: []\n";
	static const char long_value[] =
		"strategies:\n  - name: a\n    steps:\n"
		"      - {id: x, offset: 1, channels: [\"\\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"], template: t}\n"
		"rules: [{default: a}]\n";
	static const char huge_int[] =
		"contact_policy: {min_days_between: 99999999999999999999999}\n";
	static const char big_amount[] =
		"strategies:\n  - name: a\n    steps:\n"
		"      - {id: x, offset: 1, channels: [email], template: t, min_open: \"99999999999999999999.00\"}\n"
		"rules: [{default: a}]\n";
	struct err e = { "" };

	parse_bad(nul_name, sizeof(nul_name) - 1, &e);
	CHECK_STR(e.msg, "inline.yaml:2:11: strategy 1: 'name' contains a NUL byte; expected 1 to 64 characters from a-z, 0-9, '_' and '-'");
	parse_bad(nul_text, sizeof(nul_text) - 1, &e);
	CHECK(strncmp(e.msg, "inline.yaml:1:", 14) == 0);
	/* Control characters are shown as '?' and long values cut short. */
	parse_bad(long_value, sizeof(long_value) - 1, &e);
	CHECK(strstr(e.msg, "unknown channel '?xxxxxxxxxxxxxxx") != NULL);
	CHECK(strstr(e.msg, "xxx...'; expected one of email") != NULL);
	CHECK_INT(parse_bad(huge_int, sizeof(huge_int) - 1, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "'min_days_between' is '99999999999999999999999'; expected an integer from 0 to 365") != NULL);
	CHECK_INT(parse_bad(big_amount, sizeof(big_amount) - 1, &e),
		  -ERR_RANGE);
	CHECK(strstr(e.msg, "'min_open' '99999999999999999999.00' is too large") != NULL);
}

/* First match wins; every condition must hold; the default catches the
 * rest. */
static void test_rule_matching(void)
{
	static const char yaml[] =
		"strategies:\n"
		"  - {name: std, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"  - {name: vul, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"  - {name: benelux_b2b, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"  - {name: b2b, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"  - {name: new, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"  - {name: loyal, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"  - {name: small, steps: [{id: x, offset: 1, end: write_off}]}\n"
		"rules:\n"
		"  - when: {vulnerable: true}\n"
		"    use: vul\n"
		"  - when: {segments: [business, gov], countries: [NL, BE], currencies: [EUR], amount_min: \"1000.00\", amount_max: \"50000\"}\n"
		"    use: benelux_b2b\n"
		"  - when: {segments: [business]}\n"
		"    use: b2b\n"
		"  - when: {vulnerable: false, tenure_max_days: 90}\n"
		"    use: new\n"
		"  - when: {tenure_min_days: 3650}\n"
		"    use: loyal\n"
		"  - when: {amount_max: 5}\n"
		"    use: small\n"
		"  - default: std\n";
	static const char *const biz[] = { "vip", "business" };
	static const char *const gov[] = { "gov" };
	static const char *const none[] = { "consumer" };
	static const struct {
		const char *const *segs;
		size_t n_segs;
		const char *country;
		const char *currency;
		int64_t open;       /* micros */
		int vulnerable;
		int tenure;
		const char *want;
	} cases[] = {
		{ none, 1, "NL", "EUR", 100000000, 0, 400, "std" },
		{ none, 1, "NL", "EUR", 100000000, 1, 400, "vul" },
		{ biz, 2, "NL", "EUR", 100000000, 1, 400, "vul" },
		{ biz, 2, "NL", "EUR", 1000000000, 0, 400, "benelux_b2b" },
		{ gov, 1, "BE", "EUR", 50000000000, 0, 400, "benelux_b2b" },
		{ gov, 1, "BE", "EUR", 50000000001, 0, 400, "std" },
		{ biz, 2, "BE", "EUR", 999999999, 0, 400, "b2b" },
		{ biz, 2, "DE", "EUR", 2000000000, 0, 400, "b2b" },
		{ biz, 2, "NL", "USD", 2000000000, 0, 400, "b2b" },
		{ biz, 2, "", "EUR", 2000000000, 0, 400, "b2b" },
		{ gov, 1, NULL, "EUR", 2000000000, 0, 400, "std" },
		{ none, 1, "DE", "EUR", 100000000, 0, 90, "new" },
		{ none, 1, "DE", "EUR", 100000000, 0, 91, "std" },
		{ none, 1, "DE", "EUR", 100000000, 0, 0, "new" },
		{ none, 1, "DE", "EUR", 100000000, 0, -1, "std" },
		{ none, 1, "DE", "EUR", 100000000, 0, 3650, "loyal" },
		{ NULL, 0, "DE", "EUR", 5000000, 0, 3650, "loyal" },
		{ NULL, 0, "DE", "EUR", 5000000, 0, 400, "small" },
		{ NULL, 0, "DE", "EUR", 5000001, 0, 400, "std" },
		{ NULL, 0, "DE", "EUR", 0, 0, -1, "small" },
	};
	struct strategy_set *s = parse_ok(yaml);

	if (!s)
		return;
	CHECK_INT(s->n_rules, 6);
	CHECK_STR(s->strategies[s->default_strategy].name, "std");
	CHECK_INT(s->rules[0].line, 10);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rule_facts f = {
			.segments = cases[i].segs,
			.n_segments = cases[i].n_segs,
			.country = cases[i].country,
			.currency = cases[i].currency,
			.open_micros = cases[i].open,
			.vulnerable = cases[i].vulnerable,
			.tenure_days = cases[i].tenure,
		};
		size_t got = strategy_choose(s, &f);
		if (got >= s->n_strategies ||
		    strcmp(s->strategies[got].name, cases[i].want) != 0) {
			printf("  case %zu: chose %s, want %s\n", i,
			       got < s->n_strategies ?
				       s->strategies[got].name : "?",
			       cases[i].want);
			check_failed_here++;
		}
	}
	strategy_set_free(s);
}

static void test_names(void)
{
	CHECK_STR(tone_name(TONE_FRIENDLY), "friendly");
	CHECK_STR(tone_name(TONE_FORMAL), "formal");
	CHECK_STR(tone_name(TONE_FINAL), "final");
	CHECK_STR(tone_name((enum tone)7), "?");
	CHECK_STR(end_action_name(END_NONE), "none");
	CHECK_STR(end_action_name(END_RESTRICT_SERVICE), "restrict_service");
	CHECK_STR(end_action_name(END_HAND_TO_AGENT), "hand_to_agent");
	CHECK_STR(end_action_name(END_WRITE_OFF), "write_off");
	CHECK_STR(end_action_name((enum end_action)9), "?");
	strategy_set_free(NULL);
}

static void test_lead_days(void)
{
	static const struct {
		int offsets[4];
		size_t n;
		int want;
	} cases[] = {
		{ { 0 }, 0, 0 },
		{ { 3, 10 }, 2, 0 },
		{ { 0, 10 }, 2, 0 },
		{ { -3, 10 }, 2, 3 },
		{ { -14, -3, 0, 7 }, 4, 14 },
		{ { -365 }, 1, 365 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct step steps[4];
		struct strategy st = { .steps = steps, .n_steps = cases[i].n };
		memset(steps, 0, sizeof(steps));
		for (size_t j = 0; j < cases[i].n; j++)
			steps[j].offset_days = cases[i].offsets[j];
		CHECK_INT(strategy_lead_days(&st), cases[i].want);
	}
}

int main(void)
{
	RUN(test_example_file);
	RUN(test_fee_kinds);
	RUN(test_broken_files);
	RUN(test_quiet);
	RUN(test_file_level_errors);
	RUN(test_odd_values);
	RUN(test_rule_matching);
	RUN(test_names);
	RUN(test_lead_days);
	return CHECK_DONE();
}
