"""The invoices a bulk run will make, listed before it starts (issue 17: the preview gave
totals only): bill-to account, project, purchase order, rows and net of each, cut exactly as
the run cuts them (`services.grouping.grouped` over the rows `run_candidates` found), and each
invoice split between the project's funders as the run splits it (`services.funding.Funding`,
the drafts' own split: one planned invoice per payer)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from invoicing.models import InvoiceLine, LineKind
from invoicing.services.drafts import load_rows, row_product
from invoicing.services.funding import Funding
from invoicing.services.grouping import grouped_across
from invoicing.services.runs import invoice_units

SHOWN = 50  # invoices listed; the rest are counted


@dataclass(frozen=True)
class PlannedInvoice:
    billing_account: object
    project: object
    po_reference: str
    rows: int
    net: Decimal
    projects: tuple = ()  # per billing account: every project on it (`project` is the first)
    funder: str = ""  # a funder's invoice: the funder's name
    split_with: tuple = ()  # the customer's invoice: the funders that pay part of its rows

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
    # What one invoice needs at least: a project, or per billing account its projects together.
    units = [unit for unit, _size in invoice_units([(entry, 0) for entry in entries], grouping)]
    # The run's split, in memory: VAT and administration fees are decided as the drafts are
    # written; the caps' room is spent invoice by invoice as the run spends it.
    funding = Funding(
        None, [entry["project"] for entry in entries], lambda account: _UNTAXED, fees=False
    )
    while read < len(units) and len(invoices) < shown:
        chunk = [entry for unit in units[read : read + 25] for entry in unit]
        rows = load_rows(
            [entry["project"] for entry in chunk],
            [pk for entry in chunk for pk in entry["registrations"]],
            [pk for entry in chunk for pk in entry["items"]],
            strict=False,
        )
        for unit in units[read : read + 25]:
            if len(invoices) >= shown:
                break
            read += 1
            invoices += _invoices(unit, rows, grouping, funding)
    rest = [entry for unit in units[read:] for entry in unit]
    return {
        "invoices": invoices[:shown],
        "more_invoices": max(len(invoices) - shown, 0),
        "more_projects": len(rest),
        "more_rows": sum(len(entry["registrations"]) + len(entry["items"]) for entry in rest),
    }


def _invoices(
    unit: list[dict], rows: dict, grouping: str, funding: Funding
) -> list[PlannedInvoice]:
    due = {project_key(entry, key): value for entry in unit for key, value in entry["due"].items()}
    planned = []
    for group in grouped_across([entry["project"] for entry in unit], rows, grouping):
        customer, funders, names = Decimal(0), [], []
        for member in group.projects:
            mine = [row for row in group.rows if row.project_id == member.pk]
            lines = [
                InvoiceLine(
                    kind=LineKind.REGISTRATION
                    if type(row).__name__ == "Registration"
                    else LineKind.ITEM,
                    project=member,
                    description="",
                    net=due[(row.project_id, type(row).__name__, row.pk)],
                )
                for row in mine
            ]
            for share in funding.split(member, lines, [row_product(row) for row in mine]):
                net = sum((Decimal(line.net) for line in share.lines), Decimal(0))
                if share.funder is None:
                    customer += net
                    continue
                funders.append((member, share, net))
            names += [funder.name for funder in funding.funders.get(member.pk, [])]
        common = {"po_reference": group.po_reference, "rows": len(group.rows)}
        planned += [
            PlannedInvoice(
                billing_account=share.account,
                project=member,
                net=net,
                funder=share.funder.name,
                **common,
            )
            for member, share, net in funders
        ]
        if customer or not funders:
            planned.append(
                PlannedInvoice(
                    billing_account=group.project.billing_account,
                    project=group.project,
                    net=customer,
                    projects=tuple(group.projects),
                    split_with=tuple(names),
                    **common,
                )
            )
    return planned


class _Untaxed:
    """No VAT decided in the preview (the drafts decide it per billing account)."""

    def for_product(self, product):
        return self

    def apply(self, line) -> None:
        pass


_UNTAXED = _Untaxed()


def project_key(entry: dict, key: tuple) -> tuple:
    return (entry["project"].pk, *key)
