"""The vendor's money settings: issuer, consumption tax, payment terms and the 全銀 sender.

Only a vendor admin changes them; each section is checked whole and saved whole (nothing
half-saved), and every change is audited with what it was before and what it is now.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from incentives import audit, terms
from incentives.models import IncentiveSettings
from partners import japan
from partners.access import require_vendor_staff
from prm.accounts.models import User

MAX_TAX_RATE = Decimal(30)
MAX_REVIEW_DAYS = 60
ISSUER_FIELDS = ("company_name", "invoice_number", "address")
TERMS_FIELDS = ("close_day", "pay_month_offset", "pay_day", "review_days")
SENDER_FIELDS = ("transfer_client_code", "transfer_client_name", "transfer_bank_code", "transfer_bank_name",
                 "transfer_branch_code", "transfer_branch_name", "transfer_account_type", "transfer_account_number")
_DIGITS = re.compile(r"^[0-9]+$")


def _digits(value: str) -> str:
    return japan.normalise_digits(value or "")


@transaction.atomic
def _save(*, actor: User, section: str, values: dict, **noted) -> IncentiveSettings:
    """Write `values` to the settings row at once and audit what changed (before → after)."""
    rules = IncentiveSettings.objects.select_for_update().get(pk=IncentiveSettings.current().pk)
    before = {name: getattr(rules, name) for name in values}
    changed = [name for name, value in values.items() if before[name] != value]
    if not changed:
        return rules
    for name in changed:
        setattr(rules, name, values[name])
    rules.full_clean(exclude=[field.name for field in rules._meta.concrete_fields if field.name not in changed],
                     validate_unique=False, validate_constraints=False)
    rules.save(update_fields=changed)
    audit.record(actor=actor, action="incentive_settings_changed", obj=rules, section=section,
                 before={name: before[name] for name in changed if not name.startswith("late_terms")},
                 after={name: values[name] for name in changed if not name.startswith("late_terms")}, **noted)
    return rules


def issuer_update(*, actor: User, company_name: str, invoice_number: str, address: str) -> IncentiveSettings:
    """Who issues the statements: legal name, 適格請求書 registration number (T + 13 digits), address."""
    require_vendor_staff(actor, admin=True)
    errors = {}
    values = {"company_name": (company_name or "").strip(), "address": (address or "").strip(),
              "invoice_number": japan.normalise_invoice_number(invoice_number or "")}
    for name in ("company_name", "address", "invoice_number"):
        if not values[name]:
            errors[name] = _("This field is required.")
    if values["invoice_number"] and not japan.is_valid_invoice_number(values["invoice_number"]):
        errors["invoice_number"] = _("Enter the registration number as T followed by 13 digits with a valid check digit.")
    if errors:
        raise ValidationError(errors)
    return _save(actor=actor, section="issuer", values=values)


def tax_update(*, actor: User, tax_rate_percent: Decimal) -> IncentiveSettings:
    require_vendor_staff(actor, admin=True)
    rate = Decimal(tax_rate_percent)
    if not rate.is_finite() or not (0 <= rate <= MAX_TAX_RATE) or rate != rate.quantize(Decimal("0.1")):
        raise ValidationError({"tax_rate_percent": _("Enter a rate from 0 to %(max)s%% with at most one decimal.")
                               % {"max": MAX_TAX_RATE}})
    return _save(actor=actor, section="tax", values={"tax_rate_percent": rate.quantize(Decimal("0.1"))})


def terms_problem(*, close_day: int, pay_month_offset: int, pay_day: int, acknowledge_late: bool) -> dict[str, str]:
    """What is wrong with these payment terms, per field ({} when they can be saved)."""
    longest = terms.longest_days_to_payment(close_day=close_day, pay_month_offset=pay_month_offset, pay_day=pay_day)
    if longest <= 0:
        return {"pay_day": _("The pay day must come after the closing day: choose a later pay day or more months.")}
    if longest > terms.SUBCONTRACT_ACT_DAYS and not acknowledge_late:
        return {"acknowledge_late": _(
            "Under the Subcontract Act (下請法) a subcontractor must be paid within 60 days of delivery. With these "
            "terms payment can come up to %(days)s days after the close. Shorten the terms, or tick the box to "
            "confirm you have checked that they are lawful for these partners.") % {"days": longest}}
    return {}


def terms_update(*, actor: User, close_day: int, pay_month_offset: int, pay_day: int, review_days: int,
                 acknowledge_late: bool = False) -> IncentiveSettings:
    """締め日, 支払日 (months after the close and the day) and the review window. Terms that can pay
    later than 60 days after the close are refused unless the admin acknowledges the 下請法 risk;
    the acknowledgement is kept with who gave it."""
    require_vendor_staff(actor, admin=True)
    errors: dict[str, str] = {}
    if not 0 <= close_day <= 28:
        errors["close_day"] = _("Choose a day from 1 to 28, or month end.")
    if not 0 <= pay_month_offset <= 6:
        errors["pay_month_offset"] = _("Choose from the same month up to 6 months later.")
    if not 0 <= pay_day <= 28:
        errors["pay_day"] = _("Choose a day from 1 to 28, or month end.")
    if not 0 <= review_days <= MAX_REVIEW_DAYS:
        errors["review_days"] = _("Enter a number of days from 0 to %(max)s.") % {"max": MAX_REVIEW_DAYS}
    if not errors:
        errors = terms_problem(close_day=close_day, pay_month_offset=pay_month_offset, pay_day=pay_day,
                               acknowledge_late=acknowledge_late)
    if errors:
        raise ValidationError(errors)
    late = terms.longest_days_to_payment(close_day=close_day, pay_month_offset=pay_month_offset,
                                         pay_day=pay_day) > terms.SUBCONTRACT_ACT_DAYS
    values = {"close_day": close_day, "pay_month_offset": pay_month_offset, "pay_day": pay_day,
              "review_days": review_days}
    current = IncentiveSettings.current()
    if late and (not current.late_terms_acknowledged_at
                 or any(getattr(current, name) != value for name, value in values.items())):
        values |= {"late_terms_acknowledged_by": actor, "late_terms_acknowledged_at": timezone.now()}
    elif not late and current.late_terms_acknowledged_at:
        values |= {"late_terms_acknowledged_by": None, "late_terms_acknowledged_at": None}
    return _save(actor=actor, section="terms", values=values, acknowledged_late=late)


def sender_update(*, actor: User, client_code: str, client_name: str, bank_code: str, branch_code: str,
                  account_type: str, account_number: str) -> IncentiveSettings:
    """振込元 of the 全銀 file. The bank and branch must be in the 全銀 registry; their kana names
    are taken from it."""
    require_vendor_staff(actor, admin=True)
    errors: dict[str, str] = {}
    client_code, bank_code, branch_code = _digits(client_code), _digits(bank_code), _digits(branch_code)
    account_number = _digits(account_number)
    if not (_DIGITS.match(client_code) and len(client_code) == 10):
        errors["transfer_client_code"] = _("Enter the 10-digit client code (委託者コード) your bank gave you.")
    name = japan.to_zengin_kana(client_name or "")
    if not name or not japan.is_valid_zengin_name(name) or len(name) > 40:
        errors["transfer_client_name"] = _(
            "Write the sender name in katakana, letters and digits, up to 40 characters (as registered with the bank).")
    bank = branch = None
    if not (_DIGITS.match(bank_code) and len(bank_code) == 4):
        errors["transfer_bank_code"] = _("Enter %(width)s digits.") % {"width": 4}
    else:
        bank = japan.bank_entry(bank_code)
        if bank is None:
            errors["transfer_bank_code"] = _("No bank has the code %(code)s in the Zengin bank registry.") % {"code": bank_code}
    if not (_DIGITS.match(branch_code) and len(branch_code) == 3):
        errors["transfer_branch_code"] = _("Enter %(width)s digits.") % {"width": 3}
    elif bank is not None:
        branch = japan.branch_entry(bank_code, branch_code)
        if branch is None:
            errors["transfer_branch_code"] = _("%(bank)s has no branch with the code %(code)s.") % {
                "bank": bank.name, "code": branch_code}
    if account_type not in japan.ACCOUNT_TYPES:
        errors["transfer_account_type"] = _("Choose ordinary, current or savings.")
    if not (_DIGITS.match(account_number) and len(account_number) <= 7):
        errors["transfer_account_number"] = _("Enter up to 7 digits.")
    if errors:
        raise ValidationError(errors)
    return _save(actor=actor, section="sender", values={
        "transfer_client_code": client_code, "transfer_client_name": name,
        "transfer_bank_code": bank_code, "transfer_bank_name": bank.kana[:15],
        "transfer_branch_code": branch_code, "transfer_branch_name": branch.kana[:15],
        "transfer_account_type": account_type, "transfer_account_number": account_number.zfill(7)})


def missing_for_transfer(rules: IncentiveSettings | None = None) -> list[str]:
    """The settings (by label) still missing before statements and a 全銀 file can be issued; [] when complete."""
    rules = rules or IncentiveSettings.current()
    checks = {
        "company_name": bool(rules.company_name.strip()),
        "invoice_number": japan.is_valid_invoice_number(rules.invoice_number),
        "address": bool(rules.address.strip()),
        "transfer_client_code": bool(_DIGITS.match(rules.transfer_client_code)) and len(rules.transfer_client_code) == 10,
        "transfer_client_name": bool(rules.transfer_client_name) and japan.is_valid_zengin_name(rules.transfer_client_name),
        "transfer_bank_code": bool(_DIGITS.match(rules.transfer_bank_code)) and len(rules.transfer_bank_code) == 4,
        "transfer_branch_code": bool(_DIGITS.match(rules.transfer_branch_code)) and len(rules.transfer_branch_code) == 3,
        "transfer_account_type": rules.transfer_account_type in japan.ACCOUNT_TYPES,
        "transfer_account_number": bool(_DIGITS.match(rules.transfer_account_number)),
    }
    return [str(IncentiveSettings._meta.get_field(name).verbose_name) for name, ok in checks.items() if not ok]


def require_complete() -> None:
    """Refuse (ValidationError) to issue a 全銀 file or prepare payouts while the issuer or sender is incomplete."""
    missing = missing_for_transfer()
    if missing:
        raise ValidationError(_("Complete the payout settings first (issuer and Zengin sender): %(fields)s.")
                              % {"fields": ", ".join(missing)}, code="settings_incomplete")
