#!/usr/bin/python3
"""A webhook receiver for the tests, on Python's standard library only (http.server, hmac).

It checks each delivery's Tenantdir-Signature itself, with the verify() of docs/integrations.md,
against each secret it was given, and appends one JSON line per request to --out:
  {"path": ..., "secret": <index of the secret that verifies it, or null>, "why": <reason when none does>,
   "status": <what it answered>, "headers": {...}, "body": <the parsed body>, "inFlight": <requests
   being answered at that moment, this one included>}
Prints "listening <port>" once bound (--port 0 picks a free one).
"""
import argparse
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


# --- the verification example of docs/integrations.md, verbatim ---
def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """True if `header` (Tenantdir-Signature) signs `body` with `secret`, made within `tolerance` s."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, v1 = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > tolerance:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, v1)
# --- end of the example ---


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--secret", action="append", default=[])
    ap.add_argument("--fail-first", type=int, default=0, help="answer 503 to this many requests first")
    ap.add_argument("--status", type=int, default=204, help="the answer after those")
    ap.add_argument("--delay-ms", type=int, default=0, help="wait this long before answering")
    args = ap.parse_args()

    lock = threading.Lock()
    state = {"seen": 0, "in_flight": 0}
    out = open(args.out, "a", encoding="utf-8")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            with lock:
                state["seen"] += 1
                state["in_flight"] += 1
                seen, in_flight = state["seen"], state["in_flight"]
            try:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if args.delay_ms:
                    time.sleep(args.delay_ms / 1000)
                header = self.headers.get("Tenantdir-Signature", "")
                secret = next((i for i, s in enumerate(args.secret) if verify(s, header, body)), None)
                status = 503 if seen <= args.fail_first else args.status
                try:
                    parsed = json.loads(body)
                except ValueError:
                    parsed = None
                line = {
                    "path": self.path,
                    "secret": secret,
                    "why": None if secret is not None else "signature does not verify",
                    "status": status,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": parsed,
                    "inFlight": in_flight,
                }
                with lock:
                    out.write(json.dumps(line) + "\n")
                    out.flush()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
            finally:
                with lock:
                    state["in_flight"] -= 1

        def log_message(self, *a) -> None:  # quiet: the test reads --out
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"listening {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
