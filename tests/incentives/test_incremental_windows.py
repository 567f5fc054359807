"""The events an incremental run reads give, from its first month on, exactly the lines the engine
computes over the whole history: on random plans (caps, stepped and threshold periods, recurring,
overrides, clawbacks, tier changes) and from every month of the history."""

from __future__ import annotations

from datetime import date

import pytest

from incentives import engine, incremental
from tests.incentives.test_explain import random_case


def _from(result: engine.Result, start: date) -> dict[str, list[tuple]]:
    """Each partner's lines dated from `start` on, with their occurrence, as the ledger keys them."""
    kept: dict[str, list[tuple]] = {}
    for partner, lines in result.partners.items():
        seen: dict[tuple[str, str], int] = {}
        for line in lines.lines:
            occurrence = seen[(line.event_id, line.rule)] = seen.get((line.event_id, line.rule), -1) + 1
            if line.occurred_on >= start:
                kept.setdefault(partner, []).append((line.event_id, line.rule, occurrence, line.amount, line.occurred_on))
    return kept


MONTHS = [date(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1) for month in range(3, 19)]


@pytest.mark.parametrize("seed", range(80))
def test_the_window_gives_the_same_lines_as_the_whole_history(seed):
    plan, events, partners = random_case(seed)
    full = engine.compute(plan, events, partners)
    for start in MONTHS:
        chosen = incremental.select([plan], events, start)
        assert _from(engine.compute(plan, chosen, partners), start) == _from(full, start), (seed, start)


def test_a_month_without_stateful_rules_reads_only_its_own_events():
    plan, events, partners = random_case(3)
    plain = engine.parse_plan({"code": "p", "name": "p", "currency": "JPY", "fiscal_year_start_month": 4,
                               "valid_from": "2026-04-01", "valid_to": "2027-03-31",
                               "rules": [{"id": "m", "kind": "percent", "on": "deal_won", "rate": "0.1"}]})
    start = date(2026, 9, 1)
    chosen = incremental.select([plain], events, start)
    assert chosen and all(event.occurred_on >= start for event in chosen)  # no recurring rule: no earlier win
    assert len(chosen) < len(events)


def test_the_largest_period_decides_the_window():
    plan = engine.parse_plan({"code": "p", "name": "p", "currency": "JPY", "fiscal_year_start_month": 4,
                              "valid_from": "2026-04-01", "valid_to": "2027-03-31",
                              "rules": [{"id": "s", "kind": "stepped", "on": "deal_won", "period": "quarter",
                                         "mode": "marginal", "brackets": [{"from": 0, "rate": "0.1"}]},
                                        {"id": "c", "kind": "fixed", "on": "certification_earned", "amount": 1,
                                         "cap_count": 2, "cap_period": "year"}]})
    chosen = incremental.windows([plan], date(2026, 11, 1))
    assert chosen[engine.DEAL_WON] == date(2026, 10, 1)
    assert chosen[engine.CERTIFICATION_EARNED] == date(2026, 4, 1)
    assert chosen[engine.INVOICE_PAID] == date(2026, 11, 1)
    assert incremental.period_start(date(2027, 2, 3), "year", 4) == date(2026, 4, 1)
    assert incremental.period_start(date(2027, 2, 3), "quarter", 4) == date(2027, 1, 1)
    assert incremental.period_start(date(2027, 1, 3), "quarter", 2) == date(2026, 11, 1)
