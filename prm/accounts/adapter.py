from __future__ import annotations

from dataclasses import dataclass

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from prm.accounts.signals import portal_signed_in
from prm.tenancy.models import Domain


def user_may_use_site(user, site_kind: str | None) -> bool:
    if not user.is_active:
        return False
    if site_kind == Domain.Kind.CONSOLE:
        return user.is_vendor_staff
    if site_kind == Domain.Kind.PORTAL:
        return user.is_partner_user
    if site_kind == Domain.Kind.PLATFORM:
        return user.is_superuser and not user.role
    return False


class AccountAdapter(DefaultAccountAdapter):
    """Kyoso is invitation-only, and each account signs in on its own site."""

    def is_open_for_signup(self, request) -> bool:
        return False

    def pre_login(self, request, user, **kwargs):
        site_kind = getattr(request, "site_kind", None)
        if not user_may_use_site(user, site_kind):
            if site_kind == Domain.Kind.CONSOLE and user.is_partner_user:
                message = _("This account belongs to a partner. Please sign in at the partner portal.")
            elif site_kind == Domain.Kind.PORTAL and user.is_vendor_staff:
                message = _("This is a vendor staff account. Please sign in at the vendor console.")
            else:
                message = _("This account cannot sign in here.")
            messages.error(request, message)
            return redirect(settings.LOGIN_URL)
        return super().pre_login(request, user, **kwargs)

    def post_login(self, request, user, **kwargs):
        response = super().post_login(request, user, **kwargs)
        if getattr(request, "site_kind", None) == Domain.Kind.PORTAL:
            portal_signed_in.send(sender=type(user), user=user)
        return response

    def get_client_ip(self, request) -> str:
        """allauth's rate limits key on the same client address as Kyoso's own limits."""
        from prm.ratelimits import client_ip

        return client_ip(request)

    def get_from_email(self) -> str:
        return settings.DEFAULT_FROM_EMAIL

    def send_mail(self, template_prefix, email, context):
        """allauth's e-mails go out like every other: through prm.mail, by the e-mail task, after commit.

        allauth's own templates give the subject and the text (with absolute links built from the
        request's host, i.e. the site the person uses); they are rendered in the recipient's language,
        greet with the vendor's name rather than the bare host name, and are wrapped in the one mail
        template (mail/account.html) for the HTML and text parts.
        """
        from django.contrib.sites.shortcuts import get_current_site
        from django.template.loader import render_to_string
        from django.utils import translation

        from prm.accounts.models import User
        from prm.mail import current_vendor, send_email

        request = context.get("request") or getattr(self, "request", None)
        vendor = current_vendor()
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        if vendor is not None and request is not None:
            context["current_site"] = VendorSite(name=vendor.name, domain=request.get_host())
        account = User.objects.filter(email__iexact=email).only("language").first()
        language = (account.language if account is not None else None) or translation.get_language()
        with translation.override(language):
            subject = " ".join(render_to_string(f"{template_prefix}_subject.txt", context, request).split())
            message = render_to_string(f"{template_prefix}_message.txt", context, request).strip()
        send_email(email, "mail/account.html", {"subject": subject, "message": message}, language, vendor=vendor)


@dataclass(frozen=True)
class VendorSite:
    name: str
    domain: str
