"""Fetch agreements' rows named in a URL: 404 across tenants, 403 for a role that may only read."""

from django.shortcuts import get_object_or_404

from accounts.platform import permissions
from accounts.platform.access import require
from agreements.models import (
    Booking,
    BookingDocument,
    DiscountAgreement,
    LedgerKind,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PriceList,
    Product,
)


def _get(request, permission, queryset, pk):
    require(request, permission)
    return get_object_or_404(queryset, pk=pk)


def get_product_for_write(request, pk) -> Product:
    return _get(request, permissions.MANAGE_CATALOGUE, Product.objects, pk)


def get_pricelist_for_user(request, pk) -> PriceList:
    return _get(request, permissions.VIEW, PriceList.objects, pk)


def get_pricelist_for_write(request, pk) -> PriceList:
    return _get(request, permissions.EDIT_AGREEMENTS, PriceList.objects, pk)


def get_booking_for_user(request, pk) -> Booking:
    return _get(
        request,
        permissions.VIEW,
        Booking.objects.select_related("account", "price_list", "owner"),
        pk,
    )


def get_booking_for_write(request, pk) -> Booking:
    return _get(
        request,
        permissions.EDIT_AGREEMENTS,
        Booking.objects.select_related("account", "price_list"),
        pk,
    )


def get_document_for_user(request, pk) -> BookingDocument:
    return _get(request, permissions.VIEW, BookingDocument.objects, pk)


def get_document_for_write(request, pk) -> BookingDocument:
    return _get(request, permissions.EDIT_AGREEMENTS, BookingDocument.objects, pk)


def get_discount_for_write(request, pk) -> DiscountAgreement:
    return _get(request, permissions.EDIT_AGREEMENTS, DiscountAgreement.objects, pk)


def get_prepurchase_for_user(request, pk) -> PrepurchaseAgreement:
    return _get(
        request,
        permissions.VIEW,
        PrepurchaseAgreement.objects.select_related("account", "price_list"),
        pk,
    )


def get_prepurchase_for_write(request, pk) -> PrepurchaseAgreement:
    return _get(
        request,
        permissions.EDIT_AGREEMENTS,
        PrepurchaseAgreement.objects.select_related("account", "price_list"),
        pk,
    )


def get_prepurchase_charge_for_write(request, pk) -> PrepurchaseEntry:
    """A charge of the ledger (the row an extension or a write-off acts on)."""
    return _get(
        request,
        permissions.EDIT_AGREEMENTS,
        PrepurchaseEntry.objects.filter(kind=LedgerKind.CHARGE).select_related(
            "agreement__account", "agreement__price_list"
        ),
        pk,
    )
