"""Private overlap: the SQL joins agree with same_customer, each side sees only what the other
shares, and a re-upload recomputes only that partner."""

from __future__ import annotations

import random

from django_tenants.utils import tenant_context

from deals import matching
from deals.models import Stage
from mapping import selectors, services
from mapping.models import CustomerRecord, OverlapMatch, OverlapSnapshot
from tests.mapping.factories import deal, direct_account, english, number, upload_list


def row(name: str, corporate: str = "", domain: str = "") -> list[str]:
    return [name, corporate, domain, "", "", ""]


def test_the_sql_overlap_agrees_with_same_customer_on_every_pair(people_a):
    names = ["サクラ", "株式会社サクラ", "サクラ商事", "Sakura Inc.", "東京ガス", "東京ガスエンジニアリング"]
    domains = ["", "sakura.co.jp", "mail.sakura.co.jp", "gmail.com", "tokyo-gas.co.jp"]
    numbers = ["", number(11), number(12)]
    rng = random.Random(16)
    with tenant_context(people_a.tenant):
        vendor = [direct_account(rng.choice(names), rng.choice(numbers), rng.choice(domains)) for _ in range(25)]
        seen: set[tuple] = set()
        rows = []
        for _ in range(200):
            candidate = (rng.choice(names) + str(rng.randint(0, 1) or ""), rng.choice(numbers), rng.choice(domains))
            keys = matching.customer_keys(*candidate)
            if any(matching.same_customer(keys, matching.customer_keys(*other)) for other in seen):
                continue
            seen.add(candidate)
            rows.append(row(*candidate))
        upload_list(people_a.partner_admin, people_a.partner, *rows)
        matched = set(OverlapMatch.objects.filter(partner=people_a.partner, vendor_population="direct")
                      .values_list("record_id", flat=True))
        expected = set()
        for record in CustomerRecord.objects.all():
            mine = matching.CustomerKeys(record.name_key, record.corporate_key or None, record.domain_key or None)
            if any(matching.same_customer(mine, matching.CustomerKeys(a.name_key, a.corporate_key or None,
                                                                         a.domain_key or None)) for a in vendor):
                expected.add(record.pk)
        assert matched == expected
        assert 0 < len(expected) < CustomerRecord.objects.count()


def _setup(people):
    """Partner 甲 has three customers and one prospect; the vendor has one direct account, one open
    deal of 乙, one won deal and a target list. 乙 has its own list."""
    with tenant_context(people.tenant):
        direct_account("株式会社共通ダイレクト", domain="common-direct.co.jp")
        deal(people.other_partner, "オープン商事株式会社", corporate_number=number(21))
        deal(people.other_partner, "ウォン工業株式会社", stage=Stage.WON, domain="won.co.jp")
        upload_list(people.channel_manager, None, row("ターゲット物産", number(31)), population="targets")
        upload_list(people.partner_admin, people.partner,
                    row("共通ダイレクト", "", "info@common-direct.co.jp"), row("オープン商事", number(21)),
                    row("秘密の顧客株式会社", "", "secret.co.jp"), row("Won Kogyo", "", "https://won.co.jp"))
        upload_list(people.partner_admin, people.partner, row("ターゲット物産株式会社", number(31)),
                    population="prospects")
        upload_list(people.other_partner_admin, people.other_partner, row("乙だけの顧客", "", "otsu-only.co.jp"),
                    row("共通ダイレクト"))


def test_the_matrix_counts_each_vendor_population_against_each_list(people_a):
    _setup(people_a)
    with tenant_context(people_a.tenant):
        matrix = selectors.overlap_matrix(partner=people_a.partner, viewer=selectors.VENDOR)
        counts = {(c.vendor_population, c.partner_population): c.count for _v, _l, cells in matrix.rows for c in cells}
    assert counts == {("direct", "customers"): 1, ("direct", "prospects"): 0, ("open", "customers"): 1,
                      ("open", "prospects"): 0, ("won", "customers"): 1, ("won", "prospects"): 0,
                      ("targets", "customers"): 0, ("targets", "prospects"): 1}
    page = english(people_a.portal(people_a.partner_admin)).get("/mapping/")
    assert page.status_code == 200 and "Overlap matrix" in page.content.decode()
    console = english(people_a.console(people_a.channel_manager)).get(f"/mapping/partners/{people_a.partner.pk}/")
    assert console.status_code == 200


def test_a_partner_sees_names_only_where_the_vendor_shares_them_and_only_its_own(people_a, people_b):
    _setup(people_a)
    portal = people_a.portal(people_a.partner_admin)
    for url in ("/mapping/overlap/direct/customers/", "/mapping/overlap/direct/customers/?format=csv"):
        assert portal.get(url).status_code == 404  # counts only by default
    with tenant_context(people_a.tenant):
        services.sharing_set(actor=people_a.channel_manager, partner=None, population="direct", level="names")
    for url in ("/mapping/overlap/direct/customers/", "/mapping/overlap/direct/customers/?format=csv"):
        body = portal.get(url).content.decode("utf-8-sig")
        assert "共通ダイレクト" in body
        assert "秘密の顧客" not in body and "オープン商事" not in body  # not in this cell
        assert "株式会社共通ダイレクト" not in body  # the vendor's own record is never shown, only the partner's
        assert "乙だけの顧客" not in body
    assert portal.get("/mapping/overlap/open/customers/").status_code == 404  # still counts only
    # the other partner, with the same sharing, sees its own list's overlap and nothing of 甲's
    other = people_a.portal(people_a.other_partner_admin).get("/mapping/overlap/direct/customers/").content.decode()
    assert "共通ダイレクト" in other and "秘密の顧客" not in other and "オープン商事" not in other
    # reps do not open the mapping, another tenant's partner finds nothing
    assert people_a.portal(people_a.partner_rep).get("/mapping/overlap/direct/customers/").status_code == 403
    assert people_a.portal(people_a.partner_rep).get("/mapping/").status_code == 403
    # another tenant's partner, whose vendor has no such sharing, finds nothing
    assert people_b.portal(people_b.partner_admin).get("/mapping/overlap/direct/customers/").status_code == 404


def test_the_vendor_sees_a_partners_names_only_where_the_partner_shares_them(people_a, people_b):
    _setup(people_a)
    console = people_a.console(people_a.channel_manager)
    url = f"/mapping/partners/{people_a.partner.pk}/overlap/direct/customers/"
    assert console.get(url).status_code == 404
    assert console.get(url + "?format=csv").status_code == 404
    with tenant_context(people_a.tenant):
        services.sharing_set(actor=people_a.partner_admin, partner=people_a.partner, population="customers",
                             level="names")
    for target in (url, url + "?format=csv"):
        body = console.get(target).content.decode("utf-8-sig")
        assert "共通ダイレクト" in body
        assert "秘密の顧客" not in body  # a non-overlapping customer is never shown to the vendor
    assert "秘密の顧客" not in console.get(f"/mapping/partners/{people_a.partner.pk}/").content.decode()
    assert "秘密の顧客" not in console.get("/mapping/").content.decode()
    # prospects are still counts only
    assert console.get(f"/mapping/partners/{people_a.partner.pk}/overlap/targets/prospects/").status_code == 404
    # another vendor's staff cannot reach this partner at all
    other_vendor = people_b.console(people_b.channel_manager)
    assert other_vendor.get(url).status_code == 404
    assert other_vendor.get(f"/mapping/partners/{people_a.partner.pk}/").status_code == 404


def test_each_side_sets_only_its_own_sharing(people_a):
    portal = people_a.portal(people_a.partner_admin)
    assert portal.post("/mapping/sharing/", {"population": "direct", "level": "names"}).status_code == 302
    with tenant_context(people_a.tenant):
        assert selectors.sharing_levels(None)["direct"] == "counts"
        assert people_a.portal(people_a.partner_rep).post(
            "/mapping/sharing/", {"population": "customers", "level": "names"}).status_code == 403
        assert selectors.sharing_levels(people_a.partner)["customers"] == "counts"
        portal.post("/mapping/sharing/", {"population": "customers", "level": "names"})
        assert selectors.sharing_levels(people_a.partner)["customers"] == "names"
        assert selectors.sharing_levels(people_a.other_partner)["customers"] == "counts"
    console = people_a.console(people_a.channel_manager)
    assert console.post("/mapping/sharing/", {"population": "won", "level": "names"}).status_code == 302
    with tenant_context(people_a.tenant):
        assert selectors.sharing_levels(None)["won"] == "names"


def test_a_reupload_recomputes_only_that_partner_and_keeps_a_snapshot_per_recompute(people_a):
    _setup(people_a)
    with tenant_context(people_a.tenant):
        other_before = list(OverlapSnapshot.objects.filter(partner=people_a.other_partner).values_list("pk", flat=True))
        mine_before = OverlapSnapshot.objects.filter(partner=people_a.partner).count()
        upload_list(people_a.partner_admin, people_a.partner, row("共通ダイレクト"), row("ウォン工業"),
                    row("新しい顧客"))
        assert list(OverlapSnapshot.objects.filter(partner=people_a.other_partner).values_list("pk", flat=True)) == other_before
        assert OverlapSnapshot.objects.filter(partner=people_a.partner).count() == mine_before + 1
        latest = OverlapSnapshot.objects.filter(partner=people_a.partner).first()
        assert latest.cells["direct:customers"] == 1 and latest.cells["won:customers"] == 1
        assert "open:customers" not in latest.cells
        matrix = selectors.overlap_matrix(partner=people_a.partner, viewer=selectors.PARTNER)
        assert len(selectors.trend_series(matrix)) == mine_before + 1


def test_the_console_recompute_button_and_overview(people_a):
    _setup(people_a)
    console = people_a.console(people_a.channel_manager)
    assert console.post(f"/mapping/partners/{people_a.partner.pk}/recompute/").status_code == 302
    assert console.get(f"/mapping/partners/{people_a.partner.pk}/recompute/").status_code == 405
    overview = console.get("/mapping/").content.decode()
    assert people_a.partner.name in overview and people_a.other_partner.name in overview


def test_list_pages_cost_the_same_queries_for_more_partners_and_records(people_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import PartnerFactory

    console = people_a.console(people_a.channel_manager)
    portal = people_a.portal(people_a.partner_admin)
    pages = ((console, "/mapping/"), (console, f"/mapping/partners/{people_a.partner.pk}/"),
             (portal, "/mapping/"), (portal, "/mapping/targets/"))

    def counts() -> list[int]:
        found = []
        for client, url in pages:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found.append(len(captured))
        return found

    _setup(people_a)
    with tenant_context(people_a.tenant):
        services.sharing_set(actor=people_a.channel_manager, partner=None, population="targets", level="names")
    small = counts()
    with tenant_context(people_a.tenant):
        for n in range(4):
            upload_list(people_a.channel_manager, PartnerFactory(stage="prospect"), row(f"追加{n}"), row(f"ウォン工業{n}"))
        upload_list(people_a.partner_admin, people_a.partner, *[row(f"顧客{n}", "", "", ) for n in range(30)],
                    row("ターゲット物産", number(31)))
    assert counts() == small
    assert max(small) <= 25


def test_it_answers_404_for_the_matrix_of_a_partner_that_does_not_exist(people_a):
    console = people_a.console(people_a.channel_manager)
    assert console.get(f"/mapping/partners/{people_a.partner.pk}/").status_code == 200
    assert console.get("/mapping/partners/987654321/").status_code == 404
    assert console.post("/mapping/partners/987654321/recompute/").status_code == 404
