#!/bin/bash
# bench/restore.sh: how soon the tenant hears `service.restore` after the
# payment that cures a restricted case (issue #5: "within 1 second";
# bench/README.md, "service.restore").
#
#   bench/restore.sh
#
#   CUSTOMERS=N   customers generated (default 600; about a fifth end up
#                 restricted)
#   PAYMENTS=N    restricted customers who pay, one after another
#                 (default 20)
#   BUILD=D       use D/dunwell and D/bench/gen as they are
#
# A tenant on tests/engine/strategies/basic.yaml (restrict_service 35 days
# after the due date) is run day by day for 60 days; `dunwell serve
# --dispatch-every 60` then serves the API and delivers webhooks to a
# receiver on loopback. For each paying customer: POST /v1/payments for
# everything they owe, and the time until the receiver has the signed
# service.restore for them. The scheduled pass comes only every 60 s, so
# what is measured is the wake-up after a payment (dispatch_wake) plus
# the webhook pass; the baseline in the same go is the same payment's
# API answer time.
set -eu
cd "$(dirname "$0")/.."
CUSTOMERS=${CUSTOMERS:-600}
PAYMENTS=${PAYMENTS:-20}
if [ -z "${BUILD:-}" ]; then
	make -s VARIANT=release all bench-tools >/dev/null
	BUILD=build/release
fi
DW=$BUILD/dunwell
DIR=$(mktemp -d "${TMPDIR:-/tmp}/dunwell-restore-bench.XXXXXX")
cleanup() {
	[ -n "${SERVE:-}" ] && kill "$SERVE" 2>/dev/null
	[ -n "${RECV:-}" ] && kill "$RECV" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
export DUNWELL_DB="$DIR/r.db" DUNWELL_TENANT=bench
AS_OF=2026-11-27
$BUILD/bench/gen --customers "$CUSTOMERS" --invoices "$CUSTOMERS" --seed 7 --as-of 2026-10-01 --out "$DIR" >/dev/null
$DW tenant add bench --timezone Europe/Amsterdam >/dev/null
$DW strategy load tests/engine/strategies/basic.yaml >/dev/null
$DW import customers "$DIR/customers.csv" >/dev/null
$DW import invoices "$DIR/invoices.csv" >/dev/null
for d in $(seq 60 -1 0); do
	$DW run --as-of "$(date -u -d "$AS_OF - $d days" +%Y-%m-%d)T09:00:00Z" >/dev/null
done
KEY=$($DW apikey create --scopes read,write 2>/dev/null)
python3 tests/tools/webhook_receiver.py --dir "$DIR/rx" >"$DIR/rx.port" 2>/dev/null &
RECV=$!
for _ in $(seq 1 50); do grep -q PORT "$DIR/rx.port" 2>/dev/null && break; sleep 0.1; done
$DW webhook add "http://127.0.0.1:$(sed -n 's/^PORT //p' "$DIR/rx.port")/hook" --events "service.restore" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DUNWELL_API_RATE=100000 $DW serve --listen "127.0.0.1:$PORT" --threads 2 --dispatch-every 60 \
	--as-of "${AS_OF}T12:00:00Z" 2>"$DIR/serve.log" &
SERVE=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
sleep 2 # the loop's first (scheduled) pass is over

# The restricted customers and what each owes.
sqlite3 "$DUNWELL_DB" "SELECT c.external_id, SUM(i.open_minor), k.currency FROM cases k
	JOIN customers c ON c.id = k.customer_id
	JOIN invoices i ON i.customer_id = k.customer_id AND i.currency = k.currency AND i.open_minor > 0
	WHERE k.status = 'open' AND EXISTS (SELECT 1 FROM case_events v WHERE v.case_id = k.id AND v.kind = 'service.restrict')
	GROUP BY k.id LIMIT $PAYMENTS" >"$DIR/owing"
python3 - "$DIR" "$PORT" "$KEY" <<'EOF'
import glob, http.client, json, os, statistics, sys, time
d, port, key = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows = [l.split("|") for l in open(os.path.join(d, "owing")).read().split("\n") if l]
if not rows:
    sys.exit("no restricted customer: nothing to measure")
seen = set()
lat, api = [], []
for n, (cust, owed, cur) in enumerate(rows):
    body = json.dumps({"id": "bench-pay-%d" % n, "customer": cust, "amount": int(owed),
                       "currency": cur, "paid_on": "2026-11-27"})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    t0 = time.time()
    conn.request("POST", "/v1/payments", body, {"Authorization": "Bearer " + key,
                 "Content-Type": "application/json", "Idempotency-Key": "bench-%d" % n})
    r = conn.getresponse(); r.read()
    api.append(time.time() - t0)
    if r.status not in (200, 201):
        sys.exit("payment answered %d" % r.status)
    got = None
    while time.time() - t0 < 120 and got is None:
        for f in glob.glob(os.path.join(d, "rx", "*.json")):
            if f in seen:
                continue
            rec = json.load(open(f))
            ev = json.loads(rec["body"])
            if ev["type"] == "service.restore" and ev["data"]["customer_id"] == cust:
                seen.add(f)
                got = os.stat(f).st_mtime - t0
        time.sleep(0.005)
    if got is None:
        sys.exit("no service.restore for %s within 120 s" % cust)
    lat.append(got)
lat.sort(); api.sort()
print("%d payments: service.restore after median %.0f ms, max %.0f ms (API answer median %.0f ms)" % (
    len(lat), statistics.median(lat) * 1000, lat[-1] * 1000, statistics.median(api) * 1000))
EOF
