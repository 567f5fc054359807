"""Customer lists in: upload, preview, all or nothing, bad input named by line, complete deletion."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from django_tenants.utils import tenant_context

from mapping import csv_lists
from mapping.models import CustomerList, CustomerRecord, ListUpload, OverlapMatch
from tests.mapping.factories import csv_bytes, direct_account, english, number, upload_list


def _post(client, raw: bytes, population: str = "customers", name: str = "顧客.csv"):
    return client.post("/mapping/upload/", {"population": population, "encoding": "auto",
                                            "file": SimpleUploadedFile(name, raw, content_type="text/csv")})


def test_it_imports_a_shift_jis_list_with_the_matchers_keys_after_the_preview(people_a):
    portal = english(people_a.portal(people_a.partner_admin))
    raw = csv_bytes(["株式会社サンプル商事", number(1), "taro@sales.sample.co.jp", "製造業", "120", "大阪府"],
                    ["(株)東京ロジ", "", "https://www.tokyo-logi.jp/", "H", "10-49", "東京"],
                    encoding="cp932")
    response = _post(portal, raw)
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        upload = ListUpload.objects.get()
        assert upload.encoding == "cp932" and not CustomerList.objects.exists()
    preview = portal.get(response["Location"])
    assert preview.status_code == 200
    assert "株式会社サンプル商事" in preview.content.decode()
    assert portal.post(f"/mapping/uploads/{upload.pk}/apply/").status_code == 302
    with tenant_context(people_a.tenant):
        records = {r.customer_name: r for r in CustomerRecord.objects.filter(customer_list__partner=people_a.partner)}
        first, second = records["株式会社サンプル商事"], records["(株)東京ロジ"]
        assert (first.name_key, first.corporate_key, first.domain_key) == ("サンプル商事", number(1), "sample.co.jp")
        assert (first.industry, first.employee_band, first.prefecture) == ("E", "100-299", "27")
        assert (second.name_key, second.corporate_key, second.domain_key) == ("東京ロジ", "", "tokyo-logi.jp")
        assert (second.industry, second.employee_band, second.prefecture) == ("H", "10-49", "13")
        assert not ListUpload.objects.exists()


@pytest.mark.parametrize(("rows", "expected"), [
    ([["株式会社A", "", "a.co.jp", "", "", ""], ["", "", "b.co.jp", "", "", ""]], "Line 3"),
    ([["株式会社A", "", "", "", "", ""], ["株式会社B", "1234567890123", "", "", "", ""]], "Line 3"),
    ([["株式会社A", number(7), "", "", "", ""], ["エー", number(7), "", "", "", ""]], "line 2"),
    ([["株式会社A", "", "", "", "", ""], ["Ａ（株）", "", "", "", "", ""]], "line 2"),
    ([["株式会社A", "", "", "Z", "", ""]], "Line 2"),
])
def test_a_bad_line_is_named_and_nothing_is_imported(people_a, rows, expected):
    portal = english(people_a.portal(people_a.partner_admin))
    response = _post(portal, csv_bytes(*rows))
    preview = portal.get(response["Location"])
    assert expected in preview.content.decode()
    with tenant_context(people_a.tenant):
        upload = ListUpload.objects.get()
    applied = portal.post(f"/mapping/uploads/{upload.pk}/apply/", follow=True)
    assert expected in applied.content.decode()
    with tenant_context(people_a.tenant):
        assert not CustomerRecord.objects.exists() and not CustomerList.objects.exists()


def test_a_file_in_another_encoding_is_refused_naming_the_line(people_a):
    portal = english(people_a.portal(people_a.partner_admin))
    raw = "会社名\n株式会社A\n株式会社B\n".encode("utf-8") + "株式会社C\n".encode("euc-jp") + b"\x80\xff\n"
    response = _post(portal, raw)
    assert response.status_code == 200
    assert "line 4" in response.content.decode() or "line 5" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not ListUpload.objects.exists() and not CustomerList.objects.exists()


def test_more_than_100000_rows_are_refused_naming_the_line(people_a):
    text = "name\n" + "".join(f"会社{n}\n" for n in range(csv_lists.MAX_ROWS + 1))
    with translation.override("en"):  # messages are in the reader's language
        table = csv_lists.read(text)
    assert table.file_errors == ["Line 100,002: the file has more than 100,000 records; split it into several lists."]
    portal = english(people_a.portal(people_a.partner_admin))
    response = _post(portal, text.encode())
    assert "100,002" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not ListUpload.objects.exists() and not CustomerRecord.objects.exists()


def test_exactly_100000_rows_are_accepted_by_the_reader():
    text = "name\n" + "".join(f"会社{n}\n" for n in range(csv_lists.MAX_ROWS))
    assert not csv_lists.read(text).has_errors


def test_a_new_upload_replaces_the_list_and_delete_removes_records_keys_and_matches(people_a):
    with tenant_context(people_a.tenant):
        direct_account("株式会社共通", domain="common.co.jp")
        upload_list(people_a.partner_admin, people_a.partner, ["共通株式会社", "", "", "", "", ""],
                    ["独自株式会社", "", "", "", "", ""])
        assert OverlapMatch.objects.filter(partner=people_a.partner).count() == 1
        upload_list(people_a.partner_admin, people_a.partner, ["共通株式会社", "", "", "", "", ""])
        assert CustomerRecord.objects.count() == 1
        customer_list = CustomerList.objects.get()
    portal = english(people_a.portal(people_a.partner_admin))
    assert portal.post(f"/mapping/lists/{customer_list.pk}/delete/").status_code == 302
    with tenant_context(people_a.tenant):
        assert not CustomerList.objects.exists()
        assert not CustomerRecord.objects.exists()
        assert not OverlapMatch.objects.exists()


def test_only_the_partners_own_admin_may_upload_preview_apply_or_delete(people_a, people_b):
    with tenant_context(people_a.tenant):
        customer_list = upload_list(people_a.partner_admin, people_a.partner, ["株式会社A", "", "", "", "", ""])
    own = people_a.portal(people_a.partner_admin)
    own_upload = _post(own, csv_bytes(["株式会社B", "", "", "", "", ""]))
    with tenant_context(people_a.tenant):
        upload = ListUpload.objects.get()
    rep = people_a.portal(people_a.partner_rep)
    other = people_a.portal(people_a.other_partner_admin)
    assert own_upload.status_code == 302
    assert rep.get("/mapping/upload/").status_code == 403
    assert rep.post(f"/mapping/lists/{customer_list.pk}/delete/").status_code == 403
    for client, status in ((other, 404),):
        assert client.get(f"/mapping/uploads/{upload.pk}/").status_code == status
        assert client.post(f"/mapping/uploads/{upload.pk}/apply/").status_code == status
        assert client.post(f"/mapping/uploads/{upload.pk}/discard/").status_code == status
        assert client.post(f"/mapping/lists/{customer_list.pk}/delete/").status_code == status
    other_tenant = people_b.portal(people_b.partner_admin)
    assert other_tenant.get(f"/mapping/uploads/{upload.pk}/").status_code == 404
    assert other_tenant.post(f"/mapping/lists/{customer_list.pk}/delete/").status_code == 404
    assert people_a.console(people_a.partner_admin).get("/mapping/").status_code == 403
    assert own.get("/mapping/upload/", {"x": 1}).status_code == 200
    assert own.put("/mapping/upload/").status_code == 405
    with tenant_context(people_a.tenant):
        assert CustomerList.objects.filter(pk=customer_list.pk).exists()
        assert ListUpload.objects.filter(pk=upload.pk).exists()


def test_the_vendor_imports_its_target_list_the_same_way_in_the_console(people_a):
    console = english(people_a.console(people_a.channel_manager))
    response = _post(console, csv_bytes(["株式会社ターゲット", "", "target.co.jp", "G", "1000+", "13"]), "targets")
    assert response.status_code == 302
    assert console.get(response["Location"]).status_code == 200
    with tenant_context(people_a.tenant):
        upload = ListUpload.objects.get()
    assert console.post(f"/mapping/uploads/{upload.pk}/apply/").status_code == 302
    with tenant_context(people_a.tenant):
        target = CustomerList.objects.get(partner__isnull=True)
        assert target.population == "targets" and target.row_count == 1
    # a partner may not upload into the vendor's populations
    portal = english(people_a.portal(people_a.partner_admin))
    assert _post(portal, csv_bytes(["株式会社X", "", "", "", "", ""]), "targets").status_code == 200


def test_the_vendor_never_opens_a_partners_pending_upload_nor_replaces_a_recruited_partners_list(people_a):
    portal = english(people_a.portal(people_a.partner_admin))
    _post(portal, csv_bytes(["秘密の顧客株式会社", "", "", "", "", ""]))
    with tenant_context(people_a.tenant):
        upload = ListUpload.objects.get()
        customer_list = upload_list(people_a.partner_admin, people_a.partner, ["株式会社A", "", "", "", "", ""])
    console = people_a.console(people_a.channel_manager)
    assert console.get(f"/mapping/uploads/{upload.pk}/").status_code == 404
    assert console.post(f"/mapping/uploads/{upload.pk}/apply/").status_code == 404
    assert console.post(f"/mapping/uploads/{upload.pk}/discard/").status_code == 404
    assert console.get(f"/mapping/upload/?partner={people_a.partner.pk}").status_code == 403
    assert console.post(f"/mapping/lists/{customer_list.pk}/delete/").status_code == 403
    assert "秘密の顧客" not in console.get(f"/mapping/partners/{people_a.partner.pk}/").content.decode()
    with tenant_context(people_a.tenant):
        assert CustomerList.objects.filter(pk=customer_list.pk).exists() and ListUpload.objects.filter(pk=upload.pk).exists()
