/*
 * console_strategy: the strategy and experiment pages (see
 * console_strategy.h). Pages are written through console_page's helpers
 * only: markup is a literal of this file and every value is escaped.
 */
#include "console_strategy.h"
#include "console_page.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiment.h"
#include "mem.h"
#include "money.h"
#include "simulate.h"
#include "strategy.h"

#define SOURCE_NAME "console.yaml"  /* the name a console edit parses as */
#define CONTEXT_LINES 3             /* lines shown around an error */

/* ---- small helpers ------------------------------------------------------ */

/* A double, formatted, escaped. */
static void escd(struct cpage *p, const char *fmt, double v)
{
	char b[64];
	snprintf(b, sizeof(b), fmt, v);
	cpage_esc(p, b);
}

/* May this operator change strategies? */
static int can_edit(const struct cpage *p)
{
	return strcmp(p->op.role, "manager") == 0 ||
	       strcmp(p->op.role, "admin") == 0;
}

/* The {version} of the path: 1..1000000, or -1. */
static int path_version(const struct cpage *p)
{
	const char *s = http_param(p->req, "version");
	char *end = NULL;
	long v = s && *s ? strtol(s, &end, 10) : -1;
	return s && *s && !*end && v >= 1 && v <= 1000000 ? (int)v : -1;
}

static void server_error(struct cpage *p, const char *what,
			 const struct err *e)
{
	char msg[ERR_MSG_MAX + 64];
	snprintf(msg, sizeof(msg), "console: %s: %.900s", what, e->msg);
	http_log(p->req, "error", msg);
	cpage_message(p, 500, "Something went wrong",
		      "The strategies could not be read or saved; try again.");
}

/* ---- the list of versions ---------------------------------------------- */

void console_strategies(const struct http_request *req,
			struct http_response *resp)
{
	struct cpage p;
	struct strategy_change_rec *ch = NULL;
	size_t n_ch = 0;
	int active = 0, last = 0;
	char w[INSTANT_FMT_MAX];
	struct err e;

	if (cpage_open(req, resp, &p, 1) < 0)
		goto out;
	err_clear(&e);
	if (store_strategy_changes(p.s, p.t.id, 1000, &ch, &n_ch, &e) < 0) {
		server_error(&p, "reading strategy changes", &e);
		goto out;
	}
	cpage_begin(&p, 200, "Strategies");
	cpage_raw(&p, "<h1>Strategies</h1>\n");
	{
		/* Versions are numbered 1, 2, ... without gaps (the store
		 * has no listing: read one at a time, as the API does). */
		struct strategy_version_rec sv;
		memset(&sv, 0, sizeof(sv));
		if (store_strategy_get(p.s, p.t.id, 0, &sv, &e) == 0)
			active = sv.version;
		strategy_version_rec_clear(&sv);
	}
	if (active) {
		cpage_raw(&p, "<p role=\"status\">Version ");
		cpage_escf(&p, "%lld", active);
		cpage_raw(&p, " is active: <a href=\"");
		cpage_esc(&p, p.base);
		cpage_raw(&p, "/strategies/");
		cpage_escf(&p, "%lld", active);
		cpage_raw(&p, "\">");
		cpage_raw(&p, can_edit(&p) ? "edit it as a new version"
					   : "read it");
		cpage_raw(&p, "</a>.</p>\n");
	} else {
		cpage_raw(&p, "<p role=\"status\">No strategy is active yet.</p>\n");
	}
	cpage_raw(&p, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
		  "aria-label=\"Versions\">\n<table>\n<caption>Versions, newest "
		  "first</caption>\n<thead><tr><th scope=\"col\">Version</th>"
		  "<th scope=\"col\">From</th><th scope=\"col\">Added</th>"
		  "<th scope=\"col\">State</th><th scope=\"col\">Changes in the "
		  "console</th></tr></thead>\n<tbody>\n");
	while (last < 1000000) {
		struct strategy_version_rec sv;
		memset(&sv, 0, sizeof(sv));
		if (store_strategy_get(p.s, p.t.id, last + 1, &sv, &e) < 0)
			break;
		last++;
		strategy_version_rec_clear(&sv);
	}
	for (int v = last; v >= 1 && v > last - CONSOLE_VERSIONS_MAX; v--) {
		struct strategy_version_rec sv;
		memset(&sv, 0, sizeof(sv));
		if (store_strategy_get(p.s, p.t.id, v, &sv, &e) < 0)
			continue;
		cpage_raw(&p, "<tr><th scope=\"row\"><a href=\"");
		cpage_esc(&p, p.base);
		cpage_raw(&p, "/strategies/");
		cpage_escf(&p, "%lld", v);
		cpage_raw(&p, "\">Version ");
		cpage_escf(&p, "%lld", v);
		cpage_raw(&p, "</a></th><td>");
		cpage_esc(&p, sv.source);
		cpage_raw(&p, "</td><td>");
		cpage_esc(&p, cpage_when(sv.created_at, w));
		cpage_raw(&p, "</td><td>");
		cpage_raw(&p, sv.active ? "<strong>active</strong>" : "saved");
		cpage_raw(&p, "</td><td>");
		for (size_t i = 0, k = 0; i < n_ch; i++) {
			if (ch[i].version != v)
				continue;
			cpage_raw(&p, k++ ? "; " : "");
			cpage_esc(&p, ch[i].action);
			cpage_raw(&p, " by ");
			cpage_esc(&p, ch[i].operator_name);
			cpage_raw(&p, " at ");
			cpage_esc(&p, cpage_when(ch[i].at, w));
		}
		cpage_raw(&p, "</td></tr>\n");
		strategy_version_rec_clear(&sv);
	}
	cpage_raw(&p, "</tbody>\n</table>\n</div>\n");
	cpage_end(&p);
out:
	strategy_change_list_free(ch, n_ch);
	cpage_free(&p);
}

/* ---- one version: the editor -------------------------------------------- */

/* The line of a loader message "console.yaml:LINE:COL: ...", or 0. */
static int error_line(const char *msg, int *ret_col)
{
	size_t n = strlen(SOURCE_NAME);
	char *end;
	long line, col = 0;

	*ret_col = 0;
	if (strncmp(msg, SOURCE_NAME ":", n + 1) != 0)
		return 0;
	line = strtol(msg + n + 1, &end, 10);
	if (end == msg + n + 1 || line < 1 || line > 10000000)
		return 0;
	if (*end == ':')
		col = strtol(end + 1, NULL, 10);
	*ret_col = col > 0 && col < 100000 ? (int)col : 0;
	return (int)line;
}

/* The lines around `line` of `text`, numbered, the bad one marked. */
static void error_listing(struct cpage *p, const char *text, int line)
{
	int first = line - CONTEXT_LINES > 1 ? line - CONTEXT_LINES : 1;
	const char *s = text;
	int n = 1;

	while (n < first && *s) {
		s = strchr(s, '\n');
		if (!s)
			return;
		s++;
		n++;
	}
	cpage_raw(p, "<figure>\n<figcaption>The lines around line ");
	cpage_escf(p, "%lld", line);
	cpage_raw(p, "</figcaption>\n<ol class=\"source\" start=\"");
	cpage_escf(p, "%lld", first);
	cpage_raw(p, "\">\n");
	for (; n <= line + CONTEXT_LINES; n++) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char *one = xstrndup(s, len > 400 ? 400 : len);
		if (n == line) {
			cpage_raw(p, "<li><mark><code>");
			cpage_esc(p, one);
			cpage_raw(p, "</code></mark> <strong>← the error</strong>"
				  "</li>\n");
		} else {
			cpage_raw(p, "<li><code>");
			cpage_esc(p, one);
			cpage_raw(p, "</code></li>\n");
		}
		free(one);
		if (!nl)
			break;
		s = nl + 1;
	}
	cpage_raw(p, "</ol>\n</figure>\n");
}

/* The preview's table: days as rows, kinds of message as columns. */
static void preview_table(struct cpage *p, const struct simulate_table *tb)
{
	long total = 0;
	char ds[DATE_FMT_MAX];
	int other = 0;

	for (int d = 0; d < tb->n_days; d++)
		other |= simulate_count(tb, d, SIMULATE_KINDS_MAX) != 0;
	cpage_raw(p, "<h2 id=\"preview\">Preview: messages per day</h2>\n<p>");
	cpage_escf(p, "%lld", (long long)tb->cases);
	cpage_raw(p, tb->capped ? " cases simulated (the first ones only: the "
			     "preview stops at "
			   : " cases simulated (every open case, at most ");
	cpage_escf(p, "%lld", CONSOLE_PREVIEW_CASES);
	cpage_raw(p, "), for the next ");
	cpage_escf(p, "%lld", (long long)tb->n_days);
	cpage_raw(p, " days, assuming nobody pays. Days without messages are "
		  "left out.</p>\n<div class=\"scroll\" role=\"region\" "
		  "tabindex=\"0\" aria-label=\"Preview\">\n<table id=\"preview-"
		  "table\">\n<caption>Messages that would go out, by day and kind"
		  "</caption>\n<thead><tr><th scope=\"col\">Day</th>");
	for (size_t k = 0; k < tb->n_kinds; k++) {
		cpage_raw(p, "<th scope=\"col\" class=\"num\">");
		cpage_esc(p, tb->kinds[k].channel);
		cpage_raw(p, ", ");
		cpage_esc(p, tb->kinds[k].step);
		cpage_raw(p, " (");
		cpage_esc(p, tb->kinds[k].tone);
		cpage_raw(p, ")</th>");
	}
	if (other)
		cpage_raw(p, "<th scope=\"col\" class=\"num\">Other</th>");
	cpage_raw(p, "<th scope=\"col\" class=\"num\">Total</th></tr></thead>\n"
		  "<tbody>\n");
	for (int d = 0; d < tb->n_days; d++) {
		long day = simulate_day_total(tb, d);
		if (!day)
			continue;
		total += day;
		date_format(tb->from + d, ds);
		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, ds);
		cpage_raw(p, "</th>");
		for (size_t k = 0; k < tb->n_kinds; k++) {
			cpage_raw(p, "<td class=\"num\">");
			cpage_escf(p, "%lld", simulate_count(tb, d, k));
			cpage_raw(p, "</td>");
		}
		if (other) {
			cpage_raw(p, "<td class=\"num\">");
			cpage_escf(p, "%lld",
				   simulate_count(tb, d, SIMULATE_KINDS_MAX));
			cpage_raw(p, "</td>");
		}
		cpage_raw(p, "<td class=\"num\">");
		cpage_escf(p, "%lld", day);
		cpage_raw(p, "</td></tr>\n");
	}
	cpage_raw(p, "</tbody>\n<tfoot><tr><th scope=\"row\">Total</th>");
	for (size_t k = 0; k <= tb->n_kinds; k++) {
		long sum = 0;
		size_t col = k == tb->n_kinds ? SIMULATE_KINDS_MAX : k;
		if (k == tb->n_kinds && !other)
			continue;
		for (int d = 0; d < tb->n_days; d++)
			sum += simulate_count(tb, d, col);
		cpage_raw(p, "<td class=\"num\">");
		cpage_escf(p, "%lld", sum);
		cpage_raw(p, "</td>");
	}
	cpage_raw(p, "<td class=\"num\" id=\"preview-total\">");
	cpage_escf(p, "%lld", total);
	cpage_raw(p, "</td></tr></tfoot>\n</table>\n</div>\n");
}

/*
 * The editor page: the YAML of `version` (or the text just posted), with
 * the loader's error in place when `error` is set, and the preview when
 * `tb` is given.
 */
static void editor_page(struct cpage *p, int status, int version,
			int active, const char *text, const char *error,
			const struct simulate_table *tb)
{
	int col = 0, line = error ? error_line(error, &col) : 0;
	int edit = can_edit(p);

	cpage_begin(p, status, "Strategy");
	cpage_raw(p, "<h1>Strategy version ");
	cpage_escf(p, "%lld", version);
	cpage_raw(p, active ? " (active)</h1>\n" : "</h1>\n");
	cpage_raw(p, "<p><a href=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/strategies\">All versions</a></p>\n");
	if (!edit)
		cpage_raw(p, "<p>Only a manager or an admin can change "
			  "strategies; this is the text as it is.</p>\n");
	if (error) {
		cpage_raw(p, "<div class=\"error\" id=\"yaml-error\" "
			  "role=\"alert\">\n<p>");
		if (line) {
			cpage_raw(p, "<strong>Line ");
			cpage_escf(p, "%lld", line);
			if (col) {
				cpage_raw(p, ", column ");
				cpage_escf(p, "%lld", col);
			}
			cpage_raw(p, ":</strong> ");
		}
		cpage_esc(p, error);
		cpage_raw(p, "</p>\n");
		if (line)
			error_listing(p, text, line);
		cpage_raw(p, "<p>Nothing was saved.</p>\n</div>\n");
	}
	cpage_raw(p, "<form method=\"post\" action=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/strategies/");
	cpage_escf(p, "%lld", version);
	cpage_raw(p, "#preview\">\n");
	cpage_hidden_csrf(p);
	cpage_raw(p, "<label for=\"yaml\">The strategy file (YAML, see "
		  "docs/strategy.md)</label>\n<textarea id=\"yaml\" name=\"yaml\" "
		  "rows=\"30\" cols=\"100\" spellcheck=\"false\"");
	if (error)
		cpage_raw(p, " aria-describedby=\"yaml-error\" "
			  "aria-invalid=\"true\"");
	if (!edit)
		cpage_raw(p, " readonly");
	cpage_raw(p, ">\n"); /* a first newline is dropped by the parser */
	cpage_esc(p, text);
	cpage_raw(p, "</textarea>\n");
	if (edit)
		cpage_raw(p, "<button type=\"submit\" name=\"action\" "
			  "value=\"preview\">Validate and preview</button>\n"
			  "<button class=\"primary\" type=\"submit\" "
			  "name=\"action\" value=\"save\">Save as new version"
			  "</button>\n");
	cpage_raw(p, "</form>\n");
	if (edit && !active && !error && !tb) {
		cpage_raw(p, "<form method=\"post\" action=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "/strategies/");
		cpage_escf(p, "%lld", version);
		cpage_raw(p, "\">\n");
		cpage_hidden_csrf(p);
		cpage_raw(p, "<p>Activating makes new cases use this version "
			  "(open cases keep theirs).</p>\n<button type=\"submit\" "
			  "name=\"action\" value=\"activate\">Activate version ");
		cpage_escf(p, "%lld", version);
		cpage_raw(p, "</button>\n</form>\n");
	}
	if (tb)
		preview_table(p, tb);
	cpage_end(p);
}

void console_strategy(const struct http_request *req,
		      struct http_response *resp)
{
	struct cpage p;
	struct strategy_version_rec sv;
	struct err e;
	int v, r;

	memset(&sv, 0, sizeof(sv));
	if (cpage_open(req, resp, &p, 1) < 0)
		goto out;
	err_clear(&e);
	v = path_version(&p);
	r = v < 0 ? -ERR_NOTFOUND : store_strategy_get(p.s, p.t.id, v, &sv, &e);
	if (r == -ERR_NOTFOUND) {
		cpage_message(&p, 404, "No such version",
			      "There is no such strategy version.");
		goto out;
	}
	if (r < 0) {
		server_error(&p, "reading a strategy version", &e);
		goto out;
	}
	editor_page(&p, 200, v, sv.active, sv.yaml, NULL, NULL);
out:
	strategy_version_rec_clear(&sv);
	cpage_free(&p);
}

/* Save `text` as a new version that is not active, or make `version`
 * active; with the operator's record, in one transaction. */
static int save_or_activate(struct cpage *p, const char *text, int version,
			    int *ret_version, int *ret_found, struct err *e)
{
	int r = store_begin(p->s, e);

	*ret_found = 1;
	if (r == 0 && text)
		r = store_strategy_add(p->s, p->t.id, SOURCE_NAME, text, 0,
				       &version, e);
	else if (r == 0)
		r = store_strategy_activate(p->s, p->t.id, version, ret_found,
					    e);
	if (r == 0 && *ret_found)
		r = store_strategy_change_add(p->s, p->t.id, version,
					      text ? "saved" : "activated",
					      p->op.id, p->req->now, e);
	if (r == 0 && *ret_found)
		r = store_commit(p->s, e);
	else
		store_rollback(p->s);
	if (r == 0)
		*ret_version = version;
	return r;
}

void console_strategy_post(const struct http_request *req,
			   struct http_response *resp)
{
	struct cpage p;
	struct strategy_version_rec sv;
	struct strategy_set *set = NULL;
	struct simulate_table tb;
	char action[16], loc[160];
	char *text = arena_alloc(req->arena, CONSOLE_STRATEGY_TEXT_MAX + 1);
	int v, saved = 0, found = 0, r;
	struct err e, pe;

	memset(&sv, 0, sizeof(sv));
	memset(&tb, 0, sizeof(tb));
	if (cpage_open(req, resp, &p, 1) < 0 || cpage_post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	err_clear(&pe);
	if (!can_edit(&p)) {
		cpage_message(&p, 403, "Not allowed",
			      "Only a manager or an admin can change "
			      "strategies.");
		goto out;
	}
	v = path_version(&p);
	r = v < 0 ? -ERR_NOTFOUND : store_strategy_get(p.s, p.t.id, v, &sv, &e);
	if (r == -ERR_NOTFOUND) {
		cpage_message(&p, 404, "No such version",
			      "There is no such strategy version.");
		goto out;
	}
	if (r < 0) {
		server_error(&p, "reading a strategy version", &e);
		goto out;
	}
	if (cpage_form(&p, "action", action, sizeof(action)) < 0)
		action[0] = '\0';
	if (strcmp(action, "activate") == 0) {
		/* Checked again by today's loader, as the API does. */
		if (strategy_set_parse(SOURCE_NAME, sv.yaml, strlen(sv.yaml),
				       &set, &pe) < 0) {
			editor_page(&p, 422, v, sv.active, sv.yaml, pe.msg,
				    NULL);
			goto out;
		}
		r = save_or_activate(&p, NULL, v, &saved, &found, &e);
		if (r < 0) {
			server_error(&p, "activating a strategy version", &e);
			goto out;
		}
		snprintf(loc, sizeof(loc), "%s/strategies/%d", p.base, v);
		cpage_see_other(&p, loc);
		goto out;
	}
	if (strcmp(action, "preview") != 0 && strcmp(action, "save") != 0) {
		cpage_message(&p, 422, "Unknown action",
			      "That is not an action of this page.");
		goto out;
	}
	if (cpage_form(&p, "yaml", text, CONSOLE_STRATEGY_TEXT_MAX + 1) < 0) {
		editor_page(&p, 422, v, sv.active, "",
			    "The text is too long: at most 256 KiB.", NULL);
		goto out;
	}
	/* The loader `dunwell strategy load` and the API use. */
	if (strategy_set_parse(SOURCE_NAME, text, strlen(text), &set, &pe) <
	    0) {
		editor_page(&p, 422, v, sv.active, text,
			    pe.msg[0] ? pe.msg : "The strategy does not load.",
			    NULL);
		goto out;
	}
	if (strcmp(action, "save") == 0) {
		r = save_or_activate(&p, text, 0, &saved, &found, &e);
		if (r < 0) {
			server_error(&p, "saving a strategy version", &e);
			goto out;
		}
		snprintf(loc, sizeof(loc), "%s/strategies/%d", p.base, saved);
		cpage_see_other(&p, loc);
		goto out;
	}
	r = simulate_messages(p.s, &p.t, set, instant_date(req->now),
			      CONSOLE_PREVIEW_DAYS, CONSOLE_PREVIEW_CASES, &tb,
			      &e);
	if (r < 0) {
		server_error(&p, "simulating a strategy", &e);
		goto out;
	}
	editor_page(&p, 200, v, sv.active, text, NULL, &tb);
out:
	simulate_table_free(&tb);
	strategy_set_free(set);
	strategy_version_rec_clear(&sv);
	cpage_free(&p);
}

/* ---- experiments --------------------------------------------------------- */

/* An estimate "12.5% (95% CI 10.1% to 15.2%)"; percent when `pct`. */
static void estimate_cell(struct cpage *p, const struct experiment_estimate *x,
			  int pct, int ok)
{
	cpage_raw(p, "<td class=\"num\">");
	if (!ok) {
		cpage_raw(p, "–</td>");
		return;
	}
	if (pct) {
		escd(p, "%.1f%%", 100.0 * x->value);
		cpage_raw(p, "<br><small>95% CI ");
		escd(p, "%.1f", 100.0 * x->lo);
		cpage_raw(p, " to ");
		escd(p, "%.1f%%", 100.0 * x->hi);
	} else {
		escd(p, "%.1f", x->value);
		cpage_raw(p, "<br><small>95% CI ");
		escd(p, "%.1f", x->lo);
		cpage_raw(p, " to ");
		escd(p, "%.1f", x->hi);
	}
	cpage_raw(p, "</small></td>");
}

/* The comparisons of one challenger with the champion: a sentence per
 * metric from experiment_sentence. */
static void verdicts(struct cpage *p, const struct experiment_stat_rec *c0,
		     const struct experiment_stat_rec *c1)
{
	const struct currency *cur = currency_find(c0->currency);
	struct experiment_count a, b;
	struct experiment_moments ma, mb;
	struct experiment_diff d;
	struct buf out;
	struct err e;
	static const struct {
		enum experiment_metric m; const char *label;
	} props[] = {
		{ EXPERIMENT_CURE_RATE, "Cure rate" },
		{ EXPERIMENT_OPT_OUT_RATE, "Opt-outs" },
		{ EXPERIMENT_HELP_RATE, "Help requests" },
	};

	buf_init(&out, 2048);
	cpage_raw(p, "<h3>");
	cpage_esc(p, c1->strategy);
	cpage_raw(p, " (challenger) against ");
	cpage_esc(p, c0->strategy);
	cpage_raw(p, " (champion)</h3>\n<dl class=\"verdicts\">\n");
	for (size_t i = 0; i < sizeof(props) / sizeof(props[0]); i++) {
		int64_t ea = props[i].m == EXPERIMENT_CURE_RATE ? c0->resolved
			   : props[i].m == EXPERIMENT_OPT_OUT_RATE ? c0->opt_outs
								   : c0->help;
		int64_t eb = props[i].m == EXPERIMENT_CURE_RATE ? c1->resolved
			   : props[i].m == EXPERIMENT_OPT_OUT_RATE ? c1->opt_outs
								   : c1->help;
		a = (struct experiment_count){ ea, c0->cases };
		b = (struct experiment_count){ eb, c1->cases };
		buf_reset(&out);
		cpage_raw(p, "<dt>");
		cpage_esc(p, props[i].label);
		cpage_raw(p, "</dt><dd>");
		if (experiment_proportion_diff(&a, &b, &d, &e) == 0 &&
		    experiment_sentence(props[i].m, &a, &b, &d, cur, &out,
					&e) == 0)
			cpage_esc(p, buf_cstr(&out));
		else
			cpage_raw(p, "Not enough data yet.");
		cpage_raw(p, "</dd>\n");
	}
	/* Amount recovered per case: every case counts. */
	ma = (struct experiment_moments){ c0->cases, 0, (double)c0->amount_sum,
					  c0->amount_sumsq };
	mb = (struct experiment_moments){ c1->cases, 0, (double)c1->amount_sum,
					  c1->amount_sumsq };
	a = (struct experiment_count){ c0->cases, c0->cases };
	b = (struct experiment_count){ c1->cases, c1->cases };
	buf_reset(&out);
	cpage_raw(p, "<dt>Amount recovered per case</dt><dd>");
	if (cur && experiment_mean_diff(&ma, &mb, &d, &e) == 0 &&
	    experiment_sentence(EXPERIMENT_AMOUNT, &a, &b, &d, cur, &out,
				&e) == 0)
		cpage_esc(p, buf_cstr(&out));
	else
		cpage_raw(p, "Not enough data yet.");
	cpage_raw(p, "</dd>\n");
	/* Days to pay: the resolved cases only. */
	ma = (struct experiment_moments){ c0->resolved, 0, c0->days_sum,
					  c0->days_sumsq };
	mb = (struct experiment_moments){ c1->resolved, 0, c1->days_sum,
					  c1->days_sumsq };
	a = (struct experiment_count){ c0->resolved, c0->cases };
	b = (struct experiment_count){ c1->resolved, c1->cases };
	buf_reset(&out);
	cpage_raw(p, "<dt>Days to pay</dt><dd>");
	if (experiment_mean_diff(&ma, &mb, &d, &e) == 0 &&
	    experiment_sentence(EXPERIMENT_DAYS_TO_PAY, &a, &b, &d, cur, &out,
				&e) == 0)
		cpage_esc(p, buf_cstr(&out));
	else
		cpage_raw(p, "Not enough data yet.");
	cpage_raw(p, "</dd>\n</dl>\n");
	buf_free(&out);
}

/* One experiment in one currency: rows [first, last). */
static void experiment_section(struct cpage *p,
			       const struct experiment_stat_rec *rows,
			       size_t n)
{
	char a[CPAGE_AMOUNT_MAX];
	struct err e;

	cpage_raw(p, "<section>\n<h2>");
	cpage_esc(p, rows[0].experiment_id);
	cpage_raw(p, " <span class=\"tag\">");
	cpage_esc(p, rows[0].currency);
	cpage_raw(p, "</span></h2>\n<div class=\"scroll\" role=\"region\" "
		  "tabindex=\"0\" aria-label=\"Variants of ");
	cpage_esc(p, rows[0].experiment_id);
	cpage_raw(p, "\">\n<table>\n<caption>Each variant with its 95% "
		  "confidence interval</caption>\n<thead><tr><th scope=\"col\">"
		  "Variant</th><th scope=\"col\" class=\"num\">Cases</th>"
		  "<th scope=\"col\" class=\"num\">Cure rate</th><th "
		  "scope=\"col\" class=\"num\">Amount recovered</th><th "
		  "scope=\"col\" class=\"num\">Per case</th><th scope=\"col\" "
		  "class=\"num\">Days to pay (mean)</th><th scope=\"col\" "
		  "class=\"num\">Messages per cure</th><th scope=\"col\" "
		  "class=\"num\">Opt-outs</th><th scope=\"col\" class=\"num\">"
		  "Help requests</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const struct experiment_stat_rec *x = &rows[i];
		struct experiment_count c;
		struct experiment_moments m;
		struct experiment_estimate est;
		double ratio;
		int ok;

		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, x->strategy);
		cpage_raw(p, x->variant == 0 ? " (champion)" : "");
		cpage_raw(p, "</th><td class=\"num\">");
		cpage_escf(p, "%lld", (long long)x->cases);
		cpage_raw(p, "</td>");
		c = (struct experiment_count){ x->resolved, x->cases };
		ok = experiment_proportion(&c, &est, &e) == 0;
		estimate_cell(p, &est, 1, ok);
		cpage_raw(p, "<td class=\"num\">");
		cpage_esc(p, cpage_money(p, x->amount_sum, x->currency, a));
		cpage_raw(p, "</td>");
		m = (struct experiment_moments){ x->cases, 0,
						 (double)x->amount_sum,
						 x->amount_sumsq };
		ok = experiment_mean(&m, &est, &e) == 0;
		{
			/* minor units into the currency's major unit */
			const struct currency *cur = currency_find(x->currency);
			double scale = 1.0;
			for (int k = 0; cur && k < cur->exponent; k++)
				scale *= 10.0;
			est.value /= scale;
			est.lo /= scale;
			est.hi /= scale;
		}
		estimate_cell(p, &est, 0, ok);
		m = (struct experiment_moments){ x->resolved, 0, x->days_sum,
						 x->days_sumsq };
		ok = experiment_mean(&m, &est, &e) == 0;
		estimate_cell(p, &est, 0, ok);
		cpage_raw(p, "<td class=\"num\">");
		if (experiment_ratio(x->messages, x->resolved, &ratio, &e) == 0)
			escd(p, "%.2f", ratio);
		else
			cpage_raw(p, "–");
		cpage_raw(p, "</td>");
		c = (struct experiment_count){ x->opt_outs, x->cases };
		ok = experiment_proportion(&c, &est, &e) == 0;
		estimate_cell(p, &est, 1, ok);
		c = (struct experiment_count){ x->help, x->cases };
		ok = experiment_proportion(&c, &est, &e) == 0;
		estimate_cell(p, &est, 1, ok);
		cpage_raw(p, "</tr>\n");
	}
	cpage_raw(p, "</tbody>\n</table>\n</div>\n");
	for (size_t i = 0; i < n; i++)
		if (rows[i].variant != rows[0].variant)
			verdicts(p, &rows[0], &rows[i]);
	cpage_raw(p, "</section>\n");
}

void console_experiments(const struct http_request *req,
			 struct http_response *resp)
{
	struct cpage p;
	struct experiment_stat_rec *rows = NULL;
	size_t n = 0;
	struct err e;

	if (cpage_open(req, resp, &p, 1) < 0)
		goto out;
	err_clear(&e);
	if (store_experiment_stats(p.s, p.t.id, &rows, &n, &e) < 0) {
		server_error(&p, "counting experiments", &e);
		goto out;
	}
	cpage_begin(&p, 200, "Experiments");
	cpage_raw(&p, "<h1>Experiments</h1>\n<p>A rule of a strategy can split "
		  "its cases between strategies (champion and challengers); "
		  "each customer always gets the same one. A case is cured "
		  "when it is resolved (paid); days to pay count from the "
		  "case's opening to its resolution; amounts are what the "
		  "customer paid while the case was open; an opt-out is a "
		  "customer who is now do-not-contact.</p>\n");
	if (!n)
		cpage_raw(&p, "<p role=\"status\">No case is in an experiment "
			  "yet.</p>\n");
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && strcmp(rows[j].experiment_id,
				       rows[i].experiment_id) == 0 &&
		       strcmp(rows[j].currency, rows[i].currency) == 0)
			j++;
		experiment_section(&p, rows + i, j - i);
		i = j;
	}
	cpage_end(&p);
out:
	experiment_stat_list_free(rows, n);
	cpage_free(&p);
}
