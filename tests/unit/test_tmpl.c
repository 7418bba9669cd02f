/*
 * test_tmpl: the mustache-subset template engine and the template file
 * helpers (src/tmpl.c).
 *
 * Rendering cases are table rows: template -> output, most of them taken
 * from the mustache spec (interpolation, sections, inverted, comments,
 * partials), adapted to one test schema. Every compile error is a row with
 * its exact message and line. Then the raw-output rule, the output bound,
 * bad values, file parts, the HTML body transform, and a deterministic fuzz
 * loop over mutated templates (the sanitizer build turns any bad access
 * into a failure).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "mem.h"
#include "tmpl.h"

/* ---- the test schema and values ---------------------------------------- */

static const struct tmpl_field line_fields[] = {
	{ "desc", TMPL_TEXT, 0, NULL },
	{ "name", TMPL_TEXT, 0, NULL }, /* shadows the top-level name */
};
static const struct tmpl_schema line_schema = { line_fields, 2 };

static const struct tmpl_field inv_fields[] = {
	{ "number", TMPL_TEXT, 0, NULL },
	{ "is_overdue", TMPL_BOOL, 0, NULL },
	{ "lines", TMPL_LIST, 0, &line_schema },
};
static const struct tmpl_schema inv_schema = { inv_fields, 3 };

static const struct tmpl_schema empty_schema = { NULL, 0 };

enum {
	F_NAME, F_COMPANY, F_LINK, F_HAS_FEES, F_FEES, F_EMPTY, F_INVOICES,
	F_BROKEN, F_A, F_DOTS, F_N
};
static const struct tmpl_field top_fields[F_N] = {
	[F_NAME] = { "name", TMPL_TEXT, 0, NULL },
	[F_COMPANY] = { "company", TMPL_TEXT, 0, NULL },
	[F_LINK] = { "link", TMPL_TEXT, TMPL_RAW_OK, NULL },
	[F_HAS_FEES] = { "has_fees", TMPL_BOOL, 0, NULL },
	[F_FEES] = { "fees", TMPL_TEXT, 0, NULL },
	[F_EMPTY] = { "empty", TMPL_TEXT, 0, NULL },
	[F_INVOICES] = { "invoices", TMPL_LIST, 0, &inv_schema },
	[F_BROKEN] = { "broken", TMPL_LIST, 0, NULL }, /* no item schema */
	[F_A] = { "a", TMPL_TEXT, 0, NULL },
	[F_DOTS] = { "dots", TMPL_LIST, 0, &empty_schema },
};
static const struct tmpl_schema top_schema = { top_fields, F_N };

static struct tmpl_value V[F_N];
static struct tmpl_value inv[2][3];
static struct tmpl_value lines0[2][2];

static struct tmpl_value text(const char *s)
{
	struct tmpl_value v;

	memset(&v, 0, sizeof(v));
	v.s = s;
	v.len = strlen(s);
	return v;
}

/* Anna of ACME owes INV-1 (overdue, two lines) and INV-2 (no lines). */
static void reset_values(void)
{
	memset(V, 0, sizeof(V));
	memset(inv, 0, sizeof(inv));
	memset(lines0, 0, sizeof(lines0));
	lines0[0][0] = text("Data");
	lines0[0][1] = text("L1");
	lines0[1][0] = text("Calls");
	lines0[1][1] = text("");
	inv[0][0] = text("INV-1");
	inv[0][1].truth = 1;
	inv[0][2].items = &lines0[0][0];
	inv[0][2].n_items = 2;
	inv[1][0] = text("INV-2");
	inv[1][1].truth = 0;
	V[F_NAME] = text("Anna");
	V[F_COMPANY] = text("ACME");
	V[F_LINK] = text("https://pay.example/p?a=1&b=2");
	V[F_HAS_FEES].truth = 1;
	V[F_FEES] = text("EUR 5.00");
	V[F_EMPTY] = text("");
	V[F_INVOICES].items = &inv[0][0];
	V[F_INVOICES].n_items = 2;
	V[F_A] = text("---");
	V[F_DOTS].n_items = 3; /* elements with no fields: items may be NULL */
}

/* ---- partials ----------------------------------------------------------- */

static const struct {
	const char *name; /* partial name */
	const char *src;  /* its source; NULL: the callback fails */
} partial_tab[] = {
	{ "text", "from partial" },
	{ "ctx", "*{{name}}*" },
	{ "tabs", "\t|\t" },
	{ "gt", ">\n>" },
	{ "gt1", ">" },
	{ "brackets", "[]" },
	{ "self", "x{{>self}}" },
	{ "ping", "{{>pong}}" },
	{ "pong", "{{>ping}}" },
	{ "inv_line", "{{number}} for {{name}}" },
	{ "bad", "line1\n{{nope}}" },
	{ "open", "{{#has_fees}}" },
	{ "close", "{{/has_fees}}" },
	{ "standalone", "{{#has_fees}}\nfee\n{{/has_fees}}\n" },
	{ "email/footer.text", "-- {{company}}" },
	{ "fail", NULL },
};

static int deep_end = 7;        /* partial dN includes dN+1 up to this N */
static char deep_src[16][16];   /* their sources */
static char *big_src;           /* partial "big" */
static size_t big_len;          /* its length */

static int partials(void *ctx, const char *name, const char **ret_src,
		    size_t *ret_len, const char **ret_srcname,
		    int *ret_first_line, struct err *e)
{
	(void)ctx;
	*ret_srcname = "_blocks.tmpl";
	*ret_first_line = 10;
	if (name[0] == 'd' && name[1] >= '0' && name[1] <= '9' && !name[2]) {
		int k = name[1] - '0';
		if (k < deep_end)
			snprintf(deep_src[k], sizeof(deep_src[k]), "{{>d%d}}",
				 k + 1);
		else
			snprintf(deep_src[k], sizeof(deep_src[k]), "end");
		*ret_src = deep_src[k];
		*ret_len = strlen(deep_src[k]);
		return 0;
	}
	if (strcmp(name, "big") == 0 && big_src) {
		*ret_src = big_src;
		*ret_len = big_len;
		return 0;
	}
	for (size_t i = 0; i < sizeof(partial_tab) / sizeof(partial_tab[0]); i++) {
		if (strcmp(partial_tab[i].name, name) != 0)
			continue;
		if (!partial_tab[i].src)
			return err_set(e, ERR_IO, "cannot read");
		*ret_src = partial_tab[i].src;
		*ret_len = strlen(partial_tab[i].src);
		return 0;
	}
	return err_set(e, ERR_NOTFOUND, "no partial \"%s\"", name);
}

/* ---- helpers ------------------------------------------------------------ */

static char result[8192];

/* Compile and render `len` bytes of src with V; the output, or
 * "ERR <code> <message>" for a compile or render error. */
static const char *render_n(const char *src, size_t len, enum tmpl_escape mode)
{
	struct tmpl *t = NULL;
	struct err e;
	struct buf out;
	int rc;

	err_clear(&e);
	rc = tmpl_compile("t.tmpl", 1, src, len, &top_schema, partials, NULL,
			  &t, &e);
	if (rc < 0) {
		CHECK(t == NULL);
		snprintf(result, sizeof(result), "ERR %d %s", rc, e.msg);
		return result;
	}
	buf_init(&out, 1 << 20);
	rc = tmpl_render(t, V, mode, 1 << 20, &out, &e);
	if (rc < 0)
		snprintf(result, sizeof(result), "ERR %d %s", rc, e.msg);
	else
		snprintf(result, sizeof(result), "%s", buf_cstr(&out));
	buf_free(&out);
	tmpl_free(t);
	return result;
}

static const char *render(const char *src, enum tmpl_escape mode)
{
	return render_n(src, strlen(src), mode);
}

struct row {
	const char *src;  /* template */
	const char *want; /* output, or "ERR code message" */
};

static void run_rows(const struct row *rows, size_t n, enum tmpl_escape mode)
{
	for (size_t i = 0; i < n; i++) {
		const char *got = render(rows[i].src, mode);
		if (strcmp(got, rows[i].want) != 0) {
			printf("  row %zu: %s\n    got  \"%s\"\n    want \"%s\"\n",
			       i, rows[i].src, got, rows[i].want);
			check_failed_here++;
		}
	}
}

#define ROWS(r) (sizeof(r) / sizeof((r)[0]))

/* ---- mustache spec cases ------------------------------------------------ */

TEST(test_interpolation)
{
	static const struct row rows[] = {
		{ "Hello from {Mustache}!\n", "Hello from {Mustache}!\n" },
		{ "Hello, {{name}}!\n", "Hello, Anna!\n" },
		{ "| {{a}} |", "| --- |" },
		{ "  {{a}}\n", "  ---\n" }, /* variables are never standalone */
		{ "|{{ a }}|", "|---|" },
		{ "|{{{ link }}}|", "|https://pay.example/p?a=1&b=2|" },
		{ "|{{& link }}|", "|https://pay.example/p?a=1&b=2|" },
		{ "|{{\tname\n}}|", "|Anna|" },
		{ "{{empty}}", "" },
		{ "", "" },
		{ "}} {{name}} }}}", "}} Anna }}}" },
		{ "{{name}}{{company}}", "AnnaACME" },
	};

	reset_values();
	run_rows(rows, ROWS(rows), TMPL_ESCAPE_HTML);
}

TEST(test_escaping)
{
	reset_values();
	V[F_NAME] = text("<b>\"Tom\" & 'Jerry'</b>");
	CHECK_STR(render("{{name}}", TMPL_ESCAPE_HTML),
		  "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;");
	CHECK_STR(render("{{ name }}", TMPL_ESCAPE_NONE),
		  "<b>\"Tom\" & 'Jerry'</b>");
	/* literal text is never escaped: it is the template author's */
	CHECK_STR(render("<i>&amp;</i>{{company}}", TMPL_ESCAPE_HTML),
		  "<i>&amp;</i>ACME");
	/* raw output is as is in both modes */
	V[F_LINK] = text("<a href=\"x\">");
	CHECK_STR(render("{{{link}}}{{&link}}", TMPL_ESCAPE_HTML),
		  "<a href=\"x\"><a href=\"x\">");
	CHECK_STR(render("{{link}}", TMPL_ESCAPE_HTML),
		  "&lt;a href=&quot;x&quot;&gt;");
	/* every escaped byte at the start, middle and end of a value */
	V[F_NAME] = text("&a<b>c\"d'");
	CHECK_STR(render("[{{name}}]", TMPL_ESCAPE_HTML),
		  "[&amp;a&lt;b&gt;c&quot;d&#39;]");
	/* non-ASCII passes through */
	V[F_NAME] = text("Zo\xc3\xab & J\xc3\xbcrgen");
	CHECK_STR(render("{{name}}", TMPL_ESCAPE_HTML),
		  "Zo\xc3\xab &amp; J\xc3\xbcrgen");
}

TEST(test_sections)
{
	static const struct row rows[] = {
		/* bool */
		{ "\"{{#has_fees}}This should be rendered.{{/has_fees}}\"",
		  "\"This should be rendered.\"" },
		{ "{{#has_fees}}[{{name}}]{{/has_fees}}", "[Anna]" },
		/* text: once when non-empty, no scope of its own */
		{ "{{#fees}}Fees: {{fees}}{{/fees}}", "Fees: EUR 5.00" },
		{ "{{#empty}}X{{/empty}}", "" },
		/* list: once per element, element fields first */
		{ "{{#invoices}}{{number}},{{/invoices}}", "INV-1,INV-2," },
		{ "{{#invoices}}{{name}}{{/invoices}}", "AnnaAnna" },
		{ "{{#invoices}}{{#is_overdue}}{{number}} is overdue{{/is_overdue}}{{/invoices}}",
		  "INV-1 is overdue" },
		/* nested lists, inner names shadow outer ones, outer scope lookup */
		{ "{{#invoices}}{{number}}:{{#lines}} {{desc}}/{{name}}/{{company}}{{/lines}}{{^lines}} none{{/lines}};{{/invoices}}",
		  "INV-1: Data/L1/ACME Calls//ACME;INV-2: none;" },
		{ "{{#invoices}}{{#lines}}{{number}}.{{/lines}}{{/invoices}}",
		  "INV-1.INV-1." },
		/* the same list twice, nested in itself */
		{ "{{#invoices}}{{#invoices}}{{number}}{{/invoices}}|{{/invoices}}",
		  "INV-1INV-2|INV-1INV-2|" },
		/* elements with no fields */
		{ "{{#dots}}.{{/dots}}", "..." },
		/* doubled */
		{ "{{#has_fees}}\n* first\n{{/has_fees}}\n* {{a}}\n{{#has_fees}}\n* third\n{{/has_fees}}\n",
		  "* first\n* ---\n* third\n" },
		/* whitespace */
		{ " | {{#has_fees}}\t|\t{{/has_fees}} | \n", " | \t|\t | \n" },
		{ " | {{#has_fees}} {{! Important Whitespace }}\n {{/has_fees}} | \n",
		  " |  \n  | \n" },
		{ " {{#has_fees}}YES{{/has_fees}}\n {{#has_fees}}GOOD{{/has_fees}}\n",
		  " YES\n GOOD\n" },
		/* standalone lines */
		{ "| This Is\n{{#has_fees}}\n|\n{{/has_fees}}\n| A Line\n",
		  "| This Is\n|\n| A Line\n" },
		{ "| This Is\n  {{#has_fees}}\n|\n  {{/has_fees}}\n| A Line\n",
		  "| This Is\n|\n| A Line\n" },
		{ "|\r\n{{#has_fees}}\r\n{{/has_fees}}\r\n|", "|\r\n|" },
		{ "  {{#has_fees}}\n#{{/has_fees}}\n/", "#\n/" },
		{ "#{{#has_fees}}\n/\n  {{/has_fees}}", "#\n/\n" },
		{ "{{#invoices}}\n- {{number}}\n{{/invoices}}\n",
		  "- INV-1\n- INV-2\n" },
		/* a lone CR is not a line end */
		{ "{{#has_fees}}\r|{{/has_fees}}", "\r|" },
		/* two tags on a line: not standalone */
		{ "{{#has_fees}}{{#has_fees}}\nx\n{{/has_fees}}{{/has_fees}}\n",
		  "\nx\n\n" },
		/* padding */
		{ "|{{# has_fees }}={{/ has_fees }}|", "|=|" },
		{ "|{{ #has_fees }}={{ /has_fees }}|", "|=|" },
	};

	reset_values();
	run_rows(rows, ROWS(rows), TMPL_ESCAPE_HTML);
	/* false / empty */
	V[F_HAS_FEES].truth = 0;
	V[F_INVOICES].n_items = 0;
	V[F_INVOICES].items = NULL;
	CHECK_STR(render("\"{{#has_fees}}This should not be rendered.{{/has_fees}}\"",
			 TMPL_ESCAPE_HTML), "\"\"");
	CHECK_STR(render("[{{#invoices}}{{number}}{{/invoices}}]",
			 TMPL_ESCAPE_HTML), "[]");
	CHECK_STR(render("| This Is\n{{#has_fees}}\n|\n{{/has_fees}}\n| A Line\n",
			 TMPL_ESCAPE_HTML), "| This Is\n| A Line\n");
}

TEST(test_inverted)
{
	static const struct row rows[] = {
		{ "\"{{^has_fees}}This should be rendered.{{/has_fees}}\"",
		  "\"This should be rendered.\"" },
		{ "{{^empty}}none{{/empty}}", "none" },
		{ "{{^invoices}}no invoices{{/invoices}}", "no invoices" },
		{ "{{^invoices}}{{name}}{{/invoices}}", "Anna" },
		{ "| This Is\n{{^has_fees}}\n|\n{{/has_fees}}\n| A Line\n",
		  "| This Is\n|\n| A Line\n" },
		{ "|{{^ has_fees }}={{/ has_fees }}|", "|=|" },
		{ "{{^has_fees}}{{^empty}}both{{/empty}}{{/has_fees}}", "both" },
	};

	reset_values();
	V[F_HAS_FEES].truth = 0;
	V[F_INVOICES].n_items = 0;
	run_rows(rows, ROWS(rows), TMPL_ESCAPE_HTML);
	reset_values();
	CHECK_STR(render("\"{{^has_fees}}This should not be rendered.{{/has_fees}}\"",
			 TMPL_ESCAPE_HTML), "\"\"");
	CHECK_STR(render("{{^fees}}x{{/fees}}{{^invoices}}y{{/invoices}}",
			 TMPL_ESCAPE_HTML), "");
	/* an inverted list opens no scope: element names are unknown inside */
	CHECK_STR(render("{{^invoices}}{{number}}{{/invoices}}", TMPL_ESCAPE_HTML),
		  "ERR -3 t.tmpl:1: unknown field \"number\" (looked in: top level)");
}

TEST(test_comments)
{
	static const struct row rows[] = {
		{ "12345{{! Comment Block! }}67890", "1234567890" },
		{ "12345{{!\n  This is a\n  multi-line comment...\n}}67890\n",
		  "1234567890\n" },
		{ "Begin.\n{{! Comment Block! }}\nEnd.\n", "Begin.\nEnd.\n" },
		{ "Begin.\n  {{! Indented Comment Block! }}\nEnd.\n",
		  "Begin.\nEnd.\n" },
		{ "|\r\n{{! Standalone Comment }}\r\n|", "|\r\n|" },
		{ "  {{! I'm Still Standalone }}\n!", "!" },
		{ "!\n  {{! I'm Still Standalone }}", "!\n" },
		{ "Begin.\n{{!\nSomething's going on here...\n}}\nEnd.\n",
		  "Begin.\nEnd.\n" },
		{ "Begin.\n  {{!\n    Something's going on here...\n  }}\nEnd.\n",
		  "Begin.\nEnd.\n" },
		{ "  12 {{! 34 }}\n", "  12 \n" },
		{ "12345 {{! Comment Block! }} 67890", "12345  67890" },
		{ "{{!}}x", "x" },
		{ "{{! {{name and {{#x are no tags here }}y", "y" },
		/* a comment ends at the first "}}" */
		{ "{{! {{name}} }}y", " }}y" },
	};

	reset_values();
	run_rows(rows, ROWS(rows), TMPL_ESCAPE_HTML);
}

TEST(test_partials)
{
	static const struct row rows[] = {
		{ "\"{{>text}}\"", "\"from partial\"" },
		{ "\"{{>ctx}}\"", "\"*Anna*\"" },
		{ "| {{>tabs}} |", "| \t|\t |" },
		{ "  {{a}}  {{> gt}}\n", "  ---  >\n>\n" },
		{ "|\r\n{{>gt1}}\r\n|", "|\r\n>|" },
		/* standalone partials are not indented (left out on purpose) */
		{ "  {{>gt}}\n>", ">\n>>" },
		{ ">\n  {{>gt}}", ">\n>\n>" },
		{ "|{{> brackets }}|", "|[]|" },
		/* the partial sees the scope where it stands */
		{ "{{#invoices}}{{>inv_line}};{{/invoices}}",
		  "INV-1 for Anna;INV-2 for Anna;" },
		{ "{{#invoices}}{{#lines}}{{>inv_line}};{{/lines}}{{/invoices}}",
		  "INV-1 for L1;INV-1 for ;" },
		/* standalone lines inside a partial */
		{ "a\n{{>standalone}}b\n", "a\nfee\nb\n" },
		{ "{{>email/footer.text}}", "-- ACME" },
		/* text next to a partial's text stays in order */
		{ "1{{>text}}2{{>text}}3", "1from partial2from partial3" },
	};

	reset_values();
	run_rows(rows, ROWS(rows), TMPL_ESCAPE_HTML);
	/* nesting up to the limit is fine */
	deep_end = TMPL_MAX_PARTIALS - 1;
	CHECK_STR(render("[{{>d0}}]", TMPL_ESCAPE_HTML), "[end]");
	deep_end = 7;
}

/* ---- compile errors ----------------------------------------------------- */

TEST(test_compile_errors)
{
	static const struct row rows[] = {
		{ "Hi {{nobody}}",
		  "ERR -3 t.tmpl:1: unknown field \"nobody\" (looked in: top level)" },
		{ "{{#invoices}}\n{{#lines}}{{nobody}}{{/lines}}{{/invoices}}",
		  "ERR -3 t.tmpl:2: unknown field \"nobody\" (looked in: list \"lines\", list \"invoices\", top level)" },
		{ "{{#nobody}}x{{/nobody}}",
		  "ERR -3 t.tmpl:1: unknown field \"nobody\" (looked in: top level)" },
		{ "{{Name}}",
		  "ERR -3 t.tmpl:1: unknown field \"Name\" (looked in: top level)" },
		{ "{{nam}}{{names}}",
		  "ERR -3 t.tmpl:1: unknown field \"nam\" (looked in: top level)" },
		{ "\n{{invoices}}",
		  "ERR -1 t.tmpl:2: cannot output list \"invoices\" (use it as a section: {{#invoices}}...{{/invoices}})" },
		{ "{{{invoices}}}",
		  "ERR -1 t.tmpl:1: cannot output list \"invoices\" (use it as a section: {{#invoices}}...{{/invoices}})" },
		{ "{{has_fees}}",
		  "ERR -1 t.tmpl:1: cannot output yes/no field \"has_fees\" (use it as a section: {{#has_fees}}...{{/has_fees}})" },
		{ "a\n{{#has_fees}}\nb",
		  "ERR -1 t.tmpl:2: section \"has_fees\" is not closed" },
		{ "{{#has_fees}}\n{{#invoices}}\n{{/invoices}}\n{{^fees}}",
		  "ERR -1 t.tmpl:4: section \"fees\" is not closed" },
		{ "{{#has_fees}}\n{{/name}}",
		  "ERR -1 t.tmpl:2: {{/name}} does not close section \"has_fees\" (opened on line 1)" },
		{ "{{#invoices}}{{#lines}}\n\n{{/invoices}}{{/lines}}",
		  "ERR -1 t.tmpl:3: {{/invoices}} does not close section \"lines\" (opened on line 1)" },
		{ "x\n{{/name}}",
		  "ERR -1 t.tmpl:2: {{/name}} closes no open section" },
		{ "{{#fees}}{{/fees}}{{/fees}}",
		  "ERR -1 t.tmpl:1: {{/fees}} closes no open section" },
		{ "a\nb {{name",
		  "ERR -1 t.tmpl:2: \"{{\" is not closed by \"}}\"" },
		{ "a {{name}\n}",
		  "ERR -1 t.tmpl:1: \"{{\" is not closed by \"}}\"" },
		{ "{{",
		  "ERR -1 t.tmpl:1: \"{{\" is not closed by \"}}\"" },
		{ "{{{link}}",
		  "ERR -1 t.tmpl:1: \"{{{\" is not closed by \"}}}\"" },
		{ "{{! never closed\n\n",
		  "ERR -1 t.tmpl:1: \"{{\" is not closed by \"}}\"" },
		{ "{{}}", "ERR -1 t.tmpl:1: empty tag" },
		{ "x\n{{ }}", "ERR -1 t.tmpl:2: empty tag" },
		{ "{{#}}", "ERR -1 t.tmpl:1: empty tag" },
		{ "{{^ }}", "ERR -1 t.tmpl:1: empty tag" },
		{ "{{#fees}}{{/}}", "ERR -1 t.tmpl:1: empty tag" },
		{ "{{{ }}}", "ERR -1 t.tmpl:1: empty tag" },
		{ "{{&}}", "ERR -1 t.tmpl:1: empty tag" },
		{ "{{> }}", "ERR -1 t.tmpl:1: empty tag" },
		{ "{{>nope}}",
		  "ERR -3 t.tmpl:1: partial \"nope\": no partial \"nope\"" },
		{ "\n\n{{>fail}}",
		  "ERR -4 t.tmpl:3: partial \"fail\": cannot read" },
		{ "{{>self}}",
		  "ERR -1 _blocks.tmpl:10: partial \"self\" includes itself (self > self)" },
		{ "{{>ping}}",
		  "ERR -1 _blocks.tmpl:10: partial \"ping\" includes itself (ping > pong > ping)" },
		{ "{{>text}}{{>text}}", "from partialfrom partial" }, /* twice is no cycle */
		{ "x\n{{>bad}}",
		  "ERR -3 _blocks.tmpl:11: unknown field \"nope\" (looked in: top level)" },
		{ "{{#invoices}}{{>bad}}{{/invoices}}",
		  "ERR -3 _blocks.tmpl:11: unknown field \"nope\" (looked in: list \"invoices\", top level)" },
		{ "{{>open}}{{/has_fees}}",
		  "ERR -1 _blocks.tmpl:10: section \"has_fees\" is not closed" },
		{ "{{#has_fees}}{{>close}}",
		  "ERR -1 _blocks.tmpl:10: {{/has_fees}} closes no open section" },
		{ "{{> bad name}}",
		  "ERR -1 t.tmpl:1: bad name \"bad name\" (letters, digits, '_' and '-' only)" },
		{ "{{{name}}}",
		  "ERR -1 t.tmpl:1: field \"name\" may not be output unescaped ({{{name}}} or {{&name}}); use {{name}}" },
		{ "\n{{& name}}",
		  "ERR -1 t.tmpl:2: field \"name\" may not be output unescaped ({{{name}}} or {{&name}}); use {{name}}" },
		{ "{{#invoices}}{{{number}}}{{/invoices}}",
		  "ERR -1 t.tmpl:1: field \"number\" may not be output unescaped ({{{number}}} or {{&number}}); use {{number}}" },
		{ "{{=<% %>=}}",
		  "ERR -1 t.tmpl:1: {{=...=}} (changing delimiters) is not supported" },
		{ "{{a.b}}",
		  "ERR -1 t.tmpl:1: \"a.b\": dotted names and {{.}} are not supported" },
		{ "{{#invoices}}{{.}}{{/invoices}}",
		  "ERR -1 t.tmpl:1: \".\": dotted names and {{.}} are not supported" },
		{ "{{a b}}",
		  "ERR -1 t.tmpl:1: bad name \"a b\" (letters, digits, '_' and '-' only)" },
		{ "{{<x}}",
		  "ERR -1 t.tmpl:1: bad name \"<x\" (letters, digits, '_' and '-' only)" },
		{ "{{a{{b}}",
		  "ERR -1 t.tmpl:1: bad name \"a{{b\" (letters, digits, '_' and '-' only)" },
		{ "{{#broken}}{{/broken}}",
		  "ERR -1 t.tmpl:1: schema: list \"broken\" has no item schema" },
		{ "{{!\n\n}}{{nobody}}",
		  "ERR -3 t.tmpl:3: unknown field \"nobody\" (looked in: top level)" },
		{ "{{#has_fees}}\n\n{{/has_fees}}\n{{nobody}}",
		  "ERR -3 t.tmpl:4: unknown field \"nobody\" (looked in: top level)" },
		{ "\r\n\r\n{{nobody}}",
		  "ERR -3 t.tmpl:3: unknown field \"nobody\" (looked in: top level)" },
	};

	reset_values();
	run_rows(rows, ROWS(rows), TMPL_ESCAPE_HTML);
}

/* Compile src (first line `first_line`, partials on); return the code and
 * copy the message. */
static int compile_msg(const char *src, size_t len, int first_line,
		       tmpl_partial_fn fn, char *msg, size_t msg_size)
{
	struct tmpl *t = NULL;
	struct err e;
	int rc;

	err_clear(&e);
	rc = tmpl_compile("t.tmpl", first_line, src, len, &top_schema, fn,
			  NULL, &t, &e);
	snprintf(msg, msg_size, "%s", rc < 0 ? e.msg : "");
	CHECK(rc < 0 ? t == NULL : t != NULL);
	tmpl_free(t);
	return rc;
}

TEST(test_compile_errors_built)
{
	char msg[ERR_MSG_MAX], want[ERR_MSG_MAX];
	struct buf b;
	int rc;

	/* the first line of the source is line 7 of its file */
	rc = compile_msg("\n\n{{nobody}}", 12, 7, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_NOTFOUND);
	CHECK_STR(msg, "t.tmpl:9: unknown field \"nobody\" (looked in: top level)");

	/* NUL byte */
	rc = compile_msg("a\n\0b", 4, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_INVALID);
	CHECK_STR(msg, "t.tmpl:2: NUL byte in template");

	/* no partial callback */
	rc = compile_msg("{{>text}}", 9, 1, NULL, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_INVALID);
	CHECK_STR(msg, "t.tmpl:1: partial \"text\": partials are not available here");

	/* a name longer than TMPL_NAME_MAX */
	buf_init(&b, 1024);
	buf_puts(&b, "{{");
	for (int i = 0; i <= TMPL_NAME_MAX; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "}}");
	rc = compile_msg(b.data, b.len, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_INVALID);
	snprintf(want, sizeof(want),
		 "t.tmpl:1: name \"%.*s...\" is longer than 64 bytes",
		 ERR_QUOTE_MAX, b.data + 2);
	CHECK_STR(msg, want);
	/* exactly TMPL_NAME_MAX is only unknown */
	buf_reset(&b);
	buf_puts(&b, "{{");
	for (int i = 0; i < TMPL_NAME_MAX; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "}}");
	rc = compile_msg(b.data, b.len, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_NOTFOUND);

	/* section nesting: TMPL_MAX_DEPTH is fine, one more is not */
	buf_reset(&b);
	for (int i = 0; i < TMPL_MAX_DEPTH; i++)
		buf_puts(&b, "{{#has_fees}}");
	buf_puts(&b, "x");
	for (int i = 0; i < TMPL_MAX_DEPTH; i++)
		buf_puts(&b, "{{/has_fees}}");
	reset_values();
	CHECK_STR(render(b.data, TMPL_ESCAPE_HTML), "x");
	buf_reset(&b);
	for (int i = 0; i < TMPL_MAX_DEPTH + 1; i++)
		buf_puts(&b, "{{#has_fees}}\n");
	rc = compile_msg(b.data, b.len, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(msg, "t.tmpl:33: sections nested more than 32 deep");
	/* list nesting to the limit renders, scope by scope */
	buf_reset(&b);
	for (int i = 0; i < TMPL_MAX_DEPTH; i++)
		buf_puts(&b, "{{#invoices}}");
	buf_puts(&b, "{{number}}");
	for (int i = 0; i < TMPL_MAX_DEPTH; i++)
		buf_puts(&b, "{{/invoices}}");
	V[F_INVOICES].n_items = 1;
	CHECK_STR(render(b.data, TMPL_ESCAPE_HTML), "INV-1");
	buf_free(&b);

	/* partial nesting */
	deep_end = TMPL_MAX_PARTIALS;
	rc = compile_msg("{{>d0}}", 7, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(msg, "_blocks.tmpl:10: partial \"d8\": partials nested more than 8 deep");
	deep_end = 7;
}

TEST(test_compile_bounds)
{
	char msg[ERR_MSG_MAX];
	size_t n = TMPL_MAX_SRC + 1;
	char *big = xmalloc(n);
	int rc;

	/* one source too large */
	memset(big, 'x', n);
	big[n - 1] = '\n';
	rc = compile_msg(big, n, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(msg, "t.tmpl:1: template is 262145 bytes, more than 262144");
	rc = compile_msg(big, n - 1, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, 0);

	/* literal text beyond TMPL_MAX_TEXT through partials */
	big_src = big;
	big_len = 200 * 1024;
	rc = compile_msg("{{>big}}{{>big}}{{>big}}{{>big}}{{>big}}\n{{>big}}",
			 49, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(msg, "_blocks.tmpl:10: template too large with its partials (more than 1048576 bytes of text)");

	/* ops beyond TMPL_MAX_OPS through partials */
	for (size_t i = 0; i + 5 <= 250000; i += 5)
		memcpy(big + i, "{{a}}", 5);
	big_len = 250000; /* 50000 outputs */
	rc = compile_msg("{{>big}}", 8, 1, partials, msg, sizeof(msg));
	CHECK_INT(rc, 0);
	rc = compile_msg("{{>big}}\n{{>big}}", 17, 1, partials, msg,
			 sizeof(msg));
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(msg, "_blocks.tmpl:10: template too large with its partials (more than 65536 tags and text runs)");
	big_src = NULL;
	free(big);
}

/* ---- rendering: raw rule, bounds, values -------------------------------- */

TEST(test_raw_rule)
{
	reset_values();
	/* allowed only on RAW_OK fields, in every mode */
	CHECK_STR(render("{{{link}}}", TMPL_ESCAPE_HTML),
		  "https://pay.example/p?a=1&b=2");
	CHECK_STR(render("{{link}}", TMPL_ESCAPE_HTML),
		  "https://pay.example/p?a=1&amp;b=2");
	CHECK_STR(render("{{link}}", TMPL_ESCAPE_NONE),
		  "https://pay.example/p?a=1&b=2");
	CHECK(strncmp(render("{{{company}}}", TMPL_ESCAPE_NONE),
		      "ERR -1 t.tmpl:1: field \"company\" may not", 40) == 0);
	CHECK(strncmp(render("{{&company}}", TMPL_ESCAPE_NONE),
		      "ERR -1 t.tmpl:1: field \"company\" may not", 40) == 0);
}

TEST(test_output_bound)
{
	struct tmpl *t = NULL;
	struct err e;
	struct buf out;
	int rc;

	reset_values();
	V[F_NAME] = text("<&>"); /* 3 bytes, 13 escaped */
	err_clear(&e);
	rc = tmpl_compile("bound.tmpl", 1, "Hi {{name}}!", 12, &top_schema,
			  NULL, NULL, &t, &e);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	buf_init(&out, 1024);
	buf_puts(&out, "prefix:");

	/* exactly at the bound */
	rc = tmpl_render(t, V, TMPL_ESCAPE_HTML, 17, &out, &e);
	CHECK_INT(rc, 0);
	CHECK_STR(buf_cstr(&out), "prefix:Hi &lt;&amp;&gt;!");
	/* one byte short: an error, and the buffer as it was */
	buf_reset(&out);
	buf_puts(&out, "prefix:");
	rc = tmpl_render(t, V, TMPL_ESCAPE_HTML, 16, &out, &e);
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(e.msg, "bound.tmpl: output larger than 16 bytes");
	CHECK_STR(buf_cstr(&out), "prefix:");
	CHECK_INT(out.len, 7);
	/* the same text unescaped fits */
	rc = tmpl_render(t, V, TMPL_ESCAPE_NONE, 7, &out, &e);
	CHECK_INT(rc, 0);
	CHECK_STR(buf_cstr(&out), "prefix:Hi <&>!");
	/* zero */
	buf_reset(&out);
	rc = tmpl_render(t, V, TMPL_ESCAPE_NONE, 0, &out, &e);
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_INT(out.len, 0);
	buf_free(&out);

	/* the buffer's own maximum is a bound too */
	buf_init(&out, 6);
	rc = tmpl_render(t, V, TMPL_ESCAPE_NONE, SIZE_MAX, &out, &e);
	CHECK_INT(rc, -ERR_TOOBIG);
	CHECK_STR(e.msg, "bound.tmpl: output larger than 6 bytes");
	CHECK_INT(out.len, 0);
	CHECK_STR(buf_cstr(&out), "");
	buf_free(&out);

	/* rendering twice into a reused buffer appends */
	buf_init(&out, 1024);
	CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_NONE, 100, &out, &e), 0);
	CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_NONE, 100, &out, &e), 0);
	CHECK_STR(buf_cstr(&out), "Hi <&>!Hi <&>!");
	buf_free(&out);
	tmpl_free(t);

	/* a list multiplies output: the bound holds inside loops too */
	t = NULL;
	rc = tmpl_compile("loop.tmpl", 1,
			  "{{#invoices}}{{#lines}}{{desc}}{{/lines}}{{/invoices}}",
			  54, &top_schema, NULL, NULL, &t, &e);
	CHECK_INT(rc, 0);
	buf_init(&out, 1024);
	CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_NONE, 9, &out, &e), 0);
	CHECK_STR(buf_cstr(&out), "DataCalls");
	buf_reset(&out);
	CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_NONE, 8, &out, &e),
		  -ERR_TOOBIG);
	CHECK_INT(out.len, 0);
	buf_free(&out);
	tmpl_free(t);
}

TEST(test_bad_values)
{
	struct tmpl *t = NULL;
	struct err e;
	struct buf out;
	int rc;

	reset_values();
	err_clear(&e);
	rc = tmpl_compile("v.tmpl", 1,
			  "{{#invoices}}{{number}}{{#lines}}{{desc}}{{/lines}}{{/invoices}}",
			  64, &top_schema, NULL, NULL, &t, &e);
	CHECK_INT(rc, 0);
	if (rc < 0)
		return;
	buf_init(&out, 1024);
	inv[1][0].s = NULL; /* length 5, no text */
	rc = tmpl_render(t, V, TMPL_ESCAPE_HTML, 1024, &out, &e);
	CHECK_INT(rc, -ERR_INVALID);
	CHECK_STR(e.msg, "v.tmpl: field \"number\": text length but no text");
	CHECK_INT(out.len, 0);
	reset_values();
	inv[0][2].items = NULL; /* two lines, no items */
	rc = tmpl_render(t, V, TMPL_ESCAPE_HTML, 1024, &out, &e);
	CHECK_INT(rc, -ERR_INVALID);
	CHECK_STR(e.msg, "v.tmpl: field \"lines\": elements but no items");
	/* no values at all */
	rc = tmpl_render(t, NULL, TMPL_ESCAPE_HTML, 1024, &out, &e);
	CHECK_INT(rc, -ERR_INVALID);
	CHECK_STR(e.msg, "v.tmpl: no values given");
	tmpl_free(t);

	/* a template without names needs no values; NULL text of length 0 is
	 * empty */
	t = NULL;
	CHECK_INT(tmpl_compile(NULL, 1, "plain", 5, NULL, NULL, NULL, &t, &e),
		  0);
	reset_values();
	CHECK_INT(tmpl_render(t, NULL, TMPL_ESCAPE_HTML, 10, &out, &e), 0);
	CHECK_STR(buf_cstr(&out), "plain");
	tmpl_free(t);
	t = NULL;
	CHECK_INT(tmpl_compile(NULL, 1, "[{{name}}]", 10, &top_schema, NULL,
			       NULL, &t, &e), 0);
	V[F_NAME].s = NULL;
	V[F_NAME].len = 0;
	buf_reset(&out);
	CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_HTML, 10, &out, &e), 0);
	CHECK_STR(buf_cstr(&out), "[]");
	tmpl_free(t);
	tmpl_free(NULL);
	/* an unnamed source is "template" in messages */
	t = NULL;
	CHECK_INT(tmpl_compile(NULL, 1, "{{x}}", 5, NULL, NULL, NULL, &t, &e),
		  -ERR_NOTFOUND);
	CHECK_STR(e.msg, "template:1: unknown field \"x\" (looked in: top level)");
	buf_free(&out);
}

/* A compiled template renders many times with different values. */
TEST(test_reuse)
{
	struct tmpl *t = NULL;
	struct err e;
	struct buf out;
	static const char *const names[] = { "Anna", "", "Bob & Co" };

	reset_values();
	CHECK_INT(tmpl_compile("sms", 1,
			       "{{#name}}Hi {{name}}, {{/name}}{{^name}}Hello, {{/name}}you owe {{fees}}.",
			       73, &top_schema, NULL, NULL, &t, &e), 0);
	if (!t)
		return;
	buf_init(&out, 4096);
	for (int i = 0; i < 3; i++) {
		V[F_NAME] = text(names[i]);
		CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_NONE, 200, &out, &e), 0);
		buf_putc(&out, '|');
	}
	CHECK_STR(buf_cstr(&out),
		  "Hi Anna, you owe EUR 5.00.|Hello, you owe EUR 5.00.|Hi Bob & Co, you owe EUR 5.00.|");
	buf_free(&out);
	tmpl_free(t);
}

/* ---- template files ----------------------------------------------------- */

static int parts_of(const char *src, struct tmpl_part *parts, size_t *n,
		    struct err *e)
{
	err_clear(e);
	return tmpl_file_parts("f.tmpl", src, strlen(src), parts, n, e);
}

static int part_is(const struct tmpl_part *p, const char *name,
		   const char *text, int line)
{
	return strcmp(p->name, name) == 0 && p->len == strlen(text) &&
	       memcmp(p->src, text, p->len) == 0 && p->first_line == line;
}

TEST(test_file_parts)
{
	struct tmpl_part parts[TMPL_PARTS_MAX];
	size_t n = 99;
	struct err e;
	struct buf b;
	const char *f =
		"# friendly reminder, English\n"
		"\n"
		"#   second comment\n"
		"@subject\n"
		"Reminder: invoice {{first_invoice_number}}\n"
		"@body\n"
		"Dear {{customer_name}},\n"
		"\n"
		"# not a comment here\n"
		"Kind regards\n"
		"\n"
		"@sms  \n"
		"@invoices.text\n"
		"x\n"
		"@voice_2\n"
		"last";

	CHECK_INT(parts_of(f, parts, &n, &e), 0);
	CHECK_INT(n, 5);
	if (n != 5)
		return;
	CHECK(part_is(&parts[0], "subject",
		      "Reminder: invoice {{first_invoice_number}}", 5));
	CHECK(part_is(&parts[1], "body",
		      "Dear {{customer_name}},\n\n# not a comment here\nKind regards\n",
		      7));
	CHECK(part_is(&parts[2], "sms", "", 13));
	CHECK(part_is(&parts[3], "invoices.text", "x", 14));
	CHECK(part_is(&parts[4], "voice_2", "last", 16));
	CHECK(tmpl_part_find(parts, n, "body") == &parts[1]);
	CHECK(tmpl_part_find(parts, n, "invoices.text") == &parts[3]);
	CHECK(tmpl_part_find(parts, n, "invoices") == NULL);
	CHECK(tmpl_part_find(parts, n, "html") == NULL);

	/* CRLF: the final "\r\n" goes, inner ones stay */
	CHECK_INT(parts_of("@a\r\nx\r\ny\r\n@b\r\nz\r\n", parts, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK(part_is(&parts[0], "a", "x\r\ny", 2));
	CHECK(part_is(&parts[1], "b", "z", 5));

	/* a part at the very end, empty files, comments only */
	CHECK_INT(parts_of("@only", parts, &n, &e), 0);
	CHECK_INT(n, 1);
	CHECK(part_is(&parts[0], "only", "", 2));
	CHECK_INT(parts_of("", parts, &n, &e), 0);
	CHECK_INT(n, 0);
	CHECK_INT(parts_of("# nothing\n\n  \n", parts, &n, &e), 0);
	CHECK_INT(n, 0);

	/* errors, and the outputs untouched */
	n = 77;
	CHECK_INT(parts_of("# c\nhello\n@body\nx", parts, &n, &e),
		  -ERR_INVALID);
	CHECK_STR(e.msg, "f.tmpl:2: text before the first part: \"hello\" (a part starts with a line \"@name\", the name of a-z, 0-9, '_' and '.')");
	CHECK_INT(n, 77);
	CHECK_INT(parts_of("\n@Body\nx\n", parts, &n, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "f.tmpl:2: text before the first part: \"@Body\" (a part starts with a line \"@name\", the name of a-z, 0-9, '_' and '.')");
	CHECK_INT(parts_of("@\n", parts, &n, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "f.tmpl:1: text before the first part: \"@\" (a part starts with a line \"@name\", the name of a-z, 0-9, '_' and '.')");
	CHECK_INT(parts_of("@body x\n", parts, &n, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "f.tmpl:1: text before the first part: \"@body x\" (a part starts with a line \"@name\", the name of a-z, 0-9, '_' and '.')");
	CHECK_INT(n, 77);
	/* inside a part, '@' lines that are not part lines are text (CSS) */
	CHECK_INT(parts_of("@html\n<style>\n@media screen {\n}\n@font-face {}\n@\n</style>\n@sms\nx",
			   parts, &n, &e), 0);
	CHECK_INT(n, 2);
	CHECK(part_is(&parts[0], "html",
		      "<style>\n@media screen {\n}\n@font-face {}\n@\n</style>", 2));
	CHECK(part_is(&parts[1], "sms", "x", 9));
	n = 77;
	CHECK_INT(parts_of("@body\nx\n@sms\ny\n@body\nz", parts, &n, &e),
		  -ERR_CONFLICT);
	CHECK_STR(e.msg, "f.tmpl:5: part \"@body\" appears twice (first on line 1)");
	CHECK_INT(n, 77);

	buf_init(&b, 1 << 16);
	buf_putc(&b, '@');
	for (int i = 0; i <= TMPL_PART_NAME_MAX; i++)
		buf_putc(&b, 'a');
	CHECK_INT(parts_of(b.data, parts, &n, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "f.tmpl:1: part name longer than 63 bytes");
	buf_reset(&b);
	for (int i = 0; i < TMPL_PARTS_MAX; i++)
		buf_printf(&b, "@p%d\ntext %d\n", i, i);
	CHECK_INT(parts_of(b.data, parts, &n, &e), 0);
	CHECK_INT(n, TMPL_PARTS_MAX);
	CHECK(part_is(&parts[31], "p31", "text 31", 64));
	buf_puts(&b, "@one_more\n");
	CHECK_INT(parts_of(b.data, parts, &n, &e), -ERR_TOOBIG);
	CHECK_STR(e.msg, "f.tmpl:65: more than 32 parts");
	buf_free(&b);
}

/* ---- HTML from the text body -------------------------------------------- */

#define P "<p style=\"m\">"

static const char *to_html(const char *src)
{
	struct buf out;
	struct err e;
	int rc;

	buf_init(&out, 1 << 16);
	err_clear(&e);
	rc = tmpl_text_to_html(src, strlen(src), P, &out, &e);
	if (rc < 0)
		snprintf(result, sizeof(result), "ERR %d %s", rc, e.msg);
	else
		snprintf(result, sizeof(result), "%s", buf_cstr(&out));
	buf_free(&out);
	return result;
}

static int newlines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

TEST(test_text_to_html)
{
	static const struct row rows[] = {
		{ "{{#has_fees}}\nFees: {{fees}}.\n{{/has_fees}}",
		  "{{#has_fees}}\n" P "Fees: {{fees}}.</p>\n{{/has_fees}}" },
		{ "Dear {{name}},\n\nYour invoice is open.\nPlease pay.\n\nRegards\n",
		  P "Dear {{name}},</p>\n\n" P "Your invoice is open.<br>\nPlease pay.</p>\n\n" P "Regards</p>\n" },
		{ "a & b < c > \"d\" 'e'",
		  P "a &amp; b &lt; c &gt; &quot;d&quot; &#39;e&#39;</p>" },
		{ "{{{link}}} & {{& link}} {{name}}",
		  P "{{{link}}} &amp; {{& link}} {{name}}</p>" },
		{ "Hi\n  {{! a comment }}\nthere\n",
		  P "Hi</p>\n  {{! a comment }}\n" P "there</p>\n" },
		{ "Hi\n{{!\n multi & line\n}}\nthere",
		  P "Hi</p>\n{{!\n multi & line\n}}\n" P "there</p>" },
		{ "{{> footer}}\n", "{{> footer}}\n" },
		{ "{{#invoices}}\n- {{number}}: {{amount}}\n{{/invoices}}\n",
		  "{{#invoices}}\n" P "- {{number}}: {{amount}}</p>\n{{/invoices}}\n" },
		/* a line with a tag and text is content */
		{ "{{#has_fees}}Fees{{/has_fees}}\n",
		  P "{{#has_fees}}Fees{{/has_fees}}</p>\n" },
		/* a variable alone on a line is content */
		{ "{{name}}\n", P "{{name}}</p>\n" },
		/* blank lines with spaces stay as they are */
		{ "a\n  \n\t\nb", P "a</p>\n  \n\t\n" P "b</p>" },
		/* CRLF */
		{ "a\r\nb\r\n\r\n{{#x}}\r\nc\r\n{{/x}}\r\n",
		  P "a<br>\r\nb</p>\r\n\r\n{{#x}}\r\n" P "c</p>\r\n{{/x}}\r\n" },
		/* an unclosed tag stays literal for the compiler to report */
		{ "a {{name\nb", P "a {{name<br>\nb</p>" },
		{ "", "" },
		{ "\n\n", "\n\n" },
	};

	for (size_t i = 0; i < ROWS(rows); i++) {
		const char *got = to_html(rows[i].src);
		if (strcmp(got, rows[i].want) != 0) {
			printf("  row %zu:\n    got  \"%s\"\n    want \"%s\"\n", i,
			       got, rows[i].want);
			check_failed_here++;
		}
		if (newlines(got) != newlines(rows[i].src)) {
			printf("  row %zu: newlines changed\n", i);
			check_failed_here++;
		}
	}
}

TEST(test_text_to_html_render)
{
	const char *body =
		"Dear {{name}},\n"
		"\n"
		"You owe {{fees}} to {{company}}.\n"
		"{{#has_fees}}\n"
		"Fees: {{fees}}.\n"
		"{{/has_fees}}\n"
		"{{#invoices}}\n"
		"- {{number}}\n"
		"{{/invoices}}\n"
		"\n"
		"Regards & thanks\n";
	struct buf html, out;
	struct err e;
	struct tmpl *t = NULL;

	reset_values();
	V[F_NAME] = text("Anna <3");
	buf_init(&html, 1 << 16);
	CHECK_INT(tmpl_text_to_html(body, strlen(body), "<p>", &html, &e), 0);
	CHECK_INT(tmpl_compile("b.tmpl", 1, html.data, html.len, &top_schema,
			       NULL, NULL, &t, &e), 0);
	if (!t)
		return;
	buf_init(&out, 1 << 16);
	CHECK_INT(tmpl_render(t, V, TMPL_ESCAPE_HTML, 1 << 16, &out, &e), 0);
	CHECK_STR(buf_cstr(&out),
		  "<p>Dear Anna &lt;3,</p>\n"
		  "\n"
		  "<p>You owe EUR 5.00 to ACME.</p>\n"
		  "<p>Fees: EUR 5.00.</p>\n"
		  "<p>- INV-1</p>\n"
		  "<p>- INV-2</p>\n"
		  "\n"
		  "<p>Regards &amp; thanks</p>\n");
	tmpl_free(t);
	buf_free(&out);

	/* an error in the HTML names the text source's line */
	buf_reset(&html);
	CHECK_INT(tmpl_text_to_html("a\n\nb <\n{{nobody}}\n", 18, "<p>", &html,
				    &e), 0);
	t = NULL;
	CHECK_INT(tmpl_compile("b.tmpl", 4, html.data, html.len, &top_schema,
			       NULL, NULL, &t, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "b.tmpl:7: unknown field \"nobody\" (looked in: top level)");

	/* bounded output */
	buf_free(&html);
	buf_init(&html, 20);
	buf_puts(&html, "keep");
	CHECK_INT(tmpl_text_to_html(body, strlen(body), "<p>", &html, &e),
		  -ERR_TOOBIG);
	CHECK_STR(e.msg, "HTML body larger than 20 bytes");
	CHECK_STR(buf_cstr(&html), "keep");
	buf_free(&html);
}

/* ---- fuzz --------------------------------------------------------------- */

#define ROUNDS 6000

static uint64_t rng = 0x7e3b1a2026112701ULL;

static uint64_t next_rand(void)
{
	uint64_t x = rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng = x;
	return x * 2685821657736338717ULL;
}

/* Mutate `in` into a fresh buffer: flips, structural inserts, deletions,
 * duplications, splices from `other`, truncation. */
static char *mutate(const char *in, size_t len, const char *other,
		    size_t other_len, size_t *ret_len)
{
	static const char special[] = "{{}}#^/!>&=.{} \n\r\t@<\"'_";
	size_t cap = len * 2 + 64, n = len;
	char *out = xmalloc(cap + 1);
	int edits = 1 + (int)(next_rand() % 6);

	memcpy(out, in, len);
	for (int k = 0; k < edits; k++) {
		size_t pos = n ? next_rand() % n : 0;
		switch (next_rand() % 6) {
		case 0:
			if (n)
				out[pos] ^= (char)(1u << (next_rand() % 8));
			break;
		case 1:
			if (n < cap) {
				memmove(out + pos + 1, out + pos, n - pos);
				out[pos] = next_rand() % 4 ?
						   special[next_rand() % (sizeof(special) - 1)] :
						   (char)(next_rand() % 256);
				n++;
			}
			break;
		case 2:
			if (n) {
				size_t del = 1 + next_rand() % 8;
				if (del > n - pos)
					del = n - pos;
				memmove(out + pos, out + pos + del, n - pos - del);
				n -= del;
			}
			break;
		case 3:
			if (n) {
				size_t l2 = 1 + next_rand() % 32;
				if (l2 > n - pos)
					l2 = n - pos;
				if (n + l2 <= cap) {
					memmove(out + pos + l2, out + pos, n - pos);
					n += l2;
				}
			}
			break;
		case 4:
			if (other_len) {
				size_t from = next_rand() % other_len;
				size_t l2 = 1 + next_rand() % 48;
				if (l2 > other_len - from)
					l2 = other_len - from;
				if (n + l2 <= cap) {
					memmove(out + pos + l2, out + pos, n - pos);
					memcpy(out + pos, other + from, l2);
					n += l2;
				}
			}
			break;
		default:
			if (next_rand() % 4 == 0)
				n = pos;
			break;
		}
	}
	out[n] = '\0';
	*ret_len = n;
	return out;
}

static int msg_ok(const char *msg)
{
	return strncmp(msg, "fuzz.tmpl:", 10) == 0 ||
	       strncmp(msg, "_blocks.tmpl:", 13) == 0;
}

TEST(test_fuzz)
{
	static const char *const seeds[] = {
		"Dear {{name}},\n\n{{#invoices}}\n- {{number}}{{#is_overdue}} (overdue){{/is_overdue}}\n"
		"{{#lines}}  {{desc}} {{ name }} {{company}}\n{{/lines}}\n{{/invoices}}\n"
		"{{^has_fees}}No fees.{{/has_fees}}\n{{{link}}} {{&link}}\n{{! comment }}\n{{>ctx}}\n",
		"{{#has_fees}}\r\nFees: {{fees}}.\r\n{{/has_fees}}\r\n{{#invoices}}{{> inv_line}}\n{{/invoices}}"
		"{{^empty}}<&>{{/empty}}{{#dots}}.{{/dots}}{{>standalone}}",
		"@subject\nHi {{name}}\n@body\n# x\n{{#fees}}\n  {{fees}} & more\n{{/fees}}\n\n"
		"{{!\nmulti\n}}\n{{>email/footer.text}}\n@sms\n{{a}} {{link}}",
	};
	size_t seed_len[3];
	int compiled = 0, rendered = 0, too_big = 0;
	struct buf out, html;

	for (int i = 0; i < 3; i++)
		seed_len[i] = strlen(seeds[i]);
	reset_values();
	buf_init(&out, 1 << 20);
	buf_init(&html, 1 << 20);
	for (int r = 0; r < ROUNDS; r++) {
		int s = (int)(next_rand() % 3);
		size_t n;
		char *in = mutate(seeds[s], seed_len[s], seeds[(s + 1) % 3],
				  seed_len[(s + 1) % 3], &n);
		struct tmpl *t = NULL, *th = NULL;
		struct tmpl_part parts[TMPL_PARTS_MAX];
		size_t n_parts = 0;
		struct err e, eh;
		int rc, rch, rcr;

		/* compile: 0 or an error naming the place */
		err_clear(&e);
		rc = tmpl_compile("fuzz.tmpl", 1, in, n, &top_schema, partials,
				  NULL, &t, &e);
		if (rc < 0) {
			CHECK(t == NULL);
			if (!msg_ok(e.msg)) {
				printf("  round %d: message \"%s\"\n", r, e.msg);
				check_failed_here++;
			}
		} else {
			size_t max_out = next_rand() % 2 ? 1 << 20 : next_rand() % 64;
			compiled++;
			for (int mode = 0; mode < 2; mode++) {
				buf_reset(&out);
				struct err er;
				rcr = tmpl_render(t, V, mode ? TMPL_ESCAPE_NONE :
							       TMPL_ESCAPE_HTML,
						  max_out, &out, &er);
				CHECK(rcr == 0 || rcr == -ERR_TOOBIG);
				CHECK(out.len <= max_out);
				if (rcr == 0)
					rendered++;
				else
					too_big++;
			}
		}

		/* the HTML body: same newlines, same verdict and message */
		buf_reset(&html);
		CHECK_INT(tmpl_text_to_html(in, n, "<p class=\"x\">", &html, &eh), 0);
		{
			int nl_in = 0, nl_out = 0;
			for (size_t i = 0; i < n; i++)
				nl_in += in[i] == '\n';
			for (size_t i = 0; i < html.len; i++)
				nl_out += html.data[i] == '\n';
			CHECK_INT(nl_out, nl_in);
		}
		err_clear(&eh);
		rch = tmpl_compile("fuzz.tmpl", 1, html.data ? html.data : "",
				   html.len, &top_schema, partials, NULL, &th,
				   &eh);
		if ((rc < 0) != (rch < 0) ||
		    (rc < 0 && strcmp(e.msg, eh.msg) != 0)) {
			printf("  round %d: text \"%s\" (%s)\n    html \"%s\" (%s)\n",
			       r, in, e.msg, buf_cstr(&html), eh.msg);
			check_failed_here++;
		}
		tmpl_free(th);
		tmpl_free(t);

		/* file parts: inside the input, names as documented */
		err_clear(&e);
		rc = tmpl_file_parts("fuzz.tmpl", in, n, parts, &n_parts, &e);
		if (rc == 0) {
			for (size_t i = 0; i < n_parts; i++) {
				CHECK(parts[i].src >= in &&
				      parts[i].src + parts[i].len <= in + n);
				CHECK(parts[i].name[0] != '\0');
				CHECK(strspn(parts[i].name,
					     "abcdefghijklmnopqrstuvwxyz0123456789_.") ==
				      strlen(parts[i].name));
			}
		} else {
			CHECK(msg_ok(e.msg));
		}
		free(in);
	}
	buf_free(&out);
	buf_free(&html);
	/* the run exercised both sides */
	CHECK(compiled > ROUNDS / 10);
	CHECK(compiled < ROUNDS);
	CHECK(rendered > 0);
	CHECK(too_big > 0);
}

int main(void)
{
	RUN(test_interpolation);
	RUN(test_escaping);
	RUN(test_sections);
	RUN(test_inverted);
	RUN(test_comments);
	RUN(test_partials);
	RUN(test_compile_errors);
	RUN(test_compile_errors_built);
	RUN(test_compile_bounds);
	RUN(test_raw_rule);
	RUN(test_output_bound);
	RUN(test_bad_values);
	RUN(test_reuse);
	RUN(test_file_parts);
	RUN(test_text_to_html);
	RUN(test_text_to_html_render);
	RUN(test_fuzz);
	return CHECK_DONE();
}
