/*
 * test_deliver_smtp: the SMTP adapter (src/deliver_smtp.c) against a real
 * SMTP server on loopback — tests/tools/smtp_server.py, built on aiosmtpd —
 * started here for each scenario with its own message directory: plain
 * delivery of a batch with connection reuse and byte-exact content, AUTH
 * (PLAIN and LOGIN, right and wrong password), STARTTLS and implicit TLS
 * with a self-signed certificate, bounces and deferrals at RCPT and DATA,
 * a timeout, a server that is down, and settings that must be refused.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "buf.h"
#include "check.h"
#include "deliver_smtp.h"
#include "render_email.h"

#define SMTP_SERVER "tests/tools/smtp_server.py"
#define MSG_MAX (1 << 20)
#define FILES_MAX 64

/* ---- the server --------------------------------------------------- */

/* A running tests/tools/smtp_server.py. */
struct server {
	pid_t pid;      /* the python process */
	int stdin_fd;   /* its stdin: closing it stops the server */
	int stdout_fd;  /* its stdout, where it said "PORT n" */
	int port;       /* the port it listens on, on 127.0.0.1 */
	char dir[128];  /* where it stores the messages it accepts */
};

/* Debian's interpreter, the one that sees Debian's python3-aiosmtpd (a
 * python3 earlier on PATH, say from pyenv, may not); else python3. */
static const char *python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
						    : "python3";
}

static bool port_answers(int port)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Start the server with the given extra options (NULL-terminated); it
 * answers on sv->port when this returns true. */
static bool server_start(struct server *sv, const char *const *opts)
{
	const char *argv[24];
	const char *tmp = getenv("TMPDIR");
	char line[64];
	size_t len = 0;
	int in[2], out[2], i, n = 0;

	memset(sv, 0, sizeof(*sv));
	sv->pid = -1;
	snprintf(sv->dir, sizeof(sv->dir), "%s/dunwell-smtp.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(sv->dir)) {
		printf("  mkdtemp: %s\n", strerror(errno));
		return false;
	}
	argv[n++] = python();
	argv[n++] = SMTP_SERVER;
	argv[n++] = "--dir";
	argv[n++] = sv->dir;
	for (i = 0; opts && opts[i] && n < 22; i++)
		argv[n++] = opts[i];
	argv[n] = NULL;
	if (pipe(in) != 0 || pipe(out) != 0)
		return false;
	fflush(stdout);
	sv->pid = fork();
	if (sv->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	sv->stdin_fd = in[1];
	sv->stdout_fd = out[0];
	if (sv->pid < 0)
		return false;

	/* "PORT n\n", within 20 s (the certificate is made first) */
	while (len < sizeof(line) - 1 && (len == 0 || line[len - 1] != '\n')) {
		struct pollfd p = { .fd = sv->stdout_fd, .events = POLLIN };
		ssize_t got;
		if (poll(&p, 1, 20000) <= 0)
			break;
		got = read(sv->stdout_fd, line + len, 1);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	line[len] = '\0';
	if (sscanf(line, "PORT %d", &sv->port) != 1 || sv->port <= 0) {
		printf("  %s did not start (is python3-aiosmtpd installed?)"
		       ": \"%s\"\n", SMTP_SERVER, line);
		return false;
	}
	for (i = 0; i < 100 && !port_answers(sv->port); i++)
		usleep(50 * 1000);
	return i < 100;
}

static void server_stop(struct server *sv)
{
	DIR *d;
	struct dirent *de;
	char path[400];

	if (sv->pid > 0) {
		int i;
		/* end of its stdin stops it; SIGTERM if it takes too long */
		close(sv->stdin_fd);
		for (i = 0; i < 100 && waitpid(sv->pid, NULL, WNOHANG) == 0;
		     i++)
			usleep(20 * 1000);
		if (i == 100) {
			kill(sv->pid, SIGTERM);
			waitpid(sv->pid, NULL, 0);
		}
		close(sv->stdout_fd);
	}
	d = opendir(sv->dir);
	if (d) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.' &&
			    (!de->d_name[1] || de->d_name[1] == '.'))
				continue;
			snprintf(path, sizeof(path), "%s/%s", sv->dir,
				 de->d_name);
			unlink(path);
		}
		closedir(d);
		rmdir(sv->dir);
	}
}

/* ---- the messages the server stored ------------------------------- */

/* One stored message: its envelope lines and its data. */
struct stored {
	char mail_from[300];  /* the address in MAIL FROM:<...> */
	char rcpt[300];       /* the address in the (one) RCPT TO:<...> */
	char peer[64];        /* client address:port, one per connection */
	char tls[8];          /* "yes" or "no" */
	char auth[64];        /* who authenticated, "-" nobody */
	char queue[32];       /* the queue id the server gave */
	struct buf data;      /* the DATA bytes */
};

static void head_value(const char *head, const char *key, char *out,
		       size_t max)
{
	const char *p = head;
	size_t klen = strlen(key);

	out[0] = '\0';
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		if (n > klen && strncmp(p, key, klen) == 0) {
			const char *v = p + klen;
			n -= klen;
			if (*v == '<' && n >= 2 && v[n - 1] == '>') {
				v++;
				n -= 2;
			}
			if (n >= max)
				n = max - 1;
			memcpy(out, v, n);
			out[n] = '\0';
			return;
		}
		p = eol ? eol + 1 : NULL;
	}
}

/* Read every DIR/NNNNNN.msg; returns how many (at most FILES_MAX). */
static size_t stored_read(const struct server *sv, struct stored *out)
{
	DIR *d = opendir(sv->dir);
	struct dirent *de;
	size_t count = 0;

	CHECK(d != NULL);
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL && count < FILES_MAX) {
		char path[400], chunk[4096];
		struct buf all;
		const char *sep;
		size_t n, hl;
		FILE *f;
		size_t len = strlen(de->d_name);

		if (len < 5 || strcmp(de->d_name + len - 4, ".msg") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sv->dir, de->d_name);
		f = fopen(path, "rb");
		CHECK(f != NULL);
		if (!f)
			continue;
		buf_init(&all, MSG_MAX * 2);
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			CHECK_INT(buf_append(&all, chunk, n), 0);
		fclose(f);
		sep = strstr(buf_cstr(&all), "\n\n");
		CHECK(sep != NULL);
		if (sep) {
			struct stored *s = &out[count++];
			char *head;
			hl = (size_t)(sep - all.data);
			head = strndup(all.data, hl);
			head_value(head, "MAIL FROM:", s->mail_from,
				   sizeof(s->mail_from));
			head_value(head, "RCPT TO:", s->rcpt, sizeof(s->rcpt));
			head_value(head, "PEER ", s->peer, sizeof(s->peer));
			head_value(head, "TLS ", s->tls, sizeof(s->tls));
			head_value(head, "AUTH ", s->auth, sizeof(s->auth));
			head_value(head, "QUEUE ", s->queue, sizeof(s->queue));
			free(head);
			buf_init(&s->data, MSG_MAX);
			CHECK_INT(buf_append(&s->data, sep + 2,
					     all.len - hl - 2), 0);
		}
		buf_free(&all);
	}
	closedir(d);
	return count;
}

static void stored_free(struct stored *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf_free(&s[i].data);
}

static const struct stored *stored_for(const struct stored *s, size_t n,
				       const char *rcpt)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(s[i].rcpt, rcpt) == 0)
			return &s[i];
	return NULL;
}

/* ---- messages to send --------------------------------------------- */

/* A test message: its address, id and document. */
struct tmsg {
	char to[80];        /* recipient */
	char msgid[80];     /* Message-ID without <> */
	struct buf doc;     /* the .eml */
};

/* A real message from render_email, with a long display name so that the
 * From header is folded and RFC 2047-encoded. */
static void tmsg_render(struct tmsg *t, const char *to, int i)
{
	struct email_msg m;
	struct err e;
	char subject[80], text[300];
	int rc;

	snprintf(t->to, sizeof(t->to), "%s", to);
	snprintf(t->msgid, sizeof(t->msgid), "m%d.smtp-test@dunwell.example",
		 i);
	snprintf(subject, sizeof(subject), "Herinnering factuur %d", 1000 + i);
	snprintf(text, sizeof(text),
		 "Beste klant %d,\n\nUw factuur staat nog open.\n"
		 ".Een regel die met een punt begint.\n"
		 "..en een met twee.\n.\nMet vriendelijke groet\n", i);
	memset(&m, 0, sizeof(m));
	m.from_name = "Dienstverlening Betalingsherinneringen Ëxample "
		      "Telecom Nederland B.V. — afdeling debiteuren";
	m.from_addr = "billing@tenant.example";
	m.to_name = "Klant";
	m.to_addr = to;
	m.subject = subject;
	m.text = text;
	m.date = 1767225600 + i;
	m.message_id = t->msgid;
	m.lang = "nl";
	rc = email_render(&m, MSG_MAX, &t->doc, &e);
	if (rc != 0)
		printf("  email_render: %s\n", e.msg);
	CHECK_INT(rc, 0);
}

/* A hand-made message (bytes under the test's control). */
static void tmsg_raw(struct tmsg *t, const char *to, const char *body)
{
	snprintf(t->to, sizeof(t->to), "%s", to);
	snprintf(t->msgid, sizeof(t->msgid), "raw.%s", to);
	buf_init(&t->doc, MSG_MAX);
	buf_printf(&t->doc,
		   "From: Billing <billing@tenant.example>\r\n"
		   "To: <%s>\r\nSubject: test\r\n"
		   "Message-ID:\r\n <%s>\r\n"
		   "\r\n%s", to, t->msgid, body);
}

static struct deliver_msg as_msg(const struct tmsg *t, int64_t id)
{
	struct deliver_msg m;

	memset(&m, 0, sizeof(m));
	m.id = id;
	m.idempotency_key = t->msgid;
	m.channel = CHANNEL_EMAIL;
	m.to = t->to;
	m.to_name = "Klant";
	m.tenant = "acme";
	m.locale = "nl";
	m.subject = "test";
	m.text = "";
	m.document = (const unsigned char *)t->doc.data;
	m.document_len = t->doc.len;
	m.now = 1767225600;
	return m;
}

/* Open `config` (printf-style with the port), send n messages in one
 * call, close. */
static void send_all(const char *config, const struct tmsg *t, size_t n,
		     struct deliver_result *res)
{
	struct deliver_msg msgs[FILES_MAX];
	void *h = NULL;
	struct err e = { "" };
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		msgs[i] = as_msg(&t[i], (int64_t)i + 1);
	rc = deliver_smtp.open(config, &h, &e);
	if (rc != 0)
		printf("  open %s: %s\n", config, e.msg);
	CHECK_INT(rc, 0);
	if (rc != 0)
		return;
	CHECK_INT(deliver_smtp.send(h, msgs, n, res, &e), 0);
	deliver_smtp.close(h);
}

static void show(const struct deliver_result *r)
{
	printf("  status %d id \"%s\" error \"%s\"\n", (int)r->status,
	       r->provider_id, r->error);
}

/* ---- tests --------------------------------------------------------- */

/* 20 messages in one call with 4 in flight: every one stored, byte for
 * byte, over at most 4 connections; then 5 more over the same ones. */
TEST(test_batch_plain)
{
	static const char *const opts[] = { NULL };
	struct server sv;
	struct tmsg t[25];
	struct deliver_result res[25];
	struct deliver_msg msgs[25];
	struct stored st[FILES_MAX];
	char config[200], peers[8][64];
	size_t npeers = 0, n, i, k;
	void *h = NULL;
	struct err e = { "" };

	CHECK(server_start(&sv, opts));
	for (i = 0; i < 25; i++) {
		char to[64];
		snprintf(to, sizeof(to), "customer%02zu@example.net", i);
		tmsg_render(&t[i], to, (int)i);
		msgs[i] = as_msg(&t[i], (int64_t)i + 1);
	}
	snprintf(config, sizeof(config),
		 "smtp://127.0.0.1:%d?starttls=no&inflight=4&timeout=20",
		 sv.port);
	CHECK_INT(deliver_smtp.open(config, &h, &e), 0);
	if (h) {
		CHECK_INT(deliver_smtp.send(h, msgs, 20, res, &e), 0);
		CHECK_INT(deliver_smtp.send(h, msgs + 20, 5, res + 20, &e), 0);
		deliver_smtp.close(h);
	}

	n = stored_read(&sv, st);
	CHECK_INT(n, 25);
	for (i = 0; i < 25; i++) {
		const struct stored *s = stored_for(st, n, t[i].to);
		CHECK_INT(res[i].status, DELIVER_SENT);
		CHECK_STR(res[i].error, "");
		if (res[i].status != DELIVER_SENT)
			show(&res[i]);
		CHECK(s != NULL);
		if (!s)
			continue;
		/* the queue id of the server's final reply */
		CHECK_STR(res[i].provider_id, s->queue);
		/* envelope sender from the (folded, encoded) From header */
		CHECK_STR(s->mail_from, "billing@tenant.example");
		CHECK_STR(s->tls, "no");
		CHECK_STR(s->auth, "-");
		CHECK_INT(s->data.len, t[i].doc.len);
		CHECK(s->data.len == t[i].doc.len &&
		      memcmp(s->data.data, t[i].doc.data, s->data.len) == 0);
		for (k = 0; k < npeers; k++)
			if (strcmp(peers[k], s->peer) == 0)
				break;
		if (k == npeers && npeers < 8)
			snprintf(peers[npeers++], sizeof(peers[0]), "%s",
				 s->peer);
	}
	/* four at once, each slot's connection reused across both calls */
	CHECK_INT(npeers, 4);
	stored_free(st, n);
	for (i = 0; i < 25; i++)
		buf_free(&t[i].doc);
	server_stop(&sv);
}

/* from= overrides the From header; the data is dot-stuffed on the wire
 * and unstuffed by the server; a document without a final CRLF gets one;
 * a reply without a queue id gives the Message-ID as provider id. */
TEST(test_content_and_ids)
{
	static const char *const opts[] = { NULL };
	struct server sv;
	struct tmsg t[2];
	struct deliver_result res[2];
	struct stored st[FILES_MAX];
	const struct stored *s;
	char config[200];
	size_t n;

	CHECK(server_start(&sv, opts));
	tmsg_raw(&t[0], "dots@example.net",
		 ".\r\n..\r\n.x\r\nplain\r\n. \r\nend\r\n");
	tmsg_raw(&t[1], "noid@example.net", "no final line end");
	snprintf(config, sizeof(config),
		 "smtp://127.0.0.1:%d/?starttls=no&from=bounces%%2Bacme@"
		 "dunwell.example&helo=sender.dunwell.example", sv.port);
	send_all(config, t, 2, res);
	n = stored_read(&sv, st);
	CHECK_INT(n, 2);
	CHECK_INT(res[0].status, DELIVER_SENT);
	CHECK_INT(res[1].status, DELIVER_SENT);
	s = stored_for(st, n, "dots@example.net");
	CHECK(s != NULL);
	if (s) {
		CHECK_STR(s->mail_from, "bounces+acme@dunwell.example");
		CHECK(s->data.len == t[0].doc.len &&
		      memcmp(s->data.data, t[0].doc.data, s->data.len) == 0);
		CHECK_STR(res[0].provider_id, s->queue);
	}
	s = stored_for(st, n, "noid@example.net");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->data.len, t[1].doc.len + 2);
		CHECK(memcmp(s->data.data, t[1].doc.data, t[1].doc.len) == 0);
		CHECK(memcmp(s->data.data + t[1].doc.len, "\r\n", 2) == 0);
	}
	/* "250 2.0.0 Ok": no queue id, so the (folded) Message-ID */
	CHECK_STR(res[1].provider_id, "raw.noid@example.net");
	stored_free(st, n);
	buf_free(&t[0].doc);
	buf_free(&t[1].doc);
	server_stop(&sv);
}

/* AUTH: the right password (percent-encoded in the setting) sends; a
 * wrong one is RETRY with an error that says so and holds no password;
 * no credentials at all is RETRY too (MAIL FROM refused), never a
 * bounce. */
TEST(test_auth)
{
	static const char *const plain[] = { "--auth", "mailer:p@ss:w%rd",
					     NULL };
	static const char *const login[] = { "--auth", "mailer:p@ss:w%rd",
					     "--auth-mechanisms", "LOGIN",
					     NULL };
	struct server sv;
	struct tmsg t;
	struct deliver_result res;
	struct stored st[FILES_MAX];
	char config[200];
	size_t n;

	tmsg_raw(&t, "customer@example.net", "hello\r\n");

	CHECK(server_start(&sv, plain));
	snprintf(config, sizeof(config),
		 "smtp://mailer:p%%40ss%%3Aw%%25rd@127.0.0.1:%d?starttls=no",
		 sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_SENT);
	n = stored_read(&sv, st);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(st[0].auth, "mailer");
	stored_free(st, n);

	snprintf(config, sizeof(config),
		 "smtp://mailer:Wr0ngPassw0rd@127.0.0.1:%d?starttls=no",
		 sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_RETRY);
	CHECK(strstr(res.error, "authentication failed") != NULL);
	CHECK(strstr(res.error, "535") != NULL);
	CHECK(strstr(res.error, "Wr0ngPassw0rd") == NULL);
	CHECK(strstr(res.error, "p@ss") == NULL);
	if (res.status != DELIVER_RETRY)
		show(&res);

	snprintf(config, sizeof(config), "smtp://127.0.0.1:%d?starttls=no",
		 sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_RETRY);
	CHECK(strstr(res.error, "MAIL FROM") != NULL);
	CHECK(strstr(res.error, "530") != NULL);
	n = stored_read(&sv, st);
	CHECK_INT(n, 1); /* still only the first */
	stored_free(st, n);
	server_stop(&sv);

	/* a server offering only AUTH LOGIN */
	CHECK(server_start(&sv, login));
	snprintf(config, sizeof(config),
		 "smtp://mailer:p%%40ss%%3Aw%%25rd@127.0.0.1:%d?starttls=no",
		 sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_SENT);
	n = stored_read(&sv, st);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(st[0].auth, "mailer");
	stored_free(st, n);
	server_stop(&sv);
	buf_free(&t.doc);
}

/* STARTTLS: required (the default) with the test's self-signed
 * certificate accepted by insecure=1 sends encrypted, with AUTH; without
 * insecure=1 the certificate is refused; starttls=no against a server
 * that requires it is refused by the server; against a server that offers
 * it, optional uses it and no does not; starttls=required against a
 * server without STARTTLS sends nothing. */
TEST(test_starttls)
{
	static const char *const tls[] = { "--require-starttls", "--auth",
					   "mailer:secret", NULL };
	static const char *const offered[] = { "--starttls", NULL };
	static const char *const none[] = { NULL };
	struct server sv;
	struct tmsg t, t2;
	struct deliver_result res;
	struct stored st[FILES_MAX];
	const struct stored *s;
	char config[200];
	size_t n;

	tmsg_raw(&t, "customer@example.net", "hello over TLS\r\n");
	tmsg_raw(&t2, "clear@example.net", "hello in the clear\r\n");
	CHECK(server_start(&sv, tls));
	snprintf(config, sizeof(config),
		 "smtp://mailer:secret@127.0.0.1:%d?insecure=1", sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_SENT);
	if (res.status != DELIVER_SENT)
		show(&res);
	n = stored_read(&sv, st);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(st[0].tls, "yes");
		CHECK_STR(st[0].auth, "mailer");
		CHECK(st[0].data.len == t.doc.len &&
		      memcmp(st[0].data.data, t.doc.data, t.doc.len) == 0);
	}
	stored_free(st, n);

	snprintf(config, sizeof(config),
		 "smtp://mailer:secret@127.0.0.1:%d", sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_RETRY);
	CHECK(strstr(res.error, "certificate") != NULL);
	CHECK(strstr(res.error, "secret") == NULL);

	snprintf(config, sizeof(config),
		 "smtp://mailer:secret@127.0.0.1:%d?starttls=no", sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_RETRY);
	CHECK(res.error[0] != '\0');
	CHECK(strstr(res.error, "secret") == NULL);
	n = stored_read(&sv, st);
	CHECK_INT(n, 1);
	stored_free(st, n);
	server_stop(&sv);

	/* offered, not required: optional uses it, no does not */
	CHECK(server_start(&sv, offered));
	snprintf(config, sizeof(config),
		 "smtp://127.0.0.1:%d?starttls=optional&insecure=1", sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_SENT);
	snprintf(config, sizeof(config), "smtp://127.0.0.1:%d?starttls=no",
		 sv.port);
	send_all(config, &t2, 1, &res);
	CHECK_INT(res.status, DELIVER_SENT);
	n = stored_read(&sv, st);
	CHECK_INT(n, 2);
	s = stored_for(st, n, "customer@example.net");
	CHECK(s != NULL && strcmp(s->tls, "yes") == 0);
	s = stored_for(st, n, "clear@example.net");
	CHECK(s != NULL && strcmp(s->tls, "no") == 0);
	stored_free(st, n);
	server_stop(&sv);

	CHECK(server_start(&sv, none));
	snprintf(config, sizeof(config), "smtp://127.0.0.1:%d?insecure=1",
		 sv.port);
	send_all(config, &t, 1, &res);
	CHECK_INT(res.status, DELIVER_RETRY);
	CHECK(strstr(res.error, "STARTTLS") != NULL);
	n = stored_read(&sv, st);
	CHECK_INT(n, 0);
	stored_free(st, n);
	server_stop(&sv);
	buf_free(&t.doc);
	buf_free(&t2.doc);
}

/* smtps://: TLS from the first byte. */
TEST(test_smtps)
{
	static const char *const opts[] = { "--implicit-tls", NULL };
	struct server sv;
	struct tmsg t;
	struct deliver_result res;
	struct stored st[FILES_MAX];
	char config[200];
	size_t n;
	void *h = NULL;
	struct err e = { "" };
	struct deliver_msg m;

	tmsg_raw(&t, "customer@example.net", "implicit TLS\r\n");
	CHECK(server_start(&sv, opts));
	snprintf(config, sizeof(config), "smtps://127.0.0.1:%d?insecure=1",
		 sv.port);
	/* through the smtps struct this time */
	m = as_msg(&t, 1);
	CHECK_INT(deliver_smtps.open(config, &h, &e), 0);
	if (h) {
		CHECK_INT(deliver_smtps.send(h, &m, 1, &res, &e), 0);
		deliver_smtps.close(h);
		CHECK_INT(res.status, DELIVER_SENT);
		if (res.status != DELIVER_SENT)
			show(&res);
	}
	n = stored_read(&sv, st);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(st[0].tls, "yes");
	stored_free(st, n);
	server_stop(&sv);
	buf_free(&t.doc);
}

/* One call, many fates: bounces at RCPT and DATA are HARD_FAIL with the
 * server's words, deferrals and a relay refusal RETRY, unusable messages
 * HARD_FAIL without a word to the server, and the good ones SENT — each
 * in its own slot of the results whatever order they finished in. */
TEST(test_outcomes)
{
	static const char *const opts[] = { NULL };
	static const char *const to[] = {
		"ok1@example.net",   "bounce1@example.net",
		"defer1@example.net", "rejectdata1@example.net",
		"deferdata1@example.net", "ok2@example.net",
		"not an address",    "sms@example.net",
		"ok3@example.net",   "relaydenied@example.net",
	};
	enum { N = sizeof(to) / sizeof(to[0]) };
	struct server sv;
	struct tmsg t[N];
	struct deliver_msg msgs[N];
	struct deliver_result res[N];
	struct stored st[FILES_MAX];
	char config[200];
	void *h = NULL;
	struct err e = { "" };
	size_t i, n;

	CHECK(server_start(&sv, opts));
	for (i = 0; i < N; i++) {
		tmsg_raw(&t[i], to[i], "body\r\n");
		msgs[i] = as_msg(&t[i], (int64_t)i + 1);
	}
	msgs[7].channel = CHANNEL_SMS;
	msgs[7].document = NULL;
	msgs[7].document_len = 0;
	snprintf(config, sizeof(config),
		 "smtp://127.0.0.1:%d?starttls=no&inflight=3", sv.port);
	CHECK_INT(deliver_smtp.open(config, &h, &e), 0);
	if (h) {
		CHECK_INT(deliver_smtp.send(h, msgs, N, res, &e), 0);
		deliver_smtp.close(h);
	}
	CHECK_INT(res[0].status, DELIVER_SENT);
	CHECK_INT(res[1].status, DELIVER_HARD_FAIL);
	CHECK(strstr(res[1].error, "RCPT TO") != NULL);
	CHECK(strstr(res[1].error,
		     "550 5.1.1 <bounce1@example.net>: Recipient address "
		     "rejected: User unknown") != NULL);
	CHECK_INT(res[2].status, DELIVER_RETRY);
	CHECK(strstr(res[2].error, "451 4.3.0") != NULL);
	CHECK_INT(res[3].status, DELIVER_HARD_FAIL);
	CHECK(strstr(res[3].error, "554 5.7.1 Message rejected as spam") !=
	      NULL);
	CHECK_INT(res[4].status, DELIVER_RETRY);
	CHECK(strstr(res[4].error, "452 4.3.1") != NULL);
	CHECK_INT(res[5].status, DELIVER_SENT);
	CHECK_INT(res[6].status, DELIVER_HARD_FAIL);
	CHECK(strstr(res[6].error, "not a deliverable address") != NULL);
	CHECK_INT(res[7].status, DELIVER_HARD_FAIL);
	CHECK_INT(res[8].status, DELIVER_SENT);
	/* a policy refusal at RCPT is the setting's problem, not a bounce */
	CHECK_INT(res[9].status, DELIVER_RETRY);
	CHECK(strstr(res[9].error, "554 5.7.1") != NULL);
	CHECK(strstr(res[9].error, "not of the recipient") != NULL);
	for (i = 0; i < N; i++) {
		if (res[i].status == DELIVER_SENT) {
			CHECK(res[i].provider_id[0] == 'Q');
			CHECK_STR(res[i].error, "");
		} else {
			CHECK(res[i].error[0] != '\0');
			CHECK_STR(res[i].provider_id, "");
		}
	}
	n = stored_read(&sv, st);
	CHECK_INT(n, 3);
	CHECK(stored_for(st, n, "ok1@example.net") != NULL);
	CHECK(stored_for(st, n, "ok2@example.net") != NULL);
	CHECK(stored_for(st, n, "ok3@example.net") != NULL);
	stored_free(st, n);
	for (i = 0; i < N; i++)
		buf_free(&t[i].doc);
	server_stop(&sv);
}

/* A server that does not answer the end of DATA within timeout= is
 * RETRY (the message may have arrived: the Message-ID lets the duplicate
 * be recognised), and the next message goes on a new connection. One
 * slot: curl waits for that reply inside curl_multi_perform, so with more
 * slots the others would wait too and, with timeout=2, time out as well. */
TEST(test_timeout)
{
	static const char *const opts[] = { "--slow", "6", NULL };
	struct server sv;
	struct tmsg t[2];
	struct deliver_result res[2];
	char config[200];

	CHECK(server_start(&sv, opts));
	tmsg_raw(&t[0], "slow@example.net", "slow\r\n");
	tmsg_raw(&t[1], "fast@example.net", "fast\r\n");
	snprintf(config, sizeof(config),
		 "smtp://127.0.0.1:%d?starttls=no&timeout=2&inflight=1",
		 sv.port);
	send_all(config, t, 2, res);
	CHECK_INT(res[0].status, DELIVER_RETRY);
	CHECK(strstr(res[0].error, "timed out") != NULL);
	CHECK_INT(res[1].status, DELIVER_SENT);
	if (res[1].status != DELIVER_SENT)
		show(&res[1]);
	buf_free(&t[0].doc);
	buf_free(&t[1].doc);
	server_stop(&sv);
}

/* Nobody listening: RETRY at once, not after the timeout. */
TEST(test_server_down)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	struct tmsg t;
	struct deliver_result res;
	struct timespec t0, t1;
	char config[200];
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	/* a port that was free a moment ago, closed again */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(fd >= 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &alen) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	CHECK(port > 0);

	tmsg_raw(&t, "customer@example.net", "hello\r\n");
	snprintf(config, sizeof(config),
		 "smtp://127.0.0.1:%d?starttls=no&timeout=30", port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_all(config, &t, 1, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK_INT(res.status, DELIVER_RETRY);
	CHECK(strstr(res.error, "connect") != NULL);
	CHECK(t1.tv_sec - t0.tv_sec < 10);
	buf_free(&t.doc);
}

/* Settings that must be refused, with the part at fault named and no
 * password in the message; and some that must be accepted. */
TEST(test_config)
{
	static const struct {
		const char *config; /* the setting */
		const char *part;   /* what the error must mention */
	} bad[] = {
		{ "smtp://", "host" },
		{ "smtp://:2525", "host" },
		{ "smtp://?starttls=no", "host" },
		{ "smtp://mail.example:0", "port" },
		{ "smtp://mail.example:65536", "port" },
		{ "smtp://mail.example:25x", "port" },
		{ "smtp://mail.example:", "port" },
		{ "smtp://mail.example?color=red", "color" },
		{ "smtp://mail.example?starttls=maybe", "starttls" },
		{ "smtps://mail.example?starttls=no", "starttls" },
		{ "http://mail.example", "scheme" },
		{ "smtp://mail.example/ehlo.name", "path" },
		{ "smtp://mail.example?timeout=0", "timeout" },
		{ "smtp://mail.example?inflight=65", "inflight" },
		{ "smtp://mail.example?from=nobody", "from" },
		{ "smtp://mail.example?from=a%0D%0ARCPT@x.example", "from" },
		{ "smtp://mail.example?helo=bad%20name", "helo" },
		{ "smtp://mail.example?insecure=yes", "insecure" },
		{ "smtp://mail.example?timeout=5&timeout=6", "twice" },
		{ "smtp://mail.example?timeout", "timeout" },
		{ "smtp://mail_server example", "host" },
		{ "smtp://[::1", "host" },
		{ "smtp://[fe80::1]x", "host" },
		{ "smtp://alice@mail.example", "user:password" },
		{ "smtp://alice:@mail.example", "user:password" },
		{ "smtp://alice:Sup3rSecr3t%zz@mail.example", "password" },
		{ "smtp://alice:Sup3rSecr3t%0A@mail.example", "password" },
		{ "smtp://alice:Sup3rSecr3t@mail.example:99999", "port" },
		{ "smtp://alice:Sup3rSecr3t@mail.example?Sup3rSecr3t=1",
		  "unknown parameter" },
		{ "smtp://alice:Sup3r#Secr3t@mail.example", "#" },
	};
	static const char *const good[] = {
		"smtp://mail.example",
		"smtp://127.0.0.1:2525?starttls=no",
		"smtp://mail.example:587/?starttls=optional&timeout=3600",
		"smtps://u:p%40x%3A@[::1]:465?inflight=64&timeout=5&"
		"helo=[127.0.0.1]&from=a%2Bb@x.example&insecure=1",
		"smtp://relay.example?helo=[IPv6:2001:db8::1]&&insecure=0",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		void *h = NULL;
		struct err e = { "" };
		int rc = deliver_smtp.open(bad[i].config, &h, &e);
		CHECK(rc < 0);
		CHECK(h == NULL);
		if (rc < 0 && (!strstr(e.msg, bad[i].part) ||
			       strstr(e.msg, "Secr3t"))) {
			printf("  %s: \"%s\" should name %s and hide the "
			       "password\n", bad[i].config, e.msg,
			       bad[i].part);
			CHECK(0);
		}
		if (rc == 0)
			deliver_smtp.close(h);
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		void *h = NULL;
		struct err e = { "" };
		int rc = deliver_smtp.open(good[i], &h, &e);
		if (rc != 0)
			printf("  %s: %s\n", good[i], e.msg);
		CHECK_INT(rc, 0);
		CHECK(h != NULL);
		if (rc == 0)
			deliver_smtp.close(h);
	}
	CHECK_STR(deliver_smtp.scheme, "smtp");
	CHECK_STR(deliver_smtps.scheme, "smtps");
	CHECK_INT(deliver_smtp.channel, CHANNEL_EMAIL);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	RUN(test_config);
	RUN(test_server_down);
	RUN(test_batch_plain);
	RUN(test_content_and_ids);
	RUN(test_auth);
	RUN(test_starttls);
	RUN(test_smtps);
	RUN(test_outcomes);
	RUN(test_timeout);
	return CHECK_DONE();
}
