/*
 * webhook: signed webhooks to the tenant (see webhook.h, docs/webhooks.md).
 *
 * Two phases, like the outbox. Fill reads the tenant's case events past
 * each endpoint's cursor, maps our kinds to the names tenants see, and
 * queues one delivery per endpoint and event (the unique key makes a
 * repeated fill harmless); the cursor moves in the same transaction.
 * Deliver claims due deliveries under a lease (committed before anything
 * is sent), POSTs them at once over libcurl's multi interface (no
 * transaction is open meanwhile), and records every outcome in one
 * transaction, only while the lease is still ours.
 */
#include "webhook.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "http_client.h"
#include "mem.h"
#include "outbox.h"
#include "token.h"

#define FILL_CHUNK 500          /* case events read at a time */
#define BODY_MAX (256 * 1024)   /* bytes of a signed body */

/* Our case event kinds and the names tenants see. */
static const struct {
	const char *kind;  /* as recorded in case_events */
	const char *name;  /* as sent */
} kinds[] = {
	{ "case.opened", "case.opened" },
	{ "message.sent", "action.sent" },
	{ "message.delivered", "message.delivered" },
	{ "message.failed", "message.failed" },
	{ "message.bounced", "message.failed" },
	{ "message.dead", "message.failed" },
	{ "case.resolved", "case.resolved" },
	{ "case.written_off", "case.written_off" },
	{ "promise.broken", "promise.broken" },
	{ "invoice.paid", "invoice.paid" },
	{ "payment.received", "payment.received" },
	{ "payment.reversed", "payment.reversed" },
	{ "service.restrict", "service.restrict" },
	{ "service.restore", "service.restore" },
	{ "case.handed_to_agent", "case.handed_to_agent" },
	{ "promise.made", "promise.made" },
	{ "plan.created", "plan.created" },
	{ "plan.completed", "plan.completed" },
	{ "plan.broken", "plan.broken" },
	{ "help.requested", "help.requested" },
	{ "callback.requested", "callback.requested" },
	{ "dispute.opened", "dispute.opened" },
	{ "preferences.changed", "preferences.changed" },
	/* failed automatic payments (charge.h) */
	{ "charge.failed", "charge.failed" },
	{ "charge.retry_failed", "charge.retry_failed" },
	{ "charge.succeeded", "charge.succeeded" },
	{ "charge.given_up", "charge.given_up" },
	{ "charge.method_updated", "charge.method_updated" },
};

/* Names announced for later issues: accepted in an endpoint's list, not
 * emitted yet (see docs/webhooks.md). None at the moment. */
static const char *const later[] = { NULL };

const char *webhook_event_name(const char *kind)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].kind, kind) == 0)
			return kinds[i].name;
	return NULL;
}

static int name_known(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == len &&
		    memcmp(kinds[i].name, name, len) == 0)
			return 1;
	for (size_t i = 0; later[i]; i++)
		if (strlen(later[i]) == len && memcmp(later[i], name, len) == 0)
			return 1;
	return 0;
}

int webhook_wants(const char *events, const char *name)
{
	size_t len = strlen(name);
	const char *p = events;

	while (*p) {
		size_t n;
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 1 && *p == '*')
			return 1;
		if (n == len && n > 0 && memcmp(p, name, n) == 0)
			return 1;
		p += n;
	}
	return 0;
}

int webhook_events_parse(const char *events, char *ret, struct err *e)
{
	struct buf out;
	const char *p = events ? events : "*";
	int all = 0, r = 0;

	buf_init(&out, WEBHOOK_EVENTS_MAX - 1);
	while (*p && r == 0) {
		size_t n;
		p += strspn(p, " ,");
		n = strcspn(p, " ,");
		if (n == 0)
			break;
		if (n == 1 && *p == '*')
			all = 1;
		else if (!name_known(p, n))
			r = err_set(e, ERR_INVALID, "--events: unknown event"
				    " '%.*s'", (int)(n > 64 ? 64 : n), p);
		else if ((out.len && buf_putc(&out, ' ') < 0) ||
			 buf_append(&out, p, n) < 0)
			r = err_set(e, ERR_TOOBIG, "--events: longer than %d"
				    " bytes", WEBHOOK_EVENTS_MAX - 1);
		p += n;
	}
	if (r == 0 && (all || out.len == 0))
		snprintf(ret, WEBHOOK_EVENTS_MAX, "*");
	else if (r == 0)
		snprintf(ret, WEBHOOK_EVENTS_MAX, "%s", buf_cstr(&out));
	buf_free(&out);
	return r;
}

int webhook_sign(const char *secret, instant_t t, const char *body,
		 size_t len, char ret[WEBHOOK_SIG_MAX], struct err *e)
{
	struct buf msg;
	char hex[65];
	int bad;

	buf_init(&msg, len + 32);
	bad = buf_printf(&msg, "%lld.", (long long)t) < 0 ||
	      buf_append(&msg, body, len) < 0 ||
	      hmac_sha256_hex(secret, strlen(secret), msg.data, msg.len,
			      hex) < 0;
	buf_free(&msg);
	if (bad)
		return err_set(e, ERR_IO, "webhook: signing failed");
	snprintf(ret, WEBHOOK_SIG_MAX, "t=%lld,v1=%s", (long long)t, hex);
	return 0;
}

int webhook_payload(const char *slug, const struct webhook_event_rec *ev,
		    const char *name, char **ret, struct err *e)
{
	char created[INSTANT_FMT_MAX], id[256];
	json_t *o, *data, *cust;
	char *text;

	data = json_loads(ev->detail ? ev->detail : "{}", 0, NULL);
	if (!json_is_object(data)) {
		json_decref(data);
		data = json_object();
	}
	/* what the original kind was, when several map to one name */
	if (strcmp(ev->kind, "message.bounced") == 0)
		json_object_set_new(data, "status", json_string("bounced"));
	else if (strcmp(ev->kind, "message.dead") == 0)
		json_object_set_new(data, "status", json_string("dead"));
	else if (strcmp(ev->kind, "message.failed") == 0)
		json_object_set_new(data, "status", json_string("failed"));
	json_object_set_new(data, "case_id", json_integer(ev->case_id));
	cust = json_string(ev->customer ? ev->customer : "");
	json_object_set_new(data, "customer_id", cust ? cust : json_null());
	instant_format(ev->at, created);
	snprintf(id, sizeof(id), "evt_%.200s_%lld", slug, (long long)ev->id);
	o = json_object();
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "type", json_string(name));
	json_object_set_new(o, "created", json_string(created));
	json_object_set_new(o, "data", data);
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
				     JSON_ENSURE_ASCII);
	json_decref(o);
	if (!text)
		return err_set(e, ERR_INVALID, "webhook: building event %lld"
			       " failed", (long long)ev->id);
	*ret = text;
	return 0;
}

/* ---- fill ---------------------------------------------------------------- */

/* One chunk of events past the endpoint's cursor; *ret_more when full. */
static int fill_chunk(struct store *s, const struct tenant_rec *t,
		      struct webhook_endpoint_rec *w, instant_t now,
		      long *queued, int *ret_more, struct err *e)
{
	struct webhook_event_rec *evs = NULL;
	size_t n = 0;
	int r;

	*ret_more = 0;
	r = store_begin(s, e);
	if (r == 0)
		r = store_webhook_events(s, t->id, w->cursor_order, w->cursor,
					 FILL_CHUNK, &evs, &n, e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		const char *name = webhook_event_name(evs[i].kind);
		struct webhook_delivery_rec d;
		char *body = NULL;
		if (!name || !webhook_wants(w->events, name))
			continue;
		r = webhook_payload(t->slug, &evs[i], name, &body, e);
		if (r < 0)
			break;
		memset(&d, 0, sizeof(d));
		d.tenant_id = t->id;
		d.endpoint_id = w->id;
		d.event_id = evs[i].id;
		d.kind = (char *)name;
		d.payload = body;
		d.status = "queued";
		d.not_before = now;
		r = store_webhook_delivery_add(s, &d, now, e);
		free(body);
		(*queued)++;
	}
	if (r == 0 && n > 0)
		r = store_webhook_cursor_set(s, t->id, w->id, evs[n - 1].order,
					     evs[n - 1].id, e);
	if (r == 0)
		r = store_commit(s, e);
	else
		store_rollback(s);
	if (r == 0 && n > 0) {
		w->cursor = evs[n - 1].id;
		w->cursor_order = evs[n - 1].order;
		*ret_more = n == FILL_CHUNK;
	}
	webhook_event_list_free(evs, n);
	return r;
}

int webhook_fill(struct store *s, const struct tenant_rec *t, instant_t now,
		 long *ret_queued, struct err *e)
{
	struct webhook_endpoint_rec *list = NULL;
	size_t n = 0;
	long queued = 0;
	int r = store_webhook_endpoint_list(s, t->id, &list, &n, e);

	for (size_t i = 0; r == 0 && i < n; i++) {
		int more = 1;
		if (!list[i].active)
			continue;
		while (r == 0 && more)
			r = fill_chunk(s, t, &list[i], now, &queued, &more, e);
	}
	webhook_endpoint_list_free(list, n);
	if (r == 0)
		*ret_queued = queued;
	return r;
}

/* ---- deliver ------------------------------------------------------------- */

static void set_text(char **field, const char *v)
{
	free(*field);
	*field = xstrdup(v);
}

/* The new state of delivery d after answer `resp`. */
static void outcome(struct webhook_delivery_rec *d,
		    const struct http_client_resp *resp, instant_t now,
		    struct webhook_stats *st)
{
	char why[HTTP_CLIENT_ERROR_MAX + 32], key[320];
	int64_t wait;

	d->attempts++;
	d->response_status = (int)resp->status;
	if (resp->status >= 200 && resp->status < 300) {
		set_text(&d->status, "delivered");
		set_text(&d->last_error, "");
		d->delivered_at = now;
		st->delivered++;
		return;
	}
	if (resp->status == 0)
		snprintf(why, sizeof(why), "%s", resp->error);
	else
		snprintf(why, sizeof(why), "HTTP %ld", resp->status);
	set_text(&d->last_error, why);
	if (resp->status == 410) {
		set_text(&d->status, "failed");
		st->failed++;
		return;
	}
	if (d->attempts >= WEBHOOK_MAX_ATTEMPTS) {
		set_text(&d->status, "dead");
		st->dead++;
		return;
	}
	snprintf(key, sizeof(key), "wh-%lld-%lld", (long long)d->endpoint_id,
		 (long long)d->event_id);
	wait = outbox_backoff(d->attempts, key);
	if (resp->retry_after > wait)
		wait = resp->retry_after;
	d->not_before = now + wait;
	st->retried++;
}

/* Claim, POST and record one batch; *ret_claimed counts the claimed. */
static int one_batch(struct store *s, const struct tenant_rec *t,
		     instant_t now, struct http_client *http, int batch,
		     int lease, const char *owner, struct webhook_stats *st,
		     size_t *ret_claimed, struct err *e)
{
	struct webhook_delivery_rec *list = NULL;
	struct http_client_req *reqs = NULL;
	struct http_client_resp *resps = NULL;
	char (*lines)[3][HTTP_CLIENT_LINE_MAX] = NULL;
	size_t n = 0;
	int r;

	*ret_claimed = 0;
	r = store_begin(s, e);
	if (r == 0)
		r = store_webhook_claim(s, t->id, now, now + lease, owner, batch,
					&list, &n, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	*ret_claimed = n;
	st->claimed += (long)n;
	if (n == 0)
		return 0;

	reqs = xcalloc(n, sizeof(*reqs));
	resps = xcalloc(n, sizeof(*resps));
	lines = xcalloc(n, sizeof(*lines));
	for (size_t i = 0; i < n; i++) {
		struct webhook_delivery_rec *d = &list[i];
		char sig[WEBHOOK_SIG_MAX];
		json_t *o = json_loads(d->payload, 0, NULL);
		const char *id = json_string_value(json_object_get(o, "id"));
		r = webhook_sign(d->secret, now, d->payload, strlen(d->payload),
				 sig, e);
		snprintf(lines[i][0], HTTP_CLIENT_LINE_MAX,
			 "Dunwell-Signature: %s", r == 0 ? sig : "");
		snprintf(lines[i][1], HTTP_CLIENT_LINE_MAX,
			 "Dunwell-Event-Id: %.200s", id ? id : "");
		snprintf(lines[i][2], HTTP_CLIENT_LINE_MAX,
			 "Dunwell-Event-Type: %.100s", d->kind);
		json_decref(o);
		if (r < 0)
			break;
		reqs[i].url = d->url;
		reqs[i].content_type = "application/json";
		reqs[i].body = d->payload;
		reqs[i].body_len = strlen(d->payload);
		reqs[i].headers[0] = lines[i][0];
		reqs[i].headers[1] = lines[i][1];
		reqs[i].headers[2] = lines[i][2];
	}
	/* a failed call still leaves every response with status 0: each is
	 * then tried again later */
	if (r == 0)
		http_client_post_many(http, reqs, n, now, resps, e);
	if (r == 0)
		r = store_begin(s, e);
	for (size_t i = 0; r == 0 && i < n; i++) {
		outcome(&list[i], &resps[i], now, st);
		r = store_webhook_update(s, &list[i], owner, e);
		if (r == -ERR_CONFLICT) /* taken over: theirs now */
			r = 0;
	}
	if (r == 0)
		r = store_commit(s, e);
	else
		store_rollback(s);
	http_client_resp_free(resps, n); /* zeroed when never sent */
	explicit_bzero(lines, n * sizeof(*lines));
	free(lines);
	free(resps);
	free(reqs);
	webhook_delivery_list_free(list, n);
	return r;
}

int webhook_deliver(struct store *s, const struct tenant_rec *t,
		    instant_t now, const struct webhook_options *opt,
		    struct webhook_stats *ret, struct err *e)
{
	struct webhook_stats st;
	struct http_client *http;
	char owner[128], host[64];
	int batch = opt && opt->batch > 0 ? opt->batch : 50;
	int lease = opt && opt->lease_seconds > 0 ? opt->lease_seconds : 120;
	int timeout = opt && opt->timeout_seconds > 0 ? opt->timeout_seconds
						      : 10;
	size_t claimed = 0;
	int r;

	memset(&st, 0, sizeof(st));
	if (opt && opt->owner)
		snprintf(owner, sizeof(owner), "%s", opt->owner);
	else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "host");
		host[sizeof(host) - 1] = '\0';
		snprintf(owner, sizeof(owner), "%s:%ld", host, (long)getpid());
	}
	http = http_client_new(timeout, HTTP_CLIENT_CONNS);
	do {
		r = one_batch(s, t, now, http, batch, lease, owner, &st,
			      &claimed, e);
	} while (r == 0 && claimed == (size_t)batch);
	http_client_free(http);
	if (r == 0)
		*ret = st;
	return r;
}

int webhook_tenant(struct store *s, const struct tenant_rec *t, instant_t now,
		   const struct webhook_options *opt,
		   struct webhook_stats *ret, struct err *e)
{
	long queued = 0;
	int r = webhook_fill(s, t, now, &queued, e);

	if (r == 0)
		r = webhook_deliver(s, t, now, opt, ret, e);
	if (r == 0)
		ret->queued = queued;
	return r;
}
