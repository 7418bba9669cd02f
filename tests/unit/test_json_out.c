/*
 * test_json_out: the JSON writer of src/json_out.c — escapes as jansson's
 * compact output has them, UTF-8 passed through when well-formed and
 * replaced when not, so that jansson reads back exactly what was written
 * (checked here with jansson itself), and the buffer's bound.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "check.h"
#include "json_out.h"

/* json_out_str of s, as a NUL-terminated string in out. */
static const char *str_of(const char *s, char *out, size_t cap)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	CHECK_INT(json_out_str(&b, s), 0);
	snprintf(out, cap, "%.*s", (int)b.len, (const char *)b.data);
	buf_free(&b);
	return out;
}

/* What jansson's compact dump of the string s gives. */
static const char *jansson_of(const char *s, char *out, size_t cap)
{
	json_t *v = json_string(s);
	char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(out, cap, "%s", t ? t : "(null)");
	free(t);
	json_decref(v);
	return out;
}

TEST(test_same_as_jansson)
{
	static const char *const cases[] = {
		"", "INV-1", "quote \" backslash \\ slash /",
		"tab\tnewline\nreturn\rback\bfeed\f", "\x01\x1f control",
		"Café Ölçü € 日本 😀", "<script>&amp;</script>",
	};
	char a[256], b[256];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(str_of(cases[i], a, sizeof(a)),
			  jansson_of(cases[i], b, sizeof(b)));
}

TEST(test_bad_utf8_replaced)
{
	char a[128];
	/* a lone continuation byte, a truncated sequence, an overlong "/",
	 * a surrogate, beyond U+10FFFF */
	CHECK_STR(str_of("a\x80z", a, sizeof(a)), "\"a\\uFFFDz\"");
	CHECK_STR(str_of("a\xC3", a, sizeof(a)), "\"a\\uFFFD\"");
	CHECK_STR(str_of("\xC0\xAF", a, sizeof(a)), "\"\\uFFFD\\uFFFD\"");
	CHECK_STR(str_of("\xED\xA0\x80", a, sizeof(a)),
		  "\"\\uFFFD\\uFFFD\\uFFFD\"");
	CHECK_STR(str_of("\xF4\x90\x80\x80", a, sizeof(a)),
		  "\"\\uFFFD\\uFFFD\\uFFFD\\uFFFD\"");
	/* and jansson reads it back */
	json_t *v = json_loads(str_of("x\xFFy", a, sizeof(a)),
			       JSON_DECODE_ANY, NULL);
	CHECK(v && json_is_string(v));
	CHECK_STR(v ? json_string_value(v) : "", "x\xEF\xBF\xBDy");
	json_decref(v);
}

TEST(test_object_round_trip)
{
	struct buf b;
	json_t *v;
	buf_init(&b, 1 << 16);
	CHECK_INT(buf_putc(&b, '{'), 0);
	CHECK_INT(json_out_kstr(&b, "id", "INV \"1\"", 1), 0);
	CHECK_INT(json_out_kint(&b, "amount", -9223372036854775807LL - 1, 0), 0);
	CHECK_INT(json_out_kint(&b, "open", 7995, 0), 0);
	CHECK_INT(json_out_kbool(&b, "disputed", 0, 0), 0);
	CHECK_INT(json_out_kbool(&b, "paid", 1, 0), 0);
	CHECK_INT(buf_putc(&b, '}'), 0);
	CHECK_INT(buf_putc(&b, '\0'), 0);
	CHECK_STR((const char *)b.data,
		  "{\"id\":\"INV \\\"1\\\"\",\"amount\":-9223372036854775808,"
		  "\"open\":7995,\"disputed\":false,\"paid\":true}");
	v = json_loads((const char *)b.data, 0, NULL);
	CHECK(v != NULL);
	CHECK_STR(json_string_value(json_object_get(v, "id")), "INV \"1\"");
	CHECK(json_integer_value(json_object_get(v, "open")) == 7995);
	json_decref(v);
	buf_free(&b);
}

TEST(test_bound)
{
	struct buf b;
	buf_init(&b, 8);
	CHECK_INT(json_out_str(&b, "abc"), 0);      /* "abc" = 5 bytes */
	CHECK(json_out_str(&b, "defgh") < 0);       /* would pass 8 */
	CHECK(b.len <= 8);
	buf_free(&b);
}

int main(void)
{
	RUN(test_same_as_jansson);
	RUN(test_bad_utf8_replaced);
	RUN(test_object_round_trip);
	RUN(test_bound);
	return CHECK_DONE();
}
