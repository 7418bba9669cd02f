/*
 * console_page: the console's shared page helpers (see console_page.h).
 */
#include "console_page.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "http_client.h"
#include "money.h"
#include "portal_text.h"
#include "serve.h"

/* ---- output ------------------------------------------------------------ */

void cpage_raw(struct cpage *p, const char *s)
{
	buf_puts(p->out, s);
}

void cpage_esc(struct cpage *p, const char *s)
{
	portal_escape(p->out, s ? s : "");
}

void cpage_escf(struct cpage *p, const char *fmt, long long v)
{
	char b[32];
	snprintf(b, sizeof(b), fmt, v);
	cpage_esc(p, b);
}

static void cpage_headers(struct cpage *p)
{
	http_response_header(p->resp, "Content-Security-Policy",
			     "default-src 'none'; style-src 'self'; "
			     "img-src 'self' data:; form-action 'self'; "
			     "base-uri 'none'; frame-ancestors 'none'");
	http_response_header(p->resp, "Referrer-Policy", "no-referrer");
	http_response_header(p->resp, "X-Frame-Options", "DENY");
	http_response_header(p->resp, "Cache-Control", "no-store");
}

void cpage_begin(struct cpage *p, int status, const char *title)
{
	cpage_headers(p);
	p->resp->status = status;
	p->resp->content_type = "text/html; charset=utf-8";
	cpage_raw(p, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	       "<meta name=\"robots\" content=\"noindex\">\n<title>");
	cpage_esc(p, title);
	cpage_raw(p, " – ");
	cpage_esc(p, p->t.name);
	cpage_raw(p, " console</title>\n<link rel=\"stylesheet\" href=\"/assets/portal.css\">\n"
	       "<link rel=\"stylesheet\" href=\"/brand/");
	cpage_esc(p, p->t.slug);
	cpage_raw(p, ".css\">\n</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to the "
	       "main content</a>\n<header class=\"top\">\n<p class=\"company\">");
	cpage_esc(p, p->t.name);
	cpage_raw(p, " · collections console</p>\n");
	if (p->signed_in) {
		cpage_raw(p, "<nav aria-label=\"Console\"><ul class=\"langs\"><li><a href=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "\">Queue</a></li><li><a href=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "/reports\">Reports</a></li><li><a href=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "/strategies\">Strategies</a></li><li><a href=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "/experiments\">Experiments</a></li><li>");
		cpage_esc(p, p->op.name);
		cpage_raw(p, " (");
		cpage_esc(p, p->op.role);
		cpage_raw(p, ")</li><li><form method=\"post\" action=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" "
		       "value=\"");
		cpage_esc(p, p->csrf);
		cpage_raw(p, "\"><button type=\"submit\" class=\"link\">Sign out</button>"
		       "</form></li></ul></nav>\n");
	}
	cpage_raw(p, "</header>\n<main id=\"main\" class=\"wide\">\n");
}

void cpage_end(struct cpage *p)
{
	cpage_raw(p, "</main>\n</body>\n</html>\n");
}

void cpage_see_other(struct cpage *p, const char *location)
{
	char *loc = arena_strdup(p->req->arena, location);
	cpage_headers(p);
	http_response_header(p->resp, "Location", loc);
	p->resp->status = 303;
	p->resp->content_type = "text/plain; charset=utf-8";
	buf_puts(p->out, "See Other\n");
}

void cpage_message(struct cpage *p, int status, const char *title,
			 const char *text)
{
	cpage_begin(p, status, title);
	cpage_raw(p, "<h1>");
	cpage_esc(p, title);
	cpage_raw(p, "</h1>\n<p>");
	cpage_esc(p, text);
	cpage_raw(p, "</p>\n");
	cpage_end(p);
}

const char *cpage_money(struct cpage *p, int64_t minor, const char *cur,
			 char *buf)
{
	struct err e;
	if (i18n_money(serve_i18n(p->req), "en", minor, cur, buf, CPAGE_AMOUNT_MAX,
		       &e) < 0) {
		char tmp[MONEY_FMT_MAX];
		money_format(minor, currency_find(cur), tmp);
		snprintf(buf, CPAGE_AMOUNT_MAX, "%s %s", cur, tmp);
	}
	return buf;
}

const char *cpage_when(instant_t t, char *buf)
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
		if (n > strlen(CPAGE_COOKIE) + 1 &&
		    strncmp(c, CPAGE_COOKIE "=", strlen(CPAGE_COOKIE) + 1) == 0) {
			size_t v = n - strlen(CPAGE_COOKIE) - 1;
			if (v < cap)
				snprintf(ret, cap, "%.*s", (int)v,
					 c + strlen(CPAGE_COOKIE) + 1);
			return;
		}
		c += n;
	}
}

void cpage_free(struct cpage *p)
{
	tenant_rec_clear(&p->t);
	operator_rec_clear(&p->op);
	sodium_memzero(p->token, sizeof(p->token));
}

/* The tenant, and (need_session) the operator. 0 to go on; otherwise
 * the answer is written. */
int cpage_open(const struct http_request *req,
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
		cpage_see_other(p, loc);
	}
	return -1;
}

/* A form field ("" when absent); -1 when malformed or too long. */
int cpage_form(const struct cpage *p, const char *name, char *buf,
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
int cpage_post_ok(struct cpage *p)
{
	char got[80];
	const char *origin = http_header(p->req, "Origin");
	const char *host = http_header(p->req, "Host");

	if (cpage_form(p, "csrf", got, sizeof(got)) < 0 || !p->csrf[0] ||
	    strlen(got) != strlen(p->csrf) ||
	    sodium_memcmp(got, p->csrf, strlen(p->csrf)) != 0) {
		cpage_message(p, 403, "Form expired",
			     "This form has expired; go back, reload the page "
			     "and try again.");
		return -1;
	}
	if (origin && strcmp(origin, "null") != 0 && host) {
		const char *o = strstr(origin, "://");
		if (!o || strcmp(o + 3, host) != 0) {
			cpage_message(p, 403, "Refused",
				     "This request came from another site.");
			return -1;
		}
	}
	return 0;
}

void cpage_hidden_csrf(struct cpage *p)
{
	cpage_raw(p, "<input type=\"hidden\" name=\"csrf\" value=\"");
	cpage_esc(p, p->csrf);
	cpage_raw(p, "\">\n");
}

