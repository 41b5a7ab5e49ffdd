"""The vocabulary of billing a project's rows: one definition each, used by every page, report,
export, bulk run and service (DESIGN.md, "One vocabulary for money").

- **Which rows can be invoiced**, and why a row cannot: `row_problem` for one row,
  `invoiceable_registrations` / `invoiceable_items` (a `Q`) for querysets, both built from the
  same constants. The **billing moment** decides: the project's, else the product's (catalogue,
  default *on delivery*). A registration is invoiceable once requested (*on booking*), once
  confirmed (*on confirmation*) or once delivered (*on delivery*); an item, when billable,
  at once, or from its date on (*on delivery*). A fee left by a late cancellation or a no-show
  is due at once. Either only for the part of its quantity not yet on a live invoice line
  (`due_units`), so a block of places can be billed in parts. A phase billed **by milestone**
  has its registrations and items invoiced through its milestones only; a milestone's item is
  due when its milestone is (its date is reached, or every event of its phase is delivered),
  whatever its date or billing moment (issue 13). A template project is never invoiced.
- **Delivery date**: a registration is delivered on its event's *end* date, an item on its
  date. Bulk-run windows, recognition on delivery, work in progress and monthly reports use it.
- **When an event's cost is recognised**: once the event is marked delivered, or once it has
  ended (its end date is before today) and was not cancelled. So marking every place delivered
  after the course never leaves the project page and the report apart, and a course that ran but
  was never marked still shows its cost.
- **Cost of a place**: the unit cost of delivered places and of no-shows (the seat was held);
  the cost of an item: its unit cost times its quantity.

`billed_quantity` on a row is kept by invoicing (the quantity on live invoice lines); it only
decides what is still due, never a money figure: invoiced amounts come from issued invoices.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Case, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, When
from django.utils import timezone

from agreements.models import BillingMoment
from projects.models import (
    EventStatus,
    Item,
    Milestone,
    MilestoneDue,
    PhaseBilling,
    PrivateEvent,
    Project,
    ProjectStatus,
    ProjectType,
    Registration,
    RegistrationStatus,
)

MONEY = DecimalField(max_digits=16, decimal_places=3)

# Places the customer asked for and still wants: what "ordered" and budgets count.
ORDERED_STATUSES = (
    RegistrationStatus.REQUESTED,
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.DELIVERED,
)
# Places whose unit cost is incurred: delivered, and no-shows (the seat was held for them).
COSTED_STATUSES = (RegistrationStatus.DELIVERED, RegistrationStatus.NO_SHOW)
# Delivery-date field of each kind of row, for querysets.
REGISTRATION_DELIVERY = "event__end_date"
ITEM_DELIVERY = "date"


# --- Quantities ---------------------------------------------------------------------------------


def units(row: Registration | Item) -> Decimal:
    """How much of a row there is to bill: a registration's places, an item's quantity."""
    return Decimal(row.places if isinstance(row, Registration) else row.quantity)


def due_units(row: Registration | Item) -> Decimal:
    """The part of a row not yet on a live invoice line."""
    return units(row) - Decimal(row.billed_quantity)


def delivery_date(row: Registration | Item) -> datetime.date:
    return row.event.end_date if isinstance(row, Registration) else row.date


# --- Which rows can be invoiced -----------------------------------------------------------------


def project_problem(
    project: Project, *, include_internal: bool = True, skip_no_more_transactions: bool = False
) -> str | None:
    """Why nothing of a project can be invoiced now, or None. A bulk run may also leave out
    projects that take no more transactions (`skip_no_more_transactions`, issue 13 part 6)."""
    if project.do_not_invoice:
        return "the project is marked “do not invoice”"
    if project.is_template:
        return "the project is a template"
    if project.status == ProjectStatus.FINISHED:
        return "the project is finished"
    if project.project_type == ProjectType.INTERNAL and not include_internal:
        return "the project is internal"
    if skip_no_more_transactions and project.status == ProjectStatus.NO_MORE_TRANSACTIONS:
        return "the project takes no more transactions and the run leaves those out"
    return None


# Registration statuses each billing moment invoices.
BILLED_STATUSES = {
    BillingMoment.ON_BOOKING: (
        RegistrationStatus.REQUESTED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.DELIVERED,
    ),
    BillingMoment.ON_CONFIRMATION: (RegistrationStatus.CONFIRMED, RegistrationStatus.DELIVERED),
    BillingMoment.ON_DELIVERY: (RegistrationStatus.DELIVERED,),
}


def billing_moment(row: Registration | Item, project: Project) -> str:
    """The moment a row may be invoiced: the project's override, else its product's."""
    if project.billing_moment:
        return project.billing_moment
    product = row.event.product if isinstance(row, Registration) else row.product
    return product.billing_moment


def row_problem(
    row: Registration | Item, project: Project, today: datetime.date | None = None
) -> str | None:
    """Why a registration or item cannot be invoiced now, or None if (some of) it can."""
    problem = project_problem(project)
    if problem:
        return problem
    today = today or timezone.localdate()
    phase = row.event.phase if isinstance(row, Registration) else row.phase
    if isinstance(row, Item) and row.milestone_id:
        problem = milestone_problem(row.milestone, today)
        if problem:
            return problem
    elif phase is not None and phase.by_milestone:
        return f"it is billed by the milestones of phase {phase.name}"
    elif isinstance(row, Registration):
        moment = billing_moment(row, project)
        if row.status not in BILLED_STATUSES[moment]:
            return (
                f"it is {row.get_status_display().lower()}; {_whose(row, project)} places are "
                f"invoiced {BillingMoment(moment).label.lower()}"
            )
    elif not row.billable:
        return "the item is not billable"
    elif (
        not row.fee_kind
        and billing_moment(row, project) == BillingMoment.ON_DELIVERY
        and row.date > today
    ):
        return (
            f"it is delivered on {row.date:%d %b %Y}; {_whose(row, project)} items are "
            "invoiced on delivery"
        )
    if due_units(row) <= 0:
        return "it is on an invoice already"
    return None


def milestone_problem(milestone: Milestone, today: datetime.date) -> str | None:
    """Why a milestone is not due yet, or None (`milestone_due` is the same rule as a `Q`)."""
    phase = milestone.phase
    if milestone.due == MilestoneDue.ON_DATE:
        if milestone.due_date > today:
            return (
                f"milestone {milestone.number} of phase {phase.name} is due on "
                f"{milestone.due_date:%d %b %Y}"
            )
        return None
    statuses = list(
        PrivateEvent.objects.filter(phase=phase)
        .exclude(status=EventStatus.CANCELLED)
        .values_list("status", flat=True)
    )
    if not statuses:
        return (
            f"milestone {milestone.number} of phase {phase.name} is waiting: the phase has no "
            "events yet"
        )
    delivered = statuses.count(EventStatus.DELIVERED)
    if delivered < len(statuses):
        return (
            f"milestone {milestone.number} of phase {phase.name} is due once the phase's events "
            f"are delivered ({delivered} of {len(statuses)} delivered)"
        )
    return None


def milestone_due(today: datetime.date, prefix: str = "milestone__") -> Q:
    """Milestones (reached through `prefix`) whose due condition holds: their date is reached,
    or their phase has events and every one not cancelled is delivered."""
    events = PrivateEvent.objects.filter(phase=OuterRef(f"{prefix}phase")).exclude(
        status=EventStatus.CANCELLED
    )
    return Q(**{f"{prefix}due": MilestoneDue.ON_DATE, f"{prefix}due_date__lte": today}) | (
        Q(**{f"{prefix}due": MilestoneDue.EVENTS_DELIVERED})
        & Exists(events.filter(status=EventStatus.DELIVERED))
        & ~Exists(events.exclude(status=EventStatus.DELIVERED))
    )


def _whose(row: Registration | Item, project: Project) -> str:
    if project.billing_moment:
        return "the project's"
    product = row.event.product if isinstance(row, Registration) else row.product
    return f"{product.code}'s"


def _moment_in(moments, product: str) -> Q:
    """Rows whose billing moment (the project's, else their product's) is one of `moments`."""
    return Q(project__billing_moment__in=moments) | Q(
        project__billing_moment="", **{f"{product}__billing_moment__in": moments}
    )


def invoiceable_registrations() -> Q:
    """`row_problem`'s row rules for a Registration queryset (project rules: `project_problem`)."""
    by_status = Q(status=RegistrationStatus.DELIVERED)
    for status in (RegistrationStatus.CONFIRMED, RegistrationStatus.REQUESTED):
        moments = [moment for moment, statuses in BILLED_STATUSES.items() if status in statuses]
        by_status |= Q(status=status) & _moment_in(moments, "event__product")
    by_milestone = Q(event__phase__billing_moment=PhaseBilling.BY_MILESTONE)
    return by_status & Q(billed_quantity__lt=F("places")) & ~by_milestone


def invoiceable_items(today: datetime.date | None = None) -> Q:
    """`row_problem`'s row rules for an Item queryset (project rules: `project_problem`)."""
    today = today or timezone.localdate()
    due = (
        Q(date__lte=today)
        | ~Q(fee_kind="")
        | _moment_in([BillingMoment.ON_BOOKING, BillingMoment.ON_CONFIRMATION], "product")
    )
    ordinary = Q(milestone__isnull=True) & due & ~Q(phase__billing_moment=PhaseBilling.BY_MILESTONE)
    milestone = Q(milestone__isnull=False) & milestone_due(today)
    return Q(billable=True, billed_quantity__lt=F("quantity")) & (ordinary | milestone)


# --- Delivery and cost --------------------------------------------------------------------------


def delivered_registrations() -> Q:
    return Q(status=RegistrationStatus.DELIVERED)


def earned_registrations() -> Q:
    """Places whose price is earned: delivered ones, and no-shows billed as the place itself (the
    terms' no-show fee is 100 % and the place was invoiced: `projects.services.cancellations`
    keeps that invoice). Other no-shows and late cancellations earn their fee item instead."""
    return Q(status=RegistrationStatus.DELIVERED) | Q(
        status=RegistrationStatus.NO_SHOW, invoiced=True
    )


def charged_registrations() -> Q:
    """Places whose price the customer is charged (budgets, purchase orders): not cancelled, and
    not settled by a fee (a no-show or cancellation fee is an item, charged in their place)."""
    return ~Q(status=RegistrationStatus.CANCELLED) & ~Q(
        Exists(Item.objects.filter(fee_for=OuterRef("pk")))
    )


def costed_registrations() -> Q:
    return Q(status__in=COSTED_STATUSES)


def event_cost_recognised(today: datetime.date | None = None, prefix: str = "") -> Q:
    """Events whose delivery cost counts: marked delivered, or ended and not cancelled."""
    today = today or timezone.localdate()
    return Q(**{f"{prefix}status": EventStatus.DELIVERED}) | (
        Q(**{f"{prefix}end_date__lt": today}) & ~Q(**{f"{prefix}status": EventStatus.CANCELLED})
    )


def is_event_cost_recognised(event, today: datetime.date | None = None) -> bool:
    today = today or timezone.localdate()
    return event.status == EventStatus.DELIVERED or (
        event.end_date < today and event.status != EventStatus.CANCELLED
    )


def due_value(units_field: str) -> Case:
    """The net amount of a row's part not yet on a live invoice line (draft or issued): what a
    bulk run would still bill of it."""
    return Case(
        When(billed_quantity=0, then=F("net_amount")),
        default=ExpressionWrapper(
            F("net_amount") * (F(units_field) - F("billed_quantity")) / F(units_field),
            output_field=MONEY,
        ),
        output_field=MONEY,
    )


def unit_costs(units_field: str) -> ExpressionWrapper:
    return ExpressionWrapper(F("unit_cost") * F(units_field), output_field=MONEY)
