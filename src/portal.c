/*
 * portal: the customer's personal page (see portal.h).
 *
 * Each handler opens the page (page_open: token → link → tenant, profile,
 * customer, case, open invoices, language), does its work, and writes one
 * HTML page through the few helpers below: every piece of text goes
 * through portal_escape (catalog text included), markup is only ever a
 * literal of this file. Forms post back to the same path; a POST that
 * fails its checks shows the form again with the error tied to its field
 * (aria-describedby, aria-invalid) and status 422; one that succeeds
 * redirects (303) to a confirmation, so a reload never repeats it.
 */
#include "portal.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "api.h"
#include "brand.h"
#include "channel.h"
#include "charge.h"
#include "compose.h"
#include "dispatch.h"
#include "embed.h"
#include "hex.h"
#include "http_client.h"
#include "i18n.h"
#include "mem.h"
#include "money.h"
#include "notify.h"
#include "offer.h"
#include "pay.h"
#include "plan.h"
#include "portal_text.h"
#include "preview.h"
#include "profile.h"
#include "psp.h"
#include "secrets.h"
#include "qr.h"
#include "render_voice.h"
#include "serve.h"
#include "store.h"
#include "token.h"
#include "tz.h"

#define CSRF_HEX 32          /* hex characters of a form token */
#define FIELD_MAX 256        /* bytes of a short form field */
#define AMOUNT_MAX I18N_OUT_MAX
#define VOICE_MAX (8 * 1024 * 1024) /* bytes of the spoken page */

/* Unknown tokens per address: PORTAL_BAD_LOOKUPS_PER_MIN a minute. */
static struct api_rate bad_lookups;

int portal_init(struct err *e)
{
	api_rate_init(&bad_lookups, PORTAL_BAD_LOOKUPS_PER_MIN / 60.0);
	/* A minute's worth at once: a few mistyped links are fine, a scan
	 * is not. */
	bad_lookups.burst = PORTAL_BAD_LOOKUPS_PER_MIN;
	return portal_text_load(e);
}

void portal_shutdown(void)
{
	api_rate_destroy(&bad_lookups);
}

static double monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Everything a page needs, loaded by page_open. */
struct page {
	const struct http_request *req;
	struct http_response *resp;
	struct store *s;
	struct buf *out;            /* resp->body */
	char token[TOKEN_BUF];
	char hash[TOKEN_HASH_BUF];
	struct link_rec link;
	struct tenant_rec t;
	struct profile pr;
	struct customer_rec cu;
	struct case_rec k;
	struct invoice_rec *inv;    /* open invoices in the case's currency */
	size_t n_inv;
	int64_t open_minor;         /* what those invoices leave to pay */
	int64_t total_minor;        /* ... with the case's fees */
	const struct currency *cur;
	int lang;                   /* index into portal_langs */
	int plain;                  /* plain-language mode */
	const char *locale;         /* portal_langs[lang] */
	char base[8 + TOKEN_BUF];   /* "/p/<token>" */
	char q[16];                 /* "?lang=nl" when chosen by the switcher */
	char csrf[CSRF_HEX + 1];    /* this link's form token */
	date_t today;               /* the customer's local date */
	const struct tz *zone;      /* the customer's zone */
	struct tz *zone_owned;      /* loaded for this page */
	struct i18n *i18n;          /* this thread's formatters */
	int loaded;                 /* tenant..invoices are filled in */
};

/* ---- output helpers ---------------------------------------------------- */

static void raw(struct page *p, const char *markup)
{
	buf_puts(p->out, markup);
}

static void esc(struct page *p, const char *s)
{
	portal_escape(p->out, s ? s : "");
}

/* Catalog text, escaped, placeholders filled from NULL-terminated pairs. */
static void tr(struct page *p, const char *key, ...)
{
	const char *args[17];
	va_list ap;
	int n = 0;

	va_start(ap, key);
	while (n < 16) {
		const char *a = va_arg(ap, const char *);
		if (!a)
			break;
		args[n++] = a;
	}
	va_end(ap);
	args[n] = NULL;
	portal_text_put(p->out, p->lang, p->plain, key, args);
}

static const char *text(struct page *p, const char *key)
{
	return portal_text(p->lang, p->plain, key);
}

static const char *money(struct page *p, int64_t minor, char *buf)
{
	struct err e;
	if (i18n_money(p->i18n, p->locale, minor,
		       p->cur ? p->cur->code : p->k.currency, buf, AMOUNT_MAX,
		       &e) < 0) {
		char tmp[MONEY_FMT_MAX];
		money_format(minor, p->cur, tmp);
		snprintf(buf, AMOUNT_MAX, "%s %s", p->k.currency, tmp);
	}
	return buf;
}

static const char *day(struct page *p, date_t d, char *buf)
{
	struct err e;
	if (d == DATE_NONE) {
		buf[0] = '\0';
		return buf;
	}
	if (i18n_date(p->i18n, p->locale, d, I18N_DATE_LONG, buf, AMOUNT_MAX,
		      &e) < 0)
		date_format(d, buf);
	return buf;
}

/* A link to one of the case's pages, keeping the chosen language. */
static void href(struct page *p, const char *sub)
{
	esc(p, p->base);
	esc(p, sub);
	esc(p, p->q);
}

/* A data table in a region that scrolls sideways on its own on a narrow
 * screen (the page itself reflows: WCAG 1.4.10), reachable by keyboard. */
static void table_open(struct page *p, const char *caption_key)
{
	raw(p, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
	       "aria-label=\"");
	tr(p, caption_key, NULL);
	raw(p, "\">\n<table>\n<caption>");
	tr(p, caption_key, NULL);
	raw(p, "</caption>\n");
}

static void table_close(struct page *p)
{
	raw(p, "</table>\n</div>\n");
}

/* The security headers of every portal answer. `form_extra` is one more
 * origin forms may be sent to (a provider's checkout), or NULL. */
static void security_headers(struct page *p, const char *form_extra)
{
#define CSP_HEAD "default-src 'none'; style-src 'self'; img-src 'self' " \
		 "data:; media-src 'self'; form-action 'self'"
#define CSP_TAIL "; base-uri 'none'; frame-ancestors 'none'"
	const char *csp = CSP_HEAD CSP_TAIL;
	if (form_extra) {
		char *s = arena_alloc(p->req->arena, 512);
		snprintf(s, 512, "%s %.200s%s", CSP_HEAD, form_extra, CSP_TAIL);
		csp = s;
	}
	/* (X-Content-Type-Options: nosniff comes with every answer: http.c) */
	http_response_header(p->resp, "Content-Security-Policy", csp);
	http_response_header(p->resp, "Referrer-Policy", "no-referrer");
	http_response_header(p->resp, "X-Frame-Options", "DENY");
	http_response_header(p->resp, "Cache-Control", "no-store");
	http_response_header(p->resp, "Permissions-Policy",
			     "camera=(), microphone=(), geolocation=()");
}

/* The page's head, header with the company's name and the language
 * switcher, and the opening of <main>. */
static void begin(struct page *p, int status, const char *title_key)
{
	p->resp->status = status;
	p->resp->content_type = "text/html; charset=utf-8";
	raw(p, "<!doctype html>\n<html lang=\"");
	esc(p, p->locale);
	raw(p, "\">\n<head>\n<meta charset=\"utf-8\">\n"
	       "<meta name=\"viewport\" content=\"width=device-width, "
	       "initial-scale=1\">\n<meta name=\"robots\" content=\"noindex\">\n"
	       "<title>");
	tr(p, title_key, NULL);
	if (p->loaded) {
		raw(p, " – ");
		esc(p, p->t.name);
	}
	raw(p, "</title>\n<link rel=\"stylesheet\" href=\"/assets/portal.css\">\n");
	if (p->loaded) {
		raw(p, "<link rel=\"stylesheet\" href=\"/brand/");
		esc(p, p->t.slug);
		raw(p, ".css\">\n");
	}
	raw(p, "</head>\n<body>\n<a class=\"skip\" href=\"#main\">");
	tr(p, "page.skip", NULL);
	raw(p, "</a>\n<header class=\"top\">\n<p class=\"company\">");
	if (p->loaded)
		esc(p, p->t.name);
	raw(p, "</p>\n");
	if (p->loaded && p->base[0]) {
		raw(p, "<nav aria-label=\"");
		tr(p, "page.languages", NULL);
		raw(p, "\"><ul class=\"langs\">");
		for (int i = 0; i < PORTAL_LANGS; i++) {
			raw(p, "<li><a href=\"");
			esc(p, p->req->path);
			raw(p, "?lang=");
			esc(p, portal_langs[i]);
			raw(p, "\" lang=\"");
			esc(p, portal_langs[i]);
			raw(p, "\"");
			if (i == p->lang)
				raw(p, " aria-current=\"true\"");
			raw(p, ">");
			esc(p, portal_text(i, 0, "lang.name"));
			raw(p, "</a></li>");
		}
		raw(p, "</ul></nav>\n");
	}
	raw(p, "</header>\n<main id=\"main\">\n");
}

/* Close <main>; the footer: how to reach a person, free debt advice. */
static void end(struct page *p)
{
	raw(p, "</main>\n<footer class=\"bottom\">\n");
	if (p->loaded && (*p->pr.help_phone || *p->pr.phone ||
			  *p->pr.help_email || *p->pr.email)) {
		raw(p, "<h2>");
		tr(p, "footer.contact", NULL);
		raw(p, "</h2>\n<ul>");
		if (*p->pr.help_phone || *p->pr.phone) {
			raw(p, "<li>");
			tr(p, "footer.phone", "phone",
			   *p->pr.help_phone ? p->pr.help_phone : p->pr.phone,
			   NULL);
			if (*p->pr.help_hours) {
				raw(p, " (");
				esc(p, p->pr.help_hours);
				raw(p, ")");
			}
			raw(p, "</li>");
		}
		if (*p->pr.help_email || *p->pr.email) {
			raw(p, "<li>");
			tr(p, "footer.email", "email",
			   *p->pr.help_email ? p->pr.help_email : p->pr.email,
			   NULL);
			raw(p, "</li>");
		}
		raw(p, "</ul>\n");
	}
	if (p->loaded) {
		if (p->cu.country) {
			const struct debt_advice *a =
				compose_debt_advice(p->cu.country);
			if (a) {
				raw(p, "<p>");
				tr(p, "footer.advice", "name", a->name, NULL);
				raw(p, " ");
				if (*a->phone) {
					esc(p, a->phone);
					raw(p, " · ");
				}
				esc(p, a->url);
				raw(p, "</p>\n");
			}
		}
	}
	raw(p, "</footer>\n</body>\n</html>\n");
}

/* A whole page that only says something (errors, confirmations). */
static void notice(struct page *p, int status, const char *title_key,
		   const char *body_key, const char *arg_name,
		   const char *arg_value)
{
	security_headers(p, NULL);
	begin(p, status, title_key);
	raw(p, "<h1>");
	tr(p, title_key, NULL);
	raw(p, "</h1>\n<p>");
	tr(p, body_key, arg_name ? arg_name : "", arg_value ? arg_value : "",
	   NULL);
	raw(p, "</p>\n");
	if (p->loaded && p->base[0] && status < 400) {
		raw(p, "<p><a class=\"button\" href=\"");
		href(p, "");
		raw(p, "\">");
		tr(p, "page.back", NULL);
		raw(p, "</a></p>\n");
	}
	end(p);
}

/* What the customer records on their own page. */
static const struct offer_by by_customer = { "portal", 0 };

/* ---- opening a page ---------------------------------------------------- */

static void page_free(struct page *p)
{
	tenant_rec_clear(&p->t);
	profile_clear(&p->pr);
	customer_rec_clear(&p->cu);
	free(p->k.strategy);
	invoice_list_free(p->inv, p->n_inv);
	tz_free(p->zone_owned);
}

/* Answer 500 (logged without personal data). */
static void fail(struct page *p, const char *what, const struct err *e)
{
	char msg[600];
	snprintf(msg, sizeof(msg), "portal: %.60s: %.500s", what,
		 e && e->msg[0] ? e->msg : "failed");
	http_log(p->req, "error", msg);
	p->out->len = 0;
	if (p->out->data)
		p->out->data[0] = '\0';
	p->loaded = 0;
	notice(p, 500, "error.title", "error.internal", NULL, NULL);
}


/* This link's CSRF key, made on the first visit. */
static int csrf_token(struct page *p, struct err *e)
{
	unsigned char key[32];
	char hex[65], mac[65];
	int set = 0, r;

	if (!p->link.csrf_key[0]) {
		randombytes_buf(key, sizeof(key));
		for (size_t i = 0; i < sizeof(key); i++)
			snprintf(hex + 2 * i, 3, "%02x", key[i]);
		r = store_link_set_csrf(p->s, p->hash, hex, &set, e);
		if (r == 0 && !set)
			r = store_link_find(p->s, p->hash, &p->link, e);
		else if (r == 0)
			memcpy(p->link.csrf_key, hex, sizeof(hex));
		if (r < 0)
			return r;
	}
	r = hmac_sha256_hex(p->link.csrf_key, strlen(p->link.csrf_key),
			    p->hash, strlen(p->hash), mac);
	if (r < 0)
		r = err_set(e, ERR_IO, "libsodium cannot start");
	if (r == 0)
		snprintf(p->csrf, sizeof(p->csrf), "%.*s", CSRF_HEX, mac);
	return r;
}

/* Find the link and load what every page shows. Returns 0 when the page
 * may go on; otherwise the answer is written and the caller returns. */
static int page_open(const struct http_request *req,
		     struct http_response *resp, struct page *p)
{
	const char *tok = http_param(req, "token");
	const char *qlang = http_query(req, "lang");
	struct err e;
	char *ext = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	p->req = req;
	p->resp = resp;
	p->s = serve_store(req);
	p->out = &resp->body;
	p->i18n = serve_i18n(req);
	p->k.st.hold_until = DATE_NONE;
	err_clear(&e);
	if (portal_lang_index(qlang) >= 0)
		snprintf(p->q, sizeof(p->q), "?lang=%s",
			 portal_langs[portal_lang_index(qlang)]);
	/* Until the customer is known: the browser's language. */
	p->lang = portal_lang_pick(qlang, NULL,
				   http_header(req, "Accept-Language"), NULL);
	p->locale = portal_langs[p->lang];

	if (!tok || token_parse(tok, strlen(tok), p->token, &e) < 0 ||
	    token_hash(p->token, p->hash, &e) < 0 ||
	    (r = store_link_find(p->s, p->hash, &p->link, &e)) ==
		    -ERR_NOTFOUND) {
		int retry = 0;
		if (api_rate_take(&bad_lookups, req->remote, monotonic(),
				  &retry) < 0) {
			char *ra = arena_alloc(req->arena, 16);
			snprintf(ra, 16, "%d", retry);
			http_response_header(resp, "Retry-After", ra);
			notice(p, 429, "error.title", "error.slow_down", NULL,
			       NULL);
			return -1;
		}
		notice(p, 404, "error.title", "error.no_link", NULL, NULL);
		return -1;
	}
	if (r < 0) {
		fail(p, "finding a link", &e);
		return -1;
	}
	snprintf(p->base, sizeof(p->base), "/p/%s", p->token);
	r = store_tenant_by_id(p->s, p->link.tenant_id, &p->t, &e);
	if (r == 0)
		r = profile_load(p->s, p->t.id, p->t.name, &p->pr, &e);
	if (r == 0)
		r = store_customer_external_id(p->s, p->t.id,
					       p->link.customer_id, &ext, &e);
	if (r == 0)
		r = store_customer_get(p->s, p->t.id, ext, &p->cu, &e);
	free(ext);
	if (r == 0)
		r = store_case_get(p->s, p->t.id, p->link.case_id, &p->k, &e);
	if (r < 0) {
		fail(p, "loading a case", &e);
		return -1;
	}
	p->loaded = 1;
	p->lang = portal_lang_pick(qlang, p->cu.locale,
				   http_header(req, "Accept-Language"),
				   p->t.locale);
	p->locale = portal_langs[p->lang];
	/* Plain language: the switch's choice, else the customer's flag. */
	p->plain = http_query(req, "plain")
			   ? strcmp(http_query(req, "plain"), "1") == 0
			   : p->cu.plain_language;
	if (p->link.revoked_at || req->now >= p->link.expires_at) {
		notice(p, 410, "error.title", "error.expired", "company",
		       p->t.name);
		return -1;
	}
	if (tz_load(*p->cu.timezone ? p->cu.timezone : p->t.timezone,
		    &p->zone_owned, NULL) < 0 &&
	    tz_load("UTC", &p->zone_owned, &e) < 0) {
		fail(p, "loading a time zone", &e);
		return -1;
	}
	p->zone = p->zone_owned;
	p->today = tz_local_date(p->zone, req->now);
	p->cur = currency_find(p->k.currency);
	r = store_invoices_open(p->s, p->t.id, p->cu.id, p->k.currency,
				&p->inv, &p->n_inv, &e);
	if (r == 0)
		r = csrf_token(p, &e);
	if (r < 0) {
		fail(p, "loading invoices", &e);
		return -1;
	}
	for (size_t i = 0; i < p->n_inv; i++)
		if (!p->inv[i].written_off &&
		    money_add(p->open_minor, p->inv[i].open_minor,
			      &p->open_minor) < 0)
			p->open_minor = INT64_MAX;
	p->total_minor = p->open_minor;
	if (p->k.st.status == CASE_OPEN &&
	    money_add(p->total_minor, case_fees_open(&p->k), &p->total_minor) <
		    0)
		p->total_minor = INT64_MAX;
	return 0;
}

/* ---- forms ------------------------------------------------------------- */

/* A field of the posted form ("" when absent); -1 when malformed. */
static int form(struct page *p, const char *name, char *buf, size_t cap)
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

/* The CSRF token and the Origin of a POST; answers 403 itself. */
static int post_ok(struct page *p)
{
	char got[CSRF_HEX + 8];
	const char *origin = http_header(p->req, "Origin");
	const char *host = http_header(p->req, "Host");

	if (form(p, "csrf", got, sizeof(got)) < 0 ||
	    strlen(got) != CSRF_HEX ||
	    sodium_memcmp(got, p->csrf, CSRF_HEX) != 0) {
		notice(p, 403, "error.title", "error.form_expired", NULL,
		       NULL);
		return -1;
	}
	if (origin && strcmp(origin, "null") != 0 && host) {
		const char *o = strstr(origin, "://");
		if (!o || strcmp(o + 3, host) != 0) {
			notice(p, 403, "error.title", "error.form_expired",
			       NULL, NULL);
			return -1;
		}
	}
	return 0;
}

static void form_open(struct page *p, const char *sub)
{
	raw(p, "<form method=\"post\" action=\"");
	href(p, sub);
	raw(p, "\" novalidate>\n<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(p, p->csrf);
	raw(p, "\">\n");
}

/* The error of a field, tied to it by id "<name>-error". */
static void field_error(struct page *p, const char *name, const char *msg)
{
	if (!msg)
		return;
	raw(p, "<p class=\"error\" id=\"");
	esc(p, name);
	raw(p, "-error\">");
	esc(p, msg);
	raw(p, "</p>\n");
}

static void invalid_attrs(struct page *p, const char *name, const char *msg)
{
	if (!msg)
		return;
	raw(p, " aria-invalid=\"true\" aria-describedby=\"");
	esc(p, name);
	raw(p, "-error\"");
}

/* A labelled date field "date" between min and max, with its error. */
static void date_field(struct page *p, const char *label_key, date_t min,
		       date_t max, const char *value, const char *error)
{
	char lo[DATE_FMT_MAX], hi[DATE_FMT_MAX];

	date_format(min, lo);
	date_format(max, hi);
	raw(p, "<label for=\"date\">");
	tr(p, label_key, NULL);
	raw(p, "</label>\n");
	field_error(p, "date", error);
	raw(p, "<input type=\"date\" id=\"date\" name=\"date\" required min=\"");
	esc(p, lo);
	raw(p, "\" max=\"");
	esc(p, hi);
	raw(p, "\" value=\"");
	esc(p, value ? value : "");
	raw(p, "\"");
	invalid_attrs(p, "date", error);
	raw(p, ">\n");
}

/* The start of a form page: headers, the heading, an optional
 * introduction, and the form posting to `sub` of the case. */
static void form_page(struct page *p, int status, const char *title_key,
		      const char *intro_key, const char *sub)
{
	security_headers(p, NULL);
	begin(p, status, title_key);
	raw(p, "<h1>");
	tr(p, title_key, NULL);
	raw(p, "</h1>\n");
	if (intro_key) {
		raw(p, "<p>");
		tr(p, intro_key, NULL);
		raw(p, "</p>\n");
	}
	form_open(p, sub);
}

/* The submit button, the end of the form, a way back, the page's end. */
static void form_close(struct page *p, const char *button_key)
{
	raw(p, "<button class=\"primary\" type=\"submit\">");
	tr(p, button_key, NULL);
	raw(p, "</button>\n</form>\n<p><a href=\"");
	href(p, "");
	raw(p, "\">");
	tr(p, "page.back", NULL);
	raw(p, "</a></p>\n");
	end(p);
}

/* Commit what a page changed and wake the server's dispatch loop, so
 * that the tenant's webhooks and the customer's confirmation go out at
 * once (dispatch_wake). */
static int commit(struct store *s, struct err *e)
{
	int r = store_commit(s, e);
	if (r == 0)
		dispatch_wake();
	return r;
}

/* Redirect (303) to a page of this case after a POST. */
static void see_other(struct page *p, const char *sub)
{
	char *loc = arena_alloc(p->req->arena, 256);
	/* p->q is "?lang=xx": after a query of its own it joins with '&'. */
	snprintf(loc, 256, "%s%s%s%s", p->base, sub,
		 p->q[0] && strchr(sub, '?') ? "&" : "",
		 p->q[0] && strchr(sub, '?') ? p->q + 1 : p->q);
	http_response_header(p->resp, "Location", loc);
	security_headers(p, NULL);
	p->resp->status = 303;
	p->resp->content_type = "text/plain; charset=utf-8";
	buf_puts(p->out, "See Other\n");
}

/* Record one event in the case's log. */
static int case_event(struct page *p, const char *kind, const char *detail,
		      struct err *e)
{
	return store_case_event(p->s, p->t.id, p->k.id, p->req->now, kind,
				detail, e);
}

/* The case is open and owes something: the customer may act. Otherwise
 * answers with a notice and returns -1. */
static int actionable(struct page *p)
{
	if (p->k.st.status != CASE_OPEN || p->total_minor <= 0) {
		notice(p, 409, "case.nothing_title", "case.nothing", NULL,
		       NULL);
		return -1;
	}
	return 0;
}

/* ---- the case page ----------------------------------------------------- */

static void status_line(struct page *p)
{
	char d[AMOUNT_MAX];
	const char *key = NULL;

	switch (p->k.st.hold_reason) {
	case HOLD_POSTPONED:
	case HOLD_PROMISE: key = "case.hold_later"; break;
	case HOLD_PLAN: key = "case.hold_plan"; break;
	case HOLD_DISPUTE: key = "case.hold_dispute"; break;
	case HOLD_AGENT: key = "case.hold_agent"; break;
	default: break;
	}
	if (!key || p->k.st.hold_until == DATE_NONE ||
	    p->k.st.hold_until < p->today)
		return;
	raw(p, "<p class=\"status\" role=\"status\">");
	tr(p, key, "date", day(p, p->k.st.hold_until, d), NULL);
	raw(p, "</p>\n");
}

/* A failed automatic payment (charge.h): what happened, when it is tried
 * again, and (when the provider can) a way to give another card or
 * account. */
static void charge_section(struct page *p, const struct charge_notice *n)
{
	char a[AMOUNT_MAX], d1[AMOUNT_MAX], d2[AMOUNT_MAX];

	raw(p, "<section class=\"notice\" aria-labelledby=\"charge-title\">\n"
	       "<h2 id=\"charge-title\">");
	tr(p, "charge.title", NULL);
	raw(p, "</h2>\n<p>");
	if (n->hard || n->next_attempt_on == DATE_NONE)
		tr(p, "charge.hard", "amount", money(p, n->amount_minor, a),
		   "date", day(p, n->failed_on, d1), NULL);
	else
		tr(p, "charge.soft", "amount", money(p, n->amount_minor, a),
		   "date", day(p, n->failed_on, d1), "next",
		   day(p, n->next_attempt_on, d2), NULL);
	raw(p, "</p>\n");
	if (n->can_update) {
		form_open(p, "/method");
		raw(p, "<button type=\"submit\" class=\"button primary\">");
		tr(p, "charge.update", NULL);
		raw(p, "</button>\n</form>\n");
	}
	raw(p, "</section>\n");
}

static void invoice_table(struct page *p)
{
	char a[AMOUNT_MAX], b[AMOUNT_MAX], c[AMOUNT_MAX], d[AMOUNT_MAX];

	table_open(p, "case.invoices");
	raw(p, "<thead><tr><th scope=\"col\">");
	tr(p, "case.col_number", NULL);
	raw(p, "</th><th scope=\"col\">");
	tr(p, "case.col_due", NULL);
	raw(p, "</th><th scope=\"col\" class=\"num\">");
	tr(p, "case.col_amount", NULL);
	raw(p, "</th><th scope=\"col\" class=\"num\">");
	tr(p, "case.col_paid", NULL);
	raw(p, "</th><th scope=\"col\" class=\"num\">");
	tr(p, "case.col_left", NULL);
	raw(p, "</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < p->n_inv; i++) {
		const struct invoice_rec *v = &p->inv[i];
		raw(p, "<tr><th scope=\"row\">");
		esc(p, v->number && *v->number ? v->number : v->external_id);
		if (v->disputed) {
			raw(p, " <span class=\"tag\">");
			tr(p, "case.disputed", NULL);
			raw(p, "</span>");
		}
		if (v->document_url && *v->document_url) {
			/* The tenant's copy of the invoice, on its own site:
			 * checked as a web address where it came in. */
			raw(p, "<br><a class=\"copy\" rel=\"noreferrer\" href=\"");
			esc(p, v->document_url);
			raw(p, "\">");
			tr(p, "case.invoice_copy", "number",
			   v->number && *v->number ? v->number : v->external_id,
			   NULL);
			raw(p, "</a>");
		}
		raw(p, "</th><td>");
		esc(p, day(p, v->due_date, d));
		raw(p, "</td><td class=\"num\">");
		esc(p, money(p, v->amount_minor, a));
		raw(p, "</td><td class=\"num\">");
		esc(p, money(p, v->amount_minor - v->open_minor, b));
		raw(p, "</td><td class=\"num\">");
		esc(p, money(p, v->open_minor, c));
		raw(p, "</td></tr>\n");
	}
	if (p->k.st.status == CASE_OPEN && case_fees_open(&p->k) > 0) {
		raw(p, "<tr><th scope=\"row\" colspan=\"4\">");
		tr(p, "case.fees", NULL);
		raw(p, "</th><td class=\"num\">");
		esc(p, money(p, case_fees_open(&p->k), a));
		raw(p, "</td></tr>\n");
	}
	raw(p, "</tbody>\n<tfoot><tr><th scope=\"row\" colspan=\"4\">");
	tr(p, "case.total", NULL);
	raw(p, "</th><td class=\"num\">");
	esc(p, money(p, p->total_minor, a));
	raw(p, "</td></tr></tfoot>\n");
	table_close(p);
}

/* The ways out, as a list of links. */
static void choices(struct page *p, int have_plan)
{
	raw(p, "<h2 id=\"choices\">");
	tr(p, "case.choices", NULL);
	raw(p, "</h2>\n<ul class=\"choices\" aria-labelledby=\"choices\">\n");
	raw(p, "<li><a class=\"button primary\" href=\"");
	href(p, "/pay");
	raw(p, "\">");
	tr(p, "case.pay", NULL);
	raw(p, "</a></li>\n");
	if (p->pr.postpone_days > 0 && p->k.st.hold_reason == HOLD_NONE) {
		raw(p, "<li><a class=\"button\" href=\"");
		href(p, "/later");
		raw(p, "\">");
		tr(p, "case.later", NULL);
		raw(p, "</a></li>\n");
	}
	if (p->pr.plan_max_months >= 2 && !have_plan) {
		raw(p, "<li><a class=\"button\" href=\"");
		href(p, "/plan");
		raw(p, "\">");
		tr(p, "case.plan", NULL);
		raw(p, "</a></li>\n");
	}
	raw(p, "<li><a class=\"button\" href=\"");
	href(p, "/help");
	raw(p, "\">");
	tr(p, "case.help", NULL);
	raw(p, "</a></li>\n<li><a class=\"button\" href=\"");
	href(p, "/callback");
	raw(p, "\">");
	tr(p, "case.callback", NULL);
	raw(p, "</a></li>\n<li><a class=\"button\" href=\"");
	href(p, "/dispute");
	raw(p, "\">");
	tr(p, "case.dispute", NULL);
	raw(p, "</a></li>\n</ul>\n");
}

static void plan_section(struct page *p, const struct plan_rec *pl)
{
	char a[AMOUNT_MAX], d[AMOUNT_MAX];
	int64_t paid = pl->paid_minor;

	raw(p, "<h2>");
	tr(p, "case.plan_title", NULL);
	raw(p, "</h2>\n");
	table_open(p, "plan.schedule");
	raw(p, "<thead><tr><th scope=\"col\">");
	tr(p, "plan.col_n", NULL);
	raw(p, "</th><th scope=\"col\">");
	tr(p, "plan.col_due", NULL);
	raw(p, "</th><th scope=\"col\" class=\"num\">");
	tr(p, "plan.col_amount", NULL);
	raw(p, "</th><th scope=\"col\">");
	tr(p, "plan.col_state", NULL);
	raw(p, "</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < pl->n_instalments; i++) {
		const struct plan_instalment_rec *in = &pl->instalments[i];
		char n[16];
		int settled = paid >= in->amount_minor;
		paid = settled ? paid - in->amount_minor : 0;
		snprintf(n, sizeof(n), "%d", in->n);
		raw(p, "<tr><th scope=\"row\">");
		esc(p, n);
		raw(p, "</th><td>");
		esc(p, day(p, in->due_on, d));
		raw(p, "</td><td class=\"num\">");
		esc(p, money(p, in->amount_minor, a));
		raw(p, "</td><td>");
		tr(p, settled ? "plan.paid" : "plan.open", NULL);
		raw(p, "</td></tr>\n");
	}
	raw(p, "</tbody>\n");
	table_close(p);
}


/* ---- the case page cache ----------------------------------------------- */

/*
 * The case page is what every message links to, so it is read far more
 * often than anything on it changes. Each server thread keeps the pages it
 * rendered, keyed by the link, the query string and Accept-Language, and
 * serves one again only while nothing can have changed: no other
 * connection committed since (store_data_version, SQLite's data_version),
 * this process wrote nothing (store_write_count), the customer's local
 * day is the same and the link has not expired. The data version is read
 * at most every PORTAL_CACHE_CHECK_MS per thread (each read takes a lock
 * on the database file): a commit by another process (a run, an import)
 * shows on the page within that time; this process's own writes (the
 * customer's forms, payments, the API) at once. On PostgreSQL, which has
 * no such cheap version, nothing is cached. Measured in bench/portal.sh.
 */
#define PORTAL_CACHE_CHECK_MS 100
#define PORTAL_CACHE_SLOTS 256        /* pages per thread */
#define PORTAL_CACHE_KEY_MAX 256      /* bytes of query + Accept-Language */

struct cache_entry {
	char token[TOKEN_BUF];        /* the link's token; "" = free (kept
					 in memory only, as requests carry
					 it: a hit compares it in constant
					 time instead of hashing it again) */
	char key[PORTAL_CACHE_KEY_MAX]; /* query string and Accept-Language */
	int64_t data_version;         /* store_data_version when rendered */
	long writes;                  /* store_write_count when rendered */
	instant_t valid_until;        /* local midnight or the link's expiry */
	struct buf body;              /* the page */
};

struct portal_cache {
	struct cache_entry slot[PORTAL_CACHE_SLOTS];
	int64_t data_version;         /* as last read */
	double checked_at;            /* when (monotonic seconds); 0 never */
};

struct portal_cache *portal_cache_new(void)
{
	struct portal_cache *c = xcalloc(1, sizeof(*c));
	for (size_t i = 0; i < PORTAL_CACHE_SLOTS; i++)
		buf_init(&c->slot[i].body, PORTAL_PAGE_MAX);
	return c;
}

void portal_cache_free(struct portal_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < PORTAL_CACHE_SLOTS; i++)
		buf_free(&c->slot[i].body);
	free(c);
}

/* The request's cache key ("query|Accept-Language"); 0 when it is too
 * long to cache. */
static int cache_key(const struct http_request *req, char *key, size_t cap)
{
	const char *al = http_header(req, "Accept-Language");
	const char *q = req->query_raw ? req->query_raw : "";
	size_t ql = strlen(q), al_len = al ? strlen(al) : 0;

	if (ql + 1 + al_len >= cap)
		return 0;
	memcpy(key, q, ql);
	key[ql] = '|';
	memcpy(key + ql + 1, al ? al : "", al_len);
	key[ql + 1 + al_len] = '\0';
	return 1;
}

static struct cache_entry *cache_slot(struct portal_cache *c,
				      const char *token, const char *key)
{
	uint32_t h = 2166136261u;
	for (const char *s = token; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	for (const char *s = key; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return &c->slot[h % PORTAL_CACHE_SLOTS];
}

/* The store's state now, as the cache compares it; -1 when unknown. */
static int cache_version(struct portal_cache *c, struct store *s,
			 int64_t *ret_dv, long *ret_w)
{
	double now = monotonic();
	/* This process's writes first: a write between two reads of the
	 * data version is then never missed. */
	*ret_w = store_write_count(s);
	if (!c->checked_at || now - c->checked_at >=
				      PORTAL_CACHE_CHECK_MS / 1000.0) {
		if (store_data_version(s, &c->data_version, NULL) < 0)
			return -1;
		c->checked_at = now;
	}
	*ret_dv = c->data_version;
	return 0;
}

/* Serve the case page from the cache when it may be; 1 when served. */
static int cache_serve(const struct http_request *req,
		       struct http_response *resp)
{
	struct portal_cache *c = serve_portal_cache(req);
	const char *tok = http_param(req, "token");
	char token[TOKEN_BUF], key[PORTAL_CACHE_KEY_MAX];
	struct cache_entry *x;
	struct page p;
	int64_t dv;
	long w;

	if (!c || !tok || !cache_key(req, key, sizeof(key)) ||
	    token_parse(tok, strlen(tok), token, NULL) < 0)
		return 0;
	x = cache_slot(c, token, key);
	/* The token is the credential: compared in constant time. */
	if (!x->token[0] || sodium_memcmp(x->token, token, TOKEN_LEN) != 0 ||
	    strcmp(x->key, key) != 0 ||
	    req->now >= x->valid_until ||
	    cache_version(c, serve_store(req), &dv, &w) < 0 ||
	    dv != x->data_version || w != x->writes)
		return 0;
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.resp = resp;
	security_headers(&p, NULL);
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	buf_append(&resp->body, x->body.data, x->body.len);
	return 1;
}

/* Keep a freshly rendered case page (rendered after *dv and *w were
 * read). */
static void cache_store(const struct page *p, int64_t dv, long w)
{
	struct portal_cache *c = serve_portal_cache(p->req);
	const char *tok = http_param(p->req, "token");
	char key[PORTAL_CACHE_KEY_MAX], token[TOKEN_BUF];
	struct cache_entry *x;
	instant_t midnight;

	if (!c || p->resp->status != 200 || !tok ||
	    token_parse(tok, strlen(tok), token, NULL) < 0 ||
	    !cache_key(p->req, key, sizeof(key)))
		return;
	x = cache_slot(c, token, key);
	x->token[0] = '\0';
	buf_reset(&x->body);
	if (buf_append(&x->body, p->out->data, p->out->len) < 0)
		return;
	midnight = instant_from_date(p->today + 1);
	midnight -= tz_offset(p->zone, midnight);
	memcpy(x->token, token, TOKEN_BUF);
	snprintf(x->key, sizeof(x->key), "%s", key);
	x->data_version = dv;
	x->writes = w;
	x->valid_until = midnight < p->link.expires_at ? midnight
						       : p->link.expires_at;
}

/*
 * Portal visits for the reports (store_portal_visit: one row per case and
 * day). The row is written once per case and day by this process: a
 * process-wide set of the cases seen today (cleared when the day changes,
 * or when it fills: the store ignores a repeat), so that visits do not
 * write on every view: every write would invalidate the page cache of
 * every thread.
 */
#define VISIT_SLOTS 65536 /* a power of two; cleared at 3/4 full */
static struct {
	pthread_mutex_t lock;
	date_t day;              /* the day the set is for */
	size_t n;                /* cases in it */
	int64_t slot[VISIT_SLOTS]; /* case ids; 0 = free */
} visits = { .lock = PTHREAD_MUTEX_INITIALIZER, .day = DATE_NONE };

/* Whether case_id was seen on `day` already; remembers it when not. */
static int visit_seen(int64_t case_id, date_t day)
{
	size_t i = (size_t)((uint64_t)case_id * 0x9E3779B97F4A7C15u) &
		   (VISIT_SLOTS - 1);
	int seen = 0;

	pthread_mutex_lock(&visits.lock);
	if (visits.day != day || visits.n >= VISIT_SLOTS / 4 * 3) {
		memset(visits.slot, 0, sizeof(visits.slot));
		visits.n = 0;
		visits.day = day;
	}
	for (;; i = (i + 1) & (VISIT_SLOTS - 1)) {
		if (visits.slot[i] == case_id) {
			seen = 1;
			break;
		}
		if (visits.slot[i] == 0) {
			visits.slot[i] = case_id;
			visits.n++;
			break;
		}
	}
	pthread_mutex_unlock(&visits.lock);
	return seen;
}

/* Record the page's visit the first time today; 1 when written. A failure
 * is logged, never shown: the customer's page matters more. */
static int visit_record(struct page *p)
{
	struct err e;
	date_t day = p->today;

	if (visit_seen(p->k.id, day))
		return 0;
	err_clear(&e);
	if (store_portal_visit(p->s, p->t.id, p->k.id, day, &e) < 0) {
		http_log(p->req, "error", "portal: recording a visit failed");
		return 0;
	}
	return 1;
}

void portal_case(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct payment_rec *pays = NULL;
	struct message_rec *msgs = NULL;
	struct request_rec *reqs = NULL;
	struct plan_rec pl;
	size_t n_pays = 0, n_msgs = 0, n_reqs = 0;
	char a[AMOUNT_MAX], d[AMOUNT_MAX], n[32];
	struct err e;
	int have_plan = 0, failing = 0, cacheable, r;
	int64_t dv = 0, credit = 0;
	struct charge_notice cn;
	long w = 0;

	if (cache_serve(req, resp))
		return;
	/* The cache's version is read before anything the page shows. */
	cacheable = serve_portal_cache(req) &&
		    cache_version(serve_portal_cache(req), serve_store(req),
				  &dv, &w) == 0;
	if (page_open(req, resp, &p) < 0)
		goto out;
	/* The first view today writes the visit, which changes the version:
	 * read both again after it. */
	if (visit_record(&p)) {
		page_free(&p);
		cacheable = serve_portal_cache(req) &&
			    cache_version(serve_portal_cache(req),
					  serve_store(req), &dv, &w) == 0;
		if (page_open(req, resp, &p) < 0)
			goto out;
	}
	err_clear(&e);
	memset(&pl, 0, sizeof(pl));
	r = store_payment_list(p.s, p.t.id, p.cu.id, p.k.currency,
			       p.k.st.opened_on, &pays, &n_pays, &e);
	if (r == 0)
		r = store_case_messages(p.s, p.t.id, p.k.id, &msgs, &n_msgs, &e);
	if (r == 0) /* what overpayments left: the customer's credit */
		r = store_customer_credit(p.s, p.t.id, p.cu.id, p.k.currency,
					  &credit, &e);
	if (r == 0 && p.k.st.status == CASE_OPEN)
		r = charge_failing(p.s, p.t.id, p.k.id, &cn, &failing, &e);
	if (r == 0)
		r = store_request_list(p.s, p.t.id, p.k.id, &reqs, &n_reqs, &e);
	if (r == 0) {
		r = store_plan_active(p.s, p.t.id, p.k.id, &pl, &e);
		have_plan = r == 0;
		if (r == -ERR_NOTFOUND)
			r = 0;
	}
	if (r < 0) {
		fail(&p, "loading the case page", &e);
		goto done;
	}
	security_headers(&p, NULL);
	begin(&p, 200, "case.title");
	raw(&p, "<h1>");
	tr(&p, "case.hello", "name", p.cu.name, NULL);
	raw(&p, "</h1>\n");
	if (p.k.st.status != CASE_OPEN || p.total_minor <= 0) {
		raw(&p, "<p class=\"status\" role=\"status\">");
		tr(&p, "case.paid", "company", p.t.name, NULL);
		raw(&p, "</p>\n");
	} else {
		snprintf(n, sizeof(n), "%zu", p.n_inv);
		raw(&p, "<p class=\"summary\">");
		tr(&p, p.n_inv == 1 ? "case.summary_one" : "case.summary",
		   "count", n, "amount", money(&p, p.total_minor, a),
		   "company", p.t.name, NULL);
		raw(&p, "</p>\n");
		status_line(&p);
		if (failing)
			charge_section(&p, &cn);
		choices(&p, have_plan);
	}
	if (credit > 0) {
		raw(&p, "<p class=\"status\">");
		tr(&p, "case.credit", "amount", money(&p, credit, a), "company",
		   p.t.name, NULL);
		raw(&p, "</p>\n");
	}
	if (p.n_inv)
		invoice_table(&p);
	if (have_plan)
		plan_section(&p, &pl);
	if (n_reqs) {
		raw(&p, "<h2>");
		tr(&p, "case.requests", NULL);
		raw(&p, "</h2>\n<ul>\n");
		for (size_t i = 0; i < n_reqs; i++) {
			char key[48];
			snprintf(key, sizeof(key), "request.%s_%s",
				 reqs[i].kind, reqs[i].status);
			raw(&p, "<li>");
			tr(&p, key, "date",
			   day(&p, tz_local_date(p.zone, reqs[i].created_at),
			       d),
			   NULL);
			raw(&p, "</li>\n");
		}
		raw(&p, "</ul>\n");
	}
	if (n_pays) {
		raw(&p, "<h2>");
		tr(&p, "case.payments", NULL);
		raw(&p, "</h2>\n<ul>\n");
		for (size_t i = 0; i < n_pays; i++) {
			raw(&p, "<li>");
			tr(&p, "case.payment", "date",
			   day(&p, pays[i].paid_on, d), "amount",
			   money(&p, pays[i].amount_minor, a), NULL);
			raw(&p, "</li>\n");
		}
		raw(&p, "</ul>\n");
	}
	if (n_msgs) {
		int shown = 0;
		for (size_t i = 0; i < n_msgs; i++) {
			char key[48];
			if (!msgs[i].sent_at)
				continue;
			if (!shown++) {
				raw(&p, "<h2>");
				tr(&p, "case.messages", NULL);
				raw(&p, "</h2>\n<ul>\n");
			}
			snprintf(key, sizeof(key), "channel.%s",
				 msgs[i].channel);
			raw(&p, "<li>");
			tr(&p, "case.message", "date",
			   day(&p, tz_local_date(p.zone, msgs[i].sent_at), d),
			   "channel", text(&p, key), NULL);
			raw(&p, "</li>\n");
		}
		if (shown)
			raw(&p, "</ul>\n");
	}
	raw(&p, "<p><a href=\"");
	href(&p, "/listen");
	raw(&p, "\">");
	tr(&p, "case.listen", NULL);
	raw(&p, "</a>");
	for (size_t i = 0; i < n_msgs; i++)
		if (msgs[i].sent_at &&
		    strncmp(msgs[i].step, DISPATCH_CONFIRM_PREFIX,
			    strlen(DISPATCH_CONFIRM_PREFIX)) != 0) {
			/* ?what=message after the page's own query */
			raw(&p, " · <a href=\"");
			esc(&p, p.base);
			raw(&p, "/listen?what=message");
			if (p.q[0]) {
				raw(&p, "&amp;");
				esc(&p, p.q + 1);
			}
			raw(&p, "\">");
			tr(&p, "case.listen_message", NULL);
			raw(&p, "</a>");
			break;
		}
	raw(&p, " · <a href=\"");
	href(&p, "/preferences");
	raw(&p, "\">");
	tr(&p, "case.preferences", NULL);
	raw(&p, "</a> · <a href=\"");
	/* Plain language on and off (a customer flagged for it always gets
	 * it; the switch is for everyone else). */
	esc(&p, p.base);
	raw(&p, "?lang=");
	esc(&p, p.locale);
	raw(&p, p.plain ? "&amp;plain=0" : "&amp;plain=1");
	raw(&p, "\">");
	tr(&p, p.plain ? "page.plain_off" : "page.plain_on", NULL);
	raw(&p, "</a></p>\n");
	end(&p);
	/* A page written while making the link's CSRF key (first visit) is
	 * not kept: w no longer matches, so the next visit renders again. */
	if (cacheable)
		cache_store(&p, dv, w);
done:
	plan_rec_clear(&pl);
	payment_list_free(pays, n_pays);
	message_list_free(msgs, n_msgs);
	request_list_free(reqs, n_reqs);
out:
	page_free(&p);
}

/* ---- pay --------------------------------------------------------------- */

/* The case's RF reference in print form ("RF18 5390 0754 7034"). */
static int case_reference(const struct case_rec *k, char *raw_ref,
			  size_t raw_cap, char *print, size_t print_cap,
			  struct err *e)
{
	char base[24];
	int r;
	snprintf(base, sizeof(base), "%lld", (long long)k->id);
	r = rf_make(base, raw_ref, raw_cap, e);
	if (r == 0)
		r = rf_format_print(raw_ref, print, print_cap, e);
	return r;
}

static void bank_transfer(struct page *p)
{
	char ref[40], ref_print[48], a[AMOUNT_MAX];
	struct buf payload, svg;
	struct qr_code *q = NULL;
	struct err e;

	if (!*p->pr.iban)
		return;
	if (case_reference(&p->k, ref, sizeof(ref), ref_print,
			   sizeof(ref_print), &e) < 0)
		return;
	raw(p, "<section aria-labelledby=\"bank\">\n<h2 id=\"bank\">");
	tr(p, "pay.bank_title", NULL);
	raw(p, "</h2>\n<dl class=\"bank\">\n<dt>");
	tr(p, "pay.iban", NULL);
	raw(p, "</dt><dd>");
	esc(p, p->pr.iban);
	raw(p, "</dd>\n");
	if (*p->pr.bic) {
		raw(p, "<dt>");
		tr(p, "pay.bic", NULL);
		raw(p, "</dt><dd>");
		esc(p, p->pr.bic);
		raw(p, "</dd>\n");
	}
	raw(p, "<dt>");
	tr(p, "pay.beneficiary", NULL);
	raw(p, "</dt><dd>");
	esc(p, *p->pr.beneficiary ? p->pr.beneficiary : p->t.name);
	raw(p, "</dd>\n<dt>");
	tr(p, "pay.amount", NULL);
	raw(p, "</dt><dd>");
	esc(p, money(p, p->total_minor, a));
	raw(p, "</dd>\n<dt>");
	tr(p, "pay.reference", NULL);
	raw(p, "</dt><dd>");
	esc(p, ref_print);
	raw(p, "</dd>\n</dl>\n<p>");
	tr(p, "pay.reference_note", NULL);
	raw(p, "</p>\n");
	/* The EPC QR code (euro only: the standard is for SEPA transfers). */
	buf_init(&payload, EPC_PAYLOAD_MAX + 1);
	buf_init(&svg, 256 * 1024);
	if (strcmp(p->k.currency, "EUR") == 0 &&
	    p->total_minor >= EPC_AMOUNT_MIN &&
	    p->total_minor <= EPC_AMOUNT_MAX) {
		struct epc_fields f = {
			.bic = p->pr.bic,
			.name = *p->pr.beneficiary ? p->pr.beneficiary
						   : p->t.name,
			.iban = p->pr.iban,
			.amount_minor = p->total_minor,
			.reference = ref,
		};
		if (epc_payload(&f, &payload, &e) == 0 &&
		    qr_encode(buf_cstr(&payload), payload.len, QR_ECC_M, &q,
			      &e) == 0 &&
		    qr_svg(q, 4, text(p, "pay.qr_label"), &svg, &e) == 0) {
			raw(p, "<figure class=\"qr\">");
			raw(p, buf_cstr(&svg));
			raw(p, "<figcaption>");
			tr(p, "pay.qr_caption", NULL);
			raw(p, "</figcaption></figure>\n");
		}
	}
	qr_free(q);
	buf_free(&payload);
	buf_free(&svg);
	raw(p, "</section>\n");
}

/* The provider of the tenant's checkout setting: "test", "mollie",
 * "stripe", or "" when online payment is off. */
static const char *checkout_scheme(const struct page *p, char *buf,
				   size_t cap)
{
	size_t n = strcspn(p->pr.checkout, ":");
	snprintf(buf, cap, "%.*s", (int)(n < cap ? n : cap - 1),
		 p->pr.checkout);
	return buf;
}

static void pay_page(struct page *p, int status, const char *error)
{
	char a[AMOUNT_MAX], scheme[16];

	security_headers(p, NULL);
	begin(p, status, "pay.title");
	raw(p, "<h1>");
	tr(p, "pay.title", NULL);
	raw(p, "</h1>\n<p class=\"summary\">");
	tr(p, "pay.total", "amount", money(p, p->total_minor, a), NULL);
	raw(p, "</p>\n");
	field_error(p, "method", error);
	if (*checkout_scheme(p, scheme, sizeof(scheme))) {
		raw(p, "<section aria-labelledby=\"online\">\n<h2 id=\"online\">");
		tr(p, "pay.online_title", NULL);
		raw(p, "</h2>\n");
		form_open(p, "/pay");
		raw(p, "<fieldset><legend>");
		tr(p, "pay.method", NULL);
		raw(p, "</legend>\n");
		static const char *const methods[] = { "ideal", "bancontact",
						       "card" };
		for (size_t i = 0; i < 3; i++) {
			char key[32];
			snprintf(key, sizeof(key), "method.%s", methods[i]);
			raw(p, "<div class=\"choice\"><input type=\"radio\" "
			       "name=\"method\" id=\"m-");
			esc(p, methods[i]);
			raw(p, "\" value=\"");
			esc(p, methods[i]);
			raw(p, "\"");
			if (i == 0)
				raw(p, " checked");
			raw(p, "><label for=\"m-");
			esc(p, methods[i]);
			raw(p, "\">");
			tr(p, key, NULL);
			raw(p, "</label></div>\n");
		}
		raw(p, "</fieldset>\n<button class=\"primary\" type=\"submit\">");
		tr(p, "pay.go", "amount", a, NULL);
		raw(p, "</button>\n</form>\n</section>\n");
	}
	bank_transfer(p);
	raw(p, "<p><a href=\"");
	href(p, "");
	raw(p, "\">");
	tr(p, "page.back", NULL);
	raw(p, "</a></p>\n");
	end(p);
}

void portal_pay(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	if (page_open(req, resp, &p) == 0 && actionable(&p) == 0)
		pay_page(&p, 200, NULL);
	page_free(&p);
}

/* The built-in test provider: a checkout served by dunwell itself. */
static int start_test_checkout(struct page *p, const char *method,
			       char *ret_url, size_t cap, struct err *e)
{
	struct checkout_rec c;
	char id[TOKEN_BUF + 8], tok[TOKEN_BUF];
	int64_t rowid = 0;
	int r = token_new(tok, e);

	if (r < 0)
		return r;
	snprintf(id, sizeof(id), "tst_%.24s", tok);
	memset(&c, 0, sizeof(c));
	c.tenant_id = p->t.id;
	c.case_id = p->k.id;
	snprintf(c.provider, sizeof(c.provider), "test");
	c.provider_id = id;
	c.amount_minor = p->total_minor;
	memcpy(c.currency, p->k.currency, 4);
	snprintf(c.status, sizeof(c.status), "open");
	c.created_at = p->req->now;
	r = store_checkout_insert(p->s, &c, &rowid, e);
	if (r == 0)
		snprintf(ret_url, cap, "/checkout/test/%s/%s?method=%s&back=%s",
			 p->t.slug, id, method, p->base + 3);
	return r;
}

/* The origin ("https://host[:port]") of a URL, into buf. */
static void form_origin(const char *url, char *buf, size_t cap)
{
	const char *h = strstr(url, "://");
	size_t n = h ? (size_t)(h + 3 - url) + strcspn(h + 3, "/?#") : 0;
	snprintf(buf, cap, "%.*s", (int)n, url);
}

/* A checkout at the tenant's provider (Mollie, Stripe): asked for, then
 * recorded, so that the provider's webhook finds the case. */
static int start_provider_checkout(struct page *p, const char *method,
				   char *ret_url, size_t cap, struct err *e)
{
	char config[PROFILE_VALUE_MAX * 2], ref[40], ref_print[48];
	char desc[PSP_DESC_MAX + 1], key[96], redirect[512], hook[512];
	struct psp *psp = NULL;
	struct psp_checkout out;
	struct psp_checkout_req rq;
	struct checkout_rec c;
	int64_t rowid = 0;
	int r;

	/* A secret written into the setting (stored before the rule) is
	 * refused, not used. */
	r = profile_inline_secret("checkout", p->pr.checkout, e);
	if (r == 0)
		r = secrets_expand(p->pr.checkout, config, sizeof(config), e);
	if (r < 0) {
		secrets_scrub(p->pr.checkout, e->msg, sizeof(e->msg));
		return -ERR_INVALID;
	}
	r = psp_open(config, &psp, e);
	sodium_memzero(config, sizeof(config));
	if (r < 0)
		return r;
	r = case_reference(&p->k, ref, sizeof(ref), ref_print,
			   sizeof(ref_print), e);
	if (r < 0)
		goto out;
	snprintf(desc, sizeof(desc), "%.200s %s", p->t.name, ref_print);
	/* One key per case, amount and day: a double click or a retry
	 * reaches the same checkout. */
	snprintf(key, sizeof(key), "dw-%s-%lld-%lld-%d", p->t.slug,
		 (long long)p->k.id, (long long)p->total_minor, (int)p->today);
	snprintf(redirect, sizeof(redirect), "%s%s/paid?status=paid",
		 p->pr.public_url, p->base);
	snprintf(hook, sizeof(hook), "%s/v1/psp/%s/%s", p->pr.public_url,
		 p->t.slug, psp_scheme(psp));
	memset(&rq, 0, sizeof(rq));
	rq.tenant = p->t.slug;
	rq.case_id = p->k.id;
	rq.amount = p->total_minor;
	rq.currency = p->k.currency;
	rq.description = desc;
	rq.reference = ref;
	rq.locale = p->locale;
	rq.method = method;
	rq.redirect_url = redirect;
	rq.webhook_url = hook;
	rq.idempotency_key = key;
	r = psp_checkout(psp, &rq, p->req->now, &out, e);
	if (r < 0)
		goto out;
	memset(&c, 0, sizeof(c));
	c.tenant_id = p->t.id;
	c.case_id = p->k.id;
	snprintf(c.provider, sizeof(c.provider), "%s", psp_scheme(psp));
	c.provider_id = out.id;
	c.amount_minor = p->total_minor;
	memcpy(c.currency, p->k.currency, 4);
	snprintf(c.status, sizeof(c.status), "open");
	c.created_at = p->req->now;
	r = store_begin(p->s, e);
	if (r == 0) {
		struct checkout_rec old;
		/* The same idempotency key gives the same id: once. */
		if (store_checkout_find(p->s, p->t.id, c.provider, out.id,
					&old, NULL) == 0)
			checkout_rec_clear(&old);
		else
			r = store_checkout_insert(p->s, &c, &rowid, e);
	}
	if (r == 0)
		r = commit(p->s, e);
	if (r < 0) {
		store_rollback(p->s);
		r = -ERR_STORE;
		goto out;
	}
	if (strlen(out.url) >= cap) {
		r = err_set(e, ERR_TOOBIG, "the checkout URL is too long");
		goto out;
	}
	memcpy(ret_url, out.url, strlen(out.url) + 1);
out:
	psp_close(psp);
	return r;
}

void portal_pay_post(const struct http_request *req,
		     struct http_response *resp)
{
	struct page p;
	char method[32], scheme[PSP_URL_MAX], url[PSP_URL_MAX];
	struct err e;
	int r;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0 ||
	    post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (form(&p, "method", method, sizeof(method)) < 0 ||
	    (strcmp(method, "ideal") != 0 && strcmp(method, "bancontact") != 0 &&
	     strcmp(method, "card") != 0)) {
		pay_page(&p, 422, text(&p, "pay.method_error"));
		goto out;
	}
	checkout_scheme(&p, scheme, sizeof(scheme));
	if (strcmp(scheme, "test") != 0) {
		r = start_provider_checkout(&p, method, url, sizeof(url), &e);
		if (r == -ERR_IO || r == -ERR_INVALID || r == -ERR_NOTFOUND) {
			char msg[600];
			snprintf(msg, sizeof(msg), "portal: checkout at %.16s: "
				 "%.500s", scheme, e.msg);
			http_log(req, "warning", msg);
			pay_page(&p, 503, text(&p, "pay.unavailable"));
			goto out;
		}
		if (r < 0) {
			fail(&p, "starting a checkout", &e);
			goto out;
		}
		form_origin(url, scheme, sizeof(scheme));
		goto redirect;
	}
	r = store_begin(p.s, &e);
	if (r == 0)
		r = start_test_checkout(&p, method, url, sizeof(url), &e);
	if (r == 0)
		r = commit(p.s, &e);
	if (r < 0) {
		store_rollback(p.s);
		fail(&p, "starting a checkout", &e);
		goto out;
	}
	scheme[0] = '\0';
redirect:
	{
		char *loc = arena_alloc(req->arena, strlen(url) + 1);
		memcpy(loc, url, strlen(url) + 1);
		http_response_header(resp, "Location", loc);
	}
	/* Browsers apply form-action to the redirect a form leads to: the
	 * provider's origin must be allowed. */
	security_headers(&p, scheme[0] ? scheme : NULL);
	resp->status = 303;
	resp->content_type = "text/plain; charset=utf-8";
	buf_puts(&resp->body, "See Other\n");
out:
	page_free(&p);
}

/* POST /p/{token}/method: the provider's page where the customer gives
 * another card or account for a failing automatic payment; it sends them
 * back to /method/done. */
void portal_method_post(const struct http_request *req,
			struct http_response *resp)
{
	struct page p;
	char url[PSP_URL_MAX], back[PSP_URL_MAX], origin[PSP_URL_MAX];
	struct err e;
	int r;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0 ||
	    post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	snprintf(back, sizeof(back), "%s%s/method/done", p.pr.public_url,
		 p.base);
	r = charge_setup_start(p.s, &p.t, p.k.id, p.locale, back, req->now, url,
			       sizeof(url), &e);
	if (r == -ERR_NOTFOUND) {
		notice(&p, 404, "charge.none_title", "charge.none", NULL, NULL);
		goto out;
	}
	if (r == -ERR_IO || r == -ERR_INVALID) {
		char msg[600];
		snprintf(msg, sizeof(msg), "portal: payment method: %.500s",
			 e.msg);
		http_log(req, "warning", msg);
		notice(&p, 503, "charge.title", "charge.unavailable", NULL,
		       NULL);
		goto out;
	}
	if (r < 0) {
		fail(&p, "starting a payment method update", &e);
		goto out;
	}
	{
		char *loc = arena_alloc(req->arena, strlen(url) + 1);
		memcpy(loc, url, strlen(url) + 1);
		http_response_header(resp, "Location", loc);
	}
	/* form-action must allow the provider's origin (see portal_pay_post) */
	form_origin(url, origin, sizeof(origin));
	security_headers(&p, origin);
	resp->status = 303;
	resp->content_type = "text/plain; charset=utf-8";
	buf_puts(&resp->body, "See Other\n");
out:
	page_free(&p);
}

/* GET /p/{token}/method/done: back from the provider. */
void portal_method_done(const struct http_request *req,
			struct http_response *resp)
{
	struct page p;
	if (page_open(req, resp, &p) == 0)
		notice(&p, 200, "charge.done_title", "charge.done", NULL, NULL);
	page_free(&p);
}

void portal_paid(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	const char *st = http_query(req, "status");
	if (page_open(req, resp, &p) == 0) {
		if (st && strcmp(st, "paid") == 0)
			notice(&p, 200, "paid.title", "paid.body", "company",
			       p.t.name);
		else
			notice(&p, 200, "paid.not_title", "paid.not_body", NULL,
			       NULL);
	}
	page_free(&p);
}

/* ---- a later date ------------------------------------------------------ */

static void rules_of(const struct page *p, struct plan_rules *r)
{
	offer_rules(&p->pr, p->cur, r);
}

static date_t oldest_due(const struct page *p)
{
	date_t d = DATE_NONE;
	for (size_t i = 0; i < p->n_inv; i++)
		if (d == DATE_NONE || p->inv[i].due_date < d)
			d = p->inv[i].due_date;
	return d;
}

static void later_page(struct page *p, int status, const char *value,
		       const char *error)
{
	struct plan_rules rules;
	char d[AMOUNT_MAX];

	rules_of(p, &rules);
	security_headers(p, NULL);
	begin(p, status, "later.title");
	raw(p, "<h1>");
	tr(p, "later.title", NULL);
	raw(p, "</h1>\n<p>");
	tr(p, "later.intro", "latest",
	   day(p, plan_postpone_latest(p->today, &rules), d), NULL);
	raw(p, "</p>\n");
	form_open(p, "/later");
	date_field(p, "later.date", p->today + 1,
		   plan_postpone_latest(p->today, &rules), value, error);
	form_close(p, "later.confirm");
}

/* Whether the customer may still choose a later date (once per case). */
static int postponed_before(struct page *p, int64_t *ret, struct err *e)
{
	return store_event_count(p->s, p->t.id, p->k.id, "promise.made", ret,
				 e);
}

void portal_later(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	int64_t used = 0;
	struct err e;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0)
		goto out;
	if (postponed_before(&p, &used, &e) < 0) {
		fail(&p, "counting later dates", &e);
		goto out;
	}
	if (p.pr.postpone_days <= 0 || used > 0 ||
	    p.k.st.hold_reason != HOLD_NONE)
		notice(&p, 409, "later.title", "later.used", NULL, NULL);
	else
		later_page(&p, 200, NULL, NULL);
out:
	page_free(&p);
}

void portal_later_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct page p;
	struct plan_rules rules;
	char value[FIELD_MAX];
	int64_t used = 0;
	date_t d = DATE_NONE;
	struct err e;
	int found = 0, r;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0 ||
	    post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (postponed_before(&p, &used, &e) < 0) {
		fail(&p, "counting later dates", &e);
		goto out;
	}
	if (p.pr.postpone_days <= 0 || used > 0 ||
	    p.k.st.hold_reason != HOLD_NONE) {
		notice(&p, 409, "later.title", "later.used", NULL, NULL);
		goto out;
	}
	rules_of(&p, &rules);
	if (form(&p, "date", value, sizeof(value)) < 0 ||
	    date_parse(value, &d, &e) < 0) {
		later_page(&p, 422, "", text(&p, "later.date_error"));
		goto out;
	}
	if (plan_postpone_check(p.today, d, oldest_due(&p), &rules,
				(int)used, &e) < 0) {
		later_page(&p, 422, value, text(&p, "later.range_error"));
		goto out;
	}
	r = store_begin(p.s, &e);
	if (r == 0)
		r = offer_later(p.s, &p.k, &p.cu, d, p.total_minor, p.today,
				req->now, &by_customer, &found, &e);
	if (r == 0)
		r = commit(p.s, &e);
	if (r < 0) {
		store_rollback(p.s);
		fail(&p, "recording a later date", &e);
		goto out;
	}
	see_other(&p, "/done?what=later");
out:
	page_free(&p);
}

/* ---- an instalment plan ------------------------------------------------ */

static void plan_form(struct page *p, int status, int months, int dom,
		      const char *error)
{
	struct plan_rules rules;
	char n[16], a[AMOUNT_MAX];
	int max;

	rules_of(p, &rules);
	max = plan_max_months(p->total_minor, &rules);
	security_headers(p, NULL);
	begin(p, status, "plan.title");
	raw(p, "<h1>");
	tr(p, "plan.title", NULL);
	raw(p, "</h1>\n<p>");
	tr(p, "plan.intro", "amount", money(p, p->total_minor, a), NULL);
	raw(p, "</p>\n");
	if (max < rules.min_months) {
		raw(p, "<p>");
		tr(p, "plan.too_small", NULL);
		raw(p, "</p>\n");
		end(p);
		return;
	}
	form_open(p, "/plan");
	raw(p, "<input type=\"hidden\" name=\"step\" value=\"preview\">\n"
	       "<label for=\"months\">");
	tr(p, "plan.months", NULL);
	raw(p, "</label>\n");
	field_error(p, "months", error);
	raw(p, "<select id=\"months\" name=\"months\"");
	invalid_attrs(p, "months", error);
	raw(p, ">\n");
	for (int m = rules.min_months; m <= max; m++) {
		snprintf(n, sizeof(n), "%d", m);
		raw(p, "<option value=\"");
		esc(p, n);
		raw(p, "\"");
		if (m == months)
			raw(p, " selected");
		raw(p, ">");
		tr(p, "plan.months_option", "n", n, NULL);
		raw(p, "</option>\n");
	}
	raw(p, "</select>\n<label for=\"day\">");
	tr(p, "plan.day", NULL);
	raw(p, "</label>\n<p class=\"hint\" id=\"day-hint\">");
	tr(p, "plan.day_hint", NULL);
	raw(p, "</p>\n<select id=\"day\" name=\"day\" "
	       "aria-describedby=\"day-hint\">\n");
	for (int dd = 1; dd <= 31; dd++) {
		snprintf(n, sizeof(n), "%d", dd);
		raw(p, "<option value=\"");
		esc(p, n);
		raw(p, "\"");
		if (dd == dom)
			raw(p, " selected");
		raw(p, ">");
		if (dd == 31)
			tr(p, "plan.last_day", NULL);
		else
			esc(p, n);
		raw(p, "</option>\n");
	}
	raw(p, "</select>\n");
	form_close(p, "plan.preview");
}

static int has_plan(struct page *p, int *ret, struct err *e)
{
	struct plan_rec pl;
	int r = store_plan_active(p->s, p->t.id, p->k.id, &pl, e);
	*ret = r == 0;
	if (r == 0)
		plan_rec_clear(&pl);
	return r == -ERR_NOTFOUND ? 0 : r;
}

void portal_plan(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct err e;
	int have = 0;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0)
		goto out;
	if (has_plan(&p, &have, &e) < 0) {
		fail(&p, "reading a plan", &e);
		goto out;
	}
	if (have || p.pr.plan_max_months < 2)
		notice(&p, 409, "plan.title", "plan.exists", NULL, NULL);
	else
		plan_form(&p, 200, 3, 28, NULL);
out:
	page_free(&p);
}

/* The schedule and a confirm button (step=confirm repeats the choice). */
static void plan_preview(struct page *p, int months, int dom,
			 const struct plan_instalment *in, size_t n)
{
	char a[AMOUNT_MAX], d[AMOUNT_MAX], s[24];

	security_headers(p, NULL);
	begin(p, 200, "plan.title");
	raw(p, "<h1>");
	tr(p, "plan.check_title", NULL);
	raw(p, "</h1>\n");
	table_open(p, "plan.schedule");
	raw(p, "<thead><tr><th scope=\"col\">");
	tr(p, "plan.col_n", NULL);
	raw(p, "</th><th scope=\"col\">");
	tr(p, "plan.col_due", NULL);
	raw(p, "</th><th scope=\"col\" class=\"num\">");
	tr(p, "plan.col_amount", NULL);
	raw(p, "</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < n; i++) {
		snprintf(s, sizeof(s), "%zu", i + 1);
		raw(p, "<tr><th scope=\"row\">");
		esc(p, s);
		raw(p, "</th><td>");
		esc(p, day(p, in[i].due, d));
		raw(p, "</td><td class=\"num\">");
		esc(p, money(p, in[i].amount_minor, a));
		raw(p, "</td></tr>\n");
	}
	raw(p, "</tbody>\n");
	table_close(p);
	raw(p, "<p>");
	tr(p, "plan.terms", NULL);
	raw(p, "</p>\n");
	form_open(p, "/plan");
	snprintf(s, sizeof(s), "%d", months);
	raw(p, "<input type=\"hidden\" name=\"step\" value=\"confirm\">\n"
	       "<input type=\"hidden\" name=\"months\" value=\"");
	esc(p, s);
	raw(p, "\">\n<input type=\"hidden\" name=\"day\" value=\"");
	snprintf(s, sizeof(s), "%d", dom);
	esc(p, s);
	raw(p, "\">\n<button class=\"primary\" type=\"submit\">");
	tr(p, "plan.confirm", NULL);
	raw(p, "</button>\n</form>\n<p><a href=\"");
	href(p, "/plan");
	raw(p, "\">");
	tr(p, "plan.change", NULL);
	raw(p, "</a></p>\n");
	end(p);
}

static int small_int(const char *s, int lo, int hi, int *ret)
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

void portal_plan_post(const struct http_request *req,
		      struct http_response *resp)
{
	struct page p;
	struct plan_rules rules;
	struct plan_instalment in[PLAN_MAX_INSTALMENTS];
	char step[16], ms[16], ds[16];
	int n = 0;
	int months = 0, dom = 0, have = 0, r;
	struct err e;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0 ||
	    post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (has_plan(&p, &have, &e) < 0) {
		fail(&p, "reading a plan", &e);
		goto out;
	}
	if (have || p.pr.plan_max_months < 2) {
		notice(&p, 409, "plan.title", "plan.exists", NULL, NULL);
		goto out;
	}
	rules_of(&p, &rules);
	if (form(&p, "step", step, sizeof(step)) < 0 ||
	    form(&p, "months", ms, sizeof(ms)) < 0 ||
	    form(&p, "day", ds, sizeof(ds)) < 0 ||
	    small_int(ds, 1, 31, &dom) < 0) {
		plan_form(&p, 422, 3, 28, text(&p, "plan.months_error"));
		goto out;
	}
	if (small_int(ms, rules.min_months, rules.max_months, &months) < 0 ||
	    plan_schedule(p.total_minor, p.cur, months, dom, p.today, &rules,
			  in, &n, &e) < 0) {
		plan_form(&p, 422, months, dom, text(&p, "plan.months_error"));
		goto out;
	}
	if (strcmp(step, "confirm") != 0) {
		plan_preview(&p, months, dom, in, (size_t)n);
		goto out;
	}
	r = store_begin(p.s, &e);
	if (r == 0)
		r = offer_plan(p.s, &p.k, &p.cu, p.total_minor, months, dom, in,
			       n, &rules, p.today, req->now, &by_customer, NULL,
			       &e);
	if (r == -ERR_CONFLICT) {
		store_rollback(p.s);
		notice(&p, 409, "plan.title", "plan.exists", NULL, NULL);
		goto out;
	}
	if (r == 0)
		r = commit(p.s, &e);
	if (r < 0) {
		store_rollback(p.s);
		fail(&p, "recording a plan", &e);
		goto out;
	}
	see_other(&p, "/done?what=plan");
out:
	page_free(&p);
}

/* ---- help, call back, dispute ------------------------------------------ */

static const char *const help_reasons[] = {
	"income", "illness", "job", "family", "other",
};
static const char *const contact_ways[] = {
	"phone", "email", "sms", "letter",
};

static void radios(struct page *p, const char *name, const char *prefix,
		   const char *const *values, size_t n, const char *chosen)
{
	for (size_t i = 0; i < n; i++) {
		char key[48];
		snprintf(key, sizeof(key), "%s.%s", prefix, values[i]);
		raw(p, "<div class=\"choice\"><input type=\"radio\" name=\"");
		esc(p, name);
		raw(p, "\" id=\"");
		esc(p, name);
		raw(p, "-");
		esc(p, values[i]);
		raw(p, "\" value=\"");
		esc(p, values[i]);
		raw(p, "\"");
		if (chosen && strcmp(chosen, values[i]) == 0)
			raw(p, " checked");
		raw(p, "><label for=\"");
		esc(p, name);
		raw(p, "-");
		esc(p, values[i]);
		raw(p, "\">");
		tr(p, key, NULL);
		raw(p, "</label></div>\n");
	}
}

static int one_of(const char *v, const char *const *values, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v, values[i]) == 0)
			return 1;
	return 0;
}

static void help_page(struct page *p, int status, const char *reason,
		      const char *message, const char *via,
		      const char *error)
{
	security_headers(p, NULL);
	begin(p, status, "help.title");
	raw(p, "<h1>");
	tr(p, "help.title", NULL);
	raw(p, "</h1>\n<p>");
	tr(p, "help.intro", "company", p->t.name, NULL);
	raw(p, "</p>\n");
	form_open(p, "/help");
	raw(p, "<fieldset");
	invalid_attrs(p, "reason", error);
	raw(p, "><legend>");
	tr(p, "help.reason", NULL);
	raw(p, "</legend>\n");
	field_error(p, "reason", error);
	radios(p, "reason", "reason", help_reasons,
	       sizeof(help_reasons) / sizeof(help_reasons[0]), reason);
	raw(p, "</fieldset>\n<label for=\"message\">");
	tr(p, "help.message", NULL);
	raw(p, "</label>\n<textarea id=\"message\" name=\"message\" rows=\"4\" "
	       "maxlength=\"2000\">");
	esc(p, message);
	raw(p, "</textarea>\n<fieldset><legend>");
	tr(p, "help.via", NULL);
	raw(p, "</legend>\n");
	radios(p, "via", "via", contact_ways,
	       sizeof(contact_ways) / sizeof(contact_ways[0]),
	       via && *via ? via : "phone");
	raw(p, "</fieldset>\n");
	form_close(p, "help.send");
}

void portal_help(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	if (page_open(req, resp, &p) == 0)
		help_page(&p, 200, NULL, "", NULL, NULL);
	page_free(&p);
}

/* Record a request, pause the case for a person, and log the event. */
static int record_request(struct page *p, struct request_rec *rq,
			  const char *event_kind, enum hold_reason hold,
			  int hold_days, struct err *e)
{
	char detail[160];
	int64_t id = 0;
	int found = 0, open = 0;
	struct request_rec *list = NULL;
	size_t n = 0;
	int r = store_request_list(p->s, p->t.id, p->k.id, &list, &n, e);

	/* One open request of a kind per case: a form sent twice (a reload,
	 * a double click) changes nothing the second time. */
	for (size_t i = 0; r == 0 && i < n; i++)
		open |= strcmp(list[i].kind, rq->kind) == 0 &&
			strcmp(list[i].status, "open") == 0;
	request_list_free(list, n);
	if (r < 0 || open)
		return r;
	r = store_begin(p->s, e);
	rq->tenant_id = p->t.id;
	rq->case_id = p->k.id;
	rq->customer_id = p->cu.id;
	rq->created_at = p->req->now;
	if (r == 0)
		r = store_request_insert(p->s, rq, &id, e);
	snprintf(detail, sizeof(detail),
		 "{\"request\":%lld,\"reason\":\"%s\",\"source\":\"portal\"}",
		 (long long)id, rq->reason ? rq->reason : "");
	if (r == 0)
		r = case_event(p, event_kind, detail, e);
	/* Dunning pauses while a person looks at it. */
	if (r == 0 && hold != HOLD_NONE && p->k.st.status == CASE_OPEN &&
	    (p->k.st.hold_reason == HOLD_NONE ||
	     p->k.st.hold_reason == hold))
		r = store_case_hold(p->s, p->t.id, p->k.id, hold,
				    p->today + hold_days, &found, e);
	if (r == 0)
		r = commit(p->s, e);
	if (r < 0)
		store_rollback(p->s);
	return r;
}

/* Days dunning pauses for a person to answer a request. */
#define PORTAL_HELP_PAUSE_DAYS 14

void portal_help_post(const struct http_request *req,
		      struct http_response *resp)
{
	struct page p;
	char reason[32], via[32];
	char *message = arena_alloc(req->arena, PORTAL_MESSAGE_MAX + 1);
	struct request_rec rq;
	struct err e;

	if (page_open(req, resp, &p) < 0 || post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (form(&p, "reason", reason, sizeof(reason)) < 0 ||
	    form(&p, "via", via, sizeof(via)) < 0)
		reason[0] = via[0] = '\0';
	if (form(&p, "message", message, PORTAL_MESSAGE_MAX + 1) < 0) {
		message[0] = '\0';
		help_page(&p, 422, reason, "", via,
			  text(&p, "help.message_error"));
		goto out;
	}
	if (!one_of(reason, help_reasons,
		    sizeof(help_reasons) / sizeof(help_reasons[0]))) {
		help_page(&p, 422, NULL, message, via,
			  text(&p, "help.reason_error"));
		goto out;
	}
	if (!one_of(via, contact_ways,
		    sizeof(contact_ways) / sizeof(contact_ways[0])))
		snprintf(via, sizeof(via), "phone");
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.kind, sizeof(rq.kind), "help");
	rq.reason = reason;
	rq.message = message;
	rq.contact_via = via;
	if (record_request(&p, &rq, "help.requested", HOLD_AGENT,
			   PORTAL_HELP_PAUSE_DAYS, &e) < 0) {
		fail(&p, "recording a request for help", &e);
		goto out;
	}
	see_other(&p, "/done?what=help");
out:
	page_free(&p);
}

static const char *const callback_slots[] = {
	"09", "10", "11", "12", "13", "14", "15", "16",
};

static void callback_page(struct page *p, int status, const char *date,
			  const char *slot, const char *error)
{
	form_page(p, status, "callback.title", "callback.intro", "/callback");
	date_field(p, "callback.date", p->today + 1, p->today + 14, date, error);
	raw(p, "<label for=\"slot\">");
	tr(p, "callback.time", NULL);
	raw(p, "</label>\n<select id=\"slot\" name=\"slot\">\n");
	for (size_t i = 0; i < sizeof(callback_slots) / sizeof(*callback_slots);
	     i++) {
		raw(p, "<option value=\"");
		esc(p, callback_slots[i]);
		raw(p, "\"");
		if (slot && strcmp(slot, callback_slots[i]) == 0)
			raw(p, " selected");
		raw(p, ">");
		esc(p, callback_slots[i]);
		raw(p, ":00</option>\n");
	}
	raw(p, "</select>\n");
	form_close(p, "callback.send");
}

void portal_callback(const struct http_request *req,
		     struct http_response *resp)
{
	struct page p;
	if (page_open(req, resp, &p) == 0)
		callback_page(&p, 200, NULL, "10", NULL);
	page_free(&p);
}

void portal_callback_post(const struct http_request *req,
			  struct http_response *resp)
{
	struct page p;
	char ds[FIELD_MAX], slot[8];
	struct request_rec rq;
	date_t d = DATE_NONE;
	int hour = 0;
	struct err e;

	if (page_open(req, resp, &p) < 0 || post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (form(&p, "slot", slot, sizeof(slot)) < 0 ||
	    small_int(slot, 9, 16, &hour) < 0)
		hour = 10;
	if (form(&p, "date", ds, sizeof(ds)) < 0 ||
	    date_parse(ds, &d, &e) < 0 || d <= p.today || d > p.today + 14) {
		callback_page(&p, 422, ds, slot,
			      text(&p, "callback.date_error"));
		goto out;
	}
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.kind, sizeof(rq.kind), "callback");
	rq.reason = "callback";
	rq.message = "";
	rq.contact_via = "phone";
	/* The chosen local hour, as an instant. */
	{
		instant_t local = instant_from_date(d) + (instant_t)hour * 3600;
		rq.callback_at = local - tz_offset(p.zone, local);
	}
	if (record_request(&p, &rq, "callback.requested", HOLD_AGENT,
			   (int)(d - p.today) + 1, &e) < 0) {
		fail(&p, "recording a call back", &e);
		goto out;
	}
	see_other(&p, "/done?what=callback");
out:
	page_free(&p);
}

static void dispute_page(struct page *p, int status, const char *error)
{
	form_page(p, status, "dispute.title", "dispute.intro", "/dispute");
	raw(p, "<fieldset");
	invalid_attrs(p, "invoice", error);
	raw(p, "><legend>");
	tr(p, "dispute.invoice", NULL);
	raw(p, "</legend>\n");
	field_error(p, "invoice", error);
	for (size_t i = 0; i < p->n_inv; i++) {
		char id[32];
		if (p->inv[i].disputed)
			continue;
		snprintf(id, sizeof(id), "%lld", (long long)p->inv[i].id);
		raw(p, "<div class=\"choice\"><input type=\"radio\" "
		       "name=\"invoice\" id=\"inv-");
		esc(p, id);
		raw(p, "\" value=\"");
		esc(p, id);
		raw(p, "\"><label for=\"inv-");
		esc(p, id);
		raw(p, "\">");
		esc(p, p->inv[i].number && *p->inv[i].number
			       ? p->inv[i].number
			       : p->inv[i].external_id);
		raw(p, "</label></div>\n");
	}
	raw(p, "</fieldset>\n<label for=\"message\">");
	tr(p, "dispute.why", NULL);
	raw(p, "</label>\n<textarea id=\"message\" name=\"message\" rows=\"4\" "
	       "maxlength=\"2000\"></textarea>\n"
	       "<button class=\"primary\" type=\"submit\">");
	tr(p, "dispute.send", NULL);
	raw(p, "</button>\n</form>\n<p><a href=\"");
	href(p, "");
	raw(p, "\">");
	tr(p, "page.back", NULL);
	raw(p, "</a></p>\n");
	end(p);
}

void portal_dispute(const struct http_request *req,
		    struct http_response *resp)
{
	struct page p;
	if (page_open(req, resp, &p) == 0 && actionable(&p) == 0)
		dispute_page(&p, 200, NULL);
	page_free(&p);
}

void portal_dispute_post(const struct http_request *req,
			 struct http_response *resp)
{
	struct page p;
	char ids[32];
	char *message = arena_alloc(req->arena, PORTAL_MESSAGE_MAX + 1);
	struct request_rec rq;
	const struct invoice_rec *inv = NULL;
	char detail[160];
	int64_t rid = 0;
	struct err e;
	int r;

	if (page_open(req, resp, &p) < 0 || actionable(&p) < 0 ||
	    post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (form(&p, "invoice", ids, sizeof(ids)) == 0)
		for (size_t i = 0; i < p.n_inv; i++) {
			char id[32];
			snprintf(id, sizeof(id), "%lld",
				 (long long)p.inv[i].id);
			if (strcmp(id, ids) == 0 && !p.inv[i].disputed)
				inv = &p.inv[i];
		}
	if (!inv) {
		dispute_page(&p, 422, text(&p, "dispute.invoice_error"));
		goto out;
	}
	if (form(&p, "message", message, PORTAL_MESSAGE_MAX + 1) < 0)
		message[0] = '\0';
	memset(&rq, 0, sizeof(rq));
	snprintf(rq.kind, sizeof(rq.kind), "dispute");
	rq.reason = "dispute";
	rq.message = message;
	rq.contact_via = "";
	rq.invoice_id = inv->id;
	rq.tenant_id = p.t.id;
	rq.case_id = p.k.id;
	rq.customer_id = p.cu.id;
	rq.created_at = req->now;
	/* The invoice leaves the case while it is in dispute (the engine
	 * pauses a case whose every invoice is disputed). */
	r = store_begin(p.s, &e);
	if (r == 0)
		r = store_request_insert(p.s, &rq, &rid, &e);
	if (r == 0)
		r = store_invoice_set_disputed(p.s, p.t.id, inv->id, 1, &e);
	snprintf(detail, sizeof(detail),
		 "{\"request\":%lld,\"invoice\":%lld,\"source\":\"portal\"}",
		 (long long)rid, (long long)inv->id);
	if (r == 0)
		r = case_event(&p, "dispute.opened", detail, &e);
	if (r == 0)
		r = commit(p.s, &e);
	if (r < 0) {
		store_rollback(p.s);
		fail(&p, "recording a dispute", &e);
		goto out;
	}
	see_other(&p, "/done?what=dispute");
out:
	page_free(&p);
}

/* ---- preferences ------------------------------------------------------- */

static void prefs_page(struct page *p, int status, const char *error)
{
	form_page(p, status, "prefs.title", NULL, "/preferences");
	raw(p, "<fieldset><legend>");
	tr(p, "prefs.language", NULL);
	raw(p, "</legend>\n");
	for (int i = 0; i < PORTAL_LANGS; i++) {
		raw(p, "<div class=\"choice\"><input type=\"radio\" "
		       "name=\"language\" id=\"lang-");
		esc(p, portal_langs[i]);
		raw(p, "\" value=\"");
		esc(p, portal_langs[i]);
		raw(p, "\"");
		if (i == p->lang)
			raw(p, " checked");
		raw(p, "><label for=\"lang-");
		esc(p, portal_langs[i]);
		raw(p, "\" lang=\"");
		esc(p, portal_langs[i]);
		raw(p, "\">");
		esc(p, portal_text(i, 0, "lang.name"));
		raw(p, "</label></div>\n");
	}
	raw(p, "</fieldset>\n<fieldset");
	invalid_attrs(p, "channel", error);
	raw(p, "><legend>");
	tr(p, "prefs.channel", NULL);
	raw(p, "</legend>\n");
	field_error(p, "channel", error);
	for (size_t i = 0; i < p->cu.n_contacts; i++) {
		const struct contact_rec *c = &p->cu.contacts[i];
		const char *name = channel_name(c->channel);
		char key[32];
		if (!c->consent)
			continue;
		snprintf(key, sizeof(key), "channel.%s", name);
		raw(p, "<div class=\"choice\"><input type=\"radio\" "
		       "name=\"channel\" id=\"ch-");
		esc(p, name);
		raw(p, "\" value=\"");
		esc(p, name);
		raw(p, "\"");
		if (c->preference == 1)
			raw(p, " checked");
		raw(p, "><label for=\"ch-");
		esc(p, name);
		raw(p, "\">");
		tr(p, key, NULL);
		raw(p, "</label></div>\n");
	}
	raw(p, "</fieldset>\n");
	form_close(p, "prefs.save");
}

void portal_prefs(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	if (page_open(req, resp, &p) == 0)
		prefs_page(&p, 200, NULL);
	page_free(&p);
}

void portal_prefs_post(const struct http_request *req,
		       struct http_response *resp)
{
	struct page p;
	char lang[16], ch[16], detail[128];
	enum channel chosen = CHANNEL_COUNT;
	int64_t id = 0;
	struct err e;
	int r, li;

	if (page_open(req, resp, &p) < 0 || post_ok(&p) < 0)
		goto out;
	err_clear(&e);
	if (form(&p, "language", lang, sizeof(lang)) < 0)
		lang[0] = '\0';
	if (form(&p, "channel", ch, sizeof(ch)) < 0)
		ch[0] = '\0';
	li = portal_lang_index(lang);
	if (*ch && channel_parse(ch, &chosen) < 0) {
		prefs_page(&p, 422, text(&p, "prefs.channel_error"));
		goto out;
	}
	if (*ch) {
		int ok = 0;
		for (size_t i = 0; i < p.cu.n_contacts; i++)
			ok |= p.cu.contacts[i].channel == chosen &&
			      p.cu.contacts[i].consent;
		if (!ok) {
			prefs_page(&p, 422, text(&p, "prefs.channel_error"));
			goto out;
		}
		/* The chosen channel first; the others keep their order. */
		for (size_t i = 0; i < p.cu.n_contacts; i++) {
			struct contact_rec *c = &p.cu.contacts[i];
			if (c->channel == chosen)
				c->preference = 1;
			else if (c->preference >= 1)
				c->preference++;
		}
	}
	if (li >= 0 && portal_lang_index(p.cu.locale) != li) {
		free(p.cu.locale);
		p.cu.locale = xstrdup(portal_langs[li]);
	}
	snprintf(detail, sizeof(detail),
		 "{\"language\":\"%s\",\"channel\":\"%s\"}",
		 li >= 0 ? portal_langs[li] : "",
		 chosen != CHANNEL_COUNT ? channel_name(chosen) : "");
	r = store_begin(p.s, &e);
	if (r == 0)
		r = store_customer_upsert(p.s, &p.cu, &id, &e);
	if (r == 0)
		r = case_event(&p, "preferences.changed", detail, &e);
	if (r == 0)
		r = commit(p.s, &e);
	if (r < 0) {
		store_rollback(p.s);
		fail(&p, "saving preferences", &e);
		goto out;
	}
	if (li >= 0)
		snprintf(p.q, sizeof(p.q), "?lang=%s", portal_langs[li]);
	see_other(&p, "/done?what=prefs");
out:
	page_free(&p);
}

/* ---- confirmations, listening ------------------------------------------ */

void portal_done(const struct http_request *req, struct http_response *resp)
{
	struct page p;
	const char *what = http_query(req, "what");
	static const char *const known[] = { "later", "plan", "help",
					     "callback", "dispute", "prefs" };
	char title[32], body[32];

	if (page_open(req, resp, &p) < 0)
		goto out;
	if (!what || !one_of(what, known, sizeof(known) / sizeof(known[0])))
		what = "prefs";
	snprintf(title, sizeof(title), "done.%s_title", what);
	snprintf(body, sizeof(body), "done.%s", what);
	{
		char d[AMOUNT_MAX];
		notice(&p, 200, title, body, "date",
		       day(&p, p.k.st.hold_until, d));
	}
out:
	page_free(&p);
}

/* The latest reminder sent to the customer, read aloud: its own words,
 * composed again for the voice channel in the page's language (the same
 * template, amounts and dates as the message itself). */
static void listen_message(struct page *p)
{
	struct message_rec *msgs = NULL;
	const struct message_rec *last = NULL;
	struct compose_output o;
	struct preview_options opt;
	struct preview_info info;
	struct buf wav;
	size_t n = 0;
	struct err e;
	int r;

	err_clear(&e);
	compose_output_init(&o);
	buf_init(&wav, 0);
	r = store_case_messages(p->s, p->t.id, p->k.id, &msgs, &n, &e);
	for (size_t i = 0; r == 0 && i < n; i++)
		if (msgs[i].sent_at &&
		    strncmp(msgs[i].step, DISPATCH_CONFIRM_PREFIX,
			    strlen(DISPATCH_CONFIRM_PREFIX)) != 0)
			last = &msgs[i];
	if (r < 0) {
		fail(p, "reading messages", &e);
		goto out;
	}
	if (!last) {
		notice(p, 404, "listen.none_title", "listen.none", NULL, NULL);
		goto out;
	}
	memset(&opt, 0, sizeof(opt));
	opt.customer = p->cu.external_id;
	opt.step = last->step;
	opt.channel = "voice";
	opt.locale = p->locale;
	opt.case_id = p->k.id;
	r = preview_compose(p->s, &p->t, &opt, p->req->now, &o, &info, &e);
	if (r == 0 && !o.document.len)
		r = voice_wav(buf_cstr(&o.text), p->locale, VOICE_MAX, &wav,
			      &e);
	if (r < 0) {
		fail(p, "speaking the latest message", &e);
		goto out;
	}
	security_headers(p, NULL);
	p->resp->status = 200;
	p->resp->content_type = "audio/wav";
	if (o.document.len)
		buf_append(p->out, o.document.data, o.document.len);
	else
		buf_append(p->out, wav.data, wav.len);
out:
	buf_free(&wav);
	compose_output_free(&o);
	message_list_free(msgs, n);
}

void portal_listen(const struct http_request *req,
		   struct http_response *resp)
{
	struct page p;
	struct buf speech, wav;
	char a[AMOUNT_MAX], d[AMOUNT_MAX], n[16];
	struct err e;
	int r;

	if (page_open(req, resp, &p) < 0)
		goto out;
	if (http_query(req, "what") &&
	    strcmp(http_query(req, "what"), "message") == 0) {
		listen_message(&p);
		goto out;
	}
	/* The page's essentials as sentences (catalog text, unescaped: this
	 * is audio, not HTML). */
	buf_init(&speech, 16 * 1024);
	buf_init(&wav, 0);
	snprintf(n, sizeof(n), "%zu", p.n_inv);
	{
		const char *args[] = { "name", p.cu.name, "count", n, "amount",
				       money(&p, p.total_minor, a), "company",
				       p.t.name, "date",
				       day(&p, oldest_due(&p), d), NULL };
		struct buf tmp;
		buf_init(&tmp, 16 * 1024);
		portal_text_put(&tmp, p.lang, 1,
				p.n_inv == 1 ? "listen.text_one" : "listen.text",
				args);
		/* Undo the HTML escaping of the catalog helper. */
		for (const char *s = buf_cstr(&tmp); *s;) {
			static const struct { const char *ent; char c; } ents[] = {
				{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
				{ "&quot;", '"' }, { "&#39;", '\'' },
			};
			size_t k;
			for (k = 0; k < 5; k++)
				if (strncmp(s, ents[k].ent,
					    strlen(ents[k].ent)) == 0)
					break;
			if (k < 5) {
				buf_putc(&speech, ents[k].c);
				s += strlen(ents[k].ent);
			} else {
				buf_putc(&speech, *s++);
			}
		}
		buf_free(&tmp);
	}
	r = voice_wav(buf_cstr(&speech), p.locale, VOICE_MAX, &wav, &e);
	if (r < 0) {
		buf_free(&speech);
		fail(&p, "speaking the page", &e);
		goto out;
	}
	security_headers(&p, NULL);
	resp->status = 200;
	resp->content_type = "audio/wav";
	buf_append(&resp->body, wav.data, wav.len);
	buf_free(&wav);
	buf_free(&speech);
out:
	page_free(&p);
}

/* ---- the built-in test provider ---------------------------------------- */

/* The checkout of /checkout/test/{tenant}/{id}, with its tenant. */
static int test_checkout_open(const struct http_request *req,
			      struct http_response *resp,
			      struct tenant_rec *t, struct checkout_rec *c)
{
	const char *slug = http_param(req, "tenant");
	const char *id = http_param(req, "id");
	struct err e;
	int r;

	err_clear(&e);
	r = slug && strlen(slug) <= 64 ? store_tenant_get(serve_store(req),
							  slug, t, &e)
				       : -ERR_NOTFOUND;
	if (r == 0)
		r = id && strlen(id) <= 64
			    ? store_checkout_find(serve_store(req), t->id,
						  "test", id, c, &e)
			    : -ERR_NOTFOUND;
	if (r == -ERR_NOTFOUND) {
		http_error(resp, 404, "not_found", "unknown_checkout",
			   "There is no such checkout.");
		return r;
	}
	if (r < 0) {
		http_log(req, "error", "test checkout: the store failed");
		http_error(resp, 500, "internal", "internal_error",
			   "Something went wrong on our side.");
	}
	return r;
}

/* The path back to the customer's page: "back" must be a token. */
static const char *test_back(const struct http_request *req)
{
	const char *b = http_query(req, "back");
	char tok[TOKEN_BUF];
	struct err e;
	if (!b || token_parse(b, strlen(b), tok, &e) < 0)
		return NULL;
	return b;
}

void portal_test_checkout(const struct http_request *req,
			  struct http_response *resp)
{
	struct tenant_rec t;
	struct checkout_rec c;
	struct page p;
	char amount[MONEY_FMT_MAX];
	const char *back = test_back(req);

	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	p.req = req;
	p.resp = resp;
	p.out = &resp->body;
	p.locale = "en";
	if (test_checkout_open(req, resp, &t, &c) < 0)
		goto out;
	money_format(c.amount_minor, currency_find(c.currency), amount);
	security_headers(&p, NULL);
	resp->status = 200;
	resp->content_type = "text/html; charset=utf-8";
	raw(&p, "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset="
		"\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-"
		"width, initial-scale=1\">\n<title>Test payment provider</title>"
		"\n<link rel=\"stylesheet\" href=\"/assets/portal.css\">\n"
		"</head>\n<body>\n<main id=\"main\">\n<h1>Test payment "
		"provider</h1>\n<p>This is dunwell's built-in test checkout: "
		"no money moves. Pay ");
	esc(&p, c.currency);
	raw(&p, " ");
	esc(&p, amount);
	raw(&p, " to ");
	esc(&p, t.name);
	raw(&p, "?</p>\n");
	if (strcmp(c.status, "open") != 0) {
		raw(&p, "<p role=\"status\">This checkout is ");
		esc(&p, c.status);
		raw(&p, ".</p>\n");
	} else {
		raw(&p, "<form method=\"post\">\n");
		if (back) {
			raw(&p, "<input type=\"hidden\" name=\"back\" value=\"");
			esc(&p, back);
			raw(&p, "\">\n");
		}
		raw(&p, "<button class=\"primary\" name=\"outcome\" value=\"paid\" "
			"type=\"submit\">Pay</button>\n<button name=\"outcome\" "
			"value=\"failed\" type=\"submit\">Fail</button>\n"
			"<button name=\"outcome\" value=\"canceled\" type=\""
			"submit\">Cancel</button>\n</form>\n");
	}
	raw(&p, "</main>\n</body>\n</html>\n");
out:
	tenant_rec_clear(&t);
	checkout_rec_clear(&c);
}

void portal_test_checkout_post(const struct http_request *req,
			       struct http_response *resp)
{
	struct tenant_rec t;
	struct checkout_rec c;
	struct case_rec k;
	struct payment_rec pay;
	struct pay_result res;
	char outcome[16], back[TOKEN_BUF + 8], ext[96];
	struct err e;
	int r;

	memset(&t, 0, sizeof(t));
	memset(&c, 0, sizeof(c));
	memset(&k, 0, sizeof(k));
	err_clear(&e);
	if (test_checkout_open(req, resp, &t, &c) < 0)
		goto out;
	if (http_client_form_get(req->body, req->body_len, "outcome", outcome,
				 sizeof(outcome), &e) < 0 ||
	    (strcmp(outcome, "paid") != 0 && strcmp(outcome, "failed") != 0 &&
	     strcmp(outcome, "canceled") != 0)) {
		http_error(resp, 400, "invalid_request", "bad_outcome",
			   "outcome must be paid, failed or canceled.");
		goto out;
	}
	if (http_client_form_get(req->body, req->body_len, "back", back,
				 sizeof(back), &e) < 0)
		back[0] = '\0';
	if (strcmp(c.status, "open") != 0) {
		http_error(resp, 409, "conflict", "checkout_closed",
			   "This checkout is no longer open.");
		goto out;
	}
	r = store_begin(serve_store(req), &e);
	if (r == 0)
		r = store_checkout_set_status(serve_store(req), t.id, c.id,
					      outcome, req->now, &e);
	if (r == 0 && strcmp(outcome, "paid") == 0) {
		r = store_case_get(serve_store(req), t.id, c.case_id, &k, &e);
		memset(&pay, 0, sizeof(pay));
		snprintf(ext, sizeof(ext), "test:%s", c.provider_id);
		pay.tenant_id = t.id;
		pay.external_id = ext;
		pay.customer_id = k.customer_id;
		pay.amount_minor = c.amount_minor;
		memcpy(pay.currency, c.currency, 4);
		pay.paid_on = instant_date(req->now);
		pay.method = "test";
		if (r == 0)
			r = pay_receive(serve_store(req), &t, &pay, req->now,
					&res, &e);
	}
	if (r == 0)
		r = commit(serve_store(req), &e);
	if (r < 0) {
		char msg[600];
		store_rollback(serve_store(req));
		snprintf(msg, sizeof(msg), "test checkout: %.500s", e.msg);
		http_log(req, "error", msg);
		http_error(resp, 500, "internal", "internal_error",
			   "Something went wrong on our side.");
		goto out;
	}
	{
		char tok[TOKEN_BUF];
		char *loc = arena_alloc(req->arena, 160);
		if (*back && token_parse(back, strlen(back), tok, &e) == 0)
			snprintf(loc, 160, "/p/%s/paid?status=%s", tok,
				 outcome);
		else
			snprintf(loc, 160, "/healthz");
		http_response_header(resp, "Location", loc);
		resp->status = 303;
		resp->content_type = "text/plain; charset=utf-8";
		buf_puts(&resp->body, "See Other\n");
	}
out:
	free(k.strategy);
	tenant_rec_clear(&t);
	checkout_rec_clear(&c);
}

/* ---- style sheets ------------------------------------------------------ */

void portal_css(const struct http_request *req, struct http_response *resp)
{
	const struct embedded_file *f = embed_find("assets/portal.css");
	(void)req;
	if (!f) {
		http_error(resp, 404, "not_found", "no_asset", "No such file.");
		return;
	}
	resp->status = 200;
	resp->content_type = "text/css; charset=utf-8";
	http_response_header(resp, "Cache-Control", "public, max-age=3600");
	buf_append(&resp->body, f->data, f->len);
}

void portal_brand_css(const struct http_request *req,
		      struct http_response *resp)
{
	const char *file = http_param(req, "file");
	struct tenant_rec t;
	struct profile pr;
	struct brand_color c, on;
	char slug[72], hex[8], text_hex[8];
	struct err e;
	size_t n;

	memset(&t, 0, sizeof(t));
	memset(&pr, 0, sizeof(pr));
	err_clear(&e);
	n = file ? strlen(file) : 0;
	if (n < 5 || n > 68 || strcmp(file + n - 4, ".css") != 0) {
		http_error(resp, 404, "not_found", "no_asset", "No such file.");
		return;
	}
	snprintf(slug, sizeof(slug), "%.*s", (int)(n - 4), file);
	if (store_tenant_get(serve_store(req), slug, &t, &e) < 0 ||
	    profile_load(serve_store(req), t.id, t.name, &pr, &e) < 0) {
		http_error(resp, 404, "not_found", "no_asset", "No such file.");
		goto out;
	}
	/* A stored colour passed the contrast check; an old one that does
	 * not is darkened until it does, never shown failing. */
	if (brand_color_parse("brand_color", *pr.brand_color ? pr.brand_color
							      : "#1f5f8b",
			      &c, &e) < 0)
		brand_color_parse("brand_color", "#1f5f8b", &c, &e);
	{
		struct brand_color adj;
		double ratio;
		if (brand_accessible(c, BRAND_WHITE, BRAND_AA_TEXT, &adj,
				     &ratio) == 0)
			c = adj;
	}
	on = brand_text_on(c);
	brand_color_format(c, hex);
	brand_color_format(on, text_hex);
	resp->status = 200;
	resp->content_type = "text/css; charset=utf-8";
	http_response_header(resp, "Cache-Control", "public, max-age=300");
	buf_printf(&resp->body, ":root{--brand:%s;--brand-text:%s}\n", hex,
		   text_hex);
out:
	tenant_rec_clear(&t);
	profile_clear(&pr);
}

/* ---- payment providers' webhooks --------------------------------------- */

/* Apply a verified provider event: a paid checkout becomes a payment
 * (once: its external id is "<provider>:<payment id>"); a failed,
 * cancelled or expired one is only noted on the checkout. */
static int apply_psp_event(const struct http_request *req,
			   const struct tenant_rec *t, const char *provider,
			   const struct psp_event *ev, struct err *e)
{
	struct store *s = serve_store(req);
	struct checkout_rec c;
	struct case_rec k;
	struct payment_rec pay;
	struct pay_result res;
	char ext[PSP_ID_MAX + 24], method[PSP_METHOD_MAX];
	const char *status = NULL;
	int r;

	memset(&k, 0, sizeof(k));
	r = store_checkout_find(s, t->id, provider, ev->payment_id, &c, e);
	if (r < 0)
		return r;
	switch (ev->status) {
	case PSP_PAID: status = "paid"; break;
	case PSP_FAILED: status = "failed"; break;
	case PSP_CANCELED: status = "canceled"; break;
	case PSP_EXPIRED: status = "expired"; break;
	default: break;
	}
	if (!status || strcmp(c.status, "paid") == 0) {
		/* Pending, or paid already: nothing more to do. */
		checkout_rec_clear(&c);
		return 0;
	}
	if (ev->case_id != c.case_id || strcmp(ev->currency, c.currency) != 0) {
		checkout_rec_clear(&c);
		return err_set(e, ERR_INVALID,
			       "the event's case or currency differs from the "
			       "checkout's");
	}
	r = store_begin(s, e);
	if (r == 0)
		r = store_checkout_set_status(s, t->id, c.id, status, req->now,
					      e);
	if (r == 0 && ev->status == PSP_PAID) {
		r = store_case_get(s, t->id, c.case_id, &k, e);
		memset(&pay, 0, sizeof(pay));
		snprintf(ext, sizeof(ext), "%s:%s", provider, ev->payment_id);
		pay.tenant_id = t->id;
		pay.external_id = ext;
		pay.customer_id = k.customer_id;
		pay.amount_minor = ev->amount;
		memcpy(pay.currency, ev->currency, 4);
		pay.paid_on = instant_date(ev->paid_at ? ev->paid_at : req->now);
		snprintf(method, sizeof(method), "%s",
			 *ev->method ? ev->method : provider);
		pay.method = method;
		if (r == 0)
			r = pay_receive(s, t, &pay, req->now, &res, e);
	}
	if (r == 0)
		r = commit(s, e);
	if (r < 0)
		store_rollback(s);
	free(k.strategy);
	checkout_rec_clear(&c);
	return r;
}

void portal_psp_webhook(const struct http_request *req,
			struct http_response *resp)
{
	const char *slug = http_param(req, "tenant");
	const char *provider = http_param(req, "provider");
	struct tenant_rec t;
	struct profile pr;
	struct psp *psp = NULL;
	struct psp_event ev;
	struct psp_webhook_req in;
	struct psp_header *hs;
	char config[PROFILE_VALUE_MAX * 2], msg[700];
	struct err e;
	int r;

	memset(&t, 0, sizeof(t));
	memset(&pr, 0, sizeof(pr));
	err_clear(&e);
	r = slug && strlen(slug) <= 64
		    ? store_tenant_get(serve_store(req), slug, &t, &e)
		    : -ERR_NOTFOUND;
	if (r == 0)
		r = profile_load(serve_store(req), t.id, t.name, &pr, &e);
	if (r == -ERR_NOTFOUND) {
		http_error(resp, 404, "not_found", "unknown_tenant",
			   "There is no such tenant.");
		goto out;
	}
	if (r < 0)
		goto internal;
	if (!provider || strncmp(pr.checkout, provider, strlen(provider)) != 0 ||
	    pr.checkout[strlen(provider)] != ':') {
		http_error(resp, 404, "not_found", "unknown_provider",
			   "This tenant does not take payments there.");
		goto out;
	}
	if (profile_inline_secret("checkout", pr.checkout, &e) < 0 ||
	    secrets_expand(pr.checkout, config, sizeof(config), &e) < 0 ||
	    psp_open(config, &psp, &e) < 0) {
		sodium_memzero(config, sizeof(config));
		secrets_scrub(pr.checkout, e.msg, sizeof(e.msg));
		goto internal;
	}
	sodium_memzero(config, sizeof(config));
	hs = arena_alloc(req->arena, (req->n_headers ? req->n_headers : 1) *
					     sizeof(*hs));
	for (size_t i = 0; i < req->n_headers; i++) {
		hs[i].name = req->headers[i].name;
		hs[i].value = req->headers[i].value;
	}
	in.headers = hs;
	in.n_headers = req->n_headers;
	in.body = req->body;
	in.body_len = req->body_len;
	/* A failed automatic charge or a new payment method (charge.h);
	 * anything else is a checkout's. */
	r = charge_webhook(serve_store(req), &t, psp, &in, req->now, &e);
	if (r == 0) {
		dispatch_wake();
		resp->status = 200;
		buf_puts(&resp->body, "{\"received\":true}\n");
		goto out;
	}
	if (r == CHARGE_PASS)
		r = psp_webhook(psp, &in, req->now, &ev, &e);
	if (r == PSP_IGNORED) {
		resp->status = 200;
		buf_puts(&resp->body, "{\"ignored\":true}\n");
		goto out;
	}
	if (r == -ERR_INVALID || r == -ERR_TOOBIG || r == -ERR_NOTFOUND) {
		snprintf(msg, sizeof(msg), "psp webhook rejected: %.600s", e.msg);
		http_log(req, "warning", msg);
		http_error(resp, r == -ERR_NOTFOUND ? 404 : 400,
			   "invalid_request", "rejected",
			   "The notification could not be verified.");
		goto out;
	}
	if (r < 0)
		goto internal;
	if (strcmp(ev.tenant, t.slug) != 0) {
		http_log(req, "warning", "psp webhook: the event names another "
					 "tenant");
		http_error(resp, 400, "invalid_request", "rejected",
			   "The notification is for another tenant.");
		goto out;
	}
	r = apply_psp_event(req, &t, psp_scheme(psp), &ev, &e);
	if (r == -ERR_NOTFOUND || r == -ERR_INVALID) {
		snprintf(msg, sizeof(msg), "psp webhook: %.600s", e.msg);
		http_log(req, "warning", msg);
		http_error(resp, r == -ERR_NOTFOUND ? 404 : 400,
			   "invalid_request", "unknown_checkout",
			   "The notification names no checkout of ours.");
		goto out;
	}
	if (r < 0)
		goto internal;
	resp->status = 200;
	buf_puts(&resp->body, "{\"received\":true}\n");
	goto out;
internal:
	snprintf(msg, sizeof(msg), "psp webhook: %.600s", e.msg);
	http_log(req, "error", msg);
	http_error(resp, 500, "internal", "internal_error",
		   "Something went wrong on our side; send it again later.");
out:
	psp_close(psp);
	tenant_rec_clear(&t);
	profile_clear(&pr);
}

/* ---- a new personal link ----------------------------------------------- */

int portal_link_new(struct store *s, const struct tenant_rec *t,
		    const char *customer, instant_t now, char *ret_url,
		    size_t cap, struct err *e)
{
	struct customer_rec cu;
	struct case_rec *cases = NULL, *k = NULL;
	struct profile pr;
	char token[TOKEN_BUF], hash[TOKEN_HASH_BUF];
	size_t n = 0;
	int r;

	memset(&cu, 0, sizeof(cu));
	memset(&pr, 0, sizeof(pr));
	r = store_customer_get(s, t->id, customer, &cu, e);
	if (r == 0)
		r = store_case_list(s, t->id, cu.id, &cases, &n, e);
	if (r == 0)
		r = profile_load(s, t->id, t->name, &pr, e);
	if (r < 0)
		goto out;
	/* The open case; else the latest one (its page thanks them). */
	for (size_t i = 0; i < n; i++) {
		int open = cases[i].st.status == CASE_OPEN;
		if (!k || (open && k->st.status != CASE_OPEN) ||
		    (open == (k->st.status == CASE_OPEN) && cases[i].id > k->id))
			k = &cases[i];
	}
	if (!k) {
		r = err_set(e, ERR_NOTFOUND, "customer %s has no case yet",
			    customer);
		goto out;
	}
	r = token_new(token, e);
	if (r == 0)
		r = token_hash(token, hash, e);
	if (r == 0)
		r = store_link_insert(s, t->id, hash, k->id, cu.id, now,
				      now + (instant_t)pr.link_days * 86400, e);
	if (r == 0 && (size_t)snprintf(ret_url, cap, "%s/p/%s", pr.public_url,
				       token) >= cap)
		r = err_set(e, ERR_TOOBIG, "the link is too long");
out:
	sodium_memzero(token, sizeof(token));
	customer_rec_clear(&cu);
	case_list_free(cases, n);
	profile_clear(&pr);
	return r;
}

