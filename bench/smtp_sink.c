/*
 * bench/smtp_sink: a small, fast SMTP server on loopback for the delivery
 * benchmark (issue #4) — the peer the SMTP adapter talks to when its speed
 * is measured. tests/tools/smtp_server.py (aiosmtpd) is the independent
 * peer of the tests; in Python it takes a few hundred messages a second, so
 * it would measure itself rather than the adapter.
 *
 *   build/release/bench/smtp_sink [-p PORT] [-d DIR] [-a ADDR]
 *
 * Listens on 127.0.0.1 (or ADDR) at PORT (0, the default: the kernel
 * picks), prints "PORT <n>" on a line of its own once it accepts
 * connections, and serves until SIGTERM/SIGINT or the end of its stdin
 * (so it never outlives the script that started it); then prints
 * "STATS messages=<n> bytes=<n> connections=<n> refused=<n>" (SIGUSR1
 * prints the same line at any time). bytes counts message bytes after
 * dot-unstuffing, the terminating "." line left out: exactly what the
 * client handed to its SMTP library.
 *
 * It speaks RFC 5321 as a real server would, one event loop (libevent
 * bufferevents): a 220 greeting; EHLO (offering PIPELINING, 8BITMIME,
 * SIZE, ENHANCEDSTATUSCODES) and HELO; MAIL FROM (SIZE= checked), RCPT
 * TO (up to 1000 recipients), DATA with dot-unstuffing and the
 * CRLF.CRLF end, RSET, NOOP, VRFY (252), QUIT; commands out of sequence
 * get 503, unknown ones 500, and pipelined commands are answered in
 * order. Every message is accepted ("250 2.0.0 Ok: queued as S<n>").
 *
 * With -d DIR every message is written to DIR/<n>.eml (the DATA bytes
 * exactly as received, dot-unstuffed) and its envelope to DIR/<n>.env
 * ("MAIL FROM:<a>" and one "RCPT TO:<b>" line each), each written under
 * a temporary name and renamed, so the benchmark can check what arrived.
 * Without it nothing is kept: the bytes are only counted.
 *
 * A benchmark tool, not part of dunwell: no TLS, no AUTH, no relaying
 * rules, and it prints (its figures are its output).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "mem.h"

#define SINK_NAME "sink.bench"       /* our name in the greeting and EHLO */
#define SINK_CMD_MAX 4096            /* longest command line; RFC 5321
					says 512, extensions may add more */
#define SINK_PATH_MAX 256            /* longest MAIL/RCPT path with <> */
#define SINK_RCPT_MAX 1000           /* recipients in one transaction */
#define SINK_SIZE_MAX (64L << 20)    /* SIZE offered: largest message */
#define SINK_DIR_MAX 3072            /* longest -d DIR */

/* The whole server: counters and options. */
struct sink {
	struct event_base *base;  /* the one event loop */
	const char *dir;          /* -d: where messages go; NULL: kept nowhere */
	uint64_t messages;        /* messages accepted */
	uint64_t bytes;           /* their bytes, dot-unstuffed */
	uint64_t connections;     /* connections accepted */
	uint64_t refused;         /* messages refused (too big, write error) */
};

/* Where a session is in the SMTP dialogue. */
enum sink_state {
	ST_GREETED = 0,  /* greeting sent, no EHLO/HELO yet */
	ST_READY,        /* EHLO/HELO done, no transaction */
	ST_MAIL,         /* MAIL FROM accepted */
	ST_RCPT,         /* at least one RCPT TO accepted */
	ST_DATA,         /* reading message bytes */
	ST_QUIT,         /* 221 sent: close once the output is written */
};

/* Where the DATA scanner is in the current line (see sink_data). */
enum sink_dot {
	D_BOL = 0,  /* at the start of a line */
	D_MID,      /* inside a line */
	D_CR,       /* inside a line, right after a CR */
	D_DOT,      /* the line started with '.', held back */
	D_DOTCR,    /* the line is ".\r" so far, both held back */
};

/* One client connection. */
struct session {
	struct sink *sink;          /* the server */
	struct bufferevent *bev;    /* the socket and its buffers */
	enum sink_state st;         /* where the dialogue is */
	enum sink_dot dot;          /* DATA: where the scanner is */
	uint64_t msg_bytes;         /* DATA: bytes so far, unstuffed */
	bool too_big;               /* DATA: past SINK_SIZE_MAX, refused */
	struct evbuffer *msg;       /* DATA with -d: the unstuffed bytes */
	struct evbuffer *env;       /* with -d: the envelope lines */
	int rcpts;                  /* recipients of this transaction */
};

static void session_free(struct session *s)
{
	if (!s)
		return;
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->msg)
		evbuffer_free(s->msg);
	if (s->env)
		evbuffer_free(s->env);
	free(s);
}

static void reply(struct session *s, const char *text)
{
	evbuffer_add(bufferevent_get_output(s->bev), text, strlen(text));
}

/* Forget the transaction (RSET, a new EHLO, after the end of DATA). */
static void transaction_reset(struct session *s)
{
	s->rcpts = 0;
	s->msg_bytes = 0;
	s->too_big = false;
	s->dot = D_BOL;
	if (s->msg)
		evbuffer_drain(s->msg, evbuffer_get_length(s->msg));
	if (s->env)
		evbuffer_drain(s->env, evbuffer_get_length(s->env));
}

/* Write buf to dir/name through a temporary name; 0 or -1. */
static int write_file(const char *dir, const char *name, struct evbuffer *b)
{
	char tmp[SINK_DIR_MAX + 64], path[SINK_DIR_MAX + 64];
	int fd, rc = 0;

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	while (evbuffer_get_length(b) > 0)
		if (evbuffer_write(b, fd) < 0) {
			rc = -1;
			break;
		}
	if (close(fd) < 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -1;
	if (rc < 0)
		unlink(tmp);
	return rc;
}

/* The end of DATA: count the message (and store it), give the reply. */
static void message_done(struct session *s)
{
	struct sink *k = s->sink;
	char line[128];

	if (s->too_big) {
		k->refused++;
		reply(s, "552 5.3.4 Message size exceeds fixed limit\r\n");
	} else {
		uint64_t n = ++k->messages;
		bool ok = true;
		k->bytes += s->msg_bytes;
		if (k->dir) {
			char name[64];
			snprintf(name, sizeof(name), "%08llu.env",
				 (unsigned long long)n);
			ok = write_file(k->dir, name, s->env) == 0;
			snprintf(name, sizeof(name), "%08llu.eml",
				 (unsigned long long)n);
			ok = ok && write_file(k->dir, name, s->msg) == 0;
		}
		if (ok) {
			snprintf(line, sizeof(line),
				 "250 2.0.0 Ok: queued as S%llu\r\n",
				 (unsigned long long)n);
			reply(s, line);
		} else {
			k->messages--;
			k->bytes -= s->msg_bytes;
			k->refused++;
			reply(s, "452 4.3.1 Insufficient system storage\r\n");
		}
	}
	transaction_reset(s);
	s->st = ST_READY;
}

/* Count (and keep, with -d) n message bytes at p. */
static void emit(struct session *s, const char *p, size_t n)
{
	if (n == 0 || s->too_big)
		return;
	s->msg_bytes += n;
	if (s->msg_bytes > (uint64_t)SINK_SIZE_MAX) {
		s->too_big = true;
		if (s->msg)
			evbuffer_drain(s->msg, evbuffer_get_length(s->msg));
		return;
	}
	if (s->msg)
		evbuffer_add(s->msg, p, n);
}

/*
 * Message bytes p[0..n): RFC 5321 4.5.2 transparency. A line that starts
 * with '.' loses that dot, unless the line is "." alone, which ends the
 * message (the CRLF before it belongs to the message; the DATA command's
 * own CRLF counts as the one before for an empty message). Lines end with
 * CRLF; a bare CR or LF is message content. Returns the bytes used: n, or
 * fewer when the message ended (the rest is the next command).
 */
static size_t sink_data(struct session *s, const char *p, size_t n)
{
	size_t i = 0, run = 0; /* run: start of bytes not yet emitted */

	while (i < n) {
		char c = p[i];
		switch (s->dot) {
		case D_MID: {
			const char *cr = memchr(p + i, '\r', n - i);
			if (!cr) {
				i = n;
				continue;
			}
			i = (size_t)(cr - p) + 1;
			s->dot = D_CR;
			continue;
		}
		case D_CR:
			i++;
			s->dot = c == '\n' ? D_BOL : c == '\r' ? D_CR : D_MID;
			continue;
		case D_BOL:
			if (c == '.') {
				emit(s, p + run, i - run);
				i++;
				run = i; /* the dot is held back */
				s->dot = D_DOT;
			} else {
				i++;
				s->dot = c == '\r' ? D_CR : D_MID;
			}
			continue;
		case D_DOT:
			if (c == '\r') {
				i++;
				run = i; /* the CR is held back too */
				s->dot = D_DOTCR;
			} else {
				/* a stuffed dot: dropped; c is content */
				i++;
				s->dot = D_MID;
			}
			continue;
		case D_DOTCR:
			if (c == '\n') {
				/* ".\r\n": the end of the message */
				message_done(s);
				return i + 1;
			}
			/* ".\rX": the dot goes, the CR stays */
			emit(s, "\r", 1);
			s->dot = D_CR;
			continue; /* c is looked at again in D_CR */
		}
	}
	if (s->dot != D_DOT && s->dot != D_DOTCR)
		emit(s, p + run, n - run);
	return n;
}

/* Whether line starts with the command word `w` (any case) followed by
 * the end, a space, or (for "MAIL FROM:"-like prefixes) anything. */
static bool is_cmd(const char *line, size_t len, const char *w)
{
	size_t n = strlen(w);

	if (len < n || strncasecmp(line, w, n) != 0)
		return false;
	return len == n || line[n] == ' ' || w[n - 1] == ':';
}

/* The <path> after "MAIL FROM:" or "RCPT TO:" (a space after the colon
 * tolerated, as most servers do); its length with the brackets, or -1. The
 * rest of the line is parameters (SIZE=...). */
static int parse_path(const char *p, size_t len, size_t *ret_after)
{
	size_t i = 0, j;

	while (i < len && p[i] == ' ')
		i++;
	if (i >= len || p[i] != '<')
		return -1;
	for (j = i + 1; j < len && p[j] != '>'; j++)
		if ((unsigned char)p[j] <= 0x20 || p[j] == '<')
			return -1;
	if (j >= len || j - i + 1 > SINK_PATH_MAX)
		return -1;
	*ret_after = j + 1;
	return (int)(j - i + 1);
}

/* A SIZE= parameter above our limit (other parameters are fine: 8BITMIME's
 * BODY=, and anything a client may add). */
static bool size_too_big(const char *params, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t end;
		while (i < len && params[i] == ' ')
			i++;
		end = i;
		while (end < len && params[end] != ' ')
			end++;
		if (end - i > 5 && strncasecmp(params + i, "SIZE=", 5) == 0) {
			unsigned long long v = 0;
			for (size_t k = i + 5; k < end; k++) {
				if (params[k] < '0' || params[k] > '9')
					return false;
				v = v * 10 + (unsigned)(params[k] - '0');
				if (v > (unsigned long long)SINK_SIZE_MAX)
					return true;
			}
		}
		i = end;
	}
	return false;
}

static void envelope_line(struct session *s, const char *what, const char *p,
			  int n)
{
	if (s->env)
		evbuffer_add_printf(s->env, "%s%.*s\n", what, n, p);
}

/* One command line (without its CRLF). */
static void command(struct session *s, const char *line, size_t len)
{
	size_t after = 0;
	int plen;

	if (is_cmd(line, len, "EHLO")) {
		if (len < 6) {
			reply(s, "501 5.5.4 EHLO needs a domain\r\n");
			return;
		}
		transaction_reset(s);
		s->st = ST_READY;
		reply(s, "250-" SINK_NAME "\r\n250-PIPELINING\r\n"
			 "250-8BITMIME\r\n250-SIZE 67108864\r\n"
			 "250 ENHANCEDSTATUSCODES\r\n");
	} else if (is_cmd(line, len, "HELO")) {
		if (len < 6) {
			reply(s, "501 5.5.4 HELO needs a domain\r\n");
			return;
		}
		transaction_reset(s);
		s->st = ST_READY;
		reply(s, "250 " SINK_NAME "\r\n");
	} else if (is_cmd(line, len, "MAIL FROM:")) {
		if (s->st == ST_GREETED) {
			reply(s, "503 5.5.1 Error: send HELO/EHLO first\r\n");
			return;
		}
		if (s->st != ST_READY) {
			reply(s, "503 5.5.1 Error: nested MAIL command\r\n");
			return;
		}
		plen = parse_path(line + 10, len - 10, &after);
		if (plen < 0) {
			reply(s, "501 5.1.7 Bad sender address syntax\r\n");
			return;
		}
		if (size_too_big(line + 10 + after, len - 10 - after)) {
			reply(s, "552 5.3.4 Message size exceeds fixed "
				 "limit\r\n");
			return;
		}
		transaction_reset(s);
		envelope_line(s, "MAIL FROM:", line + 10 + after - (size_t)plen,
			      plen);
		s->st = ST_MAIL;
		reply(s, "250 2.1.0 Ok\r\n");
	} else if (is_cmd(line, len, "RCPT TO:")) {
		if (s->st != ST_MAIL && s->st != ST_RCPT) {
			reply(s, "503 5.5.1 Error: need MAIL command\r\n");
			return;
		}
		plen = parse_path(line + 8, len - 8, &after);
		if (plen <= 2) {
			reply(s, "501 5.1.3 Bad recipient address syntax\r\n");
			return;
		}
		if (s->rcpts >= SINK_RCPT_MAX) {
			reply(s, "452 4.5.3 Error: too many recipients\r\n");
			return;
		}
		s->rcpts++;
		envelope_line(s, "RCPT TO:", line + 8 + after - (size_t)plen,
			      plen);
		s->st = ST_RCPT;
		reply(s, "250 2.1.5 Ok\r\n");
	} else if (is_cmd(line, len, "DATA")) {
		if (len != 4) {
			reply(s, "501 5.5.4 Syntax: DATA\r\n");
			return;
		}
		if (s->st != ST_RCPT) {
			reply(s, s->st == ST_MAIL
					 ? "554 5.5.1 Error: no valid "
					   "recipients\r\n"
					 : "503 5.5.1 Error: need RCPT "
					   "command\r\n");
			return;
		}
		s->st = ST_DATA;
		s->dot = D_BOL;
		s->msg_bytes = 0;
		s->too_big = false;
		reply(s, "354 End data with <CR><LF>.<CR><LF>\r\n");
	} else if (is_cmd(line, len, "RSET")) {
		transaction_reset(s);
		if (s->st != ST_GREETED)
			s->st = ST_READY;
		reply(s, "250 2.0.0 Ok\r\n");
	} else if (is_cmd(line, len, "NOOP")) {
		reply(s, "250 2.0.0 Ok\r\n");
	} else if (is_cmd(line, len, "VRFY")) {
		reply(s, "252 2.0.0 Cannot VRFY user\r\n");
	} else if (is_cmd(line, len, "QUIT")) {
		reply(s, "221 2.0.0 Bye\r\n");
		s->st = ST_QUIT;
	} else {
		reply(s, "500 5.5.2 Error: command not recognized\r\n");
	}
}

static void on_write(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;

	(void)bev;
	if (s->st == ST_QUIT)
		session_free(s);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	while (s->st != ST_QUIT && evbuffer_get_length(in) > 0) {
		if (s->st == ST_DATA) {
			struct evbuffer_iovec v;
			size_t used;
			if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
				break;
			used = sink_data(s, v.iov_base, v.iov_len);
			evbuffer_drain(in, used);
			continue;
		}
		{
			size_t len = 0;
			char *line = evbuffer_readln(in, &len,
						     EVBUFFER_EOL_CRLF);
			if (!line) {
				if (evbuffer_get_length(in) > SINK_CMD_MAX) {
					reply(s, "500 5.5.2 Error: line too "
						 "long\r\n");
					s->st = ST_QUIT;
				}
				break;
			}
			if (len > SINK_CMD_MAX)
				reply(s, "500 5.5.2 Error: line too long\r\n");
			else
				command(s, line, len);
			free(line);
		}
	}
	if (s->st == ST_QUIT) {
		evbuffer_drain(in, evbuffer_get_length(in));
		bufferevent_disable(bev, EV_READ);
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			session_free(s);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		session_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd,
		      struct sockaddr *sa, int salen, void *arg)
{
	struct sink *k = arg;
	struct session *s = xcalloc(1, sizeof(*s));
	int one = 1;

	(void)l;
	(void)sa;
	(void)salen;
	/* replies are small and must not wait for Nagle */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->sink = k;
	s->bev = bufferevent_socket_new(k->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!s->bev) {
		evutil_closesocket(fd);
		free(s);
		return;
	}
	if (k->dir) {
		s->msg = evbuffer_new();
		s->env = evbuffer_new();
	}
	k->connections++;
	bufferevent_setcb(s->bev, on_read, on_write, on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	reply(s, "220 " SINK_NAME " ESMTP dunwell smtp_sink\r\n");
}

static void print_stats(const struct sink *k)
{
	printf("STATS messages=%llu bytes=%llu connections=%llu refused=%llu\n",
	       (unsigned long long)k->messages, (unsigned long long)k->bytes,
	       (unsigned long long)k->connections,
	       (unsigned long long)k->refused);
	fflush(stdout);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct sink *k = arg;

	(void)what;
	if (sig == SIGUSR1)
		print_stats(k);
	else
		event_base_loopexit(k->base, NULL);
}

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
	struct sink *k = arg;
	char b[256];
	ssize_t n;

	(void)what;
	n = read(fd, b, sizeof(b));
	if (n <= 0 && !(n < 0 && errno == EINTR))
		event_base_loopexit(k->base, NULL);
}

static void usage(void)
{
	fprintf(stderr, "usage: smtp_sink [-p PORT] [-a ADDR] [-d DIR]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sink k;
	struct sockaddr_in sin;
	socklen_t slen = sizeof(sin);
	struct evconnlistener *l;
	struct event *ev_term, *ev_int, *ev_usr1, *ev_in = NULL;
	const char *addr = "127.0.0.1";
	struct stat st;
	long port = 0;
	int opt;

	memset(&k, 0, sizeof(k));
	while ((opt = getopt(argc, argv, "p:a:d:")) != -1) {
		char *end;
		switch (opt) {
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535)
				usage();
			break;
		case 'a':
			addr = optarg;
			break;
		case 'd':
			if (strlen(optarg) >= SINK_DIR_MAX)
				usage();
			k.dir = optarg;
			break;
		default:
			usage();
		}
	}
	signal(SIGPIPE, SIG_IGN);
	k.base = event_base_new();
	if (!k.base)
		return 1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		usage();
	l = evconnlistener_new_bind(k.base, on_accept, &k,
				    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE,
				    1024, (struct sockaddr *)&sin, sizeof(sin));
	if (!l) {
		fprintf(stderr, "smtp_sink: cannot listen on %s:%ld: %s\n",
			addr, port, strerror(errno));
		return 1;
	}
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &slen);
	ev_term = evsignal_new(k.base, SIGTERM, on_signal, &k);
	ev_int = evsignal_new(k.base, SIGINT, on_signal, &k);
	ev_usr1 = evsignal_new(k.base, SIGUSR1, on_signal, &k);
	event_add(ev_term, NULL);
	event_add(ev_int, NULL);
	event_add(ev_usr1, NULL);
	/* stdin: its end stops the sink; a file or /dev/null cannot be
	 * watched (epoll refuses them): then only signals stop the sink */
	if (fstat(0, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))) {
		ev_in = event_new(k.base, 0, EV_READ | EV_PERSIST, on_stdin, &k);
		if (ev_in && event_add(ev_in, NULL) < 0) {
			event_free(ev_in);
			ev_in = NULL;
		}
	}
	printf("PORT %u\n", (unsigned)ntohs(sin.sin_port));
	fflush(stdout);
	event_base_dispatch(k.base);
	print_stats(&k);
	if (ev_in)
		event_free(ev_in);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	evconnlistener_free(l);
	event_base_free(k.base);
	return 0;
}
