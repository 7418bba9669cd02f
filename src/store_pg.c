/*
 * store_pg: the PostgreSQL backend of the store (see store.h), through
 * libpq, for many dunwell processes on many machines sharing one database.
 *
 * It behaves exactly as store_sqlite.c does; only what PostgreSQL does
 * differently is written differently here. Every statement with values is
 * prepared once per connection under a name (PQprepare) and run with bound
 * text parameters (PQexecPrepared): no value is ever pasted into SQL. The
 * only SQL sent as plain text is constant (BEGIN, COMMIT, session settings),
 * compiled in (the migrations, migrations/pg/NNNN_name.sql, each applied in
 * its own transaction under an advisory lock and recorded in
 * schema_migrations), or made of checked table and column names when a
 * whole store is copied (`dunwell migrate --to`, whose rows travel as COPY
 * data). This file holds SQL and row mapping only: it never decides
 * anything about a case.
 *
 * Values travel as text both ways: integers in decimal, flags as 't'/'f'
 * (the columns are boolean), dates as 'YYYY-MM-DD' (the session's DateStyle
 * is ISO) and instants as 'YYYY-MM-DDTHH:MM:SSZ' (accepted as is by
 * timestamptz input; read back through to_char in UTC). The exceptions are
 * the millions of rows of a run: its reads come back in the binary format
 * (see col_int) and its appends go in it (see "Appends").
 *
 * What PostgreSQL changes:
 *  - Writers do not queue behind one write lock as in SQLite: transactions
 *    run at READ COMMITTED side by side, and where SQLite relied on its
 *    single writer this file takes a row lock instead (the tenant's row for
 *    strategy versions and run ranges, the open invoices for a payment's
 *    allocation, FOR UPDATE SKIP LOCKED for claiming a run range).
 *  - A failed statement aborts the whole transaction; the callers roll back
 *    on any store error, so nothing relies on carrying on after one.
 *  - A write of several statements called outside a transaction
 *    (customer_upsert, strategy_add) runs in a transaction of its own.
 *  - Foreign keys are enforced, except on the rows the run appends in bulk
 *    (migration 0004): those are written parents first all the same.
 *  - What the run writes waits in the connection and goes in few
 *    statements: appends by COPY, case changes by one UPDATE of many rows
 *    (see "Appends" below). Errors of those show at the next read or at
 *    commit, and fail the transaction there.
 *  - Plans are cached per connection: a statement whose best plan changes
 *    as a table grows during a run is written so that it has one good plan
 *    whatever the table's size (PG_WORK_HISTORY, the work queries' order).
 *  - Case ids are reserved from a sequence in blocks (see next_case_id):
 *    unique across processes, ascending within one, not gap-free. Other
 *    ids come from identity columns; an upsert that finds its row still
 *    uses up a number, so those have gaps too.
 *  - There is no cheap "has anyone else committed" counter: data_version is
 *    NULL and the run takes its serial path.
 */
#include <inttypes.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "embed.h"
#include "mem.h"
#include "store.h"

/* Prepared statements, by purpose. */
enum pg_stmt {
	PG_TENANT_INSERT,
	PG_TENANT_GET,
	PG_TENANT_LIST,
	PG_TENANT_LOCK,
	PG_CUSTOMER_UPSERT,
	PG_CUSTOMER_GET,
	PG_CUSTOMER_ID,
	PG_CONTACTS_DELETE,
	PG_CONTACT_INSERT,
	PG_CONTACTS_GET,
	PG_INVOICE_UPSERT,
	PG_INVOICE_GET,
	PG_INVOICE_REF,
	PG_INVOICES_OPEN,
	PG_INVOICE_SET_OPEN,
	PG_INVOICE_WRITE_OFF,
	PG_PAYMENT_INSERT,
	PG_STRATEGY_NEXT,
	PG_STRATEGY_DEACTIVATE,
	PG_STRATEGY_INSERT,
	PG_STRATEGY_GET,
	PG_STRATEGY_GET_ACTIVE,
	PG_WORK_CUSTOMERS,
	PG_WORK_CONTACTS,
	PG_WORK_INVOICES,
	PG_WORK_CASES,
	PG_WORK_HISTORY,
	PG_CUSTOMER_RANGE,
	PG_CASE_IDS,
	PG_CASE_UPDATE,
	PG_CASE_UPDATES,
	PG_CASE_LIST,
	PG_CASE_HISTORY,
	PG_STATS,
	PG_RANGE_MAX_TO,
	PG_RANGE_INSERT,
	PG_RANGE_CLAIM,
	PG_RANGE_PEEK,
	PG_RANGE_DONE,
	PG_SETTINGS_GET,
	PG_SETTING_PUT,
	PG_SETTING_DELETE,
	PG_TEMPLATE_GET,
	PG_TEMPLATE_PUT,
	PG_TEMPLATE_DELETE,
	PG_OUTBOX_FILL,
	PG_OUTBOX_EVENTS,
	PG_OUTBOX_MARK,
	PG_OUTBOX_CLAIM,
	PG_OUTBOX_UPDATE,
	PG_OUTBOX_INSERT,
	PG_OUTBOX_SENT,
	PG_CUSTOMER_EXTERNAL,
	PG_LINK_INSERT,
	PG_APIKEY_INSERT,
	PG_APIKEY_FIND,
	PG_APIKEY_LIST,
	PG_APIKEY_REVOKE,
	PG_CUSTOMER_LIST,
	PG_INVOICE_LIST,
	PG_IDEM_CLAIM,
	PG_IDEM_GET,
	PG_IDEM_FINISH,
	PG_IDEM_DELETE,
	PG_OUTBOX_FIND_PROVIDER,
	PG_OUTBOX_SET_STATUS,
	PG_WH_ENDPOINT_ADD,
	PG_WH_ENDPOINT_LIST,
	PG_WH_EVENTS,
	PG_WH_DELIVERY_ADD,
	PG_WH_CURSOR,
	PG_WH_CLAIM,
	PG_WH_UPDATE,
	PG_LINK_FIND,
	PG_LINK_SET_CSRF,
	PG_LINK_REVOKE_CASE,
	PG_CASE_GET,
	PG_CASE_HOLD,
	PG_CASE_FEES_PAID,    /* fees paid and credit (migration 0012) */
	PG_CASE_FEES_PAY,
	PG_PAYMENT_SET_CREDIT,
	PG_CUSTOMER_CREDIT,
	PG_CASE_MESSAGES,
	PG_PAYMENT_LIST,
	PG_EVENT_COUNT,
	PG_INVOICE_SET_DISPUTED,
	PG_PLAN_INSERT,
	PG_PLAN_INSTALMENT_INSERT,
	PG_PLAN_ACTIVE,
	PG_PLAN_INSTALMENTS,
	PG_PLAN_CASES,
	PG_PLAN_UPDATE,
	PG_REQUEST_INSERT,
	PG_REQUEST_LIST,
	PG_REQUEST_DONE,
	PG_CHECKOUT_INSERT,
	PG_CHECKOUT_FIND,
	PG_CHECKOUT_SET_STATUS,
	PG_STMT_INVOICES,
	PG_STMT_CASES,
	PG_STMT_PAYERS,
	PG_STMT_ENTRY_KNOWN,
	PG_STMT_ENTRY_INSERT,
	PG_REVIEW_INSERT,
	PG_PAYER_UPSERT,
	PG_STMT_PAID_E2E,
	PG_STMT_PAID_STMT,
	PG_INVOICES_PAID,
	PG_CASES_WITH_EVENT,  /* statement batch */
	PG_PAYMENT_INSERT_CREDIT,
	PG_OPERATOR_INSERT,
	PG_OPERATOR_FIND,
	PG_OPERATOR_LIST,
	PG_OPERATOR_SET_DISABLED,
	PG_SESSION_INSERT,
	PG_SESSION_FIND,
	PG_SESSION_TOUCH,
	PG_SESSION_DELETE,
	PG_SESSIONS_END,
	PG_LOGIN_FAILURE_ADD,
	PG_LOGIN_FAILURES_COUNT,
	PG_LOGIN_FAILURES_PRUNE,
	PG_CASE_NOTES,
	PG_CASE_NOTE_ADD,
	PG_QUEUE,
	PG_CHARGE_INSERT,     /* automatic charges (migration 0013) */
	PG_CHARGE_GET,
	PG_CHARGE_FIND,
	PG_CHARGE_UPDATE,
	PG_CHARGE_DUE,
	PG_CHARGE_LIST,
	PG_REPORT_INFO,
	PG_REPORT_ROWS,
	PG_PORTAL_VISIT,
	PG_MIGRATION_VERSION,
	PG_MIGRATION_DONE,
	PG_MIGRATION_RECORD,
	/* ---- experiments (migration 0015) ---- */
	PG_CASE_EXPERIMENT_ADD,
	PG_EXPERIMENT_STATS,
	PG_STRATEGY_SET_ACTIVE,
	PG_STRATEGY_CHANGE_ADD,
	PG_STRATEGY_CHANGES,
	/* ---- payment review (console) ---- */
	PG_REVIEW_GET,
	PG_REVIEW_INVOICE,
	PG_REVIEW_CASE,
	PG_REVIEW_CUSTOMERS,
	PG_REVIEW_DONE,
	PG_REVIEW_ENTRY_DECIDE,
	PG_CASE_MESSAGES_CANCEL,
	PG__COUNT
};

/* An instant column as 'YYYY-MM-DDTHH:MM:SSZ', whatever the session's zone. */
#define PG_INSTANT(col) \
	"to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The columns of an operator, in the order read_operator reads them. */
#define PG_OPERATOR_COLS \
	"id, tenant_id, email, name, role, disabled, " PG_INSTANT("created_at")

/* The columns of a message, in the order read_message reads them. */
#define PG_MSG_COLS                                                       \
	"id, tenant_id, case_id, customer_id, step, channel, fallbacks,"  \
	" template_id, tone, status, " PG_INSTANT("not_before") ","       \
	" attempts, " PG_INSTANT("lease_until") ", COALESCE(lease_owner,"  \
	" ''), idempotency_key, provider, provider_id, last_error,"         \
	" link_hash, " PG_INSTANT("created_at") ", " PG_INSTANT("sent_at")

/* The columns of a case row, in the order read_case reads them. */
#define PG_CASE_COLS                                                      \
	"customer_id, id, currency, status, strategy_version, strategy,"  \
	" anchor_date, next_step, opened_on, last_step_on, closed_on,"    \
	" hold_reason, hold_until, fees_minor, fees_paid_minor"

/* The columns of an invoice row, in the order read_invoice reads them. */
#define PG_INVOICE_COLS                                                   \
	"id, tenant_id, customer_id, external_id, number, issue_date,"    \
	" due_date, amount_minor, open_minor, currency, payment_reference," \
	" disputed, document_url"

/* The columns of a charge, in the order read_charge reads them. */
#define PG_CHARGE_COLS                                                    \
	"id, tenant_id, customer_id, invoice_id, COALESCE(case_id, 0),"   \
	" provider, payment_id, customer_ref, mandate_ref, amount_minor," \
	" currency, status, failure_code, decline_class, attempts,"       \
	" failed_on, next_attempt_on, attempt_id, attempt_refs, awaiting," \
	" " PG_INSTANT("created_at") ", " PG_INSTANT("updated_at")

static const char *const pg_sql[PG__COUNT] = {
	[PG_TENANT_INSERT] =
		"INSERT INTO tenants (slug, name, timezone, locale, created_at)"
		" VALUES ($1, $2, $3, $4, now())"
		" ON CONFLICT (slug) DO UPDATE SET name = excluded.name,"
		" timezone = excluded.timezone, locale = excluded.locale"
		" RETURNING id",
	[PG_TENANT_GET] =
		"SELECT id, slug, name, timezone, locale FROM tenants"
		" WHERE slug = $1",
	[PG_TENANT_LIST] =
		"SELECT id, slug, name, timezone, locale FROM tenants ORDER BY id",
	[PG_TENANT_LOCK] =
		/* Serialises the writers of one tenant's strategy versions and
		 * run ranges (SQLite's single writer does it there). NO KEY
		 * UPDATE does not conflict with the KEY SHARE locks that
		 * foreign key checks take, so the tenant's other writes go on. */
		"SELECT id FROM tenants WHERE id = $1 FOR NO KEY UPDATE",
	[PG_CUSTOMER_UPSERT] =
		"INSERT INTO customers (tenant_id, external_id, name, locale,"
		" timezone, country, segments, vulnerable, do_not_contact,"
		" deceased, plain_language, moratorium_until, customer_since,"
		" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
		" $11, $12, $13, now())"
		" ON CONFLICT (tenant_id, external_id) DO UPDATE SET"
		" name = excluded.name, locale = excluded.locale,"
		" timezone = excluded.timezone, country = excluded.country,"
		" segments = excluded.segments, vulnerable = excluded.vulnerable,"
		" do_not_contact = excluded.do_not_contact,"
		" deceased = excluded.deceased,"
		" plain_language = excluded.plain_language,"
		" moratorium_until = excluded.moratorium_until,"
		" customer_since = excluded.customer_since,"
		" updated_at = excluded.updated_at"
		" RETURNING id",
	[PG_CUSTOMER_GET] =
		"SELECT id, tenant_id, external_id, name, locale, timezone,"
		" country, segments, vulnerable, do_not_contact, deceased,"
		" plain_language, moratorium_until, customer_since"
		" FROM customers WHERE tenant_id = $1 AND external_id = $2",
	[PG_CUSTOMER_ID] =
		"SELECT id FROM customers WHERE tenant_id = $1 AND external_id = $2",
	[PG_CONTACTS_DELETE] =
		"DELETE FROM contact_points WHERE tenant_id = $1"
		" AND customer_id = $2",
	[PG_CONTACT_INSERT] =
		"INSERT INTO contact_points (tenant_id, customer_id, channel,"
		" address, consent, preference) VALUES ($1, $2, $3, $4, $5, $6)",
	[PG_CONTACTS_GET] =
		"SELECT channel, address, consent, preference FROM contact_points"
		" WHERE tenant_id = $1 AND customer_id = $2"
		" ORDER BY preference, channel",
	[PG_INVOICE_UPSERT] =
		"INSERT INTO invoices (tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url, updated_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,"
		" now())"
		" ON CONFLICT (tenant_id, external_id) DO UPDATE SET"
		" customer_id = excluded.customer_id, number = excluded.number,"
		" issue_date = excluded.issue_date, due_date = excluded.due_date,"
		" amount_minor = excluded.amount_minor,"
		" open_minor = excluded.open_minor, currency = excluded.currency,"
		" payment_reference = excluded.payment_reference,"
		" disputed = excluded.disputed,"
		" document_url = excluded.document_url,"
		" updated_at = excluded.updated_at"
		" RETURNING id",
	[PG_INVOICE_GET] =
		"SELECT " PG_INVOICE_COLS " FROM invoices"
		" WHERE tenant_id = $1 AND external_id = $2",
	[PG_INVOICE_REF] =
		"SELECT " PG_INVOICE_COLS " FROM invoices"
		" WHERE tenant_id = $1 AND (payment_reference = $2 OR number = $2)"
		" ORDER BY payment_reference = $2 DESC, id LIMIT 1",
	[PG_INVOICES_OPEN] =
		/* Read to allocate a payment and then written: the row locks
		 * keep two processes from allocating against the same open
		 * amount (SQLite's single writer does it there). */
		"SELECT " PG_INVOICE_COLS " FROM invoices"
		" WHERE tenant_id = $1 AND customer_id = $2 AND currency = $3"
		" AND open_minor > 0 AND NOT written_off ORDER BY due_date, id"
		" FOR UPDATE",
	[PG_INVOICE_SET_OPEN] =
		"UPDATE invoices SET open_minor = $3, updated_at = now()"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_INVOICE_WRITE_OFF] =
		"UPDATE invoices SET written_off = true, updated_at = now()"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_PAYMENT_INSERT] =
		"INSERT INTO payments (tenant_id, external_id, customer_id,"
		" invoice_id, amount_minor, currency, paid_on, method, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now())"
		" ON CONFLICT (tenant_id, external_id) DO NOTHING",
	[PG_STRATEGY_NEXT] =
		"SELECT COALESCE(MAX(version), 0) + 1 FROM strategy_versions"
		" WHERE tenant_id = $1",
	[PG_STRATEGY_DEACTIVATE] =
		"UPDATE strategy_versions SET active = false WHERE tenant_id = $1"
		" AND active",
	[PG_STRATEGY_INSERT] =
		"INSERT INTO strategy_versions (tenant_id, version, source, yaml,"
		" active, created_at) VALUES ($1, $2, $3, $4, $5, now())",
	[PG_STRATEGY_GET] =
		"SELECT id, tenant_id, version, source, yaml, active, "
		PG_INSTANT("created_at") " FROM strategy_versions"
		" WHERE tenant_id = $1 AND version = $2",
	[PG_STRATEGY_GET_ACTIVE] =
		"SELECT id, tenant_id, version, source, yaml, active, "
		PG_INSTANT("created_at") " FROM strategy_versions"
		" WHERE tenant_id = $1 AND active",
	[PG_WORK_CUSTOMERS] =
		/* every customer of the range, in no particular order (the
		 * client sorts them: no sort on the server, whatever plan is
		 * chosen); the merge in pg_work_load keeps only those with
		 * something open (as store_sqlite.c does) */
		"SELECT id, external_id, timezone, country, segments, vulnerable,"
		" do_not_contact, deceased, plain_language, moratorium_until,"
		" customer_since FROM customers"
		" WHERE tenant_id = $1 AND id >= $2 AND id < $3",
	[PG_WORK_CONTACTS] =
		/* in no particular order (no sort on the server, whatever plan
		 * is chosen): work_contacts finds each row's customer and puts
		 * a customer's few in order of preference */
		"SELECT customer_id, channel, consent, preference"
		" FROM contact_points WHERE tenant_id = $1 AND customer_id >= $2"
		" AND customer_id < $3",
	[PG_WORK_INVOICES] =
		/* the partial index invoices_open covers this scan and gives
		 * its order, no sort; pg_work_load orders what it leaves tied
		 * by id, as SQLite reads them */
		"SELECT customer_id, id, currency, due_date, open_minor, disputed"
		" FROM invoices WHERE tenant_id = $1 AND customer_id >= $2"
		" AND customer_id < $3 AND open_minor > 0 AND NOT written_off"
		" ORDER BY customer_id, currency, due_date, open_minor, disputed",
	[PG_WORK_CASES] =
		"SELECT " PG_CASE_COLS " FROM cases"
		" WHERE tenant_id = $1 AND customer_id >= $2 AND customer_id < $3"
		" AND status = 'open' ORDER BY customer_id, currency",
	[PG_WORK_HISTORY] =
		/* through the customer's cases that took a step lately, as in
		 * store_sqlite.c: no index on actions by customer is needed.
		 * Each case's actions through the key (OFFSET 0 keeps the
		 * subquery a nested loop): a join the planner is free to
		 * choose reads the whole actions table for every range once
		 * it is large (a hash join), which grows with the table. */
		"SELECT k.customer_id, a.decided_on FROM cases k"
		" CROSS JOIN LATERAL (SELECT x.decided_on FROM actions x"
		"  WHERE x.tenant_id = k.tenant_id AND x.case_id = k.id"
		"  AND x.kind = 'contact' AND x.decided_on >= $4 OFFSET 0) a"
		" WHERE k.tenant_id = $1 AND k.customer_id >= $2"
		" AND k.customer_id < $3 AND k.last_step_on >= $4"
		" ORDER BY k.customer_id, a.decided_on",
	[PG_CUSTOMER_RANGE] =
		"SELECT MIN(id), MAX(id) FROM customers WHERE tenant_id = $1",
	[PG_CASE_IDS] =
		/* a block of case ids, see pg_case_insert */
		"SELECT nextval('cases_id_seq') FROM generate_series(1, $1::integer)",
	[PG_CASE_UPDATE] =
		"UPDATE cases SET status = $3, anchor_date = $4, next_step = $5,"
		" last_step_on = $6, closed_on = $7, hold_reason = $8,"
		" hold_until = $9, fees_minor = $10"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_CASE_UPDATES] =
		/* many at once (see pg_case_update): the changes as arrays, one
		 * element per case; a plan of its own, whatever the values */
		"UPDATE cases c SET status = u.status, anchor_date = u.anchor_date,"
		" next_step = u.next_step, last_step_on = u.last_step_on,"
		" closed_on = u.closed_on, hold_reason = u.hold_reason,"
		" hold_until = u.hold_until, fees_minor = u.fees_minor"
		" FROM unnest($2::bigint[], $3::text[], $4::date[],"
		" $5::integer[], $6::date[], $7::date[], $8::text[], $9::date[],"
		" $10::bigint[]) AS u(id, status, anchor_date, next_step,"
		" last_step_on, closed_on, hold_reason, hold_until, fees_minor)"
		" WHERE c.tenant_id = $1 AND c.id = u.id",
	[PG_CASE_LIST] =
		/* in the order the cases were opened: ids come from blocks that
		 * processes reserve independently, so with several processes a
		 * later case may have a smaller id (one process alone numbers
		 * them in order, and then this is SQLite's ORDER BY id) */
		"SELECT " PG_CASE_COLS " FROM cases"
		" WHERE tenant_id = $1 AND customer_id = $2 ORDER BY opened_on, id",
	[PG_CASE_HISTORY] =
		/* as store_sqlite.c: by instant, events before actions, then
		 * by date and event id or action kind; the raw instant is the
		 * sort key, its text the first column. Actions still tied
		 * (one step on two channels) follow their key, step then
		 * channel: the order SQLite reads them in. */
		"SELECT " PG_INSTANT("at") ", NULL::date AS on_date,"
		" 'event' AS what, kind, '' AS step, '' AS channel,"
		" 0::bigint AS amount, '' AS currency, detail, id AS rank,"
		" 0 AS ord, at AS sort_at"
		" FROM case_events WHERE tenant_id = $1 AND case_id = $2"
		" UNION ALL"
		" SELECT " PG_INSTANT("decided_at") ", decided_on, 'action', kind,"
		" step, channel, amount_minor, currency,"
		" CASE WHEN reason <> '' THEN reason"
		"  WHEN end_action <> '' THEN end_action"
		"  WHEN template <> '' THEN template || ' (' || tone || ')'"
		"  ELSE status END,"
		" CASE kind WHEN 'agent' THEN 0 WHEN 'skip' THEN 1"
		"  WHEN 'contact' THEN 2 WHEN 'fee' THEN 3 ELSE 4 END, 1,"
		" decided_at"
		" FROM actions WHERE tenant_id = $1 AND case_id = $2"
		" ORDER BY sort_at, ord, on_date, rank, step, channel",
	[PG_STATS] =
		"SELECT (SELECT COUNT(*) FROM tenants),"
		" (SELECT COUNT(*) FROM customers WHERE tenant_id = $1),"
		" (SELECT COUNT(*) FROM invoices WHERE tenant_id = $1),"
		" (SELECT COUNT(*) FROM invoices WHERE tenant_id = $1"
		"  AND open_minor > 0),"
		" (SELECT COUNT(*) FROM payments WHERE tenant_id = $1),"
		" (SELECT COUNT(*) FROM cases WHERE tenant_id = $1"
		"  AND status = 'open'),"
		" (SELECT COUNT(*) FROM cases WHERE tenant_id = $1"
		"  AND status <> 'open'),"
		" (SELECT COUNT(*) FROM actions WHERE tenant_id = $1),"
		" (SELECT COUNT(*) FROM case_events WHERE tenant_id = $1)",
	[PG_RANGE_MAX_TO] =
		"SELECT COALESCE(MAX(range_to), 0) FROM run_ranges"
		" WHERE tenant_id = $1",
	[PG_RANGE_INSERT] =
		/* $2 = size, ranges starting at $3 through $4 */
		"INSERT INTO run_ranges (tenant_id, range_from, range_to)"
		" SELECT $1, f, f + $2::bigint"
		" FROM generate_series($3::bigint, $4::bigint, $2::bigint) f"
		" ON CONFLICT (tenant_id, range_from) DO NOTHING",
	[PG_RANGE_CLAIM] =
		/* the row lock is the claim, held until commit or rollback;
		 * ranges other workers hold are passed over, not waited for */
		"SELECT range_from, range_to FROM run_ranges WHERE tenant_id = $1"
		" AND (last_as_of IS NULL OR last_as_of < $2)"
		" ORDER BY range_from LIMIT 1 FOR UPDATE SKIP LOCKED",
	[PG_RANGE_PEEK] =
		"SELECT range_from, range_to FROM run_ranges WHERE tenant_id = $1"
		" AND (last_as_of IS NULL OR last_as_of < $2) AND range_from > $3"
		" ORDER BY range_from LIMIT 1",
	[PG_RANGE_DONE] =
		"UPDATE run_ranges SET last_as_of = $3"
		" WHERE tenant_id = $1 AND range_from = $2",
	[PG_SETTINGS_GET] =
		"SELECT key, value FROM tenant_settings WHERE tenant_id = $1"
		" ORDER BY key",
	[PG_SETTING_PUT] =
		"INSERT INTO tenant_settings (tenant_id, key, value, updated_at)"
		" VALUES ($1, $2, $3, now())"
		" ON CONFLICT (tenant_id, key) DO UPDATE SET"
		" value = excluded.value, updated_at = excluded.updated_at",
	[PG_SETTING_DELETE] =
		"DELETE FROM tenant_settings WHERE tenant_id = $1 AND key = $2",
	[PG_TEMPLATE_GET] =
		"SELECT source FROM templates WHERE tenant_id = $1"
		" AND locale = $2 AND template_id = $3 AND variant = $4",
	[PG_TEMPLATE_PUT] =
		"INSERT INTO templates (tenant_id, locale, template_id, variant,"
		" source, updated_at) VALUES ($1, $2, $3, $4, $5, now())"
		" ON CONFLICT (tenant_id, locale, template_id, variant) DO UPDATE"
		" SET source = excluded.source, updated_at = excluded.updated_at",
	[PG_TEMPLATE_DELETE] =
		"DELETE FROM templates WHERE tenant_id = $1 AND locale = $2"
		" AND template_id = $3 AND variant = $4",
	[PG_OUTBOX_FILL] =
		"INSERT INTO messages (tenant_id, case_id, customer_id, step,"
		" channel, fallbacks, template_id, tone, status, not_before,"
		" idempotency_key, created_at, updated_at)"
		" SELECT tenant_id, case_id, customer_id, step, channel, fallbacks,"
		" template, tone, 'queued', $2, 'dw-' || tenant_id || '-' ||"
		" case_id || '-' || step || '-' || channel, decided_at, $2"
		" FROM actions"
		" WHERE tenant_id = $1 AND status = 'queued' AND kind = 'contact'"
		" ORDER BY case_id LIMIT $3 FOR UPDATE SKIP LOCKED"
		" ON CONFLICT DO NOTHING",
	[PG_OUTBOX_EVENTS] =
		"INSERT INTO case_events (tenant_id, case_id, at, kind, detail)"
		" SELECT a.tenant_id, a.case_id, $2, 'message.queued',"
		" jsonb_build_object('step', a.step, 'channel', a.channel,"
		" 'message', m.id)::text FROM actions a JOIN messages m"
		" ON m.tenant_id = a.tenant_id AND m.case_id = a.case_id"
		" AND m.step = a.step AND m.channel = a.channel"
		" WHERE a.tenant_id = $1 AND a.status = 'queued'"
		" AND a.kind = 'contact'",
	[PG_OUTBOX_MARK] =
		"UPDATE actions a SET status = 'outbox'"
		" WHERE a.tenant_id = $1 AND a.status = 'queued'"
		" AND a.kind = 'contact' AND EXISTS (SELECT 1 FROM messages m"
		" WHERE m.tenant_id = a.tenant_id AND m.case_id = a.case_id"
		" AND m.step = a.step AND m.channel = a.channel)",
	[PG_OUTBOX_CLAIM] =
		"UPDATE messages m SET lease_until = $3, lease_owner = $4"
		" FROM (SELECT tenant_id, id FROM messages WHERE tenant_id = $1"
		" AND status = 'queued' AND not_before <= $2"
		" AND (lease_until IS NULL OR lease_until < $2)"
		" ORDER BY not_before, id LIMIT $5 FOR UPDATE SKIP LOCKED) c"
		" WHERE m.tenant_id = c.tenant_id AND m.id = c.id"
		" RETURNING m.id, m.tenant_id, m.case_id, m.customer_id, m.step,"
		" m.channel, m.fallbacks, m.template_id, m.tone, m.status, "
		PG_INSTANT("m.not_before") ", m.attempts, "
		PG_INSTANT("m.lease_until") ", COALESCE(m.lease_owner, ''),"
		" m.idempotency_key, m.provider, m.provider_id, m.last_error,"
		" m.link_hash, " PG_INSTANT("m.created_at") ", "
		PG_INSTANT("m.sent_at"),
	[PG_OUTBOX_UPDATE] =
		"UPDATE messages SET status = $3, not_before = $4, attempts = $5,"
		" lease_until = NULL, lease_owner = NULL, provider = $6,"
		" provider_id = $7, last_error = $8, link_hash = $9,"
		" sent_at = $10, updated_at = $11"
		" WHERE tenant_id = $1 AND id = $2 AND lease_owner = $12",
	[PG_OUTBOX_INSERT] =
		"INSERT INTO messages (tenant_id, case_id, customer_id, step,"
		" channel, fallbacks, template_id, tone, status, not_before,"
		" idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4,"
		" $5, $6, $7, $8, $9, $10, $11, $12, $12)"
		" ON CONFLICT DO NOTHING",
	[PG_OUTBOX_SENT] =
		"SELECT " PG_INSTANT("sent_at") ", case_id, step FROM messages"
		" WHERE tenant_id = $1 AND customer_id = $2 AND sent_at >= $3"
		" ORDER BY sent_at",
	[PG_CUSTOMER_EXTERNAL] =
		"SELECT external_id FROM customers WHERE tenant_id = $1"
		" AND id = $2",
	[PG_OUTBOX_FIND_PROVIDER] =
		"SELECT " PG_MSG_COLS " FROM messages WHERE tenant_id = $1"
		" AND provider = $2 AND provider_id = $3 AND provider_id <> ''"
		" ORDER BY id DESC LIMIT 1",
	[PG_OUTBOX_SET_STATUS] =
		"UPDATE messages SET status = $3, last_error = $4, updated_at = $5"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_LINK_INSERT] =
		"INSERT INTO links (token_hash, tenant_id, case_id, customer_id,"
		" created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
	[PG_APIKEY_INSERT] =
		"INSERT INTO api_keys (tenant_id, prefix, hash, scopes, created_at)"
		" VALUES ($1, $2, $3, $4, $5)",
	[PG_APIKEY_FIND] =
		"SELECT id, tenant_id, prefix, scopes, " PG_INSTANT("created_at")
		", " PG_INSTANT("revoked_at") " FROM api_keys WHERE hash = $1",
	[PG_APIKEY_LIST] =
		"SELECT id, tenant_id, prefix, scopes, " PG_INSTANT("created_at")
		", " PG_INSTANT("revoked_at") " FROM api_keys"
		" WHERE tenant_id = $1 ORDER BY id",
	[PG_APIKEY_REVOKE] =
		"UPDATE api_keys SET revoked_at = $3 WHERE tenant_id = $1"
		" AND prefix = $2 AND revoked_at IS NULL",
	[PG_CUSTOMER_LIST] =
		"SELECT external_id FROM customers WHERE tenant_id = $1"
		" AND external_id COLLATE \"C\" > $2"
		" ORDER BY external_id COLLATE \"C\" LIMIT $3",
	[PG_INVOICE_LIST] =
		"SELECT " PG_INVOICE_COLS " FROM invoices"
		" WHERE tenant_id = $1 AND customer_id = $2"
		" AND external_id COLLATE \"C\" > $3"
		" ORDER BY external_id COLLATE \"C\" LIMIT $4",
	[PG_IDEM_CLAIM] =
		"INSERT INTO idempotency_keys (tenant_id, key, request_hash,"
		" created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
	[PG_IDEM_GET] =
		"SELECT request_hash, COALESCE(status, 0),"
		" COALESCE(response_body, ''), " PG_INSTANT("created_at")
		" FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
	[PG_IDEM_FINISH] =
		"UPDATE idempotency_keys SET status = $3, response_body = $4"
		" WHERE tenant_id = $1 AND key = $2",
	[PG_IDEM_DELETE] =
		"DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2",
	[PG_WH_ENDPOINT_ADD] =
		/* starts after everything committed so far: the oldest
		 * transaction still running bounds what may still appear */
		"INSERT INTO webhook_endpoints (tenant_id, url, secret, events,"
		" cursor_event_id, cursor_order, created_at) VALUES ($1, $2, $3,"
		" $4, 0, pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
		" - 1, $5) RETURNING id",
	[PG_WH_ENDPOINT_LIST] =
		"SELECT id, tenant_id, url, secret, events, active,"
		" cursor_event_id, " PG_INSTANT("created_at") ", cursor_order"
		" FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY id",
	[PG_WH_EVENTS] =
		/* in commit order (migration 0008): by writing transaction,
		 * then id, and only transactions older than every one still
		 * running, so nothing can appear behind the cursor later */
		"SELECT e.id, e.case_id, " PG_INSTANT("e.at") ", e.kind,"
		" e.detail, cu.external_id, e.txid::text::bigint"
		" FROM case_events e"
		" JOIN cases c ON c.tenant_id = e.tenant_id AND c.id = e.case_id"
		" JOIN customers cu ON cu.tenant_id = c.tenant_id"
		" AND cu.id = c.customer_id"
		" WHERE e.tenant_id = $1 AND e.txid >= $2::text::xid8"
		" AND (e.txid > $2::text::xid8 OR e.id > $3)"
		" AND e.txid < pg_snapshot_xmin(pg_current_snapshot())"
		" ORDER BY e.txid, e.id LIMIT $4",
	[PG_WH_DELIVERY_ADD] =
		"INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id,"
		" kind, payload, status, not_before, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
	[PG_WH_CURSOR] =
		/* forward only, comparing (order, id) pairs */
		"UPDATE webhook_endpoints SET cursor_order = $3,"
		" cursor_event_id = $4 WHERE tenant_id = $1 AND id = $2"
		" AND (cursor_order, cursor_event_id) < ($3, $4)",
	[PG_WH_CLAIM] =
		"UPDATE webhook_deliveries d SET lease_until = $3,"
		" lease_owner = $4"
		" FROM (SELECT tenant_id, id FROM webhook_deliveries"
		" WHERE tenant_id = $1 AND status = 'queued' AND not_before <= $2"
		" AND (lease_until IS NULL OR lease_until < $2)"
		" ORDER BY not_before, id LIMIT $5 FOR UPDATE SKIP LOCKED) c,"
		" webhook_endpoints w"
		" WHERE d.tenant_id = c.tenant_id AND d.id = c.id"
		" AND w.tenant_id = d.tenant_id AND w.id = d.endpoint_id"
		" RETURNING d.id, d.tenant_id, d.endpoint_id, d.event_id, d.kind,"
		" d.payload, d.status, d.attempts, " PG_INSTANT("d.not_before")
		", d.last_error, d.response_status, " PG_INSTANT("d.created_at")
		", " PG_INSTANT("d.delivered_at") ", w.url, w.secret",
	[PG_WH_UPDATE] =
		"UPDATE webhook_deliveries SET status = $3, attempts = $4,"
		" not_before = $5, last_error = $6, response_status = $7,"
		" delivered_at = $8, lease_until = NULL, lease_owner = NULL"
		" WHERE tenant_id = $1 AND id = $2 AND lease_owner = $9",
	/* ---- the customer's page (migration 0009) ---- */
	[PG_LINK_FIND] =
		"SELECT tenant_id, case_id, customer_id, " PG_INSTANT("created_at")
		", " PG_INSTANT("expires_at") ", " PG_INSTANT("revoked_at") ","
		" csrf_key FROM links WHERE token_hash = $1",
	[PG_LINK_SET_CSRF] =
		"UPDATE links SET csrf_key = $2 WHERE token_hash = $1"
		" AND csrf_key = ''",
	[PG_LINK_REVOKE_CASE] =
		"UPDATE links SET revoked_at = $3 WHERE tenant_id = $1"
		" AND case_id = $2 AND revoked_at IS NULL",
	[PG_CASE_GET] =
		"SELECT " PG_CASE_COLS " FROM cases WHERE tenant_id = $1"
		" AND id = $2",
	[PG_CASE_HOLD] =
		"UPDATE cases SET hold_reason = $3, hold_until = $4"
		" WHERE tenant_id = $1 AND id = $2 AND status = 'open'",
	/* ---- fees paid and credit (migration 0012) ---- */
	[PG_CASE_FEES_PAID] =
		"SELECT fees_paid_minor FROM cases WHERE tenant_id = $1"
		" AND id = $2",
	[PG_CASE_FEES_PAY] =
		"UPDATE cases SET fees_paid_minor = fees_paid_minor + $3"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_PAYMENT_SET_CREDIT] =
		"UPDATE payments SET unallocated_minor = $3"
		" WHERE tenant_id = $1 AND external_id = $2",
	[PG_CUSTOMER_CREDIT] =
		"SELECT COALESCE(sum(unallocated_minor), 0)::bigint FROM payments"
		" WHERE tenant_id = $1 AND customer_id = $2 AND currency = $3"
		" AND unallocated_minor > 0",
	[PG_CASE_MESSAGES] =
		"SELECT " PG_MSG_COLS " FROM messages WHERE tenant_id = $1"
		" AND case_id = $2 ORDER BY id",
	[PG_PAYMENT_LIST] =
		"SELECT id, external_id, invoice_id, amount_minor, paid_on, method"
		" FROM payments WHERE tenant_id = $1 AND customer_id = $2"
		" AND currency = $3 AND paid_on >= $4 ORDER BY paid_on, id",
	[PG_EVENT_COUNT] =
		"SELECT count(*) FROM case_events WHERE tenant_id = $1"
		" AND case_id = $2 AND kind = $3",
	[PG_INVOICE_SET_DISPUTED] =
		"UPDATE invoices SET disputed = $3, updated_at = now()"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_PLAN_INSERT] =
		/* a second active plan of the case is no row rather than an
		 * error: a failed statement would abort the caller's whole
		 * transaction, where SQLite fails only the statement */
		"INSERT INTO plans (tenant_id, case_id, customer_id, currency,"
		" total_minor, months, day_of_month, paid_minor, status, source,"
		" created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9,"
		" $10) ON CONFLICT (tenant_id, case_id) WHERE status = 'active'"
		" DO NOTHING RETURNING id",
	[PG_PLAN_INSTALMENT_INSERT] =
		"INSERT INTO plan_instalments (tenant_id, plan_id, n, due_on,"
		" amount_minor) VALUES ($1, $2, $3, $4, $5)",
	[PG_PLAN_ACTIVE] =
		"SELECT id, customer_id, currency, total_minor, months,"
		" day_of_month, paid_minor, status, source, "
		PG_INSTANT("created_at") ", " PG_INSTANT("ended_at")
		" FROM plans WHERE tenant_id = $1 AND case_id = $2"
		" AND status = 'active'",
	[PG_PLAN_CASES] =
		"SELECT case_id FROM plans WHERE tenant_id = $1"
		" AND status = 'active' ORDER BY case_id",
	[PG_PLAN_INSTALMENTS] =
		"SELECT n, due_on, amount_minor FROM plan_instalments"
		" WHERE tenant_id = $1 AND plan_id = $2 ORDER BY n",
	[PG_PLAN_UPDATE] =
		"UPDATE plans SET paid_minor = $3, status = $4, ended_at = $5"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_REQUEST_INSERT] =
		"INSERT INTO requests (tenant_id, case_id, customer_id, kind,"
		" reason, message, contact_via, callback_at, invoice_id, status,"
		" created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open',"
		" $10) RETURNING id",
	[PG_REQUEST_LIST] =
		"SELECT id, customer_id, kind, reason, message, contact_via, "
		PG_INSTANT("callback_at") ", invoice_id, status, "
		PG_INSTANT("created_at") " FROM requests"
		" WHERE tenant_id = $1 AND case_id = $2 ORDER BY id DESC",
	[PG_REQUEST_DONE] =
		"UPDATE requests SET status = 'done', done_at = $4"
		" WHERE tenant_id = $1 AND case_id = $2 AND id = $3"
		" AND status = 'open'",
	[PG_CHECKOUT_INSERT] =
		"INSERT INTO psp_checkouts (tenant_id, case_id, provider,"
		" provider_id, amount_minor, currency, status, created_at,"
		" updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
		" RETURNING id",
	[PG_CHECKOUT_FIND] =
		"SELECT id, case_id, provider, provider_id, amount_minor,"
		" currency, status, " PG_INSTANT("created_at") ", "
		PG_INSTANT("updated_at") " FROM psp_checkouts"
		" WHERE tenant_id = $1 AND provider = $2 AND provider_id = $3",
	[PG_CHECKOUT_SET_STATUS] =
		"UPDATE psp_checkouts SET status = $3, updated_at = $4"
		" WHERE tenant_id = $1 AND id = $2",
	/* ---- bank statements (migration 0010) ---- */
	[PG_STMT_INVOICES] =
		"SELECT i.id, i.customer_id, COALESCE(k.id, 0), i.number,"
		" i.payment_reference, i.open_minor, i.currency, i.due_date,"
		" i.amount_minor"
		" FROM invoices i LEFT JOIN cases k ON k.tenant_id = i.tenant_id"
		" AND k.customer_id = i.customer_id AND k.currency = i.currency"
		" AND k.status = 'open'"
		" WHERE i.tenant_id = $1 AND i.open_minor > 0"
		" AND NOT i.written_off",
	[PG_STMT_CASES] =
		"SELECT k.id, k.customer_id, k.currency,"
		" k.fees_minor - k.fees_paid_minor +"
		" COALESCE((SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND NOT i.written_off), 0), k.fees_minor, k.fees_paid_minor"
		" FROM cases k WHERE k.tenant_id = $1 AND k.status = 'open'",
	[PG_STMT_PAYERS] =
		"SELECT customer_id, iban, name FROM payer_accounts"
		" WHERE tenant_id = $1",
	[PG_STMT_ENTRY_KNOWN] =
		"SELECT 1 FROM statement_entries WHERE tenant_id = $1"
		" AND bank_ref = $2 AND status = $3",
	[PG_STMT_ENTRY_INSERT] =
		"INSERT INTO statement_entries (tenant_id, bank_ref, status,"
		" statement_id, booked_on, amount_minor, currency, credit,"
		" reversal, returned, return_reason, debtor_name, debtor_iban,"
		" reference, unstructured, end_to_end_id, outcome,"
		" payment_external_id, case_id, invoice_id, customer_id,"
		" reverses_id, credit_minor, rule, reason, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
		" $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)"
		" ON CONFLICT (tenant_id, bank_ref, status) DO NOTHING"
		" RETURNING id",
	[PG_REVIEW_INSERT] =
		"INSERT INTO review_items (tenant_id, entry_id, reason,"
		" candidates, status, created_at) VALUES ($1, $2, $3, $4, 'open',"
		" $5) RETURNING id",
	[PG_PAYER_UPSERT] =
		"INSERT INTO payer_accounts (tenant_id, customer_id, iban, name,"
		" last_seen) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (tenant_id, iban, customer_id) DO UPDATE SET"
		" name = excluded.name, last_seen = excluded.last_seen"
		" WHERE excluded.last_seen >= payer_accounts.last_seen",
	[PG_STMT_PAID_E2E] =
		"SELECT e.id, e.customer_id, e.case_id, e.invoice_id,"
		" e.amount_minor, e.credit_minor, e.currency, e.booked_on"
		" FROM statement_entries e WHERE e.tenant_id = $1"
		" AND e.end_to_end_id = $2 AND e.outcome = 'payment'"
		" AND NOT EXISTS (SELECT 1 FROM statement_entries r"
		" WHERE r.tenant_id = e.tenant_id AND r.reverses_id = e.id)"
		" ORDER BY e.id DESC LIMIT $3",
	[PG_STMT_PAID_STMT] =
		"SELECT e.id, e.customer_id, e.case_id, e.invoice_id,"
		" e.amount_minor, e.credit_minor, e.currency, e.booked_on"
		" FROM statement_entries e WHERE e.tenant_id = $1"
		" AND e.statement_id = $2 AND e.amount_minor = $3"
		" AND e.currency = $4 AND e.credit AND e.outcome = 'payment'"
		" AND NOT EXISTS (SELECT 1 FROM statement_entries r"
		" WHERE r.tenant_id = e.tenant_id AND r.reverses_id = e.id)"
		" ORDER BY e.id DESC LIMIT $5",
	[PG_INVOICES_PAID] =
		/* locked like PG_INVOICES_OPEN: they are re-opened next */
		"SELECT " PG_INVOICE_COLS " FROM invoices"
		" WHERE tenant_id = $1 AND customer_id = $2 AND currency = $3"
		" AND open_minor < amount_minor AND NOT written_off"
		" ORDER BY due_date DESC, id DESC FOR UPDATE",
	/* ---- statement batch ---- */
	[PG_CASES_WITH_EVENT] =
		/* $3: the case ids as an array literal, {1,2,3} */
		"SELECT DISTINCT case_id FROM case_events WHERE tenant_id = $1"
		" AND kind = $2 AND case_id = ANY($3::bigint[])"
		" ORDER BY case_id",
	[PG_PAYMENT_INSERT_CREDIT] =
		"INSERT INTO payments (tenant_id, external_id, customer_id,"
		" invoice_id, amount_minor, currency, paid_on, method, created_at,"
		" unallocated_minor)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now(), $9)"
		" ON CONFLICT (tenant_id, external_id) DO NOTHING",
	/* ---- the team's console (migration 0011) ---- */
	[PG_OPERATOR_INSERT] =
		/* a taken address is no row rather than an error, which
		 * would abort the caller's transaction */
		"INSERT INTO operators (tenant_id, email, name, role,"
		" password_hash, disabled, created_at) VALUES ($1, $2, $3, $4,"
		" $5, $6, $7) ON CONFLICT (tenant_id, email) DO NOTHING"
		" RETURNING id",
	[PG_OPERATOR_FIND] =
		"SELECT " PG_OPERATOR_COLS ", password_hash FROM operators"
		" WHERE tenant_id = $1 AND email = $2",
	[PG_OPERATOR_LIST] =
		"SELECT " PG_OPERATOR_COLS " FROM operators WHERE tenant_id = $1"
		" ORDER BY email",
	[PG_OPERATOR_SET_DISABLED] =
		"UPDATE operators SET disabled = $3 WHERE tenant_id = $1"
		" AND email = $2",
	[PG_SESSION_INSERT] =
		"INSERT INTO operator_sessions (token_hash, tenant_id,"
		" operator_id, csrf_key, created_at, last_seen, expires_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7)",
	[PG_SESSION_FIND] =
		"SELECT s.token_hash, s.tenant_id, s.operator_id, s.csrf_key, "
		PG_INSTANT("s.created_at") ", " PG_INSTANT("s.last_seen") ", "
		PG_INSTANT("s.expires_at") ", o.id, o.tenant_id, o.email, o.name,"
		" o.role, o.disabled, " PG_INSTANT("o.created_at")
		" FROM operator_sessions s JOIN operators o"
		" ON o.tenant_id = s.tenant_id AND o.id = s.operator_id"
		" WHERE s.token_hash = $1",
	[PG_SESSION_TOUCH] =
		"UPDATE operator_sessions SET last_seen = $2"
		" WHERE token_hash = $1 AND last_seen < $2",
	[PG_SESSION_DELETE] =
		"DELETE FROM operator_sessions WHERE token_hash = $1",
	[PG_SESSIONS_END] =
		/* $3 NULL: all of them */
		"DELETE FROM operator_sessions WHERE tenant_id = $1"
		" AND operator_id = $2 AND ($3::timestamptz IS NULL"
		" OR expires_at <= $3 OR last_seen < $4)",
	[PG_LOGIN_FAILURE_ADD] =
		"INSERT INTO login_failures (tenant_id, email, remote, at)"
		" VALUES ($1, $2, $3, $4)",
	[PG_LOGIN_FAILURES_COUNT] =
		"SELECT (SELECT count(*) FROM login_failures WHERE tenant_id = $1"
		" AND email = $2 AND at >= $4), (SELECT "
		PG_INSTANT("min(at)") " FROM login_failures WHERE tenant_id = $1"
		" AND email = $2 AND at >= $4),"
		" (SELECT count(*) FROM login_failures WHERE tenant_id = $1"
		" AND remote = $3 AND at >= $4), (SELECT "
		PG_INSTANT("min(at)") " FROM login_failures WHERE tenant_id = $1"
		" AND remote = $3 AND at >= $4)",
	[PG_LOGIN_FAILURES_PRUNE] =
		"DELETE FROM login_failures WHERE tenant_id = $1 AND at < $2",
	[PG_CASE_NOTES] =
		"SELECT n.id, n.case_id, n.operator_id, n.body, "
		PG_INSTANT("n.created_at") ", COALESCE(o.name, '')"
		" FROM case_notes n LEFT JOIN operators o"
		" ON o.tenant_id = n.tenant_id AND o.id = n.operator_id"
		" WHERE n.tenant_id = $1 AND n.case_id = $2"
		" ORDER BY n.created_at, n.id",
	[PG_CASE_NOTE_ADD] =
		"INSERT INTO case_notes (tenant_id, case_id, operator_id, body,"
		" created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
	[PG_QUEUE] =
		/* as SQ_QUEUE in store_sqlite.c: each branch reads its own
		 * index in order and stops after $2 rows; where a branch must
		 * pass over many rows (a tenant whose vulnerable customers'
		 * cases all have notes, whose broken plans' cases are all
		 * closed) it does so through indexes only (0011_console.sql),
		 * one look-up per row: bench/console.sh */
		"WITH q AS ("
		"(SELECT 1 AS rank, r.created_at AS sort_at,"
		" r.created_at AS since, r.case_id AS case_id,"
		" r.customer_id AS customer_id, 'help'::text AS kind,"
		" NULL::timestamptz AS callback_at, r.id AS request_id,"
		" 0::bigint AS review_id, NULL::bigint AS amount,"
		" NULL::text AS currency, NULL::text AS party"
		" FROM requests r WHERE r.tenant_id = $1 AND r.status = 'open'"
		" AND r.kind = 'help' ORDER BY r.created_at, r.id LIMIT $2)"
		" UNION ALL "
		"(SELECT 2, r.callback_at, r.created_at, r.case_id,"
		" r.customer_id, 'callback', r.callback_at, r.id, 0, NULL, NULL,"
		" NULL FROM requests r WHERE r.tenant_id = $1"
		" AND r.status = 'open' AND r.kind = 'callback'"
		" ORDER BY r.callback_at, r.id LIMIT $2)"
		" UNION ALL "
		"(SELECT 3, r.created_at, r.created_at, r.case_id,"
		" r.customer_id, 'dispute', NULL, r.id, 0, NULL, NULL, NULL"
		" FROM requests r WHERE r.tenant_id = $1 AND r.status = 'open'"
		" AND r.kind = 'dispute' ORDER BY r.created_at, r.id LIMIT $2)"
		" UNION ALL "
		/* vulnerable: for each vulnerable customer, their open cases
		 * (cases_open_since, index only) without a note. The LATERAL
		 * with OFFSET 0 keeps this a loop over the customers: left to
		 * itself the planner joined all 700,000 open cases of a
		 * million by hash (a scan of the table) */
		"(SELECT 4, k.opened_on::timestamp AT TIME ZONE 'UTC',"
		" k.opened_on::timestamp AT TIME ZONE 'UTC', k.id, c.id,"
		" 'vulnerable', NULL, 0, 0, NULL, NULL, NULL"
		" FROM customers c CROSS JOIN LATERAL (SELECT k.id, k.opened_on"
		" FROM cases k WHERE k.tenant_id = c.tenant_id"
		" AND k.customer_id = c.id AND k.status = 'open'"
		" AND NOT EXISTS (SELECT 1 FROM case_notes n"
		" WHERE n.tenant_id = k.tenant_id AND n.case_id = k.id)"
		" OFFSET 0) k"
		" WHERE c.tenant_id = $1 AND c.vulnerable"
		" ORDER BY k.opened_on, k.id LIMIT $2)"
		" UNION ALL "
		/* broken plans, by when they broke (plans_broken, index
		 * only), while the case is open -- looked up among its
		 * customer's open cases (cases_open_since, index only: a
		 * plan's customer is its case's) -- and no later plan
		 * followed; asked in that order, one plan at a time, so that
		 * a closed case costs one look-up (OFFSET 0: a subplan, not
		 * a join of every broken plan) */
		"(SELECT 5, p.ended_at, p.ended_at, p.case_id,"
		" p.customer_id, 'broken_plan', NULL, 0, 0, NULL, NULL, NULL"
		" FROM plans p WHERE p.tenant_id = $1 AND p.status = 'broken'"
		" AND EXISTS (SELECT 1 FROM cases k WHERE k.tenant_id = p.tenant_id"
		" AND k.customer_id = p.customer_id AND k.id = p.case_id"
		" AND k.status = 'open' AND NOT EXISTS (SELECT 1 FROM plans l"
		" WHERE l.tenant_id = k.tenant_id AND l.case_id = k.id"
		" AND l.id > p.id) OFFSET 0) ORDER BY p.ended_at, p.id LIMIT $2)"
		" UNION ALL "
		"(SELECT 6, ri.created_at, ri.created_at, 0,"
		" COALESCE(se.customer_id, 0), 'payment_review', NULL, 0, ri.id,"
		" se.amount_minor, se.currency, se.debtor_name"
		" FROM review_items ri JOIN statement_entries se"
		" ON se.tenant_id = ri.tenant_id AND se.id = ri.entry_id"
		" WHERE ri.tenant_id = $1 AND ri.status = 'open'"
		" ORDER BY ri.created_at, ri.id LIMIT $2)"
		" UNION ALL "
		/* handed to an agent: the hand-overs by time (covering),
		 * first whether a note or a later hand-over followed (index
		 * only), then, for those left, the case row (LATERAL with
		 * OFFSET 0: one row read per item, not per hand-over) */
		"(SELECT 7, ev.at, ev.at, ev.case_id, k.customer_id,"
		" 'handed_to_agent', NULL, 0, 0, NULL, NULL, NULL"
		" FROM case_events ev CROSS JOIN LATERAL (SELECT k.customer_id"
		" FROM cases k WHERE k.tenant_id = ev.tenant_id"
		" AND k.id = ev.case_id AND k.status = 'open' OFFSET 0) k"
		" WHERE ev.tenant_id = $1 AND ev.kind = 'case.handed_to_agent'"
		" AND NOT EXISTS (SELECT 1"
		" FROM case_events l WHERE l.tenant_id = ev.tenant_id"
		" AND l.case_id = ev.case_id AND l.kind = 'case.handed_to_agent'"
		" AND l.id > ev.id) AND NOT EXISTS (SELECT 1 FROM case_notes n"
		" WHERE n.tenant_id = ev.tenant_id AND n.case_id = ev.case_id"
		" AND n.created_at >= ev.at) ORDER BY ev.at, ev.id LIMIT $2)),"
		/* the page first, then its case and customer rows, one
		 * look-up per item (LATERAL with OFFSET 0: the plan kept for
		 * the prepared statement, made without knowing $2, hashed
		 * the whole customers table otherwise) */
		" top AS (SELECT * FROM q ORDER BY q.rank, q.sort_at, q.case_id,"
		" q.request_id, q.review_id LIMIT $2)"
		" SELECT q.rank, q.kind, q.case_id, q.customer_id,"
		" COALESCE(c.external_id, ''), COALESCE(c.name, q.party, ''), "
		PG_INSTANT("q.since") ", " PG_INSTANT("q.callback_at") ","
		" COALESCE(q.amount, (SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = $1 AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND NOT i.written_off), 0),"
		" COALESCE(q.currency, k.currency, ''), q.request_id, q.review_id"
		" FROM top q LEFT JOIN LATERAL (SELECT k.customer_id, k.currency"
		" FROM cases k WHERE k.tenant_id = $1 AND k.id = q.case_id"
		" OFFSET 0) k ON true LEFT JOIN LATERAL (SELECT c.external_id,"
		" c.name FROM customers c WHERE c.tenant_id = $1"
		" AND c.id = q.customer_id OFFSET 0) c ON true"
		" ORDER BY q.rank, q.sort_at, q.case_id, q.request_id,"
		" q.review_id",
	/* ---- reports (migration 0014) ---- */
	[PG_REPORT_INFO] =
		"SELECT as_of, " PG_INSTANT("refreshed_at")
		" FROM report_refreshes WHERE tenant_id = $1",
	[PG_REPORT_ROWS] =
		"SELECT report, key, currency, bucket, cases, cured,"
		" amount_minor FROM report_rows WHERE tenant_id = $1"
		" ORDER BY report, key COLLATE \"C\", currency, bucket",
	[PG_PORTAL_VISIT] =
		"INSERT INTO portal_visits (tenant_id, case_id, day)"
		" VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	/* ---- automatic charges (migration 0013) ---- */
	[PG_CHARGE_INSERT] =
		/* attempts, attempt_id, attempt_refs and awaiting are written
		 * by PG_CHARGE_UPDATE right after (at most 16 parameters) */
		"INSERT INTO charges (tenant_id, customer_id, invoice_id,"
		" case_id, provider, payment_id, customer_ref, mandate_ref,"
		" amount_minor, currency, status, failure_code, decline_class,"
		" failed_on, next_attempt_on, created_at, updated_at) VALUES ($1,"
		" $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,"
		" $16, $16) ON CONFLICT (tenant_id, provider, payment_id)"
		" DO NOTHING RETURNING id",
	[PG_CHARGE_GET] =
		"SELECT " PG_CHARGE_COLS " FROM charges WHERE tenant_id = $1"
		" AND id = $2",
	[PG_CHARGE_FIND] =
		/* the charge's own id before a retry's */
		"SELECT " PG_CHARGE_COLS " FROM charges WHERE tenant_id = $1"
		" AND provider = $2 AND (payment_id = $3 OR attempt_id = $3)"
		" ORDER BY payment_id = $3 DESC, id DESC LIMIT 1",
	[PG_CHARGE_UPDATE] =
		"UPDATE charges SET case_id = $3, mandate_ref = $4, status = $5,"
		" failure_code = $6, decline_class = $7, attempts = $8,"
		" next_attempt_on = $9, attempt_id = $10, attempt_refs = $11,"
		" awaiting = $12, updated_at = $13, customer_ref = $14"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_CHARGE_DUE] =
		"SELECT id FROM charges WHERE tenant_id = $1"
		" AND ((status = 'retrying' AND next_attempt_on <= $2)"
		" OR (case_id IS NULL AND status IN ('failed', 'retrying')))"
		" ORDER BY id",
	[PG_CHARGE_LIST] =
		"SELECT " PG_CHARGE_COLS " FROM charges WHERE tenant_id = $1"
		" AND customer_id = $2 ORDER BY id DESC",
	[PG_MIGRATION_VERSION] =
		"SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
	[PG_MIGRATION_DONE] =
		"SELECT 1 FROM schema_migrations WHERE version = $1",
	[PG_MIGRATION_RECORD] =
		"INSERT INTO schema_migrations (version, name, applied_at)"
		" VALUES ($1, $2, now())",
	/* ---- experiments (migration 0015) ---- */
	[PG_CASE_EXPERIMENT_ADD] =
		"INSERT INTO case_experiments (tenant_id, case_id,"
		" experiment_id, variant, strategy) VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (tenant_id, case_id) DO NOTHING",
	[PG_EXPERIMENT_STATS] =
		/* one row per case (its payments, messages, requests by
		 * their indexes), then summed per experiment, currency and
		 * variant; the doubles as text */
		"SELECT experiment_id, variant, MIN(strategy), currency,"
		" COUNT(*), SUM(cured)::bigint, SUM(amt)::bigint,"
		" SUM(amt::float8 * amt)::text,"
		" COALESCE(SUM(CASE WHEN cured = 1 THEN days END), 0)::text,"
		" COALESCE(SUM(CASE WHEN cured = 1 THEN days::float8 * days END),"
		" 0)::text, SUM(msgs)::bigint, SUM(optout)::bigint,"
		" SUM(help)::bigint FROM"
		" (SELECT x.experiment_id, x.variant, x.strategy, c.currency,"
		" CASE WHEN c.status = 'resolved' THEN 1 ELSE 0 END AS cured,"
		" (SELECT COALESCE(SUM(p.amount_minor), 0) FROM payments p"
		" WHERE p.tenant_id = c.tenant_id"
		" AND p.customer_id = c.customer_id AND p.currency = c.currency"
		" AND p.paid_on >= c.opened_on AND (c.closed_on IS NULL"
		" OR p.paid_on <= c.closed_on)) AS amt,"
		" (c.closed_on - c.opened_on) AS days,"
		" (SELECT COUNT(*) FROM messages m WHERE m.tenant_id = c.tenant_id"
		" AND m.case_id = c.id AND m.sent_at IS NOT NULL) AS msgs,"
		" cu.do_not_contact::int AS optout,"
		" EXISTS (SELECT 1 FROM requests r WHERE r.tenant_id = c.tenant_id"
		" AND r.case_id = c.id AND r.kind IN ('help', 'callback'))::int"
		" AS help"
		" FROM case_experiments x JOIN cases c ON c.tenant_id = x.tenant_id"
		" AND c.id = x.case_id JOIN customers cu ON cu.tenant_id ="
		" c.tenant_id AND cu.id = c.customer_id WHERE x.tenant_id = $1) q"
		" GROUP BY experiment_id, currency, variant"
		" ORDER BY experiment_id, currency, variant",
	[PG_STRATEGY_SET_ACTIVE] =
		/* only when the version exists: then exactly one is active */
		"UPDATE strategy_versions SET active = (version = $2)"
		" WHERE tenant_id = $1 AND EXISTS (SELECT 1 FROM"
		" strategy_versions v WHERE v.tenant_id = $1 AND v.version = $2)",
	[PG_STRATEGY_CHANGE_ADD] =
		"INSERT INTO strategy_changes (tenant_id, version, action,"
		" operator_id, at) VALUES ($1, $2, $3, $4, $5)",
	[PG_STRATEGY_CHANGES] =
		"SELECT g.version, g.action, g.operator_id, COALESCE(o.name, ''),"
		" " PG_INSTANT("g.at") " FROM strategy_changes g"
		" LEFT JOIN operators o ON o.tenant_id = g.tenant_id"
		" AND o.id = g.operator_id WHERE g.tenant_id = $1"
		" ORDER BY g.id DESC LIMIT $2",
	/* ---- payment review (console) ---- */
	[PG_REVIEW_GET] =
		"SELECT r.id, r.entry_id, r.reason, r.candidates, r.status,"
		" " PG_INSTANT("r.created_at") ", " PG_INSTANT("r.resolved_at") ","
		" e.bank_ref, e.statement_id, e.booked_on, e.amount_minor,"
		" e.currency, e.credit, (e.reversal OR e.returned),"
		" e.debtor_name, e.debtor_iban, e.reference, e.unstructured,"
		" e.outcome, COALESCE(e.customer_id, 0) FROM review_items r"
		" JOIN statement_entries e ON e.tenant_id = r.tenant_id"
		" AND e.id = r.entry_id WHERE r.tenant_id = $1 AND r.id = $2",
	/* The columns of a review target, in the order read_target reads
	 * them: invoice, case, customer, external id, name, number, open,
	 * currency, due date, still open. */
	[PG_REVIEW_INVOICE] =
		/* cases_open makes the join one row at most */
		"SELECT i.id, COALESCE(k.id, 0), i.customer_id, c.external_id,"
		" c.name, i.number, i.open_minor, i.currency, i.due_date,"
		" (i.open_minor > 0 AND NOT i.written_off) FROM invoices i"
		" JOIN customers c ON c.tenant_id = i.tenant_id"
		" AND c.id = i.customer_id LEFT JOIN cases k"
		" ON k.tenant_id = i.tenant_id AND k.customer_id = i.customer_id"
		" AND k.currency = i.currency AND k.status = 'open'"
		" WHERE i.tenant_id = $1 AND i.id = $2",
	[PG_REVIEW_CASE] =
		"SELECT 0, k.id, k.customer_id, c.external_id, c.name, '',"
		" GREATEST(k.fees_minor - k.fees_paid_minor, 0) +"
		" COALESCE((SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND NOT i.written_off), 0), k.currency,"
		" (SELECT MIN(i.due_date) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND NOT i.written_off), k.status = 'open'"
		" FROM cases k JOIN customers c ON c.tenant_id = k.tenant_id"
		" AND c.id = k.customer_id WHERE k.tenant_id = $1 AND k.id = $2",
	[PG_REVIEW_CUSTOMERS] =
		/* a scan of the tenant's customers: a person's search, not a
		 * hot path */
		"SELECT 0, COALESCE(k.id, 0), c.id, c.external_id, c.name, '',"
		" CASE WHEN k.id IS NULL THEN 0 ELSE"
		" GREATEST(k.fees_minor - k.fees_paid_minor, 0) +"
		" COALESCE((SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND NOT i.written_off), 0) END, COALESCE(k.currency, ''),"
		" (SELECT MIN(i.due_date) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND NOT i.written_off), k.id IS NOT NULL"
		" FROM customers c LEFT JOIN cases k ON k.tenant_id = c.tenant_id"
		" AND k.customer_id = c.id AND k.status = 'open'"
		" WHERE c.tenant_id = $1 AND (c.external_id = $2::text"
		" OR strpos(lower(c.name), lower($2::text)) > 0)"
		" ORDER BY c.external_id = $2::text DESC, c.name, c.id,"
		" k.currency LIMIT $3",
	[PG_REVIEW_DONE] =
		"UPDATE review_items SET status = 'done', resolved_at = $3"
		" WHERE tenant_id = $1 AND id = $2 AND status = 'open'",
	[PG_REVIEW_ENTRY_DECIDE] =
		"UPDATE statement_entries SET outcome = $3,"
		" payment_external_id = $4, case_id = $5, invoice_id = $6,"
		" customer_id = $7, credit_minor = $8, rule = $9, reason = $10"
		" WHERE tenant_id = $1 AND id = $2",
	[PG_CASE_MESSAGES_CANCEL] =
		"UPDATE messages SET status = 'cancelled', last_error = $3,"
		" updated_at = $4::timestamptz WHERE tenant_id = $1"
		" AND case_id = $2 AND status = 'queued' AND (lease_until IS NULL"
		" OR lease_until <= $4::timestamptz)",
};

/* Taken for the length of each migration transaction, so that processes
 * opening a new database at the same moment migrate it one after the
 * other: the bytes of "dunwell" as a number. */
#define PG_MIGRATE_LOCK "28276614981053548"

#define PG_MAX_PARAMS 16
#define PG_SCRATCH 24        /* an int64 or an instant as text, with NUL */
#define PG_BATCH_ROWS 256    /* rows per multi-row INSERT */
#define PG_BATCH_COLS 17     /* the widest buffered row (actions) */
#define PG_CASE_IDS_MAX 1024 /* largest block of case ids reserved at once */
#define PG_COPY_FLUSH (8u << 20)  /* write the appends when one holds this */
#define PG_COPY_MAX (64u << 20)   /* the most one append buffer may hold */
#define PG_NEW_KEYS_MAX 32   /* actions of the newest case checked for doubles */
#define PG_UPDATE_ROWS 1024  /* case changes written by one UPDATE */

/* PostgreSQL counts dates and instants from 2000-01-01, date.h from 1970. */
#define PG_EPOCH_DAYS 10957
#define PG_EPOCH_SECONDS ((int64_t)PG_EPOCH_DAYS * 86400)
/* 0001-01-01 and 9999-12-31 as date_t: the dates text can show */
#define PG_DAY_MIN (-719162)
#define PG_DAY_MAX 2932896

/* The parameters of one statement, as text (NULL for SQL NULL). */
struct pg_params {
	int n;                                  /* parameters set */
	const char *v[PG_MAX_PARAMS];           /* what is sent */
	char s[PG_MAX_PARAMS][PG_SCRATCH];      /* formatted numbers, dates */
};

/* Rows waiting to be written by one multi-row INSERT. */
struct pg_batch {
	const char *what;  /* for messages: "recording actions" */
	const char *head;  /* "INSERT INTO t (cols) VALUES " */
	const char *tail;  /* what follows the rows ("" or ON CONFLICT ...) */
	int ncols;         /* values per row */
	int nrows;         /* rows buffered */
	/* where each buffered value starts in `text`, plus one; 0 = NULL */
	size_t off[PG_BATCH_ROWS * PG_BATCH_COLS];
	const char *vals[PG_BATCH_ROWS * PG_BATCH_COLS]; /* built at flush */
	struct buf text;   /* the values, each NUL-terminated */
	unsigned char prepared[PG_BATCH_ROWS + 1]; /* "b<k>_<rows>" exists */
};

/* Rows waiting to be written by one COPY ... FROM STDIN (FORMAT binary). */
struct pg_copy {
	const char *what;  /* for messages: "opening cases" */
	const char *sql;   /* "COPY t (cols) FROM STDIN (FORMAT binary)" */
	int ncols;         /* fields per row */
	long nrows;        /* rows buffered */
	struct buf data;   /* the rows, in COPY's binary tuple format */
};

/* The appends, in the order they are written: parents first, and actions
 * copied before those inserted with ON CONFLICT (see pg_action_insert). */
enum { PGC_CASES = 0, PGC_EVENTS, PGC_ACTIONS, PGC__COUNT };

/* A case's new state, waiting to be written (see pg_case_update): the
 * columns an UPDATE of a case sets. */
struct pg_case_change {
	int64_t tenant_id;       /* the case's tenant */
	int64_t id;              /* the case */
	const char *status;      /* case_status_name(): a static string */
	date_t anchor;           /* anchor_date */
	int next_step;           /* next_step */
	date_t last_step_on;     /* DATE_NONE for NULL, as the dates below */
	date_t closed_on;        /* closed_on */
	const char *hold_reason; /* hold_reason_name(): a static string */
	date_t hold_until;       /* hold_until */
	int64_t fees_minor;      /* fees_minor */
};

struct pg {
	PGconn *conn;                        /* the connection */
	unsigned char prepared[PG__COUNT];   /* statement "s<n>" exists */
	int in_tx;                           /* inside store_begin ... */
	struct pg_copy copy[PGC__COUNT];     /* buffered appends */
	struct pg_batch upsert;              /* actions that may exist already */
	struct pg_case_change *changes;      /* case updates, PG_UPDATE_ROWS */
	int n_changes;                       /* how many are waiting */
	/* the ids of the cases waiting in copy[PGC_CASES] (ascending, from
	 * next_case_id) lie in [copied_lo, copied_hi] */
	int64_t copied_lo, copied_hi;
	/* The case this connection opened last in the current transaction:
	 * its id is new, so no action can exist for it but those recorded
	 * since, whose keys (step, kind, channel) are listed here. */
	int64_t new_case;                    /* 0 when none */
	int n_new_keys;                      /* keys listed */
	struct buf new_keys;                 /* "step\0kind\0channel\0"... */
	int64_t case_ids[PG_CASE_IDS_MAX];   /* reserved, not yet used */
	int n_case_ids;                      /* how many reserved */
	int next_case_id;                    /* index of the next to use */
	int case_id_block;                   /* size of the next block */
	/* rows_write streams rows with COPY FROM STDIN, one COPY per table */
	int copy_active;                     /* a COPY is open */
	char copy_table[32];                 /* the table it writes */
	struct buf copy_sig;                 /* "table:col,col,..." it is for */
	struct buf copy_line;                /* the row being encoded */
};

static int copy_end(struct pg *h, struct err *e);
static int flush_all(struct pg *h, struct err *e);
static int changes_flush(struct pg *h, struct err *e);

/* One line of text from libpq: its trailing newline gone, inner line
 * breaks and tabs (libpq indents its second lines) turned into one space. */
static void one_line(const char *in, char *out, size_t size)
{
	size_t n = 0;
	for (; in && *in && n + 1 < size; in++) {
		char c = *in == '\n' || *in == '\r' || *in == '\t' ? ' ' : *in;
		if (c == ' ' && (n == 0 || out[n - 1] == ' '))
			continue;
		out[n++] = c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

/*
 * The error of a failed statement (res may be NULL: no memory, or the
 * connection is gone). A unique violation names the constraint and the key
 * (the DETAIL line), the rest the primary message.
 */
static int pg_fail(struct pg *h, const PGresult *res, const char *what,
		   struct err *e)
{
	const char *msg = NULL, *state = NULL, *detail = NULL;
	char line[ERR_MSG_MAX], more[ERR_MSG_MAX];

	if (res) {
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
		if (!msg || !*msg)
			msg = PQresultErrorMessage(res);
	}
	if (!msg || !*msg)
		msg = PQerrorMessage(h->conn);
	one_line(msg, line, sizeof(line));
	if (!*line)
		snprintf(line, sizeof(line), "unexpected result %s",
			 res ? PQresStatus(PQresultStatus(res)) : "(none)");
	if (state && strcmp(state, "23505") == 0 && detail) {
		one_line(detail, more, sizeof(more));
		return err_set(e, ERR_STORE, "postgres: %s: %s (%s)", what, line,
			       more);
	}
	return err_set(e, ERR_STORE, "postgres: %s: %s", what, line);
}

/* Did the statement succeed? (Commands and queries alike.) */
static int res_ok(const PGresult *res)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
}

/* Run constant SQL without parameters (BEGIN, COMMIT, SET, a migration). */
static int pg_exec(struct pg *h, const char *sql, const char *what,
		   struct err *e)
{
	PGresult *res;
	int r = h->copy_active ? copy_end(h, e) : 0;
	if (r < 0)
		return r;
	res = PQexec(h->conn, sql);
	r = res_ok(res) ? 0 : pg_fail(h, res, what, e);
	PQclear(res);
	return r;
}

static void p_init(struct pg_params *p)
{
	p->n = 0;
}

static void p_text(struct pg_params *p, const char *s)
{
	p->v[p->n++] = s;
}

static void p_int(struct pg_params *p, int64_t v)
{
	snprintf(p->s[p->n], PG_SCRATCH, "%" PRId64, v);
	p->v[p->n] = p->s[p->n];
	p->n++;
}

static void p_bool(struct pg_params *p, int v)
{
	p->v[p->n++] = v ? "t" : "f";
}

static void p_date(struct pg_params *p, date_t d)
{
	if (d == DATE_NONE) {
		p->v[p->n++] = NULL;
		return;
	}
	date_format(d, p->s[p->n]);
	p->v[p->n] = p->s[p->n];
	p->n++;
}

static void p_instant(struct pg_params *p, instant_t t)
{
	instant_format(t, p->s[p->n]);
	p->v[p->n] = p->s[p->n];
	p->n++;
}

/* 1 when the statement's rows come in the binary format (see col_int). */
static int pg_binary_result(enum pg_stmt which)
{
	return which == PG_WORK_CUSTOMERS || which == PG_WORK_CONTACTS ||
	       which == PG_WORK_INVOICES || which == PG_WORK_CASES ||
	       which == PG_WORK_HISTORY;
}

/*
 * Run prepared statement `which` with `p`, preparing it on first use. On
 * success *ret holds the result (the caller clears it); on failure the
 * error names `what`.
 */
static int pg_run(struct pg *h, enum pg_stmt which, const struct pg_params *p,
		  const char *what, PGresult **ret, struct err *e)
{
	char name[16];
	PGresult *res;
	int r;

	if (h->copy_active) {
		r = copy_end(h, e);
		if (r < 0)
			return r;
	}
	snprintf(name, sizeof(name), "s%d", (int)which);
	if (!h->prepared[which]) {
		res = PQprepare(h->conn, name, pg_sql[which], 0, NULL);
		if (!res_ok(res)) {
			r = pg_fail(h, res, what, e);
			PQclear(res);
			return r;
		}
		PQclear(res);
		h->prepared[which] = 1;
	}
	res = PQexecPrepared(h->conn, name, p ? p->n : 0, p ? p->v : NULL,
			     NULL, NULL, pg_binary_result(which));
	if (!res_ok(res)) {
		r = pg_fail(h, res, what, e);
		PQclear(res);
		return r;
	}
	*ret = res;
	return 0;
}

/* Run a statement whose rows, if any, are not needed. */
static int pg_do(struct pg *h, enum pg_stmt which, const struct pg_params *p,
		 const char *what, struct err *e)
{
	PGresult *res;
	int r = pg_run(h, which, p, what, &res, e);
	if (r == 0)
		PQclear(res);
	return r;
}

/*
 * Columns come as text, except the results of the statements the run
 * reads millions of rows with (pg_binary_result), which come in the binary
 * format: no formatting on the server, no parsing here. The readers below
 * take either (PQfformat). In binary, text is the bytes as they are (libpq
 * puts a NUL after every value all the same), integers big-endian of their
 * column's width, booleans one byte, dates days from 2000-01-01.
 */
static int col_binary(const PGresult *res, int col)
{
	return PQfformat(res, col) == 1;
}

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static const char *col_text(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col); /* "" for NULL */
}

static char *col_dup(const PGresult *res, int row, int col)
{
	return xstrdup(PQgetvalue(res, row, col));
}

/* An integer column; NULL reads as 0 (as sqlite3_column_int64 does). */
static int64_t col_int(const PGresult *res, int row, int col)
{
	const unsigned char *v =
		(const unsigned char *)PQgetvalue(res, row, col);
	if (!col_binary(res, col))
		return strtoll((const char *)v, NULL, 10);
	switch (PQgetlength(res, row, col)) {
	case 8:
		return (int64_t)((uint64_t)get_be32(v) << 32 | get_be32(v + 4));
	case 4:
		return (int32_t)get_be32(v);
	case 2:
		return (int16_t)(v[0] << 8 | v[1]);
	default:
		return 0; /* NULL */
	}
}

static int col_bool(const PGresult *res, int row, int col)
{
	const char *v = PQgetvalue(res, row, col);
	if (col_binary(res, col))
		return PQgetlength(res, row, col) == 1 && v[0] != 0;
	return v[0] == 't';
}

/* A date column: 'YYYY-MM-DD' (DateStyle ISO), or NULL (and anything
 * else: years beyond 9999, BC) as DATE_NONE. Parsed by hand: the run
 * reads millions of them. */
static date_t col_date(const PGresult *res, int row, int col)
{
	static const int pos[8] = { 0, 1, 2, 3, 5, 6, 8, 9 };
	const char *t = PQgetvalue(res, row, col);
	int v[8];
	if (col_binary(res, col)) {
		/* the same dates as in text: years 1 to 9999 */
		int64_t d;
		if (PQgetlength(res, row, col) != 4)
			return DATE_NONE;
		d = (int64_t)(int32_t)get_be32((const unsigned char *)t) +
		    PG_EPOCH_DAYS;
		if (d < PG_DAY_MIN || d > PG_DAY_MAX)
			return DATE_NONE;
		return (date_t)d;
	}
	if (PQgetisnull(res, row, col) || PQgetlength(res, row, col) != 10 ||
	    t[4] != '-' || t[7] != '-')
		return DATE_NONE;
	for (int k = 0; k < 8; k++) {
		if (t[pos[k]] < '0' || t[pos[k]] > '9')
			return DATE_NONE;
		v[k] = t[pos[k]] - '0';
	}
	int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3];
	int m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
	if (!date_is_valid_ymd(y, m, d))
		return DATE_NONE;
	return date_from_ymd(y, m, d);
}

/* An instant read through PG_INSTANT; 0 when NULL or malformed. */
static instant_t col_instant(const PGresult *res, int row, int col)
{
	instant_t t;
	if (PQgetisnull(res, row, col) ||
	    instant_parse(PQgetvalue(res, row, col), &t, NULL) < 0)
		return 0;
	return t;
}

/* A currency code into char[4]. */
static void col_currency(const PGresult *res, int row, int col, char out[4])
{
	const char *s = PQgetvalue(res, row, col);
	size_t n = strnlen(s, 3);
	memcpy(out, s, n);
	out[n] = '\0';
}

/*
 * Appends. The run writes tens of thousands of cases, events and actions
 * per transaction. They are buffered in the connection and written before
 * any statement that could read them, at commit, and when a buffer is full
 * (whenever one buffer is written all are, in the order of the enums:
 * cases first); a rollback drops them.
 *
 * Cases, events and the actions of a case opened in the same transaction
 * go by COPY in the binary format: no statement to plan or execute per
 * row, no text to parse on the server. An action of any other case may be
 * recorded already (a later run on the same day, a worker with another
 * --as-of), and then the row there must be kept as it is: those go by a
 * multi-row INSERT ... ON CONFLICT DO NOTHING, PG_BATCH_ROWS rows at a
 * time, each row count its own prepared statement "b<rows>", made on first
 * use. They are written after the copied actions, so that they find those
 * as a conflict too.
 */

static void put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	put_be32(p, (uint32_t)(v >> 32));
	put_be32(p + 4, (uint32_t)v);
}

/* One field of a binary COPY row: its length (-1 for NULL), its bytes. */
static int cp_null(struct buf *b)
{
	unsigned char x[4];
	put_be32(x, UINT32_MAX);
	return buf_append(b, x, sizeof(x));
}

static int cp_int8(struct buf *b, int64_t v)
{
	unsigned char x[12];
	put_be32(x, 8);
	put_be64(x + 4, (uint64_t)v);
	return buf_append(b, x, sizeof(x));
}

static int cp_int4(struct buf *b, int32_t v)
{
	unsigned char x[8];
	put_be32(x, 4);
	put_be32(x + 4, (uint32_t)v);
	return buf_append(b, x, sizeof(x));
}

static int cp_text(struct buf *b, const char *s)
{
	unsigned char x[4];
	size_t n = strlen(s);
	if (n > PG_COPY_MAX)
		return -ERR_TOOBIG;
	put_be32(x, (uint32_t)n);
	if (buf_append(b, x, sizeof(x)) < 0)
		return -ERR_TOOBIG;
	return buf_append(b, s, n);
}

static int cp_date(struct buf *b, date_t d)
{
	return d == DATE_NONE ? cp_null(b) : cp_int4(b, d - PG_EPOCH_DAYS);
}

/* timestamptz: microseconds. */
static int cp_instant(struct buf *b, instant_t t)
{
	return cp_int8(b, (t - PG_EPOCH_SECONDS) * 1000000);
}

/* Start a row of c->ncols fields. */
static int cp_row(struct pg_copy *c)
{
	unsigned char x[2] = { (unsigned char)(c->ncols >> 8),
			       (unsigned char)c->ncols };
	return buf_append(&c->data, x, sizeof(x));
}

static void copy_reset(struct pg_copy *c)
{
	c->nrows = 0;
	buf_reset(&c->data);
}

/* Write the rows of buffer k with one COPY. */
static int copy_flush(struct pg *h, int k, struct err *e)
{
	/* the binary format's signature, flags and header extension length,
	 * and the end-of-data mark */
	static const char head[19] = "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0";
	static const char trailer[2] = { '\377', '\377' };
	struct pg_copy *c = &h->copy[k];
	PGresult *res;
	int r = 0;

	if (c->nrows == 0)
		return 0;
	res = PQexec(h->conn, c->sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		r = pg_fail(h, res, c->what, e);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	if (PQputCopyData(h->conn, head, sizeof(head)) != 1 ||
	    PQputCopyData(h->conn, c->data.data, (int)c->data.len) != 1 ||
	    PQputCopyData(h->conn, trailer, sizeof(trailer)) != 1) {
		r = pg_fail(h, NULL, c->what, e);
		PQputCopyEnd(h->conn, "not sent");
	} else if (PQputCopyEnd(h->conn, NULL) != 1) {
		r = pg_fail(h, NULL, c->what, e);
	}
	while ((res = PQgetResult(h->conn))) {
		if (r == 0 && !res_ok(res))
			r = pg_fail(h, res, c->what, e);
		PQclear(res);
	}
out:
	copy_reset(c);
	return r;
}

/* A row of buffer k is complete (rc: how its fields went, from `mark`,
 * the buffer's length before it); write the buffers when this one is
 * full. */
static int copy_row_done(struct pg *h, int k, size_t mark, int rc,
			 struct err *e)
{
	struct pg_copy *c = &h->copy[k];
	if (rc < 0) {
		/* drop the part of the row that fitted */
		c->data.len = mark;
		if (c->data.data)
			c->data.data[mark] = '\0';
		return err_set(e, ERR_TOOBIG, "postgres: %s: row too large",
			       c->what);
	}
	c->nrows++;
	if (c->data.len >= PG_COPY_FLUSH)
		return flush_all(h, e);
	return 0;
}

static void batch_reset(struct pg_batch *b)
{
	b->nrows = 0;
	buf_reset(&b->text);
}

static void batch_null(struct pg_batch *b, int col)
{
	b->off[b->nrows * b->ncols + col] = 0;
}

static int batch_text(struct pg_batch *b, int col, const char *s)
{
	if (!s) {
		batch_null(b, col);
		return 0;
	}
	b->off[b->nrows * b->ncols + col] = b->text.len + 1;
	return buf_append(&b->text, s, strlen(s) + 1);
}

static int batch_int(struct pg_batch *b, int col, int64_t v)
{
	char tmp[PG_SCRATCH];
	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	return batch_text(b, col, tmp);
}

static int batch_date(struct pg_batch *b, int col, date_t d)
{
	char tmp[DATE_FMT_MAX];
	if (d == DATE_NONE) {
		batch_null(b, col);
		return 0;
	}
	date_format(d, tmp);
	return batch_text(b, col, tmp);
}

static int batch_instant(struct pg_batch *b, int col, instant_t t)
{
	char tmp[INSTANT_FMT_MAX];
	instant_format(t, tmp);
	return batch_text(b, col, tmp);
}

/* Prepare the INSERT of n rows of the batch under `name`. */
static int batch_prepare(struct pg *h, struct pg_batch *b, int n,
			 const char *name, struct err *e)
{
	struct buf sql;
	PGresult *res;
	int r = 0, param = 1;

	buf_init(&sql, 1 << 20);
	buf_puts(&sql, b->head);
	for (int row = 0; row < n && r == 0; row++) {
		r |= buf_puts(&sql, row ? ",(" : "(");
		for (int c = 0; c < b->ncols; c++)
			r |= buf_printf(&sql, c ? ",$%d" : "$%d", param++);
		r |= buf_putc(&sql, ')');
	}
	r |= buf_puts(&sql, b->tail);
	if (r < 0) {
		r = err_set(e, ERR_TOOBIG, "postgres: %s: statement too long",
			    b->what);
		goto out;
	}
	res = PQprepare(h->conn, name, buf_cstr(&sql), 0, NULL);
	r = res_ok(res) ? 0 : pg_fail(h, res, b->what, e);
	PQclear(res);
out:
	buf_free(&sql);
	return r;
}

static int batch_flush(struct pg *h, struct pg_batch *b, struct err *e)
{
	int n = b->nrows, nvals = b->nrows * b->ncols, r;
	char name[24];
	PGresult *res;

	if (n == 0)
		return 0;
	snprintf(name, sizeof(name), "b%d", n);
	if (!b->prepared[n]) {
		r = batch_prepare(h, b, n, name, e);
		if (r < 0)
			goto out;
		b->prepared[n] = 1;
	}
	/* the text buffer may have moved while it grew: pointers now */
	for (int i = 0; i < nvals; i++)
		b->vals[i] = b->off[i] ? b->text.data + b->off[i] - 1 : NULL;
	res = PQexecPrepared(h->conn, name, nvals, b->vals, NULL, NULL, 0);
	r = res_ok(res) ? 0 : pg_fail(h, res, b->what, e);
	PQclear(res);
out:
	batch_reset(b);
	return r;
}

/* An element of a text array literal: a date, or NULL. */
static int array_date(struct buf *b, date_t d)
{
	char tmp[DATE_FMT_MAX];
	if (d == DATE_NONE)
		return buf_puts(b, "NULL");
	date_format(d, tmp);
	return buf_puts(b, tmp);
}

/* Write the waiting case changes with one UPDATE: each column's values as
 * an array literal ("{1,2}", "{\"open\",\"open\"}", "{2026-11-01,NULL}");
 * the names and dates hold no character that would need escaping. */
static int changes_flush(struct pg *h, struct err *e)
{
	enum { IDS, STATUS, ANCHOR, STEP, LAST, CLOSED, HOLD, UNTIL, FEES,
	       NCOLS };
	struct buf col[NCOLS];
	struct pg_params p;
	int n = h->n_changes, r = 0;

	if (n == 0)
		return 0;
	for (int k = 0; k < NCOLS; k++) {
		buf_init(&col[k], 1 << 20);
		r |= buf_putc(&col[k], '{');
	}
	for (int i = 0; i < n; i++) {
		const struct pg_case_change *c = &h->changes[i];
		const char *sep = i ? "," : "";
		r |= buf_printf(&col[IDS], "%s%" PRId64, sep, c->id);
		r |= buf_printf(&col[STATUS], "%s\"%s\"", sep, c->status);
		r |= buf_puts(&col[ANCHOR], sep);
		r |= array_date(&col[ANCHOR], c->anchor);
		r |= buf_printf(&col[STEP], "%s%d", sep, c->next_step);
		r |= buf_puts(&col[LAST], sep);
		r |= array_date(&col[LAST], c->last_step_on);
		r |= buf_puts(&col[CLOSED], sep);
		r |= array_date(&col[CLOSED], c->closed_on);
		r |= buf_printf(&col[HOLD], "%s\"%s\"", sep, c->hold_reason);
		r |= buf_puts(&col[UNTIL], sep);
		r |= array_date(&col[UNTIL], c->hold_until);
		r |= buf_printf(&col[FEES], "%s%" PRId64, sep, c->fees_minor);
	}
	p_init(&p);
	p_int(&p, h->changes[0].tenant_id);
	for (int k = 0; k < NCOLS; k++) {
		r |= buf_putc(&col[k], '}');
		p_text(&p, buf_cstr(&col[k]));
	}
	h->n_changes = 0;
	if (r < 0)
		r = err_set(e, ERR_TOOBIG, "postgres: updating cases: too many"
			    " changes at once");
	else
		r = pg_do(h, PG_CASE_UPDATES, &p, "updating cases", e);
	for (int k = 0; k < NCOLS; k++)
		buf_free(&col[k]);
	return r;
}

/* Write everything pending, in order: the case changes (a case closed
 * before another is opened for the same customer and currency, which the
 * unique index cases_open needs; pg_case_update writes a case opened in
 * this transaction before it changes it), the copies (cases first), then
 * the actions inserted with ON CONFLICT. */
static int flush_all(struct pg *h, struct err *e)
{
	int r = 0;
	if (h->copy_active) {
		r = copy_end(h, e);
		if (r < 0)
			return r;
	}
	r = changes_flush(h, e);
	for (int k = 0; k < PGC__COUNT && r == 0; k++)
		r = copy_flush(h, k, e);
	if (r == 0)
		r = batch_flush(h, &h->upsert, e);
	if (r < 0) {
		/* the transaction has failed: nothing buffered can follow */
		for (int k = 0; k < PGC__COUNT; k++)
			copy_reset(&h->copy[k]);
		batch_reset(&h->upsert);
		h->n_changes = 0;
	}
	return r;
}

/* One row of the upsert batch is complete; write the buffers when it is
 * full. */
static int batch_row_done(struct pg *h, int text_rc, struct err *e)
{
	struct pg_batch *b = &h->upsert;
	if (text_rc < 0)
		return err_set(e, ERR_TOOBIG, "%s: row too large", b->what);
	b->nrows++;
	if (b->nrows == PG_BATCH_ROWS)
		return flush_all(h, e);
	return 0;
}

static int pg_accepts(const char *target)
{
	return strncmp(target, "postgres://", 11) == 0 ||
	       strncmp(target, "postgresql://", 13) == 0;
}

static void pg_close(void *hv)
{
	struct pg *h = hv;
	if (!h)
		return;
	for (int k = 0; k < PGC__COUNT; k++)
		buf_free(&h->copy[k].data);
	buf_free(&h->upsert.text);
	buf_free(&h->new_keys);
	free(h->changes);
	buf_free(&h->copy_sig);
	buf_free(&h->copy_line);
	PQfinish(h->conn);
	free(h);
}

/* Library code does not print: the server's notices are dropped. */
static void pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int pg_open(const char *target, void **ret_handle, struct err *e)
{
	/* Every column of the table but an identity id, in the order the
	 * append functions write them; binary COPY takes each value in its
	 * column's own type (bigint, integer, date, timestamptz, text). */
	static const struct {
		const char *what, *sql;
		int ncols;
	} copies[PGC__COUNT] = {
		[PGC_CASES] = { "opening cases",
				"COPY cases (id, tenant_id, customer_id, currency,"
				" status, strategy_version, strategy, anchor_date,"
				" next_step, opened_on, last_step_on, closed_on,"
				" hold_reason, hold_until, fees_minor)"
				" FROM STDIN (FORMAT binary)",
				15 },
		[PGC_EVENTS] = { "recording events",
				 "COPY case_events (tenant_id, case_id, at, kind,"
				 " detail) FROM STDIN (FORMAT binary)",
				 5 },
		[PGC_ACTIONS] = { "recording actions",
				  "COPY actions (tenant_id, case_id, customer_id,"
				  " step, kind, channel, fallbacks, due_on,"
				  " decided_on, decided_at, amount_minor, currency,"
				  " template, tone, end_action, reason, status)"
				  " FROM STDIN (FORMAT binary)",
				  17 },
	};
	/* The URL is expanded; the application name shows in
	 * pg_stat_activity unless the URL sets one. */
	const char *const keys[] = { "dbname", "fallback_application_name",
				     NULL };
	const char *const vals[] = { target, "dunwell", NULL };
	struct pg *h = xcalloc(1, sizeof(*h));
	char line[ERR_MSG_MAX];
	int r;

	for (int k = 0; k < PGC__COUNT; k++) {
		h->copy[k].what = copies[k].what;
		h->copy[k].sql = copies[k].sql;
		h->copy[k].ncols = copies[k].ncols;
		buf_init(&h->copy[k].data, PG_COPY_MAX);
	}
	h->upsert.what = "recording actions";
	h->upsert.head = "INSERT INTO actions (tenant_id, case_id, customer_id,"
			 " step, kind, channel, fallbacks, due_on, decided_on,"
			 " decided_at, amount_minor, currency, template, tone,"
			 " end_action, reason, status) VALUES ";
	h->upsert.tail = " ON CONFLICT (tenant_id, case_id, step, kind,"
			 " channel) DO NOTHING";
	h->upsert.ncols = 17;
	buf_init(&h->upsert.text, 8 << 20);
	buf_init(&h->new_keys, 1 << 16);
	h->changes = xcalloc(PG_UPDATE_ROWS, sizeof(*h->changes));
	h->case_id_block = 1;
	buf_init(&h->copy_sig, 4096);
	buf_init(&h->copy_line, 64 << 20);

	h->conn = PQconnectdbParams(keys, vals, 1);
	if (!h->conn || PQstatus(h->conn) != CONNECTION_OK) {
		/* libpq's message names host and port, never the password */
		one_line(h->conn ? PQerrorMessage(h->conn) : "out of memory",
			 line, sizeof(line));
		r = err_set(e, ERR_STORE, "postgres: connecting: %s", line);
		goto fail;
	}
	PQsetNoticeProcessor(h->conn, pg_notice, NULL);
	if (PQsetClientEncoding(h->conn, "UTF8") != 0) {
		r = pg_fail(h, NULL, "setting the client encoding", e);
		goto fail;
	}
	/* Dates and instants are exchanged as text: fix their forms. No
	 * JIT: the store's statements are short, and compiling one takes
	 * longer (tens of ms, again at every execution) than it could save;
	 * a plan over a large table crosses jit_above_cost all the same. */
	r = pg_exec(h,
		    "SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD';"
		    " SET client_min_messages = 'warning'; SET jit = off",
		    "setting up the session", e);
	if (r < 0)
		goto fail;
	*ret_handle = h;
	return 0;
fail:
	pg_close(h);
	return r;
}

/* NNNN from "migrations/pg/NNNN_name.sql", or -1. */
static int migration_version(const char *name)
{
	const char *base = strrchr(name, '/');
	int v = 0, digits = 0;
	base = base ? base + 1 : name;
	for (; *base >= '0' && *base <= '9' && digits < 6; base++, digits++)
		v = v * 10 + (*base - '0');
	return digits == 4 && *base == '_' ? v : -1;
}

/* Inside a migration transaction: the lock, and the table it records in. */
static int migrate_lock(struct pg *h, struct err *e)
{
	int r = pg_exec(h, "SELECT pg_advisory_xact_lock(" PG_MIGRATE_LOCK ")",
			"locking for migration", e);
	if (r == 0)
		r = pg_exec(h,
			    "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version integer PRIMARY KEY, name text NOT NULL,"
			    " applied_at timestamptz NOT NULL)",
			    "creating schema_migrations", e);
	return r;
}

static int pg_migrate(void *hv, int *ret_applied, int *ret_version,
		      struct err *e)
{
	struct pg *h = hv;
	static const char prefix[] = "migrations/pg/";
	struct pg_params p;
	PGresult *res;
	int applied = 0, current, r;

	r = pg_exec(h, "BEGIN", "migrate", e);
	if (r < 0)
		return r;
	r = migrate_lock(h, e);
	if (r < 0)
		goto fail;
	r = pg_run(h, PG_MIGRATION_VERSION, NULL, "reading schema version",
		   &res, e);
	if (r < 0)
		goto fail;
	current = (int)col_int(res, 0, 0);
	PQclear(res);
	r = pg_exec(h, "COMMIT", "migrate", e);
	if (r < 0)
		goto fail;

	for (unsigned long i = 0; i < embedded_count; i++) {
		const struct embedded_file *f = &embedded_files[i];
		int v, done;
		if (strncmp(f->name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		v = migration_version(f->name);
		if (v <= current)
			continue;
		r = pg_exec(h, "BEGIN", "migrate", e);
		if (r < 0)
			return r;
		r = migrate_lock(h, e);
		if (r < 0)
			goto fail;
		/* Another process may have migrated meanwhile. */
		p_init(&p);
		p_int(&p, v);
		r = pg_run(h, PG_MIGRATION_DONE, &p, "migrate", &res, e);
		if (r < 0)
			goto fail;
		done = PQntuples(res) > 0;
		PQclear(res);
		if (!done) {
			r = pg_exec(h, f->data, "migrate", e);
			if (r < 0) {
				err_prefix(e, "migration %s: ", f->name);
				goto fail;
			}
			p_init(&p);
			p_int(&p, v);
			p_text(&p, f->name + sizeof(prefix) - 1);
			r = pg_do(h, PG_MIGRATION_RECORD, &p,
				  "recording migration", e);
			if (r < 0)
				goto fail;
			applied++;
		}
		r = pg_exec(h, "COMMIT", "migrate", e);
		if (r < 0)
			goto fail;
		current = v;
	}
	*ret_applied = applied;
	*ret_version = current;
	return 0;
fail:
	PQclear(PQexec(h->conn, "ROLLBACK"));
	return r;
}

/*
 * READ COMMITTED, whatever the server's default: every statement sees what
 * was committed before it began, which is what the store's writes are built
 * for (upserts and ON CONFLICT DO NOTHING keyed by external ids and action
 * keys, row locks where a read is followed by a write, FOR UPDATE SKIP
 * LOCKED for claiming run ranges). Under REPEATABLE READ or SERIALIZABLE
 * those same statements could fail with serialization errors whenever
 * workers touch the same rows, and no caller retries a transaction.
 */
/* A transaction ended or began: no case is new any more. */
static void new_case_forget(struct pg *h)
{
	h->new_case = 0;
	h->n_new_keys = 0;
	buf_reset(&h->new_keys);
}

static int pg_begin(void *hv, struct err *e)
{
	struct pg *h = hv;
	int r = pg_exec(h, "BEGIN ISOLATION LEVEL READ COMMITTED", "begin", e);
	new_case_forget(h);
	if (r == 0)
		h->in_tx = 1;
	return r;
}

static int pg_commit(void *hv, struct err *e)
{
	struct pg *h = hv;
	PGresult *res;
	int r = flush_all(h, e);

	new_case_forget(h);
	if (r < 0)
		return r;
	res = PQexec(h->conn, "COMMIT");
	if (!res_ok(res))
		r = pg_fail(h, res, "commit", e);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		/* the server ended a failed transaction with ROLLBACK */
		r = err_set(e, ERR_STORE, "postgres: commit: the transaction"
			    " was rolled back after an earlier error");
	PQclear(res);
	if (PQtransactionStatus(h->conn) == PQTRANS_IDLE)
		h->in_tx = 0;
	return r;
}

/* Safe outside a transaction, and after a failed one. */
static int pg_rollback(void *hv)
{
	struct pg *h = hv;
	PGresult *res;
	int r;

	for (int k = 0; k < PGC__COUNT; k++)
		copy_reset(&h->copy[k]);
	batch_reset(&h->upsert);
	h->n_changes = 0;
	new_case_forget(h);
	h->in_tx = 0;
	if (h->copy_active) {
		/* abandon the rows sent: the COPY fails, as it should */
		h->copy_active = 0;
		PQputCopyEnd(h->conn, "rolled back");
		while ((res = PQgetResult(h->conn)))
			PQclear(res);
	}
	if (PQtransactionStatus(h->conn) == PQTRANS_IDLE)
		return 0;
	res = PQexec(h->conn, "ROLLBACK");
	r = res_ok(res) ? 0 : -ERR_STORE;
	PQclear(res);
	return r;
}

/* For an operation of several statements called outside a transaction:
 * one of its own, so that it is all or nothing. */
static int own_tx_begin(struct pg *h, int *ret_own, struct err *e)
{
	int r = 0;
	*ret_own = 0;
	if (!h->in_tx) {
		r = pg_begin(h, e);
		*ret_own = r == 0;
	}
	return r;
}

static int own_tx_end(struct pg *h, int own, int r, struct err *e)
{
	if (!own)
		return r;
	if (r == 0)
		r = pg_commit(h, e);
	if (r < 0)
		pg_rollback(h);
	return r;
}

static int pg_tenant_ensure(void *hv, const char *slug, const char *name,
			    const char *timezone, const char *locale,
			    int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_text(&p, slug);
	p_text(&p, name);
	p_text(&p, timezone);
	p_text(&p, locale);
	r = pg_run(h, PG_TENANT_INSERT, &p, "saving tenant", &res, e);
	if (r < 0)
		return r;
	*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static void read_tenant(const PGresult *res, int row, struct tenant_rec *t)
{
	t->id = col_int(res, row, 0);
	t->slug = col_dup(res, row, 1);
	t->name = col_dup(res, row, 2);
	t->timezone = col_dup(res, row, 3);
	t->locale = col_dup(res, row, 4);
}

static int pg_tenant_get(void *hv, const char *slug, struct tenant_rec *ret,
			 struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_text(&p, slug);
	r = pg_run(h, PG_TENANT_GET, &p, "reading tenant", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_NOTFOUND, "no tenant '%s'", slug);
	else
		read_tenant(res, 0, ret);
	PQclear(res);
	return r;
}

static int pg_tenant_list(void *hv, struct tenant_rec **ret, size_t *ret_n,
			  struct err *e)
{
	struct pg *h = hv;
	struct tenant_rec *list = NULL;
	PGresult *res;
	int n, r;

	r = pg_run(h, PG_TENANT_LIST, NULL, "listing tenants", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_tenant(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

/* The customer's row, then its contact points replaced: the row is the
 * customer's whole truth. */
static int customer_write(struct pg *h, const struct customer_rec *c,
			  int64_t *ret_id, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int64_t id;
	int r;

	p_init(&p);
	p_int(&p, c->tenant_id);
	p_text(&p, c->external_id);
	p_text(&p, c->name);
	p_text(&p, c->locale);
	p_text(&p, c->timezone);
	p_text(&p, c->country ? c->country : "");
	p_text(&p, c->segments ? c->segments : "");
	p_bool(&p, c->vulnerable);
	p_bool(&p, c->do_not_contact);
	p_bool(&p, c->deceased);
	p_bool(&p, c->plain_language);
	p_date(&p, c->moratorium_until);
	p_date(&p, c->customer_since);
	r = pg_run(h, PG_CUSTOMER_UPSERT, &p, "saving customer", &res, e);
	if (r < 0)
		return r;
	id = col_int(res, 0, 0);
	PQclear(res);

	p_init(&p);
	p_int(&p, c->tenant_id);
	p_int(&p, id);
	r = pg_do(h, PG_CONTACTS_DELETE, &p, "saving contact points", e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_contacts; i++) {
		const struct contact_rec *cp = &c->contacts[i];
		p_init(&p);
		p_int(&p, c->tenant_id);
		p_int(&p, id);
		p_text(&p, channel_name(cp->channel));
		p_text(&p, cp->address ? cp->address : "");
		p_bool(&p, cp->consent);
		p_int(&p, cp->preference);
		r = pg_do(h, PG_CONTACT_INSERT, &p, "saving contact point", e);
		if (r < 0)
			return r;
	}
	*ret_id = id;
	return 0;
}

static int pg_customer_upsert(void *hv, const struct customer_rec *c,
			      int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	int64_t id = 0;
	int own, r;

	r = own_tx_begin(h, &own, e);
	if (r < 0)
		return r;
	r = own_tx_end(h, own, customer_write(h, c, &id, e), e);
	if (r == 0)
		*ret_id = id;
	return r;
}

static int pg_customer_get(void *hv, int64_t tenant_id,
			   const char *external_id, struct customer_rec *ret,
			   struct err *e)
{
	struct pg *h = hv;
	struct customer_rec c;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, external_id);
	r = pg_run(h, PG_CUSTOMER_GET, &p, "reading customer", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return err_set(e, ERR_NOTFOUND, "no customer '%s'", external_id);
	}
	memset(&c, 0, sizeof(c));
	c.id = col_int(res, 0, 0);
	c.tenant_id = col_int(res, 0, 1);
	c.external_id = col_dup(res, 0, 2);
	c.name = col_dup(res, 0, 3);
	c.locale = col_dup(res, 0, 4);
	c.timezone = col_dup(res, 0, 5);
	c.country = col_dup(res, 0, 6);
	c.segments = col_dup(res, 0, 7);
	c.vulnerable = col_bool(res, 0, 8);
	c.do_not_contact = col_bool(res, 0, 9);
	c.deceased = col_bool(res, 0, 10);
	c.plain_language = col_bool(res, 0, 11);
	c.moratorium_until = col_date(res, 0, 12);
	c.customer_since = col_date(res, 0, 13);
	PQclear(res);

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, c.id);
	r = pg_run(h, PG_CONTACTS_GET, &p, "reading contact points", &res, e);
	if (r < 0) {
		customer_rec_clear(&c);
		return r;
	}
	n = PQntuples(res);
	if (n > 0)
		c.contacts = xcalloc((size_t)n, sizeof(*c.contacts));
	for (int i = 0; i < n; i++) {
		struct contact_rec *cp;
		enum channel ch;
		if (channel_parse(col_text(res, i, 0), &ch) < 0)
			continue;
		cp = &c.contacts[c.n_contacts++];
		cp->channel = ch;
		cp->address = col_dup(res, i, 1);
		cp->consent = col_bool(res, i, 2);
		cp->preference = (int)col_int(res, i, 3);
	}
	PQclear(res);
	*ret = c;
	return 0;
}

static int pg_customer_id(void *hv, int64_t tenant_id, const char *external_id,
			  int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, external_id);
	r = pg_run(h, PG_CUSTOMER_ID, &p, "reading customer", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_NOTFOUND, "no customer '%s'", external_id);
	else
		*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return r;
}

static int pg_invoice_upsert(void *hv, const struct invoice_rec *inv,
			     int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, inv->tenant_id);
	p_int(&p, inv->customer_id);
	p_text(&p, inv->external_id);
	p_text(&p, inv->number);
	p_date(&p, inv->issue_date);
	p_date(&p, inv->due_date);
	p_int(&p, inv->amount_minor);
	p_int(&p, inv->open_minor);
	p_text(&p, inv->currency);
	p_text(&p, inv->payment_reference ? inv->payment_reference : "");
	p_bool(&p, inv->disputed);
	p_text(&p, inv->document_url ? inv->document_url : "");
	r = pg_run(h, PG_INVOICE_UPSERT, &p, "saving invoice", &res, e);
	if (r < 0)
		return r;
	*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* An invoice row (PG_INVOICE_COLS). */
static void read_invoice(const PGresult *res, int row,
			 struct invoice_rec *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->id = col_int(res, row, 0);
	inv->tenant_id = col_int(res, row, 1);
	inv->customer_id = col_int(res, row, 2);
	inv->external_id = col_dup(res, row, 3);
	inv->number = col_dup(res, row, 4);
	inv->issue_date = col_date(res, row, 5);
	inv->due_date = col_date(res, row, 6);
	inv->amount_minor = col_int(res, row, 7);
	inv->open_minor = col_int(res, row, 8);
	col_currency(res, row, 9, inv->currency);
	inv->payment_reference = col_dup(res, row, 10);
	inv->disputed = col_bool(res, row, 11);
	inv->document_url = col_dup(res, row, 12);
}

static int get_one_invoice(struct pg *h, enum pg_stmt which,
			   int64_t tenant_id, const char *key,
			   struct invoice_rec *ret, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, key);
	r = pg_run(h, which, &p, "reading invoice", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_NOTFOUND, "no invoice '%s'", key);
	else
		read_invoice(res, 0, ret);
	PQclear(res);
	return r;
}

static int pg_invoice_get(void *hv, int64_t tenant_id, const char *external_id,
			  struct invoice_rec *ret, struct err *e)
{
	return get_one_invoice(hv, PG_INVOICE_GET, tenant_id, external_id, ret,
			       e);
}

static int pg_invoice_find_ref(void *hv, int64_t tenant_id, const char *ref,
			       struct invoice_rec *ret, struct err *e)
{
	return get_one_invoice(hv, PG_INVOICE_REF, tenant_id, ref, ret, e);
}

static int pg_invoices_open(void *hv, int64_t tenant_id, int64_t customer_id,
			    const char *currency, struct invoice_rec **ret,
			    size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct invoice_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	p_text(&p, currency);
	r = pg_run(h, PG_INVOICES_OPEN, &p, "reading open invoices", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_invoice(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_invoice_set_open(void *hv, int64_t tenant_id, int64_t invoice_id,
			       int64_t open_minor, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, invoice_id);
	p_int(&p, open_minor);
	return pg_do(hv, PG_INVOICE_SET_OPEN, &p, "updating invoice", e);
}

static int pg_invoice_write_off(void *hv, int64_t tenant_id,
				int64_t invoice_id, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, invoice_id);
	return pg_do(hv, PG_INVOICE_WRITE_OFF, &p, "writing off invoice", e);
}

static int pg_payment_insert(void *hv, const struct payment_rec *p,
			     int *ret_inserted, struct err *e)
{
	struct pg *h = hv;
	struct pg_params q;
	PGresult *res;
	int r;

	p_init(&q);
	p_int(&q, p->tenant_id);
	p_text(&q, p->external_id);
	p_int(&q, p->customer_id);
	if (p->invoice_id)
		p_int(&q, p->invoice_id);
	else
		p_text(&q, NULL);
	p_int(&q, p->amount_minor);
	p_text(&q, p->currency);
	p_date(&q, p->paid_on);
	p_text(&q, p->method ? p->method : "");
	r = pg_run(h, PG_PAYMENT_INSERT, &q, "saving payment", &res, e);
	if (r < 0)
		return r;
	*ret_inserted = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return 0;
}

/* Number, (deactivate,) insert: under the tenant's row lock, so that two
 * processes loading a strategy at once get versions n and n + 1. */
static int strategy_write(struct pg *h, int64_t tenant_id, const char *source,
			  const char *yaml, int activate, int *ret_version,
			  struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int version, r;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_TENANT_LOCK, &p, "numbering strategy version", &res,
		   e);
	if (r < 0)
		return r;
	PQclear(res);
	r = pg_run(h, PG_STRATEGY_NEXT, &p, "numbering strategy version",
		   &res, e);
	if (r < 0)
		return r;
	version = (int)col_int(res, 0, 0);
	PQclear(res);
	if (activate) {
		r = pg_do(h, PG_STRATEGY_DEACTIVATE, &p, "activating strategy",
			  e);
		if (r < 0)
			return r;
	}
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, version);
	p_text(&p, source);
	p_text(&p, yaml);
	p_bool(&p, activate);
	r = pg_do(h, PG_STRATEGY_INSERT, &p, "saving strategy", e);
	if (r < 0)
		return r;
	*ret_version = version;
	return 0;
}

static int pg_strategy_add(void *hv, int64_t tenant_id, const char *source,
			   const char *yaml, int activate, int *ret_version,
			   struct err *e)
{
	struct pg *h = hv;
	int version = 0, own, r;

	r = own_tx_begin(h, &own, e);
	if (r < 0)
		return r;
	r = own_tx_end(h, own,
		       strategy_write(h, tenant_id, source, yaml, activate,
				      &version, e),
		       e);
	if (r == 0)
		*ret_version = version;
	return r;
}

static int pg_strategy_get(void *hv, int64_t tenant_id, int version,
			   struct strategy_version_rec *ret, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	if (version)
		p_int(&p, version);
	r = pg_run(h, version ? PG_STRATEGY_GET : PG_STRATEGY_GET_ACTIVE, &p,
		   "reading strategy", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		if (version)
			return err_set(e, ERR_NOTFOUND,
				       "no strategy version %d", version);
		return err_set(e, ERR_NOTFOUND,
			       "the tenant has no active strategy; load one"
			       " with 'dunwell strategy load FILE'");
	}
	memset(ret, 0, sizeof(*ret));
	ret->id = col_int(res, 0, 0);
	ret->tenant_id = col_int(res, 0, 1);
	ret->version = (int)col_int(res, 0, 2);
	ret->source = col_dup(res, 0, 3);
	ret->yaml = col_dup(res, 0, 4);
	ret->active = col_bool(res, 0, 5);
	ret->created_at = col_instant(res, 0, 6);
	PQclear(res);
	return 0;
}

/* A case row (PG_CASE_COLS); strings in the arena when there is one. */
static void read_case(const PGresult *res, int row, struct case_rec *c,
		      int64_t tenant_id, struct arena *a)
{
	enum case_status status = CASE_NONE;
	enum hold_reason hold = HOLD_NONE;

	memset(c, 0, sizeof(*c));
	c->tenant_id = tenant_id;
	c->customer_id = col_int(res, row, 0);
	c->id = col_int(res, row, 1);
	col_currency(res, row, 2, c->currency);
	case_status_parse(col_text(res, row, 3), &status);
	c->st.status = status;
	c->strategy_version = col_int(res, row, 4);
	c->strategy = a ? arena_strdup(a, col_text(res, row, 5)) :
			  col_dup(res, row, 5);
	c->st.anchor = col_date(res, row, 6);
	c->st.next_step = (int)col_int(res, row, 7);
	c->st.opened_on = col_date(res, row, 8);
	c->st.last_step_on = col_date(res, row, 9);
	c->closed_on = col_date(res, row, 10);
	hold_reason_parse(col_text(res, row, 11), &hold);
	c->st.hold_reason = hold;
	c->st.hold_until = col_date(res, row, 12);
	c->st.fees_minor = col_int(res, row, 13);
	c->fees_paid_minor = col_int(res, row, 14);
}

/* Find the work customer with this id (customers are ascending). */
static struct work_customer *find_wc(struct work_set *w, int64_t id,
				     size_t *hint)
{
	size_t i = *hint;
	while (i < w->n_customers && w->customers[i].c.id < id)
		i++;
	*hint = i;
	if (i < w->n_customers && w->customers[i].c.id == id)
		return &w->customers[i];
	return NULL;
}

/* The work customer with this id, wherever it is. */
static struct work_customer *find_wc_any(struct work_set *w, int64_t id)
{
	size_t lo = 0, hi = w->n_customers;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->customers[mid].c.id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->n_customers && w->customers[lo].c.id == id)
		return &w->customers[lo];
	return NULL;
}

/* A customer row of the work query: its id and where it is. */
struct row_id {
	int64_t id;
	int row;
};

static int row_id_cmp(const void *a, const void *b)
{
	const struct row_id *x = a, *y = b;
	return (x->id > y->id) - (x->id < y->id);
}

/* $1 tenant, $2..$3 the customer id range, as every work query takes. */
static void p_range(struct pg_params *p, int64_t tenant_id, int64_t from,
		    int64_t to)
{
	p_init(p);
	p_int(p, tenant_id);
	p_int(p, from);
	p_int(p, to);
}

/* Customers of the range merged with their open invoices and cases (both
 * ordered by customer): only those with something open become work. */
static void work_merge(struct work_set *w, const PGresult *res,
		       int64_t tenant_id, struct invoice_rec *invs,
		       size_t n_invs, struct case_rec *cases, size_t n_cases)
{
	size_t ii = 0, ci = 0, cap = 0;
	int n = PQntuples(res);
	struct row_id *order = n ? xcalloc((size_t)n, sizeof(*order)) : NULL;

	for (int row = 0; row < n; row++) {
		order[row].id = col_int(res, row, 0);
		order[row].row = row;
	}
	if (n > 1)
		qsort(order, (size_t)n, sizeof(*order), row_id_cmp);
	for (int k = 0; k < n && (ii < n_invs || ci < n_cases); k++) {
		int64_t id = order[k].id;
		int row = order[k].row;
		struct work_customer *wc;
		struct customer_rec *c;
		size_t i0, c0;
		while (ii < n_invs && invs[ii].customer_id < id)
			ii++; /* an invoice whose customer vanished */
		while (ci < n_cases && cases[ci].customer_id < id)
			ci++;
		i0 = ii;
		c0 = ci;
		while (ii < n_invs && invs[ii].customer_id == id)
			ii++;
		while (ci < n_cases && cases[ci].customer_id == id)
			ci++;
		if (ii == i0 && ci == c0)
			continue;
		w->customers = arena_grow(w->arena, w->customers, &cap,
					  w->n_customers + 1,
					  sizeof(*w->customers));
		wc = &w->customers[w->n_customers++];
		memset(wc, 0, sizeof(*wc));
		wc->invoices = ii > i0 ? &invs[i0] : NULL;
		wc->n_invoices = ii - i0;
		wc->cases = ci > c0 ? &cases[c0] : NULL;
		wc->n_cases = ci - c0;
		c = &wc->c;
		c->id = id;
		c->tenant_id = tenant_id;
		/* name and locale are not needed to decide */
		c->name = NULL;
		c->locale = NULL;
		c->external_id = arena_strdup(w->arena, col_text(res, row, 1));
		c->timezone = arena_strdup(w->arena, col_text(res, row, 2));
		c->country = arena_strdup(w->arena, col_text(res, row, 3));
		c->segments = arena_strdup(w->arena, col_text(res, row, 4));
		c->vulnerable = col_bool(res, row, 5);
		c->do_not_contact = col_bool(res, row, 6);
		c->deceased = col_bool(res, row, 7);
		c->plain_language = col_bool(res, row, 8);
		c->moratorium_until = col_date(res, row, 9);
		c->customer_since = col_date(res, row, 10);
	}
	free(order);
}

/* Does contact a come before b: by preference, then channel name? */
static int contact_before(const struct contact_rec *a,
			  const struct contact_rec *b)
{
	if (a->preference != b->preference)
		return a->preference < b->preference;
	return strcmp(channel_name(a->channel), channel_name(b->channel)) < 0;
}

/* Contact points (channel, consent, preference; no addresses), at most
 * one per channel (the key), in order of preference. */
static void work_contacts(struct work_set *w, const PGresult *res)
{
	int n = PQntuples(res);

	for (int row = 0; row < n; row++) {
		struct work_customer *wc = find_wc_any(w, col_int(res, row, 0));
		struct contact_rec *cp, c;
		enum channel ch;
		size_t k;
		if (!wc || channel_parse(col_text(res, row, 1), &ch) < 0)
			continue;
		if (!wc->c.contacts)
			wc->c.contacts = arena_alloc(
				w->arena, CHANNEL_COUNT * sizeof(*wc->c.contacts));
		if (wc->c.n_contacts >= CHANNEL_COUNT)
			continue;
		c.channel = ch;
		c.address = NULL;
		c.consent = col_bool(res, row, 2);
		c.preference = (int)col_int(res, row, 3);
		/* insert in order: a customer has a few at most */
		cp = wc->c.contacts;
		for (k = wc->c.n_contacts; k > 0 && contact_before(&c, &cp[k - 1]);
		     k--)
			cp[k] = cp[k - 1];
		cp[k] = c;
		wc->c.n_contacts++;
	}
}

/* Invoices tied on everything the scan orders by (customer, currency, due
 * date, open amount, disputed) are put in order of id. */
static void invoices_order_ties(struct invoice_rec *invs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct invoice_rec x = invs[i];
		size_t k = i;
		while (k > 0 && invs[k - 1].customer_id == x.customer_id &&
		       memcmp(invs[k - 1].currency, x.currency, 4) == 0 &&
		       invs[k - 1].due_date == x.due_date &&
		       invs[k - 1].open_minor == x.open_minor &&
		       invs[k - 1].disputed == x.disputed &&
		       invs[k - 1].id > x.id) {
			invs[k] = invs[k - 1];
			k--;
		}
		invs[k] = x;
	}
}

/* Recent contact dates (ordered by customer, then date). */
static void work_history(struct work_set *w, const PGresult *res)
{
	struct work_customer *cur = NULL;
	size_t hint = 0, hcap = 0;
	int n = PQntuples(res);

	for (int row = 0; row < n; row++) {
		int64_t cid = col_int(res, row, 0);
		if (!cur || cur->c.id != cid) {
			cur = find_wc(w, cid, &hint);
			hcap = 0;
		}
		if (!cur)
			continue;
		cur->contacts = arena_grow(w->arena, cur->contacts, &hcap,
					   cur->n_contacts + 1,
					   sizeof(*cur->contacts));
		cur->contacts[cur->n_contacts++] = col_date(res, row, 1);
	}
}

static int pg_work_load(void *hv, int64_t tenant_id, int64_t customer_from,
			int64_t customer_to, date_t contacts_since,
			struct work_set *ret, struct err *e)
{
	struct pg *h = hv;
	struct work_set w = { 0 };
	struct invoice_rec *invs = NULL;
	struct case_rec *cases = NULL;
	size_t n_invs = 0, n_cases = 0;
	struct pg_params p;
	PGresult *res;
	int r;

	r = flush_all(h, e);
	if (r < 0)
		return r;
	w.arena = arena_new();

	/* Open invoices, ordered by customer, currency, due date. */
	p_range(&p, tenant_id, customer_from, customer_to);
	r = pg_run(h, PG_WORK_INVOICES, &p, "loading work", &res, e);
	if (r < 0)
		goto fail;
	n_invs = (size_t)PQntuples(res);
	if (n_invs)
		invs = arena_alloc(w.arena, n_invs * sizeof(*invs));
	for (size_t i = 0; i < n_invs; i++) {
		struct invoice_rec *inv = &invs[i];
		int row = (int)i;
		inv->tenant_id = tenant_id;
		inv->customer_id = col_int(res, row, 0);
		inv->id = col_int(res, row, 1);
		col_currency(res, row, 2, inv->currency);
		inv->due_date = col_date(res, row, 3);
		inv->open_minor = col_int(res, row, 4);
		inv->amount_minor = inv->open_minor;
		inv->disputed = col_bool(res, row, 5);
	}
	PQclear(res);
	invoices_order_ties(invs, n_invs);

	/* Open cases, ordered by customer. */
	r = pg_run(h, PG_WORK_CASES, &p, "loading work", &res, e);
	if (r < 0)
		goto fail;
	n_cases = (size_t)PQntuples(res);
	if (n_cases)
		cases = arena_alloc(w.arena, n_cases * sizeof(*cases));
	for (size_t i = 0; i < n_cases; i++)
		read_case(res, (int)i, &cases[i], tenant_id, w.arena);
	PQclear(res);

	r = pg_run(h, PG_WORK_CUSTOMERS, &p, "loading work", &res, e);
	if (r < 0)
		goto fail;
	work_merge(&w, res, tenant_id, invs, n_invs, cases, n_cases);
	PQclear(res);

	r = pg_run(h, PG_WORK_CONTACTS, &p, "loading work", &res, e);
	if (r < 0)
		goto fail;
	work_contacts(&w, res);
	PQclear(res);

	/* Recent contacts, for the contact policy. */
	p_date(&p, contacts_since);
	r = pg_run(h, PG_WORK_HISTORY, &p, "loading work", &res, e);
	if (r < 0)
		goto fail;
	work_history(&w, res);
	PQclear(res);

	*ret = w;
	return 0;
fail:
	arena_free(w.arena);
	return r;
}

static int pg_customer_id_range(void *hv, int64_t tenant_id, int64_t *ret_min,
				int64_t *ret_max, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(hv, PG_CUSTOMER_RANGE, &p, "reading customer ids", &res, e);
	if (r < 0)
		return r;
	*ret_min = col_int(res, 0, 0);
	*ret_max = col_int(res, 0, 1);
	PQclear(res);
	return 0;
}

/*
 * Case ids are known when case_insert returns, long before the buffered
 * COPY: they come from cases_id_seq, reserved in blocks (1, 2, 4, ... up
 * to PG_CASE_IDS_MAX per round trip), which no other process can be given.
 * Unused ids are kept for the connection's next transactions, rollbacks
 * included (rolled back rows never existed), so one process numbers its
 * cases 1, 2, 3, ... as SQLite does; ids reserved and not used when the
 * connection closes are gaps.
 */
static int next_case_id(struct pg *h, int64_t *ret, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int n, r;

	if (h->next_case_id == h->n_case_ids) {
		p_init(&p);
		p_int(&p, h->case_id_block);
		r = pg_run(h, PG_CASE_IDS, &p, "numbering cases", &res, e);
		if (r < 0)
			return r;
		n = PQntuples(res);
		if (n < 1 || n > PG_CASE_IDS_MAX) {
			PQclear(res);
			return err_set(e, ERR_STORE, "postgres: numbering cases:"
				       " %d ids for %d asked", n,
				       h->case_id_block);
		}
		for (int i = 0; i < n; i++)
			h->case_ids[i] = col_int(res, i, 0);
		PQclear(res);
		h->n_case_ids = n;
		h->next_case_id = 0;
		if (h->case_id_block < PG_CASE_IDS_MAX)
			h->case_id_block *= 2;
	}
	*ret = h->case_ids[h->next_case_id++];
	return 0;
}

static int pg_case_insert(void *hv, const struct case_rec *c, int64_t *ret_id,
			  struct err *e)
{
	struct pg *h = hv;
	struct pg_copy *cp = &h->copy[PGC_CASES];
	struct buf *b = &cp->data;
	size_t mark = b->len;
	int64_t id;
	int t = 0, r;

	if (!h->in_tx)
		return err_set(e, ERR_STORE, "opening a case outside a"
			       " transaction");
	r = next_case_id(h, &id, e);
	if (r < 0)
		return r;
	t |= cp_row(cp);
	t |= cp_int8(b, id);
	t |= cp_int8(b, c->tenant_id);
	t |= cp_int8(b, c->customer_id);
	t |= cp_text(b, c->currency);
	t |= cp_text(b, case_status_name(c->st.status));
	t |= cp_int4(b, (int32_t)c->strategy_version);
	t |= cp_text(b, c->strategy);
	t |= cp_date(b, c->st.anchor);
	t |= cp_int4(b, c->st.next_step);
	t |= cp_date(b, c->st.opened_on);
	t |= cp_date(b, c->st.last_step_on);
	t |= cp_date(b, c->closed_on);
	t |= cp_text(b, hold_reason_name(c->st.hold_reason));
	t |= cp_date(b, c->st.hold_until);
	t |= cp_int8(b, c->st.fees_minor);
	if (cp->nrows == 0)
		h->copied_lo = id;
	h->copied_hi = id;
	r = copy_row_done(h, PGC_CASES, mark, t, e);
	if (r < 0)
		return r;
	/* A fresh id from the sequence: no action refers to it yet. */
	new_case_forget(h);
	h->new_case = id;
	*ret_id = id;
	return 0;
}

/*
 * Inside a transaction a change waits with the appends (and like them is
 * written before anything reads, at commit, or when PG_UPDATE_ROWS wait;
 * see flush_all for the order): a later run changes most open cases, one
 * statement per case would be a round trip each. A second change of the
 * same case replaces the first, as a second UPDATE would; a change of a
 * case still waiting to be copied writes the copies first. Outside a
 * transaction it is written at once.
 */
static int pg_case_update(void *hv, const struct case_rec *c, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	int r;

	if (h->in_tx) {
		struct pg_case_change *ch = NULL;
		if ((h->n_changes > 0 &&
		     h->changes[0].tenant_id != c->tenant_id) ||
		    (h->copy[PGC_CASES].nrows > 0 && c->id >= h->copied_lo &&
		     c->id <= h->copied_hi)) {
			r = flush_all(h, e);
			if (r < 0)
				return r;
		}
		for (int i = 0; i < h->n_changes && !ch; i++)
			if (h->changes[i].id == c->id)
				ch = &h->changes[i];
		if (!ch)
			ch = &h->changes[h->n_changes++];
		ch->tenant_id = c->tenant_id;
		ch->id = c->id;
		ch->status = case_status_name(c->st.status);
		ch->anchor = c->st.anchor;
		ch->next_step = c->st.next_step;
		ch->last_step_on = c->st.last_step_on;
		ch->closed_on = c->closed_on;
		ch->hold_reason = hold_reason_name(c->st.hold_reason);
		ch->hold_until = c->st.hold_until;
		ch->fees_minor = c->st.fees_minor;
		if (h->n_changes == PG_UPDATE_ROWS)
			return flush_all(h, e);
		return 0;
	}
	r = flush_all(h, e);
	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, c->tenant_id);
	p_int(&p, c->id);
	p_text(&p, case_status_name(c->st.status));
	p_date(&p, c->st.anchor);
	p_int(&p, c->st.next_step);
	p_date(&p, c->st.last_step_on);
	p_date(&p, c->closed_on);
	p_text(&p, hold_reason_name(c->st.hold_reason));
	p_date(&p, c->st.hold_until);
	p_int(&p, c->st.fees_minor);
	return pg_do(h, PG_CASE_UPDATE, &p, "updating case", e);
}

static int pg_case_list(void *hv, int64_t tenant_id, int64_t customer_id,
			struct case_rec **ret, size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct case_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	r = flush_all(h, e);
	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	r = pg_run(h, PG_CASE_LIST, &p, "listing cases", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_case(res, i, &list[i], tenant_id, NULL);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

/*
 * Is this action of the case opened last in this transaction? Then it can
 * be copied: no row can hold its key but one recorded since the case was
 * opened, which the list of keys catches (1: copy it; 0: the same key was
 * recorded, so it is kept as it is, as ON CONFLICT DO NOTHING would). Any
 * other action, or one past the list's length, goes by the INSERT ... ON
 * CONFLICT DO NOTHING (-1).
 */
static int new_case_action(struct pg *h, const struct action_rec *a)
{
	const char *kind = action_kind_name(a->kind);
	const char *channel = a->channel ? a->channel : "";
	const char *p = buf_cstr(&h->new_keys);
	struct buf *k = &h->new_keys;
	size_t mark = k->len;

	if (!h->in_tx || h->new_case == 0 || a->case_id != h->new_case)
		return -1;
	for (int i = 0; i < h->n_new_keys; i++) {
		const char *s = p, *kd = s + strlen(s) + 1;
		const char *ch = kd + strlen(kd) + 1;
		if (strcmp(s, a->step) == 0 && strcmp(kd, kind) == 0 &&
		    strcmp(ch, channel) == 0)
			return 0;
		p = ch + strlen(ch) + 1;
	}
	if (h->n_new_keys == PG_NEW_KEYS_MAX ||
	    buf_append(k, a->step, strlen(a->step) + 1) < 0 ||
	    buf_append(k, kind, strlen(kind) + 1) < 0 ||
	    buf_append(k, channel, strlen(channel) + 1) < 0) {
		k->len = mark;
		if (k->data)
			k->data[mark] = '\0';
		return -1;
	}
	h->n_new_keys++;
	return 1;
}

static int pg_action_insert(void *hv, const struct action_rec *a,
			    struct err *e)
{
	struct pg *h = hv;
	int t = 0, how = new_case_action(h, a);

	if (how == 0)
		return 0;
	if (how > 0) {
		struct pg_copy *cp = &h->copy[PGC_ACTIONS];
		struct buf *b = &cp->data;
		size_t mark = b->len;
		t |= cp_row(cp);
		t |= cp_int8(b, a->tenant_id);
		t |= cp_int8(b, a->case_id);
		t |= cp_int8(b, a->customer_id);
		t |= cp_text(b, a->step);
		t |= cp_text(b, action_kind_name(a->kind));
		t |= cp_text(b, a->channel ? a->channel : "");
		t |= cp_text(b, a->fallbacks ? a->fallbacks : "");
		t |= cp_date(b, a->due_on);
		t |= cp_date(b, a->decided_on);
		t |= cp_instant(b, a->decided_at);
		t |= cp_int8(b, a->amount_minor);
		t |= cp_text(b, a->currency);
		t |= cp_text(b, a->template_id ? a->template_id : "");
		t |= cp_text(b, a->tone ? a->tone : "");
		t |= cp_text(b, a->end_action ? a->end_action : "");
		t |= cp_text(b, a->reason ? a->reason : "");
		t |= cp_text(b, a->status);
		return copy_row_done(h, PGC_ACTIONS, mark, t, e);
	}

	struct pg_batch *b = &h->upsert;
	t |= batch_int(b, 0, a->tenant_id);
	t |= batch_int(b, 1, a->case_id);
	t |= batch_int(b, 2, a->customer_id);
	t |= batch_text(b, 3, a->step);
	t |= batch_text(b, 4, action_kind_name(a->kind));
	t |= batch_text(b, 5, a->channel ? a->channel : "");
	t |= batch_text(b, 6, a->fallbacks ? a->fallbacks : "");
	t |= batch_date(b, 7, a->due_on);
	t |= batch_date(b, 8, a->decided_on);
	t |= batch_instant(b, 9, a->decided_at);
	t |= batch_int(b, 10, a->amount_minor);
	t |= batch_text(b, 11, a->currency);
	t |= batch_text(b, 12, a->template_id ? a->template_id : "");
	t |= batch_text(b, 13, a->tone ? a->tone : "");
	t |= batch_text(b, 14, a->end_action ? a->end_action : "");
	t |= batch_text(b, 15, a->reason ? a->reason : "");
	t |= batch_text(b, 16, a->status);
	return batch_row_done(h, t, e);
}

static int pg_event_append(void *hv, const struct event_rec *ev,
			   struct err *e)
{
	struct pg *h = hv;
	struct pg_copy *cp = &h->copy[PGC_EVENTS];
	struct buf *b = &cp->data;
	size_t mark = b->len;
	int t = 0;

	t |= cp_row(cp);
	t |= cp_int8(b, ev->tenant_id);
	t |= cp_int8(b, ev->case_id);
	t |= cp_instant(b, ev->at);
	t |= cp_text(b, ev->kind);
	t |= cp_text(b, ev->detail ? ev->detail : "{}");
	return copy_row_done(h, PGC_EVENTS, mark, t, e);
}

static int pg_case_history(void *hv, int64_t tenant_id, int64_t case_id,
			   store_history_cb cb, void *ctx, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int n, r;

	r = flush_all(h, e);
	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	r = pg_run(h, PG_CASE_HISTORY, &p, "reading case history", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; i < n; i++) {
		struct history_rec hr;
		hr.at = col_instant(res, i, 0);
		hr.on = col_date(res, i, 1);
		hr.what = col_text(res, i, 2);
		hr.kind = col_text(res, i, 3);
		hr.step = col_text(res, i, 4);
		hr.channel = col_text(res, i, 5);
		hr.amount_minor = col_int(res, i, 6);
		hr.currency = col_text(res, i, 7);
		hr.detail = col_text(res, i, 8);
		if (cb(ctx, &hr))
			break;
	}
	PQclear(res);
	return 0;
}

static int pg_stats(void *hv, int64_t tenant_id, struct store_stats *ret,
		    struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_STATS, &p, "counting", &res, e);
	if (r < 0)
		return r;
	memset(ret, 0, sizeof(*ret));
	ret->tenants = col_int(res, 0, 0);
	ret->customers = col_int(res, 0, 1);
	ret->invoices = col_int(res, 0, 2);
	ret->open_invoices = col_int(res, 0, 3);
	ret->payments = col_int(res, 0, 4);
	ret->cases_open = col_int(res, 0, 5);
	ret->cases_closed = col_int(res, 0, 6);
	ret->actions = col_int(res, 0, 7);
	ret->events = col_int(res, 0, 8);
	PQclear(res);
	return 0;
}

/* The ranges after the last one, up to the largest customer id; under the
 * tenant's row lock, so that workers ensuring at once agree. */
static int ranges_write(struct pg *h, int64_t tenant_id, int64_t size,
			struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int64_t lo, hi, start;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_TENANT_LOCK, &p, "adding run ranges", &res, e);
	if (r < 0)
		return r;
	PQclear(res);
	r = pg_run(h, PG_CUSTOMER_RANGE, &p, "reading run ranges", &res, e);
	if (r < 0)
		return r;
	lo = col_int(res, 0, 0);
	hi = col_int(res, 0, 1);
	PQclear(res);
	r = pg_run(h, PG_RANGE_MAX_TO, &p, "reading run ranges", &res, e);
	if (r < 0)
		return r;
	start = col_int(res, 0, 0);
	PQclear(res);
	/* Existing ranges stay as they are; new ones continue after the
	 * last, so ranges never overlap whatever size other workers use. */
	if (start == 0)
		start = lo;
	if (lo == 0 || start > hi)
		return 0;
	p_int(&p, size);
	p_int(&p, start);
	p_int(&p, hi);
	return pg_do(h, PG_RANGE_INSERT, &p, "adding run ranges", e);
}

static int pg_ranges_ensure(void *hv, int64_t tenant_id, int64_t size,
			    struct err *e)
{
	struct pg *h = hv;
	int r;

	if (size <= 0)
		return err_set(e, ERR_RANGE, "range size must be positive");
	r = pg_begin(h, e);
	if (r < 0)
		return r;
	r = ranges_write(h, tenant_id, size, e);
	if (r == 0)
		r = pg_commit(h, e);
	if (r < 0)
		pg_rollback(h);
	return r;
}

static int range_select(struct pg *h, enum pg_stmt which, int64_t tenant_id,
			int64_t after, instant_t as_of, int64_t *ret_from,
			int64_t *ret_to, int *ret_found, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_instant(&p, as_of);
	if (which == PG_RANGE_PEEK)
		p_int(&p, after);
	r = pg_run(h, which, &p, "claiming a run range", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) > 0) {
		*ret_from = col_int(res, 0, 0);
		*ret_to = col_int(res, 0, 1);
		*ret_found = 1;
	} else {
		*ret_found = 0;
	}
	PQclear(res);
	return 0;
}

static int pg_range_claim(void *hv, int64_t tenant_id, instant_t as_of,
			  int64_t *ret_from, int64_t *ret_to, int *ret_found,
			  struct err *e)
{
	struct pg *h = hv;
	if (!h->in_tx)
		return err_set(e, ERR_STORE, "claiming a range outside a"
			       " transaction");
	return range_select(h, PG_RANGE_CLAIM, tenant_id, 0, as_of, ret_from,
			    ret_to, ret_found, e);
}

static int pg_range_peek(void *hv, int64_t tenant_id, int64_t after,
			 instant_t as_of, int64_t *ret_from, int64_t *ret_to,
			 int *ret_found, struct err *e)
{
	return range_select(hv, PG_RANGE_PEEK, tenant_id, after, as_of,
			    ret_from, ret_to, ret_found, e);
}

static int pg_range_done(void *hv, int64_t tenant_id, int64_t from,
			 instant_t as_of, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, from);
	p_instant(&p, as_of);
	return pg_do(hv, PG_RANGE_DONE, &p, "recording a run range", e);
}

/*
 * Copying a whole store (`dunwell migrate --to`, store_copy_all). Table
 * names are checked against the list below and column names to be plain
 * identifiers before either is put into SQL; values are never in SQL: they
 * are sent as COPY data. Rows come from and go to the other backend in the
 * exchange forms (store_row_cb): flags '0'/'1', dates 'YYYY-MM-DD',
 * instants 'YYYY-MM-DDTHH:MM:SSZ'; PostgreSQL's input accepts all three for
 * boolean, date and timestamptz, and rows_read converts its own output.
 */

static int pg_settings_get(void *hv, int64_t tenant_id,
			   struct setting_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct pg *h = hv;
	struct setting_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_SETTINGS_GET, &p, "reading tenant settings", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].key = col_dup(res, i, 0);
		list[i].value = col_dup(res, i, 1);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_setting_put(void *hv, int64_t tenant_id, const char *key,
			  const char *value, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, key);
	if (value)
		p_text(&p, value);
	return pg_do(hv, value ? PG_SETTING_PUT : PG_SETTING_DELETE, &p,
		     "writing a tenant setting", e);
}

static void p_template_key(struct pg_params *p, int64_t tenant_id,
			   const char *locale, const char *template_id,
			   const char *variant)
{
	p_init(p);
	p_int(p, tenant_id);
	p_text(p, locale);
	p_text(p, template_id);
	p_text(p, variant);
}

static int pg_template_get(void *hv, int64_t tenant_id, const char *locale,
			   const char *template_id, const char *variant,
			   char **ret_source, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_template_key(&p, tenant_id, locale, template_id, variant);
	r = pg_run(hv, PG_TEMPLATE_GET, &p, "reading a template", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = -ERR_NOTFOUND;
	else
		*ret_source = col_dup(res, 0, 0);
	PQclear(res);
	return r;
}

static int pg_template_put(void *hv, int64_t tenant_id, const char *locale,
			   const char *template_id, const char *variant,
			   const char *source, struct err *e)
{
	struct pg_params p;
	p_template_key(&p, tenant_id, locale, template_id, variant);
	if (source)
		p_text(&p, source);
	return pg_do(hv, source ? PG_TEMPLATE_PUT : PG_TEMPLATE_DELETE, &p,
		     "writing a template", e);
}

/* ---- the outbox ---- */

static void read_message(const PGresult *res, int row, struct message_rec *m)
{
	m->id = col_int(res, row, 0);
	m->tenant_id = col_int(res, row, 1);
	m->case_id = col_int(res, row, 2);
	m->customer_id = col_int(res, row, 3);
	m->step = col_dup(res, row, 4);
	m->channel = col_dup(res, row, 5);
	m->fallbacks = col_dup(res, row, 6);
	m->template_id = col_dup(res, row, 7);
	m->tone = col_dup(res, row, 8);
	m->status = col_dup(res, row, 9);
	m->not_before = col_instant(res, row, 10);
	m->attempts = (int)col_int(res, row, 11);
	m->lease_until = col_instant(res, row, 12);
	m->lease_owner = col_dup(res, row, 13);
	m->idempotency_key = col_dup(res, row, 14);
	m->provider = col_dup(res, row, 15);
	m->provider_id = col_dup(res, row, 16);
	m->last_error = col_dup(res, row, 17);
	m->link_hash = col_dup(res, row, 18);
	m->created_at = col_instant(res, row, 19);
	m->sent_at = col_instant(res, row, 20);
}

static int pg_outbox_fill(void *hv, int64_t tenant_id, instant_t now,
			  int limit, int *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r, n;

	p_init(&p);
	p_int(&p, tenant_id);
	p_instant(&p, now);
	p_int(&p, limit);
	r = pg_run(h, PG_OUTBOX_FILL, &p, "filling the outbox", &res, e);
	if (r < 0)
		return r;
	n = (int)strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	p_init(&p);
	p_int(&p, tenant_id);
	p_instant(&p, now);
	r = pg_do(h, PG_OUTBOX_EVENTS, &p, "recording queued messages", e);
	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_do(h, PG_OUTBOX_MARK, &p, "marking actions handed to the outbox",
		  e);
	if (r == 0)
		*ret_n = n;
	return r;
}

static int pg_outbox_claim(void *hv, int64_t tenant_id, instant_t now,
			   instant_t lease_until, const char *owner, int limit,
			   struct message_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct pg *h = hv;
	struct message_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_instant(&p, now);
	p_instant(&p, lease_until);
	p_text(&p, owner);
	p_int(&p, limit);
	r = pg_run(h, PG_OUTBOX_CLAIM, &p, "claiming messages", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_message(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_outbox_update(void *hv, const struct message_rec *m,
			    const char *owner, instant_t now, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, m->tenant_id);
	p_int(&p, m->id);
	p_text(&p, m->status);
	p_instant(&p, m->not_before);
	p_int(&p, m->attempts);
	p_text(&p, m->provider ? m->provider : "");
	p_text(&p, m->provider_id ? m->provider_id : "");
	p_text(&p, m->last_error ? m->last_error : "");
	p_text(&p, m->link_hash ? m->link_hash : "");
	if (m->sent_at)
		p_instant(&p, m->sent_at);
	else
		p_text(&p, NULL);
	p_instant(&p, now);
	p_text(&p, owner);
	r = pg_run(h, PG_OUTBOX_UPDATE, &p, "updating a message", &res, e);
	if (r < 0)
		return r;
	if (strcmp(PQcmdTuples(res), "0") == 0)
		r = err_set(e, ERR_CONFLICT, "message %lld: the lease was taken"
			    " over by another dispatcher", (long long)m->id);
	PQclear(res);
	return r;
}

static int pg_outbox_insert(void *hv, const struct message_rec *m,
			    instant_t now, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, m->tenant_id);
	p_int(&p, m->case_id);
	p_int(&p, m->customer_id);
	p_text(&p, m->step);
	p_text(&p, m->channel);
	p_text(&p, m->fallbacks ? m->fallbacks : "");
	p_text(&p, m->template_id ? m->template_id : "");
	p_text(&p, m->tone ? m->tone : "");
	p_text(&p, m->status);
	p_instant(&p, m->not_before);
	p_text(&p, m->idempotency_key);
	p_instant(&p, now);
	return pg_do(hv, PG_OUTBOX_INSERT, &p, "adding a message", e);
}

static int pg_outbox_sent_since(void *hv, int64_t tenant_id,
				int64_t customer_id, instant_t since,
				struct sent_rec **ret, size_t *ret_n,
				struct err *e)
{
	struct sent_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	p_instant(&p, since);
	r = pg_run(hv, PG_OUTBOX_SENT, &p, "reading sent messages", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].sent_at = col_instant(res, i, 0);
		list[i].case_id = col_int(res, i, 1);
		list[i].step = col_dup(res, i, 2);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_customer_external_id(void *hv, int64_t tenant_id, int64_t id,
				   char **ret, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, id);
	r = pg_run(hv, PG_CUSTOMER_EXTERNAL, &p, "reading a customer", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_NOTFOUND, "no customer with id %lld",
			    (long long)id);
	else
		*ret = col_dup(res, 0, 0);
	PQclear(res);
	return r;
}

static int pg_outbox_find_provider(void *hv, int64_t tenant_id,
				   const char *provider,
				   const char *provider_id,
				   struct message_rec *ret, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, provider);
	p_text(&p, provider_id);
	r = pg_run(hv, PG_OUTBOX_FIND_PROVIDER, &p, "finding a message", &res,
		   e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = -ERR_NOTFOUND;
	} else {
		memset(ret, 0, sizeof(*ret));
		read_message(res, 0, ret);
	}
	PQclear(res);
	return r;
}

static int pg_outbox_set_status(void *hv, int64_t tenant_id, int64_t id,
				const char *status, const char *error,
				instant_t now, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, id);
	p_text(&p, status);
	p_text(&p, error ? error : "");
	p_instant(&p, now);
	return pg_do(hv, PG_OUTBOX_SET_STATUS, &p, "updating a message", e);
}

static int pg_link_insert(void *hv, int64_t tenant_id, const char *token_hash,
			  int64_t case_id, int64_t customer_id,
			  instant_t created, instant_t expires, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_text(&p, token_hash);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_int(&p, customer_id);
	p_instant(&p, created);
	p_instant(&p, expires);
	return pg_do(hv, PG_LINK_INSERT, &p, "recording a link", e);
}

/* ---- the JSON API (migration 0006) ---- */

static int pg_apikey_insert(void *hv, int64_t tenant_id, const char *prefix,
			    const char *hash, const char *scopes,
			    instant_t now, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, prefix);
	p_text(&p, hash);
	p_text(&p, scopes);
	p_instant(&p, now);
	return pg_do(hv, PG_APIKEY_INSERT, &p, "recording an API key", e);
}

static void read_apikey(const PGresult *res, int row, struct apikey_rec *k)
{
	memset(k, 0, sizeof(*k));
	k->id = col_int(res, row, 0);
	k->tenant_id = col_int(res, row, 1);
	k->prefix = col_dup(res, row, 2);
	k->scopes = col_dup(res, row, 3);
	k->created_at = col_instant(res, row, 4);
	k->revoked_at = col_instant(res, row, 5);
}

static int pg_apikey_find(void *hv, const char *hash, struct apikey_rec *ret,
			  struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_text(&p, hash);
	r = pg_run(hv, PG_APIKEY_FIND, &p, "reading an API key", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = -ERR_NOTFOUND;
	else
		read_apikey(res, 0, ret);
	PQclear(res);
	return r;
}

static int pg_apikey_list(void *hv, int64_t tenant_id,
			  struct apikey_rec **ret, size_t *ret_n,
			  struct err *e)
{
	struct apikey_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(hv, PG_APIKEY_LIST, &p, "listing API keys", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_apikey(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_apikey_revoke(void *hv, int64_t tenant_id, const char *prefix,
			    instant_t now, int *ret_found, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, prefix);
	p_instant(&p, now);
	r = pg_run(hv, PG_APIKEY_REVOKE, &p, "revoking an API key", &res, e);
	if (r < 0)
		return r;
	*ret_found = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return 0;
}

static int pg_customer_list(void *hv, int64_t tenant_id, const char *after,
			    int limit, char ***ret, size_t *ret_n,
			    struct err *e)
{
	char **list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, after);
	p_int(&p, limit);
	r = pg_run(hv, PG_CUSTOMER_LIST, &p, "listing customers", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		list[i] = col_dup(res, i, 0);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_invoice_list(void *hv, int64_t tenant_id, int64_t customer_id,
			   const char *after, int limit,
			   struct invoice_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct invoice_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	p_text(&p, after);
	p_int(&p, limit);
	r = pg_run(hv, PG_INVOICE_LIST, &p, "listing invoices", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_invoice(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static void p_idem_key(struct pg_params *p, int64_t tenant_id,
		       const char *key)
{
	p_init(p);
	p_int(p, tenant_id);
	p_text(p, key);
}

static int pg_idem_claim(void *hv, int64_t tenant_id, const char *key,
			 const char *request_hash, instant_t now,
			 int *ret_claimed, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_idem_key(&p, tenant_id, key);
	p_text(&p, request_hash);
	p_instant(&p, now);
	r = pg_run(hv, PG_IDEM_CLAIM, &p, "recording an idempotency key", &res,
		   e);
	if (r < 0)
		return r;
	*ret_claimed = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return 0;
}

static int pg_idem_get(void *hv, int64_t tenant_id, const char *key,
		       struct idem_rec *ret, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_idem_key(&p, tenant_id, key);
	r = pg_run(hv, PG_IDEM_GET, &p, "reading an idempotency key", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = -ERR_NOTFOUND;
	} else {
		memset(ret, 0, sizeof(*ret));
		ret->request_hash = col_dup(res, 0, 0);
		ret->status = (int)col_int(res, 0, 1);
		ret->response_body = col_dup(res, 0, 2);
		ret->created_at = col_instant(res, 0, 3);
	}
	PQclear(res);
	return r;
}

static int pg_idem_finish(void *hv, int64_t tenant_id, const char *key,
			  int status, const char *body, struct err *e)
{
	struct pg_params p;
	p_idem_key(&p, tenant_id, key);
	p_int(&p, status);
	p_text(&p, body);
	return pg_do(hv, PG_IDEM_FINISH, &p, "storing an idempotent answer", e);
}

static int pg_idem_delete(void *hv, int64_t tenant_id, const char *key,
			  struct err *e)
{
	struct pg_params p;
	p_idem_key(&p, tenant_id, key);
	return pg_do(hv, PG_IDEM_DELETE, &p, "forgetting an idempotency key",
		     e);
}

/* The tables that can be copied (store_tables()), the key they are read in,
 * and whether their id column is an identity that copy_finish must move
 * past the copied ids. */
static const struct {
	const char *table;
	const char *order;
	int identity;
} pg_tables[] = {
	{ "tenants", "id", 1 },
	{ "customers", "tenant_id, id", 1 },
	{ "contact_points", "tenant_id, customer_id, channel", 0 },
	{ "invoices", "tenant_id, id", 1 },
	{ "payments", "tenant_id, id", 1 },
	{ "strategy_versions", "tenant_id, id", 1 },
	{ "cases", "tenant_id, id", 1 },
	{ "case_events", "tenant_id, id", 1 },
	{ "actions", "tenant_id, case_id, step, kind, channel", 0 },
	{ "run_ranges", "tenant_id, range_from", 0 },
	{ "tenant_settings", "tenant_id, key", 0 },
	{ "templates", "tenant_id, locale, template_id, variant", 0 },
	{ "messages", "tenant_id, id", 1 },
	{ "links", "token_hash", 0 },
	{ "api_keys", "tenant_id, id", 1 },
	{ "idempotency_keys", "tenant_id, key", 0 },
	{ "webhook_endpoints", "tenant_id, id", 1 },
	{ "webhook_deliveries", "tenant_id, id", 1 },
	{ "plans", "tenant_id, id", 1 },
	{ "plan_instalments", "tenant_id, plan_id, n", 0 },
	{ "requests", "tenant_id, id", 1 },
	{ "psp_checkouts", "tenant_id, id", 1 },
	{ "statement_entries", "tenant_id, id", 1 },
	{ "review_items", "tenant_id, id", 1 },
	{ "payer_accounts", "tenant_id, iban, customer_id", 0 },
	{ "operators", "tenant_id, id", 1 },
	{ "operator_sessions", "token_hash", 0 },
	{ "login_failures", "tenant_id, id", 1 },
	{ "case_notes", "tenant_id, id", 1 },
	{ "portal_visits", "tenant_id, case_id, day", 0 },
	{ "charges", "tenant_id, id", 1 },
	{ "case_experiments", "tenant_id, case_id", 0 },
	{ "strategy_changes", "tenant_id, id", 1 },
};

#define PG_COPY_MAX_COLS 64
#define PG_OID_BOOL 16          /* pg_type.oid of boolean */
#define PG_OID_TIMESTAMPTZ 1184 /* pg_type.oid of timestamptz */

static int table_index(const char *table, struct err *e)
{
	for (size_t i = 0; i < sizeof(pg_tables) / sizeof(pg_tables[0]); i++)
		if (strcmp(pg_tables[i].table, table) == 0)
			return (int)i;
	return err_set(e, ERR_INVALID, "no table '%s' to copy", table);
}

/* Run SQL made of checked identifiers only; *ret gets the result. */
static int pg_query(struct pg *h, const char *sql, const char *what,
		    PGresult **ret, struct err *e)
{
	PGresult *res;
	int r = h->copy_active ? copy_end(h, e) : 0;
	if (r < 0)
		return r;
	res = PQexec(h->conn, sql);
	if (!res_ok(res)) {
		r = pg_fail(h, res, what, e);
		PQclear(res);
		return r;
	}
	*ret = res;
	return 0;
}

/* A value in an instant column, "2026-11-20 09:00:00[.ffffff]+00" (the
 * session is in UTC), as 'YYYY-MM-DDTHH:MM:SSZ' (fractions dropped, as
 * the other backend keeps whole seconds); anything else as it is. */
static const char *exchange_instant(const char *s, char out[INSTANT_FMT_MAX])
{
	size_t n = strlen(s);
	if (n < 22 || s[10] != ' ' || strcmp(s + n - 3, "+00") != 0)
		return s;
	memcpy(out, s, 10);
	out[10] = 'T';
	memcpy(out + 11, s + 11, 8);
	out[19] = 'Z';
	out[20] = '\0';
	return out;
}

static int pg_rows_read(void *hv, const char *table, store_row_cb cb,
			void *ctx, struct err *e)
{
	struct pg *h = hv;
	const char *names[PG_COPY_MAX_COLS], *values[PG_COPY_MAX_COLS];
	char scratch[PG_COPY_MAX_COLS][INSTANT_FMT_MAX];
	char sql[256];
	PGresult *res;
	int k = table_index(table, e), r, stop = 0;

	if (k < 0)
		return k;
	r = flush_all(h, e);
	if (r < 0)
		return r;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s ORDER BY %s",
		 pg_tables[k].table, pg_tables[k].order);
	/* Row by row (single-row mode): a table need not fit in memory. */
	if (!PQsendQuery(h->conn, sql) || !PQsetSingleRowMode(h->conn))
		r = pg_fail(h, NULL, "reading a table", e);
	while ((res = PQgetResult(h->conn))) {
		ExecStatusType st = PQresultStatus(res);
		int n = PQnfields(res);
		if (r < 0 || stop) {
			/* drain what is left */
		} else if (st == PGRES_SINGLE_TUPLE && n > PG_COPY_MAX_COLS) {
			r = err_set(e, ERR_TOOBIG, "%s has more than %d columns",
				    table, PG_COPY_MAX_COLS);
		} else if (st == PGRES_SINGLE_TUPLE) {
			for (int i = 0; i < n; i++) {
				const char *v = PQgetvalue(res, 0, i);
				Oid type = PQftype(res, i);
				names[i] = PQfname(res, i);
				if (PQgetisnull(res, 0, i))
					values[i] = NULL;
				else if (type == PG_OID_BOOL)
					values[i] = v[0] == 't' ? "1" : "0";
				else if (type == PG_OID_TIMESTAMPTZ)
					values[i] = exchange_instant(v, scratch[i]);
				else
					values[i] = v;
			}
			int c = cb(ctx, n, names, values, e);
			if (c < 0)
				r = c;
			else if (c > 0)
				stop = 1;
		} else if (st != PGRES_TUPLES_OK) {
			r = pg_fail(h, res, "reading a table", e);
		}
		PQclear(res);
	}
	return r;
}

/* Append s to a COPY text-format line, escaping what the format needs. */
static int copy_escape(struct buf *b, const char *s)
{
	int r = 0;
	while (*s && r == 0) {
		size_t run = strcspn(s, "\\\n\r\t");
		r = buf_append(b, s, run);
		s += run;
		if (!*s || r < 0)
			break;
		r = buf_puts(b, *s == '\\' ? "\\\\" :
				*s == '\n' ? "\\n" :
				*s == '\r' ? "\\r" :
					     "\\t");
		s++;
	}
	return r;
}

/* End the open COPY and collect its outcome (constraint errors show here). */
static int copy_end(struct pg *h, struct err *e)
{
	char what[64];
	PGresult *res;
	int r = 0;

	snprintf(what, sizeof(what), "copying rows into %s", h->copy_table);
	h->copy_active = 0;
	if (PQputCopyEnd(h->conn, NULL) != 1)
		r = pg_fail(h, NULL, what, e);
	while ((res = PQgetResult(h->conn))) {
		if (r == 0 && !res_ok(res))
			r = pg_fail(h, res, what, e);
		PQclear(res);
	}
	return r;
}

/* Make sure a COPY into `table` with these columns is open. */
static int copy_start(struct pg *h, int k, int ncols,
		      const char *const *names, struct err *e)
{
	struct buf sql;
	PGresult *res;
	int r = 0;

	buf_reset(&h->copy_line);
	r |= buf_puts(&h->copy_line, pg_tables[k].table);
	for (int i = 0; i < ncols; i++) {
		if (!store_identifier_ok(names[i]))
			return err_set(e, ERR_INVALID, "bad column name in %s",
				       pg_tables[k].table);
		r |= buf_printf(&h->copy_line, "%c%s", i ? ',' : ':',
				names[i]);
	}
	if (r < 0)
		return err_set(e, ERR_TOOBIG, "too many columns in %s",
			       pg_tables[k].table);
	if (h->copy_active &&
	    strcmp(buf_cstr(&h->copy_sig), buf_cstr(&h->copy_line)) == 0)
		return 0;
	if (h->copy_active) {
		r = copy_end(h, e);
		if (r < 0)
			return r;
	}
	buf_reset(&h->copy_sig);
	r = buf_puts(&h->copy_sig, buf_cstr(&h->copy_line));

	buf_init(&sql, 8192);
	r |= buf_printf(&sql, "COPY %s (", pg_tables[k].table);
	for (int i = 0; i < ncols; i++)
		r |= buf_printf(&sql, "%s\"%s\"", i ? ", " : "", names[i]);
	r |= buf_puts(&sql, ") FROM STDIN");
	if (r < 0) {
		buf_free(&sql);
		return err_set(e, ERR_TOOBIG, "too many columns in %s",
			       pg_tables[k].table);
	}
	r = flush_all(h, e);
	if (r == 0) {
		res = PQexec(h->conn, buf_cstr(&sql));
		if (PQresultStatus(res) == PGRES_COPY_IN) {
			h->copy_active = 1;
			snprintf(h->copy_table, sizeof(h->copy_table), "%s",
				 pg_tables[k].table);
		} else {
			r = pg_fail(h, res, "copying rows", e);
		}
		PQclear(res);
	}
	buf_free(&sql);
	return r;
}

static int pg_rows_write(void *hv, const char *table, int ncols,
			 const char *const *names, const char *const *values,
			 struct err *e)
{
	struct pg *h = hv;
	int k = table_index(table, e), r;

	if (k < 0)
		return k;
	r = copy_start(h, k, ncols, names, e);
	if (r < 0)
		return r;
	buf_reset(&h->copy_line);
	for (int i = 0; i < ncols && r == 0; i++) {
		if (i)
			r = buf_putc(&h->copy_line, '\t');
		if (r == 0)
			r = values[i] ? copy_escape(&h->copy_line, values[i]) :
					buf_puts(&h->copy_line, "\\N");
	}
	if (r == 0)
		r = buf_putc(&h->copy_line, '\n');
	if (r < 0)
		return err_set(e, ERR_TOOBIG, "a row of %s is too large", table);
	if (PQputCopyData(h->conn, h->copy_line.data, (int)h->copy_line.len) !=
	    1)
		return pg_fail(h, NULL, "copying rows", e);
	return 0;
}

/* Copied rows keep their ids: move each identity past the largest. */
static int pg_copy_finish(void *hv, struct err *e)
{
	struct pg *h = hv;
	char sql[256];
	int r = 0;

	for (size_t i = 0; i < sizeof(pg_tables) / sizeof(pg_tables[0]) && r == 0;
	     i++) {
		if (!pg_tables[i].identity)
			continue;
		snprintf(sql, sizeof(sql),
			 "SELECT setval(pg_get_serial_sequence('%s', 'id'),"
			 " COALESCE(MAX(id), 0) + 1, false) FROM %s",
			 pg_tables[i].table, pg_tables[i].table);
		r = pg_exec(h, sql, "moving id sequences", e);
	}
	return r;
}

static int pg_rows_count(void *hv, const char *table, int64_t *ret,
			 struct err *e)
{
	struct pg *h = hv;
	char sql[128];
	PGresult *res = NULL;
	int k = table_index(table, e), r;

	if (k < 0)
		return k;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s",
		 pg_tables[k].table);
	r = pg_query(h, sql, "counting rows", &res, e);
	if (r < 0)
		return r;
	*ret = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

/* ---- webhooks to the tenant (migration 0007) ---- */

static int pg_webhook_endpoint_add(void *hv, int64_t tenant_id,
				   const char *url, const char *secret,
				   const char *events, instant_t now,
				   int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, url);
	p_text(&p, secret);
	p_text(&p, events);
	p_instant(&p, now);
	r = pg_run(h, PG_WH_ENDPOINT_ADD, &p, "adding a webhook endpoint",
		   &res, e);
	if (r < 0)
		return r;
	*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_webhook_endpoint_list(void *hv, int64_t tenant_id,
				    struct webhook_endpoint_rec **ret,
				    size_t *ret_n, struct err *e)
{
	struct webhook_endpoint_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(hv, PG_WH_ENDPOINT_LIST, &p, "listing webhook endpoints",
		   &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].id = col_int(res, i, 0);
		list[i].tenant_id = col_int(res, i, 1);
		list[i].url = col_dup(res, i, 2);
		list[i].secret = col_dup(res, i, 3);
		list[i].events = col_dup(res, i, 4);
		list[i].active = (int)col_int(res, i, 5);
		list[i].cursor = col_int(res, i, 6);
		list[i].cursor_order = col_int(res, i, 8);
		list[i].created_at = col_instant(res, i, 7);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_webhook_events(void *hv, int64_t tenant_id,
			     int64_t after_order, int64_t after,
			     int limit, struct webhook_event_rec **ret,
			     size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct webhook_event_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, after_order);
	p_int(&p, after);
	p_int(&p, limit);
	r = pg_run(h, PG_WH_EVENTS, &p, "reading case events for webhooks",
		   &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].id = col_int(res, i, 0);
		list[i].order = col_int(res, i, 6);
		list[i].case_id = col_int(res, i, 1);
		list[i].at = col_instant(res, i, 2);
		list[i].kind = col_dup(res, i, 3);
		list[i].detail = col_dup(res, i, 4);
		list[i].customer = col_dup(res, i, 5);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_webhook_delivery_add(void *hv,
				   const struct webhook_delivery_rec *d,
				   instant_t now, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, d->tenant_id);
	p_int(&p, d->endpoint_id);
	p_int(&p, d->event_id);
	p_text(&p, d->kind);
	p_text(&p, d->payload);
	p_text(&p, d->status);
	p_instant(&p, d->not_before);
	p_instant(&p, now);
	return pg_do(hv, PG_WH_DELIVERY_ADD, &p, "queueing a webhook delivery",
		     e);
}

static int pg_webhook_cursor_set(void *hv, int64_t tenant_id,
				 int64_t endpoint_id, int64_t order,
				 int64_t cursor,
				 struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, endpoint_id);
	p_int(&p, order);
	p_int(&p, cursor);
	return pg_do(hv, PG_WH_CURSOR, &p, "moving a webhook cursor", e);
}

static int pg_webhook_claim(void *hv, int64_t tenant_id, instant_t now,
			    instant_t lease_until, const char *owner,
			    int limit, struct webhook_delivery_rec **ret,
			    size_t *ret_n, struct err *e)
{
	struct webhook_delivery_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_instant(&p, now);
	p_instant(&p, lease_until);
	p_text(&p, owner);
	p_int(&p, limit);
	r = pg_run(hv, PG_WH_CLAIM, &p, "claiming webhook deliveries", &res,
		   e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		struct webhook_delivery_rec *d = &list[i];
		d->id = col_int(res, i, 0);
		d->tenant_id = col_int(res, i, 1);
		d->endpoint_id = col_int(res, i, 2);
		d->event_id = col_int(res, i, 3);
		d->kind = col_dup(res, i, 4);
		d->payload = col_dup(res, i, 5);
		d->status = col_dup(res, i, 6);
		d->attempts = (int)col_int(res, i, 7);
		d->not_before = col_instant(res, i, 8);
		d->last_error = col_dup(res, i, 9);
		d->response_status = (int)col_int(res, i, 10);
		d->created_at = col_instant(res, i, 11);
		d->delivered_at = col_instant(res, i, 12);
		d->url = col_dup(res, i, 13);
		d->secret = col_dup(res, i, 14);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_webhook_update(void *hv, const struct webhook_delivery_rec *d,
			     const char *owner, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, d->tenant_id);
	p_int(&p, d->id);
	p_text(&p, d->status);
	p_int(&p, d->attempts);
	p_instant(&p, d->not_before);
	p_text(&p, d->last_error ? d->last_error : "");
	p_int(&p, d->response_status);
	if (d->delivered_at)
		p_instant(&p, d->delivered_at);
	else
		p_text(&p, NULL);
	p_text(&p, owner);
	r = pg_run(hv, PG_WH_UPDATE, &p, "updating a webhook delivery", &res,
		   e);
	if (r < 0)
		return r;
	if (strcmp(PQcmdTuples(res), "0") == 0)
		r = err_set(e, ERR_CONFLICT, "webhook delivery %lld: the lease"
			    " was taken over", (long long)d->id);
	PQclear(res);
	return r;
}

/* ---- the customer's page (migration 0009) ---- */

/* A text column into a fixed buffer (status names, keys), cut to fit. */
static void col_fixed(const PGresult *res, int row, int col, char *out,
		      size_t size)
{
	const char *s = PQgetvalue(res, row, col);
	size_t n = strnlen(s, size - 1);
	memcpy(out, s, n);
	out[n] = '\0';
}

/* Did the statement change (or return) any row? */
static int res_changed(PGresult *res)
{
	const char *n = PQcmdTuples(res);
	return *n && strcmp(n, "0") != 0;
}

static int pg_link_find(void *hv, const char *token_hash, struct link_rec *ret,
			struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_text(&p, token_hash);
	r = pg_run(hv, PG_LINK_FIND, &p, "reading a link", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = err_set(e, ERR_NOTFOUND, "no such link");
	} else {
		memset(ret, 0, sizeof(*ret));
		ret->tenant_id = col_int(res, 0, 0);
		ret->case_id = col_int(res, 0, 1);
		ret->customer_id = col_int(res, 0, 2);
		ret->created_at = col_instant(res, 0, 3);
		ret->expires_at = col_instant(res, 0, 4);
		ret->revoked_at = col_instant(res, 0, 5);
		col_fixed(res, 0, 6, ret->csrf_key, sizeof(ret->csrf_key));
	}
	PQclear(res);
	return r;
}

static int pg_link_set_csrf(void *hv, const char *token_hash, const char *key,
			    int *ret_set, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_text(&p, token_hash);
	p_text(&p, key);
	r = pg_run(hv, PG_LINK_SET_CSRF, &p, "keying a link", &res, e);
	if (r < 0)
		return r;
	*ret_set = res_changed(res);
	PQclear(res);
	return 0;
}

static int pg_link_revoke_case(void *hv, int64_t tenant_id, int64_t case_id,
			       instant_t now, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_instant(&p, now);
	return pg_do(hv, PG_LINK_REVOKE_CASE, &p, "revoking links", e);
}

static int pg_case_get(void *hv, int64_t tenant_id, int64_t case_id,
		       struct case_rec *ret, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e); /* the case may be waiting to be copied */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	r = pg_run(h, PG_CASE_GET, &p, "reading a case", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_NOTFOUND, "no case %lld", (long long)case_id);
	else
		read_case(res, 0, ret, tenant_id, NULL);
	PQclear(res);
	return r;
}

/* The changes waiting in the connection are written first: one of them
 * written later would undo the hold. */
static int pg_case_hold(void *hv, int64_t tenant_id, int64_t case_id,
			enum hold_reason reason, date_t until, int *ret_found,
			struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_text(&p, hold_reason_name(reason));
	p_date(&p, until);
	r = pg_run(h, PG_CASE_HOLD, &p, "holding a case", &res, e);
	if (r < 0)
		return r;
	*ret_found = res_changed(res);
	PQclear(res);
	return 0;
}

/* ---- fees paid and credit (migration 0012) ---- */

/* One number from a statement bound with (tenant, id[, text]). */
static int pg_one_int(struct pg *h, enum pg_stmt which, int64_t tenant_id,
		      int64_t id, const char *text, int64_t *ret,
		      const char *what, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, id);
	if (text)
		p_text(&p, text);
	r = pg_run(h, which, &p, what, &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return err_set(e, ERR_NOTFOUND, "%s: not found", what);
	}
	*ret = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_case_fees_paid(void *hv, int64_t tenant_id, int64_t case_id,
			     int64_t *ret, struct err *e)
{
	return pg_one_int(hv, PG_CASE_FEES_PAID, tenant_id, case_id, NULL, ret,
			  "reading a case's fees paid", e);
}

static int pg_case_fees_pay(void *hv, int64_t tenant_id, int64_t case_id,
			    int64_t amount, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_int(&p, amount);
	return pg_do(h, PG_CASE_FEES_PAY, &p, "paying a case's fees", e);
}

static int pg_payment_set_credit(void *hv, int64_t tenant_id,
				 const char *external_id, int64_t credit,
				 struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, external_id);
	p_int(&p, credit);
	return pg_do(hv, PG_PAYMENT_SET_CREDIT, &p,
		     "keeping a payment's credit", e);
}

static int pg_customer_credit(void *hv, int64_t tenant_id,
			      int64_t customer_id, const char *currency,
			      int64_t *ret, struct err *e)
{
	return pg_one_int(hv, PG_CUSTOMER_CREDIT, tenant_id, customer_id,
			  currency, ret, "reading a customer's credit", e);
}

static int pg_case_messages(void *hv, int64_t tenant_id, int64_t case_id,
			    struct message_rec **ret, size_t *ret_n,
			    struct err *e)
{
	struct message_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	r = pg_run(hv, PG_CASE_MESSAGES, &p, "listing a case's messages", &res,
		   e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_message(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_payment_list(void *hv, int64_t tenant_id, int64_t customer_id,
			   const char *currency, date_t since,
			   struct payment_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct payment_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	p_text(&p, currency);
	p_date(&p, since);
	r = pg_run(hv, PG_PAYMENT_LIST, &p, "listing payments", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		struct payment_rec *pay = &list[i];
		size_t len = strnlen(currency, sizeof(pay->currency) - 1);
		pay->id = col_int(res, i, 0);
		pay->tenant_id = tenant_id;
		pay->customer_id = customer_id;
		pay->external_id = col_dup(res, i, 1);
		pay->invoice_id = col_int(res, i, 2);
		pay->amount_minor = col_int(res, i, 3);
		memcpy(pay->currency, currency, len);
		pay->currency[len] = '\0';
		pay->paid_on = col_date(res, i, 4);
		pay->method = col_dup(res, i, 5);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_event_count(void *hv, int64_t tenant_id, int64_t case_id,
			  const char *kind, int64_t *ret, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e); /* events wait in the connection */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_text(&p, kind);
	r = pg_run(h, PG_EVENT_COUNT, &p, "counting events", &res, e);
	if (r < 0)
		return r;
	*ret = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_invoice_set_disputed(void *hv, int64_t tenant_id,
				   int64_t invoice_id, int disputed,
				   struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, invoice_id);
	p_bool(&p, disputed);
	return pg_do(hv, PG_INVOICE_SET_DISPUTED, &p, "marking a dispute", e);
}

/* The plan's row, then its instalments (see pg_plan_insert). */
static int plan_write(struct pg *h, const struct plan_rec *pl,
		      int64_t *ret_id, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int64_t id = 0;
	int r;

	p_init(&p);
	p_int(&p, pl->tenant_id);
	p_int(&p, pl->case_id);
	p_int(&p, pl->customer_id);
	p_text(&p, pl->currency);
	p_int(&p, pl->total_minor);
	p_int(&p, pl->months);
	p_int(&p, pl->day_of_month);
	p_int(&p, pl->paid_minor);
	p_text(&p, pl->source);
	p_instant(&p, pl->created_at);
	r = pg_run(h, PG_PLAN_INSERT, &p, "recording a plan", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_CONFLICT, "case %lld has a plan already",
			    (long long)pl->case_id);
	else
		id = col_int(res, 0, 0);
	PQclear(res);
	if (r < 0)
		return r;
	for (size_t i = 0; i < pl->n_instalments; i++) {
		const struct plan_instalment_rec *in = &pl->instalments[i];
		p_init(&p);
		p_int(&p, pl->tenant_id);
		p_int(&p, id);
		p_int(&p, in->n);
		p_date(&p, in->due_on);
		p_int(&p, in->amount_minor);
		r = pg_do(h, PG_PLAN_INSTALMENT_INSERT, &p,
			  "recording an instalment", e);
		if (r < 0)
			return r;
	}
	*ret_id = id;
	return 0;
}

/* Several statements: outside a transaction, in one of their own. The
 * case may still be waiting to be copied (the plan's foreign key needs
 * it written). */
static int pg_plan_insert(void *hv, const struct plan_rec *pl, int64_t *ret_id,
			  struct err *e)
{
	struct pg *h = hv;
	int64_t id = 0;
	int own, r = flush_all(h, e);

	if (r < 0)
		return r;
	r = own_tx_begin(h, &own, e);
	if (r < 0)
		return r;
	r = plan_write(h, pl, &id, e);
	r = own_tx_end(h, own, r, e);
	if (r == 0)
		*ret_id = id;
	return r;
}

static int pg_plan_active(void *hv, int64_t tenant_id, int64_t case_id,
			  struct plan_rec *ret, struct err *e)
{
	struct plan_rec pl;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	r = pg_run(hv, PG_PLAN_ACTIVE, &p, "reading a plan", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return err_set(e, ERR_NOTFOUND, "case %lld has no active plan",
			       (long long)case_id);
	}
	memset(&pl, 0, sizeof(pl));
	pl.id = col_int(res, 0, 0);
	pl.tenant_id = tenant_id;
	pl.case_id = case_id;
	pl.customer_id = col_int(res, 0, 1);
	col_currency(res, 0, 2, pl.currency);
	pl.total_minor = col_int(res, 0, 3);
	pl.months = (int)col_int(res, 0, 4);
	pl.day_of_month = (int)col_int(res, 0, 5);
	pl.paid_minor = col_int(res, 0, 6);
	col_fixed(res, 0, 7, pl.status, sizeof(pl.status));
	col_fixed(res, 0, 8, pl.source, sizeof(pl.source));
	pl.created_at = col_instant(res, 0, 9);
	pl.ended_at = col_instant(res, 0, 10);
	PQclear(res);

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, pl.id);
	r = pg_run(hv, PG_PLAN_INSTALMENTS, &p, "reading a plan's instalments",
		   &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		pl.instalments = xcalloc((size_t)n, sizeof(*pl.instalments));
	for (int i = 0; i < n; i++) {
		struct plan_instalment_rec *in = &pl.instalments[i];
		in->n = (int)col_int(res, i, 0);
		in->due_on = col_date(res, i, 1);
		in->amount_minor = col_int(res, i, 2);
	}
	pl.n_instalments = (size_t)n;
	PQclear(res);
	*ret = pl;
	return 0;
}

static int pg_plan_cases(void *hv, int64_t tenant_id, int64_t **ret,
			 size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int64_t *list = NULL;
	int n, r;

	r = flush_all(h, e);
	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_PLAN_CASES, &p, "listing plans", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		list[i] = col_int(res, i, 0);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_plan_update(void *hv, const struct plan_rec *pl, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, pl->tenant_id);
	p_int(&p, pl->id);
	p_int(&p, pl->paid_minor);
	p_text(&p, pl->status);
	if (pl->ended_at)
		p_instant(&p, pl->ended_at);
	else
		p_text(&p, NULL);
	return pg_do(hv, PG_PLAN_UPDATE, &p, "updating a plan", e);
}

static int pg_request_insert(void *hv, const struct request_rec *rq,
			     int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e); /* the case may be waiting to be copied */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, rq->tenant_id);
	p_int(&p, rq->case_id);
	p_int(&p, rq->customer_id);
	p_text(&p, rq->kind);
	p_text(&p, rq->reason ? rq->reason : "");
	p_text(&p, rq->message ? rq->message : "");
	p_text(&p, rq->contact_via ? rq->contact_via : "");
	if (rq->callback_at)
		p_instant(&p, rq->callback_at);
	else
		p_text(&p, NULL);
	if (rq->invoice_id)
		p_int(&p, rq->invoice_id);
	else
		p_text(&p, NULL);
	p_instant(&p, rq->created_at);
	r = pg_run(h, PG_REQUEST_INSERT, &p, "recording a request", &res, e);
	if (r < 0)
		return r;
	*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_request_list(void *hv, int64_t tenant_id, int64_t case_id,
			   struct request_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct request_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	r = pg_run(hv, PG_REQUEST_LIST, &p, "listing requests", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		struct request_rec *rq = &list[i];
		rq->id = col_int(res, i, 0);
		rq->tenant_id = tenant_id;
		rq->case_id = case_id;
		rq->customer_id = col_int(res, i, 1);
		col_fixed(res, i, 2, rq->kind, sizeof(rq->kind));
		rq->reason = col_dup(res, i, 3);
		rq->message = col_dup(res, i, 4);
		rq->contact_via = col_dup(res, i, 5);
		rq->callback_at = col_instant(res, i, 6);
		rq->invoice_id = col_int(res, i, 7);
		col_fixed(res, i, 8, rq->status, sizeof(rq->status));
		rq->created_at = col_instant(res, i, 9);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_checkout_insert(void *hv, const struct checkout_rec *c,
			      int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e); /* the case may be waiting to be copied */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, c->tenant_id);
	p_int(&p, c->case_id);
	p_text(&p, c->provider);
	p_text(&p, c->provider_id);
	p_int(&p, c->amount_minor);
	p_text(&p, c->currency);
	p_text(&p, c->status);
	p_instant(&p, c->created_at);
	r = pg_run(h, PG_CHECKOUT_INSERT, &p, "recording a checkout", &res, e);
	if (r < 0)
		return r;
	*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_checkout_find(void *hv, int64_t tenant_id, const char *provider,
			    const char *provider_id, struct checkout_rec *ret,
			    struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, provider);
	p_text(&p, provider_id);
	r = pg_run(hv, PG_CHECKOUT_FIND, &p, "reading a checkout", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = err_set(e, ERR_NOTFOUND, "no such checkout");
	} else {
		memset(ret, 0, sizeof(*ret));
		ret->id = col_int(res, 0, 0);
		ret->tenant_id = tenant_id;
		ret->case_id = col_int(res, 0, 1);
		col_fixed(res, 0, 2, ret->provider, sizeof(ret->provider));
		ret->provider_id = col_dup(res, 0, 3);
		ret->amount_minor = col_int(res, 0, 4);
		col_currency(res, 0, 5, ret->currency);
		col_fixed(res, 0, 6, ret->status, sizeof(ret->status));
		ret->created_at = col_instant(res, 0, 7);
		ret->updated_at = col_instant(res, 0, 8);
	}
	PQclear(res);
	return r;
}

static int pg_checkout_set_status(void *hv, int64_t tenant_id, int64_t id,
				  const char *status, instant_t now,
				  struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, id);
	p_text(&p, status);
	p_instant(&p, now);
	return pg_do(hv, PG_CHECKOUT_SET_STATUS, &p, "updating a checkout", e);
}

static int pg_request_done(void *hv, int64_t tenant_id, int64_t case_id,
			   int64_t id, instant_t now, int *ret_found,
			   struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_int(&p, id);
	p_instant(&p, now);
	r = pg_run(hv, PG_REQUEST_DONE, &p, "closing a request", &res, e);
	if (r < 0)
		return r;
	*ret_found = res_changed(res);
	PQclear(res);
	return 0;
}

/* ---- bank statements (migration 0010) ---- */

static int pg_statement_index(void *hv, int64_t tenant_id,
			      const struct stmt_index_cb *cb, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int n, r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_STMT_INVOICES, &p, "reading open invoices", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; r == 0 && i < n; i++) {
		struct stmt_invoice_row row = {
			.id = col_int(res, i, 0),
			.customer_id = col_int(res, i, 1),
			.case_id = col_int(res, i, 2),
			.number = col_text(res, i, 3),
			.payment_reference = col_text(res, i, 4),
			.open_minor = col_int(res, i, 5),
			.due_date = col_date(res, i, 7),
			.amount_minor = col_int(res, i, 8),
		};
		col_currency(res, i, 6, row.currency);
		r = cb->invoice(cb->ctx, &row, e);
	}
	PQclear(res);
	if (r < 0)
		return r;
	r = pg_run(h, PG_STMT_CASES, &p, "reading open cases", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; r == 0 && i < n; i++) {
		struct stmt_case_row row = {
			.id = col_int(res, i, 0),
			.customer_id = col_int(res, i, 1),
			.open_minor = col_int(res, i, 3),
			.fees_minor = col_int(res, i, 4),
			.fees_paid_minor = col_int(res, i, 5),
		};
		col_currency(res, i, 2, row.currency);
		r = cb->kase(cb->ctx, &row, e);
	}
	PQclear(res);
	if (r < 0)
		return r;
	r = pg_run(h, PG_STMT_PAYERS, &p, "reading payer accounts", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	for (int i = 0; r == 0 && i < n; i++) {
		struct stmt_payer_row row = {
			.customer_id = col_int(res, i, 0),
			.iban = col_text(res, i, 1),
			.name = col_text(res, i, 2),
		};
		r = cb->payer(cb->ctx, &row, e);
	}
	PQclear(res);
	return r;
}

static int pg_statement_entry_known(void *hv, int64_t tenant_id,
				    const char *bank_ref, const char *status,
				    int *ret_known, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, bank_ref);
	p_text(&p, status);
	r = pg_run(hv, PG_STMT_ENTRY_KNOWN, &p, "looking up a statement entry",
		   &res, e);
	if (r < 0)
		return r;
	*ret_known = PQntuples(res) > 0;
	PQclear(res);
	return 0;
}

/* The entry has more values than struct pg_params holds (PG_MAX_PARAMS):
 * they are passed as an array of text here, the statement prepared under
 * the same name as pg_run would. */
#define PG_ENTRY_PARAMS 26

static int pg_statement_entry_insert(void *hv,
				     const struct statement_entry_rec *en,
				     int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	const char *v[PG_ENTRY_PARAMS];
	char num[8][PG_SCRATCH], booked[DATE_FMT_MAX], at[INSTANT_FMT_MAX];
	char name[16];
	PGresult *res;
	int r = flush_all(h, e); /* a case the entry names may be waiting */
	const int64_t ids[4] = { en->case_id, en->invoice_id, en->customer_id,
				 en->reverses_id };

	if (r < 0)
		return r;
	if (h->copy_active) {
		r = copy_end(h, e);
		if (r < 0)
			return r;
	}
#define PG_S(v_) ((v_) ? (v_) : "")
	snprintf(num[0], PG_SCRATCH, "%" PRId64, en->tenant_id);
	snprintf(num[1], PG_SCRATCH, "%" PRId64, en->amount_minor);
	snprintf(num[2], PG_SCRATCH, "%" PRId64, en->credit_minor);
	for (int k = 0; k < 4; k++)
		snprintf(num[3 + k], PG_SCRATCH, "%" PRId64, ids[k]);
	if (en->booked_on != DATE_NONE)
		date_format(en->booked_on, booked);
	instant_format(en->created_at, at);
	v[0] = num[0];
	v[1] = PG_S(en->bank_ref);
	v[2] = PG_S(en->status);
	v[3] = PG_S(en->statement_id);
	v[4] = en->booked_on != DATE_NONE ? booked : NULL;
	v[5] = num[1];
	v[6] = en->currency;
	v[7] = en->credit ? "t" : "f";
	v[8] = en->reversal ? "t" : "f";
	v[9] = en->returned ? "t" : "f";
	v[10] = PG_S(en->return_reason);
	v[11] = PG_S(en->debtor_name);
	v[12] = PG_S(en->debtor_iban);
	v[13] = PG_S(en->reference);
	v[14] = PG_S(en->unstructured);
	v[15] = PG_S(en->end_to_end_id);
	v[16] = PG_S(en->outcome);
	v[17] = en->payment_external_id;
	for (int k = 0; k < 4; k++)
		v[18 + k] = ids[k] ? num[3 + k] : NULL;
	v[22] = num[2];
	v[23] = PG_S(en->rule);
	v[24] = PG_S(en->reason);
	v[25] = at;
#undef PG_S
	snprintf(name, sizeof(name), "s%d", (int)PG_STMT_ENTRY_INSERT);
	if (!h->prepared[PG_STMT_ENTRY_INSERT]) {
		res = PQprepare(h->conn, name, pg_sql[PG_STMT_ENTRY_INSERT], 0,
				NULL);
		if (!res_ok(res)) {
			r = pg_fail(h, res, "recording a statement entry", e);
			PQclear(res);
			return r;
		}
		PQclear(res);
		h->prepared[PG_STMT_ENTRY_INSERT] = 1;
	}
	res = PQexecPrepared(h->conn, name, PG_ENTRY_PARAMS, v, NULL, NULL, 0);
	if (!res_ok(res)) {
		r = pg_fail(h, res, "recording a statement entry", e);
		PQclear(res);
		return r;
	}
	*ret_id = PQntuples(res) > 0 ? col_int(res, 0, 0) : 0;
	PQclear(res);
	return 0;
}

static int pg_review_insert(void *hv, int64_t tenant_id, int64_t entry_id,
			    const char *reason, const char *candidates,
			    instant_t now, int64_t *ret_id, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, entry_id);
	p_text(&p, reason ? reason : "");
	p_text(&p, candidates ? candidates : "[]");
	p_instant(&p, now);
	r = pg_run(hv, PG_REVIEW_INSERT, &p, "queueing a review", &res, e);
	if (r < 0)
		return r;
	*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_payer_upsert(void *hv, int64_t tenant_id, int64_t customer_id,
			   const char *iban, const char *name, date_t seen,
			   struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	p_text(&p, iban);
	p_text(&p, name ? name : "");
	p_date(&p, seen);
	return pg_do(hv, PG_PAYER_UPSERT, &p, "recording a payer account", e);
}

static int pg_statement_paid_find(void *hv, int64_t tenant_id,
				  const char *e2e, const char *statement_id,
				  int64_t amount, const char *currency,
				  int limit, struct stmt_paid_rec **ret,
				  size_t *ret_n, struct err *e)
{
	struct stmt_paid_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int by_e2e = e2e && *e2e, n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	if (by_e2e) {
		p_text(&p, e2e);
	} else {
		p_text(&p, statement_id);
		p_int(&p, amount);
		p_text(&p, currency);
	}
	p_int(&p, limit);
	r = pg_run(hv, by_e2e ? PG_STMT_PAID_E2E : PG_STMT_PAID_STMT, &p,
		   "finding the payment a reversal undoes", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].id = col_int(res, i, 0);
		list[i].customer_id = col_int(res, i, 1);
		list[i].case_id = col_int(res, i, 2);
		list[i].invoice_id = col_int(res, i, 3);
		list[i].amount_minor = col_int(res, i, 4);
		list[i].credit_minor = col_int(res, i, 5);
		col_currency(res, i, 6, list[i].currency);
		list[i].booked_on = col_date(res, i, 7);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_invoices_paid(void *hv, int64_t tenant_id, int64_t customer_id,
			    const char *currency, struct invoice_rec **ret,
			    size_t *ret_n, struct err *e)
{
	struct invoice_rec *list = NULL;
	struct pg_params p;
	PGresult *res;
	int n, r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	p_text(&p, currency);
	r = pg_run(hv, PG_INVOICES_PAID, &p, "reading paid invoices", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	if (n > 0)
		list = xcalloc((size_t)n, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_invoice(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

/* ---- statement batch ---- */

static int pg_statement_rows_held(void *hv)
{
	(void)hv; /* other processes write too: rows are locked when used */
	return 0;
}

static int pg_cases_with_event(void *hv, int64_t tenant_id,
			       const int64_t *ids, size_t n, const char *kind,
			       int64_t **ret, size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	struct buf arr;
	PGresult *res;
	int64_t *list = NULL;
	int m, r = flush_all(h, e); /* events wait in the connection */

	if (r < 0)
		return r;
	buf_init(&arr, 24 * n + 16);
	buf_putc(&arr, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&arr, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_putc(&arr, '}');
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, kind);
	p_text(&p, buf_cstr(&arr));
	r = pg_run(h, PG_CASES_WITH_EVENT, &p, "finding cases by their events",
		   &res, e);
	buf_free(&arr);
	if (r < 0)
		return r;
	m = PQntuples(res);
	if (m > 0)
		list = xmalloc((size_t)m * sizeof(*list));
	for (int i = 0; i < m; i++)
		list[i] = col_int(res, i, 0);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)m;
	return 0;
}

static int pg_payment_insert_credit(void *hv, const struct payment_rec *p,
				    int64_t credit_minor, int *ret_inserted,
				    struct err *e)
{
	struct pg *h = hv;
	struct pg_params q;
	PGresult *res;
	int r;

	p_init(&q);
	p_int(&q, p->tenant_id);
	p_text(&q, p->external_id);
	p_int(&q, p->customer_id);
	if (p->invoice_id)
		p_int(&q, p->invoice_id);
	else
		p_text(&q, NULL);
	p_int(&q, p->amount_minor);
	p_text(&q, p->currency);
	p_date(&q, p->paid_on);
	p_text(&q, p->method ? p->method : "");
	p_int(&q, credit_minor);
	r = pg_run(h, PG_PAYMENT_INSERT_CREDIT, &q, "saving payment", &res, e);
	if (r < 0)
		return r;
	*ret_inserted = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return 0;
}

static int pg_statement_entries_insert(void *hv,
				       const struct statement_entry_rec *en,
				       size_t n, int64_t *ret_ids,
				       struct err *e)
{
	/* one statement per entry: a round trip each, as before */
	for (size_t i = 0; i < n; i++) {
		int r = pg_statement_entry_insert(hv, &en[i], &ret_ids[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the team's console (migration 0011) ---- */

/* An operator from the PG_OPERATOR_COLS starting at column `c`. */
static void read_operator(const PGresult *res, int row, int c,
			  struct operator_rec *o)
{
	memset(o, 0, sizeof(*o));
	o->id = col_int(res, row, c);
	o->tenant_id = col_int(res, row, c + 1);
	o->email = col_dup(res, row, c + 2);
	o->name = col_dup(res, row, c + 3);
	col_fixed(res, row, c + 4, o->role, sizeof(o->role));
	o->disabled = col_bool(res, row, c + 5);
	o->created_at = col_instant(res, row, c + 6);
}

static int pg_operator_insert(void *hv, const struct operator_rec *o,
			      const char *password_hash, int64_t *ret_id,
			      struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, o->tenant_id);
	p_text(&p, o->email);
	p_text(&p, o->name);
	p_text(&p, o->role);
	p_text(&p, password_hash);
	p_bool(&p, o->disabled);
	p_instant(&p, o->created_at);
	r = pg_run(hv, PG_OPERATOR_INSERT, &p, "recording an operator", &res,
		   e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_CONFLICT, "exists");
	else
		*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return r;
}

static int pg_operator_find(void *hv, int64_t tenant_id, const char *email,
			    struct operator_rec *ret, char **ret_hash,
			    struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, email);
	r = pg_run(hv, PG_OPERATOR_FIND, &p, "reading an operator", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = err_set(e, ERR_NOTFOUND, "no operator");
	} else {
		read_operator(res, 0, 0, ret);
		if (ret_hash)
			*ret_hash = col_dup(res, 0, 7);
	}
	PQclear(res);
	return r;
}

static int pg_operator_list(void *hv, int64_t tenant_id,
			    struct operator_rec **ret, size_t *ret_n,
			    struct err *e)
{
	struct pg_params p;
	PGresult *res;
	struct operator_rec *list;
	int r, n;

	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(hv, PG_OPERATOR_LIST, &p, "listing operators", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_operator(res, i, 0, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_operator_set_disabled(void *hv, int64_t tenant_id,
				    const char *email, int disabled,
				    int *ret_found, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, email);
	p_bool(&p, disabled);
	r = pg_run(hv, PG_OPERATOR_SET_DISABLED, &p, "disabling an operator",
		   &res, e);
	if (r < 0)
		return r;
	*ret_found = res_changed(res);
	PQclear(res);
	return 0;
}

static int pg_session_insert(void *hv, const struct operator_session_rec *ses,
			     struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_text(&p, ses->token_hash);
	p_int(&p, ses->tenant_id);
	p_int(&p, ses->operator_id);
	p_text(&p, ses->csrf_key);
	p_instant(&p, ses->created_at);
	p_instant(&p, ses->last_seen);
	p_instant(&p, ses->expires_at);
	return pg_do(hv, PG_SESSION_INSERT, &p, "recording a session", e);
}

static int pg_session_find(void *hv, const char *token_hash,
			   struct operator_session_rec *ret,
			   struct operator_rec *ret_operator, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_text(&p, token_hash);
	r = pg_run(hv, PG_SESSION_FIND, &p, "reading a session", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		r = err_set(e, ERR_NOTFOUND, "no such session");
	} else {
		memset(ret, 0, sizeof(*ret));
		col_fixed(res, 0, 0, ret->token_hash, sizeof(ret->token_hash));
		ret->tenant_id = col_int(res, 0, 1);
		ret->operator_id = col_int(res, 0, 2);
		col_fixed(res, 0, 3, ret->csrf_key, sizeof(ret->csrf_key));
		ret->created_at = col_instant(res, 0, 4);
		ret->last_seen = col_instant(res, 0, 5);
		ret->expires_at = col_instant(res, 0, 6);
		read_operator(res, 0, 7, ret_operator);
	}
	PQclear(res);
	return r;
}

static int pg_session_touch(void *hv, const char *token_hash,
			    instant_t last_seen, struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_text(&p, token_hash);
	p_instant(&p, last_seen);
	return pg_do(hv, PG_SESSION_TOUCH, &p, "touching a session", e);
}

static int pg_session_delete(void *hv, const char *token_hash, struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_text(&p, token_hash);
	return pg_do(hv, PG_SESSION_DELETE, &p, "ending a session", e);
}

static int pg_sessions_end(void *hv, int64_t tenant_id, int64_t operator_id,
			   instant_t before, int idle_seconds, struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, operator_id);
	if (before) {
		p_instant(&p, before);
		p_instant(&p, before - idle_seconds);
	} else {
		p_text(&p, NULL);
		p_text(&p, NULL);
	}
	return pg_do(hv, PG_SESSIONS_END, &p, "ending sessions", e);
}

static int pg_login_failure_add(void *hv, int64_t tenant_id,
				const char *email, const char *remote,
				instant_t at, struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, email);
	p_text(&p, remote);
	p_instant(&p, at);
	return pg_do(hv, PG_LOGIN_FAILURE_ADD, &p, "recording a failed login",
		     e);
}

static int pg_login_failures_count(void *hv, int64_t tenant_id,
				   const char *email, const char *remote,
				   instant_t since, int64_t *ret_by_email,
				   instant_t *ret_oldest_email,
				   int64_t *ret_by_remote,
				   instant_t *ret_oldest_remote,
				   struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, email);
	p_text(&p, remote);
	p_instant(&p, since);
	r = pg_run(hv, PG_LOGIN_FAILURES_COUNT, &p, "counting failed logins",
		   &res, e);
	if (r < 0)
		return r;
	*ret_by_email = col_int(res, 0, 0);
	*ret_oldest_email = col_instant(res, 0, 1);
	*ret_by_remote = col_int(res, 0, 2);
	*ret_oldest_remote = col_instant(res, 0, 3);
	PQclear(res);
	return 0;
}

static int pg_login_failures_prune(void *hv, int64_t tenant_id,
				   instant_t before, struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_int(&p, tenant_id);
	p_instant(&p, before);
	return pg_do(hv, PG_LOGIN_FAILURES_PRUNE, &p, "pruning failed logins",
		     e);
}

static int pg_case_notes(void *hv, int64_t tenant_id, int64_t case_id,
			 struct case_note_rec **ret, size_t *ret_n,
			 struct err *e)
{
	struct pg_params p;
	PGresult *res;
	struct case_note_rec *list;
	int r, n;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	r = pg_run(hv, PG_CASE_NOTES, &p, "reading a case's notes", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].id = col_int(res, i, 0);
		list[i].tenant_id = tenant_id;
		list[i].case_id = col_int(res, i, 1);
		list[i].operator_id = col_int(res, i, 2);
		list[i].body = col_dup(res, i, 3);
		list[i].created_at = col_instant(res, i, 4);
		list[i].author = col_dup(res, i, 5);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_case_note_add(void *hv, const struct case_note_rec *n,
			    int64_t *ret_id, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e); /* the case may be waiting to be copied */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, n->tenant_id);
	p_int(&p, n->case_id);
	p_int(&p, n->operator_id);
	p_text(&p, n->body);
	p_instant(&p, n->created_at);
	r = pg_run(h, PG_CASE_NOTE_ADD, &p, "recording a note", &res, e);
	if (r < 0)
		return r;
	if (ret_id)
		*ret_id = col_int(res, 0, 0);
	PQclear(res);
	return 0;
}

static int pg_queue(void *hv, int64_t tenant_id, int limit,
		    struct queue_item **ret, size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	struct queue_item *list;
	int r = flush_all(h, e), n;

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, limit);
	r = pg_run(h, PG_QUEUE, &p, "reading the agents' queue", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		struct queue_item *q = &list[i];
		q->rank = (int)col_int(res, i, 0);
		col_fixed(res, i, 1, q->kind, sizeof(q->kind));
		q->case_id = col_int(res, i, 2);
		q->customer_id = col_int(res, i, 3);
		q->customer = col_dup(res, i, 4);
		q->customer_name = col_dup(res, i, 5);
		q->since = col_instant(res, i, 6);
		q->callback_at = col_instant(res, i, 7);
		q->open_minor = col_int(res, i, 8);
		col_currency(res, i, 9, q->currency);
		q->request_id = col_int(res, i, 10);
		q->review_id = col_int(res, i, 11);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

/* ---- experiments (migration 0015) ---- */

static int pg_case_experiment_add(void *hv, int64_t tenant_id,
				  int64_t case_id, const char *experiment_id,
				  int variant, const char *strategy,
				  struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_text(&p, experiment_id);
	p_int(&p, variant);
	p_text(&p, strategy);
	return pg_do(hv, PG_CASE_EXPERIMENT_ADD, &p,
		     "recording a case's experiment", e);
}

static int pg_experiment_stats(void *hv, int64_t tenant_id,
			       struct experiment_stat_rec **ret,
			       size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	struct experiment_stat_rec *list;
	int r = flush_all(h, e), n;

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_EXPERIMENT_STATS, &p, "counting experiments", &res,
		   e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		struct experiment_stat_rec *x = &list[i];
		x->experiment_id = col_dup(res, i, 0);
		x->variant = (int)col_int(res, i, 1);
		x->strategy = col_dup(res, i, 2);
		snprintf(x->currency, sizeof(x->currency), "%s",
			 col_text(res, i, 3));
		x->cases = col_int(res, i, 4);
		x->resolved = col_int(res, i, 5);
		x->amount_sum = col_int(res, i, 6);
		x->amount_sumsq = strtod(col_text(res, i, 7), NULL);
		x->days_sum = strtod(col_text(res, i, 8), NULL);
		x->days_sumsq = strtod(col_text(res, i, 9), NULL);
		x->messages = col_int(res, i, 10);
		x->opt_outs = col_int(res, i, 11);
		x->help = col_int(res, i, 12);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_strategy_activate(void *hv, int64_t tenant_id, int version,
				int *ret_found, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int r;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, version);
	r = pg_run(hv, PG_STRATEGY_SET_ACTIVE, &p,
		   "activating a strategy version", &res, e);
	if (r < 0)
		return r;
	*ret_found = strtol(PQcmdTuples(res), NULL, 10) > 0;
	PQclear(res);
	return 0;
}

static int pg_strategy_change_add(void *hv, int64_t tenant_id, int version,
				  const char *action, int64_t operator_id,
				  instant_t at, struct err *e)
{
	struct pg_params p;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, version);
	p_text(&p, action);
	p_int(&p, operator_id);
	p_instant(&p, at);
	return pg_do(hv, PG_STRATEGY_CHANGE_ADD, &p,
		     "recording a strategy change", e);
}

static int pg_strategy_changes(void *hv, int64_t tenant_id, int limit,
			       struct strategy_change_rec **ret,
			       size_t *ret_n, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	struct strategy_change_rec *list;
	int r, n;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, limit);
	r = pg_run(hv, PG_STRATEGY_CHANGES, &p, "reading strategy changes",
		   &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		list[i].version = (int)col_int(res, i, 0);
		snprintf(list[i].action, sizeof(list[i].action), "%s",
			 col_text(res, i, 1));
		list[i].operator_id = col_int(res, i, 2);
		list[i].operator_name = col_dup(res, i, 3);
		list[i].at = col_instant(res, i, 4);
	}
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

/* ---- reports (migration 0014) ---- */

/*
 * The refresh, statement by statement, each with $1 = tenant, $2 = the
 * date the figures are for, $3 = now (sent typed, so a statement need not
 * name all three; one without any runs as plain SQL). The
 * same figures as the SQLite backend's refresh (see there for the
 * scratch tables), in PostgreSQL's words: DISTINCT ON for the last
 * contact, string_to_array for the segment tags, date arithmetic in days.
 * The scratch tables are dropped at commit.
 */
static const char *const pg_report_refresh_sql[] = {
	"DELETE FROM report_rows WHERE tenant_id = $1::bigint",
	"DROP TABLE IF EXISTS pg_temp.report_case, pg_temp.report_combo,"
	" pg_temp.report_segment, pg_temp.report_inv, pg_temp.report_pay",
	"CREATE TEMP TABLE report_case (id bigint PRIMARY KEY,"
	" customer_id bigint, currency text, cured int, strategy text,"
	" step text, channel text, tone text, recovered bigint)"
	" ON COMMIT DROP",
	"INSERT INTO report_case SELECT k.id, k.customer_id, k.currency,"
	" (k.status = 'resolved')::int, k.strategy, COALESCE(a.step, ''),"
	" COALESCE(a.channel, ''), COALESCE(a.tone, ''),"
	" COALESCE(pd.amount, 0) FROM cases k"
	" LEFT JOIN (SELECT DISTINCT ON (case_id) case_id, step, channel, tone"
	" FROM actions WHERE tenant_id = $1::bigint AND kind = 'contact'"
	" ORDER BY case_id, due_on DESC, decided_at DESC,"
	" step COLLATE \"C\" DESC, channel COLLATE \"C\" DESC) a"
	" ON a.case_id = k.id"
	" LEFT JOIN (SELECT k2.id AS case_id, SUM(p.amount_minor) AS amount"
	" FROM payments p JOIN cases k2 ON k2.tenant_id = p.tenant_id"
	" AND k2.customer_id = p.customer_id AND k2.currency = p.currency"
	" AND p.paid_on >= k2.opened_on"
	" AND (k2.closed_on IS NULL OR p.paid_on <= k2.closed_on)"
	" WHERE p.tenant_id = $1::bigint AND p.paid_on <= $2::date"
	" GROUP BY k2.id) pd ON pd.case_id = k.id"
	" WHERE k.tenant_id = $1::bigint",
	"ANALYZE report_case",
	"CREATE TEMP TABLE report_combo ON COMMIT DROP AS SELECT step,"
	" channel, tone, strategy, currency, COUNT(*) AS cases,"
	" SUM(cured) AS cured, SUM(recovered) AS recovered FROM report_case"
	" GROUP BY step, channel, tone, strategy, currency",
	"INSERT INTO report_rows SELECT $1::bigint, 'step', step, currency,"
	" 0, SUM(cases), SUM(cured), SUM(recovered) FROM report_combo"
	" GROUP BY step, currency",
	"INSERT INTO report_rows SELECT $1::bigint, 'channel', channel, currency,"
	" 0, SUM(cases), SUM(cured), SUM(recovered) FROM report_combo"
	" GROUP BY channel, currency",
	"INSERT INTO report_rows SELECT $1::bigint, 'tone', tone, currency,"
	" 0, SUM(cases), SUM(cured), SUM(recovered) FROM report_combo"
	" GROUP BY tone, currency",
	"INSERT INTO report_rows SELECT $1::bigint, 'strategy', strategy, currency,"
	" 0, SUM(cases), SUM(cured), SUM(recovered) FROM report_combo"
	" GROUP BY strategy, currency",
	"CREATE TEMP TABLE report_segment (customer_id bigint, tag text,"
	" PRIMARY KEY (customer_id, tag)) ON COMMIT DROP",
	"INSERT INTO report_segment SELECT DISTINCT c.id, g.tag"
	" FROM customers c, unnest(string_to_array(c.segments, ' ')) AS g(tag)"
	" WHERE c.tenant_id = $1::bigint AND c.segments <> '' AND g.tag <> ''",
	"ANALYZE report_segment",
	"INSERT INTO report_rows SELECT $1::bigint, 'segment',"
	" COALESCE(g.tag, ''), k.currency, 0, COUNT(*), SUM(k.cured),"
	" SUM(k.recovered) FROM report_case k LEFT JOIN report_segment g"
	" ON g.customer_id = k.customer_id"
	" GROUP BY 3, 4",
	"INSERT INTO report_rows SELECT $1::bigint, 'portal', name, '', 0, n,"
	" 0, 0 FROM (WITH v AS (SELECT case_id, MIN(day) AS first,"
	" COUNT(*) AS days FROM portal_visits WHERE tenant_id = $1::bigint"
	" GROUP BY case_id),"
	" ev AS (SELECT v.case_id,"
	" MAX((e.kind = 'plan.created')::int) AS plan,"
	" MAX((e.kind = 'promise.made')::int) AS postponed,"
	" MAX((e.kind = 'help.requested')::int) AS help"
	" FROM v LEFT JOIN case_events e ON e.tenant_id = $1::bigint"
	" AND e.case_id = v.case_id"
	" AND e.at >= (v.first::timestamp AT TIME ZONE 'UTC')"
	" AND e.kind IN ('plan.created', 'promise.made', 'help.requested')"
	" GROUP BY v.case_id),"
	" f AS (SELECT v.case_id, v.days, ev.plan, ev.postponed, ev.help,"
	" (EXISTS (SELECT 1 FROM cases k JOIN payments p"
	" ON p.tenant_id = k.tenant_id AND p.customer_id = k.customer_id"
	" AND p.currency = k.currency AND p.paid_on >= v.first"
	" AND p.paid_on <= $2::date"
	" AND (k.closed_on IS NULL OR p.paid_on <= k.closed_on)"
	" WHERE k.tenant_id = $1::bigint AND k.id = v.case_id))::int AS paid"
	" FROM v JOIN ev ON ev.case_id = v.case_id)"
	" SELECT 'visited' AS name, COUNT(*) AS n FROM f"
	" UNION ALL SELECT 'visit_days', COALESCE(SUM(days), 0) FROM f"
	" UNION ALL SELECT 'paid', COALESCE(SUM(paid), 0) FROM f"
	" UNION ALL SELECT 'plan', COALESCE(SUM(plan), 0) FROM f"
	" UNION ALL SELECT 'postponed', COALESCE(SUM(postponed), 0) FROM f"
	" UNION ALL SELECT 'help', COALESCE(SUM(help), 0) FROM f) s",
	"INSERT INTO report_rows SELECT $1::bigint, 'dso', 'open', currency, 0,"
	" COUNT(*), 0, SUM(open_minor) FROM invoices"
	" WHERE tenant_id = $1::bigint AND open_minor > 0 AND NOT written_off"
	" GROUP BY currency",
	"INSERT INTO report_rows SELECT $1::bigint, 'dso', 'sales90', currency,"
	" 0, COUNT(*), 0, SUM(amount_minor) FROM invoices"
	" WHERE tenant_id = $1::bigint AND issue_date > $2::date - 90"
	" AND issue_date <= $2::date"
	" GROUP BY currency",
	"INSERT INTO report_rows SELECT $1::bigint, 'aging', '', currency,"
	" band, COUNT(*), 0, SUM(open_minor) FROM (SELECT currency, open_minor,"
	" CASE WHEN due_date >= $2::date THEN 0"
	" WHEN due_date >= $2::date - 30 THEN 1"
	" WHEN due_date >= $2::date - 60 THEN 2"
	" WHEN due_date >= $2::date - 90 THEN 3 ELSE 4 END AS band"
	" FROM invoices WHERE tenant_id = $1::bigint AND open_minor > 0"
	" AND NOT written_off) o"
	" GROUP BY currency, band",
	"CREATE TEMP TABLE report_pay (id bigint PRIMARY KEY,"
	" customer_id bigint, currency text, paid_on date, amount bigint,"
	" cum_end bigint) ON COMMIT DROP",
	"INSERT INTO report_pay SELECT id, customer_id, currency, paid_on,"
	" amount_minor, SUM(amount_minor) OVER (PARTITION BY customer_id,"
	" currency ORDER BY paid_on, id) FROM payments"
	" WHERE tenant_id = $1::bigint AND amount_minor > 0"
	" AND paid_on <= $2::date",
	"CREATE INDEX report_pay_customer ON report_pay"
	" (customer_id, currency, cum_end)",
	"ANALYZE report_pay",
	"CREATE TEMP TABLE report_inv (id bigint PRIMARY KEY,"
	" customer_id bigint, currency text, due_date date, amount bigint,"
	" cum_end bigint) ON COMMIT DROP",
	"INSERT INTO report_inv SELECT id, customer_id, currency, due_date,"
	" amount_minor, SUM(amount_minor) OVER (PARTITION BY customer_id,"
	" currency ORDER BY due_date, id) FROM invoices i"
	" WHERE tenant_id = $1::bigint AND EXISTS (SELECT 1 FROM report_pay p"
	" WHERE p.customer_id = i.customer_id AND p.currency = i.currency)",
	"ANALYZE report_inv",
	"INSERT INTO report_rows SELECT $1::bigint, 'cohort',"
	" to_char(due_date, 'YYYY-MM'), currency, -1, COUNT(*), 0,"
	" SUM(amount_minor) FROM invoices WHERE tenant_id = $1::bigint"
	" AND due_date >= (date_trunc('month', $2::date)"
	" - interval '11 months')::date AND due_date <= $2::date GROUP BY 3, 4",
	"INSERT INTO report_rows SELECT $1::bigint, 'cohort', month, currency,"
	" CASE WHEN d <= 0 THEN 0 WHEN d > 84 THEN 90"
	" ELSE (d + 6) / 7 * 7 END AS b, 0, 0, SUM(part)"
	" FROM (SELECT to_char(i.due_date, 'YYYY-MM') AS month, i.currency,"
	" p.paid_on - i.due_date AS d,"
	" LEAST(i.cum_end, p.cum_end) - GREATEST(i.cum_end - i.amount,"
	" p.cum_end - p.amount) AS part"
	" FROM report_inv i JOIN report_pay p"
	" ON p.customer_id = i.customer_id AND p.currency = i.currency"
	" AND p.cum_end > i.cum_end - i.amount"
	" AND p.cum_end - p.amount < i.cum_end"
	" WHERE i.due_date >= (date_trunc('month', $2::date)"
	" - interval '11 months')::date AND i.due_date <= $2::date) c"
	" WHERE d <= 90"
	" GROUP BY month, currency, b",
	"INSERT INTO report_refreshes (tenant_id, as_of, refreshed_at)"
	" VALUES ($1::bigint, $2::date, $3::timestamptz)"
	" ON CONFLICT (tenant_id) DO UPDATE"
	" SET as_of = excluded.as_of, refreshed_at = excluded.refreshed_at",
};

static int pg_report_refresh(void *hv, int64_t tenant_id, date_t as_of,
			     instant_t now, struct err *e)
{
	struct pg *h = hv;
	static const Oid types[3] = { 20, 1082, 1184 }; /* int8, date,
							   timestamptz */
	struct pg_params p;
	int r;

	/* A transaction of its own (as SQLite's, which must read without
	 * the write lock): PostgreSQL's readers block no writer, and the
	 * rows it replaces are the report's own. */
	if (h->in_tx)
		return err_set(e, ERR_STORE, "refreshing the reports: it "
			       "takes its own transactions (called inside one)");
	r = pg_begin(h, e);
	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_date(&p, as_of);
	p_instant(&p, now);
	for (size_t i = 0; r == 0 && i < sizeof(pg_report_refresh_sql) /
					 sizeof(pg_report_refresh_sql[0]);
	     i++) {
		const char *sql = pg_report_refresh_sql[i];
		PGresult *res;
		if (!strchr(sql, '$')) {
			r = pg_exec(h, sql, "refreshing the reports", e);
			continue;
		}
		res = PQexecParams(h->conn, sql, p.n, types, p.v, NULL, NULL, 0);
		if (!res_ok(res))
			r = pg_fail(h, res, "refreshing the reports", e);
		PQclear(res);
	}
	if (r == 0)
		r = pg_commit(h, e);
	if (r < 0)
		pg_rollback(h);
	return r;
}

static int pg_report_rows(void *hv, int64_t tenant_id,
			  struct report_info *ret_info,
			  struct report_row **ret, size_t *ret_n,
			  struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	struct report_info info = { DATE_NONE, 0 };
	struct report_row *list;
	PGresult *res;
	int r = flush_all(h, e), n;

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	r = pg_run(h, PG_REPORT_INFO, &p, "reading the reports", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		info.as_of = col_date(res, 0, 0);
		info.refreshed_at = col_instant(res, 0, 1);
	}
	PQclear(res);
	r = pg_run(h, PG_REPORT_ROWS, &p, "reading the reports", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++) {
		struct report_row *w = &list[i];
		col_fixed(res, i, 0, w->report, sizeof(w->report));
		w->key = col_dup(res, i, 1);
		col_fixed(res, i, 2, w->currency, sizeof(w->currency));
		w->bucket = (int)col_int(res, i, 3);
		w->cases = col_int(res, i, 4);
		w->cured = col_int(res, i, 5);
		w->amount_minor = col_int(res, i, 6);
	}
	PQclear(res);
	*ret_info = info;
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_portal_visit(void *hv, int64_t tenant_id, int64_t case_id,
			   date_t day, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_date(&p, day);
	return pg_do(hv, PG_PORTAL_VISIT, &p, "recording a portal visit", e);
}

/* ---- automatic charges (migration 0013) ---- */

/* A charge from row `row` of columns PG_CHARGE_COLS. */
static void read_charge(const PGresult *res, int row, struct charge_rec *c)
{
	memset(c, 0, sizeof(*c));
	c->id = col_int(res, row, 0);
	c->tenant_id = col_int(res, row, 1);
	c->customer_id = col_int(res, row, 2);
	c->invoice_id = col_int(res, row, 3);
	c->case_id = col_int(res, row, 4);
	col_fixed(res, row, 5, c->provider, sizeof(c->provider));
	c->payment_id = col_dup(res, row, 6);
	c->customer_ref = col_dup(res, row, 7);
	c->mandate_ref = col_dup(res, row, 8);
	c->amount_minor = col_int(res, row, 9);
	col_currency(res, row, 10, c->currency);
	col_fixed(res, row, 11, c->status, sizeof(c->status));
	c->failure_code = col_dup(res, row, 12);
	col_fixed(res, row, 13, c->decline_class, sizeof(c->decline_class));
	c->attempts = (int)col_int(res, row, 14);
	c->failed_on = col_date(res, row, 15);
	c->next_attempt_on = col_date(res, row, 16);
	c->attempt_id = col_dup(res, row, 17);
	c->attempt_refs = col_dup(res, row, 18);
	c->awaiting = col_int(res, row, 19) != 0;
	c->created_at = col_instant(res, row, 20);
	c->updated_at = col_instant(res, row, 21);
}

/* Run a statement that reads one charge; -ERR_NOTFOUND when none. */
static int one_charge(struct pg *h, enum pg_stmt which,
		      const struct pg_params *p, struct charge_rec *ret,
		      struct err *e)
{
	PGresult *res;
	int r = pg_run(h, which, p, "reading a charge", &res, e);

	if (r < 0)
		return r;
	if (PQntuples(res) == 0)
		r = err_set(e, ERR_NOTFOUND, "no such charge");
	else
		read_charge(res, 0, ret);
	PQclear(res);
	return r;
}

static int pg_charge_update(void *hv, const struct charge_rec *c,
			    struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	int r = flush_all(h, e); /* the case may be waiting to be copied */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, c->tenant_id);
	p_int(&p, c->id);
	if (c->case_id)
		p_int(&p, c->case_id);
	else
		p_text(&p, NULL);
	p_text(&p, c->mandate_ref ? c->mandate_ref : "");
	p_text(&p, c->status);
	p_text(&p, c->failure_code ? c->failure_code : "");
	p_text(&p, c->decline_class);
	p_int(&p, c->attempts);
	p_date(&p, c->next_attempt_on);
	p_text(&p, c->attempt_id ? c->attempt_id : "");
	p_text(&p, c->attempt_refs ? c->attempt_refs : "");
	p_int(&p, c->awaiting ? 1 : 0);
	p_instant(&p, c->updated_at);
	p_text(&p, c->customer_ref ? c->customer_ref : "");
	return pg_do(h, PG_CHARGE_UPDATE, &p, "updating a charge", e);
}

static int pg_charge_insert(void *hv, const struct charge_rec *c,
			    int64_t *ret_id, int *ret_inserted, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	struct charge_rec row;
	PGresult *res;
	int r = flush_all(h, e); /* the case may be waiting to be copied */

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, c->tenant_id);
	p_int(&p, c->customer_id);
	p_int(&p, c->invoice_id);
	if (c->case_id)
		p_int(&p, c->case_id);
	else
		p_text(&p, NULL);
	p_text(&p, c->provider);
	p_text(&p, c->payment_id);
	p_text(&p, c->customer_ref ? c->customer_ref : "");
	p_text(&p, c->mandate_ref ? c->mandate_ref : "");
	p_int(&p, c->amount_minor);
	p_text(&p, c->currency);
	p_text(&p, c->status);
	p_text(&p, c->failure_code ? c->failure_code : "");
	p_text(&p, c->decline_class);
	p_date(&p, c->failed_on);
	p_date(&p, c->next_attempt_on);
	p_instant(&p, c->created_at);
	r = pg_run(h, PG_CHARGE_INSERT, &p, "recording a charge", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 1) {
		row = *c;
		row.id = col_int(res, 0, 0);
		row.updated_at = c->created_at;
		PQclear(res);
		r = pg_charge_update(h, &row, e);
		if (r < 0)
			return r;
		*ret_id = row.id;
		*ret_inserted = 1;
		return 0;
	}
	PQclear(res);
	p_init(&p);
	p_int(&p, c->tenant_id);
	p_text(&p, c->provider);
	p_text(&p, c->payment_id);
	r = one_charge(h, PG_CHARGE_FIND, &p, &row, e);
	if (r < 0)
		return r;
	*ret_id = row.id;
	*ret_inserted = 0;
	charge_rec_clear(&row);
	return 0;
}

static int pg_charge_get(void *hv, int64_t tenant_id, int64_t id,
			 struct charge_rec *ret, struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, id);
	return one_charge(hv, PG_CHARGE_GET, &p, ret, e);
}

static int pg_charge_find(void *hv, int64_t tenant_id, const char *provider,
			  const char *provider_id, struct charge_rec *ret,
			  struct err *e)
{
	struct pg_params p;
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, provider);
	p_text(&p, provider_id);
	return one_charge(hv, PG_CHARGE_FIND, &p, ret, e);
}

static int pg_charge_due(void *hv, int64_t tenant_id, date_t until,
			 int64_t **ret, size_t *ret_n, struct err *e)
{
	struct pg_params p;
	PGresult *res;
	int64_t *ids;
	int r, n;

	p_init(&p);
	p_int(&p, tenant_id);
	p_date(&p, until);
	r = pg_run(hv, PG_CHARGE_DUE, &p, "listing charges due", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	ids = xcalloc(n ? (size_t)n : 1, sizeof(*ids));
	for (int i = 0; i < n; i++)
		ids[i] = col_int(res, i, 0);
	PQclear(res);
	*ret = ids;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_charge_list(void *hv, int64_t tenant_id, int64_t customer_id,
			  struct charge_rec **ret, size_t *ret_n,
			  struct err *e)
{
	struct pg_params p;
	struct charge_rec *list;
	PGresult *res;
	int r, n;

	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, customer_id);
	r = pg_run(hv, PG_CHARGE_LIST, &p, "listing charges", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_charge(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

/* ---- payment review (console) ---- */

static int pg_review_get(void *hv, int64_t tenant_id, int64_t review_id,
			 struct review_rec *ret, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	struct review_rec r;
	PGresult *res;
	int rc = flush_all(h, e);

	if (rc < 0)
		return rc;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, review_id);
	rc = pg_run(h, PG_REVIEW_GET, &p, "reading a review item", &res, e);
	if (rc < 0)
		return rc;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return err_set(e, ERR_NOTFOUND, "no review item %lld",
			       (long long)review_id);
	}
	memset(&r, 0, sizeof(r));
	r.id = col_int(res, 0, 0);
	r.entry_id = col_int(res, 0, 1);
	r.reason = col_dup(res, 0, 2);
	r.candidates = col_dup(res, 0, 3);
	snprintf(r.status, sizeof(r.status), "%s", col_text(res, 0, 4));
	r.created_at = col_instant(res, 0, 5);
	r.resolved_at = col_instant(res, 0, 6);
	r.bank_ref = col_dup(res, 0, 7);
	r.statement_id = col_dup(res, 0, 8);
	r.booked_on = col_date(res, 0, 9);
	r.amount_minor = col_int(res, 0, 10);
	col_currency(res, 0, 11, r.currency);
	r.credit = col_bool(res, 0, 12);
	r.undoes = col_bool(res, 0, 13);
	r.debtor_name = col_dup(res, 0, 14);
	r.debtor_iban = col_dup(res, 0, 15);
	r.reference = col_dup(res, 0, 16);
	r.unstructured = col_dup(res, 0, 17);
	r.outcome = col_dup(res, 0, 18);
	r.customer_id = col_int(res, 0, 19);
	PQclear(res);
	*ret = r;
	return 0;
}

/* A review target from row `row` of PG_REVIEW_INVOICE and its kin. */
static void read_target(const PGresult *res, int row, struct review_target *t)
{
	memset(t, 0, sizeof(*t));
	t->invoice_id = col_int(res, row, 0);
	t->case_id = col_int(res, row, 1);
	t->customer_id = col_int(res, row, 2);
	t->customer = col_dup(res, row, 3);
	t->customer_name = col_dup(res, row, 4);
	t->number = col_dup(res, row, 5);
	t->open_minor = col_int(res, row, 6);
	snprintf(t->currency, sizeof(t->currency), "%s",
		 col_text(res, row, 7));
	t->due_date = col_date(res, row, 8);
	t->open = col_bool(res, row, 9);
}

static int pg_review_target(void *hv, int64_t tenant_id, int is_case,
			    int64_t id, struct review_target *ret,
			    struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, id);
	r = pg_run(h, is_case ? PG_REVIEW_CASE : PG_REVIEW_INVOICE, &p,
		   "reading a review target", &res, e);
	if (r < 0)
		return r;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return err_set(e, ERR_NOTFOUND, "no %s %lld",
			       is_case ? "case" : "invoice", (long long)id);
	}
	read_target(res, 0, ret);
	PQclear(res);
	return 0;
}

static int pg_review_customers(void *hv, int64_t tenant_id, const char *query,
			       int limit, struct review_target **ret,
			       size_t *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	struct review_target *list;
	PGresult *res;
	int r = flush_all(h, e), n;

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_text(&p, query ? query : "");
	p_int(&p, limit);
	r = pg_run(h, PG_REVIEW_CUSTOMERS, &p, "searching customers", &res, e);
	if (r < 0)
		return r;
	n = PQntuples(res);
	list = xcalloc(n ? (size_t)n : 1, sizeof(*list));
	for (int i = 0; i < n; i++)
		read_target(res, i, &list[i]);
	PQclear(res);
	*ret = list;
	*ret_n = (size_t)n;
	return 0;
}

static int pg_review_done(void *hv, int64_t tenant_id, int64_t review_id,
			  instant_t now, int *ret_found, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, review_id);
	p_instant(&p, now);
	r = pg_run(h, PG_REVIEW_DONE, &p, "closing a review item", &res, e);
	if (r < 0)
		return r;
	*ret_found = strtol(PQcmdTuples(res), NULL, 10) > 0;
	PQclear(res);
	return 0;
}

/* An id as a parameter, 0 as NULL. */
static void p_id_or_null(struct pg_params *p, int64_t id)
{
	if (id)
		p_int(p, id);
	else
		p->v[p->n++] = NULL;
}

static int pg_review_entry_decide(void *hv, int64_t tenant_id,
				  int64_t entry_id,
				  const struct statement_entry_rec *rec,
				  struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, entry_id);
	p_text(&p, rec->outcome ? rec->outcome : "");
	p_text(&p, rec->payment_external_id);
	p_id_or_null(&p, rec->case_id);
	p_id_or_null(&p, rec->invoice_id);
	p_id_or_null(&p, rec->customer_id);
	p_int(&p, rec->credit_minor);
	p_text(&p, rec->rule ? rec->rule : "");
	p_text(&p, rec->reason ? rec->reason : "");
	return pg_do(h, PG_REVIEW_ENTRY_DECIDE, &p,
		     "recording a statement entry's decision", e);
}

static int pg_case_messages_cancel(void *hv, int64_t tenant_id,
				   int64_t case_id, const char *reason,
				   instant_t now, long *ret_n, struct err *e)
{
	struct pg *h = hv;
	struct pg_params p;
	PGresult *res;
	int r = flush_all(h, e);

	if (r < 0)
		return r;
	p_init(&p);
	p_int(&p, tenant_id);
	p_int(&p, case_id);
	p_text(&p, reason ? reason : "");
	p_instant(&p, now);
	r = pg_run(h, PG_CASE_MESSAGES_CANCEL, &p,
		   "cancelling a case's messages", &res, e);
	if (r < 0)
		return r;
	*ret_n = strtol(PQcmdTuples(res), NULL, 10);
	PQclear(res);
	return 0;
}

const struct store_backend store_pg_backend = {
	.name = "postgres",
	.accepts = pg_accepts,
	.open = pg_open,
	.close = pg_close,
	.migrate = pg_migrate,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.tenant_ensure = pg_tenant_ensure,
	.tenant_get = pg_tenant_get,
	.tenant_list = pg_tenant_list,
	.customer_upsert = pg_customer_upsert,
	.customer_get = pg_customer_get,
	.customer_id = pg_customer_id,
	.invoice_upsert = pg_invoice_upsert,
	.invoice_get = pg_invoice_get,
	.invoice_find_ref = pg_invoice_find_ref,
	.invoices_open = pg_invoices_open,
	.invoice_set_open = pg_invoice_set_open,
	.invoice_write_off = pg_invoice_write_off,
	.payment_insert = pg_payment_insert,
	.strategy_add = pg_strategy_add,
	.strategy_get = pg_strategy_get,
	.work_load = pg_work_load,
	.customer_id_range = pg_customer_id_range,
	.case_insert = pg_case_insert,
	.case_update = pg_case_update,
	.case_list = pg_case_list,
	.action_insert = pg_action_insert,
	.event_append = pg_event_append,
	.case_history = pg_case_history,
	.stats = pg_stats,
	.data_version = NULL, /* none in PostgreSQL: the run stays serial */
	.ranges_ensure = pg_ranges_ensure,
	.range_claim = pg_range_claim,
	.range_peek = pg_range_peek,
	.range_done = pg_range_done,
	.rows_read = pg_rows_read,
	.rows_write = pg_rows_write,
	.copy_finish = pg_copy_finish,
	.rows_count = pg_rows_count,
	.settings_get = pg_settings_get,
	.setting_put = pg_setting_put,
	.template_get = pg_template_get,
	.template_put = pg_template_put,
	.outbox_fill = pg_outbox_fill,
	.outbox_claim = pg_outbox_claim,
	.outbox_update = pg_outbox_update,
	.outbox_insert = pg_outbox_insert,
	.outbox_sent_since = pg_outbox_sent_since,
	.customer_external_id = pg_customer_external_id,
	.link_insert = pg_link_insert,
	.apikey_insert = pg_apikey_insert,
	.apikey_find = pg_apikey_find,
	.apikey_list = pg_apikey_list,
	.apikey_revoke = pg_apikey_revoke,
	.customer_list = pg_customer_list,
	.invoice_list = pg_invoice_list,
	.idem_claim = pg_idem_claim,
	.idem_get = pg_idem_get,
	.idem_finish = pg_idem_finish,
	.idem_delete = pg_idem_delete,
	.outbox_find_provider = pg_outbox_find_provider,
	.outbox_set_status = pg_outbox_set_status,
	.webhook_endpoint_add = pg_webhook_endpoint_add,
	.webhook_endpoint_list = pg_webhook_endpoint_list,
	.webhook_events = pg_webhook_events,
	.webhook_delivery_add = pg_webhook_delivery_add,
	.webhook_cursor_set = pg_webhook_cursor_set,
	.webhook_claim = pg_webhook_claim,
	.webhook_update = pg_webhook_update,
	.link_find = pg_link_find,
	.link_set_csrf = pg_link_set_csrf,
	.link_revoke_case = pg_link_revoke_case,
	.case_get = pg_case_get,
	.case_hold = pg_case_hold,
	.case_fees_paid = pg_case_fees_paid,
	.case_fees_pay = pg_case_fees_pay,
	.payment_set_credit = pg_payment_set_credit,
	.customer_credit = pg_customer_credit,
	.case_messages = pg_case_messages,
	.payment_list = pg_payment_list,
	.event_count = pg_event_count,
	.invoice_set_disputed = pg_invoice_set_disputed,
	.plan_insert = pg_plan_insert,
	.plan_active = pg_plan_active,
	.plan_update = pg_plan_update,
	.plan_cases = pg_plan_cases,
	.request_insert = pg_request_insert,
	.request_list = pg_request_list,
	.request_done = pg_request_done,
	.checkout_insert = pg_checkout_insert,
	.checkout_find = pg_checkout_find,
	.checkout_set_status = pg_checkout_set_status,
	.statement_index = pg_statement_index,
	.statement_entry_known = pg_statement_entry_known,
	.statement_entry_insert = pg_statement_entry_insert,
	.review_insert = pg_review_insert,
	.payer_upsert = pg_payer_upsert,
	.statement_paid_find = pg_statement_paid_find,
	.invoices_paid = pg_invoices_paid,
	.statement_rows_held = pg_statement_rows_held,
	.cases_with_event = pg_cases_with_event,
	.statement_entries_insert = pg_statement_entries_insert,
	.payment_insert_credit = pg_payment_insert_credit,
	.operator_insert = pg_operator_insert,
	.operator_find = pg_operator_find,
	.operator_list = pg_operator_list,
	.operator_set_disabled = pg_operator_set_disabled,
	.session_insert = pg_session_insert,
	.session_find = pg_session_find,
	.session_touch = pg_session_touch,
	.session_delete = pg_session_delete,
	.sessions_end = pg_sessions_end,
	.login_failure_add = pg_login_failure_add,
	.login_failures_count = pg_login_failures_count,
	.login_failures_prune = pg_login_failures_prune,
	.case_notes = pg_case_notes,
	.case_note_add = pg_case_note_add,
	.queue = pg_queue,
	.charge_insert = pg_charge_insert,
	.charge_get = pg_charge_get,
	.charge_find = pg_charge_find,
	.charge_update = pg_charge_update,
	.charge_due = pg_charge_due,
	.charge_list = pg_charge_list,
	.report_refresh = pg_report_refresh,
	.report_rows = pg_report_rows,
	.portal_visit = pg_portal_visit,
	.case_experiment_add = pg_case_experiment_add,
	.experiment_stats = pg_experiment_stats,
	.strategy_activate = pg_strategy_activate,
	.strategy_change_add = pg_strategy_change_add,
	.strategy_changes = pg_strategy_changes,
	.review_get = pg_review_get,
	.review_target = pg_review_target,
	.review_customers = pg_review_customers,
	.review_done = pg_review_done,
	.review_entry_decide = pg_review_entry_decide,
	.case_messages_cancel = pg_case_messages_cancel,
};
