"""The money rules of an invoice (DESIGN.md, "Invoices").

Each line's net is rounded half-up to the currency's minor unit; tax is computed per tax rate on
the sum of that rate's line nets; totals are sums of rounded figures. So every export reconciles
to the cent with the PDFs.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from accounts.platform.money import minor_unit, round_money


@dataclass(frozen=True)
class TaxBand:
    code: str
    percent: Decimal
    net: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal
    gross: Decimal
    bands: tuple[TaxBand, ...]


def compute(lines: Iterable, currency: str) -> Totals:
    """`lines` have `net`, `tax_code` and `tax_percent` (rounded nets, as stored)."""
    by_rate: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.tax_code, Decimal(line.tax_percent))
        by_rate[key] = by_rate.get(key, Decimal(0)) + Decimal(line.net)
    bands = tuple(
        TaxBand(
            code=code,
            percent=percent,
            net=net,
            tax=round_money(net * percent / Decimal(100), currency),
        )
        for (code, percent), net in sorted(by_rate.items())
    )
    net = sum((band.net for band in bands), Decimal(0))
    tax = sum((band.tax for band in bands), Decimal(0))
    zero = round_money(Decimal(0), currency)
    return Totals(net=net + zero, tax=tax + zero, gross=net + tax + zero, bands=bands)


def allocate_tax(lines: list, bands: tuple[TaxBand, ...], currency: str) -> list[Decimal]:
    """Each line's share of its rate's tax, so that the lines of a rate add up to the band's tax
    exactly (largest-remainder rounding). Exports then reconcile to the cent, line by line."""

    quantum = Decimal(1).scaleb(-minor_unit(currency))
    shares: list[Decimal] = [Decimal(0)] * len(lines)
    for band in bands:
        members = [
            i
            for i, line in enumerate(lines)
            if (line.tax_code, Decimal(line.tax_percent)) == (band.code, band.percent)
        ]
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
