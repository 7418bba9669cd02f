/*
 * check: the unit-test harness, one header.
 *
 * A test is a function; RUN(test) calls it and prints "PASS name" or
 * "FAIL name" followed by the failed checks. tests/run counts those lines
 * across every test binary and script. A test binary exits non-zero when any
 * test failed.
 */
#ifndef DUNWELL_CHECK_H
#define DUNWELL_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int check_failed_here __attribute__((unused));  /* failed checks in the running test */
static int check_failed_tests __attribute__((unused)); /* tests with at least one failure */

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stdout, "  %s:%d: CHECK(%s) failed\n",     \
				__FILE__, __LINE__, #cond);                  \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

#define CHECK_INT(got, want)                                                \
	do {                                                                \
		long long g_ = (long long)(got), w_ = (long long)(want);   \
		if (g_ != w_) {                                             \
			fprintf(stdout, "  %s:%d: %s = %lld, want %lld\n",  \
				__FILE__, __LINE__, #got, g_, w_);          \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

#define CHECK_STR(got, want)                                                \
	do {                                                                \
		const char *g_ = (got), *w_ = (want);                      \
		if (!g_ || strcmp(g_, w_) != 0) {                           \
			fprintf(stdout, "  %s:%d: %s = \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got, g_ ? g_ : "(null)", \
				w_);                                        \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

/* A test is a function taking and returning nothing. */
#define TEST(name) static void name(void)

#define RUN(test)                                                           \
	do {                                                                \
		check_failed_here = 0;                                      \
		test();                                                     \
		if (check_failed_here) {                                    \
			printf("FAIL %s\n", #test);                         \
			check_failed_tests++;                               \
		} else {                                                    \
			printf("PASS %s\n", #test);                         \
		}                                                           \
		fflush(stdout);                                             \
	} while (0)

#define CHECK_DONE() (check_failed_tests ? 1 : 0)

#endif
