"""The VAT treatment of an invoice line: the one place that decides it (EN 16931's categories).

Every line that is taxed (registrations, items, the handling fee) takes its category, rate and
legal note from `decide`, through `VatContext` (built once per invoice from the company and the
billing account). The inputs are the seller's country (the company's), the buyer's country, whether
the buyer has a VAT id, whether the buyer is an organisation, the account's *VAT treatment*
override and the product (its catalogue tax rate; goods or a service).

Rule table, first match wins ("abroad": the buyer's country is known and is not the seller's):

    #  when                                           category            rate
    1  the account has a VAT treatment override       the override        S: the product's rate
                                                                          (the company's default
                                                                          rate when the product's
                                                                          is not standard);
                                                                          Z E AE K G O: 0 %
    2  domestic: same country, or either unknown      the product's       the product's rate; the
                                                      rate's (S, Z, E)    default rate as S
                                                                          without one
    3  abroad, the buyer has a VAT id (3), a service  AE reverse charge   0 %
       (course, learning path, fee)
    4  abroad, the buyer has a VAT id, goods (a       K intra-community   0 %
       product marked physical goods), both in the EU
    5  abroad, the buyer has a VAT id, goods, else    G export            0 %
    6  abroad, no VAT id, an organisation outside     O outside scope     0 %
       the seller's VAT area, a service
    7  abroad, no VAT id, outside the seller's VAT    G export            0 %
       area, goods (organisation or individual)
    8  abroad, no VAT id, anything else: an           as domestic (2)     the product's rate
       individual (B2C) or an organisation inside
       the seller's VAT area; a service to an
       individual outside it (the supplier's place)

Legal notes, printed on the PDF (frozen into `invoice.tax_notes` at issue, one a line, each once):
AE "Reverse charge: the customer accounts for the VAT (Article 196 of Directive 2006/112/EC)."
(a seller outside the EU: "... in their own country; the supply is outside the scope of UK
VAT.");
K "Intra-community supply, exempt from VAT (Article 138 of Directive 2006/112/EC).";
G "Export: zero-rated, outside the VAT area."; O "Outside the scope of VAT: the place of supply
is the customer's country."; Z "Zero-rated."; E the rate's exemption text.

(3) A VAT id counts where the buyer's country has VAT numbers (an EU member state, or a country
whose VAT numbers python-stdnum knows): a tax id typed for a US customer (an EIN) is no VAT id.
Goods are products marked *physical goods* (workbooks, kits), not every item: room hire is a
service.

A VAT area is the EU (its member states count as one) or a single country outside it (GB is its
own). Cross-border rules look at the place of supply, not at the product's domestic rate: an
exempt (E) or zero-rated (Z) product sold to a business abroad follows rules 3 to 7 like any
other (the place of supply moves to the buyer's country, where the buyer accounts for the VAT),
so a vocational course exempt at home is reverse-charged to a German company.

The e-invoice's exemption reason codes (VATEX, CEF's code list) are AE → VATEX-EU-AE,
K → VATEX-EU-IC, G → VATEX-EU-G, O → VATEX-EU-O and, for E, the rate's own code (e.g.
VATEX-EU-132-1I). Lines of categories AE, K, G and O carry the category itself as their tax code
("AE", "K", "G", "O") at 0 %; S, Z and E lines keep their rate's code. A catalogue rate saved
as standard at 0 % (before rates had categories) counts as zero-rated (EN 16931 BR-S-05).

A draft records its `tax_basis` (`VatContext.basis`: the countries, whether the buyer has a VAT
id, whether it is an organisation and the override); issuing decides again when the billing
account's basis changed since the draft was made, and collects the legal notes (`notes`) into
`invoice.tax_notes`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import AccountKind
from accounts.platform.tax import EU_COUNTRIES, VatCategory, normalise_vat_id, vat_module

ZERO = Decimal("0.00")

NOTES = {
    VatCategory.REVERSE_CHARGE: "Reverse charge: the customer accounts for the VAT (Article 196 "
    "of Directive 2006/112/EC).",
    VatCategory.INTRA_COMMUNITY: "Intra-community supply, exempt from VAT (Article 138 of "
    "Directive 2006/112/EC).",
    VatCategory.EXPORT: "Export: zero-rated, outside the VAT area.",
    VatCategory.OUTSIDE_SCOPE: "Outside the scope of VAT: the place of supply is the "
    "customer's country.",
    VatCategory.ZERO: "Zero-rated.",
}
EXEMPTION_CODES = {
    VatCategory.REVERSE_CHARGE: "VATEX-EU-AE",
    VatCategory.INTRA_COMMUNITY: "VATEX-EU-IC",
    VatCategory.EXPORT: "VATEX-EU-G",
    VatCategory.OUTSIDE_SCOPE: "VATEX-EU-O",
}
# What an exempt line says when the account is set to exempt but the product's rate is not an
# exempt one (so there is no rate's text to print).
EXEMPT_TEXT = "Exempt from VAT."
# Categories whose lines carry the category itself as tax code, at 0 %.
CROSS_BORDER = (
    VatCategory.REVERSE_CHARGE,
    VatCategory.INTRA_COMMUNITY,
    VatCategory.EXPORT,
    VatCategory.OUTSIDE_SCOPE,
)
# EN 16931 BR-AE-02 / BR-IC-02: these need the seller's and the buyer's VAT ids.
NEEDS_BOTH_VAT_IDS = (VatCategory.REVERSE_CHARGE, VatCategory.INTRA_COMMUNITY)


@dataclass(frozen=True)
class Rate:
    """A domestic rate: a catalogue tax rate, or the company's default rate."""

    code: str
    percent: Decimal
    category: str = VatCategory.STANDARD
    exemption_reason_code: str = ""
    exemption_reason: str = ""

    @classmethod
    def of(cls, tax_rate) -> Rate:
        """A catalogue rate. One saved as standard at 0 % (before rates had categories) counts
        as zero-rated: EN 16931 allows no standard rate of 0 % (BR-S-05)."""
        percent = Decimal(tax_rate.percent)
        category = tax_rate.category or VatCategory.STANDARD
        if category == VatCategory.STANDARD and percent == 0:
            category = VatCategory.ZERO
        return cls(
            code=tax_rate.code,
            percent=percent,
            category=category,
            exemption_reason_code=tax_rate.exemption_reason_code,
            exemption_reason=tax_rate.exemption_reason,
        )

    @classmethod
    def default(cls, tenant) -> Rate:
        """The company's default rate: standard, or zero-rated when it is 0 %."""
        percent = Decimal(tenant.default_tax_rate)
        category = VatCategory.STANDARD if percent > 0 else VatCategory.ZERO
        return cls(code="STD", percent=percent, category=category)


@dataclass(frozen=True)
class Treatment:
    """What a line is taxed at, and what the invoice must say about it."""

    category: str
    tax_code: str
    percent: Decimal
    exemption_reason_code: str = ""
    exemption_reason: str = ""
    note: str = ""

    def apply(self, line) -> None:
        """Set a line's tax fields (in memory)."""
        line.tax_category = self.category
        line.tax_code = self.tax_code
        line.tax_percent = self.percent
        line.exemption_reason_code = self.exemption_reason_code
        line.exemption_reason = self.exemption_reason

    @classmethod
    def of_line(cls, line) -> Treatment:
        return cls(
            category=line.tax_category,
            tax_code=line.tax_code,
            percent=Decimal(line.tax_percent),
            exemption_reason_code=line.exemption_reason_code,
            exemption_reason=line.exemption_reason,
            note=note_for(line.tax_category, line.exemption_reason),
        )


def note_for(category: str, exemption_reason: str = "") -> str:
    if category == VatCategory.EXEMPT:
        return exemption_reason or EXEMPT_TEXT
    return NOTES.get(category, "")


def vat_area(country: str) -> str:
    """The EU counts as one VAT area; any other country is its own."""
    return "EU" if country in EU_COUNTRIES else country


def _domestic(rate: Rate) -> Treatment:
    if rate.category == VatCategory.EXEMPT:
        return Treatment(
            category=VatCategory.EXEMPT,
            tax_code=rate.code,
            percent=ZERO,
            exemption_reason_code=rate.exemption_reason_code,
            exemption_reason=rate.exemption_reason or EXEMPT_TEXT,
            note=note_for(VatCategory.EXEMPT, rate.exemption_reason),
        )
    if rate.category == VatCategory.ZERO:
        return Treatment(
            category=VatCategory.ZERO, tax_code=rate.code, percent=ZERO, note=NOTES["Z"]
        )
    return Treatment(category=VatCategory.STANDARD, tax_code=rate.code, percent=rate.percent)


def _cross_border(category: str) -> Treatment:
    return Treatment(
        category=category,
        tax_code=str(category),
        percent=ZERO,
        exemption_reason_code=EXEMPTION_CODES[category],
        exemption_reason=NOTES[category],
        note=NOTES[category],
    )


def _overridden(override: str, rate: Rate, standard: Rate) -> Treatment:
    if override == VatCategory.STANDARD:
        return _domestic(rate if rate.category == VatCategory.STANDARD else standard)
    if override in CROSS_BORDER:
        return _cross_border(override)
    if override == VatCategory.ZERO:
        code = rate.code if rate.category == VatCategory.ZERO else str(VatCategory.ZERO)
        return Treatment(category=VatCategory.ZERO, tax_code=code, percent=ZERO, note=NOTES["Z"])
    # Exempt: the rate's exemption where it is an exempt rate, else a plain statement.
    if rate.category == VatCategory.EXEMPT:
        return _domestic(rate)
    return Treatment(
        category=VatCategory.EXEMPT,
        tax_code=str(VatCategory.EXEMPT),
        percent=ZERO,
        exemption_reason=EXEMPT_TEXT,
        note=EXEMPT_TEXT,
    )


def decide(
    *,
    seller_country: str,
    buyer_country: str,
    buyer_vat_id: str,
    buyer_is_business: bool,
    override: str,
    rate: Rate,
    product_is_goods: bool,
    standard: Rate | None = None,
) -> Treatment:
    """The treatment of one line, by the rule table of this module's docstring. `rate` is the
    product's catalogue rate (the company's default rate when it has none); `standard` the
    company's default rate, which an override to S falls back to when `rate` is not standard."""
    if override:
        return _overridden(override, rate, standard or rate)
    if not seller_country or not buyer_country or seller_country == buyer_country:
        return _domestic(rate)
    if buyer_vat_id and has_vat_ids(buyer_country):
        if not product_is_goods:
            return _cross_border(VatCategory.REVERSE_CHARGE)
        if seller_country in EU_COUNTRIES and buyer_country in EU_COUNTRIES:
            return _cross_border(VatCategory.INTRA_COMMUNITY)
        return _cross_border(VatCategory.EXPORT)
    if vat_area(buyer_country) != vat_area(seller_country):
        if product_is_goods:
            return _cross_border(VatCategory.EXPORT)
        if buyer_is_business:
            return _cross_border(VatCategory.OUTSIDE_SCOPE)
    return _domestic(rate)


def has_vat_ids(country: str) -> bool:
    """Whether `country` has VAT numbers (python-stdnum knows their format): a tax id typed
    for a buyer elsewhere (a US EIN) is no VAT id, and makes no reverse charge."""
    return country in EU_COUNTRIES or vat_module(country) is not None


class VatContext:
    """The inputs of `decide` that are the same for every line of an invoice (the company and
    the billing account), with each product's treatment worked out once."""

    def __init__(self, tenant, account):
        self.seller_country = (tenant.country or "").upper()
        self.buyer_country = (account.country or "").upper()
        self.buyer_vat_id = normalise_vat_id(account.tax_id, self.buyer_country)
        self.buyer_is_business = account.kind == AccountKind.ORGANISATION
        self.override = account.tax_treatment or ""
        self.standard = Rate.default(tenant)
        self._cache: dict[int | None, Treatment] = {}

    @property
    def basis(self) -> str:
        """A short key of what decided the treatment: a draft whose basis differs from its
        billing account's at issue is decided again."""
        return "|".join(
            (
                self.seller_country or "-",
                self.buyer_country or "-",
                "vat-id" if self.buyer_vat_id else "no-vat-id",
                "org" if self.buyer_is_business else "person",
                self.override or "rules",
            )
        )

    def for_product(self, product) -> Treatment:
        """The treatment of a line of `product` (None: a service at the company's default
        rate, such as a handling fee without a fee product)."""
        key = product.pk if product is not None else None
        if key not in self._cache:
            rate = (
                Rate.of(product.tax_rate)
                if product is not None and product.tax_rate_id
                else self.standard
            )
            self._cache[key] = decide(
                seller_country=self.seller_country,
                buyer_country=self.buyer_country,
                buyer_vat_id=self.buyer_vat_id,
                buyer_is_business=self.buyer_is_business,
                override=self.override,
                rate=rate,
                product_is_goods=product is not None and product.is_goods,
                standard=self.standard,
            )
        return self._cache[key]


def context(tenant, account) -> VatContext:
    return VatContext(tenant, account)


def treatment(tenant, account, product) -> Treatment:
    """One line's treatment, for a caller with a single product to decide."""
    return VatContext(tenant, account).for_product(product)


# A supplier outside the EU cannot cite the EU's VAT directive: a British company's reverse
# charge rests on the place of supply being the customer's country.
REVERSE_CHARGE_OUTSIDE_EU = {
    "GB": "Reverse charge: the customer accounts for the VAT in their own country; the supply "
    "is outside the scope of UK VAT.",
}
REVERSE_CHARGE_OUTSIDE_EU_DEFAULT = (
    "Reverse charge: the customer accounts for the VAT in their own country; the supply is "
    "outside the scope of VAT in the supplier's country."
)


def notes(lines: Iterable, *, seller_country: str = "") -> str:
    """The legal notes the lines' (or bands') treatments require, one a line, each once, in
    the order of the lines. Each has `tax_category` (or `category`) and `exemption_reason`.
    The reverse-charge note names the law of the seller's country (`seller_country`)."""
    seen: list[str] = []
    for line in lines:
        category = getattr(line, "tax_category", None) or getattr(line, "category", "")
        note = note_for(category, getattr(line, "exemption_reason", ""))
        if category == VatCategory.REVERSE_CHARGE and seller_country not in EU_COUNTRIES | {""}:
            note = REVERSE_CHARGE_OUTSIDE_EU.get(seller_country, REVERSE_CHARGE_OUTSIDE_EU_DEFAULT)
        if note and note not in seen:
            seen.append(note)
    return "\n".join(seen)


def missing_vat_ids(categories: Iterable[str], *, seller_vat_number: str, buyer_vat_id: str):
    """Which VAT numbers a reverse-charge or intra-community line still needs (EN 16931
    BR-AE-02, BR-IC-02), in words: an empty list when nothing is missing."""
    if not any(category in NEEDS_BOTH_VAT_IDS for category in categories):
        return []
    missing = []
    if not seller_vat_number:
        missing.append("seller")
    if not buyer_vat_id:
        missing.append("buyer")
    return missing


__all__ = [
    "CROSS_BORDER",
    "EXEMPTION_CODES",
    "NOTES",
    "Rate",
    "Treatment",
    "VatContext",
    "context",
    "decide",
    "missing_vat_ids",
    "note_for",
    "notes",
    "treatment",
    "vat_area",
]
