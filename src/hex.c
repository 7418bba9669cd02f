/*
 * hex: one hexadecimal digit's value (see hex.h).
 */
#include "hex.h"

#include "err.h"

int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_pct_decode(const char *s, size_t len, int plus, char *out,
		   size_t cap)
{
	size_t o = 0;

	if (cap == 0)
		return -ERR_TOOBIG;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= len)
				return -ERR_INVALID;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -ERR_INVALID;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (c == '+' && plus) {
			c = ' ';
		}
		if (c == '\0')
			return -ERR_INVALID;
		if (o + 1 >= cap)
			return -ERR_TOOBIG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}
