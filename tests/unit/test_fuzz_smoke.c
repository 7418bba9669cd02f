/*
 * test_fuzz_smoke: every parser against thousands of mutated inputs.
 *
 * A deterministic, bounded fuzz run that is part of every test run (the
 * sanitizer build turns any out-of-bounds access, leak or undefined
 * behaviour into a failure). Seeds are the project's own example and test
 * files; mutations flip, insert, delete, duplicate and splice bytes and
 * truncate. Each parser must either accept the input or reject it with a
 * message, and what it accepts must survive a round trip where one exists.
 * Longer, coverage-guided runs belong to a fuzzer; this keeps the parsers
 * honest on every commit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cal.h"
#include "check.h"
#include "csv.h"
#include "date.h"
#include "mem.h"
#include "money.h"
#include "strategy.h"

#define ROUNDS 5000
#define INPUT_MAX (256 * 1024)

static uint64_t rng = 0x2026112700000001ULL;

static uint64_t next_rand(void)
{
	uint64_t x = rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng = x;
	return x * 2685821657736338717ULL;
}

static char *read_file(const char *path, size_t *ret_len)
{
	char full[1024];
	const char *root = getenv("DUNWELL_ROOT");
	FILE *f;
	struct buf b;
	char chunk[4096];
	size_t n;

	snprintf(full, sizeof(full), "%s/%s", root ? root : ".", path);
	f = fopen(full, "rb");
	if (!f)
		return NULL;
	buf_init(&b, INPUT_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_append(&b, chunk, n) < 0)
			break;
	fclose(f);
	*ret_len = b.len;
	return buf_detach(&b);
}

/* Mutate `in` into a fresh NUL-terminated buffer. */
static char *mutate(const char *in, size_t len, const char *other,
		    size_t other_len, size_t *ret_len)
{
	size_t cap = len * 2 + 64, n = len;
	char *out = xmalloc(cap + 1);
	int edits = 1 + (int)(next_rand() % 8);

	memcpy(out, in, len);
	for (int k = 0; k < edits; k++) {
		size_t pos = n ? next_rand() % n : 0;
		switch (next_rand() % 7) {
		case 0: /* flip a bit */
			if (n)
				out[pos] ^= (char)(1u << (next_rand() % 8));
			break;
		case 1: /* insert a byte, often a structural one */
			if (n < cap) {
				static const char special[] = "\"',:-[]{}\n\r\t #&*!|>%@`\\.0123456789";
				memmove(out + pos + 1, out + pos, n - pos);
				out[pos] = next_rand() % 2 ?
						   special[next_rand() %
							   (sizeof(special) - 1)] :
						   (char)(next_rand() % 256);
				n++;
			}
			break;
		case 2: /* delete a run */
			if (n) {
				size_t del = 1 + next_rand() % 16;
				if (del > n - pos)
					del = n - pos;
				memmove(out + pos, out + pos + del, n - pos - del);
				n -= del;
			}
			break;
		case 3: /* duplicate a chunk */
			if (n) {
				size_t len2 = 1 + next_rand() % 64;
				if (len2 > n - pos)
					len2 = n - pos;
				if (n + len2 <= cap) {
					memmove(out + pos + len2, out + pos, n - pos);
					n += len2;
				}
			}
			break;
		case 4: /* splice in a piece of another input */
			if (other_len) {
				size_t from = next_rand() % other_len;
				size_t len2 = 1 + next_rand() % 128;
				if (len2 > other_len - from)
					len2 = other_len - from;
				if (n + len2 <= cap) {
					memmove(out + pos + len2, out + pos, n - pos);
					memcpy(out + pos, other + from, len2);
					n += len2;
				}
			}
			break;
		case 5: /* truncate */
			n = pos;
			break;
		default: /* overwrite with a digit */
			if (n)
				out[pos] = (char)('0' + next_rand() % 10);
			break;
		}
	}
	out[n] = '\0';
	*ret_len = n;
	return out;
}

TEST(fuzz_strategy)
{
	static const char *const seeds[] = {
		"examples/strategies/default.yaml",
		"tests/engine/strategies/basic.yaml",
		"tests/engine/strategies/sameday.yaml",
	};
	char *text[3];
	size_t len[3];
	int accepted = 0;

	for (int i = 0; i < 3; i++) {
		text[i] = read_file(seeds[i], &len[i]);
		CHECK(text[i] != NULL);
		if (!text[i])
			return;
	}
	for (int r = 0; r < ROUNDS; r++) {
		int s = (int)(next_rand() % 3);
		size_t n;
		char *in = mutate(text[s], len[s], text[(s + 1) % 3],
				  len[(s + 1) % 3], &n);
		struct strategy_set *set = NULL;
		struct err e;
		err_clear(&e);
		int rc = strategy_set_parse("fuzz.yaml", in, n, &set, &e);
		if (rc == 0) {
			accepted++;
			CHECK(set && set->n_strategies > 0 &&
			      set->default_strategy < set->n_strategies);
			strategy_set_free(set);
		} else {
			CHECK(e.msg[0] != '\0');
			CHECK(strncmp(e.msg, "fuzz.yaml", 9) == 0);
		}
		free(in);
	}
	CHECK(accepted > 0); /* some mutations leave a valid file */
	for (int i = 0; i < 3; i++)
		free(text[i]);
}

TEST(fuzz_csv)
{
	static const char *const seeds[] = {
		"tests/data/import/customers.csv",
		"tests/data/import/invoices.csv",
		"tests/data/import/bad_quote.csv",
	};
	char *text[3];
	size_t len[3];

	for (int i = 0; i < 3; i++) {
		text[i] = read_file(seeds[i], &len[i]);
		CHECK(text[i] != NULL);
		if (!text[i])
			return;
	}
	for (int r = 0; r < ROUNDS; r++) {
		int s = (int)(next_rand() % 3);
		size_t n;
		char *in = mutate(text[s], len[s], text[(s + 2) % 3],
				  len[(s + 2) % 3], &n);
		FILE *f = fmemopen(in, n ? n : 1, "rb");
		struct csv *c;
		struct err e;
		int rc;
		long last_line = 0;
		if (!f) {
			free(in);
			continue;
		}
		c = csv_open(f, "fuzz.csv");
		while ((rc = csv_next(c, &e)) > 0) {
			CHECK(csv_nfields(c) >= 1 &&
			      csv_nfields(c) <= CSV_MAX_FIELDS);
			CHECK(csv_line(c) > last_line);
			last_line = csv_line(c);
			for (size_t k = 0; k < csv_nfields(c); k++)
				CHECK(csv_field(c, k) != NULL);
		}
		if (rc < 0)
			CHECK(strncmp(e.msg, "fuzz.csv:", 9) == 0);
		csv_free(c);
		fclose(f);
		free(in);
	}
	for (int i = 0; i < 3; i++)
		free(text[i]);
}

TEST(fuzz_holidays)
{
	size_t len[2];
	char *text[2] = { read_file("data/holidays/GB.txt", &len[0]),
			  read_file("data/holidays/NL.txt", &len[1]) };
	CHECK(text[0] && text[1]);
	if (!text[0] || !text[1])
		goto out;
	for (int r = 0; r < ROUNDS; r++) {
		int s = (int)(next_rand() % 2);
		size_t n;
		char *in = mutate(text[s], len[s], text[1 - s], len[1 - s], &n);
		struct cal *c = NULL;
		struct err e;
		if (cal_parse("fuzz.txt", in, n, &c, &e) == 0) {
			/* a parsed calendar answers for any date */
			for (date_t d = date_from_ymd(2026, 1, 1);
			     d < date_from_ymd(2026, 2, 1); d++)
				(void)cal_is_business_day(c, d);
			(void)cal_add_business_days(c, date_from_ymd(2026, 12, 20), 5);
			cal_free(c);
		} else {
			CHECK(strncmp(e.msg, "fuzz.txt", 8) == 0);
		}
		free(in);
	}
out:
	free(text[0]);
	free(text[1]);
}

TEST(fuzz_money_and_dates)
{
	static const char *const seeds[] = {
		"1234.56", "-0.50", "0", "99999999999999999.99", "12.345",
		"2026-11-27", "2024-02-29", "2026-11-27T10:00:00Z",
		"2026-03-29T01:59:59+01:00", "9999-12-31T23:59:59.999Z",
	};
	const size_t nseeds = sizeof(seeds) / sizeof(seeds[0]);
	static const char *const codes[] = { "EUR", "JPY", "KWD", "GBP" };

	for (int r = 0; r < ROUNDS * 4; r++) {
		const char *seed = seeds[next_rand() % nseeds];
		const char *other = seeds[next_rand() % nseeds];
		size_t n;
		char *in = mutate(seed, strlen(seed), other, strlen(other), &n);
		const struct currency *cur = currency_find(codes[next_rand() % 4]);
		struct err e;
		int64_t minor, micros, again;
		date_t d, d2;
		instant_t t, t2;
		char out[MONEY_FMT_MAX], ds[DATE_FMT_MAX], is[INSTANT_FMT_MAX];

		if (money_parse(in, cur, &minor, &e) == 0) {
			money_format(minor, cur, out);
			CHECK(money_parse(out, cur, &again, NULL) == 0 &&
			      again == minor);
		} else {
			CHECK(e.msg[0] != '\0');
		}
		if (money_parse_micros(in, &micros, &e) != 0)
			CHECK(e.msg[0] != '\0');
		if (date_parse(in, &d, &e) == 0) {
			date_format(d, ds);
			CHECK(date_parse(ds, &d2, NULL) == 0 && d2 == d);
		} else {
			CHECK(e.msg[0] != '\0');
		}
		if (instant_parse(in, &t, &e) == 0) {
			instant_format(t, is);
			CHECK(instant_parse(is, &t2, NULL) == 0 && t2 == t);
		} else {
			CHECK(e.msg[0] != '\0');
		}
		free(in);
	}
}

int main(void)
{
	RUN(fuzz_strategy);
	RUN(fuzz_csv);
	RUN(fuzz_holidays);
	RUN(fuzz_money_and_dates);
	return CHECK_DONE();
}
