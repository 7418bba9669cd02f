/*
 * deliver: the registry of channel adapters, chosen by the scheme of a
 * tenant's delivery setting.
 */
#include "deliver.h"

#include <string.h>

#include "deliver_file.h"
#include "deliver_letters.h"
#include "deliver_sms_bird.h"
#include "deliver_sms_twilio.h"
#include "deliver_smtp.h"
#include "deliver_voice.h"
#include "deliver_webhook.h"
#include "deliver_whatsapp.h"

/* Every adapter, by the scheme of its setting. */
static const struct deliver_backend *const backends[] = {
	&deliver_smtp, &deliver_smtps, &deliver_sms_twilio, &deliver_sms_bird,
	&deliver_whatsapp, &deliver_webhook, &deliver_letters, &deliver_voice,
	&deliver_file,
};

const struct deliver_backend *deliver_find(const char *config)
{
	size_t n = config ? strcspn(config, ":") : 0;
	if (!config || !config[n])
		return NULL;
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		const struct deliver_backend *b = backends[i];
		if (strlen(b->scheme) == n &&
		    strncmp(b->scheme, config, n) == 0)
			return b;
	}
	return NULL;
}

const char *deliver_schemes(void)
{
	return "smtp, smtps, twilio, bird, whatsapp, webhook, letters, voice,"
	       " file";
}
