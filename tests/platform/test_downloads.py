"""Stored files go out through prm.downloads: access check first, then Range/HEAD or a presigned redirect."""

from __future__ import annotations

import http.client
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.files.base import ContentFile
from django.core.wsgi import get_wsgi_application
from django.db import connection
from django.urls import reverse
from django_tenants.utils import schema_context, tenant_context

from prm.downloads import Unsatisfiable, parse_range
from tests.enablement.factories import ContentItemFactory, CourseFactory, ModuleFactory

VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8  # 2,060 bytes
SIZE = len(VIDEO)


def test_it_reads_one_byte_range_and_refuses_what_cannot_be_served():
    assert parse_range("bytes=0-9", 100) == (0, 9)
    assert parse_range("bytes=90-", 100) == (90, 99)
    assert parse_range("bytes=-5", 100) == (95, 99)
    assert parse_range("bytes=-500", 100) == (0, 99)
    assert parse_range("bytes=50-5000", 100) == (50, 99)
    assert parse_range("", 100) is None
    assert parse_range("items=0-9", 100) is None  # another unit: the whole file
    assert parse_range("bytes=0-9,20-29", 100) is None  # several ranges: the whole file
    for bad in ("bytes=100-", "bytes=9-0", "bytes=-0", "bytes=abc", "bytes=-", "bytes=²-9", "bytes=0-9\x00",
                "bytes=" + "9" * 30 + "-", "bytes=-1-2"):
        with pytest.raises(Unsatisfiable):
            parse_range(bad, 100)
    with pytest.raises(Unsatisfiable):
        parse_range("bytes=-5", 0)


@pytest.fixture
def video(people_a):
    with tenant_context(people_a.tenant):
        module = ModuleFactory(course=CourseFactory(title="動画講座"))
        module.video_file.save("intro.mp4", ContentFile(VIDEO), save=True)
    return module


def test_a_portal_video_seeks_with_range_requests(people_a, video):
    client = people_a.portal(people_a.partner_rep)
    url = f"/learning/modules/{video.pk}/video/"

    whole = client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    assert b"".join(whole.streaming_content) == VIDEO

    first = client.get(url, HTTP_RANGE="bytes=0-9")
    assert first.status_code == 206
    assert first["Content-Range"] == f"bytes 0-9/{SIZE}" and first["Content-Length"] == "10"
    assert b"".join(first.streaming_content) == VIDEO[:10]
    assert first["Content-Type"] == "video/mp4" and "private" in first["Cache-Control"]

    tail = client.get(url, HTTP_RANGE="bytes=-100")
    assert tail.status_code == 206 and tail["Content-Range"] == f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}"
    assert b"".join(tail.streaming_content) == VIDEO[-100:]

    middle = client.get(url, HTTP_RANGE="bytes=1000-")
    assert b"".join(middle.streaming_content) == VIDEO[1000:]

    for bad in (f"bytes={SIZE}-", "bytes=20-10", "bytes=x-y"):
        refused = client.get(url, HTTP_RANGE=bad)
        assert refused.status_code == 416 and refused["Content-Range"] == f"bytes */{SIZE}", bad

    head = client.head(url)
    assert head.status_code == 200 and head["Content-Length"] == str(SIZE) and head.content == b""
    head_range = client.head(url, HTTP_RANGE="bytes=0-9")
    assert head_range.status_code == 206 and head_range["Content-Length"] == "10" and head_range.content == b""


def test_the_access_check_comes_before_any_byte(people_a, people_b, video):
    with tenant_context(people_a.tenant):
        gated = ModuleFactory(course=CourseFactory(title="ゴールド限定", min_tier_rank=3))
        gated.video_file.save("gold.mp4", ContentFile(VIDEO), save=True)
    rep = people_a.portal(people_a.partner_rep)
    for method in (rep.get, rep.head):
        assert method(f"/learning/modules/{gated.pk}/video/", HTTP_RANGE="bytes=0-9").status_code == 403
    anonymous = people_a.portal().get(f"/learning/modules/{video.pk}/video/", HTTP_RANGE="bytes=0-9")
    assert anonymous.status_code == 302 and "Content-Range" not in anonymous
    # Another vendor's rep on the other vendor's site: not their module.
    assert people_b.portal(people_b.partner_rep).get(f"/learning/modules/{video.pk}/video/").status_code == 404
    # Partner users never reach the console's copy.
    console_url = reverse("enablement_module_file", args=[video.pk, "video"])
    console = people_a.console(people_a.partner_rep).get(console_url, HTTP_RANGE="bytes=0-9")
    assert console.status_code in (302, 403)
    staff = people_a.console(people_a.channel_manager)
    checked = staff.get(console_url, HTTP_RANGE="bytes=2-3")
    assert checked.status_code == 206 and b"".join(checked.streaming_content) == VIDEO[2:4]


def test_a_library_download_answers_head_and_range_and_still_records_the_download(people_a):
    from enablement.models import ContentAccess

    with tenant_context(people_a.tenant):
        item = ContentItemFactory(title="標準提案書")
    client = people_a.portal(people_a.partner_rep)
    part = client.get(f"/library/{item.pk}/download/", HTTP_RANGE="bytes=0-3")
    assert part.status_code == 206 and b"".join(part.streaming_content) == b"%PDF"
    assert 'attachment; filename="proposal' in part["Content-Disposition"]
    with tenant_context(people_a.tenant):
        assert ContentAccess.objects.filter(item=item, action="download").count() == 1


@pytest.fixture
def served(django_db_setup, django_db_blocker):
    """The real WSGI application behind a real socket, and a vendor whose logo is committed."""
    from prm.tenancy.models import Vendor

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    with django_db_blocker.unblock():  # the server thread works on committed data, as in production
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
            vendor.logo.save("bravo-range.png", ContentFile(b"\x89PNG" + bytes(range(256))), save=True)
        thread.start()
        try:
            yield server.server_address[1], vendor
        finally:
            server.shutdown()
            server.server_close()
            with schema_context("public"):
                vendor.logo.delete(save=True)
            connection.set_schema_to_public()


def test_range_and_head_over_a_real_socket(served):
    port, vendor = served
    host = vendor.domain_for("portal").domain
    body = b"\x89PNG" + bytes(range(256))

    def ask(method: str, headers: dict) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request(method, "/brand/logo", headers={"Host": host, **headers})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    status, headers, data = ask("GET", {"Range": "bytes=0-9"})
    assert (status, headers["content-range"], data) == (206, f"bytes 0-9/{len(body)}", body[:10])
    status, headers, data = ask("GET", {"Range": "bytes=-6"})
    assert (status, data) == (206, body[-6:])
    status, headers, data = ask("HEAD", {})
    assert (status, headers["content-length"], data) == (200, str(len(body)), b"")
    status, headers, data = ask("GET", {"Range": "bytes=999-"})
    assert (status, headers["content-range"]) == (416, f"bytes */{len(body)}")
    status, headers, data = ask("GET", {})
    assert (status, data, headers["accept-ranges"]) == (200, body, "bytes")


def test_s3_downloads_are_presigned_redirects_under_the_vendors_prefix(people_a, settings):
    pytest.importorskip("storages.backends.s3", reason="django-storages[s3] is installed with the next lock")
    from prm.downloads import file_response
    from prm.storage_s3 import VendorS3Storage

    storage = VendorS3Storage(bucket_name="kyoso-media", access_key="AKIAEXAMPLE", secret_key="secret-example",
                              region_name="ap-northeast-1", signature_version="s3v4", querystring_auth=True,
                              file_overwrite=False)
    with tenant_context(people_a.tenant):
        assert storage._normalize_name("enablement/videos/intro.mp4") == (
            f"{people_a.tenant.schema_name}/enablement/videos/intro.mp4")
        url = storage.download_url("enablement/videos/intro.mp4", filename="intro.mp4", as_attachment=False,
                                   content_type="video/mp4", expire=120)
    with tenant_context(people_b_tenant := people_a.tenant.__class__.objects.get(slug="bravo")):
        other = storage._normalize_name("enablement/videos/intro.mp4")
    assert other.startswith(f"{people_b_tenant.schema_name}/")
    assert f"/{people_a.tenant.schema_name}/enablement/videos/intro.mp4?" in url
    assert "X-Amz-Expires=120" in url and "X-Amz-Signature=" in url
    assert "response-content-type=video%2Fmp4" in url

    class Stored:
        name = "enablement/videos/intro.mp4"

        def __init__(self):
            self.storage = storage

        def __bool__(self):
            return True

    from django.test import RequestFactory

    settings.KYOSO_DOWNLOAD_URL_SECONDS = 60
    with tenant_context(people_a.tenant):
        response = file_response(RequestFactory().get("/x", HTTP_RANGE="bytes=0-9"), Stored(), as_attachment=True)
    assert response.status_code == 302 and "X-Amz-Expires=60" in response["Location"]
    assert "attachment" in response["Location"] and response["Cache-Control"] == "private, no-store"
