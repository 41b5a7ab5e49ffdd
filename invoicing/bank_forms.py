"""Forms of the bank statement pages (issue 16, part 4)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.platform.forms import Form
from invoicing.models import BankCsvMapping, DateFormat, DecimalFormat, Direction, LineStatus

COLUMN_LABELS = {
    "date_column": "Booking date",
    "amount_column": "Amount (signed: money in positive)",
    "credit_column": "Money in (credit)",
    "debit_column": "Money out (debit)",
    "currency_column": "Currency",
    "reference_column": "Reference / remittance text",
    "counterparty_name_column": "Payer's name",
    "counterparty_iban_column": "Payer's IBAN",
    "transaction_id_column": "Bank's transaction id",
}


class StatementUploadForm(Form):
    bank_account = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        help_text=_("The company's account the statement is of."),
    )
    file = forms.FileField(
        help_text=_("A camt.053 statement (.xml) or the bank's CSV (or .xlsx) export.")
    )
    remap = forms.BooleanField(
        required=False,
        label=_("Map the CSV's columns again"),
        help_text=_("The bank account's saved column mapping is used otherwise."),
    )

    def __init__(self, *args, bank_accounts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank_account"].queryset = bank_accounts


class CsvMappingForm(Form):
    """Which column holds what, chosen among the file's columns; saved per bank account."""

    date_format = forms.ChoiceField(choices=DateFormat.choices)
    decimal_format = forms.ChoiceField(choices=DecimalFormat.choices)

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—")] + [(header, header) for header in headers]
        for name in BankCsvMapping.COLUMNS:
            self.fields[name] = forms.ChoiceField(
                choices=choices, required=name == "date_column", label=COLUMN_LABELS[name]
            )
        self.order_fields([*BankCsvMapping.COLUMNS, "date_format", "decimal_format"])


class LineFilterForm(Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *LineStatus.choices], required=False)
    direction = forms.ChoiceField(choices=[("", "In and out"), *Direction.choices], required=False)
    statement = forms.IntegerField(required=False, widget=forms.HiddenInput)


class IgnoreLineForm(Form):
    reason = forms.CharField(
        max_length=200,
        required=False,
        help_text=_("e.g. “Refund from the venue”, “Transfer from our savings account”."),
    )
