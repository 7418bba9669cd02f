# The command line: help, usage errors, option checks.
. "$DUNWELL_ROOT/tests/lib.sh"

expect_ok help_lists_commands help
for c in run timeline simulate import strategy tenant migrate demo; do
	check "help_mentions_$c" grep -q "^  $c " "$T/out"
done
expect_ok help_one_command help run
check help_run_text grep -q "decide and record" "$T/out"
expect_fail unknown_command "unknown command 'frobnicate'" frobnicate
expect_fail unknown_option "unknown option '--nope'" run --nope 1
expect_fail option_not_for_command "unknown option '--horizon'" run --horizon 3
expect_fail option_needs_value "needs a value" run --as-of
expect_fail bad_as_of "--as-of: invalid" run --as-of 2026-13-01
expect_fail bad_as_of_text "--as-of" run --as-of yesterday
expect_ok migrate_new_db migrate
check migrate_reports_version grep -qE "schema version [0-9]+ \([0-9]+ migrations applied\)" "$T/out"
expect_ok migrate_again_is_noop migrate
check migrate_again_applies_nothing grep -q "0 migrations applied" "$T/out"
expect_fail no_tenant "no tenant 'nobody'" timeline C1 --tenant nobody
expect_fail bad_tenant_name "expected 1 to 64 of" tenant add "Bad Name"
expect_ok tenant_add tenant add acme --name "ACME Telecom" --timezone Europe/Amsterdam --locale nl
expect_ok tenant_list tenant list
check tenant_listed grep -q "acme" "$T/out"
expect_fail run_without_strategy "no active strategy" run --tenant acme
expect_fail batch_not_number "--batch: 'x' is not a whole number" run --tenant acme --batch x
finish
