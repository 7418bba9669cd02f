-- 0002_run_ranges: how `dunwell run` shares its work between processes
-- (PostgreSQL dialect of migrations/sqlite/0002_run_ranges.sql).
--
-- A tenant's customers are cut into ranges of ids. A worker claims a range
-- that has not been run at its --as-of instant, decides and writes it, and
-- records the instant, all in one transaction: the claim is a row lock
-- taken with FOR UPDATE SKIP LOCKED, so a crashed worker's range is free
-- again the moment its transaction is rolled back (or its connection drops).
CREATE TABLE run_ranges (
	tenant_id bigint NOT NULL REFERENCES tenants (id),
	range_from bigint NOT NULL,     -- first customer id of the range
	range_to bigint NOT NULL,       -- first customer id after it
	last_as_of timestamptz,         -- instant of the last run over it
	PRIMARY KEY (tenant_id, range_from)
);
