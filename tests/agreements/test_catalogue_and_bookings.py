import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.tenancy import activate
from agreements import services
from agreements.models import (
    Booking,
    BookingStatus,
    DiscountAgreement,
    DiscountScope,
    Interest,
    PriceList,
    PriceListEntry,
    Product,
    ProductKind,
)
from tests.factories import (
    AccountFactory,
    BookingFactory,
    PackageFactory,
    PriceListFactory,
    ProductFactory,
    TaxRateFactory,
)


def test_product_codes_are_unique_per_tenant_and_upper_case(world_a, tenant_b):
    ProductFactory(tenant=tenant_b, code="PY-101")
    with activate(world_a.tenant):
        product = services.product_save(
            tenant=world_a.tenant,
            by=world_a.admin,
            product=Product(
                code=" py-101 ", name="Python", currency="EUR", default_price=Decimal("99.999")
            ),
        )
        assert (product.code, product.default_price) == ("PY-101", Decimal("100.00"))
        with pytest.raises(ValidationError, match="exists"):
            services.product_save(
                tenant=world_a.tenant,
                by=world_a.admin,
                product=Product(code="PY-101", name="Again", currency="EUR"),
            )


def test_a_product_cannot_use_another_tenants_package_or_tax_rate(world_a, tenant_b):
    for field, foreign in (
        ("package", PackageFactory(tenant=tenant_b)),
        ("tax_rate", TaxRateFactory(tenant=tenant_b)),
    ):
        with activate(world_a.tenant), pytest.raises(ValidationError):
            services.product_save(
                tenant=world_a.tenant,
                by=world_a.admin,
                product=Product(code=f"X-{field}", name="X", currency="EUR", **{field: foreign}),
            )


def test_price_list_entries_round_to_the_lists_currency(world_a):
    price_list = PriceListFactory(tenant=world_a.tenant, currency="JPY")
    product = ProductFactory(tenant=world_a.tenant)
    with activate(world_a.tenant):
        entry = services.pricelist_entry_save(
            tenant=world_a.tenant,
            by=world_a.staff,
            entry=PriceListEntry(
                price_list=price_list, product=product, unit_price=Decimal("1234.5")
            ),
        )
    assert entry.unit_price == Decimal("1235")


def test_a_price_lists_currency_cannot_change_once_it_has_prices(world_a):
    price_list = PriceListFactory(tenant=world_a.tenant, currency="EUR")
    PriceListEntry.objects.create(
        tenant=world_a.tenant,
        price_list=price_list,
        product=ProductFactory(tenant=world_a.tenant),
        unit_price=Decimal(1),
    )
    price_list.currency = "GBP"
    with activate(world_a.tenant), pytest.raises(ValidationError, match="cannot change"):
        services.pricelist_save(tenant=world_a.tenant, by=world_a.staff, price_list=price_list)


def test_a_price_list_ends_after_it_starts(world_a):
    with activate(world_a.tenant), pytest.raises(ValidationError, match="before"):
        services.pricelist_save(
            tenant=world_a.tenant,
            by=world_a.staff,
            price_list=PriceList(
                name="X",
                currency="EUR",
                valid_from=datetime.date(2026, 2, 1),
                valid_to=datetime.date(2026, 1, 1),
            ),
        )


def booking(world, **fields):
    values = {
        "name": "Framework",
        "start_date": datetime.date(2026, 1, 1),
        "end_date": datetime.date(2028, 12, 31),
        "currency": "EUR",
    }
    values.update(fields)
    with activate(world.tenant):
        return services.booking_save(tenant=world.tenant, by=world.staff, booking=Booking(**values))


def test_booking_numbers_are_per_tenant(world_a, world_b):
    first = booking(world_a, account=AccountFactory(tenant=world_a.tenant))
    second = booking(world_a, account=AccountFactory(tenant=world_a.tenant))
    other = booking(world_b, account=AccountFactory(tenant=world_b.tenant))
    assert (first.number, second.number, other.number) == (1, 2, 1)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "individual"}, "made with organisations"),
        ({"end_date": datetime.date(2025, 1, 1)}, "cannot be before"),
        ({"status": BookingStatus.SIGNED}, "date the agreement was signed"),
        ({"sales_currency": "GBP"}, "buys in GBP"),
        ({"price_list_currency": "GBP"}, "choose a EUR list"),
    ],
)
def test_booking_rules(world_a, fields, message):
    account = AccountFactory(
        tenant=world_a.tenant,
        kind=fields.pop("kind", "organisation"),
        sales_currency=fields.pop("sales_currency", ""),
    )
    if "price_list_currency" in fields:
        fields["price_list"] = PriceListFactory(
            tenant=world_a.tenant, currency=fields.pop("price_list_currency")
        )
    with pytest.raises(ValidationError, match=message):
        booking(world_a, account=account, **fields)
    with activate(world_a.tenant):
        assert not Booking.objects.exists()


def test_a_booking_cannot_link_another_tenants_account_or_price_list(world_a, tenant_b):
    with pytest.raises(ValidationError):
        booking(world_a, account=AccountFactory(tenant=tenant_b))
    with pytest.raises(ValidationError):
        booking(
            world_a,
            account=AccountFactory(tenant=world_a.tenant),
            price_list=PriceListFactory(tenant=tenant_b),
        )


def test_interests_are_saved_all_or_none_and_rounded(world_a):
    b = BookingFactory(account=AccountFactory(tenant=world_a.tenant), currency="EUR")
    p1, p2 = ProductFactory.create_batch(2, tenant=world_a.tenant)
    with activate(world_a.tenant):
        services.booking_interests_update(
            tenant=world_a.tenant,
            by=world_a.staff,
            booking=b,
            changed=[Interest(product=p1, unit_price=Decimal("10.005"))],
        )
        assert Interest.objects.get().unit_price == Decimal("10.01")
        with pytest.raises(ValidationError):
            services.booking_interests_update(
                tenant=world_a.tenant,
                by=world_a.staff,
                booking=b,
                changed=[
                    Interest(product=p2, unit_price=Decimal("5")),
                    Interest(product=p1, unit_price=Decimal("6")),
                ],
            )
        assert Interest.objects.count() == 1


def test_interests_are_edited_inline_on_the_booking_page(world_a, client_for):
    b = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    course = ProductFactory(tenant=world_a.tenant, code="LEAD-1")
    url = f"/alpha/bookings/{b.pk}/interests/save/"
    data = {
        "interests-TOTAL_FORMS": "1",
        "interests-INITIAL_FORMS": "0",
        "interests-0-product": course.pk,
        "interests-0-unit_price": "1200",
        "interests-0-committed_quantity": "40",
    }
    response = client_for(world_a.staff).post(url, data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert b"<html" not in response.content
    assert b"Agreed prices saved." in response.content, "the fragment shows its own message"
    with activate(world_a.tenant):
        interest = Interest.objects.get(booking=b)
    assert (interest.unit_price, interest.committed_quantity) == (Decimal("1200.00"), 40)


def test_a_product_listed_twice_is_explained(world_a, client_for):
    b = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    course = ProductFactory(tenant=world_a.tenant)
    data = {"interests-TOTAL_FORMS": "2", "interests-INITIAL_FORMS": "0"}
    for i in range(2):
        data |= {f"interests-{i}-product": course.pk, f"interests-{i}-unit_price": "10"}
    response = client_for(world_a.staff).post(f"/alpha/bookings/{b.pk}/interests/save/", data)
    assert response.status_code == 422
    assert "listed twice" in response.content.decode()
    with activate(world_a.tenant):
        assert not Interest.objects.exists()


def test_learning_paths_are_not_offered_as_agreed_products(world_a, client_for):
    b = BookingFactory(account=AccountFactory(tenant=world_a.tenant))
    ProductFactory(tenant=world_a.tenant, code="LP-1", kind=ProductKind.LEARNING_PATH)
    ProductFactory(tenant=world_a.tenant, code="COURSE-1")
    page = client_for(world_a.staff).get(f"/alpha/bookings/{b.pk}/interests/").content.decode()
    assert "COURSE-1" in page and "LP-1" not in page


def test_a_new_booking_is_prefilled_from_the_account(world_a, client_for):
    account = AccountFactory(tenant=world_a.tenant, sales_currency="GBP")
    page = client_for(world_a.staff).get(f"/alpha/bookings/new/?account={account.pk}")
    form = page.context["form"]
    assert form.initial["account"] == account.pk and form.initial["currency"] == "GBP"


def test_the_account_bookings_tab_lists_its_bookings(world_a, client_for):
    account = AccountFactory(tenant=world_a.tenant)
    BookingFactory(account=account, name="Listed framework")
    BookingFactory(account=AccountFactory(tenant=world_a.tenant), name="Someone else's")
    page = client_for(world_a.viewer).get(f"/alpha/accounts/{account.pk}/bookings/")
    body = page.content.decode()
    assert "Listed framework" in body and "Someone else" not in body


@pytest.mark.parametrize(
    ("scope", "fields", "message"),
    [
        (DiscountScope.COURSE, {}, "Choose the course"),
        (DiscountScope.PACKAGE, {"product": True}, "Leave empty"),
        (DiscountScope.COURSE, {"item": True}, "Choose a course"),
    ],
)
def test_a_discount_names_exactly_what_its_scope_covers(world_a, scope, fields, message):
    values = {
        "name": "D",
        "percent": Decimal("10"),
        "scope": scope,
        "valid_from": datetime.date(2026, 1, 1),
    }
    if fields.get("product"):
        values["package"] = PackageFactory(tenant=world_a.tenant)
        values["product"] = ProductFactory(tenant=world_a.tenant)
    if fields.get("item"):
        values["product"] = ProductFactory(tenant=world_a.tenant, kind=ProductKind.ITEM)
    with activate(world_a.tenant), pytest.raises(ValidationError, match=message):
        services.discount_save(
            tenant=world_a.tenant, by=world_a.staff, discount=DiscountAgreement(**values)
        )


def test_a_discount_percent_is_between_0_and_100(world_a):
    with activate(world_a.tenant), pytest.raises(ValidationError):
        services.discount_save(
            tenant=world_a.tenant,
            by=world_a.staff,
            discount=DiscountAgreement(
                name="Too much",
                percent=Decimal("120"),
                scope=DiscountScope.EVENT,
                valid_from=datetime.date(2026, 1, 1),
            ),
        )
