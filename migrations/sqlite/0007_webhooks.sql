-- 0007_webhooks: signed webhooks to the tenant (issue #5, docs/webhooks.md).
--
-- A tenant registers endpoints (`dunwell webhook add URL`). Each endpoint
-- keeps a cursor: the last case_events id already turned into deliveries
-- for it. `dunwell webhook deliver` (and `serve --dispatch-every`) turns
-- newer case events whose kind the endpoint wants into deliveries (one row
-- per endpoint and event: the unique key makes it happen once), then POSTs
-- the due ones, signed with the endpoint's secret. A delivery is a small
-- state machine: queued → delivered, or queued again later with backoff,
-- failed (the receiver answered 410 Gone) or dead (10 attempts used up).
-- A deliverer holds a claimed row by a lease, as the outbox does.
--
-- The secret is kept as it is: it is the HMAC key, so it must be readable.
CREATE TABLE webhook_endpoints (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	url TEXT NOT NULL,              -- where events are POSTed
	secret TEXT NOT NULL,           -- HMAC-SHA256 key ("whsec_...")
	events TEXT NOT NULL DEFAULT '*', -- space-separated event names, or '*'
	active INTEGER NOT NULL DEFAULT 1, -- 0: nothing new is queued for it
	cursor_event_id INTEGER NOT NULL DEFAULT 0, -- last case_events id seen
	created_at TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, id);

CREATE TABLE webhook_deliveries (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	endpoint_id INTEGER NOT NULL REFERENCES webhook_endpoints(id),
	event_id INTEGER NOT NULL,      -- the case_events row
	kind TEXT NOT NULL,             -- the event name sent ("case.opened")
	payload TEXT NOT NULL,          -- the JSON body, exactly as sent
	status TEXT NOT NULL,           -- queued|delivered|failed|dead
	attempts INTEGER NOT NULL DEFAULT 0,
	not_before TEXT NOT NULL,       -- instant: not POSTed earlier
	lease_until TEXT,               -- instant: held by a deliverer until
	lease_owner TEXT,
	last_error TEXT NOT NULL DEFAULT '',
	response_status INTEGER NOT NULL DEFAULT 0, -- last HTTP status, 0 none
	created_at TEXT NOT NULL,
	delivered_at TEXT
);
CREATE UNIQUE INDEX webhook_deliveries_key
	ON webhook_deliveries (tenant_id, endpoint_id, event_id);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (tenant_id, not_before)
	WHERE status = 'queued';
