"""Browser journey of issue 13: a phased programme billed by milestone.

Staff add a phase "Design" (budget €10,000, billed by milestone) and a milestone of 40 % due
today; the phases tab shows the phase's figures and the timeline. Finance invoices the milestone
from the invoices tab's "Ready to invoice": the issued invoice's line says which milestone, and
the phases tab counts it as invoiced.
"""

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from invoicing.models import InvoiceLine
from tests.e2e.test_accounts_journey import log_in
from tests.factories import AccountFactory, EventFactory, ProductFactory, ProjectFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_phase_with_a_milestone_is_shown_on_a_timeline_and_invoiced(page, screenshot, world_a):
    tenant = world_a.tenant
    today = timezone.localdate()
    account = AccountFactory(tenant=tenant, name="Kestrel Aerospace")
    project = ProjectFactory(
        account=account,
        currency="EUR",
        name="Engineering leadership programme",
        start_date=today.replace(month=1, day=1),
        end_date=today.replace(month=12, day=31),
    )
    ProductFactory(tenant=tenant, code="PM", name="Programme management")
    course = ProductFactory(tenant=tenant, code="LEAD-101", name="First-time manager")
    EventFactory(
        project=project, product=course, title="Design sprint", start_date=today, end_date=today
    )

    # Staff organise the project in a phase billed by milestone, with a milestone of 40 %.
    log_in(page, world_a.staff.username)
    page.goto(f"/alpha/projects/{project.pk}/phases/")
    page.get_by_role("link", name="New phase").click()
    page.get_by_label("Name").fill("Design")
    page.get_by_label("Budget").fill("10000")
    page.get_by_label("Billing").select_option(label="By milestone")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name=re.compile("Design"))).to_be_visible()
    page.get_by_role("link", name="Add milestone").click()
    page.get_by_label("Name").fill("Kick-off")
    page.get_by_label("% of the phase budget").fill("40")
    page.get_by_label("Due date").fill(today.isoformat())
    page.get_by_label("Billed as").select_option(label="PM · Programme management")
    page.get_by_role("button", name="Save").click()

    # The phases tab: planned, the milestone ready, and the timeline.
    expect(page.get_by_role("cell", name=re.compile("M1 Kick-off"))).to_be_visible()
    expect(page.get_by_text("due: ready to invoice")).to_be_visible()
    expect(page.locator("[data-figure=planned]").first).to_have_text("€10,000.00")
    expect(page.locator("svg [data-kind=milestone]")).to_have_count(1)
    screenshot("programme-phases")

    # Finance invoices the milestone from "Ready to invoice".
    page.context.clear_cookies()
    log_in(page, world_a.finance.username)
    page.goto(f"/alpha/projects/{project.pk}/invoices/")
    page.get_by_label(re.compile("Select Milestone 1 of phase Design")).check()
    page.get_by_role("button", name="Create draft invoice").click()
    page.get_by_role("button", name="Create drafts (1 row)").click()
    expect(page.get_by_role("heading", name=re.compile("Draft invoice"))).to_be_visible()
    expect(
        page.get_by_text(re.compile("Milestone 1 of phase Design \\(Kick-off\\)"))
    ).to_be_visible()
    page.get_by_role("button", name="Issue").click()
    page.get_by_role("button", name=re.compile(r"^Issue as INV-\d+")).click()
    expect(page.get_by_text(re.compile(r"INV-\d+ issued\."))).to_be_visible()

    page.goto(f"/alpha/projects/{project.pk}/phases/")
    expect(page.locator("[data-figure=invoiced]").first).to_have_text("€4,000.00")
    expect(page.get_by_text("on an invoice")).to_be_visible()
    screenshot("programme-phases-invoiced")
    with activate(tenant):
        line = InvoiceLine.objects.get(item__milestone__name="Kick-off", invoice__status="issued")
        assert line.net == Decimal("4000.00")
        assert line.description == "Milestone 1 of phase Design (Kick-off): 40 % of 10,000.00 EUR"


def test_a_milestone_is_split_between_a_grant_fund_and_the_customer(page, screenshot, world_a):
    """Issue 13's journey: a milestone of a phased programme invoiced from "Ready to invoice"
    makes two invoices, 40 % to the grant fund and the rest to the customer, each line saying
    which milestone it bills."""
    from invoicing.models import Invoice
    from projects import services
    from projects.models import FunderKind, Milestone, MilestoneDue, Phase, ProjectFunder

    tenant = world_a.tenant
    today = timezone.localdate()
    account = AccountFactory(tenant=tenant, name="Kestrel Aerospace")
    fund = AccountFactory(tenant=tenant, name="Aerospace Skills Fund")
    project = ProjectFactory(
        account=account,
        currency="EUR",
        name="Engineering leadership programme",
        start_date=today.replace(month=1, day=1),
        end_date=today.replace(month=12, day=31),
    )
    product = ProductFactory(tenant=tenant, code="PM", name="Programme management")
    with activate(tenant):
        phase = services.phase_save(
            tenant=tenant,
            by=world_a.admin,
            phase=Phase(
                project=project,
                name="Design",
                start_date=project.start_date,
                end_date=project.end_date,
                budget=Decimal("10000"),
                billing_moment="by_milestone",
            ),
        )
        services.milestone_save(
            tenant=tenant,
            by=world_a.admin,
            milestone=Milestone(
                phase=phase,
                name="Kick-off",
                percent=Decimal("40"),
                due=MilestoneDue.ON_DATE,
                due_date=today,
                product=product,
            ),
        )
        services.funder_save(
            tenant=tenant,
            by=world_a.admin,
            funder=ProjectFunder(
                project=project,
                kind=FunderKind.GRANT,
                name="Skills grant",
                account=fund,
                priority=1,
                percent=Decimal("40"),
                cap=Decimal("5000"),
            ),
        )

    log_in(page, world_a.finance.username)
    page.goto(f"/alpha/projects/{project.pk}/invoices/")
    page.get_by_label(re.compile("Select Milestone 1 of phase Design")).check()
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.locator("[data-funders]")).to_contain_text("Skills grant")
    page.get_by_role("button", name="Create drafts (1 row)").click()
    expect(page.get_by_text("2 draft invoices created.")).to_be_visible()
    screenshot("programme-milestone-split")

    with activate(tenant):
        drafts = {
            invoice.billing_account.name: invoice
            for invoice in Invoice.objects.select_related("billing_account")
        }
    assert set(drafts) == {"Aerospace Skills Fund", "Kestrel Aerospace"}
    assert drafts["Aerospace Skills Fund"].net_total == Decimal("1600.00")  # 40 % of 4,000
    assert drafts["Kestrel Aerospace"].net_total == Decimal("2400.00")
    for name in ("Aerospace Skills Fund", "Kestrel Aerospace"):
        page.goto(drafts[name].get_absolute_url())
        expect(page.get_by_text(re.compile("Milestone 1 of phase Design"))).to_be_visible()
        page.get_by_role("button", name="Issue").click()
        page.get_by_role("button", name=re.compile(r"^Issue as INV-\d+")).click()
        expect(page.get_by_text(re.compile(r"INV-\d+ issued\."))).to_be_visible()

    page.goto(f"/alpha/projects/{project.pk}/phases/")
    expect(page.locator("[data-figure=invoiced]").first).to_have_text("€4,000.00")
    screenshot("programme-milestone-split-invoiced")
