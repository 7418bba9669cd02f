# CSV import: all or nothing, every rejected row named by file:line and
# field, idempotent re-import, payments allocated and never applied twice.
. "$DUNWELL_ROOT/tests/lib.sh"
I="$DATA/import"
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null || fail tenant_add

expect_ok import_customers import customers "$I/customers.csv" --tenant acme
check customers_count grep -q "5 rows, 5 written" "$T/out"
expect_ok import_invoices import invoices "$I/invoices.csv" --tenant acme
check invoices_count grep -q "7 rows, 7 written" "$T/out"
check multiline_address [ "$(q "SELECT address FROM contact_points WHERE channel='letter' AND customer_id=(SELECT id FROM customers WHERE external_id='C2')")" = "Dorpsstraat 1
1234 AB Ergens" ]
check preference_order [ "$(q "SELECT channel FROM contact_points WHERE customer_id=(SELECT id FROM customers WHERE external_id='C1') ORDER BY preference" | paste -sd,)" = "sms,email" ]
check no_consent_recorded [ "$(q "SELECT CAST(consent AS INTEGER) FROM contact_points WHERE channel='sms' AND customer_id=(SELECT id FROM customers WHERE external_id='C5')")" = "0" ]
check moratorium_recorded [ "$(q "SELECT moratorium_until FROM customers WHERE external_id='C5'")" = "2026-12-31" ]

before=$(db_digest)
expect_ok reimport_customers import customers "$I/customers.csv" --tenant acme
expect_ok reimport_invoices import invoices "$I/invoices.csv" --tenant acme
check reimport_changes_nothing_but_timestamps [ "$(q "SELECT COUNT(*) FROM invoices")" = 7 ]

# Rejected files: a clear message naming the place, and nothing written.
before=$(db_digest)
expect_fail bad_date "bad_date.csv:3: field 'due_date': invalid date '2026-02-30'" import invoices "$I/bad_date.csv" --tenant acme
check bad_date_all_or_nothing [ "$(db_digest)" = "$before" ]
check bad_date_summary grep -q "1 of 2 rows rejected; nothing was imported" "$T/err"
expect_fail bad_currency "bad_currency.csv:3: field 'currency': unknown currency 'EURO'" import invoices "$I/bad_currency.csv" --tenant acme
expect_fail bad_amount_separator "bad_amount.csv:3: field 'amount': invalid amount '1,000.00'" import invoices "$I/bad_amount.csv" --tenant acme
check bad_amount_decimals grep -q "bad_amount.csv:4: field 'amount': invalid amount '10.001' for EUR" "$T/err"
expect_fail bad_customer_ref "bad_customer_ref.csv:3: field 'customer_id': no customer with external id 'NOPE'" import invoices "$I/bad_customer_ref.csv" --tenant acme
expect_fail bad_quote "bad_quote.csv:3:" import invoices "$I/bad_quote.csv" --tenant acme
expect_fail unknown_column "bad_column.csv:1: unknown column 'due_dat'" import invoices "$I/bad_column.csv" --tenant acme
expect_fail missing_column "missing_column.csv:1: missing column 'due_date'" import invoices "$I/missing_column.csv" --tenant acme
expect_fail bad_customers_email "bad_customers.csv:3: field 'email': 'not-an-email': not an e-mail address" import customers "$I/bad_customers.csv" --tenant acme
check bad_customers_phone grep -q "bad_customers.csv:4: field 'sms': '0612345678': expected an international number" "$T/err"
check bad_customers_country grep -q "bad_customers.csv:5: field 'country': expected an ISO 3166 code" "$T/err"
check bad_customers_channel grep -q "bad_customers.csv:6: field 'channels': unknown channel 'fax'" "$T/err"
check bad_customers_flag grep -q "bad_customers.csv:7: field 'vulnerable': invalid value 'maybe'" "$T/err"
check bad_customers_name grep -q "bad_customers.csv:8: field 'name': is required and empty" "$T/err"
check bad_customers_nothing_written [ "$(q "SELECT COUNT(*) FROM customers WHERE external_id LIKE 'D%'")" = 0 ]
check rejected_files_change_nothing [ "$(db_digest)" = "$before" ]
expect_fail missing_file "cannot open" import invoices "$T/nope.csv" --tenant acme
expect_fail wrong_kind "usage: dunwell import" import things "$I/invoices.csv" --tenant acme

# Payments: allocated to the named invoice; re-importing applies nothing.
expect_ok import_payments import payments "$I/payments.csv" --tenant acme
check payments_written grep -q "2 rows, 2 written" "$T/out"
check partial_allocation [ "$(q "SELECT open_minor FROM invoices WHERE external_id='I1'")" = 4995 ]
check paid_by_number [ "$(q "SELECT open_minor FROM invoices WHERE external_id='I4'")" = 0 ]
expect_ok reimport_payments import payments "$I/payments.csv" --tenant acme
check payments_not_twice grep -q "2 already recorded" "$T/out"
check still_partial [ "$(q "SELECT open_minor FROM invoices WHERE external_id='I1'")" = 4995 ]

# Fault injection: a store failure in the middle of an import leaves
# nothing behind.
before=$(db_digest)
printf 'external_id,name,email\nF1,One,f1@example.org\nF2,Two,f2@example.org\nF3,Three,f3@example.org\n' > "$T/f.csv"
DUNWELL_FAULT_STORE=2 "$DUNWELL" import customers "$T/f.csv" --tenant acme >"$T/out" 2>"$T/err"
check fault_import_fails [ $? -ne 0 ]
check fault_import_reports grep -q "injected store fault" "$T/err"
check fault_import_all_or_nothing [ "$(db_digest)" = "$before" ]
finish
