-- 0002_run_ranges: how `dunwell run` shares its work between processes.
--
-- A tenant's customers are cut into ranges of ids. A worker claims a range
-- that has not been run at its --as-of instant, decides and writes it, and
-- records the instant, all in one transaction: on PostgreSQL the claim is a
-- row lock taken with FOR UPDATE SKIP LOCKED, so a crashed worker's range
-- is free again the moment its transaction is rolled back; on SQLite the
-- single write lock serialises workers the same way.
CREATE TABLE run_ranges (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	range_from INTEGER NOT NULL,    -- first customer id of the range
	range_to INTEGER NOT NULL,      -- first customer id after it
	last_as_of TEXT,                -- instant of the last run over it
	PRIMARY KEY (tenant_id, range_from)
) WITHOUT ROWID;
