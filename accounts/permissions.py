"""What each role may do. Roles are data: views name a permission, never a role."""

from accounts.models import Role

VIEW = "view"
EDIT_CUSTOMERS = "edit_customers"  # accounts, contacts, regions
EDIT_AGREEMENTS = "edit_agreements"  # bookings, price lists, discount and prepurchase agreements
EDIT_PROJECTS = "edit_projects"  # projects, events, registrations, items
MANAGE_CATALOGUE = "manage_catalogue"  # products, tax rates
INVOICE = "invoice"  # draft, issue, credit, mark paid
EXPORT = "export"  # finance exports and batches
MANAGE_TENANT = "manage_tenant"  # members and company settings
SAVE_REPORTS = "save_reports"  # keep custom report definitions

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(
        {
            VIEW,
            EDIT_CUSTOMERS,
            EDIT_AGREEMENTS,
            EDIT_PROJECTS,
            MANAGE_CATALOGUE,
            INVOICE,
            EXPORT,
            MANAGE_TENANT,
            SAVE_REPORTS,
        }
    ),
    Role.STAFF: frozenset({VIEW, EDIT_CUSTOMERS, EDIT_AGREEMENTS, EDIT_PROJECTS, SAVE_REPORTS}),
    Role.FINANCE: frozenset({VIEW, INVOICE, EXPORT, SAVE_REPORTS}),
    Role.VIEWER: frozenset({VIEW}),
}


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
