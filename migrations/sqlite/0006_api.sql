-- 0006_api: the JSON API's keys and its idempotency records (docs/api.md).
--
-- api_keys holds only the SHA-256 of each key (a leaked database opens no
-- tenant's data) and its first characters after "dw_live_", shown by
-- `dunwell apikey list` so a person can tell keys apart and revoke one.
-- scopes is a space-separated subset of "read write admin".
CREATE TABLE api_keys (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	prefix TEXT NOT NULL UNIQUE,    -- 8 characters of the token, shown
	hash TEXT NOT NULL UNIQUE,      -- SHA-256 hex of the whole key
	scopes TEXT NOT NULL,
	created_at TEXT NOT NULL,
	revoked_at TEXT                 -- NULL while the key works
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id, id);

-- One row per Idempotency-Key of a POST: written before the request is
-- handled (status NULL: in flight), completed with the answer, which is
-- replayed for 24 hours to a retry of the same request.
CREATE TABLE idempotency_keys (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	key TEXT NOT NULL,
	request_hash TEXT NOT NULL,     -- SHA-256 hex of method, path, body
	status INTEGER,                 -- the answer's status; NULL in flight
	response_body TEXT,             -- the answer's body
	created_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;
