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
#include "console_page.h"
#include "console_review.h"

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

/* ---- signing in and out ------------------------------------------------ */

static void login_page(struct cpage *p, int status, const char *email,
		       const char *error)
{
	cpage_begin(p, status, "Sign in");
	cpage_raw(p, "<h1>Sign in</h1>\n<form method=\"post\" action=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/login\" novalidate>\n");
	if (error) {
		cpage_raw(p, "<p class=\"error\" id=\"login-error\" role=\"alert\">");
		cpage_esc(p, error);
		cpage_raw(p, "</p>\n");
	}
	cpage_raw(p, "<label for=\"email\">E-mail address</label>\n<input type=\"email\" "
	       "id=\"email\" name=\"email\" autocomplete=\"username\" required "
	       "value=\"");
	cpage_esc(p, email ? email : "");
	cpage_raw(p, "\"");
	if (error)
		cpage_raw(p, " aria-describedby=\"login-error\" aria-invalid=\"true\"");
	cpage_raw(p, ">\n<label for=\"password\">Password</label>\n<input type=\"password\" "
	       "id=\"password\" name=\"password\" autocomplete=\"current-password\" "
	       "required");
	if (error)
		cpage_raw(p, " aria-describedby=\"login-error\" aria-invalid=\"true\"");
	cpage_raw(p, ">\n<button class=\"primary\" type=\"submit\">Sign in</button>\n"
	       "</form>\n");
	cpage_end(p);
}

void console_login(const struct http_request *req, struct http_response *resp)
{
	struct cpage p;
	if (cpage_open(req, resp, &p, 0) == 0)
		login_page(&p, 200, NULL, NULL);
	cpage_free(&p);
}

void console_login_post(const struct http_request *req,
			struct http_response *resp)
{
	struct cpage p;
	char email[CPAGE_FIELD_MAX], password[CPAGE_FIELD_MAX];
	char token[TOKEN_BUF];
	struct operator_rec op;
	struct err e;
	int r;

	if (cpage_open(req, resp, &p, 0) < 0)
		goto out;
	err_clear(&e);
	{
		const char *origin = http_header(req, "Origin");
		const char *host = http_header(req, "Host");
		const char *o = origin ? strstr(origin, "://") : NULL;
		if (origin && strcmp(origin, "null") != 0 && host &&
		    (!o || strcmp(o + 3, host) != 0)) {
			cpage_message(&p, 403, "Refused",
				     "This request came from another site.");
			goto out;
		}
	}
	if (cpage_form(&p, "email", email, sizeof(email)) < 0 ||
	    cpage_form(&p, "password", password, sizeof(password)) < 0) {
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
		cpage_message(&p, 500, "Something went wrong",
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
			 CPAGE_COOKIE "=%s; Path=%s; HttpOnly; SameSite=Strict%s",
			 token, p.base, secure ? "; Secure" : "");
		http_response_header(resp, "Set-Cookie", cookie);
	}
	sodium_memzero(token, sizeof(token));
	cpage_see_other(&p, p.base);
out:
	cpage_free(&p);
}

void console_logout(const struct http_request *req,
		    struct http_response *resp)
{
	struct cpage p;
	struct err e;
	char loc[128], *cookie;

	if (cpage_open(req, resp, &p, 1) < 0 || cpage_post_ok(&p) < 0)
		goto out;
	operator_logout(p.s, p.token, &e);
	cookie = arena_alloc(req->arena, 160);
	snprintf(cookie, 160,
		 CPAGE_COOKIE "=; Path=%s; HttpOnly; SameSite=Strict; Max-Age=0",
		 p.base);
	http_response_header(resp, "Set-Cookie", cookie);
	snprintf(loc, sizeof(loc), "%s/login", p.base);
	cpage_see_other(&p, loc);
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
	char a[CPAGE_AMOUNT_MAX], w[INSTANT_FMT_MAX];
	struct err e;

	if (cpage_open(req, resp, &p, 1) < 0)
		goto out;
	err_clear(&e);
	if (store_queue(p.s, p.t.id, CONSOLE_QUEUE_MAX, &items, &n, &e) < 0) {
		http_log(req, "error", "console: reading the queue failed");
		cpage_message(&p, 500, "Something went wrong",
			     "The queue could not be read; try again.");
		goto out;
	}
	cpage_begin(&p, 200, "Queue");
	cpage_raw(&p, "<h1>Cases that need a person</h1>\n");
	if (!n) {
		cpage_raw(&p, "<p role=\"status\">Nothing waits for a person right "
			"now.</p>\n");
	} else {
		cpage_raw(&p, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
			"aria-label=\"Queue\">\n<table>\n<caption>Most urgent "
			"first</caption>\n<thead><tr><th scope=\"col\">What</th>"
			"<th scope=\"col\">Customer</th><th scope=\"col\">Since"
			"</th><th scope=\"col\">Call at</th><th scope=\"col\" "
			"class=\"num\">Open</th></tr></thead>\n<tbody>\n");
		for (size_t i = 0; i < n; i++) {
			const struct queue_item *q = &items[i];
			cpage_raw(&p, "<tr><th scope=\"row\">");
			if (q->case_id) {
				cpage_raw(&p, "<a href=\"");
				cpage_esc(&p, p.base);
				cpage_raw(&p, "/cases/");
				cpage_escf(&p, "%lld", (long long)q->case_id);
				cpage_raw(&p, "\">");
				cpage_esc(&p, kind_label(q->kind));
				cpage_raw(&p, "</a>");
			} else if (q->review_id) {
				/* a payment to match: its review page */
				cpage_raw(&p, "<a href=\"");
				cpage_esc(&p, p.base);
				cpage_raw(&p, "/review/");
				cpage_escf(&p, "%lld", (long long)q->review_id);
				cpage_raw(&p, "\">");
				cpage_esc(&p, kind_label(q->kind));
				cpage_raw(&p, "</a>");
			} else {
				cpage_esc(&p, kind_label(q->kind));
			}
			cpage_raw(&p, "</th><td>");
			cpage_esc(&p, q->customer_name);
			if (q->customer && *q->customer) {
				cpage_raw(&p, " (");
				cpage_esc(&p, q->customer);
				cpage_raw(&p, ")");
			}
			cpage_raw(&p, "</td><td>");
			cpage_esc(&p, cpage_when(q->since, w));
			cpage_raw(&p, "</td><td>");
			cpage_esc(&p, cpage_when(q->callback_at, w));
			cpage_raw(&p, "</td><td class=\"num\">");
			if (*q->currency)
				cpage_esc(&p, cpage_money(&p, q->open_minor, q->currency, a));
			cpage_raw(&p, "</td></tr>\n");
		}
		cpage_raw(&p, "</tbody>\n</table>\n</div>\n");
	}
	cpage_end(&p);
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
	cpage_raw(c->p, "<tr><td>");
	cpage_esc(c->p, cpage_when(h->at, w));
	cpage_raw(c->p, "</td><td>");
	cpage_esc(c->p, h->what);
	cpage_raw(c->p, "</td><td>");
	cpage_esc(c->p, h->kind);
	cpage_raw(c->p, "</td><td>");
	cpage_esc(c->p, h->step);
	cpage_raw(c->p, "</td><td>");
	cpage_esc(c->p, h->channel);
	cpage_raw(c->p, "</td><td>");
	cpage_esc(c->p, h->detail);
	cpage_raw(c->p, "</td></tr>\n");
	return 0;
}

/* One action form: a heading, fields (markup of this file), a button. */
static void action_form(struct cpage *p, int64_t case_id, const char *action,
			const char *title, const char *fields,
			const char *button)
{
	cpage_raw(p, "<form method=\"post\" action=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/cases/");
	cpage_escf(p, "%lld", (long long)case_id);
	cpage_raw(p, "\" class=\"action\">\n<h3>");
	cpage_esc(p, title);
	cpage_raw(p, "</h3>\n");
	cpage_hidden_csrf(p);
	cpage_raw(p, "<input type=\"hidden\" name=\"action\" value=\"");
	cpage_esc(p, action);
	cpage_raw(p, "\">\n");
	cpage_raw(p, fields);
	cpage_raw(p, "<button type=\"submit\">");
	cpage_esc(p, button);
	cpage_raw(p, "</button>\n</form>\n");
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
		cpage_message(p, 404, "No such case", "There is no such case.");
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
		cpage_message(p, 404, "No such case", "There is no such case.");
		return -1;
	}
	if (r < 0) {
		http_log(p->req, "error", "console: reading a case failed");
		cpage_message(p, 500, "Something went wrong",
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
	char a[CPAGE_AMOUNT_MAX], b[CPAGE_AMOUNT_MAX], w[INSTANT_FMT_MAX], d[DATE_FMT_MAX];
	int64_t credit = 0;
	struct history_ctx hc;
	struct err e;
	int r;

	memset(&k, 0, sizeof(k));
	memset(&cu, 0, sizeof(cu));
	if (cpage_open(req, resp, &p, 1) < 0 || load_case(&p, &k, &cu) < 0)
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
	if (r == 0)
		r = store_customer_credit(p.s, p.t.id, cu.id, k.currency, &credit,
					  &e);
	if (r < 0) {
		http_log(req, "error", "console: reading a case failed");
		cpage_message(&p, 500, "Something went wrong",
			     "The case could not be read; try again.");
		goto out;
	}
	cpage_begin(&p, 200, "Case");
	cpage_raw(&p, "<h1>");
	cpage_esc(&p, cu.name);
	cpage_raw(&p, " <span class=\"tag\">");
	cpage_esc(&p, cu.external_id);
	cpage_raw(&p, "</span></h1>\n<p class=\"status\" role=\"status\">Case ");
	cpage_escf(&p, "%lld", (long long)k.id);
	cpage_raw(&p, " · ");
	cpage_esc(&p, case_status_name(k.st.status));
	cpage_raw(&p, " · strategy ");
	cpage_esc(&p, k.strategy);
	cpage_raw(&p, " · next step ");
	cpage_escf(&p, "%lld", (long long)k.st.next_step + 1);
	if (k.st.hold_reason != HOLD_NONE) {
		cpage_raw(&p, " · paused (");
		cpage_esc(&p, hold_reason_name(k.st.hold_reason));
		cpage_raw(&p, ") until ");
		if (k.st.hold_until != DATE_NONE) {
			date_format(k.st.hold_until, d);
			cpage_esc(&p, d);
		}
	}
	if (cu.vulnerable)
		cpage_raw(&p, " · vulnerable");
	if (cu.moratorium_until != DATE_NONE) {
		date_format(cu.moratorium_until, d);
		cpage_raw(&p, " · moratorium until ");
		cpage_esc(&p, d);
	}
	cpage_raw(&p, "</p>\n<h2>Customer</h2>\n<dl class=\"bank\">\n<dt>Language</dt><dd>");
	cpage_esc(&p, cu.locale);
	cpage_raw(&p, "</dd>\n<dt>Time zone</dt><dd>");
	cpage_esc(&p, cu.timezone);
	cpage_raw(&p, "</dd>\n");
	for (size_t i = 0; i < cu.n_contacts; i++) {
		cpage_raw(&p, "<dt>");
		cpage_esc(&p, channel_name(cu.contacts[i].channel));
		cpage_raw(&p, "</dt><dd>");
		cpage_esc(&p, cu.contacts[i].address);
		cpage_raw(&p, cu.contacts[i].consent ? "" : " (no consent)");
		cpage_raw(&p, "</dd>\n");
	}
	cpage_raw(&p, "</dl>\n<h2>Open invoices</h2>\n<ul>\n");
	for (size_t i = 0; i < n_inv; i++) {
		cpage_raw(&p, "<li>");
		cpage_esc(&p, inv[i].number);
		cpage_raw(&p, ", due ");
		date_format(inv[i].due_date, d);
		cpage_esc(&p, d);
		cpage_raw(&p, ": ");
		cpage_esc(&p, cpage_money(&p, inv[i].open_minor, inv[i].currency, a));
		cpage_raw(&p, " of ");
		cpage_esc(&p, cpage_money(&p, inv[i].amount_minor, inv[i].currency, b));
		if (inv[i].disputed)
			cpage_raw(&p, " (disputed)");
		cpage_raw(&p, "</li>\n");
	}
	if (k.st.fees_minor > 0) {
		/* reminder fees: charged, and what payments paid of them */
		cpage_raw(&p, "<li>Reminder fees: ");
		cpage_esc(&p, cpage_money(&p, case_fees_open(&k), k.currency, a));
		cpage_raw(&p, " open of ");
		cpage_esc(&p, cpage_money(&p, k.st.fees_minor, k.currency, b));
		cpage_raw(&p, " charged</li>\n");
	}
	cpage_raw(&p, "</ul>\n");
	if (credit > 0) {
		cpage_raw(&p, "<p>Credit from overpayments: ");
		cpage_esc(&p, cpage_money(&p, credit, k.currency, a));
		cpage_raw(&p, " (pay it back or set it against a new invoice)</p>\n");
	}
	cpage_raw(&p, "<h2>Payments</h2>\n<ul>\n");
	for (size_t i = 0; i < n_pays; i++) {
		cpage_raw(&p, "<li>");
		date_format(pays[i].paid_on, d);
		cpage_esc(&p, d);
		cpage_raw(&p, ": ");
		cpage_esc(&p, cpage_money(&p, pays[i].amount_minor, k.currency, a));
		cpage_raw(&p, " (");
		cpage_esc(&p, pays[i].method);
		cpage_raw(&p, ")</li>\n");
	}
	cpage_raw(&p, "</ul>\n<h2>Requests</h2>\n<ul>\n");
	for (size_t i = 0; i < n_reqs; i++) {
		cpage_raw(&p, "<li>");
		cpage_esc(&p, cpage_when(reqs[i].created_at, w));
		cpage_raw(&p, ": ");
		cpage_esc(&p, reqs[i].kind);
		cpage_raw(&p, " (");
		cpage_esc(&p, reqs[i].status);
		cpage_raw(&p, ")");
		if (*reqs[i].reason) {
			cpage_raw(&p, ", ");
			cpage_esc(&p, reqs[i].reason);
		}
		if (reqs[i].callback_at) {
			cpage_raw(&p, ", call at ");
			cpage_esc(&p, cpage_when(reqs[i].callback_at, w));
		}
		if (*reqs[i].contact_via) {
			cpage_raw(&p, ", by ");
			cpage_esc(&p, reqs[i].contact_via);
		}
		if (*reqs[i].message) {
			cpage_raw(&p, ": <q>");
			cpage_esc(&p, reqs[i].message);
			cpage_raw(&p, "</q>");
		}
		cpage_raw(&p, "</li>\n");
	}
	cpage_raw(&p, "</ul>\n<h2>Messages</h2>\n<ul>\n");
	for (size_t i = 0; i < n_msgs; i++) {
		cpage_raw(&p, "<li>");
		cpage_esc(&p, cpage_when(msgs[i].sent_at ? msgs[i].sent_at
					     : msgs[i].created_at, w));
		cpage_raw(&p, ": ");
		cpage_esc(&p, msgs[i].step);
		cpage_raw(&p, " by ");
		cpage_esc(&p, msgs[i].channel);
		cpage_raw(&p, ", ");
		cpage_esc(&p, msgs[i].status);
		if (*msgs[i].last_error) {
			cpage_raw(&p, " (");
			cpage_esc(&p, msgs[i].last_error);
			cpage_raw(&p, ")");
		}
		cpage_raw(&p, "</li>\n");
	}
	cpage_raw(&p, "</ul>\n<h2>Notes</h2>\n<ul>\n");
	for (size_t i = 0; i < n_notes; i++) {
		cpage_raw(&p, "<li>");
		cpage_esc(&p, cpage_when(notes[i].created_at, w));
		cpage_raw(&p, ", ");
		cpage_esc(&p, notes[i].author);
		cpage_raw(&p, ": ");
		cpage_esc(&p, notes[i].body);
		cpage_raw(&p, "</li>\n");
	}
	cpage_raw(&p, "</ul>\n<h2>Actions</h2>\n<div class=\"actions\">\n");
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
	console_review_case_forms(&p, &k); /* managers: write off, close */
	cpage_raw(&p, "</div>\n<h2>Timeline</h2>\n<div class=\"scroll\" role=\"region\" "
		"tabindex=\"0\" aria-label=\"Timeline\">\n<table>\n<caption>What "
		"happened, oldest first</caption>\n<thead><tr><th scope=\"col\">At"
		"</th><th scope=\"col\">What</th><th scope=\"col\">Kind</th><th "
		"scope=\"col\">Step</th><th scope=\"col\">Channel</th><th "
		"scope=\"col\">Detail</th></tr></thead>\n<tbody>\n");
	hc.p = &p;
	hc.rows = 0;
	store_case_history(p.s, p.t.id, k.id, history_row, &hc, &e);
	cpage_raw(&p, "</tbody>\n</table>\n</div>\n");
	cpage_end(&p);
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
	int64_t total = case_fees_open(k);
	size_t n_inv = 0;
	int n = 0, months = 0, dom = 0, found = 0, r;

	memset(&pr, 0, sizeof(pr));
	if (k->st.status != CASE_OPEN) {
		cpage_message(p, 409, "The case is closed",
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
			cpage_message(p, 422, "Not a date that can be agreed",
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
		if (cpage_form(p, "months", ms, sizeof(ms)) < 0 ||
		    cpage_form(p, "day", ds, sizeof(ds)) < 0 ||
		    small_number(ms, 1, PLAN_MAX_INSTALMENTS, &months) < 0 ||
		    small_number(ds, 1, 31, &dom) < 0 ||
		    plan_schedule(total, currency_find(k->currency), months,
				  dom, today, &rules, in, &n, &ce) < 0) {
			snprintf(msg, sizeof(msg), "%s",
				 months && dom ? ce.msg
					       : "Give the number of months and "
						 "the day of the month.");
			cpage_message(p, 422, "Not a plan that can be agreed",
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
			cpage_message(p, 409, "A plan is running",
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
	char action[32], until[CPAGE_FIELD_MAX], extra[128], loc[160];
	char *note = arena_alloc(req->arena, CONSOLE_NOTE_MAX + 1);
	date_t d = DATE_NONE;
	struct err e;
	int found = 0, r = 0;

	memset(&k, 0, sizeof(k));
	memset(&cu, 0, sizeof(cu));
	if (cpage_open(req, resp, &p, 1) < 0 || cpage_post_ok(&p) < 0 ||
	    load_case(&p, &k, &cu) < 0)
		goto out;
	err_clear(&e);
	if (cpage_form(&p, "action", action, sizeof(action)) < 0)
		action[0] = '\0';
	if (cpage_form(&p, "until", until, sizeof(until)) < 0)
		until[0] = '\0';
	extra[0] = '\0';
	if ((strcmp(action, "pause") == 0 ||
	     strcmp(action, "moratorium") == 0) &&
	    (date_parse(until, &d, &e) < 0 || d < instant_date(req->now))) {
		cpage_message(&p, 422, "Not a date",
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
		cpage_see_other(&p, loc);
		goto out;
	}
	if (strcmp(action, "write_off") == 0 || strcmp(action, "close") == 0) {
		/* console_review.c: managers only, reason and confirmation */
		console_review_case_end(&p, &k, &cu, action);
		goto out;
	}
	r = store_begin(p.s, &e);
	if (r < 0)
		goto fail;
	if (strcmp(action, "note") == 0) {
		struct case_note_rec nr;
		int64_t id = 0;
		if (cpage_form(&p, "note", note, CONSOLE_NOTE_MAX + 1) < 0 || !*note) {
			store_rollback(p.s);
			cpage_message(&p, 422, "Empty note",
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
			cpage_message(&p, 409, "The case is closed",
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
		if (cpage_form(&p, "request", rid, sizeof(rid)) < 0)
			rid[0] = '\0';
		id = strtoll(rid, &endp, 10);
		if (!*rid || *endp || id <= 0) {
			store_rollback(p.s);
			cpage_message(&p, 422, "No such request",
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
		cpage_message(&p, 422, "Unknown action",
			     "That is not an action of this page.");
		goto out;
	}
	if (r == 0)
		r = store_commit(p.s, &e);
	if (r < 0)
		goto fail;
	snprintf(loc, sizeof(loc), "%s/cases/%lld", p.base, (long long)k.id);
	cpage_see_other(&p, loc);
	goto out;
fail:
	store_rollback(p.s);
	{
		char msg[600];
		snprintf(msg, sizeof(msg), "console: %.500s", e.msg);
		http_log(req, "error", msg);
	}
	cpage_message(&p, 500, "Something went wrong",
		     "The change was not saved; try again.");
out:
	customer_rec_clear(&cu);
	free(k.strategy);
	cpage_free(&p);
}
