/*
 * test_date: civil dates, Easter, months arithmetic and instant parsing.
 */
#include "date.h"

#include "check.h"

static date_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

static void test_epoch(void)
{
	CHECK_INT(ymd(1970, 1, 1), 0);
	CHECK_INT(ymd(1969, 12, 31), -1);
	CHECK_INT(ymd(2000, 3, 1), 11017);
	CHECK_INT(ymd(1, 1, 1), -719162);
	CHECK_INT(ymd(9999, 12, 31), 2932896);
	CHECK_INT(date_weekday(0), 4);                 /* Thursday */
	CHECK_INT(date_weekday(ymd(2026, 11, 27)), 5); /* Friday */
	CHECK_INT(date_weekday(ymd(2026, 11, 29)), 7); /* Sunday */
	CHECK_INT(date_weekday(ymd(2026, 11, 30)), 1); /* Monday */
	CHECK_INT(date_weekday(ymd(1, 1, 1)), 1);      /* Monday */
	CHECK_INT(date_weekday(-1), 3);
}

/* Every day from 0001-01-01 to 9999-12-31: to_ymd and from_ymd invert
 * each other, days follow each other, and format/parse round-trip. */
static void test_round_trip(void)
{
	date_t first = ymd(1, 1, 1), last = ymd(9999, 12, 31);
	int py = 0, pm = 12, pd = 31, bad = 0, wd = 1;

	for (date_t d = first; d <= last && bad < 5; d++) {
		char s[DATE_FMT_MAX];
		struct err e;
		date_t back;
		int y, m, dd;

		date_to_ymd(d, &y, &m, &dd);
		int next_ok = (dd == pd + 1 && m == pm && y == py) ||
			      (dd == 1 && pd == date_days_in_month(py, pm) &&
			       ((m == pm + 1 && y == py) ||
				(m == 1 && pm == 12 && y == py + 1)));
		if (!next_ok || !date_is_valid_ymd(y, m, dd) ||
		    date_from_ymd(y, m, dd) != d || date_weekday(d) != wd) {
			printf("  day %d -> %04d-%02d-%02d\n", (int)d, y, m, dd);
			bad++;
		}
		if (d % 7 == 0 || y < 3 || y > 9997) {
			date_format(d, s);
			if (date_parse(s, &back, &e) != 0 || back != d) {
				printf("  parse(%s) failed\n", s);
				bad++;
			}
		}
		py = y;
		pm = m;
		pd = dd;
		wd = wd % 7 + 1;
	}
	CHECK_INT(bad, 0);
}

static void test_leap_years(void)
{
	CHECK_INT(date_days_in_month(2024, 2), 29);
	CHECK_INT(date_days_in_month(2025, 2), 28);
	CHECK_INT(date_days_in_month(2000, 2), 29);
	CHECK_INT(date_days_in_month(1900, 2), 28);
	CHECK_INT(date_days_in_month(2100, 2), 28);
	CHECK_INT(date_days_in_month(2400, 2), 29);
	CHECK_INT(date_days_in_month(2025, 4), 30);
	CHECK_INT(date_days_in_month(2025, 12), 31);
	CHECK_INT(date_days_in_month(2025, 13), 0);
	CHECK(date_is_valid_ymd(2024, 2, 29));
	CHECK(!date_is_valid_ymd(2023, 2, 29));
	CHECK(!date_is_valid_ymd(2025, 4, 31));
	CHECK(!date_is_valid_ymd(0, 1, 1));
	CHECK(!date_is_valid_ymd(10000, 1, 1));
	CHECK(!date_is_valid_ymd(2025, 0, 1));
	CHECK(!date_is_valid_ymd(2025, 1, 0));
	CHECK_INT(ymd(2024, 3, 1) - ymd(2024, 2, 28), 2);
	CHECK_INT(ymd(2100, 3, 1) - ymd(2100, 2, 28), 1);
	CHECK_INT(ymd(2001, 1, 1) - ymd(2000, 1, 1), 366);
}

static void test_parse_ok(void)
{
	struct err e;
	char s[DATE_FMT_MAX];
	date_t d = 0;

	CHECK_INT(date_parse("2026-11-27", &d, &e), 0);
	CHECK_INT(d, ymd(2026, 11, 27));
	date_format(d, s);
	CHECK_STR(s, "2026-11-27");
	CHECK_INT(date_parse("2024-02-29", &d, &e), 0);
	CHECK_INT(d, ymd(2024, 2, 29));
	CHECK_INT(date_parse("0001-01-01", &d, &e), 0);
	date_format(d, s);
	CHECK_STR(s, "0001-01-01");
	date_format(DATE_NONE, s);
	CHECK_STR(s, "0000-00-00");
}

/* Each bad value is rejected with -ERR_INVALID, the output untouched, and
 * the message naming the value and the problem. */
static void test_parse_rejects(void)
{
	static const struct {
		const char *in;
		const char *msg;
	} cases[] = {
		{ "2026-02-30",
		  "invalid date '2026-02-30': day out of range for February" },
		{ "2025-02-29", "invalid date '2025-02-29': day out of range "
				"for February (not a leap year)" },
		{ "2026-04-31",
		  "invalid date '2026-04-31': day out of range for April" },
		{ "2026-13-01",
		  "invalid date '2026-13-01': month out of range (01-12)" },
		{ "2026-00-10",
		  "invalid date '2026-00-10': month out of range (01-12)" },
		{ "2026-01-00",
		  "invalid date '2026-01-00': day out of range for January" },
		{ "0000-01-01",
		  "invalid date '0000-01-01': year out of range (0001-9999)" },
		{ "2026-1-01", "invalid date '2026-1-01': expected YYYY-MM-DD" },
		{ "2026/01/01", "invalid date '2026/01/01': expected YYYY-MM-DD" },
		{ " 2026-01-01",
		  "invalid date ' 2026-01-01': expected YYYY-MM-DD" },
		{ "2026-01-01 ",
		  "invalid date '2026-01-01 ': expected YYYY-MM-DD" },
		{ "2026-01-0x", "invalid date '2026-01-0x': expected YYYY-MM-DD" },
		{ "+026-01-01", "invalid date '+026-01-01': expected YYYY-MM-DD" },
		{ "2026-+1-01", "invalid date '2026-+1-01': expected YYYY-MM-DD" },
		{ "", "invalid date '': expected YYYY-MM-DD" },
		{ "20260101", "invalid date '20260101': expected YYYY-MM-DD" },
		{ "2026-01-01T00:00:00Z", "invalid date '2026-01-01T00:00:00Z': "
					  "expected YYYY-MM-DD" },
		{ "2026-01\n01", "invalid date '2026-01?01': expected YYYY-MM-DD" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct err e;
		date_t d = 12345;

		err_clear(&e);
		CHECK_INT(date_parse(cases[i].in, &d, &e), -ERR_INVALID);
		CHECK_INT(d, 12345);
		CHECK_STR(e.msg, cases[i].msg);
	}

	/* A long value is quoted only in part. */
	{
		struct err e;
		date_t d;
		char longv[200];

		memset(longv, '9', sizeof(longv) - 1);
		longv[sizeof(longv) - 1] = '\0';
		CHECK_INT(date_parse(longv, &d, &e), -ERR_INVALID);
		CHECK(strlen(e.msg) < 120);
		CHECK(strstr(e.msg, "...': expected YYYY-MM-DD") != NULL);
		CHECK_INT(date_parse(NULL, &d, &e), -ERR_INVALID);
	}
}

static void test_easter(void)
{
	static const struct {
		int y, m, d;
	} known[] = {
		{ 1818, 3, 22 }, { 1943, 4, 25 }, { 1961, 4, 2 },
		{ 2000, 4, 23 }, { 2008, 3, 23 }, { 2011, 4, 24 },
		{ 2019, 4, 21 }, { 2021, 4, 4 },  { 2022, 4, 17 },
		{ 2023, 4, 9 },  { 2024, 3, 31 }, { 2025, 4, 20 },
		{ 2026, 4, 5 },  { 2027, 3, 28 }, { 2038, 4, 25 },
		{ 2285, 3, 22 },
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK_INT(date_easter(known[i].y),
			  ymd(known[i].y, known[i].m, known[i].d));

	/* Always a Sunday between 22 March and 25 April. */
	int bad = 0;
	for (int y = 1583; y <= 9999; y++) {
		date_t e = date_easter(y);
		if (date_weekday(e) != 7 || e < ymd(y, 3, 22) ||
		    e > ymd(y, 4, 25))
			bad++;
	}
	CHECK_INT(bad, 0);
}

static void test_add_months(void)
{
	CHECK_INT(date_add_months(ymd(2026, 1, 31), 1), ymd(2026, 2, 28));
	CHECK_INT(date_add_months(ymd(2024, 1, 31), 1), ymd(2024, 2, 29));
	CHECK_INT(date_add_months(ymd(2026, 3, 31), 1), ymd(2026, 4, 30));
	CHECK_INT(date_add_months(ymd(2026, 1, 15), 1), ymd(2026, 2, 15));
	CHECK_INT(date_add_months(ymd(2026, 11, 30), 2), ymd(2027, 1, 30));
	CHECK_INT(date_add_months(ymd(2026, 12, 31), 12), ymd(2027, 12, 31));
	CHECK_INT(date_add_months(ymd(2024, 2, 29), 12), ymd(2025, 2, 28));
	CHECK_INT(date_add_months(ymd(2024, 2, 29), 48), ymd(2028, 2, 29));
	CHECK_INT(date_add_months(ymd(2026, 3, 31), -1), ymd(2026, 2, 28));
	CHECK_INT(date_add_months(ymd(2026, 1, 10), -1), ymd(2025, 12, 10));
	CHECK_INT(date_add_months(ymd(2026, 1, 10), -13), ymd(2024, 12, 10));
	CHECK_INT(date_add_months(ymd(2026, 5, 5), 0), ymd(2026, 5, 5));
	CHECK_INT(date_add_months(ymd(1970, 1, 31), -1), ymd(1969, 12, 31));
}

static void test_instant_parse(void)
{
	static const struct {
		const char *in;
		const char *utc;
	} ok[] = {
		{ "2026-11-27T10:00:00Z", "2026-11-27T10:00:00Z" },
		{ "2026-11-27t10:00:00z", "2026-11-27T10:00:00Z" },
		{ "2026-11-27T10:00:00+01:00", "2026-11-27T09:00:00Z" },
		{ "2026-11-27T10:00:00-05:30", "2026-11-27T15:30:00Z" },
		{ "2026-11-27T00:30:00+01:00", "2026-11-26T23:30:00Z" },
		{ "2026-12-31T23:30:00-01:00", "2027-01-01T00:30:00Z" },
		{ "2026-11-27T10:00:00-00:00", "2026-11-27T10:00:00Z" },
		{ "2026-11-27T10:00:00.999Z", "2026-11-27T10:00:00Z" },
		{ "2026-11-27T10:00:00.5+02:00", "2026-11-27T08:00:00Z" },
		{ "2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z" },
		{ "2026-11-27", "2026-11-27T00:00:00Z" },
		{ "1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z" },
		{ "0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z" },
		{ "9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z" },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct err e;
		instant_t t = 0;
		char s[INSTANT_FMT_MAX];

		err_clear(&e);
		CHECK_INT(instant_parse(ok[i].in, &t, &e), 0);
		instant_format(t, s);
		CHECK_STR(s, ok[i].utc);
	}

	struct err e;
	instant_t t = 0;
	CHECK_INT(instant_parse("1970-01-01T00:00:00Z", &t, &e), 0);
	CHECK_INT(t, 0);
	CHECK_INT(instant_parse("1969-12-31T23:59:59Z", &t, &e), 0);
	CHECK_INT(t, -1);
	CHECK_INT(instant_parse("2026-03-29T01:00:00Z", &t, &e), 0);
	CHECK_INT(t, 1774746000);
}

static void test_instant_rejects(void)
{
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "2026-11-27T10:00:00", "invalid instant '2026-11-27T10:00:00': "
		  "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.fff] with Z or "
		  "+HH:MM" },
		{ "2026-02-30T10:00:00Z", "invalid instant '2026-02-30T10:00:00Z'"
		  ": day out of range for February" },
		{ "2026-11-27T24:00:00Z", "invalid instant '2026-11-27T24:00:00Z'"
		  ": time of day out of range (00:00:00-23:59:60)" },
		{ "2026-11-27T10:60:00Z", "invalid instant '2026-11-27T10:60:00Z'"
		  ": time of day out of range (00:00:00-23:59:60)" },
		{ "2026-11-27T10:00:00+24:00", "invalid instant "
		  "'2026-11-27T10:00:00+24:00': offset out of range "
		  "(-23:59..+23:59)" },
	};
	static const char *const malformed[] = {
		"2026-11-27T10:00Z",       "2026-11-27 10:00:00Z",
		"2026-11-27T10:00:00.Z",   "2026-11-27T10:00:00+0100",
		"2026-11-27T10:00:00+01",  "2026-11-27T10:00:00Zjunk",
		"2026-11-27T1:00:00Z",     "2026-11-27T10:00:00+01:00 ",
		"2026-11-27T",             "2026-11-27X",
		"2026-11-2",               "",
		"2026-11-27T10:00:00UTC",  "2026-11-27T10:00:00.1.2Z",
		"2026-11-27T-1:00:00Z",    "2026-11-27T10:00:00+1:00",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e;
		instant_t t = 42;

		CHECK_INT(instant_parse(bad[i].in, &t, &e), -ERR_INVALID);
		CHECK_INT(t, 42);
		CHECK_STR(e.msg, bad[i].msg);
	}
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct err e;
		instant_t t = 42;
		int rc = instant_parse(malformed[i], &t, &e);

		if (rc != -ERR_INVALID || t != 42 || !strstr(e.msg, "expected"))
			printf("  accepted or bad message: '%s' -> %s\n",
			       malformed[i], e.msg);
		CHECK_INT(rc, -ERR_INVALID);
		CHECK_INT(t, 42);
	}
}

static void test_instant_date(void)
{
	CHECK_INT(instant_date(0), 0);
	CHECK_INT(instant_date(86399), 0);
	CHECK_INT(instant_date(86400), 1);
	CHECK_INT(instant_date(-1), -1);
	CHECK_INT(instant_date(-86400), -1);
	CHECK_INT(instant_date(-86401), -2);
	CHECK_INT(instant_from_date(-2), -172800);
	CHECK_INT(instant_date(INT64_MAX), INT32_MAX);
	CHECK(instant_date(INT64_MIN) != DATE_NONE);

	char s[INSTANT_FMT_MAX];
	instant_format(-1, s);
	CHECK_STR(s, "1969-12-31T23:59:59Z");
	instant_format(INT64_MAX, s);
	CHECK_STR(s, "0000-00-00T00:00:00Z");
}

int main(void)
{
	RUN(test_epoch);
	RUN(test_round_trip);
	RUN(test_leap_years);
	RUN(test_parse_ok);
	RUN(test_parse_rejects);
	RUN(test_easter);
	RUN(test_add_months);
	RUN(test_instant_parse);
	RUN(test_instant_rejects);
	RUN(test_instant_date);
	return CHECK_DONE();
}
