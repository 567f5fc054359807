"""The CSV import's apply runs on a worker; the page follows it with a progress bar."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse
from django_tenants.utils import schema_context, tenant_context

from partners import csv_io
from partners.models import ImportBatch, Partner, PartnerEvent
from tests.partners.test_csv_io import PARTNER_HEADER, batch_for, broken, csv_text, good_rows, number


def test_apply_is_queued_and_the_page_follows_it_to_the_result(people_a):
    with tenant_context(people_a.tenant):
        batch = batch_for(csv_text(PARTNER_HEADER, *good_rows(3, start=9100)), people_a.channel_manager)
        before = Partner.objects.count()
    client = people_a.console(people_a.channel_manager)
    preview_url = reverse("partner_import_preview", args=[batch.pk])

    response = client.post(reverse("partner_import_apply", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"] == preview_url
    with tenant_context(people_a.tenant):
        batch.refresh_from_db()
        assert (batch.status, batch.applied_by) == (ImportBatch.Status.QUEUED, people_a.channel_manager)
        assert Partner.objects.count() == before  # nothing written by the request itself

    page = client.get(preview_url).content.decode()
    assert f'hx-get="{preview_url}"' in page and "kyoso-progress" in page
    assert reverse("partner_import_apply", args=[batch.pk]) not in page  # no second apply button
    partial = client.get(preview_url, HTTP_HX_REQUEST="true")
    assert "HX-Refresh" not in partial and "<html" not in partial.content.decode()

    again = client.post(reverse("partner_import_apply", args=[batch.pk]), follow=True)
    assert "already applied or discarded" in again.content.decode() or "既に" in again.content.decode()

    with tenant_context(people_a.tenant):
        done = csv_io.import_run(batch.pk)  # what the worker's task runs
        assert done.status == ImportBatch.Status.APPLIED and done.result["create"] == 3
        assert Partner.objects.count() == before + 3
        assert csv_io.import_run(batch.pk).result == done.result  # a second delivery adds nothing
        assert Partner.objects.count() == before + 3

    finished = client.get(preview_url, HTTP_HX_REQUEST="true")
    assert finished["HX-Refresh"] == "true"
    page = client.get(preview_url).content.decode()
    assert 'hx-trigger="every' not in page and reverse("partner_list") in page


def test_a_file_that_fails_in_the_worker_writes_nothing_and_says_why(people_a):
    rows = good_rows(3, start=9200)
    rows[1][4] = broken(number(9201))
    with tenant_context(people_a.tenant):
        batch = batch_for(csv_text(PARTNER_HEADER, *rows), people_a.channel_manager)
        before = (Partner.objects.count(), PartnerEvent.objects.count())
        csv_io.apply_queue(batch, people_a.channel_manager)
        failed = csv_io.import_run(batch.pk)
        assert failed.status == ImportBatch.Status.FAILED
        assert "corporate_number" in failed.error and "3" in failed.error
        assert (Partner.objects.count(), PartnerEvent.objects.count()) == before
    page = people_a.console(people_a.channel_manager).get(
        reverse("partner_import_preview", args=[batch.pk])).content.decode()
    assert "alert-danger" in page and "corporate_number" in page and 'hx-trigger="every' not in page


def test_a_discarded_or_applied_file_cannot_be_queued(people_a):
    with tenant_context(people_a.tenant):
        batch = batch_for(csv_text(PARTNER_HEADER, *good_rows(1, start=9300)), people_a.channel_manager)
        csv_io.discard(batch, people_a.channel_manager)
        with pytest.raises(Exception) as caught:
            csv_io.apply_queue(batch, people_a.channel_manager)
        assert caught.value.code == "status"
        assert csv_io.import_run(batch.pk).status == ImportBatch.Status.DISCARDED


@pytest.mark.worker
def test_a_real_worker_applies_the_import_in_the_senders_tenant(celery_worker, django_db_blocker):
    from partners.tasks import import_apply
    from prm.tenancy.models import Vendor

    with django_db_blocker.unblock():
        with schema_context("public"):
            vendor = Vendor.objects.get(slug="bravo")
        with tenant_context(vendor):
            batch = batch_for(csv_text(PARTNER_HEADER, *good_rows(250, start=9400)), None)
            before = Partner.objects.count()
            try:
                csv_io.apply_queue(batch, None)
                result = import_apply.apply_async(kwargs={"schema_name": vendor.schema_name, "batch_id": batch.pk},
                                                  headers={"_schema_name": vendor.schema_name}, queue=celery_worker)
                assert result.get(timeout=120) == {
                    "status": "applied", "result": {"rows": 250, "create": 250, "update": 0, "unchanged": 0}}
                batch.refresh_from_db()
                assert batch.status == ImportBatch.Status.APPLIED
                assert Partner.objects.count() == before + 250
                assert csv_io.import_progress(batch) == (0, 0)  # the figures are cleared when done
            finally:
                imported = Partner.objects.filter(corporate_number__in=[number(9400 + i) for i in range(250)])
                PartnerEvent.objects.filter(partner__in=imported).delete()
                imported.delete()
                ImportBatch.objects.filter(pk=batch.pk).delete()
        connection.set_schema_to_public()
