/*
 * psp_stripe: hosted checkout through Stripe Checkout, and Stripe's signed
 * webhooks.
 *
 * Setting (one line; the base URL may be left out):
 *
 *   stripe:https://api.stripe.com?key=${STRIPE_KEY}&webhook_secret=${WHSEC}
 *
 *   key             secret or restricted key, sk_test_/sk_live_/rk_...
 *                   (Bearer)                                    required
 *   webhook_secret  the endpoint's signing secret, whsec_...   required
 *   tolerance       seconds a signature's timestamp may be from now
 *                   (1-3600, default 300, Stripe's own default) optional
 *   version         Stripe-Version header ("2024-06-20"); the
 *                   account's default API version when absent   optional
 *   timeout         seconds per request (1-120, default 15)     optional
 *
 * Checkout: POST {base}/v1/checkout/sessions, form-encoded,
 * "Authorization: Bearer KEY", "Idempotency-Key: <the request's key>":
 *
 *   mode=payment
 *   line_items[0][price_data][currency]=eur       (lower case)
 *   line_items[0][price_data][unit_amount]=1234   (minor units)
 *   line_items[0][price_data][product_data][name]=<description>
 *   line_items[0][quantity]=1
 *   success_url=<redirect_url>  cancel_url=<cancel_url or redirect_url>
 *   client_reference_id=<case id>
 *   metadata[tenant]=...  metadata[case_id]=...  metadata[reference]=...
 *   payment_method_types[0]=card|ideal|bancontact|eps|p24  (when chosen)
 *   locale=nl            (when Stripe knows the language; en-GB, fr-CA and
 *                         pt-BR keep their region)
 *
 * (brackets are %-encoded on the wire, as Stripe's own libraries send
 * them). Three-decimal currencies must be a multiple of 10 minor units
 * (Stripe's rule). The answer is the Checkout Session: id "cs_..." and
 * url, the page to send the customer to; its amount_total and currency
 * must be the ones asked for.
 *
 * Webhook: header "Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...]"
 * (v0 and unknown schemes ignored), each v1 the HMAC-SHA256 of
 * "<t>.<raw body>" under the whole webhook_secret (whsec_ included); one
 * v1 must match (constant-time compare) and |now - t| must be within
 * tolerance, so a captured request cannot be replayed later. Then the
 * event {"id": "evt_...", "type", "livemode", "created", "data":
 * {"object": <the Checkout Session>}}:
 *   checkout.session.completed      payment_status paid -> PSP_PAID,
 *                                   unpaid -> PSP_PENDING (async method)
 *   checkout.session.async_payment_succeeded -> PSP_PAID
 *   checkout.session.async_payment_failed    -> PSP_FAILED
 *   checkout.session.expired                 -> PSP_EXPIRED
 *   any other type                           -> PSP_IGNORED
 * A session without dunwell's metadata (tenant, case_id) is PSP_IGNORED
 * (the tenant's own shop may share the Stripe account); livemode must
 * match the key's mode. paid_at is the event's "created"; method is set
 * when the session allowed exactly one method type (Stripe's session does
 * not name the one used). Refunds (charge.refunded) are ignored: the
 * charge carries no session metadata.
 */
#ifndef DUNWELL_PSP_STRIPE_H
#define DUNWELL_PSP_STRIPE_H

#include "psp.h"

extern const struct psp_backend psp_stripe;

#endif
