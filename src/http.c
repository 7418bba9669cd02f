/*
 * http: the HTTP server (see http.h) — threads, connections, HTTP/1.1
 * parsing and answers, limits, the connection cap, graceful shutdown, the
 * access log and the metrics, on libevent's event loop. Requests go
 * through the route table (route.c) to the application's handlers;
 * nothing here knows what a handler does.
 *
 * Connections are our own, not evhttp's: evhttp spent about half of the
 * server's CPU per request (a request object, header lists and buffers
 * allocated and freed for each request, printf-formatted headers, sscanf
 * of the request line, two epoll_ctl and an ioctl a request; perf under
 * bench/portal.sh). Here a connection is a socket, one read event that
 * stays registered while it is open, an input buffer reused from request
 * to request, and an output buffer used only when a write is short: a
 * request costs one read(), one writev() and no allocation besides the
 * request's arena. The request line and headers are parsed in place in
 * the input buffer (NUL-terminated there).
 *
 * HTTP/1.0 and 1.1: keep-alive (1.1 unless "Connection: close", 1.0 with
 * "Connection: keep-alive"), pipelining (answers in order), bodies by
 * Content-Length or chunked, "Expect: 100-continue", HEAD. Lines may end
 * in CRLF or LF; folded header lines are joined.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
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
#define HTTP_IN_START (2 * HTTP_HEADERS_MAX) /* a connection's input buffer */
#define HTTP_IN_KEEP (64 * 1024)     /* ... kept between requests */
#define HTTP_OUT_HEAD_MAX (16 * 1024) /* status line and headers, bytes */
#define HTTP_OUT_KEEP (64 * 1024)    /* unwritten output kept allocated */
#define HTTP_ACCEPT_BATCH 64         /* accepts per wake-up at most */
#define HTTP_CHUNKED_OVERHEAD (64 * 1024) /* chunk lines beyond the body */

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

/* A request's line and headers as parsed in a connection's input buffer:
 * offsets into it (the buffer may move as it grows for the body). */
struct head {
	int parsed;             /* the fields below are valid */
	int method;             /* M_*; M_OTHER is answered 501 */
	int minor;              /* HTTP/1.minor */
	size_t target;          /* offset of the request target (NUL-ended) */
	size_t head_len;        /* bytes up to and with the empty line */
	size_t n_hdr;           /* headers */
	int has_length;         /* a Content-Length was sent */
	size_t length;          /* its value */
	int chunked;            /* Transfer-Encoding: chunked */
	int expect_continue;    /* Expect: 100-continue */
	int keep_alive;         /* the connection stays open after */
};

/* One client connection, from accept to close. */
struct conn {
	struct http_thread *th;    /* the loop that owns it */
	int fd;                    /* the socket */
	struct event *rev;         /* readable (persistent, with timeout) */
	struct event *wev;         /* writable, while output is pending */
	int writing;               /* wev is armed, rev is not */
	char *in;                  /* bytes read, not yet answered */
	size_t in_len;             /* ... how many */
	size_t in_cap;             /* ... allocated */
	struct head h;             /* the request at the start of `in` */
	size_t (*hdr)[2];          /* its headers: name and value offsets */
	size_t cap_hdr;            /* ... allocated */
	int continued;             /* "100 Continue" sent for it */
	struct buf out;            /* answer bytes a short write left */
	size_t out_off;            /* ... of which written since */
	int close_after;           /* close once `out` is written */
	char remote[INET6_ADDRSTRLEN]; /* the peer's address, "" unknown */
	struct conn *prev, *next;  /* the thread's list */
};

/* One event loop and what belongs to it. */
struct http_thread {
	struct http_server *srv;         /* the server it is part of */
	int index;                       /* 0 = the calling thread */
	pthread_t tid;                   /* for index > 0, once started */
	int started;                     /* tid is valid */
	struct event_base *base;         /* this thread's loop */
	int listen_fd;                   /* its dup() of the listening
					    socket; -1 once it stopped
					    accepting for good */
	struct event *listen_ev;         /* readable listening socket */
	struct event *stop_ev;           /* activated on SIGTERM/SIGINT */
	struct event *drain_ev;          /* periodic check while draining */
	const struct timeval *tv;        /* connections' timeout now: one
					    of the two below */
	const struct timeval *tv_busy;   /* read/write timeout (libevent
					    common timeouts: O(1) to re-arm) */
	const struct timeval *tv_idle;   /* the idle timeout while draining */
	struct timeval tv_store[2];      /* ... when common ones fail */
	struct conn *conns;              /* open connections */
	atomic_int n_conns;              /* ... how many (read by /metrics
					    on other threads) */
	int max_conns;                   /* this thread's share of the cap */
	int accepting;                   /* listen_ev is armed */
	int draining;                    /* shutting down */
	struct timespec drain_start;     /* when draining began */
	struct arena *arena;             /* each request's allocations,
					    reset after its answer */
	struct buf body;                 /* the response body, reused */
	struct buf head_out;             /* status line and headers, reused */
	struct buf log_line;             /* the access-log line, reused */
	time_t date_at;                  /* second `date` was made for */
	instant_t ts_at;                 /* instant `ts` was made for */
	char ts[INSTANT_FMT_MAX];        /* the access log's "ts" of it */
	char date[40];                   /* "Date: ...\r\n" of that second */
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


/* The method's M_* from the request line's token; -1 when unknown. */
static int method_parse(const char *s, size_t n)
{
	for (int i = 0; i < M_OTHER; i++)
		if (strlen(method_names[i]) == n &&
		    memcmp(method_names[i], s, n) == 0)
			return i;
	return -1;
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
		size_t run = 0;
		/* A run of bytes that need no escape: appended at once. */
		while (i + run < max && s[i + run] &&
		       (unsigned char)s[i + run] >= 0x20 &&
		       (unsigned char)s[i + run] < 0x7f && s[i + run] != '"' &&
		       s[i + run] != '\\')
			run++;
		if (run) {
			r = buf_append(b, s + i, run);
			i += run - 1;
			continue;
		}
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

/* ---- connections: accept, the cap, close -------------------------------- */

static void listener_set(struct http_thread *th, int on)
{
	if (th->listen_fd < 0 || th->accepting == on)
		return;
	if (on)
		event_add(th->listen_ev, NULL);
	else
		event_del(th->listen_ev);
	th->accepting = on;
}

/* Stop accepting for good (new connections are refused once every loop
 * has closed its descriptor of the socket). */
static void listener_close(struct http_thread *th)
{
	if (th->listen_fd < 0)
		return;
	event_del(th->listen_ev);
	close(th->listen_fd);
	th->listen_fd = -1;
	th->accepting = 0;
}

static void conn_close(struct conn *cn)
{
	struct http_thread *th = cn->th;

	if (cn->prev)
		cn->prev->next = cn->next;
	else
		th->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	if (cn->rev)
		event_free(cn->rev);
	if (cn->wev)
		event_free(cn->wev);
	close(cn->fd);
	free(cn->in);
	free(cn->hdr);
	buf_free(&cn->out);
	free(cn);
	atomic_fetch_sub_explicit(&th->n_conns, 1, memory_order_relaxed);
	if (!th->draining &&
	    atomic_load_explicit(&th->n_conns, memory_order_relaxed) <
		    th->max_conns)
		listener_set(th, 1);
}

/* The peer's address as text ("" when it is neither IPv4 nor IPv6). */
static void peer_name(const struct sockaddr_storage *ss,
		      char out[INET6_ADDRSTRLEN])
{
	const void *a = NULL;

	out[0] = '\0';
	if (ss->ss_family == AF_INET)
		a = &((const struct sockaddr_in *)ss)->sin_addr;
	else if (ss->ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (a && !inet_ntop(ss->ss_family, a, out, INET6_ADDRSTRLEN))
		out[0] = '\0';
}

static void on_readable(evutil_socket_t fd, short what, void *arg);
static void on_writable(evutil_socket_t fd, short what, void *arg);

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	struct http_thread *th = arg;

	(void)what;
	for (int i = 0; i < HTTP_ACCEPT_BATCH && th->accepting; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct conn *cn;
		int one = 1, cfd;

		cfd = accept4(fd, (struct sockaddr *)&ss, &sl,
			      SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return; /* EAGAIN: another loop took it */
		}
		/* Answers go out whole in one writev: no reason to wait
		 * for the peer's ACK of the previous one (Nagle). */
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		cn = xcalloc(1, sizeof(*cn));
		cn->th = th;
		cn->fd = cfd;
		peer_name(&ss, cn->remote);
		cn->in_cap = HTTP_IN_START;
		cn->in = xmalloc(cn->in_cap);
		buf_init(&cn->out, HTTP_RESPONSE_MAX + HTTP_OUT_HEAD_MAX);
		cn->next = th->conns;
		if (th->conns)
			th->conns->prev = cn;
		th->conns = cn;
		atomic_fetch_add_explicit(&th->n_conns, 1, memory_order_relaxed);
		cn->rev = event_new(th->base, cfd, EV_READ | EV_PERSIST,
				    on_readable, cn);
		cn->wev = event_new(th->base, cfd, EV_WRITE | EV_PERSIST,
				    on_writable, cn);
		if (!cn->rev || !cn->wev || event_add(cn->rev, th->tv) < 0) {
			conn_close(cn);
			continue;
		}
		if (atomic_load_explicit(&th->n_conns, memory_order_relaxed) >=
		    th->max_conns)
			listener_set(th, 0);
	}
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
	const struct timeval tick = { 0, HTTP_DRAIN_TICK_MS * 1000 };

	(void)fd;
	(void)what;
	if (th->draining) {
		drain_check(th);
		return;
	}
	th->draining = 1;
	listener_close(th);
	th->tv = th->tv_idle;
	for (struct conn *cn = th->conns; cn; cn = cn->next)
		event_add(cn->writing ? cn->wev : cn->rev, th->tv);
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

/* ---- parsing a request -------------------------------------------------- */

/* Does the comma-separated header value hold the token (any case)? */
static int has_token(const char *v, const char *token)
{
	size_t n = strlen(token);

	while (*v) {
		size_t len;
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		len = strcspn(v, ",");
		while (len > 0 && (v[len - 1] == ' ' || v[len - 1] == '\t'))
			len--;
		if (len == n && strncasecmp(v, token, n) == 0)
			return 1;
		v += strcspn(v, ",");
	}
	return 0;
}

/* What a header means to the connection (length, chunked, expect,
 * keep-alive); negative status when it is unacceptable. */
static int head_header(struct head *h, const char *name, const char *value,
		       int *conn_close_, int *conn_keep)
{
	if (strcasecmp(name, "Content-Length") == 0) {
		size_t v = 0, n = strlen(value);
		if (n == 0 || n > 12 || strspn(value, "0123456789") != n)
			return -400;
		for (size_t i = 0; i < n; i++)
			v = v * 10 + (size_t)(value[i] - '0');
		if (h->has_length && h->length != v)
			return -400;
		h->has_length = 1;
		h->length = v;
	} else if (strcasecmp(name, "Transfer-Encoding") == 0) {
		if (strcasecmp(value, "chunked") != 0)
			return -501;
		h->chunked = 1;
	} else if (strcasecmp(name, "Expect") == 0) {
		h->expect_continue = strcasecmp(value, "100-continue") == 0;
	} else if (strcasecmp(name, "Connection") == 0) {
		*conn_close_ |= has_token(value, "close");
		*conn_keep |= has_token(value, "keep-alive");
	}
	return 0;
}

/* Trim spaces and tabs at the end of b[from, *end), NUL-terminating. */
static void rtrim(char *b, size_t from, size_t *end)
{
	while (*end > from && (b[*end - 1] == ' ' || b[*end - 1] == '\t'))
		(*end)--;
	b[*end] = '\0';
}

/*
 * Find the request line and headers at the start of cn->in and parse
 * them in place into cn->h: 0 when they are not all there yet, 1 when
 * parsed, a negative status (-400, -501) when the request is refused.
 */
static int head_parse(struct conn *cn)
{
	struct head *h = &cn->h;
	char *b = cn->in;
	size_t n = cn->in_len, skip = 0, pos = 0, end = 0, line;
	size_t last_value = 0, last_end = 0;
	int have_last = 0, c_close = 0, c_keep = 0, r;

	/* Empty lines before a request line are ignored (RFC 9112, 2.2). */
	while (skip < n && (b[skip] == '\r' || b[skip] == '\n'))
		skip++;
	if (skip) {
		memmove(b, b + skip, n - skip);
		cn->in_len = n -= skip;
	}
	for (;;) {
		const char *nl = memchr(b + pos, '\n', n - pos);
		if (!nl)
			return 0;
		pos = (size_t)(nl - b) + 1;
		if (pos < n && b[pos] == '\n') {
			end = pos + 1;
			break;
		}
		if (pos < n && b[pos] == '\r') {
			if (pos + 1 >= n)
				return 0;
			if (b[pos + 1] == '\n') {
				end = pos + 2;
				break;
			}
		}
	}
	if (end > HTTP_HEADERS_MAX || memchr(b, '\0', end))
		return -400;
	memset(h, 0, sizeof(*h));
	h->head_len = end;

	/* The request line: METHOD SP TARGET SP HTTP/1.x */
	{
		char *nl = memchr(b, '\n', end), *sp1, *sp2;
		size_t len = (size_t)(nl - b);
		int m;
		if (len > 0 && b[len - 1] == '\r')
			len--;
		b[len] = '\0';
		sp1 = memchr(b, ' ', len);
		sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - b))
			  : NULL;
		if (!sp1 || !sp2 || sp1 == b || sp2 == sp1 + 1)
			return -400;
		*sp2 = '\0';
		if (strcmp(sp2 + 1, "HTTP/1.1") == 0)
			h->minor = 1;
		else if (strcmp(sp2 + 1, "HTTP/1.0") == 0)
			h->minor = 0;
		else
			return -400;
		m = method_parse(b, (size_t)(sp1 - b));
		h->method = m < 0 ? M_OTHER : m;
		h->target = (size_t)(sp1 + 1 - b);
		line = (size_t)(nl - b) + 1;
	}

	/* Headers, up to the empty line. */
	while (line < end) {
		char *s = b + line, *nl = memchr(s, '\n', end - line), *colon;
		size_t len = (size_t)(nl - s), next = line + len + 1;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		if (len == 0)
			break; /* the empty line */
		if (s[0] == ' ' || s[0] == '\t') {
			/* A folded line continues the last header's value. */
			if (!have_last)
				return -400;
			memset(b + last_end, ' ', line - last_end);
			last_end = line + len;
			rtrim(b, last_value, &last_end);
			line = next;
			continue;
		}
		colon = memchr(s, ':', len);
		if (!colon || colon == s || memchr(s, ' ', (size_t)(colon - s)) ||
		    memchr(s, '\t', (size_t)(colon - s)))
			return -400;
		*colon = '\0';
		{
			size_t v = (size_t)(colon + 1 - b), e = line + len;
			while (v < e && (b[v] == ' ' || b[v] == '\t'))
				v++;
			rtrim(b, v, &e);
			cn->hdr = xgrow(cn->hdr, &cn->cap_hdr, h->n_hdr + 1,
					sizeof(*cn->hdr));
			cn->hdr[h->n_hdr][0] = line;
			cn->hdr[h->n_hdr][1] = v;
			h->n_hdr++;
			last_value = v;
			last_end = e;
			have_last = 1;
		}
		line = next;
	}
	/* Special headers, once folded lines are joined. */
	for (size_t i = 0; i < h->n_hdr; i++) {
		r = head_header(h, b + cn->hdr[i][0], b + cn->hdr[i][1],
				&c_close, &c_keep);
		if (r < 0)
			return r;
	}
	/* Both a length and chunked coding: the two ways of reading the
	 * body disagree about where the next request starts (request
	 * smuggling behind a proxy): refused (RFC 9112, 6.1). */
	if (h->chunked && h->has_length)
		return -400;
	h->keep_alive = !c_close && (h->minor >= 1 || c_keep);
	if (h->method == M_OTHER)
		return -501;
	h->parsed = 1;
	return 1;
}

/*
 * Walk a chunked body at cn->in + head_len: 0 when it is not all there,
 * 1 when it is (*ret_raw: its bytes as sent; *ret_len: decoded; copied
 * to dst when not NULL), a negative status when it is bad or too big.
 */
static int chunks(const struct conn *cn, char *dst, size_t *ret_raw,
		  size_t *ret_len)
{
	const char *b = cn->in;
	size_t p = cn->h.head_len, n = cn->in_len, total = 0;

	for (;;) {
		const char *nl = memchr(b + p, '\n', n - p);
		size_t size = 0, digits = 0, q;
		if (!nl)
			return n - p > 1024 ? -400 : 0;
		for (q = p; q < (size_t)(nl - b); q++, digits++) {
			int c = (unsigned char)b[q], d;
			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			size = size * 16 + (size_t)d;
			if (size > HTTP_BODY_MAX)
				return -413;
		}
		if (!digits || (b[q] != ';' && b[q] != ' ' && b[q] != '\t' &&
				b[q] != '\r' && b[q] != '\n'))
			return -400;
		p = (size_t)(nl - b) + 1;
		if (size == 0) {
			/* Trailers (ignored) up to an empty line. */
			for (;;) {
				const char *t = memchr(b + p, '\n', n - p);
				size_t len;
				if (!t)
					return n - p > 1024 ? -400 : 0;
				len = (size_t)(t - (b + p));
				p = (size_t)(t - b) + 1;
				if (len == 0 || (len == 1 && t[-1] == '\r'))
					break;
			}
			*ret_raw = p - cn->h.head_len;
			*ret_len = total;
			return 1;
		}
		if (total + size > HTTP_BODY_MAX)
			return -413;
		if (n - p < size + 1)
			return 0;
		if (dst)
			memcpy(dst + total, b + p, size);
		total += size;
		p += size;
		if (b[p] == '\r') {
			if (n - p < 2)
				return 0;
			p++;
		}
		if (b[p] != '\n')
			return -400;
		p++;
	}
}

/* Is the body there? 1 with its raw and decoded sizes, 0 not yet, a
 * negative status when refused. */
static int body_ready(const struct conn *cn, size_t *ret_raw,
		      size_t *ret_len)
{
	const struct head *h = &cn->h;

	if (h->chunked)
		return chunks(cn, NULL, ret_raw, ret_len);
	if (h->has_length && h->length > HTTP_BODY_MAX)
		return -413;
	*ret_raw = *ret_len = h->has_length ? h->length : 0;
	return cn->in_len - h->head_len >= *ret_raw;
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


/* ---- answering ---------------------------------------------------------- */

static const char *reason(int status)
{
	switch (status) {
	case 100: return "Continue";
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 402: return "Payment Required";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 406: return "Not Acceptable";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 410: return "Gone";
	case 411: return "Length Required";
	case 412: return "Precondition Failed";
	case 413: return "Payload Too Large";
	case 414: return "URI Too Long";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 428: return "Precondition Required";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: break;
	}
	if (status >= 200 && status < 300)
		return "OK";
	if (status >= 300 && status < 400)
		return "Redirection";
	if (status >= 400 && status < 500)
		return "Client Error";
	return "Server Error";
}

/* Append v in decimal. */
static int put_uint(struct buf *o, size_t v)
{
	char d[24];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return buf_append(o, d + i, sizeof(d) - i);
}

/* "Date: ...\r\n" for now, made once a second per thread. */
static const char *date_line(struct http_thread *th)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed",
					 "Thu", "Fri", "Sat" };
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr",
					    "May", "Jun", "Jul", "Aug",
					    "Sep", "Oct", "Nov", "Dec" };
	time_t now = time(NULL);
	struct tm tm;

	if (now != th->date_at && gmtime_r(&now, &tm)) {
		snprintf(th->date, sizeof(th->date),
			 "Date: %s, %02d %s %04d %02d:%02d:%02d GMT\r\n",
			 days[tm.tm_wday % 7], tm.tm_mday,
			 months[tm.tm_mon % 12], tm.tm_year + 1900,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
		th->date_at = now;
	}
	return th->date;
}

/* May this header go out as it is (no CR or LF, a name without ':')?
 * Sets the lengths. */
static int header_ok(const char *name, const char *value, size_t *ret_nl,
		     size_t *ret_vl)
{
	size_t nl, vl;

	if (!name || !value || !*name)
		return 0;
	nl = strlen(name);
	vl = strlen(value);
	*ret_nl = nl;
	*ret_vl = vl;
	return !memchr(name, ':', nl) && !memchr(name, '\r', nl) &&
	       !memchr(name, '\n', nl) && !memchr(value, '\r', vl) &&
	       !memchr(value, '\n', vl);
}

/* Append "name: value\r\n" when it may go out (else nothing, as evhttp
 * dropped such a header). */
static int put_header(struct buf *o, const char *name, const char *value)
{
	size_t nl, vl;
	int r;

	if (!header_ok(name, value, &nl, &vl))
		return 0;
	r = buf_append(o, name, nl);
	r |= buf_append(o, ": ", 2);
	r |= buf_append(o, value, vl);
	r |= buf_append(o, "\r\n", 2);
	return r;
}

/* The status line and headers of an answer into th->head_out. */
static int make_head(struct http_thread *th, int minor, int status,
		     const char *content_type, const struct http_response *rs,
		     int has_body, size_t length, int close_)
{
	struct buf *o = &th->head_out;
	int r;

	buf_reset(o);
	r = buf_puts(o, minor ? "HTTP/1.1 " : "HTTP/1.0 ");
	r |= put_uint(o, (size_t)status);
	r |= buf_putc(o, ' ');
	r |= buf_puts(o, reason(status));
	r |= buf_puts(o, "\r\n");
	if (has_body && content_type)
		r |= put_header(o, "Content-Type", content_type);
	r |= buf_puts(o, "X-Content-Type-Options: nosniff\r\n");
	for (size_t i = 0; rs && i < rs->n_headers; i++)
		r |= put_header(o, rs->header_name[i], rs->header_value[i]);
	if (close_)
		r |= buf_puts(o, "Connection: close\r\n");
	else if (minor == 0)
		r |= buf_puts(o, "Connection: keep-alive\r\n");
	if (minor >= 1)
		r |= buf_puts(o, date_line(th));
	if (has_body) {
		r |= buf_puts(o, "Content-Length: ");
		r |= put_uint(o, length);
		r |= buf_puts(o, "\r\n");
	}
	r |= buf_puts(o, "\r\n");
	return r ? -ERR_TOOBIG : 0;
}

/* Write what `out` holds; -1 on a broken connection. */
static int out_flush(struct conn *cn)
{
	while (cn->out_off < cn->out.len) {
		ssize_t n = write(cn->fd, cn->out.data + cn->out_off,
				  cn->out.len - cn->out_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0
								       : -1;
		}
		cn->out_off += (size_t)n;
	}
	buf_reset(&cn->out);
	cn->out_off = 0;
	if (cn->out.cap > HTTP_OUT_KEEP) {
		size_t max = cn->out.max;
		buf_free(&cn->out);
		buf_init(&cn->out, max);
	}
	return 0;
}

/* Send a (head) and b (body): at once when nothing is pending, the rest
 * kept in `out` for when the socket is writable. -1 when broken. */
static int conn_send(struct conn *cn, const char *a, size_t alen,
		     const char *b, size_t blen)
{
	size_t done = 0;

	if (!cn->writing) {
		struct iovec iov[2] = { { (void *)a, alen },
					{ (void *)b, blen } };
		ssize_t n;
		do
			n = writev(cn->fd, iov, blen ? 2 : 1);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		done = n > 0 ? (size_t)n : 0;
		if (done == alen + blen)
			return 0;
	}
	if (done < alen) {
		if (buf_append(&cn->out, a + done, alen - done) < 0)
			return -1;
		done = alen;
	}
	if (buf_append(&cn->out, b + (done - alen), blen - (done - alen)) < 0)
		return -1;
	if (!cn->writing) {
		cn->writing = 1;
		event_del(cn->rev);
		if (event_add(cn->wev, cn->th->tv) < 0)
			return -1;
	}
	return 0;
}

/* After the request at the start of `in`: drop it, keep what follows. */
static void conn_consume(struct conn *cn, size_t bytes)
{
	memmove(cn->in, cn->in + bytes, cn->in_len - bytes);
	cn->in_len -= bytes;
	cn->h.parsed = 0;
	cn->continued = 0;
	if (cn->in_cap > HTTP_IN_KEEP && cn->in_len < HTTP_IN_START) {
		cn->in = xrealloc(cn->in, HTTP_IN_START);
		cn->in_cap = HTTP_IN_START;
	}
}

/* A request refused before any handler (bad request line or headers,
 * headers or body over the limits, a method not served): a JSON error,
 * then the connection closes. Not logged or counted (no route, nothing
 * the handlers saw). 0, or -1 when the connection is already closed. */
static int conn_refuse(struct conn *cn, int status)
{
	struct http_thread *th = cn->th;
	struct http_response rs;

	memset(&rs, 0, sizeof(rs));
	buf_init(&rs.body, 1024);
	if (status == 413)
		http_error(&rs, 413, "invalid_request", "body_too_large",
			   "The request body is over the limit.");
	else if (status == 501)
		http_error(&rs, 501, "invalid_request", "not_implemented",
			   "This method or transfer coding is not served.");
	else
		http_error(&rs, 400, "invalid_request", "bad_request",
			   "The request line or headers are malformed or "
			   "over the limit.");
	cn->close_after = 1;
	if (make_head(th, 1, status, "application/json", NULL, 1,
		      rs.body.len, 1) < 0 ||
	    conn_send(cn, th->head_out.data, th->head_out.len, rs.body.data,
		      rs.body.len) < 0 ||
	    !cn->writing) {
		buf_free(&rs.body);
		conn_close(cn);
		return -1;
	}
	buf_free(&rs.body);
	return 0;
}


/* Route, check and hand the request to its handler; fills *rs. */
static void handle(struct http_thread *th, struct http_request *rq,
		   struct http_response *rs, struct route_match *m)
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
	m->route->handler(rq, rs);
	if (rs->status < 100 || rs->status > 599) {
		http_log(rq, "error", "the handler set no status");
		http_error(rs, 500, "internal", "internal_error",
			   "Something went wrong on our side.");
	}
}

static void access_log(struct http_thread *th, const struct http_request *rq,
		       int status, size_t bytes, double ms)
{
	const struct http_config *c = th->srv->c;
	struct buf *lp = &th->log_line, line;
	int secret = rq->route && (rq->route->flags & ROUTE_SECRET_PATH);

	/* The thread's own line buffer, reused (no allocation per
	 * request); `line` is a copy of its header for the code below. */
	if (rq->now != th->ts_at || !th->ts[0]) {
		instant_format(rq->now, th->ts);
		th->ts_at = rq->now;
	}
	buf_reset(lp);
	buf_puts(lp, "{\"ts\":\"");
	buf_append(lp, th->ts, strlen(th->ts));
	buf_putc(lp, '"');
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
	{
		/* No printf here: it was a tenth of the cached page's CPU. */
		uint64_t us = ms > 0 ? (uint64_t)(ms * 1000.0 + 0.5) : 0;
		char frac[4] = { (char)('0' + us / 100 % 10),
				 (char)('0' + us / 10 % 10),
				 (char)('0' + us % 10), '}' };
		buf_puts(&line, ",\"status\":");
		put_uint(&line, status > 0 ? (size_t)status : 0);
		buf_puts(&line, ",\"bytes\":");
		put_uint(&line, bytes);
		buf_puts(&line, ",\"ms\":");
		put_uint(&line, (size_t)(us / 1000));
		buf_putc(&line, '.');
		buf_append(&line, frac, sizeof(frac));
	}
	log_line(c->log, &line);
	*lp = line; /* keep its (possibly grown) allocation */
}


/* Split the request target (in place) into the path and query string:
 * origin form "/p?q", absolute form "http://host/p?q"; a fragment is
 * dropped. */
static void split_target(char *t, const char **ret_path,
			 const char **ret_query)
{
	char *path = t, *q;

	t[strcspn(t, "#")] = '\0';
	if (*t != '/') {
		char *s = strstr(t, "://");
		if (s)
			path = s + 3 + strcspn(s + 3, "/?");
	}
	q = strchr(path, '?');
	if (q)
		*q++ = '\0';
	*ret_path = *path ? path : "/";
	*ret_query = q ? q : "";
}

/* Answer the whole request at the start of `in` (raw: its body's bytes
 * as sent; body_len: decoded). 0, or -1 when the connection broke (the
 * caller closes it). */
static int conn_answer(struct conn *cn, size_t raw, size_t body_len)
{
	struct http_thread *th = cn->th;
	const struct http_config *c = th->srv->c;
	const struct head *h = &cn->h;
	struct http_request rq;
	struct http_response rs;
	struct route_match m;
	struct route_param *hp;
	struct timespec t0, t1;
	int method = h->method, no_body, close_, r;
	size_t bytes, route, len;
	double s;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&rq, 0, sizeof(rq));
	memset(&rs, 0, sizeof(rs));
	memset(&m, 0, sizeof(m));
	rq.arena = th->arena;
	rq.method = method_names[method];
	split_target(cn->in + h->target, &rq.path, &rq.query_raw);
	hp = arena_alloc(rq.arena, (h->n_hdr ? h->n_hdr : 1) * sizeof(*hp));
	for (size_t i = 0; i < h->n_hdr; i++) {
		hp[i].name = cn->in + cn->hdr[i][0];
		hp[i].value = cn->in + cn->hdr[i][1];
	}
	rq.headers = hp;
	rq.n_headers = h->n_hdr;
	{
		/* The body, NUL-terminated, for the methods that have one
		 * (others' bodies are read and dropped, as evhttp did). */
		int with = method == M_POST || method == M_PUT ||
			   method == M_PATCH;
		char *b = arena_alloc(rq.arena, (with ? body_len : 0) + 1);
		size_t rw, dl;
		if (with && h->chunked)
			chunks(cn, b, &rw, &dl);
		else if (with)
			memcpy(b, cn->in + h->head_len, body_len);
		rq.body = b;
		rq.body_len = with ? body_len : 0;
	}
	rq.remote = cn->remote;
	rq.now = c->clock(c->clock_arg);
	rq.app = th->app;
	rq.server = th->srv;
	rq.log = c->log;
	/* The thread's response buffer, reused: no allocation per request
	 * once it has grown to the usual answer. */
	rs.body = th->body;
	buf_reset(&rs.body);
	rs.content_type = "application/json";

	handle(th, &rq, &rs, &m);

	no_body = rs.status == 204 || rs.status == 304;
	len = no_body ? 0 : rs.body.len;
	close_ = !h->keep_alive || th->draining;
	r = make_head(th, h->minor, rs.status, rs.content_type, &rs, !no_body,
		      len, close_);
	if (r < 0) {
		http_log(&rq, "error", "the answer's headers are too long");
		rs.status = 500;
		rs.n_headers = 0;
		http_error(&rs, 500, "internal", "internal_error",
			   "Something went wrong on our side.");
		len = rs.body.len;
		r = make_head(th, h->minor, 500, rs.content_type, &rs, 1, len,
			      close_);
	}
	bytes = method == M_HEAD ? 0 : len;
	if (r == 0)
		r = conn_send(cn, th->head_out.data, th->head_out.len,
			      rs.body.data, bytes);
	cn->close_after = close_;

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
	conn_consume(cn, h->head_len + raw);
	return r < 0 ? -1 : 0;
}

/* Make room in `in` for `need` bytes (and a NUL). */
static void conn_reserve(struct conn *cn, size_t need)
{
	if (cn->in_cap < need + 1) {
		cn->in = xrealloc(cn->in, need + 1);
		cn->in_cap = need + 1;
	}
}

/* Answer every whole request in `in`, in order, while nothing is waiting
 * to be written. 0, or -1 when the connection was closed. */
static int conn_process(struct conn *cn)
{
	while (!cn->writing && cn->in_len > 0) {
		size_t raw = 0, body_len = 0;
		int r;

		if (!cn->h.parsed) {
			r = head_parse(cn);
			if (r == 0)
				return cn->in_len >= HTTP_HEADERS_MAX
					       ? conn_refuse(cn, 400)
					       : 0;
			if (r < 0)
				return conn_refuse(cn, -r);
		}
		r = body_ready(cn, &raw, &body_len);
		if (r < 0)
			return conn_refuse(cn, -r);
		if (r == 0) {
			if (cn->h.chunked) {
				size_t lim = cn->h.head_len + HTTP_BODY_MAX +
					     HTTP_CHUNKED_OVERHEAD;
				if (cn->in_len >= lim)
					return conn_refuse(cn, 413);
				if (cn->in_cap - cn->in_len < 16 * 1024)
					conn_reserve(cn, cn->in_cap * 2 < lim
								 ? cn->in_cap * 2
								 : lim);
			} else {
				conn_reserve(cn, cn->h.head_len + raw);
			}
			if (cn->h.expect_continue && cn->h.minor >= 1 &&
			    !cn->continued) {
				static const char cont[] =
					"HTTP/1.1 100 Continue\r\n\r\n";
				cn->continued = 1;
				if (conn_send(cn, cont, sizeof(cont) - 1, NULL,
					      0) < 0) {
					conn_close(cn);
					return -1;
				}
			}
			return 0;
		}
		if (conn_answer(cn, raw, body_len) < 0) {
			conn_close(cn);
			return -1;
		}
		if (cn->close_after) {
			if (cn->writing)
				return 0; /* closed once written */
			conn_close(cn);
			return -1;
		}
	}
	return 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *cn = arg;
	ssize_t n;

	if (!(what & EV_READ)) {
		conn_close(cn); /* timed out */
		return;
	}
	if (cn->in_cap - cn->in_len < 2)
		conn_reserve(cn, cn->in_cap * 2);
	n = read(fd, cn->in + cn->in_len, cn->in_cap - cn->in_len - 1);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		      errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(cn); /* the peer hung up, or the socket broke */
		return;
	}
	cn->in_len += (size_t)n;
	conn_process(cn);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct conn *cn = arg;

	(void)fd;
	if (!(what & EV_WRITE) || out_flush(cn) < 0) {
		conn_close(cn); /* timed out, or broken */
		return;
	}
	if (cn->out.len)
		return; /* more to write */
	if (cn->close_after) {
		conn_close(cn);
		return;
	}
	cn->writing = 0;
	event_del(cn->wev);
	if (event_add(cn->rev, cn->th->tv) < 0) {
		conn_close(cn);
		return;
	}
	conn_process(cn); /* requests that came in behind */
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
	const struct timeval busy = { srv->timeout_s, 0 };
	const struct timeval idle = { HTTP_DRAIN_IDLE_MS / 1000,
				      (HTTP_DRAIN_IDLE_MS % 1000) * 1000 };

	th->listen_fd = -1;
	th->arena = arena_new();
	buf_init(&th->body, HTTP_RESPONSE_MAX);
	buf_init(&th->head_out, HTTP_OUT_HEAD_MAX);
	buf_init(&th->log_line, HTTP_LOG_LINE_MAX);
	{
		/* epoll's change list: the adds and deletes of one loop
		 * iteration are batched into as few epoll_ctl calls as
		 * possible (a short write switches a connection from
		 * reading to writing and back). Safe here: a loop's
		 * descriptors are its own (the listening socket is a dup
		 * per loop, each in its own epoll set). */
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
	if (!th->base)
		return err_set(e, ERR_IO, "http: cannot make an event loop");
	th->tv_store[0] = busy;
	th->tv_store[1] = idle;
	th->tv_busy = event_base_init_common_timeout(th->base, &busy);
	th->tv_idle = event_base_init_common_timeout(th->base, &idle);
	if (!th->tv_busy)
		th->tv_busy = &th->tv_store[0];
	if (!th->tv_idle)
		th->tv_idle = &th->tv_store[1];
	th->tv = th->tv_busy;
	th->stop_ev = event_new(th->base, -1, 0, on_stop, th);
	th->drain_ev = event_new(th->base, -1, EV_PERSIST, on_drain_tick, th);
	if (!th->stop_ev || !th->drain_ev)
		return err_set(e, ERR_IO, "http: cannot set up a loop");
	th->listen_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (th->listen_fd < 0)
		return err_set(e, ERR_IO, "http: dup: %s", strerror(errno));
	th->listen_ev = event_new(th->base, th->listen_fd,
				  EV_READ | EV_PERSIST, on_accept, th);
	if (!th->listen_ev || event_add(th->listen_ev, NULL) < 0)
		return err_set(e, ERR_IO, "http: cannot accept on %s",
			       srv->addr);
	th->accepting = 1;
	return 0;
}

static void thread_teardown(struct http_thread *th)
{
	th->draining = 1; /* closing connections must not re-enable accept */
	while (th->conns)
		conn_close(th->conns);
	if (th->listen_fd >= 0) {
		if (th->listen_ev)
			event_del(th->listen_ev);
		close(th->listen_fd);
		th->listen_fd = -1;
	}
	if (th->listen_ev)
		event_free(th->listen_ev);
	if (th->stop_ev)
		event_free(th->stop_ev);
	if (th->drain_ev)
		event_free(th->drain_ev);
	if (th->base)
		event_base_free(th->base);
	arena_free(th->arena);
	th->arena = NULL;
	buf_free(&th->body);
	buf_free(&th->head_out);
	buf_free(&th->log_line);
	th->base = NULL;
	th->listen_ev = th->stop_ev = th->drain_ev = NULL;
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
		th->listen_fd = -1;
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
