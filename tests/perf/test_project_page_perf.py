"""Benchmark: the project page and its registrations tab at 10 and at 2,000 registrations.

Run on purpose with `make bench` (add DATABASE_URL for PostgreSQL). It prints medians and the
ratio; the target is that 2,000 registrations cost at most twice the time of 10. Nothing here
asserts on time (the machine is shared and noisy); the pinned query counts are in
tests/projects/test_project_pages.py.
"""

import datetime
import statistics
import time
from decimal import Decimal

import pytest
from django.db import connection

from accounts.platform.tenancy import activate
from projects.models import Registration, RegistrationStatus
from tests.factories import (
    AccountFactory,
    BookingFactory,
    ContactFactory,
    EventFactory,
    ItemFactory,
    ProjectFactory,
)

RUNS = 15


def build(tenant, registrations):
    account = AccountFactory(tenant=tenant)
    project = ProjectFactory(account=account, booking=BookingFactory(account=account))
    events = [EventFactory(project=project) for _ in range(10)]
    learners = ContactFactory.create_batch(50, account=account)
    Registration.objects.bulk_create(
        [
            Registration(
                tenant=tenant,
                project=project,
                event=events[i % 10],
                learner=learners[i % 50],
                requested_date=datetime.date(2026, 1, 5),
                unit_price=Decimal("950"),
                net_amount=Decimal("950"),
                status=RegistrationStatus.DELIVERED,
            )
            for i in range(registrations)
        ],
        batch_size=1000,
    )
    ItemFactory.create_batch(10, project=project)
    return project


def median_ms(client, path):
    client.get(path)  # warm up
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return statistics.median(samples)


@pytest.mark.perf
def test_project_page_time_at_10_and_2000_registrations(world_a, client_for, capsys):
    client = client_for(world_a.viewer)
    small = build(world_a.tenant, 10)
    large = build(world_a.tenant, 2000)
    with activate(world_a.tenant):
        assert Registration.objects.filter(project=large).count() == 2000
    rows = []
    for tab in ("overview", "registrations"):
        times = {
            n: median_ms(client, f"/alpha/projects/{p.pk}/{tab}/")
            for n, p in ((10, small), (2000, large))
        }
        rows.append((tab, times[10], times[2000], times[2000] / times[10]))
    with capsys.disabled():
        print(f"\nProject page benchmark on {connection.vendor}, median of {RUNS} requests:")
        print(f"{'tab':<15}{'10 regs (ms)':>14}{'2000 regs (ms)':>16}{'ratio':>8}  target <= 2.0")
        for tab, few, many, ratio in rows:
            verdict = "ok" if ratio <= 2.0 else "OVER"
            print(f"{tab:<15}{few:>14.1f}{many:>16.1f}{ratio:>8.2f}  {verdict}")
