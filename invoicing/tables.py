import functools

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.platform.fast_tables import RowsInOnePass
from accounts.platform.tables import SelectRowColumn, choice_label, short_date
from accounts.templatetags.money import money
from invoicing.models import Invoice, InvoiceState

RIGHT = {"td": {"class": "text-end text-nowrap"}, "th": {"class": "text-end"}}
BADGES = {
    InvoiceState.DRAFT: "text-bg-light border",
    InvoiceState.OPEN: "text-bg-primary",
    InvoiceState.PARTLY_PAID: "text-bg-info",
    InvoiceState.OVERDUE: "text-bg-danger",
    InvoiceState.PAID: "text-bg-success",
    InvoiceState.ISSUED: "text-bg-primary",
    InvoiceState.CANCELLED: "text-bg-secondary",
}


def invoice_badge(record):
    """The document's state (`payment_selectors.with_state`, annotated by every list)."""
    return format_html(
        '<span class="badge {}">{}</span>', BADGES.get(record.state, ""), state_label(record)
    )


def state_label(record) -> str:
    return _state_label(record.state, get_language())


@functools.lru_cache(maxsize=64)
def _state_label(state: str, _language) -> str:
    return str(InvoiceState(state).label)


class InvoiceTable(RowsInOnePass, tables.Table):
    """Rows rendered in one pass (`cell_*`; the invoice list is a hot page)."""

    selected = SelectRowColumn(
        name="selected", form="zip-form", label=lambda r: r.number or f"Draft #{r.pk}"
    )
    number = tables.Column(  # "NWT-00043" kept on one line, not broken at its hyphen
        linkify=True,
        verbose_name=_("Number"),
        empty_values=(),
        order_by=("sequence_number",),
        attrs={"td": {"class": "text-nowrap"}},
    )
    kind = tables.Column()
    status = tables.Column(order_by=("state",))
    billing_account = tables.Column(verbose_name=_("Bill to"), order_by="billing_account__name")
    project = tables.Column(order_by="project__code")
    issue_date = tables.DateColumn(verbose_name=_("Issued"))
    due_date = tables.DateColumn(verbose_name=_("Due"))
    net_total = tables.Column(verbose_name=_("Net"), attrs=RIGHT)
    gross_total = tables.Column(verbose_name=_("Gross"), attrs=RIGHT)
    outstanding = tables.Column(verbose_name=_("Outstanding"), attrs=RIGHT)

    row_fields = (
        *("kind", "number", "status", "currency", "issue_date", "due_date"),
        *("net_total", "gross_total", "billing_account__name", "project__code"),
    )

    class Meta:
        model = Invoice
        fields = [
            "selected",
            "number",
            "kind",
            "status",
            "billing_account",
            "project",
            "issue_date",
            "due_date",
            "net_total",
            "gross_total",
            "outstanding",
        ]
        empty_text = _("No invoices match these filters.")
        attrs = {"class": "table table-hover align-middle mb-0", "aria-label": _("Invoices")}

    def cell_selected(self, record):
        return self.base_columns["selected"].checkbox(record)

    def cell_number(self, record):
        return format_html(
            '<a href="{}">{}</a>', record.get_absolute_url(), self.render_number(record)
        )

    def cell_kind(self, record):
        return choice_label(record, "kind")

    def cell_status(self, record):
        return invoice_badge(record)

    def cell_billing_account(self, record):
        return record.billing_account.name

    def cell_project(self, record):
        return record.project.code

    def cell_issue_date(self, record):
        return short_date(record.issue_date)

    def cell_due_date(self, record):
        # A credit note is not paid by the customer: it has no due date to show.
        return "" if record.is_credit_note else short_date(record.due_date)

    def cell_net_total(self, record):
        return money(record.net_total, record.currency)

    def cell_gross_total(self, record):
        return money(record.gross_total, record.currency)

    def cell_outstanding(self, record):
        # Only an issued invoice is paid: a draft, a credit note or a cancelled one shows none.
        if record.state in (InvoiceState.DRAFT, InvoiceState.ISSUED, InvoiceState.CANCELLED):
            return ""
        return money(record.outstanding, record.currency)

    def render_outstanding(self, record):
        return self.cell_outstanding(record)

    def render_number(self, record):
        return record.number or f"Draft #{record.pk}"

    def render_due_date(self, record):
        return self.cell_due_date(record)

    def render_status(self, record):
        return invoice_badge(record)

    def render_billing_account(self, value):
        return value.name

    def render_project(self, value):
        return value.code

    def render_net_total(self, value, record):
        return money(value, record.currency)

    def render_gross_total(self, value, record):
        return money(value, record.currency)


class CompactInvoiceTable(InvoiceTable):
    class Meta(InvoiceTable.Meta):
        exclude = ["selected", "project"]
        orderable = False


class RunInvoiceTable(InvoiceTable):
    """A bulk run's invoices: across projects, so the project is shown (issue 17)."""

    class Meta(InvoiceTable.Meta):
        exclude = ["selected"]
        orderable = False
