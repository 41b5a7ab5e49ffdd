import django_filters
from django import forms
from django.db.models import Q

from accounts.models import Account, AccountKind, Region
from accounts.platform.bounds import parse_id


def _regions(request):
    return Region.objects.order_by("name")


def _parents(request):
    return Account.objects.filter(children__isnull=False).distinct().order_by("name")


class AccountFilter(django_filters.FilterSet):
    """Querysets of choice filters are callables: they are evaluated per request, in scope."""

    q = django_filters.CharFilter(
        method="search",
        label="Search",
        widget=forms.TextInput(
            attrs={"placeholder": "Name, number, e-mail, city, tag…", "type": "search"}
        ),
    )
    kind = django_filters.ChoiceFilter(choices=AccountKind.choices, empty_label="Any kind")
    region = django_filters.ModelChoiceFilter(queryset=_regions, empty_label="Any region")
    parent = django_filters.ModelChoiceFilter(
        queryset=_parents, empty_label="Any group", label="Parent"
    )
    is_active = django_filters.BooleanFilter(
        label="Status",
        widget=forms.Select(
            choices=[("", "Active and inactive"), ("true", "Active"), ("false", "Inactive")]
        ),
    )

    class Meta:
        model = Account
        fields = ["q", "kind", "region", "parent", "is_active"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = (
            Q(name__icontains=value)
            | Q(email__icontains=value)
            | Q(city__icontains=value)
            | Q(tags__icontains=value)
            | Q(tax_id__icontains=value)
        )
        if parse_id(value):
            condition |= Q(number=parse_id(value))
        return queryset.filter(condition)
