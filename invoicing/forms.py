from decimal import Decimal

from crispy_forms.layout import Column, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.filters import search_remotely
from accounts.models import Account, Region
from accounts.platform.forms import DATE, Form, TenantFormMixin, column_field, helper
from accounts.platform.money import currency_choices, round_money
from agreements.models import Product, ProductKind
from invoicing import mail
from invoicing.models import (
    DEFAULT_EMAIL_BODY,
    DEFAULT_EMAIL_SUBJECT,
    Allocation,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceLine,
    InvoicingSettings,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from projects.models import Project


class GroupingForm(Form):
    grouping = forms.ChoiceField(
        choices=[
            (Grouping.ALL, Grouping.ALL.label),
            (Grouping.REGISTRATION, Grouping.REGISTRATION.label),
            (Grouping.EVENT, Grouping.EVENT.label),
            (Grouping.PURCHASE_ORDER, Grouping.PURCHASE_ORDER.label),
        ],
        initial=Grouping.ALL,
    )


class AccountGroupingForm(Form):
    """How the ticked rows of a billing account's projects are invoiced (its review page)."""

    grouping = forms.ChoiceField(
        label=_("Invoices"),
        choices=[
            (Grouping.BILLING_ACCOUNT, _("One invoice for every project (lines say which)")),
            (Grouping.ALL, _("One invoice per project")),
        ],
        initial=Grouping.BILLING_ACCOUNT,
    )


class RunForm(Form):
    date_from = forms.DateField(required=False, widget=DATE, label=_("Delivered from"))
    date_to = forms.DateField(required=False, widget=DATE, label=_("Delivered until"))
    account = forms.ModelChoiceField(
        queryset=Account.objects.none(), required=False, label=_("Customer or billing account")
    )
    region = forms.ModelChoiceField(queryset=Region.objects.none(), required=False)
    project = forms.ModelChoiceField(queryset=Project.objects.none(), required=False)
    include_internal = forms.BooleanField(required=False, label=_("Include internal projects"))
    skip_no_more_transactions = forms.BooleanField(
        required=False,
        label=_("Leave out “no more transactions” projects"),
        help_text=_("Only active projects are invoiced; finished ones are always left out."),
    )
    grouping = forms.ChoiceField(
        choices=[
            (Grouping.PROJECT, Grouping.PROJECT.label),
            (Grouping.BILLING_PO, Grouping.BILLING_PO.label),
            (Grouping.EVENT, Grouping.EVENT.label),
            (Grouping.REGISTRATION, Grouping.REGISTRATION.label),
            (Grouping.BILLING_ACCOUNT, Grouping.BILLING_ACCOUNT.label),
        ],
        initial=Grouping.PROJECT,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.order_by("name")
        self.fields["region"].queryset = Region.objects.order_by("name")
        # Finished projects are never in a run: the pick list leaves them out.
        self.fields["project"].queryset = Project.objects.unfinished().order_by("-start_date")
        search_remotely(self.fields["account"], "accounts:account-options")
        search_remotely(self.fields["project"], "projects:project-options")
        self.helper = helper(
            Row(
                Column("date_from"),
                Column("date_to"),
                Column("account"),
                Column("region"),
                Column("project"),
            ),
            Row(
                Column("grouping"),
                Column("include_internal"),
                Column("skip_no_more_transactions"),
            ),
            method="get",  # the preview is a GET: no CSRF token in its URL
        )

    def selection(self) -> dict:
        data = self.cleaned_data
        return {
            "date_from": data["date_from"].isoformat() if data["date_from"] else None,
            "date_to": data["date_to"].isoformat() if data["date_to"] else None,
            "account": data["account"].pk if data["account"] else None,
            "region": data["region"].pk if data["region"] else None,
            "project": data["project"].pk if data["project"] else None,
            "include_internal": data["include_internal"],
            "skip_no_more_transactions": data["skip_no_more_transactions"],
        }


class ExchangeRateForm(TenantFormMixin, forms.ModelForm):
    currency = forms.ChoiceField()

    class Meta:
        model = ExchangeRate
        fields = ["currency", "date", "rate"]
        widgets = {"date": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()
        base = self.tenant.base_currency
        self.fields["rate"].help_text = f"How many {base} one unit of the currency is worth."
        self.helper = helper(Row(Column("currency"), Column("date"), Column("rate")))


class CreditForm(Form):
    reason = forms.CharField(max_length=255)
    lines = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].choices = [(line.pk, line.pk) for line in invoice.lines.all()]


class LineForm(Form):
    quantity = column_field(InvoiceLine, "quantity", min_value=Decimal("0.01"))
    unit_price = column_field(InvoiceLine, "unit_price", min_value=0)


class InvoicingSettingsForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = InvoicingSettings
        fields = [
            "handling_fee_product",
            "fee_on_prepaid_lines",
            "max_rate_age_days",
            "email_subject",
            "email_body",
        ]
        widgets = {"email_body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fees = Product.objects.filter(kind=ProductKind.FEE, is_active=True)
        if self.instance.handling_fee_product_id:  # keep today's choice even if it was retired
            fees = fees | Product.objects.filter(pk=self.instance.handling_fee_product_id)
        self.fields["handling_fee_product"].queryset = fees.order_by("code")
        self.fields["handling_fee_product"].empty_label = "None: code HANDLING"
        subject, body = self.fields["email_subject"], self.fields["email_body"]
        subject.help_text = f"{mail.placeholder_help()} Empty: “{DEFAULT_EMAIL_SUBJECT}”."
        body.help_text = (
            "The same placeholders as the subject; a brace to print is written {{ or }}. "
            "Empty: the default text."
        )
        subject.required = body.required = False
        self.helper = helper(
            "handling_fee_product",
            "fee_on_prepaid_lines",
            Row(Column("max_rate_age_days")),
            "email_subject",
            "email_body",
        )

    def _template(self, name: str, default: str) -> str:
        text = self.cleaned_data.get(name) or ""
        if not text.strip():
            return default
        problems = mail.template_problems(text)
        if problems:
            raise forms.ValidationError(problems)
        return text

    def clean_email_subject(self):
        return self._template("email_subject", DEFAULT_EMAIL_SUBJECT)

    def clean_email_body(self):
        return self._template("email_body", DEFAULT_EMAIL_BODY)


class DepositForm(Form):
    """A deposit on a project: an amount, or a percentage of its committed value. `confirm` is
    set by the confirmation, which shows what the deposit invoice will be first."""

    amount = column_field(
        InvoiceLine,
        "unit_price",
        min_value=Decimal("0.01"),
        required=False,
        label=_("Amount (net)"),
        help_text=_("VAT is added on top."),
    )
    percent = column_field(
        Project,
        "handling_fee_percent",
        min_value=Decimal("0.01"),
        required=False,
        label=_("or percentage of the committed value (%)"),
        help_text=_("Of the net of the project's ordered places and billable items."),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `confirm` is sent by the confirmation only (the page writes it), never by this form.
        self.helper = helper(Row(Column("amount"), Column("percent")))

    def clean(self):
        data = super().clean()
        if not self.errors and (data.get("amount") is None) == (data.get("percent") is None):
            raise forms.ValidationError(
                _("Enter either an amount or a percentage of the committed value.")
            )
        return data


# --- Payments (issue 16) ---------------------------------------------------------------------


class OpenInvoiceChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, invoice):
        return invoice_choice_label(invoice)


def invoice_choice_label(invoice) -> str:
    """“INV-00012 · due 1 Apr 2026 · 1,080.00 EUR outstanding” (an annotated open invoice)."""
    due = f" · due {invoice.due_date:%d %b %Y}" if invoice.due_date else ""
    left = round_money(invoice.outstanding, invoice.currency)
    return f"{invoice.number}{due} · {left:,} {invoice.currency} outstanding"


class PaymentForm(Form):
    """A payment from a billing account, and the open invoices of that account it pays (oldest
    due first, each what is outstanding on it while the payment lasts)."""

    date = forms.DateField(widget=DATE, label=_("Received on"))
    amount = column_field(Payment, "amount", min_value=Decimal("0.001"))
    currency = forms.ChoiceField()
    method = forms.ChoiceField(choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    exchange_rate = column_field(
        Payment,
        "exchange_rate",
        required=False,
        help_text=_("Base currency per unit. Empty: the exchange-rate table's on that day."),
    )
    reference = column_field(Payment, "reference", required=False)
    note = column_field(Payment, "note", required=False)
    invoices = OpenInvoiceChoices(
        queryset=Invoice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Pays"),
        help_text=_(
            "Ticked invoices are paid oldest due first; what is left stays on the account."
        ),
    )

    def __init__(self, *args, open_invoices, base_currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = currency_choices()
        self.fields["invoices"].queryset = open_invoices
        self.fields["exchange_rate"].help_text = (
            f"{base_currency} per unit; not for {base_currency}. Empty: the exchange-rate "
            "table's on the day received."
        )
        self.helper = helper(
            Row(Column("date"), Column("amount"), Column("currency"), Column("method")),
            Row(Column("reference"), Column("exchange_rate")),
            "note",
            "invoices",
        )

    def clean(self):
        data = super().clean()
        currency = data.get("currency")
        for invoice in data.get("invoices") or ():
            if currency and invoice.currency != currency:
                self.add_error(
                    "invoices",
                    (
                        _(
                            "%(invoice_number)s is in %(currency)s: a %(currency2)s payment pays "
                            "%(currency2)s invoices only."
                        )
                        % {
                            "invoice_number": invoice.number,
                            "currency": invoice.currency,
                            "currency2": currency,
                        }
                    ),
                )
        return data

    def chosen_invoices(self) -> list:
        """The ticked invoices, oldest due first (the queryset's order)."""
        wanted = {invoice.pk for invoice in self.cleaned_data.get("invoices") or ()}
        return [invoice for invoice in self.fields["invoices"].queryset if invoice.pk in wanted]


class AllocationForm(Form):
    """What a payment or credit note has left, to one open invoice of the same account.
    `confirm` is set by the confirmation, which shows what will happen first."""

    source = forms.ChoiceField(label=_("From"))
    invoice = forms.ModelChoiceField(queryset=Invoice.objects.none(), label=_("To invoice"))
    amount = column_field(
        Allocation,
        "amount",
        required=False,
        min_value=Decimal("0.001"),
        help_text=_("Empty: as much as both allow."),
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, sources, open_invoices, **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = {key: row for key, row, _label in sources}
        self.fields["source"].choices = [(key, label) for key, _row, label in sources]
        self.fields["invoice"].queryset = open_invoices
        self.fields["invoice"].label_from_instance = invoice_choice_label
        self.helper = helper(Row(Column("source"), Column("invoice"), Column("amount")))

    def source_row(self):
        return self.sources[self.cleaned_data["source"]]


class PaymentReversalForm(Form):
    reason = column_field(
        PaymentReversal, "reason", help_text=_("Kept with the payment and in its history.")
    )
