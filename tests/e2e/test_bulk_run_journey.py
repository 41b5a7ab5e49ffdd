"""A bulk run as finance works it: preview everything ready to invoice, see what is left out and
why, create the drafts in the background, issue them (asked once, with the totals), and find the
numbered invoices on the run's page. The journeys run on SQLite, so this is the run's pages and
services end to end; the PostgreSQL-only paths (invoices by COPY with drawn ids, long id lists as
arrays) are covered by tests/invoicing/test_bulk_runs.py and tests/accounts on PostgreSQL."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from invoicing.models import ExchangeRate, Invoice
from tests.e2e.test_accounts_journey import log_in
from tests.invoicing.test_bulk_runs import estate as estate_fixture

pytestmark = pytest.mark.django_db(transaction=True)

estate = estate_fixture


def test_finance_previews_drafts_and_issues_a_bulk_run(page, screenshot, estate):
    ExchangeRate.objects.create(
        tenant=estate["tenant"],
        currency="GBP",
        date=timezone.localdate() - datetime.timedelta(days=1),
        rate=Decimal("1.15"),
    )
    log_in(page, estate["world"].finance.username)
    page.goto("/alpha/invoices/runs/")
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("8 rows in 2 projects: at least 2 invoices")).to_be_visible()
    # The finished, the "do not invoice" and the internal projects are left out, with reasons.
    for reason in ("finished", "marked “do not invoice”", "internal"):
        expect(page.get_by_text(f"the project is {reason}")).to_be_visible()
    screenshot("bulk-run-preview")

    page.get_by_role("button", name="Create the drafts").click()
    expect(page.get_by_role("heading", name="Bulk run")).to_be_visible()
    expect(page.get_by_text("2 invoices created, 0 issued · 8 of 8 rows")).to_be_visible()
    page.get_by_role("button", name="Issue 2 drafts").click()
    expect(page.get_by_role("heading", name="Issue 2 drafts of run")).to_be_visible()  # once
    expect(page.get_by_text("1 in EUR, net €500.00")).to_be_visible()
    page.get_by_role("button", name="Issue 2 drafts").click()

    expect(page.get_by_text("Issuing started.")).to_be_visible()
    expect(page.get_by_text("2 invoices created, 2 issued · 8 of 8 rows")).to_be_visible()
    expect(page.locator("#run-progress strong").first).to_have_text("Issued")
    for number in ("INV-00001", "INV-00002"):
        expect(page.get_by_role("link", name=number)).to_be_visible()
    screenshot("bulk-run-issued")
    with activate(estate["tenant"]):
        issued = dict(Invoice.objects.values_list("project__code", "net_total"))
    assert issued == {"PR-A": Decimal("500.000"), "PR-B": Decimal("300.000")}
