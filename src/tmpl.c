/*
 * tmpl: the mustache-subset template engine (see tmpl.h for the language).
 *
 * Hand-written because Debian ships no C mustache library (DESIGN.md); the
 * subset is small enough to own, and owning it lets names be checked and
 * resolved when a template is loaded instead of when a reminder is sent.
 *
 * A template compiles to a flat array of ops: literal text (copied into
 * one pool owned by the template, so sources and partials need not outlive
 * compilation), a value output with its name already resolved to (scope
 * level, field index), and sections that know where their body ends.
 * Partials are inlined at compile time. Only a section over a list opens a
 * scope, so scope levels seen by the compiler are exactly the levels the
 * renderer has: level 0 is the caller's values, level k the current
 * element of the k-th enclosing list section.
 *
 * Rendering walks the ops; the only recursion is one level per list
 * section (bounded by TMPL_MAX_DEPTH), the only allocation is the output
 * buffer growing. It never prints and never truncates: output beyond the
 * bound is an error and leaves the buffer as it was.
 */
#include "tmpl.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

enum op_code {
	OP_TEXT,     /* literal text */
	OP_VAR,      /* a text value, escaped in HTML mode */
	OP_RAW,      /* a text value, never escaped */
	OP_SECTION,  /* body when the value is true; once per element of a list */
	OP_INVERTED, /* body when the value is false */
};

struct op {
	uint8_t code;               /* enum op_code */
	uint8_t kind;               /* enum tmpl_kind of the field (not TEXT ops) */
	uint16_t level;             /* scope of the field: 0 = top level */
	uint32_t field;             /* index of the field in that scope */
	uint32_t a;                 /* TEXT: offset in the pool; SECTION and
	                               INVERTED: index of the op after the body */
	uint32_t n;                 /* TEXT: bytes; SECTION over a list: values
	                               per element */
	const struct tmpl_field *f; /* the field (messages about bad values) */
};

struct tmpl {
	struct op *ops;  /* the program */
	size_t n_ops;    /* ops in it */
	char *text;      /* pool of literal text */
	size_t text_len; /* bytes in the pool */
	char *name;      /* srcname, for render messages */
};

/* ---- compiling ---------------------------------------------------------- */

enum tag_kind {
	TAG_VAR,      /* {{x}} */
	TAG_RAW,      /* {{{x}}} or {{&x}} */
	TAG_SECTION,  /* {{#x}} */
	TAG_INVERTED, /* {{^x}} */
	TAG_CLOSE,    /* {{/x}} */
	TAG_COMMENT,  /* {{! ... }} */
	TAG_PARTIAL,  /* {{> x}} */
	TAG_DELIM,    /* {{=a b=}}: refused */
};

/* One tag as found in the source. */
struct tag {
	enum tag_kind kind; /* what it is */
	int triple;         /* opened with "{{{" */
	const char *name;   /* its name (trimmed), inside the source */
	size_t name_len;    /* bytes of name */
	size_t end;         /* offset just after the closing braces */
};

/* A scope names can be found in. */
struct scope {
	const struct tmpl_schema *schema; /* its fields */
	const char *list;                 /* the list field that opened it; NULL at the top */
};

/* A section whose close tag has not been seen yet. */
struct open_sec {
	size_t op;          /* its SECTION or INVERTED op */
	const char *name;   /* its name, inside the source */
	size_t name_len;    /* bytes of name */
	int line;           /* line of its tag */
	int pushed;         /* it opened a scope (a section over a list) */
};

struct comp {
	struct tmpl *t;                         /* being built */
	size_t ops_cap;                         /* ops allocated */
	size_t text_cap;                        /* pool bytes allocated */
	int merge;                              /* the last op is TEXT that new text may extend */
	struct scope scopes[TMPL_MAX_DEPTH + 1]; /* innermost last */
	size_t n_scopes;                        /* scopes in use (>= 1) */
	struct open_sec secs[TMPL_MAX_DEPTH];   /* open sections, innermost last */
	size_t n_secs;                          /* how many */
	tmpl_partial_fn partial;                /* partial sources; may be NULL */
	void *partial_ctx;                      /* its context */
	char partials[TMPL_MAX_PARTIALS][TMPL_NAME_MAX + 1]; /* partials being inlined, outermost first */
	size_t n_partials;                      /* how many */
	struct err *e;                          /* where the message goes */
};

static int fail(struct comp *c, const char *srcname, int line, int code,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Set "srcname:line: <message>" and return -code. */
static int fail(struct comp *c, const char *srcname, int line, int code,
		const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(c->e, code, "%s:%d: %s", srcname, line, msg);
}

/* err_quote for a piece of source that is not NUL-terminated. */
static const char *quote_n(const char *s, size_t n, char out[ERR_QUOTE_BUF])
{
	char tmp[ERR_QUOTE_MAX + 2];

	if (n > ERR_QUOTE_MAX + 1)
		n = ERR_QUOTE_MAX + 1; /* enough for err_quote to add "..." */
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return err_quote(tmp, out);
}

static int count_nl(const char *s, size_t from, size_t to)
{
	int n = 0;

	for (size_t i = from; i < to; i++)
		n += s[i] == '\n';
	return n;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Find the tag opened by "{{" at s[p]. Returns 0, or -1 when it is not
 * closed (ret->triple tells which closing was wanted). */
static int scan_tag(const char *s, size_t len, size_t p, struct tag *ret)
{
	size_t b = p + 2, close;
	const char *q;

	memset(ret, 0, sizeof(*ret));
	if (b < len && s[b] == '{') {
		ret->triple = 1;
		b++;
		q = memmem(s + b, len - b, "}}}", 3);
		if (!q)
			return -1;
		close = (size_t)(q - s);
		ret->kind = TAG_RAW;
		ret->end = close + 3;
	} else {
		q = memmem(s + b, len - b, "}}", 2);
		if (!q)
			return -1;
		close = (size_t)(q - s);
		ret->end = close + 2;
		while (b < close && is_space(s[b]))
			b++;
		ret->kind = TAG_VAR;
		if (b < close) {
			switch (s[b]) {
			case '#': ret->kind = TAG_SECTION; break;
			case '^': ret->kind = TAG_INVERTED; break;
			case '/': ret->kind = TAG_CLOSE; break;
			case '!': ret->kind = TAG_COMMENT; break;
			case '>': ret->kind = TAG_PARTIAL; break;
			case '&': ret->kind = TAG_RAW; break;
			case '=': ret->kind = TAG_DELIM; break;
			default: break;
			}
			if (ret->kind != TAG_VAR)
				b++;
		}
	}
	while (b < close && is_space(s[b]))
		b++;
	while (close > b && is_space(s[close - 1]))
		close--;
	ret->name = s + b;
	ret->name_len = close - b;
	return 0;
}

static int standalone_kind(enum tag_kind k)
{
	return k == TAG_SECTION || k == TAG_INVERTED || k == TAG_CLOSE ||
	       k == TAG_COMMENT || k == TAG_PARTIAL || k == TAG_DELIM;
}

/* After a tag ending at `end`: only spaces or tabs up to a newline or the
 * end of the source? Then *ret_next is where the next line starts. */
static int rest_blank(const char *s, size_t len, size_t end, size_t *ret_next)
{
	size_t q = end;

	while (q < len && (s[q] == ' ' || s[q] == '\t'))
		q++;
	if (q == len) {
		*ret_next = q;
		return 1;
	}
	if (s[q] == '\n') {
		*ret_next = q + 1;
		return 1;
	}
	if (s[q] == '\r' && q + 1 < len && s[q + 1] == '\n') {
		*ret_next = q + 2;
		return 1;
	}
	return 0;
}

/* Check a field name ([A-Za-z0-9_-]) or, with `partial`, a partial name
 * (also '.' and '/'). */
static int check_name(struct comp *c, const char *srcname, int line,
		      const struct tag *tg, int partial)
{
	char q[ERR_QUOTE_BUF];

	if (tg->name_len == 0)
		return fail(c, srcname, line, ERR_INVALID, "empty tag");
	if (tg->name_len > TMPL_NAME_MAX)
		return fail(c, srcname, line, ERR_INVALID,
			    "name \"%s\" is longer than %d bytes",
			    quote_n(tg->name, tg->name_len, q), TMPL_NAME_MAX);
	for (size_t i = 0; i < tg->name_len; i++) {
		char ch = tg->name[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '_' || ch == '-')
			continue;
		if (partial && (ch == '.' || ch == '/'))
			continue;
		if (ch == '.')
			return fail(c, srcname, line, ERR_INVALID,
				    "\"%s\": dotted names and {{.}} are not supported",
				    quote_n(tg->name, tg->name_len, q));
		return fail(c, srcname, line, ERR_INVALID,
			    "bad name \"%s\" (letters, digits, '_' and '-' only)",
			    quote_n(tg->name, tg->name_len, q));
	}
	return 0;
}

/* Find a field, innermost scope first. */
static int resolve(struct comp *c, const char *srcname, int line,
		   const struct tag *tg, size_t *ret_level, size_t *ret_idx)
{
	char where[512];
	size_t w = 0;

	for (size_t l = c->n_scopes; l-- > 0;) {
		const struct tmpl_schema *sc = c->scopes[l].schema;
		for (size_t i = 0; sc && i < sc->n; i++) {
			const char *fn = sc->fields[i].name;
			if (strncmp(fn, tg->name, tg->name_len) == 0 &&
			    fn[tg->name_len] == '\0') {
				*ret_level = l;
				*ret_idx = i;
				return 0;
			}
		}
	}
	where[0] = '\0';
	for (size_t l = c->n_scopes; l-- > 0;) {
		int n;
		if (c->scopes[l].list)
			n = snprintf(where + w, sizeof(where) - w,
				     "list \"%s\", ", c->scopes[l].list);
		else
			n = snprintf(where + w, sizeof(where) - w, "top level");
		if (n < 0 || (size_t)n >= sizeof(where) - w)
			break; /* keep what fits */
		w += (size_t)n;
	}
	return fail(c, srcname, line, ERR_NOTFOUND,
		    "unknown field \"%.*s\" (looked in: %s)",
		    (int)tg->name_len, tg->name, where);
}

static int new_op(struct comp *c, const char *srcname, int line,
		  struct op **ret)
{
	struct tmpl *t = c->t;

	if (t->n_ops >= TMPL_MAX_OPS)
		return fail(c, srcname, line, ERR_TOOBIG,
			    "template too large with its partials (more than %d tags and text runs)",
			    TMPL_MAX_OPS);
	t->ops = xgrow(t->ops, &c->ops_cap, t->n_ops + 1, sizeof(*t->ops));
	*ret = &t->ops[t->n_ops++];
	memset(*ret, 0, sizeof(**ret));
	c->merge = 0;
	return 0;
}

static int emit_text(struct comp *c, const char *srcname, int line,
		     const char *p, size_t n)
{
	struct tmpl *t = c->t;
	struct op *o;
	int rc;

	if (n == 0)
		return 0;
	if (n > TMPL_MAX_TEXT - t->text_len)
		return fail(c, srcname, line, ERR_TOOBIG,
			    "template too large with its partials (more than %d bytes of text)",
			    TMPL_MAX_TEXT);
	t->text = xgrow(t->text, &c->text_cap, t->text_len + n, 1);
	memcpy(t->text + t->text_len, p, n);
	if (c->merge) {
		t->ops[t->n_ops - 1].n += (uint32_t)n;
	} else {
		rc = new_op(c, srcname, line, &o);
		if (rc < 0)
			return rc;
		o->code = OP_TEXT;
		o->a = (uint32_t)t->text_len;
		o->n = (uint32_t)n;
		c->merge = 1;
	}
	t->text_len += n;
	return 0;
}

static int compile_source(struct comp *c, const char *srcname,
			  int first_line, const char *s, size_t len);

/* Inline partial `tg->name` where it stands. */
static int include(struct comp *c, const char *srcname, int line,
		   const struct tag *tg)
{
	char name[TMPL_NAME_MAX + 1];
	const char *ps = NULL, *pname = NULL;
	size_t plen = 0;
	int pline = 1, rc;
	struct err pe;

	memcpy(name, tg->name, tg->name_len);
	name[tg->name_len] = '\0';
	if (!c->partial)
		return fail(c, srcname, line, ERR_INVALID,
			    "partial \"%s\": partials are not available here",
			    name);
	for (size_t i = 0; i < c->n_partials; i++) {
		char chain[(TMPL_NAME_MAX + 3) * (TMPL_MAX_PARTIALS + 1)];
		size_t w = 0;

		if (strcmp(c->partials[i], name) != 0)
			continue;
		for (size_t j = i; j <= c->n_partials; j++) {
			const char *nm = j < c->n_partials ? c->partials[j] : name;
			size_t n = strlen(nm);
			if (w) {
				memcpy(chain + w, " > ", 3);
				w += 3;
			}
			memcpy(chain + w, nm, n);
			w += n;
		}
		chain[w] = '\0';
		return fail(c, srcname, line, ERR_INVALID,
			    "partial \"%s\" includes itself (%s)", name, chain);
	}
	if (c->n_partials >= TMPL_MAX_PARTIALS)
		return fail(c, srcname, line, ERR_TOOBIG,
			    "partial \"%s\": partials nested more than %d deep",
			    name, TMPL_MAX_PARTIALS);
	err_clear(&pe);
	rc = c->partial(c->partial_ctx, name, &ps, &plen, &pname, &pline, &pe);
	if (rc < 0)
		return fail(c, srcname, line, -rc, "partial \"%s\": %s", name,
			    pe.msg[0] ? pe.msg : "not available");
	if (!ps && plen)
		return fail(c, srcname, line, ERR_INVALID,
			    "partial \"%s\": no source", name);
	memcpy(c->partials[c->n_partials++], name, tg->name_len + 1);
	rc = compile_source(c, pname ? pname : name, pline, ps ? ps : "",
			    plen);
	c->n_partials--;
	return rc;
}

static int open_section(struct comp *c, const char *srcname, int line,
			const struct tag *tg)
{
	const struct tmpl_field *f;
	struct open_sec *sec;
	size_t level, idx;
	struct op *o;
	int rc;

	if (c->n_secs >= TMPL_MAX_DEPTH)
		return fail(c, srcname, line, ERR_TOOBIG,
			    "sections nested more than %d deep",
			    TMPL_MAX_DEPTH);
	rc = resolve(c, srcname, line, tg, &level, &idx);
	if (rc < 0)
		return rc;
	f = &c->scopes[level].schema->fields[idx];
	if (f->kind == TMPL_LIST && !f->item)
		return fail(c, srcname, line, ERR_INVALID,
			    "schema: list \"%s\" has no item schema", f->name);
	rc = new_op(c, srcname, line, &o);
	if (rc < 0)
		return rc;
	o->code = tg->kind == TAG_SECTION ? OP_SECTION : OP_INVERTED;
	o->kind = (uint8_t)f->kind;
	o->level = (uint16_t)level;
	o->field = (uint32_t)idx;
	o->f = f;
	sec = &c->secs[c->n_secs++];
	sec->op = c->t->n_ops - 1;
	sec->name = tg->name;
	sec->name_len = tg->name_len;
	sec->line = line;
	sec->pushed = 0;
	if (tg->kind == TAG_SECTION && f->kind == TMPL_LIST) {
		o->n = (uint32_t)f->item->n;
		c->scopes[c->n_scopes].schema = f->item;
		c->scopes[c->n_scopes].list = f->name;
		c->n_scopes++;
		sec->pushed = 1;
	}
	return 0;
}

static int close_section(struct comp *c, const char *srcname, int line,
			 const struct tag *tg, size_t base)
{
	struct open_sec *sec;

	if (c->n_secs == base)
		return fail(c, srcname, line, ERR_INVALID,
			    "{{/%.*s}} closes no open section",
			    (int)tg->name_len, tg->name);
	sec = &c->secs[c->n_secs - 1];
	if (sec->name_len != tg->name_len ||
	    memcmp(sec->name, tg->name, tg->name_len) != 0)
		return fail(c, srcname, line, ERR_INVALID,
			    "{{/%.*s}} does not close section \"%.*s\" (opened on line %d)",
			    (int)tg->name_len, tg->name, (int)sec->name_len,
			    sec->name, sec->line);
	c->t->ops[sec->op].a = (uint32_t)c->t->n_ops;
	if (sec->pushed)
		c->n_scopes--;
	c->n_secs--;
	c->merge = 0; /* text after the section must not join its body */
	return 0;
}

static int output(struct comp *c, const char *srcname, int line,
		  const struct tag *tg)
{
	const struct tmpl_field *f;
	size_t level, idx;
	struct op *o;
	int rc;

	rc = resolve(c, srcname, line, tg, &level, &idx);
	if (rc < 0)
		return rc;
	f = &c->scopes[level].schema->fields[idx];
	if (f->kind == TMPL_LIST)
		return fail(c, srcname, line, ERR_INVALID,
			    "cannot output list \"%s\" (use it as a section: {{#%s}}...{{/%s}})",
			    f->name, f->name, f->name);
	if (f->kind == TMPL_BOOL)
		return fail(c, srcname, line, ERR_INVALID,
			    "cannot output yes/no field \"%s\" (use it as a section: {{#%s}}...{{/%s}})",
			    f->name, f->name, f->name);
	if (tg->kind == TAG_RAW && !(f->flags & TMPL_RAW_OK))
		return fail(c, srcname, line, ERR_INVALID,
			    "field \"%s\" may not be output unescaped ({{{%s}}} or {{&%s}}); use {{%s}}",
			    f->name, f->name, f->name, f->name);
	rc = new_op(c, srcname, line, &o);
	if (rc < 0)
		return rc;
	o->code = tg->kind == TAG_RAW ? OP_RAW : OP_VAR;
	o->kind = (uint8_t)f->kind;
	o->level = (uint16_t)level;
	o->field = (uint32_t)idx;
	o->f = f;
	return 0;
}

static int do_tag(struct comp *c, const char *srcname, int line,
		  const struct tag *tg, size_t base)
{
	int rc;

	switch (tg->kind) {
	case TAG_COMMENT:
		return 0;
	case TAG_DELIM:
		return fail(c, srcname, line, ERR_INVALID,
			    "{{=...=}} (changing delimiters) is not supported");
	case TAG_PARTIAL:
		rc = check_name(c, srcname, line, tg, 1);
		return rc < 0 ? rc : include(c, srcname, line, tg);
	case TAG_VAR:
	case TAG_RAW:
		rc = check_name(c, srcname, line, tg, 0);
		return rc < 0 ? rc : output(c, srcname, line, tg);
	case TAG_SECTION:
	case TAG_INVERTED:
		rc = check_name(c, srcname, line, tg, 0);
		return rc < 0 ? rc : open_section(c, srcname, line, tg);
	case TAG_CLOSE:
		rc = check_name(c, srcname, line, tg, 0);
		return rc < 0 ? rc : close_section(c, srcname, line, tg, base);
	}
	return 0;
}

/* Compile one source (the template or a partial) into c->t. Sections must
 * close in the source that opens them. */
static int compile_source(struct comp *c, const char *srcname,
			  int first_line, const char *s, size_t len)
{
	size_t pos = 0, lit = 0, base = c->n_secs;
	int line = first_line; /* line of s[pos] */
	const char *q;
	int rc;

	if (len > TMPL_MAX_SRC)
		return fail(c, srcname, first_line, ERR_TOOBIG,
			    "template is %zu bytes, more than %d", len,
			    TMPL_MAX_SRC);
	q = memchr(s, '\0', len);
	if (q)
		return fail(c, srcname,
			    first_line + count_nl(s, 0, (size_t)(q - s)),
			    ERR_INVALID, "NUL byte in template");
	while (pos < len && (q = memmem(s + pos, len - pos, "{{", 2))) {
		size_t p = (size_t)(q - s), text_end = p, next;
		int tline = line + count_nl(s, pos, p);
		struct tag tg;

		if (scan_tag(s, len, p, &tg) < 0)
			return fail(c, srcname, tline, ERR_INVALID,
				    tg.triple ? "\"{{{\" is not closed by \"}}}\"" :
						"\"{{\" is not closed by \"}}\"");
		next = tg.end;
		if (standalone_kind(tg.kind)) {
			size_t ls = p, after;
			while (ls > lit && (s[ls - 1] == ' ' || s[ls - 1] == '\t'))
				ls--;
			if ((ls == 0 || s[ls - 1] == '\n') &&
			    rest_blank(s, len, tg.end, &after)) {
				text_end = ls; /* the line disappears */
				next = after;
			}
		}
		rc = emit_text(c, srcname, tline, s + lit, text_end - lit);
		if (rc < 0)
			return rc;
		rc = do_tag(c, srcname, tline, &tg, base);
		if (rc < 0)
			return rc;
		line = tline + count_nl(s, p, next);
		pos = lit = next;
	}
	rc = emit_text(c, srcname, line, s + lit, len - lit);
	if (rc < 0)
		return rc;
	if (c->n_secs > base) {
		const struct open_sec *sec = &c->secs[c->n_secs - 1];
		return fail(c, srcname, sec->line, ERR_INVALID,
			    "section \"%.*s\" is not closed",
			    (int)sec->name_len, sec->name);
	}
	return 0;
}

int tmpl_compile(const char *srcname, int first_line, const char *src,
		 size_t len, const struct tmpl_schema *schema,
		 tmpl_partial_fn partial, void *partial_ctx, struct tmpl **ret,
		 struct err *e)
{
	static const struct tmpl_schema empty = { NULL, 0 };
	struct comp *c;
	int rc;

	if (!srcname)
		srcname = "template";
	if (!src && len)
		return err_set(e, ERR_INVALID, "%s: no source", srcname);
	c = xcalloc(1, sizeof(*c));
	c->t = xcalloc(1, sizeof(*c->t));
	c->t->name = xstrdup(srcname);
	c->scopes[0].schema = schema ? schema : &empty;
	c->n_scopes = 1;
	c->partial = partial;
	c->partial_ctx = partial_ctx;
	c->e = e;
	rc = compile_source(c, srcname, first_line, src ? src : "", len);
	if (rc < 0)
		tmpl_free(c->t);
	else
		*ret = c->t;
	free(c);
	return rc;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	free(t->ops);
	free(t->text);
	free(t->name);
	free(t);
}

int tmpl_uses(const struct tmpl *t, size_t field)
{
	for (size_t i = 0; t && i < t->n_ops; i++)
		if (t->ops[i].code != OP_TEXT && t->ops[i].level == 0 &&
		    t->ops[i].field == field)
			return 1;
	return 0;
}

/* ---- rendering ---------------------------------------------------------- */

/* HTML entities, indexed by html_esc[byte]. */
static const unsigned char html_esc[256] = {
	['&'] = 1, ['<'] = 2, ['>'] = 3, ['"'] = 4, ['\''] = 5,
};
static const struct {
	const char *s; /* the entity */
	size_t n;      /* its length */
} html_ent[] = {
	{ "", 0 }, { "&amp;", 5 }, { "&lt;", 4 }, { "&gt;", 4 },
	{ "&quot;", 6 }, { "&#39;", 5 },
};

struct render {
	const struct tmpl *t;       /* the program */
	struct buf *out;            /* output */
	size_t limit;               /* out->len may not exceed it */
	int html;                   /* escape {{x}} */
	const struct tmpl_field *bad; /* the field whose value is malformed */
	const struct tmpl_value *scopes[TMPL_MAX_DEPTH + 1]; /* values per scope level */
};

static inline int put(struct render *r, const char *p, size_t n)
{
	struct buf *b = r->out;

	if (n == 0)
		return 0;
	if (n > r->limit - b->len)
		return -ERR_TOOBIG;
	if (b->cap - b->len > n) { /* room for n bytes and the NUL */
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return buf_append(b, p, n);
}

static int put_html(struct render *r, const char *s, size_t n)
{
	size_t run = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		unsigned k = html_esc[(unsigned char)s[i]];
		if (!k)
			continue;
		rc = put(r, s + run, i - run);
		if (rc < 0)
			return rc;
		rc = put(r, html_ent[k].s, html_ent[k].n);
		if (rc < 0)
			return rc;
		run = i + 1;
	}
	return put(r, s + run, n - run);
}

static int truth(const struct op *o, const struct tmpl_value *v)
{
	switch (o->kind) {
	case TMPL_TEXT: return v->len > 0;
	case TMPL_BOOL: return v->truth != 0;
	default: return v->n_items > 0;
	}
}

/* Run ops [pc, end) with `depth` scope levels set. */
static int run(struct render *r, size_t pc, size_t end, size_t depth)
{
	const struct op *ops = r->t->ops;
	int rc;

	while (pc < end) {
		const struct op *o = &ops[pc];
		const struct tmpl_value *v;

		if (o->code == OP_TEXT) {
			rc = put(r, r->t->text + o->a, o->n);
			if (rc < 0)
				return rc;
			pc++;
			continue;
		}
		v = &r->scopes[o->level][o->field];
		switch (o->code) {
		case OP_VAR:
		case OP_RAW:
			if (v->len && !v->s) {
				r->bad = o->f;
				return -ERR_INVALID;
			}
			rc = o->code == OP_VAR && r->html ?
				     put_html(r, v->s, v->len) :
				     put(r, v->s, v->len);
			if (rc < 0)
				return rc;
			pc++;
			break;
		case OP_INVERTED:
			pc = truth(o, v) ? o->a : pc + 1;
			break;
		default: /* OP_SECTION */
			if (o->kind != TMPL_LIST) {
				pc = truth(o, v) ? pc + 1 : o->a;
				break;
			}
			if (v->n_items && !v->items && o->n) {
				r->bad = o->f;
				return -ERR_INVALID;
			}
			for (size_t k = 0; k < v->n_items; k++) {
				r->scopes[depth] = o->n ? v->items + k * o->n :
							  v->items;
				rc = run(r, pc + 1, o->a, depth + 1);
				if (rc < 0)
					return rc;
			}
			pc = o->a;
			break;
		}
	}
	return 0;
}

int tmpl_render(const struct tmpl *t, const struct tmpl_value *values,
		enum tmpl_escape mode, size_t max_out, struct buf *out,
		struct err *e)
{
	struct render r;
	size_t start = out->len;
	int rc;

	r.t = t;
	r.out = out;
	r.limit = max_out > SIZE_MAX - start ? SIZE_MAX : start + max_out;
	if (r.limit > out->max)
		r.limit = out->max;
	r.html = mode == TMPL_ESCAPE_HTML;
	r.bad = NULL;
	r.scopes[0] = values;
	if (!values && t->n_ops) {
		/* only a template with no names can go without values */
		for (size_t i = 0; i < t->n_ops; i++)
			if (t->ops[i].code != OP_TEXT)
				return err_set(e, ERR_INVALID,
					       "%s: no values given", t->name);
	}
	rc = run(&r, 0, t->n_ops, 1);
	if (rc == 0)
		return 0;
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	if (rc == -ERR_TOOBIG)
		return err_set(e, ERR_TOOBIG,
			       "%s: output larger than %zu bytes", t->name,
			       r.limit - start);
	return err_set(e, ERR_INVALID, "%s: field \"%s\": %s", t->name,
		       r.bad ? r.bad->name : "?",
		       r.bad && r.bad->kind == TMPL_LIST ?
			       "elements but no items" :
			       "text length but no text");
}

/* ---- template files ----------------------------------------------------- */

static int part_name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.';
}

/* Is the line [ls, le) a part line: "@name" and nothing but spaces after?
 * Other lines starting with '@' (CSS "@media ...") are text. */
static int part_line(const char *src, size_t ls, size_t le, size_t *ret_len)
{
	size_t i = ls + 1, k;

	while (i < le && part_name_char(src[i]))
		i++;
	for (k = i; k < le; k++)
		if (src[k] != ' ' && src[k] != '\t' && src[k] != '\r')
			return 0;
	*ret_len = i - ls - 1;
	return *ret_len > 0;
}

/* End the part that starts at `start` where the next line starts (`end`):
 * without the final newline. */
static size_t part_len(const char *src, size_t start, size_t end)
{
	if (end > start && src[end - 1] == '\n') {
		end--;
		if (end > start && src[end - 1] == '\r')
			end--;
	}
	return end - start;
}

int tmpl_file_parts(const char *filename, const char *src, size_t len,
		    struct tmpl_part *ret_parts, size_t *ret_n, struct err *e)
{
	struct tmpl_part parts[TMPL_PARTS_MAX];
	size_t n = 0, ls = 0;
	int line = 1;
	char q[ERR_QUOTE_BUF];

	if (!filename)
		filename = "template";
	while (ls < len) {
		const char *nl = memchr(src + ls, '\n', len - ls);
		size_t le = nl ? (size_t)(nl - src) : len; /* line is [ls, le) */
		size_t next = nl ? le + 1 : len;
		size_t nlen;

		if (src[ls] == '@' && part_line(src, ls, le, &nlen)) {
			if (nlen > TMPL_PART_NAME_MAX)
				return err_set(e, ERR_INVALID,
					       "%s:%d: part name longer than %d bytes",
					       filename, line,
					       TMPL_PART_NAME_MAX);
			for (size_t j = 0; j < n; j++)
				if (strlen(parts[j].name) == nlen &&
				    memcmp(parts[j].name, src + ls + 1, nlen) == 0)
					return err_set(e, ERR_CONFLICT,
						       "%s:%d: part \"@%s\" appears twice (first on line %d)",
						       filename, line,
						       parts[j].name,
						       parts[j].first_line - 1);
			if (n == TMPL_PARTS_MAX)
				return err_set(e, ERR_TOOBIG,
					       "%s:%d: more than %d parts",
					       filename, line, TMPL_PARTS_MAX);
			if (n)
				parts[n - 1].len = part_len(
					src, (size_t)(parts[n - 1].src - src), ls);
			memcpy(parts[n].name, src + ls + 1, nlen);
			parts[n].name[nlen] = '\0';
			parts[n].src = src + next;
			parts[n].len = 0;
			parts[n].first_line = line + 1;
			n++;
		} else if (n == 0 && src[ls] != '#') {
			for (size_t i = ls; i < le; i++)
				if (!is_space(src[i]))
					return err_set(e, ERR_INVALID,
						       "%s:%d: text before the first part: \"%s\" (a part starts with a line \"@name\", the name of a-z, 0-9, '_' and '.')",
						       filename, line,
						       quote_n(src + ls, le - ls, q));
		}
		ls = next;
		line++;
	}
	if (n)
		parts[n - 1].len =
			part_len(src, (size_t)(parts[n - 1].src - src), len);
	if (n)
		memcpy(ret_parts, parts, n * sizeof(parts[0]));
	*ret_n = n;
	return 0;
}

const struct tmpl_part *tmpl_part_find(const struct tmpl_part *parts,
				       size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(parts[i].name, name) == 0)
			return &parts[i];
	return NULL;
}

/* ---- HTML from the text body ------------------------------------------ */

/* The end of the tag opened by "{{" at s[p], or 0 when it is not closed. */
static size_t tag_end(const char *s, size_t len, size_t p)
{
	struct tag tg;

	return scan_tag(s, len, p, &tg) < 0 ? 0 : tg.end;
}

/* Does [ls, le) hold only spaces/tabs and one standalone-kind tag? */
static int standalone_line(const char *s, size_t ls, size_t le)
{
	struct tag tg;
	size_t i = ls;

	while (i < le && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (le - i < 2 || s[i] != '{' || s[i + 1] != '{' ||
	    scan_tag(s, le, i, &tg) < 0 || tg.triple ||
	    !standalone_kind(tg.kind))
		return 0;
	for (i = tg.end; i < le; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

/* Append [p, p + n) of a content line: literal text escaped, tags as is. */
static int html_content(struct buf *out, const char *s, size_t p, size_t n)
{
	size_t end = p + n, run = p, i = p;
	int rc;

	while (i < end) {
		unsigned k = html_esc[(unsigned char)s[i]];
		size_t te;

		if (s[i] == '{' && i + 1 < end && s[i + 1] == '{' &&
		    (te = tag_end(s, end, i)) != 0) {
			i = te; /* the tag goes out with the run */
			continue;
		}
		if (!k) {
			i++;
			continue;
		}
		rc = buf_append(out, s + run, i - run);
		if (rc == 0)
			rc = buf_append(out, html_ent[k].s, html_ent[k].n);
		if (rc < 0)
			return rc;
		run = ++i;
	}
	return buf_append(out, s + run, end - run);
}

int tmpl_text_to_html(const char *src, size_t len, const char *p_open,
		      struct buf *out, struct err *e)
{
	size_t start = out->len, ls = 0;
	const char *pend = ""; /* newline held back after a paragraph line */
	size_t pend_len = 0;
	int in_para = 0, rc = 0;

	while (ls < len && rc == 0) {
		size_t le = ls, ce, nl_len;
		int blank = 1;

		/* the logical line: up to a newline outside tags */
		while (le < len && src[le] != '\n') {
			size_t te;
			if (src[le] == '{' && le + 1 < len && src[le + 1] == '{' &&
			    (te = tag_end(src, len, le)) != 0) {
				le = te;
				blank = 0;
				continue;
			}
			if (!is_space(src[le]))
				blank = 0;
			le++;
		}
		nl_len = le < len ? 1 : 0;
		ce = le;
		if (nl_len && ce > ls && src[ce - 1] == '\r') {
			ce--;
			nl_len = 2;
		}
		if (!blank && !standalone_line(src, ls, ce)) {
			if (in_para) {
				rc = buf_puts(out, "<br>");
				if (rc == 0)
					rc = buf_append(out, pend, pend_len);
			} else {
				rc = buf_puts(out, p_open);
				in_para = 1;
			}
			if (rc == 0)
				rc = html_content(out, src, ls, ce - ls);
			pend = src + ce;
			pend_len = nl_len;
		} else {
			if (in_para) {
				rc = buf_puts(out, "</p>");
				if (rc == 0)
					rc = buf_append(out, pend, pend_len);
				in_para = 0;
			}
			if (rc == 0)
				rc = buf_append(out, src + ls, le - ls + (nl_len ? 1 : 0));
		}
		ls = le + (nl_len ? 1 : 0);
	}
	if (rc == 0 && in_para) {
		rc = buf_puts(out, "</p>");
		if (rc == 0)
			rc = buf_append(out, pend, pend_len);
	}
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return err_set(e, ERR_TOOBIG,
			       "HTML body larger than %zu bytes", out->max);
	}
	return 0;
}
