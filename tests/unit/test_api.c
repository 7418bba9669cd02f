/* test_api: the JSON API's pure parts (scopes, keys, rate limits) and the
 * check that docs/openapi.json (as built in) lists every /v1 route of
 * serve.c's table with its method, and nothing else. */
#include "check.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "../../src/api.h"
#include "../../src/embed.h"
#include "../../src/serve.h"

static void test_scopes(void)
{
	unsigned bits = 0;
	char text[32];
	struct err e;

	CHECK(api_scopes_parse("read", &bits, text, &e) == 0);
	CHECK(bits == API_SCOPE_READ);
	CHECK_STR(text, "read");
	CHECK(api_scopes_parse("write,read", &bits, text, &e) == 0);
	CHECK_STR(text, "read write");
	CHECK(api_scopes_parse(NULL, &bits, text, &e) == 0);
	CHECK(bits == (API_SCOPE_READ | API_SCOPE_WRITE));
	CHECK(api_scopes_parse("read,root", &bits, text, &e) == -ERR_INVALID);
	CHECK(strstr(e.msg, "root") != NULL);
}

static void test_key(void)
{
	char key[API_KEY_BUF], prefix[API_KEY_SHOWN + 1], hash[TOKEN_HASH_BUF];
	char again[TOKEN_HASH_BUF];
	struct err e;

	CHECK(api_key_new(key, prefix, hash, &e) == 0);
	CHECK(strlen(key) == API_KEY_LEN);
	CHECK(strncmp(key, "dw_live_", 8) == 0);
	CHECK(strncmp(key + 8, prefix, API_KEY_SHOWN) == 0);
	api_sha256_hex(key, strlen(key), again);
	CHECK_STR(hash, again);
	/* SHA-256 of "abc" */
	api_sha256_hex("abc", 3, again);
	CHECK_STR(again, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* The token bucket: a burst of 2 s worth, then one request per 1/rate s;
 * keys have their own buckets; Retry-After rounds up to whole seconds. */
static void test_rate(void)
{
	static struct api_rate r; /* big: not on the stack */
	const char *k1 = "aaa1000000000000000000000000000000000000000000000000000000000000";
	const char *k2 = "aaa2000000000000000000000000000000000000000000000000000000000000";
	double rate = 0;
	int after = 0, passed = 0;
	struct err e;

	CHECK(api_rate_parse(NULL, &rate, &e) == 0 && rate == API_RATE_DEFAULT);
	CHECK(api_rate_parse("5", &rate, &e) == 0 && rate == 5);
	CHECK(api_rate_parse("0", &rate, &e) == -ERR_INVALID);
	CHECK(api_rate_parse("5x", &rate, &e) == -ERR_INVALID);
	CHECK(strstr(e.msg, API_RATE_ENV) != NULL);

	api_rate_init(&r, 5);
	for (int i = 0; i < 20; i++)
		if (api_rate_take(&r, k1, 100.0, &after) == 0)
			passed++;
	CHECK(passed == 10); /* burst: 2 seconds of 5 */
	CHECK(api_rate_take(&r, k1, 100.0, &after) == -ERR_TOOBIG);
	CHECK(after == 1);
	/* another key (same home slot) is not held back */
	CHECK(api_rate_take(&r, k2, 100.0, &after) == 0);
	/* 0.2 s later one more token */
	CHECK(api_rate_take(&r, k1, 100.2, &after) == 0);
	CHECK(api_rate_take(&r, k1, 100.2, &after) == -ERR_TOOBIG);
	/* a long pause refills to the burst, no more */
	passed = 0;
	for (int i = 0; i < 20; i++)
		if (api_rate_take(&r, k1, 1000.0, &after) == 0)
			passed++;
	CHECK(passed == 10);
	api_rate_destroy(&r);

	/* a slow rate: the wait is more than a second */
	api_rate_init(&r, 1);
	CHECK(api_rate_take(&r, k1, 0.5, &after) == 0);
	CHECK(api_rate_take(&r, k1, 0.5, &after) == 0);
	CHECK(api_rate_take(&r, k1, 0.5, &after) == -ERR_TOOBIG);
	CHECK(after == 1);
	api_rate_destroy(&r);
}

static void test_openapi_covers_routes(void)
{
	const struct embedded_file *f = embed_find("docs/openapi.json");
	const struct route *rt;
	json_t *doc, *paths, *item, *opv;
	const char *path, *method;
	size_t n, listed = 0, v1 = 0;
	char lower[8];

	CHECK(f != NULL);
	if (!f)
		return;
	doc = json_loadb(f->data, f->len, 0, NULL);
	CHECK(doc != NULL);
	paths = json_object_get(doc, "paths");
	CHECK(json_is_object(paths));
	rt = serve_route_table(&n);
	for (size_t i = 0; i < n; i++) {
		size_t k;
		if (strncmp(rt[i].pattern, "/v1/", 4) != 0)
			continue;
		v1++;
		for (k = 0; rt[i].method[k] && k + 1 < sizeof(lower); k++)
			lower[k] = (char)tolower((unsigned char)rt[i].method[k]);
		lower[k] = '\0';
		item = json_object_get(paths, rt[i].pattern);
		if (!item || !json_object_get(item, lower))
			fprintf(stderr, "not in openapi.json: %s %s\n",
				rt[i].method, rt[i].pattern);
		CHECK(item && json_object_get(item, lower));
	}
	/* and every operation of the document is a route */
	json_object_foreach(paths, path, item) {
		json_object_foreach(item, method, opv) {
			int found = 0;
			(void)opv;
			listed++;
			for (size_t i = 0; i < n; i++)
				if (strcmp(rt[i].pattern, path) == 0 &&
				    strcasecmp(rt[i].method, method) == 0)
					found = 1;
			if (!found)
				fprintf(stderr, "not a route: %s %s\n", method,
					path);
			CHECK(found);
		}
	}
	CHECK(listed == v1);
	CHECK(v1 >= 12);
	json_decref(doc);
}

int main(void)
{
	RUN(test_scopes);
	RUN(test_key);
	RUN(test_rate);
	RUN(test_openapi_covers_routes);
	return CHECK_DONE();
}
