from django import template

from partners import japan, timeline

register = template.Library()


@register.filter
def describe_event(event) -> str:
    return timeline.describe(event)


@register.filter
def event_icon(event) -> str:
    return timeline.ICONS.get(event.kind, "dot")


@register.filter
def prefecture_names(codes) -> str:
    return "、".join(japan.prefecture_name(code) for code in codes or [])


@register.filter
def industry_names(codes) -> str:
    from partners.models import Industry

    labels = dict(Industry.choices)
    return "、".join(str(labels.get(code, code)) for code in codes or [])


STAGE_COLOURS = {
    "prospect": "secondary", "applied": "info", "recruiting": "info", "onboarding": "primary",
    "activation": "warning", "retention": "success", "dormant": "dark", "terminated": "danger",
    "potential": "secondary", "valid": "info", "trained": "primary", "active": "success",
}


@register.filter
def stage_colour(stage: str) -> str:
    return STAGE_COLOURS.get(stage, "secondary")
