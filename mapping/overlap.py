"""The overlap as SQL: one partner's records against one vendor population, by equality joins on
the stored matcher keys. Never a Python loop over either side.

The join condition is deals.matching.same_customer written in SQL: equal corporate numbers when
both records have one; otherwise an equal non-empty name key or an equal non-empty domain key.
Each of the three equalities is its own join (indexes or hash joins), the union removes repeats.
"""

from __future__ import annotations

from django.db.models import QuerySet

from deals import selectors as deal_selectors
from mapping.models import CustomerList, CustomerRecord, VendorPopulation

# The partner side: `p` with columns id, name_key, corporate_key, domain_key.
MATCHED_IDS = """
    SELECT p.id FROM p JOIN v ON v.corporate_key = p.corporate_key WHERE p.corporate_key <> ''
    UNION
    SELECT p.id FROM p JOIN v ON v.name_key = p.name_key
     WHERE p.name_key <> '' AND (p.corporate_key = '' OR v.corporate_key = '')
    UNION
    SELECT p.id FROM p JOIN v ON v.domain_key = p.domain_key
     WHERE p.domain_key <> '' AND (p.corporate_key = '' OR v.corporate_key = '')
"""


def sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def vendor_population_sql(population: str, *, exclude_partner=None) -> tuple[str, tuple]:
    """SELECT of (id, customer_name, name_key, corporate_key, domain_key) for one vendor population.
    Deals' populations come from deals' own selector; the target accounts are this app's records."""
    if population == VendorPopulation.TARGETS:
        return sql_of(CustomerRecord.objects.filter(
            customer_list__partner__isnull=True, customer_list__population=VendorPopulation.TARGETS)
            .order_by().values("id", "customer_name", "name_key", "corporate_key", "domain_key"))
    return sql_of(deal_selectors.customer_population(population, exclude_partner=exclude_partner))


def partner_records_sql(partner_id: int) -> tuple[str, tuple]:
    return sql_of(CustomerRecord.objects.filter(customer_list__partner_id=partner_id).order_by().values(
        "id", "customer_name", "name_key", "corporate_key", "domain_key"))


def partner_lists(partner_id: int) -> QuerySet[CustomerList]:
    return CustomerList.objects.filter(partner_id=partner_id)
