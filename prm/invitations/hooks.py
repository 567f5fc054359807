"""What an invitation to a partner company means, told by the app that owns partner companies.

prm knows no domain app. An invitation for a partner admin or rep names a partner company (the
Invitation's foreign key to partners.Partner, a row prm never reads beyond its key and `is_active`);
which companies may be named, the line in the company's history and the membership that makes the
new account one of the company's users belong to `partners`, which registers them here on start
(PartnersConfig.ready).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet


@dataclass(frozen=True)
class PartnerCompanyHooks:
    # The companies an invitation may name (the console's choice of partner).
    choices: Callable[[], QuerySet]
    # Called inside the transaction that recorded an invitation naming `partner`:
    # invited(partner=, actor=, email=, role=).
    invited: Callable[..., Any]
    # Called inside the transaction that created the invited person's account: joined(user=, partner=).
    joined: Callable[..., Any]


_hooks: PartnerCompanyHooks | None = None


def register(hooks: PartnerCompanyHooks) -> None:
    global _hooks
    _hooks = hooks


def partner_company() -> PartnerCompanyHooks:
    if _hooks is None:
        raise ImproperlyConfigured("No app registered what an invitation to a partner company does "
                                   "(partners registers it in PartnersConfig.ready).")
    return _hooks
