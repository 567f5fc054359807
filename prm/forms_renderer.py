"""Django's form renderer, with <select>, <input>, <textarea> and lists of checkboxes or radio buttons
written in Python.

Django renders a select box as one template include per option, and each option includes the
attribute template again: the prefecture filter alone (48 options) took a few milliseconds on every
partner list. An input is three templates (its type's, which includes input.html, which includes
attrs.html): a tier's requirement rows or a plan's rules are hundreds of them, a quarter of the time
of those pages; a partner's territory is 47 checkboxes, each an option template that includes both
again. This renderer writes the same markup, byte for byte, in a loop (tests/platform/
test_page_budgets.py compares it with Django's templates); anything unusual (other option templates,
non-text labels, a widget whose value is not text) still goes through the templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.forms.models import ModelChoiceIteratorValue
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

from prm.formatting import escape_html as conditional_escape  # the same output, cheaper per option

if TYPE_CHECKING:
    from django.forms import BoundField

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"
TEXTAREA = "django/forms/widgets/textarea.html"
# Each of these is `{% include "django/forms/widgets/input.html" %}` and a newline in Django's templates.
INPUTS = frozenset(f"django/forms/widgets/{kind}.html" for kind in (
    "text", "number", "email", "url", "tel", "search", "password", "hidden", "date", "datetime", "time", "color",
    "checkbox", "file"))
# Lists of checkboxes or radio buttons: multiple_input.html around one option template per choice, each of which is
# `{% include "django/forms/widgets/input_option.html" %}` and a newline.
LISTS = frozenset({"django/forms/widgets/checkbox_select.html", "django/forms/widgets/radio.html"})
LIST_OPTIONS = frozenset({"django/forms/widgets/checkbox_option.html", "django/forms/widgets/radio_option.html"})


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


def _option(value, attrs: str, label) -> str:
    """django/forms/widgets/select_option.html."""
    return f'\n  <option value="{_text(value)}"{attrs}>{conditional_escape(label)}</option>\n'


def _plain(option: dict) -> bool:
    return option["template_name"] == OPTION and isinstance(option["label"], (str, Promise))


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        html = None
        if template_name == SELECT:
            html = _select(context["widget"])
        elif template_name in INPUTS:
            html = _input(context["widget"])
        elif template_name == TEXTAREA:
            html = _textarea(context["widget"])
        elif template_name in LISTS:
            html = _list(context["widget"])
        elif template_name in LIST_OPTIONS:  # one choice on its own (a template that places each itself)
            html = _list_option(context["widget"])
        if html is not None:
            return html.strip()
        return super().render(template_name, context, request=request)


def _input(widget: dict) -> str | None:
    """django/forms/widgets/<type>.html: input.html with attrs.html (the renderer strips the newlines around it)."""
    return _input_tag(widget) if _plain_text(widget["value"]) else None


def _input_tag(widget: dict) -> str:
    """django/forms/widgets/input.html with attrs.html, as an include writes it (its newline kept)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_text(value)}"'
    return (f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"{shown}'
            f'{_attrs(widget["attrs"])}>\n')


def _list_option(option: dict) -> str | None:
    """checkbox_option.html or radio_option.html: input_option.html and a newline; None for a label or value the
    template would localise (a number, a date)."""
    if not (isinstance(option["label"], (str, Promise)) and _textual(option["value"])):
        return None
    tag = _input_tag(option)
    if option.get("wrap_label"):
        target = option["attrs"].get("id")
        target = f' for="{_text(target)}"' if target else ""
        tag = f'<label{target}>{tag} {conditional_escape(option["label"])}</label>'
    return f"{tag}\n\n"


def _list(widget: dict) -> str | None:
    """checkbox_select.html and radio.html: multiple_input.html with each choice's option template inlined."""
    out, attrs = [], widget["attrs"]
    ident, css = attrs.get("id"), attrs.get("class")
    ident = f' id="{_text(ident)}"' if ident else ""
    css = f' class="{_text(css)}"' if css else ""
    out.append(f"<div{ident}{css}>")
    for group, options, _index in widget["optgroups"]:
        if group:
            if not isinstance(group, (str, Promise)):
                return None
            out.append(f"\n  <div><label>{conditional_escape(group)}</label>")
        for option in options:
            html = _list_option(option) if option["template_name"] in LIST_OPTIONS else None
            if html is None:
                return None
            out.append(f"<div>\n    {html}</div>")
        if group:
            out.append("\n  </div>")
    out.append("\n</div>\n")
    return "".join(out)


def _plain_text(value) -> bool:
    """Text or nothing, what Input.format_value and Textarea's give: anything else (a number, a date) the template
    would localise, so it goes to the template."""
    return value is None or isinstance(value, str)


def _textual(value) -> bool:
    """Whether `{{ value|stringformat:'s' }}` and `value != None` in input.html mean what _text and `is not None` do."""
    return value is None or isinstance(value, (str, int, Promise, ModelChoiceIteratorValue))


def _textarea(widget: dict) -> str | None:
    """django/forms/widgets/textarea.html (with attrs.html)."""
    value = widget["value"]
    if not _plain_text(value):
        return None
    return (f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
            f'{conditional_escape(value) if value else ""}</textarea>')


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
            out.append(_option(option["value"], _attrs(option["attrs"]), option["label"]))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


def select_box(field: BoundField, css_class: str) -> SafeString | None:
    """`field.as_widget(attrs={"class": css_class})` for a plain select box (not required, no errors, help text or
    attributes of its own), written straight from its choices and value: Django builds a dict of attributes per
    option and walks the choices again to decide on `required` first. None when Django must draw it."""
    widget, form_field = field.field.widget, field.field
    if (type(widget) is not forms.Select or widget.attrs or form_field.required or form_field.disabled
            or form_field.localize or form_field.show_hidden_initial or field.help_text or field.errors
            or type(field.form.renderer) is not FastWidgetRenderer):
        return None
    chosen = widget.format_value(field.value())
    attrs = {"class": css_class}
    if field.auto_id:
        attrs["id"] = field.auto_id
    out = [f'<select name="{conditional_escape(field.html_name)}"{_attrs(attrs)}>']
    found = False
    for value, label in widget.choices:
        if not isinstance(label, (str, Promise)):  # a group, or a label that is not text
            return None
        selected = not found and str("" if value is None else value) in chosen
        found |= selected
        out.append(_option("" if value is None else value, " selected" if selected else "", label))
    out.append("\n</select>")
    return mark_safe("".join(out))
