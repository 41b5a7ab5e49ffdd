"""The data migration of issue 16 (invoicing 0012_payments): invoices marked paid become a
payment allocated to them, credit notes are allocated to the invoice they credit, so that every
invoice shows the same as before; and back."""

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from accounts.platform import rls
from accounts.platform.tenancy import activate
from invoicing import payment_selectors
from invoicing.models import Allocation, Invoice, InvoiceState, Payment
from tests.factories import AccountFactory, ProjectFactory

BEFORE = ("invoicing", "0011_deposits")
D = Decimal


def day(month, date):
    return datetime.date(2026, month, date)


def migrate(*target):
    """`migrate` as the project runs it (as the tables' owner, the app's role granted)."""
    call_command("migrate", *target, verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_paid_flags_become_payments_and_credit_notes_are_allocated(world_a):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant)
    project = ProjectFactory(account=account, currency="EUR")
    migrate(*BEFORE)
    old_apps = MigrationLoader(connection).project_state(BEFORE).apps
    old = old_apps.get_model("invoicing", "Invoice")
    numbers = {"invoice": 0, "credit_note": 0}
    with rls.as_owner():

        def make(gross, *, kind="invoice", status="issued", issued=None, **more):
            issued = issued or day(3, 1)
            numbers[kind] += 1
            return old.objects.create(
                tenant_id=tenant.pk,
                project_id=project.pk,
                billing_account_id=account.pk,
                kind=kind,
                status=status,
                number=f"{'INV' if kind == 'invoice' else 'CN'}-{numbers[kind]}",
                sequence_number=numbers[kind],
                currency="EUR",
                exchange_rate=D(1),
                issue_date=issued,
                due_date=issued + datetime.timedelta(days=30),
                net_total=D(gross),
                gross_total=D(gross),
                **more,
            )

        paid = make("1080", status="paid", paid_on=day(3, 20))
        unpaid = make("1080")
        credited_then_paid = make("2160", status="paid", paid_on=day(4, 1))
        make("-1080", kind="credit_note", credits=credited_then_paid, issued=day(3, 15))
        paid_then_cancelled = make("1080", status="cancelled", paid_on=day(3, 10))
        refund = make("-1080", kind="credit_note", credits=paid_then_cancelled, issued=day(3, 20))
        partly_credited = make("2160")
        make("-1080", kind="credit_note", credits=partly_credited, issued=day(3, 5))
        draft = old.objects.create(
            tenant_id=tenant.pk,
            project_id=project.pk,
            billing_account_id=account.pk,
            currency="EUR",
        )
    migrate()

    with activate(tenant):
        shown = {
            invoice.number or "draft": (invoice.state, invoice.outstanding)
            for invoice in payment_selectors.with_state(Invoice.objects.all())
        }
        assert shown == {
            "INV-1": (InvoiceState.PAID, 0),
            "INV-2": (InvoiceState.OVERDUE, 1080),  # issued, unpaid and past due, as before
            "INV-3": (InvoiceState.PAID, 0),
            "INV-4": (InvoiceState.CANCELLED, 0),
            "INV-5": (InvoiceState.OVERDUE, 1080),
            "CN-1": (InvoiceState.ISSUED, 0),
            "CN-2": (InvoiceState.ISSUED, 0),
            "CN-3": (InvoiceState.ISSUED, 0),
            "draft": (InvoiceState.DRAFT, 0),
        }
        assert not Invoice.objects.filter(status="paid").exists()
        payments = {
            p.reference: (p.date, p.amount, p.method) for p in Payment.objects.order_by("pk")
        }
        assert payments == {
            "INV-1": (day(3, 20), 1080, "other"),
            # credited 1,080 on 15 Mar, then paid: the payment was what was left.
            "INV-3": (day(4, 1), 1080, "other"),
            "INV-4": (day(3, 10), 1080, "other"),
        }
        assert all(p.note.startswith("Marked paid") for p in Payment.objects.all())
        assert all(a.exchange_difference == 0 for a in Allocation.objects.all())
        # INV-4 was paid, then cancelled by its credit note: the refund is owed, on the account.
        assert not Allocation.objects.filter(credit_note_id=refund.pk).exists()
        (figures,) = payment_selectors.account_balance(account)
        assert (figures.outstanding, figures.unallocated_credits) == (2160, 1080)
        assert unpaid.pk and paid.pk and draft.pk

    migrate(*BEFORE)  # and back: paid in full with a payment is `paid` again, on its day
    with rls.as_owner():
        statuses = {
            row.number: (row.status, row.paid_on)
            for row in old.objects.filter(kind="invoice").exclude(status="draft")
        }
    migrate()
    assert statuses == {
        "INV-1": ("paid", day(3, 20)),
        "INV-2": ("issued", None),
        "INV-3": ("paid", day(4, 1)),
        "INV-4": ("cancelled", day(3, 10)),
        "INV-5": ("issued", None),
    }
