"""Paths of many objects of one view, reversed once: a page listing rows with a link each (the partner list, a
timeline) would otherwise reverse the same URL pattern for every row."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

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
