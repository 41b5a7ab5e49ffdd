from django.db import transaction
from django_tasks import task_backends

from accounts.platform.tasks import enqueue_on_commit, tenant_task
from accounts.platform.tenancy import current_tenant
from tests.factories import AccountFactory

seen = []


@tenant_task()
def record_scope(*, tenant_id: int, account_id: int) -> str:
    from accounts.models import Account

    seen.append((current_tenant().pk, Account.objects.get(pk=account_id).name))
    return "done"


def test_a_tenant_task_runs_inside_its_tenants_scope(tenant_a):
    account = AccountFactory(tenant=tenant_a, name="In scope")
    seen.clear()
    result = record_scope.enqueue(tenant_id=tenant_a.pk, account_id=account.pk)
    assert result.return_value == "done"
    assert seen == [(tenant_a.pk, "In scope")]
    assert current_tenant() is None


def test_tasks_are_queued_only_after_the_transaction_commits(
    tenant_a, django_capture_on_commit_callbacks
):
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        account = AccountFactory(tenant=tenant_a, name="Committed")
        enqueue_on_commit(record_scope, tenant=tenant_a, account_id=account.pk)
        assert seen == []
    assert len(callbacks) == 1
    assert seen == [(tenant_a.pk, "Committed")]


def test_a_rolled_back_transaction_queues_nothing(tenant_a, django_capture_on_commit_callbacks):
    seen.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                enqueue_on_commit(record_scope, tenant=tenant_a, account_id=0)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
    assert callbacks == [] and seen == []


def test_tests_run_tasks_immediately():
    assert type(task_backends["default"]).__name__ == "ImmediateBackend"
