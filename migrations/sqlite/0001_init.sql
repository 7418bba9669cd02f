-- 0001_init: the core schema (tenants, customers, invoices, payments,
-- strategies, cases, the case event log, actions).
--
-- Conventions, kept identical in the PostgreSQL dialect:
--  * every table carries tenant_id and every index leads with it;
--  * money is INTEGER minor units beside a 3-letter currency;
--  * dates are TEXT 'YYYY-MM-DD', instants TEXT 'YYYY-MM-DDTHH:MM:SSZ'
--    (both sort correctly as text);
--  * booleans are INTEGER 0/1.

CREATE TABLE tenants (
	id INTEGER PRIMARY KEY,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	timezone TEXT NOT NULL DEFAULT 'UTC',
	locale TEXT NOT NULL DEFAULT 'en',
	created_at TEXT NOT NULL
);

CREATE TABLE customers (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	external_id TEXT NOT NULL,
	name TEXT NOT NULL,
	locale TEXT NOT NULL,
	timezone TEXT NOT NULL,
	country TEXT NOT NULL DEFAULT '',
	segments TEXT NOT NULL DEFAULT '',
	vulnerable INTEGER NOT NULL DEFAULT 0,
	do_not_contact INTEGER NOT NULL DEFAULT 0,
	deceased INTEGER NOT NULL DEFAULT 0,
	plain_language INTEGER NOT NULL DEFAULT 0,
	moratorium_until TEXT,
	customer_since TEXT,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX customers_external ON customers (tenant_id, external_id);

CREATE TABLE contact_points (
	tenant_id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	channel TEXT NOT NULL,
	address TEXT NOT NULL,
	consent INTEGER NOT NULL DEFAULT 1,
	preference INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, customer_id, channel)
) WITHOUT ROWID; -- stored in key order: the run reads them by customer

CREATE TABLE invoices (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	external_id TEXT NOT NULL,
	number TEXT NOT NULL,
	issue_date TEXT NOT NULL,
	due_date TEXT NOT NULL,
	amount_minor INTEGER NOT NULL,
	open_minor INTEGER NOT NULL,
	currency TEXT NOT NULL,
	payment_reference TEXT NOT NULL DEFAULT '',
	disputed INTEGER NOT NULL DEFAULT 0,
	written_off INTEGER NOT NULL DEFAULT 0,
	updated_at TEXT NOT NULL,
	CHECK (open_minor >= 0 AND open_minor <= amount_minor)
);
CREATE UNIQUE INDEX invoices_external ON invoices (tenant_id, external_id);
-- The engine's scan: open invoices by customer, covering what it reads.
CREATE INDEX invoices_open ON invoices
	(tenant_id, customer_id, currency, due_date, open_minor, disputed)
	WHERE open_minor > 0 AND written_off = 0;
CREATE INDEX invoices_reference ON invoices (tenant_id, payment_reference)
	WHERE payment_reference <> '';

CREATE TABLE payments (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	external_id TEXT NOT NULL,
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	invoice_id INTEGER REFERENCES invoices(id),
	amount_minor INTEGER NOT NULL,
	currency TEXT NOT NULL,
	paid_on TEXT NOT NULL,
	method TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX payments_external ON payments (tenant_id, external_id);

-- Every upload of a tenant's strategy file is a new version; cases keep
-- the version they started with.
CREATE TABLE strategy_versions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	version INTEGER NOT NULL,
	source TEXT NOT NULL,
	yaml TEXT NOT NULL,
	active INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX strategy_versions_version
	ON strategy_versions (tenant_id, version);

CREATE TABLE cases (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	currency TEXT NOT NULL,
	status TEXT NOT NULL,           -- open | resolved | written_off
	strategy_version INTEGER NOT NULL,
	strategy TEXT NOT NULL,
	anchor_date TEXT NOT NULL,
	next_step INTEGER NOT NULL DEFAULT 0,
	opened_on TEXT NOT NULL,
	last_step_on TEXT,
	closed_on TEXT,
	hold_reason TEXT NOT NULL DEFAULT 'none',
	hold_until TEXT,
	fees_minor INTEGER NOT NULL DEFAULT 0
);
-- At most one open case per customer and currency.
CREATE UNIQUE INDEX cases_open ON cases (tenant_id, customer_id, currency)
	WHERE status = 'open';
CREATE INDEX cases_customer ON cases (tenant_id, customer_id);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE case_events (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	at TEXT NOT NULL,
	kind TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (tenant_id, case_id);

-- Decided steps. The primary key makes every decision happen once: a
-- re-run, or a run after a crash, inserts nothing it inserted before. The
-- table is stored in key order (WITHOUT ROWID), so the key is its only
-- b-tree: a customer's recent contacts are read through it, case by case.
CREATE TABLE actions (
	tenant_id INTEGER NOT NULL,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	customer_id INTEGER NOT NULL,
	step TEXT NOT NULL,
	kind TEXT NOT NULL,             -- contact | fee | end | skip | agent
	channel TEXT NOT NULL DEFAULT '',
	fallbacks TEXT NOT NULL DEFAULT '',
	due_on TEXT NOT NULL,
	decided_on TEXT NOT NULL,
	decided_at TEXT NOT NULL,
	amount_minor INTEGER NOT NULL DEFAULT 0,
	currency TEXT NOT NULL,
	template TEXT NOT NULL DEFAULT '',
	tone TEXT NOT NULL DEFAULT '',
	end_action TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,           -- queued (contacts) | done
	PRIMARY KEY (tenant_id, case_id, step, kind, channel)
) WITHOUT ROWID;
