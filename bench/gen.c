/*
 * gen: deterministic test data for benchmarks and crash tests.
 *
 *   gen --customers N --invoices M [--seed S] [--as-of DATE] --out DIR
 *
 * Writes DIR/customers.csv and DIR/invoices.csv in the import format
 * (docs/import.md): N customers across five countries and two currencies,
 * M invoices spread over them with due dates from 60 days before to 10 days
 * after --as-of, so a run finds every stage of dunning. The same seed gives
 * the same files, byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

struct place {
	const char *country, *locale, *zone, *currency;
};

static const struct place places[] = {
	{ "NL", "nl", "Europe/Amsterdam", "EUR" },
	{ "DE", "de", "Europe/Berlin", "EUR" },
	{ "BE", "nl-BE", "Europe/Brussels", "EUR" },
	{ "FR", "fr", "Europe/Paris", "EUR" },
	{ "GB", "en-GB", "Europe/London", "GBP" },
};

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

static int parse_long(const char *opt, const char *v, long *ret)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (errno || *end || n < 0) {
		fprintf(stderr, "gen: %s: '%s' is not a count\n", opt, v);
		return -1;
	}
	*ret = n;
	return 0;
}

int main(int argc, char **argv)
{
	long customers = 1000, invoices = 3000, seed = 2026;
	const char *out = NULL, *as_of = "2026-11-27";
	char path[4096];
	date_t today;
	struct err e;
	uint64_t s;
	FILE *fc, *fi;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--customers")) {
			if (parse_long(argv[i], argv[i + 1], &customers) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--invoices")) {
			if (parse_long(argv[i], argv[i + 1], &invoices) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--seed")) {
			if (parse_long(argv[i], argv[i + 1], &seed) < 0)
				return 2;
		} else if (!strcmp(argv[i], "--as-of")) {
			as_of = argv[i + 1];
		} else if (!strcmp(argv[i], "--out")) {
			out = argv[i + 1];
		} else {
			fprintf(stderr, "gen: unknown option '%s'\n", argv[i]);
			return 2;
		}
	}
	if (!out || customers < 1) {
		fprintf(stderr, "usage: gen --customers N --invoices M [--seed S]"
				" [--as-of DATE] --out DIR\n");
		return 2;
	}
	if (date_parse(as_of, &today, &e) < 0) {
		fprintf(stderr, "gen: --as-of: %s\n", e.msg);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/customers.csv", out);
	fc = fopen(path, "w");
	snprintf(path, sizeof(path), "%s/invoices.csv", out);
	fi = fopen(path, "w");
	if (!fc || !fi) {
		fprintf(stderr, "gen: cannot write to %s: %s\n", out,
			strerror(errno));
		return 1;
	}
	s = (uint64_t)seed * 0x9E3779B97F4A7C15ULL + 1;
	fprintf(fc, "external_id,name,locale,timezone,country,segments,"
		    "vulnerable,moratorium_until,customer_since,email,sms,"
		    "letter,channels\n");
	for (long c = 0; c < customers; c++) {
		const struct place *p = &places[next(&s) % 5];
		uint64_t r = next(&s);
		char since[DATE_FMT_MAX], mor[DATE_FMT_MAX] = "";
		date_format(today - 30 - (date_t)(r % 2000), since);
		if (r % 100 == 7)
			date_format(today + 20, mor);
		char sms[24] = "";
		int has_sms = (r >> 7) % 2;
		if (has_sms)
			snprintf(sms, sizeof(sms), "+316%08ld", c % 100000000);
		fprintf(fc,
			"C%07ld,Customer %ld,%s,%s,%s,%s,%s,%s,%s,"
			"c%ld@example.org,%s,\"Street %ld, Town\",%s\n",
			c, c, p->locale, p->zone, p->country,
			r % 10 == 0 ? "business" : "consumer",
			r % 33 == 0 ? "true" : "false", mor, since, c, sms, c,
			has_sms && r % 3 == 0 ? "sms;email" : "");
	}
	fprintf(fi, "external_id,customer_id,number,issue_date,due_date,amount,"
		    "currency,payment_reference\n");
	for (long i = 0; i < invoices; i++) {
		/* Spread invoices over customers; the same customer's
		 * invoices keep the customer's currency. */
		long c = (long)(next(&s) % (uint64_t)customers);
		uint64_t r = next(&s);
		uint64_t pc = c;
		/* recompute the customer's place from a per-customer hash */
		pc = (pc * 0x9E3779B97F4A7C15ULL) >> 60;
		const char *cur = pc % 10 == 0 ? "GBP" : "EUR";
		date_t due = today - 60 + (date_t)(r % 71);
		char issue[DATE_FMT_MAX], dues[DATE_FMT_MAX];
		date_format(due - 14, issue);
		date_format(due, dues);
		fprintf(fi, "INV%08ld,C%07ld,2026-%08ld,%s,%s,%lld.%02lld,%s,RF%08ld\n",
			i, c, i, issue, dues, (long long)(5 + (r >> 8) % 495),
			(long long)((r >> 20) % 100), cur, i);
	}
	if (fclose(fc) != 0 || fclose(fi) != 0) {
		fprintf(stderr, "gen: writing %s failed\n", out);
		return 1;
	}
	return 0;
}
