/*
 * profile: a tenant's public details as checked key/value settings.
 *
 * Each key has a kind that says how its value is checked; every rejection
 * names the key and the value. Missing keys get defaults that make messages
 * still correct (no bank block without an IBAN, the tenant's name as
 * beneficiary, a brand colour with enough contrast).
 */
#include "profile.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "hex.h"
#include "mem.h"
#include "outbox.h"
#include "psp.h"
#include "qr.h"
#include "store.h"

enum key_kind {
	K_TEXT,    /* one line of printable text */
	K_EMAIL,   /* addr-spec */
	K_URL,     /* http(s)://host[/path] */
	K_PHONE,   /* +, digits, spaces, dashes, brackets */
	K_IBAN,    /* ISO 13616 with a valid check */
	K_BIC,     /* ISO 9362: 8 or 11 characters */
	K_COLOR,   /* #rrggbb with AA contrast against white */
	K_INT,     /* a whole number in [min, max] */
	K_BOOL,    /* yes/no */
	K_HOURS,   /* HH:MM-HH:MM */
	K_DELIVER, /* an adapter setting: a scheme deliver_find knows */
	K_CHECKOUT /* "test" or a payment-provider setting psp knows */
};

static const struct key_def {
	const char *key;          /* as typed: `dunwell tenant set KEY VALUE` */
	enum key_kind kind;       /* how the value is checked */
	size_t offset;            /* the field of struct profile it fills:
				     char * for text kinds, int for K_INT and
				     K_BOOL */
	const char *help;         /* one line for `dunwell tenant keys` */
	int min, max;             /* K_INT: the allowed range */
	int dflt;                 /* K_INT, K_BOOL: the default */
} keys[] = {
	{ "email", K_EMAIL, offsetof(struct profile, email),
	  "the company's contact e-mail address", 0, 0, 0 },
	{ "phone", K_PHONE, offsetof(struct profile, phone),
	  "the company's phone number", 0, 0, 0 },
	{ "website", K_URL, offsetof(struct profile, website),
	  "the company's website (https://...)", 0, 0, 0 },
	{ "address", K_TEXT, offsetof(struct profile, address),
	  "postal address on one line", 0, 0, 0 },
	{ "help_phone", K_PHONE, offsetof(struct profile, help_phone),
	  "phone number where customers reach a person about a bill", 0, 0, 0 },
	{ "help_email", K_EMAIL, offsetof(struct profile, help_email),
	  "e-mail address for questions about a bill", 0, 0, 0 },
	{ "help_hours", K_TEXT, offsetof(struct profile, help_hours),
	  "when a person answers, e.g. 'Mon-Fri 9:00-17:00'", 0, 0, 0 },
	{ "iban", K_IBAN, offsetof(struct profile, iban),
	  "account for bank transfers (enables bank details and the EPC QR)", 0, 0, 0 },
	{ "bic", K_BIC, offsetof(struct profile, bic),
	  "BIC of that account", 0, 0, 0 },
	{ "beneficiary", K_TEXT, offsetof(struct profile, beneficiary),
	  "account holder's name (default: the tenant's name)", 0, 0, 0 },
	{ "brand_color", K_COLOR, offsetof(struct profile, brand_color),
	  "#rrggbb for headers and buttons; white text on it must reach 4.5:1", 0, 0, 0 },
	{ "public_url", K_URL, offsetof(struct profile, public_url),
	  "where customers' personal pages are served, e.g. https://pay.example.com", 0, 0, 0 },
	{ "email_from", K_EMAIL, offsetof(struct profile, email_from),
	  "sender address of reminder e-mails", 0, 0, 0 },
	{ "sender_city", K_TEXT, offsetof(struct profile, sender_city),
	  "place printed before the date on letters", 0, 0, 0 },
	{ "letter_return", K_TEXT, offsetof(struct profile, letter_return),
	  "one-line return address printed above the letter window", 0, 0, 0 },
	{ "footer", K_TEXT, offsetof(struct profile, footer),
	  "registration details for letters and e-mails", 0, 0, 0 },
	{ "offer_text", K_TEXT, offsetof(struct profile, offer_text),
	  "an optional offer shown in reminders (e.g. a cheaper plan)", 0, 0, 0 },
	{ "offer_link", K_URL, offsetof(struct profile, offer_link),
	  "where the offer is explained", 0, 0, 0 },
	{ "offer_segments", K_TEXT, offsetof(struct profile, offer_segments),
	  "segments the offer is for, space-separated (empty: everyone)", 0, 0, 0 },
	{ "sms_max_segments", K_INT, offsetof(struct profile, sms_max_segments),
	  "longest SMS allowed, in segments (1-10, default 2)", 1, 10, 2 },
	{ "quiet_hours", K_HOURS, offsetof(struct profile, quiet_hours),
	  "no messages in these local hours (default 21:00-08:00)", 0, 0, 0 },
	{ "quiet_sundays", K_BOOL, offsetof(struct profile, quiet_sundays),
	  "no messages on Sundays (yes/no, default yes)", 0, 1, 1 },
	{ "quiet_holidays", K_BOOL, offsetof(struct profile, quiet_holidays),
	  "no messages on the customer's public holidays (default yes)", 0, 1,
	  1 },
	{ "max_attempts", K_INT, offsetof(struct profile, max_attempts),
	  "tries before a message is given up (1-20, default 8)", 1, 20, 8 },
	{ "max_age_hours", K_INT, offsetof(struct profile, max_age_hours),
	  "hours after which an unsent message is given up (default 72)", 1,
	  720, 72 },
	{ "link_days", K_INT, offsetof(struct profile, link_days),
	  "days a personal link keeps working (default 60)", 1, 400, 60 },
	{ "checkout", K_CHECKOUT, offsetof(struct profile, checkout),
	  "online payment on the personal page: test (built-in test provider),"
	  " mollie:..., stripe:... (empty: bank transfer only)", 0, 0, 0 },
	{ "postpone_days", K_INT, offsetof(struct profile, postpone_days),
	  "how far ahead a customer may choose a later date, once per case"
	  " (days, 0 = not offered, default 30)", 0, 90, 30 },
	{ "plan_max_months", K_INT, offsetof(struct profile, plan_max_months),
	  "most instalments of a plan set up on the page (2-36, default 12;"
	  " 0 = no plans)", 0, 36, 12 },
	{ "plan_min_instalment", K_INT,
	  offsetof(struct profile, plan_min_instalment),
	  "smallest instalment, in whole units of the currency (default 10)",
	  1, 100000, 10 },
	{ "plan_grace_days", K_INT, offsetof(struct profile, plan_grace_days),
	  "days an instalment may be late before the plan breaks (default 7)",
	  0, 60, 7 },
	{ "fees_first", K_BOOL, offsetof(struct profile, fees_first),
	  "payments cover reminder fees before invoices (yes/no, default no:"
	  " invoices first; Dutch law, art. 6:44 BW, puts costs first)", 0, 1,
	  0 },
	{ "deliver_email", K_DELIVER, offsetof(struct profile, deliver) +
	  CHANNEL_EMAIL * sizeof(char *),
	  "how e-mail goes out: smtp://user:${PW}@host:587, file:DIR", 0, 0, 0 },
	{ "deliver_sms", K_DELIVER, offsetof(struct profile, deliver) +
	  CHANNEL_SMS * sizeof(char *),
	  "how SMS goes out: twilio:URL?..., bird:URL?..., file:DIR", 0, 0, 0 },
	{ "deliver_letter", K_DELIVER, offsetof(struct profile, deliver) +
	  CHANNEL_LETTER * sizeof(char *),
	  "where letters go: letters:DIR (print house), file:DIR", 0, 0, 0 },
	{ "deliver_voice", K_DELIVER, offsetof(struct profile, deliver) +
	  CHANNEL_VOICE * sizeof(char *),
	  "where calls go: voice:DIR (agents' call queue), file:DIR", 0, 0, 0 },
	{ "deliver_whatsapp", K_DELIVER, offsetof(struct profile, deliver) +
	  CHANNEL_WHATSAPP * sizeof(char *),
	  "how WhatsApp goes out: whatsapp:URL?..., file:DIR", 0, 0, 0 },
	{ "deliver_push", K_DELIVER, offsetof(struct profile, deliver) +
	  CHANNEL_PUSH * sizeof(char *),
	  "where app pushes go: webhook:URL?secret=${NAME}, file:DIR", 0, 0, 0 },
};

#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

static const struct key_def *find_key(const char *key)
{
	for (size_t i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].key, key) == 0)
			return &keys[i];
	return NULL;
}

const char *const *profile_keys(void)
{
	static const char *names[N_KEYS + 1];
	if (!names[0])
		for (size_t i = 0; i < N_KEYS; i++)
			names[i] = keys[i].key;
	return names;
}

const char *profile_key_help(const char *key)
{
	const struct key_def *k = find_key(key);
	return k ? k->help : NULL;
}

/* WCAG 2.x relative luminance of one sRGB channel (0..255). Floating point
 * is fine here: it is a colour, not money. */
static double channel_luminance(int v)
{
	double c = v / 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

int profile_contrast_white(const char *hex)
{
	int rgb[3];
	if (!hex || strlen(hex) != 7 || hex[0] != '#')
		return -1;
	for (int i = 0; i < 3; i++) {
		int hi = hex_digit(hex[1 + 2 * i]);
		int lo = hex_digit(hex[2 + 2 * i]);
		if (hi < 0 || lo < 0)
			return -1;
		rgb[i] = hi * 16 + lo;
	}
	double l = 0.2126 * channel_luminance(rgb[0]) +
		   0.7152 * channel_luminance(rgb[1]) +
		   0.0722 * channel_luminance(rgb[2]);
	/* (L_white + 0.05) / (L + 0.05), L_white = 1 */
	return (int)floor(105.0 / (l + 0.05));
}

static int check_text(const char *key, const char *v, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	for (const unsigned char *p = (const unsigned char *)v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return err_set(e, ERR_INVALID,
				       "%s: '%s' holds a control character"
				       " (one line of text expected)",
				       key, err_quote(v, q));
	return 0;
}

static int check_email(const char *key, const char *v, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *at = strchr(v, '@');
	size_t n = strlen(v);
	if (!at || at == v || strchr(at + 1, '@') || !strchr(at + 1, '.') ||
	    at[1] == '.' || v[n - 1] == '.' || n > 254 ||
	    strcspn(v, " \t\"(),:;<>[\\]") != n)
		return err_set(e, ERR_INVALID,
			       "%s: '%s' is not an e-mail address"
			       " (name@example.com expected)",
			       key, err_quote(v, q));
	return 0;
}

static int check_url(const char *key, const char *v, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *host;
	if (strncmp(v, "https://", 8) == 0)
		host = v + 8;
	else if (strncmp(v, "http://", 7) == 0)
		host = v + 7;
	else
		return err_set(e, ERR_INVALID,
			       "%s: '%s' is not a web address"
			       " (https://... expected)", key, err_quote(v, q));
	if (!*host || *host == '/' ||
	    strcspn(v, " \t\"<>\\^`{|}") != strlen(v))
		return err_set(e, ERR_INVALID,
			       "%s: '%s' has no host or holds a character not"
			       " allowed in a web address", key,
			       err_quote(v, q));
	return check_text(key, v, e);
}

static int check_phone(const char *key, const char *v, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	int digits = 0;
	for (const char *p = v; *p; p++) {
		if (*p >= '0' && *p <= '9')
			digits++;
		else if (!strchr("+ -()/.", *p) || (*p == '+' && p != v))
			return err_set(e, ERR_INVALID,
				       "%s: '%s' is not a phone number"
				       " (digits, spaces and a leading +)",
				       key, err_quote(v, q));
	}
	if (digits < 3 || digits > 15)
		return err_set(e, ERR_INVALID,
			       "%s: '%s' has %d digits (3 to 15 expected)",
			       key, err_quote(v, q), digits);
	return 0;
}

/* 1 for yes, 0 for no, -1 for anything else. */
static int bool_value(const char *v)
{
	static const char *const yes[] = { "yes", "true", "1", "on" };
	static const char *const no[] = { "no", "false", "0", "off" };
	for (size_t i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0)
			return 1;
		if (strcmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

static int check_value(const struct key_def *k, const char *v,
		       struct err *e)
{
	char q[ERR_QUOTE_BUF];
	int r;

	if (strlen(v) > PROFILE_VALUE_MAX)
		return err_set(e, ERR_TOOBIG, "%s: the value is longer than %d"
			       " bytes", k->key, PROFILE_VALUE_MAX);
	switch (k->kind) {
	case K_TEXT:
		return check_text(k->key, v, e);
	case K_EMAIL:
		return check_email(k->key, v, e);
	case K_URL:
		return check_url(k->key, v, e);
	case K_PHONE:
		return check_phone(k->key, v, e);
	case K_IBAN:
		r = iban_valid(v, e);
		if (r < 0)
			err_prefix(e, "%s: ", k->key);
		return r;
	case K_BIC:
		r = bic_valid(v, e);
		if (r < 0)
			err_prefix(e, "%s: ", k->key);
		return r;
	case K_COLOR: {
		int c = profile_contrast_white(v);
		if (c < 0)
			return err_set(e, ERR_INVALID,
				       "%s: '%s' is not a colour (#rrggbb"
				       " expected)", k->key, err_quote(v, q));
		if (c < 450)
			return err_set(e, ERR_RANGE,
				       "%s: white text on %s has a contrast of"
				       " %d.%02d:1, below the 4.5:1 that WCAG AA"
				       " asks for; choose a darker colour",
				       k->key, v, c / 100, c % 100);
		return 0;
	}
	case K_INT:
		if (strlen(v) > 4 || strspn(v, "0123456789") != strlen(v) ||
		    strtol(v, NULL, 10) < k->min || strtol(v, NULL, 10) > k->max)
			return err_set(e, ERR_RANGE,
				       "%s: '%s' is not a number from %d to %d",
				       k->key, err_quote(v, q), k->min, k->max);
		return 0;
	case K_BOOL:
		if (bool_value(v) < 0)
			return err_set(e, ERR_INVALID, "%s: '%s' is not yes or"
				       " no", k->key, err_quote(v, q));
		return 0;
	case K_HOURS: {
		int a, b;
		r = outbox_parse_hours(v, &a, &b, e);
		if (r < 0)
			err_prefix(e, "%s: ", k->key);
		return r;
	}
	case K_DELIVER:
		if (!deliver_find(v))
			return err_set(e, ERR_INVALID,
				       "%s: '%.*s...' names no delivery adapter"
				       " (expected one of %s)", k->key,
				       (int)strcspn(v, ":"), v,
				       deliver_schemes());
		return check_text(k->key, v, e);
	case K_CHECKOUT:
		if (strcmp(v, "test") != 0 && !psp_backend_find(v))
			return err_set(e, ERR_INVALID,
				       "%s: '%.*s' is no payment provider"
				       " (expected test, mollie:... or"
				       " stripe:...)", k->key,
				       (int)strcspn(v, ":"), v);
		return check_text(k->key, v, e);
	}
	return 0;
}

int profile_check(const char *key, const char *value, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const struct key_def *k = find_key(key);
	int r;

	if (!k)
		return err_set(e, ERR_NOTFOUND,
			       "no setting '%s' (see 'dunwell tenant keys')",
			       err_quote(key, q));
	if (!value || !*value)
		return 0;
	r = check_value(k, value, e);
	/* Only here, not in check_value: a stored value with an inline
	 * secret still loads, and dispatch and serve say why they refuse
	 * it instead of seeing no setting at all. */
	if (r == 0 && (k->kind == K_DELIVER || k->kind == K_CHECKOUT))
		r = profile_inline_secret(key, value, e);
	return r;
}

int profile_set(struct store *s, int64_t tenant_id, const char *key,
		const char *value, struct err *e)
{
	int r = profile_check(key, value, e);
	if (r < 0)
		return r;
	return store_setting_put(s, tenant_id, key,
				 value && *value ? value : NULL, e);
}

static int is_text(const struct key_def *k)
{
	return k->kind != K_INT && k->kind != K_BOOL;
}

static char **field(struct profile *p, const struct key_def *k)
{
	return (char **)((char *)p + k->offset);
}

static int *int_field(struct profile *p, const struct key_def *k)
{
	return (int *)((char *)p + k->offset);
}

int profile_load(struct store *s, int64_t tenant_id, const char *tenant_name,
		 struct profile *ret, struct err *e)
{
	struct setting_rec *list = NULL;
	struct profile p;
	size_t n = 0;
	int r;

	memset(&p, 0, sizeof(p));
	r = store_settings_get(s, tenant_id, &list, &n, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < N_KEYS; i++)
		if (!is_text(&keys[i]))
			*int_field(&p, &keys[i]) = keys[i].dflt;
	for (size_t i = 0; i < n; i++) {
		const struct key_def *k = find_key(list[i].key);
		/* A key this version does not know (written by a newer one) is
		 * ignored, and a stored value is checked again: settings may
		 * have been written by hand. */
		if (!k || check_value(k, list[i].value, NULL) < 0)
			continue;
		if (k->kind == K_INT)
			*int_field(&p, k) = (int)strtol(list[i].value, NULL, 10);
		else if (k->kind == K_BOOL)
			*int_field(&p, k) = bool_value(list[i].value);
		else
			*field(&p, k) = xstrdup(list[i].value);
	}
	setting_list_free(list, n);
	for (size_t i = 0; i < N_KEYS; i++)
		if (is_text(&keys[i]) && !*field(&p, &keys[i]))
			*field(&p, &keys[i]) = xstrdup("");
	if (!*p.quiet_hours) {
		free(p.quiet_hours);
		p.quiet_hours = xstrdup("21:00-08:00");
	}
	outbox_parse_hours(p.quiet_hours, &p.quiet_start_min, &p.quiet_end_min,
			   NULL);
	if (!*p.beneficiary) {
		free(p.beneficiary);
		p.beneficiary = xstrdup(tenant_name ? tenant_name : "");
	}
	if (!*p.brand_color) {
		free(p.brand_color);
		p.brand_color = xstrdup("#1a5fb4"); /* 6.4:1 against white */
	}
	if (!*p.public_url) {
		free(p.public_url);
		p.public_url = xstrdup("http://127.0.0.1:8080");
	}
	*ret = p;
	return 0;
}

void profile_clear(struct profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < N_KEYS; i++)
		if (is_text(&keys[i]))
			free(*field(p, &keys[i]));
	memset(p, 0, sizeof(*p));
}

/* A delivery setting with its secrets hidden: the password of
 * "scheme://user:password@host", and the value of every parameter whose
 * name holds "secret", "token", "key" or "pass" (token=, app_secret=,
 * verify_token=, key=, password=) become "***", unless it is a ${NAME}
 * placeholder (a setting stored before secrets had to be placeholders may
 * still hold one inline). */
static int secret_name(const char *name, size_t n)
{
	static const char *const words[] = { "secret", "token", "key", "pass" };
	for (size_t w = 0; w < 4; w++)
		for (size_t i = 0; i + strlen(words[w]) <= n; i++)
			if (strncmp(name + i, words[w], strlen(words[w])) == 0)
				return 1;
	return 0;
}

/* Is v[0..n) exactly one ${NAME} placeholder (NAME of A-Z, 0-9, _)? */
static int is_placeholder(const char *v, size_t n)
{
	if (n < 4 || v[0] != '$' || v[1] != '{' || v[n - 1] != '}')
		return 0;
	for (size_t i = 2; i + 1 < n; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
			return 0;
	return 1;
}

/* Where the password of "scheme://user:PASSWORD@host" is: *ret_at its
 * start, *ret_n its length; 0 when the setting has none. */
static int password_of(const char *v, const char **ret_at, size_t *ret_n)
{
	const char *scheme = strstr(v, "://");
	const char *query = strchr(v, '?');
	const char *colon, *at;
	size_t auth;

	if (!scheme || (query && query < scheme))
		return 0;
	auth = strcspn(scheme + 3, "/?#");
	at = memchr(scheme + 3, '@', auth);
	colon = memchr(scheme + 3, ':', auth);
	if (!at || !colon || colon > at)
		return 0;
	*ret_at = colon + 1;
	*ret_n = (size_t)(at - colon - 1);
	return 1;
}

int profile_inline_secret(const char *key, const char *value, struct err *e)
{
	const struct key_def *k = find_key(key);
	const char *pw, *query;
	size_t n;

	if (!k || (k->kind != K_DELIVER && k->kind != K_CHECKOUT) || !value ||
	    strncmp(value, "file:", 5) == 0 ||
	    strncmp(value, "letters:", 8) == 0 ||
	    strncmp(value, "voice:", 6) == 0)
		return 0;
	if (password_of(value, &pw, &n) && n > 0 && !is_placeholder(pw, n))
		return err_set(e, ERR_INVALID,
			       "%s: the password after 'user:' is written into"
			       " the setting; put the secret into the"
			       " environment or the secrets file (--secrets)"
			       " and write ${NAME} in its place", key);
	query = strchr(value, '?');
	for (const char *p = query; p && *p;) {
		size_t len = strcspn(p + 1, "&");
		size_t nlen = strcspn(p + 1, "=&");
		if (nlen < len && secret_name(p + 1, nlen) &&
		    len - nlen - 1 > 0 &&
		    !is_placeholder(p + 2 + nlen, len - nlen - 1))
			return err_set(e, ERR_INVALID,
				       "%s: parameter %.*s holds a secret"
				       " written into the setting; put the"
				       " secret into the environment or the"
				       " secrets file (--secrets) and write"
				       " %.*s=${NAME}", key, (int)nlen, p + 1,
				       (int)nlen, p + 1);
		p += 1 + len;
	}
	return 0;
}

static void mask_secrets(const char *v, char *buf, size_t cap)
{
	size_t o = 0;
	const char *at = strchr(v, '@'), *scheme = strstr(v, "://");
	const char *colon = scheme ? strchr(scheme + 3, ':') : NULL;
	const char *query = strchr(v, '?');
	int hide = 0;

	for (const char *q = v; *q && o + 4 < cap; q++) {
		if (colon && at && q == colon + 1 && colon < at &&
		    (!query || at < query) &&
		    !is_placeholder(colon + 1, (size_t)(at - colon - 1))) {
			memcpy(buf + o, "***", 3);
			o += 3;
			q = at - 1;
			continue;
		}
		if (query && q >= query && (*q == '?' || *q == '&')) {
			size_t n = strcspn(q + 1, "=&");
			/* a ${NAME} placeholder is no secret: shown */
			hide = q[1 + n] == '=' && secret_name(q + 1, n) &&
			       !is_placeholder(q + 2 + n, strcspn(q + 2 + n,
								  "&"));
			buf[o++] = *q;
			if (hide && o + n + 5 < cap) {
				memcpy(buf + o, q + 1, n + 1);
				o += n + 1;
				memcpy(buf + o, "***", 3);
				o += 3;
				q += n + 1;
			}
			continue;
		}
		if (!hide)
			buf[o++] = *q;
	}
	buf[o] = '\0';
}

int profile_value(const struct profile *p, const char *key, char *buf,
		  size_t cap)
{
	const struct key_def *k = find_key(key);
	if (!k || cap == 0)
		return -ERR_NOTFOUND;
	if (k->kind == K_INT)
		snprintf(buf, cap, "%d", *int_field((struct profile *)p, k));
	else if (k->kind == K_BOOL)
		snprintf(buf, cap, "%s",
			 *int_field((struct profile *)p, k) ? "yes" : "no");
	else if (k->kind == K_DELIVER || k->kind == K_CHECKOUT)
		mask_secrets(*field((struct profile *)p, k), buf, cap);
	else
		snprintf(buf, cap, "%s", *field((struct profile *)p, k));
	return 0;
}
