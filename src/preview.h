/*
 * preview: `dunwell preview` — the exact message a customer would get for
 * a step of their case, on a channel, written to files without sending
 * anything or changing the store.
 *
 * It loads what the dispatcher would load (the customer and contacts, the
 * case, the strategy version the case keeps, the open invoices, the
 * tenant's profile), works out the step's fee and pay-by date the same way,
 * and hands everything to compose.
 */
#ifndef DUNWELL_PREVIEW_H
#define DUNWELL_PREVIEW_H

#include <stdio.h>

#include "channel.h"
#include "date.h"
#include "err.h"
#include "store.h"

struct preview_options {
	const char *customer;  /* the tenant's id for the customer */
	const char *step;      /* step id or 1-based number; NULL = the
				  case's next step */
	const char *channel;   /* NULL = the step's first channel */
	const char *locale;    /* NULL = the customer's own */
	const char *out_dir;   /* where files go; NULL = "." */
	int64_t case_id;       /* this case of the customer; 0 = the open
				  one (else the latest) */
};

/* What preview_compose composed. */
struct preview_info {
	int64_t case_id;
	enum channel channel;
	size_t step_index;     /* 0-based */
	size_t n_steps;
	char strategy[72];
	char step[72];
};

/* Compose the message (as preview_run does) into *ret (initialised by the
 * caller with compose_output_init): for the customer's page, which reads
 * the latest message aloud. */
struct compose_output;
int preview_compose(struct store *s, const struct tenant_rec *t,
		    const struct preview_options *opt, instant_t now,
		    struct compose_output *ret, struct preview_info *info,
		    struct err *e);

int preview_run(struct store *s, const struct tenant_rec *t,
		const struct preview_options *opt, instant_t now, FILE *out,
		struct err *e);

#endif
