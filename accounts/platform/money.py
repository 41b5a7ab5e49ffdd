"""Currencies and rounding: amounts are Decimal, rounded half-up to the currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import pycountry
from babel.numbers import get_currency_precision
from django.core.exceptions import ValidationError
from django.utils.translation import gettext


def is_currency(code: str) -> bool:
    return bool(code) and len(code) == 3 and pycountry.currencies.get(alpha_3=code) is not None


def validate_currency(code: str) -> None:
    if not is_currency(code):
        raise ValidationError(
            (
                gettext(
                    "“%(code)s” is not an ISO 4217 currency code: use three capital letters such "
                    "as EUR, GBP or USD."
                )
                % {"code": code}
            ),
            code="invalid_currency",
        )


def currency_choices() -> list[tuple[str, str]]:
    return sorted((c.alpha_3, f"{c.alpha_3} · {c.name}") for c in pycountry.currencies)


def minor_unit(code: str) -> int:
    """Number of decimals of the currency (EUR 2, JPY 0, KWD 3)."""
    return get_currency_precision(code)


# Money columns: 14 digits, 3 of them decimals (the largest minor unit, e.g. KWD).
MONEY_DIGITS, MONEY_PLACES = 14, 3
MONEY_MAX = Decimal(10) ** (MONEY_DIGITS - MONEY_PLACES) - Decimal(1).scaleb(-MONEY_PLACES)


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit. An amount that is not a number or
    is too large for a money column is refused with a message that says so (never Decimal's
    `[<class 'decimal.InvalidOperation'>]`)."""
    quantum = Decimal(1).scaleb(-minor_unit(currency))
    try:
        rounded = Decimal(amount).quantize(quantum, rounding=ROUND_HALF_UP)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(
            gettext(
                "The amount must be a number of at most %(MONEY_MAX)s %(currency)s: correct it."
            )
            % {"MONEY_MAX": format(MONEY_MAX, ","), "currency": currency},
            code="invalid_amount",
        ) from None
    _check_fits(rounded, currency)
    return rounded


def _check_fits(amount: Decimal, currency: str) -> None:
    if not amount.is_finite() or abs(amount) > MONEY_MAX:
        raise ValidationError(
            (
                gettext(
                    "That comes to more than the largest amount that can be stored (%(MONEY_MAX)s "
                    "%(currency)s): lower the quantity, the number of places or the price."
                )
                % {"MONEY_MAX": format(MONEY_MAX, ","), "currency": currency}
            ),
            code="amount_too_large",
        )


def line_net(quantity, unit_price, discount_percent, currency: str) -> Decimal:
    """The one line-net formula: quantity times unit price, less the discount percentage, rounded
    half-up to the currency's minor unit (DESIGN.md, "Invoices"). A registration's or item's
    stored net amount and an invoice line's net are both this. A net too large for a money
    column is refused (ValidationError) before anything is written."""
    try:
        gross = Decimal(quantity) * Decimal(unit_price)
        net = gross * (Decimal(100) - Decimal(discount_percent)) / Decimal(100)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(
            gettext("The quantity, price and discount must be numbers: correct them."),
            code="invalid_amount",
        ) from None
    _check_fits(net, currency)
    return round_money(net, currency)


def country_choices() -> list[tuple[str, str]]:
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda c: c[1])


def validate_country(code: str) -> None:
    if code and pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(
            gettext(
                "“%(code)s” is not an ISO 3166 country code: use two capital letters such as GB or "
                "DE."
            )
            % {"code": code},
            code="invalid_country",
        )


def format_percent(value) -> str:
    """12.50 → "12.5", 10.00 → "10" (never "1E+1")."""
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
