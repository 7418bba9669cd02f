/*
 * http_client: what the HTTP delivery adapters (Twilio, MessageBird,
 * WhatsApp Cloud API, the tenant's push webhook) share — POSTing a batch
 * of requests at once over libcurl's multi interface, reading each
 * response (status, bounded body, Retry-After), and parsing an adapter's
 * setting ("scheme:https://host?key=value&...").
 *
 * It only carries bytes: it never decides what a status means (each
 * adapter maps its provider's answers), never retries by itself, never
 * follows redirects (a POST that is redirected is a configuration error,
 * not something to repeat elsewhere), and never prints. Plain http:// is
 * refused except to a loopback host (tests, a local relay), so a token
 * never crosses a network in clear text.
 *
 * A client keeps its connections between batches; one client is used by
 * one thread at a time (each adapter handle owns one).
 */
#ifndef DUNWELL_HTTP_CLIENT_H
#define DUNWELL_HTTP_CLIENT_H

#include <stddef.h>

#include "buf.h"
#include "date.h"
#include "deliver.h"
#include "err.h"

#define HTTP_CLIENT_BODY_MAX (64 * 1024) /* response bytes kept; more is
					    cut (status is still known) */
#define HTTP_CLIENT_HEADERS_MAX 4        /* extra header lines a request */
#define HTTP_CLIENT_ERROR_MAX 256        /* transport error text */
#define HTTP_CLIENT_TIMEOUT_S 30         /* whole request, by default */
#define HTTP_CLIENT_CONNS 8              /* connections per host at once */
#define HTTP_CLIENT_RETRY_AFTER_MAX 86400 /* Retry-After is capped at a day */
#define HTTP_CLIENT_LINE_MAX 1024        /* one extra header line, NUL incl. */

struct http_client; /* opaque: a curl multi handle and its settings */

/* One POST. Everything is borrowed for the call. */
struct http_client_req {
	const char *url;           /* absolute http(s) URL */
	const char *content_type;  /* "application/json", ... */
	const char *body;          /* body_len bytes */
	size_t body_len;
	const char *user;          /* HTTP Basic user, or NULL for none */
	const char *password;      /* HTTP Basic password (with user) */
	const char *headers[HTTP_CLIENT_HEADERS_MAX]; /* "Name: value" lines;
						 NULL entries are skipped */
};

/* What came back for one request. */
struct http_client_resp {
	long status;                 /* HTTP status; 0 when no response
					arrived (see error) */
	struct buf body;             /* the response body, at most
					HTTP_CLIENT_BODY_MAX bytes kept */
	int truncated;               /* 1 when the body was longer */
	int retry_after;             /* seconds from Retry-After (delta or
					HTTP-date), 0 when none */
	char error[HTTP_CLIENT_ERROR_MAX]; /* transport failure ("timed out
					      after 30 s"), "" otherwise */
};

/* A client whose requests give up after timeout_s seconds (connect
 * included) and that opens at most conns connections per host. */
struct http_client *http_client_new(int timeout_s, int conns);
void http_client_free(struct http_client *c); /* NULL is fine */

/* POST reqs[0..n) concurrently and wait for all of them; ret_resps[i]
 * (n entries, initialised here; release with http_client_resp_free) is
 * the answer to reqs[i]. A failed request is not an error of the call:
 * its status is 0 and its error says why. `now` converts a Retry-After
 * HTTP-date into seconds. Negative only when curl cannot be set up at all
 * (-ERR_IO), in which case every response has status 0. */
int http_client_post_many(struct http_client *c,
			  const struct http_client_req *reqs, size_t n,
			  instant_t now, struct http_client_resp *ret_resps,
			  struct err *e);
void http_client_resp_free(struct http_client_resp *r, size_t n);

/* Append "name=value" to a form body (application/x-www-form-urlencoded),
 * with '&' before it when the body is not empty; both are percent-encoded
 * (curl_easy_escape). -ERR_TOOBIG when b's bound is reached. */
int http_client_form_add(struct buf *b, const char *name, const char *value);

/* The value of `name` in a form body or query string s[0..len) ('+' and
 * %XX decoded), copied with a NUL into ret (cap bytes). -ERR_NOTFOUND
 * when absent, -ERR_TOOBIG when it does not fit, -ERR_INVALID for a bad
 * %-escape or a NUL byte; ret is untouched on failure. */
int http_client_form_get(const char *s, size_t len, const char *name,
			 char *ret, size_t cap, struct err *e);

/* ---- settings ------------------------------------------------------------ */

#define HTTP_CLIENT_CONFIG_MAX 4096  /* bytes of a whole setting */
#define HTTP_CLIENT_CONFIG_KEYS 16   /* key=value pairs in a setting */

/* A setting "scheme:BASE?k=v&k=v": BASE may be empty. Values are %XX
 * decoded but '+' stays a plus (phone numbers: from=+3197...). */
struct http_client_config {
	char *base;                            /* text before '?', "" if none */
	size_t n;                              /* pairs */
	char *key[HTTP_CLIENT_CONFIG_KEYS];    /* pair names */
	char *value[HTTP_CLIENT_CONFIG_KEYS];  /* decoded values */
	char *raw[HTTP_CLIENT_CONFIG_KEYS];    /* "k=v" as written */
	unsigned char used[HTTP_CLIENT_CONFIG_KEYS]; /* taken by _get */
};

/* Parse `config`, which must start with "scheme:". Errors name the part
 * at fault, never a value (it may be a secret). *ret is set up on success
 * only; release it with http_client_config_free. */
int http_client_config_parse(const char *config, const char *scheme,
			     struct http_client_config *ret, struct err *e);
/* The value of key (and mark it used), or NULL when absent. */
const char *http_client_config_get(struct http_client_config *c,
				   const char *key);
/* -ERR_INVALID naming the first key no _get asked for. */
int http_client_config_unused(const struct http_client_config *c,
			      const char *scheme, const char *known,
			      struct err *e);
void http_client_config_free(struct http_client_config *c);

/* Check a base URL: "https://host[:port][/path]", or "http://" to a
 * loopback host only (127.0.0.1, localhost, [::1]). `what` names it in
 * the error ("twilio: base URL"). */
int http_client_check_url(const char *url, const char *what, struct err *e);

/* The setting's base URL (`dflt` when it names none), checked as above
 * and without query or fragment; *ret_len leaves out trailing '/'s. */
int http_client_config_base(const struct http_client_config *c,
			    const char *scheme, const char *dflt,
			    const char **ret_base, size_t *ret_len,
			    struct err *e);

/* The integer setting `key` in [lo, hi], or def when absent. */
int http_client_config_int(struct http_client_config *c, const char *scheme,
			   const char *key, int lo, int hi, int def,
			   int *ret, struct err *e);

/* ---- a batch of deliveries ----------------------------------------------- */

/* The requests of one send() call, one per message, with the storage
 * they point into. An adapter fills reqs[i] (its body into bodies[i], its
 * header lines through http_client_batch_header) or marks the message
 * skipped after setting its result itself (an address that cannot be
 * sent to); http_client_batch_run POSTs the rest at once. */
struct http_client_batch {
	size_t n;                       /* messages */
	struct http_client_req *reqs;   /* what to POST for each */
	struct buf *bodies;             /* request bodies (bounded) */
	char (*lines)[HTTP_CLIENT_HEADERS_MAX][HTTP_CLIENT_LINE_MAX];
					/* header lines reqs[i].headers
					   point into */
	struct http_client_resp *resps; /* answers, after _run */
	unsigned char *skip;            /* 1: not sent, result already set */
};

/* Room for n messages, bodies bounded by body_max bytes. */
void http_client_batch_init(struct http_client_batch *b, size_t n,
			    size_t body_max);
/* Add "name: value" to message i's request. -ERR_INVALID when the value
 * holds a control character (header injection) or is too long. */
int http_client_batch_header(struct http_client_batch *b, size_t i,
			     const char *name, const char *value);
/* POST every message not skipped; see http_client_post_many. */
int http_client_batch_run(struct http_client *c, struct http_client_batch *b,
			  instant_t now, struct err *e);
/* Free everything, wiping header lines and bodies (they carry tokens). */
void http_client_batch_free(struct http_client_batch *b);

/* What an HTTP adapter plugs into http_client_send: how it turns one
 * message into a request and one answer into a result. */
struct http_client_adapter {
	const char *name; /* the scheme, naming the adapter in errors */
	size_t body_max;  /* bound of one request body, bytes */
	/* Fill message i's request in b from the adapter handle h; 0, or -1
	 * with *res set (the message is then skipped, not sent). */
	int (*prepare)(void *h, const struct deliver_msg *m,
		       struct http_client_batch *b, size_t i,
		       struct deliver_result *res);
	/* Turn the answer to a message that was sent into its result. */
	void (*result)(const struct http_client_resp *r,
		       struct deliver_result *res);
};

/* An adapter's whole send() (see struct deliver_backend): a batch of n
 * (<= DELIVER_BATCH_MAX, else -ERR_RANGE) messages prepared by
 * a->prepare, POSTed at once through c, each answer read by a->result
 * into results[i]. Negative only when nothing could be tried. */
int http_client_send(struct http_client *c, const struct http_client_adapter *a,
		     void *h, const struct deliver_msg *msgs, size_t n,
		     struct deliver_result *results, struct err *e);

/* Set a delivery result: status, provider id (cut to fit), retry_after
 * and printf-style error text made one line ("" for none). */
void http_client_result(struct deliver_result *r, enum deliver_status st,
			const char *provider_id, int retry_after,
			const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- small helpers for adapters ------------------------------------------ */

/* Write printf-style text into dst (cap bytes), control characters turned
 * into spaces so a provider's message stays one line. */
void http_client_text(char *dst, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* 1 when s is an E.164 number: '+' then 8 to 15 digits, no leading 0. */
int http_client_is_e164(const char *s);

#endif
