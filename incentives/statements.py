"""Payout statements as PDF (WeasyPrint), in Japanese or English, meeting the qualified-invoice rules."""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import translation

from incentives.models import IncentiveSettings, LedgerLine, Payout

FONT = settings.BASE_DIR / "static" / "fonts" / "ipaexg.ttf"


def statement_lines(payout: Payout) -> list[dict]:
    """Commission lines grouped by plan rule, then offset and MDF, each with its amount."""
    grouped: dict[tuple[str, str], dict] = defaultdict(lambda: {"count": 0, "amount": 0})
    lines = LedgerLine.objects.filter(partner=payout.partner, period=payout.period).select_related("plan_version__plan")
    for line in lines:
        row = grouped[(line.plan_version.plan.name, line.rule_id)]
        row["count"] += 1
        row["amount"] += line.amount
    result = [{"label": f"{plan} / {rule}", "count": row["count"], "amount": row["amount"]}
              for (plan, rule), row in sorted(grouped.items())]
    return result


def render_pdf(payout: Payout, *, language: str = "ja") -> bytes:
    from weasyprint import HTML

    rules = IncentiveSettings.current()
    with translation.override(language):
        html = render_to_string("incentives/statement.html", {
            "payout": payout, "lines": statement_lines(payout), "vendor": connection.tenant, "rules": rules,
            "font_url": FONT.as_uri(), "language": language,
        })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
