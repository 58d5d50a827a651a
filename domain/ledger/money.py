"""Amounts and currencies: ISO 4217 minor units decide how many decimals an amount may have.

A ledger that rounds has already lost money, so an amount with more decimals than its
currency's exponent (JPY 0, EUR 2, BHD 3) is refused, never rounded; currencies without
minor units in ISO 4217 (gold, SDR, testing codes) are not ledger currencies at all.
The table comes from the `iso4217` package (the ISO maintenance agency's list), not from a
hand-kept dict that would drift.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache

from iso4217 import Currency

MAX_EXPONENT = 4
"""The database stores NUMERIC(20, 4): enough for every ISO 4217 exponent (CLF and UYW use 4)."""
MAX_AMOUNT = Decimal(10) ** 15
"""Upper bound of one transfer (NUMERIC(20, 4) holds 16 integer digits; sums need headroom)."""


class MoneyError(ValueError):
    """The amount or currency cannot be booked; the message says why."""


@cache
def exponent(currency: str) -> int:
    """Minor-unit exponent of an ISO 4217 code; MoneyError when it has none or is unknown."""
    try:
        found = Currency(currency.upper())
    except ValueError:
        raise MoneyError(f"'{currency}' is not an ISO 4217 currency code") from None
    if found.exponent is None or found.exponent > MAX_EXPONENT:
        raise MoneyError(f"{found.code} has no minor unit in ISO 4217 and cannot be booked")
    return int(found.exponent)


def parse_amount(value: str | Decimal, currency: str, *, allow_zero: bool = False) -> Decimal:
    """A positive amount with at most the currency's decimals, as an exact Decimal.

    Strings only at the edge (never floats: 0.1 + 0.2 is not 0.3); `1E+2` and `NaN` are
    refused because a bank statement never writes amounts that way.
    """
    if isinstance(value, float):  # defensive: callers are typed, JSON numbers are refused
        raise MoneyError("amount must be a decimal string, not a floating point number")
    if isinstance(value, str):
        text = value.strip()
        if not text or any(ch not in "0123456789.-+" for ch in text):
            raise MoneyError(f"amount {value!r} is not a plain decimal string such as '12.50'")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise MoneyError(f"amount {value!r} is not a decimal number") from None
    else:
        amount = value
    if not amount.is_finite():
        raise MoneyError("amount must be a finite number")
    places = exponent(currency)
    exp = amount.as_tuple().exponent
    if isinstance(exp, int) and -exp > places:
        raise MoneyError(
            f"amount {value} has more decimals than {currency.upper()} allows ({places})"
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise MoneyError(f"amount must be greater than zero, got {value}")
    if amount >= MAX_AMOUNT:
        raise MoneyError(f"amount {value} exceeds the largest bookable amount")
    return amount.quantize(Decimal(1).scaleb(-places))


def at_exponent(amount: Decimal, currency: str) -> Decimal:
    """An amount with exactly the currency's decimals (12.5 EUR -> 12.50, the stored
    NUMERIC(20, 4) 12.5000 -> 12.50)."""
    return amount.quantize(Decimal(1).scaleb(-exponent(currency)))


def format_amount(amount: Decimal, currency: str) -> str:
    """The canonical string of an amount: exactly the currency's decimals ('12.50', '100')."""
    return str(at_exponent(amount, currency))
