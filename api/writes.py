"""PUT writes in the audit log, as POSTs are (api.idempotency records those): a PUT is idempotent by itself
and needs no Idempotency-Key, but what a key changed must still be in the ledger with the answer's status."""

from __future__ import annotations

import functools
import inspect

from django.http import HttpRequest

from api.errors import ApiError
from incentives import audit


def _record(request: HttpRequest, status: int) -> None:
    key = request.api_key
    audit.record(actor=key.created_by, action="api_key_wrote", obj=key, key=key.prefix, name=key.name,
                 request=f"{request.method} {request.get_full_path()[:300]}", status=status)


def audited(view):
    """Wrap a PUT endpoint that returns an HttpResponse: every outcome is one 'api_key_wrote' entry."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except ApiError as error:
            _record(request, error.status)
            raise
        except Exception:
            _record(request, 422)
            raise
        _record(request, response.status_code)
        return response

    wrapper.__signature__ = inspect.signature(view, eval_str=True)
    return wrapper
