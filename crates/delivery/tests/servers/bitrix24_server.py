"""A Bitrix24 REST server for the bitrix24 channel's tests.

The telephony methods as documented, with strict parameter checks:
telephony.externalcall.register, telephony.externalcall.finish,
telephony.externalCall.attachRecord (base64 FILE_CONTENT, checked to be an
MP3 or WAV file; or FILENAME alone, answered with an uploadUrl that takes a
multipart POST with the file in `file`), telephony.externalLine.get.
Method names are case-insensitive, as on a portal.

Ways in: an inbound webhook `/rest/USER/CODE/METHOD.json` and an OAuth
application `/rest/METHOD.json` with `auth` in the body or query; the OAuth
server `/oauth/token/` takes `grant_type=refresh_token` with single-use
refresh tokens. A leaky bucket (rate, burst) answers 503
QUERY_LIMIT_EXCEEDED beyond it. Bodies are JSON or form-encoded.

    python bitrix24_server.py '{"webhook": {"user": "1", "code": "abc"}, ...}'

prints `PORT <n>` once it listens on 127.0.0.1 and exits when its stdin
closes. Setup keys: webhook {user, code}, wrong_auth_type (register/finish
through a webhook answer WRONG_AUTH_TYPE), client_id, client_secret,
access_tokens, expired_access_tokens, refresh_tokens, users (valid USER_IDs),
rate (2), burst (50).

Control: GET /_control/state; POST /_control/fail {"method", "status",
"error", "count"} answers the next `count` calls of `method` with `status`
before doing anything.
"""

import base64
import json
import re
import secrets as rnd
import sys
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
STATE = None


class State:
    def __init__(self, setup):
        self.webhook = setup.get("webhook")
        self.wrong_auth_type = bool(setup.get("wrong_auth_type"))
        self.client_id = setup.get("client_id")
        self.client_secret = setup.get("client_secret")
        self.access = {t: float("inf") for t in setup.get("access_tokens", [])}
        for t in setup.get("expired_access_tokens", []):
            self.access[t] = 0.0
        self.refresh = {t: False for t in setup.get("refresh_tokens", [])}
        self.users = set(setup.get("users", [1]))
        self.rate = float(setup.get("rate", 2))
        self.burst = float(setup.get("burst", 50))
        self.level = 0.0
        self.last = time.monotonic()
        self.calls = {}  # CALL_ID -> call
        self.by_external = {}  # EXTERNAL_CALL_ID -> CALL_ID
        self.uploads = {}  # token -> CALL_ID
        self.failures = []
        self.next_id = 100
        self.counters = {"requests": 0, "limited": 0, "registrations": 0, "refreshes": 0,
                         "revoked_refresh_uses": 0, "expired_token": 0, "uploads": 0}
        self.registrations = {}  # EXTERNAL_CALL_ID -> count

    def leak(self):
        now = time.monotonic()
        self.level = max(0.0, self.level - (now - self.last) * self.rate)
        self.last = now
        if self.level + 1 > self.burst:
            return False
        self.level += 1
        return True


def error(status, code, description):
    return status, {"error": code, "error_description": description}


def core(description):
    return error(400, "ERROR_CORE", description)


def as_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"-?\d+", v):
        return int(v)
    return None


def is_audio(data, filename):
    if filename.lower().endswith(".mp3"):
        # ID3v2 tag, or an MPEG audio frame sync (11 set bits).
        return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
    return data[:4] == b"RIFF" and data[8:12] == b"WAVE"


def register(p, via_webhook):
    if via_webhook and STATE.wrong_auth_type:
        return error(401, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
    user = as_int(p.get("USER_ID"))
    if user is None and not p.get("USER_PHONE_INNER"):
        return core("USER_ID or USER_PHONE_INNER should be set")
    if user is not None and user not in STATE.users:
        return core("User is not found or is not active")
    phone = p.get("PHONE_NUMBER")
    if not isinstance(phone, str) or not re.fullmatch(r"\+?[\d\-\s()]{3,}", phone):
        return core("Unsupported phone number format")
    if as_int(p.get("TYPE")) not in (1, 2, 3, 4, 5):
        return core("Unknown TYPE")
    if "CALL_START_DATE" in p:
        try:
            d = datetime.fromisoformat(str(p["CALL_START_DATE"]))
            if d.tzinfo is None:
                raise ValueError
        except ValueError:
            return core("CALL_START_DATE should be in the ISO-8601 format")
    for k in ("CRM_CREATE", "SHOW", "ADD_TO_CHAT"):
        if k in p and as_int(p[k]) not in (0, 1):
            return core(f"{k} should be 0 or 1")
    ext = p.get("EXTERNAL_CALL_ID")
    STATE.counters["registrations"] += 1
    if ext:
        STATE.registrations[ext] = STATE.registrations.get(ext, 0) + 1
        if ext in STATE.by_external:
            call_id = STATE.by_external[ext]
            return 200, {"result": {"CALL_ID": call_id, "CRM_CREATED_LEAD": None, "CRM_CREATED_ENTITIES": [],
                                    "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": 797}}
    call_id = f"externalCall.{rnd.token_hex(16)}.{int(time.time())}"
    STATE.calls[call_id] = {"user": user, "phone": phone, "type": as_int(p["TYPE"]), "external": ext,
                            "start": p.get("CALL_START_DATE"), "crm_create": as_int(p.get("CRM_CREATE", 0)),
                            "show": as_int(p.get("SHOW", 1)), "finished": None, "record": None}
    if ext:
        STATE.by_external[ext] = call_id
    return 200, {"result": {"CALL_ID": call_id, "CRM_CREATED_LEAD": None, "CRM_CREATED_ENTITIES": [],
                            "CRM_ENTITY_TYPE": "CONTACT", "CRM_ENTITY_ID": 797}}


def finish(p, via_webhook):
    if via_webhook and STATE.wrong_auth_type:
        return error(401, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
    call = STATE.calls.get(p.get("CALL_ID"))
    if call is None:
        return core("Call is not found or is already finished")
    if as_int(p.get("USER_ID")) is None and not p.get("USER_PHONE_INNER"):
        return core("USER_ID or USER_PHONE_INNER should be set")
    duration = as_int(p.get("DURATION"))
    if duration is None or duration < 0:
        return core("DURATION should be a non-negative integer")
    status = str(p.get("STATUS_CODE", "200"))
    if not re.fullmatch(r"\d{3}|OTHER", status):
        return core("Unknown STATUS_CODE")
    STATE.next_id += 1
    call["finished"] = {"duration": duration, "status": status, "user": as_int(p.get("USER_ID"))}
    return 200, {"result": {"CALL_ID": p["CALL_ID"], "CRM_ACTIVITY_ID": STATE.next_id, "CALL_DURATION": duration,
                            "CALL_FAILED_CODE": status}}


def attach_record(p, base):
    call = STATE.calls.get(p.get("CALL_ID"))
    if call is None:
        return core("Call is not found")
    if call["finished"] is None:
        return core("Call is not finished")
    name = p.get("FILENAME")
    if not isinstance(name, str) or not re.search(r"\.(mp3|wav)$", name, re.I):
        return core("FILENAME should end with .mp3 or .wav")
    content = p.get("FILE_CONTENT")
    if not content:
        token = rnd.token_hex(12)
        STATE.uploads[token] = (p["CALL_ID"], name)
        return 200, {"result": {"uploadUrl": f"{base}/upload/{token}/"}}
    try:
        data = base64.b64decode(content, validate=True)
    except ValueError:
        return core("FILE_CONTENT is not base64")
    if not is_audio(data, name):
        return core("FILE_CONTENT is not an audio file of the FILENAME's type")
    STATE.next_id += 1
    call["record"] = {"name": name, "size": len(data), "via": "inline", "head": data[:4].hex()}
    return 200, {"result": {"FILE_ID": STATE.next_id}}


def parse_multipart(ctype, raw):
    m = re.search(r'boundary="?([^";]+)"?', ctype or "")
    if not m:
        return None
    for part in raw.split(b"--" + m.group(1).encode()):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            return body[:-2] if body.endswith(b"\r\n") else body
    return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def handle_any(self, verb):
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        with LOCK:
            if url.path.startswith("/_control/"):
                if url.path == "/_control/state":
                    return self.reply(200, {"counters": STATE.counters, "calls": STATE.calls,
                                            "registrations": STATE.registrations, "refresh_tokens": STATE.refresh})
                if url.path == "/_control/fail":
                    STATE.failures.append(json.loads(raw))
                    return self.reply(200, {})
                return self.reply(404, {"error": "NOT_FOUND"})
            STATE.counters["requests"] += 1
            if url.path.startswith("/oauth/token"):
                return self.reply(*oauth(parse_qs(url.query)))
            if not STATE.leak():
                STATE.counters["limited"] += 1
                return self.reply(503, {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"})
            m = re.fullmatch(r"/upload/([0-9a-f]+)/", url.path)
            if m and verb == "POST":
                target = STATE.uploads.pop(m.group(1), None)
                if target is None:
                    return self.reply(*core("Unknown upload"))
                data = parse_multipart(self.headers.get("Content-Type"), raw)
                if data is None or not is_audio(data, target[1]):
                    return self.reply(*core("No audio file in the `file` field"))
                STATE.counters["uploads"] += 1
                STATE.calls[target[0]]["record"] = {"name": target[1], "size": len(data), "via": "upload", "head": data[:4].hex()}
                return self.reply(200, {"result": True})
            params, via_webhook, method = self.route(url, raw)
            if isinstance(params, tuple):
                return self.reply(*params)
            for f in STATE.failures:
                if f["count"] > 0 and f["method"].lower() == method:
                    f["count"] -= 1
                    body = {"error": f.get("error", "INTERNAL_SERVER_ERROR"), "error_description": "injected"}
                    return self.reply(f["status"], body, f.get("headers"))
            base = f"http://{self.headers.get('Host')}"
            if method == "telephony.externalcall.register":
                return self.reply(*register(params, via_webhook))
            if method == "telephony.externalcall.finish":
                return self.reply(*finish(params, via_webhook))
            if method == "telephony.externalcall.attachrecord":
                return self.reply(*attach_record(params, base))
            if method == "telephony.externalline.get":
                return self.reply(200, {"result": []})
            return self.reply(*error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"))

    def route(self, url, raw):
        """(params, via_webhook, method) or ((status, body), ...) on an auth error."""
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            try:
                params = json.loads(raw) if raw else {}
            except ValueError:
                return core("Body is not JSON"), False, ""
        else:
            params = {k: v[-1] for k, v in parse_qs(raw.decode(errors="replace")).items()}
        if not isinstance(params, dict):
            return core("Body must be an object"), False, ""
        m = re.fullmatch(r"/rest/(\d+)/([^/]+)/([\w.]+?)(?:\.json)?", url.path)
        if m:
            wh = STATE.webhook or {}
            if (m.group(1), m.group(2)) != (str(wh.get("user")), wh.get("code")):
                return error(401, "INVALID_CREDENTIALS", "Invalid request credentials"), True, ""
            return params, True, m.group(3).lower()
        m = re.fullmatch(r"/rest/([\w.]+?)(?:\.json)?", url.path)
        if m:
            token = params.pop("auth", None) or (parse_qs(url.query).get("auth") or [None])[0]
            if token is None:
                return error(401, "NO_AUTH_FOUND", "Wrong authorization data"), False, ""
            if token not in STATE.access:
                return error(401, "invalid_token", "The access token provided is invalid."), False, ""
            if STATE.access[token] <= time.time():
                STATE.counters["expired_token"] += 1
                return error(401, "expired_token", "The access token provided has expired."), False, ""
            return params, False, m.group(1).lower()
        return error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!"), False, ""


def oauth(q):
    get = lambda k: (q.get(k) or [None])[0]
    if get("grant_type") != "refresh_token":
        return 400, {"error": "invalid_request", "error_description": "grant_type"}
    if (get("client_id"), get("client_secret")) != (STATE.client_id, STATE.client_secret):
        return 401, {"error": "invalid_client", "error_description": "Invalid client"}
    rt = get("refresh_token")
    if rt not in STATE.refresh:
        return 400, {"error": "invalid_grant", "error_description": "Invalid refresh token"}
    if STATE.refresh[rt]:
        STATE.counters["revoked_refresh_uses"] += 1
        return 400, {"error": "invalid_grant", "error_description": "Refresh token has been used"}
    STATE.refresh[rt] = True
    STATE.counters["refreshes"] += 1
    access, refresh = "b24at-" + rnd.token_hex(8), "b24rt-" + rnd.token_hex(8)
    STATE.access[access] = time.time() + 3600
    STATE.refresh[refresh] = False
    return 200, {"access_token": access, "refresh_token": refresh, "expires_in": 3600, "scope": "telephony",
                 "domain": "test.bitrix24", "member_id": "m", "status": "L"}


def main():
    global STATE
    STATE = State(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"PORT {server.server_address[1]}", flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
