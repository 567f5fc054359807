"""{% figure "won_revenue" value window partner.pk %}: a catalogued figure (prm.figures) with its meaning.

Renders the number with its definition and window as the `title`, a footnote marker linking to the
site's help page of figures (visible and reachable by keyboard; no script or inline style, so the
Content-Security-Policy holds), and machine-readable attributes: data-figure, data-window,
data-partner, data-value. The consistency test reads those attributes on every screen.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from prm import figures
from prm.formatting import format_number, format_yen

register = template.Library()


def describe(figure: figures.Figure, window: figures.Window | None) -> str:
    text = f"{figure.label}: {figure.definition}"
    if window is not None:
        text += " " + gettext("Window: %(window)s.") % {"window": window.label}
    return text


_HELP_URLS: dict[tuple[str, str], str | None] = {}  # by URL conf (console or portal) and script prefix


def _help_url() -> str | None:
    """The help page of the site rendering (each has its own), reversed once per URL conf and prefix: a page
    shows many figures."""
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix())
    if key not in _HELP_URLS:
        try:
            _HELP_URLS[key] = reverse("figures_help")
        except NoReverseMatch:  # a PDF rendered outside a request of either site
            _HELP_URLS[key] = None
    return _HELP_URLS[key]


@register.simple_tag
def figure(key: str, value, window: figures.Window | None = None, partner=None, note: bool = True):
    entry = figures.get(key)
    if entry.ratio:
        shown = "—" if value is None else f"{value}×"
    else:
        shown = format_yen(value) if entry.money else format_number(value)
    description = describe(entry, window)
    url = _help_url() if note else None
    marker = ""
    if url:
        marker = format_html('<a class="kyoso-figure-note" href="{}#figure-{}" title="{}" aria-label="{}">*</a>',
                             url, key, description, gettext("Definition of %(figure)s") % {"figure": entry.label})
    return format_html(
        '<span class="kyoso-figure" data-figure="{}" data-window="{}" data-partner="{}" data-value="{}" '
        'title="{}">{}</span>{}',
        key, window.key if window is not None else "", "" if partner is None else partner,
        "" if value is None else (value if entry.ratio else int(value)), description, shown, marker,
    )


@register.simple_tag
def figure_window(key: str, window: figures.Window | None = None) -> str:
    """The window's label alone, for a column heading or a caption."""
    return window.label if window is not None else ""
