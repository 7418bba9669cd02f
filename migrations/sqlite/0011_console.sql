-- 0011_console: the team's web console (issue #9): operator accounts,
-- their sessions, the record of failed logins, notes on cases, and the
-- indexes that let the agents' queue answer at once on a million cases.
--
--  * operators: the company's people, per tenant. The e-mail address is
--    the login name, stored lower-case and unique per tenant. Only a
--    libsodium crypto_pwhash_str string is kept (argon2id, with its salt
--    and cost parameters inside), never the password. role is agent,
--    manager or admin; a disabled operator cannot log in and their
--    sessions stop working.
--  * operator_sessions: one row per logged-in browser. The key is the
--    SHA-256 hex of the session token (256 random bits): the cookie holds
--    the token, the database only its hash, so a leaked database opens no
--    session. csrf_key (hex) makes the session's form tokens. A session
--    ends at expires_at (12 hours after login) or after 30 minutes without
--    a request (last_seen, written at most once a minute).
--  * login_failures: every failed login, so that the limits (5 failures
--    per e-mail address, 20 per remote address, in 15 minutes) hold
--    across every process serving the console. Old rows are pruned.
--  * case_notes: what an operator wrote about a case. A note also tells
--    the agents' queue that a person has worked the case.
CREATE TABLE operators (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL,            -- lower-case; the login name
	name TEXT NOT NULL,             -- shown to colleagues and in case logs
	role TEXT NOT NULL CHECK (role IN ('agent', 'manager', 'admin')),
	password_hash TEXT NOT NULL,    -- crypto_pwhash_str (argon2id)
	disabled INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX operators_email ON operators (tenant_id, email);

CREATE TABLE operator_sessions (
	token_hash TEXT PRIMARY KEY,    -- SHA-256 hex of the token, never the token
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	operator_id INTEGER NOT NULL REFERENCES operators(id),
	csrf_key TEXT NOT NULL,         -- hex key of the session's form tokens
	created_at TEXT NOT NULL,
	last_seen TEXT NOT NULL,        -- the last request (to the minute)
	expires_at TEXT NOT NULL        -- created_at + 12 hours
) WITHOUT ROWID;
CREATE INDEX operator_sessions_operator ON operator_sessions (tenant_id, operator_id);

CREATE TABLE login_failures (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL,            -- as tried, lower-case
	remote TEXT NOT NULL,           -- the client's address
	at TEXT NOT NULL
);
CREATE INDEX login_failures_email ON login_failures (tenant_id, email, at);
CREATE INDEX login_failures_remote ON login_failures (tenant_id, remote, at);
CREATE INDEX login_failures_at ON login_failures (tenant_id, at);

CREATE TABLE case_notes (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	case_id INTEGER NOT NULL REFERENCES cases(id),
	operator_id INTEGER NOT NULL REFERENCES operators(id),
	body TEXT NOT NULL CHECK (length(CAST(body AS BLOB)) <= 4000),
	created_at TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (tenant_id, case_id, created_at);

-- The agents' queue (store_queue): each of its branches reads an index
-- in the order it wants, so that it stops after the rows it shows.
--   help, dispute: open requests of a kind, oldest first;
--   callback: open call-back requests by the time asked for;
CREATE INDEX requests_queue ON requests (tenant_id, kind, created_at)
	WHERE status = 'open';
CREATE INDEX requests_callback ON requests (tenant_id, callback_at)
	WHERE status = 'open' AND kind = 'callback';
--   vulnerable: the tenant's vulnerable customers, then their open cases
--   with the date each opened (covering: no case row is read; this halved
--   the queue's time on a million cases, bench figures in the report);
CREATE INDEX customers_vulnerable ON customers (tenant_id, id)
	WHERE vulnerable = 1;
CREATE INDEX cases_open_since ON cases (tenant_id, customer_id, opened_on)
	WHERE status = 'open';
--   broken plans: by when they broke (covering), and whether a later plan
--   followed;
CREATE INDEX plans_broken ON plans (tenant_id, ended_at, id, case_id, customer_id)
	WHERE status = 'broken';
CREATE INDEX plans_case ON plans (tenant_id, case_id, id);
--   handed to an agent: the events by time, and the case's latest one.
CREATE INDEX case_events_agent ON case_events (tenant_id, at)
	WHERE kind = 'case.handed_to_agent';
CREATE INDEX case_events_agent_case ON case_events (tenant_id, case_id, id)
	WHERE kind = 'case.handed_to_agent';
