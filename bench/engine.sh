#!/bin/bash
# bench/engine.sh: `dunwell run` on N open invoices against a naive SQL
# baseline in the same go (see bench/README.md).
#
#   bench/engine.sh [INVOICES]     default 1000000; customers = INVOICES / 3
#
# Generates deterministic data (bench/gen, seed 2026), imports it with
# `dunwell import`, then on two copies of the same database times:
#   baseline  one INSERT ... SELECT that joins the open invoices to a steps
#             table and picks each invoice's due step (no cases, rules,
#             contact policy, fees or events);
#   engine    `dunwell run` for the same day: cases, strategy rules,
#             contact policy, fees, actions and the case event log.
#             (`--reports no`: the console's report refresh that the daily run
#             does afterwards is timed by bench/report.sh, not here.)
# Prints both times, the ratio and the engine's peak memory.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
C=$(( N / 3 ))
AS_OF=2026-11-27
W=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dunwell-bench.XXXXXX")}
DW=build/release/dunwell
make -s VARIANT=release all bench-tools >/dev/null
[ -x /usr/bin/time ] || { echo "bench: needs /usr/bin/time (apt-get install time)"; exit 1; }

secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

echo "data: $N invoices, $C customers, seed 2026, in $W"
build/release/bench/gen --customers "$C" --invoices "$N" --seed 2026 --as-of $AS_OF --out "$W"
export DUNWELL_DB="$W/base.db"
rm -f "$W"/base.db*
$DW tenant add bench --timezone Europe/Amsterdam >/dev/null
$DW strategy load examples/strategies/default.yaml --tenant bench >/dev/null
t0=$(secs)
$DW import customers "$W/customers.csv" --tenant bench >/dev/null
t1=$(secs)
$DW import invoices "$W/invoices.csv" --tenant bench >/dev/null
t2=$(secs)
sqlite3 "$W/base.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
echo "import: customers $(elapsed "$t0" "$t1") s, invoices $(elapsed "$t1" "$t2") s"

# Baseline: the statement a hand-written dunning job would start from.
cat > "$W/baseline.sql" <<SQL
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE steps (idx INTEGER PRIMARY KEY, offset_days INTEGER, channel TEXT);
INSERT INTO steps VALUES (0, -3, 'email'), (1, 3, 'email'), (2, 10, 'email'),
	(3, 21, 'letter'), (4, 28, 'email'), (5, 42, '');
CREATE TABLE naive_actions (invoice_id INTEGER, customer_id INTEGER,
	step INTEGER, channel TEXT, decided_on TEXT, amount_minor INTEGER,
	UNIQUE (invoice_id, step));
INSERT INTO naive_actions
SELECT i.id, i.customer_id, s.idx, s.channel, '$AS_OF', i.open_minor
  FROM invoices i JOIN steps s
    ON s.idx = (SELECT MAX(idx) FROM steps s2
                 WHERE julianday('$AS_OF') - julianday(i.due_date) >= s2.offset_days)
 WHERE i.tenant_id = 1 AND i.open_minor > 0 AND i.written_off = 0;
SQL

# Alternate baseline and engine, each on a fresh copy of the same
# database, ROUNDS times; report the medians (this machine's timings vary
# by +-10% from run to run).
ROUNDS=${ROUNDS:-3}
: > "$W/base.times"
: > "$W/engine.times"
for i in $(seq "$ROUNDS"); do
	rm -f "$W"/run.db*; cp "$W/base.db" "$W/run.db"; sync
	/usr/bin/time -f "%e" -a -o "$W/base.times" sqlite3 "$W/run.db" < "$W/baseline.sql" >/dev/null
	rows=$(sqlite3 "$W/run.db" "SELECT COUNT(*) FROM naive_actions")
	rm -f "$W"/run.db*; cp "$W/base.db" "$W/run.db"; sync
	/usr/bin/time -f "%e %M" -a -o "$W/engine.times" \
		$DW run --reports no --db "$W/run.db" --tenant bench --as-of ${AS_OF}T09:00:00Z > "$W/run.txt"
done
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
base=$(median < "$W/base.times")
eng=$(cut -d' ' -f1 "$W/engine.times" | median)
rss_kb=$(cut -d' ' -f2 "$W/engine.times" | sort -n | tail -1)
cat "$W/run.txt"
ratio=$(awk -v a="$eng" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
echo
echo "baseline INSERT ... SELECT: $base s median of $ROUNDS ($(tr '\n' ' ' < "$W/base.times")) ($rows rows)"
echo "dunwell run:                $eng s median of $ROUNDS ($(cut -d' ' -f1 "$W/engine.times" | tr '\n' ' ')), peak memory $((rss_kb / 1024)) MiB"
echo "ratio engine / baseline:    $ratio (target <= 1.5)"

# A later day on the engine's own result: cases now exist, steps advance,
# fees are charged, case rows are updated (no baseline: the naive
# statement has no notion of state).
/usr/bin/time -f "%e %M" -o "$W/later.time" \
	$DW run --reports no --db "$W/run.db" --tenant bench --as-of 2026-12-11T09:00:00Z > "$W/later.txt"
read -r later later_kb < "$W/later.time"
echo
echo "two weeks later (2026-12-11), same database:"
cat "$W/later.txt"
echo "dunwell run:                $later s, peak memory $((later_kb / 1024)) MiB"
[ -n "${BENCH_DIR:-}" ] || rm -rf "$W"
