/*
 * serve: `dunwell serve` — the HTTP endpoints and what each thread of the
 * server needs to answer them (its own store connection).
 *
 *   GET  /healthz                          200 {"status":"ok"} when this
 *                                          thread's store answers, else 503
 *   GET  /metrics                          Prometheus text (http.h)
 *   POST /v1/reports/{tenant}/twilio       Twilio status callback (form)
 *   GET  /v1/reports/{tenant}/bird         MessageBird status report
 *   POST /v1/reports/{tenant}/bird           (query string, or a JSON body)
 *   GET  /v1/reports/{tenant}/whatsapp     Meta's verification handshake
 *   POST /v1/reports/{tenant}/whatsapp     Meta's webhook (JSON, several
 *                                          events)
 *
 * A delivery report is parsed by its adapter's parser and every event in
 * it goes to dispatch_report: the message's status changes (delivered,
 * failed, bounced and on to the next channel) and a case event is
 * recorded. Answers: 204 (Twilio, Bird) or 200 (WhatsApp) when recorded;
 * 404 when no message of the tenant has the provider's id (the provider
 * may retry; that is fine); 400 for a report that does not parse; 500
 * when the store fails (logged, without personal data).
 *
 * Authenticity. WhatsApp: when the tenant's deliver_whatsapp setting has
 * app_secret=, a POST must carry X-Hub-Signature-256: sha256=<hex
 * HMAC-SHA256 of the raw body under the app secret> (compared in constant
 * time; 401 otherwise) — without app_secret= webhooks are accepted
 * unsigned, so set it; the GET handshake echoes hub.challenge only when
 * hub.verify_token equals the setting's verify_token= (403 otherwise, and
 * always 403 when the setting has none).
 * Twilio signs callbacks with X-Twilio-Signature, an HMAC-SHA1; no
 * library dunwell links offers SHA-1 (libsodium has SHA-256/512 only) and
 * hand-written cryptography is not an option, so that signature is NOT
 * verified yet: anyone who knows a Message SID and the tenant's report URL
 * could forge its status. Keep the URL unpublished, or filter by Twilio's
 * addresses in front of dunwell, until a SHA-1 provider is linked.
 * MessageBird's classic reportUrl reports carry no signature at all.
 */
#ifndef DUNWELL_SERVE_H
#define DUNWELL_SERVE_H

#include <stdio.h>

#include "date.h"
#include "err.h"
#include "http.h"
#include "route.h"
#include "store.h"

#define SERVE_LISTEN_DEFAULT "127.0.0.1:8080"
#define SERVE_THREADS_MAX 64   /* --threads at most */

struct serve_options {
	const char *listen;   /* "ADDR:PORT"; NULL = SERVE_LISTEN_DEFAULT */
	int threads;          /* event loops; 0 = online CPUs, at most 8 */
	instant_t (*clock)(void *clock_arg); /* `now` of each request */
	void *clock_arg;      /* passed to clock */
	FILE *log;            /* the JSON access log (stderr); NULL = none */
};

/* Serve until SIGTERM/SIGINT, then stop gracefully and return 0. `s` is
 * the store as opened (and migrated) by the caller; each thread opens its
 * own connection to the same target. */
int serve_run(struct store *s, const struct serve_options *o,
	      struct err *e);

/* The store connection of the thread answering `req` (for the handlers of
 * other modules, such as the JSON API in api.c). */
struct store *serve_store(const struct http_request *req);
/* This server thread's ICU formatters (i18n.h), for the portal's pages. */
struct i18n *serve_i18n(const struct http_request *req);
/* This server thread's cache of the portal's case pages, or NULL. */
struct portal_cache *serve_portal_cache(const struct http_request *req);
/* This thread's cache of API answers (api_cache.h); NULL when none. */
struct api_cache *serve_api_cache(const struct http_request *req);

/* The route table, for the test that checks docs/openapi.json covers it. */
const struct route *serve_route_table(size_t *ret_n);

#endif
