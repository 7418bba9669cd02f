/*
 * qr: payment references and QR codes for the letters, e-mails and the
 * portal.
 *
 * Three layers. Identifiers: ISO 11649 RF creditor references (made and
 * checked), IBANs (ISO 13616: country length and mod-97 check) and BICs
 * (ISO 9362 shape). The EPC QR payload (EPC069-12, "SEPA Credit Transfer",
 * known as GiroCode): the text a banking app scans to pre-fill a transfer,
 * built only from fields that pass every rule of the guideline. And the QR
 * symbol itself (libqrencode), drawn as a PNG (cairo) for letters and mail or
 * as a compact SVG for HTML pages.
 *
 * This module never guesses: a field that breaks a rule is an error naming
 * the field and the value, never silently cut or "fixed". Checksums prove a
 * reference or IBAN was typed correctly, not that the account exists.
 */
#ifndef DUNWELL_QR_H
#define DUNWELL_QR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* ---- RF creditor reference (ISO 11649) ---------------------------------- */

/* "RF" + 2 check digits + 1..21 alphanumerics. */
#define RF_BASE_MAX 21
#define RF_MAX 25
/* Bytes for the electronic form with its NUL. */
#define RF_BUF (RF_MAX + 1)
/* Bytes for the print form ("RF18 5390 0754 7034"): 25 characters, at most
 * 6 spaces, NUL. */
#define RF_PRINT_BUF 32

/* Build the reference for `base` (1..21 letters and digits; letters may be
 * lower case and are upper-cased) into buf: "RF" + check digits + base.
 * -ERR_INVALID for a bad base, -ERR_TOOBIG when cap cannot hold the result
 * and its NUL; buf is untouched on failure. */
int rf_make(const char *base, char *buf, size_t cap, struct err *e);

/* 0 when `s` is a valid RF reference, in electronic ("RF18539007547034") or
 * print form (spaces between characters are ignored; letters in either
 * case); -ERR_INVALID with the reason otherwise. */
int rf_valid(const char *s, struct err *e);

/* Validate `s` (as rf_valid) and write its electronic form: no spaces,
 * upper case. -ERR_TOOBIG when cap is too small; buf untouched on failure. */
int rf_normalize(const char *s, char *buf, size_t cap, struct err *e);

/* Validate `rf` (as rf_valid) and write its print form: groups of four
 * separated by one space, "RF18 5390 0754 7034" (RF_PRINT_BUF is enough). */
int rf_format_print(const char *rf, char *buf, size_t cap, struct err *e);

/* ---- IBAN (ISO 13616) and BIC (ISO 9362) -------------------------------- */

#define IBAN_MAX 34
#define IBAN_BUF (IBAN_MAX + 1)

/* 0 when `s` is an IBAN of a country in the IBAN registry with that
 * country's length and correct mod-97 check digits. Spaces are ignored,
 * letters may be lower case. The national (BBAN) structure is not checked
 * beyond its length. */
int iban_valid(const char *s, struct err *e);

/* Validate `s` (as iban_valid) and write its electronic form (no spaces,
 * upper case). buf untouched on failure. */
int iban_normalize(const char *s, char *buf, size_t cap, struct err *e);

/* 0 when `s` has the shape of a BIC: 4 letters or digits (party prefix),
 * 2 letters (country), 2 letters or digits (location), optionally 3 letters
 * or digits (branch); upper case, no spaces (ISO 20022 BICFIIdentifier). */
int bic_valid(const char *s, struct err *e);

/* ---- EPC QR payload (EPC069-12, version 002) ---------------------------- */

/* Limits of the guideline; text limits count characters (code points). */
#define EPC_NAME_MAX 70
#define EPC_REF_MAX 35
#define EPC_TEXT_MAX 140
#define EPC_INFO_MAX 70
#define EPC_PAYLOAD_MAX 331         /* bytes: version 13 at level M */
#define EPC_AMOUNT_MIN 1LL          /* EUR 0.01 in cents */
#define EPC_AMOUNT_MAX 99999999999LL /* EUR 999,999,999.99 in cents */

/* The fields of one credit transfer. Optional strings may be NULL or "". */
struct epc_fields {
	const char *bic;       /* beneficiary bank's BIC; optional (version 002) */
	const char *name;      /* beneficiary name, 1..70 characters, UTF-8 */
	const char *iban;      /* beneficiary IBAN; print form accepted */
	int64_t amount_minor;  /* euro cents, EPC_AMOUNT_MIN..EPC_AMOUNT_MAX */
	const char *purpose;   /* optional purpose code: 4 upper-case letters or digits */
	const char *reference; /* optional RF creditor reference (structured) */
	const char *text;      /* optional unstructured remittance, ≤140 characters */
	const char *info;      /* optional beneficiary-to-originator note, ≤70 */
};

/* Append the EPC QR payload for `f` to `out`:
 *   BCD / 002 / 1 / SCT / BIC / name / IBAN / EUR<amount> / purpose /
 *   reference / text / info
 * one element a line, separated by "\n", trailing empty elements left out
 * (no separator after the last). IBAN, BIC and reference are written in
 * electronic form (upper case, no spaces); the amount always with two
 * decimals ("EUR12.30"). A reference and a text together are an error (the
 * guideline allows one or the other). Text fields must be valid UTF-8
 * without control characters. -ERR_INVALID / -ERR_RANGE naming the field and
 * value for a broken rule, -ERR_TOOBIG beyond 331 bytes or out->max; `out`
 * is untouched on failure. */
int epc_payload(const struct epc_fields *f, struct buf *out, struct err *e);

/* ---- QR symbols --------------------------------------------------------- */

/* Error correction level: share of the symbol that may be damaged. */
enum qr_ecc {
	QR_ECC_L = 0, /* ~7% */
	QR_ECC_M,     /* ~15%: what the EPC guideline asks for */
	QR_ECC_Q,     /* ~25% */
	QR_ECC_H,     /* ~30% */
};

/* A QR symbol as a module matrix. */
struct qr_code {
	int version;            /* symbol version, 1..40 */
	int width;              /* modules per side, 17 + 4 * version */
	unsigned char *modules; /* width * width, row by row, 1 = dark, 0 = light */
};

/* Encode `len` bytes of `data` (byte mode; any bytes, NUL included) in the
 * smallest symbol that holds them at level `ecc`. -ERR_TOOBIG when the data
 * does not fit version 40, -ERR_INVALID for bad arguments. *ret is set only
 * on success; free it with qr_free. */
int qr_encode(const char *data, size_t len, enum qr_ecc ecc,
	      struct qr_code **ret, struct err *e);
void qr_free(struct qr_code *q); /* NULL is fine */

/* Append a PNG of `q` to `out`: black modules of module_px × module_px pixels
 * (1..64) on white, with a light border of quiet_modules modules (0..16; the
 * standard asks for 4). Out untouched on failure. */
int qr_png(const struct qr_code *q, int module_px, int quiet_modules,
	   struct buf *out, struct err *e);

/* Append an SVG of `q` to `out` for inline use in HTML: a viewBox in module
 * units (quiet zone included, no fixed size: CSS sizes it), role="img" and
 * aria-label="label" (escaped; required, non-empty UTF-8), a white
 * background and one <path> holding every dark module as horizontal runs
 * "M<x> <y>h<n>v1h-<n>z". Out untouched on failure. */
int qr_svg(const struct qr_code *q, int quiet_modules, const char *label,
	   struct buf *out, struct err *e);

#endif
