/*
 * channel: channel names (see channel.h).
 */
#include "channel.h"

#include <string.h>

#include "err.h"

static const char *const channel_names[CHANNEL_COUNT] = {
	[CHANNEL_EMAIL] = "email",
	[CHANNEL_SMS] = "sms",
	[CHANNEL_LETTER] = "letter",
	[CHANNEL_VOICE] = "voice",
	[CHANNEL_WHATSAPP] = "whatsapp",
	[CHANNEL_PUSH] = "push",
};

const char *channel_name(enum channel c)
{
	if ((unsigned)c >= CHANNEL_COUNT)
		return "?";
	return channel_names[c];
}

int channel_parse(const char *name, enum channel *ret)
{
	for (int i = 0; i < CHANNEL_COUNT; i++) {
		if (strcmp(name, channel_names[i]) == 0) {
			*ret = (enum channel)i;
			return 0;
		}
	}
	return -ERR_INVALID;
}

const char *channel_list(void)
{
	return "email, sms, letter, voice, whatsapp, push";
}
