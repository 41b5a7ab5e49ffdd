"""/metrics: hidden without the token, latency per URL name, queue depth, bulk-run throughput,
and no label that carries a company's slug or a row's text."""

import pytest
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from accounts.platform.tenancy import activate
from config.apps import connect_bulk_run_signals, disconnect_bulk_run_signals
from invoicing import services
from invoicing.models import InvoiceRun, RunStatus
from tests.factories import AccountFactory, ProjectFactory
from tests.invoicing.test_bulk_runs import delivered

TOKEN = "metrics-token-for-tests"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def scrape() -> dict:
    """{metric family name: [(labels, value), ...]} of /metrics."""
    response = Client().get("/metrics", **AUTH)
    assert response.status_code == 200
    families = {}
    for family in text_string_to_metric_families(response.content.decode()):
        families[family.name] = [(sample.labels, sample.value) for sample in family.samples]
    return families


def all_label_values(families) -> set[str]:
    return {
        value for samples in families.values() for labels, _ in samples for value in labels.values()
    }


@pytest.mark.django_db
def test_metrics_are_hidden_without_the_token():
    with override_settings(METRICS_TOKEN=""):
        assert Client().get("/metrics").status_code == 404
        assert Client().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    with override_settings(METRICS_TOKEN=TOKEN):
        client = Client()
        assert client.get("/metrics").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
        assert client.get("/metrics", HTTP_AUTHORIZATION=TOKEN).status_code == 404
        assert client.post("/metrics", **AUTH).status_code == 404
        assert client.get("/metrics", **AUTH).status_code == 200


@pytest.fixture
def metrics_on():
    with override_settings(METRICS_TOKEN=TOKEN):
        connect_bulk_run_signals()
        try:
            yield
        finally:
            disconnect_bulk_run_signals()


@pytest.mark.django_db
def test_no_label_carries_a_tenant_slug_or_a_rows_text(metrics_on, world_a, world_b, client_for):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant, name="Zebulon Unique Customer Ltd")
    project = ProjectFactory(account=account, code="PR-XYZZY", name="Quixotic Rollout")
    delivered(project, 5)
    client = client_for(world_a.finance)
    slug = {"tenant_slug": tenant.slug}
    pages = [
        reverse("accounts:account-list", kwargs=slug) + "?q=Zebulon",
        reverse("accounts:account-detail", kwargs={**slug, "pk": account.pk}),
        reverse("projects:project-detail", kwargs={**slug, "pk": project.pk}),
        f"/{tenant.slug}/no-such-page-{account.name}/",
        f"/{world_b.tenant.slug}/accounts/",  # another company's: 404
    ]
    for page in pages:
        client.get(page)
    # A bulk run through its task (the immediate backend runs it at commit).
    with activate(tenant), TestCase.captureOnCommitCallbacks(execute=True):
        run, _ = services.run_start(
            tenant=tenant, by=world_a.finance, key="metrics", selection={}, grouping="project"
        )
    with activate(tenant):
        run.refresh_from_db()
        assert run.status == RunStatus.DRAFTED
        with TestCase.captureOnCommitCallbacks(execute=True):
            services.run_issue_start(tenant=tenant, by=world_a.finance, run=run)
        assert InvoiceRun.objects.get(pk=run.pk).status == RunStatus.DONE

    families = scrape()
    views = {labels["view"] for labels, _ in families["app_http_request_duration_seconds"]}
    assert {"accounts:account-list", "accounts:account-detail", "projects:project-detail"} <= views
    assert "unresolved" in views or "accounts:account-list" in views
    items = {
        (labels["phase"], labels["unit"]): value
        for labels, value in families["app_bulk_run_items"]
        if "phase" in labels
    }
    assert items[("draft", "rows")] >= 5
    assert items[("issue", "invoices")] >= 1

    forbidden = [
        tenant.slug,
        world_b.tenant.slug,
        tenant.name,
        account.name,
        "Zebulon",
        project.code,
        project.name,
        world_a.finance.username,
        str(account.pk) + "/",
    ]
    for value in all_label_values(families):
        for text in forbidden:
            assert text.lower() not in value.lower(), (value, text)


@pytest.mark.django_db
@override_settings(
    METRICS_TOKEN=TOKEN, TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
)
def test_queue_depth_counts_the_tasks_waiting(tenant_a):
    from invoicing.tasks import render_invoice_pdf

    def depth():
        samples = scrape()["app_task_queue_depth"]
        return {labels["queue"]: value for labels, value in samples}

    assert depth() == {"default": 0}
    for n in range(3):
        render_invoice_pdf.enqueue(tenant_id=tenant_a.pk, invoice_id=n + 1)
    assert depth() == {"default": 3}
