"""Planning uses the overlap (point 6): the prospect ranking may rank by the computed customer
affinity, in SQL and in its Python twin alike, falling back to the hand-typed score."""

from __future__ import annotations

from django_tenants.utils import tenant_context

from partners import selectors as partner_selectors
from partners.models import AffinitySource, PartnerSettings
from partners.models import Stage as PartnerStage
from tests.factories import PartnerFactory
from tests.mapping.factories import english, upload_list

TARGETS = [["ターゲット一", "", "", "", "", ""], ["ターゲット二", "", "", "", "", ""],
           ["ターゲット三", "", "", "", "", ""], ["ターゲット四", "", "", "", "", ""]]


def _prospect(name: str, scores: tuple[int, int, int, int]):
    a, b, c, d = scores
    return PartnerFactory(name=name, stage=PartnerStage.PROSPECT, score_customer_overlap=a, score_core_business=b,
                          score_characteristics=c, score_sales_capacity=d)


def _source(source: str) -> None:
    PartnerSettings.objects.filter(pk=PartnerSettings.current().pk).update(customer_affinity_source=source)


def _setup(people):
    """Weights 3:3:2:2. 重なる社 typed its customer affinity low (1) but its whole list is on the
    vendor's target list (computed 5); 手入力社 typed 5 and has no list; 薄い社 typed 5, but none of
    its listed customers is in the target market (computed 0)."""
    with tenant_context(people.tenant):
        upload_list(people.channel_manager, None, *TARGETS, population="targets")
        overlapping = _prospect("重なる社", (1, 4, 3, 3))
        upload_list(people.channel_manager, overlapping, *TARGETS)
        typed = _prospect("手入力社", (5, 3, 3, 3))
        thin = _prospect("薄い社", (5, 3, 2, 2))
        upload_list(people.channel_manager, thin, ["無関係一", "", "", "", "", ""], ["無関係二", "", "", "", "", ""])
    return overlapping, typed, thin


def _names(client) -> list[str]:
    return [partner.name for partner in client.get("/partners/prospects/").context["page"]]


def test_the_ranking_changes_when_the_computed_affinity_is_chosen(people_a):
    _setup(people_a)
    client = people_a.console(people_a.channel_manager)
    assert _names(client) == ["手入力社", "薄い社", "重なる社"]  # typed: 72, 64, 54 (of 100)
    with tenant_context(people_a.tenant):
        _source(AffinitySource.COMPUTED)
    assert _names(client) == ["重なる社", "手入力社", "薄い社"]  # computed 5 → 78; no list → typed 72; computed 0 → 34


def test_the_sql_ranking_and_its_python_twin_agree_in_both_modes(people_a):
    _setup(people_a)
    with tenant_context(people_a.tenant):
        for source in AffinitySource.values:
            _source(source)
            ranking = list(partner_selectors.prospect_ranking())
            assert len(ranking) == 3
            for partner in ranking:
                assert partner.score == partner_selectors.prospect_score_of(partner), (source, partner.name)
        scores = {p.name: p.score for p in partner_selectors.prospect_ranking()}
        assert scores == {"重なる社": 78.0, "手入力社": 72.0, "薄い社": 34.0}


def test_prospects_without_a_list_are_labelled_as_ranked_by_the_typed_score(people_a):
    _setup(people_a)
    client = english(people_a.console(people_a.channel_manager))
    body = client.get("/partners/prospects/").content.decode()
    assert "ranked by the computed score" not in body and "ranked by the hand-typed score" not in body
    with tenant_context(people_a.tenant):
        _source(AffinitySource.COMPUTED)
    page = client.get("/partners/prospects/")
    rows = {partner.name: partner.computed_affinity for partner in page.context["page"]}
    assert rows == {"重なる社": 5, "手入力社": None, "薄い社": 0}
    body = page.content.decode()
    assert body.count("ranked by the hand-typed score (no customer list)") == 1
    assert body.count("ranked by the computed score") == 2
    typed_row = body[body.index("手入力社"):]
    assert typed_row.index("ranked by the hand-typed score") < typed_row.index("</tr>")


def test_the_choice_is_a_planning_setting(people_a):
    client = people_a.console(people_a.vendor_admin)
    data = {"weight_customer_overlap": 3, "weight_core_business": 3, "weight_characteristics": 2,
            "weight_sales_capacity": 2, "trained_window_days": 365, "active_window_days": 90,
            "lifecycle_agreements": 4, "lifecycle_retention_months": 6, "lifecycle_dormant_days": 90}
    with tenant_context(people_a.tenant):
        assert PartnerSettings.current().customer_affinity_source == AffinitySource.TYPED
    refused = client.post("/partners/settings/", {**data, "customer_affinity_source": "guess"})
    assert "customer_affinity_source" in refused.context["form"].errors
    client.post("/partners/settings/", {**data, "customer_affinity_source": "computed"})
    with tenant_context(people_a.tenant):
        assert PartnerSettings.current().customer_affinity_source == AffinitySource.COMPUTED
