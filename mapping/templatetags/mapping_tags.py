"""Account mapping figures for other apps' pages (the prospect list), without those apps importing mapping."""

from django import template

from mapping import selectors

register = template.Library()


@register.simple_tag
def customer_affinities(partners) -> dict:
    """Partner pk → computed customer affinity, for a page of partners: one query."""
    return selectors.customer_affinities([partner.pk for partner in partners])
