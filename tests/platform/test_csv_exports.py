"""Every CSV export, fetched as the persona who uses it, with data that tries to run formulas in a spreadsheet.

Partners, contacts, materials, people and bank names are named `=HYPERLINK(…)`, `+1`, `-1+2`,
`@SUM(A1)` or start with a tab or a carriage return: no cell of any export may start a formula,
while real numbers (amounts, ranks, a health score that fell by 41) stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from enablement import services as enablement_services
from enablement.models import ContentAccess
from incentives.models import Payout
from incentives.payouts import payout_approve
from insights.health.models import HealthSnapshot
from partners.models import Partner
from prm import csv_export
from programs.recognition import periods
from tests.enablement.factories import ContentItemFactory
from tests.partners.factories import ContactFactory, PartnerFactory
from tests.platform.test_access import CONSOLE_URLS, PORTAL_URLS

HOSTILE = ['=HYPERLINK("http://evil.example","x")', "+1", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1"]
NUMBER = re.compile(r"-?\d+(\.\d+)?")
CODE = re.compile(r'="\d+"')
FY2025 = "start=2025-04&end=2026-03"
TRANSFER_PERIOD = date(2026, 10, 1)
BANK = {"bank_code": "0009", "branch_code": "015", "account_type": "1", "account_number": "1234567",
        "account_holder": "ｶ)ｻｸﾗｼｽﾃﾑｽﾞ"}

# url name → (who downloads it, the URL); ?format=csv exports are named after their page.
EXPORTS = {
    "partner_export": ("channel_manager", "/partners/export.csv"),
    "partner_export_sjis": ("channel_manager", "/partners/export.csv?encoding=cp932"),
    "contact_export": ("channel_manager", "/partners/contacts/export.csv"),
    "deal_pipeline_export": ("channel_manager", "/deals/pipeline/export/"),
    "program_recognition_export": ("channel_manager", "/programs/recognition/export.csv?period={month}"),
    "enablement_accesses": ("channel_manager", "/enablement/library/accesses/?format=csv"),
    "incentives_audit": ("channel_manager", "/incentives/audit/?format=csv"),
    "incentives_invoice_template": ("channel_manager", "/incentives/invoices/template.csv"),
    "incentives_transfer": ("vendor_admin", f"/incentives/payouts/transfer/?period={TRANSFER_PERIOD:%Y-%m}&format=csv"),
    **{f"insights_{table}": ("channel_manager", f"/insights/?{FY2025}&format=csv&table={table}")
       for table in ("kpis", "stages", "deals_by_month", "revenue_by_partner", "revenue_by_type", "revenue_by_tier",
                     "mdf_roi", "health_bands", "health_histogram", "movers")},
}
# Named like an export, but not a CSV.
NOT_CSV = {"incentives_plan_export"}  # the plan as JSON
# A large export's page and its file, written by the worker: tests/platform/test_export_jobs.py.
EXPORT_JOBS = {"export_job", "export_job_file"}


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10)))


def _won(partner: Partner, amount: int, won_on: date, n: int) -> None:
    DealRegistration.objects.create(
        partner=partner, customer_name=f"顧客{n}{won_on}", name_key=f"csv-{n}-{won_on}-{partner.pk}", amount=amount,
        expected_close=won_on, stage="won", won_amount=amount, won_on=won_on, registered_at=_at(won_on))


@pytest.fixture
def hostile(people_a):
    """Hostile names everywhere a CSV export shows text; returns the current month's leaderboard key."""
    month = periods.period_containing(periods.MONTH, timezone.localdate())
    with tenant_context(people_a.tenant):
        Partner.objects.filter(pk=people_a.partner.pk).update(name=HOSTILE[0], name_kana=HOSTILE[1], **BANK,
                                                              bank_name=HOSTILE[2], branch_name=HOSTILE[3])
        Partner.objects.filter(pk=people_a.other_partner.pk).update(name=HOSTILE[1], **BANK)
        partners = [Partner.objects.get(pk=people_a.partner.pk), Partner.objects.get(pk=people_a.other_partner.pk)]
        partners += [PartnerFactory(name=name, **BANK, bank_name=name, branch_name=name) for name in HOSTILE[2:]]
        for n, partner in enumerate(partners):
            _won(partner, 100_000 * (n + 1), month.start, n)
            _won(partner, 100_000 * (n + 1), date(2025, 6, 10), n)
            ContactFactory(partner=partner, full_name=HOSTILE[n], title=HOSTILE[-n], email=f"csv{n}@partner.example.jp")
            for day, score in ((date(2025, 4, 1), 82), (date(2026, 3, 31), 41 + n)):  # every score falls
                HealthSnapshot.objects.create(partner=partner, day=day, score=score,
                                              band="healthy" if score >= 70 else "at_risk")
            payout = Payout.objects.create(partner=partner, period=TRANSFER_PERIOD, status="review",
                                           subtotal=176_000, total=176_000, close_date=date(2026, 10, 31),
                                           due_date=date(2026, 11, 30), payee_name=partner.name)
            payout_approve(payout=payout, actor=people_a.vendor_admin)  # takes the bank account it pays
        rep = people_a.partner_rep
        rep.full_name = HOSTILE[3]
        rep.save(update_fields=["full_name"])
        for name in HOSTILE:
            enablement_services.content_access_record(item=ContentItemFactory(title=name), user=rep,
                                                      action=ContentAccess.Action.DOWNLOAD)
    return month.key


def _cells(response) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if "Shift_JIS" in response["Content-Type"]:
        text = body.decode("cp932")
    else:
        assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, so that Excel reads Japanese"
        text = body.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "CRLF lines"
    return list(csv.reader(io.StringIO(text, newline="")))


def _unsafe(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row
            if cell.startswith(csv_export.FORMULA_START) and not NUMBER.fullmatch(cell) and not CODE.fullmatch(cell)]


@pytest.mark.parametrize("export", sorted(EXPORTS))
def test_no_export_lets_a_cell_start_a_formula(people_a, hostile, export):
    persona, url = EXPORTS[export]
    rows = _cells(people_a.console(getattr(people_a, persona)).get(url.format(month=hostile)))
    assert _unsafe(rows) == []
    text = [cell for row in rows for cell in row]
    if export in ("incentives_invoice_template", "insights_kpis", "insights_stages", "insights_deals_by_month", "insights_revenue_by_type",
                  "insights_revenue_by_tier", "insights_mdf_roi", "insights_health_bands", "insights_health_histogram"):
        return  # tables of figures: no partner's text in them
    escaped = [name for name in HOSTILE if "'" + name in text]
    assert escaped, f"{export} exported none of the hostile names: {rows[:3]}"


def test_the_exports_keep_numbers_as_numbers(people_a, hostile):
    client = people_a.console(people_a.channel_manager)
    board = _cells(client.get(f"/programs/recognition/export.csv?period={hostile}"))
    assert [row[:3] for row in board[1:3]] == [["1", "'\r=1+1", "600000"], ["2", "'\t=1+1", "500000"]]
    movers = _cells(client.get(f"/insights/?{FY2025}&format=csv&table=movers"))
    assert "-41" in [cell for row in movers for cell in row], movers
    transfer = _cells(people_a.console(people_a.vendor_admin).get(
        f"/incentives/payouts/transfer/?period={TRANSFER_PERIOD:%Y-%m}&format=csv"))
    columns = transfer[0]
    first = dict(zip(columns, transfer[1], strict=True))
    assert (first["amount"], first["bank_code"], first["account_number"]) == ("176000", "0009", "1234567")
    assert sorted(row[columns.index("bank_name")] for row in transfer[1:]) == sorted(
        ["'-1+2", "", *("'" + name for name in HOSTILE[2:])])


def test_the_partner_export_keeps_codes_as_text_and_reads_back_the_names(people_a, hostile):
    rows = _cells(people_a.console(people_a.channel_manager).get("/partners/export.csv"))
    cells = dict(zip(rows[0], next(row for row in rows if row[0] == "'" + HOSTILE[0]), strict=False))
    assert (cells["bank_code"], cells["branch_code"], cells["bank_name"]) == ('="0009"', '="015"', "'-1+2")


@pytest.mark.parametrize("value, cell", [
    ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
    ("+1", "'+1"), ("-1+2", "'-1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-1000", "'-1000"),  # text that looks like a number is still text: only real numbers are numbers
    (-1000, -1000), (Decimal("-1000.50"), Decimal("-1000.50")), (0, 0), (None, ""), ("株式会社", "株式会社"),
    (date(2026, 4, 1), "2026-04-01"), (csv_export.Code("0009"), '="0009"'), (csv_export.Code("=1"), "'=1"),
    (csv_export.Code("12"), "12"),
])
def test_it_escapes_text_and_leaves_numbers(value, cell):
    assert csv_export.escape(value) == cell


def test_it_writes_shift_jis_or_names_what_shift_jis_cannot_hold():
    body = csv_export.csv_bytes(["name", "amount"], [["=株式会社〜", -5]], encoding="cp932")
    assert body.decode("cp932") == "name,amount\r\n'=株式会社～,-5\r\n"
    with translation.override("en"), pytest.raises(ValidationError, match="line 2, name"):
        csv_export.csv_bytes(["name"], [["複数行の\r\n備考 😀"]], encoding="cp932")


def test_it_streams_in_chunks():
    rows = ([f"={n}", n] for n in range(csv_export.STREAM_CHUNK * 2 + 1))
    response = csv_export.csv_response("big.csv", ["a", "b"], rows, stream=True)
    chunks = list(response.streaming_content)
    assert len(chunks) == 3 and chunks[0].startswith(b"\xef\xbb\xbf") and b"'=0,0\r\n" in chunks[0]


def test_every_csv_export_url_is_checked_here():
    """A new export (a URL named …csv… or …export…, or ending in .csv) fails here until it is added above."""
    named = {name for name, path in CONSOLE_URLS + PORTAL_URLS
             if re.search("csv|export", name) or path.split("?")[0].endswith(".csv")}
    checked = {name.removesuffix("_sjis") for name in EXPORTS}
    assert named - NOT_CSV - EXPORT_JOBS <= checked, named - NOT_CSV - EXPORT_JOBS - checked


def test_no_code_writes_csv_except_the_one_writer():
    root = Path(__file__).resolve().parents[2]
    writers = re.compile(r"csv\.(writer|DictWriter)\(|text/csv")
    found = [str(path.relative_to(root)) for path in root.rglob("*.py")
             if not {".venv", "tests", "bench", ".kyoso"} & set(path.relative_to(root).parts)
             and path.relative_to(root) != Path("prm/csv_export.py") and writers.search(path.read_text())]
    assert found == []
