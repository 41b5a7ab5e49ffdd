"""How a selection of rows is cut into invoices (one, per event, per purchase order, per
registration, or per billing account across projects), in an order that never depends on the
selection's.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from invoicing.models import (
    Grouping,
)
from projects.models import (
    Project,
    Registration,
)


def _group_key(grouping: str, row):
    registration = row if isinstance(row, Registration) else None
    po = (row.purchase_order.number if row.purchase_order_id else row.po_reference) or ""
    if grouping in (Grouping.ALL, Grouping.PROJECT, Grouping.BILLING_ACCOUNT):
        return ("",)
    if grouping == Grouping.BILLING_PO or grouping == Grouping.PURCHASE_ORDER:
        return (po,)
    if grouping == Grouping.EVENT:
        return ("event", registration.event_id) if registration else ("items", 0)
    if grouping == Grouping.REGISTRATION:
        return (type(row).__name__, row.pk)
    raise ValidationError(gettext("Choose how to group the invoices."))


def _sort_key(row):
    """A fixed order, so the result never depends on the order in which rows were picked."""
    if isinstance(row, Registration):
        return (0, row.event.start_date, row.event_id, row.pk)
    return (1, row.date, 0, row.pk)


@dataclass
class DraftGroup:
    """The rows of one invoice to be: a project's registrations and items, grouped; or, grouped
    per billing account, those of several `projects` of one billing account and currency, the
    first of which (`project`, lowest code) the invoice is filed under."""

    project: Project
    rows: list
    po_reference: str = ""
    projects: list[Project] = field(default_factory=list)

    def __post_init__(self):
        if not self.projects:
            self.projects = [self.project]


def grouped(project: Project, rows: list, grouping: str) -> list[DraftGroup]:
    """The invoices a selection makes, in an order that never depends on the selection's."""
    rows = sorted(rows, key=lambda row: (_group_key(grouping, row), _sort_key(row)))
    groups = []
    for key, group in groupby(rows, key=lambda row: _group_key(grouping, row)):
        group = list(group)
        po = (
            key[0]
            if grouping in (Grouping.BILLING_PO, Grouping.PURCHASE_ORDER)
            else _common_po(group)
        )
        groups.append(DraftGroup(project=project, rows=group, po_reference=po))
    return groups


def _common_po(rows) -> str:
    references = {
        (row.purchase_order.number if row.purchase_order_id else row.po_reference) for row in rows
    }
    return references.pop() if len(references) == 1 else ""


def grouped_across(
    projects: Sequence[Project], rows: dict[int, list], grouping: str
) -> list[DraftGroup]:
    """The invoices a selection over several projects makes (`rows`: per project id). Per
    billing account (Grouping.BILLING_ACCOUNT), the rows of every project of one billing account
    and currency make one invoice, projects in code order (its lines say which project);
    otherwise each project's rows are grouped on their own (`grouped`)."""
    projects = sorted((project for project in projects if rows.get(project.pk)), key=_project_key)
    if grouping != Grouping.BILLING_ACCOUNT:
        return [
            group for project in projects for group in grouped(project, rows[project.pk], grouping)
        ]
    together: dict[tuple, list[Project]] = defaultdict(list)
    for project in projects:  # dicts keep their order: accounts in their first project's order
        together[(project.billing_account_id, project.currency)].append(project)
    groups = []
    for members in together.values():
        group_rows = [row for project in members for row in sorted(rows[project.pk], key=_sort_key)]
        groups.append(
            DraftGroup(
                project=members[0],
                rows=group_rows,
                po_reference=_common_po(group_rows),
                projects=members,
            )
        )
    return groups


def _project_key(project: Project):
    return (project.code, project.pk)
