import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.filters import SearchSelect
from accounts.models import Account
from invoicing.models import InvoiceKind, InvoiceState, InvoiceStatus
from invoicing.payment_selectors import in_state, overdue, with_state
from projects.models import Project

DATE = forms.DateInput(attrs={"type": "date"})
STATUS_CHOICES = [
    (InvoiceState.DRAFT, InvoiceState.DRAFT.label),
    (InvoiceState.ISSUED, _("Issued (any payment state)")),
    (InvoiceState.OPEN, InvoiceState.OPEN.label),
    (InvoiceState.PARTLY_PAID, InvoiceState.PARTLY_PAID.label),
    (InvoiceState.OVERDUE, InvoiceState.OVERDUE.label),
    (InvoiceState.PAID, InvoiceState.PAID.label),
    (InvoiceState.CANCELLED, InvoiceState.CANCELLED.label),
]


def _accounts(request):
    return Account.objects.order_by("name")


def _projects(request):
    return Project.objects.order_by("-start_date")


class InvoiceFilter(django_filters.FilterSet):
    number = django_filters.CharFilter(
        lookup_expr="icontains", label=_("Number"), widget=forms.TextInput(attrs={"type": "search"})
    )
    # The state shown in the list (paid, overdue, … from the allocations), not the stored status;
    # "issued" is every issued document, whatever its payment state (credit notes included).
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, empty_label=_("Any status"), method="filter_state"
    )
    kind = django_filters.ChoiceFilter(choices=InvoiceKind.choices, empty_label=_("Any kind"))
    # Searched, never listed: a select of every account and project was 80 % of the page.
    billing_account = django_filters.ModelChoiceFilter(
        queryset=_accounts,
        label=_("Bill to"),
        empty_label=_("Any account"),
        widget=SearchSelect("accounts:account-options", search_label=_("Find an account")),
    )
    project = django_filters.ModelChoiceFilter(
        queryset=_projects,
        empty_label=_("Any project"),
        # A filter over past invoices: every project, finished ones too (?all=1).
        widget=SearchSelect(
            "projects:project-options", search_label=_("Find a project"), extra="all=1"
        ),
    )
    issued_from = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="gte", label=_("Issued from"), widget=DATE
    )
    issued_to = django_filters.DateFilter(
        field_name="issue_date", lookup_expr="lte", label=_("Issued to"), widget=DATE
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        label=_("Overdue"),
        widget=forms.Select(choices=[("", _("Any")), ("true", _("Overdue"))]),
    )

    def filter_state(self, queryset, name, value):
        if value == InvoiceState.ISSUED:
            return with_state(queryset.filter(status=InvoiceStatus.ISSUED))
        return in_state(queryset, value) if value else queryset

    def filter_overdue(self, queryset, name, value):
        # The dashboard's definition of overdue (payment_selectors.overdue), not a copy of it.
        return overdue(queryset) if value else queryset
