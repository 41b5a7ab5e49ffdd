"""Demo data of funding sources (issue 13, part 2): a phased skills programme that a regional
skills fund pays 40 % of, up to a cap, with a 2 % administration fee. Its first two phases are
delivered and invoiced: each phase is two invoices, one to the fund for its 40 % (and its fee),
one to the customer for the rest. The third phase is booked for 2027; the project's Funders tab
shows what the fund has paid and what is left under its cap for it (the fund's cap runs out
during that phase: what it cannot pay falls to the customer), and an internal learning budget
that pays a quarter of the third phase's lines off the customer's invoice."""

import datetime
from decimal import Decimal

from accounts import services as account_services
from accounts.models import Account, AccountKind, Contact
from accounts.platform.money import round_money
from agreements.models import Booking, BookingStatus, Product, ProductKind
from demo.accounts import _legal
from invoicing import services as invoicing
from projects import services
from projects.models import (
    BudgetPolicy,
    EventStatus,
    FunderKind,
    PrivateEvent,
    Project,
    ProjectFunder,
    RegistrationStatus,
)
from projects.selectors import project_totals

FUNDS = {  # the fund of each demo company's country, and where it sits
    "GB": ("Regional Skills Fund", "Manchester"),
    "FR": ("Fonds régional pour la formation", "Lyon"),
}
PHASES = (  # (title, start, delivered)
    ("Phase 1: foundations", datetime.date(2026, 9, 15), True),
    ("Phase 2: practice", datetime.date(2026, 10, 20), True),
    ("Phase 3: assessment", datetime.date(2027, 1, 19), False),
)
LEARNERS = 6


def build(tenant, *, user, rng) -> None:
    fund_spec = FUNDS.get(tenant.country)
    booking = (
        Booking.objects.filter(status=BookingStatus.SIGNED, interests__product__kind="course")
        .select_related("account")
        .order_by("-number")
        .first()
    )
    if fund_spec is None or booking is None:
        return
    course = (
        Product.objects.filter(interests__booking=booking, kind=ProductKind.COURSE)
        .order_by("code")
        .first()
    )
    learners = list(Contact.objects.filter(account=booking.account).order_by("pk"))
    if len(learners) < LEARNERS:
        return
    name, city = fund_spec
    fund = account_services.account_save(
        tenant=tenant,
        by=user,
        account=Account(
            name=name,
            kind=AccountKind.ORGANISATION,
            tags="funder",
            **_legal(name, city, tenant.country),
        ),
    )
    # The fund's grants officer: its first contact, so its primary one.
    account_services.contact_save(
        tenant=tenant,
        by=user,
        contact=Contact(
            account=fund,
            first_name="Grace",
            last_name="Okoye",
            email=f"grants@{fund.invoice_email.partition('@')[2]}",
            job_title="Grants officer",
        ),
    )
    project = services.project_save(
        tenant=tenant,
        by=user,
        project=Project(
            name=f"{booking.name}: skills programme (grant funded)",
            account=booking.account,
            booking=booking,
            start_date=PHASES[0][1],
            end_date=datetime.date(2027, 3, 31),
            manager=user,
            budget_policy=BudgetPolicy.WARNING,
            tags="programme, grant",
            external_notes=f"Part-funded by {name} (grant reference RSF-2026-118).",
        ),
    )
    for title, day, delivered in PHASES:
        event = services.event_save(
            tenant=tenant,
            by=user,
            event=PrivateEvent(
                project=project,
                product=course,
                title=f"{course.name}: {title.lower()}",
                start_date=day,
                end_date=day + datetime.timedelta(days=1),
                capacity=LEARNERS + 2,
                status=EventStatus.DELIVERED if delivered else EventStatus.CONFIRMED,
            ),
        )
        created = services.registrations_add(
            tenant=tenant,
            by=user,
            project=project,
            event=event,
            learners=rng.sample(learners, LEARNERS),
            requested_date=PHASES[0][1] - datetime.timedelta(days=30),
            confirm=True,
        )
        services.registrations_set_status(
            tenant=tenant,
            by=user,
            project=project,
            ids=[r.pk for r in created],
            status=RegistrationStatus.DELIVERED if delivered else RegistrationStatus.CONFIRMED,
        )
    # The fund pays 40 % of the programme, up to a cap a little under 40 % of its value: the
    # third phase spends the rest of it, and the customer pays what the fund cannot.
    value = project_totals(project)["ordered_total"]
    services.funder_save(
        tenant=tenant,
        by=user,
        funder=ProjectFunder(
            project=project,
            kind=FunderKind.GRANT,
            name=name,
            account=fund,
            priority=1,
            percent=Decimal(40),
            cap=round_money(value * Decimal("0.32"), project.currency),
            admin_fee_percent=Decimal(2),
        ),
    )
    delivered = PrivateEvent.objects.filter(project=project, status=EventStatus.DELIVERED)
    for event in delivered.order_by("start_date"):
        drafts = invoicing.drafts_create(
            tenant=tenant,
            by=user,
            project=project,
            registration_ids=list(event.registrations.values_list("pk", flat=True)),
        )
        for draft in drafts:  # the fund's invoice and the customer's
            invoicing.invoice_issue(tenant=tenant, by=user, invoice=draft, render_pdf=False)
    # From the third phase on, the customer's own learning budget pays a quarter of each line
    # after the fund: nobody is invoiced for it, the customer's invoice takes it off as a
    # "paid from internal budget" line (the Funders tab shows what it has covered).
    services.funder_save(
        tenant=tenant,
        by=user,
        funder=ProjectFunder(
            project=project,
            kind=FunderKind.INTERNAL,
            name="Learning and development budget",
            priority=2,
            percent=Decimal(25),
        ),
    )
