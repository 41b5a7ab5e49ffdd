"""Every write of agreements that spans rows or enforces a business rule."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from accounts.platform import documents
from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.importing import ImportReport
from accounts.platform.money import round_money
from accounts.platform.sequences import next_number
from agreements.models import (
    Booking,
    BookingDocument,
    BookingUplift,
    DiscountAgreement,
    Interest,
    PriceList,
    PriceListEntry,
    Product,
    TaxRate,
    TrainingPackage,
)

# Prepurchase agreements and their ledger live in `agreements.prepurchases`; callers keep
# importing them from here.
from agreements.prepurchases import (  # noqa: F401  (re-exported)
    AGREEMENT_DEFAULT,
    PREPURCHASE_NUMBER_START,
    EntryWriters,
    entry_writers,
    invoice_written_uses,
    ledger_balance,
    prepurchase_charge,
    prepurchase_charge_extend,
    prepurchase_charge_write_off,
    prepurchase_reverse,
    prepurchase_save,
    prepurchase_use,
)
from agreements.resources import PriceListEntryResource
from agreements.uplift import contract_years, year_starts

BOOKING_NUMBER_START = 1


def _save(tenant, row, *links):
    require_active(tenant)
    if row.pk and row.tenant_id != tenant.pk:
        raise ValidationError(gettext("%(row)s belongs to another company.") % {"row": row})
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
                    "currency": (
                        gettext("The list has prices in %(currency)s; its currency cannot change.")
                        % {"currency": original.currency}
                    )
                }
            )
    return _save(tenant, price_list)


@transaction.atomic
def pricelist_entry_save(*, tenant, by, entry: PriceListEntry) -> PriceListEntry:
    entry.unit_price = round_money(entry.unit_price, entry.price_list.currency)
    return _save(tenant, entry, entry.price_list, entry.product)


# --- Bookings -----------------------------------------------------------------------------------


def booking_currency(tenant, account) -> str:
    """A new booking's currency when none is chosen: the customer's sales currency, else the
    company's base currency (issue 17)."""
    return (account.sales_currency if account is not None else "") or tenant.base_currency


@transaction.atomic
def booking_save(*, tenant, by, booking: Booking) -> Booking:
    if not booking.currency:
        booking.currency = booking_currency(tenant, booking.account if booking.account_id else None)
    booking.currency = booking.currency.upper()
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
            raise ValidationError(gettext("That agreed price belongs to another booking."))
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
            raise ValidationError(gettext("That uplift belongs to another booking."))
        uplift.delete()
    for uplift in changed:
        if uplift.pk and uplift.booking_id != booking.pk:
            raise ValidationError(gettext("That uplift belongs to another booking."))
        uplift.booking = booking
        if uplift.contract_year is not None and uplift.contract_year > last_year:
            raise ValidationError(
                {
                    "contract_year": (
                        gettext(
                            "%(booking)s runs %(last_year)s contract year%(else)s (%(start_date)s "
                            "to %(end_date)s): year %(contract_year)s would start on "
                            "%(contract_year2)s, after it ends. Choose an earlier year, or extend "
                            "the booking first."
                        )
                        % {
                            "booking": booking,
                            "last_year": last_year,
                            "else": "s" if last_year != 1 else "",
                            "start_date": format(booking.start_date, "%d %b %Y"),
                            "end_date": format(booking.end_date, "%d %b %Y"),
                            "contract_year": uplift.contract_year,
                            "contract_year2": format(
                                year_starts(booking, uplift.contract_year), "%d %b %Y"
                            ),
                        }
                    )
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
        report.changes = resource.changes  # old and new prices, for the preview
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
