/*
 * tmpl: dunwell's mustache-subset template engine, and the two helpers of
 * the message file format (parts, HTML from the text body).
 *
 * Every reminder (email text and HTML, SMS, letter, voice) is rendered by
 * this engine, so it is strict where mistakes would reach a customer: a
 * template is compiled once against a schema that lists the names it may
 * use, and every problem (an unknown name, an unclosed section, a list
 * output as text, untrusted text output unescaped) is an error naming
 * srcname:line before anything is sent. Rendering then only walks the
 * compiled program: no name lookups, no allocation besides growing the
 * output buffer, and the output is bounded. A compiled template is
 * read-only, so any number of threads may render it at once.
 *
 * Hand-written because Debian ships no C mustache library (DESIGN.md).
 *
 * Supported (mustache, https://mustache.github.io/mustache.5.html):
 *   {{name}}               the value, HTML-escaped (& < > " ') in HTML mode
 *   {{{name}}} {{&name}}   the value unescaped; only for TMPL_RAW_OK fields
 *   {{#name}}...{{/name}}  a section: TEXT once when non-empty, BOOL when
 *                          true, LIST once per element with the element's
 *                          fields in scope (innermost scope first, then out)
 *   {{^name}}...{{/name}}  inverted: when empty / false / no elements
 *   {{! comment }}         nothing (may span lines)
 *   {{> partial}}          another template, inlined at compile time in the
 *                          scope where the tag stands (nesting at most
 *                          TMPL_MAX_PARTIALS deep; a cycle is an error)
 * Whitespace inside tags is allowed ({{ name }}, {{# name }}). A line that
 * holds only a section, inverted, close, comment or partial tag (and spaces
 * or tabs) disappears from the output, newline included ("standalone").
 * Not supported: set delimiters ({{=<% %>=}}), lambdas, dotted names
 * (a.b), the implicit iterator {{.}}, and the indentation of standalone
 * partials (a partial's lines are inserted as written). A `{{` always
 * opens a tag: there is no way to write it literally.
 */
#ifndef DUNWELL_TMPL_H
#define DUNWELL_TMPL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define TMPL_MAX_SRC (256 * 1024)     /* bytes of one template or partial source */
#define TMPL_MAX_TEXT (1024 * 1024)   /* literal bytes of a compiled template, partials included */
#define TMPL_MAX_OPS 65536            /* tags and text runs of a compiled template */
#define TMPL_MAX_DEPTH 32             /* sections open at once */
#define TMPL_MAX_PARTIALS 8           /* partials included inside one another */
#define TMPL_NAME_MAX 64              /* bytes of a field or partial name */

/* What a field holds, and so where it may appear. */
enum tmpl_kind {
	TMPL_TEXT, /* {{x}}; section when non-empty */
	TMPL_BOOL, /* sections only */
	TMPL_LIST, /* sections only: once per element */
};

/* Field flag: the field may be output unescaped with {{{x}}} or {{&x}}
 * (e.g. a URL or a block of HTML dunwell built itself). Untrusted text
 * never gets it, so it can never reach HTML unescaped. */
#define TMPL_RAW_OK 1u

struct tmpl_schema;

/* One name a template may use. */
struct tmpl_field {
	const char *name;                /* as written in tags: [A-Za-z0-9_-]+ */
	enum tmpl_kind kind;             /* what the value holds */
	unsigned flags;                  /* TMPL_RAW_OK or 0 */
	const struct tmpl_schema *item;  /* TMPL_LIST: the fields of each element */
};

/* The names of one scope: the top level, or the elements of a list. A
 * compiled template points into its schema: keep the schema alive (a
 * static table) as long as the template. */
struct tmpl_schema {
	const struct tmpl_field *fields; /* the names */
	size_t n;                        /* how many */
};

/* The value of one field. Values come as an array parallel to
 * schema->fields (value i belongs to field i). Borrowed during rendering. */
struct tmpl_value {
	const char *s;                   /* TMPL_TEXT: the text (NULL ok when len is 0) */
	size_t len;                      /* TMPL_TEXT: its length; section truth: len > 0 */
	int truth;                       /* TMPL_BOOL: non-zero is true */
	const struct tmpl_value *items;  /* TMPL_LIST: n_items * item->n values,
	                                    element after element */
	size_t n_items;                  /* TMPL_LIST: how many elements */
};

/* How {{x}} is output (never {{{x}}}, which is always as is). */
enum tmpl_escape {
	TMPL_ESCAPE_HTML, /* & < > " ' as entities: HTML email, portal */
	TMPL_ESCAPE_NONE, /* as is: text email, SMS, voice, letter text */
};

struct tmpl; /* opaque compiled template */

/* Give the source of partial `name` in *ret_src / *ret_len (borrowed: it
 * must stay valid until tmpl_compile returns), the name to use for it in
 * messages (*ret_srcname) and the line its text starts on (*ret_first_line).
 * Return 0, or a negative code with a message in `e` (e.g. -ERR_NOTFOUND,
 * "no block \"x\""); tmpl_compile adds where the partial was included. */
typedef int (*tmpl_partial_fn)(void *ctx, const char *name,
			       const char **ret_src, size_t *ret_len,
			       const char **ret_srcname, int *ret_first_line,
			       struct err *e);

/* Compile `src` (len bytes, need not be NUL-terminated; line 1 of it is
 * line `first_line` of the file `srcname`) against `schema`. `partial` may
 * be NULL when partials are not allowed. On success *ret holds the template
 * (free with tmpl_free). Errors: -ERR_INVALID (syntax, names, raw output),
 * -ERR_NOTFOUND (unknown field, or as the partial callback says),
 * -ERR_TOOBIG (bounds above), each with "srcname:line: ..." in `e`. */
int tmpl_compile(const char *srcname, int first_line, const char *src,
		 size_t len, const struct tmpl_schema *schema,
		 tmpl_partial_fn partial, void *partial_ctx, struct tmpl **ret,
		 struct err *e);

/* Append the template rendered with `values` (parallel to the schema it
 * was compiled with) to `out`. At most max_out bytes are appended: more is
 * -ERR_TOOBIG (as is exceeding out->max), never a silent truncation; on any
 * error `out` is left as it was. A text value with s == NULL but len > 0,
 * or a list with elements but items == NULL, is -ERR_INVALID. */
int tmpl_render(const struct tmpl *t, const struct tmpl_value *values,
		enum tmpl_escape mode, size_t max_out, struct buf *out,
		struct err *e);

void tmpl_free(struct tmpl *t); /* NULL is fine */

/* Does the template (partials included) refer to top-level field number
 * `field` of its schema, anywhere? Lets a caller format only the values a
 * template shows. NULL uses nothing. */
int tmpl_uses(const struct tmpl *t, size_t field);

/*
 * Template files: several parts, each starting with a line "@name" at
 * column 0 (name: [a-z0-9_.]+, then nothing but spaces), e.g. "@subject",
 * "@body", "@invoices.text". Before the first part only comment lines
 * (starting with '#') and blank lines may appear. Inside a part, a line
 * starting with '@' that is not exactly such a line (CSS "@media ...") is
 * text; a line "@name" cannot be text. A part's text is everything after
 * its "@name" line up to the next part, without the final newline ("\n" or
 * "\r\n").
 */
#define TMPL_PARTS_MAX 32      /* parts in one file */
#define TMPL_PART_NAME_MAX 63  /* bytes of a part name */

struct tmpl_part {
	char name[TMPL_PART_NAME_MAX + 1]; /* "body", NUL-terminated */
	const char *src;                   /* its text, inside the file's buffer */
	size_t len;                        /* bytes of text */
	int first_line;                    /* file line the text starts on */
};

/* Split a template file (`filename` for messages). ret_parts must have room
 * for TMPL_PARTS_MAX parts; on success *ret_n parts were filled in file
 * order, and both are untouched on failure. Errors (-ERR_INVALID,
 * -ERR_CONFLICT for a duplicate, -ERR_TOOBIG) name filename:line. */
int tmpl_file_parts(const char *filename, const char *src, size_t len,
		    struct tmpl_part *ret_parts, size_t *ret_n, struct err *e);

/* The part called `name`, or NULL. */
const struct tmpl_part *tmpl_part_find(const struct tmpl_part *parts,
				       size_t n, const char *name);

/*
 * Make the HTML body template from a plain-text body template (source to
 * source, appended to `out`): literal text is HTML-escaped and tags are
 * left as they are; blocks of lines separated by blank lines become
 * paragraphs opened by `p_open` (e.g. "<p style=\"margin:0 0 1em\">", taken
 * as is) and closed by "</p>", a single newline inside a paragraph becomes
 * "<br>" + newline; a line holding only a section, inverted, close, comment
 * or partial tag stays as it is, outside the paragraphs. The number of
 * newlines is unchanged, so a compile error in the result names the line
 * of the text source. -ERR_TOOBIG when out->max is exceeded (out is then
 * left as it was).
 */
int tmpl_text_to_html(const char *src, size_t len, const char *p_open,
		      struct buf *out, struct err *e);

#endif
