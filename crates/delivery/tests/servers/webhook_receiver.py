"""A webhook receiver for the webhook channel's tests.

It verifies every request's signature with the PyPI `standardwebhooks`
library (an implementation independent of callvault's), records every
request to a JSON-lines file, answers 400 to a bad signature, and can be
scripted to misbehave.

    python webhook_receiver.py --secret whsec_... --log FILE

prints `PORT <n>` on stdout once it listens on 127.0.0.1 (`--port N`, or a
free port), and
exits when its stdin closes (the test that started it is gone).

Scripting: `POST /_control` with `{"rules": [RULE, ...]}` appends rules to a
queue; each verified request takes the first rule, and a rule is used for
`times` requests (1 by default). A RULE may hold:
  - `status`: the status to answer (200 by default);
  - `headers`: extra response headers, e.g. {"Retry-After": "7"};
  - `delay`: seconds to wait before answering (to exceed a client timeout).
Requests to `/_control` are not recorded.

Each record: {"path", "webhook_id", "webhook_timestamp", "webhook_signature",
"user_agent", "content_type", "verified", "error", "status", "body"}, with
`body` the parsed JSON when verified, else the raw text.
"""

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


class State:
    def __init__(self, secret, log_path):
        self.webhook = Webhook(secret)
        self.log_path = log_path
        self.lock = threading.Lock()
        self.rules = []

    def next_rule(self):
        with self.lock:
            if not self.rules:
                return {}
            rule = self.rules[0]
            rule["times"] = rule.get("times", 1) - 1
            if rule["times"] <= 0:
                self.rules.pop(0)
            return rule

    def record(self, entry):
        with self.lock:
            with open(self.log_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")
                f.flush()


def handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):
            pass

        def body(self):
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def answer(self, status, headers=None, text=b""):
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def do_POST(self):
            data = self.body()
            if self.path == "/_control":
                rules = json.loads(data or b"{}").get("rules", [])
                with state.lock:
                    state.rules.extend(rules)
                self.answer(204)
                return
            headers = {k: v for k, v in self.headers.items()}
            entry = {
                "path": self.path,
                "webhook_id": self.headers.get("webhook-id"),
                "webhook_timestamp": self.headers.get("webhook-timestamp"),
                "webhook_signature": self.headers.get("webhook-signature"),
                "user_agent": self.headers.get("User-Agent"),
                "content_type": self.headers.get("Content-Type"),
            }
            try:
                entry["body"] = state.webhook.verify(data, headers)
                entry["verified"] = True
                entry["error"] = None
            except WebhookVerificationError as e:
                entry["body"] = data.decode("utf-8", "replace")
                entry["verified"] = False
                entry["error"] = str(e)
            except ValueError as e:  # a verified body that is not JSON
                entry["body"] = data.decode("utf-8", "replace")
                entry["verified"] = True
                entry["error"] = "body is not JSON: %s" % e
            if not entry["verified"]:
                entry["status"] = 400
                state.record(entry)
                self.answer(400, text=b"bad signature")
                return
            rule = state.next_rule()
            entry["status"] = rule.get("status", 200)
            state.record(entry)
            if rule.get("delay"):
                time.sleep(rule["delay"])
            try:
                self.answer(entry["status"], rule.get("headers"), b"scripted answer")
            except (BrokenPipeError, ConnectionResetError):
                pass

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret", required=True)
    parser.add_argument("--log", required=True)
    # 0: a free port. A fixed one lets a test stop the receiver and start
    # it again where the deliveries are aimed.
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    state = State(args.secret, args.log)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(state))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    # Exit with the test that started us.
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    main()
