# dunwell migrate --to: every row of a SQLite store copied into another
# store (a PostgreSQL database in the pg pass), nothing lost or changed,
# and the copy works with the engine.
. "$DUNWELL_ROOT/tests/lib.sh"
SRC="$T/source.db"
"$DUNWELL" demo --db "$SRC" --as-of 2026-11-27T09:00:00Z >/dev/null || fail demo
sq() { sqlite3 "$SRC" "$1"; }

expect_ok migrate_to migrate --db "$SRC" --to "$DUNWELL_DB"
check migrate_reports grep -q "done: every row copied" "$T/out"
for table in tenants customers contact_points invoices payments strategy_versions cases case_events actions run_ranges; do
	check "rows_$table" [ "$(q "SELECT COUNT(*) FROM $table")" = "$(sq "SELECT COUNT(*) FROM $table")" ]
done
same() {
	local name=$1 sql=$2
	if [ "$(q "$sql")" = "$(sq "$sql")" ]; then pass "$name"; else fail "$name" "$(diff <(sq "$sql") <(q "$sql") | head -4)"; fi
}
same customers_same "SELECT id, external_id, name, locale, timezone, country, segments, moratorium_until, customer_since FROM customers ORDER BY id"
same invoices_same "SELECT id, customer_id, external_id, number, issue_date, due_date, amount_minor, open_minor, currency FROM invoices ORDER BY id"
same cases_same "SELECT id, customer_id, currency, status, strategy, anchor_date, next_step, opened_on, last_step_on, fees_minor FROM cases ORDER BY id"
same actions_same "SELECT case_id, step, kind, channel, fallbacks, due_on, decided_on, amount_minor, template, tone, reason, status FROM actions ORDER BY case_id, step, kind, channel"
same events_same "SELECT case_id, kind, detail FROM case_events ORDER BY id"
same strategies_same "SELECT version, source, yaml FROM strategy_versions ORDER BY version"

# The copy is a working store: a later run decides on it as on the source.
"$DUNWELL" run --db "$SRC" --tenant demo --as-of 2026-12-15T09:00:00Z >/dev/null || fail run_source
expect_ok run_on_copy run --tenant demo --as-of 2026-12-15T09:00:00Z
same actions_after_run "SELECT case_id, step, kind, channel, due_on, decided_on, amount_minor FROM actions ORDER BY case_id, step, kind, channel"
expect_fail migrate_into_non_empty "migrate into an empty database" migrate --db "$SRC" --to "$DUNWELL_DB"
finish
