"""Payout statements as PDF (WeasyPrint), in Japanese or English, meeting the qualified-invoice rules."""

from __future__ import annotations

import re
from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from incentives import rule_text
from incentives.models import IncentiveSettings, LedgerLine, Payout, PlanVersion
from prm.formatting import format_month

FONT = settings.BASE_DIR / "static" / "fonts" / "ipaexg.ttf"


def statement_lines(payout: Payout) -> list[dict]:
    """The payout's own period's commission lines, grouped by plan and rule, each with its amount."""
    return [row for row in _grouped(payout) if row["period"] == payout.period]


def added_after_close(payout: Payout) -> list[dict]:
    """Lines of earlier periods that arrived after those periods' payouts were closed (前回締め後の追加分),
    grouped by their original period, plan and rule."""
    return [row for row in _grouped(payout) if row["period"] != payout.period]


def _grouped(payout: Payout) -> list[dict]:
    """Lines per period, plan and rule, the rule named in the active language (rule_text, never its id).
    Adjustment lines (a win corrected, cancelled or reopened after its lines were run) are their own
    rows, labelled as such (訂正による調整), after the rule's own lines."""
    rows = list(LedgerLine.objects.filter(payout=payout).values_list(
        "period", "plan_version_id", "plan_version__plan__name", "rule_id", "adjustment", "amount"))
    documents = dict(PlanVersion.objects.filter(pk__in={row[1] for row in rows}).values_list("pk", "document"))
    names = rule_text.names_for(documents.items())
    grouped: dict[tuple, dict] = defaultdict(lambda: {"count": 0, "amount": 0})
    for period, version_id, plan, rule, adjustment, amount in rows:
        row = grouped[(period, plan, names.get((version_id, rule), rule), adjustment > 0)]
        row["count"] += 1
        row["amount"] += amount
    return [{"period": period, "label": _label(f"{plan} / {rule}", adjusted), "count": row["count"],
             "amount": row["amount"]}
            for (period, plan, rule, adjusted), row in sorted(grouped.items())]


def _label(label: str, adjusted: bool) -> str:
    return _("%(label)s (correction adjustment)") % {"label": label} if adjusted else label


LANGUAGES = ("ja", "en")


def file_name(payout: Payout, language: str) -> str:
    """Says what it is, for whom, which month and in which language: 支払通知書_株式会社さくらシステムズ_2026年10月_ja.pdf."""
    with translation.override(language):
        parts = [_("Payment statement"), payout.partner.name, format_month(payout.period), language]
    return "_".join(re.sub(r'[\\/:*?"<>|\s]+', "-", part).strip("-") for part in parts) + ".pdf"


def render_pdf(payout: Payout, *, language: str = "ja") -> bytes:
    from weasyprint import HTML

    rules = IncentiveSettings.current()
    with translation.override(language):
        html = render_to_string("incentives/statement.html", {
            "payout": payout, "lines": statement_lines(payout), "added_after_close": added_after_close(payout),
            "vendor": connection.tenant, "rules": rules,
            "font_url": FONT.as_uri(), "language": language, "issued_on": timezone.localdate(),
        })
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
