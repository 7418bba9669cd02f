#!/bin/bash
# bench/api.sh: the JSON API's speed targets (issue #5; bench/README.md,
# "JSON API"):
#   * GET /v1/invoices/{id} with 100 connections: requests/s and p99 (target
#     p99 under 5 ms), with nginx serving the same JSON from a file as the
#     baseline in the same go;
#   * POST /v1/invoices/bulk, 1,000 invoices a call from 4 connections:
#     invoices/s (target at least 50,000), new invoices and again as
#     updates, against `dunwell import invoices` of the same rows from CSV
#     as the baseline in the same go.
#
#   bench/api.sh
#
#   ROUNDS=N       rounds (default 3; medians reported)
#   CUSTOMERS=N    customers (default 20000)
#   CALLS=N        bulk calls per round (default 100: 100,000 invoices)
#   THREADS=N      dunwell serve threads (default 2)
#   BULK=0         the GET only (no bulk calls, no import baseline)
#   BUILD=D        use D/dunwell and D/bench/gen as they are
#
# Release build, SQLite, on this machine with wrk/nginx/the client on the
# same cores. Needs wrk, nginx, curl, python3.
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
CUSTOMERS=${CUSTOMERS:-20000}
CALLS=${CALLS:-100}
THREADS=${THREADS:-2}
for tool in wrk curl python3; do
	command -v "$tool" >/dev/null || { echo "bench/api.sh: $tool is missing"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "bench/api.sh: nginx is missing"; exit 1; }
if [ -z "${BUILD:-}" ]; then
	make -s VARIANT=release all bench-tools >/dev/null
	BUILD=build/release
fi
DW=$BUILD/dunwell
DIR=$(mktemp -d "${TMPDIR:-/tmp}/dunwell-api-bench.XXXXXX")
chmod 755 "$DIR"
cleanup() {
	[ -n "${SERVE:-}" ] && kill "$SERVE" 2>/dev/null
	[ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
export DUNWELL_DB="$DIR/api.db" DUNWELL_TENANT=bench
$BUILD/bench/gen --customers "$CUSTOMERS" --invoices "$CUSTOMERS" --seed 2026 --out "$DIR" >/dev/null
$DW tenant add bench --timezone Europe/Amsterdam >/dev/null
$DW import customers "$DIR/customers.csv" >/dev/null
$DW import invoices "$DIR/invoices.csv" >/dev/null
KEY=$($DW apikey create --scopes read,write 2>/dev/null)
port_free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PORT=$(port_free)
DUNWELL_API_RATE=1000000 $DW serve --listen "127.0.0.1:$PORT" --threads "$THREADS" 2>/dev/null &
SERVE=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$BASE/healthz" >/dev/null && break; sleep 0.1; done
INV=$(sed -n '2p' "$DIR/invoices.csv" | cut -d, -f1)
URL="$BASE/v1/invoices/$INV"
mkdir -p "$DIR/www/v1/invoices" "$DIR/tmp"
curl -sf -H "Authorization: Bearer $KEY" "$URL" -o "$DIR/www/v1/invoices/$INV" ||
	{ echo "bench/api.sh: GET $URL failed"; exit 1; }
NPORT=$(port_free)
cat >"$DIR/nginx.conf" <<EOF
worker_processes $THREADS;
pid $DIR/nginx.pid;
error_log $DIR/nginx.err;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $DIR/tmp; proxy_temp_path $DIR/tmp;
	fastcgi_temp_path $DIR/tmp; uwsgi_temp_path $DIR/tmp; scgi_temp_path $DIR/tmp;
	default_type application/json;
	server { listen 127.0.0.1:$NPORT; root $DIR/www; }
}
EOF
"$NGINX" -c "$DIR/nginx.conf" -p "$DIR"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NPORT/v1/invoices/$INV" >/dev/null && break; sleep 0.1; done

# wrk's requests/s and p99 (ms) as "RPS P99".
measure() {
	wrk -t2 -c100 -d10s --latency "$@" >"$DIR/wrk.out"
	python3 - "$DIR/wrk.out" <<'EOF'
import re, sys
s = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", s).group(1))
m = re.search(r"99%\s+([\d.]+)(us|ms|s)", s)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses: (\d+)", s)
if bad:
    sys.exit("non-2xx answers: " + bad.group(1))
print("%.0f %.2f" % (rps, p99))
EOF
}

# Bulk bodies: CALLS calls of 1,000 invoices for existing customers, ids
# unique to the round (so the first pass inserts, the second updates), and
# the same rows as a CSV for the import baseline.
make_bodies() { # ROUND
	python3 - "$DIR" "$1" "$CALLS" "$CUSTOMERS" <<'EOF'
import json, os, sys
d, rnd, calls, customers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ids = [l.split(",")[0] for l in open(os.path.join(d, "customers.csv")).read().splitlines()[1:]]
os.makedirs(os.path.join(d, "bulk"), exist_ok=True)
with open(os.path.join(d, "bulk", "rows.csv"), "w") as csv:
    csv.write("external_id,customer_id,number,issue_date,due_date,amount,open_amount,currency,payment_reference,disputed\n")
    for c in range(calls):
        items = []
        for k in range(1000):
            n = c * 1000 + k
            cust = ids[n % len(ids)]
            inv = "B%d-%d" % (rnd, n)
            items.append({"id": inv, "customer": cust, "issue_date": "2026-10-01",
                          "due_date": "2026-10-31", "amount": 1000 + n % 9000,
                          "currency": "EUR"})
            csv.write("C%s,%s,%s,2026-10-01,2026-10-31,%d.%02d,,EUR,,\n" % (
                inv, cust, inv, (1000 + n % 9000) // 100, (1000 + n % 9000) % 100))
        open(os.path.join(d, "bulk", "%d.json" % c), "w").write(json.dumps({"invoices": items}))
EOF
}
# POST every body (4 connections); prints invoices/s.
post_bodies() { # KEYPREFIX
	python3 - "$DIR" "$CALLS" "$PORT" "$KEY" "$1" <<'EOF'
import http.client, sys, threading, time
d, calls, port, key, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
bodies = [open("%s/bulk/%d.json" % (d, c), "rb").read() for c in range(calls)]
errors = []
def worker(k):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    for c in range(k, calls, 4):
        conn.request("POST", "/v1/invoices/bulk", bodies[c], {
            "Authorization": "Bearer " + key, "Content-Type": "application/json",
            "Idempotency-Key": "%s-%d" % (prefix, c)})
        r = conn.getresponse()
        r.read()
        if r.status not in (200, 201):
            errors.append(r.status)
t0 = time.monotonic()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]
dt = time.monotonic() - t0
if errors:
    sys.exit("bulk errors: %s" % errors[:5])
print("%.0f" % (calls * 1000 / dt))
EOF
}

echo "GET /v1/invoices/{id}: wrk -t2 -c100 -d10s; bulk: $CALLS calls x 1,000 invoices, 4 connections; $THREADS threads"
printf '%-6s %10s %8s %10s %8s %12s %12s %12s\n' round nginx_rps p99_ms get_rps p99_ms bulk_new/s bulk_upd/s import/s
: >"$DIR/results"
for r in $(seq 1 "$ROUNDS"); do
	set -- $(measure "http://127.0.0.1:$NPORT/v1/invoices/$INV")
	n_rps=$1 n_p99=$2
	set -- $(measure -H "Authorization: Bearer $KEY" "$URL")
	g_rps=$1 g_p99=$2
	if [ "${BULK:-1}" = 0 ]; then
		b_new=0 b_upd=0 imp=1
	else
		make_bodies "$r"
		b_new=$(post_bodies "new$r")
		b_upd=$(post_bodies "upd$r")
		t0=$(date +%s.%N)
		$DW import invoices "$DIR/bulk/rows.csv" >/dev/null
		t1=$(date +%s.%N)
		imp=$(python3 -c "print('%.0f' % ($CALLS * 1000 / ($t1 - $t0)))")
	fi
	printf '%-6s %10s %8s %10s %8s %12s %12s %12s\n' "$r" "$n_rps" "$n_p99" "$g_rps" "$g_p99" "$b_new" "$b_upd" "$imp"
	echo "$n_rps $n_p99 $g_rps $g_p99 $b_new $b_upd $imp" >>"$DIR/results"
done
python3 - "$DIR/results" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
m = [statistics.median(c) for c in zip(*rows)]
print("median %10.0f %8.2f %10.0f %8.2f %12.0f %12.0f %12.0f" % tuple(m))
print("GET: %.2f of nginx's rate; bulk (new): %.2f of the CSV import's rate" % (m[2] / m[0], m[4] / m[6]))
EOF
