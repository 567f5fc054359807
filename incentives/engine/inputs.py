"""Reading events and partners (rows or CSV text) and refusing inputs that contradict each other,
before anything is computed: `InputError` names each line."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext as _

from incentives.engine.dates import event_order, iso_date
from incentives.engine.money import INTEGER_PATTERN, MAX_DIGITS
from incentives.engine.rules import Override, Plan
from incentives.engine.values import (
    DEAL_CANCELLED,
    DEAL_WON,
    EVENT_KINDS,
    EVENTS_HEADER,
    PARTNERS_HEADER,
    WITH_AMOUNT,
    WITH_DEAL,
    Event,
    InputError,
    PartnerInfo,
    Problem,
    shown,
)


def parse_events(rows: Iterable[Mapping[str, Any]], *, line_offset: int = 2) -> list[Event]:
    """Events from rows with the CSV's keys (the first row being line `line_offset`)."""
    return _events(enumerate(rows, start=line_offset))


def read_events_csv(text: str) -> list[Event]:
    """Events from the text of an events CSV with its header row."""
    return _events(_csv_rows(text, EVENTS_HEADER, "events"), source="events")


def parse_partners(rows: Iterable[Mapping[str, Any]], *, line_offset: int = 2) -> dict[str, PartnerInfo]:
    return _partners(enumerate(rows, start=line_offset))


def read_partners_csv(text: str) -> dict[str, PartnerInfo]:
    return _partners(_csv_rows(text, PARTNERS_HEADER, "partners"), source="partners")


def _csv_rows(text: str, header: Sequence[str], source: str) -> Iterator[tuple[int, Mapping[str, Any] | str]]:
    """(line, row as a dict) or (line, problem) for each non-blank row; a bad header is line 1."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        names = [cell.strip() for cell in next(reader, [])]
        if sorted(names) != sorted(header):
            raise InputError([(1, _("the first line must be the header %(header)s") % {"header": ",".join(header)})],
                             source)
        line = reader.line_num + 1
        for row in reader:
            row_line, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield row_line, _("expected %(expected)s columns, found %(found)s") % {"expected": len(names),
                                                                                       "found": len(row)}
                continue
            yield row_line, dict(zip(names, row, strict=True))
    except csv.Error as error:
        raise InputError([(reader.line_num, _("the CSV cannot be read: %(error)s") % {"error": error})], source) from None


def _cell(row: Mapping[str, Any], key: str) -> str:
    value = row.get(key)
    return "" if value is None else str(value).strip()


def _events(numbered: Iterable[tuple[int, Mapping[str, Any] | str]], source: str | None = "events") -> list[Event]:
    events: list[Event] = []
    problems: list[Problem] = []
    lines: dict[str, int] = {}
    for line, row in numbered:
        result = row if isinstance(row, str) else _event(row, line)
        if isinstance(result, str):
            problems.append((line, result))
        elif result.event_id in lines:
            problems.append((line, _("the event_id %(id)s appears twice (first on line %(line)s)")
                             % {"id": result.event_id, "line": lines[result.event_id]}))
        else:
            lines[result.event_id] = line
            events.append(result)
    if problems:
        raise InputError(problems, source)
    return events


def _event(row: Mapping[str, Any], line: int) -> Event | str:
    event_id, partner, kind = _cell(row, "event_id"), _cell(row, "partner"), _cell(row, "event")
    amount_text, deal, product = _cell(row, "amount"), _cell(row, "deal"), _cell(row, "product")
    raw_day = row.get("occurred_on")  # a date from other callers; a datetime's day depends on the zone: refused
    occurred_on = raw_day if isinstance(raw_day, date) and not isinstance(raw_day, datetime) else iso_date(
        _cell(row, "occurred_on"))
    if not event_id:
        return _("event_id is empty")
    if occurred_on is None:
        return _("occurred_on: %(value)s is not an ISO 8601 date such as 2026-04-01") % {
            "value": shown(_cell(row, "occurred_on"))}
    if not partner:
        return _("partner is empty")
    if kind not in EVENT_KINDS:
        return _("event: %(value)s is not one of %(choices)s") % {"value": shown(kind), "choices": ", ".join(EVENT_KINDS)}
    amount = None
    if kind in WITH_AMOUNT:
        if not amount_text:
            return _("amount is empty; %(event)s needs one") % {"event": kind}
        if not INTEGER_PATTERN.fullmatch(amount_text):
            return _("amount: %(value)s is not a whole number of yen (digits only, at most %(digits)s)") % {
                "value": shown(amount_text), "digits": MAX_DIGITS}
        amount = int(amount_text)
    elif amount_text:
        return _("amount must be empty for %(event)s") % {"event": kind}
    if kind in WITH_DEAL and not deal:
        return _("deal is empty; %(event)s names its deal") % {"event": kind}
    if kind not in WITH_DEAL and deal:
        return _("deal must be empty for %(event)s") % {"event": kind}
    return Event(event_id, occurred_on, partner, kind, amount, deal, product, line)


def _partners(numbered: Iterable[tuple[int, Mapping[str, Any] | str]],
              source: str | None = "partners") -> dict[str, PartnerInfo]:
    partners: dict[str, PartnerInfo] = {}
    lines: dict[str, int] = {}
    problems: list[Problem] = []
    for line, row in numbered:
        if isinstance(row, str):
            problems.append((line, row))
            continue
        partner, parent = _cell(row, "partner"), _cell(row, "parent")
        if not partner:
            problems.append((line, _("partner is empty")))
        elif partner in partners:
            problems.append((line, _("partner %(partner)s appears twice (first on line %(line)s)")
                             % {"partner": partner, "line": lines[partner]}))
        elif parent == partner:
            problems.append((line, _("partner %(partner)s cannot be its own parent") % {"partner": partner}))
        else:
            partners[partner] = PartnerInfo(partner, _cell(row, "type"), _cell(row, "tier"), parent or None)
            lines[partner] = line
    for partner, info in partners.items():
        if info.parent is not None and info.parent not in partners:
            problems.append((lines[partner], _("parent %(parent)s is not in the partners file") % {"parent": info.parent}))
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem[0] or 0), source)
    return partners


def check(plan: Plan, events: Sequence[Event],
           partners: Mapping[str, PartnerInfo] | None) -> tuple[dict[str, Event], set[str]]:
    """Refuse inconsistent inputs; the win of each deal and the deals that are cancelled.
    (Event ids are unique in what the parsers return and in the database; they are not checked
    again here, which would keep a set of every id.)"""
    if partners is None:
        needs = []
        if plan.limits_partners:
            needs.append((None, _("the plan's applies_to needs each partner's type and tier: give the partners")))
        needs += [(None, _('rule "%(rule)s" pays the parent of the partner: give the partners') % {"rule": rule.id})
                  for rule in plan.rules if isinstance(rule, Override)]
        if needs:
            raise InputError(needs)
    problems: list[Problem] = []
    won: dict[str, Event] = {}
    cancelled: dict[str, Event] = {}
    for event in events:
        if partners is not None and event.partner not in partners:
            problems.append((event.line, _("partner %(partner)s is not among the partners") % {"partner": event.partner}))
        if event.kind in (DEAL_WON, DEAL_CANCELLED):
            seen = won if event.kind == DEAL_WON else cancelled
            first = seen.setdefault(event.deal, event)
            if first is not event:
                message = (_("deal %(deal)s is won twice: %(first)s and %(second)s") if event.kind == DEAL_WON
                           else _("deal %(deal)s is cancelled twice: %(first)s and %(second)s"))
                problems.append((event.line, message % {"deal": event.deal, "first": first.event_id,
                                                        "second": event.event_id}))
    for deal, cancellation in cancelled.items():
        win = won.get(deal)
        if win is not None and event_order(cancellation) < event_order(win):
            problems.append((cancellation.line, _("%(id)s cancels deal %(deal)s before its win %(won)s (events run by "
                                                  "occurred_on, then event_id)")
                             % {"id": cancellation.event_id, "deal": deal, "won": win.event_id}))
    if problems:
        raise InputError(sorted(problems, key=lambda problem: problem[0] or 0), "events")
    return won, set(cancelled)
