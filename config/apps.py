"""The operations side of the project (health, metrics, logs): no models, only start-up wiring.

When metrics are on (METRICS_TOKEN set, in the web and the worker processes alike), the worker
that runs a bulk-run task records what it did when it finishes: rows drafted by `draft_run`,
invoices issued by `issue_run`, counted from the run's row before and after (a resumed run
counts only what this task added) over the task's own running time.
"""

import time

from django.apps import AppConfig

PHASES = {
    "invoicing.tasks.draft_run": ("draft", "rows", "processed"),
    "invoicing.tasks.issue_run": ("issue", "invoices", "invoices_issued"),
}

_started: dict[str, tuple[float, int]] = {}


def _phase(task_result):
    return PHASES.get(getattr(task_result.task, "module_path", ""))


def _run_counter(task_result, field: str) -> int | None:
    from accounts.platform.models import Tenant
    from accounts.platform.tenancy import activate
    from invoicing.models import InvoiceRun

    kwargs = task_result.kwargs or {}
    tenant = Tenant.objects.filter(pk=kwargs.get("tenant_id")).first()
    if tenant is None:
        return None
    with activate(tenant):
        values = InvoiceRun.objects.filter(pk=kwargs.get("run_id")).values_list(field, flat=True)
        return next(iter(values), None)


def bulk_run_started(sender, task_result, **kwargs):
    phase = _phase(task_result)
    if phase is None:
        return
    before = _run_counter(task_result, phase[2])
    _started[task_result.id] = (time.perf_counter(), before or 0)


def bulk_run_finished(sender, task_result, **kwargs):
    phase = _phase(task_result)
    started = _started.pop(task_result.id, None) if phase else None
    if started is None:
        return
    from config.metrics import observe_bulk_run

    after = _run_counter(task_result, phase[2])
    if after is not None:
        observe_bulk_run(phase[0], phase[1], after - started[1], time.perf_counter() - started[0])


def connect_bulk_run_signals() -> None:
    from django_tasks.signals import task_finished, task_started

    task_started.connect(bulk_run_started, dispatch_uid="operations.bulk_run_started")
    task_finished.connect(bulk_run_finished, dispatch_uid="operations.bulk_run_finished")


def disconnect_bulk_run_signals() -> None:
    from django_tasks.signals import task_finished, task_started

    task_started.disconnect(dispatch_uid="operations.bulk_run_started")
    task_finished.disconnect(dispatch_uid="operations.bulk_run_finished")


class OperationsConfig(AppConfig):
    name = "config"
    label = "operations"
    verbose_name = "Operations"

    def ready(self):
        from config.metrics import enabled

        if enabled():
            connect_bulk_run_signals()
