"""Demo data of deposits (issue 14, part 4): a leadership academy of three cohorts, the first run
in November, the others booked for 2027. The customer pays 30 % of its committed value ahead: the
deposit invoice is issued first, then the first cohort's invoice (its places and exam fees),
which deducts part of the deposit from its places; the rest is left for the next cohorts. The
project's invoices tab shows the deposit received, used and left, and what is left under the
academy's maximum billing amount (its committed value), the deposit not deducted yet counted.
Both are issued on the day the demo is built, after the rest of the demo's invoices, so numbers
follow dates."""

import datetime

from accounts.models import Contact
from accounts.platform.money import round_money
from agreements.models import Booking, BookingStatus, Product, ProductKind
from invoicing import services as invoicing
from projects import services
from projects.models import (
    BudgetPolicy,
    EventStatus,
    PrivateEvent,
    Project,
    RegistrationStatus,
)
from projects.selectors import project_totals

COHORTS = (  # (start, learners): the first is delivered, the others are booked for 2027
    (datetime.date(2026, 11, 24), 6),
    (datetime.date(2027, 2, 9), 10),
    (datetime.date(2027, 4, 13), 10),
)


def build(tenant, *, user, rng) -> None:
    booking = (
        Booking.objects.filter(status=BookingStatus.SIGNED, interests__product__kind="course")
        .select_related("account")
        .order_by("number")
        .first()
    )
    if booking is None:
        return
    course = (
        Product.objects.filter(interests__booking=booking, kind=ProductKind.COURSE)
        .order_by("code")
        .first()
    )
    learners = list(Contact.objects.filter(account=booking.account).order_by("pk"))
    if len(learners) < 10:
        return
    project = services.project_save(
        tenant=tenant,
        by=user,
        project=Project(
            name=f"{booking.name}: leadership academy",
            account=booking.account,
            booking=booking,
            start_date=datetime.date(2026, 11, 1),
            end_date=datetime.date(2027, 6, 30),
            manager=user,
            budget_policy=BudgetPolicy.WARNING,
            tags="framework, deposit",
            external_notes="30 % of the academy was invoiced ahead as a deposit; each cohort's "
            "invoice deducts it until it is used.",
        ),
    )
    first = None
    for number, (day, size) in enumerate(COHORTS, start=1):
        delivered = number == 1
        event = services.event_save(
            tenant=tenant,
            by=user,
            event=PrivateEvent(
                project=project,
                product=course,
                title=f"{course.name}: academy cohort {number}",
                start_date=day,
                end_date=day + datetime.timedelta(days=1),
                capacity=12,
                status=EventStatus.DELIVERED if delivered else EventStatus.CONFIRMED,
            ),
        )
        created = services.registrations_add(
            tenant=tenant,
            by=user,
            project=project,
            event=event,
            learners=rng.sample(learners, size),
            requested_date=datetime.date(2026, 10, 15),
            confirm=True,
        )
        services.registrations_set_status(
            tenant=tenant,
            by=user,
            project=project,
            ids=[r.pk for r in created],
            status=RegistrationStatus.DELIVERED if delivered else RegistrationStatus.CONFIRMED,
        )
        if delivered:
            first = created
    exam = Product.objects.filter(kind=ProductKind.FEE, code__startswith="EXAM").order_by("code")
    items = []
    if exam.exists() and project.currency == tenant.base_currency:
        items.append(
            services.item_add(
                tenant=tenant,
                by=user,
                project=project,
                product=exam.first(),
                date=COHORTS[0][0],
                quantity=len(first),
                description="Assessment and certificate, cohort 1",
                confirm=True,
            )
        )
    # The academy's budget: at most its committed value is billed. The invoices tab and the
    # deposit form show what is left under it, the deposit not deducted yet counted.
    project.max_billing_amount = round_money(
        project_totals(project)["ordered_total"], project.currency
    )
    services.project_save(tenant=tenant, by=user, project=project)
    deposit = invoicing.deposit_create(tenant=tenant, by=user, project=project, percent="30")
    invoicing.invoice_issue(tenant=tenant, by=user, invoice=deposit, render_pdf=False)
    (cohort,) = invoicing.drafts_create(
        tenant=tenant,
        by=user,
        project=project,
        registration_ids=[r.pk for r in first],
        item_ids=[item.pk for item in items],
    )
    invoicing.invoice_issue(tenant=tenant, by=user, invoice=cohort, render_pdf=False)
