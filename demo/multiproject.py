"""Demo data of one invoice across projects (issue 13, part 3): a customer runs two projects
under one framework agreement (an onboarding programme and a sales-coaching programme), billed
to the same account. Their delivered places are invoiced together on ONE invoice (grouping "per
billing account"), each line starting with its project's code; each project's invoices tab,
profitability and the reports show its own part. A third cohort of each, delivered since, waits
on the account's "Ready to invoice across projects" page (its invoices tab links to it)."""

import datetime

from accounts.models import Contact
from accounts.platform.money import round_money
from agreements.models import Booking, BookingStatus, Product, ProductKind
from invoicing import services as invoicing
from invoicing.models import Grouping
from projects import services
from projects.models import (
    BudgetPolicy,
    EventStatus,
    PrivateEvent,
    Project,
    RegistrationStatus,
)
from projects.selectors import project_totals

PROGRAMMES = (  # (name, capped, its cohorts' days: the last waits to be invoiced)
    ("onboarding programme", False, (datetime.date(2026, 10, 6), datetime.date(2026, 11, 17))),
    ("sales coaching", True, (datetime.date(2026, 10, 20), datetime.date(2026, 11, 24))),
)
LEARNERS = 4


def build(tenant, *, user, rng) -> None:
    bookings = Booking.objects.filter(
        status=BookingStatus.SIGNED, interests__product__kind="course"
    ).select_related("account")
    # Another customer than the deposits demo's (the first signed booking): its own story.
    booking = bookings.order_by("number").distinct()[1:2].first()
    if booking is None:
        return
    course = (
        Product.objects.filter(interests__booking=booking, kind=ProductKind.COURSE)
        .order_by("code")
        .first()
    )
    learners = list(Contact.objects.filter(account=booking.account).order_by("pk"))
    if course is None or len(learners) < LEARNERS:
        return
    invoiced, projects = [], []
    for name, capped, days in PROGRAMMES:
        project = services.project_save(
            tenant=tenant,
            by=user,
            project=Project(
                name=f"{booking.name}: {name}",
                account=booking.account,
                booking=booking,
                start_date=datetime.date(2026, 10, 1),
                end_date=datetime.date(2027, 6, 30),
                manager=user,
                budget_policy=BudgetPolicy.WARNING,
                tags="framework, one invoice",
            ),
        )
        projects.append(project)
        for number, day in enumerate(days, start=1):
            places = _cohort(tenant, user, rng, project, course, learners, number, day)
            if number < len(days):
                invoiced.extend(places)
        if capped:  # its budget: its ordered places; the shared invoice checks it on its lines
            project.max_billing_amount = round_money(
                project_totals(project)["ordered_total"], project.currency
            )
            services.project_save(tenant=tenant, by=user, project=project)
    (invoice,) = invoicing.account_drafts_create(
        tenant=tenant,
        by=user,
        billing_account=projects[0].billing_account,
        registration_ids=[r.pk for r in invoiced],
        grouping=Grouping.BILLING_ACCOUNT,
    )
    invoicing.invoice_issue(tenant=tenant, by=user, invoice=invoice, render_pdf=False)


def _cohort(tenant, user, rng, project, course, learners, number, day) -> list:
    event = services.event_save(
        tenant=tenant,
        by=user,
        event=PrivateEvent(
            project=project,
            product=course,
            title=f"{course.name}: {project.name.split(': ')[-1]} cohort {number}",
            start_date=day,
            end_date=day,
            capacity=8,
            status=EventStatus.DELIVERED,
        ),
    )
    created = services.registrations_add(
        tenant=tenant,
        by=user,
        project=project,
        event=event,
        learners=rng.sample(learners, LEARNERS),
        requested_date=day - datetime.timedelta(days=30),
        confirm=True,
    )
    services.registrations_set_status(
        tenant=tenant,
        by=user,
        project=project,
        ids=[r.pk for r in created],
        status=RegistrationStatus.DELIVERED,
    )
    return created
