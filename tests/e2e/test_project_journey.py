import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from agreements.models import Interest
from projects.models import Project, Registration
from tests.e2e.test_accounts_journey import log_in
from tests.factories import AccountFactory, BookingFactory, ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_project_from_booking_event_three_learners_delivered_totals_change(
    page, screenshot, world_a
):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant, name="Kestrel Aerospace", sales_currency="EUR")
    for first, last in (("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper")):
        ContactFactory(account=account, first_name=first, last_name=last)
    course = ProductFactory(
        tenant=tenant, code="LEAD-101", name="First-time manager", default_price=Decimal("1500")
    )
    booking = BookingFactory(
        account=account,
        name="Engineering academy",
        status="signed",
        signed_date=datetime.date(2025, 12, 1),
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2027, 12, 31),
    )
    Interest.objects.create(
        tenant=tenant,
        booking=booking,
        product=course,
        unit_price=Decimal("1200"),
        committed_quantity=20,
    )

    log_in(page, world_a.staff.username)
    page.goto(f"/alpha/accounts/{account.pk}/")
    page.get_by_role("tab", name="Bookings").click()
    page.get_by_role("link", name="Engineering academy").click()
    page.get_by_role("tab", name="Projects").click()
    page.get_by_role("link", name="New project from this booking").click()
    expect(page.get_by_label("Name*")).to_have_value("Engineering academy")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=re.compile("Engineering academy"))).to_be_visible()
    expect(page.locator("[data-total=delivered]")).to_have_text("€0.00")

    page.get_by_role("tab", name="Events").click()
    page.get_by_role("link", name="New event").click()
    page.get_by_label("Course*").select_option(label="LEAD-101 · First-time manager")
    page.get_by_label("Start date*").fill("2026-03-02")
    page.get_by_label("End date*").fill("2026-03-03")
    page.get_by_label("Capacity").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("table", name="Events")).to_contain_text("First-time manager")

    page.get_by_role("link", name="Register", exact=True).last.click()
    for name in ("Ada Lovelace", "Alan Turing", "Grace Hopper"):
        page.get_by_label(name).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("3 places registered on First-time manager.")).to_be_visible()
    expect(page.locator("table[aria-label=Registrations] tbody tr")).to_have_count(3)

    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_label("New status").select_option("delivered")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("3 registrations marked delivered.")).to_be_visible()
    screenshot("project-registrations-delivered")

    page.get_by_role("tab", name="Overview").click()
    expect(page.locator("[data-total=delivered]")).to_have_text("€3,600.00")
    expect(page.locator("[data-total=ordered]")).to_have_text("€3,600.00")
    expect(page.get_by_role("table", name="Burn-down")).to_contain_text("LEAD-101")
    screenshot("project-overview-after-delivery")

    # The calendar shows the course on both its days, with its places and status.
    page.get_by_role("link", name="Calendar").click()
    page.goto("/alpha/calendar/?month=2026-03")
    for day in ("2026-03-02", "2026-03-03"):
        expect(page.locator(f"td[data-day='{day}']")).to_contain_text("3/12 places")
    screenshot("calendar-month")

    with activate(tenant):
        project = Project.objects.get()
        assert project.booking == booking
        assert list(Registration.objects.values_list("status", flat=True)) == ["delivered"] * 3
