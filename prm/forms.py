"""What every app's views need of a form beyond Django's."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS

from prm.params import BadParameter


def error_messages(form: forms.BaseForm) -> list[str]:
    """Every message of an invalid form, field by field (the form-wide ones under their own key), as text: what a
    redirect's flash message or a plain-text 400 says when there is no form on the page to show them beside."""
    return [str(message) for errors in form.errors.values() for message in errors]


def errors_naming_fields(form: forms.BaseForm) -> str:
    """A refused form's errors as one line, each after the label of its field: a flash message that says which
    field to correct."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        parts.extend(f"{label}: {error}" if label else str(error) for error in errors)
    return " ".join(parts)


def parameter_errors(form: forms.BaseForm) -> list[str]:
    """A refused filter form's errors, each naming the query parameter it came from (`?partner=`), as the 400 page
    of a bad parameter does (prm.params.BadParameter): what a list shows above its filters."""
    return [str(BadParameter(name, str(error))) if name != NON_FIELD_ERRORS else str(error)
            for name, errors in form.errors.items() for error in errors]
