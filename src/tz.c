/*
 * tz: IANA time zones read from compiled TZif files (see tz.h).
 *
 * A zone is its list of transitions (from the 64-bit data block of TZif
 * version 2 and later, or the 32-bit block of version 1) plus the POSIX TZ
 * string of the file's footer ("CET-1CEST,M3.5.0,M10.5.0/3"), which gives
 * the offset after the last listed transition. The footer matters: "slim"
 * zoneinfo files stop listing transitions at the last rule change, and even
 * "fat" ones stop in 2037. Leap-second records (the "right/" zones) are
 * skipped: dunwell counts POSIX seconds.
 *
 * Names are checked before a file is opened, so a customer's time zone
 * field can never make us read outside the zoneinfo directory, and files
 * are read with a size bound. Nothing here uses the process-wide TZ
 * variable or localtime(). A loaded zone is read-only and may be shared
 * between threads; a tz_cache is not thread-safe (one per thread, or a
 * lock around tz_cache_get).
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

#define TZ_DIR "/usr/share/zoneinfo"
#define TZ_NAME_MAX 64           /* bytes in a zone name */
#define TZ_FILE_MAX (256 * 1024) /* bytes in a TZif file */
#define TZ_FOOTER_MAX 256        /* bytes in the POSIX TZ footer */
#define TZ_HEADER_LEN 44         /* bytes in a TZif header */
#define TZ_CACHE_MISSING_MAX 1024 /* unknown names a tz_cache remembers */
/* Offsets RFC 8536 allows: -24:59:59 .. +25:59:59. */
#define TZ_UTOFF_MIN (-89999)
#define TZ_UTOFF_MAX 93599
/* POSIX rules are evaluated for years 1..9999 only; instants beyond are
 * clamped to this range first, so no arithmetic can overflow. */
#define TZ_T_MIN (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define TZ_T_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */

struct tz_type {
	int32_t utoff; /* seconds east of UTC */
	uint8_t isdst; /* daylight saving time (informational) */
};

enum tz_rule_kind {
	TZ_RULE_JULIAN1, /* Jn: day 1..365, 29 February never counted */
	TZ_RULE_JULIAN0, /* n: day 0..365, 29 February counted */
	TZ_RULE_MWD,     /* Mm.w.d: day d of week w (5 = last) of month m */
};

/* When a POSIX TZ rule switches: a day of the year and a local time. */
struct tz_rule_date {
	enum tz_rule_kind kind; /* how `day`/`month`/... name the day */
	int day;                /* JULIAN1, JULIAN0: the day number */
	int month;              /* MWD: 1..12 */
	int week;               /* MWD: 1..5, 5 = the last */
	int wday;               /* MWD: 0 = Sunday .. 6 = Saturday */
	int32_t secs;           /* local time of the switch, -167h..167h */
};

/* A POSIX TZ string such as "CET-1CEST,M3.5.0,M10.5.0/3". */
struct tz_posix {
	int32_t std_off;           /* standard time, seconds east of UTC */
	int32_t dst_off;           /* daylight time, seconds east of UTC */
	int has_dst;               /* 0: std_off all year */
	struct tz_rule_date start; /* switch to daylight time, local std */
	struct tz_rule_date end;   /* switch back, in local daylight time */
};

struct tz {
	char *name;             /* the IANA name it was loaded by */
	int64_t *times;         /* transition instants, strictly ascending */
	uint8_t *idx;           /* per transition: index into types */
	size_t ntimes;          /* entries in times and idx */
	struct tz_type *types;  /* local time types; [0] before times[0] */
	size_t ntypes;          /* entries in types (>= 1) */
	int has_posix;          /* the footer gave a rule */
	struct tz_posix posix;  /* offsets after the last transition */
};

/* One name looked up through a tz_cache. */
struct tz_cache_entry {
	char *name;      /* the zone name asked for */
	struct tz *zone; /* the loaded zone; NULL: no such zone */
};

/* Zones by name, including names known not to exist (a run asks once per
 * customer, and a bad name in imported data must not cost a file open
 * each time). */
struct tz_cache {
	struct tz_cache_entry *entries; /* sorted by name */
	size_t n;                       /* entries used */
	size_t cap;                     /* entries allocated */
	size_t nmissing;                /* entries with zone == NULL */
};

/* ---- POSIX TZ strings -------------------------------------------------- */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A zone abbreviation: 3+ letters, or <...> of letters, digits, + and -. */
static const char *posix_name(const char *p)
{
	const char *start;

	if (*p == '<') {
		start = ++p;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
			p++;
		if (*p != '>' || p - start < 3)
			return NULL;
		return p + 1;
	}
	start = p;
	while (is_alpha(*p))
		p++;
	return p - start >= 3 ? p : NULL;
}

/* Up to `max` decimal digits (at least one); the value in *ret. */
static const char *posix_num(const char *p, int max_digits, int *ret)
{
	int v = 0, n = 0;

	while (is_digit(*p) && n < max_digits) {
		v = v * 10 + (*p++ - '0');
		n++;
	}
	if (n == 0 || is_digit(*p))
		return NULL;
	*ret = v;
	return p;
}

/* [+-]hh[:mm[:ss]] with hours up to max_hours; seconds in *ret, signed as
 * written (POSIX offsets are west-positive: the caller negates them). */
static const char *posix_hms(const char *p, int max_hours, int32_t *ret)
{
	int sign = 1, h, m = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	p = posix_num(p, 3, &h);
	if (!p || h > max_hours)
		return NULL;
	if (*p == ':') {
		p = posix_num(p + 1, 2, &m);
		if (!p || m > 59)
			return NULL;
		if (*p == ':') {
			p = posix_num(p + 1, 2, &s);
			if (!p || s > 59)
				return NULL;
		}
	}
	*ret = sign * (h * 3600 + m * 60 + s);
	return p;
}

/* A rule date: Jn, n or Mm.w.d, then an optional /time (default 02:00). */
static const char *posix_rule_date(const char *p, struct tz_rule_date *r)
{
	if (*p == 'J') {
		r->kind = TZ_RULE_JULIAN1;
		p = posix_num(p + 1, 3, &r->day);
		if (!p || r->day < 1 || r->day > 365)
			return NULL;
	} else if (*p == 'M') {
		r->kind = TZ_RULE_MWD;
		p = posix_num(p + 1, 2, &r->month);
		if (!p || r->month < 1 || r->month > 12 || *p != '.')
			return NULL;
		p = posix_num(p + 1, 1, &r->week);
		if (!p || r->week < 1 || r->week > 5 || *p != '.')
			return NULL;
		p = posix_num(p + 1, 1, &r->wday);
		if (!p || r->wday > 6)
			return NULL;
	} else {
		r->kind = TZ_RULE_JULIAN0;
		p = posix_num(p, 3, &r->day);
		if (!p || r->day > 365)
			return NULL;
	}
	r->secs = 7200;
	if (*p == '/') {
		/* RFC 8536 (version 3) allows -167..167 hours here. */
		p = posix_hms(p + 1, 167, &r->secs);
		if (!p)
			return NULL;
	}
	return p;
}

/* Parse a whole POSIX TZ string; -1 if it is malformed. */
static int posix_parse(const char *s, struct tz_posix *ret)
{
	struct tz_posix z = { 0 };
	const char *p = posix_name(s);
	int32_t off;

	if (!p)
		return -1;
	p = posix_hms(p, 24, &off);
	if (!p)
		return -1;
	z.std_off = -off;
	if (*p == '\0')
		goto done;
	p = posix_name(p);
	if (!p)
		return -1;
	z.has_dst = 1;
	z.dst_off = z.std_off + 3600;
	if (*p != ',' && *p != '\0') {
		p = posix_hms(p, 24, &off);
		if (!p)
			return -1;
		z.dst_off = -off;
	}
	if (*p == '\0') {
		/* No rule: the historical POSIX default (US rules since 2007). */
		z.start = (struct tz_rule_date){ TZ_RULE_MWD, 0, 3, 2, 0, 7200 };
		z.end = (struct tz_rule_date){ TZ_RULE_MWD, 0, 11, 1, 0, 7200 };
		goto done;
	}
	if (*p != ',')
		return -1;
	p = posix_rule_date(p + 1, &z.start);
	if (!p || *p != ',')
		return -1;
	p = posix_rule_date(p + 1, &z.end);
	if (!p || *p != '\0')
		return -1;
done:
	*ret = z;
	return 0;
}

/* The instant a rule date of `year` happens, given the offset in force
 * just before it. */
static int64_t rule_instant(const struct tz_rule_date *r, int year,
			    int32_t off_before)
{
	date_t jan1 = date_from_ymd(year, 1, 1), d;

	switch (r->kind) {
	case TZ_RULE_JULIAN1:
		d = jan1 + r->day - 1;
		if (r->day >= 60 && date_days_in_month(year, 2) == 29)
			d++;
		break;
	case TZ_RULE_JULIAN0:
		d = jan1 + r->day;
		break;
	default: {
		date_t first = date_from_ymd(year, r->month, 1);
		int iso = r->wday == 0 ? 7 : r->wday;

		d = first + (iso - date_weekday(first) + 7) % 7 +
		    7 * (r->week - 1);
		while (d >= first + date_days_in_month(year, r->month))
			d -= 7; /* week 5 means the last */
		break;
	}
	}
	return instant_from_date(d) + r->secs - off_before;
}

static int posix_offset(const struct tz_posix *z, instant_t t)
{
	int64_t start, end;
	int y, m, d;

	if (!z->has_dst)
		return z->std_off;
	if (t < TZ_T_MIN)
		t = TZ_T_MIN;
	if (t > TZ_T_MAX)
		t = TZ_T_MAX;
	date_to_ymd(instant_date(t + z->std_off), &y, &m, &d);
	start = rule_instant(&z->start, y, z->std_off);
	end = rule_instant(&z->end, y, z->dst_off);
	if (start < end) /* northern hemisphere: DST inside the year */
		return (t >= start && t < end) ? z->dst_off : z->std_off;
	/* southern: DST across New Year */
	return (t >= end && t < start) ? z->std_off : z->dst_off;
}

/* ---- TZif -------------------------------------------------------------- */

/* The counts of one TZif header. */
struct tzif_header {
	char version;      /* '\0', '2', '3' or '4' */
	uint32_t isutcnt;  /* UT/local indicators */
	uint32_t isstdcnt; /* standard/wall indicators */
	uint32_t leapcnt;  /* leap-second records */
	uint32_t timecnt;  /* transition times */
	uint32_t typecnt;  /* local time type records */
	uint32_t charcnt;  /* bytes of abbreviation strings */
};

static uint32_t get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int64_t get_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)get_be32(p) << 32 | get_be32(p + 4));
}

/* Parse a header at buf[off]; -1 if not TZif, -2 if corrupt. */
static int tzif_header(const unsigned char *buf, size_t len, size_t off,
		       struct tzif_header *h)
{
	const unsigned char *p = buf + off;

	if (len - off < TZ_HEADER_LEN || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = (char)p[4];
	h->isutcnt = get_be32(p + 20);
	h->isstdcnt = get_be32(p + 24);
	h->leapcnt = get_be32(p + 28);
	h->timecnt = get_be32(p + 32);
	h->typecnt = get_be32(p + 36);
	h->charcnt = get_be32(p + 40);
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt) ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt))
		return -2;
	return 0;
}

/* Bytes of the data block after a header, for times of `tsize` bytes. */
static size_t tzif_block_len(const struct tzif_header *h, size_t tsize)
{
	return (size_t)h->timecnt * tsize + h->timecnt + h->typecnt * 6u +
	       h->charcnt + (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	       h->isutcnt;
}

/* Fill z from a whole TZif file. Returns 0, -1 (not TZif) or -2 (corrupt)
 * with *ret_why saying what is wrong. */
static int tzif_parse(const unsigned char *buf, size_t len, struct tz *z,
		      const char **ret_why)
{
	struct tzif_header h;
	size_t off = 0, tsize = 4, blen;
	const unsigned char *p;
	int rc;

	rc = tzif_header(buf, len, 0, &h);
	if (rc < 0) {
		*ret_why = "bad header";
		return rc;
	}
	blen = tzif_block_len(&h, 4);
	if (blen > len - TZ_HEADER_LEN) {
		*ret_why = "truncated";
		return -2;
	}
	if (h.version >= '2') {
		/* Skip the 32-bit block: use the 64-bit one that follows. */
		off = TZ_HEADER_LEN + blen;
		if (tzif_header(buf, len, off, &h) < 0) {
			*ret_why = "bad second header";
			return -2;
		}
		tsize = 8;
		blen = tzif_block_len(&h, 8);
		if (blen > len - off - TZ_HEADER_LEN) {
			*ret_why = "truncated";
			return -2;
		}
	}
	p = buf + off + TZ_HEADER_LEN;

	z->ntimes = h.timecnt;
	z->ntypes = h.typecnt;
	z->times = xmalloc((z->ntimes ? z->ntimes : 1) * sizeof(z->times[0]));
	z->idx = xmalloc(z->ntimes ? z->ntimes : 1);
	z->types = xmalloc(z->ntypes * sizeof(z->types[0]));
	for (size_t i = 0; i < z->ntimes; i++) {
		z->times[i] = tsize == 8 ? get_be64(p + 8 * i) :
					   (int32_t)get_be32(p + 4 * i);
		if (i > 0 && z->times[i] <= z->times[i - 1]) {
			*ret_why = "transitions out of order";
			return -2;
		}
	}
	p += z->ntimes * tsize;
	for (size_t i = 0; i < z->ntimes; i++) {
		z->idx[i] = p[i];
		if (p[i] >= z->ntypes) {
			*ret_why = "bad local time type index";
			return -2;
		}
	}
	p += z->ntimes;
	for (size_t i = 0; i < z->ntypes; i++, p += 6) {
		int32_t utoff = (int32_t)get_be32(p);

		if (utoff < TZ_UTOFF_MIN || utoff > TZ_UTOFF_MAX || p[4] > 1 ||
		    p[5] >= h.charcnt) {
			*ret_why = "bad local time type";
			return -2;
		}
		z->types[i].utoff = utoff;
		z->types[i].isdst = p[4];
	}
	if (h.version < '2')
		return 0;

	/* The footer: "\n<POSIX TZ string>\n"; empty means no rule. */
	off += TZ_HEADER_LEN + blen;
	if (off >= len || buf[off] != '\n') {
		*ret_why = "missing footer";
		return -2;
	}
	off++;
	const unsigned char *nl = memchr(buf + off, '\n', len - off);
	size_t flen = nl ? (size_t)(nl - (buf + off)) : 0;
	char footer[TZ_FOOTER_MAX + 1];

	if (!nl || flen > TZ_FOOTER_MAX) {
		*ret_why = "bad footer";
		return -2;
	}
	memcpy(footer, buf + off, flen);
	footer[flen] = '\0';
	if (flen > 0) {
		if (memchr(footer, '\0', flen) ||
		    posix_parse(footer, &z->posix) < 0) {
			*ret_why = "bad TZ string in footer";
			return -2;
		}
		z->has_posix = 1;
	}
	return 0;
}

/* ---- zones ------------------------------------------------------------- */

/* An IANA name: 1..64 bytes of [A-Za-z0-9/_+-], no leading, trailing or
 * doubled '/', no "." or ".." (no '.' at all, in fact). */
static int name_ok(const char *name)
{
	size_t n = strnlen(name, TZ_NAME_MAX + 1);

	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/')
		return 0;
	if (strstr(name, "..") || strstr(name, "//"))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!is_alpha(c) && !is_digit(c) && c != '/' && c != '_' &&
		    c != '-' && c != '+')
			return 0;
	}
	return 1;
}

/* Copy a rejected name into a message: bounded, printable. */
static const char *quote_name(const char *name, char out[TZ_NAME_MAX + 4])
{
	size_t i;

	for (i = 0; i < TZ_NAME_MAX && name[i]; i++)
		out[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
	if (name[i]) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = '\0';
	return out;
}

void tz_free(struct tz *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->times);
	free(z->idx);
	free(z->types);
	free(z);
}

/* Read a whole regular file of at most TZ_FILE_MAX bytes. */
static int read_zone_file(const char *name, const char *path,
			  unsigned char **ret_buf, size_t *ret_len,
			  struct err *e)
{
	char ebuf[128];
	unsigned char *buf = NULL;
	struct stat st;
	size_t len = 0;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return err_set(e, ERR_NOTFOUND,
				       "unknown time zone '%s'", name);
		return err_set(e, ERR_IO, "time zone '%s': %s: %s", name, path,
			       strerror_r(errno, ebuf, sizeof(ebuf)));
	}
	if (fstat(fd, &st) < 0) {
		rc = err_set(e, ERR_IO, "time zone '%s': %s: %s", name, path,
			     strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out_close;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = err_set(e, ERR_NOTFOUND, "unknown time zone '%s'", name);
		goto out_close;
	}
	if (st.st_size > TZ_FILE_MAX) {
		rc = err_set(e, ERR_TOOBIG, "time zone '%s': %s is larger than "
			     "%d bytes", name, path, TZ_FILE_MAX);
		goto out_close;
	}
	/* One byte more than fstat said, to notice a file that grew. */
	buf = xmalloc((size_t)st.st_size + 1);
	while (len < (size_t)st.st_size + 1) {
		ssize_t n = read(fd, buf + len, (size_t)st.st_size + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(e, ERR_IO, "time zone '%s': %s: %s", name,
				     path, strerror_r(errno, ebuf,
						      sizeof(ebuf)));
			goto out_free;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > (size_t)st.st_size) {
		rc = err_set(e, ERR_IO, "time zone '%s': %s changed while "
			     "being read", name, path);
		goto out_free;
	}
	*ret_buf = buf;
	*ret_len = len;
	goto out_close;

out_free:
	free(buf);
out_close:
	close(fd);
	return rc;
}

/* The zone "UTC" when the system has no zoneinfo at all. */
static struct tz *utc_zone(const char *name)
{
	struct tz *z = xcalloc(1, sizeof(*z));

	z->name = xstrdup(name);
	z->times = xmalloc(sizeof(z->times[0]));
	z->idx = xmalloc(1);
	z->types = xcalloc(1, sizeof(z->types[0]));
	z->ntypes = 1;
	return z;
}

int tz_load(const char *name, struct tz **ret, struct err *e)
{
	char q[TZ_NAME_MAX + 4];
	char path[sizeof(TZ_DIR) + 1 + TZ_NAME_MAX + 1];
	unsigned char *buf = NULL;
	const char *why = "";
	struct tz *z;
	size_t len = 0;
	int rc;

	if (!name || !name_ok(name))
		return err_set(e, ERR_INVALID, "invalid time zone name '%s', "
			       "expected an IANA name such as "
			       "Europe/Amsterdam (letters, digits, '/', '_', "
			       "'-', '+'; at most %d bytes)",
			       name ? quote_name(name, q) : "", TZ_NAME_MAX);
	memcpy(path, TZ_DIR "/", sizeof(TZ_DIR));
	memcpy(path + sizeof(TZ_DIR), name, strlen(name) + 1);

	rc = read_zone_file(name, path, &buf, &len, e);
	if (rc == -ERR_NOTFOUND &&
	    (strcmp(name, "UTC") == 0 || strcmp(name, "Etc/UTC") == 0)) {
		*ret = utc_zone(name);
		return 0;
	}
	if (rc < 0)
		return rc;

	z = xcalloc(1, sizeof(*z));
	rc = tzif_parse(buf, len, z, &why);
	free(buf);
	if (rc == -1) {
		tz_free(z);
		return err_set(e, ERR_NOTFOUND, "unknown time zone '%s' (%s is "
			       "not a TZif file)", name, path);
	}
	if (rc < 0) {
		tz_free(z);
		return err_set(e, ERR_INVALID, "time zone '%s': %s is corrupt "
			       "(%s)", name, path, why);
	}
	z->name = xstrdup(name);
	*ret = z;
	return 0;
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

int tz_offset(const struct tz *z, instant_t t)
{
	size_t lo = 0, hi = z->ntimes;

	if (z->ntimes == 0)
		return z->has_posix ? posix_offset(&z->posix, t) :
				      z->types[0].utoff;
	if (t < z->times[0])
		return z->types[0].utoff;
	if (t >= z->times[z->ntimes - 1] && z->has_posix)
		return posix_offset(&z->posix, t);
	while (hi - lo > 1) { /* times[lo] <= t < times[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->types[z->idx[lo]].utoff;
}

date_t tz_local_date(const struct tz *z, instant_t t)
{
	int off = tz_offset(z, t);

	if ((off > 0 && t > INT64_MAX - off) ||
	    (off < 0 && t < INT64_MIN - off))
		return instant_date(t);
	return instant_date(t + off);
}

/* ---- cache ------------------------------------------------------------- */

struct tz_cache *tz_cache_new(void)
{
	return xcalloc(1, sizeof(struct tz_cache));
}

void tz_cache_free(struct tz_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->entries[i].name);
		tz_free(c->entries[i].zone);
	}
	free(c->entries);
	free(c);
}

int tz_cache_get(struct tz_cache *c, const char *name, const struct tz **ret,
		 struct err *e)
{
	size_t lo = 0, hi = c->n;
	struct tz *z = NULL;
	int rc;

	if (!name || !name_ok(name))
		return tz_load(name, &z, e); /* reports the invalid name */
	while (lo < hi) { /* first entry whose name is >= name */
		size_t mid = lo + (hi - lo) / 2;
		int cmp = strcmp(c->entries[mid].name, name);

		if (cmp == 0) {
			if (!c->entries[mid].zone)
				return err_set(e, ERR_NOTFOUND,
					       "unknown time zone '%s'", name);
			*ret = c->entries[mid].zone;
			return 0;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	rc = tz_load(name, &z, e);
	if (rc < 0 && (rc != -ERR_NOTFOUND ||
		       c->nmissing >= TZ_CACHE_MISSING_MAX))
		return rc;
	c->entries = xgrow(c->entries, &c->cap, c->n + 1,
			   sizeof(c->entries[0]));
	memmove(c->entries + lo + 1, c->entries + lo,
		(c->n - lo) * sizeof(c->entries[0]));
	c->entries[lo].name = xstrdup(name);
	c->entries[lo].zone = rc < 0 ? NULL : z;
	c->n++;
	if (rc < 0) {
		c->nmissing++;
		return rc;
	}
	*ret = z;
	return 0;
}
