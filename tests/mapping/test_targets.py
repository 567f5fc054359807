"""Winning-customer conditions, target lists with one-click registration, computed affinity."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.utils import translation
from django_tenants.utils import tenant_context

from deals.models import Product, Stage
from mapping import selectors, services
from partners.models import Stage as PartnerStage
from tests.factories import PartnerFactory
from tests.mapping.factories import deal, direct_account, english, number, upload_list


def _history(people):
    """Manufacturing in Osaka wins 4 of 5; IT wins 1 of 5; 1–9 employees won the only (too small) sample."""
    with tenant_context(people.tenant):
        product = Product.objects.create(code="CLOUD", name="クラウド")
        for n in range(5):
            won = deal(people.other_partner, f"製造{n}株式会社", stage=Stage.WON if n < 4 else Stage.LOST,
                       amount=2_000_000, industry="E", prefecture="27", employee_band="100-299")
            won.products.add(product)
            deal(people.other_partner, f"情報{n}株式会社", stage=Stage.WON if n == 0 else Stage.LOST,
                 amount=500_000, industry="G", prefecture="13", employee_band="10-49")
        deal(people.other_partner, "小さな会社", stage=Stage.WON, industry="A", employee_band="1-9")


def test_winning_conditions_come_from_won_and_lost_deals_with_sample_sizes(people_a):
    _history(people_a)
    with tenant_context(people_a.tenant):
        found = selectors.winning_conditions()
        industry = {s.value: s for s in found.by_dimension["industry"]}
        assert (industry["E"].closed, industry["E"].won, industry["E"].average_won) == (5, 4, 2_000_000)
        assert (industry["G"].closed, industry["G"].won) == (5, 1)
        assert found.winning["industry"] == {"E"}  # A won its only deal: too small a sample
        assert found.winning["prefecture"] == {"27"} and found.winning["employee_band"] == {"100-299"}
        assert found.winning["product"] == {"CLOUD"}
    page = english(people_a.console(people_a.channel_manager)).get("/mapping/conditions/")
    body = page.content.decode()
    assert page.status_code == 200 and "Manufacturing" in body and "80 %" in body
    assert people_a.portal(people_a.partner_admin).get("/mapping/conditions/").status_code == 404  # no such portal page
    assert people_a.console(people_a.partner_admin).get("/mapping/conditions/").status_code == 403


def test_the_target_list_ranks_fits_and_leaves_out_vendor_customers_and_other_partners_deals(people_a):
    _history(people_a)
    with tenant_context(people_a.tenant):
        direct_account("ダイレクト製造株式会社", domain="direct-mfg.co.jp")
        deal(people_a.other_partner, "乙が登録済み製造", corporate_number=number(41))
        deal(people_a.partner, "自社で登録済み製造", corporate_number=number(42))
        upload_list(people_a.channel_manager, None, ["ターゲット商事", "", "target.co.jp", "", "", ""],
                    population="targets")
        upload_list(people_a.partner_admin, people_a.partner,
                    ["大阪の製造会社", "", "", "E", "150", "大阪府"],
                    ["東京の製造会社", "", "", "E", "", "東京都"],
                    ["ダイレクト製造", "", "info@direct-mfg.co.jp", "E", "150", "27"],
                    ["乙が登録済み製造株式会社", number(41), "", "E", "150", "27"],
                    ["自社で登録済み製造", number(42), "", "E", "", ""],
                    ["ターゲット商事株式会社", "", "www.target.co.jp", "", "", ""],
                    ["無関係の会社", "", "", "G", "10-49", "13"])
        targets, total = selectors.target_list(partner=people_a.partner)
        names = [t.record.customer_name for t in targets]
        assert names == ["大阪の製造会社", "東京の製造会社", "自社で登録済み製造"] and total == 3
        # the vendor's target list counts only once the vendor shares it
        services.sharing_set(actor=people_a.channel_manager, partner=None, population="targets", level="names")
        with translation.override("en"):  # the reasons are labels in the reader's language
            targets, total = selectors.target_list(partner=people_a.partner)
    assert [t.record.customer_name for t in targets][:2] == ["ターゲット商事株式会社", "大阪の製造会社"]
    assert targets[0].reasons == ["Target accounts"] and targets[0].score == 3
    assert targets[1].score == 3 and len(targets[1].reasons) == 3
    # a rep sees the list, with a link that opens the registration form prefilled
    rep = english(people_a.portal(people_a.partner_rep))
    page = rep.get("/mapping/targets/")
    body = page.content.decode()
    assert page.status_code == 200 and "ターゲット商事株式会社" in body
    assert "乙が登録済み" not in body and "ダイレクト製造" not in body and "無関係" not in body
    link = next(part.split('"')[0] for part in body.split('href="') if part.startswith("/deals/new/?"))
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query["customer_name"] == ["ターゲット商事株式会社"]
    form = rep.get(link.replace("&amp;", "&")).content.decode()
    assert 'value="ターゲット商事株式会社"' in form and 'value="www.target.co.jp"' in form
    # the other partner's target list is its own (it has no list)
    assert "ターゲット商事" not in people_a.portal(people_a.other_partner_admin).get("/mapping/targets/").content.decode()
    assert people_a.console(people_a.channel_manager).get("/mapping/targets/").status_code == 404


def test_a_prospects_customer_affinity_is_computed_beside_the_typed_score(people_a):
    _history(people_a)
    with tenant_context(people_a.tenant):
        prospect = PartnerFactory(name="見込み販売店", stage=PartnerStage.PROSPECT, score_customer_overlap=1)
        upload_list(people_a.channel_manager, prospect, ["大阪の製造会社", "", "", "E", "", ""],
                    ["製造0株式会社", "", "", "", "", ""], ["無関係", "", "", "", "", ""], ["無関係2", "", "", "", "", ""])
        affinity = selectors.customer_affinities([prospect.pk])[prospect.pk]
        assert (affinity.records, affinity.in_market, affinity.score) == (4, 2, 5)
    page = english(people_a.console(people_a.channel_manager)).get("/partners/prospects/")
    assert page.status_code == 200
    assert "computed 5 (2 of 4)" in page.content.decode()
