/*
 * operator: accounts, logins and sessions of the console's operators (see
 * operator.h for the rules: argon2id hashes, failure limits, session
 * lengths). All SQL is in the store; this file decides who may in.
 *
 * It never logs or stores a password or a token, and never compares
 * secrets with memcmp/strcmp (libsodium verifies the password; sessions
 * are found by the SHA-256 of their token).
 */
#include "operator.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * What an unknown address is checked against, so that it costs what a
 * known one does. Made once with crypto_pwhash_str of a random password
 * at the parameters below (the unit test checks they match); nobody knows
 * a password that verifies against it, and it is never stored.
 */
static const char dummy_hash[crypto_pwhash_STRBYTES] =
	"$argon2id$v=19$m=65536,t=2,p=1$c1CxETr8GoaSfHuvZBGqEg$"
	"a4uCPRQ23rXSwS3k/rSynK8+Z2yFZ0Ezfj3Y3djyTQk";

#define OPS_LIMIT crypto_pwhash_OPSLIMIT_INTERACTIVE
#define MEM_LIMIT crypto_pwhash_MEMLIMIT_INTERACTIVE

static const char *const role_names[] = {
	[OPERATOR_AGENT] = "agent",
	[OPERATOR_MANAGER] = "manager",
	[OPERATOR_ADMIN] = "admin",
};

const char *operator_role_name(enum operator_role role)
{
	if ((unsigned)role >= sizeof(role_names) / sizeof(role_names[0]))
		return "agent";
	return role_names[role];
}

int operator_role_parse(const char *s, enum operator_role *ret,
			struct err *e)
{
	char q[ERR_QUOTE_BUF];
	for (size_t i = 0; i < sizeof(role_names) / sizeof(role_names[0]); i++)
		if (s && strcmp(s, role_names[i]) == 0) {
			*ret = (enum operator_role)i;
			return 0;
		}
	return err_set(e, ERR_INVALID, "role '%s': expected agent, manager or"
		       " admin", err_quote(s ? s : "", q));
}

static int sodium_ready(struct err *e)
{
	if (sodium_init() < 0)
		return err_set(e, ERR_IO, "libsodium cannot start");
	return 0;
}

/* RFC 5322 atext: what a dot-atom's parts may hold besides letters and
 * digits. */
static int is_atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+/=?^_`{|}~-", c) != NULL);
}

static int is_label_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int operator_email_check(const char *email,
			 char ret[OPERATOR_EMAIL_MAX + 1], struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *at, *p;
	size_t len = email ? strlen(email) : 0, labels = 0, label = 0;

	if (len == 0)
		return err_set(e, ERR_INVALID, "an e-mail address is needed");
	if (len > OPERATOR_EMAIL_MAX)
		return err_set(e, ERR_INVALID, "e-mail address '%s': longer"
			       " than %d bytes", err_quote(email, q),
			       OPERATOR_EMAIL_MAX);
	at = strrchr(email, '@');
	if (!at || at == email || at - email > 64)
		goto bad;
	/* local part: dot-atom */
	for (p = email; p < at; p++) {
		if (*p == '.') {
			if (p == email || p[1] == '.' || p + 1 == at)
				goto bad;
		} else if (!is_atext((unsigned char)*p)) {
			goto bad;
		}
	}
	/* domain: labels of 1..63, no '-' at either end, at least two */
	for (p = at + 1;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				goto bad;
			labels++;
			label = 0;
			if (*p == '\0')
				break;
			continue;
		}
		if (!is_label_char((unsigned char)*p) ||
		    (label == 0 && *p == '-'))
			goto bad;
		label++;
	}
	if (labels < 2)
		goto bad;
	for (size_t i = 0; i < len; i++)
		ret[i] = lower(email[i]);
	ret[len] = '\0';
	return 0;
bad:
	return err_set(e, ERR_INVALID, "e-mail address '%s': expected"
		       " name@example.org", err_quote(email, q));
}

/* Bytes of the UTF-8 character starting with byte c (1 for anything
 * malformed: then bytes are counted as characters). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

int operator_password_check(const char *password, struct err *e)
{
	size_t len = password ? strlen(password) : 0, chars = 0, first;
	int repeated = 1;

	if (len > OPERATOR_PASSWORD_MAX)
		return err_set(e, ERR_TOOBIG, "the password is longer than %d"
			       " bytes", OPERATOR_PASSWORD_MAX);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)password[i] & 0xc0) != 0x80)
			chars++;
	if (chars < OPERATOR_PASSWORD_MIN)
		return err_set(e, ERR_INVALID, "the password has %zu"
			       " characters; at least %d are needed", chars,
			       OPERATOR_PASSWORD_MIN);
	first = utf8_len((unsigned char)password[0]);
	if (first > len)
		first = 1;
	for (size_t i = first; i < len && repeated; i += first)
		repeated = i + first <= len &&
			   memcmp(password + i, password, first) == 0;
	if (repeated)
		return err_set(e, ERR_INVALID, "the password is one character"
			       " repeated; choose another");
	return 0;
}

static int name_check(const char *name, struct err *e)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0)
		return err_set(e, ERR_INVALID, "an operator needs a name"
			       " (--name)");
	if (len > OPERATOR_NAME_MAX)
		return err_set(e, ERR_INVALID, "the name is longer than %d"
			       " bytes", OPERATOR_NAME_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return err_set(e, ERR_INVALID, "the name holds a"
				       " control character at byte %zu",
				       i + 1);
	return 0;
}

int operator_add(struct store *s, int64_t tenant_id, const char *email,
		 const char *name, enum operator_role role,
		 const char *password, instant_t now, int64_t *ret_id,
		 struct err *e)
{
	char addr[OPERATOR_EMAIL_MAX + 1], hash[crypto_pwhash_STRBYTES];
	struct operator_rec o = { 0 };
	int64_t id = 0;
	int r;

	r = operator_email_check(email, addr, e);
	if (r == 0)
		r = name_check(name, e);
	if (r == 0)
		r = operator_password_check(password, e);
	if (r == 0)
		r = sodium_ready(e);
	if (r < 0)
		return r;
	if (crypto_pwhash_str(hash, password, strlen(password), OPS_LIMIT,
			      MEM_LIMIT) != 0)
		return err_set(e, ERR_IO, "hashing the password: out of"
			       " memory");
	o.tenant_id = tenant_id;
	o.email = addr;
	o.name = (char *)name;
	snprintf(o.role, sizeof(o.role), "%s", operator_role_name(role));
	o.created_at = now;
	r = store_begin(s, e);
	if (r == 0) {
		r = store_operator_insert(s, &o, hash, &id, e);
		if (r == -ERR_CONFLICT)
			err_set(e, ERR_CONFLICT, "the tenant has an operator"
				" with the e-mail address '%s' already", addr);
	}
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0)
		store_rollback(s);
	sodium_memzero(hash, sizeof(hash));
	if (r == 0)
		*ret_id = id;
	return r;
}

/* The address as looked up: lower-case, or "" when it cannot be one (too
 * long). Strict checking is for operator_add; a login only looks up. */
static void email_fold(const char *in, char out[OPERATOR_EMAIL_MAX + 1])
{
	size_t len = in ? strlen(in) : 0;
	if (len > OPERATOR_EMAIL_MAX)
		len = 0;
	for (size_t i = 0; i < len; i++)
		out[i] = lower(in[i]);
	out[len] = '\0';
}

/* Whole minutes, at least 1, until `until`. */
static long minutes_until(instant_t until, instant_t now)
{
	instant_t left = until - now;
	long m = left > 0 ? (long)((left + 59) / 60) : 1;
	return m < 1 ? 1 : m;
}

/* Over a failure limit? -ERR_TOOBIG with the message then. */
static int login_limited(struct store *s, int64_t tenant_id,
			 const char *email, const char *remote, instant_t now,
			 struct err *e)
{
	int64_t by_email = 0, by_remote = 0;
	instant_t oldest_email = 0, oldest_remote = 0, until = 0;
	int r = store_login_failures_count(s, tenant_id, email, remote,
					   /* a failure counts for the
					      window's length exactly */
					   now - OPERATOR_FAIL_WINDOW + 1,
					   &by_email, &oldest_email,
					   &by_remote, &oldest_remote, e);
	if (r < 0)
		return r;
	if (by_email >= OPERATOR_FAIL_EMAIL_MAX)
		until = oldest_email + OPERATOR_FAIL_WINDOW;
	if (*remote && by_remote >= OPERATOR_FAIL_REMOTE_MAX &&
	    oldest_remote + OPERATOR_FAIL_WINDOW > until)
		until = oldest_remote + OPERATOR_FAIL_WINDOW;
	if (!until)
		return 0;
	long m = minutes_until(until, now);
	return err_set(e, ERR_TOOBIG, "too many attempts; try again in %ld"
		       " minute%s", m, m == 1 ? "" : "s");
}

/* Record a failed login (and forget old ones) in one transaction. */
static int login_failed(struct store *s, int64_t tenant_id, const char *email,
			const char *remote, instant_t now, struct err *e)
{
	int r = store_begin(s, e);
	if (r == 0)
		r = store_login_failure_add(s, tenant_id, email, remote, now, e);
	if (r == 0)
		r = store_login_failures_prune(s, tenant_id,
					       now - OPERATOR_FAIL_KEEP, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	return err_set(e, ERR_NOTFOUND, OPERATOR_LOGIN_FAILED);
}

/* A new session for operator `o`: its token to ret_token. */
static int session_open(struct store *s, const struct operator_rec *o,
			instant_t now, char ret_token[TOKEN_BUF],
			struct err *e)
{
	struct operator_session_rec ses = { 0 };
	unsigned char key[32];
	char token[TOKEN_BUF];
	int r = token_new(token, e);

	if (r == 0)
		r = token_hash(token, ses.token_hash, e);
	if (r < 0)
		goto out;
	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(ses.csrf_key, sizeof(ses.csrf_key), key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	ses.tenant_id = o->tenant_id;
	ses.operator_id = o->id;
	ses.created_at = now;
	ses.last_seen = now;
	ses.expires_at = now + OPERATOR_SESSION_SECONDS;
	r = store_begin(s, e);
	/* the operator's expired sessions go as a new one comes */
	if (r == 0)
		r = store_sessions_end(s, o->tenant_id, o->id, now,
				       OPERATOR_IDLE_SECONDS, e);
	if (r == 0)
		r = store_session_insert(s, &ses, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		goto out;
	}
	memcpy(ret_token, token, TOKEN_BUF);
out:
	sodium_memzero(token, sizeof(token));
	sodium_memzero(ses.csrf_key, sizeof(ses.csrf_key));
	return r;
}

int operator_login(struct store *s, int64_t tenant_id, const char *email,
		   const char *password, const char *remote_addr,
		   instant_t now, char ret_token[TOKEN_BUF],
		   struct operator_rec *ret_operator, struct err *e)
{
	char addr[OPERATOR_EMAIL_MAX + 1], remote[OPERATOR_REMOTE_MAX + 1];
	struct operator_rec o = { 0 };
	char *hash = NULL, stored[crypto_pwhash_STRBYTES];
	size_t pwlen = password ? strlen(password) : 0;
	int r, found, ok;

	r = sodium_ready(e);
	if (r < 0)
		return r;
	email_fold(email, addr);
	snprintf(remote, sizeof(remote), "%s", remote_addr ? remote_addr : "");
	r = login_limited(s, tenant_id, addr, remote, now, e);
	if (r < 0)
		return r;
	r = *addr ? store_operator_find(s, tenant_id, addr, &o, &hash, e)
		  : -ERR_NOTFOUND;
	if (r < 0 && r != -ERR_NOTFOUND)
		return r;
	found = r == 0;
	/* libsodium reads a whole crypto_pwhash_STRBYTES buffer */
	memset(stored, 0, sizeof(stored));
	if (found && strlen(hash) < sizeof(stored))
		memcpy(stored, hash, strlen(hash));
	else
		memcpy(stored, dummy_hash, sizeof(stored));
	if (pwlen > OPERATOR_PASSWORD_MAX)
		pwlen = OPERATOR_PASSWORD_MAX; /* fails: never that long */
	/* the same work whether or not the address is known */
	ok = crypto_pwhash_str_verify(stored, password ? password : "",
				      pwlen) == 0;
	ok = ok && found && !o.disabled &&
	     (!password || strlen(password) <= OPERATOR_PASSWORD_MAX);
	free(hash);
	if (!ok) {
		operator_rec_clear(&o);
		return login_failed(s, tenant_id, addr, remote, now, e);
	}
	r = session_open(s, &o, now, ret_token, e);
	if (r < 0) {
		operator_rec_clear(&o);
		return r;
	}
	*ret_operator = o;
	return 0;
}

/* The hash of a cookie's token; -ERR_NOTFOUND when it is no token. */
static int cookie_hash(const char *token, char ret[TOKEN_HASH_BUF],
		       struct err *e)
{
	char t[TOKEN_BUF];
	size_t len = token ? strnlen(token, TOKEN_LEN + 1) : 0;
	if (len != TOKEN_LEN || token_parse(token, len, t, NULL) < 0 ||
	    token_hash(t, ret, NULL) < 0)
		return err_set(e, ERR_NOTFOUND, "no such session");
	return 0;
}

int operator_session(struct store *s, const char *token, instant_t now,
		     struct operator_rec *ret_operator,
		     char ret_csrf_hex[OPERATOR_CSRF_BUF], struct err *e)
{
	char hash[TOKEN_HASH_BUF];
	struct operator_session_rec ses;
	struct operator_rec o = { 0 };
	int r = cookie_hash(token, hash, e);

	if (r < 0)
		return r;
	r = store_session_find(s, hash, &ses, &o, e);
	if (r < 0)
		return r;
	if (now >= ses.expires_at ||
	    now - ses.last_seen > OPERATOR_IDLE_SECONDS) {
		operator_rec_clear(&o);
		r = store_session_delete(s, hash, e);
		return r < 0 ? r : err_set(e, ERR_NOTFOUND, "the session has"
					   " expired; log in again");
	}
	if (o.disabled) {
		operator_rec_clear(&o);
		return err_set(e, ERR_NOTFOUND, "no such session");
	}
	if (now - ses.last_seen >= OPERATOR_TOUCH_SECONDS) {
		r = store_session_touch(s, hash, now, e);
		if (r < 0) {
			operator_rec_clear(&o);
			return r;
		}
	}
	memcpy(ret_csrf_hex, ses.csrf_key, OPERATOR_CSRF_BUF);
	*ret_operator = o;
	sodium_memzero(ses.csrf_key, sizeof(ses.csrf_key));
	return 0;
}

int operator_logout(struct store *s, const char *token, struct err *e)
{
	char hash[TOKEN_HASH_BUF];
	if (cookie_hash(token, hash, NULL) < 0)
		return 0;
	return store_session_delete(s, hash, e);
}

int operator_list(struct store *s, int64_t tenant_id,
		  struct operator_rec **ret, size_t *ret_n, struct err *e)
{
	return store_operator_list(s, tenant_id, ret, ret_n, e);
}

int operator_disable(struct store *s, int64_t tenant_id, const char *email,
		     struct err *e)
{
	char addr[OPERATOR_EMAIL_MAX + 1], q[ERR_QUOTE_BUF];
	struct operator_rec o = { 0 };
	int found = 0;
	int r;

	email_fold(email, addr);
	r = store_begin(s, e);
	if (r == 0)
		r = store_operator_set_disabled(s, tenant_id, addr, 1, &found,
						e);
	if (r == 0 && !found)
		r = err_set(e, ERR_NOTFOUND, "no operator with the e-mail"
			    " address '%s'", err_quote(email ? email : "", q));
	if (r == 0)
		r = store_operator_find(s, tenant_id, addr, &o, NULL, e);
	if (r == 0)
		r = store_sessions_end(s, tenant_id, o.id, 0, 0, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0)
		store_rollback(s);
	operator_rec_clear(&o);
	return r;
}
