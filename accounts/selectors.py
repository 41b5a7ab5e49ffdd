"""Reads shared by views, reports and other apps."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Account, Contact, Membership
from accounts.tenancy import scopes_disabled


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


def account_list() -> QuerySet[Account]:
    return (
        Account.objects.select_related("region", "parent")
        .annotate(contact_count=Count("contacts", distinct=True))
        .order_by("name", "pk")
    )


def account_detail(pk: int) -> QuerySet[Account]:
    return Account.objects.select_related("region", "parent", "billing_account").filter(pk=pk)


def account_contacts(account: Account) -> QuerySet[Contact]:
    return Contact.objects.filter(account=account).order_by("-is_primary", "last_name")


def primary_contacts() -> Prefetch:
    return Prefetch(
        "contacts", queryset=Contact.objects.filter(is_primary=True), to_attr="primary_contacts"
    )


def tenant_overview() -> dict:
    counts = Account.objects.aggregate(
        accounts=Count("pk"),
        organisations=Count("pk", filter=Q(kind="organisation")),
        individuals=Count("pk", filter=Q(kind="individual")),
        inactive=Count("pk", filter=Q(is_active=False)),
    )
    counts["contacts"] = Contact.objects.count()
    return counts
