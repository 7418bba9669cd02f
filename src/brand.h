/*
 * brand: a tenant's colours, made accessible (WCAG 2.2 AA).
 *
 * Parses and formats "#rrggbb" colours, computes WCAG 2.x relative luminance
 * and contrast ratios exactly as the W3C defines them, and turns a brand
 * colour that would be unreadable as text or as a button on the page
 * background into the nearest colour of the same hue that passes (or, at
 * upload, refuses it and says which colour would pass). Pure: no I/O, never
 * prints. Floating point is fine here: it is not money, and the ratios are
 * only compared against thresholds.
 */
#ifndef DUNWELL_BRAND_H
#define DUNWELL_BRAND_H

#include <stdint.h>

#include "err.h"

#define BRAND_COLOR_FMT_MAX 8 /* "#rrggbb" + NUL */
#define BRAND_RATIO_FMT_MAX 16 /* "21", "4.54" + NUL, with room */

/* WCAG 2.2 minimum contrast ratios. */
#define BRAND_AA_TEXT 4.5  /* 1.4.3, normal text */
#define BRAND_AA_LARGE 3.0 /* 1.4.3 large text, 1.4.11 buttons and borders */
#define BRAND_AAA_TEXT 7.0 /* 1.4.6, normal text */

/* An sRGB colour, 8 bits a channel. */
struct brand_color {
	uint8_t r; /* red, 0..255 */
	uint8_t g; /* green, 0..255 */
	uint8_t b; /* blue, 0..255 */
};

#define BRAND_WHITE ((struct brand_color){ 255, 255, 255 })
#define BRAND_BLACK ((struct brand_color){ 0, 0, 0 })

/* Parse "#RRGGBB" or "#RGB" (hex digits in either case; "#abc" is
 * "#aabbcc"). `field` names the setting in messages:
 * "brand_color: \"#12345\" is not a colour (#RRGGBB)". */
int brand_color_parse(const char *field, const char *text,
		      struct brand_color *ret, struct err *e);
/* "#rrggbb", lower case. */
void brand_color_format(struct brand_color c, char out[BRAND_COLOR_FMT_MAX]);
int brand_color_equal(struct brand_color a, struct brand_color b);

/* WCAG 2.x relative luminance, 0 (black) .. 1 (white): each channel
 * c = v/255 linearised as c/12.92 when c <= 0.03928, else
 * ((c+0.055)/1.055)^2.4; L = 0.2126 R + 0.7152 G + 0.0722 B. */
double brand_luminance(struct brand_color c);
/* (L_lighter + 0.05) / (L_darker + 0.05): 1 .. 21, symmetric. */
double brand_contrast(struct brand_color a, struct brand_color b);
/* A ratio for people: rounded down to two decimals, trailing zeros dropped
 * ("21", "4.54", "4.47" for 4.478), so a failing ratio never reads as the
 * threshold it missed. */
void brand_ratio_format(double ratio, char out[BRAND_RATIO_FMT_MAX]);

/* Black or white text on `background`, whichever contrasts more (black on
 * a tie). */
struct brand_color brand_text_on(struct brand_color background);

/* `color` made readable on `background` with at least `min_ratio` (1..21;
 * BRAND_AA_TEXT for text, buttons and links). A colour that passes comes
 * back unchanged. One that fails is darkened on a light background (the
 * background contrasts more with black than with white) or lightened on a
 * dark one, keeping its hue: darkening scales r, g and b by the same factor
 * towards black, lightening mixes them by the same share towards white; the
 * factor is the one nearest the original that passes (binary search in
 * steps of 1/1000). Since the same contrast holds the other way round, white
 * (or black) text on a button of the adjusted colour passes too when the
 * background is white (or black).
 * -ERR_RANGE when min_ratio is outside 1..21 or not even black (white)
 * reaches it on this background; outputs untouched then. */
int brand_accessible(struct brand_color color, struct brand_color background,
		     double min_ratio, struct brand_color *ret_adjusted,
		     double *ret_ratio);

/* For refusing a colour at upload: 0 when `color` has at least `min_ratio`
 * on `background`, else -ERR_RANGE with the reason and a colour that would
 * pass: "brand_color: #ffcc00 on white has contrast 1.51:1; AA needs 4.5:1
 * (try #8f7200)". The background is named "white", "black" or "#rrggbb". */
int brand_check(const char *field, struct brand_color color,
		struct brand_color background, double min_ratio,
		struct err *e);

#endif
