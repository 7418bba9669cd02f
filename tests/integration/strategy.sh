# Strategy files: validation with file:line:column, versions in the store.
. "$DUNWELL_ROOT/tests/lib.sh"
S="$DUNWELL_ROOT/examples/strategies/default.yaml"

expect_ok check_example strategy check "$S"
check check_lists_strategies grep -q "strategies" "$T/out"
for f in "$DATA"/strategies/*.yaml; do
	name=$(basename "$f" .yaml)
	run_dw strategy check "$f"
	if [ "$rc" -ne 0 ] && grep -qE "$(basename "$f"):[0-9]+:[0-9]+: " "$T/err"; then
		pass "rejects_$name"
	else
		fail "rejects_$name" "exit $rc: $(head -c 300 "$T/err")"
	fi
done
expect_fail check_missing_file "cannot" strategy check "$T/none.yaml"

"$DUNWELL" tenant add acme >/dev/null
expect_ok load_v1 strategy load "$S" --tenant acme
check load_v1_active grep -q "strategy version 1 active" "$T/out"
expect_ok load_v2 strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme
check load_v2_active grep -q "strategy version 2 active" "$T/out"
expect_ok show_active strategy show --tenant acme
check show_is_v2 grep -q "version 2 (active)" "$T/out"
expect_ok show_v1 strategy show 1 --tenant acme
check show_v1_text grep -q "default.yaml" "$T/out"
before=$(db_digest)
bad=$(ls "$DATA"/strategies/*.yaml | head -n 1)
expect_fail load_invalid_rejected ":" strategy load "$bad" --tenant acme
check load_invalid_changes_nothing [ "$(db_digest)" = "$before" ]
finish
