from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms

from accounts.models import Account, AccountKind, Contact, Region
from accounts.platform.forms import Form, ModelForm, TenantFormMixin
from accounts.platform.models import Membership, Role, Tenant
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
            "country",
            "tags",
            "notes",
            "is_active",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        others = Account.objects.filter(kind=AccountKind.ORGANISATION).order_by("name")
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = others
        self.fields["billing_account"].queryset = others
        self.fields["region"].queryset = Region.objects.order_by("name")
        self.fields["sales_currency"].choices = _blank_choice(currency_choices(), "Any currency")
        self.fields["country"].choices = _blank_choice(country_choices())
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Customer",
                Row(Column("name", css_class="col-md-8"), Column("kind", css_class="col-md-4")),
                Row(Column("parent"), Column("billing_account")),
                Row(Column("region"), Column("sales_currency"), Column("tax_id")),
            ),
            Fieldset(
                "Contact details and billing address",
                Row(Column("email"), Column("phone")),
                "address",
                Row(Column("postal_code"), Column("city"), Column("country")),
            ),
            Fieldset("More", "tags", "notes", "is_active"),
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
                raise forms.ValidationError("The logo may be at most 1 MB.")
            head = logo.read(2048)
            logo.seek(0)
            if filetype.guess_mime(head) not in ("image/png", "image/jpeg"):
                raise forms.ValidationError("Upload the logo as a PNG or JPEG image.")
        return logo

    base_currency = forms.ChoiceField()
    country = forms.ChoiceField(required=False)

    class Meta:
        model = Tenant
        fields = [
            "name",
            "base_currency",
            "country",
            "address",
            "vat_number",
            "invoice_prefix",
            "credit_note_prefix",
            "payment_terms_days",
            "default_tax_rate",
            "logo",
        ]
        widgets = {"address": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["base_currency"].choices = currency_choices()
        self.fields["country"].choices = _blank_choice(country_choices())
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Company", "name", Row(Column("country"), Column("vat_number")), "address", "logo"
            ),
            Fieldset(
                "Invoicing",
                Row(
                    Column("base_currency"),
                    Column("default_tax_rate"),
                    Column("payment_terms_days"),
                ),
                Row(Column("invoice_prefix"), Column("credit_note_prefix")),
            ),
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
    "ContactForm",
    "MemberAddForm",
    "MemberRoleForm",
    "RegionForm",
    "Submit",
    "TenantSettingsForm",
]
