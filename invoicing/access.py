from django.shortcuts import get_object_or_404

from accounts.models import Account
from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.compiled_once import compiled_once, first_or_404
from invoicing.models import Invoice, InvoiceRun, Payment
from projects.access import MEMBER_SLOTS, member_arguments, shared_with, shared_with_member


def shared_invoices(request, queryset=None):
    """The invoices of projects shared with the request's member (projects' one sharing rule):
    lists, downloads and search of invoices narrow to these."""
    queryset = Invoice.objects.all() if queryset is None else queryset
    return queryset.filter(shared_with(request, "project__"))


def get_invoice_for_user(request, pk) -> Invoice:
    require(request, permissions.VIEW)
    rows = _invoice_shown(pk=pk, **member_arguments(request))
    return first_or_404(rows, "No such invoice, or its project is not shared with you.")


@compiled_once(slots=("pk", *MEMBER_SLOTS))
def _invoice_shown(*, pk, **member):
    # Compiled once per role, as the project page's read (issue 18).
    return Invoice.objects.select_related("project", "billing_account", "credits", "run").filter(
        shared_with_member("project__", **member), pk=pk
    )[:1]


def get_invoice_for_write(request, pk) -> Invoice:
    require(request, permissions.INVOICE)
    return get_invoice_for_user(request, pk)


def get_run_for_user(request, pk) -> InvoiceRun:
    require(request, permissions.VIEW)
    return get_object_or_404(InvoiceRun.objects, pk=pk)


def get_run_for_write(request, pk) -> InvoiceRun:
    require(request, permissions.INVOICE)
    return get_run_for_user(request, pk)


def get_payment_for_user(request, pk) -> Payment:
    require(request, permissions.SEE_MONEY)
    return get_object_or_404(Payment.objects.select_related("billing_account"), pk=pk)


def get_payment_for_write(request, pk) -> Payment:
    require(request, permissions.INVOICE)
    return get_payment_for_user(request, pk)


def get_billing_account_for_payments(request, pk) -> Account:
    """The billing account whose payments and allocations finance records."""
    require(request, permissions.INVOICE)
    return get_object_or_404(Account.objects, pk=pk)


# Bank statements (issue 16, part 4): finance and admins only.


def get_bank_line_for_write(request, pk):
    from invoicing.models import BankStatementLine

    require(request, permissions.INVOICE)
    return get_object_or_404(
        BankStatementLine.objects.select_related(
            "statement", "bank_account", "proposed_account", "payment"
        ),
        pk=pk,
    )


def get_bank_account_for_import(request, pk):
    from accounts.models import BankAccount

    require(request, permissions.INVOICE)
    return get_object_or_404(BankAccount.objects.filter(is_active=True), pk=pk)


def get_billing_account_for_invoicing(request, pk) -> Account:
    """A billing account whose projects' ready rows are invoiced together (finance and
    admins): 404 across tenants, 403 for a role that may not invoice."""
    require(request, permissions.INVOICE)
    return get_object_or_404(Account.objects, pk=pk)
