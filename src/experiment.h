/*
 * experiment: champion / challenger experiments (issue #9) — which variant
 * a customer gets, and whether the variants differ.
 *
 * Assignment is a stable hash: the same customer always gets the same
 * variant of the same experiment, in every process and on every machine,
 * and the split of one experiment tells nothing about the split of
 * another. The statistics compare two variants the way a collections
 * manager needs: each variant's rate or mean with a 95% confidence
 * interval, the difference with its interval and p-value, and one plain
 * sentence saying whether the difference is real yet.
 *
 * Pure: no store, no clock, no randomness beyond the hash; statistics in
 * double precision (they are estimates, not money). Inputs are counts and
 * sums the store can aggregate in SQL.
 */
#ifndef DUNWELL_EXPERIMENT_H
#define DUNWELL_EXPERIMENT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "money.h"

#define EXPERIMENT_MAX_VARIANTS 16  /* variants one experiment may have */
#define EXPERIMENT_MIN_N 100        /* cases per variant before a verdict */
#define EXPERIMENT_MIN_EVENTS 10    /* expected events per variant, ditto */
#define EXPERIMENT_Z95 1.959963984540054  /* normal quantile at 0.975 */

/* ---- Assignment ------------------------------------------------------ */

/* The variant (0..n_variants-1) of `customer_external_id` of tenant
 * `tenant_id` in experiment `experiment_id`, variant i getting a share
 * weights[i] / sum(weights) of the customers.
 *
 * The key is SHA-256 of the bytes
 *     experiment_id NUL decimal(tenant_id) NUL customer_external_id
 * (NUL cannot occur inside a C string, so no two inputs share a key); its
 * first 8 bytes, big-endian, are a number x uniform on [0, 2^64), and the
 * variant is the one whose cumulative-weight range holds
 * floor(x * W / 2^64), W the total weight (no modulo: the shares are
 * exact to within W / 2^64 < 2^-32). Reproduce in Python with
 *     int.from_bytes(sha256(b"exp\0" b"42\0" b"cust").digest()[:8], "big")
 * The experiment id is part of the key, so two experiments split the same
 * customers independently. Changing the weights or the number of variants
 * moves some customers: give a changed experiment a new id.
 * A zero weight gets no customers. Returns the variant, or -ERR_INVALID
 * when an argument is NULL, n_variants is 0 or above
 * EXPERIMENT_MAX_VARIANTS, or the weights sum to 0 or above UINT32_MAX. */
int experiment_assign(const char *experiment_id, int64_t tenant_id,
		      const char *customer_external_id,
		      const unsigned *weights, size_t n_variants);

/* ---- Inputs ---------------------------------------------------------- */

/* A proportion's counts: cases resolved of cases, opt-outs of cases. */
struct experiment_count {
	int64_t events;  /* cases with the event (0..n) */
	int64_t n;       /* cases */
};

/* A mean's aggregate, as SQL computes it:
 *     SELECT COUNT(*), SUM(x - :shift), SUM((x - :shift) * (x - :shift))
 * The variance is (sumsq - sum^2/n) / (n-1); subtracting two nearly equal
 * numbers loses about log10(1 + (mean-shift)^2 / variance) of the 16
 * digits a double holds, so pick `shift` near the mean when the mean is
 * far from 0 compared with the spread (a past mean, a typical invoice
 * amount); 0 is fine for amounts per case and days to pay, whose spread
 * is of the order of the mean. experiment_moments_add() accumulates one
 * value the same way. */
struct experiment_moments {
	int64_t n;     /* observations */
	double shift;  /* the constant subtracted from each value */
	double sum;    /* sum of (x - shift) */
	double sumsq;  /* sum of (x - shift)^2 */
};

/* Add one observation `x` to `m` (whose shift is already set). */
void experiment_moments_add(struct experiment_moments *m, double x);

/* ---- Results --------------------------------------------------------- */

/* One variant's estimate with its 95% confidence interval. */
struct experiment_estimate {
	int64_t n;     /* cases it rests on */
	double value;  /* the proportion (0..1) or the mean */
	double lo;     /* lower end of the 95% interval */
	double hi;     /* upper end of the 95% interval */
	double sd;     /* sample standard deviation (means; 0 for proportions) */
};

/* The difference challenger - champion, with its 95% interval and the
 * two-sided p-value of "no difference". */
struct experiment_diff {
	double diff;  /* challenger minus champion */
	double lo;    /* lower end of the 95% interval of diff */
	double hi;    /* upper end of the 95% interval of diff */
	double p;     /* two-sided p-value (1 when there is no variation) */
	double stat;  /* the test statistic: z (proportions) or t (means) */
	double df;    /* degrees of freedom of t; INFINITY for z */
};

/* ---- Proportions ----------------------------------------------------- */

/* `c->events / c->n` with its 95% Wilson score interval (Wilson 1927;
 * Newcombe 1998, method 3), which stays inside [0, 1] and behaves at 0 and
 * n events. -ERR_RANGE when n < 1 or events is outside 0..n. */
int experiment_proportion(const struct experiment_count *c,
			  struct experiment_estimate *ret_est, struct err *e);

/* challenger - champion: the interval by Newcombe's hybrid score method
 * (Newcombe 1998, method 10: from the two Wilson intervals), the p-value
 * from the pooled two-proportion z-test (p = 1 when nobody or everybody
 * had the event). -ERR_RANGE as above. */
int experiment_proportion_diff(const struct experiment_count *champion,
			       const struct experiment_count *challenger,
			       struct experiment_diff *ret_diff,
			       struct err *e);

/* ---- Means ----------------------------------------------------------- */

/* The mean with its 95% Student t interval (n-1 degrees of freedom).
 * -ERR_RANGE when n < 2 or the sums are not finite. */
int experiment_mean(const struct experiment_moments *m,
		    struct experiment_estimate *ret_est, struct err *e);

/* challenger - champion by Welch's unequal-variances t-test: t with
 * Welch-Satterthwaite degrees of freedom, its two-sided p-value and the
 * 95% interval diff +- t(0.975, df) * se. When neither variant varies,
 * the interval is the difference itself and p is 1 (equal means) or 0.
 * -ERR_RANGE when either n < 2. */
int experiment_mean_diff(const struct experiment_moments *champion,
			 const struct experiment_moments *challenger,
			 struct experiment_diff *ret_diff, struct err *e);

/* ---- Ratios ---------------------------------------------------------- */

/* num / den, e.g. messages per cure (no interval). -ERR_RANGE when
 * den <= 0 or num < 0. */
int experiment_ratio(int64_t num, int64_t den, double *ret_ratio,
		     struct err *e);

/* ---- Distributions (exposed for tests and reports) ------------------- */

/* Standard normal quantile: x with P(Z <= x) = p, 0 < p < 1. Abramowitz
 * and Stegun 26.2.23 refined by Halley steps on erfc: relative error
 * below 1e-14 for 1e-300 < p < 1 - 1e-16. NaN outside (0, 1). */
double experiment_normal_quantile(double p);

/* Student t distribution with `df` > 0 degrees of freedom (need not be an
 * integer): P(T > t), through the regularised incomplete beta function
 * (continued fraction, modified Lentz; log-gamma differences by Stirling's
 * series for large df so they keep their digits). Relative error below
 * 1e-13 for df up to 1e4 and about 1e-11 up to 1e7 (checked against
 * SciPy to 1e-10 in the tests); df above 1e7 uses the normal (error below
 * 1e-7). */
double experiment_t_sf(double t, double df);

/* The t quantile: x with P(T <= x) = p. Started from the Cornish-Fisher
 * expansion (A&S 26.7.5; exact formulas for df 1 and 2) and refined by
 * Newton steps on log experiment_t_sf inside a bisection bracket, so it is
 * as accurate as that function: relative error below 1e-12 (df <= 1e4)
 * to about 5e-12 (df 1e6), for 1e-12 < p < 1 - 1e-12. NaN for p outside
 * (0, 1) or df <= 0. */
double experiment_t_quantile(double p, double df);

/* ---- Verdict --------------------------------------------------------- */

enum experiment_verdict {
	EXPERIMENT_TOO_EARLY = 0,  /* not enough data yet */
	EXPERIMENT_NO_DIFFERENCE,  /* no significant difference yet */
	EXPERIMENT_BETTER,         /* challenger better, significant at 95% */
	EXPERIMENT_WORSE,          /* challenger worse, significant at 95% */
};

/* What the console compares, and so which direction is "better". */
enum experiment_metric {
	EXPERIMENT_CURE_RATE = 0,  /* share of cases resolved: higher better */
	EXPERIMENT_OPT_OUT_RATE,   /* share who opted out: lower better */
	EXPERIMENT_HELP_RATE,      /* share who asked for help: lower better */
	EXPERIMENT_AMOUNT,         /* amount recovered per case, minor units:
				    * higher better */
	EXPERIMENT_DAYS_TO_PAY,    /* days from first message to payment:
				    * lower better */
};

/* The verdict on `d` for `metric`. Too early while either variant has
 * fewer than EXPERIMENT_MIN_N cases, or fewer than EXPERIMENT_MIN_EVENTS
 * events or non-events are expected in either variant at the pooled rate
 * (n_i * (e1 + e2) / (n1 + n2): the usual condition for the normal
 * approximation; a variant with no opt-outs against one with many is a
 * result, not too early). For means, `events` counts the cases with a
 * value (e.g. cases that paid); pass events = n when that does not apply.
 * Significant only when the p-value is below 0.05 and the interval
 * excludes 0 (they can disagree at the margin: then not yet). */
enum experiment_verdict experiment_judge(
	enum experiment_metric metric,
	const struct experiment_count *champion,
	const struct experiment_count *challenger,
	const struct experiment_diff *d);

/* "not enough data yet", "no significant difference yet", "challenger
 * better (significant at 95%)", "challenger worse (significant at 95%)". */
const char *experiment_verdict_text(enum experiment_verdict v);

/* One sentence for the console, e.g. "After 1,240 cases each, the
 * challenger cures 3.1 percentage points more cases (95% CI 0.4 to 5.8);
 * this difference is unlikely to be chance." Rates in percentage points
 * with one decimal, days with one decimal, amounts (minor units) in `cur`
 * (needed for EXPERIMENT_AMOUNT only). Appended to `out`;
 * -ERR_TOOBIG when it does not fit, -ERR_INVALID for a missing currency. */
int experiment_sentence(enum experiment_metric metric,
			const struct experiment_count *champion,
			const struct experiment_count *challenger,
			const struct experiment_diff *d,
			const struct currency *cur, struct buf *out,
			struct err *e);

#endif
