from django.contrib import admin

from accounts.platform.admin import ServiceSaveAdmin, TenantInline, TenantModelAdmin
from projects import services
from projects.models import (
    Item,
    PrivateEvent,
    Project,
    ProjectDocument,
    ProjectProduct,
    PurchaseOrder,
    Registration,
)


class ProjectProductInline(TenantInline, admin.TabularInline):
    model = ProjectProduct
    extra = 0
    autocomplete_fields = ["product"]


class PurchaseOrderInline(TenantInline, admin.TabularInline):
    model = PurchaseOrder
    extra = 0


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
    """Registrations and items are priced and checked on the project page; here they are read."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
    list_display = ["original_name", "project", "content_type", "size", "uploaded_at"]
    list_select_related = ["project"]


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(ServiceSaveAdmin):
    list_display = ["number", "project", "value_cap"]
    list_select_related = ["project"]
    service, service_argument = services.purchase_order_save, "order"
