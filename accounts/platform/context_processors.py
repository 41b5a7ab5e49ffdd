"""Template context of every page: the company, the role's permissions, the other companies."""

from accounts.platform import permissions
from accounts.platform.memberships import memberships_of_request
from accounts.platform.permissions import role_allows


def tenancy(request):
    membership = getattr(request, "membership", None)
    role = membership.role if membership else None
    allowed = {
        name.lower(): role_allows(role, value)
        for name, value in vars(permissions).items()
        if name.isupper() and isinstance(value, str)
    }

    def other_memberships():
        return [
            m for m in memberships_of_request(request) if m.pk != getattr(membership, "pk", None)
        ]

    return {
        "tenant": getattr(request, "tenant", None),
        "membership": membership,
        "perms_for": allowed,
        "other_memberships": other_memberships,
    }
