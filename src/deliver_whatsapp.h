/*
 * deliver_whatsapp: WhatsApp messages through Meta's WhatsApp Cloud API,
 * and the status webhooks Meta sends back.
 *
 * Setting (the base URL may be left out):
 *
 *   whatsapp:https://graph.facebook.com?phone_number_id=1065...&token=EAAG...
 *
 *   phone_number_id  the business phone number's id           required
 *   token            a system-user access token (Bearer)      required
 *   version          Graph API version (default v19.0)        optional
 *   template         an approved template's name              optional
 *   lang             the template's language code (en_US,     optional
 *                    nl); default: the message's locale with
 *                    '-' written '_'
 *   preview          1 (default) or 0: link previews in text  optional
 *   timeout          seconds per request (1-120, default 30)  optional
 *
 * Each message is one POST {base}/{version}/{phone_number_id}/messages
 * with "Authorization: Bearer TOKEN" and a JSON body. Without template=
 * it is a free-form text message ({"messaging_product": "whatsapp", "to",
 * "type": "text", "text": {"body", "preview_url"}}), which WhatsApp only
 * delivers inside the 24-hour customer-service window (after the customer
 * last wrote to the business); outside it Meta answers 131047 and the
 * message is a HARD_FAIL, so dispatch falls back to the next channel. A
 * first reminder therefore needs a pre-approved template: with
 * template=NAME the message is {"type": "template", "template": {"name",
 * "language": {"code"}, "components": [{"type": "body", "parameters":
 * [{"type": "text", "text": the message text}]}]}}, i.e. the approved
 * template's body should be "{{1}}" (or fixed words around it). Template
 * parameters may not hold line breaks or runs of spaces, so those become
 * single spaces.
 *
 * The idempotency key goes in biz_opaque_callback_data, which Meta echoes
 * in status webhooks; the Cloud API does not deduplicate on it, so a
 * request repeated after a lost answer may reach the customer twice.
 *
 * Outcomes: 2xx is SENT with messages[0].id (a "wamid."). Errors come as
 * {"error": {"message", "type", "code", "error_data": {"details"}}}:
 * 131026 undeliverable, 131047 outside the 24-hour window, 131021,
 * 131030, 131051, 100, 131008, 131009, 132000, 132005, 132007, 132012
 * and 132018 are HARD_FAIL; rate limits (130429, 131056, 131048, 80007,
 * 4), the account's problems (0, 190, 3, 10, 200-299, 368, 131031,
 * 131042, 131057, 133010, template not found/paused/disabled 132001,
 * 132015, 132016), Meta's own failures (1, 2, 131000, 131016), 429, 5xx
 * and no answer are RETRY; any other 4xx is HARD_FAIL.
 */
#ifndef DUNWELL_DELIVER_WHATSAPP_H
#define DUNWELL_DELIVER_WHATSAPP_H

#include <stddef.h>

#include "deliver.h"
#include "delivery_event.h"
#include "err.h"

extern const struct deliver_backend deliver_whatsapp;

/*
 * A webhook of the "messages" field (Meta POSTs JSON; checking its
 * X-Hub-Signature-256 is the HTTP handler's job): every
 * entry[].changes[].value.statuses[] becomes one report in ret[0..cap),
 * *ret_n counting them (0 for a webhook about inbound messages only).
 *   sent -> DELIVERY_SENT, delivered -> DELIVERY_DELIVERED,
 *   read -> DELIVERY_OPENED,
 *   failed -> DELIVERY_BOUNCED for errors[0].code 131026 (undeliverable:
 *     not on WhatsApp, or cannot receive), else DELIVERY_FAILED
 * Other statuses (deleted, warning, ...) are skipped. code is
 * errors[0].code, reference the biz_opaque_callback_data. -ERR_INVALID
 * for anything that is not such a JSON document, -ERR_TOOBIG past cap
 * reports or for an overlong id; ret and *ret_n are untouched on failure.
 */
int whatsapp_parse_webhook(const char *body, size_t len,
			   struct delivery_report *ret, size_t cap,
			   size_t *ret_n, struct err *e);

#endif
