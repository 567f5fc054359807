"""POSTing one signed message, with the address checked at send time (SSRF) and bounded waits.

The host is resolved here and the connection made to the address that was checked, not resolved
again by the HTTP library, so a name that changes its answer between check and connect (DNS
rebinding) cannot reach an internal service. Only a short excerpt of the answer is kept.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

EXCERPT_BYTES = 200


class RefusedAddress(Exception):
    pass


@dataclass(frozen=True)
class Response:
    status: int | None
    ms: int
    error: str = ""
    excerpt: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> str:
    """The address to connect to: refused unless every address of the host is public (or private ones are allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise RefusedAddress(_("The host name could not be resolved.")) from error
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise RefusedAddress(_("The host name could not be resolved."))
    if not settings.KYOSO_WEBHOOK_ALLOW_PRIVATE and not all(address_allowed(a) for a in addresses):
        raise RefusedAddress(_("The address is private, loopback or reserved; webhooks go to public addresses only."))
    return addresses[0]


class Sender:
    """Keeps one connection pool per checked address for a run of deliveries (keep-alive to the receiver)."""

    def __init__(self):
        self._pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def _pool(self, scheme: str, host: str, port: int, address: str) -> urllib3.HTTPConnectionPool:
        key = (scheme, host, port, address)
        if key not in self._pools:
            timeout = urllib3.Timeout(connect=settings.KYOSO_WEBHOOK_CONNECT_TIMEOUT,
                                      read=settings.KYOSO_WEBHOOK_TOTAL_TIMEOUT)
            if scheme == "https":
                self._pools[key] = urllib3.HTTPSConnectionPool(
                    address, port, timeout=timeout, retries=False, maxsize=1, server_hostname=host,
                    assert_hostname=host, ssl_context=ssl.create_default_context())
            else:
                self._pools[key] = urllib3.HTTPConnectionPool(address, port, timeout=timeout, retries=False, maxsize=1)
        return self._pools[key]

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Response:
        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        try:
            address = resolve(host, port)
        except RefusedAddress as error:
            return Response(None, elapsed(), str(error))
        default_port = port == (443 if scheme == "https" else 80)
        host_header = (f"[{host}]" if ":" in host else host) + ("" if default_port else f":{port}")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        request_headers = {"Host": host_header, "Content-Type": "application/json", "User-Agent": "Kyoso-Webhooks/1",
                           **headers}
        deadline = settings.KYOSO_WEBHOOK_TOTAL_TIMEOUT
        try:
            answer = self._pool(scheme, host, port, address).urlopen(
                "POST", path, body=body, headers=request_headers, redirect=False, preload_content=False,
                assert_same_host=False)
            try:
                excerpt = answer.read(EXCERPT_BYTES, decode_content=False)
            finally:
                # The rest of a long answer is not read: the connection is dropped instead of reused.
                if answer.length_remaining == 0:
                    answer.release_conn()
                else:
                    answer.close()
        except (urllib3.exceptions.HTTPError, OSError) as error:
            return Response(None, elapsed(), _error_text(error))
        if time.monotonic() - started > deadline:
            return Response(None, elapsed(), _("The receiver took longer than %(seconds)s s.") % {"seconds": deadline})
        return Response(answer.status, elapsed(), "", excerpt.decode("utf-8", "replace")[:EXCERPT_BYTES])


def _error_text(error: Exception) -> str:
    if isinstance(error, urllib3.exceptions.TimeoutError):
        return _("The receiver did not answer in time.")
    if isinstance(error, urllib3.exceptions.NewConnectionError | ConnectionRefusedError):
        return _("The connection was refused.")
    if isinstance(error, urllib3.exceptions.SSLError):
        return _("The TLS certificate could not be verified.")
    return _("The request failed: %(error)s") % {"error": type(error).__name__}
