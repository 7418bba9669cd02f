/*
 * deliver_webhook: signed JSON pushes to the tenant's app (see
 * deliver_webhook.h for the payload, the signature and the outcomes).
 *
 * The signature scheme is the one payment providers made familiar
 * (a timestamp and an HMAC over "timestamp.body" in one header), so a
 * tenant can verify it with a few lines in any language. HMAC-SHA256
 * comes from token.h (libsodium).
 */
#include "deliver_webhook.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "mem.h"
#include "token.h"

#define WEBHOOK_BODY_MAX (64 * 1024) /* JSON body */

struct webhook {
	struct http_client *http; /* connections, kept between batches */
	char *url;                /* where to POST, its own query kept */
	char *secret;             /* HMAC key */
};

static void webhook_close(void *h)
{
	struct webhook *w = h;

	if (!w)
		return;
	http_client_free(w->http);
	if (w->secret)
		explicit_bzero(w->secret, strlen(w->secret));
	free(w->url);
	free(w->secret);
	free(w);
}

static int webhook_open(const char *config, void **ret_handle, struct err *e)
{
	struct http_client_config c;
	struct webhook *w;
	struct buf url;
	const char *secret;
	int timeout, rc, first = 1;

	rc = http_client_config_parse(config, "webhook", &c, e);
	if (rc < 0)
		return rc;
	w = xcalloc(1, sizeof(*w));
	secret = http_client_config_get(&c, "secret");
	rc = http_client_config_int(&c, "webhook", "timeout", 1, 120,
				    HTTP_CLIENT_TIMEOUT_S, &timeout, e);
	if (rc < 0)
		goto out_fail;
	if (!c.base[0]) {
		rc = err_set(e, ERR_INVALID, "webhook: the URL is missing "
			     "(webhook:https://...)");
		goto out_fail;
	}
	rc = http_client_check_url(c.base, "webhook: URL", e);
	if (rc < 0)
		goto out_fail;
	if (strchr(c.base, '#')) {
		rc = err_set(e, ERR_INVALID, "webhook: URL: no fragment "
			     "expected");
		goto out_fail;
	}
	if (!secret) {
		rc = err_set(e, ERR_INVALID, "webhook: secret= missing (the "
			     "signing key)");
		goto out_fail;
	}
	if (strlen(secret) < WEBHOOK_SECRET_MIN) {
		rc = err_set(e, ERR_INVALID, "webhook: secret=: at least %d "
			     "characters", WEBHOOK_SECRET_MIN);
		goto out_fail;
	}
	/* The URL's own query parameters: everything not ours, as written. */
	buf_init(&url, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_puts(&url, c.base);
	for (size_t i = 0; i < c.n; i++) {
		if (c.used[i])
			continue;
		buf_putc(&url, first ? '?' : '&');
		buf_puts(&url, c.raw[i]);
		first = 0;
	}
	w->url = buf_detach(&url);
	w->secret = xstrdup(secret);
	w->http = http_client_new(timeout, HTTP_CLIENT_CONNS);
	http_client_config_free(&c);
	*ret_handle = w;
	return 0;

out_fail:
	http_client_config_free(&c);
	webhook_close(w);
	return rc;
}

/* A string or JSON null for NULL; bad is set for text that is not UTF-8. */
static json_t *webhook_str(const char *s, int *bad)
{
	json_t *v;

	if (!s)
		return json_null();
	v = json_string(s);
	if (!v) {
		*bad = 1;
		return json_null();
	}
	return v;
}

/* Fill message i's request; 0, or -1 with *res set (not sent). */
static int webhook_prepare(void *h, const struct deliver_msg *m,
			   struct http_client_batch *b, size_t i,
			   struct deliver_result *res)
{
	struct webhook *w = h;
	struct http_client_req *r = &b->reqs[i];
	char created[INSTANT_FMT_MAX], hex[65], sig[128];
	struct buf signed_;
	json_t *o;
	char *text;
	int bad = 0;

	if (!m->to || !*m->to) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "webhook: no customer to push to");
		return -1;
	}
	if (!m->text || !*m->text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "webhook: no text to send");
		return -1;
	}
	instant_format(m->now, created);
	o = json_object();
	json_object_set_new(o, "id", webhook_str(m->idempotency_key, &bad));
	json_object_set_new(o, "type", json_string("dunning.message"));
	json_object_set_new(o, "customer", webhook_str(m->to, &bad));
	json_object_set_new(o, "channel", json_string("push"));
	json_object_set_new(o, "text", webhook_str(m->text, &bad));
	json_object_set_new(o, "link", webhook_str(m->link, &bad));
	json_object_set_new(o, "locale", webhook_str(m->locale, &bad));
	json_object_set_new(o, "created", json_string(created));
	text = bad ? NULL
		   : json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "webhook: a field is not valid UTF-8");
		return -1;
	}
	bad = buf_puts(&b->bodies[i], text) < 0;
	free(text);
	if (bad) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "webhook: the message is longer than %d "
				   "bytes as JSON", WEBHOOK_BODY_MAX);
		return -1;
	}
	/* HMAC over "<t>.<body>": the exact bytes that go out. */
	buf_init(&signed_, WEBHOOK_BODY_MAX + 32);
	bad = buf_printf(&signed_, "%lld.", (long long)m->now) < 0 ||
	      buf_append(&signed_, b->bodies[i].data, b->bodies[i].len) < 0 ||
	      hmac_sha256_hex(w->secret, strlen(w->secret), signed_.data,
			      signed_.len, hex) < 0;
	buf_free(&signed_);
	if (bad) {
		http_client_result(res, DELIVER_RETRY, NULL, 0,
				   "webhook: could not sign the message");
		return -1;
	}
	snprintf(sig, sizeof(sig), "t=%lld,v1=%s", (long long)m->now, hex);
	r->url = w->url;
	r->content_type = "application/json";
	if (http_client_batch_header(b, i, "Dunwell-Signature", sig) < 0 ||
	    (m->idempotency_key && *m->idempotency_key &&
	     http_client_batch_header(b, i, "Idempotency-Key",
				      m->idempotency_key) < 0)) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "webhook: the idempotency key cannot go in "
				   "a header");
		return -1;
	}
	return 0;
}

/* Turn the app's answer into a result. */
static void webhook_result(const struct http_client_resp *r,
			   struct deliver_result *res)
{
	if (r->status == 0)
		http_client_result(res, DELIVER_RETRY, NULL, 0, "webhook: %s",
				   r->error);
	else if (r->status >= 200 && r->status < 300)
		http_client_result(res, DELIVER_SENT, NULL, 0, "%s", "");
	else if (r->status == 410)
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "webhook: HTTP 410: the app no longer "
				   "knows this customer");
	else
		http_client_result(res, DELIVER_RETRY, NULL, r->retry_after,
				   "webhook: HTTP %ld", r->status);
}

/* How this adapter fills and reads a batch (see http_client_send). */
static const struct http_client_adapter webhook_adapter = {
	.name = "webhook",
	.body_max = WEBHOOK_BODY_MAX,
	.prepare = webhook_prepare,
	.result = webhook_result,
};

static int webhook_send(void *h, const struct deliver_msg *msgs, size_t n,
			struct deliver_result *results, struct err *e)
{
	struct webhook *w = h;

	return http_client_send(w->http, &webhook_adapter, h, msgs, n, results,
				e);
}

const struct deliver_backend deliver_webhook = {
	.scheme = "webhook",
	.channel = CHANNEL_PUSH,
	.open = webhook_open,
	.send = webhook_send,
	.flush = NULL,
	.close = webhook_close,
};
