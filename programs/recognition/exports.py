"""A leaderboard as CSV: every ranked partner, in the request or on the worker when there are many (prm.exports)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from prm import exports
from programs.recognition import periods, rules, selectors
from programs.recognition.periods import Period

KIND = "programs.leaderboard"
EVERYONE = 1_000_000  # the CSV ranks every partner, not the page's top 50


def params(metric: str, period: Period) -> dict:
    return {"metric": metric, "period": period.key}


def filename(metric: str, period: Period) -> str:
    return f"leaderboard-{metric}-{period.key.replace(':', '-')}.csv"


def table(metric: str, period: Period):
    board = selectors.leaderboard(metric, period, limit=EVERYONE)
    header = [_("Rank"), _("Partner"), str(rules.METRICS[metric]), _("Period")]
    return header, ([row.rank, row.name, row.value, period.label] for row in board.rows)


def _build(params: dict):
    metric, period = params["metric"], periods.parse(params["period"], selectors.start_month())
    return (filename(metric, period), *table(metric, period))


exports.register(KIND, _build)
