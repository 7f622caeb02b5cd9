"""An amoCRM / Kommo API v4 server for the amocrm channel's tests.

It follows the documented API closely enough to catch a client that does
not: Bearer tokens (long-lived, or OAuth2 access tokens that expire, with
single-use refresh tokens: a refresh token used twice is answered 401
"Token has been revoked"), strict request shapes (400 with
`validation-errors` otherwise), calls attached by the last 10 digits of
`phone` to the contact's single lead or the contact, no note without a
card, and no deduplication by `uniq` (a second POST makes a second note,
as amoCRM does). It enforces 7 requests a second per account as a token
bucket (429 beyond, counted in the state).

    python amocrm_server.py '{"access_tokens": ["t"], ...}'

prints `PORT <n>` once it listens on 127.0.0.1 and exits when its stdin
closes. The JSON setup may hold: access_tokens, expired_access_tokens,
refresh_tokens, client_id, client_secret, redirect_uri, contacts (phone
numbers), rate (requests a second, 7), burst (7).

Control (no auth, not rate limited):
  GET  /_control/state           counters, notes, contacts, leads
  POST /_control/fail            {"method", "path", "status", "count", "headers"}
                                 answers the next `count` matching API
                                 requests with `status` before doing anything
  POST /_control/hide_notes      {"count": n}: the next n notes reads see no notes
  POST /_control/expire          {"token": t}: the access token expires now
"""

import json
import re
import secrets as rnd
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()


class State:
    def __init__(self, setup):
        self.access = {t: float("inf") for t in setup.get("access_tokens", [])}
        for t in setup.get("expired_access_tokens", []):
            self.access[t] = 0.0
        self.refresh = {t: False for t in setup.get("refresh_tokens", [])}  # token -> used
        self.client_id = setup.get("client_id")
        self.client_secret = setup.get("client_secret")
        self.redirect_uri = setup.get("redirect_uri")
        self.rate = float(setup.get("rate", 7))
        self.burst = float(setup.get("burst", 7))
        self.tokens = self.burst
        self.last = time.monotonic()
        self.next_id = 1000
        self.contacts = {}  # id -> {"phones": [..], "leads": [..], "name": ..}
        self.leads = {}  # id -> {"name", "contacts": [..]}
        self.notes = []
        self.failures = []
        self.hide_notes = 0
        self.token_uses = {}
        self.counters = {
            "requests": 0, "rate_limited": 0, "calls_posted": 0, "calls_attached": 0,
            "refreshes": 0, "revoked_refresh_uses": 0, "unauthorized": 0,
            "contacts_created": 0, "leads_created": 0, "notes_patched": 0,
        }
        for phone in setup.get("contacts", []):
            self.add_contact(phone, phone)

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def add_contact(self, name, phone):
        cid = self.new_id()
        self.contacts[cid] = {"name": name, "phones": [phone] if phone else [], "leads": []}
        return cid

    def take_token(self):
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


STATE = None


def last10(phone):
    digits = re.sub(r"\D", "", phone or "")
    return digits[-10:]


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def validation_error(errors):
    return 400, {
        "validation-errors": [
            {"request_id": rid, "errors": [{"code": code, "path": path, "detail": detail}]}
            for (rid, code, path, detail) in errors
        ],
        "title": "Bad Request",
        "type": "https://httpstatus.es/400",
        "status": 400,
        "detail": "Request validation failed",
    }


CALL_FIELDS = {
    "direction", "uniq", "duration", "source", "link", "phone", "call_result",
    "call_status", "responsible_user_id", "created_by", "updated_by", "created_at",
    "updated_at", "request_id",
}


def check_call(i, call):
    rid = str(i)
    if not isinstance(call, dict):
        return [(rid, "InvalidType", "", "This value should be of type object.")]
    errs = []
    for k in call:
        if k not in CALL_FIELDS:
            errs.append((rid, "ExtraField", k, "This field was not expected."))
    if call.get("direction") not in ("inbound", "outbound"):
        errs.append((rid, "NotSupportedChoice", "direction", "The value you selected is not a valid choice."))
    if not is_int(call.get("duration")) or call["duration"] < 0:
        errs.append((rid, "InvalidType", "duration", "This value should be of type int."))
    for k in ("source", "phone"):
        if not isinstance(call.get(k), str) or not call[k].strip():
            errs.append((rid, "NotBlank", k, "This value should not be blank."))
    for k in ("uniq", "link", "call_result"):
        if k in call and not isinstance(call[k], str):
            errs.append((rid, "InvalidType", k, "This value should be of type string."))
    if "link" in call and isinstance(call["link"], str) and not re.match(r"^https?://", call["link"]):
        errs.append((rid, "InvalidUrl", "link", "This value is not a valid URL."))
    if "call_status" in call and (not is_int(call["call_status"]) or not 1 <= call["call_status"] <= 7):
        errs.append((rid, "NotSupportedChoice", "call_status", "The value you selected is not a valid choice."))
    for k in ("responsible_user_id", "created_by", "updated_by", "created_at", "updated_at"):
        if k in call and not is_int(call[k]):
            errs.append((rid, "InvalidType", k, "This value should be of type int."))
    return errs


def phone_of(custom_fields, rid, path):
    """The phones of a contact's custom_fields_values, or validation errors."""
    if custom_fields is None:
        return [], []
    if not isinstance(custom_fields, list):
        return [], [(rid, "InvalidType", path, "This value should be of type array.")]
    phones, errs = [], []
    for j, field in enumerate(custom_fields):
        p = f"{path}.{j}"
        if not isinstance(field, dict) or field.get("field_code") != "PHONE":
            errs.append((rid, "NotSupportedChoice", p + ".field_code", "The value you selected is not a valid choice."))
            continue
        values = field.get("values")
        if not isinstance(values, list) or not values:
            errs.append((rid, "NotBlank", p + ".values", "This value should not be blank."))
            continue
        for k, v in enumerate(values):
            if not isinstance(v, dict) or not isinstance(v.get("value"), str) or not v["value"].strip():
                errs.append((rid, "NotBlank", f"{p}.values.{k}.value", "This value should not be blank."))
            elif "enum_code" in v and v["enum_code"] not in ("WORK", "WORKDD", "MOB", "FAX", "HOME", "OTHER"):
                errs.append((rid, "NotSupportedChoice", f"{p}.values.{k}.enum_code", "The value you selected is not a valid choice."))
            else:
                phones.append(v["value"])
    return phones, errs


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, headers=None, content_type="application/hal+json"):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if status >= 400:
            content_type = "application/problem+json"
        if data:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return ValueError

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def handle_any(self, method):
        url = urlsplit(self.path)
        body = self.body() if method != "GET" else None
        with LOCK:
            if url.path.startswith("/_control/"):
                return self.reply(*control(method, url.path, body))
            STATE.counters["requests"] += 1
            if not STATE.take_token():
                STATE.counters["rate_limited"] += 1
                return self.reply(429, {"title": "Too Many Requests", "status": 429}, {"Retry-After": 1})
            for f in STATE.failures:
                if f["count"] > 0 and f.get("method", method) == method and url.path.startswith(f.get("path", "/")):
                    f["count"] -= 1
                    return self.reply(f["status"], {"title": "Injected failure", "status": f["status"]}, f.get("headers"))
            if body is ValueError:
                return self.reply(400, {"title": "Bad Request", "status": 400, "detail": "Body is not JSON"})
            if url.path == "/oauth2/access_token" and method == "POST":
                return self.reply(*oauth(body))
            auth = self.headers.get("Authorization", "")
            token = auth[7:] if auth.startswith("Bearer ") else None
            if token is None or STATE.access.get(token, 0.0) <= time.time():
                STATE.counters["unauthorized"] += 1
                return self.reply(401, {"title": "Unauthorized", "type": "https://httpstatus.es/401", "status": 401, "detail": "Unauthorized"})
            STATE.token_uses[token] = STATE.token_uses.get(token, 0) + 1
            return self.reply(*api(method, url.path, parse_qs(url.query), body))


def control(method, path, body):
    if path == "/_control/state":
        return 200, {"counters": STATE.counters, "notes": STATE.notes,
                     "contacts": {str(k): v for k, v in STATE.contacts.items()},
                     "leads": {str(k): v for k, v in STATE.leads.items()},
                     "refresh_tokens": STATE.refresh, "token_uses": STATE.token_uses}
    if path == "/_control/fail":
        STATE.failures.append(dict(body))
        return 200, {}
    if path == "/_control/hide_notes":
        STATE.hide_notes = int(body["count"])
        return 200, {}
    if path == "/_control/expire":
        STATE.access[body["token"]] = 0.0
        return 200, {}
    return 404, {"title": "Not Found", "status": 404}


def oauth(body):
    if not isinstance(body, dict) or body.get("grant_type") != "refresh_token":
        return 400, {"title": "Bad Request", "status": 400, "hint": "grant_type must be refresh_token"}
    if (body.get("client_id"), body.get("client_secret"), body.get("redirect_uri")) != (
        STATE.client_id, STATE.client_secret, STATE.redirect_uri):
        return 401, {"title": "Unauthorized", "status": 401, "hint": "Client authentication failed"}
    rt = body.get("refresh_token")
    if rt not in STATE.refresh:
        return 401, {"title": "Unauthorized", "status": 401, "hint": "Token is invalid", "detail": "Token is invalid"}
    if STATE.refresh[rt]:
        STATE.counters["revoked_refresh_uses"] += 1
        return 401, {"title": "Unauthorized", "status": 401, "hint": "Token has been revoked", "detail": "Token has been revoked"}
    STATE.refresh[rt] = True
    STATE.counters["refreshes"] += 1
    access, refresh = "at-" + rnd.token_hex(8), "rt-" + rnd.token_hex(8)
    STATE.access[access] = time.time() + 86400
    STATE.refresh[refresh] = False
    return 200, {"token_type": "Bearer", "expires_in": 86400, "access_token": access, "refresh_token": refresh}


def find_card(phone):
    """The card a call with this number lands on: the contact's single
    lead, else the contact."""
    want = last10(phone)
    for cid, c in STATE.contacts.items():
        if want and any(last10(p) == want for p in c["phones"]):
            if len(c["leads"]) == 1:
                return "lead", c["leads"][0]
            return "contact", cid
    return None


def api(method, path, query, body):
    if method == "GET" and path == "/api/v4/account":
        return 200, {"id": 1, "name": "callvault test", "subdomain": "test"}
    if method == "POST" and path == "/api/v4/calls":
        return post_calls(body)
    if method == "POST" and path == "/api/v4/contacts":
        return post_contacts(body)
    if method == "POST" and path == "/api/v4/leads/complex":
        return post_leads_complex(body)
    if method == "GET" and path == "/api/v4/contacts":
        return search_contacts(query)
    m = re.fullmatch(r"/api/v4/(leads|contacts|companies|customers)/(\d+)/notes", path)
    if method == "GET" and m:
        return get_notes(m.group(1), int(m.group(2)), query)
    m = re.fullmatch(r"/api/v4/(leads|contacts|companies|customers)/notes", path)
    if method == "PATCH" and m:
        return patch_notes(m.group(1), body)
    return 404, {"title": "Not Found", "status": 404, "detail": f"{method} {path}"}


def post_calls(body):
    if not isinstance(body, list) or not body:
        return validation_error([("0", "InvalidType", "", "The body must be a non-empty array of calls.")])
    errs = [e for i, call in enumerate(body) for e in check_call(i, call)]
    if errs:
        return validation_error(errs)
    calls, errors = [], []
    for i, call in enumerate(body):
        STATE.counters["calls_posted"] += 1
        card = find_card(call["phone"])
        if card is None:
            errors.append({"request_id": str(i), "code": 264, "msg": "Entity not found", "title": "Entity not found"})
            continue
        etype, eid = card
        note_id = STATE.new_id()
        params = {k: call[k] for k in ("uniq", "duration", "source", "link", "phone", "call_status", "call_result") if k in call}
        STATE.notes.append({
            "id": note_id, "entity_id": eid, "entity_type": etype + "s",
            "note_type": "call_in" if call["direction"] == "inbound" else "call_out",
            "created_by": call.get("created_by", 0), "responsible_user_id": call.get("responsible_user_id", 0),
            "created_at": call.get("created_at", int(time.time())), "params": params,
        })
        STATE.counters["calls_attached"] += 1
        calls.append({"id": note_id, "entity_id": eid, "entity_type": etype, "account_id": 1,
                      "request_id": str(i), "_embedded": {"entity": {"id": eid}}})
    return 200, {"_total_items": len(calls), "errors": errors, "_embedded": {"calls": calls}}


def post_contacts(body):
    if not isinstance(body, list) or not body:
        return validation_error([("0", "InvalidType", "", "The body must be a non-empty array of contacts.")])
    errs, made = [], []
    for i, c in enumerate(body):
        if not isinstance(c, dict):
            errs.append((str(i), "InvalidType", "", "This value should be of type object."))
            continue
        phones, e = phone_of(c.get("custom_fields_values"), str(i), "custom_fields_values")
        errs += e
        if "responsible_user_id" in c and not is_int(c["responsible_user_id"]):
            errs.append((str(i), "InvalidType", "responsible_user_id", "This value should be of type int."))
        made.append((c.get("name", ""), phones))
    if errs:
        return validation_error(errs)
    out = []
    for i, (name, phones) in enumerate(made):
        cid = STATE.add_contact(name, None)
        STATE.contacts[cid]["phones"] = phones
        STATE.counters["contacts_created"] += 1
        out.append({"id": cid, "request_id": str(i), "_links": {"self": {"href": f"/api/v4/contacts/{cid}"}}})
    return 200, {"_embedded": {"contacts": out}}


def post_leads_complex(body):
    if not isinstance(body, list) or not body:
        return validation_error([("0", "InvalidType", "", "The body must be a non-empty array of leads.")])
    out = []
    for i, lead in enumerate(body):
        if not isinstance(lead, dict) or not isinstance(lead.get("name", ""), str):
            return validation_error([(str(i), "InvalidType", "name", "This value should be of type string.")])
        contacts = (lead.get("_embedded") or {}).get("contacts") or []
        if len(contacts) > 1:
            return validation_error([(str(i), "TooMany", "_embedded.contacts", "At most one contact.")])
        cid = None
        if contacts:
            phones, e = phone_of(contacts[0].get("custom_fields_values"), str(i), "_embedded.contacts.0.custom_fields_values")
            if e:
                return validation_error(e)
            cid = STATE.add_contact(contacts[0].get("name", ""), None)
            STATE.contacts[cid]["phones"] = phones
            STATE.counters["contacts_created"] += 1
        lid = STATE.new_id()
        STATE.leads[lid] = {"name": lead.get("name", ""), "contacts": [cid] if cid else []}
        if cid:
            STATE.contacts[cid]["leads"].append(lid)
        STATE.counters["leads_created"] += 1
        out.append({"id": lid, "contact_id": cid, "company_id": None, "request_id": [str(i)], "merged": False})
    return 200, out


def search_contacts(query):
    q = last10((query.get("query") or [""])[0])
    found = [(cid, c) for cid, c in STATE.contacts.items() if q and any(q in re.sub(r"\D", "", p) for p in c["phones"])]
    if not found:
        return 204, None
    with_leads = "leads" in ",".join(query.get("with", [])).split(",")
    out = []
    for cid, c in found:
        item = {"id": cid, "name": c["name"]}
        if with_leads:
            item["_embedded"] = {"leads": [{"id": lid} for lid in c["leads"]]}
        out.append(item)
    return 200, {"_page": 1, "_embedded": {"contacts": out}}


def get_notes(etype, eid, query):
    if STATE.hide_notes > 0:
        STATE.hide_notes -= 1
        return 204, None
    types = query.get("filter[note_type][]", []) + query.get("filter[note_type]", [])
    notes = [n for n in STATE.notes if n["entity_type"] == etype and n["entity_id"] == eid
             and (not types or n["note_type"] in types)]
    if query.get("order[id]") == ["desc"]:
        notes.sort(key=lambda n: -n["id"])
    limit = min(int((query.get("limit") or ["50"])[0]), 250)
    page = int((query.get("page") or ["1"])[0])
    chunk = notes[(page - 1) * limit: page * limit]
    if not chunk:
        return 204, None
    links = {"self": {"href": "self"}}
    if len(notes) > page * limit:
        links["next"] = {"href": "next"}
    return 200, {"_page": page, "_links": links, "_embedded": {"notes": chunk}}


def patch_notes(etype, body):
    if not isinstance(body, list) or not body:
        return validation_error([("0", "InvalidType", "", "The body must be a non-empty array of notes.")])
    out = []
    for i, item in enumerate(body):
        note = next((n for n in STATE.notes if isinstance(item, dict) and n["id"] == item.get("id") and n["entity_type"] == etype), None)
        if note is None:
            return validation_error([(str(i), "NotFound", "id", "Note not found.")])
        if not isinstance(item.get("params", {}), dict):
            return validation_error([(str(i), "InvalidType", "params", "This value should be of type object.")])
        note["params"].update(item.get("params", {}))
        STATE.counters["notes_patched"] += 1
        out.append({"id": note["id"], "entity_id": note["entity_id"], "request_id": str(i)})
    return 200, {"_embedded": {"notes": out}}


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
