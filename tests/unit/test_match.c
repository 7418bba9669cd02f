/*
 * test_match: each matching rule of #7 (rf, nl_ref, invoice_number,
 * amount_iban, amount_name), their precedence, ambiguity and currency
 * mismatch going to review with the candidates, a bad RF check digit, and
 * the Dutch payment reference check digit on known examples.
 */
#include <string.h>

#include "check.h"
#include "match.h"

/* Customers 1..3; case 1042 (customer 1, EUR 300.00) holds invoices 11 and
 * 12; invoice 21 of customer 2 (EUR), 31 of customer 3 in GBP. */
static struct match_index *index_fixture(void)
{
	struct match_index *idx = match_index_new();
	struct err e;
	const struct match_invoice invs[] = {
		{ 11, 1, 1042, "2026-0042", "5000056789012345", 10000, "EUR", 20400 },
		{ 12, 1, 1042, "2026-0043", NULL, 20000, "EUR", 20390 },
		{ 21, 2, 0, "INV 2026 0099", "2000000000123456", 4500, "EUR", 20410 },
		{ 22, 2, 0, "2026-0044", NULL, 7700, "EUR", 20410 },
		{ 31, 3, 0, "GB-7", NULL, 5000, "GBP", 20420 },
		{ 32, 3, 0, "2026-0042X", NULL, 999, "GBP", 20420 },
	};
	const struct match_case cases[] = {
		{ 1042, 1, "EUR", 30000 },
		{ 7, 3, "GBP", 5999 },
		{ 977, 2, "EUR", 4500 },
	};
	for (size_t i = 0; i < sizeof(invs) / sizeof(invs[0]); i++)
		CHECK_INT(match_index_add_invoice(idx, &invs[i], &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_INT(match_index_add_case(idx, &cases[i], &e), 0);
	CHECK_INT(match_index_add_case(idx, &cases[0], &e), -ERR_CONFLICT);
	match_index_add_payer_iban(idx, "NL02 RABO 0123 4567 89", 1, &e);
	match_index_add_payer_iban(idx, "NL02RABO0123456789", 1, &e);
	match_index_add_payer_iban(idx, "NL20INGB0001234567", 2, &e);
	match_index_add_payer_iban(idx, "NL20INGB0001234567", 3, &e);
	match_index_add_payer_name(idx, "  Anna   MÜLLER ", 2, &e);
	return idx;
}

static struct match_result run(const struct match_index *idx, int64_t amount,
			       const char *ccy, const char *strd,
			       const char *ustrd, const char *iban,
			       const char *name)
{
	struct match_payment p = { amount, ccy, strd, ustrd, iban, name };
	struct match_result r;
	struct err e;
	CHECK_INT(match_payment(idx, &p, &r, &e), 0);
	return r;
}

TEST(nl_check_digit)
{
	CHECK_INT(match_nl_check_digit("000056789012345"), 5);
	CHECK(match_nl_ref_valid("5000056789012345"));
	CHECK(match_nl_ref_valid("5000 0567 8901 2345"));
	CHECK(match_nl_ref_valid("2000000000123456"));
	CHECK(!match_nl_ref_valid("4000056789012345"));
	CHECK(!match_nl_ref_valid("500005678901234"));
	CHECK(!match_nl_ref_valid("50000567890123456"));
	CHECK(!match_nl_ref_valid("500005678901234a"));
	CHECK_INT(match_nl_check_digit("00005678901234"), -1);
	/* 11 - 0 = 11 -> 0; a sum with remainder 1 gives 10 -> 1. */
	CHECK_INT(match_nl_check_digit("000000000000000"), 0);
	CHECK_INT(match_nl_check_digit("000000000000006"), 1); /* 12 mod 11 = 1 */
	CHECK_INT(match_nl_check_digit("000000000000003"), 5); /* 11 - 6 */
}

TEST(rule_rf)
{
	struct match_index *idx = index_fixture();
	struct match_result r;

	r = run(idx, 30000, "EUR", "RF971042", NULL, NULL, NULL);
	CHECK_INT(r.kind, MATCH_CASE);
	CHECK_STR(r.rule, "rf");
	CHECK_INT(r.case_id, 1042);
	CHECK_INT(r.customer_id, 1);
	/* Print form, lower case, in the unstructured text. */
	r = run(idx, 100, "EUR", NULL, "betaling rf97 1042 dank", NULL, NULL);
	CHECK_INT(r.kind, MATCH_CASE);
	CHECK_INT(r.case_id, 1042);
	r = run(idx, 100, "EUR", "", "ref RF09977.", NULL, NULL);
	CHECK_INT(r.case_id, 977);
	/* A bad check digit names nothing (and the invoice number rule does
	 * not find anything either). */
	r = run(idx, 100, "EUR", "RF981042", "RF98 1042", NULL, NULL);
	CHECK_INT(r.kind, MATCH_NONE);
	CHECK_INT(r.case_id, 0);
	/* Currency mismatch: review with the case as candidate. */
	r = run(idx, 5999, "EUR", "RF097", NULL, NULL, NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_STR(r.rule, "rf");
	CHECK_INT(r.ncandidates, 1);
	CHECK_INT(r.candidates[0].target, MATCH_TARGET_CASE);
	CHECK_INT(r.candidates[0].id, 7);
	CHECK_STR(r.reason, "currency mismatch: payment in EUR, case 7 in GBP");
	/* Two cases named in the text: review with both. */
	r = run(idx, 100, "EUR", NULL, "RF971042 RF09977", NULL, NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_INT(r.ncandidates, 2);
	CHECK_INT(r.candidates[0].id, 1042);
	CHECK_INT(r.candidates[1].id, 977);
	/* A valid RF naming no open case: review with the reason. */
	r = run(idx, 100, "EUR", "RF7812345", NULL, NULL, NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_STR(r.reason, "RF reference RF7812345 names no open case");
	match_index_free(idx);
}

TEST(rule_nl_ref)
{
	struct match_index *idx = index_fixture();
	struct match_result r;

	r = run(idx, 10000, "EUR", "5000 0567 8901 2345", NULL, NULL, NULL);
	CHECK_INT(r.kind, MATCH_INVOICE);
	CHECK_STR(r.rule, "nl_ref");
	CHECK_INT(r.invoice_id, 11);
	CHECK_INT(r.customer_id, 1);
	/* Wrong check digit: no match, a note. */
	r = run(idx, 10000, "EUR", "4000056789012345", NULL, NULL, NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK(strstr(r.reason, "wrong check digit") != NULL);
	/* RF takes precedence over everything after it. */
	r = run(idx, 10000, "EUR", "RF971042", "2026-0044", NULL, NULL);
	CHECK_STR(r.rule, "rf");
	match_index_free(idx);
}

TEST(rule_invoice_number)
{
	struct match_index *idx = index_fixture();
	struct match_result r;

	r = run(idx, 7700, "EUR", NULL, "Factuur 2026-0044, dank!", NULL, NULL);
	CHECK_INT(r.kind, MATCH_INVOICE);
	CHECK_STR(r.rule, "invoice_number");
	CHECK_INT(r.invoice_id, 22);
	/* A number of several words, split over Ustrd lines. */
	r = run(idx, 4500, "EUR", NULL, "Kundennr 55 Rechnung INV 2026 0099", NULL,
		NULL);
	CHECK_INT(r.invoice_id, 21);
	/* Whole tokens only: 2026-0042X is not 2026-0042. */
	r = run(idx, 999, "GBP", NULL, "nr 2026-0042X", NULL, NULL);
	CHECK_INT(r.invoice_id, 32);
	/* Two invoices of one customer: the oldest, both as candidates. */
	r = run(idx, 30000, "EUR", NULL, "2026-0042 en 2026-0043", NULL, NULL);
	CHECK_INT(r.kind, MATCH_INVOICE);
	CHECK_INT(r.invoice_id, 12);
	CHECK_INT(r.ncandidates, 2);
	/* Invoices of two customers: review with both. */
	r = run(idx, 100, "EUR", NULL, "2026-0042 2026-0044", NULL, NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_STR(r.rule, "invoice_number");
	CHECK_INT(r.ncandidates, 2);
	CHECK_INT(r.candidates[0].id, 11);
	CHECK_INT(r.candidates[1].id, 22);
	/* Currency mismatch. */
	r = run(idx, 5000, "EUR", NULL, "GB-7", NULL, NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_INT(r.candidates[0].id, 31);
	/* The NL reference comes before the invoice number. */
	r = run(idx, 10000, "EUR", "2000000000123456", "2026-0044", NULL, NULL);
	CHECK_STR(r.rule, "nl_ref");
	CHECK_INT(r.invoice_id, 21);
	match_index_free(idx);
}

TEST(rule_amount)
{
	struct match_index *idx = index_fixture();
	struct match_result r;

	/* Invoice 12's amount from customer 1's account. */
	r = run(idx, 20000, "EUR", NULL, "bedankt", "nl02rabo0123456789", NULL);
	CHECK_INT(r.kind, MATCH_INVOICE);
	CHECK_STR(r.rule, "amount_iban");
	CHECK_INT(r.invoice_id, 12);
	/* The case total of customer 1. */
	r = run(idx, 30000, "EUR", NULL, NULL, "NL02RABO0123456789", NULL);
	CHECK_INT(r.kind, MATCH_CASE);
	CHECK_INT(r.case_id, 1042);
	/* No open amount like it: review, customer known. */
	r = run(idx, 12345, "EUR", NULL, NULL, "NL02RABO0123456789", NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_INT(r.customer_id, 1);
	CHECK_INT(r.ncandidates, 0);
	/* An account shared by customers 2 and 3: 45.00 is invoice 21 and
	 * case 977 of customer 2 (not dropped: invoice 21 is in no case)
	 * -> review with both. */
	r = run(idx, 4500, "EUR", NULL, NULL, "NL20INGB0001234567", NULL);
	CHECK_INT(r.kind, MATCH_REVIEW);
	CHECK_STR(r.rule, "amount_iban");
	CHECK_INT(r.ncandidates, 2);
	/* 77.00 is only invoice 22. */
	r = run(idx, 7700, "EUR", NULL, NULL, "NL20INGB0001234567", NULL);
	CHECK_INT(r.kind, MATCH_INVOICE);
	CHECK_INT(r.invoice_id, 22);
	/* By name, case-folded and spaces collapsed, when the IBAN is new. */
	r = run(idx, 7700, "EUR", NULL, NULL, "DE02120300000000202051",
		"anna müller");
	CHECK_INT(r.kind, MATCH_INVOICE);
	CHECK_STR(r.rule, "amount_name");
	CHECK_INT(r.invoice_id, 22);
	/* Nothing at all. */
	r = run(idx, 7700, "EUR", NULL, "gift", "DE02120300000000202051",
		"Someone Else");
	CHECK_INT(r.kind, MATCH_NONE);
	CHECK(r.rule == NULL);
	match_index_free(idx);
}

int main(void)
{
	RUN(nl_check_digit);
	RUN(rule_rf);
	RUN(rule_nl_ref);
	RUN(rule_invoice_number);
	RUN(rule_amount);
	return CHECK_DONE();
}
