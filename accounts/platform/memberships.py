"""Who belongs to which company: the one deliberate cross-tenant read (login, the company
picker, the middleware that resolves a company from the URL)."""

from accounts.platform.compiled_once import compiled_once
from accounts.platform.models import Membership
from accounts.platform.tenancy import scopes_disabled


def memberships_for_user(user) -> list[Membership]:
    """A user's memberships across tenants: the one deliberate cross-tenant read (login, picker)."""
    if not user.is_authenticated:
        return []
    with scopes_disabled():
        return _memberships(user_id=user.pk)


@compiled_once(slots=("user_id",))
def _memberships(*, user_id: int):
    # Compiled once: every company page reads it (1.2 ms of compiling a page, issue 18).
    return (
        Membership.objects.filter(user_id=user_id, tenant__is_active=True)
        .select_related("tenant")
        .order_by("tenant__name")
    )


def memberships_of_request(request) -> list[Membership]:
    """The signed-in user's memberships, read once per request: the middleware picks the URL's
    company from them and the user menu lists the others (one query, not two)."""
    cached = getattr(request, "_memberships", None)
    if cached is None:
        cached = request._memberships = memberships_for_user(request.user)
    return cached


def membership_in(memberships: list[Membership], user, tenant_slug: str) -> Membership | None:
    """The membership of `tenant_slug` among `memberships` (`memberships_for_user`: active
    companies only), for an active user; what `membership_for` asks the database."""
    if not (user.is_authenticated and user.is_active):
        return None
    return next((m for m in memberships if m.tenant.slug == tenant_slug), None)


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
