#!/usr/bin/env python3
"""Syncing Kyoso with a CRM: a worked example a HubSpot or Salesforce admin can follow.

Two directions, the way a real integration is built:

* Kyoso → CRM, pushed: Kyoso sends each approved, won or cancelled deal registration to a webhook
  endpoint (Standard Webhooks, signed). `serve` is that endpoint: it checks the signature, ignores a
  message it has seen (retries carry the same webhook-id) and writes the deal into the CRM's table.
* CRM → Kyoso, pulled by the CRM side: the vendor's own direct-sales accounts are written to Kyoso's
  API by their CRM id (`PUT /api/v1/direct-accounts/{source}/{crm_id}`), so a partner's registration
  of one of those customers meets them in Kyoso's conflict check. `push` sends every account; PUT
  is idempotent, so sending them again changes nothing.

The "CRM" here is one SQLite file (tables `crm_deals`, `crm_accounts`, `received_messages`) so the
example runs anywhere; replace `store_deal` and `accounts_to_push` with calls to your CRM's API.
Only the standard library is used: copy this file to the machine that runs your integration.

    python crm_sync.py serve --db crm.sqlite3 --port 8787 --secret whsec_...     # the webhook endpoint
    python crm_sync.py add-account --db crm.sqlite3 --crm-id 0015g00000XyZ --name 株式会社サンプル
    python crm_sync.py push --db crm.sqlite3 --url http://alpha.localhost:8000 --key kyo_...

Register the endpoint in the console (Settings → Webhooks) for deal.approved, deal.won and
deal.cancelled; the secret is shown once. Make the API key in the console (Settings → API keys) with
write access to direct-sales accounts.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sqlite3
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60
SYNCED_EVENTS = {"deal.approved", "deal.won", "deal.cancelled", "deal.lost", "deal.expired"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS crm_deals (
    kyoso_id INTEGER PRIMARY KEY, partner_id INTEGER, customer_name TEXT, corporate_number TEXT,
    stage TEXT, amount INTEGER, won_amount INTEGER, won_on TEXT, cancelled_on TEXT, last_event TEXT,
    event_time TEXT);
CREATE TABLE IF NOT EXISTS crm_accounts (
    crm_id TEXT PRIMARY KEY, name TEXT NOT NULL, corporate_number TEXT DEFAULT '', web_domain TEXT DEFAULT '',
    opportunity TEXT DEFAULT '', amount INTEGER DEFAULT 0);
CREATE TABLE IF NOT EXISTS received_messages (webhook_id TEXT PRIMARY KEY, received_at REAL);
"""


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db.executescript(SCHEMA)
    return db


# --------------------------------------------------------------------------- Standard Webhooks signatures


class InvalidSignature(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: float | None = None) -> None:
    """Standard Webhooks: HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" with the base64 key after
    "whsec_"; the header holds "v1,<base64>" signatures separated by spaces (two while a secret rotates)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        msg_id, timestamp = lowered["webhook-id"], int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed webhook headers") from None
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp outside the tolerance (a replay?)")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("no matching signature")


# --------------------------------------------------------------------------- Kyoso → CRM


def store_deal(db: sqlite3.Connection, event: dict) -> None:
    """Mirror one deal event into the CRM: the latest state per Kyoso deal id (an older event never
    overwrites a newer one; Kyoso sends one deal's events in order, but your CRM may replay)."""
    deal = event["data"]
    db.execute(
        """INSERT INTO crm_deals (kyoso_id, partner_id, customer_name, corporate_number, stage, amount, won_amount,
                                  won_on, cancelled_on, last_event, event_time)
           VALUES (:id, :partner_id, :customer_name, :corporate_number, :stage, :amount, :won_amount, :won_on,
                   :cancelled_on, :type, :time)
           ON CONFLICT (kyoso_id) DO UPDATE SET stage = excluded.stage, amount = excluded.amount,
               won_amount = excluded.won_amount, won_on = excluded.won_on, cancelled_on = excluded.cancelled_on,
               last_event = excluded.last_event, event_time = excluded.event_time
           WHERE excluded.event_time >= crm_deals.event_time""",
        {"id": deal["id"], "partner_id": deal.get("partner_id"), "customer_name": deal.get("customer_name", ""),
         "corporate_number": deal.get("corporate_number", ""), "stage": deal.get("stage", ""),
         "amount": deal.get("amount"), "won_amount": deal.get("won_amount"), "won_on": deal.get("won_on"),
         "cancelled_on": deal.get("cancelled_on"), "type": event["type"], "time": event.get("timestamp", "")})


def handle(db: sqlite3.Connection, lock: threading.Lock, secret: str, headers: dict[str, str], body: bytes) -> int:
    """The answer to one delivery: 2xx when it is stored (or was already), 401 for a bad signature (Kyoso
    retries and eventually disables the endpoint, so a wrong secret shows up in the console)."""
    try:
        verify(secret, headers, body)
    except InvalidSignature:
        return 401
    event = json.loads(body)
    msg_id = {name.lower(): value for name, value in headers.items()}["webhook-id"]
    with lock, db:  # one transaction: the message is marked seen only if its deal is stored
        if db.execute("SELECT 1 FROM received_messages WHERE webhook_id = ?", [msg_id]).fetchone():
            return 200
        if event.get("type") in SYNCED_EVENTS:
            store_deal(db, event)
        db.execute("INSERT INTO received_messages VALUES (?, ?)", [msg_id, time.time()])
    return 204


def make_server(db_path: str, secret: str, host: str = "127.0.0.1", port: int = 8787) -> ThreadingHTTPServer:
    db = connect(db_path)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > 1_000_000:
                self.send_response(413)
                self.end_headers()
                return
            status = handle(db, lock, secret, dict(self.headers.items()), self.rfile.read(length))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    return server


# --------------------------------------------------------------------------- CRM → Kyoso


def accounts_to_push(db: sqlite3.Connection) -> list[dict]:
    rows = db.execute("SELECT crm_id, name, corporate_number, web_domain, opportunity, amount FROM crm_accounts")
    return [{"crm_id": crm_id, "body": {
        "customer_name": name, "corporate_number": number or "", "web_domain": domain or "",
        "opportunities": [{"name": opportunity, "amount": int(amount or 0)}] if opportunity else []}}
        for crm_id, name, number, domain, opportunity, amount in rows]


def push_accounts(db: sqlite3.Connection, url: str, key: str, *, source: str = "crm", host: str | None = None) -> dict:
    """PUT every CRM account to Kyoso by its CRM id. Returns {"created": n, "updated": n, "refused": [...]}:
    a refused account (a 422 naming the field) is reported and the others still go."""
    result: dict = {"created": 0, "updated": 0, "refused": []}
    for account in accounts_to_push(db):
        path = f"/api/v1/direct-accounts/{urllib.parse.quote(source, safe='')}/{urllib.parse.quote(account['crm_id'], safe='')}"
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        if host:
            headers["Host"] = host
        request = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(account["body"]).encode(),
                                         method="PUT", headers=headers)
        for attempt in range(5):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    result["created" if response.status == 201 else "updated"] += 1
                break
            except urllib.error.HTTPError as error:
                if error.code == 429 and attempt < 4:  # the key's rate: wait as told, then again
                    time.sleep(int(error.headers.get("Retry-After") or 1))
                    continue
                problem = json.loads(error.read() or b"{}")
                result["refused"].append({"crm_id": account["crm_id"], "status": error.code,
                                          "errors": problem.get("errors") or problem.get("title")})
                break
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="receive Kyoso's webhooks into the CRM store")
    serve.add_argument("--db", required=True)
    serve.add_argument("--secret", required=True, help="the endpoint's whsec_… secret")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8787)
    add = commands.add_parser("add-account", help="put an account in the CRM store")
    add.add_argument("--db", required=True)
    add.add_argument("--crm-id", required=True)
    add.add_argument("--name", required=True)
    add.add_argument("--corporate-number", default="")
    add.add_argument("--web-domain", default="")
    add.add_argument("--opportunity", default="")
    add.add_argument("--amount", type=int, default=0)
    push = commands.add_parser("push", help="send the CRM's accounts to Kyoso")
    push.add_argument("--db", required=True)
    push.add_argument("--url", required=True, help="the console's address, e.g. https://acme.kyoso.example")
    push.add_argument("--key", required=True, help="a vendor API key with write access to direct-sales accounts")
    push.add_argument("--source", default="crm", help="the name Kyoso keeps the CRM ids under (e.g. salesforce)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        server = make_server(args.db, args.secret, args.host, args.port)
        print(f"listening on http://{args.host}:{server.server_address[1]}/", file=sys.stderr)
        server.serve_forever()
    elif args.command == "add-account":
        with connect(args.db) as db:
            db.execute("INSERT OR REPLACE INTO crm_accounts VALUES (?, ?, ?, ?, ?, ?)",
                       [args.crm_id, args.name, args.corporate_number, args.web_domain, args.opportunity, args.amount])
    else:
        print(json.dumps(push_accounts(connect(args.db), args.url, args.key, source=args.source), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
