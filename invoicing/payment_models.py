"""Payments and allocations (issue 16, part 1): what was paid, and what it pays.

A `Payment` is money received from a billing account, in one currency at its own exchange rate.
An `Allocation` applies part of a payment, or of a credit note, to one invoice: an invoice's
outstanding amount is its gross total less the allocations that count, and its payment state
(open, partly paid, paid, overdue) follows from that alone (`invoicing.payment_selectors`). What
a payment or credit note has not allocated stays on the account as its balance.

The three tables are append-only, like the prepurchase ledger: a row is never changed or
deleted. A mistaken payment is reversed by a `PaymentReversal` row (with its reason); the payment
and its allocations then stop counting.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from accounts.platform.money import validate_currency
from accounts.platform.tenancy import TenantManager, TenantOwned, tenant_reverse
from agreements.models import money_field

NEVER_CHANGED = "Payments and allocations are never changed or deleted: reverse the payment."
POSITIVE = [MinValueValidator(Decimal("0.001"))]


class InvoiceState(models.TextChoices):
    """What lists, pages, filters and the dashboard call a document's status: its lifecycle
    (draft, cancelled; a credit note is issued) and, for an issued invoice, its payment state
    from its allocations. Defined once, in `invoicing.payment_selectors.with_state`."""

    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    PARTLY_PAID = "partly_paid", _("Partly paid")
    OVERDUE = "overdue", _("Overdue")
    PAID = "paid", _("Paid")
    ISSUED = "issued", _("Issued")  # a credit note
    CANCELLED = "cancelled", _("Cancelled")


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CARD = "card", _("Card")
    CASH = "cash", _("Cash")
    CHEQUE = "cheque", _("Cheque")
    OTHER = "other", _("Other")


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValidationError(NEVER_CHANGED)

    def delete(self):
        raise ValidationError(NEVER_CHANGED)


class AppendOnly(TenantOwned):
    """A row that is written once: `save()` of a stored row and `delete()` refuse, and so do
    its queryset's `update()` and `delete()`."""

    objects = TenantManager.from_queryset(AppendOnlyQuerySet)()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(NEVER_CHANGED)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(NEVER_CHANGED)


class Payment(AppendOnly):
    """Money received from a billing account: recorded by `payment_record`, never edited."""

    billing_account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="payments")
    date = models.DateField(_("received on"))
    amount = money_field(validators=POSITIVE)
    currency = models.CharField(max_length=3, validators=[validate_currency])
    exchange_rate = models.DecimalField(
        max_digits=18,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001"))],
        help_text=_("Base currency per unit on the day received (1 in the base currency)."),
    )
    method = models.CharField(
        max_length=15, choices=PaymentMethod.choices, default=PaymentMethod.BANK_TRANSFER
    )
    reference = models.CharField(
        max_length=100, blank=True, help_text=_("As on the bank statement or the cheque.")
    )
    note = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_amount_positive")
        ]
        indexes = [
            models.Index(fields=["tenant", "billing_account", "date"], name="payment_account_date")
        ]

    def __str__(self):
        return f"Payment #{self.pk} of {self.date:%d %b %Y}"

    def get_absolute_url(self):
        return tenant_reverse(
            "invoicing:payment-detail", tenant_id=self.tenant_id, kwargs={"pk": self.pk}
        )


class PaymentReversal(AppendOnly):
    """A payment taken back (entered by mistake, bounced): from `date` on, the payment and its
    allocations no longer count. At most one per payment."""

    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="reversal")
    date = models.DateField()
    reason = models.CharField(max_length=255)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="reversal_has_reason")
        ]

    def __str__(self):
        return f"Reversal of payment #{self.payment_id}"


class AllocationQuerySet(AppendOnlyQuerySet):
    def counting(self, as_of=None):
        """The allocations that count: every credit-note allocation, and those of payments not
        reversed. `as_of` a day: those made by then whose payment was not reversed by then
        (what a statement or an aged report of that day shows)."""
        # One anti-join on the reversals, keyed by the allocation's payment (a credit note's
        # allocation has none, so nothing matches it): no join through the payments, which
        # each copy of `allocated` in a list query made PostgreSQL plan again (issue 18).
        reversals = PaymentReversal.objects.filter(payment=models.OuterRef("payment"))
        if as_of is None:
            return self.filter(~models.Exists(reversals))
        reversed_by_then = reversals.filter(date__lte=as_of)
        return self.filter(date__lte=as_of).filter(~models.Exists(reversed_by_then))


class Allocation(AppendOnly):
    """Part of a payment, or of a credit note, applied to one invoice of the same billing
    account and currency. `exchange_difference` is frozen with it: the allocated amount at the
    source's rate less the same amount at the invoice's rate, in the base currency (a gain when
    positive). It counts while its payment is not reversed (`AllocationQuerySet.counting`)."""

    objects = TenantManager.from_queryset(AllocationQuerySet)()

    invoice = models.ForeignKey(
        "invoicing.Invoice", on_delete=models.PROTECT, related_name="allocations"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        "invoicing.Invoice",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="credit_allocations",
    )
    amount = money_field(validators=POSITIVE)
    date = models.DateField(help_text=_("From when it counts."))
    exchange_difference = money_field(
        default=Decimal("0"),
        help_text=_("Base currency: a gain when positive, a loss when negative."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(payment__isnull=False, credit_note__isnull=True)
                | models.Q(payment__isnull=True, credit_note__isnull=False),
                name="allocation_one_source",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="allocation_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(credit_note=models.F("invoice")),
                name="allocation_not_to_itself",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "invoice"], name="allocation_invoice"),
            models.Index(fields=["tenant", "payment"], name="allocation_payment"),
            models.Index(fields=["tenant", "credit_note"], name="allocation_credit_note"),
        ]

    def __str__(self):
        source = f"payment #{self.payment_id}" if self.payment_id else "credit note"
        return f"{self.amount} of {source} to invoice #{self.invoice_id}"
