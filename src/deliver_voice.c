/*
 * deliver_voice: a call task (JSON, jansson) and its audio (WAV) per
 * message in the agents' queue folder (see deliver_voice.h).
 *
 * Only carries: the script and the audio arrive composed; this module
 * checks them, writes the two files atomically, audio first, and never
 * decides whether or when a call is made.
 */
#include "deliver_voice.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "mem.h"

#define VOICE_SCHEME "voice"
#define VOICE_JSON_MAX (VOICE_SCRIPT_MAX * 7 + 16 * 1024) /* escaped worst case */

/* One open adapter. */
struct voice {
	char dir[VOICE_DIR_MAX]; /* the queue folder from the setting */
};

static int voice_open(const char *config, void **ret_handle, struct err *e)
{
	char dir[VOICE_DIR_MAX];
	struct voice *h;
	int rc;

	rc = fs_config_dir(config, VOICE_SCHEME, "queue folder",
			   "/path/to/queue", sizeof(dir), dir, NULL, e);
	if (rc < 0)
		return rc;
	h = xcalloc(1, sizeof(*h));
	memcpy(h->dir, dir, strlen(dir) + 1);
	*ret_handle = h;
	return 0;
}

static void voice_close(void *h)
{
	free(h);
}

/* 1 for an E.164 number: '+', then 2 to 15 digits, the first not 0. */
static int voice_is_e164(const char *s)
{
	size_t i;

	if (!s || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	for (i = 1; s[i]; i++)
		if (s[i] < '0' || s[i] > '9' || i > 15)
			return 0;
	return i >= 3;
}

/* 1 for a RIFF/WAVE file header. */
static int voice_is_wav(const unsigned char *d, size_t len)
{
	return len >= 12 && memcmp(d, "RIFF", 4) == 0 &&
	       memcmp(d + 8, "WAVE", 4) == 0;
}

/* Set o[key] to the UTF-8 string s (max bytes); NULL s is "". */
static int voice_put(json_t *o, const char *key, const char *s, size_t max,
		     struct err *e)
{
	size_t n = s ? strnlen(s, max + 1) : 0;
	json_t *v;

	if (n > max)
		return err_set(e, ERR_TOOBIG, "%s is longer than %zu bytes", key,
			       max);
	v = json_stringn(s ? s : "", n);
	if (!v)
		return err_set(e, ERR_INVALID, "%s is not valid UTF-8", key);
	if (json_object_set_new(o, key, v) < 0)
		return err_set(e, ERR_INVALID, "%s: cannot be stored", key);
	return 0;
}

/* The task's JSON text (with a final newline) into *ret; HARD_FAIL-type
 * errors only (bad text). */
static int voice_task(const struct deliver_msg *m, const char *audio,
		      struct buf *ret, struct err *e)
{
	char created[INSTANT_FMT_MAX];
	json_t *o = json_object();
	char *text = NULL;
	int r;

	instant_format(m->now, created);
	if ((r = voice_put(o, "idempotency_key", m->idempotency_key,
			   VOICE_KEY_MAX, e)) < 0)
		goto out;
	if (json_object_set_new(o, "outbox_id", json_integer(m->id)) < 0) {
		r = err_set(e, ERR_INVALID, "outbox_id: cannot be stored");
		goto out;
	}
	if ((r = voice_put(o, "tenant", m->tenant, VOICE_FIELD_MAX, e)) < 0 ||
	    (r = voice_put(o, "customer_name", m->to_name, VOICE_FIELD_MAX, e)) < 0 ||
	    (r = voice_put(o, "phone", m->to, VOICE_FIELD_MAX, e)) < 0 ||
	    (r = voice_put(o, "locale", m->locale, VOICE_FIELD_MAX, e)) < 0 ||
	    (r = voice_put(o, "script", m->text, VOICE_SCRIPT_MAX, e)) < 0)
		goto out;
	if (audio)
		r = voice_put(o, "audio", audio, FS_NAME_MAX, e);
	else if (json_object_set_new(o, "audio", json_null()) < 0)
		r = err_set(e, ERR_INVALID, "audio: cannot be stored");
	if (r < 0)
		goto out;
	if ((r = voice_put(o, "created", created, INSTANT_FMT_MAX, e)) < 0)
		goto out;
	text = json_dumps(o, JSON_INDENT(2));
	if (!text) {
		r = err_set(e, ERR_INVALID, "task cannot be written as JSON");
		goto out;
	}
	if (buf_puts(ret, text) < 0 || buf_putc(ret, '\n') < 0)
		r = err_set(e, ERR_TOOBIG, "task is longer than %zu bytes", ret->max);
out:
	free(text);
	json_decref(o);
	return r;
}

/* Checks that do not depend on the disk. */
static int voice_check(const struct deliver_msg *m, struct err *e)
{
	char q[ERR_QUOTE_BUF];
	const char *t = m->text ? m->text : "";
	int r = fs_name_check(m->idempotency_key, VOICE_KEY_MAX,
			      "idempotency key", e);

	if (r < 0)
		return r;
	if (!voice_is_e164(m->to))
		return err_set(e, ERR_INVALID, "\"%s\" is not an E.164 phone number",
			       err_quote(m->to ? m->to : "", q));
	t += strspn(t, " \t\r\n");
	if (!*t)
		return err_set(e, ERR_INVALID, "the call script is empty");
	if (m->document && m->document_len > 0) {
		if (m->document_len > VOICE_WAV_MAX)
			return err_set(e, ERR_TOOBIG, "audio is larger than %u bytes",
				       VOICE_WAV_MAX);
		if (!voice_is_wav(m->document, m->document_len))
			return err_set(e, ERR_INVALID,
				       "document is not a WAV file (no RIFF/WAVE header)");
	}
	return 0;
}

static void voice_one(struct voice *h, const struct deliver_msg *m,
		      struct deliver_result *res)
{
	char wav[FS_NAME_MAX], task[FS_NAME_MAX];
	int has_audio = m->document && m->document_len > 0;
	struct err e = { "" };
	struct buf json;

	buf_init(&json, VOICE_JSON_MAX);
	if (voice_check(m, &e) < 0)
		goto hard;
	snprintf(wav, sizeof(wav), "%s.wav", m->idempotency_key);
	snprintf(task, sizeof(task), "%s.json", m->idempotency_key);
	if (voice_task(m, has_audio ? wav : NULL, &json, &e) < 0)
		goto hard;
	if (fs_mkdir_p(h->dir, &e) < 0)
		goto retry;
	/* The audio first: the task names it, and the queue acts on tasks. */
	if (has_audio &&
	    fs_write_atomic(h->dir, wav, m->document, m->document_len, &e) < 0)
		goto retry;
	if (fs_write_atomic(h->dir, task, json.data, json.len, &e) < 0)
		goto retry;
	fs_result(res, DELIVER_SENT, task, NULL);
	goto out;
hard:
	fs_result(res, DELIVER_HARD_FAIL, NULL, e.msg);
	goto out;
retry:
	fs_result(res, DELIVER_RETRY, NULL, e.msg);
out:
	buf_free(&json);
}

static int voice_send(void *hv, const struct deliver_msg *msgs, size_t n,
		      struct deliver_result *results, struct err *e)
{
	size_t i;

	if (n > DELIVER_BATCH_MAX)
		return err_set(e, ERR_TOOBIG, "voice: %zu messages in one call (at most %d)",
			       n, DELIVER_BATCH_MAX);
	for (i = 0; i < n; i++)
		voice_one(hv, &msgs[i], &results[i]);
	return 0;
}

const struct deliver_backend deliver_voice = {
	.scheme = "voice",
	.channel = CHANNEL_VOICE,
	.open = voice_open,
	.send = voice_send,
	.flush = NULL,
	.close = voice_close,
};
