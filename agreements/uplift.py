"""Yearly price uplift of a booking (issue 14): which contract year a day falls in, and how much
the booking's agreed prices have risen by then.

Contract year 1 runs from the booking's start date to the day before its first anniversary; year
n starts on the (n-1)th anniversary (a start on 29 February has its anniversary on 28 February
in other years). A day before the start counts as year 1. The uplifts of every year up to the
day's contract year compound: a price agreed at 1,000 with +3.5 % in year 2 and +2 % in year 3 is
1,000 * 1.035 * 1.02 in year 3. Each year's uplift is its percentage, or its index where one is
given and is lower (`BookingUplift.applied_percent`). The uplifted price is rounded once, to the
currency's minor unit, by the resolver (`agreements.pricing.resolve_price`), which is the only
caller that applies it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from agreements.models import Booking, BookingUplift

PERCENT_QUANTUM = Decimal("0.001")  # what a row stores of the cumulative uplift


def anniversary(start: datetime.date, years: int) -> datetime.date:
    """`start` plus whole `years` (29 February → 28 February in a year without one)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, day=28)


def contract_year(booking: Booking, day: datetime.date) -> int:
    """The contract year of `booking` that `day` falls in (1 for any day before year 2)."""
    start = booking.start_date
    if day < start:
        return 1
    years = day.year - start.year
    if anniversary(start, years) > day:
        years -= 1
    return years + 1


def year_starts(booking: Booking, year: int) -> datetime.date:
    """The first day of contract year `year` (the anniversary that opens it)."""
    return anniversary(booking.start_date, year - 1)


def contract_years(booking: Booking) -> int:
    """How many contract years the booking's term opens (its end date's year)."""
    return contract_year(booking, booking.end_date)


@dataclass(frozen=True)
class Uplift:
    """The uplift a price of the booking carries on a day: its contract year, the exact factor
    the agreed price is multiplied by, and that factor as a percentage (three decimals)."""

    contract_year: int
    factor: Decimal

    @property
    def percent(self) -> Decimal:
        return ((self.factor - 1) * 100).quantize(PERCENT_QUANTUM)


def uplift_on(
    booking: Booking, day: datetime.date, uplifts: Iterable[BookingUplift] | None = None
) -> Uplift | None:
    """The compounded uplift of `booking`'s agreed prices on `day`, or None in contract year 1
    or when no uplift is stated for any year up to the day's. `uplifts` may be given (the
    booking's rows, already read) to save the query."""
    year = contract_year(booking, day)
    if year < 2:
        return None
    rows = uplifts if uplifts is not None else BookingUplift.objects.filter(booking=booking)
    applied = [row.applied_percent for row in rows if row.contract_year <= year]
    if not applied:
        return None
    factor = Decimal(1)
    for percent in applied:
        factor *= (Decimal(100) + Decimal(percent)) / Decimal(100)
    return Uplift(contract_year=year, factor=factor)
