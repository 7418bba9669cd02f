/*
 * cal: public-holiday calendars and business-day arithmetic (see cal.h).
 *
 * A calendar is a list of rules parsed from a small line format, documented
 * in data/holidays/README.md. Rules are turned into dates one year at a
 * time (cal_gen_year). cal_parse does that once for 1970..2100 and keeps
 * the result as a bitmap of holiday days plus a sorted array of (date,
 * rule) for names, so the engine's millions of cal_is_business_day calls
 * are a bit test. Outside that range a year is computed on the fly (a few
 * microseconds), so every year still answers. After cal_parse a calendar
 * is never written again: it can be shared between threads freely.
 *
 * This module never reads files or the clock; built-in calendars come from
 * the data compiled into the binary (embed.h).
 */
#include "cal.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embed.h"
#include "mem.h"

#define CAL_TEXT_MAX (64 * 1024) /* bytes of calendar text */
#define CAL_LINE_MAX 512         /* bytes of one line, without newline */
#define CAL_RULES_MAX 64         /* rules in one calendar */
#define CAL_NAME_MAX 80          /* bytes of one holiday name */
#define CAL_SKIP_MAX 8           /* years in one skip= option */
#define CAL_EASTER_MIN (-80)     /* Easter offsets that stay in the year: */
#define CAL_EASTER_MAX 250       /* Easter is 22 March..25 April */
#define CAL_MOVE_MAX 6           /* |days| an if-sat=/if-sun= may move */
#define CAL_YEAR_MIN 1           /* rules apply to years 1..9999 only */
#define CAL_YEAR_MAX 9999
#define CAL_CACHE_FIRST 1970     /* years precomputed by cal_parse */
#define CAL_CACHE_LAST 2100
/* Dates generated for one year: every rule of the year and of both
 * neighbours (moves and substitutes cross New Year), each with a possible
 * substitute day. */
#define CAL_GEN_MAX (3 * 2 * CAL_RULES_MAX)
/* Consecutive non-business days cal_add_business_days scans before giving
 * up (only a calendar written to block every weekday can reach it). */
#define CAL_SCAN_MAX 3660
#define SUBST_SUFFIX " (substitute day)"

enum cal_kind {
	CAL_FIXED,   /* the same month and day every year */
	CAL_EASTER,  /* a number of days from Easter Sunday */
	CAL_WEEKDAY, /* the n-th (or last) weekday of a month */
	CAL_DATE,    /* one single date */
};

struct cal_rule {
	enum cal_kind kind; /* how the date of a year is found */
	int month;          /* FIXED, WEEKDAY: 1..12 */
	int day;            /* FIXED: 1..31 (02-29 only in leap years) */
	int offset;         /* EASTER: days after Easter Sunday (may be < 0) */
	int nth;            /* WEEKDAY: 1..4, or -1 for the last */
	int wday;           /* WEEKDAY: ISO weekday, 1 = Monday */
	date_t date;        /* DATE: the day */
	int since;          /* first year it applies, 0 = no bound */
	int until;          /* last year it applies, 0 = no bound */
	int every;          /* > 0: only in since, since + every, ... */
	int skip[CAL_SKIP_MAX]; /* years it does not apply */
	int nskip;          /* entries used in skip */
	int move_sat;       /* days the holiday moves when on a Saturday */
	int move_sun;       /* days the holiday moves when on a Sunday */
	int substitute;     /* weekend: also the next free weekday */
	char *name;         /* the holiday's name, as in the data file */
	char *subst_name;   /* "<name> (substitute day)" when substitute */
};

struct cal_day {
	date_t date;    /* the holiday */
	uint16_t rule;  /* index into cal->rules */
	uint16_t subst; /* 1: a substitute day for that rule's date */
};

struct cal {
	struct cal_rule *rules; /* in file order (the first wins a name tie) */
	size_t nrules;          /* entries in rules */
	date_t cache_first;     /* first day covered by bits/days */
	date_t cache_last;      /* last day covered by bits/days */
	unsigned char *bits;    /* bit (d - cache_first): d is a holiday */
	struct cal_day *days;   /* holidays in the cached range, by date */
	size_t ndays;           /* entries in days */
};

/* One year's holidays, sorted by date. */
struct cal_year {
	struct cal_day day[CAL_GEN_MAX]; /* the holidays */
	size_t n;                        /* entries used */
};

/* ---- turning rules into dates ---------------------------------------- */

static int year_of(date_t d)
{
	int y, m, dd;

	date_to_ymd(d, &y, &m, &dd);
	return y;
}

static int rule_applies(const struct cal_rule *r, int year)
{
	if (year < CAL_YEAR_MIN || year > CAL_YEAR_MAX)
		return 0;
	if (r->since && year < r->since)
		return 0;
	if (r->until && year > r->until)
		return 0;
	if (r->every && (year - r->since) % r->every != 0)
		return 0;
	for (int i = 0; i < r->nskip; i++)
		if (r->skip[i] == year)
			return 0;
	return 1;
}

/* The rule's date in `year` before any weekend move, or DATE_NONE. */
static date_t rule_date(const struct cal_rule *r, int year)
{
	date_t d;

	switch (r->kind) {
	case CAL_FIXED:
		if (r->day > date_days_in_month(year, r->month))
			return DATE_NONE; /* 02-29 outside leap years */
		return date_from_ymd(year, r->month, r->day);
	case CAL_EASTER:
		return date_easter(year) + r->offset;
	case CAL_WEEKDAY:
		if (r->nth > 0) {
			d = date_from_ymd(year, r->month, 1);
			d += (r->wday - date_weekday(d) + 7) % 7;
			return d + 7 * (r->nth - 1);
		}
		d = date_from_ymd(year, r->month,
				  date_days_in_month(year, r->month));
		return d - (date_weekday(d) - r->wday + 7) % 7;
	case CAL_DATE:
		return year_of(r->date) == year ? r->date : DATE_NONE;
	}
	return DATE_NONE;
}

static int gen_contains(const struct cal_day *v, size_t n, date_t d)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].date == d)
			return 1;
	return 0;
}

static int day_cmp(const void *a, const void *b)
{
	const struct cal_day *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (x->subst != y->subst)
		return x->subst < y->subst ? -1 : 1;
	return (int)x->rule - (int)y->rule;
}

/*
 * The holidays falling in `year`. Rules of the neighbouring years are
 * evaluated too, since a move or a substitute can cross New Year. First
 * every rule's own (possibly moved) date is placed; then, in date order,
 * each weekend date of a substitute= rule gets the next Monday-Friday that
 * is not already a holiday. So with Christmas on a Saturday and Boxing Day
 * on a Sunday they become Monday and Tuesday, and with Christmas on a
 * Sunday its substitute skips Boxing Day Monday to Tuesday.
 */
static void cal_gen_year(const struct cal *c, int year, struct cal_year *out)
{
	struct cal_day all[CAL_GEN_MAX];
	size_t n = 0, nplaced;

	for (int y = year - 1; y <= year + 1; y++) {
		for (size_t i = 0; i < c->nrules; i++) {
			const struct cal_rule *r = &c->rules[i];
			date_t d;
			int wd;

			if (!rule_applies(r, y))
				continue;
			d = rule_date(r, y);
			if (d == DATE_NONE)
				continue;
			wd = date_weekday(d);
			if (wd == 6)
				d += r->move_sat;
			else if (wd == 7)
				d += r->move_sun;
			all[n++] = (struct cal_day){ d, (uint16_t)i, 0 };
		}
	}
	qsort(all, n, sizeof(all[0]), day_cmp);

	nplaced = n;
	for (size_t i = 0; i < nplaced; i++) {
		const struct cal_rule *r = &c->rules[all[i].rule];
		date_t s;

		if (!r->substitute || date_weekday(all[i].date) < 6)
			continue;
		s = all[i].date + 1;
		while (date_weekday(s) >= 6 || gen_contains(all, n, s))
			s++;
		all[n++] = (struct cal_day){ s, all[i].rule, 1 };
	}

	out->n = 0;
	for (size_t i = 0; i < n; i++)
		if (year_of(all[i].date) == year)
			out->day[out->n++] = all[i];
	qsort(out->day, out->n, sizeof(out->day[0]), day_cmp);
}

/* Fill the per-day cache for CAL_CACHE_FIRST..CAL_CACHE_LAST. */
static void cal_fill_cache(struct cal *c)
{
	struct cal_year *y = xmalloc(sizeof(*y));
	size_t cap = 0, span;

	c->cache_first = date_from_ymd(CAL_CACHE_FIRST, 1, 1);
	c->cache_last = date_from_ymd(CAL_CACHE_LAST, 12, 31);
	span = (size_t)(c->cache_last - c->cache_first) + 1;
	c->bits = xcalloc((span + 7) / 8, 1);
	c->days = NULL;
	c->ndays = 0;
	for (int year = CAL_CACHE_FIRST; year <= CAL_CACHE_LAST; year++) {
		cal_gen_year(c, year, y);
		c->days = xgrow(c->days, &cap, c->ndays + y->n,
				sizeof(c->days[0]));
		for (size_t i = 0; i < y->n; i++) {
			size_t off = (size_t)(y->day[i].date - c->cache_first);

			c->bits[off / 8] |= (unsigned char)(1u << (off % 8));
			c->days[c->ndays++] = y->day[i];
		}
	}
	free(y);
}

static const char *day_name(const struct cal *c, const struct cal_day *h)
{
	const struct cal_rule *r = &c->rules[h->rule];

	return h->subst ? r->subst_name : r->name;
}

int cal_is_holiday(const struct cal *c, date_t d, const char **ret_name)
{
	if (!c)
		return 0;
	if (d >= c->cache_first && d <= c->cache_last) {
		size_t off = (size_t)(d - c->cache_first);
		size_t lo = 0, hi = c->ndays;

		if (!(c->bits[off / 8] & (1u << (off % 8))))
			return 0;
		if (!ret_name)
			return 1;
		while (lo < hi) { /* first entry with date >= d */
			size_t mid = lo + (hi - lo) / 2;

			if (c->days[mid].date < d)
				lo = mid + 1;
			else
				hi = mid;
		}
		*ret_name = day_name(c, &c->days[lo]);
		return 1;
	}

	struct cal_year y;
	cal_gen_year(c, year_of(d), &y);
	for (size_t i = 0; i < y.n; i++) {
		if (y.day[i].date == d) {
			if (ret_name)
				*ret_name = day_name(c, &y.day[i]);
			return 1;
		}
	}
	return 0;
}

int cal_is_business_day(const struct cal *c, date_t d)
{
	if (date_weekday(d) >= 6)
		return 0;
	return !cal_is_holiday(c, d, NULL);
}

/* Returns DATE_NONE if more than CAL_SCAN_MAX days in a row are not
 * business days, which no real calendar does. */
date_t cal_add_business_days(const struct cal *c, date_t d, int n)
{
	int step = n < 0 ? -1 : 1;
	long long left = n < 0 ? -(long long)n : n;
	int scanned = 0;

	if (n == 0) {
		while (!cal_is_business_day(c, d)) {
			if (++scanned > CAL_SCAN_MAX)
				return DATE_NONE;
			d++;
		}
		return d;
	}
	while (left > 0) {
		d += step;
		if (cal_is_business_day(c, d)) {
			left--;
			scanned = 0;
		} else if (++scanned > CAL_SCAN_MAX) {
			return DATE_NONE;
		}
	}
	return d;
}

/* ---- parsing ----------------------------------------------------------- */

/* Where the parser is, for error messages. */
struct cal_lexer {
	const char *name; /* calendar name used as the file in "name:line" */
	int line;         /* 1-based line number */
	struct err *e;    /* where errors go */
};

static int lex_err(const struct cal_lexer *lx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Set "name:line: <message>" and return -ERR_INVALID. */
static int lex_err(const struct cal_lexer *lx, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(lx->e, ERR_INVALID, "%s:%d: %s", lx->name, lx->line,
		       msg);
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* The next whitespace-separated token at *pp, NUL-terminated in place;
 * NULL at the end of the line. */
static char *next_token(char **pp)
{
	char *p = *pp, *tok;

	while (is_space(*p))
		p++;
	if (!*p) {
		*pp = p;
		return NULL;
	}
	tok = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	*pp = p;
	return tok;
}

/* The start of the next token without consuming it ("" at the end). */
static char *peek_token(char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* A decimal integer with optional sign (when `sign` is set): digits only,
 * in [min, max]. */
static int parse_int(const char *s, int sign, int min, int max, int *ret)
{
	const char *p = s;
	long long v = 0;
	int neg = 0;

	if (sign && (*p == '+' || *p == '-'))
		neg = *p++ == '-';
	if (!*p)
		return -1;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > 100000000)
			return -1;
	}
	if (neg)
		v = -v;
	if (v < min || v > max)
		return -1;
	*ret = (int)v;
	return 0;
}

/* "MM-DD", a day that exists in some year (02-29 allowed). */
static int parse_month_day(const struct cal_lexer *lx, const char *s,
			   struct cal_rule *r)
{
	int m, d;
	char mm[3], dd[3];

	if (strlen(s) != 5 || s[2] != '-')
		return lex_err(lx, "bad date '%s', expected MM-DD", s);
	memcpy(mm, s, 2);
	mm[2] = '\0';
	memcpy(dd, s + 3, 2);
	dd[2] = '\0';
	if (parse_int(mm, 0, 1, 12, &m))
		return lex_err(lx, "bad month in '%s', expected MM-DD with "
			       "MM 01..12", s);
	if (parse_int(dd, 0, 1, date_days_in_month(2000, m), &d))
		return lex_err(lx, "bad day in '%s', expected MM-DD with DD "
			       "01..%02d", s, date_days_in_month(2000, m));
	r->month = m;
	r->day = d;
	return 0;
}

static int parse_weekday_rule(const struct cal_lexer *lx, char **pp,
			      struct cal_rule *r)
{
	static const char *const nths[] = { "first", "second", "third",
					    "fourth" };
	static const char *const wdays[] = { "mon", "tue", "wed", "thu",
					     "fri", "sat", "sun" };
	char *nth = next_token(pp), *wd = next_token(pp), *mon = next_token(pp);

	if (!nth || !wd || !mon)
		return lex_err(lx, "incomplete weekday rule, expected "
			       "'weekday first|second|third|fourth|last "
			       "mon..sun MM'");
	r->nth = 0;
	for (int i = 0; i < 4; i++)
		if (strcmp(nth, nths[i]) == 0)
			r->nth = i + 1;
	if (strcmp(nth, "last") == 0)
		r->nth = -1;
	if (!r->nth)
		return lex_err(lx, "unknown position '%s', expected first, "
			       "second, third, fourth or last", nth);
	r->wday = 0;
	for (int i = 0; i < 7; i++)
		if (strcmp(wd, wdays[i]) == 0)
			r->wday = i + 1;
	if (!r->wday)
		return lex_err(lx, "unknown weekday '%s', expected mon, tue, "
			       "wed, thu, fri, sat or sun", wd);
	if (strlen(mon) != 2 || parse_int(mon, 0, 1, 12, &r->month))
		return lex_err(lx, "bad month '%s', expected MM (01..12)", mon);
	return 0;
}

/* The rule keyword and its arguments. */
static int parse_rule(const struct cal_lexer *lx, const char *kw, char **pp,
		      struct cal_rule *r)
{
	char *arg;

	if (strcmp(kw, "weekday") == 0) {
		r->kind = CAL_WEEKDAY;
		return parse_weekday_rule(lx, pp, r);
	}
	if (strcmp(kw, "fixed") != 0 && strcmp(kw, "easter") != 0 &&
	    strcmp(kw, "date") != 0)
		return lex_err(lx, "unknown rule '%s', expected fixed, easter, "
			       "weekday or date", kw);
	arg = next_token(pp);
	if (strcmp(kw, "fixed") == 0) {
		r->kind = CAL_FIXED;
		if (!arg)
			return lex_err(lx, "missing date, expected 'fixed MM-DD'");
		return parse_month_day(lx, arg, r);
	}
	if (strcmp(kw, "easter") == 0) {
		r->kind = CAL_EASTER;
		if (!arg || parse_int(arg, 1, CAL_EASTER_MIN, CAL_EASTER_MAX,
				      &r->offset))
			return lex_err(lx, "bad Easter offset '%s', expected "
				       "days from Easter Sunday, %d..+%d",
				       arg ? arg : "", CAL_EASTER_MIN,
				       CAL_EASTER_MAX);
		return 0;
	}
	r->kind = CAL_DATE;
	if (!arg)
		return lex_err(lx, "missing date, expected 'date YYYY-MM-DD'");
	if (date_parse(arg, &r->date, lx->e) < 0) {
		err_prefix(lx->e, "%s:%d: ", lx->name, lx->line);
		return -ERR_INVALID;
	}
	return 0;
}

/* One key=value option; `seen` is a bit set of keys already given. */
static int parse_option(const struct cal_lexer *lx, char *tok,
			struct cal_rule *r, unsigned *seen)
{
	static const char *const keys[] = { "since",  "until",  "every",
					    "skip",   "if-sat", "if-sun",
					    "substitute" };
	char *val = strchr(tok, '=');
	int k = -1;

	*val++ = '\0';
	for (int i = 0; i < (int)(sizeof(keys) / sizeof(keys[0])); i++)
		if (strcmp(tok, keys[i]) == 0)
			k = i;
	if (k < 0)
		return lex_err(lx, "unknown option '%s', expected since, until, "
			       "every, skip, if-sat, if-sun or substitute", tok);
	if (*seen & (1u << k))
		return lex_err(lx, "option '%s' given twice, expected it "
			       "once", tok);
	*seen |= 1u << k;

	switch (k) {
	case 0:
	case 1:
		if (parse_int(val, 0, CAL_YEAR_MIN, CAL_YEAR_MAX,
			      k == 0 ? &r->since : &r->until))
			return lex_err(lx, "bad year '%s' in %s=, expected "
				       "YYYY (1..9999)", val, tok);
		return 0;
	case 2:
		if (parse_int(val, 0, 1, 100, &r->every))
			return lex_err(lx, "bad interval '%s' in every=, "
				       "expected a number of years 1..100", val);
		return 0;
	case 3:
		for (char *p = val;;) {
			char *comma = strchr(p, ',');

			if (comma)
				*comma = '\0';
			if (r->nskip == CAL_SKIP_MAX)
				return lex_err(lx, "too many years in skip=, "
					       "expected at most %d",
					       CAL_SKIP_MAX);
			if (parse_int(p, 0, CAL_YEAR_MIN, CAL_YEAR_MAX,
				      &r->skip[r->nskip]))
				return lex_err(lx, "bad year '%s' in skip=, "
					       "expected YYYY[,YYYY...]", p);
			r->nskip++;
			if (!comma)
				break;
			p = comma + 1;
		}
		return 0;
	case 4:
	case 5:
		if (parse_int(val, 1, -CAL_MOVE_MAX, CAL_MOVE_MAX,
			      k == 4 ? &r->move_sat : &r->move_sun) ||
		    (k == 4 ? r->move_sat : r->move_sun) == 0)
			return lex_err(lx, "bad move '%s' in %s=, expected "
				       "days -%d..+%d, not 0", val, tok,
				       CAL_MOVE_MAX, CAL_MOVE_MAX);
		return 0;
	default:
		if (strcmp(val, "next-weekday") != 0)
			return lex_err(lx, "bad value '%s' in substitute=, "
				       "expected next-weekday", val);
		r->substitute = 1;
		return 0;
	}
}

/* A holiday name: 1..CAL_NAME_MAX bytes of printable UTF-8. */
static int check_name(const struct cal_lexer *lx, const char *s)
{
	size_t len = strlen(s);
	const unsigned char *p = (const unsigned char *)s;

	if (len == 0)
		return lex_err(lx, "missing holiday name, expected it after "
			       "the rule and its options");
	if (len > CAL_NAME_MAX)
		return lex_err(lx, "holiday name too long (%zu bytes), "
			       "expected at most %d", len, CAL_NAME_MAX);
	while (*p) {
		int more;

		if (*p < 0x20 || *p == 0x7f)
			return lex_err(lx, "control character in holiday "
				       "name, expected printable text");
		if (*p < 0x80)
			more = 0;
		else if ((*p & 0xe0) == 0xc0 && *p >= 0xc2)
			more = 1;
		else if ((*p & 0xf0) == 0xe0)
			more = 2;
		else if ((*p & 0xf8) == 0xf0 && *p <= 0xf4)
			more = 3;
		else
			goto bad_utf8;
		p++;
		for (; more > 0; more--, p++)
			if ((*p & 0xc0) != 0x80)
				goto bad_utf8;
	}
	return 0;

bad_utf8:
	return lex_err(lx, "holiday name is not valid UTF-8, expected UTF-8 "
		       "text");
}

/* One non-empty line (comment already removed) into *r. */
static int parse_line(const struct cal_lexer *lx, char *line,
		      struct cal_rule *r)
{
	unsigned seen = 0;
	char *p = line, *kw, *name;
	int rc;

	kw = next_token(&p);
	rc = parse_rule(lx, kw, &p, r);
	if (rc < 0)
		return rc;
	for (;;) {
		char *next = peek_token(p), *tok;
		size_t toklen = strcspn(next, " \t");

		if (!memchr(next, '=', toklen))
			break;
		tok = next_token(&p);
		rc = parse_option(lx, tok, r, &seen);
		if (rc < 0)
			return rc;
	}
	name = peek_token(p);
	rc = check_name(lx, name);
	if (rc < 0)
		return rc;

	if (r->every && !r->since)
		return lex_err(lx, "every=%d needs since=YEAR to count from, "
			       "expected both", r->every);
	if (r->since && r->until && r->since > r->until)
		return lex_err(lx, "since=%d is after until=%d, expected a "
			       "non-empty range of years", r->since, r->until);
	if (r->substitute && (r->move_sat || r->move_sun))
		return lex_err(lx, "substitute= cannot be combined with "
			       "if-sat=/if-sun=, expected one way to handle "
			       "weekends");

	r->name = xstrdup(name);
	if (r->substitute) {
		size_t n = strlen(name);

		r->subst_name = xmalloc(n + sizeof(SUBST_SUFFIX));
		memcpy(r->subst_name, name, n);
		memcpy(r->subst_name + n, SUBST_SUFFIX, sizeof(SUBST_SUFFIX));
	}
	return 0;
}

void cal_free(struct cal *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nrules; i++) {
		free(c->rules[i].name);
		free(c->rules[i].subst_name);
	}
	free(c->rules);
	free(c->bits);
	free(c->days);
	free(c);
}

int cal_parse(const char *name, const char *text, size_t len,
	      struct cal **ret, struct err *e)
{
	struct cal_lexer lx = { name ? name : "calendar", 0, e };
	struct cal *c;
	size_t pos = 0, cap = 0;
	int rc = 0;

	if (len > CAL_TEXT_MAX)
		return err_set(e, ERR_TOOBIG, "%s: calendar is %zu bytes, "
			       "expected at most %d", lx.name, len,
			       CAL_TEXT_MAX);
	if (len && memchr(text, '\0', len))
		return err_set(e, ERR_INVALID, "%s: NUL byte in calendar, "
			       "expected text", lx.name);

	c = xcalloc(1, sizeof(*c));
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char line[CAL_LINE_MAX + 1];
		char *hash, *start;
		size_t end;

		lx.line++;
		if (n > CAL_LINE_MAX) {
			rc = lex_err(&lx, "line is %zu bytes, expected at "
				     "most %d", n, CAL_LINE_MAX);
			goto out_free;
		}
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl ? 1 : 0);

		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		end = strlen(line);
		while (end > 0 && (is_space(line[end - 1]) ||
				   line[end - 1] == '\r'))
			line[--end] = '\0';
		start = peek_token(line);
		if (!*start)
			continue;

		if (c->nrules == CAL_RULES_MAX) {
			rc = lex_err(&lx, "too many rules, expected at most %d",
				     CAL_RULES_MAX);
			goto out_free;
		}
		c->rules = xgrow(c->rules, &cap, c->nrules + 1,
				 sizeof(c->rules[0]));
		memset(&c->rules[c->nrules], 0, sizeof(c->rules[0]));
		rc = parse_line(&lx, start, &c->rules[c->nrules]);
		if (rc < 0)
			goto out_free;
		c->nrules++;
	}
	cal_fill_cache(c);
	*ret = c;
	return 0;

out_free:
	cal_free(c);
	return rc;
}

/* ---- built-in calendars ------------------------------------------------ */

/* Must list exactly the data/holidays/XX.txt files (test_cal checks). */
static const char *const builtin_countries[] = { "BE", "DE", "FR", "GB",
						 "NL", NULL };

const char *const *cal_builtin_countries(void)
{
	return builtin_countries;
}

/* Whether s is two upper-case ASCII letters. */
static int is_country_code(const char *s)
{
	return s && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' &&
	       s[1] <= 'Z' && s[2] == '\0';
}

int cal_builtin(const char *country, struct cal **ret, struct err *e)
{
	static const char prefix[] = "data/holidays/";
	char path[sizeof(prefix) + sizeof("XX.txt") - 1];
	const struct embedded_file *f;

	if (!is_country_code(country)) {
		char q[16]; /* the bad value, shortened and made printable */
		size_t i;

		for (i = 0; country && i < 8 && country[i]; i++)
			q[i] = (country[i] > 0x20 && country[i] < 0x7f) ?
				       country[i] : '?';
		if (country && country[i]) {
			memcpy(q + i, "...", 3);
			i += 3;
		}
		q[i] = '\0';
		return err_set(e, ERR_INVALID, "invalid country code '%s', "
			       "expected two upper-case letters (ISO 3166-1 "
			       "alpha-2, e.g. NL)", q);
	}
	memcpy(path, prefix, sizeof(prefix) - 1);
	memcpy(path + sizeof(prefix) - 1, country, 2);
	memcpy(path + sizeof(prefix) + 1, ".txt", sizeof(".txt"));
	f = embed_find(path);
	if (!f) {
		char have[3 * (sizeof(builtin_countries) /
			       sizeof(builtin_countries[0]))];
		size_t n = 0;

		for (const char *const *p = builtin_countries; *p; p++) {
			if (n)
				have[n++] = ' ';
			memcpy(have + n, *p, 2);
			n += 2;
		}
		have[n] = '\0';
		return err_set(e, ERR_NOTFOUND, "no built-in holiday calendar "
			       "for country '%s', expected one of: %s",
			       country, have);
	}
	return cal_parse(path, f->data, f->len, ret, e);
}
