/*
 * profile: what a tenant tells its customers about itself — contact
 * details, how to reach a person, bank account, brand colour, the public
 * address of its customers' pages — kept as checked key/value settings.
 *
 * The keys and the rules for their values live here (store.c only keeps
 * text), so `dunwell tenant set KEY VALUE`, the API and the demo all get the
 * same checks and the same messages. A value that would make a message
 * wrong or inaccessible (an invalid IBAN, a brand colour that fails WCAG AA
 * contrast with white text) is rejected with the reason.
 */
#ifndef DUNWELL_PROFILE_H
#define DUNWELL_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "channel.h"
#include "err.h"

struct store;

#define PROFILE_VALUE_MAX 512 /* bytes of any one setting */

struct profile {
	char *email;           /* the company's contact e-mail, "" when none */
	char *phone;           /* its phone number */
	char *website;         /* https URL */
	char *address;         /* postal address, one line */
	char *help_phone;      /* how to reach a person about a bill */
	char *help_email;
	char *help_hours;      /* free text: "Mon-Fri 9:00-17:00" */
	char *iban;            /* account for bank transfers, "" when none */
	char *bic;
	char *beneficiary;     /* account holder; default: the tenant's name */
	char *brand_color;     /* "#rrggbb", AA contrast with white text */
	char *public_url;      /* base of customers' personal pages */
	char *email_from;      /* sender address of reminder e-mails */
	char *sender_city;     /* place on letters: "Amsterdam, <date>" */
	char *letter_return;   /* one-line return address above the window */
	char *footer;          /* registration details on letters and mails */
	char *offer_text;      /* optional offer shown in reminders */
	char *offer_link;      /* https URL of the offer */
	char *offer_segments;  /* segments the offer is for ("" = everyone) */
	char *quiet_hours;     /* "21:00-08:00": no messages then (local) */
	char *deliver[CHANNEL_COUNT]; /* adapter setting per channel
					 ("smtp://...", "file:...") */
	int sms_max_segments;  /* longest SMS allowed, in segments */
	int quiet_start_min;   /* quiet_hours parsed: from this minute */
	int quiet_end_min;     /* ... until this one */
	int quiet_sundays;     /* no messages on Sundays */
	int quiet_holidays;    /* none on the customer's public holidays */
	int max_attempts;      /* tries before a message is given up */
	int max_age_hours;     /* age after which a message is given up */
	int link_days;         /* a personal link works this long */
	char *checkout;        /* online payment: "test", "mollie:...",
				  "stripe:..."; "" = bank transfer only */
	int postpone_days;     /* a later date at most this far ahead; 0 = none */
	int plan_max_months;   /* most instalments; 0 = no plans */
	int plan_min_instalment; /* smallest instalment, whole units */
	int plan_grace_days;   /* an instalment may be this late */
	int fees_first;        /* a payment covers the case's reminder fees
				  before its invoices (else invoices first) */
};

/* The tenant's profile, defaults filled in for missing keys. */
int profile_load(struct store *s, int64_t tenant_id, const char *tenant_name,
		 struct profile *ret, struct err *e);
void profile_clear(struct profile *p);

/* Check and store one setting ("" or NULL value removes it). */
int profile_set(struct store *s, int64_t tenant_id, const char *key,
		const char *value, struct err *e);
/* Check a value for a key without storing it. */
int profile_check(const char *key, const char *value, struct err *e);

/* A delivery setting (deliver_*) that holds a secret inline: a password in
 * "scheme://user:PASSWORD@host", or a parameter whose name holds secret,
 * token, key or pass, whose value is not exactly a ${NAME} placeholder.
 * -ERR_INVALID naming the key and the parameter (never the value), saying
 * to put the secret into the environment or the secrets file. file:,
 * letters: and voice: settings, and other keys, always pass. */
int profile_inline_secret(const char *key, const char *value, struct err *e);

/* A setting's value as text (defaults included), for showing it. */
int profile_value(const struct profile *p, const char *key, char *buf,
		  size_t cap);

/* The keys, NULL-terminated, and a one-line description of each. */
const char *const *profile_keys(void);
const char *profile_key_help(const char *key);

/* WCAG 2 contrast ratio of a "#rrggbb" colour against white, times 100
 * (450 = 4.5:1); negative when the colour is malformed. */
int profile_contrast_white(const char *hex);

#endif
