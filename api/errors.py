"""Every refusal of the API as `application/problem+json` (RFC 9457), in the key's language.

A problem names its cause in `title`/`detail` and, for bad input, lists each field in `errors`
(`{"field": "limit", "message": "…"}`), so a program can point at the field and a person can read it.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PROBLEM_TYPE = "application/problem+json"


class ApiError(Exception):
    """A refusal with its HTTP status; raised anywhere below an endpoint, answered by `problem`."""

    def __init__(self, status: int, title: str, detail: str = "", *, code: str = "",
                 errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or title)
        self.status = status
        self.title = str(title)
        self.detail = str(detail)
        self.code = code
        self.errors = errors or []
        self.headers = headers or {}


def problem(request: HttpRequest | None, status: int, title: str, detail: str = "", *, code: str = "",
            errors: list[dict[str, str]] | None = None, headers: dict[str, str] | None = None) -> HttpResponse:
    body: dict[str, Any] = {"type": f"about:blank#{code}" if code else "about:blank", "title": str(title),
                            "status": status}
    if detail:
        body["detail"] = str(detail)
    if code:
        body["code"] = code
    if errors:
        body["errors"] = [{"field": error["field"], "message": str(error["message"])} for error in errors]
    if request is not None:
        body["instance"] = request.path
    response = HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type=PROBLEM_TYPE)
    response["Content-Language"] = translation.get_language() or "ja"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def from_api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return problem(request, error.status, error.title, error.detail, code=error.code, errors=error.errors,
                   headers=error.headers)


def invalid(field: str, message: str, *, status: int = 422, code: str = "invalid") -> ApiError:
    """One bad field: the shape every endpoint uses for a value it refuses."""
    return ApiError(status, _("The request has invalid fields."), _("%(field)s: %(message)s") % {
        "field": field, "message": message}, code=code, errors=[{"field": field, "message": message}])


# pydantic's error types in words; Django's own messages where it has one (so Japanese ships with Django's
# catalogue and reads like the forms), ours otherwise. Others get "Enter a valid value.".
_DATETIME = gettext_lazy("Enter a date and time in ISO 8601 with an offset, e.g. 2026-12-01T09:00:00+09:00.")
_DATE = gettext_lazy("Enter a valid date.")
_WHOLE = gettext_lazy("Enter a whole number.")
_BOOLEAN = gettext_lazy("Enter true or false.")
_CHOICE = gettext_lazy("Choose one of: %(expected)s.")
PYDANTIC_MESSAGES = {
    "extra_forbidden": gettext_lazy("This field is not part of the request; remove it."),
    "missing": gettext_lazy("This field is required."),
    "int_parsing": _WHOLE, "int_type": _WHOLE, "int_from_float": _WHOLE,
    "string_type": gettext_lazy("Enter text."),
    "string_too_long": gettext_lazy("Enter at most %(max_length)s characters."),
    "string_too_short": gettext_lazy("Enter at least %(min_length)s characters."),
    "string_pattern_mismatch": gettext_lazy("Enter a valid value."),
    "bool_parsing": _BOOLEAN, "bool_type": _BOOLEAN,
    "greater_than_equal": gettext_lazy("Ensure this value is greater than or equal to %(limit_value)s."),
    "greater_than": gettext_lazy("Ensure this value is greater than or equal to %(limit_value)s."),
    "less_than_equal": gettext_lazy("Ensure this value is less than or equal to %(limit_value)s."),
    "less_than": gettext_lazy("Ensure this value is less than or equal to %(limit_value)s."),
    "datetime_parsing": _DATETIME, "datetime_from_date_parsing": _DATETIME, "datetime_type": _DATETIME,
    "timezone_aware": gettext_lazy("Include the offset, e.g. 2026-12-01T09:00:00+09:00."),
    "date_parsing": _DATE, "date_from_datetime_parsing": _DATE, "date_type": _DATE,
    "enum": _CHOICE, "literal_error": _CHOICE,
    "dict_type": gettext_lazy("Enter an object."),
    "list_type": gettext_lazy("Enter a list."),
    "too_long": gettext_lazy("Enter at most %(max_length)s items."),
    "model_attributes_type": gettext_lazy("Enter an object."),
    "json_invalid": gettext_lazy("Enter a valid JSON."),
    "value_error": gettext_lazy("Enter a valid value."),
}
# Where a value came from, dropped from the field name a caller sees.
_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_of(loc: list | tuple) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
        # ninja names the body argument itself (`payload`) before the schema's fields.
        if len(parts) > 1 and loc[0] == "body":
            parts = parts[1:]
    return ".".join(parts) or "body"


def pydantic_errors(raw: list[dict]) -> list[dict[str, str]]:
    errors = []
    for error in raw:
        kind = error.get("type", "")
        template = PYDANTIC_MESSAGES.get(kind)
        context = dict(error.get("ctx") or {})
        for bound in ("ge", "gt", "le", "lt"):
            if bound in context:
                context["limit_value"] = context[bound]
        if kind == "greater_than" and isinstance(context.get("gt"), int):
            context["limit_value"] = context["gt"] + 1
        if kind == "less_than" and isinstance(context.get("lt"), int):
            context["limit_value"] = context["lt"] - 1
        if template is None:
            message = _("Enter a valid value.")
        else:
            try:
                message = str(template) % context if "%(" in str(template) else str(template)
            except (KeyError, TypeError, ValueError):
                message = _("Enter a valid value.")
        errors.append({"field": _field_of(error.get("loc", ())), "message": message})
    return errors


def django_errors(error: DjangoValidationError) -> list[dict[str, str]]:
    """A service's ValidationError, field by field (NON_FIELD_ERRORS as `body`)."""
    if hasattr(error, "error_dict"):
        return [{"field": "body" if field == "__all__" else field, "message": message}
                for field, messages in error.message_dict.items() for message in messages]
    return [{"field": "body", "message": message} for message in error.messages]


def install(api) -> None:
    """Answer every refusal of `api` as a problem."""
    from ninja.errors import AuthenticationError, HttpError
    from ninja.errors import ValidationError as NinjaValidationError

    @api.exception_handler(ApiError)
    def _api_error(request, exc):
        return from_api_error(request, exc)

    @api.exception_handler(NinjaValidationError)
    def _validation(request, exc):
        errors = pydantic_errors(exc.errors)
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
        return problem(request, 422, _("The request has invalid fields."), detail, code="invalid", errors=errors)

    @api.exception_handler(DjangoValidationError)
    def _service_validation(request, exc):
        errors = django_errors(exc)
        detail = "; ".join(f"{error['field']}: {error['message']}" for error in errors)
        return problem(request, 422, _("The request has invalid fields."), detail, code="invalid", errors=errors)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request, exc):
        return problem(request, 401, _("An API key is required."),
                       _("Send the key as 'Authorization: Bearer <key>'."), code="unauthenticated",
                       headers={"WWW-Authenticate": 'Bearer realm="kyoso"'})

    @api.exception_handler(PermissionDenied)
    def _forbidden(request, exc):
        return problem(request, 403, _("This key may not do this."), code="forbidden")

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem(request, 404, _("Not found."), code="not_found")

    @api.exception_handler(HttpError)
    def _http_error(request, exc):
        return problem(request, exc.status_code, str(exc), code="http_error")
