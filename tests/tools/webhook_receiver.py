#!/usr/bin/env python3
"""webhook_receiver: a tenant's webhook endpoint on loopback, for
tests/integration/webhooks.sh.

Listens on 127.0.0.1 (a port the kernel picks, printed as "PORT <n>" on
stdout) and records every POST in --dir as NNNN.json:
{"path", "headers": {name: value}, "body": text, "answered": status}.
The first --fail N requests are answered 500 (to exercise retries),
every later one 200. Requests are handled on threads (the sender POSTs
several at once); the counter is locked.
"""
import argparse
import http.server
import json
import os
import sys
import threading


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--fail", type=int, default=0)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    lock = threading.Lock()
    state = {"n": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8", "replace")
            with lock:
                state["n"] += 1
                n = state["n"]
            status = 500 if n <= args.fail else 200
            rec = {"path": self.path, "headers": dict(self.headers.items()),
                   "body": body, "answered": status}
            tmp = os.path.join(args.dir, "%04d.tmp" % n)
            with open(tmp, "w") as f:
                json.dump(rec, f)
            os.rename(tmp, os.path.join(args.dir, "%04d.json" % n))
            out = b'{"ok":true}' if status == 200 else b'{"error":"boom"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def log_message(self, fmt, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
