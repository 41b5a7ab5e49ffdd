"""Demo data of projects: projects in every status with events, a few hundred registrations and
items, one project with sub-projects, one past its booking's committed volume, and a funded
apprenticeship cohort on the VAT-exempt course."""

import datetime
import random
from decimal import Decimal

from accounts import services as account_services
from accounts.models import Account, Contact
from agreements.models import (
    Booking,
    BookingStatus,
    Interest,
    PrepurchaseAgreement,
    Product,
    ProductKind,
)
from projects import services
from projects.models import (
    BudgetPolicy,
    EventStatus,
    PrivateEvent,
    Project,
    ProjectSettings,
    ProjectStatus,
    PurchaseOrder,
    RegistrationStatus,
)

VENUES = [
    "Client site, main campus",
    "Northwind Training Centre, London",
    "Online (Teams)",
    "Hotel conference room, Manchester",
]
TRAINERS = ["Ruth Okafor", "Daniel Frost", "Mei Chen", "Tom Hargreaves", "Ines Duarte"]
FIRST = [
    "Alex",
    "Sam",
    "Jordan",
    "Charlie",
    "Robin",
    "Kim",
    "Lee",
    "Morgan",
    "Jamie",
    "Taylor",
    "Casey",
    "Drew",
    "Ellis",
    "Frankie",
    "Harper",
    "Jesse",
    "Kai",
    "Logan",
    "Noel",
    "Quinn",
]
LAST = [
    "Ahmed",
    "Baker",
    "Cole",
    "Davies",
    "Evans",
    "Foster",
    "Grant",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Murphy",
    "Norris",
    "Owens",
    "Patel",
    "Reid",
    "Shaw",
    "Turner",
]


def build(tenant, *, user, rng: random.Random) -> None:
    bookings = list(
        Booking.objects.filter(status=BookingStatus.SIGNED)
        .select_related("account")
        .order_by("number")
    )
    today = datetime.date(2026, 11, 1)
    _company_policy(tenant, user)
    for index, booking in enumerate(bookings):
        learners = _learners(tenant, user, booking.account, rng, 24)
        courses = list(
            Product.objects.filter(interests__booking=booking, kind=ProductKind.COURSE).order_by(
                "code"
            )
        )
        if not courses:
            continue
        year_one = _project(
            tenant,
            user,
            booking,
            f"{booking.name}: year 1",
            booking.start_date,
            booking.start_date.replace(year=booking.start_date.year + 1)
            - datetime.timedelta(days=1),
        )
        _deliver(tenant, user, year_one, courses, learners, rng, events=4, done=True)
        services.project_set_status(
            tenant=tenant, by=user, project=year_one, status=ProjectStatus.FINISHED
        )
        current = _project(
            tenant,
            user,
            booking,
            f"{booking.name}: year 2",
            year_one.end_date + datetime.timedelta(days=1),
            booking.end_date,
            handling_fee=Decimal("2.5") if index == 0 else None,
        )
        PurchaseOrder.objects.create(
            tenant=tenant,
            project=current,
            number=f"PO-{4500100 + index}",
            value_cap=Decimal("60000"),
        )
        _deliver(tenant, user, current, courses, learners, rng, events=5, done=False, today=today)
        _items(tenant, user, current, rng)
        if index == 1:
            services.project_set_status(
                tenant=tenant, by=user, project=current, status=ProjectStatus.NO_MORE_TRANSACTIONS
            )
        if index == 0:
            _sub_projects(tenant, user, current, courses, learners, rng)
            _event_price(tenant, user, current, learners)
        if index == 2:
            _past_budget(tenant, user, booking, courses, learners, rng)
    _paid_from_prepurchase(tenant, user, rng)
    _exempt_apprenticeship(tenant, user, rng)


def _learners(tenant, user, account, rng, count):

    existing = list(Contact.objects.filter(account=account))
    domain = account.name.split()[0].lower() + ".example"
    while len(existing) < count:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        existing.append(
            account_services.contact_save(
                tenant=tenant,
                by=user,
                contact=Contact(
                    account=account,
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}{len(existing)}@{domain}".lower(),
                    job_title="Learner",
                ),
            )
        )
    return existing


def _project(tenant, user, booking, name, start, end, handling_fee=None, parent=None):
    return services.project_save(
        tenant=tenant,
        by=user,
        project=Project(
            name=name,
            account=booking.account,
            booking=booking,
            start_date=start,
            end_date=end,
            manager=user,
            handling_fee_percent=handling_fee,
            parent=parent,
            budget_policy=BudgetPolicy.WARNING,
            tags="framework",
            external_notes="Please quote the purchase-order number with payment.",
        ),
    )


def _deliver(tenant, user, project, courses, learners, rng, *, events, done, today=None):
    start = project.start_date
    for number in range(events):
        course = courses[number % len(courses)]
        day = start + datetime.timedelta(days=30 + number * 45)
        past = done or (today is not None and day < today)
        event = services.event_save(
            tenant=tenant,
            by=user,
            event=PrivateEvent(
                project=project,
                product=course,
                title=course.name,
                start_date=day,
                end_date=day + datetime.timedelta(days=rng.choice([0, 1, 2])),
                venue=rng.choice(VENUES),
                trainer=rng.choice(TRAINERS),
                capacity=14,
                status=EventStatus.DELIVERED if past else EventStatus.CONFIRMED,
                trainer_fee=Decimal(rng.choice([900, 1200, 1500])),
                venue_cost=Decimal(rng.choice([0, 250, 400])),
                other_cost=Decimal(80),
            ),
        )
        group = rng.sample(learners, rng.randint(8, 12))
        created = services.registrations_add(
            tenant=tenant,
            by=user,
            project=project,
            event=event,
            learners=group,
            requested_date=day - datetime.timedelta(days=21),
            confirm=True,
        )
        status = RegistrationStatus.DELIVERED if past else RegistrationStatus.CONFIRMED
        services.registrations_set_status(
            tenant=tenant, by=user, project=project, ids=[r.pk for r in created], status=status
        )
        if past and rng.random() < 0.4:  # billed per the no-show rule of the terms
            services.registration_mark_no_show(
                tenant=tenant, by=user, registration=created[0], on_date=event.end_date
            )


def _items(tenant, user, project, rng):
    if project.currency != tenant.base_currency:
        return  # the catalogue's item prices are in the base currency only
    for code, quantity in (("MAT-BOOK", 12), ("EXAM-P2F", 6), ("TRAVEL", 1), ("ROOM-DAY", 2)):
        product = Product.objects.filter(code=code).first()
        if product is None:
            continue
        item = services.item_add(
            tenant=tenant,
            by=user,
            project=project,
            product=product,
            date=project.start_date + datetime.timedelta(days=40),
            quantity=quantity,
            confirm=True,
        )
        if code == "TRAVEL":
            services.price_override(
                tenant=tenant,
                by=user,
                row=item,
                unit_price="385.40",
                reason="Rail and one hotel night, receipts attached",
            )


def _sub_projects(tenant, user, parent, courses, learners, rng):
    for site in ("North site", "South site"):
        sub = _project(
            tenant,
            user,
            parent.booking,
            f"{parent.name}: {site}",
            parent.start_date,
            parent.end_date,
            parent=parent,
        )
        _deliver(
            tenant,
            user,
            sub,
            courses,
            learners,
            rng,
            events=2,
            done=False,
            today=datetime.date(2026, 11, 1),
        )


def _past_budget(tenant, user, booking, courses, learners, rng):

    interest = (
        Interest.objects.filter(booking=booking, product__in=courses)
        .order_by("product__code")
        .first()
    )
    interest.committed_quantity = 10
    interest.save(update_fields=["committed_quantity"])
    project = _project(
        tenant,
        user,
        booking,
        f"{booking.name}: extra cohort",
        datetime.date(2026, 9, 1),
        booking.end_date,
    )
    event = services.event_save(
        tenant=tenant,
        by=user,
        event=PrivateEvent(
            project=project,
            product=interest.product,
            title=f"{interest.product.name} (extra)",
            start_date=datetime.date(2026, 12, 7),
            end_date=datetime.date(2026, 12, 8),
            capacity=16,
            status=EventStatus.PLANNED,
            trainer_fee=Decimal(1200),
        ),
    )
    services.registrations_add(
        tenant=tenant,
        by=user,
        project=project,
        event=event,
        learners=learners[:14],
        confirm=True,
        requested_date=datetime.date(2026, 11, 10),
    )


def _paid_from_prepurchase(tenant, user, rng):
    """A project without a booking whose places are paid from the customer's prepurchase fund:
    priced from the fund's price list less its discount (the registrations show "prepurchase"
    and the discount); invoicing turns them into zero-due lines and ledger uses."""
    fund = (
        PrepurchaseAgreement.objects.filter(name="Staff development fund 2026")
        .select_related("account")
        .first()
    )
    if fund is None:
        return
    learners = _learners(tenant, user, fund.account, rng, 12)
    project = services.project_save(
        tenant=tenant,
        by=user,
        project=Project(
            name="Staff development 2026",
            account=fund.account,
            start_date=datetime.date(2026, 1, 1),
            end_date=datetime.date(2026, 12, 31),
            manager=user,
            budget_policy=BudgetPolicy.WARNING,
            tags="prepurchase",
            external_notes="Places paid from the staff development fund.",
        ),
    )
    for code, day in (
        ("LEAD-101", datetime.date(2026, 3, 10)),
        ("COMM-100", datetime.date(2026, 5, 12)),
    ):
        course = Product.objects.get(code=code)
        event = services.event_save(
            tenant=tenant,
            by=user,
            event=PrivateEvent(
                project=project,
                product=course,
                title=course.name,
                start_date=day,
                end_date=day,
                venue=rng.choice(VENUES),
                trainer=rng.choice(TRAINERS),
                capacity=12,
                status=EventStatus.DELIVERED,
                trainer_fee=Decimal(1100),
            ),
        )
        created = services.registrations_add(
            tenant=tenant,
            by=user,
            project=project,
            event=event,
            learners=learners[:6],
            requested_date=day - datetime.timedelta(days=28),
            prepurchase=fund,
            confirm=True,
        )
        services.registrations_set_status(
            tenant=tenant,
            by=user,
            project=project,
            ids=[r.pk for r in created],
            status=RegistrationStatus.DELIVERED,
        )


def _exempt_apprenticeship(tenant, user, rng):
    """Vocational training exempt from VAT (issue 15): a council's funded apprenticeship
    cohort on the exempt course (tax rate EXE), two sessions delivered. Invoicing issues the
    first session's places (their lines print the exemption text) and leaves the second's on a
    draft."""
    course = Product.objects.filter(code="APP-300").first()
    council = Account.objects.filter(name="Crown Borough Council").first()
    if course is None or council is None:
        return
    learners = _learners(tenant, user, council, rng, 12)
    project = services.project_save(
        tenant=tenant,
        by=user,
        project=Project(
            name="Funded apprenticeships 2026",
            account=council,
            start_date=datetime.date(2026, 3, 1),
            end_date=datetime.date(2027, 2, 28),
            currency=tenant.base_currency,
            manager=user,
            budget_policy=BudgetPolicy.WARNING,
            tags="apprenticeship, exempt",
            external_notes="Apprenticeship funding reference APP-2026-0417.",
        ),
    )
    for session, (day, group) in enumerate(
        ((datetime.date(2026, 4, 14), learners[:6]), (datetime.date(2026, 6, 9), learners[6:]))
    ):
        event = services.event_save(
            tenant=tenant,
            by=user,
            event=PrivateEvent(
                project=project,
                product=course,
                title=f"{course.name}: block {session + 1}",
                start_date=day,
                end_date=day + datetime.timedelta(days=2),
                venue=VENUES[1],
                trainer=TRAINERS[session],
                capacity=8,
                status=EventStatus.DELIVERED,
                trainer_fee=Decimal(1500),
                other_cost=Decimal(80),
            ),
        )
        created = services.registrations_add(
            tenant=tenant,
            by=user,
            project=project,
            event=event,
            learners=group,
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


def _company_policy(tenant, user):
    """Issue 14: new projects of the company propose the "Refuse" budget policy (Settings →
    Project settings); the demo's projects keep the policy they were opened with."""
    services.project_settings_save(
        tenant=tenant,
        by=user,
        settings=ProjectSettings(default_budget_policy=BudgetPolicy.DISALLOW),
    )


def _event_price(tenant, user, project, learners):
    """Issue 14: an evening cohort of a course on the booking's price list but not agreed on it,
    run at the event's own price (520, below the list's 585): its places show "event's price"."""
    course = Product.objects.filter(code="DATA-101").first()
    if course is None or project.currency != course.currency:
        return
    services.project_save(
        tenant=tenant,
        by=user,
        project=project,
        product_ids=[*project.products.values_list("product_id", flat=True), course.pk],
    )
    day = datetime.date(2026, 6, 16)
    event = services.event_save(
        tenant=tenant,
        by=user,
        event=PrivateEvent(
            project=project,
            product=course,
            title=f"{course.name} (evening cohort)",
            start_date=day,
            end_date=day,
            venue=VENUES[2],
            trainer=TRAINERS[2],
            capacity=10,
            status=EventStatus.DELIVERED,
            trainer_fee=Decimal(600),
            unit_price=Decimal(520),
        ),
    )
    created = services.registrations_add(
        tenant=tenant,
        by=user,
        project=project,
        event=event,
        learners=learners[-6:],
        requested_date=day - datetime.timedelta(days=21),
        confirm=True,
    )
    services.registrations_set_status(
        tenant=tenant,
        by=user,
        project=project,
        ids=[r.pk for r in created],
        status=RegistrationStatus.DELIVERED,
    )
