# The outbox and `dunwell dispatch` end to end (issue #4), with the file
# adapter: quiet hours in the customer's zone, exactly once, cancellation
# of queued mail after a payment, fallback to the next channel when a
# channel cannot be used, crash safety (a store failure while recording
# outcomes, then a second dispatcher after the lease ran out), and two
# dispatchers at once.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --tenant acme >/dev/null
cnt() { q "SELECT COUNT(*) FROM $1"; }
OUT="$T/outbox"

expect_ok run_friday run --tenant acme --as-of 2026-11-20T09:00:00Z
queued=$(cnt "actions WHERE kind='contact' AND status='queued'")
check something_queued [ "$queued" -ge 2 ]

# 22:30 in Amsterdam: everything waits for the morning.
expect_ok dispatch_at_night dispatch --tenant acme --as-of 2026-11-20T21:30:00Z --outbox "$OUT"
check actions_moved [ "$(cnt "actions WHERE kind='contact' AND status='queued'")" = 0 ]
check one_message_per_action [ "$(cnt messages)" = "$queued" ]
check nothing_sent_at_night [ "$(cnt "messages WHERE status='sent'")" = 0 ]
check waits_for_morning [ "$(cnt "messages WHERE status='queued' AND not_before > '2026-11-20T21:30:00Z'")" -ge 1 ]

# Saturday 08:05 in Amsterdam: they go out (London is an hour behind).
expect_ok dispatch_morning dispatch --tenant acme --as-of 2026-11-21T08:05:00Z --outbox "$OUT"
sent=$(cnt "messages WHERE status='sent'")
check sent_in_the_morning [ "$sent" -ge 1 ]
check sent_event_each [ "$(cnt "case_events WHERE kind='message.sent'")" = "$sent" ]
check link_each [ "$(cnt links)" = "$sent" ]
check files_written [ "$(find "$OUT" -type f ! -name sent.log | wc -l)" = "$sent" ]
check log_line_each [ "$(wc -l < "$OUT/sent.log")" = "$sent" ]
emails=$(cnt "messages WHERE status='sent' AND channel='email'")
check emails_are_mime [ "$(grep -l '^MIME-Version: 1.0' "$OUT"/email/*.eml 2>/dev/null | wc -l)" = "$emails" ]

before=$(db_digest)
expect_ok dispatch_again dispatch --tenant acme --as-of 2026-11-21T08:10:00Z --outbox "$OUT"
check exactly_once [ "$(db_digest)" = "$before" ]
check no_second_file [ "$(wc -l < "$OUT/sent.log")" = "$sent" ]

# A payment after a reminder was queued cancels it before it goes.
expect_ok run_later run --tenant acme --as-of 2026-12-01T09:00:00Z
c1_queued=$(q "SELECT COUNT(*) FROM actions a JOIN customers c ON c.id=a.customer_id WHERE c.external_id='C1' AND a.kind='contact' AND a.status='queued'")
printf 'external_id,customer_id,invoice,amount,currency,paid_on,method\nP1,C1,,159.90,EUR,2026-12-01,bank_transfer\n' > "$T/pay.csv"
expect_ok payment import payments "$T/pay.csv" --tenant acme --as-of 2026-12-01T09:30:00Z
expect_ok dispatch_after_payment dispatch --tenant acme --as-of 2026-12-01T10:00:00Z --outbox "$OUT"
if [ "$c1_queued" -ge 1 ]; then
	check paid_cancels [ "$(q "SELECT COUNT(*) FROM messages m JOIN customers c ON c.id=m.customer_id WHERE c.external_id='C1' AND m.status='cancelled' AND m.last_error='paid'")" = "$c1_queued" ]
	check cancel_event [ "$(cnt "case_events WHERE kind='message.cancelled'")" -ge 1 ]
else
	fail paid_cancels "C1 had nothing queued on 1 December"
fi

# Without --outbox, the tenant's own settings: e-mail goes to a folder,
# SMS has no way out configured, so SMS fails over to the next channel.
"$DUNWELL" tenant set deliver_email "file:$T/mail" --tenant acme >/dev/null
expect_fail bad_adapter "names no delivery adapter" tenant set deliver_sms "carrier-pigeon:coo" --tenant acme
expect_ok run_next run --tenant acme --as-of 2026-12-08T09:00:00Z
expect_ok dispatch_configured dispatch --tenant acme --as-of 2026-12-08T10:00:00Z
check sms_not_configured [ "$(cnt "messages WHERE channel='sms' AND status='sent' AND sent_at >= '2026-12-08'")" = 0 ]
failed_with_next=$(cnt "messages WHERE channel='sms' AND status='failed' AND fallbacks <> '' AND updated_at >= '2026-12-08'")
if [ "$failed_with_next" -ge 1 ]; then
	check fallback_row [ "$(q "SELECT COUNT(*) FROM messages f JOIN messages m ON m.tenant_id=f.tenant_id AND m.case_id=f.case_id AND m.step=f.step AND m.channel='sms' AND m.status='failed' AND f.channel <> 'sms'")" -ge "$failed_with_next" ]
fi
check failure_explained [ "$(cnt "messages WHERE channel='sms' AND status='failed' AND last_error LIKE 'no delivery configured for sms%'")" -ge 0 ]

# Crash safety: the store fails while outcomes are recorded. Nothing is
# lost: after the lease runs out, another dispatcher sends each message,
# and each is recorded sent exactly once.
DB2=$(clone_db "$DUNWELL_DB" crash)
"$DUNWELL" run --db "$DB2" --tenant acme --as-of 2026-12-15T09:00:00Z >/dev/null
for n in 3 5 9; do
	DUNWELL_FAULT_STORE=$n "$DUNWELL" dispatch --db "$DB2" --tenant acme --as-of 2026-12-15T10:00:00Z --outbox "$T/crash" >/dev/null 2>&1
done
expect_ok dispatch_takeover dispatch --db "$DB2" --tenant acme --as-of 2026-12-15T10:10:00Z --outbox "$T/crash"
check no_message_left [ "$(q "SELECT COUNT(*) FROM messages WHERE status='queued' AND not_before <= '2026-12-15T10:10:00Z'" "$DB2")" = 0 ]
check sent_once_each [ "$(q "SELECT COUNT(*) FROM (SELECT detail FROM case_events WHERE kind='message.sent' GROUP BY case_id, detail HAVING COUNT(*) > 1) x" "$DB2")" = 0 ]
check sent_matches_events [ "$(q "SELECT COUNT(*) FROM messages WHERE status='sent'" "$DB2")" = "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$DB2")" ]

# Two dispatchers at once share the work; nothing goes twice.
DB3=$(clone_db "$DUNWELL_DB" twin)
"$DUNWELL" run --db "$DB3" --tenant acme --as-of 2026-12-22T09:00:00Z >/dev/null
"$DUNWELL" dispatch --db "$DB3" --tenant acme --as-of 2026-12-22T10:00:00Z --outbox "$T/twin" --batch 1 >"$T/d1" 2>&1 &
p1=$!
"$DUNWELL" dispatch --db "$DB3" --tenant acme --as-of 2026-12-22T10:00:00Z --outbox "$T/twin" --batch 1 >"$T/d2" 2>&1
w2=$?
wait $p1
w1=$?
check twins_ok [ "$w1$w2" = 00 ]
check twins_once [ "$(q "SELECT COUNT(*) FROM (SELECT case_id, detail FROM case_events WHERE kind='message.sent' GROUP BY case_id, detail HAVING COUNT(*) > 1) x" "$DB3")" = 0 ]
# E-mail through a real SMTP server on loopback (aiosmtpd), STARTTLS
# and AUTH: what arrives is the composed message, one per sent e-mail.
# The password is not in the setting: ${DW_SMTP_PW} is filled in from the
# environment or the secrets file (--secrets, only its owner may read it).
DB4=$(clone_db "$DUNWELL_DB" smtp)
DB6=$(clone_db "$DUNWELL_DB" smtpfile)
DB7=$(clone_db "$DUNWELL_DB" smtpnone)
mkdir -p "$T/mx"
coproc SMTPD { exec /usr/bin/python3 "$DUNWELL_ROOT/tests/tools/smtp_server.py" --dir "$T/mx" --starttls --auth "dunwell:s3cret%pw" 2>"$T/smtpd.err"; }
read -r -t 20 word port <&"${SMTPD[0]}"
if [ "${word:-}" = PORT ]; then
	expect_fail inline_password_refused "put the secret into the environment or the secrets file" \
		tenant set deliver_email "smtp://dunwell:s3cret%25pw@127.0.0.1:$port?starttls=required&insecure=1&from=billing@acme.example" --db "$DB4" --tenant acme
	check inline_password_not_echoed [ "$(grep -c 's3cret' "$T/err")" = 0 ]
	expect_fail inline_token_refused "parameter token holds a secret" \
		tenant set deliver_sms "twilio:https://api.twilio.com?account=AC1&token=tok-s3cret&from=+31612345678" --db "$DB4" --tenant acme
	check inline_token_not_echoed [ "$(grep -c 'tok-s3cret' "$T/err")" = 0 ]
	setting='smtp://dunwell:${DW_SMTP_PW}@127.0.0.1:'"$port"'?starttls=required&insecure=1&from=billing@acme.example'
	expect_ok placeholder_accepted tenant set deliver_email "$setting" --db "$DB4" --tenant acme
	"$DUNWELL" tenant set deliver_email "$setting" --db "$DB6" --tenant acme >/dev/null
	"$DUNWELL" run --db "$DB4" --tenant acme --as-of 2026-12-29T09:00:00Z >/dev/null
	"$DUNWELL" run --db "$DB6" --tenant acme --as-of 2026-12-29T09:00:00Z >/dev/null
	# A secrets file that others may read: refused before anything starts.
	printf '# test\nDW_SMTP_PW=s3cret%%pw\n' >"$T/secrets.env"
	chmod 0644 "$T/secrets.env"
	expect_fail secrets_0644_refused "$T/secrets.env" dispatch --secrets "$T/secrets.env" --db "$DB6" --tenant acme --as-of 2026-12-29T10:00:00Z
	check secrets_0644_mode_named grep -qF 0644 "$T/err"
	check secrets_0644_value_not_shown [ "$(grep -c 's3cret' "$T/err")" = 0 ]
	DUNWELL_SECRETS="$T/secrets.env" expect_fail secrets_env_0644_refused "$T/secrets.env" serve --db "$DB6" --listen 127.0.0.1:0
	check secrets_0644_nothing_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE status='sent' AND provider='smtp'" "$DB6")" = 0 ]
	# From the environment.
	DW_SMTP_PW='s3cret%pw' expect_ok dispatch_smtp dispatch --db "$DB4" --tenant acme --as-of 2026-12-29T10:00:00Z
	smtp_sent=$(q "SELECT COUNT(*) FROM messages WHERE channel='email' AND status='sent' AND provider='smtp'" "$DB4")
	check smtp_some_sent [ "$smtp_sent" -ge 1 ]
	check smtp_each_arrived [ "$(ls "$T/mx" | grep -c '\.msg$')" = "$smtp_sent" ]
	check smtp_over_tls [ "$(grep -l '^TLS yes' "$T"/mx/*.msg | wc -l)" = "$smtp_sent" ]
	check smtp_authenticated [ "$(grep -l '^AUTH dunwell' "$T"/mx/*.msg | wc -l)" = "$smtp_sent" ]
	check smtp_queue_id_kept [ "$(q "SELECT COUNT(*) FROM messages WHERE provider='smtp' AND provider_id <> ''" "$DB4")" = "$smtp_sent" ]
	check smtp_password_not_shown [ "$("$DUNWELL" tenant show --db "$DB4" --tenant acme | grep -c 's3cret')" = 0 ]
	check smtp_placeholder_shown [ "$("$DUNWELL" tenant show --db "$DB4" --tenant acme | grep -cF '${DW_SMTP_PW}')" = 1 ]
	# From a secrets file only its owner may read.
	chmod 0600 "$T/secrets.env"
	expect_ok dispatch_smtp_secrets_file dispatch --secrets "$T/secrets.env" --db "$DB6" --tenant acme --as-of 2026-12-29T10:00:00Z
	smtp_sent6=$(q "SELECT COUNT(*) FROM messages WHERE channel='email' AND status='sent' AND provider='smtp'" "$DB6")
	check smtp_secrets_file_sent [ "$smtp_sent6" -ge 1 ]
	check smtp_secrets_file_authenticated [ "$(grep -l '^AUTH dunwell' "$T"/mx/*.msg | wc -l)" = "$((smtp_sent + smtp_sent6))" ]
	# Neither: the adapter does not open; the reason names the NAME only.
	"$DUNWELL" tenant set deliver_email "$setting" --db "$DB7" --tenant acme >/dev/null
	"$DUNWELL" run --db "$DB7" --tenant acme --as-of 2026-12-29T09:00:00Z >/dev/null
	expect_ok dispatch_secret_unset dispatch --db "$DB7" --tenant acme --as-of 2026-12-29T10:00:00Z
	check smtp_unset_secret_named [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='email' AND last_error LIKE '%\${DW_SMTP_PW} is set neither%'" "$DB7")" -ge 1 ]
	check smtp_unset_none_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE provider='smtp' AND status='sent'" "$DB7")" = 0 ]
else
	fail smtp_server_started "$(cat "$T/smtpd.err")"
fi
kill "$SMTPD_PID" 2>/dev/null
wait "$SMTPD_PID" 2>/dev/null
# Dispatch inside the server: `serve --dispatch-every 1` sends what the
# run queued, and stops cleanly with the server.
DB5=$(clone_db "$DUNWELL_DB" served)
"$DUNWELL" tenant set deliver_email "file:$T/served" --db "$DB5" --tenant acme >/dev/null
"$DUNWELL" tenant set deliver_sms "file:$T/served" --db "$DB5" --tenant acme >/dev/null
"$DUNWELL" run --db "$DB5" --tenant acme --as-of 2027-01-05T09:00:00Z >/dev/null
"$DUNWELL" serve --db "$DB5" --listen 127.0.0.1:0 --threads 1 --dispatch-every 1 --as-of 2027-01-05T10:00:00Z 2>"$T/serve.log" &
spid=$!
for _ in $(seq 1 40); do
	grep -q '"dispatch":"pass"' "$T/serve.log" 2>/dev/null && break
	sleep 0.25
done
kill -TERM "$spid" 2>/dev/null
wait "$spid"
check served_exit_clean [ "$?" = 0 ]
check served_dispatch_pass grep -q '"dispatch":"pass","tenant":"acme"' "$T/serve.log"
check served_nothing_left [ "$(q "SELECT COUNT(*) FROM messages WHERE status='queued' AND not_before <= '2027-01-05T10:00:00Z'" "$DB5")" = 0 ]
# A provider outage end to end: SMS through the Twilio adapter to the fake
# Twilio (its real request format), the first request answered 503: that
# message is retried later with the same idempotency key and sent once.
DB6=$(new_db outage)
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam --db "$DB6" >/dev/null
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --db "$DB6" --tenant acme >/dev/null
"$DUNWELL" import customers "$I/customers.csv" --db "$DB6" --tenant acme >/dev/null
"$DUNWELL" import invoices "$I/invoices.csv" --db "$DB6" --tenant acme >/dev/null
"$DUNWELL" run --db "$DB6" --tenant acme --as-of 2026-11-20T09:00:00Z >/dev/null
coproc FAKE { exec /usr/bin/python3 "$DUNWELL_ROOT/tests/tools/fake_providers.py" --record "$T/twilio.jsonl" --fail-first 1 2>"$T/fake.err"; }
read -r -t 20 word fport <&"${FAKE[0]}"
if [ "${word:-}" = PORT ]; then
	"$DUNWELL" tenant set deliver_sms "twilio:http://127.0.0.1:$fport?account=AC0123456789abcdef0123456789abcdef&token=\${TW_TOKEN}&from=+3197010000000" --db "$DB6" --tenant acme >/dev/null
	"$DUNWELL" tenant set deliver_email "file:$T/outage-mail" --db "$DB6" --tenant acme >/dev/null
	TW_TOKEN=twilio-test-token "$DUNWELL" dispatch --db "$DB6" --tenant acme --as-of 2026-11-21T08:05:00Z >/dev/null
	sms=$(q "SELECT COUNT(*) FROM messages WHERE channel='sms'" "$DB6")
	check outage_one_retry [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.retry'" "$DB6")" = 1 ]
	check outage_others_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='sent' AND provider='twilio'" "$DB6")" = $((sms - 1)) ]
	TW_TOKEN=twilio-test-token "$DUNWELL" dispatch --db "$DB6" --tenant acme --as-of 2026-11-21T10:05:00Z >/dev/null
	check outage_then_sent [ "$(q "SELECT COUNT(*) FROM messages WHERE channel='sms' AND status='sent' AND provider_id LIKE 'SM%'" "$DB6")" = "$sms" ]
	check outage_sent_once [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind='message.sent'" "$DB6")" = "$(q "SELECT COUNT(*) FROM messages WHERE status='sent'" "$DB6")" ]
	check outage_one_503 [ "$(grep -c '"provider": "outage"' "$T/twilio.jsonl")" = 1 ]
	check outage_201_each [ "$(grep -c '"status": 201' "$T/twilio.jsonl")" = "$sms" ]
	python3 - "$T/twilio.jsonl" > "$T/keys.txt" <<'PY'
import json, sys, collections
keys = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    keys[r["headers"].get("i-twilio-idempotency-token")] += 1
print(sorted(keys.values()))
PY
	check outage_same_key_retried grep -q "^\[1, 2\]$" "$T/keys.txt"
else
	fail fake_providers_started "$(cat "$T/fake.err")"
fi
kill "$FAKE_PID" 2>/dev/null
wait "$FAKE_PID" 2>/dev/null
[ -n "${KEEP:-}" ] && cp "$DUNWELL_DB" /tmp/keep.db
finish
