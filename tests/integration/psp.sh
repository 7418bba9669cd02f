# Paying on the personal page through a payment provider (issues #6, #7):
# Mollie and Stripe, played by tests/tools/fake_psp.py speaking their real
# wire formats on loopback. The pay button redirects to the provider's
# hosted checkout (allowed by the page's form-action); the provider's
# webhook is verified (Mollie: the payment fetched back with the tenant's
# key; Stripe: the HMAC signature and its age) before a payment is
# recorded, once; replays change nothing; a forged or stale notification
# is refused and logged and writes nothing. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
export MOLLIE_KEY=test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM
export STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc
export STRIPE_WHSEC=whsec_fakepspsecret0123456789

# The fake provider lives while its stdin is open.
mkfifo "$T/psp.in"
python3 "$DUNWELL_ROOT/tests/tools/fake_psp.py" --record "$T/psp.jsonl" \
	--mollie-key "$MOLLIE_KEY" --stripe-key "$STRIPE_KEY" \
	--stripe-secret "$STRIPE_WHSEC" <"$T/psp.in" >"$T/psp.out" 2>"$T/psp.err" &
FAKE=$!
exec 7>"$T/psp.in"
for _ in $(seq 1 50); do grep -q '^PORT ' "$T/psp.out" 2>/dev/null && break; sleep 0.1; done
PSP="http://127.0.0.1:$(sed -n 's/^PORT //p' "$T/psp.out")"

"$DUNWELL" tenant add acme --name "Acme Energy" --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
"$DUNWELL" run --tenant acme --as-of 2026-11-20T09:00:00Z >/dev/null
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$T/outbox" >/dev/null
ANNA=$(portal_link C1 "$T/outbox")
SMIT=$(portal_link C2 "$T/outbox")
[ -n "$ANNA" ] && [ -n "$SMIT" ] || { fail links_found; finish; }
expect_fail checkout_secret_inline_refused "holds a secret" tenant set checkout \
	"mollie:$PSP?key=test_inline0123456789012345678901" --tenant acme
"$DUNWELL" tenant set checkout "mollie:$PSP?key=\${MOLLIE_KEY}" --tenant acme >/dev/null
# Real time: the providers' signatures carry the time they were made.
serve_start "$T/serve.log" --threads 2 || finish
"$DUNWELL" tenant set public_url "$BASE" --tenant acme >/dev/null

hc() {
	local m=$1 p=$2
	shift 2
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$BASE$p")
}
csrf() { grep -oE 'name="csrf" value="[0-9a-f]{32}"' "$T/body" | head -1 | grep -oE '[0-9a-f]{32}'; }
# control ID JSON: the fake provider changes a payment (and notifies).
control() {
	curl -s -X POST -H 'Content-Type: application/json' -d "$2" "$PSP/_control/payments/$1" >"$T/ctl"
	delivered=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("delivered"))' "$T/ctl")
}
pays() { q "SELECT COUNT(*) FROM payments WHERE external_id LIKE '$1:%'"; }

# ---- Mollie ----------------------------------------------------------------
hc GET "/p/$ANNA/pay"
TOKEN=$(csrf)
hc POST "/p/$ANNA/pay" --data "csrf=$TOKEN&method=ideal"
check mollie_redirect_303 [ "$code" = 303 ]
LOC=$(grep -i '^Location: ' "$T/hdr" | tr -d '\r' | cut -d' ' -f2)
check mollie_to_hosted_checkout [ "${LOC#"$PSP"/checkout/tr_}" != "$LOC" ]
check mollie_form_action_allows_provider grep -qi "form-action 'self' $PSP" "$T/hdr"
TR=$(q "SELECT provider_id FROM psp_checkouts WHERE provider = 'mollie'")
check mollie_checkout_recorded [ -n "$TR" ]
check mollie_request_amount python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["provider"]=="mollie" and json.loads(l)["method"]=="POST"][0]
j=r["json"]; ok = j["amount"]["currency"]=="EUR" and j["method"]=="ideal" and j["metadata"]["tenant"]=="acme" and j["webhookUrl"].endswith("/v1/psp/acme/mollie") and r["headers"]["idempotency-key"].startswith("dw-acme-")
sys.exit(0 if ok else 1)' "$T/psp.jsonl"
before=$(db_digest)
control "$TR" '{"status": "pending", "notify": true}'
check mollie_pending_accepted [ "$delivered" = 200 ]
check mollie_pending_records_nothing [ "$(pays mollie)" = 0 ]
control "$TR" '{"status": "paid", "method": "ideal", "notify": true}'
check mollie_paid_webhook_200 [ "$delivered" = 200 ]
check mollie_payment_once [ "$(pays mollie)" = 1 ]
check mollie_payment_id [ "$(q "SELECT external_id FROM payments WHERE external_id LIKE 'mollie:%'")" = "mollie:$TR" ]
CASE=$(q "SELECT case_id FROM psp_checkouts WHERE provider = 'mollie'")
check mollie_case_resolved [ "$(q "SELECT status FROM cases WHERE id = $CASE")" = resolved ]
check mollie_checkout_paid [ "$(q "SELECT status FROM psp_checkouts WHERE provider = 'mollie'")" = paid ]
control "$TR" '{"status": "paid", "method": "ideal", "notify": true}'
check mollie_replay_200 [ "$delivered" = 200 ]
check mollie_replay_changes_nothing [ "$(pays mollie)" = 1 ]
check mollie_resolved_once [ "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE AND kind = 'case.resolved'")" = 1 ]
after=$(db_digest)
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'id=tr_unknownPayment1' "$BASE/v1/psp/acme/mollie")
check mollie_unknown_payment_404 [ "$code" = 404 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'id=../../v2/payments' "$BASE/v1/psp/acme/mollie")
check mollie_bad_id_400 [ "$code" = 400 ]
code=$(curl -s -o /dev/null -w '%{http_code}' -d 'id=tr_x' "$BASE/v1/psp/acme/stripe")
check other_provider_404 [ "$code" = 404 ]
check forged_mollie_wrote_nothing [ "$(db_digest)" = "$after" ]

# ---- Stripe ----------------------------------------------------------------
"$DUNWELL" tenant set checkout "stripe:$PSP?key=\${STRIPE_KEY}&webhook_secret=\${STRIPE_WHSEC}" --tenant acme >/dev/null
hc GET "/p/$SMIT/pay"
TOKEN=$(csrf)
hc POST "/p/$SMIT/pay" --data "csrf=$TOKEN&method=card"
check stripe_redirect_303 [ "$code" = 303 ]
CS=$(q "SELECT provider_id FROM psp_checkouts WHERE provider = 'stripe'")
check stripe_checkout_recorded [ "${CS#cs_}" != "$CS" ]
after=$(db_digest)
control "$CS" "{\"status\": \"paid\", \"notify\": \"$BASE/v1/psp/acme/stripe\", \"secrets\": [\"whsec_someoneelse0123456789\"]}"
check stripe_wrong_secret_400 [ "$delivered" = 400 ]
control "$CS" "{\"status\": \"paid\", \"notify\": \"$BASE/v1/psp/acme/stripe\", \"timestamp\": $(($(date +%s) - 3600))}"
check stripe_stale_400 [ "$delivered" = 400 ]
check stripe_forgeries_wrote_nothing [ "$(db_digest)" = "$after" ]
check stripe_forgery_logged grep -q 'psp webhook rejected' "$T/serve.log"
control "$CS" "{\"status\": \"paid\", \"notify\": \"$BASE/v1/psp/acme/stripe\"}"
check stripe_paid_200 [ "$delivered" = 200 ]
check stripe_payment_once [ "$(pays stripe)" = 1 ]
check stripe_amount [ "$(q "SELECT amount_minor FROM payments WHERE external_id LIKE 'stripe:%'")" = 420000 ]
control "$CS" "{\"status\": \"paid\", \"notify\": \"$BASE/v1/psp/acme/stripe\"}"
check stripe_replay_changes_nothing [ "$(pays stripe)" = 1 ]

serve_stop
exec 7>&-
wait "$FAKE" 2>/dev/null
check no_orphans [ "$(orphans)" = 0 ]
finish
