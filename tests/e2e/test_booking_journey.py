import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.platform.tenancy import activate
from agreements.models import Booking
from tests.e2e.test_accounts_journey import log_in
from tests.factories import AccountFactory, PriceListFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)

CONTRACT = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_create_a_booking_add_agreed_prices_upload_and_download_the_contract(
    page, screenshot, world_a
):
    account = AccountFactory(
        tenant=world_a.tenant, name="Meridian Health Group", sales_currency="EUR"
    )
    PriceListFactory(tenant=world_a.tenant, name="Public sector 2026", currency="EUR")
    ProductFactory(tenant=world_a.tenant, code="LEAD-101", name="First-time manager")
    ProductFactory(tenant=world_a.tenant, code="PM-210", name="PRINCE2 Foundation")

    log_in(page, world_a.staff.username)
    page.goto(f"/alpha/accounts/{account.pk}/")
    page.get_by_role("tab", name="Bookings").click()
    expect(page.locator("#tab-body")).to_contain_text("No bookings yet")
    page.get_by_role("link", name="New booking").click()

    # The customer field searches the accounts as one types (tom-select); the form's own select
    # holds the chosen one.
    expect(page.locator("select[name=account]")).to_have_value(str(account.pk))
    page.get_by_label("Name*").fill("Clinical leadership framework")
    page.get_by_label("Status*").select_option("signed")
    page.get_by_label("Signed date").fill("2025-12-10")
    page.get_by_label("Start date*").fill("2026-01-01")
    page.get_by_label("End date*").fill("2028-12-31")
    page.get_by_label("Price list").select_option(label="Public sector 2026 (EUR)")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_role("heading", name=re.compile("Clinical leadership framework"))
    ).to_be_visible()

    page.get_by_role("tab", name="Agreed prices").click()
    page.get_by_label("Product, row 1").select_option(label="LEAD-101 · First-time manager")
    page.get_by_label("Agreed unit price, row 1").fill("1240")
    page.get_by_label("Committed quantity, row 1").fill("40")
    page.get_by_role("button", name="Save agreed prices").click()
    expect(page.get_by_label("Product, row 2")).to_be_visible()
    page.get_by_label("Product, row 2").select_option(label="PM-210 · PRINCE2 Foundation")
    page.get_by_label("Agreed unit price, row 2").fill("1150.50")
    page.get_by_role("button", name="Save agreed prices").click()
    expect(page.get_by_label("Product, row 3")).to_be_visible()
    expect(page.get_by_label("Agreed unit price, row 2")).to_have_value("1150.50")
    screenshot("booking-agreed-prices")

    # Issue 17: an htmx form's refusal (422) is swapped in, with the field marked, and the
    # earlier "saved" message goes.
    expect(page.get_by_text("Agreed prices saved.")).to_be_visible()
    page.get_by_label("Committed quantity, row 1").fill("-5")
    page.get_by_role("button", name="Save agreed prices").click()
    expect(page.get_by_label("Committed quantity, row 1")).to_have_class(re.compile("is-invalid"))
    expect(page.locator("#tab-body")).to_contain_text("greater than or equal to 0")
    expect(page.get_by_text("Agreed prices saved.")).to_have_count(0)
    screenshot("htmx-form-error")
    page.get_by_label("Committed quantity, row 1").fill("40")
    page.get_by_role("button", name="Save agreed prices").click()
    expect(page.get_by_text("Agreed prices saved.")).to_be_visible()
    expect(page.get_by_label("Committed quantity, row 1")).not_to_have_class(
        re.compile("is-invalid")
    )

    page.get_by_role("tab", name="Documents").click()
    # A refused file keeps the description typed (issue 17).
    page.get_by_label("File*").set_input_files(
        files=[{"name": "setup.exe", "mimeType": "application/octet-stream", "buffer": b"MZ"}]
    )
    page.get_by_label("Description").fill("Signed framework agreement")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_label("Description")).to_have_value("Signed framework agreement")
    expect(page.get_by_label("File*")).to_have_class(re.compile("is-invalid"))
    page.get_by_label("File*").set_input_files(
        files=[
            {
                "name": "Signed contract Meridian.pdf",
                "mimeType": "application/pdf",
                "buffer": CONTRACT,
            }
        ]
    )
    page.get_by_label("Description").fill("Signed framework agreement")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Signed contract Meridian.pdf uploaded.")).to_be_visible()
    screenshot("booking-documents")

    with page.expect_download() as download:
        page.get_by_role("link", name="Signed contract Meridian.pdf").click()
    assert download.value.suggested_filename == "Signed contract Meridian.pdf"
    with open(download.value.path(), "rb") as handle:
        assert handle.read() == CONTRACT

    with activate(world_a.tenant):
        booking = Booking.objects.get()
        prices = sorted(booking.interests.values_list("product__code", "unit_price"))
    assert booking.number == 1 and booking.status == "signed"
    assert prices == [("LEAD-101", Decimal("1240.000")), ("PM-210", Decimal("1150.500"))]
