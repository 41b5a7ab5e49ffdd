"""Issue 13, part 3's journey: finance opens a billing account, goes to its projects' rows ready
to invoice, ticks two projects' places, drafts ONE invoice whose lines say which project, and
issues it (asked once); each project's invoices tab then shows its own part."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accounts_journey import log_in
from tests.invoicing.test_multi_project import meridian as meridian_fixture

pytestmark = pytest.mark.django_db(transaction=True)

meridian = meridian_fixture


def test_invoice_two_projects_of_a_billing_account_on_one_invoice(page, screenshot, meridian):
    alpha, beta = meridian["alpha"], meridian["beta"]
    log_in(page, meridian["world"].finance.username)
    page.goto(f"/alpha/accounts/{meridian['account'].pk}/invoices/")
    page.get_by_role("link", name="Ready to invoice across projects").click()
    expect(page.get_by_role("heading", name="Ready to invoice across projects")).to_be_visible()
    for project in (alpha, beta):
        section = page.locator("section", has_text=project.code)
        section.get_by_role("checkbox", name="Select every one of the registrations").check()
    screenshot("account-ready")
    page.get_by_role("button", name="Create drafts of the ticked rows").click()

    expect(page.get_by_text("1 draft invoice created.")).to_be_visible()
    lines = page.locator("table tbody tr", has_text="900.00")
    expect(lines.filter(has_text=alpha.code)).to_have_count(2)
    expect(lines.filter(has_text=beta.code)).to_have_count(2)
    page.get_by_role("button", name="Issue").click()
    page.get_by_role("button", name="Issue as INV-00001").click()
    expect(page.get_by_text("INV-00001 issued.")).to_be_visible()
    screenshot("account-invoice-issued")

    page.goto(f"/alpha/projects/{beta.pk}/invoices/")
    expect(page.get_by_role("link", name="INV-00001")).to_be_visible()
    expect(page.locator("[data-total=invoiced]")).to_contain_text("€1,800.00")
