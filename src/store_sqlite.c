/*
 * store_sqlite: the embedded SQLite backend of the store (see store.h).
 *
 * One connection per process, WAL journal, every statement prepared once
 * and reused with bound parameters (never text pasted into SQL). This file
 * holds SQL and row mapping only: it never decides anything about a case.
 * Migrations come from migrations/sqlite/NNNN_name.sql, compiled into the
 * binary (embed.h), each applied in its own transaction and recorded in
 * schema_migrations.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "embed.h"
#include "mem.h"
#include "store.h"

/* Prepared statements, by purpose. */
enum sq_stmt {
	SQ_TENANT_INSERT,
	SQ_TENANT_GET,
	SQ_TENANT_LIST,
	SQ_CUSTOMER_UPSERT,
	SQ_CUSTOMER_GET,
	SQ_CUSTOMER_ID,
	SQ_CONTACTS_DELETE,
	SQ_CONTACT_INSERT,
	SQ_CONTACTS_GET,
	SQ_INVOICE_UPSERT,
	SQ_INVOICE_GET,
	SQ_INVOICE_REF,
	SQ_INVOICES_OPEN,
	SQ_INVOICE_SET_OPEN,
	SQ_INVOICE_WRITE_OFF,
	SQ_PAYMENT_INSERT,
	SQ_STRATEGY_NEXT,
	SQ_STRATEGY_DEACTIVATE,
	SQ_STRATEGY_INSERT,
	SQ_STRATEGY_GET,
	SQ_STRATEGY_GET_ACTIVE,
	SQ_WORK_CUSTOMERS,
	SQ_WORK_CONTACTS,
	SQ_WORK_INVOICES,
	SQ_WORK_CASES,
	SQ_WORK_HISTORY,
	SQ_CUSTOMER_RANGE,
	SQ_CASE_UPDATE,
	SQ_CASE_LIST,
	SQ_CASE_HISTORY,
	SQ_RANGE_MAX_TO,
	SQ_RANGE_INSERT,
	SQ_RANGE_CLAIM,
	SQ_RANGE_PEEK,
	SQ_RANGE_DONE,
	SQ_SETTINGS_GET,
	SQ_SETTING_PUT,
	SQ_SETTING_DELETE,
	SQ_TEMPLATE_GET,
	SQ_TEMPLATE_PUT,
	SQ_TEMPLATE_DELETE,
	SQ_OUTBOX_FILL,
	SQ_OUTBOX_EVENTS,
	SQ_OUTBOX_MARK,
	SQ_OUTBOX_CLAIM,
	SQ_OUTBOX_UPDATE,
	SQ_OUTBOX_INSERT,
	SQ_OUTBOX_SENT,
	SQ_CUSTOMER_EXTERNAL,
	SQ_LINK_INSERT,
	SQ_OUTBOX_FIND_PROVIDER,
	SQ_OUTBOX_SET_STATUS,
	SQ_APIKEY_INSERT,
	SQ_APIKEY_FIND,
	SQ_APIKEY_LIST,
	SQ_APIKEY_REVOKE,
	SQ_CUSTOMER_LIST,
	SQ_INVOICE_LIST,
	SQ_IDEM_CLAIM,
	SQ_IDEM_GET,
	SQ_IDEM_FINISH,
	SQ_IDEM_DELETE,
	SQ_WH_ENDPOINT_ADD,
	SQ_WH_ENDPOINT_LIST,
	SQ_WH_EVENTS,
	SQ_WH_DELIVERY_ADD,
	SQ_WH_CURSOR,
	SQ_WH_CLAIM,
	SQ_WH_UPDATE,
	SQ_LINK_FIND,
	SQ_LINK_SET_CSRF,
	SQ_LINK_REVOKE_CASE,
	SQ_CASE_GET,
	SQ_CASE_HOLD,
	SQ_CASE_FEES_PAID,    /* fees paid and credit (migration 0012) */
	SQ_CASE_FEES_PAY,
	SQ_PAYMENT_SET_CREDIT,
	SQ_CUSTOMER_CREDIT,
	SQ_CASE_MESSAGES,
	SQ_PAYMENT_LIST,
	SQ_EVENT_COUNT,
	SQ_INVOICE_SET_DISPUTED,
	SQ_PLAN_INSERT,
	SQ_PLAN_INSTALMENT_INSERT,
	SQ_PLAN_ACTIVE,
	SQ_PLAN_INSTALMENTS,
	SQ_PLAN_UPDATE,
	SQ_PLAN_CASES,
	SQ_REQUEST_INSERT,
	SQ_REQUEST_LIST,
	SQ_REQUEST_DONE,
	SQ_CHECKOUT_INSERT,
	SQ_CHECKOUT_FIND,
	SQ_CHECKOUT_SET_STATUS,
	SQ_STMT_INVOICES,
	SQ_STMT_CASES,
	SQ_STMT_PAYERS,
	SQ_STMT_ENTRY_KNOWN,
	SQ_STMT_ENTRY_INSERT,
	SQ_REVIEW_INSERT,
	SQ_PAYER_UPSERT,
	SQ_STMT_PAID_E2E,
	SQ_STMT_PAID_STMT,
	SQ_INVOICES_PAID,
	SQ_CASES_WITH_EVENT,  /* statement batch */
	SQ_PAYMENT_INSERT_CREDIT,
	SQ_OPERATOR_INSERT,
	SQ_OPERATOR_FIND,
	SQ_OPERATOR_LIST,
	SQ_OPERATOR_SET_DISABLED,
	SQ_SESSION_INSERT,
	SQ_SESSION_FIND,
	SQ_SESSION_TOUCH,
	SQ_SESSION_DELETE,
	SQ_SESSIONS_END,
	SQ_LOGIN_FAILURE_ADD,
	SQ_LOGIN_FAILURES_COUNT,
	SQ_LOGIN_FAILURES_PRUNE,
	SQ_CASE_NOTES,
	SQ_CASE_NOTE_ADD,
	SQ_QUEUE,
	SQ_CHARGE_INSERT,     /* automatic charges (migration 0013) */
	SQ_CHARGE_GET,
	SQ_CHARGE_FIND,
	SQ_CHARGE_UPDATE,
	SQ_CHARGE_DUE,
	SQ_CHARGE_LIST,
	SQ_REPORT_INFO,
	SQ_REPORT_ROWS,
	SQ_PORTAL_VISIT,
	/* ---- experiments (migration 0015) ---- */
	SQ_CASE_EXPERIMENT_ADD,
	SQ_EXPERIMENT_STATS,
	SQ_STRATEGY_SET_ACTIVE,
	SQ_STRATEGY_CHANGE_ADD,
	SQ_STRATEGY_CHANGES,
	/* ---- payment review (console) ---- */
	SQ_REVIEW_GET,
	SQ_REVIEW_INVOICE,
	SQ_REVIEW_CASE,
	SQ_REVIEW_CUSTOMERS,
	SQ_REVIEW_DONE,
	SQ_REVIEW_ENTRY_DECIDE,
	SQ_CASE_MESSAGES_CANCEL,
	SQ__COUNT
};

/* The columns of a message, in the order read_message expects. */
#define MSG_COLS "id, tenant_id, case_id, customer_id, step, channel, fallbacks," \
	" template_id, tone, status, not_before, attempts, lease_until," \
	" lease_owner, idempotency_key, provider, provider_id, last_error," \
	" link_hash, created_at, sent_at"

/* The columns of a charge, in the order read_charge reads them. */
#define SQ_CHARGE_COLS                                                    \
	"id, tenant_id, customer_id, invoice_id, case_id, provider,"      \
	" payment_id, customer_ref, mandate_ref, amount_minor, currency," \
	" status, failure_code, decline_class, attempts, failed_on,"      \
	" next_attempt_on, attempt_id, attempt_refs, awaiting,"           \
	" created_at, updated_at"

static const char *const sq_sql[SQ__COUNT] = {
	[SQ_TENANT_INSERT] =
		"INSERT INTO tenants (slug, name, timezone, locale, created_at)"
		" VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
		" ON CONFLICT (slug) DO UPDATE SET name = excluded.name,"
		" timezone = excluded.timezone, locale = excluded.locale"
		" RETURNING id",
	[SQ_TENANT_GET] =
		"SELECT id, slug, name, timezone, locale FROM tenants"
		" WHERE slug = ?1",
	[SQ_TENANT_LIST] =
		"SELECT id, slug, name, timezone, locale FROM tenants ORDER BY id",
	[SQ_CUSTOMER_UPSERT] =
		"INSERT INTO customers (tenant_id, external_id, name, locale,"
		" timezone, country, segments, vulnerable, do_not_contact,"
		" deceased, plain_language, moratorium_until, customer_since,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
		" ?11, ?12, ?13, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
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
	[SQ_CUSTOMER_GET] =
		"SELECT id, tenant_id, external_id, name, locale, timezone,"
		" country, segments, vulnerable, do_not_contact, deceased,"
		" plain_language, moratorium_until, customer_since"
		" FROM customers WHERE tenant_id = ?1 AND external_id = ?2",
	[SQ_CUSTOMER_ID] =
		"SELECT id FROM customers WHERE tenant_id = ?1 AND external_id = ?2",
	[SQ_CONTACTS_DELETE] =
		"DELETE FROM contact_points WHERE tenant_id = ?1"
		" AND customer_id = ?2",
	[SQ_CONTACT_INSERT] =
		"INSERT INTO contact_points (tenant_id, customer_id, channel,"
		" address, consent, preference) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_CONTACTS_GET] =
		"SELECT channel, address, consent, preference FROM contact_points"
		" WHERE tenant_id = ?1 AND customer_id = ?2"
		" ORDER BY preference, channel",
	[SQ_INVOICE_UPSERT] =
		"INSERT INTO invoices (tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
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
	[SQ_INVOICE_GET] =
		"SELECT id, tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url FROM invoices"
		" WHERE tenant_id = ?1 AND external_id = ?2",
	[SQ_INVOICE_REF] =
		"SELECT id, tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url FROM invoices"
		" WHERE tenant_id = ?1 AND (payment_reference = ?2 OR number = ?2)"
		" ORDER BY payment_reference = ?2 DESC, id LIMIT 1",
	[SQ_INVOICES_OPEN] =
		"SELECT id, tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url FROM invoices"
		" WHERE tenant_id = ?1 AND customer_id = ?2 AND currency = ?3"
		" AND open_minor > 0 AND written_off = 0 ORDER BY due_date, id",
	[SQ_INVOICE_SET_OPEN] =
		"UPDATE invoices SET open_minor = ?3,"
		" updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_INVOICE_WRITE_OFF] =
		"UPDATE invoices SET written_off = 1,"
		" updated_at = strftime('%Y-%m-%dT%H:%M:%SZ','now')"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_PAYMENT_INSERT] =
		"INSERT INTO payments (tenant_id, external_id, customer_id,"
		" invoice_id, amount_minor, currency, paid_on, method, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
		" ON CONFLICT (tenant_id, external_id) DO NOTHING",
	[SQ_STRATEGY_NEXT] =
		"SELECT COALESCE(MAX(version), 0) + 1 FROM strategy_versions"
		" WHERE tenant_id = ?1",
	[SQ_STRATEGY_DEACTIVATE] =
		"UPDATE strategy_versions SET active = 0 WHERE tenant_id = ?1"
		" AND active = 1",
	[SQ_STRATEGY_INSERT] =
		"INSERT INTO strategy_versions (tenant_id, version, source, yaml,"
		" active, created_at) VALUES (?1, ?2, ?3, ?4, ?5,"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
	[SQ_STRATEGY_GET] =
		"SELECT id, tenant_id, version, source, yaml, active"
		" FROM strategy_versions WHERE tenant_id = ?1 AND version = ?2",
	[SQ_STRATEGY_GET_ACTIVE] =
		"SELECT id, tenant_id, version, source, yaml, active"
		" FROM strategy_versions WHERE tenant_id = ?1 AND active = 1",
	[SQ_WORK_CUSTOMERS] =
		/* every customer of the range, in rowid order: a plain scan is
		 * cheaper than probing for open invoices per customer, and the
		 * merge in sq_work_load keeps only those with something open.
		 * "+tenant_id" keeps SQLite from choosing the (tenant_id,
		 * external_id) index, which walks every customer of the tenant
		 * and sorts (3.6 ms for one customer among 33,000, against
		 * 0.05 ms for the rowid range: a payment's engine run) */
		"SELECT id, external_id, timezone, country, segments, vulnerable,"
		" do_not_contact, deceased, plain_language, moratorium_until,"
		" customer_since FROM customers"
		" WHERE +tenant_id = ?1 AND id >= ?2 AND id < ?3 ORDER BY id",
	[SQ_WORK_CONTACTS] =
		"SELECT customer_id, channel, consent, preference"
		" FROM contact_points WHERE tenant_id = ?1 AND customer_id >= ?2"
		" AND customer_id < ?3 ORDER BY customer_id, preference, channel",
	[SQ_WORK_INVOICES] =
		"SELECT customer_id, id, currency, due_date, open_minor, disputed"
		" FROM invoices WHERE tenant_id = ?1 AND customer_id >= ?2"
		" AND customer_id < ?3 AND open_minor > 0 AND written_off = 0"
		" ORDER BY customer_id, currency, due_date",
	[SQ_WORK_CASES] =
		"SELECT customer_id, id, currency, status, strategy_version,"
		" strategy, anchor_date, next_step, opened_on, last_step_on,"
		" closed_on, hold_reason, hold_until, fees_minor, fees_paid_minor"
		" FROM cases"
		" WHERE tenant_id = ?1 AND customer_id >= ?2 AND customer_id < ?3"
		" AND status = 'open' ORDER BY customer_id, currency",
	[SQ_WORK_HISTORY] =
		/* through the customer's cases that took a step lately: no
		 * index on actions by customer is needed (one fewer index to
		 * maintain on the run's largest table) */
		"SELECT k.customer_id, a.decided_on FROM cases k"
		" JOIN actions a ON a.tenant_id = k.tenant_id AND a.case_id = k.id"
		" WHERE k.tenant_id = ?1 AND k.customer_id >= ?2"
		" AND k.customer_id < ?3 AND k.last_step_on >= ?4"
		" AND a.kind = 'contact' AND a.decided_on >= ?4"
		" ORDER BY k.customer_id, a.decided_on",
	[SQ_CUSTOMER_RANGE] =
		"SELECT MIN(id), MAX(id) FROM customers WHERE tenant_id = ?1",
	[SQ_CASE_UPDATE] =
		"UPDATE cases SET status = ?3, anchor_date = ?4, next_step = ?5,"
		" last_step_on = ?6, closed_on = ?7, hold_reason = ?8,"
		" hold_until = ?9, fees_minor = ?10"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_CASE_LIST] =
		"SELECT customer_id, id, currency, status, strategy_version,"
		" strategy, anchor_date, next_step, opened_on, last_step_on,"
		" closed_on, hold_reason, hold_until, fees_minor, fees_paid_minor"
		" FROM cases"
		" WHERE tenant_id = ?1 AND customer_id = ?2 ORDER BY id",
	[SQ_CASE_HISTORY] =
		"SELECT at, '' AS on_date, 'event' AS what, kind, '' AS step,"
		" '' AS channel, 0 AS amount, '' AS currency, detail, id, 0 AS ord"
		" FROM case_events WHERE tenant_id = ?1 AND case_id = ?2"
		" UNION ALL"
		" SELECT decided_at, decided_on, 'action', kind, step, channel,"
		" amount_minor, currency,"
		" CASE WHEN reason <> '' THEN reason"
		"  WHEN end_action <> '' THEN end_action"
		"  WHEN template <> '' THEN template || ' (' || tone || ')'"
		"  ELSE status END,"
		" CASE kind WHEN 'agent' THEN 0 WHEN 'skip' THEN 1"
		"  WHEN 'contact' THEN 2 WHEN 'fee' THEN 3 ELSE 4 END, 1"
		" FROM actions WHERE tenant_id = ?1 AND case_id = ?2"
		" ORDER BY 1, 11, 2, 10, 5, 6",
	[SQ_RANGE_MAX_TO] =
		"SELECT COALESCE(MAX(range_to), 0) FROM run_ranges"
		" WHERE tenant_id = ?1",
	[SQ_RANGE_INSERT] =
		"INSERT INTO run_ranges (tenant_id, range_from, range_to)"
		" VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id, range_from) DO NOTHING",
	/* SQLite has one writer at a time (BEGIN IMMEDIATE): the first range
	 * not run at this instant is this worker's until it commits. */
	[SQ_RANGE_CLAIM] =
		"SELECT range_from, range_to FROM run_ranges WHERE tenant_id = ?1"
		" AND (last_as_of IS NULL OR last_as_of < ?2)"
		" ORDER BY range_from LIMIT 1",
	[SQ_RANGE_PEEK] =
		"SELECT range_from, range_to FROM run_ranges WHERE tenant_id = ?1"
		" AND (last_as_of IS NULL OR last_as_of < ?2) AND range_from > ?3"
		" ORDER BY range_from LIMIT 1",
	[SQ_RANGE_DONE] =
		"UPDATE run_ranges SET last_as_of = ?3"
		" WHERE tenant_id = ?1 AND range_from = ?2",
	[SQ_SETTINGS_GET] =
		"SELECT key, value FROM tenant_settings WHERE tenant_id = ?1"
		" ORDER BY key",
	[SQ_SETTING_PUT] =
		"INSERT INTO tenant_settings (tenant_id, key, value, updated_at)"
		" VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
		" ON CONFLICT (tenant_id, key) DO UPDATE SET"
		" value = excluded.value, updated_at = excluded.updated_at",
	[SQ_SETTING_DELETE] =
		"DELETE FROM tenant_settings WHERE tenant_id = ?1 AND key = ?2",
	[SQ_TEMPLATE_GET] =
		"SELECT source FROM templates WHERE tenant_id = ?1"
		" AND locale = ?2 AND template_id = ?3 AND variant = ?4",
	[SQ_TEMPLATE_PUT] =
		"INSERT INTO templates (tenant_id, locale, template_id, variant,"
		" source, updated_at) VALUES (?1, ?2, ?3, ?4, ?5,"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
		" ON CONFLICT (tenant_id, locale, template_id, variant) DO UPDATE"
		" SET source = excluded.source, updated_at = excluded.updated_at",
	[SQ_TEMPLATE_DELETE] =
		"DELETE FROM templates WHERE tenant_id = ?1 AND locale = ?2"
		" AND template_id = ?3 AND variant = ?4",
	[SQ_OUTBOX_FILL] =
		"INSERT INTO messages (tenant_id, case_id, customer_id, step,"
		" channel, fallbacks, template_id, tone, status, not_before,"
		" idempotency_key, created_at, updated_at)"
		" SELECT tenant_id, case_id, customer_id, step, channel, fallbacks,"
		" template, tone, 'queued', ?2,"
		" 'dw-' || tenant_id || '-' || case_id || '-' || step || '-' ||"
		" channel, decided_at, ?2 FROM actions"
		" WHERE tenant_id = ?1 AND status = 'queued' AND kind = 'contact'"
		" ORDER BY case_id LIMIT ?3"
		" ON CONFLICT DO NOTHING",
	[SQ_OUTBOX_EVENTS] =
		"INSERT INTO case_events (tenant_id, case_id, at, kind, detail)"
		" SELECT a.tenant_id, a.case_id, ?2, 'message.queued',"
		" json_object('step', a.step, 'channel', a.channel,"
		" 'message', m.id) FROM actions a JOIN messages m"
		" ON m.tenant_id = a.tenant_id AND m.case_id = a.case_id"
		" AND m.step = a.step AND m.channel = a.channel"
		" WHERE a.tenant_id = ?1 AND a.status = 'queued'"
		" AND a.kind = 'contact'",
	[SQ_OUTBOX_MARK] =
		"UPDATE actions SET status = 'outbox'"
		" WHERE tenant_id = ?1 AND status = 'queued' AND kind = 'contact'"
		" AND EXISTS (SELECT 1 FROM messages m WHERE m.tenant_id ="
		" actions.tenant_id AND m.case_id = actions.case_id"
		" AND m.step = actions.step AND m.channel = actions.channel)",
	[SQ_OUTBOX_CLAIM] =
		"UPDATE messages SET lease_until = ?3, lease_owner = ?4"
		" WHERE id IN (SELECT id FROM messages WHERE tenant_id = ?1"
		" AND status = 'queued' AND not_before <= ?2"
		" AND (lease_until IS NULL OR lease_until < ?2)"
		" ORDER BY not_before, id LIMIT ?5)"
		" RETURNING " MSG_COLS,
	[SQ_OUTBOX_UPDATE] =
		"UPDATE messages SET status = ?3, not_before = ?4, attempts = ?5,"
		" lease_until = NULL, lease_owner = NULL, provider = ?6,"
		" provider_id = ?7, last_error = ?8, link_hash = ?9,"
		" sent_at = ?10, updated_at = ?11"
		" WHERE tenant_id = ?1 AND id = ?2 AND lease_owner = ?12",
	[SQ_OUTBOX_INSERT] =
		"INSERT INTO messages (tenant_id, case_id, customer_id, step,"
		" channel, fallbacks, template_id, tone, status, not_before,"
		" idempotency_key, created_at, updated_at) VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12)"
		" ON CONFLICT DO NOTHING",
	[SQ_OUTBOX_SENT] =
		"SELECT sent_at, case_id, step FROM messages WHERE tenant_id = ?1"
		" AND customer_id = ?2 AND sent_at >= ?3 ORDER BY sent_at",
	[SQ_CUSTOMER_EXTERNAL] =
		"SELECT external_id FROM customers WHERE tenant_id = ?1"
		" AND id = ?2",
	[SQ_OUTBOX_FIND_PROVIDER] =
		"SELECT " MSG_COLS " FROM messages WHERE tenant_id = ?1"
		" AND provider = ?2 AND provider_id = ?3 AND provider_id <> ''"
		" ORDER BY id DESC LIMIT 1",
	[SQ_OUTBOX_SET_STATUS] =
		"UPDATE messages SET status = ?3, last_error = ?4, updated_at = ?5"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_LINK_INSERT] =
		"INSERT INTO links (token_hash, tenant_id, case_id, customer_id,"
		" created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[SQ_APIKEY_INSERT] =
		"INSERT INTO api_keys (tenant_id, prefix, hash, scopes, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQ_APIKEY_FIND] =
		"SELECT id, tenant_id, prefix, scopes, created_at, revoked_at"
		" FROM api_keys WHERE hash = ?1",
	[SQ_APIKEY_LIST] =
		"SELECT id, tenant_id, prefix, scopes, created_at, revoked_at"
		" FROM api_keys WHERE tenant_id = ?1 ORDER BY id",
	[SQ_APIKEY_REVOKE] =
		"UPDATE api_keys SET revoked_at = ?3 WHERE tenant_id = ?1"
		" AND prefix = ?2 AND revoked_at IS NULL",
	[SQ_CUSTOMER_LIST] =
		"SELECT external_id FROM customers WHERE tenant_id = ?1"
		" AND external_id > ?2 ORDER BY external_id LIMIT ?3",
	[SQ_INVOICE_LIST] =
		"SELECT id, tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url FROM invoices"
		" WHERE tenant_id = ?1 AND customer_id = ?2 AND external_id > ?3"
		" ORDER BY external_id LIMIT ?4",
	[SQ_IDEM_CLAIM] =
		"INSERT INTO idempotency_keys (tenant_id, key, request_hash,"
		" created_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
	[SQ_IDEM_GET] =
		"SELECT request_hash, status, response_body, created_at"
		" FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2",
	[SQ_IDEM_FINISH] =
		"UPDATE idempotency_keys SET status = ?3, response_body = ?4"
		" WHERE tenant_id = ?1 AND key = ?2",
	[SQ_IDEM_DELETE] =
		"DELETE FROM idempotency_keys WHERE tenant_id = ?1 AND key = ?2",
	[SQ_WH_ENDPOINT_ADD] =
		"INSERT INTO webhook_endpoints (tenant_id, url, secret, events,"
		" cursor_event_id, cursor_order, created_at) VALUES (?1, ?2, ?3,"
		" ?4, (SELECT COALESCE(MAX(id), 0) FROM case_events"
		" WHERE tenant_id = ?1), (SELECT COALESCE(MAX(id), 0) FROM"
		" case_events WHERE tenant_id = ?1), ?5) RETURNING id",
	[SQ_WH_ENDPOINT_LIST] =
		"SELECT id, tenant_id, url, secret, events, active,"
		" cursor_event_id, created_at, cursor_order FROM webhook_endpoints"
		" WHERE tenant_id = ?1 ORDER BY id",
	[SQ_WH_EVENTS] =
		"SELECT e.id, e.case_id, e.at, e.kind, e.detail, cu.external_id"
		" FROM case_events e JOIN cases c ON c.id = e.case_id"
		" JOIN customers cu ON cu.id = c.customer_id"
		" WHERE e.tenant_id = ?1 AND e.id > ?2 ORDER BY e.id LIMIT ?3",
	[SQ_WH_DELIVERY_ADD] =
		"INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id,"
		" kind, payload, status, not_before, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
	[SQ_WH_CURSOR] =
		/* one writer: the order is the id (?3 is ignored) */
		"UPDATE webhook_endpoints SET cursor_event_id ="
		" MAX(cursor_event_id, ?4), cursor_order = MAX(cursor_order, ?4)"
		" WHERE tenant_id = ?1 AND id = ?2 AND ?3 = ?3",
	[SQ_WH_CLAIM] =
		"UPDATE webhook_deliveries SET lease_until = ?3, lease_owner = ?4"
		" WHERE id IN (SELECT id FROM webhook_deliveries"
		" WHERE tenant_id = ?1 AND status = 'queued'"
		" AND not_before <= ?2"
		" AND (lease_until IS NULL OR lease_until < ?2)"
		" ORDER BY not_before, id LIMIT ?5)"
		" RETURNING id, tenant_id, endpoint_id, event_id, kind, payload,"
		" status, attempts, not_before, last_error, response_status,"
		" created_at, delivered_at,"
		" (SELECT w.url FROM webhook_endpoints w"
		" WHERE w.id = webhook_deliveries.endpoint_id),"
		" (SELECT w.secret FROM webhook_endpoints w"
		" WHERE w.id = webhook_deliveries.endpoint_id)",
	[SQ_WH_UPDATE] =
		"UPDATE webhook_deliveries SET status = ?3, attempts = ?4,"
		" not_before = ?5, last_error = ?6, response_status = ?7,"
		" delivered_at = ?8, lease_until = NULL, lease_owner = NULL"
		" WHERE tenant_id = ?1 AND id = ?2 AND lease_owner = ?9",
	/* ---- the customer's page (migration 0009) ---- */
	[SQ_LINK_FIND] =
		"SELECT tenant_id, case_id, customer_id, created_at, expires_at,"
		" revoked_at, csrf_key FROM links WHERE token_hash = ?1",
	[SQ_LINK_SET_CSRF] =
		"UPDATE links SET csrf_key = ?2 WHERE token_hash = ?1"
		" AND csrf_key = ''",
	[SQ_LINK_REVOKE_CASE] =
		"UPDATE links SET revoked_at = ?3 WHERE tenant_id = ?1"
		" AND case_id = ?2 AND revoked_at IS NULL",
	[SQ_CASE_GET] =
		"SELECT customer_id, id, currency, status, strategy_version,"
		" strategy, anchor_date, next_step, opened_on, last_step_on,"
		" closed_on, hold_reason, hold_until, fees_minor, fees_paid_minor"
		" FROM cases"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_CASE_HOLD] =
		"UPDATE cases SET hold_reason = ?3, hold_until = ?4"
		" WHERE tenant_id = ?1 AND id = ?2 AND status = 'open'",
	/* ---- fees paid and credit (migration 0012) ---- */
	[SQ_CASE_FEES_PAID] =
		"SELECT fees_paid_minor FROM cases WHERE tenant_id = ?1"
		" AND id = ?2",
	[SQ_CASE_FEES_PAY] =
		"UPDATE cases SET fees_paid_minor = fees_paid_minor + ?3"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_PAYMENT_SET_CREDIT] =
		"UPDATE payments SET unallocated_minor = ?3"
		" WHERE tenant_id = ?1 AND external_id = ?2",
	[SQ_CUSTOMER_CREDIT] =
		"SELECT COALESCE(sum(unallocated_minor), 0) FROM payments"
		" WHERE tenant_id = ?1 AND customer_id = ?2 AND currency = ?3"
		" AND unallocated_minor > 0",
	[SQ_CASE_MESSAGES] =
		"SELECT " MSG_COLS " FROM messages WHERE tenant_id = ?1"
		" AND case_id = ?2 ORDER BY id",
	[SQ_PAYMENT_LIST] =
		"SELECT id, external_id, invoice_id, amount_minor, paid_on, method"
		" FROM payments WHERE tenant_id = ?1 AND customer_id = ?2"
		" AND currency = ?3 AND paid_on >= ?4 ORDER BY paid_on, id",
	[SQ_EVENT_COUNT] =
		"SELECT count(*) FROM case_events WHERE tenant_id = ?1"
		" AND case_id = ?2 AND kind = ?3",
	[SQ_INVOICE_SET_DISPUTED] =
		"UPDATE invoices SET disputed = ?3 WHERE tenant_id = ?1 AND id = ?2",
	[SQ_PLAN_INSERT] =
		"INSERT INTO plans (tenant_id, case_id, customer_id, currency,"
		" total_minor, months, day_of_month, paid_minor, status, source,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'active', ?9,"
		" ?10)",
	[SQ_PLAN_INSTALMENT_INSERT] =
		"INSERT INTO plan_instalments (tenant_id, plan_id, n, due_on,"
		" amount_minor) VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQ_PLAN_ACTIVE] =
		"SELECT id, customer_id, currency, total_minor, months,"
		" day_of_month, paid_minor, status, source, created_at, ended_at"
		" FROM plans WHERE tenant_id = ?1 AND case_id = ?2"
		" AND status = 'active'",
	[SQ_PLAN_INSTALMENTS] =
		"SELECT n, due_on, amount_minor FROM plan_instalments"
		" WHERE tenant_id = ?1 AND plan_id = ?2 ORDER BY n",
	[SQ_PLAN_UPDATE] =
		"UPDATE plans SET paid_minor = ?3, status = ?4, ended_at = ?5"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_PLAN_CASES] =
		"SELECT case_id FROM plans WHERE tenant_id = ?1"
		" AND status = 'active' ORDER BY case_id",
	[SQ_REQUEST_INSERT] =
		"INSERT INTO requests (tenant_id, case_id, customer_id, kind,"
		" reason, message, contact_via, callback_at, invoice_id, status,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'open',"
		" ?10)",
	[SQ_REQUEST_LIST] =
		"SELECT id, customer_id, kind, reason, message, contact_via,"
		" callback_at, invoice_id, status, created_at FROM requests"
		" WHERE tenant_id = ?1 AND case_id = ?2 ORDER BY id DESC",
	[SQ_REQUEST_DONE] =
		"UPDATE requests SET status = 'done', done_at = ?4"
		" WHERE tenant_id = ?1 AND case_id = ?2 AND id = ?3"
		" AND status = 'open'",
	[SQ_CHECKOUT_INSERT] =
		"INSERT INTO psp_checkouts (tenant_id, case_id, provider,"
		" provider_id, amount_minor, currency, status, created_at,"
		" updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
	[SQ_CHECKOUT_FIND] =
		"SELECT id, case_id, provider, provider_id, amount_minor,"
		" currency, status, created_at, updated_at FROM psp_checkouts"
		" WHERE tenant_id = ?1 AND provider = ?2 AND provider_id = ?3",
	[SQ_CHECKOUT_SET_STATUS] =
		"UPDATE psp_checkouts SET status = ?3, updated_at = ?4"
		" WHERE tenant_id = ?1 AND id = ?2",
	/* ---- bank statements (migration 0010) ---- */
	[SQ_STMT_INVOICES] =
		/* cases_open makes the join one row at most */
		"SELECT i.id, i.customer_id, COALESCE(k.id, 0), i.number,"
		" i.payment_reference, i.open_minor, i.currency, i.due_date,"
		" i.amount_minor"
		" FROM invoices i LEFT JOIN cases k ON k.tenant_id = i.tenant_id"
		" AND k.customer_id = i.customer_id AND k.currency = i.currency"
		" AND k.status = 'open'"
		" WHERE i.tenant_id = ?1 AND i.open_minor > 0"
		" AND i.written_off = 0",
	[SQ_STMT_CASES] =
		"SELECT k.id, k.customer_id, k.currency,"
		" k.fees_minor - k.fees_paid_minor +"
		" COALESCE((SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND i.written_off = 0), 0), k.fees_minor, k.fees_paid_minor"
		" FROM cases k WHERE k.tenant_id = ?1 AND k.status = 'open'",
	[SQ_STMT_PAYERS] =
		"SELECT customer_id, iban, name FROM payer_accounts"
		" WHERE tenant_id = ?1",
	[SQ_STMT_ENTRY_KNOWN] =
		"SELECT 1 FROM statement_entries WHERE tenant_id = ?1"
		" AND bank_ref = ?2 AND status = ?3",
	[SQ_STMT_ENTRY_INSERT] =
		"INSERT INTO statement_entries (tenant_id, bank_ref, status,"
		" statement_id, booked_on, amount_minor, currency, credit,"
		" reversal, returned, return_reason, debtor_name, debtor_iban,"
		" reference, unstructured, end_to_end_id, outcome,"
		" payment_external_id, case_id, invoice_id, customer_id,"
		" reverses_id, credit_minor, rule, reason, created_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		" ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
		" ON CONFLICT (tenant_id, bank_ref, status) DO NOTHING",
	[SQ_REVIEW_INSERT] =
		"INSERT INTO review_items (tenant_id, entry_id, reason,"
		" candidates, status, created_at) VALUES (?1, ?2, ?3, ?4, 'open',"
		" ?5)",
	[SQ_PAYER_UPSERT] =
		"INSERT INTO payer_accounts (tenant_id, customer_id, iban, name,"
		" last_seen) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (tenant_id, iban, customer_id) DO UPDATE SET"
		" name = excluded.name, last_seen = excluded.last_seen"
		" WHERE excluded.last_seen >= payer_accounts.last_seen",
	[SQ_STMT_PAID_E2E] =
		"SELECT e.id, e.customer_id, e.case_id, e.invoice_id,"
		" e.amount_minor, e.credit_minor, e.currency, e.booked_on"
		" FROM statement_entries e WHERE e.tenant_id = ?1"
		" AND e.end_to_end_id = ?2 AND e.outcome = 'payment'"
		" AND NOT EXISTS (SELECT 1 FROM statement_entries r"
		" WHERE r.tenant_id = e.tenant_id AND r.reverses_id = e.id)"
		" ORDER BY e.id DESC LIMIT ?3",
	[SQ_STMT_PAID_STMT] =
		"SELECT e.id, e.customer_id, e.case_id, e.invoice_id,"
		" e.amount_minor, e.credit_minor, e.currency, e.booked_on"
		" FROM statement_entries e WHERE e.tenant_id = ?1"
		" AND e.statement_id = ?2 AND e.amount_minor = ?3"
		" AND e.currency = ?4 AND e.credit = 1 AND e.outcome = 'payment'"
		" AND NOT EXISTS (SELECT 1 FROM statement_entries r"
		" WHERE r.tenant_id = e.tenant_id AND r.reverses_id = e.id)"
		" ORDER BY e.id DESC LIMIT ?5",
	[SQ_INVOICES_PAID] =
		"SELECT id, tenant_id, customer_id, external_id, number,"
		" issue_date, due_date, amount_minor, open_minor, currency,"
		" payment_reference, disputed, document_url FROM invoices"
		" WHERE tenant_id = ?1 AND customer_id = ?2 AND currency = ?3"
		" AND open_minor < amount_minor AND written_off = 0"
		" ORDER BY due_date DESC, id DESC",
	/* ---- statement batch ---- */
	[SQ_CASES_WITH_EVENT] =
		/* ?3: the case ids as a JSON array */
		"SELECT DISTINCT case_id FROM case_events WHERE tenant_id = ?1"
		" AND kind = ?2 AND case_id IN (SELECT value FROM json_each(?3))"
		" ORDER BY case_id",
	[SQ_PAYMENT_INSERT_CREDIT] =
		"INSERT INTO payments (tenant_id, external_id, customer_id,"
		" invoice_id, amount_minor, currency, paid_on, method, created_at,"
		" unallocated_minor)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		" strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?9)"
		" ON CONFLICT (tenant_id, external_id) DO NOTHING",
	/* ---- the team's console (migration 0011) ---- */
	[SQ_OPERATOR_INSERT] =
		"INSERT INTO operators (tenant_id, email, name, role,"
		" password_hash, disabled, created_at) VALUES (?1, ?2, ?3, ?4,"
		" ?5, ?6, ?7) ON CONFLICT (tenant_id, email) DO NOTHING",
	[SQ_OPERATOR_FIND] =
		"SELECT id, tenant_id, email, name, role, disabled, created_at,"
		" password_hash FROM operators WHERE tenant_id = ?1"
		" AND email = ?2",
	[SQ_OPERATOR_LIST] =
		"SELECT id, tenant_id, email, name, role, disabled, created_at"
		" FROM operators WHERE tenant_id = ?1 ORDER BY email",
	[SQ_OPERATOR_SET_DISABLED] =
		"UPDATE operators SET disabled = ?3 WHERE tenant_id = ?1"
		" AND email = ?2",
	[SQ_SESSION_INSERT] =
		"INSERT INTO operator_sessions (token_hash, tenant_id,"
		" operator_id, csrf_key, created_at, last_seen, expires_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[SQ_SESSION_FIND] =
		"SELECT s.token_hash, s.tenant_id, s.operator_id, s.csrf_key,"
		" s.created_at, s.last_seen, s.expires_at, o.id, o.tenant_id,"
		" o.email, o.name, o.role, o.disabled, o.created_at"
		" FROM operator_sessions s JOIN operators o"
		" ON o.tenant_id = s.tenant_id AND o.id = s.operator_id"
		" WHERE s.token_hash = ?1",
	[SQ_SESSION_TOUCH] =
		"UPDATE operator_sessions SET last_seen = ?2"
		" WHERE token_hash = ?1 AND last_seen < ?2",
	[SQ_SESSION_DELETE] =
		"DELETE FROM operator_sessions WHERE token_hash = ?1",
	[SQ_SESSIONS_END] =
		/* ?3 NULL: all of them */
		"DELETE FROM operator_sessions WHERE tenant_id = ?1"
		" AND operator_id = ?2 AND (?3 IS NULL OR expires_at <= ?3"
		" OR last_seen < ?4)",
	[SQ_LOGIN_FAILURE_ADD] =
		"INSERT INTO login_failures (tenant_id, email, remote, at)"
		" VALUES (?1, ?2, ?3, ?4)",
	[SQ_LOGIN_FAILURES_COUNT] =
		"SELECT (SELECT count(*) FROM login_failures WHERE tenant_id = ?1"
		" AND email = ?2 AND at >= ?4),"
		" (SELECT min(at) FROM login_failures WHERE tenant_id = ?1"
		" AND email = ?2 AND at >= ?4),"
		" (SELECT count(*) FROM login_failures WHERE tenant_id = ?1"
		" AND remote = ?3 AND at >= ?4),"
		" (SELECT min(at) FROM login_failures WHERE tenant_id = ?1"
		" AND remote = ?3 AND at >= ?4)",
	[SQ_LOGIN_FAILURES_PRUNE] =
		"DELETE FROM login_failures WHERE tenant_id = ?1 AND at < ?2",
	[SQ_CASE_NOTES] =
		"SELECT n.id, n.case_id, n.operator_id, n.body, n.created_at,"
		" COALESCE(o.name, '') FROM case_notes n LEFT JOIN operators o"
		" ON o.tenant_id = n.tenant_id AND o.id = n.operator_id"
		" WHERE n.tenant_id = ?1 AND n.case_id = ?2"
		" ORDER BY n.created_at, n.id",
	[SQ_CASE_NOTE_ADD] =
		"INSERT INTO case_notes (tenant_id, case_id, operator_id, body,"
		" created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQ_QUEUE] =
		/* Each branch reads its own index (0011_console.sql) in the
		 * order wanted and stops after ?2 rows; the union of those is
		 * sorted and cut again, then named and summed. */
		"WITH q AS ("
		"SELECT * FROM (SELECT 1 AS rank, r.created_at AS sort_at,"
		" r.created_at AS since, r.case_id AS case_id,"
		" r.customer_id AS customer_id, 'help' AS kind,"
		" NULL AS callback_at, r.id AS request_id, 0 AS review_id,"
		" NULL AS amount, NULL AS currency, NULL AS party"
		" FROM requests r WHERE r.tenant_id = ?1 AND r.status = 'open'"
		" AND r.kind = 'help' ORDER BY r.created_at, r.id LIMIT ?2)"
		" UNION ALL "
		"SELECT * FROM (SELECT 2, r.callback_at, r.created_at, r.case_id,"
		" r.customer_id, 'callback', r.callback_at, r.id, 0, NULL, NULL,"
		" NULL FROM requests r WHERE r.tenant_id = ?1"
		" AND r.status = 'open' AND r.kind = 'callback'"
		" ORDER BY r.callback_at, r.id LIMIT ?2)"
		" UNION ALL "
		"SELECT * FROM (SELECT 3, r.created_at, r.created_at, r.case_id,"
		" r.customer_id, 'dispute', NULL, r.id, 0, NULL, NULL, NULL"
		" FROM requests r WHERE r.tenant_id = ?1 AND r.status = 'open'"
		" AND r.kind = 'dispute' ORDER BY r.created_at, r.id LIMIT ?2)"
		" UNION ALL "
		"SELECT * FROM (SELECT 4, k.opened_on || 'T00:00:00Z',"
		" k.opened_on || 'T00:00:00Z', k.id, k.customer_id,"
		" 'vulnerable', NULL, 0, 0, NULL, NULL, NULL"
		" FROM customers c JOIN cases k ON k.tenant_id = c.tenant_id"
		" AND k.customer_id = c.id AND k.status = 'open'"
		" WHERE c.tenant_id = ?1 AND c.vulnerable = 1"
		" AND NOT EXISTS (SELECT 1 FROM case_notes n"
		" WHERE n.tenant_id = k.tenant_id AND n.case_id = k.id)"
		" ORDER BY k.opened_on, k.id LIMIT ?2)"
		" UNION ALL "
		"SELECT * FROM (SELECT 5, p.ended_at, p.ended_at, p.case_id,"
		" p.customer_id, 'broken_plan', NULL, 0, 0, NULL, NULL, NULL"
		" FROM plans p JOIN cases k ON k.id = p.case_id"
		" AND k.tenant_id = p.tenant_id"
		" WHERE p.tenant_id = ?1 AND p.status = 'broken'"
		" AND k.status = 'open' AND NOT EXISTS (SELECT 1 FROM plans l"
		" WHERE l.tenant_id = p.tenant_id AND l.case_id = p.case_id"
		" AND l.id > p.id) ORDER BY p.ended_at, p.id LIMIT ?2)"
		" UNION ALL "
		"SELECT * FROM (SELECT 6, ri.created_at, ri.created_at, 0,"
		" COALESCE(se.customer_id, 0), 'payment_review', NULL, 0, ri.id,"
		" se.amount_minor, se.currency, se.debtor_name"
		" FROM review_items ri JOIN statement_entries se"
		" ON se.tenant_id = ri.tenant_id AND se.id = ri.entry_id"
		" WHERE ri.tenant_id = ?1 AND ri.status = 'open'"
		" ORDER BY ri.created_at, ri.id LIMIT ?2)"
		" UNION ALL "
		"SELECT * FROM (SELECT 7, ev.at, ev.at, ev.case_id, k.customer_id,"
		" 'handed_to_agent', NULL, 0, 0, NULL, NULL, NULL"
		" FROM case_events ev JOIN cases k ON k.id = ev.case_id"
		" AND k.tenant_id = ev.tenant_id"
		" WHERE ev.tenant_id = ?1 AND ev.kind = 'case.handed_to_agent'"
		" AND k.status = 'open' AND NOT EXISTS (SELECT 1"
		" FROM case_events l WHERE l.tenant_id = ev.tenant_id"
		" AND l.case_id = ev.case_id AND l.kind = 'case.handed_to_agent'"
		" AND l.id > ev.id) AND NOT EXISTS (SELECT 1 FROM case_notes n"
		" WHERE n.tenant_id = ev.tenant_id AND n.case_id = ev.case_id"
		" AND n.created_at >= ev.at) ORDER BY ev.at, ev.id LIMIT ?2))"
		" SELECT q.rank, q.kind, q.case_id, q.customer_id,"
		" COALESCE(c.external_id, ''), COALESCE(c.name, q.party, ''),"
		" q.since, q.callback_at, COALESCE(q.amount, (SELECT"
		" SUM(i.open_minor) FROM invoices i WHERE i.tenant_id = ?1"
		" AND i.customer_id = k.customer_id AND i.currency = k.currency"
		" AND i.open_minor > 0 AND i.written_off = 0), 0),"
		" COALESCE(q.currency, k.currency, ''), q.request_id, q.review_id"
		" FROM q LEFT JOIN cases k ON k.tenant_id = ?1 AND k.id = q.case_id"
		" LEFT JOIN customers c ON c.tenant_id = ?1"
		" AND c.id = q.customer_id"
		" ORDER BY q.rank, q.sort_at, q.case_id, q.request_id,"
		" q.review_id LIMIT ?2",
	/* ---- automatic charges (migration 0013) ---- */
	[SQ_CHARGE_INSERT] =
		"INSERT INTO charges (tenant_id, customer_id, invoice_id,"
		" case_id, provider, payment_id, customer_ref, mandate_ref,"
		" amount_minor, currency, status, failure_code, decline_class,"
		" attempts, failed_on, next_attempt_on, attempt_id,"
		" attempt_refs, awaiting, created_at, updated_at) VALUES (?1,"
		" ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		" ?16, ?17, ?18, ?19, ?20, ?20)"
		" ON CONFLICT (tenant_id, provider, payment_id) DO NOTHING",
	[SQ_CHARGE_GET] =
		"SELECT " SQ_CHARGE_COLS " FROM charges WHERE tenant_id = ?1"
		" AND id = ?2",
	[SQ_CHARGE_FIND] =
		/* the charge's own id before a retry's */
		"SELECT " SQ_CHARGE_COLS " FROM charges WHERE tenant_id = ?1"
		" AND provider = ?2 AND (payment_id = ?3 OR attempt_id = ?3)"
		" ORDER BY payment_id = ?3 DESC, id DESC LIMIT 1",
	[SQ_CHARGE_UPDATE] =
		"UPDATE charges SET case_id = ?3, mandate_ref = ?4, status = ?5,"
		" failure_code = ?6, decline_class = ?7, attempts = ?8,"
		" next_attempt_on = ?9, attempt_id = ?10, attempt_refs = ?11,"
		" awaiting = ?12, updated_at = ?13, customer_ref = ?14"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_CHARGE_DUE] =
		"SELECT id FROM charges WHERE tenant_id = ?1"
		" AND ((status = 'retrying' AND next_attempt_on <= ?2)"
		" OR (case_id IS NULL AND status IN ('failed', 'retrying')))"
		" ORDER BY id",
	[SQ_CHARGE_LIST] =
		"SELECT " SQ_CHARGE_COLS " FROM charges WHERE tenant_id = ?1"
		" AND customer_id = ?2 ORDER BY id DESC",
	/* ---- reports (migration 0014) ---- */
	[SQ_REPORT_INFO] =
		"SELECT as_of, refreshed_at FROM report_refreshes"
		" WHERE tenant_id = ?1",
	[SQ_REPORT_ROWS] =
		"SELECT report, key, currency, bucket, cases, cured,"
		" amount_minor FROM report_rows WHERE tenant_id = ?1"
		" ORDER BY report, key, currency, bucket",
	[SQ_PORTAL_VISIT] =
		"INSERT OR IGNORE INTO portal_visits (tenant_id, case_id, day)"
		" VALUES (?1, ?2, ?3)",
	/* ---- experiments (migration 0015) ---- */
	[SQ_CASE_EXPERIMENT_ADD] =
		"INSERT INTO case_experiments (tenant_id, case_id,"
		" experiment_id, variant, strategy) VALUES (?1, ?2, ?3, ?4, ?5)"
		" ON CONFLICT (tenant_id, case_id) DO NOTHING",
	[SQ_EXPERIMENT_STATS] =
		/* one row per case (its payments, messages, requests by
		 * their indexes), then summed per experiment, currency and
		 * variant */
		"SELECT experiment_id, variant, MIN(strategy), currency,"
		" COUNT(*), SUM(cured), SUM(amt), SUM(CAST(amt AS REAL) * amt),"
		" SUM(CASE WHEN cured = 1 THEN days END),"
		" SUM(CASE WHEN cured = 1 THEN days * days END),"
		" SUM(msgs), SUM(optout), SUM(help) FROM"
		" (SELECT x.experiment_id, x.variant, x.strategy, c.currency,"
		" CASE WHEN c.status = 'resolved' THEN 1 ELSE 0 END AS cured,"
		" (SELECT COALESCE(SUM(p.amount_minor), 0) FROM payments p"
		" WHERE p.tenant_id = c.tenant_id"
		" AND p.customer_id = c.customer_id AND p.currency = c.currency"
		" AND p.paid_on >= c.opened_on AND (c.closed_on IS NULL"
		" OR p.paid_on <= c.closed_on)) AS amt,"
		" julianday(c.closed_on) - julianday(c.opened_on) AS days,"
		" (SELECT COUNT(*) FROM messages m WHERE m.tenant_id = c.tenant_id"
		" AND m.case_id = c.id AND m.sent_at IS NOT NULL) AS msgs,"
		" cu.do_not_contact AS optout,"
		" EXISTS (SELECT 1 FROM requests r WHERE r.tenant_id = c.tenant_id"
		" AND r.case_id = c.id AND r.kind IN ('help', 'callback')) AS help"
		" FROM case_experiments x JOIN cases c ON c.tenant_id = x.tenant_id"
		" AND c.id = x.case_id JOIN customers cu ON cu.tenant_id ="
		" c.tenant_id AND cu.id = c.customer_id WHERE x.tenant_id = ?1)"
		" GROUP BY experiment_id, currency, variant"
		" ORDER BY experiment_id, currency, variant",
	[SQ_STRATEGY_SET_ACTIVE] =
		/* only when the version exists: then exactly one is active */
		"UPDATE strategy_versions SET active = (version = ?2)"
		" WHERE tenant_id = ?1 AND EXISTS (SELECT 1 FROM"
		" strategy_versions v WHERE v.tenant_id = ?1 AND v.version = ?2)",
	[SQ_STRATEGY_CHANGE_ADD] =
		"INSERT INTO strategy_changes (tenant_id, version, action,"
		" operator_id, at) VALUES (?1, ?2, ?3, ?4, ?5)",
	[SQ_STRATEGY_CHANGES] =
		"SELECT g.version, g.action, g.operator_id, COALESCE(o.name, ''),"
		" g.at FROM strategy_changes g LEFT JOIN operators o"
		" ON o.tenant_id = g.tenant_id AND o.id = g.operator_id"
		" WHERE g.tenant_id = ?1 ORDER BY g.id DESC LIMIT ?2",
	/* ---- payment review (console) ---- */
	[SQ_REVIEW_GET] =
		"SELECT r.id, r.entry_id, r.reason, r.candidates, r.status,"
		" r.created_at, r.resolved_at, e.bank_ref, e.statement_id,"
		" e.booked_on, e.amount_minor, e.currency, e.credit,"
		" (e.reversal <> 0 OR e.returned <> 0), e.debtor_name,"
		" e.debtor_iban, e.reference, e.unstructured, e.outcome,"
		" COALESCE(e.customer_id, 0) FROM review_items r"
		" JOIN statement_entries e ON e.tenant_id = r.tenant_id"
		" AND e.id = r.entry_id WHERE r.tenant_id = ?1 AND r.id = ?2",
	/* The columns of a review target, in the order read_target reads
	 * them: invoice, case, customer, external id, name, number, open,
	 * currency, due date, still open. */
	[SQ_REVIEW_INVOICE] =
		/* cases_open makes the join one row at most */
		"SELECT i.id, COALESCE(k.id, 0), i.customer_id, c.external_id,"
		" c.name, i.number, i.open_minor, i.currency, i.due_date,"
		" (i.open_minor > 0 AND i.written_off = 0) FROM invoices i"
		" JOIN customers c ON c.tenant_id = i.tenant_id"
		" AND c.id = i.customer_id LEFT JOIN cases k"
		" ON k.tenant_id = i.tenant_id AND k.customer_id = i.customer_id"
		" AND k.currency = i.currency AND k.status = 'open'"
		" WHERE i.tenant_id = ?1 AND i.id = ?2",
	[SQ_REVIEW_CASE] =
		"SELECT 0, k.id, k.customer_id, c.external_id, c.name, '',"
		" CASE WHEN k.fees_minor > k.fees_paid_minor"
		" THEN k.fees_minor - k.fees_paid_minor ELSE 0 END +"
		" COALESCE((SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND i.written_off = 0), 0), k.currency,"
		" (SELECT MIN(i.due_date) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND i.written_off = 0), k.status = 'open'"
		" FROM cases k JOIN customers c ON c.tenant_id = k.tenant_id"
		" AND c.id = k.customer_id WHERE k.tenant_id = ?1 AND k.id = ?2",
	[SQ_REVIEW_CUSTOMERS] =
		/* a scan of the tenant's customers: a person's search, not a
		 * hot path (lower() folds ASCII only) */
		"SELECT 0, COALESCE(k.id, 0), c.id, c.external_id, c.name, '',"
		" CASE WHEN k.id IS NULL THEN 0 ELSE"
		" CASE WHEN k.fees_minor > k.fees_paid_minor"
		" THEN k.fees_minor - k.fees_paid_minor ELSE 0 END +"
		" COALESCE((SELECT SUM(i.open_minor) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND i.written_off = 0), 0) END, COALESCE(k.currency, ''),"
		" (SELECT MIN(i.due_date) FROM invoices i"
		" WHERE i.tenant_id = k.tenant_id AND i.customer_id = k.customer_id"
		" AND i.currency = k.currency AND i.open_minor > 0"
		" AND i.written_off = 0), k.id IS NOT NULL"
		" FROM customers c LEFT JOIN cases k ON k.tenant_id = c.tenant_id"
		" AND k.customer_id = c.id AND k.status = 'open'"
		" WHERE c.tenant_id = ?1 AND (c.external_id = ?2"
		" OR instr(lower(c.name), lower(?2)) > 0)"
		" ORDER BY c.external_id = ?2 DESC, c.name, c.id, k.currency"
		" LIMIT ?3",
	[SQ_REVIEW_DONE] =
		"UPDATE review_items SET status = 'done', resolved_at = ?3"
		" WHERE tenant_id = ?1 AND id = ?2 AND status = 'open'",
	[SQ_REVIEW_ENTRY_DECIDE] =
		"UPDATE statement_entries SET outcome = ?3,"
		" payment_external_id = ?4, case_id = ?5, invoice_id = ?6,"
		" customer_id = ?7, credit_minor = ?8, rule = ?9, reason = ?10"
		" WHERE tenant_id = ?1 AND id = ?2",
	[SQ_CASE_MESSAGES_CANCEL] =
		"UPDATE messages SET status = 'cancelled', last_error = ?3,"
		" updated_at = ?4 WHERE tenant_id = ?1 AND case_id = ?2"
		" AND status = 'queued' AND (lease_until IS NULL"
		" OR lease_until <= ?4)",
};

#define SQ_MAX_PARAMS 24
#define SQ_BATCH_ROWS 128
#define SQ_BATCH_COLS 18

enum { SQV_NULL = 0, SQV_INT, SQV_TEXT };

/* One buffered value: an integer, or text at `off` in the batch's buffer. */
struct sq_val {
	int type;     /* SQV_* */
	int64_t i;    /* SQV_INT */
	size_t off;   /* SQV_TEXT: offset into text */
	size_t len;   /* SQV_TEXT: bytes */
};

/* Rows waiting to be written by one multi-row INSERT. */
struct sq_batch {
	const char *what;  /* for messages: "recording actions" */
	const char *head;  /* "INSERT INTO t (cols) VALUES " */
	const char *tail;  /* what follows the rows ("" or ON CONFLICT ...) */
	int ncols;         /* values per row */
	int nrows;         /* rows buffered */
	struct sq_val v[SQ_BATCH_ROWS][SQ_BATCH_COLS];
	struct buf text;   /* the text values of the buffered rows */
	sqlite3_stmt *by_rows[SQ_BATCH_ROWS + 1]; /* prepared per row count */
};

enum { SQB_CASES = 0, SQB_EVENTS, SQB_ACTIONS, SQB__COUNT };

struct sq {
	sqlite3 *db;                   /* the connection */
	sqlite3_stmt *stmt[SQ__COUNT]; /* prepared on first use */
	int in_tx;                     /* inside BEGIN ... COMMIT */
	char scratch[SQ_MAX_PARAMS][INSTANT_FMT_MAX]; /* see bind_date */
	struct sq_batch batch[SQB__COUNT]; /* buffered appends, see below */
	int64_t next_case_id;          /* next id to give a case, 0 = ask */
	sqlite3_stmt *entries;         /* statement batch: SQ_ENTRY_ROWS
					  statement entries, prepared on
					  first use */
};

static int sq_error(struct sq *h, struct err *e, const char *what)
{
	return err_set(e, ERR_STORE, "sqlite: %s: %s", what,
		       sqlite3_errmsg(h->db));
}

/* The prepared statement for `which`, reset and with bindings cleared. */
static sqlite3_stmt *sq_stmt(struct sq *h, enum sq_stmt which, struct err *e)
{
	sqlite3_stmt *st = h->stmt[which];
	if (!st) {
		if (sqlite3_prepare_v3(h->db, sq_sql[which], -1,
				       SQLITE_PREPARE_PERSISTENT, &st,
				       NULL) != SQLITE_OK) {
			sq_error(h, e, "prepare");
			return NULL;
		}
		h->stmt[which] = st;
	} else {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	return st;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Dates and instants are formatted into a per-parameter scratch slot of
 * the connection and bound without a copy: a slot is only rewritten when
 * the same parameter number is bound again, by which time the statement
 * that used it has finished its step. This saves a malloc per value on
 * the run's hot path. */
static void bind_instant_text(struct sq *h, sqlite3_stmt *st, int i,
			      instant_t t)
{
	instant_format(t, h->scratch[i]);
	sqlite3_bind_text(st, i, h->scratch[i], -1, SQLITE_STATIC);
}

static void bind_date(struct sq *h, sqlite3_stmt *st, int i, date_t d)
{
	if (d == DATE_NONE) {
		sqlite3_bind_null(st, i);
		return;
	}
	date_format(d, h->scratch[i]);
	sqlite3_bind_text(st, i, h->scratch[i], DATE_FMT_MAX - 1,
			  SQLITE_STATIC);
}

/*
 * Batched appends. The run writes tens of thousands of cases, events and
 * actions per transaction; one multi-row INSERT per SQ_BATCH_ROWS rows costs
 * a fraction of one statement per row (measured: bench/README.md). Rows are
 * buffered in the connection and written before any statement that could
 * read them, at commit, and when a buffer is full; a rollback drops them.
 * (Events and actions may reach the database before the case they belong
 * to, within the same transaction: foreign keys are not enforced, see
 * sq_open.) Case ids are assigned here
 * (MAX(id) + 1 onwards), which is safe because writes only happen inside
 * BEGIN IMMEDIATE, which holds SQLite's single write lock.
 */
static void batch_reset(struct sq_batch *b)
{
	b->nrows = 0;
	buf_reset(&b->text);
}

static void batch_null(struct sq_batch *b, int col)
{
	b->v[b->nrows][col].type = SQV_NULL;
}

static void batch_int(struct sq_batch *b, int col, int64_t v)
{
	b->v[b->nrows][col].type = SQV_INT;
	b->v[b->nrows][col].i = v;
}

static int batch_text(struct sq_batch *b, int col, const char *s)
{
	struct sq_val *v = &b->v[b->nrows][col];
	size_t len;
	if (!s) {
		v->type = SQV_NULL;
		return 0;
	}
	len = strlen(s);
	v->type = SQV_TEXT;
	v->off = b->text.len;
	v->len = len;
	return buf_append(&b->text, s, len);
}

static int batch_date(struct sq_batch *b, int col, date_t d)
{
	char tmp[DATE_FMT_MAX];
	if (d == DATE_NONE) {
		batch_null(b, col);
		return 0;
	}
	date_format(d, tmp);
	return batch_text(b, col, tmp);
}

static int batch_instant(struct sq_batch *b, int col, instant_t t)
{
	char tmp[INSTANT_FMT_MAX];
	instant_format(t, tmp);
	return batch_text(b, col, tmp);
}

/* The INSERT for n rows. */
static sqlite3_stmt *batch_prepare(struct sq *h, struct sq_batch *b, int n,
				   struct err *e)
{
	struct buf sql;
	sqlite3_stmt *st = NULL;

	buf_init(&sql, 256 * 1024);
	buf_puts(&sql, b->head);
	for (int r = 0; r < n; r++) {
		buf_puts(&sql, r ? ",(" : "(");
		for (int c = 0; c < b->ncols; c++)
			buf_puts(&sql, c ? ",?" : "?");
		buf_putc(&sql, ')');
	}
	buf_puts(&sql, b->tail);
	if (sqlite3_prepare_v3(h->db, buf_cstr(&sql), -1,
			       SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		sq_error(h, e, "prepare batch");
		st = NULL;
	}
	buf_free(&sql);
	return st;
}

static int batch_flush(struct sq *h, struct sq_batch *b, struct err *e)
{
	sqlite3_stmt *st;
	int n = b->nrows, r;

	if (n == 0)
		return 0;
	if (!b->by_rows[n])
		b->by_rows[n] = batch_prepare(h, b, n, e);
	st = b->by_rows[n];
	if (!st)
		return -ERR_STORE;
	for (int row = 0; row < n; row++) {
		for (int c = 0; c < b->ncols; c++) {
			const struct sq_val *v = &b->v[row][c];
			int i = row * b->ncols + c + 1;
			if (v->type == SQV_INT)
				sqlite3_bind_int64(st, i, v->i);
			else if (v->type == SQV_TEXT)
				sqlite3_bind_text(st, i, b->text.data + v->off,
						  (int)v->len, SQLITE_STATIC);
			else
				sqlite3_bind_null(st, i);
		}
	}
	r = sqlite3_step(st) == SQLITE_DONE ? 0 : sq_error(h, e, b->what);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	batch_reset(b);
	return r;
}

/* Write every pending row (cases first: events and actions refer to them). */
static int flush_all(struct sq *h, struct err *e)
{
	for (int k = 0; k < SQB__COUNT; k++) {
		int r = batch_flush(h, &h->batch[k], e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* One row is complete; write the batch when it is full. */
static int batch_row_done(struct sq *h, struct sq_batch *b, int text_rc,
			  struct err *e)
{
	if (text_rc < 0)
		return err_set(e, ERR_TOOBIG, "%s: row too large", b->what);
	b->nrows++;
	if (b->nrows == SQ_BATCH_ROWS)
		return batch_flush(h, b, e);
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	return xstrdup(col_text(st, i));
}

/* A date column: 'YYYY-MM-DD' as written by this backend, or NULL (and
 * anything malformed) as DATE_NONE. Parsed by hand: the run reads
 * millions of them. */
static date_t col_date(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	int v[8];
	if (!t || sqlite3_column_bytes(st, i) != 10 || t[4] != '-' ||
	    t[7] != '-')
		return DATE_NONE;
	static const int pos[8] = { 0, 1, 2, 3, 5, 6, 8, 9 };
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

static int sq_exec(struct sq *h, const char *sql, struct err *e)
{
	char *msg = NULL;
	if (sqlite3_exec(h->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		int r = err_set(e, ERR_STORE, "sqlite: %s", msg ? msg : "?");
		sqlite3_free(msg);
		return r;
	}
	return 0;
}

/* Step a statement that returns no rows. */
static int sq_done(struct sq *h, sqlite3_stmt *st, struct err *e,
		   const char *what)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return sq_error(h, e, what);
	return 0;
}

static int sq_accepts(const char *target)
{
	return strstr(target, "://") == NULL;
}

static void sq_close(void *hv)
{
	struct sq *h = hv;
	if (!h)
		return;
	for (int i = 0; i < SQ__COUNT; i++)
		sqlite3_finalize(h->stmt[i]);
	sqlite3_finalize(h->entries);
	for (int k = 0; k < SQB__COUNT; k++) {
		for (int n = 0; n <= SQ_BATCH_ROWS; n++)
			sqlite3_finalize(h->batch[k].by_rows[n]);
		buf_free(&h->batch[k].text);
	}
	sqlite3_close(h->db);
	free(h);
}

/* Process-wide SQLite settings, applied once before the first
 * connection: connections are never shared between threads (multi-thread
 * mode), and memory statistics, which take a global lock on every
 * allocation, are off, so the run's two threads do not contend. */
static void sq_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MULTITHREAD);
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	sqlite3_initialize();
}

static int sq_open(const char *target, void **ret_handle, struct err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct sq *h = xcalloc(1, sizeof(*h));
	static const struct {
		const char *what, *head, *tail;
		int ncols;
	} batches[SQB__COUNT] = {
		[SQB_CASES] = { "opening cases",
				"INSERT INTO cases (id, tenant_id, customer_id,"
				" currency, status, strategy_version, strategy,"
				" anchor_date, next_step, opened_on, last_step_on,"
				" closed_on, hold_reason, hold_until, fees_minor)"
				" VALUES ",
				"", 15 },
		[SQB_EVENTS] = { "recording events",
				 "INSERT INTO case_events (tenant_id, case_id, at,"
				 " kind, detail) VALUES ",
				 "", 5 },
		[SQB_ACTIONS] = { "recording actions",
				  "INSERT INTO actions (tenant_id, case_id,"
				  " customer_id, step, kind, channel, fallbacks,"
				  " due_on, decided_on, decided_at, amount_minor,"
				  " currency, template, tone, end_action, reason,"
				  " status) VALUES ",
				  " ON CONFLICT (tenant_id, case_id, step, kind,"
				  " channel) DO NOTHING",
				  17 },
	};
	int r;

	pthread_once(&once, sq_configure);
	for (int k = 0; k < SQB__COUNT; k++) {
		h->batch[k].what = batches[k].what;
		h->batch[k].head = batches[k].head;
		h->batch[k].tail = batches[k].tail;
		h->batch[k].ncols = batches[k].ncols;
		buf_init(&h->batch[k].text, 8 << 20);
	}

	if (sqlite3_open_v2(target, &h->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		r = err_set(e, ERR_STORE, "cannot open database '%s': %s",
			    target, h->db ? sqlite3_errmsg(h->db) : "no memory");
		sq_close(h);
		return r;
	}
	sqlite3_busy_timeout(h->db, 30000);
	r = sq_exec(h,
		    "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = NORMAL;"
		    /* Foreign keys are declared but, as is SQLite's default,
		     * not enforced: every write references rows read or made
		     * in the same transaction (tests/integration/crash.sh and
		     * run.sh check PRAGMA foreign_key_check after crashes and
		     * runs), and enforcing them costs about 13% of a run.
		     * PostgreSQL enforces the same declarations. */
		    "PRAGMA foreign_keys = OFF;"
		    "PRAGMA cache_size = -16384;"
		    "PRAGMA temp_store = MEMORY;",
		    e);
	if (r < 0) {
		err_prefix(e, "database '%s': ", target);
		sq_close(h);
		return r;
	}
	*ret_handle = h;
	return 0;
}

/* NNNN from "migrations/sqlite/NNNN_name.sql", or -1. */
static int migration_version(const char *name)
{
	const char *base = strrchr(name, '/');
	int v = 0, digits = 0;
	base = base ? base + 1 : name;
	for (; *base >= '0' && *base <= '9' && digits < 6; base++, digits++)
		v = v * 10 + (*base - '0');
	return digits == 4 && *base == '_' ? v : -1;
}

static int sq_migrate(void *hv, int *ret_applied, int *ret_version,
		      struct err *e)
{
	struct sq *h = hv;
	static const char prefix[] = "migrations/sqlite/";
	int applied = 0, current = 0, r;
	sqlite3_stmt *st = NULL;

	r = sq_exec(h,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
		    " applied_at TEXT NOT NULL)",
		    e);
	if (r < 0)
		return r;
	if (sqlite3_prepare_v2(h->db,
			       "SELECT COALESCE(MAX(version), 0)"
			       " FROM schema_migrations",
			       -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = sq_error(h, e, "reading schema version");
		sqlite3_finalize(st);
		return r;
	}
	current = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);

	for (unsigned long i = 0; i < embedded_count; i++) {
		const struct embedded_file *f = &embedded_files[i];
		int v;
		if (strncmp(f->name, prefix, sizeof(prefix) - 1) != 0)
			continue;
		v = migration_version(f->name);
		if (v <= current)
			continue;
		r = sq_exec(h, "BEGIN IMMEDIATE", e);
		if (r < 0)
			return r;
		/* Another process may have migrated meanwhile. */
		st = NULL;
		if (sqlite3_prepare_v2(h->db,
				       "SELECT 1 FROM schema_migrations"
				       " WHERE version = ?1",
				       -1, &st, NULL) != SQLITE_OK) {
			r = sq_error(h, e, "migrate");
			goto fail;
		}
		sqlite3_bind_int(st, 1, v);
		int done = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
		if (!done) {
			r = sq_exec(h, f->data, e);
			if (r < 0) {
				err_prefix(e, "migration %s: ", f->name);
				goto fail;
			}
			st = NULL;
			if (sqlite3_prepare_v2(
				    h->db,
				    "INSERT INTO schema_migrations VALUES (?1, ?2,"
				    " strftime('%Y-%m-%dT%H:%M:%SZ','now'))",
				    -1, &st, NULL) != SQLITE_OK) {
				r = sq_error(h, e, "migrate");
				goto fail;
			}
			sqlite3_bind_int(st, 1, v);
			sqlite3_bind_text(st, 2, f->name + sizeof(prefix) - 1,
					  -1, SQLITE_STATIC);
			r = sq_done(h, st, e, "recording migration");
			sqlite3_finalize(st);
			if (r < 0)
				goto fail;
			applied++;
		}
		r = sq_exec(h, "COMMIT", e);
		if (r < 0)
			goto fail;
		current = v;
	}
	*ret_applied = applied;
	*ret_version = current;
	return 0;
fail:
	sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int sq_begin(void *hv, struct err *e)
{
	struct sq *h = hv;
	int r = sq_exec(h, "BEGIN IMMEDIATE", e);
	if (r == 0)
		h->in_tx = 1;
	return r;
}

static int sq_commit(void *hv, struct err *e)
{
	struct sq *h = hv;
	int r = flush_all(h, e);
	if (r == 0)
		r = sq_exec(h, "COMMIT", e);
	if (r == 0) {
		h->in_tx = 0;
		h->next_case_id = 0;
	}
	return r;
}

static int sq_rollback(void *hv)
{
	struct sq *h = hv;
	for (int k = 0; k < SQB__COUNT; k++)
		batch_reset(&h->batch[k]);
	h->next_case_id = 0;
	if (!h->in_tx)
		return 0;
	h->in_tx = 0;
	return sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ?
		       0 :
		       -ERR_STORE;
}

static int sq_tenant_ensure(void *hv, const char *slug, const char *name,
			    const char *timezone, const char *locale,
			    int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_TENANT_INSERT, e);
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, slug);
	bind_text(st, 2, name);
	bind_text(st, 3, timezone);
	bind_text(st, 4, locale);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "saving tenant");
	*ret_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static void read_tenant(sqlite3_stmt *st, struct tenant_rec *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->slug = col_dup(st, 1);
	t->name = col_dup(st, 2);
	t->timezone = col_dup(st, 3);
	t->locale = col_dup(st, 4);
}

static int sq_tenant_get(void *hv, const char *slug, struct tenant_rec *ret,
			 struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_TENANT_GET, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, slug);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOTFOUND, "no tenant '%s'", slug);
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading tenant");
	read_tenant(st, ret);
	sqlite3_reset(st);
	return 0;
}

static int sq_tenant_list(void *hv, struct tenant_rec **ret, size_t *ret_n,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_TENANT_LIST, e);
	struct tenant_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		memset(&list[n], 0, sizeof(list[n]));
		read_tenant(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		tenant_list_free(list, n);
		return sq_error(h, e, "listing tenants");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_customer_upsert(void *hv, const struct customer_rec *c,
			      int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CUSTOMER_UPSERT, e);
	int64_t id;
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	bind_text(st, 2, c->external_id);
	bind_text(st, 3, c->name);
	bind_text(st, 4, c->locale);
	bind_text(st, 5, c->timezone);
	bind_text(st, 6, c->country ? c->country : "");
	bind_text(st, 7, c->segments ? c->segments : "");
	sqlite3_bind_int(st, 8, c->vulnerable);
	sqlite3_bind_int(st, 9, c->do_not_contact);
	sqlite3_bind_int(st, 10, c->deceased);
	sqlite3_bind_int(st, 11, c->plain_language);
	bind_date(h, st, 12, c->moratorium_until);
	bind_date(h, st, 13, c->customer_since);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "saving customer");
	id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);

	/* The row is the customer's whole truth: contact points replaced. */
	st = sq_stmt(h, SQ_CONTACTS_DELETE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_int64(st, 2, id);
	r = sq_done(h, st, e, "saving contact points");
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_contacts; i++) {
		const struct contact_rec *cp = &c->contacts[i];
		st = sq_stmt(h, SQ_CONTACT_INSERT, e);
		if (!st)
			return -ERR_STORE;
		sqlite3_bind_int64(st, 1, c->tenant_id);
		sqlite3_bind_int64(st, 2, id);
		bind_text(st, 3, channel_name(cp->channel));
		bind_text(st, 4, cp->address ? cp->address : "");
		sqlite3_bind_int(st, 5, cp->consent);
		sqlite3_bind_int(st, 6, cp->preference);
		r = sq_done(h, st, e, "saving contact point");
		if (r < 0)
			return r;
	}
	*ret_id = id;
	return 0;
}

static int sq_customer_get(void *hv, int64_t tenant_id,
			   const char *external_id, struct customer_rec *ret,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CUSTOMER_GET, e);
	struct customer_rec c;
	size_t cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, external_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOTFOUND, "no customer '%s'", external_id);
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading customer");
	memset(&c, 0, sizeof(c));
	c.id = sqlite3_column_int64(st, 0);
	c.tenant_id = sqlite3_column_int64(st, 1);
	c.external_id = col_dup(st, 2);
	c.name = col_dup(st, 3);
	c.locale = col_dup(st, 4);
	c.timezone = col_dup(st, 5);
	c.country = col_dup(st, 6);
	c.segments = col_dup(st, 7);
	c.vulnerable = sqlite3_column_int(st, 8);
	c.do_not_contact = sqlite3_column_int(st, 9);
	c.deceased = sqlite3_column_int(st, 10);
	c.plain_language = sqlite3_column_int(st, 11);
	c.moratorium_until = col_date(st, 12);
	c.customer_since = col_date(st, 13);
	sqlite3_reset(st);

	st = sq_stmt(h, SQ_CONTACTS_GET, e);
	if (!st) {
		customer_rec_clear(&c);
		return -ERR_STORE;
	}
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, c.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		enum channel ch;
		if (channel_parse(col_text(st, 0), &ch) < 0)
			continue;
		c.contacts = xgrow(c.contacts, &cap, c.n_contacts + 1,
				   sizeof(*c.contacts));
		struct contact_rec *cp = &c.contacts[c.n_contacts++];
		cp->channel = ch;
		cp->address = col_dup(st, 1);
		cp->consent = sqlite3_column_int(st, 2);
		cp->preference = sqlite3_column_int(st, 3);
	}
	if (rc != SQLITE_DONE) {
		customer_rec_clear(&c);
		return sq_error(h, e, "reading contact points");
	}
	*ret = c;
	return 0;
}

static int sq_customer_id(void *hv, int64_t tenant_id, const char *external_id,
			  int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CUSTOMER_ID, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, external_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOTFOUND, "no customer '%s'", external_id);
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading customer");
	*ret_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int sq_invoice_upsert(void *hv, const struct invoice_rec *inv,
			     int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICE_UPSERT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, inv->tenant_id);
	sqlite3_bind_int64(st, 2, inv->customer_id);
	bind_text(st, 3, inv->external_id);
	bind_text(st, 4, inv->number);
	bind_date(h, st, 5, inv->issue_date);
	bind_date(h, st, 6, inv->due_date);
	sqlite3_bind_int64(st, 7, inv->amount_minor);
	sqlite3_bind_int64(st, 8, inv->open_minor);
	bind_text(st, 9, inv->currency);
	bind_text(st, 10, inv->payment_reference ? inv->payment_reference : "");
	sqlite3_bind_int(st, 11, inv->disputed);
	bind_text(st, 12, inv->document_url ? inv->document_url : "");
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "saving invoice");
	*ret_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static void read_invoice(sqlite3_stmt *st, struct invoice_rec *inv)
{
	memset(inv, 0, sizeof(*inv));
	inv->id = sqlite3_column_int64(st, 0);
	inv->tenant_id = sqlite3_column_int64(st, 1);
	inv->customer_id = sqlite3_column_int64(st, 2);
	inv->external_id = col_dup(st, 3);
	inv->number = col_dup(st, 4);
	inv->issue_date = col_date(st, 5);
	inv->due_date = col_date(st, 6);
	inv->amount_minor = sqlite3_column_int64(st, 7);
	inv->open_minor = sqlite3_column_int64(st, 8);
	memcpy(inv->currency, col_text(st, 9), 3);
	inv->currency[3] = '\0';
	inv->payment_reference = col_dup(st, 10);
	inv->disputed = sqlite3_column_int(st, 11);
	inv->document_url = col_dup(st, 12);
}

static int get_one_invoice(struct sq *h, enum sq_stmt which,
			   int64_t tenant_id, const char *key,
			   struct invoice_rec *ret, struct err *e)
{
	sqlite3_stmt *st = sq_stmt(h, which, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOTFOUND, "no invoice '%s'", key);
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading invoice");
	read_invoice(st, ret);
	sqlite3_reset(st);
	return 0;
}

static int sq_invoice_get(void *hv, int64_t tenant_id, const char *external_id,
			  struct invoice_rec *ret, struct err *e)
{
	return get_one_invoice(hv, SQ_INVOICE_GET, tenant_id, external_id, ret,
			       e);
}

static int sq_invoice_find_ref(void *hv, int64_t tenant_id, const char *ref,
			       struct invoice_rec *ret, struct err *e)
{
	return get_one_invoice(hv, SQ_INVOICE_REF, tenant_id, ref, ret, e);
}

static int sq_invoices_open(void *hv, int64_t tenant_id, int64_t customer_id,
			    const char *currency, struct invoice_rec **ret,
			    size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICES_OPEN, e);
	struct invoice_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_text(st, 3, currency);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_invoice(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		invoice_list_free(list, n);
		return sq_error(h, e, "reading open invoices");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_invoice_set_open(void *hv, int64_t tenant_id, int64_t invoice_id,
			       int64_t open_minor, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICE_SET_OPEN, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, invoice_id);
	sqlite3_bind_int64(st, 3, open_minor);
	return sq_done(h, st, e, "updating invoice");
}

static int sq_invoice_write_off(void *hv, int64_t tenant_id,
				int64_t invoice_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICE_WRITE_OFF, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, invoice_id);
	return sq_done(h, st, e, "writing off invoice");
}

static int sq_payment_insert(void *hv, const struct payment_rec *p,
			     int *ret_inserted, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PAYMENT_INSERT, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, p->tenant_id);
	bind_text(st, 2, p->external_id);
	sqlite3_bind_int64(st, 3, p->customer_id);
	if (p->invoice_id)
		sqlite3_bind_int64(st, 4, p->invoice_id);
	else
		sqlite3_bind_null(st, 4);
	sqlite3_bind_int64(st, 5, p->amount_minor);
	bind_text(st, 6, p->currency);
	bind_date(h, st, 7, p->paid_on);
	bind_text(st, 8, p->method ? p->method : "");
	r = sq_done(h, st, e, "saving payment");
	if (r < 0)
		return r;
	*ret_inserted = sqlite3_changes(h->db) > 0;
	return 0;
}

static int sq_strategy_add(void *hv, int64_t tenant_id, const char *source,
			   const char *yaml, int activate, int *ret_version,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_STRATEGY_NEXT, e);
	int version, r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "numbering strategy version");
	version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (activate) {
		st = sq_stmt(h, SQ_STRATEGY_DEACTIVATE, e);
		if (!st)
			return -ERR_STORE;
		sqlite3_bind_int64(st, 1, tenant_id);
		r = sq_done(h, st, e, "activating strategy");
		if (r < 0)
			return r;
	}
	st = sq_stmt(h, SQ_STRATEGY_INSERT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int(st, 2, version);
	bind_text(st, 3, source);
	bind_text(st, 4, yaml);
	sqlite3_bind_int(st, 5, activate ? 1 : 0);
	r = sq_done(h, st, e, "saving strategy");
	if (r < 0)
		return r;
	*ret_version = version;
	return 0;
}

static int sq_strategy_get(void *hv, int64_t tenant_id, int version,
			   struct strategy_version_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, version ? SQ_STRATEGY_GET :
						 SQ_STRATEGY_GET_ACTIVE, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (version)
		sqlite3_bind_int(st, 2, version);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		if (version)
			return err_set(e, ERR_NOTFOUND,
				       "no strategy version %d", version);
		return err_set(e, ERR_NOTFOUND,
			       "the tenant has no active strategy; load one"
			       " with 'dunwell strategy load FILE'");
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading strategy");
	memset(ret, 0, sizeof(*ret));
	ret->id = sqlite3_column_int64(st, 0);
	ret->tenant_id = sqlite3_column_int64(st, 1);
	ret->version = sqlite3_column_int(st, 2);
	ret->source = col_dup(st, 3);
	ret->yaml = col_dup(st, 4);
	ret->active = sqlite3_column_int(st, 5);
	sqlite3_reset(st);
	return 0;
}

/* Read a case row (the column order of SQ_WORK_CASES / SQ_CASE_LIST). */
static void read_case(sqlite3_stmt *st, struct case_rec *c, int64_t tenant_id,
		      struct arena *a)
{
	enum case_status status = CASE_NONE;
	enum hold_reason hold = HOLD_NONE;

	memset(c, 0, sizeof(*c));
	c->tenant_id = tenant_id;
	c->customer_id = sqlite3_column_int64(st, 0);
	c->id = sqlite3_column_int64(st, 1);
	memcpy(c->currency, col_text(st, 2), 3);
	c->currency[3] = '\0';
	case_status_parse(col_text(st, 3), &status);
	c->st.status = status;
	c->strategy_version = sqlite3_column_int64(st, 4);
	c->strategy = a ? arena_strdup(a, col_text(st, 5)) : col_dup(st, 5);
	c->st.anchor = col_date(st, 6);
	c->st.next_step = sqlite3_column_int(st, 7);
	c->st.opened_on = col_date(st, 8);
	c->st.last_step_on = col_date(st, 9);
	c->closed_on = col_date(st, 10);
	hold_reason_parse(col_text(st, 11), &hold);
	c->st.hold_reason = hold;
	c->st.hold_until = col_date(st, 12);
	c->st.fees_minor = sqlite3_column_int64(st, 13);
	c->fees_paid_minor = sqlite3_column_int64(st, 14);
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

/* ?1 tenant, ?2..?3 the customer id range, as every work query takes. */
static void bind_range(sqlite3_stmt *st, int64_t tenant_id, int64_t from,
		       int64_t to)
{
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
}

static int sq_work_load(void *hv, int64_t tenant_id, int64_t customer_from,
			int64_t customer_to, date_t contacts_since,
			struct work_set *ret, struct err *e)
{
	struct sq *h = hv;
	struct work_set w;
	struct invoice_rec *invs = NULL;
	struct case_rec *cases = NULL;
	size_t n_invs = 0, inv_cap = 0, n_cases = 0, case_cap = 0, cap = 0;
	size_t hint, ii = 0, ci = 0;
	sqlite3_stmt *st;
	int rc, r;

	r = flush_all(h, e);
	if (r < 0)
		return r;
	w.arena = arena_new();
	w.customers = NULL;
	w.n_customers = 0;

	/* Open invoices, ordered by customer, currency, due date. */
	st = sq_stmt(h, SQ_WORK_INVOICES, e);
	if (!st)
		goto fail_store;
	bind_range(st, tenant_id, customer_from, customer_to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct invoice_rec *inv;
		invs = arena_grow(w.arena, invs, &inv_cap, n_invs + 1,
				  sizeof(*invs));
		inv = &invs[n_invs++];
		inv->tenant_id = tenant_id;
		inv->customer_id = sqlite3_column_int64(st, 0);
		inv->id = sqlite3_column_int64(st, 1);
		memcpy(inv->currency, col_text(st, 2), 3);
		inv->currency[3] = '\0';
		inv->due_date = col_date(st, 3);
		inv->open_minor = sqlite3_column_int64(st, 4);
		inv->amount_minor = inv->open_minor;
		inv->disputed = sqlite3_column_int(st, 5);
	}
	if (rc != SQLITE_DONE)
		goto fail_sql;

	/* Open cases, ordered by customer. */
	st = sq_stmt(h, SQ_WORK_CASES, e);
	if (!st)
		goto fail_store;
	bind_range(st, tenant_id, customer_from, customer_to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cases = arena_grow(w.arena, cases, &case_cap, n_cases + 1,
				   sizeof(*cases));
		read_case(st, &cases[n_cases++], tenant_id, w.arena);
	}
	if (rc != SQLITE_DONE)
		goto fail_sql;

	/* Customers, merged with both lists: only those with something
	 * open become work. Invoices and cases are slices of the lists. */
	st = sq_stmt(h, SQ_WORK_CUSTOMERS, e);
	if (!st)
		goto fail_store;
	bind_range(st, tenant_id, customer_from, customer_to);
	while ((ii < n_invs || ci < n_cases) &&
	       (rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
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
		w.customers = arena_grow(w.arena, w.customers, &cap,
					 w.n_customers + 1,
					 sizeof(*w.customers));
		struct work_customer *wc = &w.customers[w.n_customers++];
		struct customer_rec *c = &wc->c;
		memset(wc, 0, sizeof(*wc));
		wc->invoices = ii > i0 ? &invs[i0] : NULL;
		wc->n_invoices = ii - i0;
		wc->cases = ci > c0 ? &cases[c0] : NULL;
		wc->n_cases = ci - c0;
		c->id = id;
		c->tenant_id = tenant_id;
		/* name and locale are not needed to decide */
		c->name = NULL;
		c->locale = NULL;
		c->external_id = arena_strdup(w.arena, col_text(st, 1));
		c->timezone = arena_strdup(w.arena, col_text(st, 2));
		c->country = arena_strdup(w.arena, col_text(st, 3));
		c->segments = arena_strdup(w.arena, col_text(st, 4));
		c->vulnerable = sqlite3_column_int(st, 5);
		c->do_not_contact = sqlite3_column_int(st, 6);
		c->deceased = sqlite3_column_int(st, 7);
		c->plain_language = sqlite3_column_int(st, 8);
		c->moratorium_until = col_date(st, 9);
		c->customer_since = col_date(st, 10);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto fail_sql;
	sqlite3_reset(st);

	/* Contact points (channel, consent, preference; no addresses). */
	st = sq_stmt(h, SQ_WORK_CONTACTS, e);
	if (!st)
		goto fail_store;
	bind_range(st, tenant_id, customer_from, customer_to);
	hint = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct work_customer *wc =
			find_wc(&w, sqlite3_column_int64(st, 0), &hint);
		enum channel ch;
		if (!wc || channel_parse(col_text(st, 1), &ch) < 0)
			continue;
		if (!wc->c.contacts)
			wc->c.contacts = arena_alloc(
				w.arena, CHANNEL_COUNT * sizeof(*wc->c.contacts));
		if (wc->c.n_contacts >= CHANNEL_COUNT)
			continue;
		struct contact_rec *cp = &wc->c.contacts[wc->c.n_contacts++];
		cp->channel = ch;
		cp->address = NULL;
		cp->consent = sqlite3_column_int(st, 2);
		cp->preference = sqlite3_column_int(st, 3);
	}
	if (rc != SQLITE_DONE)
		goto fail_sql;

	/* Recent contacts, for the contact policy. */
	st = sq_stmt(h, SQ_WORK_HISTORY, e);
	if (!st)
		goto fail_store;
	bind_range(st, tenant_id, customer_from, customer_to);
	bind_date(h, st, 4, contacts_since);
	hint = 0;
	{
		struct work_customer *cur = NULL;
		size_t hcap = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t cid = sqlite3_column_int64(st, 0);
			if (!cur || cur->c.id != cid) {
				cur = find_wc(&w, cid, &hint);
				hcap = 0;
				if (!cur)
					continue;
			}
			cur->contacts = arena_grow(w.arena, cur->contacts, &hcap,
						   cur->n_contacts + 1,
						   sizeof(*cur->contacts));
			cur->contacts[cur->n_contacts++] = col_date(st, 1);
		}
		if (rc != SQLITE_DONE)
			goto fail_sql;
	}
	*ret = w;
	return 0;

fail_sql:
	r = sq_error(h, e, "loading work");
	arena_free(w.arena);
	return r;
fail_store:
	arena_free(w.arena);
	return -ERR_STORE;
}

static int sq_customer_id_range(void *hv, int64_t tenant_id, int64_t *ret_min,
				int64_t *ret_max, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CUSTOMER_RANGE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "reading customer ids");
	*ret_min = sqlite3_column_int64(st, 0);
	*ret_max = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	return 0;
}

static void bind_case_state(struct sq *h, sqlite3_stmt *st,
			    const struct case_rec *c,
			    int first)
{
	/* status, anchor, next_step, last_step_on, closed_on, hold_reason,
	 * hold_until, fees: bound from `first` on in the order of
	 * SQ_CASE_UPDATE. */
	bind_text(st, first, case_status_name(c->st.status));
	bind_date(h, st, first + 1, c->st.anchor);
	sqlite3_bind_int(st, first + 2, c->st.next_step);
	bind_date(h, st, first + 3, c->st.last_step_on);
	bind_date(h, st, first + 4, c->closed_on);
	bind_text(st, first + 5, hold_reason_name(c->st.hold_reason));
	bind_date(h, st, first + 6, c->st.hold_until);
	sqlite3_bind_int64(st, first + 7, c->st.fees_minor);
}

static int sq_case_insert(void *hv, const struct case_rec *c, int64_t *ret_id,
			  struct err *e)
{
	struct sq *h = hv;
	struct sq_batch *b = &h->batch[SQB_CASES];
	int t = 0;

	if (!h->in_tx)
		return err_set(e, ERR_STORE, "opening a case outside a"
			       " transaction");
	if (h->next_case_id == 0) {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(h->db,
				       "SELECT COALESCE(MAX(id), 0) + 1 FROM cases",
				       -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return sq_error(h, e, "numbering cases");
		}
		h->next_case_id = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	batch_int(b, 0, h->next_case_id);
	batch_int(b, 1, c->tenant_id);
	batch_int(b, 2, c->customer_id);
	t |= batch_text(b, 3, c->currency);
	t |= batch_text(b, 4, case_status_name(c->st.status));
	batch_int(b, 5, c->strategy_version);
	t |= batch_text(b, 6, c->strategy);
	t |= batch_date(b, 7, c->st.anchor);
	batch_int(b, 8, c->st.next_step);
	t |= batch_date(b, 9, c->st.opened_on);
	t |= batch_date(b, 10, c->st.last_step_on);
	t |= batch_date(b, 11, c->closed_on);
	t |= batch_text(b, 12, hold_reason_name(c->st.hold_reason));
	t |= batch_date(b, 13, c->st.hold_until);
	batch_int(b, 14, c->st.fees_minor);
	*ret_id = h->next_case_id++;
	return batch_row_done(h, b, t, e);
}

static int sq_case_update(void *hv, const struct case_rec *c, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_CASE_UPDATE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_int64(st, 2, c->id);
	bind_case_state(h, st, c, 3);
	return sq_done(h, st, e, "updating case");
}

static int sq_case_list(void *hv, int64_t tenant_id, int64_t customer_id,
			struct case_rec **ret, size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_LIST, e);
	struct case_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_case(st, &list[n++], tenant_id, NULL);
	}
	if (rc != SQLITE_DONE) {
		case_list_free(list, n);
		return sq_error(h, e, "listing cases");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_action_insert(void *hv, const struct action_rec *a,
			    struct err *e)
{
	struct sq *h = hv;
	struct sq_batch *b = &h->batch[SQB_ACTIONS];
	int t = 0;

	batch_int(b, 0, a->tenant_id);
	batch_int(b, 1, a->case_id);
	batch_int(b, 2, a->customer_id);
	t |= batch_text(b, 3, a->step);
	t |= batch_text(b, 4, action_kind_name(a->kind));
	t |= batch_text(b, 5, a->channel ? a->channel : "");
	t |= batch_text(b, 6, a->fallbacks ? a->fallbacks : "");
	t |= batch_date(b, 7, a->due_on);
	t |= batch_date(b, 8, a->decided_on);
	t |= batch_instant(b, 9, a->decided_at);
	batch_int(b, 10, a->amount_minor);
	t |= batch_text(b, 11, a->currency);
	t |= batch_text(b, 12, a->template_id ? a->template_id : "");
	t |= batch_text(b, 13, a->tone ? a->tone : "");
	t |= batch_text(b, 14, a->end_action ? a->end_action : "");
	t |= batch_text(b, 15, a->reason ? a->reason : "");
	t |= batch_text(b, 16, a->status);
	return batch_row_done(h, b, t, e);
}

static int sq_event_append(void *hv, const struct event_rec *ev,
			   struct err *e)
{
	struct sq *h = hv;
	struct sq_batch *b = &h->batch[SQB_EVENTS];
	int t = 0;

	batch_int(b, 0, ev->tenant_id);
	batch_int(b, 1, ev->case_id);
	t |= batch_instant(b, 2, ev->at);
	t |= batch_text(b, 3, ev->kind);
	t |= batch_text(b, 4, ev->detail ? ev->detail : "{}");
	return batch_row_done(h, b, t, e);
}

static int sq_case_history(void *hv, int64_t tenant_id, int64_t case_id,
			   store_history_cb cb, void *ctx, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_HISTORY, e);
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct history_rec r;
		if (instant_parse(col_text(st, 0), &r.at, NULL) < 0)
			r.at = 0;
		r.on = col_date(st, 1);
		r.what = col_text(st, 2);
		r.kind = col_text(st, 3);
		r.step = col_text(st, 4);
		r.channel = col_text(st, 5);
		r.amount_minor = sqlite3_column_int64(st, 6);
		r.currency = col_text(st, 7);
		r.detail = col_text(st, 8);
		if (cb(ctx, &r))
			break;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sq_error(h, e, "reading case history");
	sqlite3_reset(st);
	return 0;
}

static int count_query(struct sq *h, const char *sql, int64_t tenant_id,
		       int64_t *ret, struct err *e)
{
	sqlite3_stmt *st = NULL;
	int r = 0;
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_error(h, e, "counting");
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, tenant_id);
	if (sqlite3_step(st) == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else
		r = sq_error(h, e, "counting");
	sqlite3_finalize(st);
	return r;
}

static int sq_stats(void *hv, int64_t tenant_id, struct store_stats *ret,
		    struct err *e)
{
	struct sq *h = hv;
	struct store_stats s;
	int fr = flush_all(h, e);
	if (fr < 0)
		return fr;
	static const struct {
		const char *sql;
		size_t off;
	} q[] = {
		{ "SELECT COUNT(*) FROM tenants", offsetof(struct store_stats, tenants) },
		{ "SELECT COUNT(*) FROM customers WHERE tenant_id = ?1",
		  offsetof(struct store_stats, customers) },
		{ "SELECT COUNT(*) FROM invoices WHERE tenant_id = ?1",
		  offsetof(struct store_stats, invoices) },
		{ "SELECT COUNT(*) FROM invoices WHERE tenant_id = ?1 AND open_minor > 0",
		  offsetof(struct store_stats, open_invoices) },
		{ "SELECT COUNT(*) FROM payments WHERE tenant_id = ?1",
		  offsetof(struct store_stats, payments) },
		{ "SELECT COUNT(*) FROM cases WHERE tenant_id = ?1 AND status = 'open'",
		  offsetof(struct store_stats, cases_open) },
		{ "SELECT COUNT(*) FROM cases WHERE tenant_id = ?1 AND status <> 'open'",
		  offsetof(struct store_stats, cases_closed) },
		{ "SELECT COUNT(*) FROM actions WHERE tenant_id = ?1",
		  offsetof(struct store_stats, actions) },
		{ "SELECT COUNT(*) FROM case_events WHERE tenant_id = ?1",
		  offsetof(struct store_stats, events) },
	};
	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
		int r = count_query(h, q[i].sql, tenant_id,
				    (int64_t *)((char *)&s + q[i].off), e);
		if (r < 0)
			return r;
	}
	*ret = s;
	return 0;
}

static int sq_ranges_ensure(void *hv, int64_t tenant_id, int64_t size,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int64_t lo, hi, start;
	int r;

	if (size <= 0)
		return err_set(e, ERR_RANGE, "range size must be positive");
	r = sq_begin(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_CUSTOMER_RANGE, e);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail_sql;
	lo = sqlite3_column_int64(st, 0);
	hi = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
	st = sq_stmt(h, SQ_RANGE_MAX_TO, e);
	if (!st)
		goto fail;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto fail_sql;
	start = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	/* Existing ranges stay as they are; new ones continue after the
	 * last, so ranges never overlap whatever size other workers use. */
	if (start == 0)
		start = lo;
	for (; lo != 0 && start <= hi; start += size) {
		st = sq_stmt(h, SQ_RANGE_INSERT, e);
		if (!st)
			goto fail;
		sqlite3_bind_int64(st, 1, tenant_id);
		sqlite3_bind_int64(st, 2, start);
		sqlite3_bind_int64(st, 3, start + size);
		r = sq_done(h, st, e, "adding run range");
		if (r < 0)
			goto fail;
	}
	return sq_commit(h, e);
fail_sql:
	sq_error(h, e, "reading run ranges");
fail:
	sq_rollback(h);
	return -ERR_STORE;
}

static int range_select(struct sq *h, enum sq_stmt which, int64_t tenant_id,
			int64_t after, instant_t as_of, int64_t *ret_from,
			int64_t *ret_to, int *ret_found, struct err *e)
{
	sqlite3_stmt *st = sq_stmt(h, which, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_instant_text(h, st, 2, as_of);
	if (which == SQ_RANGE_PEEK)
		sqlite3_bind_int64(st, 3, after);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret_from = sqlite3_column_int64(st, 0);
		*ret_to = sqlite3_column_int64(st, 1);
		*ret_found = 1;
	} else if (rc == SQLITE_DONE) {
		*ret_found = 0;
	} else {
		return sq_error(h, e, "claiming a run range");
	}
	sqlite3_reset(st);
	return 0;
}

static int sq_range_claim(void *hv, int64_t tenant_id, instant_t as_of,
			  int64_t *ret_from, int64_t *ret_to, int *ret_found,
			  struct err *e)
{
	struct sq *h = hv;
	if (!h->in_tx)
		return err_set(e, ERR_STORE, "claiming a range outside a"
			       " transaction");
	return range_select(h, SQ_RANGE_CLAIM, tenant_id, 0, as_of, ret_from,
			    ret_to, ret_found, e);
}

static int sq_range_peek(void *hv, int64_t tenant_id, int64_t after,
			 instant_t as_of, int64_t *ret_from, int64_t *ret_to,
			 int *ret_found, struct err *e)
{
	return range_select(hv, SQ_RANGE_PEEK, tenant_id, after, as_of,
			    ret_from, ret_to, ret_found, e);
}

static int sq_range_done(void *hv, int64_t tenant_id, int64_t from,
			 instant_t as_of, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_RANGE_DONE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, from);
	bind_instant_text(h, st, 3, as_of);
	return sq_done(h, st, e, "recording a run range");
}

static int sq_settings_get(void *hv, int64_t tenant_id,
			   struct setting_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_SETTINGS_GET, e);
	struct setting_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		list[n].key = col_dup(st, 0);
		list[n].value = col_dup(st, 1);
		n++;
	}
	if (rc != SQLITE_DONE) {
		setting_list_free(list, n);
		return sq_error(h, e, "reading tenant settings");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_setting_put(void *hv, int64_t tenant_id, const char *key,
			  const char *value, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, value ? SQ_SETTING_PUT
					    : SQ_SETTING_DELETE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, key);
	if (value)
		bind_text(st, 3, value);
	return sq_done(h, st, e, "writing a tenant setting");
}

static void bind_template_key(sqlite3_stmt *st, int64_t tenant_id,
			      const char *locale, const char *template_id,
			      const char *variant)
{
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, locale);
	bind_text(st, 3, template_id);
	bind_text(st, 4, variant);
}

static int sq_template_get(void *hv, int64_t tenant_id, const char *locale,
			   const char *template_id, const char *variant,
			   char **ret_source, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_TEMPLATE_GET, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	bind_template_key(st, tenant_id, locale, template_id, variant);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a template");
	*ret_source = col_dup(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int sq_template_put(void *hv, int64_t tenant_id, const char *locale,
			   const char *template_id, const char *variant,
			   const char *source, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, source ? SQ_TEMPLATE_PUT
					     : SQ_TEMPLATE_DELETE, e);
	if (!st)
		return -ERR_STORE;
	bind_template_key(st, tenant_id, locale, template_id, variant);
	if (source)
		bind_text(st, 5, source);
	return sq_done(h, st, e, "writing a template");
}

/* ---- the outbox ---- */

static instant_t col_instant_or_zero(sqlite3_stmt *st, int i)
{
	instant_t t;
	const char *v = (const char *)sqlite3_column_text(st, i);
	if (!v || instant_parse(v, &t, NULL) < 0)
		return 0;
	return t;
}

static void read_message(sqlite3_stmt *st, struct message_rec *m)
{
	m->id = sqlite3_column_int64(st, 0);
	m->tenant_id = sqlite3_column_int64(st, 1);
	m->case_id = sqlite3_column_int64(st, 2);
	m->customer_id = sqlite3_column_int64(st, 3);
	m->step = col_dup(st, 4);
	m->channel = col_dup(st, 5);
	m->fallbacks = col_dup(st, 6);
	m->template_id = col_dup(st, 7);
	m->tone = col_dup(st, 8);
	m->status = col_dup(st, 9);
	m->not_before = col_instant_or_zero(st, 10);
	m->attempts = sqlite3_column_int(st, 11);
	m->lease_until = col_instant_or_zero(st, 12);
	m->lease_owner = col_dup(st, 13);
	m->idempotency_key = col_dup(st, 14);
	m->provider = col_dup(st, 15);
	m->provider_id = col_dup(st, 16);
	m->last_error = col_dup(st, 17);
	m->link_hash = col_dup(st, 18);
	m->created_at = col_instant_or_zero(st, 19);
	m->sent_at = col_instant_or_zero(st, 20);
}

static int sq_outbox_fill(void *hv, int64_t tenant_id, instant_t now,
			  int limit, int *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e), n;
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_OUTBOX_FILL, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_instant_text(h, st, 2, now);
	sqlite3_bind_int(st, 3, limit);
	r = sq_done(h, st, e, "filling the outbox");
	if (r < 0)
		return r;
	n = sqlite3_changes(h->db);
	st = sq_stmt(h, SQ_OUTBOX_EVENTS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_instant_text(h, st, 2, now);
	r = sq_done(h, st, e, "recording queued messages");
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_OUTBOX_MARK, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	r = sq_done(h, st, e, "marking actions handed to the outbox");
	if (r == 0)
		*ret_n = n;
	return r;
}

static int sq_outbox_claim(void *hv, int64_t tenant_id, instant_t now,
			   instant_t lease_until, const char *owner, int limit,
			   struct message_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OUTBOX_CLAIM, e);
	struct message_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_instant_text(h, st, 2, now);
	bind_instant_text(h, st, 3, lease_until);
	bind_text(st, 4, owner);
	sqlite3_bind_int(st, 5, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		memset(&list[n], 0, sizeof(list[n]));
		read_message(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		message_list_free(list, n);
		return sq_error(h, e, "claiming messages");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_outbox_update(void *hv, const struct message_rec *m,
			    const char *owner, instant_t now, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OUTBOX_UPDATE, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, m->tenant_id);
	sqlite3_bind_int64(st, 2, m->id);
	bind_text(st, 3, m->status);
	bind_instant_text(h, st, 4, m->not_before);
	sqlite3_bind_int(st, 5, m->attempts);
	bind_text(st, 6, m->provider ? m->provider : "");
	bind_text(st, 7, m->provider_id ? m->provider_id : "");
	bind_text(st, 8, m->last_error ? m->last_error : "");
	bind_text(st, 9, m->link_hash ? m->link_hash : "");
	if (m->sent_at)
		bind_instant_text(h, st, 10, m->sent_at);
	else
		sqlite3_bind_null(st, 10);
	bind_instant_text(h, st, 11, now);
	bind_text(st, 12, owner);
	r = sq_done(h, st, e, "updating a message");
	if (r == 0 && sqlite3_changes(h->db) == 0)
		r = err_set(e, ERR_CONFLICT, "message %lld: the lease was taken"
			    " over by another dispatcher", (long long)m->id);
	return r;
}

static int sq_outbox_insert(void *hv, const struct message_rec *m,
			    instant_t now, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OUTBOX_INSERT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, m->tenant_id);
	sqlite3_bind_int64(st, 2, m->case_id);
	sqlite3_bind_int64(st, 3, m->customer_id);
	bind_text(st, 4, m->step);
	bind_text(st, 5, m->channel);
	bind_text(st, 6, m->fallbacks ? m->fallbacks : "");
	bind_text(st, 7, m->template_id ? m->template_id : "");
	bind_text(st, 8, m->tone ? m->tone : "");
	bind_text(st, 9, m->status);
	bind_instant_text(h, st, 10, m->not_before);
	bind_text(st, 11, m->idempotency_key);
	bind_instant_text(h, st, 12, now);
	return sq_done(h, st, e, "adding a message");
}

static int sq_outbox_sent_since(void *hv, int64_t tenant_id,
				int64_t customer_id, instant_t since,
				struct sent_rec **ret, size_t *ret_n,
				struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OUTBOX_SENT, e);
	struct sent_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_instant_text(h, st, 3, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		list[n].sent_at = col_instant_or_zero(st, 0);
		list[n].case_id = sqlite3_column_int64(st, 1);
		list[n].step = col_dup(st, 2);
		n++;
	}
	if (rc != SQLITE_DONE) {
		sent_list_free(list, n);
		return sq_error(h, e, "reading sent messages");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_customer_external_id(void *hv, int64_t tenant_id, int64_t id,
				   char **ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CUSTOMER_EXTERNAL, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return err_set(e, ERR_NOTFOUND, "no customer with id %lld",
			       (long long)id);
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a customer");
	*ret = col_dup(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int sq_outbox_find_provider(void *hv, int64_t tenant_id,
				   const char *provider,
				   const char *provider_id,
				   struct message_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OUTBOX_FIND_PROVIDER, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, provider);
	bind_text(st, 3, provider_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "finding a message");
	memset(ret, 0, sizeof(*ret));
	read_message(st, ret);
	sqlite3_reset(st);
	return 0;
}

static int sq_outbox_set_status(void *hv, int64_t tenant_id, int64_t id,
				const char *status, const char *error,
				instant_t now, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OUTBOX_SET_STATUS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, id);
	bind_text(st, 3, status);
	bind_text(st, 4, error ? error : "");
	bind_instant_text(h, st, 5, now);
	return sq_done(h, st, e, "updating a message");
}

static int sq_link_insert(void *hv, int64_t tenant_id, const char *token_hash,
			  int64_t case_id, int64_t customer_id,
			  instant_t created, instant_t expires, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LINK_INSERT, e);
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, token_hash);
	sqlite3_bind_int64(st, 2, tenant_id);
	sqlite3_bind_int64(st, 3, case_id);
	sqlite3_bind_int64(st, 4, customer_id);
	bind_instant_text(h, st, 5, created);
	bind_instant_text(h, st, 6, expires);
	return sq_done(h, st, e, "recording a link");
}

/* ---- the JSON API (migration 0006) ---- */

static int sq_apikey_insert(void *hv, int64_t tenant_id, const char *prefix,
			    const char *hash, const char *scopes,
			    instant_t now, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_APIKEY_INSERT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, prefix);
	bind_text(st, 3, hash);
	bind_text(st, 4, scopes);
	bind_instant_text(h, st, 5, now);
	return sq_done(h, st, e, "recording an API key");
}

static void read_apikey(sqlite3_stmt *st, struct apikey_rec *k)
{
	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(st, 0);
	k->tenant_id = sqlite3_column_int64(st, 1);
	k->prefix = col_dup(st, 2);
	k->scopes = col_dup(st, 3);
	k->created_at = col_instant_or_zero(st, 4);
	k->revoked_at = col_instant_or_zero(st, 5);
}

static int sq_apikey_find(void *hv, const char *hash, struct apikey_rec *ret,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_APIKEY_FIND, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading an API key");
	read_apikey(st, ret);
	sqlite3_reset(st);
	return 0;
}

static int sq_apikey_list(void *hv, int64_t tenant_id,
			  struct apikey_rec **ret, size_t *ret_n,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_APIKEY_LIST, e);
	struct apikey_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_apikey(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		apikey_list_free(list, n);
		return sq_error(h, e, "listing API keys");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_apikey_revoke(void *hv, int64_t tenant_id, const char *prefix,
			    instant_t now, int *ret_found, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_APIKEY_REVOKE, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, prefix);
	bind_instant_text(h, st, 3, now);
	r = sq_done(h, st, e, "revoking an API key");
	if (r == 0)
		*ret_found = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_customer_list(void *hv, int64_t tenant_id, const char *after,
			    int limit, char ***ret, size_t *ret_n,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CUSTOMER_LIST, e);
	char **list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		list[n++] = col_dup(st, 0);
	}
	if (rc != SQLITE_DONE) {
		store_strings_free(list, n);
		return sq_error(h, e, "listing customers");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_invoice_list(void *hv, int64_t tenant_id, int64_t customer_id,
			   const char *after, int limit,
			   struct invoice_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICE_LIST, e);
	struct invoice_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_text(st, 3, after);
	sqlite3_bind_int(st, 4, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_invoice(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		invoice_list_free(list, n);
		return sq_error(h, e, "listing invoices");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_idem_claim(void *hv, int64_t tenant_id, const char *key,
			 const char *request_hash, instant_t now,
			 int *ret_claimed, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_IDEM_CLAIM, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, key);
	bind_text(st, 3, request_hash);
	bind_instant_text(h, st, 4, now);
	r = sq_done(h, st, e, "recording an idempotency key");
	if (r == 0)
		*ret_claimed = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_idem_get(void *hv, int64_t tenant_id, const char *key,
		       struct idem_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_IDEM_GET, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ERR_NOTFOUND;
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading an idempotency key");
	memset(ret, 0, sizeof(*ret));
	ret->request_hash = col_dup(st, 0);
	ret->status = sqlite3_column_int(st, 1);
	ret->response_body = col_dup(st, 2);
	ret->created_at = col_instant_or_zero(st, 3);
	sqlite3_reset(st);
	return 0;
}

static int sq_idem_finish(void *hv, int64_t tenant_id, const char *key,
			  int status, const char *body, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_IDEM_FINISH, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, key);
	sqlite3_bind_int(st, 3, status);
	bind_text(st, 4, body);
	return sq_done(h, st, e, "storing an idempotent answer");
}

static int sq_idem_delete(void *hv, int64_t tenant_id, const char *key,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_IDEM_DELETE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, key);
	return sq_done(h, st, e, "forgetting an idempotency key");
}

/* Table names come from store_tables(), column names from another
 * backend's rows: both are checked (store_table_check,
 * store_identifier_ok) before they are put into SQL; values are always
 * bound. */
static int sq_rows_read(void *hv, const char *table, store_row_cb cb,
			void *ctx, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = NULL;
	char sql[128];
	const char *names[64], *values[64];
	int r = store_table_check(table, e), rc, n;

	if (r < 0)
		return r;
	r = flush_all(h, e);
	if (r < 0)
		return r;
	snprintf(sql, sizeof(sql), "SELECT * FROM %s", table);
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_error(h, e, "reading a table");
	n = sqlite3_column_count(st);
	if (n > 64) {
		sqlite3_finalize(st);
		return err_set(e, ERR_TOOBIG, "%s has more than 64 columns",
			       table);
	}
	for (int i = 0; i < n; i++)
		names[i] = sqlite3_column_name(st, i);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < n; i++)
			values[i] = (const char *)sqlite3_column_text(st, i);
		r = cb(ctx, n, names, values, e);
		if (r < 0)
			break;
	}
	if (r == 0 && rc != SQLITE_DONE)
		r = sq_error(h, e, "reading a table");
	sqlite3_finalize(st);
	return r;
}

static int sq_rows_write(void *hv, const char *table, int ncols,
			 const char *const *names, const char *const *values,
			 struct err *e)
{
	struct sq *h = hv;
	struct buf sql;
	sqlite3_stmt *st = NULL;
	int r = store_table_check(table, e);

	if (r < 0)
		return r;
	buf_init(&sql, 8192);
	buf_printf(&sql, "INSERT INTO %s (", table);
	for (int i = 0; i < ncols; i++) {
		if (!store_identifier_ok(names[i])) {
			buf_free(&sql);
			return err_set(e, ERR_INVALID, "bad column name in %s",
				       table);
		}
		buf_printf(&sql, "%s%s", i ? ", " : "", names[i]);
	}
	buf_puts(&sql, ") VALUES (");
	for (int i = 0; i < ncols; i++)
		buf_puts(&sql, i ? ", ?" : "?");
	buf_puts(&sql, ")");
	if (sqlite3_prepare_v2(h->db, buf_cstr(&sql), -1, &st, NULL) !=
	    SQLITE_OK) {
		buf_free(&sql);
		return sq_error(h, e, "writing a row");
	}
	buf_free(&sql);
	for (int i = 0; i < ncols; i++)
		bind_text(st, i + 1, values[i]);
	r = sq_done(h, st, e, "writing a row");
	sqlite3_finalize(st);
	return r;
}

static int sq_rows_count(void *hv, const char *table, int64_t *ret,
			 struct err *e)
{
	struct sq *h = hv;
	char sql[128];
	sqlite3_stmt *st = NULL;
	int r = store_table_check(table, e);
	if (r < 0)
		return r;
	snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM %s", table);
	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		r = sq_error(h, e, "counting rows");
	} else {
		*ret = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return r;
}

static int sq_data_version(void *hv, int64_t *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = NULL;
	int r = 0;
	if (sqlite3_prepare_v2(h->db, "PRAGMA data_version", -1, &st, NULL) !=
		    SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW)
		r = sq_error(h, e, "reading data version");
	else
		*ret = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return r;
}

/* ---- webhooks to the tenant (migration 0007) ---- */

static int sq_webhook_endpoint_add(void *hv, int64_t tenant_id,
				   const char *url, const char *secret,
				   const char *events, instant_t now,
				   int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_WH_ENDPOINT_ADD, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, url);
	bind_text(st, 3, secret);
	bind_text(st, 4, events);
	bind_instant_text(h, st, 5, now);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "adding a webhook endpoint");
	*ret_id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int sq_webhook_endpoint_list(void *hv, int64_t tenant_id,
				    struct webhook_endpoint_rec **ret,
				    size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_WH_ENDPOINT_LIST, e);
	struct webhook_endpoint_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct webhook_endpoint_rec *w;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		w = &list[n++];
		memset(w, 0, sizeof(*w));
		w->id = sqlite3_column_int64(st, 0);
		w->tenant_id = sqlite3_column_int64(st, 1);
		w->url = col_dup(st, 2);
		w->secret = col_dup(st, 3);
		w->events = col_dup(st, 4);
		w->active = sqlite3_column_int(st, 5);
		w->cursor = sqlite3_column_int64(st, 6);
		w->cursor_order = sqlite3_column_int64(st, 8);
		w->created_at = col_instant_or_zero(st, 7);
	}
	if (rc != SQLITE_DONE) {
		webhook_endpoint_list_free(list, n);
		return sq_error(h, e, "listing webhook endpoints");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_webhook_events(void *hv, int64_t tenant_id,
			     int64_t after_order, int64_t after, int limit,
			     struct webhook_event_rec **ret, size_t *ret_n,
			     struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct webhook_event_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc = flush_all(h, e);
	if (rc < 0)
		return rc;
	st = sq_stmt(h, SQ_WH_EVENTS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int(st, 3, limit);
	(void)after_order; /* one writer: commit order is id order */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct webhook_event_rec *v;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		v = &list[n++];
		v->id = sqlite3_column_int64(st, 0);
		v->order = v->id;
		v->case_id = sqlite3_column_int64(st, 1);
		v->at = col_instant_or_zero(st, 2);
		v->kind = col_dup(st, 3);
		v->detail = col_dup(st, 4);
		v->customer = col_dup(st, 5);
	}
	if (rc != SQLITE_DONE) {
		webhook_event_list_free(list, n);
		return sq_error(h, e, "reading case events for webhooks");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_webhook_delivery_add(void *hv,
				   const struct webhook_delivery_rec *d,
				   instant_t now, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_WH_DELIVERY_ADD, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, d->tenant_id);
	sqlite3_bind_int64(st, 2, d->endpoint_id);
	sqlite3_bind_int64(st, 3, d->event_id);
	bind_text(st, 4, d->kind);
	bind_text(st, 5, d->payload);
	bind_text(st, 6, d->status);
	bind_instant_text(h, st, 7, d->not_before);
	bind_instant_text(h, st, 8, now);
	return sq_done(h, st, e, "queueing a webhook delivery");
}

static int sq_webhook_cursor_set(void *hv, int64_t tenant_id,
				 int64_t endpoint_id, int64_t order,
				 int64_t cursor, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_WH_CURSOR, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, endpoint_id);
	sqlite3_bind_int64(st, 3, order);
	sqlite3_bind_int64(st, 4, cursor);
	return sq_done(h, st, e, "moving a webhook cursor");
}

static int sq_webhook_claim(void *hv, int64_t tenant_id, instant_t now,
			    instant_t lease_until, const char *owner,
			    int limit, struct webhook_delivery_rec **ret,
			    size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_WH_CLAIM, e);
	struct webhook_delivery_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_instant_text(h, st, 2, now);
	bind_instant_text(h, st, 3, lease_until);
	bind_text(st, 4, owner);
	sqlite3_bind_int(st, 5, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct webhook_delivery_rec *d;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		d = &list[n++];
		d->id = sqlite3_column_int64(st, 0);
		d->tenant_id = sqlite3_column_int64(st, 1);
		d->endpoint_id = sqlite3_column_int64(st, 2);
		d->event_id = sqlite3_column_int64(st, 3);
		d->kind = col_dup(st, 4);
		d->payload = col_dup(st, 5);
		d->status = col_dup(st, 6);
		d->attempts = sqlite3_column_int(st, 7);
		d->not_before = col_instant_or_zero(st, 8);
		d->last_error = col_dup(st, 9);
		d->response_status = sqlite3_column_int(st, 10);
		d->created_at = col_instant_or_zero(st, 11);
		d->delivered_at = col_instant_or_zero(st, 12);
		d->url = col_dup(st, 13);
		d->secret = col_dup(st, 14);
	}
	if (rc != SQLITE_DONE) {
		webhook_delivery_list_free(list, n);
		return sq_error(h, e, "claiming webhook deliveries");
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_webhook_update(void *hv, const struct webhook_delivery_rec *d,
			     const char *owner, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_WH_UPDATE, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, d->tenant_id);
	sqlite3_bind_int64(st, 2, d->id);
	bind_text(st, 3, d->status);
	sqlite3_bind_int(st, 4, d->attempts);
	bind_instant_text(h, st, 5, d->not_before);
	bind_text(st, 6, d->last_error ? d->last_error : "");
	sqlite3_bind_int(st, 7, d->response_status);
	if (d->delivered_at)
		bind_instant_text(h, st, 8, d->delivered_at);
	else
		sqlite3_bind_null(st, 8);
	bind_text(st, 9, owner);
	r = sq_done(h, st, e, "updating a webhook delivery");
	if (r == 0 && sqlite3_changes(h->db) == 0)
		r = err_set(e, ERR_CONFLICT, "webhook delivery %lld: the lease"
			    " was taken over", (long long)d->id);
	return r;
}

/* ---- the customer's page (migration 0009) ---- */

static void copy_text(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

static int sq_link_find(void *hv, const char *token_hash, struct link_rec *ret,
			struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LINK_FIND, e);
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	bind_text(st, 1, token_hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no such link");
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a link");
	memset(ret, 0, sizeof(*ret));
	ret->tenant_id = sqlite3_column_int64(st, 0);
	ret->case_id = sqlite3_column_int64(st, 1);
	ret->customer_id = sqlite3_column_int64(st, 2);
	ret->created_at = col_instant_or_zero(st, 3);
	ret->expires_at = col_instant_or_zero(st, 4);
	ret->revoked_at = col_instant_or_zero(st, 5);
	copy_text(ret->csrf_key, sizeof(ret->csrf_key), col_text(st, 6));
	sqlite3_reset(st);
	return 0;
}

static int sq_link_set_csrf(void *hv, const char *token_hash, const char *key,
			    int *ret_set, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LINK_SET_CSRF, e);
	int r;
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, token_hash);
	bind_text(st, 2, key);
	r = sq_done(h, st, e, "keying a link");
	if (r == 0)
		*ret_set = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_link_revoke_case(void *hv, int64_t tenant_id, int64_t case_id,
			       instant_t now, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LINK_REVOKE_CASE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	bind_instant_text(h, st, 3, now);
	return sq_done(h, st, e, "revoking links");
}

static int sq_case_get(void *hv, int64_t tenant_id, int64_t case_id,
		       struct case_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_GET, e);
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no case %lld",
			       (long long)case_id);
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a case");
	read_case(st, ret, tenant_id, NULL);
	sqlite3_reset(st);
	return 0;
}

static int sq_case_hold(void *hv, int64_t tenant_id, int64_t case_id,
			enum hold_reason reason, date_t until, int *ret_found,
			struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_CASE_HOLD, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	bind_text(st, 3, hold_reason_name(reason));
	bind_date(h, st, 4, until);
	r = sq_done(h, st, e, "holding a case");
	if (r == 0)
		*ret_found = sqlite3_changes(h->db) > 0;
	return r;
}

/* ---- fees paid and credit (migration 0012) ---- */

/* One number from a statement bound with (tenant, id[, text]). */
static int sq_one_int(struct sq *h, enum sq_stmt which, int64_t tenant_id,
		      int64_t id, const char *text, int64_t *ret,
		      const char *what, struct err *e)
{
	sqlite3_stmt *st;
	int rc, r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, which, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, id);
	if (text)
		bind_text(st, 3, text);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*ret = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return 0;
	}
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "%s: not found", what);
	}
	return sq_error(h, e, what);
}

static int sq_case_fees_paid(void *hv, int64_t tenant_id, int64_t case_id,
			     int64_t *ret, struct err *e)
{
	return sq_one_int(hv, SQ_CASE_FEES_PAID, tenant_id, case_id, NULL, ret,
			  "reading a case's fees paid", e);
}

static int sq_case_fees_pay(void *hv, int64_t tenant_id, int64_t case_id,
			    int64_t amount, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_CASE_FEES_PAY, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	sqlite3_bind_int64(st, 3, amount);
	return sq_done(h, st, e, "paying a case's fees");
}

static int sq_payment_set_credit(void *hv, int64_t tenant_id,
				 const char *external_id, int64_t credit,
				 struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PAYMENT_SET_CREDIT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, external_id);
	sqlite3_bind_int64(st, 3, credit);
	return sq_done(h, st, e, "keeping a payment's credit");
}

static int sq_customer_credit(void *hv, int64_t tenant_id,
			      int64_t customer_id, const char *currency,
			      int64_t *ret, struct err *e)
{
	return sq_one_int(hv, SQ_CUSTOMER_CREDIT, tenant_id, customer_id,
			  currency, ret, "reading a customer's credit", e);
}

static int sq_case_messages(void *hv, int64_t tenant_id, int64_t case_id,
			    struct message_rec **ret, size_t *ret_n,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_MESSAGES, e);
	struct message_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		memset(&list[n], 0, sizeof(list[n]));
		read_message(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		message_list_free(list, n);
		return sq_error(h, e, "listing a case's messages");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_payment_list(void *hv, int64_t tenant_id, int64_t customer_id,
			   const char *currency, date_t since,
			   struct payment_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PAYMENT_LIST, e);
	struct payment_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_text(st, 3, currency);
	bind_date(h, st, 4, since);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct payment_rec *p;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		p = &list[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		p->tenant_id = tenant_id;
		p->customer_id = customer_id;
		p->external_id = col_dup(st, 1);
		p->invoice_id = sqlite3_column_int64(st, 2);
		p->amount_minor = sqlite3_column_int64(st, 3);
		copy_text(p->currency, sizeof(p->currency), currency);
		p->paid_on = col_date(st, 4);
		p->method = col_dup(st, 5);
	}
	if (rc != SQLITE_DONE) {
		payment_list_free(list, n);
		return sq_error(h, e, "listing payments");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_event_count(void *hv, int64_t tenant_id, int64_t case_id,
			  const char *kind, int64_t *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_EVENT_COUNT, e);
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	bind_text(st, 3, kind);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "counting events");
	*ret = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return 0;
}

static int sq_invoice_set_disputed(void *hv, int64_t tenant_id,
				   int64_t invoice_id, int disputed,
				   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICE_SET_DISPUTED, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, invoice_id);
	sqlite3_bind_int(st, 3, disputed ? 1 : 0);
	return sq_done(h, st, e, "marking a dispute");
}

static int sq_plan_insert(void *hv, const struct plan_rec *p, int64_t *ret_id,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PLAN_INSERT, e);
	int64_t id;
	int r;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, p->tenant_id);
	sqlite3_bind_int64(st, 2, p->case_id);
	sqlite3_bind_int64(st, 3, p->customer_id);
	bind_text(st, 4, p->currency);
	sqlite3_bind_int64(st, 5, p->total_minor);
	sqlite3_bind_int(st, 6, p->months);
	sqlite3_bind_int(st, 7, p->day_of_month);
	sqlite3_bind_int64(st, 8, p->paid_minor);
	bind_text(st, 9, p->source);
	bind_instant_text(h, st, 10, p->created_at);
	r = sqlite3_step(st);
	if (r == SQLITE_CONSTRAINT) {
		sqlite3_reset(st);
		return err_set(e, ERR_CONFLICT, "case %lld has a plan already",
			       (long long)p->case_id);
	}
	if (r != SQLITE_DONE)
		return sq_error(h, e, "recording a plan");
	id = sqlite3_last_insert_rowid(h->db);
	for (size_t i = 0; i < p->n_instalments; i++) {
		st = sq_stmt(h, SQ_PLAN_INSTALMENT_INSERT, e);
		if (!st)
			return -ERR_STORE;
		sqlite3_bind_int64(st, 1, p->tenant_id);
		sqlite3_bind_int64(st, 2, id);
		sqlite3_bind_int(st, 3, p->instalments[i].n);
		bind_date(h, st, 4, p->instalments[i].due_on);
		sqlite3_bind_int64(st, 5, p->instalments[i].amount_minor);
		r = sq_done(h, st, e, "recording an instalment");
		if (r < 0)
			return r;
	}
	*ret_id = id;
	return 0;
}

static int sq_plan_active(void *hv, int64_t tenant_id, int64_t case_id,
			  struct plan_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PLAN_ACTIVE, e);
	struct plan_rec p;
	size_t cap = 0;
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "case %lld has no active plan",
			       (long long)case_id);
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a plan");
	memset(&p, 0, sizeof(p));
	p.id = sqlite3_column_int64(st, 0);
	p.tenant_id = tenant_id;
	p.case_id = case_id;
	p.customer_id = sqlite3_column_int64(st, 1);
	copy_text(p.currency, sizeof(p.currency), col_text(st, 2));
	p.total_minor = sqlite3_column_int64(st, 3);
	p.months = sqlite3_column_int(st, 4);
	p.day_of_month = sqlite3_column_int(st, 5);
	p.paid_minor = sqlite3_column_int64(st, 6);
	copy_text(p.status, sizeof(p.status), col_text(st, 7));
	copy_text(p.source, sizeof(p.source), col_text(st, 8));
	p.created_at = col_instant_or_zero(st, 9);
	p.ended_at = col_instant_or_zero(st, 10);
	sqlite3_reset(st);
	st = sq_stmt(h, SQ_PLAN_INSTALMENTS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, p.id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct plan_instalment_rec *in;
		p.instalments = xgrow(p.instalments, &cap, p.n_instalments + 1,
				      sizeof(*p.instalments));
		in = &p.instalments[p.n_instalments++];
		in->n = sqlite3_column_int(st, 0);
		in->due_on = col_date(st, 1);
		in->amount_minor = sqlite3_column_int64(st, 2);
	}
	if (rc != SQLITE_DONE) {
		plan_rec_clear(&p);
		return sq_error(h, e, "reading a plan's instalments");
	}
	sqlite3_reset(st);
	*ret = p;
	return 0;
}

static int sq_plan_update(void *hv, const struct plan_rec *p, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PLAN_UPDATE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, p->tenant_id);
	sqlite3_bind_int64(st, 2, p->id);
	sqlite3_bind_int64(st, 3, p->paid_minor);
	bind_text(st, 4, p->status);
	if (p->ended_at)
		bind_instant_text(h, st, 5, p->ended_at);
	else
		sqlite3_bind_null(st, 5);
	return sq_done(h, st, e, "updating a plan");
}

static int sq_plan_cases(void *hv, int64_t tenant_id, int64_t **ret,
			 size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PLAN_CASES, e);
	int64_t *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		list[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		free(list);
		return sq_error(h, e, "listing plans");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_request_insert(void *hv, const struct request_rec *r,
			     int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_REQUEST_INSERT, e);
	int rr;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, r->tenant_id);
	sqlite3_bind_int64(st, 2, r->case_id);
	sqlite3_bind_int64(st, 3, r->customer_id);
	bind_text(st, 4, r->kind);
	bind_text(st, 5, r->reason ? r->reason : "");
	bind_text(st, 6, r->message ? r->message : "");
	bind_text(st, 7, r->contact_via ? r->contact_via : "");
	if (r->callback_at)
		bind_instant_text(h, st, 8, r->callback_at);
	else
		sqlite3_bind_null(st, 8);
	if (r->invoice_id)
		sqlite3_bind_int64(st, 9, r->invoice_id);
	else
		sqlite3_bind_null(st, 9);
	bind_instant_text(h, st, 10, r->created_at);
	rr = sq_done(h, st, e, "recording a request");
	if (rr == 0)
		*ret_id = sqlite3_last_insert_rowid(h->db);
	return rr;
}

static int sq_request_list(void *hv, int64_t tenant_id, int64_t case_id,
			   struct request_rec **ret, size_t *ret_n,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_REQUEST_LIST, e);
	struct request_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct request_rec *r;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		r = &list[n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->tenant_id = tenant_id;
		r->case_id = case_id;
		r->customer_id = sqlite3_column_int64(st, 1);
		copy_text(r->kind, sizeof(r->kind), col_text(st, 2));
		r->reason = col_dup(st, 3);
		r->message = col_dup(st, 4);
		r->contact_via = col_dup(st, 5);
		r->callback_at = col_instant_or_zero(st, 6);
		r->invoice_id = sqlite3_column_int64(st, 7);
		copy_text(r->status, sizeof(r->status), col_text(st, 8));
		r->created_at = col_instant_or_zero(st, 9);
	}
	if (rc != SQLITE_DONE) {
		request_list_free(list, n);
		return sq_error(h, e, "listing requests");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_request_done(void *hv, int64_t tenant_id, int64_t case_id,
			   int64_t id, instant_t now, int *ret_found,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_REQUEST_DONE, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	sqlite3_bind_int64(st, 3, id);
	bind_instant_text(h, st, 4, now);
	r = sq_done(h, st, e, "closing a request");
	if (r == 0)
		*ret_found = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_checkout_insert(void *hv, const struct checkout_rec *c,
			      int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHECKOUT_INSERT, e);
	int r;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_int64(st, 2, c->case_id);
	bind_text(st, 3, c->provider);
	bind_text(st, 4, c->provider_id);
	sqlite3_bind_int64(st, 5, c->amount_minor);
	bind_text(st, 6, c->currency);
	bind_text(st, 7, c->status);
	bind_instant_text(h, st, 8, c->created_at);
	r = sq_done(h, st, e, "recording a checkout");
	if (r == 0)
		*ret_id = sqlite3_last_insert_rowid(h->db);
	return r;
}

static int sq_checkout_find(void *hv, int64_t tenant_id, const char *provider,
			    const char *provider_id, struct checkout_rec *ret,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHECKOUT_FIND, e);
	int rc;
	if (!st || flush_all(h, e) < 0)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, provider);
	bind_text(st, 3, provider_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no such checkout");
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a checkout");
	memset(ret, 0, sizeof(*ret));
	ret->id = sqlite3_column_int64(st, 0);
	ret->tenant_id = tenant_id;
	ret->case_id = sqlite3_column_int64(st, 1);
	copy_text(ret->provider, sizeof(ret->provider), col_text(st, 2));
	ret->provider_id = col_dup(st, 3);
	ret->amount_minor = sqlite3_column_int64(st, 4);
	copy_text(ret->currency, sizeof(ret->currency), col_text(st, 5));
	copy_text(ret->status, sizeof(ret->status), col_text(st, 6));
	ret->created_at = col_instant_or_zero(st, 7);
	ret->updated_at = col_instant_or_zero(st, 8);
	sqlite3_reset(st);
	return 0;
}

static int sq_checkout_set_status(void *hv, int64_t tenant_id, int64_t id,
				  const char *status, instant_t now,
				  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHECKOUT_SET_STATUS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, id);
	bind_text(st, 3, status);
	bind_instant_text(h, st, 4, now);
	return sq_done(h, st, e, "updating a checkout");
}

/* ---- bank statements (migration 0010) ---- */

static int sq_statement_index(void *hv, int64_t tenant_id,
			      const struct stmt_index_cb *cb, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int rc, r = 0;

	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, SQ_STMT_INVOICES, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stmt_invoice_row row = {
			.id = sqlite3_column_int64(st, 0),
			.customer_id = sqlite3_column_int64(st, 1),
			.case_id = sqlite3_column_int64(st, 2),
			.number = col_text(st, 3),
			.payment_reference = col_text(st, 4),
			.open_minor = sqlite3_column_int64(st, 5),
			.due_date = col_date(st, 7),
			.amount_minor = sqlite3_column_int64(st, 8),
		};
		copy_text(row.currency, sizeof(row.currency), col_text(st, 6));
		r = cb->invoice(cb->ctx, &row, e);
	}
	sqlite3_reset(st);
	if (r < 0)
		return r;
	if (rc != SQLITE_DONE)
		return sq_error(h, e, "reading open invoices");
	st = sq_stmt(h, SQ_STMT_CASES, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stmt_case_row row = {
			.id = sqlite3_column_int64(st, 0),
			.customer_id = sqlite3_column_int64(st, 1),
			.open_minor = sqlite3_column_int64(st, 3),
			.fees_minor = sqlite3_column_int64(st, 4),
			.fees_paid_minor = sqlite3_column_int64(st, 5),
		};
		copy_text(row.currency, sizeof(row.currency), col_text(st, 2));
		r = cb->kase(cb->ctx, &row, e);
	}
	sqlite3_reset(st);
	if (r < 0)
		return r;
	if (rc != SQLITE_DONE)
		return sq_error(h, e, "reading open cases");
	st = sq_stmt(h, SQ_STMT_PAYERS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stmt_payer_row row = {
			.customer_id = sqlite3_column_int64(st, 0),
			.iban = col_text(st, 1),
			.name = col_text(st, 2),
		};
		r = cb->payer(cb->ctx, &row, e);
	}
	sqlite3_reset(st);
	if (r < 0)
		return r;
	if (rc != SQLITE_DONE)
		return sq_error(h, e, "reading payer accounts");
	return 0;
}

static int sq_statement_entry_known(void *hv, int64_t tenant_id,
				    const char *bank_ref, const char *status,
				    int *ret_known, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_STMT_ENTRY_KNOWN, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, bank_ref);
	bind_text(st, 3, status);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return sq_error(h, e, "looking up a statement entry");
	*ret_known = rc == SQLITE_ROW;
	sqlite3_reset(st);
	return 0;
}

static void bind_id_or_null(sqlite3_stmt *st, int i, int64_t id)
{
	if (id)
		sqlite3_bind_int64(st, i, id);
	else
		sqlite3_bind_null(st, i);
}

static int sq_statement_entry_insert(void *hv,
				     const struct statement_entry_rec *en,
				     int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_STMT_ENTRY_INSERT, e);
	char at[INSTANT_FMT_MAX];
	int r;
	if (!st)
		return -ERR_STORE;
#define SQ_T(i, v) bind_text(st, i, (v) ? (v) : "")
	sqlite3_bind_int64(st, 1, en->tenant_id);
	SQ_T(2, en->bank_ref);
	SQ_T(3, en->status);
	SQ_T(4, en->statement_id);
	bind_date(h, st, 5, en->booked_on);
	sqlite3_bind_int64(st, 6, en->amount_minor);
	bind_text(st, 7, en->currency);
	sqlite3_bind_int(st, 8, en->credit ? 1 : 0);
	sqlite3_bind_int(st, 9, en->reversal ? 1 : 0);
	sqlite3_bind_int(st, 10, en->returned ? 1 : 0);
	SQ_T(11, en->return_reason);
	SQ_T(12, en->debtor_name);
	SQ_T(13, en->debtor_iban);
	SQ_T(14, en->reference);
	SQ_T(15, en->unstructured);
	SQ_T(16, en->end_to_end_id);
	SQ_T(17, en->outcome);
	bind_text(st, 18, en->payment_external_id);
	bind_id_or_null(st, 19, en->case_id);
	bind_id_or_null(st, 20, en->invoice_id);
	bind_id_or_null(st, 21, en->customer_id);
	bind_id_or_null(st, 22, en->reverses_id);
	sqlite3_bind_int64(st, 23, en->credit_minor);
	SQ_T(24, en->rule);
	SQ_T(25, en->reason);
	/* past the scratch slots (SQ_MAX_PARAMS): copied by SQLite */
	instant_format(en->created_at, at);
	sqlite3_bind_text(st, 26, at, -1, SQLITE_TRANSIENT);
#undef SQ_T
	r = sq_done(h, st, e, "recording a statement entry");
	if (r == 0)
		*ret_id = sqlite3_changes(h->db) ?
				  sqlite3_last_insert_rowid(h->db) : 0;
	return r;
}

static int sq_review_insert(void *hv, int64_t tenant_id, int64_t entry_id,
			    const char *reason, const char *candidates,
			    instant_t now, int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_REVIEW_INSERT, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, entry_id);
	bind_text(st, 3, reason ? reason : "");
	bind_text(st, 4, candidates ? candidates : "[]");
	bind_instant_text(h, st, 5, now);
	r = sq_done(h, st, e, "queueing a review");
	if (r == 0)
		*ret_id = sqlite3_last_insert_rowid(h->db);
	return r;
}

static int sq_payer_upsert(void *hv, int64_t tenant_id, int64_t customer_id,
			   const char *iban, const char *name, date_t seen,
			   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PAYER_UPSERT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_text(st, 3, iban);
	bind_text(st, 4, name ? name : "");
	bind_date(h, st, 5, seen);
	return sq_done(h, st, e, "recording a payer account");
}

static int sq_statement_paid_find(void *hv, int64_t tenant_id,
				  const char *e2e, const char *statement_id,
				  int64_t amount, const char *currency,
				  int limit, struct stmt_paid_rec **ret,
				  size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	int by_e2e = e2e && *e2e;
	sqlite3_stmt *st = sq_stmt(h, by_e2e ? SQ_STMT_PAID_E2E
					     : SQ_STMT_PAID_STMT, e);
	struct stmt_paid_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	if (by_e2e) {
		bind_text(st, 2, e2e);
		sqlite3_bind_int(st, 3, limit);
	} else {
		bind_text(st, 2, statement_id);
		sqlite3_bind_int64(st, 3, amount);
		bind_text(st, 4, currency);
		sqlite3_bind_int(st, 5, limit);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct stmt_paid_rec *p;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		p = &list[n++];
		memset(p, 0, sizeof(*p));
		p->id = sqlite3_column_int64(st, 0);
		p->customer_id = sqlite3_column_int64(st, 1);
		p->case_id = sqlite3_column_int64(st, 2);
		p->invoice_id = sqlite3_column_int64(st, 3);
		p->amount_minor = sqlite3_column_int64(st, 4);
		p->credit_minor = sqlite3_column_int64(st, 5);
		copy_text(p->currency, sizeof(p->currency), col_text(st, 6));
		p->booked_on = col_date(st, 7);
	}
	if (rc != SQLITE_DONE) {
		free(list);
		return sq_error(h, e, "finding the payment a reversal undoes");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_invoices_paid(void *hv, int64_t tenant_id, int64_t customer_id,
			    const char *currency, struct invoice_rec **ret,
			    size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_INVOICES_PAID, e);
	struct invoice_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_text(st, 3, currency);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_invoice(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		invoice_list_free(list, n);
		return sq_error(h, e, "reading paid invoices");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* ---- statement batch ---- */

static int sq_statement_rows_held(void *hv)
{
	(void)hv; /* writes happen inside BEGIN IMMEDIATE only */
	return 1;
}

static int sq_cases_with_event(void *hv, int64_t tenant_id,
			       const int64_t *ids, size_t n, const char *kind,
			       int64_t **ret, size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASES_WITH_EVENT, e);
	int64_t *list = NULL;
	size_t m = 0, cap = 0;
	struct buf json;
	int rc;

	if (!st || flush_all(h, e) < 0) /* events wait in the connection */
		return -ERR_STORE;
	buf_init(&json, 24 * n + 16);
	buf_putc(&json, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(&json, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_putc(&json, ']');
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, kind);
	sqlite3_bind_text(st, 3, buf_cstr(&json), (int)json.len,
			  SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, m + 1, sizeof(*list));
		list[m++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		free(list);
		list = NULL;
		rc = sq_error(h, e, "finding cases by their events");
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	buf_free(&json);
	if (rc < 0)
		return rc;
	*ret = list;
	*ret_n = m;
	return 0;
}

static int sq_payment_insert_credit(void *hv, const struct payment_rec *p,
				    int64_t credit_minor, int *ret_inserted,
				    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PAYMENT_INSERT_CREDIT, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, p->tenant_id);
	bind_text(st, 2, p->external_id);
	sqlite3_bind_int64(st, 3, p->customer_id);
	bind_id_or_null(st, 4, p->invoice_id);
	sqlite3_bind_int64(st, 5, p->amount_minor);
	bind_text(st, 6, p->currency);
	bind_date(h, st, 7, p->paid_on);
	bind_text(st, 8, p->method ? p->method : "");
	sqlite3_bind_int64(st, 9, credit_minor);
	r = sq_done(h, st, e, "saving payment");
	if (r < 0)
		return r;
	*ret_inserted = sqlite3_changes(h->db) > 0;
	return 0;
}

/* Statement entries per multi-row INSERT, and its columns. */
#define SQ_ENTRY_ROWS 64
#define SQ_ENTRY_COLS 26

/* The INSERT of SQ_ENTRY_ROWS entries: SQ_STMT_ENTRY_INSERT's, its
 * VALUES repeated, each inserted row's id and key returned. */
static sqlite3_stmt *entries_prepare(struct sq *h, struct err *e)
{
	const char *one = sq_sql[SQ_STMT_ENTRY_INSERT];
	const char *values = strstr(one, " VALUES ");
	const char *tail = strstr(one, " ON CONFLICT ");
	struct buf sql;
	sqlite3_stmt *st = NULL;

	buf_init(&sql, 64 * 1024);
	buf_append(&sql, one, (size_t)(values - one));
	buf_puts(&sql, " VALUES ");
	for (int r = 0; r < SQ_ENTRY_ROWS; r++) {
		buf_puts(&sql, r ? ",(" : "(");
		for (int c = 0; c < SQ_ENTRY_COLS; c++)
			buf_puts(&sql, c ? ",?" : "?");
		buf_putc(&sql, ')');
	}
	buf_puts(&sql, tail);
	buf_puts(&sql, " RETURNING id, bank_ref, status");
	if (sqlite3_prepare_v3(h->db, buf_cstr(&sql), -1,
			       SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		sq_error(h, e, "prepare statement entries");
		st = NULL;
	}
	buf_free(&sql);
	return st;
}

/* Bind entry en as row `row` of the batch; dates and instants are
 * formatted into d and at (kept until the step). */
static void entries_bind(sqlite3_stmt *st, int row,
			 const struct statement_entry_rec *en,
			 char d[DATE_FMT_MAX], char at[INSTANT_FMT_MAX])
{
	int b = row * SQ_ENTRY_COLS;
#define SQ_T(i, v) bind_text(st, b + (i), (v) ? (v) : "")
	sqlite3_bind_int64(st, b + 1, en->tenant_id);
	SQ_T(2, en->bank_ref);
	SQ_T(3, en->status);
	SQ_T(4, en->statement_id);
	if (en->booked_on == DATE_NONE) {
		sqlite3_bind_null(st, b + 5);
	} else {
		date_format(en->booked_on, d);
		sqlite3_bind_text(st, b + 5, d, -1, SQLITE_STATIC);
	}
	sqlite3_bind_int64(st, b + 6, en->amount_minor);
	bind_text(st, b + 7, en->currency);
	sqlite3_bind_int(st, b + 8, en->credit ? 1 : 0);
	sqlite3_bind_int(st, b + 9, en->reversal ? 1 : 0);
	sqlite3_bind_int(st, b + 10, en->returned ? 1 : 0);
	SQ_T(11, en->return_reason);
	SQ_T(12, en->debtor_name);
	SQ_T(13, en->debtor_iban);
	SQ_T(14, en->reference);
	SQ_T(15, en->unstructured);
	SQ_T(16, en->end_to_end_id);
	SQ_T(17, en->outcome);
	bind_text(st, b + 18, en->payment_external_id);
	bind_id_or_null(st, b + 19, en->case_id);
	bind_id_or_null(st, b + 20, en->invoice_id);
	bind_id_or_null(st, b + 21, en->customer_id);
	bind_id_or_null(st, b + 22, en->reverses_id);
	sqlite3_bind_int64(st, b + 23, en->credit_minor);
	SQ_T(24, en->rule);
	SQ_T(25, en->reason);
	instant_format(en->created_at, at);
	sqlite3_bind_text(st, b + 26, at, -1, SQLITE_STATIC);
#undef SQ_T
}

static int sq_statement_entries_insert(void *hv,
				       const struct statement_entry_rec *en,
				       size_t n, int64_t *ret_ids,
				       struct err *e)
{
	struct sq *h = hv;
	char d[SQ_ENTRY_ROWS][DATE_FMT_MAX];
	char at[SQ_ENTRY_ROWS][INSTANT_FMT_MAX];
	size_t i = 0;

	/* Whole batches in one statement each, the rest one by one. */
	for (; n - i >= SQ_ENTRY_ROWS; i += SQ_ENTRY_ROWS) {
		sqlite3_stmt *st = h->entries;
		size_t next = 0;
		int rc;

		if (!st)
			st = h->entries = entries_prepare(h, e);
		if (!st)
			return -ERR_STORE;
		for (int row = 0; row < SQ_ENTRY_ROWS; row++) {
			entries_bind(st, row, &en[i + (size_t)row], d[row],
				     at[row]);
			ret_ids[i + (size_t)row] = 0; /* 0 until returned */
		}
		/* A row comes back per entry inserted (none for a key
		 * taken), in the order inserted; matched by the key all the
		 * same, as SQLite does not promise that order. */
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *ref = col_text(st, 1);
			const char *sts = col_text(st, 2);
			size_t k = next;
			for (size_t tries = 0; tries < SQ_ENTRY_ROWS; tries++) {
				const struct statement_entry_rec *x =
					&en[i + k];
				if (!strcmp(x->bank_ref ? x->bank_ref : "",
					    ref) &&
				    !strcmp(x->status ? x->status : "", sts))
					break;
				k = (k + 1) % SQ_ENTRY_ROWS;
			}
			ret_ids[i + k] = sqlite3_column_int64(st, 0);
			next = (k + 1) % SQ_ENTRY_ROWS;
		}
		if (rc != SQLITE_DONE)
			rc = sq_error(h, e, "recording statement entries");
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		if (rc < 0)
			return rc;
	}
	for (; i < n; i++) {
		int r = sq_statement_entry_insert(hv, &en[i], &ret_ids[i], e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- the team's console (migration 0011) ---- */

/* An operator from columns id, tenant_id, email, name, role, disabled,
 * created_at starting at `c`. */
static void read_operator(sqlite3_stmt *st, int c, struct operator_rec *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, c);
	o->tenant_id = sqlite3_column_int64(st, c + 1);
	o->email = col_dup(st, c + 2);
	o->name = col_dup(st, c + 3);
	copy_text(o->role, sizeof(o->role), col_text(st, c + 4));
	o->disabled = sqlite3_column_int(st, c + 5) != 0;
	o->created_at = col_instant_or_zero(st, c + 6);
}

static int sq_operator_insert(void *hv, const struct operator_rec *o,
			      const char *password_hash, int64_t *ret_id,
			      struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OPERATOR_INSERT, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, o->tenant_id);
	bind_text(st, 2, o->email);
	bind_text(st, 3, o->name);
	bind_text(st, 4, o->role);
	bind_text(st, 5, password_hash);
	sqlite3_bind_int(st, 6, o->disabled ? 1 : 0);
	bind_instant_text(h, st, 7, o->created_at);
	r = sq_done(h, st, e, "recording an operator");
	if (r < 0)
		return r;
	if (sqlite3_changes(h->db) == 0)
		return err_set(e, ERR_CONFLICT, "exists");
	*ret_id = sqlite3_last_insert_rowid(h->db);
	return 0;
}

static int sq_operator_find(void *hv, int64_t tenant_id, const char *email,
			    struct operator_rec *ret, char **ret_hash,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OPERATOR_FIND, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, email);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no operator");
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading an operator");
	read_operator(st, 0, ret);
	if (ret_hash)
		*ret_hash = col_dup(st, 7);
	sqlite3_reset(st);
	return 0;
}

static int sq_operator_list(void *hv, int64_t tenant_id,
			    struct operator_rec **ret, size_t *ret_n,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OPERATOR_LIST, e);
	struct operator_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_operator(st, 0, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		operator_list_free(list, n);
		return sq_error(h, e, "listing operators");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_operator_set_disabled(void *hv, int64_t tenant_id,
				    const char *email, int disabled,
				    int *ret_found, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_OPERATOR_SET_DISABLED, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, email);
	sqlite3_bind_int(st, 3, disabled ? 1 : 0);
	r = sq_done(h, st, e, "disabling an operator");
	if (r == 0)
		*ret_found = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_session_insert(void *hv, const struct operator_session_rec *ses,
			     struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_SESSION_INSERT, e);
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, ses->token_hash);
	sqlite3_bind_int64(st, 2, ses->tenant_id);
	sqlite3_bind_int64(st, 3, ses->operator_id);
	bind_text(st, 4, ses->csrf_key);
	bind_instant_text(h, st, 5, ses->created_at);
	bind_instant_text(h, st, 6, ses->last_seen);
	bind_instant_text(h, st, 7, ses->expires_at);
	return sq_done(h, st, e, "recording a session");
}

static int sq_session_find(void *hv, const char *token_hash,
			   struct operator_session_rec *ret,
			   struct operator_rec *ret_operator, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_SESSION_FIND, e);
	int rc;
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, token_hash);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no such session");
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a session");
	memset(ret, 0, sizeof(*ret));
	copy_text(ret->token_hash, sizeof(ret->token_hash), col_text(st, 0));
	ret->tenant_id = sqlite3_column_int64(st, 1);
	ret->operator_id = sqlite3_column_int64(st, 2);
	copy_text(ret->csrf_key, sizeof(ret->csrf_key), col_text(st, 3));
	ret->created_at = col_instant_or_zero(st, 4);
	ret->last_seen = col_instant_or_zero(st, 5);
	ret->expires_at = col_instant_or_zero(st, 6);
	read_operator(st, 7, ret_operator);
	sqlite3_reset(st);
	return 0;
}

static int sq_session_touch(void *hv, const char *token_hash,
			    instant_t last_seen, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_SESSION_TOUCH, e);
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, token_hash);
	bind_instant_text(h, st, 2, last_seen);
	return sq_done(h, st, e, "touching a session");
}

static int sq_session_delete(void *hv, const char *token_hash, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_SESSION_DELETE, e);
	if (!st)
		return -ERR_STORE;
	bind_text(st, 1, token_hash);
	return sq_done(h, st, e, "ending a session");
}

static int sq_sessions_end(void *hv, int64_t tenant_id, int64_t operator_id,
			   instant_t before, int idle_seconds, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_SESSIONS_END, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, operator_id);
	if (before) {
		bind_instant_text(h, st, 3, before);
		bind_instant_text(h, st, 4, before - idle_seconds);
	}
	return sq_done(h, st, e, "ending sessions");
}

static int sq_login_failure_add(void *hv, int64_t tenant_id,
				const char *email, const char *remote,
				instant_t at, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LOGIN_FAILURE_ADD, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, email);
	bind_text(st, 3, remote);
	bind_instant_text(h, st, 4, at);
	return sq_done(h, st, e, "recording a failed login");
}

static int sq_login_failures_count(void *hv, int64_t tenant_id,
				   const char *email, const char *remote,
				   instant_t since, int64_t *ret_by_email,
				   instant_t *ret_oldest_email,
				   int64_t *ret_by_remote,
				   instant_t *ret_oldest_remote,
				   struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LOGIN_FAILURES_COUNT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, email);
	bind_text(st, 3, remote);
	bind_instant_text(h, st, 4, since);
	if (sqlite3_step(st) != SQLITE_ROW)
		return sq_error(h, e, "counting failed logins");
	*ret_by_email = sqlite3_column_int64(st, 0);
	*ret_oldest_email = col_instant_or_zero(st, 1);
	*ret_by_remote = sqlite3_column_int64(st, 2);
	*ret_oldest_remote = col_instant_or_zero(st, 3);
	sqlite3_reset(st);
	return 0;
}

static int sq_login_failures_prune(void *hv, int64_t tenant_id,
				   instant_t before, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_LOGIN_FAILURES_PRUNE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_instant_text(h, st, 2, before);
	return sq_done(h, st, e, "pruning failed logins");
}

static int sq_case_notes(void *hv, int64_t tenant_id, int64_t case_id,
			 struct case_note_rec **ret, size_t *ret_n,
			 struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_NOTES, e);
	struct case_note_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct case_note_rec *c;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		c = &list[n++];
		memset(c, 0, sizeof(*c));
		c->id = sqlite3_column_int64(st, 0);
		c->tenant_id = tenant_id;
		c->case_id = sqlite3_column_int64(st, 1);
		c->operator_id = sqlite3_column_int64(st, 2);
		c->body = col_dup(st, 3);
		c->created_at = col_instant_or_zero(st, 4);
		c->author = col_dup(st, 5);
	}
	if (rc != SQLITE_DONE) {
		case_note_list_free(list, n);
		return sq_error(h, e, "reading a case's notes");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_case_note_add(void *hv, const struct case_note_rec *n,
			    int64_t *ret_id, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_NOTE_ADD, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, n->tenant_id);
	sqlite3_bind_int64(st, 2, n->case_id);
	sqlite3_bind_int64(st, 3, n->operator_id);
	bind_text(st, 4, n->body);
	bind_instant_text(h, st, 5, n->created_at);
	r = sq_done(h, st, e, "recording a note");
	if (r == 0 && ret_id)
		*ret_id = sqlite3_last_insert_rowid(h->db);
	return r;
}

static int sq_queue(void *hv, int64_t tenant_id, int limit,
		    struct queue_item **ret, size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct queue_item *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, SQ_QUEUE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct queue_item *q;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		q = &list[n++];
		memset(q, 0, sizeof(*q));
		q->rank = sqlite3_column_int(st, 0);
		copy_text(q->kind, sizeof(q->kind), col_text(st, 1));
		q->case_id = sqlite3_column_int64(st, 2);
		q->customer_id = sqlite3_column_int64(st, 3);
		q->customer = col_dup(st, 4);
		q->customer_name = col_dup(st, 5);
		q->since = col_instant_or_zero(st, 6);
		q->callback_at = col_instant_or_zero(st, 7);
		q->open_minor = sqlite3_column_int64(st, 8);
		copy_text(q->currency, sizeof(q->currency), col_text(st, 9));
		q->request_id = sqlite3_column_int64(st, 10);
		q->review_id = sqlite3_column_int64(st, 11);
	}
	if (rc != SQLITE_DONE) {
		queue_list_free(list, n);
		return sq_error(h, e, "reading the agents' queue");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* ---- reports (migration 0014) ---- */

/*
 * The refresh, statement by statement, each with ?1 = tenant, ?2 = the
 * date the figures are for, ?3 = now. Set-based: every figure is one
 * INSERT ... SELECT ... GROUP BY over the tenant's rows, through scratch
 * tables of the connection (temp.report_*) that the refresh drops again.
 *  report_paid: what each case recovered: the payments of its customer
 *    in its currency from the day it opened to the day it closed;
 *  report_last: the last contact decided for each case (latest due day,
 *    then decision time, then step and channel as tie-breaks);
 *  report_case: one row per case with both, its strategy and whether it
 *    was cured (resolved);
 *  report_segment: the customers' segment tags, one row each;
 *  report_inv, report_pay: invoices and payments with running totals per
 *    customer and currency, so that payments can be laid over invoices
 *    oldest due first (as pay_allocate settles them) for the cohorts.
 */
/* The refresh reads in a transaction of its own (no write lock on the
 * database: its scratch tables are the connection's TEMP tables), then
 * swaps the rows in a short write transaction (sq_report_swap_sql): a
 * tenant of a million cases takes seconds to read, and SQLite has one
 * writer at a time, which the portal, the API and payments need. */
static const char sq_report_refresh_sql[] =
	"DROP TABLE IF EXISTS temp.report_new;"
	"CREATE TEMP TABLE report_new (tenant_id INTEGER, report TEXT,"
	" key TEXT, currency TEXT, bucket INTEGER, cases INTEGER,"
	" cured INTEGER, amount_minor INTEGER);"
	"DROP TABLE IF EXISTS temp.report_paid;"
	"DROP TABLE IF EXISTS temp.report_last;"
	"DROP TABLE IF EXISTS temp.report_case;"
	"DROP TABLE IF EXISTS temp.report_combo;"
	"DROP TABLE IF EXISTS temp.report_segment;"
	"DROP TABLE IF EXISTS temp.report_inv;"
	"DROP TABLE IF EXISTS temp.report_pay;"
	"CREATE TEMP TABLE report_paid (case_id INTEGER PRIMARY KEY,"
	" amount INTEGER NOT NULL);"
	"INSERT INTO temp.report_paid SELECT k.id, SUM(p.amount_minor)"
	" FROM payments p JOIN cases k ON k.tenant_id = p.tenant_id"
	" AND k.customer_id = p.customer_id AND k.currency = p.currency"
	" AND p.paid_on >= k.opened_on"
	" AND (k.closed_on IS NULL OR p.paid_on <= k.closed_on)"
	" WHERE p.tenant_id = ?1 AND p.paid_on <= ?2 GROUP BY k.id;"
	"CREATE TEMP TABLE report_last (case_id INTEGER PRIMARY KEY,"
	" step TEXT, channel TEXT, tone TEXT);"
	/* One max() aggregate: SQLite takes the bare columns from its row.
	 * The fields are fixed-width or end in char(1), which sorts below
	 * any printable byte, so the text order is the tuple order. */
	"INSERT INTO temp.report_last SELECT case_id, step, channel, tone"
	" FROM (SELECT case_id, step, channel, tone, MAX(due_on || decided_at"
	" || step || char(1) || channel) FROM actions WHERE tenant_id = ?1"
	" AND kind = 'contact' GROUP BY case_id);"
	"CREATE TEMP TABLE report_case (id INTEGER PRIMARY KEY,"
	" customer_id INTEGER, currency TEXT, cured INTEGER, strategy TEXT,"
	" step TEXT, channel TEXT, tone TEXT, recovered INTEGER);"
	"INSERT INTO temp.report_case SELECT k.id, k.customer_id, k.currency,"
	" k.status = 'resolved', k.strategy, COALESCE(a.step, ''),"
	" COALESCE(a.channel, ''), COALESCE(a.tone, ''), COALESCE(pd.amount, 0)"
	" FROM cases k LEFT JOIN temp.report_last a ON a.case_id = k.id"
	" LEFT JOIN temp.report_paid pd ON pd.case_id = k.id"
	" WHERE k.tenant_id = ?1;"
	/* One sort of the cases into their few combinations, then each
	 * grouping from those. */
	"CREATE TEMP TABLE report_combo (step TEXT, channel TEXT, tone TEXT,"
	" strategy TEXT, currency TEXT, cases INTEGER, cured INTEGER,"
	" recovered INTEGER);"
	"INSERT INTO temp.report_combo SELECT step, channel, tone, strategy,"
	" currency, COUNT(*), SUM(cured), SUM(recovered) FROM temp.report_case"
	" GROUP BY step, channel, tone, strategy, currency;"
	"INSERT INTO temp.report_new SELECT ?1, 'step', step, currency, 0,"
	" SUM(cases), SUM(cured), SUM(recovered) FROM temp.report_combo"
	" GROUP BY step, currency;"
	"INSERT INTO temp.report_new SELECT ?1, 'channel', channel, currency, 0,"
	" SUM(cases), SUM(cured), SUM(recovered) FROM temp.report_combo"
	" GROUP BY channel, currency;"
	"INSERT INTO temp.report_new SELECT ?1, 'tone', tone, currency, 0,"
	" SUM(cases), SUM(cured), SUM(recovered) FROM temp.report_combo"
	" GROUP BY tone, currency;"
	"INSERT INTO temp.report_new SELECT ?1, 'strategy', strategy, currency, 0,"
	" SUM(cases), SUM(cured), SUM(recovered) FROM temp.report_combo"
	" GROUP BY strategy, currency;"
	"CREATE TEMP TABLE report_segment (customer_id INTEGER, tag TEXT,"
	" PRIMARY KEY (customer_id, tag)) WITHOUT ROWID;"
	"WITH RECURSIVE s(customer_id, tag, rest) AS ("
	" SELECT id, '', segments || ' ' FROM customers WHERE tenant_id = ?1"
	" AND segments <> ''"
	" UNION ALL SELECT customer_id, substr(rest, 1, instr(rest, ' ') - 1),"
	" substr(rest, instr(rest, ' ') + 1) FROM s WHERE rest <> '')"
	" INSERT OR IGNORE INTO temp.report_segment"
	" SELECT customer_id, tag FROM s WHERE tag <> '';"
	"INSERT INTO temp.report_new SELECT ?1, 'segment', COALESCE(g.tag, ''),"
	" k.currency, 0, COUNT(*), SUM(k.cured), SUM(k.recovered)"
	" FROM temp.report_case k LEFT JOIN temp.report_segment g"
	" ON g.customer_id = k.customer_id GROUP BY 3, 4;"
	/* The portal: cases with a visit, and what they did from the day of
	 * their first visit on: a payment (of the case's customer in its
	 * currency, while the case was open), a plan, a later date, a help
	 * request (case events). */
	"INSERT INTO temp.report_new SELECT ?1, 'portal', name, '', 0, n, 0, 0"
	" FROM (WITH v AS (SELECT case_id, MIN(day) AS first,"
	" COUNT(*) AS days FROM portal_visits WHERE tenant_id = ?1"
	" GROUP BY case_id),"
	" ev AS (SELECT v.case_id,"
	" MAX(e.kind = 'plan.created') AS plan,"
	" MAX(e.kind = 'promise.made') AS postponed,"
	" MAX(e.kind = 'help.requested') AS help"
	" FROM v LEFT JOIN case_events e ON e.tenant_id = ?1"
	" AND e.case_id = v.case_id AND e.at >= v.first"
	" AND e.kind IN ('plan.created', 'promise.made', 'help.requested')"
	" GROUP BY v.case_id),"
	" f AS (SELECT v.case_id, v.days, ev.plan, ev.postponed, ev.help,"
	" EXISTS (SELECT 1 FROM cases k JOIN payments p"
	" ON p.tenant_id = k.tenant_id AND p.customer_id = k.customer_id"
	" AND p.currency = k.currency AND p.paid_on >= v.first"
	" AND p.paid_on <= ?2"
	" AND (k.closed_on IS NULL OR p.paid_on <= k.closed_on)"
	" WHERE k.tenant_id = ?1 AND k.id = v.case_id) AS paid"
	" FROM v JOIN ev ON ev.case_id = v.case_id)"
	" SELECT 'visited' AS name, COUNT(*) AS n FROM f"
	" UNION ALL SELECT 'visit_days', COALESCE(SUM(days), 0) FROM f"
	" UNION ALL SELECT 'paid', COALESCE(SUM(paid), 0) FROM f"
	" UNION ALL SELECT 'plan', COALESCE(SUM(plan), 0) FROM f"
	" UNION ALL SELECT 'postponed', COALESCE(SUM(postponed), 0) FROM f"
	" UNION ALL SELECT 'help', COALESCE(SUM(help), 0) FROM f);"
	/* Days sales outstanding: open receivables, and what was invoiced in
	 * the 90 days up to the date; the open amounts by days past due. */
	"INSERT INTO temp.report_new SELECT ?1, 'dso', 'open', currency, 0,"
	" COUNT(*), 0, SUM(open_minor) FROM invoices WHERE tenant_id = ?1"
	" AND open_minor > 0 AND written_off = 0 GROUP BY currency;"
	"INSERT INTO temp.report_new SELECT ?1, 'dso', 'sales90', currency, 0,"
	" COUNT(*), 0, SUM(amount_minor) FROM invoices WHERE tenant_id = ?1"
	" AND issue_date > date(?2, '-90 days') AND issue_date <= ?2"
	" GROUP BY currency;"
	"INSERT INTO temp.report_new SELECT ?1, 'aging', '', currency, band,"
	" COUNT(*), 0, SUM(open_minor) FROM (SELECT currency, open_minor,"
	" CASE WHEN due_date >= ?2 THEN 0"
	" WHEN due_date >= date(?2, '-30 days') THEN 1"
	" WHEN due_date >= date(?2, '-60 days') THEN 2"
	" WHEN due_date >= date(?2, '-90 days') THEN 3 ELSE 4 END AS band"
	" FROM invoices WHERE tenant_id = ?1 AND open_minor > 0"
	" AND written_off = 0) GROUP BY currency, band;"
	/* Cohorts: invoices due in the twelve months up to the date, and the
	 * part of each payment that went to them, by days since due. */
	"CREATE TEMP TABLE report_pay (id INTEGER PRIMARY KEY,"
	" customer_id INTEGER, currency TEXT, paid_on TEXT, amount INTEGER,"
	" cum_end INTEGER);"
	"INSERT INTO temp.report_pay SELECT id, customer_id, currency, paid_on,"
	" amount_minor, SUM(amount_minor) OVER (PARTITION BY customer_id,"
	" currency ORDER BY paid_on, id) FROM payments WHERE tenant_id = ?1"
	" AND amount_minor > 0 AND paid_on <= ?2;"
	"CREATE INDEX temp.report_pay_customer ON report_pay"
	" (customer_id, currency, cum_end);"
	/* Only invoices of customers who paid something can have been paid:
	 * the running totals need no others. */
	"CREATE TEMP TABLE report_inv (id INTEGER PRIMARY KEY,"
	" customer_id INTEGER, currency TEXT, due_date TEXT, amount INTEGER,"
	" cum_end INTEGER);"
	"INSERT INTO temp.report_inv SELECT id, customer_id, currency,"
	" due_date, amount_minor, SUM(amount_minor) OVER (PARTITION BY"
	" customer_id, currency ORDER BY due_date, id) FROM invoices i"
	" WHERE tenant_id = ?1 AND EXISTS (SELECT 1 FROM temp.report_pay p"
	" WHERE p.customer_id = i.customer_id AND p.currency = i.currency);"
	"INSERT INTO temp.report_new SELECT ?1, 'cohort', substr(due_date, 1, 7),"
	" currency, -1, COUNT(*), 0, SUM(amount_minor) FROM invoices"
	" WHERE tenant_id = ?1"
	" AND due_date >= date(?2, 'start of month', '-11 months')"
	" AND due_date <= ?2 GROUP BY 3, 4;"
	"INSERT INTO temp.report_new SELECT ?1, 'cohort', month, currency,"
	" CASE WHEN d <= 0 THEN 0 WHEN d > 84 THEN 90"
	" ELSE (d + 6) / 7 * 7 END AS b, 0, 0, SUM(part)"
	" FROM (SELECT substr(i.due_date, 1, 7) AS month, i.currency,"
	" CAST(julianday(p.paid_on) - julianday(i.due_date) AS INTEGER) AS d,"
	" MIN(i.cum_end, p.cum_end) - MAX(i.cum_end - i.amount,"
	" p.cum_end - p.amount) AS part"
	" FROM temp.report_inv i JOIN temp.report_pay p"
	" ON p.customer_id = i.customer_id AND p.currency = i.currency"
	" AND p.cum_end > i.cum_end - i.amount"
	" AND p.cum_end - p.amount < i.cum_end"
	" WHERE i.due_date >= date(?2, 'start of month', '-11 months')"
	" AND i.due_date <= ?2) WHERE d <= 90 GROUP BY month, currency, b;"
	"DROP TABLE temp.report_paid;"
	"DROP TABLE temp.report_last;"
	"DROP TABLE temp.report_case;"
	"DROP TABLE temp.report_combo;"
	"DROP TABLE temp.report_segment;"
	"DROP TABLE temp.report_inv;"
	"DROP TABLE temp.report_pay;";

static const char sq_report_swap_sql[] =
	"DELETE FROM report_rows WHERE tenant_id = ?1;"
	"INSERT INTO report_rows SELECT * FROM temp.report_new;"
	"INSERT INTO report_refreshes (tenant_id, as_of, refreshed_at)"
	" VALUES (?1, ?2, ?3) ON CONFLICT (tenant_id) DO UPDATE"
	" SET as_of = excluded.as_of, refreshed_at = excluded.refreshed_at;"
	"DROP TABLE temp.report_new;";

/* Run the statements of `sql` one at a time, each with the parameters it
 * names (?1 tenant, ?2 date, ?3 instant). */
static int sq_report_run(struct sq *h, const char *sql, int64_t tenant_id,
			 const char *day, const char *at, struct err *e)
{
	int r = 0;
	while (r == 0 && *sql) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		int np;
		if (sqlite3_prepare_v2(h->db, sql, -1, &st, &tail) != SQLITE_OK)
			return sq_error(h, e, "refreshing the reports");
		sql = tail;
		if (!st)
			continue;
		np = sqlite3_bind_parameter_count(st);
		if (np >= 1)
			sqlite3_bind_int64(st, 1, tenant_id);
		if (np >= 2)
			sqlite3_bind_text(st, 2, day, -1, SQLITE_STATIC);
		if (np >= 3)
			sqlite3_bind_text(st, 3, at, -1, SQLITE_STATIC);
		r = sq_done(h, st, e, "refreshing the reports");
		sqlite3_finalize(st);
	}
	return r;
}

static int sq_report_refresh(void *hv, int64_t tenant_id, date_t as_of,
			     instant_t now, struct err *e)
{
	struct sq *h = hv;
	char day[DATE_FMT_MAX], at[INSTANT_FMT_MAX];
	int r;

	if (h->in_tx)
		return err_set(e, ERR_STORE, "refreshing the reports: it "
			       "takes its own transactions (called inside one)");
	date_format(as_of, day);
	instant_format(now, at);
	/* Read: a deferred transaction that only writes TEMP tables holds
	 * no lock that keeps writers out (WAL). */
	r = sq_exec(h, "BEGIN", e);
	if (r == 0)
		r = sq_report_run(h, sq_report_refresh_sql, tenant_id, day, at,
				  e);
	if (r == 0)
		r = sq_exec(h, "COMMIT", e);
	/* Write: the new rows in place of the old, briefly. */
	if (r == 0)
		r = sq_exec(h, "BEGIN IMMEDIATE", e);
	if (r == 0)
		r = sq_report_run(h, sq_report_swap_sql, tenant_id, day, at, e);
	if (r == 0)
		r = sq_exec(h, "COMMIT", e);
	if (r < 0)
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

static int sq_report_rows(void *hv, int64_t tenant_id,
			  struct report_info *ret_info,
			  struct report_row **ret, size_t *ret_n,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct report_row *list = NULL;
	struct report_info info = { DATE_NONE, 0 };
	size_t n = 0, cap = 0;
	int rc;

	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, SQ_REPORT_INFO, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info.as_of = col_date(st, 0);
		info.refreshed_at = col_instant_or_zero(st, 1);
	} else if (rc != SQLITE_DONE) {
		return sq_error(h, e, "reading the reports");
	}
	sqlite3_reset(st);
	st = sq_stmt(h, SQ_REPORT_ROWS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct report_row *w;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		w = &list[n++];
		memset(w, 0, sizeof(*w));
		copy_text(w->report, sizeof(w->report), col_text(st, 0));
		w->key = col_dup(st, 1);
		copy_text(w->currency, sizeof(w->currency), col_text(st, 2));
		w->bucket = sqlite3_column_int(st, 3);
		w->cases = sqlite3_column_int64(st, 4);
		w->cured = sqlite3_column_int64(st, 5);
		w->amount_minor = sqlite3_column_int64(st, 6);
	}
	if (rc != SQLITE_DONE) {
		report_row_list_free(list, n);
		return sq_error(h, e, "reading the reports");
	}
	sqlite3_reset(st);
	*ret_info = info;
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_portal_visit(void *hv, int64_t tenant_id, int64_t case_id,
			   date_t day, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_PORTAL_VISIT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	bind_date(h, st, 3, day);
	return sq_done(h, st, e, "recording a portal visit");
}

/* ---- automatic charges (migration 0013) ---- */

/* A charge from the columns of SQ_CHARGE_COLS. */
static void read_charge(sqlite3_stmt *st, struct charge_rec *c)
{
	memset(c, 0, sizeof(*c));
	c->id = sqlite3_column_int64(st, 0);
	c->tenant_id = sqlite3_column_int64(st, 1);
	c->customer_id = sqlite3_column_int64(st, 2);
	c->invoice_id = sqlite3_column_int64(st, 3);
	c->case_id = sqlite3_column_int64(st, 4); /* NULL reads 0 */
	copy_text(c->provider, sizeof(c->provider), col_text(st, 5));
	c->payment_id = col_dup(st, 6);
	c->customer_ref = col_dup(st, 7);
	c->mandate_ref = col_dup(st, 8);
	c->amount_minor = sqlite3_column_int64(st, 9);
	copy_text(c->currency, sizeof(c->currency), col_text(st, 10));
	copy_text(c->status, sizeof(c->status), col_text(st, 11));
	c->failure_code = col_dup(st, 12);
	copy_text(c->decline_class, sizeof(c->decline_class),
		  col_text(st, 13));
	c->attempts = sqlite3_column_int(st, 14);
	c->failed_on = col_date(st, 15);
	c->next_attempt_on = col_date(st, 16);
	c->attempt_id = col_dup(st, 17);
	c->attempt_refs = col_dup(st, 18);
	c->awaiting = sqlite3_column_int(st, 19) != 0;
	c->created_at = col_instant_or_zero(st, 20);
	c->updated_at = col_instant_or_zero(st, 21);
}

/* Step a statement that reads one charge; -ERR_NOTFOUND when none. */
static int one_charge(struct sq *h, sqlite3_stmt *st, struct charge_rec *ret,
		      struct err *e)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no such charge");
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a charge");
	read_charge(st, ret);
	sqlite3_reset(st);
	return 0;
}

static int sq_charge_insert(void *hv, const struct charge_rec *c,
			    int64_t *ret_id, int *ret_inserted, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct charge_rec old;
	int r;

	if (flush_all(h, e) < 0) /* the case may be waiting to be written */
		return -ERR_STORE;
	st = sq_stmt(h, SQ_CHARGE_INSERT, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_int64(st, 2, c->customer_id);
	sqlite3_bind_int64(st, 3, c->invoice_id);
	bind_id_or_null(st, 4, c->case_id);
	bind_text(st, 5, c->provider);
	bind_text(st, 6, c->payment_id);
	bind_text(st, 7, c->customer_ref ? c->customer_ref : "");
	bind_text(st, 8, c->mandate_ref ? c->mandate_ref : "");
	sqlite3_bind_int64(st, 9, c->amount_minor);
	bind_text(st, 10, c->currency);
	bind_text(st, 11, c->status);
	bind_text(st, 12, c->failure_code ? c->failure_code : "");
	bind_text(st, 13, c->decline_class);
	sqlite3_bind_int(st, 14, c->attempts);
	bind_date(h, st, 15, c->failed_on);
	bind_date(h, st, 16, c->next_attempt_on);
	bind_text(st, 17, c->attempt_id ? c->attempt_id : "");
	bind_text(st, 18, c->attempt_refs ? c->attempt_refs : "");
	sqlite3_bind_int(st, 19, c->awaiting ? 1 : 0);
	bind_instant_text(h, st, 20, c->created_at);
	r = sq_done(h, st, e, "recording a charge");
	if (r < 0)
		return r;
	if (sqlite3_changes(h->db) > 0) {
		*ret_id = sqlite3_last_insert_rowid(h->db);
		*ret_inserted = 1;
		return 0;
	}
	st = sq_stmt(h, SQ_CHARGE_FIND, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	bind_text(st, 2, c->provider);
	bind_text(st, 3, c->payment_id);
	r = one_charge(h, st, &old, e);
	if (r < 0)
		return r;
	*ret_id = old.id;
	*ret_inserted = 0;
	charge_rec_clear(&old);
	return 0;
}

static int sq_charge_get(void *hv, int64_t tenant_id, int64_t id,
			 struct charge_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHARGE_GET, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, id);
	return one_charge(h, st, ret, e);
}

static int sq_charge_find(void *hv, int64_t tenant_id, const char *provider,
			  const char *provider_id, struct charge_rec *ret,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHARGE_FIND, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, provider);
	bind_text(st, 3, provider_id);
	return one_charge(h, st, ret, e);
}

static int sq_charge_update(void *hv, const struct charge_rec *c,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;

	if (flush_all(h, e) < 0) /* the case may be waiting to be written */
		return -ERR_STORE;
	st = sq_stmt(h, SQ_CHARGE_UPDATE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, c->tenant_id);
	sqlite3_bind_int64(st, 2, c->id);
	bind_id_or_null(st, 3, c->case_id);
	bind_text(st, 4, c->mandate_ref ? c->mandate_ref : "");
	bind_text(st, 5, c->status);
	bind_text(st, 6, c->failure_code ? c->failure_code : "");
	bind_text(st, 7, c->decline_class);
	sqlite3_bind_int(st, 8, c->attempts);
	bind_date(h, st, 9, c->next_attempt_on);
	bind_text(st, 10, c->attempt_id ? c->attempt_id : "");
	bind_text(st, 11, c->attempt_refs ? c->attempt_refs : "");
	sqlite3_bind_int(st, 12, c->awaiting ? 1 : 0);
	bind_instant_text(h, st, 13, c->updated_at);
	bind_text(st, 14, c->customer_ref ? c->customer_ref : "");
	return sq_done(h, st, e, "updating a charge");
}

static int sq_charge_due(void *hv, int64_t tenant_id, date_t until,
			 int64_t **ret, size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHARGE_DUE, e);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_date(h, st, 2, until);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ids = xgrow(ids, &cap, n + 1, sizeof(*ids));
		ids[n++] = sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE) {
		free(ids);
		return sq_error(h, e, "listing charges due");
	}
	sqlite3_reset(st);
	*ret = ids;
	*ret_n = n;
	return 0;
}

static int sq_charge_list(void *hv, int64_t tenant_id, int64_t customer_id,
			  struct charge_rec **ret, size_t *ret_n,
			  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CHARGE_LIST, e);
	struct charge_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, customer_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_charge(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		charge_list_free(list, n);
		return sq_error(h, e, "listing charges");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* ---- experiments (migration 0015) ---- */

static int sq_case_experiment_add(void *hv, int64_t tenant_id,
				  int64_t case_id, const char *experiment_id,
				  int variant, const char *strategy,
				  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_CASE_EXPERIMENT_ADD, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	bind_text(st, 3, experiment_id);
	sqlite3_bind_int(st, 4, variant);
	bind_text(st, 5, strategy);
	return sq_done(h, st, e, "recording a case's experiment");
}

static int sq_experiment_stats(void *hv, int64_t tenant_id,
			       struct experiment_stat_rec **ret,
			       size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct experiment_stat_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, SQ_EXPERIMENT_STATS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct experiment_stat_rec *x;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		x = &list[n++];
		memset(x, 0, sizeof(*x));
		x->experiment_id = col_dup(st, 0);
		x->variant = sqlite3_column_int(st, 1);
		x->strategy = col_dup(st, 2);
		snprintf(x->currency, sizeof(x->currency), "%s",
			 col_text(st, 3));
		x->cases = sqlite3_column_int64(st, 4);
		x->resolved = sqlite3_column_int64(st, 5);
		x->amount_sum = sqlite3_column_int64(st, 6);
		x->amount_sumsq = sqlite3_column_double(st, 7);
		x->days_sum = sqlite3_column_double(st, 8);
		x->days_sumsq = sqlite3_column_double(st, 9);
		x->messages = sqlite3_column_int64(st, 10);
		x->opt_outs = sqlite3_column_int64(st, 11);
		x->help = sqlite3_column_int64(st, 12);
	}
	if (rc != SQLITE_DONE) {
		experiment_stat_list_free(list, n);
		return sq_error(h, e, "counting experiments");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_strategy_activate(void *hv, int64_t tenant_id, int version,
				int *ret_found, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_STRATEGY_SET_ACTIVE, e);
	int r;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int(st, 2, version);
	r = sq_done(h, st, e, "activating a strategy version");
	if (r == 0)
		*ret_found = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_strategy_change_add(void *hv, int64_t tenant_id, int version,
				  const char *action, int64_t operator_id,
				  instant_t at, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_STRATEGY_CHANGE_ADD, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int(st, 2, version);
	bind_text(st, 3, action);
	sqlite3_bind_int64(st, 4, operator_id);
	bind_instant_text(h, st, 5, at);
	return sq_done(h, st, e, "recording a strategy change");
}

static int sq_strategy_changes(void *hv, int64_t tenant_id, int limit,
			       struct strategy_change_rec **ret,
			       size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st = sq_stmt(h, SQ_STRATEGY_CHANGES, e);
	struct strategy_change_rec *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct strategy_change_rec *c;
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		c = &list[n++];
		memset(c, 0, sizeof(*c));
		c->version = sqlite3_column_int(st, 0);
		snprintf(c->action, sizeof(c->action), "%s", col_text(st, 1));
		c->operator_id = sqlite3_column_int64(st, 2);
		c->operator_name = col_dup(st, 3);
		c->at = col_instant_or_zero(st, 4);
	}
	if (rc != SQLITE_DONE) {
		strategy_change_list_free(list, n);
		return sq_error(h, e, "reading strategy changes");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

/* ---- payment review (console) ---- */

static int sq_review_get(void *hv, int64_t tenant_id, int64_t review_id,
			 struct review_rec *ret, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct review_rec r;
	int rc;
	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, SQ_REVIEW_GET, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, review_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no review item %lld",
			       (long long)review_id);
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a review item");
	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(st, 0);
	r.entry_id = sqlite3_column_int64(st, 1);
	r.reason = col_dup(st, 2);
	r.candidates = col_dup(st, 3);
	snprintf(r.status, sizeof(r.status), "%s", col_text(st, 4));
	r.created_at = col_instant_or_zero(st, 5);
	r.resolved_at = col_instant_or_zero(st, 6);
	r.bank_ref = col_dup(st, 7);
	r.statement_id = col_dup(st, 8);
	r.booked_on = col_date(st, 9);
	r.amount_minor = sqlite3_column_int64(st, 10);
	snprintf(r.currency, sizeof(r.currency), "%s", col_text(st, 11));
	r.credit = sqlite3_column_int(st, 12) != 0;
	r.undoes = sqlite3_column_int(st, 13) != 0;
	r.debtor_name = col_dup(st, 14);
	r.debtor_iban = col_dup(st, 15);
	r.reference = col_dup(st, 16);
	r.unstructured = col_dup(st, 17);
	r.outcome = col_dup(st, 18);
	r.customer_id = sqlite3_column_int64(st, 19);
	sqlite3_reset(st);
	*ret = r;
	return 0;
}

/* A review target from the columns of SQ_REVIEW_INVOICE and its kin. */
static void read_target(sqlite3_stmt *st, struct review_target *t)
{
	memset(t, 0, sizeof(*t));
	t->invoice_id = sqlite3_column_int64(st, 0);
	t->case_id = sqlite3_column_int64(st, 1);
	t->customer_id = sqlite3_column_int64(st, 2);
	t->customer = col_dup(st, 3);
	t->customer_name = col_dup(st, 4);
	t->number = col_dup(st, 5);
	t->open_minor = sqlite3_column_int64(st, 6);
	snprintf(t->currency, sizeof(t->currency), "%s", col_text(st, 7));
	t->due_date = col_date(st, 8);
	t->open = sqlite3_column_int(st, 9) != 0;
}

static int sq_review_target(void *hv, int64_t tenant_id, int is_case,
			    int64_t id, struct review_target *ret,
			    struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int rc;
	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, is_case ? SQ_REVIEW_CASE : SQ_REVIEW_INVOICE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_reset(st);
		return err_set(e, ERR_NOTFOUND, "no %s %lld",
			       is_case ? "case" : "invoice", (long long)id);
	}
	if (rc != SQLITE_ROW)
		return sq_error(h, e, "reading a review target");
	read_target(st, ret);
	sqlite3_reset(st);
	return 0;
}

static int sq_review_customers(void *hv, int64_t tenant_id, const char *query,
			       int limit, struct review_target **ret,
			       size_t *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	struct review_target *list = NULL;
	size_t n = 0, cap = 0;
	int rc;
	if (flush_all(h, e) < 0)
		return -ERR_STORE;
	st = sq_stmt(h, SQ_REVIEW_CUSTOMERS, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	bind_text(st, 2, query ? query : "");
	sqlite3_bind_int(st, 3, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		list = xgrow(list, &cap, n + 1, sizeof(*list));
		read_target(st, &list[n++]);
	}
	if (rc != SQLITE_DONE) {
		review_target_list_free(list, n);
		return sq_error(h, e, "searching customers");
	}
	sqlite3_reset(st);
	*ret = list;
	*ret_n = n;
	return 0;
}

static int sq_review_done(void *hv, int64_t tenant_id, int64_t review_id,
			  instant_t now, int *ret_found, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_REVIEW_DONE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, review_id);
	bind_instant_text(h, st, 3, now);
	r = sq_done(h, st, e, "closing a review item");
	if (r == 0)
		*ret_found = sqlite3_changes(h->db) > 0;
	return r;
}

static int sq_review_entry_decide(void *hv, int64_t tenant_id,
				  int64_t entry_id,
				  const struct statement_entry_rec *rec,
				  struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_REVIEW_ENTRY_DECIDE, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, entry_id);
	bind_text(st, 3, rec->outcome ? rec->outcome : "");
	bind_text(st, 4, rec->payment_external_id);
	bind_id_or_null(st, 5, rec->case_id);
	bind_id_or_null(st, 6, rec->invoice_id);
	bind_id_or_null(st, 7, rec->customer_id);
	sqlite3_bind_int64(st, 8, rec->credit_minor);
	bind_text(st, 9, rec->rule ? rec->rule : "");
	bind_text(st, 10, rec->reason ? rec->reason : "");
	return sq_done(h, st, e, "recording a statement entry's decision");
}

static int sq_case_messages_cancel(void *hv, int64_t tenant_id,
				   int64_t case_id, const char *reason,
				   instant_t now, long *ret_n, struct err *e)
{
	struct sq *h = hv;
	sqlite3_stmt *st;
	int r = flush_all(h, e);
	if (r < 0)
		return r;
	st = sq_stmt(h, SQ_CASE_MESSAGES_CANCEL, e);
	if (!st)
		return -ERR_STORE;
	sqlite3_bind_int64(st, 1, tenant_id);
	sqlite3_bind_int64(st, 2, case_id);
	bind_text(st, 3, reason ? reason : "");
	bind_instant_text(h, st, 4, now);
	r = sq_done(h, st, e, "cancelling a case's messages");
	if (r == 0)
		*ret_n = (long)sqlite3_changes(h->db);
	return r;
}

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.accepts = sq_accepts,
	.open = sq_open,
	.close = sq_close,
	.migrate = sq_migrate,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.tenant_ensure = sq_tenant_ensure,
	.tenant_get = sq_tenant_get,
	.tenant_list = sq_tenant_list,
	.customer_upsert = sq_customer_upsert,
	.customer_get = sq_customer_get,
	.customer_id = sq_customer_id,
	.invoice_upsert = sq_invoice_upsert,
	.invoice_get = sq_invoice_get,
	.invoice_find_ref = sq_invoice_find_ref,
	.invoices_open = sq_invoices_open,
	.invoice_set_open = sq_invoice_set_open,
	.invoice_write_off = sq_invoice_write_off,
	.payment_insert = sq_payment_insert,
	.strategy_add = sq_strategy_add,
	.strategy_get = sq_strategy_get,
	.work_load = sq_work_load,
	.customer_id_range = sq_customer_id_range,
	.case_insert = sq_case_insert,
	.case_update = sq_case_update,
	.case_list = sq_case_list,
	.action_insert = sq_action_insert,
	.event_append = sq_event_append,
	.case_history = sq_case_history,
	.stats = sq_stats,
	.data_version = sq_data_version,
	.ranges_ensure = sq_ranges_ensure,
	.range_claim = sq_range_claim,
	.range_peek = sq_range_peek,
	.range_done = sq_range_done,
	.rows_read = sq_rows_read,
	.rows_write = sq_rows_write,
	.rows_count = sq_rows_count,
	.settings_get = sq_settings_get,
	.setting_put = sq_setting_put,
	.template_get = sq_template_get,
	.template_put = sq_template_put,
	.outbox_fill = sq_outbox_fill,
	.outbox_claim = sq_outbox_claim,
	.outbox_update = sq_outbox_update,
	.outbox_insert = sq_outbox_insert,
	.outbox_sent_since = sq_outbox_sent_since,
	.customer_external_id = sq_customer_external_id,
	.link_insert = sq_link_insert,
	.outbox_find_provider = sq_outbox_find_provider,
	.outbox_set_status = sq_outbox_set_status,
	.apikey_insert = sq_apikey_insert,
	.apikey_find = sq_apikey_find,
	.apikey_list = sq_apikey_list,
	.apikey_revoke = sq_apikey_revoke,
	.customer_list = sq_customer_list,
	.invoice_list = sq_invoice_list,
	.idem_claim = sq_idem_claim,
	.idem_get = sq_idem_get,
	.idem_finish = sq_idem_finish,
	.idem_delete = sq_idem_delete,
	.webhook_endpoint_add = sq_webhook_endpoint_add,
	.webhook_endpoint_list = sq_webhook_endpoint_list,
	.webhook_events = sq_webhook_events,
	.webhook_delivery_add = sq_webhook_delivery_add,
	.webhook_cursor_set = sq_webhook_cursor_set,
	.webhook_claim = sq_webhook_claim,
	.webhook_update = sq_webhook_update,
	.link_find = sq_link_find,
	.link_set_csrf = sq_link_set_csrf,
	.link_revoke_case = sq_link_revoke_case,
	.case_get = sq_case_get,
	.case_hold = sq_case_hold,
	.case_fees_paid = sq_case_fees_paid,
	.case_fees_pay = sq_case_fees_pay,
	.payment_set_credit = sq_payment_set_credit,
	.customer_credit = sq_customer_credit,
	.case_messages = sq_case_messages,
	.payment_list = sq_payment_list,
	.event_count = sq_event_count,
	.invoice_set_disputed = sq_invoice_set_disputed,
	.plan_insert = sq_plan_insert,
	.plan_active = sq_plan_active,
	.plan_update = sq_plan_update,
	.plan_cases = sq_plan_cases,
	.request_insert = sq_request_insert,
	.request_list = sq_request_list,
	.request_done = sq_request_done,
	.checkout_insert = sq_checkout_insert,
	.checkout_find = sq_checkout_find,
	.checkout_set_status = sq_checkout_set_status,
	.statement_index = sq_statement_index,
	.statement_entry_known = sq_statement_entry_known,
	.statement_entry_insert = sq_statement_entry_insert,
	.review_insert = sq_review_insert,
	.payer_upsert = sq_payer_upsert,
	.statement_paid_find = sq_statement_paid_find,
	.invoices_paid = sq_invoices_paid,
	.statement_rows_held = sq_statement_rows_held,
	.cases_with_event = sq_cases_with_event,
	.statement_entries_insert = sq_statement_entries_insert,
	.payment_insert_credit = sq_payment_insert_credit,
	.operator_insert = sq_operator_insert,
	.operator_find = sq_operator_find,
	.operator_list = sq_operator_list,
	.operator_set_disabled = sq_operator_set_disabled,
	.session_insert = sq_session_insert,
	.session_find = sq_session_find,
	.session_touch = sq_session_touch,
	.session_delete = sq_session_delete,
	.sessions_end = sq_sessions_end,
	.login_failure_add = sq_login_failure_add,
	.login_failures_count = sq_login_failures_count,
	.login_failures_prune = sq_login_failures_prune,
	.case_notes = sq_case_notes,
	.case_note_add = sq_case_note_add,
	.queue = sq_queue,
	.charge_insert = sq_charge_insert,
	.charge_get = sq_charge_get,
	.charge_find = sq_charge_find,
	.charge_update = sq_charge_update,
	.charge_due = sq_charge_due,
	.charge_list = sq_charge_list,
	.report_refresh = sq_report_refresh,
	.report_rows = sq_report_rows,
	.portal_visit = sq_portal_visit,
	.case_experiment_add = sq_case_experiment_add,
	.experiment_stats = sq_experiment_stats,
	.strategy_activate = sq_strategy_activate,
	.strategy_change_add = sq_strategy_change_add,
	.strategy_changes = sq_strategy_changes,
	.review_get = sq_review_get,
	.review_target = sq_review_target,
	.review_customers = sq_review_customers,
	.review_done = sq_review_done,
	.review_entry_decide = sq_review_entry_decide,
	.case_messages_cancel = sq_case_messages_cancel,
};
