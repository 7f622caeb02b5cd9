"""A real SMTP server (aiosmtpd) for the e-mail channel's tests.

    smtp_server.py --dir DIR [--port N] [--rules FILE] [--auth USER:PASSWORD]
                   [--tls-cert PEM --tls-key PEM [--implicit-tls]]

Listens on 127.0.0.1:N (N = 0: a free port) and prints "PORT <n>" once it
listens. Every accepted message is stored as DIR/<seq>.eml with DIR/<seq>.json
({"mail_from", "rcpt_tos", "size"}); every refusal is appended to
DIR/refusals.jsonl.

Replies are scripted by the rules file (JSON list, re-read on every command,
so a test rewrites it between attempts):

    {"stage": "connect" | "mail" | "rcpt" | "data" | "message",
     "reply": "452 4.2.2 Mailbox full",
     "rcpt": "b@example.com",     # optional: only for this recipient
     "min_size": 100000,          # optional, stage "message": only larger ones
     "times": 1}                  # optional: only the first N matches

A 421 reply closes the connection after it is sent, as a server going away
does. --auth requires AUTH (PLAIN or LOGIN) with those credentials;
--tls-cert offers STARTTLS, or TLS from the first byte with --implicit-tls.
"""

import argparse
import asyncio
import json
import logging
import os
import ssl
import sys
import time
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Rules:
    def __init__(self, path):
        self.path = path
        self.used = {}

    def match(self, stage, rcpt=None, size=None):
        if not self.path or not os.path.exists(self.path):
            return None
        try:
            with open(self.path) as f:
                rules = json.load(f)
        except (OSError, ValueError):
            return None
        for rule in rules:
            if rule.get("stage") != stage:
                continue
            if "rcpt" in rule and (rcpt is None or rule["rcpt"].lower() != rcpt.lower()):
                continue
            if "min_size" in rule and (size is None or size < rule["min_size"]):
                continue
            key = json.dumps(rule, sort_keys=True)
            if "times" in rule and self.used.get(key, 0) >= rule["times"]:
                continue
            self.used[key] = self.used.get(key, 0) + 1
            return rule["reply"]
        return None


class Handler:
    def __init__(self, directory, rules):
        self.dir = directory
        self.rules = rules

    def refuse(self, stage, rcpt, reply, size=None):
        entry = {"stage": stage, "rcpt": rcpt, "reply": reply, "size": size, "at": time.time()}
        with open(os.path.join(self.dir, "refusals.jsonl"), "a") as f:
            f.write(json.dumps(entry) + "\n")
        return reply

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        reply = self.rules.match("mail")
        if reply:
            return self.refuse("mail", None, reply)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 2.1.0 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rules.match("rcpt", rcpt=address)
        if reply:
            return self.refuse("rcpt", address, reply)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        size = len(content)
        for rcpt in envelope.rcpt_tos:
            reply = self.rules.match("message", rcpt=rcpt, size=size)
            if reply:
                return self.refuse("message", rcpt, reply, size)
        name = "%d-%d" % (time.time_ns(), os.getpid())
        tmp = os.path.join(self.dir, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(content)
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "size": size}
        with open(os.path.join(self.dir, name + ".json"), "w") as f:
            json.dump(meta, f)
        os.rename(tmp, os.path.join(self.dir, name + ".eml"))
        return "250 2.0.0 OK queued as " + name


class ScriptedSMTP(SMTP):
    """aiosmtpd's SMTP with a scriptable greeting, DATA reply and 421 closes."""

    def __init__(self, handler, rules, **kwargs):
        super().__init__(handler, **kwargs)
        self.rules = rules

    async def push(self, status):
        await super().push(status)
        text = status.decode() if isinstance(status, bytes) else status
        if text.startswith("421") and self.transport is not None:
            self.transport.close()

    async def _handle_client(self):
        reply = self.rules.match("connect")
        if reply:
            self.event_handler.refuse("connect", None, reply)
            await self.push(reply)
            return
        await super()._handle_client()

    async def smtp_DATA(self, arg):
        rcpts = list(self.envelope.rcpt_tos) if self.envelope else []
        for rcpt in rcpts:
            reply = self.rules.match("data", rcpt=rcpt)
            if reply:
                self.event_handler.refuse("data", rcpt, reply)
                await self.push(reply)
                return
        await super().smtp_DATA(arg)


def main():
    # aiosmtpd warns about AUTH without TLS, which the plain-text tests use.
    warnings.simplefilter("ignore")
    # Refused handshakes (untrusted-certificate tests) are expected here.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--rules")
    p.add_argument("--auth")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    args = p.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    rules = Rules(args.rules)
    handler = Handler(args.dir, rules)

    ctx = None
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)

    kwargs = {"data_size_limit": None, "hostname": "smtp.test", "timeout": 60}
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login.decode() == user
                and auth_data.password.decode() == password
            )
            return AuthResult(success=ok, handled=False)

        # With implicit TLS the whole connection is encrypted, but aiosmtpd
        # only knows about STARTTLS: let it offer AUTH there too.
        kwargs.update(authenticator=authenticator, auth_required=True,
                      auth_require_tls=ctx is not None and not args.implicit_tls)
    if ctx is not None and not args.implicit_tls:
        kwargs.update(tls_context=ctx, require_starttls=True)

    async def serve():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: ScriptedSMTP(handler, rules, loop=loop, **kwargs),
            host="127.0.0.1",
            port=args.port,
            ssl=ctx if args.implicit_tls else None,
            reuse_address=True,
        )
        port = server.sockets[0].getsockname()[1]
        print("PORT %d" % port, flush=True)
        async with server:
            await server.serve_forever()

    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
