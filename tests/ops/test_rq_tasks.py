"""The task tests again, on RQ: real Redis (REDIS_URL, default 127.0.0.1:6379) and two RQ
workers, when TASKS_BACKEND says rq. CI runs this module (and the scale-out test) that way:

    TASKS_BACKEND=rq DATABASE_URL=postgres://... pytest tests/ops/test_rq_tasks.py

The workers run in their own processes, so the rows they read are committed (transactional
tests on PostgreSQL) and the tasks' answers come back through Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test import Client, override_settings
from django_tasks import task_backends
from django_tasks.base import TaskResultStatus

from accounts.platform.tasks import enqueue_on_commit, tenant_task
from accounts.platform.tenancy import activate, current_tenant
from invoicing import services
from invoicing.models import Invoice, InvoiceRun, InvoiceStatus, RunStatus
from tests.factories import AccountFactory, ProjectFactory
from tests.invoicing.test_bulk_runs import delivered

ROOT = Path(__file__).resolve().parents[2]
RQ = "django_tasks_rq.RQBackend"
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.TASKS["default"]["BACKEND"] != RQ,
        reason="RQ task tests: run with TASKS_BACKEND=rq (and Redis on REDIS_URL)",
    ),
]


@tenant_task()
def account_name_in_scope(*, tenant_id: int, account_id: int) -> list:
    from accounts.models import Account

    return [current_tenant().pk, Account.objects.get(pk=account_id).name]


@pytest.fixture(scope="module")
def rq_workers(django_db_setup, django_db_blocker, tmp_path_factory):
    """Two RQ workers on the test database, as production starts them (README)."""
    import django_rq

    queue = django_rq.get_queue("default")
    queue.connection.ping()
    queue.empty()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "TASKS_BACKEND": "rq",
    }
    logs = tmp_path_factory.mktemp("rq")
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "rqworker",
                "default",
                "--job-class",
                "django_tasks_rq.backend.Job",
            ],
            cwd=ROOT,
            env=env,
            stdout=(logs / f"worker-{n}.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for n in range(2)
    ]
    from rq import Worker

    deadline = time.monotonic() + 30
    while Worker.count(queue=queue) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Worker.count(queue=queue) >= 2, "the RQ workers did not start"
    yield queue
    for worker in workers:
        os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)


def finished(result, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result.refresh()
        if result.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED):
            return result
        time.sleep(0.1)
    pytest.fail(f"the task is still {result.status}")


def test_the_backend_is_rq(rq_workers):
    assert type(task_backends["default"]).__name__ == "RQBackend"


def test_a_tenant_task_runs_on_a_worker_inside_its_tenants_scope(
    rq_workers, postgres_only, tenant_a, tenant_b
):
    mine = AccountFactory(tenant=tenant_a, name="In scope")
    theirs = AccountFactory(tenant=tenant_b, name="Other company")
    result = finished(account_name_in_scope.enqueue(tenant_id=tenant_a.pk, account_id=mine.pk))
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == [tenant_a.pk, "In scope"]
    assert result.worker_ids  # a worker ran it, not this process
    # Another company's row is not there for it: the scope (and RLS) hold in the worker.
    other = finished(account_name_in_scope.enqueue(tenant_id=tenant_a.pk, account_id=theirs.pk))
    assert other.status == TaskResultStatus.FAILED
    assert other.errors[-1].exception_class_path.endswith("DoesNotExist")


def test_tasks_are_queued_only_after_the_transaction_commits(rq_workers, postgres_only, tenant_a):
    queue = rq_workers
    jobs_before = set(queue.connection.keys("rq:job:*"))
    try:
        with transaction.atomic():
            enqueue_on_commit(account_name_in_scope, tenant=tenant_a, account_id=0)
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    assert set(queue.connection.keys("rq:job:*")) == jobs_before  # nothing queued
    with transaction.atomic():
        account = AccountFactory(tenant=tenant_a, name="Committed")
        enqueue_on_commit(account_name_in_scope, tenant=tenant_a, account_id=account.pk)
        assert set(queue.connection.keys("rq:job:*")) == jobs_before
    (new_job,) = set(queue.connection.keys("rq:job:*")) - jobs_before
    result = finished(account_name_in_scope.get_result(new_job.decode().removeprefix("rq:job:")))
    assert result.return_value == [tenant_a.pk, "Committed"]


def test_a_bulk_run_finishes_on_the_rq_workers(rq_workers, postgres_only, world_a):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant)
    for n in range(6):
        delivered(ProjectFactory(account=account, code=f"PR-{n}"), 4)
    with activate(tenant):
        run, _ = services.run_start(
            tenant=tenant, by=world_a.finance, key="rq", selection={}, grouping="project"
        )

    def wait(status):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with activate(tenant):
                current = InvoiceRun.objects.get(pk=run.pk)
            if current.status == status:
                return current
            assert current.status != RunStatus.FAILED, current.errors
            time.sleep(0.2)
        pytest.fail(f"the run is still {current.status}")

    drafted = wait(RunStatus.DRAFTED)
    assert (drafted.invoices_created, drafted.processed) == (6, 24)
    with activate(tenant):
        services.run_issue_start(tenant=tenant, by=world_a.finance, run=drafted)
    done = wait(RunStatus.DONE)
    assert done.invoices_issued == 6
    with activate(tenant):
        numbers = sorted(
            Invoice.objects.exclude(status=InvoiceStatus.DRAFT).values_list(
                "sequence_number", flat=True
            )
        )
    assert numbers == list(range(1, 7))


def test_metrics_read_the_rq_queue_depth(rq_workers, postgres_only, monkeypatch):
    """Jobs waiting on a queue that no worker listens to are counted; the busy default queue
    is reported beside it."""
    import django_rq
    import django_rq.settings

    idle = "idle-for-tests"
    monkeypatch.setitem(django_rq.settings.QUEUES, idle, django_rq.settings.QUEUES["default"])
    queue = django_rq.get_queue(idle)
    queue.empty()
    with override_settings(
        METRICS_TOKEN="t", RQ_QUEUES={**settings.RQ_QUEUES, idle: settings.RQ_QUEUES["default"]}
    ):
        try:
            for _ in range(3):
                queue.enqueue("os.getpid")
            response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t")
        finally:
            queue.empty()
    assert response.status_code == 200
    text = response.content.decode()
    assert f'app_task_queue_depth{{queue="{idle}"}} 3.0' in text
    assert 'app_task_queue_depth{queue="default"}' in text
