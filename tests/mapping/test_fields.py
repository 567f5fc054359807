"""Industry (JSIC), employee band and prefecture: parsing, forms, and the recompute task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals import segments
from deals.models import DealRegistration, DirectAccount
from mapping import tasks
from mapping.models import OverlapSnapshot
from tests.mapping.factories import direct_account, upload_list


@pytest.mark.parametrize(("raw", "code"), [
    ("E", "E"), ("e", "E"), ("製造業", "E"), ("E 製造業", "E"), ("情報通信業", "G"), ("Ｇ", "G"),
    ("Manufacturing", "E"), ("", ""), ("Z", None), ("IT", None),
])
def test_industry_codes(raw, code):
    assert segments.industry_code(raw) == code


@pytest.mark.parametrize(("raw", "band"), [
    ("10-49", "10-49"), ("10〜49人", "10-49"), ("35", "10-49"), ("１２０", "100-299"), ("1000人以上", "1000+"),
    ("5000", "1000+"), ("", ""), ("0", None), ("many", None),
])
def test_employee_bands(raw, band):
    assert segments.employee_band(raw) == band


def test_industry_labels_are_japanese_in_japanese():
    with translation.override("ja"):
        assert segments.industry_label("E") == "E 製造業"
    with translation.override("en"):
        assert segments.industry_label("E") == "E Manufacturing"


def test_a_registration_and_a_direct_account_keep_industry_band_and_prefecture(people_a):
    portal = people_a.portal(people_a.partner_rep)
    response = portal.post("/deals/new/", {
        "customer_name": "株式会社セグメント", "amount": "100000",
        "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "industry": "E", "employee_band": "100-299", "prefecture": "27",
        "role_lead": "partner", "role_proposal": "partner", "role_contract": "partner", "role_billing": "partner",
        "role_support": "partner"})
    assert response.status_code == 302
    console = people_a.console(people_a.channel_manager)
    assert console.post("/deals/direct/", {"customer_name": "直販セグメント株式会社", "industry": "G",
                                           "employee_band": "1000+", "prefecture": "13"}).status_code == 302
    with tenant_context(people_a.tenant):
        deal = DealRegistration.objects.get(customer_name="株式会社セグメント")
        assert (deal.industry, deal.employee_band, deal.prefecture) == ("E", "100-299", "27")
        account = DirectAccount.objects.get(customer_name="直販セグメント株式会社")
        assert (account.industry, account.employee_band, account.prefecture) == ("G", "1000+", "13")
    bad = portal.post("/deals/new/", {"customer_name": "株式会社不正", "amount": "1",
                                      "expected_close": (timezone.localdate() + timedelta(days=30)).isoformat(),
                                      "industry": "Z", "role_lead": "partner", "role_proposal": "partner",
                                      "role_contract": "partner", "role_billing": "partner", "role_support": "partner"})
    assert bad.status_code == 200
    with tenant_context(people_a.tenant):
        assert not DealRegistration.objects.filter(customer_name="株式会社不正").exists()


def test_the_recompute_task_recomputes_one_partner_in_its_schema(people_a):
    with tenant_context(people_a.tenant):
        direct_account("株式会社タスク")
        upload_list(people_a.partner_admin, people_a.partner, ["タスク", "", "", "", "", ""])
        before = OverlapSnapshot.objects.filter(partner=people_a.partner).count()
        snapshot_id = tasks.overlap_recompute.run(people_a.tenant.schema_name, people_a.partner.pk)
        snapshot = OverlapSnapshot.objects.get(pk=snapshot_id)
        assert snapshot.cells == {"direct:customers": 1}
        assert OverlapSnapshot.objects.filter(partner=people_a.partner).count() == before + 1
        assert not OverlapSnapshot.objects.filter(partner=people_a.other_partner).exists()
        with pytest.raises(RuntimeError):
            tasks.overlap_recompute.run("v_elsewhere", people_a.partner.pk)


def test_a_new_vendor_target_list_queues_a_recompute_per_partner_with_a_list(people_a, django_capture_on_commit_callbacks):
    from unittest import mock

    with tenant_context(people_a.tenant):
        upload_list(people_a.partner_admin, people_a.partner, ["甲の顧客", "", "", "", "", ""])
        upload_list(people_a.other_partner_admin, people_a.other_partner, ["乙の顧客", "", "", "", "", ""])
        with mock.patch.object(tasks.overlap_recompute, "delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                upload_list(people_a.channel_manager, None, ["ターゲット", "", "", "", "", ""], population="targets")
        queued = sorted(call.args for call in delay.call_args_list)
        assert queued == sorted([(people_a.tenant.schema_name, people_a.partner.pk),
                                 (people_a.tenant.schema_name, people_a.other_partner.pk)])


def test_the_nightly_job_queues_one_recompute_per_partner_with_a_list(people_a, django_capture_on_commit_callbacks):
    from unittest import mock

    from prm.periodic import TENANT_JOBS

    assert TENANT_JOBS["overlaps-recompute"].task == tasks.overlaps_recompute.name
    with tenant_context(people_a.tenant):
        upload_list(people_a.partner_admin, people_a.partner, ["甲の顧客", "", "", "", "", ""])
        with mock.patch.object(tasks.overlap_recompute, "delay") as delay:
            with django_capture_on_commit_callbacks(execute=True):
                assert tasks.overlaps_recompute.run(people_a.tenant.schema_name) == 1
        assert [call.args for call in delay.call_args_list] == [(people_a.tenant.schema_name, people_a.partner.pk)]
