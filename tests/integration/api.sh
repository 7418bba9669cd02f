# The JSON API v1 over real HTTP (issue #5, docs/api.md): API keys (401
# without or with a revoked key, 403 without the scope), customers
# (create, update, validation naming the field, pagination across pages),
# invoices (one, bulk all or nothing with the failing index and field,
# listing), Idempotency-Key (replay with the same body and header, 422 for
# another body), tenant isolation (another tenant's id is 404) and the
# OpenAPI document. Needs curl and python3.
. "$DUNWELL_ROOT/tests/lib.sh"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam --locale nl >/dev/null
"$DUNWELL" tenant add other >/dev/null
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

LOG="$T/serve.log"
"$DUNWELL" serve --listen 127.0.0.1:0 --threads 2 --as-of 2026-11-21T12:00:00Z 2>"$LOG" &
SERVER=$!
port=
for _ in $(seq 1 100); do
	port=$(python3 -c 'import json,sys
try:
    print(json.loads(open(sys.argv[1]).readline())["listen"].rsplit(":", 1)[1])
except Exception:
    pass' "$LOG" 2>/dev/null)
	[ -n "$port" ] && break
	kill -0 "$SERVER" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$port" ]; then
	fail server_started "$(head -c 600 "$LOG")"
	kill "$SERVER" 2>/dev/null
	finish
fi
BASE="http://127.0.0.1:$port"
for _ in $(seq 1 50); do
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200 ] && break
	sleep 0.2
done

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
check isolation_name_unchanged [ "$(q "SELECT c.name FROM customers c JOIN tenants t ON t.id = c.tenant_id WHERE t.slug = 'acme' AND external_id = 'C-100'")" = Idem ]

# The OpenAPI document, without a key.
expect openapi_200 200 "" GET /v1/openapi.json
check openapi_body [ "$(jv 'd["openapi"]+" "+str("/v1/invoices/bulk" in d["paths"])')" = "3.1.0 True" ]

kill -TERM "$SERVER"
wait "$SERVER"
check server_stopped_cleanly [ $? = 0 ]
check no_key_in_log [ "$(grep -c -e "${RW:8}" -e 'anna@' "$LOG")" = 0 ]
finish
