/*
 * deliver_file: writes what would be sent into a folder instead of sending
 * it, on every channel (scheme "file"): for the demo, dry runs and tests.
 *
 * Setting: "file:/path/to/dir". Each message becomes
 *
 *   <dir>/<channel>/<key>.eml   e-mail with its document (CRLF, as for SMTP)
 *   <dir>/<channel>/<key>.pdf   letter with its document
 *   <dir>/<channel>/<key>.wav   voice with its document
 *   <dir>/<channel>/<key>.txt   everything else (SMS, WhatsApp, push, and
 *                               any message without a document):
 *                               "To: <to>\n" ["Subject: <subject>\n"] "\n"
 *                               followed by the text (the subject line only
 *                               when there is one)
 *
 * written atomically (fsutil; a retry replaces the same file), and one
 * line appended to <dir>/sent.log, tab-separated:
 *
 *   <instant>\t<channel>\t<to>\t<key>\t<subject, or the text's first 60
 *   characters>\n
 *
 * with tabs, line breaks and other control characters in the fields shown
 * as spaces (address lines joined by " | "), `to` cut at FILE_LOG_TO_MAX
 * bytes. A retry after a crash may log a message twice; its file is the
 * same. Outcomes: SENT with provider_id "<channel>/<key>.<ext>";
 * HARD_FAIL when the key is not a safe file name or a part is too large;
 * RETRY with the system's error text when writing fails.
 */
#ifndef DUNWELL_DELIVER_FILE_H
#define DUNWELL_DELIVER_FILE_H

#include "deliver.h"

#define FILE_DIR_MAX 512              /* bytes of the configured path */
#define FILE_KEY_MAX 96               /* bytes of an idempotency key */
#define FILE_TEXT_MAX (256 * 1024)    /* bytes of the text (txt files) */
#define FILE_DOC_MAX (64u << 20)      /* bytes of a document */
#define FILE_LOG_TO_MAX 256           /* bytes of `to` in sent.log */
#define FILE_LOG_SUMMARY_CHARS 60     /* characters of the text in sent.log */
#define FILE_LOG_SUBJECT_MAX 512      /* bytes of the subject in sent.log */

extern const struct deliver_backend deliver_file;

#endif
