# Bank statements (camt.053/054): `dunwell import statement FILE` matches
# each booked credit by RF case reference, Dutch payment reference,
# invoice number or amount and known payer; records payments once; queues
# the ambiguous for review; undoes reversed and returned payments; rejects
# broken and hostile XML writing nothing; and changes nothing the second
# time (docs/statements.md).
. "$DUNWELL_ROOT/tests/lib.sh"
C="$DATA/camt"
"$DUNWELL" tenant add acme --timezone Europe/Amsterdam >/dev/null || fail tenant_add
"$DUNWELL" strategy load "$DUNWELL_ROOT/tests/engine/strategies/basic.yaml" --tenant acme >/dev/null || fail strategy_load

cat > "$T/customers.csv" <<'CSV'
external_id,name,locale,timezone,country,email
S1,Anna de Vries,nl,Europe/Amsterdam,NL,anna@example.nl
S2,Bakkerij Jansen B.V.,nl,Europe/Amsterdam,NL,info@jansen.example
S3,Anna Müller,de,Europe/Berlin,DE,anna@mueller.example
S4,Kees Vos,nl,Europe/Amsterdam,NL,kees@example.nl
S5,P. Bakker,nl,Europe/Amsterdam,NL,p@bakker.example
S6,Rita Smit,nl,Europe/Amsterdam,NL,rita@example.nl
S7,Dirk Visser,nl,Europe/Amsterdam,NL,dirk@example.nl
CSV
cat > "$T/invoices.csv" <<'CSV'
external_id,customer_id,number,issue_date,due_date,amount,currency,payment_reference
A-1,S1,A-1,2026-10-01,2026-11-10,79.95,EUR,
A-2,S1,A-2,2026-10-15,2026-11-15,20.05,EUR,
B-1,S2,B-1,2026-10-01,2026-11-12,89.95,EUR,5000056789012345
M-1,S3,2026-0042,2026-10-01,2026-11-12,100.00,EUR,
D-1,S4,D-1,2026-10-01,2026-11-12,30.00,EUR,
D-2,S7,D-2,2026-10-01,2026-11-12,30.00,EUR,
P-1,S5,P-1,2026-10-01,2026-11-12,49.00,EUR,
R-1,S6,R-1,2026-10-01,2026-11-12,40.00,EUR,
CSV
expect_ok import_customers import customers "$T/customers.csv" --tenant acme
expect_ok import_invoices import invoices "$T/invoices.csv" --tenant acme
expect_ok run_opens_cases run --tenant acme --as-of 2026-11-20T09:00:00Z
check seven_cases [ "$(q "SELECT COUNT(*) FROM cases WHERE status='open'")" = 7 ]

# the customer's first case
case_of() { q "SELECT MIN(k.id) FROM cases k JOIN customers c ON c.id = k.customer_id WHERE c.external_id = '$1'"; }
open_of() { q "SELECT open_minor FROM invoices WHERE external_id = '$1'"; }
outcome_of() { q "SELECT outcome FROM statement_entries WHERE bank_ref = '$1'"; }
# rf REF-BODY: the ISO 11649 creditor reference for a case id (as
# compose makes it with rf_make).
rf() { python3 -c 'import sys; b=sys.argv[1]; n=int("".join(str(int(ch,36)) for ch in b+"RF00")); print("RF%02d%s" % (98 - n % 97, b))' "$1"; }
stat() { grep "^$1 " "$T/out" | cut -d' ' -f2-; }

RF1=$(rf "$(case_of S1)")
# entry XML: REF AMOUNT CDT|DBIT REVERSAL E2E DEBTOR IBAN STRD USTRD
ntry() {
	printf '<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>%s</CdtDbtInd>' "$2" "$3"
	[ "$4" = 1 ] && printf '<RvslInd>true</RvslInd>'
	printf '<Sts>BOOK</Sts><BookgDt><Dt>2026-11-26</Dt></BookgDt><AcctSvcrRef>%s</AcctSvcrRef>' "$1"
	printf '<NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs>' "$5"
	printf '<RltdPties><Dbtr><Nm>%s</Nm></Dbtr><DbtrAcct><Id><IBAN>%s</IBAN></Id></DbtrAcct></RltdPties><RmtInf>' "$6" "$7"
	[ -n "$8" ] && printf '<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd>' "$8"
	[ -n "$9" ] && printf '<Ustrd>%s</Ustrd>' "$9"
	printf '</RmtInf></TxDtls></NtryDtls></Ntry>\n'
}
stmt() {
	printf '<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><GrpHdr><MsgId>%s</MsgId><CreDtTm>2026-11-27T06:00:00Z</CreDtTm></GrpHdr><Stmt><Id>%s</Id><Acct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></Acct>\n' "$1" "$1"
	cat
	printf '</Stmt></BkToCstmrStmt></Document>\n'
}
{
	ntry T-1 100.00 CRDT 0 NOTPROVIDED "A. de Vries" NL02RABO0123456789 "$RF1" ""
	ntry T-2 30.00 CRDT 0 E2E-T2 "K. Vos" NL44RABO0123456780 "" "Factuur D-1 en D-2"
	ntry T-3 49.00 CRDT 0 DD-2026-11-INV0042 "P. Bakker" NL39RABO0300065264 "" "Incasso P-1"
	ntry T-4 40.00 CRDT 0 E2E-R1 "R. Smit" NL18RABO0123459876 "" "R-1"
	ntry T-5 40.00 DBIT 1 E2E-R1 "R. Smit" NL18RABO0123459876 "" ""
	ntry T-6 7.00 DBIT 0 NOTPROVIDED "Bank" NL91ABNA0417164300 "" "Kosten"
} | stmt OWN-1 > "$T/own.xml"

before=$(db_digest)
expect_ok import_own import statement "$T/own.xml" --tenant acme --as-of 2026-11-27T08:00:00Z
check own_entries [ "$(stat entries)" = 6 ]
check own_payments [ "$(stat payments)" = 3 ]
check own_amount [ "$(stat amount)" = "189.00 EUR" ]
check own_review [ "$(stat review)" = 1 ]
check own_reversals [ "$(stat reversals)" = 1 ]
check own_ignored [ "$(stat ignored)" = 1 ]
# RF reference of the case: both invoices paid, the case resolved.
check rf_payment [ "$(outcome_of T-1)|$(q "SELECT rule FROM statement_entries WHERE bank_ref='T-1'")" = "payment|rf" ]
check rf_paid_invoices [ "$(open_of A-1),$(open_of A-2)" = "0,0" ]
check rf_case_resolved [ "$(q "SELECT status FROM cases WHERE id = $(case_of S1)")" = resolved ]
check rf_payment_once [ "$(q "SELECT COUNT(*) || '|' || SUM(amount_minor) FROM payments WHERE external_id = 'bank:T-1'")" = "1|10000" ]
check payer_remembered [ "$(q "SELECT c.external_id || '|' || p.name FROM payer_accounts p JOIN customers c ON c.id = p.customer_id WHERE p.iban = 'NL02RABO0123456789'")" = "S1|A. de Vries" ]
# Two invoice numbers of two customers: review, with both candidates.
check ambiguous_review [ "$(outcome_of T-2)" = review ]
check ambiguous_item [ "$(q "SELECT r.status FROM review_items r JOIN statement_entries e ON e.id = r.entry_id WHERE e.bank_ref = 'T-2'")" = open ]
check ambiguous_candidates [ "$(q "SELECT r.candidates FROM review_items r JOIN statement_entries e ON e.id = r.entry_id WHERE e.bank_ref = 'T-2'" | grep -o '"target":"invoice"' | wc -l)" = 2 ]
check ambiguous_not_guessed [ "$(open_of D-1),$(open_of D-2)" = "3000,3000" ]
check invoice_number_payment [ "$(outcome_of T-3)|$(open_of P-1)" = "payment|0" ]
# A reversal (RvslInd) undoes the payment with its end-to-end id.
check reversal_outcome [ "$(outcome_of T-5)" = reversal ]
check reversal_links [ "$(q "SELECT r.reverses_id = p.id FROM statement_entries r, statement_entries p WHERE r.bank_ref = 'T-5' AND p.bank_ref = 'T-4'")" = "$(q "SELECT 1=1")" ]
check reversal_reopens [ "$(open_of R-1)" = 4000 ]
check reversal_negative_payment [ "$(q "SELECT amount_minor FROM payments WHERE external_id = 'bank:T-5'")" = -4000 ]
# the payment had resolved the case; the engine opens a new one at once
check reversal_case_again [ "$(q "SELECT COUNT(*) FROM cases k JOIN customers c ON c.id = k.customer_id WHERE c.external_id = 'S6' AND k.status = 'open'")" = 1 ]
check reversal_event [ "$(q "SELECT COUNT(*) FROM case_events WHERE kind = 'payment.reversed' AND case_id = $(case_of S6)")" = 1 ]
check debit_ignored [ "$(outcome_of T-6)" = ignored ]

# The same statement again: every entry a duplicate, nothing changes.
before=$(db_digest)
expect_ok reimport_own import statement "$T/own.xml" --tenant acme --as-of 2026-11-27T09:00:00Z
check reimport_duplicates [ "$(stat duplicates)|$(stat payments)" = "6|0" ]
check reimport_changes_nothing [ "$(db_digest)" = "$before" ]

# The banks' own files. camt.053.001.08: a Dutch payment reference
# (betalingskenmerk) and an information-only entry.
expect_ok import_v08 import statement "$C/camt053_v08.xml" --tenant acme --as-of 2026-11-27T10:00:00Z
check v08_counts [ "$(stat entries),$(stat payments),$(stat ignored)" = "2,1,1" ]
check v08_nl_ref [ "$(q "SELECT rule FROM statement_entries WHERE bank_ref = 'ING2026112600001234'")|$(open_of B-1)" = "nl_ref|0" ]
check v08_payer [ "$(q "SELECT COUNT(*) FROM payer_accounts WHERE iban = 'NL20INGB0001234567'")" = 1 ]
# camt.053.001.04 batch: one entry of three transactions, each its own
# key; the invoice number in the text pays M-1, the others go to review.
expect_ok import_batch import statement "$C/camt053_v04_batch.xml" --tenant acme --as-of 2026-11-27T10:00:00Z
check batch_counts [ "$(stat entries),$(stat payments),$(stat unmatched)" = "4,1,3" ]
check batch_keys [ "$(q "SELECT outcome FROM statement_entries WHERE bank_ref LIKE '2026112600088/%' ORDER BY bank_ref" | paste -sd,)" = "payment,unmatched,unmatched" ]
check batch_paid [ "$(open_of M-1)" = 0 ]
check unmatched_queued [ "$(q "SELECT COUNT(*) FROM review_items r JOIN statement_entries e ON e.id = r.entry_id WHERE e.outcome = 'unmatched'")" = 3 ]
# camt.053.001.02: an RF reference of a case that does not exist goes to
# review; its reversal finds no payment: review too; pending: ignored.
expect_ok import_v02 import statement "$C/camt053_v02.xml" --tenant acme --as-of 2026-11-27T10:00:00Z
check v02_counts [ "$(stat entries),$(stat payments),$(stat review),$(stat ignored)" = "3,0,2,1" ]
check v02_pending_ignored [ "$(q "SELECT outcome || '|' || status FROM statement_entries WHERE bank_ref = 'PND-77'")" = "ignored|PDNG" ]
# camt.054: a returned direct debit (MD06) undoes the collection.
expect_ok import_return import statement "$C/camt054_v02_return.xml" --tenant acme --as-of 2026-11-27T11:00:00Z
check return_counts [ "$(stat reversals),$(stat review)" = "1,0" ]
check return_reopens [ "$(open_of P-1)" = 4900 ]
check return_recorded [ "$(q "SELECT outcome || '|' || return_reason FROM statement_entries WHERE bank_ref = 'RTN-2026-000017'")" = "reversal|MD06" ]
check return_payment [ "$(q "SELECT amount_minor || '|' || method FROM payments WHERE external_id = 'bank:RTN-2026-000017'")" = "-4900|bank_reversal" ]

# Broken and hostile files: rejected with the place named, nothing written.
before=$(db_digest)
expect_fail billion_laughs "billion_laughs.xml" import statement "$C/billion_laughs.xml" --tenant acme
expect_fail xxe "xxe.xml" import statement "$C/xxe.xml" --tenant acme
expect_fail unclosed "broken_unclosed.xml:" import statement "$C/broken_unclosed.xml" --tenant acme
expect_fail bad_amount "bad_amount.xml:8:" import statement "$C/bad_amount.xml" --tenant acme
{
	ntry L-1 79.95 CRDT 0 E2E-L1 "Kees Vos" NL44RABO0123456780 "" "D-1"
	printf '<Ntry><Amt Ccy="EUR">1,00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><AcctSvcrRef>L-2</AcctSvcrRef></Ntry>\n'
} | stmt LATE-1 > "$T/late.xml"
expect_fail late_error "late.xml:4:" import statement "$T/late.xml" --tenant acme
check late_error_all_or_nothing [ "$(outcome_of L-1)" = "" ]
check hostile_change_nothing [ "$(db_digest)" = "$before" ]
expect_fail missing_file "nope.xml" import statement "$T/nope.xml" --tenant acme

# A store failure half-way leaves nothing behind.
{
	ntry F-1 30.00 CRDT 0 E2E-F1 "Kees Vos" NL44RABO0123456780 "" "D-1"
	ntry F-2 30.00 CRDT 0 E2E-F2 "Dirk Visser" NL55RABO0123456781 "" "D-2"
} | stmt FAULT-1 > "$T/fault.xml"
DUNWELL_FAULT_STORE=3 "$DUNWELL" import statement "$T/fault.xml" --tenant acme >"$T/out" 2>"$T/err"
check fault_fails [ $? -ne 0 ]
check fault_reports grep -q "injected store fault" "$T/err"
check fault_all_or_nothing [ "$(db_digest)" = "$before" ]
expect_ok fault_retry import statement "$T/fault.xml" --tenant acme --as-of 2026-11-27T12:00:00Z
check fault_retry_pays [ "$(stat payments)|$(open_of D-1)|$(open_of D-2)" = "2|0|0" ]

# `dunwell migrate --to` carries the statements, the queue and the payers.
COPY=$(new_db copy)
expect_ok migrate_copy migrate --to "$COPY"
for table in statement_entries review_items payer_accounts; do
	check "copied_$table" [ "$(q "SELECT COUNT(*) FROM $table" "$COPY")" = "$(q "SELECT COUNT(*) FROM $table")" ]
done
entries_sql="SELECT id, bank_ref, status, booked_on, amount_minor, CAST(credit AS INTEGER), outcome, COALESCE(payment_external_id, '-'), COALESCE(reverses_id, 0), credit_minor, rule, reason FROM statement_entries ORDER BY id"
check copied_entries_same [ "$(q "$entries_sql" "$COPY")" = "$(q "$entries_sql")" ]
finish
