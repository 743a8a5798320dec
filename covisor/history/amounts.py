"""Order values in reports: counted and summed per currency, shown as decimal strings with two
decimals. Different currencies are never added up."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any


def money(cents: Decimal) -> str:
    """Hundredths as a decimal string with two decimals, halves to even (`1515` → `"15.15"`)."""
    return format((cents / 100).quantize(Decimal("0.01"), ROUND_HALF_EVEN), "f")


def currency_total(currency: str, orders: int, total_cents: int) -> dict[str, Any]:
    """`{"currency", "orders", "total", "average"}` of `orders` worth `total_cents` in all."""
    return {
        "currency": currency,
        "orders": orders,
        "total": money(Decimal(total_cents)),
        "average": money(Decimal(total_cents) / orders),
    }


def per_currency(values: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    """Orders given as `(currency, value in hundredths)`, as `currency_total`s by currency."""
    counts: dict[str, int] = {}
    sums: dict[str, int] = {}
    for currency, cents in values:
        counts[currency] = counts.get(currency, 0) + 1
        sums[currency] = sums.get(currency, 0) + cents
    return [currency_total(c, counts[c], sums[c]) for c in sorted(counts)]
