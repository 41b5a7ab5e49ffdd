"""Demo saved list views (issue 17): the staff member's own views of the projects and accounts
lists, in the list's "Saved views" menu (the filters and the columns each one shows)."""

from accounts.platform.models import Membership, Role
from accounts.platform.saved_views import saved_view_save

VIEWS = [
    (
        "projects:project-list",
        "Active projects, money first",
        "status=active&sort=-ordered_value",
        ["code", "name", "account", "status", "ordered_value"],
    ),
    ("accounts:account-list", "Active organisations", "kind=organisation&is_active=true", []),
]


def build(tenant, *, user, rng):
    staff = Membership.objects.filter(role=Role.STAFF).select_related("user").first()
    if staff is None:
        return
    for list_key, name, query, columns in VIEWS:
        saved_view_save(
            tenant=tenant,
            user=staff.user,
            list_key=list_key,
            name=name,
            query=query,
            columns=columns,
        )
