import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.platform.tenancy import activate
from agreements import services
from agreements.models import Interest
from tests.factories import (
    AccountFactory,
    BookingFactory,
    DiscountFactory,
    DocumentFactory,
    PackageFactory,
    PrepurchaseFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
    TaxRateFactory,
)


def make_rows(tenant, count):
    package = PackageFactory(tenant=tenant)
    tax = TaxRateFactory(tenant=tenant)
    price_list = PriceListFactory(tenant=tenant)
    for _ in range(count):
        account = AccountFactory(tenant=tenant)
        product = ProductFactory(tenant=tenant, package=package, tax_rate=tax)
        PriceListEntryFactory(price_list=price_list, product=product)
        booking = BookingFactory(account=account, price_list=price_list)
        Interest.objects.create(
            tenant=tenant, booking=booking, product=product, unit_price=Decimal(1)
        )
        DocumentFactory(booking=booking)
        DiscountFactory(tenant=tenant, account=account)
        agreement = PrepurchaseFactory(account=account, price_list=price_list)
        with activate(tenant):
            services.prepurchase_charge(
                tenant=tenant,
                by=None,
                agreement=agreement,
                amount=10,
                on_date=datetime.date(2026, 1, 1),
            )
    return price_list


def count_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


LIST_PAGES = ["products/", "price-lists/", "bookings/", "discounts/", "prepurchases/"]


@pytest.mark.parametrize("page", LIST_PAGES)
def test_list_pages_run_the_same_queries_for_few_or_many_rows(world_a, client_for, page):
    client = client_for(world_a.viewer)
    make_rows(world_a.tenant, 3)
    few = count_queries(client, f"/alpha/{page}")
    make_rows(world_a.tenant, 40)
    assert count_queries(client, f"/alpha/{page}") == few


def test_the_price_list_page_runs_the_same_queries_for_few_or_many_prices(world_a, client_for):
    client = client_for(world_a.viewer)
    price_list = make_rows(world_a.tenant, 3)
    few = count_queries(client, f"/alpha/price-lists/{price_list.pk}/")
    for _ in range(60):
        PriceListEntryFactory(price_list=price_list, product=ProductFactory(tenant=world_a.tenant))
    assert count_queries(client, f"/alpha/price-lists/{price_list.pk}/") == few


def test_the_interests_tab_runs_the_same_queries_for_few_or_many_products(world_a, client_for):
    client = client_for(world_a.staff)
    booking = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    for _ in range(3):
        Interest.objects.create(
            tenant=world_a.tenant,
            booking=booking,
            unit_price=Decimal(1),
            product=ProductFactory(tenant=world_a.tenant),
        )
    url = f"/alpha/bookings/{booking.pk}/interests/"
    few = count_queries(client, url)
    for _ in range(30):
        Interest.objects.create(
            tenant=world_a.tenant,
            booking=booking,
            unit_price=Decimal(1),
            product=ProductFactory(tenant=world_a.tenant),
        )
    assert count_queries(client, url) == few


@pytest.mark.parametrize("tab", ["overview", "interests", "documents", "projects"])
def test_every_booking_tab_renders_as_a_page_and_as_a_fragment(world_a, client_for, tab):
    booking = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    client = client_for(world_a.viewer)
    url = f"/alpha/bookings/{booking.pk}/{tab}/"
    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true", "HX-Target": "tab-body"})
    assert page.status_code == fragment.status_code == 200
    assert b"<html" in page.content and b"<html" not in fragment.content


def test_a_viewer_sees_agreed_prices_read_only(world_a, client_for):
    booking = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    Interest.objects.create(
        tenant=world_a.tenant,
        booking=booking,
        unit_price=Decimal("15"),
        product=ProductFactory(tenant=world_a.tenant, code="RO-1"),
    )
    page = client_for(world_a.viewer).get(f"/alpha/bookings/{booking.pk}/interests/")
    body = page.content.decode()
    assert "RO-1" in body and "Save agreed prices" not in body


def test_staff_create_a_booking_through_the_form(world_a, client_for):
    account = AccountFactory(tenant=world_a.tenant)
    response = client_for(world_a.staff).post(
        "/alpha/bookings/new/",
        {
            "account": account.pk,
            "name": "New framework",
            "status": "draft",
            "start_date": "2026-01-01",
            "end_date": "2025-01-01",
            "currency": "EUR",
        },
    )
    assert response.status_code == 422
    assert "cannot be before the start date" in response.content.decode()
    response = client_for(world_a.staff).post(
        "/alpha/bookings/new/",
        {
            "account": account.pk,
            "name": "New framework",
            "status": "draft",
            "start_date": "2026-01-01",
            "end_date": "2028-12-31",
            "currency": "EUR",
        },
    )
    assert response.status_code == 302


def test_only_an_admin_edits_the_catalogue(world_a, client_for):
    data = {
        "code": "NEW-1",
        "name": "New",
        "kind": "course",
        "default_price": "10",
        "currency": "EUR",
        "unit_cost": "1",
        "is_active": "on",
    }
    assert client_for(world_a.staff).post("/alpha/products/new/", data).status_code == 403
    assert client_for(world_a.admin).post("/alpha/products/new/", data).status_code == 302


@pytest.fixture
def admin_b(world_b, client_for):
    client = client_for(world_b.admin)
    client.get("/bravo/settings/admin/")
    return client


def test_the_admin_shows_a_tenant_admin_only_its_agreements(admin_b, world_a, world_b):
    mine = BookingFactory(account=AccountFactory(tenant=world_b.tenant), name="Bravo deal")
    BookingFactory(account=AccountFactory(tenant=world_a.tenant), name="Alpha deal")
    foreign_list = PriceListFactory(tenant=world_a.tenant)
    page = admin_b.get(reverse("admin:agreements_booking_changelist")).content.decode()
    assert "Bravo deal" in page and "Alpha deal" not in page
    form = (
        admin_b.get(reverse("admin:agreements_booking_change", args=[mine.pk]))
        .context["adminform"]
        .form
    )
    assert foreign_list not in form.fields["price_list"].queryset


def test_the_admin_cannot_edit_ledger_rows(admin_b, world_b):
    agreement = PrepurchaseFactory(account=AccountFactory(tenant=world_b.tenant))
    with activate(world_b.tenant):
        entry = services.prepurchase_charge(
            tenant=world_b.tenant, by=None, agreement=agreement, amount=5
        )
    response = admin_b.post(
        reverse("admin:agreements_prepurchaseentry_change", args=[entry.pk]), {"amount": "1"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "model",
    [
        "taxrate",
        "trainingpackage",
        "product",
        "pricelist",
        "booking",
        "bookingdocument",
        "discountagreement",
        "prepurchaseagreement",
        "prepurchaseentry",
    ],
)
def test_every_agreements_model_has_a_working_admin_page(admin_b, world_b, model):
    make_rows(world_b.tenant, 1)
    assert admin_b.get(reverse(f"admin:agreements_{model}_changelist")).status_code == 200
