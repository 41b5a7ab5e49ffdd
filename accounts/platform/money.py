"""Currencies and rounding: amounts are Decimal, rounded half-up to the currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal

import pycountry
from babel.numbers import get_currency_precision
from django.core.exceptions import ValidationError


def is_currency(code: str) -> bool:
    return bool(code) and len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None


def validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ValidationError(
            f"“{code}” is not an ISO 4217 currency code: use three capital letters such as "
            "EUR, GBP or USD.",
            code="invalid_currency",
        )


def currency_choices() -> list[tuple[str, str]]:
    return sorted((c.alpha_3, f"{c.alpha_3} · {c.name}") for c in pycountry.currencies)


def minor_unit(code: str) -> int:
    """Number of decimals of the currency (EUR 2, JPY 0, KWD 3)."""
    return get_currency_precision(code)


def round_money(amount: Decimal, currency: str) -> Decimal:
    quantum = Decimal(1).scaleb(-minor_unit(currency))
    return Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)


def line_net(quantity, unit_price, discount_percent, currency: str) -> Decimal:
    """The one line-net formula: quantity times unit price, less the discount percentage, rounded
    half-up to the currency's minor unit (DESIGN.md, "Invoices"). A registration's or item's
    stored net amount and an invoice line's net are both this."""
    gross = Decimal(quantity) * Decimal(unit_price)
    return round_money(gross * (Decimal(100) - Decimal(discount_percent)) / Decimal(100), currency)


def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


def validate_country(code: str) -> None:
    if code and pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(
            f"“{code}” is not an ISO 3166 country code: use two capital letters such as GB or DE.",
            code="invalid_country",
        )


def format_percent(value) -> str:
    """12.50 → "12.5", 10.00 → "10" (never "1E+1")."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
