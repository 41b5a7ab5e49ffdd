"""A bulk run whose worker died is seen as stalled and finishes without duplicates."""

import datetime
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import TestCase, override_settings
from django.utils import timezone

from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import (
    BillingClaim,
    ExchangeRate,
    Grouping,
    Invoice,
    InvoiceLine,
    InvoiceRun,
    InvoiceStatus,
    RunStatus,
)
from projects.models import Registration
from tests.factories import AccountFactory, ProjectFactory
from tests.invoicing.test_bulk_runs import delivered

ROOT = Path(__file__).resolve().parents[2]
LONG_AGO = datetime.timedelta(minutes=10)


def _start(world, key="recover"):
    with activate(world.tenant), TestCase.captureOnCommitCallbacks(execute=True):
        run, _ = services.run_start(
            tenant=world.tenant, by=world.finance, key=key, selection={}, grouping="project"
        )
    return run


def _age(run, status):
    """As if the run's worker had died ten minutes ago while `status`."""
    InvoiceRun.objects.filter(pk=run.pk).update(
        status=status, heartbeat_at=timezone.now() - LONG_AGO
    )
    run.refresh_from_db()
    return run


def assert_whole(world, rows: int):
    """No row on two live lines, gapless numbers, counters equal to the rows in the database."""
    with activate(world.tenant):
        claimed = list(BillingClaim.objects.values_list("registration_id", flat=True))
        assert len(claimed) == len(set(claimed)) == rows
        numbers = sorted(
            Invoice.objects.exclude(status=InvoiceStatus.DRAFT).values_list(
                "sequence_number", flat=True
            )
        )
        assert numbers == list(range(1, len(numbers) + 1))
        for run in InvoiceRun.objects.all():
            invoices = Invoice.objects.filter(run=run)
            assert run.invoices_created == invoices.count()
            assert run.invoices_issued == invoices.exclude(status=InvoiceStatus.DRAFT).count()
            lines = InvoiceLine.objects.filter(invoice__run=run).exclude(registration=None)
            assert run.processed == lines.count()


@pytest.fixture
def many(world_a):
    account = AccountFactory(tenant=world_a.tenant)
    for n in range(4):
        delivered(ProjectFactory(account=account, code=f"PR-{n}"), 3)
    return world_a


def test_a_working_run_without_a_heartbeat_is_stalled_and_offers_to_finish(many, client_for):
    run = _start(many)
    with activate(many.tenant):
        run = _age(run, RunStatus.DRAFTING)
        assert run.is_stalled and not run.is_working
    page = client_for(many.finance).get(run.get_absolute_url())
    assert "stopped without finishing" in page.content.decode()
    assert "Finish the rest" in page.content.decode()
    response = client_for(many.finance).post(
        run.get_absolute_url(), {"action": "resume"}, follow=True
    )
    assert "continues" in response.content.decode()


def test_a_fresh_heartbeat_means_still_working(many):
    run = _start(many)
    with activate(many.tenant):
        InvoiceRun.objects.filter(pk=run.pk).update(
            status=RunStatus.DRAFTING, heartbeat_at=timezone.now()
        )
        run.refresh_from_db()
        assert run.is_working and not run.is_stalled
        with pytest.raises(Exception, match="still working"):
            services.run_resume(tenant=many.tenant, by=many.finance, run=run)


def test_issuing_restarts_while_drafts_remain(many):
    run = _start(many)
    with activate(many.tenant):
        run = _age(run, RunStatus.ISSUING)  # the worker died before issuing anything
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.run_resume(tenant=many.tenant, by=many.finance, run=run)
        run.refresh_from_db()
        assert run.status == RunStatus.DONE and run.invoices_issued == 4
    assert_whole(many, rows=12)


def test_counters_come_from_the_database(many):
    run = _start(many)
    with activate(many.tenant):
        InvoiceRun.objects.filter(pk=run.pk).update(invoices_created=999, processed=7)
        run.refresh_from_db()
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.run_issue_start(tenant=many.tenant, by=many.finance, run=run)
        run.refresh_from_db()
        assert (run.invoices_created, run.invoices_issued, run.processed) == (4, 4, 12)


# --- A real worker, killed -------------------------------------------------------------------


def _worker():
    """`manage.py db_worker` on the test database, as `make run` starts it."""
    settings = connection.settings_dict
    url = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.05"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _kill_when(worker, tenant, predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with activate(tenant):
            done = predicate()
        if done:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
            return
        time.sleep(0.01)
    os.killpg(worker.pid, signal.SIGKILL)
    pytest.fail("the worker made no progress in time")


@pytest.fixture
def big(postgres_only, world_a):
    """120 projects of 25 delivered places: 3,000 rows, a few seconds of work."""
    account = AccountFactory(tenant=world_a.tenant)
    for n in range(120):
        delivered(ProjectFactory(account=account, code=f"PR-{n:03d}"), 25)
    ExchangeRate.objects.create(
        tenant=world_a.tenant, currency="GBP", date=timezone.localdate(), rate=Decimal("1.15")
    )
    return world_a


@override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}})
def test_a_worker_killed_while_drafting_and_while_issuing_loses_nothing(big):
    """Kill `db_worker` with SIGKILL in the middle of drafting, then of issuing: the run shows
    stalled, *Finish the rest* completes it, nothing is invoiced twice, numbers are gapless and
    the counters equal the rows."""
    tenant = big.tenant
    with activate(tenant):
        run, _ = services.run_start(
            tenant=tenant, by=big.finance, key="killed", selection={}, grouping=Grouping.PROJECT
        )
    worker = _worker()
    _kill_when(worker, tenant, lambda: Invoice.objects.filter(run=run).count() >= 25)
    with activate(tenant):
        run.refresh_from_db()
        assert run.status == RunStatus.DRAFTING and Invoice.objects.filter(run=run).count() >= 25
        assert Invoice.objects.filter(run=run).count() < 120, "the worker finished before the kill"
        run = _age(run, RunStatus.DRAFTING)
        assert run.is_stalled
        services.run_resume(tenant=tenant, by=big.finance, run=run)
    worker = _worker()
    _kill_when(
        worker,
        tenant,
        lambda: InvoiceRun.objects.filter(pk=run.pk, status=RunStatus.DRAFTED).exists(),
    )
    with activate(tenant):
        assert Invoice.objects.filter(run=run).count() == 120
        run.refresh_from_db()
        services.run_issue_start(tenant=tenant, by=big.finance, run=run)
    worker = _worker()
    _kill_when(
        worker,
        tenant,
        lambda: Invoice.objects.filter(run=run).exclude(status=InvoiceStatus.DRAFT).count() >= 25,
    )
    with activate(tenant):
        run.refresh_from_db()
        issued = Invoice.objects.filter(run=run).exclude(status=InvoiceStatus.DRAFT).count()
        assert run.status == RunStatus.ISSUING and issued < 120
        run = _age(run, RunStatus.ISSUING)
        services.run_resume(tenant=tenant, by=big.finance, run=run)
    worker = _worker()
    _kill_when(
        worker, tenant, lambda: InvoiceRun.objects.filter(pk=run.pk, status=RunStatus.DONE).exists()
    )
    with activate(tenant):
        assert Registration.objects.filter(billed_quantity=1).count() == 3000
    assert_whole(big, rows=3000)
