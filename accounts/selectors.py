"""Reads of customer accounts and contacts, shared by views, reports and other apps."""

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Account, AccountKind, Contact, Region


def account_list() -> QuerySet[Account]:
    return (
        Account.objects.select_related("region", "parent")
        .annotate(contact_count=Count("contacts", distinct=True))
        .order_by("name", "pk")
    )


def recent_accounts(limit: int = 8) -> QuerySet[Account]:
    return Account.objects.select_related("region").order_by("-created_at")[:limit]


def region_list() -> QuerySet[Region]:
    return Region.objects.annotate(account_count=Count("accounts")).order_by("name")


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
        organisations=Count("pk", filter=Q(kind=AccountKind.ORGANISATION)),
        individuals=Count("pk", filter=Q(kind=AccountKind.INDIVIDUAL)),
        inactive=Count("pk", filter=Q(is_active=False)),
    )
    counts["contacts"] = Contact.objects.count()
    return counts
