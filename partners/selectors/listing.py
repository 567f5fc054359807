"""The console's partner list: its filters and sorts, and the page of rows it shows.

The apps above partners add columns (the tier, the health) through partners.list_columns: their owners'
annotations, filters and sorts are applied here like partners' own.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When

from partners import list_columns
from partners.models import Contact, ContactStage, Partner, Stage
from prm.accounts.models import User

# The lifecycle's order (Stage's), for sorting by stage: prospects first, terminated last.
STAGE_ORDER = Case(*(When(stage=stage, then=Value(n)) for n, stage in enumerate(Stage.values)),
                   output_field=IntegerField())
# Sort key → what it orders by, ascending; `-key` is the same, descending. Ties go by name (see _ordering).
# The apps above add their columns' keys (partners.list_columns).
SORTS: dict[str, tuple] = {
    "name": ("name_kana", "name"),
    "created": ("created_at",),
    "stage": (STAGE_ORDER,),
    "type": ("partner_type",),
    "active": ("active_contacts",),
}


def sort_keys() -> list[str]:
    """Every sort the partner list takes: each key ascending and descending, the registered columns' too."""
    keys = [*SORTS, *(column.key for column in list_columns.columns())]
    return [sort for key in keys for sort in (key, f"-{key}")]


def _ordering(sort: str) -> list:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    column = list_columns.column(key)
    if column is not None:
        # The owner's annotation: partners without a value (no tier, not scored) last either way.
        return [*(F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)
                  for name in column.ordering), "name_kana", "name", "pk"]
    if key not in SORTS:
        key, descending = "name", False
    fields = [F(field) if isinstance(field, str) else field for field in SORTS[key]]
    ordered = [field.desc() if descending else field.asc() for field in fields]
    if key == "name":  # the name index read backwards for descending
        return [*ordered, "-pk" if descending else "pk"]
    return [*ordered, "name_kana", "name", "pk"]


@dataclass
class PartnerFilters:
    q: str = ""
    partner_type: str = ""
    stage: str = ""
    owner: int | None = None
    prefecture: str = ""
    industry: str = ""
    parent: int | None = None
    sort: str = "name"
    stages: list[str] = field(default_factory=list)
    # Registered column key → the option chosen in its filter (partners.list_columns).
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def whole_list(self) -> bool:
        """Nothing narrows the list (it may be in any order): its statements read by key, with no value the user gave."""
        return self == PartnerFilters(sort=self.sort)


def with_contact_counts(qs: QuerySet[Partner]) -> QuerySet[Partner]:
    return qs.annotate(
        contact_count=Count("contacts", distinct=True),
        active_contacts=Count("contacts", filter=Q(contacts__stage=ContactStage.ACTIVE), distinct=True),
    )


def partner_list(filters: PartnerFilters | None = None) -> QuerySet[Partner]:
    filters = filters or PartnerFilters()
    qs: QuerySet[Partner] = Partner.objects.select_related("owner", "parent")
    if filters.q:
        words = filters.q.split()
        for word in words:
            qs = qs.filter(Q(name__icontains=word) | Q(name_kana__icontains=word) | Q(corporate_number=word))
    if filters.partner_type:
        qs = qs.filter(partner_type=filters.partner_type)
    if filters.stage:
        qs = qs.filter(stage=filters.stage)
    if filters.stages:
        qs = qs.filter(stage__in=filters.stages)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.prefecture:
        qs = qs.filter(prefectures__contains=[filters.prefecture])
    if filters.industry:
        qs = qs.filter(industries__contains=[filters.industry])
    if filters.parent:
        qs = qs.filter(parent_id=filters.parent)
    for column in list_columns.columns():
        if filters.columns.get(column.key):
            qs = column.filter(qs, filters.columns[column.key])
        qs = column.annotate(qs)
    if filters.sort.removeprefix("-") == "active":
        qs = with_contact_counts(qs)  # sorting by it needs the count on every row
    return qs.order_by(*_ordering(filters.sort))


class PartnerPages:
    """The partner list as the paginator reads it. A page is one query: the partners' keys are sorted alone
    (narrow rows: 10,000 partners sort by tier, health or stage in a few milliseconds, where sorting them
    with every column, the parent and the owner took ten times as long) and only the page's rows are read,
    with their contact counts."""

    def __init__(self, filters: PartnerFilters):
        self.filters = filters

    @functools.cached_property
    def partners(self) -> QuerySet[Partner]:
        return partner_list(self.filters)

    def count(self) -> int:
        return self.partners.count()

    def __getitem__(self, page: slice) -> list[PartnerRow]:
        if self.filters.whole_list:
            keys, params = _whole_list_keys(self.filters.sort, page.start, page.stop)
            return _page_rows(keys, params)
        try:
            keys, params = self.partners.values("pk")[page].query.sql_with_params()
        except EmptyResultSet:  # a filter that can match nothing
            return []
        return _page_rows(keys, params)


@functools.lru_cache(maxsize=512)
def _whole_list_keys(sort: str, start: int | None, stop: int | None) -> tuple[str, tuple]:
    """The statement of a page's keys when nothing filters the list, compiled once per process for each order and
    page: it names no vendor (search_path picks the tables) and holds no value a request gives, only the order, the
    page's bounds and the registered columns' annotations, which their apps register once as they load. Building
    the list's queryset with those annotations and compiling it were a tenth of the partner list's work in Python."""
    return partner_list(PartnerFilters(sort=sort)).values("pk")[start:stop].query.sql_with_params()


# What a row of the list shows (partners_tags.partner_rows), in the model's column order (Model.from_db's), and its
# owner's and parent's names; the registered columns add their annotations, the statement the contact counts.
ROW_FIELDS = [field for field in Partner._meta.concrete_fields
              if field.attname in {"id", "name", "name_kana", "partner_type", "parent_id", "stage", "owner_id",
                                   "prefectures"}]
OWNER_FIELDS = [field for field in User._meta.concrete_fields if field.attname in {"id", "email", "full_name"}]


class PartnerRef:
    """A partner a row names (its parent): its key and name, all the row shows of it."""

    __slots__ = ("pk", "name")

    def __init__(self, pk: int, name: str):
        self.pk, self.name = pk, name

    @property
    def id(self) -> int:
        return self.pk


_TYPE_LABELS = dict(Partner._meta.get_field("partner_type").flatchoices)
_STAGE_LABELS = dict(Partner._meta.get_field("stage").flatchoices)


class PartnerRow:
    """One partner as a row of the list shows it (partners_tags.partner_rows and the registered columns' cells read
    it): the row's fields under the model's names, its parent's name, its owner (a User), its contact counts and the
    columns' annotations. A page builds fifty of these from one statement; building fifty Partner instances (and their
    parents) took most of the page's Python outside the templates. Nothing saves it: it is what the page shows."""

    id: int
    name: str
    name_kana: str
    partner_type: str
    parent_id: int | None
    stage: str
    owner_id: int | None
    prefectures: list[str]
    parent: PartnerRef | None
    owner: User | None
    contact_count: int
    active_contacts: int

    def __init__(self, values: dict):
        self.__dict__.update(values)

    @property
    def pk(self) -> int:
        return self.id

    def get_partner_type_display(self) -> str:
        return str(_TYPE_LABELS.get(self.partner_type, self.partner_type))

    def get_stage_display(self) -> str:
        return str(_STAGE_LABELS.get(self.stage, self.stage))


def _page_rows(keys: str, params: tuple) -> list[PartnerRow]:
    """The page's partners, in the order of `keys` (a statement giving their ids in order), with what a row shows:
    one fixed statement rather than the ORM's compilation of the list's query a second time with the owner, the
    parent and the columns' annotations (and a grouped query for the contact counts)."""
    columns = list_columns.columns()
    annotations = [(name, sql) for column in columns for name, sql in column.sql.select]
    names = ["contact_count", "active_contacts", *(name for name, _sql in annotations)]
    with connection.cursor() as cursor:
        cursor.execute(f"""
        SELECT {", ".join(f'p."{field.column}"' for field in ROW_FIELDS)}, parent.name,
               {", ".join(f'owner."{field.column}"' for field in OWNER_FIELDS)},
               (SELECT count(*) FROM partners_contact c WHERE c.partner_id = p.id),
               (SELECT count(*) FROM partners_contact c WHERE c.partner_id = p.id AND c.stage = %s)
               {"".join(f", {sql}" for _name, sql in annotations)}
          FROM unnest(ARRAY({keys})) WITH ORDINALITY AS page(id, position)
          JOIN partners_partner p ON p.id = page.id
          LEFT JOIN partners_partner parent ON parent.id = p.parent_id
          LEFT JOIN accounts_user owner ON owner.id = p.owner_id
          {" ".join(column.sql.joins for column in columns)}
         ORDER BY page.position""", (ContactStage.ACTIVE, *params))
        rows = cursor.fetchall()
    partner_names = [field.attname for field in ROW_FIELDS]
    owner_names = [field.attname for field in OWNER_FIELDS]
    width, owner_width = len(ROW_FIELDS), len(OWNER_FIELDS)
    partners: list[PartnerRow] = []
    owners: dict[int, User] = {}  # a few people own every partner: one instance each
    for row in rows:
        values = dict(zip(partner_names, row[:width], strict=True))
        parent_name, at = row[width], width + 1
        values["parent"] = PartnerRef(values["parent_id"], parent_name) if values["parent_id"] is not None else None
        owner = None
        if values["owner_id"] is not None:
            owner = owners.get(values["owner_id"])
            if owner is None:
                owner = owners[values["owner_id"]] = User.from_db(DEFAULT_DB_ALIAS, owner_names,
                                                                  row[at:at + owner_width])
        values["owner"] = owner
        values.update(zip(names, row[at + owner_width:], strict=True))
        partners.append(PartnerRow(values))
    return partners


def attach_contact_counts(partners) -> list[Partner]:
    """Contact and active-contact counts for one page of partners, in one grouped query.

    Counting on the page rather than in the list query keeps a 10,000-partner list from
    aggregating every partner's contacts before it can take the first 50.
    """
    partners = list(partners)
    missing = {p.pk for p in partners if not hasattr(p, "contact_count")}
    if missing:
        counts = {
            row["partner_id"]: (row["total"], row["active"])
            for row in Contact.objects.filter(partner_id__in=missing).values("partner_id").annotate(
                total=Count("pk"), active=Count("pk", filter=Q(stage=ContactStage.ACTIVE)))
        }
        for partner in partners:
            if partner.pk in missing:
                partner.contact_count, partner.active_contacts = counts.get(partner.pk, (0, 0))
    return partners


def partner_total(filters: PartnerFilters, counts: dict[str, int]) -> int | None:
    """The list's number of partners from the stage strip's counts, when they tell it (no filter but the
    stage): the page then needs no COUNT(*) of its own. None when only the list query can tell."""
    if replace(filters, stage="", sort="name") != PartnerFilters():
        return None
    return counts.get(filters.stage, 0) if filters.stage else sum(counts.values())


