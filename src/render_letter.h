/*
 * render_letter: a dunning letter as an A4 PDF for a print-and-mail house.
 *
 * The caller hands over finished, already localised text (sender, recipient,
 * dates, body, invoice table, bank details, an optional QR image); this
 * module only lays it out with pango, draws it with cairo, and returns the
 * PDF bytes. It never decides wording, formats money or dates, or prints.
 *
 * The page (A4, 595.276 x 841.89 pt; 1 mm = 72 / 25.4 pt):
 *
 *   - Envelope window: DIN 5008 form B, which also fits C5/6 and DL windowed
 *     envelopes: the window is 20 mm from the left edge, 45 mm from the top,
 *     85 x 45 mm (x 56.69..297.64 pt, y 127.56..255.12 pt). Text in it
 *     starts 5 mm inside, at x = 25 mm, and keeps 5 mm clear of the right
 *     edge and 1 mm of the top and bottom. The one-line return address
 *     (7 pt, or 6 pt when 7 is too wide; underlined by a hairline) sits at
 *     the top of the window, 1 mm down; the recipient starts at 62.7 mm
 *     (the form B address zone, room for six 10 pt lines). A longer
 *     address is moved up (never above the return line) and, if it still
 *     does not fit, set at 9 or 8 pt; after that it is an error, as is a
 *     line too wide for the window at 8 pt. Nothing else is printed inside
 *     the window rectangle.
 *   - Sender block: top right, from 12 mm down, in the column 125..190 mm,
 *     right-aligned, its first line (the company name) bold; it must end
 *     above 95 mm (9 pt, shrunk to 8 or 7 pt when needed, else an error).
 *   - Running text: left margin 25 mm, right margin 20 mm (165 mm wide).
 *     Page 1 continues at 98.5 mm (under the window) with place and date
 *     (right-aligned), the reference line, the subject in bold, the body
 *     paragraphs, the table, the closing text and the payment box (bank
 *     lines on the left, the QR image 30 mm wide on the right, drawn
 *     without smoothing, its caption under it). Later pages start 20 mm
 *     from the top.
 *   - Every page ends with the footer (7 pt, centred, bottom 10 mm above the
 *     page edge) under a hairline, and "Page N of M" (8 pt, right-aligned)
 *     just above that line. Running text never goes below the page label.
 *
 * Pagination: paragraphs break between lines (no single first or last line
 * of a paragraph alone on a page); table rows never break, and the column
 * headers are repeated on each page the table continues on; the payment
 * box is kept whole, on the next page when it does not fit. The document is
 * laid out twice with the same pango context: once to count the pages (M),
 * once to draw.
 *
 * Text reaches pango only as plain text (pango_layout_set_text); bold comes
 * from font descriptions and attributes, never from markup, so no user text
 * is ever parsed as markup. Font: DejaVu Sans (Debian fonts-dejavu-core);
 * its absence is an error rather than a silent fallback.
 *
 * Output is a function of the input: cairo 1.16 writes the current time as
 * /CreationDate unless told otherwise, so the creation date is always set
 * (from `created`, the injected as-of instant), and the pango language is
 * `lang` (or "und"), never the process locale. With that, the same input
 * gives the same bytes, also across processes (checked by the tests; font
 * subset names are derived from the content). cairo has no API for the
 * document language, so /Lang is added to the document catalog after cairo
 * has written the file, with the cross-reference table adjusted; if the
 * file is not in the classic layout cairo 1.16 writes, /Lang is left out.
 *
 * Thread use: one call uses the calling thread's default pango font map
 * (pango keeps one per thread), so letters may be rendered in several
 * threads at once.
 */
#ifndef DUNWELL_RENDER_LETTER_H
#define DUNWELL_RENDER_LETTER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "date.h"
#include "err.h"

#define LETTER_COLS_MAX 8           /* columns of the table */
#define LETTER_PAGES_MAX 100        /* pages of one letter */
#define LETTER_LINES_MAX 32         /* lines of the sender, recipient or bank block */
#define LETTER_TEXT_MAX (16 * 1024) /* bytes of any one text except the body */
#define LETTER_BODY_MAX (256 * 1024) /* bytes of the body and of the closing */
#define LETTER_ROWS_MAX 10000       /* rows of the table */
#define LETTER_QR_PNG_MAX (1024 * 1024) /* bytes of the QR image */
#define LETTER_QR_PX_MAX 4096       /* pixels of the QR image, each side */

/* One table row: the text of each column (as many as the letter's n_cols);
 * NULL prints as an empty cell. */
struct letter_row {
	const char *cells[LETTER_COLS_MAX]; /* cell text per column, UTF-8 */
};

/* Everything printed on the letter, all UTF-8, already localised. Only the
 * recipient and the body are required; a NULL text or a zero count leaves
 * that part out. Nothing is kept after render_letter_pdf returns. */
struct letter {
	const char *const *sender_lines; /* company, address, contact: top right */
	size_t n_sender;                 /* entries in sender_lines */
	const char *return_line;         /* small line atop the window */
	const char *const *recipient_lines; /* name and postal address */
	size_t n_recipient;              /* entries (at least 1) */
	const char *place_date;          /* "Amsterdam, 27 november 2026" */
	const char *reference_line;      /* "Customer 1042 · Reference RF18 ..." */
	const char *subject;             /* the subject line, bold */
	const char *body;                /* paragraphs split by blank lines; a
					  * single newline breaks the line */
	const char *const *table_head;   /* n_cols column headers, bold; NULL =
					  * no header row */
	size_t n_cols;                   /* table columns; 0 = no table */
	uint32_t right_cols;             /* bit i: column i right-aligned */
	const struct letter_row *rows;   /* table rows */
	size_t n_rows;                   /* entries in rows */
	const char *closing;             /* after the table ("Kind regards,
					  * ..."), paragraphs as in body */
	const char *const *bank_lines;   /* IBAN, BIC, beneficiary, reference */
	size_t n_bank;                   /* entries in bank_lines */
	const unsigned char *qr_png;     /* QR image as PNG, printed 30 mm wide */
	size_t qr_png_len;               /* bytes in qr_png; 0 = no QR */
	const char *qr_caption;          /* under the QR: "Scan to pay ..." */
	const char *page_label;          /* "Page" in "Page 1 of 2"; NULL = "Page" */
	const char *page_of;             /* "of" in "Page 1 of 2"; NULL = "of" */
	const char *footer;              /* registration etc., small, every page */
	const char *lang;                /* BCP 47 tag ("nl", "de-CH"): shaping,
					  * line breaking, PDF /Lang; NULL = none */
	const char *title;               /* PDF title; NULL = the subject */
	instant_t created;               /* PDF creation date: the run's as-of
					  * instant (never the clock, so the
					  * output depends on the input only);
					  * 0 = 1970-01-01T00:00:00Z */
};

/* Lay out and draw `l` as an A4 PDF and append its bytes to *ret_pdf.
 * Errors: -ERR_INVALID for missing or malformed input (the message names the
 * field, e.g. "rows[3].cells[1]: not valid UTF-8", or an unreadable PNG),
 * -ERR_RANGE when a part cannot be placed (address too long for the window,
 * a table row taller than a page, more than LETTER_PAGES_MAX pages),
 * -ERR_TOOBIG when an input exceeds its LETTER_* bound or the PDF would be
 * larger than `max` bytes (or does not fit in *ret_pdf), -ERR_IO when cairo
 * or the fonts fail. *ret_pdf is unchanged on failure. */
int render_letter_pdf(const struct letter *l, size_t max, struct buf *ret_pdf,
		      struct err *e);

/* At process exit, for leak checkers (ASan/LSan, valgrind): drop the
 * calling thread's pango font map and the process-wide caches of cairo and
 * fontconfig. Call it once, from the thread that rendered, when no other
 * thread uses cairo, pango or fontconfig any more; nothing may render
 * after it. Never needed for correctness. */
void render_letter_shutdown(void);

#endif
