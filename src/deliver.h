/*
 * deliver: the channel adapters' interface — how a composed message is
 * handed to whatever carries it to the customer (an SMTP server, an SMS
 * provider's HTTP API, WhatsApp's Cloud API, a tenant's push webhook, a
 * print-and-mail house's folder, the agents' call queue, or a file).
 *
 * Each adapter is one `struct deliver_backend`, chosen by the scheme of
 * the tenant's delivery setting ("smtp://…", "twilio:…", "file:…"; see
 * deliver_find). Adapters only carry: they never decide whether or when a
 * message may go (dispatch does), never touch the store, and report each
 * message's outcome in a `struct deliver_result`. Every message carries an
 * idempotency key; adapters pass it to providers that honour one (an HTTP
 * header, a Message-ID), so a retry after a crash does not reach the
 * customer twice where the provider deduplicates.
 */
#ifndef DUNWELL_DELIVER_H
#define DUNWELL_DELIVER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "channel.h"
#include "date.h"
#include "err.h"

#define DELIVER_ID_MAX 128    /* provider message id, bytes with NUL */
#define DELIVER_ERROR_MAX 256 /* provider error text, bytes with NUL */
#define DELIVER_BATCH_MAX 256 /* messages in one send() call */

/* One message to hand over. Everything is borrowed for the call. */
struct deliver_msg {
	int64_t id;                  /* the outbox id */
	const char *idempotency_key; /* stable for this message across retries */
	enum channel channel;
	const char *to;              /* e-mail address, E.164 number, postal
					address (lines split by '\n'), ... */
	const char *to_name;         /* the customer's name */
	const char *tenant;          /* tenant slug (file names, headers) */
	const char *locale;          /* the message's language */
	const char *subject;         /* e-mail and letter subject, else "" */
	const char *text;            /* SMS/WhatsApp/push text, voice script,
					e-mail text part */
	const unsigned char *document; /* the whole thing: .eml (CRLF, ready
					  for SMTP DATA), PDF or WAV; NULL
					  for text-only channels */
	size_t document_len;
	const char *link;            /* the personal page, for push payloads */
	instant_t now;               /* the dispatcher's clock */
};

enum deliver_status {
	DELIVER_SENT = 0,   /* handed over; provider_id may name it */
	DELIVER_RETRY,      /* temporary failure: try again later */
	DELIVER_HARD_FAIL,  /* permanent for this address (bounce, invalid
			       number, unsubscribed): try the next channel */
};

struct deliver_result {
	enum deliver_status status;
	char provider_id[DELIVER_ID_MAX];  /* "" when the provider gave none */
	char error[DELIVER_ERROR_MAX];     /* what went wrong, "" when sent */
	int retry_after;                   /* seconds the provider asked to
					      wait (429 Retry-After), 0 none */
};

struct deliver_backend {
	const char *scheme;   /* prefix of the setting: "smtp", "twilio", ... */
	enum channel channel; /* the channel it carries; CHANNEL_COUNT = any
				 (the file adapter) */
	/* Parse the setting (the whole string, scheme included) and set up;
	 * errors name the part of the setting at fault. */
	int (*open)(const char *config, void **ret_handle, struct err *e);
	/* Hand over n (<= DELIVER_BATCH_MAX) messages, as concurrently as the
	 * adapter can; results[i] is the outcome of msgs[i]. A negative
	 * return means the adapter could not try at all (every message is
	 * then retried); per-message failures go into results. */
	int (*send)(void *h, const struct deliver_msg *msgs, size_t n,
		    struct deliver_result *results, struct err *e);
	/* Finish what is pending (close a day's letter batch, write its
	 * manifest); NULL when there is nothing to finish. */
	int (*flush)(void *h, instant_t now, struct err *e);
	void (*close)(void *h);
};

/* The adapter for a setting's scheme ("smtp://..." → smtp), or NULL. */
const struct deliver_backend *deliver_find(const char *config);
/* "smtp, smtps, twilio, bird, whatsapp, webhook, letters, voice, file"
 * for messages. */
const char *deliver_schemes(void);

#endif
