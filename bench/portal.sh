#!/bin/bash
# bench/portal.sh: the customer's personal page (issue #6) against nginx
# serving a static file of the same size, side by side, with wrk on the
# same machine (see bench/README.md, "Personal page").
#
#   bench/portal.sh
#
#   ROUNDS=N      rounds of nginx + dunwell (default 3; medians reported)
#   SECONDS_=N    seconds per wrk run (default 10)
#   CONNS=N       wrk connections (default 100)
#   THREADS=N     dunwell serve threads and nginx workers (default 2)
#   BUILD=D       use D/dunwell as it is (default: make the release build)
#
# The data is the demo's (`dunwell demo`: a tenant, its customers, 45 days
# of runs and dispatches, so the links, messages, payments and events of a
# lived-in case), in SQLite. The page measured is the case page of a
# customer with open invoices, messages and payments (token lookup, ten
# queries, rendering, the CSRF token), in English. nginx serves the bytes
# that page rendered, from a file, with access logging off; dunwell keeps
# its JSON access log (to /dev/null). Needs wrk and nginx (Debian: apt-get
# install wrk nginx-light).
set -eu
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SECS=${SECONDS_:-10}
CONNS=${CONNS:-100}
THREADS=${THREADS:-2}
for tool in wrk nginx curl python3; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
		{ echo "bench/portal.sh: $tool is missing (apt-get install wrk nginx-light curl)"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -z "${BUILD:-}" ]; then
	make -s VARIANT=release all >/dev/null
	BUILD=build/release
fi
DW=$BUILD/dunwell
DIR=$(mktemp -d "${TMPDIR:-/tmp}/dunwell-portal-bench.XXXXXX")
chmod 755 "$DIR" # nginx workers run as another user when started by root
cleanup() {
	[ -n "${SERVE:-}" ] && kill "$SERVE" 2>/dev/null
	[ -f "$DIR/nginx.pid" ] && kill "$(cat "$DIR/nginx.pid")" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT

$DW demo --db "$DIR/bench.db" >/dev/null
$DW tenant set help_phone +31201234500 --db "$DIR/bench.db" --tenant demo >/dev/null
# A customer's personal link, from a message the demo dispatched, whose
# case is open and has invoices, payments and messages to show.
TOKEN=$(python3 - "$DIR/bench.db-outbox" "$DIR/bench.db" <<'EOF'
import hashlib, os, quopri, re, sqlite3, sys
db = sqlite3.connect(sys.argv[2])
best = None
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        b = open(os.path.join(root, f), "rb").read()
        if f.endswith(".eml"):
            b = quopri.decodestring(b)
        for t in set(re.findall(rb"/p/([A-Za-z0-9_-]{43})", b)):
            h = hashlib.sha256(t).hexdigest()
            row = db.execute("""SELECT (SELECT COUNT(*) FROM messages m WHERE m.case_id = l.case_id)
                                + (SELECT COUNT(*) FROM payments p WHERE p.customer_id = l.customer_id)
                                FROM links l JOIN cases k ON k.id = l.case_id
                                WHERE l.token_hash = ? AND k.status = 'open'""", (h,)).fetchone()
            if row and (best is None or row[0] > best[0]):
                best = (row[0], t.decode())
print(best[1] if best else "")
EOF
)
[ -n "$TOKEN" ] || { echo "bench/portal.sh: no open case with a link in the demo"; exit 1; }

port_free() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DPORT=$(port_free)
$DW serve --db "$DIR/bench.db" --listen "127.0.0.1:$DPORT" --threads "$THREADS" 2>/dev/null &
SERVE=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$DPORT/healthz" >/dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$DPORT/p/$TOKEN?lang=en"
mkdir -p "$DIR/www"
curl -sf "$URL" -o "$DIR/www/page.html"
BYTES=$(wc -c <"$DIR/www/page.html")

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
	default_type text/html;
	server {
		listen 127.0.0.1:$NPORT;
		root $DIR/www;
	}
}
EOF
mkdir -p "$DIR/tmp"
"$NGINX" -c "$DIR/nginx.conf" -p "$DIR"
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$NPORT/page.html" >/dev/null && break; sleep 0.1; done

# wrk's requests/s and 99th percentile latency (ms) as "RPS P99".
measure() {
	wrk -t2 -c"$CONNS" -d"${SECS}s" --latency "$1" >"$DIR/wrk.out"
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
echo "page: ${BYTES} bytes; wrk -t2 -c$CONNS -d${SECS}s; $THREADS dunwell threads, $THREADS nginx workers"
printf '%-6s %12s %9s %12s %9s %7s\n' round nginx_rps p99_ms dunwell_rps p99_ms ratio
: >"$DIR/results"
for r in $(seq 1 "$ROUNDS"); do
	set -- $(measure "http://127.0.0.1:$NPORT/page.html")
	n_rps=$1 n_p99=$2
	set -- $(measure "$URL")
	d_rps=$1 d_p99=$2
	ratio=$(python3 -c "print('%.2f' % ($d_rps / $n_rps))")
	printf '%-6s %12s %9s %12s %9s %7s\n' "$r" "$n_rps" "$n_p99" "$d_rps" "$d_p99" "$ratio"
	echo "$n_rps $n_p99 $d_rps $d_p99 $ratio" >>"$DIR/results"
done
python3 - "$DIR/results" <<'EOF'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
med = [statistics.median(c) for c in zip(*rows)]
print("median %12.0f %9.2f %12.0f %9.2f %7.2f" % tuple(med))
EOF
