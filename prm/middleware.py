from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy header (Django 5.2 has none built in)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        # The Django admin's own pages use inline scripts and styles.
        if not request.path_info.startswith("/admin/"):
            response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


class LanguageMiddleware:
    """The language the person chose on this browser (the switch's cookie), else their account's (the
    switch stores it there too, so it follows them to a new browser and into their e-mails), else — for
    someone not signed in — the browser's Accept-Language, else Japanese.

    Placed after the authentication middleware, which it needs for the account.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = dict(settings.LANGUAGES)

    def chosen(self, request) -> str:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language in self.available:
            return language
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return user.language if user.language in self.available else settings.LANGUAGE_CODE
        return translation.get_language_from_request(request)

    def __call__(self, request):
        language = self.chosen(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class RefuseNulBytesMiddleware:
    """A NUL byte in any GET or POST parameter, its name or an uploaded file's name is a 400 naming
    the parameter: PostgreSQL cannot store it, and no person types one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from prm.params import BadParameter, first_nul_parameter
        from prm.views import bad_request

        name = first_nul_parameter(request)
        if name is not None:
            return bad_request(request, BadParameter(name, _("it contains a NUL byte.")))
        return None
