# Failed automatic payments (issue #7, docs/charges.md), with Stripe and
# Mollie played by tests/tools/fake_psp.py in their wire formats:
#   - POST /v1/charges/failed: validation naming the field, Idempotency-Key,
#     the write scope; a failed charge opens the customer's case with the
#     event charge.failed; the same payment id again changes nothing;
#   - the daily run (--as-of) retries on the schedule's days only (never on
#     the days between, never twice a day): Stripe confirms the
#     PaymentIntent again off-session with the saved card; the fake
#     declines twice, then the charge succeeds: one payment, the case
#     resolved, invoice.paid once;
#   - a hard decline reported by the provider's own notification
#     (payment_intent.payment_failed with stolen_card) opens a case and is
#     never retried;
#   - a replayed notification changes nothing; a badly signed one is
#     refused, logged, and writes nothing;
#   - Mollie: a failed recurring SEPA debit (AM04) learnt from the
#     payment's webhook; the run creates recurring payments on the
#     customer's mandate; declined twice, then paid: one payment;
#   - a new card set up by the customer (Stripe Checkout in setup mode)
#     makes a stopped charge retry on the next business day with it.
# Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
# The daily pass and the webhook hook are wired in main.c and portal.c.
grep -q charge_run_tenant "$DUNWELL_ROOT/src/main.c" && grep -q charge_webhook "$DUNWELL_ROOT/src/portal.c" ||
	{ fail charges_wired "src/main.c or src/portal.c does not call charge_run_tenant / charge_webhook (docs/charges.md)"; finish; }
export MOLLIE_KEY=test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM
export STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc
export STRIPE_WHSEC=whsec_fakepspsecret0123456789

mkfifo "$T/psp.in"
python3 "$DUNWELL_ROOT/tests/tools/fake_psp.py" --record "$T/psp.jsonl" \
	--mollie-key "$MOLLIE_KEY" --stripe-key "$STRIPE_KEY" \
	--stripe-secret "$STRIPE_WHSEC" <"$T/psp.in" >"$T/psp.out" 2>"$T/psp.err" &
FAKE=$!
exec 7>"$T/psp.in"
for _ in $(seq 1 50); do grep -q '^PORT ' "$T/psp.out" 2>/dev/null && break; sleep 0.1; done
PSP="http://127.0.0.1:$(sed -n 's/^PORT //p' "$T/psp.out")"

cat >"$T/customers.csv" <<'EOF'
external_id,name,locale,timezone,country,segments,vulnerable,do_not_contact,moratorium_until,customer_since,email,sms,letter,channels,no_consent
C1,Anna de Vries,nl,Europe/Amsterdam,NL,consumer,false,false,,2024-03-01,anna@example.nl,,,email,
C2,Bakkerij Smit,nl,Europe/Amsterdam,NL,business,false,false,,2019-01-01,admin@smit.example,,,email,
C3,Jan Jansen,nl,Europe/Amsterdam,NL,consumer,false,false,,2021-01-01,jan@example.nl,,,email,
EOF
cat >"$T/invoices.csv" <<'EOF'
external_id,customer_id,number,issue_date,due_date,amount,open_amount,currency,payment_reference,disputed
INV-A,C1,2026-1001,2026-11-06,2026-11-20,79.95,,EUR,,
INV-B,C2,2026-1002,2026-11-06,2026-11-20,120.00,,EUR,,
INV-C,C3,2026-1003,2026-11-06,2026-11-20,15.00,,EUR,,
EOF
"$DUNWELL" tenant add acme --name "Acme Energy" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$T/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$T/invoices.csv" --tenant acme >/dev/null
RW=$("$DUNWELL" apikey create --tenant acme --scopes read,write 2>/dev/null)
RO=$("$DUNWELL" apikey create --tenant acme --scopes read 2>/dev/null)
"$DUNWELL" tenant set checkout "stripe:$PSP?key=\${STRIPE_KEY}&webhook_secret=\${STRIPE_WHSEC}" --tenant acme >/dev/null
# Real time: the providers' signatures carry the time they were made.
serve_start "$T/serve.log" --threads 2 || finish
"$DUNWELL" tenant set public_url "$BASE" --tenant acme >/dev/null

# api KEY JSON [HEADER...]: POST /v1/charges/failed; $code, body in $T/body.
api() {
	local key=$1 body=$2
	shift 2
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X POST \
		-H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
		"$@" -d "$body" "$BASE/v1/charges/failed")
}
jget() { python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v=v[k] if not isinstance(v,list) else v[int(k)]
print("" if v is None else v)' "$T/body" "$1"; }
# fake PATH JSON: a control request to the fake provider, answer in $T/ctl.
fake() { curl -s -X POST -H 'Content-Type: application/json' -d "$2" "$PSP$1" >"$T/ctl"; }
# stripe_pi CUSTOMER PM INVOICE AMOUNT: the tenant's billing system charges a
# saved card (create and confirm a PaymentIntent); its id in $PI.
stripe_pi() {
	curl -s -o "$T/pi" -u "$STRIPE_KEY:" "$PSP/v1/payment_intents" \
		-d amount="$4" -d currency=eur -d customer="$1" -d payment_method="$2" \
		-d confirm=true -d off_session=true -d "metadata[tenant]=acme" \
		-d "metadata[customer]=${5:-}" -d "metadata[invoice]=$3"
	PI=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j.get("id") or j["error"]["payment_intent"]["id"])' "$T/pi")
}
run_on() { "$DUNWELL" run --tenant acme --as-of "$1T09:00:00Z" >"$T/run.out" 2>&1; }
# requests of the fake whose path matches REGEX (method POST)
sent() { python3 -c 'import json,re,sys
n=0
for l in open(sys.argv[1]):
    j=json.loads(l)
    if j.get("method")=="POST" and re.search(sys.argv[2], j.get("path") or ""): n+=1
print(n)' "$T/psp.jsonl" "$1"; }
charge() { q "SELECT $1 FROM charges WHERE payment_id = '$2'"; }
events() { q "SELECT COUNT(*) FROM case_events WHERE case_id = $1 AND kind = '$2'"; }

# ---- the API ---------------------------------------------------------------
fake /_control/fail '{"customer": "cus_anna", "times": 1, "code": "insufficient_funds"}'
stripe_pi cus_anna pm_anna INV-A 7995
check stripe_billing_declined grep -q '"decline_code": "insufficient_funds"' "$T/pi"
BODY="{\"customer\": \"C1\", \"invoice\": \"2026-1001\", \"amount\": 7995, \"currency\": \"EUR\", \"provider\": \"stripe\", \"payment_id\": \"$PI\", \"customer_ref\": \"cus_anna\", \"mandate\": \"pm_anna\", \"failure_code\": \"insufficient_funds\", \"failed_at\": \"2026-11-20T10:00:00Z\"}"
api "$RO" "$BODY"
check api_read_key_403 [ "$code" = 403 ]
api "$RW" '{"customer": "C1", "invoice": "2026-1001", "amount": 7995, "currency": "EUR", "payment_id": "pi_x"}'
check api_missing_provider_400 [ "$code" = 400 -a "$(jget error.param)" = provider ]
api "$RW" "${BODY/\"C1\"/\"C9\"}"
check api_unknown_customer_404 [ "$code" = 404 -a "$(jget error.param)" = customer ]
api "$RW" "${BODY/\"EUR\"/\"USD\"}"
check api_currency_400 [ "$code" = 400 -a "$(jget error.param)" = currency ]
api "$RW" "${BODY/$PI/tr_notStripe}"
check api_payment_id_400 [ "$code" = 400 -a "$(jget error.param)" = payment_id ]
api "$RW" "${BODY/\"mandate\"/\"colour\"}"
check api_unknown_field_400 [ "$code" = 400 -a "$(jget error.param)" = colour ]
check api_refusals_wrote_nothing [ "$(q "SELECT COUNT(*) FROM charges")" = 0 ]
api "$RW" "$BODY" -H 'Idempotency-Key: fail-1'
check api_failed_201 [ "$code" = 201 ]
check api_status_retrying [ "$(jget status)" = retrying -a "$(jget decline)" = soft ]
CASE1=$(jget case)
check api_case_opened [ -n "$CASE1" -a "$(q "SELECT status FROM cases WHERE id = $CASE1")" = open ]
check api_charge_failed_event [ "$(events "$CASE1" charge.failed)" = 1 ]
NEXT1=$(jget next_attempt_on)
check first_retry_after_weekend [ "$NEXT1" = 2026-11-23 ]
api "$RW" "$BODY" -H 'Idempotency-Key: fail-1'
check api_idempotent_replay [ "$code" = 201 ] && grep -qi '^Idempotent-Replayed: true' "$T/hdr"
api "$RW" "$BODY"
check api_same_charge_200 [ "$code" = 200 ]
check api_same_charge_once [ "$(q "SELECT COUNT(*) FROM charges")" = 1 -a "$(events "$CASE1" charge.failed)" = 1 ]

# ---- Stripe: retried on the schedule's days, then paid ---------------------
fake /_control/stripe_endpoint "{\"url\": \"$BASE/v1/psp/acme/stripe\"}"
fake /_control/fail '{"customer": "cus_anna", "times": 2, "code": "insufficient_funds"}'
run_on 2026-11-21
check no_retry_on_saturday [ "$(sent "/v1/payment_intents/$PI/confirm")" = 0 ]
run_on 2026-11-23
check retry_1_sent [ "$(sent "/v1/payment_intents/$PI/confirm")" = 1 ]
check retry_is_off_session python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
r=[j for j in r if j.get("path","").endswith("/confirm")][-1]
ok = r["form"].get("off_session")=="true" and r["form"].get("payment_method")=="pm_anna" and r["headers"]["idempotency-key"].startswith("dw-charge-acme-")
sys.exit(0 if ok else 1)' "$T/psp.jsonl"
check retry_1_declined [ "$(charge attempts "$PI")" = 1 -a "$(charge status "$PI")" = retrying ]
check retry_1_event [ "$(events "$CASE1" charge.retry_failed)" = 1 ]
check run_reports_charges grep -q 'charges: 1 due, 1 retried' "$T/run.out"
NEXT2=$(charge next_attempt_on "$PI")
check next_retry_later [ "$NEXT2" \> 2026-11-23 ]
run_on 2026-11-23
check no_second_try_same_day [ "$(sent "/v1/payment_intents/$PI/confirm")" = 1 -a "$(charge attempts "$PI")" = 1 ]
run_on "$NEXT2"
check retry_2_declined [ "$(sent "/v1/payment_intents/$PI/confirm")" = 2 -a "$(charge attempts "$PI")" = 2 ]
NEXT3=$(charge next_attempt_on "$PI")
run_on "$NEXT3"
check retry_3_sent [ "$(sent "/v1/payment_intents/$PI/confirm")" = 3 ]
check retry_3_succeeded [ "$(charge status "$PI")" = succeeded ]
check stripe_payment_once [ "$(q "SELECT COUNT(*) FROM payments WHERE external_id = 'stripe:$PI'")" = 1 ]
check stripe_case_resolved [ "$(q "SELECT status FROM cases WHERE id = $CASE1")" = resolved ]
check stripe_invoice_paid_once [ "$(events "$CASE1" invoice.paid)" = 1 ]
run_on 2026-12-10
check no_retry_after_success [ "$(sent "/v1/payment_intents/$PI/confirm")" = 3 ]

# Replays of the provider's notifications, and a forged one.
python3 - "$T/psp.jsonl" "$T/replay" <<'PY'
import json, sys
hooks = [json.loads(l) for l in open(sys.argv[1])]
hooks = [h for h in hooks if h.get("provider") == "outgoing" and h["url"].endswith("/stripe")]
for i, h in enumerate(hooks):
    with open("%s.%d.body" % (sys.argv[2], i), "w") as f:
        f.write(h["body"])
    with open("%s.%d.sig" % (sys.argv[2], i), "w") as f:
        f.write(h["headers"]["Stripe-Signature"])
PY
after=$(db_digest)
replayed=0
for b in "$T"/replay.*.body; do
	sig=$(cat "${b%.body}.sig")
	c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-H "Stripe-Signature: $sig" --data-binary "@$b" "$BASE/v1/psp/acme/stripe")
	[ "$c" = 200 ] && replayed=$((replayed + 1))
done
check stripe_replays_200 [ "$replayed" -ge 3 ]
check stripe_replays_change_nothing [ "$(db_digest)" = "$after" ]
b=$(ls "$T"/replay.*.body | head -1)
sed 's/insufficient_funds/stolen_card/' "$b" >"$T/forged"
c=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-H "Stripe-Signature: $(cat "${b%.body}.sig")" --data-binary "@$T/forged" "$BASE/v1/psp/acme/stripe")
check stripe_bad_signature_400 [ "$c" = 400 ]
for _ in $(seq 1 20); do grep -q 'psp webhook rejected' "$T/serve.log" && break; sleep 0.1; done
check stripe_bad_signature_logged grep -q 'psp webhook rejected' "$T/serve.log"
check stripe_forgery_wrote_nothing [ "$(db_digest)" = "$after" ]

# ---- a hard decline, learnt from the provider's notification ---------------
fake /_control/fail '{"customer": "cus_jan", "times": 5, "code": "stolen_card"}'
stripe_pi cus_jan pm_jan 2026-1003 1500 C3
PIH=$PI
check hard_recorded_by_webhook [ "$(charge status "$PIH")" = hard_declined ]
CASE3=$(charge case_id "$PIH")
check hard_case_opened [ -n "$CASE3" -a "$(events "$CASE3" charge.failed)" = 1 ]
for d in 2026-11-23 2026-11-24 2026-11-26 2026-11-30 2026-12-04; do run_on "$d"; done
check hard_never_retried [ "$(sent "/v1/payment_intents/$PIH/confirm")" = 0 ]

# ---- a new card: the stopped charge is tried again -------------------------
fake /_control/fail '{"customer": "cus_jan", "times": 0, "code": "stolen_card"}'
# The customer's page says what happened and offers another card; the
# button leads to the provider's setup page (Checkout in setup mode).
LINK=$("$DUNWELL" link C3 --tenant acme 2>/dev/null | grep -oE '/p/[A-Za-z0-9_-]{43}' | head -1)
curl -s -o "$T/page" "$BASE$LINK?lang=en"
check page_tells_charge_failed grep -q 'cannot be used for it any more' "$T/page"
check page_offers_new_method grep -q "action=\"$LINK/method" "$T/page"
CSRF=$(grep -oE 'name="csrf" value="[0-9a-f]{32}"' "$T/page" | head -1 | grep -oE '[0-9a-f]{32}')
code=$(curl -s -o /dev/null -D "$T/hdr" -w '%{http_code}' -d "csrf=$CSRF" "$BASE$LINK/method")
check method_redirects_to_provider [ "$code" = 303 ] && grep -qi "^Location: $PSP/checkout/cs_" "$T/hdr"
check method_csp_allows_provider grep -qi "form-action 'self' $PSP" "$T/hdr"
code=$(curl -s -o /dev/null -w '%{http_code}' -d "csrf=0000" "$BASE$LINK/method")
check method_without_csrf_403 [ "$code" = 403 ]
CS=$(grep -i '^Location:' "$T/hdr" | grep -oE 'cs_[A-Za-z0-9_]+' | head -1)
code=$(curl -s -o "$T/done" -w '%{http_code}' "$BASE$LINK/method/done?lang=en")
check method_done_page [ "$code" = 200 ] && grep -q 'The next try will use' "$T/done"
fake "/_control/payments/$CS" "{\"status\": \"paid\", \"notify\": \"$BASE/v1/psp/acme/stripe\"}"
check setup_webhook_200 grep -q '"delivered": 200' "$T/ctl"
NEWPM=$(charge mandate_ref "$PIH")
check new_card_saved [ "${NEWPM#pm_}" != "$NEWPM" -a "$NEWPM" != pm_jan ]
check new_card_retrying [ "$(charge status "$PIH")" = retrying ]
run_on "$(charge next_attempt_on "$PIH")"
check new_card_used python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
r=[j for j in r if j.get("path","").endswith(sys.argv[2]+"/confirm")]
sys.exit(0 if len(r)==1 and r[0]["form"].get("payment_method")==sys.argv[3] else 1)' "$T/psp.jsonl" "$PIH" "$NEWPM"
check new_card_paid [ "$(charge status "$PIH")" = succeeded -a "$(q "SELECT status FROM cases WHERE id = $CASE3")" = resolved ]

# ---- Mollie: a failed SEPA debit, retried on the mandate -------------------
"$DUNWELL" tenant set checkout "mollie:$PSP?key=\${MOLLIE_KEY}" --tenant acme >/dev/null
fake /_control/mollie_customers '{"method": "directdebit"}'
CST=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["customer"])' "$T/ctl")
MDT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mandate"])' "$T/ctl")
fake /_control/fail "{\"customer\": \"$CST\", \"times\": 1, \"code\": \"AM04\"}"
curl -s -o "$T/tr" -H "Authorization: Bearer $MOLLIE_KEY" -H 'Content-Type: application/json' \
	-d "{\"amount\": {\"currency\": \"EUR\", \"value\": \"120.00\"}, \"description\": \"Invoice 2026-1002\", \"sequenceType\": \"recurring\", \"customerId\": \"$CST\", \"mandateId\": \"$MDT\", \"webhookUrl\": \"$BASE/v1/psp/acme/mollie\", \"metadata\": {\"customer\": \"C2\", \"invoice\": \"INV-B\"}}" \
	"$PSP/v2/payments"
TR=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$T/tr")
check mollie_failure_learnt [ "$(charge status "$TR")" = retrying -a "$(charge failure_code "$TR")" = AM04 ]
CASE2=$(charge case_id "$TR")
check mollie_case_opened [ -n "$CASE2" -a "$(events "$CASE2" charge.failed)" = 1 ]
fake /_control/fail "{\"customer\": \"$CST\", \"times\": 2, \"code\": \"AM04\"}"
before=$(sent '^/v2/payments$')
run_on "$(charge next_attempt_on "$TR")"
check mollie_retry_1 [ "$(sent '^/v2/payments$')" = $((before + 1)) -a "$(charge attempts "$TR")" = 1 ]
check mollie_retry_recurring python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1])]
r=[j for j in r if j.get("path")=="/v2/payments" and j.get("method")=="POST"][-1]["json"]
ok = r["sequenceType"]=="recurring" and r["customerId"]==sys.argv[2] and r["amount"]=={"currency":"EUR","value":"120.00"} and r["webhookUrl"].endswith("/v1/psp/acme/mollie")
sys.exit(0 if ok else 1)' "$T/psp.jsonl" "$CST"
check mollie_retry_1_declined [ "$(charge status "$TR")" = retrying ]
run_on "$(charge next_attempt_on "$TR")"
check mollie_retry_2_declined [ "$(charge attempts "$TR")" = 2 -a "$(charge status "$TR")" = retrying ]
run_on "$(charge next_attempt_on "$TR")"
check mollie_retry_3_paid [ "$(charge status "$TR")" = succeeded ]
PAID=$(q "SELECT external_id FROM payments WHERE external_id LIKE 'mollie:%'")
check mollie_payment_once [ "$(echo "$PAID" | grep -c .)" = 1 ]
check mollie_case_resolved [ "$(q "SELECT status FROM cases WHERE id = $CASE2")" = resolved ]
check mollie_invoice_paid_once [ "$(events "$CASE2" invoice.paid)" = 1 ]
after=$(db_digest)
c=$(curl -s -o /dev/null -w '%{http_code}' -d "id=${PAID#mollie:}" "$BASE/v1/psp/acme/mollie")
check mollie_replay_200 [ "$c" = 200 ]
c=$(curl -s -o /dev/null -w '%{http_code}' -d "id=$TR" "$BASE/v1/psp/acme/mollie")
check mollie_first_replay_200 [ "$c" = 200 ]
check mollie_replays_change_nothing [ "$(db_digest)" = "$after" ]
c=$(curl -s -o /dev/null -w '%{http_code}' -d 'id=tr_unknownPayment1' "$BASE/v1/psp/acme/mollie")
check mollie_unknown_404 [ "$c" = 404 ]
check mollie_forged_wrote_nothing [ "$(db_digest)" = "$after" ]

serve_stop
exec 7>&-
wait "$FAKE" 2>/dev/null
check no_orphans [ "$(orphans)" = 0 ]
finish
