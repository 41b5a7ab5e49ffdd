"""Tenant-aware background tasks on the django-tasks API (DESIGN.md, "Background work").

    @tenant_task()
    def rebuild_report(*, tenant_id: int, report_id: int): ...

    enqueue_on_commit(rebuild_report, tenant=request.tenant, report_id=report.pk)

A task takes ids, never model instances; `tenant_task` runs its body inside the tenant's scope;
`enqueue_on_commit` queues it only once the transaction that created its input has committed, so a
worker never looks for rows that are not there yet (or never will be, after a rollback).
"""

import functools

from django.db import transaction
from django_tasks import task

from accounts.platform.models import Tenant
from accounts.platform.tenancy import activate


def tenant_task(**task_options):
    def decorate(func):
        @functools.wraps(func)
        def run_in_tenant(*, tenant_id: int, **kwargs):
            tenant = Tenant.objects.get(pk=tenant_id)
            with activate(tenant):
                return func(tenant_id=tenant_id, **kwargs)

        return task(**task_options)(run_in_tenant)

    return decorate


def enqueue_on_commit(task_obj, *, tenant, **kwargs) -> None:
    transaction.on_commit(functools.partial(task_obj.enqueue, tenant_id=tenant.pk, **kwargs))
