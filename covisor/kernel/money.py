"""Amounts as shops' pages give them (a number or a decimal string), kept as decimal strings.

Floats never hold money here: `89.9` and `"89.90"` both become `"89.90"`, the form stored,
compared and sent on.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from covisor.kernel.errors import CovisorError

LIMIT = Decimal(10) ** 12


def decimal_text(value: float | str, name: str = "value") -> str:
    """`value` as a plain decimal string with two places (`"89.90"`), or `bad_request` naming
    `name` when it is no number, negative, or 10^12 or more."""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise CovisorError("bad_request", f"{name} must be a decimal number") from None
    if not amount.is_finite() or amount < 0 or amount >= LIMIT:
        raise CovisorError("bad_request", f"{name} must be between 0 and 10^12")
    return format(amount.quantize(Decimal("0.01")), "f")
