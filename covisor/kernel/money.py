"""Amounts as shops' pages give them (a number or a decimal string), kept as decimal strings.

Floats never hold money here: `89.9` and `"89.90"` both become `"89.90"`, the form stored,
compared and sent on. A string is read only in its one documented form, ASCII digits with an
optional point and decimals (`"89.9"`, `"1299"`): `Decimal()` alone would also take `"١٢"`
(any Unicode digits), `" 1"`, `"1\\n"`, `"1_000"`, `"+1"`, `"1e3"` and `"NaN"`.
"""

from __future__ import annotations

import re
from decimal import Decimal

from covisor.kernel.errors import CovisorError

LIMIT = Decimal(10) ** 12

_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z", re.ASCII)
"""The one form of an amount given as a string; `\\Z`, not `$`, which also matches before a
final newline."""


def decimal_text(value: float | str, name: str = "value") -> str:
    """`value` as a plain decimal string with two places (`"89.90"`), or `bad_request` naming
    `name` when it is no number, not in the documented form, negative, or 10^12 or more."""
    if isinstance(value, str):
        if not _DECIMAL.match(value):
            raise CovisorError("bad_request", f"{name} must be a decimal number")
        amount = Decimal(value)
    else:
        # A JSON number: its shortest repr, exactly (`1e-07` included), never through a str
        # a user wrote.
        amount = Decimal(repr(float(value)))
    if not amount.is_finite() or amount < 0 or amount >= LIMIT:
        raise CovisorError("bad_request", f"{name} must be between 0 and 10^12")
    return format(amount.quantize(Decimal("0.01")), "f")
