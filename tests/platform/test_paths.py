"""prm.paths.path_of_each reverses a view once for many objects: the paths must be reverse's, for any pk."""

from __future__ import annotations

from django.urls import reverse, set_urlconf

from prm.paths import path_of_each


def test_each_path_is_the_one_reverse_gives():
    set_urlconf("prm.urls_console")
    try:
        for view in ("partner_detail", "deal_detail"):
            path = path_of_each(view)
            for pk in (1, 9, 10, 987654321, 2**31 - 1):
                assert path(pk) == reverse(view, args=[pk])
    finally:
        set_urlconf(None)
