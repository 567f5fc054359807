"""Who did what to money: every approval, hold, payment and plan change is recorded here."""

from __future__ import annotations

from incentives.models import AuditEntry


def record(*, actor, action: str, obj, **changes) -> AuditEntry:
    return AuditEntry.objects.create(actor=actor, action=action, object_type=obj._meta.label_lower,
                                     object_id=str(obj.pk), changes=_jsonable(changes))


def _jsonable(value):
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
