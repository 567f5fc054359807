"""Demo data for deal registration: products, deals in every stage, conflicts, direct sales, leads."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from deals import leads, services
from deals.models import DealEvent, DealRegistration, DirectAccount, DirectOpportunity, LeadRecipient, Product
from partners.models import Partner, Stage
from prm.accounts.models import User

PRODUCTS = [("ATT", "クラウド勤怠"), ("EXP", "クラウド経費精算"), ("WF", "ワークフロー"), ("HR", "人事労務パック")]

CUSTOMERS = [
    # customer, domain, amount, partner name, final stage
    ("株式会社丸の内フーズ", "marunouchi-foods.co.jp", 2_400_000, "株式会社さくらシステムズ", "won"),
    ("横浜港運株式会社", "yokohama-koun.co.jp", 3_600_000, "株式会社さくらシステムズ", "negotiation"),
    ("株式会社北海道ミルク", "hokkaido-milk.co.jp", 1_800_000, "株式会社北斗情報サービス", "proposal"),
    ("札幌建設株式会社", "sapporo-kensetsu.co.jp", 4_800_000, "株式会社北斗情報サービス", "won"),
    ("株式会社なにわ物産", "naniwa-bussan.co.jp", 1_200_000, "東和ソリューションズ株式会社", "approved"),
    ("京阪メディカル株式会社", "keihan-medical.co.jp", 6_000_000, "東和ソリューションズ株式会社", "lost"),
    ("株式会社博多ロジスティクス", "hakata-logi.co.jp", 2_100_000, "株式会社九州デジタル", "won"),
    ("合同会社みらい設計", "mirai-sekkei.jp", 900_000, "合同会社ネクストリンク", "registered"),
    ("株式会社グローバル精工", "global-seiko.co.jp", 3_000_000, "株式会社大阪ビジネスサポート", "registered"),
    ("株式会社湘南リゾート", "shonan-resort.co.jp", 1_500_000, "株式会社ベイサイドシステム", "approved"),
    ("株式会社中央会計サービス", "chuo-kaikei-svc.co.jp", 1_100_000, "税理士法人中央会計", "won"),
    ("株式会社エデュテック", "edutech.example.jp", 2_700_000, "株式会社ワークスタイル研究所", "negotiation"),
    # wins the partner reported, waiting in the console for the channel manager to confirm
    ("株式会社東海精機", "tokai-seiki.co.jp", 2_200_000, "株式会社さくらシステムズ", "won_pending"),
    ("株式会社みなと商会", "minato-shokai.co.jp", 1_600_000, "株式会社北斗情報サービス", "won_pending"),
]
CONFLICTS = [
    # a later registration of an already registered customer, by another partner, minutes after the first
    ("(株)グローバル精工", "info@global-seiko.co.jp", 3_200_000, "株式会社はかたテック", 4),
    ("横浜港運(株)", "https://www.yokohama-koun.co.jp/", 3_000_000, "株式会社京都システム開発", 11),
]
# The registrations of the customers above come in one by one this morning (in CUSTOMERS' order, a quarter of an
# hour apart from 9:00), so the approval queue shows who registered first, and by how many minutes.
FIRST_REGISTRATION = time(9, 0)
BETWEEN_REGISTRATIONS = timedelta(minutes=15)


def seed(*, admin: User, managers: list[User]) -> None:
    for code, name in PRODUCTS:
        Product.objects.get_or_create(code=code, defaults={"name": name})
    if DealRegistration.objects.exists():
        return
    products = list(Product.objects.all())
    partners = {p.name: p for p in Partner.objects.all()}
    today = timezone.localdate()
    morning = min(timezone.make_aware(datetime.combine(today, FIRST_REGISTRATION)),
                  timezone.now() - BETWEEN_REGISTRATIONS * (len(CUSTOMERS) + 1))
    registered_at = {}
    for n, (customer, domain, amount, partner_name, final) in enumerate(CUSTOMERS):
        partner = partners[partner_name]
        user = User.objects.filter(partner_membership__partner=partner).first()
        deal = services.deal_register(partner=partner, user=user, products=products[n % 3: n % 3 + 2],
                                      customer_name=customer, corporate_number="", web_domain=domain, amount=amount,
                                      expected_close=today + timedelta(days=30 + n * 7),
                                      customer_contact_name="情報システム部 ご担当者",
                                      registered_at=morning + BETWEEN_REGISTRATIONS * n)
        _registered_then(deal)
        registered_at[deal.name_key] = deal.registered_at
        if final == "registered":
            continue
        manager = partner.owner or managers[0]
        services.deal_approve(deal=deal, actor=manager)
        path = {"approved": [], "proposal": ["proposal"], "negotiation": ["proposal", "negotiation"],
                "won": ["proposal", "negotiation", "won"], "lost": ["proposal", "lost"],
                "won_pending": ["proposal", "negotiation"]}[final]
        for stage in path:
            # registered today in the demo, so won today: a win cannot predate its registration
            services.deal_move(deal=deal, actor=manager, stage=stage, won_amount=amount if stage == "won" else None)
        if final == "won_pending":
            services.deal_win_report(deal=deal, actor=user, won_amount=amount - 100_000, won_on=today)
        if final in ("won", "negotiation") and n % 2 == 0:
            services.meeting_record(deal=deal, actor=manager, held_on=today - timedelta(days=20 + n),
                                    staff=[manager], notes="役員向けデモに同行")
    for customer, domain, amount, partner_name, minutes_later in CONFLICTS:
        partner = partners[partner_name]
        first = registered_at[services.customer_keys_for(customer, "", domain).name_key]
        deal = services.deal_register(partner=partner, user=User.objects.filter(partner_membership__partner=partner).first(),
                                      customer_name=customer, corporate_number="", web_domain=domain, amount=amount,
                                      expected_close=today + timedelta(days=45),
                                      registered_at=first + timedelta(minutes=minutes_later))
        _registered_then(deal)
    account = DirectAccount(customer_name="株式会社日本総合商事", web_domain="nihon-sogo.co.jp", owner=managers[0])
    services.apply_keys(account, services.customer_keys_for(account.customer_name, "", account.web_domain))
    account.save()
    DirectOpportunity.objects.create(account=account, name="全社導入（直販）", amount=12_000_000)
    for partner in Partner.objects.filter(stage__in=[Stage.ACTIVATION, Stage.RETENTION]):
        LeadRecipient.objects.get_or_create(partner=partner, defaults={"weight": 2 if partner.stage == Stage.RETENTION else 1})
    for customer, prefecture, source in (("株式会社青葉製作所", "04", "展示会"), ("大阪フードサービス株式会社", "27", "Webお問い合わせ"),
                                         ("株式会社東京ネクスト", "13", "セミナー")):
        lead = leads.lead_create(actor=managers[0], customer_name=customer, corporate_number="", web_domain="",
                                 prefecture=prefecture, amount=1_500_000, source=source,
                                 notes="従業員300名。来期の勤怠システム刷新を検討中。")
        leads.lead_offer_next(lead=lead)


def _registered_then(deal: DealRegistration) -> None:
    """The deal's "registered" event at the time it was registered (the service writes the present)."""
    DealEvent.objects.filter(deal=deal, kind="registered").update(occurred_at=deal.registered_at)
