/*
 * console: the team's web console (see console.h).
 *
 * Every handler opens the page (console_open: the tenant from the path,
 * the operator from the session cookie), then reads or changes the store
 * and writes one HTML page through the helpers below; markup is only ever
 * a literal of this file and every value goes through portal_escape. A
 * change is one transaction with its case event ({"operator": id, ...}),
 * answered with a redirect (303) back to the case, so a reload never
 * repeats it. The console is in English for now (the team's language is
 * the tenant's; the catalogs of portal_text are the customer's).
 */
#include "console.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "channel.h"
#include "date.h"
#include "http_client.h"
#include "i18n.h"
#include "money.h"
#include "dispatch.h"
#include "notify.h"
#include "offer.h"
#include "plan.h"
#include "profile.h"
#include "operator.h"
#include "portal_text.h"
#include "serve.h"
#include "store.h"
#include "token.h"
#include "tz.h"

#define COOKIE "dw_console"        /* the session cookie's name */
#define FIELD_MAX 256              /* bytes of a short form field */
#define AMOUNT_MAX I18N_OUT_MAX

/* What a console page needs. */
struct cpage {
	const struct http_request *req;
	struct http_response *resp;
	struct store *s;
	struct buf *out;            /* resp->body */
	struct tenant_rec t;
	struct operator_rec op;     /* the signed-in operator */
	char token[TOKEN_BUF];      /* the session token from the cookie */
	char csrf[65];              /* the session's form token */
	char base[96];              /* "/console/<tenant>" */
	int signed_in;
};

/* ---- output ------------------------------------------------------------ */

static void raw(struct cpage *p, const char *s)
{
	buf_puts(p->out, s);
}

static void esc(struct cpage *p, const char *s)
{
	portal_escape(p->out, s ? s : "");
}

static void escf(struct cpage *p, const char *fmt, long long v)
{
	char b[32];
	snprintf(b, sizeof(b), fmt, v);
	esc(p, b);
}

static void headers(struct cpage *p)
{
	http_response_header(p->resp, "Content-Security-Policy",
			     "default-src 'none'; style-src 'self'; "
			     "img-src 'self' data:; form-action 'self'; "
			     "base-uri 'none'; frame-ancestors 'none'");
	http_response_header(p->resp, "Referrer-Policy", "no-referrer");
	http_response_header(p->resp, "X-Frame-Options", "DENY");
	http_response_header(p->resp, "Cache-Control", "no-store");
}

static void begin(struct cpage *p, int status, const char *title)
{
	headers(p);
	p->resp->status = status;
	p->resp->content_type = "text/html; charset=utf-8";
	raw(p, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<meta name=\"robots\" content=\"noindex\">\n<title>");
	esc(p, title);
	raw(p, " – ");
	esc(p, p->t.name);
	raw(p, " console</title>\n<link rel=\"stylesheet\" href=\"/assets/portal.css\">\n"
	       "<link rel=\"stylesheet\" href=\"/brand/");
	esc(p, p->t.slug);
	raw(p, ".css\">\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to the "
	       "main content</a>\n<header class=\"top\">\n<p class=\"company\">");
	esc(p, p->t.name);
	raw(p, " · collections console</p>\n");
	if (p->signed_in) {
		raw(p, "<nav aria-label=\"Console\"><ul class=\"langs\"><li><a href=\"");
		esc(p, p->base);
		raw(p, "\">Queue</a></li><li>");
		esc(p, p->op.name);
		raw(p, " (");
		esc(p, p->op.role);
		raw(p, ")</li><li><form method=\"post\" action=\"");
		esc(p, p->base);
		raw(p, "/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" "
		       "value=\"");
		esc(p, p->csrf);
		raw(p, "\"><button type=\"submit\" class=\"link\">Sign out</button>"
		       "</form></li></ul></nav>\n");
	}
	raw(p, "</header>\n<main id=\"main\" class=\"wide\">\n");
}

static void end(struct cpage *p)
{
	raw(p, "</main>\n</body>\n</html>\n");
}

static void see_other(struct cpage *p, const char *location)
{
	char *loc = arena_strdup(p->req->arena, location);
	headers(p);
	http_response_header(p->resp, "Location", loc);
	p->resp->status = 303;
	p->resp->content_type = "text/plain; charset=utf-8";
	buf_puts(p->out, "See Other\n");
}

static void message_page(struct cpage *p, int status, const char *title,
			 const char *text)
{
	begin(p, status, title);
	raw(p, "<h1>");
	esc(p, title);
	raw(p, "</h1>\n<p>");
	esc(p, text);
	raw(p, "</p>\n");
	end(p);
}

static const char *money(struct cpage *p, int64_t minor, const char *cur,
			 char *buf)
{
	struct err e;
	if (i18n_money(serve_i18n(p->req), "en", minor, cur, buf, AMOUNT_MAX,
		       &e) < 0) {
		char tmp[MONEY_FMT_MAX];
		money_format(minor, currency_find(cur), tmp);
		snprintf(buf, AMOUNT_MAX, "%s %s", cur, tmp);
	}
	return buf;
}

static const char *when(instant_t t, char *buf)
{
	if (!t) {
		buf[0] = '\0';
		return buf;
	}
	instant_format(t, buf);
	return buf;
}

/* ---- opening a page ---------------------------------------------------- */

/* The session token from the Cookie header ("" when none). */
static void cookie_token(const struct http_request *req, char *ret,
			 size_t cap)
{
	const char *c = http_header(req, "Cookie");
	ret[0] = '\0';
	while (c && *c) {
		size_t n;
		while (*c == ' ' || *c == ';')
			c++;
		n = strcspn(c, ";");
		if (n > strlen(COOKIE) + 1 &&
		    strncmp(c, COOKIE "=", strlen(COOKIE) + 1) == 0) {
			size_t v = n - strlen(COOKIE) - 1;
			if (v < cap)
				snprintf(ret, cap, "%.*s", (int)v,
					 c + strlen(COOKIE) + 1);
			return;
		}
		c += n;
	}
}

static void cpage_free(struct cpage *p)
{
	tenant_rec_clear(&p->t);
	operator_rec_clear(&p->op);
	sodium_memzero(p->token, sizeof(p->token));
}

/* The tenant, and (need_session) the operator. 0 to go on; otherwise
 * the answer is written. */
static int console_open(const struct http_request *req,
			struct http_response *resp, struct cpage *p,
			int need_session)
{
	const char *slug = http_param(req, "tenant");
	struct err e;
	int r;

	memset(p, 0, sizeof(*p));
	p->req = req;
	p->resp = resp;
	p->s = serve_store(req);
	p->out = &resp->body;
	err_clear(&e);
	r = slug && strlen(slug) <= 64 ? store_tenant_get(p->s, slug, &p->t, &e)
				       : -ERR_NOTFOUND;
	if (r < 0) {
		http_error(resp, r == -ERR_NOTFOUND ? 404 : 500,
			   r == -ERR_NOTFOUND ? "not_found" : "internal",
			   r == -ERR_NOTFOUND ? "unknown_tenant"
					      : "internal_error",
			   r == -ERR_NOTFOUND ? "There is no such tenant."
					      : "Something went wrong.");
		return -1;
	}
	snprintf(p->base, sizeof(p->base), "/console/%s", p->t.slug);
	if (!need_session)
		return 0;
	cookie_token(req, p->token, sizeof(p->token));
	if (p->token[0] &&
	    operator_session(p->s, p->token, req->now, &p->op, p->csrf, &e) ==
		    0 &&
	    p->op.tenant_id == p->t.id) {
		p->signed_in = 1;
		return 0;
	}
	{
		char loc[128];
		snprintf(loc, sizeof(loc), "%s/login", p->base);
		see_other(p, loc);
	}
	return -1;
}

/* A form field ("" when absent); -1 when malformed or too long. */
static int form(const struct cpage *p, const char *name, char *buf,
		size_t cap)
{
	struct err e;
	int r = http_client_form_get(p->req->body, p->req->body_len, name, buf,
				     cap, &e);
	if (r == -ERR_NOTFOUND) {
		buf[0] = '\0';
		return 0;
	}
	return r < 0 ? -1 : 0;
}

/* The session's CSRF token and a same-origin POST; answers 403. */
static int post_ok(struct cpage *p)
{
	char got[80];
	const char *origin = http_header(p->req, "Origin");
	const char *host = http_header(p->req, "Host");

	if (form(p, "csrf", got, sizeof(got)) < 0 || !p->csrf[0] ||
	    strlen(got) != strlen(p->csrf) ||
	    sodium_memcmp(got, p->csrf, strlen(p->csrf)) != 0) {
		message_page(p, 403, "Form expired",
			     "This form has expired; go back, reload the page "
			     "and try again.");
		return -1;
	}
	if (origin && strcmp(origin, "null") != 0 && host) {
		const char *o = strstr(origin, "://");
		if (!o || strcmp(o + 3, host) != 0) {
			message_page(p, 403, "Refused",
				     "This request came from another site.");
			return -1;
		}
	}
	return 0;
}

static void hidden_csrf(struct cpage *p)
{
	raw(p, "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(p, p->csrf);
	raw(p, "\">\n");
}

/* ---- signing in and out ------------------------------------------------ */

static void login_page(struct cpage *p, int status, const char *email,
		       const char *error)
{
	begin(p, status, "Sign in");
	raw(p, "<h1>Sign in</h1>\n<form method=\"post\" action=\"");
	esc(p, p->base);
	raw(p, "/login\" novalidate>\n");
	if (error) {
		raw(p, "<p class=\"error\" id=\"login-error\" role=\"alert\">");
		esc(p, error);
		raw(p, "</p>\n");
	}
	raw(p, "<label for=\"email\">E-mail address</label>\n<input type=\"email\" "
	       "id=\"email\" name=\"email\" autocomplete=\"username\" required "
	       "value=\"");
	esc(p, email ? email : "");
	raw(p, "\"");
	if (error)
		raw(p, " aria-describedby=\"login-error\" aria-invalid=\"true\"");
	raw(p, ">\n<label for=\"password\">Password</label>\n<input type=\"password\" "
	       "id=\"password\" name=\"password\" autocomplete=\"current-password\" "
	       "required");
	if (error)
		raw(p, " aria-describedby=\"login-error\" aria-invalid=\"true\"");
	raw(p, ">\n<button class=\"primary\" type=\"submit\">Sign in</button>\n"
	       "</form>\n");
	end(p);
}

void console_login(const struct http_request *req, struct http_response *resp)
{
	struct cpage p;
	if (console_open(req, resp, &p, 0) == 0)
		login_page(&p, 200, NULL, NULL);
	cpage_free(&p);
}

void console_login_post(const struct http_request *req,
			struct http_response *resp)
{
	struct cpage p;
	char email[FIELD_MAX], password[FIELD_MAX];
	char token[TOKEN_BUF];
	struct operator_rec op;
	struct err e;
	int r;

	if (console_open(req, resp, &p, 0) < 0)
		goto out;
	err_clear(&e);
	{
		const char *origin = http_header(req, "Origin");
		const char *host = http_header(req, "Host");
		const char *o = origin ? strstr(origin, "://") : NULL;
		if (origin && strcmp(origin, "null") != 0 && host &&
		    (!o || strcmp(o + 3, host) != 0)) {
			message_page(&p, 403, "Refused",
				     "This request came from another site.");
			goto out;
		}
	}
	if (form(&p, "email", email, sizeof(email)) < 0 ||
	    form(&p, "password", password, sizeof(password)) < 0) {
		login_page(&p, 422, "", "Wrong e-mail address or password.");
		goto out;
	}
	memset(&op, 0, sizeof(op));
	r = operator_login(p.s, p.t.id, email, password, req->remote, req->now,
			   token, &op, &e);
	sodium_memzero(password, sizeof(password));
	operator_rec_clear(&op);
	if (r == -ERR_TOOBIG) {
		login_page(&p, 429, email, e.msg);
		goto out;
	}
	if (r == -ERR_INVALID || r == -ERR_NOTFOUND) {
		login_page(&p, 422, email, "Wrong e-mail address or password.");
		goto out;
	}
	if (r < 0) {
		http_log(req, "error", "console: signing in failed");
		message_page(&p, 500, "Something went wrong",
			     "Something went wrong on our side; try again.");
		goto out;
	}
	{
		/* Secure when the console is reached over TLS (directly or
		 * through a proxy that says so). */
		const char *proto = http_header(req, "X-Forwarded-Proto");
		int secure = proto && strcmp(proto, "https") == 0;
		char *cookie = arena_alloc(req->arena, 256);
		snprintf(cookie, 256,
			 COOKIE "=%s; Path=%s; HttpOnly; SameSite=Strict%s",
			 token, p.base, secure ? "; Secure" : "");
		http_response_header(resp, "Set-Cookie", cookie);
	}
	sodium_memzero(token, sizeof(token));
	see_other(&p, p.base);
out:
	cpage_free(&p);
}

void console_logout(const struct http_request *req,
		    struct http_response *resp)
{
	struct cpage p;
	struct err e;
	char loc[128], *cookie;

	if (console_open(req, resp, &p, 1) < 0 || post_ok(&p) < 0)
		goto out;
	operator_logout(p.s, p.token, &e);
	cookie = arena_alloc(req->arena, 160);
	snprintf(cookie, 160,
		 COOKIE "=; Path=%s; HttpOnly; SameSite=Strict; Max-Age=0",
		 p.base);
	http_response_header(resp, "Set-Cookie", cookie);
	snprintf(loc, sizeof(loc), "%s/login", p.base);
	see_other(&p, loc);
out:
	cpage_free(&p);
}

/* ---- the queue --------------------------------------------------------- */

static const char *kind_label(const char *kind)
{
	static const struct { const char *k, *label; } labels[] = {
		{ "help", "Asked for help" },
		{ "callback", "Call back" },
		{ "dispute", "Disputes an invoice" },
		{ "vulnerable", "Vulnerable customer" },
		{ "broken_plan", "Plan broken" },
		{ "payment_review", "Payment to match" },
		{ "handed_to_agent", "Handed to an agent" },
	};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcmp(labels[i].k, kind) == 0)
			return labels[i].label;
	return kind;
}

void console_queue(const struct http_request *req, struct http_response *resp)
{
	struct cpage p;
	struct queue_item *items = NULL;
	size_t n = 0;
	char a[AMOUNT_MAX], w[INSTANT_FMT_MAX];
	struct err e;

	if (console_open(req, resp, &p, 1) < 0)
		goto out;
	err_clear(&e);
	if (store_queue(p.s, p.t.id, CONSOLE_QUEUE_MAX, &items, &n, &e) < 0) {
		http_log(req, "error", "console: reading the queue failed");
		message_page(&p, 500, "Something went wrong",
			     "The queue could not be read; try again.");
		goto out;
	}
	begin(&p, 200, "Queue");
	raw(&p, "<h1>Cases that need a person</h1>\n");
	if (!n) {
		raw(&p, "<p role=\"status\">Nothing waits for a person right "
			"now.</p>\n");
	} else {
		raw(&p, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
			"aria-label=\"Queue\">\n<table>\n<caption>Most urgent "
			"first</caption>\n<thead><tr><th scope=\"col\">What</th>"
			"<th scope=\"col\">Customer</th><th scope=\"col\">Since"
			"</th><th scope=\"col\">Call at</th><th scope=\"col\" "
			"class=\"num\">Open</th></tr></thead>\n<tbody>\n");
		for (size_t i = 0; i < n; i++) {
			const struct queue_item *q = &items[i];
			raw(&p, "<tr><th scope=\"row\">");
			if (q->case_id) {
				raw(&p, "<a href=\"");
				esc(&p, p.base);
				raw(&p, "/cases/");
				escf(&p, "%lld", (long long)q->case_id);
				raw(&p, "\">");
				esc(&p, kind_label(q->kind));
				raw(&p, "</a>");
			} else {
				esc(&p, kind_label(q->kind));
			}
			raw(&p, "</th><td>");
			esc(&p, q->customer_name);
			if (q->customer && *q->customer) {
				raw(&p, " (");
				esc(&p, q->customer);
				raw(&p, ")");
			}
			raw(&p, "</td><td>");
			esc(&p, when(q->since, w));
			raw(&p, "</td><td>");
			esc(&p, when(q->callback_at, w));
			raw(&p, "</td><td class=\"num\">");
			if (*q->currency)
				esc(&p, money(&p, q->open_minor, q->currency, a));
			raw(&p, "</td></tr>\n");
		}
		raw(&p, "</tbody>\n</table>\n</div>\n");
	}
	end(&p);
out:
	queue_list_free(items, n);
	cpage_free(&p);
}

/* ---- a case ------------------------------------------------------------ */

struct history_ctx {
	struct cpage *p;
	int rows;
};

static int history_row(void *vctx, const struct history_rec *h)
{
	struct history_ctx *c = vctx;
	char w[INSTANT_FMT_MAX];
	if (c->rows++ >= 500)
		return 1;
	raw(c->p, "<tr><td>");
	esc(c->p, when(h->at, w));
	raw(c->p, "</td><td>");
	esc(c->p, h->what);
	raw(c->p, "</td><td>");
	esc(c->p, h->kind);
	raw(c->p, "</td><td>");
	esc(c->p, h->step);
	raw(c->p, "</td><td>");
	esc(c->p, h->channel);
	raw(c->p, "</td><td>");
	esc(c->p, h->detail);
	raw(c->p, "</td></tr>\n");
	return 0;
}

/* One action form: a heading, fields (markup of this file), a button. */
static void action_form(struct cpage *p, int64_t case_id, const char *action,
			const char *title, const char *fields,
			const char *button)
{
	raw(p, "<form method=\"post\" action=\"");
	esc(p, p->base);
	raw(p, "/cases/");
	escf(p, "%lld", (long long)case_id);
	raw(p, "\" class=\"action\">\n<h3>");
	esc(p, title);
	raw(p, "</h3>\n");
	hidden_csrf(p);
	raw(p, "<input type=\"hidden\" name=\"action\" value=\"");
	esc(p, action);
	raw(p, "\">\n");
	raw(p, fields);
	raw(p, "<button type=\"submit\">");
	esc(p, button);
	raw(p, "</button>\n</form>\n");
}

/* Load a case and its customer; answers 404 itself. */
static int load_case(struct cpage *p, struct case_rec *k,
		     struct customer_rec *cu)
{
	const char *ids = http_param(p->req, "id");
	char *ext = NULL, *end = NULL;
	long long id = ids ? strtoll(ids, &end, 10) : 0;
	struct err e;
	int r;

	if (!ids || !*ids || *end || id <= 0) {
		message_page(p, 404, "No such case", "There is no such case.");
		return -1;
	}
	r = store_case_get(p->s, p->t.id, id, k, &e);
	if (r == 0)
		r = store_customer_external_id(p->s, p->t.id, k->customer_id,
					       &ext, &e);
	if (r == 0)
		r = store_customer_get(p->s, p->t.id, ext, cu, &e);
	free(ext);
	if (r == -ERR_NOTFOUND) {
		message_page(p, 404, "No such case", "There is no such case.");
		return -1;
	}
	if (r < 0) {
		http_log(p->req, "error", "console: reading a case failed");
		message_page(p, 500, "Something went wrong",
			     "The case could not be read; try again.");
		return -1;
	}
	return 0;
}

void console_case(const struct http_request *req, struct http_response *resp)
{
	struct cpage p;
	struct case_rec k;
	struct customer_rec cu;
	struct invoice_rec *inv = NULL;
	struct payment_rec *pays = NULL;
	struct message_rec *msgs = NULL;
	struct request_rec *reqs = NULL;
	struct case_note_rec *notes = NULL;
	size_t n_inv = 0, n_pays = 0, n_msgs = 0, n_reqs = 0, n_notes = 0;
	char a[AMOUNT_MAX], b[AMOUNT_MAX], w[INSTANT_FMT_MAX], d[DATE_FMT_MAX];
	struct history_ctx hc;
	struct err e;
	int r;

	memset(&k, 0, sizeof(k));
	memset(&cu, 0, sizeof(cu));
	if (console_open(req, resp, &p, 1) < 0 || load_case(&p, &k, &cu) < 0)
		goto out;
	err_clear(&e);
	r = store_invoices_open(p.s, p.t.id, cu.id, k.currency, &inv, &n_inv,
				&e);
	if (r == 0)
		r = store_payment_list(p.s, p.t.id, cu.id, k.currency,
				       k.st.opened_on, &pays, &n_pays, &e);
	if (r == 0)
		r = store_case_messages(p.s, p.t.id, k.id, &msgs, &n_msgs, &e);
	if (r == 0)
		r = store_request_list(p.s, p.t.id, k.id, &reqs, &n_reqs, &e);
	if (r == 0)
		r = store_case_notes(p.s, p.t.id, k.id, &notes, &n_notes, &e);
	if (r < 0) {
		http_log(req, "error", "console: reading a case failed");
		message_page(&p, 500, "Something went wrong",
			     "The case could not be read; try again.");
		goto out;
	}
	begin(&p, 200, "Case");
	raw(&p, "<h1>");
	esc(&p, cu.name);
	raw(&p, " <span class=\"tag\">");
	esc(&p, cu.external_id);
	raw(&p, "</span></h1>\n<p class=\"status\" role=\"status\">Case ");
	escf(&p, "%lld", (long long)k.id);
	raw(&p, " · ");
	esc(&p, case_status_name(k.st.status));
	raw(&p, " · strategy ");
	esc(&p, k.strategy);
	raw(&p, " · next step ");
	escf(&p, "%lld", (long long)k.st.next_step + 1);
	if (k.st.hold_reason != HOLD_NONE) {
		raw(&p, " · paused (");
		esc(&p, hold_reason_name(k.st.hold_reason));
		raw(&p, ") until ");
		if (k.st.hold_until != DATE_NONE) {
			date_format(k.st.hold_until, d);
			esc(&p, d);
		}
	}
	if (cu.vulnerable)
		raw(&p, " · vulnerable");
	if (cu.moratorium_until != DATE_NONE) {
		date_format(cu.moratorium_until, d);
		raw(&p, " · moratorium until ");
		esc(&p, d);
	}
	raw(&p, "</p>\n<h2>Customer</h2>\n<dl class=\"bank\">\n<dt>Language</dt><dd>");
	esc(&p, cu.locale);
	raw(&p, "</dd>\n<dt>Time zone</dt><dd>");
	esc(&p, cu.timezone);
	raw(&p, "</dd>\n");
	for (size_t i = 0; i < cu.n_contacts; i++) {
		raw(&p, "<dt>");
		esc(&p, channel_name(cu.contacts[i].channel));
		raw(&p, "</dt><dd>");
		esc(&p, cu.contacts[i].address);
		raw(&p, cu.contacts[i].consent ? "" : " (no consent)");
		raw(&p, "</dd>\n");
	}
	raw(&p, "</dl>\n<h2>Open invoices</h2>\n<ul>\n");
	for (size_t i = 0; i < n_inv; i++) {
		raw(&p, "<li>");
		esc(&p, inv[i].number);
		raw(&p, ", due ");
		date_format(inv[i].due_date, d);
		esc(&p, d);
		raw(&p, ": ");
		esc(&p, money(&p, inv[i].open_minor, inv[i].currency, a));
		raw(&p, " of ");
		esc(&p, money(&p, inv[i].amount_minor, inv[i].currency, b));
		if (inv[i].disputed)
			raw(&p, " (disputed)");
		raw(&p, "</li>\n");
	}
	raw(&p, "</ul>\n<h2>Payments</h2>\n<ul>\n");
	for (size_t i = 0; i < n_pays; i++) {
		raw(&p, "<li>");
		date_format(pays[i].paid_on, d);
		esc(&p, d);
		raw(&p, ": ");
		esc(&p, money(&p, pays[i].amount_minor, k.currency, a));
		raw(&p, " (");
		esc(&p, pays[i].method);
		raw(&p, ")</li>\n");
	}
	raw(&p, "</ul>\n<h2>Requests</h2>\n<ul>\n");
	for (size_t i = 0; i < n_reqs; i++) {
		raw(&p, "<li>");
		esc(&p, when(reqs[i].created_at, w));
		raw(&p, ": ");
		esc(&p, reqs[i].kind);
		raw(&p, " (");
		esc(&p, reqs[i].status);
		raw(&p, ")");
		if (*reqs[i].reason) {
			raw(&p, ", ");
			esc(&p, reqs[i].reason);
		}
		if (reqs[i].callback_at) {
			raw(&p, ", call at ");
			esc(&p, when(reqs[i].callback_at, w));
		}
		if (*reqs[i].contact_via) {
			raw(&p, ", by ");
			esc(&p, reqs[i].contact_via);
		}
		if (*reqs[i].message) {
			raw(&p, ": <q>");
			esc(&p, reqs[i].message);
			raw(&p, "</q>");
		}
		raw(&p, "</li>\n");
	}
	raw(&p, "</ul>\n<h2>Messages</h2>\n<ul>\n");
	for (size_t i = 0; i < n_msgs; i++) {
		raw(&p, "<li>");
		esc(&p, when(msgs[i].sent_at ? msgs[i].sent_at
					     : msgs[i].created_at, w));
		raw(&p, ": ");
		esc(&p, msgs[i].step);
		raw(&p, " by ");
		esc(&p, msgs[i].channel);
		raw(&p, ", ");
		esc(&p, msgs[i].status);
		if (*msgs[i].last_error) {
			raw(&p, " (");
			esc(&p, msgs[i].last_error);
			raw(&p, ")");
		}
		raw(&p, "</li>\n");
	}
	raw(&p, "</ul>\n<h2>Notes</h2>\n<ul>\n");
	for (size_t i = 0; i < n_notes; i++) {
		raw(&p, "<li>");
		esc(&p, when(notes[i].created_at, w));
		raw(&p, ", ");
		esc(&p, notes[i].author);
		raw(&p, ": ");
		esc(&p, notes[i].body);
		raw(&p, "</li>\n");
	}
	raw(&p, "</ul>\n<h2>Actions</h2>\n<div class=\"actions\">\n");
	action_form(&p, k.id, "note", "Add a note",
		    "<label for=\"note\">Note</label>\n<textarea id=\"note\" "
		    "name=\"note\" rows=\"3\" maxlength=\"4000\" required>"
		    "</textarea>\n",
		    "Add the note");
	if (k.st.status != CASE_OPEN)
		; /* a closed case has nothing to pause */
	else if (k.st.hold_reason == HOLD_NONE)
		action_form(&p, k.id, "pause", "Pause dunning",
			    "<label for=\"pause-until\">Until</label>\n<input "
			    "type=\"date\" id=\"pause-until\" name=\"until\" "
			    "required>\n",
			    "Pause");
	else
		action_form(&p, k.id, "resume", "Resume dunning", "",
			    "Resume now");
	if (k.st.status == CASE_OPEN && k.st.hold_reason != HOLD_PLAN) {
		action_form(&p, k.id, "later", "A later date, on the customer's "
			    "behalf",
			    "<label for=\"later-date\">Pays by</label>\n"
			    "<input type=\"date\" id=\"later-date\" "
			    "name=\"until\" required>\n",
			    "Agree the date");
		action_form(&p, k.id, "plan", "An instalment plan, on the "
			    "customer's behalf",
			    "<label for=\"plan-months\">Monthly payments</label>\n"
			    "<input type=\"number\" id=\"plan-months\" "
			    "name=\"months\" min=\"2\" max=\"36\" value=\"3\" "
			    "required>\n<label for=\"plan-day\">Day of the "
			    "month (31 = the last)</label>\n<input "
			    "type=\"number\" id=\"plan-day\" name=\"day\" "
			    "min=\"1\" max=\"31\" value=\"28\" required>\n",
			    "Set up the plan");
	}
	action_form(&p, k.id, "moratorium", "Moratorium (e.g. breathing space)",
		    "<label for=\"mor-until\">No contact through</label>\n"
		    "<input type=\"date\" id=\"mor-until\" name=\"until\" "
		    "required>\n",
		    "Set the moratorium");
	if (!cu.vulnerable)
		action_form(&p, k.id, "vulnerable", "Vulnerable customer",
			    "<p>Switches the customer to the gentler strategy "
			    "at the next run.</p>\n",
			    "Mark as vulnerable");
	action_form(&p, k.id, "resend", "Send the personal link again",
		    "<p>By the customer's first channel, with an offer of "
		    "help.</p>\n",
		    "Send the link");
	for (size_t i = 0; i < n_reqs; i++) {
		char title[96], fields[128];
		if (strcmp(reqs[i].status, "open") != 0)
			continue;
		snprintf(title, sizeof(title), "Request %lld (%s) dealt with",
			 (long long)reqs[i].id, reqs[i].kind);
		snprintf(fields, sizeof(fields),
			 "<input type=\"hidden\" name=\"request\" value=\"%lld\">\n",
			 (long long)reqs[i].id);
		action_form(&p, k.id, "done", title, fields, "Mark as done");
	}
	raw(&p, "</div>\n<h2>Timeline</h2>\n<div class=\"scroll\" role=\"region\" "
		"tabindex=\"0\" aria-label=\"Timeline\">\n<table>\n<caption>What "
		"happened, oldest first</caption>\n<thead><tr><th scope=\"col\">At"
		"</th><th scope=\"col\">What</th><th scope=\"col\">Kind</th><th "
		"scope=\"col\">Step</th><th scope=\"col\">Channel</th><th "
		"scope=\"col\">Detail</th></tr></thead>\n<tbody>\n");
	hc.p = &p;
	hc.rows = 0;
	store_case_history(p.s, p.t.id, k.id, history_row, &hc, &e);
	raw(&p, "</tbody>\n</table>\n</div>\n");
	end(&p);
out:
	invoice_list_free(inv, n_inv);
	payment_list_free(pays, n_pays);
	message_list_free(msgs, n_msgs);
	request_list_free(reqs, n_reqs);
	case_note_list_free(notes, n_notes);
	customer_rec_clear(&cu);
	free(k.strategy);
	cpage_free(&p);
}

/* Record a case event naming the operator (extra: more JSON members). */
static int op_event(struct cpage *p, int64_t case_id, const char *kind,
		    const char *extra, struct err *e)
{
	char detail[256];

	snprintf(detail, sizeof(detail), "{\"operator\":%lld%s%s}",
		 (long long)p->op.id, extra && *extra ? "," : "",
		 extra ? extra : "");
	return store_case_event(p->s, p->t.id, case_id, p->req->now, kind,
				detail, e);
}

static int small_number(const char *s, int lo, int hi, int *ret)
{
	char *end;
	long v;
	if (!*s)
		return -1;
	v = strtol(s, &end, 10);
	if (*end || v < lo || v > hi)
		return -1;
	*ret = (int)v;
	return 0;
}

/* A later date or a plan on the customer's behalf, checked against the
 * tenant's rules as on the customer's page (an agent may agree a second
 * later date). 0 done (committed), 1 refused (answered), < 0 failed. */
static int offer(struct cpage *p, const struct case_rec *k,
		 const struct customer_rec *cu, const char *action,
		 const char *until, struct err *e)
{
	struct offer_by by = { "agent", p->op.id };
	struct invoice_rec *inv = NULL;
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	struct plan_rules rules;
	struct profile pr;
	struct tz *zone = NULL;
	char ms[16], ds[16], msg[ERR_MSG_MAX + 64];
	date_t today, d = DATE_NONE, oldest = DATE_NONE;
	int64_t total = k->st.fees_minor;
	size_t n_inv = 0;
	int n = 0, months = 0, dom = 0, found = 0, r;

	memset(&pr, 0, sizeof(pr));
	if (k->st.status != CASE_OPEN) {
		message_page(p, 409, "The case is closed",
			     "Nothing is owed on a closed case.");
		return 1;
	}
	r = profile_load(p->s, p->t.id, p->t.name, &pr, e);
	if (r == 0)
		r = store_invoices_open(p->s, p->t.id, cu->id, k->currency,
					&inv, &n_inv, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < n_inv; i++) {
		if (money_add(total, inv[i].open_minor, &total) < 0)
			total = INT64_MAX;
		if (oldest == DATE_NONE || inv[i].due_date < oldest)
			oldest = inv[i].due_date;
	}
	if (tz_load(*cu->timezone ? cu->timezone : p->t.timezone, &zone,
		    NULL) < 0 &&
	    (r = tz_load("UTC", &zone, e)) < 0)
		goto out;
	today = tz_local_date(zone, p->req->now);
	offer_rules(&pr, currency_find(k->currency), &rules);
	rules.postpone_once = 0;
	if (*action == 'l') {
		struct err ce;
		if (date_parse(until, &d, &ce) < 0 ||
		    plan_postpone_check(today, d, oldest, &rules, 0, &ce) < 0) {
			snprintf(msg, sizeof(msg), "%s", ce.msg);
			message_page(p, 422, "Not a date that can be agreed",
				     msg);
			r = 1;
			goto out;
		}
		r = store_begin(p->s, e);
		if (r == 0)
			r = offer_later(p->s, k, cu, d, total, today,
					p->req->now, &by, &found, e);
	} else {
		struct err ce;
		if (form(p, "months", ms, sizeof(ms)) < 0 ||
		    form(p, "day", ds, sizeof(ds)) < 0 ||
		    small_number(ms, 1, PLAN_MAX_INSTALMENTS, &months) < 0 ||
		    small_number(ds, 1, 31, &dom) < 0 ||
		    plan_schedule(total, currency_find(k->currency), months,
				  dom, today, &rules, in, &n, &ce) < 0) {
			snprintf(msg, sizeof(msg), "%s",
				 months && dom ? ce.msg
					       : "Give the number of months and "
						 "the day of the month.");
			message_page(p, 422, "Not a plan that can be agreed",
				     msg);
			r = 1;
			goto out;
		}
		r = store_begin(p->s, e);
		if (r == 0)
			r = offer_plan(p->s, k, cu, total, months, dom, in, n,
				       &rules, today, p->req->now, &by, NULL,
				       e);
		if (r == -ERR_CONFLICT) {
			store_rollback(p->s);
			message_page(p, 409, "A plan is running",
				     "This case has an active plan already.");
			r = 1;
			goto out;
		}
	}
	if (r == 0)
		r = store_commit(p->s, e);
	if (r < 0)
		store_rollback(p->s);
	else
		dispatch_wake();
out:
	tz_free(zone);
	invoice_list_free(inv, n_inv);
	profile_clear(&pr);
	return r;
}

void console_case_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct cpage p;
	struct case_rec k;
	struct customer_rec cu;
	char action[32], until[FIELD_MAX], extra[128], loc[160];
	char *note = arena_alloc(req->arena, CONSOLE_NOTE_MAX + 1);
	date_t d = DATE_NONE;
	struct err e;
	int found = 0, r = 0;

	memset(&k, 0, sizeof(k));
	memset(&cu, 0, sizeof(cu));
	if (console_open(req, resp, &p, 1) < 0 || post_ok(&p) < 0 ||
	    load_case(&p, &k, &cu) < 0)
		goto out;
	err_clear(&e);
	if (form(&p, "action", action, sizeof(action)) < 0)
		action[0] = '\0';
	if (form(&p, "until", until, sizeof(until)) < 0)
		until[0] = '\0';
	extra[0] = '\0';
	if ((strcmp(action, "pause") == 0 ||
	     strcmp(action, "moratorium") == 0) &&
	    (date_parse(until, &d, &e) < 0 || d < instant_date(req->now))) {
		message_page(&p, 422, "Not a date",
			     "Give the date as YYYY-MM-DD, today or later.");
		goto out;
	}
	if (d != DATE_NONE) {
		char ds[DATE_FMT_MAX];
		date_format(d, ds);
		snprintf(extra, sizeof(extra), "\"until\":\"%s\"", ds);
	}
	if (strcmp(action, "later") == 0 || strcmp(action, "plan") == 0) {
		r = offer(&p, &k, &cu, action, until, &e);
		if (r == 1)
			goto out; /* answered: the choice was refused */
		if (r < 0)
			goto fail;
		snprintf(loc, sizeof(loc), "%s/cases/%lld", p.base,
			 (long long)k.id);
		see_other(&p, loc);
		goto out;
	}
	r = store_begin(p.s, &e);
	if (r < 0)
		goto fail;
	if (strcmp(action, "note") == 0) {
		struct case_note_rec nr;
		int64_t id = 0;
		if (form(&p, "note", note, CONSOLE_NOTE_MAX + 1) < 0 || !*note) {
			store_rollback(p.s);
			message_page(&p, 422, "Empty note",
				     "Write the note (at most 4000 "
				     "characters).");
			goto out;
		}
		memset(&nr, 0, sizeof(nr));
		nr.tenant_id = p.t.id;
		nr.case_id = k.id;
		nr.operator_id = p.op.id;
		nr.body = note;
		nr.created_at = req->now;
		r = store_case_note_add(p.s, &nr, &id, &e);
		if (r == 0)
			r = op_event(&p, k.id, "note.added", "", &e);
	} else if (strcmp(action, "pause") == 0 ||
		   strcmp(action, "resume") == 0) {
		int pause = *action == 'p';
		r = store_case_hold(p.s, p.t.id, k.id,
				    pause ? HOLD_AGENT : HOLD_NONE,
				    pause ? d : DATE_NONE, &found, &e);
		if (r == 0 && !found) {
			store_rollback(p.s);
			message_page(&p, 409, "The case is closed",
				     "A closed case cannot be paused or "
				     "resumed.");
			goto out;
		}
		if (r == 0)
			r = op_event(&p, k.id,
				     pause ? "case.paused" : "case.resumed",
				     pause ? extra : "", &e);
	} else if (strcmp(action, "moratorium") == 0 ||
		   strcmp(action, "vulnerable") == 0) {
		int64_t id = 0;
		if (*action == 'm')
			cu.moratorium_until = d;
		else
			cu.vulnerable = 1;
		r = store_customer_upsert(p.s, &cu, &id, &e);
		if (r == 0)
			r = op_event(&p, k.id,
				     *action == 'm' ? "moratorium.set"
						    : "customer.vulnerable",
				     extra, &e);
	} else if (strcmp(action, "resend") == 0) {
		char key[32];
		snprintf(key, sizeof(key), "%lld", (long long)req->now);
		r = notify_confirm(p.s, &k, &cu, "link", "help_offer", key, 0,
				   instant_date(req->now), req->now, &e);
		if (r == 0)
			r = op_event(&p, k.id, "link.resent", "", &e);
	} else if (strcmp(action, "done") == 0) {
		char rid[32], *endp = NULL;
		long long id;
		if (form(&p, "request", rid, sizeof(rid)) < 0)
			rid[0] = '\0';
		id = strtoll(rid, &endp, 10);
		if (!*rid || *endp || id <= 0) {
			store_rollback(p.s);
			message_page(&p, 422, "No such request",
				     "Choose a request of this case.");
			goto out;
		}
		r = store_request_done(p.s, p.t.id, k.id, id, req->now, &found,
				       &e);
		snprintf(extra, sizeof(extra), "\"request\":%lld", id);
		if (r == 0 && found)
			r = op_event(&p, k.id, "request.done", extra, &e);
	} else {
		store_rollback(p.s);
		message_page(&p, 422, "Unknown action",
			     "That is not an action of this page.");
		goto out;
	}
	if (r == 0)
		r = store_commit(p.s, &e);
	if (r < 0)
		goto fail;
	snprintf(loc, sizeof(loc), "%s/cases/%lld", p.base, (long long)k.id);
	see_other(&p, loc);
	goto out;
fail:
	store_rollback(p.s);
	{
		char msg[600];
		snprintf(msg, sizeof(msg), "console: %.500s", e.msg);
		http_log(req, "error", msg);
	}
	message_page(&p, 500, "Something went wrong",
		     "The change was not saved; try again.");
out:
	customer_rec_clear(&cu);
	free(k.strategy);
	cpage_free(&p);
}
