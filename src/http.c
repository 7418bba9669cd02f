/*
 * http: the HTTP server (see http.h) — threads, limits, the connection
 * cap, graceful shutdown, the access log and the metrics, around
 * libevent's evhttp. Requests go through the route table (route.c) to the
 * application's handlers; nothing here knows what a handler does.
 *
 * The connection cap: libevent 2.1 has no limit on connections and no
 * hook when one closes that does not need the connection object, which
 * evhttp creates after it asks us for a bufferevent (evhttp_set_bevcb).
 * So each new connection is counted when its bufferevent is made and put
 * on a list; an event of higher priority than any of evhttp's then runs
 * before anything else can happen on that connection, finds the
 * connection object (evhttp's callback argument on the bufferevent) and
 * sets a close callback that uncounts it. A thread at its share of the
 * cap disables its listener until a connection closes.
 */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "mem.h"

#define HTTP_BACKLOG 1024            /* listen(2) queue */
#define HTTP_CONNS_DEFAULT 1024      /* max_connections when 0 */
#define HTTP_TIMEOUT_DEFAULT 30      /* seconds */
#define HTTP_DRAIN_DEFAULT 10        /* seconds */
#define HTTP_DRAIN_IDLE_MS 1000      /* idle timeout while draining */
#define HTTP_DRAIN_TICK_MS 100       /* how often draining is checked */
#define HTTP_LOG_PATH_MAX 256        /* bytes of a path in the log */
#define HTTP_LOG_LINE_MAX 2048       /* bytes of one log line */
#define HTTP_HOST_MAX 256            /* the ADDR of "ADDR:PORT" */
#define HTTP_ADDR_MAX 300            /* "ADDR:PORT" as bound, for the log */

/* Methods counted separately; the rest is "OTHER". */
enum { M_GET, M_HEAD, M_POST, M_PUT, M_PATCH, M_DELETE, M_OPTIONS,
       M_OTHER, N_METHODS };
static const char *const method_names[N_METHODS] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"
};

/* Statuses counted separately; the rest is one "other" slot. */
static const int status_codes[] = { 200, 201, 202, 204, 301, 302, 304,
				    400, 401, 403, 404, 405, 408, 409,
				    413, 415, 422, 429, 500, 501, 502,
				    503, 504 };
#define N_CODES (sizeof(status_codes) / sizeof(status_codes[0]))
#define N_STATUS (N_CODES + 1)

/* Histogram bucket bounds, microseconds, and as Prometheus writes them. */
static const uint64_t bucket_us[] = { 500,    1000,    2500,    5000,
				      10000,  25000,   50000,   100000,
				      250000, 500000,  1000000, 2500000,
				      5000000, 10000000 };
static const char *const bucket_le[] = { "0.0005", "0.001", "0.0025",
					 "0.005",  "0.01",  "0.025",
					 "0.05",   "0.1",   "0.25",
					 "0.5",    "1",     "2.5",
					 "5",      "10" };
#define N_BUCKETS (sizeof(bucket_us) / sizeof(bucket_us[0]))

struct http_thread;

/* One client connection, from accept to close. */
struct conn {
	struct http_thread *th;          /* the loop that owns it */
	struct bufferevent *bev;         /* made by on_new_bev; evhttp owns
					    and frees it */
	struct evhttp_connection *evcon; /* NULL until adopted */
	struct conn *prev, *next;        /* the thread's adopted list */
};

/* One event loop and what belongs to it. */
struct http_thread {
	struct http_server *srv;         /* the server it is part of */
	int index;                       /* 0 = the calling thread */
	pthread_t tid;                   /* for index > 0, once started */
	int started;                     /* tid is valid */
	struct event_base *base;         /* this thread's loop */
	struct evhttp *http;             /* evhttp on that loop */
	struct evhttp_bound_socket *bound; /* its listener; NULL once it
					      stopped accepting for good */
	struct event *adopt_ev;          /* priority 0: adopt new conns */
	struct event *stop_ev;           /* activated on SIGTERM/SIGINT */
	struct event *drain_ev;          /* periodic check while draining */
	struct conn **pending;           /* counted, not yet adopted */
	size_t n_pending, cap_pending;
	struct conn *conns;              /* adopted connections */
	atomic_int n_conns;              /* open connections (read by
					    /metrics on other threads) */
	int max_conns;                   /* this thread's share of the cap */
	int accepting;                   /* the listener is enabled */
	int draining;                    /* shutting down */
	struct timespec drain_start;     /* when draining began */
	struct arena *arena;             /* each request's allocations,
					    reset after its answer */
	struct buf body;                 /* the response body, reused */
	struct buf log_line;             /* the access-log line, reused */
	void *app;                       /* thread_init's context */
	int app_made;                    /* app is valid (thread_free it) */
	/* Metrics, written by this thread only, read by any. */
	_Atomic uint64_t *counts;  /* [route or none][method][status] */
	_Atomic uint64_t *buckets; /* [route or none][bucket or +Inf] */
	_Atomic uint64_t *sum_us;  /* [route or none]: total microseconds */
};

struct http_server {
	const struct http_config *c;  /* the configuration */
	int n_threads;                /* loops */
	struct http_thread *threads;  /* [n_threads] */
	struct event *sig_term;       /* SIGTERM on thread 0's loop */
	struct event *sig_int;        /* SIGINT on thread 0's loop */
	atomic_int stopping;          /* a signal came (count) */
	int timeout_s;                /* read/write timeout */
	int drain_s;                  /* bounded wait at shutdown */
	char addr[HTTP_ADDR_MAX];     /* the bound address, for the log */
};

/* ---- small helpers ------------------------------------------------------ */

static double elapsed_s(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	       (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int method_index(enum evhttp_cmd_type t)
{
	switch (t) {
	case EVHTTP_REQ_GET: return M_GET;
	case EVHTTP_REQ_HEAD: return M_HEAD;
	case EVHTTP_REQ_POST: return M_POST;
	case EVHTTP_REQ_PUT: return M_PUT;
	case EVHTTP_REQ_PATCH: return M_PATCH;
	case EVHTTP_REQ_DELETE: return M_DELETE;
	case EVHTTP_REQ_OPTIONS: return M_OPTIONS;
	default: return M_OTHER;
	}
}

static size_t status_slot(int status)
{
	for (size_t i = 0; i < N_CODES; i++)
		if (status_codes[i] == status)
			return i;
	return N_CODES;
}

int http_json_string(struct buf *b, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	int r = buf_putc(b, '"');

	for (size_t i = 0; r == 0 && s[i] && i < max; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			r = buf_append(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4],
					hex[c & 15] };
			r = buf_append(b, esc, 6);
		} else if (c >= 0x80) {
			r = buf_putc(b, '?');
		} else {
			r = buf_putc(b, (char)c);
		}
	}
	if (r == 0)
		r = buf_putc(b, '"');
	return r;
}

/* An event-loop thread's log lines not yet written (set while its loop
 * runs): one write per HTTP_LOG_FLUSH_MS or HTTP_LOG_BUFFER bytes instead
 * of one per request (a write system call per request cost a fifth of
 * the personal page's throughput; bench/portal.sh). */
#define HTTP_LOG_BUFFER (32 * 1024)
#define HTTP_BODY_KEEP (256 * 1024) /* response buffer kept between requests */
#define HTTP_LOG_FLUSH_MS 100
static _Thread_local struct buf *log_pending;
static _Thread_local FILE *log_pending_to;

static void log_flush(void)
{
	if (!log_pending || !log_pending->len)
		return;
	/* One write per batch of whole lines: lines of several threads
	 * never mix. */
	fwrite(log_pending->data, 1, log_pending->len, log_pending_to);
	fflush(log_pending_to);
	buf_reset(log_pending);
}

static void log_line(FILE *log, struct buf *line)
{
	if (buf_putc(line, '\n') < 0)
		return;
	if (log_pending && log_pending_to == log &&
	    buf_append(log_pending, line->data, line->len) == 0) {
		if (log_pending->len >= HTTP_LOG_BUFFER)
			log_flush();
		return;
	}
	fwrite(line->data, 1, line->len, log);
}

/* Begin a log line in `line` (emptied first). */
static void log_begin(struct buf *line, const struct http_config *c)
{
	char ts[INSTANT_FMT_MAX];

	instant_format(c->clock(c->clock_arg), ts);
	buf_reset(line);
	buf_puts(line, "{\"ts\":\"");
	buf_puts(line, ts);
	buf_putc(line, '"');
}

static void log_start(struct buf *line, const struct http_config *c)
{
	buf_init(line, HTTP_LOG_LINE_MAX);
	log_begin(line, c);
}

static void log_event(const struct http_server *srv, const char *event,
		      const char *extra)
{
	struct buf line;

	if (!srv->c->log)
		return;
	log_start(&line, srv->c);
	buf_printf(&line, ",\"event\":\"%s\"%s}", event, extra ? extra : "");
	log_line(srv->c->log, &line);
	buf_free(&line);
}

/* ---- the request API ---------------------------------------------------- */

static const char *find(const struct route_param *p, size_t n,
			const char *name, int nocase)
{
	for (size_t i = 0; i < n; i++)
		if (nocase ? strcasecmp(p[i].name, name) == 0
			   : strcmp(p[i].name, name) == 0)
			return p[i].value;
	return NULL;
}

const char *http_param(const struct http_request *r, const char *name)
{
	return find(r->params, r->n_params, name, 0);
}

const char *http_query(const struct http_request *r, const char *name)
{
	return find(r->query, r->n_query, name, 0);
}

const char *http_header(const struct http_request *r, const char *name)
{
	return find(r->headers, r->n_headers, name, 1);
}

int http_response_header(struct http_response *resp, const char *name,
			 const char *value)
{
	if (resp->n_headers >= HTTP_RESPONSE_HEADERS)
		return -ERR_TOOBIG;
	resp->header_name[resp->n_headers] = name;
	resp->header_value[resp->n_headers] = value;
	resp->n_headers++;
	return 0;
}

void http_error(struct http_response *resp, int status, const char *type,
		const char *code, const char *message)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	buf_puts(&resp->body, "{\"error\":{\"type\":");
	http_json_string(&resp->body, type, 64);
	buf_puts(&resp->body, ",\"code\":");
	http_json_string(&resp->body, code, 64);
	buf_puts(&resp->body, ",\"message\":");
	http_json_string(&resp->body, message, 512);
	buf_puts(&resp->body, "}}\n");
}

void http_log(const struct http_request *r, const char *level,
	      const char *message)
{
	const struct http_config *c;
	struct buf line;

	if (!r->log || !r->server)
		return;
	c = r->server->c;
	log_start(&line, c);
	buf_puts(&line, ",\"level\":");
	http_json_string(&line, level, 16);
	buf_puts(&line, ",\"route\":");
	if (r->route)
		http_json_string(&line, r->route->pattern, HTTP_LOG_PATH_MAX);
	else
		buf_puts(&line, "null");
	buf_puts(&line, ",\"message\":");
	http_json_string(&line, message, 1024);
	buf_putc(&line, '}');
	log_line(r->log, &line);
	buf_free(&line);
}

/* ---- metrics ------------------------------------------------------------ */

static void metrics_alloc(struct http_thread *th, size_t n_routes)
{
	size_t nr = n_routes + 1;
	size_t nc = nr * N_METHODS * N_STATUS, nb = nr * (N_BUCKETS + 1);

	th->counts = xcalloc(nc, sizeof(*th->counts));
	th->buckets = xcalloc(nb, sizeof(*th->buckets));
	th->sum_us = xcalloc(nr, sizeof(*th->sum_us));
	for (size_t i = 0; i < nc; i++)
		atomic_init(&th->counts[i], 0);
	for (size_t i = 0; i < nb; i++)
		atomic_init(&th->buckets[i], 0);
	for (size_t i = 0; i < nr; i++)
		atomic_init(&th->sum_us[i], 0);
}

static void metrics_count(struct http_thread *th, size_t route, int method,
			  int status, uint64_t us)
{
	size_t b = 0;

	atomic_fetch_add_explicit(
		&th->counts[(route * N_METHODS + (size_t)method) * N_STATUS +
			    status_slot(status)],
		1, memory_order_relaxed);
	while (b < N_BUCKETS && us > bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&th->buckets[route * (N_BUCKETS + 1) + b],
				  1, memory_order_relaxed);
	atomic_fetch_add_explicit(&th->sum_us[route], us,
				  memory_order_relaxed);
}

static uint64_t load(const _Atomic uint64_t *p)
{
	return atomic_load_explicit(p, memory_order_relaxed);
}

static void put_route_label(struct buf *out, const struct http_server *s,
			    size_t route)
{
	buf_puts(out, "route=");
	http_json_string(out, route < s->c->n_routes
				      ? s->c->routes[route].pattern
				      : "none",
			 HTTP_LOG_PATH_MAX);
}

/* Lines of the table with one pattern (GET and POST of one path) are one
 * route in the metrics; index n_routes is "none" (no route matched). */
static int same_route(const struct http_server *s, size_t a, size_t b)
{
	size_t n = s->c->n_routes;

	if (a == n || b == n)
		return a == b;
	return strcmp(s->c->routes[a].pattern, s->c->routes[b].pattern) == 0;
}

static int first_of_route(const struct http_server *s, size_t r)
{
	for (size_t k = 0; k < r; k++)
		if (same_route(s, k, r))
			return 0;
	return 1;
}

static uint64_t sum_counts(const struct http_server *s, size_t r, size_t m,
			   size_t st)
{
	uint64_t v = 0;

	for (size_t k = r; k <= s->c->n_routes; k++) {
		if (!same_route(s, k, r))
			continue;
		size_t i = (k * N_METHODS + m) * N_STATUS + st;
		for (int t = 0; t < s->n_threads; t++)
			v += load(&s->threads[t].counts[i]);
	}
	return v;
}

static uint64_t sum_bucket(const struct http_server *s, size_t r, size_t b)
{
	uint64_t v = 0;

	for (size_t k = r; k <= s->c->n_routes; k++) {
		if (!same_route(s, k, r))
			continue;
		size_t i = k * (N_BUCKETS + 1) + b;
		for (int t = 0; t < s->n_threads; t++)
			v += load(&s->threads[t].buckets[i]);
	}
	return v;
}

static uint64_t sum_time(const struct http_server *s, size_t r)
{
	uint64_t v = 0;

	for (size_t k = r; k <= s->c->n_routes; k++) {
		if (!same_route(s, k, r))
			continue;
		for (int t = 0; t < s->n_threads; t++)
			v += load(&s->threads[t].sum_us[k]);
	}
	return v;
}

int http_metrics_write(const struct http_server *s, struct buf *out)
{
	size_t nr = s->c->n_routes + 1;
	long conns = 0;

	buf_puts(out, "# HELP dunwell_http_requests_total HTTP requests "
		      "answered, by route, method and status.\n"
		      "# TYPE dunwell_http_requests_total counter\n");
	for (size_t r = 0; r < nr; r++) {
		if (!first_of_route(s, r))
			continue;
		for (size_t m = 0; m < N_METHODS; m++)
			for (size_t st = 0; st < N_STATUS; st++) {
				uint64_t v = sum_counts(s, r, m, st);
				if (!v)
					continue;
				buf_puts(out, "dunwell_http_requests_total{");
				put_route_label(out, s, r);
				buf_printf(out, ",method=\"%s\",status=",
					   method_names[m]);
				if (st < N_CODES)
					buf_printf(out, "\"%d\"",
						   status_codes[st]);
				else
					buf_puts(out, "\"other\"");
				buf_printf(out, "} %llu\n",
					   (unsigned long long)v);
			}
	}
	buf_puts(out, "# HELP dunwell_http_request_duration_seconds Time from "
		      "a whole request read to its response queued, by "
		      "route.\n"
		      "# TYPE dunwell_http_request_duration_seconds "
		      "histogram\n");
	for (size_t r = 0; r < nr; r++) {
		uint64_t per[N_BUCKETS + 1], cum = 0, sum;

		if (!first_of_route(s, r))
			continue;
		for (size_t b = 0; b <= N_BUCKETS; b++) {
			per[b] = sum_bucket(s, r, b);
			cum += per[b];
		}
		if (!cum)
			continue;
		sum = sum_time(s, r);
		cum = 0;
		for (size_t b = 0; b <= N_BUCKETS; b++) {
			cum += per[b];
			buf_puts(out, "dunwell_http_request_duration_"
				      "seconds_bucket{");
			put_route_label(out, s, r);
			buf_printf(out, ",le=\"%s\"} %llu\n",
				   b < N_BUCKETS ? bucket_le[b] : "+Inf",
				   (unsigned long long)cum);
		}
		buf_puts(out, "dunwell_http_request_duration_seconds_sum{");
		put_route_label(out, s, r);
		buf_printf(out, "} %llu.%06llu\n",
			   (unsigned long long)(sum / 1000000),
			   (unsigned long long)(sum % 1000000));
		buf_puts(out, "dunwell_http_request_duration_seconds_count{");
		put_route_label(out, s, r);
		buf_printf(out, "} %llu\n", (unsigned long long)cum);
	}
	for (int t = 0; t < s->n_threads; t++)
		conns += atomic_load_explicit(&s->threads[t].n_conns,
					      memory_order_relaxed);
	return buf_printf(out, "# HELP dunwell_http_connections Open client "
			       "connections.\n"
			       "# TYPE dunwell_http_connections gauge\n"
			       "dunwell_http_connections %ld\n",
			  conns);
}

/* ---- connections: counting, the cap ------------------------------------- */

static void listener_set(struct http_thread *th, int on)
{
	struct evconnlistener *l;

	if (!th->bound || th->accepting == on)
		return;
	l = evhttp_bound_socket_get_listener(th->bound);
	if (on)
		evconnlistener_enable(l);
	else
		evconnlistener_disable(l);
	th->accepting = on;
}

static void on_close(struct evhttp_connection *evcon, void *arg)
{
	struct conn *cn = arg;
	struct http_thread *th = cn->th;

	(void)evcon;
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		th->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	free(cn);
	atomic_fetch_sub_explicit(&th->n_conns, 1, memory_order_relaxed);
	if (!th->draining &&
	    atomic_load_explicit(&th->n_conns, memory_order_relaxed) <
		    th->max_conns)
		listener_set(th, 1);
}

/* evhttp asks for the bufferevent of each accepted connection: count it
 * and have it adopted before anything else runs on this loop. */
static struct bufferevent *on_new_bev(struct event_base *base, void *arg)
{
	struct http_thread *th = arg;
	struct bufferevent *bev = bufferevent_socket_new(base, -1, 0);
	struct conn *cn;

	if (!bev)
		return NULL; /* evhttp makes its own: uncounted, still served */
	cn = xcalloc(1, sizeof(*cn));
	cn->th = th;
	cn->bev = bev;
	th->pending = xgrow(th->pending, &th->cap_pending, th->n_pending + 1,
			    sizeof(*th->pending));
	th->pending[th->n_pending++] = cn;
	if (atomic_fetch_add_explicit(&th->n_conns, 1, memory_order_relaxed) +
		    1 >=
	    th->max_conns)
		listener_set(th, 0);
	event_active(th->adopt_ev, EV_TIMEOUT, 0);
	return bev;
}

static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct http_thread *th = arg;
	const struct timeval idle = { HTTP_DRAIN_IDLE_MS / 1000,
				       (HTTP_DRAIN_IDLE_MS % 1000) * 1000 };

	(void)fd;
	(void)what;
	for (size_t i = 0; i < th->n_pending; i++) {
		struct conn *cn = th->pending[i];
		void *cbarg = NULL;
		struct evhttp_connection *evcon;

		bufferevent_getcb(cn->bev, NULL, NULL, NULL, &cbarg);
		evcon = cbarg;
		/* evhttp's callbacks on the bufferevent carry its connection;
		 * check that it is that connection before relying on it. */
		if (!evcon ||
		    evhttp_connection_get_bufferevent(evcon) != cn->bev) {
			atomic_fetch_sub_explicit(&th->n_conns, 1,
						  memory_order_relaxed);
			free(cn);
			continue;
		}
		cn->evcon = evcon;
		cn->next = th->conns;
		if (th->conns)
			th->conns->prev = cn;
		th->conns = cn;
		evhttp_connection_set_closecb(evcon, on_close, cn);
		if (th->draining)
			evhttp_connection_set_timeout_tv(evcon, &idle);
	}
	th->n_pending = 0;
}

/* ---- shutdown ----------------------------------------------------------- */

static void drain_check(struct http_thread *th)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (atomic_load_explicit(&th->n_conns, memory_order_relaxed) == 0 ||
	    atomic_load(&th->srv->stopping) > 1 ||
	    elapsed_s(&th->drain_start, &now) >= th->srv->drain_s)
		event_base_loopbreak(th->base);
}

static void on_drain_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	drain_check(arg);
}

/* Stop accepting, let requests in flight finish, close idle connections
 * soon, and end the loop when none is left or the wait is over. */
static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct http_thread *th = arg;
	const struct timeval idle = { HTTP_DRAIN_IDLE_MS / 1000,
				       (HTTP_DRAIN_IDLE_MS % 1000) * 1000 };
	const struct timeval tick = { 0, HTTP_DRAIN_TICK_MS * 1000 };

	(void)fd;
	(void)what;
	if (th->draining) {
		drain_check(th);
		return;
	}
	th->draining = 1;
	if (th->bound) {
		evhttp_del_accept_socket(th->http, th->bound);
		th->bound = NULL;
	}
	on_adopt(-1, 0, th);
	for (struct conn *cn = th->conns; cn; cn = cn->next)
		evhttp_connection_set_timeout_tv(cn->evcon, &idle);
	clock_gettime(CLOCK_MONOTONIC, &th->drain_start);
	event_add(th->drain_ev, &tick);
	drain_check(th);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct http_server *srv = arg;
	char extra[64];

	(void)what;
	snprintf(extra, sizeof(extra), ",\"signal\":\"%s\"",
		 sig == SIGTERM ? "SIGTERM" : "SIGINT");
	/* A second signal ends the wait at once. */
	if (atomic_fetch_add(&srv->stopping, 1) == 0)
		log_event(srv, "stopping", extra);
	for (int i = 0; i < srv->n_threads; i++)
		event_active(srv->threads[i].stop_ev, EV_TIMEOUT, 0);
}

/* ---- one request -------------------------------------------------------- */

/* Split a query string into decoded parameters. */
static int parse_query(const char *q, struct arena *a,
		       struct route_param **ret, size_t *ret_n)
{
	size_t n = 1, k = 0;
	struct route_param *p;

	for (const char *s = q; *s; s++)
		n += *s == '&';
	p = arena_alloc(a, n * sizeof(*p));
	while (*q) {
		size_t len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);
		size_t nlen = eq ? (size_t)(eq - q) : len;
		char *name, *value;
		if (len > 0) {
			if (route_decode(q, nlen, 1, a, &name) < 0 ||
			    route_decode(eq ? eq + 1 : q + len,
					 eq ? len - nlen - 1 : 0, 1, a,
					 &value) < 0)
				return -ERR_INVALID;
			p[k].name = name;
			p[k].value = value;
			k++;
		}
		q += len;
		if (*q == '&')
			q++;
	}
	*ret = p;
	*ret_n = k;
	return 0;
}

/* Is the Content-Type `ct` the media type `want` (parameters ignored)? */
static int media_type_is(const char *ct, const char *want)
{
	size_t n = strlen(want);

	if (!ct)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

static void copy_headers(struct evhttp_request *ev, struct http_request *rq)
{
	struct evkeyvalq *h = evhttp_request_get_input_headers(ev);
	struct evkeyval *kv;
	struct route_param *p;
	size_t n = 0;

	TAILQ_FOREACH(kv, h, next)
		n++;
	p = arena_alloc(rq->arena, (n ? n : 1) * sizeof(*p));
	n = 0;
	TAILQ_FOREACH(kv, h, next) {
		p[n].name = kv->key;
		p[n].value = kv->value;
		n++;
	}
	rq->headers = p;
	rq->n_headers = n;
	{
		/* The peer's address, for per-address limits. */
		struct evhttp_connection *c = evhttp_request_get_connection(ev);
		char *addr = NULL;
		ev_uint16_t port = 0;
		if (c)
			evhttp_connection_get_peer(c, &addr, &port);
		rq->remote = addr ? arena_strdup(rq->arena, addr) : "";
	}
}

static void copy_body(struct evhttp_request *ev, struct http_request *rq)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(ev);
	size_t len = in ? evbuffer_get_length(in) : 0;
	char *b = arena_alloc(rq->arena, len + 1);

	if (len)
		evbuffer_copyout(in, b, len);
	b[len] = '\0';
	rq->body = b;
	rq->body_len = len;
}

/* Route, check and hand the request to its handler; fills *rs. */
static void handle(struct evhttp_request *ev, struct http_thread *th,
		   struct http_request *rq, struct http_response *rs,
		   struct route_match *m)
{
	const struct http_config *c = th->srv->c;
	struct route_param *query = NULL;
	size_t n_query = 0;
	int r;

	r = route_match(c->routes, c->n_routes, rq->method, rq->path,
			rq->arena, m);
	if (r == -ERR_NOTFOUND) {
		http_error(rs, 404, "not_found", "route_not_found",
			   "There is no such route.");
		return;
	}
	if (r == -ERR_CONFLICT) {
		char msg[ROUTE_ALLOW_MAX + 32];
		rq->route = m->route; /* logged and counted under its pattern */
		snprintf(msg, sizeof(msg), "This route answers %s.", m->allow);
		http_error(rs, 405, "invalid_request", "method_not_allowed",
			   msg);
		http_response_header(rs, "Allow",
				     arena_strdup(rq->arena, m->allow));
		return;
	}
	if (r < 0) {
		http_error(rs, 400, "invalid_request", "bad_path",
			   "The path has a bad %-escape.");
		return;
	}
	rq->route = m->route;
	rq->params = m->params;
	rq->n_params = m->n_params;
	if (parse_query(rq->query_raw, rq->arena, &query, &n_query) < 0) {
		http_error(rs, 400, "invalid_request", "bad_query",
			   "The query string has a bad %-escape.");
		return;
	}
	rq->query = query;
	rq->n_query = n_query;
	copy_headers(ev, rq);
	if ((m->route->flags & ROUTE_BODY_FORM) &&
	    !media_type_is(http_header(rq, "Content-Type"),
			   "application/x-www-form-urlencoded")) {
		http_error(rs, 415, "invalid_request", "unsupported_media_type",
			   "The body must be "
			   "application/x-www-form-urlencoded.");
		return;
	}
	if ((m->route->flags & ROUTE_BODY_JSON) &&
	    !media_type_is(http_header(rq, "Content-Type"),
			   "application/json")) {
		http_error(rs, 415, "invalid_request", "unsupported_media_type",
			   "The body must be application/json.");
		return;
	}
	copy_body(ev, rq);
	m->route->handler(rq, rs);
	if (rs->status < 100 || rs->status > 599) {
		http_log(rq, "error", "the handler set no status");
		http_error(rs, 500, "internal", "internal_error",
			   "Something went wrong on our side.");
	}
}

/* Queue the answer; returns the body bytes sent. */
static size_t send_response(struct evhttp_request *ev, struct http_thread *th,
			    const struct http_response *rs, int method)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(ev);
	int no_body = rs->status == 204 || rs->status == 304;
	size_t len = no_body ? 0 : rs->body.len;

	if (!no_body)
		evhttp_add_header(h, "Content-Type", rs->content_type);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; i < rs->n_headers; i++)
		evhttp_add_header(h, rs->header_name[i], rs->header_value[i]);
	if (th->draining)
		evhttp_add_header(h, "Connection", "close");
	if (method == M_HEAD) {
		char cl[32];
		snprintf(cl, sizeof(cl), "%zu", len);
		if (!no_body)
			evhttp_add_header(h, "Content-Length", cl);
		len = 0;
	} else if (len) {
		evbuffer_add(evhttp_request_get_output_buffer(ev),
			     rs->body.data, len);
	}
	evhttp_send_reply(ev, rs->status, NULL, NULL);
	return len;
}

static void access_log(struct http_thread *th, const struct http_request *rq,
		       int status, size_t bytes, double ms)
{
	const struct http_config *c = th->srv->c;
	struct buf *lp = &th->log_line, line;
	int secret = rq->route && (rq->route->flags & ROUTE_SECRET_PATH);

	/* The thread's own line buffer, reused (no allocation per
	 * request); `line` is a copy of its header for the code below. */
	log_begin(lp, c);
	line = *lp;
	buf_puts(&line, ",\"method\":");
	http_json_string(&line, rq->method, 16);
	buf_puts(&line, ",\"path\":");
	http_json_string(&line, secret ? rq->route->pattern : rq->path,
			 HTTP_LOG_PATH_MAX);
	buf_puts(&line, ",\"route\":");
	if (rq->route)
		http_json_string(&line, rq->route->pattern, HTTP_LOG_PATH_MAX);
	else
		buf_puts(&line, "null");
	buf_printf(&line, ",\"status\":%d,\"bytes\":%zu,\"ms\":%.3f}", status,
		   bytes, ms);
	log_line(c->log, &line);
	*lp = line; /* keep its (possibly grown) allocation */
}

static void on_request(struct evhttp_request *ev, void *arg)
{
	struct http_thread *th = arg;
	const struct http_config *c = th->srv->c;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	struct http_request rq;
	struct http_response rs;
	struct route_match m;
	struct timespec t0, t1;
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;
	int method = method_index(evhttp_request_get_command(ev));
	size_t bytes, route;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	memset(&m, 0, sizeof(m));
	rq.arena = th->arena;
	rq.method = method_names[method];
	rq.path = path && *path ? path : "/";
	rq.query_raw = query ? query : "";
	rq.now = c->clock(c->clock_arg);
	rq.app = th->app;
	rq.server = th->srv;
	rq.log = c->log;
	/* The thread's response buffer, reused: no allocation per request
	 * once it has grown to the usual answer. */
	rs.body = th->body;
	buf_reset(&rs.body);
	rs.content_type = "application/json";

	handle(ev, th, &rq, &rs, &m);
	bytes = send_response(ev, th, &rs, method);

	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = elapsed_s(&t0, &t1);
	route = rq.route ? m.index : c->n_routes;
	metrics_count(th, route, method, rs.status,
		      s > 0 ? (uint64_t)(s * 1e6) : 0);
	if (c->log)
		access_log(th, &rq, rs.status, bytes, s * 1000.0);
	th->body = rs.body;
	if (th->body.cap > HTTP_BODY_KEEP) {
		/* An unusually large answer: give the memory back. */
		buf_free(&th->body);
		buf_init(&th->body, HTTP_RESPONSE_MAX);
	}
	arena_reset(rq.arena);
}

/* ---- set-up and tear-down ----------------------------------------------- */

/* "ADDR:PORT" → host and port strings. */
static int parse_listen(const char *s, char host[HTTP_HOST_MAX],
			char port[8], struct err *e)
{
	const char *colon, *h = s, *hend;
	size_t plen;

	if (!s || !*s)
		return err_set(e, ERR_INVALID, "--listen: expected ADDR:PORT");
	if (s[0] == '[') {
		hend = strchr(s, ']');
		if (!hend || hend[1] != ':')
			return err_set(e, ERR_INVALID,
				       "--listen '%s': expected [IPv6]:PORT", s);
		h = s + 1;
		colon = hend + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return err_set(e, ERR_INVALID,
				       "--listen '%s': expected ADDR:PORT", s);
		hend = colon;
	}
	plen = strlen(colon + 1);
	if (hend == h || (size_t)(hend - h) >= HTTP_HOST_MAX || plen == 0 ||
	    plen > 5 || strspn(colon + 1, "0123456789") != plen ||
	    strtol(colon + 1, NULL, 10) > 65535)
		return err_set(e, ERR_INVALID,
			       "--listen '%s': expected ADDR:PORT with a port "
			       "from 0 to 65535", s);
	memcpy(host, h, (size_t)(hend - h));
	host[hend - h] = '\0';
	memcpy(port, colon + 1, plen + 1);
	return 0;
}

/* Bind and listen once; the loops accept on dup()s of this socket. */
static int open_listener(struct http_server *srv, evutil_socket_t *ret_fd,
			 struct err *e)
{
	struct addrinfo hints, *res = NULL;
	char host[HTTP_HOST_MAX], port[8], nh[NI_MAXHOST], np[NI_MAXSERV];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, one = 1, r;

	r = parse_listen(srv->c->listen, host, port, e);
	if (r < 0)
		return r;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &res);
	if (r != 0)
		return err_set(e, ERR_INVALID, "--listen %s: %s",
			       srv->c->listen, gai_strerror(r));
	fd = socket(res->ai_family,
		    res->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    res->ai_protocol);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, HTTP_BACKLOG) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		r = err_set(e, ERR_IO, "--listen %s: %s", srv->c->listen,
			    strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return r;
	}
	freeaddrinfo(res);
	if (getnameinfo((struct sockaddr *)&ss, sl, nh, sizeof(nh), np,
			sizeof(np), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		snprintf(srv->addr, sizeof(srv->addr),
			 ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", nh,
			 np);
	else
		snprintf(srv->addr, sizeof(srv->addr), "%s", srv->c->listen);
	*ret_fd = fd;
	return 0;
}

static int default_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > HTTP_THREADS_DEFAULT_MAX ? HTTP_THREADS_DEFAULT_MAX : (int)n;
}

/* The cap, lowered to leave room in the file descriptor limit. */
static int connection_cap(const struct http_config *c)
{
	struct rlimit rl;
	long cap = c->max_connections > 0 ? c->max_connections
					  : HTTP_CONNS_DEFAULT;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY && (long)rl.rlim_cur - 64 < cap)
		cap = (long)rl.rlim_cur > 128 ? (long)rl.rlim_cur - 64 : 64;
	return (int)cap;
}

static int thread_setup(struct http_thread *th, evutil_socket_t fd,
			struct err *e)
{
	struct http_server *srv = th->srv;
	struct timeval tv = { srv->timeout_s, 0 };
	evutil_socket_t dfd;

	th->arena = arena_new();
	buf_init(&th->body, HTTP_RESPONSE_MAX);
	buf_init(&th->log_line, HTTP_LOG_LINE_MAX);
	{
		/* epoll's change list: the adds and deletes of one loop
		 * iteration are batched into as few epoll_ctl calls as
		 * possible (evhttp toggles read and write around every
		 * answer: four calls a request without it). Safe here: a
		 * loop's descriptors are its own (the listening socket is a
		 * dup per loop, each in its own epoll set). */
		struct event_config *cfg = event_config_new();
		if (cfg) {
			event_config_set_flag(
				cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
			th->base = event_base_new_with_config(cfg);
			event_config_free(cfg);
		}
	}
	if (!th->base)
		th->base = event_base_new();
	if (!th->base || event_base_priority_init(th->base, 2) < 0)
		return err_set(e, ERR_IO, "http: cannot make an event loop");
	th->adopt_ev = event_new(th->base, -1, 0, on_adopt, th);
	th->stop_ev = event_new(th->base, -1, 0, on_stop, th);
	th->drain_ev = event_new(th->base, -1, EV_PERSIST, on_drain_tick, th);
	th->http = evhttp_new(th->base);
	if (!th->adopt_ev || !th->stop_ev || !th->drain_ev || !th->http ||
	    event_priority_set(th->adopt_ev, 0) < 0)
		return err_set(e, ERR_IO, "http: cannot set up a loop");
	evhttp_set_max_headers_size(th->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(th->http, HTTP_BODY_MAX);
	evhttp_set_timeout_tv(th->http, &tv);
	evhttp_set_allowed_methods(th->http,
				   EVHTTP_REQ_GET | EVHTTP_REQ_HEAD |
					   EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
					   EVHTTP_REQ_PATCH |
					   EVHTTP_REQ_DELETE |
					   EVHTTP_REQ_OPTIONS);
	evhttp_set_default_content_type(th->http, "application/json");
	evhttp_set_gencb(th->http, on_request, th);
	evhttp_set_bevcb(th->http, on_new_bev, th);
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0)
		return err_set(e, ERR_IO, "http: dup: %s", strerror(errno));
	th->bound = evhttp_accept_socket_with_handle(th->http, dfd);
	if (!th->bound) {
		close(dfd);
		return err_set(e, ERR_IO, "http: cannot accept on %s",
			       srv->addr);
	}
	th->accepting = 1;
	return 0;
}

static void thread_teardown(struct http_thread *th)
{
	th->draining = 1; /* closing connections must not re-enable accept */
	if (th->http)
		evhttp_free(th->http); /* closes what is left: on_close */
	for (size_t i = 0; i < th->n_pending; i++)
		free(th->pending[i]);
	free(th->pending);
	if (th->adopt_ev)
		event_free(th->adopt_ev);
	if (th->stop_ev)
		event_free(th->stop_ev);
	if (th->drain_ev)
		event_free(th->drain_ev);
	if (th->base)
		event_base_free(th->base);
	arena_free(th->arena);
	th->arena = NULL;
	buf_free(&th->body);
	buf_free(&th->log_line);
	th->http = NULL;
	th->base = NULL;
}

static void on_log_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	log_flush();
}

/* Run a thread's loop with its log lines buffered (see log_line). */
static void run_loop(struct http_thread *th)
{
	struct buf pending;
	struct event *tick = NULL;
	struct timeval every = { 0, HTTP_LOG_FLUSH_MS * 1000 };

	buf_init(&pending, 4 * HTTP_LOG_BUFFER);
	if (th->srv->c->log) {
		tick = event_new(th->base, -1, EV_PERSIST, on_log_tick, NULL);
		if (tick && event_add(tick, &every) == 0) {
			log_pending = &pending;
			log_pending_to = th->srv->c->log;
		}
	}
	event_base_dispatch(th->base);
	log_flush();
	log_pending = NULL;
	log_pending_to = NULL;
	if (tick)
		event_free(tick);
	buf_free(&pending);
}

static void *thread_main(void *arg)
{
	run_loop(arg);
	return NULL;
}

int http_run(const struct http_config *c, struct err *e)
{
	struct http_server srv;
	evutil_socket_t fd = -1;
	sigset_t stop_sigs, old;
	int r, cap, n;
	char extra[HTTP_ADDR_MAX + 100];

	memset(&srv, 0, sizeof(srv));
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	srv.c = c;
	atomic_init(&srv.stopping, 0);
	if (!c->clock || !c->thread_init)
		return err_set(e, ERR_INVALID,
			       "http: a clock and a thread_init are required");
	r = route_check(c->routes, c->n_routes, e);
	if (r < 0)
		return r;
	n = c->threads > 0 ? c->threads : default_threads();
	if (n > HTTP_THREADS_MAX)
		return err_set(e, ERR_RANGE, "http: at most %d threads",
			       HTTP_THREADS_MAX);
	srv.timeout_s = c->timeout_seconds > 0 ? c->timeout_seconds
					       : HTTP_TIMEOUT_DEFAULT;
	srv.drain_s = c->drain_seconds > 0 ? c->drain_seconds
					   : HTTP_DRAIN_DEFAULT;
	cap = connection_cap(c);
	if (evthread_use_pthreads() < 0)
		return err_set(e, ERR_IO, "http: libevent without threads");
	/* A client hanging up mid-answer must not end the process. */
	signal(SIGPIPE, SIG_IGN);

	srv.threads = xcalloc((size_t)n, sizeof(*srv.threads));
	srv.n_threads = n;
	for (int i = 0; i < n; i++) {
		struct http_thread *th = &srv.threads[i];
		th->srv = &srv;
		th->index = i;
		th->max_conns = (cap + n - 1) / n;
		atomic_init(&th->n_conns, 0);
		metrics_alloc(th, c->n_routes);
	}
	for (int i = 0; i < n; i++) {
		r = c->thread_init(c->arg, i, &srv.threads[i].app, e);
		if (r < 0)
			goto out;
		srv.threads[i].app_made = 1;
	}
	r = open_listener(&srv, &fd, e);
	for (int i = 0; r == 0 && i < n; i++)
		r = thread_setup(&srv.threads[i], fd, e);
	if (fd >= 0)
		close(fd); /* each loop holds its own dup() */
	if (r < 0)
		goto out;
	srv.sig_term = evsignal_new(srv.threads[0].base, SIGTERM, on_signal,
				    &srv);
	srv.sig_int = evsignal_new(srv.threads[0].base, SIGINT, on_signal,
				   &srv);
	if (!srv.sig_term || !srv.sig_int ||
	    event_add(srv.sig_term, NULL) < 0 ||
	    event_add(srv.sig_int, NULL) < 0) {
		r = err_set(e, ERR_IO, "http: cannot catch SIGTERM/SIGINT");
		goto out;
	}

	/* The other loops never see SIGTERM/SIGINT: thread 0 handles them. */
	pthread_sigmask(SIG_BLOCK, &stop_sigs, &old);
	for (int i = 1; i < n; i++) {
		if (pthread_create(&srv.threads[i].tid, NULL, thread_main,
				   &srv.threads[i]) != 0) {
			r = err_set(e, ERR_IO, "http: cannot start thread %d",
				    i);
			break;
		}
		srv.threads[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0) {
		for (int i = 1; i < n; i++)
			if (srv.threads[i].started)
				event_active(srv.threads[i].stop_ev,
					     EV_TIMEOUT, 0);
	} else {
		snprintf(extra, sizeof(extra),
			 ",\"listen\":\"%s\",\"threads\":%d,"
			 "\"max_connections\":%d",
			 srv.addr, n, cap);
		log_event(&srv, "listening", extra);
		run_loop(&srv.threads[0]);
	}
	for (int i = 1; i < n; i++)
		if (srv.threads[i].started)
			pthread_join(srv.threads[i].tid, NULL);
	if (r == 0) {
		long left = 0;
		for (int i = 0; i < n; i++)
			left += atomic_load(&srv.threads[i].n_conns);
		snprintf(extra, sizeof(extra), ",\"connections_cut\":%ld",
			 left);
		log_event(&srv, "stopped", extra);
	}

out:
	/* From here on a further SIGTERM/SIGINT is ignored (it would
	 * otherwise kill the process with the default action while it
	 * frees everything): block, restore, ignore (which drops a pending
	 * one), unblock. */
	pthread_sigmask(SIG_BLOCK, &stop_sigs, &old);
	if (srv.sig_term)
		event_free(srv.sig_term);
	if (srv.sig_int)
		event_free(srv.sig_int);
	if (srv.sig_term || srv.sig_int) {
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	for (int i = 0; i < n; i++)
		thread_teardown(&srv.threads[i]);
	for (int i = 0; i < n; i++) {
		struct http_thread *th = &srv.threads[i];
		if (th->app_made && c->thread_free)
			c->thread_free(th->app);
		free(th->counts);
		free(th->buckets);
		free(th->sum_us);
	}
	free(srv.threads);
	return r;
}
