-- 0003_messages: what messages need from a tenant (see the SQLite dialect
-- for the why). Keyed by tenant like every table.
CREATE TABLE tenant_settings (
	tenant_id BIGINT NOT NULL REFERENCES tenants(id),
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant_id, key)
);

CREATE TABLE templates (
	tenant_id BIGINT NOT NULL REFERENCES tenants(id),
	locale TEXT NOT NULL,
	template_id TEXT NOT NULL,
	variant TEXT NOT NULL,
	source TEXT NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	PRIMARY KEY (tenant_id, locale, template_id, variant)
);
