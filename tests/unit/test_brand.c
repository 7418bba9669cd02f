/*
 * test_brand: colour parsing and formatting, WCAG 2.x luminance and contrast
 * against figures published by the W3C and the WebAIM contrast checker
 * (black/white 21:1, #777777 on white 4.48:1, #767676 4.54:1), and the
 * hue-keeping adjustment of src/brand.c. Adjusted colours were worked out
 * independently by stepping the factor one thousandth at a time.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "brand.h"
#include "check.h"

#define NEAR(got, want, tol) CHECK(fabs((got) - (want)) < (tol))

static struct brand_color C(const char *text)
{
	struct brand_color c = { 1, 2, 3 };
	struct err e = { "" };

	if (brand_color_parse("test", text, &c, &e) < 0) {
		printf("  bad test colour: %s\n", e.msg);
		check_failed_here++;
	}
	return c;
}

static const char *fmt(struct brand_color c, char out[BRAND_COLOR_FMT_MAX])
{
	brand_color_format(c, out);
	return out;
}

TEST(test_parse)
{
	struct brand_color c;
	struct err e = { "" };
	char s[BRAND_COLOR_FMT_MAX];

	CHECK_INT(brand_color_parse("brand_color", "#FFCC00", &c, &e), 0);
	CHECK_INT(c.r, 255);
	CHECK_INT(c.g, 204);
	CHECK_INT(c.b, 0);
	CHECK_STR(fmt(C("#ffcc00"), s), "#ffcc00");
	CHECK_STR(fmt(C("#FfCc00"), s), "#ffcc00");
	CHECK_STR(fmt(C("#fC0"), s), "#ffcc00");     /* short form */
	CHECK_STR(fmt(C("#abc"), s), "#aabbcc");
	CHECK_STR(fmt(C("#000"), s), "#000000");
	CHECK_STR(fmt(C("#123456"), s), "#123456");
	CHECK_STR(fmt(BRAND_WHITE, s), "#ffffff");
	CHECK(brand_color_equal(C("#fff"), BRAND_WHITE));
	CHECK(!brand_color_equal(C("#fffffe"), BRAND_WHITE));
}

TEST(test_parse_errors)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "#12345", "brand_color: \"#12345\" is not a colour (#RRGGBB)" },
		{ "#1234567", "brand_color: \"#1234567\" is not a colour (#RRGGBB)" },
		{ "ffcc00", "brand_color: \"ffcc00\" is not a colour (#RRGGBB)" },
		{ "#gggggg", "brand_color: \"#gggggg\" is not a colour (#RRGGBB)" },
		{ "#12 456", "brand_color: \"#12 456\" is not a colour (#RRGGBB)" },
		{ " #123456", "brand_color: \" #123456\" is not a colour (#RRGGBB)" },
		{ "#", "brand_color: \"#\" is not a colour (#RRGGBB)" },
		{ "", "brand_color: \"\" is not a colour (#RRGGBB)" },
		{ "red", "brand_color: \"red\" is not a colour (#RRGGBB)" },
		{ "#12\n456", "brand_color: \"#12?456\" is not a colour (#RRGGBB)" },
	};
	struct brand_color c = { 1, 2, 3 };
	struct err e = { "" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(brand_color_parse("brand_color", bad[i].text, &c, &e), -ERR_INVALID);
		CHECK_STR(e.msg, bad[i].msg);
	}
	CHECK_INT(brand_color_parse("accent_color", NULL, &c, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "accent_color: \"\" is not a colour (#RRGGBB)");
	/* Untouched on failure. */
	CHECK_INT(c.r, 1);
	CHECK_INT(c.g, 2);
	CHECK_INT(c.b, 3);
}

TEST(test_luminance_contrast)
{
	NEAR(brand_luminance(BRAND_BLACK), 0.0, 1e-12);
	NEAR(brand_luminance(BRAND_WHITE), 1.0, 1e-12);
	/* 0x77 = 119: ((119/255 + 0.055) / 1.055)^2.4 = 0.18448 */
	NEAR(brand_luminance(C("#777777")), 0.18448, 1e-5);
	/* Pure channels weigh 0.2126, 0.7152, 0.0722. */
	NEAR(brand_luminance(C("#ff0000")), 0.2126, 1e-12);
	NEAR(brand_luminance(C("#00ff00")), 0.7152, 1e-12);
	NEAR(brand_luminance(C("#0000ff")), 0.0722, 1e-12);
	/* Below the 0.03928 threshold the channel is linear: 10/255 =
	 * 0.0392 <= 0.03928, so 10/255/12.92. */
	NEAR(brand_luminance(C("#0a0a0a")), 10.0 / 255.0 / 12.92, 1e-12);

	NEAR(brand_contrast(BRAND_BLACK, BRAND_WHITE), 21.0, 1e-9);
	NEAR(brand_contrast(BRAND_WHITE, BRAND_BLACK), 21.0, 1e-9);
	NEAR(brand_contrast(C("#777777"), BRAND_WHITE), 4.478, 1e-3);
	NEAR(brand_contrast(C("#767676"), BRAND_WHITE), 4.542, 1e-3);
	NEAR(brand_contrast(C("#ffcc00"), BRAND_WHITE), 1.512, 1e-3);
	NEAR(brand_contrast(C("#0066cc"), BRAND_WHITE), 5.567, 1e-3);
	NEAR(brand_contrast(C("#123456"), C("#123456")), 1.0, 1e-12);
}

TEST(test_ratio_format)
{
	char s[BRAND_RATIO_FMT_MAX];

	brand_ratio_format(brand_contrast(BRAND_BLACK, BRAND_WHITE), s);
	CHECK_STR(s, "21");
	/* 4.478 reads 4.47, not 4.48 or 4.5: a failing ratio never shows as
	 * the threshold. */
	brand_ratio_format(brand_contrast(C("#777777"), BRAND_WHITE), s);
	CHECK_STR(s, "4.47");
	brand_ratio_format(brand_contrast(C("#767676"), BRAND_WHITE), s);
	CHECK_STR(s, "4.54");
	brand_ratio_format(4.5, s);
	CHECK_STR(s, "4.5");
	brand_ratio_format(3.0, s);
	CHECK_STR(s, "3");
	brand_ratio_format(1.0, s);
	CHECK_STR(s, "1");
	brand_ratio_format(4.499999, s);
	CHECK_STR(s, "4.49");
}

TEST(test_text_on)
{
	char s[BRAND_COLOR_FMT_MAX];

	CHECK_STR(fmt(brand_text_on(BRAND_WHITE), s), "#000000");
	CHECK_STR(fmt(brand_text_on(BRAND_BLACK), s), "#ffffff");
	CHECK_STR(fmt(brand_text_on(C("#ffcc00")), s), "#000000"); /* 13.9 vs 1.5 */
	CHECK_STR(fmt(brand_text_on(C("#0066cc")), s), "#ffffff"); /* 5.57 vs 3.77 */
	CHECK_STR(fmt(brand_text_on(C("#777777")), s), "#000000"); /* 4.69 vs 4.48 */
	CHECK_STR(fmt(brand_text_on(C("#767676")), s), "#000000"); /* 4.62 vs 4.54 */
	CHECK_STR(fmt(brand_text_on(C("#757575")), s), "#ffffff"); /* 4.55 vs 4.61 */
}

TEST(test_accessible)
{
	struct brand_color adj = { 1, 2, 3 };
	double ratio = -1;
	char s[BRAND_COLOR_FMT_MAX];

	/* Already passing: unchanged. */
	CHECK_INT(brand_accessible(C("#767676"), BRAND_WHITE, BRAND_AA_TEXT, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#767676");
	NEAR(ratio, 4.542, 1e-3);
	CHECK_INT(brand_accessible(C("#0066cc"), BRAND_WHITE, BRAND_AA_TEXT, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#0066cc");

	/* Just failing: one step darker. */
	CHECK_INT(brand_accessible(C("#777777"), BRAND_WHITE, BRAND_AA_TEXT, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#767676");

	/* Amber: scaled by 0.566 towards black, blue stays 0, red:green
	 * stays 5:4. */
	CHECK_INT(brand_accessible(C("#ffcc00"), BRAND_WHITE, BRAND_AA_TEXT, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#907300");
	CHECK(ratio >= 4.5);
	NEAR(ratio, 4.528, 1e-3);
	NEAR(ratio, brand_contrast(adj, BRAND_WHITE), 1e-12);
	/* ... the lightest that passes: one more unit of red and green fails. */
	CHECK(brand_contrast(C("#917400"), BRAND_WHITE) < 4.5);
	/* ... and white text on an amber button of that colour passes too. */
	CHECK(brand_contrast(BRAND_WHITE, adj) >= 4.5);

	/* A light yellow. */
	CHECK_INT(brand_accessible(C("#ffff99"), BRAND_WHITE, BRAND_AA_TEXT, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#797949");
	CHECK(ratio >= 4.5);

	/* Large text and buttons (3:1) need less darkening. */
	CHECK_INT(brand_accessible(C("#ffcc00"), BRAND_WHITE, BRAND_AA_LARGE, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#b59000");
	CHECK(ratio >= 3.0);

	/* A dark background: lightened towards white instead. */
	CHECK_INT(brand_accessible(C("#003399"), BRAND_BLACK, BRAND_AA_TEXT, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#5173b9");
	CHECK(ratio >= 4.5);
	CHECK(brand_luminance(adj) > brand_luminance(C("#003399")));

	/* Black on white already passes AAA. */
	CHECK_INT(brand_accessible(BRAND_BLACK, BRAND_WHITE, 21.0, &adj, &ratio), 0);
	CHECK_STR(fmt(adj, s), "#000000");
}

TEST(test_accessible_impossible)
{
	struct brand_color adj = { 1, 2, 3 };
	double ratio = -1;

	/* On mid grey neither black (4.69) nor white (4.48) reaches 7:1. */
	CHECK_INT(brand_accessible(C("#ff0000"), C("#777777"), BRAND_AAA_TEXT, &adj, &ratio), -ERR_RANGE);
	CHECK_INT(brand_accessible(C("#ff0000"), BRAND_WHITE, 0.5, &adj, &ratio), -ERR_RANGE);
	CHECK_INT(brand_accessible(C("#ff0000"), BRAND_WHITE, 22, &adj, &ratio), -ERR_RANGE);
	CHECK_INT(brand_accessible(C("#ff0000"), BRAND_WHITE, NAN, &adj, &ratio), -ERR_RANGE);
	CHECK_INT(adj.r, 1);
	CHECK_INT(adj.g, 2);
	CHECK_INT(adj.b, 3);
	CHECK(ratio == -1);
}

TEST(test_check)
{
	struct err e = { "" };

	CHECK_INT(brand_check("brand_color", C("#767676"), BRAND_WHITE, BRAND_AA_TEXT, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(brand_check("brand_color", C("#ffcc00"), BRAND_WHITE, BRAND_AA_TEXT, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "brand_color: #ffcc00 on white has contrast 1.51:1; AA needs 4.5:1 (try #907300)");
	CHECK_INT(brand_check("brand_color", C("#777777"), BRAND_WHITE, BRAND_AA_TEXT, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "brand_color: #777777 on white has contrast 4.47:1; AA needs 4.5:1 (try #767676)");
	CHECK_INT(brand_check("accent_color", C("#003399"), BRAND_BLACK, BRAND_AA_TEXT, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "accent_color: #003399 on black has contrast 1.93:1; AA needs 4.5:1 (try #5173b9)");
	CHECK_INT(brand_check("brand_color", C("#ffcc00"), BRAND_WHITE, BRAND_AA_LARGE, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "brand_color: #ffcc00 on white has contrast 1.51:1; AA needs 3:1 (try #b59000)");
	CHECK_INT(brand_check("brand_color", C("#767676"), BRAND_WHITE, BRAND_AAA_TEXT, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "brand_color: #767676 on white has contrast 4.54:1; AAA needs 7:1 (try #595959)");
	/* No colour of that hue can pass: no suggestion. */
	CHECK_INT(brand_check("brand_color", C("#ff0000"), C("#777777"), BRAND_AAA_TEXT, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "brand_color: #ff0000 on #777777 has contrast 1.11:1; AAA needs 7:1");
	CHECK_INT(brand_check("brand_color", C("#ff0000"), BRAND_WHITE, 30, &e), -ERR_RANGE);
	CHECK_STR(e.msg, "brand_color: a contrast of 30:1 cannot be asked for (1 to 21)");
}

int main(void)
{
	RUN(test_parse);
	RUN(test_parse_errors);
	RUN(test_luminance_contrast);
	RUN(test_ratio_format);
	RUN(test_text_on);
	RUN(test_accessible);
	RUN(test_accessible_impossible);
	RUN(test_check);
	return CHECK_DONE();
}
