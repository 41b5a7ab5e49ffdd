"""Issue 17: a new booking defaulted to AED (the first currency of the list); it takes the
customer's sales currency, else the company's base currency. Products and price lists start
in the base currency."""

import re

import pytest

from accounts.platform.tenancy import activate
from agreements.models import Booking
from tests.factories import AccountFactory


def _selected(page, name) -> str:
    html = page.content.decode()
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else "(the first option)"


def test_a_new_booking_offers_the_customers_or_the_companys_currency(world_a, client_for):
    world_a.tenant.base_currency = "GBP"
    world_a.tenant.save()
    client = client_for(world_a.staff)
    page = client.get("/alpha/bookings/new/")
    assert _selected(page, "currency") == ""
    assert "The customer&#x27;s sales currency, else GBP" in page.content.decode()
    euro = AccountFactory(tenant=world_a.tenant, sales_currency="EUR")
    plain = AccountFactory(tenant=world_a.tenant, sales_currency="")
    assert _selected(client.get(f"/alpha/bookings/new/?account={euro.pk}"), "currency") == "EUR"
    assert _selected(client.get(f"/alpha/bookings/new/?account={plain.pk}"), "currency") == "GBP"


def test_a_booking_saved_without_a_currency_takes_the_customers_else_the_companys(
    world_a, client_for
):
    world_a.tenant.base_currency = "GBP"
    world_a.tenant.save()
    client = client_for(world_a.staff)
    for account, expected in (
        (AccountFactory(tenant=world_a.tenant, sales_currency="EUR"), "EUR"),
        (AccountFactory(tenant=world_a.tenant, sales_currency=""), "GBP"),
    ):
        response = client.post(
            "/alpha/bookings/new/",
            {
                "account": account.pk,
                "name": f"Framework {expected}",
                "status": "draft",
                "start_date": "2026-01-01",
                "end_date": "2027-12-31",
                "currency": "",
                "owner": world_a.staff.pk,
            },
        )
        assert response.status_code == 302, response.context["form"].errors
        with activate(world_a.tenant):
            assert Booking.objects.get(account=account).currency == expected


def test_products_and_price_lists_start_in_the_base_currency(world_a, client_for):
    world_a.tenant.base_currency = "GBP"
    world_a.tenant.save()
    client = client_for(world_a.admin)
    assert _selected(client.get("/alpha/products/new/"), "currency") == "GBP"
    assert _selected(client.get("/alpha/price-lists/new/"), "currency") == "GBP"


@pytest.mark.django_db(transaction=True)
def test_a_booking_is_numbered_in_its_own_transaction(world_a, client_for):
    """booking_save numbers the booking inside its transaction, outside a test's too."""
    account = AccountFactory(tenant=world_a.tenant, sales_currency="EUR")
    response = client_for(world_a.staff).post(
        "/alpha/bookings/new/",
        {
            "account": account.pk,
            "name": "Framework",
            "status": "draft",
            "start_date": "2026-01-01",
            "end_date": "2027-12-31",
            "owner": world_a.staff.pk,
        },
    )
    assert response.status_code == 302
    with activate(world_a.tenant):
        assert Booking.objects.get().currency == "EUR"
