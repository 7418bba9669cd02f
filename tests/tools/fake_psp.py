#!/usr/bin/env python3
"""fake_psp: Mollie (Payments API v2) and Stripe (Checkout Sessions) on one
loopback port, for the tests of the payment-provider adapters
(src/psp_mollie.c, src/psp_stripe.c; tests/unit/test_psp.c) and for
end-to-end tests of the portal.

It speaks the providers' public wire formats, successes and errors alike:

  Mollie  POST /v2/payments        "Authorization: Bearer KEY", JSON
          {amount: {currency, value}, description, redirectUrl,
          cancelUrl, webhookUrl, locale, method, metadata};
          201 + the payment resource (id tr_..., status "open",
          _links.checkout.href), or the error
          {status, title, detail, field, _links} (401, 404, 422)
          GET  /v2/payments/{id}   the payment as it stands now
  Stripe  POST /v1/checkout/sessions  "Authorization: Bearer KEY" (or
          HTTP Basic KEY:), form-encoded with bracketed keys
          (line_items[0][price_data][currency], metadata[case_id], ...);
          200 + the Checkout Session (id cs_test_..., url), or
          {"error": {type, code, message, param, doc_url}} (400, 401)
          GET  /v1/checkout/sessions/{id}

Both honour Idempotency-Key: the same key with the same body replays the
first answer; with another body it is an error (Mollie 422, Stripe 400
idempotency_error). Payments live in memory.

The hosted page is GET /checkout/{id} (a plain HTML stand-in).

Control (for tests; not part of any provider):

  POST /_control/payments/{id}   JSON {"status": "paid" | "pending" |
       "failed" | "expired" | "canceled" | "refunded", "method": "ideal",
       "refund": <minor units, Mollie; default all>, "notify": true |
       "http://127.0.0.1:.../hook", "timestamp": <unix, Stripe signature>,
       "secrets": ["whsec_..."] (Stripe: sign with these instead; one v1
       each)}
       Changes the payment, and with "notify" POSTs the provider's real
       webhook: Mollie a form body "id=tr_..." to the payment's webhookUrl
       (or the URL given); Stripe the event (checkout.session.completed,
       .async_payment_succeeded, .async_payment_failed, .expired, or
       charge.refunded) signed in Stripe-Signature "t=..,v1=<hex
       HMAC-SHA256 of "t.body" under the webhook secret>" to the URL
       given. Answers {"payment", "webhook": {"url", "headers", "body"},
       "delivered": <HTTP status or 0>}. Webhooks go to loopback only.
  POST /_sink/...                records the request and answers 200 (a
                                 webhook receiver for tests)

Automatic charges (issue #7; tests/integration/charges.sh):

  Mollie  POST /v2/payments also takes sequenceType "first" (a hosted
          payment that makes a mandate for customerId once paid) and
          "recurring" (customerId, mandateId: charged at once on the
          mandate, no page; status "paid" or "failed" with
          details.failureReason for a card mandate or
          details.bankReasonCode for a direct-debit one; the payment's
          webhookUrl is notified before the answer is sent).
  Stripe  POST /v1/payment_intents (amount, currency, customer,
          payment_method, confirm=true, off_session=true, metadata[...]):
          a charge of a saved card, as a billing system makes it;
          POST /v1/payment_intents/{id}/confirm (payment_method,
          off_session): the same charge again. A decline is 402
          {"error": {type card_error, code, decline_code, charge,
          payment_intent}}; the endpoint set by control (below) receives
          payment_intent.payment_failed / .succeeded, signed, before the
          answer. POST /v1/checkout/sessions also takes mode=setup
          (customer, currency, no line items); paying it through control
          completes a SetupIntent with a new payment method:
          GET /v1/setup_intents/{id}.

  POST /_control/fail            {"customer": "cus_..." | "cst_...",
       "times": n, "code": "insufficient_funds"}: that customer's next n
       automatic charges are declined with the code, then they succeed.
  POST /_control/stripe_endpoint {"url": "..."}: where Stripe's
       payment_intent events go (the dashboard's endpoint); "secrets" as
       for payments.
  POST /_control/mollie_customers {"method": "creditcard" |
       "directdebit"}: a Mollie customer with a valid mandate; answers
       {"customer": "cst_...", "mandate": "mdt_..."}.

Not verified against the live services (no network in tests): the exact
wording of error details, and which errors Mollie and Stripe give for a
method that does not fit the currency (422 field "method" and 400
payment_method_unactivated-style here).

Every request is appended to the --record file as one JSON line:
{"provider" ("mollie", "stripe", "sink", "control", "none"), "method",
"path", "headers" (lower-case names), "body", "form" or "json",
"status", "response"}.

Usage: fake_psp.py [--record FILE] [--mollie-key test_...]
       [--stripe-key sk_test_...] [--stripe-secret whsec_...]
It prints "PORT <n>" on stdout once listening on 127.0.0.1, and exits
when its stdin reaches end of file (so it never outlives the test).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import string
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
PORT = [0]
LOCK = threading.Lock()
PAYMENTS = {}  # id -> {"provider", "obj" (the resource), ...}
FAIL = {}      # customer id -> [times left, code]: automatic charges
MOLLIE_CUSTOMERS = {}  # cst_... -> {mdt_...: {"method", "status"}}
STRIPE_ENDPOINT = {"url": None, "secrets": None}  # payment_intent events
SETUP_INTENTS = {}  # seti_... -> the SetupIntent
IDEM = {}      # (provider, key) -> (body bytes, status, response)

# ISO 4217 decimals of the currencies the fake accepts.
DECIMALS = {"EUR": 2, "USD": 2, "GBP": 2, "CHF": 2, "PLN": 2, "SEK": 2,
            "DKK": 2, "NOK": 2, "CZK": 2, "HUF": 2, "JPY": 0, "ISK": 0,
            "KWD": 3, "BHD": 3}
MOLLIE_METHODS = {"ideal", "bancontact", "creditcard", "eps", "przelewy24",
                  "banktransfer", "paypal", "kbc", "belfius"}
MOLLIE_LOCALES = {"en_US", "en_GB", "nl_NL", "nl_BE", "de_DE", "de_AT",
                  "de_CH", "fr_FR", "fr_BE", "es_ES", "ca_ES", "pt_PT",
                  "it_IT", "nb_NO", "sv_SE", "fi_FI", "da_DK", "is_IS",
                  "hu_HU", "pl_PL", "lv_LV", "lt_LT"}
STRIPE_METHODS = {"card", "ideal", "bancontact", "eps", "p24", "sepa_debit"}
STRIPE_LOCALES = {"auto", "bg", "cs", "da", "de", "el", "en", "en-GB",
                  "es", "es-419", "et", "fi", "fil", "fr", "fr-CA", "hr",
                  "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "mt",
                  "nb", "nl", "pl", "pt", "pt-BR", "ro", "ru", "sk", "sl",
                  "sv", "th", "tr", "vi", "zh", "zh-HK", "zh-TW"}
STRIPE_KNOWN = re.compile(
    r"^(mode|success_url|cancel_url|client_reference_id|locale|customer|"
    r"currency|"
    r"customer_email|expires_at|metadata\[[^\]]{1,40}\]|"
    r"payment_method_types\[[0-9]+\]|"
    r"line_items\[0\]\[(quantity|price_data\]\[(currency|unit_amount|"
    r"product_data\]\[(name|description)))\])$")
# Methods that take euros only (both providers).
EUR_ONLY = {"ideal", "bancontact", "eps", "kbc", "belfius"}


def record(entry):
    if not ARGS.record:
        return
    with LOCK:
        with open(ARGS.record, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def rand_id(n):
    alphabet = string.ascii_letters + string.digits
    return "".join(random.choice(alphabet) for _ in range(n))


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def base_url():
    return "http://127.0.0.1:%d" % PORT[0]


def loopback(url):
    host = urllib.parse.urlsplit(url).hostname
    return host in ("127.0.0.1", "localhost", "::1")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    # ---- plumbing -------------------------------------------------------

    def send(self, status, obj=None, text=None, ctype="application/json",
             headers=None):
        """Keep the answer; handle_any sends it once the request is
        recorded (a test reading the record after its answer must find
        it)."""
        data = json.dumps(obj).encode() if obj is not None else \
            (text or "").encode()
        self.pending = (status, data, ctype, headers)
        return status, (obj if obj is not None else text)

    def send_pending(self):
        status, data, ctype, headers = self.pending
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.handle_any(b"")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        self.handle_any(self.rfile.read(n))

    def do_DELETE(self):
        self.handle_any(b"")

    def handle_any(self, raw):
        url = urllib.parse.urlsplit(self.path)
        entry = {
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": raw.decode("utf-8", "replace"),
        }
        p = url.path
        m_get = re.fullmatch(r"/v2/payments/([^/]+)", p)
        s_get = re.fullmatch(r"/v1/checkout/sessions/([^/]+)", p)
        ctl = re.fullmatch(r"/_control/payments/([^/]+)", p)
        page = re.fullmatch(r"/checkout/([^/]+)", p)
        pi_confirm = re.fullmatch(r"/v1/payment_intents/([^/]+)/confirm", p)
        seti_get = re.fullmatch(r"/v1/setup_intents/([^/]+)", p)
        if p == "/v2/payments" and self.command == "POST":
            entry["provider"] = "mollie"
            status, resp = self.mollie_create(raw, entry)
        elif m_get and self.command == "GET":
            entry["provider"] = "mollie"
            status, resp = self.mollie_get(m_get.group(1))
        elif p == "/v1/checkout/sessions" and self.command == "POST":
            entry["provider"] = "stripe"
            status, resp = self.stripe_create(raw, entry)
        elif s_get and self.command == "GET":
            entry["provider"] = "stripe"
            status, resp = self.stripe_get(s_get.group(1))
        elif ctl and self.command == "POST":
            entry["provider"] = "control"
            status, resp = self.control(ctl.group(1), raw)
        elif p == "/v1/payment_intents" and self.command == "POST":
            entry["provider"] = "stripe"
            status, resp = self.stripe_intent(raw, entry, None)
        elif pi_confirm and self.command == "POST":
            entry["provider"] = "stripe"
            status, resp = self.stripe_intent(raw, entry,
                                              pi_confirm.group(1))
        elif seti_get and self.command == "GET":
            entry["provider"] = "stripe"
            status, resp = self.stripe_seti_get(seti_get.group(1))
        elif p in ("/_control/fail", "/_control/stripe_endpoint",
                   "/_control/mollie_customers") and \
                self.command == "POST":
            entry["provider"] = "control"
            status, resp = self.control_charges(p, raw)
        elif p.startswith("/_sink") and self.command == "POST":
            entry["provider"] = "sink"
            status, resp = self.send(200, {"received": True})
        elif page and self.command == "GET":
            entry["provider"] = "page"
            status, resp = self.send(
                200, text="<!doctype html><title>Pay</title><h1>Pay %s</h1>"
                % page.group(1), ctype="text/html; charset=utf-8")
        else:
            entry["provider"] = "none"
            status, resp = self.send(404, {"error": "no such endpoint"})
        entry["status"] = status
        entry["response"] = resp
        record(entry)
        self.send_pending()

    # ---- Mollie ---------------------------------------------------------

    def mollie_error(self, status, title, detail, field=None):
        obj = {"status": status, "title": title, "detail": detail,
               "_links": {"documentation": {
                   "href": "https://docs.mollie.com/overview/handling-errors",
                   "type": "text/html"}}}
        if field:
            obj["field"] = field
        return self.send(status, obj, ctype="application/hal+json")

    def mollie_auth(self):
        auth = self.headers.get("Authorization", "")
        if auth != "Bearer " + ARGS.mollie_key:
            return self.mollie_error(
                401, "Unauthorized Request",
                "Missing authentication, or failed to authenticate")
        return None

    def mollie_create(self, raw, entry):
        fail = self.mollie_auth()
        if fail:
            return fail
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/json"):
            return self.mollie_error(415, "Unsupported Media Type",
                                     "The request content type is not "
                                     "supported")
        try:
            req = json.loads(raw)
        except ValueError:
            return self.mollie_error(400, "Bad Request",
                                     "The JSON in the request is invalid")
        entry["json"] = req
        key = self.headers.get("Idempotency-Key")
        if key:
            with LOCK:
                seen = IDEM.get(("mollie", key))
            if seen:
                if seen[0] != raw:
                    return self.mollie_error(
                        422, "Unprocessable Entity",
                        "The idempotency key is already used for another "
                        "request")
                return self.send(seen[1], seen[2],
                                 ctype="application/hal+json")
        if not isinstance(req, dict):
            return self.mollie_error(400, "Bad Request",
                                     "The JSON in the request is invalid")
        amount = req.get("amount")
        if not isinstance(amount, dict) or \
                not isinstance(amount.get("currency"), str) or \
                not isinstance(amount.get("value"), str):
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The amount is required", "amount")
        cur = amount["currency"]
        if cur not in DECIMALS:
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The currency is not supported",
                                     "amount.currency")
        d = DECIMALS[cur]
        pat = r"^[0-9]+\.[0-9]{%d}$" % d if d else r"^[0-9]+$"
        if not re.match(pat, amount["value"]):
            return self.mollie_error(
                422, "Unprocessable Entity",
                "The amount contains an invalid value", "amount.value")
        minor = int(amount["value"].replace(".", ""))
        if minor <= 0 or minor > 10000000 * 10 ** d:
            return self.mollie_error(
                422, "Unprocessable Entity",
                "The amount is lower than the minimum or higher than the "
                "maximum", "amount")
        desc = req.get("description")
        if not isinstance(desc, str) or not desc or len(desc) > 255:
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The description is invalid",
                                     "description")
        seq = req.get("sequenceType", "oneoff")
        if seq not in ("oneoff", "first", "recurring"):
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The sequence type is invalid",
                                     "sequenceType")
        if seq != "oneoff" and req.get("customerId") not in \
                MOLLIE_CUSTOMERS:
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The customer id is invalid",
                                     "customerId")
        mandate = None
        if seq == "recurring":
            mandates = MOLLIE_CUSTOMERS[req["customerId"]]
            mid = req.get("mandateId") or next(
                (k for k, v in mandates.items() if v["status"] == "valid"),
                None)
            if mid not in mandates or mandates[mid]["status"] != "valid":
                return self.mollie_error(
                    422, "Unprocessable Entity",
                    "The customer has no valid mandate", "mandateId")
            mandate = mid
        for f in ("redirectUrl", "webhookUrl", "cancelUrl"):
            v = req.get(f)
            if ((f == "redirectUrl" and seq != "recurring") or
                    v is not None) and (
                    not isinstance(v, str) or
                    not re.match(r"^https?://", v)):
                return self.mollie_error(422, "Unprocessable Entity",
                                         "The URL is invalid", f)
        method = req.get("method")
        if method is not None and method not in MOLLIE_METHODS:
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The payment method is invalid",
                                     "method")
        if method in EUR_ONLY and cur != "EUR":
            return self.mollie_error(
                422, "Unprocessable Entity",
                "The payment method is not available for this currency",
                "method")
        locale = req.get("locale")
        if locale is not None and locale not in MOLLIE_LOCALES:
            return self.mollie_error(422, "Unprocessable Entity",
                                     "The locale is invalid", "locale")
        for f in req:
            if f not in ("amount", "description", "redirectUrl",
                         "cancelUrl", "webhookUrl", "locale", "method",
                         "metadata", "sequenceType", "customerId",
                         "mandateId"):
                return self.mollie_error(
                    422, "Unprocessable Entity",
                    "The field is not supported", f)
        pid = "tr_" + rand_id(10)
        now = int(time.time())
        obj = {
            "resource": "payment",
            "id": pid,
            "mode": "live" if ARGS.mollie_key.startswith("live_") else
            "test",
            "createdAt": iso(now),
            "amount": {"value": amount["value"], "currency": cur},
            "description": desc,
            "method": method,
            "metadata": req.get("metadata"),
            "status": "open",
            "isCancelable": False,
            "expiresAt": iso(now + 900),
            "profileId": "pfl_QkEhN94Ba",
            "sequenceType": seq,
            "redirectUrl": req.get("redirectUrl"),
            "webhookUrl": req.get("webhookUrl"),
            "_links": {
                "self": {"href": base_url() + "/v2/payments/" + pid,
                         "type": "application/hal+json"},
                "checkout": {"href": base_url() + "/checkout/" + pid,
                             "type": "text/html"},
                "documentation": {
                    "href": "https://docs.mollie.com/reference/create-payment",
                    "type": "text/html"},
            },
        }
        if "cancelUrl" in req:
            obj["cancelUrl"] = req["cancelUrl"]
        if locale:
            obj["locale"] = locale
        hook = None
        if seq != "oneoff":
            obj["customerId"] = req["customerId"]
        if seq == "recurring":
            # Charged on the mandate at once: no page to visit.
            obj["mandateId"] = mandate
            obj["_links"].pop("checkout", None)
            mmethod = MOLLIE_CUSTOMERS[req["customerId"]][mandate]["method"]
            obj["method"] = mmethod
            with LOCK:
                code = take_failure(req["customerId"])
            if code:
                obj["status"] = "failed"
                obj["failedAt"] = iso(now)
                obj["details"] = {"bankReasonCode": code} \
                    if mmethod == "directdebit" else {"failureReason": code}
            else:
                obj["status"] = "paid"
                obj["paidAt"] = iso(now)
                obj["amountRefunded"] = {"value": fmt(0, d), "currency": cur}
                obj["amountRemaining"] = dict(obj["amount"])
            if obj.get("webhookUrl") and loopback(obj["webhookUrl"]):
                hook = {"url": obj["webhookUrl"],
                        "headers": {"Content-Type":
                                    "application/x-www-form-urlencoded",
                                    "User-Agent": "Mollie HTTP API/2.0"},
                        "body": "id=" + pid}
        with LOCK:
            PAYMENTS[pid] = {"provider": "mollie", "obj": obj}
            if key:
                IDEM[("mollie", key)] = (raw, 201, obj)
        if hook:
            post(hook)  # as Mollie: the webhook, then (here) the answer
        return self.send(201, obj, ctype="application/hal+json")

    def mollie_get(self, pid):
        fail = self.mollie_auth()
        if fail:
            return fail
        with LOCK:
            p = PAYMENTS.get(pid)
            obj = json.loads(json.dumps(p["obj"])) if p and \
                p["provider"] == "mollie" else None
        if not obj:
            return self.mollie_error(404, "Not Found",
                                     "No payment exists with token %s." %
                                     pid)
        return self.send(200, obj, ctype="application/hal+json")

    # ---- Stripe ---------------------------------------------------------

    def stripe_error(self, status, message, type_="invalid_request_error",
                     code=None, param=None):
        err = {"message": message, "type": type_}
        if code:
            err["code"] = code
            err["doc_url"] = "https://stripe.com/docs/error-codes/" + \
                code.replace("_", "-")
        if param:
            err["param"] = param
        return self.send(status, {"error": err},
                         headers={"Request-Id": "req_" + rand_id(14)})

    def stripe_auth(self):
        auth = self.headers.get("Authorization", "")
        key = None
        if auth.startswith("Bearer "):
            key = auth[7:]
        elif auth.startswith("Basic "):
            try:
                key = base64.b64decode(auth[6:]).decode().split(":")[0]
            except ValueError:
                key = None
        if not key:
            return self.stripe_error(
                401, "You did not provide an API key. You need to provide "
                "your API key in the Authorization header, using Bearer "
                "auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
        if key != ARGS.stripe_key:
            return self.stripe_error(
                401, "Invalid API Key provided: %s" %
                (key[:8] + "*" * 8 + key[-4:]))
        return None

    def stripe_create(self, raw, entry):
        fail = self.stripe_auth()
        if fail:
            return fail
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return self.stripe_error(
                400, "Invalid request (check that your POST content type "
                "is application/x-www-form-urlencoded).")
        try:
            pairs = urllib.parse.parse_qsl(raw.decode(),
                                           keep_blank_values=True,
                                           strict_parsing=bool(raw))
        except ValueError:
            return self.stripe_error(400, "Invalid request body")
        form = {}
        for k, v in pairs:
            form[k] = v
        entry["form"] = form
        key = self.headers.get("Idempotency-Key")
        if key:
            with LOCK:
                seen = IDEM.get(("stripe", key))
            if seen:
                if seen[0] != raw:
                    return self.stripe_error(
                        400, "Keys for idempotent requests can only be "
                        "used with the same parameters they were first "
                        "used with. Try using a key other than '%s' if you "
                        "meant to execute a different request." % key,
                        type_="idempotency_error")
                return self.send(seen[1], seen[2],
                                 headers={"Idempotent-Replayed": "true"})
        for k in form:
            if not STRIPE_KNOWN.match(k):
                return self.stripe_error(
                    400, "Received unknown parameter: %s" % k,
                    code="parameter_unknown", param=k)
        if form.get("mode") == "setup":
            return self.stripe_setup_session(form, key, raw)
        pd = "line_items[0][price_data]"
        for k in ("mode", pd + "[currency]", pd + "[unit_amount]",
                  pd + "[product_data][name]", "line_items[0][quantity]",
                  "success_url"):
            if not form.get(k):
                return self.stripe_error(
                    400, "Missing required param: %s." % k,
                    code="parameter_missing", param=k)
        if form["mode"] != "payment":
            return self.stripe_error(
                400, "Invalid mode: must be one of payment, setup, or "
                "subscription", code="parameter_invalid_string",
                param="mode")
        cur = form[pd + "[currency]"]
        if cur.upper() not in DECIMALS or cur != cur.lower():
            return self.stripe_error(
                400, "Invalid currency: %s." % cur, code="invalid_currency"
                if cur.upper() not in DECIMALS else "parameter_invalid",
                param=pd + "[currency]")
        try:
            unit = int(form[pd + "[unit_amount]"])
            qty = int(form["line_items[0][quantity]"])
        except ValueError:
            return self.stripe_error(
                400, "Invalid integer: %s" % form[pd + "[unit_amount]"],
                code="parameter_invalid_integer", param=pd + "[unit_amount]")
        if unit < 0 or qty < 1 or unit * qty > 99999999:
            return self.stripe_error(
                400, "Amount must be no more than $999,999.99",
                code="amount_too_large", param=pd + "[unit_amount]")
        if DECIMALS[cur.upper()] == 3 and unit % 10:
            return self.stripe_error(
                400, "The amount must be a multiple of 10 for %s." % cur,
                code="parameter_invalid_integer", param=pd + "[unit_amount]")
        for k in ("success_url", "cancel_url"):
            if k in form and not re.match(r"^https?://", form[k]):
                return self.stripe_error(
                    400, "Not a valid URL", code="url_invalid", param=k)
        methods = [form[k] for k in sorted(form)
                   if k.startswith("payment_method_types[")]
        for i, m in enumerate(methods):
            if m not in STRIPE_METHODS:
                return self.stripe_error(
                    400, "Invalid payment_method_types[%d]: must be one of "
                    "%s" % (i, ", ".join(sorted(STRIPE_METHODS))),
                    code="parameter_invalid_string",
                    param="payment_method_types[%d]" % i)
            if m in EUR_ONLY and cur != "eur":
                return self.stripe_error(
                    400, "The payment method `%s` does not support the "
                    "currency `%s`." % (m, cur),
                    code="payment_method_unactivated",
                    param="payment_method_types")
        if "locale" in form and form["locale"] not in STRIPE_LOCALES:
            return self.stripe_error(
                400, "Invalid locale: %s" % form["locale"],
                code="parameter_invalid_string", param="locale")
        metadata = {k[9:-1]: v for k, v in form.items()
                    if k.startswith("metadata[")}
        live = ARGS.stripe_key.startswith(("sk_live_", "rk_live_"))
        sid = "cs_%s_%s" % ("live" if live else "test", rand_id(58))
        now = int(time.time())
        obj = {
            "id": sid,
            "object": "checkout.session",
            "amount_subtotal": unit * qty,
            "amount_total": unit * qty,
            "cancel_url": form.get("cancel_url"),
            "client_reference_id": form.get("client_reference_id"),
            "created": now,
            "currency": cur,
            "customer": None,
            "expires_at": now + 86400,
            "livemode": live,
            "locale": form.get("locale"),
            "metadata": metadata,
            "mode": "payment",
            "payment_intent": None,
            "payment_method_types": methods or ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "success_url": form["success_url"],
            "url": base_url() + "/checkout/" + sid,
        }
        with LOCK:
            PAYMENTS[sid] = {"provider": "stripe", "obj": obj,
                             "async": False}
            if key:
                IDEM[("stripe", key)] = (raw, 200, obj)
        return self.send(200, obj,
                         headers={"Request-Id": "req_" + rand_id(14)})

    def stripe_get(self, sid):
        fail = self.stripe_auth()
        if fail:
            return fail
        with LOCK:
            p = PAYMENTS.get(sid)
            obj = json.loads(json.dumps(p["obj"])) if p and \
                p["provider"] == "stripe" else None
        if not obj:
            return self.stripe_error(
                404, "No such checkout.session: '%s'" % sid,
                code="resource_missing", param="session")
        return self.send(200, obj)

    # ---- Stripe: automatic charges -------------------------------------

    def stripe_form(self, raw, entry):
        try:
            pairs = urllib.parse.parse_qsl(raw.decode(),
                                           keep_blank_values=True,
                                           strict_parsing=bool(raw))
        except ValueError:
            return None
        form = dict(pairs)
        entry["form"] = form
        return form

    def stripe_setup_session(self, form, key, raw):
        for k in ("customer", "currency", "success_url"):
            if not form.get(k):
                return self.stripe_error(
                    400, "Missing required param: %s." % k,
                    code="parameter_missing", param=k)
        if any(k.startswith("line_items") for k in form):
            return self.stripe_error(
                400, "You cannot pass `line_items` in `setup` mode.",
                code="parameter_unknown", param="line_items")
        live = ARGS.stripe_key.startswith(("sk_live_", "rk_live_"))
        sid = "cs_%s_%s" % ("live" if live else "test", rand_id(58))
        now = int(time.time())
        obj = {"id": sid, "object": "checkout.session",
               "amount_total": None, "currency": form["currency"],
               "customer": form["customer"], "created": now,
               "client_reference_id": form.get("client_reference_id"),
               "livemode": live, "locale": form.get("locale"),
               "metadata": {k[9:-1]: v for k, v in form.items()
                            if k.startswith("metadata[")},
               "mode": "setup", "payment_status": "no_payment_required",
               "setup_intent": None, "status": "open",
               "success_url": form["success_url"],
               "cancel_url": form.get("cancel_url"),
               "url": base_url() + "/checkout/" + sid}
        with LOCK:
            PAYMENTS[sid] = {"provider": "stripe", "obj": obj,
                             "async": False}
            if key:
                IDEM[("stripe", key)] = (raw, 200, obj)
        return self.send(200, obj,
                         headers={"Request-Id": "req_" + rand_id(14)})

    def stripe_seti_get(self, seti):
        fail = self.stripe_auth()
        if fail:
            return fail
        with LOCK:
            obj = SETUP_INTENTS.get(seti)
        if not obj:
            return self.stripe_error(
                404, "No such setupintent: '%s'" % seti,
                code="resource_missing", param="intent")
        return self.send(200, obj)

    def stripe_intent(self, raw, entry, pid):
        """Create-and-confirm a PaymentIntent (pid None) or confirm one
        again: charged at once per the FAIL plan of its customer."""
        fail = self.stripe_auth()
        if fail:
            return fail
        form = self.stripe_form(raw, entry)
        if form is None:
            return self.stripe_error(400, "Invalid request body")
        key = self.headers.get("Idempotency-Key")
        if key:
            with LOCK:
                seen = IDEM.get(("stripe", key))
            if seen:
                if seen[0] != raw:
                    return self.stripe_error(
                        400, "Keys for idempotent requests can only be "
                        "used with the same parameters they were first "
                        "used with.", type_="idempotency_error")
                return self.send(seen[1], seen[2],
                                 headers={"Idempotent-Replayed": "true"})
        known = {"payment_method", "off_session", "confirm", "amount",
                 "currency", "customer", "return_url"}
        for k in form:
            if k not in known and not re.match(r"^metadata\[[^\]]+\]$", k):
                return self.stripe_error(
                    400, "Received unknown parameter: %s" % k,
                    code="parameter_unknown", param=k)
        now = int(time.time())
        live = ARGS.stripe_key.startswith(("sk_live_", "rk_live_"))
        with LOCK:
            if pid is None:
                for k in ("amount", "currency", "customer",
                          "payment_method"):
                    if not form.get(k):
                        return self.stripe_error(
                            400, "Missing required param: %s." % k,
                            code="parameter_missing", param=k)
                pid = "pi_" + rand_id(24)
                pi = {"id": pid, "object": "payment_intent",
                      "amount": int(form["amount"]), "amount_received": 0,
                      "currency": form["currency"],
                      "customer": form["customer"],
                      "payment_method": form["payment_method"],
                      "status": "requires_confirmation",
                      "latest_charge": None, "last_payment_error": None,
                      "livemode": live, "created": now,
                      "metadata": {k[9:-1]: v for k, v in form.items()
                                   if k.startswith("metadata[")}}
                PAYMENTS[pid] = {"provider": "stripe_pi", "obj": pi}
            else:
                p = PAYMENTS.get(pid)
                if not p or p["provider"] != "stripe_pi":
                    return self.stripe_error(
                        404, "No such payment_intent: '%s'" % pid,
                        code="resource_missing", param="intent")
                pi = p["obj"]
                if pi["status"] == "succeeded":
                    return self.stripe_error(
                        400, "This PaymentIntent's status is succeeded.",
                        code="payment_intent_unexpected_state")
                if form.get("payment_method"):
                    pi["payment_method"] = form["payment_method"]
            ch = "ch_" + rand_id(24)
            pi["latest_charge"] = ch
            code = take_failure(pi["customer"])
            if code:
                pi["status"] = "requires_payment_method"
                pi["last_payment_error"] = {
                    "type": "card_error", "code": "card_declined"
                    if code not in ("expired_card", "incorrect_number")
                    else code, "decline_code": code, "charge": ch,
                    "message": "Your card was declined.",
                    "payment_method": {"id": pi["payment_method"],
                                       "object": "payment_method",
                                       "type": "card"}}
                kind = "payment_intent.payment_failed"
            else:
                pi["status"] = "succeeded"
                pi["amount_received"] = pi["amount"]
                pi["last_payment_error"] = None
                kind = "payment_intent.succeeded"
            snap = json.loads(json.dumps(pi))
            url = STRIPE_ENDPOINT["url"]
        if url:
            post(signed_event(kind, snap, live,
                              {"notify": url,
                               "secrets": STRIPE_ENDPOINT["secrets"]}))
        if code:
            err = dict(snap["last_payment_error"])
            err["payment_intent"] = snap
            status, body = 402, {"error": err}
        else:
            status, body = 200, snap
        if key:
            with LOCK:
                IDEM[("stripe", key)] = (raw, status, body)
        return self.send(status, body,
                         headers={"Request-Id": "req_" + rand_id(14)})

    def control_charges(self, path, raw):
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            return self.send(400, {"error": "control: bad JSON"})
        with LOCK:
            if path == "/_control/fail":
                FAIL[req["customer"]] = [int(req.get("times", 1)),
                                         req.get("code",
                                                 "insufficient_funds")]
                return self.send(200, {"customer": req["customer"],
                                       "times": FAIL[req["customer"]][0]})
            if path == "/_control/stripe_endpoint":
                STRIPE_ENDPOINT["url"] = req.get("url")
                STRIPE_ENDPOINT["secrets"] = req.get("secrets")
                return self.send(200, {"url": STRIPE_ENDPOINT["url"]})
            cst = "cst_" + rand_id(10)
            mdt = "mdt_" + rand_id(10)
            MOLLIE_CUSTOMERS[cst] = {mdt: {
                "method": req.get("method", "directdebit"),
                "status": "valid"}}
            return self.send(200, {"customer": cst, "mandate": mdt})

    # ---- control --------------------------------------------------------

    def control(self, pid, raw):
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            return self.send(400, {"error": "control: bad JSON"})
        status = req.get("status")
        with LOCK:
            p = PAYMENTS.get(pid)
            if not p:
                return self.send(404, {"error": "control: no payment %s" %
                                       pid})
            if p["provider"] == "mollie":
                hook = self.mollie_change(p, status, req)
            else:
                hook = self.stripe_change(p, status, req)
            obj = json.loads(json.dumps(p["obj"]))
        if isinstance(hook, str):
            return self.send(400, {"error": "control: " + hook})
        delivered = 0
        if hook and hook["url"]:
            if not loopback(hook["url"]):
                return self.send(400, {"error": "control: webhooks go to "
                                       "loopback only"})
            delivered = post(hook)
        return self.send(200, {"payment": obj, "webhook": hook,
                               "delivered": delivered})

    def mollie_change(self, p, status, req):
        obj = p["obj"]
        now = int(time.time())
        if status not in ("paid", "pending", "failed", "expired",
                          "canceled", "refunded", "open", "authorized"):
            return "unknown status %r" % status
        if "method" in req:
            obj["method"] = req["method"]
        for k in ("expiresAt", "isCancelable"):
            obj.pop(k, None)
        obj["_links"].pop("checkout", None)
        if status == "refunded":
            if obj["status"] != "paid":
                return "only a paid payment can be refunded"
            cur = obj["amount"]["currency"]
            d = DECIMALS[cur]
            total = int(obj["amount"]["value"].replace(".", ""))
            minor = int(req.get("refund", total))
            done = int(obj.get("amountRefunded", {}).get(
                "value", "0").replace(".", "")) + minor
            obj["amountRefunded"] = {"value": fmt(done, d), "currency": cur}
            obj["amountRemaining"] = {"value": fmt(total - done, d),
                                      "currency": cur}
        else:
            obj["status"] = status
            if status == "paid" and obj.get("sequenceType") == "first" \
                    and not obj.get("mandateId"):
                mid = "mdt_" + rand_id(10)
                MOLLIE_CUSTOMERS.setdefault(obj["customerId"], {})[mid] = {
                    "method": "creditcard", "status": "valid"}
                obj["mandateId"] = mid
            if status == "paid":
                obj["paidAt"] = iso(now)
                obj["amountRefunded"] = {
                    "value": fmt(0, DECIMALS[obj["amount"]["currency"]]),
                    "currency": obj["amount"]["currency"]}
                obj["amountRemaining"] = dict(obj["amount"])
                if not obj.get("method"):
                    obj["method"] = "ideal"
            elif status in ("failed", "expired", "canceled"):
                obj[status + "At"] = iso(now)
        notify = req.get("notify")
        if not notify:
            return None
        url = notify if isinstance(notify, str) else obj.get("webhookUrl")
        return {"url": url,
                "headers": {"Content-Type":
                            "application/x-www-form-urlencoded",
                            "User-Agent": "Mollie HTTP API/2.0"},
                "body": "id=" + obj["id"]}

    def stripe_change(self, p, status, req):
        obj = p["obj"]
        kind = None
        if obj.get("mode") == "setup":
            if status != "paid":
                return "a setup session can only be completed (paid)"
            kind = "checkout.session.completed"
            obj["status"] = "complete"
            if not obj.get("setup_intent"):
                seti = "seti_" + rand_id(24)
                SETUP_INTENTS[seti] = {
                    "id": seti, "object": "setup_intent",
                    "customer": obj["customer"], "status": "succeeded",
                    "payment_method": "pm_" + rand_id(24),
                    "usage": "off_session"}
                obj["setup_intent"] = seti
            return signed_event(kind, json.loads(json.dumps(obj)),
                                obj["livemode"], req)
        if status == "paid":
            kind = "checkout.session.async_payment_succeeded" \
                if p["async"] else "checkout.session.completed"
            obj["status"] = "complete"
            obj["payment_status"] = "paid"
        elif status == "pending":
            kind = "checkout.session.completed"
            obj["status"] = "complete"
            obj["payment_status"] = "unpaid"
            p["async"] = True
        elif status == "failed":
            kind = "checkout.session.async_payment_failed"
            obj["status"] = "complete"
            obj["payment_status"] = "unpaid"
        elif status in ("expired", "canceled"):
            kind = "checkout.session.expired"
            obj["status"] = "expired"
        elif status == "refunded":
            kind = "charge.refunded"
        else:
            return "unknown status %r" % status
        if obj["status"] == "complete" and not obj["payment_intent"]:
            obj["payment_intent"] = "pi_" + rand_id(24)
        now = int(time.time())
        if kind == "charge.refunded":
            data = {"id": "ch_" + rand_id(24), "object": "charge",
                    "amount": obj["amount_total"],
                    "amount_refunded": int(req.get("refund",
                                                   obj["amount_total"])),
                    "currency": obj["currency"], "metadata": {},
                    "payment_intent": obj["payment_intent"],
                    "refunded": True, "status": "succeeded"}
        else:
            data = json.loads(json.dumps(obj))
        event = {"id": "evt_" + rand_id(24), "object": "event",
                 "api_version": "2024-06-20", "created": now,
                 "data": {"object": data}, "livemode": obj["livemode"],
                 "pending_webhooks": 1,
                 "request": {"id": None, "idempotency_key": None},
                 "type": kind}
        body = json.dumps(event, indent=2)
        ts = int(req.get("timestamp", now))
        secrets = req.get("secrets") or [ARGS.stripe_secret]
        sigs = ["v1=" + hmac.new(s.encode(), ("%d.%s" % (ts, body)).encode(),
                                 hashlib.sha256).hexdigest()
                for s in secrets]
        header = "t=%d,%s" % (ts, ",".join(sigs))
        notify = req.get("notify")
        return {"url": notify if isinstance(notify, str) else None,
                "headers": {"Content-Type": "application/json; "
                            "charset=utf-8",
                            "Stripe-Signature": header,
                            "User-Agent": "Stripe/1.0 "
                            "(+https://stripe.com/docs/webhooks)"},
                "body": body}


def take_failure(customer):
    """The decline code for the customer's next automatic charge, or None
    (call with LOCK held, or from a handler that holds it)."""
    plan = FAIL.get(customer)
    if not plan or plan[0] <= 0:
        return None
    plan[0] -= 1
    return plan[1]


def signed_event(kind, obj, live, req):
    """A Stripe event of `kind` about `obj`, signed as Stripe signs, to
    req["notify"] (a URL) with req's "timestamp" and "secrets"."""
    now = int(time.time())
    event = {"id": "evt_" + rand_id(24), "object": "event",
             "api_version": "2024-06-20", "created": now,
             "data": {"object": obj}, "livemode": live,
             "pending_webhooks": 1,
             "request": {"id": None, "idempotency_key": None},
             "type": kind}
    body = json.dumps(event, indent=2)
    ts = int(req.get("timestamp", now))
    secrets = req.get("secrets") or [ARGS.stripe_secret]
    sigs = ["v1=" + hmac.new(s.encode(), ("%d.%s" % (ts, body)).encode(),
                             hashlib.sha256).hexdigest() for s in secrets]
    notify = req.get("notify")
    return {"url": notify if isinstance(notify, str) else None,
            "headers": {"Content-Type": "application/json; charset=utf-8",
                        "Stripe-Signature": "t=%d,%s" % (ts, ",".join(sigs)),
                        "User-Agent": "Stripe/1.0 "
                        "(+https://stripe.com/docs/webhooks)"},
            "body": body}


def fmt(minor, d):
    if d == 0:
        return str(minor)
    s = str(minor).rjust(d + 1, "0")
    return s[:-d] + "." + s[-d:]


def post(hook):
    """POST a webhook as the provider does; the receiver's status, or 0.
    Recorded as {"provider": "outgoing", "url", "headers", "body",
    "status"} so a test can send it again."""
    r = urllib.request.Request(hook["url"], data=hook["body"].encode(),
                               headers=hook["headers"], method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    record({"provider": "outgoing", "method": "POST", "url": hook["url"],
            "headers": hook["headers"], "body": hook["body"],
            "status": status})
    return status


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionResetError,
                                          BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--record")
    p.add_argument("--mollie-key",
                   default="test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM")
    p.add_argument("--stripe-key", default="sk_test_4eC39HqLyjWDarjtT1zdp7dc")
    p.add_argument("--stripe-secret", default="whsec_fakepspsecret0123456789")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    PORT[0] = srv.server_address[1]
    print("PORT %d" % PORT[0], flush=True)

    def watch_stdin():
        try:
            while sys.stdin.buffer.read(4096):
                pass
        finally:
            os._exit(0)

    threading.Thread(target=watch_stdin, daemon=True).start()
    srv.serve_forever()


if __name__ == "__main__":
    main()
