"""Study sessions as a rep meets them in the portal: invited or registered, cancelling (which frees the seat),
the join link around the session time, and the session as an .ics calendar file."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from enablement import services
from enablement.calendar import escape_text, fold, utc_stamp
from enablement.models import SessionSeat, StudySession
from partners.models import ContactSignal, SignalKind
from tests.enablement.factories import StudySessionFactory
from tests.partners.factories import ContactFactory

LANGUAGE_COOKIE = "kyoso_language"
FAR = 987_654  # a primary key tenant A never reaches in a test run
MEETING = "https://meet.example.com/abc-defg-hij"


def _english(client):
    client.cookies[LANGUAGE_COOKIE] = "en"
    return client


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _status(session: StudySession, user) -> str | None:
    return SessionSeat.objects.filter(session=session, user=user).values_list("status", flat=True).first()


def test_an_invited_rep_registers_and_a_rep_who_joins_is_registered_at_once(people_a):
    with tenant_context(people_a.tenant):
        session = StudySessionFactory(title="新製品勉強会")
    console = people_a.console(people_a.channel_manager)
    assert console.post(f"/enablement/sessions/{session.pk}/invite/", {"users": [people_a.partner_rep.pk]}).status_code == 302
    rep = _english(people_a.portal(people_a.partner_rep))
    listing = rep.get("/sessions/").content.decode()
    assert 'badge text-bg-info">Invited<' in listing
    page = rep.get(f"/sessions/{session.pk}/").content.decode()
    assert "You are invited to this session" in page and f'action="/sessions/{session.pk}/join/"' in page
    assert rep.post(f"/sessions/{session.pk}/join/").status_code == 302
    colleague = people_a.portal(people_a.partner_admin)
    assert colleague.post(f"/sessions/{session.pk}/join/").status_code == 302
    with tenant_context(people_a.tenant):
        assert _status(session, people_a.partner_rep) == _status(session, people_a.partner_admin) == "registered"
    assert "You are registered for this session." in rep.get(f"/sessions/{session.pk}/").content.decode()
    assert 'badge text-bg-success">Registered<' in rep.get("/sessions/").content.decode()
    detail = console.get(f"/enablement/sessions/{session.pk}/")
    assert detail.context["counts"] == {"invited": 0, "registered": 2, "attended": 0, "absent": 0}


def test_a_rep_cancels_before_the_start_and_the_seat_is_free_again(people_a):
    now = timezone.now()
    rep, colleague = people_a.partner_rep, people_a.partner_admin
    with tenant_context(people_a.tenant):
        ContactFactory(partner=people_a.partner, user=rep)
        session = StudySessionFactory(capacity=1, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1),
                                      host=people_a.channel_manager)
        seat = SessionSeat.objects.create(session=session, user=rep, status="registered")
        # attendance taken by mistake before the session was moved to next week
        services.attendance_mark(session=session, actor=people_a.channel_manager, statuses={seat.pk: "attended"})
        assert ContactSignal.objects.filter(kind=SignalKind.SESSION_ATTENDED, source=f"enablement.SessionSeat:{seat.pk}").exists()
        services.session_save(actor=people_a.channel_manager, session=session, starts_at=now + timedelta(days=7),
                              ends_at=now + timedelta(days=7, hours=1))
        SessionSeat.objects.filter(pk=seat.pk).update(status="registered")
    portal = _english(people_a.portal(rep))
    other = _english(people_a.portal(colleague))
    assert _messages(other.post(f"/sessions/{session.pk}/join/", follow=True)) == ["This session is full."]
    assert "Cancel my registration" in portal.get(f"/sessions/{session.pk}/").content.decode()
    assert portal.get(f"/sessions/{session.pk}/cancel/").status_code == 405
    cancelled = portal.post(f"/sessions/{session.pk}/cancel/", follow=True)
    assert _messages(cancelled) == ["Your registration is cancelled; the seat is free for someone else."]
    assert "Join this session" in cancelled.content.decode()
    with tenant_context(people_a.tenant):
        assert _status(session, rep) is None
        assert not ContactSignal.objects.filter(kind=SignalKind.SESSION_ATTENDED).exists()
    assert _messages(portal.post(f"/sessions/{session.pk}/cancel/", follow=True)) == [
        "You are not registered for this session."]
    assert _messages(other.post(f"/sessions/{session.pk}/join/", follow=True)) == ["You are registered for this session."]

    with tenant_context(people_a.tenant):
        StudySession.objects.filter(pk=session.pk).update(starts_at=now - timedelta(minutes=5))
    late = _english(people_a.portal(colleague)).post(f"/sessions/{session.pk}/cancel/", follow=True)
    assert _messages(late) == ["This session has already started."]
    with tenant_context(people_a.tenant):
        assert _status(session, colleague) == "registered"


def test_nobody_cancels_a_seat_of_another_partners_session_or_another_tenants(people_a, people_b):
    with tenant_context(people_a.tenant):
        theirs = StudySessionFactory(partner=people_a.other_partner)
        SessionSeat.objects.create(session=theirs, user=people_a.other_partner_admin, status="registered")
    with tenant_context(people_b.tenant):
        StudySessionFactory(pk=FAR)
    rep = people_a.portal(people_a.partner_rep)
    for pk in (theirs.pk, FAR):
        assert rep.post(f"/sessions/{pk}/cancel/").status_code == 404
        assert rep.get(f"/sessions/{pk}/calendar.ics").status_code == 404
    with tenant_context(people_a.tenant):
        assert _status(theirs, people_a.other_partner_admin) == "registered"
    anonymous = people_a.portal().post(f"/sessions/{theirs.pk}/cancel/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_the_join_link_shows_to_registered_people_only_and_only_around_the_session(people_a):
    now = timezone.now()
    with tenant_context(people_a.tenant):
        soon = StudySessionFactory(join_url=MEETING, starts_at=now + timedelta(minutes=10), ends_at=now + timedelta(hours=1))
        later = StudySessionFactory(join_url=MEETING, starts_at=now + timedelta(days=2))
        for session in (soon, later):
            SessionSeat.objects.create(session=session, user=people_a.partner_rep, status="registered")
            SessionSeat.objects.create(session=session, user=people_a.partner_admin, status="invited")
    rep = _english(people_a.portal(people_a.partner_rep))
    assert f'href="{MEETING}"' in rep.get(f"/sessions/{soon.pk}/").content.decode()
    waiting = rep.get(f"/sessions/{later.pk}/").content.decode()
    assert MEETING not in waiting and "The meeting link appears here from" in waiting
    invited = people_a.portal(people_a.partner_admin).get(f"/sessions/{soon.pk}/").content.decode()
    assert MEETING not in invited
    stranger = people_a.portal(people_a.other_partner_admin).get(f"/sessions/{soon.pk}/").content.decode()
    assert MEETING not in stranger
    with tenant_context(people_a.tenant):
        StudySession.objects.filter(pk=soon.pk).update(starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))
    assert MEETING not in rep.get(f"/sessions/{soon.pk}/").content.decode()  # over


def test_the_console_takes_only_http_or_https_join_links(people_a):
    client = people_a.console(people_a.channel_manager)
    data = {"title": "オンライン勉強会", "kind": "study", "starts_at": "2026-09-01T14:00", "ends_at": "2026-09-01T15:00",
            "lead_window_minutes": 60}
    for bad in ("javascript:alert(1)", "ftp://files.example.com/x", "not a link"):
        refused = client.post("/enablement/sessions/new/", {**data, "join_url": bad})
        assert refused.status_code == 200 and "join_url" in refused.context["form"].errors, bad
    with tenant_context(people_a.tenant):
        assert not StudySession.objects.exists()
    with tenant_context(people_a.tenant), pytest.raises(ValidationError) as refused_by_service:
        services.session_save(actor=people_a.channel_manager, title="x", starts_at=timezone.now(),
                              ends_at=timezone.now() + timedelta(hours=1), join_url="ftp://files.example.com/x")
    assert "join_url" in refused_by_service.value.message_dict
    saved = client.post("/enablement/sessions/new/", {**data, "join_url": MEETING})
    assert saved.status_code == 302
    with tenant_context(people_a.tenant):
        assert StudySession.objects.get().join_url == MEETING


# --------------------------------------------------------------------------- the calendar file


def _parse_ics(body: bytes) -> list[tuple[str, str]]:
    """(name, raw value) of each content line, after checking the framing RFC 5545 asks for: CRLF line ends,
    no line over 75 octets, continuation lines unfolded."""
    text = body.decode("utf-8")
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert max(len(line.encode("utf-8")) for line in physical) <= 75
    lines: list[str] = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    parsed = []
    for line in lines:
        name, separator, value = line.partition(":")
        assert separator and re.fullmatch(r"[A-Z-]+", name), line
        parsed.append((name, value))
    return parsed


def _unescape(value: str) -> str:
    assert not re.search(r"(?<!\\)(\\\\)*[,;]", value), value  # every comma and semicolon escaped
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_the_calendar_file_has_utc_times_a_stable_uid_and_escaped_text(people_a):
    tokyo_ten = datetime(2026, 12, 24, 10, 0, tzinfo=timezone.get_default_timezone())
    title = "年末勉強会; 新製品, 価格\\改定"
    agenda = "1. 新製品の紹介（デモあり）とパートナー様向け価格改定のご説明\n2. 質疑応答; 懇親会, 自由参加"
    with tenant_context(people_a.tenant):
        session = StudySessionFactory(title=title, agenda=agenda, place="本社 3F, 会議室A", starts_at=tokyo_ten,
                                      ends_at=tokyo_ten + timedelta(minutes=90), join_url=MEETING)
        second = StudySessionFactory()
        SessionSeat.objects.create(session=session, user=people_a.partner_rep, status="registered")
    rep = people_a.portal(people_a.partner_rep)
    assert f'href="/sessions/{session.pk}/calendar.ics"' in rep.get(f"/sessions/{session.pk}/").content.decode()
    response = rep.get(f"/sessions/{session.pk}/calendar.ics")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="session-{session.pk}.ics"'
    lines = _parse_ics(response.content)
    names = [name for name, _value in lines]
    assert names[:2] == ["BEGIN", "VERSION"] and lines[0] == ("BEGIN", "VCALENDAR") and lines[-1] == ("END", "VCALENDAR")
    assert names.count("BEGIN") == 2 and ("BEGIN", "VEVENT") in lines and "PRODID" in names
    event = dict(lines)
    assert event["VERSION"] == "2.0"
    assert (event["DTSTART"], event["DTEND"]) == ("20261224T010000Z", "20261224T023000Z")  # 10:00 in Tokyo
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
    assert _unescape(event["SUMMARY"]) == title
    assert _unescape(event["DESCRIPTION"]).startswith(agenda + "\n\n")
    assert _unescape(event["LOCATION"]) == "本社 3F, 会議室A"
    assert event["URL"].endswith(f"/sessions/{session.pk}/") and event["URL"].startswith("http")
    assert MEETING not in response.content.decode()  # the link is given around the session time, not filed away

    again = dict(_parse_ics(rep.get(f"/sessions/{session.pk}/calendar.ics").content))
    other = dict(_parse_ics(rep.get(f"/sessions/{second.pk}/calendar.ics").content))  # open to all, not registered
    assert again["UID"] == event["UID"] and other["UID"] != event["UID"]
    assert event["UID"].startswith(f"study-session-{session.pk}@")
    assert rep.post(f"/sessions/{session.pk}/calendar.ics").status_code == 405
    anonymous = people_a.portal().get(f"/sessions/{session.pk}/calendar.ics")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_folding_never_splits_a_character_and_escaping_covers_the_special_characters():
    line = "DESCRIPTION:" + escape_text("日本語の説明" * 20)
    folded = fold(line)
    assert all(len(part.encode("utf-8")) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert escape_text('a\\b;c,d\r\ne\nf') == "a\\\\b\\;c\\,d\\ne\\nf"
    assert utc_stamp(datetime(2026, 1, 1, 9, 0, tzinfo=dt_timezone(timedelta(hours=9)))) == "20260101T000000Z"
    with pytest.raises(ValueError):
        utc_stamp(datetime(2026, 1, 1, 9, 0))  # a naive time has no place on a calendar
