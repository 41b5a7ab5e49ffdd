"""What an irreversible invoicing action will do, said before it is done (issue 17): the
questions of `accounts.platform.confirm.ask` for issuing, deleting a draft, crediting and a
bulk run's issuing. Figures come from the services themselves (a dry run) or from the stored
totals of the drafts, never worked out a second time."""

from __future__ import annotations

from django.db.models import Count, Sum

from accounts.platform.confirm import dry_run
from accounts.templatetags.money import money
from invoicing import services
from invoicing.models import Invoice, InvoiceStatus


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"


def _totals(document: Invoice) -> str:
    return (
        f"net {money(document.net_total, document.currency)}, "
        f"total {money(document.gross_total, document.currency)}"
    )


def issue(request, invoice: Invoice) -> dict:
    """Issue a draft: the number it takes and its totals, as issuing would set them."""
    lines = invoice.lines.count()
    issued = dry_run(
        lambda: services.invoice_issue(
            tenant=request.tenant, by=request.user, invoice=invoice, render_pdf=False
        )
    )
    return {
        "title": f"Issue {invoice}",
        "question": (
            f"Issue {invoice} to {invoice.billing_account.name}: {_lines(lines)}, "
            f"{_totals(issued)} — this gives it the next number, {issued.number}, "
            "and cannot be undone."
        ),
        "warning": (
            "An issued invoice is never changed or deleted: a mistake is corrected with a "
            "credit note."
        ),
        "button": f"Issue as {issued.number}",
        "danger": False,
        "cancel_url": invoice.get_absolute_url(),
    }


def delete_draft(request, invoice: Invoice) -> dict:
    lines = invoice.lines.count()
    return {
        "title": f"Delete {invoice}",
        "question": (
            f"Delete {invoice} to {invoice.billing_account.name}: {_lines(lines)}, "
            f"{_totals(invoice)}. Its registrations and items become due again and can be "
            "put on another invoice."
        ),
        "warning": "A deleted draft cannot be restored.",
        "button": "Delete the draft",
        "cancel_url": invoice.get_absolute_url(),
    }


def credit(request, invoice: Invoice, *, line_ids, reason: str) -> dict:
    """A credit note: which lines, its number and totals, as crediting would set them."""
    open_lines = list(invoice.lines.filter(credited_by__isnull=True).order_by("position", "pk"))
    chosen = [line for line in open_lines if line_ids is None or line.pk in set(line_ids)]
    note = dry_run(
        lambda: services.invoice_credit(
            tenant=request.tenant,
            by=request.user,
            invoice=invoice,
            line_ids=line_ids,
            reason=reason,
        )
    )
    whole = len(chosen) == len(open_lines)
    part = (
        f"the whole invoice ({_lines(len(chosen))})"
        if whole
        else f"{len(chosen)} of its {_lines(len(open_lines))}"
    )
    return {
        "title": f"Credit {invoice.number}",
        "question": (
            f"Issue credit note {note.number} for {invoice.number} "
            f"({invoice.billing_account.name}): {part}, {_totals(note)}. "
            f"Reason printed on it: “{reason}”."
        ),
        "details": [f"{line.description}: {money(-line.net, invoice.currency)}" for line in chosen],
        "warning": (
            "A credit note cannot be undone. The credited registrations and items can be "
            "invoiced again" + (f"; {invoice.number} becomes cancelled." if whole else ".")
        ),
        "button": f"Issue credit note {note.number}",
        "cancel_url": invoice.get_absolute_url(),
    }


def issue_run(request, run) -> dict:
    """Issue a bulk run's drafts: how many, their totals per currency (as stored on them)."""
    rows = list(
        run.invoices.filter(status=InvoiceStatus.DRAFT)
        .values("currency")
        .annotate(count=Count("pk"), net=Sum("net_total"), gross=Sum("gross_total"))
        .order_by("currency")
    )
    count = sum(row["count"] for row in rows)
    drafts = f"{count} draft{'' if count == 1 else 's'}"
    return {
        "title": f"Issue {drafts} of run {run.pk}",
        "question": (
            f"Issue {drafts} of run {run.pk}: "
            + "; ".join(
                f"{row['count']} in {row['currency']}, net {money(row['net'], row['currency'])}, "
                f"total {money(row['gross'], row['currency'])}"
                for row in rows
            )
            + f" — they take the next {count} invoice number{'' if count == 1 else 's'} "
            "and cannot be undone."
        ),
        "warning": (
            "Issued invoices are never changed or deleted: a mistake is corrected with a "
            "credit note. Issuing runs in the background; this page shows its progress."
        ),
        "button": f"Issue {drafts}",
        "danger": False,
        "cancel_url": run.get_absolute_url(),
    }
