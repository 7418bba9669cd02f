/*
 * outbox: the rules a queued message follows on its way out — when it may
 * be handed over (quiet hours in the customer's own timezone, Sundays and
 * their country's public holidays, the contact policy at send time), how
 * long to wait after a failed try (exponential backoff with jitter), and
 * when to give up.
 *
 * Pure functions of their inputs: the dispatcher (dispatch.c) calls them,
 * tests call them directly. Nothing here reads a clock or the store.
 */
#ifndef DUNWELL_OUTBOX_H
#define DUNWELL_OUTBOX_H

#include <stdint.h>

#include "cal.h"
#include "date.h"
#include "err.h"
#include "tz.h"

/* When messages may reach a customer, in their local time. */
struct quiet_rules {
	int start_min;     /* quiet from this minute of the day (21:00 = 1260) */
	int end_min;       /* until this minute (08:00 = 480); start == end:
			      no quiet hours */
	int sundays;       /* no messages on Sundays */
	int holidays;      /* none on public holidays of the customer's
			      country */
};

/* The first instant at or after `t` that is outside the quiet hours for a
 * customer in zone `z` whose country's holidays are `c` (NULL: none
 * known). Searches at most 14 days ahead (then returns t + 14 days). */
instant_t outbox_next_allowed(const struct quiet_rules *q, const struct tz *z,
			      const struct cal *c, instant_t t);

/* Seconds to wait before try number `attempts` + 1 after `attempts`
 * failed ones: 60 s doubling each time, at most 6 hours, spread by
 * +-20% with a jitter drawn from `key` (the message's idempotency key), so
 * many messages failing together do not all come back at once, and the
 * same message always waits the same. */
int64_t outbox_backoff(int attempts, const char *key);

/* The contact policy at send time. `sent` holds the instants of messages
 * already handed over to the customer (for other steps) in the last 7
 * days, ascending; min_days_between counts local calendar days.
 * Returns the first instant >= t at which one more contact is allowed. */
instant_t outbox_policy_next(int min_days_between, int max_per_7_days,
			     const struct tz *z, const instant_t *sent,
			     size_t n_sent, instant_t t);

/* "HH:MM-HH:MM" → minutes; -ERR_INVALID naming the value otherwise. */
int outbox_parse_hours(const char *s, int *ret_start, int *ret_end,
		       struct err *e);

#endif
