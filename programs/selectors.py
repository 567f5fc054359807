from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext_lazy as _

from partners.list_columns import ColumnSQL
from partners.models import Partner
from prm.digests import DigestSQL, local_day, row_hash
from prm.inbox import Waiting, partner_scope, waiting
from prm.reads import Later, ModelRows, Read, fetch_rows
from programs.evaluation import Progress, TierSpec, progress_to
from programs.models import PartnerTier, Program, Requirement, Tier, TierChange

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def programs_with_tiers() -> list[Program]:
    programs = list(Program.objects.prefetch_related("tiers__requirements").order_by("name"))
    counts = dict(PartnerTier.objects.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    for program in programs:
        for tier in program.tiers.all():
            tier.partner_count = counts.get(tier.pk, 0)  # type: ignore[attr-defined]  # for the template; not a field
    return programs


def pending_changes() -> QuerySet[TierChange]:
    return TierChange.objects.filter(status=TierChange.Status.PENDING).select_related("partner", "from_tier", "to_tier")


def applied_tier_changes() -> Iterator[tuple]:
    """(partner id, decided at, code of the tier it moved to or None) of every applied tier change, by partner
    then decision: each partner's tier history, as commission runs read it."""
    return iter(TierChange.objects.filter(status=TierChange.Status.APPLIED).order_by("partner_id", "decided_at", "pk")
                .values_list("partner_id", "decided_at", "to_tier__code"))


def tier_change_digest_sql(*, tag: int) -> DigestSQL:
    """The applied tier changes as a commission run's input digest reads them (incentives.runs), in SQL to
    compose into its one statement: a row per change (tagged `tag`) on the local day it was decided, hashing
    its partner, the instant of the decision and the code of the tier it moved to."""
    decided = local_day("c.decided_at", zone_param="programs_zone")
    hashed = row_hash(tag, "c.id", "c.partner_id", "extract(epoch FROM c.decided_at)", "hashtext(coalesce(t.code, ''))")
    sql = f"""SELECT {decided}, {hashed}
                FROM {TierChange._meta.db_table} c LEFT JOIN {Tier._meta.db_table} t ON t.id = c.to_tier_id
                WHERE c.status = %(programs_applied)s"""
    return DigestSQL(sql, {"programs_zone": settings.TIME_ZONE, "programs_applied": TierChange.Status.APPLIED})


def tier_changes_awaiting_approval(*, partner_ids: QuerySet | None = None) -> Waiting[TierChange]:
    """Tier changes waiting for the vendor's approval, the longest-waiting first."""
    return waiting(TierChange.objects.filter(partner_scope(partner_ids), status=TierChange.Status.PENDING)
                   .select_related("partner", "from_tier", "to_tier").order_by("detected_at", "pk"))


def change_history(limit: int = 100) -> QuerySet[TierChange]:
    return (TierChange.objects.exclude(status=TierChange.Status.PENDING)
            .select_related("partner", "from_tier", "to_tier", "decided_by")[:limit])


@dataclass
class PartnerProgramView:
    tier: Tier | None
    next_tier: Tier | None
    progress: list[Progress]
    evaluated_at: object
    today: date  # the day the progress is computed on
    partner_id: int | None = None

    @property
    def rows(self) -> list[dict]:
        """Each progress row with its figure's window (prm.figures): certified reps and active contacts on
        the day, the rest over the rule's window ending on the day."""
        from django.db import connection

        from prm import figures

        start_month = getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection
        rows = []
        for row in self.progress:
            if row.metric in ("certified_reps", "active_contacts"):
                window = figures.as_of(self.today)
            elif row.window == "fiscal_year":
                window = figures.fiscal_year_to_date(self.today, start_month)
            else:
                window = figures.trailing_12_months(self.today)
            rows.append({"row": row, "window": window})
        return rows

    @property
    def met(self) -> int:
        return sum(1 for row in self.progress if row.met)

    @property
    def percent(self) -> int:
        """How far along the way to the next tier, all requirements weighed alike (each capped at 100)."""
        return sum(row.percent for row in self.progress) // len(self.progress) if self.progress else 0


_PARTNER_TIER, _PROGRAM = ModelRows(PartnerTier), ModelRows(Program)
_TIER, _REQUIREMENT = ModelRows(Tier), ModelRows(Requirement)


@cache
def _status_and_programs_sql() -> str:
    # One row per active programme (a single one of NULLs when there is none), each with the partner's tier status.
    return (f"SELECT {_PARTNER_TIER.columns('s')}, {_TIER.columns('t')}, {_PROGRAM.columns('g')}"
            f" FROM (SELECT 1) one LEFT JOIN {PartnerTier._meta.db_table} s ON s.partner_id = %(partner)s"
            f" LEFT JOIN {Tier._meta.db_table} t ON t.id = s.tier_id"
            f" LEFT JOIN {Program._meta.db_table} g ON g.is_active ORDER BY g.name, g.id")


def tier_status_and_programs(partner_id: int) -> tuple[PartnerTier | None, list[Program]]:
    """The partner's tier status with its tier (None: never evaluated) and the active programmes by name, in one
    statement."""
    return _status_and_programs_read(partner_id).run()


def _status_and_programs_read(partner_id: int) -> Read[tuple[PartnerTier | None, list[Program]]]:
    def build(rows: list[tuple]) -> tuple[PartnerTier | None, list[Program]]:
        s, t = _PARTNER_TIER.width, _TIER.width
        status = _PARTNER_TIER.instance_or_none(rows[0][:s])
        if status is not None:
            PartnerTier.tier.field.set_cached_value(status, _TIER.instance_or_none(rows[0][s:s + t]))
        return status, [program for row in rows if (program := _PROGRAM.instance_or_none(row[s + t:])) is not None]

    return Read(_status_and_programs_sql(), {"partner": partner_id}, build)


def partner_program(partner, today) -> PartnerProgramView:
    """The partner's tier and its progress to the next one, on today's figures: three queries, and those of the
    next tier's requirements only (a tier without requirements needs none)."""
    return partner_program_later(partner, today).run()


def partner_program_later(partner, today) -> Later[PartnerProgramView]:
    """partner_program with its first statement (the tier status and the programmes) sent with a page's others
    (prm.reads.resolve); the rest depends on its rows."""
    return Later([_status_and_programs_read(partner.pk)], lambda found: _program_view(partner, today, *found))


def _program_view(partner, today, status: PartnerTier | None, programs: list[Program]) -> PartnerProgramView:
    from programs.metrics import compute
    from programs.services import program_for, specs_of

    partner._tier_status_cache = status  # the tier's benefits, read later on the same page (programs.benefits)
    current = status.tier if status else None
    program = program_for(partner.partner_type, programs)
    if program is None:
        return PartnerProgramView(current, None, [], None, today, partner.pk)
    tiers = tiers_with_requirements(program.pk)
    specs: list[TierSpec] = specs_of(tiers, today)
    rank = current.rank if current else 0
    following = next((spec for spec in specs if spec.rank > rank), None)
    next_tier = next((tier for tier, _requirements in tiers if following and tier.pk == following.pk), None)
    progress: list[Progress] = []
    if following is not None and following.rules:
        # Progress is shown on today's figures, from their owners (the tier itself moves at the next evaluation):
        # the figures stored at the last evaluation would disagree with every other screen as soon as a deal is won.
        metrics = compute([partner.pk], {program.pk: program}, {partner.pk: program.pk}, today,
                          keys={rule.key for rule in following.rules}).get(partner.pk, {})
        progress = progress_to(following, metrics)
    return PartnerProgramView(current, next_tier, progress, status.evaluated_at if status else None, today,
                              partner.pk)


@dataclass(frozen=True)
class TierChangeLine:
    """A tier change as the partner's timeline tells it."""

    direction: str
    status: str
    at: datetime  # when it was decided, else when it was detected
    from_tier: str | None  # the tiers' names; None for no tier
    to_tier: str | None

    @property
    def status_label(self) -> str:
        return str(TierChange.Status(self.status).label)


def tiers_with_requirements(program_id: int) -> list[tuple[Tier, list[Requirement]]]:
    """The programme's tiers by rank, each with its requirements (in their model's order), in one statement."""
    rows = fetch_rows(f"""
        SELECT {_TIER.columns("t")}, {_REQUIREMENT.columns("r")}
          FROM {Tier._meta.db_table} t LEFT JOIN {Requirement._meta.db_table} r ON r.tier_id = t.id
         WHERE t.program_id = %(program)s
         ORDER BY t.rank, t.id, r.option, r.id""", {"program": program_id})
    split, tier_id, rule_id = len(_TIER.fields), _TIER.attnames.index("id"), _REQUIREMENT.attnames.index("id")
    tiers: dict[int, tuple[Tier, list[Requirement]]] = {}
    for row in rows:
        if row[tier_id] not in tiers:
            tiers[row[tier_id]] = (_TIER.instance(row[:split]), [])
        if row[split + rule_id] is not None:  # a tier without requirements: NULLs
            tiers[row[tier_id]][1].append(_REQUIREMENT.instance(row[split:]))
    return list(tiers.values())


def tier_changes_of(partner_id: int, *, limit: int) -> list[TierChangeLine]:
    """The partner's newest tier changes with both tiers' names, for its timeline (one statement)."""
    return tier_changes_read(partner_id, limit=limit).run()


def tier_changes_read(partner_id: int, *, limit: int) -> Read[list[TierChangeLine]]:
    """tier_changes_of's statement, for a page that sends it with others (prm.reads.Later)."""
    return Read(f"""
        SELECT c.direction, c.status, COALESCE(c.decided_at, c.detected_at), f.name, t.name
          FROM {TierChange._meta.db_table} c
          LEFT JOIN {Tier._meta.db_table} f ON f.id = c.from_tier_id
          LEFT JOIN {Tier._meta.db_table} t ON t.id = c.to_tier_id
         WHERE c.partner_id = %(partner)s
         ORDER BY c.detected_at DESC, c.id DESC LIMIT %(limit)s""", {"partner": partner_id, "limit": limit},
        lambda rows: [TierChangeLine(*row) for row in rows])


def tier_choices() -> list[tuple[str, str]]:
    """(code, name) of every tier, once per code, entry tiers first: what a plan's applies_to can name."""
    seen: dict[str, str] = {}
    for code, name in fetch_rows(f"""
            SELECT t.code, t.name FROM {Tier._meta.db_table} t JOIN {Program._meta.db_table} p ON p.id = t.program_id
             ORDER BY t.rank, p.name""", {}):
        seen.setdefault(code, name)
    return list(seen.items())


def partner_tiers_for_sync(*, partner_id: int | None = None) -> QuerySet[PartnerTier]:
    """Each partner's current tier, for an outside system: the vendor's, or one partner's own."""
    qs = PartnerTier.objects.select_related("tier", "tier__program")
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs


def tier_changes_for_sync(*, partner_id: int | None = None) -> QuerySet[TierChange]:
    """The tier history (upgrades and downgrades with their state and reason)."""
    qs = TierChange.objects.select_related("from_tier", "to_tier")
    return qs.filter(partner_id=partner_id) if partner_id is not None else qs


# --------------------------------------------------------------------------- partners' tiers, set-based


def partners_in_tier_sql(tier_id: int) -> tuple[str, dict[str, object]]:
    """A relation of the ids (partner_id) of the partners holding the tier now, and its parameters (starting
    `tier_`, so they do not clash with the statement's own): a statement over partners limits itself to them without a round trip."""
    return ("SELECT pt.partner_id FROM programs_partnertier pt WHERE pt.tier_id = %(tier_held)s",
            {"tier_held": tier_id})


def held_tiers_sql() -> str:
    """A relation of the tier each partner holds now, one row per partner holding one: partner_id, tier_id,
    tier_name, and tier_label: the name, prefixed with its programme's when the vendor runs more than one
    programme ("Partner+ · Gold"). The programs tables' part of the insights dashboard's statements (see
    deals.selectors.dashboard)."""
    return """
        SELECT pt.partner_id, pt.tier_id, t.name AS tier_name,
               CASE WHEN (SELECT count(*) FROM programs_program) > 1 THEN pr.name || ' · ' || t.name
                    ELSE t.name END AS tier_label
          FROM programs_partnertier pt
          JOIN programs_tier t ON t.id = pt.tier_id
          JOIN programs_program pr ON pr.id = t.program_id"""


def rank_labels() -> dict[int, str]:
    """rank → the names of the active programmes' tiers of that rank, each once ("Silver / Partner+"); one query."""
    names: dict[int, list[str]] = {}
    for rank, name in Tier.objects.filter(program__is_active=True).order_by("rank", "program__name").values_list(
            "rank", "name"):
        names.setdefault(rank, [])
        if name not in names[rank]:
            names[rank].append(name)
    return {rank: " / ".join(found) for rank, found in names.items()}


def change_marker_sql() -> str:
    """Scalar subqueries, comma-separated, for the select list of one fingerprint statement (see
    partners.selectors.change_marker_sql): their values change when a partner gains, changes or loses a tier."""
    return """(SELECT max(since) FROM programs_partnertier),
           (SELECT count(*) FROM programs_partnertier)"""


def tiers_in_order() -> QuerySet[Tier]:
    """Every tier with its programme, by programme name and rank (the choices of a tier filter)."""
    return Tier.objects.select_related("program").order_by("program__name", "rank")


# --------------------------------------------------------------------------- the console's partner list's tier column
# (registered with partners.list_columns in hooks.py)

NO_TIER = "~none"  # the filter's option for partners without a tier: a tier's code is a slug, never this


def with_tier(partners: QuerySet[Partner]) -> QuerySet[Partner]:
    """The partners with the tier each holds now, the partner page's: tier_name, tier_code and tier_rank (None
    without a tier). Joined in the list's one query (partner → its one tier status → its tier): sorting 10,000
    partners by tier is then a hash join rather than a subquery per partner."""
    return partners.annotate(tier_name=F("tier_status__tier__name"), tier_code=F("tier_status__tier__code"),
                             tier_rank=F("tier_status__tier__rank"))


# with_tier's annotations in the partner list's statement for a page's rows (partners.list_columns.ColumnSQL).
TIER_ROW_SQL = ColumnSQL(
    joins="LEFT JOIN programs_partnertier tier_status ON tier_status.partner_id = p.id "
          "LEFT JOIN programs_tier tier_tier ON tier_tier.id = tier_status.tier_id",
    select=(("tier_name", "tier_tier.name"), ("tier_code", "tier_tier.code"), ("tier_rank", "tier_tier.rank")))


def partners_of_tier(partners: QuerySet[Partner], code: str) -> QuerySet[Partner]:
    """The partners holding a tier of this code (in any programme), or no tier (NO_TIER)."""
    if code == NO_TIER:
        return partners.filter(tier_status__tier__isnull=True)
    return partners.filter(tier_status__tier__code=code)


def tier_filter_options() -> list[tuple[str, StrOrPromise]]:
    return [*tier_choices(), (NO_TIER, _("No tier yet"))]
