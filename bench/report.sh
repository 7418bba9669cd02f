#!/bin/bash
# bench/report.sh: how long the console's reports page takes to answer,
# and how long a refresh of its figures takes, on a tenant with a million
# cases, on SQLite and on PostgreSQL (issue #9; see bench/README.md,
# "Reports").
#
#   bench/report.sh [CASES]     default 1000000
#
#   CALLS=N       timed page views per backend (default 20; one untimed
#                 view first)
#   REFRESHES=N   timed refreshes per backend (default 3)
#   BENCH_DIR=D   keep the databases and the cluster in D (shared with
#                 bench/console.sh) and reuse them on the next call
#   BUILD=D       use D/dunwell as it is (default: the release build)
#
# The data: bench/console.sh's tenant (it writes it, or reuses it from
# BENCH_DIR: 500,000 customers, 1,000,000 cases with an invoice each, 3
# million case events, requests, plans, notes), copied, plus what the
# reports read and the queue does not, by SQL from fixed formulas of the
# case's row (the same rows in both backends):
#   segments on three customers in four (consumer, consumer vip, business);
#   contact actions: a reminder for every case (email, sms or letter in
#     turn, tone friendly), a notice for two cases in three (formal), a
#     final for one in five (final): about 1,870,000 actions;
#   a payment of the whole invoice for every resolved case (300,000), 20
#     days after it opened, and 10.00 on every 7th open case (100,000);
#   portal visits: every 10th case 5 days after it opened, every 20th
#     again the day after (150,000 rows).
# Then, per backend: `dunwell serve --as-of 2026-09-01` (the data run from
# 2025-01-01 to 2026-09), an operator signs in, REFRESHES timed "Refresh
# now" POSTs (each on a server started with a clock two minutes later, as
# refreshes within a minute are refused), then CALLS timed page views
# (curl's time_total, loopback). Prints the medians and p95.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
CALLS=${CALLS:-20}
REFRESHES=${REFRESHES:-3}
if [ -z "${BUILD:-}" ]; then
	make -s VARIANT=release all bench-tools >/dev/null
	BUILD=build/release
fi
KEEP=${BENCH_DIR:-}
W=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dunwell-report.XXXXXX")}
mkdir -p "$W"
command -v curl >/dev/null || { echo "bench: curl is missing"; exit 1; }

# ---- the console's data (written once, kept in $W) ----
echo "== bench/console.sh $N (the data; its queue figures as a by-product)"
BENCH_DIR=$W BUILD=$BUILD ROUNDS=1 CALLS=1 bench/console.sh "$N" | sed 's/^/   /'
DW=$W/dunwell
cp "$BUILD/dunwell" "$DW"
. tests/pg_cluster.sh   # PG_BIN, pg_as_owner, pg_free_port

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
p95() { sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.95 + 0.999); if (i > NR) i = NR; print v[i] }'; }

# extra_sql DIALECT TENANT: what the reports read beyond the queue's data.
extra_sql() {
	local d=$1 t=$2 plus at
	if [ "$d" = sqlite ]; then
		plus() { echo "date($1, '+$2 days')"; }
		at() { echo "(date($1, '+$2 days') || 'T09:00:00Z')"; }
		echo "PRAGMA synchronous = OFF; BEGIN;"
	else
		plus() { echo "($1 + $2)"; }
		at() { echo "(($1 + $2)::timestamp AT TIME ZONE 'UTC')"; }
		echo "BEGIN;"
		echo "SELECT setval(pg_get_serial_sequence('operators', 'id'), 1000);"
	fi
	cat <<SQL
UPDATE customers SET segments = CASE id % 4 WHEN 0 THEN 'consumer'
	WHEN 1 THEN 'consumer vip' WHEN 2 THEN 'business' ELSE '' END
	WHERE tenant_id = $t;
INSERT INTO actions (tenant_id, case_id, customer_id, step, kind, channel,
	due_on, decided_on, decided_at, currency, template, tone, status)
SELECT tenant_id, id, customer_id, 'reminder', 'contact',
	CASE id % 3 WHEN 0 THEN 'email' WHEN 1 THEN 'sms' ELSE 'letter' END,
	$(plus opened_on 3), $(plus opened_on 3), $(at opened_on 3), currency,
	'reminder', 'friendly', 'outbox'
FROM cases WHERE tenant_id = $t;
INSERT INTO actions (tenant_id, case_id, customer_id, step, kind, channel,
	due_on, decided_on, decided_at, currency, template, tone, status)
SELECT tenant_id, id, customer_id, 'notice', 'contact',
	CASE id % 2 WHEN 0 THEN 'email' ELSE 'letter' END,
	$(plus opened_on 14), $(plus opened_on 14), $(at opened_on 14), currency,
	'notice', 'formal', 'outbox'
FROM cases WHERE tenant_id = $t AND id % 3 <> 0;
INSERT INTO actions (tenant_id, case_id, customer_id, step, kind, channel,
	due_on, decided_on, decided_at, currency, template, tone, status)
SELECT tenant_id, id, customer_id, 'final', 'contact', 'letter',
	$(plus opened_on 28), $(plus opened_on 28), $(at opened_on 28), currency,
	'final', 'final', 'outbox'
FROM cases WHERE tenant_id = $t AND id % 5 = 0;
INSERT INTO payments (tenant_id, id, external_id, customer_id, invoice_id,
	amount_minor, currency, paid_on, method, created_at)
SELECT k.tenant_id, k.id, 'P' || k.id, k.customer_id, i.id,
	CASE WHEN k.status = 'resolved' THEN i.amount_minor ELSE 1000 END,
	k.currency,
	CASE WHEN k.status = 'resolved' THEN $(plus k.opened_on 20)
	     ELSE $(plus k.opened_on 10) END,
	'bank_transfer', $(at k.opened_on 20)
FROM cases k JOIN invoices i ON i.tenant_id = k.tenant_id AND i.id = k.id
WHERE k.tenant_id = $t AND (k.status = 'resolved' OR k.id % 7 = 0);
INSERT INTO portal_visits (tenant_id, case_id, day)
SELECT tenant_id, id, $(plus opened_on 5) FROM cases
WHERE tenant_id = $t AND id % 10 = 0;
INSERT INTO portal_visits (tenant_id, case_id, day)
SELECT tenant_id, id, $(plus opened_on 6) FROM cases
WHERE tenant_id = $t AND id % 20 = 0;
COMMIT;
SQL
}
sums=$( (cat migrations/sqlite/*.sql migrations/pg/*.sql bench/console.sh; declare -f extra_sql) | md5sum | cut -c1-12)

# ---- SQLite: a copy of the console's database, with the extras ----
SRC=$W/console_$N.db
SQ=$W/report_$N.db
if [ "$(cat "$SQ.sum" 2>/dev/null)" != "$sums" ]; then
	echo "sqlite: adding the reports' data into $SQ"
	rm -f "$SQ" "$SQ"-*
	sqlite3 "$SRC" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	cp "$SRC" "$SQ"
	tid=$(sqlite3 "$SQ" "SELECT id FROM tenants WHERE slug = 'bench'")
	t0=$(date +%s)
	extra_sql sqlite "$tid" | sqlite3 -bail "$SQ"
	sqlite3 "$SQ" "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	echo "sqlite: extras written in $(( $(date +%s) - t0 )) s"
	echo "$sums" > "$SQ.sum"
fi

# ---- PostgreSQL: the console's cluster, a copy of its database ----
PG_DIR=$W/pg
PG_PORT=$(pg_free_port) || { echo "bench: no free port"; exit 1; }
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	-o "-p $PG_PORT" start >/dev/null ||
	{ echo "bench: server did not start:"; tail "$PG_DIR/server.log"; exit 1; }
SERVER=
stop_all() {
	set +e
	[ -z "$SERVER" ] || { kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; }
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
	[ -n "$KEEP" ] || rm -rf "$W"
}
trap stop_all EXIT
URL=postgres://postgres@127.0.0.1:$PG_PORT
PGDB=report_$N
sql() { PGOPTIONS='-c client_min_messages=warning' psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$URL/${2:-$PGDB}" -c "$1"; }
if [ "$(cat "$W/$PGDB.sum" 2>/dev/null)" != "$sums" ]; then
	echo "postgres: adding the reports' data into database $PGDB"
	sql "DROP DATABASE IF EXISTS $PGDB" postgres
	sql "CREATE DATABASE $PGDB TEMPLATE console_$N" postgres
	tid=$(sql "SELECT id FROM tenants WHERE slug = 'bench'")
	t0=$(date +%s)
	extra_sql pg "$tid" | psql -X -q -v ON_ERROR_STOP=1 -d "$URL/$PGDB" >/dev/null
	sql "VACUUM (ANALYZE)"
	sql "CHECKPOINT"
	echo "postgres: extras written in $(( $(date +%s) - t0 )) s"
	echo "$sums" > "$W/$PGDB.sum"
fi
$DW migrate --db "$SQ" >/dev/null
$DW migrate --db "$URL/$PGDB" >/dev/null

PW='bench reports password'
for target in "$SQ" "$URL/$PGDB"; do
	printf '%s\n' "$PW" | $DW operator add boss@bench.example --name Boss \
		--role manager --tenant bench --db "$target" >/dev/null 2>&1 || true
done

# serve_at TARGET INSTANT: a server on TARGET with its clock at INSTANT;
# BASE is its address.
serve_at() {
	local port= log=$W/serve.$$.log
	: >"$log"
	"$DW" serve --db "$1" --listen 127.0.0.1:0 --threads 2 \
		--as-of "$2" 2>"$log" &
	SERVER=$!
	for _ in $(seq 1 100); do
		port=$(head -n 1 "$log" | sed -n 's/.*"listen":"[^"]*:\([0-9]*\)".*/\1/p')
		[ -n "$port" ] && break
		sleep 0.1
	done
	BASE="http://127.0.0.1:$port"
	for _ in $(seq 1 100); do
		[ -n "$port" ] &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && return 0
		sleep 0.1
	done
	echo "bench: the server did not start"; tail -n 3 "$log"; exit 1
}
serve_end() { kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true; SERVER=; }

# bench_backend NAME TARGET: the refreshes and the page views.
bench_backend() {
	local name=$1 target=$2 jar=$W/jar tok C code i
	: >"$W/$name.refresh"
	for i in $(seq 1 "$REFRESHES"); do
		serve_at "$target" "2026-09-01T$(printf '%02d' $((8 + i))):00:00Z"
		C=$BASE/console/bench
		curl -s -o /dev/null -c "$jar" --data-urlencode "email=boss@bench.example" \
			--data-urlencode "password=$PW" "$C/login"
		tok=$(curl -s -b "$jar" "$C/reports" | grep -oE 'name="csrf" value="[0-9a-f]+"' | head -1 | sed 's/.*value="//; s/"$//')
		code=$(curl -s -o /dev/null -b "$jar" -w '%{http_code} %{time_total}' --data "csrf=$tok" "$C/reports")
		[ "${code%% *}" = 303 ] || { echo "bench: $name refresh answered ${code%% *}"; exit 1; }
		awk -v s="${code#* }" 'BEGIN { printf "%.0f\n", s * 1000 }' >>"$W/$name.refresh"
		[ "$i" = "$REFRESHES" ] || serve_end
	done
	curl -s -o "$W/$name.html" -b "$jar" "$C/reports"
	: >"$W/$name.page"
	for i in $(seq 1 "$CALLS"); do
		curl -s -o /dev/null -b "$jar" -w '%{time_total}\n' "$C/reports" |
			awk '{ printf "%.1f\n", $1 * 1000 }' >>"$W/$name.page"
	done
	curl -s -o /dev/null -b "$jar" -w '%{time_total}\n' "$C/reports/cohort.csv" |
		awk '{ printf "%.1f\n", $1 * 1000 }' >"$W/$name.csv"
	serve_end
}

echo "data: $(sqlite3 "$SQ" "SELECT count(*) FROM cases") cases," \
	"$(sqlite3 "$SQ" "SELECT count(*) FROM actions") actions," \
	"$(sqlite3 "$SQ" "SELECT count(*) FROM payments") payments," \
	"$(sqlite3 "$SQ" "SELECT count(*) FROM portal_visits") portal visits"
bench_backend sqlite "$SQ"
bench_backend postgres "$URL/$PGDB"
rows_sq=$(sqlite3 "$SQ" "SELECT count(*) FROM report_rows")
rows_pg=$(sql "SELECT count(*) FROM report_rows")
echo
echo "refresh (POST \"Refresh now\", $REFRESHES times), median:"
echo "  sqlite:   $(median < "$W/sqlite.refresh") ms ($(tr '\n' ' ' < "$W/sqlite.refresh"))"
echo "  postgres: $(median < "$W/postgres.refresh") ms ($(tr '\n' ' ' < "$W/postgres.refresh"))"
echo "report rows: sqlite $rows_sq, postgres $rows_pg; page $(wc -c < "$W/sqlite.html") bytes"
echo "reports page, $CALLS views:"
echo "  sqlite:   median $(median < "$W/sqlite.page") ms, p95 $(p95 < "$W/sqlite.page") ms"
echo "  postgres: median $(median < "$W/postgres.page") ms, p95 $(p95 < "$W/postgres.page") ms"
echo "cohort CSV: sqlite $(cat "$W/sqlite.csv") ms, postgres $(cat "$W/postgres.csv") ms"
# Both backends must show the same figures: the pages without the times.
strip() { sed -e 's/name="csrf" value="[0-9a-f]*"/csrf/' -e 's/made at <time[^<]*<\/time>//' "$1"; }
if [ "$(strip "$W/sqlite.html" | md5sum)" = "$(strip "$W/postgres.html" | md5sum)" ]; then
	echo "answers: the same page on both backends"
else
	echo "answers: the pages DIFFER between the backends"
	diff <(strip "$W/sqlite.html") <(strip "$W/postgres.html") | head -20
	exit 1
fi
