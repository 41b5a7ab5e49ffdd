import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.filters import SearchSelect
from accounts.models import Account, AccountKind
from accounts.platform.filters import search
from agreements.models import (
    BookingStatus,
    DiscountScope,
    PrepurchaseStatus,
    ProductKind,
    TrainingPackage,
)


def _packages(request):
    return TrainingPackage.objects.order_by("name")


def _organisations(request):
    return Account.objects.filter(kind=AccountKind.ORGANISATION).order_by("name")


def _accounts(request):
    return Account.objects.order_by("name")


class ProductFilter(django_filters.FilterSet):
    q = search("code", "name")
    kind = django_filters.ChoiceFilter(choices=ProductKind.choices, empty_label=_("Any kind"))
    package = django_filters.ModelChoiceFilter(queryset=_packages, empty_label=_("Any package"))
    is_active = django_filters.BooleanFilter(
        widget=forms.Select(
            choices=[("", "Active and inactive"), ("true", "Active"), ("false", "Inactive")]
        ),
        label=_("Status"),
    )


class BookingFilter(django_filters.FilterSet):
    q = search("name", "account__name")
    status = django_filters.ChoiceFilter(choices=BookingStatus.choices, empty_label=_("Any status"))
    account = django_filters.ModelChoiceFilter(
        queryset=_organisations,
        empty_label=_("Any customer"),
        label=_("Customer"),
        widget=SearchSelect(
            "accounts:account-options", search_label=_("Find a customer"), extra="kind=organisation"
        ),
    )


class DiscountFilter(django_filters.FilterSet):
    q = search("name")
    scope = django_filters.ChoiceFilter(choices=DiscountScope.choices, empty_label=_("Any scope"))
    account = django_filters.ModelChoiceFilter(
        queryset=_accounts,
        empty_label=_("Any customer"),
        label=_("Customer"),
        widget=SearchSelect("accounts:account-options", search_label=_("Find a customer")),
    )


class PrepurchaseFilter(django_filters.FilterSet):
    q = search("name", "account__name")
    status = django_filters.ChoiceFilter(
        choices=PrepurchaseStatus.choices, empty_label=_("Any status")
    )
    account = django_filters.ModelChoiceFilter(
        queryset=_accounts,
        empty_label=_("Any customer"),
        label=_("Customer"),
        widget=SearchSelect("accounts:account-options", search_label=_("Find a customer")),
    )


class PriceListFilter(django_filters.FilterSet):
    q = search("name")
    currency = django_filters.CharFilter(
        label=_("Currency"),
        lookup_expr="iexact",
        widget=forms.TextInput(attrs={"placeholder": "e.g. EUR"}),
    )
