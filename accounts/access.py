"""Access helpers: fetch what the URL names, inside the tenant, for reading or for writing.

Across tenants the answer is 404 (the scoped manager cannot see the row); a role that may only
read gets 403 from the `_for_write` twins.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from accounts import permissions
from accounts.models import Account, Contact, Membership
from accounts.permissions import role_allows


def require(request, permission: str) -> None:
    membership = getattr(request, "membership", None)
    if membership is None or not role_allows(membership.role, permission):
        raise PermissionDenied("Your role does not allow this.")


def can(request, permission: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_allows(membership.role, permission)


def get_account_for_user(request, pk) -> Account:
    require(request, permissions.VIEW)
    return get_object_or_404(Account.objects.select_related("region", "parent"), pk=pk)


def get_account_for_write(request, pk) -> Account:
    require(request, permissions.EDIT_CUSTOMERS)
    return get_account_for_user(request, pk)


def get_contact_for_write(request, account: Account, pk) -> Contact:
    require(request, permissions.EDIT_CUSTOMERS)
    return get_object_or_404(Contact.objects.filter(account=account), pk=pk)


def get_membership_for_admin(request, pk) -> Membership:
    require(request, permissions.MANAGE_TENANT)
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk)
