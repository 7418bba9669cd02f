/*
 * demo: sample data and daily runs (see demo.h).
 *
 * The customers are chosen to show the paths that matter: a reminder
 * sequence in the customer's own language and channel, a pre-due nudge,
 * several invoices joining one case, a partial payment, a full payment that
 * closes a case, a business customer charged statutory interest, and the
 * customers dunwell must treat with care: vulnerable (gentle strategy and a
 * person), deceased, under a moratorium, or asking not to be contacted.
 * A further 190 customers are generated from a fixed seed so the run has
 * some volume; everything is relative to `now`, so the demo is always
 * current.
 */
#include "demo.h"

#include <stdio.h>
#include <string.h>

#include "dispatch.h"
#include "embed.h"
#include "money.h"
#include "pay.h"
#include "profile.h"
#include "report.h"
#include "run.h"

#define DEMO_DAYS 45
#define DEMO_GENERATED 190

struct demo_customer {
	const char *id;
	const char *name;
	const char *country;
	const char *locale;
	const char *zone;
	const char *segments;
	const char *email;
	const char *sms;
	const char *whatsapp;
	const char *letter;
	int vulnerable, deceased, do_not_contact, plain;
	int moratorium_days;     /* moratorium until now + this; 0 = none */
	const char *currency;
	int due[3];              /* due dates, days from now (0 = no invoice) */
	int64_t amount[3];       /* minor units */
	int pay_day;             /* a payment arrives now + this (0 = none) */
	int64_t pay_amount;      /* ... of this much */
};

static const struct demo_customer people[] = {
	{ "C-1001", "Anna de Vries", "NL", "nl", "Europe/Amsterdam", "consumer",
	  "anna.devries@example.nl", "+31612345678", NULL,
	  "Keizersgracht 12 A, 1015 CS Amsterdam", 0, 0, 0, 0, 0,
	  "EUR", { -20 }, { 7995 }, 0, 0 },
	{ "C-1002", "Lukas Schneider", "DE", "de", "Europe/Berlin", "consumer",
	  "lukas.schneider@example.de", NULL, NULL,
	  "Lindenstraße 5, 10969 Berlin, Deutschland", 0, 0, 0, 0, 0, "EUR",
	  { -35, -5 }, { 4900, 4900 }, 0, 0 },
	{ "C-1003", "Margaret Hughes", "GB", "en-GB", "Europe/London",
	  "consumer", NULL, "+447700900123", NULL, "12 Acacia Avenue, Leeds",
	  1, 0, 0, 0, 0, "GBP", { -12 }, { 12000 }, 0, 0 },
	{ "C-1004", "Camille Martin", "FR", "fr", "Europe/Paris", "consumer",
	  "camille.martin@example.fr", NULL, NULL, NULL, 0, 0, 0, 1, 0, "EUR",
	  { 2 }, { 3550 }, 0, 0 },
	{ "C-1005", "Jan Peeters", "BE", "nl-BE", "Europe/Brussels", "consumer",
	  "jan.peeters@example.be", NULL, "+32470123456", NULL, 0, 0, 0, 0, 0,
	  "EUR", { -50 }, { 25000 }, -10, 10000 },
	{ "C-1006", "Bakkerij Smit B.V.", "NL", "nl", "Europe/Amsterdam",
	  "business", "administratie@bakkerijsmit.example", NULL, NULL,
	  "Dorpsstraat 1, 1234 AB Ergens", 0, 0, 0, 0, 0, "EUR", { -40 },
	  { 420000 }, 0, 0 },
	{ "C-1007", "Peter Jansen", "NL", "nl", "Europe/Amsterdam", "consumer",
	  "p.jansen@example.nl", NULL, NULL, NULL, 0, 1, 0, 0, 0, "EUR", { -15 },
	  { 6500 }, 0, 0 },
	{ "C-1008", "Sofia Rossi", "NL", "en", "Europe/Amsterdam", "consumer",
	  "sofia.rossi@example.com", "+31687654321", NULL, NULL, 0, 0, 0, 0, 30,
	  "EUR", { -25 }, { 11000 }, 0, 0 },
	{ "C-1009", "Tom Becker", "DE", "de", "Europe/Berlin", "consumer",
	  "tom.becker@example.de", NULL, NULL, NULL, 0, 0, 1, 0, 0, "EUR",
	  { -18 }, { 2999 }, 0, 0 },
	{ "C-1010", "Emma Wilson", "GB", "en-GB", "Europe/London", "consumer",
	  "emma.wilson@example.co.uk", "+447700900456", NULL, NULL, 0, 0, 0, 0,
	  0, "GBP", { -30 }, { 4500 }, -8, 4500 },
};

/* A small deterministic generator (xorshift64*): the same demo every time. */
static uint64_t demo_rand(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 2685821657736338717ULL;
}

static int add_customer(struct store *s, int64_t tenant_id,
			const struct demo_customer *p, date_t today,
			int64_t *ret_id, struct err *e)
{
	struct contact_rec contacts[4];
	struct customer_rec c;
	memset(&c, 0, sizeof(c));
	c.tenant_id = tenant_id;
	c.external_id = (char *)p->id;
	c.name = (char *)p->name;
	c.locale = (char *)p->locale;
	c.timezone = (char *)p->zone;
	c.country = (char *)p->country;
	c.segments = (char *)p->segments;
	c.vulnerable = p->vulnerable;
	c.deceased = p->deceased;
	c.do_not_contact = p->do_not_contact;
	c.plain_language = p->plain;
	c.moratorium_until = p->moratorium_days ? today + p->moratorium_days :
						  DATE_NONE;
	c.customer_since = today - 700;
	c.contacts = contacts;
	const struct {
		enum channel ch;
		const char *addr;
	} cp[] = {
		{ CHANNEL_WHATSAPP, p->whatsapp },
		{ CHANNEL_EMAIL, p->email },
		{ CHANNEL_SMS, p->sms },
		{ CHANNEL_LETTER, p->letter },
	};
	for (size_t i = 0; i < 4; i++) {
		if (!cp[i].addr)
			continue;
		contacts[c.n_contacts].channel = cp[i].ch;
		contacts[c.n_contacts].address = (char *)cp[i].addr;
		contacts[c.n_contacts].consent = 1;
		contacts[c.n_contacts].preference = (int)c.n_contacts + 1;
		c.n_contacts++;
	}
	return store_customer_upsert(s, &c, ret_id, e);
}

static int add_invoice(struct store *s, int64_t tenant_id, int64_t customer_id,
		       const char *customer, int k, date_t due, int64_t amount,
		       const char *currency, struct err *e)
{
	char ext[64], number[64], ref[32];
	struct invoice_rec inv;
	int64_t id;
	snprintf(ext, sizeof(ext), "INV-%s-%d", customer + 2, k + 1);
	snprintf(number, sizeof(number), "2026-%s-%d", customer + 2, k + 1);
	snprintf(ref, sizeof(ref), "RF%s%d", customer + 2, k + 1);
	memset(&inv, 0, sizeof(inv));
	inv.tenant_id = tenant_id;
	inv.customer_id = customer_id;
	inv.external_id = ext;
	inv.number = number;
	inv.issue_date = due - 14;
	inv.due_date = due;
	inv.amount_minor = amount;
	inv.open_minor = amount;
	memcpy(inv.currency, currency, 4);
	inv.payment_reference = ref;
	return store_invoice_upsert(s, &inv, &id, e);
}

/* A bank transfer from the customer, received as every payment is
 * (pay_receive: allocated, the case's events, resolved when paid, a
 * thank-you queued). */
static int pay(struct store *s, const struct tenant_rec *t,
	       const char *customer, const char *currency, date_t on,
	       int64_t amount, instant_t at, long *closed, struct err *e)
{
	struct payment_rec p;
	struct pay_result res;
	int64_t cid, tenant_id = t->id;
	int r;
	char ext[64];

	r = store_customer_id(s, tenant_id, customer, &cid, e);
	if (r < 0)
		return r;
	snprintf(ext, sizeof(ext), "PAY-%s", customer + 2);
	memset(&p, 0, sizeof(p));
	p.tenant_id = tenant_id;
	p.external_id = ext;
	p.customer_id = cid;
	p.amount_minor = amount;
	memcpy(p.currency, currency, 4);
	p.paid_on = on;
	p.method = "bank_transfer";
	r = pay_receive(s, t, &p, at, &res, e);
	if (r == 0 && res.case_resolved)
		(*closed)++;
	return r;
}

static int load_data(struct store *s, const struct tenant_rec *t, date_t today,
		     struct err *e)
{
	const struct embedded_file *yaml =
		embed_find("examples/strategies/default.yaml");
	int version, r;
	uint64_t seed = 0x5eed2026ULL;
	static const char *const first[] = { "Noah", "Emma", "Liam", "Julia",
					     "Daan", "Sara", "Finn", "Lotte",
					     "Max", "Mila", "Louis", "Lea" };
	static const char *const last[] = { "Bakker", "Visser", "Smit",
					    "Meyer", "Dubois", "Janssens",
					    "Brown", "Wagner", "Leroy", "Mertens" };
	static const struct {
		const char *country, *locale, *zone, *currency;
	} places[] = {
		{ "NL", "nl", "Europe/Amsterdam", "EUR" },
		{ "DE", "de", "Europe/Berlin", "EUR" },
		{ "BE", "fr-BE", "Europe/Brussels", "EUR" },
		{ "FR", "fr", "Europe/Paris", "EUR" },
		{ "GB", "en-GB", "Europe/London", "GBP" },
	};

	if (!yaml)
		return err_set(e, ERR_NOTFOUND, "the demo strategy is missing"
			       " from this build");
	r = store_strategy_add(s, t->id, "default.yaml", yaml->data, 1, &version,
			       e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); i++) {
		const struct demo_customer *p = &people[i];
		int64_t cid;
		r = add_customer(s, t->id, p, today, &cid, e);
		for (int k = 0; r == 0 && k < 3 && p->amount[k]; k++)
			r = add_invoice(s, t->id, cid, p->id, k,
					today + p->due[k], p->amount[k],
					p->currency, e);
		if (r < 0)
			return r;
	}
	for (int i = 0; i < DEMO_GENERATED; i++) {
		struct demo_customer p;
		char id[16], name[64], email[96], phone[24];
		int place = (int)(demo_rand(&seed) % 5);
		int64_t cid;
		memset(&p, 0, sizeof(p));
		snprintf(id, sizeof(id), "C-%d", 2001 + i);
		snprintf(name, sizeof(name), "%s %s",
			 first[demo_rand(&seed) % 12], last[demo_rand(&seed) % 10]);
		snprintf(email, sizeof(email), "customer%d@example.org", 2001 + i);
		snprintf(phone, sizeof(phone), "+3161%07d", 2001 + i);
		p.id = id;
		p.name = name;
		p.country = places[place].country;
		p.locale = places[place].locale;
		p.zone = places[place].zone;
		p.currency = places[place].currency;
		p.segments = demo_rand(&seed) % 10 == 0 ? "business" : "consumer";
		p.email = email;
		p.sms = demo_rand(&seed) % 2 ? phone : NULL;
		p.vulnerable = demo_rand(&seed) % 25 == 0;
		p.due[0] = -(int)(demo_rand(&seed) % 60) + 5;
		p.amount[0] = 1000 + (int64_t)(demo_rand(&seed) % 30000);
		if (demo_rand(&seed) % 3 == 0) {
			p.due[1] = p.due[0] + 30;
			p.amount[1] = p.amount[0];
		}
		r = add_customer(s, t->id, &p, today, &cid, e);
		for (int k = 0; r == 0 && k < 2 && p.amount[k]; k++)
			r = add_invoice(s, t->id, cid, id, k, today + p.due[k],
					p.amount[k], p.currency, e);
		if (r < 0)
			return r;
	}
	return 0;
}

/* What Northwind Telecom tells its customers about itself. */
static const char *const demo_profile[][2] = {
	{ "email", "service@northwind.example" },
	{ "phone", "+31 20 123 4567" },
	{ "website", "https://www.northwind.example" },
	{ "address", "Stationsplein 1, 1012 AB Amsterdam" },
	{ "help_phone", "+31 20 123 4500" },
	{ "help_email", "help@northwind.example" },
	{ "help_hours", "Mon-Fri 8:30-17:30" },
	{ "iban", "NL91ABNA0417164300" },
	{ "bic", "ABNANL2A" },
	{ "email_from", "billing@northwind.example" },
	{ "sender_city", "Amsterdam" },
	{ "letter_return", "Northwind Telecom · Stationsplein 1 · 1012 AB"
			   " Amsterdam" },
	{ "footer", "Northwind Telecom B.V. · KvK 12345678 · VAT NL001234567B01" },
	{ "offer_text", "Paying too much? Our Basic plan costs less each"
			" month." },
	{ "offer_link", "https://www.northwind.example/basic" },
	{ "offer_segments", "consumer" },
};

int demo_run(struct store *s, const char *db_name, instant_t now, FILE *out,
	     struct err *e)
{
	struct tenant_rec t;
	struct run_stats total, day;
	struct dispatch_stats sent, dday;
	struct dispatch_options dopt;
	char outbox[4096];
	date_t today = instant_date(now);
	int64_t tid;
	int r;

	memset(&total, 0, sizeof(total));
	memset(&sent, 0, sizeof(sent));
	/* Messages are written to a folder next to the database (nothing is
	 * sent): the file adapter, as `dunwell dispatch --outbox` does. */
	if (strstr(db_name, "://"))
		snprintf(outbox, sizeof(outbox), "demo-outbox");
	else
		snprintf(outbox, sizeof(outbox), "%s-outbox", db_name);
	memset(&dopt, 0, sizeof(dopt));
	dopt.file_dir = outbox;
	r = store_begin(s, e);
	if (r < 0)
		return r;
	r = store_tenant_ensure(s, "demo", "Northwind Telecom",
				"Europe/Amsterdam", "en", &tid, e);
	if (r == 0)
		r = store_tenant_get(s, "demo", &t, e);
	for (size_t i = 0; r == 0 && i < sizeof(demo_profile) /
						 sizeof(demo_profile[0]); i++)
		r = profile_set(s, tid, demo_profile[i][0], demo_profile[i][1],
				e);
	/* Every channel "delivers" into the outbox folder, so `dunwell
	 * dispatch` and `serve --dispatch-every` write there too. */
	for (int ch = 0; r == 0 && ch < CHANNEL_COUNT; ch++) {
		char key[32], value[4200];
		snprintf(key, sizeof(key), "deliver_%s",
			 channel_name((enum channel)ch));
		snprintf(value, sizeof(value), "file:%s", outbox);
		r = profile_set(s, tid, key, value, e);
	}
	if (r < 0) {
		store_rollback(s);
		return r;
	}
	r = load_data(s, &t, today, e);
	if (r == 0)
		r = store_commit(s, e);
	if (r < 0) {
		store_rollback(s);
		goto out;
	}
	fprintf(out, "Demo tenant 'demo' (Northwind Telecom) in %s: %zu named"
		     " customers and %d generated ones.\n",
		db_name, sizeof(people) / sizeof(people[0]), DEMO_GENERATED);
	fprintf(out, "Running the engine once a day for the last %d days...\n",
		DEMO_DAYS);

	for (int d = -DEMO_DAYS; d <= 0; d++) {
		instant_t at = instant_from_date(today + d) + 9 * 3600;
		/* Payments arrive before that day's run. */
		r = store_begin(s, e);
		for (size_t i = 0; r == 0 && i < sizeof(people) / sizeof(people[0]);
		     i++)
			if (people[i].pay_amount && people[i].pay_day == d)
				r = pay(s, &t, people[i].id, people[i].currency,
					today + d, people[i].pay_amount,
					d == 0 && now < at - 3600 ? now
								  : at - 3600,
					&total.cases_closed, e);
		if (r == 0)
			r = store_commit(s, e);
		if (r < 0) {
			store_rollback(s);
			goto out;
		}
		r = run_tenant(s, &t, d == 0 ? now : at, NULL, &day, e);
		if (r == 0)
			r = dispatch_tenant(s, &t, (d == 0 ? now : at) + 1800,
					    &dopt, &dday, e);
		if (r < 0)
			goto out;
		sent.sent += dday.sent;
		sent.cancelled += dday.cancelled;
		sent.delayed += dday.delayed;
		sent.failed += dday.failed;
		sent.dead += dday.dead;
		total.cases_opened += day.cases_opened;
		total.cases_closed += day.cases_closed;
		total.contacts += day.contacts;
		total.fees += day.fees;
		total.ends += day.ends;
		total.skips += day.skips;
		total.agents += day.agents;
		total.cases_open = day.cases_open;
		total.paused = day.paused;
	}
	/* The console's reports, as the daily run makes them. */
	r = report_refresh(s, t.id, now, e);
	if (r < 0)
		goto out;
	fprintf(out, "  %ld cases opened, %ld closed, %ld open now (%ld paused"
		     " today)\n",
		total.cases_opened, total.cases_closed, total.cases_open,
		total.paused);
	fprintf(out, "  %ld messages decided, %ld fees, %ld end actions, %ld"
		     " hand-offs to a person, %ld steps skipped\n",
		total.contacts, total.fees, total.ends, total.agents,
		total.skips);
	fprintf(out, "  %ld messages written to %s/ (e-mails as .eml, letters"
		     " as PDF, SMS as text; nothing was sent), %ld cancelled"
		     " before sending (paid, paused), %ld failed over to"
		     " another channel\n\n",
		sent.sent, outbox, sent.cancelled, sent.failed);

	static const char *const show[] = { "C-1001", "C-1003" };
	for (size_t i = 0; i < 2; i++) {
		fprintf(out, "---- dunwell timeline %s ----\n", show[i]);
		r = run_timeline(s, &t, show[i], now, 60, out, e);
		if (r < 0)
			goto out;
		fprintf(out, "\n");
	}
	fprintf(out, "Try:\n"
		     "  dunwell timeline C-1005 --db %s --tenant demo   "
		     "(partial payment)\n"
		     "  dunwell timeline C-1006 --db %s --tenant demo   "
		     "(business, statutory interest)\n"
		     "  dunwell simulate --db %s --tenant demo --strategy"
		     " examples/strategies/default.yaml --from <date> --to <date>\n",
		db_name, db_name, db_name);
out:
	tenant_rec_clear(&t);
	return r;
}
