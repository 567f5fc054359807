"""Commission runs: the engine over the vendor's recorded events, into the append-only ledger.

A ledger line is identified by what made it — plan version, partner, event, rule and, for an
event that gets two lines from one rule (a stepped line and its catch-up), its occurrence.
A run computes every line the plans pay for events up to the end of its period and inserts
the ones the ledger does not have yet, in committed batches. Running a period twice, or
again after a worker was killed half-way, therefore ends with the identical ledger.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from deals.models import DealRegistration
from incentives import engine, terms
from incentives.models import CommissionRun, InvoicePayment, LedgerLine, Plan, PlanVersion
from partners.models import ContactSignal, Partner, SignalKind
from programs.models import TierChange

logger = logging.getLogger(__name__)
BATCH = int(os.environ.get("KYOSO_LEDGER_BATCH", "2000"))  # smaller in the kill-a-worker test


def partner_code(pk: int) -> str:
    return str(pk)


def partner_infos() -> dict[str, engine.PartnerInfo]:
    """Each partner's type, parent and tier history (applied tier changes), as the engine reads them."""
    history: dict[int, list[engine.PartnerChange]] = {}
    types = dict(Partner.objects.values_list("pk", "partner_type"))
    for partner_id, decided, tier in (
        TierChange.objects.filter(status=TierChange.Status.APPLIED).order_by("partner_id", "decided_at", "pk")
        .values_list("partner_id", "decided_at", "to_tier__code")
    ):
        history.setdefault(partner_id, []).append(
            engine.PartnerChange(since=timezone.localtime(decided).date(), type=types[partner_id], tier=tier or ""))
    return {
        partner_code(pk): engine.PartnerInfo(partner=partner_code(pk), type=partner_type,
                                             parent=partner_code(parent) if parent else None,
                                             changes=tuple(history.get(pk, ())))
        for pk, partner_type, parent in Partner.objects.values_list("pk", "partner_type", "parent_id")
    }


def recorded_events(until: date) -> list[engine.Event]:
    """The events the plans pay on, from the vendor's data, up to `until` inclusive."""
    events: list[engine.Event] = []
    first_product = dict(
        DealRegistration.products.through.objects.order_by("dealregistration_id", "product__code")
        .distinct("dealregistration_id").values_list("dealregistration_id", "product__code")
    )
    deals = DealRegistration.objects.exclude(stage__in=["registered", "rejected"]).values_list(
        "pk", "partner_id", "registered_at", "stage", "won_amount", "won_on", "closed_at")
    for pk, partner_id, registered_at, stage, won_amount, won_on, closed_at in deals.iterator(chunk_size=5000):
        partner, deal, product = partner_code(partner_id), str(pk), first_product.get(pk, "")
        registered_on = timezone.localtime(registered_at).date()
        if registered_on <= until:
            events.append(engine.Event(f"deal:{pk}:1-registered", registered_on, partner, "deal_registered", None, deal, product))
        if won_on is not None and won_on <= until:
            events.append(engine.Event(f"deal:{pk}:2-won", won_on, partner, "deal_won", won_amount or 0, deal, product))
            if stage == "cancelled" and closed_at is not None:
                cancelled_on = max(timezone.localtime(closed_at).date(), won_on)
                if cancelled_on <= until:
                    events.append(engine.Event(f"deal:{pk}:3-cancelled", cancelled_on, partner, "deal_cancelled", None,
                                               deal, product))
    for pk, deal_id, partner_id, paid_on, amount in InvoicePayment.objects.filter(paid_on__lte=until).values_list(
            "pk", "deal_id", "deal__partner_id", "paid_on", "amount").iterator(chunk_size=5000):
        events.append(engine.Event(f"invoice:{pk}", paid_on, partner_code(partner_id), "invoice_paid", amount,
                                   str(deal_id), first_product.get(deal_id, "")))
    signal_events = {SignalKind.CERTIFIED: ("certification", engine.CERTIFICATION_EARNED),
                     SignalKind.SESSION_ATTENDED: ("session", engine.SESSION_ATTENDED)}
    for pk, kind, partner_id, occurred_at in ContactSignal.objects.filter(kind__in=signal_events).values_list(
            "pk", "kind", "partner_id", "occurred_at").iterator(chunk_size=5000):
        day = timezone.localtime(occurred_at).date()
        if day <= until:
            prefix, event = signal_events[kind]
            events.append(engine.Event(f"{prefix}:{pk}", day, partner_code(partner_id), event))
    return events


def run_start(*, period: date, actor=None) -> CommissionRun:
    """Queue a run for a month that has begun; a future month has nothing to pay yet."""
    period = period.replace(day=1)
    if period > timezone.localdate().replace(day=1):
        raise ValidationError({"period": _("%(period)s has not started yet: commissions can only be run for this "
                                           "month or an earlier one.") % {"period": f"{period:%Y-%m}"}})
    return CommissionRun.objects.create(period=period, started_by=actor)


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
    CommissionRun.objects.filter(pk=run.pk).update(status=CommissionRun.Status.RUNNING, started_at=timezone.now(),
                                                   error="")
    try:
        period_end = terms.month_end(run.period)
        versions = [plan.current_version for plan in Plan.objects.filter(is_active=True).order_by("code")]
        versions = [version for version in versions if version is not None]
        events = recorded_events(period_end)
        infos = partner_infos()
        event_dates = {event.event_id: event.occurred_on for event in events}
        pending: list[tuple] = []
        for version in versions:
            plan = engine.parse_plan(version.document)
            result = engine.compute(plan, events, infos)
            pending += _missing_lines(run, version, result, event_dates, period_end)
        CommissionRun.objects.filter(pk=run.pk).update(total=len(pending), progress=0)
        run.total = len(pending)
        added = 0
        for start in range(0, len(pending), BATCH):
            batch = pending[start:start + BATCH]
            with transaction.atomic():
                added += _write(run, batch)
                CommissionRun.objects.filter(pk=run.pk).update(progress=start + len(batch), lines_added=added)
            if progress is not None:
                run.refresh_from_db()
                progress(run)
        CommissionRun.objects.filter(pk=run.pk).update(status=CommissionRun.Status.DONE, finished_at=timezone.now(),
                                                       progress=len(pending))
    except (engine.PlanError, engine.InputError) as error:
        CommissionRun.objects.filter(pk=run.pk).update(status=CommissionRun.Status.FAILED, error=str(error),
                                                       finished_at=timezone.now())
        logger.warning("commission run %s failed in %s: %s", run.pk, connection.schema_name, error)
    run.refresh_from_db()
    return run


COLUMNS = ("partner_id", "plan_version_id", "event_id", "rule_id", "occurrence", "amount", "event_date")


def _write(run: CommissionRun, rows: list[tuple]) -> int:
    """COPY a batch into a scratch table, then insert what the ledger does not hold yet.

    COPY is an order of magnitude faster than INSERT for hundreds of thousands of lines; the
    ON CONFLICT keeps the ledger's identity rule even if two runs of a period overlap.
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE IF NOT EXISTS ledger_batch (partner_id bigint, plan_version_id bigint, "
                       "event_id varchar(80), rule_id varchar(80), occurrence smallint, amount bigint, event_date date) "
                       "ON COMMIT DELETE ROWS")
        with cursor.cursor.copy(f"COPY ledger_batch ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            f"INSERT INTO incentives_ledgerline ({', '.join(COLUMNS)}, period, run_id, created_at) "
            f"SELECT {', '.join(COLUMNS)}, %s, %s, now() FROM ledger_batch "
            "ON CONFLICT (plan_version_id, partner_id, event_id, rule_id, occurrence) DO NOTHING",
            [run.period, run.pk],
        )
        return cursor.rowcount


def _missing_lines(run, version: PlanVersion, result, event_dates, period_end) -> list[tuple]:
    """Lines this version pays that the ledger does not hold yet.

    When a plan gets a new version, the ledger already holds what earlier versions paid for the
    same partner, event, rule and occurrence: the new version adds only the difference (or
    gives back what it no longer pays), so nothing is ever paid twice.
    """
    this_version: set = set()
    paid_before: dict[tuple, int] = {}
    for partner_id, event_id, rule_id, occurrence, amount, version_id in LedgerLine.objects.filter(
            plan_version__plan_id=version.plan_id, event_date__lte=period_end).values_list(
            "partner_id", "event_id", "rule_id", "occurrence", "amount", "plan_version_id").iterator(chunk_size=10000):
        key = (partner_id, event_id, rule_id, occurrence)
        if version_id == version.pk:
            this_version.add(key)
        else:
            paid_before[key] = paid_before.get(key, 0) + amount
    lines: list[tuple] = []
    computed: set = set()

    def add(key, amount):
        if amount:
            partner_id, event_id, rule_id, occurrence = key
            lines.append((partner_id, version.pk, event_id, rule_id, occurrence, amount,
                          event_dates.get(event_id, period_end)))

    for code, partner_result in result.partners.items():
        partner_id = int(code)
        seen: Counter = Counter()
        for line in partner_result.lines:
            occurrence = seen[(line.event_id, line.rule)]
            seen[(line.event_id, line.rule)] += 1
            key = (partner_id, line.event_id, line.rule, occurrence)
            computed.add(key)
            if key not in this_version:
                add(key, line.amount - paid_before.get(key, 0))
    for key, amount in paid_before.items():
        if key not in computed and key not in this_version:
            add(key, -amount)
    return lines


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
