/*
 * svgchart: charts as SVG text (see svgchart.h).
 *
 * Coordinates are integers computed with 128-bit intermediates, so a
 * chart's bytes depend on its input alone. Colours were chosen for a
 * contrast of at least 4.5:1 against the white background (WCAG 1.4.11
 * asks 3:1 of graphics); text is near-black.
 */
#include "svgchart.h"

#include <string.h>

#define TEXT_COLOUR "#1a1a1a"  /* labels: 17:1 on white */
#define AXIS_COLOUR "#595959"  /* axes: 7:1 */
#define GRID_COLOUR "#d9d9d9"  /* gridlines: decoration only */
#define BAR_COLOUR "#1f5f99"   /* bars: 6.9:1 */

/* Bar chart layout (viewBox units). */
enum {
	BAR_W = 640,        /* chart width */
	BAR_LABEL_END = 192, /* labels end here (right-aligned) */
	BAR_X = 200,        /* bars start here */
	BAR_MAX_W = 330,    /* the longest bar */
	BAR_ROW = 26,       /* one bar's row */
	BAR_H = 18,         /* a bar's height */
	BAR_PAD = 4,        /* space above the first row and below the last */
};

/* Line chart layout. */
enum {
	LINE_W = 640,       /* chart width */
	LINE_H = 312,       /* chart height */
	PLOT_L = 64,        /* plot area: left */
	PLOT_R = 470,       /* right */
	PLOT_T = 16,        /* top */
	PLOT_B = 264,       /* bottom (the x axis) */
	LEGEND_X = 486,     /* legend: sample line starts here */
	LEGEND_ROW = 18,    /* one entry's row */
};

/* Line colours (each at least 4.5:1 on white) and dash patterns; line i
 * gets colour i % 8 and dash (i + i / 8) % 4, so no two of the first 16
 * look alike even without colour vision. */
static const char *const line_colours[8] = {
	"#1f5f99", "#b3401f", "#2d7a3a", "#7a3f99",
	"#8a5a00", "#00707a", "#a3306b", "#4d4d4d",
};
static const char *const line_dashes[4] = { NULL, "8 4", "2 3", "10 3 2 3" };

int svgchart_escape(struct buf *out, const char *s)
{
	int r = 0;
	for (; s && *s && r == 0; s++) {
		switch (*s) {
		case '&': r = buf_puts(out, "&amp;"); break;
		case '<': r = buf_puts(out, "&lt;"); break;
		case '>': r = buf_puts(out, "&gt;"); break;
		case '"': r = buf_puts(out, "&quot;"); break;
		case '\'': r = buf_puts(out, "&#39;"); break;
		default:
			/* Control characters are not allowed in XML 1.0. */
			if ((unsigned char)*s < 0x20 && *s != '\t' &&
			    *s != '\n')
				r = buf_putc(out, ' ');
			else
				r = buf_putc(out, *s);
		}
	}
	return r;
}

/* A label drawn on the chart: at most SVGCHART_LABEL_MAX bytes, cut on a
 * UTF-8 character boundary and ended with an ellipsis. */
static int put_label(struct buf *out, const char *s)
{
	char cut[SVGCHART_LABEL_MAX + 4];
	size_t n = s ? strlen(s) : 0;

	if (n <= SVGCHART_LABEL_MAX)
		return svgchart_escape(out, s ? s : "");
	n = SVGCHART_LABEL_MAX - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(cut, s, n);
	memcpy(cut + n, "\xE2\x80\xA6", 4); /* U+2026 and the NUL */
	return svgchart_escape(out, cut);
}

static int id_ok(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n > SVGCHART_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* a * b / c, rounded down, for c > 0 (128-bit intermediate). */
static int64_t scale(int64_t a, int64_t b, int64_t c)
{
	return (int64_t)((__int128)a * b / c);
}

/* The <svg> start, its title and description. */
static int head(struct buf *out, const char *id, int w, int h,
		const char *title, const char *desc)
{
	int r = buf_printf(out,
			   "<svg xmlns=\"http://www.w3.org/2000/svg\" "
			   "role=\"img\" viewBox=\"0 0 %d %d\" "
			   "aria-labelledby=\"%s-title\" "
			   "aria-describedby=\"%s-desc\" "
			   "font-family=\"sans-serif\" font-size=\"13\" "
			   "fill=\"" TEXT_COLOUR "\">\n<title id=\"%s-title\">",
			   w, h, id, id, id);
	if (r == 0)
		r = svgchart_escape(out, title);
	if (r == 0)
		r = buf_printf(out, "</title>\n<desc id=\"%s-desc\">", id);
	if (r == 0)
		r = svgchart_escape(out, desc);
	if (r == 0)
		r = buf_puts(out, "</desc>\n");
	return r;
}

static int too_big(int r, struct err *e)
{
	return r < 0 ? err_set(e, ERR_TOOBIG, "chart: the page is full") : 0;
}

int svgchart_bars(struct buf *out, const char *id, const char *title,
		  const char *desc, const struct svgchart_bar *bars,
		  size_t n, struct err *e)
{
	int64_t max = 0;
	int h, r;

	if (!id_ok(id))
		return err_set(e, ERR_INVALID, "chart id: letters, digits and"
			       " '-' only, at most %d bytes", SVGCHART_ID_MAX);
	if (n > SVGCHART_BARS_MAX)
		return err_set(e, ERR_RANGE, "chart %s: %zu bars, at most %d",
			       id, n, SVGCHART_BARS_MAX);
	for (size_t i = 0; i < n; i++)
		if (bars[i].value > max)
			max = bars[i].value;
	h = (n ? (int)n : 1) * BAR_ROW + 2 * BAR_PAD;
	r = head(out, id, BAR_W, h, title, desc);
	if (r == 0 && n == 0)
		r = buf_printf(out, "<text x=\"%d\" y=\"%d\">No data</text>\n",
			       BAR_X + 8, BAR_PAD + 17);
	for (size_t i = 0; i < n && r == 0; i++) {
		int y = BAR_PAD + (int)i * BAR_ROW;
		int64_t v = bars[i].value > 0 ? bars[i].value : 0;
		int64_t w = max > 0 ? scale(v, BAR_MAX_W, max) : 0;
		r = buf_printf(out, "<text x=\"%d\" y=\"%d\" "
			       "text-anchor=\"end\">", BAR_LABEL_END, y + 17);
		if (r == 0)
			r = put_label(out, bars[i].label);
		if (r == 0)
			r = buf_printf(out, "</text><rect x=\"%d\" y=\"%d\" "
				       "width=\"%d\" height=\"%d\" fill=\""
				       BAR_COLOUR "\"/><text x=\"%d\" y=\"%d\">",
				       BAR_X, y + (BAR_ROW - BAR_H) / 2, (int)w,
				       BAR_H, BAR_X + (int)w + 6, y + 17);
		if (r == 0)
			r = put_label(out, bars[i].value_text);
		if (r == 0)
			r = buf_puts(out, "</text>\n");
	}
	if (r == 0)
		r = buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			       "y2=\"%d\" stroke=\"" AXIS_COLOUR "\"/>\n</svg>\n",
			       BAR_X, BAR_PAD, BAR_X, h - BAR_PAD);
	return too_big(r, e);
}

static int x_pos(const struct svgchart_axes *a, size_t i)
{
	int64_t x0 = a->x[0], x1 = a->x[a->nx - 1];
	if (x1 <= x0)
		return (PLOT_L + PLOT_R) / 2;
	return PLOT_L + (int)scale(a->x[i] - x0, PLOT_R - PLOT_L, x1 - x0);
}

static int y_pos(const struct svgchart_axes *a, int64_t y)
{
	if (y < 0)
		y = 0;
	if (y > a->y_max)
		y = a->y_max;
	return PLOT_B - (int)scale(y, PLOT_B - PLOT_T, a->y_max);
}

/* The grid, the axes and their labels. */
static int axes_draw(struct buf *out, const struct svgchart_axes *a)
{
	int r = 0;
	for (int k = 0; k <= 4 && r == 0; k++) {
		int y = PLOT_B - (PLOT_B - PLOT_T) * k / 4;
		r = buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			       "y2=\"%d\" stroke=\"%s\"/><text x=\"%d\" "
			       "y=\"%d\" text-anchor=\"end\">",
			       PLOT_L, y, PLOT_R, y,
			       k ? GRID_COLOUR : AXIS_COLOUR, PLOT_L - 6,
			       y + 4);
		if (r == 0)
			r = put_label(out, a->y_ticks[k] ? a->y_ticks[k] : "");
		if (r == 0)
			r = buf_puts(out, "</text>\n");
	}
	if (r == 0)
		r = buf_printf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			       "y2=\"%d\" stroke=\"" AXIS_COLOUR "\"/>\n",
			       PLOT_L, PLOT_T, PLOT_L, PLOT_B);
	for (size_t i = 0; i < a->nx && r == 0; i++) {
		r = buf_printf(out, "<text x=\"%d\" y=\"%d\" "
			       "text-anchor=\"middle\">", x_pos(a, i),
			       PLOT_B + 18);
		if (r == 0)
			r = put_label(out, a->x_labels[i]);
		if (r == 0)
			r = buf_puts(out, "</text>\n");
	}
	if (r == 0)
		r = buf_printf(out, "<text x=\"%d\" y=\"%d\" "
			       "text-anchor=\"middle\">",
			       (PLOT_L + PLOT_R) / 2, PLOT_B + 40);
	if (r == 0)
		r = put_label(out, a->x_title ? a->x_title : "");
	if (r == 0)
		r = buf_puts(out, "</text>\n");
	return r;
}

/* The stroke attributes of line i. */
static int stroke(struct buf *out, size_t i)
{
	const char *dash = line_dashes[(i + i / 8) % 4];
	int r = buf_printf(out, " fill=\"none\" stroke=\"%s\" "
			   "stroke-width=\"2\"", line_colours[i % 8]);
	if (r == 0 && dash)
		r = buf_printf(out, " stroke-dasharray=\"%s\"", dash);
	return r;
}

int svgchart_lines(struct buf *out, const char *id, const char *title,
		   const char *desc, const struct svgchart_axes *a,
		   const struct svgchart_line *lines, size_t nlines,
		   struct err *e)
{
	int r;

	if (!id_ok(id))
		return err_set(e, ERR_INVALID, "chart id: letters, digits and"
			       " '-' only, at most %d bytes", SVGCHART_ID_MAX);
	if (nlines > SVGCHART_LINES_MAX || a->nx < 1 ||
	    a->nx > SVGCHART_X_MAX || a->y_max <= 0)
		return err_set(e, ERR_RANGE, "chart %s: %zu lines of %zu points"
			       " up to %lld: expected at most %d lines, 1 to %d"
			       " points, a positive top", id, nlines, a->nx,
			       (long long)a->y_max, SVGCHART_LINES_MAX,
			       SVGCHART_X_MAX);
	for (size_t i = 1; i < a->nx; i++)
		if (a->x[i] < a->x[i - 1])
			return err_set(e, ERR_RANGE, "chart %s: x values must "
				       "ascend", id);
	r = head(out, id, LINE_W, LINE_H, title, desc);
	if (r == 0)
		r = axes_draw(out, a);
	for (size_t l = 0; l < nlines && r == 0; l++) {
		int pen_down = 0;
		r = buf_puts(out, "<path d=\"");
		for (size_t i = 0; i < a->nx && r == 0; i++) {
			if (lines[l].y[i] == SVGCHART_NONE) {
				pen_down = 0;
				continue;
			}
			r = buf_printf(out, "%s%c%d %d", i ? " " : "",
				       pen_down ? 'L' : 'M', x_pos(a, i),
				       y_pos(a, lines[l].y[i]));
			pen_down = 1;
		}
		if (r == 0)
			r = buf_puts(out, "\"");
		if (r == 0)
			r = stroke(out, l);
		if (r == 0)
			r = buf_puts(out, "/>\n");
		/* A dot on every point: a single point is a line too. */
		for (size_t i = 0; i < a->nx && r == 0; i++)
			if (lines[l].y[i] != SVGCHART_NONE)
				r = buf_printf(out, "<circle cx=\"%d\" "
					       "cy=\"%d\" r=\"3\" fill=\"%s\"/>",
					       x_pos(a, i),
					       y_pos(a, lines[l].y[i]),
					       line_colours[l % 8]);
		if (r == 0)
			r = buf_printf(out, "\n<line x1=\"%d\" y1=\"%d\" "
				       "x2=\"%d\" y2=\"%d\"", LEGEND_X,
				       PLOT_T + (int)l * LEGEND_ROW,
				       LEGEND_X + 26,
				       PLOT_T + (int)l * LEGEND_ROW);
		if (r == 0)
			r = stroke(out, l);
		if (r == 0)
			r = buf_printf(out, "/><text x=\"%d\" y=\"%d\">",
				       LEGEND_X + 32,
				       PLOT_T + (int)l * LEGEND_ROW + 4);
		if (r == 0)
			r = put_label(out, lines[l].name);
		if (r == 0)
			r = buf_puts(out, "</text>\n");
	}
	if (r == 0)
		r = buf_puts(out, "</svg>\n");
	return too_big(r, e);
}
