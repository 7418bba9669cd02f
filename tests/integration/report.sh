# The console's reports (issue #9) over real HTTP: a tenant with known
# data (three customers, the engine run over three weeks, a payment, two
# portal visits), the figures made with "Refresh now" (a same-origin POST
# with the form's token; refused without it, and again within a minute),
# then every number on the page and in the CSV exports checked against
# values worked out independently: by hand (DSO, cohorts, conversion) and
# case by case with plain queries (recovery by step, channel, tone,
# segment, strategy). Charts are SVG with role="img" and a title, each
# beside a table with a caption; CSV is RFC 4180 with a formula guard.
# Needs curl.
. "$DUNWELL_ROOT/tests/lib.sh"
command -v curl >/dev/null || { fail curl_installed "curl is missing (scripts/setup)"; finish; }
"$DUNWELL" tenant add acme --name "Acme Energy" --timezone UTC >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
cat >"$T/customers.csv" <<'CSV'
external_id,name,locale,timezone,country,segments,vulnerable,do_not_contact,moratorium_until,customer_since,email,sms,letter,channels,no_consent
K1,Anna Vries,en,UTC,NL,consumer;vip,false,false,,2024-03-01,anna@example.nl,,,email,
K2,Bakkerij Smit,en,UTC,NL,-cmd;business,false,false,,2019-01-01,smit@example.nl,,,email,
K3,Margaret Hughes,en,UTC,GB,consumer,true,false,,2020-05-05,meg@example.com,,,email,
CSV
cat >"$T/invoices.csv" <<'CSV'
external_id,customer_id,number,issue_date,due_date,amount,open_amount,currency,payment_reference,disputed
J1,K1,2026-0101,2026-09-01,2026-10-01,100.00,,EUR,,
J2,K2,2026-0102,2026-09-15,2026-10-15,200.00,,EUR,,
J3,K3,2026-0103,2026-10-01,2026-10-20,300.00,,EUR,,
CSV
cat >"$T/payments.csv" <<'CSV'
external_id,customer_id,invoice,amount,currency,paid_on,method
Q1,K1,2026-0101,100.00,EUR,2026-10-22,bank_transfer
CSV
run_dw import customers "$T/customers.csv" --tenant acme
check customers_imported [ "$rc" = 0 ]
"$DUNWELL" import invoices "$T/invoices.csv" --tenant acme >/dev/null
for day in 2026-10-05 2026-10-18 2026-10-21; do
	"$DUNWELL" run --reports no --tenant acme --as-of "${day}T09:00:00Z" >/dev/null
done
run_dw import payments "$T/payments.csv" --tenant acme --as-of 2026-10-22T10:00:00Z
check payment_imported [ "$rc" = 0 ]
for day in 2026-10-25 2026-11-05 2026-11-20; do
	"$DUNWELL" run --reports no --tenant acme --as-of "${day}T09:00:00Z" >/dev/null
done
TID=$(q "SELECT id FROM tenants WHERE slug = 'acme'")
case_of() { q "SELECT k.id FROM cases k JOIN customers c ON c.id = k.customer_id WHERE c.external_id = '$1' ORDER BY k.id LIMIT 1"; }
K1C=$(case_of K1)
K2C=$(case_of K2)
check three_cases [ "$(q "SELECT COUNT(*) FROM cases")" = 3 ]
check k1_resolved [ "$(q "SELECT status FROM cases WHERE id = $K1C")" = resolved ]
# Portal visits (what the portal records through store_portal_visit):
# K1 the day before paying, K2 on two days.
q "INSERT INTO portal_visits (tenant_id, case_id, day) VALUES ($TID, $K1C, '2026-10-21'), ($TID, $K2C, '2026-10-21'), ($TID, $K2C, '2026-10-23')"

PW='correct horse battery staple'
printf '%s\n' "$PW" | "$DUNWELL" operator add boss@acme.example --name "Bo Boss" --role manager --tenant acme >/dev/null
serve_start "$T/serve.log" --threads 2 --as-of 2026-11-21T12:00:00Z || finish
C="$BASE/console/acme"
JAR="$T/jar"
hc() {
	local m=$1 u=$2
	shift 2
	code=$(curl -s -o "$T/body" -D "$T/hdr" -w '%{http_code}' -X "$m" "$@" "$u")
}
has() { grep -qF -- "$1" "$T/body"; }
csrf() { grep -oE 'name="csrf" value="[0-9a-f]+"' "$T/body" | head -1 | sed 's/.*value="//; s/"$//'; }

hc GET "$C/reports"
check reports_need_session [ "$code" = 303 ]
hc GET "$C/reports/step.csv"
check csv_needs_session [ "$code" = 303 ]
hc POST "$C/login" -c "$JAR" --data-urlencode "email=boss@acme.example" --data-urlencode "password=$PW"
check login [ "$code" = 303 ]
hc GET "$C/reports" -b "$JAR"
check reports_before_refresh [ "$code" = 200 ]
check says_no_figures_yet has 'There are no figures yet'
TOKEN=$(csrf)
hc POST "$C/reports" -b "$JAR" --data "csrf=wrong"
check refresh_without_token_403 [ "$code" = 403 ]
check refused_refresh_made_nothing [ "$(q "SELECT COUNT(*) FROM report_refreshes")" = 0 ]
hc POST "$C/reports" -b "$JAR" -H "Origin: http://evil.example" --data "csrf=$TOKEN"
check refresh_cross_origin_403 [ "$code" = 403 ]
hc POST "$C/reports" -b "$JAR" --data "csrf=$TOKEN"
check refresh_303 [ "$code" = 303 ]
check refresh_back_to_page grep -qi "^Location: /console/acme/reports" "$T/hdr"
check refresh_recorded [ "$(q "SELECT COUNT(*) FROM report_refreshes WHERE tenant_id = $TID")" = 1 ]
hc POST "$C/reports" -b "$JAR" --data "csrf=$TOKEN"
check second_refresh_within_a_minute_429 [ "$code" = 429 ]

hc GET "$C/reports" -b "$JAR"
cp "$T/body" "$T/page.html"
check reports_page [ "$code" = 200 ]
check as_of_shown has 'Figures as of <time datetime="2026-11-21">2026-11-21</time>'
check refresh_button has '<button type="submit">Refresh now</button>'
check charts_are_images [ "$(grep -o 'role="img"' "$T/page.html" | wc -l)" = 8 ]
check charts_have_titles [ "$(grep -o '<title id="chart-' "$T/page.html" | wc -l)" = 8 ]
check figures_captioned [ "$(grep -o '<figcaption>' "$T/page.html" | wc -l)" = 8 ]
check tables_captioned [ "$(grep -o '<caption>' "$T/page.html" | wc -l)" = 9 ]
check no_style_attributes sh -c "! grep -q 'style=' '$T/page.html'"
check no_scripts sh -c "! grep -qi '<script' '$T/page.html'"
check csp_header grep -qi "^Content-Security-Policy: default-src 'none'" "$T/hdr"
# Every element closed in order (void elements aside), SVG included.
check page_tags_balanced python3 -c 'import sys
from html.parser import HTMLParser
void = {"meta", "link", "input", "br", "img", "hr", "rect", "line", "circle", "path"}
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.stack = []; self.bad = 0
    def handle_starttag(self, t, a):
        if t not in void: self.stack.append(t)
    def handle_startendtag(self, t, a): pass
    def handle_endtag(self, t):
        if t in void: return
        if not self.stack or self.stack.pop() != t: self.bad += 1
p = P(); p.feed(open(sys.argv[1]).read())
sys.exit(1 if p.bad or p.stack else 0)' "$T/page.html"
check dso_formula_stated has 'DSO = open receivables ÷ credit sales of the last 90 days × 90'

# ---- recovery by step, channel, tone, segment, strategy ------------------
# Expected, case by case: the last contact decided (latest due day, then
# decision time), the customer's segments, the case's strategy, resolved
# or not, and the payments of the customer in the case's currency while
# the case was open (up to the date of the figures).
: >"$T/facts"
for id in $(q "SELECT id FROM cases ORDER BY id"); do
	last=$(q "SELECT step || '|' || channel || '|' || tone FROM actions WHERE case_id = $id AND kind = 'contact' ORDER BY due_on DESC, decided_at DESC, step DESC, channel DESC LIMIT 1")
	[ -n "$last" ] || last='||'
	info=$(q "SELECT k.strategy || '|' || CASE WHEN k.status = 'resolved' THEN 1 ELSE 0 END || '|' || k.currency || '|' || c.segments || '|' || (SELECT COALESCE(SUM(p.amount_minor), 0) FROM payments p WHERE p.customer_id = k.customer_id AND p.currency = k.currency AND p.paid_on >= k.opened_on AND (k.closed_on IS NULL OR p.paid_on <= k.closed_on) AND p.paid_on <= '2026-11-21') FROM cases k JOIN customers c ON c.id = k.customer_id WHERE k.id = $id")
	echo "$last|$info" >>"$T/facts"
done
# facts: step|channel|tone|strategy|cured|currency|segments|recovered
expect() { # expect COLUMN-OF-FACTS (1 step, 2 channel, 3 tone, 4 strategy, 7 segments)
	awk -F'|' -v col="$1" '
	function out(k, cur) {
		c = n[k]; p = int((2 * cured[k] * 1000 + c) / (2 * c))
		printf "%s,%s,%d,%d,%d.%d,%d.%02d\n", key[k], cur, c, cured[k], int(p / 10), p % 10, int(rec[k] / 100), rec[k] % 100
	}
	{
		m = split(col == 7 ? $7 : $col, tags, " ")
		if (m == 0) { m = 1; tags[1] = "" }
		for (i = 1; i <= m; i++) {
			k = tags[i] SUBSEP $6; key[k] = tags[i]; cr[k] = $6
			n[k]++; cured[k] += $5; rec[k] += $8
		}
	}
	END { for (k in n) out(k, cr[k]) }' "$T/facts" | sort
}
for dim in step:1 channel:2 tone:3 strategy:4 segment:7; do
	name=${dim%%:*}
	hc GET "$C/reports/$name.csv" -b "$JAR"
	check "${name}_csv_200" [ "$code" = 200 ]
	tr -d '\r' <"$T/body" | tail -n +2 | sed "s/^\"'-cmd\"/-cmd/" | sort >"$T/got_$name"
	expect "${dim##*:}" >"$T/want_$name"
	if cmp -s "$T/got_$name" "$T/want_$name"; then
		pass "${name}_figures_match_the_data"
	else
		fail "${name}_figures_match_the_data" "got $(tr '\n' ';' <"$T/got_$name") want $(tr '\n' ';' <"$T/want_$name")"
	fi
done
check csv_header [ "$(head -n 1 "$T/body" | tr -d '\r')" = "segment,currency,cases,cured,cure_rate_percent,recovered" ]
check csv_crlf [ "$(head -n 1 "$T/body" | od -An -c | grep -c '\\r')" = 1 ]
# The segment "-cmd" starts like a formula: guarded with an apostrophe.
check csv_formula_guard grep -qF "\"'-cmd\",EUR,1,0,0.0,0.00" "$T/body"
check csv_content_type grep -qi "^Content-Type: text/csv; charset=utf-8" "$T/hdr"
check csv_attachment grep -qi "^Content-Disposition: attachment; filename=\"segment-2026-11-21.csv\"" "$T/hdr"
# The page shows the same: K1's case under strategy standard, cured, 100.00.
check page_strategy_row python3 -c 'import sys
s = open(sys.argv[1]).read()
sys.exit(0 if "<th scope=\"row\">standard</th><td class=\"num\">2</td><td class=\"num\">1</td><td class=\"num\">50.0 %</td>" in s else 1)' "$T/page.html"
check page_segment_shown grep -qF '<th scope="row">-cmd</th>' "$T/page.html"

# ---- the portal ------------------------------------------------------------
# Two cases visited on three days; K1 paid the day after its visit; K2 did
# nothing yet.
hc GET "$C/reports/portal.csv" -b "$JAR"
tr -d '\r' <"$T/body" >"$T/portal.csv"
check portal_visited grep -qx 'visited,2,100.0' "$T/portal.csv"
check portal_paid grep -qx 'paid,1,50.0' "$T/portal.csv"
check portal_plan grep -qx 'plan,0,0.0' "$T/portal.csv"
check portal_visit_days grep -qx 'visit_days,3,' "$T/portal.csv"
check page_portal_row grep -qF '<th scope="row">Paid</th><td class="num">1</td><td class="num">50.0 %</td>' "$T/page.html"

# ---- days sales outstanding -------------------------------------------------
# Open: J2 and J3 (500.00); invoiced from 2026-08-24 to 2026-11-21: all
# three (600.00); DSO = 500 / 600 x 90 = 75.0 days. Checked against the
# invoices as they are.
open=$(q "SELECT SUM(open_minor) FROM invoices WHERE open_minor > 0 AND CAST(written_off AS INTEGER) = 0")
sales=$(q "SELECT SUM(amount_minor) FROM invoices WHERE issue_date > '2026-08-23' AND issue_date <= '2026-11-21'")
check dso_inputs [ "$open|$sales" = "50000|60000" ]
hc GET "$C/reports/dso.csv" -b "$JAR"
check dso_csv grep -qx $'EUR,500.00,2,600.00,75.0\r' "$T/body"
check page_dso grep -qF '<td class="num">75.0 days</td>' "$T/page.html"
hc GET "$C/reports/aging.csv" -b "$JAR"
# J2 due 10-15 (37 days), J3 due 10-20 (32 days): both 31-60 days.
check aging_csv grep -qx $'EUR,31-60 days,2,500.00\r' "$T/body"

# ---- cohorts ----------------------------------------------------------------
# All three fell due in October (600.00); K1's 100.00 came 21 days after
# J1's due date: 0 % by day 14, 16.7 % by day 21; October has reached day
# 21 on 21 November, not day 28.
hc GET "$C/reports/cohort.csv" -b "$JAR"
check cohort_csv grep -qx $'2026-10,EUR,3,600.00,0.0,0.0,0.0,16.7,,,,,,,,,,\r' "$T/body"
check page_cohort grep -qF '<th scope="row">2026-10</th><td class="num">3</td>' "$T/page.html"

# ---- bad names ---------------------------------------------------------------
hc GET "$C/reports/nope.csv" -b "$JAR"
check unknown_csv_404 [ "$code" = 404 ]
hc GET "$C/reports/step.txt" -b "$JAR"
check not_csv_404 [ "$code" = 404 ]
serve_stop

# ---- from the command line ------------------------------------------------
# `dunwell report refresh` rebuilds the rows now; the daily run does it at
# its end, unless told not to.
as_of() { q "SELECT as_of FROM report_refreshes WHERE tenant_id = $TID"; }
run_dw report refresh --tenant acme --as-of 2026-11-22T09:00:00Z
check cli_refresh_ok [ "$rc" = 0 ] && grep -q 'reports refreshed as of 2026-11-22' "$T/out" && [ "$(as_of)" = 2026-11-22 ]
run_dw report nonsense --tenant acme
check cli_refresh_usage [ "$rc" != 0 ]
"$DUNWELL" run --tenant acme --as-of 2026-11-23T09:00:00Z >/dev/null
check run_refreshes_reports [ "$(as_of)" = 2026-11-23 ]
"$DUNWELL" run --reports no --tenant acme --as-of 2026-11-24T09:00:00Z >/dev/null
check run_reports_no_skips [ "$(as_of)" = 2026-11-23 ]
run_dw run --reports maybe --tenant acme
check run_reports_value_checked [ "$rc" != 0 ] && grep -q "yes or no expected" "$T/err"
finish
