from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from accounts.models import Account
from accounts.platform import documents, permissions
from accounts.platform.access import can, require
from accounts.platform.bounds import parse_id
from accounts.platform.exporting import (
    CONTENT_TYPES,
    ListExportMixin,
    export_response,
    filter_refusal,
    refuse_filter,
)
from accounts.platform.forms import DocumentForm, add_service_error
from accounts.platform.views import (
    DatasetImportView,
    TabbedDetailView,
    TenantFormView,
    TenantListView,
    TenantViewMixin,
    save_with_service,
)
from agreements.models import Booking
from projects import access, selectors, services
from projects.filters import ItemFilter, ProjectFilter, RegistrationFilter
from projects.forms import (
    BulkStatusForm,
    CopyProjectForm,
    EventForm,
    ItemForm,
    PriceOverrideForm,
    ProjectForm,
    PurchaseOrderForm,
    RegistrationAddForm,
    RegistrationEditForm,
)
from projects.models import PrivateEvent, Project, ProjectStatus, PurchaseOrder
from projects.resources import ProjectResource, RegistrationExportResource, registrations_import
from projects.tables import AccountProjectTable, ItemTable, ProjectTable, RegistrationTable
from projects.tabs import (
    actions_for,
    item_actions,
    overview_panels,
    project_tabs,
    registration_actions,
)

PAGE_SIZE = 25


def _tab(request, project, tab):
    return reverse(
        "projects:project-tab",
        kwargs={"tenant_slug": request.tenant.slug, "pk": project.pk, "tab": tab},
    )


class ProjectListView(ListExportMixin, TenantListView, SingleTableMixin, FilterView):
    export_resource_class = ProjectResource
    export_name = "projects"
    title = "Projects"
    table_class = ProjectTable
    filterset_class = ProjectFilter
    create_url_name = "projects:project-create"
    create_label = "New project"
    create_permission = permissions.EDIT_PROJECTS

    def get_queryset(self):
        return selectors.project_list()


class ProjectFormView(TenantFormView, View):
    form_class = ProjectForm
    write_permission = permissions.EDIT_PROJECTS
    title_new, title_edit = "New project", "Edit project"

    def get_object(self):
        pk = self.kwargs.get("pk")
        return access.get_project_for_write(self.request, pk) if pk else Project()

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

    def get_object(self, pk):
        return access.get_project_for_user(self.request, pk)

    def get(self, request, pk, tab="overview"):

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
            return export_response(
                RegistrationExportResource(),
                filterset.qs,
                file_format,
                f"registrations-{project.code}",
            )
        return super().get(request, pk, tab)

    def get_extra_context(self, project):
        return {"statuses": ProjectStatus.choices, "copy_form": CopyProjectForm()}


def overview_context(request, project):

    return {
        "totals": selectors.project_totals(project),
        "money_panels": [
            (panel.template_name, panel.get_context(request, project))
            for panel in overview_panels
            if not panel.permission or can(request, panel.permission)
        ],
        "burn_down": selectors.burn_down(project),
        "purchase_orders": selectors.purchase_orders_of(project),
        "products": project.products.select_related("product"),
        "sub_projects": project.sub_projects.order_by("code"),
    }


def events_context(request, project):
    return {"events": selectors.events_of(project)}


def registrations_context(request, project):
    registrations = selectors.registrations_of(project)
    filterset = RegistrationFilter(
        request.GET or None, queryset=registrations, project=project, request=request
    )
    edit_url = None
    if can(request, permissions.EDIT_PROJECTS):
        edit_url = reverse(
            "projects:registration-edit",
            kwargs={"tenant_slug": request.tenant.slug, "project_pk": project.pk, "pk": 0},
        )
    table = RegistrationTable(filterset.qs, currency=project.currency, edit_url=edit_url)
    RequestConfig(request, paginate={"per_page": PAGE_SIZE}).configure(table)
    return {
        "filter": filterset,
        "table": table,
        "bulk_form": BulkStatusForm(),
        "row_actions": actions_for(request, project, registration_actions),
    }


def items_context(request, project):
    filterset = ItemFilter(
        request.GET or None, queryset=selectors.items_of(project), request=request
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
    projects = selectors.project_list().filter(account=account)
    return {
        "project_table": AccountProjectTable(projects),
        "can_add_project": can(request, permissions.EDIT_PROJECTS),
    }


def booking_projects_context(request, booking):
    return {
        "project_table": AccountProjectTable(selectors.project_list().filter(booking=booking)),
        "can_add_project": can(request, permissions.EDIT_PROJECTS),
    }


class ProjectStatusView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        project = access.get_project_for_write(request, pk)
        try:
            project = services.project_set_status(
                tenant=request.tenant,
                by=request.user,
                project=project,
                status=request.POST.get("status", ""),
            )
            messages.success(request, f"{project.code} is now {project.get_status_display()}.")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(project)


class ProjectCopyView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        source = access.get_project_for_write(request, pk)
        form = CopyProjectForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Give the copy a name.")
            return redirect(source)
        try:
            copy = services.project_copy(
                tenant=request.tenant,
                by=request.user,
                source=source,
                name=form.cleaned_data["name"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(source)
        messages.success(request, f"{copy.code} created as a copy of {source.code}.")
        return redirect(copy)


class ProjectChildMixin(TenantViewMixin):
    write_permission = permissions.EDIT_PROJECTS

    def get_project(self):
        return access.get_project_for_write(self.request, self.kwargs["project_pk"])


class EventFormView(ProjectChildMixin, TenantFormView, View):
    form_class = EventForm
    title_new, title_edit = "New event", "Edit event"

    def get_object(self):
        self.project = self.get_project()
        pk = self.kwargs.get("pk")
        return (
            access.get_event_for_write(self.request, self.project, pk)
            if pk
            else (PrivateEvent(project=self.project))
        )

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "project": self.project}

    def save(self, form):
        return services.event_save(
            tenant=self.request.tenant, by=self.request.user, event=form.instance
        )

    def get_success_url(self, obj):
        return _tab(self.request, self.project, "events")

    def get_cancel_url(self, obj):
        return _tab(self.request, self.project, "events")


class ConfirmableFormView(ProjectChildMixin, View):
    """A form whose service may answer NeedsConfirmation: the warnings are shown and the same
    data can be sent again with `confirm` ticked."""

    template_name = "projects/confirmable_form.html"
    title = ""
    form_class = None

    def render_page(self, project, form, warnings=(), status=200):
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "form": form,
                "warnings": warnings,
                "title": self.title,
                "cancel_url": _tab(self.request, project, self.tab),
            },
            status=status,
        )

    def get(self, request, project_pk):
        project = self.get_project()
        return self.render_page(
            project, self.form_class(project=project, initial=self.initial(project))
        )

    def post(self, request, project_pk):
        project = self.get_project()
        form = self.form_class(request.POST, project=project)
        if not form.is_valid():
            return self.render_page(project, form, status=422)
        try:
            message = self.save(project, form)
        except services.NeedsConfirmation as needed:
            data = request.POST.copy()
            data["confirm"] = "True"
            return self.render_page(
                project,
                self.form_class(data, project=project),
                warnings=needed.warnings,
                status=409,
            )
        except ValidationError as error:
            add_service_error(form, error)
            return self.render_page(project, form, status=422)
        messages.success(request, message)
        return redirect(_tab(request, project, self.tab))


class RegistrationAddView(ConfirmableFormView):
    form_class = RegistrationAddForm
    title = "Add registrations"
    tab = "registrations"

    def initial(self, project):
        from django.utils import timezone

        event = self.request.GET.get("event")
        return {"requested_date": timezone.localdate(), "event": event, "discount": "auto"}

    def save(self, project, form):
        data = form.cleaned_data
        choice = form.discount_choice()
        created = services.registrations_add(
            tenant=self.request.tenant,
            by=self.request.user,
            project=project,
            event=data["event"],
            learners=list(data["learners"]) or [None],
            places=data["places"] or 1,
            requested_date=data["requested_date"],
            purchase_order=data["purchase_order"],
            po_reference=data["po_reference"],
            discount_agreement=services.AUTO if choice == "auto" else choice,
            prepurchase=data["prepurchase"],
            notes=data["notes"],
            confirm=data["confirm"],
        )
        places = sum(r.places for r in created)
        return f"{places} place{'s' if places != 1 else ''} registered on {data['event'].title}."


class ItemAddView(ConfirmableFormView):
    form_class = ItemForm
    title = "Add an item"
    tab = "items"

    def initial(self, project):
        from django.utils import timezone

        return {"date": timezone.localdate(), "quantity": 1, "billable": True}

    def save(self, project, form):
        data = form.cleaned_data
        item = services.item_add(
            tenant=self.request.tenant,
            by=self.request.user,
            project=project,
            product=data["product"],
            date=data["date"],
            quantity=data["quantity"],
            description=data["description"],
            purchase_order=data["purchase_order"],
            po_reference=data["po_reference"],
            billable=data["billable"],
            notes=data["notes"],
            confirm=data["confirm"],
        )
        return f"{item} added."


class RegistrationEditView(ProjectChildMixin, View):
    template_name = "projects/registration_edit.html"

    def render_page(self, project, registration, form, override_form, status=200):
        return render(
            self.request,
            self.template_name,
            {
                "project": project,
                "registration": registration,
                "form": form,
                "override_form": override_form,
            },
            status=status,
        )

    def get(self, request, project_pk, pk):
        project = self.get_project()
        registration = access.get_registration_for_write(request, project, pk)
        form = RegistrationEditForm(
            registration=registration,
            initial={
                "status": registration.status,
                "learner": registration.learner_id,
                "purchase_order": registration.purchase_order_id,
                "po_reference": registration.po_reference,
                "notes": registration.notes,
            },
        )
        override = PriceOverrideForm(initial={"unit_price": registration.unit_price})
        return self.render_page(project, registration, form, override)

    def post(self, request, project_pk, pk):
        project = self.get_project()
        registration = access.get_registration_for_write(request, project, pk)
        if "reason" in request.POST:
            override = PriceOverrideForm(request.POST)
            form = RegistrationEditForm(registration=registration)
            if save_with_service(
                override,
                lambda: services.price_override(
                    tenant=request.tenant,
                    by=request.user,
                    row=registration,
                    unit_price=override.cleaned_data["unit_price"],
                    reason=override.cleaned_data["reason"],
                ),
            ):
                messages.success(request, "Price overridden.")
                return redirect(_tab(request, project, "registrations"))
            return self.render_page(project, registration, form, override, status=422)
        form = RegistrationEditForm(request.POST, registration=registration)
        override = PriceOverrideForm(initial={"unit_price": registration.unit_price})
        if save_with_service(
            form,
            lambda: services.registration_update(
                tenant=request.tenant,
                by=request.user,
                registration=registration,
                **form.cleaned_data,
            ),
        ):
            messages.success(request, "Registration saved.")
            return redirect(_tab(request, project, "registrations"))
        return self.render_page(project, registration, form, override, status=422)


class RegistrationBulkStatusView(ProjectChildMixin, View):
    def post(self, request, project_pk):
        project = self.get_project()
        form = BulkStatusForm(request.POST)
        if not form.is_valid() or not form.cleaned_data["selected"]:
            messages.error(request, "Tick the registrations to change, then choose a status.")
        else:
            try:
                change = services.registrations_set_status(
                    tenant=request.tenant,
                    by=request.user,
                    project=project,
                    ids=form.cleaned_data["selected"],
                    status=form.cleaned_data["status"],
                )
                label = dict(form.fields["status"].choices)[form.cleaned_data["status"]]
                count = change.count
                messages.success(
                    request,
                    f"{count} registration{'s' if count != 1 else ''} marked {label.lower()}.",
                )
                if change.events_delivered:
                    names = ", ".join(str(event) for event in change.events_delivered)
                    messages.info(
                        request,
                        f"Every place of {names} is delivered: the event is marked delivered "
                        "and its delivery cost counts from now on.",
                    )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
        return redirect(_tab(request, project, "registrations"))


class RegistrationImportView(DatasetImportView, View):
    permission = permissions.EDIT_PROJECTS
    write_permission = permissions.EDIT_PROJECTS

    def get_target(self, pk):
        return access.get_project_for_write(self.request, pk)

    def run_import(self, target, dataset, *, dry_run, confirm):
        return registrations_import(
            tenant=self.request.tenant,
            by=self.request.user,
            project=target,
            dataset=dataset,
            dry_run=dry_run,
            confirm=confirm,
        )

    def get_context(self, target):
        return {
            "title": f"Import registrations into {target.code}",
            "back_url": _tab(self.request, target, "registrations"),
            "back_label": str(target),
            "columns": [
                "event",
                "learner_email",
                "first_name",
                "last_name",
                "places",
                "requested_date",
                "po_reference",
                "notes",
            ],
            "explanation": "The event is the title (or number) of one of the project's events. "
            "A learner not yet among the customer's contacts is added. Every row "
            "is priced and checked as on the page.",
        }

    def success_message(self, report):
        return f"Imported {report.new} registrations."


class PurchaseOrderFormView(ProjectChildMixin, TenantFormView, View):
    form_class = PurchaseOrderForm
    title_new = "New purchase order"

    def get_object(self):
        self.project = self.get_project()
        return PurchaseOrder(project=self.project)

    def get_form_kwargs(self, obj):
        return {**super().get_form_kwargs(obj), "project": self.project}

    def save(self, form):
        return services.purchase_order_save(
            tenant=self.request.tenant, by=self.request.user, order=form.instance
        )

    def get_success_url(self, obj):
        return _tab(self.request, self.project, "overview")

    get_cancel_url = get_success_url


class ProjectDocumentUploadView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        project = access.get_project_for_write(request, pk)
        documents.upload_from_request(
            request,
            DocumentForm(request.POST, request.FILES),
            lambda upload, description: services.project_document_upload(
                tenant=request.tenant,
                by=request.user,
                project=project,
                upload=upload,
                description=description,
            ),
        )
        return redirect(_tab(request, project, "documents"))


class ProjectDocumentDownloadView(TenantViewMixin, View):
    """Files are served only here: the scoped lookup checks the tenant, the mixin the role."""

    def get(self, request, pk):
        return documents.serve(access.get_document_for_user(request, pk))


class ProjectDocumentDeleteView(TenantViewMixin, View):
    write_permission = permissions.EDIT_PROJECTS

    def post(self, request, pk):
        document = access.get_document_for_write(request, pk)
        project = document.project
        services.project_document_delete(tenant=request.tenant, by=request.user, document=document)
        messages.success(request, f"{document.original_name} deleted.")
        return redirect(_tab(request, project, "documents"))
