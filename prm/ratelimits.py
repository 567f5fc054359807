"""Hand-made rate limits: one client address rule and one atomic counter for all of them.

allauth keeps its own limits (sign-in, password reset …) and is handed the same address
rule through the account adapter, so every limit in Kyoso keys on the same client.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client, as the proxies we trust saw it.

    With ALLAUTH_TRUSTED_PROXY_COUNT = n, the n-th address from the right of X-Forwarded-For
    is the one our outermost proxy received the request from: everything left of it is
    whatever the client chose to send. With 0 (the default) the header is ignored. A header
    shorter than the proxy chain, or holding no address, falls back to the socket's peer,
    never to a value the client could pick.
    """
    trusted = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    if trusted > 0:
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            address = _clean(hops[-trusted])
            if address:
                return address
    return _clean(request.META.get("REMOTE_ADDR")) or "unknown"


def address_key(address: str) -> str:
    """What an address is counted as: an IPv6 client usually holds a whole /64, so that is one key
    (as allauth counts it)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.IPv6Network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt of `key` (a client address, IPv6 per /64, or any other identity such as
    a user id); True while the attempt is within `limit` per `window` seconds.

    The count is taken atomically (Redis INCR) before the caller does any work, so N
    simultaneous requests get N distinct counts and at most `limit` of them pass.
    """
    name = f"ratelimit:{scope}:{address_key(key)}"
    cache.add(name, 0, window)
    try:
        count = cache.incr(name)
    except ValueError:  # the window ran out between add and incr
        cache.add(name, 0, window)
        count = cache.incr(name)
    return count <= limit


def give_back(scope: str, key: str) -> None:
    """Return one attempt counted by hit() for work that was refused before it was done."""
    try:
        cache.decr(f"ratelimit:{scope}:{address_key(key)}")
    except ValueError:
        pass


class RateLimited(Exception):
    """Refused by a rate limit; str(error) is the translated message for the person."""
