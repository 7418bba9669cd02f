/*
 * console_review: the payment review page and the case page's write-off
 * and close (see console_review.h).
 *
 * Pages go through console_page's helpers only: markup is a literal of
 * this file, every value escaped. Each change is one transaction ending
 * in a 303, so a reload never repeats it; a refused change writes nothing.
 * The candidates of a review item are read from its JSON (what the
 * matcher found) and then looked up again, so the page shows what is open
 * now, not what was open at the import.
 */
#include "console_review.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "date.h"
#include "dispatch.h"
#include "mem.h"
#include "money.h"
#include "pay.h"
#include "serve.h"
#include "tz.h"

/* "bank:" + a bank reference (as statement.c writes it). */
#define REVIEW_EXT_MAX (STORE_ID_MAX + 8)
/* Bytes of an event's detail or an entry's reason we write. */
#define REVIEW_DETAIL_MAX 1024

/* ---- small helpers ------------------------------------------------------ */

/* A positive id from text; 0 when it is not one. */
static int64_t parse_id(const char *s)
{
	char *end = NULL;
	long long v;
	if (!s || !*s)
		return 0;
	v = strtoll(s, &end, 10);
	return *end || v <= 0 ? 0 : (int64_t)v;
}

/* The JSON text of a case event's detail (owned; jansson escapes the
 * operator's words). */
static char *detail_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(o);
	if (!s) {
		fprintf(stderr, "console_review: out of memory\n");
		abort();
	}
	return s;
}

static void log_failure(struct cpage *p, const struct err *e)
{
	char msg[600];
	snprintf(msg, sizeof(msg), "console: %.500s", e->msg);
	http_log(p->req, "error", msg);
	cpage_message(p, 500, "Something went wrong",
		      "The change was not saved; try again.");
}

/* The review page's own address. */
static void review_url(const struct cpage *p, int64_t id, char *buf,
		       size_t cap)
{
	snprintf(buf, cap, "%s/review/%lld", p->base, (long long)id);
}

/* Load the review item named by the path; answers 404 itself. */
static int load_review(struct cpage *p, struct review_rec *r)
{
	int64_t id = parse_id(http_param(p->req, "id"));
	struct err e;
	int rc;

	if (!id) {
		cpage_message(p, 404, "No such payment",
			      "There is no such payment to match.");
		return -1;
	}
	err_clear(&e);
	rc = store_review_get(p->s, p->t.id, id, r, &e);
	if (rc == -ERR_NOTFOUND) {
		cpage_message(p, 404, "No such payment",
			      "There is no such payment to match.");
		return -1;
	}
	if (rc < 0) {
		log_failure(p, &e);
		return -1;
	}
	return 0;
}

/* A payment received: a credit that does not undo an earlier payment. */
static int is_payment(const struct review_rec *r)
{
	return r->credit && !r->undoes;
}

/* ---- the page ------------------------------------------------------------ */

static void dl_row(struct cpage *p, const char *term, const char *value)
{
	if (!value || !*value)
		return;
	cpage_raw(p, "<dt>");
	cpage_esc(p, term);
	cpage_raw(p, "</dt><dd>");
	cpage_esc(p, value);
	cpage_raw(p, "</dd>\n");
}

/* The form that applies the payment to one target. */
static void apply_form(struct cpage *p, const struct review_rec *r,
		       const char *target, int64_t id, const char *button)
{
	char url[160];
	review_url(p, r->id, url, sizeof(url));
	cpage_raw(p, "<form method=\"post\" action=\"");
	cpage_esc(p, url);
	cpage_raw(p, "\" class=\"inline\">\n");
	cpage_hidden_csrf(p);
	cpage_raw(p, "<input type=\"hidden\" name=\"action\" value=\"apply\">\n"
		     "<input type=\"hidden\" name=\"target\" value=\"");
	cpage_esc(p, target);
	cpage_raw(p, "\">\n<input type=\"hidden\" name=\"id\" value=\"");
	cpage_escf(p, "%lld", (long long)id);
	cpage_raw(p, "\">\n<button type=\"submit\">");
	cpage_esc(p, button);
	cpage_raw(p, "</button>\n</form>");
}

/* The action cell of a target row: a button, or why there is none. */
static void target_action(struct cpage *p, const struct review_rec *r,
			  const struct review_target *t, int open_item)
{
	char why[96];
	if (!open_item || !is_payment(r))
		return;
	if (t->invoice_id || t->case_id) {
		if (strcmp(t->currency, r->currency) != 0) {
			snprintf(why, sizeof(why),
				 "In %s: a payment in %s cannot be applied "
				 "to it.", t->currency, r->currency);
			cpage_esc(p, why);
			return;
		}
		if (!t->open) {
			cpage_esc(p, t->invoice_id ? "Paid or written off."
						   : "Closed.");
			return;
		}
	}
	if (t->invoice_id)
		apply_form(p, r, "invoice", t->invoice_id,
			   "Apply to this invoice");
	else if (t->case_id)
		apply_form(p, r, "case", t->case_id, "Apply to this case");
	else
		apply_form(p, r, "customer", t->customer_id,
			   "Apply to this customer");
}

/* One row of a table of targets (candidates or search results). */
static void target_row(struct cpage *p, const struct review_rec *r,
		       const struct review_target *t, int open_item)
{
	char a[CPAGE_AMOUNT_MAX], d[DATE_FMT_MAX];
	cpage_raw(p, "<tr><th scope=\"row\">");
	if (t->invoice_id) {
		cpage_raw(p, "Invoice ");
		cpage_esc(p, t->number);
	}
	if (t->case_id) {
		cpage_raw(p, t->invoice_id ? ", case " : "Case ");
		cpage_raw(p, "<a href=\"");
		cpage_esc(p, p->base);
		cpage_raw(p, "/cases/");
		cpage_escf(p, "%lld", (long long)t->case_id);
		cpage_raw(p, "\">");
		cpage_escf(p, "%lld", (long long)t->case_id);
		cpage_raw(p, "</a>");
	}
	if (!t->invoice_id && !t->case_id)
		cpage_raw(p, "No open case");
	cpage_raw(p, "</th><td>");
	cpage_esc(p, t->customer_name);
	cpage_raw(p, " (");
	cpage_esc(p, t->customer);
	cpage_raw(p, ")</td><td class=\"num\">");
	if (*t->currency)
		cpage_esc(p, cpage_money(p, t->open_minor, t->currency, a));
	cpage_raw(p, "</td><td>");
	if (t->due_date != DATE_NONE) {
		date_format(t->due_date, d);
		cpage_esc(p, d);
	}
	cpage_raw(p, "</td><td>");
	target_action(p, r, t, open_item);
	cpage_raw(p, "</td></tr>\n");
}

static void targets_head(struct cpage *p, const char *label,
			 const char *caption)
{
	cpage_raw(p, "<div class=\"scroll\" role=\"region\" tabindex=\"0\" "
		     "aria-label=\"");
	cpage_esc(p, label);
	cpage_raw(p, "\">\n<table>\n<caption>");
	cpage_esc(p, caption);
	cpage_raw(p, "</caption>\n<thead><tr><th scope=\"col\">What</th>"
		     "<th scope=\"col\">Customer</th><th scope=\"col\" "
		     "class=\"num\">Open now</th><th scope=\"col\">Due</th>"
		     "<th scope=\"col\">Action</th></tr></thead>\n<tbody>\n");
}

static void targets_foot(struct cpage *p)
{
	cpage_raw(p, "</tbody>\n</table>\n</div>\n");
}

/* The candidates of the item's JSON, looked up again. */
static int show_candidates(struct cpage *p, const struct review_rec *r,
			   int open_item, struct err *e)
{
	json_error_t je;
	json_t *list = json_loads(r->candidates, 0, &je);
	size_t i, shown = 0;
	json_t *c;
	int rc = 0;

	cpage_raw(p, "<h2>Candidates</h2>\n");
	if (!json_is_array(list) || json_array_size(list) == 0) {
		cpage_raw(p, "<p>The matcher found no candidate: search for "
			     "the customer below.</p>\n");
		json_decref(list);
		return 0;
	}
	json_array_foreach(list, i, c) {
		const char *target = json_string_value(json_object_get(c,
								       "target"));
		json_int_t id = json_integer_value(json_object_get(c, "id"));
		struct review_target t;
		int is_case;

		if (!target || id <= 0)
			continue;
		if (strcmp(target, "entry") == 0) {
			/* a payment a reversal might undo */
			char a[CPAGE_AMOUNT_MAX];
			const char *cur = json_string_value(
				json_object_get(c, "currency"));
			json_int_t amt = json_integer_value(
				json_object_get(c, "amount_minor"));
			if (!shown++)
				cpage_raw(p, "<ul>\n");
			cpage_raw(p, "<li>Statement entry ");
			cpage_escf(p, "%lld", (long long)id);
			cpage_raw(p, ": ");
			cpage_esc(p, cpage_money(p, amt, cur ? cur : r->currency, a));
			cpage_raw(p, "</li>\n");
			continue;
		}
		is_case = strcmp(target, "case") == 0;
		if (!is_case && strcmp(target, "invoice") != 0)
			continue;
		rc = store_review_target(p->s, p->t.id, is_case, id, &t, e);
		if (rc == -ERR_NOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc < 0)
			break;
		if (!shown++)
			targets_head(p, "Candidates",
				     "What the matcher found, as it is now");
		target_row(p, r, &t, open_item);
		review_target_clear(&t);
	}
	if (rc == 0 && shown) {
		/* "entry" rows were a list, the others a table */
		const char *first = json_string_value(json_object_get(
			json_array_get(list, 0), "target"));
		if (first && strcmp(first, "entry") == 0)
			cpage_raw(p, "</ul>\n");
		else
			targets_foot(p);
	}
	if (rc == 0 && !shown)
		cpage_raw(p, "<p>None of the candidates exists any more: "
			     "search for the customer below.</p>\n");
	json_decref(list);
	return rc;
}

/* The customer search and its results. */
static int show_search(struct cpage *p, const struct review_rec *r,
		       int open_item, struct err *e)
{
	const char *q = http_query(p->req, "q");
	struct review_target *rows = NULL;
	size_t n = 0;
	char url[160];
	int rc = 0;

	if (q && strlen(q) > CONSOLE_REVIEW_QUERY_MAX)
		q = NULL;
	review_url(p, r->id, url, sizeof(url));
	cpage_raw(p, "<h2>Apply to another customer</h2>\n<form method=\"get\" "
		     "action=\"");
	cpage_esc(p, url);
	cpage_raw(p, "\" role=\"search\">\n<label for=\"q\">The customer's id or "
		     "part of their name</label>\n<input type=\"search\" "
		     "id=\"q\" name=\"q\" maxlength=\"128\" required value=\"");
	cpage_esc(p, q ? q : "");
	cpage_raw(p, "\">\n<button type=\"submit\">Search</button>\n</form>\n");
	if (!q || !*q)
		return 0;
	rc = store_review_customers(p->s, p->t.id, q, CONSOLE_REVIEW_SEARCH_MAX,
				    &rows, &n, e);
	if (rc < 0)
		return rc;
	if (!n) {
		cpage_raw(p, "<p role=\"status\">No customer matches <q>");
		cpage_esc(p, q);
		cpage_raw(p, "</q>.</p>\n");
	} else {
		targets_head(p, "Customers found", "Customers found");
		for (size_t i = 0; i < n; i++)
			target_row(p, r, &rows[i], open_item);
		targets_foot(p);
	}
	review_target_list_free(rows, n);
	return 0;
}

void console_review(const struct http_request *req,
		    struct http_response *resp)
{
	struct cpage p;
	struct review_rec r;
	char a[CPAGE_AMOUNT_MAX], d[DATE_FMT_MAX], w[INSTANT_FMT_MAX];
	char url[160];
	struct err e;
	int open_item;

	memset(&r, 0, sizeof(r));
	if (cpage_open(req, resp, &p, 1) < 0 || load_review(&p, &r) < 0)
		goto out;
	err_clear(&e);
	open_item = strcmp(r.status, "open") == 0;
	cpage_begin(&p, 200, is_payment(&r) ? "Payment to match"
					    : "Bank entry to check");
	cpage_raw(&p, "<h1>");
	cpage_esc(&p, is_payment(&r) ? "Payment to match" : "Bank entry to check");
	cpage_raw(&p, "</h1>\n");
	if (!open_item) {
		cpage_raw(&p, "<p role=\"status\">Dealt with");
		if (r.resolved_at) {
			cpage_raw(&p, " at ");
			cpage_esc(&p, cpage_when(r.resolved_at, w));
		}
		cpage_raw(&p, ": ");
		cpage_esc(&p, strcmp(r.outcome, "payment") == 0
				      ? "recorded as a payment."
				      : "closed without a payment.");
		cpage_raw(&p, "</p>\n");
	}
	cpage_raw(&p, "<h2>The bank entry</h2>\n<dl>\n");
	dl_row(&p, "Amount", cpage_money(&p, r.amount_minor, r.currency, a));
	dl_row(&p, "Direction", r.credit ? "money in" : "money out");
	if (r.booked_on != DATE_NONE) {
		date_format(r.booked_on, d);
		dl_row(&p, "Booked on", d);
	}
	dl_row(&p, "From", r.debtor_name);
	dl_row(&p, "Account (IBAN)", r.debtor_iban);
	dl_row(&p, "Structured reference", r.reference);
	dl_row(&p, "Remittance text", r.unstructured);
	dl_row(&p, "Statement", r.statement_id);
	dl_row(&p, "Bank reference", r.bank_ref);
	dl_row(&p, "Why it is here", r.reason);
	cpage_raw(&p, "</dl>\n");
	if (!is_payment(&r))
		cpage_raw(&p, "<p>This entry undoes or takes money out; it "
			      "cannot be applied here. Check it with the "
			      "bank, then close it.</p>\n");
	if (show_candidates(&p, &r, open_item, &e) < 0 ||
	    (open_item && is_payment(&r) &&
	     show_search(&p, &r, open_item, &e) < 0)) {
		char msg[600];
		snprintf(msg, sizeof(msg), "console: %.500s", e.msg);
		http_log(req, "error", msg);
		cpage_raw(&p, "<p class=\"error\" role=\"alert\">Part of this "
			      "page could not be read; reload it.</p>\n");
	}
	if (open_item) {
		review_url(&p, r.id, url, sizeof(url));
		cpage_raw(&p, "<h2>");
		cpage_esc(&p, is_payment(&r) ? "Not ours" : "Close it");
		cpage_raw(&p, "</h2>\n<form method=\"post\" action=\"");
		cpage_esc(&p, url);
		cpage_raw(&p, "\" class=\"action\">\n");
		cpage_hidden_csrf(&p);
		cpage_raw(&p, "<input type=\"hidden\" name=\"action\" "
			      "value=\"not_ours\">\n<label for=\"no-reason\">"
			      "Reason (e.g. returned to the sender)</label>\n"
			      "<input type=\"text\" id=\"no-reason\" "
			      "name=\"reason\" maxlength=\"500\" required>\n"
			      "<button type=\"submit\">");
		cpage_esc(&p, is_payment(&r) ? "Not ours / return to sender"
					     : "Close without a change");
		cpage_raw(&p, "</button>\n</form>\n");
	}
	cpage_end(&p);
out:
	review_rec_clear(&r);
	cpage_free(&p);
}

/* ---- deciding ------------------------------------------------------------- */

/* Where "apply" sends the payment. */
struct apply_to {
	int64_t customer_id;   /* the customer */
	int64_t invoice_id;    /* named first, 0 = none */
	int64_t case_id;       /* the case chosen or the invoice's, 0 */
	const char *target;    /* invoice | case | customer */
	int64_t id;            /* the target's id */
};

/* Check the chosen target; answers (404, 409, 422) and returns 1 when it
 * is refused, < 0 on a store failure. */
static int apply_target(struct cpage *p, const struct review_rec *r,
			struct apply_to *to, struct err *e)
{
	char target[16], ids[32], msg[160];
	struct review_target t;
	int rc;

	memset(to, 0, sizeof(*to));
	if (cpage_form(p, "target", target, sizeof(target)) < 0)
		target[0] = '\0';
	if (cpage_form(p, "id", ids, sizeof(ids)) < 0)
		ids[0] = '\0';
	to->id = parse_id(ids);
	if (!is_payment(r)) {
		cpage_message(p, 422, "Not a payment",
			      "This entry undoes or takes money out: it "
			      "cannot be applied as a payment.");
		return 1;
	}
	if (!to->id || (strcmp(target, "invoice") != 0 &&
			strcmp(target, "case") != 0 &&
			strcmp(target, "customer") != 0)) {
		cpage_message(p, 422, "Choose where it goes",
			      "Choose an invoice, a case or a customer.");
		return 1;
	}
	if (strcmp(target, "customer") == 0) {
		char *ext = NULL;
		rc = store_customer_external_id(p->s, p->t.id, to->id, &ext, e);
		free(ext);
		if (rc == -ERR_NOTFOUND) {
			cpage_message(p, 404, "No such customer",
				      "There is no such customer.");
			return 1;
		}
		if (rc < 0)
			return rc;
		to->target = "customer";
		to->customer_id = to->id;
		return 0;
	}
	rc = store_review_target(p->s, p->t.id, strcmp(target, "case") == 0,
				 to->id, &t, e);
	if (rc == -ERR_NOTFOUND) {
		cpage_message(p, 404, "Not found",
			      "There is no such invoice or case.");
		return 1;
	}
	if (rc < 0)
		return rc;
	to->target = t.invoice_id ? "invoice" : "case";
	to->customer_id = t.customer_id;
	to->invoice_id = t.invoice_id;
	to->case_id = t.case_id;
	rc = 0;
	if (strcmp(t.currency, r->currency) != 0) {
		snprintf(msg, sizeof(msg),
			 "The payment is in %s and the %s in %s: it cannot "
			 "be applied to it. Apply it to the customer, or "
			 "return it.", r->currency, to->target, t.currency);
		cpage_message(p, 422, "Another currency", msg);
		rc = 1;
	} else if (!t.open) {
		cpage_message(p, 409, t.invoice_id ? "Nothing open"
						   : "The case is closed",
			      t.invoice_id ? "This invoice is paid or written "
					     "off: apply the payment to the "
					     "customer instead."
					   : "This case is closed: apply the "
					     "payment to the customer "
					     "instead.");
		rc = 1;
	}
	review_target_clear(&t);
	return rc;
}

/* The payment's date: booked, else today. */
static date_t paid_on(const struct cpage *p, const struct review_rec *r)
{
	return r->booked_on != DATE_NONE ? r->booked_on
					 : instant_date(p->req->now);
}

/* Apply the payment (inside the caller's transaction). 1: refused and
 * answered (409: recorded before). */
static int apply(struct cpage *p, const struct review_rec *r,
		 const struct apply_to *to, struct err *e)
{
	struct payment_rec pm;
	struct pay_result pr;
	struct statement_entry_rec rec;
	char ext[REVIEW_EXT_MAX];
	int64_t case_id;
	char *detail;
	int rc;

	snprintf(ext, sizeof(ext), "bank:%s", r->bank_ref);
	memset(&pm, 0, sizeof(pm));
	pm.tenant_id = p->t.id;
	pm.external_id = ext;
	pm.customer_id = to->customer_id;
	pm.invoice_id = to->invoice_id;
	pm.amount_minor = r->amount_minor;
	memcpy(pm.currency, r->currency, sizeof(pm.currency));
	pm.paid_on = paid_on(p, r);
	pm.method = "bank_transfer";
	rc = pay_receive(p->s, &p->t, &pm, p->req->now, &pr, e);
	if (rc < 0)
		return rc;
	if (!pr.recorded) {
		cpage_message(p, 409, "Recorded already",
			      "A payment with this bank reference is recorded "
			      "already; nothing was changed.");
		return 1;
	}
	case_id = to->case_id ? to->case_id : pr.case_id;
	memset(&rec, 0, sizeof(rec));
	rec.outcome = "payment";
	rec.payment_external_id = ext;
	rec.case_id = case_id;
	rec.invoice_id = to->invoice_id;
	rec.customer_id = to->customer_id;
	rec.credit_minor = pr.left_minor;
	rec.rule = "manual";
	rec.reason = r->reason;
	rc = store_review_entry_decide(p->s, p->t.id, r->entry_id, &rec, e);
	/* The account is learnt as the import learns it: the next payment
	 * from it matches by itself. */
	if (rc == 0 && *r->debtor_iban)
		rc = store_payer_upsert(p->s, p->t.id, to->customer_id,
					r->debtor_iban, r->debtor_name,
					pm.paid_on, e);
	if (rc < 0 || !case_id)
		return rc;
	detail = detail_json(json_pack(
		"{s:I, s:I, s:I, s:s, s:I, s:I, s:s, s:I}", "operator",
		(json_int_t)p->op.id, "review", (json_int_t)r->id, "entry",
		(json_int_t)r->entry_id, "target", to->target, "id",
		(json_int_t)to->id, "amount_minor",
		(json_int_t)r->amount_minor, "currency", r->currency,
		"left_minor", (json_int_t)pr.left_minor));
	rc = store_case_event(p->s, p->t.id, case_id, p->req->now,
			      "payment.matched", detail, e);
	free(detail);
	return rc;
}

void console_review_post(const struct http_request *req,
			 struct http_response *resp)
{
	struct cpage p;
	struct review_rec r;
	struct apply_to to;
	char action[16], reason[CONSOLE_REVIEW_REASON_MAX + 1], url[160];
	char why[REVIEW_DETAIL_MAX];
	struct err e;
	int found = 0, rc;

	memset(&r, 0, sizeof(r));
	if (cpage_open(req, resp, &p, 1) < 0 || cpage_post_ok(&p) < 0 ||
	    load_review(&p, &r) < 0)
		goto out;
	err_clear(&e);
	if (cpage_form(&p, "action", action, sizeof(action)) < 0)
		action[0] = '\0';
	if (strcmp(r.status, "open") != 0) {
		cpage_message(&p, 409, "Dealt with already",
			      "Someone has dealt with this entry already; "
			      "nothing was changed.");
		goto out;
	}
	if (strcmp(action, "apply") == 0) {
		rc = apply_target(&p, &r, &to, &e);
		if (rc == 1)
			goto out;
		if (rc < 0)
			goto fail;
	} else if (strcmp(action, "not_ours") == 0) {
		if (cpage_form(&p, "reason", reason, sizeof(reason)) < 0 ||
		    !*reason) {
			cpage_message(&p, 422, "Give a reason",
				      "Say why the entry is not ours (at most "
				      "500 characters).");
			goto out;
		}
	} else {
		cpage_message(&p, 422, "Unknown action",
			      "That is not an action of this page.");
		goto out;
	}
	rc = store_begin(p.s, &e);
	if (rc < 0)
		goto fail;
	/* First, so that of two people deciding at once the second waits
	 * here and then finds the item done. */
	rc = store_review_done(p.s, p.t.id, r.id, req->now, &found, &e);
	if (rc == 0 && !found) {
		store_rollback(p.s);
		cpage_message(&p, 409, "Dealt with already",
			      "Someone has dealt with this entry meanwhile; "
			      "nothing was changed.");
		goto out;
	}
	if (rc == 0 && *action == 'a') {
		rc = apply(&p, &r, &to, &e);
		if (rc == 1) {
			store_rollback(p.s);
			goto out;
		}
	} else if (rc == 0) {
		struct statement_entry_rec rec;
		memset(&rec, 0, sizeof(rec));
		snprintf(why, sizeof(why), "not ours (operator %lld): %s",
			 (long long)p.op.id, reason);
		rec.outcome = "ignored";
		rec.rule = "manual";
		rec.reason = why;
		rc = store_review_entry_decide(p.s, p.t.id, r.entry_id, &rec,
					       &e);
	}
	if (rc == 0)
		rc = store_commit(p.s, &e);
	if (rc < 0)
		goto fail;
	dispatch_wake(); /* the thank-you and the tenant's webhooks */
	review_url(&p, r.id, url, sizeof(url));
	cpage_see_other(&p, url);
	goto out;
fail:
	store_rollback(p.s);
	log_failure(&p, &e);
out:
	review_rec_clear(&r);
	cpage_free(&p);
}

/* ---- writing off and closing a case ---------------------------------------- */

static int may_end_cases(const struct cpage *p)
{
	return strcmp(p->op.role, "manager") == 0 ||
	       strcmp(p->op.role, "admin") == 0;
}

static void end_form(struct cpage *p, const struct case_rec *k,
		     const char *action, const char *title, const char *text,
		     const char *understand, const char *button)
{
	char id[40];
	cpage_raw(p, "<form method=\"post\" action=\"");
	cpage_esc(p, p->base);
	cpage_raw(p, "/cases/");
	cpage_escf(p, "%lld", (long long)k->id);
	cpage_raw(p, "\" class=\"action\">\n<h3>");
	cpage_esc(p, title);
	cpage_raw(p, "</h3>\n<p>");
	cpage_esc(p, text);
	cpage_raw(p, "</p>\n");
	cpage_hidden_csrf(p);
	cpage_raw(p, "<input type=\"hidden\" name=\"action\" value=\"");
	cpage_esc(p, action);
	snprintf(id, sizeof(id), "%s-reason", action);
	cpage_raw(p, "\">\n<label for=\"");
	cpage_esc(p, id);
	cpage_raw(p, "\">Reason</label>\n<input type=\"text\" id=\"");
	cpage_esc(p, id);
	cpage_raw(p, "\" name=\"reason\" maxlength=\"500\" required>\n"
		     "<p><input type=\"checkbox\" id=\"");
	snprintf(id, sizeof(id), "%s-confirm", action);
	cpage_esc(p, id);
	cpage_raw(p, "\" name=\"confirm\" value=\"yes\" required>\n<label "
		     "for=\"");
	cpage_esc(p, id);
	cpage_raw(p, "\">");
	cpage_esc(p, understand);
	cpage_raw(p, "</label></p>\n<button type=\"submit\">");
	cpage_esc(p, button);
	cpage_raw(p, "</button>\n</form>\n");
}

void console_review_case_forms(struct cpage *p, const struct case_rec *k)
{
	if (!may_end_cases(p) || k->st.status != CASE_OPEN)
		return;
	end_form(p, k, "write_off", "Write the debt off",
		 "Dunning stops for good: the open invoices are written off "
		 "and nothing more is sent.",
		 "I understand that the open invoices are written off and "
		 "the customer is not asked again.",
		 "Write off");
	end_form(p, k, "close", "Close the case",
		 "For a debt settled outside dunwell or cancelled: nothing "
		 "is owed any more and nothing more is sent.",
		 "I understand that the open invoices are closed as settled "
		 "and the customer is not asked again.",
		 "Close the case");
}

/* Write the case off or close it, inside the caller's transaction. */
static int end_case(struct cpage *p, const struct case_rec *k0,
		    const struct customer_rec *cu, int write_off,
		    const char *reason, int *ret_closed, struct err *e)
{
	struct case_rec k;
	struct invoice_rec *inv = NULL;
	struct plan_rec plan;
	struct tz *zone = NULL;
	size_t n_inv = 0;
	int64_t open = 0, restricted = 0;
	long cancelled = 0;
	char *detail = NULL;
	int rc;

	memset(&k, 0, sizeof(k));
	memset(&plan, 0, sizeof(plan));
	*ret_closed = 0;
	rc = store_case_get(p->s, p->t.id, k0->id, &k, e);
	if (rc < 0)
		goto out;
	if (k.st.status != CASE_OPEN) {
		*ret_closed = 1; /* closed meanwhile */
		goto out;
	}
	rc = store_invoices_open(p->s, p->t.id, k.customer_id, k.currency,
				 &inv, &n_inv, e);
	for (size_t i = 0; rc == 0 && i < n_inv; i++) {
		if (money_add(open, inv[i].open_minor, &open) < 0)
			open = INT64_MAX;
		rc = write_off ? store_invoice_write_off(p->s, p->t.id,
							 inv[i].id, e)
			       : store_invoice_set_open(p->s, p->t.id,
							inv[i].id, 0, e);
	}
	if (rc < 0)
		goto out;
	/* The case's dates are the customer's local dates. */
	if (tz_load(*cu->timezone ? cu->timezone : p->t.timezone, &zone,
		    NULL) < 0)
		zone = NULL;
	k.st.status = write_off ? CASE_WRITTEN_OFF : CASE_RESOLVED;
	k.closed_on = zone ? tz_local_date(zone, p->req->now)
			   : instant_date(p->req->now);
	rc = store_case_update(p->s, &k, e);
	if (rc == 0) {
		rc = store_plan_active(p->s, p->t.id, k.id, &plan, e);
		if (rc == 0) {
			snprintf(plan.status, sizeof(plan.status),
				 "cancelled");
			plan.ended_at = p->req->now;
			rc = store_plan_update(p->s, &plan, e);
		} else if (rc == -ERR_NOTFOUND) {
			rc = 0;
		}
	}
	if (rc == 0)
		rc = store_case_messages_cancel(p->s, p->t.id, k.id,
						write_off ? "written off"
							  : "the case is closed",
						p->req->now, &cancelled, e);
	if (rc < 0)
		goto out;
	detail = detail_json(json_pack(
		"{s:I, s:s, s:I, s:s, s:I, s:I}", "operator",
		(json_int_t)p->op.id, "reason", reason,
		write_off ? "written_off_minor" : "closed_minor",
		(json_int_t)open, "currency", k.currency, "invoices",
		(json_int_t)n_inv, "messages_cancelled",
		(json_int_t)cancelled));
	rc = store_case_event(p->s, p->t.id, k.id, p->req->now,
			      write_off ? "case.written_off" : "case.resolved",
			      detail, e);
	/* Settled: a service restricted for this case may be given back at
	 * once (as when the run resolves a paid case). */
	if (rc == 0 && !write_off)
		rc = store_event_count(p->s, p->t.id, k.id, "service.restrict",
				       &restricted, e);
	if (rc == 0 && restricted > 0)
		rc = store_case_event(p->s, p->t.id, k.id, p->req->now,
				      "service.restore", "{}", e);
out:
	free(detail);
	tz_free(zone);
	plan_rec_clear(&plan);
	invoice_list_free(inv, n_inv);
	free(k.strategy);
	return rc;
}

void console_review_case_end(struct cpage *p, const struct case_rec *k,
			     const struct customer_rec *cu,
			     const char *action)
{
	char reason[CONSOLE_REVIEW_REASON_MAX + 1], confirm[8], loc[160];
	int write_off = strcmp(action, "write_off") == 0, closed = 0, rc;
	struct err e;

	if (!may_end_cases(p)) {
		cpage_message(p, 403, "Not allowed",
			      "Only a manager or an admin can write off or "
			      "close a case.");
		return;
	}
	if (cpage_form(p, "reason", reason, sizeof(reason)) < 0 ||
	    !*reason) {
		cpage_message(p, 422, "Give a reason",
			      "Say why (at most 500 characters).");
		return;
	}
	if (cpage_form(p, "confirm", confirm, sizeof(confirm)) < 0 ||
	    strcmp(confirm, "yes") != 0) {
		cpage_message(p, 422, "Confirm it",
			      "Tick the box to confirm that you understand "
			      "what this does.");
		return;
	}
	if (k->st.status != CASE_OPEN) {
		cpage_message(p, 409, "The case is closed",
			      "This case is closed already.");
		return;
	}
	err_clear(&e);
	rc = store_begin(p->s, &e);
	if (rc == 0)
		rc = end_case(p, k, cu, write_off, reason, &closed, &e);
	if (rc == 0 && closed) {
		store_rollback(p->s);
		cpage_message(p, 409, "The case is closed",
			      "This case was closed meanwhile.");
		return;
	}
	if (rc == 0)
		rc = store_commit(p->s, &e);
	if (rc < 0) {
		store_rollback(p->s);
		log_failure(p, &e);
		return;
	}
	dispatch_wake(); /* the tenant's webhook goes out now */
	snprintf(loc, sizeof(loc), "%s/cases/%lld", p->base, (long long)k->id);
	cpage_see_other(p, loc);
}
