"""Who is calling: a key in `Authorization: Bearer`, never a browser session.

Every operation declares what it needs with `auth=need("partners", READ)`; the check runs before
the endpoint: the key is known, usable, on its own site (vendor keys on the console's domain,
partner keys on the portal's), within its rate and holding the scope. From then on the request
speaks the key's language.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from api.errors import ApiError
from api.models import ApiKey
from api.scopes import READ, WRITE, allows
from api.services import KeyRefused, key_authenticate, key_touch
from prm import ratelimits
from prm.tenancy.models import Domain


def _refusal(reason: str) -> ApiError:
    messages = {
        "unknown": (_("The API key is not valid."), _("Check the key; keys are shown once when they are made.")),
        "revoked": (_("The API key was revoked."), _("Ask an admin for a new key.")),
        "expired": (_("The API key has expired."), _("Ask an admin for a new key.")),
        "owner_gone": (_("The API key's owner can no longer use it."),
                       _("The admin who made this key has left or lost the admin role; ask an admin for a new key.")),
        "wrong_site": (_("This key belongs to the other site."),
                       _("Vendor keys work on the console's address, partner keys on the partner portal's.")),
    }
    title, detail = messages[reason]
    return ApiError(401, title, detail, code=f"key_{reason}", headers={"WWW-Authenticate": 'Bearer realm="kyoso"'})


def _check_rate(key: ApiKey) -> None:
    """A fixed window per key per minute; over it, 429 with the seconds until the next window."""
    window = 60
    now = time.time()
    slot = int(now // window)
    limit = settings.KYOSO_API_RATE_PER_MINUTE
    if not ratelimits.hit("api", f"{connection.schema_name}:{key.pk}:{slot}", limit=limit, window=window + 5):
        retry = max(1, int(window - (now % window)) + 1)
        raise ApiError(429, _("Too many requests for this key."),
                       _("This key may make %(limit)s requests a minute; try again in %(seconds)s seconds.") % {
                           "limit": limit, "seconds": retry}, code="rate_limited", headers={"Retry-After": str(retry)})


class KeyAuth(HttpBearer):
    """The key must hold `access` to `resource`."""

    openapi_description = "API key: `Authorization: Bearer kyo_xxxxxxxx.<secret>`"

    def __init__(self, resource: str, access: str):
        super().__init__()
        self.resource = resource
        self.access = access

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        try:
            key = key_authenticate(token)
        except KeyRefused as refused:
            if refused.key is not None:
                translation.activate(refused.key.language)
            raise _refusal(refused.reason) from None
        translation.activate(key.language)
        site = getattr(request, "site_kind", None)
        if (Domain.Kind.CONSOLE if key.is_vendor_key else Domain.Kind.PORTAL) != site:
            raise _refusal("wrong_site")
        _check_rate(key)
        key_touch(key=key)
        request.api_key = key  # api.v1._answer records the use in the audit log with the answer's status
        if not allows(key.scopes, self.resource, self.access):
            raise ApiError(403, _("This key does not have the scope for this."),
                           _("The key needs %(access)s access to %(resource)s.") % {
                               "access": _("write") if self.access == WRITE else _("read"), "resource": self.resource},
                           code="scope_missing")
        return key


def need(resource: str, access: str = READ) -> KeyAuth:
    return KeyAuth(resource, access)
