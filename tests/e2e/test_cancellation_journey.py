"""Browser journey of issue 14: a late cancellation billed as a fee.

Staff tick a confirmed place on an event that starts in nine days and choose *mark cancelled*; the
page shows the fee of the agreement's band (50 % between 7 and 14 days) and asks; after
confirming, the fee is an item of the project, and finance invoices it: the issued invoice has a
*Late cancellation fee* line saying the rule.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from agreements import cancellations
from invoicing.models import InvoiceLine, LineKind
from projects.models import Registration, RegistrationStatus
from tests.e2e.test_accounts_journey import log_in
from tests.factories import (
    AccountFactory,
    ContactFactory,
    EventFactory,
    ProductFactory,
    ProjectFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_late_cancellation_shows_its_fee_asks_and_is_invoiced_as_a_fee(page, screenshot, world_a):
    tenant = world_a.tenant
    today = timezone.localdate()
    with activate(tenant):
        cancellations.cancellation_terms_save(
            tenant=tenant,
            by=world_a.admin,
            booking=None,
            bands=[(15, Decimal(0)), (7, Decimal(50)), (0, Decimal(100))],
            no_show_percent=Decimal(100),
            free_transfer_days=3,
        )
    account = AccountFactory(tenant=tenant, name="Kestrel Aerospace")
    learner = ContactFactory(account=account, first_name="Ada", last_name="Lovelace")
    project = ProjectFactory(account=account, currency="EUR", name="Engineering academy")
    course = ProductFactory(tenant=tenant, code="LEAD-101", name="First-time manager")
    start = today + datetime.timedelta(days=9)
    event = EventFactory(
        project=project, product=course, title="Cohort 3", start_date=start, end_date=start
    )
    place = Registration.objects.create(
        tenant=tenant,
        project=project,
        event=event,
        learner=learner,
        requested_date=today - datetime.timedelta(days=30),
        status=RegistrationStatus.CONFIRMED,
        unit_price=Decimal("1200.00"),
        net_amount=Decimal("1200.00"),
    )

    # Staff cancel the place: the page says what it will cost before anything happens.
    log_in(page, world_a.staff.username)
    page.goto(f"/alpha/projects/{project.pk}/registrations/")
    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_label("New status").select_option("cancelled")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", name="Cancel places")).to_be_visible()
    expect(page.get_by_text("cancelled 9 days before the start: 50 %")).to_be_visible()
    screenshot("cancellation-fee-preview")
    with activate(tenant):
        assert Registration.objects.get(pk=place.pk).status == RegistrationStatus.CONFIRMED
    page.get_by_role(
        "button", name=re.compile(r"Cancel 1 place and leave €600\.00 of fees")
    ).click()
    expect(page.get_by_text("1 registration cancelled; fees of 600.00 EUR")).to_be_visible()

    # The fee waits on the items tab, due at once.
    page.get_by_role("tab", name="Items").click()
    expect(page.get_by_text(re.compile("Late cancellation fee: Cohort 3"))).to_be_visible()

    # Finance invoices it.
    page.context.clear_cookies()
    log_in(page, world_a.finance.username)
    page.goto(f"/alpha/projects/{project.pk}/items/")
    page.get_by_role("checkbox", name="Select all").check()
    page.get_by_role("button", name="Create draft invoice").click()
    page.get_by_role("button", name="Create drafts (1 row)").click()
    expect(page.get_by_role("heading", name=re.compile("Draft invoice"))).to_be_visible()
    expect(page.get_by_text(re.compile("cancelled 9 days before the start: 50 %"))).to_be_visible()
    page.get_by_role("button", name="Issue").click()
    page.get_by_role("button", name=re.compile(r"^Issue as INV-\d+")).click()  # asks once
    expect(page.get_by_text(re.compile(r"INV-\d+ issued\."))).to_be_visible()
    screenshot("cancellation-fee-invoice")
    with activate(tenant):
        line = InvoiceLine.objects.get(item__fee_for=place, invoice__status="issued")
        assert line.kind == LineKind.CANCELLATION_FEE
        assert line.net == Decimal("600.00")
