/*
 * date: civil dates as day numbers, UTC instants as seconds (see date.h).
 *
 * Conversions use Howard Hinnant's days_from_civil / civil_from_days
 * (http://howardhinnant.github.io/date_algorithms.html), computed in 64-bit
 * so no input can overflow. Parsers validate every character themselves:
 * no atoi or strtol, no locale, no leniency ("2026-2-3", " 2026-02-03" and
 * "2026-02-30" are all rejected with a message naming the value). This
 * module never reads the clock.
 */
#include "date.h"

#include <string.h>

#define SECS_PER_DAY 86400
#define DATE_YEAR_MIN 1
#define DATE_YEAR_MAX 9999

static const char *const month_names[12] = {
	"January", "February", "March",     "April",   "May",      "June",
	"July",    "August",   "September", "October", "November", "December",
};

/* Floor division and modulo: -1 / 86400 is day -1, not day 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static int is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;                           /* [0, 399] */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, int *ret_m, int *ret_d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;                                 /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);         /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                               /* [0, 11] */
	int d = (int)(doy - (153 * mp + 2) / 5 + 1);
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*ret_y = yoe + era * 400 + (m <= 2);
	*ret_m = m;
	*ret_d = d;
}

static int month_days(int64_t year, int month)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31 };

	if (month < 1 || month > 12)
		return 0;
	if (month == 2 && is_leap(year))
		return 29;
	return days[month - 1];
}

int date_days_in_month(int year, int month)
{
	return month_days(year, month);
}

int date_is_valid_ymd(int year, int month, int day)
{
	if (year < DATE_YEAR_MIN || year > DATE_YEAR_MAX)
		return 0;
	if (month < 1 || month > 12)
		return 0;
	return day >= 1 && day <= date_days_in_month(year, month);
}

date_t date_from_ymd(int year, int month, int day)
{
	return (date_t)days_from_civil(year, month, day);
}

void date_to_ymd(date_t d, int *ret_year, int *ret_month, int *ret_day)
{
	int64_t y;

	civil_from_days(d, &y, ret_month, ret_day);
	*ret_year = (int)y;
}

/* Exactly n ASCII digits at s; their value in *ret. */
static int digits(const char *s, int n, int *ret)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*ret = v;
	return 0;
}

/* "YYYY-MM-DD" at the start of s (nothing is said about what follows).
 * `what` ("date", "instant") and `expect` (the whole syntax) word the
 * error. */
static int parse_ymd(const char *s, const char *what, const char *expect,
		     date_t *ret, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	int y, m, d;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return err_set(e, ERR_INVALID,
			       "invalid %s '%s': expected %s", what,
			       err_quote(s, q), expect);
	if (y < DATE_YEAR_MIN)
		return err_set(e, ERR_INVALID,
			       "invalid %s '%s': year out of range (0001-9999)",
			       what, err_quote(s, q));
	if (m < 1 || m > 12)
		return err_set(e, ERR_INVALID,
			       "invalid %s '%s': month out of range (01-12)",
			       what, err_quote(s, q));
	if (d < 1 || d > date_days_in_month(y, m))
		return err_set(e, ERR_INVALID,
			       "invalid %s '%s': day out of range for %s%s",
			       what, err_quote(s, q), month_names[m - 1],
			       (m == 2 && d == 29) ? " (not a leap year)" : "");
	*ret = date_from_ymd(y, m, d);
	return 0;
}

int date_parse(const char *s, date_t *ret, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	date_t d;
	int rc;

	if (!s)
		return err_set(e, ERR_INVALID, "missing date: expected YYYY-MM-DD");
	if (strnlen(s, 11) != 10)
		return err_set(e, ERR_INVALID,
			       "invalid date '%s': expected YYYY-MM-DD",
			       err_quote(s, q));
	rc = parse_ymd(s, "date", "YYYY-MM-DD", &d, e);
	if (rc < 0)
		return rc;
	*ret = d;
	return 0;
}

/* Write n decimal digits of v (0 <= v < 10^n) at out. */
static void put_digits(char *out, int n, int v)
{
	for (int i = n - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void date_format(date_t d, char out[DATE_FMT_MAX])
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	if (y < DATE_YEAR_MIN || y > DATE_YEAR_MAX) {
		/* Outside the supported range: an obviously invalid date
		 * (the parser rejects year 0) rather than a wrapped one. */
		memcpy(out, "0000-00-00", DATE_FMT_MAX);
		return;
	}
	put_digits(out, 4, y);
	out[4] = '-';
	put_digits(out + 5, 2, m);
	out[7] = '-';
	put_digits(out + 8, 2, dd);
	out[10] = '\0';
}

int date_weekday(date_t d)
{
	/* 1970-01-01 (day 0) was a Thursday (ISO 4). */
	return (int)floor_mod((int64_t)d + 3, 7) + 1;
}

date_t date_add_months(date_t d, int months)
{
	int y, m, dd;
	int64_t total, ny;
	int nm, dim;

	date_to_ymd(d, &y, &m, &dd);
	total = (int64_t)y * 12 + (m - 1) + months;
	ny = floor_div(total, 12);
	nm = (int)floor_mod(total, 12) + 1;
	dim = month_days(ny, nm);
	if (dd > dim)
		dd = dim;
	return (date_t)days_from_civil(ny, nm, dd);
}

date_t date_easter(int year)
{
	/* Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
	int a = year % 19;
	int b = year / 100;
	int c = year % 100;
	int d = b / 4;
	int e = b % 4;
	int f = (b + 8) / 25;
	int g = (b - f + 1) / 3;
	int h = (19 * a + b - d - g + 15) % 30;
	int i = c / 4;
	int k = c % 4;
	int l = (32 + 2 * e + 2 * i - h - k) % 7;
	int m = (a + 11 * h + 22 * l) / 451;
	int month = (h + l - 7 * m + 114) / 31;
	int day = (h + l - 7 * m + 114) % 31 + 1;

	return date_from_ymd(year, month, day);
}

/*
 * RFC 3339 date-time: YYYY-MM-DD('T'|'t')HH:MM:SS[.fraction]('Z'|'z'|±HH:MM).
 * A leap second (:60) is accepted and counts as the following second, the
 * way POSIX time folds it. The fraction is dropped (the instant is floored
 * to the whole second).
 */
#define INSTANT_EXPECT \
	"YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff] with Z or +HH:MM"

int instant_parse(const char *s, instant_t *ret, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *p;
	date_t d;
	int hh, mm, ss, oh = 0, om = 0, sign = 0;
	int64_t t;
	int rc;

	if (!s)
		return err_set(e, ERR_INVALID,
			       "missing instant: expected YYYY-MM-DDTHH:MM:SSZ");
	if (strnlen(s, 11) < 10)
		goto bad_format;
	rc = parse_ymd(s, "instant", INSTANT_EXPECT, &d, e);
	if (rc < 0)
		return rc;
	if (s[10] == '\0') {
		*ret = instant_from_date(d);
		return 0;
	}
	if (s[10] != 'T' && s[10] != 't')
		goto bad_format;
	p = s + 11;
	if (digits(p, 2, &hh) || p[2] != ':' || digits(p + 3, 2, &mm) ||
	    p[5] != ':' || digits(p + 6, 2, &ss))
		goto bad_format;
	if (hh > 23 || mm > 59 || ss > 60)
		return err_set(e, ERR_INVALID,
			       "invalid instant '%s': time of day out of range "
			       "(00:00:00-23:59:60)", err_quote(s, q));
	p += 8;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			goto bad_format;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p == '+' ? 1 : -1;
		if (digits(p + 1, 2, &oh) || p[3] != ':' ||
		    digits(p + 4, 2, &om))
			goto bad_format;
		if (oh > 23 || om > 59)
			return err_set(e, ERR_INVALID,
				       "invalid instant '%s': offset out of "
				       "range (-23:59..+23:59)", err_quote(s, q));
		p += 6;
	} else {
		goto bad_format;
	}
	if (*p != '\0')
		goto bad_format;
	t = instant_from_date(d) + hh * 3600 + mm * 60 + ss;
	t -= sign * (oh * 3600 + om * 60);
	*ret = t;
	return 0;

bad_format:
	return err_set(e, ERR_INVALID, "invalid instant '%s': expected %s",
		       err_quote(s, q), INSTANT_EXPECT);
}

void instant_format(instant_t t, char out[INSTANT_FMT_MAX])
{
	int64_t secs = floor_mod(t, SECS_PER_DAY);
	date_t d = instant_date(t);
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	if (y < DATE_YEAR_MIN || y > DATE_YEAR_MAX) {
		memcpy(out, "0000-00-00T00:00:00Z", INSTANT_FMT_MAX);
		return;
	}
	date_format(d, out);
	out[10] = 'T';
	put_digits(out + 11, 2, (int)(secs / 3600));
	out[13] = ':';
	put_digits(out + 14, 2, (int)(secs / 60 % 60));
	out[16] = ':';
	put_digits(out + 17, 2, (int)(secs % 60));
	out[19] = 'Z';
	out[20] = '\0';
}

date_t instant_date(instant_t t)
{
	int64_t days = floor_div(t, SECS_PER_DAY);

	/* Instants beyond what a date_t holds (year ~5.8 million) clamp. */
	if (days > INT32_MAX)
		return INT32_MAX;
	if (days <= INT32_MIN)
		return INT32_MIN + 1;
	return (date_t)days;
}

instant_t instant_from_date(date_t d)
{
	return (instant_t)d * SECS_PER_DAY;
}
