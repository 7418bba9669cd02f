# Messages end to end (issue #3): `dunwell preview` on the demo tenant for
# every channel, each output read back by a real peer — the e-mail by
# Python's MIME parser, its QR code and the letter's by zbarimg, the PDF
# by pdftotext — plus tenant settings, tenant templates, and proof that a
# preview writes nothing.
. "$DUNWELL_ROOT/tests/lib.sh"
AS_OF=2026-11-27T09:00:00Z
cd "$T" && "$DUNWELL" demo --as-of $AS_OF >/dev/null || fail demo_setup
pv() { run_dw preview --tenant demo --as-of $AS_OF --out "$T" "$@"; }

expect_ok templates_compile template check
check templates_counted grep -q "ok: 1[0-9][0-9] files" "$T/out"

# Settings are checked before they are stored.
expect_fail bad_iban "iban:" tenant set iban NL00ABNA0417164300 --tenant demo
expect_fail low_contrast "4.5:1" tenant set brand_color '#ffcc00' --tenant demo
expect_fail unknown_setting "no setting 'colour'" tenant set colour red --tenant demo
expect_fail bad_email "not an e-mail address" tenant set help_email nobody --tenant demo
expect_ok good_setting tenant set help_hours "Mon-Sat 8:00-20:00" --tenant demo
expect_ok show_settings tenant show --tenant demo
check shows_setting grep -q "Mon-Sat 8:00-20:00" "$T/out"

before=$(db_digest)

# E-mail: a well-formed MIME message with text, HTML and the EPC QR code.
pv --customer C-1001 --step formal_reminder --channel email
check email_preview [ "$rc" -eq 0 ]
eml="$T/C-1001-formal_reminder-email.eml"
python3 - "$eml" "$T" > "$T/mime.txt" 2>&1 <<'PY'
import email, email.policy, sys
m = email.message_from_bytes(open(sys.argv[1], 'rb').read(), policy=email.policy.default)
parts = [p.get_content_type() for p in m.walk()]
print("types", " ".join(parts))
print("defects", sum(len(p.defects) for p in m.walk()))
print("subject", m["subject"])
print("to", m["to"].addresses[0].addr_spec)
html = m.get_body(("html",)).get_content()
text = m.get_body(("plain",)).get_content()
print("html_has_name", "Anna de Vries" in html, "html_lang", 'lang="nl"' in html)
print("text_has_amount", "EUR\u00a079,95" in text)
for p in m.walk():
    if p.get_content_type() == "image/png":
        open(sys.argv[2] + "/qr.png", "wb").write(p.get_content())
        print("cid_in_html", ("cid:" + p["Content-ID"].strip("<>")) in html)
PY
check mime_parses grep -q "^defects 0" "$T/mime.txt"
check mime_structure grep -q "types multipart/alternative text/plain multipart/related text/html image/png" "$T/mime.txt"
check mime_subject grep -q "^subject Betalingsherinnering" "$T/mime.txt"
check mime_to grep -q "^to anna.devries@example.nl" "$T/mime.txt"
check mime_html grep -q "html_has_name True html_lang True" "$T/mime.txt"
check mime_text grep -q "text_has_amount True" "$T/mime.txt"
check mime_inline_qr grep -q "cid_in_html True" "$T/mime.txt"
zbarimg --raw -q -Sbinary "$T/qr.png" > "$T/qr.txt" 2>/dev/null
printf 'BCD\n002\n1\nSCT\nABNANL2A\nNorthwind Telecom\nNL91ABNA0417164300\nEUR79.95\n\nRF52106' > "$T/qr.want"
check email_qr_is_epc cmp -s "$T/qr.txt" "$T/qr.want"

# Letter: A4 PDF, the address in it, the EPC code decodable from paper.
pv --customer C-1001 --step nl_14_day_letter --channel letter
check letter_preview [ "$rc" -eq 0 ]
pdf="$T/C-1001-nl_14_day_letter-letter.pdf"
pdftotext -layout "$pdf" "$T/letter.txt"
check letter_address grep -q "Keizersgracht 12 A" "$T/letter.txt"
check letter_wik grep -q "incassokosten van EUR 40,00" "$T/letter.txt"
check letter_14_days grep -q "binnen 14 dagen na de dag van ontvangst" "$T/letter.txt"
check letter_pages grep -q "Pagina 1 van" "$T/letter.txt"
pdftoppm -r 150 -png "$pdf" "$T/page"
found=0
for p in "$T"/page-*.png; do
	zbarimg --raw -q -Sbinary "$p" 2>/dev/null | grep -q "NL91ABNA0417164300" && found=1
done
check letter_qr_decodes [ "$found" = 1 ]

# SMS: GSM-7, segment count, the short personal link.
pv --customer C-1004 --step friendly_reminder --channel sms
check sms_preview [ "$rc" -eq 0 ]
check sms_encoding grep -qE "^sms: GSM-7, [12] segments?" "$T/out"
check sms_plain_language grep -q "friendly_reminder.plain.tmpl (fr, plain language)" "$T/out"
check sms_link grep -q "127.0.0.1:8080/p/" "$T/C-1004-friendly_reminder-sms.txt"

# Voice: a WAV file in the customer's language.
pv --customer C-1003 --channel voice
check voice_preview [ "$rc" -eq 0 ]
check voice_is_wav [ "$(head -c 4 "$T"/C-1003-*-voice.wav)" = RIFF ]

# Errors name what is wrong.
expect_fail unknown_customer "C-9999" preview --customer C-9999 --tenant demo --as-of $AS_OF --out "$T"
expect_fail unknown_channel "unknown channel 'fax'" preview --customer C-1001 --channel fax --tenant demo --as-of $AS_OF --out "$T"
expect_fail unknown_step "no step 'nope'" preview --customer C-1001 --step nope --tenant demo --as-of $AS_OF --out "$T"
expect_fail no_postal_address "no postal address" preview --customer C-1004 --channel letter --tenant demo --as-of $AS_OF --out "$T"

check preview_writes_nothing [ "$(db_digest)" = "$before" ]

# A tenant's own template: checked on load (file:line), then preferred.
printf '@subject\nHello\n@body\nDear {{customer_nam}},\n@sms\nx\n' > "$T/friendly_reminder.tmpl"
expect_fail bad_template_line "friendly_reminder.tmpl:4" template load "$T/friendly_reminder.tmpl" --locale en --tenant demo
check bad_template_not_stored [ "$(db_digest)" = "$before" ]
printf '@subject\nA word from {{company_name}}\n@body\nDear {{customer_name}}, {{total_due}} is open.\n@sms\n{{customer_name}}: {{total_due}} open, {{short_link}}\n' > "$T/friendly_reminder.tmpl"
expect_ok template_load template load "$T/friendly_reminder.tmpl" --locale nl --tenant demo
pv --customer C-1001 --step friendly_reminder --channel sms
check tenant_template_used grep -q "template tenant:nl/friendly_reminder.tmpl" "$T/out"
check tenant_template_text grep -q "Anna de Vries: EUR 79,95 open" "$T/C-1001-friendly_reminder-sms.txt"
# ... but a customer who reads plain language keeps the built-in plain text.
pv --customer C-1004 --step friendly_reminder --channel sms
check plain_beats_tenant_full grep -q "templates/fr/friendly_reminder.plain.tmpl" "$T/out"
finish
