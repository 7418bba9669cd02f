/*
 * hex: the value of one hexadecimal digit, and %-decoding, shared by the
 * decoders that read "%XX" escapes and "#rrggbb" colours (the SMTP
 * setting, form bodies, query strings and paths, profile colours). It only reads one character: no
 * allocation, no locale (isxdigit would depend on it).
 */
#ifndef DUNWELL_HEX_H
#define DUNWELL_HEX_H

#include <stddef.h>

/* 0..15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other character. */
int hex_digit(char c);

/* %-decode s[0..len) into out (cap bytes, NUL added); '+' becomes a space
 * when `plus` (query strings, form bodies). -ERR_INVALID for a bad escape
 * or a NUL byte, -ERR_TOOBIG when out is too small. */
int hex_pct_decode(const char *s, size_t len, int plus, char *out,
		   size_t cap);

#endif
