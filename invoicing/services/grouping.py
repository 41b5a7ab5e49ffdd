"""How a selection of rows is cut into invoices (one, per event, per purchase order, per
registration), in an order that never depends on the selection's.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    if grouping in (Grouping.ALL, Grouping.PROJECT):
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
    """The rows of one invoice to be: a project's registrations and items, grouped."""

    project: Project
    rows: list
    po_reference: str = ""


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
