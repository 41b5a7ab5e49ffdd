import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from accounts.models import Account
from accounts.platform.tenancy import activate
from tests.e2e.conftest import choose, type_in_search
from tests.factories import AccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


def log_in(page, username, password="correct-horse-battery"):
    page.goto("/login/")
    page.get_by_label("E-mail").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_staff_create_an_account_with_a_contact_find_it_and_open_every_tab(
    page, screenshot, world_a, tenant_b
):
    AccountFactory.create_batch(3, tenant=world_a.tenant)
    AccountFactory(tenant=tenant_b, name="Zenith Foreign Corp")
    log_in(page, world_a.staff.username)
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # Keyboard: the first Tab reaches "Skip to content", shown only then; Enter moves the focus to
    # the page's main content, past the navigation.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside main, not the navbar
    assert page.evaluate("document.activeElement.closest('main') !== null")

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("link", name="New account").click()
    page.get_by_label("Name*").fill("Zenith Aerospace Ltd")
    page.get_by_label("Kind*").select_option("organisation")
    # 160 currencies: the select searches as one types (tom-select).
    choose(page, "Sales currency", "pound", "GBP · Pound Sterling")
    screenshot("account-form-currency-search")
    page.get_by_label("City").fill("Bristol")
    page.get_by_label("Tags").fill("engineering, key-account")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name=re.compile("Zenith Aerospace Ltd"))).to_be_visible()
    expect(page.get_by_text("Account 1000")).to_be_visible()

    page.get_by_role("link", name="Add contact").first.click()
    page.get_by_label("First name*").fill("Grace")
    page.get_by_label("Last name*").fill("Hopper")
    page.get_by_label("Email").fill("grace@zenith.example")
    page.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("cell", name="Grace Hopper", exact=True)).to_be_visible()

    # The navbar's search box finds the account and its contact, never the other company's.
    navbar_search = page.get_by_role("searchbox", name=re.compile("^Search accounts, contacts"))
    navbar_search.fill("zenith")
    navbar_search.press("Enter")
    expect(page.get_by_role("heading", name="Accounts", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Zenith Aerospace Ltd"))).to_be_visible()
    expect(page.get_by_text("Zenith Foreign Corp")).to_have_count(0)
    screenshot("search-results")

    page.get_by_role("link", name="Accounts", exact=True).click()
    page.get_by_role("searchbox", name="Search", exact=True).fill("zenith")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Zenith Aerospace Ltd")
    screenshot("accounts-list-filtered")
    rows.first.get_by_role("link", name="Zenith Aerospace Ltd").click()

    for tab, text in [
        ("Contacts", "Grace Hopper"),
        ("Bookings", "No bookings yet"),
        ("Projects", "No projects yet"),
        ("Invoices", "No invoices yet"),
        ("Overview", "Bristol"),
    ]:
        page.get_by_role("tab", name=tab).click()
        expect(page.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        expect(page.locator(".nav-tabs .nav-link.active")).to_have_count(1)
        expect(page.locator("#tab-body")).to_contain_text(text)
        screenshot(f"account-tab-{tab.lower()}")
    expect(page).to_have_url(re.compile(r"/alpha/accounts/\d+/overview/$"))

    # A form's customer is searched on the server (never an <option> per account): typing finds
    # this company's account, never the other company's.
    page.goto("/alpha/projects/new/")
    field = page.get_by_role("combobox", name="Customer (organisation)*", exact=True)
    # Waits for the search's own answer, not a time. On a loaded CI machine the list twice stayed
    # empty with no request for "zeni" made: the keys are typed again, as a person would.
    for attempt in range(3):
        try:
            with page.expect_response(
                lambda response: "/accounts/options/" in response.url and "q=zeni" in response.url,
                timeout=10_000,
            ) as searched:
                type_in_search(field, "zeni")
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            page.keyboard.press("Control+A")
            page.keyboard.press("Backspace")
            page.keyboard.press("Escape")
    assert searched.value.status == 200
    assert "Zenith Aerospace Ltd" in searched.value.text()
    match = page.get_by_role("option", name=re.compile("Zenith Aerospace Ltd"))
    expect(match).to_be_visible(timeout=15_000)  # a request to the server, on a busy machine
    expect(page.get_by_role("option", name=re.compile("Zenith Foreign"))).to_have_count(0)
    screenshot("project-form-customer-search")

    with activate(world_a.tenant):
        account = Account.objects.get(name="Zenith Aerospace Ltd")
        assert account.contacts.get().is_primary
        assert account.sales_currency == "GBP"


def test_a_viewer_sees_no_buttons_to_change_anything(page, world_a):
    AccountFactory(tenant=world_a.tenant, name="Read Only Ltd")
    log_in(page, world_a.viewer.username)
    page.get_by_role("link", name="Accounts", exact=True).click()
    expect(page.get_by_role("link", name="New account")).to_have_count(0)
    page.get_by_role("link", name="Read Only Ltd").click()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
