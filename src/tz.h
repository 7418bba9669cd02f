/*
 * tz: IANA time zones, read from the system's compiled TZif files.
 *
 * Customers live in their own time zone: it decides their local date (when
 * a step is due) and, for delivery, quiet hours. We read TZif (RFC 8536)
 * from /usr/share/zoneinfo ourselves instead of switching the process-wide
 * TZ variable, which is neither thread-safe nor fast for millions of
 * customers. A tz_cache shares loaded zones between customers.
 */
#ifndef DUNWELL_TZ_H
#define DUNWELL_TZ_H

#include "date.h"
#include "err.h"

struct tz;       /* opaque: one zone's transitions */
struct tz_cache; /* opaque: zones by name */

/* Load a zone by IANA name ("Europe/Amsterdam", "UTC"). Names are checked
 * (letters, digits, '/', '_', '-', '+'; no "..") before any file is opened.
 * -ERR_NOTFOUND names the zone when it does not exist. */
int tz_load(const char *name, struct tz **ret, struct err *e);
void tz_free(struct tz *z);
const char *tz_name(const struct tz *z);

/* Offset from UTC in seconds (east positive) in force at instant t. */
int tz_offset(const struct tz *z, instant_t t);
/* The local civil date at instant t. */
date_t tz_local_date(const struct tz *z, instant_t t);

struct tz_cache *tz_cache_new(void);
void tz_cache_free(struct tz_cache *c);
/* A zone from the cache, loading it on first use; the cache owns it. */
int tz_cache_get(struct tz_cache *c, const char *name, const struct tz **ret,
		 struct err *e);

#endif
