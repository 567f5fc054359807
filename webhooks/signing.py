"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over "{id}.{timestamp}.{body}".

A secret is "whsec_" + base64 of 24 random bytes; the signature header holds one "v1,<base64>" per
secret in use, separated by spaces (two while a secret is being rotated). The same code verifies,
for the tests and the example receiver.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random_secrets
import time

PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


class InvalidSignature(Exception):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(random_secrets.token_bytes(24)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def headers(secrets: list[str], msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)}


def verify(secret: str, received: dict[str, str], body: bytes, *, now: float | None = None) -> None:
    """Raise InvalidSignature unless one of the signatures is this secret's and the timestamp is recent."""
    lowered = {key.lower(): value for key, value in received.items()}
    try:
        msg_id, timestamp = lowered["webhook-id"], int(lowered["webhook-timestamp"])
        offered = lowered["webhook-signature"].split()
    except (KeyError, ValueError):
        raise InvalidSignature("missing or malformed webhook headers") from None
    if abs((time.time() if now is None else now) - timestamp) > TOLERANCE_SECONDS:
        raise InvalidSignature("timestamp outside the tolerance")
    expected = sign(secret, msg_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise InvalidSignature("no matching signature")
