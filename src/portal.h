/*
 * portal: the customer's personal page (issue #6) — what they owe, and
 * the ways to settle it on their own terms: pay (bank transfer with the
 * EPC QR code, or a payment provider's hosted checkout), choose a later
 * date, set up an instalment plan, ask for help, ask for a call back,
 * dispute an invoice, change how and in which language they are
 * reminded, and listen to the page.
 *
 * The page is reached by the link in every message: "/p/<token>". The
 * token is the only credential: 256 random bits, only its SHA-256 kept
 * (table links), expiring, revocable; lookups of unknown tokens are
 * rate-limited per address. Every page is server-rendered HTML that works
 * without JavaScript, loads nothing from elsewhere, and is sent with a
 * strict Content-Security-Policy and no-store caching; every form carries
 * a CSRF token made from a per-link key. Texts come from the catalogs of
 * portal_text (en, nl, de, fr; a plain-language variant).
 *
 * Everything the customer does is written in one transaction with an
 * event in the case's log (promise.made, plan.created, help.requested,
 * callback.requested, dispute.opened, preferences.changed), which the
 * tenant's webhooks and the agents' queue read.
 *
 * The handlers are listed in serve.c's route table.
 */
#ifndef DUNWELL_PORTAL_H
#define DUNWELL_PORTAL_H

#include "http.h"
#include "store.h"

#define PORTAL_PAGE_MAX (256 * 1024) /* bytes of one page at most */
#define PORTAL_MESSAGE_MAX 2000      /* bytes of a customer's own words */
#define PORTAL_BAD_LOOKUPS_PER_MIN 10 /* unknown tokens per address */

/* Ready what the handlers share (catalogs, rate limits); once, before
 * serving. */
int portal_init(struct err *e);
void portal_shutdown(void);

/* Each server thread's cache of rendered case pages (see portal.c). */
struct portal_cache;
struct portal_cache *portal_cache_new(void);
void portal_cache_free(struct portal_cache *c); /* NULL is fine */

/* GET /p/{token}: the case page. */
void portal_case(const struct http_request *req, struct http_response *resp);
/* GET and POST /p/{token}/pay: ways to pay; POST starts a checkout. */
void portal_pay(const struct http_request *req, struct http_response *resp);
void portal_pay_post(const struct http_request *req,
		     struct http_response *resp);
/* GET and POST /p/{token}/later: choose a later date. */
void portal_later(const struct http_request *req, struct http_response *resp);
void portal_later_post(const struct http_request *req,
		       struct http_response *resp);
/* GET and POST /p/{token}/plan: an instalment plan (preview, confirm). */
void portal_plan(const struct http_request *req, struct http_response *resp);
void portal_plan_post(const struct http_request *req,
		      struct http_response *resp);
/* GET and POST /p/{token}/help: "I can't pay right now". */
void portal_help(const struct http_request *req, struct http_response *resp);
void portal_help_post(const struct http_request *req,
		      struct http_response *resp);
/* GET and POST /p/{token}/callback: a call back at a chosen time. */
void portal_callback(const struct http_request *req,
		     struct http_response *resp);
void portal_callback_post(const struct http_request *req,
			  struct http_response *resp);
/* GET and POST /p/{token}/dispute: dispute an invoice. */
void portal_dispute(const struct http_request *req,
		    struct http_response *resp);
void portal_dispute_post(const struct http_request *req,
			 struct http_response *resp);
/* GET and POST /p/{token}/preferences: channel and language. */
void portal_prefs(const struct http_request *req, struct http_response *resp);
void portal_prefs_post(const struct http_request *req,
		       struct http_response *resp);
/* GET /p/{token}/done: the confirmation after an action. */
void portal_done(const struct http_request *req, struct http_response *resp);
/* GET /p/{token}/listen: the page read aloud (WAV). */
void portal_listen(const struct http_request *req,
		   struct http_response *resp);
/* GET /p/{token}/paid: back from a checkout. */
/* POST /p/{token}/method: update the payment method of a failing
 * automatic payment at the provider; GET /p/{token}/method/done: back. */
void portal_method_post(const struct http_request *req,
			struct http_response *resp);
void portal_method_done(const struct http_request *req,
			struct http_response *resp);
void portal_paid(const struct http_request *req, struct http_response *resp);
/* GET and POST /checkout/test/{id}: the built-in test payment provider's
 * hosted page (demo and tests; tenants whose checkout setting is "test"). */
void portal_test_checkout(const struct http_request *req,
			  struct http_response *resp);
void portal_test_checkout_post(const struct http_request *req,
			       struct http_response *resp);
/* POST /v1/psp/{tenant}/{provider}: a payment provider's webhook
 * (Mollie, Stripe), verified before anything is recorded; a paid checkout
 * becomes a payment (pay_receive), once. */
void portal_psp_webhook(const struct http_request *req,
			struct http_response *resp);
/* GET /assets/portal.css and GET /brand/{file} ("<tenant>.css"). */
void portal_css(const struct http_request *req, struct http_response *resp);
void portal_brand_css(const struct http_request *req,
		      struct http_response *resp);

/* Make a new personal link for the customer (external id) to their open
 * case, else their latest, valid for the tenant's link_days, and write its
 * URL ("<public_url>/p/<token>") into ret_url: `dunwell link`, for an
 * agent who sends it by hand or for the demo. Only the token's hash is
 * stored; the URL is shown once. */
int portal_link_new(struct store *s, const struct tenant_rec *t,
		    const char *customer, instant_t now, char *ret_url,
		    size_t cap, struct err *e);

#endif
