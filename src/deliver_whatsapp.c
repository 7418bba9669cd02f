/*
 * deliver_whatsapp: WhatsApp through Meta's Cloud API, and its status
 * webhooks (see deliver_whatsapp.h for the setting, the 24-hour window
 * and the mapping).
 *
 * One JSON POST per message, the batch sent at once through http_client.
 * The Cloud API is part of the Graph API, so its errors have the Graph
 * shape, and Meta asks clients to act on error.code rather than on the
 * HTTP status (most errors come as 400 whatever they mean).
 */
#include "deliver_whatsapp.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "mem.h"

#define WHATSAPP_BASE "https://graph.facebook.com"
#define WHATSAPP_VERSION "v19.0"
#define WHATSAPP_BODY_MAX (32 * 1024) /* JSON body: 4096 characters of
					 text, escaped, and the rest */
#define WHATSAPP_TEXT_MAX 4096        /* Meta's limit on a text body */
#define WHATSAPP_LANG_MAX 16          /* "en_US" and the like */
#define WHATSAPP_KEYS "phone_number_id, token, version, template, lang, " \
		      "preview, timeout, verify_token, app_secret"

struct whatsapp {
	struct http_client *http; /* connections, kept between batches */
	char *url;                /* {base}/{version}/{id}/messages */
	char *auth;               /* "Bearer TOKEN" */
	char *tmpl;               /* template name, or NULL for text */
	char *lang;               /* template language, or NULL: locale */
	int preview;              /* preview_url of text messages */
};

static void whatsapp_close(void *h)
{
	struct whatsapp *w = h;

	if (!w)
		return;
	http_client_free(w->http);
	if (w->auth)
		explicit_bzero(w->auth, strlen(w->auth));
	free(w->url);
	free(w->auth);
	free(w->tmpl);
	free(w->lang);
	free(w);
}

/* s is made of n>0 characters of `set` only. */
static int all_of(const char *s, const char *set)
{
	return *s && strspn(s, set) == strlen(s);
}

static int whatsapp_open(const char *config, void **ret_handle, struct err *e)
{
	static const char tmpl_chars[] =
		"abcdefghijklmnopqrstuvwxyz0123456789_";
	struct http_client_config c;
	struct whatsapp *w;
	struct buf s;
	const char *base, *id, *token, *version, *tmpl, *lang;
	size_t blen;
	int timeout, preview, rc;

	rc = http_client_config_parse(config, "whatsapp", &c, e);
	if (rc < 0)
		return rc;
	w = xcalloc(1, sizeof(*w));
	id = http_client_config_get(&c, "phone_number_id");
	token = http_client_config_get(&c, "token");
	version = http_client_config_get(&c, "version");
	tmpl = http_client_config_get(&c, "template");
	lang = http_client_config_get(&c, "lang");
	if (!version)
		version = WHATSAPP_VERSION;
	rc = http_client_config_base(&c, "whatsapp", WHATSAPP_BASE, &base, &blen, e);
	if (rc < 0)
		goto out_fail;
	if (!id || !all_of(id, "0123456789") || strlen(id) > 32) {
		rc = err_set(e, ERR_INVALID, "whatsapp: phone_number_id=%s",
			     id ? ": expected the digits of the business "
				  "phone number's id"
				: " missing");
		goto out_fail;
	}
	if (!token || !*token) {
		rc = err_set(e, ERR_INVALID, "whatsapp: token= missing (an "
			     "access token)");
		goto out_fail;
	}
	if (version[0] != 'v' || !all_of(version + 1, "0123456789.") ||
	    strlen(version) > 8) {
		char vq[ERR_QUOTE_BUF];
		rc = err_set(e, ERR_INVALID, "whatsapp: version=%s: expected "
			     "a Graph API version such as %s",
			     err_quote(version, vq), WHATSAPP_VERSION);
		goto out_fail;
	}
	if (tmpl && (!all_of(tmpl, tmpl_chars) || strlen(tmpl) > 512)) {
		char tq[ERR_QUOTE_BUF];
		rc = err_set(e, ERR_INVALID, "whatsapp: template=%s: expected "
			     "a template name (lower-case letters, digits, "
			     "'_')", err_quote(tmpl, tq));
		goto out_fail;
	}
	if (lang && (!all_of(lang, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "abcdefghijklmnopqrstuvwxyz_") ||
		     strlen(lang) >= WHATSAPP_LANG_MAX)) {
		char lq[ERR_QUOTE_BUF];
		rc = err_set(e, ERR_INVALID, "whatsapp: lang=%s: expected a "
			     "language code such as en_US or nl",
			     err_quote(lang, lq));
		goto out_fail;
	}
	if (lang && !tmpl) {
		rc = err_set(e, ERR_INVALID, "whatsapp: lang= is for "
			     "template= only");
		goto out_fail;
	}
	rc = http_client_config_int(&c, "whatsapp", "preview", 0, 1, 1,
				    &preview, e);
	if (rc == 0)
		rc = http_client_config_int(&c, "whatsapp", "timeout", 1, 120,
					    HTTP_CLIENT_TIMEOUT_S, &timeout,
					    e);
	if (rc == 0)
	/* verify_token and app_secret are for the webhook endpoint that
	 * receives Meta's reports (src/serve.c), not for sending */
	if (rc == 0) {
		http_client_config_get(&c, "verify_token");
		http_client_config_get(&c, "app_secret");
	}
	if (rc == 0)
		rc = http_client_config_unused(&c, "whatsapp", WHATSAPP_KEYS,
					       e);
	if (rc < 0)
		goto out_fail;
	buf_init(&s, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_append(&s, base, blen);
	buf_printf(&s, "/%s/%s/messages", version, id);
	w->url = buf_detach(&s);
	buf_init(&s, 2 * HTTP_CLIENT_CONFIG_MAX);
	buf_printf(&s, "Bearer %s", token);
	w->auth = buf_detach(&s);
	w->tmpl = tmpl ? xstrdup(tmpl) : NULL;
	w->lang = lang ? xstrdup(lang) : NULL;
	w->preview = preview;
	w->http = http_client_new(timeout, HTTP_CLIENT_CONNS);
	http_client_config_free(&c);
	*ret_handle = w;
	return 0;

out_fail:
	http_client_config_free(&c);
	whatsapp_close(w);
	return rc;
}

/* A template parameter: line breaks, tabs and runs of spaces become one
 * space (Meta refuses them in parameters), ends trimmed. Caller frees. */
static char *whatsapp_param(const char *text)
{
	size_t n = strlen(text), o = 0;
	char *out = xmalloc(n + 1);
	int space = 1; /* drops leading blanks */

	for (size_t i = 0; i < n; i++) {
		char c = text[i];
		if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
			if (!space)
				out[o++] = ' ';
			space = 1;
		} else {
			out[o++] = c;
			space = 0;
		}
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return out;
}

/* The template language for a message: lang=, else the locale with '_'
 * ("nl-BE" -> "nl_BE"), else "en". */
static void whatsapp_lang(const struct whatsapp *w, const char *locale,
			  char out[WHATSAPP_LANG_MAX])
{
	const char *src = w->lang ? w->lang
				  : (locale && *locale ? locale : "en");
	size_t i;

	for (i = 0; src[i] && i + 1 < WHATSAPP_LANG_MAX; i++)
		out[i] = src[i] == '-' ? '_' : src[i];
	out[i] = '\0';
}

/* The JSON body of one message, or NULL when the text is not UTF-8. */
static char *whatsapp_json(const struct whatsapp *w,
			   const struct deliver_msg *m)
{
	json_t *o = json_object(), *v;
	char *out = NULL;
	int bad = 0;

	json_object_set_new(o, "messaging_product", json_string("whatsapp"));
	json_object_set_new(o, "recipient_type", json_string("individual"));
	json_object_set_new(o, "to", json_string(m->to));
	if (!w->tmpl) {
		v = json_string(m->text);
		bad = !v;
		json_object_set_new(o, "type", json_string("text"));
		json_object_set_new(o, "text",
				    json_pack("{s:o*, s:b}", "body", v,
					      "preview_url", w->preview));
	} else {
		char lang[WHATSAPP_LANG_MAX];
		char *p = whatsapp_param(m->text);
		whatsapp_lang(w, m->locale, lang);
		v = json_string(p);
		free(p);
		bad = !v;
		json_object_set_new(o, "type", json_string("template"));
		json_object_set_new(
			o, "template",
			json_pack("{s:s, s:{s:s}, s:[{s:s, s:[{s:s, s:o*}]}]}",
				  "name", w->tmpl, "language", "code", lang,
				  "components", "type", "body", "parameters",
				  "type", "text", "text", v));
	}
	if (m->idempotency_key && *m->idempotency_key) {
		v = json_string(m->idempotency_key);
		bad |= !v;
		json_object_set_new(o, "biz_opaque_callback_data", v);
	}
	if (!bad)
		out = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return out;
}

/* Fill message i's request; 0, or -1 with *res set (not sent). */
static int whatsapp_prepare(void *h, const struct deliver_msg *m,
			    struct http_client_batch *b, size_t i,
			    struct deliver_result *res)
{
	struct whatsapp *w = h;
	struct http_client_req *r = &b->reqs[i];
	char *text;
	int bad;

	if (!http_client_is_e164(m->to)) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "whatsapp: not an E.164 phone number");
		return -1;
	}
	if (!m->text || !*m->text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "whatsapp: no text to send");
		return -1;
	}
	if (strlen(m->text) > 4 * WHATSAPP_TEXT_MAX) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "whatsapp: the text is longer than %d "
				   "characters", WHATSAPP_TEXT_MAX);
		return -1;
	}
	text = whatsapp_json(w, m);
	if (!text) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "whatsapp: the text or the idempotency key "
				   "is not valid UTF-8");
		return -1;
	}
	bad = buf_puts(&b->bodies[i], text) < 0;
	free(text);
	if (bad) {
		http_client_result(res, DELIVER_HARD_FAIL, NULL, 0,
				   "whatsapp: the message is longer than %d "
				   "bytes as JSON", WHATSAPP_BODY_MAX);
		return -1;
	}
	r->url = w->url;
	r->content_type = "application/json";
	http_client_batch_header(b, i, "Authorization", w->auth);
	return 0;
}

/* Error codes that mean this message cannot reach this customer on
 * WhatsApp as it is: fall back to the next channel. */
static int whatsapp_hard_code(long code)
{
	switch (code) {
	case 100:    /* invalid parameter */
	case 131008: /* required parameter missing */
	case 131009: /* parameter value not valid (e.g. the number) */
	case 131021: /* recipient cannot be the sender */
	case 131026: /* message undeliverable (not on WhatsApp, old app,
			terms not accepted) */
	case 131030: /* recipient not in the allowed list (test number) */
	case 131047: /* more than 24 hours since the customer wrote:
			only a template may be sent */
	case 131051: /* unsupported message type */
	case 132000: /* template parameter count mismatch */
	case 132005: /* translated text too long */
	case 132007: /* template format character policy violated */
	case 132012: /* template parameter format mismatch */
	case 132018: /* problem with the template's parameters */
		return 1;
	default:
		return 0;
	}
}

/* Codes that are a limit, the account's problem or Meta's: try later. */
static int whatsapp_retry_code(long code)
{
	if (code >= 200 && code <= 299) /* API permission */
		return 1;
	switch (code) {
	case 0:      /* authentication failed */
	case 1:      /* API unknown */
	case 2:      /* API service: temporary */
	case 3:      /* API method: capability */
	case 4:      /* too many API calls */
	case 10:     /* permission denied */
	case 190:    /* access token expired */
	case 368:    /* temporarily blocked for policy violations */
	case 80007:  /* WhatsApp Business Account rate limit */
	case 130429: /* throughput rate limit */
	case 131000: /* something went wrong */
	case 131016: /* service unavailable */
	case 131031: /* business account locked */
	case 131042: /* payment problem */
	case 131048: /* spam rate limit */
	case 131056: /* pair rate limit: too many to this customer */
	case 131057: /* business account in maintenance mode */
	case 132001: /* template does not exist (in this language) */
	case 132015: /* template paused */
	case 132016: /* template disabled */
	case 133010: /* business phone number not registered */
		return 1;
	default:
		return 0;
	}
}

/* Turn Meta's answer into a result. */
static void whatsapp_result(const struct http_client_resp *r,
			    struct deliver_result *res)
{
	json_t *j = NULL, *err, *jc;
	const char *msg = "", *details = "";
	long code = -1;
	enum deliver_status st;

	if (r->status == 0) {
		http_client_result(res, DELIVER_RETRY, NULL, 0, "whatsapp: %s",
				   r->error);
		return;
	}
	if (r->body.len)
		j = json_loadb(r->body.data, r->body.len, 0, NULL);
	if (r->status >= 200 && r->status < 300) {
		json_t *m0 = json_array_get(json_object_get(j, "messages"), 0);
		http_client_result(res, DELIVER_SENT,
				   json_string_value(json_object_get(m0, "id")),
				   0, "%s", "");
		goto out;
	}
	err = json_object_get(j, "error");
	jc = json_object_get(err, "code");
	if (json_is_integer(jc))
		code = (long)json_integer_value(jc);
	if (json_string_value(json_object_get(err, "message")))
		msg = json_string_value(json_object_get(err, "message"));
	else if (!j && r->body.len)
		msg = "(not JSON)";
	if (json_string_value(json_object_get(
		    json_object_get(err, "error_data"), "details")))
		details = json_string_value(json_object_get(
			json_object_get(err, "error_data"), "details"));
	if (whatsapp_hard_code(code))
		st = DELIVER_HARD_FAIL;
	else if (whatsapp_retry_code(code) || r->status == 429 ||
		 r->status >= 500 || r->status < 400 || r->status == 401 ||
		 r->status == 403)
		st = DELIVER_RETRY;
	else
		st = DELIVER_HARD_FAIL;
	http_client_result(res, st, NULL,
			   st == DELIVER_RETRY ? r->retry_after : 0,
			   "whatsapp: HTTP %ld, error %ld: %s%s%s", r->status,
			   code, msg, *details ? " - " : "", details);
out:
	json_decref(j);
}

/* How this adapter fills and reads a batch (see http_client_send). */
static const struct http_client_adapter whatsapp_adapter = {
	.name = "whatsapp",
	.body_max = WHATSAPP_BODY_MAX,
	.prepare = whatsapp_prepare,
	.result = whatsapp_result,
};

static int whatsapp_send(void *h, const struct deliver_msg *msgs, size_t n,
			 struct deliver_result *results, struct err *e)
{
	struct whatsapp *w = h;

	return http_client_send(w->http, &whatsapp_adapter, h, msgs, n, results,
				e);
}

const struct deliver_backend deliver_whatsapp = {
	.scheme = "whatsapp",
	.channel = CHANNEL_WHATSAPP,
	.open = whatsapp_open,
	.send = whatsapp_send,
	.flush = NULL,
	.close = whatsapp_close,
};

/* ---- status webhooks ----------------------------------------------------- */

/* Copy a JSON string into dst (cap bytes); -ERR_TOOBIG when too long. */
static int whatsapp_copy(json_t *v, char *dst, size_t cap)
{
	const char *s = json_string_value(v);
	size_t n;

	if (!s)
		return 0;
	n = strlen(s);
	if (n + 1 > cap)
		return -ERR_TOOBIG;
	memcpy(dst, s, n + 1);
	return 0;
}

/* One statuses[] element into *d; 1 when it is an event, 0 to skip it. */
static int whatsapp_status(json_t *st, struct delivery_report *d,
			   struct err *e)
{
	const char *status = json_string_value(json_object_get(st, "status"));
	json_t *id = json_object_get(st, "id");
	json_t *err0 = json_array_get(json_object_get(st, "errors"), 0);
	json_t *code = json_object_get(err0, "code");

	memset(d, 0, sizeof(*d));
	if (!json_is_string(id) || !status)
		return err_set(e, ERR_INVALID, "whatsapp webhook: a status "
			       "without id or status");
	if (!strcmp(status, "sent"))
		d->event = DELIVERY_SENT;
	else if (!strcmp(status, "delivered"))
		d->event = DELIVERY_DELIVERED;
	else if (!strcmp(status, "read"))
		d->event = DELIVERY_OPENED;
	else if (!strcmp(status, "failed"))
		d->event = json_is_integer(code) &&
					   json_integer_value(code) == 131026
				   ? DELIVERY_BOUNCED
				   : DELIVERY_FAILED;
	else
		return 0;
	if (whatsapp_copy(id, d->provider_id, sizeof(d->provider_id)) < 0 ||
	    whatsapp_copy(json_object_get(st, "biz_opaque_callback_data"),
			  d->reference, sizeof(d->reference)) < 0)
		return err_set(e, ERR_TOOBIG, "whatsapp webhook: id or "
			       "biz_opaque_callback_data longer than %d bytes",
			       DELIVER_ID_MAX - 1);
	if (json_is_integer(code))
		snprintf(d->code, sizeof(d->code), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(code));
	return 1;
}

int whatsapp_parse_webhook(const char *body, size_t len,
			   struct delivery_report *ret, size_t cap,
			   size_t *ret_n, struct err *e)
{
	struct delivery_report *tmp = NULL;
	json_error_t jerr;
	json_t *j, *obj, *entry, *en, *ch, *st;
	size_t i, k, s, n = 0;
	int rc = 0;

	j = json_loadb(body, len, 0, &jerr);
	if (!j)
		return err_set(e, ERR_INVALID, "whatsapp webhook: line %d: %s",
			       jerr.line, jerr.text);
	obj = json_object_get(j, "object");
	entry = json_object_get(j, "entry");
	if (!json_is_object(j) || !json_is_array(entry) ||
	    (obj && !(json_is_string(obj) &&
		      !strcmp(json_string_value(obj),
			      "whatsapp_business_account")))) {
		rc = err_set(e, ERR_INVALID, "whatsapp webhook: not a "
			     "whatsapp_business_account notification");
		goto out;
	}
	tmp = xcalloc(cap ? cap : 1, sizeof(*tmp));
	json_array_foreach(entry, i, en) {
		json_array_foreach(json_object_get(en, "changes"), k, ch) {
			json_t *sts = json_object_get(
				json_object_get(ch, "value"), "statuses");
			json_array_foreach(sts, s, st) {
				struct delivery_report d;
				int got = whatsapp_status(st, &d, e);
				if (got < 0) {
					rc = got;
					goto out;
				}
				if (!got)
					continue;
				if (n == cap) {
					rc = err_set(e, ERR_TOOBIG, "whatsapp "
						     "webhook: more than %zu "
						     "statuses", cap);
					goto out;
				}
				tmp[n++] = d;
			}
		}
	}
	if (n)
		memcpy(ret, tmp, n * sizeof(*ret));
	*ret_n = n;
out:
	free(tmp);
	json_decref(j);
	return rc;
}
