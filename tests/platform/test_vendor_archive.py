"""export_vendor → import_vendor gives the same vendor back: every table's row count, the files, working sequences."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django_tenants.utils import schema_context, tenant_context

from partners import selectors
from partners.models import Contact, Partner, Stage
from prm.tenancy.archive import ArchiveError, _media_names, import_vendor, row_counts
from prm.tenancy.models import Domain, Vendor
from prm.tenancy.services import vendor_create
from tests.enablement.factories import ContentItemFactory, CourseFactory, ModuleFactory
from tests.factories import PartnerFactory
from tests.partners.factories import ContactFactory


def _gone(slug: str) -> bool:
    with schema_context("public"):
        return not Vendor.objects.filter(slug=slug).exists()


@pytest.fixture
def source(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        vendor = vendor_create(slug="archsrc", name="アーカイブ元株式会社", admin_email="admin@archsrc.example",
                               admin_password="archive-password-1").vendor
        with tenant_context(vendor):
            partners = [PartnerFactory(name=f"保存商事{n}", stage=stage)
                        for n, stage in enumerate(["prospect", "activation", "activation"])]
            for partner in partners:
                ContactFactory(partner=partner)
            ContentItemFactory(title="標準提案書")  # with a PDF version
            module = ModuleFactory(course=CourseFactory(title="動画講座"))
            module.video_file.save("intro.mp4", ContentFile(b"\x00\x00\x00\x18ftypmp42video"), save=True)
        connection.set_schema_to_public()
        try:
            yield vendor
        finally:
            for slug in ("archsrc", "archdst"):
                with schema_context("public"):
                    leftover = Vendor.objects.filter(slug=slug).first()
                if leftover is not None:
                    call_command("delete_vendor", slug, "--yes", stdout=io.StringIO())
            connection.set_schema_to_public()


def test_a_vendor_survives_export_and_import_under_a_new_slug(source, tmp_path, django_db_blocker, monkeypatch):
    archive = tmp_path / "archsrc.tar.gz"
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command("export_vendor", "archsrc", "--out", str(archive), stdout=out)
        assert "archsrc:" in out.getvalue() and archive.stat().st_size > 0

        out = io.StringIO()
        call_command("import_vendor", str(archive), "--slug", "archdst", stdout=out)
        assert "Every table's row count matches the archive." in out.getvalue()

        with schema_context("public"):
            restored = Vendor.objects.get(slug="archdst")
            assert restored.name == "アーカイブ元株式会社" and restored.schema_name == "v_archdst"
            assert set(Domain.objects.filter(tenant=restored).values_list("domain", flat=True)) == {
                "archdst.localhost", "partners.archdst.localhost"}
        before, after = row_counts("v_archsrc"), row_counts("v_archdst")
        assert before == after and before["partners_partner"] == 3 and before["accounts_user"] == 1
        # The counts the database keeps are not archived: loading the partners counted them again, once.
        assert "partners_stagecount" not in before
        with tenant_context(source):
            files = {name: default_storage.open(name).read() for name in _media_names()}
        with tenant_context(restored):
            assert {name: default_storage.open(name).read() for name in _media_names()} == files
            assert any(name.endswith(".mp4") for name in files) and any(name.endswith(".pdf") for name in files)
            assert sorted(Partner.objects.values_list("name", flat=True)) == ["保存商事0", "保存商事1", "保存商事2"]
            assert Contact.objects.count() == 3
            assert selectors.stage_counts() == {**dict.fromkeys(Stage.values, 0), "prospect": 1, "activation": 2}
            newest = Partner.objects.create(name="復元後の新規", partner_type="resale", stage="prospect")
            assert selectors.stage_counts()["prospect"] == 2
            assert newest.pk > max(Partner.objects.exclude(pk=newest.pk).values_list("pk", flat=True))
        connection.set_schema_to_public()

        with pytest.raises(ArchiveError, match="exists"):
            import_vendor(archive, slug="archdst")
        assert row_counts("v_archdst")["partners_partner"] == 4  # untouched by the refusal

        monkeypatch.setattr("builtins.input", lambda prompt="": "wrong")
        with pytest.raises(CommandError, match="Not confirmed"):
            call_command("delete_vendor", "archdst", stdout=io.StringIO())
        assert not _gone("archdst")
        monkeypatch.setattr("builtins.input", lambda prompt="": "archdst")
        call_command("delete_vendor", "archdst", stdout=io.StringIO())
        assert _gone("archdst")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'v_archdst'")
            assert cursor.fetchone()[0] == 0

        # The same slug again, replacing what is there: the archive's state comes back.
        restored = import_vendor(archive, replace=True)
        assert restored.mismatched == [] and restored.vendor.slug == "archsrc"
        assert row_counts("v_archsrc") == before
        with tenant_context(restored.vendor):
            assert selectors.stage_counts() == {**dict.fromkeys(Stage.values, 0), "prospect": 1, "activation": 2}
        connection.set_schema_to_public()


def test_it_refuses_an_archive_that_is_not_one(tmp_path, db):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="not a vendor archive"):
        call_command("import_vendor", str(bogus), "--slug", "nothere", stdout=io.StringIO())
    with pytest.raises(CommandError, match="No vendor"):
        call_command("export_vendor", "nothere", "--out", str(tmp_path / "x.tar.gz"), stdout=io.StringIO())
