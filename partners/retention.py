"""The partners' rows the nightly purge removes (prm.retention imports this module by app label)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from prm import retention

# Signal kinds an app above partners still reads whatever their age (the incentive plans pay on
# some): it names them here (incentives/retention.py), and the purge keeps them.
_kept_signal_kinds: set[str] = set()


def keep_signal_kinds(kinds: Iterable[str]) -> None:
    _kept_signal_kinds.update(kinds)


def _purge_signals(limits: dict[str, datetime | date]) -> int:
    from partners.models import ContactSignal

    return ContactSignal.objects.filter(occurred_at__lt=limits["signals"]).exclude(
        kind__in=sorted(_kept_signal_kinds)).delete()[0]


retention.register("signals", _purge_signals)
