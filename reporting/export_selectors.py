"""What the next finance export batch holds: the documents and payments in no batch yet."""

from invoicing.models import Payment, PaymentReversal
from invoicing.selectors import issued_documents


def unexported_documents():
    """Issued invoices and credit notes in no export batch yet: what the next batch holds."""
    return issued_documents().filter(export__isnull=True)


def unexported_payments() -> list[tuple[int, bool]]:
    """(payment id, is its reversal) of the payments and reversals in no export batch yet, in
    the order they happened: what the next batch's payment files hold."""
    payments = Payment.objects.exclude(exports__reversed=False).order_by("date", "pk")
    reversals = (
        PaymentReversal.objects.exclude(payment__exports__reversed=True)
        .order_by("date", "pk")
        .values_list("payment_id", flat=True)
    )
    return [(pk, False) for pk in payments.values_list("pk", flat=True)] + [
        (pk, True) for pk in reversals
    ]
