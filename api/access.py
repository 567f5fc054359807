"""What a key may see: one question, one function (the API's `_get_check_for_user`)."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path

from api.errors import ApiError
from prm.params import MAX_ID

# A record id in a URL: bounded, so a huge number is a 422 naming the field and never a database error.
RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]


def own_partner(request: HttpRequest) -> int | None:
    """None for a vendor key (the whole vendor); the key's partner's id for a partner key."""
    return request.auth.partner_id


def not_found() -> ApiError:
    """The same answer for 'does not exist' and 'not yours', so ids of others cannot be probed."""
    return ApiError(404, _("Not found."), code="not_found")
