"""Commission runs into the ledger, payouts, statements, transfer files, MDF and credit limits."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from deals.models import DealRegistration
from incentives import engine, mdf, payouts, runs, statements, zengin
from incentives.models import AuditEntry, CreditLimit, IncentiveSettings, LedgerLine, MdfAllocation, Payout, Plan
from prm.notifications.models import Notification
from tests.incentives.factories import complete_payout_settings
from tests.partners.factories import PartnerFactory

PLAN = {
    "code": "test-plan", "name": "テストプラン", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "rules": [
        {"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.15"},
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 10000},
        {"id": "clawback", "kind": "clawback", "within_days": 90},
    ],
}
PERIOD = date(2026, 10, 1)


def _deal(partner, amount, won_on, stage="won", **extra):
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{amount}", name_key=f"c{amount}{won_on}", amount=amount,
        expected_close=won_on, stage=stage, won_amount=amount if won_on else None, won_on=won_on,
        registered_at=timezone.make_aware(timezone.datetime(won_on.year, won_on.month, 1, 10)), **extra)


def _ledger(partner=None):
    lines = LedgerLine.objects.all() if partner is None else LedgerLine.objects.filter(partner=partner)
    return sorted(lines.values_list("partner_id", "event_id", "rule_id", "occurrence", "amount"))


def test_a_run_writes_what_the_engine_pays_and_a_second_run_adds_nothing(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        _deal(partner, 1_000_000, date(2026, 10, 5))
        _deal(partner, 333_333, date(2026, 10, 20))
        plan = Plan.objects.create(code="test-plan", name="テストプラン")
        version = runs.plan_publish(plan=plan, document=PLAN, actor=people_a.vendor_admin)
        first = runs.run_execute(runs.run_start(period=PERIOD).pk)
        assert (first.status, first.lines_added) == ("done", 4)
        assert _ledger(partner) == sorted([
            (partner.pk, f"deal:{d.pk}:{kind}", rule, 0, amount)
            for d in DealRegistration.objects.filter(partner=partner)
            for kind, rule, amount in (("1-registered", "registration", 10000), ("2-won", "margin", d.won_amount * 15 // 100))
        ])
        again = runs.run_execute(runs.run_start(period=PERIOD).pk)
        assert again.lines_added == 0 and LedgerLine.objects.count() == 4
        assert set(LedgerLine.objects.values_list("plan_version", flat=True)) == {version.pk}
        assert AuditEntry.objects.filter(action="plan_published").exists()


def test_a_new_plan_version_pays_only_the_difference(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        _deal(partner, 1_000_000, date(2026, 10, 5))
        plan = Plan.objects.create(code="test-plan", name="テストプラン")
        runs.plan_publish(plan=plan, document=PLAN, actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=PERIOD).pk)
        richer = {**PLAN, "rules": [{**PLAN["rules"][0], "rate": "0.20"}, PLAN["rules"][2]]}
        v2 = runs.plan_publish(plan=plan, document=richer, actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=PERIOD).pk)
        added = dict(LedgerLine.objects.filter(plan_version=v2).values_list("rule_id", "amount"))
        assert added == {"margin": 50_000, "registration": -10_000}  # +5% of ¥1M; the dropped bonus comes back
        assert sum(LedgerLine.objects.values_list("amount", flat=True)) == 200_000


def test_a_cancelled_deal_is_clawed_back_and_the_negative_balance_is_carried_forward(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        deal = _deal(partner, 2_000_000, date(2026, 9, 10))
        plan = Plan.objects.create(code="test-plan", name="テストプラン")
        runs.plan_publish(plan=plan, document=PLAN, actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=date(2026, 9, 1)).pk)
        september = payouts.payouts_build(period=date(2026, 9, 1), actor=people_a.channel_manager)[0]
        assert (september.commissions, september.status) == (310_000, "review")
        payouts.payout_approve(payout=september, actor=people_a.channel_manager)
        DealRegistration.objects.filter(pk=deal.pk).update(stage="cancelled",
                                                           closed_at=timezone.make_aware(timezone.datetime(2026, 10, 3, 12)))
        runs.run_execute(runs.run_start(period=PERIOD).pk)
        october = payouts.payouts_build(period=PERIOD, actor=people_a.channel_manager)[0]
        assert (october.commissions, october.status, october.total, october.carry_forward) == (-310_000, "carried", 0, -310_000)
        _deal(partner, 1_000_000, date(2026, 11, 2))
        runs.run_execute(runs.run_start(period=date(2026, 11, 1)).pk)
        november = payouts.payouts_build(period=date(2026, 11, 1), actor=people_a.channel_manager)[0]
        # 160,000 earned in November − 310,000 carried = still negative: carried again, nothing paid.
        assert (november.offset, november.status, november.carry_forward) == (-310_000, "carried", -150_000)


def test_payouts_follow_the_payment_terms_and_flag_the_subcontract_act(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(invoice_number="T7000012050002")
        _deal(partner, 1_000_000, date(2026, 10, 5))
        plan = Plan.objects.create(code="test-plan", name="テストプラン")
        runs.plan_publish(plan=plan, document=PLAN, actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=PERIOD).pk)
        payout = payouts.payouts_build(period=PERIOD)[0]
        assert (payout.close_date, payout.due_date) == (date(2026, 10, 31), date(2026, 11, 30))
        assert (payout.subtotal, payout.tax, payout.total) == (160_000, 16_000, 176_000)
        assert not payout.late_for_subcontract_act
        # Paid on the 10th three months later: 2027-01-10 is a Sunday and 1/11 成人の日, so payment moves back to Friday 1/8.
        IncentiveSettings.objects.filter(pk=1).update(pay_month_offset=3, pay_day=10)
        later = payouts.payouts_build(period=PERIOD)[0]
        assert later.due_date == date(2027, 1, 8) and later.late_for_subcontract_act
    page = people_a.console(people_a.channel_manager).get("/incentives/payouts/?period=2026-10").content.decode()
    assert "下請法" in page


def test_each_payout_decision_happens_once_and_is_audited(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        payout = Payout.objects.create(partner=partner, period=PERIOD, commissions=100, subtotal=100, tax=10, total=110,
                                       close_date=date(2026, 10, 31), due_date=date(2026, 11, 30), payee_name=partner.name)
    client = people_a.console(people_a.channel_manager)
    client.post(f"/incentives/payouts/{payout.pk}/approve/")
    twice = client.post(f"/incentives/payouts/{payout.pk}/approve/", follow=True)
    assert "承認" in twice.content.decode()
    client.post(f"/incentives/payouts/{payout.pk}/hold/")
    refused = client.post(f"/incentives/payouts/{payout.pk}/pay/", follow=True)
    with tenant_context(people_a.tenant):
        payout.refresh_from_db()
        assert payout.status == "held" and payout.paid_at is None
        assert list(AuditEntry.objects.filter(object_id=str(payout.pk)).order_by("id").values_list("action", flat=True)) == [
            "payout_approved", "payout_held"]
        assert AuditEntry.objects.first().actor == people_a.channel_manager
    assert refused.status_code == 200


def _pdf_text(data: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _statement_payout(people) -> Payout:
    """One ¥1,000,000 deal won in the period by a registered issuer, run and built into its payout."""
    partner = PartnerFactory(name="株式会社インボイス", invoice_number="T7000012050002")
    _deal(partner, 1_000_000, date(2026, 10, 5))
    plan = Plan.objects.create(code="test-plan", name="テストプラン")
    runs.plan_publish(plan=plan, document=PLAN, actor=people.vendor_admin)
    runs.run_execute(runs.run_start(period=PERIOD).pk)
    return payouts.payouts_build(period=PERIOD)[0]


@pytest.mark.parametrize(("language", "expected"), [
    ("ja", ["支払通知書", "登録番号", "T7000012050002", "株式会社アルファ", "¥176,000", "2026年11月30日", "2026年10月",
            "消費税"]),
    ("en", ["Payment statement", "Registration number", "T7000012050002", "¥176,000", "Nov 30, 2026", "Oct 2026",
            "Consumption tax"]),
])
def test_the_statement_pdf_carries_what_a_qualified_invoice_needs(people_a, language, expected):
    with tenant_context(people_a.tenant):
        payout = _statement_payout(people_a)
        text = _pdf_text(statements.render_pdf(payout, language=language))
    for fragment in expected + ["株式会社インボイス", "160,000", "16,000"]:
        assert fragment in text, (fragment, text[:400])
    assert not re.search(r"\d{4}-\d{2}", text), "no ISO dates or months on a Japanese document"


def _pdf_fonts(data: bytes) -> set[str]:
    fonts = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return fonts


def test_the_statement_uses_only_the_bundled_font_and_says_language_and_partner_in_its_name(people_a):
    with tenant_context(people_a.tenant):
        payout = _statement_payout(people_a)
        payouts.payout_approve(payout=payout, actor=people_a.channel_manager)
        fonts = _pdf_fonts(statements.render_pdf(payout, language="ja"))
        assert fonts and all(font.startswith("IPAexGothic") for font in fonts), fonts  # the page number too
    ja = people_a.console(people_a.channel_manager).get(f"/incentives/payouts/{payout.pk}/statement.pdf")
    en = people_a.console(people_a.channel_manager).get(f"/incentives/payouts/{payout.pk}/statement.pdf?lang=en")
    assert "filename*=utf-8''" in ja["Content-Disposition"]
    assert unquote(ja["Content-Disposition"].split("''")[1]) == "支払通知書_株式会社インボイス_2026年10月_ja.pdf"
    assert unquote(en["Content-Disposition"].split("''")[1]) == "Payment-statement_株式会社インボイス_Oct-2026_en.pdf"


def test_partners_download_only_their_own_approved_statements(people_a):
    with tenant_context(people_a.tenant):
        mine = Payout.objects.create(partner=people_a.partner, period=PERIOD, status="approved", subtotal=100, tax=10,
                                     total=110, close_date=date(2026, 10, 31), due_date=date(2026, 11, 30),
                                     payee_name=people_a.partner.name)
        theirs = Payout.objects.create(partner=people_a.other_partner, period=PERIOD, status="approved", total=5,
                                       close_date=date(2026, 10, 31), due_date=date(2026, 11, 30), payee_name="x")
    client = people_a.portal(people_a.partner_admin)
    response = client.get(f"/payouts/{mine.pk}/statement.pdf")
    assert response["Content-Type"] == "application/pdf" and b"%PDF" in response.content[:8]
    assert client.get(f"/payouts/{theirs.pk}/statement.pdf").status_code == 404
    assert people_a.portal(people_a.partner_rep).get(f"/payouts/{mine.pk}/statement.pdf").status_code == 403


def test_the_zengin_file_has_fixed_length_records_and_refuses_a_bad_branch_code(people_a):
    bank = {"bank_code": "0009", "bank_name": "三井住友銀行", "branch_code": "015", "branch_name": "東京営業部",
            "account_type": "1", "account_number": "1234567", "account_holder": "ｶ)ｻｸﾗｼｽﾃﾑｽﾞ"}
    with tenant_context(people_a.tenant):
        complete_payout_settings()
        good = PartnerFactory(**bank)
        for partner, total in ((good, 176_000),):
            Payout.objects.create(partner=partner, period=PERIOD, status="approved", subtotal=total, total=total,
                                  close_date=date(2026, 10, 31), due_date=date(2026, 11, 30), payee_name=partner.name,
                                  **bank)  # the account as approved
    client = people_a.console(people_a.channel_manager)
    data = client.get("/incentives/payouts/transfer/?period=2026-10").content
    records = data.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [120, 120, 120, 120]
    assert [r[:1] for r in records] == [b"1", b"2", b"8", b"9"]
    assert records[1][1:5] == b"0009" and records[1][80:90] == b"0000176000"
    assert "ｶ)ｻｸﾗｼｽﾃﾑｽﾞ".encode("cp932") in records[1]
    assert records[2][7:19] == b"000000176000"
    with tenant_context(people_a.tenant):
        bad = PartnerFactory(**{**bank, "branch_code": "15"})
        Payout.objects.create(partner=bad, period=PERIOD, status="approved", subtotal=1, total=1,
                              close_date=date(2026, 10, 31), due_date=date(2026, 11, 30), payee_name=bad.name,
                              **{**bank, "branch_code": "15"})
    refused = client.get("/incentives/payouts/transfer/?period=2026-10", follow=True)
    assert refused["Content-Type"].startswith("text/html") and "3" in refused.content.decode()
    with pytest.raises(ValidationError):
        zengin.check({"x": {"bank_code": "0009", "branch_code": "15", "account_type": "1", "account_number": "1",
                            "holder": "ｱ"}})


PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 100


def test_mdf_from_request_to_reimbursement_with_the_limits_checked(people_a):
    with tenant_context(people_a.tenant):
        MdfAllocation.objects.create(partner=people_a.partner, fiscal_year=2026, amount=500_000, source="manual")
    portal = people_a.portal(people_a.partner_admin)
    portal.post("/mdf/", {"activity": "共同セミナー", "starts_on": "2026-10-01", "ends_on": "2026-10-31", "budget": "600000",
                          "expected_leads": "20"})
    with tenant_context(people_a.tenant):
        request = people_a.partner.mdf_requests.get()
        with pytest.raises(ValidationError):  # above what is left of the allocation
            mdf.request_decide(request=request, actor=people_a.channel_manager, approve=True)
        mdf.request_decide(request=request, actor=people_a.channel_manager, approve=True, amount=400_000)
    over = portal.post(f"/mdf/{request.pk}/claim/", {"amount": "450000", "leads": "5",
                                                      "proof": SimpleUploadedFile("receipt.png", PNG)}, follow=True)
    assert "400,000" in over.content.decode()
    wrong = portal.post(f"/mdf/{request.pk}/claim/", {"amount": "380000", "leads": "5",
                                                       "proof": SimpleUploadedFile("receipt.exe", b"MZ" + b"0" * 50)}, follow=True)
    assert "PDF" in wrong.content.decode()
    portal.post(f"/mdf/{request.pk}/claim/", {"amount": "380000", "leads": "18", "proof": SimpleUploadedFile("receipt.png", PNG)})
    with tenant_context(people_a.tenant):
        request.refresh_from_db()
        assert request.status == "claimed" and request.claim.amount == 380_000
        payout = payouts.payouts_build(period=timezone.localdate().replace(day=1))[0]
        assert (payout.partner, payout.mdf) == (people_a.partner, 380_000)
        assert request.claim.__class__.objects.get(pk=request.claim.pk).payout == payout


def test_a_won_deal_past_the_credit_limit_warns_the_channel_manager(people_a):
    with tenant_context(people_a.tenant):
        CreditLimit.objects.create(partner=people_a.partner, limit=1_000_000)
        people_a.partner.owner = people_a.channel_manager
        people_a.partner.save()
        _deal(people_a.partner, 700_000, timezone.localdate() - timedelta(days=5))
        deal = DealRegistration.objects.create(partner=people_a.partner, customer_name="与信超過", name_key="yoshin",
                                               amount=500_000, expected_close=timezone.localdate(), stage="negotiation")
    people_a.portal(people_a.partner_rep).post(f"/deals/{deal.pk}/move/", {"stage": "won", "won_amount": "500000"})
    with tenant_context(people_a.tenant):
        assert not Notification.objects.filter(kind="credit_limit").exists()  # reported, not yet a win
    response = people_a.console(people_a.channel_manager).post(f"/deals/{deal.pk}/win/confirm/", {}, follow=True)
    assert "与信" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert Notification.objects.filter(user=people_a.channel_manager, kind="credit_limit").exists()
        deal.refresh_from_db()
        assert deal.stage == "won"  # a warning, not a refusal


def test_the_engine_matches_the_example_files():
    from django.conf import settings

    base = settings.BASE_DIR / "incentives" / "examples"
    import json

    plan = engine.parse_plan(json.loads((base / "reseller-fy2026.json").read_text()))
    events = engine.read_events_csv((base / "events.csv").read_text(encoding="utf-8-sig"))
    partners = engine.read_partners_csv((base / "partners.csv").read_text(encoding="utf-8-sig"))
    result = engine.compute(plan, events, partners)
    assert result.partners and all(isinstance(p.total, int) for p in result.partners.values())


def test_plans_are_edited_simulated_published_and_exported_in_the_console(people_a):
    import json

    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        _deal(partner, 1_000_000, date(2026, 10, 5))
    client = people_a.console(people_a.vendor_admin)
    assert client.get("/incentives/plans/new/").status_code == 200
    assert client.get("/incentives/plans/new/json/").status_code == 200
    bad = client.post("/incentives/plans/new/json/", {"document": json.dumps({**PLAN, "rules": [{"id": "x", "kind": "magic"}]}),
                                                 "action": "publish"})
    assert bad.status_code == 200 and "x" in " ".join(bad.context["form"].non_field_errors())
    with tenant_context(people_a.tenant):
        assert not Plan.objects.exists()
    published = client.post("/incentives/plans/new/json/", {"document": json.dumps(PLAN), "action": "publish"})
    with tenant_context(people_a.tenant):
        plan = Plan.objects.get(code="test-plan")
    assert published["Location"] == f"/incentives/plans/{plan.pk}/"
    richer = {**PLAN, "rules": [{**PLAN["rules"][0], "rate": "0.20"}]}
    simulated = client.post(f"/incentives/plans/{plan.pk}/json/", {"document": json.dumps(richer), "action": "simulate"})
    row = next(r for r in simulated.context["comparison"] if r["partner"] == partner.name)
    assert (row["current"], row["draft"], row["difference"]) == (160_000, 200_000, 40_000)
    with tenant_context(people_a.tenant):
        assert plan.versions.count() == 1  # simulating publishes nothing
    exported = client.get(f"/incentives/plans/{plan.pk}/v1.json")
    assert json.loads(exported.content) == PLAN


def test_the_console_starts_a_run_and_polls_its_progress(people_a, django_capture_on_commit_callbacks):
    client = people_a.console(people_a.channel_manager)
    response = client.post("/incentives/runs/start/", {"period": "2026-10"})
    with tenant_context(people_a.tenant):
        from incentives.models import CommissionRun

        run = CommissionRun.objects.get()
        assert response["Location"] == f"/incentives/runs/{run.pk}/" and run.status == "queued"
        runs.run_execute(run.pk)
    partial = client.get(f"/incentives/runs/{run.pk}/", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and partial["HX-Refresh"] == "true"
    assert "kyoso-w-100" in partial.content.decode()
