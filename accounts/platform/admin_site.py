"""The Django admin site: platform superusers see every company, tenant admins their own."""

from django.contrib import admin

from accounts.platform.models import Role


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

    def each_context(self, request):
        context = super().each_context(request)
        context["admin_tenant"] = getattr(request, "tenant", None)
        return context


def is_tenant_admin(request) -> bool:

    membership = getattr(request, "membership", None)
    return membership is not None and membership.role == Role.ADMIN
