/*
 * test_camt: camt.053 / camt.054 statements as banks write them (versions
 * .001.02, .001.04, .001.08; a camt.054 return), read field by field; and
 * broken and hostile documents (unclosed tag, wrong namespace, billion
 * laughs, XXE, bad amount, missing currency) refused with the line; a
 * statement large enough to be read in many pieces, from memory and from a
 * file; text across comments, CDATA and entities, and at its bound.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "camt.h"
#include "check.h"

#define MAX_SEEN 16

/* The entries one parse handed to the callback. */
struct seen {
	struct camt_entry en[MAX_SEEN];      /* copies, in order */
	struct camt_statement st[MAX_SEEN];  /* the statement of each */
	size_t n;                            /* how many */
	int stop_at;                         /* refuse the Nth (1-based), 0 never */
};

static int collect(void *ctx, const struct camt_statement *st,
		   const struct camt_entry *en, struct err *e)
{
	struct seen *s = ctx;
	if (s->stop_at && (int)s->n + 1 == s->stop_at)
		return err_set(e, ERR_CONFLICT, "refused by the caller");
	if (s->n < MAX_SEEN) {
		s->en[s->n] = *en;
		s->st[s->n] = *st;
	}
	s->n++;
	return 0;
}

static char path_buf[1024];

static const char *data(const char *name)
{
	const char *root = getenv("DUNWELL_ROOT");
	snprintf(path_buf, sizeof(path_buf), "%s/tests/data/camt/%s",
		 root ? root : ".", name);
	return path_buf;
}

static int parse(const char *name, struct seen *s, struct camt_document *doc,
		 struct err *e)
{
	memset(s, 0, sizeof(*s));
	memset(doc, 0, sizeof(*doc));
	err_clear(e);
	return camt_parse_file(data(name), collect, s, doc, e);
}

static int has(const char *msg, const char *part)
{
	return strstr(msg, part) != NULL;
}

static date_t d(const char *s)
{
	date_t v = DATE_NONE;
	date_parse(s, &v, NULL);
	return v;
}

static instant_t t(const char *s)
{
	instant_t v = 0;
	instant_parse(s, &v, NULL);
	return v;
}

TEST(v02_statement)
{
	struct seen s;
	struct camt_document doc;
	struct err e;
	const struct camt_entry *en;

	CHECK_INT(parse("camt053_v02.xml", &s, &doc, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(doc.kind, CAMT_053);
	CHECK_INT(doc.version, 2);
	CHECK_STR(doc.msg_id, "CAMT053RABO20261127");
	CHECK_INT(doc.created, t("2026-11-27T06:12:44Z"));
	CHECK_INT(doc.statements, 1);
	CHECK_INT(doc.entries, 3);
	CHECK_STR(doc.first.id, "STMT-2026-331");
	CHECK_STR(doc.first.account_iban, "NL91ABNA0417164300");
	CHECK_STR(doc.first.account_currency, "EUR");
	CHECK_INT(doc.first.created, t("2026-11-27T06:12:44+01:00"));
	CHECK_INT(s.n, 3);

	/* A booked credit transfer with an RF reference. */
	en = &s.en[0];
	CHECK_STR(en->ref, "0321654987000123");
	CHECK_INT(en->amount, 12550);
	CHECK_STR(en->currency, "EUR");
	CHECK_INT(en->credit, 1);
	CHECK_INT(en->status, CAMT_STS_BOOK);
	CHECK_STR(en->status_code, "BOOK");
	CHECK_INT(en->reversal, 0);
	CHECK_INT(en->booking_date, d("2026-11-26"));
	CHECK_INT(en->value_date, d("2026-11-26"));
	CHECK_STR(en->bank_tx_code, "PMNT/RCDT/ESCT");
	CHECK_STR(en->debtor_name, "J. de Vries");
	CHECK_STR(en->debtor_iban, "NL02RABO0123456789");
	CHECK_STR(en->ref_strd, "RF971042");
	CHECK_STR(en->ref_strd_type, "SCOR");
	CHECK_STR(en->ustrd, "");
	CHECK_STR(en->end_to_end_id, "NOTPROVIDED");
	CHECK_INT(en->is_return, 0);
	CHECK_INT(en->tx_index, 0);
	CHECK_INT(en->tx_count, 1);
	CHECK_INT(en->line, 29);
	CHECK(camt_entry_is_payment(en));
	CHECK_STR(s.st[0].id, "STMT-2026-331");

	/* Pending: keyed by NtryRef, no booking date, not a payment. */
	en = &s.en[1];
	CHECK_STR(en->ref, "PND-77");
	CHECK_INT(en->amount, 4000);
	CHECK_INT(en->status, CAMT_STS_PDNG);
	CHECK_STR(camt_status_name(en->status), "PDNG");
	CHECK_INT(en->booking_date, DATE_NONE);
	CHECK_INT(en->value_date, d("2026-11-28"));
	CHECK_STR(en->bank_tx_code, "N541");
	CHECK_STR(en->ustrd, "Factuur 2026-0042 klant 55");
	CHECK(!camt_entry_is_payment(en));

	/* The reversal of the first entry. */
	en = &s.en[2];
	CHECK_STR(en->ref, "0321654987000124");
	CHECK_INT(en->amount, 12550);
	CHECK_INT(en->credit, 0);
	CHECK_INT(en->reversal, 1);
	CHECK_INT(en->status, CAMT_STS_BOOK);
	CHECK_INT(en->tx_count, 0);
	CHECK_STR(en->additional_info, "Terugboeking & correctie");
	CHECK(!camt_entry_is_payment(en));
}

TEST(v04_batch_entry)
{
	struct seen s;
	struct camt_document doc;
	struct err e;

	CHECK_INT(parse("camt053_v04_batch.xml", &s, &doc, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(doc.version, 4);
	CHECK_INT(doc.entries, 4);
	CHECK_STR(doc.first.account_iban, "DE89370400440532013000");
	CHECK_INT(s.n, 4);
	/* One camt_entry per TxDtls, "/N" after the entry's reference. */
	CHECK_STR(s.en[0].ref, "2026112600088/1");
	CHECK_STR(s.en[1].ref, "2026112600088/2");
	CHECK_STR(s.en[2].ref, "2026112600088/3");
	CHECK_INT(s.en[0].amount, 10000);
	CHECK_INT(s.en[1].amount, 15000);
	CHECK_INT(s.en[2].amount, 5000);
	CHECK_INT(s.en[0].tx_index, 1);
	CHECK_INT(s.en[2].tx_index, 3);
	CHECK_INT(s.en[1].tx_count, 3);
	CHECK_STR(s.en[0].debtor_name, "Anna Müller");
	CHECK_STR(s.en[0].debtor_iban, "DE02120300000000202051");
	CHECK_STR(s.en[0].ustrd, "RE 2026-0042");
	CHECK_STR(s.en[0].end_to_end_id, "E2E-A-1");
	CHECK_STR(s.en[1].debtor_name, "Bernd Schulz");
	CHECK_STR(s.en[1].debtor_iban, "");
	CHECK_STR(s.en[1].ustrd, "Kundennr 55 Rechnung INV 2026 0099");
	CHECK_STR(s.en[2].debtor_name, "Clara Weiß");
	CHECK_STR(s.en[2].ustrd, "");
	CHECK_STR(s.en[2].bank_tx_code, "PMNT/RCDT/BOOK");
	CHECK_INT(s.en[2].booking_date, d("2026-11-26"));
	CHECK(camt_entry_is_payment(&s.en[1]));
	/* The entry's AcctSvcrRef wins over the TxDtls one; DtTm's date. */
	CHECK_STR(s.en[3].ref, "2026112600089");
	CHECK_INT(s.en[3].amount, 1999);
	CHECK_INT(s.en[3].booking_date, d("2026-11-26"));
	CHECK_STR(s.en[3].debtor_name, "Dieter   Klein");
	CHECK_STR(s.en[3].end_to_end_id, "ABC123");
	CHECK_INT(s.en[3].tx_index, 0);
}

TEST(v08_statement)
{
	struct seen s;
	struct camt_document doc;
	struct err e;

	CHECK_INT(parse("camt053_v08.xml", &s, &doc, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(doc.version, 8);
	CHECK_STR(doc.msg_id, "ING-20261127-0001");
	CHECK_STR(doc.first.id, "ING-STMT-0001");
	CHECK_INT(doc.first.created, t("2026-11-27T05:00:00Z"));
	CHECK_INT(s.n, 2);
	/* Sts/Cd, Dbtr/Pty/Nm, TxDtls/Amt, a Dutch reference (Issr CUR);
	 * AcctSvcrRef is preferred to NtryRef. */
	CHECK_STR(s.en[0].ref, "ING2026112600001234");
	CHECK_INT(s.en[0].status, CAMT_STS_BOOK);
	CHECK_INT(s.en[0].amount, 8995);
	CHECK_STR(s.en[0].debtor_name, "Bakkerij Jansen B.V.");
	CHECK_STR(s.en[0].debtor_iban, "NL20INGB0001234567");
	CHECK_STR(s.en[0].ref_strd, "5000056789012345");
	CHECK_STR(s.en[0].ref_strd_type, "SCOR");
	CHECK_STR(s.en[0].ref_strd_issuer, "CUR");
	CHECK_STR(s.en[0].end_to_end_id, "20261126-ABC-42");
	CHECK(camt_entry_is_payment(&s.en[0]));
	CHECK_INT(s.en[1].status, CAMT_STS_INFO);
	CHECK_STR(s.en[1].status_code, "INFO");
	CHECK(!camt_entry_is_payment(&s.en[1]));
}

TEST(camt054_return)
{
	struct seen s;
	struct camt_document doc;
	struct err e;
	const struct camt_entry *en = &s.en[0];

	CHECK_INT(parse("camt054_v02_return.xml", &s, &doc, &e), 0);
	CHECK_STR(e.msg, "");
	CHECK_INT(doc.kind, CAMT_054);
	CHECK_INT(doc.version, 2);
	CHECK_STR(doc.first.id, "NTF-000017");
	CHECK_STR(doc.first.account_currency, "");
	CHECK_INT(s.n, 1);
	CHECK_STR(en->ref, "RTN-2026-000017");
	CHECK_INT(en->amount, 4900);
	CHECK_INT(en->credit, 0);
	CHECK_INT(en->is_return, 1);
	CHECK_STR(en->return_reason, "MD06");
	CHECK_STR(en->orig_end_to_end_id, "DD-2026-11-INV0042");
	CHECK_STR(en->mandate_id, "MANDATE-0042");
	CHECK_STR(en->bank_tx_code, "PMNT/RDDT/UPDD");
	CHECK_STR(en->debtor_name, "P. Bakker");
	CHECK_INT(en->value_date, d("2026-11-25"));
	CHECK(!camt_entry_is_payment(en));
}

TEST(broken_and_hostile)
{
	struct seen s;
	struct camt_document doc;
	struct err e;

	CHECK_INT(parse("broken_unclosed.xml", &s, &doc, &e), -ERR_INVALID);
	CHECK(has(e.msg, "broken_unclosed.xml:13: "));
	CHECK(has(e.msg, "tag mismatch: CdtDbtInd line 11 and Ntry"));
	CHECK_INT(s.n, 0);

	CHECK_INT(parse("wrong_namespace.xml", &s, &doc, &e), -ERR_INVALID);
	CHECK(has(e.msg, "wrong_namespace.xml:2: Document: namespace "
			 "\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.09\""));

	/* Refused at the DOCTYPE, before any entity is declared or read. */
	CHECK_INT(parse("billion_laughs.xml", &s, &doc, &e), -ERR_INVALID);
	CHECK(has(e.msg, "billion_laughs.xml:2: document type declarations"));
	CHECK_INT(s.n, 0);
	CHECK_INT(parse("xxe.xml", &s, &doc, &e), -ERR_INVALID);
	CHECK(has(e.msg, "xxe.xml:3: document type declarations"));
	CHECK(!has(e.msg, "root:"));
	CHECK_INT(s.n, 0);

	CHECK_INT(parse("bad_amount.xml", &s, &doc, &e), -ERR_INVALID);
	CHECK(has(e.msg, "bad_amount.xml:8: Ntry/Amt: amount \"12.3.4\" is "
			 "not a decimal amount in EUR"));
	CHECK_INT(parse("missing_ccy.xml", &s, &doc, &e), -ERR_INVALID);
	CHECK(has(e.msg, "missing_ccy.xml:8: Ntry/Amt: no Ccy attribute"));
}

/* Documents built in memory around one entry. */
static int parse_mem(const char *ntry, struct seen *s, struct err *e)
{
	char doc[8192];
	struct camt_document info;
	int n = snprintf(doc, sizeof(doc),
			 "<?xml version=\"1.0\"?>\n"
			 "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
			 "camt.053.001.08\"><BkToCstmrStmt>\n"
			 "<GrpHdr><MsgId>M</MsgId></GrpHdr>\n"
			 "<Stmt><Id>S</Id>\n%s\n</Stmt></BkToCstmrStmt>"
			 "</Document>\n",
			 ntry);
	memset(s, 0, sizeof(*s));
	err_clear(e);
	return camt_parse_memory(doc, (size_t)n, "mem.xml", collect, s, &info,
				 e);
}

TEST(memory_edge_cases)
{
	struct seen s;
	struct err e;
	char big[400];

	/* A batch whose parts do not add up is refused. */
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">10.00</Amt><CdtDbtInd>CRDT"
			    "</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><AcctSvcrRef>"
			    "B</AcctSvcrRef><NtryDtls><TxDtls><Amt Ccy=\"EUR\">"
			    "4.00</Amt></TxDtls><TxDtls><Amt Ccy=\"EUR\">5.00"
			    "</Amt></TxDtls></NtryDtls></Ntry>",
			    &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "mem.xml:5: Ntry/NtryDtls: the 2 transactions add up "
			 "to 9.00 EUR, the entry is 10.00 EUR"));
	CHECK_INT(s.n, 0);

	/* No reference to key the entry by. */
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT"
			    "</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts></Ntry>",
			    &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "mem.xml:5: Ntry: no bank reference"));

	/* Unknown currency, negative amount, bad indicator. */
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"XYZ\">1.00</Amt></Ntry>", &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "Ccy \"XYZ\" is not an ISO 4217"));
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">-1.00</Amt></Ntry>", &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "amount \"-1.00\" is not a decimal"));
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>X"
			    "</CdtDbtInd></Ntry>",
			    &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "Ntry/CdtDbtInd: \"X\" is neither CRDT nor DBIT"));

	/* A reference longer than its bound is refused, not cut. */
	memset(big, 'A', 200);
	big[200] = '\0';
	{
		char ntry[1024];
		snprintf(ntry, sizeof(ntry),
			 "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT"
			 "</CdtDbtInd><Sts>BOOK</Sts><AcctSvcrRef>%s"
			 "</AcctSvcrRef></Ntry>",
			 big);
		CHECK_INT(parse_mem(ntry, &s, &e), -ERR_TOOBIG);
		CHECK(has(e.msg, "Ntry/AcctSvcrRef: \"AAAA"));
		CHECK(has(e.msg, "200 bytes long, more than the 140 allowed"));
	}

	/* The callback stops the parse; its message gets the line. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	err_clear(&e);
	CHECK_INT(camt_parse_file(data("camt053_v02.xml"), collect, &s, NULL,
				  &e),
		  -ERR_CONFLICT);
	CHECK(has(e.msg, "camt053_v02.xml:79: refused by the caller"));
	CHECK_INT(s.n, 1);

	/* Undefined entities, UTF-16 and other encodings, no root. */
	CHECK_INT(parse_mem("<Ntry><NtryRef>&foo;</NtryRef></Ntry>", &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "mem.xml:"));
	CHECK(has(e.msg, "foo"));
	err_clear(&e);
	CHECK_INT(camt_parse_memory("<?xml version=\"1.0\" encoding=\"UTF-7\"?>"
				    "<Document/>",
				    49, "enc.xml", collect, &s, NULL, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "enc.xml:1: encoding \"UTF-7\" is refused"));
	err_clear(&e);
	CHECK_INT(camt_parse_memory("\xff\xfe<\0D\0", 6, "u16.xml", collect, &s,
				    NULL, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "UTF-16"));
	err_clear(&e);
	CHECK_INT(camt_parse_memory("  <!-- only a comment -->  ", 27, "c.xml",
				    collect, &s, NULL, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "c.xml:1: no root element"));
	err_clear(&e);
	CHECK_INT(camt_parse_file(data("no-such-file.xml"), collect, &s, NULL,
				  &e),
		  -ERR_IO);
	CHECK(has(e.msg, "no-such-file.xml: No such file"));
}

/* Entries that count, keeping only the last. */
struct last_seen {
	struct camt_entry last; /* the last entry */
	size_t n;               /* entries */
};

static int keep_last(void *ctx, const struct camt_statement *st,
		     const struct camt_entry *en, struct err *e)
{
	struct last_seen *l = ctx;
	(void)st;
	(void)e;
	l->last = *en;
	l->n++;
	return 0;
}

/* A statement of n entries (about 400 bytes each), so the parser reads it
 * in many pieces: every value crosses some read boundary somewhere. */
static char *big_statement(int n, size_t *ret_len)
{
	struct buf b;
	buf_init(&b, (size_t)1 << 26);
	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
		     "camt.053.001.08\"><BkToCstmrStmt><GrpHdr><MsgId>BIG"
		     "</MsgId></GrpHdr><Stmt><Id>S1</Id>\n");
	for (int i = 1; i <= n; i++)
		buf_printf(&b,
			   "<Ntry>\n  <Amt Ccy=\"EUR\">%d.%02d</Amt>\n"
			   "  <CdtDbtInd>CRDT</CdtDbtInd>\n"
			   "  <Sts><Cd>BOOK</Cd></Sts>\n"
			   "  <Bal><Amt Ccy=\"EUR\">not read</Amt></Bal>\n"
			   "  <AcctSvcrRef>REF-%06d</AcctSvcrRef>\n"
			   "  <NtryDtls><TxDtls><RmtInf>\n"
			   "    <Ustrd>  Factuur INV-%07d klant %d  </Ustrd>\n"
			   "  </RmtInf></TxDtls></NtryDtls>\n</Ntry>\n",
			   i, i % 100, i, i, i % 97);
	buf_puts(&b, "</Stmt></BkToCstmrStmt></Document>\n");
	*ret_len = b.len;
	return buf_detach(&b);
}

TEST(big_statement_in_pieces)
{
	struct last_seen ls;
	struct camt_document doc;
	struct err e;
	size_t len;
	char *xml = big_statement(5000, &len), path[] = "/tmp/camt_testXXXXXX";
	int fd;

	CHECK(len > 1000000);
	memset(&ls, 0, sizeof(ls));
	err_clear(&e);
	CHECK_INT(camt_parse_memory(xml, len, "big.xml", keep_last, &ls, &doc,
				    &e),
		  0);
	CHECK_STR(e.msg, "");
	CHECK_INT(ls.n, 5000);
	CHECK_INT(doc.entries, 5000);
	CHECK_STR(ls.last.ref, "REF-005000");
	CHECK_INT(ls.last.amount, 500000);
	CHECK_STR(ls.last.ustrd, "Factuur INV-0005000 klant 53");
	CHECK_INT(ls.last.status, CAMT_STS_BOOK);

	/* The same bytes from a file: the same entries. */
	fd = mkstemp(path);
	CHECK(fd >= 0);
	if (fd < 0)
		goto out;
	CHECK_INT(write(fd, xml, len), (long)len);
	close(fd);
	memset(&ls, 0, sizeof(ls));
	CHECK_INT(camt_parse_file(path, keep_last, &ls, &doc, &e), 0);
	CHECK_INT(ls.n, 5000);
	CHECK_STR(ls.last.ref, "REF-005000");
	CHECK_STR(ls.last.ustrd, "Factuur INV-0005000 klant 53");
	CHECK_STR(doc.msg_id, "BIG");
	unlink(path);
out:
	free(xml);
}

TEST(text_as_written)
{
	struct seen s;
	struct err e;
	char ntry[8192], ustrd[2300];

	/* Text across a comment and a CDATA section; entities decoded. */
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT"
			    "</CdtDbtInd><Sts>BO<!-- x --><![CDATA[OK]]></Sts>"
			    "<AcctSvcrRef>R</AcctSvcrRef><AddtlNtryInf> a &amp; "
			    "b &#233;&lt; </AddtlNtryInf></Ntry>",
			    &s, &e),
		  0);
	CHECK_INT(s.n, 1);
	CHECK_INT(s.en[0].status, CAMT_STS_BOOK);
	CHECK_STR(s.en[0].additional_info, "a & b \xc3\xa9<");

	/* Sts text around a Prtry child: the child wins; elements not read
	 * may hold anything. */
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT"
			    "</CdtDbtInd><Sts>xx<Prtry>PDNG</Prtry>yy</Sts>"
			    "<Foo><Amt>junk</Amt><Sts>junk</Sts></Foo>"
			    "<NtryRef>N1</NtryRef></Ntry>",
			    &s, &e),
		  0);
	CHECK_INT(s.en[0].status, CAMT_STS_PDNG);
	CHECK_STR(s.en[0].ref, "N1");

	/* Ustrd at its bound is taken whole; one byte more is refused with
	 * its full length. */
	memset(ustrd, 'u', 2240);
	ustrd[2240] = '\0';
	snprintf(ntry, sizeof(ntry),
		 "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
		 "<Sts>BOOK</Sts><AcctSvcrRef>R</AcctSvcrRef><NtryDtls><TxDtls>"
		 "<RmtInf><Ustrd>\n  %s\n</Ustrd></RmtInf></TxDtls></NtryDtls>"
		 "</Ntry>",
		 ustrd);
	CHECK_INT(parse_mem(ntry, &s, &e), 0);
	CHECK_INT(strlen(s.en[0].ustrd), 2240);
	ustrd[2240] = 'v';
	ustrd[2241] = '\0';
	snprintf(ntry, sizeof(ntry),
		 "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>"
		 "<Sts>BOOK</Sts><AcctSvcrRef>R</AcctSvcrRef><NtryDtls><TxDtls>"
		 "<RmtInf><Ustrd>%s</Ustrd></RmtInf></TxDtls></NtryDtls>"
		 "</Ntry>",
		 ustrd);
	CHECK_INT(parse_mem(ntry, &s, &e), -ERR_TOOBIG);
	CHECK(has(e.msg, "mem.xml:5: Ntry/NtryDtls/TxDtls/RmtInf/Ustrd: "
			 "\"uuuu"));
	CHECK(has(e.msg, "2241 bytes long, more than the 2240 allowed"));
	CHECK_INT(s.n, 0);

	/* An XML error inside an entry is reported, not the bad amount
	 * before it: the entry is read only once it is whole. */
	CHECK_INT(parse_mem("<Ntry><Amt Ccy=\"EUR\">x</Amt><CdtDbtInd>CRDT"
			    "</CdtDbtInd></Sts></Ntry>",
			    &s, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "mem.xml:5: "));
	CHECK(has(e.msg, "mismatch"));
	CHECK(!has(e.msg, "amount"));

	/* Two statements: each entry knows its own, doc.first the first. */
	{
		static const char two[] =
			"<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:"
			"camt.054.001.04\"><BkToCstmrDbtCdtNtfctn><GrpHdr>"
			"<MsgId>M</MsgId></GrpHdr>\n<Ntfctn><Id>A</Id>"
			"<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>DBIT"
			"</CdtDbtInd><Sts>BOOK</Sts><NtryRef>1</NtryRef></Ntry>"
			"</Ntfctn>\n<Ntfctn><Id>B</Id><Acct><Id><Othr><Id>X-9"
			"</Id></Othr></Id></Acct><Ntry><Amt Ccy=\"EUR\">2.00"
			"</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts>"
			"<NtryRef>2</NtryRef></Ntry></Ntfctn>"
			"</BkToCstmrDbtCdtNtfctn></Document>";
		struct camt_document doc;
		memset(&s, 0, sizeof(s));
		CHECK_INT(camt_parse_memory(two, sizeof(two) - 1, "two.xml",
					    collect, &s, &doc, &e),
			  0);
		CHECK_INT(doc.kind, CAMT_054);
		CHECK_INT(doc.statements, 2);
		CHECK_STR(doc.first.id, "A");
		CHECK_INT(s.n, 2);
		CHECK_STR(s.st[0].id, "A");
		CHECK_STR(s.st[1].id, "B");
		CHECK_STR(s.st[1].account_other, "X-9");
		CHECK_INT(s.st[1].line, 3);
		CHECK_INT(s.st[1].index, 2);
	}

	/* UTF-16 or UTF-32 without a byte order mark is refused before
	 * libxml2 could guess it. */
	err_clear(&e);
	CHECK_INT(camt_parse_memory("<\0D\0o\0c\0", 8, "u16.xml", collect, &s,
				    NULL, &e),
		  -ERR_INVALID);
	CHECK(has(e.msg, "u16.xml:1: not an XML document"));
}

int main(void)
{
	RUN(v02_statement);
	RUN(v04_batch_entry);
	RUN(v08_statement);
	RUN(camt054_return);
	RUN(broken_and_hostile);
	RUN(memory_edge_cases);
	RUN(big_statement_in_pieces);
	RUN(text_as_written);
	return CHECK_DONE();
}
