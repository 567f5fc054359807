from django import template
from django.utils.translation import gettext as _

from deals.models import Stage

register = template.Library()


@register.filter
def describe_deal_event(event) -> str:
    data = event.data or {}
    stage = dict(Stage.choices).get(data.get("stage"), data.get("stage"))
    texts = {
        "registered": _("Registered"),
        "approved": _("Approved, valid until %(date)s") % {"date": data.get("expires_on", "")},
        "rejected": _("Rejected: %(reason)s") % {"reason": data.get("reason", "")},
        "stage": _("Moved to %(stage)s") % {"stage": stage},
        "meeting": _("Vendor joined a meeting on %(date)s") % {"date": data.get("held_on", "")},
        "extension_requested": _("Extension of %(days)s days requested") % {"days": data.get("days")},
        "extension_decided": (_("Extension of %(days)s days approved") if data.get("approved")
                              else _("Extension of %(days)s days declined")) % {"days": data.get("days")},
        "expired": _("Expired"),
        "win_reported": _("Win reported: ¥%(amount)s on %(date)s, awaiting confirmation") % {
            "amount": f"{data.get('won_amount') or 0:,}", "date": data.get("won_on", "")},
        "win_confirmed": _("Win confirmed: ¥%(amount)s on %(date)s") % {
            "amount": f"{data.get('won_amount') or 0:,}", "date": data.get("won_on", "")},
        "win_rejected": _("Win not confirmed, back to %(stage)s: %(reason)s") % {
            "stage": stage, "reason": data.get("reason", "")},
        "win_cancelled": _("Won deal cancelled by the customer on %(date)s: %(reason)s") % {
            "date": data.get("cancelled_on", ""), "reason": data.get("reason", "")},
        "win_corrected": _("Win corrected from ¥%(before)s on %(before_date)s to ¥%(after)s on %(after_date)s: "
                           "%(reason)s") % {
            "before": f"{data.get('amount_before') or 0:,}", "before_date": data.get("won_on_before", ""),
            "after": f"{data.get('amount_after') or 0:,}", "after_date": data.get("won_on_after", ""),
            "reason": data.get("reason", "")},
        "win_reopened": _("Win of ¥%(before)s on %(before_date)s reopened (won by mistake), back to %(stage)s: "
                          "%(reason)s") % {
            "before": f"{data.get('amount_before') or 0:,}", "before_date": data.get("won_on_before", ""),
            "stage": stage, "reason": data.get("reason", "")},
        "credit_warning": _("Credit limit exceeded: open amount ¥%(after)s of ¥%(limit)s") % {
            "after": f"{data.get('after', 0):,}", "limit": f"{data.get('limit', 0):,}"},
    }
    return str(texts.get(event.kind, event.kind))
