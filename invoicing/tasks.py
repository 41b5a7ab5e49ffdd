import logging

from django.core.files.base import ContentFile
from django.db import transaction

from accounts.platform.errors import log_unexpected, stopped_message
from accounts.platform.tasks import tenant_task
from invoicing.models import Invoice, InvoiceRun, RunStatus
from invoicing.pdf import render_invoice_pdf as render

logger = logging.getLogger(__name__)


@tenant_task()
def render_invoice_pdf(*, tenant_id: int, invoice_id: int) -> str:
    """Render an issued invoice's PDF once and store it; it is served unchanged afterwards."""
    return _render(invoice_id)


@tenant_task()
def render_invoice_pdfs(*, tenant_id: int, invoice_ids: list[int]) -> int:
    """Render the PDFs of a batch of issued invoices (a bulk run queues one such task per batch,
    not one per invoice), each in its own transaction: one that fails is logged and the others
    are rendered still; the task then fails, naming how many failed."""
    failed = 0
    for invoice_id in invoice_ids:
        try:
            _render(invoice_id)
        except Exception:
            failed += 1
            log_unexpected("The PDF of invoice %s of tenant %s failed", invoice_id, tenant_id)
    if failed:
        raise RuntimeError(f"{failed} of {len(invoice_ids)} PDFs failed (see the log).")
    return len(invoice_ids)


def _render(invoice_id: int) -> str:
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("project", "credits")
            .get(pk=invoice_id)
        )
        if invoice.pdf or invoice.is_draft:
            return invoice.pdf.name
        content = render(invoice, logo_data_uri=logo_data_uri(invoice.tenant))
        invoice.pdf.save(
            f"{invoice.tenant_id}/{invoice.number}.pdf", ContentFile(content), save=False
        )
        Invoice.objects.filter(pk=invoice.pk).update(pdf=invoice.pdf.name)
    return invoice.pdf.name


@tenant_task()
def draft_run(*, tenant_id: int, run_id: int) -> int:
    # Services queue these tasks (they import this module): importing services at the top here
    # would be an import cycle.
    from invoicing import services

    run = InvoiceRun.objects.get(pk=run_id)
    try:
        services.run_draft(tenant=run.tenant, run=run)
    except Exception:  # the page must say the run stopped, not spin for ever
        _stopped(run)
        raise
    return run.invoices_created


@tenant_task()
def issue_run(*, tenant_id: int, run_id: int) -> int:
    from invoicing import services  # import cycle: see draft_run

    run = InvoiceRun.objects.get(pk=run_id)
    try:
        services.run_issue(tenant=run.tenant, run=run)
    except Exception:
        _stopped(run)
        raise
    return run.invoices_issued


def _stopped(run) -> None:
    """Mark a run whose task failed: the exception goes to the log, never to the page."""
    reference = log_unexpected("Bulk run %s of tenant %s stopped", run.pk, run.tenant_id)
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=RunStatus.FAILED,
        errors=[
            *run.errors,
            f"{stopped_message(reference)} "
            "Finish the rest when the cause is mended: nothing is invoiced twice.",
        ],
    )


def logo_data_uri(tenant) -> str:
    """The tenant's logo inlined as a data: URI: the PDF renderer loads nothing else."""
    import base64

    if not tenant.logo:
        return ""
    try:
        with tenant.logo.open("rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return ""
    kind = "png" if data.startswith(b"\x89PNG") else "jpeg"
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"
