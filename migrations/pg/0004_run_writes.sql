-- 0004_run_writes: what `dunwell run` writes in bulk, made cheaper to
-- write (issue #8; bench/README.md, "PostgreSQL").
--
-- The foreign keys on the rows a run appends are no longer checked by
-- PostgreSQL. It checks a foreign key row by row: a trigger runs a query
-- that finds and locks (FOR KEY SHARE) the referenced row. A run writes a
-- case, its case.opened event and about one action per case, so a million
-- open invoices cost 1.25 million such queries, about half of the run's
-- time. Worse, each is a plan cached per connection, made when the run's
-- first rows were written: on a cases table that was empty when the run
-- began it stays a scan of the whole table (or of the tenant's part of an
-- index) until autovacuum happens to analyze the table, so one worker of
-- two could be several times slower than the other and do a tenth of the
-- work.
--
-- These rows are only ever written by the store backend, parents first in
-- the same transaction: a case before its events and actions, with a case
-- id reserved from cases_id_seq, for the customer and tenant the run read;
-- and no command deletes a customer or a case. SQLite declares the same
-- keys and leaves them unchecked for the same reason. The other foreign
-- keys (imports, payments, settings, messages: a row at a time anyway) stay
-- enforced.
ALTER TABLE cases DROP CONSTRAINT cases_tenant_id_fkey;
ALTER TABLE cases DROP CONSTRAINT cases_tenant_id_customer_id_fkey;
ALTER TABLE case_events DROP CONSTRAINT case_events_tenant_id_case_id_fkey;
ALTER TABLE actions DROP CONSTRAINT actions_tenant_id_case_id_fkey;

-- Event ids: each connection takes 1000 at a time from the sequence
-- instead of one per row (case ids are reserved in blocks by the backend
-- likewise). Ids stay unique and ascend within a connection, which is the
-- order a case's events are written in (one run, one transaction); across
-- connections they no longer follow the order of time.
ALTER TABLE case_events ALTER COLUMN id SET CACHE 1000;

-- Room on each page of cases for a changed version of its rows: every run
-- changes the open cases that take a step, and an update that finds room
-- on the row's own page and changes no indexed column (status is one, in
-- cases_open's condition) writes no index entry (a HOT update). Applies to
-- pages written from now on.
ALTER TABLE cases SET (fillfactor = 70);
