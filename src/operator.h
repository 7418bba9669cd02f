/*
 * operator: the company's people in the console — accounts, passwords,
 * logins and sessions (issue #9).
 *
 * An operator belongs to one tenant and logs in with an e-mail address
 * (kept lower-case, unique per tenant) and a password. Only libsodium's
 * crypto_pwhash_str string of the password is stored: argon2id at
 * OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (2 passes over 64 MiB, about
 * 0.1 s here). MODERATE (256 MiB, about 0.7 s) was not chosen: a login
 * form is an online, unauthenticated endpoint on servers shared with the
 * portal, where 256 MiB per attempt in flight would let a handful of
 * requests exhaust memory, while guessing is already bounded by the
 * failure limits below; INTERACTIVE is what libsodium recommends for
 * interactive logins.
 *
 * A login refuses, without looking at the password, once the tenant has
 * OPERATOR_FAIL_EMAIL_MAX failures for the address or
 * OPERATOR_FAIL_REMOTE_MAX from the remote address within
 * OPERATOR_FAIL_WINDOW seconds (recorded in the store, so the limits hold
 * across every process); refused attempts are not recorded, so the block
 * lifts OPERATOR_FAIL_WINDOW after the oldest failure counted. A wrong
 * address, a wrong password and a disabled account get the same message,
 * and an unknown address is checked against a dummy hash of the same cost,
 * so neither the answer nor its time tells which addresses exist.
 *
 * A session is a token of 256 random bits (token.h; its cookie holds the
 * token, the store only its SHA-256) with a CSRF key of its own. It ends
 * OPERATOR_SESSION_SECONDS after the login, after OPERATOR_IDLE_SECONDS
 * without a request, at logout, or when its operator is disabled.
 *
 * Transactions: call these outside a transaction. Each call that writes
 * more than one row makes its own transaction; the others write one
 * statement (a transaction of its own). Password hashing and verification
 * happen outside any transaction (they take a tenth of a second).
 *
 * This module never logs or stores a password or a token, and never
 * compares secrets with memcmp/strcmp.
 */
#ifndef DUNWELL_OPERATOR_H
#define DUNWELL_OPERATOR_H

#include <stdint.h>

#include "date.h"
#include "err.h"
#include "store.h"
#include "token.h"

#define OPERATOR_EMAIL_MAX 254          /* bytes of an address */
#define OPERATOR_NAME_MAX 128           /* bytes of a display name */
#define OPERATOR_PASSWORD_MIN 12        /* characters (UTF-8 code points) */
#define OPERATOR_PASSWORD_MAX 1024      /* bytes */
#define OPERATOR_REMOTE_MAX 64          /* bytes of a remote address kept */
#define OPERATOR_SESSION_SECONDS (12 * 3600) /* absolute session length */
#define OPERATOR_IDLE_SECONDS (30 * 60)      /* idle session length */
#define OPERATOR_TOUCH_SECONDS 60       /* last_seen is written at most
					   this often */
#define OPERATOR_FAIL_WINDOW (15 * 60)  /* failures count this long */
#define OPERATOR_FAIL_EMAIL_MAX 5       /* failures per address ... */
#define OPERATOR_FAIL_REMOTE_MAX 20     /* ... and per remote address */
#define OPERATOR_FAIL_KEEP (24 * 3600)  /* failures are pruned after this */
#define OPERATOR_CSRF_BUF 65            /* 32 random bytes as hex + NUL */

/* The one message for a wrong address, password or disabled account. */
#define OPERATOR_LOGIN_FAILED "wrong e-mail address or password"

enum operator_role {
	OPERATOR_AGENT,   /* works the queue and cases */
	OPERATOR_MANAGER, /* also strategies, experiments, reports */
	OPERATOR_ADMIN,   /* also operators and settings */
};

/* "agent", "manager", "admin". */
const char *operator_role_name(enum operator_role role);
/* The role named `s`; -ERR_INVALID naming the choices otherwise. */
int operator_role_parse(const char *s, enum operator_role *ret,
			struct err *e);

/* Check a plausible addr-spec (local@domain.tld: dot-atoms of ASCII,
 * domain labels of letters, digits and '-', at most OPERATOR_EMAIL_MAX
 * bytes) and write it lower-case to ret; -ERR_INVALID otherwise. */
int operator_email_check(const char *email,
			 char ret[OPERATOR_EMAIL_MAX + 1], struct err *e);

/* Check a new password: at least OPERATOR_PASSWORD_MIN characters, at
 * most OPERATOR_PASSWORD_MAX bytes, not one character repeated;
 * -ERR_INVALID (or -ERR_TOOBIG) with a message that never quotes it. */
int operator_password_check(const char *password, struct err *e);

/* Add an operator to the tenant: the address checked and lower-cased,
 * the name (1..OPERATOR_NAME_MAX bytes, no control characters), the
 * password checked and hashed. -ERR_CONFLICT when the tenant has an
 * operator with that address. One transaction. */
int operator_add(struct store *s, int64_t tenant_id, const char *email,
		 const char *name, enum operator_role role,
		 const char *password, instant_t now, int64_t *ret_id,
		 struct err *e);

/* Log in: on success a new session's token (for the cookie) in
 * ret_token and the operator in *ret_operator (strings owned: clear with
 * operator_rec_clear). -ERR_TOOBIG "too many attempts; try again in N
 * minutes" when over a failure limit (the password is not checked);
 * -ERR_NOTFOUND OPERATOR_LOGIN_FAILED for a wrong address or password or
 * a disabled account (the failure is recorded). remote_addr may be NULL
 * (""). */
int operator_login(struct store *s, int64_t tenant_id, const char *email,
		   const char *password, const char *remote_addr,
		   instant_t now, char ret_token[TOKEN_BUF],
		   struct operator_rec *ret_operator, struct err *e);

/* The session of `token` (a cookie's value, any text) at `now`: its
 * operator (owned, as above) and CSRF key (64 hex characters).
 * -ERR_NOTFOUND when the token is malformed or unknown, the session has
 * expired (absolute or idle: it is then removed) or its operator is
 * disabled. Moves the session's last_seen when it is
 * OPERATOR_TOUCH_SECONDS old or more. */
int operator_session(struct store *s, const char *token, instant_t now,
		     struct operator_rec *ret_operator,
		     char ret_csrf_hex[OPERATOR_CSRF_BUF], struct err *e);

/* End the session of `token`; an unknown or malformed token is fine. */
int operator_logout(struct store *s, const char *token, struct err *e);

/* The tenant's operators by address (operator_list_free). */
int operator_list(struct store *s, int64_t tenant_id,
		  struct operator_rec **ret, size_t *ret_n, struct err *e);

/* Disable the tenant's operator with `email` and end their sessions (one
 * transaction); -ERR_NOTFOUND when there is none. */
int operator_disable(struct store *s, int64_t tenant_id, const char *email,
		     struct err *e);

#endif
