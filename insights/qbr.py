"""The QBR pack: one partner's quarter on a few PDF pages (WeasyPrint), in Japanese or English.

`qbr_data` gathers the figures (a fixed number of queries for one partner); `render_pdf` lays them
out with the bundled IPAex font, exactly as the payout statements do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from deals.models import OPEN_STAGES
from deals.models import Stage as DealStage
from incentives import mdf
from insights import charts
from insights.dashboards.partner_health import DAY_COMPONENTS, PERCENT_COMPONENTS
from insights.health.services import COMPONENT_LABELS
from insights.models import HealthScore, HealthSettings, HealthSnapshot, QbrJob
from partners.models import Activity, Partner
from partners.selectors import open_actions_since, plan_for_year, plan_progress
from programs.recognition import periods
from programs.recognition.periods import Period
from programs.selectors import partner_program

FONT = settings.BASE_DIR / "static" / "fonts" / "ipaexg.ttf"


def _start_month() -> int:
    return getattr(connection.tenant, "fiscal_year_start_month", 4) or 4


def default_period(today: date) -> Period:
    """The last complete fiscal quarter."""
    return periods.period_containing(periods.QUARTER, today, _start_month()).previous()


def period_for(key: str | None, today: date) -> Period:
    """The period a `?period=` key asks for (the last quarter without one); ValueError for a bad or future one."""
    if not key:
        return default_period(today)
    period = periods.parse(key, _start_month())
    if period.start > today:
        raise ValueError(key)
    return period


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class Comparison:
    label: str
    current: int
    previous: int
    money: bool = False
    figure: str = ""  # its key in prm.figures, when it is a catalogued figure

    @property
    def change(self) -> int | None:
        """Change against the previous period in %, None when there is nothing to compare with."""
        if not self.previous:
            return None
        return round((self.current - self.previous) * 100 / self.previous)


def deal_comparison(partner: Partner, period: Period) -> list[Comparison]:
    """The period's deals against the previous period's, each figure from its owner (deals.selectors)."""
    from deals import selectors as deals

    before = period.previous()
    ids = [partner.pk]
    revenue, won = deals.won_totals(ids, period.start, period.end).get(partner.pk, (0, 0))
    revenue_before, won_before = deals.won_totals(ids, before.start, before.end).get(partner.pk, (0, 0))
    registered = deals.registered_deal_count(ids, period.start, period.end).get(partner.pk, 0)
    registered_before = deals.registered_deal_count(ids, before.start, before.end).get(partner.pk, 0)
    return [
        Comparison(_("Registered deals"), registered, registered_before, figure="registered_deals"),
        Comparison(_("Won deals"), won, won_before, figure="won_deals"),
        Comparison(_("Won revenue"), revenue, revenue_before, money=True, figure="won_revenue"),
        Comparison(_("Average won deal"), revenue // won if won else 0,
                   revenue_before // won_before if won_before else 0, money=True),
    ]


def pipeline(partner: Partner) -> list[dict]:
    """Open deals by stage today, in the order a deal moves through them."""
    from deals.selectors import open_pipeline

    rows = open_pipeline([partner.pk]).get(partner.pk, {})
    total = sum(amount for _deals, amount in rows.values())
    return [{"label": DealStage(stage).label, "deals": rows.get(stage, (0, 0))[0], "amount": rows.get(stage, (0, 0))[1],
             "percent": round(rows.get(stage, (0, 0))[1] * 100 / total) if total else 0}
            for stage in OPEN_STAGES]


def enablement_figures(partner: Partner, period: Period, now) -> dict:
    from enablement import selectors as enablement

    before = period.previous()
    ids, pk = [partner.pk], partner.pk
    since, until = period.bounds()
    since_before, until_before = before.bounds()
    taken, passed = enablement.quiz_attempts_between(ids, since, until).get(pk, (0, 0))
    invited, attended, people = enablement.session_attendance_between(ids, since, until).get(pk, (0, 0, 0))
    return {
        "certified_now": enablement.reps_with_valid_certification(ids, now).get(pk, 0),
        "certified_in_period": enablement.certifications_earned_between(ids, period.start, period.end).get(pk, 0),
        "holders": enablement.certification_holders(pk, now),
        "courses_completed": enablement.courses_completed_between(ids, since, until).get(pk, 0),
        "attempts": taken, "passed": passed,
        "pass_rate": passed * 100 // taken if taken else None,
        "downloads": Comparison(_("Content downloads"), enablement.downloads_between(ids, since, until).get(pk, 0),
                                enablement.downloads_between(ids, since_before, until_before).get(pk, 0)),
        "top_content": [{"item__title": title, "n": n} for title, n in enablement.top_downloads(pk, since, until)],
        "sessions_invited": invited, "sessions_attended": attended, "attendees": people,
    }


def mdf_figures(partner: Partner, period: Period) -> dict:
    from incentives.selectors import mdf_requests_between

    requests = mdf_requests_between(partner.pk, period.start, period.end)
    return {"fiscal_year": period.fiscal_year, "allocation": mdf.allocation_for(partner, period.fiscal_year),
            "committed": mdf.committed(partner, period.fiscal_year), "rows": mdf.roi(requests)}


def open_actions(partner: Partner, period: Period) -> list[Activity]:
    """Next actions written on activities since the start of the previous period, soonest due first."""
    since, _until = period.previous().bounds()
    return open_actions_since(partner, since)


def component_value(key: str, value) -> str:
    if value is None:
        return "—"
    if key in PERCENT_COMPONENTS:
        return f"{value}%"
    if key in DAY_COMPONENTS:
        return _("%(days)s days") % {"days": value}
    return f"{value:,}"


def health_rows(score: HealthScore | None) -> list[dict]:
    if score is None:
        return []
    return [{"label": str(COMPONENT_LABELS.get(key, key)), "value": component_value(key, part.get("value")),
             "points": part.get("points", 0), "weight": part.get("weight", 0), "contribution": part.get("contribution", 0)}
            for key, part in score.components.items()]


# --------------------------------------------------------------------------- the pack


def qbr_data(partner: Partner, period: Period, *, today: date | None = None) -> dict:
    """Everything the pack shows; call it inside the language the pack is written in."""
    now = timezone.now()
    today = today or timezone.localdate()
    score = HealthScore.objects.filter(partner=partner).first()
    health_settings = HealthSettings.current()
    trend_from = today - timedelta(days=365)
    snapshots = list(HealthSnapshot.objects.filter(partner=partner, day__gte=trend_from, day__lte=today)
                     .order_by("day").values_list("day", "score"))
    plan = plan_for_year(partner, period.fiscal_year)
    from prm import figures

    return {
        "window": figures.period(period.start, period.end, _start_month(), today=today),
        "today_window": figures.as_of(today),
        "definitions": [figures.get(key) for key in ("won_revenue", "won_deals", "registered_deals", "certified_reps",
                                                     "active_contacts")],
        "partner": partner, "vendor": connection.tenant, "period": period, "previous": period.previous(),
        "prepared_on": today,
        "score": score, "health_rows": health_rows(score),
        "trend": charts.band_trend(snapshots, trend_from, today, at_risk_from=health_settings.at_risk_from,
                                   healthy_from=health_settings.healthy_from) if snapshots else None,
        "program": partner_program(partner, today),
        "deals": deal_comparison(partner, period),
        "pipeline": pipeline(partner),
        "enablement": enablement_figures(partner, period, now),
        "mdf": mdf_figures(partner, period),
        "plan": plan, "plan_progress": plan_progress(plan) if plan else [],
        "actions": open_actions(partner, period),
    }


def render_html(partner: Partner, *, period: Period, language: str = "ja") -> str:
    """The pack's HTML, which render_pdf lays out."""
    with translation.override(language):
        return render_to_string("insights/qbr.html", {
            **qbr_data(partner, period), "font_url": FONT.as_uri(), "language": language,
        })


def render_pdf(partner: Partner, *, period: Period, language: str = "ja") -> bytes:
    from weasyprint import HTML

    html = render_html(partner, period=period, language=language)
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def job_start(*, partner: Partner, period: Period, language: str, actor) -> QbrJob:
    """Queue a QBR pack for the worker (qbr_render): the PDF takes seconds, more than a page should wait."""
    return QbrJob.objects.create(partner=partner, period_key=period.key, language=language, requested_by=actor)


def job_run(job_id: int) -> QbrJob:
    """Render the queued pack into the job's file; a second delivery of a finished job does nothing."""
    from django.core.files.base import ContentFile

    job = QbrJob.objects.select_related("partner").get(pk=job_id)
    if not job.in_progress:
        return job
    QbrJob.objects.filter(pk=job.pk).update(status=QbrJob.Status.RUNNING)
    try:
        period = period_for(job.period_key, timezone.localdate())
        pdf = render_pdf(job.partner, period=period, language=job.language)
    except ValueError as error:
        QbrJob.objects.filter(pk=job.pk).update(status=QbrJob.Status.FAILED, error=str(error),
                                                finished_at=timezone.now())
    else:
        job.file.save(f"qbr-{job.partner_id}-{period.key.replace(':', '-')}-{job.language}.pdf", ContentFile(pdf),
                      save=False)
        QbrJob.objects.filter(pk=job.pk).update(status=QbrJob.Status.DONE, file=job.file.name,
                                                finished_at=timezone.now())
    job.refresh_from_db()
    return job
