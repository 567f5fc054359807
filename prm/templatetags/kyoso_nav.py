"""The layouts' menus (prm.navigation): `{% console_sidebar %}`, `{% portal_menu %}`, `{% account_menu "console" %}`."""

from django import template

from prm import navigation

register = template.Library()


@register.simple_tag(takes_context=True)
def console_sidebar(context):
    return navigation.console_sidebar(context["request"], context["user"])


@register.simple_tag(takes_context=True)
def portal_menu(context):
    return navigation.portal_menu(context["request"], context["user"])


@register.simple_tag(takes_context=True)
def account_menu(context, site):
    return navigation.account_menu(context["request"], site)
