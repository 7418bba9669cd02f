/*
 * render_letter: a dunning letter as an A4 PDF (see render_letter.h for the
 * page geometry and the rules of pagination).
 *
 * One call: check the input, build one pango context (72 dpi, unhinted
 * metrics, so a point of text is a point of PDF), lay out the fixed parts
 * of page 1 and the footer, then run the same flow twice: with no cairo
 * context to count the pages, and with a cairo PDF surface that writes into
 * a bounded buffer to draw them. Pango text never goes through markup.
 * This module never prints and keeps no state of its own between calls
 * (pango keeps its per-thread font map, with the fonts it has looked up).
 */
#include "render_letter.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <dlfcn.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Geometry, in PDF points (1/72 inch). */
#define MM (72.0 / 25.4)
#define PAGE_W 595.276                  /* A4 width */
#define PAGE_H 841.89                   /* A4 height */
#define MARGIN_L (25 * MM)              /* running text, left */
#define MARGIN_R (20 * MM)              /* running text, right */
#define TEXT_W (PAGE_W - MARGIN_L - MARGIN_R) /* 165 mm */
#define TOP_NEXT (20 * MM)              /* where pages 2.. start */
#define FIRST_Y (98.5 * MM)             /* where running text starts on page 1 */
#define WIN_X (20 * MM)                 /* envelope window: left edge */
#define WIN_Y (45 * MM)                 /* ... top edge */
#define WIN_W (85 * MM)                 /* ... width */
#define WIN_H (45 * MM)                 /* ... height */
#define WIN_TEXT_X (25 * MM)            /* address text: 5 mm inside */
#define WIN_TEXT_W (WIN_X + WIN_W - 5 * MM - WIN_TEXT_X) /* 75 mm */
#define WIN_ADDR_Y (62.7 * MM)          /* DIN 5008 form B address zone */
#define SENDER_X (125 * MM)             /* sender block column */
#define SENDER_W (PAGE_W - MARGIN_R - SENDER_X) /* to the right margin */
#define SENDER_Y (12 * MM)              /* top of the sender block */
#define SENDER_END (95 * MM)            /* the sender block ends above this */
#define FOOTER_BOTTOM (10 * MM)         /* footer ends this far above the edge */
#define BOX_PAD (4 * MM)                /* inside the payment box */
#define QR_W (30 * MM)                  /* printed QR width (at least 25 mm) */
#define QR_COL_W (42 * MM)              /* QR column: image and caption */

/* Vertical spacing. */
#define PARA_GAP 5.0                    /* between paragraphs */
#define ROW_GAP 2.5                     /* between table rows */
#define COL_GAP (4 * MM)                /* between table columns */

/* Type sizes, pt. */
#define FONT_FAMILY "DejaVu Sans"
#define SIZE_BODY 10.0
#define SIZE_SUBJECT 11.0
#define SIZE_SENDER 9.0
#define SIZE_RETURN 7.0
#define SIZE_TABLE 9.0
#define SIZE_CAPTION 8.0
#define SIZE_LABEL 8.0
#define SIZE_FOOTER 7.0

#define PS ((double)PANGO_SCALE)

/* Where one line of a laid-out paragraph is, in the layout's coordinates. */
struct line_pos {
	double x;    /* left edge of the line (alignment included) */
	double top;  /* top of its logical rectangle */
	double h;    /* height of its logical rectangle */
	double base; /* its baseline */
};

/* The state of one pass over the document. */
struct ctx {
	const struct letter *l;  /* the input */
	PangoContext *pc;        /* every layout's context */
	cairo_t *cr;             /* the PDF being drawn; NULL while counting pages */
	int page;                /* current page, 1-based */
	int pages;               /* total pages (drawing pass); 0 while counting */
	double y;                /* next free position on the page, pt from the top */
	int at_top;              /* nothing placed on this page yet */
	double bottom;           /* running text ends above this, on every page */

	PangoLayout *footer;     /* the footer; NULL when there is none */
	double footer_y;         /* top of the footer */
	double rule_y;           /* the hairline above the footer */
	double label_y;          /* top of "Page N of M" */

	PangoLayout *sender;     /* sender block; NULL when there is none */
	PangoLayout *ret_line;   /* return line; NULL when there is none */
	double ret_y;            /* top of the return line */
	PangoLayout *recipient;  /* recipient address */
	double recipient_y;      /* top of the recipient address */

	cairo_surface_t *qr;     /* the QR image; NULL when there is none */
	struct err *e;           /* where errors go */
};

/* ---- input checks ---- */

/* Check one text: its length bound, UTF-8, and control characters (none at
 * all when `oneline`; otherwise only tab, CR and LF). */
static int check_text(const char *name, const char *s, size_t limit,
		      int oneline, struct err *e)
{
	size_t n = strnlen(s, limit + 1), i;

	if (n > limit)
		return err_set(e, ERR_TOOBIG, "letter: %s: longer than %zu bytes",
			       name, limit);
	if (!g_utf8_validate(s, (gssize)n, NULL))
		return err_set(e, ERR_INVALID, "letter: %s: not valid UTF-8", name);
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != 0x7f)
			continue;
		if (!oneline && (ch == '\n' || ch == '\r' || ch == '\t'))
			continue;
		return err_set(e, ERR_INVALID,
			       "letter: %s: control character 0x%02x at byte %zu%s",
			       name, ch, i, oneline ? " (must be one line)" : "");
	}
	return 0;
}

/* An optional text: NULL is fine. */
static int check_opt(const char *name, const char *s, size_t limit,
		     int oneline, struct err *e)
{
	return s ? check_text(name, s, limit, oneline, e) : 0;
}

/* A list of lines: at most LETTER_LINES_MAX, none NULL. */
static int check_lines(const char *name, const char *const *lines, size_t n,
		       int oneline, struct err *e)
{
	char what[64];
	size_t i;
	int rc;

	if (n > LETTER_LINES_MAX)
		return err_set(e, ERR_TOOBIG, "letter: %s: more than %d lines",
			       name, LETTER_LINES_MAX);
	if (n && !lines)
		return err_set(e, ERR_INVALID, "letter: %s: missing", name);
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s[%zu]", name, i);
		if (!lines[i])
			return err_set(e, ERR_INVALID, "letter: %s: missing", what);
		rc = check_text(what, lines[i], LETTER_TEXT_MAX, oneline, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A BCP 47 language tag, loosely: letters, digits and '-', 1..35 bytes,
 * starting with a letter; enough to keep it a plain PDF string. */
static int check_lang(const char *s, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	size_t i, n = strnlen(s, 36);

	if (n == 0 || n > 35 || !g_ascii_isalpha(s[0]))
		goto bad;
	for (i = 0; i < n; i++)
		if (!g_ascii_isalnum(s[i]) && s[i] != '-')
			goto bad;
	return 0;
bad:
	return err_set(e, ERR_INVALID, "letter: lang: \"%s\" is not a language tag",
		       err_quote(s, q));
}

static int check_letter(const struct letter *l, struct err *e)
{
	char what[64];
	size_t i, j;
	int rc;

	if (!l->recipient_lines || l->n_recipient == 0)
		return err_set(e, ERR_INVALID, "letter: recipient_lines: missing");
	if (!l->body)
		return err_set(e, ERR_INVALID, "letter: body: missing");
	if ((rc = check_lines("sender_lines", l->sender_lines, l->n_sender, 0, e)) < 0 ||
	    (rc = check_lines("recipient_lines", l->recipient_lines,
			      l->n_recipient, 1, e)) < 0 ||
	    (rc = check_lines("bank_lines", l->bank_lines, l->n_bank, 0, e)) < 0 ||
	    (rc = check_opt("return_line", l->return_line, LETTER_TEXT_MAX, 1, e)) < 0 ||
	    (rc = check_opt("place_date", l->place_date, LETTER_TEXT_MAX, 0, e)) < 0 ||
	    (rc = check_opt("reference_line", l->reference_line, LETTER_TEXT_MAX, 0, e)) < 0 ||
	    (rc = check_opt("subject", l->subject, LETTER_TEXT_MAX, 0, e)) < 0 ||
	    (rc = check_text("body", l->body, LETTER_BODY_MAX, 0, e)) < 0 ||
	    (rc = check_opt("closing", l->closing, LETTER_BODY_MAX, 0, e)) < 0 ||
	    (rc = check_opt("qr_caption", l->qr_caption, LETTER_TEXT_MAX, 0, e)) < 0 ||
	    (rc = check_opt("page_label", l->page_label, LETTER_TEXT_MAX, 1, e)) < 0 ||
	    (rc = check_opt("page_of", l->page_of, LETTER_TEXT_MAX, 1, e)) < 0 ||
	    (rc = check_opt("footer", l->footer, LETTER_TEXT_MAX, 0, e)) < 0 ||
	    (rc = check_opt("title", l->title, LETTER_TEXT_MAX, 1, e)) < 0)
		return rc;
	if (l->lang && (rc = check_lang(l->lang, e)) < 0)
		return rc;

	if (l->n_cols > LETTER_COLS_MAX)
		return err_set(e, ERR_RANGE, "letter: n_cols: %zu columns, at most %d",
			       l->n_cols, LETTER_COLS_MAX);
	if (l->n_rows && !l->n_cols)
		return err_set(e, ERR_INVALID, "letter: rows: a table needs n_cols");
	if (l->n_rows > LETTER_ROWS_MAX)
		return err_set(e, ERR_TOOBIG, "letter: rows: more than %d", LETTER_ROWS_MAX);
	if (l->n_rows && !l->rows)
		return err_set(e, ERR_INVALID, "letter: rows: missing");
	for (j = 0; l->table_head && j < l->n_cols; j++) {
		snprintf(what, sizeof(what), "table_head[%zu]", j);
		if ((rc = check_opt(what, l->table_head[j], LETTER_TEXT_MAX, 0, e)) < 0)
			return rc;
	}
	for (i = 0; i < l->n_rows; i++)
		for (j = 0; j < l->n_cols; j++) {
			snprintf(what, sizeof(what), "rows[%zu].cells[%zu]", i, j);
			rc = check_opt(what, l->rows[i].cells[j], LETTER_TEXT_MAX, 0, e);
			if (rc < 0)
				return rc;
		}

	if (l->qr_png_len && !l->qr_png)
		return err_set(e, ERR_INVALID, "letter: qr_png: missing");
	if (l->qr_png_len > LETTER_QR_PNG_MAX)
		return err_set(e, ERR_TOOBIG, "letter: qr_png: more than %d bytes",
			       LETTER_QR_PNG_MAX);
	return 0;
}

/* ---- layouts ---- */

static PangoFontDescription *font(double size, int bold)
{
	PangoFontDescription *fd = pango_font_description_new();

	pango_font_description_set_family(fd, FONT_FAMILY);
	pango_font_description_set_absolute_size(fd, size * PS);
	pango_font_description_set_weight(fd, bold ? PANGO_WEIGHT_BOLD
						   : PANGO_WEIGHT_NORMAL);
	return fd;
}

/* A layout of plain `text` (never markup): `width` <= 0 means no wrapping. */
static PangoLayout *layout(struct ctx *c, const char *text, double size,
			   int bold, double width, PangoAlignment align)
{
	PangoLayout *lay = pango_layout_new(c->pc);
	PangoFontDescription *fd = font(size, bold);

	pango_layout_set_font_description(lay, fd);
	pango_font_description_free(fd);
	if (width > 0) {
		pango_layout_set_width(lay, pango_units_from_double(width));
		pango_layout_set_wrap(lay, PANGO_WRAP_WORD_CHAR);
	}
	pango_layout_set_alignment(lay, align);
	pango_layout_set_text(lay, text, -1);
	return lay;
}

/* Lines joined by '\n' (the bounds of check_lines keep this small). */
static char *join_lines(const char *const *lines, size_t n)
{
	struct buf b;
	size_t i;

	buf_init(&b, (size_t)LETTER_LINES_MAX * (LETTER_TEXT_MAX + 1));
	for (i = 0; i < n; i++) {
		if (i)
			(void)buf_putc(&b, '\n');
		(void)buf_puts(&b, lines[i]);
	}
	return buf_detach(&b);
}

static double lay_w(PangoLayout *lay)
{
	PangoRectangle r;

	pango_layout_get_extents(lay, NULL, &r);
	return r.width / PS;
}

static double lay_h(PangoLayout *lay)
{
	PangoRectangle r;

	pango_layout_get_extents(lay, NULL, &r);
	return r.height / PS;
}

/* Draw `lay` with its top left corner at (x, y) (drawing pass only). */
static void draw(struct ctx *c, PangoLayout *lay, double x, double y)
{
	if (!c->cr)
		return;
	cairo_set_source_rgb(c->cr, 0, 0, 0);
	cairo_move_to(c->cr, x, y);
	pango_cairo_show_layout(c->cr, lay);
}

static void hairline(struct ctx *c, double x0, double x1, double y)
{
	if (!c->cr)
		return;
	cairo_set_source_rgb(c->cr, 0.45, 0.45, 0.45);
	cairo_set_line_width(c->cr, 0.5);
	cairo_move_to(c->cr, x0, y);
	cairo_line_to(c->cr, x1, y);
	cairo_stroke(c->cr);
}

/* The fixed parts of page 1: sender block, return line, recipient. Each is
 * tried at smaller sizes before giving up, so that a long address still
 * reaches the window rather than being cut off. */
static int setup_first_page(struct ctx *c)
{
	static const double recipient_sizes[] = { 10, 9, 8 };
	static const double sender_sizes[] = { SIZE_SENDER, 8, 7 };
	static const double return_sizes[] = { SIZE_RETURN, 6 };
	const struct letter *l = c->l;
	double top_min = WIN_Y + 1 * MM, bottom_max = WIN_Y + WIN_H - 1 * MM;
	char *text;
	size_t i;

	if (l->n_sender) {
		text = join_lines(l->sender_lines, l->n_sender);
		for (i = 0; i < G_N_ELEMENTS(sender_sizes); i++) {
			PangoAttrList *attrs = pango_attr_list_new();
			PangoAttribute *a = pango_attr_weight_new(PANGO_WEIGHT_BOLD);

			a->start_index = 0;
			a->end_index = (guint)strlen(l->sender_lines[0]);
			pango_attr_list_insert(attrs, a);
			if (c->sender)
				g_object_unref(c->sender);
			c->sender = layout(c, text, sender_sizes[i], 0, SENDER_W,
					   PANGO_ALIGN_RIGHT);
			pango_layout_set_attributes(c->sender, attrs);
			pango_attr_list_unref(attrs);
			if (SENDER_Y + lay_h(c->sender) <= SENDER_END)
				break;
		}
		free(text);
		if (i == G_N_ELEMENTS(sender_sizes))
			return err_set(c->e, ERR_RANGE,
				       "letter: sender_lines: %zu lines do not fit in the "
				       "sender block (12 to 95 mm from the top, at 7 pt)",
				       l->n_sender);
	}

	if (l->return_line) {
		for (i = 0; i < G_N_ELEMENTS(return_sizes); i++) {
			if (c->ret_line)
				g_object_unref(c->ret_line);
			c->ret_line = layout(c, l->return_line, return_sizes[i], 0, 0,
					     PANGO_ALIGN_LEFT);
			if (lay_w(c->ret_line) <= WIN_TEXT_W)
				break;
		}
		if (i == G_N_ELEMENTS(return_sizes))
			return err_set(c->e, ERR_RANGE,
				       "letter: return_line: too wide for the envelope "
				       "window, even at 6 pt");
		c->ret_y = WIN_Y + 1 * MM;
		top_min = c->ret_y + lay_h(c->ret_line) + 1.5 * MM;
	}

	text = join_lines(l->recipient_lines, l->n_recipient);
	for (i = 0; i < G_N_ELEMENTS(recipient_sizes); i++) {
		double h;

		if (c->recipient)
			g_object_unref(c->recipient);
		c->recipient = layout(c, text, recipient_sizes[i], 0, 0,
				      PANGO_ALIGN_LEFT);
		h = lay_h(c->recipient);
		c->recipient_y = WIN_ADDR_Y;
		if (c->recipient_y + h > bottom_max)
			c->recipient_y = bottom_max - h;
		if (c->recipient_y >= top_min && lay_w(c->recipient) <= WIN_TEXT_W)
			break;
	}
	free(text);
	if (i == G_N_ELEMENTS(recipient_sizes))
		return err_set(c->e, ERR_RANGE,
			       "letter: recipient_lines: the address (%zu lines) does "
			       "not fit in the envelope window, even at 8 pt",
			       l->n_recipient);
	return 0;
}

/* "Page N of M" as plain text. */
static char *page_text(const struct letter *l, int page, int pages)
{
	struct buf b;

	buf_init(&b, 2 * (size_t)LETTER_TEXT_MAX + 64);
	(void)buf_printf(&b, "%s %d %s %d", l->page_label ? l->page_label : "Page",
			 page, l->page_of ? l->page_of : "of", pages);
	return buf_detach(&b);
}

/* The page label is one line, ellipsized if absurdly long, right-aligned. */
static PangoLayout *label_layout(struct ctx *c, int page, int pages)
{
	char *text = page_text(c->l, page, pages);
	PangoLayout *lay = layout(c, text, SIZE_LABEL, 0, TEXT_W, PANGO_ALIGN_RIGHT);

	pango_layout_set_ellipsize(lay, PANGO_ELLIPSIZE_END);
	free(text);
	return lay;
}

/* Footer, page label and the lowest line of running text. */
static int setup_footer(struct ctx *c)
{
	double footer_h = 0;
	PangoLayout *label;

	if (c->l->footer) {
		c->footer = layout(c, c->l->footer, SIZE_FOOTER, 0, TEXT_W,
				   PANGO_ALIGN_CENTER);
		footer_h = lay_h(c->footer);
	}
	c->footer_y = PAGE_H - FOOTER_BOTTOM - footer_h;
	c->rule_y = c->footer_y - 2 * MM;
	label = label_layout(c, 1, 1);
	c->label_y = c->rule_y - 1.5 * MM - lay_h(label);
	g_object_unref(label);
	c->bottom = c->label_y - 3 * MM;
	if (c->bottom - FIRST_Y < 60 * MM)
		return err_set(c->e, ERR_RANGE,
			       "letter: footer: too long (%.0f mm high)", footer_h / MM);
	return 0;
}

/* The QR image, from its PNG bytes. */
struct png_src {
	const unsigned char *p; /* the PNG */
	size_t len;             /* its size */
	size_t pos;             /* bytes read so far */
};

static cairo_status_t png_read(void *closure, unsigned char *data,
			       unsigned int len)
{
	struct png_src *s = closure;

	if (len > s->len - s->pos)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, s->p + s->pos, len);
	s->pos += len;
	return CAIRO_STATUS_SUCCESS;
}

static int setup_qr(struct ctx *c)
{
	struct png_src src = { c->l->qr_png, c->l->qr_png_len, 0 };
	cairo_surface_t *img;
	cairo_status_t st;
	int w, h;

	if (!c->l->qr_png_len)
		return 0;
	img = cairo_image_surface_create_from_png_stream(png_read, &src);
	st = cairo_surface_status(img);
	if (st != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(img);
		return err_set(c->e, ERR_INVALID, "letter: qr_png: not a readable "
			       "PNG image (%s)", cairo_status_to_string(st));
	}
	w = cairo_image_surface_get_width(img);
	h = cairo_image_surface_get_height(img);
	if (w < 1 || h < 1 || w > LETTER_QR_PX_MAX || h > LETTER_QR_PX_MAX) {
		cairo_surface_destroy(img);
		return err_set(c->e, ERR_RANGE, "letter: qr_png: %d x %d pixels, "
			       "at most %d on each side", w, h, LETTER_QR_PX_MAX);
	}
	c->qr = img;
	return 0;
}

/* The font must be there: a fallback font would change every line break
 * the print house has approved. */
static int check_font(struct ctx *c)
{
	PangoFontDescription *fd = font(SIZE_BODY, 0), *got;
	PangoFont *f = pango_context_load_font(c->pc, fd);
	const char *family;
	int ok;

	pango_font_description_free(fd);
	if (!f)
		return err_set(c->e, ERR_IO, "letter: no font could be loaded "
			       "(install fonts-dejavu-core)");
	got = pango_font_describe(f);
	family = pango_font_description_get_family(got);
	ok = family && g_ascii_strcasecmp(family, FONT_FAMILY) == 0;
	pango_font_description_free(got);
	g_object_unref(f);
	if (!ok)
		return err_set(c->e, ERR_IO, "letter: font \"%s\" is not installed "
			       "(Debian: fonts-dejavu-core)", FONT_FAMILY);
	return 0;
}

/* ---- pages and flow ---- */

/* Draw what every page carries, and page 1's letterhead and window. */
static void page_begin(struct ctx *c)
{
	c->y = TOP_NEXT;
	c->at_top = 1;
	if (!c->cr)
		return;
	if (c->footer)
		draw(c, c->footer, MARGIN_L, c->footer_y);
	hairline(c, MARGIN_L, PAGE_W - MARGIN_R, c->rule_y);
	{
		PangoLayout *label = label_layout(c, c->page, c->pages);
		draw(c, label, MARGIN_L, c->label_y);
		g_object_unref(label);
	}
	if (c->page != 1)
		return;
	if (c->sender)
		draw(c, c->sender, SENDER_X, SENDER_Y);
	if (c->ret_line) {
		draw(c, c->ret_line, WIN_TEXT_X, c->ret_y);
		hairline(c, WIN_TEXT_X, WIN_TEXT_X + WIN_TEXT_W,
			 c->ret_y + lay_h(c->ret_line) + 0.5 * MM);
	}
	draw(c, c->recipient, WIN_TEXT_X, c->recipient_y);
}

static int page_next(struct ctx *c)
{
	if (c->page >= LETTER_PAGES_MAX)
		return err_set(c->e, ERR_RANGE, "letter: more than %d pages",
			       LETTER_PAGES_MAX);
	if (c->cr)
		cairo_show_page(c->cr);
	c->page++;
	page_begin(c);
	return 0;
}

/* Space before a block, unless it starts a page. */
static void gap(struct ctx *c, double pt)
{
	if (!c->at_top)
		c->y += pt;
}

/* Place `lay` at x, line by line, breaking pages between lines: a page
 * never holds only the first line of a paragraph (at its foot) or only
 * the last one (at its head) when the paragraph has more. */
static int flow_layout(struct ctx *c, PangoLayout *lay, double x)
{
	int n = pango_layout_get_line_count(lay), k, i, j, rc = 0;
	struct line_pos *lp;
	PangoLayoutIter *it;

	if (n <= 0)
		return 0;
	lp = xcalloc((size_t)n, sizeof(*lp));
	it = pango_layout_get_iter(lay);
	i = 0;
	do {
		PangoRectangle r;

		pango_layout_iter_get_line_extents(it, NULL, &r);
		lp[i].x = r.x / PS;
		lp[i].top = r.y / PS;
		lp[i].h = r.height / PS;
		lp[i].base = pango_layout_iter_get_baseline(it) / PS;
		i++;
	} while (i < n && pango_layout_iter_next_line(it));
	pango_layout_iter_free(it);
	n = i;

	for (k = 0; k < n; k = j) {
		double avail = c->bottom - c->y;

		for (j = k; j < n && lp[j].top + lp[j].h - lp[k].top <= avail; j++)
			;
		if (j < n) {
			if (k == 0 && j == 1 && !c->at_top)
				j = 0; /* a lone first line: move it along */
			else if (j == n - 1 && j - 1 - k >= (k == 0 ? 2 : 1))
				j--; /* a lone last line: take one more along */
			if (j == k && c->at_top)
				j = k + 1; /* taller than a page: cannot happen at our sizes */
		}
		for (i = k; i < j && c->cr; i++) {
			PangoLayoutLine *line = pango_layout_get_line_readonly(lay, i);

			cairo_set_source_rgb(c->cr, 0, 0, 0);
			cairo_move_to(c->cr, x + lp[i].x,
				      c->y + lp[i].base - lp[k].top);
			pango_cairo_show_layout_line(c->cr, line);
		}
		if (j > k) {
			c->y += lp[j - 1].top + lp[j - 1].h - lp[k].top;
			c->at_top = 0;
		}
		if (j < n && (rc = page_next(c)) < 0)
			break;
	}
	free(lp);
	return rc;
}

/* A text block at the left margin, the full text width. */
static int flow_text(struct ctx *c, const char *text, double size, int bold,
		     PangoAlignment align, double space)
{
	PangoLayout *lay = layout(c, text, size, bold, TEXT_W, align);
	int rc;

	gap(c, space);
	rc = flow_layout(c, lay, MARGIN_L);
	g_object_unref(lay);
	return rc;
}

/* Paragraphs: runs of lines separated by blank (or white-space-only)
 * lines; a line break inside a paragraph is kept. */
static int flow_paragraphs(struct ctx *c, const char *text, double first_space)
{
	const char *p = text;
	struct buf para;
	int rc = 0, first = 1;

	buf_init(&para, LETTER_BODY_MAX);
	for (;;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p), i;
		int blank = 1;

		if (len && p[len - 1] == '\r')
			len--;
		for (i = 0; i < len && blank; i++)
			blank = p[i] == ' ' || p[i] == '\t' || p[i] == '\r';
		if (!blank) {
			if (para.len)
				(void)buf_putc(&para, '\n');
			(void)buf_append(&para, p, len);
		}
		if ((blank || !eol) && para.len) {
			rc = flow_text(c, buf_cstr(&para), SIZE_BODY, 0,
				       PANGO_ALIGN_LEFT, first ? first_space : PARA_GAP);
			first = 0;
			buf_reset(&para);
			if (rc < 0)
				break;
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	buf_free(&para);
	return rc;
}

/* Column widths: natural widths when they fit, the spare room shared out
 * evenly; otherwise shrunk in proportion, and cells wrap. */
static void table_widths(struct ctx *c, double *ret_w)
{
	const struct letter *l = c->l;
	double avail = TEXT_W - COL_GAP * (double)(l->n_cols - 1), sum = 0;
	size_t i, j;

	for (j = 0; j < l->n_cols; j++) {
		double w = 1;

		for (i = 0; i <= l->n_rows; i++) {
			const char *s = i == 0 ? (l->table_head ? l->table_head[j] : NULL)
					       : l->rows[i - 1].cells[j];
			PangoLayout *lay;

			if (!s)
				continue;
			lay = layout(c, s, SIZE_TABLE, i == 0, 0, PANGO_ALIGN_LEFT);
			if (lay_w(lay) > w)
				w = lay_w(lay);
			g_object_unref(lay);
		}
		ret_w[j] = w;
		sum += w;
	}
	for (j = 0; j < l->n_cols; j++)
		ret_w[j] = sum <= avail ? ret_w[j] + (avail - sum) / (double)l->n_cols
					: ret_w[j] * avail / sum;
}

/* One table row's layouts (row -1: the header) and its height. */
static double row_layouts(struct ctx *c, const double *w, long row,
			  PangoLayout **ret_cells)
{
	const struct letter *l = c->l;
	double h = 0;
	size_t j;

	for (j = 0; j < l->n_cols; j++) {
		const char *s = row < 0 ? (l->table_head ? l->table_head[j] : NULL)
					: l->rows[row].cells[j];
		PangoAlignment al = (l->right_cols >> j) & 1 ? PANGO_ALIGN_RIGHT
							       : PANGO_ALIGN_LEFT;

		ret_cells[j] = layout(c, s ? s : "", SIZE_TABLE, row < 0, w[j], al);
		if (lay_h(ret_cells[j]) > h)
			h = lay_h(ret_cells[j]);
	}
	return h;
}

static void row_draw(struct ctx *c, const double *w, PangoLayout **cells)
{
	double x = MARGIN_L;
	size_t j;

	for (j = 0; j < c->l->n_cols; j++) {
		draw(c, cells[j], x, c->y);
		x += w[j] + COL_GAP;
	}
}

static void row_free(struct ctx *c, PangoLayout **cells)
{
	size_t j;

	for (j = 0; j < c->l->n_cols; j++)
		g_object_unref(cells[j]);
}

/* The header row (its text `text_h` high) and the rule under it. */
#define HEAD_RULE 1.5 /* from the header text down to its rule */

static void head_draw(struct ctx *c, const double *w, PangoLayout **head,
		      double text_h)
{
	row_draw(c, w, head);
	c->y += text_h + HEAD_RULE;
	hairline(c, MARGIN_L, PAGE_W - MARGIN_R, c->y);
	c->y += ROW_GAP;
	c->at_top = 0;
}

/* The table: rows never break; the header (when there is one) starts
 * each page the table is on, never alone at the foot of a page. */
static int flow_table(struct ctx *c)
{
	const struct letter *l = c->l;
	PangoLayout *head[LETTER_COLS_MAX], *cells[LETTER_COLS_MAX];
	double w[LETTER_COLS_MAX], head_text_h = 0, head_h = 0;
	double page_room = c->bottom - TOP_NEXT;
	int has_head = l->table_head != NULL, rc = 0;
	size_t i;

	if (!l->n_cols || (!l->n_rows && !has_head))
		return 0;
	table_widths(c, w);
	if (has_head) {
		head_text_h = row_layouts(c, w, -1, head);
		head_h = head_text_h + HEAD_RULE + ROW_GAP;
	}
	gap(c, 5 * MM);
	for (i = 0; i < l->n_rows || i == 0; i++) {
		double h = 0;

		if (i < l->n_rows)
			h = row_layouts(c, w, (long)i, cells);
		if (head_h + h > page_room) {
			rc = err_set(c->e, ERR_RANGE, "letter: rows[%zu]: taller than a "
				     "page", i);
		} else if (i == 0 || c->y + h > c->bottom) {
			if (c->y + head_h + h > c->bottom && !c->at_top)
				rc = page_next(c);
			if (rc == 0 && has_head)
				head_draw(c, w, head, head_text_h);
		}
		if (rc == 0 && i < l->n_rows) {
			row_draw(c, w, cells);
			c->y += h + ROW_GAP;
			c->at_top = 0;
		}
		if (i < l->n_rows)
			row_free(c, cells);
		if (rc < 0)
			break;
	}
	if (has_head)
		row_free(c, head);
	return rc;
}

/* The payment box: bank lines beside the QR image and its caption, kept
 * together on one page. */
static int flow_payment(struct ctx *c)
{
	const struct letter *l = c->l;
	double inner_w = TEXT_W - 2 * BOX_PAD, qr_h = 0, cap_h = 0, right_h = 0;
	double bank_w = inner_w - (c->qr ? QR_COL_W + BOX_PAD : 0), bank_h = 0;
	double box_h, x0, y0;
	PangoLayout *bank = NULL, *cap = NULL;
	int rc = 0;

	if (!l->n_bank && !c->qr)
		return 0;
	if (l->n_bank) {
		char *text = join_lines(l->bank_lines, l->n_bank);

		bank = layout(c, text, SIZE_BODY, 0, bank_w, PANGO_ALIGN_LEFT);
		bank_h = lay_h(bank);
		free(text);
	}
	if (c->qr) {
		qr_h = QR_W * cairo_image_surface_get_height(c->qr) /
		       cairo_image_surface_get_width(c->qr);
		right_h = qr_h;
		if (l->qr_caption) {
			cap = layout(c, l->qr_caption, SIZE_CAPTION, 0, QR_COL_W,
				     PANGO_ALIGN_CENTER);
			cap_h = lay_h(cap);
			right_h += 2 * MM + cap_h;
		}
	}
	box_h = 2 * BOX_PAD + (bank_h > right_h ? bank_h : right_h);
	if (box_h > c->bottom - TOP_NEXT) {
		rc = err_set(c->e, ERR_RANGE, "letter: the payment box (%.0f mm) is "
			     "taller than a page", box_h / MM);
		goto out;
	}
	gap(c, 6 * MM);
	if (c->y + box_h > c->bottom && (rc = page_next(c)) < 0)
		goto out;
	x0 = MARGIN_L;
	y0 = c->y;
	if (c->cr) {
		cairo_set_source_rgb(c->cr, 0.45, 0.45, 0.45);
		cairo_set_line_width(c->cr, 0.75);
		cairo_rectangle(c->cr, x0, y0, TEXT_W, box_h);
		cairo_stroke(c->cr);
	}
	if (bank)
		draw(c, bank, x0 + BOX_PAD, y0 + BOX_PAD);
	if (c->qr && c->cr) {
		double qx = x0 + TEXT_W - BOX_PAD - QR_COL_W + (QR_COL_W - QR_W) / 2;
		double s = QR_W / cairo_image_surface_get_width(c->qr);

		cairo_save(c->cr);
		cairo_translate(c->cr, qx, y0 + BOX_PAD);
		cairo_scale(c->cr, s, s);
		cairo_set_source_surface(c->cr, c->qr, 0, 0);
		/* Sharp module edges: no smoothing when the image is scaled. */
		cairo_pattern_set_filter(cairo_get_source(c->cr), CAIRO_FILTER_NEAREST);
		cairo_rectangle(c->cr, 0, 0, cairo_image_surface_get_width(c->qr),
				cairo_image_surface_get_height(c->qr));
		cairo_fill(c->cr);
		cairo_restore(c->cr);
	}
	if (cap)
		draw(c, cap, x0 + TEXT_W - BOX_PAD - QR_COL_W,
		     y0 + BOX_PAD + qr_h + 2 * MM);
	c->y = y0 + box_h;
	c->at_top = 0;
out:
	if (bank)
		g_object_unref(bank);
	if (cap)
		g_object_unref(cap);
	return rc;
}

/* The whole document, once. */
static int flow(struct ctx *c)
{
	const struct letter *l = c->l;
	int rc = 0;

	c->page = 1;
	page_begin(c);
	c->y = FIRST_Y;
	if (l->place_date &&
	    (rc = flow_text(c, l->place_date, SIZE_BODY, 0, PANGO_ALIGN_RIGHT, 0)) < 0)
		return rc;
	if (l->reference_line &&
	    (rc = flow_text(c, l->reference_line, SIZE_BODY, 0, PANGO_ALIGN_LEFT,
			    2)) < 0)
		return rc;
	if (l->subject &&
	    (rc = flow_text(c, l->subject, SIZE_SUBJECT, 1, PANGO_ALIGN_LEFT,
			    8 * MM)) < 0)
		return rc;
	if ((rc = flow_paragraphs(c, l->body, 5 * MM)) < 0 ||
	    (rc = flow_table(c)) < 0 ||
	    (l->closing && (rc = flow_paragraphs(c, l->closing, 5 * MM)) < 0) ||
	    (rc = flow_payment(c)) < 0)
		return rc;
	return 0;
}

/* ---- the PDF ---- */

/* Where cairo writes the PDF: a bounded buffer. */
struct sink {
	struct buf *b; /* the PDF so far */
	int toobig;    /* a write went past the bound */
};

static cairo_status_t sink_write(void *closure, const unsigned char *data,
				 unsigned int len)
{
	struct sink *s = closure;

	if (buf_append(s->b, data, len) < 0) {
		s->toobig = 1;
		return CAIRO_STATUS_WRITE_ERROR;
	}
	return CAIRO_STATUS_SUCCESS;
}

/* Parse a decimal number of at most 10 digits at p (p < end). */
static int parse_num(const char *p, const char *end, size_t *ret, const char **ret_end)
{
	size_t v = 0;
	int n = 0;

	while (p < end && *p >= '0' && *p <= '9' && n < 10) {
		v = v * 10 + (size_t)(*p - '0');
		p++;
		n++;
	}
	if (!n)
		return -1;
	*ret = v;
	*ret_end = p;
	return 0;
}

/* Add "/Lang (tag)" to the document catalog. cairo (1.16 and later) has
 * no API for the document language, which screen readers need, so the
 * entry is inserted after cairo has finished: the trailer names the
 * catalog, the cross-reference table gives its offset, and every offset
 * after the insertion moves by the inserted length (the table's entries
 * have a fixed width, so only their digits change). Anything not in the
 * classic layout (one xref table, "N 0 obj\n<< /Type /Catalog") is left
 * untouched: returns 0 either way, or -ERR_TOOBIG past `max`. */
static int pdf_add_lang(struct buf *pdf, const char *lang, size_t max)
{
	const char *d = pdf->data, *end = pdf->data + pdf->len, *p, *q;
	size_t sx, nobj, root, root_off, ins, k, i, off;
	char entry[32], add[64], head[32];
	struct buf out;
	int n;

	if (!d)
		return 0;
	/* startxref: the last one in the file. */
	for (p = end - 1; p >= d && !(end - p >= 10 && memcmp(p, "startxref\n", 10) == 0); p--)
		;
	if (p < d || parse_num(p + 10, end, &sx, &q) < 0 || sx >= pdf->len)
		return 0;
	q = d + sx;
	if ((size_t)(end - q) < 7 || memcmp(q, "xref\n0 ", 7) != 0 ||
	    parse_num(q + 7, end, &nobj, &q) < 0 || q >= end || *q != '\n')
		return 0;
	q++;
	if ((size_t)(end - q) < nobj * 20)
		return 0;
	/* Root: in the trailer after the table. */
	p = g_strstr_len(q + nobj * 20, end - (q + nobj * 20), "/Root ");
	if (!p || parse_num(p + 6, end, &root, &p) < 0 || root == 0 || root >= nobj)
		return 0;
	if (parse_num(q + root * 20, end, &root_off, &p) < 0 || root_off >= sx)
		return 0;
	n = snprintf(head, sizeof(head), "%zu 0 obj\n<< /Type /Catalog", root);
	if (n < 0 || (size_t)n >= sizeof(head) || root_off + (size_t)n > sx ||
	    memcmp(d + root_off, head, (size_t)n) != 0)
		return 0;
	ins = root_off + (size_t)n;
	n = snprintf(add, sizeof(add), "\n   /Lang (%s)", lang);
	if (n < 0 || (size_t)n >= sizeof(add))
		return 0;
	k = (size_t)n;

	buf_init(&out, max);
	if (buf_append(&out, d, ins) < 0 || buf_append(&out, add, k) < 0 ||
	    buf_append(&out, d + ins, sx - ins) < 0)
		goto toobig;
	/* The table, entries past the insertion moved. */
	if (buf_append(&out, d + sx, (size_t)(q - (d + sx))) < 0)
		goto toobig;
	for (i = 0; i < nobj; i++) {
		const char *ent = q + i * 20;

		if (parse_num(ent, ent + 10, &off, &p) < 0 || p != ent + 10) {
			buf_free(&out);
			return 0;
		}
		if (ent[17] == 'n' && off > ins)
			off += k;
		n = snprintf(entry, sizeof(entry), "%010zu", off);
		if (n != 10 || buf_append(&out, entry, 10) < 0 ||
		    buf_append(&out, ent + 10, 10) < 0)
			goto toobig;
	}
	/* The trailer, up to startxref, then the new offset. */
	p = q + nobj * 20;
	for (q = end - 1; q >= p && !(end - q >= 10 && memcmp(q, "startxref\n", 10) == 0); q--)
		;
	if (q < p || buf_append(&out, p, (size_t)(q - p)) < 0 ||
	    buf_printf(&out, "startxref\n%zu\n%%%%EOF\n", sx + k) < 0)
		goto toobig;
	buf_free(pdf);
	*pdf = out;
	pdf->max = max;
	return 0;
toobig:
	buf_free(&out);
	return -ERR_TOOBIG;
}

static PangoContext *new_context(const struct letter *l)
{
	PangoContext *pc = pango_font_map_create_context(pango_cairo_font_map_get_default());
	cairo_font_options_t *fo = cairo_font_options_create();

	/* Metrics independent of any device: the PDF is drawn at any size. */
	cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
	cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_NONE);
	pango_cairo_context_set_font_options(pc, fo);
	cairo_font_options_destroy(fo);
	pango_cairo_context_set_resolution(pc, 72);
	pango_context_set_round_glyph_positions(pc, FALSE);
	/* Never the process locale: the output depends on the input only. */
	pango_context_set_language(pc, pango_language_from_string(l->lang ? l->lang
									  : "und"));
	return pc;
}

static void set_metadata(cairo_surface_t *s, const struct letter *l)
{
	char date[INSTANT_FMT_MAX];

	instant_format(l->created, date);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
	cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "dunwell");
	if (l->title || l->subject)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
					       l->title ? l->title : l->subject);
	if (l->subject)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_SUBJECT, l->subject);
	if (l->n_sender)
		cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_AUTHOR,
					       l->sender_lines[0]);
}

int render_letter_pdf(const struct letter *l, size_t max, struct buf *ret_pdf,
		      struct err *e)
{
	struct ctx c;
	struct buf pdf;
	struct sink sink = { &pdf, 0 };
	cairo_surface_t *surface = NULL;
	cairo_status_t st;
	int rc, pages;

	memset(&c, 0, sizeof(c));
	buf_init(&pdf, max);
	if ((rc = check_letter(l, e)) < 0)
		return rc;
	c.l = l;
	c.e = e;
	c.pc = new_context(l);
	if ((rc = check_font(&c)) < 0 || (rc = setup_qr(&c)) < 0 ||
	    (rc = setup_first_page(&c)) < 0 || (rc = setup_footer(&c)) < 0)
		goto out;

	/* Pass 1: count the pages. */
	if ((rc = flow(&c)) < 0)
		goto out;
	pages = c.page;

	/* Pass 2: draw them. */
	surface = cairo_pdf_surface_create_for_stream(sink_write, &sink, PAGE_W, PAGE_H);
	if ((st = cairo_surface_status(surface)) != CAIRO_STATUS_SUCCESS) {
		rc = err_set(e, ERR_IO, "letter: cairo: %s", cairo_status_to_string(st));
		goto out;
	}
	set_metadata(surface, l);
	c.cr = cairo_create(surface);
	c.pages = pages;
	rc = flow(&c);
	if (rc == 0 && c.page != pages)
		rc = err_set(e, ERR_IO, "letter: internal error: %d pages drawn, %d "
			     "counted", c.page, pages);
	if (rc == 0 && (st = cairo_status(c.cr)) != CAIRO_STATUS_SUCCESS)
		rc = err_set(e, ERR_IO, "letter: cairo: %s", cairo_status_to_string(st));
	cairo_show_page(c.cr);
	cairo_destroy(c.cr);
	c.cr = NULL;
	cairo_surface_finish(surface);
	st = cairo_surface_status(surface);
	if (rc < 0)
		goto out;
	if (sink.toobig) {
		rc = err_set(e, ERR_TOOBIG, "letter: the PDF is larger than %zu bytes", max);
		goto out;
	}
	if (st != CAIRO_STATUS_SUCCESS) {
		rc = err_set(e, ERR_IO, "letter: cairo: %s", cairo_status_to_string(st));
		goto out;
	}
	if (l->lang && pdf_add_lang(&pdf, l->lang, max) < 0) {
		rc = err_set(e, ERR_TOOBIG, "letter: the PDF is larger than %zu bytes", max);
		goto out;
	}
	if (buf_append(ret_pdf, pdf.data, pdf.len) < 0)
		rc = err_set(e, ERR_TOOBIG, "letter: the PDF (%zu bytes) does not fit "
			     "in the output buffer", pdf.len);
out:
	if (surface)
		cairo_surface_destroy(surface);
	if (c.qr)
		cairo_surface_destroy(c.qr);
	if (c.footer)
		g_object_unref(c.footer);
	if (c.sender)
		g_object_unref(c.sender);
	if (c.ret_line)
		g_object_unref(c.ret_line);
	if (c.recipient)
		g_object_unref(c.recipient);
	if (c.pc)
		g_object_unref(c.pc);
	buf_free(&pdf);
	return rc;
}

void render_letter_shutdown(void)
{
	void (*fc_fini)(void);

	/* The font map holds fontconfig patterns: it goes first. */
	pango_cairo_font_map_set_default(NULL);
	cairo_debug_reset_static_data();
	/* fontconfig comes in with pango but is not linked by name (it is
	 * not in the build's library list), so FcFini is looked up: it frees
	 * the configuration, which fontconfig 2.14 otherwise leaks in part. */
	fc_fini = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
	if (fc_fini)
		fc_fini();
}
