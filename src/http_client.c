/*
 * http_client: batches of POSTs over libcurl's multi interface, and the
 * settings the HTTP adapters share (see http_client.h).
 *
 * One easy handle per request, all added to the client's multi handle and
 * driven with curl_multi_perform/curl_multi_poll until every one is done;
 * the multi handle keeps the connection cache, so the next batch reuses
 * the connections of this one. Responses are read into bounded buffers:
 * past HTTP_CLIENT_BODY_MAX the rest is dropped, not the transfer (the
 * status line is what matters most).
 */
#include "http_client.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "hex.h"
#include "mem.h"

struct http_client {
	CURLM *multi;   /* connection cache shared by every batch */
	int timeout_s;  /* per request, connecting included */
	int conns;      /* connections per host at once */
};

/* The state of one transfer while the batch runs. */
struct http_xfer {
	CURL *easy;                  /* NULL when it could not be set up */
	struct curl_slist *headers;  /* owned header lines */
	struct http_client_resp *resp; /* where the answer goes */
	instant_t now;               /* for a Retry-After HTTP-date */
};

static pthread_once_t http_client_once = PTHREAD_ONCE_INIT;
static CURLcode http_client_global_rc = CURLE_FAILED_INIT;

/* curl_global_init once per process, whichever thread asks first. */
static void http_client_global(void)
{
	http_client_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct http_client *http_client_new(int timeout_s, int conns)
{
	struct http_client *c = xcalloc(1, sizeof(*c));

	pthread_once(&http_client_once, http_client_global);
	c->timeout_s = timeout_s > 0 ? timeout_s : HTTP_CLIENT_TIMEOUT_S;
	c->conns = conns > 0 ? conns : HTTP_CLIENT_CONNS;
	if (http_client_global_rc == CURLE_OK)
		c->multi = curl_multi_init();
	if (c->multi)
		curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
				  (long)c->conns);
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	if (c->multi)
		curl_multi_cleanup(c->multi);
	free(c);
}

void http_client_resp_free(struct http_client_resp *r, size_t n)
{
	for (size_t i = 0; r && i < n; i++)
		buf_free(&r[i].body);
}

/* Keep what fits of the body; the transfer goes on past the bound. */
static size_t http_client_write(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	size_t n = size * nmemb;
	size_t room = x->resp->body.max - x->resp->body.len;
	size_t take = n < room ? n : room;

	if (take && buf_append(&x->resp->body, p, take) < 0)
		take = 0;
	if (take < n)
		x->resp->truncated = 1;
	return n;
}

/* Seconds of a Retry-After value: delta-seconds or an HTTP-date. */
static int http_client_retry_after(const char *v, size_t len, instant_t now)
{
	char tmp[64];
	long long secs = 0;

	while (len && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len && isspace((unsigned char)v[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	if (strspn(tmp, "0123456789") == len) {
		errno = 0;
		secs = strtoll(tmp, NULL, 10);
		if (errno)
			secs = HTTP_CLIENT_RETRY_AFTER_MAX;
	} else {
		time_t t = curl_getdate(tmp, NULL);
		if (t == (time_t)-1)
			return 0;
		secs = (long long)t - (long long)now;
	}
	if (secs < 0)
		secs = 0;
	if (secs > HTTP_CLIENT_RETRY_AFTER_MAX)
		secs = HTTP_CLIENT_RETRY_AFTER_MAX;
	return (int)secs;
}

/* Header lines: only Retry-After is of interest. A new response (after a
 * 100 Continue) starts over. */
static size_t http_client_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_xfer *x = ud;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0)
		x->resp->retry_after = 0;
	else if (n > sizeof(name) - 1 &&
		 strncasecmp(p, name, sizeof(name) - 1) == 0)
		x->resp->retry_after = http_client_retry_after(
			p + sizeof(name) - 1, n - (sizeof(name) - 1), x->now);
	return n;
}

/* Set up one easy handle; on failure resp->error says why. */
static int http_client_easy(struct http_client *c,
			    const struct http_client_req *r,
			    struct http_xfer *x)
{
	char line[256];
	struct curl_slist *h = NULL, *t;
	CURL *easy = curl_easy_init();

	if (!easy) {
		http_client_text(x->resp->error, sizeof(x->resp->error),
				 "curl could not start a transfer");
		return -ERR_IO;
	}
	snprintf(line, sizeof(line), "Content-Type: %s",
		 r->content_type ? r->content_type : "application/json");
	h = curl_slist_append(h, line);
	/* No "Expect: 100-continue" round trip; JSON back, please. */
	if (h && (t = curl_slist_append(h, "Expect:")))
		h = t;
	if (h && (t = curl_slist_append(h, "Accept: application/json")))
		h = t;
	for (int i = 0; h && i < HTTP_CLIENT_HEADERS_MAX; i++) {
		if (!r->headers[i])
			continue;
		t = curl_slist_append(h, r->headers[i]);
		if (!t) {
			curl_slist_free_all(h);
			h = NULL;
		} else {
			h = t;
		}
	}
	if (!h) {
		curl_easy_cleanup(easy);
		http_client_text(x->resp->error, sizeof(x->resp->error),
				 "out of memory for request headers");
		return -ERR_IO;
	}
	x->easy = easy;
	x->headers = h;
	curl_easy_setopt(easy, CURLOPT_URL, r->url);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, r->body ? r->body : "");
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)(r->body ? r->body_len : 0));
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, h);
	if (r->user) {
		curl_easy_setopt(easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(easy, CURLOPT_USERNAME, r->user);
		curl_easy_setopt(easy, CURLOPT_PASSWORD,
				 r->password ? r->password : "");
	}
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, http_client_write);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, http_client_header);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_s);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "dunwell");
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS,
			 (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	return 0;
}

/* Record the outcome of a finished transfer. */
static void http_client_done(struct http_client *c, struct http_xfer *x,
			     CURLcode rc)
{
	long status = 0;

	if (rc == CURLE_OK) {
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
		x->resp->status = status;
		return;
	}
	x->resp->status = 0;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		http_client_text(x->resp->error, sizeof(x->resp->error),
				 "no answer: timed out after %d s",
				 c->timeout_s);
	else
		http_client_text(x->resp->error, sizeof(x->resp->error),
				 "no answer: %s", curl_easy_strerror(rc));
}

/* Take a finished (or never started) transfer out of the multi handle. */
static void http_client_release(struct http_client *c, struct http_xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(c->multi, x->easy);
		curl_easy_cleanup(x->easy);
	}
	curl_slist_free_all(x->headers);
	x->easy = NULL;
	x->headers = NULL;
}

int http_client_post_many(struct http_client *c,
			  const struct http_client_req *reqs, size_t n,
			  instant_t now, struct http_client_resp *ret_resps,
			  struct err *e)
{
	struct http_xfer *xs;
	size_t i, next = 0, active = 0;
	int running = 0, rc = 0;

	for (i = 0; i < n; i++) {
		memset(&ret_resps[i], 0, sizeof(ret_resps[i]));
		buf_init(&ret_resps[i].body, HTTP_CLIENT_BODY_MAX);
	}
	if (n == 0)
		return 0;
	if (!c->multi) {
		for (i = 0; i < n; i++)
			http_client_text(ret_resps[i].error,
					 sizeof(ret_resps[i].error),
					 "curl could not start");
		return err_set(e, ERR_IO, "http: curl could not start");
	}
	xs = xcalloc(n, sizeof(*xs));
	/* At most c->conns transfers at once, the next one added as one
	 * finishes: each request's timeout then counts from its own start,
	 * not from the start of a long batch queued behind a slow peer. */
	for (;;) {
		CURLMcode mc;
		CURLMsg *m;
		int left;

		while (next < n && active < (size_t)c->conns) {
			struct http_xfer *x = &xs[next];
			x->resp = &ret_resps[next];
			x->now = now;
			next++;
			if (http_client_easy(c, &reqs[next - 1], x) < 0)
				continue;
			if (curl_multi_add_handle(c->multi, x->easy) !=
			    CURLM_OK) {
				http_client_text(x->resp->error,
						 sizeof(x->resp->error),
						 "curl could not queue the "
						 "request");
				curl_easy_cleanup(x->easy);
				x->easy = NULL;
				http_client_release(c, x);
				continue;
			}
			active++;
		}
		if (active == 0)
			break;
		mc = curl_multi_perform(c->multi, &running);
		if (mc == CURLM_OK && running)
			mc = curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
		while ((m = curl_multi_info_read(c->multi, &left))) {
			struct http_xfer *x = NULL;
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
					  (char **)&x);
			if (!x)
				continue;
			http_client_done(c, x, m->data.result);
			http_client_release(c, x);
			active--;
		}
		if (mc != CURLM_OK) {
			rc = err_set(e, ERR_IO, "http: %s",
				     curl_multi_strerror(mc));
			break;
		}
	}
	for (i = 0; i < n; i++) {
		if (rc < 0 && ret_resps[i].status == 0 &&
		    !ret_resps[i].error[0])
			http_client_text(ret_resps[i].error,
					 sizeof(ret_resps[i].error),
					 "no answer: %s", e ? e->msg : "curl");
		http_client_release(c, &xs[i]);
	}
	free(xs);
	return rc;
}

/* ---- form encoding ------------------------------------------------------- */

int http_client_form_add(struct buf *b, const char *name, const char *value)
{
	char *en = curl_easy_escape(NULL, name, 0);
	char *ev = curl_easy_escape(NULL, value ? value : "", 0);
	size_t save = b->len;
	int rc = -ERR_IO;

	if (en && ev) {
		rc = 0;
		if (b->len)
			rc = buf_putc(b, '&');
		if (rc == 0)
			rc = buf_puts(b, en);
		if (rc == 0)
			rc = buf_putc(b, '=');
		if (rc == 0)
			rc = buf_puts(b, ev);
		if (rc < 0 && b->data) {
			b->len = save; /* all or nothing */
			b->data[save] = '\0';
		}
	}
	curl_free(en);
	curl_free(ev);
	return rc;
}

int http_client_form_get(const char *s, size_t len, const char *name,
			 char *ret, size_t cap, struct err *e)
{
	size_t nlen = strlen(name);
	size_t i = 0;

	while (i <= len) {
		size_t end = i, eq;
		while (end < len && s[end] != '&')
			end++;
		eq = i;
		while (eq < end && s[eq] != '=')
			eq++;
		/* Names we look for are plain ASCII: compare as written. */
		if (eq - i == nlen && memcmp(s + i, name, nlen) == 0) {
			char *tmp = xmalloc(cap ? cap : 1);
			size_t vlen = eq < end ? end - eq - 1 : 0;
			int rc = hex_pct_decode(s + eq + 1, vlen, 1, tmp, cap);
			if (rc == 0)
				memcpy(ret, tmp, strlen(tmp) + 1);
			free(tmp);
			if (rc == -ERR_TOOBIG)
				return err_set(e, ERR_TOOBIG,
					       "form field %s: longer than %zu "
					       "bytes", name,
					       cap ? cap - 1 : 0);
			if (rc < 0)
				return err_set(e, ERR_INVALID,
					       "form field %s: bad %%-escape "
					       "or NUL byte", name);
			return 0;
		}
		i = end + 1;
	}
	return err_set(e, ERR_NOTFOUND, "form field %s: missing", name);
}

/* ---- settings ------------------------------------------------------------ */

int http_client_config_parse(const char *config, const char *scheme,
			     struct http_client_config *ret, struct err *e)
{
	struct http_client_config c;
	size_t slen = strlen(scheme), len;
	const char *rest, *q;
	int rc = 0;

	memset(&c, 0, sizeof(c));
	if (!config || strncmp(config, scheme, slen) != 0 ||
	    config[slen] != ':')
		return err_set(e, ERR_INVALID, "%s: the setting must start "
			       "with \"%s:\"", scheme, scheme);
	len = strlen(config);
	if (len > HTTP_CLIENT_CONFIG_MAX)
		return err_set(e, ERR_TOOBIG, "%s: the setting is longer than "
			       "%d bytes", scheme, HTTP_CLIENT_CONFIG_MAX);
	rest = config + slen + 1;
	q = strchr(rest, '?');
	c.base = xstrndup(rest, q ? (size_t)(q - rest) : strlen(rest));
	while (q && rc == 0) {
		const char *p = q + 1, *amp = strchr(p, '&'), *eq;
		size_t plen = amp ? (size_t)(amp - p) : strlen(p);
		q = amp;
		if (plen == 0)
			continue; /* "a=1&&b=2" or a trailing '&' */
		eq = memchr(p, '=', plen);
		if (!eq || eq == p) {
			rc = err_set(e, ERR_INVALID, "%s: parameter %zu has no "
				     "name=value form", scheme, c.n + 1);
			break;
		}
		if (c.n == HTTP_CLIENT_CONFIG_KEYS) {
			rc = err_set(e, ERR_TOOBIG, "%s: more than %d "
				     "parameters", scheme,
				     HTTP_CLIENT_CONFIG_KEYS);
			break;
		}
		c.key[c.n] = xstrndup(p, (size_t)(eq - p));
		c.raw[c.n] = xstrndup(p, plen);
		/* zeroed: NUL-ended even when the decoding below fails */
		c.value[c.n] = xcalloc(plen + 1, 1);
		c.n++;
		if (hex_pct_decode(eq + 1, plen - (size_t)(eq - p) - 1, 0,
				c.value[c.n - 1], plen + 1) < 0) {
			char kq[ERR_QUOTE_BUF];
			rc = err_set(e, ERR_INVALID, "%s: parameter %s: bad "
				     "%%-escape or NUL byte", scheme,
				     err_quote(c.key[c.n - 1], kq));
			break;
		}
		for (size_t k = 0; k + 1 < c.n; k++) {
			if (strcmp(c.key[k], c.key[c.n - 1]) == 0) {
				char kq[ERR_QUOTE_BUF];
				rc = err_set(e, ERR_INVALID, "%s: parameter %s "
					     "given twice", scheme,
					     err_quote(c.key[k], kq));
				break;
			}
		}
	}
	if (rc < 0) {
		http_client_config_free(&c);
		return rc;
	}
	*ret = c;
	return 0;
}

const char *http_client_config_get(struct http_client_config *c,
				   const char *key)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->key[i], key) == 0) {
			c->used[i] = 1;
			return c->value[i];
		}
	}
	return NULL;
}

int http_client_config_unused(const struct http_client_config *c,
			      const char *scheme, const char *known,
			      struct err *e)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!c->used[i]) {
			char kq[ERR_QUOTE_BUF];
			return err_set(e, ERR_INVALID, "%s: unknown parameter "
				       "%s (known: %s)", scheme,
				       err_quote(c->key[i], kq), known);
		}
	}
	return 0;
}

void http_client_config_free(struct http_client_config *c)
{
	if (!c)
		return;
	free(c->base);
	for (size_t i = 0; i < c->n; i++) {
		free(c->key[i]);
		/* Values may be tokens: do not leave them in freed memory. */
		explicit_bzero(c->value[i], strlen(c->value[i]));
		explicit_bzero(c->raw[i], strlen(c->raw[i]));
		free(c->value[i]);
		free(c->raw[i]);
	}
	memset(c, 0, sizeof(*c));
}

int http_client_config_int(struct http_client_config *c, const char *scheme,
			   const char *key, int lo, int hi, int def,
			   int *ret, struct err *e)
{
	const char *v = http_client_config_get(c, key);
	char *end;
	long x;

	if (!v) {
		*ret = def;
		return 0;
	}
	errno = 0;
	x = strtol(v, &end, 10);
	if (!*v || *end || errno || x < lo || x > hi) {
		char vq[ERR_QUOTE_BUF];
		return err_set(e, ERR_INVALID, "%s: %s=%s: expected a whole "
			       "number from %d to %d", scheme, key,
			       err_quote(v, vq), lo, hi);
	}
	*ret = (int)x;
	return 0;
}

int http_client_config_base(const struct http_client_config *c,
			    const char *scheme, const char *dflt,
			    const char **ret_base, size_t *ret_len,
			    struct err *e)
{
	const char *base = c->base[0] ? c->base : dflt;
	char what[48];
	size_t len = strlen(base);
	int r;

	snprintf(what, sizeof(what), "%s: base URL", scheme);
	r = http_client_check_url(base, what, e);
	if (r < 0)
		return r;
	if (strcspn(base, "?#") != len)
		return err_set(e, ERR_INVALID, "%s: base URL: no query or "
			       "fragment expected", scheme);
	while (len > 0 && base[len - 1] == '/')
		len--;
	*ret_base = base;
	*ret_len = len;
	return 0;
}

int http_client_check_url(const char *url, const char *what, struct err *e)
{
	const char *host;
	size_t hlen;

	if (strncmp(url, "https://", 8) == 0) {
		host = url + 8;
	} else if (strncmp(url, "http://", 7) == 0) {
		host = url + 7;
	} else {
		return err_set(e, ERR_INVALID, "%s: expected https://host",
			       what);
	}
	hlen = strcspn(host, "/?#");
	if (hlen == 0 || memchr(host, '@', hlen))
		return err_set(e, ERR_INVALID, "%s: expected https://host "
			       "(no user name or password in the URL)", what);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return err_set(e, ERR_INVALID, "%s: a space or "
				       "non-ASCII byte in the URL", what);
	if (host == url + 7) {
		static const char *const loop[] = { "127.0.0.1", "localhost",
						    "[::1]" };
		size_t nlen = strcspn(host, ":/?#");
		int ok = 0;
		if (host[0] == '[')
			nlen = strcspn(host, "]") + 1;
		for (size_t i = 0; i < sizeof(loop) / sizeof(loop[0]); i++)
			if (strlen(loop[i]) == nlen &&
			    strncmp(host, loop[i], nlen) == 0)
				ok = 1;
		if (!ok)
			return err_set(e, ERR_INVALID, "%s: http:// is only "
				       "allowed to a loopback host; use "
				       "https://", what);
	}
	return 0;
}

/* ---- a batch of deliveries ----------------------------------------------- */

static void http_client_vtext(char *dst, size_t cap, const char *fmt,
			      va_list ap);

void http_client_batch_init(struct http_client_batch *b, size_t n,
			    size_t body_max)
{
	memset(b, 0, sizeof(*b));
	b->n = n;
	if (n == 0)
		return;
	b->reqs = xcalloc(n, sizeof(*b->reqs));
	b->bodies = xcalloc(n, sizeof(*b->bodies));
	b->lines = xcalloc(n, sizeof(*b->lines));
	b->resps = xcalloc(n, sizeof(*b->resps));
	b->skip = xcalloc(n, 1);
	for (size_t i = 0; i < n; i++) {
		buf_init(&b->bodies[i], body_max);
		buf_init(&b->resps[i].body, HTTP_CLIENT_BODY_MAX);
	}
}

int http_client_batch_header(struct http_client_batch *b, size_t i,
			     const char *name, const char *value)
{
	struct http_client_req *r = &b->reqs[i];
	int k;

	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -ERR_INVALID;
	for (k = 0; k < HTTP_CLIENT_HEADERS_MAX && r->headers[k]; k++)
		;
	if (k == HTTP_CLIENT_HEADERS_MAX ||
	    strlen(name) + 2 + strlen(value) >= HTTP_CLIENT_LINE_MAX)
		return -ERR_TOOBIG;
	{
		/* lengths checked above: "name: value" fits */
		char *line = b->lines[i][k];
		size_t nl = strlen(name), vl = strlen(value);
		memcpy(line, name, nl);
		memcpy(line + nl, ": ", 2);
		memcpy(line + nl + 2, value, vl + 1);
	}
	r->headers[k] = b->lines[i][k];
	return 0;
}

int http_client_batch_run(struct http_client *c, struct http_client_batch *b,
			  instant_t now, struct err *e)
{
	struct http_client_req *reqs;
	struct http_client_resp *resps;
	size_t *idx, m = 0;
	int rc;

	if (b->n == 0)
		return 0;
	reqs = xcalloc(b->n, sizeof(*reqs));
	resps = xcalloc(b->n, sizeof(*resps));
	idx = xcalloc(b->n, sizeof(*idx));
	for (size_t i = 0; i < b->n; i++) {
		if (b->skip[i])
			continue;
		b->reqs[i].body = buf_cstr(&b->bodies[i]);
		b->reqs[i].body_len = b->bodies[i].len;
		reqs[m] = b->reqs[i];
		idx[m++] = i;
	}
	rc = http_client_post_many(c, reqs, m, now, resps, e);
	for (size_t k = 0; k < m; k++) {
		buf_free(&b->resps[idx[k]].body);
		b->resps[idx[k]] = resps[k]; /* hands the body over */
	}
	free(idx);
	free(resps);
	free(reqs);
	return rc;
}

int http_client_send(struct http_client *c, const struct http_client_adapter *a,
		     void *h, const struct deliver_msg *msgs, size_t n,
		     struct deliver_result *results, struct err *e)
{
	struct http_client_batch b;
	int rc;

	if (n > DELIVER_BATCH_MAX)
		return err_set(e, ERR_RANGE, "%s: %zu messages in one batch "
			       "(at most %d)", a->name, n, DELIVER_BATCH_MAX);
	if (n == 0)
		return 0;
	http_client_batch_init(&b, n, a->body_max);
	for (size_t i = 0; i < n; i++)
		if (a->prepare(h, &msgs[i], &b, i, &results[i]) < 0)
			b.skip[i] = 1;
	rc = http_client_batch_run(c, &b, msgs[0].now, e);
	for (size_t i = 0; i < n; i++)
		if (!b.skip[i])
			a->result(&b.resps[i], &results[i]);
	http_client_batch_free(&b);
	return rc < 0 ? rc : 0;
}

void http_client_batch_free(struct http_client_batch *b)
{
	if (!b || b->n == 0)
		return;
	for (size_t i = 0; i < b->n; i++) {
		if (b->bodies[i].data)
			explicit_bzero(b->bodies[i].data, b->bodies[i].len);
		buf_free(&b->bodies[i]);
	}
	explicit_bzero(b->lines, b->n * sizeof(*b->lines));
	http_client_resp_free(b->resps, b->n);
	free(b->reqs);
	free(b->bodies);
	free(b->lines);
	free(b->resps);
	free(b->skip);
	memset(b, 0, sizeof(*b));
}

void http_client_result(struct deliver_result *r, enum deliver_status st,
			const char *provider_id, int retry_after,
			const char *fmt, ...)
{
	va_list ap;

	memset(r, 0, sizeof(*r));
	r->status = st;
	r->retry_after = retry_after;
	if (provider_id) {
		size_t n = strnlen(provider_id, sizeof(r->provider_id) - 1);
		memcpy(r->provider_id, provider_id, n);
		r->provider_id[n] = '\0';
	}
	va_start(ap, fmt);
	http_client_vtext(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

/* ---- helpers ------------------------------------------------------------- */

/* vsnprintf, then no half UTF-8 character at a cut, no control bytes. */
static void http_client_vtext(char *dst, size_t cap, const char *fmt,
			      va_list ap)
{
	size_t len;
	int full;

	if (cap == 0)
		return;
	full = vsnprintf(dst, cap, fmt, ap);
	len = strlen(dst);
	if (full > 0 && (size_t)full > len) {
		size_t k = len;
		while (k > 0 && ((unsigned char)dst[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && (unsigned char)dst[k - 1] >= 0xC0)
			k--; /* the lead byte of the cut character */
		else
			k = len;
		dst[k] = '\0';
	}
	for (char *p = dst; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

void http_client_text(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	http_client_vtext(dst, cap, fmt, ap);
	va_end(ap);
}

int http_client_is_e164(const char *s)
{
	size_t n;

	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strspn(s + 1, "0123456789");
	return s[1 + n] == '\0' && n >= 7 && n <= 15;
}
