"""Paths of many objects of one view, reversed once: a page listing rows with a link each (the partner list, a
timeline) would otherwise reverse the same URL pattern for every row."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language

_PK_MARK = 987654321  # reversed once; each object's pk takes its place in the path


def path_of_each(view_name: str, *args: object) -> Callable[[int | str], str]:
    """A function giving `reverse(view_name, args=[*args, pk])` of a pk (or of a key that needs no quoting, a slug), for
    a view whose last argument is it
    (`args` the same for all: the partner of its contacts). It reverses on its first use: a panel whose list is
    empty reverses nothing."""
    parts: list[str] = []

    def path(pk: int | str) -> str:
        if not parts:
            parts.extend(reverse(view_name, args=[*args, _PK_MARK]).split(str(_PK_MARK), 1))
        return f"{parts[0]}{pk}{parts[1]}"

    return path


_KEPT_LIMIT = 4096  # addresses kept per process; past this the memory starts over
_kept: dict[tuple, str] = {}


def reverse_kept(view_name: str, args: list, kwargs: dict, current_app: str | None) -> str:
    """`reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)`, kept once reversed when every
    argument is a str or an int: the layouts' menus and buttons reverse the same few dozen addresses on every page.

    What else decides an address is part of the key: the request's URL conf (console and portal differ), the
    settings' one, the script prefix and the active language. An address that does not reverse raises each
    time and is not kept; an argument of another type (a model, a bool) is reversed every time."""
    values = (*args, *kwargs.values())
    if not all(type(value) is int or isinstance(value, str) for value in values):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    key = (get_urlconf(), settings.ROOT_URLCONF, get_script_prefix(), get_language(), current_app, view_name,
           tuple(args), tuple(sorted(kwargs.items())))
    found = _kept.get(key)
    if found is None:
        found = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
        if len(_kept) >= _KEPT_LIMIT:
            _kept.clear()
        _kept[key] = found
    return found
