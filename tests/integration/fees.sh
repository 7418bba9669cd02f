# Fees and credit (issue #7): a payment covers the case's reminder fees
# after its invoices (the default) or before them (the tenant's fees_first,
# as Dutch law has it: art. 6:44 BW); what is left is kept as the
# customer's credit, on the payment and shown on the personal page. Over
# the API against the real server; the split is checked in the answer, in
# the database (cases.fees_paid_minor, payments.unallocated_minor) and in
# the case's events. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
for t in acme beta; do
	"$DUNWELL" tenant add $t --timezone Europe/Amsterdam --locale nl >/dev/null
	"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant $t >/dev/null
	printf 'external_id,name,locale,timezone,country,email\nF1,Fee Payer,nl,Europe/Amsterdam,NL,f1@example.nl\n' >"$T/c.csv"
	printf 'external_id,customer_id,number,issue_date,due_date,amount,currency\nFI1,F1,FI-1,2026-09-01,2026-10-01,100.00,EUR\n' >"$T/i.csv"
	"$DUNWELL" import customers "$T/c.csv" --tenant $t >/dev/null
	"$DUNWELL" import invoices "$T/i.csv" --tenant $t >/dev/null
	# The case opens after the due date; its notice (fixed fee) comes
	# 14 days later.
	"$DUNWELL" run --tenant $t --as-of 2026-10-04T09:00:00Z >/dev/null
	"$DUNWELL" run --tenant $t --as-of 2026-10-16T09:00:00Z >/dev/null
done
expect_fail fees_first_value_checked "fees_first" tenant set fees_first maybe --tenant beta
expect_ok fees_first_set tenant set fees_first yes --tenant beta

fees_of() { q "SELECT k.fees_minor FROM cases k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = '$1'"; }
paid_of() { q "SELECT k.fees_paid_minor FROM cases k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = '$1'"; }
case_of() { q "SELECT k.id FROM cases k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = '$1'"; }
status_of() { q "SELECT k.status FROM cases k JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = '$1'"; }
open_of() { q "SELECT i.open_minor FROM invoices i JOIN tenants t ON t.id = i.tenant_id WHERE t.slug = '$1'"; }
credit_of() { q "SELECT p.unallocated_minor FROM payments p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = '$1' AND p.external_id = '$2'"; }
FA=$(fees_of acme)
FB=$(fees_of beta)
check fees_charged_by_the_run [ "${FA:-0}" -gt 0 ] && [ "$FA" = "$FB" ]

KA=$("$DUNWELL" apikey create --tenant acme --scopes read,write 2>/dev/null)
KB=$("$DUNWELL" apikey create --tenant beta --scopes read,write 2>/dev/null)
serve_start "$T/serve.log" --threads 2 --as-of 2026-10-17T12:00:00Z || finish
# pay KEY ID AMOUNT: POST /v1/payments; the answer in $T/body.
pay() {
	code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST "$BASE/v1/payments" \
		-H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-d "{\"id\":\"$2\",\"customer\":\"F1\",\"amount\":$3,\"currency\":\"EUR\",\"paid_on\":\"2026-10-17\"}")
}
jv() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/body" "$1"; }

# ---- invoices first (the default) ----------------------------------------
pay "$KA" PA1 5000
check principal_first_part_201 [ "$code" = 201 ]
check principal_first_part_to_invoice [ "$(jv 'str(d["amount_to_fees"])+"|"+str(d["amount_unallocated"])')" = "0|0" ]
check principal_first_part_invoice_open [ "$(open_of acme)" = 5000 ]
check principal_first_part_fees_unpaid [ "$(paid_of acme)" = 0 ]
pay "$KA" PA2 $((5000 + FA + 500))
check principal_first_rest_split [ "$(jv 'str(d["amount_to_fees"])+"|"+str(d["amount_unallocated"])')" = "$FA|500" ]
check principal_first_invoice_paid [ "$(open_of acme)" = 0 ]
check principal_first_fees_paid [ "$(paid_of acme)" = "$FA" ]
check principal_first_credit_kept [ "$(credit_of acme PA2)" = 500 ]
check principal_first_case_resolved [ "$(status_of acme)" = resolved ]
check principal_first_event_split [ -n "$(q "SELECT 1 FROM case_events WHERE case_id = $(case_of acme) AND kind = 'payment.received' AND detail LIKE '%\"fees_minor\":$FA,\"left_minor\":500%'")" ]
# The credit on the customer's personal page.
LINK=$("$DUNWELL" link F1 --tenant acme 2>/dev/null | grep -oE '/p/[A-Za-z0-9_-]{43}' | head -1)
curl -s -o "$T/page" "$BASE$LINK"
# (ICU puts a no-break space between the code and the amount.)
check credit_on_page grep -q 'U hebt EUR.*5,00 meer betaald dan nodig was' "$T/page"
pay "$KA" PA2 $((5000 + FA + 500))
check replay_changes_nothing [ "$code" = 200 ] && [ "$(credit_of acme PA2)" = 500 ] && [ "$(paid_of acme)" = "$FA" ]

# ---- fees first -------------------------------------------------------------
pay "$KB" PB1 10000
check fees_first_201 [ "$code" = 201 ]
check fees_first_split [ "$(jv 'str(d["amount_to_fees"])+"|"+str(d["amount_unallocated"])')" = "$FB|0" ]
check fees_first_fees_paid [ "$(paid_of beta)" = "$FB" ]
check fees_first_invoice_left [ "$(open_of beta)" = "$FB" ]
check fees_first_case_stays_open [ "$(status_of beta)" = open ]
code=$(curl -s -o "$T/body" -w '%{http_code}' -H "Authorization: Bearer $KB" "$BASE/v1/cases/$(case_of beta)")
check fees_first_case_api [ "$(jv 'str(d["fees"])+"|"+str(d["fees_paid"])+"|"+str(d["amount_open"])')" = "$FB|$FB|$FB" ]
LINKB=$("$DUNWELL" link F1 --tenant beta 2>/dev/null | grep -oE '/p/[A-Za-z0-9_-]{43}' | head -1)
curl -s -o "$T/page" "$BASE$LINKB"
check fees_first_page_total_without_paid_fees python3 - "$T/page" "$FB" <<'PY'
import re, sys
page = open(sys.argv[1]).read()
want = int(sys.argv[2])
amount = "%d,%02d" % (want // 100, want % 100)
# The page's total (tfoot) is what is left: the invoice's rest, the fees
# being paid; no reminder-cost row is left.
m = re.search(r"<tfoot>.*?</tfoot>", page, re.S)
sys.exit(0 if m and amount in m.group(0) and "EUR" in m.group(0) else 1)
PY
pay "$KB" PB2 "$FB"
check fees_first_rest_pays_invoice [ "$(open_of beta)" = 0 ] && [ "$(jv 'str(d["amount_to_fees"])')" = 0 ]
check fees_first_case_resolved [ "$(status_of beta)" = resolved ]
check fees_first_no_credit [ "$(credit_of beta PB2)" = 0 ]
serve_stop
finish
