"""Benchmark: the list exports (what `?export=csv|xlsx` of a list page downloads), run on purpose
(`make bench`; on PostgreSQL with `DATABASE_URL=postgres://…`).

20,000 invoices (under the 50,000-row cap of a list export) through the invoice list's CSV and
XLSX, and 20,000 registrations through a project's registrations CSV: rows per second through
the page, median of three. Nothing asserts on time (the machine is shared and noisy).
"""

import datetime
import statistics
import time
from decimal import Decimal

import pytest

from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from projects.models import Registration
from tests.factories import AccountFactory, ContactFactory, EventFactory, ProjectFactory

ROWS, REPEATS = 20_000, 3


def build(tenant):
    account = AccountFactory(tenant=tenant, name='=Bulk, "Customer" Ltd')
    project = ProjectFactory(account=account, currency="EUR", tags="framework, -risky")
    Invoice.objects.bulk_create(
        [
            Invoice(
                tenant=tenant,
                project=project,
                billing_account=account,
                billing_account_number=account.number,
                currency="EUR",
                status="issued",
                number=f"INV-{n:07d}",
                sequence_number=n,
                issue_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 300),
                due_date=datetime.date(2026, 2, 1) + datetime.timedelta(days=n % 300),
                billing_name=account.name,
                po_reference=f"PO-{n % 97}",
                exchange_rate=Decimal("1.08250000"),
                net_total=Decimal("1172.780") * (-1 if n % 10 == 0 else 1),
                tax_total=Decimal("234.556"),
                gross_total=Decimal("1407.336"),
                tags="framework, -risky",
            )
            for n in range(1, ROWS + 1)
        ],
        batch_size=2000,
    )
    event = EventFactory(project=project, title="Leadership essentials")
    learner = ContactFactory(account=account)
    Registration.objects.bulk_create(
        [
            Registration(
                tenant=tenant,
                project=project,
                event=event,
                learner=learner if n % 2 else None,
                places=1,
                requested_date=datetime.date(2026, 2, 1),
                status="delivered",
                unit_price=Decimal("1000.00"),
                discount_percent=Decimal("10"),
                net_amount=Decimal("900.00"),
                po_reference=f"PO-{n % 97}",
            )
            for n in range(ROWS)
        ],
        batch_size=2000,
    )
    return project


def rate(client, path, query, expected_rows):
    timings = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        response = client.get(path, query)
        body = response.content
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
        if query["export"] == "csv":
            assert body.count(b"\n") >= expected_rows
    return ROWS / statistics.median(timings)


@pytest.mark.perf
def test_list_exports_of_twenty_thousand_rows(world_a, client_for, capsys):
    with activate(world_a.tenant):
        project = build(world_a.tenant)
    client = client_for(world_a.finance)
    figures = {
        "invoice list CSV": rate(client, "/alpha/invoices/", {"export": "csv"}, ROWS),
        "invoice list XLSX": rate(client, "/alpha/invoices/", {"export": "xlsx"}, ROWS),
        "registrations CSV": rate(
            client, f"/alpha/projects/{project.pk}/registrations/", {"export": "csv"}, ROWS
        ),
    }
    with capsys.disabled():
        print(f"\nList exports of {ROWS:,} rows (median of {REPEATS}):")
        for name, figure in figures.items():
            print(f"  {name}: {figure:,.0f} rows/s")
