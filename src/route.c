/*
 * route: the static route table's matcher (see route.h). Patterns are
 * compared segment by segment against the path as sent; only the
 * parameters of the route that matched are %-decoded.
 */
#include "route.h"

#include <string.h>

#include "hex.h"

/* Methods in the order an Allow header lists them. */
static const char *const allow_order[] = { "GET",   "HEAD",   "POST",
					   "PUT",   "PATCH",  "DELETE",
					   "OPTIONS" };
#define N_ALLOW (sizeof(allow_order) / sizeof(allow_order[0]))

int route_decode(const char *s, size_t len, int plus, struct arena *a,
		 char **ret)
{
	char *out = arena_alloc(a, len + 1);
	int r = hex_pct_decode(s, len, plus, out, len + 1);
	if (r == 0)
		*ret = out;
	return r;
}

/* Is p[0..n) a {name} segment? */
static int is_param(const char *p, size_t n)
{
	return n >= 3 && p[0] == '{' && p[n - 1] == '}';
}

int route_check(const struct route *table, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		const struct route *r = &table[i];
		const char *p = r->pattern;
		size_t params = 0;

		if (!r->method || !*r->method || !r->handler || !p ||
		    p[0] != '/')
			return err_set(e, ERR_INVALID,
				       "route %zu (%s): needs a method, a "
				       "handler and a pattern starting with "
				       "'/'",
				       i, p ? p : "(none)");
		for (size_t k = 0; k < i; k++)
			if (strcmp(table[k].method, r->method) == 0 &&
			    strcmp(table[k].pattern, p) == 0)
				return err_set(e, ERR_INVALID,
					       "route %s %s: listed twice",
					       r->method, p);
		if (strcmp(p, "/") == 0)
			continue;
		while (*p == '/') {
			const char *seg = p + 1;
			size_t len = strcspn(seg, "/");
			if (len == 0)
				return err_set(e, ERR_INVALID,
					       "route %s: empty segment",
					       r->pattern);
			if (is_param(seg, len)) {
				if (++params > ROUTE_PARAMS_MAX)
					return err_set(e, ERR_INVALID,
						       "route %s: more than %d "
						       "parameters",
						       r->pattern,
						       ROUTE_PARAMS_MAX);
				for (size_t k = 1; k + 1 < len; k++) {
					char c = seg[k];
					if (!(c == '_' ||
					      (c >= 'a' && c <= 'z') ||
					      (c >= '0' && c <= '9' && k > 1)))
						return err_set(
							e, ERR_INVALID,
							"route %s: a parameter "
							"name is "
							"[a-z_][a-z0-9_]*",
							r->pattern);
				}
			} else if (memchr(seg, '{', len) ||
				   memchr(seg, '}', len)) {
				return err_set(e, ERR_INVALID,
					       "route %s: '{' and '}' only "
					       "around a whole segment",
					       r->pattern);
			}
			p = seg + len;
		}
	}
	return 0;
}

/* Does `pattern` match `path`? Fills the raw parameter slices. */
static int pattern_match(const char *pattern, const char *path,
			 const char *ret_start[ROUTE_PARAMS_MAX],
			 size_t ret_len[ROUTE_PARAMS_MAX],
			 const char *ret_name[ROUTE_PARAMS_MAX],
			 size_t ret_name_len[ROUTE_PARAMS_MAX],
			 size_t *ret_n)
{
	const char *p = pattern, *q = path;
	size_t n = 0;

	if (strcmp(pattern, "/") == 0)
		return strcmp(path, "/") == 0;
	while (*p == '/' && *q == '/') {
		const char *ps = p + 1, *qs = q + 1;
		size_t plen = strcspn(ps, "/"), qlen = strcspn(qs, "/");
		if (is_param(ps, plen)) {
			if (qlen == 0 || n >= ROUTE_PARAMS_MAX)
				return 0;
			ret_name[n] = ps + 1;
			ret_name_len[n] = plen - 2;
			ret_start[n] = qs;
			ret_len[n] = qlen;
			n++;
		} else if (plen != qlen || memcmp(ps, qs, plen) != 0) {
			return 0;
		}
		p = ps + plen;
		q = qs + qlen;
	}
	if (*p != '\0' || *q != '\0')
		return 0;
	*ret_n = n;
	return 1;
}

static int method_ok(const char *route_method, const char *method)
{
	return strcmp(route_method, method) == 0 ||
	       (strcmp(method, "HEAD") == 0 &&
		strcmp(route_method, "GET") == 0);
}

int route_match(const struct route *table, size_t n, const char *method,
		const char *path, struct arena *a, struct route_match *ret)
{
	const char *start[ROUTE_PARAMS_MAX], *name[ROUTE_PARAMS_MAX];
	size_t len[ROUTE_PARAMS_MAX], name_len[ROUTE_PARAMS_MAX], np = 0;
	int allowed[N_ALLOW] = { 0 }, any = 0;

	memset(ret, 0, sizeof(*ret));
	for (size_t i = 0; i < n; i++) {
		if (!pattern_match(table[i].pattern, path, start, len, name,
				   name_len, &np))
			continue;
		if (!any) {
			ret->route = &table[i];
			ret->index = i;
		}
		any = 1;
		if (!method_ok(table[i].method, method)) {
			for (size_t k = 0; k < N_ALLOW; k++)
				if (strcmp(table[i].method, allow_order[k]) ==
					    0 ||
				    (k == 1 &&
				     strcmp(table[i].method, "GET") == 0))
					allowed[k] = 1;
			continue;
		}
		for (size_t k = 0; k < np; k++) {
			char *v = NULL;
			if (route_decode(start[k], len[k], 0, a, &v) < 0)
				return -ERR_INVALID;
			ret->params[k].name =
				arena_strndup(a, name[k], name_len[k]);
			ret->params[k].value = v;
		}
		ret->n_params = np;
		ret->route = &table[i];
		ret->index = i;
		return 0;
	}
	if (!any)
		return -ERR_NOTFOUND;
	for (size_t k = 0, o = 0; k < N_ALLOW; k++) {
		size_t w = strlen(allow_order[k]);
		if (!allowed[k] || o + w + 3 > sizeof(ret->allow))
			continue;
		if (o) {
			memcpy(ret->allow + o, ", ", 2);
			o += 2;
		}
		memcpy(ret->allow + o, allow_order[k], w + 1);
		o += w;
	}
	return -ERR_CONFLICT;
}
