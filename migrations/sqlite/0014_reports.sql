-- 0014_reports: the console's reports (issue #9) and what the portal
-- records for them.
--
--  * portal_visits: a day on which a case's personal page was opened, at
--    most one row per case and day (store_portal_visit inserts or
--    ignores), so "cases that visited" and "visit days" can be counted
--    without an access log.
--  * report_rows: the tenant's figures, rolled up by `dunwell report
--    refresh` (and at the end of a tenant's run) in one transaction from
--    cases, actions, payments, invoices, case events and visits, so the
--    reports page reads a few hundred small rows instead of aggregating a
--    million cases on every view. What each column holds depends on
--    `report` (see store.h, struct report_row).
--  * report_refreshes: when a tenant's rows were last rebuilt, and the
--    date the figures are for (the DSO window and cohort maturity).
-- The portal's "paid since the first visit" reads a customer's payments
-- through payments_customer_paid (0015_experiments makes it).
-- The rollups are derived data: `migrate --to` does not copy them; a
-- refresh rebuilds them.
CREATE TABLE portal_visits (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	case_id INTEGER NOT NULL REFERENCES cases(id),
	day TEXT NOT NULL,              -- the UTC date of the visit
	PRIMARY KEY (tenant_id, case_id, day)
) WITHOUT ROWID;

CREATE TABLE report_rows (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	report TEXT NOT NULL,           -- step | channel | tone | segment |
					-- strategy | portal | dso | aging | cohort
	key TEXT NOT NULL,              -- the group ('' = none)
	currency TEXT NOT NULL,         -- '' for plain counts
	bucket INTEGER NOT NULL,        -- aging: band; cohort: days since due
	cases INTEGER NOT NULL,         -- cases (invoices for aging, cohort)
	cured INTEGER NOT NULL,         -- of them resolved
	amount_minor INTEGER NOT NULL,  -- recovered (dso, aging: open)
	PRIMARY KEY (tenant_id, report, key, currency, bucket)
) WITHOUT ROWID;

CREATE TABLE report_refreshes (
	tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),
	as_of TEXT NOT NULL,            -- the date the figures are for
	refreshed_at TEXT NOT NULL      -- when they were rebuilt
);
