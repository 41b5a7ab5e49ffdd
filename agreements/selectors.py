from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.platform.bounds import parse_id
from accounts.platform.registry import Hook
from accounts.platform.search import SearchHit, first_hits, text_filter
from agreements.models import (
    Booking,
    BookingUplift,
    DiscountAgreement,
    LedgerKind,
    PrepurchaseAgreement,
    PrepurchaseAllocation,
    PrepurchaseEntry,
    PriceList,
    Product,
    TrainingPackage,
)
from agreements.uplift import contract_years, uplift_on, year_starts

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=3))


def product_list() -> QuerySet[Product]:
    return Product.objects.select_related("package", "tax_rate").order_by("code")


def package_list() -> QuerySet[TrainingPackage]:
    return TrainingPackage.objects.annotate(product_count=Count("products")).order_by("name")


def pricelist_list() -> QuerySet[PriceList]:
    return PriceList.objects.annotate(entry_count=Count("entries")).order_by("name", "pk")


def booking_list() -> QuerySet[Booking]:
    return (
        Booking.objects.select_related("account", "price_list", "owner")
        .annotate(
            interest_count=Count("interests", distinct=True),
            document_count=Count("documents", distinct=True),
        )
        .order_by("-start_date", "-number")
    )


def discount_list() -> QuerySet[DiscountAgreement]:
    return DiscountAgreement.objects.select_related(
        "price_list", "package", "product", "account"
    ).order_by("name", "pk")


# --- Prepurchase agreements and their ledger ----------------------------------------------------
#
# The figures of a ledger, as of a day (today unless said otherwise), one definition for every
# page and for the check in `prepurchase_use`:
#   prepurchased  charges, less reversed charges
#   used          uses, less reversed uses
#   written off   write-offs, less reversed write-offs
#   balance       the sum of every row's effect (= prepurchased − used − written off)
#   expired       what is left on charges whose expiry date is before the day
#   available     balance − expired: what uses may take before the overdraft (negative when the
#                 overdraft is in use)
# A charge's remainder is its amount plus its allocations (PrepurchaseAllocation).

# (ledger rows) -> {row id: number of the invoice whose line wrote that use}. Invoice lines live
# in `invoicing`, which registers the lookup in its AppConfig.ready(); this app never imports it.
# The lookup reads the line's own link to the row (InvoiceLine.prepurchase_entry), so there is
# no second record of who wrote a row to keep in step, and rows written before it are covered.
EntryWriters = Callable[[Iterable[PrepurchaseEntry]], dict[int, str]]
entry_writers: Hook[EntryWriters] = Hook("prepurchase entry writers")


def invoice_written_uses(entries: Iterable[PrepurchaseEntry]) -> dict[int, str]:
    """Of these ledger rows, the uses an invoice line wrote, with the invoice's number."""
    uses = [entry for entry in entries if entry.kind == LedgerKind.USE]
    if not uses or entry_writers.function is None:
        return {}
    return entry_writers.function(uses)


def _of_kind(kind, prefix="entries__"):
    """Rows of `kind` and the reversals of such rows."""
    return Q(**{f"{prefix}kind": kind}) | Q(
        **{f"{prefix}kind": LedgerKind.REVERSAL, f"{prefix}reverses__kind": kind}
    )


def _ledger_sum(condition):
    return Coalesce(Sum("entries__delta", filter=condition), ZERO)


def _subtotal(queryset, group: str, field: str):
    """A correlated subquery: the sum of `field` over `queryset`'s rows of the outer agreement."""
    total = queryset.values(group).annotate(total=Sum(field)).values("total")[:1]
    return Coalesce(Subquery(total, output_field=ZERO.output_field), ZERO)


def _expired_on_charges(day: datetime.date):
    """What is left on the agreement's charges that expired before `day` (not reversed)."""
    bought = PrepurchaseEntry.objects.filter(
        agreement=OuterRef("pk"),
        kind=LedgerKind.CHARGE,
        expires_on__lt=day,
        reversed_by__isnull=True,
    )
    drawn = PrepurchaseAllocation.objects.filter(
        charge__agreement=OuterRef("pk"),
        charge__expires_on__lt=day,
        charge__reversed_by__isnull=True,
    )
    return _subtotal(bought, "agreement", "amount") + _subtotal(drawn, "charge__agreement", "delta")


def prepurchase_list(as_of: datetime.date | None = None) -> QuerySet[PrepurchaseAgreement]:
    """Agreements with their ledger figures (see above) in one query."""
    day = as_of or timezone.localdate()
    return (
        PrepurchaseAgreement.objects.select_related("account", "price_list")
        .annotate(
            prepurchased=_ledger_sum(_of_kind(LedgerKind.CHARGE)),
            used_delta=_ledger_sum(_of_kind(LedgerKind.USE)),
            written_off_delta=_ledger_sum(_of_kind(LedgerKind.WRITE_OFF)),
            balance=Coalesce(Sum("entries__delta"), ZERO),
            expired=_expired_on_charges(day),
        )
        .annotate(available=F("balance") - F("expired"))
        .order_by("-start_date", "-number")
    )


def prepurchase_ledger(agreement: PrepurchaseAgreement) -> list[PrepurchaseEntry]:
    """The agreement's ledger rows; each use an invoice line wrote carries that invoice's number
    as `written_by_invoice` (it is reversed by crediting the line, not on the ledger), and each
    row its allocations to charges (`allocations.all`)."""

    entries = list(
        PrepurchaseEntry.objects.filter(agreement=agreement)
        .select_related("created_by", "reversed_by", "agreement__price_list")
        .prefetch_related("allocations")
    )
    written = invoice_written_uses(entries)
    for entry in entries:
        entry.written_by_invoice = written.get(entry.pk)
    return entries


def prepurchase_figures(
    agreement: PrepurchaseAgreement, as_of: datetime.date | None = None
) -> dict:
    """The ledger's figures as of `as_of` (today): what pages show and uses are checked against."""
    row = prepurchase_list(as_of).get(pk=agreement.pk)
    limit = agreement.overdraft_limit
    return {
        "prepurchased": row.prepurchased,
        "used": -row.used_delta,
        "written_off": -row.written_off_delta,
        "balance": row.balance,
        "expired": row.expired,
        "available": row.available,
        "remaining_overdraft": min(limit, limit + row.available),
        # What a use may take on that day: the available balance and the overdraft left.
        "usable": row.available + limit,
    }


def prepurchase_charges(
    agreement: PrepurchaseAgreement, as_of: datetime.date | None = None
) -> list[PrepurchaseEntry]:
    """The agreement's charges, oldest expiry first (then the purchase date; those that never
    expire last): the order uses draw on them. Each carries its figures as of `as_of` (today):
    `used`, `written_off`, `remainder` (left on it), `lapsed` (past its expiry date), `expired`
    (the remainder, once lapsed), `available` (the remainder, until then) and `is_reversed`."""
    day = as_of or timezone.localdate()
    charges = (
        PrepurchaseEntry.objects.filter(agreement=agreement, kind=LedgerKind.CHARGE)
        .select_related("reversed_by")
        .annotate(
            drawn=Coalesce(Sum("allocated__delta"), ZERO),
            used_delta=Coalesce(
                Sum("allocated__delta", filter=_of_kind(LedgerKind.USE, "allocated__entry__")),
                ZERO,
            ),
            written_off_delta=Coalesce(
                Sum(
                    "allocated__delta",
                    filter=_of_kind(LedgerKind.WRITE_OFF, "allocated__entry__"),
                ),
                ZERO,
            ),
        )
        .order_by(F("expires_on").asc(nulls_last=True), "entry_date", "pk")
    )
    rows = list(charges)
    for charge in rows:
        charge.is_reversed = hasattr(charge, "reversed_by")
        charge.used = -charge.used_delta
        charge.written_off = -charge.written_off_delta
        charge.remainder = Decimal("0") if charge.is_reversed else charge.amount + charge.drawn
        charge.lapsed = charge.is_expired_on(day)
        charge.expired = charge.remainder if charge.lapsed else Decimal("0")
        charge.available = Decimal("0") if charge.lapsed else charge.remainder
    return rows


def uplift_schedule(booking: Booking) -> list[dict]:
    """The booking's contract years from year 2, each with the day it starts, the uplift stated
    for it (or None), and the compounded uplift its prices carry over the agreed price: what
    the booking page shows, by the resolver's own rule (`agreements.uplift`)."""
    rows = list(BookingUplift.objects.filter(booking=booking))
    by_year = {row.contract_year: row for row in rows}
    last = max([contract_years(booking), *by_year])
    schedule = []
    for year in range(2, last + 1):
        starts = year_starts(booking, year)
        uplift = uplift_on(booking, starts, uplifts=rows)
        schedule.append(
            {
                "year": year,
                "starts": starts,
                "row": by_year.get(year),
                "compounded": uplift.percent if uplift else None,
                "after_end": starts > booking.end_date,
            }
        )
    return schedule


# --- The search box (accounts.platform.search) ---------------------------------------------------


def search_bookings(request, query: str, limit: int):
    number = parse_id(query.strip().upper().removeprefix("B-"))
    bookings = text_filter(
        Booking.objects.select_related("account"),
        query,
        ["name", "account__name"],
        also=Q(number=number) if number else None,
    )
    return first_hits(
        bookings.order_by("-start_date", "pk"),
        limit,
        lambda booking: SearchHit(
            title=str(booking),
            url=booking.get_absolute_url(),
            detail=f"{booking.account.name} · {booking.get_status_display()}",
        ),
    )
