"""The matcher's keys have one plain index each on every table the conflict checks read (deals.models.
customer_key_indexes), and a registration's look-up of the holding registrations reads the customer's rows through
them: no second, LIKE copy of a key to fill on every insert."""

from __future__ import annotations

import json

from django.db import connection
from django_tenants.utils import tenant_context

from deals import matching, services
from deals.models import CUSTOMER_KEYS
from tests.deals.test_partner_first_registration import _nodes
from tests.deals.test_partner_open_latest import _open_deals, _run_keeping_statements

TABLES = {"deals_dealregistration": "deal", "deals_directaccount": "direct_account", "deals_lead": "lead",
          "mapping_customerrecord": "record"}


def _indexes_on(table: str) -> dict[str, list[tuple[str, str]]]:
    """key column → [(index name, definition)] of the indexes whose only column is that key."""
    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT a.attname, c.relname, pg_get_indexdef(i.indexrelid)
              FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
             WHERE i.indrelid = %s::regclass AND i.indnatts = 1 AND a.attname = ANY(%s)""",
                       [table, list(CUSTOMER_KEYS)])
        found: dict[str, list[tuple[str, str]]] = {}
        for column, name, definition in cursor.fetchall():
            found.setdefault(column, []).append((name, definition))
    return found


def test_each_key_has_one_plain_index_named_after_its_model(people_a):
    with tenant_context(people_a.tenant):
        for table, prefix in TABLES.items():
            found = _indexes_on(table)
            assert set(found) == set(CUSTOMER_KEYS), (table, found)
            for key, indexes in found.items():
                (name, definition), = indexes  # one index a key, not a LIKE copy beside it
                assert name == f"{prefix}_{key}" and "pattern_ops" not in definition, (table, indexes)
    connection.set_schema_to_public()


def test_the_holding_registrations_are_looked_up_through_the_key_indexes(people_a):
    with tenant_context(people_a.tenant):
        _open_deals(people_a, 2000)
        keys = matching.customer_keys("株式会社最新確認1", "", "nowhere.example.co.jp")  # one deal of 2,004
        found, statements = _run_keeping_statements(lambda: services.matching_registrations(keys))
        assert [deal.customer_name for deal in found] == ["株式会社最新確認1"]
        (sql, params), = statements
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
            plan = cursor.fetchone()[0][0]["Plan"]
        used = {node.get("Index Name") for node in _nodes(plan)} - {None}
        assert {"deal_name_key", "deal_domain_key"} <= used, json.dumps(plan)
        # Only the customer's deal is read (the index holds the versions its approval and move left), not the 2,001
        # copies of another customer's deal.
        assert "Seq Scan" not in {node["Node Type"] for node in _nodes(plan)}, json.dumps(plan)
        assert max(node["Actual Rows"] for node in _nodes(plan) if node.get("Index Name")) <= 3, json.dumps(plan)
    connection.set_schema_to_public()
