#!/usr/bin/python3
"""smtp_server: a real SMTP server on loopback for the tests of the SMTP adapter.

Built on aiosmtpd (Debian package python3-aiosmtpd), so the adapter talks to
an independent SMTP implementation, not to a mock of our own making. The
interpreter is Debian's /usr/bin/python3, the one that sees Debian's Python
packages.

    /usr/bin/python3 tests/tools/smtp_server.py --dir DIR [options]

It listens on a free port of 127.0.0.1 (the kernel picks it), prints
"PORT <n>" on a line of its own on stdout once the socket accepts
connections, and serves until it is killed (SIGTERM) or its stdin reaches
end of file (so it never outlives a test that died).

Every accepted message is stored as DIR/<nnnnnn>.msg, written to a
temporary name first and renamed, so a reader never sees half a file:

    MAIL FROM:<sender>
    RCPT TO:<recipient>          (one line per accepted recipient)
    PEER 127.0.0.1:53412         (the client's address: one per connection)
    TLS yes|no                   (whether the session was encrypted)
    AUTH <login>|-               (who authenticated, "-" when nobody)
    QUEUE <id>                   (the id given in the final 250 reply)
                                 (an empty line)
    <the DATA bytes exactly as received, dot-unstuffed, CRLF line ends>

Behaviour by recipient local part (the text before '@'):
    bounce...      RCPT is refused: 550 5.1.1 <addr>: Recipient address rejected: User unknown
    defer...       RCPT is refused: 451 4.3.0 <addr>: Temporary failure, try again later
    relaydenied... RCPT is refused: 554 5.7.1 <addr>: Relay access denied
    rejectdata...  accepted at RCPT, the message refused after DATA: 554 5.7.1 Message rejected as spam
    deferdata...   accepted at RCPT, the message refused after DATA: 452 4.3.1 Insufficient system storage
    slow...        the final reply to DATA comes after --slow seconds (then 250)
    noid...        accepted with a final reply that names no queue id: "250 2.0.0 Ok"
Anything else is accepted: "250 2.0.0 Ok: queued as <id>" (Postfix's form),
except that with --defer-first N the first N recipients that would be
accepted are refused at RCPT with 451 4.7.1 (greylisting: a temporary
failure, the next try is accepted).

Options:
    --dir DIR                where messages go (must exist)
    --auth USER:PASSWORD     require AUTH with these credentials (AUTH is
                             then allowed without TLS, for plain tests)
    --auth-mechanisms LIST   offer only these (comma-separated: PLAIN,LOGIN)
    --starttls               offer STARTTLS with a self-signed certificate
    --require-starttls       ... and refuse mail until it has been used
    --implicit-tls           TLS from the first byte (smtps, port 465 style)
    --slow SECONDS           delay for "slow..." recipients (default 5)
    --defer-first N          refuse the first N otherwise accepted
                             recipients with 451 (see above)
    --log-refused FILE       append "<code> <address>" for every refused
                             RCPT to FILE (a test sees what was refused)

The certificate is made at start by the openssl command line tool (EC
P-256, CN=localhost, subjectAltName DNS:localhost and IP:127.0.0.1) in a
temporary directory that is removed on exit.
"""

import argparse
import asyncio
import itertools
import logging
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def make_tls_context(workdir):
    """A server context with a fresh self-signed certificate."""
    key = os.path.join(workdir, "key.pem")
    cert = os.path.join(workdir, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec",
         "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", key, "-out", cert, "-days", "2",
         "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    return ctx


def local_part(address):
    return address.rsplit("@", 1)[0].lower()


class Handler:
    """Decides each recipient's fate and stores accepted messages."""

    def __init__(self, directory, slow, defer_first=0, log_refused=None):
        self.directory = directory
        self.slow = slow
        self.counter = itertools.count(1)
        self.defer_left = defer_first  # --defer-first: still to refuse
        self.log_refused = log_refused

    def refuse(self, reply, address):
        if self.log_refused:
            with open(self.log_refused, "a", encoding="utf-8") as f:
                f.write("%s %s\n" % (reply[:3], address))
        return reply

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        lp = local_part(address)
        if lp.startswith("bounce"):
            return self.refuse("550 5.1.1 <%s>: Recipient address "
                               "rejected: User unknown" % address, address)
        if lp.startswith("relaydenied"):
            return self.refuse("554 5.7.1 <%s>: Relay access denied"
                               % address, address)
        if lp.startswith("defer") and not lp.startswith("deferdata"):
            return self.refuse("451 4.3.0 <%s>: Temporary failure, try "
                               "again later" % address, address)
        if self.defer_left > 0:
            self.defer_left -= 1
            return self.refuse("451 4.7.1 <%s>: Recipient address "
                               "rejected: Greylisted, try again later"
                               % address, address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        parts = [local_part(r) for r in envelope.rcpt_tos]
        if any(p.startswith("rejectdata") for p in parts):
            return "554 5.7.1 Message rejected as spam"
        if any(p.startswith("deferdata") for p in parts):
            return "452 4.3.1 Insufficient system storage"
        if any(p.startswith("slow") for p in parts):
            await asyncio.sleep(self.slow)
        n = next(self.counter)
        queue_id = "Q%06dX" % n
        peer = session.peer
        head = ["MAIL FROM:<%s>" % envelope.mail_from]
        head += ["RCPT TO:<%s>" % r for r in envelope.rcpt_tos]
        head.append("PEER %s:%d" % (peer[0], peer[1]))
        head.append("TLS %s" % ("yes" if session.ssl is not None
                                 or server.implicit_tls else "no"))
        login = session.auth_data if session.authenticated else None
        if isinstance(login, bytes):
            login = login.decode("utf-8", "replace")
        head.append("AUTH %s" % (login or "-"))
        head.append("QUEUE %s" % queue_id)
        blob = ("\n".join(head) + "\n\n").encode() + envelope.original_content
        name = os.path.join(self.directory, "%06d.msg" % n)
        tmp = os.path.join(self.directory, ".%06d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(blob)
        os.rename(tmp, name)
        if any(p.startswith("noid") for p in parts):
            return "250 2.0.0 Ok"
        return "250 2.0.0 Ok: queued as %s" % queue_id


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--auth")
    ap.add_argument("--auth-mechanisms")
    ap.add_argument("--starttls", action="store_true")
    ap.add_argument("--require-starttls", action="store_true")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--slow", type=float, default=5.0)
    ap.add_argument("--defer-first", type=int, default=0)
    ap.add_argument("--log-refused")
    args = ap.parse_args()
    # AUTH without TLS is what the plain tests want: no warning about it;
    # and sessions the tests break on purpose (a refused certificate, a
    # client that gave up) are not worth a traceback.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    if not os.path.isdir(args.dir):
        sys.exit("smtp_server: --dir %s: not a directory" % args.dir)

    workdir = tempfile.mkdtemp(prefix="smtp_server.")
    try:
        serve(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def serve(args, workdir):
    tls = None
    if args.starttls or args.require_starttls or args.implicit_tls:
        tls = make_tls_context(workdir)

    user = password = None
    if args.auth:
        user, sep, password = args.auth.partition(":")
        if not sep:
            sys.exit("smtp_server: --auth: expected USER:PASSWORD")

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # Only the login is kept for the session (it goes into the files).
        if not ok:  # handled=False: smtp_AUTH answers 535 itself
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data.login)

    offered = {"PLAIN", "LOGIN"}
    if args.auth_mechanisms:
        offered = {m.strip().upper() for m in args.auth_mechanisms.split(",")}
    excluded = {"PLAIN", "LOGIN"} - offered

    handler = Handler(args.dir, args.slow, args.defer_first,
                      args.log_refused)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def factory():
        kw = dict(hostname="smtp.test", ident="dunwell test server",
                  data_size_limit=64 << 20, loop=loop,
                  auth_exclude_mechanism=excluded)
        if args.auth:
            kw.update(auth_required=True, auth_require_tls=False,
                      authenticator=authenticator)
        else:
            kw.update(authenticator=lambda *a: AuthResult(success=False,
                                                          handled=False))
        if tls is not None and not args.implicit_tls:
            kw.update(tls_context=tls,
                      require_starttls=args.require_starttls)
        server = SMTP(handler, **kw)
        server.implicit_tls = args.implicit_tls
        return server

    server = loop.run_until_complete(loop.create_server(
        factory, host="127.0.0.1", port=0,
        ssl=tls if args.implicit_tls else None))
    port = server.sockets[0].getsockname()[1]

    # Stop on SIGTERM/SIGINT, or when the parent goes away (its end of our
    # stdin closes); each only once, so cleaning up is never cut short.
    stop = loop.create_future()

    def request_stop():
        if not stop.done():
            stop.set_result(None)

    loop.add_signal_handler(signal.SIGTERM, request_stop)
    loop.add_signal_handler(signal.SIGINT, request_stop)

    def stdin_readable():
        try:
            data = os.read(sys.stdin.fileno(), 4096)
        except OSError:
            data = b""
        if not data:
            loop.remove_reader(sys.stdin.fileno())
            request_stop()
    try:
        loop.add_reader(sys.stdin.fileno(), stdin_readable)
    except (OSError, ValueError, PermissionError):
        pass  # stdin is not pollable (a regular file): rely on SIGTERM

    sys.stdout.write("PORT %d\n" % port)
    sys.stdout.flush()
    try:
        loop.run_until_complete(stop)
    finally:
        server.close()
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(
            asyncio.gather(*pending, return_exceptions=True))
        loop.close()


if __name__ == "__main__":
    main()
