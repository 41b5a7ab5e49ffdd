from django.contrib import admin

from accounts.platform.admin import ServiceSaveAdmin, TenantInline, TenantModelAdmin
from agreements import services
from agreements.models import (
    Booking,
    BookingDocument,
    BookingUplift,
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
    list_display = ["code", "name", "percent", "category", "exemption_reason_code"]
    list_filter = ["category"]
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
    """Entries are saved through the service; there is no service that deletes one."""

    model = PriceListEntry
    extra = 0
    autocomplete_fields = ["product"]
    service, service_argument = services.pricelist_entry_save, "entry"


@admin.register(PriceList)
class PriceListAdmin(ServiceSaveAdmin):
    list_display = ["name", "currency", "valid_from", "valid_to"]
    search_fields = ["name"]
    inlines = [PriceListEntryInline]
    service, service_argument = services.pricelist_save, "price_list"


class InterestInline(TenantInline, admin.TabularInline):
    """A booking's agreed prices change together, through one service (deleted ones first)."""

    model = Interest
    extra = 0
    autocomplete_fields = ["product"]
    service = delete_service = services.booking_interests_update

    def save_rows(self, request, tenant, parent, formset):
        services.booking_interests_update(
            tenant=tenant,
            by=request.user,
            booking=parent,
            changed=formset.save(commit=False),
            deleted=formset.deleted_objects,
        )


class UpliftInline(TenantInline, admin.TabularInline):
    """A booking's yearly price uplifts change together, through one audited service."""

    model = BookingUplift
    extra = 0
    service = delete_service = services.booking_uplifts_update

    def save_rows(self, request, tenant, parent, formset):
        services.booking_uplifts_update(
            tenant=tenant,
            by=request.user,
            booking=parent,
            changed=formset.save(commit=False),
            deleted=formset.deleted_objects,
        )


@admin.register(Booking)
class BookingAdmin(ServiceSaveAdmin):
    list_display = ["number", "name", "account", "status", "start_date", "end_date", "currency"]
    list_filter = ["status", "currency"]
    search_fields = ["name", "account__name"]
    list_select_related = ["account"]
    readonly_fields = ["number"]
    autocomplete_fields = ["account"]
    inlines = [InterestInline, UpliftInline]
    service, service_argument = services.booking_save, "booking"


@admin.register(BookingDocument)
class BookingDocumentAdmin(TenantModelAdmin):
    """Documents are uploaded on the booking page, where their content is checked; here they are
    read, and deleted through the service (audited, the file removed from storage)."""

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
    delete_service, delete_service_argument = services.document_delete, "document"


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

    list_display = [
        "agreement",
        "kind",
        "amount",
        "delta",
        "entry_date",
        "expires_on",
        "created_by",
    ]
    list_filter = ["kind"]
    list_select_related = ["agreement", "created_by"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
