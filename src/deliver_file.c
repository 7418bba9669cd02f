/*
 * deliver_file: every message as a file in a folder, plus a log line (see
 * deliver_file.h). The demo and dry runs use it in place of real
 * providers; it carries whatever dispatch hands it and decides nothing.
 */
#include "deliver_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "mem.h"

#define FILE_SCHEME "file"
#define FILE_LOG "sent.log"
#define FILE_LOG_MAX 2048 /* bytes of one sent.log line */
#define FILE_HEAD_MAX (8 * 1024) /* bytes of the To:/Subject: lines */

/* One open adapter. */
struct file_out {
	char dir[FILE_DIR_MAX]; /* the folder from the setting */
};

static int file_open(const char *config, void **ret_handle, struct err *e)
{
	char dir[FILE_DIR_MAX];
	struct file_out *h;
	int rc;

	rc = fs_config_dir(config, FILE_SCHEME, "folder", "/path/to/dir",
			   sizeof(dir), dir, NULL, e);
	if (rc < 0)
		return rc;
	h = xcalloc(1, sizeof(*h));
	memcpy(h->dir, dir, strlen(dir) + 1);
	*ret_handle = h;
	return 0;
}

static void file_close(void *h)
{
	free(h);
}

/* Bytes of the UTF-8 sequence a lead byte starts (1 for anything else). */
static size_t file_seq_len(unsigned char c)
{
	if (c >= 0xF0 && c < 0xF8)
		return 4;
	if (c >= 0xE0)
		return c < 0xF0 ? 3 : 1;
	if (c >= 0xC0)
		return 2;
	return 1;
}

/* Append s as one line-free field: '\n' becomes `nl`, '\r' is dropped,
 * other control characters (tab included) become a space; at most
 * max_bytes bytes and max_chars characters, never cutting a character. */
static int file_field(struct buf *b, const char *s, const char *nl,
		      size_t max_bytes, size_t max_chars)
{
	size_t bytes = 0, chars = 0, nll = strlen(nl);

	while (s && *s) {
		unsigned char c = (unsigned char)*s;
		size_t n = file_seq_len(c), k;
		int r;

		if (chars == max_chars)
			break;
		if (c == '\r') {
			s++;
			continue;
		}
		if (c == '\n' || c < 0x20 || c == 0x7f) {
			const char *out = c == '\n' ? nl : " ";
			size_t ol = c == '\n' ? nll : 1;
			if (bytes + ol > max_bytes)
				break;
			if ((r = buf_append(b, out, ol)) < 0)
				return r;
			bytes += ol;
			chars++;
			s++;
			continue;
		}
		for (k = 1; k < n; k++)
			if (((unsigned char)s[k] & 0xC0) != 0x80)
				break; /* broken sequence: take the lead byte alone */
		n = k;
		if (bytes + n > max_bytes)
			break;
		if ((r = buf_append(b, s, n)) < 0)
			return r;
		bytes += n;
		chars++;
		s += n;
	}
	return 0;
}

/* The sent.log line of one message. */
static int file_log_line(const struct deliver_msg *m, struct buf *b)
{
	char when[INSTANT_FMT_MAX];
	int r = 0;

	instant_format(m->now, when);
	r |= buf_printf(b, "%s\t%s\t", when, channel_name(m->channel));
	r |= file_field(b, m->to, " | ", FILE_LOG_TO_MAX, (size_t)-1);
	r |= buf_putc(b, '\t');
	r |= buf_puts(b, m->idempotency_key);
	r |= buf_putc(b, '\t');
	if (m->subject && m->subject[0])
		r |= file_field(b, m->subject, " ", FILE_LOG_SUBJECT_MAX, (size_t)-1);
	else
		r |= file_field(b, m->text, " ", FILE_LOG_SUBJECT_MAX,
				FILE_LOG_SUMMARY_CHARS);
	r |= buf_putc(b, '\n');
	return r ? -ERR_TOOBIG : 0;
}

/* The .txt form: "To: ...\n" ["Subject: ...\n"] "\n" text. */
static int file_txt(const struct deliver_msg *m, struct buf *b, struct err *e)
{
	int r = 0;

	r |= buf_puts(b, "To: ");
	r |= file_field(b, m->to, " | ", FILE_HEAD_MAX, (size_t)-1);
	if (m->subject && m->subject[0]) {
		r |= buf_puts(b, "\nSubject: ");
		r |= file_field(b, m->subject, " ", FILE_HEAD_MAX, (size_t)-1);
	}
	r |= buf_puts(b, "\n\n");
	if (r == 0 && m->text)
		r = buf_puts(b, m->text);
	if (r)
		return err_set(e, ERR_TOOBIG, "text is longer than %d bytes",
			       FILE_TEXT_MAX);
	return 0;
}

/* The file's extension: the document's kind when the channel has one. */
static const char *file_ext(const struct deliver_msg *m)
{
	if (!m->document || m->document_len == 0)
		return "txt";
	switch (m->channel) {
	case CHANNEL_EMAIL:
		return "eml";
	case CHANNEL_LETTER:
		return "pdf";
	case CHANNEL_VOICE:
		return "wav";
	default:
		return "txt";
	}
}

static void file_one(struct file_out *h, const struct deliver_msg *m,
		     struct deliver_result *res)
{
	char cdir[FS_PATH_MAX], name[FILE_KEY_MAX + 8], id[DELIVER_ID_MAX];
	char logpath[FS_PATH_MAX];
	const char *ext = file_ext(m);
	struct err e = { "" };
	struct buf txt, line;
	int r;

	buf_init(&txt, FILE_TEXT_MAX + FILE_HEAD_MAX);
	buf_init(&line, FILE_LOG_MAX);
	if ((unsigned)m->channel >= CHANNEL_COUNT) {
		err_set(&e, ERR_INVALID, "unknown channel %d", (int)m->channel);
		goto hard;
	}
	if (fs_name_check(m->idempotency_key, FILE_KEY_MAX, "idempotency key",
			  &e) < 0)
		goto hard;
	if (strcmp(ext, "txt") == 0) {
		if (file_txt(m, &txt, &e) < 0)
			goto hard;
	} else if (m->document_len > FILE_DOC_MAX) {
		err_set(&e, ERR_TOOBIG, "document is larger than %u bytes",
			FILE_DOC_MAX);
		goto hard;
	}
	if (file_log_line(m, &line) < 0) {
		err_set(&e, ERR_TOOBIG, "sent.log line longer than %d bytes",
			FILE_LOG_MAX);
		goto hard;
	}
	snprintf(name, sizeof(name), "%s.%s", m->idempotency_key, ext);
	snprintf(id, sizeof(id), "%s/%s", channel_name(m->channel), name);
	if ((r = fs_join(cdir, sizeof(cdir), h->dir, channel_name(m->channel),
			 &e)) < 0 ||
	    (r = fs_join(logpath, sizeof(logpath), h->dir, FILE_LOG, &e)) < 0 ||
	    (r = fs_mkdir_p(cdir, &e)) < 0)
		goto retry;
	if (strcmp(ext, "txt") == 0)
		r = fs_write_atomic(cdir, name, txt.data, txt.len, &e);
	else
		r = fs_write_atomic(cdir, name, m->document, m->document_len, &e);
	if (r < 0)
		goto retry;
	/* Logged once the file is there: a line means a file. */
	if (fs_append(logpath, line.data, line.len, &e) < 0)
		goto retry;
	fs_result(res, DELIVER_SENT, id, NULL);
	goto out;
hard:
	fs_result(res, DELIVER_HARD_FAIL, NULL, e.msg);
	goto out;
retry:
	fs_result(res, DELIVER_RETRY, NULL, e.msg);
out:
	buf_free(&txt);
	buf_free(&line);
}

static int file_send(void *hv, const struct deliver_msg *msgs, size_t n,
		     struct deliver_result *results, struct err *e)
{
	size_t i;

	if (n > DELIVER_BATCH_MAX)
		return err_set(e, ERR_TOOBIG, "file: %zu messages in one call (at most %d)",
			       n, DELIVER_BATCH_MAX);
	for (i = 0; i < n; i++)
		file_one(hv, &msgs[i], &results[i]);
	return 0;
}

const struct deliver_backend deliver_file = {
	.scheme = "file",
	.channel = CHANNEL_COUNT, /* any */
	.open = file_open,
	.send = file_send,
	.flush = NULL,
	.close = file_close,
};
