"""Issue 13, parts 5 and 6 in the browser: an admin shares a project with one member only, the
viewer then gets 404; the project's currency is changed after seeing each price before and
after."""

import datetime
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from agreements.models import Interest
from projects import services
from projects.models import PrivateEvent, Project
from tests.e2e.test_accounts_journey import log_in
from tests.factories import AccountFactory, BookingFactory, ContactFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_share_a_project_with_one_member_then_change_its_currency(
    page, screenshot, world_a, browser, live_server
):
    tenant = world_a.tenant
    account = AccountFactory(tenant=tenant, name="Kestrel Aerospace", sales_currency="")
    learner = ContactFactory(account=account, first_name="Ada", last_name="Lovelace")
    course = ProductFactory(tenant=tenant, code="LEAD-101", name="First-time manager")
    euro = BookingFactory(account=account, name="Academy EUR", currency="EUR")
    sterling = BookingFactory(account=account, name="Academy GBP", currency="GBP")
    for booking, price in ((euro, "1200"), (sterling, "1000")):
        Interest.objects.create(
            tenant=tenant, booking=booking, product=course, unit_price=Decimal(price)
        )
    with activate(tenant):
        project = services.project_save(
            tenant=tenant,
            by=None,
            project=Project(
                name="Engineering academy",
                account=account,
                booking=euro,
                start_date=datetime.date(2026, 1, 1),
                end_date=datetime.date(2026, 12, 31),
            ),
        )
        event = services.event_save(
            tenant=tenant,
            by=None,
            event=PrivateEvent(
                project=project,
                product=course,
                start_date=datetime.date(2026, 3, 2),
                end_date=datetime.date(2026, 3, 3),
            ),
        )
        services.registrations_add(
            tenant=tenant,
            by=None,
            project=project,
            event=event,
            learners=[learner],
            requested_date=datetime.date(2026, 2, 1),
        )
        Project.objects.filter(pk=project.pk).update(booking=sterling)

    log_in(page, world_a.admin.username)
    page.goto(f"/alpha/projects/{project.pk}/")
    page.get_by_role("link", name="Sharing").click()
    page.get_by_label("Only its manager and the members and groups named").check()
    page.get_by_label(re.compile(r"\(Staff\)")).check()
    screenshot("project-sharing")
    page.get_by_role("button", name="Save sharing").click()
    expect(page.get_by_text("Shared with some")).to_be_visible()

    page.get_by_role("link", name="Change currency").click()
    # The form's own select (a searchable list lies over it): its list, left open on a slow
    # machine, would cover the button below.
    page.locator("select[name=currency]").select_option("GBP", force=True)
    page.get_by_role("button", name="Show the new prices").click()
    expect(page.locator("[data-details]")).to_contain_text("€1,200.00")
    expect(page.locator("[data-details]")).to_contain_text("£1,000.00")
    screenshot("project-currency-confirm")
    page.get_by_role("button", name="Change to GBP").click()
    expect(page.get_by_text("is now in GBP")).to_be_visible()

    viewer = browser.new_context(base_url=live_server.url).new_page()
    log_in(viewer, world_a.viewer.username)
    response = viewer.goto(f"/alpha/projects/{project.pk}/")
    assert response.status == 404
    viewer.goto("/alpha/projects/")
    expect(viewer.get_by_text("Engineering academy")).to_have_count(0)
    viewer.context.close()
