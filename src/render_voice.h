/*
 * render_voice: the spoken version of a message, as a WAV file, for people
 * who cannot read it (low vision, low literacy) and for voice channels.
 *
 * Speech comes from espeak-ng (a voice per language: en, nl, de, fr; any
 * other language falls back to en), spoken a little slower than espeak's
 * default for clarity. The result is a complete RIFF/WAVE file: PCM,
 * 16-bit, mono, at espeak's sample rate. espeak-ng keeps global state and
 * is not thread-safe: this module serialises every use behind one mutex,
 * so it may be called from any thread.
 *
 * espeak-ng carries some synthesis state from one call to the next, so the
 * same text may give files a few milliseconds apart in length: compare
 * durations, not bytes.
 */
#ifndef DUNWELL_RENDER_VOICE_H
#define DUNWELL_RENDER_VOICE_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define VOICE_WAV_HEADER 44 /* bytes of the RIFF/WAVE header before the samples */

/*
 * Speak `text` (UTF-8, plain text: no SSML is interpreted) in the language
 * of `locale` ("nl-BE" and "nl_BE" speak Dutch; NULL or an unsupported
 * language speaks English) and return a WAV file of at most `max` bytes.
 * On success *ret_out is set to a fresh buffer holding the file (the
 * caller buf_free()s it); on failure it is untouched: -ERR_INVALID for
 * empty (or whitespace-only) text or invalid UTF-8, -ERR_TOOBIG when the
 * file would exceed `max`, -ERR_IO when espeak-ng cannot start or speak.
 */
int voice_wav(const char *text, const char *locale, size_t max,
	      struct buf *ret_out, struct err *e);

/* The espeak-ng voice (a language code) `locale` speaks with: "en", "nl",
 * "de" or "fr". */
const char *voice_lang(const char *locale);

/* The sample rate of voice_wav's output in Hz (espeak-ng's, 22050 for its
 * standard voices), starting espeak-ng if needed; negative on failure. */
int voice_sample_rate(struct err *e);

/* Release espeak-ng's memory, once, at program exit (optional: what it
 * holds stays reachable, so LeakSanitizer is quiet without it). Final:
 * espeak-ng 1.51 hangs in its next espeak_Terminate when started again, so
 * voice_wav fails with -ERR_IO afterwards. */
void voice_shutdown(void);

#endif
