/*
 * console: the collections team's web console (issue #9) — the agents'
 * queue of cases that need a person, and the case page where an agent
 * works a case: the customer, invoices, payments, every message with its
 * delivery, the timeline, requests and notes; and the actions: pause or
 * resume dunning, a moratorium until a date, mark vulnerable, resend the
 * personal link, mark a request done, write off, add a note.
 *
 * Pages are server-rendered HTML under /console/{tenant}/..., with the
 * portal's conventions: no JavaScript, no third-party anything, a strict
 * Content-Security-Policy, a CSRF token on every form (from the session's
 * key), every value escaped. Operators sign in with an e-mail address and
 * a password (src/operator.h: argon2id hashes, rate-limited failures); the
 * session is an HttpOnly, SameSite=Strict cookie scoped to the tenant's
 * console path (Secure when the console is served over TLS). Every change
 * an operator makes is a case event naming the operator.
 */
#ifndef DUNWELL_CONSOLE_H
#define DUNWELL_CONSOLE_H

#include "http.h"

#define CONSOLE_QUEUE_MAX 200   /* queue rows on one page */
#define CONSOLE_NOTE_MAX 4000   /* bytes of a note */

/* GET and POST /console/{tenant}/login, POST /console/{tenant}/logout. */
void console_login(const struct http_request *req, struct http_response *resp);
void console_login_post(const struct http_request *req,
			struct http_response *resp);
void console_logout(const struct http_request *req,
		    struct http_response *resp);
/* GET /console/{tenant}: the agents' queue. */
void console_queue(const struct http_request *req, struct http_response *resp);
/* GET /console/{tenant}/cases/{id}: a case; POST: one of its actions. */
void console_case(const struct http_request *req, struct http_response *resp);
void console_case_post(const struct http_request *req,
		       struct http_response *resp);

#endif
