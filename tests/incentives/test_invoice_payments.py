"""Customer invoice payments (invoice_paid): the form, the CSV import (UTF-8 / Shift_JIS, preview with
per-line errors, all or nothing), the commission run on imported payments, and customer retention."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import services as deal_services
from deals.models import DealRegistration
from incentives import invoices, runs, selectors
from incentives.models import AuditEntry, InvoiceImport, InvoicePayment, LedgerLine, Plan
from insights.dashboards import Filters
from insights.dashboards import selectors as dashboard_selectors
from tests.partners.factories import PartnerFactory

LIST, NEW, IMPORT = "/incentives/invoices/", "/incentives/invoices/new/", "/incentives/invoices/import/"
WON_ON = date(2026, 9, 5)
VALID_NUMBER = "7010001008844"  # a corporate number with a valid check digit


def _deal(partner, customer: str, *, stage: str = "won", won_on: date | None = WON_ON, corporate_number: str = ""):
    deal = DealRegistration(
        partner=partner, customer_name=customer, corporate_number=corporate_number, amount=1_000_000,
        expected_close=won_on or WON_ON, stage=stage, won_amount=1_000_000 if won_on else None, won_on=won_on,
        registered_at=timezone.make_aware(timezone.datetime(2026, 8, 1, 10)))
    deal_services.apply_keys(deal, deal_services.customer_keys_for(customer, corporate_number, ""))
    deal.save()
    return deal


def _file(lines: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(lines)
    return out.getvalue().encode(encoding)


def _upload(client, data: bytes, name: str = "payments.csv"):
    return client.post(IMPORT, {"encoding": "auto", "file": SimpleUploadedFile(name, data, content_type="text/csv")})


def _errors_by_line(response) -> dict[int, list[tuple[str, str]]]:
    check = response.context["check"]
    return {row.line: [(error.column, error.message) for error in row.errors] for row in check.rows if row.errors}


@pytest.fixture
def world(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="株式会社継続パートナー")
        return {
            "partner": partner,
            "won": _deal(partner, "株式会社ミドリ商事"),
            "numbered": _deal(partner, "株式会社アオバ工業", corporate_number=VALID_NUMBER),
            "cancelled": _deal(partner, "株式会社キャンセル", stage="cancelled"),
            "twice_a": _deal(partner, "株式会社フタツ"),
            "twice_b": _deal(PartnerFactory(), "（株）フタツ"),
            "open": _deal(partner, "株式会社ミカク", stage="proposal", won_on=None),
        }


# --------------------------------------------------------------------------- the form


def test_the_form_records_a_payment_and_audits_it_in_words(people_a, world):
    client = people_a.console(people_a.channel_manager)
    deal = world["won"]
    response = client.post(NEW, {"deal_number": deal.pk, "paid_on": "2026-10-31", "amount": "200000",
                                 "reference": "INV-001"})
    assert response.status_code == 302 and response["Location"] == LIST
    with tenant_context(people_a.tenant):
        payment = InvoicePayment.objects.get()
        assert (payment.deal_id, payment.paid_on, payment.amount, payment.reference) == (
            deal.pk, date(2026, 10, 31), 200_000, "INV-001")
        assert payment.recorded_by == people_a.channel_manager
        entry = AuditEntry.objects.get(action="invoice_payment_recorded")
        assert "INV-001" in entry.summary and "200,000" in entry.summary and "株式会社ミドリ商事" in entry.summary
    page = client.get(LIST).content.decode()
    assert "INV-001" in page and "株式会社ミドリ商事" in page


@pytest.mark.parametrize(("case", "field"), [
    ("unknown deal", "deal_number"),
    ("cancelled deal", "deal_number"),
    ("open deal", "deal_number"),
    ("before the win", "paid_on"),
    ("in the future", "paid_on"),
    ("negative amount", "amount"),
    ("zero amount", "amount"),
    ("too large amount", "amount"),
    ("superscript amount", "amount"),
    ("year one", "paid_on"),
    ("no invoice number", "reference"),
    ("NUL in the invoice number", "reference"),
    ("10,000 characters", "reference"),
    ("huge deal number", "deal_number"),
    ("same invoice again", "reference"),
])
def test_the_form_names_the_field_of_each_error_and_saves_nothing(people_a, world, case, field):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        InvoicePayment.objects.create(deal=world["won"], paid_on=date(2026, 10, 1), amount=1, reference="INV-OLD")
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    data = {"deal_number": str(world["won"].pk), "paid_on": "2026-10-31", "amount": "200000", "reference": "INV-9"}
    data.update({
        "unknown deal": {"deal_number": "999999999"},
        "cancelled deal": {"deal_number": str(world["cancelled"].pk)},
        "open deal": {"deal_number": str(world["open"].pk)},
        "before the win": {"paid_on": "2026-09-04"},
        "in the future": {"paid_on": tomorrow},
        "negative amount": {"amount": "-1"},
        "zero amount": {"amount": "0"},
        "too large amount": {"amount": str(2**63)},
        "superscript amount": {"amount": "²"},
        "year one": {"paid_on": "0001-01-01"},
        "no invoice number": {"reference": ""},
        "NUL in the invoice number": {"reference": "INV\x00"},
        "10,000 characters": {"reference": "x" * 10_000},
        "huge deal number": {"deal_number": "9" * 20},
        "same invoice again": {"reference": "INV-OLD"},
    }[case])
    response = client.post(NEW, data)
    if case.startswith("NUL"):
        assert response.status_code == 400  # the platform refuses NUL in any parameter
    else:
        assert response.status_code == 200
        assert field in response.context["form"].errors, response.context["form"].errors
    with tenant_context(people_a.tenant):
        assert InvoicePayment.objects.count() == 1


# --------------------------------------------------------------------------- the import


def test_a_utf8_file_with_japanese_headers_is_previewed_and_applied(people_a, world):
    client = people_a.console(people_a.channel_manager)
    data = _file([
        ["案件番号", "顧客名", "法人番号", "入金日", "金額", "請求書番号"],
        [str(world["won"].pk), "", "", "2026/10/31", "¥200,000", "INV-10"],
        ["", "ミドリ商事株式会社", "", "2026年11月30日", "200000円", "INV-11"],  # the matcher's name key
        ["", "", VALID_NUMBER, "2026-10-15", "150000", "A-1"],
    ])
    response = _upload(client, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    preview = client.get(response["Location"])
    check = preview.context["check"]
    assert not check.has_errors, check.messages()
    assert [row.deal.pk for row in check.rows] == [world["won"].pk, world["won"].pk, world["numbered"].pk]
    assert check.total == 550_000
    with tenant_context(people_a.tenant):
        batch = InvoiceImport.objects.get()
        assert batch.encoding == "utf-8" and InvoicePayment.objects.count() == 0  # nothing before apply
    applied = client.post(f"{IMPORT}{batch.pk}/apply/")
    assert applied.status_code == 302 and applied["Location"] == LIST
    with tenant_context(people_a.tenant):
        assert sorted(InvoicePayment.objects.values_list("reference", "amount", "paid_on")) == [
            ("A-1", 150_000, date(2026, 10, 15)), ("INV-10", 200_000, date(2026, 10, 31)),
            ("INV-11", 200_000, date(2026, 11, 30))]
        assert set(InvoicePayment.objects.values_list("source_id", flat=True)) == {batch.pk}
        batch.refresh_from_db()
        assert batch.status == "applied" and batch.result == {"count": 3, "total": 550_000}
        entry = AuditEntry.objects.get(action="invoice_payments_imported")
        assert "payments.csv" in entry.summary and "550,000" in entry.summary
    # Applying twice records nothing more.
    client.post(f"{IMPORT}{batch.pk}/apply/")
    with tenant_context(people_a.tenant):
        assert InvoicePayment.objects.count() == 3


def test_a_shift_jis_file_with_english_headers_is_read(people_a, world):
    client = people_a.console(people_a.channel_manager)
    data = _file([["invoice_number", "customer_name", "paid_on", "amount"],
                  ["請求-001", "株式会社ミドリ商事", "2026-10-31", "98000"]], encoding="cp932")
    response = _upload(client, data, name="入金.csv")
    assert response.status_code == 302
    preview = client.get(response["Location"])
    assert preview.context["batch"].encoding == "cp932"
    assert not preview.context["check"].has_errors
    client.post(response["Location"] + "apply/")
    with tenant_context(people_a.tenant):
        assert list(InvoicePayment.objects.values_list("deal_id", "reference", "amount")) == [
            (world["won"].pk, "請求-001", 98_000)]


def test_the_preview_names_line_column_and_reason_and_one_bad_line_saves_nothing(people_a, world):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        InvoicePayment.objects.create(deal=world["won"], paid_on=date(2026, 10, 1), amount=5, reference="IN-DB")
    won, cancelled = str(world["won"].pk), str(world["cancelled"].pk)
    data = _file([
        ["deal_number", "customer_name", "paid_on", "amount", "reference"],
        [won, "", "2026-10-31", "200000", "OK-1"],              # line 2: fine
        ["99999999", "", "2026-10-31", "200000", "X-3"],         # 3: unknown deal
        [cancelled, "", "2026-10-31", "200000", "X-4"],          # 4: cancelled deal
        [won, "", "2026-13-45", "200000", "X-5"],                # 5: no such day
        [won, "", "2026-10-31", "-5000", "X-6"],                 # 6: negative amount
        [won, "", "2026-10-31", "100", "OK-1"],                  # 7: same invoice as line 2
        [won, "", "2026-10-31", "100", "IN-DB"],                 # 8: already recorded
        ["", "株式会社フタツ", "2026-10-31", "100", "X-9"],       # 9: two won deals for that customer
        ["", "株式会社どこにもない", "2026-10-31", "100", "X-10"],  # 10: unknown customer
        ["", "株式会社キャンセル", "2026-10-31", "100", "X-11"],    # 11: the customer's deal was cancelled
        [won, "", "2026-09-01", "100", "X-12"],                  # 12: before the win
        ["", "", "2026-10-31", "100", "X-13"],                   # 13: no deal named
    ])
    response = _upload(client, data)
    preview = client.get(response["Location"])
    errors = _errors_by_line(preview)
    assert 2 not in errors
    assert {line: [column for column, _message in found] for line, found in errors.items()} == {
        3: ["deal_number"], 4: ["deal_number"], 5: ["paid_on"], 6: ["amount"], 7: ["reference"], 8: ["reference"],
        9: ["customer_name"], 10: ["customer_name"], 11: ["customer_name"], 12: ["paid_on"], 13: ["deal_number"]}
    assert "99999999" in errors[3][0][1]
    assert cancelled in errors[4][0][1]
    assert "2" in errors[7][0][1] and "2026年10月1日" in errors[8][0][1]  # the date as its reader writes it
    assert str(world["twice_a"].pk) in errors[9][0][1] and str(world["twice_b"].pk) in errors[9][0][1]
    check = preview.context["check"]
    assert check.messages(limit=None)[0].startswith(("Line 3", "3行目", "行 3")) or "3" in check.messages(limit=None)[0]
    page = preview.content.decode()
    assert page.count('class="table-danger"') == 11
    batch_id = preview.context["batch"].pk
    refused = client.post(f"{IMPORT}{batch_id}/apply/")
    assert refused.status_code == 302 and refused["Location"].endswith(f"/import/{batch_id}/")
    with tenant_context(people_a.tenant):
        assert list(InvoicePayment.objects.values_list("reference", flat=True)) == ["IN-DB"]
        assert InvoiceImport.objects.get(pk=batch_id).status == "preview"


def test_importing_the_same_file_again_is_refused_line_by_line(people_a, world):
    client = people_a.console(people_a.channel_manager)
    data = _file([["案件番号", "入金日", "金額", "請求書番号"],
                  [str(world["won"].pk), "2026-10-31", "200000", "R-1"],
                  [str(world["won"].pk), "2026-11-30", "200000", "R-2"]])
    first = _upload(client, data)
    client.post(first["Location"] + "apply/")
    second = _upload(client, data)
    errors = _errors_by_line(client.get(second["Location"]))
    assert {line: [c for c, _m in found] for line, found in errors.items()} == {2: ["reference"], 3: ["reference"]}
    client.post(second["Location"] + "apply/")
    with tenant_context(people_a.tenant):
        assert InvoicePayment.objects.count() == 2


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (_file([["金額", "請求書番号"], ["1", "A"]]), "no date column and no deal column"),
    ("入金日,金額\r\n".encode("utf-16"), "UTF-16"),
    (_file([["案件番号", "入金日", "金額", "請求書番号"]]), "no lines"),
])
def test_a_file_that_cannot_be_read_is_refused_at_upload(people_a, data, reason):
    response = _upload(people_a.console(people_a.channel_manager), data)
    assert response.status_code == 200, reason
    assert response.context["form"].errors["file"]
    with tenant_context(people_a.tenant):
        assert not InvoiceImport.objects.exists()


def test_the_template_is_a_csv_the_import_reads(people_a):
    client = people_a.console(people_a.channel_manager)
    response = client.get(f"{LIST}template.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0] == "案件番号,顧客名,法人番号,入金日,金額,請求書番号"
    with tenant_context(people_a.tenant):
        check = invoices.read_file(text)
    assert not check.file_errors and len(check.rows) == 2 and check.rows[1].values["corporate_number"] == VALID_NUMBER
    assert client.get(f"{LIST}template.csv?encoding=cp932").content.decode("cp932").startswith("案件番号")


@pytest.mark.parametrize("query", ["partner=²", "partner=-1", f"partner={2**63}", "month=0001-01", "month=2026-13",
                                   "partner=1%00", "month=" + "9" * 20])
def test_the_list_refuses_bad_filters_with_a_400(people_a, query):
    assert people_a.console(people_a.channel_manager).get(f"{LIST}?{query}").status_code == 400


def test_an_import_number_beyond_any_id_is_not_found(people_a):
    client = people_a.console(people_a.channel_manager)
    assert client.get(f"{IMPORT}{'9' * 20}/").status_code == 404
    assert client.post(f"{IMPORT}{2**63}/apply/").status_code == 404


def test_the_list_filters_by_partner_and_month(people_a, world):
    with tenant_context(people_a.tenant):
        other = _deal(PartnerFactory(), "株式会社ベツ")
        InvoicePayment.objects.create(deal=world["won"], paid_on=date(2026, 10, 5), amount=100, reference="P-OCT")
        InvoicePayment.objects.create(deal=world["won"], paid_on=date(2026, 11, 5), amount=100, reference="P-NOV")
        InvoicePayment.objects.create(deal=other, paid_on=date(2026, 10, 6), amount=100, reference="Q-OCT")
    client = people_a.console(people_a.channel_manager)
    page = client.get(f"{LIST}?partner={world['partner'].pk}&month=2026-10")
    assert [p.reference for p in page.context["page"]] == ["P-OCT"]
    assert [p.reference for p in client.get(f"{LIST}?month=2026-10").context["page"]] == ["Q-OCT", "P-OCT"]


def test_the_partner_portal_cannot_reach_the_pages(people_a):
    assert people_a.portal(people_a.partner_admin).get(LIST).status_code in (302, 403, 404)


# --------------------------------------------------------------------------- the service (as the API will call it)


def test_the_service_records_all_rows_or_none_and_reports_lines(people_a, world):
    with tenant_context(people_a.tenant):
        rows = [{"deal_number": world["won"].pk, "paid_on": date(2026, 10, 31), "amount": 1000, "reference": "S-1"},
                {"deal_number": world["cancelled"].pk, "paid_on": "2026-10-31", "amount": 1000, "reference": "S-2"}]
        with pytest.raises(Exception) as refused:
            invoices.invoice_payments_import(rows, actor=people_a.channel_manager)
        assert "2" in " ".join(refused.value.messages)
        assert not InvoicePayment.objects.exists()
        created = invoices.invoice_payments_import(rows[:1], actor=people_a.channel_manager)
        assert (created.count, created.total) == (1, 1000)
        assert list(InvoicePayment.objects.filter(pk__in=created.ids).values_list("reference", flat=True)) == ["S-1"]


# --------------------------------------------------------------------------- commissions on imported payments

RECURRING_PLAN = {
    "code": "recurring-test", "name": "継続報酬テスト", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "rules": [{"id": "subscription-share", "kind": "recurring", "on": "invoice_paid", "rate": "0.10", "months": 12}],
}


def test_a_commission_run_pays_the_recurring_rule_on_imported_payments(people_a, world):
    client = people_a.console(people_a.channel_manager)
    data = _file([["案件番号", "入金日", "金額", "請求書番号"],
                  [str(world["won"].pk), "2026-10-05", "200000", "M-10"],
                  [str(world["won"].pk), "2026-10-25", "33333", "M-10b"]])
    client.post(_upload(client, data)["Location"] + "apply/")
    with tenant_context(people_a.tenant):
        plan = Plan.objects.create(code="recurring-test", name="継続報酬テスト")
        runs.plan_publish(plan=plan, document=RECURRING_PLAN, actor=people_a.vendor_admin)
        runs.run_execute(runs.run_start(period=date(2026, 10, 1)).pk)
        payments = dict(InvoicePayment.objects.values_list("reference", "pk"))
        lines = sorted(LedgerLine.objects.filter(partner=world["partner"], rule_id="subscription-share")
                       .values_list("event_id", "amount"))
        assert lines == sorted([(f"invoice:{payments['M-10']}", 20_000), (f"invoice:{payments['M-10b']}", 3_333)])


# --------------------------------------------------------------------------- customer retention


def test_retention_on_a_small_world(people_a):
    """On 2026-11-30: paying then = paid in (2025-08-30, 2025-11-30]; paying now = paid in (2026-08-30, 2026-11-30].
    Partner A: c1 kept, c2 lost, c3 new (not in the base). Partner B: c4 kept, c5 paid too early to count.
    Overall 2 of 3 = 66.7%; A 1 of 2 = 50%; B 1 of 1 = 100%."""
    with tenant_context(people_a.tenant):
        a, b = PartnerFactory(name="甲パートナー"), PartnerFactory(name="乙パートナー")
        c1, c2, c3 = (_deal(a, f"株式会社顧客{n}", won_on=date(2025, 4, 1)) for n in (1, 2, 3))
        c4, c5 = (_deal(b, f"株式会社顧客{n}", won_on=date(2025, 4, 1)) for n in (4, 5))
        for deal, day in ((c1, date(2025, 10, 10)), (c1, date(2026, 10, 10)), (c2, date(2025, 11, 30)),
                          (c3, date(2026, 11, 1)), (c4, date(2025, 9, 15)), (c4, date(2026, 9, 15)),
                          (c5, date(2025, 8, 30)), (c5, date(2026, 10, 1))):
            InvoicePayment.objects.create(deal=deal, paid_on=day, amount=10_000, reference=f"{deal.pk}-{day}")
        retention = selectors.customer_retention(date(2026, 11, 30))
        assert retention.then == date(2025, 11, 30)
        assert (retention.overall.base, retention.overall.retained, retention.overall.rate) == (3, 2, 66.7)
        assert {pk: (f.base, f.retained, f.rate) for pk, f in retention.by_partner.items()} == {
            a.pk: (2, 1, 50.0), b.pk: (1, 1, 100.0)}
        assert retention.within([b.pk]).overall.rate == 100.0
        # The dashboard shows the same figures for a period ending on that day.
        shown = dashboard_selectors.customer_retention(Filters(date(2025, 12, 1), date(2026, 11, 30)))
        assert (shown.base, shown.retained, shown.rate) == (3, 2, 66.7)
        assert [(row.name, row.rate) for row in shown.rows] == [("甲パートナー", 50.0), ("乙パートナー", 100.0)]
    page = people_a.console(people_a.channel_manager).get("/insights/?start=2025-12&end=2026-11")
    assert page.status_code == 200
    body = page.content.decode()
    assert "66.7%" in body and 'id="retention-definition"' in body
