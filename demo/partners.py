"""Demo data for Planning, Recruiting and Onboarding. Deterministic and idempotent."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from partners import japan, services
from partners.models import (
    Activity,
    AgreementKind,
    ApplicationStatus,
    BusinessPlan,
    ContactRole,
    ContactSignal,
    EventKind,
    Partner,
    PartnerApplication,
    SignalKind,
    Stage,
)
from prm.accounts.models import Role, User

# name → (stage, prefectures, industries, parent name, scores)
PROFILES: dict[str, tuple] = {
    "株式会社さくらシステムズ": ("retention", ["13", "14", "11"], ["sier", "it"], "株式会社北斗情報サービス", (5, 4, 4, 4)),
    "東和ソリューションズ株式会社": ("activation", ["27", "28", "26"], ["sier"], None, (4, 5, 3, 3)),
    "株式会社北斗情報サービス": ("retention", ["01", "02", "04"], ["it", "office_equipment"], None, (4, 4, 5, 5)),
    "株式会社みなと商事": ("onboarding", ["14"], ["office_equipment", "retail"], "株式会社北斗情報サービス", (3, 3, 3, 2)),
    "合同会社ネクストリンク": ("activation", ["13"], ["consulting"], None, (3, 4, 4, 2)),
    "株式会社アオバITパートナーズ": ("onboarding", ["04", "06"], ["it"], None, (3, 3, 3, 3)),
    "税理士法人中央会計": ("retention", ["13", "12"], ["accounting"], None, (5, 5, 3, 2)),
    "株式会社ひかりネットワークス": ("dormant", ["23"], ["it"], None, (2, 3, 2, 3)),
    "株式会社九州デジタル": ("activation", ["40", "41", "43"], ["it", "sier"], None, (4, 3, 4, 4)),
    "株式会社はかたテック": ("onboarding", ["40"], ["it"], "株式会社九州デジタル", (3, 3, 2, 2)),
    "株式会社ミドリ総研": ("recruiting", ["13"], ["consulting"], None, (4, 4, 4, 3)),
    "株式会社大阪ビジネスサポート": ("activation", ["27"], ["hr", "office_equipment"], None, (3, 4, 3, 3)),
    "株式会社コスモ電子": ("recruiting", ["23", "22"], ["manufacturing"], None, (2, 4, 3, 4)),
    "株式会社ワークスタイル研究所": ("retention", ["13"], ["hr", "consulting"], None, (4, 5, 4, 2)),
    "株式会社札幌クラウドサービス": ("onboarding", ["01"], ["it"], "株式会社北斗情報サービス", (3, 3, 3, 3)),
    "株式会社いろは経営コンサルティング": ("prospect", ["26", "27"], ["consulting", "accounting"], None, (4, 5, 4, 2)),
    "株式会社シンセイ情報システム": ("prospect", ["15", "20"], ["sier"], None, (3, 4, 3, 4)),
    "株式会社名古屋オフィスソリューション": ("prospect", ["23", "21"], ["office_equipment"], None, (5, 3, 2, 5)),
    "株式会社アスカ・データ": ("applied", ["29"], ["it"], None, (2, 3, 3, 2)),
    "株式会社ユニバーサル人事": ("prospect", ["13", "14"], ["hr"], None, (5, 5, 3, 3)),
    "株式会社フジミ通信": ("terminated", ["19"], ["retail"], None, (1, 2, 2, 2)),
    "株式会社ベイサイドシステム": ("activation", ["14"], ["sier"], None, (3, 4, 3, 4)),
    "株式会社トライアングル": ("onboarding", ["13"], ["consulting"], None, (3, 3, 4, 2)),
    "株式会社仙台ITサービス": ("prospect", ["04"], ["it"], None, (2, 3, 2, 3)),
    "株式会社ゼニス会計システム": ("recruiting", ["13"], ["accounting", "it"], None, (4, 4, 3, 3)),
    "株式会社サンライズ・マーケティング": ("activation", ["13", "27"], ["consulting"], None, (3, 3, 4, 3)),
    "株式会社広島ビジネスマシン": ("prospect", ["34", "35"], ["office_equipment"], None, (4, 2, 3, 4)),
    "有限会社やまびこ事務機": ("dormant", ["10"], ["office_equipment"], None, (2, 2, 2, 2)),
    "株式会社ソラリス・コンサルティング": ("prospect", ["13"], ["consulting"], None, (3, 5, 5, 1)),
    "株式会社京都システム開発": ("onboarding", ["26"], ["sier"], None, (4, 4, 3, 3)),
}

SURNAMES = ["佐々木", "山本", "中島", "石井", "小川", "前田", "岡田", "長谷川", "藤田", "後藤", "近藤", "村上", "遠藤",
            "青木", "坂本", "斉藤", "福田", "太田", "西村", "藤井"]
SURNAMES_KANA = ["ササキ", "ヤマモト", "ナカジマ", "イシイ", "オガワ", "マエダ", "オカダ", "ハセガワ", "フジタ", "ゴトウ",
                 "コンドウ", "ムラカミ", "エンドウ", "アオキ", "サカモト", "サイトウ", "フクダ", "オオタ", "ニシムラ", "フジイ"]
GIVEN = [("健太", "ケンタ"), ("美穂", "ミホ"), ("拓也", "タクヤ"), ("恵", "メグミ"), ("翔", "ショウ"), ("由佳", "ユカ"),
         ("大樹", "ダイキ"), ("真理子", "マリコ"), ("亮", "リョウ"), ("千尋", "チヒロ")]
BANKS = [("0001", "みずほ銀行", "東京営業部", "001"), ("0005", "三菱UFJ銀行", "本店", "001"),
         ("0009", "三井住友銀行", "東京営業部", "015"), ("0010", "りそな銀行", "東京営業部", "101")]
SIGNED = {Stage.ONBOARDING, Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT}


def corporate_number(seed: int) -> str:
    base = f"{(seed * 7919 + 1_000_000_000) % 10**12:012d}"
    return f"{japan.corporate_number_check_digit(base)}{base}"


def seed(*, admin: User, managers: list[User]) -> None:
    rng = random.Random(2026)
    now = timezone.now()
    partners = {p.name: p for p in Partner.objects.all()}
    for index, (name, profile) in enumerate(PROFILES.items()):
        partner = partners.get(name)
        if partner is None or partner.corporate_number:
            continue
        stage, prefectures, industries, _parent, scores = profile
        number = corporate_number(index + 1)
        bank = BANKS[index % len(BANKS)]
        fields = {
            "corporate_number": number, "invoice_number": "T" + number, "prefectures": prefectures,
            "industries": industries, "owner": managers[index % len(managers)],
            "score_customer_overlap": scores[0], "score_core_business": scores[1],
            "score_characteristics": scores[2], "score_sales_capacity": scores[3],
            "website": f"https://www.partner{index + 1:02d}.example.jp",
            "phone": f"03-{5000 + index:04d}-{1000 + index * 7:04d}",
            "co_selling_model": ["door_opener", "cross_sell", "oem"][index % 3] if stage != Stage.PROSPECT else "",
        }
        if stage in SIGNED:
            fields |= {"bank_code": bank[0], "bank_name": bank[1], "branch_name": bank[2], "branch_code": bank[3],
                       "account_type": "1", "account_number": f"{1234500 + index:07d}",
                       "account_holder": partner.name_kana.replace("カブシキガイシャ", "") or "パートナー",
                       "co_creation_benefit": "既存顧客への提案商材を拡充し、保守・導入支援で継続収益を得る。"}
        services.partner_update(partner=partner, actor=admin, **fields)
        _contacts(partner, index, rng)
    for name, profile in PROFILES.items():
        parent_name = profile[3]
        if parent_name and name in partners and partners[name].parent_id is None:
            services.partner_update(partner=partners[name], actor=admin, parent=partners[parent_name])
    for index, (name, profile) in enumerate(PROFILES.items()):
        partner = partners.get(name)
        if partner is None or partner.agreements.exists():
            continue
        _lifecycle(partner, profile[0], index, admin, now, rng)
    _applications()
    services.contact_stages_recompute()
    _age_history(now)


def _age_history(now) -> None:
    """Spread each partner's seeded history over the past year, as if it had happened then."""
    from partners.models import ChecklistItem, PartnerEvent

    # By the story's stage, not the stage the rules derive later (seeding again must change nothing).
    settled = [name for name, profile in PROFILES.items() if profile[0] in (Stage.ACTIVATION, Stage.RETENTION, Stage.DORMANT)]
    for partner in Partner.objects.filter(name__in=settled):
        done = now - timedelta(days=200)
        for item in ChecklistItem.objects.filter(partner=partner, auto_event="", completed_at__isnull=True):
            item.completed_at, item.completed_by = done, partner.owner
            item.save(update_fields=["completed_at", "completed_by"])
            # the timeline shows the item done on the day the checklist does
            services.event_record(partner, EventKind.CHECKLIST_DONE, actor=partner.owner, item=item.title,
                                  automatic=False, occurred_at=done)
    for partner in Partner.objects.all():
        # Checklist events already carry the day the item was done: they keep it.
        events = list(PartnerEvent.objects.filter(partner=partner, occurred_at__gte=now - timedelta(hours=1),
                                                  activity__isnull=True).exclude(kind=EventKind.CHECKLIST_DONE)
                      .order_by("id"))
        if not events:
            continue
        step = timedelta(days=300) / max(len(events), 1)
        for position, event in enumerate(events):
            event.occurred_at = now - timedelta(days=300) + step * position
        PartnerEvent.objects.bulk_update(events, ["occurred_at"])


def _contacts(partner: Partner, index: int, rng: random.Random) -> None:
    if partner.contacts.exclude(user__isnull=False).exists():
        return
    count = 2 + index % 5
    for n in range(count):
        surname = (index * 3 + n) % len(SURNAMES)
        given, given_kana = GIVEN[(index + n * 3) % len(GIVEN)]
        role = ContactRole.DECISION_MAKER if n == 0 else ContactRole.SALES_MANAGER if n == 1 else ContactRole.REP
        services.contact_save(
            partner=partner, actor=None, full_name=f"{SURNAMES[surname]} {given}",
            full_name_kana=f"{SURNAMES_KANA[surname]} {given_kana}",
            email=f"contact{n + 1}@partner{index + 1:02d}.example.jp", phone="", department="営業部",
            title=["代表取締役", "営業部長", "営業担当"][min(n, 2)], role=role, is_key_person=n == 1, notes="",
        )


def _lifecycle(partner: Partner, stage: str, index: int, admin: User, now, rng: random.Random) -> None:
    started = now - timedelta(days=400 - index * 9)
    if stage in SIGNED or stage == Stage.RECRUITING:
        contacts = list(partner.contacts.all())
        signatory = contacts[0] if contacts else None
        kinds = list(AgreementKind.values)
        if stage == Stage.RECRUITING:
            kinds = kinds[: 1 + index % 3]
        for kind in kinds:
            details = {
                AgreementKind.BUSINESS_GOAL: {"goal_3y": 300_000_000, "targets": [30_000_000, 100_000_000, 170_000_000]},
                AgreementKind.PROGRAM: {"starting_tier": "シルバー", "homework": "認定資格1名取得・リード登録10件（90日以内）"},
                AgreementKind.CONTRACT: {"margin_percent": "20", "payment_terms": "月末締め翌月末払い", "nda": True,
                                         "prohibited_acts": "競合製品との抱き合わせ販売の禁止"},
            }.get(kind, {})
            services.agreement_record(partner=partner, kind=kind, agreed_on=(started + timedelta(days=20)).date(),
                                      actor=admin, signatory=signatory,
                                      summary="共同提案により既存顧客の業務効率化を実現する。" if kind == "co_creation" else "",
                                      details=details)
    if stage in SIGNED:
        services.partner_set_stage(partner=partner, stage=stage, actor=admin)
        _signals(partner, stage, now, rng)
        if not Activity.objects.filter(partner=partner).exists():
            _activities(partner, admin, now)
        if not BusinessPlan.objects.filter(partner=partner).exists():
            year = services.fiscal_year_of(timezone.localdate())
            services.plan_save(partner=partner, fiscal_year=year, actor=admin, revenue_target=24_000_000 + index * 1_000_000,
                               deals_target=12, leads_target=40, active_contacts_target=4, certified_target=3,
                               initiatives="四半期ごとの共同セミナー開催、導入事例の共同制作")
    elif stage in (Stage.APPLIED, Stage.TERMINATED, Stage.RECRUITING):
        services.partner_set_stage(partner=partner, stage=stage, actor=admin)


def _signals(partner: Partner, stage: str, now, rng: random.Random) -> None:
    if ContactSignal.objects.filter(partner=partner).exists():
        return
    contacts = list(partner.contacts.all())
    strength = {Stage.RETENTION: 3, Stage.ACTIVATION: 2, Stage.ONBOARDING: 1, Stage.DORMANT: 0}[stage]
    for n, contact in enumerate(contacts):
        if n < strength + 1:  # a dormant partner's people last signed in more than half a year ago
            days = rng.randint(190, 300) if stage == Stage.DORMANT else rng.randint(1, 20)
            services.signal_record(partner=partner, contact=contact, kind=SignalKind.PORTAL_LOGIN,
                                   occurred_at=now - timedelta(days=days))
        if n < strength:
            services.signal_record(partner=partner, contact=contact, kind=SignalKind.TRAINING_COMPLETED,
                                   occurred_at=now - timedelta(days=rng.randint(30, 200)))
        if n < strength - 1:
            services.signal_record(partner=partner, contact=contact, kind=SignalKind.CERTIFIED,
                                   occurred_at=now - timedelta(days=rng.randint(20, 150)))
            services.signal_record(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED,
                                   occurred_at=now - timedelta(days=rng.randint(1, 60)))
        if stage == Stage.DORMANT and n == 0:
            services.signal_record(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED,
                                   occurred_at=now - timedelta(days=200))
    if strength >= 2:
        for _won in range(strength * 2):
            services.signal_record(partner=partner, contact=contacts[0] if contacts else None, kind=SignalKind.DEAL_WON,
                                   occurred_at=now - timedelta(days=rng.randint(1, 150)),
                                   amount=rng.choice([1_200_000, 2_400_000, 3_600_000, 4_800_000]))


def _activities(partner: Partner, admin: User, now) -> None:
    contacts = list(partner.contacts.all()[:2])
    owner = partner.owner or admin
    services.activity_log(partner=partner, actor=owner, kind="kickoff", subject="キックオフミーティング",
                          occurred_at=now - timedelta(days=90), contacts=contacts, staff=[owner],
                          notes="プログラム概要と初期の宿題（認定資格・リード登録）を確認。",
                          next_actions="営業担当者向け勉強会の日程調整", next_action_due=(now - timedelta(days=80)).date())
    services.activity_log(partner=partner, actor=owner, kind="regular_meeting", subject="定例会（隔週）",
                          occurred_at=now - timedelta(days=6), contacts=contacts, staff=[owner],
                          notes="パイプラインの確認。大型案件2件の商談同行を調整中。",
                          next_actions="提案書テンプレートの共有", next_action_due=(now + timedelta(days=7)).date())


APPLICATIONS = [
    ("株式会社グリーンフィールド", "グリーンフィールド", "resale", "松本 直子", "matsumoto@greenfield.example.jp",
     ApplicationStatus.PENDING, ""),
    ("ブルーオーシャン合同会社", "ブルーオーシャン", "referral", "井上 隆", "inoue@blueocean.example.jp", ApplicationStatus.PENDING, ""),
    ("株式会社テクノ北陸", "テクノホクリク", "solution", "木村 亜希", "kimura@techno-hokuriku.example.jp", ApplicationStatus.PENDING, ""),
    ("株式会社スピード販売", "スピードハンバイ", "agency", "林 大介", "hayashi@speed.example.jp", ApplicationStatus.REJECTED,
     "対象地域・顧客層が既存パートナーと重複するため、今回は見送り。"),
]


def _applications() -> None:
    for index, (company, kana, kind, name, email, status, reason) in enumerate(APPLICATIONS):
        if PartnerApplication.objects.filter(contact_email=email).exists():
            continue
        PartnerApplication.objects.create(
            company_name=company, company_name_kana=kana, corporate_number=corporate_number(100 + index),
            partner_type=kind, prefectures=["13"], industries=["it"], contact_name=name, contact_email=email,
            contact_title="営業部長", message="貴社製品を既存顧客向けに提案したく、パートナー制度に応募します。",
            status=status, rejection_reason=reason,
            submitted_at=timezone.now() - timedelta(days=3 + index * 2),
            reviewed_at=timezone.now() - timedelta(days=1) if status != ApplicationStatus.PENDING else None,
            reviewed_by=User.objects.filter(role=Role.CHANNEL_MANAGER).first() if status != ApplicationStatus.PENDING else None,
        )

