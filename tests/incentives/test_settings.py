"""The vendor's money settings in the console: issuer, tax, payment terms, 全銀 sender, credit limits;
bank business days for due and transfer dates; no 全銀 file until the settings are complete."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from incentives import terms, zengin
from incentives.models import AuditEntry, CreditLimit, IncentiveSettings, Payout
from partners import japan
from tests.incentives.factories import COMPLETE_SETTINGS, complete_payout_settings
from tests.partners.factories import PartnerFactory

URL = "/incentives/payouts/settings/"
CREDIT_URL = "/incentives/payouts/settings/credit-limits/"
ISSUER = {"section": "issuer", "company_name": "株式会社ミライクラウド", "invoice_number": "Ｔ７０００－０１２０５０００２",
          "address": "東京都千代田区丸の内1-1-1"}
TERMS = {"section": "terms", "close_day": "20", "pay_month_offset": "1", "pay_day": "10", "review_days": "7"}
SENDER = {"section": "sender", "transfer_client_code": "0123456789", "transfer_client_name": "カ）ミライクラウド",
          "transfer_bank_code": "0009", "transfer_branch_code": "015", "transfer_account_type": "1",
          "transfer_account_number": "1234567"}


def _in(language: str, text: str) -> str:
    """The text as the page shows it in `language` (English until the catalogue carries it)."""
    with translation.override(language):
        return str(translation.gettext(text))


def _settings(people) -> IncentiveSettings:
    with tenant_context(people.tenant):
        return IncentiveSettings.current()


def _audit(people, action: str) -> list[AuditEntry]:
    with tenant_context(people.tenant), translation.override("en"):
        entries = list(AuditEntry.objects.filter(action=action).order_by("id"))
        for entry in entries:
            entry.words = entry.summary
        return entries


# --------------------------------------------------------------------------- bank business days

@pytest.mark.parametrize(("day", "expected"), [
    (date(2027, 1, 1), date(2026, 12, 30)),   # 元日 (Friday); 12/31 is a bank holiday too
    (date(2027, 1, 4), date(2027, 1, 4)),     # the first business day of the year
    (date(2027, 5, 4), date(2027, 4, 30)),    # Golden Week: 5/3-5/5 holidays, 5/1-2 weekend
    (date(2026, 12, 5), date(2026, 12, 4)),   # Saturday → Friday
    (date(2027, 1, 11), date(2027, 1, 8)),    # 成人の日 (Monday) → the Friday before
    (date(2026, 11, 30), date(2026, 11, 30)),  # an ordinary Monday
])
def test_the_previous_bank_business_day(day, expected):
    assert japan.previous_bank_business_day(day) == expected


def test_the_due_date_moves_to_the_previous_bank_business_day():
    # 月末締め翌月末払い: November's payment falls on 12/31, which banks close.
    assert terms.close_and_due(date(2026, 11, 1), pay_month_offset=1, pay_day=0) == (date(2026, 11, 30), date(2026, 12, 30))
    # 20日締め翌月3日払い: 2027-05-03 is 憲法記念日 → Friday 4/30.
    assert terms.close_and_due(date(2027, 4, 1), close_day=20, pay_month_offset=1, pay_day=3) == (
        date(2027, 4, 20), date(2027, 4, 30))
    assert terms.close_and_due(date(2027, 3, 1), pay_month_offset=1, pay_day=0) == (date(2027, 3, 31), date(2027, 4, 30))


def test_the_zengin_file_transfers_on_a_bank_business_day():
    body = zengin.transfer_file(client_code="1234567890", client_name="ｶ)ﾃｽﾄ", transfer_date=date(2027, 1, 1),
                                bank_code="0005", bank_name="ﾐﾂﾋﾞｼ", branch_code="001", branch_name="ﾎﾝﾃﾝ",
                                account_type="1", account_number="7654321", transfers=[])
    header = body.split(b"\r\n")[0]
    assert header[54:58] == b"1230"


@pytest.mark.parametrize(("close_day", "months", "pay_day", "longest"), [
    (0, 1, 0, 31),   # 月末締め翌月末払い
    (0, 2, 0, 62),   # 月末締め翌々月末払い: 6/30 → 8/31
    (20, 1, 10, 21),  # 20日締め翌月10日払い: 12/20 → 1/10
    (0, 0, 10, -21),  # pay day before the close
])
def test_the_longest_time_from_the_close_to_payment(close_day, months, pay_day, longest):
    assert terms.longest_days_to_payment(close_day=close_day, pay_month_offset=months, pay_day=pay_day) == longest


# --------------------------------------------------------------------------- pages

def test_only_a_vendor_admin_sees_or_changes_the_settings(people_a):
    for user in (people_a.channel_manager, people_a.partner_admin):
        client = people_a.console(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, ISSUER).status_code == 403
        assert client.get(CREDIT_URL).status_code == 403
        assert client.post(CREDIT_URL, {"partner": people_a.partner.pk, "limit": "1", "settlement_days": "30"}).status_code == 403
    assert _settings(people_a).company_name == ""
    assert people_a.console(people_a.vendor_admin).get(URL).status_code == 200


def test_the_issuer_is_saved_normalised_and_audited_in_words(people_a):
    admin = people_a.console(people_a.vendor_admin)
    response = admin.post(URL, ISSUER)
    assert response.status_code == 302 and response["Location"].endswith("#issuer")
    rules = _settings(people_a)
    assert (rules.company_name, rules.invoice_number) == ("株式会社ミライクラウド", "T7000012050002")
    [entry] = _audit(people_a, "incentive_settings_changed")
    assert entry.actor_id == people_a.vendor_admin.pk
    assert "T7000012050002" in entry.words and "→" in entry.words and "vendor registration number" in entry.words
    assert "株式会社ミライクラウド" in admin.get("/incentives/audit/").content.decode()


def test_a_registration_number_with_a_bad_check_digit_is_refused_naming_the_field(people_a):
    admin = people_a.console(people_a.vendor_admin)
    response = admin.post(URL, {**ISSUER, "invoice_number": "T7000012050003"})
    page = response.content.decode()
    assert response.status_code == 200
    assert _in("ja", "Invoice registration number") + ": " + _in(
        "ja", "Enter the registration number as T followed by 13 digits with a valid check digit.") in page
    rules = _settings(people_a)
    assert rules.company_name == "" and rules.invoice_number == ""  # nothing half-saved
    assert not _audit(people_a, "incentive_settings_changed")


@pytest.mark.parametrize("rate", ["30.1", "-1", "10.25", "²", "１０", "NaN", "1e1", "9" * 20, "8" * 10_000])
def test_a_tax_rate_out_of_bounds_is_refused(people_a, rate):
    response = people_a.console(people_a.vendor_admin).post(URL, {"section": "tax", "tax_rate_percent": rate})
    assert response.status_code == 200
    assert _in("ja", "Consumption tax rate (%)") + ":" in response.content.decode()
    assert _settings(people_a).tax_rate_percent == Decimal("10.0")


def test_a_tax_rate_is_saved_with_one_decimal(people_a):
    people_a.console(people_a.vendor_admin).post(URL, {"section": "tax", "tax_rate_percent": "8"})
    assert _settings(people_a).tax_rate_percent == Decimal("8.0")
    [entry] = _audit(people_a, "incentive_settings_changed")
    assert "10.0% → 8.0%" in entry.words


def test_payment_terms_are_saved(people_a):
    people_a.console(people_a.vendor_admin).post(URL, TERMS)
    rules = _settings(people_a)
    assert (rules.close_day, rules.pay_month_offset, rules.pay_day, rules.review_days) == (20, 1, 10, 7)
    assert rules.late_terms_acknowledged_at is None
    [entry] = _audit(people_a, "incentive_settings_changed")
    assert "month end → day 20" in entry.words and "month end → day 10" in entry.words


def test_terms_past_sixty_days_need_the_subcontract_act_acknowledgement(people_a):
    admin = people_a.console(people_a.vendor_admin)
    late = {**TERMS, "close_day": "0", "pay_month_offset": "2", "pay_day": "0"}  # 月末締め翌々月末払い
    refused = admin.post(URL, late)
    why = _in("ja", "Under the Subcontract Act (下請法) a subcontractor must be paid within 60 days of delivery. With "
                    "these terms payment can come up to %(days)s days after the close. Shorten the terms, or tick the "
                    "box to confirm you have checked that they are lawful for these partners.") % {"days": 62}
    assert refused.status_code == 200 and why in refused.content.decode()
    rules = _settings(people_a)
    assert (rules.pay_month_offset, rules.review_days) == (1, 7)
    assert not _audit(people_a, "incentive_settings_changed")

    assert admin.post(URL, {**late, "acknowledge_late": "on"}).status_code == 302
    rules = _settings(people_a)
    assert rules.pay_month_offset == 2 and rules.late_terms_acknowledged_by_id == people_a.vendor_admin.pk
    assert _in("ja", "This is more than the 60 days of the Subcontract Act (下請法).") in admin.get(URL).content.decode()
    [entry] = _audit(people_a, "incentive_settings_changed")
    assert entry.changes["acknowledged_late"] is True

    admin.post(URL, TERMS)  # back within 60 days: the acknowledgement no longer applies
    assert _settings(people_a).late_terms_acknowledged_at is None


@pytest.mark.parametrize(("changes", "field"), [
    ({"close_day": "0", "pay_month_offset": "0", "pay_day": "10"}, "Pay day (支払日)"),  # paid before the close
    ({"close_day": "29"}, "Closing day (締め日)"),
    ({"pay_month_offset": "-1"}, "Paid in (支払月)"),
    ({"review_days": "61"}, "Review window (days)"),
    ({"review_days": str(2**63)}, "Review window (days)"),
    ({"pay_day": "²"}, "Pay day (支払日)"),
])
def test_bad_payment_terms_are_refused_naming_the_field(people_a, changes, field):
    response = people_a.console(people_a.vendor_admin).post(URL, {**TERMS, **changes})
    assert response.status_code == 200 and _in("ja", field) + ":" in response.content.decode()
    assert _settings(people_a).close_day == 0


def test_the_sender_takes_the_bank_and_branch_kana_from_the_registry(people_a):
    response = people_a.console(people_a.vendor_admin).post(URL, SENDER)
    assert response.status_code == 302
    rules = _settings(people_a)
    assert (rules.transfer_bank_name, rules.transfer_branch_name) == ("ﾐﾂｲｽﾐﾄﾓ", "ﾄｳｷﾖｳﾁﾕｳｵｳ")
    assert (rules.transfer_client_name, rules.transfer_account_number) == ("ｶ)ﾐﾗｲｸﾗｳﾄﾞ", "1234567")
    [entry] = _audit(people_a, "incentive_settings_changed")
    assert "ﾐﾂｲｽﾐﾄﾓ" in entry.words and entry.changes["section"] == "sender"


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"transfer_bank_code": "9998"}, "Paying bank code (4 digits)",
     "No bank has the code %(code)s in the Zengin bank registry."),
    ({"transfer_branch_code": "998"}, "Paying branch code (3 digits)", "%(bank)s has no branch with the code %(code)s."),
    ({"transfer_client_code": "12345"}, "Client code (委託者コード, 10 digits)",
     "Enter the 10-digit client code (委託者コード) your bank gave you."),
    ({"transfer_bank_code": "9" * 20}, "Paying bank code (4 digits)", None),
    ({"transfer_account_number": "12345678"}, "Account number (7 digits)", "Enter up to 7 digits."),
    ({"transfer_client_name": "漢字の名前"}, "Sender name (kana)", None),
    ({"transfer_client_name": "ｱ" * 10_000}, "Sender name (kana)", None),
])
def test_a_bad_sender_is_refused_naming_the_field_and_nothing_is_saved(people_a, changes, field, message):
    response = people_a.console(people_a.vendor_admin).post(URL, {**SENDER, **changes})
    page = response.content.decode()
    assert response.status_code == 200 and _in("ja", field) + ":" in page
    if message:
        assert _in("ja", message) % {"code": changes.get("transfer_bank_code") or changes.get("transfer_branch_code"),
                                     "bank": "三井住友"} in page
    rules = _settings(people_a)
    assert rules.transfer_client_code == "" and rules.transfer_bank_code == ""


def test_an_unknown_section_or_a_nul_is_a_bad_request_and_changes_nothing(people_a):
    admin = people_a.console(people_a.vendor_admin)
    assert admin.post(URL, {"section": "other"}).status_code == 400
    assert admin.post(URL, {**SENDER, "transfer_client_name": "ｱ\x00"}).status_code == 400
    assert admin.post(CREDIT_URL, {"partner": "1\x00", "limit": "1", "settlement_days": "1"}).status_code == 400
    assert _settings(people_a).transfer_client_name == ""


# --------------------------------------------------------------------------- credit limits

def test_credit_limits_are_set_changed_and_removed_with_an_audit_in_words(people_a):
    admin = people_a.console(people_a.vendor_admin)
    partner = people_a.partner
    assert admin.post(CREDIT_URL, {"partner": partner.pk, "limit": "5,000,000", "settlement_days": "60"}).status_code == 302
    assert admin.post(CREDIT_URL, {"partner": partner.pk, "limit": "8000000", "settlement_days": "45"}).status_code == 302
    with tenant_context(people_a.tenant):
        row = CreditLimit.objects.get(partner=partner)
        assert (row.limit, row.settlement_days) == (8_000_000, 45)
    assert partner.name in admin.get(CREDIT_URL).content.decode()
    admin.post(CREDIT_URL, {"partner": partner.pk, "action": "remove"})
    with tenant_context(people_a.tenant):
        assert not CreditLimit.objects.filter(partner=partner).exists()
    words = [entry.words for entry in _audit(people_a, "credit_limit_changed")]
    assert len(words) == 3 and "¥5,000,000" in words[1] and "→" in words[1] and "¥8,000,000" in words[1]


@pytest.mark.parametrize(("changes", "field"), [
    ({"limit": str(2**63)}, "Credit limit (¥)"),
    ({"limit": "-1"}, "Credit limit (¥)"),
    ({"limit": "²"}, "Credit limit (¥)"),
    ({"settlement_days": "0"}, "Days until a won deal is settled"),
    ({"settlement_days": "366"}, "Days until a won deal is settled"),
    ({"partner": str(2**63)}, "Partner"),
    ({"partner": "-1"}, "Partner"),
])
def test_a_bad_credit_limit_is_refused_and_nothing_is_saved(people_a, changes, field):
    data = {"partner": people_a.partner.pk, "limit": "1000000", "settlement_days": "60", **changes}
    response = people_a.console(people_a.vendor_admin).post(CREDIT_URL, data)
    assert response.status_code == 200 and _in("ja", field) + ":" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not CreditLimit.objects.exists()


# --------------------------------------------------------------------------- the transfer file needs the settings

def _approved_payout(people) -> Payout:
    bank = {"bank_code": "0009", "bank_name": "三井住友銀行", "branch_code": "015", "branch_name": "東京中央",
            "account_type": "1", "account_number": "1234567", "account_holder": "ｶ)ｻｸﾗｼｽﾃﾑｽﾞ"}
    with tenant_context(people.tenant):
        partner = PartnerFactory(**bank)
        return Payout.objects.create(partner=partner, period=date(2026, 10, 1), status="approved", subtotal=1000,
                                     total=1100, close_date=date(2026, 10, 31), due_date=date(2026, 11, 30),
                                     payee_name=partner.name, **bank)


def test_no_zengin_file_and_no_new_payouts_until_the_issuer_and_sender_are_set(people_a):
    _approved_payout(people_a)
    admin = people_a.console(people_a.vendor_admin)
    refused = admin.get("/incentives/payouts/transfer/?period=2026-10")
    assert refused.status_code == 302 and refused["Location"] == "/incentives/payouts/?period=2026-10"
    page = admin.get(refused["Location"]).content.decode()
    assert _in("ja", "Complete the payout settings first (issuer and Zengin sender): %(fields)s.").split("%")[0] in page
    assert f'href="{URL}"' in page
    built = admin.post("/incentives/payouts/build/", {"period": "2026-10"}, follow=True)
    assert _in("ja", "Complete the payout settings first (issuer and Zengin sender): %(fields)s.").split("%")[0] in (
        built.content.decode())
    # The channel manager is told to ask an admin (the settings page is not theirs).
    manager_page = people_a.console(people_a.channel_manager).get("/incentives/payouts/?period=2026-10").content.decode()
    assert _in("ja", "Ask a vendor admin to complete the payout settings.") in manager_page

    # Completed through the pages, the file carries the sender instead of zeros.
    for data in (ISSUER, SENDER):
        assert admin.post(URL, data).status_code == 302
    body = admin.get("/incentives/payouts/transfer/?period=2026-10").content
    header = body.split(b"\r\n")[0]
    assert header[4:14] == b"0123456789" and header[58:62] == b"0009" and header[77:80] == b"015"
    assert header[54:58] == b"1130" and header[96:103] == b"1234567"


def test_complete_settings_are_recognised():
    from incentives import vendor_settings

    rules = IncentiveSettings(**COMPLETE_SETTINGS)
    assert vendor_settings.missing_for_transfer(rules) == []
    assert vendor_settings.missing_for_transfer(IncentiveSettings()) != []


def test_a_vendor_with_settings_still_gets_its_file(people_a):
    with tenant_context(people_a.tenant):
        complete_payout_settings()
    _approved_payout(people_a)
    response = people_a.console(people_a.channel_manager).get("/incentives/payouts/transfer/?period=2026-10")
    assert response.status_code == 200 and response.content.split(b"\r\n")[0][4:14] == b"5555500000"


def test_the_sender_form_shows_the_registry_names_as_the_codes_are_typed(people_a):
    admin = people_a.console(people_a.vendor_admin)
    lookup = "/incentives/payouts/settings/bank-lookup/"
    found = admin.get(lookup, {"transfer_bank_code": "0009", "transfer_branch_code": "015"}, HTTP_HX_REQUEST="true")
    assert found.status_code == 200 and "三井住友" in found.content.decode() and "東京中央" in found.content.decode()
    missing = admin.get(lookup, {"transfer_bank_code": "9998"}).content.decode()
    assert _in("ja", "No bank %(code)s in the registry") % {"code": "9998"} in missing
    assert admin.get(lookup, {"transfer_bank_code": "00"}).content.decode().strip() == ""  # still typing
    assert admin.get(lookup, {"transfer_bank_code": "²²²²"}).status_code == 400
    assert people_a.console(people_a.channel_manager).get(lookup, {"transfer_bank_code": "0009"}).status_code == 403
