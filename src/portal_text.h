/*
 * portal_text: the words of the customer's page in each language.
 *
 * Every sentence the portal shows lives in a catalog per language,
 * templates/portal/<lang>.txt (compiled in), one "key = text" line each;
 * a plain-language catalog <lang>.plain.txt may override any key with
 * shorter sentences and everyday words. Text may hold {name} placeholders
 * that the page fills in; catalog text and values are both HTML-escaped on
 * output, so a translation can never inject markup.
 *
 * The catalogs are loaded and checked once (portal_text_load): every
 * language must have exactly the keys of English, and every line must be
 * well formed; a problem is an error naming file:line, so a broken
 * translation stops `dunwell serve` at start-up instead of showing a
 * customer a missing sentence.
 */
#ifndef DUNWELL_PORTAL_TEXT_H
#define DUNWELL_PORTAL_TEXT_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define PORTAL_LANGS 4          /* en, nl, de, fr */
#define PORTAL_KEYS_MAX 512     /* keys in one catalog */
#define PORTAL_KEY_MAX 48       /* bytes of a key */

/* The languages, in switcher order: "en", "nl", "de", "fr". */
extern const char *const portal_langs[PORTAL_LANGS];

/* Load and check every catalog (once per process; later calls return the
 * first result). */
int portal_text_load(struct err *e);

/* Check one catalog's source against the English keys (for tests and for
 * `dunwell template check`-style tools): file names the source in
 * messages. */
int portal_text_check(const char *file, const char *src, size_t len,
		      struct err *e);

/* The index of a language ("nl-BE" -> nl), or -1 when not supported. */
int portal_lang_index(const char *tag);

/* Pick the page's language: the switcher's choice (`query`), then the
 * customer's profile (`profile`), then the browser's Accept-Language
 * header (q-values honoured), then the tenant's default; English last.
 * Any argument may be NULL. Returns an index into portal_langs. */
int portal_lang_pick(const char *query, const char *profile,
		     const char *accept_language, const char *tenant);

/* The text of `key` in language `lang` (plain: the plain catalog first),
 * falling back to English; the key itself when no catalog has it (never
 * NULL). Placeholders are left as they are. */
const char *portal_text(int lang, int plain, const char *key);

/* Append the text of `key` to `out`, HTML-escaped, with each {name}
 * replaced by the escaped value of `name` in args (pairs: name, value,
 * ..., NULL). An unknown placeholder is kept as written. */
int portal_text_put(struct buf *out, int lang, int plain, const char *key,
		    const char *const *args);

/* Append s HTML-escaped (& < > " '). */
int portal_escape(struct buf *out, const char *s);

#endif
