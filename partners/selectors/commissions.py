"""What a commission run reads of the partners (incentives.runs): their types and parents, and the contact
signals the plans pay on, set-based and streamed as plain tuples (a run reads a vendor's whole history)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from django.conf import settings
from django.db.models.functions import TruncDate

from partners.models import ContactSignal, Partner
from prm.digests import DigestSQL, day_number, local_day, row_hash
from prm.reads import local_day_start, plain_rows


def partner_types_and_parents() -> list[tuple[int, str, int | None]]:
    """(id, partner type, parent id) of every partner, by id."""
    return list(Partner.objects.order_by("pk").values_list("pk", "partner_type", "parent_id"))


def sub_partner_ids(parent_id: int) -> list[int]:
    """The partners whose parent (a distributor) is `parent_id`."""
    return list(Partner.objects.filter(parent_id=parent_id).values_list("pk", flat=True))


def parent_id_of(partner_id: int) -> int | None:
    """The partner's parent distributor, if any."""
    return Partner.objects.filter(pk=partner_id).values_list("parent_id", flat=True).first()


def contact_signals_for_commissions(*, kinds: Iterable[str], partner_ids: Iterable[int] | None = None,
                                    since: date | None = None) -> Iterator[tuple]:
    """(id, kind, partner id, local day) of the contact signals of `kinds` (of `partner_ids` only, from the local
    day `since` only, when given), streamed by id; the day is taken in SQL."""
    signals = ContactSignal.objects.all()
    if partner_ids is not None:
        signals = signals.filter(partner_id__in=list(partner_ids))
    if since is not None:
        signals = signals.filter(occurred_at__gte=local_day_start(since))
    return plain_rows(signals.filter(kind__in=list(kinds)).values_list("pk", "kind", "partner_id",
                                                                      TruncDate("occurred_at")).order_by("pk"))


def contact_signal_times(signal_ids: Iterable[int], *, kinds: Iterable[str]) -> Iterator[tuple]:
    """(id, kind, occurred at) of the signals among `signal_ids` of `kinds`."""
    return iter(ContactSignal.objects.filter(pk__in=signal_ids, kind__in=list(kinds)).values_list(
        "pk", "kind", "occurred_at"))


def signal_digest_sql(*, kinds: Iterable[str], tag: int) -> DigestSQL:
    """The contact signals of `kinds` as a commission run's input digest reads them (incentives.runs), in SQL
    to compose into its one statement: a row per signal (tagged `tag`) on its local day, hashing its partner,
    day and kind."""
    occurred = local_day("s.occurred_at", zone_param="partners_zone")
    sql = f"""SELECT {occurred}, {row_hash(tag, 's.id', 's.partner_id', day_number(occurred), "hashtext(s.kind)")}
                FROM {ContactSignal._meta.db_table} s WHERE s.kind = ANY(%(partners_kinds)s)"""
    return DigestSQL(sql, {"partners_zone": settings.TIME_ZONE, "partners_kinds": list(kinds)})
