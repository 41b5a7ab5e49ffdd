import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.platform.registry import Registry
from accounts.platform.tenancy import activate
from agreements import pricing
from agreements.models import DiscountScope, Interest, PlaceCounting
from agreements.pricing import PriceSource, apply_discount, check_places, resolve_price
from tests.factories import (
    AccountFactory,
    BookingFactory,
    DiscountFactory,
    PackageFactory,
    PriceListEntryFactory,
    PriceListFactory,
    ProductFactory,
)

DAY = datetime.date(2026, 5, 1)


@pytest.fixture
def setup(tenant_a):
    account = AccountFactory(tenant=tenant_a)
    package = PackageFactory(tenant=tenant_a)
    product = ProductFactory(tenant=tenant_a, package=package, default_price=Decimal("1000"))
    price_list = PriceListFactory(tenant=tenant_a, currency="EUR")
    PriceListEntryFactory(price_list=price_list, product=product, unit_price=Decimal("900"))
    booking = BookingFactory(account=account, price_list=price_list, currency="EUR")
    return {
        "tenant": tenant_a,
        "account": account,
        "product": product,
        "booking": booking,
        "price_list": price_list,
        "package": package,
    }


def quote(setup, **kwargs):
    with activate(setup["tenant"]):
        return resolve_price(
            account=setup["account"],
            product=setup["product"],
            on_date=DAY,
            **{"booking": setup["booking"], **kwargs},
        )


def test_the_booking_interest_comes_first(setup):
    Interest.objects.create(
        tenant=setup["tenant"],
        booking=setup["booking"],
        product=setup["product"],
        unit_price=Decimal("850"),
    )
    result = quote(setup)
    assert (result.unit_price, result.source) == (Decimal("850.00"), PriceSource.INTEREST)
    assert result.source_label == "agreed price of the booking"


def test_then_the_bookings_price_list(setup):
    result = quote(setup)
    assert (result.unit_price, result.source) == (Decimal("900.00"), PriceSource.PRICE_LIST)


def test_an_expired_price_list_is_skipped(setup):
    setup["price_list"].valid_to = datetime.date(2025, 12, 31)
    setup["price_list"].save()
    assert quote(setup).source == PriceSource.PRODUCT_DEFAULT


def test_then_the_products_default_price(setup):
    result = quote(setup, booking=None)
    assert (result.unit_price, result.source) == (Decimal("1000.00"), PriceSource.PRODUCT_DEFAULT)


def test_a_currency_mismatch_is_an_error_never_a_conversion(setup):
    with pytest.raises(ValidationError, match="never converted"):
        quote(setup, currency="GBP")
    other = ProductFactory(tenant=setup["tenant"], currency="USD")
    with activate(setup["tenant"]), pytest.raises(ValidationError, match="no agreed price in EUR"):
        resolve_price(
            account=setup["account"], product=other, on_date=DAY, booking=setup["booking"]
        )


def test_discounts_of_every_scope_are_found_best_first(setup):
    t = setup["tenant"]
    course = DiscountFactory(
        tenant=t, scope=DiscountScope.COURSE, product=setup["product"], percent=Decimal("5")
    )
    package = DiscountFactory(
        tenant=t, scope=DiscountScope.PACKAGE, package=setup["package"], percent=Decimal("15")
    )
    price_list = DiscountFactory(
        tenant=t,
        scope=DiscountScope.PRICE_LIST,
        price_list=setup["price_list"],
        percent=Decimal("10"),
    )
    event = DiscountFactory(tenant=t, scope=DiscountScope.EVENT, percent=Decimal("20"))
    DiscountFactory(tenant=t, scope=DiscountScope.EVENT, percent=Decimal("50"))  # another event
    result = quote(setup, event_discount_ids=[event.pk])
    assert result.discounts == [event, package, price_list, course]
    assert result.best_discount == event
    assert result.discounted() == Decimal("720.00")


def test_a_discount_restricted_to_a_customer_expired_or_inactive_does_not_apply(setup):
    t = setup["tenant"]
    other_customer = AccountFactory(tenant=t)
    DiscountFactory(
        tenant=t, scope=DiscountScope.COURSE, product=setup["product"], account=other_customer
    )
    DiscountFactory(
        tenant=t,
        scope=DiscountScope.COURSE,
        product=setup["product"],
        valid_to=datetime.date(2026, 1, 1),
    )
    DiscountFactory(
        tenant=t,
        scope=DiscountScope.COURSE,
        product=setup["product"],
        valid_from=datetime.date(2026, 6, 1),
    )
    DiscountFactory(tenant=t, scope=DiscountScope.COURSE, product=setup["product"], is_active=False)
    mine = DiscountFactory(
        tenant=t, scope=DiscountScope.COURSE, product=setup["product"], account=setup["account"]
    )
    assert quote(setup).discounts == [mine]


@pytest.mark.parametrize(
    ("price", "percent", "currency", "expected"),
    [
        ("999.99", "12.5", "EUR", "874.99"),
        ("100.005", "0", "EUR", "100.01"),
        ("1000", "33", "JPY", "670"),
        ("10.000", "15", "KWD", "8.500"),
        ("0.05", "50", "GBP", "0.03"),
    ],
)
def test_discounts_round_half_up_to_the_currencys_minor_unit(price, percent, currency, expected):
    assert apply_discount(Decimal(price), Decimal(percent), currency) == Decimal(expected)


def test_the_place_check_warns_past_the_maximum(setup, monkeypatch):
    used = {}
    monkeypatch.setattr(
        pricing.places_counter,
        "_registry",
        Registry("test counter"),
    )
    pricing.places_counter.register(lambda agreement, account, event_id: used.get(event_id, 0))
    per_event = DiscountFactory(
        tenant=setup["tenant"], max_places=5, place_counting=PlaceCounting.PER_EVENT
    )
    across = DiscountFactory(
        tenant=setup["tenant"], max_places=5, place_counting=PlaceCounting.ACROSS_EVENTS
    )
    used.update({7: 4, None: 9})
    within = check_places(agreement=per_event, account=setup["account"], places=1, event_id=7)
    assert (within.used, within.exceeds, within.warning) == (4, False, "")
    over = check_places(agreement=per_event, account=setup["account"], places=2, event_id=7)
    assert over.exceeds and "used 4 of 5" in over.warning and "Confirm" in over.warning
    total = check_places(agreement=across, account=setup["account"], places=1, event_id=7)
    assert total.used == 9 and total.exceeds


def test_without_a_maximum_nothing_is_ever_exceeded(setup):
    unlimited = DiscountFactory(tenant=setup["tenant"], max_places=None)
    with activate(setup["tenant"]):
        check = check_places(agreement=unlimited, account=setup["account"], places=999)
    assert not check.exceeds


@pytest.mark.parametrize(
    ("value", "text"),
    [("10.00", "10"), ("12.50", "12.5"), ("0", "0"), ("100", "100"), ("7.25", "7.25")],
)
def test_percentages_read_as_people_write_them(value, text):
    from accounts.platform.money import format_percent

    assert format_percent(Decimal(value)) == text
