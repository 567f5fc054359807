"""Direct-sales accounts kept in step with the vendor's CRM (直販アカウントの同期).

The CRM names an account by its own id (`external_ids[source]`); writing it again updates the same
account instead of adding one. The customer's keys are the matcher's (services.customer_keys_for and
apply_keys), exactly as the console's form and the CSV import store them, so a partner's registration of
that customer meets it in the conflict check. Opportunities are the CRM's current list: the account takes
the customer from partners while one of them is open.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from deals import services
from deals.models import DirectAccount, DirectOpportunity
from partners import japan
from prm import locks
from prm.accounts.models import STAFF_ROLES, User
from prm.bounds import MAX_YEN, validate_business_date


@dataclass(frozen=True)
class Opportunity:
    name: str
    amount: int = 0
    expected_close: date | None = None
    is_open: bool = True


def _checked(fields: dict, owner_email: str, opportunities: list[Opportunity]) -> tuple[dict, User | None]:
    """The CSV import's rules for one account, with each refusal on its field."""
    errors: dict[str, str] = {}
    if not (fields.get("customer_name") or "").strip():
        errors["customer_name"] = _("Enter the customer's company name.")
    number = japan.normalise_corporate_number(fields.get("corporate_number") or "")
    if number and not japan.is_valid_corporate_number(number):
        errors["corporate_number"] = _("Enter the 13-digit corporate number (法人番号); its check digit does not match.")
    fields["corporate_number"] = number
    owner = None
    if owner_email:
        owner = User.objects.filter(email__iexact=owner_email, role__in=STAFF_ROLES, is_active=True).first()
        if owner is None:
            errors["owner_email"] = _("No vendor staff with the address %(email)s.") % {"email": owner_email}
    for index, opportunity in enumerate(opportunities):
        if not opportunity.name.strip():
            errors[f"opportunities.{index}.name"] = _("Name the opportunity.")
        if not 0 <= opportunity.amount <= MAX_YEN:
            errors[f"opportunities.{index}.amount"] = _("Enter an amount from ¥0 to ¥%(max)s.") % {"max": f"{MAX_YEN:,}"}
        if opportunity.expected_close is not None:
            try:
                validate_business_date(opportunity.expected_close)
            except ValidationError as error:
                errors[f"opportunities.{index}.expected_close"] = error.messages[0]
    if errors:
        raise ValidationError(errors)
    return fields, owner


@transaction.atomic
def direct_account_upsert(*, source: str, external_id: str, owner_email: str = "",
                          opportunities: list[Opportunity] = (), **fields) -> tuple[DirectAccount, bool]:
    """Create or update the account the CRM `source` calls `external_id`; returns (account, created).

    Two writes of one CRM id are serialised on a lock of (source, id), so they never make two accounts.
    """
    fields, owner = _checked(dict(fields), owner_email, list(opportunities))
    lock = int.from_bytes(hashlib.sha256(f"{source}\n{external_id}".encode()).digest()[:4], "big")
    locks.hold("deals.direct-account", lock)
    account = DirectAccount.objects.select_for_update().filter(external_ids__contains={source: external_id}).first()
    created = account is None
    if created:
        account = DirectAccount(external_ids={source: external_id})
    for name, value in fields.items():
        setattr(account, name, value)
    account.owner = owner  # PUT replaces: no owner_email, no owner
    services.apply_keys(account, services.customer_keys_for(account.customer_name, account.corporate_number,
                                                            account.web_domain))
    account.save()
    account.opportunities.all().delete()
    DirectOpportunity.objects.bulk_create([
        DirectOpportunity(account=account, name=opportunity.name.strip(), amount=opportunity.amount,
                          expected_close=opportunity.expected_close, is_open=opportunity.is_open)
        for opportunity in opportunities])
    return account, created
