-- 0004_run_writes: the foreign keys on what `dunwell run` appends in bulk
-- are no longer checked by PostgreSQL (issue #8).
--
-- PostgreSQL checks a foreign key row by row: a trigger runs a query that
-- finds and locks (FOR KEY SHARE) the referenced row. A run writes one case
-- row, one event and about one action per case, so a million open invoices
-- cost 1.25 million such queries, half of the run's time; and each one is a
-- plan cached per connection, made while the run's first rows were being
-- written: on a cases table that was empty when the run began it stays a
-- scan of the whole table, which made one worker of two several times
-- slower than the other (bench/README.md, "PostgreSQL").
--
-- These four rows are only ever written by the store backend, parents first
-- in the same transaction (a case before its events and actions, with a
-- case id reserved from cases_id_seq; the customer and tenant it belongs to
-- are the ones the run read), and no command deletes a customer or a case.
-- SQLite declares the same keys and leaves them unchecked for the same
-- reason; the integration tests check them after every run and crash. The
-- other foreign keys (imports, payments, settings: row at a time anyway)
-- stay enforced.
ALTER TABLE cases DROP CONSTRAINT cases_tenant_id_fkey;
ALTER TABLE cases DROP CONSTRAINT cases_tenant_id_customer_id_fkey;
ALTER TABLE case_events DROP CONSTRAINT case_events_tenant_id_case_id_fkey;
ALTER TABLE actions DROP CONSTRAINT actions_tenant_id_case_id_fkey;

-- Event ids: each connection takes 1000 at a time from the sequence
-- instead of one per row (as case ids are reserved in blocks by the
-- backend). Ids stay unique and ascend within a connection, which is the
-- order a case's events are written in (one run, one transaction); across
-- connections they no longer follow the order of time.
ALTER TABLE case_events ALTER COLUMN id SET CACHE 1000;

-- Room on each page of cases for a changed version of its rows: every run
-- changes most open cases (the next step, its date), and an update that
-- finds room on the row's own page, changing no indexed column, writes no
-- index entry (a HOT update). Applies to pages written from now on.
ALTER TABLE cases SET (fillfactor = 70);
