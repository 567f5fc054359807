"""Partners ranked by a figure another app owns (programs' leaderboards and awards): the partners' side of the
ranking — which partners take part, their names and their start — in one statement with the figure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from partners.models import Stage
from partners.selectors.scope import start_day_sql
from prm.kept_counts import kept_counts
from prm.reads import fetch_rows


@dataclass(frozen=True)
class FiguresSQL:
    """A figure its owner computes in SQL, to rank partners by in the same statement: `sql` gives
    (partner_id, value) rows and may read `candidates(id)`, the partners being ranked; its `params` are
    named (%(name)s) and must not reuse the ranking's own (stages, limit, viewer)."""

    sql: str
    params: dict


def ranking(figures: dict[int, int] | FiguresSQL, *, stages: Iterable[str], limit: int,
            viewer_partner_id: int | None = None) -> list[tuple[int, int, str, int, int]]:
    """(rank, partner id, name, value, partners ranked) of the partners at `stages` with a figure above zero,
    ranked by it (ties share a rank: 1, 2, 2, 4, and are listed by name): the ranks up to `limit`, and the
    viewer's own row wherever it is. One statement, the window over the whole tenant."""
    if isinstance(figures, FiguresSQL):
        figures_sql, params = figures.sql, dict(figures.params)
    else:
        figures_sql = "SELECT * FROM unnest(%(figure_ids)s::bigint[], %(figure_values)s::bigint[])"
        params = {"figure_ids": list(figures), "figure_values": list(figures.values())}
    return fetch_rows(f"""
        WITH candidates(id) AS (SELECT id FROM partners_partner WHERE stage = ANY(%(stages)s)),
        figures(partner_id, value) AS ({figures_sql}),
        ranked AS (
            SELECT p.id, p.name, p.name_kana, f.value::bigint AS value,
                   RANK() OVER (ORDER BY f.value DESC) AS rank, COUNT(*) OVER () AS ranked
              FROM figures f JOIN partners_partner p ON p.id = f.partner_id
             WHERE f.value > 0 AND p.stage = ANY(%(stages)s)
        )
        SELECT rank, id, name, value, ranked FROM ranked
         WHERE rank <= %(limit)s OR id = %(viewer)s
         ORDER BY rank, COALESCE(NULLIF(name_kana, ''), name) COLLATE "C", name COLLATE "C", id
    """, {**params, "stages": list(stages), "limit": limit, "viewer": viewer_partner_id or 0})


def stage_counts() -> dict[str, int]:
    """How many partners each stage has, as the database keeps it (StageCount): no count of the partners."""
    counts = kept_counts("partners_stagecount", "stage")
    return {stage: counts.get(stage, 0) for stage in Stage.values}


def partner_count_in_stages(stages: Iterable[str]) -> int:
    counts = stage_counts()
    return sum(counts[stage] for stage in set(stages))


def partners_in_stages(partner_ids: Iterable[int], *, stages: Iterable[str],
                       started_between: tuple[date, date] | None = None) -> list[tuple[int, str, str]]:
    """(id, name, name kana) of the partners among `partner_ids` at `stages`; with `started_between`, only
    those whose start (their earliest agreement, else the local day they were created) falls in it."""
    started = ""
    params = {"ids": list(partner_ids), "stages": list(stages)}
    if started_between is not None:
        started = f"AND {start_day_sql('p', 'zone')} BETWEEN %(started_from)s AND %(started_to)s"
        params.update(zone=timezone.get_current_timezone_name(), started_from=started_between[0],
                      started_to=started_between[1])
    return fetch_rows(f"""
        SELECT p.id, p.name, p.name_kana FROM partners_partner p
         WHERE p.id = ANY(%(ids)s) AND p.stage = ANY(%(stages)s) {started}
    """, params)
