/*
 * notify: confirmations to the customer (see notify.h).
 */
#include "notify.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "dispatch.h"

int notify_confirm(struct store *s, const struct case_rec *kase,
		   const struct customer_rec *customer, const char *what,
		   const char *template_id, const char *key,
		   int64_t amount_minor, date_t today, instant_t now,
		   struct err *e)
{
	const struct contact_rec *best = NULL;
	char step[96], fallbacks[96] = "";
	size_t flen = 0;

	if (customer->do_not_contact || customer->deceased)
		return 0;
	/* The most preferred consented channel; the rest, in order, are the
	 * fallbacks. */
	for (int pref = 0; pref <= 64; pref++) {
		for (size_t i = 0; i < customer->n_contacts; i++) {
			const struct contact_rec *c = &customer->contacts[i];
			if (!c->consent || c->preference != pref ||
			    !c->address || !*c->address)
				continue;
			if (!best) {
				best = c;
			} else if (c->channel != best->channel &&
				   !strstr(fallbacks, channel_name(c->channel))) {
				int w = snprintf(fallbacks + flen,
						 sizeof(fallbacks) - flen,
						 "%s%s", flen ? "," : "",
						 channel_name(c->channel));
				if (w > 0 && (size_t)w < sizeof(fallbacks) - flen)
					flen += (size_t)w;
				else
					fallbacks[flen] = '\0';
			}
		}
	}
	if (!best)
		return 0;
	snprintf(step, sizeof(step), "%s%.24s.%.48s", DISPATCH_CONFIRM_PREFIX,
		 what, key);
	/* The step becomes part of the message's idempotency key and
	 * Message-ID: only A-Z a-z 0-9 . _ - may stay. */
	for (char *c = step; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '.' && *c != '_' &&
		    *c != '-')
			*c = '-';
	struct action_rec a = {
		.tenant_id = kase->tenant_id,
		.case_id = kase->id,
		.customer_id = kase->customer_id,
		.step = step,
		.kind = ACTION_CONTACT,
		.channel = channel_name(best->channel),
		.fallbacks = fallbacks,
		.due_on = today,
		.decided_on = today,
		.decided_at = now,
		.amount_minor = amount_minor,
		.template_id = template_id,
		.tone = "friendly",
		.end_action = "",
		.reason = what,
		.status = "queued",
	};
	memcpy(a.currency, kase->currency, 4);
	return store_action_insert(s, &a, e);
}
