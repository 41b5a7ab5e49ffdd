"""The demo shows payments (issue 16, part 1): invoices paid in full, partly paid and overdue,
an over-payment left on the account and partly allocated later, a reversed cheque, credit
notes allocated (at issue, and to another invoice of the account), and a EUR payment at another
rate than its invoice's (an exchange gain)."""

from io import StringIO

from django.core.management import call_command
from django.db.models import Sum

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def test_the_demo_shows_every_payment_rule(db):
    from invoicing import payment_selectors
    from invoicing.models import Allocation, Invoice, InvoiceState, Payment, PaymentReversal

    call_command("seed_demo", stdout=StringIO())
    with activate(Tenant.objects.get(slug="northwind")):
        invoices = list(payment_selectors.with_state(Invoice.objects.all()))
        states = {invoice.state for invoice in invoices}
        assert {InvoiceState.PAID, InvoiceState.PARTLY_PAID, InvoiceState.OVERDUE} <= states
        assert {InvoiceState.OPEN, InvoiceState.DRAFT, InvoiceState.ISSUED} <= states
        assert not Invoice.objects.filter(status="paid").exists()  # no flag: allocations
        # An overdue invoice paid in part: the cheque of 25 %.
        assert any(
            i.state == InvoiceState.OVERDUE and 0 < i.allocated < i.gross_total for i in invoices
        )
        # The over-payment: it paid one invoice, part of the rest another one later, the rest
        # stays on the account.
        (over,) = payment_selectors.unallocated_payments()
        allocations = list(over.allocations.order_by("date", "pk"))
        assert len(allocations) == 2 and allocations[1].date > over.date
        assert over.unallocated == 350
        (balance,) = payment_selectors.account_balance(over.billing_account)
        assert balance.unallocated_payments == 350
        # A bounced cheque, reversed with its reason: its invoice owes everything again.
        reversal = PaymentReversal.objects.select_related("payment").get()
        assert "returned unpaid" in reversal.reason
        bounced = reversal.payment.allocations.get().invoice
        assert payment_selectors.outstanding(bounced) == bounced.gross_total
        # Credit notes: one allocated at issue to the invoice it credits, one to another.
        credits = Allocation.objects.filter(credit_note__isnull=False).select_related("credit_note")
        assert any(a.invoice_id == a.credit_note.credits_id for a in credits)
        assert any(a.invoice_id != a.credit_note.credits_id for a in credits)
        # A EUR payment at a rate above its invoice's: an exchange gain.
        eur = Payment.objects.filter(currency="EUR", reference__startswith="SEPA").get()
        (allocation,) = eur.allocations.select_related("invoice")
        assert eur.exchange_rate > allocation.invoice.exchange_rate
        assert allocation.exchange_difference > 0
        assert payment_selectors.state_of(allocation.invoice)["state"] == InvoiceState.PAID
        # Nothing allocates more than it has.
        for payment in payment_selectors.with_unallocated(Payment.objects.all()):
            assert payment.unallocated >= 0
        assert all(invoice.outstanding >= 0 for invoice in invoices)
        assert Allocation.objects.aggregate(total=Sum("amount"))["total"] > 0
