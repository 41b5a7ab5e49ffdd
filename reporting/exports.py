"""Reporting's exports, all on the platform's exporter base (accounts.platform.exporting).

The reconciliation file: one CSV row per invoice line, fast enough for a million lines. A
`CopyExporter`: PostgreSQL writes it with `COPY ... TO STDOUT` (0.8 to 0.9 times as fast as a
bare COPY of the same query), other databases through the one writer, from the same declared
columns and the same queryset, so the two cannot drift (`tests/reporting/
test_exporters_on_postgres.py` checks they give the same bytes). Text that a spreadsheet would
run as a formula starts with an apostrophe and bidirectional-text controls are replaced with
U+FFFD, as in every export; numbers stay numbers, with the decimals of the columns that hold
them (amounts 3, quantities and rates 2). Names, numbers and codes come from each invoice's
snapshot frozen at issue (never the live account or project), so a file exported again later
says the same. Every amount is the stored, rounded figure, and each line's tax is its frozen
share of its rate's tax, so the lines of an invoice add up to the invoice's totals. The query
carries its own tenant filter (a streamed response outlives the middleware's scope).

The profitability report's and the custom report's files are `Exporter`s of the rows their pages
show (`reporting.selectors.profitability`, `reporting.custom.run`).
"""

from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, QuerySet, Value
from django.db.models.functions import Coalesce

from accounts.platform.exporting import CopyExporter, Exporter, date, money, number, text
from invoicing.models import InvoiceLine, InvoiceStatus
from reporting.custom import MEASURES, MONEY_MEASURES, measure_value

_TAX = Coalesce(
    "tax_amount",
    Value(Decimal("0.000")),
    output_field=DecimalField(max_digits=14, decimal_places=3),
)
_GROSS = ExpressionWrapper(
    F("net") + _TAX, output_field=DecimalField(max_digits=15, decimal_places=3)
)


class ReconciliationExporter(CopyExporter):
    """The issued invoices' and credit notes' lines of `tenant` (of `invoices` only, when given:
    a queryset or ids), in issue order."""

    file_name = "reconciliation"
    columns = [
        text("invoice_number", source="invoice__number"),
        text("kind", source="invoice__kind"),
        date("issue_date", source="invoice__issue_date"),
        date("due_date", source="invoice__due_date"),
        text("status", source="invoice__status"),
        number("account_number", source="invoice__customer_number"),
        text("account_name", source="invoice__customer_name"),
        text("billing_account", source="invoice__billing_name"),
        # The line's project, frozen at issue (an invoice may bill several).
        text("project_code", source="project_code"),
        text("purchase_order", source="invoice__po_reference"),
        # registration, item, handling_fee, deposit, deduction, …
        text("line_kind", source="kind"),
        text("product_code"),
        text("description"),
        number("quantity", decimals=2),
        money("unit_price", decimals=3),
        number("discount_percent", decimals=2),
        money("net", decimals=3),
        text("tax_code"),
        text("tax_category"),
        number("tax_rate", decimals=2, source="tax_percent"),
        money("tax", decimals=3, source=_TAX),
        money("gross", decimals=3, source=_GROSS),
        text("currency", source="invoice__currency"),
        text("tags", source="invoice__tags"),
        text("customer_tags", source="invoice__customer_tags"),
    ]

    def __init__(self, *, tenant, invoices=None, file_name: str = ""):
        lines = InvoiceLine.objects.filter(tenant=tenant, invoice__tenant=tenant).exclude(
            invoice__status=InvoiceStatus.DRAFT
        )
        if invoices is not None:
            if isinstance(invoices, QuerySet):
                invoices = invoices.order_by().values("pk")
            lines = lines.filter(invoice__in=invoices)
        lines = lines.order_by(
            "invoice__issue_date", "invoice__kind", "invoice__sequence_number", "position", "pk"
        )
        super().__init__(lines, file_name=file_name)


class ProfitabilityExporter(Exporter):
    """Every row of the profitability report (not one page), grouped as the page is."""

    file_name = "profitability"

    def __init__(self, rows, dimension_label: str):
        self.report_rows = rows
        self.columns = [
            text("label", header=dimension_label),
            text("currency"),
            number("places_delivered"),
            money("revenue_invoiced"),
            money("revenue_recognised"),
            money("work_in_progress"),
            money("cost"),
            money("profit"),
            number("margin_percent"),
        ]

    def rows(self):
        for row in self.report_rows:
            figures = row.figures
            yield [
                row.label,
                row.currency,
                figures.places,
                figures.invoiced,
                figures.recognised,
                figures.wip,
                figures.cost,
                figures.profit,
                figures.margin_shown,
            ]


class CustomReportExporter(Exporter):
    """A custom report's table: its dimensions, the currency, the chosen measures."""

    file_name = "report"

    def __init__(self, result, definition):
        self.result, self.measures = result, definition.measures
        self.columns = [
            *(text(f"dimension_{n}", header=label) for n, label in enumerate(result.columns)),
            text("currency", header="Currency"),
            *(
                (money if measure in MONEY_MEASURES else number)(measure, header=MEASURES[measure])
                for measure in self.measures
            ),
        ]

    def rows(self):
        for labels, currency, cell in self.result.rows:
            # As the page and the charts show them (a margin to one decimal place, or empty).
            yield [*labels, currency, *(measure_value(cell, m) for m in self.measures)]
