# Crashes: a run killed with SIGKILL at random moments, or failing at
# any store write, and then run again, ends with exactly the actions,
# cases and events of one clean run: none missing, none doubled.
. "$DUNWELL_ROOT/tests/lib.sh"
GEN="$DUNWELL_ROOT/build/release/bench/gen"
AS_OF=2026-11-27T09:00:00Z
"$GEN" --customers 3000 --invoices 9000 --seed 7 --as-of 2026-11-27 --out "$T" || fail gen
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/examples/strategies/default.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$T/customers.csv" --tenant acme >/dev/null || fail import_customers
"$DUNWELL" import invoices "$T/invoices.csv" --tenant acme >/dev/null || fail import_invoices
cp "$DUNWELL_DB" "$T/base.db"

# The observable outcome, independent of row ids.
outcome() {
	sqlite3 "$1" "
	SELECT 'A', c.external_id, a.step, a.kind, a.channel, a.due_on, a.decided_on, a.amount_minor, a.status
	  FROM actions a JOIN customers c ON c.id = a.customer_id ORDER BY 2, 3, 4, 5;
	SELECT 'C', c.external_id, k.currency, k.status, k.strategy, k.anchor_date, k.next_step, k.fees_minor
	  FROM cases k JOIN customers c ON c.id = k.customer_id ORDER BY 2, 3;
	SELECT 'E', c.external_id, e.kind, e.detail, COUNT(*) FROM case_events e
	  JOIN cases k ON k.id = e.case_id JOIN customers c ON c.id = k.customer_id GROUP BY 2, 3, 4 ORDER BY 2, 3, 4;"
}

DUNWELL_DB="$T/base.db" "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null || fail clean_run
outcome "$T/base.db" > "$T/clean.txt"
check clean_run_did_work [ "$(grep -c '^A' "$T/clean.txt")" -gt 1000 ]
cp "$T/base.db" "$T/after.db"

# Kill -9 at random points; then finish with a normal run.
RANDOM=4242
kills=0
for i in 1 2 3 4 5 6; do
	rm -f "$T/k.db"*; cp "$DUNWELL_DB" "$T/k.db"
	DUNWELL_DB="$T/k.db" "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
	# a second kill in the re-run, for good measure
	DUNWELL_DB="$T/k.db" "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 5 + 1))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	DUNWELL_DB="$T/k.db" "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null 2>&1 || fail "rerun_$i"
	outcome "$T/k.db" > "$T/k.txt"
	if cmp -s "$T/clean.txt" "$T/k.txt"; then pass "kill9_then_rerun_$i"; else fail "kill9_then_rerun_$i" "$(diff "$T/clean.txt" "$T/k.txt" | head -5)"; fi
	check "integrity_$i" [ "$(sqlite3 "$T/k.db" 'PRAGMA integrity_check')" = ok ]
	check "foreign_keys_$i" [ -z "$(sqlite3 "$T/k.db" 'PRAGMA foreign_key_check')" ]
done
check some_runs_were_killed [ "$kills" -ge 1 ]

# As if another process committed between every prefetch and its batch:
# every range is loaded and decided again under the lock, same outcome.
rm -f "$T/v.db"*; cp "$DUNWELL_DB" "$T/v.db"
DUNWELL_DB="$T/v.db" DUNWELL_FAULT_DATA_VERSION=1 "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null 2>&1 || fail reload_path_run
outcome "$T/v.db" > "$T/v.txt"
if cmp -s "$T/clean.txt" "$T/v.txt"; then pass reload_path_same_outcome; else fail reload_path_same_outcome "$(diff "$T/clean.txt" "$T/v.txt" | head -5)"; fi

# A failure at the Nth store write: the run stops with an error, the
# failed batch leaves nothing, and a later run completes the work.
for n in 1 2 3 50 400 2000; do
	rm -f "$T/f.db"*; cp "$DUNWELL_DB" "$T/f.db"
	DUNWELL_DB="$T/f.db" DUNWELL_FAULT_STORE=$n "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null 2>"$T/err"
	frc=$?
	check "fault_${n}_reported" [ "$frc" -ne 0 ] 
	check "fault_${n}_message" grep -q "injected store fault" "$T/err"
	DUNWELL_DB="$T/f.db" "$DUNWELL" run --tenant acme --as-of $AS_OF --batch 250 >/dev/null 2>&1 || fail "fault_${n}_rerun"
	outcome "$T/f.db" > "$T/f.txt"
	if cmp -s "$T/clean.txt" "$T/f.txt"; then pass "fault_${n}_then_rerun"; else fail "fault_${n}_then_rerun" "$(diff "$T/clean.txt" "$T/f.txt" | head -5)"; fi
done
finish
