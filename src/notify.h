/*
 * notify: a confirmation to the customer of something they did — a
 * thank-you for a payment, a confirmed later date or instalment plan, an
 * answer to a request for help.
 *
 * A confirmation is queued as a contact action of the case on the
 * customer's preferred consented channel (the others as fallbacks), with
 * a step id "confirm.<what>.<key>" (dispatch.h): the action's unique key
 * makes it happen once however often the same thing is recorded, and the
 * outbox and dispatch carry it like any reminder (quiet hours included),
 * except that a closed case or a hold does not stop it.
 */
#ifndef DUNWELL_NOTIFY_H
#define DUNWELL_NOTIFY_H

#include <stdint.h>

#include "date.h"
#include "err.h"
#include "store.h"

/* Queue the confirmation `what` ("thank_you", "later", "plan", "help")
 * with template `template_id` for the case, keyed by `key` (a payment id,
 * a plan id...), inside the caller's transaction. `customer` must hold
 * its contacts. Nothing is queued (and 0 returned) when the customer has
 * no consented channel, asked not to be contacted, or died. */
int notify_confirm(struct store *s, const struct case_rec *kase,
		   const struct customer_rec *customer, const char *what,
		   const char *template_id, const char *key,
		   int64_t amount_minor, date_t today, instant_t now,
		   struct err *e);

#endif
