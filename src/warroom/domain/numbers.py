"""Numbers as people read them: 4,000,000 executions, 61.5%, 0.000123, never 4e+06."""
from __future__ import annotations

import math
from decimal import Decimal

MEAN_DIGITS = 3  # a mean's digits past these are noise, not news
SIGNIFICANT = 6  # the digits `:g` keeps, written out in full


def format_number(value: float, unit: str = "", significant: int | None = None) -> str:
    """Digits with thousands separators and no exponent, trailing zeros dropped, to
    SIGNIFICANT digits unless told (a mean: 3); a unit after a space, except '%'."""
    text = _digits(value, significant or SIGNIFICANT)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def format_mean(value: float, unit: str = "") -> str:
    """A mean of readings, to MEAN_DIGITS significant digits: 61.5%, 907 ms, 0.583%."""
    return format_number(value, unit, MEAN_DIGITS)


def _digits(value: float, significant: int) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    decimals = max(0, significant - 1 - math.floor(math.log10(abs(value))))
    # the shortest digits that give the rounded float back: no binary noise in 1e30's zeros
    text = format(Decimal(repr(round(value, decimals))), ",f")
    return text.rstrip("0").rstrip(".") if "." in text else text
