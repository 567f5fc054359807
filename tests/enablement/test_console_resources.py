"""Console pages of the content library, study sessions, the question queue, the FAQ and announcements."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from enablement import services
from enablement.exports import headers as access_csv_headers
from enablement.models import (
    Announcement,
    AnnouncementRead,
    ContentAccess,
    ContentItem,
    ContentVersion,
    FaqEntry,
    PartnerQuestion,
    SessionSeat,
    StudySession,
)
from partners.models import ContactSignal, PartnerType, SignalKind
from prm.notifications.models import Notification
from tests.enablement.factories import (
    PDF,
    PNG,
    AnnouncementFactory,
    ContentItemFactory,
    FaqEntryFactory,
    StudySessionFactory,
)
from tests.factories import PartnerFactory, UserFactory

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64
LANGUAGE_COOKIE = "kyoso_language"


# --------------------------------------------------------------------------- helpers


@dataclass
class Things:
    item: int
    session: int
    waiting: int
    answered: int
    faq: int
    announcement: int


def _things(people) -> Things:
    """One of everything the pages show, in the persona's tenant."""
    with tenant_context(people.tenant):
        item = ContentItemFactory()
        session = StudySessionFactory()
        waiting = PartnerQuestion.objects.create(partner=people.partner, asked_by=people.partner_rep, text="納期は？",
                                                 status=PartnerQuestion.Status.WITH_VENDOR, escalated_at=timezone.now())
        answered = PartnerQuestion.objects.create(
            partner=people.partner, asked_by=people.partner_rep, text="保守料金は？", status=PartnerQuestion.Status.ANSWERED,
            escalated_at=timezone.now(), answer="年額15%です。", answered_by=people.vendor_admin,
            answered_at=timezone.now(), answered_by_vendor=True)
        return Things(item=item.pk, session=session.pk, waiting=waiting.pk, answered=answered.pk,
                      faq=FaqEntryFactory().pk, announcement=AnnouncementFactory().pk)


def _pages(t: Things) -> list[str]:
    """Every GET page of this part of the console."""
    return [
        "/enablement/library/", "/enablement/library/new/", "/enablement/library/accesses/",
        f"/enablement/library/{t.item}/", f"/enablement/library/{t.item}/edit/",
        f"/enablement/library/{t.item}/versions/1/file/",
        "/enablement/sessions/", "/enablement/sessions/new/", f"/enablement/sessions/{t.session}/",
        f"/enablement/sessions/{t.session}/edit/",
        "/enablement/questions/", f"/enablement/questions/{t.answered}/faq/",
        "/enablement/faq/", "/enablement/faq/new/", f"/enablement/faq/{t.faq}/edit/",
        "/enablement/announcements/", "/enablement/announcements/new/",
        f"/enablement/announcements/{t.announcement}/", f"/enablement/announcements/{t.announcement}/edit/",
    ]


def _post_only(t: Things) -> list[str]:
    return [
        f"/enablement/library/{t.item}/versions/", f"/enablement/sessions/{t.session}/invite/",
        f"/enablement/sessions/{t.session}/attendance/", f"/enablement/questions/{t.waiting}/answer/",
        f"/enablement/faq/{t.faq}/unpublish/",
    ]


def _object_urls(t: Things) -> list[str]:
    return [url for url in _pages(t) + _post_only(t) if any(character.isdigit() for character in url)]


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/accounts/login/" in response["Location"]


def _queries(client, url: str) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return len(captured), response


def _errors(response, form: str = "form") -> dict:
    return {field: list(errors) for field, errors in response.context[form].errors.items()}


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


# --------------------------------------------------------------------------- who may open what


@pytest.mark.parametrize("persona", ["vendor_admin", "channel_manager"])
def test_it_opens_every_page_to_vendor_staff(people_a, persona):
    client = people_a.console(getattr(people_a, persona))
    t = _things(people_a)
    for url in _pages(t):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("persona", ["partner_admin", "partner_rep"])
def test_it_refuses_every_page_to_partner_users(people_a, persona):
    client = people_a.console(getattr(people_a, persona))
    t = _things(people_a)
    for url in _pages(t):
        assert client.get(url).status_code == 403, url
    for url in _post_only(t):
        assert client.post(url, {}).status_code == 403, url
    with tenant_context(people_a.tenant):
        assert FaqEntry.objects.get(pk=t.faq).is_published
        assert PartnerQuestion.objects.get(pk=t.waiting).status == PartnerQuestion.Status.WITH_VENDOR


def test_it_sends_anonymous_visitors_to_sign_in(people_a):
    client = people_a.console()
    t = _things(people_a)
    for url in _pages(t):
        assert _is_login_redirect(client.get(url)), url
    for url in _post_only(t):
        assert _is_login_redirect(client.post(url, {})), url


def test_it_shows_another_vendors_objects_as_not_found(people_a, people_b):
    t = _things(people_b)
    with tenant_context(people_a.tenant):  # nothing of vendor A could answer to B's ids
        assert not (ContentItem.objects.exists() or StudySession.objects.exists() or PartnerQuestion.objects.exists()
                    or FaqEntry.objects.exists() or Announcement.objects.exists())
    client = people_a.console(people_a.vendor_admin)
    urls = _object_urls(t)
    assert len(urls) == 14
    for url in urls:
        response = client.post(url, {}) if url in _post_only(t) else client.get(url)
        assert response.status_code == 404, url


def test_it_answers_405_to_the_wrong_method(people_a):
    client = people_a.console(people_a.channel_manager)
    t = _things(people_a)
    for url in _post_only(t):
        assert client.get(url).status_code == 405, url
    read_only = [url for url in _pages(t) if not url.endswith(("/new/", "/edit/", "/faq/"))
                 or url == "/enablement/faq/"]
    assert len(read_only) == 10
    for url in read_only:
        assert client.post(url, {}).status_code == 405, url
    for url in _pages(t):
        assert client.delete(url).status_code == 405, url


# --------------------------------------------------------------------------- library


def _content_post(**overrides) -> dict:
    data = {"title": "導入事例：製造業A社", "kind": ContentItem.Kind.CASE_STUDY, "description": "導入の決め手",
            "tags": "製造業、事例, 製造業", "partner_types": [PartnerType.RESALE], "min_tier_rank": "0",
            "gated": "on", "is_published": "on", "notes": "初版",
            "file": SimpleUploadedFile("事例.pdf", PDF, content_type="application/pdf")}
    data.update(overrides)
    return data


def test_it_creates_an_item_with_its_first_version(people_a):
    client = people_a.console(people_a.channel_manager)
    response = client.post("/enablement/library/new/", _content_post())
    with tenant_context(people_a.tenant):
        item = ContentItem.objects.get()
        version = item.versions.get()
        assert response.status_code == 302 and response["Location"] == f"/enablement/library/{item.pk}/"
        assert (item.title, item.kind, item.tags, item.partner_types, item.gated, item.current_version) == (
            "導入事例：製造業A社", "case_study", ["事例", "製造業"], ["resale"], True, 1)
        assert (version.number, version.notes, version.uploaded_by) == (1, "初版", people_a.channel_manager)
        with version.file.open("rb") as handle:
            assert handle.read() == PDF
    page = client.get(f"/enablement/library/{item.pk}/").content.decode()
    assert f"/enablement/library/{item.pk}/versions/1/file/" in page
    assert "/media/" not in page


@pytest.mark.parametrize("name, content, limit, message", [
    ("見積書.pdf", EXE, None, "content does not match"),
    ("setup.exe", EXE, None, "are not allowed"),
    ("大きな資料.pdf", PDF, 10, "the limit is"),
])
def test_it_refuses_a_bad_upload_and_saves_nothing(people_a, monkeypatch, name, content, limit, message):
    if limit is not None:
        monkeypatch.setattr("enablement.services.library.LIBRARY_MAX_BYTES", limit)
    client = people_a.console(people_a.channel_manager)
    client.cookies[LANGUAGE_COOKIE] = "en"
    response = client.post("/enablement/library/new/", _content_post(file=SimpleUploadedFile(name, content)))
    assert response.status_code == 200
    errors = _errors(response)
    assert list(errors) == ["file"] and message in errors["file"][0]
    assert 'class="invalid-feedback d-block">' + errors["file"][0] in response.content.decode().replace("&#x27;", "'")
    with tenant_context(people_a.tenant):
        assert ContentItem.objects.count() == 0 and ContentVersion.objects.count() == 0


def test_it_edits_an_item(people_a):
    with tenant_context(people_a.tenant):
        item = ContentItemFactory(tags=["古いタグ"])
    client = people_a.console(people_a.channel_manager)
    form = client.get(f"/enablement/library/{item.pk}/edit/").context["form"]
    assert form.initial["tags"] == "古いタグ"
    response = client.post(f"/enablement/library/{item.pk}/edit/", {
        "title": "新しい題名", "kind": "talk_script", "description": "", "tags": "トーク", "min_tier_rank": "0"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        item.refresh_from_db()
        assert (item.title, item.kind, item.tags, item.is_published, item.gated) == (
            "新しい題名", "talk_script", ["トーク"], False, False)


def test_a_new_version_becomes_current_and_a_bad_one_changes_nothing(people_a):
    with tenant_context(people_a.tenant):
        item = ContentItemFactory()
    client = people_a.console(people_a.channel_manager)
    response = client.post(f"/enablement/library/{item.pk}/versions/",
                           {"file": SimpleUploadedFile("表紙.png", PNG), "notes": "表紙を差し替え"})
    assert response.status_code == 302
    refused = client.post(f"/enablement/library/{item.pk}/versions/", {"file": SimpleUploadedFile("x.pdf", EXE)})
    assert refused.status_code == 200 and list(_errors(refused, "version_form")) == ["file"]
    with tenant_context(people_a.tenant):
        item.refresh_from_db()
        assert item.current_version == 2
        assert list(item.versions.values_list("number", "notes")) == [(2, "表紙を差し替え"), (1, "")]
    download = client.get(f"/enablement/library/{item.pk}/versions/2/file/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(client.get(f"/enablement/library/{item.pk}/versions/1/file/").streaming_content) == PDF
    assert client.get(f"/enablement/library/{item.pk}/versions/3/file/").status_code == 404


def test_the_library_lists_filters_and_paginates(people_a):
    with tenant_context(people_a.tenant):
        ContentItemFactory(title="価格比較表", kind="comparison", tags=["価格"], with_file=False)
        ContentItemFactory(title="トークスクリプト", kind="talk_script", tags=["初回訪問"], is_published=False)
        ContentItemFactory.create_batch(50, with_file=False)
    client = people_a.console(people_a.channel_manager)

    def titles(query):
        return [item.title for item in client.get(f"/enablement/library/?{query}").context["page"]]

    assert titles("kind=comparison") == ["価格比較表"]
    assert titles("tag=初回訪問") == ["トークスクリプト"]
    assert titles("q=スクリプト") == ["トークスクリプト"]
    page = client.get("/enablement/library/?page=2").context["page"]
    assert page.number == 2 and len(page.object_list) == 2
    partial = client.get("/enablement/library/?q=価格", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "価格比較表" in partial.content.decode()
    assert "HX-Request" in partial["Vary"]


def test_the_library_costs_the_same_queries_for_3_or_50_items(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        ContentItemFactory.create_batch(3, tags=["提案", "製造業"])
    few, _ = _queries(client, "/enablement/library/")
    with tenant_context(people_a.tenant):
        for n in range(47):
            ContentItemFactory(tags=[f"タグ{n}"], partner_types=["resale", "agency"], min_tier_rank=n % 3, gated=n % 2 == 0)
    many, response = _queries(client, "/enablement/library/")
    assert len(response.context["page"].object_list) == 50
    assert many == few


# --------------------------------------------------------------------------- access log


def test_the_access_log_shows_a_partners_download_and_exports_it(people_a):
    with tenant_context(people_a.tenant):
        item = ContentItemFactory(title="提案書テンプレート（製造業向け）")
        other = ContentItemFactory(title="別の資料")
        services.content_access_record(item=other, user=people_a.other_partner_admin, action=ContentAccess.Action.VIEW)
        services.content_access_record(item=item, user=people_a.partner_rep, action=ContentAccess.Action.DOWNLOAD)
        item.refresh_from_db()
        assert (item.download_count, item.view_count) == (1, 0)
        assert ContactSignal.objects.filter(kind=SignalKind.CONTENT_DOWNLOADED, partner=people_a.partner).count() == 1
    client = people_a.console(people_a.channel_manager)

    def people(query=""):
        return [(a.partner.name, a.user.email, a.item.title, a.action)
                for a in client.get(f"/enablement/library/accesses/?{query}").context["page"]]

    download = (people_a.partner.name, people_a.partner_rep.email, "提案書テンプレート（製造業向け）", "download")
    assert people()[0] == download and len(people()) == 2
    assert people(f"partner={people_a.partner.pk}") == [download]
    assert people("action=download") == [download]
    assert people("item=製造業") == [download]
    today = timezone.localdate()
    assert people(f"since={today}&until={today}")[0] == download
    assert people(f"since={today + timedelta(days=1)}") == []
    assert people(f"until={today - timedelta(days=1)}") == []
    detail = client.get(f"/enablement/library/{item.pk}/")
    assert [a.user for a in detail.context["page"]] == [people_a.partner_rep]
    assert list(detail.context["top"]) == [{"partner_id": people_a.partner.pk, "partner__name": people_a.partner.name,
                                            "n": 1}]

    export = client.get(f"/enablement/library/accesses/?partner={people_a.partner.pk}&format=csv")
    assert export.status_code == 200 and export["Content-Type"] == "text/csv; charset=utf-8"
    assert export["Content-Disposition"].startswith("attachment")
    rows = _csv_rows(export)
    with translation.override("ja"):
        assert rows[0] == [str(h) for h in access_csv_headers()]
    assert len(rows) == 2
    assert rows[1][1:4] == [people_a.partner.name, people_a.partner_rep.get_full_name(), people_a.partner_rep.email]
    assert rows[1][5:7] == ["提案書テンプレート（製造業向け）", "1"]


def test_the_export_speaks_the_ui_language(people_a):
    with tenant_context(people_a.tenant):
        services.content_access_record(item=ContentItemFactory(), user=people_a.partner_rep,
                                       action=ContentAccess.Action.DOWNLOAD)
    client = people_a.console(people_a.channel_manager)
    client.cookies[LANGUAGE_COOKIE] = "en"
    rows = _csv_rows(client.get("/enablement/library/accesses/?format=csv"))
    assert rows[0][0] == "Date and time" and rows[1][-1] == "Downloaded"


@pytest.mark.parametrize("query, field", [
    ("since=2026-13-45", "since"),
    ("since=2026-05-10&until=2026-05-01", "until"),
    ("partner=999999", "partner"),
])
def test_the_access_log_refuses_bad_filters_clearly(people_a, query, field):
    with tenant_context(people_a.tenant):
        services.content_access_record(item=ContentItemFactory(), user=people_a.partner_rep,
                                       action=ContentAccess.Action.DOWNLOAD)
    client = people_a.console(people_a.channel_manager)
    response = client.get(f"/enablement/library/accesses/?{query}")
    assert response.status_code == 200
    assert list(_errors(response)) == [field]
    assert list(response.context["page"]) == []
    assert "invalid-feedback" in response.content.decode()
    partial = client.get(f"/enablement/library/accesses/?{query}", HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "alert-danger" in partial.content.decode()
    # the export with the same filters shows the page with the error instead of a file
    assert client.get(f"/enablement/library/accesses/?{query}&format=csv")["Content-Type"].startswith("text/html")


def test_the_access_log_costs_the_same_queries_for_2_or_60_rows(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        item = ContentItemFactory()
        services.content_access_record(item=item, user=people_a.partner_rep, action="download")
        services.content_access_record(item=item, user=people_a.partner_admin, action="view")
    few, _ = _queries(client, "/enablement/library/accesses/")
    with tenant_context(people_a.tenant):
        rows = []
        for _n in range(12):
            partner = PartnerFactory()
            user = UserFactory(role="partner_rep", partner=partner)
            content = ContentItemFactory()
            version = content.versions.get()
            rows += [ContentAccess(item=content, version=version, user=user, partner=partner,
                                   action="download" if k % 2 else "view") for k in range(5)]
        ContentAccess.objects.bulk_create(rows)
    many, response = _queries(client, "/enablement/library/accesses/")
    assert len(response.context["page"].object_list) == 50
    assert many == few


# --------------------------------------------------------------------------- study sessions


def _deal(partner, user, registered_at, name: str) -> DealRegistration:
    return DealRegistration.objects.create(
        partner=partner, customer_name=name, name_key=name, amount=1_200_000, expected_close=date(2026, 12, 25),
        registered_by=user, registered_at=registered_at)


def test_it_creates_a_session_and_refuses_an_end_before_the_start(people_a):
    client = people_a.console(people_a.channel_manager)
    data = {"title": "新製品勉強会", "kind": "study", "partner": "", "starts_at": "2026-09-01T14:00",
            "ends_at": "2026-09-01T13:00", "place": "オンライン", "agenda": "", "host": "", "capacity": "",
            "lead_window_minutes": "60"}
    refused = client.post("/enablement/sessions/new/", data)
    assert refused.status_code == 200 and list(_errors(refused)) == ["ends_at"]
    with tenant_context(people_a.tenant):
        assert not StudySession.objects.exists()
    response = client.post("/enablement/sessions/new/", {**data, "ends_at": "2026-09-01T15:30",
                                                          "partner": people_a.partner.pk, "capacity": "20"})
    with tenant_context(people_a.tenant):
        session = StudySession.objects.get()
        assert response["Location"] == f"/enablement/sessions/{session.pk}/"
        assert (session.partner, session.host, session.capacity) == (people_a.partner, people_a.channel_manager, 20)
        assert timezone.localtime(session.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-09-01 14:00"
    edit = client.post(f"/enablement/sessions/{session.pk}/edit/", {**data, "title": "勉強会（改）",
                                                                     "ends_at": "2026-09-01T16:00"})
    assert edit.status_code == 302
    with tenant_context(people_a.tenant):
        session.refresh_from_db()
        assert (session.title, session.partner, session.host) == ("勉強会（改）", None, people_a.channel_manager)


def test_invitations_respect_the_capacity(people_a):
    with tenant_context(people_a.tenant):
        session = StudySessionFactory(capacity=1)
    client = people_a.console(people_a.channel_manager)
    client.cookies[LANGUAGE_COOKIE] = "en"
    refused = client.post(f"/enablement/sessions/{session.pk}/invite/", {"partners": [people_a.partner.pk]})
    assert refused.status_code == 200
    assert refused.context["invite_form"].non_field_errors() == ["Only 1 seats are left; 2 people were invited."]
    assert "Only 1 seats are left; 2 people were invited." in refused.content.decode()
    with tenant_context(people_a.tenant):
        assert not SessionSeat.objects.exists()
    nobody = client.post(f"/enablement/sessions/{session.pk}/invite/", {})
    assert nobody.status_code == 200 and nobody.context["invite_form"].non_field_errors()
    ok = client.post(f"/enablement/sessions/{session.pk}/invite/", {"users": [people_a.partner_rep.pk]})
    assert ok.status_code == 302
    with tenant_context(people_a.tenant):
        assert list(SessionSeat.objects.values_list("user", flat=True)) == [people_a.partner_rep.pk]


def test_attendance_records_the_signal_and_leads_count_inside_the_window(people_a):
    now = timezone.now()
    with tenant_context(people_a.tenant):
        session = StudySessionFactory(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=2),
                                      lead_window_minutes=60)
    client = people_a.console(people_a.channel_manager)
    assert client.post(f"/enablement/sessions/{session.pk}/invite/", {"partners": [people_a.partner.pk]}).status_code == 302
    with tenant_context(people_a.tenant):
        seats = {seat.user_id: seat.pk for seat in SessionSeat.objects.filter(session=session)}
        assert set(seats) == {people_a.partner_admin.pk, people_a.partner_rep.pk}
    response = client.post(f"/enablement/sessions/{session.pk}/attendance/", {
        f"seat_{seats[people_a.partner_rep.pk]}": "attended", f"seat_{seats[people_a.partner_admin.pk]}": "absent"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        signals = ContactSignal.objects.filter(kind=SignalKind.SESSION_ATTENDED)
        assert list(signals.values_list("partner", "source")) == [
            (people_a.partner.pk, f"enablement.SessionSeat:{seats[people_a.partner_rep.pk]}")]
        inside = _deal(people_a.partner, people_a.partner_rep, session.starts_at + timedelta(minutes=30), "勉強会中の案件")
        _deal(people_a.partner, people_a.partner_rep, session.ends_at + timedelta(minutes=61), "窓の後の案件")
        _deal(people_a.partner, people_a.partner_rep, session.starts_at - timedelta(minutes=1), "開始前の案件")
        _deal(people_a.partner, people_a.partner_admin, session.starts_at + timedelta(minutes=30), "欠席者の案件")
    listed = client.get("/enablement/sessions/").context["page"].object_list
    assert [(s.pk, s.invited, s.attended, s.leads) for s in listed] == [(session.pk, 2, 1, 1)]
    detail = client.get(f"/enablement/sessions/{session.pk}/")
    assert [deal.pk for deal in detail.context["deals"]] == [inside.pk]
    assert f'href="/deals/{inside.pk}/"' in detail.content.decode()
    assert detail.context["counts"] == {"invited": 0, "registered": 0, "attended": 1, "absent": 1}
    # a corrected attendance takes its signal with it
    corrected = client.post(f"/enablement/sessions/{session.pk}/attendance/", {
        f"seat_{seats[people_a.partner_rep.pk]}": "absent", f"seat_{seats[people_a.partner_admin.pk]}": "absent"})
    assert corrected.status_code == 302
    with tenant_context(people_a.tenant):
        assert not ContactSignal.objects.filter(kind=SignalKind.SESSION_ATTENDED).exists()


def test_attendance_waits_for_the_start(people_a):
    with tenant_context(people_a.tenant):
        session = StudySessionFactory()
        seat = SessionSeat.objects.create(session=session, user=people_a.partner_rep)
    client = people_a.console(people_a.channel_manager)
    client.cookies[LANGUAGE_COOKIE] = "en"
    response = client.post(f"/enablement/sessions/{session.pk}/attendance/", {f"seat_{seat.pk}": "attended"},
                           follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Attendance can be taken once the session has started."]
    with tenant_context(people_a.tenant):
        seat.refresh_from_db()
        assert seat.status == "invited" and not ContactSignal.objects.filter(kind="session_attended").exists()
    bad = client.post(f"/enablement/sessions/{session.pk}/attendance/", {f"seat_{seat.pk}": "sleeping"})
    assert bad.status_code == 200 and bad.context["attendance_form"].errors


def test_the_session_list_costs_the_same_queries_for_1_or_12_sessions(people_a):
    client = people_a.console(people_a.channel_manager)
    now = timezone.now()
    with tenant_context(people_a.tenant):
        # one partner's session and one seat from the start: the page reads partners and seats once
        # whatever their number, and the comparison is about the number
        first = StudySessionFactory(partner=people_a.partner, starts_at=now - timedelta(days=3),
                                    ends_at=now - timedelta(days=3) + timedelta(hours=1))
        SessionSeat.objects.create(session=first, user=people_a.partner_rep, status="attended")
    few, _ = _queries(client, "/enablement/sessions/")
    with tenant_context(people_a.tenant):
        for n in range(11):
            session = StudySessionFactory(partner=people_a.partner if n % 2 else None,
                                          starts_at=now + timedelta(days=n - 5), ends_at=now + timedelta(days=n - 5, hours=1))
            SessionSeat.objects.create(session=session, user=people_a.partner_rep, status="attended")
    many, response = _queries(client, "/enablement/sessions/")
    assert len(response.context["upcoming"]) + len(response.context["page"].object_list) == 12
    assert many == few


# --------------------------------------------------------------------------- questions and FAQ


def _escalated(people, hours: int) -> PartnerQuestion:
    with tenant_context(people.tenant):
        question = services.question_ask(actor=people.partner_rep, text="大口割引の条件を教えてください。")
        assert question.status == PartnerQuestion.Status.WITH_MANAGER
        services.question_escalate(question=question, actor=people.partner_admin)
        then = timezone.now() - timedelta(hours=hours, minutes=5)
        PartnerQuestion.objects.filter(pk=question.pk).update(asked_at=then - timedelta(hours=1), escalated_at=then)
        question.refresh_from_db()
        return question


def test_an_escalated_question_waits_in_the_queue_and_the_vendor_answers_it(people_a):
    question = _escalated(people_a, hours=3)
    client = people_a.console(people_a.channel_manager)
    queue = client.get("/enablement/questions/")
    waiting = list(queue.context["page"])
    assert [(q.pk, q.waiting) for q in waiting] == [(question.pk, "3時間")]
    assert "3時間" in queue.content.decode() and people_a.partner.name in queue.content.decode()
    client.cookies[LANGUAGE_COOKIE] = "en"
    assert [q.waiting for q in client.get("/enablement/questions/").context["page"]] == ["3\xa0hours"]

    empty = client.post(f"/enablement/questions/{question.pk}/answer/", {f"q{question.pk}-answer": "  "})
    assert empty.status_code == 302
    with tenant_context(people_a.tenant):
        assert PartnerQuestion.objects.get(pk=question.pk).status == PartnerQuestion.Status.WITH_VENDOR
    answered = client.post(f"/enablement/questions/{question.pk}/answer/", {f"q{question.pk}-answer": "年間100万円以上で5%です。"})
    assert answered.status_code == 302 and answered["Location"] == "/enablement/questions/"
    with tenant_context(people_a.tenant):
        question.refresh_from_db()
        assert (question.status, question.answer, question.answered_by, question.answered_by_vendor) == (
            "answered", "年間100万円以上で5%です。", people_a.channel_manager, True)
        assert Notification.objects.filter(user=people_a.partner_rep, kind="question_answered").exists()
    after = client.get("/enablement/questions/")
    assert list(after.context["page"]) == [] and [q.pk for q in after.context["answered"]] == [question.pk]
    assert after.context["vendor_time"] == "3\xa0hours" and after.context["manager_time"] is None
    again = client.post(f"/enablement/questions/{question.pk}/answer/", {f"q{question.pk}-answer": "二度目"})
    assert again.status_code == 302
    with tenant_context(people_a.tenant):
        question.refresh_from_db()
        assert question.answer == "年間100万円以上で5%です。"


def test_an_answered_question_becomes_an_faq_entry(people_a):
    question = _escalated(people_a, hours=1)
    with tenant_context(people_a.tenant):
        services.question_answer(question=question, actor=people_a.vendor_admin, answer="5%です。")
    client = people_a.console(people_a.channel_manager)
    form = client.get(f"/enablement/questions/{question.pk}/faq/").context["form"]
    assert form.initial == {"question": "大口割引の条件を教えてください。", "answer": "5%です。"}
    refused = client.post(f"/enablement/questions/{question.pk}/faq/", {"question": "", "answer": "5%です。"})
    assert refused.status_code == 200 and list(_errors(refused)) == ["question"]
    response = client.post(f"/enablement/questions/{question.pk}/faq/",
                           {"question": "大口割引の条件は？", "answer": "年間100万円以上で5%です。", "tags": "価格、割引"})
    assert response.status_code == 302 and response["Location"] == "/enablement/faq/"
    with tenant_context(people_a.tenant):
        entry = FaqEntry.objects.get()
        question.refresh_from_db()
        assert question.faq == entry
        assert (entry.question, entry.tags, entry.is_published) == ("大口割引の条件は？", ["価格", "割引"], True)
        assert list(services.faq_search("割引")) == [entry]
    assert client.get(f"/enablement/questions/{question.pk}/faq/").status_code == 302  # already in the FAQ
    faq = client.get("/enablement/faq/")
    assert [(e.pk, e.question_count) for e in faq.context["page"]] == [(entry.pk, 1)]


def test_a_question_still_with_the_partner_cannot_become_an_faq_entry(people_a):
    with tenant_context(people_a.tenant):
        question = services.question_ask(actor=people_a.partner_rep, text="まだ社内で検討中の質問です。")
    client = people_a.console(people_a.channel_manager)
    assert client.get(f"/enablement/questions/{question.pk}/faq/").status_code == 302
    assert client.post(f"/enablement/questions/{question.pk}/faq/", {"question": "Q", "answer": "A"}).status_code == 302
    with tenant_context(people_a.tenant):
        assert not FaqEntry.objects.exists()


def test_faq_entries_are_created_edited_searched_and_unpublished(people_a):
    client = people_a.console(people_a.channel_manager)
    refused = client.post("/enablement/faq/new/", {"question": "", "answer": ""})
    assert refused.status_code == 200 and set(_errors(refused)) == {"question", "answer"}
    created = client.post("/enablement/faq/new/", {"question": "デモ環境はありますか？", "answer": "あります。",
                                                    "tags": "デモ", "is_published": "on"})
    assert created.status_code == 302
    with tenant_context(people_a.tenant):
        entry = FaqEntry.objects.get()
        FaqEntryFactory(question="請求書の送付先は？")
    assert client.get(f"/enablement/faq/{entry.pk}/edit/").context["form"].initial["tags"] == "デモ"
    client.post(f"/enablement/faq/{entry.pk}/edit/", {"question": "デモ環境は使えますか？", "answer": "申請制です。",
                                                      "tags": "デモ, 申請", "is_published": "on"})
    assert [e.question for e in client.get("/enablement/faq/?q=デモ").context["page"]] == ["デモ環境は使えますか？"]
    assert client.post(f"/enablement/faq/{entry.pk}/unpublish/").status_code == 302
    with tenant_context(people_a.tenant):
        entry.refresh_from_db()
        assert (entry.answer, entry.tags, entry.is_published) == ("申請制です。", ["デモ", "申請"], False)
        assert list(services.faq_search("デモ")) == []
    assert [e.pk for e in client.get("/enablement/faq/?q=デモ").context["page"]] == [entry.pk]  # still in the console


# --------------------------------------------------------------------------- announcements


def _referral_user():
    return UserFactory(role="partner_rep", partner=PartnerFactory(partner_type=PartnerType.REFERRAL))


def test_it_publishes_an_announcement_and_notifies_its_audience(people_a):
    with tenant_context(people_a.tenant):
        outsider = _referral_user()
    client = people_a.console(people_a.channel_manager)
    response = client.post("/enablement/announcements/new/", {
        "kind": "news", "title": "価格改定のお知らせ", "body": "10月から価格を改定します。",
        "partner_types": ["resale"], "min_tier_rank": "0", "notify_partners": "on"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        announcement = Announcement.objects.get()
        assert announcement.partner_types == ["resale"] and announcement.published_at <= timezone.now()
        notified = set(Notification.objects.filter(kind="announcement").values_list("user", flat=True))
        assert notified == {people_a.partner_admin.pk, people_a.partner_rep.pk, people_a.other_partner_admin.pk}
        assert outsider.pk not in notified
    quiet = client.post("/enablement/announcements/new/", {"kind": "roadmap", "title": "新機能", "body": "予定です。",
                                                           "min_tier_rank": "0", "early_access": "on"})
    assert quiet.status_code == 302
    with tenant_context(people_a.tenant):
        assert Notification.objects.filter(kind="announcement").count() == 3
    refused = client.post("/enablement/announcements/new/", {"kind": "news", "title": "", "body": "", "min_tier_rank": "0"})
    assert refused.status_code == 200 and set(_errors(refused)) == {"title", "body"}


def test_read_receipts_count_the_audience(people_a):
    with tenant_context(people_a.tenant):
        _referral_user()
        announcement = AnnouncementFactory(partner_types=["resale"])
        for_all = AnnouncementFactory()
        early = AnnouncementFactory(early_access=True)  # no partner has a tier with early roadmap access
        services.announcement_read(announcement=announcement, user=people_a.partner_rep)
    client = people_a.console(people_a.channel_manager)
    rows = {a.pk: (a.read_count, a.audience_size) for a in client.get("/enablement/announcements/").context["page"]}
    assert rows == {announcement.pk: (1, 3), for_all.pk: (0, 4), early.pk: (0, 0)}
    receipts = client.get(f"/enablement/announcements/{announcement.pk}/").context["receipts"]
    assert [(r.user, r.user.partner_membership.partner) for r in receipts.read] == [(people_a.partner_rep, people_a.partner)]
    assert {u.pk for u in receipts.unread} == {people_a.partner_admin.pk, people_a.other_partner_admin.pk}
    assert receipts.audience_size == 3


def test_the_announcement_list_costs_the_same_queries_for_1_or_12(people_a):
    client = people_a.console(people_a.channel_manager)
    with tenant_context(people_a.tenant):
        AnnouncementFactory()
    few, _ = _queries(client, "/enablement/announcements/")
    with tenant_context(people_a.tenant):
        for n in range(11):
            announcement = AnnouncementFactory(partner_types=["resale"] if n % 2 else [], min_tier_rank=n % 3)
            AnnouncementRead.objects.create(announcement=announcement, user=people_a.partner_rep)
            PartnerFactory()
    many, response = _queries(client, "/enablement/announcements/")
    assert len(response.context["page"].object_list) == 12
    assert many == few


def test_an_announcement_is_edited_without_losing_its_receipts(people_a):
    with tenant_context(people_a.tenant):
        announcement = AnnouncementFactory()
        services.announcement_read(announcement=announcement, user=people_a.partner_rep)
    client = people_a.console(people_a.channel_manager)
    response = client.post(f"/enablement/announcements/{announcement.pk}/edit/", {
        "kind": "roadmap", "title": "題名を訂正", "body": "本文", "min_tier_rank": "0", "target_date": "2026-12-01"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        announcement.refresh_from_db()
        assert (announcement.kind, announcement.title, announcement.target_date) == ("roadmap", "題名を訂正", date(2026, 12, 1))
        assert announcement.reads.count() == 1
