"""Money that cannot be stranded or redirected: every ledger line is paid by exactly one payout,
runs refuse months that have not begun, and a payout pays the bank account it was approved with."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone, translation
from django_tenants.utils import tenant_context
from pypdf import PdfReader

from deals.models import DealRegistration
from incentives import engine, payouts, rule_text, runs, statements
from incentives.models import AuditEntry, CommissionRun, IncentiveSettings, LedgerLine, Payout, Plan
from prm.notifications.models import Notification
from tests.incentives.factories import complete_payout_settings
from tests.partners.factories import PartnerFactory

PLAN = {
    "code": "integrity", "name": "整合性プラン", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "rules": [
        {"id": "margin", "kind": "percent", "on": "deal_won", "rate": "0.10"},
        {"id": "registration", "kind": "fixed", "on": "deal_registered", "amount": 1000},
    ],
}
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)
BANK_A = {"bank_code": "0005", "bank_name": "三菱UFJ銀行", "branch_code": "001", "branch_name": "本店",
          "account_type": "1", "account_number": "1234567", "account_holder": "ｶ)ﾐﾗｲﾊﾝﾊﾞｲ"}
BANK_B = {"bank_code": "0009", "bank_name": "三井住友銀行", "branch_code": "015", "branch_name": "東京営業部",
          "account_type": "1", "account_number": "7654321", "account_holder": "ｶ)ﾐﾗｲﾊﾝﾊﾞｲ"}


def _deal(partner, *, registered: date, won: date | None = None, amount: int = 0) -> DealRegistration:
    return DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{registered}{amount}", name_key=f"k{registered}{amount}{partner.pk}",
        amount=amount or 1, expected_close=won or registered, stage="won" if won else "negotiation",
        won_amount=amount if won else None, won_on=won,
        registered_at=timezone.make_aware(timezone.datetime(registered.year, registered.month, registered.day, 10)))


def _run(period: date) -> CommissionRun:
    run = runs.run_execute(runs.run_start(period=period).pk)
    assert run.status == "done", run.error
    return run


def _in(language: str, text: str) -> str:
    """The text as the page shows it in `language` (English until the catalogue carries it)."""
    with translation.override(language):
        return str(translation.gettext(text))


def _publish(people):
    plan = Plan.objects.create(code=PLAN["code"], name=PLAN["name"])
    runs.plan_publish(plan=plan, document=PLAN, actor=people.vendor_admin)


# --------------------------------------------------------------------------- point 6: no stranded line


@pytest.mark.parametrize("closed_as", ["approved", "paid"])
def test_it_pays_a_line_that_arrives_after_the_close_in_the_next_open_payout(people_a, closed_as):
    with tenant_context(people_a.tenant):
        partner = people_a.partner
        _publish(people_a)
        _deal(partner, registered=date(2026, 10, 2), won=date(2026, 10, 5), amount=500_000)
        _run(OCTOBER)
        october = payouts.payouts_build(period=OCTOBER, actor=people_a.channel_manager)[0]
        assert october.commissions == 51_000  # 10% of ¥500,000 + ¥1,000 registration
        payouts.payout_approve(payout=october, actor=people_a.channel_manager)
        if closed_as == "paid":
            payouts.payout_mark_paid(payout=october, actor=people_a.vendor_admin)
        # A deal registered in October reaches the system after October's payout was closed.
        _deal(partner, registered=date(2026, 10, 20))
        assert _run(OCTOBER).lines_added == 1
        late = LedgerLine.objects.get(partner=partner, payout__isnull=True)
        assert (late.amount, late.period) == (1_000, OCTOBER)
        # Building October again changes nothing: its payout is closed.
        assert payouts.payouts_build(period=OCTOBER) == []
        october.refresh_from_db()
        assert (october.status, october.commissions) == (closed_as, 51_000)

        _deal(partner, registered=date(2026, 11, 3), won=date(2026, 11, 10), amount=200_000)
        _run(NOVEMBER)
        november = payouts.payouts_build(period=NOVEMBER, actor=people_a.channel_manager)[0]
        assert november.commissions == 20_000 + 1_000 + 1_000  # November's own lines + the late October line
        assert (november.subtotal, november.tax, november.total) == (22_000, 2_200, 24_200)
        late.refresh_from_db()
        assert late.payout == november
        assert statements.added_after_close(november) == [
            {"period": OCTOBER, "label": f"整合性プラン / {rule_text.rule_name(engine.parse_plan(PLAN).rules[1])}",
             "count": 1, "amount": 1_000}]  # the rule's name, never its id
        assert sum(row["amount"] for row in statements.statement_lines(november)) == 21_000

        # Nothing paid twice, nothing left out: every line sits in exactly one payout and the totals agree.
        assert payouts.payouts_build(period=NOVEMBER)[0].commissions == 22_000
        assert not LedgerLine.objects.filter(payout__isnull=True).exists()
        ledger_total = LedgerLine.objects.aggregate(s=Sum("amount"))["s"]
        assert ledger_total == Payout.objects.aggregate(s=Sum("commissions"))["s"] == 51_000 + 22_000
        pdf = statements.render_pdf(november, language="ja")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert _in("ja", "Added after the previous close") in text and "2026年10月" in text and "1,000" in text
    page = people_a.console(people_a.channel_manager).get("/incentives/payouts/?period=2026-11").content.decode()
    assert _in("ja", "Added after the previous close") in page and "2026年10月" in page and "¥1,000" in page
    portal = people_a.portal(people_a.partner_admin).get("/payouts/").content.decode()
    assert _in("ja", "Added after the previous close") in portal and "¥1,000" in portal


def test_a_rebuild_keeps_the_lines_it_already_took(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        _publish(people_a)
        _deal(partner, registered=date(2026, 10, 2), won=date(2026, 10, 5), amount=100_000)
        _run(OCTOBER)
        first = payouts.payouts_build(period=OCTOBER)[0]
        again = payouts.payouts_build(period=OCTOBER)[0]
        assert first.pk == again.pk and again.commissions == first.commissions == 11_000
        assert set(LedgerLine.objects.values_list("payout", flat=True)) == {first.pk}


def test_a_payout_built_late_for_an_earlier_month_does_not_take_lines_a_later_payout_pays(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory()
        _publish(people_a)
        _deal(partner, registered=date(2026, 10, 2), won=date(2026, 10, 5), amount=100_000)
        _run(OCTOBER)
        november = payouts.payouts_build(period=NOVEMBER)[0]  # October's lines were never built: November takes them
        assert november.commissions == 11_000
        assert payouts.payouts_build(period=OCTOBER) == []
        assert not Payout.objects.filter(period=OCTOBER).exists()


def test_runs_for_future_months_are_refused_everywhere(people_a):
    this_month = timezone.localdate().replace(day=1)
    future = date(this_month.year + (this_month.month == 12), this_month.month % 12 + 1, 1)
    with tenant_context(people_a.tenant):
        with pytest.raises(ValidationError) as caught:
            runs.run_start(period=future)
        assert f"{future:%Y-%m}" in " ".join(caught.value.messages)
    response = people_a.console(people_a.channel_manager).post(
        "/incentives/runs/start/", {"period": f"{future:%Y-%m}"}, follow=True)
    assert response.status_code == 200 and f"{future:%Y-%m}" in response.content.decode()
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("run_commissions", slug=people_a.tenant.slug, period=f"{future:%Y-%m}", stdout=out, stderr=err)
    assert exited.value.code == 2 and f"{future:%Y-%m}" in err.getvalue()
    with tenant_context(people_a.tenant):
        assert not CommissionRun.objects.exists()


def test_a_run_for_the_open_month_warns_but_runs(people_a, django_capture_on_commit_callbacks):
    this_month = timezone.localdate().replace(day=1)
    warning = runs.open_month_warning(this_month)
    assert warning and runs.open_month_warning(date(2026, 10, 1)) == ""
    client = people_a.console(people_a.channel_manager)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post("/incentives/runs/start/", {"period": f"{this_month:%Y-%m}"}, follow=True)
    with tenant_context(people_a.tenant):
        assert CommissionRun.objects.filter(period=this_month).count() == 1
    assert f"{this_month:%Y-%m}" in response.content.decode()
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    out, err = io.StringIO(), io.StringIO()
    call_command("run_commissions", slug=people_a.tenant.slug, period=f"{this_month:%Y-%m}", stdout=out, stderr=err)
    assert f"{this_month:%Y-%m}" in err.getvalue() and "0" in out.getvalue()
    with tenant_context(people_a.tenant):
        assert CommissionRun.objects.filter(period=this_month, status="done").exists()


# --------------------------------------------------------------------------- point 7: the approved account


def _approved_payout(people, partner, total=110_000) -> Payout:
    payout = Payout.objects.create(partner=partner, period=OCTOBER, commissions=100_000, subtotal=100_000,
                                   tax=total - 100_000, total=total, close_date=date(2026, 10, 31),
                                   due_date=date(2026, 11, 30), payee_name=partner.name)
    return payouts.payout_approve(payout=payout, actor=people.channel_manager)


def _company_form(partner, **bank) -> dict:
    fields = ("website", "phone", "postal_code", "address", "invoice_number", *BANK_A)
    return {**{name: getattr(partner, name) or "" for name in fields}, **bank}


def test_the_transfer_file_pays_the_approved_account_until_a_vendor_re_approves(people_a):
    with tenant_context(people_a.tenant):
        complete_payout_settings()
        people_a.partner.__class__.objects.filter(pk=people_a.partner.pk).update(**BANK_A)
        people_a.partner.refresh_from_db()
        payout = _approved_payout(people_a, people_a.partner)
        assert payout.bank_account == BANK_A
    console = people_a.console(people_a.channel_manager)
    before = console.get("/incentives/payouts/transfer/?period=2026-10").content
    assert before.split(b"\r\n")[1][1:5] == b"0005" and b"1234567" in before

    saved = people_a.portal(people_a.partner_admin).post("/company/", _company_form(people_a.partner, **BANK_B))
    assert saved.status_code == 302
    with tenant_context(people_a.tenant):
        payout.refresh_from_db()
        people_a.partner.refresh_from_db()
        assert people_a.partner.account_number == "7654321" and payout.account_number == "1234567"
        assert payout.bank_account_changed

    # Neither the old nor the new account is paid while the change waits for a vendor's decision.
    held_back = console.get("/incentives/payouts/transfer/?period=2026-10")
    records = held_back.content.split(b"\r\n")[:-1]
    assert [r[:1] for r in records] == [b"1", b"8", b"9"]
    assert b"7654321" not in held_back.content and b"1234567" not in held_back.content
    csv_body = console.get("/incentives/payouts/transfer/?period=2026-10&format=csv").content.decode("utf-8-sig")
    assert "7654321" not in csv_body and "1234567" not in csv_body
    page = console.get("/incentives/payouts/?period=2026-10").content.decode()
    assert _in("ja", "Bank account changed since approval — re-approve") in page
    reason = _in("ja", "%(partner)s: the bank account changed since approval; re-approve the payout to include it.")
    assert reason % {"partner": people_a.partner.name} in page  # why the downloads left it out

    console.post(f"/incentives/payouts/{payout.pk}/reapprove/")
    after = console.get("/incentives/payouts/transfer/?period=2026-10").content
    record = after.split(b"\r\n")[1]
    assert record[:1] == b"2" and record[1:5] == b"0009" and record[20:23] == b"015"
    assert record[43:50] == b"7654321" and record[80:90] == b"0000110000"
    csv_after = console.get("/incentives/payouts/transfer/?period=2026-10&format=csv").content.decode("utf-8-sig")
    assert "7654321" in csv_after and "1234567" not in csv_after
    with tenant_context(people_a.tenant):
        payout.refresh_from_db()
        assert payout.bank_account == BANK_B and not payout.bank_account_changed
        assert AuditEntry.objects.filter(action="payout_reapproved", object_id=str(payout.pk)).exists()


def test_the_transfer_uses_the_snapshot_not_the_partner_record(people_a):
    """A change that does not move money (the bank's display name) does not flag the payout, and the
    file still carries what was approved."""
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(**BANK_A)
        payout = _approved_payout(people_a, partner)
        partner.__class__.objects.filter(pk=partner.pk).update(bank_name="ﾃｽﾄｷﾞﾝｺｳ", branch_name="ﾃｽﾄｼﾃﾝ")
        payout.refresh_from_db()
        assert not payout.bank_account_changed
    body = people_a.console(people_a.channel_manager).get("/incentives/payouts/transfer/?period=2026-10&format=csv")
    text = body.content.decode("utf-8-sig")
    assert "三菱UFJ銀行" in text and "ﾃｽﾄｷﾞﾝｺｳ" not in text


def test_a_partner_admin_changing_the_bank_account_tells_the_channel_manager_and_is_audited(
        people_a, django_capture_on_commit_callbacks):
    with tenant_context(people_a.tenant):
        people_a.partner.__class__.objects.filter(pk=people_a.partner.pk).update(owner=people_a.channel_manager, **BANK_A)
        people_a.partner.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        people_a.portal(people_a.partner_admin).post("/company/", _company_form(people_a.partner, **BANK_B))
    with tenant_context(people_a.tenant):
        note = Notification.objects.get(user=people_a.channel_manager, kind="bank_account_changed")
        entry = AuditEntry.objects.get(action="bank_account_changed")
        assert entry.actor == people_a.partner_admin
        assert entry.changes["before"]["account_number"] == "1234567"
        assert entry.changes["after"]["account_number"] == "7654321"
    assert "***4567" in note.body and "***4321" in note.body
    assert "1234567" not in note.body and "7654321" not in note.body
    assert [m.to for m in mail.outbox] == [[people_a.channel_manager.email]]
    assert "1234567" not in mail.outbox[0].body and "***4321" in mail.outbox[0].body
    audit_page = people_a.console(people_a.channel_manager).get("/incentives/audit/").content.decode()
    with translation.override("ja"):
        from partners import japan

        expected = f"{japan.bank_account_text(BANK_A)} → {japan.bank_account_text(BANK_B)}"
    assert expected in audit_page and "1234567" in audit_page


def test_saving_the_profile_without_touching_the_account_records_nothing(people_a):
    with tenant_context(people_a.tenant):
        people_a.partner.__class__.objects.filter(pk=people_a.partner.pk).update(**BANK_A)
        people_a.partner.refresh_from_db()
    people_a.portal(people_a.partner_admin).post("/company/", _company_form(people_a.partner, phone="03-1234-5678"))
    with tenant_context(people_a.tenant):
        assert not AuditEntry.objects.filter(action="bank_account_changed").exists()
        assert not Notification.objects.filter(kind="bank_account_changed").exists()


def test_only_a_changed_account_can_be_re_approved(people_a):
    with tenant_context(people_a.tenant):
        payout = _approved_payout(people_a, PartnerFactory(**BANK_A))
        with pytest.raises(ValidationError):
            payouts.payout_reapprove(payout=payout, actor=people_a.channel_manager)


def test_with_separation_of_duties_the_approver_cannot_mark_the_payout_paid(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(**BANK_A)
        same_person = _approved_payout(people_a, partner)
        payouts.payout_mark_paid(payout=same_person, actor=people_a.channel_manager)  # off by default
        Payout.objects.filter(pk=same_person.pk).update(status="review", period=NOVEMBER, paid_at=None, paid_by=None)
        payout = payouts.payout_approve(payout=same_person, actor=people_a.channel_manager)
    admin = people_a.console(people_a.vendor_admin)
    assert people_a.console(people_a.channel_manager).get("/incentives/payouts/settings/").status_code == 403
    admin.post("/incentives/payouts/settings/", {"section": "duties", "separate_approval_and_payment": "on"})
    with tenant_context(people_a.tenant):
        assert IncentiveSettings.current().separate_approval_and_payment
    refused = people_a.console(people_a.channel_manager).post(f"/incentives/payouts/{payout.pk}/pay/", follow=True)
    with tenant_context(people_a.tenant):
        payout.refresh_from_db()
        assert payout.status == "approved" and payout.paid_at is None
        expected = _in("ja", "You approved this payout. With separation of duties on, someone else must mark it paid.")
    assert expected in refused.content.decode()
    admin.post(f"/incentives/payouts/{payout.pk}/pay/")
    with tenant_context(people_a.tenant):
        payout.refresh_from_db()
        assert (payout.status, payout.paid_by, payout.approved_by) == ("paid", people_a.vendor_admin,
                                                                       people_a.channel_manager)
        assert AuditEntry.objects.filter(action="payout_settings_changed").exists()


def test_the_migration_gives_existing_payouts_their_lines_and_leaves_later_lines_for_the_next_payout(people_a):
    import importlib

    from django.db import connection

    migration = importlib.import_module("incentives.migrations.0002_payout_bank_snapshot_and_ledger_payout")
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(**BANK_A)
        _publish(people_a)
        _deal(partner, registered=date(2026, 10, 2), won=date(2026, 10, 5), amount=500_000)
        _run(OCTOBER)
        october = payouts.payout_approve(payout=payouts.payouts_build(period=OCTOBER)[0], actor=people_a.channel_manager)
        _deal(partner, registered=date(2026, 10, 20))
        _run(OCTOBER)
        # As the data stood before this migration: no line knew its payout, no payout its account.
        LedgerLine.objects.update(payout=None)
        late = LedgerLine.objects.order_by("-id").first()
        LedgerLine.objects.exclude(pk=late.pk).update(created_at=october.approved_at - timedelta(minutes=5))
        LedgerLine.objects.filter(pk=late.pk).update(created_at=october.approved_at + timedelta(minutes=5))
        Payout.objects.filter(pk=october.pk).update(**{name: "" for name in BANK_A})
        with connection.cursor() as cursor:
            cursor.execute(migration.CLAIM_LINES)
            cursor.execute(migration.SNAPSHOT_ACCOUNTS)
        october.refresh_from_db()
        assert october.bank_account == BANK_A
        assert LedgerLine.objects.filter(payout=october).aggregate(s=Sum("amount"))["s"] == october.commissions == 51_000
        late.refresh_from_db()
        assert late.payout is None and late.amount == 1_000
        november = payouts.payouts_build(period=NOVEMBER)[0]
        assert november.commissions == 1_000 and statements.added_after_close(november)[0]["period"] == OCTOBER
