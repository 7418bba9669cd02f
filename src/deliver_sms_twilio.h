/*
 * deliver_sms_twilio: SMS through Twilio's Programmable Messaging REST
 * API, and the status callbacks Twilio sends back.
 *
 * Setting (one line; the base URL may be left out):
 *
 *   twilio:https://api.twilio.com?account=AC...&token=SECRET&from=+3197...
 *
 *   account   the Account SID (HTTP Basic user)            required
 *   token     the Auth Token (HTTP Basic password)         required
 *   from      the sender: E.164 number or alphanumeric ID  one of from,
 *   service   a Messaging Service SID (MG...)              service
 *   callback  StatusCallback URL for delivery reports      optional
 *   timeout   seconds per request (1-120, default 30)      optional
 *
 * Each message is one POST {base}/2010-04-01/Accounts/{account}/
 * Messages.json, form-encoded (To, From or MessagingServiceSid, Body,
 * StatusCallback). The message's idempotency key goes in the header
 * I-Twilio-Idempotency-Token. Note: Twilio documents that header on the
 * webhooks it sends, not as a deduplication key of the Messages API, so a
 * request repeated after a lost answer may still reach the customer twice.
 *
 * Outcomes: 2xx is SENT with the Message SID; Twilio's error codes for a
 * number that cannot take the message (21211 invalid, 21214, 21217, 21219,
 * 21408 region not enabled, 21610 unsubscribed, 21612, 21614 not mobile,
 * 21635 landline) and for a body Twilio refuses (21602, 21617) are
 * HARD_FAIL; 429, 5xx, no answer and the account's own problems (20003
 * authentication, 20404, 21212/21606 bad sender, 20429) are RETRY with
 * Retry-After; any other 4xx is HARD_FAIL.
 */
#ifndef DUNWELL_DELIVER_SMS_TWILIO_H
#define DUNWELL_DELIVER_SMS_TWILIO_H

#include <stddef.h>

#include "deliver.h"
#include "delivery_event.h"
#include "err.h"

extern const struct deliver_backend deliver_sms_twilio;

/*
 * A status callback (Twilio POSTs it form-encoded to StatusCallback):
 * MessageSid (or SmsSid) into ret_id (cap bytes with NUL), MessageStatus
 * (or SmsStatus) and ErrorCode into *ret_event:
 *   accepted, scheduled, queued, sending, sent -> DELIVERY_SENT
 *   delivered, partially_delivered             -> DELIVERY_DELIVERED
 *   read                                       -> DELIVERY_OPENED
 *   undelivered, failed                        -> DELIVERY_BOUNCED when
 *     ErrorCode says the number is wrong (30005 unknown handset, 30006
 *     landline, 21211, 21610 unsubscribed, 21614), else DELIVERY_FAILED
 *   canceled                                   -> DELIVERY_FAILED
 * An inbound message (receiving, received) or an unknown status is
 * -ERR_INVALID; a missing field -ERR_NOTFOUND; an id longer than cap
 * -ERR_TOOBIG. Outputs are untouched on failure. Checking the request's
 * X-Twilio-Signature is the HTTP handler's job (it knows the URL).
 */
int sms_twilio_parse_status(const char *form_body, size_t len, char *ret_id,
			    size_t cap, enum delivery_event *ret_event,
			    struct err *e);

#endif
