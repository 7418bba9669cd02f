/*
 * test_token: personal-link tokens (shape, randomness, strict parsing),
 * their stored SHA-256 and its comparison, and HMAC-SHA256 against the
 * RFC 4231 test vectors.
 *
 * The SHA-256 values were computed with an independent implementation
 * (Python's hashlib) from the same 43-character strings.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "token.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define CHECK_MSG(e, needle)                                                \
	do {                                                                \
		if (!strstr((e).msg, (needle))) {                           \
			printf("  %s:%d: message \"%s\" lacks \"%s\"\n",    \
			       __FILE__, __LINE__, (e).msg, (needle));      \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decode 43 base64url characters into 32 bytes (test's own decoder). */
static void decode(const char *t, unsigned char out[32])
{
	unsigned acc = 0, bits = 0;
	size_t n = 0;
	for (int i = 0; i < TOKEN_LEN; i++) {
		acc = (acc << 6) | (unsigned)(strchr(b64url, t[i]) - b64url);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n < 32)
				out[n++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
}

static int cmp_tokens(const void *a, const void *b)
{
	return strcmp(a, b);
}

TEST(test_token_new)
{
	enum { N = 2000 };
	static char toks[N][TOKEN_BUF];
	unsigned long ones = 0;
	struct err e;
	char t[TOKEN_BUF];

	for (int i = 0; i < N; i++) {
		CHECK_INT(token_new(toks[i], &e), 0);
		CHECK_INT(strlen(toks[i]), TOKEN_LEN);
		CHECK_INT(strspn(toks[i], b64url), TOKEN_LEN);
		/* what token_new makes, token_parse takes */
		CHECK_INT(token_parse(toks[i], strlen(toks[i]), t, &e), 0);
		CHECK_STR(t, toks[i]);
		unsigned char raw[32];
		decode(toks[i], raw);
		for (int k = 0; k < 32; k++)
			ones += (unsigned long)__builtin_popcount(raw[k]);
	}
	/* No two alike. */
	qsort(toks, N, TOKEN_BUF, cmp_tokens);
	int dups = 0;
	for (int i = 1; i < N; i++)
		dups += strcmp(toks[i - 1], toks[i]) == 0;
	CHECK_INT(dups, 0);
	/* Half the 512,000 bits set, give or take: 10 standard deviations
	 * (sd = sqrt(512000) / 2 ≈ 358) would be 1 in 10^23 for a fair
	 * source, while a stuck byte or a zeroed buffer is far outside. */
	long dev = (long)ones - (long)N * 256 / 2;
	CHECK(dev > -3580 && dev < 3580);
}

/* Several threads at once: libsodium is started once, tokens stay sound. */
static void *thread_tokens(void *arg)
{
	char(*out)[TOKEN_BUF] = arg;
	for (int i = 0; i < 100; i++)
		if (token_new(out[i], NULL) != 0)
			out[i][0] = '\0';
	return NULL;
}

TEST(test_token_threads)
{
	enum { T = 4, PER = 100 };
	static char toks[T * PER][TOKEN_BUF];
	pthread_t th[T];

	for (int i = 0; i < T; i++)
		CHECK_INT(pthread_create(&th[i], NULL, thread_tokens,
					 toks + i * PER), 0);
	for (int i = 0; i < T; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < T * PER; i++)
		CHECK_INT(token_parse(toks[i], strlen(toks[i]), toks[i], NULL), 0);
	qsort(toks, T * PER, TOKEN_BUF, cmp_tokens);
	int dups = 0;
	for (int i = 1; i < T * PER; i++)
		dups += strcmp(toks[i - 1], toks[i]) == 0;
	CHECK_INT(dups, 0);
}

TEST(test_token_parse)
{
	static const char good[] = "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA";
	static const struct {
		const char *s, *msg;
	} bad[] = {
		{ "", "0 characters, want 43" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o", "42 characters, want 43" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oAA", "44 characters, want 43 (position 44" },
		{ "3q2+7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA", "position 4 is not base64url" },
		{ "3q2-7/cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA", "position 6 is not base64url" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o=", "position 43 is not base64url" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA=", "position 44" },
		{ " q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA", "position 1 is not base64url" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o\n", "position 43 is not base64url" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8s\xc3\xbf" "TjLpR4eHdQkA0iV5oA", "position 24 is not base64url" },
		{ "3q2-7_cUxK%2FvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA", "position 11 is not base64url" },
		/* 43 characters carry 2 bits too many; they must be zero */
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oB", "position 43 is not a possible last character" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o_", "position 43 is not a possible last character" },
	};
	char t[TOKEN_BUF];
	struct err e;

	CHECK_INT(token_parse(good, strlen(good), t, &e), 0);
	CHECK_STR(t, good);
	/* A slice of a longer string, as from a URL path. */
	const char *url = "/p/3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA/pay";
	CHECK_INT(token_parse(url + 3, TOKEN_LEN, t, &e), 0);
	CHECK_STR(t, good);
	CHECK_INT(token_parse(url + 3, TOKEN_LEN + 1, t, &e), -ERR_INVALID);
	CHECK_MSG(e, "position 44 is not base64url");

	for (size_t i = 0; i < N_OF(bad); i++) {
		memcpy(t, "untouched", 10);
		CHECK_INT(token_parse(bad[i].s, strlen(bad[i].s), t, &e),
			  -ERR_INVALID);
		CHECK_MSG(e, bad[i].msg);
		CHECK_STR(t, "untouched");
		/* never echo the token */
		if (strlen(bad[i].s) > 20 && strstr(e.msg, "cUxKfW")) {
			printf("  message quotes the token: %s\n", e.msg);
			check_failed_here++;
		}
	}
	CHECK_INT(token_parse(NULL, 0, t, &e), -ERR_INVALID);

	/* Exactly the 16 canonical last characters pass. */
	int last_ok = 0;
	char s[TOKEN_BUF];
	memcpy(s, good, TOKEN_BUF);
	for (int i = 0; i < 64; i++) {
		s[TOKEN_LEN - 1] = b64url[i];
		if (token_parse(s, TOKEN_LEN, t, NULL) == 0) {
			last_ok++;
			CHECK_INT(i % 4, 0);
		}
	}
	CHECK_INT(last_ok, 16);
}

TEST(test_token_hash)
{
	static const struct {
		const char *token, *hex;
	} known[] = {
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		  "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a" },
		{ "3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5oA",
		  "54ffeac708287a456968c2a7caac1ed7ce7b39e9c866f67868360d7f7bd59e2f" },
	};
	char hex[TOKEN_HASH_BUF], tok[TOKEN_BUF];
	struct err e;

	for (size_t i = 0; i < N_OF(known); i++) {
		CHECK_INT(token_hash(known[i].token, hex, &e), 0);
		CHECK_STR(hex, known[i].hex);
		CHECK_INT(token_equal_hash(known[i].token, known[i].hex), 1);
	}

	/* A fresh token: 64 lower-case hex characters that match it and
	 * nothing else. */
	CHECK_INT(token_new(tok, &e), 0);
	CHECK_INT(token_hash(tok, hex, &e), 0);
	CHECK_INT(strlen(hex), TOKEN_HASH_LEN);
	CHECK_INT(strspn(hex, "0123456789abcdef"), TOKEN_HASH_LEN);
	CHECK_INT(token_equal_hash(tok, hex), 1);

	char other[TOKEN_HASH_BUF];
	memcpy(other, hex, sizeof(other));
	other[63] = other[63] == '0' ? '1' : '0';
	CHECK_INT(token_equal_hash(tok, other), 0);
	memcpy(other, hex, sizeof(other));
	other[0] = other[0] == '0' ? '1' : '0';
	CHECK_INT(token_equal_hash(tok, other), 0);
	/* stored hashes are lower case: upper case is someone else's */
	CHECK_INT(token_equal_hash(known[0].token,
				   "0F007385B6F9D4B7EEB2748605AFE1A984A0A3BFA3F014D09E2A784CE9E5CD1A"),
		  0);
	/* wrong lengths, a different token, malformed tokens */
	CHECK_INT(token_equal_hash(tok, ""), 0);
	CHECK_INT(token_equal_hash(tok, NULL), 0);
	memcpy(other, hex, sizeof(other));
	other[63] = '\0';
	CHECK_INT(token_equal_hash(tok, other), 0);
	char longer[TOKEN_HASH_BUF + 1];
	memcpy(longer, hex, TOKEN_HASH_LEN);
	memcpy(longer + TOKEN_HASH_LEN, "0", 2);
	CHECK_INT(token_equal_hash(tok, longer), 0);
	CHECK_INT(token_equal_hash(known[1].token, known[0].hex), 0);
	CHECK_INT(token_equal_hash("AAAA", known[0].hex), 0);
	CHECK_INT(token_equal_hash(NULL, known[0].hex), 0);

	/* The hash needs a well-formed token. */
	CHECK_INT(token_hash("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", hex, &e),
		  -ERR_INVALID);
	CHECK_MSG(e, "44 characters");
	CHECK_INT(token_hash("not a token", hex, &e), -ERR_INVALID);
	CHECK_MSG(e, "position 4");
	CHECK_INT(token_hash(NULL, hex, &e), -ERR_INVALID);
}

TEST(test_hmac)
{
	char out[65];
	unsigned char key[131];

	/* RFC 4231 test case 2: a key shorter than the block */
	const char *msg = "what do ya want for nothing?";
	CHECK_INT(hmac_sha256_hex("Jefe", 4, msg, strlen(msg), out), 0);
	CHECK_STR(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");

	/* test case 1: 20 bytes of 0x0b, "Hi There" */
	memset(key, 0x0b, 20);
	CHECK_INT(hmac_sha256_hex(key, 20, "Hi There", 8, out), 0);
	CHECK_STR(out, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");

	/* test case 3: 20 bytes of 0xaa, 50 bytes of 0xdd */
	unsigned char data[50];
	memset(key, 0xaa, 20);
	memset(data, 0xdd, sizeof(data));
	CHECK_INT(hmac_sha256_hex(key, 20, data, sizeof(data), out), 0);
	CHECK_STR(out, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");

	/* test case 6: a 131-byte key, longer than the block, is hashed */
	const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	memset(key, 0xaa, sizeof(key));
	CHECK_INT(hmac_sha256_hex(key, sizeof(key), m6, strlen(m6), out), 0);
	CHECK_STR(out, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");

	/* test case 7: long key and long message */
	const char *m7 = "This is a test using a larger than block-size key and a "
			 "larger than block-size data. The key needs to be hashed "
			 "before being used by the HMAC algorithm.";
	CHECK_INT(hmac_sha256_hex(key, sizeof(key), m7, strlen(m7), out), 0);
	CHECK_STR(out, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

int main(void)
{
	RUN(test_token_new);
	RUN(test_token_threads);
	RUN(test_token_parse);
	RUN(test_token_hash);
	RUN(test_hmac);
	return CHECK_DONE();
}
