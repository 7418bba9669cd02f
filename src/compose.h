/*
 * compose: turn one decided contact into the message a customer receives —
 * choose the template (tenant → built-in, locale chain, plain language,
 * tone fallback), fill its variables from the case (formatted for the
 * customer's locale), render the parts, and shape them for the channel
 * (MIME e-mail, SMS, PDF letter, spoken WAV, short push text).
 *
 * docs/messages.md is the reference for templates and variables. This
 * module reads templates (built-in ones compiled in, a tenant's own ones
 * from the store) and never writes anything: `dunwell preview` and the
 * dispatcher both call it. One `struct compose` per thread: it caches
 * compiled templates and ICU formatters.
 */
#ifndef DUNWELL_COMPOSE_H
#define DUNWELL_COMPOSE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "channel.h"
#include "date.h"
#include "err.h"
#include "profile.h"
#include "sms.h"
#include "store.h"
#include "strategy.h"

#define COMPOSE_LOCALE_MAX 36
#define COMPOSE_SOURCE_MAX 160
#define COMPOSE_PLAN_MAX 24

struct compose;

/* One instalment of a plan, for confirmations. */
struct compose_instalment {
	date_t due;
	int64_t amount_minor;
};

/* What the message is about. Everything is borrowed. */
struct compose_input {
	const struct tenant_rec *tenant;
	const struct profile *profile;
	const struct customer_rec *customer; /* name, locale, contacts... */
	int64_t case_id;              /* 0 when the message has no case */
	const char *currency;         /* the case's currency */
	int64_t fees_minor;           /* fees charged so far on the case */
	const struct invoice_rec *invoices; /* the case's open invoices */
	size_t n_invoices;
	const char *template_id;      /* from the step; NULL = by tone */
	enum tone tone;
	enum channel channel;
	date_t today;                 /* the customer's local date */
	date_t pay_by;                /* DATE_NONE: today + 14 days */
	int64_t fee_new_minor;        /* the fee this step charges/announces */
	date_t next_fee_date;         /* when that fee applies; DATE_NONE */
	const char *interest_rate;    /* "12.15%" for B2B notices, or NULL */
	const char *link_token;       /* the personal link's token */
	const char *locale;           /* NULL: the customer's own */
	const char *message_id;       /* unique id (Message-ID, file names) */
	instant_t now;                /* the instant of sending */
	/* confirmations and thank-you */
	int64_t paid_minor;
	date_t promise_date;
	const struct compose_instalment *plan;
	size_t n_plan;
	const char *service_name;     /* service_restricted; NULL = none */
	int parts_only;               /* render subject, text and HTML but not
					 the document (.eml with its QR image,
					 PDF, WAV): for checks and benchmarks */
};

/* The composed message. Buffers are filled for the parts the channel
 * uses; the rest stay empty. */
struct compose_output {
	char locale[COMPOSE_LOCALE_MAX];  /* the locale the text is in */
	char source[COMPOSE_SOURCE_MAX];  /* which template file was used */
	int plain;                        /* the plain-language variant */
	struct buf subject;               /* email and letter */
	struct buf text;                  /* email text part, SMS/push text,
					     voice script */
	struct buf html;                  /* email HTML part */
	struct buf document;              /* the whole thing: .eml, PDF, WAV */
	struct sms_info sms;              /* SMS only */
};

/* The terms a step's message states, decided the same way wherever a
 * message is made: the next fee a later step would charge, and from when
 * (announced before it is charged; a fee the step itself charges is in the
 * case's fees by the time the message goes out), and the date to
 * pay by — the day before the next contact step, kept between 7 and 30
 * days from today, or 14 days when no step follows. */
struct compose_terms {
	int64_t fee_new_minor;
	date_t next_fee_date;         /* DATE_NONE when no fee is coming */
	date_t pay_by;
};

int compose_step_terms(const struct strategy *st, size_t step,
		       const struct currency *cur, int64_t principal_minor,
		       date_t anchor, date_t today, struct compose_terms *ret,
		       struct err *e);

struct compose *compose_new(struct store *s);  /* s may be NULL */
void compose_free(struct compose *c);

void compose_output_init(struct compose_output *o);
void compose_output_free(struct compose_output *o);

int compose_message(struct compose *c, const struct compose_input *in,
		    struct compose_output *out, struct err *e);

/* Compile every built-in template (each locale, variant and part) and the
 * e-mail layout, so an unknown variable or a broken section is reported as
 * file:line. *ret_n counts the files. */
int compose_check_all(struct compose *c, int *ret_n, struct err *e);

/* Check one template file's text (as a tenant would upload it). */
int compose_check_source(struct compose *c, const char *name,
			 const char *text, size_t len, struct err *e);

/* A public, free, independent debt-advice service of one country. */
struct debt_advice {
	const char *country; /* ISO 3166 alpha-2 */
	const char *name;
	const char *phone;   /* "" when it has no free number */
	const char *url;
};

/* The service for `country` (e.g. "NL"), or NULL when none is listed. */
const struct debt_advice *compose_debt_advice(const char *country);

#endif
