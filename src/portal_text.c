/*
 * portal_text: the portal's catalogs of sentences per language (see
 * portal_text.h). A catalog is parsed once into a sorted array of
 * (key, text) pointing into the compiled-in file; lookups are binary
 * searches, so a page of a hundred sentences costs microseconds.
 */
#include "portal_text.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "embed.h"
#include "mem.h"

const char *const portal_langs[PORTAL_LANGS] = { "en", "nl", "de", "fr" };

/* One "key = text" line. */
struct entry {
	char key[PORTAL_KEY_MAX];
	const char *text;   /* into the catalog's own copy, NUL-terminated */
	int line;           /* where it stands, for messages */
};

/* One parsed catalog. */
struct catalog {
	char *src;          /* the file's text, lines cut at '\n' */
	struct entry *e;    /* sorted by key */
	size_t n;
};

static struct catalog cats[PORTAL_LANGS];   /* full catalogs */
static struct catalog plains[PORTAL_LANGS]; /* plain overlays (may be empty) */
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int load_result;
static struct err load_err;

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key,
		      ((const struct entry *)b)->key);
}

static const struct entry *find(const struct catalog *c, const char *key)
{
	struct entry k;
	if (!c->n || strlen(key) >= sizeof(k.key))
		return NULL;
	snprintf(k.key, sizeof(k.key), "%s", key);
	return bsearch(&k, c->e, c->n, sizeof(*c->e), entry_cmp);
}

static int key_ok(const char *s, size_t n)
{
	if (n == 0 || n >= PORTAL_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) ||
		      isdigit((unsigned char)s[i]) || s[i] == '_' ||
		      s[i] == '.'))
			return 0;
	return 1;
}

/* Parse `len` bytes of `src` into c (which owns a copy). */
static int parse(const char *file, const char *src, size_t len,
		 struct catalog *c, struct err *e)
{
	size_t cap = 0;
	char *p, *end;
	int line = 0;

	memset(c, 0, sizeof(*c));
	c->src = xmalloc(len + 1);
	memcpy(c->src, src, len);
	c->src[len] = '\0';
	p = c->src;
	end = c->src + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *eq, *k, *v, *kend;
		if (!nl)
			nl = end;
		*nl = '\0';
		line++;
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		k = p;
		p = nl + 1;
		while (*k == ' ' || *k == '\t')
			k++;
		if (*k == '\0' || *k == '#')
			continue;
		eq = strchr(k, '=');
		if (!eq)
			return err_set(e, ERR_INVALID,
				       "%s:%d: expected \"key = text\"", file,
				       line);
		kend = eq;
		while (kend > k && (kend[-1] == ' ' || kend[-1] == '\t'))
			kend--;
		if (!key_ok(k, (size_t)(kend - k)))
			return err_set(e, ERR_INVALID,
				       "%s:%d: bad key \"%.*s\" (a-z, 0-9, _ "
				       "and . only)", file, line,
				       (int)(kend - k > 60 ? 60 : kend - k), k);
		v = eq + 1;
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v == '\0')
			return err_set(e, ERR_INVALID, "%s:%d: no text for %.*s",
				       file, line, (int)(kend - k), k);
		if (c->n == PORTAL_KEYS_MAX)
			return err_set(e, ERR_TOOBIG,
				       "%s:%d: more than %d keys", file, line,
				       PORTAL_KEYS_MAX);
		c->e = xgrow(c->e, &cap, c->n + 1, sizeof(*c->e));
		memcpy(c->e[c->n].key, k, (size_t)(kend - k));
		c->e[c->n].key[kend - k] = '\0';
		c->e[c->n].text = v;
		c->e[c->n].line = line;
		c->n++;
	}
	if (c->n)
		qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
	for (size_t i = 1; i < c->n; i++)
		if (strcmp(c->e[i - 1].key, c->e[i].key) == 0)
			return err_set(e, ERR_CONFLICT,
				       "%s:%d: %s is already on line %d", file,
				       c->e[i].line > c->e[i - 1].line
					       ? c->e[i].line
					       : c->e[i - 1].line,
				       c->e[i].key,
				       c->e[i].line > c->e[i - 1].line
					       ? c->e[i - 1].line
					       : c->e[i].line);
	return 0;
}

static void catalog_free(struct catalog *c)
{
	free(c->src);
	free(c->e);
	memset(c, 0, sizeof(*c));
}

/* Every key of `c` is English's, and (unless `partial`) every English
 * key is in `c`. */
static int compare_keys(const char *file, const struct catalog *c,
			int partial, struct err *e)
{
	for (size_t i = 0; i < c->n; i++)
		if (!find(&cats[0], c->e[i].key))
			return err_set(e, ERR_INVALID,
				       "%s:%d: %s is not a key of en.txt",
				       file, c->e[i].line, c->e[i].key);
	if (partial)
		return 0;
	for (size_t i = 0; i < cats[0].n; i++)
		if (!find(c, cats[0].e[i].key))
			return err_set(e, ERR_NOTFOUND,
				       "%s: no text for %s (en.txt:%d)", file,
				       cats[0].e[i].key, cats[0].e[i].line);
	return 0;
}

static int load_one(const char *name, int required, struct catalog *c,
		    struct err *e)
{
	char path[96];
	const struct embedded_file *f;

	snprintf(path, sizeof(path), "templates/portal/%s", name);
	f = embed_find(path);
	if (!f) {
		memset(c, 0, sizeof(*c));
		return required ? err_set(e, ERR_NOTFOUND, "no catalog %s",
					  path)
				: 0;
	}
	return parse(path, f->data, f->len, c, e);
}

static void load_all(void)
{
	struct err *e = &load_err;
	char name[32];
	int r = 0;

	err_clear(e);
	for (int i = 0; i < PORTAL_LANGS && r == 0; i++) {
		snprintf(name, sizeof(name), "%s.txt", portal_langs[i]);
		r = load_one(name, 1, &cats[i], e);
		if (r == 0 && i > 0)
			r = compare_keys(name, &cats[i], 0, e);
		snprintf(name, sizeof(name), "%s.plain.txt", portal_langs[i]);
		if (r == 0)
			r = load_one(name, 0, &plains[i], e);
		if (r == 0)
			r = compare_keys(name, &plains[i], 1, e);
	}
	if (r < 0)
		for (int i = 0; i < PORTAL_LANGS; i++) {
			catalog_free(&cats[i]);
			catalog_free(&plains[i]);
		}
	load_result = r;
}

int portal_text_load(struct err *e)
{
	pthread_once(&load_once, load_all);
	if (load_result < 0 && e)
		*e = load_err;
	return load_result;
}

int portal_text_check(const char *file, const char *src, size_t len,
		      struct err *e)
{
	struct catalog c;
	const char *base = strrchr(file, '/');
	int r = portal_text_load(e);

	if (r < 0)
		return r;
	r = parse(file, src, len, &c, e);
	if (r == 0)
		r = compare_keys(file, &c,
				 strstr(base ? base : file, ".plain.") != NULL,
				 e);
	catalog_free(&c);
	return r;
}

int portal_lang_index(const char *tag)
{
	if (!tag)
		return -1;
	for (int i = 0; i < PORTAL_LANGS; i++)
		if (strncasecmp(tag, portal_langs[i], 2) == 0 &&
		    (tag[2] == '\0' || tag[2] == '-' || tag[2] == '_'))
			return i;
	return -1;
}

/* The best language of an Accept-Language header ("nl-BE,nl;q=0.9,
 * en;q=0.5"): the supported one with the highest q (first wins a tie). */
static int accept_pick(const char *h)
{
	int best = -1, best_q = 0;

	while (h && *h) {
		char tag[16];
		size_t n = strcspn(h, ",;");
		int q = 1000, lang;
		const char *item = h;

		while (*item == ' ')
			item++, n--;
		snprintf(tag, sizeof(tag), "%.*s", (int)(n < 15 ? n : 15),
			 item);
		h = item + n;
		if (*h == ';') {
			const char *qs = strstr(h, "q=");
			size_t end = strcspn(h, ",");
			if (qs && qs < h + end) {
				/* q=0.8 as thousandths; malformed counts 0 */
				double v = strtod(qs + 2, NULL);
				q = v >= 0 && v <= 1 ? (int)(v * 1000 + 0.5)
						     : 0;
			}
			h += end;
		}
		if (*h == ',')
			h++;
		lang = portal_lang_index(tag);
		if (lang >= 0 && q > best_q) {
			best = lang;
			best_q = q;
		}
	}
	return best;
}

int portal_lang_pick(const char *query, const char *profile,
		     const char *accept_language, const char *tenant)
{
	int i = portal_lang_index(query);
	if (i < 0)
		i = portal_lang_index(profile);
	if (i < 0)
		i = accept_pick(accept_language);
	if (i < 0)
		i = portal_lang_index(tenant);
	return i < 0 ? 0 : i;
}

const char *portal_text(int lang, int plain, const char *key)
{
	const struct entry *x = NULL;

	if (lang < 0 || lang >= PORTAL_LANGS)
		lang = 0;
	if (portal_text_load(NULL) < 0)
		return key;
	if (plain)
		x = find(&plains[lang], key);
	if (!x)
		x = find(&cats[lang], key);
	if (!x && plain)
		x = find(&plains[0], key);
	if (!x)
		x = find(&cats[0], key);
	return x ? x->text : key;
}

int portal_escape(struct buf *out, const char *s)
{
	const char *run = s;
	int r = 0;

	for (; s && *s && r == 0; s++) {
		const char *ent = NULL;
		switch (*s) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		r = buf_append(out, run, (size_t)(s - run));
		if (r == 0)
			r = buf_puts(out, ent);
		run = s + 1;
	}
	if (r == 0 && s)
		r = buf_puts(out, run);
	return r;
}

int portal_text_put(struct buf *out, int lang, int plain, const char *key,
		    const char *const *args)
{
	const char *t = portal_text(lang, plain, key);
	int r = 0;

	while (*t && r == 0) {
		const char *open = strchr(t, '{'), *close;
		char lit[512];
		size_t n;

		if (!open) {
			r = portal_escape(out, t);
			break;
		}
		n = (size_t)(open - t);
		while (n > 0 && r == 0) {
			size_t k = n < sizeof(lit) - 1 ? n : sizeof(lit) - 1;
			memcpy(lit, t, k);
			lit[k] = '\0';
			r = portal_escape(out, lit);
			t += k;
			n -= k;
		}
		close = strchr(open, '}');
		if (r < 0)
			break;
		if (!close) {
			r = portal_escape(out, open);
			break;
		}
		{
			const char *val = NULL;
			size_t klen = (size_t)(close - open - 1);
			for (size_t i = 0; args && args[i] && args[i + 1];
			     i += 2)
				if (strlen(args[i]) == klen &&
				    memcmp(args[i], open + 1, klen) == 0) {
					val = args[i + 1];
					break;
				}
			if (val) {
				r = portal_escape(out, val);
			} else {
				/* Unknown: keep "{name}" as written. */
				size_t k = (size_t)(close - open + 1);
				if (k >= sizeof(lit))
					k = sizeof(lit) - 1;
				memcpy(lit, open, k);
				lit[k] = '\0';
				r = portal_escape(out, lit);
			}
		}
		t = close + 1;
	}
	return r;
}
