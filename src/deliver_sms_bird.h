/*
 * deliver_sms_bird: SMS through MessageBird's (now Bird's) classic SMS
 * REST API, and the status reports it sends back.
 *
 * Setting (the base URL may be left out):
 *
 *   bird:https://rest.messagebird.com?key=ACCESS_KEY&from=Dunwell
 *
 *   key       the live access key                          required
 *   from      originator: E.164 number or up to 11         required
 *             letters/digits
 *   report    reportUrl for status reports                 optional
 *   timeout   seconds per request (1-120, default 30)      optional
 *
 * Each message is one POST {base}/messages with a JSON body
 * {"recipients": ["31612345678"], "originator", "body", "datacoding":
 * "auto", "reference": idempotency key, "reportUrl"} and the header
 * "Authorization: AccessKey KEY". MessageBird echoes the reference in its
 * status reports (and sends reports only for messages that have one) but
 * does not deduplicate on it: a request repeated after a lost answer may
 * still reach the customer twice. "datacoding": "auto" keeps characters
 * outside GSM-7 instead of letting "plain" replace them.
 *
 * Outcomes: 2xx is SENT with the message id. Errors come as {"errors":
 * [{"code", "description", "parameter"}]}: code 9/10 about the recipient
 * ("no (correct) recipients found") or the body is HARD_FAIL; code 2
 * (access key), 20, 25 (not enough balance), 98, 99, an invalid
 * originator, 429, 5xx and no answer are RETRY with Retry-After; any
 * other 4xx is HARD_FAIL.
 *
 * This is the classic rest.messagebird.com API; Bird's newer Channels API
 * (api.bird.com/workspaces/...) is a different protocol, not covered.
 */
#ifndef DUNWELL_DELIVER_SMS_BIRD_H
#define DUNWELL_DELIVER_SMS_BIRD_H

#include <stddef.h>

#include "deliver.h"
#include "delivery_event.h"
#include "err.h"

#define BIRD_REFERENCE_MAX 128 /* MessageBird's limit on reference */

extern const struct deliver_backend deliver_sms_bird;

/*
 * A status report: MessageBird calls reportUrl with GET and a query string
 * (id, reference, recipient, status, statusDatetime, statusReason,
 * statusErrorCode, ...); a JSON object with the same names is read too
 * (its first byte is '{'). Pass the query string without the '?'.
 *   scheduled, sent, buffered -> DELIVERY_SENT
 *   delivered                 -> DELIVERY_DELIVERED
 *   expired, not_sent         -> DELIVERY_FAILED
 *   delivery_failed           -> DELIVERY_BOUNCED when the reason says the
 *     number is wrong (statusErrorCode 1 "unknown subscriber", statusReason
 *     "unknown subscriber", "incorrect number", "opted out"), else
 *     DELIVERY_FAILED
 * ret->code is statusErrorCode ("" when none), ret->reference the
 * reference. -ERR_NOTFOUND for a missing id or status, -ERR_INVALID for
 * an unknown status or bad JSON, -ERR_TOOBIG for an overlong field; *ret
 * is untouched on failure.
 */
int sms_bird_parse_report(const char *body, size_t len,
			  struct delivery_report *ret, struct err *e);

#endif
