/*
 * deliver_sms_bird: SMS through MessageBird's REST API, and its status
 * reports (see deliver_sms_bird.h for the setting and the mapping).
 *
 * One JSON POST per message (each message has its own text, so the API's
 * several-recipients form does not help), the batch sent at once through
 * http_client. Recipients go as digit strings without '+', the way
 * MessageBird's own clients send them.
 */
#include "deliver_sms_bird.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "mem.h"

#define BIRD_BASE "https://rest.messagebird.com"
#define BIRD_BODY_MAX (16 * 1024) /* JSON body */
#define BIRD_KEYS "key, from, report, timeout"
/* Requests in flight at once (one connection each, kept between batches).
 * 16 rather than http_client's default of 8: on loopback, where only
 * CPU and scheduling count, 8 left both ends idle part of the time
 * (bench/deliver.sh: about 10,000-11,600 SMS/s with 8, 12,000-14,500 with
 * 16 and no gain from 32), and against a real provider, whose answer
 * takes 100 ms or more, each connection carries only 3 to 10 messages
 * a second. */
#define BIRD_CONNS 16

struct bird {
	struct http_client *http; /* connections, kept between batches */
	char *url;                /* {base}/messages */
	char *auth;               /* "AccessKey KEY" */
	char *from;               /* originator */
	char *report;             /* reportUrl, or NULL */
};

static void bird_close(void *h)
{
	struct bird *b = h;

	if (!b)
		return;
	http_client_free(b->http);
	if (b->auth)
		explicit_bzero(b->auth, strlen(b->auth));
	free(b->url);
	free(b->auth);
	free(b->from);
	free(b->report);
	free(b);
}

/* An originator MessageBird takes: a number (up to 17 digits, '+'
 * allowed) or up to 11 letters, digits and spaces. */
static int bird_originator(const char *s)
{
	size_t n = strlen(s);
	const char *d = s[0] == '+' ? s + 1 : s;

	if (n == 0)
		return 0;
	if (*d && strspn(d, "0123456789") == strlen(d))
		return strlen(d) <= 17;
	if (s[0] == '+')
		return 0;
	return n <= 11 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789 ") == n;
}

static int bird_open(const char *config, void **ret_handle, struct err *e)
{
	struct http_client_config c;
	struct bird *b;
	struct buf s;
	const char *base, *key, *from, *report;
	size_t blen;
	int timeout, rc;

	rc = http_client_config_parse(config, "bird", &c, e);
	if (rc < 0)
		return rc;
	b = xcalloc(1, sizeof(*b));
	key = http_client_config_get(&c, "key");
	from = http_client_config_get(&c, "from");
	report = http_client_config_get(&c, "report");
	rc = http_client_config_base(&c, "bird", BIRD_BASE, &base, &blen, e);
	if (rc < 0)
		goto out_fail;
	if (!key || !*key) {
		rc = err_set(e, ERR_INVALID, "bird: key= missing (the access "
			     "key)");
		goto out_fail;
	}
	if (strspn(key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789-_") != strlen(key) || strlen(key) > 256) {
		rc = err_set(e, ERR_INVALID, "bird: key=: expected letters and "
			     "digits (the access key)");
		goto out_fail;
	}
	if (!from) {
		rc = err_set(e, ERR_INVALID, "bird: from= missing (the "
			     "originator)");
		goto out_fail;
	}
	if (!bird_originator(from)) {
		char fq[ERR_QUOTE_BUF];
		rc = err_set(e, ERR_INVALID, "bird: from=%s: expected a phone "
			     "number or up to 11 letters and digits",
			     err_quote(from, fq));
		goto out_fail;
	}
	if (report && strncmp(report, "https://", 8) != 0 &&
	    strncmp(report, "http://", 7) != 0) {
		rc = err_set(e, ERR_INVALID, "bird: report=: expected an "
			     "http(s):// URL");
		goto out_fail;
	}
	rc = http_client_config_int(&c, "bird", "timeout", 1, 120,
				    HTTP_CLIENT_TIMEOUT_S, &timeout, e);
	if (rc < 0)
		goto out_fail;
	rc = http_client_config_unused(&c, "bird", BIRD_KEYS, e);
	if (rc < 0)
		goto out_fail;
	buf_init(&s, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_append(&s, base, blen);
	buf_puts(&s, "/messages");
	b->url = buf_detach(&s);
	buf_init(&s, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_printf(&s, "AccessKey %s", key);
	b->auth = buf_detach(&s);
	b->from = xstrdup(from);
	b->report = report ? xstrdup(report) : NULL;
	b->http = http_client_new(timeout, BIRD_CONNS);
	http_client_config_free(&c);
	*ret_handle = b;
	return 0;

out_fail:
	http_client_config_free(&c);
	bird_close(b);
	return rc;
}

/* Set key to a string; 0, or -1 for text that is not UTF-8. */
static int bird_set(json_t *o, const char *key, const char *value)
{
	json_t *v = json_string(value);

	if (!v)
		return -1;
	json_object_set_new(o, key, v);
	return 0;
}

/* Fill message i's request; 0, or -1 with *res set (not sent). */
static int bird_prepare(void *h, const struct deliver_msg *m,
			struct http_client_batch *b, size_t i,
			struct deliver_result *res)
{
	struct bird *bd = h;
	struct http_client_req *r = &b->reqs[i];
	json_t *o, *rcpt;
	char *text;
	int bad = 0;

	if (!http_client_is_e164(m->to)) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "bird: not an E.164 phone number");
		return -1;
	}
	if (!m->text || !*m->text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "bird: no text to send");
		return -1;
	}
	if (m->idempotency_key &&
	    strlen(m->idempotency_key) > BIRD_REFERENCE_MAX) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "bird: the idempotency key is longer than "
				   "MessageBird's %d-character reference",
				   BIRD_REFERENCE_MAX);
		return -1;
	}
	o = json_object();
	rcpt = json_array();
	json_array_append_new(rcpt, json_string(m->to + 1)); /* digits */
	json_object_set_new(o, "recipients", rcpt);
	bad |= bird_set(o, "originator", bd->from);
	bad |= bird_set(o, "body", m->text);
	bad |= bird_set(o, "datacoding", "auto");
	if (m->idempotency_key && *m->idempotency_key)
		bad |= bird_set(o, "reference", m->idempotency_key);
	if (bd->report)
		bad |= bird_set(o, "reportUrl", bd->report);
	text = bad ? NULL : json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "bird: the text is not valid UTF-8");
		return -1;
	}
	bad = buf_puts(&b->bodies[i], text) < 0;
	free(text);
	if (bad) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "bird: the text is longer than %d bytes "
				   "as JSON", BIRD_BODY_MAX);
		return -1;
	}
	r->url = bd->url;
	r->content_type = "application/json";
	http_client_batch_header(b, i, "Authorization", bd->auth);
	return 0;
}

/* Turn MessageBird's answer into a result. */
static void bird_result(const struct http_client_resp *r,
			struct deliver_result *res)
{
	json_t *j = NULL, *err0;
	const char *desc = "", *param = "";
	long code = 0;
	enum deliver_status st;

	if (r->status == 0) {
		http_client_result(res, DELIVER_RETRY, NULL, 0, "bird: %s",
				   r->error);
		return;
	}
	if (r->body.len)
		j = json_loadb(r->body.data, r->body.len, 0, NULL);
	if (r->status >= 200 && r->status < 300) {
		http_client_result(res, DELIVER_SENT,
				   json_string_value(json_object_get(j, "id")),
				   0, "%s", "");
		goto out;
	}
	err0 = json_array_get(json_object_get(j, "errors"), 0);
	if (json_is_integer(json_object_get(err0, "code")))
		code = (long)json_integer_value(json_object_get(err0, "code"));
	if (json_string_value(json_object_get(err0, "description")))
		desc = json_string_value(json_object_get(err0, "description"));
	if (json_string_value(json_object_get(err0, "parameter")))
		param = json_string_value(json_object_get(err0, "parameter"));
	if (r->status == 429 || r->status >= 500 || r->status < 400)
		st = DELIVER_RETRY;
	else if (code == 2 || code == 20 || code == 25 || code == 98 ||
		 code == 99)
		st = DELIVER_RETRY; /* the account's, not the number's */
	else if ((code == 9 || code == 10) && !strcmp(param, "originator"))
		st = DELIVER_RETRY; /* the setting's sender is refused */
	else if (r->status == 401 || r->status == 403 || r->status == 404)
		st = DELIVER_RETRY;
	else
		st = DELIVER_HARD_FAIL; /* recipient, body, other 4xx */
	http_client_result(res, st, NULL,
			   st == DELIVER_RETRY ? r->retry_after : 0,
			   "bird: HTTP %ld, error %ld%s%s: %s", r->status,
			   code, *param ? " on " : "", param,
			   *desc ? desc : (j ? "" : "(not JSON)"));
out:
	json_decref(j);
}

/* How this adapter fills and reads a batch (see http_client_send). */
static const struct http_client_adapter bird_adapter = {
	.name = "bird",
	.body_max = BIRD_BODY_MAX,
	.prepare = bird_prepare,
	.result = bird_result,
};

static int bird_send(void *h, const struct deliver_msg *msgs, size_t n,
		     struct deliver_result *results, struct err *e)
{
	struct bird *bd = h;

	return http_client_send(bd->http, &bird_adapter, h, msgs, n, results,
				e);
}

const struct deliver_backend deliver_sms_bird = {
	.scheme = "bird",
	.channel = CHANNEL_SMS,
	.open = bird_open,
	.send = bird_send,
	.flush = NULL,
	.close = bird_close,
};

/* ---- status reports ------------------------------------------------------ */

/* Copy a report field into dst (cap bytes): from JSON (a string or an
 * integer) or from the query string. -ERR_NOTFOUND when absent. */
static int bird_field(const char *body, size_t len, json_t *j,
		      const char *name, char *dst, size_t cap, struct err *e)
{
	json_t *v;
	const char *s;
	char num[32];

	if (!j)
		return http_client_form_get(body, len, name, dst, cap, e);
	v = json_object_get(j, name);
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		s = num;
	} else if (json_is_string(v)) {
		s = json_string_value(v);
	} else {
		return err_set(e, ERR_NOTFOUND, "field %s: missing", name);
	}
	if (strlen(s) + 1 > cap)
		return err_set(e, ERR_TOOBIG, "field %s: longer than %zu bytes",
			       name, cap - 1);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int sms_bird_parse_report(const char *body, size_t len,
			  struct delivery_report *ret, struct err *e)
{
	struct delivery_report d;
	char status[32], reason[64] = "", sq[ERR_QUOTE_BUF];
	json_t *j = NULL;
	size_t k = 0;
	int rc;

	memset(&d, 0, sizeof(d));
	while (k < len && (body[k] == ' ' || body[k] == '\n' ||
			   body[k] == '\r' || body[k] == '\t'))
		k++;
	if (k < len && body[k] == '{') {
		json_error_t jerr;
		j = json_loadb(body, len, 0, &jerr);
		if (!j || !json_is_object(j)) {
			json_decref(j);
			return err_set(e, ERR_INVALID, "bird report: not a "
				       "JSON object (line %d: %s)", jerr.line,
				       jerr.text);
		}
	}
	rc = bird_field(body, len, j, "id", d.provider_id,
			sizeof(d.provider_id), e);
	if (rc == 0)
		rc = bird_field(body, len, j, "status", status, sizeof(status),
				e);
	if (rc == 0) {
		rc = bird_field(body, len, j, "reference", d.reference,
				sizeof(d.reference), e);
		if (rc == -ERR_NOTFOUND)
			rc = 0;
	}
	if (rc == 0) {
		rc = bird_field(body, len, j, "statusErrorCode", d.code,
				sizeof(d.code), e);
		if (rc == -ERR_NOTFOUND)
			rc = 0;
	}
	if (rc == 0) {
		rc = bird_field(body, len, j, "statusReason", reason,
				sizeof(reason), e);
		if (rc == -ERR_NOTFOUND || rc == -ERR_TOOBIG)
			rc = 0; /* only used to tell a bounce */
	}
	json_decref(j);
	if (rc < 0) {
		err_prefix(e, "bird report: ");
		return rc;
	}
	if (!strcmp(status, "scheduled") || !strcmp(status, "sent") ||
	    !strcmp(status, "buffered")) {
		d.event = DELIVERY_SENT;
	} else if (!strcmp(status, "delivered")) {
		d.event = DELIVERY_DELIVERED;
	} else if (!strcmp(status, "expired") || !strcmp(status, "not_sent")) {
		d.event = DELIVERY_FAILED;
	} else if (!strcmp(status, "delivery_failed")) {
		int wrong = !strcmp(d.code, "1") ||
			    !strcmp(reason, "unknown subscriber") ||
			    !strcmp(reason, "incorrect number") ||
			    !strcmp(reason, "opted out");
		d.event = wrong ? DELIVERY_BOUNCED : DELIVERY_FAILED;
	} else {
		return err_set(e, ERR_INVALID, "bird report: unknown status %s",
			       err_quote(status, sq));
	}
	if (d.event == DELIVERY_SENT || d.event == DELIVERY_DELIVERED)
		d.code[0] = '\0';
	*ret = d;
	return 0;
}
