#!/bin/bash
# bench/statement.sh: `dunwell import statement` of a camt.053 statement of
# N entries against N open invoices (see bench/README.md, "Bank
# statements").
#
#   bench/statement.sh [ENTRIES]     default 100000; invoices = ENTRIES,
#                                    customers = ENTRIES / 3
#
# The data is camt_gen's model (bench/camt_gen.c): invoice i is
# "INV-000000i" of customer 1 + i % customers, amount 10.00 + (i * 7919) %
# 500.00, with a Dutch payment reference made from i; each customer has
# one open case whose id is the customer's id (customers are imported in
# id order and `dunwell run` opens their cases in that order: checked
# below). The statement (camt_gen N, seed 2026): 45% RF reference of a
# case, 20% Dutch payment reference, 20% invoice number in the text, 10%
# only the amount from the customer's account, 5% nothing to go by.
# The import is timed three times, each on a fresh copy of the same
# database; the median is reported, with entries per second.
set -eu
cd "$(dirname "$0")/.."
N=${1:-100000}
C=$(( N / 3 ))
W=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/dunwell-bench.XXXXXX")}
DW=build/release/dunwell
make -s VARIANT=release all bench-tools >/dev/null

secs() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

echo "data: $N invoices, $C customers, a statement of $N entries, in $W"
# Customers and invoices of camt_gen's model, as CSV for `dunwell import`.
python3 - "$N" "$C" "$W" <<'PY'
import sys
n, c, w = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
W = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1]
def nl_ref(i):  # match_nl_check_digit: weights from the right, 11 - sum % 11
    d = "%015d" % (i % 10**15)
    s = sum(int(ch) * W[k % 10] for k, ch in enumerate(reversed(d)))
    cd = 11 - s % 11
    cd = 1 if cd == 10 else 0 if cd == 11 else cd
    return str(cd) + d
with open(w + "/customers.csv", "w") as f:
    f.write("external_id,name,locale,timezone,country,email\n")
    for k in range(1, c + 1):
        f.write("K%d,Klant %d,nl,Europe/Amsterdam,NL,k%d@example.nl\n" % (k, k, k))
with open(w + "/invoices.csv", "w") as f:
    f.write("external_id,customer_id,number,issue_date,due_date,amount,currency,payment_reference\n")
    for i in range(1, n + 1):
        a = 1000 + (i * 7919) % 50000
        f.write("INV-%07d,K%d,INV-%07d,2026-10-20,2026-11-20,%d.%02d,EUR,%s\n"
                % (i, 1 + i % c, i, a // 100, a % 100, nl_ref(i)))
PY
build/release/bench/camt_gen "$N" 2026 > "$W/statement.xml"
export DUNWELL_DB="$W/base.db"
rm -f "$W"/base.db*
$DW tenant add bench --timezone Europe/Amsterdam >/dev/null
$DW strategy load examples/strategies/default.yaml --tenant bench >/dev/null
$DW import customers "$W/customers.csv" --tenant bench >/dev/null
$DW import invoices "$W/invoices.csv" --tenant bench >/dev/null
$DW run --tenant bench --as-of 2026-11-23T09:00:00Z >/dev/null
sqlite3 "$W/base.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
off=$(sqlite3 "$W/base.db" "SELECT COUNT(*) FROM cases WHERE id <> customer_id OR status <> 'open'")
[ "$off" = 0 ] || { echo "bench: $off cases whose id is not their customer's"; exit 1; }
echo "statement: $(du -m "$W/statement.xml" | cut -f1) MB; $(sqlite3 "$W/base.db" "SELECT COUNT(*) FROM cases") open cases"

times=()
for k in 1 2 3; do
	rm -f "$W"/run.db*
	cp "$W/base.db" "$W/run.db"
	t0=$(secs)
	$DW import statement "$W/statement.xml" --tenant bench --db "$W/run.db" \
		--as-of 2026-11-27T08:00:00Z > "$W/out.txt"
	t1=$(secs)
	times+=("$(elapsed "$t0" "$t1")")
	echo "run $k: ${times[-1]} s"
done
sed 's/^/  /' "$W/out.txt"
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 2p)
echo "median: $median s, $(awk -v n="$N" -v t="$median" 'BEGIN { printf "%.0f", n / t }') entries/s"
