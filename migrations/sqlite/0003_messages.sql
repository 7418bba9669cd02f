-- 0003_messages: what messages need from a tenant.
--
-- tenant_settings holds a tenant's profile as key/value text (contact
-- details, bank account, brand colour, the public address of the portal):
-- the keys and the checks on their values live in src/profile.c, so a new
-- setting needs no migration. templates holds a tenant's own message
-- templates, which take precedence over the built-in ones (docs/messages.md).
CREATE TABLE tenant_settings (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	key TEXT NOT NULL,
	value TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

CREATE TABLE templates (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	locale TEXT NOT NULL,           -- BCP 47 tag, e.g. 'nl' or 'nl-BE'
	template_id TEXT NOT NULL,      -- e.g. 'friendly_reminder'
	variant TEXT NOT NULL,          -- '' or 'plain'
	source TEXT NOT NULL,           -- the template file (docs/messages.md)
	updated_at TEXT NOT NULL,
	PRIMARY KEY (tenant_id, locale, template_id, variant)
) WITHOUT ROWID;
