from django import template
from django.utils import timezone

from prm import formatting
from programs.models import MONEY_METRICS, Metric, Window

register = template.Library()


@register.simple_tag
def metric_value(value, metric):
    return formatting.format_yen(value) if metric in MONEY_METRICS else formatting.format_number(value)


@register.filter
def metric_label(metric) -> str:
    return str(dict(Metric.choices).get(metric, metric))


@register.filter
def window_label(window) -> str:
    return str(dict(Window.choices).get(window, window))


@register.filter
def requirement_text(requirement) -> str:
    from programs.services import fiscal_year

    threshold = requirement.threshold_for(fiscal_year(timezone.localdate()))
    value = formatting.format_yen(threshold) if requirement.metric in MONEY_METRICS else formatting.format_number(threshold)
    return f"{requirement.get_metric_display()} ≥ {value}"
