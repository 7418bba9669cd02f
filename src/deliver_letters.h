/*
 * deliver_letters: letters for a print-and-mail house, handed over as a
 * folder of PDFs per day with a manifest (scheme "letters").
 *
 * Setting: "letters:/path/to/outbound" or
 * "letters:/path/to/outbound?batch=daily" (daily is the only batch mode
 * and the default; the path may not contain '?').
 *
 * Layout, for the print house to poll:
 *
 *   <dir>/<YYYY-MM-DD>/<key>.pdf        one letter (UTC date of the send)
 *   <dir>/<YYYY-MM-DD>/manifest.csv     written when the batch is closed
 *   <dir>/<YYYY-MM-DD>/READY            written last: take the batch now
 *   <dir>/<YYYY-MM-DD>/.rows/<key>.csv  our index: the letter's manifest
 *                                       line (ignore it)
 *   <dir>/<YYYY-MM-DD>-2/ ...           a later batch of the same day, for
 *                                       letters sent after it was closed
 *   <dir>/.lock                         send/flush lock (flock)
 *
 * manifest.csv is RFC 4180 (CRLF, quoted when needed) with the header
 * file,pages,recipient_name,address,country,idempotency_key,sha256:
 * the PDF's name in the folder, its page count (empty when it cannot be
 * read, see letters_pdf_pages), the name, the address lines joined by
 * " | ", the country (empty: struct deliver_msg does not carry one yet),
 * the key and the SHA-256 of the file (hex, libsodium). READY holds the
 * number of letters and the SHA-256 of manifest.csv. Row order is the
 * directory's (not sorted), so closing a batch needs no memory per
 * letter.
 *
 * Crash safety and idempotency: every file is written atomically
 * (fsutil). A letter is part of a batch once its row file exists (written
 * after the PDF); closing a batch (flush) builds the manifest from the
 * rows, so letters handed over before a crash are never left out, and
 * deletes temporary files and PDFs without a row (a crash between the two
 * writes), so a closed batch holds exactly its manifest. A key already in
 * a batch of the last LETTERS_LOOKBACK_DAYS days is found again: in a
 * closed batch the message is SENT without rewriting anything; in an open
 * one the same file and row are replaced. Sends hold a shared flock on
 * <dir>/.lock, flush an exclusive one, so a batch is never closed while a
 * letter is being added to it, also by other dispatcher processes on the
 * machine.
 *
 * Outcomes: SENT with provider_id "<batch>/<key>.pdf"; HARD_FAIL when the
 * document is not a PDF (or too large), the address is empty or the key
 * is not a safe file name; RETRY with the system's error text when a file
 * cannot be written (disk full, permissions, missing mount).
 */
#ifndef DUNWELL_DELIVER_LETTERS_H
#define DUNWELL_DELIVER_LETTERS_H

#include <stddef.h>

#include "deliver.h"

#define LETTERS_DIR_MAX 512          /* bytes of the configured path */
#define LETTERS_KEY_MAX 96           /* bytes of an idempotency key */
#define LETTERS_PDF_MAX (64u << 20)  /* bytes of one PDF */
#define LETTERS_NAME_MAX 512         /* bytes of the recipient's name */
#define LETTERS_ADDRESS_MAX 2048     /* bytes of the address */
#define LETTERS_ROW_MAX 8192         /* bytes of one manifest line */
#define LETTERS_BATCHES_PER_DAY 99   /* <date>, <date>-2 ... <date>-99 */
#define LETTERS_LOOKBACK_DAYS 7      /* days searched for a key already sent */

extern const struct deliver_backend deliver_letters;

/* The page count of a PDF without a PDF library: the largest /Count of
 * the objects typed /Pages (the root of the page tree counts every page;
 * inner nodes count fewer), found in the uncompressed object that holds
 * it (between "obj" and "endobj", as cairo and most writers store the
 * page tree); when there is none, the number of objects typed /Page.
 * 0 when neither can be read (a page tree inside a compressed object
 * stream, PDF 1.5+): the manifest then leaves the field empty rather than
 * guess. */
long letters_pdf_pages(const unsigned char *pdf, size_t len);

#endif
