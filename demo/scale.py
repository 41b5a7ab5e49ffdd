"""A large tenant for load tests (`manage.py seed_scale`, issue 18): thousands of accounts and
projects, tens of thousands of events and registrations, and invoices issued by the real bulk
runs.

The catalogue rows are few and made one by one; the many rows (accounts, contacts, projects,
events, registrations) are written with `bulk_create` in batches, inside the tenant's scope, so
on PostgreSQL row-level security checks every one. Their numbers come from the same counters
the services use (`accounts.platform.sequences`), taken in blocks, so a row created on a page
afterwards gets the next number. The invoices are made by `invoicing.services`' bulk runs
(drafting and issuing, PDFs left to be rendered on first download), grouped per event: the
same code path a finance user takes, so their claims, snapshots and totals are real.
"""

from __future__ import annotations

import datetime
import random
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from accounts.models import Account, Contact
from accounts.platform.money import line_net
from accounts.platform.sequences import next_numbers
from accounts.services import ACCOUNT_NUMBER_START
from agreements.models import Product, ProductKind, TaxRate
from invoicing import services as invoicing
from invoicing.models import Grouping, InvoiceRun, RunStatus
from projects.models import (
    EventStatus,
    PrivateEvent,
    Project,
    Registration,
    RegistrationStatus,
)
from projects.services import PROJECT_NUMBER_START

BATCH = 5_000

COURSES = [
    ("LEAD-101", "Leadership essentials", Decimal("1450.00"), Decimal("520.00")),
    ("FTM-201", "First-time manager", Decimal("1180.00"), Decimal("410.00")),
    ("AGILE-110", "Agile delivery", Decimal("990.00"), Decimal("300.00")),
    ("DATA-120", "Data literacy", Decimal("860.00"), Decimal("260.00")),
    ("COACH-300", "Coaching conversations", Decimal("1620.00"), Decimal("640.00")),
    ("PRES-105", "Presenting with impact", Decimal("720.00"), Decimal("210.00")),
]
FIRST = [
    "Ada",
    "Ben",
    "Cara",
    "Dev",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivo",
    "Jon",
    "Kai",
    "Lea",
    "Mo",
    "Nia",
    "Oz",
    "Pia",
    "Raj",
    "Sol",
    "Tom",
    "Uma",
]
LAST = [
    "Adams",
    "Baker",
    "Clarke",
    "Dixon",
    "Evans",
    "Fraser",
    "Grant",
    "Hughes",
    "Irving",
    "Jones",
    "Khan",
    "Lewis",
]
TOWNS = ["Leeds", "Bristol", "Glasgow", "Cardiff", "York", "Norwich", "Derby", "Bath"]


@dataclass(frozen=True)
class Sizes:
    accounts: int = 2_000
    contacts: int = 10_000
    projects: int = 1_000
    events: int = 23_000
    registrations: int = 97_000
    invoices: int = 21_000
    largest_project: int = 5_000  # registrations of them on one project (its registrations tab)


def build(tenant, *, user, sizes: Sizes, today: datetime.date, log=print, seed: int = 7) -> None:
    """Fill `tenant` (empty, active scope) with `sizes` rows; `log` hears the progress."""
    rng = random.Random(seed)
    started = time.perf_counter()

    def step(message):
        log(f"{time.perf_counter() - started:7.1f} s  {message}")

    courses = _catalogue(tenant)
    accounts = _accounts(tenant, sizes.accounts, rng)
    step(f"{len(accounts):,} accounts")
    contacts = _contacts(tenant, accounts, sizes.contacts, rng)
    step(f"{sizes.contacts:,} contacts")
    projects = _projects(tenant, accounts, sizes.projects, today, rng)
    step(f"{len(projects):,} projects")
    events = _events(tenant, projects, courses, sizes.events, today, rng)
    step(f"{len(events):,} events")
    count = _registrations(
        tenant, events, contacts, sizes.registrations, sizes.largest_project, today, rng
    )
    step(f"{count:,} registrations")
    _analyse()
    invoices = _invoice(tenant, user, events, sizes.invoices, today)
    step(f"{invoices:,} invoices issued")
    _analyse()  # again: the invoices, their lines and claims are new too


def _catalogue(tenant) -> list[Product]:
    tax = TaxRate.objects.create(tenant=tenant, code="STD", name="Standard", percent=Decimal(20))
    return [
        Product.objects.create(
            tenant=tenant,
            code=code,
            name=name,
            kind=ProductKind.COURSE,
            default_price=price,
            currency=tenant.base_currency,
            unit_cost=cost,
            tax_rate=tax,
        )
        for code, name, price, cost in COURSES
    ]


def _numbers(tenant, key: str, count: int, start: int) -> list[int]:
    with transaction.atomic():
        return next_numbers(tenant=tenant, key=key, count=count, start=start)


def _accounts(tenant, count: int, rng) -> list[Account]:
    numbers = _numbers(tenant, "account", count, ACCOUNT_NUMBER_START)
    rows = [
        Account(
            tenant=tenant,
            number=number,
            name=f"{rng.choice(LAST)} {rng.choice(['Health', 'Bank', 'Council', 'Foods'])} "
            f"{number}",
            address=f"{rng.randint(1, 200)} High Street",
            postal_code=f"LS{rng.randint(1, 28)} {rng.randint(1, 9)}AB",
            city=rng.choice(TOWNS),
            country="GB",
            email=f"accounts{number}@customer.example",
        )
        for number in numbers
    ]
    return Account.objects.bulk_create(rows, batch_size=BATCH)


def _contacts(tenant, accounts, count: int, rng) -> dict[int, list[Contact]]:
    rows = [
        Contact(
            tenant=tenant,
            account=accounts[n % len(accounts)],
            first_name=rng.choice(FIRST),
            last_name=f"{rng.choice(LAST)}-{n}",
            email=f"learner{n}@customer.example",
        )
        for n in range(count)
    ]
    by_account: dict[int, list[Contact]] = {}
    for contact in Contact.objects.bulk_create(rows, batch_size=BATCH):
        by_account.setdefault(contact.account_id, []).append(contact)
    return by_account


def _projects(tenant, accounts, count: int, today, rng) -> list[Project]:
    numbers = _numbers(tenant, "project", count, PROJECT_NUMBER_START)
    rows = []
    for n, number in enumerate(numbers):
        account = accounts[n % len(accounts)]
        start = today - datetime.timedelta(days=rng.randint(60, 1000))
        rows.append(
            Project(
                tenant=tenant,
                code=f"PR-{number}",
                name=f"{account.name.split()[0]} programme {number}",
                account=account,
                billing_account=account,
                currency=tenant.base_currency,
                start_date=start,
                end_date=start + datetime.timedelta(days=3 * 365),
            )
        )
    return Project.objects.bulk_create(rows, batch_size=BATCH)


def _events(tenant, projects, courses, count: int, today, rng) -> list[PrivateEvent]:
    rows = []
    for n in range(count):
        project = projects[n % len(projects)]
        course = courses[n % len(courses)]
        span = (today - project.start_date).days + 30  # a few are still to come
        start = project.start_date + datetime.timedelta(days=rng.randint(0, span))
        end = start + datetime.timedelta(days=rng.choice([0, 1, 1, 2]))
        rows.append(
            PrivateEvent(
                tenant=tenant,
                project=project,
                product=course,
                title=f"{course.name} — {rng.choice(TOWNS)} cohort {n}",
                start_date=start,
                end_date=end,
                status=EventStatus.DELIVERED if end < today else EventStatus.CONFIRMED,
            )
        )
    return PrivateEvent.objects.bulk_create(rows, batch_size=BATCH)


def _registrations(tenant, events, contacts, count: int, largest: int, today, rng) -> int:
    """`count` registrations spread over the events, the first `largest` of them on the
    events of the first project (a programme with thousands of learners)."""
    prices = {course: course.default_price for course in {event.product for event in events}}
    first_project = [event for event in events if event.project_id == events[0].project_id]
    written = 0
    batch = []
    for n in range(count):
        event = first_project[n % len(first_project)] if n < largest else events[n % len(events)]
        learners = contacts.get(event.project.account_id) or [None]
        learner = learners[(n // len(events)) % len(learners)]
        price = prices[event.product]
        discount = Decimal(rng.choice([0, 0, 5, 10]))
        batch.append(
            Registration(
                tenant=tenant,
                project=event.project,
                event=event,
                learner=learner,
                requested_date=event.start_date - datetime.timedelta(days=30),
                status=RegistrationStatus.DELIVERED
                if event.end_date < today
                else RegistrationStatus.CONFIRMED,
                unit_price=price,
                unit_cost=event.product.unit_cost,
                discount_percent=discount,
                net_amount=line_net(1, price, discount, tenant.base_currency),
                price_source="price_list",
            )
        )
        if len(batch) == BATCH:
            Registration.objects.bulk_create(batch)
            written, batch = written + len(batch), []
    Registration.objects.bulk_create(batch)
    return written + len(batch)


def _analyse() -> None:
    """Planner statistics, as autovacuum would have gathered by the time anyone invoices."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _invoice(tenant, user, events, count: int, today) -> int:
    """Issue `count` invoices (or as many as there are delivered events), one per delivered
    event, oldest first, with one bulk run."""
    delivered = sorted(event.end_date for event in events if event.end_date < today)
    if not delivered or count <= 0:
        return 0
    return _run(tenant, user, date_to=delivered[min(count, len(delivered)) - 1])


def _run(tenant, user, *, date_to: datetime.date) -> int:
    # The run's row as `run_start` makes it, without queueing its task: the seed works the run
    # itself, in this process, so that it is finished when the command returns.
    run = InvoiceRun.objects.create(
        tenant=tenant,
        key=f"seed-scale-{uuid.uuid4().hex}",
        created_by=user,
        selection={"date_to": date_to.isoformat()},
        grouping=Grouping.EVENT,
    )
    invoicing.run_draft(tenant=tenant, run=run)
    InvoiceRun.objects.filter(pk=run.pk).update(status=RunStatus.ISSUING)
    invoicing.run_issue(tenant=tenant, run=InvoiceRun.objects.get(pk=run.pk), render_pdfs=False)
    run.refresh_from_db()
    return run.invoices_issued
