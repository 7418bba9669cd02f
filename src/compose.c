/*
 * compose: one decided contact → the message the customer receives.
 *
 * Templates are found by (tenant, locale chain, id, plain variant) with a
 * tone fallback (docs/messages.md), compiled once per thread against the
 * variable schema below — so an unknown variable is an error at load time,
 * naming file:line — and cached. Values are filled per message into an
 * arena, formatted for the customer's locale by i18n. The parts are then
 * rendered for the channel: the e-mail's HTML is made from the same body as
 * its text (tmpl_text_to_html), placed in templates/layout.tmpl; SMS text
 * goes through sms_prepare (GSM-7, segments); letters through
 * render_letter; voice through render_voice.
 *
 * Never writes to the store and never sends: callers decide what to do
 * with the output.
 */
#include "compose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "embed.h"
#include "fee.h"
#include "i18n.h"
#include "mem.h"
#include "money.h"
#include "qr.h"
#include "render_email.h"
#include "render_letter.h"
#include "render_voice.h"
#include "tmpl.h"

#define OUT_TEXT_MAX (64 * 1024)      /* any one rendered part */
#define OUT_DOC_MAX (8 * 1024 * 1024) /* .eml, PDF or WAV */
#define CACHE_SLOTS 512               /* compiled templates per thread */
#define FIELD_MAX 96                  /* a formatted amount or date */

/* ---- The variables (docs/messages.md) ---------------------------------- */

enum inv_var {
	I_NUMBER, I_ISSUE_DATE, I_DUE_DATE, I_AMOUNT, I_OPEN, I_DAYS_OVERDUE,
	I_DAYS_OVERDUE_ONE, I_IS_OVERDUE, I__COUNT
};

static const struct tmpl_field invoice_fields[I__COUNT] = {
	[I_NUMBER] = { "number", TMPL_TEXT, 0, NULL },
	[I_ISSUE_DATE] = { "issue_date", TMPL_TEXT, 0, NULL },
	[I_DUE_DATE] = { "due_date", TMPL_TEXT, 0, NULL },
	[I_AMOUNT] = { "amount", TMPL_TEXT, 0, NULL },
	[I_OPEN] = { "open", TMPL_TEXT, 0, NULL },
	[I_DAYS_OVERDUE] = { "days_overdue", TMPL_TEXT, 0, NULL },
	[I_DAYS_OVERDUE_ONE] = { "days_overdue_one", TMPL_BOOL, 0, NULL },
	[I_IS_OVERDUE] = { "is_overdue", TMPL_BOOL, 0, NULL },
};
static const struct tmpl_schema invoice_schema = { invoice_fields, I__COUNT };

enum plan_var { P_N, P_DUE_DATE, P_AMOUNT, P__COUNT };

static const struct tmpl_field plan_fields[P__COUNT] = {
	[P_N] = { "n", TMPL_TEXT, 0, NULL },
	[P_DUE_DATE] = { "due_date", TMPL_TEXT, 0, NULL },
	[P_AMOUNT] = { "amount", TMPL_TEXT, 0, NULL },
};
static const struct tmpl_schema plan_schema = { plan_fields, P__COUNT };

#define VARS(X)                                                               \
	X(CUSTOMER_NAME, "customer_name", TMPL_TEXT)                          \
	X(COMPANY_NAME, "company_name", TMPL_TEXT)                            \
	X(COMPANY_EMAIL, "company_email", TMPL_TEXT)                          \
	X(COMPANY_PHONE, "company_phone", TMPL_TEXT)                          \
	X(COMPANY_WEBSITE, "company_website", TMPL_TEXT)                      \
	X(COMPANY_ADDRESS, "company_address", TMPL_TEXT)                      \
	X(HELP_PHONE, "help_phone", TMPL_TEXT)                                \
	X(HELP_EMAIL, "help_email", TMPL_TEXT)                                \
	X(HELP_HOURS, "help_hours", TMPL_TEXT)                                \
	X(HAS_HELP_PHONE, "has_help_phone", TMPL_BOOL)                        \
	X(TOTAL_OPEN, "total_open", TMPL_TEXT)                                \
	X(FEES, "fees", TMPL_TEXT)                                            \
	X(HAS_FEES, "has_fees", TMPL_BOOL)                                    \
	X(TOTAL_DUE, "total_due", TMPL_TEXT)                                  \
	X(FEE_NEW, "fee_new", TMPL_TEXT)                                      \
	X(HAS_FEE_NEW, "has_fee_new", TMPL_BOOL)                              \
	X(NEXT_FEE_DATE, "next_fee_date", TMPL_TEXT)                          \
	X(WIK_COSTS, "wik_costs", TMPL_TEXT)                                  \
	X(INTEREST_RATE, "interest_rate", TMPL_TEXT)                          \
	X(PAY_BY, "pay_by", TMPL_TEXT)                                        \
	X(TODAY, "today", TMPL_TEXT)                                          \
	X(DAYS_OVERDUE, "days_overdue", TMPL_TEXT)                            \
	X(DAYS_OVERDUE_ONE, "days_overdue_one", TMPL_BOOL)                    \
	X(INVOICE_COUNT, "invoice_count", TMPL_TEXT)                          \
	X(INVOICE_COUNT_ONE, "invoice_count_one", TMPL_BOOL)                  \
	X(HAS_INVOICES, "has_invoices", TMPL_BOOL)                            \
	X(FIRST_INVOICE_NUMBER, "first_invoice_number", TMPL_TEXT)            \
	X(FIRST_DUE_DATE, "first_due_date", TMPL_TEXT)                        \
	X(PAY_LINK, "pay_link", TMPL_TEXT)                                    \
	X(SHORT_LINK, "short_link", TMPL_TEXT)                                \
	X(HAS_BANK, "has_bank", TMPL_BOOL)                                    \
	X(BENEFICIARY, "beneficiary", TMPL_TEXT)                              \
	X(IBAN, "iban", TMPL_TEXT)                                            \
	X(BIC, "bic", TMPL_TEXT)                                              \
	X(REFERENCE, "reference", TMPL_TEXT)                                  \
	X(QR_SRC, "qr_src", TMPL_TEXT)                                        \
	X(HAS_QR, "has_qr", TMPL_BOOL)                                        \
	X(HAS_OFFER, "has_offer", TMPL_BOOL)                                  \
	X(OFFER_TEXT, "offer_text", TMPL_TEXT)                                \
	X(OFFER_LINK, "offer_link", TMPL_TEXT)                                \
	X(HAS_DEBT_ADVICE, "has_debt_advice", TMPL_BOOL)                      \
	X(DEBT_ADVICE_NAME, "debt_advice_name", TMPL_TEXT)                    \
	X(DEBT_ADVICE_PHONE, "debt_advice_phone", TMPL_TEXT)                  \
	X(DEBT_ADVICE_URL, "debt_advice_url", TMPL_TEXT)                      \
	X(PAID_AMOUNT, "paid_amount", TMPL_TEXT)                              \
	X(PROMISE_DATE, "promise_date", TMPL_TEXT)                            \
	X(PLAN_COUNT, "plan_count", TMPL_TEXT)                                \
	X(INSTALMENT_AMOUNT, "instalment_amount", TMPL_TEXT)                  \
	X(INSTALMENT_DUE_DATE, "instalment_due_date", TMPL_TEXT)              \
	X(SERVICE_NAME, "service_name", TMPL_TEXT)                            \
	X(IS_BUSINESS, "is_business", TMPL_BOOL)                              \
	X(LANG, "lang", TMPL_TEXT)                                            \
	X(SUBJECT, "subject", TMPL_TEXT)                                      \
	X(BRAND_COLOR, "brand_color", TMPL_TEXT)

enum var {
#define X(id, name, kind) V_##id,
	VARS(X)
#undef X
	V_INVOICES,
	V_PLAN,
	V_CONTENT,
	V__COUNT
};

static const struct tmpl_field message_fields[V__COUNT] = {
#define X(id, name, kind) [V_##id] = { name, kind, 0, NULL },
	VARS(X)
#undef X
	[V_INVOICES] = { "invoices", TMPL_LIST, 0, &invoice_schema },
	[V_PLAN] = { "plan", TMPL_LIST, 0, &plan_schema },
	/* The HTML body inside the layout: made by this module from a
	 * template whose variables were all escaped, so it may go out raw. */
	[V_CONTENT] = { "content", TMPL_TEXT, TMPL_RAW_OK, NULL },
};
static const struct tmpl_schema message_schema = { message_fields, V__COUNT };

/* ---- Free debt advice per country -------------------------------------- */

/* Public, free, independent debt-advice services a reminder may point to
 * (shown by the `help` block when the customer's country is listed). */
static const struct debt_advice debt_advice[] = {
	{ "NL", "Geldfit", "0800 8115", "https://www.geldfit.nl" },
	{ "BE", "CAW (Centrum Algemeen Welzijnswerk)", "0800 13 500",
	  "https://www.caw.be" },
	{ "DE", "Verbraucherzentrale Schuldnerberatung", "",
	  "https://www.verbraucherzentrale.de" },
	{ "FR", "Point conseil budget", "",
	  "https://www.economie.gouv.fr/particuliers/points-conseil-budget" },
	{ "GB", "MoneyHelper", "0800 138 7777",
	  "https://www.moneyhelper.org.uk" },
	{ "IE", "MABS", "0818 07 2000", "https://www.mabs.ie" },
};

const struct debt_advice *compose_debt_advice(const char *country)
{
	for (size_t i = 0; country && i < sizeof(debt_advice) /
						 sizeof(debt_advice[0]);
	     i++)
		if (strcmp(debt_advice[i].country, country) == 0)
			return &debt_advice[i];
	return NULL;
}

/* ---- The template cache ------------------------------------------------ */

enum part {
	PART_SUBJECT, PART_TEXT, PART_HTML, PART_LETTER, PART_SMS, PART_VOICE,
	PART__COUNT
};

struct entry {
	char key[COMPOSE_SOURCE_MAX];     /* the request: tenant|locale|id|... */
	char source[COMPOSE_SOURCE_MAX];  /* the file found */
	char locale[COMPOSE_LOCALE_MAX];  /* its locale */
	int plain;                        /* the plain variant was found */
	struct tmpl *part[PART__COUNT];   /* NULL when the file lacks it */
	uint64_t uses[PART__COUNT];       /* bit v: the part shows variable v */
};

_Static_assert(V__COUNT <= 64, "a uint64_t holds one bit per variable");

/* The variables a compiled template shows, as a bit set. */
static uint64_t uses_of(const struct tmpl *t)
{
	uint64_t m = 0;
	for (size_t v = 0; t && v < V__COUNT; v++)
		if (tmpl_uses(t, v))
			m |= (uint64_t)1 << v;
	return m;
}

struct compose {
	struct store *store;              /* tenant templates; may be NULL */
	struct i18n *i18n;
	struct tmpl *layout;              /* templates/layout.tmpl @html */
	struct entry *slots[CACHE_SLOTS]; /* open addressing by key hash */
	size_t n_entries;
};

static uint64_t hash_key(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void entry_free(struct entry *en)
{
	if (!en)
		return;
	for (int i = 0; i < PART__COUNT; i++)
		tmpl_free(en->part[i]);
	free(en);
}

struct compose *compose_new(struct store *s)
{
	struct compose *c = xcalloc(1, sizeof(*c));
	c->store = s;
	c->i18n = i18n_new();
	return c;
}

void compose_free(struct compose *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		entry_free(c->slots[i]);
	tmpl_free(c->layout);
	i18n_free(c->i18n);
	free(c);
}

void compose_output_init(struct compose_output *o)
{
	memset(o, 0, sizeof(*o));
	buf_init(&o->subject, OUT_TEXT_MAX);
	buf_init(&o->text, OUT_TEXT_MAX);
	buf_init(&o->html, OUT_TEXT_MAX);
	buf_init(&o->document, OUT_DOC_MAX);
}

void compose_output_free(struct compose_output *o)
{
	if (!o)
		return;
	buf_free(&o->subject);
	buf_free(&o->text);
	buf_free(&o->html);
	buf_free(&o->document);
}

/* ---- Finding and compiling templates ----------------------------------- */

/* Where a block's source comes from during one compile. */
struct partial_ctx {
	const char *blocks_name;  /* "templates/nl/_blocks.tmpl" */
	const struct tmpl_part *parts;
	size_t n_parts;
	const char *mode;         /* "text", "html" or "letter" */
	char name[96];            /* scratch: "<block>.<mode>" */
};

static int find_partial(void *vctx, const char *name, const char **ret_src,
			size_t *ret_len, const char **ret_srcname,
			int *ret_first_line, struct err *e)
{
	struct partial_ctx *p = vctx;
	for (int attempt = 0; attempt < 2; attempt++) {
		/* letters fall back to the text version of a block */
		const char *mode = attempt == 0 ? p->mode : "text";
		if (attempt == 1 && strcmp(p->mode, "letter") != 0)
			break;
		snprintf(p->name, sizeof(p->name), "%s.%s", name, mode);
		for (size_t i = 0; i < p->n_parts; i++) {
			if (strcmp(p->parts[i].name, p->name) != 0)
				continue;
			*ret_src = p->parts[i].src;
			*ret_len = p->parts[i].len;
			*ret_srcname = p->blocks_name;
			*ret_first_line = p->parts[i].first_line;
			return 0;
		}
	}
	return err_set(e, ERR_NOTFOUND, "no block '%s' (for %s) in %s", name,
		       p->mode, p->blocks_name);
}

static int compile_part(const char *srcname, const struct tmpl_part *p,
			struct partial_ctx *pc, struct tmpl **ret,
			struct err *e)
{
	return tmpl_compile(srcname, p->first_line, p->src, p->len,
			    &message_schema, find_partial, pc, ret, e);
}

/* The style of a paragraph in the e-mail's HTML body. */
#define HTML_P "<p style=\"margin:0 0 16px 0;font-size:16px;line-height:1.5\">"

/* Compile every part of one template file into en->part[]. The blocks
 * come from `blocks` (a _blocks.tmpl file of the same locale). */
static int compile_file(const char *srcname, const char *text, size_t len,
			const char *blocks_name, const char *blocks,
			size_t blocks_len, struct entry *en, struct err *e)
{
	struct tmpl_part parts[TMPL_PARTS_MAX], bparts[TMPL_PARTS_MAX];
	size_t n = 0, nb = 0;
	struct partial_ctx pc = { blocks_name, bparts, 0, "text", "" };
	const struct tmpl_part *body, *p;
	struct buf html_src;
	int r;

	r = tmpl_file_parts(srcname, text, len, parts, &n, e);
	if (r < 0)
		return r;
	r = tmpl_file_parts(blocks_name, blocks, blocks_len, bparts, &nb, e);
	if (r < 0)
		return r;
	pc.n_parts = nb;
	for (size_t i = 0; i < n; i++) {
		static const char *const known[] = {
			"subject", "body", "html", "letter", "sms", "voice",
		};
		int ok = 0;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= strcmp(parts[i].name, known[k]) == 0;
		if (!ok)
			return err_set(e, ERR_INVALID,
				       "%s:%d: unknown part '@%s' (expected"
				       " @subject, @body, @html, @letter, @sms"
				       " or @voice)", srcname,
				       parts[i].first_line - 1, parts[i].name);
	}
	body = tmpl_part_find(parts, n, "body");
	if (!tmpl_part_find(parts, n, "subject") || !body ||
	    !tmpl_part_find(parts, n, "sms"))
		return err_set(e, ERR_INVALID,
			       "%s: a template needs at least @subject, @body"
			       " and @sms", srcname);

	r = compile_part(srcname, tmpl_part_find(parts, n, "subject"), &pc,
			 &en->part[PART_SUBJECT], e);
	if (r == 0)
		r = compile_part(srcname, body, &pc, &en->part[PART_TEXT], e);
	if (r == 0)
		r = compile_part(srcname, tmpl_part_find(parts, n, "sms"), &pc,
				 &en->part[PART_SMS], e);
	if (r == 0 && (p = tmpl_part_find(parts, n, "voice")))
		r = compile_part(srcname, p, &pc, &en->part[PART_VOICE], e);
	if (r == 0) {
		pc.mode = "letter";
		p = tmpl_part_find(parts, n, "letter");
		r = compile_part(srcname, p ? p : body, &pc,
				 &en->part[PART_LETTER], e);
	}
	if (r < 0)
		return r;
	pc.mode = "html";
	p = tmpl_part_find(parts, n, "html");
	if (p)
		return compile_part(srcname, p, &pc, &en->part[PART_HTML], e);
	/* The HTML body is made from the text body: same wording, same
	 * variables, escaped, in paragraphs. */
	buf_init(&html_src, TMPL_MAX_SRC);
	r = tmpl_text_to_html(body->src, body->len, HTML_P, &html_src, e);
	if (r == 0) {
		struct tmpl_part hp = *body;
		hp.src = buf_cstr(&html_src);
		hp.len = html_src.len;
		r = compile_part(srcname, &hp, &pc, &en->part[PART_HTML], e);
	}
	buf_free(&html_src);
	return r;
}

/* The built-in blocks for a locale, or English ones. */
static const struct embedded_file *blocks_for(const char *locale,
					      char name[COMPOSE_SOURCE_MAX])
{
	const struct embedded_file *f;
	snprintf(name, COMPOSE_SOURCE_MAX, "templates/%s/_blocks.tmpl", locale);
	f = embed_find(name);
	if (!f) {
		snprintf(name, COMPOSE_SOURCE_MAX, "templates/en/_blocks.tmpl");
		f = embed_find(name);
	}
	return f;
}

/* Try one (locale, id, variant): the tenant's own file, then the built-in
 * one. 1 and `en` filled when found, 0 when neither exists. */
static int try_template(struct compose *c, int64_t tenant_id,
			const char *locale, const char *id, int plain,
			struct entry *en, struct err *e)
{
	char name[COMPOSE_SOURCE_MAX], bname[COMPOSE_SOURCE_MAX];
	const struct embedded_file *f, *blocks;
	char *own = NULL;
	int r;

	blocks = blocks_for(locale, bname);
	if (!blocks)
		return err_set(e, ERR_NOTFOUND, "no built-in template blocks"
			       " (templates/en/_blocks.tmpl)");
	if (c->store && tenant_id > 0) {
		r = store_template_get(c->store, tenant_id, locale, id,
				       plain ? "plain" : "", &own, e);
		if (r < 0 && r != -ERR_NOTFOUND)
			return r;
		if (r == 0) {
			snprintf(name, sizeof(name), "tenant:%s/%s%s.tmpl",
				 locale, id, plain ? ".plain" : "");
			r = compile_file(name, own, strlen(own), bname,
					 blocks->data, blocks->len, en, e);
			free(own);
			goto found;
		}
	}
	snprintf(name, sizeof(name), "templates/%s/%s%s.tmpl", locale, id,
		 plain ? ".plain" : "");
	f = embed_find(name);
	if (!f)
		return 0;
	r = compile_file(name, f->data, f->len, bname, blocks->data,
			 blocks->len, en, e);
found:
	if (r < 0)
		return r;
	snprintf(en->source, sizeof(en->source), "%s", name);
	snprintf(en->locale, sizeof(en->locale), "%s", locale);
	en->plain = plain;
	return 1;
}

static const char *tone_template(enum tone t)
{
	switch (t) {
	case TONE_FORMAL:
		return "formal_reminder";
	case TONE_FINAL:
		return "final_notice";
	case TONE_FRIENDLY:
		break;
	}
	return "friendly_reminder";
}

/* The compiled template for a message, from the cache or found now. */
static int lookup(struct compose *c, const struct compose_input *in,
		  const char *locale, int plain, const struct entry **ret,
		  struct err *e)
{
	char key[COMPOSE_SOURCE_MAX];
	char chain[6][I18N_TAG_MAX];
	const char *ids[2];
	size_t n_chain = 0, slot;
	struct entry *en;
	int r = 0;

	snprintf(key, sizeof(key), "%lld|%s|%s|%d|%d",
		 (long long)in->tenant->id, locale,
		 in->template_id ? in->template_id : "", (int)in->tone, plain);
	slot = hash_key(key) % CACHE_SLOTS;
	for (size_t i = 0; i < CACHE_SLOTS && c->slots[slot];
	     i++, slot = (slot + 1) % CACHE_SLOTS) {
		if (strcmp(c->slots[slot]->key, key) == 0) {
			*ret = c->slots[slot];
			return 0;
		}
	}
	if (c->n_entries >= CACHE_SLOTS * 3 / 4)
		return err_set(e, ERR_TOOBIG, "more than %d templates in use",
			       CACHE_SLOTS * 3 / 4);

	r = i18n_chain(locale, in->tenant->locale, chain, 5, &n_chain, e);
	if (r < 0)
		return r;
	if (strcmp(chain[n_chain - 1], "en") != 0)
		snprintf(chain[n_chain++], I18N_TAG_MAX, "en");
	ids[0] = in->template_id ? in->template_id : tone_template(in->tone);
	ids[1] = tone_template(in->tone);

	en = xcalloc(1, sizeof(*en));
	snprintf(en->key, sizeof(en->key), "%s", key);
	r = 0;
	for (int i = 0; i < 2 && r == 0; i++) {
		if (i == 1 && strcmp(ids[0], ids[1]) == 0)
			break;
		for (size_t k = 0; k < n_chain && r == 0; k++) {
			if (plain)
				r = try_template(c, in->tenant->id, chain[k],
						 ids[i], 1, en, e);
			if (r == 0)
				r = try_template(c, in->tenant->id, chain[k],
						 ids[i], 0, en, e);
		}
	}
	if (r <= 0) {
		entry_free(en);
		return r < 0 ? r
			     : err_set(e, ERR_NOTFOUND,
				       "no template '%s' in any of the"
				       " customer's languages", ids[0]);
	}
	for (int p = 0; p < PART__COUNT; p++)
		en->uses[p] = uses_of(en->part[p]);
	c->slots[slot] = en;
	c->n_entries++;
	*ret = en;
	return 0;
}

static int load_layout(struct compose *c, struct err *e)
{
	const char *name = "templates/layout.tmpl";
	const struct embedded_file *f = embed_find(name);
	struct tmpl_part parts[TMPL_PARTS_MAX];
	const struct tmpl_part *p;
	size_t n = 0;
	int r;

	if (c->layout)
		return 0;
	if (!f)
		return err_set(e, ERR_NOTFOUND, "no %s", name);
	r = tmpl_file_parts(name, f->data, f->len, parts, &n, e);
	if (r < 0)
		return r;
	p = tmpl_part_find(parts, n, "html");
	if (!p)
		return err_set(e, ERR_INVALID, "%s: no @html part", name);
	return tmpl_compile(name, p->first_line, p->src, p->len,
			    &message_schema, NULL, NULL, &c->layout, e);
}

/* ---- Filling the variables --------------------------------------------- */

struct fill {
	struct arena *arena;
	struct i18n *i18n;
	const char *locale;          /* for formatting: the customer's own */
	const struct currency *cur;
	uint64_t need;               /* bit v: variable v is shown */
	struct tmpl_value v[V__COUNT];
};

#define NEED(f, var) ((f)->need & ((uint64_t)1 << (var)))

static void set_text(struct tmpl_value *v, const char *s)
{
	v->s = s ? s : "";
	v->len = strlen(v->s);
}

static void set_bool(struct tmpl_value *v, int truth)
{
	v->truth = truth;
}

static int fmt_money(struct fill *f, struct tmpl_value *v, int64_t minor,
		     struct err *e)
{
	char *out = arena_alloc(f->arena, FIELD_MAX);
	int r = i18n_money(f->i18n, f->locale, minor, f->cur->code, out,
			   FIELD_MAX, e);
	if (r == 0)
		set_text(v, out);
	return r;
}

static int fmt_date(struct fill *f, struct tmpl_value *v, date_t d,
		    struct err *e)
{
	char *out = arena_alloc(f->arena, FIELD_MAX);
	int r;
	if (d == DATE_NONE) {
		set_text(v, "");
		return 0;
	}
	r = i18n_date(f->i18n, f->locale, d, I18N_DATE_LONG, out, FIELD_MAX,
		      e);
	if (r == 0)
		set_text(v, out);
	return r;
}

static int fmt_count(struct fill *f, struct tmpl_value *text,
		     struct tmpl_value *one, int64_t n, struct err *e)
{
	char *out = arena_alloc(f->arena, FIELD_MAX);
	const char *cat = "other";
	int r = i18n_number(f->i18n, f->locale, n, out, FIELD_MAX, e);
	if (r == 0)
		r = i18n_plural(f->i18n, f->locale, n, &cat, e);
	if (r < 0)
		return r;
	set_text(text, out);
	set_bool(one, strcmp(cat, "one") == 0);
	return 0;
}

static int has_segment(const char *segments, const char *want)
{
	size_t n = strlen(want);
	for (const char *p = segments; p && *p;) {
		size_t len = strcspn(p, " ");
		if (len == n && strncmp(p, want, n) == 0)
			return 1;
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

/* Does the offer apply to a customer with these segments? */
static int offer_applies(const struct profile *pr, const char *segments)
{
	const char *p = pr->offer_segments;
	char one[64];
	if (!*pr->offer_text)
		return 0;
	if (!*p)
		return 1;
	while (*p) {
		size_t len = strcspn(p, " ");
		if (len > 0 && len < sizeof(one)) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (has_segment(segments, one))
				return 1;
		}
		p += len;
		p += strspn(p, " ");
	}
	return 0;
}

/* The case's payment reference: an ISO 11649 RF reference made from the
 * case id, so a transfer names the case it pays (#7 matches on it). */
static int case_reference(struct fill *f, int64_t case_id,
			  struct tmpl_value *v, char *raw, size_t raw_cap,
			  struct err *e)
{
	char base[24], *out = arena_alloc(f->arena, FIELD_MAX);
	int r;
	snprintf(base, sizeof(base), "%lld", (long long)case_id);
	r = rf_make(base, raw, raw_cap, e);
	if (r < 0)
		return r;
	r = rf_format_print(raw, out, FIELD_MAX, e);
	if (r == 0)
		set_text(v, out);
	return r;
}

static int fill_invoices(struct fill *f, const struct compose_input *in,
			 struct err *e)
{
	struct tmpl_value *items;
	int r = 0;

	items = arena_alloc(f->arena, sizeof(*items) * I__COUNT *
					      (in->n_invoices ? in->n_invoices
							      : 1));
	for (size_t i = 0; i < in->n_invoices && r == 0; i++) {
		const struct invoice_rec *inv = &in->invoices[i];
		struct tmpl_value *it = &items[i * I__COUNT];
		int64_t late = in->today - inv->due_date;
		set_text(&it[I_NUMBER], inv->number);
		r = fmt_date(f, &it[I_ISSUE_DATE], inv->issue_date, e);
		if (r == 0)
			r = fmt_date(f, &it[I_DUE_DATE], inv->due_date, e);
		if (r == 0)
			r = fmt_money(f, &it[I_AMOUNT], inv->amount_minor, e);
		if (r == 0)
			r = fmt_money(f, &it[I_OPEN], inv->open_minor, e);
		if (r == 0)
			r = fmt_count(f, &it[I_DAYS_OVERDUE],
				      &it[I_DAYS_OVERDUE_ONE],
				      late > 0 ? late : 0, e);
		set_bool(&it[I_IS_OVERDUE], late > 0);
	}
	f->v[V_INVOICES].items = items;
	f->v[V_INVOICES].n_items = in->n_invoices;
	return r;
}

static int fill_plan(struct fill *f, const struct compose_input *in,
		     struct err *e)
{
	size_t n = in->n_plan < COMPOSE_PLAN_MAX ? in->n_plan
						  : COMPOSE_PLAN_MAX;
	struct tmpl_value *items =
		arena_alloc(f->arena, sizeof(*items) * P__COUNT * (n ? n : 1));
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++) {
		struct tmpl_value *it = &items[i * P__COUNT];
		char *num = arena_alloc(f->arena, 8);
		snprintf(num, 8, "%zu", i + 1);
		set_text(&it[P_N], num);
		r = fmt_date(f, &it[P_DUE_DATE], in->plan[i].due, e);
		if (r == 0)
			r = fmt_money(f, &it[P_AMOUNT], in->plan[i].amount_minor,
				      e);
	}
	f->v[V_PLAN].items = items;
	f->v[V_PLAN].n_items = n;
	if (r == 0 && n > 0) {
		r = fmt_money(f, &f->v[V_INSTALMENT_AMOUNT],
			      in->plan[0].amount_minor, e);
		if (r == 0)
			r = fmt_date(f, &f->v[V_INSTALMENT_DUE_DATE],
				     in->plan[0].due, e);
	}
	if (r == 0) {
		char *cnt = arena_alloc(f->arena, 8);
		snprintf(cnt, 8, "%zu", n);
		set_text(&f->v[V_PLAN_COUNT], cnt);
	}
	return r;
}

/* Every variable of the schema, from the input. */
static int fill_values(struct compose *c, struct fill *f,
		       const struct compose_input *in, const char *lang,
		       char *rf_raw, size_t rf_cap, struct err *e)
{
	const struct profile *pr = in->profile;
	const struct customer_rec *cu = in->customer;
	struct tmpl_value *v = f->v;
	int64_t open = 0, total = 0, oldest_late = 0;
	const struct invoice_rec *first = NULL;
	date_t pay_by;
	int r;

	memset(v, 0, sizeof(f->v));
	for (size_t i = 0; i < in->n_invoices; i++) {
		const struct invoice_rec *inv = &in->invoices[i];
		if (money_add(open, inv->open_minor, &open) < 0)
			return err_set(e, ERR_RANGE, "open amount overflows");
		if (!first || inv->due_date < first->due_date)
			first = inv;
	}
	if (money_add(open, in->fees_minor, &total) < 0)
		return err_set(e, ERR_RANGE, "total amount overflows");
	if (first && in->today > first->due_date)
		oldest_late = in->today - first->due_date;
	pay_by = in->pay_by != DATE_NONE ? in->pay_by : in->today + 14;

	set_text(&v[V_CUSTOMER_NAME], cu->name);
	set_text(&v[V_COMPANY_NAME], in->tenant->name);
	set_text(&v[V_COMPANY_EMAIL], pr->email);
	set_text(&v[V_COMPANY_PHONE], pr->phone);
	set_text(&v[V_COMPANY_WEBSITE], pr->website);
	set_text(&v[V_COMPANY_ADDRESS], pr->address);
	set_text(&v[V_HELP_PHONE], *pr->help_phone ? pr->help_phone
						   : pr->phone);
	set_text(&v[V_HELP_EMAIL], *pr->help_email ? pr->help_email
						   : pr->email);
	set_text(&v[V_HELP_HOURS], pr->help_hours);
	set_bool(&v[V_HAS_HELP_PHONE], v[V_HELP_PHONE].len > 0);
	set_text(&v[V_INTEREST_RATE], in->interest_rate);
	set_text(&v[V_SERVICE_NAME], in->service_name);
	set_text(&v[V_LANG], lang);
	set_text(&v[V_BRAND_COLOR], pr->brand_color);
	set_bool(&v[V_IS_BUSINESS], has_segment(cu->segments, "business"));
	set_bool(&v[V_HAS_FEES], in->fees_minor > 0);
	set_bool(&v[V_HAS_FEE_NEW], in->fee_new_minor > 0);
	set_bool(&v[V_HAS_INVOICES], in->n_invoices > 0);

	/* Formatting is most of the work: only what the parts show. */
	r = 0;
	if (r == 0 && NEED(f, V_TOTAL_OPEN))
		r = fmt_money(f, &v[V_TOTAL_OPEN], open, e);
	if (r == 0 && NEED(f, V_FEES))
		r = fmt_money(f, &v[V_FEES], in->fees_minor, e);
	if (r == 0 && NEED(f, V_TOTAL_DUE))
		r = fmt_money(f, &v[V_TOTAL_DUE], total, e);
	if (r == 0 && NEED(f, V_FEE_NEW))
		r = fmt_money(f, &v[V_FEE_NEW], in->fee_new_minor, e);
	if (r == 0 && NEED(f, V_PAID_AMOUNT))
		r = fmt_money(f, &v[V_PAID_AMOUNT], in->paid_minor, e);
	/* Dutch collection costs apply to euro amounts only. */
	if (r == 0 && NEED(f, V_WIK_COSTS) && strcmp(f->cur->code, "EUR") == 0)
		r = fmt_money(f, &v[V_WIK_COSTS], fee_wik_cents(open), e);
	if (r == 0 && NEED(f, V_NEXT_FEE_DATE))
		r = fmt_date(f, &v[V_NEXT_FEE_DATE], in->next_fee_date, e);
	if (r == 0 && NEED(f, V_PAY_BY))
		r = fmt_date(f, &v[V_PAY_BY], pay_by, e);
	if (r == 0 && NEED(f, V_TODAY))
		r = fmt_date(f, &v[V_TODAY], in->today, e);
	if (r == 0 && NEED(f, V_PROMISE_DATE))
		r = fmt_date(f, &v[V_PROMISE_DATE], in->promise_date, e);
	if (r == 0 && NEED(f, V_FIRST_DUE_DATE))
		r = fmt_date(f, &v[V_FIRST_DUE_DATE],
			     first ? first->due_date : DATE_NONE, e);
	if (r == 0 && (NEED(f, V_DAYS_OVERDUE) || NEED(f, V_DAYS_OVERDUE_ONE)))
		r = fmt_count(f, &v[V_DAYS_OVERDUE], &v[V_DAYS_OVERDUE_ONE],
			      oldest_late, e);
	if (r == 0 &&
	    (NEED(f, V_INVOICE_COUNT) || NEED(f, V_INVOICE_COUNT_ONE)))
		r = fmt_count(f, &v[V_INVOICE_COUNT], &v[V_INVOICE_COUNT_ONE],
			      (int64_t)in->n_invoices, e);
	if (r == 0 && NEED(f, V_INVOICES))
		r = fill_invoices(f, in, e);
	if (r == 0 && (NEED(f, V_PLAN) || NEED(f, V_PLAN_COUNT) ||
		       NEED(f, V_INSTALMENT_AMOUNT) ||
		       NEED(f, V_INSTALMENT_DUE_DATE)))
		r = fill_plan(f, in, e);
	if (r < 0)
		return r;
	set_text(&v[V_FIRST_INVOICE_NUMBER], first ? first->number : "");

	/* The personal page: "<public_url>/p/<token>". */
	if (in->link_token) {
		size_t n = strlen(pr->public_url) + strlen(in->link_token) + 8;
		char *link = arena_alloc(f->arena, n);
		const char *bare = strstr(pr->public_url, "://");
		snprintf(link, n, "%s/p/%s", pr->public_url, in->link_token);
		set_text(&v[V_PAY_LINK], link);
		set_text(&v[V_SHORT_LINK], bare ? link + (bare + 3 -
							  pr->public_url)
						: link);
	}

	/* Bank transfer details, with the case's RF reference. */
	rf_raw[0] = '\0';
	if (*pr->iban && in->case_id > 0) {
		r = case_reference(f, in->case_id, &v[V_REFERENCE], rf_raw,
				   rf_cap, e);
		if (r < 0)
			return r;
		set_bool(&v[V_HAS_BANK], 1);
		set_text(&v[V_BENEFICIARY], pr->beneficiary);
		set_text(&v[V_IBAN], pr->iban);
		set_text(&v[V_BIC], pr->bic);
	}
	if (offer_applies(pr, cu->segments)) {
		set_bool(&v[V_HAS_OFFER], 1);
		set_text(&v[V_OFFER_TEXT], pr->offer_text);
		set_text(&v[V_OFFER_LINK], pr->offer_link);
	}
	for (size_t i = 0; i < sizeof(debt_advice) / sizeof(debt_advice[0]);
	     i++) {
		if (strcmp(debt_advice[i].country, cu->country) != 0)
			continue;
		set_bool(&v[V_HAS_DEBT_ADVICE], 1);
		set_text(&v[V_DEBT_ADVICE_NAME], debt_advice[i].name);
		set_text(&v[V_DEBT_ADVICE_PHONE], debt_advice[i].phone);
		set_text(&v[V_DEBT_ADVICE_URL], debt_advice[i].url);
	}
	(void)c;
	return 0;
}

/* ---- Rendering per channel --------------------------------------------- */

/* The QR code a message carries: an EPC payment code when the tenant has
 * an IBAN and the case is in euros (any banking app pays it), else the
 * personal page's link. NULL data when there is neither. */
static int make_qr_png(struct fill *f, const struct compose_input *in,
		       const char *rf_raw, int64_t total, struct buf *png,
		       struct err *e)
{
	const struct profile *pr = in->profile;
	struct buf payload;
	struct qr_code *code = NULL;
	int r = 0;

	buf_init(&payload, 512);
	if (*pr->iban && *rf_raw && strcmp(f->cur->code, "EUR") == 0 &&
	    total > 0) {
		struct epc_fields ef;
		memset(&ef, 0, sizeof(ef));
		ef.bic = pr->bic;
		ef.name = pr->beneficiary;
		ef.iban = pr->iban;
		ef.amount_minor = total;
		ef.reference = rf_raw;
		r = epc_payload(&ef, &payload, e);
	} else if (f->v[V_PAY_LINK].len) {
		r = buf_puts(&payload, f->v[V_PAY_LINK].s);
	}
	if (r == 0 && payload.len)
		r = qr_encode(buf_cstr(&payload), payload.len, QR_ECC_M, &code,
			      e);
	if (r == 0 && code)
		r = qr_png(code, 4, 4, png, e);
	qr_free(code);
	buf_free(&payload);
	return r;
}

static int render_part(const struct entry *en, enum part p,
		       const struct tmpl_value *v, enum tmpl_escape mode,
		       struct buf *out, struct err *e)
{
	if (!en->part[p])
		return 0;
	return tmpl_render(en->part[p], v, mode, OUT_TEXT_MAX, out, e);
}

/* Strip trailing whitespace: template parts end where the next begins. */
static void trim_end(struct buf *b)
{
	while (b->len > 0 && (b->data[b->len - 1] == '\n' ||
			      b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
}

static int render_email_doc(struct compose *c, struct fill *f,
			    const struct compose_input *in,
			    const struct entry *en, const char *rf_raw,
			    int64_t total, struct compose_output *out,
			    struct err *e)
{
	const struct contact_rec *to = NULL;
	struct buf body, png;
	struct email_image img;
	struct email_msg m;
	char cid[COMPOSE_SOURCE_MAX];
	int r;

	for (size_t i = 0; i < in->customer->n_contacts; i++)
		if (in->customer->contacts[i].channel == CHANNEL_EMAIL)
			to = &in->customer->contacts[i];
	if (!to)
		return err_set(e, ERR_NOTFOUND,
			       "customer '%s' has no e-mail address",
			       in->customer->external_id);
	buf_init(&body, OUT_TEXT_MAX);
	buf_init(&png, 256 * 1024);
	snprintf(cid, sizeof(cid), "qr.%s", in->message_id);
	if (!in->parts_only)
		r = make_qr_png(f, in, rf_raw, total, &png, e);
	else
		r = 0;
	if (r == 0 && png.len) {
		char *src = arena_alloc(f->arena, sizeof(cid) + 4);
		snprintf(src, sizeof(cid) + 4, "cid:%s", cid);
		set_text(&f->v[V_QR_SRC], src);
		set_bool(&f->v[V_HAS_QR], 1);
	}
	if (r == 0)
		r = render_part(en, PART_HTML, f->v, TMPL_ESCAPE_HTML, &body, e);
	if (r == 0) {
		set_text(&f->v[V_CONTENT], buf_cstr(&body));
		set_text(&f->v[V_SUBJECT], buf_cstr(&out->subject));
		r = load_layout(c, e);
	}
	if (r == 0)
		r = tmpl_render(c->layout, f->v, TMPL_ESCAPE_HTML, OUT_TEXT_MAX,
				&out->html, e);
	if (r < 0 || in->parts_only)
		goto out;
	memset(&m, 0, sizeof(m));
	m.from_name = in->tenant->name;
	m.from_addr = *in->profile->email_from ? in->profile->email_from
					       : in->profile->email;
	if (!*m.from_addr)
		m.from_addr = "billing@dunwell.invalid";
	m.to_name = in->customer->name;
	m.to_addr = to->address;
	m.reply_to_addr = *in->profile->help_email ? in->profile->help_email
						   : NULL;
	m.subject = buf_cstr(&out->subject);
	m.text = buf_cstr(&out->text);
	m.html = buf_cstr(&out->html);
	if (png.len) {
		memset(&img, 0, sizeof(img));
		img.cid = cid;
		img.content_type = "image/png";
		img.filename = "qr.png";
		img.data = (const unsigned char *)png.data;
		img.len = png.len;
		m.images = &img;
		m.n_images = 1;
	}
	m.date = in->now;
	m.message_id = in->message_id;
	m.lang = out->locale;
	r = email_render(&m, OUT_DOC_MAX, &out->document, e);
out:
	buf_free(&png);
	buf_free(&body);
	return r;
}

/* Split `s` on newlines (or ", " when it has none) into at most `max`
 * lines, copied into the arena. */
static size_t split_lines(struct arena *a, const char *s, const char **lines,
			  size_t max)
{
	const char *sep = strchr(s, '\n') ? "\n" : ", ";
	size_t n = 0;
	while (*s && n < max) {
		const char *end = strstr(s, sep);
		size_t len = end ? (size_t)(end - s) : strlen(s);
		if (len)
			lines[n++] = arena_strndup(a, s, len);
		if (!end)
			break;
		s = end + strlen(sep);
	}
	return n;
}

/* Labels on a letter that the templates do not carry. */
static const struct letter_words {
	const char *lang, *page, *of, *scan, *customer, *reference;
} letter_words[] = {
	{ "en", "Page", "of", "Scan with your banking app to pay",
	  "Customer", "Reference" },
	{ "nl", "Pagina", "van", "Scan met uw bank-app om te betalen",
	  "Klant", "Kenmerk" },
	{ "de", "Seite", "von", "Mit Ihrer Banking-App scannen und bezahlen",
	  "Kunde", "Referenz" },
	{ "fr", "Page", "sur", "Scannez avec votre application bancaire pour"
	  " payer", "Client", "Référence" },
};

static const struct letter_words *words_for(const char *locale)
{
	for (size_t i = 1; i < sizeof(letter_words) / sizeof(letter_words[0]);
	     i++)
		if (strncmp(locale, letter_words[i].lang, 2) == 0)
			return &letter_words[i];
	return &letter_words[0];
}

static int render_letter_doc(struct fill *f, const struct compose_input *in,
			     const char *rf_raw, int64_t total,
			     struct compose_output *out, struct err *e)
{
	const struct profile *pr = in->profile;
	const struct letter_words *w = words_for(out->locale);
	const char *sender[6], *recipient[8], *bank[5];
	const struct contact_rec *to = NULL;
	struct letter l;
	struct buf png;
	size_t ns = 0, nr = 0, nb = 0;
	char *place, *ref;
	int r;

	for (size_t i = 0; i < in->customer->n_contacts; i++)
		if (in->customer->contacts[i].channel == CHANNEL_LETTER)
			to = &in->customer->contacts[i];
	if (!to)
		return err_set(e, ERR_NOTFOUND,
			       "customer '%s' has no postal address",
			       in->customer->external_id);
	sender[ns++] = in->tenant->name;
	ns += split_lines(f->arena, pr->address, sender + ns, 3);
	if (*pr->phone)
		sender[ns++] = pr->phone;
	if (*pr->email && ns < 6)
		sender[ns++] = pr->email;
	recipient[nr++] = in->customer->name;
	nr += split_lines(f->arena, to->address, recipient + nr, 6);

	place = arena_alloc(f->arena, FIELD_MAX * 2);
	snprintf(place, FIELD_MAX * 2, "%s%s%s", pr->sender_city,
		 *pr->sender_city ? ", " : "", f->v[V_TODAY].s);
	ref = arena_alloc(f->arena, FIELD_MAX * 3);
	snprintf(ref, FIELD_MAX * 3, "%s %s%s%s%s", w->customer,
		 in->customer->external_id, *rf_raw ? " · " : "",
		 *rf_raw ? w->reference : "",
		 *rf_raw ? " " : "");
	if (*rf_raw) {
		size_t used = strlen(ref);
		snprintf(ref + used, FIELD_MAX * 3 - used, "%s",
			 f->v[V_REFERENCE].s);
	}
	if (f->v[V_HAS_BANK].truth) {
		bank[nb++] = f->v[V_BENEFICIARY].s;
		bank[nb++] = f->v[V_IBAN].s;
		if (f->v[V_BIC].len)
			bank[nb++] = f->v[V_BIC].s;
		bank[nb++] = f->v[V_REFERENCE].s;
		bank[nb++] = f->v[V_TOTAL_DUE].s;
	}

	buf_init(&png, 256 * 1024);
	r = make_qr_png(f, in, rf_raw, total, &png, e);
	if (r < 0)
		goto out;
	memset(&l, 0, sizeof(l));
	l.sender_lines = sender;
	l.n_sender = ns;
	l.return_line = *pr->letter_return ? pr->letter_return : NULL;
	l.recipient_lines = recipient;
	l.n_recipient = nr;
	l.place_date = place;
	l.reference_line = ref;
	l.subject = buf_cstr(&out->subject);
	l.body = buf_cstr(&out->text);
	l.bank_lines = bank;
	l.n_bank = nb;
	l.qr_png = png.len ? (const unsigned char *)png.data : NULL;
	l.qr_png_len = png.len;
	l.qr_caption = f->v[V_HAS_BANK].truth ? w->scan : NULL;
	l.page_label = w->page;
	l.page_of = w->of;
	l.footer = *pr->footer ? pr->footer : NULL;
	l.lang = out->locale;
	l.title = buf_cstr(&out->subject);
	l.created = in->now;
	r = render_letter_pdf(&l, OUT_DOC_MAX, &out->document, e);
out:
	buf_free(&png);
	return r;
}

int compose_message(struct compose *c, const struct compose_input *in,
		    struct compose_output *out, struct err *e)
{
	const char *locale = in->locale && *in->locale ? in->locale
			     : in->customer->locale && *in->customer->locale
				     ? in->customer->locale
				     : in->tenant->locale;
	const struct entry *en = NULL;
	struct fill f;
	char rf_raw[48];
	int64_t total = 0;
	int r;

	memset(&f, 0, sizeof(f));
	f.cur = currency_find(in->currency ? in->currency : "");
	if (!f.cur)
		return err_set(e, ERR_INVALID, "unknown currency '%s'",
			       in->currency ? in->currency : "");
	r = lookup(c, in, locale, in->customer->plain_language, &en, e);
	if (r < 0)
		return r;
	snprintf(out->locale, sizeof(out->locale), "%s", en->locale);
	snprintf(out->source, sizeof(out->source), "%s", en->source);
	out->plain = en->plain;

	f.arena = arena_new();
	f.i18n = c->i18n;
	f.locale = locale;
	/* Short texts format only what they show; documents (and the QR
	 * code, the letter's blocks) get everything. */
	switch (in->channel) {
	case CHANNEL_SMS:
	case CHANNEL_WHATSAPP:
	case CHANNEL_PUSH:
		f.need = en->uses[PART_SMS];
		break;
	case CHANNEL_VOICE:
		f.need = en->uses[en->part[PART_VOICE] ? PART_VOICE : PART_SMS];
		break;
	case CHANNEL_EMAIL:
		r = load_layout(c, e);
		if (r < 0)
			goto out;
		f.need = in->parts_only ? en->uses[PART_SUBJECT] |
						  en->uses[PART_TEXT] |
						  en->uses[PART_HTML] |
						  uses_of(c->layout)
					: ~(uint64_t)0;
		break;
	default:
		f.need = ~(uint64_t)0;
		break;
	}
	r = fill_values(c, &f, in, en->locale, rf_raw, sizeof(rf_raw), e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < in->n_invoices; i++)
		total += in->invoices[i].open_minor;
	total += in->fees_minor;

	switch (in->channel) {
	case CHANNEL_EMAIL:
		r = render_part(en, PART_SUBJECT, f.v, TMPL_ESCAPE_NONE,
				&out->subject, e);
		if (r == 0)
			r = render_part(en, PART_TEXT, f.v, TMPL_ESCAPE_NONE,
					&out->text, e);
		trim_end(&out->subject);
		if (r == 0)
			r = render_email_doc(c, &f, in, en, rf_raw, total, out,
					     e);
		break;
	case CHANNEL_LETTER:
		r = render_part(en, PART_SUBJECT, f.v, TMPL_ESCAPE_NONE,
				&out->subject, e);
		if (r == 0)
			r = render_part(en, PART_LETTER, f.v, TMPL_ESCAPE_NONE,
					&out->text, e);
		trim_end(&out->subject);
		if (r == 0 && !in->parts_only)
			r = render_letter_doc(&f, in, rf_raw, total, out, e);
		break;
	case CHANNEL_VOICE:
		r = render_part(en, en->part[PART_VOICE] ? PART_VOICE
							 : PART_SMS,
				f.v, TMPL_ESCAPE_NONE, &out->text, e);
		trim_end(&out->text);
		if (r == 0 && !in->parts_only)
			r = voice_wav(buf_cstr(&out->text), en->locale,
				      OUT_DOC_MAX, &out->document, e);
		break;
	case CHANNEL_SMS:
	case CHANNEL_WHATSAPP:
	case CHANNEL_PUSH: {
		struct buf raw;
		buf_init(&raw, OUT_TEXT_MAX);
		r = render_part(en, PART_SMS, f.v, TMPL_ESCAPE_NONE, &raw, e);
		trim_end(&raw);
		/* Only SMS is billed per segment; the others take the same
		 * short text in UTF-8 as it is. */
		if (r == 0 && in->channel == CHANNEL_SMS)
			r = sms_prepare(buf_cstr(&raw), raw.len,
					in->profile->sms_max_segments,
					&out->text, &out->sms, e);
		else if (r == 0)
			r = buf_append(&out->text, raw.data, raw.len);
		buf_free(&raw);
		if (r < 0)
			err_prefix(e, "%s: @sms: ", en->source);
		break;
	}
	case CHANNEL_COUNT:
		r = err_set(e, ERR_INVALID, "no channel");
		break;
	}
out:
	arena_free(f.arena);
	return r;
}

/* ---- Terms of a step --------------------------------------------------- */

int compose_step_terms(const struct strategy *st, size_t step,
		       const struct currency *cur, int64_t principal_minor,
		       date_t anchor, date_t today, struct compose_terms *ret,
		       struct err *e)
{
	struct compose_terms t = { 0, DATE_NONE, today + 14 };
	int r;

	if (step >= st->n_steps)
		return err_set(e, ERR_RANGE, "strategy '%s' has no step %zu",
			       st->name, step + 1);
	for (size_t i = step + 1; i < st->n_steps; i++) {
		const struct step *sp = &st->steps[i];
		date_t on = anchor + sp->offset_days;
		if (sp->fee.kind == FEE_NONE)
			continue;
		if (on < today)
			on = today;
		r = fee_compute(&sp->fee, cur, principal_minor, anchor, on,
				&t.fee_new_minor, e);
		if (r < 0)
			return r;
		t.next_fee_date = on;
		break;
	}
	for (size_t i = step + 1; i < st->n_steps; i++) {
		date_t next = anchor + st->steps[i].offset_days;
		if (st->steps[i].n_channels == 0)
			continue;
		t.pay_by = next - 1;
		if (t.pay_by < today + 7)
			t.pay_by = today + 7;
		if (t.pay_by > today + 30)
			t.pay_by = today + 30;
		break;
	}
	*ret = t;
	return 0;
}

/* ---- Checking ---------------------------------------------------------- */

int compose_check_source(struct compose *c, const char *name,
			 const char *text, size_t len, struct err *e)
{
	char bname[COMPOSE_SOURCE_MAX];
	const struct embedded_file *blocks = blocks_for("en", bname);
	struct entry en;
	int r;
	(void)c;
	if (!blocks)
		return err_set(e, ERR_NOTFOUND, "no built-in template blocks");
	memset(&en, 0, sizeof(en));
	r = compile_file(name, text, len, bname, blocks->data, blocks->len,
			 &en, e);
	for (int i = 0; i < PART__COUNT; i++)
		tmpl_free(en.part[i]);
	return r;
}

int compose_check_all(struct compose *c, int *ret_n, struct err *e)
{
	int n = 0, r = load_layout(c, e);
	for (unsigned long i = 0; r == 0 && i < embedded_count; i++) {
		const struct embedded_file *f = &embedded_files[i];
		const char *base = strrchr(f->name, '/');
		char locale[COMPOSE_LOCALE_MAX], bname[COMPOSE_SOURCE_MAX];
		const struct embedded_file *blocks;
		struct entry en;
		size_t ll;

		/* templates/LOCALE/ID.tmpl; the portal's catalogs
		 * (templates/portal/, portal_text.c) are not messages. */
		if (strncmp(f->name, "templates/", 10) != 0 || !base ||
		    base[1] == '_' || base == f->name + 9 ||
		    strncmp(f->name, "templates/portal/", 17) == 0)
			continue;
		ll = (size_t)(base - (f->name + 10));
		if (ll == 0 || ll >= sizeof(locale))
			continue;
		memcpy(locale, f->name + 10, ll);
		locale[ll] = '\0';
		blocks = blocks_for(locale, bname);
		if (!blocks)
			return err_set(e, ERR_NOTFOUND, "no template blocks"
				       " for %s", locale);
		memset(&en, 0, sizeof(en));
		r = compile_file(f->name, f->data, f->len, bname, blocks->data,
				 blocks->len, &en, e);
		for (int k = 0; k < PART__COUNT; k++)
			tmpl_free(en.part[k]);
		n++;
	}
	if (r == 0)
		*ret_n = n;
	return r;
}
