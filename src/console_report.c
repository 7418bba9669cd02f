/*
 * console_report: the reports pages of the console (see console_report.h).
 *
 * One section per figure, each a <figure> with its chart (svgchart: the
 * SVG names itself by its <title> and <desc>) beside a <table> of the same
 * numbers with a <caption> and header cells, and a link to the CSV. Money
 * cannot be added across currencies, so the page shows one currency at a
 * time (the one with most cases unless ?currency= names another); the CSV
 * exports hold every currency.
 */
#include "console_report.h"
#include "console_page.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"
#include "report.h"
#include "serve.h"
#include "svgchart.h"

#define CHART_MAX (256 * 1024) /* bytes of one chart's SVG */

/* What each recovery grouping is called on the page. */
static const struct {
	const char *title;   /* the section's heading */
	const char *column;  /* the table's first column */
	const char *none;    /* the group of cases without one */
} dims[REPORT_DIMS] = {
	[REPORT_STEP] = { "Recovery by step", "Last step reached",
			  "no message yet" },
	[REPORT_CHANNEL] = { "Recovery by channel", "Last channel",
			     "no message yet" },
	[REPORT_TONE] = { "Recovery by tone", "Tone of the last message",
			  "no message yet" },
	[REPORT_SEGMENT] = { "Recovery by segment", "Segment",
			     "no segment" },
	[REPORT_STRATEGY] = { "Recovery by strategy", "Strategy",
			      "no strategy" },
};

/*
 * "Refresh now" runs on a thread of its own, with its own connection: on
 * a million cases a refresh reads for seconds, and the request's thread
 * serves other people's pages meanwhile. The page waits for it a little
 * (REFRESH_WAIT_MS: a small tenant's figures are there on the next page),
 * else says they are being made. One refresh at a time per process.
 */
#define REFRESH_WAIT_MS 2000

struct refresh_job {
	char *target;        /* the store to open (store_target) */
	int64_t tenant_id;   /* whose figures */
	instant_t now;       /* the refresh's clock */
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t done_cond; /* signalled when a refresh ends */
	int running;              /* a refresh is under way */
	long finished;            /* refreshes ended so far */
	int last_r;               /* the last one's result */
} refresher = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0,
		0, 0 };

static void *refresh_main(void *arg)
{
	struct refresh_job *job = arg;
	struct store *s = NULL;
	struct err e;
	int r;

	err_clear(&e);
	r = store_open_raw(job->target, &s, &e);
	if (r == 0)
		r = report_refresh(s, job->tenant_id, job->now, &e);
	if (s)
		store_close(s);
	if (r < 0) {
		/* a JSON log line, as the server's: the tenant's id and the
		 * store's message (no personal data), quotes and controls
		 * blanked */
		for (char *c = e.msg; *c; c++)
			if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
				*c = ' ';
		fprintf(stderr, "{\"event\":\"report_refresh_failed\","
			"\"tenant\":%lld,\"error\":\"%.200s\"}\n",
			(long long)job->tenant_id, e.msg);
	}
	free(job->target);
	free(job);
	pthread_mutex_lock(&refresher.lock);
	refresher.running = 0;
	refresher.finished++;
	refresher.last_r = r;
	pthread_cond_broadcast(&refresher.done_cond);
	pthread_mutex_unlock(&refresher.lock);
	return NULL;
}

/* Start a refresh and wait for it at most REFRESH_WAIT_MS. 1: done (its
 * result in *ret_r); 0: still running; -1: one was running already or no
 * thread could be started. */
static int refresh_start(struct store *s, int64_t tenant_id, instant_t now,
			 int *ret_r)
{
	struct refresh_job *job;
	pthread_attr_t attr;
	pthread_t t;
	struct timespec until;
	long ticket;
	int started, done = 0;

	pthread_mutex_lock(&refresher.lock);
	if (refresher.running) {
		pthread_mutex_unlock(&refresher.lock);
		return -1;
	}
	job = xcalloc(1, sizeof(*job));
	job->target = xstrdup(store_target(s));
	job->tenant_id = tenant_id;
	job->now = now;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	started = pthread_create(&t, &attr, refresh_main, job) == 0;
	pthread_attr_destroy(&attr);
	if (!started) {
		pthread_mutex_unlock(&refresher.lock);
		free(job->target);
		free(job);
		return -1;
	}
	refresher.running = 1;
	ticket = refresher.finished;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += REFRESH_WAIT_MS / 1000;
	until.tv_nsec += (REFRESH_WAIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (refresher.finished == ticket &&
	       pthread_cond_timedwait(&refresher.done_cond, &refresher.lock,
				      &until) != ETIMEDOUT)
		;
	if (refresher.finished != ticket) {
		done = 1;
		*ret_r = refresher.last_r;
	}
	pthread_mutex_unlock(&refresher.lock);
	return done;
}

/* A chart drawn into its own buffer, then put on the page as it is
 * (svgchart escapes every text it is given). */
static void put_chart(struct cpage *p, struct buf *svg, int r)
{
	if (r == 0)
		cpage_raw(p, buf_cstr(svg));
	else
		cpage_raw(p, "<p>The chart could not be drawn; the table has "
			  "the figures.</p>\n");
	buf_free(svg);
}

static void figure_start(struct cpage *p, const char *caption)
{
	cpage_raw(p, "<div class=\"report-pair\">\n<figure>\n<figcaption>");
	cpage_esc(p, caption);
	cpage_raw(p, "</figcaption>\n");
}

static void table_start(struct cpage *p, const char *label,
			const char *caption)
{
	cpage_raw(p, "</figure>\n<div class=\"scroll\" role=\"region\" "
		  "tabindex=\"0\" aria-label=\"");
	cpage_esc(p, label);
	cpage_raw(p, "\">\n<table>\n<caption>");
	cpage_esc(p, caption);
	cpage_raw(p, "</caption>\n");
}

static void table_end(struct cpage *p, const char *csv, const char *what)
{
	cpage_raw(p, "</tbody>\n</table>\n</div>\n</div>\n<p><a href=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/reports/");
	cpage_esc(p, csv);
	cpage_raw(p, ".csv\">Download ");
	cpage_esc(p, what);
	cpage_raw(p, " as CSV</a> (every currency)</p>\n");
}

static void section_end(struct cpage *p)
{
	cpage_raw(p, "</section>\n");
}

static void section_start(struct cpage *p, const char *id, const char *title)
{
	cpage_raw(p, "<section aria-labelledby=\"");
	cpage_esc(p, id);
	cpage_raw(p, "\">\n<h2 id=\"");
	cpage_esc(p, id);
	cpage_raw(p, "\">");
	cpage_esc(p, title);
	cpage_raw(p, "</h2>\n");
}

static void th_cols(struct cpage *p, const char *const *cols, size_t n)
{
	cpage_raw(p, "<thead><tr>");
	for (size_t i = 0; i < n; i++) {
		cpage_raw(p, i ? "<th scope=\"col\" class=\"num\">"
			       : "<th scope=\"col\">");
		cpage_esc(p, cols[i]);
		cpage_raw(p, "</th>");
	}
	cpage_raw(p, "</tr></thead>\n<tbody>\n");
}

static const char *pct(int permille, char *buf)
{
	if (permille < 0) {
		snprintf(buf, 24, "–");
		return buf;
	}
	snprintf(buf, 24, "%d.%d %%", permille / 10, permille % 10);
	return buf;
}

static int permille_of(int64_t a, int64_t b)
{
	if (b <= 0)
		return -1;
	return (int)((a * 1000 + b / 2) / b);
}

/* ---- recovery by step, channel, tone, segment, strategy ---------------- */

static void recovery(struct cpage *p, const struct report *r,
		     enum report_dim d, const char *cur)
{
	struct svgchart_bar bars[CONSOLE_REPORT_BARS_MAX];
	char amounts[CONSOLE_REPORT_BARS_MAX][CPAGE_AMOUNT_MAX];
	char id[32], cap[160], a[CPAGE_AMOUNT_MAX], t[24];
	static const char *const cols[] = { "", "Cases", "Cured",
					     "Cure rate", "Recovered" };
	const char *c[5];
	size_t nb = 0, shown = 0, total = 0;
	struct buf svg;
	struct err e;
	int rc;

	for (size_t i = 0; i < r->n_groups[d]; i++) {
		const struct report_group *g = &r->groups[d][i];
		if (strcmp(g->currency, cur) != 0)
			continue;
		total++;
		if (nb < CONSOLE_REPORT_BARS_MAX) {
			bars[nb].label = *g->key ? g->key : dims[d].none;
			bars[nb].value = g->recovered_minor;
			bars[nb].value_text = cpage_money(p, g->recovered_minor,
							  cur, amounts[nb]);
			nb++;
		}
	}
	snprintf(id, sizeof(id), "by-%s", report_dim_name(d));
	section_start(p, id, dims[d].title);
	snprintf(cap, sizeof(cap), "Amount recovered in %s by %s%s", cur,
		 report_dim_name(d),
		 total > nb ? " (the groups with most cases)" : "");
	figure_start(p, cap);
	snprintf(id, sizeof(id), "chart-%s", report_dim_name(d));
	buf_init(&svg, CHART_MAX);
	err_clear(&e);
	rc = svgchart_bars(&svg, id, cap,
			   "Horizontal bars, one per group, longest for the "
			   "largest amount recovered; the table that follows "
			   "has the same figures with cases and cure rates.",
			   bars, nb, &e);
	put_chart(p, &svg, rc);
	snprintf(cap, sizeof(cap), "%s, %s: cases, cured (resolved), cure "
		 "rate and amount recovered", dims[d].title, cur);
	table_start(p, dims[d].title, cap);
	memcpy(c, cols, sizeof(c));
	c[0] = dims[d].column;
	th_cols(p, c, 5);
	for (size_t i = 0; i < r->n_groups[d]; i++) {
		const struct report_group *g = &r->groups[d][i];
		if (strcmp(g->currency, cur) != 0)
			continue;
		if (shown++ == CONSOLE_REPORT_ROWS_MAX)
			break;
		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, *g->key ? g->key : dims[d].none);
		cpage_raw(p, "</th><td class=\"num\">");
		cpage_escf(p, "%lld", (long long)g->cases);
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_escf(p, "%lld", (long long)g->cured);
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, pct(g->cure_permille, t));
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, cpage_money(p, g->recovered_minor, cur, a));
		cpage_raw(p, "</td></tr>\n");
	}
	if (total > CONSOLE_REPORT_ROWS_MAX) {
		cpage_raw(p, "<tr><td colspan=\"5\">");
		cpage_escf(p, "%lld groups in all: the CSV has every one.",
			   (long long)total);
		cpage_raw(p, "</td></tr>\n");
	}
	table_end(p, report_dim_name(d), dims[d].title);
	section_end(p);
}

/* ---- the portal -------------------------------------------------------- */

static void portal(struct cpage *p, const struct report *r)
{
	const struct report_portal *pt = &r->portal;
	const struct {
		const char *label;  /* what happened */
		int64_t n;          /* cases */
	} m[] = {
		{ "Visited their page", pt->visited },
		{ "Paid", pt->paid },
		{ "Set up a plan", pt->plan },
		{ "Chose a later date", pt->postponed },
		{ "Asked for help", pt->help },
	};
	enum { NM = sizeof(m) / sizeof(m[0]) };
	struct svgchart_bar bars[NM];
	char texts[NM][48], t[24];
	static const char *const cols[] = { "Cases that", "Cases",
					     "Share of the visited" };
	struct buf svg;
	struct err e;

	for (size_t i = 0; i < NM; i++) {
		bars[i].label = m[i].label;
		bars[i].value = m[i].n;
		if (i == 0)
			snprintf(texts[i], sizeof(texts[i]), "%lld",
				 (long long)m[i].n);
		else
			snprintf(texts[i], sizeof(texts[i]), "%lld (%s)",
				 (long long)m[i].n,
				 pct(permille_of(m[i].n, pt->visited), t));
		bars[i].value_text = texts[i];
	}
	section_start(p, "portal", "Self-service on the portal");
	cpage_raw(p, "<p>Of the cases whose personal page was visited, those "
		  "that paid, set up a plan, chose a later date or asked for "
		  "help on or after the day of their first visit. ");
	cpage_escf(p, "%lld", (long long)pt->visit_days);
	cpage_raw(p, " days with a visit in all (one a day per case).</p>\n");
	figure_start(p, "Conversion on the portal");
	buf_init(&svg, CHART_MAX);
	err_clear(&e);
	put_chart(p, &svg,
		  svgchart_bars(&svg, "chart-portal", "Conversion on the "
				"portal", "Horizontal bars: cases that "
				"visited, then of those how many paid, set up "
				"a plan, chose a later date or asked for help.",
				bars, NM, &e));
	table_start(p, "Conversion on the portal",
		    "Conversion on the portal: cases and share of those "
		    "that visited");
	th_cols(p, cols, 3);
	for (size_t i = 0; i < NM; i++) {
		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, m[i].label);
		cpage_raw(p, "</th><td class=\"num\">");
		cpage_escf(p, "%lld", (long long)m[i].n);
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, pct(permille_of(m[i].n, pt->visited), t));
		cpage_raw(p, "</td></tr>\n");
	}
	table_end(p, "portal", "the conversion");
	section_end(p);
}

/* ---- days sales outstanding ---------------------------------------------- */

static const char *dso_text(int64_t tenths, char *buf)
{
	if (tenths < 0)
		snprintf(buf, 48, "– (nothing invoiced in 90 days)");
	else
		snprintf(buf, 48, "%lld.%lld days", (long long)(tenths / 10),
			 (long long)(tenths % 10));
	return buf;
}

static void dso(struct cpage *p, const struct report *r, const char *cur)
{
	struct svgchart_bar bars[REPORT_BANDS];
	char amounts[REPORT_BANDS][CPAGE_AMOUNT_MAX], a[CPAGE_AMOUNT_MAX];
	char t[48], cap[128];
	static const char *const cols[] = { "Currency", "Open receivables",
					     "Credit sales, last 90 days",
					     "DSO" };
	static const char *const aging_cols[] = { "Days past due", "Invoices",
						   "Open" };
	const struct report_dso *sel = NULL;
	struct buf svg;
	struct err e;

	section_start(p, "dso", "Days sales outstanding");
	cpage_raw(p, "<p>DSO = open receivables ÷ credit sales of the last "
		  "90 days × 90, where credit sales are the invoices issued "
		  "in the 90 days up to the date of the figures.</p>\n");
	for (size_t k = 0; k < r->n_dso; k++)
		if (strcmp(r->dso[k].currency, cur) == 0)
			sel = &r->dso[k];
	snprintf(cap, sizeof(cap), "Open receivables in %s by days past due",
		 cur);
	figure_start(p, cap);
	for (int b = 0; b < REPORT_BANDS; b++) {
		bars[b].label = report_band_names[b];
		bars[b].value = sel ? sel->band_minor[b] : 0;
		bars[b].value_text = cpage_money(p, bars[b].value, cur,
						 amounts[b]);
	}
	buf_init(&svg, CHART_MAX);
	err_clear(&e);
	put_chart(p, &svg,
		  svgchart_bars(&svg, "chart-aging", cap, "Horizontal bars, "
				"one per band of days past due, from not yet "
				"due to over 90 days.", bars, REPORT_BANDS,
				&e));
	table_start(p, "Days sales outstanding",
		    "Days sales outstanding by currency");
	th_cols(p, cols, 4);
	for (size_t k = 0; k < r->n_dso; k++) {
		const struct report_dso *d = &r->dso[k];
		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, d->currency);
		cpage_raw(p, "</th><td class=\"num\">");
		cpage_esc(p, cpage_money(p, d->open_minor, d->currency, a));
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, cpage_money(p, d->sales90_minor, d->currency, a));
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, dso_text(d->dso_tenths, t));
		cpage_raw(p, "</td></tr>\n");
	}
	cpage_raw(p, "</tbody>\n</table>\n<table>\n<caption>");
	cpage_esc(p, cap);
	cpage_raw(p, "</caption>\n");
	th_cols(p, aging_cols, 3);
	for (int b = 0; b < REPORT_BANDS; b++) {
		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, report_band_names[b]);
		cpage_raw(p, "</th><td class=\"num\">");
		cpage_escf(p, "%lld", sel ? (long long)sel->band_invoices[b] : 0);
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, amounts[b]);
		cpage_raw(p, "</td></tr>\n");
	}
	table_end(p, "dso", "DSO");
	cpage_raw(p, "<p><a href=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/reports/aging.csv\">Download the open receivables by "
		  "days past due as CSV</a> (every currency)</p>\n");
	section_end(p);
}

/* ---- cohorts ----------------------------------------------------------- */

static void cohorts(struct cpage *p, const struct report *r, const char *cur)
{
	int64_t xs[REPORT_POINTS];
	char xl[REPORT_POINTS][8], t[24], cap[128], a[CPAGE_AMOUNT_MAX];
	const char *xlabels[REPORT_POINTS];
	int64_t ys[CONSOLE_REPORT_COHORTS_MAX][REPORT_POINTS];
	struct svgchart_line lines[CONSOLE_REPORT_COHORTS_MAX];
	struct svgchart_axes ax;
	size_t nl = 0, first = 0, count = 0;
	struct buf svg;
	struct err e;

	for (size_t c = 0; c < r->n_cohorts; c++)
		count += strcmp(r->cohorts[c].currency, cur) == 0;
	/* The latest months when there are more than fit. */
	if (count > CONSOLE_REPORT_COHORTS_MAX)
		first = count - CONSOLE_REPORT_COHORTS_MAX;
	for (int k = 0; k < REPORT_POINTS; k++) {
		xs[k] = report_points[k];
		snprintf(xl[k], sizeof(xl[k]), "%d", report_points[k]);
		xlabels[k] = xl[k];
	}
	count = 0;
	for (size_t c = 0; c < r->n_cohorts; c++) {
		const struct report_cohort *co = &r->cohorts[c];
		if (strcmp(co->currency, cur) != 0 || count++ < first)
			continue;
		for (int k = 0; k < REPORT_POINTS; k++)
			ys[nl][k] = co->share_permille[k] < 0
					    ? SVGCHART_NONE
					    : co->share_permille[k];
		lines[nl].name = co->month;
		lines[nl].y = ys[nl];
		nl++;
	}
	memset(&ax, 0, sizeof(ax));
	ax.x = xs;
	ax.x_labels = xlabels;
	ax.nx = REPORT_POINTS;
	ax.x_title = "days since the due date";
	ax.y_max = 1000;
	ax.y_ticks[0] = "0 %";
	ax.y_ticks[1] = "25 %";
	ax.y_ticks[2] = "50 %";
	ax.y_ticks[3] = "75 %";
	ax.y_ticks[4] = "100 %";

	section_start(p, "cohorts", "Recovery by days since due");
	cpage_raw(p, "<p>Invoices by the month they fell due; the share of "
		  "their amount paid by each number of days after the due "
		  "date (payments count towards a customer's invoices oldest "
		  "due first). A month shows a point once all of it has "
		  "reached it.</p>\n");
	snprintf(cap, sizeof(cap), "Share of the amount due paid, by days "
		 "since due, invoices in %s by month due", cur);
	figure_start(p, cap);
	buf_init(&svg, CHART_MAX);
	err_clear(&e);
	put_chart(p, &svg,
		  svgchart_lines(&svg, "chart-cohorts", cap, "One line per "
				 "month of due dates, rising from the share "
				 "paid by the due date to the share paid 90 "
				 "days after it.", &ax, lines, nl, &e));
	table_start(p, "Recovery by days since due", cap);
	cpage_raw(p, "<thead><tr><th scope=\"col\">Month due</th><th "
		  "scope=\"col\" class=\"num\">Invoices</th><th scope=\"col\" "
		  "class=\"num\">Amount due</th>");
	for (int k = 0; k < REPORT_POINTS; k++) {
		cpage_raw(p, "<th scope=\"col\" class=\"num\">Day ");
		cpage_escf(p, "%lld", (long long)report_points[k]);
		cpage_raw(p, "</th>");
	}
	cpage_raw(p, "</tr></thead>\n<tbody>\n");
	for (size_t c = 0; c < r->n_cohorts; c++) {
		const struct report_cohort *co = &r->cohorts[c];
		if (strcmp(co->currency, cur) != 0)
			continue;
		cpage_raw(p, "<tr><th scope=\"row\">");
		cpage_esc(p, co->month);
		cpage_raw(p, "</th><td class=\"num\">");
		cpage_escf(p, "%lld", (long long)co->invoices);
		cpage_raw(p, "</td><td class=\"num\">");
		cpage_esc(p, cpage_money(p, co->due_minor, cur, a));
		cpage_raw(p, "</td>");
		for (int k = 0; k < REPORT_POINTS; k++) {
			cpage_raw(p, "<td class=\"num\">");
			cpage_esc(p, pct(co->share_permille[k], t));
			cpage_raw(p, "</td>");
		}
		cpage_raw(p, "</tr>\n");
	}
	table_end(p, "cohort", "the cohorts");
	section_end(p);
}

/* ---- the page ---------------------------------------------------------- */

/* The currency to show: ?currency= when the report has it, else the one
 * with most cases; "" when there is none. */
static const char *pick_currency(const struct cpage *p,
				 const struct report *r)
{
	const char *want = http_query(p->req, "currency");
	for (size_t k = 0; want && k < r->n_currencies; k++)
		if (strcmp(r->currencies[k], want) == 0)
			return r->currencies[k];
	return r->n_currencies ? r->currencies[0] : "";
}

static void refresh_form(struct cpage *p, const char *label)
{
	cpage_raw(p, "<form method=\"post\" action=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/reports\">\n");
	cpage_hidden_csrf(p);
	cpage_raw(p, "<button type=\"submit\">");
	cpage_esc(p, label);
	cpage_raw(p, "</button>\n</form>\n");
}

void console_reports(const struct http_request *req,
		     struct http_response *resp)
{
	struct cpage p;
	struct report *r = NULL;
	char w[INSTANT_FMT_MAX], d[DATE_FMT_MAX];
	const char *cur;
	struct err e;

	if (cpage_open(req, resp, &p, 1) < 0)
		goto out;
	err_clear(&e);
	if (report_load(p.s, p.t.id, &r, &e) < 0) {
		http_log(req, "error", "console: reading the reports failed");
		cpage_message(&p, 500, "Something went wrong",
			      "The reports could not be read; try again.");
		goto out;
	}
	cpage_begin(&p, 200, "Reports");
	cpage_raw(&p, "<h1>Reports</h1>\n");
	if (!r->info.refreshed_at) {
		cpage_raw(&p, "<p role=\"status\">There are no figures yet: "
			  "they are made at the end of each daily run, or "
			  "now.</p>\n");
		if (http_query(req, "making"))
			cpage_raw(&p, "<p role=\"status\">They are being made; "
				  "reload this page in a minute.</p>\n");
		refresh_form(&p, "Make the figures now");
		cpage_end(&p);
		goto out;
	}
	date_format(r->info.as_of, d);
	cpage_raw(&p, "<p>Figures as of <time datetime=\"");
	cpage_esc(&p, d);
	cpage_raw(&p, "\">");
	cpage_esc(&p, d);
	cpage_raw(&p, "</time>, made at <time datetime=\"");
	cpage_esc(&p, cpage_when(r->info.refreshed_at, w));
	cpage_raw(&p, "\">");
	cpage_esc(&p, w);
	cpage_raw(&p, "</time>.</p>\n");
	if (http_query(req, "making"))
		cpage_raw(&p, "<p role=\"status\">New figures are being made; "
			  "reload this page in a minute to see them.</p>\n");
	refresh_form(&p, "Refresh now");
	cur = pick_currency(&p, r);
	if (!*cur) {
		cpage_raw(&p, "<p role=\"status\">The figures are empty: there "
			  "are no cases or invoices yet.</p>\n");
		cpage_end(&p);
		goto out;
	}
	if (r->n_currencies > 1) {
		cpage_raw(&p, "<form method=\"get\" action=\"");
		cpage_esc(&p, p.base);
		cpage_raw(&p, "/reports\">\n<label for=\"currency\">Amounts "
			  "in</label>\n<select id=\"currency\" name=\"currency\">\n");
		for (size_t k = 0; k < r->n_currencies; k++) {
			cpage_raw(&p, "<option");
			if (strcmp(r->currencies[k], cur) == 0)
				cpage_raw(&p, " selected");
			cpage_raw(&p, ">");
			cpage_esc(&p, r->currencies[k]);
			cpage_raw(&p, "</option>\n");
		}
		cpage_raw(&p, "</select>\n<button type=\"submit\">Show</button>\n"
			  "</form>\n");
	}
	cpage_raw(&p, "<nav aria-label=\"Reports\"><ul>"
		  "<li><a href=\"#by-step\">By step</a></li>"
		  "<li><a href=\"#by-channel\">By channel</a></li>"
		  "<li><a href=\"#by-tone\">By tone</a></li>"
		  "<li><a href=\"#by-segment\">By segment</a></li>"
		  "<li><a href=\"#by-strategy\">By strategy</a></li>"
		  "<li><a href=\"#portal\">Portal</a></li>"
		  "<li><a href=\"#dso\">Days sales outstanding</a></li>"
		  "<li><a href=\"#cohorts\">By days since due</a></li>"
		  "</ul></nav>\n");
	cpage_raw(&p, "<p>A case counts under the last message decided for it "
		  "(its step, channel and tone), each segment of its customer "
		  "and its strategy. Cured: resolved (paid). Recovered: what "
		  "the customer paid in the case's currency while it was "
		  "open.</p>\n");
	for (int dd = 0; dd < REPORT_DIMS; dd++)
		recovery(&p, r, (enum report_dim)dd, cur);
	portal(&p, r);
	dso(&p, r, cur);
	cohorts(&p, r, cur);
	cpage_end(&p);
out:
	report_free(r);
	cpage_free(&p);
}

void console_reports_refresh(const struct http_request *req,
			     struct http_response *resp)
{
	struct cpage p;
	struct report_info info;
	struct report_row *rows = NULL;
	size_t n = 0;
	char loc[128];
	struct err e;

	if (cpage_open(req, resp, &p, 1) < 0 || cpage_post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (store_report_rows(p.s, p.t.id, &info, &rows, &n, &e) < 0) {
		http_log(req, "error", "console: reading the reports failed");
		cpage_message(&p, 500, "Something went wrong",
			      "The reports could not be read; try again.");
		goto out;
	}
	/* A refresh reads every case: one a minute is plenty. */
	if (info.refreshed_at && req->now >= info.refreshed_at &&
	    req->now - info.refreshed_at < CONSOLE_REPORT_REFRESH_GAP) {
		http_response_header(resp, "Retry-After", "60");
		cpage_message(&p, 429, "Just refreshed",
			      "The figures were made less than a minute ago; "
			      "try again in a minute.");
		goto out;
	}
	{
		int rr = 0, st = refresh_start(p.s, p.t.id, req->now, &rr);
		if (st < 0) {
			http_response_header(resp, "Retry-After", "60");
			cpage_message(&p, 429, "Being made",
				      "The figures are being made already; "
				      "reload the reports in a minute.");
			goto out;
		}
		if (st == 1 && rr < 0) {
			http_log(req, "error",
				 "console: refreshing the reports failed");
			cpage_message(&p, 500, "Something went wrong",
				      "The figures could not be made; try "
				      "again.");
			goto out;
		}
		snprintf(loc, sizeof(loc), "%s/reports%s", p.base,
			 st == 1 ? "" : "?making=1");
	}
	cpage_see_other(&p, loc);
out:
	report_row_list_free(rows, n);
	cpage_free(&p);
}

void console_report_csv(const struct http_request *req,
			struct http_response *resp)
{
	struct cpage p;
	struct report *r = NULL;
	const char *file = http_param(req, "file");
	char name[32], *disp;
	size_t len = file ? strlen(file) : 0;
	int known = 0;
	struct err e;

	if (cpage_open(req, resp, &p, 1) < 0)
		goto out;
	if (len > 4 && len - 4 < sizeof(name) &&
	    strcmp(file + len - 4, ".csv") == 0) {
		memcpy(name, file, len - 4);
		name[len - 4] = '\0';
		for (const char *const *k = report_csv_names; *k; k++)
			known |= strcmp(*k, name) == 0;
	}
	if (!known) {
		cpage_message(&p, 404, "No such report",
			      "There is no such report to download.");
		goto out;
	}
	err_clear(&e);
	if (report_load(p.s, p.t.id, &r, &e) < 0 ||
	    report_csv(r, name, p.out, &e) < 0) {
		http_log(req, "error", "console: a report export failed");
		buf_reset(p.out);
		cpage_message(&p, 500, "Something went wrong",
			      "The report could not be exported; try again.");
		goto out;
	}
	disp = arena_alloc(req->arena, 96);
	snprintf(disp, 96, "attachment; filename=\"%s-%s.csv\"", name,
		 r->info.as_of != DATE_NONE ? "" : "empty");
	if (r->info.as_of != DATE_NONE) {
		char d[DATE_FMT_MAX];
		date_format(r->info.as_of, d);
		snprintf(disp, 96, "attachment; filename=\"%s-%s.csv\"", name,
			 d);
	}
	resp->status = 200;
	resp->content_type = "text/csv; charset=utf-8";
	http_response_header(resp, "Content-Disposition", disp);
	http_response_header(resp, "X-Content-Type-Options", "nosniff");
	http_response_header(resp, "Cache-Control", "no-store");
out:
	report_free(r);
	cpage_free(&p);
}
