"""Console: a partner's QBR pack as a PDF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from partners import qbr
from partners.views.common import get_partner
from prm.accounts.access import console_view

LANGUAGES = ("ja", "en")


@console_view
@require_GET
def partner_qbr(request: HttpRequest, pk: int) -> HttpResponse:
    """`?lang=ja|en` (Japanese otherwise); `?period=quarter:2026-2` or any past period, the last quarter by default."""
    partner = get_partner(pk)
    language = request.GET.get("lang") if request.GET.get("lang") in LANGUAGES else "ja"
    try:
        period = qbr.period_for(request.GET.get("period"), timezone.localdate())
    except ValueError:
        return HttpResponseBadRequest(_("Choose a period that has started, such as quarter:2026-1, month:2026-05 "
                                        "or year:2026."), content_type="text/plain; charset=utf-8")
    response = HttpResponse(qbr.render_pdf(partner, period=period, language=language), content_type="application/pdf")
    filename = f"qbr-{partner.pk}-{period.key.replace(':', '-')}-{language}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
