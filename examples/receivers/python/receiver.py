"""A minimal receiver for mqtt-webhook with Python's standard library only (3.8 or later): checks each request's
Standard Webhooks signature with hmac and handles each webhook-id once.

    WEBHOOK_SECRET=whsec_... PORT=8080 python3 receiver.py

WEBHOOK_SECRET is the endpoint's signing.secret. PORT 0 (the default) takes any free port; HOST defaults to
127.0.0.1. It prints one JSON line per request: {"listening": <port>} first, then {"accepted": <id>, "body": ...},
{"duplicate": <id>} or {"rejected": <id>, "reason": ...}.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_S = 5 * 60  # what the official libraries accept: a request older or newer than this is refused
REMEMBER_S = 10 * 60  # longer than the tolerance: a replay is refused by its timestamp or by its id

secret = os.environ.get("WEBHOOK_SECRET", "")
if not secret.startswith("whsec_"):
    sys.exit("set WEBHOOK_SECRET to the endpoint's signing.secret (whsec_...)")
KEY = base64.b64decode(secret[len("whsec_"):])

seen = {}  # webhook-id -> when it was first accepted
seen_lock = threading.Lock()
print_lock = threading.Lock()


def log(line):
    with print_lock:
        print(json.dumps(line), flush=True)


def verify(headers, body):
    """The reason the request is refused, or None when it is signed with our secret."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not msg_id or not timestamp or not signatures:
        return "Missing required headers"
    try:
        sent = int(timestamp)
    except ValueError:
        return "Invalid timestamp"
    if abs(time.time() - sent) > TOLERANCE_S:
        return "Message timestamp too old or too new"
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    expected = base64.b64encode(hmac.new(KEY, signed, hashlib.sha256).digest()).decode()
    # several space-separated signatures: the secret may be rotating
    for versioned in signatures.split(" "):
        version, _, signature = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return None
    return "No matching signature found"


def handle(msg_id, events, body):
    """Your code: one event, or a list of events when the endpoint sets batch.max_events above 1."""
    log({"accepted": msg_id, "body": body})


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        # the signature covers the exact bytes received: verify before parsing anything
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        msg_id = self.headers.get("webhook-id")
        reason = verify(self.headers, body)
        if reason:
            log({"rejected": msg_id, "reason": reason})
            self.answer(401)
            return
        now = time.time()
        with seen_lock:
            for old in [i for i, at in seen.items() if at < now - REMEMBER_S]:
                del seen[old]
            duplicate = msg_id in seen
            seen.setdefault(msg_id, now)
        if duplicate:
            # already handled: acknowledge, so that it is not sent again, and do nothing
            log({"duplicate": msg_id})
        else:
            handle(msg_id, json.loads(body), body.decode("utf-8"))
        self.answer(200)

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):
        pass  # one JSON line per request is printed above


if __name__ == "__main__":
    server = ThreadingHTTPServer((os.environ.get("HOST", "127.0.0.1"), int(os.environ.get("PORT", "0"))), Receiver)
    log({"listening": server.server_address[1]})
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
