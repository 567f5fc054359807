"""Bootstrap rendering for Django form fields, without inline styles (strict CSP)."""

from django import forms, template

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
