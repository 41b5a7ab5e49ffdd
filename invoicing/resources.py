from import_export import fields, widgets

from accounts.platform.exporting import SafeResource
from invoicing.models import Invoice, InvoiceLine


class InvoiceResource(SafeResource):
    """The invoice list's export: its rows are annotated with `state` and `outstanding`
    (`payment_selectors.with_state`), which the status and outstanding columns show."""

    project = fields.Field(attribute="project__code", column_name="project")
    status = fields.Field(attribute="state", column_name="status")
    outstanding = fields.Field(
        attribute="outstanding",
        column_name="outstanding",
        widget=widgets.DecimalWidget(coerce_to_string=False),
    )

    class Meta:
        model = Invoice
        fields = (
            "number",
            "kind",
            "status",
            "issue_date",
            "due_date",
            "billing_account_number",
            "billing_name",
            "project",
            "po_reference",
            "currency",
            "exchange_rate",
            "net_total",
            "tax_total",
            "gross_total",
            "outstanding",
            "tags",
        )
        export_order = fields


class InvoiceLineResource(SafeResource):
    invoice = fields.Field(attribute="invoice__number", column_name="invoice")

    class Meta:
        model = InvoiceLine
        fields = (
            "invoice",
            "kind",
            "product_code",
            "description",
            "event_date",
            "quantity",
            "unit_price",
            "discount_percent",
            "net",
            "tax_code",
            "tax_category",
            "tax_percent",
            "tax_amount",
        )
        export_order = fields
