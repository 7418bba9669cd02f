/*
 * route: the HTTP server's static route table and its matcher.
 *
 * A route is one line of a static table: `{ method, pattern, handler,
 * flags }` (the Redis command table, nginx directives). A pattern is a
 * path of literal segments and `{name}` segments, each of which matches
 * exactly one non-empty segment ("/v1/reports/{tenant}/twilio"). Matching
 * walks the table in order, so a literal route listed first wins over a
 * parameter route that would also match.
 *
 * This module only matches and decodes: it never touches a socket, a
 * libevent type or the store, and it allocates only from the arena it is
 * given (one per request), so a request's parameters die with it.
 */
#ifndef DUNWELL_ROUTE_H
#define DUNWELL_ROUTE_H

#include <stddef.h>

#include "arena.h"
#include "err.h"

struct http_request;  /* http.h */
struct http_response; /* http.h */

/* Answers one request: reads *req, fills *resp (status, content type,
 * body, headers). Never sees a libevent type. */
typedef void (*route_handler)(const struct http_request *req,
			      struct http_response *resp);

/* Route flags. */
enum {
	ROUTE_SECRET_PATH = 1 << 0, /* the path holds a secret (a personal
				       link's token): the access log shows
				       the route's pattern, not the path */
	ROUTE_BODY_FORM = 1 << 1,   /* the body must be
				       application/x-www-form-urlencoded
				       (else 415) */
	ROUTE_BODY_JSON = 1 << 2,   /* the body must be application/json
				       (else 415) */
};

struct route {
	const char *method;    /* "GET", "POST", ...: the one method this
				  line answers; a GET route answers HEAD too */
	const char *pattern;   /* "/v1/reports/{tenant}/twilio": '/'-separated
				  literal segments and {name} parameters */
	route_handler handler; /* called with the request once matched */
	int flags;             /* ROUTE_* */
};

#define ROUTE_PARAMS_MAX 4   /* {name} segments in one pattern */
#define ROUTE_ALLOW_MAX 96   /* the Allow header of a 405 answer */

/* A name and its decoded value: a path parameter (and, in http.h, a query
 * parameter or a request header). */
struct route_param {
	const char *name;  /* as in the pattern (or query string, header) */
	const char *value; /* %-decoded, NUL-terminated, no NUL inside */
};

/* What route_match found. */
struct route_match {
	const struct route *route;      /* the matching line, or NULL; on
					   -ERR_CONFLICT the first line whose
					   pattern matches the path (for logs
					   and metrics, not to be called) */
	size_t index;                   /* its position in the table */
	struct route_param params[ROUTE_PARAMS_MAX]; /* its {name}s, decoded
						       (values in the arena) */
	size_t n_params;                /* ... how many */
	char allow[ROUTE_ALLOW_MAX];    /* on -ERR_CONFLICT: the methods
					   the path does answer ("GET, HEAD,
					   POST"), for the Allow header */
};

/* Check a table once at start-up: every pattern starts with '/', has no
 * empty segment, at most ROUTE_PARAMS_MAX well-formed {name}s; every line
 * has a method and a handler; no method and pattern is listed twice. -ERR_INVALID naming the line otherwise. */
int route_check(const struct route *table, size_t n, struct err *e);

/*
 * Find the route for `method` (HEAD is served by GET routes) and the
 * request path `path` (as sent: %-escapes kept, no query string).
 *   0              found: ret->route, ret->params
 *   -ERR_NOTFOUND  no pattern matches the path (404)
 *   -ERR_CONFLICT  patterns match but none for this method (405):
 *                  ret->allow lists the methods that would do
 *   -ERR_INVALID   a parameter segment has a bad %-escape or decodes to
 *                  a NUL byte (400)
 */
int route_match(const struct route *table, size_t n, const char *method,
		const char *path, struct arena *a, struct route_match *ret);

/* %-decode s[0..len) into the arena ('+' becomes a space when `plus`, as
 * in query strings and form bodies). -ERR_INVALID for a bad escape or a
 * NUL byte; *ret is untouched then. */
int route_decode(const char *s, size_t len, int plus, struct arena *a,
		 char **ret);

#endif
