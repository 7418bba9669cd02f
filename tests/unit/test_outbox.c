/*
 * test_outbox: when a message may go (quiet hours in the customer's zone,
 * Sundays, public holidays, the contact policy) and how long a failed one
 * waits.
 */
#include "check.h"

#include "outbox.h"

static instant_t at(const char *s)
{
	instant_t t = 0;
	instant_parse(s, &t, NULL);
	return t;
}

static const char *fmt(instant_t t)
{
	static char out[INSTANT_FMT_MAX];
	instant_format(t, out);
	return out;
}

static const struct quiet_rules dutch = { 21 * 60, 8 * 60, 1, 1 };

TEST(quiet_hours_local_time)
{
	struct tz *ams = NULL, *ny = NULL;
	CHECK_INT(tz_load("Europe/Amsterdam", &ams, NULL), 0);
	CHECK_INT(tz_load("America/New_York", &ny, NULL), 0);
	/* Tue 24 Nov 2026, 10:00 UTC = 11:00 in Amsterdam: allowed */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ams, NULL,
					  at("2026-11-24T10:00:00Z"))),
		  "2026-11-24T10:00:00Z");
	/* 21:30 UTC = 22:30 local: wait until 08:00 local = 07:00 UTC */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ams, NULL,
					  at("2026-11-24T21:30:17Z"))),
		  "2026-11-25T07:00:00Z");
	/* the same instant is 16:30 in New York: allowed there */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ny, NULL,
					  at("2026-11-24T21:30:17Z"))),
		  "2026-11-24T21:30:17Z");
	/* early morning 05:00 local (04:00 UTC) → 08:00 local */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ams, NULL,
					  at("2026-11-24T04:00:00Z"))),
		  "2026-11-24T07:00:00Z");
	/* summer time: 08:00 local is 06:00 UTC */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ams, NULL,
					  at("2026-07-01T02:00:00Z"))),
		  "2026-07-01T06:00:00Z");
	tz_free(ams);
	tz_free(ny);
}

TEST(sundays_and_holidays)
{
	struct tz *ams = NULL;
	struct cal *nl = NULL;
	struct quiet_rules no_sundays = dutch;
	CHECK_INT(tz_load("Europe/Amsterdam", &ams, NULL), 0);
	CHECK_INT(cal_builtin("NL", &nl, NULL), 0);
	/* Sat 28 Nov 2026 22:00 local → Sunday is quiet → Mon 08:00 */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ams, nl,
					  at("2026-11-28T21:00:00Z"))),
		  "2026-11-30T07:00:00Z");
	/* Christmas (Fri), Boxing Day (Sat, also a Dutch holiday), then
	 * Sunday: the first allowed moment is Monday 28 Dec 08:00 */
	CHECK_STR(fmt(outbox_next_allowed(&dutch, ams, nl,
					  at("2026-12-24T22:00:00Z"))),
		  "2026-12-28T07:00:00Z");
	/* without the holiday rule, Christmas Day at 08:00 is allowed */
	no_sundays.holidays = 0;
	CHECK_STR(fmt(outbox_next_allowed(&no_sundays, ams, nl,
					  at("2026-12-24T22:00:00Z"))),
		  "2026-12-25T07:00:00Z");
	/* no quiet hours at all */
	no_sundays.start_min = no_sundays.end_min = 0;
	no_sundays.sundays = 0;
	CHECK_STR(fmt(outbox_next_allowed(&no_sundays, ams, nl,
					  at("2026-11-29T02:00:00Z"))),
		  "2026-11-29T02:00:00Z");
	cal_free(nl);
	tz_free(ams);
}

TEST(backoff_grows_with_jitter)
{
	int64_t prev = 0;
	for (int a = 1; a <= 12; a++) {
		int64_t w = outbox_backoff(a, "dw-1-2-friendly-email");
		int64_t base = 60;
		for (int i = 1; i < a && base < 21600; i++)
			base *= 2;
		if (base > 21600)
			base = 21600;
		CHECK(w >= base - base / 5 && w <= base + base / 5);
		CHECK(a > 9 || w > prev / 2);
		/* the same message always waits the same */
		CHECK_INT(outbox_backoff(a, "dw-1-2-friendly-email"), w);
		prev = w;
	}
	/* different messages are spread out */
	int distinct = 0;
	int64_t first = outbox_backoff(3, "k0");
	char key[16];
	for (int i = 1; i < 20; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		distinct += outbox_backoff(3, key) != first;
	}
	CHECK(distinct >= 15);
}

TEST(contact_policy_at_send_time)
{
	struct tz *ams = NULL;
	instant_t sent[3];
	CHECK_INT(tz_load("Europe/Amsterdam", &ams, NULL), 0);
	/* one contact on Mon 23 Nov; 3 days apart → Thu 26 Nov 00:00 local */
	sent[0] = at("2026-11-23T10:00:00Z");
	CHECK_STR(fmt(outbox_policy_next(3, 0, ams, sent, 1,
					 at("2026-11-24T10:00:00Z"))),
		  "2026-11-25T23:00:00Z");
	/* no gap rule: fine now */
	CHECK_STR(fmt(outbox_policy_next(0, 0, ams, sent, 1,
					 at("2026-11-24T10:00:00Z"))),
		  "2026-11-24T10:00:00Z");
	/* at most 2 in 7 days: the oldest must drop out of the window */
	sent[0] = at("2026-11-18T10:00:00Z");
	sent[1] = at("2026-11-20T10:00:00Z");
	CHECK_STR(fmt(outbox_policy_next(0, 2, ams, sent, 2,
					 at("2026-11-24T10:00:00Z"))),
		  "2026-11-25T10:00:00Z");
	tz_free(ams);
}

TEST(parse_hours)
{
	struct err e;
	int a = -1, b = -1;
	CHECK_INT(outbox_parse_hours("21:00-08:30", &a, &b, &e), 0);
	CHECK_INT(a, 1260);
	CHECK_INT(b, 510);
	CHECK(outbox_parse_hours("25:00-08:00", &a, &b, &e) < 0);
	CHECK(strstr(e.msg, "25:00-08:00") != NULL);
	CHECK(outbox_parse_hours("9-17", &a, &b, &e) < 0);
	CHECK(outbox_parse_hours("", &a, &b, &e) < 0);
}

int main(void)
{
	RUN(quiet_hours_local_time);
	RUN(sundays_and_holidays);
	RUN(backoff_grows_with_jitter);
	RUN(contact_policy_at_send_time);
	RUN(parse_hours);
	return CHECK_DONE();
}
