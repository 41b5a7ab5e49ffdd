"""The project pages: the list, the form, the tabbed detail page, status and copy."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views import View
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from accounts.filters import options_response
from accounts.models import Account
from accounts.platform import confirm, permissions
from accounts.platform.access import require
from accounts.platform.bounds import parse_id
from accounts.platform.exporting import (
    CONTENT_TYPES,
    ListExportMixin,
    download,
    filter_refusal,
    refuse_filter,
)
from accounts.platform.views import (
    TabbedDetailView,
    TenantFormView,
    TenantListView,
    TenantViewMixin,
)
from accounts.templatetags.money import money
from agreements.models import Booking
from projects import access, selectors, services
from projects.exports import ProjectExporter, RegistrationExporter
from projects.filters import ProjectFilter, RegistrationFilter, project_options
from projects.forms import (
    CopyProjectForm,
    ProjectForm,
)
from projects.models import Project, ProjectStatus
from projects.tables import ProjectTable
from projects.tabs import (
    project_tabs,
)

PAGE_SIZE = 25


def tab_url(request, project, tab):
    return reverse(
        "projects:project-tab",
        kwargs={"tenant_slug": request.tenant.slug, "pk": project.pk, "tab": tab},
    )


class ProjectListView(ListExportMixin, TenantListView, SingleTableMixin, FilterView):
    exporter_class = ProjectExporter
    export_name = "projects"
    title = "Projects"
    table_class = ProjectTable
    filterset_class = ProjectFilter
    create_url_name = "projects:project-create"
    create_label = "New project"
    create_permission = permissions.EDIT_PROJECTS

    def get_queryset(self):
        return access.visible_projects(self.request, selectors.project_list())


class ProjectOptionsView(TenantViewMixin, View):
    """The `<option>`s of at most 20 projects matching `?q=` (code or name), for the search box
    of a project filter (`accounts.filters.SearchSelect`): only projects shared with the member,
    and only active ones unless `?all=1` (a filter over past work asks for every project)."""

    def get(self, request):
        query = request.GET.get("q", "")[:100]
        projects = access.visible_projects(request)
        if request.GET.get("all") != "1":
            projects = projects.filter(status=ProjectStatus.ACTIVE)
        rows = [(project.pk, str(project)) for project in project_options(projects, query)]
        return options_response(request, rows, query)


class ProjectFormView(TenantFormView, View):
    form_class = ProjectForm
    write_permission = permissions.EDIT_PROJECTS
    title_new, title_edit = "New project", "Edit project"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return access.get_project_for_write(self.request, pk) if pk else Project()

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "membership": self.request.membership}

    def get_initial(self):
        initial = {"manager": self.request.user.pk}
        booking_id, account_id = self.request.GET.get("booking"), self.request.GET.get("account")
        booking = account = None
        if parse_id(booking_id):
            booking = (
                Booking.objects.filter(pk=parse_id(booking_id)).select_related("account").first()
            )
        if parse_id(account_id):
            account = Account.objects.filter(pk=parse_id(account_id)).first()
        initial.update(
            services.project_defaults(tenant=self.request.tenant, account=account, booking=booking)
        )
        return initial

    def save(self, form):
        products = form.cleaned_data.get("products")
        return services.project_save(
            tenant=self.request.tenant,
            by=self.request.user,
            project=form.instance,
            product_ids=[p.pk for p in products] if products else None,
        )


class ProjectDetailView(TabbedDetailView, View):
    registry = project_tabs
    template_name = "projects/project_detail.html"
    context_object_name = "project"
    tab_url_name = "projects:project-tab"
    # Tabs that show the project's header and their own rows, nothing of the project's billing
    # account, contact, region or manager: they fetch the project without those joins.
    HEADER_ONLY_TABS = frozenset({"events", "registrations", "items", "documents"})
    tab = "overview"

    def get_object(self, pk):
        header_only = self.tab in self.HEADER_ONLY_TABS
        return access.get_project_for_user(self.request, pk, header_only=header_only)

    def get(self, request, pk, tab="overview"):
        self.tab = tab

        file_format = request.GET.get("export")
        if tab == "registrations" and file_format in CONTENT_TYPES:
            require(request, permissions.SEE_MONEY)
            project = self.get_object(pk)
            filterset = RegistrationFilter(
                request.GET,
                queryset=selectors.registrations_of(project),
                project=project,
                request=request,
            )
            refused = filter_refusal(
                filterset, request.GET, allowed=ListExportMixin.page_parameters
            )
            if refused:
                return refuse_filter(refused)
            exporter = RegistrationExporter(filterset.qs, file_name=f"registrations-{project.code}")
            return download(exporter, file_format)
        return super().get(request, pk, tab)

    def get_extra_context(self, project):
        return {"statuses": ProjectStatus.choices, "copy_form": CopyProjectForm()}


class ProjectStatusView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        project = access.get_project_for_write(request, pk)
        finishing = (
            request.POST.get("status") == ProjectStatus.FINISHED
            and project.status != ProjectStatus.FINISHED
        )
        if finishing and not confirm.confirmed(request):  # asks once, with what is still due
            return confirm.ask(request, **self.finish_question(project))
        try:
            project = services.project_set_status(
                tenant=request.tenant,
                by=request.user,
                project=project,
                status=request.POST.get("status", ""),
            )
            messages.success(
                request,
                gettext("%(code)s is now %(get_status_display)s.")
                % {"code": project.code, "get_status_display": project.get_status_display()},
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(project)

    @staticmethod
    def finish_question(project) -> dict:
        due = selectors.still_to_invoice(project)
        rows = [
            text % {"count": count}
            for count, text in (
                (
                    due["registrations"],
                    ngettext(
                        "%(count)s registration", "%(count)s registrations", due["registrations"]
                    ),
                ),
                (due["items"], ngettext("%(count)s item", "%(count)s items", due["items"])),
            )
            if count
        ]
        names = {"code": project.code, "name": project.name}
        if rows:
            left = gettext(
                "%(rows)s can still be invoiced (net %(net)s): only by hand from now on."
            ) % {
                "rows": rows[0]
                if len(rows) == 1
                else gettext("%(first)s and %(second)s") % {"first": rows[0], "second": rows[1]},
                "net": money(due["value"], project.currency),
            }
        else:
            left = gettext("Nothing of it is left to invoice.")
        return {
            "title": gettext("Finish %(code)s") % names,
            "question": gettext(
                "Mark %(code)s %(name)s finished: it takes no new registrations or items and bulk "
                "invoicing leaves it out."
            )
            % names
            + " "
            + left,
            "warning": gettext("It can be reopened later (Status → Reopen)."),
            "button": gettext("Mark finished"),
            "danger": False,
            "cancel_url": project.get_absolute_url(),
        }


class ProjectCopyView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        source = access.get_project_for_write(request, pk)
        form = CopyProjectForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("Give the copy a name."))
            return redirect(source)
        try:
            copy = services.project_copy(
                tenant=request.tenant,
                by=request.user,
                source=source,
                name=form.cleaned_data["name"],
                start_date=form.cleaned_data["start_date"],
                with_plan=form.cleaned_data["with_plan"],
                as_template=form.cleaned_data["as_template"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(source)
        messages.success(
            request,
            gettext("%(code)s created as a copy of %(code2)s.")
            % {"code": copy.code, "code2": source.code},
        )
        return redirect(copy)
