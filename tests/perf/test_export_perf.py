"""Benchmark: the reconciliation export of one million invoice lines on PostgreSQL.

Run on purpose: `DATABASE_URL=postgres://… make bench`. Prints rows per second through the
export (`ReconciliationExporter.stream_csv()`, what the download view streams: the writer's
header, then PostgreSQL's COPY of the exporter's query), the same figure for a bare
`COPY (same query) TO STDOUT`, their ratio (target: at least 0.5) and the peak Python memory
while streaming (target: under 150 MB).
"""

import datetime
import time
import tracemalloc

import psycopg
import pytest
from django.db import connection

from accounts.platform.exporting import copy_sql
from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from reporting.exports import ReconciliationExporter
from tests.factories import AccountFactory, ProjectFactory

LINES = 1_000_000
INVOICES = 1_000


def build(tenant):
    account = AccountFactory(tenant=tenant)
    project = ProjectFactory(account=account)
    Invoice.objects.bulk_create(
        [
            Invoice(
                tenant=tenant,
                project=project,
                billing_account=account,
                currency="EUR",
                status="issued",
                number=f"INV-{n:07d}",
                sequence_number=n,
                issue_date=datetime.date(2026, 1, 1) + datetime.timedelta(days=n % 300),
                billing_name=account.name,
                tags="framework, =risky",
            )
            for n in range(1, INVOICES + 1)
        ],
        batch_size=1000,
    )
    with activate(tenant):
        first = Invoice.objects.order_by("pk")[0].pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO invoicing_invoiceline (tenant_id, invoice_id, kind, position, event_title,
                product_code, description, quantity, unit_price, discount_percent, net,
                prepaid_value, tax_code, tax_percent, tax_amount, tax_category,
                exemption_reason_code, exemption_reason)
            SELECT %s, %s + (g %% %s), 'registration', g, 'Leadership essentials', 'LEAD-101',
                   'Leadership essentials, 02 Mar 2026. Learner ' || g, 1, 1234.5, 5, 1172.78,
                   0, 'STD', 20, 234.56, 'S', '', ''
            FROM generate_series(1, %s) AS g
            """,
            [tenant.pk, first, INVOICES, LINES],
        )


@pytest.fixture
def in_world_a(world_a):
    """Everything below runs as the tenant, as the download view does: on PostgreSQL row-level
    security shows a query outside any scope no rows (accounts/platform/rls.py)."""
    with activate(world_a.tenant):
        yield world_a


@pytest.mark.perf
def test_reconciliation_export_of_a_million_lines(postgres_only, in_world_a, capsys):
    world_a = in_world_a
    build(world_a.tenant)
    exporter = ReconciliationExporter(tenant=world_a.tenant)
    sql, params = copy_sql(exporter)

    tracemalloc.start()
    started = time.perf_counter()
    exported = sum(block.count(b"\n") for block in exporter.stream_csv()) - 1
    ours = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with connection.cursor() as wrapper:
        raw = wrapper.cursor
        bound = psycopg.ClientCursor(raw.connection).mogrify(sql, params)
        started = time.perf_counter()
        copied = 0
        with raw.copy(f"COPY ({bound}) TO STDOUT WITH (FORMAT csv)") as copy:
            for block in copy:
                copied += bytes(block).count(b"\n")
        bare = time.perf_counter() - started
    assert exported == LINES and copied == LINES
    with capsys.disabled():
        print(f"\nReconciliation export of {LINES:,} lines on PostgreSQL:")
        print(
            f"  export (stream_csv()): {LINES / ours:,.0f} rows/s, peak Python memory "
            f"{peak / 1024 / 1024:.1f} MB (target < 150)"
        )
        print(f"  bare COPY of the same query: {LINES / bare:,.0f} rows/s")
        print(f"  ratio export / COPY: {bare / ours:.2f} (target >= 0.5)")
