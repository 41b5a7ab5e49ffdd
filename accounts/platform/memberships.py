"""Who belongs to which company: the one deliberate cross-tenant read (login, the company
picker, the middleware that resolves a company from the URL)."""

from accounts.platform.models import Membership
from accounts.platform.tenancy import scopes_disabled


def memberships_for_user(user) -> list[Membership]:
    """A user's memberships across tenants: the one deliberate cross-tenant read (login, picker)."""
    if not user.is_authenticated:
        return []
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user, tenant__is_active=True)
            .select_related("tenant")
            .order_by("tenant__name")
        )


def membership_for(user, tenant_slug: str) -> Membership | None:
    if not user.is_authenticated:
        return None
    with scopes_disabled():
        return (
            Membership.objects.filter(
                user=user, user__is_active=True, tenant__slug=tenant_slug, tenant__is_active=True
            )
            .select_related("tenant")
            .first()
        )
