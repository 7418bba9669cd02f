/*
 * bench/deliver: how many messages a second the delivery adapters hand
 * over (issue #4: 2,000 e-mails a second to a local SMTP server, 10,000
 * SMS a second to a local HTTP endpoint).
 *
 *   build/release/bench/deliver [-n N] [-k DISTINCT] [-t THREADS]
 *                               [-c CHECK_DIR] SETTING
 *
 * SETTING is a delivery setting as a tenant gives it ("smtp://127.0.0.1:
 * PORT?starttls=no&inflight=16", "twilio:http://127.0.0.1:PORT?account=
 * AC...&token=...&from=+3197...", "bird:http://127.0.0.1:PORT?key=...&
 * from=Northwind"); the adapter is found by deliver_find and opened as
 * dispatch opens it. DISTINCT messages (default 1000 e-mails, 10000 SMS)
 * are composed first, untimed, through compose_message() as the
 * dispatcher composes them: friendly_reminder in en/nl/de/fr, two open
 * invoices, different customers, addresses, links and Message-IDs; an
 * e-mail is the complete .eml (text, HTML, the EPC QR code as an inline
 * PNG). Then N messages (default 20000), taken from those in turn, each
 * with its own outbox id and idempotency key, are handed to the adapter's
 * send() in batches of DELIVER_BATCH_MAX, exactly as dispatch's hand_over
 * does, and the wall-clock time from the first send() to the last result
 * gives messages per second. THREADS (default 1) dispatcher threads each
 * open their own adapter handle (one handle per thread, as dispatch
 * does) and send N/THREADS messages.
 *
 * Every result must be SENT with a provider id; the tool says how many
 * were not, and fails. With -c CHECK_DIR (the directory given to
 * bench/smtp_sink -d) every message that arrived is compared byte for
 * byte with a document that was sent, and its envelope recipient with
 * that document's recipient.
 *
 * Output: one line "RESULT channel=... messages=N seconds=T per_second=R
 * bytes_each=B cpu_seconds=C" after a human-readable one.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "compose.h"
#include "deliver.h"
#include "mem.h"
#include "money.h"
#include "profile.h"

#define BENCH_KEY_MAX 64     /* idempotency key, bytes with NUL */
#define BENCH_PATH_MAX 4096  /* a file name under CHECK_DIR */

/* The composed messages, shared read-only by every thread. */
struct corpus {
	enum channel ch;          /* CHANNEL_EMAIL or CHANNEL_SMS */
	size_t n;                 /* distinct messages */
	char **to;                /* recipient of each */
	char **subject;           /* e-mail subject ("" for SMS) */
	char **text;              /* text part or SMS text */
	unsigned char **doc;      /* the .eml, NULL for SMS */
	size_t *doc_len;          /* bytes in doc */
	size_t bytes;             /* sum of what goes on the wire per round
				     of n: doc_len or strlen(text) */
};

/* One dispatcher thread. */
struct runner {
	const struct corpus *c;        /* what to send */
	const char *setting;           /* the delivery setting */
	const struct deliver_backend *be; /* its adapter */
	long first, count;             /* outbox ids first..first+count-1 */
	long sent, retry, hard;        /* outcomes */
	long no_id;                    /* SENT without a provider id */
	char error[DELIVER_ERROR_MAX]; /* the first failure's text */
	int rc;                        /* 0, or -1 when open/send failed */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static const char *const locales[] = { "en", "nl", "de", "fr" };
static const char *const names[] = { "Anna de Vries", "Lukas Schneider",
				     "Camille Martin", "Margaret Hughes",
				     "Sven Jansen", "Élodie Dubois" };

/* Compose n distinct messages of channel ch (as bench/render does). */
static int corpus_make(struct corpus *c, enum channel ch, size_t n)
{
	struct tenant_rec t = { 1, "bench", "Northwind Telecom",
				"Europe/Amsterdam", "en" };
	struct contact_rec contacts[2];
	struct customer_rec cu;
	struct invoice_rec inv[2];
	struct profile pr;
	struct compose_input in;
	struct compose *comp;
	char email[64], phone[24], ext[24], token[64], msgid[96];
	int rc = 0;

	memset(c, 0, sizeof(*c));
	c->ch = ch;
	c->n = n;
	c->to = xcalloc(n, sizeof(*c->to));
	c->subject = xcalloc(n, sizeof(*c->subject));
	c->text = xcalloc(n, sizeof(*c->text));
	c->doc = xcalloc(n, sizeof(*c->doc));
	c->doc_len = xcalloc(n, sizeof(*c->doc_len));

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
	in.channel = ch;
	in.today = date_from_ymd(2026, 11, 27);
	in.pay_by = DATE_NONE;
	in.next_fee_date = DATE_NONE;
	in.promise_date = DATE_NONE;
	in.now = (instant_t)1795770000;

	comp = compose_new(NULL);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct compose_output o;
		struct err e;

		snprintf(email, sizeof(email), "customer%zu@example.com", i);
		snprintf(phone, sizeof(phone), "+316%08zu", i % 100000000);
		snprintf(ext, sizeof(ext), "C-%zu", 1000 + i);
		/* a link token of the real length (43 base64url characters) */
		snprintf(token, sizeof(token),
			 "dH1qO0bnt4eHEk6Ki7SVfWSXb-h73SyMo%010zu", i);
		snprintf(msgid, sizeof(msgid), "bench-%08zu@northwind.example",
			 i);
		contacts[0] = (struct contact_rec){ CHANNEL_EMAIL, email, 1, 1 };
		contacts[1] = (struct contact_rec){ CHANNEL_SMS, phone, 1, 2 };
		cu.external_id = ext;
		cu.locale = (char *)locales[i % 4];
		cu.name = (char *)names[(i / 4) % 6];
		for (int k = 0; k < 2; k++)
			inv[k].amount_minor = inv[k].open_minor =
				4995 + 1000 * k + (int64_t)(i % 97) * 100;
		in.case_id = 1000 + (int64_t)i;
		in.link_token = token;
		in.message_id = msgid;
		compose_output_init(&o);
		if (compose_message(comp, &in, &o, &e) < 0) {
			fprintf(stderr, "bench/deliver: compose: %s\n", e.msg);
			rc = -1;
		} else {
			c->to[i] = xstrdup(ch == CHANNEL_EMAIL ? email : phone);
			c->subject[i] = xstrdup(buf_cstr(&o.subject));
			c->text[i] = xstrdup(buf_cstr(&o.text));
			if (ch == CHANNEL_EMAIL) {
				c->doc_len[i] = o.document.len;
				c->doc[i] = xmalloc(o.document.len);
				memcpy(c->doc[i], o.document.data,
				       o.document.len);
				c->bytes += o.document.len;
			} else {
				c->bytes += strlen(c->text[i]);
			}
		}
		compose_output_free(&o);
	}
	compose_free(comp);
	return rc;
}

static void corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->to[i]);
		free(c->subject[i]);
		free(c->text[i]);
		free(c->doc[i]);
	}
	free(c->to);
	free(c->subject);
	free(c->text);
	free(c->doc);
	free(c->doc_len);
}

/* Send count messages in batches, as dispatch's hand_over does. */
static void *runner_run(void *arg)
{
	struct runner *r = arg;
	const struct corpus *c = r->c;
	struct deliver_msg msgs[DELIVER_BATCH_MAX];
	struct deliver_result res[DELIVER_BATCH_MAX];
	char keys[DELIVER_BATCH_MAX][BENCH_KEY_MAX];
	void *h = NULL;
	struct err e;
	long done = 0;

	if (r->be->open(r->setting, &h, &e) < 0) {
		snprintf(r->error, sizeof(r->error), "open: %.240s", e.msg);
		r->rc = -1;
		return NULL;
	}
	while (done < r->count) {
		size_t k = 0;
		while (k < DELIVER_BATCH_MAX && done + (long)k < r->count) {
			long id = r->first + done + (long)k;
			size_t j = (size_t)id % c->n;
			struct deliver_msg *m = &msgs[k];
			memset(m, 0, sizeof(*m));
			snprintf(keys[k], sizeof(keys[k]), "dw-1-%010ld-%s", id,
				 c->ch == CHANNEL_EMAIL ? "email" : "sms");
			m->id = id;
			m->idempotency_key = keys[k];
			m->channel = c->ch;
			m->to = c->to[j];
			m->to_name = names[(j / 4) % 6];
			m->tenant = "bench";
			m->locale = locales[j % 4];
			m->subject = c->subject[j];
			m->text = c->text[j];
			m->document = c->doc[j];
			m->document_len = c->doc_len[j];
			m->link = "https://pay.northwind.example/p/x";
			m->now = (instant_t)time(NULL);
			k++;
		}
		memset(res, 0, sizeof(res));
		if (r->be->send(h, msgs, k, res, &e) < 0) {
			snprintf(r->error, sizeof(r->error), "send: %.240s", e.msg);
			r->retry += (long)k;
			r->rc = -1;
			break;
		}
		for (size_t x = 0; x < k; x++) {
			if (res[x].status == DELIVER_SENT) {
				r->sent++;
				r->no_id += res[x].provider_id[0] == '\0';
				continue;
			}
			if (res[x].status == DELIVER_RETRY)
				r->retry++;
			else
				r->hard++;
			if (!r->error[0])
				snprintf(r->error, sizeof(r->error), "%s",
					 res[x].error);
		}
		done += (long)k;
	}
	r->be->close(h);
	return NULL;
}

/* Read a whole file (malloc'd), or NULL. */
static unsigned char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *d = NULL;
	size_t cap = 0, len = 0, got;

	if (!f)
		return NULL;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			d = xrealloc(d, cap);
		}
		got = fread(d + len, 1, cap - len, f);
		len += got;
	} while (got > 0);
	fclose(f);
	*ret_len = len;
	return d;
}

/* Every message in dir (bench/smtp_sink -d) must be one of the documents
 * sent, byte for byte, with that document's recipient in its envelope.
 * Returns how many matched; *ret_files counts the messages found. */
static long check_dir(const struct corpus *c, const char *dir,
		      long *ret_files)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	long ok = 0, files = 0;

	if (!d) {
		perror(dir);
		*ret_files = 0;
		return 0;
	}
	while ((de = readdir(d))) {
		char path[BENCH_PATH_MAX], want[300];
		unsigned char *data, *env;
		size_t len = 0, elen = 0, nl = strlen(de->d_name);
		size_t j;

		if (nl < 5 || de->d_name[0] == '.' ||
		    strcmp(de->d_name + nl - 4, ".eml") != 0)
			continue;
		files++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		data = slurp(path, &len);
		/* the Message-ID names the document: bench-<j>@... */
		for (j = 0; data && j < c->n; j++) {
			char mid[64];
			int ml = snprintf(mid, sizeof(mid),
					  "Message-ID: <bench-%08zu@", j);
			if (len == c->doc_len[j] &&
			    memmem(data, len < 4096 ? len : 4096, mid,
				   (size_t)ml) &&
			    memcmp(data, c->doc[j], len) == 0)
				break;
		}
		if (!data || j == c->n) {
			fprintf(stderr, "check: %s is none of the messages "
				"sent\n", path);
			free(data);
			continue;
		}
		free(data);
		memcpy(path + strlen(path) - 4, ".env", 4);
		env = slurp(path, &elen);
		snprintf(want, sizeof(want), "RCPT TO:<%s>\n", c->to[j]);
		if (env && memmem(env, elen, want, strlen(want)))
			ok++;
		else
			fprintf(stderr, "check: %s: recipient is not %s\n",
				path, c->to[j]);
		free(env);
	}
	closedir(d);
	*ret_files = files;
	return ok;
}

static void usage(void)
{
	fprintf(stderr, "usage: deliver [-n N] [-k DISTINCT] [-t THREADS] "
			"[-c CHECK_DIR] SETTING\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long n = 20000, distinct = 0;
	int threads = 1, opt, rc = 0;
	const char *check = NULL, *setting;
	const struct deliver_backend *be;
	struct runner *rs;
	pthread_t *tids;
	struct corpus c;
	long sent = 0, retry = 0, hard = 0, no_id = 0;
	double t0, t1, c0, c1, each;

	while ((opt = getopt(argc, argv, "n:k:t:c:")) != -1) {
		switch (opt) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'k':
			distinct = strtol(optarg, NULL, 10);
			break;
		case 't':
			threads = (int)strtol(optarg, NULL, 10);
			break;
		case 'c':
			check = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 1 != argc || n <= 0 || threads < 1 || threads > 64 ||
	    distinct < 0)
		usage();
	setting = argv[optind];
	be = deliver_find(setting);
	if (!be || (be->channel != CHANNEL_EMAIL && be->channel != CHANNEL_SMS)) {
		fprintf(stderr, "bench/deliver: %s: not an e-mail or SMS "
			"setting\n", setting);
		return 2;
	}
	if (distinct == 0)
		distinct = be->channel == CHANNEL_EMAIL ? 1000 : 10000;
	if (distinct > n)
		distinct = n;
	if (corpus_make(&c, be->channel, (size_t)distinct) < 0)
		return 1;
	each = (double)c.bytes / (double)c.n;

	rs = xcalloc((size_t)threads, sizeof(*rs));
	tids = xcalloc((size_t)threads, sizeof(*tids));
	for (int i = 0; i < threads; i++) {
		rs[i].c = &c;
		rs[i].setting = setting;
		rs[i].be = be;
		rs[i].first = n / threads * i;
		rs[i].count = i == threads - 1 ? n - rs[i].first : n / threads;
	}
	c0 = cpu_s();
	t0 = now_s();
	for (int i = 0; i < threads; i++)
		pthread_create(&tids[i], NULL, runner_run, &rs[i]);
	for (int i = 0; i < threads; i++)
		pthread_join(tids[i], NULL);
	t1 = now_s();
	c1 = cpu_s();
	for (int i = 0; i < threads; i++) {
		sent += rs[i].sent;
		retry += rs[i].retry;
		hard += rs[i].hard;
		no_id += rs[i].no_id;
		if (rs[i].error[0])
			fprintf(stderr, "bench/deliver: thread %d: %s\n", i,
				rs[i].error);
		if (rs[i].rc < 0)
			rc = 1;
	}
	printf("%s via %s: %ld messages (%ld distinct, %.0f bytes each) in "
	       "%.3f s: %.0f per second, %.1f MB/s; %d thread(s), client CPU "
	       "%.2f s\n", be->channel == CHANNEL_EMAIL ? "e-mail" : "SMS",
	       be->scheme, n, distinct, each, t1 - t0, (double)n / (t1 - t0),
	       (double)n * each / (t1 - t0) / 1e6, threads, c1 - c0);
	if (sent != n || no_id) {
		printf("NOT ALL SENT: %ld sent (%ld without a provider id), "
		       "%ld to retry, %ld failed\n", sent, no_id, retry, hard);
		rc = 1;
	}
	if (check) {
		long files = 0, ok = check_dir(&c, check, &files);
		printf("check: %ld messages in %s, %ld equal byte for byte to "
		       "one sent, with its recipient\n", files, check, ok);
		if (ok != files || files != n)
			rc = 1;
	}
	printf("RESULT channel=%s scheme=%s messages=%ld seconds=%.3f "
	       "per_second=%.0f bytes_each=%.0f cpu_seconds=%.2f sent=%ld\n",
	       be->channel == CHANNEL_EMAIL ? "email" : "sms", be->scheme, n,
	       t1 - t0, (double)n / (t1 - t0), each, c1 - c0, sent);
	free(rs);
	free(tids);
	corpus_free(&c);
	return rc;
}
