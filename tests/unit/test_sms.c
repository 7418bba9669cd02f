/*
 * test_sms: GSM-7 versus UCS-2, segment counting at the boundaries
 * (extension characters and surrogate pairs never split), transliteration
 * of typography, NFC, and the errors of src/sms.c.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sms.h"

/* GSM 03.38 default alphabet, position 0x00..0x7F, in UTF-8; position
 * 0x1B (escape) is left out. Written from the standard's table, apart
 * from sms.c's. */
static const char *const gsm_basic[] = {
	"@", "\xc2\xa3", "$", "\xc2\xa5", "\xc3\xa8", "\xc3\xa9", "\xc3\xb9",
	"\xc3\xac", "\xc3\xb2", "\xc3\x87", "\n", "\xc3\x98", "\xc3\xb8", "\r",
	"\xc3\x85", "\xc3\xa5",
	"\xce\x94", "_", "\xce\xa6", "\xce\x93", "\xce\x9b", "\xce\xa9",
	"\xce\xa0", "\xce\xa8", "\xce\xa3", "\xce\x98", "\xce\x9e",
	/* 0x1B escape */ "\xc3\x86", "\xc3\xa6", "\xc3\x9f", "\xc3\x89",
	" ", "!", "\"", "#", "\xc2\xa4", "%", "&", "'", "(", ")", "*", "+",
	",", "-", ".", "/",
	"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=",
	">", "?",
	"\xc2\xa1", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L",
	"M", "N", "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
	"\xc3\x84", "\xc3\x96", "\xc3\x91", "\xc3\x9c", "\xc2\xa7",
	"\xc2\xbf", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l",
	"m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
	"\xc3\xa4", "\xc3\xb6", "\xc3\xb1", "\xc3\xbc", "\xc3\xa0",
};

/* The extension table: form feed ^ { } \ [ ~ ] | and the euro sign. */
static const char *const gsm_ext[] = {
	"\f", "^", "{", "}", "\\", "[", "~", "]", "|", "\xe2\x82\xac",
};

#define EURO "\xe2\x82\xac"
#define EMOJI "\xf0\x9f\x98\x80"  /* U+1F600, a surrogate pair in UTF-16 */
#define ZHE "\xd0\xb6"            /* U+0436 Cyrillic zhe: UCS-2, one unit */

struct prep {
	int rc;               /* sms_prepare's return */
	struct sms_info info; /* its result */
	char text[4096];      /* the prepared text */
	char msg[ERR_MSG_MAX]; /* the error message */
};

static struct prep prep_max(const char *text, size_t len, int max)
{
	struct prep p;
	struct buf b;
	struct err e = { "" };

	memset(&p, 0, sizeof(p));
	p.info.segments = -1;
	buf_init(&b, sizeof(p.text) - 1);
	p.rc = sms_prepare(text, len, max, &b, &p.info, &e);
	memcpy(p.text, buf_cstr(&b), b.len + 1);
	memcpy(p.msg, e.msg, sizeof(p.msg));
	buf_free(&b);
	return p;
}

static struct prep prep(const char *text)
{
	return prep_max(text, strlen(text), 0);
}

/* n copies of s, in a static buffer (one at a time). */
static char *rep(char *dst, size_t cap, const char *s, int n)
{
	size_t len = strlen(s), at = 0;

	for (int i = 0; i < n && at + len < cap; i++) {
		memcpy(dst + at, s, len);
		at += len;
	}
	dst[at] = '\0';
	return dst;
}

/* A text built from pieces: s1 x n1, s2 x n2, s3 x n3. */
static const char *build(const char *s1, int n1, const char *s2, int n2,
			 const char *s3, int n3)
{
	static char text[8192];
	size_t at;

	rep(text, sizeof(text), s1, n1);
	at = strlen(text);
	rep(text + at, sizeof(text) - at, s2, n2);
	at = strlen(text);
	rep(text + at, sizeof(text) - at, s3, n3);
	return text;
}

TEST(test_gsm_alphabet)
{
	size_t n = sizeof(gsm_basic) / sizeof(gsm_basic[0]);

	CHECK_INT(n, 127);
	for (size_t i = 0; i < n; i++) {
		struct prep p = prep(gsm_basic[i]);

		CHECK_INT(p.rc, 0);
		CHECK_INT(p.info.encoding, SMS_GSM7);
		CHECK_INT(p.info.units, 1);
		CHECK_INT(p.info.chars, 1);
		CHECK_STR(p.text, gsm_basic[i]);
		if (p.info.encoding != SMS_GSM7 || p.info.units != 1)
			printf("  basic character #%zu\n", i);
	}
	for (size_t i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++) {
		struct prep p = prep(gsm_ext[i]);

		CHECK_INT(p.info.encoding, SMS_GSM7);
		CHECK_INT(p.info.units, 2);
		CHECK_INT(p.info.chars, 1);
	}
	/* Letters GSM-7 lacks make the text UCS-2 and stay as they are. */
	{
		static const char *const ucs[] = {
			"\xc3\xaa" /* ê */, "\xc3\xab" /* ë */, "\xc3\xaf" /* ï */,
			"\xc3\xb4" /* ô */, "\xc3\xbb" /* û */, "\xc3\xa1" /* á */,
			"\xc3\xad" /* í */, "\xc3\xb3" /* ó */, "\xc3\xba" /* ú */,
			"\xc3\xa7" /* ç */, "\xc5\x93" /* œ */, "\xc4\xb3" /* ĳ */,
			"\xce\xb1" /* α */, ZHE, "\xe4\xb8\xad" /* 中 */,
		};

		for (size_t i = 0; i < sizeof(ucs) / sizeof(ucs[0]); i++) {
			char text[32];
			struct prep p;

			snprintf(text, sizeof(text), "Bedankt %s", ucs[i]);
			p = prep(text);
			CHECK_INT(p.rc, 0);
			CHECK_INT(p.info.encoding, SMS_UCS2);
			CHECK_INT(p.info.units, 9);
			CHECK_INT(p.info.chars, 9);
			CHECK_STR(p.text, text);
		}
	}
}

TEST(test_gsm_segments)
{
	char buf[1024];
	struct prep p;

	p = prep(rep(buf, sizeof(buf), "a", 160));
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_INT(p.info.segments, 1);
	CHECK_INT(p.info.units, 160);
	CHECK_INT(p.info.chars, 160);
	p = prep(rep(buf, sizeof(buf), "a", 161));
	CHECK_INT(p.info.segments, 2);
	CHECK_INT(p.info.units, 161);
	p = prep(rep(buf, sizeof(buf), "a", 306));
	CHECK_INT(p.info.segments, 2);
	p = prep(rep(buf, sizeof(buf), "a", 307));
	CHECK_INT(p.info.segments, 3);
	p = prep(rep(buf, sizeof(buf), "a", 459));
	CHECK_INT(p.info.segments, 3);
	p = prep(rep(buf, sizeof(buf), "a", 460));
	CHECK_INT(p.info.segments, 4);
	p = prep("");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_INT(p.info.segments, 1);
	CHECK_INT(p.info.units, 0);
	CHECK_INT(p.info.chars, 0);
}

TEST(test_gsm_extension)
{
	struct prep p;

	/* Each euro sign is two septets. */
	p = prep("Open: " EURO " 12,50 of " EURO " 3");
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_INT(p.info.chars, 20);
	CHECK_INT(p.info.units, 22);
	/* 80 euro signs fill one SMS exactly; one more septet needs two. */
	p = prep(build(EURO, 80, "", 0, "", 0));
	CHECK_INT(p.info.units, 160);
	CHECK_INT(p.info.segments, 1);
	p = prep(build(EURO, 80, "a", 1, "", 0));
	CHECK_INT(p.info.segments, 2);
	/* An escape pair in a single SMS may end it exactly. */
	p = prep(build("a", 158, "{", 1, "", 0));
	CHECK_INT(p.info.units, 160);
	CHECK_INT(p.info.segments, 1);

	/* At the 153 boundary: 152 + 2 would straddle it, so the pair moves
	 * whole into part 2 (152 | 2 + 151 | 1): 306 septets, 3 parts. */
	p = prep(build("a", 152, EURO, 1, "b", 152));
	CHECK_INT(p.info.units, 306);
	CHECK_INT(p.info.segments, 3);
	/* The same septets without a straddling pair fit in 2. */
	p = prep(build("a", 151, EURO, 1, "b", 153));
	CHECK_INT(p.info.units, 306);
	CHECK_INT(p.info.segments, 2);
	p = prep(build("a", 153, EURO, 1, "b", 151));
	CHECK_INT(p.info.units, 306);
	CHECK_INT(p.info.segments, 2);
	/* Every extension character behaves alike. */
	for (size_t i = 0; i < sizeof(gsm_ext) / sizeof(gsm_ext[0]); i++) {
		p = prep(build("a", 152, gsm_ext[i], 1, "b", 152));
		CHECK_INT(p.info.units, 306);
		CHECK_INT(p.info.segments, 3);
	}
	/* At the second boundary too (153 | 152 | pair...). */
	p = prep(build("a", 305, "~", 1, "b", 152));
	CHECK_INT(p.info.units, 459);
	CHECK_INT(p.info.segments, 4);
	/* All pairs: 76 per part (152 septets), 153 pairs = 3 parts. */
	p = prep(build("^", 153, "", 0, "", 0));
	CHECK_INT(p.info.units, 306);
	CHECK_INT(p.info.segments, 3);
}

TEST(test_ucs2_segments)
{
	char buf[2048];
	struct prep p;

	p = prep(rep(buf, sizeof(buf), ZHE, 70));
	CHECK_INT(p.info.encoding, SMS_UCS2);
	CHECK_INT(p.info.units, 70);
	CHECK_INT(p.info.segments, 1);
	p = prep(rep(buf, sizeof(buf), ZHE, 71));
	CHECK_INT(p.info.units, 71);
	CHECK_INT(p.info.segments, 2);
	p = prep(rep(buf, sizeof(buf), ZHE, 134));
	CHECK_INT(p.info.segments, 2);
	p = prep(rep(buf, sizeof(buf), ZHE, 135));
	CHECK_INT(p.info.segments, 3);
	/* One non-GSM letter turns a 100-character text into 2 UCS-2 parts. */
	p = prep(build("a", 99, "\xc3\xaa", 1, "", 0));
	CHECK_INT(p.info.encoding, SMS_UCS2);
	CHECK_INT(p.info.units, 100);
	CHECK_INT(p.info.segments, 2);

	/* Emoji: two UTF-16 units each. */
	p = prep(build(EMOJI, 35, "", 0, "", 0));
	CHECK_INT(p.info.units, 70);
	CHECK_INT(p.info.chars, 35);
	CHECK_INT(p.info.segments, 1);
	p = prep(build("a", 69, EMOJI, 1, "", 0));
	CHECK_INT(p.info.units, 71);
	CHECK_INT(p.info.segments, 2);
	/* At the 67 boundary the pair moves whole to part 2:
	 * 66 | 2 + 65 | 1 = 134 units, 3 parts. */
	p = prep(build(ZHE, 66, EMOJI, 1, ZHE, 66));
	CHECK_INT(p.info.units, 134);
	CHECK_INT(p.info.chars, 133);
	CHECK_INT(p.info.segments, 3);
	p = prep(build(ZHE, 65, EMOJI, 1, ZHE, 67));
	CHECK_INT(p.info.units, 134);
	CHECK_INT(p.info.segments, 2);
	/* 67 emoji: 33 per part (66 units). */
	p = prep(build(EMOJI, 67, "", 0, "", 0));
	CHECK_INT(p.info.units, 134);
	CHECK_INT(p.info.segments, 3);
	/* In UCS-2 a euro sign is one unit like any BMP character. */
	p = prep(build(EURO, 70, "", 0, "", 0));
	CHECK_INT(p.info.encoding, SMS_GSM7);
	p = prep(build(EURO, 69, ZHE, 1, "", 0));
	CHECK_INT(p.info.encoding, SMS_UCS2);
	CHECK_INT(p.info.units, 70);
	CHECK_INT(p.info.segments, 1);
}

TEST(test_transliteration)
{
	struct prep p;

	/* Dutch: curly quotes, en dash, ellipsis, NBSP from ICU money. */
	p = prep("Beste \xe2\x80\x98Jan\xe2\x80\x99, uw factuur "
		 "\xe2\x80\x9c" "2026-114" "\xe2\x80\x9d van EUR\xc2\xa0"
		 "1.234,56 is verlopen \xe2\x80\x93 betaal v\xc3\xb3\xc3\xb3r "
		 "1 december\xe2\x80\xa6");
	/* "vóór" has ó, which GSM-7 lacks: UCS-2, kept. */
	CHECK_INT(p.info.encoding, SMS_UCS2);
	CHECK_STR(p.text, "Beste 'Jan', uw factuur \"2026-114\" van EUR "
			  "1.234,56 is verlopen - betaal v\xc3\xb3\xc3\xb3r "
			  "1 december...");
	p = prep("Beste \xe2\x80\x98Jan\xe2\x80\x99, uw factuur "
		 "\xe2\x80\x9e" "2026-114" "\xe2\x80\x9d van EUR\xc2\xa0"
		 "1.234,56 is verlopen \xe2\x80\x94 betaal v\xc3\xb3\xc3\xb3r "
		 "1 december\xe2\x80\xa6");
	CHECK_INT(p.info.encoding, SMS_UCS2);
	p = prep("Beste \xe2\x80\x98Jan\xe2\x80\x99, uw factuur \xe2\x80\x9e"
		 "2026-114\xe2\x80\x9d van " EURO "\xc2\xa0" "1.234,56 is "
		 "verlopen \xe2\x80\x94 betaal voor 1 december\xe2\x80\xa6 "
		 "\xe2\x80\xa2 Bel ons");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_STR(p.text, "Beste 'Jan', uw factuur \"2026-114\" van " EURO
			  " 1.234,56 is verlopen - betaal voor 1 december... "
			  "- Bel ons");
	CHECK_INT(p.info.chars, strlen(p.text) - 2); /* € is 3 bytes */
	CHECK_INT(p.info.units, p.info.chars + 1);   /* € is 2 septets */

	/* French: guillemets with narrow no-break spaces, ICU's fr amount
	 * (U+202F grouping, U+00A0 before the code), accents GSM-7 has. */
	p = prep("Votre facture \xc2\xab\xe2\x80\xaf" "F-114\xe2\x80\xaf\xc2\xbb"
		 " de 1\xe2\x80\xaf" "234,56\xc2\xa0" "EUR est \xc3\xa9" "chue "
		 "depuis le 27\xc2\xa0novembre \xe2\x80\x94 merci de r\xc3\xa9"
		 "gler avant l\xe2\x80\x99" "\xc3\xa9" "ch\xc3\xa9" "ance\xe2\x80\xa6");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_STR(p.text, "Votre facture \" F-114 \" de 1 234,56 EUR est "
			  "\xc3\xa9" "chue depuis le 27 novembre - merci de "
			  "r\xc3\xa9gler avant l'\xc3\xa9" "ch\xc3\xa9" "ance...");

	/* German: „…“ quotes, umlauts and ß are GSM-7. */
	p = prep("Sehr geehrte Frau M\xc3\xbcller, Ihre Rechnung "
		 "\xe2\x80\x9e" "R-7\xe2\x80\x9c \xc3\xbc" "ber 1.234,56\xc2\xa0"
		 "EUR ist f\xc3\xa4llig \xe2\x80\x93 bitte zahlen Sie bis "
		 "27.11.2026. Gr\xc3\xbc\xc3\x9f" "e");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_STR(p.text, "Sehr geehrte Frau M\xc3\xbcller, Ihre Rechnung "
			  "\"R-7\" \xc3\xbc" "ber 1.234,56 EUR ist f\xc3\xa4llig "
			  "- bitte zahlen Sie bis 27.11.2026. Gr\xc3\xbc\xc3\x9f"
			  "e");

	/* The rest of the table. */
	p = prep("\xe2\x80\x9a" "a\xe2\x80\x9b \xe2\x80\x9f" "b\xe2\x80\xb3 "
		 "\xe2\x80\xb9" "c\xe2\x80\xba \xe2\x80\x92\xe2\x88\x92"
		 "\xe2\x80\x90\xe2\x80\x91\xe2\x80\x95 x\ty `z\xc2\xb4 "
		 "1\xe2\x81\x84" "2 a\xe2\x80\x89" "b\xe2\x80\x8a" "c "
		 "d\xc2\xad" "e\xe2\x80\x8b" "f\xef\xbb\xbf" "g\xe2\x81\xa0"
		 "h \xe2\x80\xa3\xe2\x81\x83 x\xe2\x80\xa8y\xe2\x80\xa9z "
		 "it\xca\xbcs");
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_STR(p.text, "'a' \"b\" 'c' ----- x y 'z' 1/2 a b c defgh -- "
			  "x\ny\nz it's");
	/* Typography goes even when the text is UCS-2 anyway. */
	p = prep("\xe2\x80\x9c\xe4\xb8\xad\xe2\x80\x9d\xe2\x80\xa6");
	CHECK_INT(p.info.encoding, SMS_UCS2);
	CHECK_STR(p.text, "\"\xe4\xb8\xad\"...");
	CHECK_INT(p.info.units, 6);
	CHECK_INT(p.info.chars, 6);
	/* Counting follows the transliterated text: 54 ellipses are 162
	 * septets (two parts), not 54 UCS-2 units. */
	p = prep(build("\xe2\x80\xa6", 54, "", 0, "", 0));
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_INT(p.info.units, 162);
	CHECK_INT(p.info.segments, 2);
}

TEST(test_nfc)
{
	struct prep p;

	/* Decomposed e + U+0301 is the GSM-7 é. */
	p = prep("Re\xcc\x81sume\xcc\x81 ca\xcc\x80");
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_STR(p.text, "R\xc3\xa9sum\xc3\xa9 c\xc3\xa0");
	CHECK_INT(p.info.chars, 9);
	/* The Angstrom sign is Å. */
	p = prep("5 \xe2\x84\xab");
	CHECK_INT(p.info.encoding, SMS_GSM7);
	CHECK_STR(p.text, "5 \xc3\x85");
	/* A mark with no composition stays, and makes it UCS-2. */
	p = prep("x\xcc\x81");
	CHECK_INT(p.info.encoding, SMS_UCS2);
	CHECK_STR(p.text, "x\xcc\x81");
	CHECK_INT(p.info.chars, 2);
	/* Normalization then transliteration. */
	p = prep("\xe2\x80\x9c" "e\xcc\x81\xe2\x80\x9d");
	CHECK_STR(p.text, "\"\xc3\xa9\"");
	CHECK_INT(p.info.encoding, SMS_GSM7);
}

TEST(test_invalid_utf8)
{
	static const struct {
		const char *text; /* input */
		size_t len;       /* its bytes */
		const char *msg;  /* the error */
	} cases[] = {
		{ "ok \x80", 4, "invalid UTF-8 at byte offset 3 (byte 0x80)" },
		{ "ok \xc3", 4, "invalid UTF-8 at byte offset 3 (byte 0xc3)" },
		{ "\xc3(", 2, "invalid UTF-8 at byte offset 0 (byte 0xc3)" },
		{ "ab\xc0\xaf", 4, "invalid UTF-8 at byte offset 2 (byte 0xc0)" },
		{ "ab\xe0\x80\xaf", 5, "invalid UTF-8 at byte offset 2 (byte 0xe0)" },
		{ "\xed\xa0\x80", 3, "invalid UTF-8 at byte offset 0 (byte 0xed)" },
		{ "xy\xf4\x90\x80\x80", 6, "invalid UTF-8 at byte offset 2 (byte 0xf4)" },
		{ "\xf5\x80\x80\x80", 4, "invalid UTF-8 at byte offset 0 (byte 0xf5)" },
		{ "\xe2\x82", 2, "invalid UTF-8 at byte offset 0 (byte 0xe2)" },
		{ "\xe2\x82\xac\xff", 4, "invalid UTF-8 at byte offset 3 (byte 0xff)" },
		{ "a\0b", 3, "control character U+0000 at byte offset 1" },
		{ "a\x07", 2, "control character U+0007 at byte offset 1" },
		{ "a\x1b", 2, "control character U+001B at byte offset 1" },
		{ "a\x7f", 2, "control character U+007F at byte offset 1" },
		{ "\xc2\x85", 2, "control character U+0085 at byte offset 0" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct prep p = prep_max(cases[i].text, cases[i].len, 0);

		CHECK_INT(p.rc, -ERR_INVALID);
		CHECK_STR(p.msg, cases[i].msg);
		CHECK_INT(p.info.segments, -1); /* untouched */
		CHECK_STR(p.text, "");
	}
	/* Tab, LF, CR and FF are fine. */
	{
		struct prep p = prep("a\tb\r\nc\f");

		CHECK_INT(p.rc, 0);
		CHECK_STR(p.text, "a b\r\nc\f");
		CHECK_INT(p.info.units, 8);
	}
	/* len is honoured: bytes past it are not read. */
	{
		struct prep p = prep_max("abc\xff", 3, 0);

		CHECK_INT(p.rc, 0);
		CHECK_STR(p.text, "abc");
	}
}

TEST(test_max_segments)
{
	char text[1024];
	struct prep p;

	p = prep_max(rep(text, sizeof(text), "a", 306), 306, 2);
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.segments, 2);
	p = prep_max(rep(text, sizeof(text), "a", 307), 307, 2);
	CHECK_INT(p.rc, -ERR_TOOBIG);
	CHECK_STR(p.msg, "SMS needs 3 segments (307 GSM-7 septets, 307 "
			 "characters), more than the maximum of 2");
	CHECK_INT(p.info.segments, -1);
	CHECK_STR(p.text, "");
	p = prep_max(rep(text, sizeof(text), ZHE, 71), 142, 1);
	CHECK_INT(p.rc, -ERR_TOOBIG);
	CHECK_STR(p.msg, "SMS needs 2 segments (71 UCS-2 units, 71 "
			 "characters), more than the maximum of 1");
	p = prep_max("a", 1, -1);
	CHECK_INT(p.rc, -ERR_INVALID);
	/* 0 is no limit. */
	p = prep_max(rep(text, sizeof(text), "a", 1000), 1000, 0);
	CHECK_INT(p.rc, 0);
	CHECK_INT(p.info.segments, 7);
}

TEST(test_output_buffer)
{
	struct sms_info info = { SMS_UCS2, -1, 0, 0 };
	struct err e = { "" };
	struct buf b;

	/* Appends to what is there; on failure leaves it as it was. */
	buf_init(&b, 16);
	CHECK_INT(buf_puts(&b, "x:"), 0);
	CHECK_INT(sms_prepare("caf\xc3\xa9\xe2\x80\xa6", 8, 0, &b, &info, &e), 0);
	CHECK_STR(buf_cstr(&b), "x:caf\xc3\xa9...");
	CHECK_INT(info.chars, 7);
	CHECK_INT(sms_prepare("0123456789", 10, 0, &b, &info, &e),
		  -ERR_TOOBIG);
	CHECK_STR(e.msg, "SMS text longer than the output bound of 16 bytes");
	CHECK_STR(buf_cstr(&b), "x:caf\xc3\xa9...");
	CHECK_INT(b.len, 10);
	CHECK_INT(info.chars, 7);
	/* Failing in the middle of transliteration too. */
	CHECK_INT(sms_prepare("ab\xe2\x80\xa6\xe2\x80\xa6", 8, 0, &b, &info, &e),
		  -ERR_TOOBIG);
	CHECK_STR(buf_cstr(&b), "x:caf\xc3\xa9...");
	buf_free(&b);
}

int main(void)
{
	RUN(test_gsm_alphabet);
	RUN(test_gsm_segments);
	RUN(test_gsm_extension);
	RUN(test_ucs2_segments);
	RUN(test_transliteration);
	RUN(test_nfc);
	RUN(test_invalid_utf8);
	RUN(test_max_segments);
	RUN(test_output_buffer);
	return CHECK_DONE();
}
