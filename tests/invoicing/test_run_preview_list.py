"""Issue 17: the bulk-invoicing preview lists the invoices it will make (bill to, project,
rows, net) before it starts, capped with a count; the run page shows each invoice's project."""

import datetime
import re
from decimal import Decimal

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from accounts.platform.tenancy import activate
from invoicing import selectors, services
from invoicing.models import Grouping, Invoice
from invoicing.run_previews import planned_invoices
from projects.models import Registration, RegistrationStatus
from tests.factories import AccountFactory, EventFactory, ProjectFactory


def _delivered(project, count, day, price="100"):
    event = EventFactory(project=project, start_date=day, end_date=day)
    for _ in range(count):
        Registration.objects.create(
            tenant=project.tenant,
            project=project,
            event=event,
            places=1,
            requested_date=day,
            status=RegistrationStatus.DELIVERED,
            unit_price=Decimal(price),
            net_amount=Decimal(price),
        )


def _estate(world):
    tenant = world.tenant
    meridian = AccountFactory(tenant=tenant, name="Meridian Health")
    payer = AccountFactory(tenant=tenant, name="Meridian Group Finance")
    first = ProjectFactory(account=meridian, billing_account=payer, code="PR-A", name="Leaders")
    second = ProjectFactory(account=meridian, code="PR-B", name="Coaching", currency="GBP")
    _delivered(first, 2, datetime.date(2026, 3, 2))
    _delivered(first, 1, datetime.date(2026, 3, 9), price="250")
    _delivered(second, 3, datetime.date(2026, 3, 4))
    return first, second


def _text(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _run(world, grouping):
    """A bulk run of everything the estate has ready, drafted as the worker drafts it."""
    with activate(world.tenant), TestCase.captureOnCommitCallbacks(execute=True):
        run, _ = services.run_start(
            tenant=world.tenant,
            by=world.finance,
            key=f"run-{grouping}",
            selection={"include_internal": False},
            grouping=grouping,
        )
    return run


def test_the_preview_lists_each_invoice_before_starting(world_a, client_for):
    _estate(world_a)
    client = client_for(world_a.finance)
    page = client.get("/alpha/invoices/runs/", {"grouping": "event"})
    html = page.content.decode()
    rows = [_text(row).strip() for row in re.findall(r"<tr data-planned>.*?</tr>", html, re.S)]
    assert rows == [
        "Meridian Group Finance PR-A Leaders — 2 €200.00",
        "Meridian Group Finance PR-A Leaders — 1 €250.00",
        f"{'Meridian Health'} PR-B Coaching — 3 £300.00",
    ]
    assert "Create the drafts" in html


def test_a_long_preview_lists_the_first_invoices_and_counts_the_rest(world_a):
    _estate(world_a)
    with activate(world_a.tenant):
        included, _ = selectors.run_candidates()
        planned = planned_invoices(included, Grouping.REGISTRATION, shown=2)
    assert [invoice.project.code for invoice in planned["invoices"]] == ["PR-A", "PR-A"]
    assert planned["more_invoices"] == 1  # PR-A's third place, worked out but not listed
    assert (planned["more_projects"], planned["more_rows"]) == (1, 3)  # PR-B, not read


def test_the_run_page_names_each_invoices_project(world_a, client_for):
    _estate(world_a)
    run = _run(world_a, Grouping.PROJECT)
    page = client_for(world_a.finance).get(f"/alpha/invoices/runs/{run.pk}/")
    html = page.content.decode()
    header = html[html.index("<thead") : html.index("</thead>")]
    assert "Project" in _text(header)
    assert "PR-A" in _text(html) and "PR-B" in _text(html)


def test_the_run_page_runs_the_same_queries_for_six_invoices_or_two(world_a, client_for):
    """A run's invoices come from `run.invoices`: each row is given its run, read by its key;
    that key left out of the table's fields was one query per invoice (issue 18)."""
    _estate(world_a)
    run = _run(world_a, Grouping.REGISTRATION)
    client = client_for(world_a.finance)

    def rows_and_queries():
        with CaptureQueriesContext(connection) as queries:
            page = client.get(f"/alpha/invoices/runs/{run.pk}/")
        assert page.status_code == 200
        return len(page.context["table"].rows), len(queries)

    six = rows_and_queries()
    with activate(world_a.tenant):
        Invoice.objects.filter(pk__in=list(run.invoices.values_list("pk", flat=True)[2:])).update(
            run=None
        )
    two = rows_and_queries()
    assert (six[0], two[0]) == (6, 2)
    assert six[1] == two[1]


def test_the_bulk_page_is_named_in_the_browser_and_speaks_german(world_a, client_for):
    client = client_for(world_a.finance)
    page = client.get("/alpha/invoices/runs/").content.decode()
    assert re.search(r"<title>\s*Bulk invoicing · ", page)
    world_a.tenant.language = "de"
    world_a.tenant.save(update_fields=["language"])
    german = client.get("/alpha/invoices/runs/").content.decode()
    assert "Alles projektübergreifend Abrechenbare finden" in german
