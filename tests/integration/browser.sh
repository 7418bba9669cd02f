# The customer's personal page in headless Chromium (issue #6): every page
# passes axe-core's WCAG 2.2 AA rules, reflows at 320 px, keeps its CSP
# with nothing loaded from elsewhere; a customer chooses a later date
# (after a mistake, announced with the field), sets up a plan, asks for
# help and pays through the test provider, by role and label as a person
# with a screen reader would. Runs once (SQLite): the pages are the same
# on both stores. Needs chromium, node and tests/browser/node_modules
# (scripts/setup).
. "$DUNWELL_ROOT/tests/lib.sh"
sqlite_only || { echo "SKIP browser: SQLite only"; finish; }
B="$DUNWELL_ROOT/tests/browser"
if ! command -v node >/dev/null || [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ] ||
	[ ! -d "$B/node_modules/playwright-core" ]; then
	fail browser_tools "chromium, node or playwright-core is missing (scripts/setup)"
	finish
fi
I="$DATA/import"
"$DUNWELL" tenant add acme --name "Acme Energy" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
for kv in "iban NL91ABNA0417164300" "checkout test" "brand_color #0b6e4f"; do
	set -- $kv
	"$DUNWELL" tenant set "$1" "$2" --tenant acme >/dev/null
done
"$DUNWELL" run --tenant acme --as-of 2026-11-20T09:00:00Z >/dev/null
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$T/outbox" >/dev/null
A=$(portal_link C1 "$T/outbox")
B2=$(portal_link C2 "$T/outbox")
C=$(portal_link C3 "$T/outbox")
if [ -z "$A" ] || [ -z "$B2" ] || [ -z "$C" ]; then
	fail links_found "no personal link in the outbox for C1, C2 or C3"
	finish
fi
serve_start "$T/serve.log" --threads 2 --as-of 2026-11-21T12:00:00Z || finish
mkdir -p "$T/shots"
node "$B/portal.mjs" "$BASE" "$A" "$B2" "$C" "$T/shots" >"$T/browser.out" 2>&1
rc=$?
cat "$T/browser.out"
check browser_run_completed [ "$rc" = 0 ] || true
serve_stop
check payment_recorded [ "$(q "SELECT COUNT(*) FROM payments WHERE method = 'test'")" = 1 ]
check plan_recorded [ "$(q "SELECT months FROM plans")" = 4 ]
finish
