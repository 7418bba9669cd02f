# `dunwell serve` over real HTTP (issue #5, and the delivery reports of
# issue #4): health, errors as JSON (404, 405 with Allow, 413, 415, 400),
# the providers' status callbacks changing messages and writing case
# events (Twilio form, MessageBird query string and JSON, WhatsApp webhook
# with its signature and verification handshake), Prometheus metrics, the
# JSON access log without query strings or bodies, a graceful stop on
# SIGTERM, and the wire itself (src/http.c): pipelined requests answered
# in order, a client sending a byte at a time, HTTP/1.0, a chunked body
# read to its end, and refusals before any handler (both a length and
# chunked coding, two lengths, a bad request line, HTTP/2's preface, NUL
# in a header, an unknown method or coding), and 600 connections of
# randomly mutated requests that leave the server answering and clean
# under the sanitizers. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
"$DUNWELL" run --tenant acme --as-of 2026-11-20T09:00:00Z >/dev/null
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$T/outbox" >/dev/null
cnt() { q "SELECT COUNT(*) FROM $1"; }

# Three messages handed over; pretend providers took them.
m1=$(q "SELECT id FROM messages WHERE status='sent' ORDER BY id LIMIT 1")
m2=$(q "SELECT id FROM messages WHERE status='sent' ORDER BY id LIMIT 1 OFFSET 1")
m3=$(q "SELECT id FROM messages WHERE status='sent' ORDER BY id LIMIT 1 OFFSET 2")
if [ -z "$m3" ]; then
	fail three_sent_messages "dispatch sent fewer than 3 messages"
	finish
fi
q "UPDATE messages SET provider='twilio', provider_id='SM1234567890abcdef1234567890abcdef' WHERE id=$m1" >/dev/null
q "UPDATE messages SET provider='bird', provider_id='efa6405d518d4c0c88cce11f7db775fb' WHERE id=$m2" >/dev/null
q "UPDATE messages SET provider='twilio', provider_id='SM0000000000000000000000000000bad0' WHERE id=$m3" >/dev/null
# The secrets are ${NAME}s: verify_token from the environment, app_secret
# from a secrets file only its owner may read; written inline, refused.
expect_fail wa_inline_secret_refused "parameter app_secret holds a secret" tenant set deliver_whatsapp \
	"whatsapp:https://graph.facebook.com?phone_number_id=106540352242922&token=\${WA_TOKEN}&verify_token=\${WA_VERIFY}&app_secret=app-s3cret" \
	--tenant acme
check wa_inline_secret_not_echoed [ "$(grep -c 'app-s3cret' "$T/err")" = 0 ]
"$DUNWELL" tenant set deliver_whatsapp \
	'whatsapp:https://graph.facebook.com?phone_number_id=106540352242922&token=${WA_TOKEN}&verify_token=${WA_VERIFY}&app_secret=${WA_APP_SECRET}' \
	--tenant acme >/dev/null
printf 'WA_APP_SECRET=app-s3cret\n' >"$T/secrets.env"
chmod 600 "$T/secrets.env"
export WA_VERIFY=vt-Secret-42

# Start on a port the kernel picks; the first log line names it.
LOG="$T/serve.log"
"$DUNWELL" serve --listen 127.0.0.1:0 --threads 2 --as-of 2026-11-21T12:00:00Z --secrets "$T/secrets.env" 2>"$LOG" &
SERVER=$!
port=
for _ in $(seq 1 100); do
	port=$(python3 -c 'import json,sys
try:
    print(json.loads(open(sys.argv[1]).readline())["listen"].rsplit(":", 1)[1])
except Exception:
    pass' "$LOG" 2>/dev/null)
	[ -n "$port" ] && break
	kill -0 "$SERVER" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$port" ]; then
	fail server_started "$(head -c 600 "$LOG")"
	kill "$SERVER" 2>/dev/null
	finish
fi
BASE="http://127.0.0.1:$port"
REQS=0 # requests sent, to compare with the access log
ok=0
for _ in $(seq 1 50); do
	REQS=$((REQS + 1))
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && { ok=1; break; }
	sleep 0.2
done
check server_healthy [ "$ok" = 1 ]

# hc METHOD PATH [CURL ARGS...]: status in $code, body in $T/body,
# headers in $T/hdr.
hc() {
	local m=$1 p=$2
	shift 2
	REQS=$((REQS + 1))
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$BASE$p")
}
# jv EXPR: a Python expression over the JSON body `d`.
jv() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/body" "$1" 2>/dev/null
}
# expect_http NAME STATUS METHOD PATH [CURL ARGS...]
expect_http() {
	local name=$1 want=$2
	shift 2
	hc "$@"
	if [ "$code" = "$want" ]; then pass "$name"; else fail "$name" "HTTP $code, want $want: $(head -c 300 "$T/body")"; fi
}
FORM=(-H 'Content-Type: application/x-www-form-urlencoded')

expect_http healthz_200 200 GET /healthz
check healthz_body [ "$(jv 'd["status"]')" = ok ]
check healthz_json_type grep -qi '^Content-Type: application/json' "$T/hdr"
# HEAD: the length but no body (the next answer on the connection parses).
check head_no_body [ "$(python3 -c 'import http.client,sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=5)
c.request("HEAD", "/healthz")
r = c.getresponse()
head = (r.status, r.getheader("Content-Length"), r.read())
c.request("GET", "/healthz")
r = c.getresponse()
print(head, r.status, r.read())' "$port")" = "(200, '16', b'') 200 b'{\"status\":\"ok\"}\n'" ]
REQS=$((REQS + 2))

expect_http unknown_route_404 404 GET /nowhere
check unknown_route_json [ "$(jv 'd["error"]["type"]'):$(jv 'd["error"]["code"]')" = "not_found:route_not_found" ]
expect_http wrong_method_405 405 POST /healthz -d x=1
check allow_header grep -qi '^Allow: GET, HEAD' "$T/hdr"
check wrong_method_json [ "$(jv 'd["error"]["code"]')" = method_not_allowed ]
expect_http wrong_method_report 405 DELETE /v1/reports/acme/twilio
check allow_post grep -qi '^Allow: POST' "$T/hdr"

# Refused before any handler (src/http.c): not logged.
head -c $((1024 * 1024 + 100)) /dev/zero | tr '\0' a > "$T/big"
REQS=$((REQS - 1))
expect_http body_over_1mib_413 413 POST /v1/reports/acme/twilio "${FORM[@]}" --data-binary @"$T/big"
# Headers over 8 KiB: refused before any handler (400, not logged).
check headers_over_8kib_400 [ "$(python3 -c 'import socket,sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n")
print(s.recv(100).split(b"\r\n")[0].decode())' "$port")" = "HTTP/1.1 400 Bad Request" ]
# The wire, byte by byte (our own HTTP/1.1 code, src/http.c): answers
# status line by status line for what a raw client sends. Refused
# requests are not logged; the others are (REQS).
wire() { # NAME WANT BYTES (printf format): the status lines, space-separated
	local got
	got=$(python3 -c 'import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
data = sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
if sys.argv[3] == "slow":
    for b in data:
        s.send(bytes([b])); time.sleep(0.001)
else:
    s.sendall(data)
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    try:
        k = s.recv(65536)
    except socket.timeout:
        break
    if not k:
        break
    out += k
import re
print(" ".join(x.decode() for x in re.findall(rb"(?:^|\n)HTTP/1\.[01] (\d{3}) ", out)))' "$port" "$3" "${4:-fast}")
	if [ "$got" = "$2" ]; then pass "$1"; else fail "$1" "got '$got', want '$2'"; fi
}
wire pipelined_two '200 404' 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n'
REQS=$((REQS + 2))
wire one_byte_at_a_time 200 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' slow
REQS=$((REQS + 1))
wire http10_closes_after_one 200 'GET /healthz HTTP/1.0\r\n\r\nGET /healthz HTTP/1.0\r\n\r\n'
REQS=$((REQS + 1))
# A chunked body is read to its end: the next request on the connection
# is found where it starts.
wire chunked_then_next '405 200' 'POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
REQS=$((REQS + 2))
wire smuggling_cl_and_te_400 400 'POST /v1/reports/acme/bird HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
wire two_lengths_400 400 'POST /v1/reports/acme/bird HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd'
wire bad_request_line_400 400 'GET /healthz\r\n\r\n'
wire http2_preface_400 400 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'
wire nul_in_header_400 400 'GET /healthz HTTP/1.1\r\nHost: x\x00y\r\n\r\n'
wire unknown_method_501 501 'BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
wire gzip_coding_501 501 'POST /v1/reports/acme/bird HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n'
expect_http twilio_needs_form 415 POST /v1/reports/acme/twilio -H 'Content-Type: text/plain' -d 'MessageSid=SM1&MessageStatus=sent'
check unsupported_json [ "$(jv 'd["error"]["code"]')" = unsupported_media_type ]
expect_http bad_query_400 400 GET '/v1/reports/acme/bird?id=%zz'
expect_http unknown_tenant_404 404 POST /v1/reports/nobody/twilio "${FORM[@]}" -d 'MessageSid=SM1&MessageStatus=delivered'
check unknown_tenant_json [ "$(jv 'd["error"]["code"]')" = unknown_tenant ]

# Twilio: delivered, then an unknown number (30005) bounces.
expect_http twilio_delivered_204 204 POST /v1/reports/acme/twilio "${FORM[@]}" \
	-d 'SmsSid=SM1234567890abcdef1234567890abcdef&SmsStatus=delivered&MessageStatus=delivered&To=%2B31612345678&MessageSid=SM1234567890abcdef1234567890abcdef&AccountSid=AC0000&From=%2B3197010000000&ApiVersion=2010-04-01'
check twilio_status_delivered [ "$(q "SELECT status FROM messages WHERE id=$m1")" = delivered ]
check twilio_event [ "$(cnt "case_events WHERE kind='message.delivered' AND detail LIKE '%SM1234567890abcdef1234567890abcdef%'")" = 1 ]
before=$(cnt messages)
fb3=$(q "SELECT fallbacks FROM messages WHERE id=$m3")
expect_http twilio_undelivered_204 204 POST /v1/reports/acme/twilio "${FORM[@]}" \
	-d 'MessageSid=SM0000000000000000000000000000bad0&MessageStatus=undelivered&ErrorCode=30005&To=%2B31600000000'
check twilio_30005_bounced [ "$(q "SELECT status FROM messages WHERE id=$m3")" = bounced ]
check twilio_bounce_event [ "$(cnt "case_events WHERE kind='message.bounced' AND detail LIKE '%30005%'")" = 1 ]
if [ -n "$fb3" ]; then
	check bounce_falls_back [ "$(cnt messages)" = $((before + 1)) ]
	check fallback_queued [ "$(cnt "messages WHERE channel='${fb3%%,*}' AND status='queued'")" -ge 1 ]
fi
expect_http twilio_unknown_sid_404 404 POST /v1/reports/acme/twilio "${FORM[@]}" -d 'MessageSid=SMnotours&MessageStatus=delivered'
check unknown_sid_json [ "$(jv 'd["error"]["code"]')" = unknown_message ]
# Path parameters are %-decoded ("ac%6De" is acme); a NUL is refused.
expect_http escaped_tenant 404 POST /v1/reports/ac%6De/twilio "${FORM[@]}" -d 'MessageSid=SMnotours&MessageStatus=delivered'
check escaped_tenant_found [ "$(jv 'd["error"]["code"]')" = unknown_message ]
expect_http nul_in_path_400 400 POST /v1/reports/ac%00me/twilio "${FORM[@]}" -d 'MessageSid=SMx&MessageStatus=delivered'
expect_http twilio_inbound_400 400 POST /v1/reports/acme/twilio "${FORM[@]}" -d 'MessageSid=SMx&SmsStatus=received&MessageStatus=received'

# MessageBird: the report comes as a GET with a query string.
expect_http bird_get_204 204 GET '/v1/reports/acme/bird?id=efa6405d518d4c0c88cce11f7db775fb&reference=dw-ref&recipient=31612345678&status=delivered&statusDatetime=2026-11-21T11%3A59%3A00%2B00%3A00'
check bird_status_delivered [ "$(q "SELECT status FROM messages WHERE id=$m2")" = delivered ]
check bird_event [ "$(cnt "case_events WHERE kind='message.delivered' AND detail LIKE '%efa6405d518d4c0c88cce11f7db775fb%'")" = 1 ]
expect_http bird_json_unknown_404 404 POST /v1/reports/acme/bird -H 'Content-Type: application/json' -d '{"id":"00000000000000000000000000000000","status":"delivered"}'
expect_http bird_garbage_400 400 GET '/v1/reports/acme/bird?hello=world'

# WhatsApp: Meta's verification handshake.
expect_http wa_verify_200 200 GET '/v1/reports/acme/whatsapp?hub.mode=subscribe&hub.verify_token=vt-Secret-42&hub.challenge=1158201444'
check wa_challenge_echoed [ "$(cat "$T/body")" = 1158201444 ]
expect_http wa_verify_wrong_403 403 GET '/v1/reports/acme/whatsapp?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1158201444'
expect_http wa_verify_bad_400 400 GET '/v1/reports/acme/whatsapp?hub.mode=unsubscribe&hub.verify_token=vt-Secret-42&hub.challenge=1'

# WhatsApp: a webhook about message 1 (now carried by WhatsApp) and one
# message that is not ours, signed with the app secret.
q "UPDATE messages SET provider='whatsapp', provider_id='wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA', status='sent' WHERE id=$m1" >/dev/null
cat > "$T/wa.json" <<'EOF'
{"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{"value": {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"}, "statuses": [{"id": "wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "status": "delivered", "timestamp": "1795348800", "recipient_id": "31612345678", "conversation": {"id": "6ceb9d929c0bdc3da24c1ee5ee3b4b6a", "origin": {"type": "utility"}}, "pricing": {"billable": true, "pricing_model": "PMP", "category": "utility"}}, {"id": "wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "status": "read", "timestamp": "1795348860", "recipient_id": "31612345678"}, {"id": "wamid.NOTOURS", "status": "delivered", "timestamp": "1795348870", "recipient_id": "31699999999"}]}, "field": "messages"}]}]}
EOF
sig=$(python3 -c 'import hashlib,hmac,sys
print(hmac.new(b"app-s3cret", open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest())' "$T/wa.json")
WAH=(-H 'Content-Type: application/json')
expect_http wa_unsigned_401 401 POST /v1/reports/acme/whatsapp "${WAH[@]}" --data-binary @"$T/wa.json"
expect_http wa_wrong_signature_401 401 POST /v1/reports/acme/whatsapp "${WAH[@]}" \
	-H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" --data-binary @"$T/wa.json"
check wa_401_changes_nothing [ "$(q "SELECT status FROM messages WHERE id=$m1")" = sent ]
expect_http wa_signed_200 200 POST /v1/reports/acme/whatsapp "${WAH[@]}" \
	-H "X-Hub-Signature-256: sha256=$sig" --data-binary @"$T/wa.json"
check wa_counts [ "$(jv 'd["recorded"]'):$(jv 'd["unknown"]')" = "2:1" ]
check wa_status_delivered [ "$(q "SELECT status FROM messages WHERE id=$m1")" = delivered ]
check wa_delivered_event [ "$(cnt "case_events WHERE kind='message.delivered' AND detail LIKE '%wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA%'")" = 1 ]
check wa_read_event [ "$(cnt "case_events WHERE kind='message.opened' AND detail LIKE '%wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA%'")" = 1 ]
printf '{"object": ' > "$T/wa-bad.json"
sig=$(python3 -c 'import hashlib,hmac,sys
print(hmac.new(b"app-s3cret", open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest())' "$T/wa-bad.json")
expect_http wa_bad_json_400 400 POST /v1/reports/acme/whatsapp "${WAH[@]}" \
	-H "X-Hub-Signature-256: sha256=$sig" --data-binary @"$T/wa-bad.json"

# Metrics: the counters of what came before, in Prometheus text.
expect_http metrics_200 200 GET /metrics
check metrics_twilio_204 grep -qxF 'dunwell_http_requests_total{route="/v1/reports/{tenant}/twilio",method="POST",status="204"} 2' "$T/body"
check metrics_healthz grep -qE '^dunwell_http_requests_total\{route="/healthz",method="GET",status="200"\} [1-9]' "$T/body"
# (the unknown route of the test, and the pipelined one)
check metrics_unmatched grep -qxF 'dunwell_http_requests_total{route="none",method="GET",status="404"} 2' "$T/body"
check metrics_histogram grep -qE '^dunwell_http_request_duration_seconds_count\{route="/v1/reports/\{tenant\}/whatsapp"\} [1-9]' "$T/body"
check metrics_inf_bucket grep -qE '^dunwell_http_request_duration_seconds_bucket\{route="/healthz",le="\+Inf"\} [1-9]' "$T/body"
check metrics_text_type grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/hdr"

# SIGTERM: a graceful stop. A request in flight (headers half sent) is
# still answered, with "Connection: close"; an idle keep-alive
# connection is closed within about a second; new connections are
# refused; the process exits 0 within a few seconds.
python3 - "$port" "$SERVER" > "$T/drain" 2>&1 <<'EOF'
import os, signal, socket, sys, time
port, pid = int(sys.argv[1]), int(sys.argv[2])
idle = socket.create_connection(("127.0.0.1", port), timeout=10)
idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
idle.recv(1000)
busy = socket.create_connection(("127.0.0.1", port), timeout=10)
busy.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
time.sleep(0.3)
t0 = time.time()
os.kill(pid, signal.SIGTERM)
time.sleep(0.3)
busy.sendall(b"\r\n")
answer = busy.recv(1000)
print("inflight", answer.split(b"\r\n")[0].decode(), b"Connection: close" in answer)
try:
    socket.create_connection(("127.0.0.1", port), timeout=2).close()
    print("refused False")
except OSError:
    print("refused True")
print("idle_closed", idle.recv(10) == b"" and time.time() - t0 < 3)
EOF
REQS=$((REQS + 2))
check drain_answers_in_flight grep -qxF 'inflight HTTP/1.1 200 OK True' "$T/drain"
check drain_refuses_new grep -qxF 'refused True' "$T/drain"
check drain_closes_idle grep -qxF 'idle_closed True' "$T/drain"
kill -TERM "$SERVER" 2>/dev/null
stopped=0
for _ in $(seq 1 50); do
	kill -0 "$SERVER" 2>/dev/null || { stopped=1; break; }
	sleep 0.2
done
check sigterm_stops_quickly [ "$stopped" = 1 ]
[ "$stopped" = 1 ] || kill -KILL "$SERVER" 2>/dev/null
wait "$SERVER"
rc_server=$?
check sigterm_exit_0 [ "$rc_server" = 0 ]
check no_sanitizer_report [ "$(grep -c 'Sanitizer' "$LOG")" = 0 ]

# The access log: JSON lines, one per answered request, no query string,
# no body, no secret.
if python3 - "$LOG" > "$T/logcheck" 2>&1 <<'EOF'
import json, sys
reqs = 0
for n, line in enumerate(open(sys.argv[1]), 1):
    d = json.loads(line)
    if "method" in d:
        reqs += 1
        assert set(d) == {"ts", "method", "path", "route", "status", "bytes", "ms"}, (n, d)
        assert "?" not in d["path"], (n, d)
        assert isinstance(d["status"], int) and isinstance(d["ms"], float), (n, d)
print(reqs)
EOF
then
	pass access_log_json
	check access_log_line_per_request [ "$(cat "$T/logcheck")" = "$REQS" ]
else
	fail access_log_json "$(head -c 600 "$T/logcheck")"
fi
check log_no_query_or_body [ "$(grep -c -e 'hub\.' -e 'vt-Secret' -e 'app-s3cret' -e 'MessageSid' -e 'statuses' -e '31612345678' "$LOG")" = 0 ]
check log_names_route grep -qF '"route":"/v1/reports/{tenant}/bird"' "$LOG"
check log_start_stop [ "$(grep -c -e '"event":"listening"' -e '"event":"stopped"' "$LOG")" = 2 ]

# Garbage on the wire: a second server gets 600 connections of requests
# mutated at random (bytes flipped, dropped, doubled, cut short, sent in
# random pieces; a fixed seed, so a failure can be replayed) and must
# still answer, stop cleanly on SIGTERM, and (the sanitizer build) report
# no memory error.
FUZZLOG="$T/fuzz.log"
if serve_start "$FUZZLOG" --threads 2; then
	python3 - "${BASE##*:}" <<'PY' >"$T/fuzz.out" 2>&1
import random, socket, sys
port = int(sys.argv[1])
rnd = random.Random(2026)
seeds = [
    b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /v1/customers?limit=2&starting_after=a%20b HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer dw_live_x\r\n\r\n",
    b"POST /v1/reports/acme/bird HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"id\":\"a\"}\n",
    b"POST /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    b"GET /p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA HTTP/1.0\r\nConnection: keep-alive\r\nAccept-Language: nl;q=0.9, *\r\n\r\n",
    b"POST /console/acme/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nExpect: 100-continue\r\nContent-Length: 17\r\n\r\nemail=a&password=",
]
def mutate(b):
    b = bytearray(b * rnd.randint(1, 3))
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(b)) if b else 0
        op = rnd.randrange(5)
        if op == 0 and b:
            b[i] = rnd.randrange(256)
        elif op == 1 and b:
            del b[i:i + rnd.randint(1, 8)]
        elif op == 2:
            b[i:i] = b[i:i + rnd.randint(1, 40)] * rnd.randint(1, 20)
        elif op == 3:
            b[i:i] = bytes(rnd.choice(b"\r\n :;,\t\x00\xff0123456789abcdef-") for _ in range(rnd.randint(1, 6)))
        else:
            b = b[:i]
    return bytes(b)
for n in range(600):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        data = mutate(rnd.choice(seeds))
        while data:
            k = rnd.randint(1, max(1, len(data)))
            s.sendall(data[:k])
            data = data[k:]
        if rnd.random() < 0.5:
            s.shutdown(socket.SHUT_WR)
        s.settimeout(0.05)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
    except OSError:
        pass
print("sent 600")
PY
	check fuzz_client_ran grep -q "sent 600" "$T/fuzz.out"
	check fuzz_server_still_answers [ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ]
	kill -TERM "$SERVER" 2>/dev/null
	wait "$SERVER"
	check fuzz_server_stopped_cleanly [ $? = 0 ]
	check fuzz_no_sanitizer_report [ "$(grep -c -e 'AddressSanitizer' -e 'runtime error' -e 'LeakSanitizer' "$FUZZLOG")" = 0 ]
fi
finish
