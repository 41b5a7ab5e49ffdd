"""Demo rows of the cancellation terms at work (issue 14): on the first framework agreement's
current project, a course that starts nine days after the demo is built, with three confirmed
places: one cancelled that day (the 7 to 14 days band: a late cancellation fee of 50 %, ready to
invoice) and one handed to a colleague for free. No-shows billed by the terms come from
`projects`. Runs after `projects`, before `invoicing` (which bills the fee with the rest)."""

import datetime
import random

from django.utils import timezone

from agreements.models import Booking, BookingStatus, Product, ProductKind
from projects import services
from projects.models import EventStatus, PrivateEvent, Project, RegistrationStatus


def build(tenant, *, user, rng: random.Random) -> None:
    booking = Booking.objects.filter(status=BookingStatus.SIGNED).order_by("number").first()
    project = (
        Project.objects.filter(booking=booking, status="active", parent=None)
        .order_by("-start_date")
        .first()
    )
    course = (
        Product.objects.filter(interests__booking=booking, kind=ProductKind.COURSE)
        .order_by("code")
        .first()
    )
    contacts = list(project.account.contacts.order_by("pk")[:4]) if project else []
    if project is None or course is None or len(contacts) < 4:
        return
    today = timezone.localdate()
    start = today + datetime.timedelta(days=9)
    event = services.event_save(
        tenant=tenant,
        by=user,
        event=PrivateEvent(
            project=project,
            product=course,
            title=f"{course.name}: extra cohort",
            start_date=start,
            end_date=start,
            venue="Northwind Training Centre, London",
            trainer="Mei Chen",
            capacity=12,
            status=EventStatus.CONFIRMED,
        ),
    )
    places = services.registrations_add(
        tenant=tenant,
        by=user,
        project=project,
        event=event,
        learners=contacts[:3],
        requested_date=today - datetime.timedelta(days=30),
        confirm=True,
    )
    services.registrations_set_status(
        tenant=tenant,
        by=user,
        project=project,
        ids=[place.pk for place in places],
        status=RegistrationStatus.CONFIRMED,
    )
    # Cancelled nine days before the start: the company's band of 7 to 14 days, 50 %.
    services.registration_cancel(tenant=tenant, by=user, registration=places[0])
    # Handed to a colleague before the free-transfer deadline.
    services.registration_transfer(
        tenant=tenant, by=user, registration=places[1], learner=contacts[3]
    )
