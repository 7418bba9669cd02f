/*
 * cal: public-holiday calendars and business days, one per country.
 *
 * Each country's holidays are a small data file (data/holidays/NL.txt, ...)
 * compiled into the binary, so a fresh install needs no data directory; the
 * rules cover fixed dates, dates relative to Easter, the n-th weekday of a
 * month and weekend substitution (see data/holidays/README.md for the
 * format). A calendar answers for any year without precomputed tables.
 */
#ifndef DUNWELL_CAL_H
#define DUNWELL_CAL_H

#include <stddef.h>

#include "date.h"
#include "err.h"

struct cal; /* opaque: the rules of one country */

/* Parse calendar rules; `name` is used in error messages as name:line. */
int cal_parse(const char *name, const char *text, size_t len,
	      struct cal **ret, struct err *e);
/* The built-in calendar of an ISO 3166 alpha-2 country ("NL"), or
 * -ERR_NOTFOUND when dunwell has none for it. */
int cal_builtin(const char *country, struct cal **ret, struct err *e);
/* Countries with a built-in calendar, NULL-terminated. */
const char *const *cal_builtin_countries(void);
void cal_free(struct cal *c);

/* Whether `d` is a public holiday; *ret_name (optional) gets its name. */
int cal_is_holiday(const struct cal *c, date_t d, const char **ret_name);
/* Monday-Friday and not a holiday. `c` may be NULL (weekends only). */
int cal_is_business_day(const struct cal *c, date_t d);
/* Move n business days forward (n > 0) or back (n < 0); n = 0 returns the
 * first business day on or after d. */
date_t cal_add_business_days(const struct cal *c, date_t d, int n);

#endif
