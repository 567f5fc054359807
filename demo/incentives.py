"""Demo incentives: plans of several kinds, finished runs, payouts in every state, MDF, credit limits."""

from __future__ import annotations

import json
from datetime import date, timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from deals.models import DealRegistration
from demo.partners import corporate_number
from incentives import mdf, payouts, runs
from incentives.models import CreditLimit, IncentiveSettings, InvoicePayment, MdfClaim, MdfRequest, Payout, Plan
from partners import japan
from partners.models import Partner
from prm.accounts.models import User

REFERRAL_PLAN = {
    "code": "referral-fy2026", "name": "紹介パートナー報酬 FY2026", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-04-01", "valid_to": "2027-03-31",
    "applies_to": {"partner_types": ["referral", "agency", "alliance", "solution"]},
    "rules": [
        {"id": "referral-fee", "name": {"ja": "紹介料", "en": "Referral fee"}, "kind": "percent", "on": "deal_won", "rate": "0.10"},
        {"id": "lead-bonus", "name": {"ja": "案件紹介ボーナス", "en": "Referral registration bonus"}, "kind": "fixed",
         "on": "deal_registered", "amount": 5000, "cap_count": 10, "cap_period": "month"},
        {"id": "certification", "name": {"ja": "認定資格取得ボーナス", "en": "Certification bonus"}, "kind": "fixed",
         "on": "certification_earned", "amount": 20000},
        {"id": "early-cancel", "name": {"ja": "早期解約時の報酬取消（50%）", "en": "Early cancellation clawback (50%)"},
         "kind": "clawback", "within_days": 60, "share": "0.5"},
    ],
}
SPIF_PLAN = {
    "code": "autumn-spif-2026", "name": "秋の新規獲得キャンペーン 2026", "currency": "JPY", "fiscal_year_start_month": 4,
    "valid_from": "2026-09-01", "valid_to": "2026-11-30",
    "rules": [{"id": "new-logo", "name": {"ja": "新規顧客獲得ボーナス", "en": "New logo bonus"}, "kind": "fixed", "on": "deal_won",
               "amount": 50000, "cap_count": 3, "cap_period": "month"}],
}
# A tiny valid PDF, standing in for a scanned receipt.
RECEIPT = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
           b"trailer<</Root 1 0 R>>\n%%EOF\n")


def _month(offset: int) -> date:
    today = timezone.localdate().replace(day=1)
    month = today.month - 1 + offset
    return date(today.year + month // 12, month % 12 + 1, 1)


# Subscription customers won 13 to 20 months ago, paying monthly: (partner, customer, months ago won,
# months ago the last invoice was paid (0 = still paying), monthly fee). Retention shows on the dashboard.
SUBSCRIPTIONS = [
    ("株式会社さくらシステムズ", "株式会社青葉クリニック", 20, 0, 180_000),
    ("株式会社さくらシステムズ", "株式会社港南物流", 18, 0, 240_000),
    ("株式会社さくらシステムズ", "株式会社西新宿デザイン", 16, 5, 90_000),
    ("株式会社北斗情報サービス", "株式会社北見ファーム", 19, 0, 120_000),
    ("株式会社北斗情報サービス", "株式会社小樽ガラス工房", 15, 7, 60_000),
    ("株式会社北斗情報サービス", "株式会社函館マリン", 14, 0, 150_000),
    ("株式会社九州デジタル", "株式会社天神メディカル", 17, 0, 300_000),
    ("株式会社九州デジタル", "株式会社久留米ゴム工業", 16, 2, 110_000),
    ("株式会社九州デジタル", "株式会社長崎観光サービス", 4, 0, 80_000),  # new: not in the base yet
]


def _subscriptions(actor: User) -> None:
    """Won subscriptions and their paid invoices, recorded through the same service as the CSV import."""
    from deals.services import apply_keys, customer_keys_for
    from incentives import invoices

    partners = {p.name: p for p in Partner.objects.filter(name__in={row[0] for row in SUBSCRIPTIONS})}
    today = timezone.localdate()
    rows = []
    for partner_name, customer, won_ago, stopped_ago, fee in SUBSCRIPTIONS:
        partner = partners.get(partner_name)
        if partner is None:
            continue
        won = _month(-won_ago) + timedelta(days=4)
        deal = DealRegistration(
            partner=partner, customer_name=customer, amount=fee * 12, expected_close=won, stage="won",
            won_amount=fee * 12, won_on=won, closed_at=timezone.make_aware(timezone.datetime(won.year, won.month, won.day, 15)),
            registered_at=timezone.make_aware(timezone.datetime(won.year, won.month, 1, 10)) - timedelta(days=40))
        apply_keys(deal, customer_keys_for(customer, "", ""))
        deal.save()
        for ago in range(won_ago - 1, stopped_ago - 1, -1):
            paid_on = _month(-ago) + timedelta(days=24)
            if paid_on <= today:
                rows.append({"deal_number": deal.pk, "paid_on": paid_on, "amount": fee,
                             "reference": f"INV-{paid_on:%Y%m}-{deal.pk:05d}"})
    if rows:
        invoices.invoice_payments_import(rows, actor=actor, description="demo")


def seed(*, admin: User, managers: list[User]) -> None:
    if Plan.objects.exists():
        return
    rules = IncentiveSettings.current()
    rules.company_name = "株式会社ミライクラウド"
    rules.invoice_number = "T" + corporate_number(777)
    rules.address = "東京都千代田区丸の内1-1-1"
    rules.transfer_client_code, rules.transfer_client_name = "1234567890", "ｶ)ﾐﾗｲｸﾗｳﾄﾞ"
    # The paying bank and branch as the 全銀 registry names them (三菱UFJ銀行 本店).
    rules.transfer_bank_code, rules.transfer_bank_name = "0005", japan.bank_entry("0005").kana[:15]
    rules.transfer_branch_code, rules.transfer_branch_name = "001", japan.branch_entry("0005", "001").kana[:15]
    rules.transfer_account_number = "7654321"
    rules.save()
    reseller = json.loads((settings.BASE_DIR / "incentives" / "examples" / "reseller-fy2026.json").read_text())
    for document in (reseller, REFERRAL_PLAN, SPIF_PLAN):
        plan = Plan.objects.create(code=document["code"], name=document["name"])
        runs.plan_publish(plan=plan, document=document, actor=admin)
    partners = {p.name: p for p in Partner.objects.all()}
    # A recurring subscription paid monthly, and an early cancellation to claw back.
    subscription = DealRegistration.objects.filter(stage="won", partner__partner_type="resale").order_by("won_on").first()
    if subscription is not None:
        for n in range(3):
            paid_on = subscription.won_on + timedelta(days=30 * (n + 1))
            if paid_on <= timezone.localdate():
                InvoicePayment.objects.create(deal=subscription, paid_on=paid_on, amount=200_000,
                                              reference=f"INV-{subscription.pk}-{n + 1:02d}", recorded_by=managers[0])
    _subscriptions(managers[0])
    # A referral whose customer cancelled five weeks after signing: the clawback turns the
    # partner's month negative, and the balance is carried into its next payout (次回相殺).
    nextlink = partners["合同会社ネクストリンク"]
    won = _month(-2) + timedelta(days=9)
    DealRegistration.objects.create(
        partner=nextlink, customer_name="株式会社キャンセル商事", name_key="キャンセル商事", amount=3_000_000,
        expected_close=won, stage="cancelled", won_amount=3_000_000, won_on=won,
        registered_at=timezone.make_aware(timezone.datetime(won.year, won.month, 1, 10)),
        closed_at=timezone.make_aware(timezone.datetime(won.year, won.month, won.day, 10) + timedelta(days=35)))
    CreditLimit.objects.get_or_create(partner=partners["株式会社北斗情報サービス"], defaults={"limit": 20_000_000})
    CreditLimit.objects.get_or_create(partner=partners["株式会社さくらシステムズ"], defaults={"limit": 10_000_000})
    # MDF: one activity claimed with a receipt, one waiting for approval.
    sakura_admin = User.objects.filter(partner_membership__partner=partners["株式会社さくらシステムズ"],
                                       role="partner_admin").first()
    if sakura_admin is not None:
        seminar = mdf.request_create(partner=partners["株式会社さくらシステムズ"], actor=sakura_admin,
                                     activity="情報システム部門向け共同セミナー（東京）", description="来場目標60名",
                                     starts_on=_month(-2), ends_on=_month(-2) + timedelta(days=20), budget=400_000,
                                     expected_leads=25)
        mdf.request_decide(request=seminar, actor=managers[0], approve=True, amount=350_000)
        claim = MdfClaim(request=seminar, amount=320_000, leads=31, submitted_by=sakura_admin)
        claim.proof.save("seminar-receipt.pdf", ContentFile(RECEIPT), save=False)
        claim.save()
        MdfRequest.objects.filter(pk=seminar.pk).update(status="claimed")
        mdf.request_create(partner=partners["株式会社さくらシステムズ"], actor=sakura_admin, activity="展示会出展（大阪）",
                           starts_on=_month(1), ends_on=_month(1) + timedelta(days=2), budget=600_000, expected_leads=40)
    # Three months of runs and payouts: paid, approved/held, and in review.
    for offset in (-3, -2, -1):
        runs.run_execute(runs.run_start(period=_month(offset), actor=managers[0]).pk)
        built = payouts.payouts_build(period=_month(offset), actor=managers[0])
        for n, payout in enumerate(built):
            if payout.status != Payout.Status.REVIEW:
                continue
            if offset == -3 or (offset == -2 and n % 3 != 2):
                payouts.payout_approve(payout=payout, actor=managers[0])
                if offset == -3:
                    payouts.payout_mark_paid(payout=payout, actor=admin)
            elif offset == -2:
                payouts.payout_hold(payout=payout, actor=managers[0])
