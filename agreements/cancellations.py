"""Cancellation, transfer and no-show terms: which terms apply, what a late cancellation or a
no-show costs, and until when a transfer is free (the one definition; `projects` cancels,
transfers and marks no-shows with it). The terms are rows (`agreements.models.terms`); their
writes are `cancellation_terms_save` here.

A booking's own terms apply to its projects; a project without a booking, or a booking without
terms of its own, takes the company's default terms; a company without any charges nothing
(cancellations free, no-shows free, transfers free until the start), as before terms existed.

A cancellation `days` before the event's start falls in the band with the largest
`min_days_before` not above `days` (cancelling on or after the start day counts as 0 days); no
band reached means free. The fee is that percentage of the place's price: the registration's
net amount (its agreed price after discounts), rounded to the currency's minor unit.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.money import format_percent, round_money
from agreements.models import Booking, CancellationBand, CancellationTerms


@dataclass(frozen=True)
class Band:
    min_days_before: int
    percent: Decimal


@dataclass(frozen=True)
class Terms:
    """The terms that apply, as plain values (`source` says whose they are)."""

    source: str  # "Booking 12 …'s terms", "the company's default terms", "no terms"
    bands: tuple[Band, ...]  # largest min_days_before first
    no_show_percent: Decimal
    free_transfer_days: int | None

    def band_for(self, days: int) -> Band | None:
        days = max(days, 0)
        return next((band for band in self.bands if days >= band.min_days_before), None)

    def band_rows(self) -> list[tuple[str, Decimal]]:
        """Each band as a range of days a person reads ("7 to 13 days before the start"), from the
        earliest cancellation to the latest; below the lowest band, free."""
        rows = []
        previous = None
        for band in self.bands:
            low = band.min_days_before
            if previous is None:
                label = gettext("%(days)s or more days before the start") % {"days": low}
            elif low == 0:
                label = gettext("less than %(days)s days before the start, or later") % {
                    "days": previous
                }
            elif previous - 1 == low:
                label = ngettext(
                    "%(days)s day before the start", "%(days)s days before the start", low
                ) % {"days": low}
            else:
                label = gettext("%(low)s–%(high)s days before the start") % {
                    "low": low,
                    "high": previous - 1,
                }
            rows.append((label, band.percent))
            previous = low
        if previous:
            label = gettext("less than %(days)s days before the start") % {"days": previous}
            rows.append((label, Decimal(0)))
        return rows


NO_TERMS = Terms(
    source=gettext_lazy("no terms"), bands=(), no_show_percent=Decimal(0), free_transfer_days=None
)


@dataclass(frozen=True)
class Fee:
    """What cancelling (or not showing up for) a place costs, and the rule that says so."""

    percent: Decimal
    amount: Decimal
    rule: str  # "cancelled 9 days before the start: 50 % (Booking 12's terms)"

    @property
    def is_free(self) -> bool:
        return self.amount <= 0


def terms_for(*, tenant, booking: Booking | None) -> Terms:
    """The terms of `booking`, else the company's default, else none (two queries at most)."""
    rows = CancellationTerms.objects.filter(tenant=tenant, booking__isnull=True)
    if booking is not None:
        rows = CancellationTerms.objects.filter(tenant=tenant, booking=booking) | rows
    chosen = sorted(rows, key=lambda terms: terms.booking_id is None)
    if not chosen:
        return NO_TERMS
    row = chosen[0]
    source = (
        gettext("the terms of %(booking)s") % {"booking": booking}
        if row.booking_id
        else gettext("the company's default terms")
    )
    return Terms(
        source=source,
        bands=tuple(
            Band(band.min_days_before, band.percent)
            for band in CancellationBand.objects.filter(terms=row).order_by("-min_days_before")
        ),
        no_show_percent=row.no_show_percent,
        free_transfer_days=row.free_transfer_days,
    )


def days_before(start: datetime.date, on_date: datetime.date) -> int:
    """Whole days from `on_date` to the event's start (0 on or after the start day)."""
    return max((start - on_date).days, 0)


def cancellation_fee(
    terms: Terms, *, price: Decimal, currency: str, start: datetime.date, on_date: datetime.date
) -> Fee:
    days = days_before(start, on_date)
    band = terms.band_for(days)
    percent = band.percent if band else Decimal(0)
    # Whole sentences, each in the company's language (they were English glued together, and
    # a cancellation on the start day read "cancelled on the day it starts the start").
    values = {"fee": _fee_text(percent), "source": terms.source, "days": days}
    if on_date > start:
        rule = gettext("cancelled after it started: %(fee)s (%(source)s)") % values
    elif days == 0:
        rule = gettext("cancelled on the day it starts: %(fee)s (%(source)s)") % values
    else:
        rule = (
            ngettext(
                "cancelled %(days)s day before the start: %(fee)s (%(source)s)",
                "cancelled %(days)s days before the start: %(fee)s (%(source)s)",
                days,
            )
            % values
        )
    return Fee(
        percent=percent, amount=round_money(price * percent / Decimal(100), currency), rule=rule
    )


def _fee_text(percent: Decimal) -> str:
    return gettext("free") if not percent else f"{format_percent(percent)} %"


def no_show_fee(terms: Terms, *, price: Decimal, currency: str) -> Fee:
    percent = terms.no_show_percent
    return Fee(
        percent=percent,
        amount=round_money(price * percent / Decimal(100), currency),
        rule=gettext("no-show: %(fee)s (%(source)s)")
        % {"fee": f"{format_percent(percent)} %", "source": terms.source},
    )


def transfer_deadline(terms: Terms, start: datetime.date) -> datetime.date:
    """The last day a place on an event starting on `start` can be transferred for free."""
    if terms.free_transfer_days is None:
        return start - datetime.timedelta(days=1)
    return start - datetime.timedelta(days=terms.free_transfer_days)


# --- Writes -------------------------------------------------------------------------------------


@transaction.atomic
def cancellation_terms_save(
    *,
    tenant,
    by,
    booking: Booking | None,
    bands: Sequence[tuple[int, Decimal]],
    no_show_percent: Decimal,
    free_transfer_days: int | None,
    notes: str = "",
) -> CancellationTerms:
    """Set the company's default terms (`booking` None) or a booking's own, bands replaced."""
    require_active(tenant)
    check_tenant(tenant, booking)
    days = [int(day) for day, _ in bands]
    if len(set(days)) != len(days):
        raise ValidationError(gettext("Two bands start at the same number of days: merge them."))
    for day, percent in bands:
        if int(day) < 0 or not Decimal(0) <= Decimal(percent) <= Decimal(100):
            raise ValidationError(
                gettext("Each band needs days of 0 or more and a fee between 0 and 100 %.")
            )
    ordered = sorted(((int(day), Decimal(percent)) for day, percent in bands), reverse=True)
    if any(percent for _, percent in ordered) and ordered[-1][0] != 0:
        raise ValidationError(
            gettext(
                "Add a band from 0 days: as it stands a cancellation less than %(ordered)s days "
                "before the start would be free while an earlier one costs a fee."
            )
            % {"ordered": ordered[-1][0]}
        )
    # Earliest cancellation first: each later band must cost at least as much.
    for (_, sooner_percent), (_, later_percent) in itertools.pairwise(ordered):
        if later_percent < sooner_percent:
            raise ValidationError(
                gettext(
                    "A later cancellation cannot cost less than an earlier one: the fee must grow "
                    "as the start comes closer."
                )
            )
    terms = CancellationTerms.objects.select_for_update().filter(
        tenant=tenant, booking=booking
    ).first() or CancellationTerms(tenant=tenant, booking=booking)
    before = (
        {"bands": _describe_rows(terms), "no_show": terms.no_show_percent} if terms.pk else None
    )
    terms.no_show_percent = Decimal(no_show_percent)
    terms.free_transfer_days = free_transfer_days
    terms.notes = notes
    terms.full_clean()
    terms.save()
    CancellationBand.objects.filter(terms=terms).delete()
    CancellationBand.objects.bulk_create(
        CancellationBand(tenant=tenant, terms=terms, min_days_before=day, percent=percent)
        for day, percent in ordered
    )
    audit(
        tenant=tenant,
        actor=by,
        action="cancellation terms saved",
        obj=booking if booking is not None else terms,
        before=before,
        after={
            "bands": _describe_rows(terms),
            "no_show": terms.no_show_percent,
            "free_transfer_days": free_transfer_days,
        },
    )
    return terms


def cancellation_terms_remove(*, tenant, by, booking: Booking) -> None:
    """A booking goes back to the company's default terms."""
    require_active(tenant)
    check_tenant(tenant, booking)
    with transaction.atomic():
        deleted, _ = CancellationTerms.objects.filter(tenant=tenant, booking=booking).delete()
        if deleted:
            audit(
                tenant=tenant,
                actor=by,
                action="cancellation terms removed",
                obj=booking,
                after={"terms": "the company's default terms"},
            )


def _describe_rows(terms: CancellationTerms) -> str:
    if not terms.pk:
        return ""
    return "; ".join(
        f"{band.min_days_before}+ days: {format_percent(band.percent)} %"
        for band in CancellationBand.objects.filter(terms=terms).order_by("-min_days_before")
    )
