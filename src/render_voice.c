/*
 * render_voice: text to a WAV file through espeak-ng (see render_voice.h).
 *
 * espeak-ng is used in AUDIO_OUTPUT_SYNCHRONOUS mode: espeak_Synth returns
 * once the whole text is spoken, having handed the samples to a callback
 * in chunks. The callback appends them (as little-endian 16-bit PCM) to a
 * bounded buffer that already holds a placeholder header; the header's
 * sizes are filled in at the end. espeak-ng's state (voice, rate, the
 * callback) is global, so one mutex guards initialisation, the settings
 * and the synthesis together, and the collector the callback writes to is
 * reached through a static pointer that is only set while the mutex is
 * held. Initialisation passes espeakINITIALIZE_DONT_EXIT: without it a
 * missing espeak-ng-data directory would exit the whole process.
 *
 * espeak-ng is started once and never restarted: in 1.51, espeak_Terminate
 * after a second espeak_Initialize waits forever on a thread that
 * synchronous mode never started, so voice_shutdown is final.
 *
 * This module never prints and never plays audio.
 */
#include "render_voice.h"

#include <espeak-ng/speak_lib.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#define VOICE_RATE 150     /* words per minute: espeak's default is 175 */
#define RIFF_LIMIT 0xffffffffu /* RIFF sizes are 32-bit */

/* Languages with a voice of their own; anything else speaks English. */
static const char *const voice_langs[] = { "en", "nl", "de", "fr" };

/* The samples of one voice_wav call, as espeak-ng hands them over. */
struct voice_collect {
	struct buf *wav; /* the WAV file being built: header, then samples */
	int too_big;     /* set when a chunk did not fit: synthesis aborted */
	size_t samples;  /* samples appended so far */
};

static pthread_mutex_t voice_lock = PTHREAD_MUTEX_INITIALIZER;
static int voice_rate_hz; /* 0 until espeak-ng is started, -1 after shutdown */
static struct voice_collect *voice_current; /* valid while voice_lock is held */

/* espeak-ng's synth callback: append a chunk of samples. Returns 1 to
 * abort synthesis (the output bound is reached), 0 to continue. */
static int voice_callback(short *wav, int n, espeak_EVENT *events)
{
	struct voice_collect *c = voice_current;
	unsigned char chunk[512];
	size_t used = 0;

	(void)events;
	if (!c || !wav || n <= 0)
		return 0;
	if (c->too_big)
		return 1;
	for (int i = 0; i < n; i++) {
		uint16_t v = (uint16_t)wav[i];
		chunk[used++] = (unsigned char)(v & 0xff);
		chunk[used++] = (unsigned char)(v >> 8);
		if (used == sizeof(chunk) || i == n - 1) {
			if (buf_append(c->wav, chunk, used) != 0) {
				c->too_big = 1;
				return 1;
			}
			c->samples += used / 2;
			used = 0;
		}
	}
	return 0;
}

/* Start espeak-ng once; voice_lock held. */
static int voice_start(struct err *e)
{
	int rate;

	if (voice_rate_hz > 0)
		return 0;
	if (voice_rate_hz < 0)
		return err_set(e, ERR_IO, "voice: espeak-ng was shut down");
	rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
				 espeakINITIALIZE_DONT_EXIT);
	if (rate <= 0)
		return err_set(e, ERR_IO,
			       "voice: espeak-ng failed to start (is "
			       "espeak-ng-data installed?)");
	espeak_SetSynthCallback(voice_callback);
	voice_rate_hz = rate;
	return 0;
}

/* The language subtag of the locale if we have a voice for it, else
 * English. */
const char *voice_lang(const char *locale)
{
	char lang[4];
	size_t n = 0;

	if (!locale)
		return "en";
	while (n < sizeof(lang) - 1 && locale[n] && locale[n] != '-' &&
	       locale[n] != '_') {
		char c = locale[n];
		lang[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	lang[n] = '\0';
	if (locale[n] != '\0' && locale[n] != '-' && locale[n] != '_')
		return "en"; /* a longer first subtag: not one of ours */
	for (size_t i = 0; i < sizeof(voice_langs) / sizeof(voice_langs[0]);
	     i++)
		if (strcmp(lang, voice_langs[i]) == 0)
			return voice_langs[i];
	return "en";
}

/* 0 when text is valid UTF-8 holding something other than whitespace. */
static int voice_check_text(const char *text, struct err *e)
{
	const unsigned char *s = (const unsigned char *)text;
	int visible = 0;

	if (!text)
		return err_set(e, ERR_INVALID, "voice: no text");
	for (size_t i = 0; s[i];) {
		unsigned char c = s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 :
			     c >= 0xe0 && c <= 0xef ? 3 :
			     c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (len == 0)
			return err_set(e, ERR_INVALID,
				       "voice: invalid UTF-8 at byte %zu", i);
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return err_set(e, ERR_INVALID,
					       "voice: invalid UTF-8 at byte %zu",
					       i);
		if (len > 1 || (c > ' ' && c != 0x7f))
			visible = 1;
		i += len;
	}
	if (!visible)
		return err_set(e, ERR_INVALID, "voice: empty text");
	return 0;
}

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)((v >> 8) & 0xff);
	p[2] = (unsigned char)((v >> 16) & 0xff);
	p[3] = (unsigned char)(v >> 24);
}

static void put_le16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v & 0xff);
	p[1] = (unsigned char)(v >> 8);
}

/* The canonical 44-byte header: RIFF, a 16-byte "fmt " chunk (PCM, mono,
 * 16-bit) and the "data" chunk header for `data_len` bytes of samples. */
static void wav_header(unsigned char h[VOICE_WAV_HEADER], uint32_t rate,
		       uint32_t data_len)
{
	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data_len); /* the rest of the file */
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);           /* fmt chunk size */
	put_le16(h + 20, 1);            /* PCM */
	put_le16(h + 22, 1);            /* mono */
	put_le32(h + 24, rate);         /* samples per second */
	put_le32(h + 28, rate * 2);     /* bytes per second */
	put_le16(h + 32, 2);            /* bytes per sample frame */
	put_le16(h + 34, 16);           /* bits per sample */
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data_len);
}

int voice_sample_rate(struct err *e)
{
	int rc;

	pthread_mutex_lock(&voice_lock);
	rc = voice_start(e);
	if (rc == 0)
		rc = voice_rate_hz;
	pthread_mutex_unlock(&voice_lock);
	return rc;
}

int voice_wav(const char *text, const char *locale, size_t max,
	      struct buf *ret_out, struct err *e)
{
	unsigned char header[VOICE_WAV_HEADER];
	struct voice_collect c = { .too_big = 0 };
	const char *voice = voice_lang(locale);
	struct buf wav;
	espeak_ERROR er;
	int rc;

	rc = voice_check_text(text, e);
	if (rc)
		return rc;
	/* The RIFF size fields are 32-bit: a longer file cannot be written. */
	if (max > RIFF_LIMIT - 8)
		max = RIFF_LIMIT - 8;
	if (max < VOICE_WAV_HEADER + 2)
		return err_set(e, ERR_TOOBIG,
			       "voice: a WAV file cannot fit in %zu bytes", max);
	buf_init(&wav, max);
	memset(header, 0, sizeof(header));
	if (buf_append(&wav, header, sizeof(header)) != 0)
		return err_set(e, ERR_TOOBIG, "voice: bound too small");
	c.wav = &wav;

	pthread_mutex_lock(&voice_lock);
	rc = voice_start(e);
	if (rc)
		goto out_unlock;
	/* Our four voices ship with espeak-ng-data: one missing is a broken
	 * installation, reported rather than spoken in the wrong language. */
	if (espeak_SetVoiceByName(voice) != EE_OK) {
		rc = err_set(e, ERR_IO, "voice: espeak-ng has no voice '%s'",
			     voice);
		goto out_unlock;
	}
	espeak_SetParameter(espeakRATE, VOICE_RATE, 0);
	voice_current = &c;
	er = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
			  espeakCHARS_UTF8 | espeakENDPAUSE, NULL, NULL);
	voice_current = NULL;
	if (c.too_big) {
		rc = err_set(e, ERR_TOOBIG,
			     "voice: speech longer than the %zu-byte bound",
			     max);
		goto out_unlock;
	}
	if (er != EE_OK || c.samples == 0) {
		rc = err_set(e, ERR_IO,
			     "voice: espeak-ng could not speak the text "
			     "(error %d, %zu samples)",
			     (int)er, c.samples);
		goto out_unlock;
	}
	wav_header(header, (uint32_t)voice_rate_hz,
		   (uint32_t)(wav.len - VOICE_WAV_HEADER));
	pthread_mutex_unlock(&voice_lock);
	memcpy(wav.data, header, sizeof(header));
	*ret_out = wav;
	return 0;

out_unlock:
	pthread_mutex_unlock(&voice_lock);
	buf_free(&wav);
	return rc;
}

void voice_shutdown(void)
{
	pthread_mutex_lock(&voice_lock);
	if (voice_rate_hz > 0)
		espeak_Terminate();
	voice_rate_hz = -1;
	pthread_mutex_unlock(&voice_lock);
}
