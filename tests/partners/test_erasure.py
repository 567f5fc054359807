"""Erasing one contact's personal data on request (APPI): the person goes, the records that must stay remain."""

from __future__ import annotations

from datetime import date

from allauth.account.models import EmailAddress
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_tenants.utils import tenant_context

from incentives.models import AuditEntry, MdfRequest
from partners import services
from partners.models import Contact, ContactSignal, EventKind, PartnerEvent, SignalKind
from prm.accounts.models import User

ERASED = "削除済み"


def _person(people):
    with tenant_context(people.tenant):
        contact = services.contact_save(partner=people.partner, actor=people.channel_manager, contact=None,
                                        full_name="山田 太郎", full_name_kana="ヤマダ タロウ", email="yamada@partner.example.jp",
                                        phone="03-1234-5678", department="営業部", title="部長", role="rep",
                                        is_key_person=False, notes="携帯 090-0000-0000")
        Contact.objects.filter(pk=contact.pk).update(user=people.partner_rep)
        ContactSignal.objects.create(partner=people.partner, contact=contact, kind=SignalKind.CERTIFIED)
        request = MdfRequest.objects.create(partner=people.partner, requested_by=people.partner_rep,
                                            **_mdf_fields())
        contact.refresh_from_db()
    return contact, request


def _mdf_fields() -> dict:
    return {"activity": "展示会出展", "budget": 300_000, "starts_on": date(2026, 11, 2), "ends_on": date(2026, 11, 3)}


def test_a_vendor_admin_erases_a_contact_and_the_money_records_stay(people_a):
    contact, mdf = _person(people_a)
    client = people_a.console(people_a.vendor_admin)
    url = reverse("contact_erase", args=[people_a.partner.pk, contact.pk])

    page = client.get(url)
    assert page.status_code == 200 and "山田 太郎" in page.content.decode()
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 200 and "invalid-feedback" in unconfirmed.content.decode()
    with tenant_context(people_a.tenant):
        assert Contact.objects.get(pk=contact.pk).full_name == "山田 太郎"  # nothing without the confirmation

    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302
    with tenant_context(people_a.tenant):
        erased = Contact.objects.get(pk=contact.pk)
        assert (erased.full_name, erased.full_name_kana, erased.email, erased.phone, erased.department, erased.title,
                erased.notes) == (ERASED, "", "", "", "", "", "")
        user = User.objects.get(pk=people_a.partner_rep.pk)
        assert user.full_name == ERASED and not user.is_active and not user.has_usable_password()
        assert "yamada" not in user.email and user.email.endswith(".invalid")
        assert not EmailAddress.objects.filter(user=user).exists()
        # The records the law keeps are still there, pointing at the now nameless person.
        assert MdfRequest.objects.get(pk=mdf.pk).requested_by_id == user.pk
        assert ContactSignal.objects.filter(contact=contact, kind=SignalKind.CERTIFIED).count() == 1
        history = PartnerEvent.objects.get(partner=people_a.partner, kind=EventKind.CONTACT_ADDED, data__contact=contact.pk)
        assert history.data["name"] == ERASED
        entry = AuditEntry.objects.get(action="contact_erased", object_id=str(contact.pk))
        assert entry.actor == people_a.vendor_admin and entry.changes["portal_account_closed"] is True
        assert "山田" not in str(entry.changes)


def test_only_a_vendor_admin_may_erase(people_a):
    contact, _mdf = _person(people_a)
    url = reverse("contact_erase", args=[people_a.partner.pk, contact.pk])
    assert people_a.console(people_a.channel_manager).post(url, {"confirm": "on"}).status_code == 403
    assert people_a.portal(people_a.partner_admin).post(url, {"confirm": "on"}).status_code in (403, 404)
    with tenant_context(people_a.tenant):
        try:
            services.contact_erase(contact=contact, actor=people_a.channel_manager)
        except PermissionDenied:
            pass
        else:
            raise AssertionError("a channel manager erased a contact")
        assert Contact.objects.get(pk=contact.pk).full_name == "山田 太郎"
