"""Reads of customer accounts and contacts, shared by views, reports and other apps."""

from urllib.parse import urlencode

from django.db.models import Count, Prefetch, Q, QuerySet

from accounts.models import Account, AccountKind, Contact, Region
from accounts.platform.bounds import parse_id
from accounts.platform.search import SearchHit, SearchResult, first_hits, text_filter
from accounts.platform.tenancy import tenant_reverse


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


# --- The search box (accounts.platform.search) ---------------------------------------------------


def search_accounts(request, query: str, limit: int) -> SearchResult:
    number = parse_id(query.strip())
    accounts = text_filter(
        Account.objects.all(),
        query,
        ["name", "email", "city"],
        also=Q(number=number) if number else None,
    )
    more = tenant_reverse("accounts:account-list", tenant_id=request.tenant.pk)
    return first_hits(
        accounts.order_by("name", "pk"),
        limit,
        lambda account: SearchHit(
            title=str(account),
            url=account.get_absolute_url(),
            detail=" · ".join(filter(None, [account.get_kind_display(), account.city])),
        ),
        more_url=f"{more}?{urlencode({'q': query})}",
    )


def search_contacts(request, query: str, limit: int) -> SearchResult:
    """Contacts and learners, by name or e-mail."""
    contacts = text_filter(
        Contact.objects.select_related("account"), query, ["first_name", "last_name", "email"]
    )
    return first_hits(
        contacts.order_by("last_name", "first_name", "pk"),
        limit,
        lambda contact: SearchHit(
            title=contact.full_name,
            url=tenant_reverse(
                "accounts:contact-edit",
                tenant_id=contact.tenant_id,
                kwargs={"account_pk": contact.account_id, "pk": contact.pk},
            ),
            detail=" · ".join(filter(None, [contact.email, contact.account.name])),
        ),
    )
