"""The VAT vocabulary every app shares: EN 16931's VAT categories and the check of a VAT id.

Which category a line takes is decided in one place, `invoicing.vat` (its rule table); this
module only names the categories, so that a customer account (`accounts`) and a tax rate
(`agreements`) can hold one without importing `invoicing`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError


class VatCategory(models.TextChoices):
    """EN 16931's VAT category codes (UNCL 5305, the subset the standard allows)."""

    STANDARD = "S", _("S · Standard rate")
    ZERO = "Z", _("Z · Zero rated")
    EXEMPT = "E", _("E · Exempt from VAT")
    REVERSE_CHARGE = "AE", _("AE · Reverse charge")
    INTRA_COMMUNITY = "K", _("K · Intra-community supply (EU, goods)")
    EXPORT = "G", _("G · Export outside the VAT area")
    OUTSIDE_SCOPE = "O", _("O · Outside the scope of VAT")


# Categories that a tax rate of the catalogue can stand for: what a domestic sale is taxed at.
DOMESTIC_CATEGORIES = (VatCategory.STANDARD, VatCategory.ZERO, VatCategory.EXEMPT)


# The EU's member states, by the prefix of their VAT ids (Greece's is EL, not GR): a sale between
# two of them is intra-community.
EU_COUNTRIES = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
    ]
)
_VAT_PREFIX = {"GR": "EL"}


def vat_module(country: str):
    """python-stdnum's VAT module for `country`, or None where it has none."""
    if not country:
        return None
    try:
        return get_cc_module(country.lower(), "vat")
    except (ImportError, AttributeError):
        return None


def normalise_vat_id(value: str, country: str = "") -> str:
    """`value` without spaces, dots and dashes, in capitals; the country's prefix added when
    it is missing and the country is an EU member state (as VIES and EN 16931 write it)."""
    compact = "".join(ch for ch in (value or "") if ch.isalnum()).upper()
    prefix = _VAT_PREFIX.get(country, country)
    if compact and country in EU_COUNTRIES | {"GB"} and not compact[:2].isalpha():
        compact = prefix + compact
    return compact


def validate_vat_id(value: str, country: str = "") -> None:
    """Refuse a VAT id whose format or check digits are wrong for its country (the prefix's
    country where it has one, else `country`). A country python-stdnum does not know is
    accepted as typed: there is nothing to check it against."""
    if not value:
        return
    compact = normalise_vat_id(value, country)
    prefix = compact[:2]
    if prefix.isalpha():
        country_of_id = {"EL": "GR", "XI": "GB"}.get(prefix, prefix)
        if vat_module(country_of_id) is not None:
            country = country_of_id
    module = vat_module(country)
    if module is None:
        return
    try:
        module.validate(compact)
    except StdnumError:
        raise ValidationError(
            (
                gettext(
                    "“%(value)s” is not a valid %(country)s VAT number: check the digits (for "
                    "example %(country2)s), or leave it empty."
                )
                % {"value": value, "country": country, "country2": _example(country)}
            ),
            code="invalid_vat_id",
        ) from None


_EXAMPLES = {
    "GB": "GB980780684",
    "DE": "DE136695976",
    "FR": "FR40303265045",
    "NL": "NL004495445B01",
}


def _example(country: str) -> str:
    return _EXAMPLES.get(country, f"{_VAT_PREFIX.get(country, country)} followed by the number")


__all__ = [
    "DOMESTIC_CATEGORIES",
    "EU_COUNTRIES",
    "VatCategory",
    "normalise_vat_id",
    "validate_vat_id",
    "vat_module",
]
