/*
 * test_render_letter: the A4 letter PDF, read back with real PDF tools.
 *
 * Each letter is written to a temporary directory and examined with
 * poppler-utils the way a print house or a reader would: pdfinfo (page size,
 * page count, metadata), pdftotext -layout (every text present, accents
 * intact, markup shown literally), pdftotext -bbox (the recipient inside the
 * envelope window and nothing else in it, margins, the footer and "Page N
 * of M" on every page, no text below the page label, the payment box on one
 * page), pdffonts (DejaVu Sans embedded), pdfimages -list (the QR image, its
 * printed size) and pdftoppm + zbarimg (the QR still decodes from the
 * printed page). Bounds and bad input are checked for their error messages.
 * The directory is removed at the end; KEEP=1 in the environment keeps it
 * for a look at the PDFs.
 */
#include <cairo.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "mem.h"
#include "render_letter.h"

#define MM (72.0 / 25.4)
#define PAGE_W 595.276
#define PDF_MAX (8 * 1024 * 1024)
#define OUT_MAX (16 * 1024 * 1024)

/* The envelope window, pt from the top left (DIN 5008 form B). */
#define WIN_X0 (20 * MM)
#define WIN_Y0 (45 * MM)
#define WIN_X1 (105 * MM)
#define WIN_Y1 (90 * MM)

static char tmpdir[64];

/* ---- helpers ---- */

/* Run a shell command; its stdout goes to `out`. Returns the exit status. */
static int run(const char *cmd, struct buf *out)
{
	char chunk[4096];
	size_t n;
	FILE *p = popen(cmd, "r");
	int st;

	buf_reset(out);
	if (!p)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		(void)buf_append(out, chunk, n);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A command on one file of the temporary directory: "tool ARGS DIR/name
 * TAIL" (the names are ours: no quoting needed). */
static int tool(const char *fmt_tool, const char *name, const char *tail,
		struct buf *out)
{
	struct buf cmd;
	int rc;

	buf_init(&cmd, 4096);
	(void)buf_printf(&cmd, "%s %s/%s %s", fmt_tool, tmpdir, name, tail);
	rc = run(buf_cstr(&cmd), out);
	buf_free(&cmd);
	return rc;
}

static void write_file(const char *name, const struct buf *b)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK(fwrite(b->data, 1, b->len, f) == b->len);
	fclose(f);
}

/* Whitespace runs (newlines too) collapsed to one space, so a phrase that
 * pdftotext spreads over columns or lines can still be found. */
static char *squeeze(const char *s)
{
	char *r = xmalloc(strlen(s) + 1), *o = r;
	int sp = 0;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\f' || *s == '\r') {
			sp = 1;
			continue;
		}
		if (sp && o != r)
			*o++ = ' ';
		sp = 0;
		*o++ = *s;
	}
	*o = '\0';
	return r;
}

/* Lines of `s` containing `part`. */
static int count_lines_with(const char *s, const char *part)
{
	int n = 0;

	while (*s) {
		const char *eol = strchr(s, '\n');
		size_t len = eol ? (size_t)(eol - s) : strlen(s);
		const char *hit = strstr(s, part);

		if (hit && hit + strlen(part) <= s + len)
			n++;
		s += len + (eol ? 1 : 0);
	}
	return n;
}

/* PNG bytes of a QR code for `payload` (libqrencode, 4 px per module,
 * 4-module quiet zone). */
static void make_qr(const char *payload, struct buf *png);

static cairo_status_t png_write(void *closure, const unsigned char *data,
				unsigned int len)
{
	return buf_append(closure, data, len) == 0 ? CAIRO_STATUS_SUCCESS
						   : CAIRO_STATUS_WRITE_ERROR;
}

static void make_qr(const char *payload, struct buf *png)
{
	QRcode *q = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int scale = 4, quiet = 4, side, x, y;
	cairo_surface_t *s;
	cairo_t *cr;

	CHECK(q != NULL);
	if (!q)
		return;
	side = (q->width + 2 * quiet) * scale;
	s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, side, side);
	cr = cairo_create(s);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_set_source_rgb(cr, 0, 0, 0);
	for (y = 0; y < q->width; y++)
		for (x = 0; x < q->width; x++)
			if (q->data[y * q->width + x] & 1)
				cairo_rectangle(cr, (x + quiet) * scale,
						(y + quiet) * scale, scale, scale);
	cairo_fill(cr);
	cairo_destroy(cr);
	CHECK(cairo_surface_write_to_png_stream(s, png_write, png) ==
	      CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(s);
	QRcode_free(q);
}

/* The bytes of DIR/name into `b`. */
static void read_back(const char *name, struct buf *b)
{
	char path[128], chunk[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	buf_reset(b);
	f = fopen(path, "rb");
	CHECK(f != NULL);
	if (!f)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		(void)buf_append(b, chunk, n);
	fclose(f);
}

/* The cross-reference table is exact: startxref points at it and every
 * object in use starts at the offset it gives ("N 0 obj"). Returns the
 * number of objects checked, or -1 on the first wrong one. poppler would
 * quietly rebuild a broken table, so this is checked by hand. */
static int xref_objects(const struct buf *pdf)
{
	const char *d = buf_cstr(pdf), *p = NULL, *q;
	size_t sx, n, i;
	int good = 0;

	/* PDFs hold NUL bytes: search with memmem, not strstr. */
	for (q = memmem(d, pdf->len, "startxref\n", 10); q;
	     q = memmem(q + 1, pdf->len - (size_t)(q + 1 - d), "startxref\n", 10))
		p = q;
	if (!p || sscanf(p, "startxref\n%zu", &sx) != 1 || sx >= pdf->len ||
	    sscanf(d + sx, "xref\n0 %zu\n", &n) != 1)
		return -1;
	q = strchr(d + sx + 5, '\n') + 1;
	for (i = 0; i < n; i++) {
		const char *ent = q + 20 * i;
		char want[32];
		size_t off;

		if (ent + 20 > d + pdf->len || sscanf(ent, "%zu", &off) != 1)
			return -1;
		if (ent[17] != 'n')
			continue;
		snprintf(want, sizeof(want), "%zu 0 obj", i);
		if (off >= pdf->len || strncmp(d + off, want, strlen(want)) != 0)
			return -1;
		good++;
	}
	return good;
}

/* ---- pdftotext -bbox ---- */

struct word {
	int page;              /* 1-based */
	double x0, y0, x1, y1; /* pt, from the top left */
	char text[96];         /* the word, entities decoded */
};

struct words {
	struct word *w; /* all words of the document, in order */
	size_t n;       /* words */
	size_t cap;     /* allocated */
	int pages;      /* pages seen */
};

static void decode_entities(const char *s, size_t n, char *out, size_t outsz)
{
	static const struct { const char *ent; char ch; } ents[] = {
		{ "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' },
		{ "&quot;", '"' }, { "&apos;", '\'' },
	};
	size_t i = 0, o = 0, k;

	while (i < n && o + 1 < outsz) {
		for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
			size_t el = strlen(ents[k].ent);
			if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0)
				break;
		}
		if (k < sizeof(ents) / sizeof(ents[0])) {
			out[o++] = ents[k].ch;
			i += strlen(ents[k].ent);
		} else {
			out[o++] = s[i++];
		}
	}
	out[o] = '\0';
}

static void bbox_words(const char *pdf, struct words *ws)
{
	struct buf out;
	const char *p;

	memset(ws, 0, sizeof(*ws));
	buf_init(&out, OUT_MAX);
	CHECK(tool("pdftotext -bbox", pdf, "- 2>/dev/null", &out) == 0);
	for (p = buf_cstr(&out); *p; ) {
		const char *eol = strchr(p, '\n');
		const char *w = strstr(p, "<word ");

		if (eol && w > eol)
			w = NULL;
		if (strstr(p, "<page ") && (!eol || strstr(p, "<page ") < eol))
			ws->pages++;
		if (w) {
			struct word wd;
			const char *t = strchr(w, '>'), *te = t ? strstr(t, "</word>") : NULL;

			memset(&wd, 0, sizeof(wd));
			wd.page = ws->pages;
			if (t && te &&
			    sscanf(w, "<word xMin=\"%lf\" yMin=\"%lf\" "
				   "xMax=\"%lf\" yMax=\"%lf\"",
				   &wd.x0, &wd.y0, &wd.x1, &wd.y1) == 4) {
				decode_entities(t + 1, (size_t)(te - t - 1), wd.text,
						sizeof(wd.text));
				ws->w = xgrow(ws->w, &ws->cap, ws->n + 1, sizeof(*ws->w));
				ws->w[ws->n++] = wd;
			}
		}
		if (!eol)
			break;
		p = eol + 1;
	}
	buf_free(&out);
}

/* The first word with this text on `page` (0 = any page); NULL if none. */
static const struct word *find_word(const struct words *ws, int page,
				    const char *text)
{
	size_t i;

	for (i = 0; i < ws->n; i++)
		if ((!page || ws->w[i].page == page) && strcmp(ws->w[i].text, text) == 0)
			return &ws->w[i];
	return NULL;
}

static int inside_window(const struct word *w)
{
	return w->x0 >= WIN_X0 && w->x1 <= WIN_X1 && w->y0 >= WIN_Y0 &&
	       w->y1 <= WIN_Y1;
}

static int overlaps_window(const struct word *w)
{
	return w->x1 > WIN_X0 && w->x0 < WIN_X1 && w->y1 > WIN_Y0 &&
	       w->y0 < WIN_Y1;
}

/* Every page: the footer at the bottom, "Page N of M" just above it, and
 * every other word above the page label and inside the margins. `footer`
 * is a word that only the footer holds. */
static void check_pages(const struct words *ws, int pages, const char *footer)
{
	int pg;

	CHECK_INT(ws->pages, pages);
	for (pg = 1; pg <= pages; pg++) {
		const struct word *f = find_word(ws, pg, footer), *label = NULL;
		char num[16], tot[16];
		size_t i;

		snprintf(num, sizeof(num), "%d", pg);
		snprintf(tot, sizeof(tot), "%d", pages);
		/* The label: "Page" followed by N, "of", M on one line. */
		for (i = 0; i + 3 < ws->n; i++) {
			const struct word *w = &ws->w[i];
			if (w->page == pg && strcmp(w->text, "Page") == 0 &&
			    strcmp(w[1].text, num) == 0 && strcmp(w[2].text, "of") == 0 &&
			    strcmp(w[3].text, tot) == 0 && w[3].y0 == w->y0)
				label = w;
		}
		CHECK(f != NULL);
		CHECK(label != NULL);
		if (!f || !label)
			continue;
		CHECK(f->y0 > 780);       /* the footer is at the foot */
		CHECK(label->y1 <= f->y0); /* the label above it */
		CHECK(label[3].x1 > PAGE_W - 20 * MM - 2); /* right-aligned */
		for (i = 0; i < ws->n; i++) {
			const struct word *w = &ws->w[i];

			if (w->page != pg)
				continue;
			/* Inside the margins: 25 mm left, 20 mm right. */
			if (w->x0 < 25 * MM - 0.5 || w->x1 > PAGE_W - 20 * MM + 0.5) {
				printf("  page %d: \"%s\" at x %.1f..%.1f outside the margins\n",
				       pg, w->text, w->x0, w->x1);
				CHECK(0);
			}
			if (w->y0 >= f->y0 - 0.5 || (w >= label && w <= label + 3))
				continue;
			if (w->y1 > label->y0) {
				printf("  page %d: \"%s\" at y %.1f, below the page label (%.1f)\n",
				       pg, w->text, w->y1, label->y0);
				CHECK(0);
			}
		}
	}
}

/* ---- the sample letter ---- */

static const char *const sender[] = {
	"Zoë Energie B.V.", "Keizersgracht 100", "1015 CJ Amsterdam",
	"+31 20 123 4567", "klantenservice@zoe-energie.example",
};
static const char *const recipient[] = {
	"Zoë Bäcker-Sørensen", "Café Großmann", "Prinsengracht 263",
	"1016 GV Amsterdam",
};
static const char *const head[] = { "Invoice", "Date", "Amount", "Open" };
static const struct letter_row rows[] = {
	{ { "INV-2026-0001", "2026-09-01", "€ 1.250,00", "€ 250,00" } },
	{ { "INV-2026-0002", "2026-10-01", "€ 75,50", "€ 75,50" } },
	{ { "INV-2026-0003", "2026-10-15", "€ 9,99", "€ 9,99" } },
};
static const char *const bank[] = {
	"IBAN NL91 ABNA 0417 1643 00", "BIC ABNANL2A",
	"Beneficiary Zoë Energie B.V.", "Reference RF18 5390 0754 7034",
};
static const char qr_payload[] =
	"BCD\n002\n1\nSCT\nABNANL2A\nZoe Energie BV\nNL91ABNA0417164300\n"
	"EUR335.49\n\nRF18539007547034";
static const char footer[] =
	"Zoë Energie B.V. · KvK 12345678 · VAT NL001234567B01 · "
	"Registered office Amsterdam";
static const char body[] =
	"Dear Ms Bäcker-Sørensen,\n"
	"\n"
	"We have not yet received payment for the invoices listed below. "
	"Perhaps this has slipped your attention; it happens to all of us.\n"
	"\n"
	"If you cannot pay the full amount now, choose a later date or an "
	"instalment plan on your personal page. Naïve questions are welcome: "
	"call us on +31 20 123 4567.\n";

static void sample(struct letter *l, struct buf *qr)
{
	memset(l, 0, sizeof(*l));
	l->sender_lines = sender;
	l->n_sender = sizeof(sender) / sizeof(sender[0]);
	l->return_line = "Zoë Energie B.V. · Postbus 4321 · 1000 AA Amsterdam";
	l->recipient_lines = recipient;
	l->n_recipient = sizeof(recipient) / sizeof(recipient[0]);
	l->place_date = "Amsterdam, 27 november 2026";
	l->reference_line = "Customer 1042 · Reference RF18 5390 0754 7034";
	l->subject = "Reminder: 3 open invoices, € 335,49 in total";
	l->body = body;
	l->table_head = head;
	l->n_cols = 4;
	l->right_cols = 0xc; /* Amount, Open */
	l->rows = rows;
	l->n_rows = sizeof(rows) / sizeof(rows[0]);
	l->closing = "Kind regards,\nAnneke de Vries\nCustomer care";
	l->bank_lines = bank;
	l->n_bank = sizeof(bank) / sizeof(bank[0]);
	if (qr) {
		make_qr(qr_payload, qr);
		l->qr_png = (const unsigned char *)qr->data;
		l->qr_png_len = qr->len;
	}
	l->qr_caption = "Scan to pay with your banking app";
	l->footer = footer;
	l->lang = "en";
	l->title = "Payment reminder (customer 1042)";
	l->created = 1795737600; /* 2026-11-27T00:00:00Z */
}

/* Render `l` into DIR/name; returns the render result. */
static int render_to(const struct letter *l, const char *name, struct err *e)
{
	struct buf pdf;
	int rc;

	buf_init(&pdf, PDF_MAX);
	rc = render_letter_pdf(l, PDF_MAX, &pdf, e);
	if (rc == 0) {
		CHECK(pdf.len > 1000);
		CHECK(memcmp(pdf.data, "%PDF-", 5) == 0);
		write_file(name, &pdf);
	} else {
		CHECK(pdf.len == 0);
	}
	buf_free(&pdf);
	return rc;
}

static int pdf_pages(const char *name)
{
	struct buf out;
	const char *p;
	int pages = -1;

	buf_init(&out, OUT_MAX);
	CHECK(tool("pdfinfo", name, "2>&1", &out) == 0);
	p = strstr(buf_cstr(&out), "\nPages:");
	if (p)
		pages = (int)strtol(p + 7, NULL, 10);
	buf_free(&out);
	return pages;
}

/* ---- tests ---- */

TEST(test_full_letter)
{
	static const char *const want[] = {
		"Zoë Bäcker-Sørensen", "Café Großmann", "Prinsengracht 263",
		"1016 GV Amsterdam", "Zoë Energie B.V.", "Keizersgracht 100",
		"klantenservice@zoe-energie.example",
		"Zoë Energie B.V. · Postbus 4321 · 1000 AA Amsterdam",
		"Amsterdam, 27 november 2026",
		"Customer 1042 · Reference RF18 5390 0754 7034",
		"Reminder: 3 open invoices, € 335,49 in total",
		"Dear Ms Bäcker-Sørensen,",
		"We have not yet received payment for the invoices listed below.",
		"it happens to all of us.", "Naïve questions are welcome",
		"Invoice Date Amount Open",
		"INV-2026-0001 2026-09-01 € 1.250,00 € 250,00",
		"INV-2026-0003 2026-10-15 € 9,99 € 9,99",
		"Kind regards, Anneke de Vries Customer care",
		"IBAN NL91 ABNA 0417 1643 00", "BIC ABNANL2A",
		"Beneficiary Zoë Energie B.V.", "Reference RF18 5390 0754 7034",
		"Scan to pay with", "banking app", "Page 1 of 1",
		"KvK 12345678 · VAT NL001234567B01",
	};
	struct letter l;
	struct buf qr, out;
	struct err e = { "" };
	struct words ws;
	const struct word *w;
	double pw = 0, ph = 0, ppi = 0;
	char *text;
	size_t i;
	int rc, pg = 0, wpx = 0, hpx = 0;
	char interp[16] = "";

	buf_init(&qr, PDF_MAX);
	buf_init(&out, OUT_MAX);
	sample(&l, &qr);
	rc = render_to(&l, "full.pdf", &e);
	CHECK_INT(rc, 0);
	if (rc) {
		printf("  %s\n", e.msg);
		goto out;
	}

	/* pdfinfo: A4, one page, metadata, and no complaints. */
	CHECK(tool("pdfinfo", "full.pdf", "2>&1", &out) == 0);
	CHECK(strstr(buf_cstr(&out), "Pages:           1\n") != NULL);
	text = strstr(buf_cstr(&out), "Page size:");
	CHECK(text && sscanf(text, "Page size: %lf x %lf", &pw, &ph) == 2);
	CHECK(pw > 595.27 && pw < 595.29 && ph > 841.88 && ph < 841.90);
	CHECK(strstr(buf_cstr(&out), "Title:           Payment reminder (customer 1042)\n"));
	CHECK(strstr(buf_cstr(&out), "Author:          Zoë Energie B.V.\n"));
	CHECK(strstr(buf_cstr(&out), "Creator:         dunwell\n"));
	CHECK(strstr(buf_cstr(&out), "CreationDate:    Fri Nov 27 00:00:00 2026 UTC\n"));
	CHECK(strstr(buf_cstr(&out), "rror") == NULL);

	/* The language, in the catalog (pdfinfo does not show it), and the
	 * cross-reference table still exact after adding it. */
	read_back("full.pdf", &out);
	CHECK(memmem(out.data, out.len, "<< /Type /Catalog\n   /Lang (en)\n", 32) != NULL);
	CHECK(xref_objects(&out) >= 10);

	/* pdftotext: everything is there, accents intact. */
	CHECK(tool("pdftotext -layout", "full.pdf", "- 2>&1", &out) == 0);
	text = squeeze(buf_cstr(&out));
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!strstr(text, want[i])) {
			printf("  missing: \"%s\"\n", want[i]);
			CHECK(0);
		}
	free(text);

	/* pdffonts: DejaVu Sans, regular and bold, embedded. */
	CHECK(tool("pdffonts", "full.pdf", "2>&1", &out) == 0);
	CHECK(strstr(buf_cstr(&out), "+DejaVuSans ") != NULL);
	CHECK(strstr(buf_cstr(&out), "+DejaVuSans-Bold ") != NULL);
	CHECK(strstr(buf_cstr(&out), "emb sub uni") != NULL);
	CHECK(count_lines_with(buf_cstr(&out), "+DejaVuSans") >= 2);
	CHECK_INT(count_lines_with(buf_cstr(&out), " yes yes yes "),
		  count_lines_with(buf_cstr(&out), "+DejaVuSans"));

	/* pdftotext -bbox: the window holds the return line and the address,
	 * and nothing else. */
	bbox_words("full.pdf", &ws);
	check_pages(&ws, 1, "KvK");
	w = find_word(&ws, 1, "Bäcker-Sørensen");
	CHECK(w != NULL && inside_window(w));
	w = find_word(&ws, 1, "Postbus"); /* the return line */
	CHECK(w != NULL && inside_window(w));
	w = find_word(&ws, 1, "Großmann");
	CHECK(w != NULL && inside_window(w));
	w = find_word(&ws, 1, "GV");
	CHECK(w != NULL && inside_window(w));
	for (i = 0; i < ws.n; i++) {
		static const char *const ok[] = {
			"Zoë", "Bäcker-Sørensen", "Café", "Großmann", "Prinsengracht",
			"263", "1016", "GV", "Amsterdam", "Energie", "B.V.", "·",
			"Postbus", "4321", "1000", "AA",
		};
		size_t k;
		int allowed = 0;

		if (!overlaps_window(&ws.w[i]))
			continue;
		for (k = 0; k < sizeof(ok) / sizeof(ok[0]); k++)
			allowed |= strcmp(ws.w[i].text, ok[k]) == 0;
		if (!allowed || !inside_window(&ws.w[i])) {
			printf("  \"%s\" in the window\n", ws.w[i].text);
			CHECK(0);
		}
	}
	/* The return line sits above the address. */
	{
		const struct word *r = find_word(&ws, 1, "Postbus");
		const struct word *a = find_word(&ws, 1, "Bäcker-Sørensen");
		CHECK(r && a && r->y1 <= a->y0 && r->y1 < WIN_Y0 + 8 * MM);
	}
	/* The sender block: top right, right-aligned at the margin. */
	w = find_word(&ws, 1, "klantenservice@zoe-energie.example");
	CHECK(w != NULL && w->x0 > 125 * MM - 1 && w->x1 > PAGE_W - 20 * MM - 2 &&
	      w->y1 < WIN_Y1);
	/* Place and date under the window; the subject under them. */
	w = find_word(&ws, 1, "november");
	CHECK(w != NULL && w->y0 > WIN_Y1);
	w = find_word(&ws, 1, "Reminder:");
	CHECK(w != NULL && w->y0 > WIN_Y1 && w->x0 < 25 * MM + 1);
	/* The amounts: right-aligned, so their right edges line up. */
	{
		const struct word *a = find_word(&ws, 1, "1.250,00");
		const struct word *b = find_word(&ws, 1, "75,50");
		const struct word *o1 = find_word(&ws, 1, "250,00");
		const struct word *o3 = NULL;

		for (i = 0; i < ws.n; i++)
			if (strcmp(ws.w[i].text, "9,99") == 0)
				o3 = &ws.w[i]; /* the last one: column Open */
		CHECK(a && b && o1 && o3);
		if (a && b && o1 && o3) {
			CHECK(a->x1 - b->x1 < 0.5 && b->x1 - a->x1 < 0.5);
			CHECK(o1->x1 - o3->x1 < 0.5 && o3->x1 - o1->x1 < 0.5);
			CHECK(o1->x1 > PAGE_W - 20 * MM - 2);
		}
	}
	/* The QR caption and the bank lines side by side in the box. */
	{
		const struct word *iban = find_word(&ws, 1, "IBAN");
		const struct word *scan = find_word(&ws, 1, "Scan");
		CHECK(iban && scan && scan->x0 > iban->x1 + 100 &&
		      scan->y0 > iban->y0);
	}
	free(ws.w);

	/* pdfimages: one image, the QR, printed at least 25 mm wide, not
	 * smoothed. */
	CHECK(tool("pdfimages -list", "full.pdf", "2>&1", &out) == 0);
	text = strstr(buf_cstr(&out), "-----\n");
	CHECK(text != NULL);
	if (text) {
		text = strchr(text, '\n') + 1;
		CHECK(sscanf(text, "%d %*d %*s %d %d %*s %*d %*d %*s %15s %*d %*d %lf",
			     &pg, &wpx, &hpx, interp, &ppi) == 5);
		CHECK_INT(pg, 1);
		CHECK(wpx > 0 && wpx == hpx);
		CHECK(ppi > 0 && wpx / ppi * 25.4 >= 25.0);
		CHECK_STR(interp, "no");
		CHECK(strchr(text, '\n') && strchr(text, '\n')[1] == '\0'); /* one */
	}

	/* The printed page: zbarimg reads the payment QR back. */
	{
		struct buf cmd;

		buf_init(&cmd, 4096);
		(void)buf_printf(&cmd, "pdftoppm -r 200 -png -singlefile %s/full.pdf "
				 "%s/page && zbarimg -q --raw %s/page.png 2>/dev/null",
				 tmpdir, tmpdir, tmpdir);
		CHECK(run(buf_cstr(&cmd), &out) == 0);
		buf_free(&cmd);
		CHECK(out.len > 0 && strncmp(buf_cstr(&out), qr_payload,
					     strlen(qr_payload)) == 0);
	}
out:
	buf_free(&qr);
	buf_free(&out);
}

/* A body of `n` numbered paragraphs, "P01" ..., of varying length. */
static char *long_body(int n)
{
	static const char *const words[] = {
		"payment", "reminder", "customer", "invoice", "amount", "balance",
		"instalment", "schedule", "contact", "Zoë", "Großmann", "café",
		"naïve", "Sørensen", "Bäcker", "statement", "settlement", "account",
	};
	struct buf b;
	int i, j;

	buf_init(&b, LETTER_BODY_MAX);
	for (i = 0; i < n; i++) {
		(void)buf_printf(&b, "%sP%02d", i ? "\n\n" : "", i + 1);
		for (j = 0; j < 12 + (i * 7) % 40; j++)
			(void)buf_printf(&b, " %s", words[(i * 5 + j * 3) % 18]);
		(void)buf_puts(&b, ".");
	}
	return buf_detach(&b);
}

TEST(test_long_letter)
{
	struct letter l;
	struct buf qr, out;
	struct err e = { "" };
	struct words ws;
	char *bd = long_body(60), *text, want[32];
	int rc, pages, i, last_page = 0;
	size_t k;

	buf_init(&qr, PDF_MAX);
	buf_init(&out, OUT_MAX);
	sample(&l, &qr);
	l.body = bd;
	rc = render_to(&l, "long.pdf", &e);
	CHECK_INT(rc, 0);
	if (rc) {
		printf("  %s\n", e.msg);
		goto out;
	}
	pages = pdf_pages("long.pdf");
	CHECK(pages >= 2);

	CHECK(tool("pdftotext -layout", "long.pdf", "- 2>&1", &out) == 0);
	text = squeeze(buf_cstr(&out));
	for (i = 1; i <= pages; i++) {
		snprintf(want, sizeof(want), "Page %d of %d", i, pages);
		CHECK(strstr(text, want) != NULL);
	}
	free(text);

	bbox_words("long.pdf", &ws);
	check_pages(&ws, pages, "KvK");
	/* Every paragraph is there, in order; pages after the first start at
	 * the 20 mm top margin. */
	for (i = 1; i <= 60; i++) {
		const struct word *w;

		snprintf(want, sizeof(want), "P%02d", i);
		w = find_word(&ws, 0, want);
		CHECK(w != NULL);
		if (!w)
			continue;
		CHECK(w->page >= last_page);
		CHECK(w->x0 < 25 * MM + 0.5); /* at the left margin */
		last_page = w->page;
	}
	for (i = 2; i <= pages; i++) {
		double top = 1e9;

		for (k = 0; k < ws.n; k++)
			if (ws.w[k].page == i && ws.w[k].y0 < top)
				top = ws.w[k].y0;
		CHECK(top >= 20 * MM - 3 && top < 20 * MM + 12);
	}
	/* The payment box, on the last page with the QR image. */
	CHECK(find_word(&ws, pages, "IBAN") != NULL);
	CHECK(find_word(&ws, pages, "Scan") != NULL);
	free(ws.w);
out:
	free(bd);
	buf_free(&qr);
	buf_free(&out);
}

/* Only what is required: the recipient and the body. */
TEST(test_minimal_letter)
{
	static const char *const to[] = {
		"Søren Ørsted", "Østergade 1", "1100 København K",
	};
	struct letter l;
	struct buf out;
	struct err e = { "" };
	struct words ws;
	const struct word *w;
	char *text;
	int rc;

	memset(&l, 0, sizeof(l));
	l.recipient_lines = to;
	l.n_recipient = 3;
	l.body = "Hej Søren,\n\nDin faktura er betalt. Tak.";
	buf_init(&out, OUT_MAX);
	rc = render_to(&l, "min.pdf", &e);
	CHECK_INT(rc, 0);
	if (rc) {
		printf("  %s\n", e.msg);
		goto out;
	}
	CHECK_INT(pdf_pages("min.pdf"), 1);
	CHECK(tool("pdftotext -layout", "min.pdf", "- 2>&1", &out) == 0);
	text = squeeze(buf_cstr(&out));
	CHECK(strstr(text, "Søren Ørsted Østergade 1 1100 København K") != NULL);
	CHECK(strstr(text, "Hej Søren, Din faktura er betalt. Tak.") != NULL);
	CHECK(strstr(text, "Page 1 of 1") != NULL);
	free(text);
	CHECK(tool("pdfimages -list", "min.pdf", "2>&1", &out) == 0);
	text = strstr(buf_cstr(&out), "-----\n");
	CHECK(text && text[6] == '\0'); /* no image */
	bbox_words("min.pdf", &ws);
	w = find_word(&ws, 1, "Ørsted");
	CHECK(w && inside_window(w));
	w = find_word(&ws, 1, "Hej");
	CHECK(w && w->y0 > WIN_Y1);
	free(ws.w);
out:
	buf_free(&out);
}

/* Text is text: markup characters print as themselves. */
TEST(test_markup_is_text)
{
	struct letter l;
	struct err e = { "" };
	struct buf out;
	char *text;

	sample(&l, NULL);
	l.subject = "Invoice <b>1042</b> & \"co\" </span>";
	l.body = "Tom & Jerry <i>owe</i> &amp; pay <span foreground='red'>now</span>.";
	buf_init(&out, OUT_MAX);
	CHECK_INT(render_to(&l, "markup.pdf", &e), 0);
	CHECK(tool("pdftotext -layout", "markup.pdf", "- 2>&1", &out) == 0);
	text = squeeze(buf_cstr(&out));
	CHECK(strstr(text, "Invoice <b>1042</b> & \"co\" </span>") != NULL);
	CHECK(strstr(text, "Tom & Jerry <i>owe</i> &amp; pay <span "
			   "foreground='red'>now</span>.") != NULL);
	free(text);
	buf_free(&out);
}

/* The payment box is never split: whatever the length of the body before
 * it, the bank lines, the QR image and its caption share one page; and at
 * some length it has to move to the next page on its own. */
TEST(test_payment_box_kept_together)
{
	struct letter l;
	struct buf qr, out;
	struct err e = { "" };
	int n, moved = 0;

	buf_init(&qr, PDF_MAX);
	buf_init(&out, OUT_MAX);
	sample(&l, &qr);
	l.closing = NULL;
	for (n = 6; n <= 14 && moved < 2; n++) {
		char *bd = long_body(n);
		struct words ws;
		const struct word *iban, *ref, *scan, *app, *last_row;
		int img_page = 0;
		const char *t;
		size_t i;

		l.body = bd;
		CHECK_INT(render_to(&l, "box.pdf", &e), 0);
		bbox_words("box.pdf", &ws);
		iban = find_word(&ws, 0, "IBAN");
		ref = NULL;
		for (i = 0; i < ws.n; i++)
			if (strcmp(ws.w[i].text, "RF18") == 0)
				ref = &ws.w[i]; /* the last one: the bank line */
		scan = find_word(&ws, 0, "Scan");
		app = find_word(&ws, 0, "app");
		last_row = find_word(&ws, 0, "INV-2026-0003");
		CHECK(tool("pdfimages -list", "box.pdf", "2>&1", &out) == 0);
		t = strstr(buf_cstr(&out), "-----\n");
		CHECK(t && sscanf(t + 6, "%d", &img_page) == 1);
		CHECK(iban && ref && scan && app && last_row);
		if (iban && ref && scan && app && last_row) {
			CHECK_INT(ref->page, iban->page);
			CHECK_INT(scan->page, iban->page);
			CHECK_INT(app->page, iban->page);
			CHECK_INT(img_page, iban->page);
			if (iban->page > last_row->page) {
				moved++;
				CHECK(iban->y0 < 20 * MM + 20); /* at the top */
			}
		}
		check_pages(&ws, ws.pages, "KvK");
		free(ws.w);
		free(bd);
	}
	CHECK(moved > 0);
	buf_free(&qr);
	buf_free(&out);
}

/* Many table rows: the header is repeated on each page, no row splits. */
TEST(test_long_table)
{
	struct letter l;
	struct letter_row *many = xcalloc(120, sizeof(*many));
	char (*cells)[2][32] = xcalloc(120, sizeof(*cells));
	struct err e = { "" };
	struct words ws;
	int i, pages, heads = 0, pg;
	size_t k;

	sample(&l, NULL);
	for (i = 0; i < 120; i++) {
		snprintf(cells[i][0], sizeof(cells[i][0]), "R%03d", i + 1);
		snprintf(cells[i][1], sizeof(cells[i][1]), "€ %d,00", (i + 1) * 7);
		many[i].cells[0] = cells[i][0];
		many[i].cells[1] = "2026-10-01";
		many[i].cells[2] = cells[i][1];
		many[i].cells[3] = cells[i][1];
	}
	l.rows = many;
	l.n_rows = 120;
	CHECK_INT(render_to(&l, "table.pdf", &e), 0);
	pages = pdf_pages("table.pdf");
	CHECK(pages >= 3);
	bbox_words("table.pdf", &ws);
	check_pages(&ws, pages, "KvK");
	for (pg = 1; pg <= pages; pg++) {
		const struct word *h = find_word(&ws, pg, "Invoice");
		int rows_here = 0;

		for (k = 0; k < ws.n; k++)
			if (ws.w[k].page == pg && ws.w[k].text[0] == 'R' &&
			    ws.w[k].text[1] >= '0' && ws.w[k].text[1] <= '9' &&
			    strlen(ws.w[k].text) == 4) {
				rows_here++;
				CHECK(h && h->y1 < ws.w[k].y0); /* under the header */
			}
		if (rows_here)
			heads++;
	}
	CHECK(heads >= 2);
	for (i = 1; i <= 120; i++) {
		char id[16];

		snprintf(id, sizeof(id), "R%03d", i);
		CHECK(find_word(&ws, 0, id) != NULL);
	}
	free(ws.w);
	free(cells);
	free(many);
}

/* A table without column headers, no closing, no QR, bank lines only. */
TEST(test_table_without_head)
{
	struct letter l;
	struct err e = { "" };
	struct buf out;
	char *text;

	sample(&l, NULL);
	l.table_head = NULL;
	l.closing = NULL;
	l.lang = NULL;
	buf_init(&out, OUT_MAX);
	CHECK_INT(render_to(&l, "nohead.pdf", &e), 0);
	CHECK_INT(pdf_pages("nohead.pdf"), 1);
	CHECK(tool("pdftotext -layout", "nohead.pdf", "- 2>&1", &out) == 0);
	text = squeeze(buf_cstr(&out));
	CHECK(strstr(text, "INV-2026-0002 2026-10-01 € 75,50 € 75,50") != NULL);
	CHECK(strstr(text, "Invoice Date") == NULL);
	CHECK(strstr(text, "IBAN NL91 ABNA 0417 1643 00") != NULL);
	CHECK(strstr(text, "Scan to pay") == NULL); /* no QR, no caption */
	free(text);
	read_back("nohead.pdf", &out);
	CHECK(out.len > 1000 && memmem(out.data, out.len, "/Lang", 5) == NULL);
	CHECK(xref_objects(&out) >= 10);
	buf_free(&out);
}

/* A long address: moved up and set smaller, still inside the window. */
TEST(test_long_address)
{
	static const char *const to[] = {
		"Stichting Woningcorporatie Noord", "t.a.v. de heer Ë. Ångström",
		"Afdeling Crediteurenadministratie", "Antwoordnummer 12345",
		"1000 AB Amsterdam", "Nederland", "Gebouw C, kamer 4.12",
	};
	struct letter l;
	struct err e = { "" };
	struct words ws;
	size_t i;
	int found = 0;

	sample(&l, NULL);
	l.recipient_lines = to;
	l.n_recipient = 7;
	CHECK_INT(render_to(&l, "addr.pdf", &e), 0);
	bbox_words("addr.pdf", &ws);
	for (i = 0; i < ws.n; i++) {
		const char *t = ws.w[i].text;
		if (strcmp(t, "Stichting") == 0 || strcmp(t, "Ångström") == 0 ||
		    strcmp(t, "Antwoordnummer") == 0 || strcmp(t, "Nederland") == 0 ||
		    strcmp(t, "4.12") == 0) {
			found++;
			CHECK(inside_window(&ws.w[i]));
		}
	}
	CHECK_INT(found, 5);
	free(ws.w);
}

TEST(test_deterministic)
{
	struct letter l;
	struct buf qr, a, b, c;
	struct err e = { "" };

	buf_init(&qr, PDF_MAX);
	buf_init(&a, PDF_MAX);
	buf_init(&b, PDF_MAX);
	buf_init(&c, PDF_MAX);
	sample(&l, &qr);
	CHECK_INT(render_letter_pdf(&l, PDF_MAX, &a, &e), 0);
	CHECK_INT(render_letter_pdf(&l, PDF_MAX, &b, &e), 0);
	CHECK(a.len > 0 && a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	l.created += 86400;
	CHECK_INT(render_letter_pdf(&l, PDF_MAX, &c, &e), 0);
	CHECK(c.len == a.len && memcmp(a.data, c.data, a.len) != 0);
	/* Appending: the output buffer keeps what it held. */
	CHECK_INT(render_letter_pdf(&l, PDF_MAX, &c, &e), 0);
	CHECK(c.len == 2 * a.len);
	buf_free(&qr);
	buf_free(&a);
	buf_free(&b);
	buf_free(&c);
}

/* One call expected to fail: the code, a piece of the message, and the
 * output buffer untouched. */
static void expect_fail(const struct letter *l, size_t max, int code,
			const char *msg_part)
{
	struct buf out;
	struct err e = { "" };
	int rc;

	buf_init(&out, PDF_MAX);
	(void)buf_puts(&out, "keep");
	rc = render_letter_pdf(l, max, &out, &e);
	CHECK_INT(rc, -code);
	if (!strstr(e.msg, msg_part)) {
		printf("  message \"%s\" lacks \"%s\"\n", e.msg, msg_part);
		CHECK(0);
	}
	CHECK_STR(buf_cstr(&out), "keep");
	buf_free(&out);
}

TEST(test_errors)
{
	static const char *const tall[] = { "1", "2", "3", "4", "5", "6", "7",
					    "8", "9", "10", "11", "12" };
	static const char *const wide[] = {
		"Stichting Woningcorporatie Amsterdam-Noord en Omstreken "
		"Beheer en Onderhoud B.V.", "Amsterdam",
	};
	static const char *const nl_line[] = { "two\nlines" };
	static const struct letter_row bad_rows[] = {
		{ { "a", "b", "c", "d" } },
		{ { "a", "b", "bad \xc3\x28 utf8", "d" } },
	};
	static const unsigned char not_png[] = "\x89PNG\r\n\x1a\nthis is not one";
	struct letter l, base;
	struct buf qr, small;
	struct err e = { "" };
	char *huge;

	buf_init(&qr, PDF_MAX);
	sample(&base, &qr);

	l = base;
	expect_fail(&l, 2000, ERR_TOOBIG, "larger than 2000 bytes");

	l = base; /* the PDF fits `max` but not the caller's buffer */
	buf_init(&small, 3000);
	CHECK_INT(render_letter_pdf(&l, PDF_MAX, &small, &e), -ERR_TOOBIG);
	CHECK(strstr(e.msg, "does not fit in the output buffer") != NULL);
	CHECK_INT(small.len, 0);
	buf_free(&small);

	l = base;
	l.rows = bad_rows;
	l.n_rows = 2;
	expect_fail(&l, PDF_MAX, ERR_INVALID, "rows[1].cells[2]: not valid UTF-8");

	l = base;
	l.subject = "ok \x01 not";
	expect_fail(&l, PDF_MAX, ERR_INVALID, "subject: control character 0x01");

	l = base;
	l.qr_png = not_png;
	l.qr_png_len = sizeof(not_png) - 1;
	expect_fail(&l, PDF_MAX, ERR_INVALID, "qr_png: not a readable PNG image");

	l = base;
	l.recipient_lines = tall;
	l.n_recipient = 12;
	expect_fail(&l, PDF_MAX, ERR_RANGE, "recipient_lines: the address (12 lines)");

	l = base;
	l.recipient_lines = wide;
	l.n_recipient = 2;
	expect_fail(&l, PDF_MAX, ERR_RANGE, "does not fit in the envelope window");

	l = base;
	l.recipient_lines = nl_line;
	l.n_recipient = 1;
	expect_fail(&l, PDF_MAX, ERR_INVALID, "recipient_lines[0]: control character 0x0a");

	l = base;
	l.n_recipient = 0;
	expect_fail(&l, PDF_MAX, ERR_INVALID, "recipient_lines: missing");

	l = base;
	l.body = NULL;
	expect_fail(&l, PDF_MAX, ERR_INVALID, "body: missing");

	l = base;
	l.n_cols = LETTER_COLS_MAX + 1;
	expect_fail(&l, PDF_MAX, ERR_RANGE, "n_cols: 9 columns, at most 8");

	l = base;
	l.lang = "nl) /Evil (x";
	expect_fail(&l, PDF_MAX, ERR_INVALID, "lang: \"nl) /Evil (x\" is not a language tag");

	l = base;
	l.page_label = "Page\n";
	expect_fail(&l, PDF_MAX, ERR_INVALID, "page_label: control character");

	huge = xmalloc(LETTER_BODY_MAX + 2);
	memset(huge, 'x', LETTER_BODY_MAX + 1);
	huge[LETTER_BODY_MAX + 1] = '\0';
	l = base;
	l.body = huge;
	expect_fail(&l, PDF_MAX, ERR_TOOBIG, "body: longer than 262144 bytes");
	free(huge);

	buf_free(&qr);
}

/* Too many pages is an error, found before any PDF is written. */
TEST(test_page_limit)
{
	struct letter l;
	struct buf b;
	char *bd;
	int i;

	buf_init(&b, LETTER_BODY_MAX);
	for (i = 0; i < 5000; i++)
		(void)buf_puts(&b, "x\n\n");
	bd = buf_detach(&b);
	sample(&l, NULL);
	l.body = bd;
	expect_fail(&l, PDF_MAX, ERR_RANGE, "more than 100 pages");
	free(bd);
}

int main(void)
{
	struct buf out;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_render_letter.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_full_letter);
	RUN(test_long_letter);
	RUN(test_minimal_letter);
	RUN(test_markup_is_text);
	RUN(test_payment_box_kept_together);
	RUN(test_long_table);
	RUN(test_table_without_head);
	RUN(test_long_address);
	RUN(test_deterministic);
	RUN(test_errors);
	RUN(test_page_limit);

	buf_init(&out, 4096);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), getenv("KEEP") ? "true %s" : "rm -rf %s", tmpdir);
		(void)run(cmd, &out);
	}
	buf_free(&out);
	render_letter_shutdown(); /* else LSan reports fontconfig's caches */
	return CHECK_DONE();
}
