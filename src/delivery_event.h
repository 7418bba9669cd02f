/*
 * delivery_event: what a provider tells us later about a message it took
 * (a status callback, a delivery report, a webhook), in one vocabulary for
 * every channel.
 *
 * The parsers that turn a provider's report into these live with their
 * adapters (sms_twilio_parse_status, sms_bird_parse_report,
 * whatsapp_parse_webhook). They only translate: what an event changes
 * (a contact marked unreachable, a fallback to the next channel) is
 * decided by whoever receives it. Header only: an enum, a struct and a
 * name table.
 */
#ifndef DUNWELL_DELIVERY_EVENT_H
#define DUNWELL_DELIVERY_EVENT_H

#include "deliver.h"

enum delivery_event {
	DELIVERY_SENT = 0,  /* the provider has it and is on its way (queued,
			       sent to the carrier, buffered) */
	DELIVERY_DELIVERED, /* the handset or mailbox has it */
	DELIVERY_FAILED,    /* not delivered, for a reason that may pass
			       (phone off too long, filtered, expired) */
	DELIVERY_BOUNCED,   /* not delivered because the address is wrong
			       (unknown number, landline, not on WhatsApp,
			       unsubscribed): do not use it again as is */
	DELIVERY_OPENED,    /* read (WhatsApp blue ticks, an e-mail open) */
	DELIVERY_CLICKED,   /* the personal link was followed */
};

#define DELIVERY_CODE_MAX 24 /* a provider's error code as text, with NUL */

/* One event from a report that may carry several (WhatsApp webhooks). */
struct delivery_report {
	char provider_id[DELIVER_ID_MAX]; /* the provider's message id, as
					     deliver_result.provider_id */
	char reference[DELIVER_ID_MAX];   /* our idempotency key when the
					     provider echoes it, else "" */
	enum delivery_event event;
	char code[DELIVERY_CODE_MAX];     /* the provider's error code for
					     FAILED/BOUNCED, else "" */
};

/* "sent", "delivered", "failed", "bounced", "opened", "clicked". */
static inline const char *delivery_event_name(enum delivery_event ev)
{
	static const char *const names[] = {
		[DELIVERY_SENT] = "sent",
		[DELIVERY_DELIVERED] = "delivered",
		[DELIVERY_FAILED] = "failed",
		[DELIVERY_BOUNCED] = "bounced",
		[DELIVERY_OPENED] = "opened",
		[DELIVERY_CLICKED] = "clicked",
	};
	if ((unsigned)ev < sizeof(names) / sizeof(names[0]))
		return names[ev];
	return "?";
}

#endif
