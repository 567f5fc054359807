"""Portal: a certificate as PDF for its holder (or their partner admin), and the public verification page."""

from __future__ import annotations

import re

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from enablement import certificates, selectors
from enablement.models import CertificationAward
from portal.access import or_404, portal_view
from prm import ratelimits

VERIFY_RATE_LIMIT = 30  # look-ups per address per hour: plenty for people, far too few to enumerate codes
CODE_PATTERN = re.compile(r"^[0-9A-F]{12}$")


def normalise_code(raw: str) -> str:
    """What people type from paper: lower case, spaces and hyphens are all fine."""
    return re.sub(r"[^0-9A-Za-z]", "", raw or "").upper()


class VerifyForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Verification code"), max_length=40,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false",
                                                         "placeholder": "1A2B3C4D5E6F"}))

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not CODE_PATTERN.match(code):
            raise forms.ValidationError(_("Enter the 12-character code printed on the certificate."))
        return code


def _award_for(request: HttpRequest, pk: int) -> CertificationAward:
    """A rep sees their own awards; a partner admin any award of their company."""
    holder = None if request.user.is_partner_admin else request.user
    return or_404(selectors.certification_award_for(pk, partner=request.partner, holder=holder))


@portal_view
@require_GET
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    award = _award_for(request, pk)
    language = request.GET.get("lang") or request.user.language or "ja"
    if language not in certificates.LANGUAGES:
        language = "ja"
    response = HttpResponse(certificates.render_pdf(award, language=language), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{certificates.filename(award, language)}"'
    return response


def _over_rate_limit(request: HttpRequest) -> bool:
    return not ratelimits.hit("certificate-verify", ratelimits.client_ip(request), limit=VERIFY_RATE_LIMIT, window=60 * 60)


@require_GET
def verify(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Public: anyone holding a certificate's code can check it, without signing in."""
    if code is None:
        form = VerifyForm(request.GET if "code" in request.GET else None)
        if form.is_valid():
            return redirect("portal_verify_code", code=form.cleaned_data["code"])
        return render(request, "portal/verify.html", {"form": form, "state": "form"})
    form = VerifyForm(initial={"code": code})
    if _over_rate_limit(request):
        return render(request, "portal/verify.html", {"form": form, "state": "limited"}, status=429)
    code = normalise_code(code)
    award = certificates.award_by_code(code) if CODE_PATTERN.match(code) else None
    if award is None:
        return render(request, "portal/verify.html", {"form": form, "state": "unknown", "code": code}, status=404)
    state = "valid" if award.is_valid else "expired"
    return render(request, "portal/verify.html", {"form": form, "state": state, "award": award,
                                                  "holder": certificates.public_holder_name(award)})

