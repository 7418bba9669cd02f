/*
 * test_portal_text: the portal's catalogs of sentences (src/portal_text.c)
 * and the catalogs themselves (templates/portal/<lang>.txt).
 *
 * The compiled-in catalogs must load; every translation must have the keys
 * of en.txt in the same order, each with exactly the {placeholders} of the
 * English line (a dropped {amount} would show a customer a sentence without
 * the amount); the plain-language overlays may only override English keys.
 * Then the checker's errors (missing, extra and duplicate keys, malformed
 * lines), the choice of language, HTML escaping and placeholder filling,
 * and the plain mode's fallback to the full catalog.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "check.h"
#include "embed.h"
#include "err.h"
#include "mem.h"
#include "portal_text.h"

#define PH_MAX 16   /* placeholders in one text */
#define PH_LEN 32   /* bytes of one "{name}" */

/* One catalog file, parsed here independently of src/portal_text.c. */
struct tcat {
	char *src;                          /* the file's copy, cut at '\n' */
	size_t n;                           /* entries */
	const char *key[PORTAL_KEYS_MAX];   /* in file order */
	const char *text[PORTAL_KEYS_MAX];  /* after "key = " */
	int line[PORTAL_KEYS_MAX];          /* 1-based line of each entry */
	int bad_lines;                      /* non-comment lines without " = " */
};

/* The embedded file templates/portal/<name>, or NULL. */
static const struct embedded_file *cat_file(const char *name)
{
	char path[96];
	snprintf(path, sizeof(path), "templates/portal/%s", name);
	return embed_find(path);
}

/* Parse "key = text" lines; 0, or -1 when the file is not embedded. */
static int tcat_load(const char *name, struct tcat *c)
{
	const struct embedded_file *f = cat_file(name);
	char *p, *end;
	int line = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -1;
	c->src = xstrndup(f->data, f->len);
	p = c->src;
	end = c->src + f->len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eq;
		if (!nl)
			nl = end;
		*nl = '\0';
		line++;
		if (*p != '\0' && *p != '#') {
			eq = strstr(p, " = ");
			if (!eq || c->n == PORTAL_KEYS_MAX) {
				c->bad_lines++;
			} else {
				*eq = '\0';
				c->key[c->n] = p;
				c->text[c->n] = eq + 3;
				c->line[c->n] = line;
				c->n++;
			}
		}
		p = nl + 1;
	}
	return 0;
}

static void tcat_free(struct tcat *c)
{
	free(c->src);
	c->src = NULL;
}

/* The text of key in c, or NULL. */
static const char *tcat_get(const struct tcat *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->key[i], key) == 0)
			return c->text[i];
	return NULL;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* The set of "{name}" in t, sorted, without repeats; the count, or -1
 * when there are too many or one is too long (never the case in a good
 * catalog). */
static int placeholders(const char *t, char out[PH_MAX][PH_LEN])
{
	int n = 0, w = 0;

	for (const char *o = strchr(t, '{'); o; o = strchr(o + 1, '{')) {
		const char *c = strchr(o, '}');
		size_t len;
		if (!c)
			break;
		len = (size_t)(c - o + 1);
		if (len >= PH_LEN || n == PH_MAX)
			return -1;
		memcpy(out[n], o, len);
		out[n][len] = '\0';
		n++;
	}
	qsort(out, (size_t)n, PH_LEN, str_cmp);
	for (int i = 0; i < n; i++)
		if (w == 0 || strcmp(out[w - 1], out[i]) != 0)
			memmove(out[w++], out[i], PH_LEN);
	return w;
}

/* Whether a and b hold exactly the same set of placeholders. */
static int same_placeholders(const char *a, const char *b)
{
	char pa[PH_MAX][PH_LEN], pb[PH_MAX][PH_LEN];
	int na = placeholders(a, pa), nb = placeholders(b, pb);

	if (na < 0 || na != nb)
		return 0;
	for (int i = 0; i < na; i++)
		if (strcmp(pa[i], pb[i]) != 0)
			return 0;
	return 1;
}

/* portal_text_put into a fresh string (caller frees); NULL on error. */
static char *put(int lang, int plain, const char *key,
		 const char *const *args)
{
	struct buf b;
	buf_init(&b, 64 * 1024);
	if (portal_text_put(&b, lang, plain, key, args) < 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* English with one line replaced (or dropped when repl is NULL), and
 * `append` added as new last lines; *ret_line is the line number of the
 * first appended line. */
static char *en_variant(const char *drop_prefix, const char *repl,
			const char *append, int *ret_line)
{
	const struct embedded_file *f = cat_file("en.txt");
	struct buf b;
	const char *p, *end;
	int lines = 0;

	buf_init(&b, 1024 * 1024);
	if (!f)
		return buf_detach(&b);
	p = f->data;
	end = f->data + f->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (drop_prefix && n >= strlen(drop_prefix) &&
		    memcmp(p, drop_prefix, strlen(drop_prefix)) == 0) {
			if (repl)
				buf_puts(&b, repl);
		} else {
			buf_append(&b, p, n);
		}
		buf_putc(&b, '\n');
		lines++;
		p += n + 1;
	}
	if (ret_line)
		*ret_line = lines + 1;
	if (append)
		buf_puts(&b, append);
	return buf_detach(&b);
}

/* Whether msg contains "<file>:<line>:". */
static int names_line(const char *msg, const char *file, int line)
{
	char want[128];
	snprintf(want, sizeof(want), "%s:%d:", file, line);
	return strstr(msg, want) != NULL;
}

TEST(catalogs_load)
{
	struct err e;

	err_clear(&e);
	CHECK_INT(portal_text_load(&e), 0);
	CHECK_STR(e.msg, "");
	if (e.msg[0])
		printf("  load: %s\n", e.msg);
	/* A second call returns the first result. */
	CHECK_INT(portal_text_load(NULL), 0);
}

TEST(translations_have_english_keys_in_order)
{
	struct tcat en, t;

	CHECK_INT(tcat_load("en.txt", &en), 0);
	CHECK(en.n > 100);
	CHECK_INT(en.bad_lines, 0);
	for (int l = 1; l < PORTAL_LANGS; l++) {
		char name[32];
		size_t same = 0;
		snprintf(name, sizeof(name), "%s.txt", portal_langs[l]);
		CHECK_INT(tcat_load(name, &t), 0);
		CHECK_INT(t.bad_lines, 0);
		CHECK_INT(t.n, en.n);
		for (size_t i = 0, off = 0; i < en.n && i < t.n; i++) {
			/* Report the first key out of place, not the
			 * cascade after it. */
			if (!off && strcmp(t.key[i], en.key[i]) != 0) {
				printf("  %s:%d: %s, want %s (en.txt:%d)\n",
				       name, t.line[i], t.key[i], en.key[i],
				       en.line[i]);
				check_failed_here++;
				off = 1;
			}
			if (strcmp(t.text[i], en.text[i]) == 0)
				same++;
		}
		/* Translated, not copied: only names such as "iDEAL",
		 * "BIC" and "{date}: {amount}" may read as in English. */
		if (same > 12)
			printf("  %s: %zu lines identical to English\n", name,
			       same);
		CHECK(same <= 12);
		tcat_free(&t);
	}
	tcat_free(&en);
}

TEST(translations_keep_placeholders)
{
	struct tcat en, t;

	CHECK_INT(tcat_load("en.txt", &en), 0);
	for (int l = 0; l < PORTAL_LANGS; l++) {
		char name[32];
		snprintf(name, sizeof(name), "%s.txt", portal_langs[l]);
		CHECK_INT(tcat_load(name, &t), 0);
		for (size_t i = 0; i < en.n; i++) {
			const char *want = en.text[i];
			const char *file = tcat_get(&t, en.key[i]);
			const char *got = portal_text(l, 0, en.key[i]);
			/* The file's line and the loaded text agree... */
			CHECK(file != NULL);
			if (file)
				CHECK_STR(got, file);
			/* ...and hold exactly English's placeholders. */
			if (!file || !same_placeholders(file, want)) {
				printf("  %s: %s = \"%s\": placeholders "
				       "differ from \"%s\"\n",
				       name, en.key[i], file ? file : "(none)",
				       want);
				check_failed_here++;
			}
		}
		tcat_free(&t);
	}
	tcat_free(&en);
}

TEST(plain_catalogs_override_english_keys)
{
	struct tcat en, p;
	int plains = 0;

	CHECK_INT(tcat_load("en.txt", &en), 0);
	for (int l = 0; l < PORTAL_LANGS; l++) {
		char name[32];
		snprintf(name, sizeof(name), "%s.plain.txt", portal_langs[l]);
		if (tcat_load(name, &p) < 0)
			continue;
		plains++;
		CHECK_INT(p.bad_lines, 0);
		for (size_t i = 0; i < p.n; i++) {
			const char *want = tcat_get(&en, p.key[i]);
			if (!want) {
				printf("  %s:%d: %s is not in en.txt\n", name,
				       p.line[i], p.key[i]);
				check_failed_here++;
				continue;
			}
			if (!same_placeholders(p.text[i], want)) {
				printf("  %s:%d: %s: placeholders differ\n",
				       name, p.line[i], p.key[i]);
				check_failed_here++;
			}
		}
		tcat_free(&p);
	}
	CHECK(plains >= 1);
	/* English's plain catalog is a real one: 20 or more sentences,
	 * each short (a reading age of about 9). */
	CHECK_INT(tcat_load("en.plain.txt", &p), 0);
	CHECK(p.n >= 20);
	for (size_t i = 0; i < p.n; i++) {
		int words = 0, in_word = 0;
		for (const char *s = p.text[i];; s++) {
			if (*s == ' ' || *s == '\0' || *s == '.' ||
			    *s == '?' || *s == '!') {
				if (in_word)
					words++;
				in_word = 0;
				if (*s != ' ' && *s != '\0') {
					if (words > 15) {
						printf("  en.plain.txt:%d: a "
						       "sentence of %d words\n",
						       p.line[i], words);
						check_failed_here++;
					}
					words = 0;
				}
			} else {
				in_word = 1;
			}
			if (!*s)
				break;
		}
	}
	tcat_free(&p);
	tcat_free(&en);
}

TEST(language_names)
{
	CHECK_STR(portal_text(0, 0, "lang.name"), "English");
	CHECK_STR(portal_text(1, 0, "lang.name"), "Nederlands");
	CHECK_STR(portal_text(2, 0, "lang.name"), "Deutsch");
	CHECK_STR(portal_text(3, 0, "lang.name"), "Fran\xc3\xa7" "ais");
	CHECK_STR(portal_langs[0], "en");
	CHECK_STR(portal_langs[1], "nl");
	CHECK_STR(portal_langs[2], "de");
	CHECK_STR(portal_langs[3], "fr");
}

TEST(check_accepts_good_catalogs)
{
	struct err e;
	const struct embedded_file *f;

	for (int l = 0; l < PORTAL_LANGS; l++) {
		char name[32], path[64];
		snprintf(name, sizeof(name), "%s.txt", portal_langs[l]);
		snprintf(path, sizeof(path), "templates/portal/%s", name);
		f = cat_file(name);
		CHECK(f != NULL);
		err_clear(&e);
		if (f)
			CHECK_INT(portal_text_check(path, f->data, f->len, &e),
				  0);
		CHECK_STR(e.msg, "");
	}
	f = cat_file("en.plain.txt");
	CHECK(f != NULL);
	if (f)
		CHECK_INT(portal_text_check("templates/portal/en.plain.txt",
					    f->data, f->len, &e),
			  0);
	/* A plain catalog may leave out any key... */
	{
		const char *s = "# comment\n\ncase.title = Hi\r\n";
		CHECK_INT(portal_text_check("xx.plain.txt", s, strlen(s), &e),
			  0);
	}
}

TEST(check_rejects_missing_key)
{
	struct err e;
	char *s = en_variant("case.fees =", NULL, NULL, NULL);

	err_clear(&e);
	CHECK_INT(portal_text_check("xx.txt", s, strlen(s), &e),
		  -ERR_NOTFOUND);
	CHECK(strstr(e.msg, "xx.txt") != NULL);
	CHECK(strstr(e.msg, "case.fees") != NULL);
	free(s);
	/* (An empty or comment-only catalog is not tried here: parse() in
	 * src/portal_text.c passes qsort a NULL array then, which UBSan
	 * stops on; reported to the lead.) */
}

TEST(check_rejects_extra_key)
{
	struct err e;
	int line = 0;
	char *s = en_variant(NULL, NULL, "case.bogus = Extra\n", &line);

	err_clear(&e);
	CHECK_INT(portal_text_check("xx.txt", s, strlen(s), &e),
		  -ERR_INVALID);
	CHECK(names_line(e.msg, "xx.txt", line));
	CHECK(strstr(e.msg, "case.bogus") != NULL);
	free(s);

	/* Plain catalogs too may only use English keys. */
	{
		const char *p = "case.title = Hi\nnope.key = There\n";
		err_clear(&e);
		CHECK_INT(portal_text_check("xx.plain.txt", p, strlen(p), &e),
			  -ERR_INVALID);
		CHECK(names_line(e.msg, "xx.plain.txt", 2));
		CHECK(strstr(e.msg, "nope.key") != NULL);
	}
}

TEST(check_rejects_duplicate_key)
{
	struct err e;
	int line = 0;
	char *s = en_variant(NULL, NULL, "case.title = Again\n", &line);

	err_clear(&e);
	CHECK_INT(portal_text_check("xx.txt", s, strlen(s), &e),
		  -ERR_CONFLICT);
	CHECK(names_line(e.msg, "xx.txt", line));
	CHECK(strstr(e.msg, "case.title") != NULL);
	free(s);
}

TEST(check_rejects_malformed_lines)
{
	struct err e;
	int line = 0;
	char *s;

	/* No '=' at all: the line is named. */
	s = en_variant(NULL, NULL, "this line has no equals sign\n", &line);
	err_clear(&e);
	CHECK_INT(portal_text_check("xx.txt", s, strlen(s), &e),
		  -ERR_INVALID);
	CHECK(names_line(e.msg, "xx.txt", line));
	free(s);

	/* A key with capitals or spaces. */
	s = en_variant("case.title =", "Case.Title = Your account", NULL,
		       NULL);
	err_clear(&e);
	CHECK_INT(portal_text_check("xx.txt", s, strlen(s), &e),
		  -ERR_INVALID);
	CHECK(strstr(e.msg, "bad key") != NULL);
	CHECK(strstr(e.msg, "Case.Title") != NULL);
	free(s);

	/* A key with no text. */
	{
		const char *p = "case.title = Hi\ncase.pay =   \n";
		err_clear(&e);
		CHECK_INT(portal_text_check("xx.plain.txt", p, strlen(p), &e),
			  -ERR_INVALID);
		CHECK(names_line(e.msg, "xx.plain.txt", 2));
		CHECK(strstr(e.msg, "case.pay") != NULL);
	}
	/* An empty key. */
	{
		const char *p = " = text\n";
		err_clear(&e);
		CHECK_INT(portal_text_check("xx.plain.txt", p, strlen(p), &e),
			  -ERR_INVALID);
		CHECK(names_line(e.msg, "xx.plain.txt", 1));
	}
}

TEST(lang_index)
{
	CHECK_INT(portal_lang_index("en"), 0);
	CHECK_INT(portal_lang_index("nl"), 1);
	CHECK_INT(portal_lang_index("nl-BE"), 1);
	CHECK_INT(portal_lang_index("NL_be"), 1);
	CHECK_INT(portal_lang_index("de-AT"), 2);
	CHECK_INT(portal_lang_index("fr-CH"), 3);
	CHECK_INT(portal_lang_index("nld"), -1);
	CHECK_INT(portal_lang_index("n"), -1);
	CHECK_INT(portal_lang_index("es"), -1);
	CHECK_INT(portal_lang_index(""), -1);
	CHECK_INT(portal_lang_index(NULL), -1);
}

TEST(lang_pick_order)
{
	/* The switcher beats the profile, which beats the browser. */
	CHECK_INT(portal_lang_pick("de", "nl", "fr", "en"), 2);
	CHECK_INT(portal_lang_pick(NULL, "nl", "fr", "en"), 1);
	CHECK_INT(portal_lang_pick(NULL, NULL, "fr", "nl"), 3);
	CHECK_INT(portal_lang_pick("xx", "fr-BE", "de", NULL), 3);
	CHECK_INT(portal_lang_pick("", "", "nl-NL", NULL), 1);
	/* Accept-Language with q-values. */
	CHECK_INT(portal_lang_pick(NULL, NULL, "fr-CH, de;q=0.9, en;q=0.8",
				   NULL),
		  3);
	CHECK_INT(portal_lang_pick(NULL, NULL, "xx, de;q=0.5", NULL), 2);
	CHECK_INT(portal_lang_pick(NULL, NULL, "en;q=0.3, nl;q=0.7", NULL),
		  1);
	CHECK_INT(portal_lang_pick(NULL, NULL, "es, fr;q=0, nl;q=0.1", NULL),
		  1);
	/* q=0 means "not this one": the tenant's default decides. */
	CHECK_INT(portal_lang_pick(NULL, NULL, "fr;q=0", "de"), 2);
	CHECK_INT(portal_lang_pick(NULL, NULL, "fr;q=0.0, es", "nl"), 1);
	/* Unknown everywhere: the tenant's default, then English. */
	CHECK_INT(portal_lang_pick("xx", "yy", "zz, es;q=0.5", "de"), 2);
	CHECK_INT(portal_lang_pick("xx", "yy", "zz", "qq"), 0);
	CHECK_INT(portal_lang_pick(NULL, NULL, NULL, NULL), 0);
	CHECK_INT(portal_lang_pick(NULL, NULL, "", NULL), 0);
}

TEST(text_lookup_fallbacks)
{
	/* An unknown key comes back as itself, never NULL. */
	CHECK_STR(portal_text(1, 0, "no.such.key"), "no.such.key");
	CHECK_STR(portal_text(0, 1, "no.such.key"), "no.such.key");
	/* A language out of range is English. */
	CHECK_STR(portal_text(-1, 0, "lang.name"), "English");
	CHECK_STR(portal_text(PORTAL_LANGS, 0, "lang.name"), "English");
}

TEST(escape)
{
	struct buf b;

	buf_init(&b, 1024);
	CHECK_INT(portal_escape(&b, "<a href=\"x\">'&'</a> ok"), 0);
	CHECK_STR(buf_cstr(&b),
		  "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt; ok");
	buf_reset(&b);
	CHECK_INT(portal_escape(&b, ""), 0);
	CHECK_STR(buf_cstr(&b), "");
	buf_free(&b);
}

TEST(put_fills_and_escapes)
{
	const char *hello = portal_text(0, 0, "case.hello");
	const char *at = strstr(hello, "{name}");
	const char *args[] = { "name", "<b>Ann</b> & \"Co\"", NULL };
	struct buf want;
	char *got;

	/* The value is escaped where {name} stood; the text around it too. */
	CHECK(at != NULL);
	buf_init(&want, 4096);
	if (at) {
		char pre[256];
		snprintf(pre, sizeof(pre), "%.*s", (int)(at - hello), hello);
		portal_escape(&want, pre);
		buf_puts(&want, "&lt;b&gt;Ann&lt;/b&gt; &amp; &quot;Co&quot;");
		portal_escape(&want, at + strlen("{name}"));
	}
	got = put(0, 0, "case.hello", args);
	CHECK_STR(got, buf_cstr(&want));
	CHECK(got && !strstr(got, "<b>"));
	free(got);
	buf_free(&want);

	/* Each language fills its own text. */
	{
		const char *a[] = { "name", "Zo\xc3\xab", NULL };
		for (int l = 0; l < PORTAL_LANGS; l++) {
			got = put(l, 0, "case.hello", a);
			CHECK(got && strstr(got, "Zo\xc3\xab") != NULL);
			CHECK(got && !strstr(got, "{name}"));
			free(got);
		}
	}

	/* Several placeholders; a value is not expanded again. */
	{
		const char *a[] = { "date", "1 May 2026", "amount",
				    "{company}", "company", "X", NULL };
		got = put(0, 0, "case.payment", a);
		CHECK(got && strstr(got, "1 May 2026") != NULL);
		CHECK(got && strstr(got, "{company}") != NULL);
		CHECK(got && !strchr(got, 'X'));
		free(got);
	}
}

TEST(put_keeps_unknown_placeholders)
{
	const char *a[] = { "date", "1 May 2026", "x", "unused", NULL };
	char *got = put(0, 0, "case.payment", a);

	CHECK(got && strstr(got, "1 May 2026") != NULL);
	CHECK(got && strstr(got, "{amount}") != NULL);
	CHECK(got && !strstr(got, "unused"));
	free(got);
	got = put(2, 0, "case.hello", NULL);
	CHECK(got && strstr(got, "{name}") != NULL);
	free(got);
	/* An unknown key is written (escaped) as itself. */
	got = put(0, 0, "no.<key>", NULL);
	CHECK_STR(got, "no.&lt;key&gt;");
	free(got);
}

TEST(put_escapes_every_catalog_text)
{
	struct tcat en;

	/* Whatever a translator typed (quotes, apostrophes, « »), the
	 * output holds no raw markup characters. */
	CHECK_INT(tcat_load("en.txt", &en), 0);
	for (int l = 0; l < PORTAL_LANGS; l++)
		for (int plain = 0; plain < 2; plain++)
			for (size_t i = 0; i < en.n; i++) {
				char *got = put(l, plain, en.key[i], NULL);
				CHECK(got != NULL);
				if (got && strpbrk(got, "<>\"'")) {
					printf("  %s %s: unescaped: %s\n",
					       portal_langs[l], en.key[i], got);
					check_failed_here++;
				}
				free(got);
			}
	/* The catalogs do contain such characters (so the above checks
	 * something): an English '"' and a French apostrophe. */
	{
		char *got = put(0, 0, "help.reason_error", NULL);
		CHECK(got && strstr(got, "&quot;") != NULL);
		free(got);
		got = put(3, 0, "case.nothing", NULL);
		CHECK(got && strstr(got, "&#39;") != NULL);
		free(got);
	}
	tcat_free(&en);
}

TEST(put_respects_the_bound)
{
	struct buf b;
	const char *a[] = { "name", "Ann", NULL };

	buf_init(&b, 4);
	CHECK_INT(portal_text_put(&b, 0, 0, "error.no_link", NULL),
		  -ERR_TOOBIG);
	CHECK(b.len <= 4);
	buf_free(&b);
	buf_init(&b, 4096);
	CHECK_INT(portal_text_put(&b, 0, 0, "case.hello", a), 0);
	CHECK(b.len > 3);
	buf_free(&b);
}

TEST(plain_falls_back_to_full)
{
	struct tcat en, p;
	int overridden = 0;

	CHECK_INT(tcat_load("en.txt", &en), 0);
	for (int l = 0; l < PORTAL_LANGS; l++) {
		char name[32];
		int have;
		snprintf(name, sizeof(name), "%s.plain.txt", portal_langs[l]);
		have = tcat_load(name, &p) == 0;
		for (size_t i = 0; i < en.n; i++) {
			const char *k = en.key[i];
			const char *pl = have ? tcat_get(&p, k) : NULL;
			const char *got = portal_text(l, 1, k);
			if (pl) {
				/* The plain text, different from the full. */
				CHECK_STR(got, pl);
				CHECK(strcmp(got, portal_text(l, 0, k)) != 0);
				overridden++;
			} else {
				/* The full text of the same language (never
				 * English's plain text in a Dutch page). */
				CHECK_STR(got, portal_text(l, 0, k));
			}
		}
		if (have)
			tcat_free(&p);
	}
	CHECK(overridden >= 20);
	/* And concretely: a key English's plain catalog lacks. */
	CHECK_STR(portal_text(0, 1, "case.title"),
		  portal_text(0, 0, "case.title"));
	tcat_free(&en);
}

int main(void)
{
	RUN(catalogs_load);
	RUN(translations_have_english_keys_in_order);
	RUN(translations_keep_placeholders);
	RUN(plain_catalogs_override_english_keys);
	RUN(language_names);
	RUN(check_accepts_good_catalogs);
	RUN(check_rejects_missing_key);
	RUN(check_rejects_extra_key);
	RUN(check_rejects_duplicate_key);
	RUN(check_rejects_malformed_lines);
	RUN(lang_index);
	RUN(lang_pick_order);
	RUN(text_lookup_fallbacks);
	RUN(escape);
	RUN(put_fills_and_escapes);
	RUN(put_keeps_unknown_placeholders);
	RUN(put_escapes_every_catalog_text);
	RUN(put_respects_the_bound);
	RUN(plain_falls_back_to_full);
	return CHECK_DONE();
}
