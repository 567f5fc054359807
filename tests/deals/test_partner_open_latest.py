"""The partner page's latest open deals and latest wins come from the first entries of the partial indexes
deal_partner_open_latest and deal_partner_won_latest, however many deals the partner and the vendor have, also under
the generic plan a prepared statement ends up with; and they are the deals the ORM names."""

from __future__ import annotations

import re
from datetime import timedelta

from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django_tenants.utils import tenant_context

from deals import services
from deals.models import OPEN_STAGES, DealRegistration, Stage
from deals.selectors.partner360 import RECENT, partner_deals
from tests.factories import PartnerFactory


def _open_deals(people, count: int) -> None:
    """A few registrations through the service (one moved on, one lost), then `count` older copies of one."""
    deals = [services.deal_register(partner=people.partner, user=people.partner_rep, customer_name=f"株式会社最新確認{n}",
                                    corporate_number="", web_domain="", amount=1_000_000 + n,
                                    expected_close=timezone.localdate() + timedelta(days=30)) for n in range(4)]
    services.deal_approve(deal=deals[1], actor=people.channel_manager)
    services.deal_move(deal=deals[1], actor=people.channel_manager, stage=Stage.PROPOSAL)
    services.deal_approve(deal=deals[2], actor=people.channel_manager)
    services.deal_move(deal=deals[2], actor=people.channel_manager, stage=Stage.LOST)
    services.deal_approve(deal=deals[3], actor=people.channel_manager)
    services.deal_move(deal=deals[3], actor=people.channel_manager, stage=Stage.WON, won_amount=900_000,
                       won_on=timezone.localdate())
    _copies(deals[0].pk, count, {"registered_at": "d.registered_at - n * interval '1 minute'"})


def _copies(deal_id: int, count: int, written: dict[str, str], params: dict | None = None) -> None:
    """`count` copies of one deal in one statement, the columns of `written` computed by its SQL (n: the copy's
    number, 1 to count; its own parameters in `params`), then the table analysed."""
    columns = [field.column for field in DealRegistration._meta.concrete_fields if not field.primary_key]
    copied = ", ".join(written.get(column, f"d.{column}") for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"""
            INSERT INTO deals_dealregistration ({", ".join(columns)})
            SELECT {copied} FROM deals_dealregistration d CROSS JOIN generate_series(1, %(count)s::int) n
             WHERE d.id = %(deal)s""", {**(params or {}), "count": count, "deal": deal_id})
        cursor.execute("ANALYZE deals_dealregistration")


def _run_keeping_statements(run):
    """What `run()` returns, and the (sql, params) of every statement it ran."""
    statements = []

    def keep(execute, sql, params, many, context):
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        return run(), statements


def _other_partners_deals(people, partners: int = 100, each: int = 30) -> list[int]:
    """`partners` other partners with `each` deals apiece, all older than the partner's first: the vendor the indexes
    are for has many partners, and a statement's generic plan is chosen for any one of them."""
    others = [partner.pk for partner in PartnerFactory.create_batch(partners)]
    first = DealRegistration.objects.filter(partner=people.partner).aggregate(first=Min("registered_at"))["first"]
    deal = DealRegistration.objects.filter(partner=people.partner).order_by("pk").values_list("pk", flat=True).first()
    _copies(deal, partners * each, {"registered_at": "%(first)s::timestamptz - n * interval '1 minute'",
                                    "partner_id": "(%(others)s::bigint[])[1 + n %% %(partners)s]"},
            {"first": first, "others": others, "partners": partners})
    return others


def test_the_latest_open_deals_are_the_ones_the_orm_names(people_a):
    with tenant_context(people_a.tenant):
        _open_deals(people_a, 40)
        expected = list(DealRegistration.objects.filter(partner=people_a.partner, stage__in=OPEN_STAGES)
                        .order_by("-registered_at", "-id").values_list("id", "stage")[:RECENT])
        deals = partner_deals(people_a.partner.pk, today=timezone.localdate())
        lines = deals.recent_open
        assert [(line.pk, line.stage) for line in lines] == expected
        assert Stage.LOST not in {line.stage for line in lines} and len(lines) == RECENT
        wins = list(DealRegistration.objects.filter(partner=people_a.partner, stage=Stage.WON)
                    .order_by("-won_on", "-id").values_list("id", "won_amount")[:RECENT])
        assert [(line.pk, line.won_amount) for line in deals.recent_won] == wins and len(wins) == 1


def test_the_latest_open_deals_and_wins_come_from_their_partial_indexes_even_under_a_generic_plan(people_a):
    with tenant_context(people_a.tenant):
        _open_deals(people_a, 3000)
        _other_partners_deals(people_a)
        _deals, statements = _run_keeping_statements(lambda: partner_deals(people_a.partner.pk, today=timezone.localdate()))
        (sql, params), = [(sql, params) for sql, params in statements if "'open' AS part" in sql]
        names: list[str] = []

        def placeholder(match: re.Match) -> str:
            if match.group(1) not in names:
                names.append(match.group(1))
            return f"${names.index(match.group(1)) + 1}"

        numbered = re.sub(r"%\((\w+)\)s", placeholder, sql)
        with connection.cursor() as cursor:
            types = ["bigint" if isinstance(params[name], int) else "text" for name in names]
            cursor.execute(f"PREPARE latest_open ({', '.join(types)}) AS {numbered}")
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            values = connection.ops.compose_sql(", ".join(["%s"] * len(names)), [params[name] for name in names])
            cursor.execute(f"EXPLAIN EXECUTE latest_open({values})")  # written in: EXPLAIN infers no value's type
            plan = "\n".join(row[0] for row in cursor.fetchall())
            cursor.execute("DEALLOCATE latest_open")
        assert "Index Scan using deal_partner_open_latest" in plan, plan
        assert "Index Scan using deal_partner_won_latest" in plan, plan
