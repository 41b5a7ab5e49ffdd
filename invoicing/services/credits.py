"""Credit notes, in full or by line, releasing what they credit; allocated at issue to the
invoice they credit (`payments.credit_note_allocate`)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from accounts.platform.audit import audit
from accounts.platform.guards import check_tenant, require_active
from accounts.platform.tasks import enqueue_on_commit
from agreements import services as agreement_services
from agreements.models import LedgerKind
from invoicing import vat
from invoicing.models import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
)
from invoicing.services import deposits, payments
from invoicing.services.claims import release
from invoicing.services.funding import internal_offsets
from invoicing.services.issuing import SNAPSHOT_FIELDS, number, snapshot
from invoicing.services.lines import share_taxes, store_totals
from invoicing.tasks import render_invoice_pdf


@transaction.atomic
def invoice_credit(
    *,
    tenant,
    by,
    invoice: Invoice,
    line_ids: Iterable[int] | None = None,
    reason: str = "",
    with_deductions: bool = False,
) -> Invoice:
    """Credit an issued invoice in full or by lines: a new numbered credit note with the lines
    negated. Its registrations and items are released, so they can be invoiced again.
    `with_deductions`: credit too the deposit deductions that the rest of the invoice no longer
    covers (`deposits.deductions_to_credit`), instead of asking for them."""
    require_active(tenant)
    check_tenant(tenant, invoice)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.is_credit_note:
        raise ValidationError(gettext("A credit note cannot be credited."))
    if invoice.status != InvoiceStatus.ISSUED:
        raise ValidationError(
            gettext(
                "%(invoice)s is %(lower)s: only issued invoices are credited (a draft is simply "
                "deleted)."
            )
            % {"invoice": invoice, "lower": invoice.get_status_display().lower()}
        )
    open_lines = list(
        invoice.lines.filter(credited_by__isnull=True).select_related("prepurchase_entry")
    )
    if line_ids is not None:
        wanted = set(line_ids)
        chosen = [line for line in open_lines if line.pk in wanted]
        if len(chosen) != len(wanted):
            raise ValidationError(
                gettext("Some of those lines are credited already or not on this invoice.")
            )
    else:
        chosen = open_lines
    if not chosen:
        raise ValidationError(gettext("Every line of this invoice is credited already."))
    chosen = internal_offsets(open_lines, chosen)
    if with_deductions:
        chosen = chosen + deposits.deductions_to_credit(open_lines, chosen)
    deposits.check_credit(invoice, chosen, open_lines)
    note = Invoice(
        tenant=tenant,
        kind=InvoiceKind.CREDIT_NOTE,
        credits=invoice,
        project=invoice.project,
        billing_account=invoice.billing_account,
        currency=invoice.currency,
        exchange_rate=invoice.exchange_rate,
        po_reference=invoice.po_reference,
        tags=invoice.tags,
        external_notes=reason or f"Credit for {invoice.number}.",
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    note.save()
    credit_lines = [
        InvoiceLine(
            tenant=tenant,
            invoice=note,
            kind=line.kind,
            project_id=line.project_id,  # credits the project the line billed
            project_code=line.project_code,
            registration=line.registration,
            item=line.item,
            credited_line=line,
            funder_id=line.funder_id,  # reverses that payer's share exactly, freeing its cap
            share=line.share,
            deposit_id=deposits.credit_deposit_of(line),
            position=position,
            event_title=line.event_title,
            event_date=line.event_date,
            product_code=line.product_code,
            description=f"Credit: {line.description}",
            quantity=line.quantity,
            unit_price=-line.unit_price,
            discount_percent=line.discount_percent,
            net=-line.net,
            prepaid_value=-line.prepaid_value,
            tax_category=line.tax_category,
            tax_code=line.tax_code,
            tax_percent=line.tax_percent,
            exemption_reason_code=line.exemption_reason_code,
            exemption_reason=line.exemption_reason,
        )
        for position, line in enumerate(chosen)
    ]
    totals = store_totals(note, credit_lines)
    share_taxes(note, credit_lines, totals)
    InvoiceLine.objects.bulk_create(credit_lines)
    for line in chosen:
        if line.prepurchase_entry_id and line.prepurchase_entry.kind == LedgerKind.USE:
            agreement_services.prepurchase_reverse(
                tenant=tenant,
                by=by,
                entry=line.prepurchase_entry,
                reason=f"Credited on {invoice.number}",
                crediting_invoice=invoice.number,  # the one way past "credit the line instead"
            )
    release(chosen)
    # The parties as the credited invoice froze them: a credit note corrects that document, so
    # it names the same seller and buyer (VAT ids included) whatever the accounts say today.
    # An invoice issued before the snapshot held them is frozen anew.
    if invoice.seller_details:
        for field in SNAPSHOT_FIELDS:
            if field != "tax_notes":
                setattr(note, field, getattr(invoice, field))
    else:
        snapshot(note, tenant)
    # The credited lines' treatments, so their notes: the invoice's, or those of the part
    # credited (a credit of the exempt line alone does not speak of a reverse charge).
    note.tax_notes = vat.notes(totals.bands, seller_country=tenant.country)
    note.tax_basis = invoice.tax_basis
    number(tenant, [note])
    day = timezone.localdate()
    note.status = InvoiceStatus.ISSUED
    note.issue_date = note.due_date = day
    note.issued_at = timezone.now()
    note.save()
    # What is outstanding on the invoice is paid by the credit note; the rest stays as credit.
    payments.credit_note_allocate(tenant=tenant, by=by, note=note)
    if len(chosen) == len(open_lines):
        invoice.status = InvoiceStatus.CANCELLED
        invoice.save(update_fields=["status"])
    audit(
        tenant=tenant,
        actor=by,
        action="issued",
        obj=note,
        after={
            "number": note.number,
            "credits": invoice.number,
            "net": note.net_total,
            "reason": reason,
        },
    )
    audit(
        tenant=tenant,
        actor=by,
        action="credited",
        obj=invoice,
        after={
            "credit_note": note.number,
            "lines": len(chosen),
            "net": note.net_total,
            "reason": reason,
        },
    )

    enqueue_on_commit(render_invoice_pdf, tenant=tenant, invoice_id=note.pk)
    return note


def registration_credit(
    *, tenant, by, registration, reason: str, check_only: bool = False
) -> list[str]:
    """Credit every issued line that bills (part of) `registration`, each on a credit note of
    its invoice, so its places are no longer invoiced; the numbers of the credit notes. A place
    on a draft is not credited: the user takes it off the draft first (said with the draft).
    `check_only`: credit nothing, only refuse a place on a draft.
    `projects` calls this when a cancellation or a no-show settles an invoiced place.

    Where the invoice deducted a deposit that the rest of its lines no longer cover, the credit
    note credits the deduction too (that part of the deposit is unused again; later invoices,
    the fee's first, deduct it). The invoice's handling fee is kept: a credit note credits
    whole lines, and the fee is one line charged on all the invoice's lines."""
    lines = list(
        InvoiceLine.objects.filter(
            registration=registration, claims__isnull=False, invoice__kind=InvoiceKind.INVOICE
        )
        .select_related("invoice")
        .distinct()
        .order_by("invoice_id", "pk")
    )
    drafts = sorted({str(line.invoice) for line in lines if line.invoice.is_draft})
    if drafts:
        raise ValidationError(
            gettext(
                "%(registration)s is on the draft %(drafts)s: take it off the draft (or delete the "
                "draft) first."
            )
            % {"registration": registration, "drafts": ", ".join(drafts)}
        )
    if check_only:  # the caller keeps the issued lines: only no draft may hold the place
        return []
    by_invoice: dict[int, list[InvoiceLine]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(line)
    return [
        invoice_credit(
            tenant=tenant,
            by=by,
            invoice=chosen[0].invoice,
            line_ids=[line.pk for line in chosen],
            reason=reason,
            with_deductions=True,
        ).number
        for chosen in by_invoice.values()
    ]
