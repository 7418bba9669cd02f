/*
 * import: customers, invoices and payments from CSV files.
 *
 * A file is imported in one transaction: every row is validated, and if any
 * row is rejected nothing at all is written, and every rejected row is
 * reported as file:line with the field, the value and why. Rows are upserted
 * by the tenant's external id, so importing the same file twice changes
 * nothing the second time. The column sets are documented in docs/import.md.
 */
#ifndef DUNWELL_IMPORT_H
#define DUNWELL_IMPORT_H

#include <stdio.h>

#include "err.h"
#include "store.h"

enum import_kind { IMPORT_CUSTOMERS, IMPORT_INVOICES, IMPORT_PAYMENTS };

#define IMPORT_MAX_REPORTED 50 /* rejected rows reported one by one */

struct import_result {
	long rows;       /* data rows read */
	long written;    /* rows inserted or updated */
	long unchanged;  /* payments already recorded (same external id) */
	long rejected;   /* rows with an error */
};

int import_kind_parse(const char *name, enum import_kind *ret);

/* Import `path` for the tenant at instant `now`. On rejected rows, each
 * is written to `report` (one line each, up to IMPORT_MAX_REPORTED) and
 * the result is -ERR_INVALID with a summary in `e`; the store is left
 * unchanged. Payments are received as every payment is (pay.h): in the
 * import's transaction, with the engine run for the customers paid at
 * the end. */
int import_file(struct store *s, const struct tenant_rec *t,
		enum import_kind kind, const char *path, instant_t now,
		FILE *report, struct import_result *ret, struct err *e);

/* The checks a customer's fields pass on import, shared with the other
 * ways in (the JSON API, src/api.c): NULL when the value is fine, else
 * why not (one phrase, no value quoted). "" passes the country check. */
const char *import_address_problem(enum channel ch, const char *address);
const char *import_country_problem(const char *country);
const char *import_locale_problem(const char *locale);

#endif
