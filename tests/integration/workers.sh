# Many workers on one store (issue #8): four `dunwell run` and four
# `dunwell dispatch` processes at once over a few thousand cases, then the
# same with workers killed at random moments. Every action and every
# message must exist exactly once, every message be sent exactly once,
# and the result equal a single worker's. Uses the release binary (this is
# about concurrency, not memory errors; the sanitizer build runs the same
# code paths in run.sh, crash.sh and dispatch.sh) and bench/gen's data.
. "$DUNWELL_ROOT/tests/lib.sh"
DW=${DUNWELL_RELEASE:?}
GEN="$DUNWELL_ROOT/build/release/bench/gen"
AS_OF=2026-11-26T09:00:00Z     # a Thursday: no quiet day
SEND=2026-11-26T10:00:00Z
CUSTOMERS=${WORKERS_CUSTOMERS:-1500}   # bench/workers.sh: 100,000 and more
INVOICES=${WORKERS_INVOICES:-4000}
secs() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f s", b - a }'; }
"$GEN" --customers "$CUSTOMERS" --invoices "$INVOICES" --seed 8 --as-of 2026-11-26 --out "$T" >/dev/null || fail gen
"$DW" tenant add bench --timezone Europe/Amsterdam >/dev/null
"$DW" strategy load "$DUNWELL_ROOT/examples/strategies/default.yaml" --tenant bench >/dev/null
"$DW" import customers "$T/customers.csv" --tenant bench >/dev/null || fail import_customers
"$DW" import invoices "$T/invoices.csv" --tenant bench >/dev/null || fail import_invoices
BASE=$(clone_db "$DUNWELL_DB" base)

# The reference: one run worker, one dispatcher.
REF=$(clone_db "$BASE" ref)
t0=$(secs)
"$DW" run --db "$REF" --tenant bench --as-of $AS_OF --batch 100 >/dev/null || fail ref_run
echo "  one run worker: $(took "$t0")"
t0=$(secs)
"$DW" dispatch --db "$REF" --tenant bench --as-of $SEND --outbox "$T/ref" >/dev/null || fail ref_dispatch
echo "  one dispatcher: $(took "$t0")"
summary() {
	q "SELECT (SELECT COUNT(*) FROM cases) || ' ' || (SELECT COUNT(*) FROM actions) || ' ' || (SELECT COUNT(*) FROM messages) || ' ' || (SELECT COUNT(*) FROM messages WHERE status='sent')" "$1"
}
ref=$(summary "$REF")
check reference_did_work [ "$(echo "$ref" | cut -d' ' -f4)" -ge 500 ]

# exactly_once DB DIR: no message sent twice, no key twice, files = sent.
exactly_once() {
	echo "  $1: twice=$(q "SELECT COUNT(*) FROM (SELECT case_id, detail FROM case_events WHERE kind='message.sent' GROUP BY case_id, detail HAVING COUNT(*) > 1) x" "$1") sent=$(q "SELECT COUNT(*) FROM messages WHERE status='sent'" "$1") events=$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$1") files=$(find "$2" -type f ! -name sent.log ! -name '.*' | wc -l)"
	[ "$(q "SELECT COUNT(*) FROM (SELECT case_id, detail FROM case_events WHERE kind='message.sent' GROUP BY case_id, detail HAVING COUNT(*) > 1) x" "$1")" = 0 ] &&
	[ "$(q "SELECT COUNT(*) FROM messages WHERE status='sent'" "$1")" = "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$1")" ] &&
	[ "$(find "$2" -type f ! -name sent.log ! -name '.*' | wc -l)" = "$(q "SELECT COUNT(*) FROM messages WHERE status='sent'" "$1")" ]
}

# Four and four, all at once.
W=$(clone_db "$BASE" four)
pids=()
t0=$(secs)
for i in 1 2 3 4; do "$DW" run --db "$W" --tenant bench --as-of $AS_OF --batch 100 >"$T/run$i.out" 2>&1 & pids+=($!); done
ok=0; for p in "${pids[@]}"; do wait "$p" || ok=1; done
echo "  four run workers: $(took "$t0")"
check four_runs_ok [ "$ok" = 0 ]
pids=()
t0=$(secs)
for i in 1 2 3 4; do "$DW" dispatch --db "$W" --tenant bench --as-of $SEND --outbox "$T/four" --batch 50 >"$T/disp$i.out" 2>&1 & pids+=($!); done
ok=0; for p in "${pids[@]}"; do wait "$p" || ok=1; done
echo "  four dispatchers: $(took "$t0")"
echo "  result: cases actions messages sent = $(summary "$W")"
check four_dispatchers_ok [ "$ok" = 0 ]
check four_same_as_one [ "$(summary "$W")" = "$ref" ]
check four_exactly_once exactly_once "$W" "$T/four"
shared=0
for i in 1 2 3 4; do grep -q "claimed: [1-9]\|, [1-9][0-9]* claimed" "$T/disp$i.out" && shared=$((shared + 1)); done
check dispatch_work_shared [ "$shared" -ge 2 ]

# The same with workers killed at random moments, then finished by
# whoever comes next (a dispatcher after the lease ran out).
K=$(clone_db "$BASE" killed)
RANDOM=2026
for round in 1 2; do
	pids=()
	for i in 1 2 3 4; do "$DW" run --db "$K" --tenant bench --as-of $AS_OF --batch 50 >/dev/null 2>&1 & pids+=($!); done
	sleep "0.$((RANDOM % 4 + 1))"
	kill -9 "${pids[0]}" "${pids[2]}" 2>/dev/null
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
done
"$DW" run --db "$K" --tenant bench --as-of $AS_OF --batch 50 >/dev/null || fail killed_final_run
for round in 1 2; do
	pids=()
	for i in 1 2 3 4; do "$DW" dispatch --db "$K" --tenant bench --as-of $SEND --outbox "$T/killed" --batch 20 --lease 60 >/dev/null 2>&1 & pids+=($!); done
	sleep "0.$((RANDOM % 5 + 2))"
	kill -9 "${pids[1]}" "${pids[3]}" 2>/dev/null
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
done
# two minutes later every lease has run out: the rest goes
"$DW" dispatch --db "$K" --tenant bench --as-of 2026-11-26T10:02:00Z --outbox "$T/killed" >/dev/null || fail killed_final_dispatch
check killed_same_as_one [ "$(summary "$K")" = "$ref" ]
check killed_exactly_once exactly_once "$K" "$T/killed"
check killed_nothing_left [ "$(q "SELECT COUNT(*) FROM messages WHERE status='queued'" "$K")" = 0 ]
finish
