from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import tenant_context

from partners import csv_io, selectors
from partners.japan import corporate_number_check_digit
from partners.models import Contact, EventKind, ImportBatch, Partner, PartnerEvent, PartnerType, Stage
from partners.services import contact_save, partner_create
from tests.factories import PartnerFactory, UserFactory

PARTNER_HEADER = ["name", "name_kana", "partner_type", "stage", "corporate_number", "prefectures"]


def number(base: int) -> str:
    """A valid 法人番号 made from any 12 digits."""
    digits = f"{base:012d}"
    return f"{corporate_number_check_digit(digits)}{digits}"


def broken(valid: str) -> str:
    """The same number with a wrong check digit."""
    return f"{(int(valid[0]) % 9) + 1}{valid[1:]}"


def csv_text(header: list[str], *rows: list[str]) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_bytes(header: list[str], *rows: list[str], encoding: str = "utf-8-sig") -> bytes:
    return csv_text(header, *rows).encode(encoding)


def batch_for(text: str, user, kind: str = "partners", encoding: str = "utf-8") -> ImportBatch:
    return ImportBatch.objects.create(kind=kind, filename="test.csv", encoding=encoding, content=text, uploaded_by=user)


def errors_by_line(result: csv_io.Preview) -> dict[int, list[str]]:
    return {row.line: [error.column for error in row.errors] for row in result.rows if row.errors}


def good_rows(count: int, start: int = 100) -> list[list[str]]:
    return [[f"インポート商事{i}株式会社", f"インポートショウジ{i}", "resale", "prospect", number(start + i), "東京都"]
            for i in range(count)]


# --------------------------------------------------------------------------- encodings


def test_it_imports_a_utf8_file_with_a_bom(people_a):
    valid = number(234567890123)
    typed = f"{valid[:4]}－{valid[4:]}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    raw = csv_bytes(
        PARTNER_HEADER + ["owner_email", "industries", "invoice_number"],
        ["株式会社ユーティーエフ", "ユーティーエフ", "再販", "オンボーディング", typed, "東京都|大阪|14",
         people_a.channel_manager.email.upper(), "it|sier", ""],
    )
    assert raw.startswith(b"\xef\xbb\xbf")
    text, encoding = csv_io.decode(raw, "auto")
    assert encoding == "utf-8" and not text.startswith("\ufeff")
    with tenant_context(people_a.tenant):
        result = csv_io.preview("partners", text)
        assert not result.has_errors, result.messages()
        assert [row.action for row in result.rows] == ["create"]
        batch = batch_for(text, people_a.channel_manager)
        counts = csv_io.apply(batch, people_a.channel_manager)
        assert (counts["create"], counts["update"]) == (1, 0)
        partner = Partner.objects.get(name="株式会社ユーティーエフ")
        assert partner.corporate_number == valid
        assert (partner.partner_type, partner.stage) == (PartnerType.RESALE, Stage.ONBOARDING)
        assert partner.prefectures == ["13", "27", "14"]
        assert partner.industries == ["it", "sier"]
        assert partner.owner == people_a.channel_manager
        assert partner.checklist.exists()  # onboarding started through the service
        kinds = set(PartnerEvent.objects.filter(partner=partner).values_list("kind", flat=True))
        assert {EventKind.CREATED, EventKind.IMPORTED} <= kinds
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.APPLIED and batch.applied_at is not None
        assert batch.result["create"] == 1


def test_it_imports_a_shift_jis_file_from_excel_with_japanese_headers(people_a):
    raw = csv_bytes(
        ["会社名", "会社名カナ", "種別", "ステージ", "法人番号", "都道府県", "口座種別"],
        ["エスジス株式会社", "エスジス", "一次代理店", "見込み", number(345678901234), "北海道、沖縄県", "普通"],
        encoding="cp932",
    )
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text, encoding = csv_io.decode(raw, "auto")
    assert encoding == "cp932"
    with tenant_context(people_a.tenant):
        result = csv_io.preview("partners", text)
        assert result.headers["name"] == "会社名"
        # An account type alone is an incomplete bank account: the row names the missing fields.
        assert errors_by_line(result) == {2: ["bank_code", "branch_code", "account_number", "account_holder"]}

        raw = csv_bytes(["会社名", "会社名カナ", "種別", "ステージ", "法人番号", "都道府県"],
                        ["エスジス株式会社", "エスジス", "一次代理店", "見込み", number(345678901234), "北海道、沖縄県"],
                        encoding="cp932")
        text, _encoding = csv_io.decode(raw, "cp932")
        csv_io.apply(batch_for(text, people_a.channel_manager, encoding="cp932"), people_a.channel_manager)
        partner = Partner.objects.get(corporate_number=number(345678901234))
        assert (partner.name, partner.partner_type, partner.prefectures) == ("エスジス株式会社", "distributor", ["01", "47"])


def test_it_refuses_a_file_in_neither_encoding_and_changes_nothing(people_a):
    utf16 = csv_text(PARTNER_HEADER, good_rows(1)[0]).encode("utf-16")
    with pytest.raises(ValidationError) as caught:
        csv_io.decode(utf16, "auto")
    assert caught.value.code == "encoding" and set(caught.value.params) == {"utf8", "sjis"}
    assert "UTF-8" in caught.value.messages[0] and "Shift_JIS" in caught.value.messages[0]

    shift_jis = csv_bytes(PARTNER_HEADER, *good_rows(2), encoding="cp932")
    with pytest.raises(ValidationError) as caught:
        csv_io.decode(shift_jis, "utf-8")
    assert caught.value.params == {"encoding": "UTF-8", "line": 2}  # the first line with Japanese in it
    assert "UTF-8" in caught.value.messages[0]

    with tenant_context(people_a.tenant):
        before = Partner.objects.count()
    response = people_a.console(people_a.channel_manager).post(
        reverse("partner_import"), {"kind": "partners", "encoding": "auto", "file": SimpleUploadedFile("p.csv", utf16)})
    assert response.status_code == 200
    assert "file" in response.context["form"].errors
    with tenant_context(people_a.tenant):
        assert not ImportBatch.objects.exists()
        assert Partner.objects.count() == before


def test_it_names_the_missing_columns(people_a):
    with tenant_context(people_a.tenant):
        result = csv_io.preview("partners", csv_text(["会社名", "stage"], ["名前だけ株式会社", "prospect"]))
        assert result.rows == []
        assert len(result.file_errors) == 1 and "partner_type" in result.file_errors[0]
        contacts = csv_io.preview("contacts", csv_text(["email"], ["a@example.jp"]))
        assert "full_name" in contacts.file_errors[0] and "partner_corporate_number" in contacts.file_errors[0]
        wrong_kind = csv_io.check_file("partners", csv_text(["法人番号", "氏名"], [number(1), "山田 太郎"]))
        assert len(wrong_kind) == 2 and "name, partner_type" in wrong_kind[0]  # and a hint to choose contacts
    response = people_a.console(people_a.channel_manager).post(reverse("partner_import"), {
        "kind": "partners", "encoding": "auto",
        "file": SimpleUploadedFile("p.csv", csv_bytes(["name"], ["名前だけ株式会社"]))})
    assert response.status_code == 200
    assert "partner_type" in " ".join(response.context["form"].errors["file"])


def test_it_refuses_a_file_over_the_row_limit():
    rows = [[f"会社{i}", "resale"] for i in range(csv_io.MAX_ROWS + 1)]
    problems = csv_io.check_file("partners", csv_text(["name", "partner_type"], *rows))
    assert len(problems) == 1 and "10,000" in problems[0]
    assert csv_io.check_file("partners", csv_text(["name", "partner_type"], *rows[:-1], ["", ""])) == []


# --------------------------------------------------------------------------- row errors


def test_it_reports_bad_identifiers_with_their_line_and_column(people_a):
    text = csv_text(
        PARTNER_HEADER + ["invoice_number"],
        ["チェック桁商事", "", "resale", "", broken(number(111)), "東京都", ""],
        ["インボイス商事", "", "resale", "", number(112), "東京都", "T123"],
        ["都道府県商事", "", "resale", "", number(113), "東京都|ナルニア", f"T{number(113)}"],
        ["正しい商事", "", "resale", "", number(114), "13", f"t{number(114)}"],
    )
    with tenant_context(people_a.tenant):
        result = csv_io.preview("partners", text)
    assert errors_by_line(result) == {2: ["corporate_number"], 3: ["invoice_number"], 4: ["prefectures"]}
    assert "ナルニア" in result.rows[2].errors[0].message
    assert result.rows[2].errors[0].header == "prefectures"
    assert result.rows[3].values["invoice_number"] == f"T{number(114)}"
    first = result.messages()[0]
    assert "2" in first and "corporate_number" in first


def test_it_reports_unknown_choices_owners_and_parents(people_a):
    text = csv_text(
        ["name", "partner_type", "stage", "owner_email", "parent_corporate_number", "industries"],
        ["種別不明商事", "宇宙船", "", "", "", ""],
        ["担当者不明商事", "resale", "", "nobody@alpha.example", "", ""],
        ["担当者がパートナー商事", "resale", "", people_a.partner_admin.email, "", ""],
        ["親不明商事", "resale", "", "", number(999), ""],
        ["業種不明商事", "resale", "", "", "", "it|宇宙"],
    )
    with tenant_context(people_a.tenant):
        result = csv_io.preview("partners", text)
    assert errors_by_line(result) == {2: ["partner_type"], 3: ["owner_email"], 4: ["owner_email"],
                                      5: ["parent_corporate_number"], 6: ["industries"]}


def test_it_catches_duplicate_corporate_numbers_in_the_file_and_against_a_partner(people_a):
    with tenant_context(people_a.tenant):
        owner_of_number = PartnerFactory(name="番号の持ち主株式会社", corporate_number=number(500))
        text = csv_text(
            PARTNER_HEADER,
            ["一行目商事", "", "resale", "", number(501), ""],
            ["二行目商事", "", "resale", "", number(501), ""],
            # names an existing partner but carries another partner's number
            [people_a.other_partner.name, "", "resale", "", number(500), ""],
        )
        result = csv_io.preview("partners", text)
    assert errors_by_line(result) == {3: ["corporate_number"], 4: ["corporate_number"]}
    assert "2" in result.rows[1].errors[0].message
    assert owner_of_number.name in result.rows[2].errors[0].message


def test_it_imports_nothing_when_one_row_of_four_is_bad(people_a):
    rows = good_rows(3)
    rows.insert(2, ["悪い行商事", "", "resale", "", broken(number(777)), ""])
    text = csv_text(PARTNER_HEADER, *rows)
    with tenant_context(people_a.tenant):
        before = (Partner.objects.count(), PartnerEvent.objects.count())
        batch = batch_for(text, people_a.channel_manager)
        assert errors_by_line(csv_io.preview("partners", text)) == {4: ["corporate_number"]}
        with pytest.raises(ValidationError) as caught:
            csv_io.apply(batch, people_a.channel_manager)
        assert len(caught.value.messages) == 2
        assert "4" in caught.value.messages[1] and "corporate_number" in caught.value.messages[1]
        assert (Partner.objects.count(), PartnerEvent.objects.count()) == before
        batch.refresh_from_db()
        assert batch.status == ImportBatch.Status.PREVIEW

    client = people_a.console(people_a.channel_manager)
    page = client.get(reverse("partner_import_preview", args=[batch.pk])).content.decode()
    assert reverse("partner_import_apply", args=[batch.pk]) not in page
    response = client.post(reverse("partner_import_apply", args=[batch.pk]))
    assert response["Location"] == reverse("partner_import_preview", args=[batch.pk])
    with tenant_context(people_a.tenant):
        assert Partner.objects.count() == before[0]


def test_it_updates_an_existing_partner_found_by_corporate_number(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="旧社名株式会社", corporate_number=number(600), stage=Stage.RECRUITING,
                                 prefectures=["13"])
        text = csv_text(PARTNER_HEADER + ["phone"],
                        ["新社名株式会社", "シンシャメイ", "resale", "onboarding", number(600), "13|27", "03-1111-2222"])
        result = csv_io.preview("partners", text)
        assert [(row.action, sorted(row.changed)) for row in result.rows] == [
            ("update", ["name", "name_kana", "phone", "prefectures", "stage"])]
        count = Partner.objects.count()
        csv_io.apply(batch_for(text, people_a.vendor_admin), people_a.vendor_admin)
        partner.refresh_from_db()
        assert Partner.objects.count() == count
        assert (partner.name, partner.stage, partner.prefectures, partner.phone) == (
            "新社名株式会社", Stage.ONBOARDING, ["13", "27"], "03-1111-2222")
        kinds = list(PartnerEvent.objects.filter(partner=partner).values_list("kind", flat=True))
        assert {EventKind.UPDATED, EventKind.STAGE_CHANGED, EventKind.IMPORTED} <= set(kinds)
        assert kinds.count(EventKind.IMPORTED) == 1

        again = csv_io.preview("partners", text)
        assert [row.action for row in again.rows] == ["unchanged"]


def test_it_creates_a_sub_reseller_below_a_distributor_from_the_same_file(people_a):
    text = csv_text(
        PARTNER_HEADER + ["parent_corporate_number"],
        ["二次店株式会社", "", "resale", "", number(701), "", number(700)],
        ["一次店株式会社", "", "distributor", "", number(700), "", ""],
        ["自分が親株式会社", "", "distributor", "", number(702), "", number(702)],
    )
    with tenant_context(people_a.tenant):
        assert errors_by_line(csv_io.preview("partners", text)) == {4: ["parent_corporate_number"]}
        text = csv_text(PARTNER_HEADER + ["parent_corporate_number"],
                        ["二次店株式会社", "", "resale", "", number(701), "", number(700)],
                        ["一次店株式会社", "", "distributor", "", number(700), "", ""])
        csv_io.apply(batch_for(text, people_a.channel_manager), people_a.channel_manager)
        assert Partner.objects.get(name="二次店株式会社").parent.name == "一次店株式会社"

        # 一次店 below its own sub-reseller (now a distributor too) would be a loop.
        loop = csv_text(["name", "partner_type", "corporate_number", "parent_corporate_number"],
                        ["二次店株式会社", "distributor", number(701), number(700)],
                        ["一次店株式会社", "distributor", number(700), number(701)])
        result = csv_io.preview("partners", loop)
        assert errors_by_line(result) == {2: ["parent_corporate_number"], 3: ["parent_corporate_number"]}
        assert result.rows[1].errors[0].message == gettext("This parent would make the partner sit below itself.")


# --------------------------------------------------------------------------- contacts


def test_it_attaches_contacts_to_partners_by_corporate_number(people_a):
    with tenant_context(people_a.tenant):
        partner = PartnerFactory(name="連絡先のある株式会社", corporate_number=number(800))
        header = ["法人番号", "パートナー名", "氏名", "氏名カナ", "メールアドレス", "役職", "役割", "キーパーソン"]
        text = csv_text(
            header,
            [number(800), "", "山田 太郎", "ヤマダ タロウ", "Yamada@Example.JP", "部長", "決裁者", "はい"],
            ["", people_a.other_partner.name, "佐藤 花子", "", "", "", "", ""],
            [number(801), "", "迷子 一郎", "", "maigo@example.jp", "", "", ""],
        )
        result = csv_io.preview("contacts", text)
        assert errors_by_line(result) == {4: ["partner_corporate_number"]}

        text = csv_text(header, *[row for row in csv.reader(io.StringIO(text))][1:3])
        assert csv_io.preview("contacts", text).counts == {"create": 2, "update": 0, "unchanged": 0}
        csv_io.apply(batch_for(text, people_a.channel_manager, kind="contacts"), people_a.channel_manager)
        yamada = Contact.objects.get(email="yamada@example.jp")
        assert (yamada.partner, yamada.role, yamada.is_key_person, yamada.title) == (partner, "decision_maker", True, "部長")
        assert yamada.stage == "potential"
        assert Contact.objects.get(full_name="佐藤 花子").partner == people_a.other_partner
        event = PartnerEvent.objects.get(partner=partner, kind=EventKind.IMPORTED)
        assert event.data["contacts_created"] == 1
        assert PartnerEvent.objects.filter(partner=partner, kind=EventKind.CONTACT_ADDED).count() == 1

        changed = text.replace("部長", "取締役")
        result = csv_io.preview("contacts", changed)
        assert [(row.action, row.changed) for row in result.rows] == [("update", ["title"]), ("unchanged", [])]
        csv_io.apply(batch_for(changed, people_a.channel_manager, kind="contacts"), people_a.channel_manager)
        yamada.refresh_from_db()
        assert yamada.title == "取締役"
        assert Contact.objects.filter(partner=partner).count() == 1


def test_it_refuses_the_same_company_twice_in_a_file(people_a):
    text = csv_text(PARTNER_HEADER, ["同名商事", "", "resale", "", "", ""], ["同名商事", "", "agency", "", "", ""])
    with tenant_context(people_a.tenant):
        assert errors_by_line(csv_io.preview("partners", text)) == {3: ["name"]}


def test_it_refuses_the_same_contact_twice_in_a_file(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="重複株式会社", corporate_number=number(810))
        text = csv_text(["partner_corporate_number", "full_name", "email"],
                        [number(810), "一人目", "same@example.jp"], [number(810), "二人目", "SAME@example.jp"])
        assert errors_by_line(csv_io.preview("contacts", text)) == {3: ["email"]}


# --------------------------------------------------------------------------- export


def _rich_data(people):
    with tenant_context(people.tenant):
        distributor = partner_create(actor=None, name="一次代理店株式会社", partner_type=PartnerType.DISTRIBUTOR,
                                     corporate_number=number(900), stage=Stage.RETENTION)
        child = partner_create(
            actor=None, name="=HYPERLINK(\"x\")商事", name_kana="ハイパーリンク", partner_type=PartnerType.RESALE,
            parent=distributor, owner=people.channel_manager, prefectures=["01", "13"], industries=["it", "other"],
            corporate_number=number(901), invoice_number=f"T{number(901)}", website="https://example.co.jp",
            phone="+81-3-1234-5678", postal_code="100-0001", address="東京都千代田区1-1 〜 2F", bank_code="0001",
            bank_name="みずほ銀行", branch_code="001", branch_name="東京営業部", account_type="1",
            account_number="0012345", account_holder="ｶ)ﾃｽﾄ", co_selling_model="door_opener",
        )
        no_number_parent = partner_create(actor=None, name="番号なし代理店", partner_type=PartnerType.DISTRIBUTOR)
        partner_create(actor=None, name="孫店", partner_type=PartnerType.AGENCY, parent=no_number_parent)
        contact_save(partner=child, actor=None, full_name="山田 太郎", email="yamada@example.jp", role="sales_manager",
                     is_key_person=True, phone="0312345678")
        contact_save(partner=child, actor=None, full_name="名無し", email="")
        contact_save(partner=child, actor=None, full_name="名無し", email="", title="同名の二人目")
        return child


def test_it_round_trips_an_export_without_changes(people_a):
    child = _rich_data(people_a)
    with tenant_context(people_a.tenant):
        exported = csv_io.export_partners(selectors.partner_list())
        assert exported.startswith(b"\xef\xbb\xbf") and b"\r\n" in exported and exported.count(b"\n") == exported.count(b"\r\n")
        text, _encoding = csv_io.decode(exported, "auto")
        header, *records = csv.reader(io.StringIO(text))
        assert header == [column.key for column in csv_io.PARTNER_COLUMNS]
        cells = dict(zip(header, next(record for record in records if record[0].startswith("'=")), strict=True))
        # Excel keeps the leading zeros and all 13 digits, and runs no formula from the data.
        assert (cells["bank_code"], cells["account_number"], cells["corporate_number"]) == (
            '="0001"', '="0012345"', f'="{number(901)}"')
        assert (cells["name"], cells["phone"]) == ("'=HYPERLINK(\"x\")商事", "'+81-3-1234-5678")
        assert (cells["prefectures"], cells["parent_corporate_number"]) == ("北海道|東京都", f'="{number(900)}"')

        result = csv_io.preview("partners", text)
        assert not result.has_errors, result.messages()
        assert {row.action for row in result.rows} == {"unchanged"}
        assert len(result.rows) == Partner.objects.count()

        contacts = csv_io.export_contacts(Contact.objects.filter(partner=child))
        contact_text, _encoding = csv_io.decode(contacts, "auto")
        result = csv_io.preview("contacts", contact_text)
        assert not result.has_errors, result.messages()
        assert [row.action for row in result.rows] == ["unchanged"] * 3

        events = PartnerEvent.objects.count()
        counts = csv_io.apply(batch_for(text, people_a.channel_manager), people_a.channel_manager)
        assert (counts["create"], counts["update"]) == (0, 0)
        assert PartnerEvent.objects.count() == events


def test_it_exports_shift_jis_and_names_characters_it_cannot_hold(people_a):
    _rich_data(people_a)
    with tenant_context(people_a.tenant):
        exported = csv_io.export_partners(selectors.partner_list(), encoding="cp932")
        text = exported.decode("cp932")
        assert "一次代理店株式会社" in text and "〜" not in text and "～" in text
        assert csv_io.preview("partners", csv_io.decode(exported, "cp932")[0]).counts["create"] == 0

        PartnerFactory(name="𠮷野商店")
        with pytest.raises(ValidationError) as caught:
            csv_io.export_partners(selectors.partner_list(), encoding="cp932")
        assert "𠮷" in caught.value.messages[0] and "name" in caught.value.messages[0]
        assert csv_io.export_partners(selectors.partner_list()).decode("utf-8-sig").count("𠮷野商店") == 1


# --------------------------------------------------------------------------- speed


def test_it_imports_a_thousand_partners_with_a_bounded_number_of_queries(people_a):
    """Speed itself is a benchmark's business; what a test can hold is the work per row."""
    def queries_for(rows: int, start: int) -> int:
        text = csv_text(PARTNER_HEADER, *[[f"{row[0]}-{start}", *row[1:]] for row in good_rows(rows, start=start)])
        batch = batch_for(text, people_a.channel_manager)
        with CaptureQueriesContext(connection) as queries:
            counts = csv_io.apply(batch, people_a.channel_manager)
        assert counts["create"] == rows
        return len(queries)

    with tenant_context(people_a.tenant):
        few = queries_for(10, 20_000)
        many = queries_for(1000, 10_000)
        assert PartnerEvent.objects.filter(kind=EventKind.IMPORTED).count() == 1010
    # Six statements per partner (the partner, its event, its contact stage …) and no more: a query
    # added per row fails here, where a slower machine could never fail a stopwatch.
    assert many - few <= 990 * 6, (few, many)


# --------------------------------------------------------------------------- views


def _upload(client, data: bytes, kind: str = "partners"):
    return client.post(reverse("partner_import"),
                       {"kind": kind, "encoding": "auto", "file": SimpleUploadedFile("partners.csv", data)})


def test_it_lets_a_channel_manager_upload_preview_and_apply(people_a):
    client = people_a.console(people_a.channel_manager)
    assert client.get(reverse("partner_import")).status_code == 200
    response = _upload(client, csv_bytes(PARTNER_HEADER, *good_rows(2)))
    with tenant_context(people_a.tenant):
        batch = ImportBatch.objects.get()
        assert (batch.kind, batch.encoding, batch.uploaded_by) == ("partners", "utf-8", people_a.channel_manager)
    assert response["Location"] == reverse("partner_import_preview", args=[batch.pk])

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("partner_import_apply", args=[batch.pk]) in html
    assert "インポート商事0株式会社" in html

    applied = client.post(reverse("partner_import_apply", args=[batch.pk]))
    assert applied["Location"] == response["Location"]  # the preview page follows the worker's progress
    with tenant_context(people_a.tenant):
        assert ImportBatch.objects.get().status == "queued"
        csv_io.import_run(batch.pk)  # what the worker's task runs
        assert Partner.objects.filter(name__startswith="インポート商事").count() == 2
        assert ImportBatch.objects.get().status == "applied"
    assert client.post(reverse("partner_import_apply", args=[batch.pk]))["Location"] == response["Location"]


def test_it_lets_staff_discard_an_upload(people_a):
    client = people_a.console(people_a.vendor_admin)
    _upload(client, csv_bytes(PARTNER_HEADER, *good_rows(1)))
    with tenant_context(people_a.tenant):
        batch = ImportBatch.objects.get()
    assert client.post(reverse("partner_import_discard", args=[batch.pk]))["Location"] == reverse("partner_import")
    with tenant_context(people_a.tenant):
        batch.refresh_from_db()
        assert batch.status == "discarded"
        assert not Partner.objects.filter(name__startswith="インポート商事").exists()
    assert client.post(reverse("partner_import_apply", args=[batch.pk]))["Location"] == reverse(
        "partner_import_preview", args=[batch.pk])


def _a_batch(people) -> ImportBatch:
    with tenant_context(people.tenant):
        return batch_for(csv_text(PARTNER_HEADER, *good_rows(1)), people.channel_manager)


def test_it_forbids_partner_users(people_a):
    batch = _a_batch(people_a)
    client = people_a.console(people_a.partner_admin)
    assert client.get(reverse("partner_import")).status_code == 403
    assert client.get(reverse("partner_import_preview", args=[batch.pk])).status_code == 403
    assert client.post(reverse("partner_import_apply", args=[batch.pk])).status_code == 403
    assert client.get(reverse("partner_export")).status_code == 403
    assert client.get(reverse("contact_export")).status_code == 403
    with tenant_context(people_a.tenant):
        batch.refresh_from_db()
        assert batch.status == "preview"


def test_it_sends_anonymous_visitors_to_sign_in(people_a):
    batch = _a_batch(people_a)
    for url in (reverse("partner_import"), reverse("partner_import_preview", args=[batch.pk]), reverse("partner_export")):
        response = people_a.console().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_keeps_an_upload_inside_its_tenant(people_a, people_b):
    batch = _a_batch(people_a)
    client = people_b.console(people_b.channel_manager)
    assert client.get(reverse("partner_import_preview", args=[batch.pk])).status_code == 404
    assert client.post(reverse("partner_import_apply", args=[batch.pk])).status_code == 404
    assert client.post(reverse("partner_import_discard", args=[batch.pk])).status_code == 404
    with tenant_context(people_a.tenant):
        batch.refresh_from_db()
        assert batch.status == "preview"


def test_it_refuses_the_wrong_method(people_a):
    batch = _a_batch(people_a)
    client = people_a.console(people_a.channel_manager)
    assert client.get(reverse("partner_import_apply", args=[batch.pk])).status_code == 405
    assert client.get(reverse("partner_import_discard", args=[batch.pk])).status_code == 405
    assert client.post(reverse("partner_export")).status_code == 405
    assert client.post(reverse("partner_import_preview", args=[batch.pk])).status_code == 405


def test_it_exports_what_the_partner_list_shows(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="休眠株式会社", stage=Stage.DORMANT, corporate_number=number(950))
        contact_save(partner=people_a.partner, actor=None, full_name="一覧 外", email="out@example.jp")
    client = people_a.console(people_a.channel_manager)
    response = client.get(reverse("partner_export"), {"stage": "dormant"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="partners-{timezone.localdate():%Y%m%d}.csv"'
    text = response.content.decode("utf-8-sig")
    assert "休眠株式会社" in text and people_a.partner.name not in text

    sjis = client.get(reverse("partner_export"), {"encoding": "cp932"})
    assert "sjis" in sjis["Content-Disposition"]
    assert people_a.partner.name in sjis.content.decode("cp932")

    contacts = client.get(reverse("contact_export"), {"q": people_a.partner.name})
    assert "out@example.jp" in contacts.content.decode("utf-8-sig")
    assert "out@example.jp" not in client.get(reverse("contact_export"), {"stage": "dormant"}).content.decode("utf-8-sig")


def test_it_sends_back_to_the_list_when_shift_jis_cannot_hold_a_name(people_a):
    with tenant_context(people_a.tenant):
        PartnerFactory(name="𠮷野商店")
    response = people_a.console(people_a.channel_manager).get(reverse("partner_export"), {"encoding": "cp932", "stage": ""})
    assert response.status_code == 302 and response["Location"].startswith(reverse("partner_list"))


def test_it_refuses_an_owner_who_is_not_staff_even_in_capitals(people_a):
    with tenant_context(people_a.tenant):
        outsider = UserFactory(role="partner_rep", email="rep.capital@example.jp")
        text = csv_text(["name", "partner_type", "owner_email"], ["担当者テスト", "resale", outsider.email.upper()])
        assert errors_by_line(csv_io.preview("partners", text)) == {2: ["owner_email"]}
