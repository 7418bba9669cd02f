-- 0014_reports: the console's reports (issue #9); the PostgreSQL dialect
-- of migrations/sqlite/0014_reports.sql (see there for the why: portal
-- visits, one row per case and day; the tenant's rolled-up figures; when
-- they were last rebuilt), keyed by tenant like every table.
CREATE TABLE portal_visits (
	tenant_id BIGINT NOT NULL REFERENCES tenants(id),
	case_id BIGINT NOT NULL,
	day DATE NOT NULL,
	PRIMARY KEY (tenant_id, case_id, day),
	FOREIGN KEY (tenant_id, case_id) REFERENCES cases (tenant_id, id)
);

CREATE TABLE report_rows (
	tenant_id BIGINT NOT NULL REFERENCES tenants(id),
	report TEXT NOT NULL,
	key TEXT NOT NULL,
	currency TEXT NOT NULL,
	bucket INTEGER NOT NULL,
	cases BIGINT NOT NULL,
	cured BIGINT NOT NULL,
	amount_minor BIGINT NOT NULL,
	PRIMARY KEY (tenant_id, report, key, currency, bucket)
);

CREATE TABLE report_refreshes (
	tenant_id BIGINT PRIMARY KEY REFERENCES tenants(id),
	as_of DATE NOT NULL,
	refreshed_at TIMESTAMPTZ NOT NULL
);
