# Issue 16, part 1: payments and allocations. An invoice's outstanding amount and payment state
# follow from its allocations; the `paid` status and `paid_on` flag they replace are turned into
# payments and allocations here, so that nothing changes for the user.

from collections import defaultdict
from decimal import Decimal

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import accounts.platform.money
from accounts.platform import rls

MIGRATED_NOTE = "Marked paid before payments were recorded."


def payments_from_paid_flags(apps, schema_editor):
    """Existing credit notes are allocated to the invoice they credit, and each invoice that was
    marked paid gets a payment on its `paid_on` day, in the order they happened (a credit note
    before a payment of the same day): a credit note takes what is outstanding when it was
    issued (the rest stays on the account as credit, as the service does at issue), and the
    payment is what was still outstanding on its day (the invoice's gross when nothing was
    credited before), at the invoice's own exchange rate (no exchange difference). Then `paid`
    invoices are `issued` again: paid now follows from the allocations."""
    from django_scopes import scopes_disabled

    Invoice = apps.get_model("invoicing", "Invoice")
    Payment = apps.get_model("invoicing", "Payment")
    Allocation = apps.get_model("invoicing", "Allocation")
    with scopes_disabled():
        notes = defaultdict(list)
        for note in (
            Invoice._base_manager.filter(kind="credit_note", credits__isnull=False)
            .exclude(status="draft")
            .order_by("issue_date", "sequence_number", "pk")
        ):
            notes[note.credits_id].append(note)
        invoices = (
            Invoice._base_manager.filter(kind="invoice")
            .exclude(status="draft")
            .filter(models.Q(paid_on__isnull=False) | models.Q(pk__in=list(notes)))
            .order_by("pk")
        )
        allocations = []
        for invoice in invoices.iterator(chunk_size=2000):
            events = [(note.issue_date, 0, note) for note in notes.get(invoice.pk, [])]
            if invoice.paid_on is not None:
                events.append((invoice.paid_on, 1, None))
            left = invoice.gross_total
            for day, _order, note in sorted(events, key=lambda event: event[:2]):
                if note is not None:
                    amount = min(-note.gross_total, left)
                    source = {"credit_note_id": note.pk}
                elif left > 0:
                    amount = left
                    payment = Payment._base_manager.create(
                        tenant_id=invoice.tenant_id,
                        billing_account_id=invoice.billing_account_id,
                        date=day,
                        amount=amount,
                        currency=invoice.currency,
                        exchange_rate=invoice.exchange_rate or Decimal(1),
                        method="other",
                        reference=invoice.number,
                        note=MIGRATED_NOTE,
                    )
                    source = {"payment_id": payment.pk}
                else:
                    continue
                if amount > 0:
                    allocations.append(
                        Allocation(
                            tenant_id=invoice.tenant_id,
                            invoice_id=invoice.pk,
                            amount=amount,
                            date=day,
                            **source,
                        )
                    )
                    left -= amount
        Allocation._base_manager.bulk_create(allocations, batch_size=2000)
        Invoice._base_manager.filter(status="paid").update(status="issued")


def paid_flags_from_payments(apps, schema_editor):
    """Back: an invoice that its allocations settled in full, with a payment among them, was paid
    on the day of its last payment (and is `paid` again, unless it is cancelled)."""
    from django_scopes import scopes_disabled

    Invoice = apps.get_model("invoicing", "Invoice")
    Allocation = apps.get_model("invoicing", "Allocation")
    with scopes_disabled():
        allocated, paid_on = defaultdict(Decimal), {}
        for invoice_id, amount, day, payment_id in Allocation._base_manager.filter(
            models.Q(payment__isnull=True) | models.Q(payment__reversal__isnull=True)
        ).values_list("invoice_id", "amount", "date", "payment_id"):
            allocated[invoice_id] += amount
            if payment_id is not None:
                paid_on[invoice_id] = max(day, paid_on.get(invoice_id, day))
        for invoice in Invoice._base_manager.filter(pk__in=list(paid_on)):
            if allocated[invoice.pk] >= invoice.gross_total:
                status = "paid" if invoice.status == "issued" else invoice.status
                Invoice._base_manager.filter(pk=invoice.pk).update(
                    status=status, paid_on=paid_on[invoice.pk]
                )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_invoices_to_send"),
        ("invoicing", "0011_deposits"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Payment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField(verbose_name="received on")),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=3,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.001"))],
                    ),
                ),
                (
                    "currency",
                    models.CharField(
                        max_length=3, validators=[accounts.platform.money.validate_currency]
                    ),
                ),
                (
                    "exchange_rate",
                    models.DecimalField(
                        decimal_places=8,
                        help_text="Base currency per unit on the day received (1 in the base currency).",
                        max_digits=18,
                        validators=[django.core.validators.MinValueValidator(Decimal("1E-8"))],
                    ),
                ),
                (
                    "method",
                    models.CharField(
                        choices=[
                            ("bank_transfer", "Bank transfer"),
                            ("card", "Card"),
                            ("cash", "Cash"),
                            ("cheque", "Cheque"),
                            ("other", "Other"),
                        ],
                        default="bank_transfer",
                        max_length=15,
                    ),
                ),
                (
                    "reference",
                    models.CharField(
                        blank=True,
                        help_text="As on the bank statement or the cheque.",
                        max_length=100,
                    ),
                ),
                ("note", models.CharField(blank=True, max_length=500)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "billing_account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="payments",
                        to="accounts.account",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.tenant",
                    ),
                ),
            ],
            options={
                "ordering": ["-date", "-pk"],
            },
        ),
        migrations.CreateModel(
            name="Allocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "amount",
                    models.DecimalField(
                        decimal_places=3,
                        max_digits=14,
                        validators=[django.core.validators.MinValueValidator(Decimal("0.001"))],
                    ),
                ),
                ("date", models.DateField(help_text="From when it counts.")),
                (
                    "exchange_difference",
                    models.DecimalField(
                        decimal_places=3,
                        default=Decimal("0"),
                        help_text="Base currency: a gain when positive, a loss when negative.",
                        max_digits=14,
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "credit_note",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="credit_allocations",
                        to="invoicing.invoice",
                    ),
                ),
                (
                    "invoice",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="invoicing.invoice",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.tenant",
                    ),
                ),
                (
                    "payment",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="allocations",
                        to="invoicing.payment",
                    ),
                ),
            ],
            options={
                "ordering": ["date", "pk"],
            },
        ),
        migrations.CreateModel(
            name="PaymentReversal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("date", models.DateField()),
                ("reason", models.CharField(max_length=255)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "payment",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reversal",
                        to="invoicing.payment",
                    ),
                ),
                (
                    "tenant",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="accounts.tenant",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="payment",
            index=models.Index(
                fields=["tenant", "billing_account", "date"], name="payment_account_date"
            ),
        ),
        migrations.AddConstraint(
            model_name="payment",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="payment_amount_positive"
            ),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(fields=["tenant", "invoice"], name="allocation_invoice"),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(fields=["tenant", "payment"], name="allocation_payment"),
        ),
        migrations.AddIndex(
            model_name="allocation",
            index=models.Index(fields=["tenant", "credit_note"], name="allocation_credit_note"),
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("credit_note__isnull", True), ("payment__isnull", False)),
                    models.Q(("credit_note__isnull", False), ("payment__isnull", True)),
                    _connector="OR",
                ),
                name="allocation_one_source",
            ),
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("amount__gt", 0)), name="allocation_amount_positive"
            ),
        ),
        migrations.AddConstraint(
            model_name="allocation",
            constraint=models.CheckConstraint(
                condition=models.Q(("credit_note", models.F("invoice")), _negated=True),
                name="allocation_not_to_itself",
            ),
        ),
        migrations.AddConstraint(
            model_name="paymentreversal",
            constraint=models.CheckConstraint(
                condition=models.Q(("reason", ""), _negated=True), name="reversal_has_reason"
            ),
        ),
        rls.enable_operation(
            "invoicing_payment", "invoicing_paymentreversal", "invoicing_allocation"
        ),
        migrations.RunPython(payments_from_paid_flags, paid_flags_from_payments),
        migrations.RemoveField(
            model_name="invoice",
            name="paid_on",
        ),
        migrations.AlterField(
            model_name="invoice",
            name="status",
            field=models.CharField(
                choices=[("draft", "Draft"), ("issued", "Issued"), ("cancelled", "Cancelled")],
                default="draft",
                max_length=10,
            ),
        ),
    ]
