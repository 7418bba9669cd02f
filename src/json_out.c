/*
 * json_out: JSON text into a buffer (see json_out.h).
 */
#include "json_out.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (1..4), or 0 when the
 * bytes there are not one (RFC 3629: no overlongs, no surrogates, at most
 * U+10FFFF). */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
		unsigned char hi = c == 0xED ? 0x9F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 ? 3
									 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
		unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
				       (s[3] & 0xC0) == 0x80
			       ? 4
			       : 0;
	}
	return 0;
}

int json_out_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	const unsigned char *run = p; /* bytes written as they are */

	if (buf_putc(b, '"') < 0)
		return -1;
	while (*p) {
		const char *esc = NULL;
		char u[8];
		size_t n = 1;

		switch (*p) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (*p < 0x20) {
				snprintf(u, sizeof(u), "\\u%04X", *p);
				esc = u;
			} else if (*p >= 0x80) {
				n = utf8_len(p);
				if (n == 0) {
					esc = "\\uFFFD";
					n = 1;
				}
			}
		}
		if (esc) {
			if (buf_append(b, run, (size_t)(p - run)) < 0 ||
			    buf_puts(b, esc) < 0)
				return -1;
			p += n;
			run = p;
		} else {
			p += n;
		}
	}
	if (buf_append(b, run, (size_t)(p - run)) < 0)
		return -1;
	return buf_putc(b, '"');
}

int json_out_key(struct buf *b, const char *key, int first)
{
	if (!first && buf_putc(b, ',') < 0)
		return -1;
	if (json_out_str(b, key) < 0)
		return -1;
	return buf_putc(b, ':');
}

int json_out_kstr(struct buf *b, const char *key, const char *value,
		  int first)
{
	if (json_out_key(b, key, first) < 0)
		return -1;
	return json_out_str(b, value);
}

int json_out_kint(struct buf *b, const char *key, int64_t value, int first)
{
	char n[24];
	if (json_out_key(b, key, first) < 0)
		return -1;
	snprintf(n, sizeof(n), "%" PRId64, value);
	return buf_puts(b, n);
}

int json_out_kbool(struct buf *b, const char *key, int value, int first)
{
	if (json_out_key(b, key, first) < 0)
		return -1;
	return buf_puts(b, value ? "true" : "false");
}
