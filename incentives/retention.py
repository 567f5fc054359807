"""What the nightly purge must keep for incentives (prm.retention imports this module by app label).

A commission run reads the signals its plans pay on again, whatever their age; were they purged, the
next run would give back what was paid.
"""

from __future__ import annotations

from incentives.runs import PAID_SIGNAL_KINDS
from partners import retention as partner_retention

partner_retention.keep_signal_kinds(PAID_SIGNAL_KINDS)
