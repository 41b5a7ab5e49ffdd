from django.contrib import admin

from accounts.platform.admin import ServiceSaveAdmin, TenantModelAdmin
from invoicing import services
from invoicing.models import (
    Allocation,
    BillingClaim,
    ExchangeRate,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoicingSettings,
    Payment,
)


class ReadOnlyAdmin(TenantModelAdmin):
    """Invoices, runs and claims are written by the services only; the admin reads them (no
    save service named)."""


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    fields = ["description", "quantity", "unit_price", "discount_percent", "net", "tax_code"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "status",
        "billing_account",
        "project",
        "issue_date",
        "gross_total",
        "currency",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["number", "billing_name", "project__code"]
    list_select_related = ["billing_account", "project"]
    inlines = [InvoiceLineInline]
    # A draft is deleted through the service (audited, its rows released); an issued invoice
    # never is (`Invoice.delete` refuses too): it is credited.
    delete_service, delete_service_argument = services.draft_delete, "invoice"

    def may_delete(self, obj):
        return obj.is_draft


@admin.register(InvoiceRun)
class InvoiceRunAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "status",
        "created_by",
        "created_at",
        "invoices_created",
        "invoices_issued",
    ]


@admin.register(BillingClaim)
class BillingClaimAdmin(ReadOnlyAdmin):
    list_display = ["line", "registration", "item"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(ServiceSaveAdmin):
    list_display = ["currency", "date", "rate"]
    list_filter = ["currency"]
    service, service_argument = services.exchange_rate_save, "rate"


@admin.register(InvoicingSettings)
class InvoicingSettingsAdmin(ServiceSaveAdmin):
    list_display = ["__str__", "handling_fee_product", "fee_on_prepaid_lines", "max_rate_age_days"]
    service, service_argument = services.invoicing_settings_save, "settings"


class AllocationInline(admin.TabularInline):
    model = Allocation
    fk_name = "payment"
    extra = 0
    can_delete = False
    fields = ["invoice", "date", "amount", "exchange_difference"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    """Payments are recorded, allocated and reversed on their pages (the services); never
    changed or deleted."""

    list_display = ["__str__", "billing_account", "amount", "currency", "method", "reference"]
    list_filter = ["method", "currency"]
    search_fields = ["reference", "billing_account__name"]
    list_select_related = ["billing_account"]
    inlines = [AllocationInline]
