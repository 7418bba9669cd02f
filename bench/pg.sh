#!/bin/bash
# bench/pg.sh: `dunwell run` on PostgreSQL, two workers at once, against a
# naive SQL baseline in the same go (issue #8; see bench/README.md).
#
#   bench/pg.sh [INVOICES]     default 10000000; customers = INVOICES / 3
#
#   ROUNDS=N      rounds of baseline + workers (default 3)
#   WORKERS=N     concurrent `dunwell run` processes (default 2)
#   BENCH_DIR=D   keep the data, the cluster and its template database in D
#                 and reuse them on the next call with the same INVOICES
#   PROFILE=1     load pg_stat_statements and print the run's top statements
#   BUILD=D       use D/dunwell and D/bench/gen as they are (default: make
#                 the release build and use build/release)
#   LATER=1       after the last round, run the workers again two weeks later
#                 (2026-12-11) on its result, timed and checked the same way
#
# Starts its own throwaway PostgreSQL cluster (the steps of
# tests/pg_cluster.sh, with the settings below), generates deterministic
# data (bench/gen, seed 2026), imports it with `dunwell import` into SQLite
# and copies it into PostgreSQL with `dunwell migrate --to` (loading is not
# what is measured), vacuums it and keeps it as a template database. Each
# round then makes two fresh copies (CREATE DATABASE ... TEMPLATE) and times
#   baseline  one INSERT ... SELECT that joins the open invoices to a steps
#             table and picks each invoice's due step (the statement of
#             bench/engine.sh in PostgreSQL's dialect), run by psql;
#   workers   WORKERS `dunwell run` processes started together on the other
#             copy with the same --as-of: wall time until the last is done.
# Prints the medians, the ratio, each worker's customers, and checks the
# result against a `dunwell run` of the SQLite database: the same cases,
# actions and events, counted by kind, status, step and channel.
set -eu
cd "$(dirname "$0")/.."
N=${1:-10000000}
C=$(( N / 3 ))
AS_OF=2026-11-27
ROUNDS=${ROUNDS:-3}
WORKERS=${WORKERS:-2}
if [ -z "${BUILD:-}" ]; then
	make -s VARIANT=release all bench-tools >/dev/null
	BUILD=build/release
fi
W=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dunwell-pgbench.XXXXXX")}
# Copies of the binaries: a rebuild during a long benchmark changes nothing.
cp "$BUILD/dunwell" "$W/dunwell"
cp "$BUILD/bench/gen" "$W/gen"
DW=$W/dunwell
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)"; exit 1; }
. tests/pg_cluster.sh   # PG_BIN, pg_as_owner, pg_free_port

secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# ---- the cluster ----
# Settings, the same for the baseline and for dunwell:
#   shared_buffers 4GB    the 10M data set (about 5 GB with indexes) mostly
#                         fits, the rest is in the OS page cache;
#   max_wal_size 32GB,    no checkpoint inside a timed step: each copy of
#   checkpoint_timeout 1h the template starts with one (FILE_COPY), so every
#                         round starts from the same clean state;
#   fsync, synchronous_commit, full_page_writes, wal_level (replica),
#   autovacuum, jit: PostgreSQL's defaults (durable commits; dunwell's own
#   sessions turn JIT off, psql's keep it).
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
# bench/pg.sh
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_DIR'
shared_buffers = 4GB
max_wal_size = 32GB
checkpoint_timeout = 1h
CONF
fi
PG_PORT=$(pg_free_port) || { echo "bench: no free port"; exit 1; }
extra=
[ -z "${PROFILE:-}" ] || extra="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	-o "-p $PG_PORT $extra" start >/dev/null ||
	{ echo "bench: server did not start:"; tail "$PG_DIR/server.log"; exit 1; }
stop_cluster() {
	pg_as_owner "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
	[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
}
trap stop_cluster EXIT
URL=postgres://postgres@127.0.0.1:$PG_PORT
sql() { psql -X -A -t -q -v ON_ERROR_STOP=1 -d "$URL/${2:-postgres}" -c "$1"; }

# ---- the data, once ----
TPL=bench_${N}
if [ "$(sql "SELECT COUNT(*) FROM pg_database WHERE datname = '$TPL'")" = 0 ]; then
	echo "data: $N invoices, $C customers, seed 2026, in $W"
	"$W/gen" --customers "$C" --invoices "$N" --seed 2026 --as-of $AS_OF --out "$W"
	rm -f "$W"/base.db*
	export DUNWELL_DB="$W/base.db"
	$DW tenant add bench --timezone Europe/Amsterdam >/dev/null
	$DW strategy load examples/strategies/default.yaml --tenant bench >/dev/null
	t0=$(secs)
	$DW import customers "$W/customers.csv" --tenant bench >/dev/null
	$DW import invoices "$W/invoices.csv" --tenant bench >/dev/null
	sqlite3 "$W/base.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
	t1=$(secs)
	sql "DROP DATABASE IF EXISTS ${TPL}_load" 2>/dev/null
	sql "CREATE DATABASE ${TPL}_load"
	$DW migrate --db "$W/base.db" --to "$URL/${TPL}_load" >/dev/null
	t2=$(secs)
	sql "VACUUM (FREEZE, ANALYZE)" "${TPL}_load"
	sql "ALTER DATABASE ${TPL}_load RENAME TO $TPL"
	sql "CHECKPOINT"
	t3=$(secs)
	echo "load: import into SQLite $(elapsed "$t0" "$t1") s, migrate --to $(elapsed "$t1" "$t2") s, vacuum $(elapsed "$t2" "$t3") s"
	# The reference: one `dunwell run` of the SQLite database.
	cp "$W/base.db" "$W/ref.db"
	$DW run --reports no --db "$W/ref.db" --tenant bench --as-of ${AS_OF}T09:00:00Z > "$W/ref.txt"
	rm -f "$W/customers.csv" "$W/invoices.csv"
fi
# A template kept from an earlier call gets this build's migrations.
$DW migrate --db "$URL/$TPL" >/dev/null
echo "template database $TPL: $(sql "SELECT pg_size_pretty(pg_database_size('$TPL'))")," \
	"$(sql "SELECT COUNT(*) FROM invoices" "$TPL") invoices," \
	"$(sql "SELECT COUNT(*) FROM customers" "$TPL") customers"

# What a run produced, counted so that both backends answer alike.
SUMMARY="SELECT 'cases', status, strategy, next_step, COUNT(*), SUM(fees_minor) FROM cases GROUP BY 2, 3, 4
UNION ALL SELECT 'actions', kind, step || '/' || channel, 0, COUNT(*), SUM(amount_minor) FROM actions GROUP BY 2, 3
UNION ALL SELECT 'events', kind, '', 0, COUNT(*), 0 FROM case_events GROUP BY 2
ORDER BY 1, 2, 3, 4"
[ -f "$W/ref.summary" ] || sqlite3 -separator '|' "$W/ref.db" "$SUMMARY" | LC_ALL=C sort > "$W/ref.summary"

# Baseline: the statement a hand-written dunning job would start from.
cat > "$W/baseline.sql" <<SQL
CREATE TABLE steps (idx integer PRIMARY KEY, offset_days integer, channel text);
INSERT INTO steps VALUES (0, -3, 'email'), (1, 3, 'email'), (2, 10, 'email'),
	(3, 21, 'letter'), (4, 28, 'email'), (5, 42, '');
CREATE TABLE naive_actions (invoice_id bigint, customer_id bigint,
	step integer, channel text, decided_on date, amount_minor bigint,
	UNIQUE (invoice_id, step));
INSERT INTO naive_actions
SELECT i.id, i.customer_id, s.idx, s.channel, DATE '$AS_OF', i.open_minor
  FROM invoices i JOIN steps s
    ON s.idx = (SELECT MAX(idx) FROM steps s2
                 WHERE DATE '$AS_OF' - i.due_date >= s2.offset_days)
 WHERE i.tenant_id = 1 AND i.open_minor > 0 AND NOT i.written_off;
SQL

copy_db() {
	sql "CREATE DATABASE $1 TEMPLATE $TPL STRATEGY FILE_COPY"
}

# CPU seconds the cluster has used: the postmaster's own and its children's,
# those that exited (backends) and those still running (Linux /proc). A
# backend whose client just left counts once the postmaster has reaped it:
# hence the second's wait (outside the timed steps).
server_cpu() {
	local pm c
	sleep 1
	pm=$(head -n 1 "$PG_DIR/data/postmaster.pid")
	{
		awk '{ print $14 + $15 + $16 + $17 }' "/proc/$pm/stat"
		for c in $(cat /proc/"$pm"/task/*/children); do
			awk '{ print $14 + $15 }' "/proc/$c/stat" 2>/dev/null || true
		done
	} | awk -v hz="$(getconf CLK_TCK)" '{ s += $1 } END { printf "%.1f", s / hz }'
}

# workers INSTANT TIMES LABEL: WORKERS `dunwell run` at once on bench_run;
# the wall time until the last is done goes to TIMES, each worker's
# customers, time, CPU and memory to split.txt.
workers() {
	local t0 t1 c0 c1 split= w we wu ws wm
	local pids=()
	c0=$(server_cpu)
	t0=$(secs)
	for w in $(seq "$WORKERS"); do
		/usr/bin/time -f "%e %U %S %M" -o "$W/w$w.time" \
			$DW run --reports no --db "$URL/bench_run" --tenant bench --as-of "$1" > "$W/w$w.txt" &
		pids+=($!)
	done
	for w in "${pids[@]}"; do wait "$w"; done
	t1=$(secs)
	c1=$(server_cpu)
	elapsed "$t0" "$t1" >> "$2"
	echo >> "$2"
	for w in $(seq "$WORKERS"); do
		read -r we wu ws wm < "$W/w$w.time"
		split="$split worker $w: $(awk '{ print $3; exit }' "$W/w$w.txt") customers, ${we} s (client cpu $(awk -v a="$wu" -v b="$ws" 'BEGIN { printf "%.1f", a + b }') s, $((wm / 1024)) MiB);"
	done
	echo "$3:$split server cpu $(elapsed "$c0" "$c1") s" >> "$W/split.txt"
}

# check REF LABEL: bench_run holds what the SQLite run (summary REF) holds.
check() {
	psql -X -A -t -q -F '|' -d "$URL/bench_run" -c "$SUMMARY" | LC_ALL=C sort > "$W/run.summary"
	if cmp -s "$1" "$W/run.summary"; then
		echo "$2: result same as the SQLite run" >> "$W/split.txt"
	else
		echo "$2: RESULT DIFFERS from the SQLite run:" >> "$W/split.txt"
		diff "$1" "$W/run.summary" | head -10 >> "$W/split.txt"
	fi
}

: > "$W/base.times"
: > "$W/run.times"
: > "$W/split.txt"
for i in $(seq "$ROUNDS"); do
	copy_db bench_base
	c0=$(server_cpu)
	/usr/bin/time -f "%e" -a -o "$W/base.times" \
		psql -X -q -v ON_ERROR_STOP=1 -d "$URL/bench_base" -f "$W/baseline.sql" >/dev/null
	c1=$(server_cpu)
	echo "round $i: baseline $(tail -n 1 "$W/base.times") s, server cpu $(elapsed "$c0" "$c1") s" >> "$W/split.txt"
	rows=$(sql "SELECT COUNT(*) FROM naive_actions" bench_base)
	sql "DROP DATABASE bench_base"

	copy_db bench_run
	[ -z "${PROFILE:-}" ] || sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT pg_stat_statements_reset()" bench_run >/dev/null
	workers "${AS_OF}T09:00:00Z" "$W/run.times" "round $i"
	check "$W/ref.summary" "round $i"
	if [ -n "${PROFILE:-}" ]; then
		psql -X -q -d "$URL/bench_run" -c "SELECT round(total_exec_time::numeric / 1000, 2) AS s, calls, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >> "$W/split.txt"
	fi
	[ -n "${LATER:-}" ] && [ "$i" = "$ROUNDS" ] || sql "DROP DATABASE bench_run"
done

if [ -n "${LATER:-}" ]; then
	if [ ! -f "$W/later.summary" ]; then
		cp "$W/ref.db" "$W/later.db"
		$DW run --reports no --db "$W/later.db" --tenant bench --as-of 2026-12-11T09:00:00Z > "$W/later.txt"
		sqlite3 -separator '|' "$W/later.db" "$SUMMARY" | LC_ALL=C sort > "$W/later.summary"
		rm -f "$W"/later.db*
	fi
	: > "$W/later.times"
	workers 2026-12-11T09:00:00Z "$W/later.times" "two weeks later"
	check "$W/later.summary" "two weeks later"
	sql "DROP DATABASE bench_run"
fi

base=$(median < "$W/base.times")
run=$(grep . "$W/run.times" | median)
ratio=$(awk -v a="$run" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
echo "reference (SQLite, one process):"
cat "$W/ref.txt"
echo
cat "$W/split.txt"
echo
echo "baseline INSERT ... SELECT:  $base s median of $ROUNDS ($(tr '\n' ' ' < "$W/base.times")) ($rows rows)"
echo "$WORKERS dunwell run workers:   $run s median of $ROUNDS ($(grep . "$W/run.times" | tr '\n' ' '))"
echo "ratio workers / baseline:    $ratio"
[ -z "${LATER:-}" ] || echo "two weeks later, $WORKERS workers: $(grep . "$W/later.times") s (the SQLite run: $(awk 'NR == 1' "$W/later.txt" | cut -d: -f2))"
