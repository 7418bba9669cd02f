/*
 * dispatch: `dunwell dispatch` — hand queued messages to the channels.
 *
 * A dispatcher moves the run's queued contact actions into the outbox,
 * claims due messages in batches under a lease (committed before anything
 * is sent, so several dispatchers on several machines share the work and a
 * crashed one's messages are taken over when its lease runs out), checks
 * each message again at send time (case still open, nothing paid, no
 * promise, plan, dispute, moratorium or do-not-contact since it was
 * queued, quiet hours, contact policy, consent), composes it, hands it to
 * the tenant's adapter for the channel, and records the outcome: sent,
 * retried later with backoff, failed over to the next channel, cancelled,
 * or given up (dead) with the last error. Every change is a case event.
 *
 * Delivery is at least once: a crash after the hand-over and before the
 * outcome is written sends the message again after the lease expires,
 * with the same idempotency key, which providers that honour one use to
 * drop the duplicate.
 */
#ifndef DUNWELL_DISPATCH_H
#define DUNWELL_DISPATCH_H

/* Steps whose id starts with this confirm what the customer did (a
 * thank-you for a payment, a later date, a plan, a request for help):
 * they are sent even when the case has closed or is on hold, and the
 * contact policy does not hold them back (quiet hours still do). */
#define DISPATCH_CONFIRM_PREFIX "confirm."

#include "date.h"
#include "delivery_event.h"
#include "err.h"
#include "store.h"

struct dispatch_options {
	int batch;             /* messages per claim; 0 = 100 */
	int lease_seconds;     /* how long a claim is held; 0 = 300 */
	const char *owner;     /* who holds leases; NULL = host:pid */
	const char *file_dir;  /* when set, every channel is written to this
				  folder by the file adapter (dry runs, the
				  demo), whatever the tenant configured */
	int max_batches;       /* stop after this many claims; 0 = until no
				  message is due */
};

struct dispatch_stats {
	long moved;      /* actions moved into the outbox */
	long claimed;    /* messages claimed */
	long sent;       /* handed over */
	long retried;    /* failed for now; tried again later */
	long failed;     /* failed for good on their channel */
	long fallbacks;  /* ... of which went on to another channel */
	long cancelled;  /* no longer apply */
	long delayed;    /* waiting for quiet hours or the contact policy */
	long dead;       /* given up */
};

int dispatch_tenant(struct store *s, const struct tenant_rec *t, instant_t now,
		    const struct dispatch_options *opt,
		    struct dispatch_stats *ret, struct err *e);

/*
 * A provider's report about a message it took (parsed by its adapter's
 * parser from a status callback): `provider` is the adapter scheme
 * ("twilio", "bird", "whatsapp", "smtp"), `provider_id` its id for the
 * message. Delivered → `delivered`; failed → `failed`, bounced →
 * `bounced` and the step's next channel gets a message; opened and
 * clicked are recorded as events only. Every report is a case event
 * (message.delivered, ...). In one transaction; -ERR_NOTFOUND when no
 * message of the tenant has that id (the caller answers 404, the
 * provider stops retrying).
 */
int dispatch_report(struct store *s, const struct tenant_rec *t,
		    const char *provider, const char *provider_id,
		    enum delivery_event ev, const char *code, instant_t now,
		    struct err *e);

/*
 * Dispatch inside `dunwell serve --dispatch-every SECONDS`: a thread with
 * its own store connection that dispatches every tenant's due messages,
 * then waits `every` seconds, until dispatch_loop_stop. Each pass logs one
 * JSON line per tenant that did anything (counts only, no personal data).
 */
struct dispatch_loop {
	const char *target;          /* the store, as given to --db */
	int every;                   /* seconds between passes (>= 1) */
	instant_t (*clock)(void *arg); /* the server's clock */
	void *clock_arg;             /* passed to clock */
	FILE *log;                   /* where the JSON lines go */
	int stop;                    /* set by dispatch_loop_stop */
	int started;                 /* the thread runs */
	unsigned long thread;        /* pthread_t, kept opaque here */
};

int dispatch_loop_start(struct dispatch_loop *l, struct err *e);
/* Ask the loop to stop after the pass in progress, and wait for it. */
void dispatch_loop_stop(struct dispatch_loop *l);

/* Start the loop's next pass now (messages and webhooks), e.g. after a
 * payment was committed: what it set off (invoice.paid, case.resolved,
 * service.restore, the thank-you) goes out within moments instead of at
 * the next scheduled pass. Harmless when no loop runs. */
void dispatch_wake(void);

#endif
