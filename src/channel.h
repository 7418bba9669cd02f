/*
 * channel: the ways dunwell reaches a customer, and their names.
 *
 * The names are the ones used in strategy files, CSV imports, the API and
 * the database; they never change once published.
 */
#ifndef DUNWELL_CHANNEL_H
#define DUNWELL_CHANNEL_H

enum channel {
	CHANNEL_EMAIL = 0,
	CHANNEL_SMS,
	CHANNEL_LETTER,
	CHANNEL_VOICE,
	CHANNEL_WHATSAPP,
	CHANNEL_PUSH,
	CHANNEL_COUNT
};

/* "email", "sms", "letter", "voice", "whatsapp", "push". */
const char *channel_name(enum channel c);
/* 0 and *ret set, or -ERR_INVALID for an unknown name. */
int channel_parse(const char *name, enum channel *ret);
/* "email, sms, letter, ..." for error messages. */
const char *channel_list(void);

#endif
