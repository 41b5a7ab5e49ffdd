"""Makes a ModelAdmin tenant-aware (DESIGN.md, "Tenancy") and keeps it on the services.

A tenant admin works inside its tenant's scope (set by `TenantMiddleware`), so querysets and
foreign-key choices hold only its rows, and a user is picked among the tenant's members only (a
select, never a raw id); the tenant field is hidden and set before validation. A platform
superuser sees every tenant, with a tenant column and filter.

The admin is one more entry point, so it writes through the same services as the pages
(DESIGN.md, "Layout"), and an admin class is read-only unless it names them:

- `service`, `service_argument`: saves, as `service(tenant=..., by=..., <argument>=row)`;
  without one, rows can be viewed but not added or changed.
- `delete_service`, `delete_service_argument`: deletes, one row at a time inside the row's
  tenant scope, from the delete page, the "delete selected" action and inline formsets alike;
  a `ValidationError` is shown to the user and the row stays. Without one, nothing is deleted.
- `may_delete(obj)`: a per-row refusal before the service is asked (e.g. drafts only).

`TenantInline` names its services the same way; `TenantModelAdmin.save_formset` calls them.
"""

import contextlib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as django_delete_selected
from django.contrib.admin.utils import model_ngettext, quote
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse

from accounts.platform.admin_site import is_tenant_admin
from accounts.platform.forms import BoundedFormMixin
from accounts.platform.tenancy import activate


def _bind_tenant(form_class, tenant):
    class TenantBoundForm(BoundedFormMixin, form_class):
        """The admin's form, its numbers bounded to their columns like every app form."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if getattr(self.instance, "tenant_id", None) is None:
                self.instance.tenant = tenant

    TenantBoundForm.__name__ = form_class.__name__
    return TenantBoundForm


def members_of(tenant):
    """The users a tenant admin may see and pick: the tenant's members."""
    users = get_user_model().objects
    return users.none() if tenant is None else users.filter(memberships__tenant=tenant)


class TenantScopedAdminMixin:
    tenant_aware = True  # see TenantAdminSite.register

    service = None
    service_argument = ""
    delete_service = None
    delete_service_argument = ""

    def _platform(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def _allowed(self, request) -> bool:
        return self._platform(request) or is_tenant_admin(request)

    def has_module_permission(self, request):
        return self._allowed(request)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, *args):
        return self._allowed(request) and self.service is not None

    def has_change_permission(self, request, obj=None):
        return self._allowed(request) and self.service is not None

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request) and self.delete_service is not None

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

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is get_user_model() and not self._platform(request):
            # Users are global rows: offer the tenant's members only, as a select (a raw id
            # field would take, and then display, any user of the platform).
            kwargs["queryset"] = members_of(getattr(request, "tenant", None))
            kwargs["widget"] = forms.Select
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @contextlib.contextmanager
    def tenant_of(self, request, obj):
        """Services write inside their tenant's scope; a superuser's admin runs unscoped."""
        if self._platform(request):
            with activate(obj.tenant):
                yield obj.tenant
        else:
            yield request.tenant

    def call_service(self, name, request, tenant, row):
        """Call the `service` or `delete_service` this class names, for one row."""
        service = getattr(type(self), name)
        if service is None:
            raise PermissionDenied
        argument = getattr(self, f"{name}_argument")
        return service(tenant=tenant, by=request.user, **{argument: row})


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
        if self._platform(request):  # a superuser's form: bounded numbers, no tenant to bind
            return type(form.__name__, (BoundedFormMixin, form), {})
        return _bind_tenant(form, request.tenant)

    # --- Saves ---------------------------------------------------------------------------------

    def changeform_view(self, request, *args, **kwargs):
        """A service that refuses a save (a rule the form could not know) answers with its
        message on the same page, everything rolled back, never with an error page."""
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        if not self._platform(request):
            obj.tenant = request.tenant
        with self.tenant_of(request, obj) as tenant:
            self.call_service("service", request, tenant, obj)

    def save_formset(self, request, form, formset, change):
        inline = next(
            (
                inline
                for inline in self.get_inline_instances(request, form.instance)
                if inline.model is formset.model
            ),
            None,
        )
        if not isinstance(inline, TenantInline):
            # An inline that names no service writes nothing (nor deletes anything).
            if formset.save(commit=False) or formset.deleted_objects:
                raise PermissionDenied
            return
        with self.tenant_of(request, form.instance) as tenant:
            inline.save_rows(request, tenant, form.instance, formset)

    # --- Deletes -------------------------------------------------------------------------------

    def may_delete(self, obj) -> bool:
        """Whether this row may be deleted at all (before its delete service is asked)."""
        return True

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or self.may_delete(obj))

    def get_deleted_objects(self, objs, request):
        """The delete service deletes (or refuses) what hangs off a row, so only the selected
        rows themselves need the delete permission, not their dependants' admin classes."""
        to_delete, model_count, _, protected = super().get_deleted_objects(objs, request)
        perms_needed = {
            str(obj._meta.verbose_name)
            for obj in objs
            if not self.has_delete_permission(request, obj)
        }
        return to_delete, model_count, perms_needed, protected

    def get_actions(self, request):
        actions = super().get_actions(request)
        if "delete_selected" in actions:
            _, name, description = actions["delete_selected"]
            actions["delete_selected"] = (_delete_selected, name, description)
        return actions

    def log_deletions(self, request, queryset):
        """Logged by `delete_rows`, once the delete service has accepted the row."""

    def delete_model(self, request, obj):
        self.delete_rows(request, [obj])

    def delete_queryset(self, request, queryset):
        self.delete_rows(request, list(queryset))

    def delete_rows(self, request, rows) -> list[str]:
        """Delete each row through the delete service; a refusal is told, and the row stays.
        Returns the names of the rows deleted."""
        deleted = []
        for row in rows:
            name = str(row)
            if not self.has_delete_permission(request, row):
                self.message_user(request, f"{name} cannot be deleted here.", messages.ERROR)
                continue
            try:
                with self.tenant_of(request, row) as tenant, transaction.atomic():
                    admin.ModelAdmin.log_deletions(self, request, [row])
                    self.call_service("delete_service", request, tenant, row)
            except ValidationError as error:
                self.message_user(request, f"{name}: {' '.join(error.messages)}", messages.ERROR)
                continue
            deleted.append(name)
        request.admin_deletes_refused = len(rows) - len(deleted)
        return deleted

    def response_delete(self, request, obj_display, obj_id):
        if getattr(request, "admin_deletes_refused", 0):
            # The reason is shown already; back to the row, without "deleted successfully".
            opts = self.opts
            return HttpResponseRedirect(
                reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_change",
                    args=[quote(obj_id)],
                    current_app=self.admin_site.name,
                )
            )
        return super().response_delete(request, obj_display, obj_id)


def _delete_selected(modeladmin, request, queryset):
    """Django's "delete selected" action (its confirmation page included), deleting each row
    through the admin's delete service and counting only the rows it deleted."""
    if not request.POST.get("post"):
        return django_delete_selected(modeladmin, request, queryset)
    _, _, perms_needed, protected = modeladmin.get_deleted_objects(queryset, request)
    if protected:
        return django_delete_selected(modeladmin, request, queryset)
    if perms_needed:
        raise PermissionDenied
    deleted = modeladmin.delete_rows(request, list(queryset))
    if deleted:
        modeladmin.message_user(
            request,
            f"Deleted {len(deleted)} {model_ngettext(modeladmin.opts, len(deleted))}.",
            messages.SUCCESS,
        )
    return None


class TenantInline(TenantScopedAdminMixin):
    """An inline of a `TenantModelAdmin`: rows are saved through `service` and deleted through
    `delete_service`, or not at all."""

    def has_delete_permission(self, request, obj=None):
        # `obj` is the parent row here, not the inline row.
        return self._allowed(request) and self.delete_service is not None

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        tenant = obj.tenant if obj is not None else getattr(request, "tenant", None)
        if tenant is not None:
            formset.form = _bind_tenant(formset.form, tenant)
        return formset

    def save_rows(self, request, tenant, parent, formset) -> None:
        """Write a submitted formset through the services: deleted rows first (a refusal is
        told and the row stays), then new and changed ones."""
        rows = formset.save(commit=False)
        for row in formset.deleted_objects:
            name = str(row)
            try:
                self.call_service("delete_service", request, tenant, row)
            except ValidationError as error:
                messages.error(request, f"{name}: {' '.join(error.messages)}")
        for row in rows:
            row.tenant = tenant
            self.call_service("service", request, tenant, row)
        formset.save_m2m()


class ServiceSaveAdmin(TenantModelAdmin):
    """A `TenantModelAdmin` that names its save service (kept for the name; every tenant-aware
    admin saves through its `service` now)."""
