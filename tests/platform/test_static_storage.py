"""The production static storage keeps each file's address once asked: the same addresses as whitenoise's
manifest storage it extends, a name missing from the manifest still an error, and DEBUG's unhashed names."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from whitenoise.storage import CompressedManifestStaticFilesStorage

from prm.staticfiles import ManifestStaticFilesStorage

NAMES = ["css/kyoso.css", "vendor/htmx/htmx.min.js", "img/favicon.svg", "css/kyoso.css?v=1#top", "img/a b.svg", "fonts/"]


@pytest.fixture
def root(tmp_path):
    (tmp_path / "staticfiles.json").write_text(json.dumps({"version": "1.1", "hash": "x", "paths": {
        "css/kyoso.css": "css/kyoso.0123abcd.css", "vendor/htmx/htmx.min.js": "vendor/htmx/htmx.min.89ab.js",
        "img/favicon.svg": "img/favicon.cdef.svg", "img/a b.svg": "img/a b.4567.svg"}}))
    return tmp_path


def _both(root):
    return (ManifestStaticFilesStorage(location=str(root), base_url="/static/"),
            CompressedManifestStaticFilesStorage(location=str(root), base_url="/static/"))


@override_settings(DEBUG=False)
def test_it_answers_the_manifest_storages_addresses_each_time(root):
    kept, plain = _both(root)
    for _ in range(2):
        assert [kept.url(name) for name in NAMES] == [plain.url(name) for name in NAMES]
    assert kept.url("css/kyoso.css") == "/static/css/kyoso.0123abcd.css"
    assert kept.url("css/kyoso.css", force=True) == plain.url("css/kyoso.css", force=True)


@override_settings(DEBUG=False)
def test_a_file_missing_from_the_manifest_is_an_error_each_time(root):
    kept, plain = _both(root)
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            kept.url("css/missing.css")
    with pytest.raises(ValueError):
        plain.url("css/missing.css")


def test_debug_answers_unhashed_names_even_after_hashed_ones(root):
    kept, plain = _both(root)
    with override_settings(DEBUG=False):
        hashed = kept.url("css/kyoso.css")
    with override_settings(DEBUG=True):
        assert kept.url("css/kyoso.css") == plain.url("css/kyoso.css") == "/static/css/kyoso.css" != hashed
