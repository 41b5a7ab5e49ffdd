"""A deposit is an advance, not revenue: every page, report and export that shows what a project
has invoiced shows its work, however much of it a deposit paid ahead (issue 14, part 4).

One project (`deposited`) for every test: three delivered places at 900 and one ordered for
later (committed value 3,600); a deposit of 30 % (1,080) issued 40 days ago; an invoice of one
place issued today, deducting 900 of the deposit (its net 0). Invoiced: 900, the place's work,
not 1,980 (deposit and invoice) and not 0 (their net). Each test reads the figure the way a user
reads it on one page or in one file.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from freezegun import freeze_time

from accounts.platform.money import line_net
from accounts.platform.tenancy import activate
from invoicing import services
from invoicing.models import Invoice, LineKind
from projects.models import Project, Registration
from tests.factories import AccountFactory, EventFactory, ProjectFactory

TODAY = datetime.date.today()
PAST = TODAY - datetime.timedelta(days=40)
WORK_INVOICED = Decimal("900.00")
DEPOSIT = Decimal("1080.00")
CAP = Decimal("1100.00")


@pytest.fixture(autouse=True)
def _the_day_stays_today():
    """TODAY is fixed when pytest collects this module, and the dashboard reads the current
    month: a run that crosses midnight at a month's end would compare two different months."""
    with freeze_time(datetime.datetime.combine(TODAY, datetime.time(12)), tick=True):
        yield


def place(project, event, status="delivered"):
    return Registration.objects.create(
        tenant=project.tenant,
        project=project,
        event=event,
        requested_date=event.start_date,
        status=status,
        unit_price=Decimal("900"),
        net_amount=line_net(1, Decimal("900"), 0, project.currency),
        unit_cost=Decimal("100"),
    )


@pytest.fixture
def deposited(world_a):
    tenant = world_a.tenant
    project = ProjectFactory(account=AccountFactory(tenant=tenant), currency="EUR")
    done = EventFactory(project=project, start_date=PAST, end_date=PAST)
    later = EventFactory(
        project=project,
        start_date=TODAY + datetime.timedelta(days=60),
        end_date=TODAY + datetime.timedelta(days=60),
    )
    places = [place(project, done) for _ in range(3)]
    place(project, later, status="requested")
    with activate(tenant):
        call = {"tenant": tenant, "by": world_a.finance}
        deposit = services.deposit_create(**call, project=project, percent="30")
        deposit = services.invoice_issue(**call, invoice=deposit, on_date=PAST, render_pdf=False)
        (invoice,) = services.drafts_create(
            **call, project=project, registration_ids=[places[0].pk]
        )
        invoice = services.invoice_issue(**call, invoice=invoice, on_date=TODAY, render_pdf=False)
    assert deposit.net_total == DEPOSIT and invoice.net_total == 0  # 900 - 900 deducted
    # A maximum billing amount set afterwards: the work is past 80 % of it, and what the
    # customer is billed (deposit and invoice: the work and the deposit's 180 not deducted
    # yet) leaves 20 under it.
    project.max_billing_amount = CAP
    project.save(update_fields=["max_billing_amount"])
    return {"world": world_a, "project": project, "deposit": deposit, "invoice": invoice}


def viewer(deposited, client_for):
    return client_for(deposited["world"].viewer)


def base(deposited):
    return f"/alpha/projects/{deposited['project'].pk}"


def test_the_overview_tab(deposited, client_for):
    overview = viewer(deposited, client_for).get(f"{base(deposited)}/")
    ((_template, panel),) = overview.context["money_panels"]
    assert panel["figures"].invoiced == WORK_INVOICED
    assert panel["figures"].recognised == WORK_INVOICED  # recognised on invoice


def test_the_profitability_tab(deposited, client_for):
    tab = viewer(deposited, client_for).get(f"{base(deposited)}/profitability/")
    figures = tab.context["figures"]
    assert figures.invoiced == WORK_INVOICED
    # Two places delivered and not invoiced: the deposit pays for them, it invoices nothing.
    assert figures.wip == Decimal("1800.00")


def test_the_invoices_tab(deposited, client_for):
    tab = viewer(deposited, client_for).get(f"{base(deposited)}/invoices/")
    assert tab.context["invoiced"] == WORK_INVOICED
    # Left under the cap counts what the customer is billed: the work, and the 180 of the
    # deposit not deducted yet (as the deposit form says).
    assert tab.context["cap_left"] == CAP - WORK_INVOICED - (DEPOSIT - 900)
    assert (tab.context["deposit_received"], tab.context["deposit_used"]) == (DEPOSIT, 900)
    assert 'data-total="invoiced">€900.00' in tab.content.decode()


def test_the_profitability_report(deposited, client_for):
    report = viewer(deposited, client_for).get("/alpha/reports/profitability/")
    (row,) = [r for r in report.context["rows"] if r.label.startswith(deposited["project"].code)]
    assert row.figures.invoiced == WORK_INVOICED
    assert report.context["base"].invoiced == WORK_INVOICED  # the totals in EUR


def test_the_profitability_report_csv(deposited, client_for):
    response = viewer(deposited, client_for).get("/alpha/reports/profitability/?format=csv")
    (row,) = [
        r
        for r in csv.DictReader(io.StringIO(response.content.decode()))
        if r["Project"].startswith(deposited["project"].code + " ")
    ]
    assert Decimal(row["revenue_invoiced"]) == WORK_INVOICED


def test_the_custom_report(deposited, client_for):
    response = viewer(deposited, client_for).get(
        "/alpha/reports/custom/", {"dimensions": "project", "measures": ["invoiced"]}
    )
    (cells,) = [
        cell
        for labels, _currency, cell in response.context["result"].rows
        if labels[0].startswith(deposited["project"].code + " ")
    ]
    assert cells.invoiced == WORK_INVOICED


def test_the_dashboard(deposited, client_for):
    page = viewer(deposited, client_for).get("/alpha/")
    (panel,) = [context for _template, context in page.context["panels"] if "revenue" in context]
    assert panel["revenue"] == WORK_INVOICED  # this month's: the invoice, not the deposit
    (watched,) = panel["near_cap"]
    assert watched.pk == deposited["project"].pk and watched.billed == WORK_INVOICED


def test_the_reconciliation_export(deposited, client_for):
    response = client_for(deposited["world"].finance).get("/alpha/exports/reconciliation.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    mine = [row for row in rows if row["project_code"] == deposited["project"].code]
    kinds = {row["line_kind"] for row in mine}
    assert kinds == {"deposit", "registration", "deduction"}
    work = sum(
        (Decimal(row["net"]) for row in mine if row["line_kind"] not in ("deposit", "deduction")),
        Decimal(0),
    )
    assert work == WORK_INVOICED
    # Every line is there: the file reconciles to the invoices' totals and VAT.
    assert sum(Decimal(row["net"]) for row in mine) == DEPOSIT + 0
    assert sum(Decimal(row["tax"]) for row in mine) == (
        deposited["deposit"].tax_total + deposited["invoice"].tax_total
    )


def test_the_finance_export_batch(deposited, client_for):
    client = client_for(deposited["world"].finance)
    client.post("/alpha/exports/")
    with activate(deposited["world"].tenant):
        from reporting.models import ExportBatch

        batch = ExportBatch.objects.get()
    response = client.get(f"/alpha/exports/batches/{batch.pk}/")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    deduction = [row for row in rows if row["line_kind"] == "deduction"]
    assert [Decimal(row["net"]) for row in deduction] == [Decimal("-900.000")]
    assert deduction[0]["description"].startswith(
        f"Deposit deducted: invoice {deposited['deposit'].number}"
    )


def test_the_invoice_line_export_carries_the_line_kind(deposited, client_for):
    invoice = deposited["invoice"]
    response = client_for(deposited["world"].finance).get(
        f"/alpha/invoices/{invoice.pk}/", {"export": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["kind"] for row in rows} == {LineKind.REGISTRATION, LineKind.DEPOSIT_DEDUCTION}


def test_over_the_projects_life_the_invoiced_total_is_its_work(deposited):
    """Invoicing the rest of the work uses the rest of the deposit: invoiced is the value of the
    three places, and deposit plus invoices bill the customer exactly that."""
    tenant, project = deposited["world"].tenant, deposited["project"]
    with activate(tenant):
        Project.objects.filter(pk=project.pk).update(max_billing_amount=None)
        rest = list(
            Registration.objects.filter(project=project, status="delivered", invoiced=False)
        )
        (invoice,) = services.drafts_create(
            tenant=tenant, by=None, project=project, registration_ids=[r.pk for r in rest]
        )
        services.invoice_issue(tenant=tenant, by=None, invoice=invoice, render_pdf=False)
        from invoicing.selectors import deposit_summary, invoiced_net

        assert invoiced_net(project) == 2700
        billed = sum(
            Invoice.objects.filter(project=project).values_list("net_total", flat=True),
            Decimal(0),
        )
        assert billed == 2700
        assert deposit_summary(project)["deposit_left"] == 0
