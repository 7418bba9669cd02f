/*
 * sms: prepare the text of an SMS: clean it up, choose the alphabet it
 * needs and count the segments (message parts) it will be sent and billed
 * as.
 *
 * An SMS is GSM-7 (the GSM 03.38 default alphabet, 7-bit septets) when
 * every character is in that alphabet or its extension table, else UCS-2
 * (UTF-16 units), which holds less than half as much text. So typography
 * that templates and customer data bring in ("smart" quotes, dashes, the
 * ellipsis, no-break and thin spaces, bullets) is transliterated first to
 * keep a message GSM-7. Letters are never changed: accented letters that
 * GSM-7 lacks (ê, ë, ç, á, ...) make the message UCS-2, they are not
 * stripped. Text is put in Unicode NFC first, so a decomposed "e" + U+0301
 * counts as the GSM-7 "é". GSM national language shift tables (Turkish,
 * Spanish, Portuguese, Indian languages) are not used: not every network
 * and phone supports them.
 *
 * Segments are counted as an encoder and SMSC split them (3GPP TS 23.040
 * concatenation with an 8-bit reference UDH):
 *   GSM-7: one SMS holds 160 septets; a longer text is sent in parts of
 *          153, and an extension character (escape + character, 2 septets:
 *          ^ { } \ [ ~ ] | euro-sign and form feed) is never split across
 *          two parts: it moves whole to the next one.
 *   UCS-2: one SMS holds 70 UTF-16 units; parts hold 67, and a character
 *          outside the BMP (an emoji: a surrogate pair, 2 units) is never
 *          split: it moves whole to the next part.
 * An empty text is one (empty) segment.
 */
#ifndef DUNWELL_SMS_H
#define DUNWELL_SMS_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define SMS_GSM7_SINGLE 160 /* septets in a single GSM-7 SMS */
#define SMS_GSM7_PART 153   /* septets in one part of a concatenated SMS */
#define SMS_UCS2_SINGLE 70  /* UTF-16 units in a single UCS-2 SMS */
#define SMS_UCS2_PART 67    /* UTF-16 units in one part of a concatenated SMS */

enum sms_encoding {
	SMS_GSM7, /* GSM 03.38 default alphabet and extension table */
	SMS_UCS2, /* UTF-16 (UCS-2 as networks call it) */
};

struct sms_info {
	enum sms_encoding encoding; /* the alphabet the prepared text needs */
	int segments;               /* parts the text is sent (and billed) as */
	size_t units;               /* septets (GSM-7) or UTF-16 units (UCS-2) */
	size_t chars;               /* Unicode code points of the prepared text */
};

/*
 * Transliterate the UTF-8 `text` (len bytes) and append the result (UTF-8)
 * to `out`, decide the encoding and count the segments into *ret.
 * Errors (out is then as it was, *ret untouched):
 *   -ERR_INVALID  invalid UTF-8, or a control character other than tab,
 *                 line feed, carriage return and form feed (the message
 *                 names the byte offset);
 *   -ERR_TOOBIG   more than max_segments segments (0 = no limit; the
 *                 message names both counts), or out's bound exceeded.
 * Tab becomes a space; every other transliteration is listed in sms.c.
 */
int sms_prepare(const char *text, size_t len, int max_segments,
		struct buf *out, struct sms_info *ret, struct err *e);

#endif
