-- 0005_outbox: messages on their way to customers (issue #4).
--
-- `dunwell run` records each decided contact as an action with status
-- 'queued'. The dispatcher moves queued contact actions into `messages`
-- (one row per action and channel: the unique key makes the move happen
-- once) and marks the action 'outbox'; from then on the message row is the
-- state machine: queued → sent → delivered, or failed/bounced (then the
-- next channel gets a row of its own), cancelled (a payment, promise,
-- plan, dispute, moratorium or do-not-contact came first) or dead (retries
-- used up). A dispatcher holds a claimed row by a lease; when it crashes,
-- the lease runs out and another takes the row over.
CREATE INDEX actions_queued ON actions (tenant_id, case_id)
	WHERE status = 'queued' AND kind = 'contact';

CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	case_id INTEGER NOT NULL REFERENCES cases(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	step TEXT NOT NULL,             -- the action's step
	channel TEXT NOT NULL,          -- this row's channel
	fallbacks TEXT NOT NULL DEFAULT '', -- channels left, comma-separated
	template_id TEXT NOT NULL DEFAULT '',
	tone TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,           -- queued|sent|delivered|failed|bounced|cancelled|dead
	not_before TEXT NOT NULL,       -- instant: not handed over earlier
	attempts INTEGER NOT NULL DEFAULT 0,
	lease_until TEXT,               -- instant: held by a dispatcher until
	lease_owner TEXT,
	idempotency_key TEXT NOT NULL,  -- given to the provider on every try
	provider TEXT NOT NULL DEFAULT '',
	provider_id TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	link_hash TEXT NOT NULL DEFAULT '', -- SHA-256 of the personal link's token
	created_at TEXT NOT NULL,
	sent_at TEXT,
	updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX messages_key ON messages (tenant_id, case_id, step, channel);
CREATE UNIQUE INDEX messages_idempotency ON messages (tenant_id, idempotency_key);
CREATE INDEX messages_due ON messages (tenant_id, not_before)
	WHERE status = 'queued';
CREATE INDEX messages_customer ON messages (tenant_id, customer_id, sent_at)
	WHERE sent_at IS NOT NULL;
CREATE INDEX messages_provider ON messages (tenant_id, provider, provider_id)
	WHERE provider_id <> '';

-- Personal links: only a hash of the token is kept (the token itself is
-- only ever in the message that carried it).
CREATE TABLE links (
	token_hash TEXT PRIMARY KEY,    -- SHA-256 hex of the token
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	case_id INTEGER NOT NULL REFERENCES cases(id),
	customer_id INTEGER NOT NULL REFERENCES customers(id),
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX links_case ON links (tenant_id, case_id);
