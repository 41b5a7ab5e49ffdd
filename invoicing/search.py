"""What the navbar's search box finds of invoicing (`accounts.platform.search`)."""

from accounts.platform.search import SearchHit, first_hits, text_filter
from invoicing.access import shared_invoices


def search_invoices(request, query: str, limit: int):
    """Invoices and credit notes by number, purchase-order reference or billing account."""
    invoices = text_filter(
        shared_invoices(request).select_related("billing_account"),
        query,
        ["number", "po_reference", "billing_account__name"],
    )
    return first_hits(
        invoices.order_by("-issue_date", "-pk"),
        limit,
        lambda invoice: SearchHit(
            title=str(invoice),
            url=invoice.get_absolute_url(),
            detail=" · ".join(
                filter(
                    None,
                    [
                        invoice.billing_account.name,
                        invoice.get_status_display(),
                        f"{invoice.gross_total:,.2f} {invoice.currency}",
                    ],
                )
            ),
        ),
    )
