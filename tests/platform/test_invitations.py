from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_tenants.utils import tenant_context

from prm.accounts.models import User
from prm.invitations.models import Invitation
from prm.invitations.services import invitation_create


def _link(mail) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", mail.body).group(0)


def _path(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def test_it_lets_a_vendor_admin_invite_staff_who_then_join(people_a, mailoutbox, django_capture_on_commit_callbacks):
    client = people_a.console(people_a.vendor_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/team/invite/", {"email": "New.Manager@Alpha.example", "role": "channel_manager"})
    assert response["Location"] == "/team/"
    assert len(mailoutbox) == 1
    link = _link(mailoutbox[0])
    assert link.startswith("http://alpha.localhost:8000/invitations/")

    visitor = people_a.console()
    form = visitor.get(_path(link))
    assert form.status_code == 200
    assert "new.manager@alpha.example" in form.content.decode()
    joined = visitor.post(_path(link), {"full_name": "新井 花子", "password1": "a-fine-password-42", "password2": "a-fine-password-42"})
    assert joined["Location"] == "/"
    assert visitor.get("/").status_code == 200
    with tenant_context(people_a.tenant):
        user = User.objects.get(email="new.manager@alpha.example")
        assert (user.role, user.full_name) == ("channel_manager", "新井 花子")
        assert user.emailaddress_set.get().verified
        assert Invitation.objects.get(email=user.email).status == "accepted"


def test_it_lets_a_partner_admin_invite_a_colleague_into_their_own_company(people_a, mailoutbox, django_capture_on_commit_callbacks):
    client = people_a.portal(people_a.partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/team/invite/", {"email": "rep@partner.example", "role": "partner_rep"})
    assert response["Location"] == "/team/"
    link = _link(mailoutbox[0])
    assert link.startswith("http://partners.alpha.localhost:8000/invitations/")
    visitor = people_a.portal()
    visitor.post(_path(link), {"full_name": "営業 太郎", "password1": "a-fine-password-42", "password2": "a-fine-password-42"})
    with tenant_context(people_a.tenant):
        invited = people_a.partner.events.get(kind="invitation")
        assert (invited.actor, invited.data["email"]) == (people_a.partner_admin, "rep@partner.example")
    with tenant_context(people_a.tenant):
        user = User.objects.get(email="rep@partner.example")
        assert user.partner_membership.partner == people_a.partner
        assert user.role == "partner_rep"


def test_it_refuses_a_partner_admin_inviting_into_another_company(people_a):
    with tenant_context(people_a.tenant):
        with pytest.raises(PermissionDenied):
            invitation_create(inviter=people_a.partner_admin, email="spy@example.jp", role="partner_rep",
                              partner=people_a.other_partner)
        with pytest.raises(PermissionDenied):
            invitation_create(inviter=people_a.partner_admin, email="spy@example.jp", role="channel_manager")
        assert not Invitation.objects.filter(email="spy@example.jp").exists()


def test_it_refuses_staff_invitations_from_channel_managers(people_a):
    response = people_a.console(people_a.channel_manager).post(
        "/team/invite/", {"email": "boss@alpha.example", "role": "vendor_admin"}
    )
    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    with tenant_context(people_a.tenant):
        assert not Invitation.objects.filter(email="boss@alpha.example").exists()


def test_it_names_the_field_of_an_invalid_address(people_a):
    response = people_a.portal(people_a.partner_admin).post("/team/invite/", {"email": "not an address", "role": "partner_rep"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert "有効なメールアドレス" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not Invitation.objects.exists()


def test_it_refuses_to_invite_an_existing_user(people_a):
    with tenant_context(people_a.tenant), pytest.raises(ValidationError) as caught:
        invitation_create(inviter=people_a.vendor_admin, email=people_a.partner_rep.email.upper(), role="channel_manager")
    assert "email" in caught.value.message_dict


def test_it_replaces_a_pending_invitation_when_resent(people_a):
    with tenant_context(people_a.tenant):
        first, _ = invitation_create(inviter=people_a.vendor_admin, email="twice@alpha.example", role="channel_manager")
        second, _ = invitation_create(inviter=people_a.vendor_admin, email="twice@alpha.example", role="channel_manager")
        first.refresh_from_db()
        assert (first.status, second.status) == ("revoked", "pending")


def _invite(people, **overrides):
    with tenant_context(people.tenant):
        invitation, token = invitation_create(inviter=people.vendor_admin, email="late@alpha.example", role="channel_manager")
        if overrides:
            Invitation.objects.filter(pk=invitation.pk).update(**overrides)
    return token


def test_it_refuses_an_expired_invitation_link(people_a):
    token = _invite(people_a, expires_at=timezone.now() - timedelta(minutes=1))
    response = people_a.console().post(f"/invitations/{token}/", {"full_name": "遅刻 太郎", "password1": "a-fine-password-42",
                                                                  "password2": "a-fine-password-42"})
    assert response.status_code == 410
    assert "期限" in response.content.decode()
    with tenant_context(people_a.tenant):
        assert not User.objects.filter(email="late@alpha.example").exists()


def test_it_refuses_a_used_invitation_link(people_a):
    token = _invite(people_a)
    data = {"full_name": "一度 だけ", "password1": "a-fine-password-42", "password2": "a-fine-password-42"}
    assert people_a.console().post(f"/invitations/{token}/", data).status_code == 302
    again = people_a.console().post(f"/invitations/{token}/", data)
    assert again.status_code == 410
    assert "使用済み" in again.content.decode()
    with tenant_context(people_a.tenant):
        assert User.objects.filter(email="late@alpha.example").count() == 1


def test_it_refuses_an_unknown_invitation_link(people_a):
    assert people_a.console().get("/invitations/made-up-token/").status_code == 410


def test_it_keeps_the_invitation_when_the_password_is_too_weak(people_a):
    token = _invite(people_a)
    response = people_a.console().post(f"/invitations/{token}/", {"full_name": "弱い 人", "password1": "123", "password2": "123"})
    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    with tenant_context(people_a.tenant):
        assert not User.objects.filter(email="late@alpha.example").exists()
        assert Invitation.objects.get(email="late@alpha.example").status == "pending"


def test_it_does_not_accept_a_staff_invitation_on_the_portal(people_a):
    token = _invite(people_a)
    assert people_a.portal().get(f"/invitations/{token}/").status_code == 404


def test_it_does_not_accept_another_tenants_invitation(people_a, people_b):
    token = _invite(people_a)
    assert people_b.console().get(f"/invitations/{token}/").status_code == 410


def test_it_lets_an_admin_withdraw_an_invitation(people_a):
    _invite(people_a)
    with tenant_context(people_a.tenant):
        pk = Invitation.objects.get(email="late@alpha.example").pk
    response = people_a.console(people_a.vendor_admin).post(f"/team/invitations/{pk}/revoke/")
    assert response["Location"] == "/team/"
    with tenant_context(people_a.tenant):
        assert Invitation.objects.get(pk=pk).status == "revoked"


def test_it_expires_pending_invitations_in_the_periodic_task(people_a):
    from prm.invitations.tasks import invitations_expire

    _invite(people_a, expires_at=timezone.now() - timedelta(hours=1))
    with tenant_context(people_a.tenant):
        assert invitations_expire(schema_name=people_a.tenant.schema_name) == 1
        assert Invitation.objects.get(email="late@alpha.example").status == "expired"


def test_it_shows_a_partner_only_its_own_colleagues(people_a):
    page = people_a.portal(people_a.partner_admin).get("/team/").content.decode()
    assert people_a.partner_rep.email in page
    assert people_a.other_partner_admin.email not in page
