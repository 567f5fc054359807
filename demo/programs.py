"""Demo tiers: partners at every tier, one in a downgrade grace period, one about to go up."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from deals import services as deal_services
from deals.models import DealRegistration
from partners.models import Contact, ContactSignal, Partner, SignalKind
from partners.services import contact_stages_recompute
from programs import services
from programs.models import PartnerTier

# partner → (won deals in ¥ within the year, certified reps, extra registered deals, active contacts)
PROFILE = {
    "株式会社北斗情報サービス": ([8_000_000, 9_500_000, 7_200_000, 6_800_000], 3, 6, 3),
    "株式会社さくらシステムズ": ([4_800_000, 3_600_000, 3_000_000], 2, 8, 2),
    "税理士法人中央会計": ([2_400_000, 1_800_000], 1, 2, 1),
    "東和ソリューションズ株式会社": ([3_300_000], 1, 1, 1),
    "株式会社ワークスタイル研究所": ([3_600_000], 1, 1, 0),
    "株式会社九州デジタル": ([], 0, 1, 1),
}


# The customers of these deals: real-looking companies, none of them another demo customer (the tier story's deals
# conflict with nobody's).
CUSTOMER_NAMES = (
    "あさひ精密工業株式会社", "株式会社東邦ロジテック", "北陸ファーマ株式会社", "株式会社瀬戸内建機", "湘南ホールディングス株式会社",
    "株式会社信州食品工業", "丸和交通株式会社", "株式会社大和電設", "株式会社日の出製薬", "みちのくシステム開発株式会社",
    "株式会社房総マリン", "有限会社さつま酒造", "株式会社常磐ケミカル", "びわ湖観光株式会社", "株式会社阿蘇ファーム",
    "株式会社武蔵野ベーカリー", "医療法人社団いずみ会", "株式会社紀州木材", "株式会社南部鉄器工房", "株式会社若狭水産",
    "株式会社飛騨家具製作所", "株式会社出羽米穀", "株式会社播磨鉄工", "株式会社土佐ロジスティクス", "株式会社美濃陶業",
    "株式会社上州ハウジング", "株式会社安曇野エナジー", "株式会社遠州オートパーツ", "株式会社伊予テキスタイル",
    "株式会社丹後シルク", "株式会社隠岐マリンサービス", "株式会社奥多摩クリニック", "株式会社筑紫ロジ", "株式会社薩摩ホテルズ",
)


def _customers():
    """The names of CUSTOMER_NAMES not taken yet, in order, with their matcher keys."""
    taken = set(DealRegistration.objects.values_list("name_key", flat=True))
    for name in CUSTOMER_NAMES:
        keys = deal_services.customer_keys_for(name, "", "")
        if keys.name_key not in taken:
            taken.add(keys.name_key)
            yield name, keys


def _deal(partner: Partner, customers, **fields) -> DealRegistration:
    name, keys = next(customers)
    deal = DealRegistration(partner=partner, customer_name=name, **fields)
    deal_services.apply_keys(deal, keys)
    deal.save()
    return deal


def _won(partner: Partner, amount: int, days_ago: int, customers) -> DealRegistration:
    day = timezone.localdate() - timedelta(days=days_ago)
    return _deal(partner, customers, amount=amount, expected_close=day, stage="won", won_amount=amount, won_on=day,
                 registered_at=timezone.now() - timedelta(days=days_ago + 45), expires_on=day)


def certified_rep_count() -> int:
    """The portal users seed() makes: one per certified rep of PROFILE."""
    return sum(certified for _wins, certified, _registered, _active in PROFILE.values())


def _certified_rep(partner: Partner, contact: Contact, n: int, issued) -> None:
    """A certified rep as every screen counts one (enablement's certified_reps): a portal user of the partner
    holding a valid certification, with the signal the award records. A certification signal alone, as the
    demo made before, counted on the programme page but nowhere else."""
    from demo.enablement import CERTIFICATIONS
    from enablement.models import Certification, CertificationAward
    from partners.models import PartnerMembership
    from partners.services import signal_record
    from prm.accounts.models import Role, User

    code, name, description, months, _requires = CERTIFICATIONS[0]
    certification, _created = Certification.objects.get_or_create(
        code=code, defaults={"name": name, "description": description, "validity_months": months})
    user = User.objects.create_user(f"certified-{n + 1}@p{partner.pk}.demo-reps.example", full_name=contact.full_name,
                                    role=Role.PARTNER_REP)
    PartnerMembership.objects.create(user=user, partner=partner)
    contact.user = user
    contact.save(update_fields=["user"])
    award = CertificationAward.objects.create(
        certification=certification, user=user, partner=partner, holder_name=contact.full_name, issued_at=issued,
        expires_at=issued + timedelta(days=30 * months))
    signal_record(partner=partner, contact=contact, kind=SignalKind.CERTIFIED, occurred_at=issued,
                  source=f"enablement.CertificationAward:{award.pk}")


def seed() -> None:
    if PartnerTier.objects.exists():
        return
    partners = {p.name: p for p in Partner.objects.filter(name__in=PROFILE)}
    now = timezone.now()
    customers = _customers()
    aging: list[int] = []  # the wins that leave the 12-month window
    for name, (wins, certified, registered, active) in PROFILE.items():
        partner = partners.get(name)
        if partner is None:
            continue
        days = 340 if name == "株式会社ワークスタイル研究所" else 30
        won = [_won(partner, amount, days + n * 25, customers).pk for n, amount in enumerate(wins)]
        if name == "株式会社ワークスタイル研究所":
            aging += won
        for _n in range(registered):
            _deal(partner, customers, amount=1_000_000, expected_close=timezone.localdate() + timedelta(days=60),
                  stage="approved", expires_on=timezone.localdate() + timedelta(days=60))
        contacts = list(Contact.objects.filter(partner=partner, user__isnull=True).order_by("pk"))
        for n, contact in enumerate(contacts[: certified]):
            _certified_rep(partner, contact, n, now - timedelta(days=60))
        for contact in contacts[: active]:
            ContactSignal.objects.create(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED,
                                         occurred_at=now - timedelta(days=5))
    contact_stages_recompute()
    services.evaluate()
    # Time passes: ワークスタイル研究所's wins leave the 12-month window, so its downgrade grace period starts.
    workstyle = partners.get("株式会社ワークスタイル研究所")
    if workstyle is not None:
        DealRegistration.objects.filter(pk__in=aging).update(won_on=timezone.localdate() - timedelta(days=400))
        services.evaluate(partner_ids=[workstyle.pk])
    # 九州デジタル just won a deal that takes it past Silver's revenue: the next evaluation moves it up
    # (the console's "next evaluation" preview shows it).
    kyushu = partners.get("株式会社九州デジタル")
    if kyushu is not None:
        _won(kyushu, 1_200_000, 2, customers)
