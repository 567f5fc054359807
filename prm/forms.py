"""What every app's views need of a form beyond Django's."""

from __future__ import annotations

from django import forms


def error_messages(form: forms.BaseForm) -> list[str]:
    """Every message of an invalid form, field by field (the form-wide ones under their own key), as text: what a
    redirect's flash message or a plain-text 400 says when there is no form on the page to show them beside."""
    return [str(message) for errors in form.errors.values() for message in errors]
