"""The portal home's enablement reads (hand-written statements) agree with the full lists they shorten."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from enablement import selectors
from enablement.audience import (
    Viewer,
    announcement_condition,
    announcement_sql,
    audience_condition,
    audience_sql,
    content_condition,
    content_sql,
    sees,
)
from enablement.models import (
    Announcement,
    AnnouncementRead,
    CertificationAward,
    ContentItem,
    Course,
    CourseCompletion,
    ModuleProgress,
    PartnerQuestion,
    SessionSeat,
)
from prm.reads import fetch_rows
from tests.enablement.factories import (
    AnnouncementFactory,
    CertificationFactory,
    ContentItemFactory,
    CourseFactory,
    ModuleFactory,
    StudySessionFactory,
)

VIEWERS = [Viewer(partner_type=kind, rank=rank, gated_content=gated, early_roadmap=early)
           for kind in ("resale", "referral") for rank in (0, 1, 3) for gated, early in ((False, False), (True, True))]
AUDIENCES = [([], 0), ([], 2), (["resale"], 0), (["referral", "resale"], 1), (["referral"], 3)]


def _content(people):
    """Something of every kind for every audience, in a mix of states."""
    now = timezone.now()
    rep = people.partner_rep
    for n, (types, rank) in enumerate(AUDIENCES):
        for early in (False, True):
            item = AnnouncementFactory(partner_types=types, min_tier_rank=rank, early_access=early,
                                       published_at=now - timedelta(hours=n * 2 + early))
            if n % 2:
                AnnouncementRead.objects.create(announcement=item, user=rep)
        AnnouncementFactory(partner_types=types, min_tier_rank=rank, published_at=now + timedelta(days=1))  # not yet
        for gated in (False, True):
            for published in (True, False):
                ContentItemFactory(partner_types=types, min_tier_rank=rank, gated=gated, is_published=published,
                                   with_file=False)
        for required in ({"required_for_types": ["resale"]}, {"required_from_tier_rank": 1}, {}):
            course = CourseFactory(partner_types=types, min_tier_rank=rank, position=n % 3, **required)
            modules = [ModuleFactory(course=course) for _ in range(n % 3 + 1)]
            ModuleProgress.objects.create(user=rep, module=modules[0])
            ModuleProgress.objects.create(user=people.partner_admin, module=modules[-1])
            if n == 2:
                CourseCompletion.objects.create(user=rep, course=course)
        CourseFactory(partner_types=types, min_tier_rank=rank, required_for_types=["resale"], is_published=False)
    for n, (partner, seated) in enumerate(((None, False), (people.partner, False), (people.other_partner, True),
                                           (people.other_partner, False), (None, True))):
        session = StudySessionFactory(partner=partner, starts_at=now + timedelta(days=n + 1))
        if seated:
            SessionSeat.objects.create(session=session, user=rep)
    StudySessionFactory(starts_at=now - timedelta(days=2))  # over
    for name, days in (("Zeta 認定", (10, 300)), ("Alpha 認定", (-5,)), ("Mid 認定", (3,))):
        certification = CertificationFactory(name=name)
        for day in days:
            CertificationAward.objects.create(certification=certification, user=rep, partner=people.partner,
                                              holder_name=rep.full_name, expires_at=now + timedelta(days=day))
    CertificationAward.objects.create(certification=CertificationFactory(), user=people.partner_admin,
                                      partner=people.partner, holder_name="他の人", expires_at=now + timedelta(days=30))
    PartnerQuestion.objects.create(partner=people.partner, asked_by=rep, text="質問です。",
                                   status=PartnerQuestion.Status.WITH_MANAGER)


@pytest.mark.parametrize("viewer", VIEWERS, ids=str)
def test_the_audience_rule_selects_the_same_rows_as_a_filter_in_a_statement_and_in_memory(people_a, viewer):
    with tenant_context(people_a.tenant):
        _content(people_a)
        for model, condition, sql in ((Course, audience_condition, audience_sql),
                                      (ContentItem, content_condition, content_sql),
                                      (Announcement, announcement_condition, announcement_sql)):
            where, params = sql(viewer, "x")
            raw = {pk for (pk,) in fetch_rows(f"SELECT x.id FROM {model._meta.db_table} x WHERE {where}", params)}
            filtered = set(model.objects.filter(condition(viewer)).values_list("pk", flat=True))
            in_memory = {row.pk for row in model.objects.all() if sees(row, viewer)
                         and (model is not ContentItem or row.is_published)}
            assert raw == filtered == in_memory, model
            assert 0 < len(raw) or viewer.rank == 0, model  # every viewer but the lowest sees something
            # Inside another query's IN the table has another alias (U0): the filter follows it.
            inside = model.objects.filter(pk__in=model.objects.filter(condition(viewer)).values("pk"))
            assert set(inside.values_list("pk", flat=True)) == raw, model


@pytest.mark.parametrize("viewer", VIEWERS[::3], ids=str)
def test_the_home_shows_the_first_rows_of_the_full_lists(people_a, viewer):
    rep, partner = people_a.partner_rep, people_a.partner
    with tenant_context(people_a.tenant):
        _content(people_a)
        home = selectors.portal_home(rep, partner, viewer, manager=True)
        announcements = list(selectors.announcements_for(rep, viewer))
        now = timezone.now()
        sessions = list(selectors.sessions_for(rep, partner).filter(ends_at__gte=now).order_by("starts_at"))
        courses = selectors.courses_for(rep, viewer)
        held = selectors.held_certifications_of(rep)
        items = list(selectors.library(viewer)[:4])
        not_manager = selectors.portal_home(rep, partner, viewer, manager=False)
    assert [(a.pk, a.is_read) for a in home.announcements] == [(a.pk, a.is_read) for a in announcements[:3]]
    assert home.unread == sum(not a.is_read for a in announcements)
    assert [(s.pk, s.seated) for s in home.sessions] == [(s.pk, s.seated) for s in sessions[:3]]
    assert [(c.pk, c.modules_done, c.module_total) for c in home.required_open] == [
        (c.pk, c.modules_done, c.module_total) for c in courses if c.required and not c.completed][:4]
    assert [(h.certification.name, h.award.pk, h.state) for h in home.certifications] == [
        (h.certification.name, h.award.pk, h.state) for h in held]
    assert [i.pk for i in home.new_content] == [i.pk for i in items]
    assert home.questions_waiting == 1
    assert home.announcements and home.sessions and home.certifications and home.new_content
    assert not_manager.questions_waiting == 0
