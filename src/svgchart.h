/*
 * svgchart: charts as SVG text, drawn by the server.
 *
 * The console's reports show a chart beside every table; a chart library
 * from the internet is out (no third-party scripts, CSP 'self'), and the
 * charts needed are two simple shapes, so they are written here as SVG
 * markup: a horizontal bar chart and a line chart. Output is accessible
 * (role="img", a <title> and <desc> it is labelled by, text labels on the
 * chart itself, colours of at least 3:1 against white, lines told apart by
 * dash pattern as well as colour) and deterministic: integer coordinates
 * only, no scripts, no styles (presentation attributes only, as the
 * console's CSP forbids style attributes), the same input gives the same
 * bytes. Every text from the caller is escaped; the module never prints
 * and knows nothing of reports, money or HTTP.
 */
#ifndef DUNWELL_SVGCHART_H
#define DUNWELL_SVGCHART_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define SVGCHART_NONE INT64_MIN   /* a missing point of a line */
#define SVGCHART_BARS_MAX 200     /* bars in one chart */
#define SVGCHART_LINES_MAX 16     /* lines in one chart */
#define SVGCHART_X_MAX 64         /* points of a line */
#define SVGCHART_LABEL_MAX 28     /* bytes of a label drawn on the chart
				     (longer ones are cut, with "…") */
#define SVGCHART_ID_MAX 32        /* bytes of a chart's id */

/* One bar. */
struct svgchart_bar {
	const char *label;      /* the category, drawn left of the bar */
	int64_t value;          /* its length; negative is drawn as 0 */
	const char *value_text; /* drawn after the bar ("12.5 %", "€ 10") */
};

/* One line of a line chart. */
struct svgchart_line {
	const char *name;       /* its legend entry */
	const int64_t *y;       /* one value per x, SVGCHART_NONE where the
				   line has no point (it is broken there) */
};

/* The axes of a line chart. */
struct svgchart_axes {
	const int64_t *x;       /* nx x values, ascending (positions are
				   proportional to them) */
	const char *const *x_labels; /* nx labels drawn under the x axis */
	size_t nx;              /* points per line (1..SVGCHART_X_MAX) */
	const char *x_title;    /* what x is ("days since due") */
	int64_t y_max;          /* the top of the y axis (> 0) */
	const char *y_ticks[5]; /* labels at 0, 1/4, 1/2, 3/4 and all of
				   y_max ("0 %" ... "100 %") */
};

/*
 * Append a horizontal bar chart to `out`. `id` (letters, digits, '-',
 * at most SVGCHART_ID_MAX bytes) prefixes the ids of its title and
 * description, so that several charts can share a page. -ERR_INVALID for
 * a bad id, -ERR_RANGE for more than SVGCHART_BARS_MAX bars,
 * -ERR_TOOBIG when `out` is full.
 */
int svgchart_bars(struct buf *out, const char *id, const char *title,
		  const char *desc, const struct svgchart_bar *bars,
		  size_t n, struct err *e);

/* Append a line chart (errors as svgchart_bars; -ERR_RANGE for more than
 * SVGCHART_LINES_MAX lines or bad axes). */
int svgchart_lines(struct buf *out, const char *id, const char *title,
		   const char *desc, const struct svgchart_axes *axes,
		   const struct svgchart_line *lines, size_t nlines,
		   struct err *e);

/* Append `s` escaped for XML text and attribute values. */
int svgchart_escape(struct buf *out, const char *s);

#endif
