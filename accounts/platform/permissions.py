"""What each role may do. Roles are data: views name a permission, never a role."""

from accounts.platform.models import Role

VIEW = "view"
EDIT_CUSTOMERS = "edit_customers"  # accounts, contacts, regions
EDIT_AGREEMENTS = "edit_agreements"  # bookings, price lists, discount and prepurchase agreements
EDIT_PROJECTS = "edit_projects"  # projects, events, registrations, items
MANAGE_CATALOGUE = "manage_catalogue"  # products, tax rates
INVOICE = "invoice"  # draft, issue, credit; record, allocate and reverse payments
EXPORT = "export"  # finance's bookkeeping hand-off: the reconciliation file and export batches
# See money figures: invoice lists, profitability, reports and their downloads (every list's
# CSV/XLSX too). One gate, so that a role without it loses the pages and their files together.
SEE_MONEY = "see_money"
MANAGE_TENANT = "manage_tenant"  # members and company settings
SAVE_REPORTS = "save_reports"  # keep custom report definitions
# See projects that are not shared with you (projects.sharing_models.visible_q). Admins run the
# company and finance must invoice and reconcile every project, so both see them all.
SEE_ALL_PROJECTS = "see_all_projects"

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
            SEE_MONEY,
            MANAGE_TENANT,
            SAVE_REPORTS,
            SEE_ALL_PROJECTS,
        }
    ),
    Role.STAFF: frozenset(
        {VIEW, SEE_MONEY, EDIT_CUSTOMERS, EDIT_AGREEMENTS, EDIT_PROJECTS, SAVE_REPORTS}
    ),
    Role.FINANCE: frozenset({VIEW, SEE_MONEY, INVOICE, EXPORT, SAVE_REPORTS, SEE_ALL_PROJECTS}),
    Role.VIEWER: frozenset({VIEW, SEE_MONEY}),
}


def role_allows(role: str, permission: str) -> bool:
    return permission in ROLE_PERMISSIONS.get(role, frozenset())
