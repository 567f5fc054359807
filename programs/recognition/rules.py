"""Recognition rules, pure: who wins an award, the tie-breaks, and which badges exist.

No database here: the selectors hand over aggregated figures and earned dates, these functions
decide. Ties are always broken the same way, so the same data gives the same winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Leaderboard metrics.
REVENUE, DEALS, CERTIFIED, HEALTH = "revenue", "deals", "certified", "health"
METRICS = {
    REVENUE: _("Won revenue"),
    DEALS: _("Registered deals"),
    CERTIFIED: _("Reps newly certified"),
    HEALTH: _("Health score"),
}
# Each board's figure in the catalogue (prm.figures): "certified" ranks reps certified during the period,
# not the reps holding a valid certification on a day (certified_reps).
FIGURE_KEYS = {REVENUE: "won_revenue", DEALS: "registered_deals", CERTIFIED: "reps_certified", HEALTH: "health_score"}
MONEY = {REVENUE}
PORTAL_METRICS = (REVENUE, DEALS, CERTIFIED)  # the health score is the vendor's own assessment

# Badge thresholds.
CERTIFIED_REPS_FOR_BADGE = 3
QUARTER_REVENUE_FOR_BADGE = 10_000_000
ATTENDANCE_STREAK = 3


def sort_name(name: str, name_kana: str) -> str:
    """Names sort by their reading (五十音順) when there is one, else by the name itself."""
    return name_kana or name


@dataclass(frozen=True)
class Candidate:
    partner_id: int
    name: str
    name_kana: str
    revenue: int
    won_deals: int


def pick_winner(candidates: list[Candidate]) -> Candidate | None:
    """The highest won revenue; a tie goes to more won deals, then to the name (by reading), then the
    older partner record. Nobody wins without revenue."""
    eligible = [c for c in candidates if c.revenue > 0]
    if not eligible:
        return None
    return min(eligible, key=lambda c: (-c.revenue, -c.won_deals, sort_name(c.name, c.name_kana), c.name,
                                        c.partner_id))


@dataclass(frozen=True)
class BadgeKind:
    key: str
    icon: str  # Bootstrap Icons name
    name: Promise
    how: Promise  # how it is earned, shown on badges not earned yet

    def text(self, message: Promise) -> str:
        return str(message) % THRESHOLDS


BADGE_KINDS = (
    BadgeKind("first_deal", "flag", _("First deal registered"), _("Register your first deal.")),
    BadgeKind("first_win", "trophy", _("First win"), _("Win your first deal.")),
    BadgeKind("certified_team", "patch-check", _("%(reps)s or more certified reps"), _("Get %(reps)s reps certified.")),
    BadgeKind("quarter_10m", "graph-up-arrow", _("¥10M in a quarter"),
              _("Win ¥10,000,000 or more within one fiscal quarter.")),
    BadgeKind("perfect_attendance", "calendar-check", _("Perfect attendance"),
              _("Attend %(sessions)s study sessions in a row.")),
    BadgeKind("mvp", "star-fill", _("MVP of the month"), _("Win the most revenue in a month.")),
    BadgeKind("rookie", "rocket-takeoff", _("Rookie of the year"),
              _("Win the most revenue among partners who joined this fiscal year.")),
)
THRESHOLDS = {"reps": CERTIFIED_REPS_FOR_BADGE, "sessions": ATTENDANCE_STREAK}
BADGE_KEYS = tuple(kind.key for kind in BADGE_KINDS)


@dataclass(frozen=True)
class Badge:
    key: str
    icon: str
    name: str
    how: str
    earned_on: date | None
    count: int = 1

    @property
    def earned(self) -> bool:
        return self.earned_on is not None


def badges_from(earned: dict[str, date | None], counts: dict[str, int] | None = None, *,
                include_locked: bool = False) -> list[Badge]:
    """Badges in catalogue order from the date each was first earned (None: not yet)."""
    counts = counts or {}
    result = []
    for kind in BADGE_KINDS:
        earned_on = earned.get(kind.key)
        if earned_on is None and not include_locked:
            continue
        result.append(Badge(kind.key, kind.icon, kind.text(kind.name), kind.text(kind.how), earned_on,
                            max(counts.get(kind.key, 1), 1) if earned_on else 0))
    return result
