# The team's console (issue #9) over real HTTP: operators sign in (wrong
# passwords refused with one message and rate-limited; the session cookie
# HttpOnly, SameSite=Strict, scoped to the tenant's console), the queue
# lists what needs a person most urgent first (a help request from the
# personal page, a vulnerable customer's case), an agent works a case
# (note, pause and resume, a moratorium after which no message goes out,
# marking a request done, resending the personal link) and every change is
# a case event naming the operator; without a session or the form's token
# nothing changes; an operator of one tenant never reaches another's
# cases. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --name "Acme Energy" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" tenant add beta --name "Beta Water" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
"$DUNWELL" run --tenant acme --as-of 2026-11-20T09:00:00Z >/dev/null
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$T/outbox" >/dev/null
ANNA=$(portal_link C1 "$T/outbox")
[ -n "$ANNA" ] || { fail links_found; finish; }

PW='correct horse battery staple'
printf '%s\n' "$PW" | "$DUNWELL" operator add agent@acme.example --name "Ada Agent" --role agent --tenant acme >/dev/null
printf '%s\n' "$PW" | "$DUNWELL" operator add boss@beta.example --name "Bea Boss" --role admin --tenant beta >/dev/null
run_dw operator add short@acme.example --name Short --role agent --tenant acme </dev/null
check short_password_refused [ "$rc" != 0 ]

serve_start "$T/serve.log" --threads 2 --as-of 2026-11-21T12:00:00Z || finish
C="$BASE/console/acme"
JAR="$T/jar"
# hc METHOD URL [CURL ARGS]: status in $code, body in $T/body, headers in $T/hdr.
hc() {
	local m=$1 u=$2
	shift 2
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$u")
}
has() { grep -q -- "$1" "$T/body"; }
csrf() { grep -oE 'name="csrf" value="[0-9a-f]+"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//'; }

# A help request from the personal page, for the queue.
hc GET "$BASE/p/$ANNA/help"
PT=$(csrf)
hc POST "$BASE/p/$ANNA/help" --data "csrf=$PT&reason=income&message=lost+my+job&via=phone"
check help_requested [ "$code" = 303 ]

# ---- signing in ---------------------------------------------------------
hc GET "$C"
check queue_needs_session [ "$code" = 303 ]
check redirect_to_login grep -qi "^Location: /console/acme/login" "$T/hdr"
hc GET "$C/login"
check login_page [ "$code" = 200 ]
hc POST "$C/login" --data-urlencode "email=agent@acme.example" --data-urlencode "password=wrong password here"
check wrong_password_422 [ "$code" = 422 ]
check wrong_password_message has 'Wrong e-mail address or password.'
hc POST "$C/login" --data-urlencode "email=nobody@acme.example" --data-urlencode "password=$PW"
check unknown_email_same_message has 'Wrong e-mail address or password.'
hc POST "$C/login" --data-urlencode "email=boss@beta.example" --data-urlencode "password=$PW"
check other_tenants_operator_refused [ "$code" = 422 ]
hc POST "$C/login" -c "$JAR" --data-urlencode "email=agent@acme.example" --data-urlencode "password=$PW"
check login_303 [ "$code" = 303 ]
check cookie_httponly grep -qi "^Set-Cookie: dw_console=.*HttpOnly" "$T/hdr"
check cookie_samesite grep -qi "^Set-Cookie: dw_console=.*SameSite=Strict" "$T/hdr"
check cookie_path grep -qi "^Set-Cookie: dw_console=.*Path=/console/acme" "$T/hdr"

# ---- the queue -------------------------------------------------------------
hc GET "$C" -b "$JAR"
check queue_ok [ "$code" = 200 ]
check queue_lists_help has 'Asked for help'
check queue_lists_vulnerable has 'Vulnerable customer'
check queue_help_first python3 -c 'import sys; s=open(sys.argv[1]).read(); sys.exit(0 if 0 <= s.find("Asked for help") < s.find("Vulnerable customer") else 1)' "$T/body"
CASE=$(q "SELECT case_id FROM requests WHERE kind = 'help'")
check queue_links_case has "/console/acme/cases/$CASE"

# ---- working a case ----------------------------------------------------------
hc GET "$C/cases/$CASE" -b "$JAR"
check case_page [ "$code" = 200 ]
check case_shows_words has 'lost my job'
CT=$(csrf)
before=$(db_digest)
hc POST "$C/cases/$CASE" -b "$JAR" --data "action=note&note=called"
check action_without_csrf_403 [ "$code" = 403 ]
hc POST "$C/cases/$CASE" --data "csrf=$CT&action=note&note=called"
check action_without_session_303 [ "$code" = 303 ]
check refused_actions_changed_nothing [ "$(db_digest)" = "$before" ]
hc POST "$C/cases/$CASE" -b "$JAR" --data-urlencode "csrf=$CT" --data-urlencode "action=note" --data-urlencode "note=Called her; offered a plan <b>tomorrow</b>"
check note_303 [ "$code" = 303 ]
check note_recorded [ "$(q "SELECT body FROM case_notes WHERE case_id = $CASE")" = "Called her; offered a plan <b>tomorrow</b>" ]
check note_event_names_operator [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE AND kind = 'note.added' AND detail LIKE '%\"operator\":%'")" = 1 ]
hc GET "$C/cases/$CASE" -b "$JAR"
check note_escaped has 'offered a plan &lt;b&gt;tomorrow&lt;/b&gt;'
REQ=$(q "SELECT id FROM requests WHERE kind = 'help'")
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=done&request=$REQ"
check request_done [ "$(q "SELECT status FROM requests WHERE id = $REQ")" = done ]
hc GET "$C" -b "$JAR"
check done_request_leaves_queue sh -c "! grep -q 'Asked for help' '$T/body'"
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=resume"
check resume_lifts_hold [ "$(q "SELECT hold_reason FROM cases WHERE id = $CASE")" = none ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=pause&until=2026-12-01"
check pause_holds [ "$(q "SELECT hold_reason || ' ' || hold_until FROM cases WHERE id = $CASE")" = "agent 2026-12-01" ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=pause&until=yesterday"
check pause_bad_date_422 [ "$code" = 422 ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=resend"
check resend_queued [ "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $CASE AND step LIKE 'confirm.link.%'")" = 1 ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=resume"
# A later date and a plan agreed on the customer's behalf: the same rules,
# hold, event (naming the operator) and confirmation as on their page.
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=later&until=2027-06-01"
check later_beyond_limit_422 [ "$code" = 422 ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=later&until=2026-12-05"
check later_agreed [ "$(q "SELECT hold_reason || ' ' || hold_until FROM cases WHERE id = $CASE")" = "postponed 2026-12-05" ]
check later_event_names_operator [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE AND kind = 'promise.made' AND detail LIKE '%\"source\":\"agent\",\"operator\":%'")" = 1 ]
check later_confirmation_queued [ "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $CASE AND step LIKE 'confirm.later.%'")" = 1 ]
SMIT=$(q "SELECT k.id FROM cases k JOIN customers c ON c.id = k.customer_id WHERE c.external_id = 'C2' AND k.status = 'open'")
hc GET "$C/cases/$SMIT" -b "$JAR"
check plan_form_offered has 'An instalment plan, on the customer'
hc POST "$C/cases/$SMIT" -b "$JAR" --data "csrf=$CT&action=plan&months=40&day=15"
check plan_too_many_months_422 [ "$code" = 422 ]
hc POST "$C/cases/$SMIT" -b "$JAR" --data "csrf=$CT&action=plan&months=3&day=15"
check plan_agreed_303 [ "$code" = 303 ]
check plan_by_agent [ "$(q "SELECT months || ' ' || day_of_month || ' ' || source FROM plans WHERE case_id = $SMIT")" = "3 15 agent" ]
check plan_event_names_operator [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $SMIT AND kind = 'plan.created' AND detail LIKE '%\"operator\":%'")" = 1 ]
hc POST "$C/cases/$SMIT" -b "$JAR" --data "csrf=$CT&action=plan&months=3&day=15"
check plan_only_one [ "$code" = 409 ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=resume"
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=moratorium&until=2027-02-28"
check moratorium_set [ "$(q "SELECT moratorium_until FROM customers WHERE external_id = 'C1'")" = 2027-02-28 ]
check moratorium_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE AND kind = 'moratorium.set'")" = 1 ]
hc POST "$C/cases/$CASE" -b "$JAR" --data "csrf=$CT&action=explode"
check unknown_action_422 [ "$code" = 422 ]

# Another tenant's operator never reaches this case.
hc POST "$BASE/console/beta/login" -c "$T/jar2" --data-urlencode "email=boss@beta.example" --data-urlencode "password=$PW"
check beta_login [ "$code" = 303 ]
hc GET "$BASE/console/beta/cases/$CASE" -b "$T/jar2"
check other_tenant_case_404 [ "$code" = 404 ]
hc GET "$C/cases/$CASE" -b "$T/jar2"
check beta_cookie_not_for_acme [ "$code" = 303 ]

# Wrong passwords are rate-limited: after 5 failures even the right one waits.
for _ in 1 2 3 4 5; do
	hc POST "$C/login" --data-urlencode "email=agent@acme.example" --data-urlencode "password=wrong password again"
done
hc POST "$C/login" --data-urlencode "email=agent@acme.example" --data-urlencode "password=$PW"
check login_rate_limited [ "$code" = 429 ]

# Signing out ends the session.
hc GET "$C" -b "$JAR"
CT=$(csrf)
hc POST "$C/logout" -b "$JAR" --data "csrf=$CT"
check logout_303 [ "$code" = 303 ]
hc GET "$C" -b "$JAR"
check session_ended [ "$code" = 303 ]
serve_stop

# The customer receives the plan the agent set up.
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T12:30:00Z --outbox "$T/outbox1" >/dev/null
check plan_confirmation_sent [ "$(q "SELECT status FROM messages WHERE case_id = $SMIT AND step LIKE 'confirm.plan.%'")" = sent ]

# After the moratorium nothing goes out to her until it ends.
"$DUNWELL" run --tenant acme --as-of 2026-12-20T09:00:00Z >/dev/null
"$DUNWELL" dispatch --tenant acme --as-of 2026-12-20T09:30:00Z --outbox "$T/outbox2" >/dev/null
check nothing_during_moratorium [ "$(q "SELECT COUNT(*) FROM messages m JOIN customers c ON c.id = m.customer_id WHERE c.external_id = 'C1' AND m.status = 'sent' AND m.sent_at >= '2026-12-01'")" = 0 ]
check no_orphans [ "$(orphans)" = 0 ]
finish
