"""Browser journey of funding sources (issue 13, part 2): an admin adds a grant funder paying
40 % up to a cap, invoices the project's registrations and its exam fee, and gets two invoices,
one to the fund and one to the customer; the Funders tab shows what the fund paid and what is
left under its cap."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from tests.e2e.conftest import choose
from tests.e2e.test_accounts_journey import log_in
from tests.factories import AccountFactory
from tests.invoicing.conftest import billing as billing_fixture

pytestmark = pytest.mark.django_db(transaction=True)

billing = billing_fixture


def test_a_grant_funder_splits_the_invoices_and_its_cap_left_is_shown(page, screenshot, billing):
    project = billing["project"]
    fund = AccountFactory(tenant=billing["tenant"], name="Regional Skills Fund")
    log_in(page, billing["world"].admin.username)

    page.goto(f"/alpha/projects/{project.pk}/funders/")
    expect(page.get_by_role("heading", name="The customer pays everything")).to_be_visible()
    page.get_by_role("link", name="Add a funder").click()
    page.get_by_role("combobox", name=re.compile("^Kind")).select_option("grant")
    page.get_by_role("textbox", name=re.compile("^Name")).fill("Skills grant")
    # The account is searched as one types (tom-select): never an <option> per organisation;
    # the empty box says so.
    account = page.get_by_role("combobox", name="Account", exact=True)
    expect(account).to_have_attribute("placeholder", "Type a few letters to search")
    choose(page, "Account", "Regional", str(fund))
    page.get_by_role("spinbutton", name=re.compile("^Percentage")).fill("40")
    page.get_by_role("spinbutton", name=re.compile(r"^Cap \(EUR\)")).fill("2000")
    screenshot("funders-form")
    page.get_by_role("button", name="Save").click()
    funder = page.locator("tr[data-funder='Skills grant']")
    expect(funder.locator("[data-total=cap-left]")).to_have_text("€2,000.00")

    page.goto(f"/alpha/projects/{project.pk}/registrations/")
    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.locator("[data-funders]")).to_contain_text("Skills grant")
    screenshot("funders-review")
    page.get_by_role("button", name="Create drafts (4 rows)").click()
    expect(page.get_by_text("2 draft invoices created.")).to_be_visible()

    with activate(billing["tenant"]):
        drafts = {
            invoice.billing_account.name: invoice
            for invoice in Invoice.objects.select_related("billing_account")
        }
    assert set(drafts) == {"Regional Skills Fund", "Meridian Health"}
    assert drafts["Regional Skills Fund"].net_total == Decimal("1440.00")  # 40 % of 4 × 900
    assert drafts["Meridian Health"].net_total == Decimal("2160.00")
    for name in ("Regional Skills Fund", "Meridian Health"):
        page.goto(drafts[name].get_absolute_url())
        page.get_by_role("button", name="Issue").click()
        page.get_by_role("button", name=re.compile(r"Issue as INV-")).click()
        expect(page.get_by_text(re.compile(r"INV-0000\d issued\."))).to_be_visible()
    screenshot("funders-invoice-issued")

    page.goto(f"/alpha/projects/{project.pk}/funders/")
    funder = page.locator("tr[data-funder='Skills grant']")
    expect(funder.locator("[data-total=invoiced]")).to_have_text("€1,440.00")
    expect(funder.locator("[data-total=cap-left]")).to_have_text("€560.00")
    expect(page.locator("[data-total=customer]")).to_have_text("€2,160.00")
    screenshot("funders-tab")
