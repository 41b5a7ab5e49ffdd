"""The money rules of an invoice (DESIGN.md, "Invoices").

Each line's net is rounded half-up to the currency's minor unit; tax is computed per tax band on
the sum of that band's line nets; totals are sums of rounded figures. So every export reconciles
to the cent with the PDFs.

A band is a VAT category with a tax code and rate (EN 16931's VAT breakdown): lines of the same
rate but different categories (a standard line and a reverse-charged one, say) are separate bands,
as the e-invoices require.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from accounts.platform.money import minor_unit, round_money
from accounts.platform.tax import VatCategory


@dataclass(frozen=True)
class TaxBand:
    code: str
    percent: Decimal
    net: Decimal
    tax: Decimal
    category: str = VatCategory.STANDARD
    exemption_reason_code: str = ""
    exemption_reason: str = ""

    @property
    def key(self) -> tuple[str, str, Decimal]:
        return (self.category, self.code, self.percent)


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    bands: tuple[TaxBand, ...]


def band_key(line) -> tuple[str, str, Decimal]:
    """The band a line belongs to: (VAT category, tax code, rate). A line without a category
    (a caller's own object) counts as standard."""
    category = getattr(line, "tax_category", "") or VatCategory.STANDARD
    return (str(category), line.tax_code, Decimal(line.tax_percent))


def compute(lines: Iterable, currency: str) -> Totals:
    """`lines` have `net`, `tax_category`, `tax_code` and `tax_percent` (rounded nets, as
    stored), and may have `exemption_reason_code` and `exemption_reason` (the band takes its
    first line's)."""
    by_band: dict[tuple[str, str, Decimal], Decimal] = {}
    exemptions: dict[tuple[str, str, Decimal], tuple[str, str]] = {}
    for line in lines:
        key = band_key(line)
        by_band[key] = by_band.get(key, Decimal(0)) + Decimal(line.net)
        exemptions.setdefault(
            key,
            (getattr(line, "exemption_reason_code", ""), getattr(line, "exemption_reason", "")),
        )
    bands = tuple(
        TaxBand(
            code=code,
            percent=percent,
            net=net,
            tax=round_money(net * percent / Decimal(100), currency),
            category=category,
            exemption_reason_code=exemptions[(category, code, percent)][0] or "",
            exemption_reason=exemptions[(category, code, percent)][1] or "",
        )
        for (category, code, percent), net in sorted(by_band.items())
    )
    net = sum((band.net for band in bands), Decimal(0))
    tax = sum((band.tax for band in bands), Decimal(0))
    zero = round_money(Decimal(0), currency)
    return Totals(net=net + zero, tax=tax + zero, gross=net + tax + zero, bands=bands)


def allocate_tax(lines: list, bands: tuple[TaxBand, ...], currency: str) -> list[Decimal]:
    """Each line's share of its band's tax, so that the lines of a band add up to the band's
    tax exactly (largest-remainder rounding). Exports then reconcile to the cent, line by line."""

    quantum = Decimal(1).scaleb(-minor_unit(currency))
    shares: list[Decimal] = [Decimal(0)] * len(lines)
    keys = [band_key(line) for line in lines]
    for band in bands:
        members = [i for i, key in enumerate(keys) if key == band.key]
        exact = [Decimal(lines[i].net) * band.percent / Decimal(100) for i in members]
        floors = [
            (value / quantum).to_integral_value(rounding="ROUND_FLOOR") * quantum for value in exact
        ]
        leftover = int(((band.tax - sum(floors, Decimal(0))) / quantum).to_integral_value())
        order = sorted(range(len(members)), key=lambda k: (exact[k] - floors[k], -k), reverse=True)
        step = quantum if leftover >= 0 else -quantum
        for k in order[: abs(leftover)]:
            floors[k] += step
        for k, i in enumerate(members):
            shares[i] = floors[k]
    return shares
