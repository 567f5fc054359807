"""Django's form renderer, with <select> written in Python.

Django renders a select box as one template include per option, and each option includes the
attribute template again: the prefecture filter alone (48 options) took a few milliseconds on every
partner list. This renderer writes the same markup, byte for byte, in a loop (tests/platform/
test_page_budgets.py compares it with Django's templates); anything unusual (other option templates,
non-text labels) still goes through the templates.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise

from prm.formatting import escape_html as conditional_escape  # the same output, cheaper per option

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _text(value) -> str:
    """What `{{ value|stringformat:'s' }}` prints: the value as text, escaped unless already safe."""
    return conditional_escape(value if hasattr(value, "__html__") else "%s" % (value,))


def _attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(name)}" if value is True else f' {conditional_escape(name)}="{_text(value)}"')
    return "".join(out)


def _plain(option: dict) -> bool:
    return option["template_name"] == OPTION and isinstance(option["label"], (str, Promise))


class FastSelectRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        if template_name == SELECT:
            html = _select(context["widget"])
            if html is not None:
                return html
        return super().render(template_name, context, request=request)


def _select(widget: dict) -> str | None:
    """django/forms/widgets/select.html with its options inlined; None when a template must do it."""
    groups = widget["optgroups"]
    if any(name and not isinstance(name, (str, Promise)) for name, _options, _index in groups):
        return None
    if not all(_plain(option) for _name, options, _index in groups for option in options):
        return None
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in groups:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            out.append(f'\n  <option value="{_text(option["value"])}"{_attrs(option["attrs"])}>'
                       f'{conditional_escape(option["label"])}</option>\n')
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)
