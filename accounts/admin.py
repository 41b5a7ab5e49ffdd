from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import ValidationError

from accounts import services
from accounts.models import Account, Contact, Region
from accounts.platform.admin import TenantInline, TenantModelAdmin
from accounts.platform.models import AuditEntry, Membership, Sequence, Tenant


class PlatformOnlyAdmin(admin.ModelAdmin):
    """Global rows: only platform superusers manage them."""

    def has_module_permission(self, request):
        return request.user.is_superuser

    has_view_permission = has_add_permission = has_change_permission = (
        lambda self, request, obj=None: request.user.is_superuser
    )
    has_delete_permission = has_change_permission


@admin.register(Tenant)
class TenantAdmin(PlatformOnlyAdmin):
    list_display = ["name", "slug", "base_currency", "country", "is_active", "created_at"]
    list_filter = ["is_active", "base_currency"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


User = get_user_model()
admin.site.unregister(User) if admin.site.is_registered(User) else None


@admin.register(User)
class PlatformUserAdmin(PlatformOnlyAdmin, UserAdmin):
    pass


@admin.register(Membership)
class MembershipAdmin(TenantModelAdmin):
    list_display = ["user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    raw_id_fields = ["user"]

    def save_model(self, request, obj, form, change):
        if change and "role" in form.changed_data:
            with self.tenant_of(request, obj) as tenant:
                new_role = obj.role
                obj.role = form.initial["role"]
                services.membership_change_role(
                    tenant=tenant, by=request.user, membership=obj, role=new_role
                )
            return
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        with self.tenant_of(request, obj) as tenant:
            try:
                services.membership_remove(tenant=tenant, by=request.user, membership=obj)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            self.delete_model(request, membership)


@admin.register(Region)
class RegionAdmin(TenantModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]

    def save_model(self, request, obj, form, change):
        if not self._platform(request):
            obj.tenant = request.tenant
        with self.tenant_of(request, obj) as tenant:
            services.region_save(tenant=tenant, by=request.user, region=obj)


class ContactInline(TenantInline, admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["first_name", "last_name", "job_title", "email", "phone", "is_primary"]


@admin.register(Account)
class AccountAdmin(TenantModelAdmin):
    list_display = ["number", "name", "kind", "region", "parent", "is_active"]
    list_display_links = ["number", "name"]
    list_filter = ["kind", "is_active", "region"]
    search_fields = ["name", "number", "email", "city"]
    list_select_related = ["region", "parent"]
    readonly_fields = ["number", "created_at", "updated_at"]
    inlines = [ContactInline]

    def save_model(self, request, obj, form, change):
        if not self._platform(request):
            obj.tenant = request.tenant
        with self.tenant_of(request, obj) as tenant:
            services.account_save(tenant=tenant, by=request.user, account=obj)

    def save_formset(self, request, form, formset, change):
        if formset.model is not Contact:
            return super().save_formset(request, form, formset, change)
        with self.tenant_of(request, form.instance) as tenant:
            for contact in formset.save(commit=False):
                contact.tenant = tenant
                services.contact_save(tenant=tenant, by=request.user, contact=contact)
            for contact in formset.deleted_objects:
                services.contact_delete(tenant=tenant, by=request.user, contact=contact)


@admin.register(Contact)
class ContactAdmin(TenantModelAdmin):
    list_display = ["full_name", "account", "email", "is_primary"]
    list_filter = ["is_primary"]
    search_fields = ["first_name", "last_name", "email", "account__name"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]

    def save_model(self, request, obj, form, change):
        if not self._platform(request):
            obj.tenant = request.tenant
        with self.tenant_of(request, obj) as tenant:
            services.contact_save(tenant=tenant, by=request.user, contact=obj)

    def delete_model(self, request, obj):
        with self.tenant_of(request, obj) as tenant:
            services.contact_delete(tenant=tenant, by=request.user, contact=obj)

    def delete_queryset(self, request, queryset):
        for contact in queryset:
            self.delete_model(request, contact)


@admin.register(Sequence)
class SequenceAdmin(TenantModelAdmin):
    """Counters are read-only: editing one by hand could reuse or skip a number."""

    list_display = ["key", "last_value"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(TenantModelAdmin):
    """The audit trail is append-only: readable here, never changed."""

    list_display = ["at", "action", "subject", "actor"]
    list_filter = ["action", "object_type"]
    search_fields = ["subject"]
    list_select_related = ["actor"]

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
