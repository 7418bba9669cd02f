/*
 * deliver_smtp: composed e-mails handed to an SMTP server through libcurl's
 * multi interface (see deliver_smtp.h for the setting and the outcomes).
 *
 * One easy handle per in-flight slot, created at open and reused from
 * message to message; the multi handle keeps the connections, so a slot
 * that finishes a message sends the next one over the same connection
 * (MAIL FROM straight away, no new greeting, TLS or AUTH). curl reads the
 * server's reply lines into our header callback and tells our debug
 * callback which command it sent, so a failure is classified by the stage
 * it happened at (a 5xx to RCPT or DATA is a bounce; a 5xx to MAIL FROM, or
 * a policy refusal of RCPT such as "Relay access denied", is a problem of
 * the setting) and reported with the server's own words.
 *
 * Idempotency: SMTP has none. The message's Message-ID (made by compose
 * from the outbox's idempotency key) is already unique per message, and
 * nothing else is added: if dunwell crashes after the server accepted the
 * DATA but before the outbox recorded it, or a final reply is lost to a
 * timeout, the retry sends the same bytes with the same Message-ID again,
 * and receiving systems and the tenant can recognise the duplicate by it.
 *
 * Never prints, never touches the store, never decides whether a message
 * may go. The password of the setting never reaches an error message.
 */
#include "deliver_smtp.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "hex.h"
#include "mem.h"

#define SMTP_SETTING_MAX 4096  /* longest setting accepted */
#define SMTP_HOST_MAX 253      /* longest host name (DNS limit) */
#define SMTP_ADDR_MAX 254      /* longest envelope address (RFC 5321 path
				  of 256 bytes less the angle brackets) */
#define SMTP_CRED_MAX 512      /* longest user or password, decoded */
#define SMTP_REPLY_MAX 400     /* bytes of a server reply kept for errors */
#define SMTP_HEADER_MAX 2048   /* longest unfolded From/Message-ID value */
#define SMTP_VERB_MAX 12       /* "STARTTLS" and NUL, with room */
#define SMTP_INFLIGHT_MAX 64   /* largest inflight= */
#define SMTP_INFLIGHT_DEFAULT 8 /* inflight= when not given */
#define SMTP_TIMEOUT_MAX 3600  /* largest timeout=, seconds */
#define SMTP_TIMEOUT_DEFAULT 60 /* timeout= when not given */
#define SMTP_POLL_MS 1000      /* longest wait in curl_multi_poll */

/* What STARTTLS use a smtp:// setting asks for. */
enum smtp_starttls {
	SMTP_STARTTLS_REQUIRED = 0, /* refuse to send in the clear */
	SMTP_STARTTLS_OPTIONAL,     /* use when the server offers it */
	SMTP_STARTTLS_NO,           /* never */
};

/* The parsed setting. Strings are owned (NULL when not given). */
struct smtp_config {
	bool implicit_tls;           /* smtps://: TLS from the first byte */
	enum smtp_starttls starttls; /* smtp:// only */
	char *host;                  /* name or address, IPv6 without [] */
	bool host_v6;                /* host is an IPv6 literal */
	long port;                   /* 1..65535 */
	char *user;                  /* AUTH user, decoded; NULL = no AUTH */
	char *password;              /* AUTH password, decoded; wiped on close */
	char *from;                  /* envelope sender; NULL = From header */
	long timeout;                /* seconds per message */
	int inflight;                /* slots: messages in flight at once */
	char *helo;                  /* EHLO name; NULL = curl's default */
	bool insecure;               /* tests: accept any certificate */
};

/* One in-flight slot: an easy handle and the message it is sending. */
struct smtp_slot {
	CURL *easy;                    /* reused from message to message */
	bool busy;                     /* added to the multi handle */
	size_t index;                  /* the message's place in the batch */
	const unsigned char *doc;      /* the message's bytes (borrowed) */
	size_t doc_len;                /* bytes in doc */
	size_t doc_off;                /* bytes already handed to curl */
	struct curl_slist *rcpt;       /* the one RCPT TO of the message */
	char verb[SMTP_VERB_MAX];      /* last command sent: "MAIL", "RCPT",
					  "DATA", "AUTH", ...; "" none yet */
	bool quitting;                 /* QUIT sent: later replies are not
					  about the message */
	bool reply_done;               /* reply holds a complete reply (its
					  last line has been read) */
	char reply[SMTP_REPLY_MAX];    /* the last reply, lines joined by a
					  space, control bytes as '?' */
	size_t reply_len;              /* bytes in reply */
	char errbuf[CURL_ERROR_SIZE];  /* curl's own error text */
};

/* An open adapter: one per dispatcher thread. */
struct smtp {
	struct smtp_config cfg;   /* the setting */
	char *url;                /* "smtp://host:port/helo", no credentials */
	CURLM *multi;             /* runs the slots, keeps the connections */
	struct smtp_slot *slots;  /* cfg.inflight slots */
};

/* ---- the setting --------------------------------------------------- */

static pthread_once_t smtp_once = PTHREAD_ONCE_INIT;
static CURLcode smtp_global_rc = CURLE_FAILED_INIT;

/* curl_global_init once per process (never cleaned up: libcurl stays
 * usable for the process's lifetime, whichever module opened it). */
static void smtp_global(void)
{
	smtp_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void smtp_config_free(struct smtp_config *c)
{
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->host);
	free(c->user);
	free(c->password);
	free(c->from);
	free(c->helo);
	memset(c, 0, sizeof(*c));
}

/* Percent-decode s[0..n) into a fresh string of at most `max` bytes.
 * Control bytes (NUL, CR, LF...) are refused: they would only ever be an
 * attempt at command injection. `part` names the part in errors; the value
 * itself is never quoted (it may be a password). */
static int pct_decode(const char *s, size_t n, size_t max, const char *part,
		      char **ret, struct err *e)
{
	char *out = xmalloc(n + 1);
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			if (i + 2 >= n || hex_digit(s[i + 1]) < 0 ||
			    hex_digit(s[i + 2]) < 0) {
				free(out);
				return err_set(e, ERR_INVALID,
					       "smtp setting: %s: '%%' must be "
					       "followed by two hex digits", part);
			}
			c = hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]);
			i += 2;
		}
		if (c < 0x20 || c == 0x7f) {
			free(out);
			return err_set(e, ERR_INVALID,
				       "smtp setting: %s: control characters "
				       "are not allowed", part);
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (o > max) {
		free(out);
		return err_set(e, ERR_TOOBIG,
			       "smtp setting: %s: longer than %zu bytes", part,
			       max);
	}
	*ret = out;
	return 0;
}

/* Whether `a` can go into MAIL FROM or RCPT TO as it is: local@domain in
 * printable ASCII, without the characters that would need quoting or could
 * end the path early (<>, blanks, quotes, brackets, commas...). Quoted
 * local parts and address literals are valid SMTP, but dunwell never makes
 * them, and refusing them keeps every command unambiguous. */
static bool smtp_addr_ok(const char *a)
{
	size_t n = strlen(a), i, at = 0, ats = 0;

	if (n < 3 || n > SMTP_ADDR_MAX)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)a[i];
		if (c <= 0x20 || c >= 0x7f || strchr("<>()[]\\,;:\"", c))
			return false;
		if (c == '@') {
			ats++;
			at = i;
		}
	}
	return ats == 1 && at > 0 && at < n - 1;
}

/* A host name or IPv4 address: letters, digits, '.', '-', '_'. */
static bool smtp_hostname_ok(const char *h, size_t n)
{
	size_t i;

	if (n == 0 || n > SMTP_HOST_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = h[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_'))
			return false;
	}
	return true;
}

/* The inside of an IPv6 literal: hex digits, ':' and '.' (a mapped IPv4
 * tail). curl checks the address itself when it connects. */
static bool smtp_v6_ok(const char *h, size_t n)
{
	size_t i;
	bool colon = false;

	if (n < 2 || n > 45)
		return false;
	for (i = 0; i < n; i++) {
		char c = h[i];
		if (c == ':')
			colon = true;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
			   (c >= 'A' && c <= 'F') || c == '.'))
			return false;
	}
	return colon;
}

/* An EHLO name: a domain name, or an address literal ("[192.0.2.1]",
 * "[IPv6:2001:db8::1]"). */
static bool smtp_helo_ok(const char *h)
{
	size_t n = strlen(h), i;

	if (n >= 3 && h[0] == '[' && h[n - 1] == ']') {
		for (i = 1; i < n - 1; i++) {
			char c = h[i];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == ':'))
				return false;
		}
		return n <= SMTP_HOST_MAX;
	}
	return smtp_hostname_ok(h, n);
}

/* Digits only, at most 9 of them, within [lo, hi]. */
static bool smtp_number(const char *s, size_t n, long lo, long hi, long *ret)
{
	long v = 0;
	size_t i;

	if (n == 0 || n > 9)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*ret = v;
	return true;
}

/* The parameters a setting may carry after '?'. */
enum smtp_param {
	SMTP_P_STARTTLS,
	SMTP_P_FROM,
	SMTP_P_TIMEOUT,
	SMTP_P_INFLIGHT,
	SMTP_P_HELO,
	SMTP_P_INSECURE,
	SMTP_P_COUNT
};

static const char *const smtp_param_names[SMTP_P_COUNT] = {
	"starttls", "from", "timeout", "inflight", "helo", "insecure",
};

/* Quote a parameter name in an error only when it looks like one: a
 * mistyped setting may have cut a password into pieces, and no piece of a
 * password may reach a log. */
static const char *smtp_quote_name(const char *s, size_t n,
				   char out[ERR_QUOTE_BUF])
{
	size_t i;

	if (n == 0 || n > 32)
		return "(malformed)";
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      s[i] == '-'))
			return "(malformed)";
	memcpy(out, s, n);
	out[n] = '\0';
	return out;
}

/* One name=value after '?'. */
static int smtp_param(struct smtp_config *c, const char *item, size_t n,
		      bool seen[SMTP_P_COUNT], struct err *e)
{
	const char *eq = memchr(item, '=', n);
	char qb[ERR_QUOTE_BUF];
	char *v = NULL;
	size_t nlen;
	int p, rc;

	if (!eq)
		return err_set(e, ERR_INVALID,
			       "smtp setting: parameter %s: expected name=value",
			       smtp_quote_name(item, n, qb));
	nlen = (size_t)(eq - item);
	for (p = 0; p < SMTP_P_COUNT; p++)
		if (strlen(smtp_param_names[p]) == nlen &&
		    memcmp(smtp_param_names[p], item, nlen) == 0)
			break;
	if (p == SMTP_P_COUNT)
		return err_set(e, ERR_INVALID,
			       "smtp setting: unknown parameter %s (known: "
			       "starttls, from, timeout, inflight, helo, "
			       "insecure)", smtp_quote_name(item, nlen, qb));
	if (seen[p])
		return err_set(e, ERR_INVALID,
			       "smtp setting: parameter %s given twice",
			       smtp_param_names[p]);
	seen[p] = true;
	rc = pct_decode(eq + 1, n - nlen - 1, SMTP_CRED_MAX,
			smtp_param_names[p], &v, e);
	if (rc)
		return rc;

	switch ((enum smtp_param)p) {
	case SMTP_P_STARTTLS:
		if (c->implicit_tls)
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: starttls: only for "
				     "smtp:// (smtps:// is TLS from the "
				     "first byte)");
		else if (strcmp(v, "required") == 0)
			c->starttls = SMTP_STARTTLS_REQUIRED;
		else if (strcmp(v, "optional") == 0)
			c->starttls = SMTP_STARTTLS_OPTIONAL;
		else if (strcmp(v, "no") == 0)
			c->starttls = SMTP_STARTTLS_NO;
		else
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: starttls: expected "
				     "required, optional or no");
		break;
	case SMTP_P_FROM:
		if (!smtp_addr_ok(v))
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: from: not an envelope "
				     "address (local@domain in printable "
				     "ASCII, percent-encoded)");
		else {
			c->from = v;
			v = NULL;
		}
		break;
	case SMTP_P_TIMEOUT:
		if (!smtp_number(v, strlen(v), 1, SMTP_TIMEOUT_MAX,
				 &c->timeout))
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: timeout: expected whole "
				     "seconds from 1 to %d", SMTP_TIMEOUT_MAX);
		break;
	case SMTP_P_INFLIGHT: {
		long k = 0;
		if (!smtp_number(v, strlen(v), 1, SMTP_INFLIGHT_MAX, &k))
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: inflight: expected a "
				     "number from 1 to %d", SMTP_INFLIGHT_MAX);
		c->inflight = (int)k;
		break;
	}
	case SMTP_P_HELO:
		if (!smtp_helo_ok(v))
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: helo: expected a domain "
				     "name or an address literal such as "
				     "[192.0.2.1]");
		else {
			c->helo = v;
			v = NULL;
		}
		break;
	case SMTP_P_INSECURE:
		if (strcmp(v, "1") == 0)
			c->insecure = true;
		else if (strcmp(v, "0") == 0)
			c->insecure = false;
		else
			rc = err_set(e, ERR_INVALID,
				     "smtp setting: insecure: expected 1 or 0");
		break;
	case SMTP_P_COUNT:
		break;
	}
	free(v);
	return rc;
}

/* Parse the whole setting into c (zeroed first; freed by the caller with
 * smtp_config_free whatever the outcome). Errors name the part at fault
 * and quote nothing that could be part of a password. */
static int smtp_parse(const char *config, struct smtp_config *c,
		      struct err *e)
{
	bool seen[SMTP_P_COUNT] = { false };
	const char *p, *auth_end, *at = NULL, *hp, *host, *rest, *q;
	size_t hlen;
	int rc;

	memset(c, 0, sizeof(*c));
	c->starttls = SMTP_STARTTLS_REQUIRED;
	c->timeout = SMTP_TIMEOUT_DEFAULT;
	c->inflight = SMTP_INFLIGHT_DEFAULT;
	if (!config)
		return err_set(e, ERR_INVALID, "smtp setting: missing");
	if (strnlen(config, SMTP_SETTING_MAX + 1) > SMTP_SETTING_MAX)
		return err_set(e, ERR_TOOBIG,
			       "smtp setting: longer than %d bytes",
			       SMTP_SETTING_MAX);
	if (strncmp(config, "smtp://", 7) == 0) {
		p = config + 7;
	} else if (strncmp(config, "smtps://", 8) == 0) {
		p = config + 8;
		c->implicit_tls = true;
	} else {
		return err_set(e, ERR_INVALID,
			       "smtp setting: scheme: expected smtp:// or "
			       "smtps://");
	}
	if (strchr(p, '#'))
		return err_set(e, ERR_INVALID,
			       "smtp setting: '#' is not allowed (write it "
			       "as %%23 in a password)");

	/* authority: [user:password@]host[:port], up to '/' or '?' */
	auth_end = p + strcspn(p, "/?");
	for (q = p; q < auth_end; q++)
		if (*q == '@')
			at = q;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (!colon || colon == p || colon + 1 == at)
			return err_set(e, ERR_INVALID,
				       "smtp setting: user:password before "
				       "'@': expected both, separated by ':'");
		rc = pct_decode(p, (size_t)(colon - p), SMTP_CRED_MAX, "user",
				&c->user, e);
		if (rc)
			return rc;
		rc = pct_decode(colon + 1, (size_t)(at - colon - 1),
				SMTP_CRED_MAX, "password", &c->password, e);
		if (rc)
			return rc;
		hp = at + 1;
	} else {
		hp = p;
	}

	if (hp < auth_end && *hp == '[') {
		const char *close = memchr(hp, ']', (size_t)(auth_end - hp));
		if (!close)
			return err_set(e, ERR_INVALID,
				       "smtp setting: host: '[' without ']'");
		host = hp + 1;
		hlen = (size_t)(close - host);
		if (!smtp_v6_ok(host, hlen))
			return err_set(e, ERR_INVALID,
				       "smtp setting: host: not an IPv6 "
				       "address between [ and ]");
		c->host_v6 = true;
		rest = close + 1;
		if (rest < auth_end && *rest != ':')
			return err_set(e, ERR_INVALID,
				       "smtp setting: host: unexpected text "
				       "after ']'");
	} else {
		const char *colon = memchr(hp, ':', (size_t)(auth_end - hp));
		rest = colon ? colon : auth_end;
		host = hp;
		hlen = (size_t)(rest - hp);
		if (hlen == 0)
			return err_set(e, ERR_INVALID,
				       "smtp setting: host: missing");
		if (!smtp_hostname_ok(host, hlen))
			return err_set(e, ERR_INVALID,
				       "smtp setting: host: not a host name or "
				       "address (letters, digits, '.', '-'; "
				       "IPv6 in [ ])");
	}
	c->host = xstrndup(host, hlen);

	if (rest < auth_end) { /* ":port" */
		if (!smtp_number(rest + 1, (size_t)(auth_end - rest - 1), 1,
				 65535, &c->port))
			return err_set(e, ERR_INVALID,
				       "smtp setting: port: expected a number "
				       "from 1 to 65535");
	} else {
		c->port = c->implicit_tls ? 465 : 25;
	}

	/* path: none, or a lone '/' before the parameters */
	p = auth_end;
	if (*p == '/') {
		p++;
		if (*p && *p != '?')
			return err_set(e, ERR_INVALID,
				       "smtp setting: path: not allowed (give "
				       "the EHLO name with helo=)");
	}
	if (*p == '?') {
		p++;
		while (*p) {
			size_t n = strcspn(p, "&");
			if (n > 0) {
				rc = smtp_param(c, p, n, seen, e);
				if (rc)
					return rc;
			}
			p += n;
			if (*p == '&')
				p++;
		}
	}
	return 0;
}

/* The URL curl connects to: scheme, host, port and the EHLO name as the
 * path (percent-encoded where a literal needs it); never credentials,
 * which go through CURLOPT_USERNAME/PASSWORD. */
static char *smtp_url(const struct smtp_config *c)
{
	struct buf b;
	const char *h;

	buf_init(&b, SMTP_SETTING_MAX);
	if (buf_printf(&b, "%s://%s%s%s:%ld/",
		       c->implicit_tls ? "smtps" : "smtp",
		       c->host_v6 ? "[" : "", c->host, c->host_v6 ? "]" : "",
		       c->port) != 0)
		goto toobig;
	for (h = c->helo; h && *h; h++) {
		int rc;
		if (*h == '[')
			rc = buf_puts(&b, "%5B");
		else if (*h == ']')
			rc = buf_puts(&b, "%5D");
		else if (*h == ':')
			rc = buf_puts(&b, "%3A");
		else
			rc = buf_putc(&b, *h);
		if (rc != 0)
			goto toobig;
	}
	return buf_detach(&b);
toobig:
	/* Cannot happen: every part was bounded when it was parsed. */
	abort();
}

/* ---- curl callbacks ------------------------------------------------ */

/* The message's bytes, as curl asks for them. */
static size_t smtp_read_cb(char *buffer, size_t size, size_t nitems,
			   void *userp)
{
	struct smtp_slot *sl = userp;
	size_t room = size * nitems, left = sl->doc_len - sl->doc_off;
	size_t n = left < room ? left : room;

	memcpy(buffer, sl->doc + sl->doc_off, n);
	sl->doc_off += n;
	return n;
}

/* Rewinding, should curl ever need to send the message again. */
static int smtp_seek_cb(void *userp, curl_off_t offset, int origin)
{
	struct smtp_slot *sl = userp;

	if (origin != SEEK_SET || offset < 0 ||
	    (unsigned long long)offset > sl->doc_len)
		return CURL_SEEKFUNC_FAIL;
	sl->doc_off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* SMTP has no response body; nothing may reach stdout. */
static size_t smtp_discard_cb(char *ptr, size_t size, size_t nmemb,
			      void *userp)
{
	(void)ptr;
	(void)userp;
	return size * nmemb;
}

/* Append n bytes of server text to the slot's reply, control bytes shown
 * as '?', truncated at the bound. */
static void smtp_reply_append(struct smtp_slot *sl, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && sl->reply_len < sizeof(sl->reply) - 1; i++) {
		unsigned char c = (unsigned char)s[i];
		sl->reply[sl->reply_len++] =
			(c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	sl->reply[sl->reply_len] = '\0';
}

/* Every reply line the server sends (curl hands them to the "header"
 * callback). A multi-line reply ("250-...", then "250 ...") is kept as
 * one line; the next reply replaces it. Replies after QUIT are ignored:
 * they are not about the message. */
static size_t smtp_reply_cb(char *buffer, size_t size, size_t nitems,
			    void *userp)
{
	struct smtp_slot *sl = userp;
	size_t n = size * nitems, len = n;

	if (sl->quitting)
		return n;
	while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
		len--;
	if (sl->reply_done) {
		sl->reply_len = 0;
		sl->reply[0] = '\0';
		sl->reply_done = false;
	}
	if (sl->reply_len == 0) {
		smtp_reply_append(sl, buffer, len < 3 ? len : 3);
		if (len > 3) {
			smtp_reply_append(sl, " ", 1);
			smtp_reply_append(sl, buffer + 4, len - 4);
		}
	} else if (len > 4) {
		smtp_reply_append(sl, " ", 1);
		smtp_reply_append(sl, buffer + 4, len - 4);
	}
	if (len < 4 || buffer[3] != '-')
		sl->reply_done = true;
	return n;
}

/* Which command curl sent last (curl shows its commands to the debug
 * callback as CURLINFO_HEADER_OUT). Only the verb is kept: AUTH lines
 * carry credentials, and the base64 continuation lines of AUTH are not
 * verbs, so they leave "AUTH" in place. */
static int smtp_debug_cb(CURL *easy, curl_infotype type, char *data,
			 size_t size, void *userp)
{
	static const char *const verbs[] = {
		"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL",
		"RCPT", "DATA", "RSET", "NOOP",
	};
	struct smtp_slot *sl = userp;
	char w[SMTP_VERB_MAX];
	size_t i, k;

	(void)easy;
	if (type != CURLINFO_HEADER_OUT)
		return 0;
	for (i = 0; i < size && i < sizeof(w) - 1 && data[i] >= 'A' &&
		    data[i] <= 'Z'; i++)
		w[i] = data[i];
	w[i] = '\0';
	if (i < size && data[i] != ' ' && data[i] != '\r' && data[i] != '\n')
		return 0;
	if (strcmp(w, "QUIT") == 0) {
		/* the message is over; what failed stays the stage */
		sl->quitting = true;
		return 0;
	}
	for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++) {
		if (strcmp(w, verbs[k]) == 0) {
			memcpy(sl->verb, w, i + 1);
			break;
		}
	}
	return 0;
}

/* ---- reading the message ------------------------------------------- */

/* The first header field `name` of the message, unfolded, blanks around
 * it trimmed, into out[max]. False when absent or too long. Only the
 * header section (up to the first empty line) is read. */
static bool smtp_doc_header(const unsigned char *doc, size_t len,
			    const char *name, char *out, size_t max)
{
	size_t nlen = strlen(name), pos = 0, o = 0;
	bool found = false;

	while (pos < len) {
		size_t eol = pos, lend;
		while (eol < len && doc[eol] != '\n')
			eol++;
		lend = eol;
		if (lend > pos && doc[lend - 1] == '\r')
			lend--;
		if (found && !(doc[pos] == ' ' || doc[pos] == '\t'))
			break; /* the field ended */
		if (!found) {
			if (lend == pos)
				return false; /* end of the header section */
			if (lend - pos > nlen && doc[pos + nlen] == ':' &&
			    strncasecmp((const char *)doc + pos, name,
					nlen) == 0) {
				found = true;
				pos += nlen + 1;
			}
		}
		if (found) {
			if (lend - pos >= max - o)
				return false;
			memcpy(out + o, doc + pos, lend - pos);
			o += lend - pos;
		}
		pos = eol + 1;
	}
	if (!found)
		return false;
	while (o > 0 && (out[o - 1] == ' ' || out[o - 1] == '\t'))
		o--;
	out[o] = '\0';
	for (pos = 0; out[pos] == ' ' || out[pos] == '\t'; pos++)
		;
	memmove(out, out + pos, o - pos + 1);
	return true;
}

/* The address of the message's From header (the part in <> when there
 * is a display name), when it is a usable envelope address. */
static bool smtp_from_header(const struct deliver_msg *m, char *out,
			     size_t max)
{
	char v[SMTP_HEADER_MAX];
	const char *a, *lt, *gt;
	size_t alen;

	if (!smtp_doc_header(m->document, m->document_len, "From", v,
			     sizeof(v)))
		return false;
	lt = strrchr(v, '<');
	if (lt) {
		gt = strchr(lt, '>');
		if (!gt)
			return false;
		a = lt + 1;
		alen = (size_t)(gt - a);
	} else {
		a = v;
		alen = strlen(v);
	}
	if (alen == 0 || alen >= max)
		return false;
	memcpy(out, a, alen);
	out[alen] = '\0';
	return smtp_addr_ok(out);
}

/* The message's Message-ID without <>, or "" when it has none that fits. */
static void smtp_message_id(const struct deliver_msg *m, char *out,
			    size_t max)
{
	char v[SMTP_HEADER_MAX];
	size_t n;

	out[0] = '\0';
	if (!smtp_doc_header(m->document, m->document_len, "Message-ID", v,
			     sizeof(v)))
		return;
	n = strlen(v);
	if (n >= 2 && v[0] == '<' && v[n - 1] == '>') {
		memmove(v, v + 1, n - 2);
		n -= 2;
		v[n] = '\0';
	}
	if (n > 0 && n < max)
		memcpy(out, v, n + 1);
}

/* The queue id a server names in its final reply: Postfix "queued as
 * 4Z1x2", Exim "id=1uA2b3-000C4d-5E", ... False when it names none. */
static bool smtp_queue_id(const char *reply, char *out, size_t max)
{
	static const char *const marks[] = { "queued as ", "id=" };
	size_t k, i;

	for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		const char *p = reply;
		while ((p = strcasestr(p, marks[k])) != NULL) {
			/* a word of its own: not the tail of "InternalId=" */
			if (p != reply && p[-1] != ' ' && p[-1] != '(' &&
			    p[-1] != '[') {
				p++;
				continue;
			}
			p += strlen(marks[k]);
			for (i = 0; i < max - 1; i++) {
				char c = p[i];
				if (!((c >= 'a' && c <= 'z') ||
				      (c >= 'A' && c <= 'Z') ||
				      (c >= '0' && c <= '9') ||
				      strchr("._-+=/@<>", c)) || c == '\0')
					break;
			}
			if (i > 0 && i < max - 1) {
				memcpy(out, p, i);
				out[i] = '\0';
				return true;
			}
			break;
		}
	}
	return false;
}

/* ---- outcomes ------------------------------------------------------ */

/* Write a result's error text (printf-style, truncated at the bound:
 * server replies can be long, the start says what matters). */
static void smtp_msg(struct deliver_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void smtp_msg(struct deliver_result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
}

/* The command a failure is about, as people know it. */
static const char *smtp_stage(const char *verb)
{
	if (!*verb)
		return "the greeting";
	if (strcmp(verb, "EHLO") == 0 || strcmp(verb, "HELO") == 0)
		return "EHLO";
	if (strcmp(verb, "MAIL") == 0)
		return "MAIL FROM";
	if (strcmp(verb, "RCPT") == 0)
		return "RCPT TO";
	return verb;
}

/* Overwrite every copy of the password in `text` (a server or curl could
 * echo it; it must never reach a log). */
static void smtp_scrub(const struct smtp *s, char *text)
{
	const char *pw = s->cfg.password;
	char *p = text, *hit;
	size_t n;

	if (!pw || !*pw)
		return;
	n = strlen(pw);
	while ((hit = strstr(p, pw)) != NULL) {
		memset(hit, '*', n);
		p = hit + n;
	}
}

/* The reply's three-digit code, 0 when there is none. */
static int smtp_reply_code(const struct smtp_slot *sl)
{
	const char *r = sl->reply;

	if (sl->reply_len < 3 || r[0] < '2' || r[0] > '5' || r[1] < '0' ||
	    r[1] > '9' || r[2] < '0' || r[2] > '9')
		return 0;
	return (r[0] - '0') * 100 + (r[1] - '0') * 10 + (r[2] - '0');
}

/* A refusal for a reason of the sending side, not of the address: the
 * enhanced status class 5.7 (security or policy: "Relay access denied",
 * "Authentication required") or a bare 530. At RCPT these mean that the
 * setting is wrong (a server that will not relay for us), and taking them
 * for bounces would move every customer to a costlier channel at once. */
static bool smtp_policy_refusal(int code, const char *reply)
{
	return code == 530 ||
	       (strlen(reply) > 8 && strncmp(reply + 3, " 5.7.", 5) == 0);
}

/* What happened to the slot's message: SENT, a bounce, or RETRY. */
static void smtp_outcome(const struct smtp *s, const struct smtp_slot *sl,
			 CURLcode rc, const struct deliver_msg *m,
			 struct deliver_result *r)
{
	const char *stage = smtp_stage(sl->verb);
	const char *reply = sl->reply_len ? sl->reply : "(no reply)";
	const char *detail = sl->errbuf[0] ? sl->errbuf : curl_easy_strerror(rc);
	int code = smtp_reply_code(sl);
	bool auth = strcmp(sl->verb, "AUTH") == 0;
	bool rcpt = strcmp(sl->verb, "RCPT") == 0;
	bool bounce_stage = (rcpt && !smtp_policy_refusal(code, reply)) ||
			    strcmp(sl->verb, "DATA") == 0;

	memset(r, 0, sizeof(*r));
	if (rc == CURLE_OK) {
		r->status = DELIVER_SENT;
		if (!smtp_queue_id(sl->reply, r->provider_id,
				   sizeof(r->provider_id)))
			smtp_message_id(m, r->provider_id,
					sizeof(r->provider_id));
		return;
	}
	r->status = DELIVER_RETRY;
	if (rc == CURLE_LOGIN_DENIED || (auth && code >= 400)) {
		/* Not the customer's problem: the setting or the account. */
		smtp_msg(r,
			 "SMTP authentication failed (check the user and "
			 "password of the smtp setting): %s",
			 auth && code >= 400 ? reply : detail);
	} else if (code >= 500 && bounce_stage) {
		/* a bounce: permanent for this address or this message */
		r->status = DELIVER_HARD_FAIL;
		smtp_msg(r, "%s refused: %s", stage, reply);
	} else if (code >= 400 && code < 500) {
		smtp_msg(r, "%s deferred (temporary): %s", stage, reply);
	} else if (code >= 500) {
		/* A refused sender, greeting, EHLO or relay says nothing
		 * about the recipient: retry, and let the operator see why. */
		smtp_msg(r,
			 "the server refused %s (a problem of the smtp setting "
			 "or the server, not of the recipient): %s", stage,
			 reply);
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		smtp_msg(r,
			 "timed out after %ld s (timeout= of the smtp "
			 "setting) waiting for the reply to %s", s->cfg.timeout,
			 stage);
	} else if (rc == CURLE_USE_SSL_FAILED) {
		smtp_msg(r,
			 "the server does not offer STARTTLS, which the smtp "
			 "setting requires (starttls=required): %s", detail);
	} else if (rc == CURLE_PEER_FAILED_VERIFICATION) {
		smtp_msg(r, "the server's TLS certificate is not trusted: %s",
			 detail);
	} else {
		smtp_msg(r, "%s: %s", curl_easy_strerror(rc), detail);
	}
	smtp_scrub(s, r->error);
}

/* ---- the backend --------------------------------------------------- */

static void smtp_close(void *h);

/* One slot's easy handle with everything that stays the same from
 * message to message. */
static int smtp_slot_init(struct smtp *s, struct smtp_slot *sl,
			  struct err *e)
{
	const struct smtp_config *c = &s->cfg;
	CURLcode cc = CURLE_OK;
	long use_ssl;
	CURL *h;

	sl->easy = h = curl_easy_init();
	if (!h)
		return err_set(e, ERR_IO, "smtp: curl_easy_init failed");
	if (c->implicit_tls || c->starttls == SMTP_STARTTLS_REQUIRED)
		use_ssl = (long)CURLUSESSL_ALL;
	else if (c->starttls == SMTP_STARTTLS_OPTIONAL)
		use_ssl = (long)CURLUSESSL_TRY;
	else
		use_ssl = (long)CURLUSESSL_NONE;

#define SMTP_SET(opt, val)                                                  \
	do {                                                                \
		if (cc == CURLE_OK)                                         \
			cc = curl_easy_setopt(h, opt, val);                 \
	} while (0)
	SMTP_SET(CURLOPT_URL, s->url);
	SMTP_SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SMTP_SET(CURLOPT_NOSIGNAL, 1L);
	SMTP_SET(CURLOPT_UPLOAD, 1L);
	SMTP_SET(CURLOPT_READFUNCTION, smtp_read_cb);
	SMTP_SET(CURLOPT_READDATA, sl);
	SMTP_SET(CURLOPT_SEEKFUNCTION, smtp_seek_cb);
	SMTP_SET(CURLOPT_SEEKDATA, sl);
	SMTP_SET(CURLOPT_HEADERFUNCTION, smtp_reply_cb);
	SMTP_SET(CURLOPT_HEADERDATA, sl);
	SMTP_SET(CURLOPT_WRITEFUNCTION, smtp_discard_cb);
	SMTP_SET(CURLOPT_DEBUGFUNCTION, smtp_debug_cb);
	SMTP_SET(CURLOPT_DEBUGDATA, sl);
	SMTP_SET(CURLOPT_VERBOSE, 1L); /* to the debug callback only */
	SMTP_SET(CURLOPT_ERRORBUFFER, sl->errbuf);
	SMTP_SET(CURLOPT_PRIVATE, sl);
	SMTP_SET(CURLOPT_TIMEOUT, c->timeout);
	SMTP_SET(CURLOPT_CONNECTTIMEOUT, c->timeout);
	SMTP_SET(CURLOPT_SERVER_RESPONSE_TIMEOUT, c->timeout);
	SMTP_SET(CURLOPT_USE_SSL, use_ssl);
	if (c->insecure) {
		SMTP_SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SMTP_SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (c->user) {
		SMTP_SET(CURLOPT_USERNAME, c->user);
		SMTP_SET(CURLOPT_PASSWORD, c->password);
	}
#undef SMTP_SET
	if (cc != CURLE_OK)
		return err_set(e, ERR_IO, "smtp: libcurl: %s",
			       curl_easy_strerror(cc));
	return 0;
}

static int smtp_open(const char *config, void **ret_handle, struct err *e)
{
	struct smtp *s = xcalloc(1, sizeof(*s));
	int rc, k;

	rc = smtp_parse(config, &s->cfg, e);
	if (rc)
		goto fail;
	pthread_once(&smtp_once, smtp_global);
	if (smtp_global_rc != CURLE_OK) {
		rc = err_set(e, ERR_IO, "smtp: libcurl: %s",
			     curl_easy_strerror(smtp_global_rc));
		goto fail;
	}
	s->url = smtp_url(&s->cfg);
	s->multi = curl_multi_init();
	if (!s->multi) {
		rc = err_set(e, ERR_IO, "smtp: curl_multi_init failed");
		goto fail;
	}
	/* one connection per slot, kept between messages and calls */
	curl_multi_setopt(s->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)s->cfg.inflight);
	curl_multi_setopt(s->multi, CURLMOPT_MAXCONNECTS,
			  (long)s->cfg.inflight);
	s->slots = xcalloc((size_t)s->cfg.inflight, sizeof(*s->slots));
	for (k = 0; k < s->cfg.inflight; k++) {
		rc = smtp_slot_init(s, &s->slots[k], e);
		if (rc)
			goto fail;
	}
	*ret_handle = s;
	return 0;
fail:
	smtp_close(s);
	return rc;
}

/* Set the slot up for msgs[index] and add it to the multi handle. A
 * message that cannot be sent at all gets its result here, and -1. */
static int smtp_start(struct smtp *s, struct smtp_slot *sl,
		      const struct deliver_msg *m, size_t index,
		      struct deliver_result *r)
{
	char from[SMTP_ADDR_MAX + 1];
	char path[SMTP_ADDR_MAX + 3];
	char qb[ERR_QUOTE_BUF];
	CURLcode cc = CURLE_OK;
	CURLMcode mc;

	if (m->channel != CHANNEL_EMAIL || !m->document ||
	    m->document_len == 0) {
		r->status = DELIVER_HARD_FAIL;
		smtp_msg(r,
			 "not an e-mail message: the smtp adapter sends the "
			 "composed .eml document, and there is none");
		return -1;
	}
	if (!m->to || !smtp_addr_ok(m->to)) {
		r->status = DELIVER_HARD_FAIL;
		smtp_msg(r,
			 "recipient \"%s\": not a deliverable address "
			 "(local@domain in printable ASCII)",
			 err_quote(m->to ? m->to : "", qb));
		return -1;
	}
	if (s->cfg.from) {
		snprintf(from, sizeof(from), "%s", s->cfg.from);
	} else if (!smtp_from_header(m, from, sizeof(from))) {
		r->status = DELIVER_HARD_FAIL;
		smtp_msg(r,
			 "the message's From header holds no usable address "
			 "for MAIL FROM (or give from= in the smtp setting)");
		return -1;
	}

	sl->index = index;
	sl->doc = m->document;
	sl->doc_len = m->document_len;
	sl->doc_off = 0;
	sl->verb[0] = '\0';
	sl->quitting = false;
	sl->reply_done = false;
	sl->reply_len = 0;
	sl->reply[0] = '\0';
	sl->errbuf[0] = '\0';
	snprintf(path, sizeof(path), "<%s>", m->to);
	sl->rcpt = curl_slist_append(NULL, path);
	if (!sl->rcpt)
		abort(); /* out of memory: the mem.h policy */
	snprintf(path, sizeof(path), "<%s>", from);
	cc = curl_easy_setopt(sl->easy, CURLOPT_MAIL_FROM, path);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(sl->easy, CURLOPT_MAIL_RCPT, sl->rcpt);
	if (cc == CURLE_OK)
		cc = curl_easy_setopt(sl->easy, CURLOPT_INFILESIZE_LARGE,
				      (curl_off_t)m->document_len);
	mc = cc == CURLE_OK ? curl_multi_add_handle(s->multi, sl->easy)
			    : CURLM_OK;
	if (cc != CURLE_OK || mc != CURLM_OK) {
		r->status = DELIVER_RETRY;
		smtp_msg(r, "libcurl: %s",
			 cc != CURLE_OK ? curl_easy_strerror(cc)
					: curl_multi_strerror(mc));
		curl_easy_setopt(sl->easy, CURLOPT_MAIL_RCPT, NULL);
		curl_slist_free_all(sl->rcpt);
		sl->rcpt = NULL;
		return -1;
	}
	sl->busy = true;
	return 0;
}

/*
 * A failed message's connection is not used again. curl closes it itself
 * after most failures, but not after one inside its final step (the wait
 * for the reply to the end of DATA): a timeout there leaves the connection
 * in the cache with the server's late reply still to come, and the next
 * message would read that reply as the answer to its MAIL FROM — replies
 * and commands off by one. Shutting the socket down makes curl see the
 * connection as dead and drop it (without QUIT) instead of reusing it. A
 * bounce costs a reconnect this way; a desynchronised session could cost
 * a wrong outcome.
 */
static void smtp_discard_connection(struct smtp_slot *sl)
{
	curl_socket_t sock = CURL_SOCKET_BAD;

	if (curl_easy_getinfo(sl->easy, CURLINFO_ACTIVESOCKET, &sock) ==
		    CURLE_OK &&
	    sock != CURL_SOCKET_BAD)
		shutdown(sock, SHUT_RDWR);
}

/* Take a finished (or abandoned) slot out of the multi handle. */
static void smtp_release(struct smtp *s, struct smtp_slot *sl)
{
	curl_multi_remove_handle(s->multi, sl->easy);
	curl_easy_setopt(sl->easy, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(sl->rcpt);
	sl->rcpt = NULL;
	sl->doc = NULL;
	sl->busy = false;
}

/* Start messages from *next on until every slot is busy or none are
 * left; returns how many were started. */
static size_t smtp_fill(struct smtp *s, const struct deliver_msg *msgs,
			size_t n, size_t *next,
			struct deliver_result *results)
{
	size_t started = 0;
	int k;

	for (k = 0; k < s->cfg.inflight && *next < n; k++) {
		struct smtp_slot *sl = &s->slots[k];
		if (sl->busy)
			continue;
		while (*next < n) {
			size_t i = (*next)++;
			if (smtp_start(s, sl, &msgs[i], i, &results[i]) == 0) {
				started++;
				break;
			}
		}
	}
	return started;
}

/* The multi handle failed (it never should): every message not finished
 * is retried, with the reason. */
static void smtp_abandon(struct smtp *s, size_t n, size_t *next,
			 struct deliver_result *results, CURLMcode mc)
{
	int k;

	for (k = 0; k < s->cfg.inflight; k++) {
		struct smtp_slot *sl = &s->slots[k];
		if (!sl->busy)
			continue;
		results[sl->index].status = DELIVER_RETRY;
		smtp_msg(&results[sl->index],
			 "libcurl: %s", curl_multi_strerror(mc));
		smtp_release(s, sl);
	}
	for (; *next < n; (*next)++) {
		results[*next].status = DELIVER_RETRY;
		smtp_msg(&results[*next],
			 "libcurl: %s", curl_multi_strerror(mc));
	}
}

/*
 * Up to cfg.inflight messages go at once; as each finishes its slot takes
 * the next. Note: curl waits for the reply to the end of DATA inside
 * curl_multi_perform (smtp_done blocks), so a server slow to accept one
 * message holds the others for that long — at most timeout= seconds.
 */
static int smtp_send(void *h, const struct deliver_msg *msgs, size_t n,
		     struct deliver_result *results, struct err *e)
{
	struct smtp *s = h;
	size_t next = 0, active, i;

	if (n > DELIVER_BATCH_MAX)
		return err_set(e, ERR_RANGE,
			       "smtp: %zu messages in one call, at most %d", n,
			       DELIVER_BATCH_MAX);
	for (i = 0; i < n; i++) {
		memset(&results[i], 0, sizeof(results[i]));
		results[i].status = DELIVER_RETRY;
	}
	active = smtp_fill(s, msgs, n, &next, results);
	while (active > 0) {
		bool progressed = false;
		int running = 0, left = 0;
		CURLMsg *info;
		CURLMcode mc = curl_multi_perform(s->multi, &running);

		if (mc != CURLM_OK) {
			smtp_abandon(s, n, &next, results, mc);
			break;
		}
		while ((info = curl_multi_info_read(s->multi, &left))) {
			struct smtp_slot *sl = NULL;
			if (info->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(info->easy_handle, CURLINFO_PRIVATE,
					  (char **)&sl);
			smtp_outcome(s, sl, info->data.result,
				     &msgs[sl->index], &results[sl->index]);
			if (info->data.result != CURLE_OK)
				smtp_discard_connection(sl);
			smtp_release(s, sl);
			active--;
			progressed = true;
		}
		if (next < n) {
			size_t started = smtp_fill(s, msgs, n, &next, results);
			active += started;
			if (started)
				progressed = true;
		}
		if (active == 0)
			break;
		if (!progressed) {
			mc = curl_multi_poll(s->multi, NULL, 0, SMTP_POLL_MS,
					     NULL);
			if (mc != CURLM_OK) {
				smtp_abandon(s, n, &next, results, mc);
				break;
			}
		}
	}
	return 0;
}

static void smtp_close(void *h)
{
	struct smtp *s = h;
	int k;

	if (!s)
		return;
	if (s->slots) {
		for (k = 0; k < s->cfg.inflight; k++) {
			struct smtp_slot *sl = &s->slots[k];
			if (sl->busy)
				smtp_release(s, sl);
			if (sl->easy)
				curl_easy_cleanup(sl->easy);
		}
		free(s->slots);
	}
	if (s->multi)
		curl_multi_cleanup(s->multi); /* QUIT on kept connections */
	free(s->url);
	smtp_config_free(&s->cfg);
	free(s);
}

const struct deliver_backend deliver_smtp = {
	.scheme = "smtp",
	.channel = CHANNEL_EMAIL,
	.open = smtp_open,
	.send = smtp_send,
	.flush = NULL,
	.close = smtp_close,
};

const struct deliver_backend deliver_smtps = {
	.scheme = "smtps",
	.channel = CHANNEL_EMAIL,
	.open = smtp_open,
	.send = smtp_send,
	.flush = NULL,
	.close = smtp_close,
};
