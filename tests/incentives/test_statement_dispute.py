"""Payout lines in the console, a deal's earnings explained, and the partner's confirmation or dispute of a statement."""

from __future__ import annotations

import io

from django_tenants.utils import tenant_context
from pypdf import PdfReader

from incentives import payouts, statements
from incentives.models import AuditEntry, Payout, PayoutDispute
from prm.notifications.models import Notification
from tests.incentives.earnings_setup import World


def english(client):
    client.cookies["kyoso_language"] = "en"
    return client


def pdf_text(payout) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(statements.render_pdf(payout, language="en"))).pages)


def test_a_payout_opens_into_its_lines_with_rule_names_and_deal_links(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
        payout = world.payout(people_a)
    page = english(people_a.console(people_a.channel_manager)).get(f"/incentives/payouts/{payout.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "報酬テストプラン" in body and "Resale margin" in body and "Year-end SPIF" in body
    assert "r-margin-x" not in body and "r-spif-now" not in body
    assert f"/deals/{world.rep_won.pk}/" in body and "レップ成約商事" in body and "他社の顧客銀行" not in body
    [group] = page.context["groups"]
    assert sorted((item.rule_name, item.line.amount) for item in group.lines) == [
        ("Resale margin", 150_000), ("Resale margin", 300_000), ("Year-end SPIF", 50_000), ("Year-end SPIF", 50_000)]
    with tenant_context(people_a.tenant):
        labels = [row["label"] for row in statements.statement_lines(payout)]
    assert labels and all("r-margin-x" not in label and "r-spif" not in label for label in labels)
    assert people_a.console(people_a.channel_manager).get("/incentives/payouts/999999/").status_code == 404


def test_a_deal_says_what_it_earned_and_why_not(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
    page = english(people_a.console(people_a.channel_manager)).get(f"/incentives/deals/{world.rep_won.pk}/earnings/")
    assert page.status_code == 200
    [plan] = page.context["plans"]
    [won] = [event for event in plan.events if event.event.kind == "deal_won"]
    assert [(row.name, row.paid, row.amount) for row in won.rows] == [
        ("Resale margin", True, 150_000), ("Year-end SPIF", True, 50_000), ("Spring SPIF", False, 0)]
    assert won.rows[2].reason.startswith("Outside the rule's period")
    assert "Outside the rule&#x27;s period" in page.content.decode() or "Outside the rule's period" in page.content.decode()
    detail = people_a.console(people_a.channel_manager).get(f"/deals/{world.rep_won.pk}/").content.decode()
    assert f"/incentives/deals/{world.rep_won.pk}/earnings/" in detail
    assert people_a.console(people_a.channel_manager).get("/incentives/deals/999999/earnings/").status_code == 404
    assert people_a.portal(people_a.partner_admin).get(f"/incentives/deals/{world.rep_won.pk}/earnings/").status_code == 404


def test_a_dispute_holds_the_payout_until_the_vendor_replies_and_a_confirmation_is_on_the_pdf(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
        payout = world.payout(people_a)
        payouts.payout_approve(payout=payout, actor=people_a.channel_manager)
        assert "not yet confirmed by the issuer" in pdf_text(Payout.objects.get(pk=payout.pk))
    admin = english(people_a.portal(people_a.partner_admin))
    console = english(people_a.console(people_a.vendor_admin))
    assert people_a.portal(people_a.partner_rep).post(f"/payouts/{payout.pk}/dispute/", {"comment": "x"}).status_code == 403

    # A dispute needs a comment, bounded and without NUL; nothing is saved otherwise.
    for comment in ("", "   ", "a\x00b", "長" * 10_000):
        assert admin.post(f"/payouts/{payout.pk}/dispute/", {"comment": comment}).status_code in (302, 400)
    with tenant_context(people_a.tenant):
        assert Payout.objects.get(pk=payout.pk).status == "approved" and not PayoutDispute.objects.exists()

    assert admin.post(f"/payouts/{payout.pk}/dispute/", {"comment": "SPIFが1件足りません"}).status_code == 302
    with tenant_context(people_a.tenant):
        held = Payout.objects.get(pk=payout.pk)
        assert held.status == "held"
        assert PayoutDispute.objects.get(payout=held).comment == "SPIFが1件足りません"
        assert Notification.objects.filter(user=people_a.channel_manager, kind="statement_disputed").count() == 1
        assert AuditEntry.objects.filter(action="statement_disputed", object_id=str(payout.pk)).exists()
    # Neither approval, payment nor a plain release moves a disputed payout; a confirmation waits too.
    for action in ("approve", "pay", "release"):
        console.post(f"/incentives/payouts/{payout.pk}/{action}/")
    assert admin.post(f"/payouts/{payout.pk}/confirm/").status_code == 302
    with tenant_context(people_a.tenant):
        held.refresh_from_db()
        assert (held.status, held.confirmed_at) == ("held", None)
    page = console.get(f"/incentives/payouts/{payout.pk}/").content.decode()
    assert "SPIFが1件足りません" in page

    assert console.post(f"/incentives/payouts/{payout.pk}/resolve/", {"reply": ""}).status_code == 302
    with tenant_context(people_a.tenant):
        assert Payout.objects.get(pk=payout.pk).status == "held"
    assert console.post(f"/incentives/payouts/{payout.pk}/resolve/", {"reply": "確認し、次回に追加します"}).status_code == 302
    with tenant_context(people_a.tenant):
        released = Payout.objects.get(pk=payout.pk)
        assert released.status == "review"
        dispute = PayoutDispute.objects.get(payout=released)
        assert (dispute.reply, dispute.resolved_by) == ("確認し、次回に追加します", people_a.vendor_admin)
        assert Notification.objects.filter(user=people_a.partner_admin, kind="statement_dispute_resolved").exists()
        assert AuditEntry.objects.filter(action="statement_dispute_resolved", object_id=str(payout.pk)).exists()
    assert "確認し、次回に追加します" in admin.get("/payouts/").content.decode()

    console.post(f"/incentives/payouts/{payout.pk}/approve/")
    assert admin.post(f"/payouts/{payout.pk}/confirm/").status_code == 302
    with tenant_context(people_a.tenant):
        confirmed = Payout.objects.get(pk=payout.pk)
        assert confirmed.status == "approved"
        assert confirmed.confirmed_by == people_a.partner_admin and confirmed.confirmed_at is not None
        assert AuditEntry.objects.filter(action="statement_confirmed", object_id=str(payout.pk)).exists()
        text = pdf_text(confirmed)
        assert "confirmed by the issuer on" in text and "not yet confirmed" not in text
    console.post(f"/incentives/payouts/{payout.pk}/pay/")
    with tenant_context(people_a.tenant):
        assert Payout.objects.get(pk=payout.pk).status == "paid"


def test_a_rep_cannot_confirm_and_a_statement_in_review_cannot_be_confirmed(people_a):
    with tenant_context(people_a.tenant):
        world = World(people_a)
        payout = world.payout(people_a)
    assert people_a.portal(people_a.partner_rep).post(f"/payouts/{payout.pk}/confirm/").status_code == 403
    assert people_a.portal(people_a.partner_admin).post(f"/payouts/{payout.pk}/confirm/").status_code == 302
    assert people_a.portal(people_a.partner_admin).get(f"/payouts/{payout.pk}/confirm/").status_code == 405
    with tenant_context(people_a.tenant):
        assert Payout.objects.get(pk=payout.pk).confirmed_at is None  # still in review: nothing to confirm yet
        assert not AuditEntry.objects.filter(action="statement_confirmed").exists()
