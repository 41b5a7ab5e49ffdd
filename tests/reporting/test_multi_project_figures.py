"""One invoice across projects (issue 13, part 3): every page, report and export that shows what
a project has invoiced shows that project's lines of an invoice of several projects, never the
invoice's total nor nothing.

One billing account, two projects: ALPHA (two delivered places at 900) and BETA (one at 600,
maximum billing 700), invoiced on ONE invoice issued today (2,400). Invoiced: ALPHA 1,800,
BETA 600. Each test reads BETA's figure (the project the invoice is not filed under) the way a
user reads it on one page or in one file.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from freezegun import freeze_time

from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import Grouping
from projects.models import Registration
from tests.factories import AccountFactory, EventFactory, ProjectFactory

TODAY = datetime.date.today()
PAST = TODAY - datetime.timedelta(days=10)
BETA_INVOICED = Decimal("600.00")
CAP = Decimal("700.00")


@pytest.fixture(autouse=True)
def _the_day_stays_today():
    """TODAY is fixed when pytest collects this module, and the dashboard reads the current
    month: a run that crosses midnight at a month's end would compare two different months."""
    with freeze_time(datetime.datetime.combine(TODAY, datetime.time(12)), tick=True):
        yield


def _places(project, count, price):
    event = EventFactory(project=project, start_date=PAST, end_date=PAST)
    return [
        Registration.objects.create(
            tenant=project.tenant,
            project=project,
            event=event,
            requested_date=PAST,
            status="delivered",
            unit_price=Decimal(price),
            net_amount=Decimal(price),
            unit_cost=Decimal("100"),
        )
        for _ in range(count)
    ]


@pytest.fixture
def shared(world_a):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant, country="GB", tax_id="GB999")
    alpha = ProjectFactory(account=account, code="PR-0101", currency="EUR")
    beta = ProjectFactory(account=account, code="PR-0102", currency="EUR", max_billing_amount=CAP)
    rows = _places(alpha, 2, "900.00") + _places(beta, 1, "600.00")
    with activate(tenant):
        call = {"tenant": tenant, "by": world_a.finance}
        (invoice,) = services.account_drafts_create(
            **call,
            billing_account=account,
            registration_ids=[row.pk for row in rows],
            grouping=Grouping.BILLING_ACCOUNT,
        )
        invoice = services.invoice_issue(**call, invoice=invoice, on_date=TODAY, render_pdf=False)
    assert invoice.net_total == Decimal("2400.00") and invoice.project == alpha
    return {"world": world_a, "alpha": alpha, "beta": beta, "invoice": invoice}


def viewer(shared, client_for):
    return client_for(shared["world"].viewer)


def base(shared):
    return f"/alpha/projects/{shared['beta'].pk}"


def test_the_overview_tab(shared, client_for):
    overview = viewer(shared, client_for).get(f"{base(shared)}/")
    ((_template, panel),) = overview.context["money_panels"]
    assert panel["figures"].invoiced == BETA_INVOICED


def test_the_profitability_tab(shared, client_for):
    tab = viewer(shared, client_for).get(f"{base(shared)}/profitability/")
    assert tab.context["figures"].invoiced == BETA_INVOICED


def test_the_invoices_tab(shared, client_for):
    tab = viewer(shared, client_for).get(f"{base(shared)}/invoices/")
    assert tab.context["invoiced"] == BETA_INVOICED
    assert tab.context["cap_left"] == CAP - BETA_INVOICED
    assert shared["invoice"].number in tab.content.decode()  # listed on BETA's tab too


def test_the_profitability_report(shared, client_for):
    report = viewer(shared, client_for).get("/alpha/reports/profitability/")
    figures = {r.label.split()[0]: r.figures.invoiced for r in report.context["rows"]}
    assert figures["PR-0102"] == BETA_INVOICED and figures["PR-0101"] == Decimal("1800.00")
    assert report.context["base"].invoiced == Decimal("2400.00")


def test_the_profitability_report_csv(shared, client_for):
    response = viewer(shared, client_for).get("/alpha/reports/profitability/?format=csv")
    (row,) = [
        r
        for r in csv.DictReader(io.StringIO(response.content.decode()))
        if r["Project"].startswith("PR-0102 ")
    ]
    assert Decimal(row["revenue_invoiced"]) == BETA_INVOICED


def test_the_custom_report(shared, client_for):
    response = viewer(shared, client_for).get(
        "/alpha/reports/custom/", {"dimensions": "project", "measures": ["invoiced"]}
    )
    (cells,) = [
        cell
        for labels, _currency, cell in response.context["result"].rows
        if labels[0].startswith("PR-0102 ")
    ]
    assert cells.invoiced == BETA_INVOICED


def test_the_dashboard(shared, client_for):
    page = viewer(shared, client_for).get("/alpha/")
    (panel,) = [context for _template, context in page.context["panels"] if "revenue" in context]
    assert panel["revenue"] == Decimal("2400.00")
    (watched,) = panel["near_cap"]  # BETA: 600 of 700
    assert watched.pk == shared["beta"].pk and watched.billed == BETA_INVOICED


def test_the_reconciliation_export(shared, client_for):
    response = client_for(shared["world"].finance).get("/alpha/exports/reconciliation.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    beta = [row for row in rows if row["project_code"] == "PR-0102"]
    assert sum(Decimal(row["net"]) for row in beta) == BETA_INVOICED
    assert all(row["description"].startswith("PR-0102: ") for row in beta)
    assert {row["invoice_number"] for row in beta} == {shared["invoice"].number}


def test_the_invoice_line_export(shared, client_for):
    invoice = shared["invoice"]
    response = client_for(shared["world"].finance).get(
        f"/alpha/invoices/{invoice.pk}/", {"export": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert sorted(row["project"] for row in rows) == ["PR-0101", "PR-0101", "PR-0102"]


def test_the_invoice_page_and_pdf_name_both_projects(shared, client_for):
    from invoicing.pdf import invoice_html

    invoice = shared["invoice"]
    page = client_for(shared["world"].finance).get(f"/alpha/invoices/{invoice.pk}/")
    assert "PR-0101" in page.content.decode() and "PR-0102" in page.content.decode()
    with activate(shared["world"].tenant):
        html = invoice_html(invoice)
    assert "Projects" in html and "PR-0102: " in html


def test_the_e_invoice_lines_say_their_project(shared):
    from invoicing.einvoice.document import build

    with activate(shared["world"].tenant):
        document = build(shared["invoice"])
    texts = [f"{line.name} {line.description}" for line in document.lines]
    assert sum("PR-0102" in text for text in texts) == 1
