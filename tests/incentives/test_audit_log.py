"""The audit log reads like a ledger: who, when, what, before → after in words and yen, in both languages."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import tenant_context

from api.services import key_create
from incentives import audit
from incentives.models import AuditEntry, IncentiveSettings, MdfRequest, Payout, Plan, PlanVersion
from tests.partners.factories import PartnerFactory

PERIOD = date(2026, 10, 1)
BANK_BEFORE = {"bank_code": "0005", "bank_name": "三菱UFJ銀行", "branch_code": "001", "branch_name": "本店",
               "account_type": "1", "account_number": "1234567", "account_holder": "ｶ)ﾐﾗｲ"}
BANK_AFTER = {**BANK_BEFORE, "bank_code": "0009", "bank_name": "三井住友銀行", "account_number": "7654321"}


def _payout(partner, total=123_456):
    return Payout.objects.create(partner=partner, period=PERIOD, commissions=total, subtotal=total, total=total,
                                 close_date=date(2026, 10, 31), due_date=date(2026, 11, 30), payee_name=partner.name)


def _every_registered_action(people_a):
    """One entry of each registered action, recorded the way its service records it."""
    actor = people_a.channel_manager
    partner = PartnerFactory(name="株式会社ミライ")
    payout = _payout(partner)
    request = MdfRequest.objects.create(partner=partner, activity="展示会出展", starts_on=PERIOD, ends_on=PERIOD,
                                        budget=500_000, approved_amount=400_000)
    plan = Plan.objects.create(code="resale", name="販売店プラン")
    version = PlanVersion.objects.create(plan=plan, number=3, document={}, status="published")
    key = key_create(actor=people_a.vendor_admin, name="Salesforce 同期", scopes={"partners": "read"}).key
    calls = {
        "payouts_built": (payout, {"period": PERIOD.isoformat(), "count": 12}),
        "payout_approved": (payout, {"status": ["review", "approved"], "total": 123_456}),
        "payout_held": (payout, {"status": ["approved", "held"], "total": 123_456}),
        "payout_released": (payout, {"status": ["held", "review"], "total": 123_456}),
        "payout_paid": (payout, {"status": ["approved", "paid"], "total": 123_456}),
        "payout_reapproved": (payout, {"total": 123_456, "before": BANK_BEFORE, "after": BANK_AFTER}),
        "payout_settings_changed": (IncentiveSettings.current(), {"separate_approval_and_payment": True}),
        "mdf_requested": (request, {"budget": 500_000}),
        "mdf_approved": (request, {"amount": 400_000, "note": ""}),
        "mdf_rejected": (request, {"amount": None, "note": "対象外の活動です"}),
        "mdf_claimed": (request, {"amount": 380_000}),
        "plan_published": (version, {"plan": "resale", "version": 3}),
        "plan_draft_saved": (version, {"plan": "resale", "version": 3}),
        "bank_account_changed": (partner, {"partner": partner.name, "before": BANK_BEFORE, "after": BANK_AFTER}),
        "api_key_created": (key, {"key": key.prefix, "name": key.name, "scopes": {"partners": "read"}}),
        "api_key_revoked": (key, {"key": key.prefix, "name": key.name}),
        "api_key_used": (key, {"key": key.prefix, "name": key.name, "request": "GET /api/v1/partners"}),
        "api_key_wrote": (key, {"key": key.prefix, "name": key.name, "request": "POST /api/v1/contacts", "status": 201}),
    }
    assert set(calls) == set(audit.SENTENCES), "every registered action is exercised here"
    return {action: audit.record(actor=actor, action=action, obj=obj, **changes)
            for action, (obj, changes) in calls.items()}


def _readable(text: str, action: str) -> None:
    assert action not in text
    assert not re.search(r"[{}\[\]]|%\(|_(?:approved|changed|built|requested)|incentives\.", text), text


@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_registered_action_reads_as_a_sentence_without_codes(people_a, language):
    with tenant_context(people_a.tenant):
        entries = _every_registered_action(people_a)
        with translation.override(language):
            lines = {line.entry.action: line for line in audit.lines(entries.values())}
    actor = people_a.channel_manager.get_short_name()
    for action, line in lines.items():
        _readable(line.sentence, action)
        _readable(line.action, action)
        assert "—" not in line.sentence, "every parameter of a registered sentence is there"
        assert line.sentence.startswith(actor), line.sentence
    month = "2026年10月" if language == "ja" else "Oct 2026"
    assert "株式会社ミライ" in lines["payout_approved"].sentence and "¥123,456" in lines["payout_approved"].sentence
    assert month in lines["payout_approved"].sentence and month in lines["payouts_built"].sentence
    assert "三菱UFJ銀行" in lines["bank_account_changed"].sentence and "三井住友銀行" in lines["bank_account_changed"].sentence
    assert "¥400,000" in lines["mdf_approved"].sentence and "展示会出展" in lines["mdf_approved"].sentence
    assert "対象外の活動です" in lines["mdf_rejected"].sentence
    assert lines["payouts_built"].partner == "" and "12" in lines["payouts_built"].sentence
    assert "販売店プラン" in lines["plan_published"].sentence
    assert all(line.partner == "株式会社ミライ" for action, line in lines.items()
               if action not in ("payout_settings_changed", "plan_published", "plan_draft_saved", "payouts_built")
               and not action.startswith("api_key_"))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_an_action_nobody_registered_still_reads_readably(people_a, language):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="株式会社サクラ")
        entry = audit.record(actor=people_a.vendor_admin, action="deal_price_adjusted", obj=partner,
                             won_amount=[1_000_000, 900_000], won_on=["2026-10-01", "2026-10-03"],
                             zz_internal_flag=True)
        with translation.override(language):
            [line] = audit.lines([entry])
    _readable(line.sentence, "deal_price_adjusted")
    assert "zz_internal_flag" not in line.sentence and "zz" not in line.sentence
    assert "¥1,000,000 → ¥900,000" in line.sentence
    dates = "2026年10月1日 → 2026年10月3日" if language == "ja" else "Oct 1, 2026 → Oct 3, 2026"
    assert dates in line.sentence
    assert "株式会社サクラ" in line.sentence
    assert line.action and "_" not in line.action


def test_a_sentence_registered_by_another_module_is_used(people_a):
    audit.register("statement_confirmed_test", "%(actor)s confirmed the statement of %(partner)s for %(total)s")
    try:
        with tenant_context(people_a.tenant):
            payout = _payout(PartnerFactory(name="株式会社ツバメ"), total=50_000)
            entry = audit.record(actor=people_a.partner_admin, action="statement_confirmed_test", obj=payout,
                                 total=50_000)
            [line] = audit.lines([entry])
    finally:
        audit.SENTENCES.pop("statement_confirmed_test")
    assert line.sentence == f"{people_a.partner_admin.get_short_name()} confirmed the statement of 株式会社ツバメ for ¥50,000"


def test_the_page_filters_pages_and_exports(people_a):
    with tenant_context(people_a.tenant):
        entries = _every_registered_action(people_a)
        other = PartnerFactory(name="株式会社ホシ")
        audit.record(actor=people_a.vendor_admin, action="payout_approved", obj=_payout(other, 9_999),
                     status=["review", "approved"], total=9_999)
        partner_id = entries["payout_approved"].partner_id
        for n in range(55):
            AuditEntry.objects.create(actor=people_a.vendor_admin, action="payouts_built", object_type="x",
                                      object_id=str(n), changes={"count": n, "period": "2026-09-01"})
    client = people_a.console(people_a.channel_manager)
    page = client.get("/incentives/audit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "payout_approved" not in body.replace('value="payout_approved"', "") and "{&#x27;" not in body
    assert "page=2" in body

    by_partner = client.get(f"/incentives/audit/?partner={partner_id}&kind=payout_approved").content.decode()
    assert "株式会社ミライ" in by_partner and "¥123,456" in by_partner and "¥9,999" not in by_partner
    # the filter offers the partners of the log, the chosen one selected
    assert f'<option value="{partner_id}" selected>株式会社ミライ</option>' in by_partner
    assert f'<option value="{other.pk}">株式会社ホシ</option>' in by_partner

    by_actor = client.get(f"/incentives/audit/?actor={people_a.vendor_admin.pk}&kind=payout_approved").content.decode()
    assert "¥9,999" in by_actor and "¥123,456" not in by_actor

    assert "¥123,456" not in client.get("/incentives/audit/?start=2020-01&end=2020-12").content.decode()

    export = client.get(f"/incentives/audit/?partner={partner_id}&format=csv")
    assert export.status_code == 200 and export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"), newline="")))
    # The settings, the plan, a month's batch and the four API key entries concern no one partner.
    assert len(rows) == 1 + len(entries) - 8
    assert all(row[3] == "株式会社ミライ" for row in rows[1:])
    assert not any("payout_" in cell or "{" in cell for row in rows for cell in row)


@pytest.mark.parametrize("query", ["kind=nonsense", "actor=%C2%B2", "partner=-1", "partner=" + "9" * 20,
                                   "start=0001-01", "start=2026-13", "start=2026-05&end=2026-01", "kind=%00",
                                   "page=" + str(2**63)])
def test_bad_filters_are_a_400_not_a_500(people_a, query):
    response = people_a.console(people_a.channel_manager).get(f"/incentives/audit/?{query}")
    assert response.status_code == 400, (query, response.status_code)
