import django_filters
from django import forms

from accounts.models import Account, AccountKind, Contact
from agreements.filters import search
from projects.models import (
    PrivateEvent,
    ProjectStatus,
    ProjectType,
    RegistrationStatus,
)

INVOICED = [("", "Invoiced or not"), ("true", "Invoiced"), ("false", "Not invoiced")]


def _organisations(request):
    return Account.objects.filter(kind=AccountKind.ORGANISATION).order_by("name")


class ProjectFilter(django_filters.FilterSet):
    q = search("code", "name", "account__name")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices, empty_label="Any status")
    project_type = django_filters.ChoiceFilter(
        choices=ProjectType.choices, empty_label="Any type", label="Type"
    )
    account = django_filters.ModelChoiceFilter(
        queryset=_organisations, label="Customer", empty_label="Any customer"
    )


class RegistrationFilter(django_filters.FilterSet):
    """Filters of one project's registrations; choices come from that project."""

    status = django_filters.ChoiceFilter(
        choices=RegistrationStatus.choices, empty_label="Any status"
    )
    event = django_filters.ModelChoiceFilter(
        queryset=PrivateEvent.objects.none(), empty_label="Any event"
    )
    learner = django_filters.ModelChoiceFilter(
        queryset=Contact.objects.none(), empty_label="Any learner"
    )
    invoiced = django_filters.BooleanFilter(widget=forms.Select(choices=INVOICED), label="Invoiced")
    date_from = django_filters.DateFilter(
        field_name="event__start_date",
        lookup_expr="gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="event__start_date",
        lookup_expr="lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["event"].queryset = PrivateEvent.objects.filter(project=project)
        self.filters["learner"].queryset = (
            Contact.objects.filter(registrations__project=project).distinct().order_by("last_name")
        )


class ItemFilter(django_filters.FilterSet):
    q = search("description", "product__code", "product__name")
    invoiced = django_filters.BooleanFilter(widget=forms.Select(choices=INVOICED), label="Invoiced")
    date_from = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="date",
        lookup_expr="lte",
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
