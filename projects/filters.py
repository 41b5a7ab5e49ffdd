import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.filters import SearchSelect
from accounts.models import Account, AccountKind
from accounts.platform.filters import search
from projects.models import (
    PrivateEvent,
    ProjectClass,
    ProjectStatus,
    ProjectType,
    RegistrationStatus,
)

INVOICED = [("", _("Invoiced or not")), ("true", _("Invoiced")), ("false", _("Not invoiced"))]


def _classes(request):
    return ProjectClass.objects.order_by("-is_active", "name")


def _organisations(request):
    return Account.objects.filter(kind=AccountKind.ORGANISATION).order_by("name")


class ProjectFilter(django_filters.FilterSet):
    q = search("code", "name", "account__name")
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices, empty_label=_("Any status"))
    project_type = django_filters.ChoiceFilter(
        choices=ProjectType.choices, empty_label=_("Any type"), label=_("Type")
    )
    account = django_filters.ModelChoiceFilter(
        queryset=_organisations,
        label=_("Customer"),
        empty_label=_("Any customer"),
        widget=SearchSelect(
            "accounts:account-options", search_label=_("Find a customer"), extra="kind=organisation"
        ),
    )
    project_class = django_filters.ModelChoiceFilter(
        queryset=_classes, label=_("Class"), empty_label=_("Any class")
    )
    tag = django_filters.CharFilter(
        field_name="tags",
        lookup_expr="icontains",
        label=_("Tag"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


def project_options(queryset, query: str):
    """At most OPTIONS_LIMIT projects matching a search box: code or name."""
    from accounts.filters import OPTIONS_LIMIT

    query = query.strip()
    if not query:
        return queryset.none()
    return queryset.filter(Q(code__icontains=query) | Q(name__icontains=query)).order_by(
        "code", "pk"
    )[:OPTIONS_LIMIT]


class RegistrationFilter(django_filters.FilterSet):
    """Filters of one project's registrations; choices come from that project."""

    status = django_filters.ChoiceFilter(
        choices=RegistrationStatus.choices, empty_label=_("Any status")
    )
    event = django_filters.ModelChoiceFilter(
        queryset=PrivateEvent.objects.none(), empty_label=_("Any event")
    )
    # A search box, not a list: a framework project has hundreds of learners.
    learner = django_filters.CharFilter(
        method="search_learner",
        label=_("Learner"),
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name or e-mail")}),
    )
    invoiced = django_filters.BooleanFilter(
        widget=forms.Select(choices=INVOICED), label=_("Invoiced")
    )
    date_from = django_filters.DateFilter(
        field_name="event__start_date",
        lookup_expr="gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="event__start_date",
        lookup_expr="lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, project, **kwargs):
        super().__init__(*args, **kwargs)
        # Only what the option shows (str(event)): the select needs no cost or venue.
        self.filters["event"].queryset = PrivateEvent.objects.filter(project=project).only(
            "tenant", "title", "start_date"
        )

    def search_learner(self, queryset, name, value):
        for word in value.split():
            queryset = queryset.filter(
                Q(learner__first_name__icontains=word)
                | Q(learner__last_name__icontains=word)
                | Q(learner__email__icontains=word)
            )
        return queryset


class ItemFilter(django_filters.FilterSet):
    q = search("description", "product__code", "product__name")
    invoiced = django_filters.BooleanFilter(
        widget=forms.Select(choices=INVOICED), label=_("Invoiced")
    )
    date_from = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="date",
        lookup_expr="lte",
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
