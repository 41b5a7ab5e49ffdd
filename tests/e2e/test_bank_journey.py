"""Issue 16's journey: finance imports a camt.053 statement, confirms the proposed matches,
and sees the invoices paid, the aged receivables report and the dashboard's overdue figure move,
and the account's balance settled."""

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from invoicing.models import Grouping
from tests.e2e.test_accounts_journey import log_in
from tests.factories import BankAccountFactory
from tests.invoicing.conftest import act as act_fixture
from tests.invoicing.conftest import billing as billing_fixture
from tests.invoicing.test_bank_statements import DATA
from tests.invoicing.test_payments import LONG_AGO, issue

pytestmark = pytest.mark.django_db(transaction=True)

billing = billing_fixture
act = act_fixture


def test_import_a_statement_confirm_matches_and_see_the_invoices_paid(
    page, screenshot, billing, act
):
    with activate(billing["tenant"]):
        first, second = issue(act, billing, 2, grouping=Grouping.REGISTRATION, on_date=LONG_AGO)
    BankAccountFactory(tenant=billing["tenant"], label="Commerzbank EUR")
    log_in(page, billing["world"].finance.username)
    page.goto("/alpha/")
    expect(page.locator("[data-figure=overdue]")).to_contain_text("2")
    aged_row = page.locator(f"tr[data-account='{billing['account'].pk}']")
    page.goto("/alpha/reports/aged-receivables/")
    expect(aged_row).to_contain_text("€2,160.00")

    page.goto("/alpha/invoices/")
    page.get_by_role("link", name="Bank statements").click()
    page.get_by_role("link", name="Import a statement").click()
    page.get_by_label("Bank account").select_option(label="Commerzbank EUR")
    page.get_by_label("File").set_input_files(str(DATA / "camt053_v02.xml"))
    page.get_by_role("button", name="Check the statement").click()
    expect(page.get_by_text("Statement STMT-2026-03-31-001")).to_be_visible()
    screenshot("bank-preview")
    page.get_by_role("button", name="Import 6 lines").click()
    expect(page.get_by_text("Imported 6 statement lines; 2 have a proposed match.")).to_be_visible()
    screenshot("bank-review")

    for number in (first.number, second.number):
        row = page.locator("tr", has_text=f"{number}: €1,080.00")
        row.get_by_role("link", name="Confirm…").click()
        expect(page.locator(f"[data-chosen='{number}']")).to_be_visible()
        page.get_by_role("button", name="Record the payment").click()
        message = "Payment of 1,080.00 EUR recorded from Meridian Health."
        expect(page.get_by_text(message)).to_be_visible()

    page.goto(f"/alpha/invoices/{first.pk}/")
    expect(page.locator("[data-state]").first).to_have_text("Paid")
    page.goto("/alpha/")
    expect(page.locator("[data-figure=overdue]")).to_contain_text("0")
    page.goto("/alpha/reports/aged-receivables/")
    expect(aged_row).to_have_count(0)  # nothing outstanding any more
    page.goto(f"/alpha/accounts/{billing['account'].pk}/invoices/")
    expect(page.locator("[data-account-balance]")).to_contain_text(
        "Nothing outstanding, nothing on account."
    )
    screenshot("bank-paid")
