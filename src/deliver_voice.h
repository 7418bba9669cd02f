/*
 * deliver_voice: call tasks for the agents' call queue, as files in a
 * folder (scheme "voice").
 *
 * Setting: "voice:/path/to/queue". Each message becomes
 *
 *   <dir>/<key>.wav   the spoken message (msg->document), when there is one
 *   <dir>/<key>.json  the task, written last (it names the audio file):
 *     { "idempotency_key", "outbox_id", "tenant", "customer_name",
 *       "phone" (msg->to, E.164), "locale", "script" (msg->text),
 *       "audio" ("<key>.wav" or null), "created" (msg->now, RFC 3339 UTC) }
 *
 * Both files are written atomically (fsutil), so the queue never sees a
 * half task or half audio; a retry of the same key replaces the same two
 * files. Outcomes: SENT with provider_id "<key>.json"; HARD_FAIL when the
 * number is not E.164, the script is empty, a text is not UTF-8 or too
 * long, the document is not a WAV file, or the key is not a safe file
 * name; RETRY with the system's error text when a file cannot be written.
 *
 * What the queue does with a task (and when it deletes it) is its own
 * business: a task taken and deleted before a retry of the same key would
 * be written again, so the queue should remember the keys it has called.
 */
#ifndef DUNWELL_DELIVER_VOICE_H
#define DUNWELL_DELIVER_VOICE_H

#include "deliver.h"

#define VOICE_DIR_MAX 512            /* bytes of the configured path */
#define VOICE_KEY_MAX 96             /* bytes of an idempotency key */
#define VOICE_SCRIPT_MAX (64 * 1024) /* bytes of the call script */
#define VOICE_FIELD_MAX 1024         /* bytes of the name, locale, tenant */
#define VOICE_WAV_MAX (64u << 20)    /* bytes of the audio */

extern const struct deliver_backend deliver_voice;

#endif
