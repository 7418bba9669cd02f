/*
 * bench/queue: how long the agents' queue (store_queue) takes to answer
 * (issue #9: under 200 ms for a tenant with 1,000,000 cases).
 *
 *   build/release/bench/queue --db TARGET --tenant SLUG [--limit N]
 *                             [--rounds N]
 *
 * Opens TARGET (a SQLite path or a postgres:// URL) the way dunwell does
 * (store_open, which applies pending migrations), finds the tenant, calls
 * store_queue once untimed (warm-up: statement preparation, the first
 * pages read), then ROUNDS times (default 20) timed, each call on its own:
 * the clock runs from the call to its return, the items are freed outside
 * the clock. LIMIT defaults to 50, a page of the console.
 *
 * Prints one line:
 *   queue backend=B tenant=S limit=L rounds=R items=N median_ms=M
 *   p95_ms=P min_ms=X kinds=help:2,... digest=HEX
 * kinds counts the items of each kind; digest is a 64-bit FNV-1a hash of
 * every item's fields in order, so that two backends, or two versions of
 * the query, can be shown to give the same answer on the same data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "mem.h"
#include "store.h"

#define QB_ROUNDS_MAX 100000  /* timed calls at most */
#define QB_KINDS_MAX 16       /* distinct kinds counted in the line */
#define QB_LINE_MAX 512       /* the kinds=... text */

/* The command line. */
struct opts {
	const char *db;      /* --db: SQLite path or postgres:// URL */
	const char *tenant;  /* --tenant: the tenant's slug */
	int limit;           /* --limit: items asked for (1..STORE_QUEUE_MAX) */
	int rounds;          /* --rounds: timed calls */
};

/* Items counted by kind, in order of first appearance. */
struct kinds {
	size_t n;                        /* kinds seen */
	char name[QB_KINDS_MAX][16];     /* each kind's name */
	long count[QB_KINDS_MAX];        /* items of it */
};

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* FNV-1a over `len` bytes, continuing from `h`. */
static uint64_t fnv(uint64_t h, const void *p, size_t len)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < len; i++) {
		h ^= c[i];
		h *= 1099511628211ull;
	}
	return h;
}

static uint64_t fnv_int(uint64_t h, int64_t v)
{
	return fnv(h, &v, sizeof(v));
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

/* The digest of a queue answer: every field of every item, in order. */
static uint64_t digest(const struct queue_item *q, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++) {
		h = fnv_int(h, q[i].rank);
		h = fnv_str(h, q[i].kind);
		h = fnv_int(h, q[i].case_id);
		h = fnv_int(h, q[i].customer_id);
		h = fnv_str(h, q[i].customer);
		h = fnv_str(h, q[i].customer_name);
		h = fnv_int(h, q[i].since);
		h = fnv_int(h, q[i].callback_at);
		h = fnv_int(h, q[i].open_minor);
		h = fnv_str(h, q[i].currency);
		h = fnv_int(h, q[i].request_id);
		h = fnv_int(h, q[i].review_id);
	}
	return h;
}

static void count_kinds(const struct queue_item *q, size_t n,
			struct kinds *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < k->n && strcmp(k->name[j], q[i].kind) != 0)
			j++;
		if (j == k->n) {
			if (k->n == QB_KINDS_MAX)
				continue;
			snprintf(k->name[j], sizeof(k->name[j]), "%s",
				 q[i].kind);
			k->n++;
		}
		k->count[j]++;
	}
}

static int usage(void)
{
	fprintf(stderr, "usage: queue --db TARGET --tenant SLUG [--limit N]"
		" [--rounds N]\n");
	return 2;
}

/* A whole number in lo..hi, or -1. */
static long parse_num(const char *s, long lo, long hi)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	return v;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	o->db = NULL;
	o->tenant = NULL;
	o->limit = 50;
	o->rounds = 20;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		long v;
		if (i + 1 >= argc)
			return -1;
		if (strcmp(a, "--db") == 0) {
			o->db = argv[++i];
		} else if (strcmp(a, "--tenant") == 0) {
			o->tenant = argv[++i];
		} else if (strcmp(a, "--limit") == 0) {
			v = parse_num(argv[++i], 1, STORE_QUEUE_MAX);
			if (v < 0)
				return -1;
			o->limit = (int)v;
		} else if (strcmp(a, "--rounds") == 0) {
			v = parse_num(argv[++i], 1, QB_ROUNDS_MAX);
			if (v < 0)
				return -1;
			o->rounds = (int)v;
		} else {
			return -1;
		}
	}
	return o->db && o->tenant ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct err e = { "" };
	struct store *s = NULL;
	struct tenant_rec t;
	struct queue_item *items = NULL;
	size_t n = 0;
	double *ms;
	struct kinds k;
	char line[QB_LINE_MAX] = "";
	size_t used = 0;
	uint64_t dig;
	int r;

	if (parse_opts(argc, argv, &o) < 0)
		return usage();
	memset(&t, 0, sizeof(t));
	r = store_open(o.db, &s, &e);
	if (r == 0)
		r = store_tenant_get(s, o.tenant, &t, &e);
	/* warm-up, and the answer that is reported */
	if (r == 0)
		r = store_queue(s, t.id, o.limit, &items, &n, &e);
	if (r < 0) {
		fprintf(stderr, "queue: %s\n", e.msg);
		if (s)
			store_close(s);
		tenant_rec_clear(&t);
		return 1;
	}
	dig = digest(items, n);
	count_kinds(items, n, &k);
	queue_list_free(items, n);

	ms = xcalloc((size_t)o.rounds, sizeof(*ms));
	for (int i = 0; i < o.rounds; i++) {
		double t0 = now_ms();
		size_t m = 0;
		r = store_queue(s, t.id, o.limit, &items, &m, &e);
		ms[i] = now_ms() - t0;
		if (r < 0) {
			fprintf(stderr, "queue: %s\n", e.msg);
			free(ms);
			store_close(s);
			tenant_rec_clear(&t);
			return 1;
		}
		if (m != n || digest(items, m) != dig) {
			fprintf(stderr, "queue: call %d answered differently"
				" (%zu items)\n", i + 1, m);
			queue_list_free(items, m);
			free(ms);
			store_close(s);
			tenant_rec_clear(&t);
			return 1;
		}
		queue_list_free(items, m);
	}
	qsort(ms, (size_t)o.rounds, sizeof(*ms), cmp_double);

	for (size_t j = 0; j < k.n && used < sizeof(line); j++) {
		int w = snprintf(line + used, sizeof(line) - used, "%s%s:%ld",
				 j ? "," : "", k.name[j], k.count[j]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	/* median: the middle call (the lower of the two for an even count);
	 * p95: the call at or above 95% of them */
	printf("queue backend=%s tenant=%s limit=%d rounds=%d items=%zu"
	       " median_ms=%.1f p95_ms=%.1f min_ms=%.1f kinds=%s"
	       " digest=%016llx\n",
	       store_backend_name(s), o.tenant, o.limit, o.rounds, n,
	       ms[(o.rounds - 1) / 2],
	       ms[(size_t)((o.rounds - 1) * 95 + 99) / 100], ms[0],
	       k.n ? line : "-", (unsigned long long)dig);
	free(ms);
	store_close(s);
	tenant_rec_clear(&t);
	return 0;
}
