# The engine run end to end on a real database: exactly once per day,
# the customers who must not be contacted are not, timeline and simulate.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
cust_actions() {
	q "SELECT COUNT(*) FROM actions a JOIN customers c ON c.id = a.customer_id WHERE c.external_id = '$1' AND a.kind = '$2'"
}

expect_ok first_run run --tenant acme --as-of 2026-11-20T09:00:00Z
check run_reports grep -q "tenant acme:" "$T/out"
check cases_opened [ "$(q "SELECT COUNT(*) FROM cases WHERE status='open'")" -ge 4 ]
check contacts_queued [ "$(q "SELECT COUNT(*) FROM actions WHERE kind='contact' AND status='queued'")" -ge 2 ]
check opened_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='case.opened'")" = "$(q "SELECT COUNT(*) FROM cases")" ]

before=$(db_digest)
expect_ok same_day_again run --tenant acme --as-of 2026-11-20T15:00:00Z
check same_day_adds_nothing [ "$(db_digest)" = "$before" ]
check same_day_reports_zero grep -q "0 contacts" "$T/out"

# Customers who must not be contacted.
check do_not_contact_silent [ "$(cust_actions C4 contact)" = 0 ]
check moratorium_silent [ "$(cust_actions C5 contact)" = 0 ]
check vulnerable_to_a_person [ "$(cust_actions C3 agent)" = 1 ]
check vulnerable_gentle [ "$(q "SELECT strategy FROM cases k JOIN customers c ON c.id=k.customer_id WHERE c.external_id='C3'")" = gentle ]
check business_case_open [ "$(q "SELECT COUNT(*) FROM cases k JOIN customers c ON c.id=k.customer_id WHERE c.external_id='C2' AND status='open'")" = 1 ]
# Two invoices of C1 form one case anchored on the oldest.
check one_case_per_currency [ "$(q "SELECT COUNT(*) FROM cases k JOIN customers c ON c.id=k.customer_id WHERE c.external_id='C1'")" = 1 ]
check anchored_on_oldest [ "$(q "SELECT anchor_date FROM cases k JOIN customers c ON c.id=k.customer_id WHERE c.external_id='C1'")" = 2026-10-15 ]

# Day by day for a month: every step once, fees once.
for d in $(seq 21 30); do "$DUNWELL" run --tenant acme --as-of "2026-11-${d}T09:00:00Z" >/dev/null || fail "run_day_$d"; done
for d in $(seq 1 31); do dd=$(printf %02d "$d"); "$DUNWELL" run --tenant acme --as-of "2026-12-${dd}T09:00:00Z" >/dev/null || fail "run_dec_$d"; done
check no_step_twice [ "$(q "SELECT COUNT(*) FROM (SELECT case_id, step, kind, channel FROM actions GROUP BY 1,2,3,4 HAVING COUNT(*) > 1) x")" = 0 ]
check fees_once_per_step [ "$(q "SELECT COUNT(*) FROM (SELECT case_id, step FROM actions WHERE kind='fee' GROUP BY 1,2 HAVING COUNT(*) > 1) x")" = 0 ]
check case_fees_match_actions [ "$(q "SELECT COUNT(*) FROM cases k WHERE fees_minor <> (SELECT COALESCE(SUM(amount_minor),0) FROM actions a WHERE a.case_id=k.id AND a.kind='fee')")" = 0 ]
check steps_in_order [ "$(q "SELECT COUNT(*) FROM actions a JOIN actions b ON a.case_id=b.case_id AND a.kind='contact' AND b.kind='contact' AND a.due_on < b.due_on AND a.decided_on > b.decided_on")" = 0 ]
sqlite_only && check contact_policy_gap [ "$(q "SELECT COUNT(*) FROM (SELECT customer_id, decided_on FROM actions WHERE kind='contact' GROUP BY 1,2) x JOIN (SELECT customer_id, decided_on FROM actions WHERE kind='contact' GROUP BY 1,2) y ON x.customer_id=y.customer_id AND y.decided_on > x.decided_on AND julianday(y.decided_on) - julianday(x.decided_on) < 3")" = 0 ]
check wik_fee_for_business [ "$(q "SELECT amount_minor FROM actions a JOIN customers c ON c.id=a.customer_id WHERE c.external_id='C2' AND a.kind='fee' AND a.step='final'")" = 54500 ]

# Paying in full closes the case with an event.
printf 'external_id,invoice,amount,currency,paid_on\nPX,I3,4200.00,EUR,2027-01-02\n' > "$T/pay.csv"
"$DUNWELL" import payments "$T/pay.csv" --tenant acme >/dev/null || fail import_payment
expect_ok run_after_payment run --tenant acme --as-of 2027-01-02T09:00:00Z
check case_resolved [ "$(q "SELECT status FROM cases k JOIN customers c ON c.id=k.customer_id WHERE c.external_id='C2'")" = resolved ]
check resolved_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='case.resolved'")" -ge 1 ]

check no_orphans [ "$(orphans)" = 0 ]
if sqlite_only; then
	check foreign_keys_hold [ -z "$(q "PRAGMA foreign_key_check")" ]
	check integrity_ok [ "$(q "PRAGMA integrity_check")" = ok ]
fi

expect_ok timeline timeline C1 --tenant acme --as-of 2026-12-01T09:00:00Z
check timeline_past grep -q "What happened" "$T/out"
check timeline_future grep -q "What happens next" "$T/out"
check timeline_shows_steps grep -q "contact  reminder" "$T/out"
expect_ok timeline_paused timeline C5 --tenant acme --as-of 2026-12-01T09:00:00Z
check timeline_shows_moratorium grep -q "paused (moratorium) through 2026-12-31" "$T/out"
expect_fail timeline_unknown "no customer 'C99'" timeline C99 --tenant acme

before=$(db_digest)
expect_ok simulate simulate --tenant acme --strategy "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --from 2027-01-01 --to 2027-03-01
check simulate_total grep -q "^total" "$T/out"
check simulate_writes_nothing [ "$(db_digest)" = "$before" ]
expect_fail simulate_bad_range "must not be after" simulate --tenant acme --strategy "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --from 2027-03-01 --to 2027-01-01
expect_fail simulate_bad_date "--from: invalid date" simulate --tenant acme --strategy "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --from 2027-02-31 --to 2027-03-01
finish
