/*
 * token: personal-link tokens and HMAC through libsodium (see token.h).
 *
 * libsodium is started once per process (pthread_once), whichever thread
 * asks first; every entry point that needs it checks the outcome.
 */
#include "token.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

static pthread_once_t token_once = PTHREAD_ONCE_INIT;
static int token_sodium_rc = -1; /* sodium_init's result; set once */

static void token_sodium_start(void)
{
	token_sodium_rc = sodium_init(); /* 0 started, 1 already was, -1 failed */
}

static int token_lib(struct err *e)
{
	pthread_once(&token_once, token_sodium_start);
	if (token_sodium_rc < 0)
		return err_set(e, ERR_IO, "token: libsodium failed to start");
	return 0;
}

int token_new(char ret_token[TOKEN_BUF], struct err *e)
{
	unsigned char raw[TOKEN_BYTES];
	char text[TOKEN_BUF];
	int r = token_lib(e);

	if (r < 0)
		return r;
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(text, sizeof(text), raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	memcpy(ret_token, text, TOKEN_BUF);
	sodium_memzero(text, sizeof(text));
	return 0;
}

static int b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* The 6-bit value of a base64url character (checked by the caller). */
static unsigned b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return (unsigned)(c - 'A');
	if (c >= 'a' && c <= 'z')
		return (unsigned)(c - 'a') + 26u;
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0') + 52u;
	return c == '-' ? 62u : 63u;
}

int token_parse(const char *s, size_t len, char ret_token[TOKEN_BUF],
		struct err *e)
{
	/* The message never quotes the token: it may be a real one with a
	 * typo, and messages end up in logs. */
	if (!s)
		return err_set(e, ERR_INVALID, "token: missing");
	for (size_t i = 0; i < len && i <= TOKEN_LEN; i++) {
		if (!b64url_char(s[i]))
			return err_set(e, ERR_INVALID,
				       "token: character at position %zu is "
				       "not base64url (A-Z a-z 0-9 - _)",
				       i + 1);
	}
	if (len != TOKEN_LEN)
		return err_set(e, ERR_INVALID,
			       "token: %zu characters, want %d%s", len,
			       TOKEN_LEN,
			       len > TOKEN_LEN ? " (position 44 is one too "
						 "many)" :
						 "");
	/* 43 characters carry 258 bits for 256: the last character's two
	 * low bits must be zero, or two spellings would name one token. */
	if (b64url_value(s[TOKEN_LEN - 1]) & 3u)
		return err_set(e, ERR_INVALID,
			       "token: character at position %d is not a "
			       "possible last character",
			       TOKEN_LEN);
	memcpy(ret_token, s, TOKEN_LEN);
	ret_token[TOKEN_LEN] = '\0';
	return 0;
}

int token_hash(const char *token, char ret_hex[TOKEN_HASH_BUF],
	       struct err *e)
{
	unsigned char h[crypto_hash_sha256_BYTES];
	char t[TOKEN_BUF];
	int r = token_lib(e);

	if (r < 0)
		return r;
	if (!token)
		return err_set(e, ERR_INVALID, "token: missing");
	r = token_parse(token, strnlen(token, TOKEN_LEN + 1), t, e);
	if (r < 0)
		return r;
	crypto_hash_sha256(h, (const unsigned char *)t, TOKEN_LEN);
	sodium_bin2hex(ret_hex, TOKEN_HASH_BUF, h, sizeof(h));
	sodium_memzero(t, sizeof(t));
	return 0;
}

int token_equal_hash(const char *token, const char *stored_hex)
{
	char hex[TOKEN_HASH_BUF];

	/* The stored hash's length is not secret; its content is compared
	 * in constant time. */
	if (!stored_hex || strnlen(stored_hex, TOKEN_HASH_BUF) != TOKEN_HASH_LEN)
		return 0;
	if (token_hash(token, hex, NULL) < 0)
		return 0;
	return sodium_memcmp(hex, stored_hex, TOKEN_HASH_LEN) == 0;
}

int hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
		    size_t msglen, char out[65])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	int r = token_lib(NULL);

	if (r < 0)
		return r;
	/* The init/update/final form takes a key of any length; the
	 * one-shot crypto_auth_hmacsha256 insists on 32 bytes. */
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, msg, msglen);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 65, mac, sizeof(mac));
	sodium_memzero(&st, sizeof(st));
	return 0;
}
