"""What each tab of the project page (and the projects tabs of accounts and bookings) shows;
registered in ProjectsConfig.ready()."""

from django.urls import reverse
from django_tables2 import RequestConfig

from accounts.platform import figures, permissions
from accounts.platform.access import can
from accounts.platform.forms import DocumentForm
from accounts.platform.saved_views import choose_columns, saved_views_context
from accounts.platform.views import plain_filter_fields
from projects import selectors
from projects.access import visible_projects
from projects.filters import ItemFilter, RegistrationFilter
from projects.forms import (
    BulkStatusForm,
)
from projects.tables import AccountProjectTable, ItemTable, RegistrationTable
from projects.tabs import (
    actions_for,
    item_actions,
    overview_panels,
    registration_actions,
)
from projects.views.pages import PAGE_SIZE


def overview_context(request, project):
    # The project's totals, burn-down and order usage are figures like the money panels: cached
    # until the company's next write (accounts.platform.figures; each sums many rows).
    return {
        "totals": figures.cached("project-totals", selectors.project_totals, project=project),
        "money_panels": [
            (panel.template_name, panel.get_context(request, project))
            for panel in overview_panels
            if not panel.permission or can(request, panel.permission)
        ],
        "burn_down": figures.cached("burn-down", selectors.burn_down, project=project),
        "purchase_orders": figures.cached(
            "purchase-orders", selectors.purchase_orders_of, project=project
        ),
        **figures.cached(
            "overview-lists",
            selectors.overview_lists,
            project=project,
            membership=request.membership,
        ),
    }


def events_context(request, project):
    return {"events": selectors.events_of(project)}


def registrations_context(request, project):
    registrations = selectors.registrations_of(project)
    filterset = plain_filter_fields(
        RegistrationFilter(
            request.GET or None, queryset=registrations, project=project, request=request
        )
    )
    # The event select lists the project's events as kept with the overview's figures (until
    # the company's next write); its queryset still checks a chosen event.
    event = filterset.form.fields["event"]
    event.widget.choices = [
        ("", event.empty_label),
        *figures.cached("event-choices", selectors.event_choices, project=project),
    ]
    edit_url = None
    if can(request, permissions.EDIT_PROJECTS):
        edit_url = reverse(
            "projects:registration-edit",
            kwargs={"tenant_slug": request.tenant.slug, "project_pk": project.pk, "pk": 0},
        )
    table = RegistrationTable(filterset.qs, currency=project.currency, edit_url=edit_url)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    chosen = choose_columns(table, request.GET)
    return {
        "filter": filterset,
        "table": table,
        # One list of every project's registrations: a saved view opens on any project.
        "saved_views": saved_views_context(request, table, chosen, "projects:registrations"),
        "bulk_form": BulkStatusForm(),
        "row_actions": actions_for(request, project, registration_actions),
    }


def items_context(request, project):
    filterset = plain_filter_fields(
        ItemFilter(request.GET or None, queryset=selectors.items_of(project), request=request)
    )
    table = ItemTable(filterset.qs, currency=project.currency)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return {
        "filter": filterset,
        "table": table,
        "row_actions": actions_for(request, project, item_actions),
    }


def documents_context(request, project):
    return {
        "documents": project.documents.select_related("uploaded_by"),
        "document_form": DocumentForm(),
    }


def account_projects_context(request, account):
    projects = visible_projects(request, selectors.project_list()).filter(account=account)
    return {
        "project_table": AccountProjectTable(projects),
        "can_add_project": can(request, permissions.EDIT_PROJECTS),
    }


def booking_projects_context(request, booking):
    return {
        "project_table": AccountProjectTable(
            visible_projects(request, selectors.project_list()).filter(booking=booking)
        ),
        "can_add_project": can(request, permissions.EDIT_PROJECTS),
    }
