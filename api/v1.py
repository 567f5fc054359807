"""Version 1 of the API: one NinjaAPI per site, the same resources registered on each.

The console's API (vendor keys) is mounted at /api/v1/ on `<vendor>.localhost`, the portal's
(partner keys, own partner only) at /api/v1/ on `partners.<vendor>.localhost`. A resource module
exposes `console` and, when partners may use it, `portal` (a Router, possibly the same one).
Adding a resource is one line in RESOURCES.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.utils.translation import gettext
from ninja import NinjaAPI
from ninja.renderers import JSONRenderer

from api import audit, errors
from api.resources import (
    certifications,
    contacts,
    deals,
    direct_accounts,
    health,
    invoice_payments,
    leads,
    partners,
    payouts,
    tiers,
)

# (URL prefix, module): each module has `console` and `portal` (None when partners have no access).
RESOURCES = [
    ("/partners", partners),
    ("/contacts", contacts),
    ("/tiers", tiers),
    ("/certifications", certifications),
    ("/health-scores", health),
    ("/payouts", payouts),
    ("/deals", deals),
    ("/leads", leads),
    ("/direct-accounts", direct_accounts),
    ("/invoice-payments", invoice_payments),
]

DESCRIPTION = """Kyoso REST API, version 1.

* Authenticate with `Authorization: Bearer <key>`; sessions are not accepted.
* Lists are cursor pages ordered by change time: pass `next_cursor` back as `cursor`; `updated_since`
  (ISO 8601 with offset) for incremental sync; `limit` 1..200.
* Every POST needs an `Idempotency-Key` header; a retry with the same key and body gets the first answer.
* Errors are `application/problem+json` with the field named in `errors[].field`, in the key's language.
* Times are ISO 8601 with the vendor's offset; yen are integers.
"""


class Renderer(JSONRenderer):
    """UTF-8 as written: Japanese names stay readable in the body."""

    json_dumps_params = {"ensure_ascii": False}


def _build(site: str) -> NinjaAPI:
    api = NinjaAPI(
        title=f"Kyoso API ({site})",
        version="1",
        description=DESCRIPTION,
        urls_namespace=f"api-v1-{site}",
        docs_url=None,  # served by api.docs from our own static files
        openapi_url="/openapi.json",
        renderer=Renderer(),
    )
    errors.install(api)
    for prefix, module in RESOURCES:
        router = getattr(module, site)
        if router is not None:
            api.add_router(prefix, router, url_name_prefix=site)
    return api


console_api = _build("console")
portal_api = _build("portal")


def _answer(view):
    """Around every API view: the key's use goes to the audit log with the status it got, and a wrong
    method (ninja's bare 405) is a problem like every other refusal."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        key = getattr(request, "api_key", None)
        if key is not None:
            audit.record_use(key=key, request=request, status=response.status_code)
        if response.status_code == 405 and response.get("Content-Type", "").split(";")[0] != errors.PROBLEM_TYPE:
            return errors.problem(request, 405, gettext("This method is not allowed here."), code="method_not_allowed",
                                  headers={"Allow": response.get("Allow", "")})
        return response

    return wrapped


def mounted(api: NinjaAPI):
    """`api.urls`, each view tagged for the access walk: the reference and OpenAPI document are public,
    every other operation needs a key (KeyAuth) and refuses sessions."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _answer(pattern.callback)
        pattern.callback.kyoso_access = "api_public" if pattern.name in ("openapi-json", "api-root") else "api"
    return patterns, app_name, namespace


@dataclass(frozen=True)
class OperationInfo:
    path: str  # under /api/v1/, with {name} placeholders
    method: str
    resource: str
    access: str
    idempotent: bool  # wrapped in api.idempotency.idempotent


def operations(api: NinjaAPI) -> list[OperationInfo]:
    """Every operation of `api` with the scope it needs (for the access walk and the key forms)."""
    api.urls  # noqa: B018  (binds the routers)
    found = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for auth in operation.auth_callbacks:
                    for method in operation.methods:
                        found.append(OperationInfo(f"/api/v1{prefix}{path}", method, auth.resource, auth.access,
                                                   getattr(operation.view_func, "kyoso_idempotent", False)))
    return found
