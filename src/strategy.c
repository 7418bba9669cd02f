/*
 * strategy: load and validate a tenant's strategy file (see strategy.h and
 * docs/strategy.md for the format).
 *
 * libfyaml parses the YAML into a tree; this file walks the tree with small
 * typed readers (get_int, get_amount, get_word, ...) that each know how to
 * say what is wrong, where, and what was expected. Only the first error is
 * reported. Everything the set keeps is copied out of the document, which is
 * destroyed before returning, so a set never refers to libfyaml memory.
 *
 * This module never prints: libfyaml's diagnostics go to a private diag
 * object that collects them, and the first one becomes our message.
 */
#include "strategy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfyaml.h>

#include "date.h"
#include "experiment.h"
#include "mem.h"
#include "money.h"

_Static_assert(STRATEGY_VARIANTS_MAX == EXPERIMENT_MAX_VARIANTS,
	       "a rule's experiment has at most what experiment_assign takes");

#define STRATEGY_FILE_MAX (1024 * 1024) /* bytes in a strategy file */
#define NAME_LEN_MAX 64     /* strategy names, step ids, template ids, tags */
#define QUOTE_MAX 64        /* bytes of a bad value quoted in a message */
#define QUOTE_BUF (QUOTE_MAX + 4)
#define CTX_MAX 192         /* "step 'x': fixed fee" and the like */
#define LIST_MAX 512        /* "one of a, b, c" lists in messages */
#define SCALAR_NUM_MAX 40   /* longest number or date we accept as text */

#define OFFSET_MIN (-365)   /* a step at most a year before the due date */
#define OFFSET_MAX 3650     /* ... and at most ten years after it */
#define GAP_DAYS_MAX STRATEGY_GAP_DAYS_MAX /* contact_policy.min_days_between */
#define PER_WEEK_MAX 21     /* contact_policy.max_per_7_days */
#define TENURE_MAX 36500    /* tenure conditions, days (100 years) */
#define PERCENT_PPM_MAX 1000000 /* 100% */

/* Everything a reader needs to report an error. */
struct pctx {
	const char *source;        /* file name in messages */
	struct err *e;             /* where the first error goes */
	struct strategy_set *set;  /* what is being built; owns all it holds */
};

/* A value looked up in a mapping (or an item of a list, with key NULL). */
struct field {
	const char *name;          /* the key as written in the format */
	struct fy_node *key;       /* the key node; NULL for list items */
	struct fy_node *val;       /* the value node; NULL when absent */
};

/* A position in the file, 1-based; line 0 when unknown. */
struct pos {
	int line;
	int col;
};

/* What a node is, as far as the format cares. */
enum kind {
	K_NONE = 0, /* absent, empty, ~ or null */
	K_SCALAR,   /* a plain or quoted value */
	K_ALIAS,    /* *anchor: not supported */
	K_MAP,
	K_SEQ,
};

static const char *const tone_names[] = {
	[TONE_FRIENDLY] = "friendly",
	[TONE_FORMAL] = "formal",
	[TONE_FINAL] = "final",
};

static const char *const end_names[] = {
	[END_NONE] = "none",
	[END_RESTRICT_SERVICE] = "restrict_service",
	[END_HAND_TO_AGENT] = "hand_to_agent",
	[END_WRITE_OFF] = "write_off",
};

static const char *const send_names[] = {
	[SEND_FIRST] = "first",
	[SEND_ALL] = "all",
};

/* Fee types as written in the file, indexed by enum fee_kind. */
static const char *const fee_type_names[] = {
	[FEE_NONE] = "none",
	[FEE_FIXED] = "fixed",
	[FEE_PERCENT] = "percent",
	[FEE_WIK] = "wik",
	[FEE_INTEREST] = "interest",
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- positions and messages ------------------------------------------ */

static void diag_discard(struct fy_diag *diag, void *user, const char *buf,
			 size_t len)
{
	(void)diag;
	(void)user;
	(void)buf;
	(void)len;
}

/* A diag that collects errors instead of printing them, and whose raw
 * output (libfyaml writes a few messages even in collect mode) goes nowhere:
 * library code must not write to stderr. NULL when libfyaml is out of
 * memory. */
static struct fy_diag *quiet_diag(void)
{
	struct fy_diag_cfg cfg;
	struct fy_diag *d;

	fy_diag_cfg_default(&cfg);
	cfg.fp = NULL;
	cfg.output_fn = diag_discard;
	cfg.user = NULL;
	cfg.colorize = false;
	d = fy_diag_create(&cfg);
	if (d)
		fy_diag_set_collect_errors(d, true);
	return d;
}

/* The first collected error of a diag, or NULL. */
static const struct fy_diag_error *first_error(struct fy_diag *d)
{
	void *it = NULL;
	struct fy_diag_error *de;

	while ((de = fy_diag_errors_iterate(d, &it)) != NULL) {
		if (de->type == FYET_ERROR)
			return de;
	}
	return NULL;
}

/* Where a node starts. Scalars carry their position in their token.
 * libfyaml 0.7.12 has no public fy_node_get_start_mark for collections, so
 * we ask libfyaml to report on the node into a private collecting diag and
 * read the position back from the collected error; failing that, we use the
 * node's first child. Only used for messages and `line` fields. */
static struct pos node_pos(struct fy_node *n)
{
	struct pos p = { 0, 0 };
	struct fy_diag *d;
	const struct fy_diag_error *de;

	if (!n)
		return p;
	if (fy_node_is_scalar(n)) {
		struct fy_token *t = fy_node_get_scalar_token(n);
		const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
		if (m) {
			p.line = m->line + 1;
			p.col = m->column + 1;
			/* The token of a quoted scalar or an alias starts
			 * after its '"', '\'' or '*'; point at that. */
			switch (fy_node_get_style(n)) {
			case FYNS_SINGLE_QUOTED:
			case FYNS_DOUBLE_QUOTED:
			case FYNS_ALIAS:
				if (p.col > 1)
					p.col--;
				break;
			default:
				break;
			}
		}
		return p;
	}
	d = quiet_diag();
	if (d) {
		fy_diag_node_report(d, n, FYET_ERROR, "here");
		de = first_error(d);
		if (de && de->line > 0) {
			p.line = de->line;
			p.col = de->column;
		}
		fy_diag_destroy(d);
		if (p.line > 0)
			return p;
	}
	if (fy_node_is_mapping(n)) {
		void *it = NULL;
		struct fy_node_pair *pair = fy_node_mapping_iterate(n, &it);
		if (pair)
			return node_pos(fy_node_pair_key(pair));
	} else if (fy_node_is_sequence(n)) {
		void *it = NULL;
		struct fy_node *item = fy_node_sequence_iterate(n, &it);
		if (item)
			return node_pos(item);
	}
	return p;
}

/* Report an error at `at` (or at `fallback` when `at` has no position, as
 * an empty value has none) as "source:line:col: message". */
static int __attribute__((format(printf, 5, 6)))
fail_at(struct pctx *p, struct fy_node *at, struct fy_node *fallback,
	int code, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	struct pos pos = node_pos(at);
	va_list ap;

	if (pos.line <= 0)
		pos = node_pos(fallback);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (pos.line <= 0)
		return err_set(p->e, code, "%s: %s", p->source, msg);
	return err_set(p->e, code, "%s:%d:%d: %s", p->source, pos.line, pos.col,
		       msg);
}

/* snprintf for message parts, where cutting a long part short is the
 * intended bound (and gcc's truncation warning is not wanted). */
static void __attribute__((format(printf, 3, 4)))
bfmt(char *out, size_t cap, const char *fmt, ...)
     {
     va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, cap, fmt, ap);
	va_end(ap);
}

/* A value for a message: at most QUOTE_MAX bytes (cut on a UTF-8 character
 * boundary, "..." appended), control characters shown as '?'. */
static const char *quote(const char *s, size_t len, char out[QUOTE_BUF])
{
	size_t n = len;
	int cut = 0;

	if (n > QUOTE_MAX) {
		n = QUOTE_MAX;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	if (cut) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
	return out;
}

/* "a, b, c" from a table of names, bounded. */
static const char *join(const char *const *names, size_t n, char out[LIST_MAX])
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(out + len, LIST_MAX - len, "%s%s",
				 i ? ", " : "", names[i]);
		if (w < 0 || (size_t)w >= LIST_MAX - len)
			break;
		len += (size_t)w;
	}
	return out;
}

/* ---- node access ----------------------------------------------------- */

static enum kind node_kind(struct fy_node *n)
{
	const char *s;
	size_t len;

	if (!n)
		return K_NONE;
	switch (fy_node_get_type(n)) {
	case FYNT_MAPPING:
		return K_MAP;
	case FYNT_SEQUENCE:
		return K_SEQ;
	default:
		break;
	}
	if (fy_node_get_style(n) == FYNS_ALIAS)
		return K_ALIAS;
	if (fy_node_get_style(n) != FYNS_PLAIN)
		return K_SCALAR;
	/* The YAML 1.2 core schema's nulls. */
	s = fy_node_get_scalar(n, &len);
	if (!s || len == 0 || (len == 1 && s[0] == '~') ||
	    (len == 4 && (memcmp(s, "null", 4) == 0 ||
			  memcmp(s, "Null", 4) == 0 ||
			  memcmp(s, "NULL", 4) == 0)))
		return K_NONE;
	return K_SCALAR;
}

/* A name: 1 to NAME_LEN_MAX of [a-z0-9_-]. */
static int is_name(const char *s, size_t len)
{
	if (len == 0 || len > NAME_LEN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

/* How a field's name reads in a message: 'fee' for a key, or the given
 * description of a list item. */
static const char *field_label(const struct field *f, char out[CTX_MAX])
{
	if (f->key)
		bfmt(out, CTX_MAX, "'%s'", f->name);
	else
		bfmt(out, CTX_MAX, "%s", f->name);
	return out;
}

/* Check that a field holds what the format wants there; `expect` finishes
 * the sentence "expected ...". */
static int want(struct pctx *p, const char *ctx, const struct field *f,
		enum kind k, const char *expect)
{
	char label[CTX_MAX], q[QUOTE_BUF];
	enum kind got = node_kind(f->val);
	const char *s;
	size_t len;

	if (got == k)
		return 0;
	field_label(f, label);
	switch (got) {
	case K_NONE:
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s has no value; expected %s", ctx, label,
			       expect);
	case K_ALIAS:
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is an alias (aliases are not supported); expected %s written out",
			       ctx, label, expect);
	case K_MAP:
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is a mapping; expected %s", ctx, label,
			       expect);
	case K_SEQ:
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is a list; expected %s", ctx, label,
			       expect);
	case K_SCALAR:
	default:
		s = fy_node_get_scalar(f->val, &len);
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is the value '%s'; expected %s", ctx,
			       label, quote(s ? s : "", s ? len : 0, q),
			       expect);
	}
}

/* The text of a scalar field, checked to hold no NUL byte (so it can be
 * used as a C string once copied). */
static int scalar_text(struct pctx *p, const char *ctx, const struct field *f,
		       const char *expect, const char **ret, size_t *ret_len)
{
	char label[CTX_MAX];
	const char *s;
	size_t len;
	int rc;

	rc = want(p, ctx, f, K_SCALAR, expect);
	if (rc < 0)
		return rc;
	s = fy_node_get_scalar(f->val, &len);
	if (!s)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s cannot be read; expected %s", ctx,
			       field_label(f, label), expect);
	if (memchr(s, '\0', len))
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s contains a NUL byte; expected %s", ctx,
			       field_label(f, label), expect);
	*ret = s;
	*ret_len = len;
	return 0;
}

/* A short scalar (a number, a date) copied into a NUL-terminated buffer,
 * with control characters shown as '?'. */
static int scalar_small(struct pctx *p, const char *ctx, const struct field *f,
			const char *expect, char out[SCALAR_NUM_MAX + 1],
			int *ret_plain)
{
	char label[CTX_MAX], q[QUOTE_BUF];
	const char *s;
	size_t len;
	int rc;

	rc = scalar_text(p, ctx, f, expect, &s, &len);
	if (rc < 0)
		return rc;
	if (len > SCALAR_NUM_MAX)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is the value '%s'; expected %s", ctx,
			       field_label(f, label), quote(s, len, q), expect);
	/* Control characters are never part of a number or a date; showing
	 * them as '?' keeps messages printable and fails parsing the same. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	out[len] = '\0';
	*ret_plain = fy_node_get_style(f->val) == FYNS_PLAIN;
	return 0;
}

/* Look a mapping's keys up in `names`: each known key fills fields[i]; any
 * other key is an error listing the allowed ones (`noun` is what a key is
 * called in the message: "key", or "condition" in a rule). The caller has
 * checked that `map` is a mapping. Duplicate keys never get here: libfyaml
 * rejects them while parsing. */
static int read_map(struct pctx *p, const char *ctx, const char *noun,
		    struct fy_node *map, const char *const *names, size_t n,
		    struct field *fields)
{
	char list[LIST_MAX], q[QUOTE_BUF];
	struct fy_node_pair *pair;
	void *it = NULL;

	for (size_t i = 0; i < n; i++) {
		fields[i].name = names[i];
		fields[i].key = NULL;
		fields[i].val = NULL;
	}
	while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *key = fy_node_pair_key(pair);
		const char *s = NULL;
		size_t len = 0, i;

		if (node_kind(key) == K_SCALAR)
			s = fy_node_get_scalar(key, &len);
		if (!s)
			return fail_at(p, key, map, ERR_INVALID,
				       "%s: a %s is not a plain word; expected one of %s",
				       ctx, noun, join(names, n, list));
		for (i = 0; i < n; i++) {
			if (strlen(names[i]) == len &&
			    memcmp(names[i], s, len) == 0)
				break;
		}
		if (i == n)
			return fail_at(p, key, map, ERR_INVALID,
				       "%s: unknown %s '%s'; expected one of %s",
				       ctx, noun, quote(s, len, q),
				       join(names, n, list));
		fields[i].key = key;
		fields[i].val = fy_node_pair_value(pair);
	}
	return 0;
}

static int missing(struct pctx *p, const char *ctx, struct fy_node *where,
		   const char *key, const char *expect)
{
	return fail_at(p, where, NULL, ERR_INVALID,
		       "%s: missing key '%s'; expected %s", ctx, key, expect);
}

/* The value of `key` in a mapping when it is a valid name (step id,
 * strategy name), so messages about the rest of the mapping can say
 * "step 'notice'" even before the keys are checked. 1 if found. */
static int peek_name(struct fy_node *map, const char *key,
		     char out[NAME_LEN_MAX + 1])
{
	struct fy_node_pair *pair;
	void *it = NULL;
	size_t klen = strlen(key);

	while ((pair = fy_node_mapping_iterate(map, &it)) != NULL) {
		struct fy_node *k = fy_node_pair_key(pair);
		struct fy_node *v = fy_node_pair_value(pair);
		const char *s;
		size_t len;

		if (node_kind(k) != K_SCALAR)
			continue;
		s = fy_node_get_scalar(k, &len);
		if (!s || len != klen || memcmp(s, key, len) != 0)
			continue;
		if (node_kind(v) != K_SCALAR)
			return 0;
		s = fy_node_get_scalar(v, &len);
		if (!s || !is_name(s, len))
			return 0;
		memcpy(out, s, len);
		out[len] = '\0';
		return 1;
	}
	return 0;
}

/* ---- typed readers --------------------------------------------------- */

/* Parse a decimal integer: optional '-', then digits. 0 or -1. */
static int parse_int(const char *s, long long *ret)
{
	long long v = 0;
	int neg = 0, digits = 0;

	if (*s == '-') {
		neg = 1;
		s++;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > 100000000000LL) /* far beyond every range we use */
			return -1;
		v = v * 10 + (*s - '0');
		digits++;
	}
	if (!digits || *s)
		return -1;
	*ret = neg ? -v : v;
	return 0;
}

/* An unquoted integer in [min, max]. */
static int get_int(struct pctx *p, const char *ctx, const struct field *f,
		   int min, int max, int *ret)
{
	char expect[CTX_MAX], buf[SCALAR_NUM_MAX + 1], label[CTX_MAX];
	long long v;
	int plain, rc;

	bfmt(expect, sizeof(expect), "an integer from %d to %d", min, max);
	rc = scalar_small(p, ctx, f, expect, buf, &plain);
	if (rc < 0)
		return rc;
	if (!plain || parse_int(buf, &v) < 0)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is %s'%s'; expected %s", ctx,
			       field_label(f, label),
			       plain ? "" : "the quoted string ", buf, expect);
	if (v < min || v > max)
		return fail_at(p, f->val, f->key, ERR_RANGE,
			       "%s: %s %s is out of range; expected %s", ctx,
			       field_label(f, label), buf, expect);
	*ret = (int)v;
	return 0;
}

/* An unquoted true or false (the YAML 1.2 core schema spellings). */
static int get_bool(struct pctx *p, const char *ctx, const struct field *f,
		    int *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	char buf[SCALAR_NUM_MAX + 1], label[CTX_MAX];
	int plain, rc;

	rc = scalar_small(p, ctx, f, "true or false", buf, &plain);
	if (rc < 0)
		return rc;
	for (size_t i = 0; plain && i < N_ELEMS(yes); i++) {
		if (strcmp(buf, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcmp(buf, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return fail_at(p, f->val, f->key, ERR_INVALID,
		       "%s: %s is %s'%s'; expected true or false", ctx,
		       field_label(f, label),
		       plain ? "" : "the quoted string ", buf);
}

/* A non-negative amount in micros: "7.50", 7.50 or 5. The text is read as
 * an exact decimal (never as a float), so quoting is optional. */
static int get_amount(struct pctx *p, const char *ctx, const struct field *f,
		      int64_t *ret)
{
	static const char expect[] =
		"an amount such as \"7.50\" (at most 6 decimals)";
	char buf[SCALAR_NUM_MAX + 1], label[CTX_MAX];
	int64_t v;
	int plain, rc;

	rc = scalar_small(p, ctx, f, expect, buf, &plain);
	if (rc < 0)
		return rc;
	rc = money_parse_micros(buf, &v, NULL);
	if (rc == -ERR_RANGE)
		return fail_at(p, f->val, f->key, ERR_RANGE,
			       "%s: %s '%s' is too large; expected %s", ctx,
			       field_label(f, label), buf, expect);
	if (rc < 0)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is '%s', not an amount; expected %s",
			       ctx, field_label(f, label), buf, expect);
	if (v < 0)
		return fail_at(p, f->val, f->key, ERR_RANGE,
			       "%s: %s is the negative amount %s; expected 0 or more",
			       ctx, field_label(f, label), buf);
	*ret = v;
	return 0;
}

/* A percentage with at most 4 decimals, in millionths of the whole
 * ("2.5" -> 25000 ppm), within [min_ppm, max_ppm]. */
static int get_percent(struct pctx *p, const char *ctx, const struct field *f,
		       int64_t min_ppm, int64_t max_ppm, int64_t *ret_ppm)
{
	char expect[CTX_MAX], buf[SCALAR_NUM_MAX + 1], label[CTX_MAX];
	int64_t micros;
	int plain, rc;

	bfmt(expect, sizeof(expect),
	     "a percentage%s up to %lld with at most 4 decimals, such as \"2.5\"",
	     min_ppm > 0 ? " above 0 and" : " from 0",
	     (long long)(max_ppm / 10000));
	rc = scalar_small(p, ctx, f, expect, buf, &plain);
	if (rc < 0)
		return rc;
	/* n% is n/100 of the whole: n * 10^6 micros / 100 = ppm. */
	rc = money_parse_micros(buf, &micros, NULL);
	if (rc < 0 || micros % 100 != 0)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is '%s', not a percentage; expected %s",
			       ctx, field_label(f, label), buf, expect);
	if (micros / 100 < min_ppm || micros / 100 > max_ppm)
		return fail_at(p, f->val, f->key, ERR_RANGE,
			       "%s: %s %s is out of range; expected %s", ctx,
			       field_label(f, label), buf, expect);
	*ret_ppm = micros / 100;
	return 0;
}

/* One word from a table of names; `what` names the kind of word ("tone"). */
static int get_word(struct pctx *p, const char *ctx, const struct field *f,
		    const char *what, const char *const *names, size_t first,
		    size_t n, int *ret)
{
	char expect[LIST_MAX + 16], list[LIST_MAX], q[QUOTE_BUF];
	const char *s;
	size_t len;
	int rc;

	bfmt(expect, sizeof(expect), "one of %s",
	     join(names + first, n - first, list));
	rc = scalar_text(p, ctx, f, expect, &s, &len);
	if (rc < 0)
		return rc;
	for (size_t i = first; i < n; i++) {
		if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
			*ret = (int)i;
			return 0;
		}
	}
	return fail_at(p, f->val, f->key, ERR_INVALID,
		       "%s: unknown %s '%s'; expected %s", ctx, what,
		       quote(s, len, q), expect);
}

/* A name (strategy name, step id, template id): 1 to 64 of [a-z0-9_-],
 * so it is safe in file names, URLs and log lines. Returns a copy. */
static int get_name(struct pctx *p, const char *ctx, const struct field *f,
		    const char *what, char **ret)
{
	static const char expect[] =
		"1 to 64 characters from a-z, 0-9, '_' and '-'";
	char q[QUOTE_BUF];
	const char *s;
	size_t len;
	int rc;

	rc = scalar_text(p, ctx, f, expect, &s, &len);
	if (rc < 0)
		return rc;
	if (!is_name(s, len))
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: invalid %s '%s'; expected %s", ctx, what,
			       quote(s, len, q), expect);
	*ret = xstrndup(s, len);
	return 0;
}

static int get_date(struct pctx *p, const char *ctx, const struct field *f,
		    date_t *ret)
{
	static const char expect[] = "a date such as 2025-01-01";
	char buf[SCALAR_NUM_MAX + 1], label[CTX_MAX];
	date_t d;
	int plain, rc;

	rc = scalar_small(p, ctx, f, expect, buf, &plain);
	if (rc < 0)
		return rc;
	if (date_parse(buf, &d, NULL) < 0)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is '%s', not a valid date; expected %s",
			       ctx, field_label(f, label), buf, expect);
	*ret = d;
	return 0;
}

/* A non-empty list: sets *ret_n to its length. */
static int want_list(struct pctx *p, const char *ctx, const struct field *f,
		     const char *expect, size_t *ret_n)
{
	char label[CTX_MAX];
	int rc, n;

	rc = want(p, ctx, f, K_SEQ, expect);
	if (rc < 0)
		return rc;
	n = fy_node_sequence_item_count(f->val);
	if (n <= 0)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: %s is an empty list; expected %s", ctx,
			       field_label(f, label), expect);
	*ret_n = (size_t)n;
	return 0;
}

/* The next item of a list, as a field named like "rate 2". */
static struct fy_node *next_item(struct fy_node *seq, void **it, size_t i,
				 const char *what, char name[CTX_MAX],
				 struct field *ret)
{
	struct fy_node *n = fy_node_sequence_iterate(seq, it);

	bfmt(name, CTX_MAX, "%s %zu", what, i + 1);
	ret->name = name;
	ret->key = NULL;
	ret->val = n;
	return n;
}

/* ---- fees ------------------------------------------------------------ */

/* Allowed keys for each fee type. */
static const char *const fee_keys_fixed[] = { "type", "amount" };
static const char *const fee_keys_percent[] = { "type", "rate", "min", "max" };
static const char *const fee_keys_wik[] = { "type", "vat" };
static const char *const fee_keys_interest[] = { "type", "rates", "compound" };

static const char *const rate_keys[] = { "from", "rate" };
static const char *const compound_names[] = { "none", "yearly" };

static int parse_rates(struct pctx *p, const char *ctx, const struct field *f,
		       struct fee_spec *fee)
{
	static const char expect[] =
		"a list of {from: YYYY-MM-DD, rate: \"8\"} in ascending date order";
	char name[CTX_MAX];
	size_t n;
	void *it = NULL;
	int rc;

	rc = want_list(p, ctx, f, expect, &n);
	if (rc < 0)
		return rc;
	fee->rates = xcalloc(n, sizeof(*fee->rates));
	for (size_t i = 0; i < n; i++) {
		struct fee_rate *r = &fee->rates[i];
		struct field item, kv[N_ELEMS(rate_keys)];
		char ictx[CTX_MAX];

		next_item(f->val, &it, i, "rate", name, &item);
		rc = want(p, ctx, &item, K_MAP, expect);
		if (rc < 0)
			return rc;
		bfmt(ictx, sizeof(ictx), "%s: rate %zu", ctx, i + 1);
		rc = read_map(p, ictx, "key", item.val, rate_keys,
			      N_ELEMS(rate_keys), kv);
		if (rc < 0)
			return rc;
		if (!kv[0].key)
			return missing(p, ictx, item.val, "from",
				       "the first day of the rate, YYYY-MM-DD");
		if (!kv[1].key)
			return missing(p, ictx, item.val, "rate",
				       "the yearly rate in percent, such as \"8\"");
		rc = get_date(p, ictx, &kv[0], &r->from);
		if (rc < 0)
			return rc;
		rc = get_percent(p, ictx, &kv[1], 0, PERCENT_PPM_MAX,
				 &r->rate_ppm);
		if (rc < 0)
			return rc;
		if (i > 0 && r->from <= fee->rates[i - 1].from)
			return fail_at(p, kv[0].val, kv[0].key, ERR_INVALID,
				       "%s: 'from' is not after the previous rate's; expected rates in ascending date order",
				       ictx);
		fee->n_rates = i + 1;
	}
	return 0;
}

/* A step's fee mapping: `type` decides which other keys are allowed. */
static int parse_fee(struct pctx *p, const char *step_ctx,
		     const struct field *f, struct fee_spec *fee)
{
	static const char expect[] =
		"a mapping such as {type: fixed, amount: \"7.50\"}";
	struct fy_node_pair *pair;
	struct field type = { "type", NULL, NULL };
	struct field kv[N_ELEMS(fee_keys_percent)]; /* the longest list */
	const char *const *keys;
	size_t n_keys;
	char ctx[CTX_MAX];
	void *it = NULL;
	int kind = FEE_NONE, rc;

	bfmt(ctx, sizeof(ctx), "%s: fee", step_ctx);
	rc = want(p, step_ctx, f, K_MAP, expect);
	if (rc < 0)
		return rc;
	while ((pair = fy_node_mapping_iterate(f->val, &it)) != NULL) {
		struct fy_node *key = fy_node_pair_key(pair);
		const char *s = NULL;
		size_t len = 0;

		if (node_kind(key) == K_SCALAR)
			s = fy_node_get_scalar(key, &len);
		if (s && len == 4 && memcmp(s, "type", 4) == 0) {
			type.key = key;
			type.val = fy_node_pair_value(pair);
		}
	}
	if (!type.key)
		return missing(p, ctx, f->val, "type",
			       "one of fixed, percent, wik, interest");
	rc = get_word(p, ctx, &type, "fee type", fee_type_names, FEE_FIXED,
		      N_ELEMS(fee_type_names), &kind);
	if (rc < 0)
		return rc;
	switch (kind) {
	case FEE_FIXED:
		keys = fee_keys_fixed;
		n_keys = N_ELEMS(fee_keys_fixed);
		break;
	case FEE_PERCENT:
		keys = fee_keys_percent;
		n_keys = N_ELEMS(fee_keys_percent);
		break;
	case FEE_WIK:
		keys = fee_keys_wik;
		n_keys = N_ELEMS(fee_keys_wik);
		break;
	default:
		keys = fee_keys_interest;
		n_keys = N_ELEMS(fee_keys_interest);
		break;
	}
	bfmt(ctx, sizeof(ctx), "%s: %s fee", step_ctx,
	     fee_type_names[kind]);
	rc = read_map(p, ctx, "key", f->val, keys, n_keys, kv);
	if (rc < 0)
		return rc;
	fee->kind = (enum fee_kind)kind;

	switch (kind) {
	case FEE_FIXED:
		if (!kv[1].key)
			return missing(p, ctx, f->val, "amount",
				       "the fee, such as \"7.50\"");
		rc = get_amount(p, ctx, &kv[1], &fee->amount_micros);
		if (rc < 0)
			return rc;
		if (fee->amount_micros == 0)
			return fail_at(p, kv[1].val, kv[1].key, ERR_RANGE,
				       "%s: 'amount' is 0; expected an amount above 0 (leave out 'fee' to charge nothing)",
				       ctx);
		break;
	case FEE_PERCENT:
		if (!kv[1].key)
			return missing(p, ctx, f->val, "rate",
				       "the share of the open amount in percent, such as \"2.5\"");
		rc = get_percent(p, ctx, &kv[1], 1, PERCENT_PPM_MAX,
				 &fee->rate_ppm);
		if (rc < 0)
			return rc;
		if (kv[2].key) {
			rc = get_amount(p, ctx, &kv[2], &fee->min_micros);
			if (rc < 0)
				return rc;
		}
		if (kv[3].key) {
			rc = get_amount(p, ctx, &kv[3], &fee->max_micros);
			if (rc < 0)
				return rc;
			if (fee->max_micros == 0)
				return fail_at(p, kv[3].val, kv[3].key,
					       ERR_RANGE,
					       "%s: 'max' is 0; expected a cap above 0 (leave out 'max' for no cap)",
					       ctx);
			if (fee->min_micros > fee->max_micros)
				return fail_at(p, kv[3].val, kv[3].key,
					       ERR_INVALID,
					       "%s: 'max' is below 'min'; expected min <= max",
					       ctx);
		}
		break;
	case FEE_WIK:
		if (kv[1].key) {
			rc = get_percent(p, ctx, &kv[1], 0, PERCENT_PPM_MAX,
					 &fee->vat_ppm);
			if (rc < 0)
				return rc;
		}
		break;
	default: /* FEE_INTEREST */
		if (!kv[1].key)
			return missing(p, ctx, f->val, "rates",
				       "a table of reference rates");
		rc = parse_rates(p, ctx, &kv[1], fee);
		if (rc < 0)
			return rc;
		if (kv[2].key) {
			int yearly = 0;
			rc = get_word(p, ctx, &kv[2], "compounding",
				      compound_names, 0,
				      N_ELEMS(compound_names), &yearly);
			if (rc < 0)
				return rc;
			fee->compound_yearly = yearly;
		}
		break;
	}
	return 0;
}

/* ---- steps and strategies -------------------------------------------- */

enum {
	SK_ID, SK_OFFSET, SK_CHANNELS, SK_SEND, SK_TEMPLATE, SK_TONE,
	SK_MIN_OPEN, SK_FEE, SK_END, SK_COUNT
};
static const char *const step_keys[SK_COUNT] = {
	[SK_ID] = "id",
	[SK_OFFSET] = "offset",
	[SK_CHANNELS] = "channels",
	[SK_SEND] = "send",
	[SK_TEMPLATE] = "template",
	[SK_TONE] = "tone",
	[SK_MIN_OPEN] = "min_open",
	[SK_FEE] = "fee",
	[SK_END] = "end",
};

static int parse_channels(struct pctx *p, const char *ctx,
			  const struct field *f, struct step *st)
{
	char expect[LIST_MAX + 64], name[CTX_MAX], q[QUOTE_BUF];
	size_t n;
	void *it = NULL;
	int rc;

	bfmt(expect, sizeof(expect),
	     "a list in order of preference from %s", channel_list());
	rc = want_list(p, ctx, f, expect, &n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct field item;
		enum channel ch;
		const char *s;
		char word[NAME_LEN_MAX + 1];
		size_t len;

		next_item(f->val, &it, i, "channel", name, &item);
		rc = scalar_text(p, ctx, &item, expect, &s, &len);
		if (rc < 0)
			return rc;
		/* channel_parse wants a C string; no name is that long. */
		rc = -ERR_INVALID;
		if (len <= NAME_LEN_MAX) {
			memcpy(word, s, len);
			word[len] = '\0';
			rc = channel_parse(word, &ch);
		}
		if (rc < 0)
			return fail_at(p, item.val, NULL, ERR_INVALID,
				       "%s: unknown channel '%s'; expected one of %s",
				       ctx, quote(s, len, q), channel_list());
		for (int j = 0; j < st->n_channels; j++) {
			if (st->channels[j] == ch)
				return fail_at(p, item.val, NULL, ERR_INVALID,
					       "%s: channel '%s' is listed twice; expected each channel at most once",
					       ctx, channel_name(ch));
		}
		/* Distinct known channels: never more than CHANNEL_COUNT. */
		st->channels[st->n_channels++] = ch;
	}
	return 0;
}

/* One step. `prev` is the step before it in the strategy, or NULL. */
static int parse_step(struct pctx *p, const struct strategy *sg,
		      const struct field *item, struct step *st,
		      const struct step *prev)
{
	static const char expect_step[] =
		"a mapping with id, offset and channels or end";
	struct field kv[SK_COUNT];
	char ctx[CTX_MAX], id[NAME_LEN_MAX + 1];
	int v = 0, rc;

	bfmt(ctx, sizeof(ctx), "strategy '%s'", sg->name);
	rc = want(p, ctx, item, K_MAP, expect_step);
	if (rc < 0)
		return rc;
	st->line = node_pos(item->val).line;
	if (peek_name(item->val, "id", id))
		bfmt(ctx, sizeof(ctx), "step '%s'", id);
	else
		bfmt(ctx, sizeof(ctx), "strategy '%s': %s", sg->name,
		     item->name);
	rc = read_map(p, ctx, "key", item->val, step_keys, SK_COUNT, kv);
	if (rc < 0)
		return rc;
	if (!kv[SK_ID].key)
		return missing(p, ctx, item->val, "id",
			       "a step id such as friendly_reminder");
	rc = get_name(p, ctx, &kv[SK_ID], "step id", &st->id);
	if (rc < 0)
		return rc;
	bfmt(ctx, sizeof(ctx), "step '%s'", st->id);
	for (const struct step *o = sg->steps; o < st; o++) {
		if (strcmp(o->id, st->id) == 0)
			return fail_at(p, kv[SK_ID].val, NULL, ERR_INVALID,
				       "%s: duplicate step id (first on line %d); expected ids unique within strategy '%s'",
				       ctx, o->line, sg->name);
	}
	if (prev && prev->end == END_WRITE_OFF)
		return fail_at(p, kv[SK_ID].val, NULL, ERR_INVALID,
			       "%s: comes after step '%s', which writes the debt off and closes the case; expected write_off on the last step",
			       ctx, prev->id);

	if (!kv[SK_OFFSET].key)
		return missing(p, ctx, item->val, "offset",
			       "days from the due date, such as 7 or -3");
	rc = get_int(p, ctx, &kv[SK_OFFSET], OFFSET_MIN, OFFSET_MAX,
		     &st->offset_days);
	if (rc < 0)
		return rc;
	if (prev && st->offset_days < prev->offset_days)
		return fail_at(p, kv[SK_OFFSET].val, NULL, ERR_INVALID,
			       "%s: offset %d is before the previous step's offset %d; expected offsets in non-decreasing order",
			       ctx, st->offset_days, prev->offset_days);

	if (kv[SK_CHANNELS].key) {
		rc = parse_channels(p, ctx, &kv[SK_CHANNELS], st);
		if (rc < 0)
			return rc;
	}
	if (kv[SK_END].key) {
		rc = get_word(p, ctx, &kv[SK_END], "end action", end_names,
			      END_RESTRICT_SERVICE, N_ELEMS(end_names), &v);
		if (rc < 0)
			return rc;
		st->end = (enum end_action)v;
	}
	if (!st->n_channels && st->end == END_NONE)
		return fail_at(p, item->val, NULL, ERR_INVALID,
			       "%s: the step neither sends a message nor ends the process; expected 'channels', 'end' or both",
			       ctx);

	if (st->n_channels) {
		if (!kv[SK_TEMPLATE].key)
			return missing(p, ctx, item->val, "template",
				       "the id of the message template to send");
		rc = get_name(p, ctx, &kv[SK_TEMPLATE], "template id",
			      &st->template_id);
		if (rc < 0)
			return rc;
	} else {
		/* What only makes sense for a message. A fee in particular
		 * must be announced to the customer. */
		static const int msg_keys[] = { SK_TEMPLATE, SK_SEND, SK_TONE,
						SK_FEE };
		for (size_t i = 0; i < N_ELEMS(msg_keys); i++) {
			const struct field *k = &kv[msg_keys[i]];
			if (k->key)
				return fail_at(p, k->key, NULL, ERR_INVALID,
					       "%s: '%s' but no channels to send a message on; expected 'channels' with it",
					       ctx, k->name);
		}
	}
	if (kv[SK_SEND].key) {
		rc = get_word(p, ctx, &kv[SK_SEND], "send mode", send_names, 0,
			      N_ELEMS(send_names), &v);
		if (rc < 0)
			return rc;
		st->send = (enum send_mode)v;
	}
	if (kv[SK_TONE].key) {
		rc = get_word(p, ctx, &kv[SK_TONE], "tone", tone_names, 0,
			      N_ELEMS(tone_names), &v);
		if (rc < 0)
			return rc;
		st->tone = (enum tone)v;
	}
	if (kv[SK_MIN_OPEN].key) {
		rc = get_amount(p, ctx, &kv[SK_MIN_OPEN], &st->min_open_micros);
		if (rc < 0)
			return rc;
	}
	if (kv[SK_FEE].key) {
		rc = parse_fee(p, ctx, &kv[SK_FEE], &st->fee);
		if (rc < 0)
			return rc;
	}
	return 0;
}

enum { GK_NAME, GK_STEPS, GK_AGENT, GK_COUNT };
static const char *const strategy_keys[GK_COUNT] = {
	[GK_NAME] = "name",
	[GK_STEPS] = "steps",
	[GK_AGENT] = "agent_on_open",
};

static int parse_strategy(struct pctx *p, const struct field *item,
			  struct strategy *sg)
{
	struct strategy_set *set = p->set;
	struct field kv[GK_COUNT];
	char ctx[CTX_MAX], name[CTX_MAX], id[NAME_LEN_MAX + 1];
	size_t n;
	void *it = NULL;
	int rc;

	rc = want(p, "strategies", item, K_MAP,
		  "a mapping with name and steps");
	if (rc < 0)
		return rc;
	sg->line = node_pos(item->val).line;
	if (peek_name(item->val, "name", id))
		bfmt(ctx, sizeof(ctx), "strategy '%s'", id);
	else
		bfmt(ctx, sizeof(ctx), "%s", item->name);
	rc = read_map(p, ctx, "key", item->val, strategy_keys, GK_COUNT, kv);
	if (rc < 0)
		return rc;
	if (!kv[GK_NAME].key)
		return missing(p, ctx, item->val, "name",
			       "a strategy name such as standard");
	rc = get_name(p, ctx, &kv[GK_NAME], "strategy name", &sg->name);
	if (rc < 0)
		return rc;
	bfmt(ctx, sizeof(ctx), "strategy '%s'", sg->name);
	for (const struct strategy *o = set->strategies; o < sg; o++) {
		if (strcmp(o->name, sg->name) == 0)
			return fail_at(p, kv[GK_NAME].val, NULL, ERR_INVALID,
				       "%s: duplicate strategy name (first on line %d); expected names unique in the file",
				       ctx, o->line);
	}
	if (kv[GK_AGENT].key) {
		rc = get_bool(p, ctx, &kv[GK_AGENT], &sg->agent_on_open);
		if (rc < 0)
			return rc;
	}
	if (!kv[GK_STEPS].key)
		return missing(p, ctx, item->val, "steps",
			       "a list of steps");
	rc = want_list(p, ctx, &kv[GK_STEPS], "a list of steps", &n);
	if (rc < 0)
		return rc;
	if (n > STRATEGY_STEPS_MAX)
		return fail_at(p, kv[GK_STEPS].val, NULL, ERR_RANGE,
			       "%s: %zu steps; expected at most %d",
			       ctx, n, STRATEGY_STEPS_MAX);
	/* All entries are zeroed first, so strategy_set_free can free a
	 * half-parsed list. */
	sg->steps = xcalloc(n, sizeof(*sg->steps));
	sg->n_steps = n;
	for (size_t i = 0; i < n; i++) {
		struct field step;

		next_item(kv[GK_STEPS].val, &it, i, "step", name, &step);
		rc = parse_step(p, sg, &step, &sg->steps[i],
				i ? &sg->steps[i - 1] : NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- rules ----------------------------------------------------------- */

enum {
	CK_VULNERABLE, CK_SEGMENTS, CK_COUNTRIES, CK_CURRENCIES,
	CK_AMOUNT_MIN, CK_AMOUNT_MAX, CK_TENURE_MIN, CK_TENURE_MAX, CK_COUNT
};
static const char *const cond_keys[CK_COUNT] = {
	[CK_VULNERABLE] = "vulnerable",
	[CK_SEGMENTS] = "segments",
	[CK_COUNTRIES] = "countries",
	[CK_CURRENCIES] = "currencies",
	[CK_AMOUNT_MIN] = "amount_min",
	[CK_AMOUNT_MAX] = "amount_max",
	[CK_TENURE_MIN] = "tenure_min_days",
	[CK_TENURE_MAX] = "tenure_max_days",
};

enum { RK_WHEN, RK_USE, RK_DEFAULT, RK_EXPERIMENT, RK_COUNT };
static const char *const rule_keys[RK_COUNT] = {
	[RK_WHEN] = "when",
	[RK_USE] = "use",
	[RK_DEFAULT] = "default",
	[RK_EXPERIMENT] = "experiment",
};

/* A segment tag: 1 to 64 bytes, no control characters or spaces. Tags come
 * from the tenant's data, so they are not limited to the name charset. */
static int is_tag(const char *s, size_t len)
{
	if (len == 0 || len > NAME_LEN_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c <= 0x20 || c == 0x7f)
			return 0;
	}
	return 1;
}

static int parse_segments(struct pctx *p, const char *ctx,
			  const struct field *f, struct rule *r)
{
	static const char expect[] =
		"a list of customer tags such as [business], each 1 to 64 characters without spaces";
	char name[CTX_MAX], q[QUOTE_BUF];
	size_t n;
	void *it = NULL;
	int rc;

	rc = want_list(p, ctx, f, expect, &n);
	if (rc < 0)
		return rc;
	r->segments = xcalloc(n, sizeof(*r->segments));
	for (size_t i = 0; i < n; i++) {
		struct field item;
		const char *s;
		size_t len;

		next_item(f->val, &it, i, "segment", name, &item);
		rc = scalar_text(p, ctx, &item, expect, &s, &len);
		if (rc < 0)
			return rc;
		if (!is_tag(s, len))
			return fail_at(p, item.val, NULL, ERR_INVALID,
				       "%s: invalid segment '%s'; expected %s",
				       ctx, quote(s, len, q), expect);
		r->segments[i] = xstrndup(s, len);
		r->n_segments = i + 1;
	}
	return 0;
}

/* Country (width 2) or currency (width 3) codes: upper-case letters;
 * currencies must also be known ISO 4217 codes. `codes` holds n entries of
 * width + 1 bytes (code and NUL), as rule.countries and rule.currencies. */
static int parse_codes(struct pctx *p, const char *ctx, const struct field *f,
		       size_t width, char *codes, size_t n)
{
	const char *expect = width == 2 ?
		"a list of ISO 3166 country codes such as [NL, BE]" :
		"a list of ISO 4217 currency codes such as [EUR]";
	char name[CTX_MAX], q[QUOTE_BUF], code[4];
	void *it = NULL;
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct field item;
		const char *s;
		size_t len, j;

		next_item(f->val, &it, i, width == 2 ? "country" : "currency",
			  name, &item);
		rc = scalar_text(p, ctx, &item, expect, &s, &len);
		if (rc < 0)
			return rc;
		for (j = 0; j < len && s[j] >= 'A' && s[j] <= 'Z'; j++)
			;
		if (len != width || j != len)
			return fail_at(p, item.val, NULL, ERR_INVALID,
				       "%s: invalid %s code '%s'; expected %zu upper-case letters, as in %s",
				       ctx, width == 2 ? "country" : "currency",
				       quote(s, len, q), width,
				       width == 2 ? "NL" : "EUR");
		memcpy(code, s, width);
		code[width] = '\0';
		if (width == 3 && !currency_find(code))
			return fail_at(p, item.val, NULL, ERR_INVALID,
				       "%s: unknown currency '%s'; expected an ISO 4217 code such as EUR",
				       ctx, code);
		memcpy(codes + i * (width + 1), code, width + 1);
	}
	return 0;
}

static int parse_when(struct pctx *p, const char *ctx, const struct field *f,
		      struct rule *r)
{
	char list[LIST_MAX], expect[LIST_MAX + 64];
	struct field kv[CK_COUNT];
	size_t n;
	int rc;

	bfmt(expect, sizeof(expect), "a mapping of conditions from %s",
	     join(cond_keys, CK_COUNT, list));
	rc = want(p, ctx, f, K_MAP, expect);
	if (rc < 0)
		return rc;
	if (fy_node_mapping_item_count(f->val) <= 0)
		return fail_at(p, f->val, f->key, ERR_INVALID,
			       "%s: 'when' has no conditions; expected at least one (use 'default:' for a rule that always applies)",
			       ctx);
	rc = read_map(p, ctx, "condition", f->val, cond_keys, CK_COUNT, kv);
	if (rc < 0)
		return rc;

	if (kv[CK_VULNERABLE].key) {
		rc = get_bool(p, ctx, &kv[CK_VULNERABLE], &r->vulnerable);
		if (rc < 0)
			return rc;
	}
	if (kv[CK_SEGMENTS].key) {
		rc = parse_segments(p, ctx, &kv[CK_SEGMENTS], r);
		if (rc < 0)
			return rc;
	}
	if (kv[CK_COUNTRIES].key) {
		rc = want_list(p, ctx, &kv[CK_COUNTRIES],
			       "a list of ISO 3166 country codes such as [NL, BE]",
			       &n);
		if (rc < 0)
			return rc;
		r->countries = xcalloc(n, sizeof(*r->countries));
		rc = parse_codes(p, ctx, &kv[CK_COUNTRIES], 2,
				 &r->countries[0][0], n);
		if (rc < 0)
			return rc;
		r->n_countries = n;
	}
	if (kv[CK_CURRENCIES].key) {
		rc = want_list(p, ctx, &kv[CK_CURRENCIES],
			       "a list of ISO 4217 currency codes such as [EUR]",
			       &n);
		if (rc < 0)
			return rc;
		r->currencies = xcalloc(n, sizeof(*r->currencies));
		rc = parse_codes(p, ctx, &kv[CK_CURRENCIES], 3,
				 &r->currencies[0][0], n);
		if (rc < 0)
			return rc;
		r->n_currencies = n;
	}
	if (kv[CK_AMOUNT_MIN].key) {
		rc = get_amount(p, ctx, &kv[CK_AMOUNT_MIN],
				&r->amount_min_micros);
		if (rc < 0)
			return rc;
	}
	if (kv[CK_AMOUNT_MAX].key) {
		rc = get_amount(p, ctx, &kv[CK_AMOUNT_MAX],
				&r->amount_max_micros);
		if (rc < 0)
			return rc;
		if (r->amount_min_micros > r->amount_max_micros)
			return fail_at(p, kv[CK_AMOUNT_MAX].val, NULL,
				       ERR_INVALID,
				       "%s: amount_max is below amount_min; expected amount_min <= amount_max",
				       ctx);
	}
	if (kv[CK_TENURE_MIN].key) {
		rc = get_int(p, ctx, &kv[CK_TENURE_MIN], 0, TENURE_MAX,
			     &r->tenure_min_days);
		if (rc < 0)
			return rc;
	}
	if (kv[CK_TENURE_MAX].key) {
		rc = get_int(p, ctx, &kv[CK_TENURE_MAX], 0, TENURE_MAX,
			     &r->tenure_max_days);
		if (rc < 0)
			return rc;
		if (r->tenure_min_days > r->tenure_max_days)
			return fail_at(p, kv[CK_TENURE_MAX].val, NULL,
				       ERR_INVALID,
				       "%s: tenure_max_days is below tenure_min_days; expected tenure_min_days <= tenure_max_days",
				       ctx);
	}
	return 0;
}

/* The index of the strategy a `use` or `default` names. */
static int get_strategy_ref(struct pctx *p, const char *ctx,
			    const struct field *f, size_t *ret)
{
	const struct strategy_set *set = p->set;
	char list[LIST_MAX], q[QUOTE_BUF];
	const char *names[64];
	const char *s;
	size_t len, n = 0;
	int rc;

	rc = scalar_text(p, ctx, f, "the name of a strategy", &s, &len);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < set->n_strategies; i++) {
		if (strlen(set->strategies[i].name) == len &&
		    memcmp(set->strategies[i].name, s, len) == 0) {
			*ret = i;
			return 0;
		}
		if (n < N_ELEMS(names))
			names[n++] = set->strategies[i].name;
	}
	return fail_at(p, f->val, f->key, ERR_INVALID,
		       "%s: unknown strategy '%s'; expected one of %s", ctx,
		       quote(s, len, q), join(names, n, list));
}

/* ---- experiments (issue #9) ---- */

#define WEIGHT_MAX 10000    /* a variant's weight */
enum { XK_ID, XK_VARIANTS, XK_COUNT };
static const char *const experiment_keys[XK_COUNT] = {
	[XK_ID] = "id",
	[XK_VARIANTS] = "variants",
};
enum { VK_USE, VK_WEIGHT, VK_COUNT };
static const char *const variant_keys[VK_COUNT] = {
	[VK_USE] = "use",
	[VK_WEIGHT] = "weight",
};

/* `experiment: {id: tone-2026-11, variants: [{use: friendly, weight: 50},
 * {use: firm, weight: 50}]}`: 2 to 16 variants, each a different
 * strategy with a weight 0..10000 (not all 0); the id unique in the
 * file, since the cases of an experiment are counted by it. The first
 * variant is the champion the others are compared with. */
static int parse_experiment(struct pctx *p, const char *ctx,
			    const struct field *f, struct rule *r)
{
	static const char expect[] =
		"a mapping with id and variants, such as {id: tone-test, variants: [{use: friendly, weight: 50}, {use: firm, weight: 50}]}";
	static const char vexpect[] =
		"a list of 2 to 16 variants such as {use: friendly, weight: 50}";
	struct rule_experiment *x;
	struct field kv[XK_COUNT];
	char name[CTX_MAX], vctx[CTX_MAX * 2];
	unsigned long total = 0;
	void *it = NULL;
	size_t n;
	int rc;

	rc = want(p, ctx, f, K_MAP, expect);
	if (rc < 0)
		return rc;
	rc = read_map(p, ctx, "key", f->val, experiment_keys, XK_COUNT, kv);
	if (rc < 0)
		return rc;
	if (!kv[XK_ID].key)
		return missing(p, ctx, f->val, "id",
			       "the experiment's id, such as tone-2026-11");
	if (!kv[XK_VARIANTS].key)
		return missing(p, ctx, f->val, "variants", vexpect);
	x = xcalloc(1, sizeof(*x));
	r->experiment = x; /* freed with the set, even half-parsed */
	x->line = node_pos(f->val).line;
	rc = get_name(p, ctx, &kv[XK_ID], "experiment id", &x->id);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < p->set->n_rules; i++) {
		const struct rule *o = &p->set->rules[i];
		if (o != r && o->experiment && o->experiment->id &&
		    strcmp(o->experiment->id, x->id) == 0)
			return fail_at(p, kv[XK_ID].val, NULL, ERR_INVALID,
				       "%s: experiment id '%s' is used by an earlier rule (line %d); expected an id of its own",
				       ctx, x->id, o->line);
	}
	rc = want_list(p, ctx, &kv[XK_VARIANTS], vexpect, &n);
	if (rc < 0)
		return rc;
	if (n < 2 || n > STRATEGY_VARIANTS_MAX)
		return fail_at(p, kv[XK_VARIANTS].val, NULL, ERR_INVALID,
			       "%s: %zu variants; expected %s", ctx, n,
			       vexpect);
	for (size_t i = 0; i < n; i++) {
		struct rule_variant *v = &x->variants[i];
		struct field item, vk[VK_COUNT];
		int w;

		next_item(kv[XK_VARIANTS].val, &it, i, "variant", name, &item);
		bfmt(vctx, sizeof(vctx), "%s: variant %zu", ctx, i + 1);
		rc = want(p, vctx, &item, K_MAP,
			  "a mapping such as {use: friendly, weight: 50}");
		if (rc < 0)
			return rc;
		rc = read_map(p, vctx, "key", item.val, variant_keys, VK_COUNT,
			      vk);
		if (rc < 0)
			return rc;
		if (!vk[VK_USE].key)
			return missing(p, vctx, item.val, "use",
				       "the name of the variant's strategy");
		if (!vk[VK_WEIGHT].key)
			return missing(p, vctx, item.val, "weight",
				       "the variant's share, such as 50");
		v->line = node_pos(item.val).line;
		rc = get_strategy_ref(p, vctx, &vk[VK_USE], &v->strategy);
		if (rc < 0)
			return rc;
		for (size_t j = 0; j < i; j++)
			if (x->variants[j].strategy == v->strategy)
				return fail_at(p, vk[VK_USE].val, NULL,
					       ERR_INVALID,
					       "%s: strategy '%s' is variant %zu already; expected a different strategy in each variant",
					       vctx,
					       p->set->strategies[v->strategy].name,
					       j + 1);
		rc = get_int(p, vctx, &vk[VK_WEIGHT], 0, WEIGHT_MAX, &w);
		if (rc < 0)
			return rc;
		v->weight = (unsigned)w;
		x->weights[i] = (unsigned)w;
		total += (unsigned long)w;
		x->n_variants = i + 1;
	}
	if (total == 0)
		return fail_at(p, kv[XK_VARIANTS].val, NULL, ERR_INVALID,
			       "%s: every weight is 0; expected at least one variant with a weight above 0",
			       ctx);
	r->strategy = x->variants[0].strategy;
	return 0;
}

static int parse_rules(struct pctx *p, const struct field *f)
{
	static const char expect[] =
		"a list of rules ending with 'default: <strategy>'";
	struct strategy_set *set = p->set;
	char name[CTX_MAX];
	size_t n;
	void *it = NULL;
	int rc;

	rc = want_list(p, "top level", f, expect, &n);
	if (rc < 0)
		return rc;
	/* One slot too many (the default is not kept as a rule); zeroed so
	 * strategy_set_free can free a half-parsed list. */
	set->rules = xcalloc(n, sizeof(*set->rules));
	for (size_t i = 0; i < n; i++) {
		struct rule *r = &set->rules[set->n_rules];
		struct field item, kv[RK_COUNT];
		char ctx[CTX_MAX];

		next_item(f->val, &it, i, "rule", name, &item);
		bfmt(ctx, sizeof(ctx), "rule %zu", i + 1);
		rc = want(p, "rules", &item, K_MAP,
			  "a mapping with when and use, or default");
		if (rc < 0)
			return rc;
		rc = read_map(p, ctx, "key", item.val, rule_keys, RK_COUNT, kv);
		if (rc < 0)
			return rc;
		if (kv[RK_DEFAULT].key) {
			if (kv[RK_WHEN].key || kv[RK_USE].key ||
			    kv[RK_EXPERIMENT].key)
				return fail_at(p, kv[RK_DEFAULT].key, NULL,
					       ERR_INVALID,
					       "%s: 'default' together with 'when' or 'use'; expected either 'default: <strategy>' alone or 'when' and 'use'",
					       ctx);
			if (i != n - 1)
				return fail_at(p, kv[RK_DEFAULT].key, NULL,
					       ERR_INVALID,
					       "%s: the default rule is not the last rule, so the rules after it never apply; expected the default last",
					       ctx);
			return get_strategy_ref(p, ctx, &kv[RK_DEFAULT],
						&set->default_strategy);
		}
		if (!kv[RK_WHEN].key)
			return missing(p, ctx, item.val, "when",
				       "the conditions of the rule, such as {vulnerable: true}");
		if (kv[RK_USE].key && kv[RK_EXPERIMENT].key)
			return fail_at(p, kv[RK_EXPERIMENT].key, NULL,
				       ERR_INVALID,
				       "%s: both 'use' and 'experiment'; expected one of them (an experiment names its strategies in its variants)",
				       ctx);
		if (!kv[RK_USE].key && !kv[RK_EXPERIMENT].key)
			return missing(p, ctx, item.val, "use",
				       "the name of the strategy the rule chooses (or 'experiment')");
		r->amount_min_micros = -1;
		r->amount_max_micros = -1;
		r->vulnerable = -1;
		r->tenure_min_days = -1;
		r->tenure_max_days = -1;
		r->line = node_pos(item.val).line;
		set->n_rules++;
		rc = parse_when(p, ctx, &kv[RK_WHEN], r);
		if (rc < 0)
			return rc;
		if (kv[RK_EXPERIMENT].key)
			rc = parse_experiment(p, ctx, &kv[RK_EXPERIMENT], r);
		else
			rc = get_strategy_ref(p, ctx, &kv[RK_USE],
					      &r->strategy);
		if (rc < 0)
			return rc;
	}
	return fail_at(p, f->key, NULL, ERR_INVALID,
		       "rules: no default rule; expected the last rule to be 'default: <strategy>'");
}

/* ---- the file -------------------------------------------------------- */

enum { TK_POLICY, TK_STRATEGIES, TK_RULES, TK_COUNT };
static const char *const top_keys[TK_COUNT] = {
	[TK_POLICY] = "contact_policy",
	[TK_STRATEGIES] = "strategies",
	[TK_RULES] = "rules",
};

static const char *const policy_keys[] = { "min_days_between",
					   "max_per_7_days" };

static int parse_policy(struct pctx *p, const struct field *f)
{
	struct contact_policy *cp = &p->set->policy;
	struct field kv[N_ELEMS(policy_keys)];
	int rc;

	rc = want(p, "top level", f, K_MAP,
		  "a mapping with min_days_between and max_per_7_days");
	if (rc < 0)
		return rc;
	rc = read_map(p, "contact_policy", "key", f->val, policy_keys,
		      N_ELEMS(policy_keys), kv);
	if (rc < 0)
		return rc;
	if (kv[0].key) {
		rc = get_int(p, "contact_policy", &kv[0], 0, GAP_DAYS_MAX,
			     &cp->min_days_between);
		if (rc < 0)
			return rc;
	}
	if (kv[1].key) {
		rc = get_int(p, "contact_policy", &kv[1], 0, PER_WEEK_MAX,
			     &cp->max_per_7_days);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_root(struct pctx *p, struct fy_node *root)
{
	struct strategy_set *set = p->set;
	struct field top = { "the file", NULL, root };
	struct field kv[TK_COUNT];
	char list[LIST_MAX], expect[LIST_MAX + 32], name[CTX_MAX];
	size_t n;
	void *it = NULL;
	int rc;

	bfmt(expect, sizeof(expect), "a mapping with keys %s",
	     join(top_keys, TK_COUNT, list));
	rc = want(p, "top level", &top, K_MAP, expect);
	if (rc < 0)
		return rc;
	rc = read_map(p, "top level", "key", root, top_keys, TK_COUNT, kv);
	if (rc < 0)
		return rc;
	if (kv[TK_POLICY].key) {
		rc = parse_policy(p, &kv[TK_POLICY]);
		if (rc < 0)
			return rc;
	}
	if (!kv[TK_STRATEGIES].key)
		return missing(p, "top level", root, "strategies",
			       "a list of strategies");
	rc = want_list(p, "top level", &kv[TK_STRATEGIES],
		       "a list of strategies", &n);
	if (rc < 0)
		return rc;
	set->strategies = xcalloc(n, sizeof(*set->strategies));
	set->n_strategies = n;
	for (size_t i = 0; i < n; i++) {
		struct field item;

		next_item(kv[TK_STRATEGIES].val, &it, i, "strategy", name,
			  &item);
		rc = parse_strategy(p, &item, &set->strategies[i]);
		if (rc < 0)
			return rc;
	}
	if (!kv[TK_RULES].key)
		return missing(p, "top level", root, "rules",
			       "a list of rules ending with 'default: <strategy>'");
	return parse_rules(p, &kv[TK_RULES]);
}

/* Turn libfyaml's first collected error into ours. */
static int yaml_error(struct pctx *p, struct fy_diag *d)
{
	const struct fy_diag_error *de = first_error(d);
	char q[QUOTE_BUF];

	if (!de)
		return err_set(p->e, ERR_INVALID,
			       "%s: the YAML parser failed without saying why",
			       p->source);
	return err_set(p->e, ERR_INVALID, "%s:%d:%d: YAML syntax error: %s",
		       p->source, de->line, de->column,
		       quote(de->msg ? de->msg : "?",
			     de->msg ? strlen(de->msg) : 1, q));
}

int strategy_set_parse(const char *source, const char *text, size_t len,
		       struct strategy_set **ret, struct err *e)
{
	struct pctx p = { .source = source ? source : "strategies", .e = e };
	struct fy_parse_cfg cfg;
	struct fy_parser *fyp;
	struct fy_diag *diag;
	struct fy_document *doc = NULL, *extra;
	struct fy_node *root;
	int rc;

	if (len > STRATEGY_FILE_MAX)
		return err_set(e, ERR_TOOBIG,
			       "%s: the file is %zu bytes; expected at most 1 MiB (%d bytes)",
			       p.source, len, STRATEGY_FILE_MAX);
	diag = quiet_diag();
	if (!diag)
		return err_set(e, ERR_IO, "%s: libfyaml could not start",
			       p.source);
	memset(&cfg, 0, sizeof(cfg));
	cfg.flags = FYPCF_QUIET | FYPCF_DEFAULT_VERSION_1_2 | FYPCF_JSON_NONE;
	cfg.diag = diag;
	fyp = fy_parser_create(&cfg);
	if (!fyp) {
		rc = err_set(e, ERR_IO, "%s: libfyaml could not start",
			     p.source);
		goto out_diag;
	}
	if (fy_parser_set_string(fyp, text && len ? text : "", len) < 0) {
		rc = err_set(e, ERR_IO, "%s: libfyaml could not read the text",
			     p.source);
		goto out_parser;
	}

	doc = fy_parse_load_document(fyp);
	if (first_error(diag)) {
		rc = yaml_error(&p, diag);
		goto out_doc;
	}
	root = doc ? fy_document_root(doc) : NULL;
	if (!root) {
		rc = err_set(e, ERR_INVALID,
			     "%s:1:1: the file is empty; expected a mapping with keys contact_policy, strategies, rules",
			     p.source);
		goto out_doc;
	}
	/* A second document would be silently ignored: refuse it. Loading it
	 * also reports syntax errors further down the file. */
	extra = fy_parse_load_document(fyp);
	if (extra) {
		const struct fy_mark *m = fy_document_state_start_mark(
			fy_document_get_document_state(extra));
		rc = err_set(e, ERR_INVALID,
			     "%s:%d:%d: a second YAML document; expected one document per file",
			     p.source, m ? m->line + 1 : 0,
			     m ? m->column + 1 : 0);
		fy_parse_document_destroy(fyp, extra);
		goto out_doc;
	}
	if (first_error(diag)) {
		rc = yaml_error(&p, diag);
		goto out_doc;
	}

	p.set = xcalloc(1, sizeof(*p.set));
	p.set->source = xstrdup(p.source);
	rc = parse_root(&p, root);
	if (rc < 0) {
		strategy_set_free(p.set);
		goto out_doc;
	}
	*ret = p.set;
	rc = 0;
out_doc:
	if (doc)
		fy_parse_document_destroy(fyp, doc);
out_parser:
	fy_parser_destroy(fyp);
out_diag:
	fy_diag_destroy(diag);
	return rc;
}

int strategy_set_load(const char *path, struct strategy_set **ret,
		      struct err *e)
{
	char ebuf[128];
	char *text;
	size_t len = 0, cap = 64 * 1024;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (!f)
		return err_set(e, errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
			       "%s: cannot open: %s", path,
			       strerror_r(errno, ebuf, sizeof(ebuf)));
	/* Read at most one byte more than allowed, to tell "exactly 1 MiB"
	 * from "too big" without trusting the file's size. */
	text = xmalloc(cap);
	for (;;) {
		size_t got;

		if (len == cap) {
			if (cap > STRATEGY_FILE_MAX)
				break;
			cap = cap * 2 > STRATEGY_FILE_MAX + 1 ?
				      STRATEGY_FILE_MAX + 1 : cap * 2;
			text = xrealloc(text, cap);
		}
		got = fread(text + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = err_set(e, ERR_IO, "%s: cannot read: %s", path,
			     strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (len > STRATEGY_FILE_MAX) {
		rc = err_set(e, ERR_TOOBIG,
			     "%s: the file is larger than 1 MiB; expected at most %d bytes",
			     path, STRATEGY_FILE_MAX);
		goto out;
	}
	rc = strategy_set_parse(path, text, len, ret, e);
out:
	free(text);
	fclose(f);
	return rc;
}

void strategy_set_free(struct strategy_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_strategies; i++) {
		struct strategy *sg = &s->strategies[i];
		for (size_t j = 0; j < sg->n_steps; j++) {
			free(sg->steps[j].id);
			free(sg->steps[j].template_id);
			fee_spec_free(&sg->steps[j].fee);
		}
		free(sg->steps);
		free(sg->name);
	}
	free(s->strategies);
	for (size_t i = 0; i < s->n_rules; i++) {
		struct rule *r = &s->rules[i];
		for (size_t j = 0; j < r->n_segments; j++)
			free(r->segments[j]);
		free(r->segments);
		free(r->countries);
		free(r->currencies);
		if (r->experiment)
			free(r->experiment->id);
		free(r->experiment);
	}
	free(s->rules);
	free(s->source);
	free(s);
}

/* ---- queries --------------------------------------------------------- */

static int rule_matches(const struct rule *r, const struct rule_facts *f)
{
	const char *country = f->country ? f->country : "";
	const char *currency = f->currency ? f->currency : "";
	size_t i, j;

	if (r->vulnerable >= 0 && (f->vulnerable != 0) != (r->vulnerable != 0))
		return 0;
	if (r->segments) {
		for (i = 0; i < r->n_segments; i++) {
			for (j = 0; j < f->n_segments; j++) {
				if (f->segments[j] &&
				    strcmp(r->segments[i], f->segments[j]) == 0)
					break;
			}
			if (j < f->n_segments)
				break;
		}
		if (i == r->n_segments)
			return 0;
	}
	if (r->countries) {
		for (i = 0; i < r->n_countries; i++) {
			if (strcmp(r->countries[i], country) == 0)
				break;
		}
		if (i == r->n_countries)
			return 0;
	}
	if (r->currencies) {
		for (i = 0; i < r->n_currencies; i++) {
			if (strcmp(r->currencies[i], currency) == 0)
				break;
		}
		if (i == r->n_currencies)
			return 0;
	}
	if (r->amount_min_micros >= 0 && f->open_micros < r->amount_min_micros)
		return 0;
	if (r->amount_max_micros >= 0 && f->open_micros > r->amount_max_micros)
		return 0;
	/* An unknown tenure (-1) satisfies no tenure condition. */
	if (r->tenure_min_days >= 0 &&
	    (f->tenure_days < 0 || f->tenure_days < r->tenure_min_days))
		return 0;
	if (r->tenure_max_days >= 0 &&
	    (f->tenure_days < 0 || f->tenure_days > r->tenure_max_days))
		return 0;
	return 1;
}

size_t strategy_choose(const struct strategy_set *s,
		       const struct rule_facts *facts)
{
	struct rule_choice c;

	strategy_choose_variant(s, facts, &c);
	return c.strategy;
}

void strategy_choose_variant(const struct strategy_set *s,
			     const struct rule_facts *facts,
			     struct rule_choice *ret)
{
	ret->strategy = s->default_strategy;
	ret->experiment = NULL;
	ret->variant = -1;
	for (size_t i = 0; i < s->n_rules; i++) {
		const struct rule *r = &s->rules[i];
		const struct rule_experiment *x = r->experiment;
		int v;

		if (!rule_matches(r, facts))
			continue;
		ret->strategy = r->strategy;
		if (!x || !facts->customer)
			return; /* no experiment, or nobody to assign */
		/* Stable: the same customer gets the same variant in every
		 * run, process and machine (experiment.h). */
		v = experiment_assign(x->id, facts->tenant_id, facts->customer,
				      x->weights, x->n_variants);
		if (v < 0)
			return; /* cannot happen for a parsed set: champion */
		ret->strategy = x->variants[v].strategy;
		ret->experiment = x->id;
		ret->variant = v;
		return;
	}
}

long strategy_find(const struct strategy_set *s, const char *name)
{
	for (size_t i = 0; i < s->n_strategies; i++) {
		if (strcmp(s->strategies[i].name, name) == 0)
			return (long)i;
	}
	return -1;
}

int strategy_lead_days(const struct strategy *st)
{
	int lead = 0;

	for (size_t i = 0; i < st->n_steps; i++) {
		if (-st->steps[i].offset_days > lead)
			lead = -st->steps[i].offset_days;
	}
	return lead;
}

const char *tone_name(enum tone t)
{
	if ((unsigned)t >= N_ELEMS(tone_names))
		return "?";
	return tone_names[t];
}

const char *end_action_name(enum end_action a)
{
	if ((unsigned)a >= N_ELEMS(end_names))
		return "?";
	return end_names[a];
}
