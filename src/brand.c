/*
 * brand: colour parsing, WCAG contrast and accessible adjustment (see
 * brand.h).
 *
 * The luminance formula is the W3C's, constants included (the 0.03928
 * threshold of WCAG 2.x, not the 0.04045 of the sRGB standard; for 8-bit
 * values they never disagree), so that the ratios shown match what axe-core
 * and the WebAIM checker report for the same pair.
 */
#include "brand.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Steps of the hue-keeping adjustment: the factor is searched in
 * 1/BRAND_STEPS of the way to black (or white). */
#define BRAND_STEPS 1000
/* Slack in ratio comparisons, so that 21:1 counts as 21 despite rounding
 * in the last bit of a double. */
#define BRAND_EPS 1e-9

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int brand_color_parse(const char *field, const char *text,
		      struct brand_color *ret, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	int v[6];
	size_t len, digits;

	if (!text)
		text = "";
	len = strlen(text);
	digits = len - 1;
	if (len == 0 || text[0] != '#' || (digits != 3 && digits != 6))
		goto bad;
	for (size_t i = 0; i < digits; i++) {
		if ((v[i] = hex_value(text[i + 1])) < 0)
			goto bad;
	}
	if (digits == 3) {
		/* "#abc" is "#aabbcc": each digit stands for itself twice. */
		ret->r = (uint8_t)(v[0] * 17);
		ret->g = (uint8_t)(v[1] * 17);
		ret->b = (uint8_t)(v[2] * 17);
	} else {
		ret->r = (uint8_t)(v[0] * 16 + v[1]);
		ret->g = (uint8_t)(v[2] * 16 + v[3]);
		ret->b = (uint8_t)(v[4] * 16 + v[5]);
	}
	return 0;
bad:
	return err_set(e, ERR_INVALID, "%s: \"%s\" is not a colour (#RRGGBB)",
		       field, err_quote(text, q));
}

void brand_color_format(struct brand_color c, char out[BRAND_COLOR_FMT_MAX])
{
	snprintf(out, BRAND_COLOR_FMT_MAX, "#%02x%02x%02x", c.r, c.g, c.b);
}

int brand_color_equal(struct brand_color a, struct brand_color b)
{
	return a.r == b.r && a.g == b.g && a.b == b.b;
}

/* One channel, 0..255, to linear light (WCAG 2.x). */
static double linear(uint8_t v)
{
	double c = v / 255.0;

	return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

double brand_luminance(struct brand_color c)
{
	return 0.2126 * linear(c.r) + 0.7152 * linear(c.g) +
	       0.0722 * linear(c.b);
}

double brand_contrast(struct brand_color a, struct brand_color b)
{
	double la = brand_luminance(a), lb = brand_luminance(b);

	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

void brand_ratio_format(double ratio, char out[BRAND_RATIO_FMT_MAX])
{
	int hundredths = 0, whole, frac;

	/* Clamped to 0..100 before converting (NaN counts as 0). */
	if (ratio >= 100)
		hundredths = 10000;
	else if (ratio > 0)
		hundredths = (int)floor(ratio * 100 + BRAND_EPS);
	whole = (hundredths / 100) % 1000; /* the % tells the compiler the width */
	frac = hundredths % 100;
	if (frac == 0)
		snprintf(out, BRAND_RATIO_FMT_MAX, "%d", whole);
	else if (frac % 10 == 0)
		snprintf(out, BRAND_RATIO_FMT_MAX, "%d.%d", whole, frac / 10);
	else
		snprintf(out, BRAND_RATIO_FMT_MAX, "%d.%02d", whole, frac);
}

struct brand_color brand_text_on(struct brand_color background)
{
	return brand_contrast(background, BRAND_BLACK) + BRAND_EPS >=
			       brand_contrast(background, BRAND_WHITE) ?
		       BRAND_BLACK :
		       BRAND_WHITE;
}

/* `c` moved `step`/BRAND_STEPS of the way towards black (darken) or white:
 * the same share of every channel, so the hue stays. */
static struct brand_color shift(struct brand_color c, int step, int darken)
{
	struct brand_color out;
	const uint8_t *in[3] = { &c.r, &c.g, &c.b };
	uint8_t *o[3] = { &out.r, &out.g, &out.b };

	for (int i = 0; i < 3; i++) {
		int v = *in[i];
		int target = darken ? 0 : 255;
		/* v + (target - v) * step / STEPS, rounded half away from 0 */
		int delta = (target - v) * step;
		int moved = delta >= 0 ? (delta + BRAND_STEPS / 2) / BRAND_STEPS :
					 -((-delta + BRAND_STEPS / 2) / BRAND_STEPS);
		*o[i] = (uint8_t)(v + moved);
	}
	return out;
}

static int passes(struct brand_color c, struct brand_color bg, double min)
{
	return brand_contrast(c, bg) + BRAND_EPS >= min;
}

int brand_accessible(struct brand_color color, struct brand_color background,
		     double min_ratio, struct brand_color *ret_adjusted,
		     double *ret_ratio)
{
	int darken, lo, hi;
	struct brand_color best;

	if (!(min_ratio >= 1 && min_ratio <= 21))
		return -ERR_RANGE;
	if (passes(color, background, min_ratio)) {
		*ret_adjusted = color;
		*ret_ratio = brand_contrast(color, background);
		return 0;
	}
	darken = brand_color_equal(brand_text_on(background), BRAND_BLACK);
	if (!passes(shift(color, BRAND_STEPS, darken), background, min_ratio))
		return -ERR_RANGE;
	/* Passing is monotone in the step: the colour moves steadily away
	 * from the background's side once it has crossed it (and the original,
	 * step 0, fails). Find the smallest passing step. */
	lo = 0;           /* fails */
	hi = BRAND_STEPS; /* passes */
	while (hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;

		if (passes(shift(color, mid, darken), background, min_ratio))
			hi = mid;
		else
			lo = mid;
	}
	best = shift(color, hi, darken);
	*ret_adjusted = best;
	*ret_ratio = brand_contrast(best, background);
	return 0;
}

/* "white", "black" or "#rrggbb". */
static const char *background_name(struct brand_color bg,
				   char buf[BRAND_COLOR_FMT_MAX])
{
	if (brand_color_equal(bg, BRAND_WHITE))
		return "white";
	if (brand_color_equal(bg, BRAND_BLACK))
		return "black";
	brand_color_format(bg, buf);
	return buf;
}

int brand_check(const char *field, struct brand_color color,
		struct brand_color background, double min_ratio,
		struct err *e)
{
	char col_s[BRAND_COLOR_FMT_MAX], bg_buf[BRAND_COLOR_FMT_MAX];
	char try_s[BRAND_COLOR_FMT_MAX], got_s[BRAND_RATIO_FMT_MAX];
	char min_s[BRAND_RATIO_FMT_MAX], need[64];
	struct brand_color better;
	double ratio, better_ratio;

	if (!(min_ratio >= 1 && min_ratio <= 21))
		return err_set(e, ERR_RANGE,
			       "%s: a contrast of %g:1 cannot be asked for "
			       "(1 to 21)",
			       field, min_ratio);
	ratio = brand_contrast(color, background);
	if (ratio + BRAND_EPS >= min_ratio)
		return 0;

	brand_color_format(color, col_s);
	brand_ratio_format(ratio, got_s);
	brand_ratio_format(min_ratio, min_s);
	if (min_ratio == BRAND_AA_TEXT || min_ratio == BRAND_AA_LARGE)
		snprintf(need, sizeof(need), "AA needs %s:1", min_s);
	else if (min_ratio == BRAND_AAA_TEXT)
		snprintf(need, sizeof(need), "AAA needs %s:1", min_s);
	else
		snprintf(need, sizeof(need), "at least %s:1 is needed", min_s);
	if (brand_accessible(color, background, min_ratio, &better,
			     &better_ratio) < 0)
		return err_set(e, ERR_RANGE, "%s: %s on %s has contrast %s:1; %s",
			       field, col_s, background_name(background, bg_buf),
			       got_s, need);
	brand_color_format(better, try_s);
	return err_set(e, ERR_RANGE,
		       "%s: %s on %s has contrast %s:1; %s (try %s)", field,
		       col_s, background_name(background, bg_buf), got_s, need,
		       try_s);
}
