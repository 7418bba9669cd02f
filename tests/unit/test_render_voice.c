/*
 * test_render_voice: the WAV files of src/render_voice.c. The RIFF header
 * is read back field by field; durations must be plausible for the text
 * and the speaking rate; each of the en, nl, de, fr voices loads and
 * speaks; other locales map to English; empty text, invalid UTF-8 and the
 * output bound are errors; two threads at once get whole, plausible files
 * (the mutex); after voice_shutdown LeakSanitizer finds nothing and
 * voice_wav fails cleanly. espeak-ng output varies by a few milliseconds
 * from call to call, so durations are compared, never bytes.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "render_voice.h"

#define MAX (16u << 20)

static const char sentence_en[] =
	"Your invoice of twelve euros and fifty cents is due on Friday.";

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* Render; CHECKs success. The file is in *out (buf_free it). */
static void wav_ok(const char *text, const char *locale, struct buf *out)
{
	struct err e = { "" };
	int rc = voice_wav(text, locale, MAX, out, &e);

	if (rc != 0) {
		printf("  voice_wav(%s): %d %s\n", locale ? locale : "NULL", rc,
		       e.msg);
		buf_init(out, 0);
	}
	CHECK_INT(rc, 0);
}

/*
 * Check every header field of a WAV file and return its duration in
 * seconds (0 when the header is wrong). Also checks that the samples are
 * sound, not silence.
 */
static double check_wav(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->data;
	struct err e = { "" };
	int rate = voice_sample_rate(&e);
	uint32_t data_len;
	int peak = 0;

	CHECK(rate >= 8000 && rate <= 48000);
	CHECK(b->data != NULL && b->len > VOICE_WAV_HEADER);
	if (!b->data || b->len <= VOICE_WAV_HEADER || rate <= 0)
		return 0;
	CHECK(memcmp(p, "RIFF", 4) == 0);
	CHECK_INT(le32(p + 4), b->len - 8);
	CHECK(memcmp(p + 8, "WAVE", 4) == 0);
	CHECK(memcmp(p + 12, "fmt ", 4) == 0);
	CHECK_INT(le32(p + 16), 16);
	CHECK_INT(le16(p + 20), 1);        /* PCM */
	CHECK_INT(le16(p + 22), 1);        /* mono */
	CHECK_INT(le32(p + 24), rate);     /* espeak's rate */
	CHECK_INT(le32(p + 28), rate * 2); /* byte rate */
	CHECK_INT(le16(p + 32), 2);        /* block align */
	CHECK_INT(le16(p + 34), 16);       /* bits */
	CHECK(memcmp(p + 36, "data", 4) == 0);
	data_len = le32(p + 40);
	CHECK_INT(data_len, b->len - VOICE_WAV_HEADER);
	CHECK_INT(data_len % 2, 0);
	for (size_t i = VOICE_WAV_HEADER; i + 1 < b->len; i += 2) {
		int v = (int16_t)le16(p + i);
		if (v < 0)
			v = -v;
		if (v > peak)
			peak = v;
	}
	CHECK(peak > 1000); /* speech, not silence */
	return (double)data_len / 2 / rate;
}

TEST(test_header_and_duration)
{
	struct buf one, two;
	double d1, d2;

	wav_ok(sentence_en, "en", &one);
	d1 = check_wav(&one);
	CHECK(d1 > 0.5);
	CHECK(d1 < 20); /* a sentence, not a minute */

	/* Three sentences last longer than one. */
	wav_ok("Your invoice of twelve euros and fifty cents is due on "
	       "Friday. You can pay now, choose a later date, or ask for a "
	       "plan. If you need help, call us: we are glad to help.",
	       "en", &two);
	d2 = check_wav(&two);
	CHECK(d2 > d1 * 2);
	CHECK(two.len > one.len);
	buf_free(&one);
	buf_free(&two);
}

/* The rate is a little slower than espeak's default of 175 words per
 * minute: about 150, so 10 words take about 4 seconds. */
TEST(test_speaking_rate)
{
	struct buf b;
	double d;

	wav_ok("one two three four five six seven eight nine ten", "en", &b);
	d = check_wav(&b);
	if (d <= 10.0 * 60 / 175 || d >= 10.0 * 60 / 100)
		printf("  10 words: %.2f s\n", d);
	/* At espeak's default rate these ten words take 3.0 s. */
	CHECK(d > 10.0 * 60 / 175); /* slower than the default */
	CHECK(d < 10.0 * 60 / 100);
	buf_free(&b);
}

/* Every voice loads (voice_wav fails rather than fall back when one is
 * missing) and speaks a sentence of its language. */
TEST(test_languages)
{
	static const struct {
		const char *locale;
		const char *text;
	} cases[] = {
		{ "en", "Your invoice is due on Friday." },
		{ "nl-BE", "Uw factuur vervalt op vrijdag. Wij helpen u graag." },
		{ "nl_NL", "Uw factuur vervalt op vrijdag." },
		{ "de-DE", "Ihre Rechnung ist am Freitag f\xc3\xa4llig." },
		{ "fr-BE", "Votre facture est \xc3\xa9\x63hue vendredi." },
		{ "FR", "Votre facture est \xc3\xa9\x63hue vendredi." },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct buf b;
		double d;

		wav_ok(cases[i].text, cases[i].locale, &b);
		d = check_wav(&b);
		if (d <= 0.5)
			printf("  %s: %.2f s\n", cases[i].locale, d);
		CHECK(d > 0.5);
		buf_free(&b);
	}
}

/* The language subtag picks the voice; anything else, or none, English. */
TEST(test_voice_lang)
{
	static const struct {
		const char *locale;
		const char *voice;
	} cases[] = {
		{ "en", "en" },	   { "en-GB", "en" }, { "nl", "nl" },
		{ "nl-BE", "nl" }, { "nl_NL", "nl" }, { "NL-be", "nl" },
		{ "de", "de" },	   { "de-AT", "de" }, { "fr", "fr" },
		{ "fr-BE", "fr" }, { "FR", "fr" },    { NULL, "en" },
		{ "", "en" },	   { "xx", "en" },    { "es-ES", "en" },
		{ "nld", "en" },   { "nlx-BE", "en" }, { "n", "en" },
		{ "-nl", "en" },   { "frr", "en" },
	};
	struct buf b;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (strcmp(voice_lang(cases[i].locale), cases[i].voice) != 0)
			printf("  locale %s\n",
			       cases[i].locale ? cases[i].locale : "NULL");
		CHECK_STR(voice_lang(cases[i].locale), cases[i].voice);
	}
	/* An unsupported locale still speaks. */
	wav_ok("Pay now", "es-ES", &b);
	CHECK(check_wav(&b) > 0.3);
	buf_free(&b);
}

TEST(test_bad_text)
{
	static const char *const bad[] = { "", " ", " \n\t ", "\xff abc",
					   "abc \xc3", "a\xe2\x82" };
	struct err e = { "" };
	struct buf b = { .data = NULL, .len = 777 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_INT(voice_wav(bad[i], "en", MAX, &b, &e), -ERR_INVALID);
		CHECK(b.data == NULL && b.len == 777);
		CHECK(e.msg[0] != '\0');
	}
	CHECK_INT(voice_wav("", "nl", MAX, &b, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "empty") != NULL);
	CHECK_INT(voice_wav(NULL, "nl", MAX, &b, &e), -ERR_INVALID);
	CHECK(b.data == NULL && b.len == 777);
}

/* Every file fits its bound; a bound below the speech is -ERR_TOOBIG
 * with the output untouched, as is one below a header. */
TEST(test_bound)
{
	struct err e = { "" };
	struct buf full, b = { .data = NULL, .len = 777 };
	size_t n;

	wav_ok(sentence_en, "en", &full);
	check_wav(&full);
	n = full.len;
	CHECK(n > 20000);
	CHECK_INT(voice_wav(sentence_en, "en", n * 2, &b, &e), 0);
	CHECK(b.len <= n * 2);
	check_wav(&b);
	buf_free(&b);
	for (size_t max = 10; max < n; max = max * 3 + 1) {
		b.data = NULL;
		b.len = 777;
		CHECK_INT(voice_wav(sentence_en, "en", max, &b, &e),
			  -ERR_TOOBIG);
		CHECK(b.data == NULL && b.len == 777);
	}
	CHECK_INT(voice_wav(sentence_en, "en", n / 2, &b, &e), -ERR_TOOBIG);
	CHECK(strstr(e.msg, "bound") != NULL);
	/* After an aborted synthesis the next one is whole again. */
	wav_ok(sentence_en, "en", &b);
	check_wav(&b);
	CHECK(b.len > n * 9 / 10 && b.len < n * 11 / 10);
	buf_free(&b);
	buf_free(&full);
}

/* Two threads speaking at once get whole files, as long as alone. */
struct job {
	const char *text;   /* what to speak */
	const char *locale; /* in which language */
	struct buf out;     /* the WAV */
	int rc;             /* voice_wav's result */
};

static void *speak_job(void *arg)
{
	struct job *j = arg;
	struct err e;

	for (int i = 0; i < 3; i++) {
		if (i > 0)
			buf_free(&j->out);
		j->rc = voice_wav(j->text, j->locale, MAX, &j->out, &e);
		if (j->rc)
			break;
	}
	return NULL;
}

TEST(test_threads)
{
	struct job jobs[2] = {
		{ .text = "Uw factuur vervalt op vrijdag.", .locale = "nl" },
		{ .text = "Votre facture est due.", .locale = "fr" },
	};
	pthread_t t[2];
	struct buf alone[2];

	for (int i = 0; i < 2; i++)
		wav_ok(jobs[i].text, jobs[i].locale, &alone[i]);
	for (int i = 0; i < 2; i++)
		CHECK_INT(pthread_create(&t[i], NULL, speak_job, &jobs[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(jobs[i].rc, 0);
		if (jobs[i].rc)
			continue;
		check_wav(&jobs[i].out);
		CHECK(jobs[i].out.len > alone[i].len * 9 / 10 &&
		      jobs[i].out.len < alone[i].len * 11 / 10);
		buf_free(&jobs[i].out);
	}
	for (int i = 0; i < 2; i++)
		buf_free(&alone[i]);
}

/* voice_shutdown releases espeak-ng for good (LeakSanitizer checks the
 * rest at exit); voice_wav then fails cleanly. Runs last. */
TEST(test_shutdown)
{
	struct err e = { "" };
	struct buf b = { .data = NULL, .len = 777 };

	wav_ok("Thank you", "en", &b);
	check_wav(&b);
	buf_free(&b);
	voice_shutdown();
	voice_shutdown(); /* twice is fine */
	b.data = NULL;
	CHECK_INT(voice_wav("Thank you", "en", MAX, &b, &e), -ERR_IO);
	CHECK(strstr(e.msg, "shut down") != NULL);
	CHECK(b.data == NULL);
	CHECK(voice_sample_rate(&e) < 0);
}

int main(void)
{
	RUN(test_header_and_duration);
	RUN(test_speaking_rate);
	RUN(test_languages);
	RUN(test_voice_lang);
	RUN(test_bad_text);
	RUN(test_bound);
	RUN(test_threads);
	RUN(test_shutdown);
	return CHECK_DONE();
}
