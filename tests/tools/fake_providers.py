#!/usr/bin/env python3
"""fake_providers: Twilio, MessageBird, WhatsApp Cloud API and a tenant's
push webhook on one loopback port, for the tests of the HTTP delivery
adapters (tests/unit/test_deliver_http.c) and of dispatch end to end
(tests/integration/dispatch.sh, faults.sh).

Each endpoint checks a request the way the real service does (path,
method, authentication, content type, required fields) and answers with
that service's real response shapes, success and errors alike, as
documented publicly:

  Twilio       POST /2010-04-01/Accounts/{AccountSid}/Messages.json
               HTTP Basic AccountSid:AuthToken, form-encoded To, From or
               MessagingServiceSid, Body, StatusCallback; 201 + Message
               resource, or {"code", "message", "more_info", "status"}
  MessageBird  POST /messages, "Authorization: AccessKey KEY", JSON
               {"recipients", "originator", "body", ...}; 201 + message
               object, or {"errors": [{"code", "description",
               "parameter"}]}
  WhatsApp     POST /{version}/{phone-number-id}/messages, "Authorization:
               Bearer TOKEN", JSON {"messaging_product": "whatsapp", "to",
               "type": "text"|"template", ...}; 200 + {"messaging_product",
               "contacts", "messages": [{"id": "wamid..."}]}, or the Graph
               error {"error": {"message", "type", "code", "error_data",
               "fbtrace_id"}}
  webhook      POST /push..., JSON body signed in Dunwell-Signature
               (t=<unix>,v1=<hex HMAC-SHA256 of "t.body">), checked here
               with Python's hmac module; 202, or 401 for a bad signature

Failures are chosen by the recipient, so one batch mixes them:

  +3190...   an invalid number: Twilio 21211, MessageBird 422 code 9 "no
             (correct) recipients found", WhatsApp 131026 undeliverable
  +3191...   Twilio 21610 (unsubscribed), MessageBird 422 code 10 on the
             recipient, WhatsApp 131047 (outside the 24-hour window; text
             messages only)
  +3192...   Twilio 21614 (not a mobile number), MessageBird code 25 (not
             enough balance), WhatsApp 131056 (pair rate limit)
  +3196...   answered after 0.3 s (to see requests overlap)
  +3197...   answered after 2.5 s (longer than a 1 s client timeout)
  +3198...   503 with an HTML body (a proxy in front of the provider)
  +3199...   429 Too Many Requests with "Retry-After: 7" (WhatsApp:
             130429 rate limit hit, as HTTP 400 with no Retry-After)
  webhook customers "gone-*" 410, "busy-*" 429 + Retry-After: 30,
             "down-*" 500, "slow-*" 0.3 s

Not verified against the live services (no network in tests): the HTTP
status MessageBird uses for code 25 (402 here) and WhatsApp's for 130429
(400 here); the adapters decide on the provider's error code, so either
way the outcome is the same.

Every request is appended to the --record file as one JSON line:
{"provider", "method", "path", "query", "headers" (lower-case names),
"body", "form" or "json", "status", "response", "inflight",
"signature_ok" (webhook)}. "inflight" counts requests being handled at
the moment this one arrived (itself included).

Faults, by the order requests arrive in (each option counts from the
first request; where several apply to a request, the first listed wins):

  --fail-first N   the first N requests get 503 with an HTML body (an
                   outage in front of every provider; recorded with
                   "provider": "outage")
  --hang-first N   the first N requests are read and never answered: the
                   connection stays open until the client gives up
                   (its timeout) and closes it
  --close-first N  the first N requests are read, then the connection is
                   closed without a byte of answer
  --fail-every K   every K-th request (the K-th, 2K-th, ...) gets 500 with
                   the provider's error body (Twilio's code 20500)

A request hit by --hang-first, --close-first or --fail-every is recorded
with its provider and "fault": "hang", "close" or "500" ("status" 0 when
nothing was answered).

Usage: fake_providers.py --record FILE [--twilio-account AC... ...]
       [--fail-first N] [--hang-first N] [--close-first N] [--fail-every K]
It prints "PORT <n>" on stdout once listening on 127.0.0.1, and exits
when its stdin reaches end of file (so it never outlives the test).
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARGS = None
LOCK = threading.Lock()
INFLIGHT = [0]
SEEN = [0]  # requests seen, for the faults (--fail-first ...)
E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def record(entry):
    with LOCK:
        with open(ARGS.record, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, ensure_ascii=False) + "\n")


def digits(number):
    return str(number).lstrip("+")


def slow_for(number):
    d = digits(number)
    if d.startswith("3196"):
        time.sleep(0.3)
    elif d.startswith("3197"):
        time.sleep(2.5)


def rfc2822_now():
    return time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real services

    def log_message(self, fmt, *args):  # quiet
        pass

    # ---- plumbing -------------------------------------------------------

    def reply(self, status, obj=None, text=None, headers=None,
              ctype="application/json"):
        """The answer, sent by handle_post once the request is recorded
        (a test reading the record after its answer must find it)."""
        if obj is not None:
            data = json.dumps(obj).encode()
        else:
            data = (text or "").encode()
        self.pending = (status, data, headers or {}, ctype)
        return status, (obj if obj is not None else text)

    def send_pending(self):
        status, data, headers, ctype = self.pending
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        with LOCK:
            INFLIGHT[0] += 1
            inflight = INFLIGHT[0]
        try:
            self.handle_post(inflight)
        finally:
            with LOCK:
                INFLIGHT[0] -= 1

    def do_GET(self):
        self.reply(405, {"error": "POST only"})
        self.send_pending()

    def handle_post(self, inflight):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        url = urllib.parse.urlsplit(self.path)
        entry = {
            "method": self.command,
            "path": url.path,
            "query": url.query,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": raw.decode("utf-8", "replace"),
            "inflight": inflight,
        }
        with LOCK:
            SEEN[0] += 1
            k = SEEN[0]
        if k <= ARGS.fail_first:
            # --fail-first: an outage in front of every provider
            entry["provider"] = "outage"
            status, resp = self.reply(503, text="<html>503</html>",
                                      ctype="text/html")
            entry["status"] = status
            entry["response"] = resp
            record(entry)
            self.send_pending()
            return
        m_tw = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/Messages\.json",
                            url.path)
        m_wa = re.fullmatch(r"/(v[0-9.]+)/([^/]+)/messages", url.path)
        fault = None
        if k <= ARGS.hang_first:
            fault = "hang"
        elif k <= ARGS.close_first:
            fault = "close"
        elif ARGS.fail_every > 0 and k % ARGS.fail_every == 0:
            fault = "500"
        if fault:
            entry["provider"] = ("twilio" if m_tw else "bird"
                                 if url.path == "/messages" else
                                 "whatsapp" if m_wa else "webhook"
                                 if url.path.startswith("/push") else
                                 "none")
            entry["fault"] = fault
            self.fault(fault, entry)
            return
        if m_tw:
            entry["provider"] = "twilio"
            status, resp = self.twilio(m_tw.group(1), raw, entry)
        elif url.path == "/messages":
            entry["provider"] = "bird"
            status, resp = self.bird(raw, entry)
        elif m_wa:
            entry["provider"] = "whatsapp"
            status, resp = self.whatsapp(m_wa.group(2), raw, entry)
        elif url.path.startswith("/push"):
            entry["provider"] = "webhook"
            status, resp = self.webhook(raw, entry)
        else:
            entry["provider"] = "none"
            status, resp = self.reply(404, {"error": "no such endpoint"})
        entry["status"] = status
        entry["response"] = resp
        record(entry)
        self.send_pending()

    def fault(self, kind, entry):
        """An injected fault: recorded first (the client may be gone by
        the time a test reads the record), then acted out."""
        if kind == "500":
            status, resp = self.reply(500, {
                "code": 20500,
                "message": "An internal server error has occurred",
                "more_info": "https://www.twilio.com/docs/errors/20500",
                "status": 500,
            })
            entry["status"] = status
            entry["response"] = resp
            record(entry)
            self.send_pending()
            return
        entry["status"] = 0
        entry["response"] = None
        record(entry)
        self.close_connection = True
        if kind == "hang":
            # Never answer: wait for the client to give up and close its
            # end (at most a minute, so a stuck test cannot pin a thread).
            self.connection.settimeout(60)
            try:
                while self.connection.recv(4096):
                    pass
            except OSError:
                pass
        # "close" (and a hang that ended): return without a byte; the
        # server then closes the connection (FIN, nothing unread).

    # ---- Twilio ---------------------------------------------------------

    def twilio_error(self, status, code, message, headers=None):
        return self.reply(status, {
            "code": code,
            "message": message,
            "more_info": "https://www.twilio.com/docs/errors/%d" % code,
            "status": status,
        }, headers=headers)

    def twilio(self, sid, raw, entry):
        auth = self.headers.get("Authorization", "")
        want = "Basic " + base64.b64encode(
            ("%s:%s" % (ARGS.twilio_account, ARGS.twilio_token)).encode()
        ).decode()
        if not hmac.compare_digest(auth, want) or sid != ARGS.twilio_account:
            return self.reply(401, {
                "code": 20003,
                "detail": "Your AccountSid or AuthToken was incorrect.",
                "message": "Authenticate",
                "more_info": "https://www.twilio.com/docs/errors/20003",
                "status": 401,
            })
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("application/x-www-form-urlencoded"):
            return self.twilio_error(400, 21609, "Invalid Content-Type")
        try:
            form = urllib.parse.parse_qs(raw.decode("utf-8"),
                                         keep_blank_values=True,
                                         strict_parsing=True)
        except (ValueError, UnicodeDecodeError):
            return self.twilio_error(400, 21609, "Malformed form body")
        form = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
        entry["form"] = form
        to = form.get("To", "")
        if not to:
            return self.twilio_error(
                400, 21604, "A 'To' phone number is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return self.twilio_error(
                400, 21603, "A 'From' or 'MessagingServiceSid' parameter "
                "is required to send a message.")
        if not form.get("Body"):
            return self.twilio_error(400, 21602, "Message body is required.")
        if len(form["Body"]) > 1600:
            return self.twilio_error(
                400, 21617, "The concatenated message body exceeds the "
                "1600 character limit.")
        d = digits(to)
        slow_for(to)
        if d.startswith("3199"):
            return self.twilio_error(429, 20429, "Too Many Requests",
                                     {"Retry-After": "7"})
        if d.startswith("3198"):
            return self.reply(503, text="<html><body>503 Service "
                              "Unavailable</body></html>", ctype="text/html")
        if not E164.match(to) or d.startswith("3190"):
            return self.twilio_error(
                400, 21211, "The 'To' number %s is not a valid phone "
                "number." % to)
        if d.startswith("3191"):
            return self.twilio_error(
                400, 21610, "Attempt to send to unsubscribed recipient")
        if d.startswith("3192"):
            return self.twilio_error(
                400, 21614, "'To' number is not a valid mobile number")
        key = self.headers.get("I-Twilio-Idempotency-Token") or raw.decode()
        msid = "SM" + hashlib.md5(key.encode()).hexdigest()
        now = rfc2822_now()
        return self.reply(201, {
            "account_sid": ARGS.twilio_account,
            "api_version": "2010-04-01",
            "body": form["Body"],
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": msid,
            "status": "accepted" if form.get("MessagingServiceSid")
            else "queued",
            "subresource_uris": {
                "media": "/2010-04-01/Accounts/%s/Messages/%s/Media.json"
                % (sid, msid)},
            "to": to,
            "uri": "/2010-04-01/Accounts/%s/Messages/%s.json" % (sid, msid),
        })

    # ---- MessageBird ----------------------------------------------------

    def bird_error(self, status, errors, headers=None):
        return self.reply(status, {"errors": [
            {"code": c, "description": d, "parameter": p}
            for c, d, p in errors]}, headers=headers)

    def bird(self, raw, entry):
        auth = self.headers.get("Authorization", "")
        if not hmac.compare_digest(auth, "AccessKey " + ARGS.bird_key):
            return self.bird_error(401, [
                (2, "Request not allowed (incorrect access_key)",
                 "access_key")])
        if not self.headers.get("Content-Type", "").startswith(
                "application/json"):
            return self.bird_error(422, [(9, "no (correct) recipients "
                                          "found", "recipients")])
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.bird_error(400, [(21, "Bad request", None)])
        entry["json"] = body
        missing = []
        rcpts = body.get("recipients")
        if (not isinstance(rcpts, list) or not rcpts or not all(
                re.fullmatch(r"[0-9]{7,15}", str(r)) for r in rcpts)):
            missing.append((9, "no (correct) recipients found",
                            "recipients"))
        if not body.get("originator"):
            missing.append((9, "originator is required", "originator"))
        if not body.get("body"):
            missing.append((9, "body is required", "body"))
        if missing:
            return self.bird_error(422, missing)
        to = str(rcpts[0])
        slow_for(to)
        if to.startswith("3199"):
            return self.reply(429, {"errors": [
                {"code": 429, "description": "Too many requests",
                 "parameter": None}]}, headers={"Retry-After": "7"})
        if to.startswith("3198"):
            return self.reply(503, text="<html>503</html>",
                              ctype="text/html")
        if to.startswith("3190"):
            return self.bird_error(422, [(9, "no (correct) recipients "
                                          "found", "recipient")])
        if to.startswith("3191"):
            return self.bird_error(422, [(10, "recipient is invalid",
                                          "recipient")])
        if to.startswith("3192"):
            return self.bird_error(402, [(25, "Not enough balance", None)])
        mid = hashlib.md5((body.get("reference") or to).encode()).hexdigest()
        now = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())
        return self.reply(201, {
            "id": mid,
            "href": "https://rest.messagebird.com/messages/" + mid,
            "direction": "mt",
            "type": "sms",
            "originator": body["originator"],
            "body": body["body"],
            "reference": body.get("reference"),
            "validity": None,
            "gateway": 10,
            "typeDetails": {},
            "datacoding": body.get("datacoding", "plain"),
            "mclass": 1,
            "scheduledDatetime": None,
            "createdDatetime": now,
            "recipients": {
                "totalCount": 1, "totalSentCount": 1,
                "totalDeliveredCount": 0, "totalDeliveryFailedCount": 0,
                "items": [{"recipient": int(to), "status": "sent",
                           "statusDatetime": now, "messagePartCount": 1}],
            },
        })

    # ---- WhatsApp Cloud API ---------------------------------------------

    def wa_error(self, status, code, message, details=None, etype=None):
        err = {
            "message": message,
            "type": etype or "OAuthException",
            "code": code,
            "fbtrace_id": "A" + hashlib.md5(message.encode()).hexdigest()[:22],
        }
        if details is not None:
            err["error_data"] = {"messaging_product": "whatsapp",
                                 "details": details}
        return self.reply(status, {"error": err})

    def whatsapp(self, phone_id, raw, entry):
        auth = self.headers.get("Authorization", "")
        if not hmac.compare_digest(auth, "Bearer " + ARGS.wa_token):
            return self.wa_error(401, 190, "Invalid OAuth access token - "
                                 "Cannot parse access token")
        if phone_id != ARGS.wa_phone_id:
            return self.wa_error(
                400, 100, "Unsupported post request. Object with ID '%s' "
                "does not exist, cannot be loaded due to missing "
                "permissions, or does not support this operation."
                % phone_id, etype="GraphMethodException")
        if not self.headers.get("Content-Type", "").startswith(
                "application/json"):
            return self.wa_error(400, 100, "(#100) Invalid parameter")
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.wa_error(400, 100, "(#100) Invalid parameter")
        entry["json"] = body
        if body.get("messaging_product") != "whatsapp":
            return self.wa_error(400, 100, "(#100) The parameter "
                                 "messaging_product is required.")
        to = body.get("to")
        if not isinstance(to, str) or not re.fullmatch(r"\+?[0-9]{7,15}",
                                                       to):
            return self.wa_error(400, 131009, "(#131009) Parameter value "
                                 "is not valid", "Invalid 'to' parameter")
        mtype = body.get("type")
        if mtype == "text":
            text = body.get("text") or {}
            if not isinstance(text.get("body"), str) or not text["body"]:
                return self.wa_error(400, 131008, "(#131008) Required "
                                     "parameter is missing",
                                     "text.body is required")
        elif mtype == "template":
            tpl = body.get("template") or {}
            lang = (tpl.get("language") or {}).get("code")
            if not tpl.get("name") or not lang:
                return self.wa_error(400, 131008, "(#131008) Required "
                                     "parameter is missing",
                                     "template name and language")
            for comp in tpl.get("components", []):
                for p in comp.get("parameters", []):
                    t = p.get("text", "")
                    if re.search(r"[\n\t]| {5,}", t):
                        return self.wa_error(
                            400, 132018, "(#132018) There was an issue "
                            "with the parameters in your template.",
                            "Param text cannot have new-line/tab "
                            "characters or more than 4 consecutive spaces")
        else:
            return self.wa_error(400, 131051, "(#131051) Unsupported "
                                 "message type")
        d = digits(to)
        slow_for(to)
        if d.startswith("3199"):
            return self.wa_error(400, 130429, "(#130429) Rate limit hit",
                                 "Message failed to send because there "
                                 "were too many messages sent from this "
                                 "phone number in a short period of time")
        if d.startswith("3198"):
            return self.reply(503, text="<html>503</html>",
                              ctype="text/html")
        if d.startswith("3190"):
            return self.wa_error(400, 131026, "(#131026) Message "
                                 "Undeliverable.", "Message Undeliverable.")
        if d.startswith("3191") and mtype == "text":
            return self.wa_error(
                400, 131047, "(#131047) Re-engagement message",
                "Message failed to send because more than 24 hours have "
                "passed since the customer last replied to this number.")
        if d.startswith("3192"):
            return self.wa_error(400, 131056, "(#131056) (Business "
                                 "Account, Consumer Account) pair rate "
                                 "limit hit")
        key = body.get("biz_opaque_callback_data") or raw.decode()
        wamid = "wamid.HBgL" + base64.b64encode(
            hashlib.sha1(key.encode()).digest()).decode().rstrip("=")
        resp = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": d}],
            "messages": [{"id": wamid}],
        }
        if mtype == "template":
            resp["messages"][0]["message_status"] = "accepted"
        return self.reply(200, resp)

    # ---- the tenant's push webhook ----------------------------------------

    def webhook(self, raw, entry):
        sig = self.headers.get("Dunwell-Signature", "")
        m = re.fullmatch(r"t=([0-9]+),v1=([0-9a-f]{64})", sig)
        ok = False
        if m:
            mac = hmac.new(ARGS.webhook_secret.encode(),
                           m.group(1).encode() + b"." + raw,
                           hashlib.sha256).hexdigest()
            ok = hmac.compare_digest(mac, m.group(2))
        entry["signature_ok"] = ok
        if not ok:
            return self.reply(401, {"error": "bad signature"})
        if not self.headers.get("Content-Type", "").startswith(
                "application/json"):
            return self.reply(415, {"error": "JSON expected"})
        try:
            body = json.loads(raw.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return self.reply(400, {"error": "bad JSON"})
        entry["json"] = body
        if self.headers.get("Idempotency-Key") != body.get("id"):
            return self.reply(400, {"error": "Idempotency-Key != id"})
        cust = str(body.get("customer", ""))
        if cust.startswith("slow-"):
            time.sleep(0.3)
        if cust.startswith("gone-"):
            return self.reply(410, {"error": "unknown customer"})
        if cust.startswith("busy-"):
            return self.reply(429, {"error": "slow down"},
                              headers={"Retry-After": "30"})
        if cust.startswith("down-"):
            return self.reply(500, {"error": "oops"})
        return self.reply(202, {"received": True})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # A listen backlog like a real server's: with socketserver's 5, a
    # burst of connections loses SYNs, and the client's first retry comes
    # after a second, longer than a short test timeout.
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # A client that gave up (a timeout test) is not an error here.
        if isinstance(sys.exc_info()[1], (ConnectionResetError,
                                          BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--record", required=True)
    p.add_argument("--twilio-account",
                   default="AC0123456789abcdef0123456789abcdef")
    p.add_argument("--twilio-token", default="twilio-test-token")
    p.add_argument("--bird-key", default="bird-test-key")
    p.add_argument("--wa-phone-id", default="106540352242922")
    p.add_argument("--wa-token", default="wa-test-token")
    p.add_argument("--webhook-secret", default="webhook-test-secret-123")
    p.add_argument("--fail-first", type=int, default=0,
                   help="answer the first N requests 503, whatever they are")
    p.add_argument("--hang-first", type=int, default=0,
                   help="never answer the first N requests")
    p.add_argument("--close-first", type=int, default=0,
                   help="close the connection of the first N requests "
                   "without answering")
    p.add_argument("--fail-every", type=int, default=0,
                   help="answer every K-th request 500")
    ARGS = p.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)

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
