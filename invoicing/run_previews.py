"""The invoices a bulk run will make, listed before it starts (issue 17: the preview gave
totals only): bill-to account, project, purchase order, rows and net of each, cut exactly as
the run cuts them (`services.grouping.grouped` over the rows `run_candidates` found)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invoicing.services.drafts import load_rows
from invoicing.services.grouping import grouped

SHOWN = 50  # invoices listed; the rest are counted


@dataclass(frozen=True)
class PlannedInvoice:
    billing_account: object
    project: object
    po_reference: str
    rows: int
    net: Decimal

    @property
    def currency(self) -> str:
        return self.project.currency


def planned_invoices(included: dict, grouping: str, *, shown: int = SHOWN) -> dict:
    """{"invoices": the first `shown` invoices; "more_invoices": those of the same projects not
    listed; "more_projects", "more_rows": the projects (and their rows) whose invoices were not
    worked out}. Rows are read for as many projects as the listed invoices need, not for all."""
    entries = list(included.values())
    invoices: list[PlannedInvoice] = []
    read = 0  # projects whose invoices are worked out
    while read < len(entries) and len(invoices) < shown:
        chunk = entries[read : read + 25]
        rows = load_rows(
            [entry["project"] for entry in chunk],
            [pk for entry in chunk for pk in entry["registrations"]],
            [pk for entry in chunk for pk in entry["items"]],
            strict=False,
        )
        for entry in chunk:
            if len(invoices) >= shown:
                break
            read += 1
            invoices += _invoices(entry, rows[entry["project"].pk], grouping)
    rest = entries[read:]
    return {
        "invoices": invoices[:shown],
        "more_invoices": max(len(invoices) - shown, 0),
        "more_projects": len(rest),
        "more_rows": sum(len(entry["registrations"]) + len(entry["items"]) for entry in rest),
    }


def _invoices(entry: dict, rows: list, grouping: str) -> list[PlannedInvoice]:
    project = entry["project"]
    return [
        PlannedInvoice(
            billing_account=project.billing_account,
            project=project,
            po_reference=group.po_reference,
            rows=len(group.rows),
            net=sum((entry["due"][(type(row).__name__, row.pk)] for row in group.rows), Decimal(0)),
        )
        for group in grouped(project, rows, grouping)
    ]
