"""Mixins every tenant view builds on."""

from django.core.exceptions import ImproperlyConfigured, PermissionDenied

from accounts import permissions
from accounts.access import require


class TenantViewMixin:
    """A view of a tenant page.

    `permission` guards every request (reading); `write_permission` guards any other method than
    GET/HEAD/OPTIONS, so a viewer's POST is refused with 403 whatever the view does with it.
    """

    permission = permissions.VIEW
    write_permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if getattr(request, "tenant", None) is None:
            raise PermissionDenied("Tenant pages run only under /<company>/.")
        require(request, self.permission)
        if request.method not in ("GET", "HEAD", "OPTIONS") and hasattr(
            self, request.method.lower()
        ):
            if self.write_permission is None:
                raise ImproperlyConfigured(
                    f"{type(self).__name__} handles {request.method} but names no write_permission."
                )
            require(request, self.write_permission)
        return super().dispatch(request, *args, **kwargs)

    @property
    def tenant(self):
        return self.request.tenant

    def htmx_template(self, full: str, partial: str) -> str:
        htmx = getattr(self.request, "htmx", None)
        if htmx and not htmx.boosted and htmx.target:
            return partial
        return full
