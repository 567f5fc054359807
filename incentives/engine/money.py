"""Money: whole yen, exact decimal rates, and the context every product is computed in.

Amounts are whole yen end to end (`CURRENCY`); rates are decimal strings of at most 12 decimals.
Every product runs in `exact()`, with 64 digits and `Inexact` trapped, so a product that could
not be represented exactly raises instead of rounding silently; each line is then truncated
toward zero to the yen (切り捨て) by `int()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Inexact, localcontext

CURRENCY = "JPY"  # the only currency: amounts are whole yen end to end

MAX_DIGITS = 15  # amounts up to 999兆円; with 12-decimal rates every product stays exact at 64 digits
RATE_PATTERN = re.compile(r"[0-9]{1,6}(?:\.[0-9]{1,12})?")
INTEGER_PATTERN = re.compile(r"[0-9]{1,%d}" % MAX_DIGITS)


@contextmanager
def exact() -> Iterator[None]:
    """The decimal context of a computation: 64 digits, and an inexact result is an error."""
    with localcontext() as context:
        context.prec = 64
        context.traps[Inexact] = True
        yield
