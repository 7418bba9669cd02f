/*
 * report: the figures of the console's reports (see report.h).
 */
#include "report.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "money.h"

const int report_points[REPORT_POINTS] = { 0, 7, 14, 21, 28, 35, 42,
					   49, 56, 63, 70, 77, 84, 90 };

const char *const report_band_names[REPORT_BANDS] = {
	"not yet due", "1-30 days", "31-60 days", "61-90 days",
	"over 90 days",
};

static const char *const dim_names[REPORT_DIMS] = {
	"step", "channel", "tone", "segment", "strategy",
};

const char *const report_csv_names[] = {
	"step", "channel", "tone", "segment", "strategy",
	"portal", "dso", "aging", "cohort", NULL,
};

const char *report_dim_name(enum report_dim d)
{
	return d < REPORT_DIMS ? dim_names[d] : "";
}

/* ---- refreshing and loading ---------------------------------------------- */

int report_refresh(struct store *s, int64_t tenant_id, instant_t now,
		   struct err *e)
{
	/* the store takes its own transactions (see store.h) */
	int r = store_report_refresh(s, tenant_id, instant_date(now), now, e);
	if (r < 0)
		err_prefix(e, "refreshing the reports: ");
	return r;
}

int report_command(struct store *s, const struct tenant_rec *t, int npos,
		   const char *const *pos, instant_t now, size_t *ret_rows,
		   struct err *e)
{
	struct report_info info;
	struct report_row *rows = NULL;
	size_t n = 0;
	int r;

	if (npos != 1 || strcmp(pos[0], "refresh") != 0)
		return err_set(e, ERR_INVALID, "usage: dunwell report refresh"
			       " --tenant SLUG [--as-of INSTANT]");
	r = report_refresh(s, t->id, now, e);
	if (r == 0)
		r = store_report_rows(s, t->id, &info, &rows, &n, e);
	if (r == 0)
		*ret_rows = n;
	report_row_list_free(rows, n);
	return r;
}

int report_load(struct store *s, int64_t tenant_id, struct report **ret,
		struct err *e)
{
	struct report_info info;
	struct report_row *rows = NULL;
	size_t n = 0;
	int r = store_report_rows(s, tenant_id, &info, &rows, &n, e);
	if (r < 0)
		return r;
	return report_build(&info, rows, n, ret, e);
}

void report_free(struct report *r)
{
	if (!r)
		return;
	report_row_list_free(r->rows, r->n_rows);
	for (int d = 0; d < REPORT_DIMS; d++)
		free(r->groups[d]);
	free(r->dso);
	free(r->cohorts);
	free(r->currencies);
	free(r);
}

/* ---- deriving ---------------------------------------------------------------- */

/* a / b in per mille, rounded half up; -1 when b is not positive. */
static int permille(int64_t a, int64_t b)
{
	int64_t v;
	if (b <= 0 || money_mul_div(a, 1000, b, &v) < 0)
		return -1;
	return (int)v;
}

static int group_cmp(const void *va, const void *vb)
{
	const struct report_group *a = va, *b = vb;
	int c = strcmp(a->currency, b->currency);
	if (c)
		return c;
	if (a->cases != b->cases)
		return a->cases > b->cases ? -1 : 1;
	return strcmp(a->key, b->key);
}

/* Currencies with the number of cases in them (by strategy: every case
 * counts once there), most first; others seen in the rows after. */
struct cur_weight {
	char code[4];    /* ISO 4217 */
	int64_t cases;   /* cases in it */
};

static int cur_cmp(const void *va, const void *vb)
{
	const struct cur_weight *a = va, *b = vb;
	if (a->cases != b->cases)
		return a->cases > b->cases ? -1 : 1;
	return strcmp(a->code, b->code);
}

static void currencies(struct report *r)
{
	struct cur_weight *w = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; i < r->n_rows; i++) {
		const struct report_row *row = &r->rows[i];
		size_t k;
		if (!row->currency[0])
			continue;
		for (k = 0; k < n && strcmp(w[k].code, row->currency); k++)
			;
		if (k == n) {
			w = xgrow(w, &cap, n + 1, sizeof(*w));
			memcpy(w[n].code, row->currency, 4);
			w[n++].cases = 0;
		}
		if (strcmp(row->report, "strategy") == 0)
			w[k].cases += row->cases;
	}
	if (n)
		qsort(w, n, sizeof(*w), cur_cmp);
	r->currencies = xcalloc(n ? n : 1, sizeof(*r->currencies));
	for (size_t k = 0; k < n; k++)
		memcpy(r->currencies[k], w[k].code, 4);
	r->n_currencies = n;
	free(w);
}

static void groups(struct report *r, enum report_dim d)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_rows; i++)
		n += strcmp(r->rows[i].report, dim_names[d]) == 0;
	r->groups[d] = xcalloc(n ? n : 1, sizeof(*r->groups[d]));
	n = 0;
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct report_row *row = &r->rows[i];
		struct report_group *g;
		if (strcmp(row->report, dim_names[d]) != 0)
			continue;
		g = &r->groups[d][n++];
		g->key = row->key;
		memcpy(g->currency, row->currency, 4);
		g->cases = row->cases;
		g->cured = row->cured;
		g->recovered_minor = row->amount_minor;
		g->cure_permille = permille(row->cured, row->cases);
	}
	if (n)
		qsort(r->groups[d], n, sizeof(*r->groups[d]), group_cmp);
	r->n_groups[d] = n;
}

static void portal(struct report *r)
{
	static const struct {
		const char *key;  /* as in report_rows */
		size_t off;       /* the field of struct report_portal */
	} fields[] = {
		{ "visited", offsetof(struct report_portal, visited) },
		{ "visit_days", offsetof(struct report_portal, visit_days) },
		{ "paid", offsetof(struct report_portal, paid) },
		{ "plan", offsetof(struct report_portal, plan) },
		{ "postponed", offsetof(struct report_portal, postponed) },
		{ "help", offsetof(struct report_portal, help) },
	};
	for (size_t i = 0; i < r->n_rows; i++) {
		if (strcmp(r->rows[i].report, "portal") != 0)
			continue;
		for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++)
			if (strcmp(fields[f].key, r->rows[i].key) == 0)
				memcpy((char *)&r->portal + fields[f].off,
				       &r->rows[i].cases, sizeof(int64_t));
	}
}

static struct report_dso *dso_for(struct report *r, const char *cur,
				  size_t *cap)
{
	for (size_t k = 0; k < r->n_dso; k++)
		if (strcmp(r->dso[k].currency, cur) == 0)
			return &r->dso[k];
	r->dso = xgrow(r->dso, cap, r->n_dso + 1, sizeof(*r->dso));
	memset(&r->dso[r->n_dso], 0, sizeof(*r->dso));
	memcpy(r->dso[r->n_dso].currency, cur, 4);
	return &r->dso[r->n_dso++];
}

static int dso_cmp(const void *va, const void *vb)
{
	return strcmp(((const struct report_dso *)va)->currency,
		      ((const struct report_dso *)vb)->currency);
}

static void dso(struct report *r)
{
	size_t cap = 0;
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct report_row *row = &r->rows[i];
		struct report_dso *d;
		int aging = strcmp(row->report, "aging") == 0;
		if (!aging && strcmp(row->report, "dso") != 0)
			continue;
		d = dso_for(r, row->currency, &cap);
		if (aging && row->bucket >= 0 && row->bucket < REPORT_BANDS) {
			d->band_minor[row->bucket] = row->amount_minor;
			d->band_invoices[row->bucket] = row->cases;
		} else if (!aging && strcmp(row->key, "open") == 0) {
			d->open_minor = row->amount_minor;
			d->open_invoices = row->cases;
		} else if (!aging && strcmp(row->key, "sales90") == 0) {
			d->sales90_minor = row->amount_minor;
		}
	}
	for (size_t k = 0; k < r->n_dso; k++) {
		struct report_dso *d = &r->dso[k];
		if (d->sales90_minor <= 0 ||
		    money_mul_div(d->open_minor, 900, d->sales90_minor,
				  &d->dso_tenths) < 0)
			d->dso_tenths = -1;
	}
	if (r->n_dso)
		qsort(r->dso, r->n_dso, sizeof(*r->dso), dso_cmp);
}

static int point_index(int days)
{
	for (int k = 0; k < REPORT_POINTS; k++)
		if (report_points[k] == days)
			return k;
	return -1;
}

/* The last day of month "YYYY-MM", or DATE_NONE. */
static date_t month_end(const char *month)
{
	int y, m;
	if (strlen(month) != 7 || month[4] != '-')
		return DATE_NONE;
	for (int i = 0; i < 7; i++)
		if (i != 4 && (month[i] < '0' || month[i] > '9'))
			return DATE_NONE;
	y = (month[0] - '0') * 1000 + (month[1] - '0') * 100 +
	    (month[2] - '0') * 10 + (month[3] - '0');
	m = (month[5] - '0') * 10 + (month[6] - '0');
	if (!date_is_valid_ymd(y, m, 1))
		return DATE_NONE;
	return date_from_ymd(y, m, date_days_in_month(y, m));
}

static int cohort_cmp(const void *va, const void *vb)
{
	const struct report_cohort *a = va, *b = vb;
	int c = strcmp(a->month, b->month);
	return c ? c : strcmp(a->currency, b->currency);
}

static void cohorts(struct report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_rows; i++)
		n += strcmp(r->rows[i].report, "cohort") == 0 &&
		     r->rows[i].bucket == -1 && strlen(r->rows[i].key) == 7;
	r->cohorts = xcalloc(n ? n : 1, sizeof(*r->cohorts));
	n = 0;
	/* The totals first, then what was paid in each bucket. */
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct report_row *row = &r->rows[i];
		struct report_cohort *c;
		if (strcmp(row->report, "cohort") != 0 || row->bucket != -1 ||
		    strlen(row->key) != 7)
			continue;
		c = &r->cohorts[n++];
		memcpy(c->month, row->key, 8);
		memcpy(c->currency, row->currency, 4);
		c->invoices = row->cases;
		c->due_minor = row->amount_minor;
	}
	r->n_cohorts = n;
	for (size_t i = 0; i < r->n_rows; i++) {
		const struct report_row *row = &r->rows[i];
		int k = point_index(row->bucket);
		if (strcmp(row->report, "cohort") != 0 || k < 0)
			continue;
		for (size_t c = 0; c < n; c++)
			if (strcmp(r->cohorts[c].month, row->key) == 0 &&
			    strcmp(r->cohorts[c].currency, row->currency) == 0)
				r->cohorts[c].paid_minor[k] += row->amount_minor;
	}
	for (size_t c = 0; c < n; c++) {
		struct report_cohort *co = &r->cohorts[c];
		date_t end = month_end(co->month);
		int64_t sum = 0;
		for (int k = 0; k < REPORT_POINTS; k++) {
			sum += co->paid_minor[k];
			if (end == DATE_NONE || r->info.as_of == DATE_NONE ||
			    end + report_points[k] > r->info.as_of) {
				co->paid_minor[k] = -1;
				co->share_permille[k] = -1;
				continue;
			}
			co->paid_minor[k] = sum;
			co->share_permille[k] = permille(sum, co->due_minor);
		}
	}
	if (n)
		qsort(r->cohorts, n, sizeof(*r->cohorts), cohort_cmp);
}

int report_build(const struct report_info *info, struct report_row *rows,
		 size_t n, struct report **ret, struct err *e)
{
	struct report *r = xcalloc(1, sizeof(*r));
	(void)e;
	r->info = *info;
	r->rows = rows;
	r->n_rows = n;
	currencies(r);
	for (int d = 0; d < REPORT_DIMS; d++)
		groups(r, (enum report_dim)d);
	portal(r);
	dso(r);
	cohorts(r);
	*ret = r;
	return 0;
}

/* ---- CSV ------------------------------------------------------------------------ */

void report_permille_text(int permille_v, char out[16])
{
	if (permille_v < 0) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 16, "%d.%d", permille_v / 10, permille_v % 10);
}

int report_csv_text(struct buf *out, const char *s)
{
	int r = 0;
	int guard = s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' ||
			  *s == '\t' || *s == '\r');
	int quote = guard || (s && strpbrk(s, ",\"\r\n"));

	if (!s)
		return 0;
	if (quote)
		r = buf_putc(out, '"');
	if (r == 0 && guard)
		r = buf_putc(out, '\'');
	for (; *s && r == 0; s++)
		r = *s == '"' ? buf_puts(out, "\"\"") : buf_putc(out, *s);
	if (r == 0 && quote)
		r = buf_putc(out, '"');
	return r;
}

/* An amount as a plain decimal ("1234.56"); minor units when the currency
 * is unknown. */
static int csv_amount(struct buf *out, int64_t minor, const char *cur)
{
	const struct currency *c = currency_find(cur);
	char a[MONEY_FMT_MAX];
	if (!c)
		return buf_printf(out, "%lld", (long long)minor);
	money_format(minor, c, a);
	return buf_puts(out, a);
}

static int csv_permille(struct buf *out, int v)
{
	char t[16];
	report_permille_text(v, t);
	return buf_puts(out, t);
}

static int csv_groups(const struct report *r, enum report_dim d,
		      struct buf *out)
{
	int rc = buf_printf(out, "%s,currency,cases,cured,cure_rate_percent,"
			    "recovered\r\n", dim_names[d]);
	for (size_t i = 0; i < r->n_groups[d] && rc == 0; i++) {
		const struct report_group *g = &r->groups[d][i];
		rc = report_csv_text(out, g->key);
		if (rc == 0)
			rc = buf_putc(out, ',');
		if (rc == 0)
			rc = report_csv_text(out, g->currency);
		if (rc == 0)
			rc = buf_printf(out, ",%lld,%lld,", (long long)g->cases,
					(long long)g->cured);
		if (rc == 0)
			rc = csv_permille(out, g->cure_permille);
		if (rc == 0)
			rc = buf_putc(out, ',');
		if (rc == 0)
			rc = csv_amount(out, g->recovered_minor, g->currency);
		if (rc == 0)
			rc = buf_puts(out, "\r\n");
	}
	return rc;
}

static int csv_portal(const struct report *r, struct buf *out)
{
	const struct report_portal *p = &r->portal;
	const struct {
		const char *name;  /* the measure */
		int64_t v;         /* its count */
	} m[] = {
		{ "visited", p->visited }, { "paid", p->paid },
		{ "plan", p->plan }, { "postponed", p->postponed },
		{ "help", p->help },
	};
	int rc = buf_puts(out, "measure,cases,percent_of_visited\r\n");
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]) && rc == 0; i++) {
		rc = buf_printf(out, "%s,%lld,", m[i].name, (long long)m[i].v);
		if (rc == 0)
			rc = csv_permille(out, permille(m[i].v, p->visited));
		if (rc == 0)
			rc = buf_puts(out, "\r\n");
	}
	if (rc == 0)
		rc = buf_printf(out, "visit_days,%lld,\r\n",
				(long long)p->visit_days);
	return rc;
}

static int csv_dso(const struct report *r, struct buf *out)
{
	int rc = buf_puts(out, "currency,open_receivables,open_invoices,"
			  "credit_sales_90_days,dso_days\r\n");
	for (size_t k = 0; k < r->n_dso && rc == 0; k++) {
		const struct report_dso *d = &r->dso[k];
		rc = report_csv_text(out, d->currency);
		if (rc == 0)
			rc = buf_putc(out, ',');
		if (rc == 0)
			rc = csv_amount(out, d->open_minor, d->currency);
		if (rc == 0)
			rc = buf_printf(out, ",%lld,",
					(long long)d->open_invoices);
		if (rc == 0)
			rc = csv_amount(out, d->sales90_minor, d->currency);
		if (rc == 0 && d->dso_tenths >= 0)
			rc = buf_printf(out, ",%lld.%lld",
					(long long)(d->dso_tenths / 10),
					(long long)(d->dso_tenths % 10));
		else if (rc == 0)
			rc = buf_putc(out, ',');
		if (rc == 0)
			rc = buf_puts(out, "\r\n");
	}
	return rc;
}

static int csv_aging(const struct report *r, struct buf *out)
{
	int rc = buf_puts(out, "currency,days_past_due,open_invoices,"
			  "open_amount\r\n");
	for (size_t k = 0; k < r->n_dso && rc == 0; k++) {
		const struct report_dso *d = &r->dso[k];
		for (int b = 0; b < REPORT_BANDS && rc == 0; b++) {
			rc = report_csv_text(out, d->currency);
			if (rc == 0)
				rc = buf_printf(out, ",%s,%lld,",
						report_band_names[b],
						(long long)d->band_invoices[b]);
			if (rc == 0)
				rc = csv_amount(out, d->band_minor[b],
						d->currency);
			if (rc == 0)
				rc = buf_puts(out, "\r\n");
		}
	}
	return rc;
}

static int csv_cohort(const struct report *r, struct buf *out)
{
	int rc = buf_puts(out, "due_month,currency,invoices,amount_due");
	for (int k = 0; k < REPORT_POINTS && rc == 0; k++)
		rc = buf_printf(out, ",paid_percent_day_%d", report_points[k]);
	if (rc == 0)
		rc = buf_puts(out, "\r\n");
	for (size_t c = 0; c < r->n_cohorts && rc == 0; c++) {
		const struct report_cohort *co = &r->cohorts[c];
		rc = report_csv_text(out, co->month);
		if (rc == 0)
			rc = buf_putc(out, ',');
		if (rc == 0)
			rc = report_csv_text(out, co->currency);
		if (rc == 0)
			rc = buf_printf(out, ",%lld,", (long long)co->invoices);
		if (rc == 0)
			rc = csv_amount(out, co->due_minor, co->currency);
		for (int k = 0; k < REPORT_POINTS && rc == 0; k++) {
			rc = buf_putc(out, ',');
			if (rc == 0)
				rc = csv_permille(out, co->share_permille[k]);
		}
		if (rc == 0)
			rc = buf_puts(out, "\r\n");
	}
	return rc;
}

int report_csv(const struct report *r, const char *name, struct buf *out,
	       struct err *e)
{
	int rc;
	if (!name)
		return err_set(e, ERR_NOTFOUND, "no report named ''");
	if (strcmp(name, "portal") == 0)
		rc = csv_portal(r, out);
	else if (strcmp(name, "dso") == 0)
		rc = csv_dso(r, out);
	else if (strcmp(name, "aging") == 0)
		rc = csv_aging(r, out);
	else if (strcmp(name, "cohort") == 0)
		rc = csv_cohort(r, out);
	else {
		int d;
		for (d = 0; d < REPORT_DIMS; d++)
			if (strcmp(name, dim_names[d]) == 0)
				break;
		if (d == REPORT_DIMS) {
			char q[ERR_QUOTE_BUF];
			return err_set(e, ERR_NOTFOUND, "no report named '%s'",
				       err_quote(name, q));
		}
		rc = csv_groups(r, (enum report_dim)d, out);
	}
	return rc < 0 ? err_set(e, ERR_TOOBIG, "report %s: the export is "
				"larger than its bound", name)
		      : 0;
}
