/*
 * test_experiment: stable assignment (same variant every time, the
 * configured split on 10,000 customers, experiments independent) and the
 * statistics of src/experiment.c against reference values.
 *
 * Reference values come from published worked examples (Newcombe 1998;
 * Wikipedia's Welch's t-test examples) and from SciPy 1.10.1
 * (Debian python3-scipy), computed independently:
 *     stats.norm.ppf(p), stats.t.ppf(p, df), stats.t.sf(t, df)
 *     stats.ttest_ind(challenger, champion, equal_var=False)
 *     Welch CI: diff +- stats.t.ppf(0.975, df) * se
 *     Wilson / Newcombe: the formulas of Newcombe 1998 with
 *         z = stats.norm.ppf(0.975); pooled z-test p = 2 * norm.sf(|z|)
 * Assignments were reproduced with Python's hashlib:
 *     h = sha256(exp + b"\0" + str(tenant) + b"\0" + cust).digest()
 *     x = int.from_bytes(h[:8], "big"); point = x * sum(w) >> 64
 */
#include <math.h>
#include <stdio.h>

#include "check.h"
#include "experiment.h"

#define TOL 1e-4  /* the brief: statistics agree to 1e-4 */

static int near(double got, double want, double tol)
{
	return fabs(got - want) <= tol;
}

#define CHECK_NEAR(got, want, tol)                                          \
	do {                                                                \
		double g_ = (got), w_ = (want);                             \
		if (!near(g_, w_, (tol))) {                                 \
			fprintf(stdout, "  %s:%d: %s = %.12g, want %.12g\n",\
				__FILE__, __LINE__, #got, g_, w_);          \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

/* ---- Assignment ------------------------------------------------------ */

TEST(test_assign_pinned)
{
	static const unsigned w50[] = { 50, 50 }, w235[] = { 20, 30, 50 },
			      w103[] = { 1, 0, 3 };

	/* Values computed with Python's hashlib (see the top comment): the
	 * same on every machine and in every process. */
	CHECK_INT(experiment_assign("cure-sms-first", 1, "C00001", w50, 2), 1);
	CHECK_INT(experiment_assign("cure-sms-first", 1, "C00002", w50, 2), 0);
	CHECK_INT(experiment_assign("cure-sms-first", 2, "C00001", w50, 2), 1);
	CHECK_INT(experiment_assign("tone-2026", 7, "cust-42", w235, 3), 0);
	CHECK_INT(experiment_assign("tone-2026", 7, "cust-43", w235, 3), 2);
	CHECK_INT(experiment_assign("tone-2026", 7, "cust-44", w235, 3), 0);
	CHECK_INT(experiment_assign("tone-2026", 7, "cust-45", w235, 3), 2);
	CHECK_INT(experiment_assign("x", -5, "", w103, 3), 2);
	/* Asking again gives the same answer. */
	for (int i = 0; i < 100; i++)
		CHECK_INT(experiment_assign("tone-2026", 7, "cust-43", w235, 3),
			  2);
}

TEST(test_assign_invalid)
{
	static const unsigned w[] = { 1, 1 }, zero[] = { 0, 0 },
			      big[] = { 4000000000u, 4000000000u };
	unsigned many[EXPERIMENT_MAX_VARIANTS + 1];

	for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++)
		many[i] = 1;
	CHECK_INT(experiment_assign(NULL, 1, "c", w, 2), -ERR_INVALID);
	CHECK_INT(experiment_assign("e", 1, NULL, w, 2), -ERR_INVALID);
	CHECK_INT(experiment_assign("e", 1, "c", NULL, 2), -ERR_INVALID);
	CHECK_INT(experiment_assign("e", 1, "c", w, 0), -ERR_INVALID);
	CHECK_INT(experiment_assign("e", 1, "c", zero, 2), -ERR_INVALID);
	CHECK_INT(experiment_assign("e", 1, "c", big, 2), -ERR_INVALID);
	CHECK_INT(experiment_assign("e", 1, "c", many,
				    EXPERIMENT_MAX_VARIANTS + 1),
		  -ERR_INVALID);
	CHECK(experiment_assign("e", 1, "c", many, EXPERIMENT_MAX_VARIANTS) >=
	      0);
	/* One variant takes everybody. */
	CHECK_INT(experiment_assign("e", 1, "c", w, 1), 0);
}

/* Count the variants of customers C00000..C09999. */
static void split(const char *exp, const unsigned *w, size_t n,
		  int counts[EXPERIMENT_MAX_VARIANTS])
{
	char cust[16];

	memset(counts, 0, sizeof(int) * EXPERIMENT_MAX_VARIANTS);
	for (int i = 0; i < 10000; i++) {
		int v;

		snprintf(cust, sizeof(cust), "C%05d", i);
		v = experiment_assign(exp, 7, cust, w, n);
		CHECK(v >= 0 && (size_t)v < n);
		if (v >= 0 && (size_t)v < n)
			counts[v]++;
	}
}

TEST(test_assign_split)
{
	static const unsigned w50[] = { 50, 50 }, w90[] = { 90, 10 },
			      w235[] = { 20, 30, 50 }, w0[] = { 1, 0, 1 };
	int c[EXPERIMENT_MAX_VARIANTS];

	split("cure-sms-first", w50, 2, c);
	CHECK(c[0] >= 4800 && c[0] <= 5200);
	CHECK_INT(c[0] + c[1], 10000);
	split("reminder-tone", w90, 2, c);
	CHECK(c[0] >= 8850 && c[0] <= 9150);
	CHECK_INT(c[0] + c[1], 10000);
	split("tone-2026", w235, 3, c);
	CHECK(c[0] >= 1850 && c[0] <= 2150);
	CHECK(c[1] >= 2850 && c[1] <= 3150);
	CHECK(c[2] >= 4850 && c[2] <= 5150);
	/* Exactly Python's counts for the same 10,000 customers. */
	CHECK_INT(c[0], 2057);
	CHECK_INT(c[1], 2927);
	CHECK_INT(c[2], 5016);
	/* A zero weight gets nobody. */
	split("paused-variant", w0, 3, c);
	CHECK_INT(c[1], 0);
	CHECK(c[0] >= 4800 && c[2] >= 4800);
}

TEST(test_assign_independent)
{
	static const unsigned w50[] = { 50, 50 }, w235[] = { 20, 30, 50 };
	int joint[2][2] = { { 0 } }, joint3[2][3] = { { 0 } };
	char cust[16];
	double chi2 = 0.0, chi3 = 0.0;
	int r0 = 0, c0 = 0;

	for (int i = 0; i < 10000; i++) {
		int a, b, t;

		snprintf(cust, sizeof(cust), "C%05d", i);
		a = experiment_assign("experiment-a", 7, cust, w50, 2);
		b = experiment_assign("experiment-b", 7, cust, w50, 2);
		t = experiment_assign("experiment-c", 7, cust, w235, 3);
		if (a < 0 || b < 0 || t < 0) {
			CHECK(0);
			return;
		}
		joint[a][b]++;
		joint3[a][t]++;
	}
	/* Each cell near 2,500 (sd about 43), and Pearson's chi-square of
	 * the 2x2 table below 10.83 (independence not rejected at 0.1%). */
	for (int a = 0; a < 2; a++) {
		r0 += a == 0 ? joint[0][0] + joint[0][1] : 0;
		c0 += a == 0 ? joint[0][0] + joint[1][0] : 0;
	}
	for (int a = 0; a < 2; a++)
		for (int b = 0; b < 2; b++) {
			double ra = a == 0 ? r0 : 10000 - r0;
			double cb = b == 0 ? c0 : 10000 - c0;
			double ex = ra * cb / 10000.0, d = joint[a][b] - ex;

			CHECK(joint[a][b] >= 2350 && joint[a][b] <= 2650);
			chi2 += d * d / ex;
		}
	CHECK(chi2 < 10.83);
	/* 2x3 against a 20/30/50 experiment: chi-square (2 df) < 13.82. */
	{
		int rows[2] = { 0 }, cols[3] = { 0 };

		for (int a = 0; a < 2; a++)
			for (int t = 0; t < 3; t++) {
				rows[a] += joint3[a][t];
				cols[t] += joint3[a][t];
			}
		for (int a = 0; a < 2; a++)
			for (int t = 0; t < 3; t++) {
				double ex = (double)rows[a] * cols[t] / 1e4;
				double d = joint3[a][t] - ex;

				chi3 += d * d / ex;
			}
		CHECK(chi3 < 13.82);
	}
}

/* ---- Distributions --------------------------------------------------- */

TEST(test_normal_quantile)
{
	/* SciPy stats.norm.ppf. */
	static const struct { double p, x; } cases[] = {
		{ 0.975, 1.959963984540054 },
		{ 0.5 + 1e-9, 2.5066282037387115e-09 },
		{ 0.9, 1.2815515655446004 },
		{ 0.01, -2.3263478740408408 },
		{ 1e-10, -6.361340902404056 },
		{ 1e-300, -37.0470962993612 },
		{ 1 - 1e-12, 7.0344869100478356 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_NEAR(experiment_normal_quantile(cases[i].p), cases[i].x,
			   1e-12 * fmax(1.0, fabs(cases[i].x)));
	CHECK_NEAR(experiment_normal_quantile(0.5), 0.0, 0.0);
	CHECK(isnan(experiment_normal_quantile(0.0)));
	CHECK(isnan(experiment_normal_quantile(1.0)));
	CHECK(isnan(experiment_normal_quantile(NAN)));
}

TEST(test_t_quantile)
{
	/* The root of scipy.stats.t.sf(x, df) = tail (optimize.brentq on the
	 * log, rtol 8.9e-16). Not stats.t.ppf: SciPy 1.10's ppf is off by up
	 * to 1e-9 relative (df 5, p 0.975: 2.5705818366147395, whose sf is
	 * 0.02499999997 by the closed form for odd df), while these agree
	 * with the closed forms (df 1: cot(pi * 0.025) = 12.7062047361747). */
	static const struct { double df, p, x; } cases[] = {
		{ 1, 0.975, 12.706204736174692 },
		{ 1, 0.995, 63.65674116287151 },
		{ 1, 0.6, 0.3249196962329063 },
		{ 1, 1e-06, -318309.88618274336 },
		{ 2, 0.975, 4.302652729749461 },
		{ 2, 0.995, 9.924843200918287 },
		{ 2, 1e-06, -707.1057205259335 },
		{ 3, 0.975, 3.1824463052837086 },
		{ 3, 0.995, 5.840909309733354 },
		{ 3, 0.6, 0.2766706623326899 },
		{ 3, 1e-06, -103.29946778041929 },
		{ 5, 0.975, 2.570581835636314 },
		{ 5, 1e-06, -24.771029720515944 },
		{ 9, 0.975, 2.2621571627982044 },
		{ 9, 0.995, 3.249835541592126 },
		{ 29.5, 0.975, 2.043724966772123 },
		{ 29.5, 0.6, 0.2556438332441566 },
		{ 29.5, 1e-06, -5.8936513014981005 },
		{ 100, 0.975, 1.9839715185235516 },
		{ 100, 0.995, 2.625890521438017 },
		{ 100, 1e-06, -5.048830877228346 },
		{ 1000, 0.975, 1.9623390808264078 },
		{ 1000, 0.995, 2.58075469806595 },
		{ 99999, 0.975, 1.9599877077718442 },
		{ 99999, 1e-06, -4.753704719195537 },
		{ 1e6, 0.975, 1.9599663568141061 },
		{ 1e6, 0.6, 0.2533471705378417 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = experiment_t_quantile(cases[i].p, cases[i].df);

		/* Far tighter than the brief's 1e-4: relative 1e-10. */
		if (!near(got, cases[i].x, 1e-10 * fmax(1.0, fabs(cases[i].x))))
			printf("  t_quantile(%g, %g) = %.17g, want %.17g\n",
			       cases[i].p, cases[i].df, got, cases[i].x);
		CHECK_NEAR(got, cases[i].x, 1e-10 * fmax(1.0, fabs(cases[i].x)));
	}
	CHECK_NEAR(experiment_t_quantile(0.5, 4), 0.0, 0.0);
	CHECK(isnan(experiment_t_quantile(0.975, 0)));
	CHECK(isnan(experiment_t_quantile(1.0, 5)));
}

TEST(test_t_sf)
{
	/* SciPy stats.t.sf(t, df). */
	static const struct { double df, t, p; } cases[] = {
		{ 1, 0.1, 0.4682744825694464 },
		{ 1, 1.0, 0.25 },
		{ 1, 2.5, 0.12111894159084335 },
		{ 1, -1.5, 0.8128329581890013 },
		{ 1, 12.0, 0.02646467605958987 },
		{ 3, 0.1, 0.4633261744004029 },
		{ 3, 2.5, 0.04385332350403277 },
		{ 3, 12.0, 0.000622507900394668 },
		{ 7.25, 1.0, 0.17475543889857562 },
		{ 7.25, -1.5, 0.9120786419378002 },
		{ 7.25, 12.0, 2.4069597264523734e-06 },
		{ 30, 2.5, 0.009057824534033353 },
		{ 30, 12.0, 2.7900927075996303e-13 },
		{ 1000, 0.1, 0.4601821845118021 },
		{ 1000, 2.5, 0.006289283900545397 },
		{ 1000, 12.0, 2.16202869338729e-31 },
		{ 1e6, 1.0, 0.15865537491678905 },
		{ 1e6, -1.5, 0.9331926408816036 },
		{ 1e6, 12.0, 1.785842562382539e-33 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		/* relative 1e-10 (the tail values are tiny) */
		CHECK_NEAR(experiment_t_sf(cases[i].t, cases[i].df),
			   cases[i].p, 1e-10 * cases[i].p);
	CHECK_NEAR(experiment_t_sf(0.0, 10), 0.5, 1e-15);
	CHECK(isnan(experiment_t_sf(1.0, -1)));
}

/* ---- Proportions ----------------------------------------------------- */

TEST(test_wilson)
{
	/* Newcombe 1998 (Stat Med 17:857-872), Table I, method 3 (Wilson
	 * score without continuity correction): 81/263 0.2553-0.3662,
	 * 15/148 0.0624-0.1605, 0/20 0.0000-0.1611, 1/29 0.0061-0.1718;
	 * SciPy-based formula to 1e-12 for 620/1240. */
	static const struct { int64_t k, n; double lo, hi, tol; } cases[] = {
		{ 81, 263, 0.2553, 0.3662, 0.6e-4 },
		{ 15, 148, 0.0624, 0.1605, 0.6e-4 },
		{ 0, 20, 0.0, 0.1611, 0.6e-4 },
		{ 1, 29, 0.0061, 0.1718, 0.6e-4 },
		{ 81, 263, 0.2552885198782742, 0.36620957698280004, 1e-12 },
		{ 620, 1240, 0.472213388999017, 0.527786611000983, 1e-12 },
	};
	struct experiment_estimate est;
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct experiment_count c = { cases[i].k, cases[i].n };

		CHECK_INT(experiment_proportion(&c, &est, &e), 0);
		CHECK_INT(est.n, cases[i].n);
		CHECK_NEAR(est.value, (double)cases[i].k / cases[i].n, 1e-15);
		CHECK_NEAR(est.lo, cases[i].lo, cases[i].tol);
		CHECK_NEAR(est.hi, cases[i].hi, cases[i].tol);
		CHECK(est.lo >= 0.0 && est.hi <= 1.0);
	}
	{
		struct experiment_count all = { 20, 20 }, none = { 0, 0 },
					bad = { 5, 4 };

		CHECK_INT(experiment_proportion(&all, &est, &e), 0);
		CHECK_NEAR(est.lo, 1.0 - 0.1611, 0.6e-4);
		CHECK_NEAR(est.hi, 1.0, 0.0);
		CHECK_INT(experiment_proportion(&none, &est, &e), -ERR_RANGE);
		CHECK(strstr(e.msg, "0 cases") != NULL);
		CHECK_INT(experiment_proportion(&bad, &est, &e), -ERR_RANGE);
	}
}

TEST(test_proportion_diff)
{
	/* Newcombe 1998 (Stat Med 17:873-890), Table II, method 10 (hybrid
	 * score): (a) 56/70-48/80 0.0524 to 0.3339, (b) 9/10-3/10 0.1705 to
	 * 0.8090, (d) 5/56-0/29 -0.0381 to 0.1926, (e) 0/10-0/20 -0.1611 to
	 * 0.2775, (f) 0/10-0/10 -0.2775 to 0.2775, (g) 10/10-0/20 0.6791 to
	 * 1.0000, (h) 10/10-0/10 0.6075 to 1.0000. p-values: the pooled
	 * z-test, 2 * scipy.stats.norm.sf(|z|). Here the first proportion is
	 * the challenger's. */
	static const struct {
		int64_t k1, n1, k2, n2;
		double lo, hi, z, p;
	} cases[] = {
		{ 56, 70, 48, 80, 0.0524, 0.3339, 2.6501719512585336,
		  0.00804508136819656 },
		{ 9, 10, 3, 10, 0.1705, 0.8090, 2.738612787525831,
		  0.006169899320544151 },
		{ 6, 7, 2, 7, 0.0582279274823122, 0.8062496375242277,
		  2.160246899469287, 0.030753561259274524 },
		{ 5, 56, 0, 29, -0.0381, 0.1926, 1.6586488692392285,
		  0.09718656817057973 },
		{ 0, 10, 0, 20, -0.1611, 0.2775, 0.0, 1.0 },
		{ 0, 10, 0, 10, -0.2775, 0.2775, 0.0, 1.0 },
		{ 10, 10, 0, 20, 0.6791, 1.0000, 5.47722557505166,
		  4.320463057827506e-08 },
		{ 10, 10, 0, 10, 0.6075, 1.0000, 4.47213595499958,
		  7.74421643104407e-06 },
	};
	struct experiment_diff d;
	struct err e;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct experiment_count ch = { cases[i].k1, cases[i].n1 };
		struct experiment_count champ = { cases[i].k2, cases[i].n2 };

		CHECK_INT(experiment_proportion_diff(&champ, &ch, &d, &e), 0);
		CHECK_NEAR(d.diff, (double)cases[i].k1 / cases[i].n1 -
					   (double)cases[i].k2 / cases[i].n2,
			   1e-15);
		/* published to 4 decimals: within half a unit plus rounding */
		CHECK_NEAR(d.lo, cases[i].lo, 0.6e-4);
		CHECK_NEAR(d.hi, cases[i].hi, 0.6e-4);
		CHECK_NEAR(d.stat, cases[i].z, 1e-9);
		CHECK_NEAR(d.p, cases[i].p, 1e-9 * fmax(cases[i].p, 1e-6));
		CHECK(isinf(d.df));
	}
	/* Swapping the variants mirrors the interval. */
	{
		struct experiment_count a = { 56, 70 }, b = { 48, 80 };

		CHECK_INT(experiment_proportion_diff(&a, &b, &d, &e), 0);
		CHECK_NEAR(d.diff, -0.2, 1e-15);
		CHECK_NEAR(d.lo, -0.3339, 0.6e-4);
		CHECK_NEAR(d.hi, -0.0524, 0.6e-4);
	}
}

/* ---- Means ----------------------------------------------------------- */

/* Wikipedia "Welch's t-test", examples 1 and 2 (reported there rounded:
 * t = -2.46, df 24.99, p 0.021; t = -1.57, df 9.9, p 0.149, for A1 - A2;
 * here the challenger is A2, so t is positive). Full precision from
 * scipy.stats.ttest_ind(A2, A1, equal_var=False). */
static const double a1[] = { 27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
			     21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4 };
static const double a2[] = { 27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
			     24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4 };
static const double b1[] = { 17.2, 20.9, 22.6, 18.1, 21.7, 21.4, 23.5, 24.2,
			     14.7, 21.8 };
static const double b2[] = { 21.5, 22.8, 21.0, 23.0, 21.6, 23.6, 22.5,
			     20.7, 23.4, 21.8, 20.7, 21.7, 21.5, 22.5,
			     23.6, 21.5, 22.5, 23.5, 21.5, 21.8 };

static struct experiment_moments moments(const double *x, size_t n,
					 double shift)
{
	struct experiment_moments m = { 0, shift, 0.0, 0.0 };

	for (size_t i = 0; i < n; i++)
		experiment_moments_add(&m, x[i]);
	return m;
}

TEST(test_mean)
{
	struct experiment_moments m = moments(a1, 15, 0.0);
	struct experiment_estimate est;
	struct err e;

	/* scipy: mean +- stats.t.ppf(0.975, n-1) * sd / sqrt(n) */
	CHECK_INT(experiment_mean(&m, &est, &e), 0);
	CHECK_INT(est.n, 15);
	CHECK_NEAR(est.value, 20.82, 1e-12);
	CHECK_NEAR(est.sd, 2.804893682731767, 1e-12);
	CHECK_NEAR(est.lo, 19.26670165245188, 1e-10);
	CHECK_NEAR(est.hi, 22.373298347548122, 1e-10);
	m = moments(b2, 20, 22.0);
	CHECK_INT(experiment_mean(&m, &est, &e), 0);
	CHECK_NEAR(est.value, 22.135, 1e-12);
	CHECK_NEAR(est.sd, 0.9477258097816669, 1e-12);
	CHECK_NEAR(est.lo, 21.691450667686208, 1e-10);
	CHECK_NEAR(est.hi, 22.578549332313795, 1e-10);

	/* Too few values. */
	m = moments(a1, 1, 0.0);
	CHECK_INT(experiment_mean(&m, &est, &e), -ERR_RANGE);
	m.sum = NAN;
	m.n = 5;
	CHECK_INT(experiment_mean(&m, &est, &e), -ERR_RANGE);
}

TEST(test_mean_shift)
{
	/* Amounts near 10^9 minor units varying by a few units: without a
	 * shift, sumsq - sum^2/n cancels (about 18 of 16 digits); shifted
	 * by a typical value the variance is exact. */
	static const double x[] = { 1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4,
				    1e9 + 5 };
	struct experiment_moments m = moments(x, 5, 1e9);
	struct experiment_estimate est;
	struct err e;

	CHECK_INT(experiment_mean(&m, &est, &e), 0);
	CHECK_NEAR(est.value, 1e9 + 3, 0.0);
	CHECK_NEAR(est.sd, sqrt(2.5), 1e-15);
	/* Constant data: no negative variance from rounding. */
	{
		static const double c[] = { 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1 };

		m = moments(c, 7, 0.0);
		CHECK_INT(experiment_mean(&m, &est, &e), 0);
		CHECK(est.sd >= 0.0 && est.sd < 1e-8);
		CHECK(!isnan(est.lo) && !isnan(est.hi));
	}
}

TEST(test_mean_diff)
{
	struct experiment_moments champ = moments(a1, 15, 0.0);
	struct experiment_moments ch = moments(a2, 15, 0.0);
	struct experiment_diff d;
	struct err e;

	CHECK_INT(experiment_mean_diff(&champ, &ch, &d, &e), 0);
	CHECK_NEAR(d.diff, 2.166666666666668, 1e-12);
	CHECK_NEAR(d.stat, 2.455356398286006, 1e-10);
	CHECK_NEAR(d.df, 24.98852929023142, 1e-9);
	CHECK_NEAR(d.p, 0.021378001462866985, 1e-10);
	CHECK_NEAR(d.lo, 0.34923706619240935, 1e-9);
	CHECK_NEAR(d.hi, 3.9840962671409264, 1e-9);
	/* Wikipedia's rounded figures. */
	CHECK_NEAR(d.stat, 2.46, 0.005);
	CHECK_NEAR(d.df, 24.99, 0.005);
	CHECK_NEAR(d.p, 0.021, 0.0005);

	champ = moments(b1, 10, 20.0);
	ch = moments(b2, 20, 20.0);
	CHECK_INT(experiment_mean_diff(&champ, &ch, &d, &e), 0);
	CHECK_NEAR(d.diff, 1.5250000000000021, 1e-12);
	CHECK_NEAR(d.stat, 1.5654335235985037, 1e-10);
	CHECK_NEAR(d.df, 9.904741248650831, 1e-9);
	CHECK_NEAR(d.p, 0.14884169660532834, 1e-10);
	CHECK_NEAR(d.lo, -0.6484213253524227, 1e-9);
	CHECK_NEAR(d.hi, 3.698421325352427, 1e-9);

	/* From SQL-style sums: days to pay, mean 31.2 (sd 14.5, n 1240)
	 * against 29.4 (sd 12.1, n 1198); scipy ttest_ind_from_stats:
	 * t = -3.3323708351585464, p = 0.0008742342011716749. */
	{
		struct experiment_moments s1 = { 1240, 0.0, 0.0, 0.0 };
		struct experiment_moments s2 = { 1198, 0.0, 0.0, 0.0 };

		s1.sum = 31.2 * 1240;
		s1.sumsq = 14.5 * 14.5 * 1239 + s1.sum * s1.sum / 1240;
		s2.sum = 29.4 * 1198;
		s2.sumsq = 12.1 * 12.1 * 1197 + s2.sum * s2.sum / 1198;
		CHECK_INT(experiment_mean_diff(&s1, &s2, &d, &e), 0);
		CHECK_NEAR(d.stat, -3.3323708351585464, TOL);
		CHECK_NEAR(d.p, 0.0008742342011716749, 1e-6);
	}

	/* Neither varies. */
	{
		static const double five[] = { 5, 5, 5 }, six[] = { 6, 6 };
		struct experiment_moments f = moments(five, 3, 0.0);
		struct experiment_moments s = moments(six, 2, 0.0);

		CHECK_INT(experiment_mean_diff(&f, &s, &d, &e), 0);
		CHECK_NEAR(d.diff, 1.0, 0.0);
		CHECK_NEAR(d.lo, 1.0, 0.0);
		CHECK_NEAR(d.hi, 1.0, 0.0);
		CHECK_NEAR(d.p, 0.0, 0.0);
		CHECK_INT(experiment_mean_diff(&f, &f, &d, &e), 0);
		CHECK_NEAR(d.p, 1.0, 0.0);
	}
	{
		struct experiment_moments one = moments(a1, 1, 0.0);

		CHECK_INT(experiment_mean_diff(&champ, &one, &d, &e),
			  -ERR_RANGE);
		CHECK(strstr(e.msg, "challenger") != NULL);
	}
}

TEST(test_ratio)
{
	double r = 0.0;
	struct err e;

	CHECK_INT(experiment_ratio(5210, 1240, &r, &e), 0);
	CHECK_NEAR(r, 5210.0 / 1240.0, 1e-15);
	r = 7.0;
	CHECK_INT(experiment_ratio(10, 0, &r, &e), -ERR_RANGE);
	CHECK_NEAR(r, 7.0, 0.0);  /* untouched on failure */
	CHECK_INT(experiment_ratio(-1, 3, &r, &e), -ERR_RANGE);
}

/* ---- Verdict and sentence ------------------------------------------- */

static const char *sentence(enum experiment_metric m,
			    struct experiment_count champ,
			    struct experiment_count ch,
			    const struct experiment_diff *d,
			    const struct currency *cur, struct buf *b)
{
	struct err e;

	buf_reset(b);
	CHECK_INT(experiment_sentence(m, &champ, &ch, d, cur, b, &e), 0);
	return buf_cstr(b);
}

TEST(test_verdict)
{
	struct experiment_count champ = { 496, 1240 }, ch = { 534, 1240 };
	struct experiment_diff d;
	struct err e;
	struct buf b;

	buf_init(&b, 4096);
	CHECK_STR(experiment_verdict_text(EXPERIMENT_TOO_EARLY),
		  "not enough data yet");
	CHECK_STR(experiment_verdict_text(EXPERIMENT_NO_DIFFERENCE),
		  "no significant difference yet");
	CHECK_STR(experiment_verdict_text(EXPERIMENT_BETTER),
		  "challenger better (significant at 95%)");
	CHECK_STR(experiment_verdict_text(EXPERIMENT_WORSE),
		  "challenger worse (significant at 95%)");

	/* 40.0% against 43.1%: p = 0.12, not significant yet. */
	CHECK_INT(experiment_proportion_diff(&champ, &ch, &d, &e), 0);
	CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &champ, &ch, &d),
		  EXPERIMENT_NO_DIFFERENCE);
	CHECK_STR(sentence(EXPERIMENT_CURE_RATE, champ, ch, &d, NULL, &b),
		  "After 1,240 cases each, the challenger cures 3.1 percentage "
		  "points more cases (95% CI 0.8 fewer to 6.9 more); this could "
		  "still be chance: no significant difference yet.");

	/* 40.0% against 45.6%: significant, better. */
	ch.events = 566;
	CHECK_INT(experiment_proportion_diff(&champ, &ch, &d, &e), 0);
	CHECK(d.p < 0.05 && d.lo > 0.0);
	CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &champ, &ch, &d),
		  EXPERIMENT_BETTER);
	CHECK_STR(sentence(EXPERIMENT_CURE_RATE, champ, ch, &d, NULL, &b),
		  "After 1,240 cases each, the challenger cures 5.6 percentage "
		  "points more cases (95% CI 1.8 to 9.5); this difference is "
		  "unlikely to be chance.");
	/* The same numbers as opt-outs: more is worse. */
	CHECK_INT(experiment_judge(EXPERIMENT_OPT_OUT_RATE, &champ, &ch, &d),
		  EXPERIMENT_WORSE);

	/* Swapped: the challenger cures fewer. */
	CHECK_INT(experiment_proportion_diff(&ch, &champ, &d, &e), 0);
	CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &ch, &champ, &d),
		  EXPERIMENT_WORSE);
	CHECK_STR(sentence(EXPERIMENT_CURE_RATE, ch, champ, &d, NULL, &b),
		  "After 1,240 cases each, the challenger cures 5.6 percentage "
		  "points fewer cases (95% CI 1.8 to 9.5); this difference is "
		  "unlikely to be chance.");

	/* Too few cases, too few events. */
	{
		struct experiment_count c1 = { 30, 85 }, c2 = { 50, 92 };

		CHECK_INT(experiment_proportion_diff(&c1, &c2, &d, &e), 0);
		CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &c1, &c2, &d),
			  EXPERIMENT_TOO_EARLY);
		CHECK_STR(sentence(EXPERIMENT_CURE_RATE, c1, c2, &d, NULL, &b),
			  "After 85 cases (champion) and 92 (challenger), there "
			  "is not enough data yet to compare the variants: each "
			  "needs at least 100 cases and about 10 cures.");
	}
	{
		/* 3 against 4 opt-outs in 500 cases: too rare to judge. */
		struct experiment_count c1 = { 3, 500 }, c2 = { 4, 500 };

		CHECK_INT(experiment_proportion_diff(&c1, &c2, &d, &e), 0);
		CHECK_INT(experiment_judge(EXPERIMENT_OPT_OUT_RATE, &c1, &c2,
					   &d),
			  EXPERIMENT_TOO_EARLY);
	}
	{
		/* 50 against 0 opt-outs in 1,000 cases: a real result. */
		struct experiment_count c1 = { 50, 1000 }, c2 = { 0, 1000 };

		CHECK_INT(experiment_proportion_diff(&c1, &c2, &d, &e), 0);
		CHECK_INT(experiment_judge(EXPERIMENT_OPT_OUT_RATE, &c1, &c2,
					   &d),
			  EXPERIMENT_BETTER);
		CHECK_STR(sentence(EXPERIMENT_OPT_OUT_RATE, c1, c2, &d, NULL,
				   &b),
			  "After 1,000 cases each, the challenger has 5.0 "
			  "percentage points fewer opt-outs (95% CI 3.8 to "
			  "6.5); this difference is unlikely to be chance.");
	}
	{
		/* p and interval disagree at the margin: not yet. */
		struct experiment_diff m = { 0.02, -0.001, 0.04, 0.049, 1.97,
					     INFINITY };
		struct experiment_count c = { 500, 1000 };

		CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &c, &c, &m),
			  EXPERIMENT_NO_DIFFERENCE);
		m.lo = 0.001;
		CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &c, &c, &m),
			  EXPERIMENT_BETTER);
		m.p = 0.051;
		CHECK_INT(experiment_judge(EXPERIMENT_CURE_RATE, &c, &c, &m),
			  EXPERIMENT_NO_DIFFERENCE);
	}
	buf_free(&b);
}

TEST(test_sentence_means)
{
	const struct currency *eur = currency_find("EUR");
	struct experiment_count c1 = { 700, 1240 }, c2 = { 760, 1198 };
	struct experiment_moments s1 = { 1240, 0.0, 0.0, 0.0 };
	struct experiment_moments s2 = { 1198, 0.0, 0.0, 0.0 };
	struct experiment_diff d;
	struct err e;
	struct buf b;

	buf_init(&b, 4096);
	CHECK(eur != NULL);
	/* Days to pay 31.2 (sd 14.5) against 29.4 (sd 12.1). */
	s1.sum = 31.2 * 1240;
	s1.sumsq = 14.5 * 14.5 * 1239 + s1.sum * s1.sum / 1240;
	s2.sum = 29.4 * 1198;
	s2.sumsq = 12.1 * 12.1 * 1197 + s2.sum * s2.sum / 1198;
	CHECK_INT(experiment_mean_diff(&s1, &s2, &d, &e), 0);
	CHECK_INT(experiment_judge(EXPERIMENT_DAYS_TO_PAY, &c1, &c2, &d),
		  EXPERIMENT_BETTER);
	CHECK_STR(sentence(EXPERIMENT_DAYS_TO_PAY, c1, c2, &d, NULL, &b),
		  "After 1,240 cases (champion) and 1,198 (challenger), "
		  "customers under the challenger pay 1.8 days sooner (95% CI "
		  "0.7 to 2.9); this difference is unlikely to be chance.");

	/* Amount per case in cents: 8,412 against 8,650, sd 6,000. */
	s1.sum = 8412.0 * 1240;
	s1.sumsq = 6000.0 * 6000.0 * 1239 + s1.sum * s1.sum / 1240;
	s2.sum = 8650.0 * 1198;
	s2.sumsq = 6000.0 * 6000.0 * 1197 + s2.sum * s2.sum / 1198;
	CHECK_INT(experiment_mean_diff(&s1, &s2, &d, &e), 0);
	CHECK_INT(experiment_judge(EXPERIMENT_AMOUNT, &c1, &c2, &d),
		  EXPERIMENT_NO_DIFFERENCE);
	CHECK_STR(sentence(EXPERIMENT_AMOUNT, c1, c2, &d, eur, &b),
		  "After 1,240 cases (champion) and 1,198 (challenger), the "
		  "challenger recovers 2.38 EUR more per case (95% CI 2.39 EUR "
		  "less to 7.15 EUR more); this could still be chance: no "
		  "significant difference yet.");

	/* Amounts need a currency; a full buffer is an error. */
	buf_reset(&b);
	CHECK_INT(experiment_sentence(EXPERIMENT_AMOUNT, &c1, &c2, &d, NULL,
				      &b, &e),
		  -ERR_INVALID);
	buf_free(&b);
	buf_init(&b, 20);
	CHECK_INT(experiment_sentence(EXPERIMENT_DAYS_TO_PAY, &c1, &c2, &d,
				      NULL, &b, &e),
		  -ERR_TOOBIG);
	buf_free(&b);
}

int main(void)
{
	RUN(test_assign_pinned);
	RUN(test_assign_invalid);
	RUN(test_assign_split);
	RUN(test_assign_independent);
	RUN(test_normal_quantile);
	RUN(test_t_quantile);
	RUN(test_t_sf);
	RUN(test_wilson);
	RUN(test_proportion_diff);
	RUN(test_mean);
	RUN(test_mean_shift);
	RUN(test_mean_diff);
	RUN(test_ratio);
	RUN(test_verdict);
	RUN(test_sentence_means);
	return CHECK_DONE();
}
