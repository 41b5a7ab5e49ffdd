"""Role checks for views: `require` (403 unless the role has the permission) and `can`."""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext

from accounts.platform.permissions import role_allows


def require(request, permission: str) -> None:
    membership = getattr(request, "membership", None)
    if membership is None or not role_allows(membership.role, permission):
        raise PermissionDenied(gettext("Your role does not allow this."))


def can(request, permission: str) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_allows(membership.role, permission)
