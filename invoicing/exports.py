"""The invoice list's and an invoice's lines' CSV/XLSX (`?export=csv|xlsx`). The finance
hand-off (the reconciliation file and export batches) is `reporting.exports`."""

from accounts.platform.exporting import QuerysetExporter, date, money, number, text


class InvoiceExporter(QuerysetExporter):
    """Rows annotated with `state` and `outstanding` (`payment_selectors.with_state`): the status
    column is the state the list shows (open, partly paid, paid, overdue, …)."""

    file_name = "invoices"
    columns = [
        text("number"),
        text("kind"),
        text("status", source="state"),
        date("issue_date"),
        date("due_date"),
        number("billing_account_number"),
        text("billing_name"),
        text("project", source="project__code"),
        text("po_reference"),
        text("currency"),
        number("exchange_rate"),
        money("net_total"),
        money("tax_total"),
        money("gross_total"),
        money("outstanding"),
        text("tags"),
        text("customer_tags"),
    ]


class InvoiceLineExporter(QuerysetExporter):
    file_name = "lines"
    columns = [
        text("invoice", source="invoice__number"),
        text("project", source="project__code"),  # the line's: an invoice may bill several
        text("kind"),
        text("product_code"),
        text("description"),
        date("event_date"),
        number("quantity"),
        money("unit_price"),
        number("discount_percent"),
        money("net"),
        text("tax_code"),
        text("tax_category"),
        number("tax_percent"),
        money("tax_amount"),
    ]
