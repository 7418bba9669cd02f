# Fault injection through `dunwell dispatch` end to end (issue #4, Tests):
# the real binary against the fake peers, each scenario on a database of
# its own with a small made-up book (a one-step strategy, customers whose
# preferred channel is the one under test and whose other channel is the
# fallback).
#
#   timeout  the SMS provider (fake Twilio) never answers the first
#            request: that message waits for its retry (queued, 1 attempt,
#            the timeout as its error, not_before = now + the backoff);
#            later it is sent once, with the same idempotency key
#   close    the provider closes the connection without answering: same
#   invalid  Twilio answers 400, error 21211 (invalid 'To' number): the
#            SMS bounces, is never retried, and the step goes out by
#            e-mail instead
#   greylist the SMTP server answers 451 to the first recipient: retried,
#            then delivered once (one copy in the mailbox)
#   bounce   the SMTP server answers 550 (user unknown): the e-mail bounces
#            and the step goes out by SMS
#   burst    50 SMS, every third request answered 500: after four rounds
#            every message is sent exactly once, under one key each
#
# A killed dispatcher is workers.sh's and dispatch.sh's subject.
. "${DUNWELL_ROOT:?run through tests/run}/tests/lib.sh"
PY=/usr/bin/python3              # Debian's, which sees python3-aiosmtpd
T0=2026-11-18T09:00:00Z          # a Wednesday, 10:00 in Amsterdam
T0S=$(date -u -d "$T0" +%s)
ACCOUNT=AC0123456789abcdef0123456789abcdef
export TW_TOKEN=twilio-test-token

# at SECONDS: the instant T0 + SECONDS, as dunwell reads it.
at() { date -u -d "@$((T0S + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# epoch COLUMN: SQL for an instant column as Unix seconds, on either backend.
epoch() {
	if [ "$BACKEND" = pg ]; then
		echo "CAST(EXTRACT(EPOCH FROM $1) AS BIGINT)"
	else
		echo "CAST(strftime('%s', $1) AS INTEGER)"
	fi
}

# backoff ATTEMPTS KEY: src/outbox.c's outbox_backoff, in Python (the
# wait before try ATTEMPTS+1: 60 s doubling, +-20% spread from the key).
backoff() {
	python3 - "$1" "$2" <<'PY'
import sys
attempts, key = int(sys.argv[1]), sys.argv[2]
M = (1 << 64) - 1
h, base, i = 1469598103934665603, 60, 1
while i < attempts and base < 6 * 3600:
    base, i = base * 2, i + 1
base = min(base, 6 * 3600)
for c in key.encode():
    h = ((h ^ c) * 1099511628211) & M
h = ((h ^ attempts) * 1099511628211) & M
spread = base // 5
print(base - spread + h % (2 * spread + 1))
PY
}

# rec FILE WHAT [ARG]: facts from a fake_providers.py record.
#   lines | keys (distinct idempotency keys) | status CODE | fault KIND
#   | to NUMBER | statuses KEY ("0,201": that key's answers in order)
#   | once (keys answered 2xx exactly once) | twice (keys answered 2xx
#   more than once)
rec() {
	python3 - "$@" <<'PY'
import collections, json, sys
path, what = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else None
try:
    rows = [json.loads(l) for l in open(path, encoding="utf-8")]
except FileNotFoundError:
    rows = []
def key(r):
    return r["headers"].get("i-twilio-idempotency-token", "")
ok = collections.Counter(key(r) for r in rows if 200 <= r["status"] < 300)
if what == "lines":
    print(len(rows))
elif what == "keys":
    print(len({key(r) for r in rows}))
elif what == "status":
    print(sum(1 for r in rows if r["status"] == int(arg)))
elif what == "fault":
    print(sum(1 for r in rows if r.get("fault") == arg))
elif what == "to":
    print(sum(1 for r in rows if (r.get("form") or {}).get("To") == arg
              or ("To=" + arg.replace("+", "%2B")) in r["body"].split("&")))
elif what == "statuses":
    print(",".join(str(r["status"]) for r in rows if key(r) == arg))
elif what == "once":
    print(sum(1 for k, n in ok.items() if n == 1))
elif what == "twice":
    print(sum(1 for k, n in ok.items() if n > 1))
PY
}

# peer_start NAME CMD...: start a test peer (fake_providers.py or
# smtp_server.py) that prints "PORT <n>" and exits when its stdin closes;
# sets NAME_PORT, NAME_PID and NAME_FD (our end of its stdin). Returns
# non-zero (with a FAIL) when it does not come up.
peer_start() {
	local name=$1 fd pid port= word
	shift
	rm -f "$T/$name.in" "$T/$name.out"
	mkfifo "$T/$name.in"
	"$@" <"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	exec {fd}>"$T/$name.in"
	for _ in $(seq 1 100); do
		read -r word port <"$T/$name.out" 2>/dev/null
		[ "${word:-}" = PORT ] && [ -n "$port" ] && break
		port=
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	printf -v "${name}_PID" '%s' "$pid"
	printf -v "${name}_FD" '%s' "$fd"
	printf -v "${name}_PORT" '%s' "$port"
	if [ -z "$port" ]; then
		fail "${name}_started" "$(head -c 600 "$T/$name.err")"
		return 1
	fi
}

# peer_stop NAME: close its stdin (it exits) and wait for it.
peer_stop() {
	local fdv="${1}_FD" pidv="${1}_PID"
	[ -n "${!fdv:-}" ] && eval "exec ${!fdv}>&-"
	if [ -n "${!pidv:-}" ]; then
		kill "${!pidv}" 2>/dev/null
		wait "${!pidv}" 2>/dev/null
	fi
	printf -v "$fdv" '%s' ""
	printf -v "$pidv" '%s' ""
}

# book NAME SPEC...: a new database with tenant acme, the one-step
# strategy, and one customer per SPEC "ID EMAIL SMS CHANNELS" (";"
# between channels), each owing one invoice due 2026-11-10; the run of
# T0's morning has queued each one's reminder. Prints the target.
cat >"$T/strategy.yaml" <<'YAML'
contact_policy:
  min_days_between: 1
  max_per_7_days: 3
strategies:
  - name: standard
    steps:
      - {id: reminder, offset: 3, channels: [sms, email], template: reminder, tone: friendly}
rules:
  - default: standard
YAML
book() {
	local name=$1 db spec id email sms channels n=0
	shift
	exec 2>"$T/book.err"
	db=$(new_db "$name") || return 1
	echo "external_id,name,locale,timezone,country,segments,vulnerable,do_not_contact,moratorium_until,customer_since,email,sms,letter,channels,no_consent" >"$T/$name.customers.csv"
	echo "external_id,customer_id,number,issue_date,due_date,amount,open_amount,currency,payment_reference,disputed" >"$T/$name.invoices.csv"
	for spec in "$@"; do
		read -r id email sms channels <<<"$spec"
		n=$((n + 1))
		echo "$id,Customer $id,en,Europe/Amsterdam,NL,consumer,false,false,,2024-01-01,$email,$sms,,$channels," >>"$T/$name.customers.csv"
		echo "I$id,$id,2026-$(printf %04d "$n"),2026-10-27,2026-11-10,50.00,,EUR,," >>"$T/$name.invoices.csv"
	done
	"$DUNWELL" tenant add acme --timezone Europe/Amsterdam --db "$db" >/dev/null &&
		"$DUNWELL" strategy load "$T/strategy.yaml" --db "$db" --tenant acme >/dev/null &&
		"$DUNWELL" import customers "$T/$name.customers.csv" --db "$db" --tenant acme >/dev/null &&
		"$DUNWELL" import invoices "$T/$name.invoices.csv" --db "$db" --tenant acme >/dev/null &&
		"$DUNWELL" run --db "$db" --tenant acme --as-of 2026-11-18T07:00:00Z >/dev/null || return 1
	echo "$db"
}

# booked NAME: book NAME failed: say so (and why), return non-zero.
booked() {
	fail "${1}_book" "$(head -c 600 "$T/book.err")"
	return 1
}

# dispatch NAME DB SECONDS: `dunwell dispatch` at T0 + SECONDS; FAIL unless
# it exits 0.
dispatch() {
	if "$DUNWELL" dispatch --db "$2" --tenant acme --as-of "$(at "$3")" >"$T/dispatch.out" 2>"$T/dispatch.err"; then
		pass "$1"
	else
		fail "$1" "exit $?: $(head -c 600 "$T/dispatch.err")"
	fi
}

# twilio_setting PORT [TIMEOUT]: deliver_sms to the fake Twilio on PORT.
twilio_setting() { echo "twilio:http://127.0.0.1:$1?account=$ACCOUNT&token=\${TW_TOKEN}&from=+3197010000000&timeout=${2:-20}"; }

# ---- the provider times out, or closes the connection ----------------------
# conn_fault NAME FAKE-OPTION TIMEOUT ERROR: three SMS customers, the
# first request to arrive gets the fault; the adapter's timeout= is
# TIMEOUT seconds (what a hang costs; enough for the others to be
# answered on a busy machine); ERROR is the message's last_error.
conn_fault() {
	local name=$1 opt=$2 timeout=$3 error=$4 db r key wait n_before kind
	kind=${opt#--}
	kind=${kind%-first}
	db=$(book "$name" \
		"${name}1 ${name}1@example.nl +31610000001 sms;email" \
		"${name}2 ${name}2@example.nl +31610000002 sms;email" \
		"${name}3 ${name}3@example.nl +31610000003 sms;email") ||
		{ booked "$name"; return; }
	r="$T/$name.jsonl"
	peer_start FAKE "$PY" "$DUNWELL_ROOT/tests/tools/fake_providers.py" --record "$r" "$opt" 1 || return
	"$DUNWELL" tenant set deliver_sms "$(twilio_setting "$FAKE_PORT" "$timeout")" --db "$db" --tenant acme >/dev/null
	"$DUNWELL" tenant set deliver_email "file:$T/$name-mail" --db "$db" --tenant acme >/dev/null
	check "${name}_three_sms_queued" [ "$(q "SELECT COUNT(*) FROM actions WHERE kind='contact' AND status='queued' AND channel='sms'" "$db")" = 3 ]

	dispatch "${name}_dispatch" "$db" 0
	check "${name}_fault_hit_once" [ "$(rec "$r" fault "$kind")" = 1 ]
	check "${name}_three_requests" [ "$(rec "$r" lines)" = 3 ]
	check "${name}_others_sent" [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='sent' AND provider='twilio' AND attempts=1" "$db")" = 2 ]
	check "${name}_one_waits" [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='queued' AND attempts=1 AND provider_id=''" "$db")" = 1 ]
	check "${name}_error_kept" [ "$(q "SELECT last_error FROM messages WHERE status='queued'" "$db")" = "$error" ]
	key=$(q "SELECT idempotency_key FROM messages WHERE status='queued'" "$db")
	wait=$(backoff 1 "$key")
	check "${name}_backoff" [ "$(q "SELECT $(epoch not_before) FROM messages WHERE status='queued'" "$db")" = $((T0S + wait)) ]
	check "${name}_backoff_in_range" [ "$wait" -ge 48 -a "$wait" -le 72 ]
	check "${name}_retry_event" [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.retry'" "$db")" = 1 ]
	check "${name}_retry_event_says_why" [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.retry' AND detail LIKE '%no answer%'" "$db")" = 1 ]
	check "${name}_not_a_hard_failure" [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind IN ('message.failed','message.bounced','message.dead')" "$db")" = 0 ]
	check "${name}_no_fallback" [ "$(q "SELECT COUNT(*) FROM messages WHERE channel<>'sms'" "$db")" = 0 ]
	check "${name}_sent_events" [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$db")" = 2 ]

	# Before its time nothing is tried again.
	n_before=$(db_digest "$db")
	dispatch "${name}_dispatch_early" "$db" $((wait - 1))
	check "${name}_early_no_request" [ "$(rec "$r" lines)" = 3 ]
	check "${name}_early_nothing_changed" [ "$(db_digest "$db")" = "$n_before" ]

	# After the backoff: sent, once, with the same key.
	dispatch "${name}_dispatch_later" "$db" $((wait + 1))
	check "${name}_all_sent" [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='sent' AND provider_id LIKE 'SM%'" "$db")" = 3 ]
	check "${name}_retried_sent_attempt_2" [ "$(q "SELECT attempts || ' ' || status || ' [' || last_error || ']' FROM messages WHERE idempotency_key='$key'" "$db")" = "2 sent []" ]
	check "${name}_four_requests" [ "$(rec "$r" lines)" = 4 ]
	check "${name}_same_key_twice" [ "$(rec "$r" statuses "$key")" = "0,201" ]
	check "${name}_three_keys" [ "$(rec "$r" keys)" = 3 ]
	check "${name}_each_key_sent_once" [ "$(rec "$r" once)" = 3 ]
	check "${name}_sent_events_3" [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$db")" = 3 ]
	check "${name}_still_one_retry" [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.retry'" "$db")" = 1 ]
	peer_stop FAKE
}
conn_fault timeout --hang-first 3 "twilio: no answer: timed out after 3 s"
conn_fault close --close-first 20 "twilio: no answer: Server returned nothing (no headers, no data)"

# ---- a permanent 4xx: invalid number → the next channel ---------------------
# +3190... is an invalid number to the fake (Twilio error 21211), which
# deliver_sms_twilio maps to a hard failure.
r="$T/invalid.jsonl"
if { db=$(book invalid \
	"V1 v1@example.nl +31901234567 sms;email" \
	"V2 v2@example.nl +31610000002 sms;email") || booked invalid; } &&
	peer_start FAKE "$PY" "$DUNWELL_ROOT/tests/tools/fake_providers.py" --record "$r"; then
	"$DUNWELL" tenant set deliver_sms "$(twilio_setting "$FAKE_PORT")" --db "$db" --tenant acme >/dev/null
	"$DUNWELL" tenant set deliver_email "file:$T/invalid-mail" --db "$db" --tenant acme >/dev/null
	dispatch invalid_dispatch "$db" 0
	v1="(SELECT c.id FROM customers c WHERE c.external_id='V1')"
	check invalid_sms_bounced [ "$(q "SELECT status || ' ' || attempts || ' ' || provider || ' [' || last_error || ']' FROM messages WHERE customer_id=$v1 AND channel='sms'" "$db")" = "bounced 1 twilio [twilio: HTTP 400, error 21211: The 'To' number +31901234567 is not a valid phone number.]" ]
	check invalid_bounce_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.bounced' AND detail LIKE '%\"channel\":\"sms\"%' AND detail LIKE '%error 21211%'" "$db")" = 1 ]
	check invalid_no_other_failure [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind IN ('message.failed','message.retry','message.dead')" "$db")" = 0 ]
	check invalid_fallback_email_sent [ "$(q "SELECT status || ' ' || provider || ' ' || fallbacks || '|' || idempotency_key FROM messages WHERE customer_id=$v1 AND channel='email'" "$db")" = "sent file |$(q "SELECT 'dw-' || tenant_id || '-' || case_id || '-reminder-email' FROM messages WHERE customer_id=$v1 AND channel='sms'" "$db")" ]
	check invalid_fallback_written [ "$(grep -l '^To: .*v1@example.nl' "$T"/invalid-mail/email/*.eml 2>/dev/null | wc -l)" = 1 ]
	check invalid_one_email_only [ "$(find "$T/invalid-mail" -name '*.eml' | wc -l)" = 1 ]
	check invalid_other_sms_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='sent' AND provider='twilio'" "$db")" = 1 ]
	check invalid_sent_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$db")" = 2 ]
	check invalid_asked_once [ "$(rec "$r" to +31901234567)" = 1 ]
	check invalid_two_requests [ "$(rec "$r" lines)" = 2 ]
	# Later rounds try nothing on SMS again.
	before=$(db_digest "$db")
	dispatch invalid_dispatch_later "$db" 7200
	check invalid_not_retried [ "$(rec "$r" lines)" = 2 ]
	check invalid_later_nothing_changed [ "$(db_digest "$db")" = "$before" ]
	peer_stop FAKE
fi

# ---- SMTP: 451 to the first recipient (greylisting) -------------------------
smtp_setting() { echo "smtp://127.0.0.1:$1?starttls=no&from=billing@acme.example&timeout=10"; }
mkdir -p "$T/grey-mx"
if { db=$(book greylist \
	"G1 g1@example.nl +31610000001 email;sms" \
	"G2 g2@example.nl +31610000002 email;sms") || booked greylist; } &&
	peer_start SMTPD "$PY" "$DUNWELL_ROOT/tests/tools/smtp_server.py" --dir "$T/grey-mx" --defer-first 1 --log-refused "$T/grey-refused.log"; then
	"$DUNWELL" tenant set deliver_email "$(smtp_setting "$SMTPD_PORT")" --db "$db" --tenant acme >/dev/null
	"$DUNWELL" tenant set deliver_sms "file:$T/grey-sms" --db "$db" --tenant acme >/dev/null
	dispatch greylist_dispatch "$db" 0
	check greylist_refused_once [ "$(wc -l <"$T/grey-refused.log")" = 1 ]
	deferred=$(cut -d' ' -f2 "$T/grey-refused.log")
	check greylist_451 grep -qx "451 g[12]@example.nl" "$T/grey-refused.log"
	check greylist_one_delivered [ "$(ls "$T/grey-mx" | grep -c '\.msg$')" = 1 ]
	check greylist_one_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='email' AND status='sent' AND provider='smtp'" "$db")" = 1 ]
	check greylist_one_waits [ "$(q "SELECT COUNT(*) FROM messages m JOIN customers c ON c.id=m.customer_id WHERE m.status='queued' AND m.attempts=1 AND c.external_id='$(echo "$deferred" | sed 's/@.*//; s/g/G/')'" "$db")" = 1 ]
	check greylist_error_kept [ "$(q "SELECT last_error FROM messages WHERE status='queued'" "$db")" = "RCPT TO deferred (temporary): 451 4.7.1 <$deferred>: Recipient address rejected: Greylisted, try again later" ]
	key=$(q "SELECT idempotency_key FROM messages WHERE status='queued'" "$db")
	wait=$(backoff 1 "$key")
	check greylist_backoff [ "$(q "SELECT $(epoch not_before) FROM messages WHERE status='queued'" "$db")" = $((T0S + wait)) ]
	check greylist_retry_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.retry'" "$db")" = 1 ]
	check greylist_no_fallback [ "$(q "SELECT COUNT(*) FROM messages WHERE channel<>'email'" "$db")" = 0 ]
	dispatch greylist_dispatch_later "$db" $((wait + 1))
	check greylist_both_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='email' AND status='sent' AND provider='smtp'" "$db")" = 2 ]
	check greylist_retried_attempts [ "$(q "SELECT attempts FROM messages WHERE idempotency_key='$key'" "$db")" = 2 ]
	check greylist_two_in_mailbox [ "$(ls "$T/grey-mx" | grep -c '\.msg$')" = 2 ]
	check greylist_one_copy_each [ "$(grep -h '^RCPT TO:' "$T"/grey-mx/*.msg | sort | uniq -c | awk '{print $1}' | sort -u | tr '\n' ' ')" = "1 " ]
	check greylist_deferred_arrived [ "$(grep -l "^RCPT TO:<$deferred>" "$T"/grey-mx/*.msg | wc -l)" = 1 ]
	check greylist_same_message_id [ "$(grep -il "^Message-ID: <$key@" "$T"/grey-mx/*.msg | wc -l)" = 1 ]
	check greylist_still_one_refusal [ "$(wc -l <"$T/grey-refused.log")" = 1 ]
	check greylist_sent_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$db")" = 2 ]
	peer_stop SMTPD
fi

# ---- SMTP: 550 → the next channel (SMS through fake Twilio) ----------------
mkdir -p "$T/bounce-mx"
r="$T/bounce.jsonl"
if { db=$(book bounce \
	"B1 bounce1@example.nl +31610000001 email;sms" \
	"B2 b2@example.nl +31610000002 email;sms") || booked bounce; } &&
	peer_start SMTPD "$PY" "$DUNWELL_ROOT/tests/tools/smtp_server.py" --dir "$T/bounce-mx" --log-refused "$T/bounce-refused.log" &&
	peer_start FAKE "$PY" "$DUNWELL_ROOT/tests/tools/fake_providers.py" --record "$r"; then
	"$DUNWELL" tenant set deliver_email "$(smtp_setting "$SMTPD_PORT")" --db "$db" --tenant acme >/dev/null
	"$DUNWELL" tenant set deliver_sms "$(twilio_setting "$FAKE_PORT")" --db "$db" --tenant acme >/dev/null
	dispatch bounce_dispatch "$db" 0
	b1="(SELECT c.id FROM customers c WHERE c.external_id='B1')"
	check bounce_email_bounced [ "$(q "SELECT status || ' ' || attempts || ' ' || provider || ' [' || last_error || ']' FROM messages WHERE customer_id=$b1 AND channel='email'" "$db")" = "bounced 1 smtp [RCPT TO refused: 550 5.1.1 <bounce1@example.nl>: Recipient address rejected: User unknown]" ]
	check bounce_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.bounced' AND detail LIKE '%\"channel\":\"email\"%' AND detail LIKE '%550 5.1.1%'" "$db")" = 1 ]
	check bounce_refused_once [ "$(cat "$T/bounce-refused.log")" = "550 bounce1@example.nl" ]
	check bounce_fallback_sms_sent [ "$(q "SELECT status || ' ' || provider || ' ' || attempts || '|' || idempotency_key FROM messages WHERE customer_id=$b1 AND channel='sms'" "$db")" = "sent twilio 1|$(q "SELECT 'dw-' || tenant_id || '-' || case_id || '-reminder-sms' FROM messages WHERE customer_id=$b1 AND channel='email'" "$db")" ]
	check bounce_sms_request [ "$(rec "$r" to +31610000001)" = 1 ]
	check bounce_sms_only_request [ "$(rec "$r" lines)" = 1 ]
	check bounce_sms_key [ "$(rec "$r" statuses "$(q "SELECT idempotency_key FROM messages WHERE customer_id=$b1 AND channel='sms'" "$db")")" = 201 ]
	check bounce_other_delivered [ "$(grep -l '^RCPT TO:<b2@example.nl>' "$T"/bounce-mx/*.msg 2>/dev/null | wc -l)" = 1 ]
	check bounce_one_in_mailbox [ "$(ls "$T/bounce-mx" | grep -c '\.msg$')" = 1 ]
	check bounce_no_retry [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind IN ('message.retry','message.failed','message.dead')" "$db")" = 0 ]
	check bounce_sent_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$db")" = 2 ]
	check bounce_nothing_queued [ "$(q "SELECT COUNT(*) FROM messages WHERE status='queued'" "$db")" = 0 ]
fi
peer_stop FAKE
peer_stop SMTPD

# ---- a burst: 50 SMS, every third request answered 500 ----------------------
# Requests are counted as they arrive: round 1 sends 50 (16 fail), round 2
# the 16 (requests 51-66: 6 fail), round 3 the 6 (67-72: 2 fail), round 4
# the last 2 (73, 74). Whichever messages those are, the totals are exact.
specs=()
for i in $(seq -w 1 50); do
	specs+=("S$i s$i@example.nl +316200000$i sms;email")
done
r="$T/burst.jsonl"
if { db=$(book burst "${specs[@]}") || booked burst; } &&
	peer_start FAKE "$PY" "$DUNWELL_ROOT/tests/tools/fake_providers.py" --record "$r" --fail-every 3; then
	"$DUNWELL" tenant set deliver_sms "$(twilio_setting "$FAKE_PORT")" --db "$db" --tenant acme >/dev/null
	"$DUNWELL" tenant set deliver_email "file:$T/burst-mail" --db "$db" --tenant acme >/dev/null
	rounds=0
	left=
	for round in 0 1 2 3 4 5 6 7; do
		dispatch "burst_round_$round" "$db" $((round * 3600))
		rounds=$((round + 1))
		[ "$round" = 0 ] && q "SELECT id || ' ' || idempotency_key FROM messages ORDER BY id" "$db" >"$T/burst-keys-0"
		left=$(q "SELECT COUNT(*) FROM messages WHERE status<>'sent'" "$db")
		[ "$left" = 0 ] && break
	done
	check burst_four_rounds [ "$rounds" = 4 ]
	check burst_all_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='sent' AND provider='twilio'" "$db")" = 50 ]
	check burst_only_sms [ "$(q "SELECT COUNT(*) FROM messages" "$db")" = 50 ]
	check burst_74_requests [ "$(rec "$r" lines)" = 74 ]
	check burst_24_errors [ "$(rec "$r" fault 500)" = 24 ]
	check burst_50_created [ "$(rec "$r" status 201)" = 50 ]
	check burst_50_keys [ "$(rec "$r" keys)" = 50 ]
	check burst_each_key_sent_once [ "$(rec "$r" once)" = 50 ]
	check burst_no_key_sent_twice [ "$(rec "$r" twice)" = 0 ]
	check burst_keys_kept [ "$(q "SELECT id || ' ' || idempotency_key FROM messages ORDER BY id" "$db")" = "$(cat "$T/burst-keys-0")" -a "$(wc -l <"$T/burst-keys-0")" = 50 ]
	check burst_keys_are_ours [ "$(q "SELECT idempotency_key FROM messages ORDER BY idempotency_key" "$db")" = "$(python3 -c 'import json, sys
print("\n".join(sorted({json.loads(l)["headers"]["i-twilio-idempotency-token"] for l in open(sys.argv[1])})))' "$r")" ]
	check burst_attempts_74 [ "$(q "SELECT SUM(attempts) FROM messages" "$db")" = 74 ]
	check burst_24_retry_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.retry' AND detail LIKE '%HTTP 500, error 20500%'" "$db")" = 24 ]
	check burst_50_sent_events [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$db")" = 50 ]
	check burst_sent_once_each [ "$(q "SELECT COUNT(*) FROM (SELECT detail FROM case_events WHERE kind='message.sent' GROUP BY case_id, detail HAVING COUNT(*) > 1) x" "$db")" = 0 ]
	check burst_no_failure [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind IN ('message.failed','message.bounced','message.dead')" "$db")" = 0 ]
	check burst_provider_ids_unique [ "$(q "SELECT COUNT(DISTINCT provider_id) FROM messages WHERE provider_id LIKE 'SM%'" "$db")" = 50 ]
	peer_stop FAKE
fi
finish
