/*
 * test_qr: RF creditor references, IBAN and BIC checks, the EPC QR payload,
 * and QR symbols read back by a real decoder (zbarimg), by cairo (PNG
 * pixels) and by a small parser (SVG path).
 *
 * Known values: RF18539007547034, RF712348231 and RF45G72UUR are the
 * ISO 11649 examples; the IBANs are the SWIFT IBAN registry's examples.
 */
#include <cairo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "check.h"
#include "err.h"
#include "qr.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static int contains(const char *hay, const char *needle)
{
	return strstr(hay, needle) != NULL;
}

/* CHECK that the last error message holds `needle`, and show it if not. */
#define CHECK_MSG(e, needle)                                                \
	do {                                                                \
		if (!contains((e).msg, (needle))) {                         \
			printf("  %s:%d: message \"%s\" lacks \"%s\"\n",    \
			       __FILE__, __LINE__, (e).msg, (needle));      \
			check_failed_here++;                                \
		}                                                           \
	} while (0)

/* ---- RF ----------------------------------------------------------------- */

TEST(test_rf_make)
{
	static const struct {
		const char *base, *want;
	} cases[] = {
		{ "539007547034", "RF18539007547034" },
		{ "2348231", "RF712348231" },
		{ "G72UUR", "RF45G72UUR" },
		{ "g72uur", "RF45G72UUR" }, /* letters upper-cased */
		{ "A", "RF25A" },
		{ "0", "RF040" },
		{ "ZZZZZZZZZZZZZZZZZZZZZ", "RF09ZZZZZZZZZZZZZZZZZZZZZ" }, /* 21 */
	};
	char buf[RF_BUF];
	struct err e;

	for (size_t i = 0; i < N_OF(cases); i++) {
		CHECK_INT(rf_make(cases[i].base, buf, sizeof(buf), &e), 0);
		CHECK_STR(buf, cases[i].want);
		CHECK_INT(rf_valid(buf, &e), 0);
	}

	/* Bad bases: error, buffer untouched. */
	static const struct {
		const char *base, *msg;
	} bad[] = {
		{ "", "empty" },
		{ "ZZZZZZZZZZZZZZZZZZZZZZ", "longer than 21" }, /* 22 */
		{ "ABC-1", "character 4 " },
		{ "AB C", "character 3 " },
		{ "M\xc3\xbcller", "character 2 " },
		{ "12.50", "character 3 " },
	};
	for (size_t i = 0; i < N_OF(bad); i++) {
		memcpy(buf, "untouched", 10);
		CHECK_INT(rf_make(bad[i].base, buf, sizeof(buf), &e),
			  -ERR_INVALID);
		CHECK_MSG(e, bad[i].msg);
		CHECK_MSG(e, "RF base");
		CHECK_STR(buf, "untouched");
	}
	CHECK_INT(rf_make(NULL, buf, sizeof(buf), &e), -ERR_INVALID);

	/* The result and its NUL must fit. */
	memcpy(buf, "untouched", 10);
	CHECK_INT(rf_make("539007547034", buf, 16, &e), -ERR_TOOBIG);
	CHECK_STR(buf, "untouched");
	CHECK_INT(rf_make("539007547034", buf, 17, &e), 0);
	CHECK_STR(buf, "RF18539007547034");
}

TEST(test_rf_valid)
{
	static const char *const good[] = {
		"RF18539007547034",
		"RF18 5390 0754 7034",
		"rf18539007547034",
		"RF18 539007547034",
		"RF712348231",
		"RF71 2348 231",
		"RF45G72UUR",
		"RF45 g72u ur",
		"RF040",
	};
	static const struct {
		const char *s, *msg;
	} bad[] = {
		{ "RF19539007547034", "check digits 19 do not match (expected 18)" },
		{ "RF17539007547034", "expected 18" },
		{ "RF18539007547035", "do not match" },
		{ "RF18539007547043", "do not match" }, /* transposed */
		{ "RF00539007547034", "out of range" },
		{ "RF01539007547034", "out of range" },
		{ "RF99539007547034", "out of range" },
		{ "", "too short" },
		{ "RF18", "too short" },
		{ "RF18 ", "too short" },
		{ "XX18539007547034", "does not start with RF" },
		{ "18RF539007547034", "does not start with RF" },
		{ "RFAB539007547034", "not digits" },
		{ "RF18-5390-0754-7034", "character 5 " },
		{ "RF18\t5390", "character 5 " },
		{ "RF18539007547034\n", "character 17 " },
		{ "RF0" "9ZZZZZZZZZZZZZZZZZZZZZZ", "longer than 25" },
	};
	struct err e;

	for (size_t i = 0; i < N_OF(good); i++) {
		int r = rf_valid(good[i], &e);
		if (r != 0) {
			printf("  \"%s\": %s\n", good[i], e.msg);
			check_failed_here++;
		}
	}
	for (size_t i = 0; i < N_OF(bad); i++) {
		CHECK_INT(rf_valid(bad[i].s, &e), -ERR_INVALID);
		CHECK_MSG(e, bad[i].msg);
		CHECK_MSG(e, "RF reference");
	}
	CHECK_INT(rf_valid(NULL, &e), -ERR_INVALID);

	/* Mod 97 catches every change of one digit: try them all. */
	const char *ref = "RF18539007547034";
	char t[RF_BUF];
	int accepted = 0;
	for (size_t p = 2; p < strlen(ref); p++) {
		for (char c = '0'; c <= '9'; c++) {
			if (c == ref[p])
				continue;
			memcpy(t, ref, strlen(ref) + 1);
			t[p] = c;
			if (rf_valid(t, NULL) == 0)
				accepted++;
		}
	}
	CHECK_INT(accepted, 0);
	/* and every reference rf_make builds is valid, lower case or not */
	char base[RF_BASE_MAX + 1];
	for (int n = 1; n <= RF_BASE_MAX; n++) {
		for (int i = 0; i < n; i++)
			base[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[(n * 7 + i * 13) % 36];
		base[n] = '\0';
		CHECK_INT(rf_make(base, t, sizeof(t), &e), 0);
		CHECK_INT(rf_valid(t, &e), 0);
	}
}

TEST(test_rf_print_normalize)
{
	char buf[RF_PRINT_BUF];
	struct err e;

	CHECK_INT(rf_format_print("RF18539007547034", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "RF18 5390 0754 7034");
	CHECK_INT(rf_format_print("rf18 5390075 47034", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "RF18 5390 0754 7034");
	CHECK_INT(rf_format_print("RF712348231", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "RF71 2348 231");
	CHECK_INT(rf_format_print("RF040", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "RF04 0");
	CHECK_INT(rf_format_print("RF09ZZZZZZZZZZZZZZZZZZZZZ", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "RF09 ZZZZ ZZZZ ZZZZ ZZZZ ZZZZ Z");
	CHECK_INT((int)strlen(buf), RF_PRINT_BUF - 1);
	/* invalid input, small buffer: error, untouched */
	memcpy(buf, "untouched", 10);
	CHECK_INT(rf_format_print("RF19539007547034", buf, sizeof(buf), &e),
		  -ERR_INVALID);
	CHECK_STR(buf, "untouched");
	CHECK_INT(rf_format_print("RF18539007547034", buf, 19, &e), -ERR_TOOBIG);
	CHECK_STR(buf, "untouched");

	CHECK_INT(rf_normalize("rf18 5390 0754 7034", buf, sizeof(buf), &e), 0);
	CHECK_STR(buf, "RF18539007547034");
	CHECK_INT(rf_normalize("RF18 5390 0754 7035", buf, sizeof(buf), &e),
		  -ERR_INVALID);
	CHECK_STR(buf, "RF18539007547034");
}

/* ---- IBAN and BIC ------------------------------------------------------- */

TEST(test_iban)
{
	static const char *const good[] = {
		/* the task's list */
		"NL91ABNA0417164300", "DE89370400440532013000",
		"BE68539007547034", "FR1420041010050500013M02606",
		"GB29NWBK60161331926819",
		/* print form and lower case */
		"NL91 ABNA 0417 1643 00", "nl91abna0417164300",
		"FR14 2004 1010 0505 0001 3M02 606",
		/* the registry's example for every other SEPA country */
		"AT611904300234573201", "CH9300762011623852957",
		"ES9121000418450200051332", "IT60X0542811101000000123456",
		"PL61109010140000071219812874", "SE4550000000058398257466",
		"NO9386011117947", "MT84MALT011000012345MTLCAST001S",
		"FI2112345600000785", "IE29AIBK93115212345678",
		"PT50000201231234567890154", "LU280019400644750000",
		"HR1210010051863000160", "SI56263300012039086",
		"SK3112000000198742637541", "CZ6508000000192000145399",
		"DK5000400440116243", "EE382200221020145685",
		"LT121000011101001000", "LV80BANK0000435195001",
		"HU42117730161111101800000000", "CY17002001280000001200527600",
		"GR1601101250000000012300695", "BG80BNBG96611020345678",
		"RO49AAAA1B31007593840000", "IS140159260076545510730339",
		"LI21088100002324013AA", "MC5811222000010123456789030",
		"SM86U0322509800000000270100", "GI75NWBK000000007099453",
		"AD1200012030200359100100", "VA59001123000012345678",
		"AL47212110090000000235698741", "MD24AG000225100013104168",
		"ME25505000012345678951", "MK07250120000058984",
		"RS35260005601001611379",
		/* longest in the registry */
		"LC55HEMM000100010012001200023015",
	};
	static const struct {
		const char *s, *msg;
	} bad[] = {
		{ "NL91ABNA0417164301", "check digits 91 do not match" },
		{ "NL92ABNA0417164300", "do not match" },
		{ "DE89370400440532013001", "do not match" },
		{ "DE89370400440523013000", "do not match" }, /* transposed */
		{ "GB29NWBK60161331926818", "do not match" },
		{ "NL91ABNA041716430", "17 characters, an IBAN of NL has 18" },
		{ "DE893704004405320130000", "23 characters" },
		{ "BE6853900754703", "15 characters" },
		{ "XX91ABNA0417164300", "unknown country code XX" },
		{ "US64SVBKUS6S3300958879", "unknown country code US" },
		{ "1291ABNA0417164300", "does not start with a country code" },
		{ "NLAAABNA0417164300", "not digits" },
		{ "NL00ABNA0417164300", "out of range" },
		{ "NL99ABNA0417164300", "out of range" },
		{ "NL91-ABNA-0417-1643-00", "character 5 " },
		{ "NL91ABNA0417164300.", "character 19 " },
		{ "", "too short" },
		{ "NL91", "too short" },
		{ "LC55HEMM0001000100120012000230150", "33 characters, an IBAN of LC has 32" },
		{ "LC55HEMM00010001001200120002301500", "34 characters" },
		{ "LC55HEMM000100010012001200023015000", "longer than 34" },
	};
	char buf[IBAN_BUF];
	struct err e;

	for (size_t i = 0; i < N_OF(good); i++) {
		if (iban_valid(good[i], &e) != 0) {
			printf("  \"%s\": %s\n", good[i], e.msg);
			check_failed_here++;
		}
	}
	for (size_t i = 0; i < N_OF(bad); i++) {
		CHECK_INT(iban_valid(bad[i].s, &e), -ERR_INVALID);
		CHECK_MSG(e, bad[i].msg);
		CHECK_MSG(e, "IBAN");
	}
	CHECK_INT(iban_valid(NULL, &e), -ERR_INVALID);

	CHECK_INT(iban_normalize("fr14 2004 1010 0505 0001 3m02 606", buf,
				 sizeof(buf), &e), 0);
	CHECK_STR(buf, "FR1420041010050500013M02606");
	CHECK_INT(iban_normalize("NL91 ABNA 0417 1643 00", buf, 18, &e),
		  -ERR_TOOBIG);
	CHECK_STR(buf, "FR1420041010050500013M02606");
	CHECK_INT(iban_normalize("NL91 ABNA 0417 1643 00", buf, 19, &e), 0);
	CHECK_STR(buf, "NL91ABNA0417164300");
}

TEST(test_bic)
{
	static const char *const good[] = {
		"ABNANL2A", "DEUTDEFF", "DEUTDEFF500", "BPOTBEB1", "NWBKGB2L",
		"GEBABEBB", "BNPAFRPPXXX", "1234DEFFXXX" /* numeric prefix */,
	};
	static const struct {
		const char *s, *msg;
	} bad[] = {
		{ "ABNANL2", "7 characters" },
		{ "ABNANL2A5", "9 characters" },
		{ "ABNANL2A50", "10 characters" },
		{ "ABNANL2AXXXX", "12 characters" },
		{ "", "0 characters" },
		{ "abnanl2a", "character 1 " },
		{ "ABNA1L2A", "character 5 must be an upper-case letter (country)" },
		{ "ABNAN22A", "character 6 " },
		{ "ABNANL2-", "character 8 " },
		{ "ABNA NL2A", "9 characters" },
		{ "DEUTDEFF50x", "character 11 " },
	};
	struct err e;

	for (size_t i = 0; i < N_OF(good); i++) {
		if (bic_valid(good[i], &e) != 0) {
			printf("  \"%s\": %s\n", good[i], e.msg);
			check_failed_here++;
		}
	}
	for (size_t i = 0; i < N_OF(bad); i++) {
		CHECK_INT(bic_valid(bad[i].s, &e), -ERR_INVALID);
		CHECK_MSG(e, bad[i].msg);
		CHECK_MSG(e, "BIC");
	}
	CHECK_INT(bic_valid(NULL, &e), -ERR_INVALID);
}

/* ---- EPC payload -------------------------------------------------------- */

/* The guideline's own sample, with the amount as this module writes it. */
static struct epc_fields epc_sample(void)
{
	struct epc_fields f = { 0 };
	f.bic = "BPOTBEB1";
	f.name = "Red Cross of Belgium";
	f.iban = "BE72000000001616";
	f.amount_minor = 100;
	f.purpose = "CHAR";
	f.text = "Urgency fund";
	f.info = "Sample EPC QR code";
	return f;
}

static const char epc_sample_text[] = "BCD\n002\n1\nSCT\nBPOTBEB1\n"
				      "Red Cross of Belgium\nBE72000000001616\n"
				      "EUR1.00\nCHAR\n\nUrgency fund\n"
				      "Sample EPC QR code";

/* The payload for f as a string ("" and the message printed on error). */
static int epc_text_of(const struct epc_fields *f, struct buf *b,
		       struct err *e)
{
	buf_init(b, 4096);
	return epc_payload(f, b, e);
}

TEST(test_epc_payload)
{
	struct epc_fields f = epc_sample();
	struct buf b;
	struct err e;

	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	CHECK_STR(buf_cstr(&b), epc_sample_text);
	buf_free(&b);

	/* Structured reference instead of text, print forms normalised, no
	 * BIC, odd amounts, trailing empty elements left out. */
	f = epc_sample();
	f.bic = NULL;
	f.iban = "nl91 abna 0417 1643 00";
	f.amount_minor = 1234;
	f.purpose = NULL;
	f.text = NULL;
	f.info = "";
	f.reference = "rf18 5390 0754 7034";
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	CHECK_STR(buf_cstr(&b), "BCD\n002\n1\nSCT\n\nRed Cross of Belgium\n"
				"NL91ABNA0417164300\nEUR12.34\n\n"
				"RF18539007547034");
	buf_free(&b);

	/* Only what is required: the payload ends with the amount. */
	f = (struct epc_fields){ 0 };
	f.name = "Zo\xc3\xab M\xc3\xbcller-L\xc3\xbc" "denscheidt";
	f.iban = "DE89370400440532013000";
	f.amount_minor = 1;
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	CHECK_STR(buf_cstr(&b), "BCD\n002\n1\nSCT\n\nZo\xc3\xab M\xc3\xbcller-"
				"L\xc3\xbc" "denscheidt\nDE89370400440532013000\n"
				"EUR0.01");
	buf_free(&b);

	/* The largest amount, and text with info after an empty reference. */
	f.amount_minor = EPC_AMOUNT_MAX;
	f.text = "Invoice 2024-117 & 2024-118";
	f.info = "Thank you";
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	CHECK(contains(buf_cstr(&b), "\nEUR999999999.99\n\n\n"
				     "Invoice 2024-117 & 2024-118\nThank you"));
	CHECK(buf_cstr(&b)[b.len - 1] == 'u'); /* no trailing separator */
	buf_free(&b);

	/* Appends to what out holds already. */
	f = epc_sample();
	buf_init(&b, 4096);
	buf_puts(&b, "x");
	CHECK_INT(epc_payload(&f, &b, &e), 0);
	CHECK(b.len == sizeof(epc_sample_text) && b.data[0] == 'x' &&
	      strcmp(b.data + 1, epc_sample_text) == 0);
	buf_free(&b);
	/* An output bound too small: -ERR_TOOBIG, out untouched. */
	buf_init(&b, 50);
	buf_puts(&b, "keep");
	CHECK_INT(epc_payload(&f, &b, &e), -ERR_TOOBIG);
	CHECK_STR(buf_cstr(&b), "keep");
	buf_free(&b);
}

/* Run f, expect `code`, out untouched, and a message holding both needles
 * (the field and the value). */
static void epc_bad(struct epc_fields f, int code, const char *field,
		    const char *value)
{
	struct buf b;
	struct err e;

	buf_init(&b, 4096);
	CHECK_INT(epc_payload(&f, &b, &e), code);
	CHECK_INT(b.len, 0);
	CHECK_MSG(e, field);
	CHECK_MSG(e, value);
	buf_free(&b);
}

/* n copies of the UTF-8 character `ch` into out (cap bytes). */
static char *repeat(char *out, size_t cap, const char *ch, size_t n)
{
	size_t k = strlen(ch), len = 0;
	for (size_t i = 0; i < n && len + k < cap; i++, len += k)
		memcpy(out + len, ch, k);
	out[len] = '\0';
	return out;
}

TEST(test_epc_errors)
{
	char s71[80], s141[160], big[400], big2[400];
	struct epc_fields f;

	f = epc_sample(); f.bic = "BPOTBEB";
	epc_bad(f, -ERR_INVALID, "epc: bic: ", "\"BPOTBEB\"");
	f = epc_sample(); f.bic = "bpotbeb1";
	epc_bad(f, -ERR_INVALID, "epc: bic: ", "\"bpotbeb1\"");

	f = epc_sample(); f.name = NULL;
	epc_bad(f, -ERR_INVALID, "epc: name", "required");
	f = epc_sample(); f.name = "";
	epc_bad(f, -ERR_INVALID, "epc: name", "required");
	f = epc_sample(); f.name = repeat(s71, sizeof(s71), "a", 71);
	epc_bad(f, -ERR_INVALID, "epc: name \"aaaa", "71 characters, at most 70");
	f = epc_sample(); f.name = "Red Cross\nof Belgium";
	epc_bad(f, -ERR_INVALID, "epc: name \"Red Cross?of", "byte 10 is a control character");
	f = epc_sample(); f.name = "Red Cross\r";
	epc_bad(f, -ERR_INVALID, "epc: name", "control character");
	f = epc_sample(); f.name = "Zo\xeb M\xfcller"; /* Latin-1, not UTF-8 */
	epc_bad(f, -ERR_INVALID, "epc: name \"Zo? M?ller\"", "byte 3 is not valid UTF-8");
	f = epc_sample(); f.name = "over\xc0\xaflong";
	epc_bad(f, -ERR_INVALID, "epc: name", "byte 5 is not valid UTF-8");
	f = epc_sample(); f.name = "cut \xc3";
	epc_bad(f, -ERR_INVALID, "epc: name", "byte 5 is not valid UTF-8");
	f = epc_sample(); f.name = "surrogate \xed\xa0\x80";
	epc_bad(f, -ERR_INVALID, "epc: name", "not valid UTF-8");
	f = epc_sample(); f.name = "c1 \xc2\x85";
	epc_bad(f, -ERR_INVALID, "epc: name", "control character");

	f = epc_sample(); f.iban = NULL;
	epc_bad(f, -ERR_INVALID, "epc: iban", "required");
	f = epc_sample(); f.iban = "BE72000000001617";
	epc_bad(f, -ERR_INVALID, "epc: iban: ", "\"BE72000000001617\": check digits 72 do not match");
	f = epc_sample(); f.iban = "BE7200000000161";
	epc_bad(f, -ERR_INVALID, "epc: iban: ", "\"BE7200000000161\"");

	f = epc_sample(); f.amount_minor = 0;
	epc_bad(f, -ERR_RANGE, "epc: amount", "0 cents");
	f = epc_sample(); f.amount_minor = -500;
	epc_bad(f, -ERR_RANGE, "epc: amount", "-500 cents");
	f = epc_sample(); f.amount_minor = EPC_AMOUNT_MAX + 1;
	epc_bad(f, -ERR_RANGE, "epc: amount", "100000000000 cents");

	f = epc_sample(); f.purpose = "CHA";
	epc_bad(f, -ERR_INVALID, "epc: purpose", "\"CHA\"");
	f = epc_sample(); f.purpose = "CHARS";
	epc_bad(f, -ERR_INVALID, "epc: purpose", "\"CHARS\"");
	f = epc_sample(); f.purpose = "char";
	epc_bad(f, -ERR_INVALID, "epc: purpose", "\"char\"");

	f = epc_sample(); f.text = NULL; f.reference = "RF19539007547034";
	epc_bad(f, -ERR_INVALID, "epc: reference: ", "\"RF19539007547034\": check digits 19");
	f = epc_sample(); f.text = NULL; f.reference = "2024-117";
	epc_bad(f, -ERR_INVALID, "epc: reference: ", "\"2024-117\"");
	f = epc_sample(); f.reference = "RF18539007547034";
	epc_bad(f, -ERR_INVALID, "epc: reference \"RF18539007547034\" and text \"Urgency fund\"",
		"one or the other");

	f = epc_sample(); f.text = repeat(s141, sizeof(s141), "t", 141);
	epc_bad(f, -ERR_INVALID, "epc: text \"tttt", "141 characters, at most 140");
	f = epc_sample(); f.text = "line one\nline two";
	epc_bad(f, -ERR_INVALID, "epc: text \"line one?line two\"", "byte 9 is a control character");
	f = epc_sample(); f.info = repeat(s71, sizeof(s71), "i", 71);
	epc_bad(f, -ERR_INVALID, "epc: info \"iiii", "71 characters, at most 70");
	f = epc_sample(); f.info = "tab\there";
	epc_bad(f, -ERR_INVALID, "epc: info", "control character");

	/* Every field within its character limit, yet 70 + 140 two-byte
	 * characters make more than 331 bytes. */
	f = epc_sample();
	f.name = repeat(big, sizeof(big), "\xc3\xbc", 70);
	f.text = repeat(big2, sizeof(big2), "\xc3\xbc", 140);
	epc_bad(f, -ERR_TOOBIG, "epc: payload of", "longer than 331");
	/* The same characters count as 70 and 140: within the limits. */
	f.text = repeat(big2, sizeof(big2), "\xc3\xbc", 50);
	{
		struct buf b;
		struct err e;
		CHECK_INT(epc_text_of(&f, &b, &e), 0);
		buf_free(&b);
	}

	CHECK_INT(epc_payload(NULL, NULL, NULL), -ERR_INVALID);
}

static void roundtrip(const char *data, enum qr_ecc ecc, int px);

/* Exactly 331 bytes pass and encode in version 13 at level M (the limit is
 * that symbol's byte capacity); 332 do not. */
TEST(test_epc_limit)
{
	char name[80], info[80], text[200];
	struct epc_fields f = { 0 };
	struct qr_code *q = NULL;
	struct buf b;
	struct err e;

	f.bic = "DEUTDEFF500";
	f.name = repeat(name, sizeof(name), "N", 70);
	f.iban = "LC55HEMM000100010012001200023015";
	f.amount_minor = EPC_AMOUNT_MAX;
	f.purpose = "SUPP";
	f.info = repeat(info, sizeof(info), "I", 70);
	f.text = "x";
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	size_t fixed = b.len - 1;
	buf_free(&b);
	CHECK(EPC_PAYLOAD_MAX - fixed <= EPC_TEXT_MAX);

	f.text = repeat(text, sizeof(text), "T", EPC_PAYLOAD_MAX - fixed);
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	CHECK_INT(b.len, EPC_PAYLOAD_MAX);
	CHECK_INT(qr_encode(b.data, b.len, QR_ECC_M, &q, &e), 0);
	if (q) {
		CHECK_INT(q->version, 13);
		CHECK_INT(q->width, 69);
	}
	qr_free(q);
	roundtrip(b.data, QR_ECC_M, 3); /* and a decoder reads it back */
	buf_free(&b);

	f.text = repeat(text, sizeof(text), "T", EPC_PAYLOAD_MAX - fixed + 1);
	CHECK_INT(epc_text_of(&f, &b, &e), -ERR_TOOBIG);
	CHECK_MSG(e, "payload of 332 bytes");
	buf_free(&b);
}

/* ---- QR symbols --------------------------------------------------------- */

/* The 7x7 finder pattern with its top-left corner at (x, y). */
static int finder_at(const struct qr_code *q, int x, int y)
{
	for (int dy = 0; dy < 7; dy++) {
		for (int dx = 0; dx < 7; dx++) {
			int ring = dx == 0 || dx == 6 || dy == 0 || dy == 6;
			int core = dx >= 2 && dx <= 4 && dy >= 2 && dy <= 4;
			int want = ring || core;
			if (q->modules[(y + dy) * q->width + (x + dx)] != want)
				return 0;
		}
	}
	return 1;
}

static size_t dark_count(const struct qr_code *q)
{
	size_t n = 0;
	for (int i = 0; i < q->width * q->width; i++)
		n += q->modules[i];
	return n;
}

TEST(test_qr_encode)
{
	struct qr_code *q = NULL, *qh = NULL;
	struct err e;
	char big[3000];

	CHECK_INT(qr_encode("hello", 5, QR_ECC_M, &q, &e), 0);
	if (!q)
		return;
	CHECK_INT(q->version, 1);
	CHECK_INT(q->width, 21);
	CHECK(finder_at(q, 0, 0));
	CHECK(finder_at(q, q->width - 7, 0));
	CHECK(finder_at(q, 0, q->width - 7));
	for (int i = 0; i < q->width * q->width; i++)
		CHECK(q->modules[i] <= 1);
	/* timing pattern: row 6 alternates between the finders */
	for (int x = 8; x < q->width - 8; x++)
		CHECK_INT(q->modules[6 * q->width + x], x % 2 == 0);
	qr_free(q);
	q = NULL;

	/* More correction, bigger symbol for the same data. */
	const char *url = "https://pay.example.org/p/3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o";
	CHECK_INT(qr_encode(url, strlen(url), QR_ECC_L, &q, &e), 0);
	CHECK_INT(qr_encode(url, strlen(url), QR_ECC_H, &qh, &e), 0);
	if (q && qh)
		CHECK(qh->version > q->version);
	qr_free(q);
	qr_free(qh);
	q = NULL;

	/* NUL bytes are data too. */
	CHECK_INT(qr_encode("a\0b", 3, QR_ECC_L, &q, &e), 0);
	qr_free(q);
	q = NULL;

	/* Too much data, nothing, a bad level. */
	memset(big, 'x', sizeof(big));
	CHECK_INT(qr_encode(big, sizeof(big), QR_ECC_L, &q, &e), -ERR_TOOBIG);
	CHECK_INT(qr_encode(big, 2953, QR_ECC_H, &q, &e), -ERR_TOOBIG);
	CHECK_MSG(e, "level H");
	CHECK_INT(qr_encode(big, 2953, QR_ECC_L, &q, &e), 0);
	if (q)
		CHECK_INT(q->version, 40);
	qr_free(q);
	q = NULL;
	CHECK_INT(qr_encode("", 0, QR_ECC_M, &q, &e), -ERR_INVALID);
	CHECK_INT(qr_encode("x", 1, (enum qr_ecc)7, &q, &e), -ERR_INVALID);
	CHECK(q == NULL);
	qr_free(NULL);
}

/* Read a PNG from memory with cairo. */
struct png_src {
	const unsigned char *p; /* PNG bytes */
	size_t len, off;        /* size, read position */
};

static cairo_status_t png_read(void *closure, unsigned char *data,
			       unsigned int length)
{
	struct png_src *s = closure;
	if (length > s->len - s->off)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, s->p + s->off, length);
	s->off += length;
	return CAIRO_STATUS_SUCCESS;
}

/* Every pixel of the PNG is the colour of the module (or quiet zone) it
 * lies in. */
static void check_png_pixels(const struct buf *png, const struct qr_code *q,
			     int px, int quiet)
{
	struct png_src src = { (const unsigned char *)png->data, png->len, 0 };
	cairo_surface_t *s =
		cairo_image_surface_create_from_png_stream(png_read, &src);
	int side = (q->width + 2 * quiet) * px, wrong = 0;

	CHECK_INT(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
		goto out;
	CHECK_INT(cairo_image_surface_get_width(s), side);
	CHECK_INT(cairo_image_surface_get_height(s), side);
	if (cairo_image_surface_get_width(s) != side)
		goto out;
	cairo_surface_flush(s);
	const unsigned char *data = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++) {
			unsigned pix;
			int mx = x / px - quiet, my = y / px - quiet, dark = 0;
			memcpy(&pix, data + y * stride + x * 4, 4);
			if (mx >= 0 && my >= 0 && mx < q->width && my < q->width)
				dark = q->modules[my * q->width + mx];
			if ((pix & 0xffffffu) != (dark ? 0u : 0xffffffu))
				wrong++;
		}
	}
	CHECK_INT(wrong, 0);
out:
	cairo_surface_destroy(s);
}

/* Decode `png` with zbarimg; returns its exit status, output in out. */
static int zbar_decode(const struct buf *png, const char *opts,
		       struct buf *out)
{
	const char *dir = getenv("TMPDIR");
	char path[512], cmd[700], chunk[512];
	FILE *f, *p;
	size_t n;
	int fd, st;

	snprintf(path, sizeof(path), "%s/dunwell-qr-XXXXXX.png",
		 dir && *dir ? dir : "/tmp");
	fd = mkstemps(path, 4);
	if (fd < 0)
		return -1;
	f = fdopen(fd, "wb");
	if (!f || fwrite(png->data, 1, png->len, f) != png->len) {
		if (f)
			fclose(f);
		unlink(path);
		return -1;
	}
	fclose(f);
	/* stderr dropped: ImageMagick may chatter about D-Bus. */
	snprintf(cmd, sizeof(cmd), "zbarimg --raw -q %s '%s' 2>/dev/null",
		 opts, path);
	p = popen(cmd, "r");
	if (!p) {
		unlink(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_append(out, chunk, n);
	st = pclose(p);
	unlink(path);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		printf("  zbarimg not found: install zbar-tools\n");
	return st;
}

/* Encode `data` at level ecc, draw it as a PNG, read it back with cairo
 * and with zbarimg, and compare byte for byte. */
static void roundtrip(const char *data, enum qr_ecc ecc, int px)
{
	struct qr_code *q = NULL;
	struct buf png, got;
	struct err e;
	size_t len = strlen(data);
	int ascii = 1;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] >= 0x80)
			ascii = 0;
	CHECK_INT(qr_encode(data, len, ecc, &q, &e), 0);
	if (!q)
		return;
	buf_init(&png, 1 << 24);
	CHECK_INT(qr_png(q, px, 4, &png, &e), 0);
	CHECK(png.len > 8 && memcmp(png.data, "\x89PNG\r\n\x1a\n", 8) == 0);
	check_png_pixels(&png, q, px, 4);

	/* -Sbinary: zbarimg prints the symbol's bytes as they are, with no
	 * newline after them. Without it, zbar guesses the text encoding of
	 * byte-mode data and takes UTF-8 "ë" (c3 ab) for Shift-JIS, printing
	 * other characters: EPC payloads declare their encoding on line 3
	 * instead, which banking apps honour, so the raw bytes are what must
	 * match. */
	buf_init(&got, 1 << 16);
	CHECK_INT(zbar_decode(&png, "-Sbinary", &got), 0);
	if (got.len != len || memcmp(buf_cstr(&got), data, len) != 0) {
		printf("  zbarimg -Sbinary read \"%s\", want \"%s\"\n",
		       buf_cstr(&got), data);
		check_failed_here++;
	}
	buf_free(&got);
	if (ascii) {
		/* Plain ASCII reads the same in zbarimg's default mode,
		 * which ends the symbol's text with a newline. */
		buf_init(&got, 1 << 16);
		CHECK_INT(zbar_decode(&png, "", &got), 0);
		CHECK(got.len == len + 1 && memcmp(got.data, data, len) == 0 &&
		      got.data[len] == '\n');
		buf_free(&got);
	}
	buf_free(&png);
	qr_free(q);
}

TEST(test_qr_png_decoded)
{
	struct epc_fields f = epc_sample();
	struct buf b;
	struct err e;

	/* The EPC sample at level M, as the guideline asks. */
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	roundtrip(buf_cstr(&b), QR_ECC_M, 4);
	buf_free(&b);

	/* Non-ASCII beneficiary names, a reference, the largest amount. */
	f = epc_sample();
	f.name = "Zo\xc3\xab M\xc3\xbcller-L\xc3\xbc" "denscheidt";
	f.iban = "DE89 3704 0044 0532 0130 00";
	f.amount_minor = 4711;
	f.text = NULL;
	f.reference = "RF18 5390 0754 7034";
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	roundtrip(buf_cstr(&b), QR_ECC_M, 3);
	buf_free(&b);

	f = epc_sample();
	f.name = "\xc5\xbd\xc3\xa1\xc4\x8d" "ek & S\xc3\xb8n \xe2\x80\x93 "
		 "\xce\x95\xce\xbb\xce\xbb\xce\xac\xce\xb4\xce\xb1"; /* Žáček & Søn – Ελλάδα */
	f.amount_minor = EPC_AMOUNT_MAX;
	f.text = "Rechnung 2024/117 \xe2\x82\xac f\xc3\xa4llig";
	CHECK_INT(epc_text_of(&f, &b, &e), 0);
	roundtrip(buf_cstr(&b), QR_ECC_M, 2);
	buf_free(&b);

	/* A personal link at each level. */
	const char *url = "https://pay.example.org/p/3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o";
	roundtrip(url, QR_ECC_L, 4);
	roundtrip(url, QR_ECC_M, 4);
	roundtrip(url, QR_ECC_Q, 5);
	/* zbar finds nothing at one pixel a module: two is its least. */
	roundtrip(url, QR_ECC_H, 2);
}

TEST(test_qr_png_args)
{
	struct qr_code *q = NULL;
	struct buf b;
	struct err e;

	CHECK_INT(qr_encode("hello", 5, QR_ECC_M, &q, &e), 0);
	if (!q)
		return;
	/* Size from the IHDR chunk: (21 + 2 * 2) * 3 = 75 pixels. */
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_png(q, 3, 2, &b, &e), 0);
	if (b.len > 24) {
		const unsigned char *p = (const unsigned char *)b.data;
		CHECK_INT((p[16] << 24) | (p[17] << 16) | (p[18] << 8) | p[19], 75);
		CHECK_INT((p[20] << 24) | (p[21] << 16) | (p[22] << 8) | p[23], 75);
	}
	check_png_pixels(&b, q, 3, 2);
	check_png_pixels(&b, q, 3, 2);
	buf_free(&b);

	buf_init(&b, 1 << 20);
	CHECK_INT(qr_png(q, 0, 4, &b, &e), -ERR_RANGE);
	CHECK_INT(qr_png(q, 65, 4, &b, &e), -ERR_RANGE);
	CHECK_INT(qr_png(q, 4, -1, &b, &e), -ERR_RANGE);
	CHECK_INT(qr_png(q, 4, 17, &b, &e), -ERR_RANGE);
	CHECK_INT(b.len, 0);
	buf_free(&b);
	/* No room: -ERR_TOOBIG and out untouched. */
	buf_init(&b, 64);
	buf_puts(&b, "keep");
	CHECK_INT(qr_png(q, 4, 4, &b, &e), -ERR_TOOBIG);
	CHECK_STR(buf_cstr(&b), "keep");
	buf_free(&b);
	qr_free(q);

	/* A version 40 symbol at 64 pixels a module is over the limit. */
	char big[2953];
	memset(big, 'x', sizeof(big));
	q = NULL;
	CHECK_INT(qr_encode(big, sizeof(big), QR_ECC_L, &q, &e), 0);
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_png(q, 64, 4, &b, &e), -ERR_RANGE);
	CHECK_MSG(e, "pixels a side");
	CHECK_INT(qr_png(NULL, 4, 4, &b, &e), -ERR_INVALID);
	buf_free(&b);
	qr_free(q);
}

/* Rebuild the module matrix from the SVG path ("M<x> <y>h<n>v1h-<n>z"
 * runs) into m (side × side); returns the dark modules drawn, or -1 when
 * the path does not parse. */
static long svg_modules(const char *svg, unsigned char *m, int side)
{
	const char *p = strstr(svg, " d=\"");
	long dark = 0;

	if (!p)
		return -1;
	p += 4;
	while (*p == 'M') {
		char *end;
		long x = strtol(p + 1, &end, 10), y, n, n2;
		if (*end != ' ')
			return -1;
		y = strtol(end + 1, &end, 10);
		if (*end != 'h')
			return -1;
		n = strtol(end + 1, &end, 10);
		if (strncmp(end, "v1h-", 4) != 0)
			return -1;
		n2 = strtol(end + 4, &end, 10);
		if (*end != 'z' || n2 != n || n < 1 || x < 0 || y < 0 ||
		    x + n > side || y >= side)
			return -1;
		for (long i = 0; i < n; i++) {
			if (m[y * side + x + i])
				return -1; /* drawn twice */
			m[y * side + x + i] = 1;
		}
		dark += n;
		p = end + 1;
	}
	return *p == '"' ? dark : -1;
}

static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

TEST(test_qr_svg)
{
	struct qr_code *q = NULL;
	struct buf b;
	struct err e;
	const char *url = "https://pay.example.org/p/3q2-7_cUxKfWvOa9Zm1Ng8sYbTjLpR4eHdQkA0iV5o";

	CHECK_INT(qr_encode(url, strlen(url), QR_ECC_M, &q, &e), 0);
	if (!q)
		return;
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_svg(q, 4, "Pay \"now\" <A&B's> \xe2\x82\xac", &b, &e), 0);
	const char *s = buf_cstr(&b);
	int side = q->width + 8;
	char want[128];

	CHECK(strncmp(s, "<svg xmlns=\"http://www.w3.org/2000/svg\" ", 40) == 0);
	CHECK(b.len > 6 && strcmp(s + b.len - 6, "</svg>") == 0);
	snprintf(want, sizeof(want), "viewBox=\"0 0 %d %d\"", side, side);
	CHECK(contains(s, want));
	CHECK(contains(s, " role=\"img\""));
	CHECK(contains(s, " aria-label=\"Pay &quot;now&quot; &lt;A&amp;B&#39;s&gt; \xe2\x82\xac\""));
	CHECK_INT(count_of(s, "<path"), 1);
	CHECK_INT(count_of(s, "<svg"), 1);
	CHECK_INT(count_of(s, "<"), 4); /* svg, rect, path, /svg */
	CHECK_INT(count_of(s, ">"), 4);

	/* The path draws exactly the dark modules, shifted by the quiet
	 * zone, each once. */
	unsigned char *m = calloc((size_t)side * (size_t)side, 1);
	long dark = svg_modules(s, m, side);
	CHECK(dark == (long)dark_count(q));
	int wrong = 0;
	for (int y = 0; y < side; y++) {
		for (int x = 0; x < side; x++) {
			int mx = x - 4, my = y - 4, want_dark = 0;
			if (mx >= 0 && my >= 0 && mx < q->width && my < q->width)
				want_dark = q->modules[my * q->width + mx];
			if (m[y * side + x] != want_dark)
				wrong++;
		}
	}
	CHECK_INT(wrong, 0);
	free(m);
	buf_free(&b);

	/* No quiet zone: the path starts at the corner. */
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_svg(q, 0, "QR", &b, &e), 0);
	snprintf(want, sizeof(want), "viewBox=\"0 0 %d %d\"", q->width, q->width);
	CHECK(contains(buf_cstr(&b), want));
	CHECK(contains(buf_cstr(&b), " d=\"M0 0h7v1h-7z"));
	buf_free(&b);

	/* A label is required and must be clean text. */
	buf_init(&b, 1 << 20);
	CHECK_INT(qr_svg(q, 4, "", &b, &e), -ERR_INVALID);
	CHECK_MSG(e, "label");
	CHECK_INT(qr_svg(q, 4, NULL, &b, &e), -ERR_INVALID);
	CHECK_INT(qr_svg(q, 4, "bad\x01label", &b, &e), -ERR_INVALID);
	CHECK_MSG(e, "control character");
	CHECK_INT(qr_svg(q, 4, "bad \xff", &b, &e), -ERR_INVALID);
	CHECK_MSG(e, "not valid UTF-8");
	CHECK_INT(qr_svg(q, 20, "QR", &b, &e), -ERR_RANGE);
	CHECK_INT(b.len, 0);
	buf_free(&b);
	/* Too small an output: untouched. */
	buf_init(&b, 100);
	buf_puts(&b, "keep");
	CHECK_INT(qr_svg(q, 4, "QR", &b, &e), -ERR_TOOBIG);
	CHECK_STR(buf_cstr(&b), "keep");
	buf_free(&b);
	qr_free(q);
}

int main(void)
{
	RUN(test_rf_make);
	RUN(test_rf_valid);
	RUN(test_rf_print_normalize);
	RUN(test_iban);
	RUN(test_bic);
	RUN(test_epc_payload);
	RUN(test_epc_errors);
	RUN(test_epc_limit);
	RUN(test_qr_encode);
	RUN(test_qr_png_decoded);
	RUN(test_qr_png_args);
	RUN(test_qr_svg);
	return CHECK_DONE();
}
