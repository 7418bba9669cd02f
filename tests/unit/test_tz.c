/*
 * test_tz: time zones from the system's zoneinfo: offsets, DST switches,
 * the POSIX footer rule for far-future instants, local dates, rejected
 * names, and the TZif parser against truncated and damaged files.
 *
 * Includes tz.c itself to reach the POSIX-rule and TZif parsers.
 */
#include "tz.c"

#include <stdio.h>

#include "check.h"

static instant_t at(const char *s)
{
	struct err e;
	instant_t t = 0;

	if (instant_parse(s, &t, &e) < 0)
		printf("  bad instant in test: %s\n", e.msg);
	return t;
}

static struct tz *load(const char *name)
{
	struct tz *z = NULL;
	struct err e;

	err_clear(&e);
	if (tz_load(name, &z, &e) < 0)
		printf("  tz_load(%s): %s\n", name, e.msg);
	return z;
}

static void test_amsterdam(void)
{
	struct tz *z = load("Europe/Amsterdam");

	if (!z) {
		CHECK(z != NULL);
		return;
	}
	CHECK_STR(tz_name(z), "Europe/Amsterdam");
	CHECK_INT(tz_offset(z, at("2026-01-15T12:00:00Z")), 3600);
	CHECK_INT(tz_offset(z, at("2026-07-01T12:00:00Z")), 7200);
	/* The 2026 switches, to the second. */
	CHECK_INT(tz_offset(z, at("2026-03-29T00:59:59Z")), 3600);
	CHECK_INT(tz_offset(z, at("2026-03-29T01:00:00Z")), 7200);
	CHECK_INT(tz_offset(z, at("2026-10-25T00:59:59Z")), 7200);
	CHECK_INT(tz_offset(z, at("2026-10-25T01:00:00Z")), 3600);
	/* 23:30Z is already tomorrow in Amsterdam, winter and summer. */
	CHECK_INT(tz_local_date(z, at("2026-01-15T23:30:00Z")),
		  date_from_ymd(2026, 1, 16));
	CHECK_INT(tz_local_date(z, at("2026-07-15T22:30:00Z")),
		  date_from_ymd(2026, 7, 16));
	CHECK_INT(tz_local_date(z, at("2026-07-15T21:59:59Z")),
		  date_from_ymd(2026, 7, 15));
	/* Before the first transition: local time type 0 (RFC 8536). */
	CHECK_INT(tz_offset(z, z->times[0] - 1), z->types[0].utoff);
	tz_free(z);
}

/* After the file's last transition the footer's POSIX rule decides. */
static void test_far_future(void)
{
	struct tz *z = load("Europe/Amsterdam");
	instant_t t = at("2090-07-01T12:00:00Z");

	if (!z) {
		CHECK(z != NULL);
		return;
	}
	CHECK(z->has_posix);
	CHECK(z->ntimes == 0 || z->times[z->ntimes - 1] < t);
	CHECK_INT(tz_offset(z, t), 7200);
	CHECK_INT(tz_offset(z, at("2090-01-15T12:00:00Z")), 3600);
	CHECK_INT(tz_offset(z, at("2090-03-26T00:59:59Z")), 3600);
	CHECK_INT(tz_offset(z, at("2090-03-26T01:00:00Z")), 7200);
	CHECK_INT(tz_offset(z, at("2090-10-29T00:59:59Z")), 7200);
	CHECK_INT(tz_offset(z, at("2090-10-29T01:00:00Z")), 3600);
	CHECK_INT(tz_local_date(z, at("2090-12-31T23:30:00Z")),
		  date_from_ymd(2091, 1, 1));
	/* The ends of time do not overflow. */
	CHECK_INT(tz_offset(z, INT64_MAX), 3600);
	CHECK_INT(tz_offset(z, INT64_MIN), z->types[0].utoff);
	CHECK_INT(tz_local_date(z, INT64_MAX), INT32_MAX);
	tz_free(z);
}

static void test_new_york(void)
{
	struct tz *z = load("America/New_York");

	if (!z) {
		CHECK(z != NULL);
		return;
	}
	CHECK_INT(tz_offset(z, at("2026-01-15T12:00:00Z")), -18000);
	CHECK_INT(tz_offset(z, at("2026-07-01T12:00:00Z")), -14400);
	CHECK_INT(tz_offset(z, at("2026-03-08T06:59:59Z")), -18000);
	CHECK_INT(tz_offset(z, at("2026-03-08T07:00:00Z")), -14400);
	CHECK_INT(tz_offset(z, at("2026-11-01T05:59:59Z")), -14400);
	CHECK_INT(tz_offset(z, at("2026-11-01T06:00:00Z")), -18000);
	CHECK_INT(tz_offset(z, at("2090-07-01T12:00:00Z")), -14400);
	CHECK_INT(tz_offset(z, at("2090-12-01T12:00:00Z")), -18000);
	/* 03:00Z is still yesterday in New York. */
	CHECK_INT(tz_local_date(z, at("2026-01-16T03:00:00Z")),
		  date_from_ymd(2026, 1, 15));
	tz_free(z);
}

static void test_fixed_zones(void)
{
	struct tz *k = load("Asia/Kolkata"), *u = load("UTC");

	if (!k || !u) {
		CHECK(k && u);
		tz_free(k);
		tz_free(u);
		return;
	}
	CHECK_INT(tz_offset(k, at("2026-01-15T12:00:00Z")), 19800);
	CHECK_INT(tz_offset(k, at("2026-07-01T12:00:00Z")), 19800);
	CHECK_INT(tz_offset(k, at("2090-07-01T12:00:00Z")), 19800);
	CHECK_INT(tz_local_date(k, at("2026-01-15T18:29:59Z")),
		  date_from_ymd(2026, 1, 15));
	CHECK_INT(tz_local_date(k, at("2026-01-15T18:30:00Z")),
		  date_from_ymd(2026, 1, 16));
	CHECK_STR(tz_name(u), "UTC");
	CHECK_INT(tz_offset(u, at("2026-07-01T12:00:00Z")), 0);
	CHECK_INT(tz_offset(u, at("1900-01-01T00:00:00Z")), 0);
	CHECK_INT(tz_offset(u, at("2090-07-01T12:00:00Z")), 0);
	CHECK_INT(tz_local_date(u, at("2026-01-15T23:30:00Z")),
		  date_from_ymd(2026, 1, 15));
	tz_free(k);
	tz_free(u);

	struct tz *s = load("Australia/Sydney");
	if (s) {
		CHECK_INT(tz_offset(s, at("2026-01-15T12:00:00Z")), 39600);
		CHECK_INT(tz_offset(s, at("2026-07-01T12:00:00Z")), 36000);
		CHECK_INT(tz_offset(s, at("2090-01-15T12:00:00Z")), 39600);
		CHECK_INT(tz_offset(s, at("2090-07-01T12:00:00Z")), 36000);
	}
	CHECK(s != NULL);
	tz_free(s);
}

static void test_rejected_names(void)
{
	static const char *const invalid[] = {
		"../etc/passwd", "/etc/passwd", "", "Europe/../../etc/passwd",
		"Europe//Amsterdam", "Europe/Amsterdam/", "Europe/Amsterdam\n",
		"Europe/Amst.erdam", "Europe/Amsterdam ", "Europe\\Amsterdam",
		"..", "Europe/..", "zone.tab", "Europe/Am%73terdam",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct tz *z = NULL;
	struct err e;

	for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		err_clear(&e);
		CHECK_INT(tz_load(invalid[i], &z, &e), -ERR_INVALID);
		CHECK(z == NULL);
		CHECK(strstr(e.msg, "invalid time zone name '") == e.msg);
		CHECK(strstr(e.msg, "expected an IANA name") != NULL);
	}
	CHECK_INT(tz_load(NULL, &z, &e), -ERR_INVALID);
	CHECK_INT(tz_load("../etc/passwd", &z, &e), -ERR_INVALID);
	CHECK_STR(e.msg, "invalid time zone name '../etc/passwd', expected an "
		  "IANA name such as Europe/Amsterdam (letters, digits, '/', "
		  "'_', '-', '+'; at most 64 bytes)");
	CHECK_INT(tz_load("Europe/Amsterdam\n", &z, &e), -ERR_INVALID);
	CHECK(strstr(e.msg, "'Europe/Amsterdam?'") != NULL);

	CHECK_INT(tz_load("Mars/Olympus_Mons", &z, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "unknown time zone 'Mars/Olympus_Mons'");
	CHECK_INT(tz_load("Europe", &z, &e), -ERR_NOTFOUND); /* a directory */
	CHECK_STR(e.msg, "unknown time zone 'Europe'");
	CHECK_INT(tz_load("Europe/Amsterdam/x", &z, &e), -ERR_NOTFOUND);
	CHECK(z == NULL);
	/* A 64-byte name is allowed (and simply not found). */
	CHECK_INT(tz_load("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			  "aaaaaaaaa", &z, &e), -ERR_NOTFOUND);
}

static void test_cache(void)
{
	struct tz_cache *c = tz_cache_new();
	const struct tz *a = NULL, *b = NULL, *n = NULL, *u = NULL;
	struct err e;

	CHECK_INT(tz_cache_get(c, "Europe/Amsterdam", &a, &e), 0);
	CHECK_INT(tz_cache_get(c, "UTC", &u, &e), 0);
	CHECK_INT(tz_cache_get(c, "America/New_York", &n, &e), 0);
	CHECK_INT(tz_cache_get(c, "Europe/Amsterdam", &b, &e), 0);
	CHECK(a != NULL && a == b);
	CHECK_INT(c->n, 3);
	CHECK_STR(c->entries[0].name, "America/New_York");
	CHECK_STR(c->entries[1].name, "Europe/Amsterdam");
	CHECK_STR(c->entries[2].name, "UTC");
	CHECK_INT(tz_offset(n, at("2026-07-01T12:00:00Z")), -14400);

	/* Unknown names are remembered (same answer, no file opened);
	 * invalid ones are rejected before the cache is searched. */
	err_clear(&e);
	CHECK_INT(tz_cache_get(c, "Mars/Base", &b, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "unknown time zone 'Mars/Base'");
	err_clear(&e);
	CHECK_INT(tz_cache_get(c, "Mars/Base", &b, &e), -ERR_NOTFOUND);
	CHECK_STR(e.msg, "unknown time zone 'Mars/Base'");
	CHECK_INT(c->n, 4);
	CHECK_INT(c->nmissing, 1);
	CHECK_INT(tz_cache_get(c, "Mars/Base", &b, NULL), -ERR_NOTFOUND);
	CHECK_INT(tz_cache_get(c, "../etc/passwd", &b, &e), -ERR_INVALID);
	CHECK_INT(tz_cache_get(c, NULL, &b, &e), -ERR_INVALID);
	CHECK(b == a);
	CHECK_INT(c->n, 4);

	/* At most TZ_CACHE_MISSING_MAX unknown names are kept. */
	for (int i = 0; i < TZ_CACHE_MISSING_MAX + 10; i++) {
		char name[32];

		snprintf(name, sizeof(name), "Mars/Base_%d", i);
		CHECK_INT(tz_cache_get(c, name, &b, NULL), -ERR_NOTFOUND);
	}
	CHECK_INT(c->nmissing, TZ_CACHE_MISSING_MAX);
	CHECK_INT(tz_cache_get(c, "Asia/Kolkata", &b, &e), 0);
	CHECK_INT(tz_offset(b, 0), 19800);
	tz_cache_free(c);
	tz_cache_free(NULL);
	tz_free(NULL);
}

/* POSIX TZ strings, parsed and evaluated on their own. */
static void test_posix_rules(void)
{
	static const struct {
		const char *tz;
		const char *when;
		int off;
	} cases[] = {
		{ "UTC0", "2026-07-01T00:00:00Z", 0 },
		{ "<+0330>-3:30", "2026-07-01T00:00:00Z", 12600 },
		{ "<-03>3", "2026-07-01T00:00:00Z", -10800 },
		{ "EST5EDT,M3.2.0,M11.1.0", "2026-03-08T06:59:59Z", -18000 },
		{ "EST5EDT,M3.2.0,M11.1.0", "2026-03-08T07:00:00Z", -14400 },
		{ "EST5EDT,M3.2.0,M11.1.0", "2026-11-01T05:59:59Z", -14400 },
		{ "EST5EDT,M3.2.0,M11.1.0", "2026-11-01T06:00:00Z", -18000 },
		/* No rule: the POSIX default, the same dates. */
		{ "EST5EDT", "2026-03-08T07:00:00Z", -14400 },
		{ "EST5EDT", "2026-11-01T06:00:00Z", -18000 },
		{ "CET-1CEST,M3.5.0,M10.5.0/3", "2026-03-29T01:00:00Z", 7200 },
		/* Southern hemisphere: DST across New Year. */
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-01-01T00:00:00Z", 39600 },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-04T15:59:59Z", 39600 },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-04-04T16:00:00Z", 36000 },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-03T15:59:59Z", 36000 },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-10-03T16:00:00Z", 39600 },
		{ "AEST-10AEDT,M10.1.0,M4.1.0/3", "2026-12-31T23:00:00Z", 39600 },
		/* Negative DST (Ireland: winter is "daylight" time). */
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "2026-01-15T12:00:00Z", 0 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "2026-07-15T12:00:00Z", 3600 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "2026-03-29T00:59:59Z", 0 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "2026-03-29T01:00:00Z", 3600 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "2026-10-25T00:59:59Z", 3600 },
		{ "IST-1GMT0,M10.5.0,M3.5.0/1", "2026-10-25T01:00:00Z", 0 },
		/* Version 3: negative and > 24 h switch times. */
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-29T00:59:59Z",
		  -7200 },
		{ "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", "2026-03-29T01:00:00Z",
		  -3600 },
		{ "IST-2IDT,M3.4.4/26,M10.5.0", "2026-03-26T23:59:59Z", 7200 },
		{ "IST-2IDT,M3.4.4/26,M10.5.0", "2026-03-27T00:00:00Z", 10800 },
		/* DST all year. */
		{ "EST5EDT4,0/0,J365/25", "2026-01-01T05:00:00Z", -14400 },
		{ "EST5EDT4,0/0,J365/25", "2026-07-01T00:00:00Z", -14400 },
		{ "EST5EDT4,0/0,J365/25", "2026-12-31T23:00:00Z", -14400 },
		/* Jn never counts 29 February, n does: J60 is 1 March and
		 * 59 is 29 February in 2028. */
		{ "CET-1CEST,J60/2,J300/3", "2028-03-01T00:59:59Z", 3600 },
		{ "CET-1CEST,J60/2,J300/3", "2028-03-01T01:00:00Z", 7200 },
		{ "CET-1CEST,59/2,299/3", "2028-02-29T00:59:59Z", 3600 },
		{ "CET-1CEST,59/2,299/3", "2028-02-29T01:00:00Z", 7200 },
		{ "CET-1CEST,59/2,299/3", "2027-03-01T01:00:00Z", 7200 },
		{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-01-15T00:00:00Z",
		  39600 },
		{ "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", "2026-07-15T00:00:00Z",
		  37800 },
	};
	static const char *const bad[] = {
		"", "E5", "EST", "5", "EST5EDT,", "EST5EDT,M3.2.0",
		"EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
		"EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J100", "EST5EDT,J366,J1",
		"EST5EDT,366,1", "EST5EDT,M3.2.0,M11.1.0 ", "EST5EDT,M3.2.0/168,M11.1.0",
		"EST25", "EST5:60", "<AB>5", "<+0330-3:30", "EST5EDT,M3.2.0,M11.1.0,",
		"EST1234", "EST5EDT,M3.2.0x,M11.1.0",
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tz_posix p;
		int off;

		if (posix_parse(cases[i].tz, &p) < 0) {
			printf("  rejected '%s'\n", cases[i].tz);
			check_failed_here++;
			continue;
		}
		off = posix_offset(&p, at(cases[i].when));
		if (off != cases[i].off) {
			printf("  '%s' at %s: %d, want %d\n", cases[i].tz,
			       cases[i].when, off, cases[i].off);
			check_failed_here++;
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tz_posix p;

		if (posix_parse(bad[i], &p) == 0) {
			printf("  accepted '%s'\n", bad[i]);
			check_failed_here++;
		}
	}
}

/* For zones whose rules are stable, the footer rule must agree with every
 * transition the (fat) file lists from 2024 on, and in between. This checks
 * the POSIX evaluation against zic's own output. */
static void test_footer_matches_transitions(void)
{
	static const char *const zones[] = {
		"Europe/Amsterdam", "Europe/London",   "Europe/Dublin",
		"America/New_York", "America/Los_Angeles", "America/Havana",
		"America/Santiago", "America/Nuuk",    "Asia/Jerusalem",
		"Africa/Cairo",     "Australia/Sydney", "Australia/Lord_Howe",
		"Pacific/Auckland", "Pacific/Chatham", "Asia/Tokyo",
	};
	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++) {
		struct tz *z = load(zones[i]);
		instant_t from = at("2024-01-01T00:00:00Z"), to;
		int bad = 0;

		if (!z) {
			check_failed_here++;
			continue;
		}
		CHECK(z->has_posix);
		to = z->ntimes ? z->times[z->ntimes - 1] : from;
		for (size_t k = 0; k < z->ntimes && bad < 3; k++) {
			instant_t t = z->times[k];

			if (t < from)
				continue;
			int want_after = z->types[z->idx[k]].utoff;
			int want_before = k ? z->types[z->idx[k - 1]].utoff :
					      z->types[0].utoff;
			int got_after = posix_offset(&z->posix, t);
			int got_before = posix_offset(&z->posix, t - 1);
			if (got_after != want_after ||
			    got_before != want_before) {
				char s[INSTANT_FMT_MAX];
				instant_format(t, s);
				printf("  %s at %s: %d/%d, want %d/%d\n",
				       zones[i], s, got_before, got_after,
				       want_before, want_after);
				bad++;
			}
		}
		for (instant_t t = from; t < to && bad < 3; t += 3 * 3600 + 7) {
			if (posix_offset(&z->posix, t) != tz_offset(z, t)) {
				char s[INSTANT_FMT_MAX];
				instant_format(t, s);
				printf("  %s at %s differs\n", zones[i], s);
				bad++;
			}
		}
		check_failed_here += bad;
		tz_free(z);
	}
}

static int read_all(const char *path, unsigned char **ret, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = xmalloc(TZ_FILE_MAX);
	size_t n;

	if (!f) {
		free(buf);
		return -1;
	}
	n = fread(buf, 1, TZ_FILE_MAX, f);
	fclose(f);
	*ret = buf;
	*ret_len = n;
	return 0;
}

/* Every truncation and many single-byte changes of a real file are either
 * parsed or rejected, never read out of bounds (ASan watches). */
static void test_damaged_files(void)
{
	unsigned char *buf, *copy;
	size_t len;
	int parsed = 0, rejected = 0;
	uint32_t seed = 12345;

	if (read_all(TZ_DIR "/Europe/Amsterdam", &buf, &len) < 0) {
		CHECK(!"cannot read Europe/Amsterdam");
		return;
	}
	copy = xmalloc(len);
	for (size_t cut = 0; cut < len; cut++) {
		struct tz z = { 0 };
		const char *why = "";

		/* A buffer of exactly `cut` bytes, so ASan sees overreads. */
		unsigned char *exact = xmalloc(cut ? cut : 1);
		memcpy(exact, buf, cut);
		if (tzif_parse(exact, cut, &z, &why) == 0)
			parsed++;
		else
			rejected++;
		free(exact);
		free(z.times);
		free(z.idx);
		free(z.types);
	}
	CHECK_INT(parsed, 0);
	for (int i = 0; i < 20000; i++) {
		struct tz z = { 0 };
		const char *why = "";

		memcpy(copy, buf, len);
		for (int k = 0; k < 3; k++) {
			seed = seed * 1103515245u + 12345u;
			copy[(seed >> 8) % len] ^= (unsigned char)(seed >> 24 | 1);
		}
		if (tzif_parse(copy, len, &z, &why) == 0) {
			parsed++;
			(void)tz_offset(&z, at("2026-07-01T00:00:00Z"));
			(void)tz_offset(&z, at("2090-07-01T00:00:00Z"));
		} else {
			rejected++;
		}
		free(z.times);
		free(z.idx);
		free(z.types);
	}
	CHECK(rejected > 0);

	/* Version 1 only: the same file with its version byte cleared is
	 * read from its 32-bit block and still right for 2026. */
	{
		struct tz z = { 0 };
		const char *why = "";

		memcpy(copy, buf, len);
		copy[4] = '\0';
		CHECK_INT(tzif_parse(copy, len, &z, &why), 0);
		CHECK(!z.has_posix);
		CHECK_INT(tz_offset(&z, at("2026-07-01T00:00:00Z")), 7200);
		CHECK_INT(tz_offset(&z, at("2026-01-01T00:00:00Z")), 3600);
		free(z.times);
		free(z.idx);
		free(z.types);
	}
	/* Not TZif at all. */
	{
		struct tz z = { 0 };
		const char *why = "";

		CHECK_INT(tzif_parse((const unsigned char *)"# zone.tab\n", 11,
				     &z, &why), -1);
	}
	free(copy);
	free(buf);
}

int main(void)
{
	RUN(test_amsterdam);
	RUN(test_far_future);
	RUN(test_new_york);
	RUN(test_fixed_zones);
	RUN(test_rejected_names);
	RUN(test_cache);
	RUN(test_posix_rules);
	RUN(test_footer_matches_transitions);
	RUN(test_damaged_files);
	return CHECK_DONE();
}
