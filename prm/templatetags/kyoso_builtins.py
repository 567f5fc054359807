"""Tags every template has without `{% load %}` (TEMPLATES' "builtins", after Django's own): `{% url %}`, Django's
tag, reversing through prm.paths.reverse_kept. A page's layout reverses the same menu and button addresses on
every request, each reverse matching the pattern anew."""

from __future__ import annotations

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from prm.paths import reverse_kept

register = template.Library()


class KeptURLNode(URLNode):
    """Django's URLNode: the same arguments, current app, errors and escaping; the address comes from reverse_kept."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {name: value.resolve(context) for name, value in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_kept(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)
