"""Makes a ModelAdmin tenant-aware (DESIGN.md, "Tenancy").

A tenant admin works inside its tenant's scope (set by `TenantMiddleware`), so querysets and
foreign-key choices hold only its rows; the tenant field is hidden and set before validation. A
platform superuser sees every tenant, with a tenant column and filter.
"""

import contextlib

from django.contrib import admin

from accounts.platform.admin_site import is_tenant_admin
from accounts.platform.tenancy import activate


def _bind_tenant(form_class, tenant):
    class TenantBoundForm(form_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if getattr(self.instance, "tenant_id", None) is None:
                self.instance.tenant = tenant

    TenantBoundForm.__name__ = form_class.__name__
    return TenantBoundForm


class TenantScopedAdminMixin:
    def _platform(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def _allowed(self, request) -> bool:
        return self._platform(request) or is_tenant_admin(request)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not self._platform(request):
            exclude.append("tenant")
        return exclude

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if self._platform(request) and obj is not None:
            fields.append("tenant")
        return fields

    @contextlib.contextmanager
    def tenant_of(self, request, obj):
        """Services write inside their tenant's scope; a superuser's admin runs unscoped."""
        if self._platform(request):
            with activate(obj.tenant):
                yield obj.tenant
        else:
            yield request.tenant


class TenantModelAdmin(TenantScopedAdminMixin, admin.ModelAdmin):
    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        return [*columns, "tenant"] if self._platform(request) else columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        return ["tenant", *filters] if self._platform(request) else filters

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset.select_related("tenant") if self._platform(request) else queryset

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return form if self._platform(request) else _bind_tenant(form, request.tenant)

    def save_model(self, request, obj, form, change):
        if not self._platform(request):
            obj.tenant = request.tenant
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if hasattr(inline_form.instance, "tenant_id"):
                inline_form.instance.tenant = form.instance.tenant
        super().save_formset(request, form, formset, change)


class TenantInline(TenantScopedAdminMixin):
    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        tenant = obj.tenant if obj is not None else getattr(request, "tenant", None)
        if tenant is not None:
            formset.form = _bind_tenant(formset.form, tenant)
        return formset


class ServiceSaveAdmin(TenantModelAdmin):
    """Saves through the app's service, so the admin obeys the same rules as the pages."""

    service = None
    service_argument = ""

    def save_model(self, request, obj, form, change):
        if not self._platform(request):
            obj.tenant = request.tenant
        with self.tenant_of(request, obj) as tenant:
            type(self).service(tenant=tenant, by=request.user, **{self.service_argument: obj})
