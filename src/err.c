/*
 * err: bounded error messages (see err.h).
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(struct err *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

void err_prefix(struct err *e, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX];
	size_t plen, olen;
	va_list ap;

	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	plen = strlen(pre);
	olen = strnlen(e->msg, sizeof(e->msg) - 1);
	if (plen > sizeof(e->msg) - 1)
		plen = sizeof(e->msg) - 1;
	if (plen + olen > sizeof(e->msg) - 1)
		olen = sizeof(e->msg) - 1 - plen; /* keep the start of both */
	memmove(e->msg + plen, e->msg, olen);
	memcpy(e->msg, pre, plen);
	e->msg[plen + olen] = '\0';
}

const char *err_quote(const char *s, char out[ERR_QUOTE_BUF])
{
	size_t i;

	for (i = 0; s[i] && i < ERR_QUOTE_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (s[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

void err_clear(struct err *e)
{
	if (e)
		e->msg[0] = '\0';
}
