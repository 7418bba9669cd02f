/*
 * match: a received payment against open invoices and cases (see match.h
 * for the rules).
 *
 * The index is a handful of hash multimaps from a normalised key to the
 * invoices, cases or customers it names: case id, payment reference,
 * invoice number, (customer, open amount), payer IBAN, payer name. Each rule
 * costs a constant number of probes, plus one probe per token (and per run
 * of up to the longest invoice number's token count) of the unstructured
 * text. Nothing here reads the store or prints.
 */
#include "match.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucasemap.h>

#include "arena.h"
#include "mem.h"
#include "money.h"
#include "qr.h"

/* Tokens of the unstructured text looked at (the text is bounded anyway;
 * camt's is at most 2,240 bytes). */
#define TEXT_TOKENS_MAX 1024
/* Tokens an invoice number may span ("INV 2026 0042"). */
#define NUMBER_TOKENS_MAX 4

/* ---- hash multimap: byte-string key -> list of int64 values ------------- */

struct hlink {
	int64_t val;   /* the value (an array index or a customer id) */
	uint32_t next; /* next link + 1, 0 at the end */
};

struct hent {
	const unsigned char *key; /* key bytes (in the arena) */
	uint32_t len;             /* key length */
	uint32_t head, tail;      /* first and last link + 1 */
	uint32_t count;           /* values under the key */
	uint64_t hash;            /* hash of the key */
};

struct hmap {
	struct hent *ents;   /* keys, in insertion order */
	size_t n, cap;       /* keys used, allocated */
	uint32_t *slots;     /* open addressing: entry index + 1, 0 empty */
	size_t mask;         /* slot count - 1 (a power of two) */
	struct hlink *links; /* value lists */
	size_t nlinks, linkcap; /* links used, allocated */
};

static uint64_t hash_bytes(const void *k, size_t n)
{
	const unsigned char *p = k;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	h ^= h >> 29; /* spread FNV's low-bit weakness before masking */
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 32;
	return h;
}

static const struct hent *hmap_get(const struct hmap *m, const void *k,
				   size_t n)
{
	uint64_t h;
	size_t i;

	if (!m->slots)
		return NULL;
	h = hash_bytes(k, n);
	for (i = h & m->mask;; i = (i + 1) & m->mask) {
		uint32_t s = m->slots[i];
		const struct hent *en;
		if (!s)
			return NULL;
		en = &m->ents[s - 1];
		if (en->hash == h && en->len == n && memcmp(en->key, k, n) == 0)
			return en;
	}
}

static void hmap_rehash(struct hmap *m, size_t nslots)
{
	free(m->slots);
	m->slots = xcalloc(nslots, sizeof(*m->slots));
	m->mask = nslots - 1;
	for (size_t j = 0; j < m->n; j++) {
		size_t i = m->ents[j].hash & m->mask;
		while (m->slots[i])
			i = (i + 1) & m->mask;
		m->slots[i] = (uint32_t)(j + 1);
	}
}

/* Add val under key k; with `unique`, a value already there is not added
 * again. */
static void hmap_add(struct hmap *m, struct arena *a, const void *k, size_t n,
		     int64_t val, int unique)
{
	uint64_t h = hash_bytes(k, n);
	struct hent *en = NULL;
	size_t i;

	if (!m->slots || (m->n + 1) * 2 > m->mask + 1)
		hmap_rehash(m, m->slots ? (m->mask + 1) * 2 : 64);
	for (i = h & m->mask;; i = (i + 1) & m->mask) {
		uint32_t s = m->slots[i];
		if (!s)
			break;
		en = &m->ents[s - 1];
		if (en->hash == h && en->len == n && memcmp(en->key, k, n) == 0)
			break;
		en = NULL;
	}
	if (!en) {
		unsigned char *copy = arena_alloc(a, n + 1);
		memcpy(copy, k, n);
		m->ents = xgrow(m->ents, &m->cap, m->n + 1, sizeof(*m->ents));
		en = &m->ents[m->n++];
		*en = (struct hent){ .key = copy, .len = (uint32_t)n, .hash = h };
		m->slots[i] = (uint32_t)m->n;
	} else if (unique) {
		for (uint32_t l = en->head; l; l = m->links[l - 1].next)
			if (m->links[l - 1].val == val)
				return;
	}
	m->links = xgrow(m->links, &m->linkcap, m->nlinks + 1,
			 sizeof(*m->links));
	m->links[m->nlinks] = (struct hlink){ .val = val, .next = 0 };
	m->nlinks++;
	if (en->tail)
		m->links[en->tail - 1].next = (uint32_t)m->nlinks;
	else
		en->head = (uint32_t)m->nlinks;
	en->tail = (uint32_t)m->nlinks;
	en->count++;
}

static void hmap_free(struct hmap *m)
{
	free(m->ents);
	free(m->slots);
	free(m->links);
}

/* ---- the index ---------------------------------------------------------- */

struct inv {
	int64_t id, customer_id, case_id, open_amount; /* as given */
	char currency[4];  /* ISO 4217 */
	date_t due_date;   /* for ordering several named invoices */
	const char *number;/* as given (arena) */
};

struct cas {
	int64_t id, customer_id, open_total; /* as given */
	char currency[4];                    /* ISO 4217 */
};

struct match_index {
	struct arena *arena;      /* keys and strings */
	struct inv *invs;         /* invoices */
	size_t ninvs, invcap;     /* used, allocated */
	struct cas *cases;        /* cases */
	size_t ncases, casecap;   /* used, allocated */
	struct hmap by_case;      /* case id (8 bytes) -> case index */
	struct hmap by_ref;       /* payment reference -> invoice index */
	struct hmap by_number;    /* normalised invoice number -> invoice index */
	struct hmap by_amount;    /* (customer, amount) -> invoice 2i / case 2i+1 */
	struct hmap by_iban;      /* payer IBAN -> customer id */
	struct hmap by_name;      /* folded payer name -> customer id */
	int number_tokens;        /* most tokens in an invoice number */
	UCaseMap *fold;           /* ICU case folding for names */
};

struct match_index *match_index_new(void)
{
	struct match_index *idx = xcalloc(1, sizeof(*idx));
	UErrorCode st = U_ZERO_ERROR;

	idx->arena = arena_new();
	idx->number_tokens = 1;
	idx->fold = ucasemap_open("", 0, &st);
	if (U_FAILURE(st))
		idx->fold = NULL; /* names then fold ASCII only */
	return idx;
}

void match_index_free(struct match_index *idx)
{
	if (!idx)
		return;
	hmap_free(&idx->by_case);
	hmap_free(&idx->by_ref);
	hmap_free(&idx->by_number);
	hmap_free(&idx->by_amount);
	hmap_free(&idx->by_iban);
	hmap_free(&idx->by_name);
	if (idx->fold)
		ucasemap_close(idx->fold);
	free(idx->invs);
	free(idx->cases);
	arena_free(idx->arena);
	free(idx);
}

/* ---- normalisation ------------------------------------------------------- */

static int is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

/* Characters that end a token of remittance text; '-', '/', '.', '_' and
 * '#' stay inside (invoice numbers use them). */
static int is_sep(unsigned char c)
{
	return is_space(c) || (c && strchr(",;:()[]{}\"'<>!?*=|\\", c));
}

static unsigned char up(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 32) : c;
}

struct tok {
	const char *s; /* start, inside the text */
	size_t len;    /* bytes, leading '#' and trailing '.' removed */
};

/* Split s into at most max tokens. */
static size_t tokenize(const char *s, struct tok *t, size_t max)
{
	size_t n = 0;
	while (*s && n < max) {
		const char *b;
		while (*s && is_sep((unsigned char)*s))
			s++;
		b = s;
		while (*s && !is_sep((unsigned char)*s))
			s++;
		while (b < s && *b == '#')
			b++;
		size_t len = (size_t)(s - b);
		while (len && b[len - 1] == '.')
			len--;
		if (len)
			t[n++] = (struct tok){ b, len };
	}
	return n;
}

/* Tokens t[0..n) upper-cased and joined by one space into out; -1 when
 * longer than MATCH_KEY_MAX. */
static int join_tokens(const struct tok *t, size_t n, char *out,
		       size_t *ret_len)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k + (i ? 1 : 0) + t[i].len > MATCH_KEY_MAX)
			return -1;
		if (i)
			out[k++] = ' ';
		for (size_t j = 0; j < t[i].len; j++)
			out[k++] = (char)up((unsigned char)t[i].s[j]);
	}
	out[k] = '\0';
	*ret_len = k;
	return 0;
}

/* Compact form of an identifier: no spaces, upper case ASCII. */
static int compact_key(const char *s, char *out, size_t *ret_len)
{
	size_t k = 0;
	for (; s && *s; s++) {
		if (is_space((unsigned char)*s))
			continue;
		if (k == MATCH_KEY_MAX)
			return -1;
		out[k++] = (char)up((unsigned char)*s);
	}
	out[k] = '\0';
	*ret_len = k;
	return 0;
}

/* A person's or company's name: white space collapsed and trimmed, case
 * folded (ICU full folding for non-ASCII text). */
static int fold_name(const struct match_index *idx, const char *s, char *out,
		     size_t *ret_len)
{
	char tmp[MATCH_KEY_MAX + 1];
	size_t k = 0;
	int ascii = 1;

	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (is_space(c)) {
			if (k && tmp[k - 1] != ' ') {
				if (k == MATCH_KEY_MAX)
					return -1;
				tmp[k++] = ' ';
			}
			continue;
		}
		if (k == MATCH_KEY_MAX)
			return -1;
		if (c >= 0x80)
			ascii = 0;
		tmp[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	while (k && tmp[k - 1] == ' ')
		k--;
	tmp[k] = '\0';
	if (!ascii && idx->fold) {
		UErrorCode st = U_ZERO_ERROR;
		int32_t n = ucasemap_utf8FoldCase(idx->fold, out,
						  MATCH_KEY_MAX + 1, tmp,
						  (int32_t)k, &st);
		if (U_FAILURE(st) || n < 0 || n > MATCH_KEY_MAX)
			return -1;
		out[n] = '\0';
		*ret_len = (size_t)n;
		return 0;
	}
	memcpy(out, tmp, k + 1);
	*ret_len = k;
	return 0;
}

static void amount_key(int64_t customer, int64_t amount, unsigned char k[16])
{
	memcpy(k, &customer, 8);
	memcpy(k + 8, &amount, 8);
}

/* ---- building ------------------------------------------------------------ */

static int check_currency(const char *what, int64_t id, const char *ccy,
			  struct err *e)
{
	char q[ERR_QUOTE_BUF];
	if (!ccy || !currency_find(ccy))
		return err_set(e, ERR_INVALID,
			       "%s %lld: currency \"%s\" is not an ISO 4217 "
			       "code",
			       what, (long long)id, err_quote(ccy ? ccy : "", q));
	return 0;
}

int match_index_add_invoice(struct match_index *idx,
			    const struct match_invoice *inv, struct err *e)
{
	struct tok t[NUMBER_TOKENS_MAX + 1];
	char key[MATCH_KEY_MAX + 1], q[ERR_QUOTE_BUF];
	unsigned char ak[16];
	size_t n, len;
	struct inv *v;
	int r = check_currency("invoice", inv->id, inv->currency, e);

	if (r < 0)
		return r;
	n = inv->number ? tokenize(inv->number, t, NUMBER_TOKENS_MAX + 1) : 0;
	if (n == 0)
		return err_set(e, ERR_INVALID, "invoice %lld: no invoice number",
			       (long long)inv->id);
	if (n > NUMBER_TOKENS_MAX || join_tokens(t, n, key, &len) < 0)
		return err_set(e, ERR_TOOBIG,
			       "invoice %lld: number \"%s\" is longer than %d "
			       "words or %d bytes",
			       (long long)inv->id, err_quote(inv->number, q),
			       NUMBER_TOKENS_MAX, MATCH_KEY_MAX);
	idx->invs = xgrow(idx->invs, &idx->invcap, idx->ninvs + 1,
			  sizeof(*idx->invs));
	v = &idx->invs[idx->ninvs];
	*v = (struct inv){ .id = inv->id,
			   .customer_id = inv->customer_id,
			   .case_id = inv->case_id,
			   .open_amount = inv->open_amount,
			   .due_date = inv->due_date,
			   .number = arena_strdup(idx->arena, inv->number) };
	memcpy(v->currency, inv->currency, 4);
	hmap_add(&idx->by_number, idx->arena, key, len, (int64_t)idx->ninvs, 0);
	if ((int)n > idx->number_tokens)
		idx->number_tokens = (int)n;
	if (inv->payment_reference && inv->payment_reference[0] &&
	    compact_key(inv->payment_reference, key, &len) == 0 && len)
		hmap_add(&idx->by_ref, idx->arena, key, len,
			 (int64_t)idx->ninvs, 0);
	amount_key(inv->customer_id, inv->open_amount, ak);
	hmap_add(&idx->by_amount, idx->arena, ak, 16,
		 (int64_t)idx->ninvs * 2, 0);
	idx->ninvs++;
	return 0;
}

int match_index_add_case(struct match_index *idx, const struct match_case *c,
			 struct err *e)
{
	unsigned char ak[16];
	int r = check_currency("case", c->id, c->currency, e);

	if (r < 0)
		return r;
	if (hmap_get(&idx->by_case, &c->id, 8))
		return err_set(e, ERR_CONFLICT, "case %lld: added twice",
			       (long long)c->id);
	idx->cases = xgrow(idx->cases, &idx->casecap, idx->ncases + 1,
			   sizeof(*idx->cases));
	idx->cases[idx->ncases] = (struct cas){ .id = c->id,
						.customer_id = c->customer_id,
						.open_total = c->open_total };
	memcpy(idx->cases[idx->ncases].currency, c->currency, 4);
	hmap_add(&idx->by_case, idx->arena, &c->id, 8, (int64_t)idx->ncases, 0);
	amount_key(c->customer_id, c->open_total, ak);
	hmap_add(&idx->by_amount, idx->arena, ak, 16,
		 (int64_t)idx->ncases * 2 + 1, 0);
	idx->ncases++;
	return 0;
}

int match_index_add_payer_iban(struct match_index *idx, const char *iban,
			       int64_t customer_id, struct err *e)
{
	char key[MATCH_KEY_MAX + 1];
	size_t len;
	(void)e;
	if (compact_key(iban, key, &len) == 0 && len)
		hmap_add(&idx->by_iban, idx->arena, key, len, customer_id, 1);
	return 0;
}

int match_index_add_payer_name(struct match_index *idx, const char *name,
			       int64_t customer_id, struct err *e)
{
	char key[MATCH_KEY_MAX + 1];
	size_t len;
	(void)e;
	if (fold_name(idx, name, key, &len) == 0 && len)
		hmap_add(&idx->by_name, idx->arena, key, len, customer_id, 1);
	return 0;
}

/* ---- Dutch payment reference ---------------------------------------------- */

int match_nl_check_digit(const char *d)
{
	static const int w[10] = { 2, 4, 8, 5, 10, 9, 7, 3, 6, 1 };
	int sum = 0, c;

	for (int i = 0; i < 15; i++)
		if (d[i] < '0' || d[i] > '9')
			return -1;
	if (d[15] != '\0')
		return -1;
	/* Weights run from the rightmost digit leftwards. */
	for (int i = 0; i < 15; i++)
		sum += (d[14 - i] - '0') * w[i % 10];
	c = 11 - sum % 11;
	if (c == 10)
		c = 1;
	else if (c == 11)
		c = 0;
	return c;
}

/* The 16 digits of s without spaces into out; -1 if s is not that. */
static int nl_digits(const char *s, char out[17])
{
	size_t k = 0;
	for (; s && *s; s++) {
		if (*s == ' ')
			continue;
		if (*s < '0' || *s > '9' || k == 16)
			return -1;
		out[k++] = *s;
	}
	out[k] = '\0';
	return k == 16 ? 0 : -1;
}

int match_nl_ref_valid(const char *s)
{
	char d[17];
	if (nl_digits(s, d) < 0)
		return 0;
	return match_nl_check_digit(d + 1) == d[0] - '0';
}

/* ---- matching ---------------------------------------------------------- */

/* The case an RF reference's body names: the body must be the canonical
 * decimal of a case id (what rf_make("<id>") was given); 0 otherwise. */
static int64_t rf_case_id(const char *rf)
{
	const char *b = rf + 4;
	int64_t id = 0;
	size_t n = strlen(b);

	if (n == 0 || n > 18 || b[0] == '0')
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (b[i] < '0' || b[i] > '9')
			return 0;
		id = id * 10 + (b[i] - '0');
	}
	return id;
}

static void add_candidate(struct match_result *r, enum match_target t,
			  int64_t id, int64_t customer, int64_t case_id,
			  int64_t amount, const char *ccy, date_t due)
{
	for (size_t i = 0; i < r->ncandidates; i++)
		if (r->candidates[i].target == t && r->candidates[i].id == id)
			return;
	r->ncandidates_all++;
	if (r->ncandidates == MATCH_CANDIDATES_MAX)
		return;
	struct match_candidate *c = &r->candidates[r->ncandidates++];
	*c = (struct match_candidate){ .target = t, .id = id,
				       .customer_id = customer,
				       .case_id = case_id,
				       .open_amount = amount,
				       .due_date = due };
	memcpy(c->currency, ccy, 4);
}

static void add_inv(const struct match_index *idx, struct match_result *r,
		    size_t i)
{
	const struct inv *v = &idx->invs[i];
	add_candidate(r, MATCH_TARGET_INVOICE, v->id, v->customer_id,
		      v->case_id, v->open_amount, v->currency, v->due_date);
}

static void add_case(const struct match_index *idx, struct match_result *r,
		     size_t i)
{
	const struct cas *c = &idx->cases[i];
	add_candidate(r, MATCH_TARGET_CASE, c->id, c->customer_id, c->id,
		      c->open_total, c->currency, DATE_NONE);
}

static void clear(struct match_result *r)
{
	memset(r, 0, offsetof(struct match_result, candidates));
	r->ncandidates = r->ncandidates_all = 0;
	r->reason[0] = '\0';
}

/* The one candidate in r decides: matched, or review when its currency is
 * not the payment's. */
static void decide_one(struct match_result *r, const char *rule,
		       const struct match_payment *p)
{
	const struct match_candidate *c = &r->candidates[0];
	r->rule = rule;
	r->customer_id = c->customer_id;
	if (strcmp(c->currency, p->currency) != 0) {
		r->kind = MATCH_REVIEW;
		snprintf(r->reason, sizeof(r->reason),
			 "currency mismatch: payment in %s, %s %lld in %s",
			 p->currency,
			 c->target == MATCH_TARGET_CASE ? "case" : "invoice",
			 (long long)c->id, c->currency);
		return;
	}
	if (c->target == MATCH_TARGET_CASE) {
		r->kind = MATCH_CASE;
		r->case_id = c->id;
	} else {
		r->kind = MATCH_INVOICE;
		r->invoice_id = c->id;
	}
}

static void review(struct match_result *r, const char *rule, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
static void review(struct match_result *r, const char *rule, const char *fmt,
		   ...)
{
	va_list ap;
	r->kind = MATCH_REVIEW;
	r->rule = rule;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof(r->reason), fmt, ap);
	va_end(ap);
}

/* Add a note to the reason kept for a payment that nothing matches. */
static void note(char *notes, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(char *notes, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(notes);
	va_list ap;
	if (n + 3 >= cap)
		return;
	if (n) {
		memcpy(notes + n, "; ", 3);
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(notes + n, cap - n, fmt, ap);
	va_end(ap);
}

/* Validate an RF candidate and look its case up: 1 when it names an open
 * case (index in *ret_case), 0 when valid but naming none, -1 when not a
 * valid RF reference. */
static int rf_lookup(const struct match_index *idx, const char *s,
		     size_t *ret_case, char rf[RF_BUF])
{
	struct err e;
	const struct hent *h;
	int64_t id;

	if (rf_normalize(s, rf, RF_BUF, &e) < 0)
		return -1;
	id = rf_case_id(rf);
	if (!id || !(h = hmap_get(&idx->by_case, &id, 8)))
		return 0;
	*ret_case = (size_t)idx->by_case.links[h->head - 1].val;
	return 1;
}

/* Rule rf in the unstructured text: electronic tokens ("RF18539007547034")
 * and print form ("RF18 5390 0754 7034": "RFnn" then groups of up to four
 * digits; every length of the run is tried, as a trailing number may follow
 * it). Every open case named goes into r; returns how many were named. */
static size_t rf_in_text(const struct match_index *idx, const struct tok *t,
			 size_t nt, struct match_result *r, char *notes,
			 size_t notes_cap)
{
	char rf[RF_BUF], cand[RF_MAX + 1];
	size_t found = 0, ci;

	for (size_t i = 0; i < nt; i++) {
		const char *s = t[i].s;
		size_t len = t[i].len, k, j;
		int x;
		if (len < 4 || up((unsigned char)s[0]) != 'R' ||
		    up((unsigned char)s[1]) != 'F' || s[2] < '0' || s[2] > '9' ||
		    s[3] < '0' || s[3] > '9')
			continue;
		if (len > 4) {
			if (len > RF_MAX)
				continue;
			memcpy(cand, s, len);
			cand[len] = '\0';
			x = rf_lookup(idx, cand, &ci, rf);
			if (x > 0) {
				add_case(idx, r, ci);
				found++;
			} else if (x == 0) {
				note(notes, notes_cap,
				     "RF reference %s names no open case", rf);
			}
			continue;
		}
		/* Print form: the digit groups that follow "RFnn". */
		k = 4;
		for (j = i + 1; j < nt && t[j].len <= 4 && k + t[j].len <= RF_MAX;
		     j++) {
			size_t g = 0;
			while (g < t[j].len && t[j].s[g] >= '0' && t[j].s[g] <= '9')
				g++;
			if (g < t[j].len)
				break;
			k += t[j].len;
		}
		for (size_t end = j; end > i + 1; end--) {
			size_t m = 4;
			memcpy(cand, s, 4);
			for (size_t q = i + 1; q < end; q++) {
				memcpy(cand + m, t[q].s, t[q].len);
				m += t[q].len;
			}
			cand[m] = '\0';
			if (rf_lookup(idx, cand, &ci, rf) > 0) {
				add_case(idx, r, ci);
				found++;
			}
		}
	}
	return found;
}

/* Rule invoice_number: every invoice whose number is a run of tokens of the
 * text, the longest run first at each position. */
static void numbers_in_text(const struct match_index *idx,
			    const struct tok *t, size_t nt,
			    struct match_result *r)
{
	char key[MATCH_KEY_MAX + 1];
	size_t len;

	for (size_t i = 0; i < nt;) {
		size_t maxn = (size_t)idx->number_tokens, n;
		const struct hent *h = NULL;
		if (maxn > nt - i)
			maxn = nt - i;
		for (n = maxn; n >= 1; n--) {
			if (join_tokens(t + i, n, key, &len) < 0)
				continue;
			h = hmap_get(&idx->by_number, key, len);
			if (h)
				break;
		}
		if (!h) {
			i++;
			continue;
		}
		for (uint32_t l = h->head; l; l = idx->by_number.links[l - 1].next)
			add_inv(idx, r, (size_t)idx->by_number.links[l - 1].val);
		i += n;
	}
}

/* Rule amount_*: open invoices and cases of the customers listed under `h`
 * in `cm` whose open amount is the payment's. A case is dropped when one of
 * its invoices is a candidate too: paying that invoice is the more precise
 * reading, and the two amounts are then the same. */
static void amount_candidates(const struct match_index *idx,
			      const struct hmap *cm, const struct hent *h,
			      int64_t amount, struct match_result *r)
{
	unsigned char ak[16];
	size_t k = 0;

	for (uint32_t l = h->head; l; l = cm->links[l - 1].next) {
		const struct hent *a;
		amount_key(cm->links[l - 1].val, amount, ak);
		a = hmap_get(&idx->by_amount, ak, 16);
		if (!a)
			continue;
		for (uint32_t m = a->head; m; m = idx->by_amount.links[m - 1].next) {
			int64_t v = idx->by_amount.links[m - 1].val;
			if (v % 2 == 0)
				add_inv(idx, r, (size_t)(v / 2));
			else
				add_case(idx, r, (size_t)(v / 2));
		}
	}
	for (size_t i = 0; i < r->ncandidates; i++) {
		const struct match_candidate *c = &r->candidates[i];
		int drop = 0;
		if (c->target == MATCH_TARGET_CASE)
			for (size_t j = 0; j < r->ncandidates; j++)
				if (r->candidates[j].target ==
					    MATCH_TARGET_INVOICE &&
				    r->candidates[j].case_id == c->id)
					drop = 1;
		if (!drop)
			r->candidates[k++] = *c;
	}
	r->ncandidates_all -= r->ncandidates - k;
	r->ncandidates = k;
}

/* Several invoices named by number: one customer and currency -> that
 * customer's oldest named invoice (the allocation then takes the others);
 * else review. */
static void decide_numbers(struct match_result *r,
			   const struct match_payment *p)
{
	const struct match_candidate *best = &r->candidates[0];

	for (size_t i = 0; i < r->ncandidates; i++) {
		const struct match_candidate *c = &r->candidates[i];
		if (c->customer_id != best->customer_id ||
		    strcmp(c->currency, best->currency) != 0 ||
		    r->ncandidates_all > r->ncandidates) {
			review(r, "invoice_number",
			       "the text names %zu invoices of different "
			       "customers or currencies",
			       r->ncandidates_all);
			return;
		}
	}
	/* the oldest due date among the named ones */
	for (size_t i = 1; i < r->ncandidates; i++) {
		const struct match_candidate *c = &r->candidates[i];
		if (c->due_date != DATE_NONE &&
		    (best->due_date == DATE_NONE ||
		     c->due_date < best->due_date ||
		     (c->due_date == best->due_date && c->id < best->id)))
			best = c;
	}
	{
		struct match_candidate first = *best;
		size_t bi = (size_t)(best - r->candidates);
		r->candidates[bi] = r->candidates[0];
		r->candidates[0] = first;
	}
	decide_one(r, "invoice_number", p);
}

int match_payment(const struct match_index *idx, const struct match_payment *p,
		  struct match_result *ret, struct err *e)
{
	struct match_result *r = ret;
	struct tok t[TEXT_TOKENS_MAX];
	char notes[MATCH_REASON_MAX], rf[RF_BUF], key[MATCH_KEY_MAX + 1];
	char q[ERR_QUOTE_BUF];
	const struct hent *h;
	size_t nt = 0, ci, len;
	int strd_rf = 0;

	clear(r);
	notes[0] = '\0';
	if (!p->currency || !currency_find(p->currency))
		return err_set(e, ERR_INVALID,
			       "payment: currency \"%s\" is not an ISO 4217 "
			       "code",
			       err_quote(p->currency ? p->currency : "", q));
	if (p->ustrd)
		nt = tokenize(p->ustrd, t, TEXT_TOKENS_MAX);

	/* (a) RF reference naming an open case. */
	if (p->ref_strd && p->ref_strd[0]) {
		int x = rf_lookup(idx, p->ref_strd, &ci, rf);
		if (x > 0) {
			add_case(idx, r, ci);
			decide_one(r, "rf", p);
			return 0;
		}
		if (x == 0) {
			strd_rf = 1;
			note(notes, sizeof(notes),
			     "RF reference %s names no open case", rf);
		}
	}
	if (!strd_rf && nt && rf_in_text(idx, t, nt, r, notes, sizeof(notes))) {
		if (r->ncandidates_all == 1) {
			decide_one(r, "rf", p);
		} else {
			review(r, "rf",
			       "the text holds RF references of %zu open cases",
			       r->ncandidates_all);
		}
		return 0;
	}

	/* (b) Dutch payment reference naming an invoice. */
	if (p->ref_strd && p->ref_strd[0] && !strd_rf) {
		char d[17];
		if (nl_digits(p->ref_strd, d) == 0) {
			if (match_nl_check_digit(d + 1) != d[0] - '0') {
				note(notes, sizeof(notes),
				     "payment reference %s: wrong check digit",
				     d);
			} else if ((h = hmap_get(&idx->by_ref, d, 16))) {
				for (uint32_t l = h->head; l;
				     l = idx->by_ref.links[l - 1].next)
					add_inv(idx, r,
						(size_t)idx->by_ref.links[l - 1].val);
				if (r->ncandidates_all == 1)
					decide_one(r, "nl_ref", p);
				else
					review(r, "nl_ref",
					       "payment reference %s is on %zu "
					       "open invoices",
					       d, r->ncandidates_all);
				return 0;
			} else {
				note(notes, sizeof(notes),
				     "payment reference %s names no open "
				     "invoice",
				     d);
			}
		}
	}

	/* (c) invoice numbers in the text. */
	if (nt) {
		numbers_in_text(idx, t, nt, r);
		if (r->ncandidates_all == 1) {
			decide_one(r, "invoice_number", p);
			return 0;
		}
		if (r->ncandidates_all > 1) {
			decide_numbers(r, p);
			return 0;
		}
	}

	/* (d) amount and a payer seen before: IBAN, else name. */
	h = NULL;
	if (p->debtor_iban && compact_key(p->debtor_iban, key, &len) == 0 &&
	    len && (h = hmap_get(&idx->by_iban, key, len))) {
		amount_candidates(idx, &idx->by_iban, h, p->amount, r);
		if (r->ncandidates_all == 1) {
			decide_one(r, "amount_iban", p);
			return 0;
		}
		if (h->count == 1)
			r->customer_id = idx->by_iban.links[h->head - 1].val;
		if (r->ncandidates_all > 1)
			review(r, "amount_iban",
			       "%zu open invoices or cases of the payer's "
			       "customer(s) have this amount",
			       r->ncandidates_all);
		else
			review(r, "amount_iban",
			       "the payer's account is known, but no open "
			       "invoice or case has this amount%s%s",
			       notes[0] ? "; " : "", notes);
		return 0;
	}
	if (p->debtor_name && fold_name(idx, p->debtor_name, key, &len) == 0 &&
	    len && (h = hmap_get(&idx->by_name, key, len))) {
		amount_candidates(idx, &idx->by_name, h, p->amount, r);
		if (r->ncandidates_all == 1) {
			decide_one(r, "amount_name", p);
			return 0;
		}
		if (h->count == 1)
			r->customer_id = idx->by_name.links[h->head - 1].val;
		if (r->ncandidates_all > 1)
			review(r, "amount_name",
			       "%zu open invoices or cases of the payer's "
			       "customer(s) have this amount",
			       r->ncandidates_all);
		else
			review(r, "amount_name",
			       "the payer's name is known, but no open "
			       "invoice or case has this amount%s%s",
			       notes[0] ? "; " : "", notes);
		return 0;
	}
	if (notes[0]) {
		review(r, NULL, "%s", notes);
		return 0;
	}
	r->kind = MATCH_NONE;
	snprintf(r->reason, sizeof(r->reason),
		 "no reference, invoice number or known payer");
	return 0;
}
