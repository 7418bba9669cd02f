/*
 * test_operator: the console's operators, logins and sessions (operator.c)
 * and the store functions of migration 0011 (case notes, the agents'
 * queue), on every backend.
 *
 * Each test runs once on SQLite (a fresh file in a temporary folder) and,
 * when DUNWELL_PG_URL names a PostgreSQL server (tests/pg_cluster.sh
 * exports it), once more on PostgreSQL in a database of its own
 * (dunwell_operator_<pid>, created here and dropped at the end). Each test
 * works in tenants of its own. Time is passed in (`now`), so expiry and
 * rate limits are tested by passing later instants, never by waiting.
 *
 * operator.c is included to reach its dummy hash (unit tests may include
 * the module's .c, see STYLE.md).
 */
#include "operator.c"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "date.h"
#include "err.h"
#include "store.h"

/* The backend under test. */
struct backend_env {
	const char *name;   /* "sqlite" or "pg", for messages */
	char target[1024];  /* what store_open is given */
};

static struct backend_env sqlite_env = { .name = "sqlite" };
static struct backend_env pg_env = { .name = "pg" };

static const char PW[] = "correct horse battery";

static date_t ymd(int y, int m, int d)
{
	return date_from_ymd(y, m, d);
}

/* y-m-d at h:mi:00 UTC. */
static instant_t at(int y, int m, int d, int h, int mi)
{
	return instant_from_date(ymd(y, m, d)) + h * 3600 + mi * 60;
}

/* Print the message when a call did not return `want`. */
#define CHECK_RC(call, want)                                              \
	do {                                                              \
		int rc_ = (call);                                         \
		if (rc_ != (want))                                        \
			printf("  %s:%d: %s\n", __FILE__, __LINE__, e.msg); \
		CHECK_INT(rc_, want);                                     \
	} while (0)

static struct store *open_store(const struct backend_env *env)
{
	struct store *s = NULL;
	struct err e = { "" };
	if (store_open(env->target, &s, &e) < 0) {
		printf("  %s: %s\n", env->name, e.msg);
		CHECK(!"store opens");
		return NULL;
	}
	return s;
}

static int64_t tenant(struct store *s, const char *slug)
{
	struct err e = { "" };
	int64_t id = 0;
	CHECK_RC(store_tenant_ensure(s, slug, slug, "UTC", "en", &id, &e), 0);
	return id;
}

/* ---- accounts ---- */

static void add(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct operator_rec *list = NULL;
	struct err e = { "" };
	instant_t now = at(2026, 11, 2, 9, 0);
	int64_t t, id = 0, id2 = 0;
	char *hash = NULL;
	struct operator_rec o = { 0 };
	size_t n = 0;
	enum operator_role role;

	if (!s)
		return;
	t = tenant(s, "op_add");
	CHECK_RC(operator_add(s, t, "Ann.Smith@Example.ORG", "Ann Smith",
			      OPERATOR_MANAGER, PW, now, &id, &e), 0);
	CHECK(id > 0);
	/* the same address in any case is taken */
	CHECK_INT(operator_add(s, t, "ann.smith@example.org", "Ann again",
			       OPERATOR_AGENT, PW, now, &id2, &e),
		  -ERR_CONFLICT);
	CHECK_STR(e.msg, "the tenant has an operator with the e-mail address"
		  " 'ann.smith@example.org' already");
	CHECK_INT(id2, 0);
	CHECK_INT(operator_add(s, t, "bob@example.org", "Bob", OPERATOR_AGENT,
			       "short pw", now, &id2, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "the password has 8 characters; at least 12 are"
		  " needed");
	CHECK_INT(operator_add(s, t, "bob@example.org", "Bob", OPERATOR_AGENT,
			       "xxxxxxxxxxxxxxxxxxxx", now, &id2, &e),
		  -ERR_INVALID);
	CHECK(strstr(e.msg, "one character repeated") != NULL);
	/* 12 characters, not bytes: 11 two-byte characters are too few */
	CHECK_INT(operator_password_check("\xc3\xa9\xc3\xa8\xc3\xa9\xc3\xa8"
					  "\xc3\xa9\xc3\xa8\xc3\xa9\xc3\xa8"
					  "\xc3\xa9\xc3\xa8\xc3\xa9", &e),
		  -ERR_INVALID);
	CHECK_INT(operator_password_check("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
					  "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", &e),
		  -ERR_INVALID);
	CHECK_RC(operator_password_check("abababababab", &e), 0);
	CHECK_INT(operator_add(s, t, "bob@localhost", "Bob", OPERATOR_AGENT, PW,
			       now, &id2, &e), -ERR_INVALID);
	CHECK_INT(operator_add(s, t, "bob..x@example.org", "Bob",
			       OPERATOR_AGENT, PW, now, &id2, &e),
		  -ERR_INVALID);
	CHECK_INT(operator_add(s, t, "bob@-example.org", "Bob", OPERATOR_AGENT,
			       PW, now, &id2, &e), -ERR_INVALID);
	CHECK_INT(operator_add(s, t, "bob@example.org", "", OPERATOR_AGENT, PW,
			       now, &id2, &e), -ERR_INVALID);
	CHECK_INT(operator_add(s, t, "bob@example.org", "Bob\n",
			       OPERATOR_AGENT, PW, now, &id2, &e),
		  -ERR_INVALID);
	CHECK_RC(operator_add(s, t, "bob+console@mail.example.org", "Bob",
			      OPERATOR_ADMIN, PW, now + 60, &id2, &e), 0);
	CHECK(id2 > id);

	CHECK_RC(operator_list(s, t, &list, &n, &e), 0);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(list[0].email, "ann.smith@example.org");
		CHECK_STR(list[0].name, "Ann Smith");
		CHECK_STR(list[0].role, "manager");
		CHECK_INT(list[0].disabled, 0);
		CHECK_INT(list[0].created_at, now);
		CHECK_INT(list[0].tenant_id, t);
		CHECK_STR(list[1].email, "bob+console@mail.example.org");
		CHECK_STR(list[1].role, "admin");
	}
	operator_list_free(list, n);

	/* only an argon2id string is stored, at the dummy's cost */
	CHECK_RC(store_operator_find(s, t, "ann.smith@example.org", &o, &hash,
				     &e), 0);
	CHECK(hash && strncmp(hash, "$argon2id$", 10) == 0);
	CHECK(hash && strstr(hash, PW) == NULL);
	CHECK(hash && crypto_pwhash_str_verify(hash, PW, strlen(PW)) == 0);
	CHECK(crypto_pwhash_str_needs_rehash(dummy_hash, OPS_LIMIT,
					     MEM_LIMIT) == 0);
	CHECK(hash && crypto_pwhash_str_needs_rehash(hash, OPS_LIMIT,
						     MEM_LIMIT) == 0);
	free(hash);
	operator_rec_clear(&o);

	CHECK_RC(operator_role_parse("manager", &role, &e), 0);
	CHECK_INT(role, OPERATOR_MANAGER);
	CHECK_INT(operator_role_parse("boss", &role, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "role 'boss': expected agent, manager or admin");
	CHECK_STR(operator_role_name(OPERATOR_AGENT), "agent");
	store_close(s);
}

/* ---- logins and sessions ---- */

static void login_session(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct operator_rec o = { 0 }, got = { 0 };
	struct err e = { "" };
	char token[TOKEN_BUF] = "", token2[TOKEN_BUF] = "";
	char csrf[OPERATOR_CSRF_BUF] = "", csrf2[OPERATOR_CSRF_BUF] = "";
	instant_t now = at(2026, 11, 2, 9, 0);
	int64_t t, other, id = 0;
	struct operator_session_rec ses;

	if (!s)
		return;
	t = tenant(s, "op_login");
	other = tenant(s, "op_login_other");
	CHECK_RC(operator_add(s, t, "ann@example.org", "Ann", OPERATOR_AGENT,
			      PW, now, &id, &e), 0);

	CHECK_RC(operator_login(s, t, "ANN@example.org", PW, "192.0.2.1", now,
				token, &o, &e), 0);
	CHECK_INT(strlen(token), TOKEN_LEN);
	CHECK_INT(o.id, id);
	CHECK_STR(o.email, "ann@example.org");
	CHECK_STR(o.role, "agent");
	operator_rec_clear(&o);
	/* only the hash of the token is stored */
	{
		char hash[TOKEN_HASH_BUF];
		CHECK_RC(token_hash(token, hash, &e), 0);
		CHECK_RC(store_session_find(s, hash, &ses, &got, &e), 0);
		CHECK_STR(ses.token_hash, hash);
		CHECK_INT(ses.expires_at, now + 12 * 3600);
		CHECK_INT(ses.last_seen, now);
		CHECK_INT(got.id, id);
		operator_rec_clear(&got);
		CHECK_INT(store_session_find(s, token, &ses, &got, &e),
			  -ERR_NOTFOUND);
	}

	CHECK_RC(operator_session(s, token, now + 10, &got, csrf, &e), 0);
	CHECK_INT(got.id, id);
	CHECK_INT(got.tenant_id, t);
	CHECK_STR(got.name, "Ann");
	CHECK_INT(strlen(csrf), 64);
	CHECK_INT(strspn(csrf, "0123456789abcdef"), 64);
	operator_rec_clear(&got);
	CHECK_RC(operator_session(s, token, now + 20, &got, csrf2, &e), 0);
	CHECK_STR(csrf2, csrf);
	operator_rec_clear(&got);

	/* a second login is a second session, with its own key */
	CHECK_RC(operator_login(s, t, "ann@example.org", PW, "192.0.2.1",
				now + 30, token2, &o, &e), 0);
	operator_rec_clear(&o);
	CHECK(strcmp(token, token2) != 0);
	CHECK_RC(operator_session(s, token2, now + 40, &got, csrf2, &e), 0);
	CHECK(strcmp(csrf, csrf2) != 0);
	operator_rec_clear(&got);

	/* the password is checked, the tenant matters */
	CHECK_INT(operator_login(s, other, "ann@example.org", PW, "192.0.2.1",
				 now, token2, &o, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, OPERATOR_LOGIN_FAILED);

	/* malformed and unknown tokens */
	CHECK_INT(operator_session(s, "nope", now, &got, csrf2, &e),
		  -ERR_NOTFOUND);
	CHECK_INT(operator_session(s, NULL, now, &got, csrf2, &e),
		  -ERR_NOTFOUND);
	CHECK_INT(operator_session(s,
				   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				   now, &got, csrf2, &e), -ERR_NOTFOUND);

	/* logout ends that session only */
	CHECK_RC(operator_logout(s, token2, &e), 0);
	CHECK_INT(operator_session(s, token2, now + 50, &got, csrf2, &e),
		  -ERR_NOTFOUND);
	CHECK_RC(operator_session(s, token, now + 50, &got, csrf2, &e), 0);
	operator_rec_clear(&got);
	CHECK_RC(operator_logout(s, token2, &e), 0);
	CHECK_RC(operator_logout(s, "garbage", &e), 0);
	store_close(s);
}

static void wrong_and_limits(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct operator_rec o = { 0 };
	struct err e = { "" }, e2 = { "" };
	char token[TOKEN_BUF];
	instant_t now = at(2026, 11, 2, 9, 0);
	int64_t t, id, n_email = -1, n_remote = -1;
	instant_t old_email, old_remote;

	if (!s)
		return;
	t = tenant(s, "op_limits");
	CHECK_RC(operator_add(s, t, "ann@example.org", "Ann", OPERATOR_AGENT,
			      PW, now, &id, &e), 0);

	/* a wrong password and an unknown address look the same */
	CHECK_INT(operator_login(s, t, "ann@example.org", "wrong password!",
				 "192.0.2.1", now, token, &o, &e),
		  -ERR_NOTFOUND);
	CHECK_INT(operator_login(s, t, "nobody@example.org", PW, "192.0.2.1",
				 now + 1, token, &o, &e2), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "wrong e-mail address or password");
	CHECK_STR(e2.msg, e.msg);
	CHECK_RC(store_login_failures_count(s, t, "ann@example.org",
					    "192.0.2.1", now - 900, &n_email,
					    &old_email, &n_remote, &old_remote,
					    &e), 0);
	CHECK_INT(n_email, 1);
	CHECK_INT(old_email, now);
	CHECK_INT(n_remote, 2);
	CHECK_INT(old_remote, now);

	/* four more failures for ann (five in all) ... */
	for (int i = 1; i <= 4; i++)
		CHECK_INT(operator_login(s, t, "Ann@example.org", "nope nope nope",
					 "198.51.100.7", now + 60 * i, token,
					 &o, &e), -ERR_NOTFOUND);
	/* ... and the sixth attempt is refused, the right password too */
	CHECK_INT(operator_login(s, t, "ann@example.org", PW, "203.0.113.9",
				 now + 300, token, &o, &e), -ERR_TOOBIG);
	CHECK_STR(e.msg, "too many attempts; try again in 10 minutes");
	CHECK_INT(operator_login(s, t, "ann@example.org", PW, "203.0.113.9",
				 now + 899, token, &o, &e), -ERR_TOOBIG);
	CHECK_STR(e.msg, "too many attempts; try again in 1 minute");
	/* refusals are not failures: the block lifts 15 minutes after the
	 * first failure */
	CHECK_RC(operator_login(s, t, "ann@example.org", PW, "203.0.113.9",
				now + 900, token, &o, &e), 0);
	operator_rec_clear(&o);

	/* 20 failures from one address, whatever the e-mail address */
	for (int i = 0; i < 20; i++) {
		char addr[64];
		snprintf(addr, sizeof(addr), "guess%d@example.org", i);
		CHECK_INT(operator_login(s, t, addr, PW, "192.0.2.66",
					 now + 1000 + i, token, &o, &e),
			  -ERR_NOTFOUND);
	}
	CHECK_INT(operator_login(s, t, "ann@example.org", PW, "192.0.2.66",
				 now + 1100, token, &o, &e), -ERR_TOOBIG);
	CHECK(strstr(e.msg, "too many attempts") != NULL);
	/* from elsewhere ann gets in */
	CHECK_RC(operator_login(s, t, "ann@example.org", PW, "192.0.2.67",
				now + 1100, token, &o, &e), 0);
	operator_rec_clear(&o);
	/* another tenant's failures are its own */
	{
		int64_t t2 = tenant(s, "op_limits_2");
		CHECK_RC(operator_add(s, t2, "ann@example.org", "Ann",
				      OPERATOR_AGENT, PW, now, &id, &e), 0);
		CHECK_RC(operator_login(s, t2, "ann@example.org", PW,
					"192.0.2.66", now + 1100, token, &o,
					&e), 0);
		operator_rec_clear(&o);
	}
	/* failures older than a day are pruned as new ones come */
	CHECK_INT(operator_login(s, t, "x@example.org", "x", "192.0.2.1",
				 now + 2 * 86400, token, &o, &e),
		  -ERR_NOTFOUND);
	CHECK_RC(store_login_failures_count(s, t, "ann@example.org",
					    "192.0.2.66", 0, &n_email,
					    &old_email, &n_remote, &old_remote,
					    &e), 0);
	CHECK_INT(n_email, 0);
	CHECK_INT(n_remote, 0);
	store_close(s);
}

static void expiry_disable(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct operator_rec o = { 0 }, got = { 0 };
	struct err e = { "" };
	char token[TOKEN_BUF], csrf[OPERATOR_CSRF_BUF];
	char hash[TOKEN_HASH_BUF];
	struct operator_session_rec ses;
	instant_t now = at(2026, 11, 2, 9, 0), t_;
	int64_t t, id;

	if (!s)
		return;
	t = tenant(s, "op_expiry");
	CHECK_RC(operator_add(s, t, "ann@example.org", "Ann", OPERATOR_AGENT,
			      PW, now, &id, &e), 0);

	/* idle: 30 minutes without a request */
	CHECK_RC(operator_login(s, t, "ann@example.org", PW, "", now, token, &o,
				&e), 0);
	operator_rec_clear(&o);
	CHECK_RC(operator_session(s, token, now + 30 * 60, &got, csrf, &e), 0);
	operator_rec_clear(&got);
	/* that request moved last_seen: 30 minutes more */
	CHECK_RC(operator_session(s, token, now + 60 * 60, &got, csrf, &e), 0);
	operator_rec_clear(&got);
	CHECK_INT(operator_session(s, token, now + 90 * 60 + 1, &got, csrf,
				   &e), -ERR_NOTFOUND);
	CHECK(strstr(e.msg, "expired") != NULL);
	/* and it is gone */
	CHECK_RC(token_hash(token, hash, &e), 0);
	CHECK_INT(store_session_find(s, hash, &ses, &got, &e), -ERR_NOTFOUND);

	/* last_seen moves at most once a minute */
	CHECK_RC(operator_login(s, t, "ann@example.org", PW, "", now, token, &o,
				&e), 0);
	operator_rec_clear(&o);
	CHECK_RC(token_hash(token, hash, &e), 0);
	CHECK_RC(operator_session(s, token, now + 59, &got, csrf, &e), 0);
	operator_rec_clear(&got);
	CHECK_RC(store_session_find(s, hash, &ses, &got, &e), 0);
	operator_rec_clear(&got);
	CHECK_INT(ses.last_seen, now);
	CHECK_RC(operator_session(s, token, now + 60, &got, csrf, &e), 0);
	operator_rec_clear(&got);
	CHECK_RC(store_session_find(s, hash, &ses, &got, &e), 0);
	operator_rec_clear(&got);
	CHECK_INT(ses.last_seen, now + 60);

	/* absolute: 12 hours, however busy */
	for (t_ = now + 20 * 60; t_ < now + 12 * 3600; t_ += 20 * 60) {
		int rc = operator_session(s, token, t_, &got, csrf, &e);
		CHECK_INT(rc, 0);
		operator_rec_clear(&got);
		if (rc)
			break;
	}
	CHECK_INT(operator_session(s, token, now + 12 * 3600, &got, csrf, &e),
		  -ERR_NOTFOUND);

	/* a disabled operator's sessions stop, and logins fail as wrong */
	CHECK_RC(operator_login(s, t, "ann@example.org", PW, "", now, token, &o,
				&e), 0);
	operator_rec_clear(&o);
	CHECK_RC(token_hash(token, hash, &e), 0);
	CHECK_RC(operator_disable(s, t, "ANN@example.org", &e), 0);
	CHECK_INT(operator_session(s, token, now + 1, &got, csrf, &e),
		  -ERR_NOTFOUND);
	CHECK_INT(store_session_find(s, hash, &ses, &got, &e), -ERR_NOTFOUND);
	CHECK_INT(operator_login(s, t, "ann@example.org", PW, "", now + 2,
				 token, &o, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, OPERATOR_LOGIN_FAILED);
	CHECK_INT(operator_disable(s, t, "nobody@example.org", &e),
		  -ERR_NOTFOUND);
	/* a session row whose operator was disabled behind its back (another
	 * process) is refused too */
	{
		struct operator_session_rec raw = { 0 };
		char tok[TOKEN_BUF];
		int found = 0;
		CHECK_RC(token_new(tok, &e), 0);
		CHECK_RC(token_hash(tok, raw.token_hash, &e), 0);
		snprintf(raw.csrf_key, sizeof(raw.csrf_key), "%064d", 0);
		raw.tenant_id = t;
		raw.operator_id = id;
		raw.created_at = raw.last_seen = now;
		raw.expires_at = now + 3600;
		CHECK_RC(store_session_insert(s, &raw, &e), 0);
		CHECK_INT(operator_session(s, tok, now + 1, &got, csrf, &e),
			  -ERR_NOTFOUND);
		CHECK_RC(store_operator_set_disabled(s, t, "ann@example.org", 0,
						     &found, &e), 0);
		CHECK_INT(found, 1);
		CHECK_RC(operator_session(s, tok, now + 1, &got, csrf, &e), 0);
		operator_rec_clear(&got);
	}
	store_close(s);
}

/* ---- case notes and the agents' queue ---- */

/* A customer with an open EUR invoice of `open` and an open case. */
static int64_t customer_case(struct store *s, int64_t t, const char *ext,
			     const char *name, int vulnerable, int64_t open,
			     date_t opened, int64_t *ret_customer)
{
	struct customer_rec c = {
		.tenant_id = t,
		.external_id = (char *)ext,
		.name = (char *)name,
		.locale = (char *)"en",
		.timezone = (char *)"UTC",
		.country = (char *)"",
		.segments = (char *)"",
		.vulnerable = vulnerable,
		.moratorium_until = DATE_NONE,
		.customer_since = DATE_NONE,
	};
	char inv_id[64];
	struct invoice_rec inv = {
		.tenant_id = t,
		.number = inv_id,
		.external_id = inv_id,
		.issue_date = ymd(2026, 9, 1),
		.due_date = ymd(2026, 10, 1),
		.amount_minor = open,
		.open_minor = open,
		.currency = "EUR",
		.payment_reference = (char *)"",
	};
	struct case_rec k = {
		.tenant_id = t,
		.currency = "EUR",
		.strategy_version = 1,
		.strategy = (char *)"standard",
		.st = {
			.status = CASE_OPEN,
			.anchor = ymd(2026, 10, 1),
			.opened_on = opened,
			.last_step_on = DATE_NONE,
			.hold_until = DATE_NONE,
		},
		.closed_on = DATE_NONE,
	};
	struct err e = { "" };
	int64_t cid = 0, iid = 0, kid = 0;

	snprintf(inv_id, sizeof(inv_id), "INV-%s", ext);
	CHECK_RC(store_customer_upsert(s, &c, &cid, &e), 0);
	inv.customer_id = cid;
	CHECK_RC(store_invoice_upsert(s, &inv, &iid, &e), 0);
	k.customer_id = cid;
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(store_case_insert(s, &k, &kid, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
	*ret_customer = cid;
	return kid;
}

static int64_t request(struct store *s, int64_t t, int64_t kase,
		       int64_t customer, const char *kind, instant_t created,
		       instant_t callback_at)
{
	struct request_rec r = {
		.tenant_id = t,
		.case_id = kase,
		.customer_id = customer,
		.callback_at = callback_at,
		.created_at = created,
	};
	struct err e = { "" };
	int64_t id = 0;
	snprintf(r.kind, sizeof(r.kind), "%s", kind);
	CHECK_RC(store_request_insert(s, &r, &id, &e), 0);
	return id;
}

static void event(struct store *s, int64_t t, int64_t kase, const char *kind,
		  instant_t when)
{
	struct event_rec ev = {
		.tenant_id = t,
		.case_id = kase,
		.at = when,
		.kind = kind,
		.detail = "{}",
	};
	struct err e = { "" };
	CHECK_RC(store_begin(s, &e), 0);
	CHECK_RC(store_event_append(s, &ev, &e), 0);
	CHECK_RC(store_commit(s, &e), 0);
}

/* The queue's kinds, in order, as "kind kind ...". */
static void queue_kinds(struct queue_item *q, size_t n, char *out,
			size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 i ? " " : "", q[i].kind);
}

/* Everything that needs a person, once each, in tenant `t`. */
struct queue_fixture {
	int64_t t;                    /* the tenant */
	int64_t op;                   /* an operator */
	int64_t k_help, c_help;       /* case, customer with a help request */
	int64_t k_call, k_dispute, k_vuln, k_plan, k_agent, k_quiet;
	int64_t r_help, r_call, r_call2, r_dispute; /* requests */
	int64_t review;               /* the review item */
};

static void queue_fixture(struct store *s, const char *slug,
			  struct queue_fixture *f)
{
	struct err e = { "" };
	instant_t base = at(2026, 11, 1, 8, 0);
	int64_t cu, cu_plan, entry = 0, plan_id = 0;

	memset(f, 0, sizeof(*f));
	f->t = tenant(s, slug);
	CHECK_RC(operator_add(s, f->t, "agent@example.org", "Agatha Agent",
			      OPERATOR_AGENT, PW, base, &f->op, &e), 0);
	f->k_help = customer_case(s, f->t, "C-HELP", "Hilda Help", 0, 1000,
				  ymd(2026, 10, 2), &f->c_help);
	f->r_help = request(s, f->t, f->k_help, f->c_help, "help",
			    base + 3600, 0);
	f->k_call = customer_case(s, f->t, "C-CALL", "Carl Call", 0, 2000,
				  ymd(2026, 10, 3), &cu);
	/* two call-backs: the one asked for earlier comes first, although
	 * asked later */
	f->r_call = request(s, f->t, f->k_call, cu, "callback", base,
			    base + 2 * 86400);
	f->r_call2 = request(s, f->t, f->k_call, cu, "callback", base + 60,
			     base + 86400);
	f->k_dispute = customer_case(s, f->t, "C-DISP", "Dora Dispute", 0, 3000,
				     ymd(2026, 10, 4), &cu);
	f->r_dispute = request(s, f->t, f->k_dispute, cu, "dispute", base, 0);
	f->k_vuln = customer_case(s, f->t, "C-VULN", "Vera Vulnerable", 1,
				  4000, ymd(2026, 10, 6), &cu);
	f->k_plan = customer_case(s, f->t, "C-PLAN", "Paul Plan", 0, 5000,
				  ymd(2026, 10, 7), &cu_plan);
	{
		struct plan_rec p = {
			.tenant_id = f->t,
			.case_id = f->k_plan,
			.customer_id = cu_plan,
			.currency = "EUR",
			.total_minor = 5000,
			.months = 2,
			.day_of_month = 1,
			.source = "portal",
			.created_at = base,
		};
		struct plan_instalment_rec in[2] = {
			{ 1, ymd(2026, 11, 1), 2500 },
			{ 2, ymd(2026, 12, 1), 2500 },
		};
		p.instalments = in;
		p.n_instalments = 2;
		CHECK_RC(store_plan_insert(s, &p, &plan_id, &e), 0);
		p.id = plan_id;
		snprintf(p.status, sizeof(p.status), "broken");
		p.ended_at = base + 5 * 86400;
		CHECK_RC(store_plan_update(s, &p, &e), 0);
	}
	{
		struct statement_entry_rec en = {
			.tenant_id = f->t,
			.bank_ref = "REF-1",
			.status = "BOOK",
			.statement_id = "STMT-1",
			.booked_on = ymd(2026, 11, 3),
			.amount_minor = 777,
			.currency = "EUR",
			.credit = 1,
			.debtor_name = "Unknown Payer",
			.outcome = "review",
			.created_at = base,
		};
		CHECK_RC(store_statement_entry_insert(s, &en, &entry, &e), 0);
		CHECK_RC(store_review_insert(s, f->t, entry, "two candidates",
					     "[]", base + 7 * 86400,
					     &f->review, &e), 0);
	}
	f->k_agent = customer_case(s, f->t, "C-AGENT", "Agnes Agent-Case", 0,
				   6000, ymd(2026, 10, 8), &cu);
	event(s, f->t, f->k_agent, "case.handed_to_agent", base + 8 * 86400);
	/* an ordinary open case needs nobody */
	f->k_quiet = customer_case(s, f->t, "C-QUIET", "Quentin Quiet", 0, 10,
				   ymd(2026, 10, 9), &cu);
	event(s, f->t, f->k_quiet, "case.opened", base);
}

static void queue(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct queue_fixture f, g;
	struct queue_item *q = NULL;
	struct err e = { "" };
	instant_t base = at(2026, 11, 1, 8, 0);
	char kinds[512];
	size_t n = 0;

	if (!s)
		return;
	queue_fixture(s, "op_queue", &f);
	queue_fixture(s, "op_queue_other", &g);
	CHECK_RC(store_queue(s, f.t, 50, &q, &n, &e), 0);
	queue_kinds(q, n, kinds, sizeof(kinds));
	CHECK_STR(kinds, "help callback callback dispute vulnerable"
		  " broken_plan payment_review handed_to_agent");
	if (n == 8) {
		for (size_t i = 0; i < n; i++) {
			CHECK_INT(q[i].rank, i == 0 ? 1 : i <= 2 ? 2 : (int)i);
			CHECK(q[i].case_id == 0 || q[i].case_id != g.k_help);
		}
		CHECK_INT(q[0].case_id, f.k_help);
		CHECK_INT(q[0].customer_id, f.c_help);
		CHECK_STR(q[0].customer, "C-HELP");
		CHECK_STR(q[0].customer_name, "Hilda Help");
		CHECK_INT(q[0].since, base + 3600);
		CHECK_INT(q[0].callback_at, 0);
		CHECK_INT(q[0].open_minor, 1000);
		CHECK_STR(q[0].currency, "EUR");
		CHECK_INT(q[0].request_id, f.r_help);
		CHECK_INT(q[0].review_id, 0);
		CHECK_INT(q[1].request_id, f.r_call2);
		CHECK_INT(q[1].callback_at, base + 86400);
		CHECK_INT(q[1].since, base + 60);
		CHECK_INT(q[2].request_id, f.r_call);
		CHECK_INT(q[2].open_minor, 2000);
		CHECK_INT(q[3].request_id, f.r_dispute);
		CHECK_STR(q[3].customer, "C-DISP");
		CHECK_INT(q[4].case_id, f.k_vuln);
		CHECK_STR(q[4].customer_name, "Vera Vulnerable");
		CHECK_INT(q[4].since, instant_from_date(ymd(2026, 10, 6)));
		CHECK_INT(q[4].open_minor, 4000);
		CHECK_INT(q[4].request_id, 0);
		CHECK_INT(q[5].case_id, f.k_plan);
		CHECK_INT(q[5].since, base + 5 * 86400);
		CHECK_INT(q[5].open_minor, 5000);
		CHECK_INT(q[6].case_id, 0);
		CHECK_INT(q[6].customer_id, 0);
		CHECK_STR(q[6].customer, "");
		CHECK_STR(q[6].customer_name, "Unknown Payer");
		CHECK_INT(q[6].review_id, f.review);
		CHECK_INT(q[6].open_minor, 777);
		CHECK_STR(q[6].currency, "EUR");
		CHECK_INT(q[6].since, base + 7 * 86400);
		CHECK_INT(q[7].case_id, f.k_agent);
		CHECK_STR(q[7].customer, "C-AGENT");
		CHECK_INT(q[7].since, base + 8 * 86400);
		CHECK_INT(q[7].open_minor, 6000);
	}
	queue_list_free(q, n);

	/* the limit cuts the most urgent first */
	CHECK_RC(store_queue(s, f.t, 3, &q, &n, &e), 0);
	queue_kinds(q, n, kinds, sizeof(kinds));
	CHECK_STR(kinds, "help callback callback");
	queue_list_free(q, n);
	CHECK_INT(store_queue(s, f.t, 0, &q, &n, &e), -ERR_RANGE);

	/* a note works the vulnerable customer's case; a note older than the
	 * hand-over does not count for it, a newer one does */
	{
		struct case_note_rec note = {
			.tenant_id = f.t,
			.case_id = f.k_vuln,
			.operator_id = f.op,
			.body = (char *)"Called, agreed to wait for the"
					" benefits decision.",
			.created_at = base + 9 * 86400,
		};
		int64_t id;
		CHECK_RC(store_case_note_add(s, &note, &id, &e), 0);
		note.case_id = f.k_agent;
		note.created_at = base + 8 * 86400 - 1;
		CHECK_RC(store_case_note_add(s, &note, &id, &e), 0);
	}
	CHECK_RC(store_queue(s, f.t, 50, &q, &n, &e), 0);
	queue_kinds(q, n, kinds, sizeof(kinds));
	CHECK_STR(kinds, "help callback callback dispute broken_plan"
		  " payment_review handed_to_agent");
	queue_list_free(q, n);
	{
		struct case_note_rec note = {
			.tenant_id = f.t,
			.case_id = f.k_agent,
			.operator_id = f.op,
			.body = (char *)"Sent a plan offer.",
			.created_at = base + 8 * 86400,
		};
		int64_t id;
		CHECK_RC(store_case_note_add(s, &note, &id, &e), 0);
	}
	/* a later plan replaces the broken one; a closed case leaves */
	{
		struct plan_rec p = {
			.tenant_id = f.t,
			.case_id = f.k_plan,
			.currency = "EUR",
			.total_minor = 5000,
			.months = 1,
			.day_of_month = 1,
			.source = "agent",
			.created_at = base + 10 * 86400,
		};
		struct plan_instalment_rec in = { 1, ymd(2026, 12, 1), 5000 };
		struct case_rec k = { 0 };
		int64_t pid;
		CHECK_RC(store_case_get(s, f.t, f.k_plan, &k, &e), 0);
		p.customer_id = k.customer_id;
		free(k.strategy);
		p.instalments = &in;
		p.n_instalments = 1;
		CHECK_RC(store_plan_insert(s, &p, &pid, &e), 0);
	}
	CHECK_RC(store_queue(s, f.t, 50, &q, &n, &e), 0);
	queue_kinds(q, n, kinds, sizeof(kinds));
	CHECK_STR(kinds, "help callback callback dispute payment_review");
	queue_list_free(q, n);
	/* a new hand-over after the note puts the case back */
	event(s, f.t, f.k_agent, "case.handed_to_agent", base + 11 * 86400);
	CHECK_RC(store_queue(s, f.t, 50, &q, &n, &e), 0);
	queue_kinds(q, n, kinds, sizeof(kinds));
	CHECK_STR(kinds, "help callback callback dispute payment_review"
		  " handed_to_agent");
	if (n == 6)
		CHECK_INT(q[5].since, base + 11 * 86400);
	queue_list_free(q, n);

	/* the other tenant's queue is untouched and its own */
	CHECK_RC(store_queue(s, g.t, 50, &q, &n, &e), 0);
	queue_kinds(q, n, kinds, sizeof(kinds));
	CHECK_STR(kinds, "help callback callback dispute vulnerable"
		  " broken_plan payment_review handed_to_agent");
	for (size_t i = 0; i < n; i++)
		CHECK(q[i].case_id == 0 ||
		      (q[i].case_id != f.k_help && q[i].case_id != f.k_vuln &&
		       q[i].case_id != f.k_agent));
	if (n == 8)
		CHECK_INT(q[0].case_id, g.k_help);
	queue_list_free(q, n);
	/* a tenant with nothing */
	CHECK_RC(store_queue(s, tenant(s, "op_queue_empty"), 50, &q, &n, &e),
		 0);
	CHECK_INT(n, 0);
	queue_list_free(q, n);
	store_close(s);
}

static void notes(const struct backend_env *env)
{
	struct store *s = open_store(env);
	struct case_note_rec *list = NULL;
	struct err e = { "" };
	instant_t now = at(2026, 11, 5, 10, 0);
	int64_t t, t2, op, op2, kase, cu, id1 = 0, id2 = 0;
	char big[STORE_NOTE_MAX + 2];
	size_t n = 0;

	if (!s)
		return;
	t = tenant(s, "op_notes");
	t2 = tenant(s, "op_notes_other");
	CHECK_RC(operator_add(s, t, "ann@example.org", "Ann", OPERATOR_AGENT,
			      PW, now, &op, &e), 0);
	CHECK_RC(operator_add(s, t, "max@example.org", "Max", OPERATOR_MANAGER,
			      PW, now, &op2, &e), 0);
	kase = customer_case(s, t, "C1", "One", 0, 100, ymd(2026, 10, 1), &cu);
	{
		struct case_note_rec a = {
			.tenant_id = t, .case_id = kase, .operator_id = op2,
			.body = (char *)"Second, by Max: promised Friday.",
			.created_at = now + 60,
		};
		struct case_note_rec b = {
			.tenant_id = t, .case_id = kase, .operator_id = op,
			.body = (char *)"First, by Ann: \"I'll pay\" <soon> & \xc3\xa9.",
			.created_at = now,
		};
		CHECK_RC(store_case_note_add(s, &a, &id1, &e), 0);
		CHECK_RC(store_case_note_add(s, &b, &id2, &e), 0);
		CHECK(id1 > 0 && id2 > id1);
		a.body = (char *)"";
		CHECK_INT(store_case_note_add(s, &a, &id1, &e), -ERR_INVALID);
		memset(big, 'x', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		a.body = big;
		CHECK_INT(store_case_note_add(s, &a, &id1, &e), -ERR_TOOBIG);
		big[STORE_NOTE_MAX] = '\0';
		CHECK_RC(store_case_note_add(s, &a, &id1, &e), 0);
	}
	CHECK_RC(store_case_notes(s, t, kase, &list, &n, &e), 0);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_INT(list[0].id, id2);
		CHECK_STR(list[0].body,
			  "First, by Ann: \"I'll pay\" <soon> & \xc3\xa9.");
		CHECK_STR(list[0].author, "Ann");
		CHECK_INT(list[0].operator_id, op);
		CHECK_INT(list[0].case_id, kase);
		CHECK_INT(list[0].created_at, now);
		CHECK_STR(list[1].author, "Max");
		CHECK_INT(list[1].created_at, now + 60);
		CHECK_INT(strlen(list[2].body), STORE_NOTE_MAX);
	}
	case_note_list_free(list, n);
	/* another tenant sees none of them */
	CHECK_RC(store_case_notes(s, t2, kase, &list, &n, &e), 0);
	CHECK_INT(n, 0);
	case_note_list_free(list, n);
	store_close(s);
}

#define OPERATOR_TESTS(X) \
	X(add)            \
	X(login_session)  \
	X(wrong_and_limits) \
	X(expiry_disable) \
	X(queue)          \
	X(notes)

/* sqlite_<test> and pg_<test>, so that RUN names both. */
#define BACKEND_TESTS(name)                            \
	TEST(sqlite_##name) { name(&sqlite_env); }     \
	TEST(pg_##name) { name(&pg_env); }
OPERATOR_TESTS(BACKEND_TESTS)

/* The URL of database `db` on the server of `url` (its path replaced). */
static int url_with_db(const char *url, const char *db, char *out,
		       size_t size)
{
	const char *auth = strstr(url, "://");
	const char *path, *query;
	int n;

	if (!auth)
		return -1;
	auth += 3;
	path = auth + strcspn(auth, "/?");
	query = strchr(path, '?');
	n = snprintf(out, size, "%.*s/%s%s", (int)(path - url), url, db,
		     query ? query : "");
	return n > 0 && (size_t)n < size ? 0 : -1;
}

/* The server's notices (DROP ... IF EXISTS) are not test output. */
static void quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int admin_exec(PGconn *conn, const char *sql)
{
	PGresult *res = PQexec(conn, sql);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		printf("  %s: %s", sql, PQerrorMessage(conn));
	PQclear(res);
	return ok ? 0 : -1;
}

int main(void)
{
	const char *pg_url = getenv("DUNWELL_PG_URL");
	const char *tmp = getenv("TMPDIR");
	char dir[512], db[64], sql[128];
	PGconn *admin = NULL;

	unsetenv("DUNWELL_FAULT_STORE");
	snprintf(dir, sizeof(dir), "%s/dunwell-operator.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sqlite_env.target, sizeof(sqlite_env.target), "%s/store.db",
		 dir);
#define RUN_SQLITE(name) RUN(sqlite_##name);
	OPERATOR_TESTS(RUN_SQLITE)
	for (size_t i = 0; i < 3; i++) {
		static const char *const sfx[] = { "", "-wal", "-shm" };
		char path[1100];
		snprintf(path, sizeof(path), "%s%s", sqlite_env.target, sfx[i]);
		unlink(path);
	}
	rmdir(dir);

	if (!pg_url || !*pg_url) {
		printf("SKIP pg_*: DUNWELL_PG_URL is not set\n");
		return CHECK_DONE();
	}
	snprintf(db, sizeof(db), "dunwell_operator_%ld", (long)getpid());
	admin = PQconnectdb(pg_url);
	if (PQstatus(admin) != CONNECTION_OK) {
		printf("FAIL pg_server: %s", PQerrorMessage(admin));
		PQfinish(admin);
		return 1;
	}
	PQsetNoticeProcessor(admin, quiet, NULL);
	snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", db);
	admin_exec(admin, sql);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", db);
	if (admin_exec(admin, sql) < 0 ||
	    url_with_db(pg_url, db, pg_env.target, sizeof(pg_env.target)) < 0) {
		printf("FAIL pg_create_database\n");
		PQfinish(admin);
		return 1;
	}
#define RUN_PG(name) RUN(pg_##name);
	OPERATOR_TESTS(RUN_PG)
	snprintf(sql, sizeof(sql), "DROP DATABASE %s WITH (FORCE)", db);
	admin_exec(admin, sql);
	PQfinish(admin);
	return CHECK_DONE();
}
