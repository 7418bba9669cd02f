/*
 * bench/render: how fast messages are composed on one core (issue #3).
 *
 *   build/release/bench/render [N]     default 200000
 *
 * Composes N SMS and N/4 e-mails for a fixed set of customers in the four
 * built-in locales (en, nl, de, fr), each with two open invoices, through
 * the same compose_message() the dispatcher and `dunwell preview` use:
 * template lookup (cached after the first), every variable formatted with
 * ICU, rendering, and for SMS the GSM-7 check and segment count. E-mails
 * are measured twice: subject + text + HTML in the layout ("parts"), and
 * the complete .eml with the EPC QR code as an inline PNG ("full"). Prints
 * messages per second of CPU time (CLOCK_THREAD_CPUTIME_ID, so a busy
 * machine does not distort the figure much).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compose.h"
#include "money.h"
#include "profile.h"

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const locales[] = { "en", "nl", "de", "fr" };
static const char *const names[] = { "Anna de Vries", "Lukas Schneider",
				     "Camille Martin", "Margaret Hughes" };

static int run(struct compose *c, struct compose_input *in,
	       struct customer_rec *cu, enum channel ch, long n, int parts_only,
	       const char *label)
{
	struct compose_output o;
	struct err e;
	size_t bytes = 0;
	double t0, t;

	in->channel = ch;
	in->parts_only = parts_only;
	t0 = cpu_seconds();
	for (long i = 0; i < n; i++) {
		cu->locale = (char *)locales[i % 4];
		cu->name = (char *)names[(i / 4) % 4];
		in->case_id = 1000 + i;
		compose_output_init(&o);
		if (compose_message(c, in, &o, &e) < 0) {
			fprintf(stderr, "bench/render: %s\n", e.msg);
			compose_output_free(&o);
			return 1;
		}
		bytes += o.text.len + o.html.len + o.document.len;
		compose_output_free(&o);
	}
	t = cpu_seconds() - t0;
	printf("%-28s %8ld in %6.3f s CPU: %9.0f per second (%.0f bytes"
	       " each)\n", label, n, t, (double)n / t, (double)bytes / n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 200000;
	struct tenant_rec t = { 1, "bench", "Northwind Telecom",
				"Europe/Amsterdam", "en" };
	struct contact_rec contacts[2] = {
		{ CHANNEL_EMAIL, "customer@example.com", 1, 1 },
		{ CHANNEL_SMS, "+31612345678", 1, 2 },
	};
	struct customer_rec cu;
	struct invoice_rec inv[2];
	struct profile pr;
	struct compose_input in;
	struct compose *c;
	int r;

	if (n <= 0)
		n = 200000;
	memset(&pr, 0, sizeof(pr));
	pr.email = pr.phone = pr.website = pr.address = pr.help_hours = "";
	pr.help_phone = "+31 20 123 4500";
	pr.help_email = "help@northwind.example";
	pr.iban = "NL91ABNA0417164300";
	pr.bic = "ABNANL2A";
	pr.beneficiary = "Northwind Telecom";
	pr.brand_color = "#1a5fb4";
	pr.public_url = "https://pay.northwind.example";
	pr.email_from = "billing@northwind.example";
	pr.sender_city = pr.letter_return = pr.footer = "";
	pr.offer_text = pr.offer_link = pr.offer_segments = "";
	pr.sms_max_segments = 3;

	memset(&cu, 0, sizeof(cu));
	cu.id = 1;
	cu.external_id = "C-1";
	cu.timezone = "Europe/Amsterdam";
	cu.country = "NL";
	cu.segments = "consumer";
	cu.contacts = contacts;
	cu.n_contacts = 2;

	memset(inv, 0, sizeof(inv));
	for (int i = 0; i < 2; i++) {
		inv[i].number = i ? "2026-1042-2" : "2026-1042-1";
		inv[i].issue_date = date_from_ymd(2026, 10, 1 + 14 * i);
		inv[i].due_date = date_from_ymd(2026, 10, 15 + 14 * i);
		inv[i].amount_minor = inv[i].open_minor = 4995 + 1000 * i;
		memcpy(inv[i].currency, "EUR", 4);
	}

	memset(&in, 0, sizeof(in));
	in.tenant = &t;
	in.profile = &pr;
	in.customer = &cu;
	in.currency = "EUR";
	in.invoices = inv;
	in.n_invoices = 2;
	in.template_id = "friendly_reminder";
	in.tone = TONE_FRIENDLY;
	in.today = date_from_ymd(2026, 11, 27);
	in.pay_by = DATE_NONE;
	in.next_fee_date = DATE_NONE;
	in.promise_date = DATE_NONE;
	in.fee_new_minor = 0;
	in.link_token = "dH1qO0bnt4eHEk6Ki7SVfWSXb-h73SyMoJLoT7vVv6M";
	in.message_id = "bench@dunwell";
	in.now = (instant_t)1795770000;

	c = compose_new(NULL);
	printf("compose on one core, friendly_reminder in en/nl/de/fr,"
	       " 2 invoices each\n");
	r = run(c, &in, &cu, CHANNEL_SMS, n, 0, "sms");
	if (r == 0)
		r = run(c, &in, &cu, CHANNEL_EMAIL, n / 4, 1,
			"email (subject+text+html)");
	if (r == 0)
		r = run(c, &in, &cu, CHANNEL_EMAIL, n / 40, 0,
			"email (.eml with QR PNG)");
	compose_free(c);
	return r;
}
