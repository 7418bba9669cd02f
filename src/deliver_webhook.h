/*
 * deliver_webhook: push messages as a signed JSON POST to the tenant's own
 * app, which shows them to the customer (a notification in its mobile
 * app, an in-app inbox).
 *
 * Setting:
 *
 *   webhook:https://app.example.com/hooks/dunning?secret=LONG_RANDOM
 *
 *   secret    the shared signing key, at least 16 characters   required
 *   timeout   seconds per request (1-120, default 30)          optional
 *
 * Those two parameters are taken out of the URL; any other query
 * parameters stay part of it ("...?app=7&secret=..." POSTs to "...?app=7").
 *
 * Each message is one POST of
 *
 *   {"id": idempotency key, "type": "dunning.message", "customer": to,
 *    "channel": "push", "text", "link", "locale", "created": RFC 3339}
 *
 * with the headers
 *
 *   Dunwell-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>
 *   Idempotency-Key: <idempotency key>
 *
 * where the HMAC (key: the secret) is over "<t>.<body>", the exact bytes
 * sent. A receiver recomputes it, compares in constant time, refuses a t
 * too far from its clock (replays), and deduplicates on Idempotency-Key
 * (the same key comes again only when we retry after a lost answer).
 * t is the dispatcher's clock (deliver_msg.now).
 *
 * Outcomes: 2xx is SENT; 410 Gone (this customer or device is gone from
 * the app) is HARD_FAIL; anything else, and no answer, is RETRY with
 * Retry-After.
 */
#ifndef DUNWELL_DELIVER_WEBHOOK_H
#define DUNWELL_DELIVER_WEBHOOK_H

#include "deliver.h"

#define WEBHOOK_SECRET_MIN 16 /* bytes of a signing secret, at least */

extern const struct deliver_backend deliver_webhook;

#endif
