"""The portal tells a partner nothing about other partners' people or customers."""

from __future__ import annotations

from django.contrib.messages import get_messages
from django_tenants.utils import tenant_context

from partners.models import PartnerMembership
from prm.invitations.models import Invitation


def _invite(client, email: str, role: str = "partner_rep"):
    response = client.post("/team/invite/", {"email": email, "role": role})
    return response, [str(message) for message in get_messages(response.wsgi_request)]


def test_it_answers_an_invitation_to_another_partners_user_as_for_a_new_address(
        people_a, mailoutbox, django_capture_on_commit_callbacks):
    client = people_a.portal(people_a.partner_admin)
    fresh_email, taken_email = "fresh.person@example.jp", people_a.other_partner_admin.email
    with django_capture_on_commit_callbacks(execute=True):
        fresh, fresh_messages = _invite(people_a.portal(people_a.partner_admin), fresh_email)
        taken, taken_messages = _invite(people_a.portal(people_a.partner_admin), taken_email.upper())
    assert (fresh.status_code, fresh["Location"]) == (taken.status_code, taken["Location"]) == (302, "/team/")
    assert [m.replace(fresh_email, "@") for m in fresh_messages] == [m.replace(taken_email, "@") for m in taken_messages]
    team = client.get("/team/").content.decode()
    assert fresh_email in team and taken_email in team  # both listed as pending invitations alike

    with tenant_context(people_a.tenant):
        # No link that could move the account: the owner of the address gets a notice instead.
        notice = next(mail for mail in mailoutbox if mail.to == [taken_email])
        assert "/invitations/" not in notice.body
        assert "/accounts/login/" in notice.body
        invitation = next(mail for mail in mailoutbox if mail.to == [fresh_email])
        assert "/invitations/" in invitation.body
        membership = PartnerMembership.objects.get(user=people_a.other_partner_admin)
        assert membership.partner == people_a.other_partner
        assert Invitation.objects.filter(email=taken_email, partner=people_a.partner, status="pending").exists()


def test_it_answers_an_invitation_to_a_vendor_staff_address_as_for_a_new_address(
        people_a, mailoutbox, django_capture_on_commit_callbacks):
    client = people_a.portal(people_a.partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        response, _messages = _invite(client, people_a.channel_manager.email)
    assert response["Location"] == "/team/"
    with tenant_context(people_a.tenant):
        people_a.channel_manager.refresh_from_db()
        assert people_a.channel_manager.role == "channel_manager"
        assert not PartnerMembership.objects.filter(user=people_a.channel_manager).exists()
    (notice,) = mailoutbox
    assert "/invitations/" not in notice.body and "http://alpha.localhost:8000/accounts/login/" in notice.body


def test_it_tells_a_partner_admin_that_a_colleague_is_already_on_the_team(people_a, mailoutbox):
    response, _messages = _invite(people_a.portal(people_a.partner_admin), people_a.partner_rep.email)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]
    assert not mailoutbox


def test_it_still_tells_vendor_staff_that_the_address_has_an_account(people_a):
    response = people_a.console(people_a.vendor_admin).post(
        "/team/invite/", {"email": people_a.partner_rep.email, "role": "channel_manager"})
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["email"]


def _check(client):
    return client.get("/deals/check/", {"customer_name": "株式会社照会テスト"}, HTTP_HX_REQUEST="true")


def test_it_rate_limits_the_live_customer_check_per_user(people_a):
    from portal.deals import DEAL_CHECKS_PER_HOUR

    rep = people_a.portal(people_a.partner_rep)
    rep.cookies["kyoso_language"] = "en"
    for _ in range(DEAL_CHECKS_PER_HOUR):
        assert _check(rep).status_code == 200
    limited = _check(rep)
    assert limited.status_code == 429
    assert "the live check is paused for a while" in limited.content.decode()
    # The limit is the person's own: a colleague on the same network still gets answers.
    assert _check(people_a.portal(people_a.partner_admin)).status_code == 200
