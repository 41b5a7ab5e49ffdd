"""The Django admin site: platform superusers see every company, tenant admins their own."""

from django.contrib import admin

from accounts.platform.models import Role


class PlatformOnlyAdminMixin:
    """Rows of no tenant (companies, users, groups, login attempts, task results): only platform
    superusers see or change them, whatever Django permissions a user may hold, and no more
    than the admin class itself allows."""

    def _superuser(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self._superuser(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._superuser(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._superuser(request) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._superuser(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._superuser(request) and super().has_delete_permission(request, obj)


class TenantAdminSite(admin.AdminSite):
    """The Django admin for platform superusers (every tenant) and tenant admins (their own).

    A tenant admin opens it from the company's settings page, which records the company in the
    session; `TenantMiddleware` then runs every admin request inside that company's scope.
    """

    site_header = "Training company administration"
    site_title = "Administration"
    index_title = "Administration"

    def has_permission(self, request):
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or is_tenant_admin(request)

    def register(self, model_or_iterable, admin_class=None, **options):
        """An admin class that is not tenant-aware (a third-party app's, or one that forgot
        `TenantModelAdmin`) is for platform superusers only, so a tenant admin never reaches
        rows of every tenant through it."""
        admin_class = admin_class or admin.ModelAdmin
        if not (
            getattr(admin_class, "tenant_aware", False)
            or issubclass(admin_class, PlatformOnlyAdminMixin)
        ):
            admin_class = type(
                admin_class.__name__,
                (PlatformOnlyAdminMixin, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def each_context(self, request):
        context = super().each_context(request)
        context["admin_tenant"] = getattr(request, "tenant", None)
        return context


def is_tenant_admin(request) -> bool:

    membership = getattr(request, "membership", None)
    return membership is not None and membership.role == Role.ADMIN
