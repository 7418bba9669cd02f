/*
 * test_retry: failed automatic payments (src/retry.c) — hard and soft
 * declines from Stripe's codes and SEPA return reasons, and retry days:
 * the default spread, weekends and public holidays skipped, the window's
 * end respected, and arguments out of range refused.
 */
#include <string.h>

#include "cal.h"
#include "check.h"
#include "date.h"
#include "retry.h"

static date_t D(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* The schedule as "YYYY-MM-DD,..." for one comparison. */
static void join(const date_t *d, int n, char *out, size_t cap)
{
	size_t len = 0;
	out[0] = '\0';
	for (int i = 0; i < n && len + DATE_FMT_MAX + 1 < cap; i++) {
		char s[DATE_FMT_MAX];
		date_format(d[i], s);
		len += (size_t)snprintf(out + len, cap - len, "%s%s",
					i ? "," : "", s);
	}
}

TEST(test_classify)
{
	CHECK_INT(retry_classify("insufficient_funds", 0), RETRY_SOFT);
	CHECK_INT(retry_classify("do_not_honor", 1), RETRY_SOFT);
	CHECK_INT(retry_classify("stolen_card", 0), RETRY_HARD);
	CHECK_INT(retry_classify("LOST_CARD", 0), RETRY_HARD);
	CHECK_INT(retry_classify("AM04", 0), RETRY_SOFT);  /* no funds */
	CHECK_INT(retry_classify("AC04", 0), RETRY_HARD);  /* closed */
	CHECK_INT(retry_classify("MD01", 0), RETRY_HARD);  /* no mandate */
	CHECK_INT(retry_classify("MD07", 0), RETRY_HARD);  /* deceased */
	CHECK_INT(retry_classify("something_new", 0), RETRY_SOFT);
	CHECK_INT(retry_classify("something_new", 1), RETRY_HARD);
	CHECK_INT(retry_classify("", 0), RETRY_SOFT);
	CHECK_INT(retry_classify(NULL, 1), RETRY_HARD);
}

TEST(test_default_spread)
{
	date_t d[RETRY_MAX_TRIES];
	char s[512];
	int n = 0;

	/* Failed on Monday 2026-11-02: targets +1 +2 +4 +6 +8 +10 +12 +14 =
	 * Tue 3, Wed 4, Fri 6, Sun 8 -> Mon 9, Tue 10, Thu 12, Sat 14 ->
	 * Mon 16 (the window's last day). */
	CHECK_INT(retry_schedule(D(2026, 11, 2), 8, 14, NULL, d, &n, NULL), 0);
	join(d, n, s, sizeof(s));
	CHECK_STR(s, "2026-11-03,2026-11-04,2026-11-06,2026-11-09,"
		     "2026-11-10,2026-11-12,2026-11-16");
	/* Sat 14 moved to Mon 16, the window's last day: 7 tries fit. */
	CHECK_INT(n, 7);
}

TEST(test_weekend_and_holidays)
{
	date_t d[RETRY_MAX_TRIES];
	struct cal *nl = NULL;
	char s[512];
	int n = 0;

	/* Failed on Wednesday 2026-12-23: +1 is Christmas Eve (a Thursday,
	 * a business day), +2 Christmas Day and +3 Boxing Day are Dutch
	 * holidays, then a weekend: the second try is Monday 28. */
	CHECK_INT(cal_builtin("NL", &nl, NULL), 0);
	CHECK_INT(retry_schedule(D(2026, 12, 23), 3, 14, nl, d, &n, NULL), 0);
	join(d, n, s, sizeof(s));
	CHECK_STR(s, "2026-12-24,2026-12-28,2027-01-06");
	cal_free(nl);
	/* Without a calendar Christmas is an ordinary Friday. */
	CHECK_INT(retry_schedule(D(2026, 12, 23), 3, 14, NULL, d, &n, NULL), 0);
	join(d, n, s, sizeof(s));
	CHECK_STR(s, "2026-12-24,2026-12-25,2027-01-06");
}

TEST(test_window_and_limits)
{
	date_t d[RETRY_MAX_TRIES];
	struct err e;
	int n = 0;

	/* Failed on a Friday with a 2-day window: only the weekend follows. */
	CHECK_INT(retry_schedule(D(2026, 11, 6), 8, 2, NULL, d, &n, NULL), 0);
	CHECK_INT(n, 0);
	/* Days are ascending and distinct even when targets collide. */
	CHECK_INT(retry_schedule(D(2026, 11, 2), 16, 5, NULL, d, &n, NULL), 0);
	for (int i = 1; i < n; i++)
		CHECK(d[i] > d[i - 1]);
	CHECK(n <= 5);
	err_clear(&e);
	CHECK_INT(retry_schedule(D(2026, 11, 2), 0, 14, NULL, d, &n, &e),
		  -ERR_RANGE);
	CHECK_STR(e.msg, "tries: 0 is not between 1 and 16");
	CHECK_INT(retry_schedule(D(2026, 11, 2), 8, 61, NULL, d, &n, &e),
		  -ERR_RANGE);
	CHECK_STR(e.msg, "window_days: 61 is not between 1 and 60");
}

int main(void)
{
	RUN(test_classify);
	RUN(test_default_spread);
	RUN(test_weekend_and_holidays);
	RUN(test_window_and_limits);
	return CHECK_DONE();
}
