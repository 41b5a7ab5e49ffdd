"""Every write of agreements that spans rows or enforces a business rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.platform import documents
from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.importing import ImportReport
from accounts.platform.money import round_money
from accounts.platform.registry import Hook
from accounts.platform.sequences import next_number
from agreements.models import (
    Booking,
    BookingDocument,
    BookingUplift,
    DiscountAgreement,
    Interest,
    LedgerKind,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PrepurchaseStatus,
    PrepurchaseUnit,
    PriceList,
    PriceListEntry,
    Product,
    TaxRate,
    TrainingPackage,
)
from agreements.resources import PriceListEntryResource
from agreements.uplift import contract_years, year_starts

BOOKING_NUMBER_START = 1
PREPURCHASE_NUMBER_START = 1


def _save(tenant, row, *links):
    require_active(tenant)
    if row.pk and row.tenant_id != tenant.pk:
        raise ValidationError(f"{row} belongs to another company.")
    row.tenant = tenant
    check_tenant(tenant, *links)
    row.full_clean()
    row.save()
    return row


# --- Catalogue ----------------------------------------------------------------------------------


@transaction.atomic
def taxrate_save(*, tenant, by, tax_rate: TaxRate) -> TaxRate:
    return _save(tenant, tax_rate)


@transaction.atomic
def package_save(*, tenant, by, package: TrainingPackage) -> TrainingPackage:
    return _save(tenant, package)


@transaction.atomic
def product_save(*, tenant, by, product: Product) -> Product:
    product.code = product.code.strip().upper()
    product.currency = (product.currency or "").upper()
    if product.currency:
        product.default_price = round_money(product.default_price, product.currency)
        product.unit_cost = round_money(product.unit_cost, product.currency)
    return _save(tenant, product, product.package, product.tax_rate)


# --- Price lists --------------------------------------------------------------------------------


@transaction.atomic
def pricelist_save(*, tenant, by, price_list: PriceList) -> PriceList:
    price_list.currency = (price_list.currency or "").upper()
    if price_list.pk:
        original = PriceList.objects.get(pk=price_list.pk)
        if original.currency != price_list.currency and price_list.entries.exists():
            raise ValidationError(
                {
                    "currency": "The list has prices in "
                    f"{original.currency}; its currency cannot change."
                }
            )
    return _save(tenant, price_list)


@transaction.atomic
def pricelist_entry_save(*, tenant, by, entry: PriceListEntry) -> PriceListEntry:
    entry.unit_price = round_money(entry.unit_price, entry.price_list.currency)
    return _save(tenant, entry, entry.price_list, entry.product)


# --- Bookings -----------------------------------------------------------------------------------


@transaction.atomic
def booking_save(*, tenant, by, booking: Booking) -> Booking:
    booking.currency = (booking.currency or "").upper()
    if booking.estimated_value is not None and booking.currency:
        booking.estimated_value = round_money(booking.estimated_value, booking.currency)
    if not booking.pk:
        booking.number = next_number(tenant=tenant, key="booking", start=BOOKING_NUMBER_START)
    return _save(tenant, booking, booking.account, booking.price_list)


@transaction.atomic
def booking_interests_update(
    *, tenant, by, booking: Booking, changed: Iterable[Interest], deleted: Iterable[Interest] = ()
) -> None:
    """Save the booking's agreed prices in one go: all of them, or none."""
    require_active(tenant)
    check_tenant(tenant, booking)
    for interest in deleted:
        if interest.booking_id != booking.pk:
            raise ValidationError("That agreed price belongs to another booking.")
        interest.delete()
    for interest in changed:
        interest.booking = booking
        interest.unit_price = round_money(interest.unit_price, booking.currency)
        _save(tenant, interest, interest.product)


def _uplift_values(rows) -> dict:
    """What an audit entry records of a booking's uplifts: per contract year, the percentage,
    the index cap and what is applied."""
    return {
        f"year {row.contract_year}": (
            f"{row.percent} %"
            + (f", index {row.index_percent} %" if row.index_percent is not None else "")
            + f" → {row.applied_percent} %"
        )
        for row in sorted(rows, key=lambda row: row.contract_year)
    }


@transaction.atomic
def booking_uplifts_update(
    *,
    tenant,
    by,
    booking: Booking,
    changed: Iterable[BookingUplift],
    deleted: Iterable[BookingUplift] = (),
) -> list[BookingUplift]:
    """Save the booking's yearly price uplifts in one go (all of them, or none), audited.

    An uplift names a contract year from 2 to the last year the booking's term opens. Rows
    already priced keep their prices: an uplift prices the registrations and items added from
    then on (and an issued invoice never changes)."""
    require_active(tenant)
    check_tenant(tenant, booking)
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    before = list(BookingUplift.objects.filter(booking=booking))
    last_year = contract_years(booking)
    for uplift in deleted:
        if uplift.booking_id != booking.pk:
            raise ValidationError("That uplift belongs to another booking.")
        uplift.delete()
    for uplift in changed:
        if uplift.pk and uplift.booking_id != booking.pk:
            raise ValidationError("That uplift belongs to another booking.")
        uplift.booking = booking
        if uplift.contract_year is not None and uplift.contract_year > last_year:
            raise ValidationError(
                {
                    "contract_year": f"{booking} runs {last_year} contract year"
                    f"{'s' if last_year != 1 else ''} ({booking.start_date:%d %b %Y} to "
                    f"{booking.end_date:%d %b %Y}): year {uplift.contract_year} would start on "
                    f"{year_starts(booking, uplift.contract_year):%d %b %Y}, after it ends. "
                    "Choose an earlier year, or extend the booking first."
                }
            )
        _save(tenant, uplift, booking)
    after = list(BookingUplift.objects.filter(booking=booking))
    if _uplift_values(before) != _uplift_values(after):
        audit(
            tenant=tenant,
            actor=by,
            action="price uplifts changed",
            obj=booking,
            before=_uplift_values(before),
            after=_uplift_values(after),
        )
    return after


@transaction.atomic
def document_upload(*, tenant, by, booking: Booking, upload, description="") -> BookingDocument:
    """Store an uploaded file under a generated name after checking its size, type and content."""
    require_active(tenant)
    check_tenant(tenant, booking)
    return documents.store(
        BookingDocument(tenant=tenant, booking=booking), upload, by=by, description=description
    )


@transaction.atomic
def document_delete(*, tenant, by, document: BookingDocument) -> None:
    """Delete the row now (audited) and the file once the transaction has committed."""
    require_active(tenant)
    check_tenant(tenant, document)
    documents.discard(document, tenant=tenant, by=by, attached_to=document.booking)


# --- Discount agreements ------------------------------------------------------------------------


@transaction.atomic
def discount_save(*, tenant, by, discount: DiscountAgreement) -> DiscountAgreement:
    return _save(
        tenant, discount, discount.price_list, discount.package, discount.product, discount.account
    )


# --- Prepurchase agreements and their ledger ----------------------------------------------------


@transaction.atomic
def prepurchase_save(*, tenant, by, agreement: PrepurchaseAgreement) -> PrepurchaseAgreement:
    if not agreement.pk:
        agreement.number = next_number(
            tenant=tenant, key="prepurchase", start=PREPURCHASE_NUMBER_START
        )
    return _save(tenant, agreement, agreement.account, agreement.price_list)


def _locked(agreement: PrepurchaseAgreement) -> PrepurchaseAgreement:
    """Lock the agreement row: ledger writes on one agreement happen one at a time."""
    return (
        PrepurchaseAgreement.objects.select_for_update()
        .select_related("price_list")
        .get(pk=agreement.pk)
    )


def _quantity(agreement: PrepurchaseAgreement, amount) -> Decimal:
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        raise ValidationError("Enter the amount as a number, e.g. 1500.00.") from None
    if agreement.unit == PrepurchaseUnit.MONEY:
        amount = round_money(amount, agreement.currency)
    else:
        amount = amount.quantize(Decimal("0.01"))
    if amount <= 0:
        raise ValidationError("Enter an amount greater than zero.")
    return amount


def _show(agreement: PrepurchaseAgreement, value) -> str:
    """A ledger figure as people read it: the currency's decimals, or two for units."""
    if agreement.unit == PrepurchaseUnit.MONEY:
        return f"{round_money(value, agreement.currency):,} {agreement.currency}"
    return f"{Decimal(value).quantize(Decimal('0.01')):,} units"


def ledger_balance(agreement: PrepurchaseAgreement) -> Decimal:
    return PrepurchaseEntry.objects.filter(agreement=agreement).aggregate(total=Sum("delta"))[
        "total"
    ] or Decimal("0")


def _entry(agreement, by, **fields) -> PrepurchaseEntry:
    entry = PrepurchaseEntry(
        tenant_id=agreement.tenant_id,
        agreement=agreement,
        created_by=by,
        entry_date=fields.pop("entry_date", None) or timezone.localdate(),
        **fields,
    )
    entry.full_clean()
    entry.save()
    return entry


@transaction.atomic
def prepurchase_charge(
    *, tenant, by, agreement: PrepurchaseAgreement, amount, description="", on_date=None
) -> PrepurchaseEntry:
    """The customer buys money or units; top-ups are possible until the end date."""
    require_active(tenant)
    check_tenant(tenant, agreement)
    agreement = _locked(agreement)
    day = on_date or timezone.localdate()
    if agreement.status != PrepurchaseStatus.ACTIVE:
        raise ValidationError(
            f"{agreement} is {agreement.get_status_display().lower()}: nothing can be added."
        )
    if day > agreement.end_date:
        raise ValidationError(
            f"{agreement} ended on {agreement.end_date:%d %b %Y}; top-ups are "
            "possible only until then. Start a new agreement instead."
        )
    quantity = _quantity(agreement, amount)
    return _entry(
        agreement,
        by,
        kind=LedgerKind.CHARGE,
        amount=quantity,
        delta=quantity,
        description=description,
        entry_date=day,
    )


@transaction.atomic
def prepurchase_use(
    *,
    tenant,
    by,
    agreement: PrepurchaseAgreement,
    amount,
    reference="",
    description="",
    on_date=None,
) -> PrepurchaseEntry:
    """Pay from the balance; refused if it would pass the overdraft limit.

    The agreement row is locked first, so two uses at the same moment are applied one after the
    other and the second sees the first's effect on the balance.
    """
    require_active(tenant)
    check_tenant(tenant, agreement)
    agreement = _locked(agreement)
    if agreement.status != PrepurchaseStatus.ACTIVE:
        raise ValidationError(
            f"{agreement} is {agreement.get_status_display().lower()}: it cannot pay for anything."
        )
    quantity = _quantity(agreement, amount)
    balance = ledger_balance(agreement)
    if balance - quantity < -agreement.overdraft_limit:
        raise ValidationError(
            f"{agreement} has a balance of {_show(agreement, balance)} and may go "
            f"{_show(agreement, agreement.overdraft_limit)} below zero: "
            f"{_show(agreement, quantity)} cannot be paid from it.",
            code="overdraft",
        )
    return _entry(
        agreement,
        by,
        kind=LedgerKind.USE,
        amount=quantity,
        delta=-quantity,
        reference=reference,
        description=description,
        entry_date=on_date,
    )


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


@transaction.atomic
def prepurchase_reverse(
    *,
    tenant,
    by,
    entry: PrepurchaseEntry,
    reason: str,
    crediting_invoice: str | None = None,
) -> PrepurchaseEntry:
    """Undo a charge or a use with a new row; the original stays as it was.

    A use written by an invoice line is undone only by crediting that line: the credit note
    reverses it (and releases the registration). `crediting_invoice` is how the credit path says
    so: the number of the invoice it credits, which must be the one that wrote the use.
    """
    require_active(tenant)
    check_tenant(tenant, entry)
    agreement = _locked(entry.agreement)
    entry = PrepurchaseEntry.objects.get(pk=entry.pk)
    if entry.kind == LedgerKind.REVERSAL:
        raise ValidationError("A reversal cannot be reversed: record a new charge or use.")
    if PrepurchaseEntry.objects.filter(reverses=entry).exists():
        raise ValidationError("This row has been reversed already.")
    invoice_number = invoice_written_uses([entry]).get(entry.pk)
    if invoice_number is not None and invoice_number != crediting_invoice:
        raise ValidationError(
            f"Row #{entry.pk} was written by a line of invoice {invoice_number}: credit that "
            f"line of invoice {invoice_number} instead (the credit note reverses this row and "
            "makes the registration invoiceable again)."
        )
    if not reason.strip():
        raise ValidationError("Say why the row is reversed.")
    if entry.kind == LedgerKind.CHARGE:
        balance = ledger_balance(agreement)
        if balance - entry.amount < -agreement.overdraft_limit:
            raise ValidationError(
                "Reversing this charge would take the balance to "
                f"{_show(agreement, balance - entry.amount)}, past the overdraft limit of "
                f"{_show(agreement, agreement.overdraft_limit)}. Reverse the uses it paid for "
                "first."
            )
    return _entry(
        agreement,
        by,
        kind=LedgerKind.REVERSAL,
        amount=entry.amount,
        delta=-entry.delta,
        reverses=entry,
        description=reason.strip(),
    )


# --- Price-list import --------------------------------------------------------------------------


def pricelist_import(*, tenant, by, price_list: PriceList, dataset, dry_run: bool) -> ImportReport:
    """Import price-list entries; nothing is saved unless every row is valid."""

    require_active(tenant)
    check_tenant(tenant, price_list)
    resource = PriceListEntryResource(tenant=tenant, price_list=price_list)
    with transaction.atomic():
        result = resource.import_data(
            dataset,
            dry_run=True,
            raise_errors=False,
            use_transactions=True,
            rollback_on_validation_errors=True,
        )
        report = ImportReport(result)
        if report.ok and not dry_run:
            resource = PriceListEntryResource(tenant=tenant, price_list=price_list)
            result = resource.import_data(
                dataset,
                dry_run=False,
                raise_errors=True,
                use_transactions=True,
                rollback_on_validation_errors=True,
            )
            report = ImportReport(result)
    return report
