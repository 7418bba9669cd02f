/*
 * test_compose: composed messages against golden files, and the rules of
 * template lookup.
 *
 * Golden files live in tests/golden/messages/<locale>/<template>.<channel>
 * (e-mail: subject, text part and HTML part; SMS: the prepared text and
 * its encoding and segments). A change to a template or to formatting
 * shows up as a diff here; after checking the new output, write it with
 * UPDATE_GOLDEN=1 build/asan/tests/test_compose.
 */
#include "check.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "compose.h"
#include "money.h"
#include "profile.h"

static struct tenant_rec tenant = { 1, "acme", "Northwind Telecom",
				    "Europe/Amsterdam", "en" };
static struct contact_rec contacts[3] = {
	{ CHANNEL_EMAIL, "customer@example.com", 1, 1 },
	{ CHANNEL_SMS, "+31612345678", 1, 2 },
	{ CHANNEL_LETTER, "Keizersgracht 12 A, 1015 CS Amsterdam", 1, 3 },
};
static struct customer_rec customer;
static struct invoice_rec invoices[2];
static struct profile profile;

static void setup(void)
{
	memset(&profile, 0, sizeof(profile));
	profile.email = "service@northwind.example";
	profile.phone = "+31 20 123 4567";
	profile.website = "https://www.northwind.example";
	profile.address = "Stationsplein 1, 1012 AB Amsterdam";
	profile.help_phone = "+31 20 123 4500";
	profile.help_email = "help@northwind.example";
	profile.help_hours = "Mon-Fri 8:30-17:30";
	profile.iban = "NL91ABNA0417164300";
	profile.bic = "ABNANL2A";
	profile.beneficiary = "Northwind Telecom";
	profile.brand_color = "#1a5fb4";
	profile.public_url = "https://pay.northwind.example";
	profile.email_from = "billing@northwind.example";
	profile.sender_city = "Amsterdam";
	profile.letter_return = "Northwind Telecom, Stationsplein 1, Amsterdam";
	profile.footer = "Northwind Telecom B.V., KvK 12345678";
	profile.offer_text = "";
	profile.offer_link = "";
	profile.offer_segments = "";
	profile.sms_max_segments = 3;

	memset(&customer, 0, sizeof(customer));
	customer.id = 7;
	customer.external_id = "C-7";
	customer.name = "Anna de Vries";
	customer.locale = "en";
	customer.timezone = "Europe/Amsterdam";
	customer.country = "NL";
	customer.segments = "consumer";
	customer.contacts = contacts;
	customer.n_contacts = 3;

	memset(invoices, 0, sizeof(invoices));
	for (int i = 0; i < 2; i++) {
		invoices[i].number = i ? "2026-1042-2" : "2026-1042-1";
		invoices[i].issue_date = date_from_ymd(2026, 10, 1 + 14 * i);
		invoices[i].due_date = date_from_ymd(2026, 10, 15 + 14 * i);
		invoices[i].amount_minor = 4995 + 1000 * i;
		invoices[i].open_minor = 4995 + 1000 * i;
		memcpy(invoices[i].currency, "EUR", 4);
	}
}

static void input(struct compose_input *in, const char *id, enum tone tone,
		  enum channel ch)
{
	memset(in, 0, sizeof(*in));
	in->tenant = &tenant;
	in->profile = &profile;
	in->customer = &customer;
	in->case_id = 1042;
	in->currency = "EUR";
	in->fees_minor = 500;
	in->invoices = invoices;
	in->n_invoices = 2;
	in->template_id = id;
	in->tone = tone;
	in->channel = ch;
	in->today = date_from_ymd(2026, 11, 27);
	in->pay_by = date_from_ymd(2026, 12, 11);
	in->fee_new_minor = 4000;
	in->next_fee_date = date_from_ymd(2026, 12, 18);
	in->promise_date = DATE_NONE;
	in->link_token = "dH1qO0bnt4eHEk6Ki7SVfWSXb-h73SyMoJLoT7vVv6M";
	in->message_id = "m1042@dunwell.test";
	in->now = (instant_t)1795770000;
	in->parts_only = 1;
}

static int golden(const char *path, const char *got)
{
	FILE *f;
	char *want;
	long n;
	int same;

	if (getenv("UPDATE_GOLDEN")) {
		char dir[512];
		snprintf(dir, sizeof(dir), "%s", path);
		for (char *p = dir + 1; *p; p++)
			if (*p == '/') {
				*p = '\0';
				mkdir(dir, 0755);
				*p = '/';
			}
		f = fopen(path, "wb");
		if (!f)
			return 0;
		fputs(got, f);
		fclose(f);
		return 1;
	}
	f = fopen(path, "rb");
	if (!f) {
		printf("  %s: missing (UPDATE_GOLDEN=1 writes it)\n", path);
		return 0;
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	want = calloc(1, (size_t)n + 1);
	if (fread(want, 1, (size_t)n, f) != (size_t)n)
		n = -1;
	fclose(f);
	same = n >= 0 && strcmp(want, got) == 0;
	if (!same)
		printf("  %s differs from the output (diff it; UPDATE_GOLDEN=1"
		       " to accept)\n", path);
	free(want);
	return same;
}

static const char *const golden_locales[] = { "en", "nl", "de", "fr" };
static const struct {
	const char *id;
	enum tone tone;
} golden_templates[] = {
	{ "pre_due", TONE_FRIENDLY },
	{ "friendly_reminder", TONE_FRIENDLY },
	{ "formal_reminder", TONE_FORMAL },
	{ "final_notice", TONE_FINAL },
};

/* Every locale x tone x channel against its golden file. */
TEST(golden_messages)
{
	struct compose *c = compose_new(NULL);
	struct compose_input in;
	struct err e;
	char path[512];

	for (size_t l = 0; l < 4; l++) {
		customer.locale = (char *)golden_locales[l];
		for (size_t t = 0; t < 4; t++) {
			struct compose_output o;
			struct buf all;
			buf_init(&all, 1 << 20);

			input(&in, golden_templates[t].id,
			      golden_templates[t].tone, CHANNEL_EMAIL);
			compose_output_init(&o);
			CHECK_INT(compose_message(c, &in, &o, &e), 0);
			buf_printf(&all, "Subject: %s\n\n%s\n\n--- html ---\n%s",
				   buf_cstr(&o.subject), buf_cstr(&o.text),
				   buf_cstr(&o.html));
			CHECK_STR(o.locale, golden_locales[l]);
			snprintf(path, sizeof(path),
				 "tests/golden/messages/%s/%s.email",
				 golden_locales[l], golden_templates[t].id);
			CHECK(golden(path, buf_cstr(&all)));
			compose_output_free(&o);

			buf_reset(&all);
			input(&in, golden_templates[t].id,
			      golden_templates[t].tone, CHANNEL_SMS);
			compose_output_init(&o);
			CHECK_INT(compose_message(c, &in, &o, &e), 0);
			CHECK(o.sms.segments >= 1 && o.sms.segments <= 3);
			buf_printf(&all, "%s, %d segments\n%s\n",
				   o.sms.encoding == SMS_GSM7 ? "GSM-7" : "UCS-2",
				   o.sms.segments, buf_cstr(&o.text));
			snprintf(path, sizeof(path),
				 "tests/golden/messages/%s/%s.sms",
				 golden_locales[l], golden_templates[t].id);
			CHECK(golden(path, buf_cstr(&all)));
			compose_output_free(&o);
			buf_free(&all);
		}
	}
	customer.locale = "en";
	compose_free(c);
}

/* nl-BE falls back to nl, an unknown language to the tenant's, a missing
 * template to the generic one of its tone, plain language to .plain. */
TEST(lookup_fallbacks)
{
	struct compose *c = compose_new(NULL);
	struct compose_input in;
	struct compose_output o;
	struct err e;

	customer.locale = "nl-BE";
	input(&in, "friendly_reminder", TONE_FRIENDLY, CHANNEL_SMS);
	compose_output_init(&o);
	CHECK_INT(compose_message(c, &in, &o, &e), 0);
	CHECK_STR(o.source, "templates/nl/friendly_reminder.tmpl");
	CHECK(strstr(buf_cstr(&o.text), "EUR") != NULL);
	compose_output_free(&o);

	customer.locale = "es";
	compose_output_init(&o);
	CHECK_INT(compose_message(c, &in, &o, &e), 0);
	CHECK_STR(o.source, "templates/en/friendly_reminder.tmpl");
	compose_output_free(&o);

	customer.locale = "de";
	input(&in, "no_such_template", TONE_FORMAL, CHANNEL_SMS);
	compose_output_init(&o);
	CHECK_INT(compose_message(c, &in, &o, &e), 0);
	CHECK_STR(o.source, "templates/de/formal_reminder.tmpl");
	compose_output_free(&o);

	customer.locale = "fr";
	customer.plain_language = 1;
	input(&in, "final_notice", TONE_FINAL, CHANNEL_SMS);
	compose_output_init(&o);
	CHECK_INT(compose_message(c, &in, &o, &e), 0);
	CHECK_STR(o.source, "templates/fr/final_notice.plain.tmpl");
	CHECK_INT(o.plain, 1);
	compose_output_free(&o);

	/* the legal letter has no plain variant: the full one is used */
	customer.locale = "nl";
	input(&in, "nl_14_day_letter", TONE_FORMAL, CHANNEL_EMAIL);
	compose_output_init(&o);
	CHECK_INT(compose_message(c, &in, &o, &e), 0);
	CHECK_STR(o.source, "templates/nl/nl_14_day_letter.tmpl");
	CHECK(strstr(buf_cstr(&o.text), "EUR") != NULL);
	compose_output_free(&o);

	customer.plain_language = 0;
	customer.locale = "en";
	compose_free(c);
}

/* A customer's name with markup reaches the HTML escaped, the text part
 * as written. */
TEST(html_escapes_untrusted_text)
{
	struct compose *c = compose_new(NULL);
	struct compose_input in;
	struct compose_output o;
	struct err e;

	customer.name = "<script>alert(1)</script> & Sons";
	input(&in, "friendly_reminder", TONE_FRIENDLY, CHANNEL_EMAIL);
	compose_output_init(&o);
	CHECK_INT(compose_message(c, &in, &o, &e), 0);
	CHECK(strstr(buf_cstr(&o.html), "<script>") == NULL);
	CHECK(strstr(buf_cstr(&o.html), "&lt;script&gt;alert(1)&lt;/script&gt;"
				" &amp; Sons") != NULL);
	CHECK(strstr(buf_cstr(&o.text), "<script>alert(1)</script> & Sons") !=
	      NULL);
	compose_output_free(&o);
	customer.name = "Anna de Vries";
	compose_free(c);
}

/* An SMS over the tenant's segment limit is an error naming the counts. */
TEST(sms_segment_limit)
{
	struct compose *c = compose_new(NULL);
	struct compose_input in;
	struct compose_output o;
	struct err e;

	profile.sms_max_segments = 1;
	input(&in, "final_notice", TONE_FINAL, CHANNEL_SMS);
	compose_output_init(&o);
	CHECK(compose_message(c, &in, &o, &e) < 0);
	CHECK(strstr(e.msg, "final_notice.tmpl: @sms:") != NULL);
	CHECK(strstr(e.msg, "segment") != NULL);
	compose_output_free(&o);
	profile.sms_max_segments = 3;
	compose_free(c);
}

/* Every built-in template compiles; a broken one names file:line. */
TEST(check_templates)
{
	struct compose *c = compose_new(NULL);
	struct err e;
	int n = 0;
	const char *bad = "@subject\nHello\n@body\nDear {{customer_nam}},\n"
			  "@sms\nPay {{total_due}}\n";
	const char *unclosed = "@subject\nHi\n@body\n{{#has_fees}}\nfees\n"
			       "@sms\nx\n";
	const char *no_sms = "@subject\nHi\n@body\nbody\n";

	CHECK_INT(compose_check_all(c, &n, &e), 0);
	CHECK(n >= 130);
	CHECK(compose_check_source(c, "mine.tmpl", bad, strlen(bad), &e) < 0);
	CHECK(strstr(e.msg, "mine.tmpl:4") != NULL);
	CHECK(strstr(e.msg, "customer_nam") != NULL);
	CHECK(compose_check_source(c, "open.tmpl", unclosed, strlen(unclosed),
				   &e) < 0);
	CHECK(strstr(e.msg, "open.tmpl:4") != NULL);
	CHECK(compose_check_source(c, "short.tmpl", no_sms, strlen(no_sms),
				   &e) < 0);
	CHECK(strstr(e.msg, "@sms") != NULL);
	compose_free(c);
}

/* The terms: the next fee is announced with its date; pay-by is the day
 * before the next contact step, within 7..30 days. */
TEST(step_terms)
{
	struct strategy_set *set = NULL;
	struct compose_terms t;
	struct err e;
	const char *yaml =
		"strategies:\n"
		"  - name: s\n"
		"    steps:\n"
		"      - {id: a, offset: 3, channels: [email], template: x}\n"
		"      - {id: b, offset: 10, channels: [email], template: x}\n"
		"      - {id: c, offset: 21, channels: [email], template: x,"
		" fee: {type: fixed, amount: \"5.00\"}}\n"
		"      - {id: d, offset: 80, end: hand_to_agent}\n"
		"rules:\n"
		"  - default: s\n";
	date_t anchor = date_from_ymd(2026, 11, 1);
	const struct currency *eur = currency_find("EUR");

	if (strategy_set_parse("t.yaml", yaml, strlen(yaml), &set, &e) < 0) {
		printf("  %s\n", e.msg);
		CHECK(0);
		return;
	}
	CHECK_INT(compose_step_terms(&set->strategies[0], 0, eur, 10000,
				     anchor, anchor + 3, &t, &e), 0);
	CHECK_INT(t.fee_new_minor, 500);
	CHECK_INT(t.next_fee_date, anchor + 21);
	CHECK_INT(t.pay_by, anchor + 10); /* 7 days at least */
	CHECK_INT(compose_step_terms(&set->strategies[0], 1, eur, 10000,
				     anchor, anchor + 10, &t, &e), 0);
	CHECK_INT(t.pay_by, anchor + 20);
	CHECK_INT(compose_step_terms(&set->strategies[0], 2, eur, 10000,
				     anchor, anchor + 21, &t, &e), 0);
	CHECK_INT(t.fee_new_minor, 0); /* its own fee is charged, not announced */
	CHECK_INT(t.next_fee_date, DATE_NONE);
	CHECK_INT(t.pay_by, anchor + 35);
	strategy_set_free(set);
}

int main(void)
{
	setup();
	RUN(golden_messages);
	RUN(lookup_fallbacks);
	RUN(html_escapes_untrusted_text);
	RUN(sms_segment_limit);
	RUN(check_templates);
	RUN(step_terms);
	return CHECK_DONE();
}
