"""What an irreversible invoicing action will do, said before it is done (issue 17): the
questions of `accounts.platform.confirm.ask` for issuing, deleting a draft, crediting and a
bulk run's issuing. Figures come from the services themselves (a dry run) or from the stored
totals of the drafts, never worked out a second time."""

from __future__ import annotations

from django.db.models import Count, Sum
from django.utils.translation import gettext, ngettext

from accounts.platform.confirm import dry_run
from accounts.templatetags.money import money
from invoicing import services
from invoicing.models import Invoice, InvoiceStatus


def _lines(count: int) -> str:
    return ngettext("%(count)s line", "%(count)s lines", count) % {"count": count}


def _totals(document: Invoice) -> str:
    return gettext("net %(net)s, total %(gross)s") % {
        "net": money(document.net_total, document.currency),
        "gross": money(document.gross_total, document.currency),
    }


def issue(request, invoice: Invoice) -> dict:
    """Issue a draft: the number it takes and its totals, as issuing would set them."""
    lines = invoice.lines.count()
    issued = dry_run(
        lambda: services.invoice_issue(
            tenant=request.tenant, by=request.user, invoice=invoice, render_pdf=False
        )
    )
    return {
        "title": gettext("Issue %(invoice)s") % {"invoice": invoice},
        "question": gettext(
            "Issue %(invoice)s to %(account)s: %(lines)s, %(totals)s — this gives it the next "
            "number, %(number)s, and cannot be undone."
        )
        % {
            "invoice": invoice,
            "account": invoice.billing_account.name,
            "lines": _lines(lines),
            "totals": _totals(issued),
            "number": issued.number,
        },
        "warning": gettext(
            "An issued invoice is never changed or deleted: a mistake is corrected with a "
            "credit note."
        ),
        "button": gettext("Issue as %(number)s") % {"number": issued.number},
        "danger": False,
        "cancel_url": invoice.get_absolute_url(),
    }


def delete_draft(request, invoice: Invoice) -> dict:
    lines = invoice.lines.count()
    return {
        "title": gettext("Delete %(invoice)s") % {"invoice": invoice},
        "question": gettext(
            "Delete %(invoice)s to %(account)s: %(lines)s, %(totals)s. Its registrations and "
            "items become due again and can be put on another invoice."
        )
        % {
            "invoice": invoice,
            "account": invoice.billing_account.name,
            "lines": _lines(lines),
            "totals": _totals(invoice),
        },
        "warning": gettext("A deleted draft cannot be restored."),
        "button": gettext("Delete the draft"),
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
        gettext("the whole invoice (%(lines)s)") % {"lines": _lines(len(chosen))}
        if whole
        else gettext("%(chosen)s of its %(lines)s")
        % {"chosen": len(chosen), "lines": _lines(len(open_lines))}
    )
    return {
        "title": gettext("Credit %(number)s") % {"number": invoice.number},
        "question": gettext(
            "Issue credit note %(note)s for %(number)s (%(account)s): %(part)s, %(totals)s. "
            "Reason printed on it: “%(reason)s”."
        )
        % {
            "note": note.number,
            "number": invoice.number,
            "account": invoice.billing_account.name,
            "part": part,
            "totals": _totals(note),
            "reason": reason,
        },
        "details": [f"{line.description}: {money(-line.net, invoice.currency)}" for line in chosen],
        "warning": (
            gettext(
                "A credit note cannot be undone. The credited registrations and items can be "
                "invoiced again; %(number)s becomes cancelled."
            )
            % {"number": invoice.number}
            if whole
            else gettext(
                "A credit note cannot be undone. The credited registrations and items can be "
                "invoiced again."
            )
        ),
        "button": gettext("Issue credit note %(number)s") % {"number": note.number},
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
    drafts = ngettext("%(count)s draft", "%(count)s drafts", count) % {"count": count}
    per_currency = "; ".join(
        gettext("%(count)s in %(currency)s, net %(net)s, total %(gross)s")
        % {
            "count": row["count"],
            "currency": row["currency"],
            "net": money(row["net"], row["currency"]),
            "gross": money(row["gross"], row["currency"]),
        }
        for row in rows
    )
    numbers = ngettext(
        "they take the next invoice number and cannot be undone.",
        "they take the next %(count)s invoice numbers and cannot be undone.",
        count,
    ) % {"count": count}
    return {
        "title": gettext("Issue %(drafts)s of run %(run)s") % {"drafts": drafts, "run": run.pk},
        "question": gettext("Issue %(drafts)s of run %(run)s: %(per_currency)s — %(numbers)s")
        % {"drafts": drafts, "run": run.pk, "per_currency": per_currency, "numbers": numbers},
        "warning": gettext(
            "Issued invoices are never changed or deleted: a mistake is corrected with a "
            "credit note. Issuing runs in the background; this page shows its progress."
        ),
        "button": gettext("Issue %(drafts)s") % {"drafts": drafts},
        "danger": False,
        "cancel_url": run.get_absolute_url(),
    }
