"""Every write of invoicing (DESIGN.md, "Invoices"), one module per concern:

- `lines`: invoice lines built from registrations and items, the handling fee, totals;
- `grouping`: how a selection is cut into invoices;
- `claims`: what keeps a row on at most one live invoice line (database constraints);
- `drafts`: drafts from a selection, adjusted, deleted;
- `issuing`: numbers, the frozen snapshot, exchange rates, prepurchase uses;
- `credits`: credit notes (allocated at issue to the invoice they credit);
- `payments`: payments and allocations (issue 16): `payment_record` (a payment from a billing
  account, allocated to one or several of its open invoices, the rest left on the account),
  `payment_allocate` and `credit_allocate` (what a payment or credit note has left, to another
  open invoice of the same account), `payment_reverse` (with a reason: the payment and its
  allocations stop counting). Payments, allocations and reversals are never changed or
  deleted; an invoice's outstanding amount and state are read, never set: see
  `invoicing.payment_selectors` (`with_state`, `outstanding`, `open_invoices`,
  `account_balance`, `unallocated_payments`, `unallocated_credits`, `exchange_differences`);
- `bank`: bank statements (issue 16, part 4): `csv_mapping_save` (a bank CSV's columns, per bank
  account), `statement_import` (the new lines of a parsed statement, credits matched by
  `invoicing.bank_selectors.propose`), `line_confirm` (a credit line becomes a payment through
  `payment_record`), `line_ignore`, `line_rematch`;
- `deposits`: deposit invoices, and what later invoices deduct of them;
- `rates`: exchange rates;
- `settings`: the company's invoicing settings (handling-fee product, oldest rate accepted);
- `runs`: bulk runs across projects, as background tasks.

Reads (what is billed, rates, lists) are in `invoicing.selectors`. Callers use the names below.
"""

from invoicing.services.bank import (
    csv_mapping_save,
    line_confirm,
    line_ignore,
    line_rematch,
    statement_import,
)
from invoicing.services.claims import CLAIM_CONFLICT
from invoicing.services.credits import invoice_credit, registration_credit
from invoicing.services.delivery import (
    delivery_retry,
    invoice_send,
    run_send,
    run_send_start,
)
from invoicing.services.deposits import DEPOSIT_CODE, deposit_create, deposit_plan
from invoicing.services.drafts import (
    account_drafts_create,
    draft_delete,
    draft_line_update,
    drafts_create,
)
from invoicing.services.issuing import invoice_issue
from invoicing.services.lines import HANDLING_FEE_CODE
from invoicing.services.payments import (
    credit_allocate,
    payment_allocate,
    payment_record,
    payment_reverse,
)
from invoicing.services.rates import exchange_rate_save
from invoicing.services.runs import run_draft, run_issue, run_issue_start, run_resume, run_start
from invoicing.services.settings import invoicing_settings_save

__all__ = [
    "CLAIM_CONFLICT",
    "DEPOSIT_CODE",
    "HANDLING_FEE_CODE",
    "account_drafts_create",
    "credit_allocate",
    "csv_mapping_save",
    "delivery_retry",
    "deposit_create",
    "deposit_plan",
    "draft_delete",
    "draft_line_update",
    "drafts_create",
    "exchange_rate_save",
    "invoice_credit",
    "invoice_issue",
    "invoice_send",
    "invoicing_settings_save",
    "line_confirm",
    "line_ignore",
    "line_rematch",
    "payment_allocate",
    "payment_record",
    "payment_reverse",
    "registration_credit",
    "run_draft",
    "run_issue",
    "run_issue_start",
    "run_resume",
    "run_send",
    "run_send_start",
    "run_start",
    "statement_import",
]
