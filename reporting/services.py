"""Finance exports: reconciliation batches."""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext

from accounts.platform.guards import require_active
from accounts.platform.sequences import next_number
from invoicing.models import InvoiceLine
from reporting.custom import Definition
from reporting.export_selectors import unexported_documents, unexported_payments
from reporting.exports import ReconciliationExporter
from reporting.models import ExportBatch, ExportedInvoice, ExportedPayment, SavedReport


@transaction.atomic
def export_batch_create(*, tenant, by) -> ExportBatch:
    """Everything issued and not exported yet becomes the next numbered batch, written once;
    the payments and reversals recorded since ride with it (for the accounting files)."""
    require_active(tenant)
    number = next_number(tenant=tenant, key="export_batch")  # also serialises batch creation
    pending = list(unexported_documents().values_list("pk", flat=True))
    payments = unexported_payments()
    if not pending and not payments:
        raise ValidationError(
            gettext(
                "Nothing has been issued or paid since the last batch: there is nothing new to "
                "export."
            )
        )
    content = ReconciliationExporter(tenant=tenant, invoices=pending).csv()
    batch = ExportBatch(
        tenant=tenant,
        number=number,
        payment_count=len(payments),
        invoice_count=len(pending),
        line_count=InvoiceLine.objects.filter(invoice_id__in=pending).count(),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    batch.file.save(
        f"{tenant.pk}/reconciliation-batch-{number:05d}.csv", ContentFile(content), save=False
    )
    batch.save()
    ExportedInvoice.objects.bulk_create(
        [ExportedInvoice(tenant=tenant, batch=batch, invoice_id=pk) for pk in pending]
    )
    ExportedPayment.objects.bulk_create(
        [
            ExportedPayment(tenant=tenant, batch=batch, payment_id=pk, reversed=reversed_)
            for pk, reversed_ in payments
        ]
    )
    return batch


@transaction.atomic
def saved_report_create(*, tenant, by, name: str, definition: dict, chart: str = "bar"):

    require_active(tenant)
    report = SavedReport(
        tenant=tenant,
        name=name.strip(),
        definition=Definition.from_data(definition).to_data(),
        chart=chart if chart in ("bar", "line") else "bar",
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    report.full_clean()
    report.save()
    return report
