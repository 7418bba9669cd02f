-- 0009_portal: what the customer's personal page records (issue #6).
--
-- A personal link (table links, 0005) is the customer's only credential:
-- it can now be revoked, and carries the key its forms' CSRF tokens are
-- made with (random, made on the first visit). What the customer does on
-- the page is kept here and, as a case event, in the case's log:
--  * plans and plan_instalments: an instalment plan the customer set up
--    (months, day of the month), its schedule, and how much has been paid
--    towards it; the case holds (hold_reason 'plan') while it is in good
--    standing;
--  * requests: "I need help", a call back at a chosen time, a dispute of
--    an invoice: each waits in the agents' queue (#9) until a person has
--    dealt with it;
--  * psp_checkouts: a payment started at a provider's hosted checkout, so
--    that the provider's webhook is matched to the case it pays.
ALTER TABLE links ADD COLUMN revoked_at TEXT;   -- NULL while the link works
ALTER TABLE links ADD COLUMN csrf_key TEXT NOT NULL DEFAULT ''; -- hex, '' until the first visit

CREATE TABLE plans (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	currency TEXT NOT NULL,
	total_minor INTEGER NOT NULL,   -- the debt the plan spreads
	months INTEGER NOT NULL,        -- instalments
	day_of_month INTEGER NOT NULL,  -- the customer's chosen day (31 = last)
	paid_minor INTEGER NOT NULL DEFAULT 0, -- paid towards it so far
	status TEXT NOT NULL,           -- active | completed | broken | cancelled
	source TEXT NOT NULL,           -- portal | agent | api
	created_at TEXT NOT NULL,
	ended_at TEXT                   -- when it completed, broke or was cancelled
);
-- At most one active plan per case.
CREATE UNIQUE INDEX plans_active ON plans (tenant_id, case_id) WHERE status = 'active';

CREATE TABLE plan_instalments (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	plan_id INTEGER NOT NULL REFERENCES plans(id),
	n INTEGER NOT NULL,             -- 1, 2, ...
	due_on TEXT NOT NULL,
	amount_minor INTEGER NOT NULL,
	PRIMARY KEY (plan_id, n)
) WITHOUT ROWID;

CREATE TABLE requests (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	kind TEXT NOT NULL,             -- help | callback | dispute
	reason TEXT NOT NULL DEFAULT '',-- a category: income_drop, illness, ...
	message TEXT NOT NULL DEFAULT '', -- the customer's own words
	contact_via TEXT NOT NULL DEFAULT '', -- how they want to be reached
	callback_at TEXT,               -- callback: when (UTC)
	invoice_id INTEGER,             -- dispute: the invoice
	status TEXT NOT NULL DEFAULT 'open', -- open | done
	created_at TEXT NOT NULL,
	done_at TEXT
);
CREATE INDEX requests_open ON requests (tenant_id, status, created_at);
CREATE INDEX requests_case ON requests (tenant_id, case_id);

CREATE TABLE psp_checkouts (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	provider TEXT NOT NULL,         -- test | mollie | stripe
	provider_id TEXT NOT NULL,      -- the provider's payment / session id
	amount_minor INTEGER NOT NULL,
	currency TEXT NOT NULL,
	status TEXT NOT NULL,           -- open | paid | failed | canceled | expired
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX psp_checkouts_provider ON psp_checkouts (tenant_id, provider, provider_id);
CREATE INDEX psp_checkouts_case ON psp_checkouts (tenant_id, case_id);
