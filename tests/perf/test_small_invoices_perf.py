"""Benchmark of a bulk run of small invoices, run on purpose (`DATABASE_URL=postgres://… make
bench`).

A bulk run over 3,000 projects of 3 delivered registrations each, grouped per project: 3,000
invoices of 3 lines (drafting plus issuing, PDFs apart). Invoices per second for drafting,
issuing and both; target: at least 500 invoices/s for both. Where
tests/perf/test_invoicing_perf.py measures the cost per row (few large invoices), this measures
the cost per invoice.

Each repetition invoices its own region's projects (the run's region selection), so every run
starts from the same state with no rollback; the figures are medians over the repetitions, with
the yardstick (`bulk_create`'s rows/s on this machine) measured in the same run. Nothing asserts
on time (the machine is shared and noisy).
"""

import datetime
import itertools
import statistics
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Account, Contact, Region
from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import Grouping, InvoiceRun
from invoicing.services import runs
from projects.models import Project
from tests.factories import ProductFactory, TaxRateFactory
from tests.perf.test_invoicing_perf import (
    analyze_like_autovacuum,
    deliver_a_cohort_each,
    write_rates,
)

PROJECTS, PER_PROJECT, ACCOUNTS, REPEATS = 3000, 3, 300, 3
COUNTED = 200  # projects of the (smaller) run whose queries are counted, apart from the timings
ACCOUNT_NUMBERS = itertools.count(900_000)


def build_region(tenant, course, name: str, projects: int, accounts: int) -> Region:
    """`projects` projects of `PER_PROJECT` delivered registrations in a region of their own,
    spread over `accounts` billing accounts (each with a primary contact), all bulk-written."""
    region = Region.objects.create(tenant=tenant, name=name)
    customers = Account.objects.bulk_create(
        [
            Account(
                tenant=tenant,
                number=next(ACCOUNT_NUMBERS),
                name=f"{name} customer {n:04d} Ltd",
                city="London",
                country="GB",
                region=region,
            )
            for n in range(accounts)
        ]
    )
    Contact.objects.bulk_create(
        [
            Contact(
                tenant=tenant,
                account=account,
                first_name="Pat",
                last_name=f"Buyer {account.number}",
                email=f"buyer{account.number}@example.com",
                is_primary=True,
            )
            for account in customers
        ]
    )
    learners = Contact.objects.bulk_create(
        [
            Contact(
                tenant=tenant,
                account=customers[0],
                first_name="Ada",
                last_name=f"{name} learner {n}",
            )
            for n in range(PER_PROJECT)
        ]
    )
    rows = Project.objects.bulk_create(
        [
            Project(
                tenant=tenant,
                code=f"{region.pk}-{n:05d}",
                name=f"{name} project {n}",
                account=customers[n % accounts],
                billing_account=customers[n % accounts],
                region=region,
                currency="EUR",
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            )
            for n in range(projects)
        ]
    )
    deliver_a_cohort_each(tenant, rows, course, learners)
    return region


def bulk_run(tenant, region: Region, key: str) -> tuple[float, float, InvoiceRun]:
    """Draft and issue the region's projects (PDFs apart): seconds drafting, seconds issuing."""
    run = InvoiceRun.objects.create(
        tenant=tenant, key=key, grouping=Grouping.PROJECT, selection={"region": region.pk}
    )
    started = time.perf_counter()
    services.run_draft(tenant=tenant, run=run)
    drafted = time.perf_counter()
    services.run_issue(tenant=tenant, run=run, render_pdfs=False)
    issued = time.perf_counter()
    run.refresh_from_db()
    return drafted - started, issued - drafted, run


@pytest.mark.perf
def test_bulk_run_of_3000_small_invoices(world_a, capsys):
    tenant = world_a.tenant
    tax = TaxRateFactory(tenant=tenant, code="STD", percent=Decimal("20"))
    course = ProductFactory(tenant=tenant, tax_rate=tax, name="Leadership essentials")
    regions = [
        build_region(tenant, course, f"Region {n}", PROJECTS, ACCOUNTS) for n in range(REPEATS)
    ]
    counted = build_region(tenant, course, "Counted", COUNTED, COUNTED // 10)
    analyze_like_autovacuum()
    drafting, issuing, yardsticks = [], [], []
    with activate(tenant):
        for n, region in enumerate(regions):
            yardsticks.append(write_rates(tenant)[0])
            draft_s, issue_s, run = bulk_run(tenant, region, key=f"small-{n}")
            assert run.invoices_issued == PROJECTS and run.processed == PROJECTS * PER_PROJECT
            assert not run.errors
            drafting.append(draft_s)
            issuing.append(issue_s)
        with CaptureQueriesContext(connection) as queries:
            *_, run = bulk_run(tenant, counted, key="counted")
        assert run.invoices_issued == COUNTED
    draft_s, issue_s = statistics.median(drafting), statistics.median(issuing)
    both_s = statistics.median(d + i for d, i in zip(drafting, issuing, strict=True))
    bulk_rate = statistics.median(yardsticks)
    batches = -(-COUNTED // runs.RUN_BATCH)
    with capsys.disabled():
        print(f"\nSmall-invoice bulk run on {connection.vendor} (medians of {REPEATS} runs):")
        print(
            f"  {PROJECTS} projects x {PER_PROJECT} registrations, one invoice per project, "
            f"RUN_BATCH = {runs.RUN_BATCH}"
        )
        print(f"  drafting: {draft_s:.2f} s, {PROJECTS / draft_s:,.0f} invoices/s")
        print(f"  issuing:  {issue_s:.2f} s, {PROJECTS / issue_s:,.0f} invoices/s")
        print(
            f"  drafting + issuing: {both_s:.2f} s, {PROJECTS / both_s:,.0f} invoices/s, "
            f"{PROJECTS * PER_PROJECT / both_s:,.0f} registrations/s (target >= 500 invoices/s)"
        )
        each = ", ".join(
            f"{PROJECTS / (d + i):,.0f}" for d, i in zip(drafting, issuing, strict=True)
        )
        print(f"  each run: {each} invoices/s")
        print(
            f"  yardstick here: bulk_create {bulk_rate:,.0f} rows/s (21,000 where the target was "
            f"set); the run went at {PROJECTS / both_s / bulk_rate:.4f}x bulk_create's rate (the "
            "target is 500 / 21,000 = 0.0238x)"
        )
        print(
            f"  queries for {COUNTED} invoices ({batches} batches, drafting + issuing): "
            f"{len(queries.captured_queries)}, {len(queries.captured_queries) / batches:.1f} per "
            "batch"
        )
