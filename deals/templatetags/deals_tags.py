from datetime import date

from django import template
from django.utils.translation import gettext as _

from deals.models import Stage
from prm.formatting import format_date

register = template.Library()


@register.filter
def describe_deal_event(event) -> str:
    return describe_event(event.kind, event.data or {})


def describe_event(kind: str, data: dict) -> str:
    """How a deal event of `kind` with its recorded `data` reads, in the reader's language."""

    def stage() -> str:
        return dict(Stage.choices).get(data.get("stage"), data.get("stage"))

    def day(key: str) -> str:
        """A recorded ISO date as the reader writes dates (2026年12月1日 / Dec 1, 2026)."""
        value = data.get(key, "")
        try:
            return format_date(date.fromisoformat(value)) if value else ""
        except (TypeError, ValueError):
            return str(value)

    # Only the event's own text is put together: a timeline describes many events, each of one kind.
    texts = {
        "registered": lambda: _("Registered"),
        "approved": lambda: _("Approved, valid until %(date)s") % {"date": day("expires_on")},
        "rejected": lambda: _("Rejected: %(reason)s") % {"reason": data.get("reason", "")},
        "stage": lambda: _("Moved to %(stage)s") % {"stage": stage()},
        "meeting": lambda: _("Vendor joined a meeting on %(date)s") % {"date": day("held_on")},
        "extension_requested": lambda: _("Extension of %(days)s days requested") % {"days": data.get("days")},
        "extension_decided": lambda: (_("Extension of %(days)s days approved") if data.get("approved")
                                      else _("Extension of %(days)s days declined")) % {"days": data.get("days")},
        "expired": lambda: _("Expired"),
        "win_reported": lambda: _("Win reported: ¥%(amount)s on %(date)s, awaiting confirmation") % {
            "amount": f"{data.get('won_amount') or 0:,}", "date": day("won_on")},
        "win_confirmed": lambda: _("Win confirmed: ¥%(amount)s on %(date)s") % {
            "amount": f"{data.get('won_amount') or 0:,}", "date": day("won_on")},
        "win_rejected": lambda: _("Win not confirmed, back to %(stage)s: %(reason)s") % {
            "stage": stage(), "reason": data.get("reason", "")},
        "win_cancelled": lambda: _("Won deal cancelled by the customer on %(date)s: %(reason)s") % {
            "date": day("cancelled_on"), "reason": data.get("reason", "")},
        "win_corrected": lambda: _("Win corrected from ¥%(before)s on %(before_date)s to ¥%(after)s on %(after_date)s: "
                                   "%(reason)s") % {
            "before": f"{data.get('amount_before') or 0:,}", "before_date": day("won_on_before"),
            "after": f"{data.get('amount_after') or 0:,}", "after_date": day("won_on_after"),
            "reason": data.get("reason", "")},
        "win_reopened": lambda: _("Win of ¥%(before)s on %(before_date)s reopened (won by mistake), back to %(stage)s: "
                                  "%(reason)s") % {
            "before": f"{data.get('amount_before') or 0:,}", "before_date": day("won_on_before"),
            "stage": stage(), "reason": data.get("reason", "")},
        "credit_warning": lambda: _("Credit limit exceeded: open amount ¥%(after)s of ¥%(limit)s") % {
            "after": f"{data.get('after', 0):,}", "limit": f"{data.get('limit', 0):,}"},
    }
    text = texts.get(kind)
    return str(text()) if text is not None else str(kind)
