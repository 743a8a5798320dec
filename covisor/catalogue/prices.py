"""Prices as product feeds write them: `parse_price("1.299,00 PLN")` -> `Money(1299.00, "PLN")`.

A price is an amount and an ISO 4217 currency code (three ASCII letters, upper-cased; the shape
is checked, not membership of the ISO list), the code either after the amount (`12.99 EUR`,
`12.99EUR`) or before it (`EUR 12.99`), separated by nothing, spaces or no-break spaces.
Whitespace around the whole value is ignored; anything else stray refuses the price.

The amount is read by these rules:

- Digits are ASCII `0-9` only: Arabic-Indic and other Unicode digits are refused, as are signs
  (prices are never negative), exponents, `NaN` and `inf`.
- Separators sit between digits: `.`, `,`, a space, a no-break space (U+00A0, U+202F) or an
  apostrophe (`1'299.00 CHF`). Spaces and apostrophes are only ever thousands separators.
- Both `.` and `,` (or a space and one of them) present: the last one is the decimal separator,
  occurring once, and the other the thousands separator.
- One separator occurring several times: thousands (`1.299.000 EUR`).
- One separator occurring once and followed by exactly three digits: thousands (`1,299 USD`),
  except for currencies with three decimals (BHD IQD JOD KWD LYD OMR TND), where it is the
  decimal separator (`1,299 KWD` is 1.299). Otherwise it is the decimal separator.
- Thousands groups are three digits after a first group of one to three, or Indian lakh
  groups of two ending in three (`1,00,000 INR`).
- At most as many decimals as the currency has: 2 by default, 0 for the currencies in
  `ZERO_DECIMALS`, 3 for those in `THREE_DECIMALS`; more refuses the price. The amount is
  returned quantized to the currency's decimals (`12.9 EUR` -> 12.90).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

ZERO_DECIMALS = frozenset(
    "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split()
)
THREE_DECIMALS = frozenset("BHD IQD JOD KWD LYD OMR TND".split())
INTEGER_DIGITS = 15
"""Digits before the decimal separator at most: no shop sells at a quadrillion."""

_THOUSANDS_ONLY = " \u00a0\u202f'\u2019"
_GAP = "[ \u00a0\u202f]*"
_PREFIXED = re.compile(rf"([A-Za-z]{{3}})(?![A-Za-z]){_GAP}(.+)", re.DOTALL)
_SUFFIXED = re.compile(rf"(.+?){_GAP}(?<![A-Za-z])([A-Za-z]{{3}})", re.DOTALL)
_NUMBER = rf"[0-9]+(?:[.,{_THOUSANDS_ONLY}][0-9]+)*"
_PRICE = re.compile(rf"(?:([A-Za-z]{{3}}){_GAP})?({_NUMBER})(?:{_GAP}([A-Za-z]{{3}}))?")
_SEPARATOR = re.compile(rf"[.,{_THOUSANDS_ONLY}]")
_QUANTA = {places: Decimal(1).scaleb(-places) for places in (0, 2, 3)}
_GROUPED = re.compile(r"[0-9]{1,3}(?:S[0-9]{3})*|[0-9]{1,2}(?:S[0-9]{2})*S[0-9]{3}")


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str


class PriceError(ValueError):
    """A price that cannot be read; `problem` says why, the message is "price: <problem>"."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"price: {problem}")
        self.problem = problem


def decimals(currency: str) -> int:
    """How many decimals amounts in `currency` (upper case) have."""
    if currency in ZERO_DECIMALS:
        return 0
    return 3 if currency in THREE_DECIMALS else 2


def parse_price(text: str) -> Money:
    """The price in `text` by the module's rules; raises `PriceError` and nothing else."""
    value = text.strip()
    price = _PRICE.fullmatch(value)
    if price is None or (price[1] is None) == (price[3] is None):
        raise PriceError(_problem(value))
    currency = (price[1] or price[3]).upper()
    return Money(_amount(price[2], currency), currency)


def format_amount(money: Money) -> str:
    """The canonical amount: digits, a `.` and the currency's decimals ("1299.00", "1299")."""
    return f"{money.amount:f}"


def _problem(value: str) -> str:
    """Why `value`, stripped and not of the form of a price, is none."""
    if not value:
        return "empty"
    if prefixed := _PREFIXED.fullmatch(value):
        number = prefixed[2]
    elif suffixed := _SUFFIXED.fullmatch(value):
        number = suffixed[1]
    else:
        return "no amount" if re.fullmatch("[A-Za-z]{3}", value) else "no currency"
    if number[0] in "-\u2212":
        return "negative"
    if any(char.isdigit() and not "0" <= char <= "9" for char in number):
        return "digits other than 0-9"
    return "not a number"


def _amount(number: str, currency: str) -> Decimal:
    places = decimals(currency)
    separators = _SEPARATOR.findall(number)
    kinds = {" " if s in _THOUSANDS_ONLY else s for s in separators}
    if len(kinds) > 2:
        raise PriceError("not a number")
    point: str | None = None
    if len(kinds) == 2:
        point = separators[-1]
        if point in _THOUSANDS_ONLY or separators.count(point) > 1:
            raise PriceError("not a number")
    elif len(separators) == 1 and separators[0] in ".,":
        fraction = number.rsplit(separators[0], 1)[1]
        if len(fraction) != 3 or places == 3:
            point = separators[0]
    whole, fraction = number.rsplit(point, 1) if point else (number, "")
    if len(separators) > (1 if point else 0):
        thousands = next(s for s in separators if s != point)
        if not _GROUPED.fullmatch(whole.replace(thousands, "S")):
            raise PriceError("not a number")
        whole = whole.replace(thousands, "")
    if len(whole) > INTEGER_DIGITS:
        raise PriceError("too large")
    if len(fraction) > places:
        raise PriceError(f"more than {places} decimals for {currency}")
    return Decimal(f"{whole}.{fraction}" if fraction else whole).quantize(_QUANTA[places])
