from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.platform.admin import ServiceSaveAdmin, TenantInline, TenantModelAdmin
from agreements import services
from agreements.models import (
    Booking,
    BookingDocument,
    DiscountAgreement,
    Interest,
    PrepurchaseAgreement,
    PrepurchaseEntry,
    PriceList,
    PriceListEntry,
    Product,
    TaxRate,
    TrainingPackage,
)


@admin.register(TaxRate)
class TaxRateAdmin(ServiceSaveAdmin):
    list_display = ["code", "name", "percent"]
    service, service_argument = services.taxrate_save, "tax_rate"


@admin.register(TrainingPackage)
class TrainingPackageAdmin(ServiceSaveAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    service, service_argument = services.package_save, "package"


@admin.register(Product)
class ProductAdmin(ServiceSaveAdmin):
    list_display = ["code", "name", "kind", "package", "default_price", "currency", "is_active"]
    list_filter = ["kind", "is_active", "package"]
    search_fields = ["code", "name"]
    list_select_related = ["package"]
    service, service_argument = services.product_save, "product"


class PriceListEntryInline(TenantInline, admin.TabularInline):
    model = PriceListEntry
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(PriceList)
class PriceListAdmin(ServiceSaveAdmin):
    list_display = ["name", "currency", "valid_from", "valid_to"]
    search_fields = ["name"]
    inlines = [PriceListEntryInline]
    service, service_argument = services.pricelist_save, "price_list"

    def save_formset(self, request, form, formset, change):
        with self.tenant_of(request, form.instance) as tenant:
            for entry in formset.save(commit=False):
                entry.price_list = form.instance
                services.pricelist_entry_save(tenant=tenant, by=request.user, entry=entry)
            for entry in formset.deleted_objects:
                entry.delete()


class InterestInline(TenantInline, admin.TabularInline):
    model = Interest
    extra = 0
    autocomplete_fields = ["product"]


@admin.register(Booking)
class BookingAdmin(ServiceSaveAdmin):
    list_display = ["number", "name", "account", "status", "start_date", "end_date", "currency"]
    list_filter = ["status", "currency"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    readonly_fields = ["number"]
    autocomplete_fields = ["account"]
    inlines = [InterestInline]
    service, service_argument = services.booking_save, "booking"

    def save_formset(self, request, form, formset, change):
        with self.tenant_of(request, form.instance) as tenant:
            services.booking_interests_update(
                tenant=tenant,
                by=request.user,
                booking=form.instance,
                changed=formset.save(commit=False),
                deleted=formset.deleted_objects,
            )


@admin.register(BookingDocument)
class BookingDocumentAdmin(TenantModelAdmin):
    """Documents are uploaded on the booking page, where their content is checked."""

    list_display = ["original_name", "booking", "content_type", "size", "uploaded_at"]
    list_select_related = ["booking"]
    readonly_fields = [
        "booking",
        "file",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    ]

    def has_add_permission(self, request, *args):
        return False


@admin.register(DiscountAgreement)
class DiscountAgreementAdmin(ServiceSaveAdmin):
    list_display = ["name", "percent", "scope", "account", "valid_from", "valid_to", "is_active"]
    list_filter = ["scope", "is_active"]
    search_fields = ["name"]
    service, service_argument = services.discount_save, "discount"


@admin.register(PrepurchaseAgreement)
class PrepurchaseAgreementAdmin(ServiceSaveAdmin):
    list_display = ["number", "name", "account", "unit", "start_date", "end_date", "status"]
    list_filter = ["unit", "status"]
    readonly_fields = ["number"]
    service, service_argument = services.prepurchase_save, "agreement"


@admin.register(PrepurchaseEntry)
class PrepurchaseEntryAdmin(TenantModelAdmin):
    """The ledger is append-only: rows are written by the services and never edited here."""

    list_display = ["agreement", "kind", "amount", "delta", "entry_date", "created_by"]
    list_filter = ["kind"]
    list_select_related = ["agreement", "created_by"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def delete_queryset(self, request, queryset):  # pragma: no cover - permission blocks it
        messages.error(request, str(ValidationError("Ledger rows are never deleted.")))
