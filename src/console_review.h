/*
 * console_review: the console's payment review page (issues #7 and #9),
 * and the case page's write-off and close actions.
 *
 *   GET  /console/{tenant}/review/{id}   a bank statement entry the
 *                                        matcher could not place (none,
 *                                        several candidates, another
 *                                        currency): the entry, why it is
 *                                        here, its candidates as they are
 *                                        now, each with "Apply to this
 *                                        invoice/case"; a search for a
 *                                        customer (?q= external id or
 *                                        part of the name) to apply it
 *                                        elsewhere; "Not ours"
 *   POST /console/{tenant}/review/{id}   action=apply (target=invoice|
 *                                        case|customer, id=N) or
 *                                        action=not_ours (reason)
 *
 * Applying is one transaction: the review item done (only while still
 * open: of two people deciding at once, the second is told), the payment
 * received through pay_receive under the statement's own external id
 * "bank:<bank_ref>" (so a re-import of the statement changes nothing),
 * the entry's outcome 'payment' with its case, invoice, customer and rule
 * 'manual', the payer's account learnt (payer_accounts, as the import
 * learns it: the next payment from it matches by itself) and a
 * payment.matched case event naming the operator. A payment cannot go to
 * an invoice or case in another currency. "Not ours" closes the item
 * without a payment: the entry's outcome becomes 'ignored' with the
 * operator's reason. Reversals and returns in review are shown, and can
 * only be closed without a change here.
 *
 * Writing off or closing a case (managers and admins; the form asks for a
 * reason and a ticked "I understand"): the case written_off with its open
 * invoices written off (dunning stops; case.written_off, a webhook), or
 * resolved with its open invoices set to nothing owed (the debt settled
 * outside dunwell or cancelled by the tenant; case.resolved, and
 * service.restore when the service was restricted); either way an active
 * plan is cancelled and every queued message of the case that no worker
 * holds is cancelled at once (dispatch cancels the rest: the case is no
 * longer open). The event names the operator and the reason.
 */
#ifndef DUNWELL_CONSOLE_REVIEW_H
#define DUNWELL_CONSOLE_REVIEW_H

#include "console_page.h"
#include "http.h"
#include "store.h"

#define CONSOLE_REVIEW_SEARCH_MAX 20   /* rows a customer search shows */
#define CONSOLE_REVIEW_QUERY_MAX 128   /* bytes of a search */
#define CONSOLE_REVIEW_REASON_MAX 500  /* bytes of a reason */

/* GET and POST /console/{tenant}/review/{id}. */
void console_review(const struct http_request *req,
		    struct http_response *resp);
void console_review_post(const struct http_request *req,
			 struct http_response *resp);

/* The case page's write-off and close forms; nothing for agents or for a
 * case that is not open. */
void console_review_case_forms(struct cpage *p, const struct case_rec *k);

/* The case page's POST action "write_off" or "close" on case k (loaded,
 * the CSRF token checked): answers 403 to an agent, 422 without a reason
 * or the confirmation, 409 for a case not open, else a 303 back to the
 * case. */
void console_review_case_end(struct cpage *p, const struct case_rec *k,
			     const struct customer_rec *cu,
			     const char *action);

#endif
