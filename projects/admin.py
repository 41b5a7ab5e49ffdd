from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.platform.admin import ServiceSaveAdmin, TenantInline, TenantModelAdmin
from projects import services
from projects.models import (
    FunderScope,
    Item,
    Milestone,
    Phase,
    PrivateEvent,
    Project,
    ProjectClass,
    ProjectDocument,
    ProjectFunder,
    ProjectProduct,
    ProjectSettings,
    PurchaseOrder,
    Registration,
)


class ProjectProductInline(TenantInline, admin.TabularInline):
    """The products a project provides are set through `project_save` (`product_ids`)."""

    model = ProjectProduct
    extra = 0
    autocomplete_fields = ["product"]
    service = delete_service = services.project_save

    def save_rows(self, request, tenant, parent, formset):
        formset.save(commit=False)  # nothing written: the admin's change message reads it
        if not formset.has_changed():
            return
        wanted = {
            form.cleaned_data["product"].pk
            for form in formset.forms
            if form.cleaned_data.get("product") and not form.cleaned_data.get("DELETE")
        }
        services.project_save(tenant=tenant, by=request.user, project=parent, product_ids=wanted)


class PurchaseOrderInline(TenantInline, admin.TabularInline):
    """Saved through the service; there is no service that deletes a purchase order."""

    model = PurchaseOrder
    extra = 0
    service, service_argument = services.purchase_order_save, "order"


@admin.register(Project)
class ProjectAdmin(ServiceSaveAdmin):
    list_display = ["code", "name", "account", "status", "start_date", "end_date", "currency"]
    list_filter = ["status", "project_type", "do_not_invoice"]
    search_fields = ["code", "name", "account__name"]
    list_select_related = ["account"]
    readonly_fields = ["code", "finished_date"]
    autocomplete_fields = ["account", "billing_account"]
    inlines = [ProjectProductInline, PurchaseOrderInline]
    service, service_argument = services.project_save, "project"


@admin.register(PrivateEvent)
class PrivateEventAdmin(ServiceSaveAdmin):
    list_display = ["title", "project", "start_date", "status", "capacity"]
    list_filter = ["status"]
    search_fields = ["title", "project__code"]
    list_select_related = ["project"]
    service, service_argument = services.event_save, "event"


class ReadOnlyRowsAdmin(TenantModelAdmin):
    """Registrations and items are priced, checked and cancelled on the project page; here they
    are read (no service named: nothing is added, changed or deleted)."""


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyRowsAdmin):
    list_display = [
        "pk",
        "project",
        "event",
        "learner",
        "places",
        "status",
        "net_amount",
        "invoiced",
    ]
    list_filter = ["status", "invoiced"]
    list_select_related = ["project", "event", "learner"]
    search_fields = ["project__code", "learner__last_name"]


@admin.register(Item)
class ItemAdmin(ReadOnlyRowsAdmin):
    list_display = ["pk", "project", "product", "date", "quantity", "net_amount", "invoiced"]
    list_filter = ["billable", "invoiced"]
    list_select_related = ["project", "product"]


@admin.register(ProjectDocument)
class ProjectDocumentAdmin(ReadOnlyRowsAdmin):
    """Uploaded on the project page; deleted here through the service (audited, file removed)."""

    list_display = ["original_name", "project", "content_type", "size", "uploaded_at"]
    list_select_related = ["project"]
    delete_service, delete_service_argument = services.project_document_delete, "document"


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceSaveAdmin):
    list_display = ["number", "project", "value_cap"]
    list_select_related = ["project"]
    service, service_argument = services.purchase_order_save, "order"


@admin.register(ProjectSettings)
class ProjectSettingsAdmin(ServiceSaveAdmin):
    list_display = ["__str__", "default_budget_policy"]
    service, service_argument = services.project_settings_save, "settings"


@admin.register(ProjectClass)
class ProjectClassAdmin(ServiceSaveAdmin):
    """Retired by unticking "offered", never deleted: projects keep their class."""

    list_display = ["name", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    service, service_argument = services.project_class_save, "project_class"


class FunderScopeInline(TenantInline, admin.TabularInline):
    """The products and packages a funder funds are set through `funder_save` (its scopes)."""

    model = FunderScope
    extra = 0
    autocomplete_fields = ["product"]
    service = delete_service = services.funder_save

    def save_rows(self, request, tenant, parent, formset):
        formset.save(commit=False)  # nothing written: the admin's change message reads it
        if not formset.has_changed():
            return
        kept = [
            form.cleaned_data
            for form in formset.forms
            if not form.cleaned_data.get("DELETE")
            and (form.cleaned_data.get("product") or form.cleaned_data.get("package"))
        ]
        services.funder_save(
            tenant=tenant,
            by=request.user,
            funder=parent,
            products=[row["product"] for row in kept if row.get("product")],
            packages=[row["package"] for row in kept if row.get("package")],
        )


@admin.register(ProjectFunder)
class ProjectFunderAdmin(ServiceSaveAdmin):
    """Funders are added on the project's Funders tab; here too, through the same service.
    Removed on the tab only (`funder_delete`, refused once the funder is on invoices)."""

    list_display = ["name", "project", "kind", "priority", "percent", "cap", "account"]
    list_filter = ["kind"]
    search_fields = ["name", "project__code"]
    list_select_related = ["project", "account"]
    autocomplete_fields = ["project", "account"]
    inlines = [FunderScopeInline]
    service, service_argument = services.funder_save, "funder"


class MilestoneInline(TenantInline, admin.TabularInline):
    """Saved and removed through the phase services (which keep the billing item in step)."""

    model = Milestone
    extra = 0
    fields = ["name", "amount", "percent", "due", "due_date", "product", "billing_item"]
    readonly_fields = ["billing_item"]
    autocomplete_fields = ["product"]
    service, service_argument = services.milestone_save, "milestone"
    delete_service, delete_service_argument = services.milestone_delete, "milestone"

    @admin.display(description=_("billing item"))
    def billing_item(self, milestone):
        item = getattr(milestone, "item", None) if milestone.pk else None
        if item is None:
            return "-"
        url = reverse("admin:projects_item_change", args=[item.pk])
        return format_html('<a href="{}">{}</a>', url, item)


@admin.register(Phase)
class PhaseAdmin(ServiceSaveAdmin):
    list_display = ["name", "project", "start_date", "end_date", "budget", "billing_moment"]
    list_select_related = ["project"]
    search_fields = ["name", "project__code"]
    autocomplete_fields = ["project"]
    inlines = [MilestoneInline]
    service, service_argument = services.phase_save, "phase"
    delete_service, delete_service_argument = services.phase_delete, "phase"

    def get_deleted_objects(self, objs, request):
        # Its events and items are protected from a plain delete, but `phase_delete` moves
        # them out of the phase (and refuses invoiced milestones) itself.
        to_delete, model_count, perms_needed, _protected = super().get_deleted_objects(
            objs, request
        )
        return to_delete, model_count, perms_needed, []
