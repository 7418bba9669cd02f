# The customer's personal page (issue #6) over real HTTP: the link from a
# message opens the case page (security headers, no token in the access
# log, unknown tokens rate-limited, expired and revoked links refused);
# choosing a later date, setting up a plan, asking for help and a call
# back, disputing an invoice and changing preferences each write their
# rows, case event and hold in one go and are refused without the form's
# CSRF token; paying through the built-in test provider records the
# payment once, resolves the case, tells the tenant (events) and queues a
# thank-you that dispatch sends although the case is closed; the page can
# be listened to. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --name "Acme Energy" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
# The shared invoices, the first with a copy on the tenant's own site.
awk -F, -v OFS=, 'NR == 1 { print $0, "document_url"; next }
	$1 == "I1" { print $0, "https://billing.acme.example/i/2026-0001.pdf?v=1&lang=nl"; next }
	{ print $0, "" }' "$I/invoices.csv" >"$T/invoices.csv"
"$DUNWELL" import invoices "$T/invoices.csv" --tenant acme >/dev/null
# A copy that is not a web address is refused, naming the line: nothing
# of that file is written.
printf 'external_id,customer_id,issue_date,due_date,amount,currency,document_url\nI9,C1,2026-10-01,2026-10-15,1.00,EUR,https://ok.example/a.pdf\nI10,C1,2026-10-01,2026-10-15,1.00,EUR,javascript:alert(1)\n' >"$T/bad_doc.csv"
"$DUNWELL" import invoices "$T/bad_doc.csv" --tenant acme >"$T/bad_doc.out" 2>&1
check import_document_refused [ $? -ne 0 ]
check import_document_names_place grep -q "bad_doc.csv:3: field 'document_url'" "$T/bad_doc.out"
check import_document_nothing_written [ "$(q "SELECT count(*) FROM invoices WHERE external_id IN ('I9','I10')")" = 0 ]
for kv in "iban NL91ABNA0417164300" "bic ABNANL2A" "checkout test" \
	"public_url https://pay.acme.example" "help_phone +31201234567"; do
	set -- $kv
	"$DUNWELL" tenant set "$1" "$2" --tenant acme >/dev/null
done
"$DUNWELL" run --tenant acme --as-of 2026-11-20T09:00:00Z >/dev/null
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$T/outbox" >/dev/null

ANNA=$(portal_link C1 "$T/outbox")
SMIT=$(portal_link C2 "$T/outbox")
OTHER=$(portal_link C3 "$T/outbox")
if [ -z "$ANNA" ] || [ -z "$SMIT" ] || [ -z "$OTHER" ]; then
	fail links_found "no personal link in the outbox for C1, C2 or C3"
	finish
fi
LOG="$T/serve.log"
serve_start "$LOG" --threads 2 --as-of 2026-11-21T12:00:00Z || finish

# hc METHOD PATH [CURL ARGS...]: status in $code, body in $T/body,
# headers in $T/hdr.
hc() {
	local m=$1 p=$2
	shift 2
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$BASE$p")
}
has() { grep -q -- "$1" "$T/body"; }
hdr() { grep -qi -- "$1" "$T/hdr"; }
csrf() { grep -oE 'name="csrf" value="[0-9a-f]{32}"' "$T/body" | head -1 | grep -oE '[0-9a-f]{32}'; }

# ---- the case page -------------------------------------------------------
hc GET "/p/$ANNA" -H 'Accept-Language: en'
check page_ok [ "$code" = 200 ]
check page_in_dutch_from_profile has '<html lang="nl">'
check page_names_customer has 'Anna de Vries'
check page_lists_invoices has '2026-0001'
check page_invoice_copy_link has 'href="https://billing.acme.example/i/2026-0001.pdf?v=1&amp;lang=nl">Kopie van factuur 2026-0001</a>'
check page_invoice_copy_only_given [ "$(grep -c 'class="copy"' "$T/body")" = 1 ]
check page_total_in_euro has 'EUR'
check page_offers_ways_out sh -c "grep -q '/p/$ANNA/later' '$T/body' && grep -q '/p/$ANNA/plan' '$T/body' && grep -q '/p/$ANNA/help' '$T/body'"
check page_has_main_landmark has '<main id="main">'
check page_csp hdr "Content-Security-Policy: default-src 'none'; style-src 'self'"
check page_no_store hdr 'Cache-Control: no-store'
check page_nosniff hdr 'X-Content-Type-Options: nosniff'
check page_no_referrer hdr 'Referrer-Policy: no-referrer'
check page_no_script sh -c "! grep -qi '<script' '$T/body'"
check page_under_50kb [ "$(wc -c <"$T/body")" -lt 51200 ]
hc GET "/p/$ANNA?lang=fr"
check switcher_french has '<html lang="fr">'
check switcher_kept_in_links has "/p/$ANNA/pay?lang=fr"
hc GET "/p/$ANNA?lang=en&plain=1"
check plain_english has '<html lang="en">'
# Three views of one case on one day: one visit for the reports.
check visit_recorded_once [ "$(q "SELECT COUNT(*) || ' ' || MIN(day) FROM portal_visits")" = "1 2026-11-21" ]

# Unknown tokens: 404, then 429 once the address has used up its tries.
hc GET /p/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
check unknown_token_404 [ "$code" = 404 ]
hc GET /p/not-a-token
check malformed_token_404 [ "$code" = 404 ]
for _ in $(seq 1 12); do hc GET /p/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB; done
check unknown_tokens_rate_limited [ "$code" = 429 ]
check rate_limit_retry_after hdr 'Retry-After: '
hc GET "/p/$ANNA"
check real_token_not_limited [ "$code" = 200 ]

# ---- a later date --------------------------------------------------------
hc GET "/p/$ANNA/later?lang=en"
check later_form [ "$code" = 200 ]
TOKEN=$(csrf)
check later_form_has_csrf [ -n "$TOKEN" ]
check later_date_min has 'min="2026-11-22"'
before=$(db_digest)
hc POST "/p/$ANNA/later" --data 'date=2026-12-10'
check later_without_csrf_403 [ "$code" = 403 ]
hc POST "/p/$ANNA/later" --data "csrf=$TOKEN&date=2026-12-10" -H 'Origin: https://evil.example'
check later_foreign_origin_403 [ "$code" = 403 ]
hc POST "/p/$ANNA/later?lang=en" --data "csrf=$TOKEN&date=2027-03-01"
check later_too_far_422 [ "$code" = 422 ]
check later_error_tied_to_field has 'aria-describedby="date-error"'
hc POST "/p/$ANNA/later?lang=en" --data "csrf=$TOKEN&date=tomorrow"
check later_not_a_date_422 [ "$code" = 422 ]
check later_refusals_wrote_nothing [ "$(db_digest)" = "$before" ]
hc POST "/p/$ANNA/later" --data "csrf=$TOKEN&date=2026-12-10"
check later_303 [ "$code" = 303 ]
check later_to_done hdr "Location: /p/$ANNA/done?what=later"
CASE_ANNA=$(q "SELECT l.case_id FROM links l WHERE l.token_hash = '$(printf '%s' "$ANNA" | sha256sum | cut -d' ' -f1)'")
check later_holds_case [ "$(q "SELECT hold_reason || ' ' || hold_until FROM cases WHERE id = $CASE_ANNA")" = "postponed 2026-12-10" ]
check later_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_ANNA AND kind = 'promise.made'")" = 1 ]
check later_confirmation_queued [ "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $CASE_ANNA AND step LIKE 'confirm.later.%' AND template = 'promise_confirmed'")" = 1 ]
hc GET "/p/$ANNA/done?what=later&lang=en"
check done_page_names_date has 'December 10, 2026'
hc POST "/p/$ANNA/later" --data "csrf=$TOKEN&date=2026-12-12"
check later_only_once_409 [ "$code" = 409 ]
check later_once_event_count [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_ANNA AND kind = 'promise.made'")" = 1 ]

# ---- an instalment plan --------------------------------------------------
hc GET "/p/$SMIT/plan?lang=en"
check plan_form [ "$code" = 200 ]
check plan_offers_twelve has '<option value="12"'
TOKEN=$(csrf)
hc POST "/p/$SMIT/plan?lang=en" --data "csrf=$TOKEN&step=preview&months=3&day=31"
check plan_preview [ "$code" = 200 ]
check plan_preview_short_month has 'November 30, 2026'
check plan_preview_schedule has 'December 31, 2026'
check plan_preview_third has 'January 31, 2027'
check plan_preview_wrote_nothing [ "$(q "SELECT COUNT(*) FROM plans")" = 0 ]
hc POST "/p/$SMIT/plan?lang=en" --data "csrf=$TOKEN&step=confirm&months=40&day=31"
check plan_months_out_of_range_422 [ "$code" = 422 ]
hc POST "/p/$SMIT/plan" --data "csrf=$TOKEN&step=confirm&months=3&day=31"
check plan_303 [ "$code" = 303 ]
check plan_row [ "$(q "SELECT months || ' ' || day_of_month || ' ' || total_minor || ' ' || status FROM plans")" = "3 31 420000 active" ]
check plan_instalments [ "$(q "SELECT amount_minor FROM plan_instalments ORDER BY n" | paste -sd,)" = "140000,140000,140000" ]
CASE_SMIT=$(q "SELECT case_id FROM plans")
check plan_holds_case [ "$(q "SELECT hold_reason || ' ' || hold_until FROM cases WHERE id = $CASE_SMIT")" = "plan 2026-12-07" ]
check plan_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_SMIT AND kind = 'plan.created'")" = 1 ]
hc POST "/p/$SMIT/plan" --data "csrf=$TOKEN&step=confirm&months=3&day=31"
check plan_only_one_409 [ "$code" = 409 ]
hc GET "/p/$SMIT?lang=en"
check page_shows_plan has 'Your payment plan'

# ---- help, call back, dispute --------------------------------------------
hc GET "/p/$OTHER/help?lang=en"
TOKEN=$(csrf)
hc POST "/p/$OTHER/help?lang=en" --data "csrf=$TOKEN&message=hello"
check help_needs_reason_422 [ "$code" = 422 ]
check help_keeps_message has '>hello</textarea>'
hc POST "/p/$OTHER/help" --data-urlencode "csrf=$TOKEN" --data-urlencode 'reason=illness' \
	--data-urlencode 'message=<b>I am in hospital</b> until January' --data-urlencode 'via=email'
check help_303 [ "$code" = 303 ]
CASE_OTHER=$(q "SELECT case_id FROM requests WHERE kind = 'help'")
before=$(db_digest)
hc POST "/p/$OTHER/help" --data-urlencode "csrf=$TOKEN" --data-urlencode 'reason=illness' \
	--data-urlencode 'message=<b>I am in hospital</b> until January' --data-urlencode 'via=email'
check help_replayed_303 [ "$code" = 303 ]
check help_replay_changed_nothing [ "$(db_digest)" = "$before" ]
python3 -c 'print("x" * 2001, end="")' >"$T/long.txt"
hc POST "/p/$OTHER/help?lang=en" --data-urlencode "csrf=$TOKEN" --data-urlencode 'reason=other' \
	--data-urlencode "message@$T/long.txt"
check help_oversized_422 [ "$code" = 422 ]
check help_oversized_says_why has 'too long'
check help_oversized_changed_nothing [ "$(db_digest)" = "$before" ]
check help_row [ "$(q "SELECT reason || '|' || contact_via || '|' || status FROM requests WHERE kind = 'help'")" = "illness|email|open" ]
check help_message_kept_as_written [ "$(q "SELECT message FROM requests WHERE kind = 'help'")" = "<b>I am in hospital</b> until January" ]
check help_pauses_case [ "$(q "SELECT hold_reason || ' ' || hold_until FROM cases WHERE id = $CASE_OTHER")" = "agent 2026-12-05" ]
check help_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_OTHER AND kind = 'help.requested'")" = 1 ]
hc GET "/p/$OTHER?lang=en"
check help_shown_on_page has 'you asked for help'
hc POST "/p/$OTHER/callback" --data "csrf=$TOKEN&date=2026-11-24&slot=14"
check callback_303 [ "$code" = 303 ]
# 14:00 in London (the customer's zone) is 14:00 UTC in November.
check callback_time_in_utc [ "$(q "SELECT callback_at FROM requests WHERE kind = 'callback'" | cut -c1-19 | tr ' ' 'T')" = "2026-11-24T14:00:00" ]
hc POST "/p/$OTHER/callback?lang=en" --data "csrf=$TOKEN&date=2026-11-21&slot=14"
check callback_today_422 [ "$code" = 422 ]
hc GET "/p/$OTHER/dispute?lang=en"
INV=$(grep -oE 'name="invoice" id="inv-[0-9]+"' "$T/body" | head -1 | grep -oE '[0-9]+"$' | tr -d '"')
hc POST "/p/$OTHER/dispute" --data "csrf=$TOKEN&invoice=999999"
check dispute_foreign_invoice_422 [ "$code" = 422 ]
hc POST "/p/$OTHER/dispute" --data "csrf=$TOKEN&invoice=$INV&message=never+ordered"
check dispute_303 [ "$code" = 303 ]
check dispute_marks_invoice [ "$(q "SELECT COUNT(*) FROM invoices WHERE id = $INV AND disputed")" = 1 ]
check dispute_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_OTHER AND kind = 'dispute.opened'")" = 1 ]

# ---- preferences ---------------------------------------------------------
hc POST "/p/$OTHER/preferences" --data "csrf=$TOKEN&language=de&channel=fax"
check prefs_unknown_channel_422 [ "$code" = 422 ]
hc POST "/p/$OTHER/preferences" --data "csrf=$TOKEN&language=de"
check prefs_303 [ "$code" = 303 ]
check prefs_language_saved [ "$(q "SELECT locale FROM customers WHERE external_id = 'C3'")" = de ]
hc GET "/p/$OTHER"
check prefs_page_in_german has '<html lang="de">'

# ---- paying through the test provider ------------------------------------
hc GET "/p/$ANNA/pay?lang=en"
check pay_page [ "$code" = 200 ]
check pay_shows_iban has 'NL91ABNA0417164300'
check pay_shows_rf_reference grep -qE 'RF[0-9]{2} ' "$T/body"
check pay_has_epc_qr has '<svg'
if command -v zbarimg >/dev/null && command -v rsvg-convert >/dev/null; then
	python3 -c 'import re,sys; s=open(sys.argv[1]).read(); m=re.search(r"<svg.*?</svg>", s, re.S); open(sys.argv[2],"w").write(m.group(0))' "$T/body" "$T/qr.svg"
	rsvg-convert -w 400 "$T/qr.svg" -o "$T/qr.png" 2>/dev/null
	check pay_qr_decodes_to_epc sh -c "zbarimg -q --raw '$T/qr.png' | head -1 | grep -q '^BCD'"
fi
TOKEN=$(csrf)
hc POST "/p/$ANNA/pay" --data "csrf=$TOKEN&method=bitcoin"
check pay_unknown_method_422 [ "$code" = 422 ]
hc POST "/p/$ANNA/pay" --data "csrf=$TOKEN&method=ideal"
check pay_redirects_to_checkout [ "$code" = 303 ]
LOC=$(grep -i '^Location: ' "$T/hdr" | tr -d '\r' | cut -d' ' -f2)
CHECKOUT=${LOC%%\?*}
check checkout_recorded [ "$(q "SELECT provider || ' ' || status || ' ' || amount_minor FROM psp_checkouts")" = "test open $(q "SELECT SUM(open_minor) + 0 FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE c.external_id = 'C1' AND i.currency = 'EUR'")" ]
hc GET "$LOC"
check checkout_page [ "$code" = 200 ]
hc POST "$CHECKOUT" --data "outcome=paid&back=$ANNA"
check checkout_paid_303 [ "$code" = 303 ]
check checkout_back_to_page hdr "Location: /p/$ANNA/paid?status=paid"
check payment_recorded [ "$(q "SELECT COUNT(*) FROM payments WHERE external_id LIKE 'test:tst_%' AND method = 'test'")" = 1 ]
check invoices_paid [ "$(q "SELECT SUM(open_minor) FROM invoices i JOIN customers c ON c.id = i.customer_id WHERE c.external_id = 'C1' AND i.due_date <= '2026-11-21'")" = 0 ]
check case_resolved [ "$(q "SELECT status FROM cases WHERE id = $CASE_ANNA")" = resolved ]
check invoice_paid_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_ANNA AND kind = 'invoice.paid'")" -ge 2 ]
check case_resolved_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_ANNA AND kind = 'case.resolved'")" = 1 ]
check no_broken_promise_on_payment [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_ANNA AND kind = 'promise.broken'")" = 0 ]
check thank_you_queued [ "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $CASE_ANNA AND step LIKE 'confirm.thank_you.%'")" = 1 ]
hc POST "$CHECKOUT" --data "outcome=paid&back=$ANNA"
check checkout_paid_once_409 [ "$code" = 409 ]
check payment_once [ "$(q "SELECT COUNT(*) FROM payments WHERE external_id LIKE 'test:%'")" = 1 ]
hc GET "/p/$ANNA/paid?status=paid&lang=en"
check paid_page has 'Thank you for your payment'
hc GET "/p/$ANNA?lang=en"
check page_after_payment has 'nothing is owed'

# The thank-you and the confirmations go out although the case is closed
# or on hold.
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T12:30:00Z --outbox "$T/outbox2" >/dev/null
check thank_you_sent [ "$(q "SELECT status FROM messages WHERE case_id = $CASE_ANNA AND step LIKE 'confirm.thank_you.%'")" = sent ]
check plan_confirmation_sent [ "$(q "SELECT status FROM messages WHERE case_id = $CASE_SMIT AND step LIKE 'confirm.plan.%'")" = sent ]

# ---- listening, brand, links that no longer work -------------------------
hc GET "/p/$SMIT/listen"
check listen_ok [ "$code" = 200 ]
check listen_is_wav sh -c "head -c 4 '$T/body' | grep -q RIFF"
PAGE_WAV=$(wc -c <"$T/body")
hc GET "/p/$SMIT?lang=en"
check latest_message_offered has "/p/$SMIT/listen?what=message&amp;lang=en"
hc GET "/p/$SMIT/listen?what=message&lang=en"
check latest_message_wav sh -c "[ '$code' = 200 ] && head -c 4 '$T/body' | grep -q RIFF"
check latest_message_is_not_the_page [ "$(wc -c <"$T/body")" != "$PAGE_WAV" ]
hc GET /brand/acme.css
check brand_css sh -c "grep -q -- '--brand:#' '$T/body'"
hc GET /assets/portal.css
check portal_css [ "$code" = 200 ]
q "UPDATE links SET revoked_at = expires_at WHERE token_hash = '$(printf '%s' "$OTHER" | sha256sum | cut -d' ' -f1)'" >/dev/null
hc GET "/p/$OTHER?lang=en"
check revoked_link_410 [ "$code" = 410 ]
check revoked_names_company has 'Acme Energy'

# `dunwell link`: a fresh personal link, shown once, that works.
URL=$("$DUNWELL" link C2 --tenant acme)
check link_command_url [ "${URL#https://pay.acme.example/p/}" != "$URL" ]
hc GET "/p/${URL##*/}?lang=en"
check link_command_page [ "$code" = 200 ]
expect_fail link_unknown_customer "C99" link C99 --tenant acme

serve_stop
# The plan's first instalment (30 November) is reminded 3 days before,
# once; when it stays unpaid past its grace (7 days) the plan breaks and
# dunning resumes.
run_dw run --tenant acme --as-of 2026-11-27T09:00:00Z
check plan_reminder_counted grep -q '1 instalment reminders queued' "$T/out"
check plan_reminder_queued [ "$(q "SELECT template || ' ' || amount_minor FROM actions WHERE case_id = $CASE_SMIT AND step LIKE 'confirm.instalment.%'")" = "instalment_due 140000" ]
run_dw run --tenant acme --as-of 2026-11-28T09:00:00Z
check plan_reminder_once [ "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $CASE_SMIT AND step LIKE 'confirm.instalment.%'")" = 1 ]
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-28T09:30:00Z --outbox "$T/outbox3" >/dev/null
check plan_reminder_sent [ "$(q "SELECT status FROM messages WHERE case_id = $CASE_SMIT AND step LIKE 'confirm.instalment.%'")" = sent ]
check plan_reminder_names_amount grep -rq '1.400,00' "$T/outbox3"
run_dw run --tenant acme --as-of 2026-12-08T09:00:00Z
check plan_broken_counted grep -q '1 broken' "$T/out"
check plan_broken_row [ "$(q "SELECT status FROM plans WHERE case_id = $CASE_SMIT")" = broken ]
check plan_broken_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE_SMIT AND kind = 'plan.broken'")" = 1 ]
check plan_hold_lifted [ "$(q "SELECT hold_reason FROM cases WHERE id = $CASE_SMIT")" = none ]
check token_not_in_log sh -c "! grep -q '$ANNA' '$LOG'"
check log_shows_pattern grep -q '"/p/{token}"' "$LOG"
check no_orphans [ "$(orphans)" = 0 ]
finish
