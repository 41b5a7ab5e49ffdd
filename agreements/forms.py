from crispy_forms.layout import Column, Row
from django import forms
from django.contrib.auth import get_user_model
from django.forms import BaseModelFormSet, modelformset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.filters import search_remotely
from accounts.models import Account, AccountKind
from accounts.platform.forms import DATE, Form, ModelForm, TenantFormMixin, column_field, helper
from accounts.platform.models import Membership
from accounts.platform.money import currency_choices, round_money
from agreements.models import (
    BillingMoment,
    Booking,
    BookingUplift,
    DiscountAgreement,
    Interest,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PriceList,
    PriceListEntry,
    Product,
    ProductKind,
    TaxRate,
    TrainingPackage,
)


def organisations():
    return Account.objects.filter(kind=AccountKind.ORGANISATION, is_active=True).order_by("name")


class CurrencyField(forms.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=currency_choices, **kwargs)


def _default_currency(form, proposed: dict | None, currency: str) -> None:
    """A new row's currency as the page proposes it (issue 17: a new booking showed AED, the
    first of the list): the view's proposal (`initial`), else `currency`. The model field's
    own default (a new row's empty currency, or Product's "EUR") is no choice of the company's."""
    form.initial["currency"] = (proposed or {}).get("currency") or currency


class TaxRateForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = TaxRate
        fields = [
            "code",
            "name",
            "percent",
            "category",
            "exemption_reason_code",
            "exemption_reason",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(
            Row(Column("code"), Column("name"), Column("percent")),
            Row(Column("category"), Column("exemption_reason_code")),
            "exemption_reason",
        )


class PackageForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = TrainingPackage
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper()


class ProductForm(TenantFormMixin, forms.ModelForm):
    currency = CurrencyField()

    def clean_billing_moment(self):
        return self.cleaned_data.get("billing_moment") or BillingMoment.ON_DELIVERY

    class Meta:
        model = Product
        fields = [
            "code",
            "name",
            "kind",
            "package",
            "default_price",
            "currency",
            "unit_cost",
            "tax_rate",
            "is_goods",
            "training_units_price",
            "billing_moment",
            "description",
            "is_active",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["package"].queryset = TrainingPackage.objects.order_by("name")
        self.fields["tax_rate"].queryset = TaxRate.objects.order_by("code")
        self.fields["billing_moment"].required = False  # empty: on delivery, the default
        if not self.instance.pk:
            _default_currency(self, kwargs.get("initial"), self.tenant.base_currency)
        self.helper = helper(
            Row(
                Column("code", css_class="col-md-3"),
                Column("name"),
                Column("kind", css_class="col-md-3"),
            ),
            Row(
                Column("package"),
                Column("tax_rate"),
                Column("billing_moment"),
                Column("is_goods"),
            ),
            Row(
                Column("default_price"),
                Column("currency"),
                Column("unit_cost"),
                Column("training_units_price"),
            ),
            "description",
            "is_active",
        )


class PriceListForm(TenantFormMixin, forms.ModelForm):
    currency = CurrencyField()

    class Meta:
        model = PriceList
        fields = ["name", "currency", "valid_from", "valid_to", "notes"]
        widgets = {"valid_from": DATE, "valid_to": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            _default_currency(self, kwargs.get("initial"), self.tenant.base_currency)
        self.helper = helper(
            Row(Column("name"), Column("currency")),
            Row(Column("valid_from"), Column("valid_to")),
            "notes",
        )


class PriceListEntryForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = PriceListEntry
        fields = ["product", "unit_price", "training_units_price"]

    def __init__(self, *args, price_list, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.price_list = price_list
        self.fields["product"].queryset = Product.objects.filter(is_active=True).order_by("code")
        self.helper = helper(
            Row(
                Column("product", css_class="col-md-6"),
                Column("unit_price"),
                Column("training_units_price"),
            )
        )


class ImportForm(Form):
    file = forms.FileField(help_text=_("CSV (UTF-8) or XLSX, first row naming the columns."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper()


class BookingForm(TenantFormMixin, forms.ModelForm):
    currency = CurrencyField(required=False)

    class Meta:
        model = Booking
        fields = [
            "account",
            "name",
            "status",
            "signed_date",
            "start_date",
            "end_date",
            "currency",
            "price_list",
            "owner",
            "estimated_value",
            "notes",
        ]
        widgets = {
            "signed_date": DATE,
            "start_date": DATE,
            "end_date": DATE,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"account": "Customer (organisation)"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = organisations()
        search_remotely(self.fields["account"], "accounts:account-options", "kind=organisation")
        self.fields["price_list"].queryset = PriceList.objects.order_by("name")
        self.fields["owner"].queryset = (
            get_user_model()
            .objects.filter(pk__in=Membership.objects.values("user_id"))
            .order_by("first_name", "last_name")
        )
        self.fields["owner"].label_from_instance = lambda u: u.get_full_name() or u.email
        if not self.instance.pk:  # empty: booking_save takes the customer's, else the base
            self.fields["currency"].choices = [
                ("", f"The customer's sales currency, else {self.tenant.base_currency}"),
                *currency_choices(),
            ]
            _default_currency(self, kwargs.get("initial"), "")
        self.helper = helper(
            Row(Column("account"), Column("name")),
            Row(Column("status"), Column("signed_date"), Column("start_date"), Column("end_date")),
            Row(
                Column("currency"), Column("price_list"), Column("owner"), Column("estimated_value")
            ),
            "notes",
        )


class InterestForm(ModelForm):
    class Meta:
        model = Interest
        fields = ["product", "unit_price", "committed_quantity", "notes"]


class BaseInterestFormSet(BaseModelFormSet):
    def __init__(self, *args, booking, **kwargs):
        self.booking = booking
        super().__init__(
            *args,
            queryset=Interest.objects.filter(booking=booking).select_related("product"),
            **kwargs,
        )
        products = Product.objects.exclude(kind=ProductKind.LEARNING_PATH).order_by("code")
        # One query for the product choices of every row, not one per row.
        choices = [("", "---------"), *((p.pk, str(p)) for p in products)]
        for form in self.forms:
            form.fields["product"].queryset = products
            form.fields["product"].choices = choices
            if form.instance.pk:
                form.initial["unit_price"] = round_money(form.instance.unit_price, booking.currency)
            form.instance.booking = booking
            form.instance.tenant_id = booking.tenant_id

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            product = form.cleaned_data.get("product")
            if product is not None:
                if product.pk in seen:
                    form.add_error(
                        "product", _("%(code)s is listed twice.") % {"code": product.code}
                    )
                seen.add(product.pk)


InterestFormSet = modelformset_factory(
    Interest, form=InterestForm, formset=BaseInterestFormSet, extra=1, can_delete=True
)


class UpliftForm(ModelForm):
    class Meta:
        model = BookingUplift
        fields = ["contract_year", "percent", "index_percent", "notes"]


class BaseUpliftFormSet(BaseModelFormSet):
    """A booking's yearly price uplifts, edited in place like its agreed prices."""

    def __init__(self, *args, booking, **kwargs):
        self.booking = booking
        super().__init__(*args, queryset=BookingUplift.objects.filter(booking=booking), **kwargs)
        for form in self.forms:
            form.instance.booking = booking
            form.instance.tenant_id = booking.tenant_id

    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            year = form.cleaned_data.get("contract_year")
            if year is not None:
                if year in seen:
                    form.add_error(
                        "contract_year", _("Year %(year)s is listed twice.") % {"year": year}
                    )
                seen.add(year)


UpliftFormSet = modelformset_factory(
    BookingUplift, form=UpliftForm, formset=BaseUpliftFormSet, extra=1, can_delete=True
)


class DiscountForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = DiscountAgreement
        fields = [
            "name",
            "percent",
            "scope",
            "price_list",
            "package",
            "product",
            "account",
            "valid_from",
            "valid_to",
            "max_places",
            "place_counting",
            "is_active",
        ]
        widgets = {"valid_from": DATE, "valid_to": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["price_list"].queryset = PriceList.objects.order_by("name")
        self.fields["package"].queryset = TrainingPackage.objects.order_by("name")
        self.fields["product"].queryset = Product.objects.filter(kind=ProductKind.COURSE).order_by(
            "code"
        )
        self.fields["account"].queryset = Account.objects.order_by("name")
        search_remotely(self.fields["account"], "accounts:account-options")
        self.fields[
            "scope"
        ].help_text = "One-event discounts are attached to their event on the project."
        self.helper = helper(
            Row(Column("name"), Column("percent", css_class="col-md-2")),
            Row(Column("scope"), Column("price_list"), Column("package"), Column("product")),
            Row(Column("account"), Column("valid_from"), Column("valid_to")),
            Row(Column("max_places"), Column("place_counting")),
            "is_active",
        )


class PrepurchaseForm(TenantFormMixin, forms.ModelForm):
    class Meta:
        model = PrepurchaseAgreement
        fields = [
            "account",
            "name",
            "price_list",
            "unit",
            "discount_percent",
            "start_date",
            "end_date",
            "overdraft_limit",
            "status",
            "charge_validity",
            "validity_months",
            "money_expires",
            "notes",
        ]
        widgets = {"start_date": DATE, "end_date": DATE, "notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.filter(is_active=True).order_by("name")
        search_remotely(self.fields["account"], "accounts:account-options")
        self.fields["price_list"].queryset = PriceList.objects.order_by("name")
        self.helper = helper(
            Row(Column("account"), Column("name")),
            Row(Column("price_list"), Column("unit"), Column("discount_percent")),
            Row(
                Column("start_date"),
                Column("end_date"),
                Column("overdraft_limit"),
                Column("status"),
            ),
            Row(Column("charge_validity"), Column("validity_months"), Column("money_expires")),
            "notes",
        )


class LedgerForm(Form):
    ACTIONS = [("charge", "Charge (customer buys)"), ("use", "Use (pay from balance)")]
    action = forms.ChoiceField(choices=ACTIONS)
    amount = column_field(PrepurchaseEntry, "amount", min_value=0, help_text=None)
    description = forms.CharField(max_length=255, required=False)
    expires_on = forms.DateField(
        label=_("Charge expires on"),
        required=False,
        widget=DATE,
        help_text=_("A charge's last usable day; empty: it never expires."),
    )

    def __init__(self, *args, agreement: PrepurchaseAgreement, **kwargs):
        super().__init__(*args, **kwargs)
        columns = [Column("action"), Column("amount"), Column("description")]
        if agreement.charges_may_expire:
            # Prefilled from the agreement's validity; read for charges only.
            self.fields["expires_on"].initial = agreement.default_expiry(timezone.localdate())
            columns.append(Column("expires_on"))
        else:
            del self.fields["expires_on"]
        self.helper = helper(Row(*columns))


class ReversalForm(Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(max_length=255)


class ChargeExtendForm(Form):
    expires_on = forms.DateField(label=_("New expiry date"), widget=DATE)
    reason = forms.CharField(
        max_length=255, help_text=_("Kept in the audit trail, e.g. “agreed with the customer”.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = helper(Row(Column("expires_on", css_class="col-md-4"), Column("reason")))
