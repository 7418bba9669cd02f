/*
 * test_engine_cases: the table-driven engine tests.
 *
 * Every .case file in tests/engine is a scenario: a strategy file, a customer,
 * invoices, things that happen on given days (payments, disputes, holds, new
 * invoices), a range of days to decide, and the exact list of what must
 * happen. The runner calls engine_decide once per day, carrying the state
 * as `dunwell run` would, and compares the lines it observes with the
 * expected ones. Adding a case needs no C; the format is described in
 * tests/engine/README.md.
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "engine.h"
#include "mem.h"
#include "money.h"
#include "strategy.h"

#define MAX_INVOICES 32
#define MAX_HAPPENINGS 64
#define MAX_LINES 512

struct happening {
	date_t on;
	char what[16];    /* pay, dispute, undispute, hold, invoice, flag */
	char arg[64];     /* invoice name, hold reason, flag */
	int64_t amount;   /* pay: amount; invoice: open */
	date_t date;      /* hold: until; invoice: due */
};

struct scenario {
	const char *path;
	struct strategy_set *set;
	const struct currency *cur;
	struct engine_customer customer;
	char segments_buf[8][32];
	const char *segments[8];
	char country[3];
	char names[MAX_INVOICES][32];
	struct engine_invoice inv[MAX_INVOICES];
	size_t n_inv;
	date_t contacts[256];
	size_t n_contacts;
	struct engine_case state;
	struct happening hap[MAX_HAPPENINGS];
	size_t n_hap;
	date_t from, to;
	char *expect[MAX_LINES];
	size_t n_expect;
	int line;                 /* current line, for messages */
};

static void scenario_free(struct scenario *sc)
{
	strategy_set_free(sc->set);
	for (size_t i = 0; i < sc->n_expect; i++)
		free(sc->expect[i]);
}

static int fail_at(struct scenario *sc, const char *msg, const char *arg)
{
	printf("  %s:%d: %s '%s'\n", sc->path, sc->line, msg, arg);
	return -1;
}

static int parse_amount(struct scenario *sc, const char *v, int64_t *ret)
{
	struct err e;
	if (!sc->cur)
		return fail_at(sc, "currency must come before amounts", v);
	if (money_parse(v, sc->cur, ret, &e) < 0)
		return fail_at(sc, e.msg, v);
	return 0;
}

static int parse_day(struct scenario *sc, const char *v, date_t *ret)
{
	struct err e;
	if (date_parse(v, ret, &e) < 0)
		return fail_at(sc, e.msg, v);
	return 0;
}

static int find_invoice(struct scenario *sc, const char *name)
{
	for (size_t i = 0; i < sc->n_inv; i++)
		if (strcmp(sc->names[i], name) == 0)
			return (int)i;
	return fail_at(sc, "no such invoice", name);
}

/* Split a line into words (modifies it). */
static int words(char *line, char **w, int max)
{
	int n = 0;
	char *p = line;
	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		w[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = '\0';
	}
	return n;
}

/* Split "a,b,c" in place; returns how many items (at most max). */
static int split_commas(char *v, char **items, int max)
{
	int n = 0;
	while (*v && n < max) {
		items[n++] = v;
		while (*v && *v != ',')
			v++;
		if (*v)
			*v++ = '\0';
	}
	return n;
}

static int parse_customer(struct scenario *sc, char **w, int n)
{
	struct engine_customer *c = &sc->customer;
	for (int i = 1; i < n; i++) {
		char *eq = strchr(w[i], '=');
		char *v = eq ? eq + 1 : (char *)"";
		if (eq)
			*eq = '\0';
		if (!strcmp(w[i], "channels")) {
			char *items[CHANNEL_COUNT + 1];
			int n_items = split_commas(v, items, CHANNEL_COUNT + 1);
			c->n_channels = 0;
			if (n_items > CHANNEL_COUNT)
				return fail_at(sc, "too many channels", v);
			for (int k = 0; k < n_items; k++) {
				enum channel ch;
				if (channel_parse(items[k], &ch) < 0)
					return fail_at(sc, "unknown channel",
						       items[k]);
				c->channels[c->n_channels++] = ch;
			}
		} else if (!strcmp(w[i], "vulnerable")) {
			c->vulnerable = 1;
		} else if (!strcmp(w[i], "do-not-contact")) {
			c->do_not_contact = 1;
		} else if (!strcmp(w[i], "deceased")) {
			c->deceased = 1;
		} else if (!strcmp(w[i], "moratorium")) {
			if (parse_day(sc, v, &c->moratorium_until) < 0)
				return -1;
		} else if (!strcmp(w[i], "country")) {
			snprintf(sc->country, sizeof(sc->country), "%s", v);
		} else if (!strcmp(w[i], "tenure")) {
			c->tenure_days = (int)strtol(v, NULL, 10);
		} else if (!strcmp(w[i], "segments")) {
			char *items[8];
			int n_items = split_commas(v, items, 8);
			c->n_segments = 0;
			for (int k = 0; k < n_items; k++) {
				snprintf(sc->segments_buf[k], 32, "%s", items[k]);
				sc->segments[k] = sc->segments_buf[k];
				c->n_segments++;
			}
		} else {
			return fail_at(sc, "unknown customer attribute", w[i]);
		}
	}
	return 0;
}

static int parse_invoice(struct scenario *sc, char **w, int n,
			 struct engine_invoice *inv, char *name)
{
	if (n < 2)
		return fail_at(sc, "invoice needs a name", "");
	snprintf(name, 32, "%s", w[1]);
	memset(inv, 0, sizeof(*inv));
	inv->id = (int64_t)sc->n_inv + 1;
	inv->due = DATE_NONE;
	for (int i = 2; i < n; i++) {
		char *eq = strchr(w[i], '=');
		if (eq)
			*eq++ = '\0';
		if (!strcmp(w[i], "due") && eq) {
			if (parse_day(sc, eq, &inv->due) < 0)
				return -1;
		} else if (!strcmp(w[i], "open") && eq) {
			if (parse_amount(sc, eq, &inv->open_minor) < 0)
				return -1;
		} else if (!strcmp(w[i], "disputed")) {
			inv->disputed = 1;
		} else {
			return fail_at(sc, "unknown invoice attribute", w[i]);
		}
	}
	if (inv->due == DATE_NONE)
		return fail_at(sc, "invoice needs due=", name);
	return 0;
}

static int load_scenario(struct scenario *sc, const char *dir, const char *path)
{
	char full[512], line[1024];
	FILE *f;
	struct err e;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	f = fopen(full, "r");
	if (!f)
		return fail_at(sc, "cannot open", full);
	sc->customer.moratorium_until = DATE_NONE;
	sc->customer.tenure_days = -1;
	sc->customer.country = sc->country;
	sc->customer.segments = sc->segments;
	sc->state.status = CASE_NONE;
	sc->from = sc->to = DATE_NONE;
	while (fgets(line, sizeof(line), f)) {
		char *w[32], copy[1024];
		int n;
		sc->line++;
		line[strcspn(line, "\r\n")] = '\0';
		snprintf(copy, sizeof(copy), "%s", line);
		n = words(line, w, 32);
		if (n == 0)
			continue;
		if (!strcmp(w[0], "strategy") && n == 2) {
			snprintf(full, sizeof(full), "%s/strategies/%s", dir, w[1]);
			if (strategy_set_load(full, &sc->set, &e) < 0) {
				fclose(f);
				return fail_at(sc, e.msg, w[1]);
			}
		} else if (!strcmp(w[0], "currency") && n == 2) {
			sc->cur = currency_find(w[1]);
			if (!sc->cur)
				goto bad;
		} else if (!strcmp(w[0], "customer")) {
			if (parse_customer(sc, w, n) < 0)
				goto fail;
		} else if (!strcmp(w[0], "invoice")) {
			if (sc->n_inv == MAX_INVOICES ||
			    parse_invoice(sc, w, n, &sc->inv[sc->n_inv],
					  sc->names[sc->n_inv]) < 0)
				goto fail;
			sc->n_inv++;
		} else if (!strcmp(w[0], "contacts")) {
			for (int i = 1; i < n && sc->n_contacts < 256; i++)
				if (parse_day(sc, w[i],
					      &sc->contacts[sc->n_contacts++]) < 0)
					goto fail;
		} else if (!strcmp(w[0], "days") && n == 3) {
			if (parse_day(sc, w[1], &sc->from) < 0 ||
			    parse_day(sc, w[2], &sc->to) < 0)
				goto fail;
		} else if (!strcmp(w[0], "on") && n >= 3) {
			struct happening *h = &sc->hap[sc->n_hap];
			if (sc->n_hap == MAX_HAPPENINGS)
				goto bad;
			memset(h, 0, sizeof(*h));
			if (parse_day(sc, w[1], &h->on) < 0)
				goto fail;
			snprintf(h->what, sizeof(h->what), "%s", w[2]);
			if (!strcmp(w[2], "pay") && n == 5) {
				snprintf(h->arg, sizeof(h->arg), "%s", w[3]);
				if (parse_amount(sc, w[4], &h->amount) < 0)
					goto fail;
			} else if ((!strcmp(w[2], "dispute") ||
				    !strcmp(w[2], "undispute")) && n == 4) {
				snprintf(h->arg, sizeof(h->arg), "%s", w[3]);
			} else if (!strcmp(w[2], "hold") && n == 5) {
				snprintf(h->arg, sizeof(h->arg), "%s", w[3]);
				if (parse_day(sc, w[4], &h->date) < 0)
					goto fail;
			} else if (!strcmp(w[2], "flag") && n == 4) {
				snprintf(h->arg, sizeof(h->arg), "%s", w[3]);
			} else if (!strcmp(w[2], "invoice") && n >= 4) {
				/* a new invoice appears on that day */
				struct engine_invoice inv;
				char name[32];
				if (parse_invoice(sc, w + 2, n - 2, &inv, name) < 0)
					goto fail;
				snprintf(h->arg, sizeof(h->arg), "%s", name);
				h->amount = inv.open_minor;
				h->date = inv.due;
			} else {
				goto bad;
			}
			sc->n_hap++;
		} else if (!strcmp(w[0], "expect")) {
			/* The rest of the line, words joined by one space. */
			struct buf b;
			buf_init(&b, 1024);
			for (int i = 1; i < n; i++)
				buf_printf(&b, "%s%s", i > 1 ? " " : "", w[i]);
			if (sc->n_expect == MAX_LINES) {
				buf_free(&b);
				goto bad;
			}
			sc->expect[sc->n_expect++] = buf_detach(&b);
		} else {
			goto bad;
		}
		continue;
bad:
		fclose(f);
		return fail_at(sc, "cannot read line", copy);
fail:
		fclose(f);
		return -1;
	}
	fclose(f);
	if (!sc->set || !sc->cur || sc->from == DATE_NONE)
		return fail_at(sc, "a case needs strategy, currency and days",
			       path);
	return 0;
}

/* Apply what happens on `day` before that day's decision. */
static int apply_happenings(struct scenario *sc, date_t day)
{
	for (size_t i = 0; i < sc->n_hap; i++) {
		struct happening *h = &sc->hap[i];
		if (h->on != day)
			continue;
		if (!strcmp(h->what, "invoice")) {
			struct engine_invoice *inv = &sc->inv[sc->n_inv];
			if (sc->n_inv == MAX_INVOICES)
				return -1;
			snprintf(sc->names[sc->n_inv], 32, "%s", h->arg);
			memset(inv, 0, sizeof(*inv));
			inv->id = (int64_t)sc->n_inv + 1;
			inv->due = h->date;
			inv->open_minor = h->amount;
			sc->n_inv++;
			continue;
		}
		if (!strcmp(h->what, "hold")) {
			enum hold_reason r;
			if (hold_reason_parse(h->arg, &r) < 0)
				return fail_at(sc, "unknown hold", h->arg);
			sc->state.hold_reason = r;
			sc->state.hold_until = h->date;
			continue;
		}
		if (!strcmp(h->what, "flag")) {
			if (!strcmp(h->arg, "do-not-contact"))
				sc->customer.do_not_contact = 1;
			else if (!strcmp(h->arg, "contact-ok"))
				sc->customer.do_not_contact = 0;
			else if (!strcmp(h->arg, "deceased"))
				sc->customer.deceased = 1;
			else
				return fail_at(sc, "unknown flag", h->arg);
			continue;
		}
		int k = find_invoice(sc, h->arg);
		if (k < 0)
			return -1;
		if (!strcmp(h->what, "pay"))
			sc->inv[k].open_minor -= h->amount;
		else if (!strcmp(h->what, "dispute"))
			sc->inv[k].disputed = 1;
		else
			sc->inv[k].disputed = 0;
	}
	return 0;
}

static void observe(struct scenario *sc, date_t day,
		    const struct engine_decision *d, const struct engine_case *old,
		    char **lines, size_t *n)
{
	char ds[DATE_FMT_MAX], a1[DATE_FMT_MAX], a2[DATE_FMT_MAX];
	char amount[MONEY_FMT_MAX];
	struct buf b;

	date_format(day, ds);
#define EMIT()                                            \
	do {                                              \
		if (*n < MAX_LINES)                       \
			lines[(*n)++] = buf_detach(&b);   \
		else                                      \
			buf_free(&b);                     \
	} while (0)
	if (d->opened) {
		buf_init(&b, 512);
		buf_printf(&b, "%s open %s", ds,
			   sc->set->strategies[d->state.strategy].name);
		EMIT();
	}
	if (d->reanchored) {
		buf_init(&b, 512);
		date_format(d->old_anchor, a1);
		date_format(d->state.anchor, a2);
		buf_printf(&b, "%s reanchor %s -> %s", ds, a1, a2);
		EMIT();
	}
	if (old->status == CASE_OPEN && old->hold_reason != HOLD_NONE &&
	    d->state.hold_reason == HOLD_NONE) {
		buf_init(&b, 512);
		buf_printf(&b, "%s resume %s", ds, hold_reason_name(old->hold_reason));
		EMIT();
	}
	for (size_t i = 0; i < d->n_actions; i++) {
		const struct engine_action *a = &d->actions[i];
		buf_init(&b, 512);
		buf_printf(&b, "%s %s %s", ds, action_kind_name(a->kind),
			   a->step_id);
		switch (a->kind) {
		case ACTION_CONTACT:
			buf_printf(&b, " %s", channel_name(a->channel));
			for (int k = 0; k < a->n_fallbacks; k++)
				buf_printf(&b, "%s%s", k ? "," : " fallback=",
					   channel_name(a->fallbacks[k]));
			money_format(a->amount_minor, sc->cur, amount);
			buf_printf(&b, " amount=%s", amount);
			break;
		case ACTION_FEE:
			money_format(a->amount_minor, sc->cur, amount);
			buf_printf(&b, " %s", amount);
			break;
		case ACTION_END:
			buf_printf(&b, " %s", end_action_name(a->end));
			break;
		case ACTION_SKIP:
		case ACTION_AGENT:
			buf_printf(&b, " %s", a->reason);
			break;
		}
		EMIT();
	}
	if (d->closed) {
		buf_init(&b, 512);
		buf_printf(&b, "%s close %s", ds, case_status_name(d->state.status));
		EMIT();
	}
#undef EMIT
}

static int run_scenario(const char *dir, const char *file)
{
	struct scenario *sc = xcalloc(1, sizeof(*sc));
	char *lines[MAX_LINES];
	size_t n = 0;
	int ok = 1;

	sc->path = file;
	if (load_scenario(sc, dir, file) < 0) {
		scenario_free(sc);
		free(sc);
		return 0;
	}
	for (date_t day = sc->from; day <= sc->to; day++) {
		struct engine_input in;
		struct engine_decision d;
		struct engine_case old = sc->state;
		if (apply_happenings(sc, day) < 0) {
			ok = 0;
			break;
		}
		old = sc->state;
		/* invoices fully paid drop out, as the store's query would */
		memset(&in, 0, sizeof(in));
		in.customer = &sc->customer;
		in.currency = sc->cur;
		in.invoices = sc->inv;
		in.n_invoices = sc->n_inv;
		in.state = sc->state;
		in.contacts = sc->contacts;
		in.n_contacts = sc->n_contacts;
		in.today = day;
		engine_decide(&in, sc->set, &d);
		observe(sc, day, &d, &old, lines, &n);
		if (d.closed && d.state.status == CASE_WRITTEN_OFF)
			for (size_t i = 0; i < sc->n_inv; i++)
				if (engine_in_case(&in, sc->set, &d, &sc->inv[i]))
					sc->inv[i].written_off = 1;
		for (size_t i = 0; i < d.n_actions; i++) {
			if (d.actions[i].kind == ACTION_CONTACT) {
				if (sc->n_contacts < 256)
					sc->contacts[sc->n_contacts++] = day;
				break;
			}
		}
		sc->state = d.state;
	}
	if (ok) {
		size_t m = n > sc->n_expect ? n : sc->n_expect;
		for (size_t i = 0; i < m; i++) {
			const char *want = i < sc->n_expect ? sc->expect[i] : "(nothing)";
			const char *got = i < n ? lines[i] : "(nothing)";
			if (strcmp(want, got) != 0) {
				if (ok)
					printf("  %s: first difference at line %zu"
					       " of the expectations\n", file, i + 1);
				printf("    want: %s\n    got:  %s\n", want, got);
				ok = 0;
			}
		}
		if (!ok) {
			printf("  %s: everything observed:\n", file);
			for (size_t i = 0; i < n; i++)
				printf("    expect %s\n", lines[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	scenario_free(sc);
	free(sc);
	return ok;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/engine";
	DIR *d = opendir(dir);
	struct dirent *de;
	char *names[1024];
	size_t n = 0;
	int failed = 0;

	if (!d) {
		printf("FAIL engine_cases: cannot open %s\n", dir);
		return 1;
	}
	while ((de = readdir(d)) && n < 1024) {
		size_t len = strlen(de->d_name);
		if (len > 5 && !strcmp(de->d_name + len - 5, ".case"))
			names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (size_t i = 0; i < n; i++) {
		if (run_scenario(dir, names[i])) {
			printf("PASS engine/%s\n", names[i]);
		} else {
			printf("FAIL engine/%s\n", names[i]);
			failed++;
		}
		free(names[i]);
	}
	if (n == 0) {
		printf("FAIL engine_cases: no .case files in %s\n", dir);
		return 1;
	}
	return failed ? 1 : 0;
}
