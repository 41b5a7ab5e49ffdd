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
        "nav_section": nav_section(request),
        "membership": membership,
        "perms_for": allowed,
        # What the navigation depends on of the role ({% remembered %} keys on it).
        "nav_permissions": tuple(sorted(name for name, yes in allowed.items() if yes)),
        "other_memberships": other_memberships,
    }


def nav_section(request) -> str:
    """The part of the company's site a page belongs to, as the navigation marks it active
    (`{% active_if %}`): "" on the dashboard, "projects/" under /<company>/projects/…"""
    tenant = getattr(request, "tenant", None)
    base = f"/{tenant.slug}/" if tenant else "/"
    path = getattr(request, "path", "")
    if not path.startswith(base):
        return "-"
    rest = path[len(base) :]
    return rest.split("/", 1)[0] + "/" if rest else ""
