-- 0013_charges: failed automatic payments (issue #7, docs/charges.md).
--
--  * charges: an automatic charge (card on file, SEPA direct debit) that a
--    tenant collects through a payment provider and that failed: reported
--    by the tenant's billing system (POST /v1/charges/failed) or by the
--    provider's own notification. One row per provider payment
--    (tenant, provider, payment_id unique), so a report and the
--    provider's notification of the same charge are one charge. It carries
--    the retry schedule's state (retry.h): status, attempts made,
--    next_attempt_on (NULL when none is planned), failed_on (the first
--    failure: the schedule's anchor), awaiting (a retry was sent and its
--    outcome is not known yet), and attempt_refs, the provider's ids of
--    the tries already applied, so a replayed notification changes
--    nothing. Never card data: only the provider's references.
CREATE TABLE charges (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	invoice_id INTEGER NOT NULL REFERENCES invoices(id),
	case_id INTEGER REFERENCES cases(id),  -- NULL until a case holds it
	provider TEXT NOT NULL,         -- stripe | mollie
	payment_id TEXT NOT NULL,       -- pi_... (Stripe), tr_... (Mollie)
	customer_ref TEXT NOT NULL DEFAULT '', -- cus_... / cst_..., '' unknown
	mandate_ref TEXT NOT NULL DEFAULT '',  -- pm_... / mdt_..., '' unknown
	amount_minor INTEGER NOT NULL,
	currency TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('failed', 'retrying',
		'succeeded', 'given_up', 'hard_declined')),
	failure_code TEXT NOT NULL DEFAULT '', -- the provider's decline code
	decline_class TEXT NOT NULL DEFAULT 'soft' CHECK (decline_class IN
		('soft', 'hard')),
	attempts INTEGER NOT NULL DEFAULT 0,   -- retries made so far
	failed_on TEXT NOT NULL,        -- the first failure (the customer's date)
	next_attempt_on TEXT,           -- the next retry, NULL when none
	attempt_id TEXT NOT NULL DEFAULT '',   -- the latest retry's id (ch_/tr_)
	attempt_refs TEXT NOT NULL DEFAULT '', -- tries applied, space-separated
	awaiting INTEGER NOT NULL DEFAULT 0,   -- a retry's outcome is pending
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX charges_provider ON charges (tenant_id, provider, payment_id);
CREATE INDEX charges_due ON charges (tenant_id, status, next_attempt_on);
CREATE INDEX charges_customer ON charges (tenant_id, customer_id);
