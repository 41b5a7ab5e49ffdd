"""Saved list views by keyboard and mouse (issue 17): filter the accounts, hide columns, save
the view, open it again from the menu, delete it after the confirmation."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accounts_journey import log_in
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_save_a_filtered_list_with_fewer_columns_open_it_again_and_delete_it(
    page, screenshot, world_a
):
    AccountFactory.create_batch(2, tenant=world_a.tenant)
    AccountFactory(tenant=world_a.tenant, name="Zenith Aerospace", city="Bristol")
    log_in(page, world_a.staff.username)
    page.goto("/alpha/accounts/")
    page.get_by_role("searchbox", name="Search", exact=True).fill("zenith")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table tbody tr")).to_have_count(1)

    page.get_by_role("button", name="Columns").click()
    page.get_by_role("checkbox", name="City").uncheck()
    page.get_by_role("checkbox", name="Region").uncheck()
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("columnheader", name="City")).to_have_count(0)
    expect(page.get_by_role("columnheader", name="Name")).to_be_visible()

    page.get_by_role("button", name="Save view").click()
    page.get_by_label("Name of this view").fill("Zenith, short")
    page.keyboard.press("Enter")
    expect(page.get_by_text("View “Zenith, short” saved.")).to_be_visible()

    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.locator("table tbody tr")).to_have_count(3)
    # By keyboard: the menu button opens with Enter and its items load.
    page.get_by_role("button", name="Saved views").focus()
    page.keyboard.press("Enter")
    saved = page.get_by_role("link", name="Zenith, short")
    expect(saved).to_be_visible()
    screenshot("saved-views-menu")
    saved.click()
    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.get_by_role("columnheader", name="City")).to_have_count(0)

    page.get_by_role("button", name="Saved views").click()
    page.get_by_role("button", name="Delete saved view Zenith, short").click()
    expect(page.get_by_text("Delete your saved view “Zenith, short”?")).to_be_visible()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.get_by_text("Saved view “Zenith, short” deleted.")).to_be_visible()
    page.get_by_role("button", name="Saved views").click()
    expect(page.get_by_text("No saved views yet")).to_be_visible()
