/*
 * test_svgchart: the server-drawn charts: accessible markup (role, title,
 * description), every text escaped, bars and points where the numbers put
 * them, the same bytes for the same input, bounds and bad input refused.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "svgchart.h"

/* How often `needle` occurs in `hay`. */
static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(hay, needle); p;
	     p = strstr(p + strlen(needle), needle))
		n++;
	return n;
}

TEST(bars_accessible_and_scaled)
{
	struct svgchart_bar bars[] = {
		{ "reminder", 1000, "EUR 10.00" },
		{ "final <notice>", 500, "EUR 5.00" },
		{ "none", 0, "EUR 0.00" },
	};
	struct buf b;
	struct err e;
	buf_init(&b, 1 << 16);
	CHECK_INT(svgchart_bars(&b, "chart-step", "Recovered & more",
				"Bars \"by\" step", bars, 3, &e), 0);
	const char *s = buf_cstr(&b);
	CHECK(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\"",
		      50) == 0);
	CHECK(strstr(s, "aria-labelledby=\"chart-step-title\"") != NULL);
	CHECK(strstr(s, "<title id=\"chart-step-title\">Recovered &amp; more"
			"</title>") != NULL);
	CHECK(strstr(s, "<desc id=\"chart-step-desc\">Bars &quot;by&quot; "
			"step</desc>") != NULL);
	CHECK(strstr(s, "final &lt;notice&gt;") != NULL);
	CHECK(strstr(s, "<notice>") == NULL);
	/* The longest bar is 330 wide, half the value half as long. */
	CHECK(strstr(s, "width=\"330\"") != NULL);
	CHECK(strstr(s, "width=\"165\"") != NULL);
	CHECK(strstr(s, "width=\"0\"") != NULL);
	CHECK_INT(count(s, "<rect "), 3);
	CHECK(strstr(s, "<script") == NULL);
	CHECK(strstr(s, "style=") == NULL);
	CHECK(strstr(s, "</svg>\n") != NULL);
	/* Deterministic: the same input, the same bytes. */
	{
		struct buf b2;
		buf_init(&b2, 1 << 16);
		CHECK_INT(svgchart_bars(&b2, "chart-step", "Recovered & more",
					"Bars \"by\" step", bars, 3, &e), 0);
		CHECK_STR(buf_cstr(&b2), s);
		buf_free(&b2);
	}
	buf_free(&b);
}

TEST(bars_empty_long_labels_and_bounds)
{
	struct svgchart_bar many[SVGCHART_BARS_MAX + 1];
	struct svgchart_bar longer[] = {
		/* 30 bytes with a two-byte character where it is cut */
		{ "abcdefghijklmnopqrstuvwxyz\xC3\xA9xyz", 1, "1" },
	};
	struct buf b;
	struct err e;

	buf_init(&b, 1 << 16);
	CHECK_INT(svgchart_bars(&b, "empty", "Nothing", "No bars", NULL, 0, &e),
		  0);
	CHECK(strstr(buf_cstr(&b), ">No data</text>") != NULL);
	buf_reset(&b);
	CHECK_INT(svgchart_bars(&b, "long", "T", "D", longer, 1, &e), 0);
	/* cut before the two-byte character, never inside it */
	CHECK(strstr(buf_cstr(&b), "abcdefghijklmnopqrstuvwxyz\xE2\x80\xA6") !=
	      NULL);
	buf_reset(&b);
	CHECK_INT(svgchart_bars(&b, "bad id\"", "T", "D", longer, 1, &e),
		  -ERR_INVALID);
	CHECK_INT(svgchart_bars(&b, "", "T", "D", longer, 1, &e), -ERR_INVALID);
	memset(many, 0, sizeof(many));
	CHECK_INT(svgchart_bars(&b, "many", "T", "D", many,
				SVGCHART_BARS_MAX + 1, &e), -ERR_RANGE);
	buf_free(&b);
	/* A full page is an error, not a half chart passed as whole. */
	buf_init(&b, 64);
	CHECK_INT(svgchart_bars(&b, "small", "T", "D", longer, 1, &e),
		  -ERR_TOOBIG);
	buf_free(&b);
}

TEST(lines_points_gaps_and_legend)
{
	int64_t xs[] = { 0, 7, 14 };
	const char *xl[] = { "0", "7", "14" };
	int64_t a[] = { 0, 500, 1000 };
	int64_t c[] = { 250, SVGCHART_NONE, SVGCHART_NONE };
	struct svgchart_line lines[] = { { "2026-01", a }, { "<b>", c } };
	struct svgchart_axes ax = {
		.x = xs, .x_labels = xl, .nx = 3, .x_title = "days",
		.y_max = 1000,
		.y_ticks = { "0 %", "25 %", "50 %", "75 %", "100 %" },
	};
	struct buf b;
	struct err e;

	buf_init(&b, 1 << 16);
	CHECK_INT(svgchart_lines(&b, "chart-cohorts", "Cohorts", "Lines", &ax,
				 lines, 2, &e), 0);
	const char *s = buf_cstr(&b);
	/* x from 64 to 470, y from 264 (0) up to 16 (1000). */
	CHECK(strstr(s, "d=\"M64 264 L267 140 L470 16\"") != NULL);
	/* the second line: one point, then a gap */
	CHECK(strstr(s, "d=\"M64 202\"") != NULL);
	CHECK_INT(count(s, "<circle "), 4);
	/* told apart by dash as well as colour */
	CHECK(strstr(s, "stroke=\"#b3401f\" stroke-width=\"2\" "
			"stroke-dasharray=\"8 4\"") != NULL);
	CHECK(strstr(s, ">2026-01</text>") != NULL);
	CHECK(strstr(s, "&lt;b&gt;") != NULL);
	CHECK(strstr(s, ">100 %</text>") != NULL);
	CHECK(strstr(s, ">days</text>") != NULL);
	CHECK(strstr(s, "role=\"img\"") != NULL);
	/* bad axes */
	{
		int64_t down[] = { 5, 3, 9 };
		struct svgchart_axes bad = ax;
		bad.x = down;
		CHECK_INT(svgchart_lines(&b, "x", "T", "D", &bad, lines, 2, &e),
			  -ERR_RANGE);
		bad = ax;
		bad.y_max = 0;
		CHECK_INT(svgchart_lines(&b, "x", "T", "D", &bad, lines, 2, &e),
			  -ERR_RANGE);
	}
	buf_free(&b);
}

TEST(escape_control_and_quotes)
{
	struct buf b;
	buf_init(&b, 256);
	CHECK_INT(svgchart_escape(&b, "a'b\x01<&>\""), 0);
	CHECK_STR(buf_cstr(&b), "a&#39;b &lt;&amp;&gt;&quot;");
	buf_free(&b);
}

int main(void)
{
	RUN(bars_accessible_and_scaled);
	RUN(bars_empty_long_labels_and_bounds);
	RUN(lines_points_gaps_and_legend);
	RUN(escape_control_and_quotes);
	return CHECK_DONE();
}
