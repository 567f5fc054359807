"""What the system wrote earlier reads in the language of whoever reads it now; dates are written the way
that language writes them; the portal speaks for the vendor, not for Kyoso, and keeps the vendor's internal
stage labels to itself."""

from __future__ import annotations

import importlib
import re
from datetime import date, timedelta
from html.parser import HTMLParser

from django.conf import settings
from django.utils import timezone, translation
from django_tenants.utils import tenant_context

from deals import services as deals
from deals.models import DealRegistration
from partners.models import Stage
from partners.services import partner_set_stage
from prm import messages
from prm.notifications.models import Notification
from programs import services as programs
from programs.models import TierChange

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def _ja(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _en(day: date) -> str:
    return f"{EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


class _Text(HTMLParser):
    """What a person reads on the page: its text and its title, without attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif not self._skip:
            self.parts.append(data)


def _read(response) -> _Text:
    assert response.status_code == 200, response.status_code
    page = _Text()
    page.feed(response.content.decode())
    return page


def _in(client, language: str):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _approved_deal(people) -> DealRegistration:
    """A partner rep registers a deal and a channel manager approves it on the console."""
    with tenant_context(people.tenant):
        deal = deals.deal_register(partner=people.partner, user=people.partner_rep, customer_name="株式会社テックウェイ",
                                   corporate_number="", web_domain="techway.co.jp", amount=1_200_000,
                                   expected_close=timezone.localdate() + timedelta(days=60))
    response = people.console(people.channel_manager).post(f"/deals/{deal.pk}/approve/", {"reason": ""})
    assert response.status_code == 302
    with tenant_context(people.tenant):
        deal.refresh_from_db()
    assert deal.stage == "approved" and deal.expires_on is not None
    return deal


def test_it_shows_a_notification_and_a_timeline_entry_in_the_language_of_whoever_reads_them(people_a):
    deal = _approved_deal(people_a)
    expires = deal.expires_on
    with tenant_context(people_a.tenant):
        stored = Notification.objects.get(user=people_a.partner_rep, kind="deal_approved")
    assert stored.message["title"] == {"code": "deal.approved", "params": {"customer": "株式会社テックウェイ"}}
    assert stored.message["body"] == {"code": "deal.valid_until", "params": {"date": {"date": expires.isoformat()}}}

    portal = people_a.portal(people_a.partner_rep)
    english = " ".join(_read(_in(portal, "en").get("/notifications/")).parts)
    assert "Registration approved: 株式会社テックウェイ" in english and f"Valid until {_en(expires)}." in english
    assert "案件登録が承認されました" not in english
    japanese = " ".join(_read(_in(portal, "ja").get("/notifications/")).parts)
    assert "案件登録が承認されました：株式会社テックウェイ" in japanese and f"有効期限は{_ja(expires)}です。" in japanese
    assert "Registration approved" not in japanese

    console = people_a.console(people_a.channel_manager)
    english = " ".join(_read(_in(console, "en").get(f"/deals/{deal.pk}/")).parts)
    assert f"Approved, valid until {_en(expires)}" in english
    japanese = " ".join(_read(_in(console, "ja").get(f"/deals/{deal.pk}/")).parts)
    assert f"承認（有効期限：{_ja(expires)}）" in japanese


def test_it_shows_a_partner_timeline_entry_in_the_readers_language(people_a):
    with tenant_context(people_a.tenant):
        assert people_a.partner.stage == Stage.ACTIVATION
        partner_set_stage(partner=people_a.partner, stage=Stage.RETENTION, actor=people_a.channel_manager)
    console = people_a.console(people_a.channel_manager)
    english = " ".join(_read(_in(console, "en").get(f"/partners/{people_a.partner.pk}/")).parts)
    assert "Stage changed from Activation to Retention" in english
    japanese = " ".join(_read(_in(console, "ja").get(f"/partners/{people_a.partner.pk}/")).parts)
    assert "ステージをアクティベーションからリテンションに変更" in japanese and "to Retention" not in japanese


def test_it_shows_a_tier_change_reason_in_the_readers_language_and_keeps_the_deciders_note(people_a):
    with tenant_context(people_a.tenant):
        programs.evaluate()
        change = TierChange.objects.filter(partner=people_a.partner).get()
        assert change.reason_message == {"code": "tier.reason.qualifies", "params": {}}
        # Written before messages were kept, in a language nobody reads now: shown as written.
        TierChange.objects.filter(partner=people_a.other_partner).update(reason="手で書いた理由", reason_message={})
    console = people_a.console(people_a.channel_manager)
    english = " ".join(_read(_in(console, "en").get("/programs/changes/")).parts)
    assert "Qualifies for a higher tier" in english and "上位ランクの条件を満たしました" not in english
    assert "手で書いた理由" in english
    japanese = " ".join(_read(_in(console, "ja").get("/programs/changes/")).parts)
    assert "上位ランクの条件を満たしました" in japanese and "Qualifies for a higher tier" not in japanese
    with tenant_context(people_a.tenant):
        change.status = TierChange.Status.PENDING
        change.save(update_fields=["status"])
        programs.change_decide(change=change, actor=people_a.channel_manager, approve=False, reason="要確認")
        change.refresh_from_db()
    with_note = " ".join(_read(_in(console, "en").get("/programs/changes/")).parts)
    assert "Qualifies for a higher tier / 要確認" in with_note


def test_it_recognises_texts_written_before_messages_were_kept():
    assert messages.recognise("上位ランクの条件を満たしました", messages.TIER_REASONS) == {
        "code": "tier.reason.qualifies", "params": {}}
    assert messages.recognise("Registration approved: 株式会社さくら", messages.NOTIFICATION_TITLES) == {
        "code": "deal.approved", "params": {"customer": "株式会社さくら"}}
    assert messages.recognise("有効期限は2026-12-05です。", messages.NOTIFICATION_BODIES) == {
        "code": "deal.valid_until", "params": {"date": {"date": "2026-12-05"}}}
    assert messages.recognise("株式会社さくら is now Won", messages.NOTIFICATION_TITLES) == {
        "code": "deal.stage", "params": {"customer": "株式会社さくら", "stage": {"label": "deal_stage", "value": "won"}}}
    assert messages.recognise("誰かが手で書いた文", messages.NOTIFICATION_TITLES) is None
    assert messages.render({"code": "gone.away", "params": {}}, "as written") == "as written"
    assert messages.render({"code": "deal.approved", "params": {}}, "as written") == "as written"  # a parameter missing


def test_the_migrations_turn_texts_written_before_into_messages_and_leave_the_rest(people_a):
    from django.apps import apps

    notifications = importlib.import_module("prm.notifications.migrations.0003_notification_message")
    tiers = importlib.import_module("programs.migrations.0007_tierchange_reason_message")
    with tenant_context(people_a.tenant):
        known = Notification.objects.create(user=people_a.partner_rep, kind="deal_approved",
                                            title="案件登録が承認されました：株式会社さくら", body="有効期限は2026-12-05です。")
        unknown = Notification.objects.create(user=people_a.partner_rep, kind="announcement", title="春のキャンペーン",
                                              body="詳細はポータルで")
        programs.evaluate()
        change = TierChange.objects.get(partner=people_a.partner)
        TierChange.objects.filter(pk=change.pk).update(reason="上位ランクの条件を満たしました / 確認済み",
                                                       reason_message={}, decision_note="")
        notifications.recognise_written_texts(apps, None)
        tiers.recognise_written_reasons(apps, None)
        known.refresh_from_db()
        unknown.refresh_from_db()
        change.refresh_from_db()
    assert unknown.message == {}
    assert (change.reason_message["code"], change.decision_note) == ("tier.reason.qualifies", "確認済み")
    with translation.override("en"):
        assert (known.shown_title, known.shown_body) == ("Registration approved: 株式会社さくら", "Valid until Dec 5, 2026.")
        assert (unknown.shown_title, unknown.shown_body) == ("春のキャンペーン", "詳細はポータルで")
        assert change.shown_reason == "Qualifies for a higher tier / 確認済み"


def test_it_uses_the_accounts_language_without_a_cookie_and_the_cookie_over_it(people_a):
    with tenant_context(people_a.tenant):
        people_a.partner_rep.language = "en"
        people_a.partner_rep.save(update_fields=["language"])
    portal = people_a.portal(people_a.partner_rep)
    page = portal.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    assert page["Content-Language"] == "en" and "Sign out" in page.content.decode()
    page = _in(portal, "ja").get("/")
    assert page["Content-Language"] == "ja" and "ログアウト" in page.content.decode()
    # A person who never chose reads Japanese, whatever the browser says.
    assert people_a.console(people_a.channel_manager).get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "ja"


def test_no_page_or_e_mail_shows_an_iso_date(people_a, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        deal = _approved_deal(people_a)
    with tenant_context(people_a.tenant):
        programs.evaluate()
    (approved,) = [m for m in mailoutbox if m.to == [people_a.partner_rep.email] and "承認されました" in m.subject]
    assert _ja(deal.expires_on) in approved.body
    for mail in mailoutbox:
        assert not ISO_DATE.search(mail.subject + mail.body), mail.body
    pages = [(people_a.portal(people_a.partner_rep), ["/", "/deals/", f"/deals/{deal.pk}/", "/notifications/",
                                                      "/program/"]),
             (people_a.console(people_a.channel_manager), ["/", f"/deals/{deal.pk}/", f"/partners/{people_a.partner.pk}/",
                                                           "/deals/", "/programs/changes/", "/notifications/"])]
    for client, paths in pages:
        for language in ("ja", "en"):
            for path in paths:
                text = " ".join(_read(_in(client, language).get(path)).parts)
                assert not ISO_DATE.search(text), (language, path, ISO_DATE.findall(text))


def test_the_portal_names_the_vendor_not_kyoso_except_in_its_footer(people_a, mailoutbox,
                                                                       django_capture_on_commit_callbacks):
    vendor = people_a.tenant.name
    admin = people_a.portal(people_a.partner_admin)
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post("/team/invite/", {"email": "rep@partner.example", "role": "partner_rep"}).status_code == 302
    (invitation,) = mailoutbox
    assert "Kyoso" not in invitation.subject and "Kyoso" not in invitation.body
    assert vendor in invitation.subject and vendor in invitation.body
    link = re.search(r"https?://\S+/invitations/\S+/", invitation.body).group(0)
    visitor = people_a.portal()
    sign_in = _read(visitor.get("/accounts/login/"))
    assert sign_in.title.strip().endswith(vendor) and "Kyoso" not in sign_in.title
    joined = visitor.post("/" + link.split("/", 3)[3], {"full_name": "営業 太郎", "password1": "a-fine-password-42",
                                                        "password2": "a-fine-password-42"}, follow=True)
    toasts = [str(message) for message in joined.context["messages"]]
    assert toasts and all("Kyoso" not in toast for toast in toasts) and any("営業 太郎" in toast for toast in toasts)
    for language in ("ja", "en"):
        for path in ("/", "/deals/", "/team/", "/notifications/", "/program/"):
            page = _read(_in(admin, language).get(path))
            assert "Kyoso" not in page.title and page.title.strip().endswith(vendor), page.title
            body = " ".join(page.parts)
            assert body.count("Kyoso") == 1 and "powered by Kyoso" in body  # the footer's, once


def test_partners_never_see_the_vendors_internal_stage_labels(people_a):
    portal = people_a.portal(people_a.partner_admin)
    for stage in (Stage.PROSPECT, Stage.ONBOARDING, Stage.ACTIVATION):
        with tenant_context(people_a.tenant):
            people_a.partner.stage = stage
            people_a.partner.save(update_fields=["stage"])
        for language, labels in (("ja", {"prospect": "見込み", "onboarding": "オンボーディング", "activation": "アクティベーション"}),
                                 ("en", {"prospect": "Prospect", "onboarding": "Onboarding", "activation": "Activation"})):
            html = _in(portal, language).get("/").content.decode()
            hero = re.search(rf"{re.escape(people_a.partner.name)} · [^<]*", html).group(0)
            assert labels[stage] not in hero, hero
