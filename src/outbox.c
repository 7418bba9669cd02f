/*
 * outbox: when a message may go, and when to try again.
 *
 * Local time is computed with the customer's zone (tz.c); a quiet period
 * that spans midnight (21:00-08:00) is the usual case. Jitter comes from a
 * hash of the message's key rather than a random source so that a run can
 * be replayed exactly in tests.
 */
#include "outbox.h"

#include <stddef.h>
#include <string.h>

#define DAY 86400

/* Minute of the local day at instant t. */
static int local_minute(const struct tz *z, instant_t t)
{
	int64_t local = t + tz_offset(z, t);
	int64_t sec = local % DAY;
	if (sec < 0)
		sec += DAY;
	return (int)(sec / 60);
}

static int in_quiet_hours(const struct quiet_rules *q, int minute)
{
	if (q->start_min == q->end_min)
		return 0;
	if (q->start_min < q->end_min) /* 12:00-14:00 */
		return minute >= q->start_min && minute < q->end_min;
	return minute >= q->start_min || minute < q->end_min;
}

static int quiet_day(const struct quiet_rules *q, const struct cal *c,
		     date_t d)
{
	if (q->sundays && date_weekday(d) == 7)
		return 1;
	return q->holidays && c && cal_is_holiday(c, d, NULL);
}

instant_t outbox_next_allowed(const struct quiet_rules *q, const struct tz *z,
			      const struct cal *c, instant_t t)
{
	instant_t limit = t + 14 * DAY;
	/* Step to the next whole minute boundary of interest: at most one
	 * jump to the end of the quiet period, or to the next local
	 * midnight when the whole day is quiet. */
	while (t < limit) {
		date_t d = tz_local_date(z, t);
		int minute = local_minute(z, t);
		if (quiet_day(q, c, d)) {
			/* to the next local midnight */
			t += (instant_t)(24 * 60 - minute) * 60 -
			     (t + tz_offset(z, t)) % 60;
			continue;
		}
		if (!in_quiet_hours(q, minute))
			return t;
		{
			int wait = q->end_min - minute;
			if (wait <= 0)
				wait += 24 * 60;
			/* land on the first second of the allowed minute */
			t += (instant_t)wait * 60 - (t + tz_offset(z, t)) % 60;
		}
	}
	return limit;
}

int64_t outbox_backoff(int attempts, const char *key)
{
	uint64_t h = 1469598103934665603ull;
	int64_t base = 60;
	int64_t spread;
	for (int i = 1; i < attempts && base < 6 * 3600; i++)
		base *= 2;
	if (base > 6 * 3600)
		base = 6 * 3600;
	for (const char *p = key ? key : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	h = (h ^ (uint64_t)attempts) * 1099511628211ull;
	/* +-20%: a value in [-base/5, base/5] */
	spread = base / 5;
	return base - spread + (int64_t)(h % (uint64_t)(2 * spread + 1));
}

instant_t outbox_policy_next(int min_days_between, int max_per_7_days,
			     const struct tz *z, const instant_t *sent,
			     size_t n_sent, instant_t t)
{
	for (int guard = 0; guard < 16; guard++) {
		instant_t next = t;
		date_t today = tz_local_date(z, t);
		size_t in_week = 0;
		for (size_t i = 0; i < n_sent; i++) {
			date_t d = tz_local_date(z, sent[i]);
			if (min_days_between > 0 &&
			    today - d < min_days_between) {
				/* wait until local midnight of d + gap */
				date_t ok = d + min_days_between;
				instant_t mid = instant_from_date(ok);
				mid -= tz_offset(z, mid);
				if (mid > next)
					next = mid;
			}
			if (sent[i] > t - 7 * DAY)
				in_week++;
		}
		if (max_per_7_days > 0 && in_week >= (size_t)max_per_7_days) {
			/* the oldest contact in the window must drop out */
			for (size_t i = 0; i < n_sent; i++)
				if (sent[i] > t - 7 * DAY) {
					if (sent[i] + 7 * DAY > next)
						next = sent[i] + 7 * DAY;
					break;
				}
		}
		if (next == t)
			return t;
		t = next;
	}
	return t;
}

int outbox_parse_hours(const char *s, int *ret_start, int *ret_end,
		       struct err *e)
{
	int v[4];
	char q[ERR_QUOTE_BUF];
	if (!s || strlen(s) != 11 || s[2] != ':' || s[5] != '-' || s[8] != ':')
		goto bad;
	for (int i = 0, pos = 0; i < 4; i++, pos += 3) {
		if (s[pos] < '0' || s[pos] > '9' || s[pos + 1] < '0' ||
		    s[pos + 1] > '9')
			goto bad;
		v[i] = (s[pos] - '0') * 10 + (s[pos + 1] - '0');
	}
	if (v[0] > 23 || v[2] > 23 || v[1] > 59 || v[3] > 59)
		goto bad;
	*ret_start = v[0] * 60 + v[1];
	*ret_end = v[2] * 60 + v[3];
	return 0;
bad:
	return err_set(e, ERR_INVALID, "'%s' is not a time range (HH:MM-HH:MM"
		       " expected, e.g. 21:00-08:00)", err_quote(s, q));
}
