# The JSON API v1 over real HTTP (issue #5, docs/api.md): API keys (401
# without or with a revoked key, 403 without the scope), customers
# (create, update, validation naming the field, pagination across pages),
# invoices (one, bulk all or nothing with the failing index and field,
# listing), Idempotency-Key (replay with the same body and header, 422 for
# another body), tenant isolation (another tenant's id is 404) and the
# OpenAPI document, cases with their timeline (another tenant's: 404),
# payments (recorded and allocated as the CSV import does, a repeated
# payment id not applied twice, a currency mismatch 400) and the per-key
# rate limit (429 with Retry-After under DUNWELL_API_RATE=2). Needs curl
# and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam --locale nl >/dev/null
"$DUNWELL" tenant add other >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
RW=$("$DUNWELL" apikey create --tenant acme --scopes read,write 2>/dev/null)
RO=$("$DUNWELL" apikey create --tenant acme --scopes read 2>/dev/null)
OTHER=$("$DUNWELL" apikey create --tenant other 2>/dev/null)
GONE=$("$DUNWELL" apikey create --tenant acme 2>/dev/null)
check apikey_format [ "${#RW}" = 51 ] && [ "${RW#dw_live_}" != "$RW" ]
gone_prefix=${GONE:8:8}
expect_ok apikey_revoke apikey revoke "dw_live_$gone_prefix" --tenant acme
expect_ok apikey_list apikey list --tenant acme
check apikey_list_shows_prefix grep -q "dw_live_$gone_prefix .*revoked" "$T/out"
check apikey_list_no_key [ "$(grep -c -e "${RW:8}" "$T/out")" = 0 ]
check apikey_only_hash_stored [ "$(q "SELECT COUNT(*) FROM api_keys WHERE hash LIKE '%${RW:8:10}%' OR prefix = '${RW:8}'")" = 0 ]
expect_fail apikey_revoke_other_tenant "no working API key" apikey revoke "${OTHER:8:8}" --tenant acme

# start_server LOG [ENV=VALUE...]: a server on a free port, its pid in
# $SERVER and its address in $BASE.
start_server() {
	local log=$1 port=
	shift
	env "$@" "$DUNWELL" serve --listen 127.0.0.1:0 --threads 2 --as-of 2026-11-21T12:00:00Z 2>"$log" &
	SERVER=$!
	for _ in $(seq 1 100); do
		port=$(python3 -c 'import json,sys
try:
    print(json.loads(open(sys.argv[1]).readline())["listen"].rsplit(":", 1)[1])
except Exception:
    pass' "$log" 2>/dev/null)
		[ -n "$port" ] && break
		kill -0 "$SERVER" 2>/dev/null || break
		sleep 0.2
	done
	if [ -z "$port" ]; then
		fail server_started "$(head -c 600 "$log")"
		kill "$SERVER" 2>/dev/null
		finish
	fi
	BASE="http://127.0.0.1:$port"
	for _ in $(seq 1 50); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && break
		sleep 0.2
	done
}
LOG="$T/serve.log"
start_server "$LOG"

# hc KEY METHOD PATH [CURL ARGS...]: status in $code, body in $T/body,
# headers in $T/hdr (KEY "" sends no Authorization).
hc() {
	local k=$1 m=$2 p=$3
	shift 3
	local auth=()
	[ -n "$k" ] && auth=(-H "Authorization: Bearer $k")
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "${auth[@]}" "$@" "$BASE$p")
}
jv() {
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$T/body" "$1" 2>/dev/null
}
# expect NAME STATUS KEY METHOD PATH [CURL ARGS...]
expect() {
	local name=$1 want=$2
	shift 2
	hc "$@"
	if [ "$code" = "$want" ]; then pass "$name"; else fail "$name" "HTTP $code, want $want: $(head -c 300 "$T/body")"; fi
}
J=(-H 'Content-Type: application/json')

# Keys.
expect no_key_401 401 "" GET /v1/customers
check no_key_error [ "$(jv 'd["error"]["type"]'):$(jv 'd["error"]["code"]')" = authentication_error:invalid_api_key ]
expect bad_key_401 401 "dw_live_nonsense" GET /v1/customers
expect unknown_key_401 401 "dw_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" GET /v1/customers
expect revoked_key_401 401 "$GONE" GET /v1/customers
expect read_only_post_403 403 "$RO" POST /v1/customers "${J[@]}" -d '{"id":"C1","name":"A"}'
check read_only_error [ "$(jv 'd["error"]["type"]')" = permission_error ]
expect read_only_get_200 200 "$RO" GET /v1/customers

# Customers.
expect customer_create_201 201 "$RW" POST /v1/customers "${J[@]}" \
	-d '{"id":"C-001","name":"Anna de Vries","email":"anna@example.nl","phone":"+31612345678","country":"NL"}'
check customer_create_body [ "$(jv 'd["id"]+"|"+d["email"]+"|"+d["locale"]+"|"+d["timezone"]')" = "C-001|anna@example.nl|nl|Europe/Amsterdam" ]
expect customer_update_200 200 "$RW" POST /v1/customers "${J[@]}" -d '{"id":"C-001","name":"Anna Jansen"}'
check customer_update_keeps_email [ "$(jv 'd["name"]+"|"+d["email"]')" = "Anna Jansen|anna@example.nl" ]
expect customer_get_200 200 "$RO" GET /v1/customers/C-001
check customer_get_body [ "$(jv 'd["object"]+"|"+d["name"]+"|"+d["phone"]')" = "customer|Anna Jansen|+31612345678" ]
expect customer_missing_404 404 "$RO" GET /v1/customers/NOPE
check customer_missing_code [ "$(jv 'd["error"]["code"]')" = resource_missing ]
expect customer_bad_email_400 400 "$RW" POST /v1/customers "${J[@]}" -d '{"id":"C-9","name":"X","email":"not-an-address"}'
check customer_bad_email_param [ "$(jv 'd["error"]["param"]'):$(jv 'd["error"]["type"]')" = email:invalid_request_error ]
expect customer_bad_country_400 400 "$RW" POST /v1/customers "${J[@]}" -d '{"id":"C-9","name":"X","country":"nl"}'
check customer_bad_country_param [ "$(jv 'd["error"]["param"]')" = country ]
expect customer_bad_zone_400 400 "$RW" POST /v1/customers "${J[@]}" -d '{"id":"C-9","name":"X","timezone":"Mars/Olympus"}'
check customer_bad_zone_param [ "$(jv 'd["error"]["param"]')" = timezone ]
expect customer_no_id_400 400 "$RW" POST /v1/customers "${J[@]}" -d '{"name":"X"}'
check customer_no_id_param [ "$(jv 'd["error"]["param"]')" = id ]
expect customer_not_json_415 415 "$RW" POST /v1/customers -H 'Content-Type: text/plain' -d '{}'
expect customer_bad_json_400 400 "$RW" POST /v1/customers "${J[@]}" -d '{"id":'
check customer_not_written [ "$(q "SELECT COUNT(*) FROM customers WHERE external_id = 'C-9'")" = 0 ]

# Pagination: 25 customers, pages of 10: 10 + 10 + 5.
for i in $(seq -w 2 25); do
	curl -s -o /dev/null -X POST -H "Authorization: Bearer $RW" "${J[@]}" \
		-d "{\"id\":\"C-0$i\",\"name\":\"Customer $i\"}" "$BASE/v1/customers"
done
after=; ids=; pages=0; more=True
while [ "$more" = True ] && [ $pages -lt 5 ]; do
	hc "$RO" GET "/v1/customers?limit=10${after:+&starting_after=$after}"
	pages=$((pages + 1))
	more=$(jv 'd["has_more"]')
	ids="$ids$(jv '",".join(c["id"] for c in d["data"])'),"
	after=$(jv 'd["data"][-1]["id"]')
done
check pagination_3_pages [ "$pages" = 3 ]
check pagination_all_once [ "$(echo "$ids" | tr ',' '\n' | grep -c .)" = 25 ] && [ "$(echo "$ids" | tr ',' '\n' | grep . | sort -u | wc -l)" = 25 ]
expect limit_too_big_400 400 "$RO" GET '/v1/customers?limit=101'
check limit_param [ "$(jv 'd["error"]["param"]')" = limit ]

# Invoices.
INV='{"id":"INV-1","customer":"C-001","issue_date":"2026-10-01","due_date":"2026-10-31","amount":7995,"currency":"EUR"}'
expect invoice_create_201 201 "$RW" POST /v1/invoices "${J[@]}" -d "$INV"
check invoice_body [ "$(jv 'str(d["amount"])+d["currency"]+d["due_date"]')" = "7995EUR2026-10-31" ]
expect invoice_unknown_customer_404 404 "$RW" POST /v1/invoices "${J[@]}" \
	-d '{"id":"INV-X","customer":"NOPE","issue_date":"2026-10-01","due_date":"2026-10-31","amount":1,"currency":"EUR"}'
check invoice_unknown_customer_param [ "$(jv 'd["error"]["param"]')" = customer ]
expect invoice_get_200 200 "$RO" GET /v1/invoices/INV-1
check invoice_get_body [ "$(jv 'd["id"]+d["customer"]+str(d["amount_open"])')" = "INV-1C-0017995" ]
expect invoice_get_unknown_404 404 "$RO" GET /v1/invoices/NOPE
# The server keeps this answer per thread (api_cache.h): a change made
# through it shows at once; one made by another process (the CLI) within
# 100 ms; another tenant's key never gets it.
for _ in 1 2 3 4; do hc "$RO" GET /v1/invoices/INV-1; done
expect invoice_cached_other_tenant_404 404 "$OTHER" GET /v1/invoices/INV-1
expect invoice_update_200 200 "$RW" POST /v1/invoices "${J[@]}" \
	-d '{"id":"INV-1","customer":"C-001","issue_date":"2026-10-01","due_date":"2026-10-31","amount":7996,"currency":"EUR"}'
ok=1
for _ in 1 2 3 4; do
	hc "$RO" GET /v1/invoices/INV-1
	[ "$(jv 'str(d["amount"])')" = 7996 ] || ok=0
done
check invoice_change_seen_at_once [ "$ok" = 1 ]
printf 'external_id,customer_id,number,issue_date,due_date,amount,currency\nINV-1,C-001,INV-1,2026-10-01,2026-10-31,79.95,EUR\n' >"$T/inv1.csv"
"$DUNWELL" import invoices "$T/inv1.csv" --tenant acme >/dev/null
sleep 0.3
ok=1
for _ in 1 2 3 4; do
	hc "$RO" GET /v1/invoices/INV-1
	[ "$(jv 'str(d["amount"])+" "+str(d["amount_open"])')" = "7995 7995" ] || ok=0
done
check invoice_other_process_change_seen [ "$ok" = 1 ]
# A copy of the invoice: a web address, kept and given back (a customer
# of its own, so the lists and payments below are not changed).
expect customer_doc_201 201 "$RW" POST /v1/customers "${J[@]}" -d '{"id":"C-DOC","name":"Doc Holder"}'
expect invoice_document_201 201 "$RW" POST /v1/invoices "${J[@]}" \
	-d '{"id":"INV-DOC","customer":"C-DOC","issue_date":"2026-10-01","due_date":"2026-10-31","amount":100,"currency":"EUR","document_url":"https://billing.example.com/inv/INV-DOC.pdf"}'
expect invoice_document_get_200 200 "$RO" GET /v1/invoices/INV-DOC
check invoice_document_kept [ "$(jv 'd["document_url"]')" = "https://billing.example.com/inv/INV-DOC.pdf" ]
expect invoice_document_bad_400 400 "$RW" POST /v1/invoices "${J[@]}" \
	-d '{"id":"INV-JS","customer":"C-DOC","issue_date":"2026-10-01","due_date":"2026-10-31","amount":100,"currency":"EUR","document_url":"javascript:alert(1)"}'
check invoice_document_bad_param [ "$(jv 'd["error"]["param"]')" = document_url ]
expect invoice_document_bad_not_written 404 "$RO" GET /v1/invoices/INV-JS
expect invoice_unknown_field_400 400 "$RW" POST /v1/invoices "${J[@]}" \
	-d '{"id":"INV-UF","customer":"C-DOC","issue_date":"2026-10-01","due_date":"2026-10-31","amount":100,"currency":"EUR","colour":"red"}'
check invoice_unknown_field_param [ "$(jv 'd["error"]["param"]+"|"+d["error"]["code"]')" = "colour|parameter_unknown" ]
expect customer_unknown_field_400 400 "$RW" POST /v1/customers "${J[@]}" \
	-d '{"id":"C-UF","name":"X","vip":true}'
check customer_unknown_field_param [ "$(jv 'd["error"]["param"]')" = vip ]
expect customer_unknown_field_not_written 404 "$RO" GET /v1/customers/C-UF
bulk() { # N BAD_INDEX: N invoices, the one at BAD_INDEX with a bad due date
	python3 -c 'import json,sys
n, bad = int(sys.argv[1]), int(sys.argv[2])
print(json.dumps({"invoices": [{"id": "B-%03d" % i, "customer": "C-0%02d" % (i % 24 + 2),
  "issue_date": "2026-10-01", "due_date": "2026-02-30" if i == bad else "2026-11-01T10:00:00Z",
  "amount": 1000 + i, "currency": "EUR"} for i in range(n)]}))' "$@"
}
bulk 50 3 >"$T/bad.json"
bulk 50 -1 >"$T/good.json"
before=$(db_digest)
expect bulk_bad_400 400 "$RW" POST /v1/invoices/bulk "${J[@]}" --data-binary @"$T/bad.json"
check bulk_bad_param [ "$(jv 'd["error"]["param"]')" = "invoices[3].due_date" ]
check bulk_bad_nothing_written [ "$(db_digest)" = "$before" ]
expect bulk_good_201 201 "$RW" POST /v1/invoices/bulk "${J[@]}" --data-binary @"$T/good.json"
check bulk_good_all [ "$(q "SELECT COUNT(*) FROM invoices WHERE external_id LIKE 'B-%'")" = 50 ]
check bulk_rfc3339_date [ "$(jv 'd["data"][0]["due_date"]')" = 2026-11-01 ]
# The bulk answer (written without jansson) is the same invoice object the
# single GET gives, for every invoice.
cp "$T/body" "$T/bulk_answer.json"
check bulk_answer_valid_json python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if len(d["data"]) == 50 and d["object"] == "list" and d["has_more"] is False else 1)' "$T/bulk_answer.json"
for i in 000 017 049; do
	hc "$RO" GET "/v1/invoices/B-$i"
	check "bulk_answer_as_get_$i" python3 -c 'import json,sys
bulk = [x for x in json.load(open(sys.argv[1]))["data"] if x["id"] == sys.argv[3]]
sys.exit(0 if len(bulk) == 1 and bulk[0] == json.load(open(sys.argv[2])) else 1)' "$T/bulk_answer.json" "$T/body" "B-$i"
done
expect invoices_list_200 200 "$RO" GET '/v1/invoices?customer=C-001'
check invoices_list_body [ "$(jv '",".join(i["id"] for i in d["data"])')" = "INV-1" ]
expect invoices_list_needs_customer 400 "$RO" GET /v1/invoices
check invoices_list_param [ "$(jv 'd["error"]["param"]')" = customer ]

# Idempotency.
IK=(-H 'Idempotency-Key: key-123')
expect idem_first_201 201 "$RW" POST /v1/customers "${J[@]}" "${IK[@]}" -d '{"id":"C-100","name":"Idem"}'
cp "$T/body" "$T/first"
check idem_first_not_replayed [ "$(grep -ci '^Idempotent-Replayed' "$T/hdr")" = 0 ]
expect idem_replay_201 201 "$RW" POST /v1/customers "${J[@]}" "${IK[@]}" -d '{"id":"C-100","name":"Idem"}'
check idem_replay_same_body cmp -s "$T/body" "$T/first"
check idem_replay_header grep -qi '^Idempotent-Replayed: true' "$T/hdr"
expect idem_other_body_422 422 "$RW" POST /v1/customers "${J[@]}" "${IK[@]}" -d '{"id":"C-100","name":"Other"}'
check idem_other_body_type [ "$(jv 'd["error"]["type"]')" = idempotency_error ]
q "INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) SELECT id, 'busy', 'x', '2026-11-21T12:00:00Z' FROM tenants WHERE slug = 'acme'" >/dev/null
expect idem_in_flight_409 409 "$RW" POST /v1/customers "${J[@]}" -H 'Idempotency-Key: busy' -d '{"id":"C-101","name":"Busy"}'
expect idem_other_tenant_own_key 201 "$OTHER" POST /v1/customers "${J[@]}" "${IK[@]}" -d '{"id":"C-100","name":"Idem"}'

# Tenant isolation: the other tenant's key sees none of acme's customers.
expect isolation_get_404 404 "$OTHER" GET /v1/customers/C-001
expect isolation_list 200 "$OTHER" GET /v1/customers
check isolation_list_own_only [ "$(jv '",".join(c["id"] for c in d["data"])')" = "C-100" ]
expect isolation_invoices_404 404 "$OTHER" GET '/v1/invoices?customer=C-001'
expect isolation_invoice_get_404 404 "$OTHER" GET /v1/invoices/INV-1
check isolation_name_unchanged [ "$(q "SELECT c.name FROM customers c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = 'acme' AND external_id = 'C-100'")" = Idem ]

# The OpenAPI document, without a key.
expect openapi_200 200 "" GET /v1/openapi.json
check openapi_body [ "$(jv 'd["openapi"]+" "+str("/v1/invoices/bulk" in d["paths"])')" = "3.1.0 True" ]

# Cases: a run opens them; one with its timeline, a customer's list.
expect_ok run_opens_cases run --tenant acme --as-of 2026-11-21T09:00:00Z
CASE=$(q "SELECT k.id FROM cases k JOIN customers c ON c.id = k.customer_id JOIN tenants t ON t.id = k.tenant_id WHERE t.slug = 'acme' AND c.external_id = 'C-001'")
check case_opened [ -n "$CASE" ]
expect case_get_200 200 "$RO" GET "/v1/cases/$CASE"
check case_get_body [ "$(jv 'd["object"]+"|"+d["id"]+"|"+d["customer"]+"|"+d["status"]+"|"+d["currency"]+"|"+str(d["amount_open"])+"|"+d["anchor_date"]')" = "case|$CASE|C-001|open|EUR|7995|2026-10-31" ]
check case_get_strategy [ "$(jv 'str(bool(d["strategy"]))+str(d["strategy_version"])+str(d["fees"])')" = True10 ]
check case_timeline_opened [ "$(jv '[t["kind"] for t in d["timeline"] if t["type"]=="event"][0]')" = case.opened ]
check case_timeline_matches_store [ "$(jv 'len(d["timeline"])')" = "$(q "SELECT (SELECT COUNT(*) FROM case_events WHERE case_id = $CASE) + (SELECT COUNT(*) FROM actions WHERE case_id = $CASE)")" ]
expect case_other_tenant_404 404 "$OTHER" GET "/v1/cases/$CASE"
check case_other_tenant_code [ "$(jv 'd["error"]["code"]')" = resource_missing ]
expect case_missing_404 404 "$RO" GET /v1/cases/99999999
expect case_bad_id_404 404 "$RO" GET /v1/cases/abc
expect cases_list_200 200 "$RO" GET '/v1/cases?customer=C-001'
check cases_list_body [ "$(jv '",".join(c["id"] for c in d["data"])+"|"+str(d["has_more"])')" = "$CASE|False" ]
check cases_list_no_timeline [ "$(jv 'str("timeline" in d["data"][0])')" = False ]
expect cases_list_after 200 "$RO" GET "/v1/cases?customer=C-001&starting_after=$CASE"
check cases_list_after_empty [ "$(jv 'len(d["data"])')" = 0 ]
expect cases_list_needs_customer 400 "$RO" GET /v1/cases
expect cases_list_other_tenant_404 404 "$OTHER" GET '/v1/cases?customer=C-001'

# Payments, allocated as the import does: the named invoice first, then
# the oldest due.
open_of() { q "SELECT i.open_minor FROM invoices i JOIN tenants t ON t.id = i.tenant_id WHERE t.slug = 'acme' AND i.external_id = '$1'"; }
expect invoice_older_201 201 "$RW" POST /v1/invoices "${J[@]}" \
	-d '{"id":"INV-2","customer":"C-001","issue_date":"2026-09-01","due_date":"2026-09-30","amount":5000,"currency":"EUR"}'
expect payment_named_201 201 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-1","customer":"C-001","invoice":"INV-1","amount":3000,"currency":"EUR","paid_on":"2026-11-20","method":"bank_transfer"}'
check payment_named_body [ "$(jv 'd["object"]+"|"+d["id"]+"|"+d["invoice"]+"|"+str(d["amount"])+"|"+str(d["amount_unallocated"])')" = "payment|P-1|INV-1|3000|0" ]
check payment_named_allocated [ "$(open_of INV-1):$(open_of INV-2)" = 4995:5000 ]
expect payment_oldest_201 201 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-2","customer":"C-001","amount":6000,"currency":"EUR","paid_on":"2026-11-20"}'
check payment_oldest_allocated [ "$(open_of INV-1):$(open_of INV-2)" = 3995:0 ]
check payment_oldest_invoice_null [ "$(jv 'str(d["invoice"])')" = None ]
expect invoices_after_payments 200 "$RO" GET '/v1/invoices?customer=C-001'
check invoices_after_payments_open [ "$(jv '",".join(i["id"]+"="+str(i["amount_open"]) for i in sorted(d["data"], key=lambda i: i["id"]))')" = "INV-1=3995,INV-2=0" ]
before=$(db_digest)
expect payment_repeat_200 200 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-2","customer":"C-001","amount":6000,"currency":"EUR","paid_on":"2026-11-20"}'
check payment_repeat_not_applied [ "$(db_digest)" = "$before" ]
check payment_repeat_body [ "$(jv 'd["id"]+"|"+str("amount_unallocated" in d)')" = "P-2|False" ]
expect payment_over_201 201 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-3","customer":"C-001","amount":5000,"currency":"EUR","paid_on":"2026-11-21T08:00:00Z"}'
check payment_over_credit [ "$(jv 'str(d["amount_unallocated"])+"|"+d["paid_on"]')" = "1005|2026-11-21" ]
check payment_over_all_paid [ "$(open_of INV-1)" = 0 ]
before=$(db_digest)
expect payment_currency_400 400 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-4","customer":"C-001","invoice":"INV-1","amount":100,"currency":"USD","paid_on":"2026-11-20"}'
check payment_currency_param [ "$(jv 'd["error"]["param"]+"|"+d["error"]["type"]')" = "currency|invalid_request_error" ]
expect payment_zero_400 400 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-5","customer":"C-001","amount":0,"currency":"EUR","paid_on":"2026-11-20"}'
check payment_zero_param [ "$(jv 'd["error"]["param"]')" = amount ]
expect payment_unknown_invoice_404 404 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-6","customer":"C-001","invoice":"NOPE","amount":100,"currency":"EUR","paid_on":"2026-11-20"}'
check payment_unknown_invoice_param [ "$(jv 'd["error"]["param"]')" = invoice ]
expect payment_other_customers_invoice_400 400 "$RW" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-7","customer":"C-002","invoice":"INV-1","amount":100,"currency":"EUR","paid_on":"2026-11-20"}'
expect payment_other_tenant_404 404 "$OTHER" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-8","customer":"C-001","amount":100,"currency":"EUR","paid_on":"2026-11-20"}'
check payment_rejects_wrote_nothing [ "$(db_digest)" = "$before" ]
expect payment_read_only_403 403 "$RO" POST /v1/payments "${J[@]}" \
	-d '{"id":"P-9","customer":"C-001","amount":100,"currency":"EUR","paid_on":"2026-11-20"}'
PK=(-H 'Idempotency-Key: pay-1')
expect payment_idem_first 201 "$RW" POST /v1/payments "${J[@]}" "${PK[@]}" \
	-d '{"id":"P-10","customer":"C-002","amount":100,"currency":"EUR","paid_on":"2026-11-20"}'
cp "$T/body" "$T/first"
expect payment_idem_replay 201 "$RW" POST /v1/payments "${J[@]}" "${PK[@]}" \
	-d '{"id":"P-10","customer":"C-002","amount":100,"currency":"EUR","paid_on":"2026-11-20"}'
check payment_idem_same_body cmp -s "$T/body" "$T/first"
check payment_idem_header grep -qi '^Idempotent-Replayed: true' "$T/hdr"
check payments_recorded [ "$(q "SELECT COUNT(*) FROM payments p JOIN tenants t ON t.id = p.tenant_id WHERE t.slug = 'acme'")" = 4 ]

# The OpenAPI document lists the new routes.
expect openapi_new_routes 200 "" GET /v1/openapi.json
check openapi_new_routes_listed [ "$(jv 'str(all(p in d["paths"] for p in ["/v1/cases", "/v1/cases/{id}", "/v1/payments"]))')" = True ]

# ---- api_resources.c: a case's parts, strategies, templates, branding,
# webhook endpoints.
ADMIN=$("$DUNWELL" apikey create --tenant acme --scopes admin 2>/dev/null)
"$DUNWELL" dispatch --tenant acme --as-of 2026-11-21T12:00:00Z --outbox "$T/outbox" >/dev/null 2>&1

# A case's actions, events and messages, each page by page.
expect case_actions_200 200 "$RO" GET "/v1/cases/$CASE/actions"
check case_actions_match_store [ "$(jv 'len(d["data"])')" = "$(q "SELECT COUNT(*) FROM actions WHERE case_id = $CASE")" ]
check case_actions_body [ "$(jv 'd["data"][0]["object"]+"|"+d["data"][0]["id"]+"|"+str(bool(d["data"][0]["step"]))+"|"+d["data"][0]["currency"]+"|"+d["data"][0]["decided_at"][:10]')" = "action|1|True|EUR|2026-11-21" ]
nact=$(jv 'len(d["data"])')
expect case_actions_page1 200 "$RO" GET "/v1/cases/$CASE/actions?limit=1"
check case_actions_page1_more [ "$(jv 'str(len(d["data"]))+str(d["has_more"])')" = "1$([ "$nact" -gt 1 ] && echo True || echo False)" ]
expect case_actions_after_last 200 "$RO" GET "/v1/cases/$CASE/actions?starting_after=$nact"
check case_actions_after_last_empty [ "$(jv 'str(len(d["data"]))+str(d["has_more"])')" = 0False ]
expect case_actions_bad_cursor_400 400 "$RO" GET "/v1/cases/$CASE/actions?starting_after=x"
check case_actions_bad_cursor_param [ "$(jv 'd["error"]["param"]')" = starting_after ]
expect case_events_200 200 "$RO" GET "/v1/cases/$CASE/events?limit=100"
check case_events_match_store [ "$(jv 'len(d["data"])')" = "$(q "SELECT COUNT(*) FROM case_events WHERE case_id = $CASE")" ]
check case_events_first_opened [ "$(jv 'd["data"][0]["kind"]+"|"+d["data"][0]["id"]+"|"+type(d["data"][0]["detail"]).__name__')" = "case.opened|1|dict" ]
nev=$(jv 'len(d["data"])')
if [ "$nev" -ge 2 ]; then
	expect case_events_page2 200 "$RO" GET "/v1/cases/$CASE/events?limit=1&starting_after=1"
	check case_events_page2_id [ "$(jv 'd["data"][0]["id"]')" = 2 ]
fi
expect case_messages_200 200 "$RO" GET "/v1/cases/$CASE/messages"
check case_messages_match_store [ "$(jv 'len(d["data"])')" = "$(q "SELECT COUNT(*) FROM messages WHERE case_id = $CASE")" ]
check case_messages_sent [ "$(jv 'str(len(d["data"]) > 0 and all(m["object"] == "message" and m["channel"] and m["created_at"] for m in d["data"]))')" = True ]
check case_messages_no_link [ "$(jv 'str(any(k in m for m in d["data"] for k in ("link", "link_hash", "link_token", "token", "idempotency_key", "lease_owner")))')" = False ]
check case_messages_no_hash_value [ "$(grep -c -e "$(q "SELECT link_hash FROM messages WHERE case_id = $CASE AND link_hash <> '' LIMIT 1")x" "$T/body")" = 0 ]
first_msg=$(jv 'd["data"][0]["id"]')
expect case_messages_after 200 "$RO" GET "/v1/cases/$CASE/messages?starting_after=$first_msg"
check case_messages_after_skips [ "$(jv 'str(all(int(m["id"]) > '"$first_msg"' for m in d["data"]))')" = True ]
for part in actions messages events; do
	expect "case_${part}_other_tenant_404" 404 "$OTHER" GET "/v1/cases/$CASE/$part"
	check "case_${part}_other_tenant_code" [ "$(jv 'd["error"]["code"]+"|"+d["error"]["param"]')" = "resource_missing|id" ]
done
expect case_actions_missing_404 404 "$RO" GET /v1/cases/99999999/actions
expect case_events_no_key_401 401 "" GET "/v1/cases/$CASE/events"

# Strategies: list, one with its YAML, upload (admin), activate.
expect strategies_list_200 200 "$RO" GET /v1/strategies
check strategies_list_body [ "$(jv '"|".join("%d:%s:%s" % (v["version"], v["source"], v["active"]) for v in d["data"])+"|"+str("yaml" in d["data"][0])')" = "1:basic.yaml:True|False" ]
expect strategy_get_200 200 "$RO" GET /v1/strategies/1
check strategy_get_yaml [ "$(jv 'str(d["yaml"] == open("'"$DUNWELL_ROOT"'/tests/engine/strategies/basic.yaml").read())')" = True ]
# store_sqlite.c's strategy_get does not read created_at yet (null then)
if [ "$BACKEND" = pg ]; then
	check strategy_get_created_at [ "$(jv 'str(d["created_at"])[-1:]')" = Z ]
else
	check strategy_get_created_at_key [ "$(jv 'str("created_at" in d)')" = True ]
fi
expect strategy_missing_404 404 "$RO" GET /v1/strategies/7
expect strategy_other_tenant_404 404 "$OTHER" GET /v1/strategies/1
expect strategy_bad_version_404 404 "$RO" GET /v1/strategies/abc
python3 -c 'import json,sys; print(json.dumps({"yaml": open(sys.argv[1]).read(), "source": "same.yaml", "activate": False}))' \
	"$DUNWELL_ROOT/tests/engine/strategies/sameday.yaml" >"$T/strat.json"
python3 -c 'import json,sys; y = open(sys.argv[1]).read().replace("channels: [email, sms]", "channels: [email, fax]", 1); print(json.dumps({"yaml": y}))' \
	"$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" >"$T/strat_bad.json"
badline=$(python3 -c 'import sys; print(next(i for i, l in enumerate(open(sys.argv[1]), 1) if "channels: [email, sms]" in l))' "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml")
expect strategy_post_write_key_403 403 "$RW" POST /v1/strategies "${J[@]}" --data-binary @"$T/strat.json"
check strategy_post_403_names_admin [ "$(jv 'd["error"]["type"]+"|"+str("admin" in d["error"]["message"])')" = "permission_error|True" ]
before=$(db_digest)
expect strategy_post_bad_yaml_400 400 "$ADMIN" POST /v1/strategies "${J[@]}" --data-binary @"$T/strat_bad.json"
check strategy_post_bad_yaml_param [ "$(jv 'd["error"]["param"]+"|"+d["error"]["code"]')" = "yaml|strategy_invalid" ]
check strategy_post_bad_yaml_line [ "$(jv 'str(":'"$badline"':" in d["error"]["message"] and "fax" in d["error"]["message"])')" = True ]
expect strategy_post_not_yaml_400 400 "$ADMIN" POST /v1/strategies "${J[@]}" -d '{"yaml":"strategies: [\n  {name: x"}'
check strategy_post_not_yaml_param [ "$(jv 'd["error"]["param"]')" = yaml ]
expect strategy_post_unknown_field_400 400 "$ADMIN" POST /v1/strategies "${J[@]}" -d '{"yaml":"x","colour":"red"}'
check strategy_post_unknown_field_param [ "$(jv 'd["error"]["param"]+"|"+d["error"]["code"]')" = "colour|parameter_unknown" ]
expect strategy_post_wrong_type_400 400 "$ADMIN" POST /v1/strategies "${J[@]}" -d '{"yaml":"x","activate":"yes"}'
check strategy_post_wrong_type_param [ "$(jv 'd["error"]["param"]')" = activate ]
expect strategy_post_yaml_number_400 400 "$ADMIN" POST /v1/strategies "${J[@]}" -d '{"yaml":42}'
check strategy_post_yaml_number_param [ "$(jv 'd["error"]["param"]')" = yaml ]
check strategy_rejects_wrote_nothing [ "$(db_digest)" = "$before" ]
SK=(-H 'Idempotency-Key: strat-1')
expect strategy_post_201 201 "$ADMIN" POST /v1/strategies "${J[@]}" "${SK[@]}" --data-binary @"$T/strat.json"
check strategy_post_body [ "$(jv '"%d|%s|%s|%d" % (d["version"], d["source"], d["active"], len(d["strategies"]))')" = "2|same.yaml|False|$(python3 -c 'import sys,re; print(len(re.findall(r"^  - name:", open(sys.argv[1]).read(), re.M)))' "$DUNWELL_ROOT/tests/engine/strategies/sameday.yaml")" ]
cp "$T/body" "$T/first"
expect strategy_post_replay 201 "$ADMIN" POST /v1/strategies "${J[@]}" "${SK[@]}" --data-binary @"$T/strat.json"
check strategy_post_replay_same cmp -s "$T/body" "$T/first"
check strategy_post_replay_header grep -qi '^Idempotent-Replayed: true' "$T/hdr"
check strategy_versions_stored [ "$(q "SELECT COUNT(*) FROM strategy_versions v JOIN tenants t ON t.id = v.tenant_id WHERE t.slug = 'acme'")" = 2 ]
expect strategies_page 200 "$RO" GET '/v1/strategies?limit=1'
check strategies_page_more [ "$(jv 'str(d["data"][0]["version"])+str(d["has_more"])')" = 1True ]
expect strategies_page2 200 "$RO" GET '/v1/strategies?limit=1&starting_after=1'
check strategies_page2_last [ "$(jv 'str(d["data"][0]["version"])+str(d["data"][0]["active"])+str(d["has_more"])')" = 2FalseFalse ]
expect strategy_activate_read_403 403 "$RO" POST /v1/strategies/2/activate
expect strategy_activate_active_200 200 "$ADMIN" POST /v1/strategies/1/activate
check strategy_activate_active_same [ "$(jv 'str(d["version"])+str(d["active"])')" = 1True ]
expect strategy_activate_201 201 "$ADMIN" POST /v1/strategies/2/activate
check strategy_activate_body [ "$(jv '"%d|%s|%d|%s" % (d["version"], d["active"], d["copied_from"], d["source"])')" = "3|True|2|same.yaml" ]
check strategy_activate_one_active [ "$(q "SELECT version FROM strategy_versions v JOIN tenants t ON t.id = v.tenant_id WHERE t.slug = 'acme' AND v.active")" = 3 ]
expect strategy_activate_missing_404 404 "$ADMIN" POST /v1/strategies/99/activate
OTHER_ADMIN=$("$DUNWELL" apikey create --tenant other --scopes admin 2>/dev/null)
expect strategy_activate_other_tenant_404 404 "$OTHER_ADMIN" POST /v1/strategies/2/activate

# Templates: the tenant's own, checked as `template load` checks a file.
python3 -c 'import json,sys; print(json.dumps({"locale": "nl", "id": "friendly_reminder", "source": open(sys.argv[1]).read()}))' \
	"$DUNWELL_ROOT/templates/en/friendly_reminder.tmpl" >"$T/tmpl.json"
python3 -c 'import json,sys; s = open(sys.argv[1]).read().split("\n"); s[5] = s[5] + " {{no_such_variable}}"; print(json.dumps({"locale": "nl", "id": "friendly_reminder", "source": "\n".join(s)}))' \
	"$DUNWELL_ROOT/templates/en/friendly_reminder.tmpl" >"$T/tmpl_bad.json"
expect template_get_builtin_only_404 404 "$RO" GET /v1/templates/nl/friendly_reminder
before=$(db_digest)
expect template_post_bad_400 400 "$ADMIN" POST /v1/templates "${J[@]}" --data-binary @"$T/tmpl_bad.json"
check template_post_bad_param [ "$(jv 'd["error"]["param"]+"|"+d["error"]["code"]')" = "source|template_invalid" ]
check template_post_bad_line [ "$(jv 'str("nl/friendly_reminder.tmpl:6" in d["error"]["message"])')" = True ]
expect template_post_bad_locale_400 400 "$ADMIN" POST /v1/templates "${J[@]}" -d '{"locale":"xx_YY!","id":"a","source":"@subject\nx\n@body\ny\n"}'
check template_post_bad_locale_param [ "$(jv 'd["error"]["param"]')" = locale ]
expect template_post_bad_id_400 400 "$ADMIN" POST /v1/templates "${J[@]}" -d '{"locale":"nl","id":"../x","source":"x"}'
check template_post_bad_id_param [ "$(jv 'd["error"]["param"]')" = id ]
expect template_post_unknown_field_400 400 "$ADMIN" POST /v1/templates "${J[@]}" -d '{"locale":"nl","id":"a","source":"x","lang":"nl"}'
check template_post_unknown_field_param [ "$(jv 'd["error"]["param"]')" = lang ]
expect template_post_wrong_type_400 400 "$ADMIN" POST /v1/templates "${J[@]}" -d '{"locale":"nl","id":"a","source":["x"]}'
check template_post_wrong_type_param [ "$(jv 'd["error"]["param"]')" = source ]
expect template_post_write_key_403 403 "$RW" POST /v1/templates "${J[@]}" --data-binary @"$T/tmpl.json"
check template_rejects_wrote_nothing [ "$(db_digest)" = "$before" ]
expect template_post_201 201 "$ADMIN" POST /v1/templates "${J[@]}" --data-binary @"$T/tmpl.json"
check template_post_body [ "$(jv 'd["object"]+"|"+d["locale"]+"|"+d["id"]+"|"+d["variant"]')" = "template|nl|friendly_reminder|" ]
expect template_post_again_200 200 "$ADMIN" POST /v1/templates "${J[@]}" --data-binary @"$T/tmpl.json"
expect template_get_200 200 "$RO" GET /v1/templates/nl/friendly_reminder
check template_get_source [ "$(jv 'str(d["source"] == open("'"$DUNWELL_ROOT"'/templates/en/friendly_reminder.tmpl").read())')" = True ]
expect template_get_plain_404 404 "$RO" GET '/v1/templates/nl/friendly_reminder?variant=plain'
expect template_get_other_tenant_404 404 "$OTHER" GET /v1/templates/nl/friendly_reminder
TK=(-H 'Idempotency-Key: tmpl-1')
expect template_idem_first 200 "$ADMIN" POST /v1/templates "${J[@]}" "${TK[@]}" --data-binary @"$T/tmpl.json"
expect template_idem_other_body_422 422 "$ADMIN" POST /v1/templates "${J[@]}" "${TK[@]}" --data-binary @"$T/tmpl_bad.json"

# Branding: profile keys, each checked; all or nothing.
expect branding_get_200 200 "$RO" GET /v1/branding
check branding_get_unset [ "$(jv 'd["object"]+"|"+str(d["brand_color"])+"|"+str(len(d))')" = "branding|None|13" ]
before=$(db_digest)
expect branding_low_contrast_400 400 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"help_hours":"Mon-Fri 9-17","brand_color":"#ffcc00"}'
check branding_low_contrast_param [ "$(jv 'd["error"]["param"]+"|"+str("4.5:1" in d["error"]["message"])')" = "brand_color|True" ]
expect branding_bad_iban_400 400 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"brand_color":"#1a4d8f","iban":"NL00ABNA0417164300"}'
check branding_bad_iban_param [ "$(jv 'd["error"]["param"]')" = iban ]
expect branding_unknown_field_400 400 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"brand_colour":"#1a4d8f"}'
check branding_unknown_field_param [ "$(jv 'd["error"]["param"]+"|"+d["error"]["code"]')" = "brand_colour|parameter_unknown" ]
expect branding_not_a_profile_key_400 400 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"deliver_email":"file:/tmp"}'
check branding_not_a_profile_key_param [ "$(jv 'd["error"]["param"]')" = deliver_email ]
expect branding_wrong_type_400 400 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"phone":31201234567}'
check branding_wrong_type_param [ "$(jv 'd["error"]["param"]')" = phone ]
expect branding_write_key_403 403 "$RW" POST /v1/branding "${J[@]}" -d '{"brand_color":"#1a4d8f"}'
check branding_rejects_wrote_nothing [ "$(db_digest)" = "$before" ]
expect branding_post_200 200 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"brand_color":"#1a4d8f","help_email":"help@acme.example","iban":"NL91ABNA0417164300"}'
check branding_post_body [ "$(jv 'd["brand_color"]+"|"+d["help_email"]+"|"+d["iban"]+"|"+str(d["phone"])')" = "#1a4d8f|help@acme.example|NL91ABNA0417164300|None" ]
check branding_stored [ "$(q "SELECT s.value FROM tenant_settings s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = 'acme' AND s.key = 'brand_color'")" = "#1a4d8f" ]
expect branding_remove_200 200 "$ADMIN" POST /v1/branding "${J[@]}" -d '{"iban":null,"help_email":""}'
check branding_removed [ "$(jv 'str(d["iban"])+"|"+str(d["help_email"])+"|"+d["brand_color"]')" = "None|None|#1a4d8f" ]
expect branding_other_tenant 200 "$OTHER" GET /v1/branding
check branding_other_tenant_own [ "$(jv 'str(d["brand_color"])')" = None ]
BK=(-H 'Idempotency-Key: brand-1')
expect branding_idem_first 200 "$ADMIN" POST /v1/branding "${J[@]}" "${BK[@]}" -d '{"help_hours":"Mon-Fri 9:00-17:00"}'
cp "$T/body" "$T/first"
expect branding_idem_replay 200 "$ADMIN" POST /v1/branding "${J[@]}" "${BK[@]}" -d '{"help_hours":"Mon-Fri 9:00-17:00"}'
check branding_idem_same cmp -s "$T/body" "$T/first"
check branding_idem_header grep -qi '^Idempotent-Replayed: true' "$T/hdr"

# Webhook endpoints: the secret once, then only its prefix.
before=$(db_digest)
expect webhook_bad_url_400 400 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" -d '{"url":"http://example.com/hook"}'
check webhook_bad_url_param [ "$(jv 'd["error"]["param"]')" = url ]
expect webhook_bad_event_400 400 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" -d '{"url":"https://example.com/hook","events":["invoice.paid","invoice.eaten"]}'
check webhook_bad_event_param [ "$(jv 'd["error"]["param"]+"|"+str("invoice.eaten" in d["error"]["message"])')" = "events[1]|True" ]
expect webhook_events_not_list_400 400 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" -d '{"url":"https://example.com/hook","events":"invoice.paid"}'
check webhook_events_not_list_param [ "$(jv 'd["error"]["param"]')" = events ]
expect webhook_unknown_field_400 400 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" -d '{"url":"https://example.com/hook","secret":"mine"}'
check webhook_unknown_field_param [ "$(jv 'd["error"]["param"]')" = secret ]
expect webhook_write_key_403 403 "$RW" POST /v1/webhook_endpoints "${J[@]}" -d '{"url":"https://example.com/hook"}'
check webhook_rejects_wrote_nothing [ "$(db_digest)" = "$before" ]
WK=(-H 'Idempotency-Key: hook-1')
expect webhook_post_201 201 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" "${WK[@]}" -d '{"url":"https://example.com/hook","events":["invoice.paid","case.opened"]}'
check webhook_post_body [ "$(jv 'd["object"]+"|"+d["url"]+"|"+",".join(d["events"])+"|"+str(d["active"])+"|"+d["secret"][:6]+"|"+str(d["secret_prefix"] == d["secret"][:10]+"...")')" = "webhook_endpoint|https://example.com/hook|invoice.paid,case.opened|True|whsec_|True" ]
SECRET=$(jv 'd["secret"]')
HOOK=$(jv 'd["id"]')
check webhook_secret_stored [ "$(q "SELECT secret FROM webhook_endpoints WHERE id = $HOOK")" = "$SECRET" ]
expect webhook_post_replay 201 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" "${WK[@]}" -d '{"url":"https://example.com/hook","events":["invoice.paid","case.opened"]}'
check webhook_post_replay_one [ "$(q "SELECT COUNT(*) FROM webhook_endpoints w JOIN tenants t ON t.id = w.tenant_id WHERE t.slug = 'acme'")" = 1 ]
expect webhook_post_all_201 201 "$ADMIN" POST /v1/webhook_endpoints "${J[@]}" -d '{"url":"http://127.0.0.1:9/hook"}'
check webhook_post_all_events [ "$(jv '",".join(d["events"])')" = "*" ]
expect webhook_list_200 200 "$RO" GET /v1/webhook_endpoints
check webhook_list_body [ "$(jv '"|".join(w["url"] for w in d["data"])+"|"+str(d["has_more"])')" = "https://example.com/hook|http://127.0.0.1:9/hook|False" ]
check webhook_list_no_secret [ "$(grep -c -e "${SECRET:10}" "$T/body"):$(jv 'str(any("secret" in w for w in d["data"]))')" = 0:False ]
expect webhook_list_page 200 "$RO" GET "/v1/webhook_endpoints?limit=1"
check webhook_list_page_more [ "$(jv 'd["data"][0]["id"]+"|"+str(d["has_more"])')" = "$HOOK|True" ]
expect webhook_list_page2 200 "$RO" GET "/v1/webhook_endpoints?limit=1&starting_after=$HOOK"
check webhook_list_page2_last [ "$(jv 'str(len(d["data"]))+str(d["has_more"])')" = 1False ]
expect webhook_list_other_tenant 200 "$OTHER" GET /v1/webhook_endpoints
check webhook_list_other_tenant_empty [ "$(jv 'len(d["data"])')" = 0 ]
check no_secret_in_log [ "$(grep -c -e "${SECRET:6}" "$LOG")" = 0 ]

kill -TERM "$SERVER"
wait "$SERVER"
check server_stopped_cleanly [ $? = 0 ]
check no_key_in_log [ "$(grep -c -e "${RW:8}" -e 'anna@' "$LOG")" = 0 ]

# Rate limits: 2 requests a second, a burst of 4, per key and server.
start_server "$T/serve_rate.log" DUNWELL_API_RATE=2
codes=
for _ in $(seq 1 12); do
	hc "$RO" GET /v1/customers/C-001
	codes="$codes $code"
	[ "$code" = 429 ] && cp "$T/hdr" "$T/hdr429" && cp "$T/body" "$T/body429"
done
check rate_burst_passes [ "$(echo "$codes" | tr ' ' '\n' | grep -c '^200$')" -ge 4 ]
check rate_limited_429 [ "$(echo "$codes" | tr ' ' '\n' | grep -c '^429$')" -ge 1 ]
check rate_first_four_pass [ "$(echo "$codes" | cut -d' ' -f2-5)" = "200 200 200 200" ]
check rate_retry_after grep -qiE '^Retry-After: [1-9][0-9]*' "$T/hdr429"
cp "$T/body429" "$T/body"
check rate_error_object [ "$(jv 'd["error"]["type"]+"|"+d["error"]["code"]')" = "rate_limit_error|rate_limited" ]
expect rate_other_key_own_bucket 200 "$RW" GET /v1/customers/C-001
sleep 1.2
expect rate_refilled 200 "$RO" GET /v1/customers/C-001
expect rate_openapi_unlimited 200 "" GET /v1/openapi.json
kill -TERM "$SERVER"
wait "$SERVER"
check rate_server_stopped_cleanly [ $? = 0 ]
finish
