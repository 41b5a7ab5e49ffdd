"""Every write of projects that spans rows or enforces a business rule (DESIGN.md, "Projects"),
one module per concern:

- `projects`: projects (defaults, save, status, copy), their documents and purchase orders;
- `events`: private events;
- `budgets`: committed volumes, purchase-order values, products on the agreement, discount
  places, the budget policy;
- `rows`: registrations and items (add, change, status, price overrides);
- `cancellations`: cancelling, no-shows and transfers under the agreement's terms (fees);
- `phases`: phases and their billing milestones (each billed as an item);
- `copies`: a project's plan copied into a new or an open project (templates);
- `settings`: the company's project settings (the budget policy new projects propose);
- `currency`: changing a project's currency (its rows priced again);
- `sharing`: who a project is shared with, and the company's project classes.

Which rows can be invoiced, delivery dates and when costs count are in `projects.billing`.
Callers use the names below.
"""

from projects.services.budgets import (
    ACTIVE_REGISTRATION,
    NeedsConfirmation,
    agreement_problem,
    committed_usage,
    discount_places_used,
    purchase_order_used,
)
from projects.services.cancellations import (
    CancellationQuote,
    cancellation_quote,
    registration_cancel,
    registration_credit,
    registration_mark_no_show,
    registration_transfer,
    registrations_cancel,
)
from projects.services.copies import project_copy_lines
from projects.services.currency import (
    CurrencyChange,
    project_currency_change,
    project_invoice_count,
)
from projects.services.events import deliver_completed_events, event_save
from projects.services.funders import funder_delete, funder_save
from projects.services.phases import (
    milestone_amount,
    milestone_delete,
    milestone_save,
    phase_delete,
    phase_save,
)
from projects.services.projects import (
    PROJECT_NUMBER_START,
    has_priced_rows,
    project_copy,
    project_defaults,
    project_document_delete,
    project_document_upload,
    project_save,
    project_set_status,
    purchase_order_save,
)
from projects.services.rows import (
    AUTO,
    StatusChange,
    item_add,
    learner_accounts,
    price_override,
    registration_update,
    registrations_add,
    registrations_set_status,
)
from projects.services.settings import project_settings_save
from projects.services.sharing import project_class_save, project_share

__all__ = [
    "ACTIVE_REGISTRATION",
    "AUTO",
    "PROJECT_NUMBER_START",
    "CancellationQuote",
    "CurrencyChange",
    "NeedsConfirmation",
    "StatusChange",
    "agreement_problem",
    "cancellation_quote",
    "committed_usage",
    "deliver_completed_events",
    "discount_places_used",
    "event_save",
    "funder_delete",
    "funder_save",
    "has_priced_rows",
    "item_add",
    "learner_accounts",
    "milestone_amount",
    "milestone_delete",
    "milestone_save",
    "phase_delete",
    "phase_save",
    "price_override",
    "project_class_save",
    "project_copy",
    "project_copy_lines",
    "project_currency_change",
    "project_defaults",
    "project_document_delete",
    "project_document_upload",
    "project_invoice_count",
    "project_save",
    "project_set_status",
    "project_settings_save",
    "project_share",
    "purchase_order_save",
    "purchase_order_used",
    "registration_cancel",
    "registration_credit",
    "registration_mark_no_show",
    "registration_transfer",
    "registration_update",
    "registrations_add",
    "registrations_cancel",
    "registrations_set_status",
]
