#!/bin/bash
# bench/deliver.sh: e-mails and SMS a second through the real delivery
# adapters to local peers (issue #4: 2,000 e-mails/s to a local SMTP
# server, 10,000 SMS/s to a local HTTP endpoint).
#
#   bench/deliver.sh [EMAILS] [SMS]      default 20000 50000; ROUNDS=3
#   (BUILD=0: use the tools already built in build/release/bench)
#
# Starts bench/smtp_sink and bench/http_sink on loopback, then for each
# round runs, one after the other:
#   smtp           bench/deliver: EMAILS composed e-mails (.eml with the QR
#                  PNG) through the smtp adapter, its default setting
#                  (inflight=8) with starttls=no (a relay on this machine)
#   smtp, 32       the same with inflight=32
#   curl smtp      baseline: the curl command line tool sending EMAILS
#                  copies of one of those .eml files over 8 parallel,
#                  reused connections (--parallel --parallel-max 8): what
#                  libcurl does without dunwell around it
#   twilio, bird   bench/deliver: SMS composed texts through each adapter
#   curl http      baseline: the curl tool POSTing SMS Twilio form requests
#                  over 16 parallel connections (as many as the adapters)
# and prints the median of the rounds for each, with the client's and the
# sink's CPU seconds. Every message must arrive: the sinks' counters are
# compared with what was sent. Before the rounds, 2,000 e-mails go to a
# sink that writes them out, and each is compared byte for byte with what
# was composed (bench/deliver -c).
set -eu
cd "$(dirname "$0")/.."
EMAILS=${1:-20000}
SMS=${2:-50000}
ROUNDS=${ROUNDS:-3}
[ "${BUILD:-1}" = 0 ] || make -s -j2 VARIANT=release all bench-tools >/dev/null
B=build/release/bench
ACC=AC0123456789abcdef0123456789abcdef
TOK=bench-token
KEY=benchkey
work=$(mktemp -d "${TMPDIR:-/tmp}/deliver-bench.XXXXXX")
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# start_sink NAME CMD...: run a sink with its stdin on a FIFO this script
# holds open (the sink stops when the script goes away), wait for "PORT n".
start_sink() {
	local name=$1 fd
	shift
	mkfifo "$work/$name.in"
	"$@" <"$work/$name.in" >"$work/$name.out" 2>"$work/$name.err" &
	pids+=("$!")
	eval "${name}_pid=$!"
	exec {fd}>"$work/$name.in"
	for _ in $(seq 100); do
		grep -q '^PORT ' "$work/$name.out" 2>/dev/null && break
		sleep 0.05
	done
	eval "${name}_port=$(sed -n 's/^PORT //p' "$work/$name.out")"
}

# stat_of NAME FIELD: the sink's current counter (SIGUSR1 makes it print).
stat_of() {
	local name=$1 field=$2 pid before
	pid=$(eval echo "\$${name}_pid")
	before=$(grep -c '^STATS' "$work/$name.out" || true)
	kill -USR1 "$pid"
	for _ in $(seq 100); do
		[ "$(grep -c '^STATS' "$work/$name.out" || true)" -gt "$before" ] && break
		sleep 0.02
	done
	grep '^STATS' "$work/$name.out" | tail -1 | tr ' ' '\n' |
		sed -n "s/^$field=//p"
}

# cpu_of PID: user+system CPU seconds so far.
cpu_of() {
	awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' \
		"/proc/$1/stat"
}

median() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "== delivery benchmark: $EMAILS e-mails, $SMS SMS, $ROUNDS rounds ($(nproc) cores)"

# -- correctness first: what arrives is what was composed -----------------
mkdir "$work/mail"
start_sink check "$B/smtp_sink" -d "$work/mail"
"$B/deliver" -n 2000 -c "$work/mail" \
	"smtp://127.0.0.1:$check_port?starttls=no" | grep -v '^RESULT'
cp "$work/mail/00000001.eml" "$work/one.eml"
kill "$check_pid"

start_sink smtp "$B/smtp_sink"
start_sink http "$B/http_sink" -s "$ACC:$TOK" -k "$KEY"

# curl tool configurations: EMAILS SMTP transfers, SMS Twilio POSTs
awk -v n="$EMAILS" -v port="$smtp_port" -v f="$work/one.eml" 'BEGIN {
	for (i = 1; i <= n; i++) {
		if (i > 1) print "next"
		printf "url = \"smtp://127.0.0.1:%s/bench\"\n", port
		print "mail-from = \"billing@northwind.example\""
		printf "mail-rcpt = \"customer%d@example.com\"\n", i
		printf "upload-file = \"%s\"\n", f
	} }' >"$work/curl-smtp.cfg"
awk -v n="$SMS" -v port="$http_port" -v acc="$ACC" -v tok="$TOK" 'BEGIN {
	for (i = 1; i <= n; i++) {
		if (i > 1) print "next"
		printf "url = \"http://127.0.0.1:%s/2010-04-01/Accounts/%s/Messages.json\"\n", port, acc
		printf "user = \"%s:%s\"\n", acc, tok
		printf "header = \"I-Twilio-Idempotency-Token: dw-1-%010d-sms\"\n", i
		printf "data = \"To=%%2B316%08d&From=%%2B3197010000000&Body=Hello%%20Anna%%2C%%20invoice%%202026-1042-1%%20of%%20EUR%%2049.95%%20is%%20overdue.%%20Pay%%20at%%20https%%3A%%2F%%2Fpay.northwind.example%%2Fp%%2FdH1qO0bnt4eHEk6Ki7SVfWSXb\"\n", i
		print "output = \"/dev/null\""
	} }' >"$work/curl-http.cfg"

TW="twilio:http://127.0.0.1:$http_port?account=$ACC&token=$TOK&from=%2B3197010000000"
BD="bird:http://127.0.0.1:$http_port?key=$KEY&from=Northwind"
SM="smtp://127.0.0.1:$smtp_port?starttls=no"

declare -A rate cpu sinkcpu
# run LABEL SINK N CMD...: one timed run; checks the sink got N more.
run() {
	local label=$1 sink=$2 n=$3 field before after e0 s0 t0 t1 c r
	shift 3
	field=$([ "$sink" = smtp ] && echo messages || echo requests)
	before=$(stat_of "$sink" "$field")
	[ "$sink" = http ] && e0=$(stat_of http errors)
	s0=$(cpu_of "$(eval echo "\$${sink}_pid")")
	if [ "${1:-}" = curl ]; then
		t0=$(date +%s.%N)
		/usr/bin/time -o "$work/time" -f '%U %S' "$@" >/dev/null \
			2>"$work/curl.err" || { cat "$work/curl.err"; exit 1; }
		t1=$(date +%s.%N)
		c=$(awk '{ printf "%.2f", $1 + $2 }' "$work/time")
		r=$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
	else
		"$@" >"$work/run.out" || { cat "$work/run.out"; exit 1; }
		r=$(sed -n 's/.*per_second=\([0-9]*\).*/\1/p' "$work/run.out")
		each=$(sed -n 's/.*bytes_each=\([0-9]*\).*/\1/p' "$work/run.out")
		[ "$sink" = smtp ] && eml_avg=$each || sms_avg=$each
		c=$(sed -n 's/.*cpu_seconds=\([0-9.]*\).*/\1/p' "$work/run.out")
	fi
	after=$(stat_of "$sink" "$field")
	if [ $((after - before)) -ne "$n" ]; then
		echo "FAIL $label: the sink counted $((after - before)) of $n"
		exit 1
	fi
	if [ "$sink" = http ] && [ "$(stat_of http errors)" != "$e0" ]; then
		echo "FAIL $label: the HTTP sink answered requests with errors"
		exit 1
	fi
	rate[$label]+="$r "
	cpu[$label]+="$c "
	sinkcpu[$label]+="$(awk -v a="$s0" -v b="$(cpu_of "$(eval echo "\$${sink}_pid")")" 'BEGIN { printf "%.2f", b - a }') "
	printf '  %-14s %8s per second (client CPU %s s)\n' "$label" "$r" "$c"
}

labels=("smtp" "smtp, 32" "curl smtp" "twilio" "bird" "curl http")
for round in $(seq "$ROUNDS"); do
	echo "round $round"
	run "smtp" smtp "$EMAILS" "$B/deliver" -n "$EMAILS" "$SM"
	run "smtp, 32" smtp "$EMAILS" "$B/deliver" -n "$EMAILS" "$SM&inflight=32"
	run "curl smtp" smtp "$EMAILS" curl -sS --parallel --parallel-max 8 -K "$work/curl-smtp.cfg"
	run "twilio" http "$SMS" "$B/deliver" -n "$SMS" "$TW"
	run "bird" http "$SMS" "$B/deliver" -n "$SMS" "$BD"
	run "curl http" http "$SMS" curl -sS --parallel --parallel-max 16 -K "$work/curl-http.cfg"
done

echo
echo "median of $ROUNDS rounds, per second of wall clock; e-mails of $eml_avg bytes on average"
echo "(curl: one of them, $(stat -c %s "$work/one.eml") bytes), SMS texts of $sms_avg bytes on average"
printf '| %-12s | %10s | %-22s | %-22s |\n' "contender" "per second" "client CPU s (rounds)" "sink CPU s (rounds)"
for l in "${labels[@]}"; do
	printf '| %-12s | %10s | %-22s | %-22s |\n' "$l" \
		"$(echo "${rate[$l]}" | median)" "${cpu[$l]% }" "${sinkcpu[$l]% }"
done
