"""The approval queue in the order the customers' registrations came in, and a losing registration that keeps
showing what it conflicts with (and what the vendor's rule does with it) on the queue, the console's deal page
and the losing partner's portal page, without the other partner's name there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape
from django_tenants.utils import tenant_context

from deals import selectors, services
from deals.models import DealRegistration, DealSettings, RuleMode, Stage
from deals.selectors.conflicts import RULE_SENTENCES
from prm.formatting import format_datetime_seconds, format_ordinal
from tests.partners.factories import corporate_number

BASE = timezone.now().replace(microsecond=0) - timedelta(hours=6)


def _register(partner, user, customer: str, *, minutes: float, number: str = "", domain: str = "") -> DealRegistration:
    """A registration made `minutes` after BASE (the time is set after the fact: who came first is the point)."""
    deal = services.deal_register(partner=partner, user=user, customer_name=customer, corporate_number=number,
                                  web_domain=domain, amount=1_000_000,
                                  expected_close=timezone.localdate() + timedelta(days=60))
    DealRegistration.objects.filter(pk=deal.pk).update(registered_at=BASE + timedelta(minutes=minutes))
    deal.refresh_from_db()
    return deal


def _in(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _order(page) -> list[list[tuple[int, int, int]]]:
    return [[(row.deal.pk, row.position, row.of) for row in group.rows] for group in page.groups]


def _won(deal: DealRegistration, actor) -> None:
    services.deal_approve(deal=deal, actor=actor)
    services.deal_move(deal=deal, actor=actor, stage=Stage.WON, won_amount=900_000, won_on=timezone.localdate())


# ----------------------------------------------------------------------------- order


def test_it_groups_the_queue_by_customer_oldest_waiting_first_and_each_customer_in_registration_order(people_a):
    p, q = people_a.partner, people_a.other_partner
    rep, other = people_a.partner_rep, people_a.other_partner_admin
    with tenant_context(people_a.tenant):
        a_first = _register(p, rep, "株式会社アルプス", minutes=10)
        c_only = _register(q, other, "シーダー株式会社", minutes=10)  # the same minute as a_first, made after it
        a_second = _register(q, other, "(株)アルプス", minutes=12)
        b_second = _register(p, rep, "ベイカー合同会社", minutes=20, domain="sales.baker.co.jp")
        b_first = _register(q, other, "Baker LLC", minutes=5, domain="info@baker.co.jp")  # same domain, earlier
        # Two registrations of one customer in the same instant: the smaller id is first.
        d_one = _register(p, rep, "デルタ工業", minutes=30, number=corporate_number(71))
        d_two = _register(q, other, "Delta Kogyo", minutes=30, number=corporate_number(71))
    response = people_a.console(people_a.channel_manager).get("/deals/")
    assert response.status_code == 200
    assert _order(response.context["page"]) == [
        [(b_first.pk, 1, 2), (b_second.pk, 2, 2)],
        [(a_first.pk, 1, 2), (a_second.pk, 2, 2)],
        [(c_only.pk, 1, 1)],
        [(d_one.pk, 1, 2), (d_two.pk, 2, 2)],
    ]
    page = response.content.decode()
    # Groups and rows appear in that order, each with its time to the second and its place among the customer's.
    assert page.index("Baker LLC") < page.index("株式会社アルプス") < page.index("シーダー株式会社") < page.index("デルタ工業")
    with translation.override("ja"):
        assert format_datetime_seconds(b_first.registered_at) in page
    assert "1番目" in page and "2番目" in page


def test_a_decided_registration_counts_in_its_customers_order(people_a):
    with tenant_context(people_a.tenant):
        holder = _register(people_a.partner, people_a.partner_rep, "株式会社テックウェイ", minutes=1)
        loser = _register(people_a.other_partner, people_a.other_partner_admin, "テックウェイ", minutes=2)
        services.deal_approve(deal=holder, actor=people_a.channel_manager)
    page = people_a.console(people_a.channel_manager).get("/deals/").context["page"]
    assert _order(page) == [[(loser.pk, 2, 2)]]


def test_pages_end_between_customers_and_a_customer_split_across_pages_says_so(people_a, tenant_a):
    from tests.factories import PartnerFactory, UserFactory

    with tenant_context(tenant_a):
        partners = [(people_a.partner, people_a.partner_rep), (people_a.other_partner, people_a.other_partner_admin)]
        for _n in range(3):
            partner = PartnerFactory()
            partners.append((partner, UserFactory(role="partner_rep", partner=partner)))
        single = _register(*partners[0], "一社商事", minutes=1)
        pair = [_register(*partners[n], "二社物産", minutes=2 + n) for n in range(2)]
        trio = [_register(*partners[n], "三社電機", minutes=10 + n) for n in range(3)]
        pages = [selectors.approval_queue(number, page_rows=2) for number in (1, 2, 3, 4, 99)]
    assert [_order(page) for page in pages[:3]] == [
        [[(single.pk, 1, 1)]],  # the pair would not fit beside it: the page ends between the customers
        [[(pair[0].pk, 1, 2), (pair[1].pk, 2, 2)]],
        [[(trio[0].pk, 1, 3), (trio[1].pk, 2, 3)]],
    ]
    assert [(g.continued, g.continues) for g in pages[2].groups] == [(False, True)]
    assert _order(pages[3]) == [[(trio[2].pk, 3, 3)]] and (pages[3].groups[0].continued, pages[3].num_pages) == (True, 4)
    assert (pages[3].start_index, pages[3].end_index, pages[3].count) == (6, 6, 6)
    assert _order(pages[4]) == _order(pages[3])  # past the last: the last


def test_the_queue_page_says_when_a_customer_goes_on_on_the_next_page(people_a, monkeypatch):
    from deals.selectors import conflicts

    monkeypatch.setattr(conflicts, "QUEUE_PAGE_ROWS", 1)  # the page size, not our code's behaviour
    with tenant_context(people_a.tenant):
        _register(people_a.partner, people_a.partner_rep, "株式会社テックウェイ", minutes=1)
        _register(people_a.other_partner, people_a.other_partner_admin, "テックウェイ", minutes=2)
    client = _in(people_a.console(people_a.channel_manager), "en")
    first = client.get("/deals/").content.decode()
    second = client.get("/deals/?page=2").content.decode()
    assert "continue on the next page" in first and "Continued from the previous page" not in first
    assert "Continued from the previous page" in second and "2nd of 2" in second
    refused = client.get("/deals/?page=two")
    assert refused.status_code == 400 and "page" in refused.content.decode()


# ----------------------------------------------------------------------------- the losing registration


@pytest.mark.parametrize("outcome", ["approved", "won"])
def test_the_loser_keeps_showing_what_it_conflicts_with_after_the_holder_is_approved_or_won(people_a, outcome):
    with tenant_context(people_a.tenant):
        holder = _register(people_a.partner, people_a.partner_rep, "株式会社テックウェイ", minutes=1,
                           domain="techway.co.jp")
        loser = _register(people_a.other_partner, people_a.other_partner_admin, "ＴＥＣＨＷＡＹ", minutes=3,
                          domain="sales@techway.co.jp")
        if outcome == "won":
            _won(holder, people_a.channel_manager)
        else:
            services.deal_approve(deal=holder, actor=people_a.channel_manager)
        holder.refresh_from_db()
        assert holder.stage == outcome
    console = people_a.console(people_a.channel_manager)
    queue = console.get("/deals/")
    (row,) = queue.context["page"].rows
    assert (row.deal.pk, row.conflict.holder.pk, row.conflicts) == (loser.pk, holder.pk, [holder])
    sentence = RULE_SENTENCES[(RuleMode.FIRST_COME, True)]
    for response in (queue, console.get(f"/deals/{loser.pk}/")):
        page = response.content.decode()
        with translation.override("ja"):
            assert people_a.partner.name in page and str(holder.get_stage_display()) in page
            assert format_datetime_seconds(holder.registered_at) in page
            assert str(sentence) in page
    # The sentence holds: the loser cannot be approved while the holder is approved or won.
    refused = console.post(f"/deals/{loser.pk}/approve/", follow=True)
    assert "既に承認" in refused.content.decode()
    with tenant_context(people_a.tenant):
        assert DealRegistration.objects.get(pk=loser.pk).stage == Stage.REGISTERED


def test_a_win_from_before_the_registration_leaves_the_customer_free(people_a):
    with tenant_context(people_a.tenant):
        old = _register(people_a.partner, people_a.partner_rep, "株式会社テックウェイ", minutes=-600)
        _won(old, people_a.channel_manager)
        DealRegistration.objects.filter(pk=old.pk).update(won_confirmed_at=BASE)
        new = _register(people_a.other_partner, people_a.other_partner_admin, "テックウェイ", minutes=60)
        assert not selectors.deal_conflict(new).losing
        services.deal_approve(deal=new, actor=people_a.channel_manager)


def test_the_holder_is_not_losing_but_sees_the_later_registration(people_a):
    with tenant_context(people_a.tenant):
        holder = _register(people_a.partner, people_a.partner_rep, "株式会社テックウェイ", minutes=1)
        later = _register(people_a.other_partner, people_a.other_partner_admin, "テックウェイ", minutes=2)
        mine, theirs = selectors.deal_conflict(holder), selectors.deal_conflict(later)
    assert (mine.losing, [r.deal.pk for r in mine.rivals], mine.rule) == (False, [later.pk], "")
    assert theirs.holder.pk == holder.pk and theirs.rule == str(RULE_SENTENCES[(RuleMode.FIRST_COME, False)])


@pytest.mark.parametrize("mode", [RuleMode.FIRST_COME, RuleMode.CUSTOMER_CHOICE, RuleMode.MANUAL])
def test_it_says_what_the_vendors_rule_does_with_the_loser_in_japanese_and_english(people_a, mode):
    with tenant_context(people_a.tenant):
        DealSettings.objects.update_or_create(pk=1, defaults={"mode": mode})
        holder = _register(people_a.partner, people_a.partner_rep, "株式会社テックウェイ", minutes=1)
        loser = _register(people_a.other_partner, people_a.other_partner_admin, "テックウェイ", minutes=2)
    console = people_a.console(people_a.channel_manager)
    portal = people_a.portal(people_a.other_partner_admin)
    for decided in (False, True):
        if decided:
            with tenant_context(people_a.tenant):
                services.deal_approve(deal=holder, actor=people_a.channel_manager)
        for language in ("ja", "en"):
            with translation.override(language):
                sentence = escape(str(RULE_SENTENCES[(mode, decided)]))
            for page in (_in(console, language).get("/deals/"), _in(console, language).get(f"/deals/{loser.pk}/"),
                         _in(portal, language).get(f"/deals/{loser.pk}/")):
                assert sentence in page.content.decode(), (mode, decided, language, page.wsgi_request.path)
    assert len({str(text) for text in RULE_SENTENCES.values()}) == 6  # one sentence per rule and state
    english = _in(console, "en").get("/deals/").content.decode()
    assert "2nd of 2" in english and "Conflicts with the registration of" in english and "Approved" in english


def test_the_losing_partner_sees_the_conflict_but_not_whose_it_is(people_a):
    with tenant_context(people_a.tenant):
        holder = services.deal_register(partner=people_a.partner, user=people_a.partner_rep,
                                        customer_name="株式会社テックウェイ（本社）", corporate_number="",
                                        web_domain="techway.co.jp", amount=9_876_543,
                                        expected_close=timezone.localdate() + timedelta(days=60), notes="秘密のメモ")
        DealRegistration.objects.filter(pk=holder.pk).update(registered_at=BASE)
        holder.refresh_from_db()
        loser = _register(people_a.other_partner, people_a.other_partner_admin, "株式会社テックウェイ", minutes=30,
                          domain="techway.co.jp")
        _won(holder, people_a.channel_manager)
    portal = people_a.portal(people_a.other_partner_admin)
    for language in ("ja", "en"):
        page = _in(portal, language).get(f"/deals/{loser.pk}/").content.decode()
        with translation.override(language):
            from prm.formatting import format_datetime

            assert str(Stage.WON.label) in page and format_datetime(holder.registered_at) in page
            assert str(RULE_SENTENCES[(RuleMode.FIRST_COME, True)]) in page
        for secret in (people_a.partner.name, "9,876,543", "900,000", "（本社）", "秘密のメモ", people_a.partner_rep.email,
                       f"/deals/{holder.pk}/"):
            assert secret not in page, secret
    assert "Another partner's registration of this customer conflicts with this one" in page
    # The holder's own partner sees no conflict on its deal.
    mine = _in(people_a.portal(people_a.partner_rep), "en").get(f"/deals/{holder.pk}/").content.decode()
    assert "conflicts with this one" not in mine


# ----------------------------------------------------------------------------- cost


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/deals/")
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_queue_costs_the_same_queries_for_3_registrations_as_for_30(people_a):
    client = people_a.console(people_a.channel_manager)

    def add(customers: range) -> None:
        with tenant_context(people_a.tenant):
            for n in customers:
                _register(people_a.partner, people_a.partner_rep, f"顧客{n}株式会社", minutes=n, domain=f"c{n}.co.jp")
                if n % 2:
                    _register(people_a.other_partner, people_a.other_partner_admin, f"顧客{n}", minutes=n + 0.5)
            if customers.start == 0:
                return
            # Some holders decided: approved, won; a direct-sales account for one customer.
            deals = list(DealRegistration.objects.filter(partner=people_a.partner, stage=Stage.REGISTERED)
                         .order_by("registered_at")[:4])
            services.deal_approve(deal=deals[1], actor=people_a.channel_manager)
            _won(deals[3], people_a.channel_manager)

    add(range(0, 2))
    with tenant_context(people_a.tenant):
        assert DealRegistration.objects.count() == 3
    assert len(client.get("/deals/").context["page"].rows) == 3
    small = _queue_queries(client)
    add(range(2, 20))
    with tenant_context(people_a.tenant):
        assert DealRegistration.objects.count() == 30
    assert len(client.get("/deals/").context["page"].rows) == 28  # two holders decided
    assert _queue_queries(client) == small


def test_ordinals_in_japanese_and_english():
    with translation.override("en"):
        assert [format_ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
            "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th"]
    with translation.override("ja"):
        assert format_ordinal(2) == "2番目"
