/*
 * bench/http_sink: a fast HTTP server on loopback that answers like the two
 * SMS providers dunwell speaks to, for the delivery benchmark (issue #4).
 * tests/tools/fake_providers.py is the peer of the tests, with their fault
 * cases; a Python http.server answers a few thousand requests a second,
 * which would measure itself rather than the adapters.
 *
 *   build/release/bench/http_sink [-p PORT] [-a ADDR] [-t THREADS]
 *                                 [-s ACCOUNT_SID:TOKEN] [-k BIRD_KEY]
 *
 * Listens on 127.0.0.1 (or ADDR) at PORT (0, the default: the kernel
 * picks), prints "PORT <n>" once it accepts connections, and serves until
 * SIGTERM/SIGINT or the end of its stdin; then prints "STATS requests=<n>
 * twilio=<n> bird=<n> errors=<n>" (SIGUSR1: the same line at any time).
 * THREADS event loops (default 1) share the port (SO_REUSEPORT).
 *
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json   (Twilio)
 *     form-encoded To, From or MessagingServiceSid, Body; HTTP Basic
 *     ACCOUNT_SID:TOKEN when -s is given. 201 with Twilio's Message
 *     resource (sid "SM" + 32 hex digits, derived from the
 *     I-Twilio-Idempotency-Token header or the body), or Twilio's error
 *     object (401 code 20003, 400 codes 21602/21603/21604).
 *   POST .../messages                                        (MessageBird)
 *     JSON {"recipients", "originator", "body", ...}; "Authorization:
 *     AccessKey KEY" when -k is given. 201 with MessageBird's message
 *     object (id: 32 hex digits from "reference"), or its error list
 *     (401 code 2, 422 code 9).
 *
 * Anything else: 404. Bodies are parsed, not just counted, so a request
 * the adapters got wrong shows up in errors=. A benchmark tool, not part
 * of dunwell: it prints, and keeps nothing.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <jansson.h>
#include <sodium.h>

#include "mem.h"

#define SINK_THREADS_MAX 16         /* -t */
#define SINK_BODY_MAX (64 * 1024)   /* request bodies refused past this */
#define SINK_CRED_MAX 512           /* -s and -k */

/* What every thread shares: options and counters. */
struct sink {
	char basic[SINK_CRED_MAX * 2 + 16]; /* "Basic base64(sid:token)", "" any */
	char account[SINK_CRED_MAX];    /* the Account SID of -s, "" = any */
	char bird_auth[SINK_CRED_MAX + 16]; /* "AccessKey KEY", "" = any */
	atomic_ullong requests;         /* every request answered */
	atomic_ullong twilio;           /* Twilio messages accepted (201) */
	atomic_ullong bird;             /* MessageBird messages accepted */
	atomic_ullong errors;           /* anything else (4xx) */
};

/* One event loop and its HTTP server. */
struct worker {
	struct sink *sink;          /* the shared part */
	struct event_base *base;    /* this thread's loop */
	struct evhttp *http;        /* the server on this loop */
	pthread_t thread;           /* 0 for the main thread's worker */
	time_t date_at;             /* second the cached dates are for */
	char rfc2822[40];           /* Twilio's date_created form */
	char iso[40];               /* MessageBird's createdDatetime form */
};

static struct worker workers[SINK_THREADS_MAX];
static int n_workers = 1;

/* The current second in both date forms (one strftime a second). */
static void dates(struct worker *w)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now == w->date_at)
		return;
	w->date_at = now;
	gmtime_r(&now, &tm);
	strftime(w->rfc2822, sizeof(w->rfc2822), "%a, %d %b %Y %H:%M:%S +0000",
		 &tm);
	strftime(w->iso, sizeof(w->iso), "%Y-%m-%dT%H:%M:%S+00:00", &tm);
}

/* 32 hex digits from a key (BLAKE2b, 16 bytes): a stable message id. */
static void hex_id(const void *key, size_t len, char out[33])
{
	unsigned char h[16];

	crypto_generichash(h, sizeof(h), key, len, NULL, 0);
	sodium_bin2hex(out, 33, h, sizeof(h));
}

static void send_json(struct evhttp_request *req, int status, json_t *o)
{
	struct evbuffer *b = evbuffer_new();
	char *text = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	evhttp_add_header(evhttp_request_get_output_headers(req),
			  "Content-Type", "application/json; charset=utf-8");
	if (text)
		evbuffer_add(b, text, strlen(text));
	free(text);
	evhttp_send_reply(req, status, status == 201 ? "Created"
				       : status == 401 ? "Unauthorized"
				       : status == 404 ? "Not Found"
				       : status == 422 ? "Unprocessable Entity"
						       : "Bad Request", b);
	evbuffer_free(b);
}

/* The request body as a NUL-terminated string (malloc'd), or NULL. */
static char *body_of(struct evhttp_request *req, size_t *ret_len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t n = evbuffer_get_length(in);
	char *s;

	if (n > SINK_BODY_MAX)
		return NULL;
	s = xmalloc(n + 1);
	evbuffer_copyout(in, s, n);
	s[n] = '\0';
	*ret_len = n;
	return s;
}

static void twilio_error(struct evhttp_request *req, int status, int code,
			 const char *message)
{
	char info[80];

	snprintf(info, sizeof(info), "https://www.twilio.com/docs/errors/%d",
		 code);
	send_json(req, status, json_pack("{s:i, s:s, s:s, s:i}", "code", code,
					 "message", message, "more_info", info,
					 "status", status));
}

static void twilio(struct worker *w, struct evhttp_request *req,
		   const char *sid)
{
	struct sink *k = w->sink;
	struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(hdr, "Authorization");
	const char *ctype = evhttp_find_header(hdr, "Content-Type");
	const char *idem = evhttp_find_header(hdr,
					      "I-Twilio-Idempotency-Token");
	struct evkeyvalq form;
	const char *to, *from, *service, *text;
	char msid[35], uri[256], media[256];
	size_t len = 0;
	char *body;

	if (k->basic[0] && (!auth || strcmp(auth, k->basic) != 0 ||
			    strcmp(sid, k->account) != 0)) {
		atomic_fetch_add(&k->errors, 1);
		twilio_error(req, 401, 20003, "Authenticate");
		return;
	}
	if (!ctype ||
	    strncmp(ctype, "application/x-www-form-urlencoded", 33) != 0) {
		atomic_fetch_add(&k->errors, 1);
		twilio_error(req, 400, 21609, "Invalid Content-Type");
		return;
	}
	body = body_of(req, &len);
	TAILQ_INIT(&form);
	if (!body || evhttp_parse_query_str(body, &form) < 0) {
		free(body);
		evhttp_clear_headers(&form);
		atomic_fetch_add(&k->errors, 1);
		twilio_error(req, 400, 21609, "Malformed form body");
		return;
	}
	to = evhttp_find_header(&form, "To");
	from = evhttp_find_header(&form, "From");
	service = evhttp_find_header(&form, "MessagingServiceSid");
	text = evhttp_find_header(&form, "Body");
	if (!to || !*to) {
		atomic_fetch_add(&k->errors, 1);
		twilio_error(req, 400, 21604,
			     "A 'To' phone number is required.");
	} else if ((!from || !*from) && (!service || !*service)) {
		atomic_fetch_add(&k->errors, 1);
		twilio_error(req, 400, 21603,
			     "A 'From' or 'MessagingServiceSid' parameter is "
			     "required to send a message.");
	} else if (!text || !*text) {
		atomic_fetch_add(&k->errors, 1);
		twilio_error(req, 400, 21602, "Message body is required.");
	} else {
		msid[0] = 'S';
		msid[1] = 'M';
		if (idem)
			hex_id(idem, strlen(idem), msid + 2);
		else
			hex_id(body, len, msid + 2);
		snprintf(uri, sizeof(uri),
			 "/2010-04-01/Accounts/%s/Messages/%s.json", sid, msid);
		snprintf(media, sizeof(media),
			 "/2010-04-01/Accounts/%s/Messages/%s/Media.json", sid,
			 msid);
		dates(w);
		atomic_fetch_add(&k->twilio, 1);
		send_json(req, 201, json_pack(
			"{s:s, s:s, s:s, s:s, s:n, s:s, s:s, s:n, s:n, s:s?,"
			" s:s?, s:s, s:s, s:n, s:s, s:s, s:s, s:{s:s}, s:s,"
			" s:s}",
			"account_sid", sid, "api_version", "2010-04-01",
			"body", text, "date_created", w->rfc2822,
			"date_sent", "date_updated", w->rfc2822,
			"direction", "outbound-api", "error_code",
			"error_message", "from", from,
			"messaging_service_sid", service, "num_media", "0",
			"num_segments", "1", "price", "price_unit", "USD",
			"sid", msid, "status", service ? "accepted" : "queued",
			"subresource_uris", "media", media, "to", to,
			"uri", uri));
	}
	evhttp_clear_headers(&form);
	free(body);
}

static void bird_error(struct evhttp_request *req, int status, int code,
		       const char *desc, const char *param)
{
	send_json(req, status,
		  json_pack("{s:[{s:i, s:s, s:s?}]}", "errors", "code", code,
			    "description", desc, "parameter", param));
}

/* A recipient as MessageBird takes it: 7 to 15 digits, as a string or a
 * number; copied into to[] as digits. */
static bool recipient(const json_t *r, char *to, size_t cap)
{
	size_t n;

	if (json_is_integer(r))
		snprintf(to, cap, "%lld", (long long)json_integer_value(r));
	else if (json_is_string(r))
		snprintf(to, cap, "%s", json_string_value(r));
	else
		return false;
	n = strlen(to);
	return n >= 7 && n <= 15 && strspn(to, "0123456789") == n;
}

static void bird(struct worker *w, struct evhttp_request *req)
{
	struct sink *k = w->sink;
	struct evkeyvalq *hdr = evhttp_request_get_input_headers(req);
	const char *auth = evhttp_find_header(hdr, "Authorization");
	const char *ctype = evhttp_find_header(hdr, "Content-Type");
	json_t *j = NULL, *rcpts, *r0;
	const char *orig, *text, *ref, *coding;
	char id[33], href[96], to[32];
	size_t len = 0;
	char *body;

	if (k->bird_auth[0] && (!auth || strcmp(auth, k->bird_auth) != 0)) {
		atomic_fetch_add(&k->errors, 1);
		bird_error(req, 401, 2, "Request not allowed (incorrect "
			   "access_key)", "access_key");
		return;
	}
	body = body_of(req, &len);
	if (body && ctype && strncmp(ctype, "application/json", 16) == 0)
		j = json_loadb(body, len, 0, NULL);
	free(body);
	rcpts = json_object_get(j, "recipients");
	r0 = json_array_get(rcpts, 0);
	orig = json_string_value(json_object_get(j, "originator"));
	text = json_string_value(json_object_get(j, "body"));
	ref = json_string_value(json_object_get(j, "reference"));
	coding = json_string_value(json_object_get(j, "datacoding"));
	if (!j) {
		atomic_fetch_add(&k->errors, 1);
		bird_error(req, 400, 21, "Bad request", NULL);
	} else if (!recipient(r0, to, sizeof(to))) {
		atomic_fetch_add(&k->errors, 1);
		bird_error(req, 422, 9, "no (correct) recipients found",
			   "recipients");
	} else if (!orig || !*orig || !text || !*text) {
		atomic_fetch_add(&k->errors, 1);
		bird_error(req, 422, 9, !orig || !*orig
				? "originator is required"
				: "body is required",
			   !orig || !*orig ? "originator" : "body");
	} else {
		if (ref)
			hex_id(ref, strlen(ref), id);
		else
			hex_id(to, strlen(to), id);
		snprintf(href, sizeof(href),
			 "https://rest.messagebird.com/messages/%s", id);
		dates(w);
		atomic_fetch_add(&k->bird, 1);
		send_json(req, 201, json_pack(
			"{s:s, s:s, s:s, s:s, s:s, s:s, s:s?, s:n, s:i, s:{},"
			" s:s, s:i, s:n, s:s, s:{s:i, s:i, s:i, s:i,"
			" s:[{s:I, s:s, s:s, s:i}]}}",
			"id", id, "href", href, "direction", "mt",
			"type", "sms", "originator", orig, "body", text,
			"reference", ref, "validity", "gateway", 10,
			"typeDetails", "datacoding", coding ? coding : "plain",
			"mclass", 1, "scheduledDatetime",
			"createdDatetime", w->iso,
			"recipients", "totalCount", 1, "totalSentCount", 1,
			"totalDeliveredCount", 0, "totalDeliveryFailedCount", 0,
			"items", "recipient", (json_int_t)strtoll(to, NULL, 10),
			"status", "sent", "statusDatetime", w->iso,
			"messagePartCount", 1));
	}
	json_decref(j);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct worker *w = arg;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	static const char pre[] = "/2010-04-01/Accounts/";
	static const char suf[] = "/Messages.json";
	size_t n = path ? strlen(path) : 0;

	atomic_fetch_add(&w->sink->requests, 1);
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		atomic_fetch_add(&w->sink->errors, 1);
		evhttp_send_error(req, 405, "POST only");
		return;
	}
	if (n > sizeof(pre) - 1 + sizeof(suf) - 1 &&
	    strncmp(path, pre, sizeof(pre) - 1) == 0 &&
	    strcmp(path + n - (sizeof(suf) - 1), suf) == 0) {
		char sid[64];
		size_t sl = n - (sizeof(pre) - 1) - (sizeof(suf) - 1);
		if (sl < sizeof(sid) && !memchr(path + sizeof(pre) - 1, '/', sl)) {
			memcpy(sid, path + sizeof(pre) - 1, sl);
			sid[sl] = '\0';
			twilio(w, req, sid);
			return;
		}
	}
	if (n >= 9 && strcmp(path + n - 9, "/messages") == 0) {
		bird(w, req);
		return;
	}
	atomic_fetch_add(&w->sink->errors, 1);
	send_json(req, 404, json_pack("{s:s}", "error", "no such endpoint"));
}

static void print_stats(struct sink *k)
{
	printf("STATS requests=%llu twilio=%llu bird=%llu errors=%llu\n",
	       atomic_load(&k->requests), atomic_load(&k->twilio),
	       atomic_load(&k->bird), atomic_load(&k->errors));
	fflush(stdout);
}

static void stop_all(void)
{
	for (int i = 0; i < n_workers; i++)
		event_base_loopexit(workers[i].base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	if (sig == SIGUSR1)
		print_stats(arg);
	else
		stop_all();
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	char b[256];
	ssize_t n;

	(void)what;
	(void)arg;
	n = read(fd, b, sizeof(b));
	if (n <= 0 && !(n < 0 && errno == EINTR))
		stop_all();
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

/* A listening socket on addr:port with SO_REUSEPORT (so that every
 * worker may have its own), or -1. */
static int listen_on(struct sockaddr_in *sin)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)sin, sizeof(*sin)) < 0 ||
	    listen(fd, 1024) < 0 || evutil_make_socket_nonblocking(fd) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: http_sink [-p PORT] [-a ADDR] [-t THREADS] "
			"[-s ACCOUNT_SID:TOKEN] [-k BIRD_KEY]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct sink k;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct event *ev_term, *ev_int, *ev_usr1, *ev_in = NULL;
	const char *addr = "127.0.0.1";
	struct stat st;
	long port = 0;
	int opt;

	while ((opt = getopt(argc, argv, "p:a:t:s:k:")) != -1) {
		char *end;
		switch (opt) {
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535)
				usage();
			break;
		case 'a':
			addr = optarg;
			break;
		case 't':
			n_workers = (int)strtol(optarg, &end, 10);
			if (*end || n_workers < 1 ||
			    n_workers > SINK_THREADS_MAX)
				usage();
			break;
		case 's': {
			const char *colon = strchr(optarg, ':');
			char b64[SINK_CRED_MAX * 2];
			size_t n = strlen(optarg);
			if (!colon || n >= SINK_CRED_MAX)
				usage();
			snprintf(k.account, sizeof(k.account), "%.*s",
				 (int)(colon - optarg), optarg);
			sodium_bin2base64(b64, sizeof(b64),
					  (const unsigned char *)optarg, n,
					  sodium_base64_VARIANT_ORIGINAL);
			snprintf(k.basic, sizeof(k.basic), "Basic %s", b64);
			break;
		}
		case 'k':
			if (strlen(optarg) >= SINK_CRED_MAX)
				usage();
			snprintf(k.bird_auth, sizeof(k.bird_auth),
				 "AccessKey %s", optarg);
			break;
		default:
			usage();
		}
	}
	if (sodium_init() < 0 || evthread_use_pthreads() < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage();
	for (int i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];
		int fd = listen_on(&sin);
		if (fd < 0) {
			fprintf(stderr, "http_sink: cannot listen on %s:%ld: "
				"%s\n", addr, port, strerror(errno));
			return 1;
		}
		if (i == 0) {
			/* the port the kernel chose, for the others too */
			getsockname(fd, (struct sockaddr *)&sin, &slen);
		}
		w->sink = &k;
		w->base = event_base_new();
		w->http = w->base ? evhttp_new(w->base) : NULL;
		if (!w->http || !evhttp_accept_socket_with_handle(w->http, fd))
			return 1;
		evhttp_set_max_body_size(w->http, SINK_BODY_MAX);
		evhttp_set_allowed_methods(w->http, EVHTTP_REQ_POST |
						     EVHTTP_REQ_GET);
		evhttp_set_gencb(w->http, on_request, w);
	}
	ev_term = evsignal_new(workers[0].base, SIGTERM, on_signal, &k);
	ev_int = evsignal_new(workers[0].base, SIGINT, on_signal, &k);
	ev_usr1 = evsignal_new(workers[0].base, SIGUSR1, on_signal, &k);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_usr1, NULL);
	if (fstat(0, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		ev_in = event_new(workers[0].base, 0, EV_READ | EV_PERSIST,
				  on_stdin, NULL);
		if (ev_in && event_add(ev_in, NULL) < 0) {
			event_free(ev_in);
			ev_in = NULL;
		}
	}
	printf("PORT %u\n", (unsigned)ntohs(sin.sin_port));
	fflush(stdout);
	for (int i = 1; i < n_workers; i++)
		pthread_create(&workers[i].thread, NULL, worker_run,
			       &workers[i]);
	worker_run(&workers[0]);
	for (int i = 1; i < n_workers; i++)
		pthread_join(workers[i].thread, NULL);
	print_stats(&k);
	if (ev_in)
		event_free(ev_in);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	for (int i = 0; i < n_workers; i++) {
		evhttp_free(workers[i].http);
		event_base_free(workers[i].base);
	}
	return 0;
}
