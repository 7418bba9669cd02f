/*
 * webhook: signed webhooks to the tenant (issue #5, docs/webhooks.md).
 *
 * A tenant registers endpoints (URL, secret, the event names it wants).
 * webhook_fill turns the tenant's new case events into deliveries, one per
 * endpoint and event (an endpoint's cursor remembers the last case event it
 * has looked at); webhook_deliver POSTs the due ones concurrently, each
 * body signed with the endpoint's secret, and records the outcome: 2xx is
 * delivered, 410 Gone is failed for good, anything else is tried again
 * later with the outbox's backoff, and given up (dead) after
 * WEBHOOK_MAX_ATTEMPTS. Claims are leased as in the outbox, so several
 * deliverers share the work and a crashed one's deliveries are taken over
 * when its lease runs out. Delivery is at least once, in no guaranteed
 * order: receivers drop duplicates by the event id.
 *
 * Signature: "Dunwell-Signature: t=<unix seconds>,v1=<hex>" where hex is
 * HMAC-SHA256 over "<t>.<body>" keyed with the endpoint's secret.
 */
#ifndef DUNWELL_WEBHOOK_H
#define DUNWELL_WEBHOOK_H

#include <stddef.h>

#include "date.h"
#include "err.h"
#include "store.h"

#define WEBHOOK_MAX_ATTEMPTS 10 /* POSTs before a delivery is dead */
#define WEBHOOK_SIG_MAX 96      /* "t=<20 digits>,v1=<64 hex>" + NUL */
#define WEBHOOK_EVENTS_MAX 512  /* bytes of an endpoint's event list */
#define WEBHOOK_SECRET_PREFIX "whsec_"

struct webhook_options {
	int batch;             /* deliveries per claim; 0 = 50 */
	int lease_seconds;     /* how long a claim is held; 0 = 120 */
	int timeout_seconds;   /* per POST; 0 = 10 */
	const char *owner;     /* who holds leases; NULL = host:pid */
};

struct webhook_stats {
	long queued;     /* deliveries queued by fill */
	long claimed;    /* deliveries claimed */
	long delivered;  /* answered 2xx */
	long retried;    /* to be tried again later */
	long failed;     /* answered 410 Gone: not tried again */
	long dead;       /* attempts used up */
};

/* The webhook name of one of our case event kinds ("message.sent" →
 * "action.sent"), or NULL when that kind is not sent to tenants. */
const char *webhook_event_name(const char *kind);

/* 1 when an endpoint whose list is `events` ("*" or space-separated names)
 * wants event `name`. */
int webhook_wants(const char *events, const char *name);

/* Check an event list given to `webhook add`: "*" or known names
 * (webhook_event_name's, and those announced for later issues), separated
 * by spaces or commas; the normalised list (single spaces) goes into ret
 * (WEBHOOK_EVENTS_MAX bytes). -ERR_INVALID naming an unknown name. */
int webhook_events_parse(const char *events, char *ret, struct err *e);

/* "t=<t>,v1=<HMAC-SHA256 hex of "<t>.<body>">" keyed with `secret`. */
int webhook_sign(const char *secret, instant_t t, const char *body,
		 size_t len, char ret[WEBHOOK_SIG_MAX], struct err *e);

/* The JSON body for case event `ev` of tenant `slug` sent as `name`:
 * {"id":"evt_<slug>_<event id>","type":name,"created":RFC 3339,
 *  "data":{"case_id":..,"customer_id":..,<the event's detail>}}.
 * *ret is malloc'd. */
int webhook_payload(const char *slug, const struct webhook_event_rec *ev,
		    const char *name, char **ret, struct err *e);

/* New case events → deliveries for every active endpoint of the tenant;
 * *ret_queued counts the deliveries queued. One transaction per chunk. */
int webhook_fill(struct store *s, const struct tenant_rec *t, instant_t now,
		 long *ret_queued, struct err *e);

/* POST the tenant's due deliveries (see above) until none is due. */
int webhook_deliver(struct store *s, const struct tenant_rec *t,
		    instant_t now, const struct webhook_options *opt,
		    struct webhook_stats *ret, struct err *e);

/* webhook_fill then webhook_deliver, the stats of both in *ret. */
int webhook_tenant(struct store *s, const struct tenant_rec *t, instant_t now,
		   const struct webhook_options *opt,
		   struct webhook_stats *ret, struct err *e);

#endif
