"""Access helpers: fetch what the URL names, inside the tenant, for reading or for writing.

Across tenants the answer is 404 (the scoped manager cannot see the row); a role that may only
read gets 403 from the `_for_write` twins.
"""

from django.shortcuts import get_object_or_404

from accounts.models import Account, Contact
from accounts.platform import permissions
from accounts.platform.access import require
from accounts.platform.compiled_once import compiled_once, first_or_404
from accounts.platform.models import Membership


def get_account_for_user(request, pk) -> Account:
    require(request, permissions.VIEW)
    return first_or_404(_account(pk=pk), "No such account.")


@compiled_once(slots=("pk",))
def _account(*, pk):
    # Every page of an account and its tabs reads it (issue 18: compiled once, run with each pk).
    return Account.objects.select_related("region", "parent").filter(pk=pk)[:1]


def get_account_for_write(request, pk) -> Account:
    require(request, permissions.EDIT_CUSTOMERS)
    return get_account_for_user(request, pk)


def get_contact_for_write(request, account: Account, pk) -> Contact:
    require(request, permissions.EDIT_CUSTOMERS)
    return get_object_or_404(Contact.objects.filter(account=account), pk=pk)


def get_membership_for_admin(request, pk) -> Membership:
    require(request, permissions.MANAGE_TENANT)
    return get_object_or_404(Membership.objects.select_related("user"), pk=pk)
