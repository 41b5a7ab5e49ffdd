"""Demo of a phased programme (issue 13, part 1): the project `PROGRAMME_NAME` on the first
signed framework agreement, in three phases around today:

- *Discovery* (over): billed by milestone; its course ran and was delivered, so its one
  milestone (100 % of the phase budget, due once the phase's events are delivered) is
  invoiced on an issued invoice;
- *Design* (running): billed by milestone; milestone 1 (30 %, due on a date passed) is ready to
  invoice on the project's invoices tab, milestone 2 (70 %) waits for its course;
- *Roll-out* (ahead): invoiced row by row, two cohorts and workbooks, no budget (planned is
  what its rows are priced at).

`programme_project()` finds it, for demos that build on it (a grant funder, issue 13 part 2).
Runs last: its invoice is issued today, after every other demo invoice."""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from agreements import services as agreement_services
from agreements.models import Booking, BookingStatus, Product, ProductKind, TaxRate
from invoicing import services as invoicing
from projects import services
from projects.models import (
    EventStatus,
    Item,
    Milestone,
    MilestoneDue,
    Phase,
    PhaseBilling,
    PrivateEvent,
    Project,
    RegistrationStatus,
)

PROGRAMME_NAME = "Leadership programme (phased)"


def programme_project() -> Project | None:
    return Project.objects.filter(name=PROGRAMME_NAME).first()


def build(tenant, *, user, rng: random.Random) -> None:
    booking = Booking.objects.filter(status=BookingStatus.SIGNED).order_by("number").first()
    if booking is None or programme_project() is not None:
        return
    courses = list(
        Product.objects.filter(interests__booking=booking, kind=ProductKind.COURSE)
        .distinct()
        .order_by("code")[:2]
    )
    contacts = list(booking.account.contacts.order_by("pk")[:4])
    if not courses or len(contacts) < 2:
        return
    today = timezone.localdate()
    start = today - datetime.timedelta(days=90)
    project = services.project_save(
        tenant=tenant,
        by=user,
        project=Project(
            name=PROGRAMME_NAME,
            account=booking.account,
            booking=booking,
            start_date=start,
            end_date=today + datetime.timedelta(days=270),
            manager=user,
            tags="programme",
            internal_notes="A phased programme: phases, milestones and the timeline (Phases tab).",
        ),
    )
    management = _management_product(tenant, user)

    def phase(name, first, last, budget=None, billing=PhaseBilling.BY_MILESTONE):
        return services.phase_save(
            tenant=tenant,
            by=user,
            phase=Phase(
                project=project,
                name=name,
                start_date=today + datetime.timedelta(days=first),
                end_date=today + datetime.timedelta(days=last),
                budget=budget,
                billing_moment=billing,
            ),
        )

    def event(in_phase, course, day, title, status=EventStatus.CONFIRMED):
        when = today + datetime.timedelta(days=day)
        return services.event_save(
            tenant=tenant,
            by=user,
            event=PrivateEvent(
                project=project,
                product=course,
                title=title,
                start_date=when,
                end_date=when + datetime.timedelta(days=1),
                venue="Northwind Training Centre, London",
                trainer="Mei Chen",
                capacity=12,
                status=status,
                phase=in_phase,
            ),
        )

    def milestone(in_phase, name, **fields):
        return services.milestone_save(
            tenant=tenant,
            by=user,
            milestone=Milestone(phase=in_phase, name=name, product=management, **fields),
        )

    discovery = phase("Discovery", -90, -31, Decimal("6000"))
    ran = event(discovery, courses[0], -60, "Discovery workshop")
    places = services.registrations_add(
        tenant=tenant,
        by=user,
        project=project,
        event=ran,
        learners=contacts[:2],
        requested_date=start,
        confirm=True,
    )
    services.registrations_set_status(
        tenant=tenant,
        by=user,
        project=project,
        ids=[place.pk for place in places],
        status=RegistrationStatus.DELIVERED,
    )
    report = milestone(
        discovery, "Discovery report", percent=Decimal("100"), due=MilestoneDue.EVENTS_DELIVERED
    )

    design = phase("Design", -30, 60, Decimal("10000"))
    event(design, courses[-1], 30, "Design sprint")
    milestone(
        design, "Kick-off", percent=Decimal("30"), due_date=today - datetime.timedelta(days=20)
    )
    milestone(design, "Design sign-off", percent=Decimal("70"), due=MilestoneDue.EVENTS_DELIVERED)

    rollout = phase("Roll-out", 61, 270, billing=PhaseBilling.ROWS)
    for number, day in ((1, 90), (2, 180)):
        event(rollout, courses[0], day, f"Roll-out cohort {number}", status=EventStatus.PLANNED)
    services.item_add(
        tenant=tenant,
        by=user,
        project=project,
        product=management,
        date=today + datetime.timedelta(days=90),
        quantity=1,
        description="Roll-out coordination",
        phase=rollout,
        confirm=True,
    )

    # Planned, no events yet: its milestone says it waits for them (not "0 of 0 delivered").
    evaluation = phase("Evaluation", 240, 270, Decimal("2500"))
    milestone(
        evaluation, "Evaluation report", percent=Decimal("100"), due=MilestoneDue.EVENTS_DELIVERED
    )
    # An event in no phase: the timeline lists it under "Not in a phase".
    event(None, courses[0], -80, "Programme launch briefing", status=EventStatus.DELIVERED)

    item = Item.objects.get(milestone=report)
    (draft,) = invoicing.drafts_create(tenant=tenant, by=user, project=project, item_ids=[item.pk])
    invoicing.invoice_issue(tenant=tenant, by=user, invoice=draft, render_pdf=False)


def _management_product(tenant, user) -> Product:
    """What milestones are billed as: programme management, a service at the standard rate."""
    existing = Product.objects.filter(code="PROG-MGMT").first()
    if existing is not None:
        return existing
    return agreement_services.product_save(
        tenant=tenant,
        by=user,
        product=Product(
            tenant=tenant,
            code="PROG-MGMT",
            name="Programme management",
            kind=ProductKind.ITEM,
            currency=tenant.base_currency,
            default_price=Decimal("750"),
            tax_rate=TaxRate.objects.filter(code="STD").first(),
        ),
    )
