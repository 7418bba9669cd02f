/*
 * experiment: stable assignment of customers to strategy variants and the
 * statistics that compare them (champion / challenger, issue #9).
 *
 * Pure functions only: the store aggregates counts and sums, the console
 * shows what these functions return. Never reads a clock or a random
 * source: the same inputs give the same variant and the same figures on
 * every machine.
 */
#include "experiment.h"

#include <inttypes.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* ---- Assignment ------------------------------------------------------ */

int experiment_assign(const char *experiment_id, int64_t tenant_id,
		      const char *customer_external_id,
		      const unsigned *weights, size_t n_variants)
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	char tenant[24];
	uint64_t total = 0, x = 0, point, cum = 0;
	int len;

	if (!experiment_id || !customer_external_id || !weights ||
	    n_variants == 0 || n_variants > EXPERIMENT_MAX_VARIANTS)
		return -ERR_INVALID;
	for (size_t i = 0; i < n_variants; i++)
		total += weights[i];
	if (total == 0 || total > UINT32_MAX)
		return -ERR_INVALID;

	len = snprintf(tenant, sizeof(tenant), "%" PRId64, tenant_id);
	if (len < 0 || (size_t)len >= sizeof(tenant))
		return -ERR_INVALID;
	/* The NULs separate the fields: the key is unambiguous. */
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)experiment_id,
				  strlen(experiment_id) + 1);
	crypto_hash_sha256_update(&st, (const unsigned char *)tenant,
				  (size_t)len + 1);
	crypto_hash_sha256_update(&st,
				  (const unsigned char *)customer_external_id,
				  strlen(customer_external_id));
	crypto_hash_sha256_final(&st, h);
	for (int i = 0; i < 8; i++)
		x = (x << 8) | h[i];

	/* floor(x * total / 2^64) without 128-bit arithmetic: total < 2^32,
	 * x = hi * 2^32 + lo, and hi * total + (lo * total >> 32) < 2^64. */
	{
		uint64_t hi = x >> 32, lo = x & 0xffffffffu;
		point = (hi * total + ((lo * total) >> 32)) >> 32;
	}
	for (size_t i = 0; i < n_variants; i++) {
		cum += weights[i];
		if (point < cum)
			return (int)i;
	}
	return (int)(n_variants - 1); /* not reached: point < total */
}

void experiment_moments_add(struct experiment_moments *m, double x)
{
	double d = x - m->shift;

	m->n++;
	m->sum += d;
	m->sumsq += d * d;
}

/* ---- Distributions --------------------------------------------------- */

#define BETA_EPS 1e-16      /* relative size of the last continued-fraction
			     * factor's departure from 1 at convergence */
#define BETA_TINY 1e-300    /* guards Lentz's method against division by 0 */
#define BETA_MAXIT 100000   /* terms; about sqrt(a+b) are needed */

/* lgamma(a + b) - lgamma(a), a > 0, b > 0. For a >= 100 lgamma(a) is
 * large (about 6e6 at a = 5e5) and the plain difference keeps only
 * 1e-16 of that: there, Stirling's series in the form
 *     (a+b-1/2) log(a+b) - (a-1/2) log a - b + c(a+b) - c(a)
 *   = (a-1/2) log1p(b/a) + b log(a+b) - b + c(a+b) - c(a),
 * c(x) = 1/(12x) - 1/(360x^3) + 1/(1260x^5) (next term below 1e-17). */
static double stirling_c(double x)
{
	double x2 = x * x;

	return (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x2)) / x2) / x;
}

static double lgamma_diff(double a, double b)
{
	int s;

	if (a < 100.0)
		return lgamma_r(a + b, &s) - lgamma_r(a, &s);
	return (a - 0.5) * log1p(b / a) + b * log(a + b) - b +
	       stirling_c(a + b) - stirling_c(a);
}

/* log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b). */
static double log_beta(double a, double b)
{
	int s;

	if (a < b)
		return lgamma_r(a, &s) - lgamma_diff(b, a);
	return lgamma_r(b, &s) - lgamma_diff(a, b);
}

/* The continued fraction of the incomplete beta function (Numerical
 * Recipes 6.4, modified Lentz). Converges fast for x < (a+1)/(a+b+2). */
static double beta_cf(double a, double b, double x)
{
	double qab = a + b, qap = a + 1.0, qam = a - 1.0;
	double c = 1.0, d = 1.0 - qab * x / qap, h;

	if (fabs(d) < BETA_TINY)
		d = BETA_TINY;
	d = 1.0 / d;
	h = d;
	for (int m = 1; m <= BETA_MAXIT; m++) {
		double m2 = 2.0 * m, aa, del;

		aa = m * (b - m) * x / ((qam + m2) * (a + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < BETA_TINY)
			d = BETA_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < BETA_TINY)
			c = BETA_TINY;
		d = 1.0 / d;
		h *= d * c;
		aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
		d = 1.0 + aa * d;
		if (fabs(d) < BETA_TINY)
			d = BETA_TINY;
		c = 1.0 + aa / c;
		if (fabs(c) < BETA_TINY)
			c = BETA_TINY;
		d = 1.0 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1.0) < BETA_EPS)
			break;
	}
	return h;
}

/* The regularised incomplete beta I_x(a, b), given x, y = 1 - x and
 * their logarithms separately: for a large a, a * log(x) magnifies the
 * rounding of x (5e-11 at a = 5e5), so callers pass log x computed
 * directly (log1p). */
static double inc_beta(double x, double y, double logx, double logy,
		       double a, double b)
{
	double front;

	if (x <= 0.0)
		return 0.0;
	if (y <= 0.0)
		return 1.0;
	front = exp(a * logx + b * logy - log_beta(a, b));
	if (x < (a + 1.0) / (a + b + 2.0))
		return front * beta_cf(a, b, x) / a;
	return 1.0 - front * beta_cf(b, a, y) / b;
}

/* Upper tail of the standard normal. */
static double normal_sf(double x)
{
	return 0.5 * erfc(x / M_SQRT2);
}

static double normal_pdf(double x)
{
	return exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

/* x >= 0 with normal_sf(x) = q, 0 < q <= 0.5. */
static double normal_upper(double q)
{
	double t = sqrt(-2.0 * log(q));
	double x = t - (2.515517 + 0.802853 * t + 0.010328 * t * t) /
			(1.0 + 1.432788 * t + 0.189269 * t * t +
			 0.001308 * t * t * t);

	/* Newton on log sf, which is nearly linear in the tail; A&S's
	 * 4.5e-4 start needs two or three steps. */
	for (int i = 0; i < 8; i++) {
		double s = normal_sf(x), step;

		if (s <= 0.0)
			break;
		step = (log(s) - log(q)) * s / normal_pdf(x);
		x += step;
		if (fabs(step) <= 1e-16 * fmax(1.0, fabs(x)))
			break;
	}
	return x < 0.0 ? 0.0 : x;
}

double experiment_normal_quantile(double p)
{
	if (!(p > 0.0 && p < 1.0))
		return NAN;
	if (p == 0.5)
		return 0.0;
	return p < 0.5 ? -normal_upper(p) : normal_upper(1.0 - p);
}

#define T_NORMAL_DF 1e7  /* above this many degrees of freedom, t = z */

/* P(T > t) for t >= 0. */
static double t_upper(double t, double df)
{
	double t2 = t * t;

	if (df > T_NORMAL_DF)
		return normal_sf(t);
	if (t2 == 0.0)
		return 0.5;
	/* x = df / (df + t^2), y = t^2 / (df + t^2). */
	return 0.5 * inc_beta(df / (df + t2), t2 / (df + t2),
			      -log1p(t2 / df), -log1p(df / t2), 0.5 * df,
			      0.5);
}

double experiment_t_sf(double t, double df)
{
	if (isnan(t) || !(df > 0.0))
		return NAN;
	return t >= 0.0 ? t_upper(t, df) : 1.0 - t_upper(-t, df);
}

static double t_pdf(double t, double df)
{
	if (df > T_NORMAL_DF)
		return normal_pdf(t);
	return exp(lgamma_diff(0.5 * df, 0.5) - 0.5 * log(df * M_PI) -
		   0.5 * (df + 1.0) * log1p(t * t / df));
}

/* x >= 0 with P(T > x) = q, 0 < q < 0.5. */
static double t_upper_quantile(double q, double df)
{
	double z, x, lo = 0.0, hi, zz, v;

	if (df == 1.0)
		return 1.0 / tan(M_PI * q);
	if (df == 2.0)
		return (1.0 - 2.0 * q) / sqrt(2.0 * q * (1.0 - q));
	z = normal_upper(q);
	if (df > T_NORMAL_DF)
		return z;
	/* Cornish-Fisher start (A&S 26.7.5). */
	zz = z * z;
	v = df;
	x = z + z * (zz + 1.0) / (4.0 * v) +
	    z * ((5.0 * zz + 16.0) * zz + 3.0) / (96.0 * v * v) +
	    z * (((3.0 * zz + 19.0) * zz + 17.0) * zz - 15.0) /
		    (384.0 * v * v * v) +
	    z * ((((79.0 * zz + 776.0) * zz + 1482.0) * zz - 1920.0) * zz -
		 945.0) / (92160.0 * v * v * v * v);
	if (!(x > 0.0) || !isfinite(x))
		x = z;
	/* A bracket [lo, hi] with sf(lo) >= q >= sf(hi). */
	hi = fmax(x, 1.0);
	for (int i = 0; i < 2000 && t_upper(hi, df) > q; i++)
		hi *= 2.0;
	if (x >= hi)
		x = 0.5 * hi;
	/* Newton on log sf, falling back to bisection outside the bracket. */
	for (int i = 0; i < 200; i++) {
		double s = t_upper(x, df), pdf = t_pdf(x, df), nx;

		if (s > q)
			lo = x;
		else
			hi = x;
		if (s > 0.0 && pdf > 0.0)
			nx = x + (log(s) - log(q)) * s / pdf;
		else
			nx = 0.5 * (lo + hi);
		if (!(nx > lo && nx < hi))
			nx = 0.5 * (lo + hi);
		if (fabs(nx - x) <= 1e-15 * fmax(1.0, x) || hi - lo <= 1e-15 * hi) {
			x = nx;
			break;
		}
		x = nx;
	}
	return x;
}

double experiment_t_quantile(double p, double df)
{
	if (!(p > 0.0 && p < 1.0) || !(df > 0.0))
		return NAN;
	if (p == 0.5)
		return 0.0;
	return p < 0.5 ? -t_upper_quantile(p, df)
		       : t_upper_quantile(1.0 - p, df);
}

/* ---- Proportions ----------------------------------------------------- */

static int check_count(const struct experiment_count *c, const char *what,
		       struct err *e)
{
	if (c->n < 1)
		return err_set(e, ERR_RANGE, "%s: %" PRId64
			       " cases, need at least 1", what, c->n);
	if (c->events < 0 || c->events > c->n)
		return err_set(e, ERR_RANGE, "%s: %" PRId64 " events of %"
			       PRId64 " cases", what, c->events, c->n);
	return 0;
}

/* Wilson's interval in the form that is exact at 0 and n events. */
static void wilson(int64_t k, int64_t n, double *ret_lo, double *ret_hi)
{
	const double z = EXPERIMENT_Z95, z2 = z * z;
	double dk = (double)k, dn = (double)n;
	double root = z * sqrt(z2 + 4.0 * dk * (dn - dk) / dn);
	double den = 2.0 * (dn + z2);
	double lo = (2.0 * dk + z2 - root) / den;
	double hi = (2.0 * dk + z2 + root) / den;

	*ret_lo = k == 0 ? 0.0 : fmax(0.0, lo);
	*ret_hi = k == n ? 1.0 : fmin(1.0, hi);
}

int experiment_proportion(const struct experiment_count *c,
			  struct experiment_estimate *ret_est, struct err *e)
{
	struct experiment_estimate r = { 0 };
	int rc = check_count(c, "proportion", e);

	if (rc < 0)
		return rc;
	r.n = c->n;
	r.value = (double)c->events / (double)c->n;
	wilson(c->events, c->n, &r.lo, &r.hi);
	*ret_est = r;
	return 0;
}

int experiment_proportion_diff(const struct experiment_count *champion,
			       const struct experiment_count *challenger,
			       struct experiment_diff *ret_diff,
			       struct err *e)
{
	struct experiment_diff r = { 0 };
	double p1, p2, l1, u1, l2, u2, pool, se;
	int rc;

	if ((rc = check_count(champion, "champion", e)) < 0 ||
	    (rc = check_count(challenger, "challenger", e)) < 0)
		return rc;
	/* 1 = challenger, 2 = champion: the difference is 1 - 2. */
	p1 = (double)challenger->events / (double)challenger->n;
	p2 = (double)champion->events / (double)champion->n;
	wilson(challenger->events, challenger->n, &l1, &u1);
	wilson(champion->events, champion->n, &l2, &u2);
	r.diff = p1 - p2;
	r.lo = r.diff - sqrt((p1 - l1) * (p1 - l1) + (u2 - p2) * (u2 - p2));
	r.hi = r.diff + sqrt((u1 - p1) * (u1 - p1) + (p2 - l2) * (p2 - l2));
	pool = (double)(challenger->events + champion->events) /
	       (double)(challenger->n + champion->n);
	se = sqrt(pool * (1.0 - pool) *
		  (1.0 / (double)challenger->n + 1.0 / (double)champion->n));
	r.df = INFINITY;
	if (se > 0.0) {
		r.stat = r.diff / se;
		r.p = erfc(fabs(r.stat) / M_SQRT2);
	} else {
		r.stat = 0.0;
		r.p = 1.0;
	}
	*ret_diff = r;
	return 0;
}

/* ---- Means ----------------------------------------------------------- */

/* Mean and variance from the shifted sums; the variance is clamped at 0
 * (rounding can make sumsq - sum^2/n slightly negative for constant
 * data). */
static int moments_get(const struct experiment_moments *m, const char *what,
		       double *ret_mean, double *ret_var, struct err *e)
{
	double n = (double)m->n, m2;

	if (m->n < 2)
		return err_set(e, ERR_RANGE, "%s: %" PRId64
			       " values, need at least 2", what, m->n);
	if (!isfinite(m->shift) || !isfinite(m->sum) || !isfinite(m->sumsq) ||
	    m->sumsq < 0.0)
		return err_set(e, ERR_RANGE, "%s: sums are not finite", what);
	m2 = m->sumsq - m->sum * (m->sum / n);
	*ret_mean = m->shift + m->sum / n;
	*ret_var = m2 > 0.0 ? m2 / (n - 1.0) : 0.0;
	return 0;
}

int experiment_mean(const struct experiment_moments *m,
		    struct experiment_estimate *ret_est, struct err *e)
{
	struct experiment_estimate r = { 0 };
	double var, half;
	int rc = moments_get(m, "mean", &r.value, &var, e);

	if (rc < 0)
		return rc;
	r.n = m->n;
	r.sd = sqrt(var);
	half = experiment_t_quantile(0.975, (double)(m->n - 1)) * r.sd /
	       sqrt((double)m->n);
	r.lo = r.value - half;
	r.hi = r.value + half;
	*ret_est = r;
	return 0;
}

int experiment_mean_diff(const struct experiment_moments *champion,
			 const struct experiment_moments *challenger,
			 struct experiment_diff *ret_diff, struct err *e)
{
	struct experiment_diff r = { 0 };
	double mean1, var1, mean2, var2, a1, a2, se, half;
	int rc;

	if ((rc = moments_get(champion, "champion", &mean2, &var2, e)) < 0 ||
	    (rc = moments_get(challenger, "challenger", &mean1, &var1, e)) < 0)
		return rc;
	r.diff = mean1 - mean2;
	a1 = var1 / (double)challenger->n;
	a2 = var2 / (double)champion->n;
	se = sqrt(a1 + a2);
	if (!(se > 0.0)) {
		/* Neither varies: the difference is known exactly. */
		r.df = (double)(challenger->n + champion->n - 2);
		r.lo = r.hi = r.diff;
		r.stat = r.diff == 0.0 ? 0.0 : copysign(INFINITY, r.diff);
		r.p = r.diff == 0.0 ? 1.0 : 0.0;
		*ret_diff = r;
		return 0;
	}
	r.df = (a1 + a2) * (a1 + a2) /
	       (a1 * a1 / (double)(challenger->n - 1) +
		a2 * a2 / (double)(champion->n - 1));
	r.stat = r.diff / se;
	r.p = fmin(1.0, 2.0 * experiment_t_sf(fabs(r.stat), r.df));
	half = experiment_t_quantile(0.975, r.df) * se;
	r.lo = r.diff - half;
	r.hi = r.diff + half;
	*ret_diff = r;
	return 0;
}

int experiment_ratio(int64_t num, int64_t den, double *ret_ratio,
		     struct err *e)
{
	if (den <= 0 || num < 0)
		return err_set(e, ERR_RANGE, "ratio %" PRId64 " / %" PRId64
			       ": need a positive denominator", num, den);
	*ret_ratio = (double)num / (double)den;
	return 0;
}

/* ---- Verdict --------------------------------------------------------- */

/* How each metric reads in a sentence. */
static const struct metric_words {
	int higher_better;   /* 1 when a larger value is the better one */
	int is_rate;         /* 1 for proportions (shown in percentage points) */
	const char *events;  /* what the events are called */
	const char *more;    /* the phrase for a positive difference */
	const char *fewer;   /* the phrase for a negative difference */
	const char *up;      /* the direction word of a positive difference */
	const char *down;    /* the direction word of a negative difference */
} metrics[] = {
	[EXPERIMENT_CURE_RATE] = { 1, 1, "cures",
		"the challenger cures %s percentage points more cases",
		"the challenger cures %s percentage points fewer cases",
		"more", "fewer" },
	[EXPERIMENT_OPT_OUT_RATE] = { 0, 1, "opt-outs",
		"the challenger has %s percentage points more opt-outs",
		"the challenger has %s percentage points fewer opt-outs",
		"more", "fewer" },
	[EXPERIMENT_HELP_RATE] = { 0, 1, "help requests",
		"the challenger has %s percentage points more help requests",
		"the challenger has %s percentage points fewer help requests",
		"more", "fewer" },
	[EXPERIMENT_AMOUNT] = { 1, 0, "payments",
		"the challenger recovers %s more per case",
		"the challenger recovers %s less per case",
		"more", "less" },
	[EXPERIMENT_DAYS_TO_PAY] = { 0, 0, "payments",
		"customers under the challenger pay %s days later",
		"customers under the challenger pay %s days sooner",
		"later", "sooner" },
};

#define N_METRICS (sizeof(metrics) / sizeof(metrics[0]))

static int enough(const struct experiment_count *c, double pool, int is_rate)
{
	double n = (double)c->n;

	if (c->n < EXPERIMENT_MIN_N)
		return 0;
	if (n * pool < EXPERIMENT_MIN_EVENTS)
		return 0;
	if (is_rate && n * (1.0 - pool) < EXPERIMENT_MIN_EVENTS)
		return 0;
	return 1;
}

enum experiment_verdict experiment_judge(
	enum experiment_metric metric,
	const struct experiment_count *champion,
	const struct experiment_count *challenger,
	const struct experiment_diff *d)
{
	const struct metric_words *w;
	double pool;

	if ((size_t)metric >= N_METRICS)
		return EXPERIMENT_TOO_EARLY;
	w = &metrics[metric];
	if (champion->n < 1 || challenger->n < 1)
		return EXPERIMENT_TOO_EARLY;
	pool = (double)(champion->events + challenger->events) /
	       (double)(champion->n + challenger->n);
	if (!enough(champion, pool, w->is_rate) ||
	    !enough(challenger, pool, w->is_rate))
		return EXPERIMENT_TOO_EARLY;
	if (!(d->p < 0.05) || !(d->lo > 0.0 || d->hi < 0.0))
		return EXPERIMENT_NO_DIFFERENCE;
	return (d->diff > 0.0) == (w->higher_better != 0) ? EXPERIMENT_BETTER
							  : EXPERIMENT_WORSE;
}

const char *experiment_verdict_text(enum experiment_verdict v)
{
	switch (v) {
	case EXPERIMENT_TOO_EARLY:
		return "not enough data yet";
	case EXPERIMENT_NO_DIFFERENCE:
		return "no significant difference yet";
	case EXPERIMENT_BETTER:
		return "challenger better (significant at 95%)";
	case EXPERIMENT_WORSE:
		return "challenger worse (significant at 95%)";
	}
	return "not enough data yet";
}

#define NUM_MAX 64  /* a formatted count or amount */

/* 1240 -> "1,240". */
static void fmt_count(int64_t v, char out[NUM_MAX])
{
	char digits[32];
	uint64_t mag = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
	int len = snprintf(digits, sizeof(digits), "%" PRIu64, mag);
	size_t o = 0;

	if (v < 0)
		out[o++] = '-';
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

/* A magnitude in the metric's unit: percentage points and days with one
 * decimal, amounts (minor units) as "12.40 EUR". */
static void fmt_value(const struct metric_words *w, double v,
		      const struct currency *cur, char out[NUM_MAX])
{
	if (w->is_rate) {
		snprintf(out, NUM_MAX, "%.1f", v * 100.0);
	} else if (cur) {
		char m[MONEY_FMT_MAX];
		double r = round(v);

		if (!(fabs(r) < 9e15))
			r = 0.0;
		money_format((int64_t)r, cur, m);
		snprintf(out, NUM_MAX, "%s %s", m, cur->code);
	} else {
		snprintf(out, NUM_MAX, "%.1f", v);
	}
}

int experiment_sentence(enum experiment_metric metric,
			const struct experiment_count *champion,
			const struct experiment_count *challenger,
			const struct experiment_diff *d,
			const struct currency *cur, struct buf *out,
			struct err *e)
{
	const struct metric_words *w;
	enum experiment_verdict v;
	char n1[NUM_MAX], n2[NUM_MAX], mag[NUM_MAX], a[NUM_MAX], b[NUM_MAX];
	double lo, hi;
	int neg, rc;

	if ((size_t)metric >= N_METRICS)
		return err_set(e, ERR_INVALID, "experiment: unknown metric %d",
			       (int)metric);
	w = &metrics[metric];
	if (metric == EXPERIMENT_AMOUNT && !cur)
		return err_set(e, ERR_INVALID,
			       "experiment: amounts need a currency");
	v = experiment_judge(metric, champion, challenger, d);
	fmt_count(champion->n, n1);
	fmt_count(challenger->n, n2);
	if (champion->n == challenger->n)
		rc = buf_printf(out, "After %s cases each, ", n1);
	else
		rc = buf_printf(out, "After %s cases (champion) and %s "
				"(challenger), ", n1, n2);
	if (rc < 0)
		goto toobig;
	if (v == EXPERIMENT_TOO_EARLY) {
		fmt_count(EXPERIMENT_MIN_N, a);
		rc = buf_printf(out, "there is not enough data yet to compare "
				"the variants: each needs at least %s cases "
				"and about %d %s.", a, EXPERIMENT_MIN_EVENTS,
				w->events);
		if (rc < 0)
			goto toobig;
		return 0;
	}

	/* State the difference in its own direction, the interval too. */
	neg = d->diff < 0.0;
	lo = neg ? -d->hi : d->lo;
	hi = neg ? -d->lo : d->hi;
	fmt_value(w, fabs(d->diff), cur, mag);
	rc = buf_printf(out, neg ? w->fewer : w->more, mag);
	if (rc < 0)
		goto toobig;
	fmt_value(w, fabs(lo), cur, a);
	fmt_value(w, hi, cur, b);
	if (lo < 0.0)
		rc = buf_printf(out, " (95%% CI %s %s to %s %s)", a,
				neg ? w->up : w->down, b,
				neg ? w->down : w->up);
	else
		rc = buf_printf(out, " (95%% CI %s to %s)", a, b);
	if (rc < 0)
		goto toobig;
	if (v == EXPERIMENT_NO_DIFFERENCE)
		rc = buf_puts(out, "; this could still be chance: no "
			      "significant difference yet.");
	else
		rc = buf_puts(out, "; this difference is unlikely to be "
			      "chance.");
	if (rc < 0)
		goto toobig;
	return 0;
toobig:
	return err_set(e, ERR_TOOBIG, "experiment: sentence longer than %zu "
		       "bytes", out->max);
}
