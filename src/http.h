/*
 * http: dunwell's HTTP server — HTTP/1.1 on libevent's event loop (our
 * own connection handling and parser; evhttp cost half the CPU of a
 * request), one event loop per thread, every loop accepting on the same
 * listening socket.
 *
 * The listening socket is bound once; each thread accepts on its own
 * dup() of it, so the kernel hands each new connection to one loop.
 * Each thread gets its own application context from a thread_init
 * callback (its own store connection: SQLite and libpq connections are not
 * shared between threads) and runs its requests to completion, one at a
 * time. A request is matched against a static route table (route.h); the
 * handler sees a struct http_request and fills a struct http_response,
 * never a libevent type.
 *
 * Limits on every request: request line and headers HTTP_HEADERS_MAX
 * bytes, body HTTP_BODY_MAX bytes (413), read and write timeouts, and a
 * cap on open connections (when a thread reaches its share it stops
 * accepting until one closes; the rest wait in the kernel's backlog).
 *
 * Errors are JSON: {"error": {"type", "code", "message"}} with the status
 * (404 unknown route, 405 wrong method with an Allow header, 400 bad path
 * or query, 415 wrong body type, 500). A request refused before any
 * handler runs — a body over the limit (413), a malformed request line or
 * headers over the limit (400), a method or transfer coding not served
 * (501) — gets the same JSON error and "Connection: close", and is neither
 * logged nor counted (it matched no route).
 *
 * Access log: one JSON line per answered request on the configured stream:
 * {"ts", "method", "path", "route", "status", "bytes", "ms"}: the path
 * without its query string (or the route's pattern for ROUTE_SECRET_PATH
 * routes), never a body, a query string or a header; "ms" is the time from
 * the whole request having been read to the response being queued. Start
 * and stop are logged as JSON lines too ({"event": "listening", ...}).
 *
 * Metrics: requests by route, method and status and a latency histogram
 * by route, kept per thread (relaxed atomics, no sharing on the hot path)
 * and summed when /metrics is read (http_metrics_write).
 *
 * Shutdown: SIGTERM or SIGINT stops every loop from accepting; requests in
 * flight finish and are answered with "Connection: close"; idle
 * connections get a one-second timeout; after at most drain_seconds the
 * loops stop, every connection is closed and everything is freed.
 * SIGPIPE is ignored for the process (a client that hangs up must not
 * kill the server).
 */
#ifndef DUNWELL_HTTP_H
#define DUNWELL_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include "arena.h"
#include "buf.h"
#include "date.h"
#include "err.h"
#include "route.h"

#define HTTP_HEADERS_MAX (8 * 1024)       /* request line + headers, bytes */
#define HTTP_BODY_MAX (1024 * 1024)       /* request body, bytes */
#define HTTP_RESPONSE_MAX (4 * 1024 * 1024) /* response body, bytes */
#define HTTP_RESPONSE_HEADERS 12          /* extra response headers */
#define HTTP_THREADS_MAX 64               /* event loops at most */
#define HTTP_THREADS_DEFAULT_MAX 8        /* ... when counted from CPUs */

struct http_server; /* opaque: the socket, the loops, the metrics */

/* How to run the server. Everything is borrowed for http_run. */
struct http_config {
	const char *listen;         /* "ADDR:PORT": "127.0.0.1:8080",
				       "[::1]:8080", "0.0.0.0:8080"; port 0
				       picks a free one (the "listening" log
				       line names it) */
	int threads;                /* event loops; 0 = online CPUs, at most
				       HTTP_THREADS_DEFAULT_MAX */
	int max_connections;        /* open connections, all loops together;
				       0 = 1024 (lowered to fit the file
				       descriptor limit) */
	int timeout_seconds;        /* read and write timeout; 0 = 30 */
	int drain_seconds;          /* longest wait for requests in flight at
				       shutdown; 0 = 10 */
	const struct route *routes; /* the static route table */
	size_t n_routes;            /* its lines */
	/* Make thread `index`'s application context (called for every
	 * thread, in the calling thread, before any request). */
	int (*thread_init)(void *arg, int index, void **ret_app,
			   struct err *e);
	void (*thread_free)(void *app); /* after every loop has stopped */
	void *arg;                  /* passed to thread_init */
	instant_t (*clock)(void *clock_arg); /* `now` of each request and
						the log's "ts" */
	void *clock_arg;            /* passed to clock */
	FILE *log;                  /* access log; NULL for none */
};

/* One request as a handler sees it. Everything lives until the handler
 * returns (strings in the request's arena or the connection's input
 * buffer). */
struct http_request {
	const char *method;   /* "GET", "HEAD", "POST", ... */
	const char *path;     /* as sent: %-escapes kept, no query string */
	const struct route *route;         /* the matched route */
	const struct route_param *params;  /* its {name}s, decoded */
	size_t n_params;                   /* ... how many */
	const struct route_param *query;   /* query parameters, decoded
					      ('+' is a space), in order */
	size_t n_query;                    /* ... how many */
	const char *query_raw; /* the query string as sent, without '?';
				  "" when none (some parsers want it whole) */
	const struct route_param *headers; /* request headers as received */
	size_t n_headers;                  /* ... how many */
	const char *body;     /* body_len bytes, NUL-terminated copy */
	size_t body_len;      /* bytes of body */
	const char *remote;   /* the peer's IP address ("" when unknown) */
	instant_t now;        /* from the configured clock */
	void *app;            /* this thread's application context */
	struct arena *arena;  /* the request's arena: freed after the answer */
	const struct http_server *server; /* for http_metrics_write */
	FILE *log;            /* the access log (NULL for none) */
};

/* What a handler fills in. http_run sets status 0 (= the handler failed:
 * 500), content_type "application/json" and an empty body first. */
struct http_response {
	int status;                 /* HTTP status */
	const char *content_type;   /* a static string or in the arena */
	struct buf body;            /* at most HTTP_RESPONSE_MAX bytes */
	const char *header_name[HTTP_RESPONSE_HEADERS];  /* extra headers */
	const char *header_value[HTTP_RESPONSE_HEADERS]; /* ... their values
							    (static or arena) */
	size_t n_headers;           /* extra headers set */
};

/* Run until SIGTERM or SIGINT, then shut down gracefully (see above) and
 * return 0. Errors before serving (the address cannot be bound, a
 * thread_init failed, a bad route table) return negative with e set. */
int http_run(const struct http_config *c, struct err *e);

/* A path parameter, query parameter or header (case-insensitive) by
 * name; NULL when absent. */
const char *http_param(const struct http_request *r, const char *name);
const char *http_query(const struct http_request *r, const char *name);
const char *http_header(const struct http_request *r, const char *name);

/* Add a response header (name and value must outlive the handler: static
 * or in r's arena); -ERR_TOOBIG past HTTP_RESPONSE_HEADERS. */
int http_response_header(struct http_response *resp, const char *name,
			 const char *value);

/* Answer with a JSON error {"error": {"type", "code", "message"}}:
 * type is the kind ("invalid_request", "not_found", "unauthorized",
 * "forbidden", "internal"), code a stable machine-readable name,
 * message one sentence for a person (no personal data). */
void http_error(struct http_response *resp, int status, const char *type,
		const char *code, const char *message);

/* Log a handler's problem as a JSON line {"ts", "level", "route",
 * "message"} on the access log. The message must hold no personal data. */
void http_log(const struct http_request *r, const char *level,
	      const char *message);

/* Prometheus text exposition of the server's metrics, summed over the
 * threads: dunwell_http_requests_total{route,method,status},
 * dunwell_http_request_duration_seconds{route} (histogram) and
 * dunwell_http_connections (gauge). */
int http_metrics_write(const struct http_server *s, struct buf *out);

/* Append s as a JSON string (quotes included) of at most max bytes of s:
 * control characters escaped, bytes outside ASCII shown as '?'. */
int http_json_string(struct buf *b, const char *s, size_t max);

#endif
