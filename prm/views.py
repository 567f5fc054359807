from __future__ import annotations

import mimetypes

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from prm.accounts.access import console_view
from prm.accounts.adapter import user_may_use_site
from prm.downloads import file_response
from prm.invitations import services as invitation_services
from prm.invitations.forms import InvitationAcceptForm


@console_view
@require_GET
def figures_help(request: HttpRequest) -> HttpResponse:
    """Every figure shown in the console, with its definition and windows (prm.figures)."""
    from prm import figures

    return render(request, "figures/console.html", {"rows": figures.help_rows("console")})


@require_GET
def platform_home(request: HttpRequest) -> HttpResponse:
    return render(request, "public/home.html")


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Anyone holding a valid link may open it; it creates the account and signs in."""
    try:
        invitation = invitation_services.invitation_for_token(token)
    except ValidationError as error:
        return render(request, "invitations/invalid.html", {"reason": error.messages[0]}, status=410)
    if not user_may_use_site_role(invitation.role, request.site_kind):
        return render(request, "invitations/invalid.html",
                      {"reason": _("This invitation link is not valid. Ask for a new invitation.")}, status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_services.invitation_accept(
                token=token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome, %(name)s.") % {"name": user.full_name})
            return redirect("home")
    return render(request, "invitations/accept.html", {"invitation": invitation, "form": form})


def user_may_use_site_role(role: str, site_kind: str | None) -> bool:
    from prm.accounts.models import User

    return user_may_use_site(User(role=role, is_active=True), site_kind)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, also remembered on the signed-in user's account."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES) and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    return response


@require_GET
@cache_control(no_store=True)
def healthz(request: HttpRequest) -> JsonResponse:
    """The database, Redis and the Celery broker: 200 when all answer, 503 naming the one that did not.

    prm.health.HealthCheckMiddleware serves it for every Host, before the tenant is looked up.
    """
    from prm.health import run_checks

    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@require_GET
@cache_control(max_age=300)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The vendor's colour as CSS variables, so pages need no inline style under the CSP."""
    colour = getattr(request.tenant, "brand_colour", "#1f6feb")
    body = loader.render_to_string("portal/brand.css", {"colour": colour})
    return HttpResponse(body, content_type="text/css; charset=utf-8")


@require_safe
@cache_control(max_age=300)
def brand_logo(request: HttpRequest) -> HttpResponse:
    """The vendor's logo for the portal header (uploaded in the platform or tenant admin)."""
    logo = getattr(request.tenant, "logo", None)
    if not logo:
        raise Http404
    content_type = mimetypes.guess_type(logo.name)[0] or "application/octet-stream"
    if not content_type.startswith("image/"):
        raise Http404
    return file_response(request, logo, as_attachment=False, content_type=content_type, private=False)


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """A parameter the page cannot use (prm.params.BadParameter names it); other 400s get the generic text."""
    from prm.params import BadParameter

    reason = str(exception) if isinstance(exception, BadParameter) else ""
    return render(request, "errors/400.html", {"reason": reason}, status=400)


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    """A service's reason (e.g. "for partners of a higher tier") is shown; a bare refusal gets the generic text."""
    reason = str(exception) if exception is not None and exception.args else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    try:
        return render(request, "errors/404.html", status=404)
    except DatabaseError:
        # The site's layout needs the session and the vendor; the plain page needs neither.
        return HttpResponse(loader.render_to_string("errors/404.html", {"site_layout": "errors/base_plain.html"}),
                            status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Static, bilingual, no context: it must render while the database is the problem."""
    return HttpResponse(loader.render_to_string("errors/500.html"), status=500)
