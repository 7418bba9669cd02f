-- 0015_experiments: strategies edited in the console and champion /
-- challenger experiments (issue #9; docs/strategy.md "Experiments",
-- docs/console.md).
--
--  * case_experiments: the experiment and variant a case was put in when
--    it opened (a rule with `experiment:` chose its strategy by
--    experiment_assign). Written by the run in the transaction that opens
--    the case; never changed. variant is the index in the rule's list
--    (0 = the champion); strategy is the variant's strategy's name. Like
--    the run's other appended rows (0004), no foreign key is declared:
--    the store writes the case first, in the same transaction.
--  * strategy_changes: who saved or activated a strategy version in the
--    console, and when (the versions themselves are strategy_versions).
--  * payments_customer_paid: the experiments page sums each case's
--    payments (same customer and currency, while the case was open).
CREATE TABLE case_experiments (
	tenant_id INTEGER NOT NULL,
	case_id INTEGER NOT NULL,
	experiment_id TEXT NOT NULL,    -- the rule's experiment id
	variant INTEGER NOT NULL,       -- index in its variants, 0 = champion
	strategy TEXT NOT NULL,         -- the variant's strategy
	PRIMARY KEY (tenant_id, case_id)
) WITHOUT ROWID;
CREATE INDEX case_experiments_experiment
	ON case_experiments (tenant_id, experiment_id, variant);

CREATE TABLE strategy_changes (
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	id INTEGER PRIMARY KEY,
	version INTEGER NOT NULL,       -- strategy_versions.version
	action TEXT NOT NULL CHECK (action IN ('saved', 'activated')),
	operator_id INTEGER NOT NULL REFERENCES operators(id),
	at TEXT NOT NULL
);
CREATE INDEX strategy_changes_version ON strategy_changes (tenant_id, version, id);

CREATE INDEX payments_customer_paid
	ON payments (tenant_id, customer_id, currency, paid_on);
