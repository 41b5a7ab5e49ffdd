"""Billing claims: what keeps every unit of a registration or item on at most one live invoice
line, enforced by the database, and the rows' `billed_quantity` that follows from them.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import IntegrityError, connection
from django.db.models import DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from accounts.platform.bulk import insert_rows
from invoicing.models import BillingClaim, InvoiceLine
from projects.models import Item, Registration

CLAIM_CONFLICT = (
    "Some of these rows were invoiced by someone else a moment ago; reload the page "
    "and select again."
)
QUANTITY = DecimalField(max_digits=10, decimal_places=2)


def units_of(quantity) -> int:
    """Units a line claims: one per place or unit, a fraction left over takes one more."""
    return max(1, math.ceil(Decimal(quantity)))


def claim(lines: Sequence[InvoiceLine]) -> None:
    """Claim, for each line with a registration or item, as many units of its row as it bills:
    the lowest units not claimed yet. Two people or two runs billing the same rest of a row at
    once: if the first has committed, the second sees the row billed and is refused; if not, both
    pick the same lowest unit and the database's unique constraint refuses the second. Either
    way an IntegrityError, turned into CLAIM_CONFLICT by the caller.

    The lines' own claims must be released first (`release`) when a line is claimed again."""
    sources = [line for line in lines if line.registration_id or line.item_id]
    if not sources:
        return
    registration_ids = {line.registration_id for line in sources if line.registration_id}
    item_ids = {line.item_id for line in sources if line.item_id}
    # What each row has and has billed, as committed: a part billed meanwhile by someone else
    # is seen here (read committed), and one still in flight collides on the unit below. A row
    # split between funders is billed once per payer (`_share`): each share has the row's room.
    room: dict[tuple, Decimal] = {}
    left: dict[tuple[str, int], Decimal] = {}
    size: dict[tuple[str, int], Decimal] = {}
    for model, kind, ids, units_field in (
        (Registration, "r", registration_ids, "places"),
        (Item, "i", item_ids, "quantity"),
    ):
        if ids:
            for pk, total, billed in model.objects.filter(pk__in=ids).values_list(
                "pk", units_field, "billed_quantity"
            ):
                left[(kind, pk)] = Decimal(total) - Decimal(billed)
                size[(kind, pk)] = Decimal(total)
    for line in sources:
        key = _share(line)
        room[key] = room.get(key, left.get(key[:2], Decimal(0))) - Decimal(line.quantity)
        if room[key] < 0:
            raise IntegrityError(CLAIM_CONFLICT)  # more than the row has left: billed meanwhile
    taken: dict[tuple, set[int]] = defaultdict(set)
    holders: dict[tuple, set[int]] = defaultdict(set)
    existing = BillingClaim.objects.filter(
        Q(registration_id__in=registration_ids) | Q(item_id__in=item_ids)
    ).values_list("registration_id", "item_id", "funder_id", "unit", "line_id")
    for registration_id, item_id, funder_id, unit, line_id in existing:
        key = ("r", registration_id, funder_id) if registration_id else ("i", item_id, funder_id)
        taken[key].add(unit)
        holders[key].add(line_id)
    claims = []
    for line in sources:
        key = _share(line)
        used, unit = taken[key], 0
        # The highest unit a row can have: its places (or an item's units, plus one per part
        # already billed, for fractions). A claim committed by someone else between the reads
        # above pushes the lowest free unit past it: refused, never an extra unit.
        highest = units_of(size[key[:2]]) + (len(holders[key]) if key[0] == "i" else 0)
        for _ in range(units_of(line.quantity)):
            unit += 1
            while unit in used:
                unit += 1
            if unit > highest:
                raise IntegrityError(CLAIM_CONFLICT)
            used.add(unit)
            claims.append(
                BillingClaim(
                    tenant_id=line.tenant_id,
                    line_id=line.pk,
                    registration_id=line.registration_id,
                    item_id=line.item_id,
                    funder_id=line.funder_id,
                    unit=unit,
                )
            )
    with connection.wrap_database_errors:  # COPY's UniqueViolation as Django's IntegrityError
        insert_rows(BillingClaim, claims)
    _add_billed(sources)


def _share(line) -> tuple:
    """A line's row and payer: what its claims' units are unique within."""
    funder_id = getattr(line, "funder_id", None)
    if line.registration_id:
        return ("r", line.registration_id, funder_id)
    return ("i", line.item_id, funder_id)


def _add_billed(lines) -> None:
    """Add the claimed lines' quantities to their rows' billed quantity: an increment in the
    database per distinct quantity (a bulk run's places are nearly all 1: one statement). A row
    split between payers is billed once: by the largest of its shares' quantities."""
    per_share: dict[tuple, Decimal] = defaultdict(Decimal)
    for line in lines:
        per_share[_share(line)] += Decimal(line.quantity)
    per_row: dict[tuple[str, int], Decimal] = {}
    for (kind, pk, _funder), quantity in per_share.items():
        per_row[(kind, pk)] = max(per_row.get((kind, pk), Decimal(0)), quantity)
    by_quantity: dict[tuple[type, Decimal], list[int]] = defaultdict(list)
    for (kind, pk), quantity in per_row.items():
        by_quantity[(Registration if kind == "r" else Item, quantity)].append(pk)
    for (model, quantity), ids in by_quantity.items():
        model.objects.filter(pk__in=ids).update(
            billed_quantity=F("billed_quantity") + quantity, invoiced=True
        )


def release(lines: Iterable[InvoiceLine]) -> None:
    """Remove the claims of the lines (credited, deleted or changed): their units are due again."""
    lines = list(lines)
    BillingClaim.objects.filter(line__in=[line.pk for line in lines]).delete()
    _update_billed(
        {line.registration_id for line in lines if line.registration_id},
        {line.item_id for line in lines if line.item_id},
    )


def _update_billed(registration_ids, item_ids) -> None:
    """Set the rows' billed quantity (the quantity of their claimed lines; of a row split between
    payers, its largest share's) in one UPDATE each."""
    for model, ids, field in (
        (Registration, registration_ids, "registration"),
        (Item, item_ids, "item"),
    ):
        if not ids:
            continue
        claimed_lines = (
            InvoiceLine.objects.filter(**{field: OuterRef("pk")})
            .filter(Exists(BillingClaim.objects.filter(line=OuterRef("pk"))))
            .order_by()
            .values(field, "funder")
            .annotate(total=Sum("quantity"))
            .order_by("-total")
            .values("total")[:1]
        )
        model.objects.filter(pk__in=list(ids)).update(
            billed_quantity=Coalesce(
                Subquery(claimed_lines, output_field=QUANTITY), Value(Decimal(0), QUANTITY)
            ),
            invoiced=Exists(BillingClaim.objects.filter(**{field: OuterRef("pk")})),
        )
