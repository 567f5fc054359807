"""Commission runs: the engine over the vendor's recorded events, into the append-only ledger.

A ledger line is identified by what made it — plan version, partner, event, rule and, for an
event that gets two lines from one rule (a stepped line and its catch-up), its occurrence.
A run computes every line the plans pay for events up to the end of its period and, per key,
compares it with what the ledger already holds (the key's lines of every version of the plan,
earlier adjustments included). It inserts the difference, in committed batches: a new key gets
its line (adjustment 0); a key whose amount changed since (a win corrected, cancelled or
reopened: 訂正による調整) gets an adjustment line numbered after the key's last one. Lines are
never updated or deleted, paid or not. The adjustment number follows from the ledger alone, so
running a period twice, or again after a worker was killed half-way, ends with the identical
ledger.

Runs are incremental. Each run keeps digests of what it read (`input_digests`: per month, the
events, tier changes included; globally, the plans' versions and the partners' types and parents).
The next run finds the first month whose inputs differ from those the last run covering it read
(`changed_since`) — the new month, or an earlier one where a win was corrected, cancelled or
reopened, or an invoice or a tier change was recorded late — and recomputes from there only:
`incremental_lines` reads the events those months' lines depend on (`incentives.incremental`),
computes them with the same engine, and compares only their keys with the ledger. A month whose
inputs did not change reads nothing. A full recomputation (`run_start(full=True)`, `run_commissions
--full`) still computes every event; `verify` (`run_commissions --verify`) computes what it would
write without writing: the two modes must leave identical ledgers, and the tests hold them to it.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from deals import selectors as deal_selectors
from deals.models import DealRegistration
from incentives import engine, incremental, terms
from incentives.models import CommissionRun, InvoicePayment, LedgerLine, Plan, PlanVersion
from partners import selectors as partner_selectors
from partners.models import SignalKind
from prm.digests import DigestSQL, day_number, row_hash
from prm.reads import plain_rows
from programs import selectors as program_selectors

logger = logging.getLogger(__name__)
BATCH = int(os.environ.get("KYOSO_LEDGER_BATCH", "2000"))  # smaller in the kill-a-worker test


# The contact signals the plans pay on: kept whatever their age (incentives/retention.py), since a run reads them again.
SIGNAL_EVENTS = {SignalKind.CERTIFIED: ("certification", engine.CERTIFICATION_EARNED),
                 SignalKind.SESSION_ATTENDED: ("session", engine.SESSION_ATTENDED)}
PAID_SIGNAL_KINDS = tuple(SIGNAL_EVENTS)


def partner_code(pk: int) -> str:
    return str(pk)


def partner_infos() -> dict[str, engine.PartnerInfo]:
    """Each partner's type, parent and tier history (applied tier changes), as the engine reads them."""
    history: dict[int, list[engine.PartnerChange]] = {}
    rows = partner_selectors.partner_types_and_parents()
    types = {pk: partner_type for pk, partner_type, _parent in rows}
    for partner_id, decided, tier in program_selectors.applied_tier_changes():
        history.setdefault(partner_id, []).append(
            engine.PartnerChange(since=timezone.localtime(decided).date(), type=types[partner_id], tier=tier or ""))
    return {
        partner_code(pk): engine.PartnerInfo(partner=partner_code(pk), type=partner_type,
                                             parent=partner_code(parent) if parent else None,
                                             changes=tuple(history.get(pk, ())))
        for pk, partner_type, parent in rows
    }


def active_versions() -> list[PlanVersion]:
    """The published version of each plan the commission runs use, by plan code."""
    versions = [plan.current_version for plan in Plan.objects.filter(is_active=True).order_by("code")]
    return [version for version in versions if version is not None]


def hypothetical_wins(deals: Iterable[DealRegistration], earliest: date) -> list[engine.Event]:
    """For open deals: the `deal_won` event `recorded_events` would hold if each were won at its
    amount on its expected close date (not before `earliest`)."""
    deals = list(deals)
    products = deal_selectors.first_product_codes([deal.pk for deal in deals])
    return [engine.Event(f"deal:{deal.pk}:2-won", max(deal.expected_close, earliest), partner_code(deal.partner_id),
                         engine.DEAL_WON, deal.amount, str(deal.pk), products.get(deal.pk, "")) for deal in deals]


def _cancelled_day(stage: str, won_on: date | None, closed_on: date | None, cancelled_on: date | None) -> date | None:
    """The day of a won deal's deal_cancelled event (deal_cancel_won); older rows only have the (local) day
    they were closed."""
    if stage != "cancelled" or won_on is None or (cancelled_on is None and closed_on is None):
        return None
    return max(cancelled_on or closed_on, won_on)


def recorded_events(until: date, *, partner_ids: Iterable[int] | None = None,
                    since: Mapping[str, date] | None = None, wins_of: Iterable[int] = ()) -> list[engine.Event]:
    """The events the plans pay on, from the vendor's data, up to `until` inclusive; only those of
    `partner_ids` when given (see `partners_for_lines_of`). With `since` (event kind → first day, as
    `incremental.windows` gives), only the events of each kind from that day on, plus the wins of the
    deals `wins_of`: what an incremental run reads, streamed from the database.

    The events come in the natural order of their ids (engine.natural_key), which the engine's processing order
    takes within a day (`engine.compute(…, ids_in_order=True)`): each source is read by id, a deal's events are
    numbered in order, and the sources follow one another in the order of their ids' prefixes."""
    wins_of = set(wins_of)
    invoices = InvoicePayment.objects.filter(paid_on__lte=until)
    if partner_ids is not None:
        partner_ids = list(partner_ids)
        invoices = invoices.filter(deal__partner_id__in=partner_ids)
    start = dict.fromkeys(engine.EVENT_KINDS, date.min) if since is None else dict(since)
    window = None
    if since is not None:
        window = deal_selectors.DealWindow(registered=start[engine.DEAL_REGISTERED], won=start[engine.DEAL_WON],
                                           cancelled=start[engine.DEAL_CANCELLED])
        invoices = invoices.filter(paid_on__gte=start[engine.INVOICE_PAID])
    first_product, deal_rows = deal_selectors.deals_for_commissions(partner_ids=partner_ids, window=window,
                                                                    wins_of=wins_of)
    # A full run builds an event per row of the history: what is the same for many rows is looked up once.
    Event = engine.Event
    by_prefix: dict[str, list[engine.Event]] = {prefix: [] for prefix in ("deal", "invoice", *(
        prefix for prefix, _event in SIGNAL_EVENTS.values()))}
    append = by_prefix["deal"].append
    registered_from, won_from, cancelled_from = (start[engine.DEAL_REGISTERED], start[engine.DEAL_WON],
                                                 start[engine.DEAL_CANCELLED])
    codes: dict[int, str] = {}  # one code string per partner, shared by its events

    def code(partner_id: int) -> str:
        found = codes.get(partner_id)
        if found is None:
            found = codes[partner_id] = partner_code(partner_id)
        return found

    for pk, partner_id, registered_on, stage, won_amount, won_on, closed_on, cancelled_on in deal_rows:
        partner, deal, product = code(partner_id), str(pk), first_product.get(pk, "")
        if registered_from <= registered_on <= until:
            append(Event(f"deal:{pk}:1-registered", registered_on, partner, "deal_registered", None, deal, product))
        if won_on is not None and won_on <= until:
            if won_on >= won_from or since is not None and pk in wins_of:
                append(Event(f"deal:{pk}:2-won", won_on, partner, "deal_won", won_amount or 0, deal, product))
            cancelled_on = _cancelled_day(stage, won_on, closed_on, cancelled_on)
            if cancelled_on is not None and cancelled_from <= cancelled_on <= until:
                append(Event(f"deal:{pk}:3-cancelled", cancelled_on, partner, "deal_cancelled", None, deal, product))
    if since is not None:
        first_product = deal_selectors.first_product_codes(invoices.values("deal_id"))
    append = by_prefix["invoice"].append
    for pk, deal_id, partner_id, paid_on, amount in plain_rows(invoices.values_list(
            "pk", "deal_id", "deal__partner_id", "paid_on", "amount").order_by("pk")):
        append(Event(f"invoice:{pk}", paid_on, code(partner_id), "invoice_paid", amount, str(deal_id),
                     first_product.get(deal_id, "")))
    signals_since = None if since is None else min(start[engine.CERTIFICATION_EARNED], start[engine.SESSION_ATTENDED])
    for pk, kind, partner_id, day in partner_selectors.contact_signals_for_commissions(
            kinds=PAID_SIGNAL_KINDS, partner_ids=partner_ids, since=signals_since):
        prefix, event = SIGNAL_EVENTS[kind]
        if start[event] <= day <= until:
            by_prefix[prefix].append(Event(f"{prefix}:{pk}", day, code(partner_id), event))
    # Ids of different prefixes differ in their first part ("deal:", "invoice:" …), which orders them.
    return [event for prefix in sorted(by_prefix, key=lambda prefix: engine.natural_key(f"{prefix}:"))
            for event in by_prefix[prefix]]


def partners_for_lines_of(partner_id: int) -> set[int]:
    """The partners whose events decide the lines one partner receives: itself and its
    sub-resellers. The engine keys every cap, cumulative amount and clawback by the receiving
    partner, and a partner receives lines only for its own events and (overrides, and their
    reversals) its sub-resellers' — so their events give exactly its lines."""
    return {partner_id, *partner_selectors.sub_partner_ids(partner_id)}


def partners_for_events_of(partner_id: int) -> set[int]:
    """The partners whose events decide what one partner's events pay: itself, and with a
    parent distributor all of the parent's sub-resellers (an override's cap counts per parent)."""
    parent_id = partner_selectors.parent_id_of(partner_id)
    siblings = partner_selectors.sub_partner_ids(parent_id) if parent_id else []
    return {partner_id, *siblings}


@dataclass(frozen=True)
class EventRef:
    """What a ledger line's event was, for people: its kind in words and the deal it belongs to."""

    event_id: str
    label: str
    deal_id: int | None = None
    customer: str = ""


def deal_event_ids(deal_ids: Iterable[int]) -> dict[str, int]:
    """{event id: deal id} of the recorded events naming the deals (registration, win,
    cancellation, their invoices), as `recorded_events` numbers them."""
    deal_ids = list(deal_ids)
    ids = {f"deal:{pk}:{suffix}": pk for pk in deal_ids for suffix in ("1-registered", "2-won", "3-cancelled")}
    for pk, deal_id in InvoicePayment.objects.filter(deal_id__in=deal_ids).values_list("pk", "deal_id"):
        ids[f"invoice:{pk}"] = deal_id
    return ids


def event_refs(event_ids: Iterable[str]) -> dict[str, EventRef]:
    """Each event id of `recorded_events` described: 成約 + the deal, 請求入金 + the deal, 認定資格取得 …"""
    event_ids = set(event_ids)
    labels = {"1-registered": _("Deal registered"), "2-won": _("Deal won"), "3-cancelled": _("Deal cancelled")}
    deal_of: dict[str, tuple[int, str]] = {}
    invoices: dict[int, str] = {}
    for event_id in event_ids:
        kind, _sep, rest = event_id.partition(":")
        if kind == "deal":
            number, _sep, suffix = rest.partition(":")
            if number.isdigit() and suffix in labels:
                deal_of[event_id] = (int(number), labels[suffix])
        elif kind == "invoice" and rest.isdigit():
            invoices[int(rest)] = event_id
    for pk, deal_id in InvoicePayment.objects.filter(pk__in=invoices).values_list("pk", "deal_id"):
        deal_of[invoices[pk]] = (deal_id, _("Invoice paid"))
    customers = deal_selectors.customer_names({deal for deal, _label in deal_of.values()})
    refs: dict[str, EventRef] = {}
    for event_id in event_ids:
        if event_id in deal_of:
            deal_id, label = deal_of[event_id]
            refs[event_id] = EventRef(event_id, label, deal_id if deal_id in customers else None,
                                      customers.get(deal_id, ""))
        elif event_id.startswith("certification:"):
            refs[event_id] = EventRef(event_id, _("Certification earned"))
        elif event_id.startswith("session:"):
            refs[event_id] = EventRef(event_id, _("Study session attended"))
        else:
            refs[event_id] = EventRef(event_id, event_id)
    return refs


def run_start(*, period: date, actor=None, full: bool = False) -> CommissionRun:
    """Queue a run for a month that has begun; a future month has nothing to pay yet. `full`: recompute
    every event up to the month's end rather than only the months whose inputs changed."""
    period = period.replace(day=1)
    if period > timezone.localdate().replace(day=1):
        raise ValidationError({"period": _("%(period)s has not started yet: commissions can only be run for this "
                                           "month or an earlier one.") % {"period": f"{period:%Y-%m}"}})
    return CommissionRun.objects.create(period=period, started_by=actor, full=full)


def open_month_warning(period: date) -> str:
    """A run for the current month is allowed, but its figures will still grow: say so."""
    if period.replace(day=1) == timezone.localdate().replace(day=1):
        return _("%(period)s is still open: events recorded later this month will be paid by the next run, and "
                 "lines arriving after its payout is approved go into the following payout.") % {
                     "period": f"{period:%Y-%m}"}
    return ""


def run_execute(run_id: int, *, progress: Callable[[CommissionRun], None] | None = None) -> CommissionRun:
    """Compute and insert the period's missing ledger lines; safe to call again for the same period."""
    run = CommissionRun.objects.get(pk=run_id)
    if run.status == CommissionRun.Status.DONE:
        return run
    now = timezone.now()
    CommissionRun.objects.filter(pk=run.pk).update(status=CommissionRun.Status.RUNNING, started_at=now,
                                                   heartbeat_at=now, interrupted_at=None, error="")
    try:
        period_end = terms.month_end(run.period)
        digests = input_digests(period_end)  # before reading: a change made meanwhile is seen again next time
        since = None if run.full else changed_since(run.period, digests)
        CommissionRun.objects.filter(pk=run.pk).update(digests=digests, since=since)
        if run.full:
            pending = full_lines(period_end, beat=lambda: _beat(run))
        elif since is None:
            pending = []  # every month up to this one was run on the same inputs: nothing can differ
        else:
            pending = incremental_lines(period_end, since, beat=lambda: _beat(run))
        CommissionRun.objects.filter(pk=run.pk).update(total=len(pending), progress=0)
        run.total = len(pending)
        added = run.lines_added  # a resumed run keeps counting the lines it wrote before it was interrupted
        for start in range(0, len(pending), BATCH):
            batch = pending[start:start + BATCH]
            with transaction.atomic():
                added += _write(run, batch)
                CommissionRun.objects.filter(pk=run.pk).update(progress=start + len(batch), lines_added=added)
                _beat(run)
            if progress is not None:
                run.refresh_from_db()
                progress(run)
        CommissionRun.objects.filter(pk=run.pk).update(status=CommissionRun.Status.DONE, finished_at=timezone.now(),
                                                       progress=len(pending))
        _audit_adjustments(run, pending)
    except (engine.PlanError, engine.InputError) as error:
        CommissionRun.objects.filter(pk=run.pk).update(status=CommissionRun.Status.FAILED, error=str(error),
                                                       finished_at=timezone.now())
        logger.warning("commission run %s failed in %s: %s", run.pk, connection.schema_name, error)
    run.refresh_from_db()
    return run


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """A run builds hundreds of thousands of events and lines, none of them in a reference cycle: Python's
    cycle collector would walk all of them again each time the pile grew by a quarter (a fifth of a full
    recomputation's time). Paused while the run reads and computes, then as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def full_lines(period_end: date, *, beat: Callable[[], None] = lambda: None) -> list[tuple]:
    """The lines a full recomputation writes: every event up to `period_end` through the engine, every key of
    the active plans compared with the ledger. The reference an incremental run must equal (`--verify`)."""
    with _cycle_collection_paused():
        return _full_lines(period_end, beat)


def _full_lines(period_end: date, beat: Callable[[], None]) -> list[tuple]:
    versions = active_versions()
    # Events after the period are a later run's business: their keys are neither paid nor reversed here
    # (`_missing_lines` finds them among the keys the ledger holds and the engine did not compute).
    events = recorded_events(period_end)
    infos = partner_infos()
    pending: list[tuple] = []
    for version in versions:
        result = engine.compute(engine.parse_plan(version.document), events, infos, ids_in_order=True)
        pending += _missing_lines(version, result, period_end)
        del result
        beat()
    return pending


def incremental_lines(period_end: date, since: date, *, beat: Callable[[], None] = lambda: None) -> list[tuple]:
    """The lines of the keys dated from `since` to `period_end`, reading only the events they depend on
    (incentives.incremental): the same engine on fewer events, compared with those keys' ledger lines."""
    with _cycle_collection_paused():
        return _incremental_lines(period_end, since, beat)


def _incremental_lines(period_end: date, since: date, beat: Callable[[], None]) -> list[tuple]:
    versions = active_versions()
    plans = [engine.parse_plan(version.document) for version in versions]
    chosen = incremental.windows(plans, since)
    wins_of: set[int] = set()
    if incremental.clawback_days(plans) is not None:
        cancelling: list[int] = []
        for pk, stage, won_on, closed_on, cancelled_on in deal_selectors.cancelled_wins_for_commissions(
                since=chosen[engine.DEAL_CANCELLED], until=period_end):
            day = _cancelled_day(stage, won_on, closed_on, cancelled_on)
            if day is not None and chosen[engine.DEAL_CANCELLED] <= day <= period_end:
                wins_of.add(pk)
                if incremental.may_claw_back(plans, won_on, day):
                    cancelling.append(pk)
        reversible = []
        for registered_at, won_on in deal_selectors.registered_and_won(cancelling):
            reversible += [(engine.DEAL_REGISTERED, timezone.localtime(registered_at).date()), (engine.DEAL_WON, won_on)]
        reversible += [(engine.INVOICE_PAID, paid_on) for paid_on in InvoicePayment.objects.filter(
            deal_id__in=cancelling, paid_on__lte=period_end).values_list("paid_on", flat=True)]
        incremental.extend(chosen, plans, [(kind, day) for kind, day in reversible if day <= period_end])
        if engine.DEAL_CANCELLED not in incremental.wins_needed_for(plans):
            wins_of.clear()
    if engine.INVOICE_PAID in incremental.wins_needed_for(plans):
        wins_of.update(InvoicePayment.objects.filter(paid_on__gte=chosen[engine.INVOICE_PAID], paid_on__lte=period_end)
                       .values_list("deal_id", flat=True).distinct())
    events = recorded_events(period_end, since=chosen, wins_of=wins_of)
    infos = partner_infos()
    pending: list[tuple] = []
    for version, plan in zip(versions, plans, strict=True):
        result = engine.compute(plan, events, infos, ids_in_order=True)
        pending += _missing_lines(version, result, period_end, since=since)
        beat()
    return pending


def verify(period: date) -> list[tuple]:
    """The lines a full recomputation of the month would write now, written nowhere: empty when the ledger is
    what full runs would have left (incremental runs must keep it so). Rows as COLUMNS."""
    return full_lines(terms.month_end(period.replace(day=1)))


def changed_since(period: date, digests: dict) -> date | None:
    """The first month up to `period` whose ledger lines may differ from what the engine computes now, or None.

    The ledger of a month holds what the last finished run of that month or a later one computed (each run
    brings every key up to its month's end to the engine's figures); the engine is causal, so those lines
    still hold when the plans, the partners and the inputs of that month and every earlier one are the ones
    that run read. A month no finished run covered is changed too."""
    refs = [(f"{ran:%Y-%m}", read) for ran, read in CommissionRun.objects.filter(
        status=CommissionRun.Status.DONE).exclude(digests={}).order_by("-started_at", "-pk").values_list(
        "period", "digests")]
    last = f"{period:%Y-%m}"
    now = digests["months"]
    months = sorted(month for month in {last, *now, *(month for _ran, read in refs for month in read["months"])}
                    if month <= last)
    for month in months:
        read = next((read for ran, read in refs if ran >= month), None)
        if read is None or read["global"] != digests["global"] or any(
                read["months"].get(key) != now.get(key) for key in {*now, *read["months"]} if key <= month):
            year, number = month.split("-")
            return date(int(year), int(number), 1)
    return None


def input_digests(until: date) -> dict:
    """What the engine reads, as digests: per month up to `until`, of every event of that month (its id,
    partner, day, amount, product; tier changes by the day they apply from), and of the plans' published
    versions and the partners' types and parents ("global"). Computed in SQL, without loading history."""
    # One statement over the whole history, each owner writing the part of it that reads its tables (deals and
    # products, contact signals, tier changes): a fingerprint, not a figure, so that a run whose inputs did not
    # change reads nothing else. The tags keep a row of one kind from hashing as a row of another.
    deals = deal_selectors.commission_digest_sql(tags=(1, 2, 3))
    invoices = DigestSQL(f"""SELECT i.paid_on, {row_hash(4, 'i.id', 'i.deal_id', 'd.partner_id', day_number('i.paid_on'),
                                                         'i.amount', 'd.product')}
                FROM {InvoicePayment._meta.db_table} i JOIN {deals.deals} d ON d.id = i.deal_id""", {})
    parts = [deals.rows, invoices, partner_selectors.signal_digest_sql(kinds=PAID_SIGNAL_KINDS, tag=5),
             program_selectors.tier_change_digest_sql(tag=6)]
    params: dict = {"until": until}
    for part in parts:
        if params.keys() & part.params.keys():
            raise ValueError(f"the parts of a digest share a parameter name: {params.keys() & part.params.keys()}")
        params |= part.params
    rows = "\n            UNION ALL ".join(part.sql for part in parts)
    sql = f"""
        WITH rows AS ({rows})
        SELECT to_char(day, 'YYYY-MM'), sum(h)::text || '/' || count(*) FROM rows
        WHERE day IS NOT NULL AND day <= %(until)s GROUP BY 1
        """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")  # compiling this one scan costs more than running it
        cursor.execute(sql, params)
        months = dict(cursor.fetchall())
    shared = repr(([(version.plan.code, version.pk) for version in active_versions()],
                   deal_selectors.product_codes(), partner_selectors.partner_types_and_parents()))
    return {"global": hashlib.sha256(shared.encode()).hexdigest(), "months": months}


def _event_days(event_ids: Iterable[str]) -> dict[str, date]:
    """The day of each of the events (ids of `recorded_events`) that exist now."""
    wanted = set(event_ids)
    days: dict[str, date] = {}
    deal_ids = {int(event_id.split(":")[1]) for event_id in wanted if event_id.startswith("deal:")}
    for pk, stage, registered_on, won_on, closed_on, cancelled_on in deal_selectors.deal_days_for_commissions(deal_ids):
        days[f"deal:{pk}:1-registered"] = registered_on
        if won_on is not None:
            days[f"deal:{pk}:2-won"] = won_on
        cancelled = _cancelled_day(stage, won_on, closed_on, cancelled_on)
        if cancelled is not None:
            days[f"deal:{pk}:3-cancelled"] = cancelled
    invoice_ids = {int(event_id.split(":")[1]) for event_id in wanted if event_id.startswith("invoice:")}
    for pk, paid_on in InvoicePayment.objects.filter(pk__in=invoice_ids).values_list("pk", "paid_on"):
        days[f"invoice:{pk}"] = paid_on
    signal_ids = {int(event_id.split(":")[1]) for event_id in wanted
                  if event_id.split(":")[0] in {prefix for prefix, _event in SIGNAL_EVENTS.values()}}
    for pk, kind, occurred_at in partner_selectors.contact_signal_times(signal_ids, kinds=PAID_SIGNAL_KINDS):
        days[f"{SIGNAL_EVENTS[kind][0]}:{pk}"] = timezone.localtime(occurred_at).date()
    return {event_id: day for event_id, day in days.items() if event_id in wanted}


def _beat(run: CommissionRun) -> None:
    """The worker is alive: a run taken for dead too early comes back to running by itself."""
    CommissionRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now(), status=CommissionRun.Status.RUNNING,
                                                   interrupted_at=None)


def runs_fail_stale(*, now=None) -> int:
    """Mark failed (interrupted) every running run whose heartbeat is older than KYOSO_RUN_STALE_MINUTES.

    Its worker was killed: nothing else would ever finish or fail it. The run can be resumed.
    """
    from django.conf import settings

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.KYOSO_RUN_STALE_MINUTES)
    stale = CommissionRun.objects.filter(status=CommissionRun.Status.RUNNING).filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
    ids = list(stale.values_list("pk", flat=True))
    if ids:
        CommissionRun.objects.filter(pk__in=ids, status=CommissionRun.Status.RUNNING).update(
            status=CommissionRun.Status.FAILED, interrupted_at=now, finished_at=now)
        logger.warning("commission runs %s in %s had no heartbeat for %s minutes: marked failed (interrupted)",
                       ids, connection.schema_name, settings.KYOSO_RUN_STALE_MINUTES)
    return len(ids)


def run_resume(*, run: CommissionRun, actor) -> CommissionRun:
    """Queue an interrupted run again. Runs are idempotent: it adds only the lines still missing."""
    from incentives import audit

    with transaction.atomic():
        locked = CommissionRun.objects.select_for_update().get(pk=run.pk)
        if not locked.is_interrupted:
            raise ValidationError(_("Only an interrupted run can be resumed; this one is %(status)s.")
                                  % {"status": locked.get_status_display()})
        CommissionRun.objects.filter(pk=locked.pk).update(status=CommissionRun.Status.QUEUED, interrupted_at=None,
                                                          finished_at=None, heartbeat_at=None, error="")
        audit.record(actor=actor, action="commission_run_resumed", obj=locked, period=f"{locked.period:%Y-%m}",
                     lines_before=locked.lines_added)
        run_queue(locked)
    locked.refresh_from_db()
    return locked


def run_queue(run: CommissionRun) -> None:
    """Send the run to a worker once the transaction commits."""
    from django.conf import settings

    from incentives.tasks import commission_run

    schema = connection.schema_name
    queue = settings.KYOSO_RUN_QUEUE or None
    transaction.on_commit(lambda: commission_run.apply_async(kwargs={"schema_name": schema, "run_id": run.pk},
                                                             queue=queue, headers={"_schema_name": schema}))


COLUMNS = ("partner_id", "plan_version_id", "event_id", "rule_id", "occurrence", "adjustment", "amount", "event_date")
ADJUSTMENT = COLUMNS.index("adjustment")
AMOUNT = COLUMNS.index("amount")
# Events whose disappearance is a decision on money (a win reopened, a deal's invoices): their lines are
# given back. A certification or session signal that disappears with a deleted contact was still earned.
REVERSIBLE_EVENTS = ("deal:", "invoice:")


def _write(run: CommissionRun, rows: list[tuple]) -> int:
    """COPY a batch into a scratch table, then insert what the ledger does not hold yet.

    COPY is an order of magnitude faster than INSERT for hundreds of thousands of lines; the
    ON CONFLICT keeps the ledger's identity rule even if two runs of a period overlap: both
    number a key's adjustment the same way, so the second one's line is not written.
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS ledger_batch (partner_id bigint, plan_version_id bigint, "
                       "event_id varchar(80), rule_id varchar(80), occurrence smallint, adjustment smallint, "
                       "amount bigint, event_date date) ON COMMIT DELETE ROWS")
        with cursor.cursor.copy(f"COPY ledger_batch ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO incentives_ledgerline ({', '.join(COLUMNS)}, period, run_id, created_at) "
            f"SELECT {', '.join(COLUMNS)}, %s, %s, now() FROM ledger_batch "
            "ON CONFLICT (plan_version_id, partner_id, event_id, rule_id, occurrence, adjustment) DO NOTHING",
            [run.period, run.pk],
        )
        return cursor.rowcount


_NOT_HELD = (0, None)  # a key the ledger does not hold: nothing paid, no adjustment yet


def _missing_lines(version: PlanVersion, result: engine.Result, period_end: date, *,
                   since: date | None = None) -> list[tuple]:
    """The lines that bring the ledger to what this version pays now, key by key.

    A key's ledger amount is the sum of its lines under every version of the plan: when a plan gets
    a new version, the new version adds only the difference (or gives back what it no longer pays),
    and when a win is corrected, cancelled or reopened, the difference is an adjustment line of this
    version. Nothing is ever paid twice and no existing line is touched. With `since` (an incremental
    run) only the keys of lines dated from `since` on are compared: the computed ones, and those the
    ledger holds with a line dated from then on. A key the ledger holds and the engine no longer
    computes is given back unless its event now falls outside the months compared (after the period: a
    later run's; before `since`: the months the ledger already has right).

    The ledger is read in partner order, summed per key (its amount, and this version's last adjustment
    number) and merged with the engine's lines one partner at a time: only one partner's keys are held in
    memory, whatever the size of the history.
    """
    version_id = version.pk
    ledger = LedgerLine.objects.filter(plan_version__plan_id=version.plan_id)
    if since is not None:
        ids = {line.event_id for partner_result in result.partners.values() for line in partner_result.lines
               if line.occurred_on >= since}
        ids.update(ledger.filter(event_date__gte=since).values_list("event_id", flat=True).distinct())
        ledger = ledger.extra(where=["event_id = ANY(%s)"], params=[list(ids)])
    # Line by line in partner order (the partner index), not summed per key in SQL: sorting every line by its
    # key cost the database more than adding up the few keys that have several lines costs here.
    held_lines = ledger.order_by("partner_id").values_list(
        "partner_id", "event_id", "rule_id", "occurrence", "amount",
        Case(When(plan_version_id=version_id, then="adjustment"), default=None))
    lines: list[tuple] = []
    left: list[tuple[tuple, int, int | None]] = []  # keys held and no longer computed: (key, amount, last adjustment)

    def compare(partner_id: int, rows: Iterable[tuple], partner_result: engine.PartnerResult | None) -> None:
        # (event, rule, occurrence): (every version's sum, this version's last adjustment). Most keys have one line:
        # read them all at once, and add up line by line only when some key has several.
        rows = list(rows)
        held = {(event_id, rule_id, occurrence): (amount, adjustment)
                for _partner, event_id, rule_id, occurrence, amount, adjustment in rows}
        if len(held) < len(rows):
            held = {}
            for _partner, event_id, rule_id, occurrence, amount, adjustment in rows:
                key = (event_id, rule_id, occurrence)
                other = held.get(key)
                if other is not None:  # the key's adjustments, or its lines under other versions of the plan
                    amount += other[0]
                    if adjustment is None or other[1] is not None and other[1] > adjustment:
                        adjustment = other[1]
                held[key] = (amount, adjustment)
        # A line's occurrence numbers the lines of one event and rule so far (a stepped line's catch-up, the
        # reversals of one cancellation). The engine writes them all while applying that rule to that event, so
        # a partner's lines of one event and rule follow each other.
        previous_event = previous_rule = None
        occurrence = 0
        pop = held.pop
        for event_id, rule_id, line_amount, occurred_on, _kind, _reverses in (
                partner_result.lines if partner_result is not None else ()):
            if event_id == previous_event and rule_id == previous_rule:
                occurrence += 1
            else:
                previous_event, previous_rule, occurrence = event_id, rule_id, 0
            if since is not None and occurred_on < since:
                continue
            amount, adjustment = pop((event_id, rule_id, occurrence), _NOT_HELD)
            if line_amount != amount:
                lines.append((partner_id, version_id, event_id, rule_id, occurrence,
                              0 if adjustment is None else adjustment + 1, line_amount - amount, occurred_on))
        left.extend(((partner_id, *key), amount, adjustment) for key, (amount, adjustment) in held.items() if amount)

    computed = sorted((int(code), partner_result) for code, partner_result in result.partners.items())
    held_by_partner = groupby(plain_rows(held_lines, 10000), key=itemgetter(0))
    group = next(held_by_partner, None)
    for partner_id, partner_result in computed:
        while group is not None and group[0] < partner_id:
            compare(group[0], group[1], None)
            group = next(held_by_partner, None)
        if group is not None and group[0] == partner_id:
            compare(partner_id, group[1], partner_result)
            group = next(held_by_partner, None)
        else:
            compare(partner_id, (), partner_result)
    while group is not None:
        compare(group[0], group[1], None)
        group = next(held_by_partner, None)
    if left:
        # The keys no longer computed: where their events are now (those that still exist).
        days = _event_days({key[1] for key, _amount, _adjustment in left})
        for key, amount, adjustment in left:
            day = days.get(key[1])
            if day is not None and (day > period_end or since is not None and day < since):
                continue
            if adjustment is None or key[1].startswith(REVERSIBLE_EVENTS):
                partner_id, event_id, rule_id, occurrence = key
                lines.append((partner_id, version_id, event_id, rule_id, occurrence,
                              0 if adjustment is None else adjustment + 1, -amount, day or period_end))
    return lines


def _audit_adjustments(run: CommissionRun, rows: list[tuple]) -> None:
    """Adjustments change money already in the ledger: say so in the audit trail, with their total."""
    adjustments = [row for row in rows if row[ADJUSTMENT]]
    if adjustments:
        from incentives import audit

        total = sum(row[AMOUNT] for row in adjustments)
        audit.record(actor=run.started_by, action="ledger_adjusted", obj=run, period=run.period.isoformat(),
                     lines=len(adjustments), total=total)


def plan_publish(*, plan: Plan, document: dict, actor) -> PlanVersion:
    """Validate the document with the engine and publish it as the plan's next version (the draft
    being edited, when there is one)."""
    from incentives import audit

    engine.parse_plan(document)
    with transaction.atomic():
        Plan.objects.select_for_update().get(pk=plan.pk)
        latest = plan.versions.order_by("-number").first()
        plan.versions.filter(status=PlanVersion.Status.PUBLISHED).update(status=PlanVersion.Status.RETIRED)
        if latest is not None and latest.status == PlanVersion.Status.DRAFT:
            version = latest
            version.document, version.status, version.published_at = document, PlanVersion.Status.PUBLISHED, timezone.now()
            version.save(update_fields=["document", "status", "published_at"])
        else:
            version = PlanVersion.objects.create(plan=plan, number=(latest.number if latest else 0) + 1,
                                                 document=document, status=PlanVersion.Status.PUBLISHED,
                                                 created_by=actor, published_at=timezone.now())
        _rename(plan, document)
        audit.record(actor=actor, action="plan_published", obj=version, plan=plan.code, version=version.number)
    return version


def plan_for_document(*, plan: Plan | None, document: dict) -> Plan:
    """The plan a builder or an import saves to: the one being edited, or a new one with the document's
    code (refused when another plan has it). The code of an existing plan does not change."""
    if plan is not None:
        if document.get("code") != plan.code:
            raise ValidationError({"code": _("The code of an existing plan cannot change; it is %(code)s.")
                                   % {"code": plan.code}})
        return plan
    if Plan.objects.filter(code=document["code"]).exists():
        raise ValidationError({"code": _("Another plan already has the code %(code)s.") % {"code": document["code"]}})
    return Plan.objects.create(code=document["code"], name=document["name"])


def plan_save_draft(*, plan: Plan | None, document: dict, actor) -> PlanVersion:
    """Keep the document as the plan's draft (checked by the engine first): the latest version when it is a
    draft, else a new draft version. Nothing is paid from a draft until it is published."""
    from incentives import audit

    engine.parse_plan(document)
    with transaction.atomic():
        plan = plan_for_document(plan=plan, document=document)
        Plan.objects.select_for_update().get(pk=plan.pk)
        latest = plan.versions.order_by("-number").first()
        if latest is not None and latest.status == PlanVersion.Status.DRAFT:
            latest.document = document
            latest.save(update_fields=["document"])
            version = latest
        else:
            version = PlanVersion.objects.create(plan=plan, number=(latest.number if latest else 0) + 1,
                                                 document=document, status=PlanVersion.Status.DRAFT, created_by=actor)
        audit.record(actor=actor, action="plan_draft_saved", obj=version, plan=plan.code, version=version.number)
    return version


def _rename(plan: Plan, document: dict) -> None:
    if plan.name != document["name"]:
        plan.name = document["name"]
        plan.save(update_fields=["name"])
