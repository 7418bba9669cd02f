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
    r"^(mode|success_url|cancel_url|client_reference_id|locale|"
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
        for f in ("redirectUrl", "webhookUrl", "cancelUrl"):
            v = req.get(f)
            if (f == "redirectUrl" or v is not None) and (
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
                         "metadata"):
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
            "sequenceType": "oneoff",
            "redirectUrl": req["redirectUrl"],
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
        with LOCK:
            PAYMENTS[pid] = {"provider": "mollie", "obj": obj}
            if key:
                IDEM[("mollie", key)] = (raw, 201, obj)
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


def fmt(minor, d):
    if d == 0:
        return str(minor)
    s = str(minor).rjust(d + 1, "0")
    return s[:-d] + "." + s[-d:]


def post(hook):
    """POST a webhook as the provider does; the receiver's status, or 0."""
    r = urllib.request.Request(hook["url"], data=hook["body"].encode(),
                               headers=hook["headers"], method="POST")
    try:
        with urllib.request.urlopen(r, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


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
