"""A CRM kept in step with Kyoso: the sync recipe (standard library only; copy it and adapt it).

Kyoso → CRM: a small HTTP receiver takes Kyoso's webhooks, checks each signature (Standard Webhooks:
HMAC-SHA256 over "{webhook-id}.{webhook-timestamp}.{body}" with the endpoint's whsec_ secret), skips a
message it has already applied (Kyoso delivers at least once), and mirrors approved and won deals
into a SQLite table. Anything else answers 2xx too, so Kyoso does not retry what we simply ignore.

CRM → Kyoso: `push` sends the CRM's direct-sales accounts to Kyoso's REST API, one upsert per account
keyed by the CRM's own id, so that partner registrations of those customers are matched against them.
It is written against `PUT /api/v1/direct-accounts/{external_id}` (falling back to POST
/api/v1/direct-accounts with the external id in the body) with a bearer API key; check the API
reference of your Kyoso version for the exact shape.

    python examples/crm_sync.py serve --db crm.sqlite3 --port 8765 --secret whsec_…
    python examples/crm_sync.py push --db crm.sqlite3 --base-url https://acme.kyoso.example --api-key …
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOLERANCE_SECONDS = 5 * 60
MIRRORED = {"deal.approved", "deal.won"}

SCHEMA = """
CREATE TABLE IF NOT EXISTS deals (
    kyoso_id INTEGER PRIMARY KEY, partner_id INTEGER, customer_name TEXT NOT NULL, corporate_number TEXT,
    stage TEXT NOT NULL, amount INTEGER, won_amount INTEGER, won_on TEXT, event_timestamp TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS applied_messages (webhook_id TEXT PRIMARY KEY, received_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS direct_accounts (
    crm_id TEXT PRIMARY KEY, name TEXT NOT NULL, corporate_number TEXT DEFAULT '', web_domain TEXT DEFAULT '',
    pushed_at REAL);
"""


def connect(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.executescript(SCHEMA)
    return db


class BadSignature(Exception):
    pass


def verify(secret: str, headers, body: bytes, now: float | None = None) -> None:
    """Raise BadSignature unless one of the message's signatures is ours and it is recent."""
    try:
        msg_id, timestamp = headers["webhook-id"], int(headers["webhook-timestamp"])
        offered = headers["webhook-signature"].split()
    except (KeyError, TypeError, ValueError):
        raise BadSignature("missing webhook headers") from None
    if abs((now or time.time()) - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("stale timestamp")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(digest).decode()
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise BadSignature("no matching signature")


def apply(db: sqlite3.Connection, msg_id: str, payload: dict) -> bool:
    """Mirror one event, once per webhook-id; an older event never overwrites a newer one. True if applied."""
    db.execute("BEGIN IMMEDIATE")
    try:
        if db.execute("SELECT 1 FROM applied_messages WHERE webhook_id = ?", (msg_id,)).fetchone():
            db.execute("ROLLBACK")
            return False
        db.execute("INSERT INTO applied_messages VALUES (?, ?)", (msg_id, time.time()))
        if payload.get("type") in MIRRORED:
            deal = payload["data"]
            db.execute(
                """INSERT INTO deals VALUES (:id, :partner_id, :customer_name, :corporate_number, :stage, :amount,
                                            :won_amount, :won_on, :ts)
                   ON CONFLICT (kyoso_id) DO UPDATE SET stage = excluded.stage, amount = excluded.amount,
                       won_amount = excluded.won_amount, won_on = excluded.won_on,
                       customer_name = excluded.customer_name, event_timestamp = excluded.event_timestamp
                   WHERE excluded.event_timestamp >= deals.event_timestamp""",
                {"id": deal["id"], "partner_id": deal.get("partner_id"), "customer_name": deal.get("customer_name", ""),
                 "corporate_number": deal.get("corporate_number", ""), "stage": deal.get("stage", ""),
                 "amount": deal.get("amount"), "won_amount": deal.get("won_amount"), "won_on": deal.get("won_on"),
                 "ts": payload["timestamp"]})
        db.execute("COMMIT")
        return True
    except Exception:
        db.execute("ROLLBACK")
        raise


def make_server(db: sqlite3.Connection, secret: str, host: str = "127.0.0.1", port: int = 8765) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(min(int(self.headers.get("Content-Length") or 0), 1_000_000))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                verify(secret, headers, body)
                apply(db, headers["webhook-id"], json.loads(body))
                status = 204
            except BadSignature:
                status = 401  # Kyoso retries; fix the secret and the back-log arrives
            except (ValueError, KeyError):
                status = 400
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer((host, port), Handler)


def push(db: sqlite3.Connection, base_url: str, api_key: str, *, timeout: float = 10) -> int:
    """Upsert every direct-sales account into Kyoso by the CRM's id; returns how many were sent."""
    sent = 0
    for crm_id, name, corporate_number, web_domain in db.execute(
            "SELECT crm_id, name, corporate_number, web_domain FROM direct_accounts ORDER BY crm_id").fetchall():
        body = json.dumps({"external_id": crm_id, "name": name, "corporate_number": corporate_number,
                           "web_domain": web_domain}).encode()
        headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        url = f"{base_url.rstrip('/')}/api/v1/direct-accounts/{urllib.parse.quote(crm_id, safe='')}"
        try:
            urllib.request.urlopen(urllib.request.Request(url, body, headers, method="PUT"), timeout=timeout).close()
        except urllib.error.HTTPError as error:
            if error.code not in (404, 405):
                raise
            fallback = urllib.request.Request(f"{base_url.rstrip('/')}/api/v1/direct-accounts", body, headers,
                                              method="POST")
            urllib.request.urlopen(fallback, timeout=timeout).close()
        db.execute("UPDATE direct_accounts SET pushed_at = ? WHERE crm_id = ?", (time.time(), crm_id))
        sent += 1
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve")
    serve.add_argument("--db", default="crm.sqlite3")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--secret", required=True)
    send = sub.add_parser("push")
    send.add_argument("--db", default="crm.sqlite3")
    send.add_argument("--base-url", required=True)
    send.add_argument("--api-key", required=True)
    args = parser.parse_args()
    db = connect(args.db)
    if args.command == "serve":
        server = make_server(db, args.secret, args.host, args.port)
        print(f"receiving Kyoso webhooks on http://{args.host}:{args.port}/")
        server.serve_forever()
    else:
        print(f"pushed {push(db, args.base_url, args.api_key)} direct-sales accounts")


if __name__ == "__main__":
    main()
