from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.filters import search_remotely
from accounts.models import Account, AccountKind, BankAccount, Contact, EInvoiceFormat, Region
from accounts.platform.forms import Form, ModelForm, TenantFormMixin
from accounts.platform.languages import language_choices
from accounts.platform.models import MemberGroup, Membership, Role, Tenant
from accounts.platform.money import country_choices, currency_choices


def _blank_choice(choices, label="—"):
    return [("", label), *choices]


class AccountForm(TenantFormMixin, forms.ModelForm):
    sales_currency = forms.ChoiceField(required=False)
    country = forms.ChoiceField(required=False)

    class Meta:
        model = Account
        fields = [
            "name",
            "kind",
            "parent",
            "billing_account",
            "region",
            "sales_currency",
            "tax_id",
            "email",
            "phone",
            "address",
            "postal_code",
            "city",
            "country_area",
            "country",
            "invoice_email",
            "einvoice_format",
            "peppol_id",
            "tax_treatment",
            "language",
            "tags",
            "notes",
            "is_active",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = Account.objects.filter(kind=AccountKind.ORGANISATION).order_by("name")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = others
        self.fields["billing_account"].queryset = others
        for name in ("parent", "billing_account"):
            search_remotely(self.fields[name], "accounts:account-options", "kind=organisation")
        self.fields["region"].queryset = Region.objects.order_by("name")
        self.fields["sales_currency"].choices = _blank_choice(currency_choices(), "Any currency")
        self.fields["country"].choices = _blank_choice(country_choices())
        # A form posted without it (an older page, a script) keeps the account's format.
        self.fields["einvoice_format"].required = False
        self.fields["tax_treatment"].choices = _blank_choice(
            self.fields["tax_treatment"].choices[1:], "Decided by the rules"
        )
        self.fields["language"].choices = _blank_choice(
            language_choices(), _("The company's language")
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Customer"),
                Row(Column("name", css_class="col-md-8"), Column("kind", css_class="col-md-4")),
                Row(Column("parent"), Column("billing_account")),
                Row(Column("region"), Column("sales_currency"), Column("tax_id")),
            ),
            Fieldset(
                _("Contact details and billing address"),
                Row(Column("email"), Column("phone")),
                "address",
                Row(
                    Column("postal_code", css_class="col-md-2"),
                    Column("city"),
                    Column("country_area"),
                    Column("country"),
                ),
            ),
            Fieldset(
                _("Invoicing"),
                Row(Column("invoice_email"), Column("einvoice_format")),
                Row(Column("peppol_id"), Column("tax_treatment")),
                Row(Column("language", css_class="col-md-4")),
            ),
            Fieldset(_("More"), "tags", "notes", "is_active"),
        )

    def clean_einvoice_format(self):
        return self.cleaned_data.get("einvoice_format") or (
            self.instance.einvoice_format or EInvoiceFormat.FACTURX
        )


class ContactForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["first_name", "last_name", "job_title", "email", "phone", "is_primary"]

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.account = account
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("first_name"), Column("last_name")),
            Row(Column("job_title"), Column("email"), Column("phone")),
            "is_primary",
        )


class RegionForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = Region
        fields = ["name", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class TenantSettingsForm(ModelForm):
    LOGO_MAX_BYTES = 1024 * 1024

    def clean_logo(self):
        """Only a real PNG or JPEG, checked by its content, is printed on invoices."""
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "content_type"):
            import filetype

            if logo.size > self.LOGO_MAX_BYTES:
                raise forms.ValidationError(_("The logo may be at most 1 MB."))
            head = logo.read(2048)
            logo.seek(0)
            if filetype.guess_mime(head) not in ("image/png", "image/jpeg"):
                raise forms.ValidationError(_("Upload the logo as a PNG or JPEG image."))
        return logo

    base_currency = forms.ChoiceField()
    country = forms.ChoiceField(required=False)

    class Meta:
        model = Tenant
        fields = [
            "name",
            "base_currency",
            "address",
            "postal_code",
            "city",
            "country_area",
            "country",
            "vat_number",
            "registration_number",
            "registration_register",
            "invoice_contact_name",
            "invoice_email",
            "invoice_phone",
            "invoice_prefix",
            "credit_note_prefix",
            "payment_terms_days",
            "default_tax_rate",
            "language",
            "logo",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_currency"].choices = currency_choices()
        self.fields["country"].choices = _blank_choice(country_choices())
        # A form posted without it (an older page, a script) keeps the company's language.
        self.fields["language"].required = False
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("Company"), "name", "logo", Row(Column("language", css_class="col-md-4"))),
            Fieldset(
                _("Address"),
                "address",
                Row(
                    Column("postal_code", css_class="col-md-2"),
                    Column("city"),
                    Column("country_area"),
                    Column("country"),
                ),
            ),
            Fieldset(
                _("Legal details"),
                Row(
                    Column("vat_number"),
                    Column("registration_number"),
                    Column("registration_register", css_class="col-md-5"),
                ),
            ),
            Fieldset(
                _("Invoicing contact"),
                Row(
                    Column("invoice_contact_name"),
                    Column("invoice_email"),
                    Column("invoice_phone"),
                ),
            ),
            Fieldset(
                _("Invoicing"),
                Row(
                    Column("base_currency"),
                    Column("default_tax_rate"),
                    Column("payment_terms_days"),
                ),
                Row(Column("invoice_prefix"), Column("credit_note_prefix")),
            ),
        )

    def clean_language(self):
        return self.cleaned_data.get("language") or self.instance.language


class BankAccountForm(TenantFormMixin, forms.ModelForm):
    currency = forms.ChoiceField(
        required=False, help_text=BankAccount._meta.get_field("currency").help_text
    )

    class Meta:
        model = BankAccount
        fields = [
            "label",
            "currency",
            "bank_name",
            "account_holder",
            "iban",
            "bic",
            "account_number",
            "sort_code",
            "is_default",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = _blank_choice(currency_choices(), "Any currency")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("label"), Column("currency")),
            Row(Column("bank_name"), Column("account_holder")),
            Fieldset(
                _("An IBAN (with the BIC for payments from abroad)"),
                Row(Column("iban", css_class="col-md-8"), Column("bic")),
            ),
            Fieldset(
                _("Or a local account number"),
                Row(Column("account_number"), Column("sort_code")),
            ),
            Row(Column("is_default"), Column("is_active")),
        )


class MemberAddForm(Form):
    email = forms.EmailField()
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    role = forms.ChoiceField(choices=Role.choices, initial=Role.STAFF)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("email", css_class="col-md-5"),
                Column("first_name"),
                Column("last_name"),
                Column("role"),
            ),
        )


class MemberRoleForm(ModelForm):
    class Meta:
        model = Membership
        fields = ["role"]


__all__ = [
    "AccountForm",
    "BankAccountForm",
    "ContactForm",
    "MemberAddForm",
    "MemberRoleForm",
    "RegionForm",
    "Submit",
    "TenantSettingsForm",
]


class MemberGroupForm(TenantFormMixin, forms.ModelForm):
    """A group's name and members (the company's members, a short list)."""

    members = forms.ModelMultipleChoiceField(
        queryset=Membership.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Members"),
    )

    class Meta:
        model = MemberGroup
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Membership.objects.select_related("user")
        if self.instance.pk and not self.is_bound:
            self.initial["members"] = [m.membership_id for m in self.instance.members.all()]
        self.helper = FormHelper()
        self.helper.form_tag = False
