/*
 * console_page: what every page of the team's console shares — opening a
 * page (the tenant from the path, the operator from the session cookie),
 * the HTML frame with the console's navigation, escaping, forms with their
 * CSRF check, redirects, money and times. The console's pages (console.c:
 * the queue and cases; console_report.c, console_strategy.c) write through
 * these helpers only: markup is a literal of the page's file and every
 * value goes through cpage_esc.
 */
#ifndef DUNWELL_CONSOLE_PAGE_H
#define DUNWELL_CONSOLE_PAGE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "date.h"
#include "http.h"
#include "i18n.h"
#include "operator.h"
#include "store.h"
#include "token.h"

#define CPAGE_COOKIE "dw_console"  /* the session cookie's name */
#define CPAGE_FIELD_MAX 256        /* bytes of a short form field */
#define CPAGE_AMOUNT_MAX I18N_OUT_MAX /* bytes of a formatted amount */

/* What a console page needs. */
struct cpage {
	const struct http_request *req; /* the request being answered */
	struct http_response *resp; /* its answer */
	struct store *s;            /* the server's store */
	struct buf *out;            /* resp->body */
	struct tenant_rec t;        /* the tenant of the path */
	struct operator_rec op;     /* the signed-in operator */
	char token[TOKEN_BUF];      /* the session token from the cookie */
	char csrf[65];              /* the session's form token */
	char base[96];              /* "/console/<tenant>" */
	int signed_in;              /* op is set */
};

/* The tenant, and (need_session) the operator. 0 to go on; otherwise the
 * answer (404, or a redirect to the sign-in page) is written. */
int cpage_open(const struct http_request *req, struct http_response *resp,
	       struct cpage *p, int need_session);
void cpage_free(struct cpage *p);

/* Output: markup as is (literals only), text escaped, a number escaped. */
void cpage_raw(struct cpage *p, const char *s);
void cpage_esc(struct cpage *p, const char *s);
void cpage_escf(struct cpage *p, const char *fmt, long long v);

/* The page's head, header and navigation up to <main>; and its end. */
void cpage_begin(struct cpage *p, int status, const char *title);
void cpage_end(struct cpage *p);
/* A 303 to `location`; a whole page with a heading and one paragraph. */
void cpage_see_other(struct cpage *p, const char *location);
void cpage_message(struct cpage *p, int status, const char *title,
		   const char *text);

/* An amount in the console's language into buf (CPAGE_AMOUNT_MAX bytes);
 * an instant as RFC 3339 into buf (INSTANT_FMT_MAX), "" for 0. */
const char *cpage_money(struct cpage *p, int64_t minor, const char *cur,
			char *buf);
const char *cpage_when(instant_t t, char *buf);

/* A form field ("" when absent); -1 when malformed or too long. */
int cpage_form(const struct cpage *p, const char *name, char *buf, size_t cap);
/* The session's CSRF token and a same-origin POST; otherwise answers 403
 * and returns -1. */
int cpage_post_ok(struct cpage *p);
/* The CSRF token as a hidden field of a form. */
void cpage_hidden_csrf(struct cpage *p);

#endif
