"""Money: whole yen, exact decimal rates, and the context every product is computed in.

Amounts are whole yen end to end (`CURRENCY`); rates are decimal strings of at most 12 decimals.
A computation takes each rate once as an exact fraction (`ratio`) and multiplies whole yen by it
in integers, truncating each line toward zero to the yen (切り捨て, `times`): the same result as
`int(rate * amount)` with `Decimal`s, without a decimal context per product. What still computes
with `Decimal`s (`Stepped.rate_at`, `Stepped.marginal`) runs in `exact()`, with 64 digits and
`Inexact` trapped, so a product that could not be represented exactly raises instead of rounding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, Inexact, localcontext

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


Ratio = tuple[int, int]  # a rate as an exact fraction (numerator, denominator > 0)


def ratio(rate: Decimal) -> Ratio:
    """The rate as an exact fraction: products of whole yen and a ratio are exact integer arithmetic."""
    return rate.as_integer_ratio()


def times(amount: int, rate: Ratio) -> int:
    """amount × rate truncated toward zero to the yen (切り捨て): `int(rate * amount)` with exact `Decimal`s,
    in integers."""
    product = amount * rate[0]
    return product // rate[1] if product >= 0 else -(-product // rate[1])
