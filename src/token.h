/*
 * token: unguessable personal-link tokens, and HMAC for signed webhooks.
 *
 * A case's personal page is reached by a link holding a token of 256 random
 * bits (libsodium's CSPRNG) written base64url without padding: 43 characters
 * that survive URLs, mail clients and QR codes unchanged. Only the token's
 * SHA-256 is ever stored (token_hash), so a leaked database does not open
 * anyone's page; a request's token is hashed and compared in constant time.
 *
 * This module never logs or stores a token itself, and never compares
 * secrets with memcmp/strcmp.
 */
#ifndef DUNWELL_TOKEN_H
#define DUNWELL_TOKEN_H

#include <stddef.h>

#include "err.h"

#define TOKEN_BYTES 32          /* random bits / 8 */
#define TOKEN_LEN 43            /* base64url characters, no padding */
#define TOKEN_BUF (TOKEN_LEN + 1)
#define TOKEN_HASH_LEN 64       /* SHA-256 as lower-case hex */
#define TOKEN_HASH_BUF (TOKEN_HASH_LEN + 1)

/* A new token: 32 bytes from randombytes_buf, base64url without padding,
 * NUL-terminated. -ERR_IO (message set) only if libsodium cannot start. */
int token_new(char ret_token[TOKEN_BUF], struct err *e);

/* Accept exactly 43 base64url characters (A-Z a-z 0-9 - _) in s[0..len),
 * the last one canonical (its 2 unused bits zero), and copy them to
 * ret_token with a NUL. Anything else is -ERR_INVALID naming the 1-based
 * position of the first bad character (or the length); ret_token is
 * untouched on failure. `s` need not be NUL-terminated (a slice of a URL). */
int token_parse(const char *s, size_t len, char ret_token[TOKEN_BUF],
		struct err *e);

/* SHA-256 of the token's 43 characters as 64 lower-case hex characters:
 * the only form a token is stored in. The token must pass token_parse. */
int token_hash(const char *token, char ret_hex[TOKEN_HASH_BUF],
	       struct err *e);

/* 1 when `token` is well-formed and hashes to `stored_hex` (64 lower-case
 * hex characters), 0 otherwise. The hashes are compared in constant time
 * (sodium_memcmp). */
int token_equal_hash(const char *token, const char *stored_hex);

/* HMAC-SHA256 of msg under key (any length; keys over 64 bytes are hashed
 * first, as RFC 2104 says) as 64 lower-case hex characters, NUL-terminated.
 * For signing outgoing webhooks. -ERR_IO only if libsodium cannot start. */
int hmac_sha256_hex(const void *key, size_t keylen, const void *msg,
		    size_t msglen, char out[65]);

#endif
