/*
 * camt: ISO 20022 bank statements (camt.053, BankToCustomerStatement) and
 * debit/credit notifications (camt.054, used by banks for returned direct
 * debits), message versions .001.02 to .001.08, read as a stream.
 *
 * The parser reads the document with libxml2's SAX2 parser (no tree),
 * keeps the fields of one <Ntry> at a time and hands each booked, pending
 * or informational entry to a callback once the entry is whole, so a
 * statement of any number of entries needs no more memory than one entry. It is pure: it never touches the store; the caller
 * decides what an entry means (camt_entry_is_payment() gives the usual
 * answer).
 *
 * Hostile input is expected. A document type declaration (DOCTYPE) is
 * refused before libxml2 sees the document, so no entity is ever declared,
 * expanded or loaded (no billion laughs, no XXE); the network is off, the
 * input is decoded as UTF-8 only, its size is bounded (CAMT_SIZE_MAX), and
 * every text field has a bound in bytes (4 bytes per character of the ISO
 * limit, so any schema-valid value fits): a longer value is an error, never
 * cut. Errors name the input, the line and the element:
 *   stmt.xml:57: Ntry/Amt: amount "12.3.4" is not a decimal amount in EUR
 *
 * An entry with several transaction details (a batch booking) produces one
 * camt_entry per TxDtls, each with its own amount; their references are the
 * entry's reference suffixed "/1", "/2", ... in document order, so each is a
 * stable, unique import key (the bank never reorders a booked entry). The
 * TxDtls amounts of such an entry must add up to the entry's amount.
 */
#ifndef DUNWELL_CAMT_H
#define DUNWELL_CAMT_H

#include <stddef.h>
#include <stdint.h>

#include "date.h"
#include "err.h"

/* Largest document accepted (2 GiB - 1: libxml2 counts in int). */
#define CAMT_SIZE_MAX ((size_t)0x7fffffff)

/* Field bounds in bytes, without the NUL: 4 bytes per character of the ISO
 * limit (Max35Text, Max140Text, Max500Text). */
#define CAMT_ID_MAX 140      /* Max35Text: references, ids, IBAN */
#define CAMT_NAME_MAX 560    /* Max140Text: party names */
#define CAMT_USTRD_MAX 2240  /* all RmtInf/Ustrd joined (4 x Max140Text) */
#define CAMT_INFO_MAX 2000   /* Max500Text: AddtlNtryInf */
#define CAMT_CODE_MAX 35     /* codes: status, return reason, tx code part */

#define CAMT_ID_BUF (CAMT_ID_MAX + 1)
/* The entry reference with a "/N" suffix (N up to 10 digits). */
#define CAMT_REF_BUF (CAMT_ID_MAX + 12)
#define CAMT_NAME_BUF (CAMT_NAME_MAX + 1)
#define CAMT_USTRD_BUF (CAMT_USTRD_MAX + 1)
#define CAMT_INFO_BUF (CAMT_INFO_MAX + 1)
#define CAMT_CODE_BUF (CAMT_CODE_MAX + 1)
/* "Domn/Fmly/SubFmly", e.g. "PMNT/RDDT/UPDD". */
#define CAMT_TXCODE_BUF (3 * CAMT_CODE_MAX + 3)

/* Which message the document is. */
enum camt_kind {
	CAMT_053 = 53, /* BkToCstmrStmt: the account statement */
	CAMT_054 = 54, /* BkToCstmrDbtCdtNtfctn: debit/credit notification */
};

/* Ntry/Sts: ISO ExternalEntryStatus1Code. */
enum camt_status {
	CAMT_STS_OTHER = 0, /* a code not listed here (kept in status_code) */
	CAMT_STS_BOOK,      /* booked: money moved */
	CAMT_STS_PDNG,      /* pending: may still be booked or dropped */
	CAMT_STS_INFO,      /* information only */
	CAMT_STS_FUTR,      /* future booking (.08) */
};

/* One Stmt (camt.053) or Ntfctn (camt.054) element; a document may hold
 * several (one per account). */
struct camt_statement {
	char id[CAMT_ID_BUF];           /* Stmt/Id or Ntfctn/Id */
	char account_iban[CAMT_ID_BUF]; /* Acct/Id/IBAN; "" if identified otherwise */
	char account_other[CAMT_ID_BUF];/* Acct/Id/Othr/Id; "" when absent */
	char account_currency[4];       /* Acct/Ccy; "" when absent */
	instant_t created;              /* Stmt/CreDtTm, else GrpHdr/CreDtTm */
	long line;                      /* line of the <Stmt>/<Ntfctn> tag */
	size_t index;                   /* 1-based position among the statements */
};

/* The document: what the group header says, and what was read. */
struct camt_document {
	enum camt_kind kind;    /* camt.053 or camt.054 */
	int version;            /* message version: 2 (.001.02) to 8 (.001.08) */
	char msg_id[CAMT_ID_BUF]; /* GrpHdr/MsgId */
	instant_t created;      /* GrpHdr/CreDtTm (a time without zone is taken as UTC) */
	size_t statements;      /* Stmt/Ntfctn elements read */
	size_t entries;         /* callbacks made (one per TxDtls of an entry) */
	struct camt_statement first; /* the first statement (most files hold one) */
};

/* One entry, or one transaction of a batch entry. Text fields are "" when
 * absent, trimmed of surrounding white space, UTF-8. */
struct camt_entry {
	char ref[CAMT_REF_BUF];   /* the bank's reference, the import key: Ntry/AcctSvcrRef,
				     else Ntry/NtryRef, else TxDtls/Refs/AcctSvcrRef; "/N"
				     appended for the Nth of several TxDtls */
	int64_t amount;           /* minor units of currency, >= 0 (direction: credit) */
	char currency[4];         /* ISO 4217 code from the Ccy attribute */
	int credit;               /* 1: CRDT (money in), 0: DBIT (money out) */
	enum camt_status status;  /* Sts (.02-.06 text) or Sts/Cd (.07-.08) */
	char status_code[CAMT_CODE_BUF]; /* the status as written ("BOOK") */
	int reversal;             /* RvslInd true: this entry undoes an earlier one */
	date_t booking_date;      /* BookgDt/Dt or the date of BookgDt/DtTm; DATE_NONE */
	date_t value_date;        /* ValDt/Dt or the date of ValDt/DtTm; DATE_NONE */
	char bank_tx_code[CAMT_TXCODE_BUF]; /* BkTxCd/Domn as "PMNT/RCDT/ESCT", else
					       BkTxCd/Prtry/Cd; TxDtls level first */
	char debtor_name[CAMT_NAME_BUF];  /* RltdPties/Dbtr/Nm or Dbtr/Pty/Nm */
	char debtor_iban[CAMT_ID_BUF];    /* RltdPties/DbtrAcct/Id/IBAN, as written */
	char ref_strd[CAMT_ID_BUF];       /* RmtInf/Strd/CdtrRefInf/Ref (the first) */
	char ref_strd_type[CAMT_CODE_BUF];/* its Tp/CdOrPrtry/Cd ("SCOR") or Prtry */
	char ref_strd_issuer[CAMT_ID_BUF];/* its Tp/Issr ("CUR" for Dutch refs) */
	char ustrd[CAMT_USTRD_BUF];       /* RmtInf/Ustrd, several joined by a space */
	char end_to_end_id[CAMT_ID_BUF];  /* TxDtls/Refs/EndToEndId */
	char mandate_id[CAMT_ID_BUF];     /* TxDtls/Refs/MndtId (direct debits) */
	int is_return;                    /* TxDtls/RtrInf present: a returned payment */
	char return_reason[CAMT_CODE_BUF];/* RtrInf/Rsn/Cd (e.g. "MD06", "AM04") or Prtry */
	char orig_end_to_end_id[CAMT_ID_BUF]; /* for a return: the returned instruction's
						 end-to-end id, which banks report in
						 Refs/EndToEndId; "" otherwise */
	char additional_info[CAMT_INFO_BUF]; /* Ntry/AddtlNtryInf */
	unsigned tx_index;        /* 1-based TxDtls number; 0 when the entry has at most one */
	unsigned tx_count;        /* TxDtls elements in the entry */
	long line;                /* line of the entry in the input */
};

/* Called once per entry (per TxDtls of a batch entry), in document order.
 * Return 0 to go on, or a negative code with `e` set to stop the parse: the
 * parse then returns that code with the message prefixed "name:line: ". */
typedef int (*camt_entry_cb)(void *ctx, const struct camt_statement *stmt,
			     const struct camt_entry *entry, struct err *e);

/* Parse the file at `path`. *ret_doc (may be NULL) is filled on success.
 * -ERR_IO when the file cannot be read, -ERR_TOOBIG over CAMT_SIZE_MAX or a
 * field bound, -ERR_INVALID for anything malformed or refused. */
int camt_parse_file(const char *path, camt_entry_cb cb, void *ctx,
		    struct camt_document *ret_doc, struct err *e);

/* Parse `len` bytes at `data`; `name` names the input in messages. */
int camt_parse_memory(const char *data, size_t len, const char *name,
		      camt_entry_cb cb, void *ctx,
		      struct camt_document *ret_doc, struct err *e);

/* 1 when the entry is money received: booked, credit, not a reversal and not
 * a return. */
int camt_entry_is_payment(const struct camt_entry *entry);

/* "BOOK", "PDNG", ... for a status (the code for CAMT_STS_OTHER is in the
 * entry's status_code). */
const char *camt_status_name(enum camt_status status);

#endif
