from django import template

from prm import formatting

register = template.Library()

register.filter("number", formatting.format_number)
register.filter("yen", formatting.format_yen)
register.filter("date_ja", formatting.format_date)
register.filter("month_ja", formatting.format_month)
register.filter("datetime_ja", formatting.format_datetime)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
register.filter("datetime_seconds", formatting.format_datetime_seconds)
register.filter("ordinal", formatting.format_ordinal)
