/*
 * statement: importing a bank statement (see statement.h and
 * docs/statements.md).
 *
 * One pass over the file with the streaming camt parser; for each entry a
 * lookup of its key, then what it means: a payment (pay_receive_batch),
 * a review item, the undoing of an earlier payment, or nothing. The
 * engine runs once at the end, for every customer paid or reversed
 * (pay_batch_finish: a case paid off resolves and its customer is
 * thanked once), in the same transaction. The match
 * index is a snapshot of the store at the start, to which the payer
 * accounts learnt along the way are added (so the second payment from a
 * new account in the same file is recognised); open amounts are not
 * updated as payments arrive: a second payment of something already paid
 * in the same file is still matched to it and kept as the customer's
 * credit, exactly as it would be had it come in the next file. Where the
 * store holds what the index read until the commit (SQLite), the payment
 * batch is handed the open invoices and cases from the same read, so
 * that payments are allocated in memory (pay_batch_preload_*). Entries
 * are written STMT_PENDING_MAX at a time (store_statement_entries_insert,
 * then their review items); until then the entries waiting answer the
 * duplicate check for their own keys, and anything that reads entries
 * (a reversal's lookup, the end of the file) writes them first.
 */
#include "statement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "buf.h"
#include "camt.h"
#include "match.h"
#include "mem.h"
#include "money.h"
#include "pay.h"
#include "run.h"

/* Longest candidates list written to a review item (JSON text). */
#define STMT_CANDIDATES_MAX 4096
/* Payments looked at for a reversal: two tell "one" from "several". */
#define STMT_REVERSAL_LOOKUP 2
/* "bank:" + the entry's reference. */
#define STMT_EXT_BUF (CAMT_REF_BUF + 8)
/* Entries recorded per store call (store_statement_entries_insert). */
#define STMT_PENDING_MAX 64

/* The last payer upsert written for one (customer, account): the same
 * upsert again changes nothing, so it is not sent (a customer's account
 * pays several invoices of one statement). */
struct stmt_payer_seen {
	char *key;                     /* "customer_id iban" (owned); NULL:
					  a free slot */
	char *name;                    /* the holder's name written (owned) */
	date_t seen;                   /* the date written */
};

/* The state of one import. */
struct stmt_ctx {
	struct store *s;               /* the store, inside our transaction */
	const struct tenant_rec *t;    /* the tenant */
	instant_t now;                 /* the import's instant */
	struct match_index *idx;       /* built once, payers added as learnt */
	struct statement_stats st;     /* counts so far */
	int64_t *rerun;                /* customers whose payment was undone
					  (counted in customers_run) */
	size_t n_rerun, cap_rerun;     /* used, allocated */
	struct pay_batch batch;        /* the payments' engine run and
					  thank-yous, done once at the end */
	int preload;                   /* the batch is handed the open
					  invoices and cases the index
					  reads (store_statement_rows_held) */
	struct stmt_payer_seen *payers; /* open addressing by key */
	size_t cap_payers, n_payers;   /* slots (a power of two), used */
	/* Entries not yet written (the store does not know their keys
	 * yet), their strings in pend_arena: */
	struct statement_entry_rec pend[STMT_PENDING_MAX]; /* the rows */
	const char *pend_cand[STMT_PENDING_MAX]; /* a review item's
					  candidates; NULL: no review item */
	uint64_t pend_key[STMT_PENDING_MAX]; /* hash of bank_ref, status */
	size_t n_pend;                 /* used */
	struct arena *pend_arena;      /* their strings */
};

/* ---- the match index, from the store -------------------------------- */

static int index_invoice(void *ctx, const struct stmt_invoice_row *r,
			 struct err *e)
{
	struct stmt_ctx *c = ctx;
	struct match_invoice inv = {
		.id = r->id,
		.customer_id = r->customer_id,
		.case_id = r->case_id,
		.number = r->number,
		.payment_reference = r->payment_reference,
		.open_amount = r->open_minor,
		.currency = r->currency,
		.due_date = r->due_date,
	};
	int rc;

	if (c->preload) {
		/* every open invoice, also those the index cannot hold: a
		 * payment may still reach them as the oldest open */
		struct pay_invoice pi = {
			.id = r->id,
			.amount_minor = r->amount_minor,
			.open_minor = r->open_minor,
			.due_date = r->due_date,
		};
		pay_batch_preload_invoice(&c->batch, r->customer_id,
					  r->currency, &pi);
	}
	rc = match_index_add_invoice(c->idx, &inv, e);
	/* An invoice the index cannot hold (an empty or overlong number) is
	 * left out: a payment for it goes to review instead of failing the
	 * statement. */
	if (rc == -ERR_INVALID || rc == -ERR_TOOBIG) {
		err_clear(e);
		return 0;
	}
	return rc;
}

static int index_case(void *ctx, const struct stmt_case_row *r, struct err *e)
{
	struct stmt_ctx *c = ctx;
	struct match_case mc = {
		.id = r->id,
		.customer_id = r->customer_id,
		.currency = r->currency,
		.open_total = r->open_minor,
	};

	if (c->preload) {
		/* what pay.c uses of the case: ids and fees */
		struct case_rec k;
		memset(&k, 0, sizeof(k));
		k.id = r->id;
		k.tenant_id = c->t->id;
		k.customer_id = r->customer_id;
		memcpy(k.currency, r->currency, sizeof(k.currency));
		k.st.status = CASE_OPEN;
		k.st.fees_minor = r->fees_minor;
		k.fees_paid_minor = r->fees_paid_minor;
		pay_batch_preload_case(&c->batch, &k);
	}
	return match_index_add_case(c->idx, &mc, e);
}

static int index_payer(void *ctx, const struct stmt_payer_row *r,
		       struct err *e)
{
	struct stmt_ctx *c = ctx;
	int rc = match_index_add_payer_iban(c->idx, r->iban, r->customer_id,
					    e);
	if (rc == 0 && r->name && *r->name)
		rc = match_index_add_payer_name(c->idx, r->name, r->customer_id,
						e);
	return rc;
}

/* ---- helpers -------------------------------------------------------- */

static void rerun_add(struct stmt_ctx *c, int64_t customer_id)
{
	c->rerun = xgrow(c->rerun, &c->cap_rerun, c->n_rerun + 1,
			 sizeof(*c->rerun));
	c->rerun[c->n_rerun++] = customer_id;
}

static int id_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* Sort the customers to run and drop repeats. */
static void rerun_unique(struct stmt_ctx *c)
{
	size_t n = 0;
	if (c->n_rerun == 0)
		return;
	qsort(c->rerun, c->n_rerun, sizeof(*c->rerun), id_cmp);
	for (size_t i = 0; i < c->n_rerun; i++)
		if (n == 0 || c->rerun[i] != c->rerun[n - 1])
			c->rerun[n++] = c->rerun[i];
	c->n_rerun = n;
}

static uint64_t payer_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return h;
}

/* The slot of key k: its entry, or the free slot where it goes. */
static struct stmt_payer_seen *payer_slot(struct stmt_payer_seen *tab,
					  size_t cap, const char *k)
{
	size_t i = payer_hash(k) & (cap - 1);
	while (tab[i].key && strcmp(tab[i].key, k) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

/* store_payer_upsert, unless the last one written for the customer and
 * account had the same name and date. */
static int payer_upsert(struct stmt_ctx *c, int64_t customer_id,
			const char *iban, const char *name, date_t seen,
			struct err *e)
{
	struct stmt_payer_seen *ps;
	struct buf key;
	int r;

	if ((c->n_payers + 1) * 2 > c->cap_payers) {
		struct stmt_payer_seen *old = c->payers;
		size_t old_cap = c->cap_payers;
		c->cap_payers = old_cap ? old_cap * 2 : 1024;
		c->payers = xcalloc(c->cap_payers, sizeof(*c->payers));
		for (size_t i = 0; i < old_cap; i++)
			if (old[i].key)
				*payer_slot(c->payers, c->cap_payers,
					    old[i].key) = old[i];
		free(old);
	}
	buf_init(&key, 32 + CAMT_ID_BUF);
	buf_printf(&key, "%lld %s", (long long)customer_id, iban);
	ps = payer_slot(c->payers, c->cap_payers, buf_cstr(&key));
	if (ps->key && ps->seen == seen && strcmp(ps->name, name) == 0) {
		buf_free(&key);
		return 0;
	}
	r = store_payer_upsert(c->s, c->t->id, customer_id, iban, name, seen,
			       e);
	if (r == 0) {
		if (!ps->key) {
			ps->key = xstrdup(buf_cstr(&key));
			c->n_payers++;
		}
		free(ps->name);
		ps->name = xstrdup(name);
		ps->seen = seen;
	}
	buf_free(&key);
	return r;
}

/* The date a payment counts from: booked, else value date, else today. */
static date_t entry_date(const struct stmt_ctx *c, const struct camt_entry *en)
{
	if (en->booking_date != DATE_NONE)
		return en->booking_date;
	if (en->value_date != DATE_NONE)
		return en->value_date;
	return instant_date(c->now);
}

static void count_amount(struct statement_stats *st, int64_t amount,
			 const char *currency)
{
	if (st->payments == 1)
		memcpy(st->currency, currency, sizeof(st->currency));
	else if (strcmp(st->currency, currency) != 0)
		st->mixed = 1;
	if (st->mixed)
		st->currency[0] = '\0';
	if (money_add(st->amount, amount, &st->amount) < 0)
		st->amount = INT64_MAX;
}

/* The matcher's candidates as the JSON array review_items.candidates
 * holds (numbers, ISO codes and dates only: nothing to escape). */
static void candidates_json(const struct match_result *m, struct buf *b)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < m->ncandidates; i++) {
		const struct match_candidate *k = &m->candidates[i];
		char due[DATE_FMT_MAX];
		if (k->due_date != DATE_NONE)
			date_format(k->due_date, due);
		buf_printf(b,
			   "%s{\"target\":\"%s\",\"id\":%lld,"
			   "\"customer_id\":%lld,\"case_id\":%lld,"
			   "\"open_minor\":%lld,\"currency\":\"%.3s\","
			   "\"due_date\":%s%s%s}",
			   i ? "," : "",
			   k->target == MATCH_TARGET_CASE ? "case" : "invoice",
			   (long long)k->id, (long long)k->customer_id,
			   (long long)k->case_id, (long long)k->open_amount,
			   k->currency, k->due_date != DATE_NONE ? "\"" : "",
			   k->due_date != DATE_NONE ? due : "null",
			   k->due_date != DATE_NONE ? "\"" : "");
	}
	buf_putc(b, ']');
}

/* The payments a reversal might undo, for its review item. */
static void paid_json(const struct stmt_paid_rec *list, size_t n,
		      struct buf *b)
{
	buf_putc(b, '[');
	for (size_t i = 0; i < n; i++)
		buf_printf(b,
			   "%s{\"target\":\"entry\",\"id\":%lld,"
			   "\"customer_id\":%lld,\"case_id\":%lld,"
			   "\"amount_minor\":%lld,\"currency\":\"%.3s\"}",
			   i ? "," : "", (long long)list[i].id,
			   (long long)list[i].customer_id,
			   (long long)list[i].case_id,
			   (long long)list[i].amount_minor, list[i].currency);
	buf_putc(b, ']');
}

/* The hash of an entry's key (bank_ref, status). */
static uint64_t entry_key(const char *bank_ref, const char *status)
{
	uint64_t h = payer_hash(bank_ref);
	for (const char *k = status; *k; k++) /* FNV-1a, on from the ref */
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

/* Whether an entry waiting to be written has the key. */
static int pending_has(const struct stmt_ctx *c, const char *bank_ref,
		       const char *status)
{
	uint64_t k = entry_key(bank_ref, status);
	for (size_t i = 0; i < c->n_pend; i++)
		if (c->pend_key[i] == k &&
		    strcmp(c->pend[i].bank_ref, bank_ref) == 0 &&
		    strcmp(c->pend[i].status, status) == 0)
			return 1;
	return 0;
}

/* Write the entries waiting, in one go, then their review items. */
static int flush_pending(struct stmt_ctx *c, struct err *e)
{
	int64_t ids[STMT_PENDING_MAX], item;
	size_t n = c->n_pend;
	int r = store_statement_entries_insert(c->s, c->pend, n, ids, e);

	for (size_t i = 0; r == 0 && i < n; i++) {
		if (ids[i] == 0) /* its key was free when looked up: another
				  * import of the same statement committed
				  * it since */
			r = err_set(e, ERR_CONFLICT, "entry '%s' was recorded"
				    " by another import meanwhile; import"
				    " again", c->pend[i].bank_ref);
		else if (c->pend_cand[i])
			r = store_review_insert(c->s, c->t->id, ids[i],
						c->pend[i].reason,
						c->pend_cand[i], c->now, &item,
						e);
	}
	c->n_pend = 0;
	arena_reset(c->pend_arena);
	return r;
}

static const char *pend_dup(struct stmt_ctx *c, const char *s)
{
	return s ? arena_strdup(c->pend_arena, s) : NULL;
}

/* Record the entry; and, for review and unmatched ones, its review item
 * (written in batches: flush_pending). */
static int record(struct stmt_ctx *c, const struct statement_entry_rec *rec,
		  const char *candidates, struct err *e)
{
	struct statement_entry_rec *p = &c->pend[c->n_pend];
	int review = strcmp(rec->outcome, "review") == 0 ||
		     strcmp(rec->outcome, "unmatched") == 0;

	*p = *rec;
	p->bank_ref = pend_dup(c, rec->bank_ref ? rec->bank_ref : "");
	p->status = pend_dup(c, rec->status ? rec->status : "");
	p->statement_id = pend_dup(c, rec->statement_id);
	p->return_reason = pend_dup(c, rec->return_reason);
	p->debtor_name = pend_dup(c, rec->debtor_name);
	p->debtor_iban = pend_dup(c, rec->debtor_iban);
	p->reference = pend_dup(c, rec->reference);
	p->unstructured = pend_dup(c, rec->unstructured);
	p->end_to_end_id = pend_dup(c, rec->end_to_end_id);
	p->outcome = pend_dup(c, rec->outcome);
	p->payment_external_id = pend_dup(c, rec->payment_external_id);
	p->rule = pend_dup(c, rec->rule);
	p->reason = pend_dup(c, rec->reason ? rec->reason : "");
	c->pend_cand[c->n_pend] =
		review ? pend_dup(c, candidates ? candidates : "[]") : NULL;
	c->pend_key[c->n_pend] = entry_key(p->bank_ref, p->status);
	if (++c->n_pend == STMT_PENDING_MAX)
		return flush_pending(c, e);
	return 0;
}

/* ---- what an entry does --------------------------------------------- */

static int entry_payment(struct stmt_ctx *c, const struct camt_entry *en,
			 struct statement_entry_rec *rec, struct err *e)
{
	struct match_payment mp = {
		.amount = en->amount,
		.currency = en->currency,
		.ref_strd = en->ref_strd,
		.ustrd = en->ustrd,
		.debtor_iban = en->debtor_iban,
		.debtor_name = en->debtor_name,
	};
	struct match_result m;
	struct buf cand;
	char ext[STMT_EXT_BUF];
	int r = match_payment(c->idx, &mp, &m, e);

	if (r < 0)
		return r;
	rec->rule = m.rule ? m.rule : "";
	if (m.kind == MATCH_CASE || m.kind == MATCH_INVOICE) {
		struct payment_rec p;
		struct pay_result pr;

		snprintf(ext, sizeof(ext), "bank:%s", en->ref);
		memset(&p, 0, sizeof(p));
		p.tenant_id = c->t->id;
		p.external_id = ext;
		p.customer_id = m.customer_id;
		p.invoice_id = m.kind == MATCH_INVOICE ? m.invoice_id : 0;
		p.amount_minor = en->amount;
		memcpy(p.currency, en->currency, sizeof(p.currency));
		p.paid_on = entry_date(c, en);
		p.method = "bank_transfer";
		r = pay_receive_batch(c->s, c->t, &p, c->now, &c->batch, &pr,
				      e);
		if (r < 0)
			return r;
		rec->outcome = "payment";
		rec->payment_external_id = ext;
		rec->customer_id = m.customer_id;
		rec->invoice_id = p.invoice_id;
		rec->case_id = m.case_id ? m.case_id : pr.case_id;
		rec->credit_minor = pr.left_minor;
		c->st.payments++;
		count_amount(&c->st, en->amount, en->currency);
		if (en->debtor_iban[0]) {
			r = payer_upsert(c, m.customer_id, en->debtor_iban,
					 en->debtor_name, p.paid_on, e);
			if (r == 0)
				r = match_index_add_payer_iban(
					c->idx, en->debtor_iban, m.customer_id,
					e);
			if (r == 0 && en->debtor_name[0])
				r = match_index_add_payer_name(
					c->idx, en->debtor_name, m.customer_id,
					e);
			if (r < 0)
				return r;
		}
		return record(c, rec, NULL, e);
	}
	/* Ambiguous or nothing: a person decides. */
	rec->outcome = m.kind == MATCH_REVIEW ? "review" : "unmatched";
	rec->customer_id = m.customer_id;
	rec->reason = m.reason[0] ? m.reason
				  : "nothing in the payment points to an"
				    " open invoice or case";
	if (m.kind == MATCH_REVIEW)
		c->st.review++;
	else
		c->st.unmatched++;
	buf_init(&cand, STMT_CANDIDATES_MAX);
	candidates_json(&m, &cand);
	r = record(c, rec, buf_cstr(&cand), e);
	buf_free(&cand);
	return r;
}

/* Undo payment entry `orig`: a negative payment, and the invoices it
 * paid open again (see migrations/sqlite/0010_statements.sql). */
static int undo_payment(struct stmt_ctx *c, const struct camt_entry *en,
			const struct stmt_paid_rec *orig,
			struct statement_entry_rec *rec, char *ext,
			size_t ext_size, struct err *e)
{
	struct invoice_rec *list = NULL;
	struct payment_rec p;
	size_t n = 0;
	int64_t left = orig->amount_minor - orig->credit_minor, reopened = 0;
	int inserted = 0, r;

	snprintf(ext, ext_size, "bank:%s", en->ref);
	memset(&p, 0, sizeof(p));
	p.tenant_id = c->t->id;
	p.external_id = ext;
	p.customer_id = orig->customer_id;
	p.invoice_id = orig->invoice_id;
	p.amount_minor = -orig->amount_minor;
	memcpy(p.currency, orig->currency, sizeof(p.currency));
	p.paid_on = entry_date(c, en);
	p.method = "bank_reversal";
	r = store_payment_insert(c->s, &p, &inserted, e);
	if (r < 0)
		return r;
	if (left < 0)
		left = 0;
	/* The open amounts the batch lowered so far are written first: they
	 * are what is undone. */
	if (inserted)
		r = pay_batch_sync(c->s, &c->batch, e);
	if (r == 0 && inserted)
		r = store_invoices_paid(c->s, c->t->id, orig->customer_id,
					orig->currency, &list, &n, e);
	/* The reverse of pay_allocate's order: newest due first, the
	 * invoice the payment named last. */
	for (int pass = 0; r == 0 && pass < 2 && left > 0; pass++) {
		for (size_t i = 0; r == 0 && i < n && left > 0; i++) {
			struct invoice_rec *inv = &list[i];
			int64_t room = inv->amount_minor - inv->open_minor, take;
			if ((pass == 1) != (inv->id == orig->invoice_id) ||
			    room <= 0)
				continue;
			take = room < left ? room : left;
			inv->open_minor += take;
			left -= take;
			reopened += take;
			r = store_invoice_set_open(c->s, c->t->id, inv->id,
						   inv->open_minor, e);
		}
	}
	invoice_list_free(list, n);
	if (r == 0 && inserted && orig->case_id) {
		char detail[256];
		struct event_rec ev = {
			.tenant_id = c->t->id,
			.case_id = orig->case_id,
			.at = c->now,
			.kind = "payment.reversed",
			.detail = detail,
		};
		snprintf(detail, sizeof(detail),
			 "{\"amount_minor\":%lld,\"currency\":\"%.3s\","
			 "\"reopened_minor\":%lld,\"entry\":%lld}",
			 (long long)orig->amount_minor, orig->currency,
			 (long long)reopened, (long long)orig->id);
		r = store_event_append(c->s, &ev, e);
	}
	if (r < 0)
		return r;
	rerun_add(c, orig->customer_id);
	pay_batch_touch(&c->batch, orig->customer_id);
	rec->outcome = "reversal";
	rec->payment_external_id = ext;
	rec->reverses_id = orig->id;
	rec->customer_id = orig->customer_id;
	rec->case_id = orig->case_id;
	rec->invoice_id = orig->invoice_id;
	c->st.reversals++;
	return record(c, rec, NULL, e);
}

/* A booked debit that reverses (RvslInd) or returns an earlier payment. */
static int entry_reversal(struct stmt_ctx *c,
			  const struct camt_statement *stmt,
			  const struct camt_entry *en,
			  struct statement_entry_rec *rec, struct err *e)
{
	const char *what = en->is_return ? "return" : "reversal";
	const char *e2e = en->is_return && en->orig_end_to_end_id[0] ?
				  en->orig_end_to_end_id :
				  en->end_to_end_id;
	struct stmt_paid_rec *list = NULL;
	struct buf cand;
	char reason[MATCH_REASON_MAX], ext[STMT_EXT_BUF];
	size_t n = 0;
	int r;

	/* "NOTPROVIDED" is what banks write for "none": it names nothing. */
	if (!strcasecmp(e2e, "NOTPROVIDED"))
		e2e = "";
	/* the payments it may undo include those waiting to be written */
	r = flush_pending(c, e);
	if (r == 0)
		r = store_statement_paid_find(c->s, c->t->id, e2e, stmt->id,
				      en->amount, en->currency,
				      STMT_REVERSAL_LOOKUP, &list, &n, e);
	if (r < 0)
		return r;
	reason[0] = '\0';
	if (n == 0)
		snprintf(reason, sizeof(reason),
			 "no payment found that this %s undoes", what);
	else if (n > 1)
		snprintf(reason, sizeof(reason),
			 "several payments could be the one this %s undoes",
			 what);
	else if (list[0].amount_minor != en->amount ||
		 strcmp(list[0].currency, en->currency) != 0)
		snprintf(reason, sizeof(reason),
			 "the %s's amount differs from the payment's", what);
	if (!reason[0]) {
		r = undo_payment(c, en, &list[0], rec, ext, sizeof(ext), e);
		free(list);
		return r;
	}
	rec->outcome = "review";
	rec->reason = reason;
	c->st.review++;
	buf_init(&cand, STMT_CANDIDATES_MAX);
	paid_json(list, n, &cand);
	r = record(c, rec, buf_cstr(&cand), e);
	buf_free(&cand);
	free(list);
	return r;
}

static int on_entry(void *vc, const struct camt_statement *stmt,
		    const struct camt_entry *en, struct err *e)
{
	struct stmt_ctx *c = vc;
	struct statement_entry_rec rec;
	const char *status = en->status == CAMT_STS_OTHER ?
				     en->status_code :
				     camt_status_name(en->status);
	char reason[64];
	int known = 0, r;

	c->st.entries++;
	known = pending_has(c, en->ref, status);
	r = known ? 0 : store_statement_entry_known(c->s, c->t->id, en->ref,
						    status, &known, e);
	if (r < 0)
		return r;
	if (known) {
		c->st.duplicates++;
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	rec.tenant_id = c->t->id;
	rec.bank_ref = en->ref;
	rec.status = status;
	rec.statement_id = stmt->id;
	rec.booked_on = en->booking_date;
	rec.amount_minor = en->amount;
	memcpy(rec.currency, en->currency, sizeof(rec.currency));
	rec.credit = en->credit;
	rec.reversal = en->reversal;
	rec.returned = en->is_return;
	rec.return_reason = en->return_reason;
	rec.debtor_name = en->debtor_name;
	rec.debtor_iban = en->debtor_iban;
	rec.reference = en->ref_strd;
	rec.unstructured = en->ustrd;
	rec.end_to_end_id = en->end_to_end_id;
	rec.rule = "";
	rec.reason = "";
	rec.created_at = c->now;

	if (en->status == CAMT_STS_BOOK && !en->credit &&
	    (en->reversal || en->is_return))
		return entry_reversal(c, stmt, en, &rec, e);
	if (camt_entry_is_payment(en))
		return entry_payment(c, en, &rec, e);
	if (en->status != CAMT_STS_BOOK)
		snprintf(reason, sizeof(reason), "not booked (%s)", status);
	else if (!en->credit)
		snprintf(reason, sizeof(reason), "a debit");
	else
		snprintf(reason, sizeof(reason),
			 "reverses or returns a debit");
	rec.outcome = "ignored";
	rec.reason = reason;
	c->st.ignored++;
	return record(c, &rec, NULL, e);
}

int statement_import(struct store *s, const struct tenant_rec *t,
		     const char *path, instant_t now,
		     struct statement_stats *ret, struct err *e)
{
	struct stmt_ctx c;
	struct stmt_index_cb cb = {
		.invoice = index_invoice,
		.kase = index_case,
		.payer = index_payer,
	};
	int r;

	memset(&c, 0, sizeof(c));
	c.s = s;
	c.t = t;
	c.now = now;
	c.idx = match_index_new();
	c.pend_arena = arena_new();
	pay_batch_init(&c.batch);
	cb.ctx = &c;
	r = store_begin(s, e);
	if (r < 0)
		goto out;
	c.preload = store_statement_rows_held(s);
	r = store_statement_index(s, t->id, &cb, e);
	if (r == 0 && c.preload)
		r = pay_batch_preload_done(s, t, &c.batch, e);
	if (r == 0)
		r = camt_parse_file(path, on_entry, &c, NULL, e);
	if (r == 0)
		r = flush_pending(&c, e);
	/* The engine runs once for every customer paid (pay_receive_batch)
	 * or whose payment was undone (pay_batch_touch in undo_payment);
	 * then the cases paid off are thanked. */
	if (r == 0)
		rerun_unique(&c);
	if (r == 0)
		c.st.customers_run = (long)c.n_rerun;
	if (r == 0)
		r = pay_batch_finish(s, t, &c.batch, now, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0)
		store_rollback(s);
	else
		*ret = c.st;
out:
	match_index_free(c.idx);
	arena_free(c.pend_arena);
	pay_batch_clear(&c.batch);
	free(c.rerun);
	for (size_t i = 0; i < c.cap_payers; i++) {
		free(c.payers[i].key);
		free(c.payers[i].name);
	}
	free(c.payers);
	return r;
}
