from django.shortcuts import get_object_or_404

from accounts.platform import permissions
from accounts.platform.access import require
from invoicing.models import Invoice, InvoiceRun


def get_invoice_for_user(request, pk) -> Invoice:
    require(request, permissions.VIEW)
    return get_object_or_404(
        Invoice.objects.select_related("project", "billing_account", "credits", "run"), pk=pk
    )


def get_invoice_for_write(request, pk) -> Invoice:
    require(request, permissions.INVOICE)
    return get_invoice_for_user(request, pk)


def get_run_for_user(request, pk) -> InvoiceRun:
    require(request, permissions.VIEW)
    return get_object_or_404(InvoiceRun.objects, pk=pk)


def get_run_for_write(request, pk) -> InvoiceRun:
    require(request, permissions.INVOICE)
    return get_run_for_user(request, pk)
