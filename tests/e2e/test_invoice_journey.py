import re

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from invoicing.models import Invoice
from tests.e2e.test_accounts_journey import log_in
from tests.invoicing.conftest import billing as billing_fixture

pytestmark = pytest.mark.django_db(transaction=True)

billing = billing_fixture


def test_invoice_issue_open_pdf_credit_a_line_and_invoice_it_again(page, screenshot, billing):
    project = billing["project"]
    log_in(page, billing["world"].finance.username)
    page.goto(f"/alpha/projects/{project.pk}/registrations/")
    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_role("button", name="Create draft invoice").click()
    expect(page.get_by_role("heading", name="Create draft invoices")).to_be_visible()
    page.get_by_role("button", name="Create drafts (4 rows)").click()
    expect(page.get_by_role("heading", name=re.compile("Draft invoice"))).to_be_visible()
    expect(page.locator("[data-total=gross]")).to_have_text("€4,320.00")

    page.get_by_role("button", name="Issue").click()
    # Issue 17: it asks once, saying what will happen, and is confirmed by keyboard.
    question = page.locator("[data-question]")
    expect(question).to_contain_text(
        "4 lines, net €3,600.00, total €4,320.00 — this gives it the next number, INV-00001, "
        "and cannot be undone."
    )
    screenshot("confirm-issue")
    page.get_by_role("button", name="Issue as INV-00001").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("INV-00001 issued.")).to_be_visible()
    pdf_link = page.get_by_role("link", name="PDF")
    pdf = page.request.get(pdf_link.get_attribute("href"))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    screenshot("invoice-issued")

    page.get_by_label("Credit line 1").check()
    page.get_by_label("Reason for the credit").fill("Learner did not attend")
    page.get_by_role("button", name="Issue credit note").click()
    expect(page.locator("[data-question]")).to_contain_text("1 of its 4 lines, net -€900.00")
    page.get_by_role("button", name="Issue credit note CN-00001").click()
    expect(page.get_by_role("heading", name=re.compile("Credit note CN-00001"))).to_be_visible()
    expect(page.locator("[data-total=gross]")).to_have_text("-€1,080.00")
    screenshot("credit-note")

    page.goto(f"/alpha/projects/{project.pk}/registrations/")
    page.get_by_role("combobox", name="Invoiced").select_option("false")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table[aria-label=Registrations] tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("checkbox").check()
    page.get_by_role("button", name="Create draft invoice").click()
    page.get_by_role("button", name="Create drafts (1 row)").click()
    page.get_by_role("button", name="Issue").click()
    page.get_by_role("button", name="Issue as INV-00002").click()
    expect(page.get_by_text("INV-00002 issued.")).to_be_visible()

    with activate(billing["tenant"]):
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
    assert numbers == ["CN-00001", "INV-00001", "INV-00002"]
