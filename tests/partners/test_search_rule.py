"""The search's rule lives in partners.search._key_conditions: the filter a list pages by (containing) and the
search box's read (key_matches) find the same rows for every kind of query, the filter also inside another
query's IN, where its table has another alias."""

from __future__ import annotations

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from deals.models import DealRegistration
from partners.models import Partner
from partners.search import containing, key_matches, search_query
from tests.partners.factories import PartnerFactory

NAMES = ["株式会社さくらシステムズ", "サクラ物流", "ｻｸﾗ商事", "あさくら工業", "桜井電機", "株式会社ベンチさくら",
         "Sakura Tech", "100%商事", "ゆり_商会", "さ"]
QUERIES = ["さ", "ｻｸﾗ", "さくら", "くら", "株式会社", "sakura", "100%", "_", "ゆり_", "存在しない"]


@pytest.mark.parametrize("text", QUERIES)
def test_the_filter_and_the_search_box_find_the_same_partners(tenant_a, text):
    with tenant_context(tenant_a):
        for name in NAMES:
            PartnerFactory(name=name, name_kana="")
        connection.cursor().execute("ANALYZE partners_partner")
        query = search_query(text)
        filtered = set(containing(Partner.objects.all(), query).values_list("pk", flat=True))
        boxed = {row[1] for row in key_matches([(Partner, 1000)], query, ("pk",))}
        if not query.key:  # 株式会社 and _ read as nothing: a filter of nothing keeps every row, the box finds none
            assert filtered == set(Partner.objects.values_list("pk", flat=True)) and boxed == set()
            return
        assert filtered == boxed
        if text in ("さくら", "ｻｸﾗ"):
            assert len(filtered) >= 4  # さくら, サクラ, ｻｸﾗ, あさくら, ベンチさくら: one key, wherever it stands
        # Inside another query's IN the partners table is U0: the condition follows the alias.
        inside = DealRegistration.objects.filter(partner_id__in=containing(Partner.objects.all(), query)
                                                 .values_list("pk", flat=True))
        assert list(inside) == []
