/*
 * report: the figures of the console's reports, from the tenant's rolled-up
 * report rows (store.h, struct report_row).
 *
 * Aggregating a million cases on every page view would not answer in
 * time, so a refresh (report_refresh: `dunwell report refresh`, the end of
 * a tenant's run, the page's "Refresh now") rebuilds the rows set-based
 * in one transaction, and the page reads only those few hundred rows
 * (report_load) and derives from them here what is shown: cure rates,
 * conversion shares, days sales outstanding, cumulative cohort curves,
 * and their CSV exports. Everything derived is integer arithmetic (rates
 * in per mille, DSO in tenths of a day): no floating point, the same rows
 * give the same bytes. This module never writes HTML and never prints.
 *
 * Definitions (shown on the page too):
 *  - recovery by step, channel, tone: every case counts once, under the
 *    last contact decided for it (its step, channel and tone; "none" when
 *    no contact was decided yet); by segment under each of its customer's
 *    segment tags; by strategy under its strategy. Cured = resolved (paid);
 *    cure rate = cured / cases; recovered = the payments of the case's
 *    customer in its currency from the day it opened to the day it closed.
 *  - portal: of the cases whose personal page was visited, those with a
 *    payment (of the case's customer in its currency, while the case was
 *    open), a plan, a later date (promise.made) or a help request on or
 *    after the day of their first visit.
 *  - DSO = open receivables / credit sales of the last 90 days x 90
 *    (invoices issued in the 90 days up to the date), per currency.
 *  - cohorts: invoices by the month they fell due (the last 12 months);
 *    the share of their amount paid by 0, 7, ..., 84 and 90 days after the
 *    due date, payments laid over a customer's invoices oldest due first
 *    (as dunwell settles them). A point is shown once the whole month has
 *    reached it.
 */
#ifndef DUNWELL_REPORT_H
#define DUNWELL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "date.h"
#include "err.h"
#include "store.h"

#define REPORT_POINTS 14          /* cohort checkpoints: 0, 7, ..., 84, 90 */
#define REPORT_BANDS 5            /* aging bands */
#define REPORT_CSV_MAX (4 << 20)  /* bytes of one CSV export */

/* The groupings of "recovery by ...". */
enum report_dim {
	REPORT_STEP,
	REPORT_CHANNEL,
	REPORT_TONE,
	REPORT_SEGMENT,
	REPORT_STRATEGY,
	REPORT_DIMS
};

/* One row of a recovery table. */
struct report_group {
	const char *key;          /* the step, channel, ...; "" = none
				     (points into the report's rows) */
	char currency[4];         /* of the cases and the amount */
	int64_t cases;            /* cases in the group */
	int64_t cured;            /* of them resolved */
	int64_t recovered_minor;  /* paid on them */
	int cure_permille;        /* cured / cases, per mille, rounded */
};

/* Self-service on the portal. */
struct report_portal {
	int64_t visited;     /* cases whose page was visited */
	int64_t visit_days;  /* days with a visit, summed over cases */
	int64_t paid;        /* of the visited: paid after the first visit */
	int64_t plan;        /* ... set up a plan */
	int64_t postponed;   /* ... chose a later date */
	int64_t help;        /* ... asked for help */
};

/* Days sales outstanding and the age of what is open, per currency. */
struct report_dso {
	char currency[4];
	int64_t open_minor;          /* open receivables */
	int64_t open_invoices;       /* invoices with something open */
	int64_t sales90_minor;       /* invoiced in the 90 days to as_of */
	int64_t dso_tenths;          /* DSO in tenths of a day; -1 when
					nothing was invoiced in 90 days */
	int64_t band_minor[REPORT_BANDS];    /* open by days past due: not
						due, 1-30, 31-60, 61-90,
						over 90 */
	int64_t band_invoices[REPORT_BANDS]; /* invoices in each */
};

/* One cohort: invoices that fell due in one month, in one currency. */
struct report_cohort {
	char month[8];                      /* "YYYY-MM" */
	char currency[4];
	int64_t invoices;                   /* in the cohort */
	int64_t due_minor;                  /* their amount */
	int64_t paid_minor[REPORT_POINTS];  /* paid by each checkpoint,
					       cumulative; -1 not reached */
	int share_permille[REPORT_POINTS];  /* paid / due, per mille;
					       -1 not reached */
};

/* Everything the reports page shows. */
struct report {
	struct report_info info;             /* when the rows were made */
	struct report_row *rows;             /* the rows (owned) */
	size_t n_rows;
	struct report_group *groups[REPORT_DIMS]; /* by currency, then most
						     cases first */
	size_t n_groups[REPORT_DIMS];
	struct report_portal portal;
	struct report_dso *dso;              /* by currency */
	size_t n_dso;
	struct report_cohort *cohorts;       /* by month, then currency */
	size_t n_cohorts;
	char (*currencies)[4];               /* every currency seen, the one
						with most cases first */
	size_t n_currencies;
};

/* The checkpoints of the cohort curves, in days since due. */
extern const int report_points[REPORT_POINTS];
/* The aging bands' names ("not yet due", "1-30 days", ...). */
extern const char *const report_band_names[REPORT_BANDS];

/* Rebuild the tenant's report rows for the UTC date of `now`, outside any
 * transaction: the store reads in a transaction of its own (on SQLite
 * without the write lock, so the portal, the API and payments go on) and
 * then swaps the rows in a short write. */
int report_refresh(struct store *s, int64_t tenant_id, instant_t now,
		   struct err *e);

/* `dunwell report refresh` (the words after "report" in pos): refresh
 * the tenant's figures for `now` and count the rows made into *ret_rows.
 * -ERR_INVALID with the usage for anything else. */
int report_command(struct store *s, const struct tenant_rec *t, int npos,
		   const char *const *pos, instant_t now, size_t *ret_rows,
		   struct err *e);

/* Read the tenant's rows and derive the figures; *ret is freed with
 * report_free. ret->info.refreshed_at is 0 when never refreshed. */
int report_load(struct store *s, int64_t tenant_id, struct report **ret,
		struct err *e);

/* Derive the figures from rows (taking them over: they are freed with
 * the report, or here on failure). */
int report_build(const struct report_info *info, struct report_row *rows,
		 size_t n, struct report **ret, struct err *e);
void report_free(struct report *r);

/* "step", "channel", "tone", "segment", "strategy". */
const char *report_dim_name(enum report_dim d);

/* The names of the CSV exports: the five dimensions, "portal", "dso",
 * "aging", "cohort"; NULL-terminated. */
extern const char *const report_csv_names[];

/*
 * Write export `name` (one of report_csv_names) as RFC 4180 CSV (a
 * header line, CRLF line ends, fields quoted when they hold a comma,
 * quote or line break). Text from the data that starts with = + - @, a
 * tab or a carriage return gets a leading apostrophe, so a spreadsheet
 * never runs it as a formula. -ERR_NOTFOUND for an unknown name.
 */
int report_csv(const struct report *r, const char *name, struct buf *out,
	       struct err *e);

/* One CSV field of text (quoted and guarded as above), no separator. */
int report_csv_text(struct buf *out, const char *s);

/* A rate in per mille as "12.5" (no unit); "" for -1. */
void report_permille_text(int permille, char out[16]);

#endif
