/*
 * date: civil dates and UTC instants.
 *
 * A date is a day number (days since 1970-01-01 in the proleptic Gregorian
 * calendar); an instant is seconds since 1970-01-01T00:00:00Z. Both are plain
 * integers so they compare and subtract without a library. Time is never read
 * from the clock here: callers inject it (the --as-of option).
 */
#ifndef DUNWELL_DATE_H
#define DUNWELL_DATE_H

#include <stdint.h>

#include "err.h"

typedef int32_t date_t;    /* days since 1970-01-01 */
typedef int64_t instant_t; /* seconds since 1970-01-01T00:00:00Z */

#define DATE_NONE INT32_MIN /* "no date" sentinel */
#define DATE_FMT_MAX 11     /* "YYYY-MM-DD" + NUL */
#define INSTANT_FMT_MAX 21  /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

/* Years 1..9999 are supported by parse and format. */
int date_is_valid_ymd(int year, int month, int day);
int date_days_in_month(int year, int month);
date_t date_from_ymd(int year, int month, int day); /* caller validated */
void date_to_ymd(date_t d, int *ret_year, int *ret_month, int *ret_day);

/* Strict "YYYY-MM-DD"; -ERR_INVALID with a message naming the value. */
int date_parse(const char *s, date_t *ret, struct err *e);
void date_format(date_t d, char out[DATE_FMT_MAX]);

/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int date_weekday(date_t d);
/* Add calendar months, clamping the day to the month's end (Jan 31 + 1 =
 * Feb 28/29). */
date_t date_add_months(date_t d, int months);
/* Easter Sunday of the Gregorian year (anonymous Gregorian algorithm). */
date_t date_easter(int year);

/* RFC 3339 instant ("2026-11-27T10:00:00Z", "...+01:00", fractional
 * seconds ignored) or a bare date "2026-11-27" meaning 00:00:00Z. */
int instant_parse(const char *s, instant_t *ret, struct err *e);
void instant_format(instant_t t, char out[INSTANT_FMT_MAX]);
date_t instant_date(instant_t t); /* the UTC date of an instant */
instant_t instant_from_date(date_t d); /* 00:00:00Z of a date */

#endif
