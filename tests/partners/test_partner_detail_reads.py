"""The partner page's reads of the partners tables are fixed statements (partners.selectors.detail): they must give
the instances, and the related rows kept on them, that the ORM queries they replaced gave."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone
from django_tenants.utils import tenant_context

from partners import selectors
from partners.models import Activity, Agreement, BusinessPlan, ChecklistItem, Contact, Partner, PartnerType
from partners.views.common import get_partner
from tests.factories import PartnerFactory, UserFactory
from tests.partners.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _values(instance) -> dict:
    return {key: value for key, value in instance.__dict__.items() if not key.startswith("_")}


def _same(new, old, related=()) -> None:
    assert type(new) is type(old)
    assert _values(new) == _values(old)
    for name in related:
        field = type(old)._meta.get_field(name)
        assert field.is_cached(new), name
        new_related, old_related = getattr(new, name), getattr(old, name)
        assert (new_related is None) == (old_related is None), name
        if old_related is not None:
            assert _values(new_related) == _values(old_related), name


@pytest.fixture
def filled(people_a):
    with tenant_context(people_a.tenant):
        parent = PartnerFactory(name="親パートナー", partner_type=PartnerType.DISTRIBUTOR)
        partner = PartnerFactory(name="読み比べ", parent=parent, owner=people_a.channel_manager,
                                 stage_override_by=people_a.vendor_admin,
                                 stage_override_until=timezone.localdate() + timedelta(days=5))
        key = ContactFactory(partner=partner, full_name="鍵 人", full_name_kana="カギ ヒト", is_key_person=True,
                             user=UserFactory(role="partner_rep", partner=partner))
        contacts = [key, *(ContactFactory(partner=partner, full_name=f"担当 {n}", full_name_kana=f"タントウ {n}")
                           for n in (3, 1, 2))]
        ContactFactory(partner=people_a.other_partner)
        now = timezone.now()
        for position, done in ((2, True), (1, False), (1, True)):
            ChecklistItem.objects.create(partner=partner, title=f"項目 {position}", position=position,
                                         completed_at=now if done else None,
                                         completed_by=people_a.channel_manager if done else None)
        today = timezone.localdate()
        BusinessPlan.objects.create(partner=partner, fiscal_year=today.year, starts_on=today - timedelta(days=100),
                                    ends_on=today + timedelta(days=200), revenue_target=5_000_000)
        BusinessPlan.objects.create(partner=partner, fiscal_year=today.year - 1,
                                    starts_on=today - timedelta(days=500), ends_on=today - timedelta(days=101))
        Agreement.objects.create(partner=partner, kind="co_creation", agreed_on=today, partner_signatory=key,
                                 recorded_by=people_a.channel_manager, details={"margin_percent": "15"})
        Agreement.objects.create(partner=partner, kind="business_goal", agreed_on=today, recorded_by=None)
        for n in range(7):
            activity = Activity.objects.create(partner=partner, kind="regular_meeting", subject=f"定例 {n}",
                                               occurred_at=now - timedelta(days=n), notes="メモ",
                                               created_by=people_a.channel_manager if n % 2 else None)
            if n % 3 == 0:
                activity.contacts.set(contacts[: n % 4 + 2])
                activity.staff.set([people_a.channel_manager, people_a.vendor_admin])
        return partner


def test_the_partner_comes_with_its_owner_parent_and_who_set_its_stage(people_a, filled):
    with tenant_context(people_a.tenant):
        old = Partner.objects.select_related("owner", "parent", "stage_override_by").get(pk=filled.pk)
        _same(get_partner(filled.pk), old, ("owner", "parent", "stage_override_by"))
        alone = Partner.objects.select_related("owner", "parent", "stage_override_by").get(pk=people_a.other_partner.pk)
        _same(get_partner(alone.pk), alone, ("owner", "parent", "stage_override_by"))
        with pytest.raises(Http404):
            get_partner(10**6)


def test_the_checklist_plan_contacts_and_agreements_are_the_orms(people_a, filled):
    with tenant_context(people_a.tenant):
        old_items = list(ChecklistItem.objects.filter(partner=filled).select_related("completed_by"))
        new_items = selectors.checklist_of(filled)
        assert [item.title for item in new_items] == ["項目 1", "項目 1", "項目 2"]
        assert len(new_items) == len(old_items)
        for new, old in zip(new_items, old_items, strict=True):
            _same(new, old, ("completed_by",))
        today = timezone.localdate()
        for day in (today, today - timedelta(days=300), today - timedelta(days=1000)):
            old_plan = BusinessPlan.objects.filter(partner=filled, starts_on__lte=day, ends_on__gte=day).first()
            new_plan = selectors.current_plan(filled, day)
            assert (new_plan is None) == (old_plan is None)
            if old_plan is not None:
                _same(new_plan, old_plan)
        old_contacts = list(Contact.objects.filter(partner=filled).select_related("user"))
        new_contacts = selectors.contacts_of(filled)
        assert [contact.full_name for contact in new_contacts] == ["鍵 人", "担当 1", "担当 2", "担当 3"]
        for new, old in zip(new_contacts, old_contacts, strict=True):
            _same(new, old, ("user",))
        old_agreements = {agreement.kind: agreement for agreement in Agreement.objects.filter(partner=filled)
                          .select_related("partner_signatory", "recorded_by")}
        new_agreements = selectors.agreements_of(filled)
        assert new_agreements.keys() == old_agreements.keys() == {"co_creation", "business_goal"}
        for kind, old in old_agreements.items():
            _same(new_agreements[kind], old, ("partner_signatory", "recorded_by"))


def test_the_activities_come_with_their_author_and_attendees_as_the_orm_prefetched_them(
        people_a, filled, django_assert_num_queries):
    with tenant_context(people_a.tenant):
        old_activities = list(Activity.objects.filter(partner=filled).select_related("created_by").prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.only("id", "full_name", "partner_id")), "staff")[:5])
        with django_assert_num_queries(2):
            new_activities = selectors.activities_of(filled, limit=5)
        with django_assert_num_queries(0):
            for new, old in zip(new_activities, old_activities, strict=True):
                _same(new, old, ("created_by",))
                assert [(c.pk, c.full_name) for c in new.contacts.all()] == [(c.pk, c.full_name) for c in old.contacts.all()]
                assert [user.pk for user in new.staff.all()] == [user.pk for user in old.staff.all()]
        assert [a.subject for a in new_activities] == [f"定例 {n}" for n in range(5)]
        assert [c.full_name for c in new_activities[0].contacts.all()] == ["鍵 人", "担当 3"]
        with django_assert_num_queries(1):
            assert selectors.activities_of(people_a.other_partner) == []


def test_the_page_reads_them_all_at_once_as_each_read_alone_gives_them(people_a, filled,
                                                                   django_assert_num_queries):
    """partner_page: the five statements in one round trip, then the attendees; the same instances, related rows
    and prefetched attendees as each read alone, for a partner with records and one without."""
    with tenant_context(people_a.tenant):
        selectors.current_plan(filled)  # the tenant's search_path set first: not one of the page's statements
        for partner, statements in ((filled, 6), (people_a.other_partner, 5)):
            with django_assert_num_queries(statements):
                page = selectors.partner_page(partner, activities=5)
            alone = (selectors.checklist_of(partner), selectors.current_plan(partner), selectors.contacts_of(partner),
                     selectors.agreements_of(partner), selectors.activities_of(partner, limit=5))
            for new, old in zip(page.checklist, alone[0], strict=True):
                _same(new, old, ("completed_by",))
            assert (page.plan is None) == (alone[1] is None)
            if page.plan is not None:
                _same(page.plan, alone[1])
            for new, old in zip(page.contacts, alone[2], strict=True):
                _same(new, old, ("user",))
            assert page.agreements.keys() == alone[3].keys()
            for kind, old in alone[3].items():
                _same(page.agreements[kind], old, ("partner_signatory", "recorded_by"))
            with django_assert_num_queries(0):
                for new, old in zip(page.activities, alone[4], strict=True):
                    _same(new, old, ("created_by",))
                    assert list(new.contacts.all()) == list(old.contacts.all())
                    assert list(new.staff.all()) == list(old.staff.all())
            assert [len(part) for part in (page.checklist, page.contacts, page.agreements, page.activities)] == (
                [3, 4, 2, 5] if partner == filled else [0, 1, 0, 0])


def test_statements_sent_together_answer_in_their_order_and_a_failing_one_raises(people_a):
    from django.db import DataError, connection, transaction

    from prm.reads import fetch_rows, fetch_rows_together

    with tenant_context(people_a.tenant):
        together = fetch_rows_together([
            ("SELECT name FROM partners_partner WHERE id = %(pk)s", {"pk": people_a.partner.pk}),
            ("SELECT n FROM generate_series(1, %(last)s::int) n", {"last": 3}),
            ("SELECT 1 WHERE false", {}),
        ])
        assert together == [[(people_a.partner.name,)], [(1,), (2,), (3,)], []]
        for failing in range(3):  # first, in the middle, last
            statements = [("SELECT 2", {}), ("SELECT 3", {})]
            statements.insert(failing, ("SELECT 1 / %(zero)s::int", {"zero": 0}))
            with pytest.raises(DataError, match="division by zero"), transaction.atomic():
                fetch_rows_together(statements)
        assert fetch_rows("SELECT %(n)s::int", {"n": 7}) == [(7,)]  # the connection goes on
        assert connection.connection.pgconn.pipeline_status == 0  # out of pipeline mode (libpq PQ_PIPELINE_OFF)
