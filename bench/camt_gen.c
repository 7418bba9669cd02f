/*
 * camt_gen: a camt.053.001.08 statement for benchmarks, and the benchmark.
 *
 *   camt_gen N [SEED] > stmt.xml     N booked credit entries
 *   camt_gen --bench N [SEED]        index of N invoices, statement of N
 *                                     entries: parse and match timed apart
 *   camt_gen --parse FILE            time camt_parse_file on a file
 *
 * The data model, shared by the statement and the index: N invoices
 * ("INV-0000001", ..., each with a Dutch 16-digit payment reference made
 * from its number), N/3 customers with one open case each (case id =
 * customer id, RF reference rf_make("<case id>"), total = its invoices).
 * Entries, in realistic proportions: 45% RF reference of a case (the case
 * total), 20% Dutch payment reference of an invoice, 20% invoice number in
 * Ustrd, 10% only the amount of an invoice from the customer's known IBAN,
 * 5% nothing to go by. The same seed gives the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "camt.h"
#include "match.h"
#include "money.h"
#include "qr.h"

static uint64_t next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

struct model {
	long n;          /* invoices */
	long customers;  /* customers = cases */
	int64_t *amount; /* open amount of invoice i (1-based) */
	int64_t *total;  /* open total of case c (1-based) */
};

static void model_init(struct model *m, long n)
{
	m->n = n;
	m->customers = n / 3 > 0 ? n / 3 : 1;
	m->amount = calloc((size_t)n + 1, sizeof(int64_t));
	m->total = calloc((size_t)m->customers + 1, sizeof(int64_t));
	for (long i = 1; i <= n; i++) {
		m->amount[i] = 1000 + (i * 7919) % 50000;
		m->total[1 + i % m->customers] += m->amount[i];
	}
}

static long cust_of(const struct model *m, long i)
{
	return 1 + i % m->customers;
}

static void nl_ref(long i, char out[17])
{
	char d[24];
	snprintf(d, sizeof(d), "%015ld", i % 1000000000000000L);
	out[0] = (char)('0' + match_nl_check_digit(d));
	memcpy(out + 1, d, 16);
}

static void iban_of(long c, char out[32])
{
	snprintf(out, 32, "NL%02ldBANK%010ld", 10 + c % 90, c);
}

static void gen(FILE *f, const struct model *m, long entries, uint64_t seed)
{
	const struct currency *eur = currency_find("EUR");
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
	char amt[MONEY_FMT_MAX], rf[RF_BUF], base[24], nl[17], iban[32];

	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\">\n"
		   "  <BkToCstmrStmt>\n    <GrpHdr>\n      <MsgId>BENCH-%llu</MsgId>\n"
		   "      <CreDtTm>2026-11-27T06:00:00+01:00</CreDtTm>\n    </GrpHdr>\n"
		   "    <Stmt>\n      <Id>BENCH-STMT-1</Id>\n"
		   "      <CreDtTm>2026-11-27T06:00:00+01:00</CreDtTm>\n"
		   "      <Acct>\n        <Id>\n          <IBAN>NL91ABNA0417164300</IBAN>\n"
		   "        </Id>\n        <Ccy>EUR</Ccy>\n      </Acct>\n",
		(unsigned long long)seed);
	for (long j = 1; j <= entries; j++) {
		long i = 1 + (long)(next(&s) % (uint64_t)m->n), c = cust_of(m, i);
		int kind = (int)(next(&s) % 100);
		int64_t a = m->amount[i];
		char strd[64] = "", ustrd[128] = "", name[64];
		iban_of(c, iban);
		snprintf(name, sizeof(name), "Klant %ld", c);
		if (kind < 45) {
			snprintf(base, sizeof(base), "%ld", c);
			rf_make(base, rf, sizeof(rf), NULL);
			snprintf(strd, sizeof(strd), "%s", rf);
			a = m->total[c];
		} else if (kind < 65) {
			nl_ref(i, nl);
			snprintf(strd, sizeof(strd), "%s", nl);
		} else if (kind < 85) {
			snprintf(ustrd, sizeof(ustrd),
				 "Factuur INV-%07ld klantnummer %ld", i, c);
		} else if (kind < 95) {
			snprintf(ustrd, sizeof(ustrd), "Betaling");
		} else {
			snprintf(ustrd, sizeof(ustrd), "Gift %ld", j);
			snprintf(name, sizeof(name), "Onbekend %ld", j);
			iban_of(m->customers + 1 + j, iban);
		}
		money_format(a, eur, amt);
		fprintf(f,
			"      <Ntry>\n        <NtryRef>%ld</NtryRef>\n"
			"        <Amt Ccy=\"EUR\">%s</Amt>\n"
			"        <CdtDbtInd>CRDT</CdtDbtInd>\n"
			"        <Sts>\n          <Cd>BOOK</Cd>\n        </Sts>\n"
			"        <BookgDt>\n          <Dt>2026-11-26</Dt>\n        </BookgDt>\n"
			"        <ValDt>\n          <Dt>2026-11-26</Dt>\n        </ValDt>\n"
			"        <AcctSvcrRef>B2026112600%08ld</AcctSvcrRef>\n"
			"        <BkTxCd>\n          <Domn>\n            <Cd>PMNT</Cd>\n"
			"            <Fmly>\n              <Cd>RCDT</Cd>\n"
			"              <SubFmlyCd>ESCT</SubFmlyCd>\n            </Fmly>\n"
			"          </Domn>\n        </BkTxCd>\n"
			"        <NtryDtls>\n          <TxDtls>\n            <Refs>\n"
			"              <EndToEndId>E2E-%ld</EndToEndId>\n            </Refs>\n"
			"            <Amt Ccy=\"EUR\">%s</Amt>\n"
			"            <CdtDbtInd>CRDT</CdtDbtInd>\n"
			"            <RltdPties>\n              <Dbtr>\n                <Pty>\n"
			"                  <Nm>%s</Nm>\n                </Pty>\n              </Dbtr>\n"
			"              <DbtrAcct>\n                <Id>\n"
			"                  <IBAN>%s</IBAN>\n                </Id>\n"
			"              </DbtrAcct>\n            </RltdPties>\n"
			"            <RmtInf>\n",
			j, amt, j, j, amt, name, iban);
		if (strd[0])
			fprintf(f,
				"              <Strd>\n                <CdtrRefInf>\n"
				"                  <Tp>\n                    <CdOrPrtry>\n"
				"                      <Cd>SCOR</Cd>\n                    </CdOrPrtry>\n"
				"                  </Tp>\n                  <Ref>%s</Ref>\n"
				"                </CdtrRefInf>\n              </Strd>\n",
				strd);
		else
			fprintf(f, "              <Ustrd>%s</Ustrd>\n", ustrd);
		fprintf(f, "            </RmtInf>\n          </TxDtls>\n        </NtryDtls>\n"
			   "      </Ntry>\n");
	}
	fprintf(f, "    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n");
}

/* What the bench keeps of each entry to match afterwards. */
struct kept {
	struct arena *a;          /* strings */
	struct match_payment *p;  /* payments */
	size_t n, cap;            /* used, allocated */
};

static int keep(void *ctx, const struct camt_statement *st,
		const struct camt_entry *en, struct err *e)
{
	struct kept *k = ctx;
	(void)st;
	(void)e;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 1024;
		k->p = realloc(k->p, k->cap * sizeof(*k->p));
	}
	k->p[k->n++] = (struct match_payment){
		.amount = en->amount,
		.currency = "EUR",
		.ref_strd = arena_strdup(k->a, en->ref_strd),
		.ustrd = arena_strdup(k->a, en->ustrd),
		.debtor_iban = arena_strdup(k->a, en->debtor_iban),
		.debtor_name = arena_strdup(k->a, en->debtor_name),
	};
	return 0;
}

static int count(void *ctx, const struct camt_statement *st,
		 const struct camt_entry *en, struct err *e)
{
	(void)st;
	(void)e;
	*(long *)ctx += en->amount > 0;
	return 0;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this process: on a shared machine the wall clock also
 * counts other people's work. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench(long n, uint64_t seed)
{
	struct model m;
	struct match_index *idx;
	struct kept k = { .a = arena_new() };
	struct err e;
	char *xml = NULL, num[32], nl[17], iban[32], name[64];
	size_t len = 0;
	FILE *f;
	double t0, t1, t2, t3, c1, c2;
	long got[5] = { 0 };

	model_init(&m, n);
	f = open_memstream(&xml, &len);
	gen(f, &m, n, seed);
	fclose(f);

	t0 = now();
	idx = match_index_new();
	for (long i = 1; i <= n; i++) {
		struct match_invoice inv = {
			.id = i, .customer_id = cust_of(&m, i),
			.case_id = cust_of(&m, i), .number = num,
			.payment_reference = nl, .open_amount = m.amount[i],
			.currency = "EUR", .due_date = (date_t)(20000 + i % 90) };
		snprintf(num, sizeof(num), "INV-%07ld", i);
		nl_ref(i, nl);
		if (match_index_add_invoice(idx, &inv, &e) < 0) {
			fprintf(stderr, "camt_gen: %s\n", e.msg);
			return 1;
		}
	}
	for (long c = 1; c <= m.customers; c++) {
		struct match_case mc = { .id = c, .customer_id = c,
					 .currency = "EUR",
					 .open_total = m.total[c] };
		match_index_add_case(idx, &mc, &e);
		iban_of(c, iban);
		match_index_add_payer_iban(idx, iban, c, &e);
		snprintf(name, sizeof(name), "Klant %ld", c);
		match_index_add_payer_name(idx, name, c, &e);
	}
	t1 = now();
	c1 = cpu_now();
	if (camt_parse_memory(xml, len, "bench.xml", keep, &k, NULL, &e) < 0) {
		fprintf(stderr, "camt_gen: %s\n", e.msg);
		return 1;
	}
	t2 = now();
	c2 = cpu_now();
	for (size_t j = 0; j < k.n; j++) {
		struct match_result r;
		match_payment(idx, &k.p[j], &r, &e);
		got[r.kind]++;
	}
	t3 = now();
	printf("statement: %ld entries, %.1f MB\n", n, (double)len / 1e6);
	printf("index:  %ld invoices, %ld cases in %.3f s\n", n, m.customers,
	       t1 - t0);
	printf("parse:  %.3f s  %.0f entries/s  (cpu %.3f s)\n", t2 - t1,
	       (double)k.n / (t2 - t1), c2 - c1);
	printf("match:  %.3f s  %.0f entries/s\n", t3 - t2,
	       (double)k.n / (t3 - t2));
	printf("results: case %ld, invoice %ld, review %ld, none %ld\n",
	       got[MATCH_CASE], got[MATCH_INVOICE], got[MATCH_REVIEW],
	       got[MATCH_NONE]);
	match_index_free(idx);
	arena_free(k.a);
	free(k.p);
	free(xml);
	free(m.amount);
	free(m.total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--parse")) {
		struct err e;
		long c = 0;
		double t0 = now(), c0 = cpu_now();
		if (camt_parse_file(argv[2], count, &c, NULL, &e) < 0) {
			fprintf(stderr, "camt_gen: %s\n", e.msg);
			return 1;
		}
		printf("parse: %ld entries in %.3f s (cpu %.3f s)\n", c,
		       now() - t0, cpu_now() - c0);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "--bench"))
		return bench(atol(argv[2]) > 0 ? atol(argv[2]) : 1000,
			     argc > 3 ? strtoull(argv[3], NULL, 10) : 2026);
	if (argc < 2 || atol(argv[1]) <= 0) {
		fprintf(stderr, "usage: camt_gen N [SEED] > stmt.xml | "
				"camt_gen --bench N [SEED] | camt_gen --parse FILE\n");
		return 2;
	}
	{
		struct model m;
		model_init(&m, atol(argv[1]));
		gen(stdout, &m, m.n,
		    argc > 2 ? strtoull(argv[2], NULL, 10) : 2026);
		free(m.amount);
		free(m.total);
	}
	return 0;
}
