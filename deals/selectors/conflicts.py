"""What a registration conflicts with and what the vendor's rule does with it, and the approval queue in the
order of the customers' registrations: the one reading that the console's queue and deal page and the portal's
deal page show. Who competes with whom is the rule of deals.services (`competes`, also the approval's guard);
this module orders it and words it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from deals import matching
from deals.models import CUSTOMER_KEYS, DECIDED_STAGES, HOLDING_STAGES, DealRegistration, DealSettings, DirectAccount, RuleMode, Stage
from deals.services import _stored_keys, competes, rivals_of, stored_key_sets

# What happens to a waiting registration that loses, under each conflict rule: while the registration it loses to
# is still waiting too (False), and once that one has been approved or won (True).
RULE_SENTENCES = {
    (RuleMode.FIRST_COME, False): _("First come: the earlier registration holds priority. If it is approved, this "
                                    "one cannot be approved and will be rejected."),
    (RuleMode.FIRST_COME, True): _("First come: the other registration has been approved and holds this customer, "
                                   "so this one cannot be approved and will be rejected, unless that one is lost, "
                                   "cancelled or expires."),
    (RuleMode.CUSTOMER_CHOICE, False): _("Customer's choice: the channel manager approves the registration of the "
                                         "partner the customer chooses; only one of them can be approved."),
    (RuleMode.CUSTOMER_CHOICE, True): _("Customer's choice: the other registration has been approved, so this one "
                                        "cannot be approved unless that one is lost, cancelled or expires."),
    (RuleMode.MANUAL, False): _("Manual review: a channel manager decides which registration to approve; only one "
                                "of them can be approved."),
    (RuleMode.MANUAL, True): _("Manual review: the other registration has been approved, so this one cannot be "
                               "approved unless that one is lost, cancelled or expires."),
}


@dataclass(frozen=True)
class Rival:
    deal: DealRegistration
    ahead: bool  # the registration of the Conflict loses to this one


@dataclass(frozen=True)
class PartnerConflict:
    """What the losing partner may know of the registration it loses to: its status and when it was registered,
    never whose it is."""

    status: str
    registered_at: datetime
    rule: str


@dataclass(frozen=True)
class Conflict:
    rivals: list[Rival]  # other partners' registrations of the same customer, earliest registered first
    holder: DealRegistration | None  # the one this registration loses to; None when it loses to none
    rule: str  # what happens to this registration under the vendor's rule; empty unless it waits and loses

    @property
    def losing(self) -> bool:
        return self.holder is not None

    def for_partner(self) -> PartnerConflict | None:
        if self.holder is None:
            return None
        return PartnerConflict(str(self.holder.get_stage_display()), self.holder.registered_at, self.rule)


NO_CONFLICT = Conflict([], None, "")


def _ahead(deal: DealRegistration, other: DealRegistration) -> bool:
    return other.stage in DECIDED_STAGES or (other.registered_at, other.pk) < (deal.registered_at, deal.pk)


def registration_conflicts(deals: list[DealRegistration], *, mode: str | None = None) -> dict[int, Conflict]:
    """deal id → what the registration conflicts with: every other partner's registration of the same customer
    that competes with it (earliest first), the one it loses to — the first approved or won, else the earliest
    registered before it — and, while it waits, the sentence saying what the vendor's rule (`mode`, read from
    the rules when not given) does with it. Two statements whatever the number of deals."""
    if not deals:
        return {}
    mode = mode or DealSettings.current().mode
    found = {}
    competing = rivals_of(deals, related=("partner", "registered_by"))
    for deal in deals:
        rivals = competing[deal.pk]
        ahead = [other for other in rivals if _ahead(deal, other)]
        decided = [other for other in ahead if other.stage in DECIDED_STAGES]
        holder = next(iter(decided or ahead), None)
        rule = ""
        if holder is not None and deal.stage == Stage.REGISTERED:
            rule = str(RULE_SENTENCES[(RuleMode(mode), holder.stage in DECIDED_STAGES)])
        found[deal.pk] = Conflict([Rival(other, other in ahead) for other in rivals], holder, rule)
    return found


def deal_conflict(deal: DealRegistration) -> Conflict:
    return registration_conflicts([deal])[deal.pk]


def direct_conflicts(deals: list[DealRegistration]) -> dict[int, list[DirectAccount]]:
    """deal id → the vendor's direct-sales accounts with an open opportunity for the same customer. One statement."""
    names, numbers, domains = stored_key_sets(deals)
    accounts = list(DirectAccount.objects.filter(
        Q(name_key__in=names) | Q(corporate_key__in=numbers) | Q(domain_key__in=domains),
        opportunities__is_open=True).distinct().select_related("owner").order_by("customer_name", "pk")) if deals else []
    return {deal.pk: [account for account in accounts
                      if matching.same_customer(_stored_keys(deal), _stored_keys(account))] for deal in deals}


# --------------------------------------------------------------------------- the approval queue

QUEUE_PAGE_ROWS = 50
_ORDER_COLUMNS = ("id", "partner_id", "stage", "registered_at", "won_confirmed_at", "name_key", "corporate_key",
                  "domain_key")


@dataclass(frozen=True)
class QueueRow:
    deal: DealRegistration
    position: int  # 1 for the customer's earliest registration, counting the decided ones it competes with
    of: int  # registrations of this customer in that order
    conflict: Conflict
    direct: list[DirectAccount]

    @property
    def conflicts(self) -> list[DealRegistration]:
        return [rival.deal for rival in self.conflict.rivals]


@dataclass(frozen=True)
class QueueGroup:
    """The waiting registrations of one customer on one page, earliest registered first."""

    rows: list[QueueRow]
    continued: bool  # the group began on the previous page
    continues: bool  # the group goes on on the next page

    @property
    def customer_name(self) -> str:
        return self.rows[0].deal.customer_name

    @property
    def size(self) -> int:
        return self.rows[0].of


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue. Pages end between customers; only a customer with more waiting registrations than
    a page holds is split, and its group says so. Reads like a Django page for the shared pagination fragment."""

    number: int
    num_pages: int
    count: int  # waiting registrations on every page
    start_index: int
    end_index: int
    groups: list[QueueGroup]

    @property
    def paginator(self) -> QueuePage:
        return self

    @property
    def rows(self) -> list[QueueRow]:
        return [row for group in self.groups for row in group.rows]

    def has_previous(self) -> bool:
        return self.number > 1

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1


@dataclass(frozen=True)
class _Slot:
    pk: int
    position: int
    of: int


def _customer_order() -> list[list[_Slot]]:
    """The waiting registrations grouped by customer (the matcher's judgement, joined transitively, with the
    decided registrations they compete with), groups by their earliest waiting registration, each group by
    registration time (then id). One statement: the waiting registrations and every holding or won one sharing
    a key with them, as bare columns."""
    waiting = DealRegistration.objects.filter(stage=Stage.REGISTERED)
    rows = list(DealRegistration.objects.filter(
        Q(stage=Stage.REGISTERED)
        | Q(name_key__in=waiting.exclude(name_key="").values("name_key"))
        | Q(corporate_key__in=waiting.exclude(corporate_key="").values("corporate_key"))
        | Q(domain_key__in=waiting.exclude(domain_key="").values("domain_key")),
        stage__in=(*HOLDING_STAGES, Stage.WON)).only(*_ORDER_COLUMNS).order_by("registered_at", "pk"))
    by_key: dict[tuple[str, str], list[DealRegistration]] = {}
    for row in rows:
        for column in CUSTOMER_KEYS:
            if value := getattr(row, column):
                by_key.setdefault((column, value), []).append(row)
    parent = {row.pk: row.pk for row in rows}

    def root(pk: int) -> int:
        while parent[pk] != pk:
            parent[pk] = parent[parent[pk]]
            pk = parent[pk]
        return pk

    members = set()
    for row in rows:
        if row.stage != Stage.REGISTERED:
            continue
        members.add(row.pk)
        sharing = {other.pk: other for column in CUSTOMER_KEYS
                   for other in by_key.get((column, getattr(row, column)), ())}
        for other in sharing.values():
            same = (matching.same_customer(_stored_keys(row), _stored_keys(other)) if other.stage == Stage.REGISTERED
                    else competes(row, other))
            if other.pk != row.pk and same:
                members.add(other.pk)
                parent[root(other.pk)] = root(row.pk)
    groups: dict[int, list[DealRegistration]] = {}
    for row in rows:  # already in registration order
        if row.pk in members:
            groups.setdefault(root(row.pk), []).append(row)
    ordered = sorted(groups.values(), key=lambda group: next((r.registered_at, r.pk) for r in group
                                                             if r.stage == Stage.REGISTERED))
    return [[_Slot(row.pk, position, len(group)) for position, row in enumerate(group, start=1)
             if row.stage == Stage.REGISTERED] for group in ordered]


def _pages(groups: list[list[_Slot]], size: int) -> list[list[tuple[list[_Slot], bool, bool]]]:
    """Groups cut into pages of about `size` rows: a page ends before a customer that would not fit, and only a
    customer bigger than a page is split (each piece knowing whether it is continued or continues)."""
    pages: list[list[tuple[list[_Slot], bool, bool]]] = []
    current: list[tuple[list[_Slot], bool, bool]] = []
    filled = 0
    for group in groups:
        if current and filled + len(group) > size:
            pages.append(current)
            current, filled = [], 0
        pieces = [group[start:start + size] for start in range(0, len(group), size)]
        for index, piece in enumerate(pieces):
            if current and filled + len(piece) > size:
                pages.append(current)
                current, filled = [], 0
            current.append((piece, index > 0, index < len(pieces) - 1))
            filled += len(piece)
    if current:
        pages.append(current)
    return pages


def approval_queue(page_number: int = 1, *, page_rows: int | None = None) -> QueuePage:
    """Registrations waiting for a decision, grouped by customer, oldest waiting customer first and each
    customer's registrations in the order they came, with what each conflicts with. A page past the last is the
    last. The same handful of statements for 3 waiting registrations as for 3,000."""
    pages = _pages(_customer_order(), page_rows or QUEUE_PAGE_ROWS)
    count = sum(len(piece) for page in pages for piece, _continued, _continues in page)
    number = min(max(page_number, 1), max(len(pages), 1))
    chosen = pages[number - 1] if pages else []
    ids = [slot.pk for piece, _continued, _continues in chosen for slot in piece]
    deals = {deal.pk: deal for deal in DealRegistration.objects.filter(pk__in=ids)
             .select_related("partner", "registered_by").prefetch_related("products")}
    ordered = [deals[pk] for pk in ids if pk in deals]
    conflicts = registration_conflicts(ordered)
    direct = direct_conflicts(ordered)
    groups = []
    for piece, continued, continues in chosen:
        rows = [QueueRow(deals[slot.pk], slot.position, slot.of, conflicts[slot.pk], direct[slot.pk])
                for slot in piece if slot.pk in deals]
        if rows:
            groups.append(QueueGroup(rows, continued, continues))
    before = sum(len(piece) for page in pages[:number - 1] for piece, _continued, _continues in page)
    return QueuePage(number, len(pages) or 1, count, before + 1 if ids else 0, before + len(ids), groups)
