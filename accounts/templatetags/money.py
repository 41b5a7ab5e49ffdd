import functools
from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import (
    format_currency,
    format_decimal,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)
from django import template

from accounts.platform.languages import babel_locale, babel_locale_name
from accounts.platform.money import format_percent, minor_unit

register = template.Library()


@register.filter
def money(value, currency):
    """`{{ amount|money:"GBP" }}` → £1,234.50 (in German 1.234,50 £), rounded to the currency's
    minor unit, in the active language's format (the company's, or the invoice's)."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return value
    locale = babel_locale_name()
    if not currency:
        return format_decimal(amount, locale=locale)
    return _currency_formatter(currency, locale)(amount)


# Amounts that check a formatter against Babel before it is trusted: signs, zeros, rounding
# on both sides of the half, grouping of large numbers.
_PROBES = [
    Decimal(text)
    for text in (
        "0", "-0", "0.004", "-0.005", "0.005", "0.015", "1", "-1", "12.5", "999.995", "1234.5",
        "-1234.567", "1000000", "-98765432.1", "123456789012.345",
    )
]  # fmt: skip


@functools.cache
def _currency_formatter(currency: str, locale: str):
    """Babel's `format_currency` for one currency and locale, prepared once.

    Babel parses and looks up the locale's pattern, the symbol and the precision on every call
    (about 65 µs; a report page formats thousands of amounts). This reads them once and formats
    with Python's own grouping, then checks itself against Babel on sample amounts: a currency
    or locale it does not reproduce exactly keeps Babel's (slower) formatting.
    """
    babel = functools.partial(format_currency, currency=currency, locale=locale)
    try:
        fast = _plain_formatter(currency, locale)
    except (KeyError, ValueError):
        return babel
    if all(fast(probe) == babel(probe) for probe in _PROBES):
        return fast
    return babel


def _plain_formatter(currency: str, locale: str):
    parsed = Locale.parse(locale)
    pattern = parsed.currency_formats["standard"]
    if pattern.grouping != (3, 3) or pattern.scale != 0 or "'" in pattern.pattern:
        raise ValueError("not a plain pattern")
    symbol = get_currency_symbol(currency, parsed)
    prefix = [part.replace("¤", symbol) for part in pattern.prefix]
    suffix = [part.replace("¤", symbol) for part in pattern.suffix]
    digits = get_currency_precision(currency)
    quantum = Decimal(1).scaleb(-digits)
    group, decimal = get_group_symbol(parsed), get_decimal_symbol(parsed)
    swap = str.maketrans({",": group, ".": decimal})

    def fast(amount: Decimal) -> str:
        negative = int(amount.is_signed())
        number = f"{abs(amount).quantize(quantum):,.{digits}f}".translate(swap)
        return f"{prefix[negative]}{number}{suffix[negative]}"

    return fast


@register.filter
def input_amount(value, currency):
    """An amount as a number field's value, with the currency's decimals and no grouping
    (1234.500 in KWD, 1234.50 in EUR): what the field shows is what it posts back, so saving
    it unchanged changes nothing (issue 17)."""
    if value is None or value == "":
        return ""
    digits = minor_unit(currency) if currency else 2
    return f"{Decimal(value):.{digits}f}"


@register.filter
def amount(value, currency):
    """The number alone, with the currency's decimals, in the active language's format:
    1,234.50 (German: 1.234,50)."""
    if value is None or value == "":
        return "—"
    digits = minor_unit(currency) if currency else 2
    return _pattern(digits).apply(Decimal(value), babel_locale(babel_locale_name()))


@functools.cache
def _pattern(digits: int):
    """Parsed once per number of decimals: an invoice PDF formats hundreds of amounts."""
    return parse_pattern(f"#,##0.{'0' * digits}" if digits else "#,##0")


@register.filter
def percent(value):
    if value in (None, ""):
        return "—"
    text = format_percent(value)
    decimal = get_decimal_symbol(babel_locale(babel_locale_name()))
    return f"{text.replace('.', decimal)} %"
