"""Demo partner health: a year of deals, leads and portal sign-ins behind the dashboards, partners entering
their stages over that year, and 90 days of health history replayed from that data, so that every trend,
mover and alert has a cause a channel manager can find on the partner's page.

The stories, as the scores tell them:
- さくらシステムズ, 北斗情報サービス, 中央会計 and ネクストリンク stay healthy;
- 九州デジタル (about to go up a tier as well), 京都システム開発 and サンライズ・マーケティング (new partners
  whose first deals came in the last three months), ベイサイドシステム and 東和ソリューションズ improve;
- ワークスタイル研究所 slides from healthy to at risk: no deal for two months, no win for over a year (its tier
  is in its downgrade grace period), and five days ago its admin's last sign-in left the 30-day window;
- 大阪ビジネスサポート goes dormant today: its last deal and its people's last leads were 90 days ago, and its
  admin last signed in 30 days ago (its other rep never has);
- ひかりネットワークス, やまびこ事務機 and the onboarding partners without a deal stay dormant.

Runs after every other demo module, because it reads what they made, and only once: nothing happens when
the vendor already has health snapshots.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial

from allauth.account.models import EmailAddress
from django.db import connection, transaction
from django.db.models import F, Min, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from deals import services as deal_services
from deals.models import DealEvent, DealRegistration, Product
from demo import data as demo_data
from enablement.models import AnnouncementRead, ContentAccess, QuizAttempt
from insights.health import metrics, scoring
from insights.health.models import HealthAlert, HealthRun, HealthScore, HealthSettings, HealthSnapshot
from insights.health.services import alerts_send, recalculate, rules_of
from partners import services
from partners.models import (
    Agreement,
    Contact,
    ContactSignal,
    EventKind,
    Partner,
    PartnerEvent,
    PartnerMembership,
    SignalKind,
    Stage,
)
from prm.accounts.models import User
from prm.notifications.models import Notification

HISTORY_DAYS = 90
# Rows the other demo modules stamp with the moment of seeding; the replay spreads them over the month before.
SEEDED_WITHIN = timedelta(hours=2)


@dataclass(frozen=True)
class DealPlan:
    first_after_days: int  # from joining the programme to the first registered deal (time to first deal)
    per_month: float  # registrations in an ordinary month
    trend: str  # "steady", "rising" (quiet until about 100 days ago, busier since) or "quiet" (stopped)
    quiet_days: float  # "quiet": days since the last registration
    win_rate: float
    # Most this history adds to the partner's won revenue of the last 12 months (¥M), so that the tier
    # demo.programs gave it still fits (its next evaluation changes nothing); None: no limit.
    won_cap: float | None = None


DEALS = {
    "株式会社北斗情報サービス": DealPlan(18, 3.2, "steady", 0, 0.5),
    "株式会社さくらシステムズ": DealPlan(24, 2.4, "steady", 0, 0.45, won_cap=14),
    "税理士法人中央会計": DealPlan(31, 2.0, "steady", 0, 0.55, won_cap=3.5),
    # Registered steadily without winning, then stopped two months ago.
    "株式会社ワークスタイル研究所": DealPlan(40, 2.5, "quiet", 60, 0.0),
    "東和ソリューションズ株式会社": DealPlan(66, 1.2, "steady", 0, 0.35, won_cap=5.5),
    "合同会社ネクストリンク": DealPlan(44, 1.7, "steady", 0, 0.3, won_cap=2),
    "株式会社九州デジタル": DealPlan(88, 1.6, "rising", 0, 0.4),  # about to go up anyway (demo.programs)
    # Its last deal was registered just over 90 days ago: today it leaves the deals window.
    "株式会社大阪ビジネスサポート": DealPlan(63, 1.6, "quiet", 90.15, 0.3, won_cap=2.5),
    "株式会社ベイサイドシステム": DealPlan(80, 0.8, "steady", 0, 0.25, won_cap=2),
    "株式会社サンライズ・マーケティング": DealPlan(71, 2.0, "steady", 0, 0.5, won_cap=2),
    "株式会社京都システム開発": DealPlan(58, 1.0, "rising", 0, 0.3, won_cap=2),  # new: first deals two months ago
}

# user → (first sign-in, days ago; last sign-in, days ago; sign-ins a week; "steady", "rising" or "falling").
# Everyone also signs in on the days they used the portal (library, announcements, quizzes).
SIGN_INS = {
    "tanaka@sakura-systems.example": (360, 0.1, 3.0, "steady"),
    "yamada@sakura-systems.example": (330, 0.2, 2.5, "steady"),
    "ito@sakura-systems.example": (200, 0.3, 1.2, "rising"),
    "kobayashi@hokuto-is.example": (355, 0.1, 3.5, "steady"),
    "watanabe@hokuto-is.example": (350, 2, 1.2, "steady"),
    "nakamura@nextlink.example": (340, 0.4, 1.5, "rising"),
    "kato@towa-sol.example": (300, 0.25, 2.0, "rising"),
    "matsuda@kyushu-digital.example": (290, 0.2, 2.0, "rising"),
    "nishida@kyushu-digital.example": (45, 1, 2.0, "steady"),
    "mori@workstyle-lab.example": (250, 35, 1.5, "falling"),
    "ishikawa@chuo-kaikei.example": (320, 1, 1.5, "steady"),
    # Signed in last just over 30 days ago: today the sign-ins window no longer sees it.
    "ueda@osaka-bs.example": (270, 30.1, 1.5, "falling"),
    "okamoto@kyoto-sysdev.example": (115, 0.5, 2.5, "steady"),
    "shimizu@hikari-net.example": (310, 72, 1.0, "falling"),
    "kondo@bayside-sys.example": (185, 3, 0.8, "steady"),
}

TYPE_AMOUNTS = {  # registered amounts by partner type, in units of ¥100,000
    "referral": (6, 24), "agency": (8, 30), "resale": (12, 48), "distributor": (20, 90), "solution": (15, 60),
    "oem": (30, 120), "alliance": (10, 40),
}
PLACES = ["青山", "赤坂", "浅草", "芦屋", "熱海", "伊勢", "出雲", "一宮", "今治", "宇都宮", "浦和", "大津", "岡崎",
          "小樽", "尾道", "柏", "金沢", "鎌倉", "川越", "岐阜", "釧路", "熊本", "倉敷", "甲府", "郡山", "堺", "佐賀",
          "佐世保", "静岡", "下関", "高松", "高崎", "立川", "千葉", "つくば", "富山", "豊橋", "長岡", "長崎", "奈良",
          "新潟", "西宮", "函館", "八王子", "浜松", "姫路", "福井", "福山", "藤沢", "前橋", "松江", "松本", "松山",
          "水戸", "宮崎", "盛岡", "山形", "横須賀", "四日市", "和歌山"]
TRADES = ["精機", "物流", "食品", "建設", "メディカル", "不動産", "商事", "製作所", "運輸", "電機", "工業", "フーズ",
          "化学", "印刷", "設備", "産業", "ライフケア", "テクノ", "ホテルズ", "ドラッグ"]
DEPARTMENTS = ["情報システム部", "総務部", "人事部", "経理部", "管理本部"]


class _Undo(Exception):
    """Raised to roll the replay's time travel back."""


def seed() -> None:
    if HealthSnapshot.objects.exists():
        return
    now = timezone.now()
    _users(now)
    joined = _stage_history(now)
    _deal_history(joined, now)
    _sign_ins(now)
    _mdf_history(now)
    services.contact_stages_recompute(now=now)
    _health_history(now)
    # Today's scores come from the data through the real path; a fall since yesterday alerts the owner.
    recalculate(now=now)


# --------------------------------------------------------------------------- people


def _users(now: datetime) -> None:
    """Portal accounts of partners that the earlier modules leave without one (see demo.data.HEALTH_USERS)."""
    partners = {partner.name: partner for partner in Partner.objects.all()}
    for email, full_name, kana, role, partner_name in demo_data.HEALTH_USERS:
        first = SIGN_INS.get(email, (120,))[0]  # invited 120 days ago if it never signed in
        user, created = User.objects.get_or_create(email=email, defaults={
            "full_name": full_name, "full_name_kana": kana, "role": role,
            "date_joined": now - timedelta(days=first, hours=2)})
        if created:
            user.set_password(demo_data.DEMO_PASSWORD)
            user.save(update_fields=["password"])
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
        PartnerMembership.objects.get_or_create(user=user, defaults={"partner": partners[partner_name]})
        contact = services.contact_link_user(user=user)
        if created and contact is not None:  # the account made the contact reachable when it was opened
            PartnerEvent.objects.filter(kind=EventKind.CONTACT_STAGE, data__contact=contact.pk,
                                        occurred_at__gte=now).update(occurred_at=user.date_joined)


# --------------------------------------------------------------------------- the lifecycle over the year


def _at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _stage_history(now: datetime) -> dict[int, datetime]:
    """Lay each signed partner's timeline out over the real year: it joined on the day of its agreements,
    became active with its first deal and moved on later. The order of its events does not change.

    Returns when each signed partner joined the programme.
    """
    joined: dict[int, datetime] = {}
    agreed = dict(Agreement.objects.values_list("partner").annotate(first=Min("agreed_on")))
    for partner in Partner.objects.signed().order_by("pk"):
        if partner.pk not in agreed:
            continue
        join = _at(agreed[partner.pk])
        joined[partner.pk] = join
        plan = DEALS.get(partner.name)
        # Checklist events keep the day the checklist shows the item done (one date for one event).
        events = list(PartnerEvent.objects.filter(partner=partner, activity__isnull=True,
                                                  occurred_at__lt=now - timedelta(days=1))
                      .exclude(kind=EventKind.CHECKLIST_DONE).order_by("occurred_at", "id"))
        programme = next((n for n, event in enumerate(events) if event.kind == EventKind.PROGRAM_JOINED), None)
        if programme is None:
            continue
        moments = _stage_moments(join, plan, now)
        before, after = events[:programme], events[programme + 1:]
        _spread(before, join - timedelta(days=150), join - timedelta(days=1))
        events[programme].occurred_at = join
        stage_events = [event for event in after if event.kind == EventKind.STAGE_CHANGED]
        _spread([event for event in after if event.kind != EventKind.STAGE_CHANGED], join + timedelta(days=1),
                now - timedelta(days=2))
        for event in stage_events:
            event.occurred_at = moments.get(event.data.get("stage"), join + timedelta(minutes=1))
            if (event.data.get("previous"), event.data.get("stage")) == (Stage.ONBOARDING, Stage.RETENTION) \
                    and Stage.ACTIVATION in moments:
                # It went through activation on the way: with its first deal.
                event.data = {**event.data, "previous": Stage.ACTIVATION}
                PartnerEvent.objects.create(partner=partner, kind=EventKind.STAGE_CHANGED, actor=event.actor,
                                            occurred_at=moments[Stage.ACTIVATION],
                                            data={"previous": Stage.ONBOARDING, "stage": Stage.ACTIVATION,
                                                  "reason": "", "cause": ""})
        PartnerEvent.objects.bulk_update(events, ["occurred_at", "data"])
    # Every partner has been in its stage since its timeline says so (the funnel's "days in stage"): since
    # its last change of stage, or a prospect since it was first recorded.
    timeline = PartnerEvent.objects.filter(partner=OuterRef("pk"))
    last_change = timeline.filter(kind=EventKind.STAGE_CHANGED).order_by("-occurred_at").values("occurred_at")[:1]
    first_seen = timeline.order_by("occurred_at").values("occurred_at")[:1]
    Partner.objects.update(stage_changed_at=Coalesce(Subquery(last_change), Subquery(first_seen),
                                                     F("stage_changed_at")))
    return joined


def _stage_moments(join: datetime, plan: DealPlan | None, now: datetime) -> dict[str, datetime]:
    moments = {Stage.ONBOARDING: join + timedelta(minutes=1)}
    if plan is not None:
        activation = join + timedelta(days=plan.first_after_days, hours=3)
        moments[Stage.ACTIVATION] = activation
        moments[Stage.RETENTION] = min(activation + timedelta(days=120), now - timedelta(days=45))
    # Dormant partners stalled in onboarding and were marked dormant after three quiet months.
    moments[Stage.DORMANT] = min(join + timedelta(days=200), now - timedelta(days=60))
    return moments


def _spread(events: list[PartnerEvent], start: datetime, end: datetime) -> None:
    """Keep the events' order, evenly between start and end."""
    if not events:
        return
    step = (end - start) / max(len(events), 1)
    for n, event in enumerate(events):
        event.occurred_at = start + step * n


# --------------------------------------------------------------------------- deals


def _customer_names(rng: random.Random) -> list[str]:
    taken = set(DealRegistration.objects.values_list("name_key", flat=True))
    names = []
    for place in PLACES:
        for trade in TRADES:
            name = f"株式会社{place}{trade}" if (len(place) + len(trade)) % 3 else f"{place}{trade}株式会社"
            if deal_services.customer_keys_for(name, "", "").name_key not in taken:
                names.append(name)
    rng.shuffle(names)
    return names


def _rng(name: str) -> random.Random:
    """Each partner and person draws its own numbers: tuning one story leaves the others as they were."""
    return random.Random(f"kyoso-health-{name}")


def _deal_history(joined: dict[int, datetime], now: datetime) -> None:
    """A year of registrations from each active partner's first deal: won, lost, expired and still open."""
    partners = {p.name: p for p in Partner.objects.filter(name__in=DEALS).select_related("owner")}
    products = list(Product.objects.order_by("code"))
    names = iter(_customer_names(_rng("customers")))
    today = timezone.localdate(now)
    deals: list[DealRegistration] = []
    leads: list[ContactSignal] = []
    for name, plan in DEALS.items():
        partner = partners.get(name)
        if partner is None or partner.pk not in joined:
            continue
        rng = _rng(name)
        people = list(Contact.objects.filter(partner=partner).select_related("user").order_by("pk"))
        signing_in = [(contact, *SIGN_INS[contact.user.email][:2]) for contact in people
                      if contact.user_id and contact.user.email in SIGN_INS]
        on_behalf = [contact for contact in people if not contact.user_id]  # registered by the vendor for them
        low, high = TYPE_AMOUNTS.get(partner.partner_type, (10, 40))
        first = joined[partner.pk] + timedelta(days=plan.first_after_days, hours=3)
        last = now - timedelta(days=plan.quiet_days) if plan.trend == "quiet" else now - timedelta(days=2)
        moments = [first, *_moments(first, last, plan, plan.per_month, rng)]
        if plan.trend == "quiet":
            moments.append(last)
        # Leads along the way (one and a half for every deal) by any of the partner's people; with the first
        # deal everybody brought a lead, and on a quiet partner's last busy day four of them did.
        moments_of_leads = _moments(first, last, plan, plan.per_month * 1.5, rng) if people else []
        turns = rng.sample(people, len(people))  # everybody's turn comes round
        leads += [ContactSignal(partner=partner, contact=turns[n % len(turns)], kind=SignalKind.LEAD_REGISTERED,
                                occurred_at=moment) for n, moment in enumerate(moments_of_leads)]
        leads += [ContactSignal(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED,
                                occurred_at=first + timedelta(hours=1)) for contact in people[:4]]
        if plan.trend == "quiet" and people:
            leads += [ContactSignal(partner=partner, contact=contact, kind=SignalKind.LEAD_REGISTERED,
                                    occurred_at=last - timedelta(hours=hours))
                      for contact, hours in zip(rng.sample(people, min(4, len(people))), (1, 2, 4, 5), strict=False)]
        mine: list[DealRegistration] = []
        for registered in sorted(moments):
            # Mostly a partner user who was signing in then; otherwise the vendor, for one of its contacts.
            users = [contact for contact, first_days, last_days in signing_in
                     if now - timedelta(days=first_days) <= registered <= now - timedelta(days=last_days)]
            sellers = users if users and (not on_behalf or rng.random() < 0.65) else on_behalf
            seller = rng.choice(sellers) if sellers else None
            amount = rng.randint(low, high) * 100_000
            deal = DealRegistration(
                partner=partner, registered_by=seller.user if seller and seller.user_id else None, contact=seller,
                customer_name=next(names), amount=amount, registered_at=registered,
                customer_contact_name=f"{rng.choice(DEPARTMENTS)} ご担当者",
                expected_close=timezone.localtime(registered).date() + timedelta(days=rng.randint(45, 120)),
                priority="holder", decision_reason="")
            if partner.partner_type in ("referral", "agency"):
                deal.role_proposal = deal.role_contract = deal.role_billing = "vendor"
            deal_services.apply_keys(deal, deal_services.customer_keys_for(deal.customer_name, "", ""))
            _close(deal, plan, partner.owner, now, today, rng)
            mine.append(deal)
        if plan.won_cap is not None:
            _cap_wins(mine, plan.won_cap * 1_000_000, today, rng)
        deals += mine
    DealRegistration.objects.bulk_create(deals)
    Through = DealRegistration.products.through
    Through.objects.bulk_create([Through(dealregistration_id=deal.pk, product_id=product.pk)
                                 for n, deal in enumerate(deals)
                                 for product in products[n % len(products): n % len(products) + 1 + n % 2]])
    events, signals = [], []
    for deal in deals:
        source = deal_services.signal_source(deal.pk)
        event = partial(DealEvent, deal=deal, partner_id=deal.partner_id)
        events.append(event(kind="registered", actor=deal.registered_by, occurred_at=deal.registered_at,
                            data={"priority": "holder"}))
        signals.append(ContactSignal(partner_id=deal.partner_id, contact=deal.contact, kind=SignalKind.DEAL_REGISTERED,
                                     occurred_at=deal.registered_at, source=source))
        if deal.decided_at:
            events.append(event(kind="approved", actor=deal.decided_by, occurred_at=deal.decided_at,
                                data={"reason": "", "expires_on": deal.expires_on.isoformat()}))
        if deal.stage in ("won", "lost"):
            events.append(event(kind="stage", actor=deal.decided_by, occurred_at=deal.closed_at,
                                data={"previous": "negotiation", "stage": deal.stage, "reason": "",
                                      "won_amount": deal.won_amount}))
        elif deal.stage == "expired":
            events.append(event(kind="expired", occurred_at=deal.closed_at,
                                data={"expires_on": deal.expires_on.isoformat()}))
        if deal.stage == "won":
            signals.append(ContactSignal(partner_id=deal.partner_id, contact=deal.contact, kind=SignalKind.DEAL_WON,
                                         occurred_at=deal.closed_at, amount=deal.won_amount, source=source))
    DealEvent.objects.bulk_create(events)
    ContactSignal.objects.bulk_create(signals + leads)


def _moments(first: datetime, last: datetime, plan: DealPlan, per_month: float, rng: random.Random) -> list[datetime]:
    """Working-hours moments between first and last, about `per_month` a month (shaped by the plan's trend),
    spaced regularly give or take a third: a partner's pace changes slowly."""
    moments = []
    day = timezone.localtime(first).date()
    while True:
        days_ago = (last - _at(day)).days
        rate = per_month * (_rising(days_ago) if plan.trend == "rising" else 1.0)
        day += timedelta(days=max(1, round(30 / rate * rng.uniform(0.7, 1.3))))
        moment = _at(day, rng.randint(9, 18), rng.randrange(60))
        if moment >= last:
            return moments
        moments.append(moment)


def _cap_wins(deals: list[DealRegistration], cap: float, today: date, rng: random.Random) -> None:
    """Some of the year's wins were lost after all, until the year's won revenue fits under `cap`."""
    wins = [deal for deal in deals if deal.stage == "won" and deal.won_on > today - timedelta(days=365)]
    rng.shuffle(wins)
    while wins and sum(deal.won_amount for deal in wins) > cap:
        deal = wins.pop()
        deal.stage, deal.won_on, deal.won_amount = "lost", None, None


def _close(deal: DealRegistration, plan: DealPlan, manager: User | None, now: datetime, today: date,
           rng: random.Random) -> None:
    """Where a registration of this age stands today."""
    registered = deal.registered_at
    age = (now - registered).days
    if age < 3 and rng.random() < 0.6:
        deal.stage = "registered"
        return
    deal.decided_at, deal.decided_by = registered + timedelta(hours=rng.randint(3, 30)), manager
    deal.expires_on = timezone.localtime(deal.decided_at).date() + timedelta(days=90)
    closes = registered + timedelta(days=rng.randint(25, 75), hours=rng.randint(0, 6))
    if closes < now and rng.random() < plan.win_rate:
        deal.stage, deal.closed_at = "won", closes
        deal.won_on = timezone.localtime(closes).date()
        deal.won_amount = deal.amount // 100_000 * rng.choice([90_000, 100_000, 100_000, 110_000])
    elif closes < now and rng.random() < 0.6:
        deal.stage, deal.closed_at = "lost", closes
    elif deal.expires_on < today:
        deal.stage, deal.closed_at = "expired", _at(deal.expires_on, 3)
    else:
        deal.stage = "negotiation" if age > 40 else "proposal" if age > 15 else "approved"


def _rising(days_ago: float) -> float:
    """A partner warming up: 0.4 of its usual pace until 100 days ago, 1.8 times by now."""
    return 0.4 + 1.4 * max(0.0, 1 - days_ago / 100)


# --------------------------------------------------------------------------- portal sign-ins


def _sign_ins(now: datetime) -> None:
    """Sign-ins over the year for every partner user: on the days they used the portal, and in between."""
    users = {user.email: user for user in User.objects.filter(email__in=SIGN_INS).select_related("contact")}
    used: dict[int, list[datetime]] = {}
    for model, field in ((ContentAccess, "at"), (AnnouncementRead, "read_at"), (QuizAttempt, "started_at")):
        for user_id, moment in model.objects.filter(user__in=users.values()).values_list("user_id", field):
            used.setdefault(user_id, []).append(moment)
    signals = []
    for email, (first_days, last_days, per_week, trend) in SIGN_INS.items():
        user = users.get(email)
        contact = getattr(user, "contact", None) if user else None
        if contact is None:
            continue
        rng = _rng(email)
        first, last = now - timedelta(days=first_days), now - timedelta(days=last_days)
        days = {timezone.localtime(moment).date(): moment - timedelta(minutes=rng.randint(2, 40))
                for moment in used.get(user.pk, []) if first <= moment <= last}
        day, end = timezone.localtime(first).date(), timezone.localtime(last).date()
        days[day], days[end] = first, last  # the first and last sign-ins are exactly when the profile says
        while day <= end:
            progress = 1 - (end - day).days / max(first_days - last_days, 1)
            rate = per_week * (_rising((now - _at(day)).days) if trend == "rising"
                               else 1.6 - 1.2 * progress if trend == "falling" else 1.0)
            if day.weekday() < 5 and day not in days and rng.random() < rate / 5:
                days[day] = _at(day, rng.randint(8, 18), rng.randrange(60))
            day += timedelta(days=1)
        moments = sorted(moment for moment in days.values() if first <= moment <= last)
        # Nobody who still uses the portal stays away for more than a fortnight or so.
        moments += [earlier + (later - earlier) / 2 for earlier, later in zip(moments, moments[1:], strict=False)
                    if later - earlier > timedelta(days=18)]
        moments.sort()
        signals += [ContactSignal(partner_id=contact.partner_id, contact=contact, kind=SignalKind.PORTAL_LOGIN,
                                  occurred_at=moment) for moment in moments]
        if moments and (user.last_login is None or user.last_login < moments[-1]):
            User.objects.filter(pk=user.pk).update(last_login=moments[-1])
    ContactSignal.objects.bulk_create(signals)


# --------------------------------------------------------------------------- MDF over the year

MDF = [
    # partner admin, activity, description, months ago it started, days, budget, approved, claimed, leads
    ("kobayashi@hokuto-is.example", "北海道IT・DX展 2026 共同出展（札幌）", "ブース出展と製品デモ。来場目標400名",
     9, 2, 900_000, 800_000, 760_000, 45),
    ("kobayashi@hokuto-is.example", "道内販売店向け合同セミナー（札幌・旭川・函館）", "二次店の営業担当向け。3会場で計60名",
     5, 20, 600_000, 600_000, 540_000, 38),
    ("kato@towa-sol.example", "関西DXフェア 共同出展（大阪）", "人事・総務部門向けの展示と個別相談会",
     6, 3, 400_000, 300_000, 290_000, 22),
    ("ishikawa@chuo-kaikei.example", "顧問先向け 電子帳簿保存法・インボイス対応セミナー", "会計事務所の顧問先経営者向け（オンライン）",
     4, 1, 300_000, 250_000, 230_000, 18),
]


def _mdf_history(now: datetime) -> None:
    """Activities that partners ran with MDF over the year, approved and claimed through the real services,
    dated when they happened: the dashboard's MDF ROI has more than one row to compare."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from demo.incentives import RECEIPT
    from incentives import mdf
    from incentives.models import MdfClaim, MdfRequest

    users = {user.email: user for user in User.objects.filter(email__in=[row[0] for row in MDF])
             .select_related("partner_membership__partner__owner")}
    today = timezone.localdate(now)
    for email, activity, description, months_ago, days, budget, approved, claimed, leads in MDF:
        user = users.get(email)
        if user is None:
            continue
        partner = user.partner_membership.partner
        starts = _add_months(today.replace(day=1), -months_ago) + timedelta(days=9)
        request = mdf.request_create(partner=partner, actor=user, activity=activity, description=description,
                                     starts_on=starts, ends_on=starts + timedelta(days=days),
                                     budget=budget, expected_leads=leads)
        mdf.request_decide(request=request, actor=partner.owner, approve=True, amount=approved)
        claim = mdf.claim_submit(request=request, actor=user, amount=claimed, leads=leads,
                                 proof=SimpleUploadedFile("receipt.pdf", RECEIPT, content_type="application/pdf"))
        asked = _at(starts - timedelta(days=30), 11)
        MdfRequest.objects.filter(pk=request.pk).update(created_at=asked, decided_at=asked + timedelta(days=2))
        MdfClaim.objects.filter(pk=claim.pk).update(submitted_at=_at(starts + timedelta(days=days + 10), 15))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


# --------------------------------------------------------------------------- 90 days of health


def _health_history(now: datetime) -> None:
    """One snapshot a day for the last 90 days, replayed from the data as it stood each night; the falls
    among them alerted the owners then. Yesterday's run leaves the current scores that today's run updates."""
    settings = HealthSettings.current()
    rules = rules_of(settings)
    nights = _replay(now, settings, rules)
    previous: dict[int, scoring.Result] = {}
    previous_night: dict[int, scoring.Result] = {}
    runs: list[HealthRun] = []
    snapshots: list[HealthSnapshot] = []
    falls_by_night: list[tuple[datetime, list[HealthAlert]]] = []
    for moment, results in nights:
        falls = [HealthAlert(partner_id=pk, from_band=previous[pk].band, to_band=result.band, score=result.score,
                             fallen=scoring.fallen(previous[pk].as_json(), result.as_json()), created_at=moment)
                 for pk, result in results.items() if pk in previous and scoring.worse(previous[pk].band, result.band)]
        runs.append(HealthRun(started_at=moment, finished_at=moment + timedelta(seconds=2), partners=len(results),
                              alerts=len(falls), seconds=1.4))
        day = timezone.localtime(moment).date()
        snapshots += [HealthSnapshot(partner_id=pk, day=day, score=result.score, band=result.band,
                                     components=result.as_json()) for pk, result in results.items()]
        if falls:
            falls_by_night.append((moment, falls))
        previous_night, previous = previous, results
    HealthRun.objects.bulk_create(runs)
    HealthSnapshot.objects.bulk_create(snapshots, batch_size=2000)
    for moment, falls in falls_by_night:
        _alert_then(falls, moment)
    yesterday = runs[-1]
    HealthScore.objects.bulk_create([
        HealthScore(partner_id=pk, score=result.score, band=result.band, components=result.as_json(),
                    previous_score=previous_night[pk].score if pk in previous_night else None,
                    previous_band=previous_night[pk].band if pk in previous_night else "",
                    computed_at=yesterday.started_at, run=yesterday)
        for pk, result in previous.items()])


def _alert_then(falls: list[HealthAlert], moment: datetime) -> None:
    """Alert the owners as the nightly run did then: the same notifications, dated that night and since read."""
    latest = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    alerts_send(falls)
    Notification.objects.filter(pk__gt=latest, kind="health_alert").update(
        created_at=moment, read_at=moment + timedelta(hours=4))


def _replay(now: datetime, settings: HealthSettings, rules: scoring.Rules) -> list[tuple[datetime, dict]]:
    """Each of the last 89 nights, oldest first: scores from the data as it stood then.

    Time runs backwards inside a savepoint: rows made after the night are set aside (deals not yet won are
    open, later rows gone, contact stages recomputed for that night), the real metrics read what is left,
    and everything is rolled back at the end. What the other demo modules stamped with the moment of
    seeding is first spread over the month before, as if it had happened then.
    """
    nights: list[tuple[datetime, dict]] = []
    try:
        with transaction.atomic():
            _spread_seeded_rows(now)
            for days_ago in range(1, HISTORY_DAYS):
                night = _at(timezone.localdate(now) - timedelta(days=days_ago), 5)
                _rewind(night, now)
                services.contact_stages_recompute(now=night)
                figures = metrics.figures(settings, night)
                nights.append((night, {pk: scoring.score(f, rules) for pk, f in figures.items()}))
            raise _Undo
    except _Undo:
        pass
    return nights[::-1]


def _spread_seeded_rows(now: datetime) -> None:
    seeded = now - SEEDED_WITHIN
    with connection.cursor() as cursor:
        cursor.execute("""
            UPDATE deals_dealregistration
               SET registered_at = %(now)s - make_interval(days => (2 + (id * 37) %% 40)::int,
                                                           hours => ((id * 7) %% 9)::int)
             WHERE registered_at > %(seeded)s""", {"now": now, "seeded": seeded})
        cursor.execute("""
            UPDATE partners_contactsignal s SET occurred_at = d.registered_at
              FROM deals_dealregistration d
             WHERE s.kind = 'deal_registered' AND s.source = %(prefix)s || d.id
               AND s.occurred_at > %(seeded)s""", {"seeded": seeded, "prefix": deal_services.SIGNAL_SOURCE_PREFIX})


def _rewind(night: datetime, now: datetime) -> None:
    """Set aside what happened after `night` (all inside the replay's savepoint)."""
    seeded = now - SEEDED_WITHIN
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM partners_contactsignal WHERE occurred_at > %s", [night])
        cursor.execute("DELETE FROM enablement_certificationaward WHERE issued_at > %s", [night])
        cursor.execute("DELETE FROM enablement_quizattempt WHERE started_at > %s", [night])
        # Not registered yet: out of every count, as a rejected registration is.
        cursor.execute("UPDATE deals_dealregistration SET stage = 'rejected' WHERE registered_at > %s", [night])
        # Not won yet (lost or expired do not matter: every registration counts until it is won).
        cursor.execute("UPDATE deals_dealregistration SET stage = 'approved' WHERE stage = 'won' AND won_on > %s",
                       [timezone.localtime(night).date()])
        # Accounts opened later (the demo's own, stamped at seeding, count as always there).
        cursor.execute("UPDATE accounts_user SET is_active = false WHERE date_joined > %s AND date_joined < %s",
                       [night, seeded])
