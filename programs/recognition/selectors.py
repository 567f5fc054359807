"""Recognition reads, set-based: one aggregate query per leaderboard, award and badge question.

Leaderboards rank with a SQL window over the whole tenant (partners.selectors.ranking, the figure from
its owner), so a board of 10,000 partners is one query that returns only the rows shown (the top ranks
and the viewer's own), after the one that reads the figure (none for the health score: insights ranks
it in the same statement, through register_ranked_figure).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime

from django.db import connection
from django.utils import timezone

from partners import selectors as partner_selectors
from partners.models import Partner, Stage
from partners.selectors import FiguresSQL
from prm.reads import fetch_rows
from programs.recognition import periods, rules
from programs.recognition.periods import Period
from programs.recognition_models import Award, AwardKind

RANKED_STAGES = [Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT]


def start_month() -> int:
    return getattr(connection.tenant, "fiscal_year_start_month", 4) or 4  # type: ignore[attr-defined]  # django-tenants' connection


# --------------------------------------------------------------------------- leaderboards


@dataclass(frozen=True)
class Standing:
    rank: int
    partner_id: int
    name: str
    value: int | None  # None: hidden from this viewer


@dataclass(frozen=True)
class Board:
    metric: str
    period: Period
    rows: list[Standing]  # the top ranks; partners tied at the cut are all shown
    ranked: int  # partners on the board (a figure above zero)
    viewer: Standing | None = None  # the viewer's own standing; None when not on the board

    @property
    def money(self) -> bool:
        return self.metric in rules.MONEY

    @property
    def label(self) -> str:
        return str(rules.METRICS[self.metric])

    @property
    def figure(self) -> str:
        return rules.FIGURE_KEYS[self.metric]

    @property
    def window(self):
        from prm import figures

        return figures.period(self.period.start, self.period.end, start_month(), today=timezone.localdate())

    @property
    def viewer_below(self) -> bool:
        """The viewer is ranked, but below the rows shown."""
        return self.viewer is not None and all(row.partner_id != self.viewer.partner_id for row in self.rows)


# Figures of the apps above programs that boards rank by in the same statement as the partners (insights' health
# score, its own tables): metric → function (period, today) → FiguresSQL, registered by their owner when it loads,
# since programs never imports them.
_ranked_in_sql: dict[str, Callable[[Period, date], FiguresSQL]] = {}


def register_ranked_figure(metric: str, function: Callable[[Period, date], FiguresSQL]) -> None:
    _ranked_in_sql[metric] = function


def figures_of(metric: str, period: Period, partner_ids=None) -> dict[int, int] | None:
    """partner id → the metric over the period from the figure's owner (prm.figures); None for the health
    score, which its owner ranks in SQL (register_ranked_figure)."""
    from deals import selectors as deals
    from enablement import selectors as enablement

    if metric == rules.REVENUE:
        return deals.won_revenue(partner_ids, period.start, period.end)
    if metric == rules.DEALS:
        return deals.registered_deal_count(partner_ids, period.start, period.end)
    if metric == rules.CERTIFIED:
        # Reps certified during the period (each counted once, whatever they passed).
        return enablement.reps_certified_between(partner_ids, period.start, period.end)
    if metric == rules.HEALTH:
        return None
    raise ValueError(metric)


def _figures(metric: str, period: Period, today: date) -> dict[int, int] | FiguresSQL:
    """One metric over one period: from its owner's selector, or as SQL its owner registered (an owner that is
    not installed ranks no one)."""
    values = figures_of(metric, period)
    if values is not None:
        return values
    ranked = _ranked_in_sql.get(metric)
    return {} if ranked is None else ranked(period, today)


def leaderboard(metric: str, period: Period, *, limit: int = 10, viewer_partner_id: int | None = None,
                today: date | None = None) -> Board:
    """Partners ranked by one metric: ties share a rank (1, 2, 2, 4) and are listed by name."""
    today = today or timezone.localdate()
    rows = partner_selectors.ranking(_figures(metric, period, today), stages=RANKED_STAGES, limit=limit,
                                     viewer_partner_id=viewer_partner_id)
    standings = [Standing(rank, partner_id, name, int(value)) for rank, partner_id, name, value, _ranked in rows]
    viewer = next((s for s in standings if s.partner_id == viewer_partner_id), None)
    return Board(metric, period, [s for s in standings if s.rank <= limit], rows[0][4] if rows else 0, viewer)


def ranked_partner_count() -> int:
    """How many partners a leaderboard can rank at most (a cheap bound for the size of its CSV)."""
    return partner_selectors.partner_count_in_stages(RANKED_STAGES)


def leaderboard_for_partner(metric: str, period: Period, partner: Partner, *, limit: int = 10,
                            today: date | None = None) -> Board:
    """The portal's board: every partner's rank and name, but figures only for the viewer's own company."""
    board = leaderboard(metric, period, limit=limit, viewer_partner_id=partner.pk, today=today)
    hidden = [row if row.partner_id == partner.pk else replace(row, value=None) for row in board.rows]
    return replace(board, rows=hidden)


# --------------------------------------------------------------------------- awards


def candidates(period: Period, *, joined_in: Period | None = None) -> list[rules.Candidate]:
    """Every ranked partner with won revenue in the period; `joined_in` keeps partners whose start
    (their earliest agreement, else when they were created) falls in that period."""
    from deals.selectors import won_totals

    won = won_totals(None, period.start, period.end)
    if not won:
        return []
    rows = partner_selectors.partners_in_stages(
        won, stages=RANKED_STAGES, started_between=None if joined_in is None else (joined_in.start, joined_in.end))
    return [rules.Candidate(pid, name, kana, won[pid][0], won[pid][1]) for pid, name, kana in rows]


def mvp_period(today: date) -> Period:
    """MVP of the month is chosen for the month before the current one."""
    return periods.period_containing(periods.MONTH, today, start_month()).previous()


def rookie_period(today: date) -> Period:
    return periods.period_containing(periods.YEAR, today, start_month())


def mvp_of(period: Period) -> rules.Candidate | None:
    return rules.pick_winner(candidates(period))


def rookie_of(period: Period) -> rules.Candidate | None:
    return rules.pick_winner(candidates(period, joined_in=period))


def published_awards(*, partner: Partner | None = None, limit: int = 24) -> list[Award]:
    awards = Award.objects.filter(withdrawn_at__isnull=True).select_related("partner", "published_by")
    if partner is not None:
        awards = awards.filter(partner=partner)
    result = list(awards.order_by("-period_start", "kind")[:limit])
    for award in result:
        award.period = award_period(award)  # type: ignore[attr-defined]  # for the template; not a field
    return result


def award_period(award: Award) -> Period:
    kind = periods.MONTH if award.kind == AwardKind.MVP else periods.YEAR
    return periods.period_containing(kind, award.period_start, start_month())


@dataclass(frozen=True)
class PublicAward:
    """A published award as a partner sees it: the figures only when it is the viewer's own."""

    kind: str
    label: str
    period: Period
    partner_name: str
    own: bool
    published_at: datetime
    revenue: int | None
    won_deals: int | None


def published_awards_for_partner(partner: Partner, *, limit: int = 12) -> list[PublicAward]:
    return [PublicAward(a.kind, a.get_kind_display(), award_period(a), a.partner.name, a.partner_id == partner.pk,
                        a.published_at, a.revenue if a.partner_id == partner.pk else None,
                        a.won_deals if a.partner_id == partner.pk else None)
            for a in published_awards(limit=limit)]


def published_award(kind: str, period: Period) -> Award | None:
    return (Award.objects.filter(kind=kind, period_start=period.start, withdrawn_at__isnull=True)
            .select_related("partner", "published_by").first())


@dataclass(frozen=True)
class AwardProposal:
    """An award as the data decides it now, beside the one already published for the period."""

    kind: str
    period: Period
    winner: rules.Candidate | None
    published: Award | None

    @property
    def label(self) -> str:
        return str(AwardKind(self.kind).label)

    @property
    def differs(self) -> bool:
        """The data changed since publishing: the winner today is someone else."""
        return bool(self.published and self.winner and self.published.partner_id != self.winner.partner_id)


def award_proposals(today: date | None = None) -> list[AwardProposal]:
    today = today or timezone.localdate()
    mvp, rookie = mvp_period(today), rookie_period(today)
    published = {(a.kind, a.period_start): a for a in Award.objects.filter(
        withdrawn_at__isnull=True, period_start__in=[mvp.start, rookie.start]).select_related("partner", "published_by")}
    return [
        AwardProposal(AwardKind.MVP, mvp, mvp_of(mvp), published.get((AwardKind.MVP, mvp.start))),
        AwardProposal(AwardKind.ROOKIE, rookie, rookie_of(rookie), published.get((AwardKind.ROOKIE, rookie.start))),
    ]


# --------------------------------------------------------------------------- badges

AWARD_SQL = """
WITH ids(partner_id) AS (SELECT unnest(%(ids)s::bigint[]))
SELECT ids.partner_id,
  (SELECT MIN(w.published_at) FROM programs_award w
    WHERE w.partner_id = ids.partner_id AND w.kind = 'mvp' AND w.withdrawn_at IS NULL),
  (SELECT COUNT(*) FROM programs_award w
    WHERE w.partner_id = ids.partner_id AND w.kind = 'mvp' AND w.withdrawn_at IS NULL),
  (SELECT MIN(w.published_at) FROM programs_award w
    WHERE w.partner_id = ids.partner_id AND w.kind = 'rookie' AND w.withdrawn_at IS NULL),
  (SELECT COUNT(*) FROM programs_award w
    WHERE w.partner_id = ids.partner_id AND w.kind = 'rookie' AND w.withdrawn_at IS NULL)
FROM ids
"""


def _local_day(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def badges_by_partner(partner_ids: list[int], *, include_locked: bool = False,
                      now: datetime | None = None) -> dict[int, list[rules.Badge]]:
    """Every partner's badges with the day each was first earned: the deal and enablement milestones come from
    their owners' selectors; four queries for any number of partners."""
    if not partner_ids:
        return {}
    from deals.selectors import deal_milestones
    from enablement.selectors import attendance_streak_completed, nth_rep_first_certified

    ids = list(partner_ids)
    deals = deal_milestones(ids, quarter_target=rules.QUARTER_REVENUE_FOR_BADGE, fiscal_start_month=start_month())
    certified = nth_rep_first_certified(ids, rules.CERTIFIED_REPS_FOR_BADGE)
    attendance = attendance_streak_completed(ids, rules.ATTENDANCE_STREAK, now or timezone.now())
    result = {}
    for partner_id, mvp, mvps, rookie, rookies in fetch_rows(AWARD_SQL, {"ids": ids}):
        first_deal, first_win, quarter = deals.get(partner_id, (None, None, None))
        earned = dict(zip(rules.BADGE_KEYS, map(_local_day, (
            first_deal, first_win, certified.get(partner_id), quarter, attendance.get(partner_id), mvp, rookie)),
            strict=True))
        result[partner_id] = rules.badges_from(earned, {"mvp": mvps, "rookie": rookies}, include_locked=include_locked)
    return result


def badges_for(partner: Partner, *, include_locked: bool = False) -> list[rules.Badge]:
    """The partner's badges, earned ones only unless asked: always four queries."""
    return badges_by_partner([partner.pk], include_locked=include_locked).get(partner.pk, [])
