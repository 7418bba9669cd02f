/*
 * deliver_sms_twilio: SMS through Twilio's Messages API, and its status
 * callbacks (see deliver_sms_twilio.h for the setting and the mapping).
 *
 * One form-encoded POST per message, the batch sent at once through
 * http_client. Twilio's answers are JSON: the Message resource on success
 * ({"sid": "SM...", "status": "queued", ...}), an error object otherwise
 * ({"code": 21211, "message": "...", "more_info": "...", "status": 400}).
 * This module never decides anything beyond "sent / try later / this
 * number will not work".
 */
#include "deliver_sms_twilio.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "mem.h"

#define TWILIO_BASE "https://api.twilio.com"
#define TWILIO_BODY_MAX (16 * 1024) /* form body: 1600 characters of text
				       %-encoded, and the rest */
#define TWILIO_KEYS "account, token, from, service, callback, timeout"
/* Requests in flight at once (one connection each, kept between batches).
 * 16 rather than http_client's default of 8: on loopback, where only
 * CPU and scheduling count, 8 left both ends idle part of the time
 * (bench/deliver.sh: about 10,000-11,600 SMS/s with 8, 12,000-14,500 with
 * 16 and no gain from 32), and against a real provider, whose answer
 * takes 100 ms or more, each connection carries only 3 to 10 messages
 * a second. */
#define TWILIO_CONNS 16

struct twilio {
	struct http_client *http; /* connections, kept between batches */
	char *url;                /* .../Accounts/{account}/Messages.json */
	char *account;            /* Account SID: HTTP Basic user */
	char *token;              /* Auth Token: HTTP Basic password */
	char *from;               /* From, or NULL */
	char *service;            /* MessagingServiceSid, or NULL */
	char *callback;           /* StatusCallback, or NULL */
};

/* "AC" or "MG" followed by 32 hex digits. */
static int twilio_sid(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, 2) == 0 && strlen(s) == 34 &&
	       strspn(s + 2, "0123456789abcdefABCDEF") == 32;
}

static void twilio_close(void *h)
{
	struct twilio *t = h;

	if (!t)
		return;
	http_client_free(t->http);
	if (t->token)
		explicit_bzero(t->token, strlen(t->token));
	free(t->url);
	free(t->account);
	free(t->token);
	free(t->from);
	free(t->service);
	free(t->callback);
	free(t);
}

static int twilio_open(const char *config, void **ret_handle, struct err *e)
{
	struct http_client_config c;
	struct twilio *t;
	struct buf url;
	const char *base, *account, *token, *from, *service, *callback;
	size_t blen;
	int timeout, rc;

	rc = http_client_config_parse(config, "twilio", &c, e);
	if (rc < 0)
		return rc;
	t = xcalloc(1, sizeof(*t));
	account = http_client_config_get(&c, "account");
	token = http_client_config_get(&c, "token");
	from = http_client_config_get(&c, "from");
	service = http_client_config_get(&c, "service");
	callback = http_client_config_get(&c, "callback");
	rc = http_client_config_base(&c, "twilio", TWILIO_BASE, &base, &blen, e);
	if (rc < 0)
		goto out_fail;
	if (!account) {
		rc = err_set(e, ERR_INVALID, "twilio: account= missing (the "
			     "Account SID)");
		goto out_fail;
	}
	if (!twilio_sid(account, "AC")) {
		rc = err_set(e, ERR_INVALID, "twilio: account=: expected the "
			     "Account SID (AC and 32 hex digits)");
		goto out_fail;
	}
	if (!token || !*token) {
		rc = err_set(e, ERR_INVALID, "twilio: token= missing (the Auth "
			     "Token)");
		goto out_fail;
	}
	if ((!from || !*from) && !service) {
		rc = err_set(e, ERR_INVALID, "twilio: from= or service= "
			     "needed (the sender)");
		goto out_fail;
	}
	if (from && (strlen(from) > 32 || strpbrk(from, "\r\n\t"))) {
		rc = err_set(e, ERR_INVALID, "twilio: from=: expected an E.164 "
			     "number or a sender ID");
		goto out_fail;
	}
	if (service && !twilio_sid(service, "MG")) {
		rc = err_set(e, ERR_INVALID, "twilio: service=: expected a "
			     "Messaging Service SID (MG and 32 hex digits)");
		goto out_fail;
	}
	if (callback && strncmp(callback, "https://", 8) != 0 &&
	    strncmp(callback, "http://", 7) != 0) {
		rc = err_set(e, ERR_INVALID, "twilio: callback=: expected an "
			     "http(s):// URL");
		goto out_fail;
	}
	rc = http_client_config_int(&c, "twilio", "timeout", 1, 120,
				    HTTP_CLIENT_TIMEOUT_S, &timeout, e);
	if (rc < 0)
		goto out_fail;
	rc = http_client_config_unused(&c, "twilio", TWILIO_KEYS, e);
	if (rc < 0)
		goto out_fail;
	buf_init(&url, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_append(&url, base, blen);
	buf_printf(&url, "/2010-04-01/Accounts/%s/Messages.json", account);
	t->url = buf_detach(&url);
	t->account = xstrdup(account);
	t->token = xstrdup(token);
	t->from = from && *from ? xstrdup(from) : NULL;
	t->service = service ? xstrdup(service) : NULL;
	t->callback = callback ? xstrdup(callback) : NULL;
	t->http = http_client_new(timeout, TWILIO_CONNS);
	http_client_config_free(&c);
	*ret_handle = t;
	return 0;

out_fail:
	http_client_config_free(&c);
	twilio_close(t);
	return rc;
}

/* Codes that mean "this number cannot take this message": try the next
 * channel. From Twilio's error dictionary. */
static int twilio_hard_code(long code)
{
	switch (code) {
	case 21211: /* invalid 'To' phone number */
	case 21214: /* 'To' phone number cannot be reached */
	case 21217: /* phone number does not appear to be valid */
	case 21219: /* 'To' number not verified (trial account) */
	case 21408: /* sending to this region is not enabled */
	case 21602: /* message body is required */
	case 21610: /* the recipient has replied STOP: unsubscribed */
	case 21612: /* 'To' number not reachable via SMS from this sender */
	case 21614: /* 'To' number is not a valid mobile number */
	case 21617: /* body exceeds the 1600 character limit */
	case 21635: /* 'To' number cannot be a landline */
		return 1;
	default:
		return 0;
	}
}

/* Codes that are the account's problem, not the number's: retry once
 * the tenant has fixed them, never fall back for them. */
static int twilio_retry_code(long code)
{
	switch (code) {
	case 20003: /* authentication failed */
	case 20404: /* resource (account) not found */
	case 20429: /* too many requests */
	case 21212: /* invalid 'From' number */
	case 21606: /* 'From' number cannot send SMS */
	case 30001: /* queue overflow */
		return 1;
	default:
		return 0;
	}
}

/* Turn Twilio's answer into a result. */
static void twilio_result(const struct http_client_resp *r,
			  struct deliver_result *res)
{
	json_t *j = NULL, *jc;
	const char *msg = NULL;
	long code = 0;

	if (r->status == 0) {
		http_client_result(res, DELIVER_RETRY, NULL, 0, "twilio: %s",
				   r->error);
		return;
	}
	if (r->body.len)
		j = json_loadb(r->body.data, r->body.len, 0, NULL);
	if (r->status >= 200 && r->status < 300) {
		http_client_result(res, DELIVER_SENT,
				   json_string_value(json_object_get(j, "sid")),
				   0, "%s", "");
		goto out;
	}
	jc = json_object_get(j, "code");
	if (json_is_integer(jc))
		code = (long)json_integer_value(jc);
	msg = json_string_value(json_object_get(j, "message"));
	if (!msg)
		msg = r->body.len && !j ? "(not JSON)" : "";
	if (twilio_hard_code(code))
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "twilio: HTTP %ld, error %ld: %s",
				   r->status, code, msg);
	else if (twilio_retry_code(code) || r->status == 429 ||
		 r->status >= 500 || r->status == 401 || r->status == 403 ||
		 r->status == 404 || r->status < 200 || r->status == 408)
		http_client_result(res, DELIVER_RETRY, NULL, r->retry_after,
				   "twilio: HTTP %ld, error %ld: %s",
				   r->status, code, msg);
	else if (r->status >= 400)
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "twilio: HTTP %ld, error %ld: %s",
				   r->status, code, msg);
	else /* 3xx: a redirect we do not follow */
		http_client_result(res, DELIVER_RETRY, NULL, r->retry_after,
				   "twilio: HTTP %ld: unexpected answer "
				   "(check the base URL)", r->status);
out:
	json_decref(j);
}

/* Fill message i's request; 0, or -1 with results[i] set (not sent). */
static int twilio_prepare(void *h, const struct deliver_msg *m,
			  struct http_client_batch *b, size_t i,
			  struct deliver_result *res)
{
	struct twilio *t = h;
	struct http_client_req *r = &b->reqs[i];
	struct buf *body = &b->bodies[i];
	int rc = 0;

	if (!http_client_is_e164(m->to)) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "twilio: not an E.164 phone number");
		return -1;
	}
	if (!m->text || !*m->text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "twilio: no text to send");
		return -1;
	}
	r->url = t->url;
	r->content_type = "application/x-www-form-urlencoded";
	r->user = t->account;
	r->password = t->token;
	rc = http_client_form_add(body, "To", m->to);
	if (rc == 0 && t->from)
		rc = http_client_form_add(body, "From", t->from);
	if (rc == 0 && t->service)
		rc = http_client_form_add(body, "MessagingServiceSid",
					  t->service);
	if (rc == 0)
		rc = http_client_form_add(body, "Body", m->text);
	if (rc == 0 && t->callback)
		rc = http_client_form_add(body, "StatusCallback", t->callback);
	if (rc < 0) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "twilio: the text is longer than %d bytes "
				   "encoded", TWILIO_BODY_MAX);
		return -1;
	}
	if (m->idempotency_key && *m->idempotency_key &&
	    http_client_batch_header(b, i, "I-Twilio-Idempotency-Token",
				     m->idempotency_key) < 0) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "twilio: the idempotency key cannot go in "
				   "a header");
		return -1;
	}
	return 0;
}

/* How this adapter fills and reads a batch (see http_client_send). */
static const struct http_client_adapter twilio_adapter = {
	.name = "twilio",
	.body_max = TWILIO_BODY_MAX,
	.prepare = twilio_prepare,
	.result = twilio_result,
};

static int twilio_send(void *h, const struct deliver_msg *msgs, size_t n,
		       struct deliver_result *results, struct err *e)
{
	struct twilio *t = h;

	return http_client_send(t->http, &twilio_adapter, h, msgs, n, results,
				e);
}

const struct deliver_backend deliver_sms_twilio = {
	.scheme = "twilio",
	.channel = CHANNEL_SMS,
	.open = twilio_open,
	.send = twilio_send,
	.flush = NULL,
	.close = twilio_close,
};

/* ---- status callbacks ---------------------------------------------------- */

/* An ErrorCode that says the number itself is wrong. */
static int twilio_bounce_code(const char *code)
{
	static const char *const codes[] = { "30005", "30006", "21211",
					     "21610", "21614" };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(code, codes[i]) == 0)
			return 1;
	return 0;
}

int sms_twilio_parse_status(const char *form_body, size_t len, char *ret_id,
			    size_t cap, enum delivery_event *ret_event,
			    struct err *e)
{
	char id[DELIVER_ID_MAX], status[32], code[DELIVERY_CODE_MAX] = "";
	char sq[ERR_QUOTE_BUF];
	enum delivery_event ev;
	int rc;

	rc = http_client_form_get(form_body, len, "MessageSid", id, sizeof(id),
				  e);
	if (rc == -ERR_NOTFOUND)
		rc = http_client_form_get(form_body, len, "SmsSid", id,
					  sizeof(id), e);
	if (rc < 0)
		goto out_fail;
	rc = http_client_form_get(form_body, len, "MessageStatus", status,
				  sizeof(status), e);
	if (rc == -ERR_NOTFOUND)
		rc = http_client_form_get(form_body, len, "SmsStatus", status,
					  sizeof(status), e);
	if (rc < 0)
		goto out_fail;
	rc = http_client_form_get(form_body, len, "ErrorCode", code,
				  sizeof(code), e);
	if (rc < 0 && rc != -ERR_NOTFOUND)
		goto out_fail;
	if (!strcmp(status, "accepted") || !strcmp(status, "scheduled") ||
	    !strcmp(status, "queued") || !strcmp(status, "sending") ||
	    !strcmp(status, "sent")) {
		ev = DELIVERY_SENT;
	} else if (!strcmp(status, "delivered") ||
		   !strcmp(status, "partially_delivered")) {
		ev = DELIVERY_DELIVERED;
	} else if (!strcmp(status, "read")) {
		ev = DELIVERY_OPENED;
	} else if (!strcmp(status, "undelivered") ||
		   !strcmp(status, "failed")) {
		ev = twilio_bounce_code(code) ? DELIVERY_BOUNCED
					      : DELIVERY_FAILED;
	} else if (!strcmp(status, "canceled")) {
		ev = DELIVERY_FAILED;
	} else if (!strcmp(status, "receiving") ||
		   !strcmp(status, "received")) {
		return err_set(e, ERR_INVALID, "twilio status: MessageStatus "
			       "%s is an inbound message, not a delivery "
			       "report", status);
	} else {
		return err_set(e, ERR_INVALID, "twilio status: unknown "
			       "MessageStatus %s", err_quote(status, sq));
	}
	if (strlen(id) + 1 > cap)
		return err_set(e, ERR_TOOBIG, "twilio status: MessageSid "
			       "longer than %zu bytes", cap ? cap - 1 : 0);
	memcpy(ret_id, id, strlen(id) + 1);
	*ret_event = ev;
	return 0;

out_fail:
	err_prefix(e, "twilio status: ");
	return rc;
}
