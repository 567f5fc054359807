"""API keys in the audit log (the ledger of incentives.audit, the one audit log the console shows).

Creation and revocation are one entry each. Use is recorded per key per minute: the first GET of each
minute writes an entry naming the key, the method and path; every write (POST, PATCH …) writes its own
entry with the answer's status, refused ones included. Counting every read would put thousands of rows
a minute in the ledger for one CRM sync.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from incentives import audit

audit.register("api_key_created", gettext_lazy("%(actor)s created the API key %(key)s (%(name)s)"),
               gettext_lazy("API key created"))
audit.register("api_key_revoked", gettext_lazy("%(actor)s revoked the API key %(key)s (%(name)s)"),
               gettext_lazy("API key revoked"))
audit.register("api_key_used", gettext_lazy("%(actor)s's API key %(key)s (%(name)s) was used: %(request)s"),
               gettext_lazy("API key used"))
audit.register("api_key_wrote", gettext_lazy("%(actor)s's API key %(key)s (%(name)s) wrote: %(request)s "
                                             "→ %(status)s"), gettext_lazy("API key write"))
audit.label_field("key", gettext_lazy("API key"))
audit.label_field("request", gettext_lazy("request"))


def record_key_event(*, actor, key, action: str, **changes) -> None:
    audit.record(actor=actor, action=action, obj=key, key=key.prefix, name=key.name, **changes)


def record_use(*, key, request: HttpRequest, status: int | None = None) -> None:
    """A read: the first of its minute for this key. A write (any other method): always, with the answer's status."""
    line = f"{request.method} {request.get_full_path()[:300]}"
    if request.method != "GET":
        audit.record(actor=key.created_by, action="api_key_wrote", obj=key, key=key.prefix, name=key.name,
                     request=line, status=status)
        return
    minute = timezone.now().strftime("%Y%m%d%H%M")
    if cache.add(f"api:used:{connection.schema_name}:{key.pk}:{minute}", 1, 120):
        audit.record(actor=key.created_by, action="api_key_used", obj=key, key=key.prefix, name=key.name,
                     request=line)
