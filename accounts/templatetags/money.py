import functools
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, format_decimal, parse_pattern
from django import template

from accounts.platform.money import format_percent, minor_unit

register = template.Library()


@register.filter
def money(value, currency):
    """`{{ amount|money:"GBP" }}` → £1,234.50, rounded to the currency's minor unit."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    if not currency:
        return format_decimal(amount, locale="en_GB")
    return format_currency(amount, currency, locale="en_GB")


@register.filter
def amount(value, currency):
    """The number alone, with the currency's decimals: 1,234.50."""
    if value is None or value == "":
        return "—"
    digits = minor_unit(currency) if currency else 2
    return _pattern(digits).apply(Decimal(value), _LOCALE)


_LOCALE = Locale.parse("en_GB")


@functools.cache
def _pattern(digits: int):
    """Parsed once per number of decimals: an invoice PDF formats hundreds of amounts."""
    return parse_pattern(f"#,##0.{'0' * digits}" if digits else "#,##0")


@register.filter
def percent(value):

    return "—" if value in (None, "") else f"{format_percent(value)} %"
