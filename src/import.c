/*
 * import: CSV import of customers, invoices and payments (see import.h).
 *
 * Each row is parsed into a record and checked field by field; the first
 * problem of a row is reported as "file:line: field 'due_date': invalid date
 * '2026-02-30': ...". Writes happen inside one transaction that is rolled
 * back when any row was rejected, so a bad file changes nothing.
 */
#include "import.h"

#include <errno.h>
#include <strings.h>
#include <string.h>

#include "buf.h"
#include "csv.h"
#include "http_client.h"
#include "mem.h"
#include "money.h"
#include "pay.h"

/* The columns of one import kind. */
struct column_spec {
	const char *name;
	int required;
};

static const struct column_spec customer_columns[] = {
	{ "external_id", 1 }, { "name", 1 }, { "locale", 0 },
	{ "timezone", 0 }, { "country", 0 }, { "segments", 0 },
	{ "vulnerable", 0 }, { "do_not_contact", 0 }, { "deceased", 0 },
	{ "plain_language", 0 }, { "moratorium_until", 0 },
	{ "customer_since", 0 }, { "email", 0 }, { "sms", 0 },
	{ "whatsapp", 0 }, { "voice", 0 }, { "push", 0 }, { "letter", 0 },
	{ "channels", 0 }, { "no_consent", 0 }, { NULL, 0 },
};

static const struct column_spec invoice_columns[] = {
	{ "external_id", 1 }, { "customer_id", 1 }, { "number", 0 },
	{ "issue_date", 1 }, { "due_date", 1 }, { "amount", 1 },
	{ "open_amount", 0 }, { "currency", 1 }, { "payment_reference", 0 },
	{ "disputed", 0 }, { "document_url", 0 }, { NULL, 0 },
};

static const struct column_spec payment_columns[] = {
	{ "external_id", 1 }, { "customer_id", 0 }, { "invoice", 0 },
	{ "amount", 1 }, { "currency", 1 }, { "paid_on", 1 }, { "method", 0 },
	{ NULL, 0 },
};

struct importer {
	struct store *store;
	const struct tenant_rec *tenant;
	struct csv *csv;
	const char *path;
	FILE *report;
	const struct column_spec *spec;
	int col[24];            /* csv column of each spec entry, -1 absent */
	struct import_result res;
	int writing;            /* still writing (no row rejected yet) */
	instant_t now;          /* the import's instant (--as-of) */
	struct pay_batch pays;  /* payments: what they set off, run at the
				   end of the file (pay_batch_finish) */
};

int import_kind_parse(const char *name, enum import_kind *ret)
{
	if (strcmp(name, "customers") == 0)
		*ret = IMPORT_CUSTOMERS;
	else if (strcmp(name, "invoices") == 0)
		*ret = IMPORT_INVOICES;
	else if (strcmp(name, "payments") == 0)
		*ret = IMPORT_PAYMENTS;
	else
		return -ERR_INVALID;
	return 0;
}

/* The value of a named column in the current row ("" when absent). */
static const char *field(const struct importer *im, const char *name)
{
	for (int i = 0; im->spec[i].name; i++)
		if (strcmp(im->spec[i].name, name) == 0)
			return im->col[i] < 0 ?
				       "" :
				       csv_field(im->csv, (size_t)im->col[i]);
	return "";
}

/* Report a rejected row: "file:line: field 'name': message". */
static void reject(struct importer *im, const char *fieldname, const char *msg)
{
	im->res.rejected++;
	im->writing = 0;
	if (im->res.rejected <= IMPORT_MAX_REPORTED && im->report) {
		if (fieldname)
			fprintf(im->report, "%s:%ld: field '%s': %s\n", im->path,
				csv_line(im->csv), fieldname, msg);
		else
			fprintf(im->report, "%s:%ld: %s\n", im->path,
				csv_line(im->csv), msg);
	}
}

static int check_length(struct importer *im, const char *name, size_t max)
{
	const char *v = field(im, name);
	char msg[128];
	if (strlen(v) > max) {
		snprintf(msg, sizeof(msg), "longer than %zu bytes", max);
		reject(im, name, msg);
		return -1;
	}
	return 0;
}

static int required(struct importer *im, const char *name)
{
	if (field(im, name)[0] == '\0') {
		reject(im, name, "is required and empty");
		return -1;
	}
	return 0;
}

/* Booleans: true/false, yes/no, 1/0, or empty (false). */
static int parse_bool(struct importer *im, const char *name, int *ret)
{
	const char *v = field(im, name);
	char msg[ERR_MSG_MAX];
	if (!*v || !strcmp(v, "0") || !strcasecmp(v, "false") ||
	    !strcasecmp(v, "no")) {
		*ret = 0;
		return 0;
	}
	if (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes")) {
		*ret = 1;
		return 0;
	}
	snprintf(msg, sizeof(msg),
		 "invalid value '%.64s'; expected true/false, yes/no or 1/0", v);
	reject(im, name, msg);
	return -1;
}

/* An optional date (DATE_NONE when empty). */
static int parse_opt_date(struct importer *im, const char *name, date_t *ret)
{
	const char *v = field(im, name);
	struct err e;
	if (!*v) {
		*ret = DATE_NONE;
		return 0;
	}
	if (date_parse(v, ret, &e) < 0) {
		reject(im, name, e.msg);
		return -1;
	}
	return 0;
}

static int parse_date_req(struct importer *im, const char *name, date_t *ret)
{
	if (required(im, name) < 0)
		return -1;
	return parse_opt_date(im, name, ret);
}

static int parse_currency(struct importer *im, const char *name,
			  const struct currency **ret)
{
	const char *v = field(im, name);
	char msg[128];
	if (required(im, name) < 0)
		return -1;
	*ret = currency_find(v);
	if (!*ret) {
		snprintf(msg, sizeof(msg),
			 "unknown currency '%.16s'; expected an ISO 4217 code"
			 " such as EUR",
			 v);
		reject(im, name, msg);
		return -1;
	}
	return 0;
}

static int parse_amount(struct importer *im, const char *name,
			const struct currency *cur, int64_t *ret)
{
	struct err e;
	if (money_parse(field(im, name), cur, ret, &e) < 0) {
		reject(im, name, e.msg);
		return -1;
	}
	if (*ret < 0) {
		reject(im, name, "must not be negative");
		return -1;
	}
	return 0;
}

/* Plausibility of a contact address for its channel. */
const char *import_address_problem(enum channel ch, const char *v)
{
	size_t len = strlen(v);
	switch (ch) {
	case CHANNEL_EMAIL: {
		const char *at = strchr(v, '@');
		if (!at || at == v || !strchr(at, '.') || at[1] == '.' ||
		    v[len - 1] == '.' || strchr(at + 1, '@'))
			return "not an e-mail address";
		for (const char *p = v; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' ||
			    *p == ',' || *p == ';')
				return "not an e-mail address";
		return NULL;
	}
	case CHANNEL_SMS:
	case CHANNEL_VOICE:
	case CHANNEL_WHATSAPP: {
		/* E.164: '+', country code, 8 to 15 digits in all */
		size_t digits = 0;
		if (v[0] != '+')
			return "expected an international number such as"
			       " +31612345678";
		for (const char *p = v + 1; *p; p++) {
			if (*p < '0' || *p > '9')
				return "expected '+' and digits only";
			digits++;
		}
		if (digits < 8 || digits > 15)
			return "expected 8 to 15 digits after '+'";
		return NULL;
	}
	case CHANNEL_PUSH:
	case CHANNEL_LETTER:
	case CHANNEL_COUNT:
		break;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < ' ' && *p != '\n')
			return "contains control characters";
	return NULL;
}

/* A ';'- or space-separated list of channel names into a bit set and an
 * order. Returns -1 after rejecting. */
static int parse_channel_list(struct importer *im, const char *name,
			      enum channel *order, int *ret_n, unsigned *ret_set)
{
	const char *p = field(im, name);
	unsigned set = 0;
	int n = 0;
	char msg[ERR_MSG_MAX];

	while (*p) {
		char word[32];
		size_t len = 0;
		enum channel ch;
		while (*p == ';' || *p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		while (*p && *p != ';' && *p != ' ' && *p != ',') {
			if (len + 1 < sizeof(word))
				word[len] = *p;
			len++;
			p++;
		}
		if (len >= sizeof(word)) {
			reject(im, name, "channel name too long");
			return -1;
		}
		word[len] = '\0';
		if (channel_parse(word, &ch) < 0) {
			snprintf(msg, sizeof(msg),
				 "unknown channel '%s'; expected %s", word,
				 channel_list());
			reject(im, name, msg);
			return -1;
		}
		if (set & (1u << ch)) {
			snprintf(msg, sizeof(msg), "channel '%s' listed twice",
				 word);
			reject(im, name, msg);
			return -1;
		}
		set |= 1u << ch;
		if (order)
			order[n++] = ch;
	}
	if (ret_n)
		*ret_n = n;
	*ret_set = set;
	return 0;
}

/* Check a tag list: letters, digits, '-', '_', separated by ';' or spaces;
 * writes the space-separated form into `out`. */
static int parse_segments(struct importer *im, char *out, size_t size)
{
	const char *p = field(im, "segments");
	size_t len = 0;
	out[0] = '\0';
	while (*p) {
		while (*p == ';' || *p == ' ' || *p == ',')
			p++;
		if (!*p)
			break;
		if (len && len + 1 < size)
			out[len++] = ' ';
		while (*p && *p != ';' && *p != ' ' && *p != ',') {
			char c = *p++;
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '-' || c == '_')) {
				reject(im, "segments",
				       "tags may hold letters, digits, '-' and"
				       " '_' only, separated by ';'");
				return -1;
			}
			if (len + 1 >= size) {
				reject(im, "segments", "too many tags");
				return -1;
			}
			out[len++] = c;
		}
		out[len] = '\0';
	}
	return 0;
}

const char *import_country_problem(const char *country)
{
	if (*country && !(strlen(country) == 2 && country[0] >= 'A' &&
			  country[0] <= 'Z' && country[1] >= 'A' &&
			  country[1] <= 'Z'))
		return "expected an ISO 3166 code of two capital letters, e.g. NL";
	return NULL;
}

const char *import_locale_problem(const char *locale)
{
	if (strlen(locale) > 35 || strspn(locale, "abcdefghijklmnopqrstuvwxyz"
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
						  "0123456789-") != strlen(locale))
		return "expected a language tag such as nl-BE";
	return NULL;
}

static int import_customer_row(struct importer *im)
{
	struct customer_rec c;
	struct contact_rec contacts[CHANNEL_COUNT];
	char segments[STORE_TEXT_MAX];
	enum channel order[CHANNEL_COUNT];
	int n_order = 0, pref = 1;
	unsigned ordered = 0, no_consent = 0, have = 0;
	const char *country, *locale, *zone;
	int64_t id;
	struct err e;

	memset(&c, 0, sizeof(c));
	if (required(im, "external_id") < 0 || required(im, "name") < 0 ||
	    check_length(im, "external_id", STORE_ID_MAX) < 0 ||
	    check_length(im, "name", STORE_TEXT_MAX) < 0)
		return -1;
	country = field(im, "country");
	if (import_country_problem(country)) {
		reject(im, "country", import_country_problem(country));
		return -1;
	}
	locale = field(im, "locale");
	if (!*locale)
		locale = im->tenant->locale;
	if (import_locale_problem(locale)) {
		reject(im, "locale", import_locale_problem(locale));
		return -1;
	}
	zone = field(im, "timezone");
	if (!*zone)
		zone = im->tenant->timezone;
	if (check_length(im, "timezone", 64) < 0)
		return -1;
	if (parse_segments(im, segments, sizeof(segments)) < 0 ||
	    parse_bool(im, "vulnerable", &c.vulnerable) < 0 ||
	    parse_bool(im, "do_not_contact", &c.do_not_contact) < 0 ||
	    parse_bool(im, "deceased", &c.deceased) < 0 ||
	    parse_bool(im, "plain_language", &c.plain_language) < 0 ||
	    parse_opt_date(im, "moratorium_until", &c.moratorium_until) < 0 ||
	    parse_opt_date(im, "customer_since", &c.customer_since) < 0 ||
	    parse_channel_list(im, "channels", order, &n_order, &ordered) < 0 ||
	    parse_channel_list(im, "no_consent", NULL, NULL, &no_consent) < 0)
		return -1;

	/* Contact points: every channel column with an address. */
	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		const char *name = channel_name((enum channel)ch);
		const char *v = field(im, name);
		const char *why;
		char msg[ERR_MSG_MAX];
		if (!*v)
			continue;
		if (check_length(im, name, STORE_TEXT_MAX) < 0)
			return -1;
		why = import_address_problem((enum channel)ch, v);
		if (why) {
			snprintf(msg, sizeof(msg), "'%.80s': %s", v, why);
			reject(im, name, msg);
			return -1;
		}
		have |= 1u << ch;
	}
	if (ordered & ~have) {
		for (int i = 0; i < n_order; i++) {
			if (!(have & (1u << order[i]))) {
				char msg[128];
				snprintf(msg, sizeof(msg),
					 "channel '%s' has no address in its"
					 " column",
					 channel_name(order[i]));
				reject(im, "channels", msg);
				return -1;
			}
		}
	}
	/* Preference: the listed order first, then the rest in the
	 * canonical order. */
	c.n_contacts = 0;
	for (int i = 0; i < n_order; i++) {
		struct contact_rec *cp = &contacts[c.n_contacts++];
		cp->channel = order[i];
		cp->address = (char *)field(im, channel_name(order[i]));
		cp->consent = !(no_consent & (1u << order[i]));
		cp->preference = pref++;
	}
	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		if (!(have & (1u << ch)) || (ordered & (1u << ch)))
			continue;
		struct contact_rec *cp = &contacts[c.n_contacts++];
		cp->channel = (enum channel)ch;
		cp->address = (char *)field(im, channel_name((enum channel)ch));
		cp->consent = !(no_consent & (1u << ch));
		cp->preference = pref++;
	}
	if (!im->writing)
		return 0;
	c.tenant_id = im->tenant->id;
	c.external_id = (char *)field(im, "external_id");
	c.name = (char *)field(im, "name");
	c.locale = (char *)locale;
	c.timezone = (char *)zone;
	c.country = (char *)country;
	c.segments = segments;
	c.contacts = contacts;
	if (store_customer_upsert(im->store, &c, &id, &e) < 0) {
		reject(im, NULL, e.msg);
		return -1;
	}
	im->res.written++;
	return 0;
}

/* The invoice's copy, when given: a web address the customer's page can
 * link to (https://, or http:// on loopback), as webhooks are checked. */
static int check_document_url(struct importer *im)
{
	const char *v = field(im, "document_url");
	struct err e;
	if (!*v || http_client_check_url(v, "document_url", &e) == 0)
		return 0;
	{
		static const char lead[] = "document_url: ";
		const char *msg = e.msg;
		if (strncmp(msg, lead, sizeof(lead) - 1) == 0)
			msg += sizeof(lead) - 1;
		reject(im, "document_url", msg);
	}
	return -1;
}

static int import_invoice_row(struct importer *im)
{
	struct invoice_rec inv;
	const struct currency *cur;
	const char *open_text;
	struct err e;
	int64_t id;

	memset(&inv, 0, sizeof(inv));
	if (required(im, "external_id") < 0 ||
	    check_length(im, "external_id", STORE_ID_MAX) < 0 ||
	    required(im, "customer_id") < 0 ||
	    check_length(im, "number", STORE_ID_MAX) < 0 ||
	    check_length(im, "payment_reference", STORE_ID_MAX) < 0 ||
	    parse_date_req(im, "issue_date", &inv.issue_date) < 0 ||
	    parse_date_req(im, "due_date", &inv.due_date) < 0 ||
	    parse_currency(im, "currency", &cur) < 0 ||
	    parse_amount(im, "amount", cur, &inv.amount_minor) < 0 ||
	    parse_bool(im, "disputed", &inv.disputed) < 0 ||
	    check_length(im, "document_url", STORE_URL_MAX) < 0 ||
	    check_document_url(im) < 0)
		return -1;
	open_text = field(im, "open_amount");
	if (*open_text) {
		if (parse_amount(im, "open_amount", cur, &inv.open_minor) < 0)
			return -1;
		if (inv.open_minor > inv.amount_minor) {
			reject(im, "open_amount",
			       "is larger than the invoice amount");
			return -1;
		}
	} else {
		inv.open_minor = inv.amount_minor;
	}
	if (inv.due_date < inv.issue_date) {
		reject(im, "due_date", "is before issue_date");
		return -1;
	}
	if (store_customer_id(im->store, im->tenant->id,
			      field(im, "customer_id"), &inv.customer_id,
			      &e) < 0) {
		char msg[ERR_MSG_MAX];
		snprintf(msg, sizeof(msg),
			 "no customer with external id '%.128s'; import"
			 " customers first",
			 field(im, "customer_id"));
		reject(im, "customer_id", msg);
		return -1;
	}
	if (!im->writing)
		return 0;
	inv.tenant_id = im->tenant->id;
	inv.external_id = (char *)field(im, "external_id");
	inv.number = (char *)(*field(im, "number") ? field(im, "number") :
						     field(im, "external_id"));
	memcpy(inv.currency, cur->code, 4);
	inv.payment_reference = (char *)field(im, "payment_reference");
	inv.document_url = (char *)field(im, "document_url");
	if (store_invoice_upsert(im->store, &inv, &id, &e) < 0) {
		reject(im, NULL, e.msg);
		return -1;
	}
	im->res.written++;
	return 0;
}

static int import_payment_row(struct importer *im)
{
	struct payment_rec p;
	struct invoice_rec inv;
	const struct currency *cur;
	const char *inv_key, *cust_key;
	struct err e;

	memset(&p, 0, sizeof(p));
	memset(&inv, 0, sizeof(inv));
	if (required(im, "external_id") < 0 ||
	    check_length(im, "external_id", STORE_ID_MAX) < 0 ||
	    check_length(im, "method", 64) < 0 ||
	    parse_currency(im, "currency", &cur) < 0 ||
	    parse_amount(im, "amount", cur, &p.amount_minor) < 0 ||
	    parse_date_req(im, "paid_on", &p.paid_on) < 0)
		return -1;
	if (p.amount_minor == 0) {
		reject(im, "amount", "must be more than zero");
		return -1;
	}
	inv_key = field(im, "invoice");
	cust_key = field(im, "customer_id");
	if (!*inv_key && !*cust_key) {
		reject(im, NULL, "a payment needs a customer_id or an invoice");
		return -1;
	}
	if (*inv_key) {
		if (store_invoice_get(im->store, im->tenant->id, inv_key, &inv,
				      NULL) < 0 &&
		    store_invoice_find_ref(im->store, im->tenant->id, inv_key,
					   &inv, NULL) < 0) {
			char msg[ERR_MSG_MAX];
			snprintf(msg, sizeof(msg),
				 "no invoice with external id, number or"
				 " payment reference '%.128s'",
				 inv_key);
			reject(im, "invoice", msg);
			return -1;
		}
		p.invoice_id = inv.id;
		p.customer_id = inv.customer_id;
		if (memcmp(inv.currency, cur->code, 4) != 0) {
			char msg[128];
			snprintf(msg, sizeof(msg),
				 "payment in %s for an invoice in %s",
				 cur->code, inv.currency);
			invoice_rec_clear(&inv);
			reject(im, "currency", msg);
			return -1;
		}
		invoice_rec_clear(&inv);
	}
	if (*cust_key) {
		int64_t cid;
		if (store_customer_id(im->store, im->tenant->id, cust_key, &cid,
				      NULL) < 0) {
			char msg[ERR_MSG_MAX];
			snprintf(msg, sizeof(msg),
				 "no customer with external id '%.128s'",
				 cust_key);
			reject(im, "customer_id", msg);
			return -1;
		}
		if (p.customer_id && p.customer_id != cid) {
			reject(im, "invoice",
			       "belongs to another customer than customer_id");
			return -1;
		}
		p.customer_id = cid;
	}
	if (!im->writing)
		return 0;
	p.tenant_id = im->tenant->id;
	p.external_id = (char *)field(im, "external_id");
	memcpy(p.currency, cur->code, 4);
	p.method = (char *)field(im, "method");
	/* As every payment (src/pay.h): allocated to the invoices and the
	 * case's fees, the rest kept as credit, the events, the plan's
	 * progress; the engine run for the customer and the thank-you come
	 * at the end of the file (pay_batch_finish). */
	{
		struct pay_result pr;
		if (pay_receive_batch(im->store, im->tenant, &p, im->now,
				      &im->pays, &pr, &e) < 0) {
			reject(im, NULL, e.msg);
			return -1;
		}
		if (!pr.recorded) {
			/* already recorded: not applied twice */
			im->res.unchanged++;
			return 0;
		}
	}
	im->res.written++;
	return 0;
}

/* Map the header to the spec; unknown and missing columns are errors. */
static int map_header(struct importer *im, struct err *e)
{
	size_t n = csv_nfields(im->csv);
	for (int i = 0; im->spec[i].name; i++) {
		im->col[i] = csv_column(im->csv, im->spec[i].name);
		if (im->col[i] < 0 && im->spec[i].required)
			return err_set(e, ERR_INVALID,
				       "%s:%ld: missing column '%s'", im->path,
				       csv_line(im->csv), im->spec[i].name);
	}
	for (size_t k = 0; k < n; k++) {
		const char *h = csv_field(im->csv, k);
		size_t len;
		int known = 0;
		/* header names are compared without surrounding spaces, as
		 * csv_column looks them up */
		while (*h == ' ')
			h++;
		len = strlen(h);
		while (len && h[len - 1] == ' ')
			len--;
		for (int i = 0; im->spec[i].name && !known; i++)
			known = strlen(im->spec[i].name) == len &&
				strncmp(h, im->spec[i].name, len) == 0;
		if (!known) {
			struct buf cols;
			buf_init(&cols, 1024);
			for (int i = 0; im->spec[i].name; i++)
				buf_printf(&cols, "%s%s", i ? ", " : "",
					   im->spec[i].name);
			int r = err_set(e, ERR_INVALID,
					"%s:%ld: unknown column '%.64s'; expected"
					" %s",
					im->path, csv_line(im->csv), h,
					buf_cstr(&cols));
			buf_free(&cols);
			return r;
		}
	}
	return 0;
}

int import_file(struct store *s, const struct tenant_rec *t,
		enum import_kind kind, const char *path, instant_t now,
		FILE *report, struct import_result *ret, struct err *e)
{
	struct importer im;
	FILE *f;
	int r;

	memset(&im, 0, sizeof(im));
	im.now = now;
	pay_batch_init(&im.pays);
	f = fopen(path, "rb");
	if (!f)
		return err_set(e, ERR_IO, "cannot open '%s': %s", path,
			       strerror(errno));
	im.store = s;
	im.tenant = t;
	im.path = path;
	im.report = report;
	im.writing = 1;
	im.spec = kind == IMPORT_CUSTOMERS ? customer_columns :
		  kind == IMPORT_INVOICES  ? invoice_columns :
					     payment_columns;
	im.csv = csv_open(f, path);
	r = csv_next(im.csv, e);
	if (r == 0)
		r = err_set(e, ERR_INVALID, "%s: empty file; expected a header"
			    " line", path);
	if (r < 0)
		goto out_close;
	csv_take_header(im.csv);
	r = map_header(&im, e);
	if (r < 0)
		goto out_close;
	r = store_begin(s, e);
	if (r < 0)
		goto out_close;
	while ((r = csv_next(im.csv, e)) > 0) {
		im.res.rows++;
		switch (kind) {
		case IMPORT_CUSTOMERS: import_customer_row(&im); break;
		case IMPORT_INVOICES: import_invoice_row(&im); break;
		case IMPORT_PAYMENTS: import_payment_row(&im); break;
		}
	}
	if (r < 0) {
		store_rollback(s);
		goto out_close;
	}
	if (im.res.rejected) {
		store_rollback(s);
		if (im.res.rejected > IMPORT_MAX_REPORTED && report)
			fprintf(report, "%s: ... and %ld more rejected rows\n",
				path, im.res.rejected - IMPORT_MAX_REPORTED);
		r = err_set(e, ERR_INVALID,
			    "%s: %ld of %ld rows rejected; nothing was imported",
			    path, im.res.rejected, im.res.rows);
		goto out_close;
	}
	if (kind == IMPORT_PAYMENTS) {
		/* the engine for the customers paid (a paid case resolves at
		 * once), and the thank-yous, in the same transaction */
		r = pay_batch_finish(s, t, &im.pays, now, e);
		if (r < 0) {
			store_rollback(s);
			goto out_close;
		}
	}
	r = store_commit(s, e);
	if (r < 0)
		store_rollback(s);
out_close:
	pay_batch_clear(&im.pays);
	csv_free(im.csv);
	fclose(f);
	if (ret)
		*ret = im.res;
	return r;
}
