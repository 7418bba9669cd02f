-- 0010_statements: bank statements (camt.053/054) imported by
-- `dunwell import statement FILE` (issue #7, docs/statements.md).
--
--  * statement_entries: every entry of every statement imported, once. The
--    key is the bank's reference with the entry's status, unique per
--    tenant: importing the same statement again finds every key and
--    changes nothing, while an entry first seen pending (PDNG, recorded as
--    ignored) is still taken when the bank books it under the same
--    reference. The outcome says what the entry did: 'payment' (recorded
--    as the payment payment_external_id, "bank:<bank_ref>", for the case,
--    invoice and customer it matched by `rule`), 'review' (a person
--    decides: see review_items), 'unmatched' (nothing pointed anywhere;
--    also in review_items), 'reversal' (undid the payment of entry
--    reverses_id) or 'ignored' (a debit, or not booked). credit_minor is
--    what a payment left unallocated (kept as the customer's credit). The
--    unstructured remittance text is bounded like camt's (2240 bytes).
--  * review_items: the review queue the agents' console reads: an entry a
--    person has to place, why, and the candidates found (a JSON array of
--    {"target","id","customer_id","case_id","open_minor","currency","due_date"}).
--  * payer_accounts: the accounts (IBAN, and the name on them) seen paying
--    for a customer; the matcher's "amount + IBAN/name seen before" rules
--    read them. One account may pay for several customers (a parent for
--    two children), so the key is (tenant, iban, customer).
--
-- A reversal (RvslInd) or a returned direct debit undoes a payment by
-- recording a negative payment ("bank:<reversal's bank_ref>") and
-- re-opening, up to what the original payment allocated (its amount less
-- its credit_minor), the customer's paid invoices in that currency in the
-- reverse of the allocation order: the newest due first, the invoice the
-- payment named last. That is exact when nothing was paid in between (the
-- usual case: a bank reverses within days) and never re-opens more than
-- the payment took; the allocation itself is not stored per invoice.
CREATE TABLE statement_entries (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	bank_ref TEXT NOT NULL,         -- AcctSvcrRef / NtryRef ("/N" per batch tx)
	status TEXT NOT NULL,           -- BOOK | PDNG | INFO | FUTR | other code
	statement_id TEXT NOT NULL,     -- Stmt/Id or Ntfctn/Id
	booked_on TEXT,                 -- booking date, NULL when none
	amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
	currency TEXT NOT NULL,
	credit INTEGER NOT NULL,        -- 1 money in, 0 money out
	reversal INTEGER NOT NULL DEFAULT 0,  -- RvslInd
	returned INTEGER NOT NULL DEFAULT 0,  -- RtrInf: a returned payment
	return_reason TEXT NOT NULL DEFAULT '', -- MD06, AM04, ...
	debtor_name TEXT NOT NULL DEFAULT '',
	debtor_iban TEXT NOT NULL DEFAULT '',
	reference TEXT NOT NULL DEFAULT '',     -- structured creditor reference
	unstructured TEXT NOT NULL DEFAULT ''
		CHECK (length(CAST(unstructured AS BLOB)) <= 2240),
	end_to_end_id TEXT NOT NULL DEFAULT '',
	outcome TEXT NOT NULL
		CHECK (outcome IN ('payment', 'review', 'unmatched', 'reversal', 'ignored')),
	payment_external_id TEXT,       -- the payment recorded (or reversed with)
	case_id INTEGER,                -- what it matched / undid
	invoice_id INTEGER,
	customer_id INTEGER,
	reverses_id INTEGER,            -- a reversal: the entry it undid
	credit_minor INTEGER NOT NULL DEFAULT 0, -- a payment's unallocated part
	rule TEXT NOT NULL DEFAULT '',  -- rf | nl_ref | invoice_number | amount_iban | amount_name
	reason TEXT NOT NULL DEFAULT '',-- why review / ignored, for people
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX statement_entries_ref ON statement_entries (tenant_id, bank_ref, status);
-- Finding the payment a reversal or a return undoes.
CREATE INDEX statement_entries_e2e ON statement_entries (tenant_id, end_to_end_id)
	WHERE end_to_end_id <> '';
CREATE INDEX statement_entries_stmt ON statement_entries (tenant_id, statement_id, amount_minor);
CREATE INDEX statement_entries_reverses ON statement_entries (tenant_id, reverses_id)
	WHERE reverses_id IS NOT NULL;

CREATE TABLE review_items (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	entry_id INTEGER NOT NULL REFERENCES statement_entries(id),
	reason TEXT NOT NULL,
	candidates TEXT NOT NULL DEFAULT '[]', -- JSON array, see above
	status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
	created_at TEXT NOT NULL,
	resolved_at TEXT                -- NULL while open
);
CREATE INDEX review_items_open ON review_items (tenant_id, status, created_at);
CREATE INDEX review_items_entry ON review_items (tenant_id, entry_id);

CREATE TABLE payer_accounts (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	iban TEXT NOT NULL,             -- as the bank wrote it
	name TEXT NOT NULL DEFAULT '',  -- the account holder's name, last seen
	last_seen TEXT NOT NULL,        -- booking date of the last payment
	PRIMARY KEY (tenant_id, iban, customer_id)
) WITHOUT ROWID;
