from decimal import Decimal

from django.db.models import Count, DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from agreements.models import (
    Booking,
    BookingUplift,
    DiscountAgreement,
    LedgerKind,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PriceList,
    Product,
    TrainingPackage,
)
from agreements.services import invoice_written_uses
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


def _ledger_sum(condition):
    return Coalesce(Sum("entries__delta", filter=condition), ZERO)


def prepurchase_list() -> QuerySet[PrepurchaseAgreement]:
    """Agreements with their ledger figures (prepurchased, used, balance) in one query."""
    charges = Q(entries__kind=LedgerKind.CHARGE) | Q(
        entries__kind=LedgerKind.REVERSAL, entries__reverses__kind=LedgerKind.CHARGE
    )
    uses = Q(entries__kind=LedgerKind.USE) | Q(
        entries__kind=LedgerKind.REVERSAL, entries__reverses__kind=LedgerKind.USE
    )
    return (
        PrepurchaseAgreement.objects.select_related("account", "price_list")
        .annotate(
            prepurchased=_ledger_sum(charges),
            used_delta=_ledger_sum(uses),
            balance=Coalesce(Sum("entries__delta"), ZERO),
        )
        .order_by("-start_date", "-number")
    )


def prepurchase_ledger(agreement: PrepurchaseAgreement) -> list[PrepurchaseEntry]:
    """The agreement's ledger rows; each use an invoice line wrote carries that invoice's number
    as `written_by_invoice` (it is reversed by crediting the line, not on the ledger)."""

    entries = list(
        PrepurchaseEntry.objects.filter(agreement=agreement).select_related(
            "created_by", "reversed_by", "agreement__price_list"
        )
    )
    written = invoice_written_uses(entries)
    for entry in entries:
        entry.written_by_invoice = written.get(entry.pk)
    return entries


def prepurchase_figures(agreement: PrepurchaseAgreement) -> dict:
    row = prepurchase_list().get(pk=agreement.pk)
    used = -row.used_delta
    return {
        "prepurchased": row.prepurchased,
        "used": used,
        "balance": row.balance,
        "remaining_overdraft": min(
            agreement.overdraft_limit, agreement.overdraft_limit + row.balance
        ),
        "available": row.balance + agreement.overdraft_limit,
    }


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
