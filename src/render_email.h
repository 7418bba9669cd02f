/*
 * render_email: a rendered mail (subject, text, optional HTML and inline
 * images) turned into one complete RFC 5322 / MIME message, ready for SMTP.
 *
 * The message is built with CRLF line ends throughout: header fields folded
 * at 78 characters, non-ASCII subjects and display names as RFC 2047
 * encoded words, bodies in UTF-8 quoted-printable, images in base64. Its
 * MIME boundaries derive from the message id, so the same input always
 * gives the same bytes (golden files stay stable). Every value that reaches
 * a header is checked: CR or LF in any of them (header injection), another
 * control character in a subject or name, a malformed address or message
 * id, or invalid UTF-8 is an error naming the field; nothing is ever
 * silently dropped or rewritten. In the bodies "\r\n" counts as a line end
 * like '\n', and any other CR is kept (quoted-printable "=0D").
 */
#ifndef DUNWELL_RENDER_EMAIL_H
#define DUNWELL_RENDER_EMAIL_H

#include <stddef.h>

#include "buf.h"
#include "date.h"
#include "err.h"

/* An image shown inside the HTML part (referenced there as "cid:<cid>"). */
struct email_image {
	const char *cid;          /* Content-ID without <>, "logo@dunwell.example" (msg-id form) */
	const char *content_type; /* "image/png", "image/jpeg", ...: must be image/ */
	const char *filename;     /* "logo.png" (printable ASCII, no '"' or '\'); NULL for none */
	const unsigned char *data; /* the image bytes */
	size_t len;               /* bytes in data; must be > 0 */
};

/* An extra header field, written as given after the standard ones. */
struct email_header {
	const char *name;  /* field name, "List-Unsubscribe"; not one render_email writes itself */
	const char *value; /* printable ASCII (spaces and tabs allowed), at most 900 bytes */
};

/* One message to render. Strings are NUL-terminated; names and text UTF-8. */
struct email_msg {
	const char *from_name;     /* sender display name, NULL or "" for none */
	const char *from_addr;     /* sender address (addr-spec, ASCII), required */
	const char *to_name;       /* recipient display name, NULL or "" for none */
	const char *to_addr;       /* recipient address, required */
	const char *reply_to_addr; /* Reply-To address, NULL for none */
	const char *subject;       /* the subject, UTF-8, required (may be "") */
	const char *text;          /* the text/plain part, '\n' line ends, required */
	const char *html;          /* the text/html part, NULL for a text-only mail */
	const struct email_image *images; /* inline images (need html) */
	size_t n_images;           /* number of images */
	const struct email_header *headers; /* extra header fields */
	size_t n_headers;          /* number of extra header fields */
	instant_t date;            /* the Date: field, written in UTC (+0000) */
	const char *message_id;    /* without <>, "a1b2@dunwell.example", required */
	const char *lang;          /* Content-Language ("nl", "nl-BE"), NULL for none */
};

/* Largest extra header value accepted (keeps every line under 998). */
#define EMAIL_HEADER_VALUE_MAX 900

/*
 * Render `m` as a MIME message of at most `max` bytes.
 *
 * Structure: text only gives one text/plain part; text and HTML give
 * multipart/alternative [text/plain, text/html]; with images,
 * multipart/alternative [text/plain, multipart/related [text/html,
 * image...]]. On success *ret_out is set to a fresh buffer holding the
 * message (the caller buf_free()s it); on failure it is untouched and `e`
 * names the field at fault: -ERR_INVALID for bad input, -ERR_TOOBIG when
 * the message would exceed `max`.
 */
int email_render(const struct email_msg *m, size_t max, struct buf *ret_out,
		 struct err *e);

#endif
