# Crashes: a run killed with SIGKILL at random moments, or failing at
# any store write, and then run again, ends with exactly the actions,
# cases and events of one clean run: none missing, none doubled.
. "$DUNWELL_ROOT/tests/lib.sh"
GEN="$DUNWELL_ROOT/build/release/bench/gen"
AS_OF=2026-11-27T09:00:00Z
RUN=(run --tenant acme --as-of $AS_OF --batch 250)
"$GEN" --customers 3000 --invoices 9000 --seed 7 --as-of 2026-11-27 --out "$T" || fail gen
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/examples/strategies/default.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$T/customers.csv" --tenant acme >/dev/null || fail import_customers
"$DUNWELL" import invoices "$T/invoices.csv" --tenant acme >/dev/null || fail import_invoices
START=$DUNWELL_DB

# The observable outcome, independent of row ids.
outcome() {
	q "SELECT 'A', c.external_id, a.step, a.kind, a.channel, a.due_on, a.decided_on, a.amount_minor, a.status
	   FROM actions a JOIN customers c ON c.id = a.customer_id ORDER BY 2, 3, 4, 5" "$1"
	q "SELECT 'C', c.external_id, k.currency, k.status, k.strategy, k.anchor_date, k.next_step, k.fees_minor
	   FROM cases k JOIN customers c ON c.id = k.customer_id ORDER BY 2, 3" "$1"
	q "SELECT 'E', c.external_id, e.kind, e.detail, COUNT(*) FROM case_events e
	   JOIN cases k ON k.id = e.case_id JOIN customers c ON c.id = k.customer_id
	   GROUP BY c.external_id, e.kind, e.detail ORDER BY 2, 3, 4" "$1"
}

# consistent DB NAME: the database is sound after whatever happened.
consistent() {
	if sqlite_only; then
		check "integrity_$2" [ "$(q 'PRAGMA integrity_check' "$1")" = ok ]
		check "foreign_keys_$2" [ -z "$(q 'PRAGMA foreign_key_check' "$1")" ]
	fi
	check "no_orphans_$2" [ "$(orphans "$1")" = 0 ]
	check "one_open_case_each_$2" [ "$(q "SELECT COUNT(*) FROM (SELECT customer_id, currency FROM cases WHERE status = 'open' GROUP BY 1, 2 HAVING COUNT(*) > 1) x" "$1")" = 0 ]
}

clean=$(clone_db "$START" clean)
DUNWELL_DB=$clean "$DUNWELL" "${RUN[@]}" >/dev/null || fail clean_run
outcome "$clean" > "$T/clean.txt"
check clean_run_did_work [ "$(grep -c '^A' "$T/clean.txt")" -gt 1000 ]

# Kill -9 at random points, twice; then finish with a normal run.
RANDOM=4242
kills=0
for i in 1 2 3 4 5 6; do
	k=$(clone_db "$START" "k$i")
	DUNWELL_DB=$k "$DUNWELL" "${RUN[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 9 + 1))"
	if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
	wait "$pid" 2>/dev/null
	DUNWELL_DB=$k "$DUNWELL" "${RUN[@]}" >/dev/null 2>&1 &
	pid=$!
	sleep "0.$((RANDOM % 5 + 1))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	DUNWELL_DB=$k "$DUNWELL" "${RUN[@]}" >/dev/null 2>&1 || fail "rerun_$i"
	outcome "$k" > "$T/k.txt"
	if cmp -s "$T/clean.txt" "$T/k.txt"; then pass "kill9_then_rerun_$i"; else fail "kill9_then_rerun_$i" "$(diff "$T/clean.txt" "$T/k.txt" | head -5)"; fi
	consistent "$k" "$i"
done
check some_runs_were_killed [ "$kills" -ge 1 ]

# Two workers at once share the ranges and end where one clean run does.
w=$(clone_db "$START" workers)
DUNWELL_DB=$w "$DUNWELL" "${RUN[@]}" >/dev/null 2>"$T/w1.err" &
p1=$!
DUNWELL_DB=$w "$DUNWELL" "${RUN[@]}" >/dev/null 2>"$T/w2.err" &
p2=$!
wait "$p1"; r1=$?
wait "$p2"; r2=$?
check two_workers_succeed [ "$((r1 + r2))" -eq 0 ]
outcome "$w" > "$T/w.txt"
if cmp -s "$T/clean.txt" "$T/w.txt"; then pass two_workers_same_outcome; else fail two_workers_same_outcome "$(diff "$T/clean.txt" "$T/w.txt" | head -5) $(head -c 300 "$T/w1.err" "$T/w2.err")"; fi

# As if another process committed between every prefetch and its batch:
# every range is loaded and decided again under the lock, same outcome.
v=$(clone_db "$START" reload)
DUNWELL_DB=$v DUNWELL_FAULT_DATA_VERSION=1 "$DUNWELL" "${RUN[@]}" >/dev/null 2>&1 || fail reload_path_run
outcome "$v" > "$T/v.txt"
if cmp -s "$T/clean.txt" "$T/v.txt"; then pass reload_path_same_outcome; else fail reload_path_same_outcome "$(diff "$T/clean.txt" "$T/v.txt" | head -5)"; fi

# A failure at the Nth store write: the run stops with an error, the
# failed batch leaves nothing, and a later run completes the work.
for n in 1 2 3 50 400 2000; do
	f=$(clone_db "$START" "f$n")
	DUNWELL_DB=$f DUNWELL_FAULT_STORE=$n "$DUNWELL" "${RUN[@]}" >/dev/null 2>"$T/err"
	frc=$?
	check "fault_${n}_reported" [ "$frc" -ne 0 ]
	check "fault_${n}_message" grep -q "injected store fault" "$T/err"
	DUNWELL_DB=$f "$DUNWELL" "${RUN[@]}" >/dev/null 2>&1 || fail "fault_${n}_rerun"
	outcome "$f" > "$T/f.txt"
	if cmp -s "$T/clean.txt" "$T/f.txt"; then pass "fault_${n}_then_rerun"; else fail "fault_${n}_then_rerun" "$(diff "$T/clean.txt" "$T/f.txt" | head -5)"; fi
done
finish
