/*
 * store: backend selection and the thin wrappers every caller goes through
 * (see store.h). The wrappers count calls and inject faults: with
 * DUNWELL_FAULT_STORE=N in the environment the Nth write operation fails,
 * which lets the tests prove that a failure at any point leaves the data
 * consistent. With DUNWELL_FAULT_DATA_VERSION set, store_data_version
 * reports a change on every call, as if another process committed all the
 * time, which drives the run down its reload path.
 */
#include "store.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

extern const struct store_backend store_pg_backend;
extern const struct store_backend store_sqlite_backend;

/* Backends in the order they are asked whether they accept a target; the
 * last one (SQLite, which takes any path) is the default. */
static const struct store_backend *const backends[] = {
	&store_pg_backend,
	&store_sqlite_backend,
};

struct store {
	const struct store_backend *be; /* the chosen backend */
	char *target;                   /* what it was opened with */
	void *h;                        /* its connection */
	long writes;                    /* write operations so far */
	long fault_at;                  /* fail this write (0 = never) */
	int fault_data_version;         /* pretend others commit constantly */
	int64_t fake_version;           /* the version reported then */
};

static int parse_fault(void)
{
	const char *v = getenv("DUNWELL_FAULT_STORE");
	long n = 0;
	if (!v)
		return 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || n > 100000000)
			return 0;
		n = n * 10 + (*p - '0');
	}
	return (int)n;
}

int store_open_raw(const char *target, struct store **ret, struct err *e)
{
	const struct store_backend *be = NULL;
	void *h = NULL;
	int r;

	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (backends[i]->accepts(target)) {
			be = backends[i];
			break;
		}
	}
	if (!be)
		return err_set(e, ERR_INVALID,
			       "no store backend accepts '%s'", target);
	r = be->open(target, &h, e);
	if (r < 0)
		return r;
	struct store *s = xcalloc(1, sizeof(*s));
	s->be = be;
	s->h = h;
	s->target = xstrdup(target);
	s->fault_at = parse_fault();
	s->fault_data_version = getenv("DUNWELL_FAULT_DATA_VERSION") != NULL;
	*ret = s;
	return 0;
}

int store_open(const char *target, struct store **ret, struct err *e)
{
	struct store *s;
	int applied, version;
	int r = store_open_raw(target, &s, e);
	if (r < 0)
		return r;
	r = store_migrate(s, &applied, &version, e);
	if (r < 0) {
		store_close(s);
		return r;
	}
	*ret = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	s->be->close(s->h);
	free(s->target);
	free(s);
}

const char *store_backend_name(const struct store *s)
{
	return s->be->name;
}

const char *store_target(const struct store *s)
{
	return s->target;
}

int store_data_version(struct store *s, int64_t *ret, struct err *e)
{
	if (!s->be->data_version)
		return err_set(e, ERR_NOTFOUND, "no data version in %s",
			       s->be->name);
	if (s->fault_data_version) {
		*ret = ++s->fake_version;
		return 0;
	}
	return s->be->data_version(s->h, ret, e);
}

/* Writes made through every connection of this process. */
static _Atomic long process_writes;

long store_write_count(const struct store *s)
{
	(void)s;
	return process_writes;
}

/* Count a write; fail it when it is the one the fault injection names. */
static int write_gate(struct store *s, struct err *e)
{
	s->writes++;
	process_writes++;
	if (s->fault_at && s->writes == s->fault_at)
		return err_set(e, ERR_STORE,
			       "injected store fault at write %ld", s->writes);
	return 0;
}

#define GATE()                                \
	do {                                  \
		int g_ = write_gate(s, e);    \
		if (g_ < 0)                   \
			return g_;            \
	} while (0)

int store_migrate(struct store *s, int *ret_applied, int *ret_version,
		  struct err *e)
{
	return s->be->migrate(s->h, ret_applied, ret_version, e);
}

int store_begin(struct store *s, struct err *e)
{
	return s->be->begin(s->h, e);
}

int store_commit(struct store *s, struct err *e)
{
	int r;
	GATE();
	r = s->be->commit(s->h, e);
	/* Counted again once committed: a thread that read the count while
	 * this commit was under way (the gate counts before a write) and
	 * read the data before it landed sees the count move and reads
	 * again (the portal's page cache). */
	if (r == 0)
		process_writes++;
	return r;
}

int store_rollback(struct store *s)
{
	return s->be->rollback(s->h);
}

int store_tenant_ensure(struct store *s, const char *slug, const char *name,
			const char *timezone, const char *locale,
			int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->tenant_ensure(s->h, slug, name, timezone, locale, ret_id,
				    e);
}

int store_tenant_get(struct store *s, const char *slug, struct tenant_rec *ret,
		     struct err *e)
{
	return s->be->tenant_get(s->h, slug, ret, e);
}

int store_tenant_list(struct store *s, struct tenant_rec **ret, size_t *ret_n,
		      struct err *e)
{
	return s->be->tenant_list(s->h, ret, ret_n, e);
}

int store_settings_get(struct store *s, int64_t tenant_id,
		       struct setting_rec **ret, size_t *ret_n, struct err *e)
{
	return s->be->settings_get(s->h, tenant_id, ret, ret_n, e);
}

int store_setting_put(struct store *s, int64_t tenant_id, const char *key,
		      const char *value, struct err *e)
{
	GATE();
	return s->be->setting_put(s->h, tenant_id, key, value, e);
}

void setting_list_free(struct setting_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++) {
		free(list[i].key);
		free(list[i].value);
	}
	free(list);
}

int store_template_get(struct store *s, int64_t tenant_id, const char *locale,
		       const char *template_id, const char *variant,
		       char **ret_source, struct err *e)
{
	return s->be->template_get(s->h, tenant_id, locale, template_id,
				   variant, ret_source, e);
}

int store_template_put(struct store *s, int64_t tenant_id, const char *locale,
		       const char *template_id, const char *variant,
		       const char *source, struct err *e)
{
	GATE();
	return s->be->template_put(s->h, tenant_id, locale, template_id,
				   variant, source, e);
}

int store_outbox_fill(struct store *s, int64_t tenant_id, instant_t now,
		      int limit, int *ret_n, struct err *e)
{
	GATE();
	return s->be->outbox_fill(s->h, tenant_id, now, limit, ret_n, e);
}

int store_outbox_claim(struct store *s, int64_t tenant_id, instant_t now,
		       instant_t lease_until, const char *owner, int limit,
		       struct message_rec **ret, size_t *ret_n, struct err *e)
{
	GATE();
	return s->be->outbox_claim(s->h, tenant_id, now, lease_until, owner,
				   limit, ret, ret_n, e);
}

int store_outbox_update(struct store *s, const struct message_rec *m,
			const char *owner, instant_t now, struct err *e)
{
	GATE();
	return s->be->outbox_update(s->h, m, owner, now, e);
}

int store_outbox_insert(struct store *s, const struct message_rec *m,
			instant_t now, struct err *e)
{
	GATE();
	return s->be->outbox_insert(s->h, m, now, e);
}

int store_outbox_sent_since(struct store *s, int64_t tenant_id,
			    int64_t customer_id, instant_t since,
			    struct sent_rec **ret, size_t *ret_n,
			    struct err *e)
{
	return s->be->outbox_sent_since(s->h, tenant_id, customer_id, since,
					ret, ret_n, e);
}

int store_customer_external_id(struct store *s, int64_t tenant_id, int64_t id,
			       char **ret, struct err *e)
{
	return s->be->customer_external_id(s->h, tenant_id, id, ret, e);
}

int store_outbox_find_provider(struct store *s, int64_t tenant_id,
			       const char *provider, const char *provider_id,
			       struct message_rec *ret, struct err *e)
{
	return s->be->outbox_find_provider(s->h, tenant_id, provider,
					   provider_id, ret, e);
}

int store_outbox_set_status(struct store *s, int64_t tenant_id, int64_t id,
			    const char *status, const char *error,
			    instant_t now, struct err *e)
{
	GATE();
	return s->be->outbox_set_status(s->h, tenant_id, id, status, error,
					now, e);
}

int store_link_insert(struct store *s, int64_t tenant_id,
		      const char *token_hash, int64_t case_id,
		      int64_t customer_id, instant_t created,
		      instant_t expires, struct err *e)
{
	GATE();
	return s->be->link_insert(s->h, tenant_id, token_hash, case_id,
				  customer_id, created, expires, e);
}

void message_rec_clear(struct message_rec *m)
{
	if (!m)
		return;
	free(m->step);
	free(m->channel);
	free(m->fallbacks);
	free(m->template_id);
	free(m->tone);
	free(m->status);
	free(m->lease_owner);
	free(m->idempotency_key);
	free(m->provider);
	free(m->provider_id);
	free(m->last_error);
	free(m->link_hash);
	memset(m, 0, sizeof(*m));
}

void message_list_free(struct message_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		message_rec_clear(&list[i]);
	free(list);
}

void sent_list_free(struct sent_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i].step);
	free(list);
}

void tenant_rec_clear(struct tenant_rec *t)
{
	if (!t)
		return;
	free(t->slug);
	free(t->name);
	free(t->timezone);
	free(t->locale);
	memset(t, 0, sizeof(*t));
}

void tenant_list_free(struct tenant_rec *t, size_t n)
{
	for (size_t i = 0; t && i < n; i++)
		tenant_rec_clear(&t[i]);
	free(t);
}

int store_customer_upsert(struct store *s, const struct customer_rec *c,
			  int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->customer_upsert(s->h, c, ret_id, e);
}

int store_customer_get(struct store *s, int64_t tenant_id,
		       const char *external_id, struct customer_rec *ret,
		       struct err *e)
{
	return s->be->customer_get(s->h, tenant_id, external_id, ret, e);
}

int store_customer_id(struct store *s, int64_t tenant_id,
		      const char *external_id, int64_t *ret_id, struct err *e)
{
	return s->be->customer_id(s->h, tenant_id, external_id, ret_id, e);
}

void customer_rec_clear(struct customer_rec *c)
{
	if (!c)
		return;
	free(c->external_id);
	free(c->name);
	free(c->locale);
	free(c->timezone);
	free(c->country);
	free(c->segments);
	for (size_t i = 0; i < c->n_contacts; i++)
		free(c->contacts[i].address);
	free(c->contacts);
	memset(c, 0, sizeof(*c));
}

int store_invoice_upsert(struct store *s, const struct invoice_rec *inv,
			 int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->invoice_upsert(s->h, inv, ret_id, e);
}

int store_invoice_get(struct store *s, int64_t tenant_id,
		      const char *external_id, struct invoice_rec *ret,
		      struct err *e)
{
	return s->be->invoice_get(s->h, tenant_id, external_id, ret, e);
}

int store_invoice_find_ref(struct store *s, int64_t tenant_id,
			   const char *ref, struct invoice_rec *ret,
			   struct err *e)
{
	return s->be->invoice_find_ref(s->h, tenant_id, ref, ret, e);
}

int store_invoices_open(struct store *s, int64_t tenant_id,
			int64_t customer_id, const char *currency,
			struct invoice_rec **ret, size_t *ret_n, struct err *e)
{
	return s->be->invoices_open(s->h, tenant_id, customer_id, currency, ret,
				    ret_n, e);
}

int store_invoice_set_open(struct store *s, int64_t tenant_id,
			   int64_t invoice_id, int64_t open_minor,
			   struct err *e)
{
	GATE();
	return s->be->invoice_set_open(s->h, tenant_id, invoice_id, open_minor,
				       e);
}

int store_invoice_write_off(struct store *s, int64_t tenant_id,
			    int64_t invoice_id, struct err *e)
{
	GATE();
	return s->be->invoice_write_off(s->h, tenant_id, invoice_id, e);
}

void invoice_rec_clear(struct invoice_rec *inv)
{
	if (!inv)
		return;
	free(inv->external_id);
	free(inv->number);
	free(inv->payment_reference);
	free(inv->document_url);
	memset(inv, 0, sizeof(*inv));
}

void invoice_list_free(struct invoice_rec *inv, size_t n)
{
	for (size_t i = 0; inv && i < n; i++)
		invoice_rec_clear(&inv[i]);
	free(inv);
}

int store_payment_insert(struct store *s, const struct payment_rec *p,
			 int *ret_inserted, struct err *e)
{
	GATE();
	return s->be->payment_insert(s->h, p, ret_inserted, e);
}

int store_strategy_add(struct store *s, int64_t tenant_id, const char *source,
		       const char *yaml, int activate, int *ret_version,
		       struct err *e)
{
	GATE();
	return s->be->strategy_add(s->h, tenant_id, source, yaml, activate,
				   ret_version, e);
}

int store_strategy_get(struct store *s, int64_t tenant_id, int version,
		       struct strategy_version_rec *ret, struct err *e)
{
	return s->be->strategy_get(s->h, tenant_id, version, ret, e);
}

void strategy_version_rec_clear(struct strategy_version_rec *r)
{
	if (!r)
		return;
	free(r->source);
	free(r->yaml);
	memset(r, 0, sizeof(*r));
}

int store_work_load(struct store *s, int64_t tenant_id, int64_t customer_from,
		    int64_t customer_to, date_t contacts_since,
		    struct work_set *ret, struct err *e)
{
	return s->be->work_load(s->h, tenant_id, customer_from, customer_to,
				contacts_since, ret, e);
}

void work_set_clear(struct work_set *w)
{
	if (!w)
		return;
	arena_free(w->arena);
	memset(w, 0, sizeof(*w));
}

int store_customer_id_range(struct store *s, int64_t tenant_id,
			    int64_t *ret_min, int64_t *ret_max, struct err *e)
{
	return s->be->customer_id_range(s->h, tenant_id, ret_min, ret_max, e);
}

int store_case_insert(struct store *s, const struct case_rec *c,
		      int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->case_insert(s->h, c, ret_id, e);
}

int store_case_update(struct store *s, const struct case_rec *c,
		      struct err *e)
{
	GATE();
	return s->be->case_update(s->h, c, e);
}

int store_case_list(struct store *s, int64_t tenant_id, int64_t customer_id,
		    struct case_rec **ret, size_t *ret_n, struct err *e)
{
	return s->be->case_list(s->h, tenant_id, customer_id, ret, ret_n, e);
}

void case_list_free(struct case_rec *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		free(c[i].strategy);
	free(c);
}

int store_action_insert(struct store *s, const struct action_rec *a,
			struct err *e)
{
	GATE();
	return s->be->action_insert(s->h, a, e);
}

int store_event_append(struct store *s, const struct event_rec *ev,
		       struct err *e)
{
	GATE();
	return s->be->event_append(s->h, ev, e);
}

int store_case_event(struct store *s, int64_t tenant_id, int64_t case_id,
		     instant_t at, const char *kind, const char *detail,
		     struct err *e)
{
	struct event_rec ev = {
		.tenant_id = tenant_id,
		.case_id = case_id,
		.at = at,
		.kind = kind,
		.detail = detail,
	};
	return store_event_append(s, &ev, e);
}

int store_case_history(struct store *s, int64_t tenant_id, int64_t case_id,
		       store_history_cb cb, void *ctx, struct err *e)
{
	return s->be->case_history(s->h, tenant_id, case_id, cb, ctx, e);
}

int store_stats(struct store *s, int64_t tenant_id, struct store_stats *ret,
		struct err *e)
{
	return s->be->stats(s->h, tenant_id, ret, e);
}

const char *const *store_tables(void)
{
	static const char *const tables[] = {
		"tenants", "customers", "contact_points", "invoices",
		"payments", "strategy_versions", "cases", "case_events",
		"actions", "run_ranges", "tenant_settings", "templates",
		"messages", "links", "api_keys", "idempotency_keys",
		"webhook_endpoints", "webhook_deliveries", "plans",
		"plan_instalments", "requests", "psp_checkouts",
		"statement_entries", "review_items", "payer_accounts",
		"operators", "operator_sessions", "login_failures",
		"case_notes", "portal_visits", "charges", "case_experiments",
		"strategy_changes", NULL,
	};
	return tables;
}

int store_table_check(const char *table, struct err *e)
{
	for (const char *const *t = store_tables(); *t; t++)
		if (strcmp(*t, table) == 0)
			return 0;
	return err_set(e, ERR_INVALID, "no table '%s' to copy", table);
}

int store_identifier_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	return n > 0 && n <= 63 &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz_") == n;
}

struct copy_ctx {
	struct store *dst;
	const char *table;
	long rows;
};

static int copy_row(void *vctx, int ncols, const char *const *names,
		    const char *const *values, struct err *e)
{
	struct copy_ctx *c = vctx;
	int r = c->dst->be->rows_write(c->dst->h, c->table, ncols, names,
				       values, e);
	if (r < 0)
		return r;
	c->rows++;
	return 0;
}

int store_copy_all(struct store *src, struct store *dst, FILE *progress,
		   struct err *e)
{
	const char *const *t;
	int r;

	if (!src->be->rows_read || !dst->be->rows_write ||
	    !dst->be->rows_count)
		return err_set(e, ERR_STORE, "copying from %s to %s is not"
			       " supported", src->be->name, dst->be->name);
	for (t = store_tables(); *t; t++) {
		int64_t n;
		r = dst->be->rows_count(dst->h, *t, &n, e);
		if (r < 0)
			return r;
		if (n)
			return err_set(e, ERR_CONFLICT, "the target already has"
				       " rows in %s; migrate into an empty"
				       " database", *t);
	}
	r = store_begin(dst, e);
	if (r < 0)
		return r;
	for (t = store_tables(); *t; t++) {
		struct copy_ctx c = { .dst = dst, .table = *t };
		r = src->be->rows_read(src->h, *t, copy_row, &c, e);
		if (r < 0) {
			err_prefix(e, "copying %s: ", *t);
			goto fail;
		}
		if (progress)
			fprintf(progress, "  %-18s %ld rows\n", *t, c.rows);
	}
	if (dst->be->copy_finish) {
		r = dst->be->copy_finish(dst->h, e);
		if (r < 0)
			goto fail;
	}
	return store_commit(dst, e);
fail:
	store_rollback(dst);
	return r;
}

static int unsupported(const struct store *s, const char *what,
		       struct err *e)
{
	return err_set(e, ERR_STORE, "the %s store cannot %s", s->be->name,
		       what);
}

int store_ranges_ensure(struct store *s, int64_t tenant_id, int64_t size,
			struct err *e)
{
	if (!s->be->ranges_ensure)
		return unsupported(s, "share a run", e);
	GATE();
	return s->be->ranges_ensure(s->h, tenant_id, size, e);
}

int store_range_claim(struct store *s, int64_t tenant_id, instant_t as_of,
		      int64_t *ret_from, int64_t *ret_to, int *ret_found,
		      struct err *e)
{
	if (!s->be->range_claim)
		return unsupported(s, "share a run", e);
	return s->be->range_claim(s->h, tenant_id, as_of, ret_from, ret_to,
				  ret_found, e);
}

int store_range_peek(struct store *s, int64_t tenant_id, int64_t after,
		     instant_t as_of, int64_t *ret_from, int64_t *ret_to,
		     int *ret_found, struct err *e)
{
	if (!s->be->range_peek)
		return unsupported(s, "share a run", e);
	return s->be->range_peek(s->h, tenant_id, after, as_of, ret_from,
				 ret_to, ret_found, e);
}

int store_range_done(struct store *s, int64_t tenant_id, int64_t from,
		     instant_t as_of, struct err *e)
{
	if (!s->be->range_done)
		return unsupported(s, "share a run", e);
	GATE();
	return s->be->range_done(s->h, tenant_id, from, as_of, e);
}

/* ---- the JSON API (migration 0006) ---- */

static int api_missing(const struct store *s, struct err *e)
{
	return unsupported(s, "serve the JSON API", e);
}

int store_apikey_insert(struct store *s, int64_t tenant_id,
			const char *prefix, const char *hash,
			const char *scopes, instant_t now, struct err *e)
{
	if (!s->be->apikey_insert)
		return api_missing(s, e);
	GATE();
	return s->be->apikey_insert(s->h, tenant_id, prefix, hash, scopes, now,
				    e);
}

int store_apikey_find(struct store *s, const char *hash,
		      struct apikey_rec *ret, struct err *e)
{
	if (!s->be->apikey_find)
		return api_missing(s, e);
	return s->be->apikey_find(s->h, hash, ret, e);
}

int store_apikey_list(struct store *s, int64_t tenant_id,
		      struct apikey_rec **ret, size_t *ret_n, struct err *e)
{
	if (!s->be->apikey_list)
		return api_missing(s, e);
	return s->be->apikey_list(s->h, tenant_id, ret, ret_n, e);
}

int store_apikey_revoke(struct store *s, int64_t tenant_id,
			const char *prefix, instant_t now, int *ret_found,
			struct err *e)
{
	if (!s->be->apikey_revoke)
		return api_missing(s, e);
	GATE();
	return s->be->apikey_revoke(s->h, tenant_id, prefix, now, ret_found,
				    e);
}

void apikey_rec_clear(struct apikey_rec *k)
{
	if (!k)
		return;
	free(k->prefix);
	free(k->scopes);
	k->prefix = k->scopes = NULL;
}

void apikey_list_free(struct apikey_rec *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		apikey_rec_clear(&list[i]);
	free(list);
}

int store_customer_list(struct store *s, int64_t tenant_id,
			const char *after, int limit, char ***ret,
			size_t *ret_n, struct err *e)
{
	if (!s->be->customer_list)
		return api_missing(s, e);
	return s->be->customer_list(s->h, tenant_id, after ? after : "", limit,
				    ret, ret_n, e);
}

void store_strings_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

int store_invoice_list(struct store *s, int64_t tenant_id,
		       int64_t customer_id, const char *after, int limit,
		       struct invoice_rec **ret, size_t *ret_n,
		       struct err *e)
{
	if (!s->be->invoice_list)
		return api_missing(s, e);
	return s->be->invoice_list(s->h, tenant_id, customer_id,
				   after ? after : "", limit, ret, ret_n, e);
}

int store_idem_claim(struct store *s, int64_t tenant_id, const char *key,
		     const char *request_hash, instant_t now,
		     int *ret_claimed, struct err *e)
{
	if (!s->be->idem_claim)
		return api_missing(s, e);
	GATE();
	return s->be->idem_claim(s->h, tenant_id, key, request_hash, now,
				 ret_claimed, e);
}

int store_idem_get(struct store *s, int64_t tenant_id, const char *key,
		   struct idem_rec *ret, struct err *e)
{
	if (!s->be->idem_get)
		return api_missing(s, e);
	return s->be->idem_get(s->h, tenant_id, key, ret, e);
}

int store_idem_finish(struct store *s, int64_t tenant_id, const char *key,
		      int status, const char *body, struct err *e)
{
	if (!s->be->idem_finish)
		return api_missing(s, e);
	GATE();
	return s->be->idem_finish(s->h, tenant_id, key, status, body, e);
}

int store_idem_delete(struct store *s, int64_t tenant_id, const char *key,
		      struct err *e)
{
	if (!s->be->idem_delete)
		return api_missing(s, e);
	GATE();
	return s->be->idem_delete(s->h, tenant_id, key, e);
}

void idem_rec_clear(struct idem_rec *r)
{
	if (!r)
		return;
	free(r->request_hash);
	free(r->response_body);
	r->request_hash = r->response_body = NULL;
}

/* ---- webhooks to the tenant (migration 0007) ---- */

static int webhook_missing(const struct store *s, struct err *e)
{
	return unsupported(s, "send webhooks", e);
}

int store_webhook_endpoint_add(struct store *s, int64_t tenant_id,
			       const char *url, const char *secret,
			       const char *events, instant_t now,
			       int64_t *ret_id, struct err *e)
{
	if (!s->be->webhook_endpoint_add)
		return webhook_missing(s, e);
	GATE();
	return s->be->webhook_endpoint_add(s->h, tenant_id, url, secret,
					   events, now, ret_id, e);
}

int store_webhook_endpoint_list(struct store *s, int64_t tenant_id,
				struct webhook_endpoint_rec **ret,
				size_t *ret_n, struct err *e)
{
	if (!s->be->webhook_endpoint_list)
		return webhook_missing(s, e);
	return s->be->webhook_endpoint_list(s->h, tenant_id, ret, ret_n, e);
}

int store_webhook_events(struct store *s, int64_t tenant_id,
			 int64_t after_order, int64_t after, int limit,
			 struct webhook_event_rec **ret, size_t *ret_n,
			 struct err *e)
{
	if (!s->be->webhook_events)
		return webhook_missing(s, e);
	return s->be->webhook_events(s->h, tenant_id, after_order, after, limit,
				     ret, ret_n, e);
}

int store_webhook_delivery_add(struct store *s,
			       const struct webhook_delivery_rec *d,
			       instant_t now, struct err *e)
{
	if (!s->be->webhook_delivery_add)
		return webhook_missing(s, e);
	GATE();
	return s->be->webhook_delivery_add(s->h, d, now, e);
}

int store_webhook_cursor_set(struct store *s, int64_t tenant_id,
			     int64_t endpoint_id, int64_t order, int64_t cursor,
			     struct err *e)
{
	if (!s->be->webhook_cursor_set)
		return webhook_missing(s, e);
	GATE();
	return s->be->webhook_cursor_set(s->h, tenant_id, endpoint_id, order,
					 cursor, e);
}

int store_webhook_claim(struct store *s, int64_t tenant_id, instant_t now,
			instant_t lease_until, const char *owner, int limit,
			struct webhook_delivery_rec **ret, size_t *ret_n,
			struct err *e)
{
	if (!s->be->webhook_claim)
		return webhook_missing(s, e);
	GATE();
	return s->be->webhook_claim(s->h, tenant_id, now, lease_until, owner,
				    limit, ret, ret_n, e);
}

int store_webhook_update(struct store *s,
			 const struct webhook_delivery_rec *d,
			 const char *owner, struct err *e)
{
	if (!s->be->webhook_update)
		return webhook_missing(s, e);
	GATE();
	return s->be->webhook_update(s->h, d, owner, e);
}

void webhook_endpoint_list_free(struct webhook_endpoint_rec *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].url);
		if (list[i].secret)
			explicit_bzero(list[i].secret, strlen(list[i].secret));
		free(list[i].secret);
		free(list[i].events);
	}
	free(list);
}

void webhook_event_list_free(struct webhook_event_rec *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].kind);
		free(list[i].detail);
		free(list[i].customer);
	}
	free(list);
}

void webhook_delivery_list_free(struct webhook_delivery_rec *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].kind);
		free(list[i].payload);
		free(list[i].status);
		free(list[i].last_error);
		free(list[i].url);
		if (list[i].secret)
			explicit_bzero(list[i].secret, strlen(list[i].secret));
		free(list[i].secret);
	}
	free(list);
}

/* ---- the customer's page (migration 0009) ---- */

int store_link_find(struct store *s, const char *token_hash,
		    struct link_rec *ret, struct err *e)
{
	return s->be->link_find(s->h, token_hash, ret, e);
}

int store_link_set_csrf(struct store *s, const char *token_hash,
			const char *key, int *ret_set, struct err *e)
{
	GATE();
	return s->be->link_set_csrf(s->h, token_hash, key, ret_set, e);
}

int store_link_revoke_case(struct store *s, int64_t tenant_id, int64_t case_id,
			   instant_t now, struct err *e)
{
	GATE();
	return s->be->link_revoke_case(s->h, tenant_id, case_id, now, e);
}

int store_case_get(struct store *s, int64_t tenant_id, int64_t case_id,
		   struct case_rec *ret, struct err *e)
{
	return s->be->case_get(s->h, tenant_id, case_id, ret, e);
}

int store_case_hold(struct store *s, int64_t tenant_id, int64_t case_id,
		    enum hold_reason reason, date_t until, int *ret_found,
		    struct err *e)
{
	GATE();
	return s->be->case_hold(s->h, tenant_id, case_id, reason, until,
				ret_found, e);
}

int store_case_fees_paid(struct store *s, int64_t tenant_id, int64_t case_id,
			 int64_t *ret, struct err *e)
{
	return s->be->case_fees_paid(s->h, tenant_id, case_id, ret, e);
}

int store_case_fees_pay(struct store *s, int64_t tenant_id, int64_t case_id,
			int64_t amount, struct err *e)
{
	GATE();
	return s->be->case_fees_pay(s->h, tenant_id, case_id, amount, e);
}

int store_payment_set_credit(struct store *s, int64_t tenant_id,
			     const char *external_id, int64_t credit,
			     struct err *e)
{
	GATE();
	return s->be->payment_set_credit(s->h, tenant_id, external_id, credit,
					 e);
}

int store_customer_credit(struct store *s, int64_t tenant_id,
			  int64_t customer_id, const char *currency,
			  int64_t *ret, struct err *e)
{
	return s->be->customer_credit(s->h, tenant_id, customer_id, currency,
				      ret, e);
}

int store_case_messages(struct store *s, int64_t tenant_id, int64_t case_id,
			struct message_rec **ret, size_t *ret_n, struct err *e)
{
	return s->be->case_messages(s->h, tenant_id, case_id, ret, ret_n, e);
}

int store_payment_list(struct store *s, int64_t tenant_id, int64_t customer_id,
		       const char *currency, date_t since,
		       struct payment_rec **ret, size_t *ret_n, struct err *e)
{
	return s->be->payment_list(s->h, tenant_id, customer_id, currency,
				   since, ret, ret_n, e);
}

int store_event_count(struct store *s, int64_t tenant_id, int64_t case_id,
		      const char *kind, int64_t *ret, struct err *e)
{
	return s->be->event_count(s->h, tenant_id, case_id, kind, ret, e);
}

int store_invoice_set_disputed(struct store *s, int64_t tenant_id,
			       int64_t invoice_id, int disputed, struct err *e)
{
	GATE();
	return s->be->invoice_set_disputed(s->h, tenant_id, invoice_id,
					   disputed, e);
}

int store_plan_insert(struct store *s, const struct plan_rec *p,
		      int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->plan_insert(s->h, p, ret_id, e);
}

int store_plan_active(struct store *s, int64_t tenant_id, int64_t case_id,
		      struct plan_rec *ret, struct err *e)
{
	return s->be->plan_active(s->h, tenant_id, case_id, ret, e);
}

int store_plan_update(struct store *s, const struct plan_rec *p,
		      struct err *e)
{
	GATE();
	return s->be->plan_update(s->h, p, e);
}

int store_plan_cases(struct store *s, int64_t tenant_id, int64_t **ret,
		     size_t *ret_n, struct err *e)
{
	return s->be->plan_cases(s->h, tenant_id, ret, ret_n, e);
}

int store_request_insert(struct store *s, const struct request_rec *r,
			 int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->request_insert(s->h, r, ret_id, e);
}

int store_request_done(struct store *s, int64_t tenant_id, int64_t case_id,
		       int64_t id, instant_t now, int *ret_found,
		       struct err *e)
{
	GATE();
	return s->be->request_done(s->h, tenant_id, case_id, id, now,
				   ret_found, e);
}

int store_tenant_by_id(struct store *s, int64_t id, struct tenant_rec *ret,
		       struct err *e)
{
	struct tenant_rec *list = NULL;
	size_t n = 0;
	int r = store_tenant_list(s, &list, &n, e);
	if (r < 0)
		return r;
	r = err_set(e, ERR_NOTFOUND, "no tenant %lld", (long long)id);
	for (size_t i = 0; i < n; i++)
		if (list[i].id == id) {
			*ret = list[i];
			memset(&list[i], 0, sizeof(list[i]));
			r = 0;
		}
	tenant_list_free(list, n);
	return r;
}

int store_request_list(struct store *s, int64_t tenant_id, int64_t case_id,
		       struct request_rec **ret, size_t *ret_n, struct err *e)
{
	return s->be->request_list(s->h, tenant_id, case_id, ret, ret_n, e);
}

int store_checkout_insert(struct store *s, const struct checkout_rec *c,
			  int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->checkout_insert(s->h, c, ret_id, e);
}

int store_checkout_find(struct store *s, int64_t tenant_id,
			const char *provider, const char *provider_id,
			struct checkout_rec *ret, struct err *e)
{
	return s->be->checkout_find(s->h, tenant_id, provider, provider_id,
				    ret, e);
}

int store_checkout_set_status(struct store *s, int64_t tenant_id, int64_t id,
			      const char *status, instant_t now, struct err *e)
{
	GATE();
	return s->be->checkout_set_status(s->h, tenant_id, id, status, now, e);
}

void payment_list_free(struct payment_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++) {
		free(list[i].external_id);
		free(list[i].method);
	}
	free(list);
}

void plan_rec_clear(struct plan_rec *p)
{
	free(p->instalments);
	p->instalments = NULL;
	p->n_instalments = 0;
}

void request_rec_clear(struct request_rec *r)
{
	free(r->reason);
	free(r->message);
	free(r->contact_via);
	r->reason = r->message = r->contact_via = NULL;
}

void request_list_free(struct request_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		request_rec_clear(&list[i]);
	free(list);
}

void checkout_rec_clear(struct checkout_rec *c)
{
	free(c->provider_id);
	c->provider_id = NULL;
}

/* ---- bank statements (migration 0010) ---- */

int store_statement_index(struct store *s, int64_t tenant_id,
			  const struct stmt_index_cb *cb, struct err *e)
{
	return s->be->statement_index(s->h, tenant_id, cb, e);
}

int store_statement_entry_known(struct store *s, int64_t tenant_id,
				const char *bank_ref, const char *status,
				int *ret_known, struct err *e)
{
	return s->be->statement_entry_known(s->h, tenant_id, bank_ref, status,
					    ret_known, e);
}

int store_statement_entry_insert(struct store *s,
				 const struct statement_entry_rec *en,
				 int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->statement_entry_insert(s->h, en, ret_id, e);
}

int store_review_insert(struct store *s, int64_t tenant_id, int64_t entry_id,
			const char *reason, const char *candidates,
			instant_t now, int64_t *ret_id, struct err *e)
{
	GATE();
	return s->be->review_insert(s->h, tenant_id, entry_id, reason,
				    candidates, now, ret_id, e);
}

int store_payer_upsert(struct store *s, int64_t tenant_id, int64_t customer_id,
		       const char *iban, const char *name, date_t seen,
		       struct err *e)
{
	GATE();
	return s->be->payer_upsert(s->h, tenant_id, customer_id, iban, name,
				   seen, e);
}

int store_statement_paid_find(struct store *s, int64_t tenant_id,
			      const char *e2e, const char *statement_id,
			      int64_t amount, const char *currency, int limit,
			      struct stmt_paid_rec **ret, size_t *ret_n,
			      struct err *e)
{
	return s->be->statement_paid_find(s->h, tenant_id, e2e, statement_id,
					  amount, currency, limit, ret, ret_n,
					  e);
}

int store_invoices_paid(struct store *s, int64_t tenant_id,
			int64_t customer_id, const char *currency,
			struct invoice_rec **ret, size_t *ret_n,
			struct err *e)
{
	return s->be->invoices_paid(s->h, tenant_id, customer_id, currency,
				    ret, ret_n, e);
}

/* ---- statement batch ---- */

int store_statement_rows_held(struct store *s)
{
	return s->be->statement_rows_held(s->h);
}

int store_cases_with_event(struct store *s, int64_t tenant_id,
			   const int64_t *ids, size_t n, const char *kind,
			   int64_t **ret, size_t *ret_n, struct err *e)
{
	if (n == 0) {
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	return s->be->cases_with_event(s->h, tenant_id, ids, n, kind, ret,
				       ret_n, e);
}

int store_statement_entries_insert(struct store *s,
				   const struct statement_entry_rec *en,
				   size_t n, int64_t *ret_ids, struct err *e)
{
	if (n == 0)
		return 0;
	return s->be->statement_entries_insert(s->h, en, n, ret_ids, e);
}

int store_payment_insert_credit(struct store *s, const struct payment_rec *p,
				int64_t credit_minor, int *ret_inserted,
				struct err *e)
{
	return s->be->payment_insert_credit(s->h, p, credit_minor,
					    ret_inserted, e);
}

/* ---- the team's console (migration 0011) ---- */

static int console_missing(const struct store *s, struct err *e)
{
	return unsupported(s, "serve the console", e);
}

int store_operator_insert(struct store *s, const struct operator_rec *o,
			  const char *password_hash, int64_t *ret_id,
			  struct err *e)
{
	if (!s->be->operator_insert)
		return console_missing(s, e);
	GATE();
	return s->be->operator_insert(s->h, o, password_hash, ret_id, e);
}

int store_operator_find(struct store *s, int64_t tenant_id, const char *email,
			struct operator_rec *ret, char **ret_hash,
			struct err *e)
{
	if (!s->be->operator_find)
		return console_missing(s, e);
	return s->be->operator_find(s->h, tenant_id, email, ret, ret_hash, e);
}

int store_operator_list(struct store *s, int64_t tenant_id,
			struct operator_rec **ret, size_t *ret_n,
			struct err *e)
{
	if (!s->be->operator_list)
		return console_missing(s, e);
	return s->be->operator_list(s->h, tenant_id, ret, ret_n, e);
}

int store_operator_set_disabled(struct store *s, int64_t tenant_id,
				const char *email, int disabled,
				int *ret_found, struct err *e)
{
	if (!s->be->operator_set_disabled)
		return console_missing(s, e);
	GATE();
	return s->be->operator_set_disabled(s->h, tenant_id, email, disabled,
					    ret_found, e);
}

int store_session_insert(struct store *s,
			 const struct operator_session_rec *ses,
			 struct err *e)
{
	if (!s->be->session_insert)
		return console_missing(s, e);
	GATE();
	return s->be->session_insert(s->h, ses, e);
}

int store_session_find(struct store *s, const char *token_hash,
		       struct operator_session_rec *ret,
		       struct operator_rec *ret_operator, struct err *e)
{
	if (!s->be->session_find)
		return console_missing(s, e);
	return s->be->session_find(s->h, token_hash, ret, ret_operator, e);
}

int store_session_touch(struct store *s, const char *token_hash,
			instant_t last_seen, struct err *e)
{
	if (!s->be->session_touch)
		return console_missing(s, e);
	GATE();
	return s->be->session_touch(s->h, token_hash, last_seen, e);
}

int store_session_delete(struct store *s, const char *token_hash,
			 struct err *e)
{
	if (!s->be->session_delete)
		return console_missing(s, e);
	GATE();
	return s->be->session_delete(s->h, token_hash, e);
}

int store_sessions_end(struct store *s, int64_t tenant_id,
		       int64_t operator_id, instant_t before, int idle_seconds,
		       struct err *e)
{
	if (!s->be->sessions_end)
		return console_missing(s, e);
	GATE();
	return s->be->sessions_end(s->h, tenant_id, operator_id, before,
				   idle_seconds, e);
}

int store_login_failure_add(struct store *s, int64_t tenant_id,
			    const char *email, const char *remote,
			    instant_t at, struct err *e)
{
	if (!s->be->login_failure_add)
		return console_missing(s, e);
	GATE();
	return s->be->login_failure_add(s->h, tenant_id, email, remote, at, e);
}

int store_login_failures_count(struct store *s, int64_t tenant_id,
			       const char *email, const char *remote,
			       instant_t since, int64_t *ret_by_email,
			       instant_t *ret_oldest_email,
			       int64_t *ret_by_remote,
			       instant_t *ret_oldest_remote, struct err *e)
{
	if (!s->be->login_failures_count)
		return console_missing(s, e);
	return s->be->login_failures_count(s->h, tenant_id, email, remote,
					   since, ret_by_email,
					   ret_oldest_email, ret_by_remote,
					   ret_oldest_remote, e);
}

int store_login_failures_prune(struct store *s, int64_t tenant_id,
			       instant_t before, struct err *e)
{
	if (!s->be->login_failures_prune)
		return console_missing(s, e);
	GATE();
	return s->be->login_failures_prune(s->h, tenant_id, before, e);
}

int store_case_notes(struct store *s, int64_t tenant_id, int64_t case_id,
		     struct case_note_rec **ret, size_t *ret_n, struct err *e)
{
	if (!s->be->case_notes)
		return console_missing(s, e);
	return s->be->case_notes(s->h, tenant_id, case_id, ret, ret_n, e);
}

int store_case_note_add(struct store *s, const struct case_note_rec *n,
			int64_t *ret_id, struct err *e)
{
	size_t len = n->body ? strlen(n->body) : 0;
	if (!s->be->case_note_add)
		return console_missing(s, e);
	if (len == 0)
		return err_set(e, ERR_INVALID, "a note needs some text");
	if (len > STORE_NOTE_MAX)
		return err_set(e, ERR_TOOBIG, "a note holds at most %d bytes,"
			       " this one has %zu", STORE_NOTE_MAX, len);
	GATE();
	return s->be->case_note_add(s->h, n, ret_id, e);
}

int store_queue(struct store *s, int64_t tenant_id, int limit,
		struct queue_item **ret, size_t *ret_n, struct err *e)
{
	if (!s->be->queue)
		return console_missing(s, e);
	if (limit < 1 || limit > STORE_QUEUE_MAX)
		return err_set(e, ERR_RANGE, "queue limit %d: expected 1 to %d",
			       limit, STORE_QUEUE_MAX);
	return s->be->queue(s->h, tenant_id, limit, ret, ret_n, e);
}

void operator_rec_clear(struct operator_rec *o)
{
	if (!o)
		return;
	free(o->email);
	free(o->name);
	o->email = o->name = NULL;
}

void operator_list_free(struct operator_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		operator_rec_clear(&list[i]);
	free(list);
}

void case_note_list_free(struct case_note_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++) {
		free(list[i].body);
		free(list[i].author);
	}
	free(list);
}

void queue_list_free(struct queue_item *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++) {
		free(list[i].customer);
		free(list[i].customer_name);
	}
	free(list);
}

/* ---- reports (migration 0014) ---- */

static int reports_missing(const struct store *s, struct err *e)
{
	return unsupported(s, "keep reports", e);
}

int store_report_refresh(struct store *s, int64_t tenant_id, date_t as_of,
			 instant_t now, struct err *e)
{
	if (!s->be->report_refresh)
		return reports_missing(s, e);
	if (as_of == DATE_NONE)
		return err_set(e, ERR_INVALID, "a report refresh needs a date");
	GATE();
	return s->be->report_refresh(s->h, tenant_id, as_of, now, e);
}

int store_report_rows(struct store *s, int64_t tenant_id,
		      struct report_info *ret_info, struct report_row **ret,
		      size_t *ret_n, struct err *e)
{
	if (!s->be->report_rows)
		return reports_missing(s, e);
	return s->be->report_rows(s->h, tenant_id, ret_info, ret, ret_n, e);
}

int store_portal_visit(struct store *s, int64_t tenant_id, int64_t case_id,
		       date_t day, struct err *e)
{
	if (!s->be->portal_visit)
		return reports_missing(s, e);
	if (day == DATE_NONE)
		return err_set(e, ERR_INVALID, "a portal visit needs a date");
	GATE();
	return s->be->portal_visit(s->h, tenant_id, case_id, day, e);
}

void report_row_list_free(struct report_row *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i].key);
	free(list);
}

/* ---- automatic charges (migration 0013) ---- */

static int charges_missing(struct store *s, struct err *e)
{
	return err_set(e, ERR_NOTFOUND, "the %s store has no automatic "
		       "charges", s->be->name);
}

int store_charge_insert(struct store *s, const struct charge_rec *c,
			int64_t *ret_id, int *ret_inserted, struct err *e)
{
	if (!s->be->charge_insert)
		return charges_missing(s, e);
	GATE();
	return s->be->charge_insert(s->h, c, ret_id, ret_inserted, e);
}

int store_charge_get(struct store *s, int64_t tenant_id, int64_t id,
		     struct charge_rec *ret, struct err *e)
{
	if (!s->be->charge_get)
		return charges_missing(s, e);
	return s->be->charge_get(s->h, tenant_id, id, ret, e);
}

int store_charge_find(struct store *s, int64_t tenant_id,
		      const char *provider, const char *provider_id,
		      struct charge_rec *ret, struct err *e)
{
	if (!s->be->charge_find)
		return charges_missing(s, e);
	return s->be->charge_find(s->h, tenant_id, provider, provider_id, ret,
				  e);
}

int store_charge_update(struct store *s, const struct charge_rec *c,
			struct err *e)
{
	if (!s->be->charge_update)
		return charges_missing(s, e);
	GATE();
	return s->be->charge_update(s->h, c, e);
}

int store_charge_due(struct store *s, int64_t tenant_id, date_t until,
		     int64_t **ret, size_t *ret_n, struct err *e)
{
	if (!s->be->charge_due)
		return charges_missing(s, e);
	return s->be->charge_due(s->h, tenant_id, until, ret, ret_n, e);
}

int store_charge_list(struct store *s, int64_t tenant_id, int64_t customer_id,
		      struct charge_rec **ret, size_t *ret_n, struct err *e)
{
	if (!s->be->charge_list)
		return charges_missing(s, e);
	return s->be->charge_list(s->h, tenant_id, customer_id, ret, ret_n, e);
}

void charge_rec_clear(struct charge_rec *c)
{
	if (!c)
		return;
	free(c->payment_id);
	free(c->customer_ref);
	free(c->mandate_ref);
	free(c->failure_code);
	free(c->attempt_id);
	free(c->attempt_refs);
	c->payment_id = c->customer_ref = c->mandate_ref = NULL;
	c->failure_code = c->attempt_id = c->attempt_refs = NULL;
}

void charge_list_free(struct charge_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		charge_rec_clear(&list[i]);
	free(list);
}

/* ---- experiments (migration 0015) ---- */

static int experiments_missing(const struct store *s, struct err *e)
{
	return unsupported(s, "keep experiments", e);
}

int store_case_experiment_add(struct store *s, int64_t tenant_id,
			      int64_t case_id, const char *experiment_id,
			      int variant, const char *strategy,
			      struct err *e)
{
	if (!s->be->case_experiment_add)
		return experiments_missing(s, e);
	GATE();
	return s->be->case_experiment_add(s->h, tenant_id, case_id,
					  experiment_id, variant, strategy, e);
}

int store_experiment_stats(struct store *s, int64_t tenant_id,
			   struct experiment_stat_rec **ret, size_t *ret_n,
			   struct err *e)
{
	if (!s->be->experiment_stats)
		return experiments_missing(s, e);
	return s->be->experiment_stats(s->h, tenant_id, ret, ret_n, e);
}

int store_strategy_activate(struct store *s, int64_t tenant_id, int version,
			    int *ret_found, struct err *e)
{
	if (!s->be->strategy_activate)
		return experiments_missing(s, e);
	GATE();
	return s->be->strategy_activate(s->h, tenant_id, version, ret_found, e);
}

int store_strategy_change_add(struct store *s, int64_t tenant_id,
			      int version, const char *action,
			      int64_t operator_id, instant_t at,
			      struct err *e)
{
	if (!s->be->strategy_change_add)
		return experiments_missing(s, e);
	GATE();
	return s->be->strategy_change_add(s->h, tenant_id, version, action,
					  operator_id, at, e);
}

int store_strategy_changes(struct store *s, int64_t tenant_id, int limit,
			   struct strategy_change_rec **ret, size_t *ret_n,
			   struct err *e)
{
	if (!s->be->strategy_changes)
		return experiments_missing(s, e);
	return s->be->strategy_changes(s->h, tenant_id, limit, ret, ret_n, e);
}

void experiment_stat_list_free(struct experiment_stat_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++) {
		free(list[i].experiment_id);
		free(list[i].strategy);
	}
	free(list);
}

void strategy_change_list_free(struct strategy_change_rec *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		free(list[i].operator_name);
	free(list);
}

/* ---- payment review (console) ---- */

static int review_missing(const struct store *s, struct err *e)
{
	return unsupported(s, "review payments", e);
}

int store_review_get(struct store *s, int64_t tenant_id, int64_t review_id,
		     struct review_rec *ret, struct err *e)
{
	if (!s->be->review_get)
		return review_missing(s, e);
	return s->be->review_get(s->h, tenant_id, review_id, ret, e);
}

int store_review_target(struct store *s, int64_t tenant_id, int is_case,
			int64_t id, struct review_target *ret, struct err *e)
{
	if (!s->be->review_target)
		return review_missing(s, e);
	return s->be->review_target(s->h, tenant_id, is_case, id, ret, e);
}

int store_review_customers(struct store *s, int64_t tenant_id,
			   const char *query, int limit,
			   struct review_target **ret, size_t *ret_n,
			   struct err *e)
{
	if (!s->be->review_customers)
		return review_missing(s, e);
	return s->be->review_customers(s->h, tenant_id, query, limit, ret,
				       ret_n, e);
}

int store_review_done(struct store *s, int64_t tenant_id, int64_t review_id,
		      instant_t now, int *ret_found, struct err *e)
{
	if (!s->be->review_done)
		return review_missing(s, e);
	GATE();
	return s->be->review_done(s->h, tenant_id, review_id, now, ret_found,
				  e);
}

int store_review_entry_decide(struct store *s, int64_t tenant_id,
			      int64_t entry_id,
			      const struct statement_entry_rec *rec,
			      struct err *e)
{
	if (!s->be->review_entry_decide)
		return review_missing(s, e);
	GATE();
	return s->be->review_entry_decide(s->h, tenant_id, entry_id, rec, e);
}

int store_case_messages_cancel(struct store *s, int64_t tenant_id,
			       int64_t case_id, const char *reason,
			       instant_t now, long *ret_n, struct err *e)
{
	if (!s->be->case_messages_cancel)
		return review_missing(s, e);
	GATE();
	return s->be->case_messages_cancel(s->h, tenant_id, case_id, reason,
					   now, ret_n, e);
}

void review_rec_clear(struct review_rec *r)
{
	if (!r)
		return;
	free(r->reason);
	free(r->candidates);
	free(r->bank_ref);
	free(r->statement_id);
	free(r->debtor_name);
	free(r->debtor_iban);
	free(r->reference);
	free(r->unstructured);
	free(r->outcome);
	memset(r, 0, sizeof(*r));
}

void review_target_clear(struct review_target *t)
{
	if (!t)
		return;
	free(t->customer);
	free(t->customer_name);
	free(t->number);
	memset(t, 0, sizeof(*t));
}

void review_target_list_free(struct review_target *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		review_target_clear(&list[i]);
	free(list);
}
