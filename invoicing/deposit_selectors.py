"""The deposits' reads: what each deposit received, what deductions used of it, and where.

Split from `invoicing.selectors` (which imports every name back, so callers keep using
`selectors.deposit_balances` and friends)."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import DecimalField, Exists, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from invoicing.models import InvoiceKind, InvoiceLine, InvoiceStatus, LineKind
from invoicing.project_lines import LINE_PROJECT_ID, lines_of_projects

MONEY = DecimalField(max_digits=16, decimal_places=3)


# --- Deposits -----------------------------------------------------------------------------------
#
# A deposit is a DEPOSIT line on an invoice of its own; *received* once that invoice is issued,
# less what credit notes credited of it. *Used* is what DEDUCTION lines naming it deduct, on
# issued invoices and on drafts alike (a draft reserves it; deleting the draft gives it back),
# less credited deductions; *left* = received - used. Each is a sum of the lines naming the
# deposit (`InvoiceLine.deposit`): see invoicing.services.deposits for the rules.


@dataclass
class DepositBalance:
    line_id: int
    invoice_id: int
    project_id: int
    number: str  # empty on a draft
    issue_date: datetime.date | None
    received: Decimal  # the deposit's net, less credited (a draft's: what it will be)
    used: Decimal
    tax_category: str
    tax_code: str
    tax_percent: Decimal
    exemption_reason_code: str
    exemption_reason: str
    uses: list = field(default_factory=list)  # [(invoice id, its label, amount)], see below

    @property
    def is_issued(self) -> bool:
        return bool(self.number)

    @property
    def left(self) -> Decimal:
        return self.received - self.used

    @property
    def label(self) -> str:
        """How a deduction names it: "invoice INV-00012 of 12 Mar 2026"."""
        if not self.is_issued:
            return f"draft deposit invoice #{self.invoice_id}"
        return f"invoice {self.number} of {self.issue_date:%d %b %Y}"


def _moved(kind: str) -> Coalesce:
    """The net of the lines of `kind` naming a deposit line (its credits, its deductions)."""
    lines = (
        InvoiceLine.objects.filter(deposit=OuterRef("pk"), kind=kind)
        .order_by()
        .values("deposit")
        .annotate(total=Sum("net"))
        .values("total")[:1]
    )
    return Coalesce(Subquery(lines, output_field=MONEY), Value(Decimal(0), output_field=MONEY))


def deposit_balances(project_ids, *, drafts: bool = False) -> dict[int, list[DepositBalance]]:
    """{project id: its deposits, oldest first}, issued ones (and, with `drafts`, those still on
    draft deposit invoices, last), for any number of projects in one query: what drafting
    deducts from (a bulk run asks once per batch)."""
    lines = lines_of_projects(
        InvoiceLine.objects.filter(kind=LineKind.DEPOSIT, invoice__kind=InvoiceKind.INVOICE),
        list(project_ids),
    )
    if not drafts:
        lines = lines.exclude(invoice__status=InvoiceStatus.DRAFT)
    rows = (
        lines.annotate(
            credited=_moved(LineKind.DEPOSIT), deducted=_moved(LineKind.DEPOSIT_DEDUCTION)
        )
        .order_by(F("invoice__issue_date").asc(nulls_last=True), "invoice__sequence_number", "pk")
        .values_list(
            "pk",
            "invoice_id",
            LINE_PROJECT_ID,
            "invoice__number",
            "invoice__issue_date",
            "net",
            "credited",
            "deducted",
            "tax_category",
            "tax_code",
            "tax_percent",
            "exemption_reason_code",
            "exemption_reason",
        )
    )
    balances: dict[int, list[DepositBalance]] = defaultdict(list)
    for pk, invoice_id, project_id, number, day, net, credited, deducted, *tax in rows:
        balances[project_id].append(
            DepositBalance(
                line_id=pk,
                invoice_id=invoice_id,
                project_id=project_id,
                number=number,
                issue_date=day,
                received=Decimal(net) + Decimal(credited),
                used=-Decimal(deducted),
                tax_category=tax[0],
                tax_code=tax[1],
                tax_percent=Decimal(tax[2]),
                exemption_reason_code=tax[3],
                exemption_reason=tax[4],
            )
        )
    return balances


def deposit_uses(balances) -> None:
    """Fill each balance's `uses`: the invoices and drafts whose deduction lines (not credited)
    draw on it, with the amount each deducts (one query for all of them)."""
    by_line = {balance.line_id: balance for balance in balances}
    if not by_line:
        return
    credited = InvoiceLine.objects.filter(credited_line=OuterRef("pk"))
    rows = (
        InvoiceLine.objects.filter(
            deposit_id__in=list(by_line),
            kind=LineKind.DEPOSIT_DEDUCTION,
            invoice__kind=InvoiceKind.INVOICE,
        )
        .filter(~Exists(credited))
        .order_by("invoice_id", "pk")
        .values_list("deposit_id", "invoice_id", "invoice__number", "net")
    )
    for deposit_id, invoice_id, number, net in rows:
        label = number or f"draft #{invoice_id}"
        by_line[deposit_id].uses.append((invoice_id, label, -Decimal(net)))


def deposit_summary(project) -> dict:
    """What the project's deposits panel shows: each deposit with where it is used, and the
    totals received (issued deposit invoices, not credited), used (deducted on invoices and
    drafts) and left; deposits still on drafts apart. Two queries."""
    deposits = deposit_balances([project.pk], drafts=True).get(project.pk, [])
    issued = [deposit for deposit in deposits if deposit.is_issued]
    deposit_uses(issued)
    received = sum((deposit.received for deposit in issued), Decimal(0))
    used = sum((deposit.used for deposit in issued), Decimal(0))
    return {
        "deposits": deposits,
        "deposit_received": received,
        "deposit_used": used,
        "deposit_left": received - used,
        "deposit_on_drafts": sum(
            (deposit.received for deposit in deposits if not deposit.is_issued), Decimal(0)
        ),
    }
