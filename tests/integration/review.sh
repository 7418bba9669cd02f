# The console's payment review page and the case page's write-off and
# close (issues #7 and #9, docs/console-review.md), over real HTTP: a bank
# statement leaves an ambiguous, an unmatched, a foreign-currency and a
# stranger's payment in review; an agent opens each from the queue, applies
# one to a candidate invoice (payment recorded once under the bank's
# reference, invoice paid, case resolved, entry 'payment' by rule 'manual',
# payer learnt, event naming the operator, item gone from the queue),
# another through the customer search, is told a USD payment cannot go to
# a EUR invoice, and returns the stranger's; the statement imported again
# changes nothing; the next payment from the learnt account matches by
# itself. Without the form's token, a session or the right role nothing
# changes. A manager writes one case off and closes another (reason and
# confirmation required; queued messages cancelled; the tenant's webhook
# queued); an agent is refused and sees no button. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --name "Acme Energy" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null

cat > "$T/customers.csv" <<'CSV'
external_id,name,locale,timezone,country,email
S4,Kees Vos,nl,Europe/Amsterdam,NL,kees@example.nl
S6,Rita Smit,nl,Europe/Amsterdam,NL,rita@example.nl
S7,Dirk Visser,nl,Europe/Amsterdam,NL,dirk@example.nl
S8,Wim Wouters,nl,Europe/Amsterdam,NL,wim@example.nl
S9,Lies Laan,nl,Europe/Amsterdam,NL,lies@example.nl
CSV
cat > "$T/invoices.csv" <<'CSV'
external_id,customer_id,number,issue_date,due_date,amount,currency,payment_reference
D-1,S4,D-1,2026-10-01,2026-11-12,30.00,EUR,
D-2,S7,D-2,2026-10-01,2026-11-12,30.00,EUR,
R-1,S6,R-1,2026-10-01,2026-11-12,40.00,EUR,
W-1,S8,W-1,2026-10-01,2026-11-12,55.00,EUR,
L-1,S9,L-1,2026-10-01,2026-11-12,65.00,EUR,
CSV
expect_ok import_customers import customers "$T/customers.csv" --tenant acme
expect_ok import_invoices import invoices "$T/invoices.csv" --tenant acme
expect_ok run_opens_cases run --tenant acme --as-of 2026-11-20T09:00:00Z
# Dispatched in the night: quiet hours keep the reminders queued.
expect_ok dispatch_at_night dispatch --tenant acme --as-of 2026-11-21T01:00:00Z --outbox "$T/outbox"

case_of() { q "SELECT MIN(k.id) FROM cases k JOIN customers c ON c.id = k.customer_id WHERE c.external_id = '$1'"; }
open_of() { q "SELECT open_minor FROM invoices WHERE external_id = '$1'"; }
outcome_of() { q "SELECT outcome FROM statement_entries WHERE bank_ref = '$1'"; }
review_of() { q "SELECT r.id FROM review_items r JOIN statement_entries e ON e.id = r.entry_id WHERE e.bank_ref = '$1'"; }
stat() { grep "^$1 " "$T/out" | cut -d' ' -f2-; }
# ntry REF AMOUNT CCY DEBTOR IBAN USTRD: one booked credit.
ntry() {
	printf '<Ntry><Amt Ccy="%s">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd>' "$3" "$2"
	printf '<Sts>BOOK</Sts><BookgDt><Dt>2026-11-26</Dt></BookgDt><AcctSvcrRef>%s</AcctSvcrRef>' "$1"
	printf '<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>'
	printf '<RltdPties><Dbtr><Nm>%s</Nm></Dbtr><DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct></RltdPties><RmtInf>' "$4" "$5"
	[ -n "$6" ] && printf '<Ustrd>%s</Ustrd>' "$6"
	printf '</RmtInf></TxDtls></NtryDtls></Ntry>\n'
}
stmt() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-11-27T06:00:00Z</CreDtTm></GrpHdr><Stmt><Id>%s</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>\n' "$1" "$1"
	cat
	printf '</Stmt></BkToCstmrStmt></Document>\n'
}
{
	ntry T-AMB 30.00 EUR "K. Vos" NL44RABO0123456780 "Factuur D-1 en D-2"
	ntry T-UNM 40.00 EUR "R. Smit" NL18RABO0123459876 "betaling"
	ntry T-USD 30.00 USD "D. Visser" NL55RABO0123456781 "D-2"
	ntry T-NOT 12.34 EUR "Onbekend" NL39RABO0300065264 "gift"
} | stmt REV-1 > "$T/rev.xml"
expect_ok import_statement import statement "$T/rev.xml" --tenant acme --as-of 2026-11-27T08:00:00Z
check statement_counts [ "$(stat payments),$(stat review),$(stat unmatched)" = "0,2,2" ]
check ambiguous_in_review [ "$(outcome_of T-AMB)" = review ]
check usd_in_review [ "$(outcome_of T-USD)" = review ]
AMB=$(review_of T-AMB)
UNM=$(review_of T-UNM)
USD=$(review_of T-USD)
NOT=$(review_of T-NOT)
D1=$(q "SELECT id FROM invoices WHERE external_id = 'D-1'")
D2=$(q "SELECT id FROM invoices WHERE external_id = 'D-2'")
VOS=$(case_of S4)
SMIT=$(case_of S6)
WIM=$(case_of S8)
LIES=$(case_of S9)
check night_left_queued [ "$(q "SELECT COUNT(*) FROM messages WHERE case_id = $WIM AND status = 'queued'")" -ge 1 ]

PW='correct horse battery staple'
printf '%s\n' "$PW" | "$DUNWELL" operator add agent@acme.example --name "Ada Agent" --role agent --tenant acme >/dev/null
printf '%s\n' "$PW" | "$DUNWELL" operator add boss@acme.example --name "Max Manager" --role manager --tenant acme >/dev/null
AGENT=$(q "SELECT id FROM operators WHERE email = 'agent@acme.example'")
BOSS=$(q "SELECT id FROM operators WHERE email = 'boss@acme.example'")

# The tenant listens for write-offs and closes (the cursor starts now).
expect_ok webhook_add webhook add "http://127.0.0.1:9/hooks/acme" --events "case.written_off case.resolved" --tenant acme

serve_start "$T/serve.log" --threads 2 --as-of 2026-11-27T12:00:00Z || finish
C="$BASE/console/acme"
JAR="$T/jar"
MJAR="$T/mjar"
# hc METHOD URL [CURL ARGS]: status in $code, body in $T/body, headers in $T/hdr.
hc() {
	local m=$1 u=$2
	shift 2
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$u")
}
has() { grep -qF -- "$1" "$T/body"; }
csrf() { grep -oE 'name="csrf" value="[0-9a-f]+"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//'; }

hc POST "$C/login" -c "$JAR" --data-urlencode "email=agent@acme.example" --data-urlencode "password=$PW"
check agent_login [ "$code" = 303 ]

# ---- the queue links each payment to its review page ---------------------
hc GET "$C" -b "$JAR"
check queue_ok [ "$code" = 200 ]
check queue_links_review has "href=\"/console/acme/review/$AMB\""
check queue_links_every_review [ "$(grep -c 'href="/console/acme/review/' "$T/body")" = 4 ]

# ---- the page ---------------------------------------------------------------
hc GET "$C/review/$AMB"
check review_needs_session [ "$code" = 303 ]
hc GET "$C/review/$AMB" -b "$JAR"
check review_page [ "$code" = 200 ]
check review_shows_amount grep -qE '<dt>Amount</dt><dd>[^<]*30\.00' "$T/body"
check review_shows_booked has '2026-11-26'
check review_shows_debtor has 'K. Vos'
check review_shows_iban has 'NL44RABO0123456780'
check review_shows_text has 'Factuur D-1 en D-2'
check review_shows_reason has "$(q "SELECT reason FROM review_items WHERE id = $AMB")"
check review_two_candidates [ "$(grep -c 'Apply to this invoice' "$T/body")" = 2 ]
check review_candidate_customers python3 -c 'import sys; s=open(sys.argv[1]).read(); sys.exit(0 if "Kees Vos (S4)" in s and "Dirk Visser (S7)" in s else 1)' "$T/body"
check review_candidate_case_link has "href=\"/console/acme/cases/$VOS\""
check review_no_style_attribute sh -c "! grep -q 'style=' '$T/body'"
check review_csp grep -qi "^Content-Security-Policy: .*style-src 'self'" "$T/hdr"
RT=$(csrf)
hc GET "$C/review/999999" -b "$JAR"
check review_unknown_404 [ "$code" = 404 ]

# ---- refusals write nothing -------------------------------------------------
before=$(db_digest)
hc POST "$C/review/$AMB" -b "$JAR" --data "action=apply&target=invoice&id=$D1"
check apply_without_csrf_403 [ "$code" = 403 ]
hc POST "$C/review/$AMB" --data "csrf=$RT&action=apply&target=invoice&id=$D1"
check apply_without_session_303 [ "$code" = 303 ]
hc POST "$C/review/$AMB" -b "$JAR" -H "Origin: http://evil.example" --data "csrf=$RT&action=apply&target=invoice&id=$D1"
check apply_cross_site_403 [ "$code" = 403 ]
hc POST "$C/review/$AMB" -b "$JAR" --data "csrf=$RT&action=apply&target=invoice&id=0"
check apply_no_target_422 [ "$code" = 422 ]
hc POST "$C/review/$USD" -b "$JAR" --data "csrf=$RT&action=apply&target=invoice&id=$D2"
check usd_to_eur_refused [ "$code" = 422 ]
check usd_to_eur_says_why has 'in USD and the invoice in EUR'
hc POST "$C/review/$NOT" -b "$JAR" --data "csrf=$RT&action=not_ours&reason="
check not_ours_needs_reason [ "$code" = 422 ]
check refusals_changed_nothing [ "$(db_digest)" = "$before" ]
hc GET "$C/review/$USD" -b "$JAR"
check usd_page_says_why has 'In EUR: a payment in USD cannot be applied to it.'
check usd_page_no_button [ "$(grep -c 'Apply to this invoice' "$T/body")" = 0 ]

# ---- applying to a candidate --------------------------------------------------
hc POST "$C/review/$AMB" -b "$JAR" --data "csrf=$RT&action=apply&target=invoice&id=$D1"
check apply_303 [ "$code" = 303 ]
check apply_back_to_page grep -qi "^Location: /console/acme/review/$AMB" "$T/hdr"
check payment_recorded [ "$(q "SELECT COUNT(*) || '|' || SUM(amount_minor) || '|' || MIN(currency) FROM payments WHERE external_id = 'bank:T-AMB'")" = "1|3000|EUR" ]
check payment_to_customer [ "$(q "SELECT c.external_id FROM payments p JOIN customers c ON c.id = p.customer_id WHERE p.external_id = 'bank:T-AMB'")" = S4 ]
check invoice_paid [ "$(open_of D-1),$(open_of D-2)" = "0,3000" ]
check case_resolved [ "$(q "SELECT status FROM cases WHERE id = $VOS")" = resolved ]
check entry_payment [ "$(q "SELECT outcome || '|' || rule || '|' || payment_external_id || '|' || case_id || '|' || invoice_id FROM statement_entries WHERE bank_ref = 'T-AMB'")" = "payment|manual|bank:T-AMB|$VOS|$D1" ]
check item_done [ "$(q "SELECT status FROM review_items WHERE id = $AMB")" = done ]
check item_resolved_at [ -n "$(q "SELECT resolved_at FROM review_items WHERE id = $AMB")" ]
check payer_learnt [ "$(q "SELECT c.external_id || '|' || p.name FROM payer_accounts p JOIN customers c ON c.id = p.customer_id WHERE p.iban = 'NL44RABO0123456780'")" = "S4|K. Vos" ]
check event_names_operator [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $VOS AND kind = 'payment.matched' AND detail LIKE '%\"operator\":$AGENT,%'")" = 1 ]
check payment_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $VOS AND kind IN ('payment.received', 'invoice.paid', 'case.resolved')")" = 3 ]
check thank_you_queued [ "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $VOS AND step LIKE 'confirm.%'")" -ge 1 ]
hc GET "$C" -b "$JAR"
check item_gone_from_queue sh -c "! grep -q 'href=\"/console/acme/review/$AMB\"' '$T/body'"
hc GET "$C/review/$AMB" -b "$JAR"
check page_says_dealt_with has 'Dealt with at'
check page_no_more_buttons [ "$(grep -c 'Apply to this' "$T/body")" = 0 ]
before=$(db_digest)
hc POST "$C/review/$AMB" -b "$JAR" --data "csrf=$RT&action=apply&target=invoice&id=$D2"
check second_decision_409 [ "$code" = 409 ]
check second_decision_changed_nothing [ "$(db_digest)" = "$before" ]

# ---- the customer search ------------------------------------------------------
hc GET "$C/review/$UNM" -b "$JAR"
check unmatched_page [ "$code" = 200 ]
check unmatched_no_candidates has 'The matcher found no candidate'
hc GET "$C/review/$UNM?q=smit" -b "$JAR"
check search_by_name has 'Rita Smit (S6)'
check search_offers_case [ "$(grep -c 'Apply to this case' "$T/body")" = 1 ]
hc GET "$C/review/$UNM?q=S6" -b "$JAR"
check search_by_external_id has 'Rita Smit (S6)'
hc GET "$C/review/$UNM?q=%3Cb%3Enobody" -b "$JAR"
check search_nothing_escaped has 'No customer matches <q>&lt;b&gt;nobody</q>'
hc POST "$C/review/$UNM" -b "$JAR" --data "csrf=$RT&action=apply&target=case&id=$SMIT"
check search_apply_303 [ "$code" = 303 ]
check search_apply_paid [ "$(open_of R-1)|$(q "SELECT status FROM cases WHERE id = $SMIT")" = "0|resolved" ]
check search_apply_entry [ "$(q "SELECT outcome || '|' || rule || '|' || case_id FROM statement_entries WHERE bank_ref = 'T-UNM'")" = "payment|manual|$SMIT" ]

# ---- not ours -------------------------------------------------------------------
hc POST "$C/review/$NOT" -b "$JAR" --data-urlencode "csrf=$RT" --data-urlencode "action=not_ours" --data-urlencode "reason=Returned to the sender <b>by hand</b>"
check not_ours_303 [ "$code" = 303 ]
check not_ours_no_payment [ "$(q "SELECT COUNT(*) FROM payments WHERE external_id = 'bank:T-NOT'")" = 0 ]
check not_ours_entry [ "$(q "SELECT outcome || '|' || rule FROM statement_entries WHERE bank_ref = 'T-NOT'")" = "ignored|manual" ]
check not_ours_reason_kept [ "$(q "SELECT reason FROM statement_entries WHERE bank_ref = 'T-NOT'")" = "not ours (operator $AGENT): Returned to the sender <b>by hand</b>" ]
check not_ours_done [ "$(q "SELECT status FROM review_items WHERE id = $NOT")" = done ]
hc GET "$C" -b "$JAR"
check queue_keeps_the_usd_one [ "$(grep -c 'href="/console/acme/review/' "$T/body")" = 1 ]

# ---- write-off and close ------------------------------------------------------------
hc GET "$C/cases/$WIM" -b "$JAR"
check agent_sees_no_write_off sh -c "! grep -q 'Write the debt off' '$T/body' && ! grep -q 'Close the case' '$T/body'"
CT=$(csrf)
hc POST "$C/login" -c "$MJAR" --data-urlencode "email=boss@acme.example" --data-urlencode "password=$PW"
check manager_login [ "$code" = 303 ]
before=$(db_digest)
hc POST "$C/cases/$WIM" -b "$JAR" --data "csrf=$CT&action=write_off&reason=gone&confirm=yes"
check agent_write_off_403 [ "$code" = 403 ]
hc POST "$C/cases/$LIES" -b "$JAR" --data "csrf=$CT&action=close&reason=paid+cash&confirm=yes"
check agent_close_403 [ "$code" = 403 ]
hc GET "$C/cases/$WIM" -b "$MJAR"
check manager_sees_write_off has 'Write the debt off'
check manager_sees_close has 'Close the case'
check manager_sees_confirmation has 'I understand that the open invoices are written off'
MT=$(csrf)
hc POST "$C/cases/$WIM" -b "$MJAR" --data "action=write_off&reason=gone&confirm=yes"
check write_off_without_csrf_403 [ "$code" = 403 ]
hc POST "$C/cases/$WIM" -b "$MJAR" --data "csrf=$MT&action=write_off&reason=gone"
check write_off_needs_confirmation [ "$code" = 422 ]
hc POST "$C/cases/$WIM" -b "$MJAR" --data "csrf=$MT&action=write_off&confirm=yes"
check write_off_needs_reason [ "$code" = 422 ]
check refused_ends_changed_nothing [ "$(db_digest)" = "$before" ]
hc POST "$C/cases/$WIM" -b "$MJAR" --data-urlencode "csrf=$MT" --data-urlencode "action=write_off" --data-urlencode "reason=Moved abroad, \"untraceable\"" --data-urlencode "confirm=yes"
check write_off_303 [ "$code" = 303 ]
check written_off_case [ "$(q "SELECT status FROM cases WHERE id = $WIM")" = written_off ]
check written_off_closed_on [ "$(q "SELECT closed_on FROM cases WHERE id = $WIM")" = 2026-11-27 ]
check written_off_invoice [ "$(q "SELECT CAST(written_off AS INTEGER) || '|' || open_minor FROM invoices WHERE external_id = 'W-1'")" = "1|5500" ]
check written_off_event [ "$(q "SELECT detail FROM case_events WHERE case_id = $WIM AND kind = 'case.written_off'" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["operator"], d["reason"], d["written_off_minor"], d["messages_cancelled"] >= 1)')" = "$BOSS Moved abroad, \"untraceable\" 5500 True" ]
check written_off_nothing_queued [ "$(q "SELECT COUNT(*) FROM messages WHERE case_id = $WIM AND status = 'queued'")" = 0 ]
check written_off_cancelled [ "$(q "SELECT COUNT(*) FROM messages WHERE case_id = $WIM AND status = 'cancelled' AND last_error = 'written off'")" -ge 1 ]
hc GET "$C/cases/$WIM" -b "$MJAR"
check written_off_no_more_button sh -c "! grep -q 'Write the debt off' '$T/body'"
hc POST "$C/cases/$WIM" -b "$MJAR" --data "csrf=$MT&action=write_off&reason=again&confirm=yes"
check write_off_twice_409 [ "$code" = 409 ]
hc POST "$C/cases/$LIES" -b "$MJAR" --data-urlencode "csrf=$MT" --data-urlencode "action=close" --data-urlencode "reason=Paid in the shop" --data-urlencode "confirm=yes"
check close_303 [ "$code" = 303 ]
check closed_case [ "$(q "SELECT status FROM cases WHERE id = $LIES")" = resolved ]
check closed_invoice_settled [ "$(open_of L-1)" = 0 ]
check closed_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $LIES AND kind = 'case.resolved' AND detail LIKE '%\"operator\":$BOSS,%' AND detail LIKE '%Paid in the shop%'")" = 1 ]
check closed_nothing_queued [ "$(q "SELECT COUNT(*) FROM messages WHERE case_id = $LIES AND status = 'queued'")" = 0 ]
serve_stop

# ---- the statement again, and the next payment from the learnt account ----------
before=$(db_digest)
expect_ok reimport import statement "$T/rev.xml" --tenant acme --as-of 2026-11-28T08:00:00Z
check reimport_duplicates [ "$(stat duplicates),$(stat payments)" = "4,0" ]
check reimport_changes_nothing [ "$(db_digest)" = "$before" ]
cat > "$T/invoices2.csv" <<'CSV'
external_id,customer_id,number,issue_date,due_date,amount,currency,payment_reference
D-3,S4,D-3,2026-11-20,2026-12-20,25.00,EUR,
CSV
expect_ok import_next_invoice import invoices "$T/invoices2.csv" --tenant acme
ntry T-NEXT 25.00 EUR "K. Vos" NL44RABO0123456780 "" | stmt REV-2 > "$T/rev2.xml"
expect_ok import_next import statement "$T/rev2.xml" --tenant acme --as-of 2026-11-28T09:00:00Z
check next_matches_by_itself [ "$(q "SELECT outcome || '|' || rule FROM statement_entries WHERE bank_ref = 'T-NEXT'")" = "payment|amount_iban" ]
check next_paid [ "$(open_of D-3)" = 0 ]

# ---- the tenant hears of the write-off and the close ------------------------------
expect_ok dispatch_webhooks dispatch --tenant acme --as-of 2026-11-28T10:00:00Z --outbox "$T/outbox2"
expect_ok deliver_webhooks webhook deliver --tenant acme --as-of 2026-11-28T10:00:00Z
check webhook_written_off [ "$(q "SELECT COUNT(*) FROM webhook_deliveries d JOIN case_events v ON v.id = d.event_id WHERE v.case_id = $WIM AND d.kind = 'case.written_off'")" = 1 ]
check webhook_closed [ "$(q "SELECT COUNT(*) FROM webhook_deliveries d JOIN case_events v ON v.id = d.event_id WHERE v.case_id = $LIES AND d.kind = 'case.resolved'")" = 1 ]
check nothing_sent_after_write_off [ "$(q "SELECT COUNT(*) FROM messages WHERE case_id IN ($WIM, $LIES) AND status = 'sent'")" = 0 ]
check no_orphans [ "$(orphans)" = 0 ]
finish
