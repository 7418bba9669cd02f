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
# A bank transfer nothing points to: it waits in the agents' queue.
cat > "$T/stmt.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>B-1</MsgId><CreDtTm>2026-11-21T06:00:00Z</CreDtTm></GrpHdr><Stmt><Id>B-1</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">12.34</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt><AcctSvcrRef>B-UNK-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>J. Onbekend</Nm></Dbtr><DbtrAcct><Id><IBAN>NL02ABNA0123456789</IBAN></Id></DbtrAcct></RltdPties><RmtInf><Ustrd>betaling</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
XML
"$DUNWELL" import statement "$T/stmt.xml" --tenant acme --as-of 2026-11-21T07:00:00Z >/dev/null
check statement_unmatched_in_review [ "$(q "SELECT COUNT(*) FROM review_items WHERE status = 'open'")" = 1 ]
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
rm -f "$SHOTS/.plan-offered" "$SHOTS/.dispatched"
node "$B/console.mjs" "$BASE" acme ada@acme.example 'correct horse battery staple' "$SHOTS" >"$T/console.out" 2>&1 &
CONSOLE=$!
# Once the agent has offered the plan, its confirmation goes out (before
# the agent sets the moratorium).
for _ in $(seq 1 300); do
	[ -f "$SHOTS/.plan-offered" ] && break
	kill -0 "$CONSOLE" 2>/dev/null || break
	sleep 0.1
done
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T12:10:00Z --outbox "$T/outbox2" >/dev/null
touch "$SHOTS/.dispatched"
wait "$CONSOLE"
rc=$?
rm -f "$SHOTS/.plan-offered" "$SHOTS/.dispatched"
cat "$T/console.out"
check console_run_completed [ "$rc" = 0 ]
# The report the agent read: its DSO for euros against the invoices (open
# now, and invoiced in the 90 days to the server's date, 2026-11-21).
mv "$SHOTS/.report-dso.json" "$T/dso.json" 2>/dev/null
open=$(q "SELECT SUM(open_minor) FROM invoices WHERE currency = 'EUR' AND open_minor > 0 AND CAST(written_off AS INTEGER) = 0")
sales=$(q "SELECT SUM(amount_minor) FROM invoices WHERE currency = 'EUR' AND issue_date > '2026-08-23' AND issue_date <= '2026-11-21'")
check report_dso_matches_data python3 - "$T/dso.json" "${open:-0}" "${sales:-0}" <<'PY'
import json, re, sys
rows = json.load(open(sys.argv[1]))
want_open, want_sales = int(sys.argv[2]), int(sys.argv[3])
cents = lambda s: int(re.sub(r"[^0-9]", "", s))
eur = [r for r in rows if r[0] == "EUR"]
want_dso = "%.1f days" % (round(want_open * 900 / want_sales) / 10) if want_sales else None
ok = len(eur) == 1 and cents(eur[0][1]) == want_open and cents(eur[0][2]) == want_sales and (want_dso is None or eur[0][3] == want_dso)
if not ok:
    print(rows, want_open, want_sales, want_dso, file=sys.stderr)
sys.exit(0 if ok else 1)
PY

serve_stop
check screenshots_kept [ "$(ls "$SHOTS"/*-phone.png "$SHOTS"/*-desktop.png 2>/dev/null | wc -l)" -ge 12 ]
check console_note_recorded [ "$(q "SELECT COUNT(*) FROM case_notes")" = 1 ]

# In the database ...
check later_recorded [ "$(q "SELECT COUNT(*) FROM case_events e JOIN cases c ON c.id = e.case_id JOIN customers u ON u.id = c.customer_id WHERE u.external_id = 'C1' AND e.kind = 'promise.made'")" = 1 ]
check dispute_recorded [ "$(q "SELECT COUNT(*) FROM invoices WHERE number = '2026-0001' AND disputed")" = 1 ]
check plan_recorded [ "$(q "SELECT months || ' ' || day_of_month FROM plans WHERE source = 'portal'")" = "4 25" ]
# The plan the agent offered (C1, who asked for help), and its
# confirmation sent to the customer; then the moratorium: nothing more.
check agent_plan_recorded [ "$(q "SELECT p.months || ' ' || p.day_of_month FROM plans p JOIN customers u ON u.id = p.customer_id WHERE p.source = 'agent' AND u.external_id = 'C1'")" = "3 28" ]
check agent_plan_confirmation_sent [ -n "$(q "SELECT 1 FROM messages m JOIN customers u ON u.id = m.customer_id WHERE u.external_id = 'C1' AND m.step LIKE 'confirm.plan%' AND m.status = 'sent'")" ]
before=$(q "SELECT COUNT(*) FROM messages m JOIN customers u ON u.id = m.customer_id WHERE u.external_id = 'C1' AND m.status = 'sent'")
for d in 2026-12-01 2026-12-20 2027-01-10; do
	"$DUNWELL" run --tenant acme --as-of "${d}T09:00:00Z" >/dev/null
	"$DUNWELL" dispatch --tenant acme --as-of "${d}T10:00:00Z" --outbox "$T/outbox3" >/dev/null
done
check moratorium_nothing_sent [ "$(q "SELECT COUNT(*) FROM messages m JOIN customers u ON u.id = m.customer_id WHERE u.external_id = 'C1' AND m.status = 'sent'")" = "$before" ]
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
