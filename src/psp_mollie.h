/*
 * psp_mollie: hosted checkout through Mollie's Payments API v2.
 *
 * Setting (one line; the base URL may be left out):
 *
 *   mollie:https://api.mollie.com?key=${MOLLIE_API_KEY}
 *
 *   key       the API key, test_... or live_... (Bearer)   required
 *   timeout   seconds per request (1-120, default 15)      optional
 *
 * Checkout: POST {base}/v2/payments, JSON, "Authorization: Bearer KEY",
 * "Idempotency-Key: <the request's key>":
 *
 *   {"amount":{"currency":"EUR","value":"12.34"},"description":"...",
 *    "redirectUrl":"...","cancelUrl":"...","webhookUrl":"...",
 *    "locale":"nl_NL","method":"ideal",
 *    "metadata":{"tenant":"acme","case_id":"42","reference":"RF..."}}
 *
 * value has exactly the currency's decimals; locale is sent only when
 * Mollie supports it (nl_NL, nl_BE, en_US, en_GB, de_DE, de_AT, de_CH,
 * fr_FR, fr_BE, es_ES, ca_ES, pt_PT, it_IT, nb_NO, sv_SE, fi_FI, da_DK,
 * is_IS, hu_HU, pl_PL, lv_LV, lt_LT; a bare language takes its first
 * region), else Mollie picks one; method "card" is Mollie's "creditcard";
 * cancelUrl, locale, method and reference are left out when not given.
 * The answer is 201 with the payment: id "tr_..." and
 * _links.checkout.href, the page to send the customer to; the amount it
 * echoes must be the one asked for.
 *
 * Webhook: Mollie's notification is NOT signed. It POSTs a form body
 * "id=tr_..."; the adapter checks the id's shape, then GETs
 * {base}/v2/payments/{id} with the API key: that answer is the
 * verification, and the event is read from it (status, amount,
 * amountRefunded + amountChargedBack, paidAt, method, metadata, mode).
 *   open, pending, authorized -> PSP_PENDING     paid -> PSP_PAID, or
 *   canceled -> PSP_CANCELED  expired -> PSP_EXPIRED   PSP_REFUNDED once
 *   failed -> PSP_FAILED                               money went back
 * A payment without dunwell's metadata (tenant, case_id) is PSP_IGNORED;
 * a payment whose mode (test/live) is not the key's is -ERR_INVALID.
 * Mollie has no event ids: event_id is "tr_...:<status>" (and
 * ":<refunded minor units>" for a refund).
 */
#ifndef DUNWELL_PSP_MOLLIE_H
#define DUNWELL_PSP_MOLLIE_H

#include "psp.h"

extern const struct psp_backend psp_mollie;

#endif
