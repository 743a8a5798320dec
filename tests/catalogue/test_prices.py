from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from covisor.catalogue.prices import Money, PriceError, decimals, format_amount, parse_price


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("12.99 EUR", "12.99", "EUR"),
        ("12,99 EUR", "12.99", "EUR"),
        ("1.299,00 PLN", "1299.00", "PLN"),
        ("1,299.00 USD", "1299.00", "USD"),
        ("1 299,00 PLN", "1299.00", "PLN"),
        ("1\u00a0299,00 PLN", "1299.00", "PLN"),
        ("1\u202f299,00 PLN", "1299.00", "PLN"),
        ("EUR 12.99", "12.99", "EUR"),
        ("EUR12.99", "12.99", "EUR"),
        ("12.99EUR", "12.99", "EUR"),
        ("1299 PLN", "1299.00", "PLN"),
        ("12.99 eur", "12.99", "EUR"),
        ("  12.99 EUR\n", "12.99", "EUR"),
        ("12.9 EUR", "12.90", "EUR"),
        ("0 EUR", "0.00", "EUR"),
        ("1.299.000 EUR", "1299000.00", "EUR"),
        ("1,299 USD", "1299.00", "USD"),
        ("12.999 EUR", "12999.00", "EUR"),
        ("1,299 JPY", "1299", "JPY"),
        ("1299 JPY", "1299", "JPY"),
        ("1,299 KWD", "1.299", "KWD"),
        ("1.299,500 KWD", "1299.500", "KWD"),
        ("1,00,000.50 INR", "100000.50", "INR"),
        ("1'299.00 CHF", "1299.00", "CHF"),
    ],
)
def test_the_forms_feeds_use(text: str, amount: str, currency: str) -> None:
    money = parse_price(text)
    assert money == Money(Decimal(amount), currency)
    assert format_amount(money) == amount


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "price: empty"),
        ("   ", "price: empty"),
        ("12.99", "price: no currency"),
        ("12.99 EURO", "price: no currency"),
        ("12.99 EUR extra", "price: no currency"),
        ("EUR", "price: no amount"),
        ("-12.99 EUR", "price: negative"),
        ("EUR \u221212.99", "price: negative"),
        ("NaN EUR", "price: not a number"),
        ("inf EUR", "price: not a number"),
        ("1e3 EUR", "price: not a number"),
        ("0x10 EUR", "price: not a number"),
        (".99 EUR", "price: not a number"),
        ("12. EUR", "price: not a number"),
        ("12,,99 EUR", "price: not a number"),
        ("1,2,3 EUR", "price: not a number"),
        ("12 99 EUR", "price: not a number"),
        ("1.299.00 EUR", "price: not a number"),
        ("1,299.000,00 EUR", "price: not a number"),
        ("1 299.000,00 EUR", "price: not a number"),
        ("12.99\nEUR", "price: not a number"),
        ("\u0661\u0662\u066b\u0669\u0669 EUR", "price: digits other than 0-9"),
        ("\u0661\u0662 EUR", "price: digits other than 0-9"),
        ("\uff11\uff12 EUR", "price: digits other than 0-9"),
        ("1,2345 EUR", "price: more than 2 decimals for EUR"),
        ("1.5 JPY", "price: more than 0 decimals for JPY"),
        ("1,2345 KWD", "price: more than 3 decimals for KWD"),
        ("1 299,000 PLN", "price: more than 2 decimals for PLN"),
        ("1234567890123456 EUR", "price: too large"),
    ],
)
def test_refused_prices_say_why(text: str, reason: str) -> None:
    with pytest.raises(PriceError) as raised:
        parse_price(text)
    assert str(raised.value) == reason
    assert raised.value.problem == reason.removeprefix("price: ")


CURRENCIES = ["EUR", "USD", "PLN", "GBP", "JPY", "KRW", "ISK", "KWD", "BHD", "TND"]
SPACES = [" ", "\u00a0", "\u202f"]


def _grouped(whole: str, separator: str) -> str:
    head = len(whole) % 3 or 3
    return separator.join([whole[:head], *(whole[i : i + 3] for i in range(head, len(whole), 3))])


@given(
    units=st.integers(min_value=0, max_value=10**14 - 1),
    currency=st.sampled_from(CURRENCIES),
    style=st.sampled_from(["plain", "comma", "dot-comma", "comma-dot", "space", "prefix", "lower"]),
    space=st.sampled_from(SPACES),
)
def test_amounts_formatted_in_any_style_read_back(
    units: int, currency: str, style: str, space: str
) -> None:
    places = decimals(currency)
    amount = Decimal(units).scaleb(-places)
    whole, _, fraction = f"{amount:f}".partition(".")
    point, thousands = {
        "plain": (".", ""),
        "comma": (",", ""),
        "dot-comma": (",", "."),
        "comma-dot": (".", ","),
        "space": (",", space),
        "prefix": (".", ","),
        "lower": (".", ""),
    }[style]
    number = _grouped(whole, thousands) if thousands else whole
    if fraction:
        number += point + fraction
    text = {"prefix": f"{currency} {number}", "lower": f"{number} {currency.lower()}"}.get(
        style, f"{number} {currency}"
    )
    money = parse_price(text)
    assert money == Money(amount, currency)
    assert format_amount(money) == f"{amount:f}"


@given(st.text())
def test_any_text_is_a_price_or_a_price_error(text: str) -> None:
    try:
        money = parse_price(text)
    except PriceError:
        return
    assert money.amount >= 0
    assert len(money.currency) == 3


@given(st.text(alphabet="0123456789.,' -\u00a0\u202f\u0661eEUuRrJPYKWD\n", max_size=30))
def test_price_like_text_is_a_price_or_a_price_error(text: str) -> None:
    try:
        money = parse_price(text)
    except PriceError:
        return
    assert money.amount == money.amount.quantize(Decimal(1).scaleb(-decimals(money.currency)))
