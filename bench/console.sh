#!/bin/bash
# bench/console.sh: how long the agents' queue takes on a tenant with a
# million cases, on SQLite and on PostgreSQL (issue #9; see bench/README.md,
# "Agents' queue").
#
#   bench/console.sh [CASES]     default 1000000
#
#   ROUNDS=N      alternating rounds of SQLite and PostgreSQL (default 3);
#                 each round is one bench/queue process: one untimed call,
#                 then CALLS timed calls (default 5), their median reported
#   LIMIT=N       items asked for (default 50, a page of the console)
#   BENCH_DIR=D   keep the databases and the cluster in D and reuse them on
#                 the next call with the same CASES (they are made again
#                 when a migration file changed)
#   BUILD=D       use D/dunwell and D/bench/queue as they are (default: make
#                 the release build and use build/release)
#
# The data are written by SQL directly (loading is not what is measured),
# after `dunwell migrate` has made the real schema with its indexes, from
# fixed formulas of the row number (no random numbers: every run, and both
# backends, hold the same rows). For CASES = 1,000,000:
#   500,000 customers, every 25th vulnerable (20,000); two cases each
#     (EUR and GBP), 700,000 open; one invoice per case, open while the
#     case is;
#   3,000,000 case events (3 per case), of which 50,000 hand-overs to an
#     agent (case.handed_to_agent, every 20th case);
#   206,000 requests (help, callback, dispute in turn), the last 6,000 open;
#   110,000 plans: 30,000 broken, all but every 1000th (30) on a closed
#     case; the others active, completed or cancelled on open cases;
#   20,000 bank statement entries in review, the last 2,000 open;
#   200,000 case notes, among them one on every case of every vulnerable
#     customer but every 1000th (20 customers).
# That is a deliberately bad case for the queue: the vulnerable and the
# broken-plan branches find fewer items than a page, so they must look at
# all of their candidates (20,000 vulnerable customers and their open
# cases, 30,000 broken plans) instead of stopping after a page.
#
# Then times bench/queue (store_queue, as the console calls it) on both, and
# a baseline in the same go: `SELECT count(*)` of the tenant's open cases,
# what any query that looked at every open case once would at least cost
# (5 runs in the sqlite3 shell and psql, with their own timers; median).
# Both backends must give the same answer: bench/queue prints a digest of
# the items, which is compared.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
ROUNDS=${ROUNDS:-3}
CALLS=${CALLS:-5}
LIMIT=${LIMIT:-50}
if [ -z "${BUILD:-}" ]; then
	make -s VARIANT=release all bench-tools >/dev/null
	BUILD=build/release
fi
W=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dunwell-console.XXXXXX")}
mkdir -p "$W"
cp "$BUILD/dunwell" "$W/dunwell"
cp "$BUILD/bench/queue" "$W/queue"
DW=$W/dunwell
. tests/pg_cluster.sh   # PG_BIN, pg_as_owner, pg_free_port

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Sizes, in the proportions above.
C=$(( N / 2 ))            # customers
R=$(( N * 206 / 1000 ))   # requests
RO=$(( N * 6 / 1000 ))    # of them open (the last ones)
P=$(( N * 11 / 100 ))     # plans
PB=$(( N * 3 / 100 ))     # of them broken (the first ones)
V=$(( N / 50 ))           # review items
VO=$(( N / 500 ))         # of them open (the last ones)
T=$(( N / 5 ))            # notes
TV=$(( C / 25 * 2 ))      # of them on the vulnerable customers' cases
B0=1735689600             # 2025-01-01T00:00:00Z

# gen_sql DIALECT TENANT: the statements that write the data. Each table's
# rows are a function of their number i; the two dialects differ only in
# how a number becomes a date, an instant or a flag.
gen_sql() {
	local d=$1 t=$2 tru fal
	if [ "$d" = sqlite ]; then
		nums() { echo "(SELECT i FROM nums WHERE i <= $1)"; }
		ts() { echo "strftime('%Y-%m-%dT%H:%M:%SZ', $1, 'unixepoch')"; }
		day() { echo "date($B0 + ($1) * 86400, 'unixepoch')"; }
		tru=1 fal=0
		cat <<SQL
PRAGMA synchronous = OFF;
CREATE TEMP TABLE nums (i INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $(( 3 * N )))
INSERT INTO nums SELECT i FROM s;
BEGIN;
SQL
	else
		nums() { echo "generate_series(1::bigint, $1) AS g(i)"; }
		ts() { echo "to_timestamp($1)"; }
		day() { echo "(date '2025-01-01' + ($1)::int)"; }
		tru=true fal=false
		echo "BEGIN;"
	fi
	cat <<SQL
INSERT INTO customers (id, tenant_id, external_id, name, locale, timezone,
	vulnerable, updated_at)
SELECT i, $t, 'C' || i, 'Customer ' || i, 'en', 'Europe/Amsterdam',
	CASE WHEN i % 25 = 0 THEN $tru ELSE $fal END, $(ts $B0)
FROM $(nums $C);
INSERT INTO cases (id, tenant_id, customer_id, currency, status,
	strategy_version, strategy, anchor_date, next_step, opened_on, closed_on)
SELECT i, $t, (i + 1) / 2, CASE i % 2 WHEN 1 THEN 'EUR' ELSE 'GBP' END,
	CASE WHEN i % 10 < 7 THEN 'open' ELSE 'resolved' END, 1, 'default',
	$(day "(i * 7919) % 600"), i % 5, $(day "(i * 7919) % 600"),
	CASE WHEN i % 10 < 7 THEN NULL ELSE $(day "(i * 7919) % 600 + 40") END
FROM $(nums "$N");
INSERT INTO invoices (id, tenant_id, customer_id, external_id, number,
	issue_date, due_date, amount_minor, open_minor, currency, updated_at)
SELECT i, $t, (i + 1) / 2, 'I' || i, 'N' || i, $(day "(i * 7919) % 600"),
	$(day "(i * 7919) % 600 + 14"), 1000 + (i * 31) % 100000,
	CASE WHEN i % 10 < 7 THEN 1000 + (i * 31) % 100000 ELSE 0 END,
	CASE i % 2 WHEN 1 THEN 'EUR' ELSE 'GBP' END, $(ts $B0)
FROM $(nums "$N");
INSERT INTO case_events (id, tenant_id, case_id, at, kind)
SELECT i, $t, (i + 2) / 3,
	$(ts "$B0 + (((i + 2) / 3 * 7919) % 600) * 86400 + (i % 3) * 604800 + (i * 13) % 86400"),
	CASE WHEN i % 3 = 1 THEN 'case.opened'
	     WHEN i % 3 = 0 AND (i / 3) % 20 = 0 THEN 'case.handed_to_agent'
	     ELSE 'case.step' END
FROM $(nums $(( 3 * N )));
INSERT INTO requests (tenant_id, id, case_id, customer_id, kind, callback_at,
	status, created_at, done_at)
SELECT $t, i, (i * 37) % $N + 1, ((i * 37) % $N + 2) / 2,
	CASE i % 3 WHEN 0 THEN 'help' WHEN 1 THEN 'callback' ELSE 'dispute' END,
	CASE WHEN i % 3 = 1 THEN $(ts "$B0 + 50000000 + i * 100 + 86400 + (i % 7) * 3600") END,
	CASE WHEN i > $(( R - RO )) THEN 'open' ELSE 'done' END,
	$(ts "$B0 + 50000000 + i * 100"),
	CASE WHEN i > $(( R - RO )) THEN NULL ELSE $(ts "$B0 + 50000000 + i * 100 + 3600") END
FROM $(nums $R);
INSERT INTO plans (tenant_id, id, case_id, customer_id, currency, total_minor,
	months, day_of_month, status, source, created_at, ended_at)
SELECT $t, i, c, (c + 1) / 2, CASE c % 2 WHEN 1 THEN 'EUR' ELSE 'GBP' END,
	60000, 6, 1 + i % 28,
	CASE WHEN i <= $PB THEN 'broken' WHEN i % 4 = 0 THEN 'active'
	     WHEN i % 4 = 1 THEN 'completed' ELSE 'cancelled' END,
	'portal', $(ts "$B0 + i * 300"),
	CASE WHEN i > $PB AND i % 4 = 0 THEN NULL ELSE $(ts "$B0 + i * 300 + 7776000") END
FROM (SELECT i, CASE WHEN i <= $PB AND i % 1000 = 3 THEN 10 * i + 5
		   WHEN i <= $PB THEN 10 * i + 7 ELSE 10 * (i - $PB) + 3 END AS c
      FROM $(nums $P)) AS pc;
INSERT INTO statement_entries (tenant_id, id, bank_ref, status, statement_id,
	amount_minor, currency, credit, debtor_name, outcome, created_at)
SELECT $t, i, 'B' || i, 'BOOK', 'S' || (i / 100), 100 + i, 'EUR', $tru,
	'Payer ' || i, 'review', $(ts "$B0 + i * 1000")
FROM $(nums $V);
INSERT INTO review_items (tenant_id, id, entry_id, reason, status, created_at)
SELECT $t, i, i, 'ambiguous', CASE WHEN i > $(( V - VO )) THEN 'open' ELSE 'done' END,
	$(ts "$B0 + i * 1000")
FROM $(nums $V);
INSERT INTO operators (tenant_id, id, email, name, role, password_hash,
	created_at)
VALUES ($t, 1, 'agent@example.com', 'Agent', 'agent', 'x', $(ts $B0));
INSERT INTO case_notes (tenant_id, id, case_id, operator_id, body, created_at)
SELECT $t, i, CASE WHEN i <= $TV AND (i + 1) / 2 % 1000 <> 7
		   THEN 2 * (25 * ((i + 1) / 2)) - i % 2
		   ELSE (i * 7919) % $N + 1 END,
	1, 'Called, will pay on Friday.', $(ts "$B0 + (i * 104729) % 60000000")
FROM $(nums $T);
COMMIT;
SQL
}

# The data are made again when the schema or these statements changed.
sums=$( (cat migrations/sqlite/*.sql migrations/pg/*.sql; declare -f gen_sql) | md5sum | cut -c1-12)

# ---- SQLite ----
SQ=$W/console_$N.db
if [ "$(cat "$SQ.sum" 2>/dev/null)" != "$sums" ]; then
	echo "sqlite: writing $N cases into $SQ"
	rm -f "$SQ" "$SQ"-*
	$DW migrate --db "$SQ" >/dev/null
	$DW tenant add bench --db "$SQ" --timezone Europe/Amsterdam >/dev/null
	tid=$(sqlite3 "$SQ" "SELECT id FROM tenants WHERE slug = 'bench'")
	t0=$(date +%s)
	gen_sql sqlite "$tid" | sqlite3 -bail "$SQ"
	sqlite3 "$SQ" "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	echo "sqlite: loaded in $(( $(date +%s) - t0 )) s"
	echo "$sums" > "$SQ.sum"
fi

# ---- PostgreSQL: a throwaway cluster (the steps of tests/pg_cluster.sh) ----
# shared_buffers 1GB: the tenant's tables and indexes (about 1 GB) fit;
# otherwise PostgreSQL's defaults (fsync and the rest on).
PG_DIR=$W/pg
chmod 755 "$W"
if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
	mkdir -p "$PG_DIR"
	chmod 755 "$PG_DIR"
	[ "$(id -u)" -ne 0 ] || chown postgres "$PG_DIR"
	pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres \
		--no-sync >"$PG_DIR/initdb.log" 2>&1 ||
		{ echo "bench: initdb failed:"; cat "$PG_DIR/initdb.log"; exit 1; }
	cat >>"$PG_DIR/data/postgresql.conf" <<CONF
# bench/console.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
shared_buffers = 1GB
max_wal_size = 8GB
CONF
fi
PG_PORT=$(pg_free_port) || { echo "bench: no free port"; exit 1; }
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	-o "-p $PG_PORT" start >/dev/null ||
	{ echo "bench: server did not start:"; tail "$PG_DIR/server.log"; exit 1; }
stop_cluster() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
}
trap stop_cluster EXIT
URL=postgres://postgres@127.0.0.1:$PG_PORT
PGDB=console_$N
sql() { PGOPTIONS='-c client_min_messages=warning' psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$URL/${2:-$PGDB}" -c "$1"; }
if [ "$(cat "$W/$PGDB.sum" 2>/dev/null)" != "$sums" ]; then
	echo "postgres: writing $N cases into database $PGDB"
	sql "DROP DATABASE IF EXISTS $PGDB" postgres
	sql "CREATE DATABASE $PGDB" postgres
	$DW migrate --db "$URL/$PGDB" >/dev/null
	$DW tenant add bench --db "$URL/$PGDB" --timezone Europe/Amsterdam >/dev/null
	tid=$(sql "SELECT id FROM tenants WHERE slug = 'bench'")
	t0=$(date +%s)
	gen_sql pg "$tid" | psql -X -q -v ON_ERROR_STOP=1 -d "$URL/$PGDB" >/dev/null
	sql "VACUUM (ANALYZE)"
	sql "CHECKPOINT"
	echo "postgres: loaded in $(( $(date +%s) - t0 )) s"
	echo "$sums" > "$W/$PGDB.sum"
fi
# A database kept from an earlier call gets this build's migrations.
$DW migrate --db "$SQ" >/dev/null
$DW migrate --db "$URL/$PGDB" >/dev/null
echo "data: $(sqlite3 "$SQ" "SELECT count(*) FROM cases") cases" \
	"($(sqlite3 "$SQ" "SELECT count(*) FROM cases WHERE status = 'open'") open)," \
	"$(sqlite3 "$SQ" "SELECT count(*) FROM case_events") events;" \
	"postgres $(sql "SELECT pg_size_pretty(pg_database_size('$PGDB'))"), sqlite $(( $(stat -c %s "$SQ") / 1048576 )) MiB"

# ---- the baseline: count the tenant's open cases, 5 times each ----
BASE="SELECT count(*) FROM cases WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'bench') AND status = 'open';"
sq_base=$(for i in 1 2 3 4 5; do echo ".timer on"; echo "$BASE"; done |
	sqlite3 "$SQ" | awk '/Run Time/ { printf "%.1f\n", $4 * 1000 }' | median)
pg_base=$( (echo '\timing on'; for i in 1 2 3 4 5; do echo "$BASE"; done) |
	psql -X -q -d "$URL/$PGDB" | awk '/^Time:/ { print $2 }' | median)

# ---- the queue, alternating ----
: > "$W/sq.txt"
: > "$W/pg.txt"
for i in $(seq "$ROUNDS"); do
	"$W/queue" --db "$SQ" --tenant bench --limit "$LIMIT" --rounds "$CALLS" | tee -a "$W/sq.txt"
	"$W/queue" --db "$URL/$PGDB" --tenant bench --limit "$LIMIT" --rounds "$CALLS" | tee -a "$W/pg.txt"
done
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
sq_med=$(field median_ms < "$W/sq.txt" | median)
pg_med=$(field median_ms < "$W/pg.txt" | median)
echo
echo "queue, limit $LIMIT, median of $CALLS calls, median of $ROUNDS rounds:"
echo "  sqlite:   $sq_med ms ($(field median_ms < "$W/sq.txt" | tr '\n' ' ')), p95 $(field p95_ms < "$W/sq.txt" | sort -n | tail -n 1) ms"
echo "  postgres: $pg_med ms ($(field median_ms < "$W/pg.txt" | tr '\n' ' ')), p95 $(field p95_ms < "$W/pg.txt" | sort -n | tail -n 1) ms"
echo "baseline, count(*) of the open cases, median of 5:"
echo "  sqlite:   $sq_base ms"
echo "  postgres: $pg_base ms"
if [ "$(field digest < "$W/sq.txt" | sort -u | wc -l)" = 1 ] &&
   [ "$(field digest < "$W/sq.txt" | sort -u)" = "$(field digest < "$W/pg.txt" | sort -u)" ]; then
	echo "answers: the same on both backends ($(field kinds < "$W/sq.txt" | head -n 1))"
else
	echo "answers: DIFFER between the backends"
	exit 1
fi
