# Signed webhooks to the tenant (issue #5, docs/webhooks.md) end to end:
# an endpoint on loopback (tests/tools/webhook_receiver.py) gets every
# case event it subscribed to once, signed with its secret (checked here
# with Python's hmac), a 500 is retried later and then delivered, events
# it did not subscribe to and other tenants' endpoints get nothing, and
# `serve --dispatch-every` sends them too. Needs python3.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" tenant add beta --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
cnt() { q "SELECT COUNT(*) FROM $1"; }
RX="$T/rx"

coproc RECV { exec /usr/bin/python3 "$DUNWELL_ROOT/tests/tools/webhook_receiver.py" --dir "$RX" --fail 1 2>"$T/recv.err"; }
recv_pid=$RECV_PID # bash unsets RECV_PID once it reaps the coprocess
read -r -t 20 word port <&"${RECV[0]}"
if [ "${word:-}" != PORT ]; then
	fail receiver_started "$(cat "$T/recv.err")"
	finish
fi
URL="http://127.0.0.1:$port/hooks/acme"

# Adding endpoints: bad URLs and unknown event names are refused.
expect_fail plain_http_refused "loopback" webhook add http://example.com/hook --tenant acme
expect_fail unknown_event_refused "unknown event 'case.exploded'" webhook add "$URL" --events "case.opened case.exploded" --tenant acme
check nothing_added [ "$(cnt webhook_endpoints)" = 0 ]
expect_ok add_endpoint webhook add "$URL" --events "case.opened action.sent" --tenant acme
SECRET=$(cat "$T/out")
check secret_shape [ "${SECRET#whsec_}" != "$SECRET" -a "${#SECRET}" = 49 ]
check secret_shown_once grep -q "shown only this once" "$T/err"
expect_ok add_beta_endpoint webhook add "http://127.0.0.1:$port/hooks/beta" --tenant beta
expect_ok list webhook list --tenant acme
check list_names_url grep -qF "$URL events=case.opened action.sent" "$T/out"
check list_hides_secret [ "$(grep -cF -e "${SECRET#whsec_}" "$T/out")" = 0 ]

# Events: the run opens cases, dispatch sends reminders.
expect_ok run run --tenant acme --as-of 2026-11-20T09:00:00Z
expect_ok dispatch dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$T/outbox"
opened=$(cnt "case_events WHERE kind='case.opened'")
sent=$(cnt "case_events WHERE kind='message.sent'")
expected=$((opened + sent))
check events_exist [ "$opened" -ge 1 -a "$sent" -ge 1 ]

# Python's own check of what arrived: prints "requests answered_200
# distinct_200 bad_signatures wrong_headers types".
rx_stats() {
	python3 - "$RX" "$SECRET" <<'PY'
import glob, hashlib, hmac, json, sys
d, secret = sys.argv[1], sys.argv[2].encode()
recs = [json.load(open(p)) for p in sorted(glob.glob(d + "/*.json"))]
recs = [r for r in recs if r["path"] == "/hooks/acme"]
ok = [r for r in recs if r["answered"] == 200]
bad = wrong = 0
types = set()
for r in recs:
    h = {k.lower(): v for k, v in r["headers"].items()}
    parts = dict(p.split("=", 1) for p in h.get("dunwell-signature", "").split(","))
    mac = hmac.new(secret, (parts.get("t", "") + "." + r["body"]).encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, parts.get("v1", "")):
        bad += 1
    body = json.loads(r["body"])
    if (h.get("content-type") != "application/json" or h.get("dunwell-event-id") != body["id"]
            or not body["id"].startswith("evt_acme_") or "case_id" not in body["data"]
            or not body["data"].get("customer_id") or not body["created"].endswith("Z")):
        wrong += 1
    types.add(body["type"])
ids = {json.loads(r["body"])["id"] for r in ok}
print(len(recs), len(ok), len(ids), bad, wrong, ",".join(sorted(types)))
PY
}

expect_ok deliver webhook deliver --tenant acme --as-of 2026-11-21T08:06:00Z
check deliveries_queued [ "$(cnt webhook_deliveries)" = "$expected" ]
check summary_line grep -q "$expected webhook deliveries queued, $expected claimed: $((expected - 1)) delivered, 1 to retry" "$T/out"
read -r n_req n_ok n_ids n_bad n_wrong types <<<"$(rx_stats)"
check every_event_posted [ "$n_req" = "$expected" ]
check first_answered_500 [ "$n_ok" = "$((expected - 1))" ]
check signatures_verify [ "$n_bad" = 0 ]
check headers_and_payload [ "$n_wrong" = 0 ]
check only_subscribed_types [ "$types" = "action.sent,case.opened" ]
check retry_recorded [ "$(cnt "webhook_deliveries WHERE status='queued' AND attempts=1 AND last_error='HTTP 500' AND response_status=500")" = 1 ]
check delivered_recorded [ "$(cnt "webhook_deliveries WHERE status='delivered' AND delivered_at IS NOT NULL")" = "$((expected - 1))" ]

# At once again: the retry is not due yet, nothing new is sent.
before=$(db_digest)
expect_ok deliver_again webhook deliver --tenant acme --as-of 2026-11-21T08:06:00Z
check nothing_new_posted [ "$(ls "$RX" | wc -l)" = "$expected" ]
check nothing_changed [ "$(db_digest)" = "$before" ]

# An hour later the retry goes, and succeeds.
expect_ok deliver_later webhook deliver --tenant acme --as-of 2026-11-21T09:10:00Z
read -r n_req n_ok n_ids n_bad n_wrong types <<<"$(rx_stats)"
check retried_once [ "$n_req" = "$((expected + 1))" ]
check each_event_delivered_once [ "$n_ok" = "$expected" -a "$n_ids" = "$expected" ]
check retry_signed [ "$n_bad" = 0 ]
check all_delivered [ "$(cnt "webhook_deliveries WHERE status='delivered'")" = "$expected" ]
check cursor_moved [ "$(q "SELECT cursor_event_id FROM webhook_endpoints w JOIN tenants t ON t.id = w.tenant_id WHERE t.slug='acme'")" = "$(q "SELECT MAX(id) FROM case_events")" ]
check other_tenant_nothing [ "$(grep -l '/hooks/beta' "$RX"/*.json 2>/dev/null | wc -l)" = 0 ]
expect_ok deliver_beta webhook deliver --tenant beta --as-of 2026-11-21T09:10:00Z
check beta_gets_no_acme_event [ "$(grep -l '/hooks/beta' "$RX"/*.json 2>/dev/null | wc -l)" = 0 ]
expect_ok deliver_nothing_new webhook deliver --tenant acme --as-of 2026-11-21T10:00:00Z
check no_duplicates [ "$(ls "$RX" | wc -l)" = "$((expected + 1))" ]

# Inside the server: new events (a later run, then the server's own
# dispatch) reach the endpoint without `webhook deliver`.
DB2=$(clone_db "$DUNWELL_DB" served)
"$DUNWELL" tenant set deliver_email "file:$T/served" --db "$DB2" --tenant acme >/dev/null
"$DUNWELL" tenant set deliver_sms "file:$T/served" --db "$DB2" --tenant acme >/dev/null
"$DUNWELL" run --db "$DB2" --tenant acme --as-of 2026-12-08T09:00:00Z >/dev/null
"$DUNWELL" serve --db "$DB2" --listen 127.0.0.1:0 --threads 1 --dispatch-every 1 --as-of 2026-12-08T10:00:00Z 2>"$T/serve.log" &
spid=$!
for _ in $(seq 1 60); do
	grep -q '"webhook":"pass"' "$T/serve.log" 2>/dev/null && break
	sleep 0.25
done
kill -TERM "$spid" 2>/dev/null
wait "$spid"
check served_exit_clean [ "$?" = 0 ]
check served_webhook_pass grep -q '"webhook":"pass","tenant":"acme"' "$T/serve.log"
want=$(q "SELECT COUNT(*) FROM case_events WHERE kind IN ('case.opened','message.sent')" "$DB2")
check served_all_queued [ "$(q "SELECT COUNT(*) FROM webhook_deliveries" "$DB2")" = "$want" ]
check served_none_left [ "$(q "SELECT COUNT(*) FROM webhook_deliveries WHERE status='queued'" "$DB2")" = 0 ]
check served_posted [ "$(ls "$RX" | wc -l)" -gt "$((expected + 1))" ]

kill "$recv_pid" 2>/dev/null
wait "$recv_pid" 2>/dev/null
finish
