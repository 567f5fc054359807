"""Bootstrap rendering for Django form fields, without inline styles (strict CSP)."""

from django import forms, template
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from prm.formatting import escape_html
from prm.forms_renderer import select_box

register = template.Library()


@register.filter
def bootstrap(field):
    widget = field.field.widget
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        # Django puts these attrs on the wrapper and on every option; the lists are styled in CSS.
        return field.as_widget()
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
        css = "form-select"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    elif css == "form-select" and (html := select_box(field, css)) is not None:
        return html
    existing = widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_multi_checkbox(field) -> bool:
    return isinstance(field.field.widget, (forms.CheckboxSelectMultiple, forms.RadioSelect))


@register.filter
def get_form_field(form, name: str):
    return form[name]


@register.filter
def split_words(value: str) -> list[str]:
    return value.split()


@register.simple_tag
def field_block(field, wrapper_class: str = "") -> SafeString:
    """What `{% include "htmx/field.html" with field=field wrapper_class=wrapper_class %}` writes, in Python for a
    field drawn as one control under its label (tests/platform/test_page_budgets.py compares the two): a filter form
    of seven fields paid for seven template includes. Checkboxes and lists of them still go through the template."""
    if is_checkbox(field) or is_multi_checkbox(field):
        return render_to_string("htmx/field.html", {"field": field, "wrapper_class": wrapper_class})
    required = ' <span class="text-danger" aria-hidden="true">*</span>' if field.field.required else ""
    errors = "".join(f'<div class="invalid-feedback d-block">{escape_html(error)}</div>' for error in field.errors)
    help_text = f'<div class="form-text">{escape_html(field.help_text)}</div>' if field.help_text else ""
    return mark_safe(
        f'\n\n<div class="mb-3 {escape_html(wrapper_class or "")}">\n'
        f'  <label class="form-label" for="{escape_html(field.id_for_label)}">{escape_html(field.label)}{required}</label>\n'
        f"  {bootstrap(field)}\n  {errors}\n  {help_text}\n</div>\n\n")
