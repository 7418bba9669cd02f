/*
 * test_route: the route table's checks, matching (literal before
 * parameter, 404 vs 405 with Allow, HEAD served by GET) and %-decoding.
 */
#include "check.h"

#include "route.h"

static void h_a(const struct http_request *req, struct http_response *resp)
{
	(void)req;
	(void)resp;
}

static void h_b(const struct http_request *req, struct http_response *resp)
{
	(void)req;
	(void)resp;
}

static const struct route table[] = {
	{ "GET", "/healthz", h_a, 0 },
	{ "GET", "/v1/customers/search", h_a, 0 },
	{ "GET", "/v1/customers/{id}", h_b, 0 },
	{ "POST", "/v1/customers", h_a, ROUTE_BODY_JSON },
	{ "GET", "/v1/customers", h_b, 0 },
	{ "POST", "/v1/reports/{tenant}/twilio", h_a, ROUTE_BODY_FORM },
};
#define N (sizeof(table) / sizeof(table[0]))

TEST(check_table)
{
	struct err e;
	static const struct route dup[] = {
		{ "GET", "/a/{x}", h_a, 0 },
		{ "GET", "/a/{x}", h_b, 0 },
	};
	static const struct route empty_segment[] = {
		{ "GET", "/a//b", h_a, 0 },
	};
	static const struct route no_slash[] = {
		{ "GET", "a", h_a, 0 },
	};
	static const struct route bad_param[] = {
		{ "GET", "/a/{x", h_a, 0 },
	};
	CHECK_INT(route_check(table, N, &e), 0);
	CHECK(route_check(dup, 2, &e) < 0);
	CHECK(route_check(empty_segment, 1, &e) < 0);
	CHECK(route_check(no_slash, 1, &e) < 0);
	CHECK(route_check(bad_param, 1, &e) < 0);
}

TEST(matching)
{
	struct arena *a = arena_new();
	struct route_match m;

	CHECK_INT(route_match(table, N, "GET", "/v1/customers/search", a, &m),
		  0);
	CHECK_INT(m.index, 1); /* the literal line wins, it comes first */
	CHECK_INT(route_match(table, N, "GET", "/v1/customers/C%2D1001", a,
			      &m), 0);
	CHECK_INT(m.index, 2);
	CHECK_INT(m.n_params, 1);
	CHECK_STR(m.params[0].name, "id");
	CHECK_STR(m.params[0].value, "C-1001");
	CHECK_INT(route_match(table, N, "HEAD", "/healthz", a, &m), 0);
	CHECK_INT(route_match(table, N, "POST", "/v1/customers", a, &m), 0);
	CHECK_INT(m.index, 3);
	CHECK_INT(route_match(table, N, "GET", "/v1/customers", a, &m), 0);
	CHECK_INT(m.index, 4);
	CHECK_INT(route_match(table, N, "GET", "/nope", a, &m),
		  -ERR_NOTFOUND);
	CHECK_INT(route_match(table, N, "GET", "/v1/customers/a/b", a, &m),
		  -ERR_NOTFOUND);
	CHECK_INT(route_match(table, N, "DELETE", "/v1/customers", a, &m),
		  -ERR_CONFLICT);
	CHECK(strstr(m.allow, "GET") != NULL);
	CHECK(strstr(m.allow, "POST") != NULL);
	CHECK_INT(route_match(table, N, "GET", "/v1/reports/acme/twilio", a,
			      &m), -ERR_CONFLICT);
	CHECK(strstr(m.allow, "POST") != NULL);
	CHECK_INT(route_match(table, N, "GET", "/v1/customers/%zz", a, &m),
		  -ERR_INVALID);
	CHECK_INT(route_match(table, N, "GET", "/v1/customers/a%00b", a, &m),
		  -ERR_INVALID);
	arena_free(a);
}

TEST(decoding)
{
	struct arena *a = arena_new();
	char *out = NULL;
	CHECK_INT(route_decode("a+b%20c%C3%A9", 13, 1, a, &out), 0);
	CHECK_STR(out, "a b c\xc3\xa9");
	CHECK_INT(route_decode("a+b", 3, 0, a, &out), 0);
	CHECK_STR(out, "a+b");
	out = NULL;
	CHECK_INT(route_decode("%4", 2, 0, a, &out), -ERR_INVALID);
	CHECK(out == NULL);
	arena_free(a);
}

int main(void)
{
	RUN(check_table);
	RUN(matching);
	RUN(decoding);
	return CHECK_DONE();
}
