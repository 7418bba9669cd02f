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
# The tenant's webhook endpoint: what the customer does must reach it.
RX="$T/rx"
coproc RECV { exec python3 "$DUNWELL_ROOT/tests/tools/webhook_receiver.py" --dir "$RX" 2>"$T/recv.err"; }
read -r -t 20 word port <&"${RECV[0]}"
[ "${word:-}" = PORT ] || { fail receiver_started "$(cat "$T/recv.err")"; finish; }
"$DUNWELL" webhook add "http://127.0.0.1:$port/hooks/acme" --tenant acme >/dev/null
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
# Screenshots at phone and desktop widths are kept (test artefacts).
SHOTS="$DUNWELL_ROOT/build/test-artefacts/screenshots"
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
node "$B/portal.mjs" "$BASE" "$A" "$B2" "$C" "$SHOTS" >"$T/browser.out" 2>&1
rc=$?
cat "$T/browser.out"
check browser_run_completed [ "$rc" = 0 ]
# The team's console: an agent works the help request just made.
printf '%s\n' 'correct horse battery staple' |
	"$DUNWELL" operator add ada@acme.example --name "Ada Agent" --role agent --tenant acme >/dev/null
node "$B/console.mjs" "$BASE" acme ada@acme.example 'correct horse battery staple' "$SHOTS" >"$T/console.out" 2>&1
rc=$?
cat "$T/console.out"
check console_run_completed [ "$rc" = 0 ]
serve_stop
check screenshots_kept [ "$(ls "$SHOTS"/*-phone.png "$SHOTS"/*-desktop.png 2>/dev/null | wc -l)" -ge 12 ]
check console_note_recorded [ "$(q "SELECT COUNT(*) FROM case_notes")" = 1 ]

# In the database ...
check later_recorded [ "$(q "SELECT hold_reason FROM cases c JOIN customers u ON u.id = c.customer_id WHERE u.external_id = 'C1' AND c.currency = 'EUR'")" = postponed ]
check dispute_recorded [ "$(q "SELECT COUNT(*) FROM invoices WHERE number = '2026-0001' AND disputed")" = 1 ]
check plan_recorded [ "$(q "SELECT months || ' ' || day_of_month FROM plans")" = "4 25" ]
check help_recorded [ "$(q "SELECT kind || ' ' || reason || ' ' || contact_via FROM requests WHERE kind = 'help'")" = "help illness email" ]
check payment_recorded [ "$(q "SELECT COUNT(*) FROM payments WHERE method = 'test'")" = 1 ]
# ... and in the webhooks the tenant receives.
"$DUNWELL" webhook deliver --tenant acme --as-of 2026-11-21T12:05:00Z >/dev/null
python3 -c 'import glob, json, sys
for f in glob.glob(sys.argv[1] + "/*.json"):
    print(json.loads(json.load(open(f))["body"])["type"])' "$RX" | sort -u >"$T/events"
for ev in promise.made dispute.opened plan.created help.requested payment.received invoice.paid case.resolved; do
	check "webhook_$ev" grep -qx "$ev" "$T/events"
done
finish
